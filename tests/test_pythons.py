"""Python 3.11, 3.12 and 3.13: declared, tested in CI, and a stale .venv is re-created."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

SUPPORTED = ["3.11", "3.12", "3.13"]


def test_pyproject_admits_every_supported_python():
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    spec = SpecifierSet(project["requires-python"])
    assert all(f"{v}.0" in spec for v in SUPPORTED) and "3.10.9" not in spec
    assert all(f"Programming Language :: Python :: {v}" in project["classifiers"] for v in SUPPORTED)


def test_the_workflow_tests_every_supported_python():
    import yaml

    job = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))["jobs"]["test"]
    assert job["strategy"]["matrix"]["python-version"] == SUPPORTED
    runs = [step.get("run", "") for step in job["steps"]]
    assert "make test PYTHON=python${{ matrix.python-version }}" in runs


@pytest.fixture
def makefile_dir(tmp_path):
    if not shutil.which("make"):
        pytest.skip("no make")
    shutil.copyfile(ROOT / "Makefile", tmp_path / "Makefile")
    return tmp_path


def make(folder, *args):
    return subprocess.run(["make", "--no-print-directory", *args, f"PYTHON={sys.executable}"], cwd=folder,
                          capture_output=True, text=True, check=False)


def python_id():
    out = make(ROOT, "-s", "--eval", "print-id: ; @echo '$(PYTHON_ID)'", "print-id")
    return out.stdout.strip()


def fake_venv(folder, stamp, runs=True):
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("#!/bin/sh\nexit 0\n" if runs else "#!/bin/sh\nexit 1\n", encoding="utf-8")
    os.chmod(bin_dir / "python", 0o755)
    (folder / ".venv" / ".installed").write_text(stamp + "\n", encoding="utf-8")


def test_a_venv_made_by_another_python_is_recreated(makefile_dir):
    fake_venv(makefile_dir, "3.10.13 /root/.pyenv/versions/3.10.13")
    out = make(makefile_dir, "venv-matches")
    assert out.returncode == 0, out.stderr
    assert "made by another Python (3.10.13" in out.stdout and not (makefile_dir / ".venv").exists()


def test_a_venv_of_an_older_make_is_recreated(makefile_dir):
    fake_venv(makefile_dir, "")  # the stamp used to be an empty file
    assert "made by another Python (unknown)" in make(makefile_dir, "venv-matches").stdout
    assert not (makefile_dir / ".venv").exists()


def test_a_venv_whose_python_no_longer_runs_is_recreated(makefile_dir):
    fake_venv(makefile_dir, python_id(), runs=False)
    make(makefile_dir, "venv-matches")
    assert not (makefile_dir / ".venv").exists()


def test_a_venv_of_the_same_python_is_kept(makefile_dir):
    assert python_id().startswith(".".join(map(str, sys.version_info[:3])))
    fake_venv(makefile_dir, python_id())
    out = make(makefile_dir, "venv-matches")
    assert out.returncode == 0 and out.stdout == "" and (makefile_dir / ".venv" / ".installed").exists()


def test_a_python_that_does_not_run_is_a_clear_error(makefile_dir):
    out = subprocess.run(["make", "venv-matches", "PYTHON=/nonexistent/python3"], cwd=makefile_dir,
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "does not run; set PYTHON=" in out.stderr


def test_pythons_script_reports_an_interpreter_that_fails(tmp_path):
    env = {**os.environ, "PYTHONS": str(tmp_path / "no-such-python")}
    out = subprocess.run([str(ROOT / "scripts" / "pythons.sh")], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 1 and "does not run" in out.stdout and "failed with" in out.stderr
    assert "scripts/pythons.sh" in (ROOT / "Makefile").read_text(encoding="utf-8")
