"""Two releases in a row stay green; a version is checked in full; a release is all or nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from bizenv.cli import app
from conftest import ROOT, table
from test_release import next_version, repo_copy

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def snapshot(root):
    """Every file of the repository copy (the git folder aside) with its bytes' digest."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def checks_pass(runner, root):
    """The generated-docs checks and validation of `make test`, on the copy."""
    for args in (["dictionary", "--check"], ["expectations", "--check"], ["cookbook", "--check"], ["validate"]):
        result = runner.invoke(app, [*args, "-p", str(root)])
        assert result.exit_code == 0, (args, result.output)
    from bizenv.package import Package
    from bizenv.release import versions_agree

    assert versions_agree(Package.open(root)) == []


def test_two_consecutive_releases_stay_green(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    root = repo_copy(tmp_path / "repo")
    first = next_version()
    major, minor, _ = (int(x) for x in first.split("."))
    second = f"{major}.{minor}.1"
    result = runner.invoke(app, ["release", first, "-p", str(root)])
    assert result.exit_code == 0, result.output
    checks_pass(runner, root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f", version {first}. Dataset." in readme and "maintainers (2026)." in readme
    assert f"version {first}:" in (root / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    with open(root / ".gitignore", "w") as f:
        f.write("dist/\nbuild/\n")
    for args in (["add", "-A"], ["commit", "-qm", f"Release {first}"], ["tag", "-a", f"v{first}", "-m", first]):
        subprocess.run([*GIT, *args], cwd=root, check=True)

    t = table(root, "tasks")
    t.find(task_id="gedian-2021-t007")["notes"] = "Corrected after the first release."
    t.save()
    subprocess.run([*GIT, "commit", "-qam", "A correction"], cwd=root, check=True)
    notes = runner.invoke(app, ["diff", f"v{first}", "HEAD", "--format", "markdown", "-p", str(root)])
    assert notes.exit_code == 0 and "Corrected after the first release" in notes.output
    result = runner.invoke(app, ["release", second, "-p", str(root)])
    assert result.exit_code == 0, result.output
    checks_pass(runner, root)
    for args in (["add", "-A"], ["commit", "-qm", f"Release {second}"], ["tag", "-a", f"v{second}", "-m", second]):
        subprocess.run([*GIT, *args], cwd=root, check=True)
    assert [r["version"] for r in json.loads((root / "releases.json").read_text())["releases"]][-2:] == [first, second]

    # the two releases compare as tags and as zips, and each zip ships the dictionary of its version
    zips = [root / "dist" / f"cn-bizenv-policies-{v}.zip" for v in (first, second)]
    for old, new in ((f"v{first}", f"v{second}"), (str(zips[0]), str(zips[1]))):
        out = runner.invoke(app, ["diff", old, new, "-p", str(root)]).output
        assert out.splitlines()[0].split() == ["tasks", "+0", "-0", "~1"], out
    import zipfile

    with zipfile.ZipFile(zips[1]) as zf:
        dictionary = zf.read(f"cn-bizenv-policies-{second}/docs/data-dictionary.md").decode()
    assert f"version {second}:" in dictionary


@pytest.mark.parametrize("version", ["1.0.0\n", "1" * 300 + ".0.0", " 1.0.0", "1.0.0 ", "01.0.0", "1.0",
                                     "v1.0.0", "1.0.0-rc.1", "\uff11.0.0", "1.0.0\x00", "", "1.0.1234567890"])
def test_a_malformed_version_is_refused_before_any_file_is_touched(runner, tmp_path, version):
    root = repo_copy(tmp_path / "repo", git=False)
    before = snapshot(root)
    result = runner.invoke(app, ["release", version, "-p", str(root)])
    assert result.exit_code in (1, 2), result.output
    assert "not a semantic version" in result.output and "Traceback" not in result.output
    assert "\x00" not in result.output and "\n" not in result.output.strip()
    assert snapshot(root) == before and not (root / "dist").exists()


@pytest.mark.parametrize("step", ["_parquet_and_loader", "_zip", "_database", "place"])
def test_a_release_that_fails_midway_leaves_every_file_as_it_was(tmp_path, monkeypatch, step):
    import bizenv.release as release
    from bizenv.package import Package

    root = repo_copy(tmp_path / "repo")
    (root / "dist").mkdir()
    (root / "dist" / "older-release.zip").write_bytes(b"kept")
    before = snapshot(root)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    if step == "place":  # the second of the four moves into dist/ fails
        real, calls = release.Transaction.place, []

        def place(self, *args):
            calls.append(args)
            if len(calls) == 2:
                boom()
            return real(self, *args)

        monkeypatch.setattr(release.Transaction, "place", place)
    else:
        monkeypatch.setattr(release, step, boom)
    with pytest.raises(RuntimeError, match="disk full"):
        release.cut(Package.open(root), next_version())
    assert snapshot(root) == before
    assert sorted(p.name for p in (root / "dist").iterdir()) == ["older-release.zip"]


def test_an_interrupted_release_is_undone(tmp_path, monkeypatch):
    import bizenv.release as release
    from bizenv.package import Package

    root = repo_copy(tmp_path / "repo")
    before = snapshot(root)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(release, "_database", interrupt)
    with pytest.raises(KeyboardInterrupt):
        release.cut(Package.open(root), next_version())
    assert snapshot(root) == before and not (root / "dist").exists()


def test_a_linked_version_file_is_not_written_through(runner, tmp_path):
    outside = tmp_path / "outside.cff"
    outside.write_text("version: 9.9.9\n", encoding="utf-8")
    root = repo_copy(tmp_path / "repo", git=False)
    (root / "CITATION.cff").unlink()
    (root / "CITATION.cff").symlink_to(outside)
    before = snapshot(root)
    result = runner.invoke(app, ["release", next_version(), "-p", str(root)])
    assert result.exit_code == 1 and "CITATION.cff: a link or not a regular file" in result.output
    assert outside.read_text(encoding="utf-8") == "version: 9.9.9\n" and snapshot(root) == before


@pytest.mark.parametrize("out", ["data", "schemas/x", "sources", "file"])
def test_a_release_is_never_written_into_the_corpus(runner, tmp_path, out):
    root = repo_copy(tmp_path / "repo", git=False)
    (root / "file").write_text("x", encoding="utf-8")
    before = snapshot(root)
    result = runner.invoke(app, ["release", next_version(), "-p", str(root), "--out", str(root / out)])
    assert result.exit_code == 1, result.output
    assert "would write into the corpus" in result.output or "is not a folder" in result.output
    assert snapshot(root) == before


@pytest.mark.parametrize("content", ["", "{", '{"releases": [{"version": "1.0"}]}', '{"releases": 3}',
                                     '{"other": []}'])
def test_a_malformed_releases_file_gets_a_clear_message(runner, tmp_path, content):
    root = repo_copy(tmp_path / "repo", git=False)
    (root / "releases.json").write_text(content, encoding="utf-8")
    before = snapshot(root)
    result = runner.invoke(app, ["release", next_version(), "-p", str(root)])
    assert result.exit_code == 1 and result.output.startswith("bizenv: releases.json:"), result.output
    assert snapshot(root) == before


def test_a_huge_or_linked_releases_file_is_refused(runner, tmp_path, monkeypatch):
    import bizenv.release

    root = repo_copy(tmp_path / "repo", git=False)
    version = next_version()
    monkeypatch.setattr(bizenv.release, "MAX_RELEASES", 10)
    before = snapshot(root)
    result = runner.invoke(app, ["release", version, "-p", str(root)])
    assert result.exit_code == 1 and "at most 10 bytes" in result.output
    monkeypatch.undo()
    (tmp_path / "elsewhere.json").write_text('{"releases": []}', encoding="utf-8")
    (root / "releases.json").unlink()
    (root / "releases.json").symlink_to(tmp_path / "elsewhere.json")
    result = runner.invoke(app, ["release", version, "-p", str(root)])
    assert result.exit_code == 1 and "releases.json: cannot be read" in result.output
    assert (tmp_path / "elsewhere.json").read_text(encoding="utf-8") == '{"releases": []}'
    assert snapshot(root) == {**before, "releases.json": snapshot(root)["releases.json"]}


def test_a_malformed_release_date_gets_a_clear_message(runner, tmp_path, monkeypatch):
    root = repo_copy(tmp_path / "repo", git=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "9" * 40)
    result = runner.invoke(app, ["release", next_version(), "-p", str(root)])
    assert result.exit_code == 1 and "SOURCE_DATE_EPOCH" in result.output


def test_no_test_names_the_current_version():
    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    for path in (ROOT / "tests").glob("*.py"):
        assert f'"{version}"' not in path.read_text(encoding="utf-8"), path.name


def test_every_version_bearing_file_is_written_by_the_release():
    """A file of the repository that names the current version is one the release rewrites."""
    from bizenv.release import VERSION_FILES

    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    out = subprocess.run(["git", "grep", "-lF", f"{version}", "--", ".", ":!CHANGELOG.md", ":!tests", ":!bench",
                          ":!.github/ISSUE_TEMPLATE", ":!releases.json",
                          ":!RELEASING.md"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        pytest.skip("not a git checkout")
    carrying = {line for line in out.stdout.splitlines()
                if not line.startswith(("data/", "sources/", "schemas/", "docs/performance"))}
    assert carrying <= set(VERSION_FILES), carrying - set(VERSION_FILES)
