"""End to end in a real browser: `bizenv serve`, then headless Chromium does what a journalist does.

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and
selenium (in the test extra). On a machine without them the test is skipped and says why; with
CI=true (as .ci/run sets it) a missing browser fails the run. Screenshots go to build/browser-*.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import copy_package

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build"


def _chromium() -> str | None:
    """Debian's chromium (as .ci/run installs it), else another Chromium or Chrome on PATH."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ModuleNotFoundError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not _chromium():
        return "no chromium on PATH (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH (apt-get install chromium-driver)"
    return None


def _unavailable(reason: str | None, env) -> None:
    """Skip with the reason on a person's machine; fail under CI=true, where the browser must be."""
    if reason is None:
        return
    if env.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the browser test cannot run: {reason}")
    pytest.skip(f"browser test skipped: {reason}")


def test_a_missing_browser_is_skipped_for_a_person_and_fails_in_ci(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = _missing()
    assert reason and ("chromium" in reason or "selenium" in reason)
    with pytest.raises(pytest.skip.Exception, match="browser test skipped: "):
        _unavailable(reason, {})
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _unavailable(reason, {"CI": "true"})
    _unavailable(None, {"CI": "true"})  # a browser present: nothing happens


@pytest.fixture(scope="module")
def browser():
    _unavailable(_missing(), os.environ)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = Path(tempfile.mkdtemp(prefix="bizenv-downloads-"))
    profile = tempfile.mkdtemp(prefix="bizenv-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = _chromium()
    for arg in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000", "--lang=en-US"]:
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=opts, service=Service(shutil.which("chromedriver")))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`bizenv serve` on a free port, over a fresh copy of the package (it builds first)."""
    root = copy_package(tmp_path_factory.mktemp("serve") / "pkg")
    (root / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "cookbook.yaml", root / "docs" / "cookbook.yaml")
    port = _free_port()
    log = (tmp_path_factory.mktemp("log") / "serve.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "bizenv", "serve", "--package", str(root), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"bizenv serve did not start: {log.read()[-2000:]}")
                time.sleep(0.3)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(driver, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(800, min(height + 40, 6000)))
    driver.save_screenshot(str(SHOTS / f"browser-{name}.png"))
    driver.set_window_size(1280, 1000)


def _wait(driver, condition, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _sql(root: Path, sql: str, *params):
    con = sqlite3.connect(f"file:{root / 'build' / 'bizenv.sqlite'}?immutable=1", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _count_matching(root: Path, table: str, columns: list[str], word: str) -> int:
    where = " OR ".join(f"instr(lower(coalesce({c}, '')), lower(?)) > 0" for c in columns)
    return _sql(root, f"SELECT count(*) FROM {table} WHERE {where}", *([word] * len(columns)))[0][0]


def _download(driver, link, suffix: str, timeout: float = 30) -> Path:
    before = set(driver.downloads.iterdir())
    link.click()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in set(driver.downloads.iterdir()) - before if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in driver.downloads.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file was downloaded into {driver.downloads}")


def test_a_journalist_browses_searches_and_downloads(browser, server):
    import openpyxl
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, root = server
    d = browser

    # the home page: search box, tables, questions and both charts drawn from the data
    d.get(url + "/")
    assert "optimizing the business environment" in d.title
    charts = d.find_elements(By.CSS_SELECTOR, "svg.bizenv-chart")
    assert len(charts) == 2 and all(c.find_elements(By.CSS_SELECTOR, "rect") for c in charts)
    bars = _sql(root, "SELECT count(*) FROM deadline_calendar")[0][0]
    assert len(charts[0].find_elements(By.CSS_SELECTOR, "rect[fill^='#'] title")) == bars
    _shot(d, "home")

    # a two-character Chinese word, from the home page's search box, across tables
    box = d.find_element(By.CSS_SELECTOR, "form.bizenv-search input[name=q]")
    box.send_keys("信用", Keys.ENTER)
    _wait(d, lambda drv: drv.find_elements(By.ID, "search-total"))
    counts = {s.get_attribute("data-table"): int(s.get_attribute("data-count"))
              for s in d.find_elements(By.CSS_SELECTOR, "section.search-table")}
    assert counts["tasks"] == _count_matching(root, "tasks", ["text_clean"], "信用") > 10
    assert counts["measures"] == _count_matching(root, "measures", ["title", "body"], "信用")
    _shot(d, "search-chinese")

    # on to the tasks table: Datasette's own ?_search= gives the same count
    d.find_element(By.CSS_SELECTOR, "section.search-table[data-table=tasks] h2 a").click()
    _wait(d, lambda drv: "_search=" in drv.current_url)
    heading = d.find_element(By.CSS_SELECTOR, "h3").text
    assert heading.startswith(f"{counts['tasks']} rows where search matches"), heading

    # click a facet: the first document in the document_id facet
    facet = d.find_element(By.CSS_SELECTOR, ".facet-info[data-column=document_id] li a")
    facet.click()
    _wait(d, lambda drv: "document_id=" in drv.current_url)
    document_id = urllib.parse.parse_qs(urllib.parse.urlparse(d.current_url).query)["document_id"][0]
    expected = _sql(root, "SELECT count(*) FROM tasks WHERE document_id = ? AND instr(text_clean, '信用') > 0",
                    document_id)[0][0]
    assert d.find_element(By.CSS_SELECTOR, "h3").text.startswith(f"{expected} row"), d.current_url
    rows = d.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    assert len(rows) == expected
    _shot(d, "facet")

    # open a task's page and see its units and the source lines it came from
    rows[0].find_element(By.CSS_SELECTOR, "td.col-task_id a").click()
    _wait(d, lambda drv: drv.find_elements(By.ID, "source-lines"))
    task_id = d.current_url.rstrip("/").rsplit("/", 1)[1]
    line, source = _sql(root, "SELECT t.source_line, d.source_file FROM tasks t JOIN documents d USING (document_id) "
                              "WHERE task_id = ?", task_id)[0]
    printed = _sql(root, "SELECT text FROM _source_lines WHERE source_file = ? AND line = ?", source, line)[0][0]
    hit = d.find_element(By.CSS_SELECTOR, "#source-lines .hit").text
    assert hit.startswith(f"{line:>5} |") and printed.strip()[:10] in hit
    units = _sql(root, "SELECT u.name_en FROM assignments a JOIN units u USING (unit_id) WHERE a.task_id = ?", task_id)
    page = d.find_element(By.TAG_NAME, "body").text
    assert all(name in page for (name,) in units)
    _shot(d, "task")

    # an English word: the units' English names, the targets' metrics, the indicators
    d.get(url + "/-/search")
    box = d.find_element(By.CSS_SELECTOR, "form.bizenv-search input[name=q]")
    box.send_keys("Electricity", Keys.ENTER)
    _wait(d, lambda drv: drv.find_elements(By.ID, "search-total"))
    counts = {s.get_attribute("data-table"): int(s.get_attribute("data-count"))
              for s in d.find_elements(By.CSS_SELECTOR, "section.search-table")}
    assert counts["targets"] == _count_matching(root, "targets", ["quote", "metric"], "electricity") > 5
    assert counts["units"] == _count_matching(root, "units", ["name", "name_en"], "electricity")
    assert counts["indicators"] == _count_matching(root, "indicators", ["name_zh", "name_en", "description"],
                                                   "electricity") > 0
    _shot(d, "search-english")

    # run a canned query from the home page and download its answer as .xlsx
    d.get(url + "/")
    d.find_element(By.PARTIAL_LINK_TEXT, "Which agencies lead the most tasks?").click()
    _wait(d, lambda drv: drv.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr"))
    shown = d.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    assert len(shown) == 10
    _shot(d, "canned-query")
    sheet = openpyxl.load_workbook(_download(d, d.find_element(By.LINK_TEXT, "xlsx"), ".xlsx")).active
    assert sheet.cell(1, 1).value == "name" and sheet.max_row == 11
    assert sheet.cell(2, 1).value == shown[0].find_element(By.CSS_SELECTOR, "td").text

    # a whole table as .xlsx: every row, not just the page on screen
    d.get(url + "/bizenv/assignments?role=lead")
    sheet = openpyxl.load_workbook(_download(d, d.find_element(By.LINK_TEXT, "xlsx"), ".xlsx")).active
    leads = _sql(root, "SELECT count(*) FROM assignments WHERE role = 'lead'")[0][0]
    assert sheet.max_row == leads + 1 and leads > 100
