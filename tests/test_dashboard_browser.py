"""The dashboard in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by Selenium against `glovec dashboard` run as a user runs it.

The page loads, the table shows the study's trials, the charts render, a live run adds rows
without a reload, and editing a site in the page rewrites its `# glovec:` comment so that
`glovec space` shows the new candidates. Skipped where Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from dashboard_browser import chromium_paths, start_browser

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("selenium")
if chromium_paths() is None:
    pytest.skip("chromium and chromedriver are not installed (apt-get install -y chromium "
                "chromium-driver)", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAM = """\
import time

lr = 0.01  # glovec: floatv(1e-4, 1e-1, scale="log")
width = 64  # glovec: oneof([16, 32, 64, 128])
act = "relu"  # glovec: oneof(["relu", "gelu"])

time.sleep(0.3)
acc = 0.0
for epoch in range(3):
    acc = acc + (1 - acc) * (0.3 + width / 400)  # glovec: report(step=epoch)
score = acc - lr  # glovec: objective
"""


def glovec(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "glovec.cli", *args], env=env, text=True,
                          capture_output=True, timeout=300, **kwargs)


def wait_for(predicate, timeout: float = 30.0, what: str = "the page"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - the page is still loading
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture()
def served(tmp_path):
    program = tmp_path / "toy.py"
    program.write_text(PROGRAM)
    db = tmp_path / "toy.glovec.db"
    first = glovec("run", str(program), "--trials", "4", "--study", str(db), "--seed", "1")
    assert first.returncode == 0, first.stderr
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(
        [sys.executable, "-m", "glovec.cli", "dashboard", str(db), "--source", str(program),
         "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert match, line
        browser = start_browser()
        try:
            yield browser, match.group(1), program, db
        finally:
            browser.quit()
    finally:
        server.terminate()
        server.wait(timeout=20)


def rows(browser) -> list[str]:
    return [r.get_attribute("data-id") for r in browser.find_elements(By.CSS_SELECTOR, "#trials tbody tr")]


def test_the_page_follows_a_live_run_and_edits_the_space(served):
    browser, url, program, db = served
    browser.get(url)
    wait_for(lambda: len(rows(browser)) == 4, what="the 4 trials in the table")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#trials thead th")]
    assert headers[:2] == ["trial", "status"] and "width" in headers and "act" in headers

    # sorting by objective (maximize: best first) puts the study's best trial on top
    best = json.loads(glovec("report", str(db), "--json").stdout)["best"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-key="obj0"]').click()
    wait_for(lambda: rows(browser)[0] == str(best), what="the best trial first")

    # the charts render (canvas drawn by ECharts)
    browser.get(url + "#charts")
    for chart in ("c-history", "c-curves", "c-parallel", "c-importance"):
        wait_for(lambda: browser.find_element(By.CSS_SELECTOR, f"#{chart} canvas").size["width"] > 100,
                 what=f"the {chart} chart")

    # a live run adds rows without a reload
    browser.get(url + "#trials")
    wait_for(lambda: len(rows(browser)) == 4, what="the table")
    run = subprocess.Popen([sys.executable, "-m", "glovec.cli", "run", str(program), "--trials",
                            "16", "--study", str(db), "--resume"],
                           env={**os.environ, "PYTHONPATH": ROOT}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: 4 < len(rows(browser)) < 16, timeout=60, what="rows while the run goes on")
        wait_for(lambda: len(rows(browser)) == 16, timeout=90, what="all 16 trials")
    finally:
        assert run.wait(timeout=120) == 0

    # a trial's page
    browser.get(url + "#trial/2")
    wait_for(lambda: "Trial 2" in browser.find_element(By.CSS_SELECTOR, "#view-trial h2").text)
    wait_for(lambda: browser.find_element(
        By.XPATH, "//*[@id='view-trial']//tr[td[1]='ran on']/td[2]").text == "this machine",
        what="where the trial ran")
    link = browser.find_element(By.LINK_TEXT, "Download as plain code")
    assert link.get_attribute("href").endswith("/api/trials/2/materialized")

    # the space editor rewrites the comment
    browser.get(url + "#space")
    field = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, 'input[data-site="width"]'),
                     what="the space editor")
    assert field.get_attribute("value") == "oneof([16, 32, 64, 128])"
    field.clear()
    field.send_keys("oneof([16, 32])")  # 64, the program's value, is no candidate: refused
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-site="width"]')
    row.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: "GV112" in row.find_element(By.CSS_SELECTOR, ".error").text, what="GV112")
    assert "oneof([16, 32, 64, 128])" in program.read_text()
    # drop the width of a trial that did not use the program's 64, add 256
    trials = json.loads(glovec("report", str(db), "--json").stdout)["trials"]
    moved = next(t for t in trials if t["decisions"]["width"] != "64")
    kept = [c for c in ("16", "32", "64", "128") if c != moved["decisions"]["width"]] + ["256"]
    new_spec = f"oneof([{', '.join(kept)}])"
    field.clear()
    field.send_keys(new_spec)
    row.find_element(By.CSS_SELECTOR, "button.secondary").click()
    wait_for(lambda: f"+width = 64  # glovec: {new_spec}"
             in row.find_element(By.CSS_SELECTOR, "pre").text, what="the diff")
    row.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: "written" in row.text, what="the write")
    assert program.read_text() == PROGRAM.replace("oneof([16, 32, 64, 128])", new_spec)
    space = json.loads(glovec("space", str(program), "--json").stdout)
    assert [s["candidates"] for s in space["sites"] if s["id"] == "width"] == [kept]

    # the study's decisions are indices into the space before the edit: until a
    # `--resume --migrate` run, a trial's download says why it is refused instead of saving
    browser.get(url + f"#trial/{moved['id']}")
    link = wait_for(lambda: browser.find_element(By.LINK_TEXT, "Download as plain code"))
    link.click()
    wait_for(lambda: "GV503" in browser.find_element(By.ID, "download-error").text,
             what="GV503: the study's trials are from the space before the edit")


def test_the_static_report_shows_the_same_views(tmp_path):
    program = tmp_path / "toy.py"
    program.write_text(PROGRAM.replace("time.sleep(0.3)", "time.sleep(0)"))
    db = tmp_path / "toy.glovec.db"
    assert glovec("run", str(program), "--trials", "6", "--study", str(db)).returncode == 0
    report = tmp_path / "report.html"
    done = glovec("report", str(db), "--html", str(report))
    assert done.returncode == 0, done.stderr
    browser = start_browser()
    try:
        browser.get(report.as_uri())
        wait_for(lambda: len(rows(browser)) == 6, what="the 6 trials of the report")
        assert browser.find_element(By.ID, "live").text == "static report"
        browser.get(report.as_uri() + "#charts")
        browser.refresh()
        wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#c-history canvas").size["width"] > 100,
                 what="the history chart")
        browser.get(report.as_uri() + "#trial/1")
        browser.refresh()
        wait_for(lambda: "Trial 1" in browser.find_element(By.CSS_SELECTOR, "#view-trial h2").text)
        assert not browser.find_elements(By.LINK_TEXT, "Download as plain code")
    finally:
        browser.quit()
