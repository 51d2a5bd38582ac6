"""The dashboard on big studies: page load and one live update, at 1,000 and 100,000 trials.

A study of N completed trials (4 sites, 5 intermediate reports for the last 300) is written
through the runtime's ``Study`` API; `glovec dashboard` serves it (uvicorn on 127.0.0.1, in
this process). Measured:

- server: ``GET /api/trials`` the first time (every trial rendered) and again (cached), with
  its size; one update: a trial finishes in the study, then ``GET /api/updates`` (the study
  read again, only the changed rows sent), with its size;
- browser (headless Chromium, when installed): the page's load, from navigation to the
  table drawn (all N trials fetched and merged), and one update round in the page (fetch, merge
  one trial into N, sort, redraw the table): ``glovec dashboard``'s ``update()``, timed after
  the importance chart the page asks for at load has arrived.

    python bench/dashboard.py            # 1,000 and 100,000 trials, ~2 minutes
    python bench/dashboard.py --quick    # 1,000 and 10,000
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from _common import machine, note, parse_args, save, table, versions  # noqa: E402

SPACE = {
    "glovec_space": 1, "source": "bench.py", "metrics": [], "reports": [],
    "objective": {"direction": "maximize", "line": 9, "col": 9},
    "sites": [
        {"id": "lr", "kind": "floatv", "line": 1, "col": 6, "lo": 1e-4, "hi": 1e-1,
         "scale": "log", "default": 1e-3, "repeat": 1},
        {"id": "width", "kind": "oneof", "line": 2, "col": 9, "candidates": ["16", "32", "64", "128"],
         "default": 2, "repeat": 1},
        {"id": "depth", "kind": "intv", "line": 3, "col": 9, "lo": 1, "hi": 8, "step": 1,
         "scale": "linear", "default": 2, "repeat": 1},
        {"id": "act", "kind": "oneof", "line": 4, "col": 7,
         "candidates": ['"relu"', '"gelu"', '"tanh"'], "default": 0, "repeat": 1},
    ],
}


def make_study(path: str, n: int) -> None:
    from glovec.runtime.study import Study

    rng = random.Random(0)
    study = Study.open(path, SPACE)
    for i in range(n):
        lr = 10 ** rng.uniform(-4, -1)
        dna = {"lr": lr, "width": rng.randrange(4), "depth": rng.randint(1, 8), "act": rng.randrange(3)}
        tid = study.add_trial(dna, status="running")
        reports = [(s, 0.1 * s + rng.random() * 0.05) for s in range(5)] if i >= n - 300 else None
        status = rng.random()
        if status < 0.05:
            study.fail(tid, "Traceback (most recent call last):\nRuntimeError: diverged")
        elif status < 0.15 and reports:
            study.prune(tid, reports=reports[:2])
        else:
            study.complete(tid, 1 - abs(math.log10(lr) + 2) / 3 + rng.gauss(0, 0.05), {"loss": rng.random()},
                           reports=reports)
    study.close()


def serve(board):
    import uvicorn

    from glovec.dashboard.app import create_app

    config = uvicorn.Config(create_app(board), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}/"


def fetch(url: str) -> tuple[float, bytes, dict]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        body = response.read()
        headers = {k.lower(): v for k, v in response.headers.items()}
    return time.perf_counter() - t0, body, headers


def one_trial_finishes(path: str) -> None:
    from glovec.runtime.study import Study

    study = Study.open(path, SPACE, resume=True)
    tid = study.add_trial({"lr": 0.01, "width": 1, "depth": 3, "act": 1}, status="running")
    study.complete(tid, 0.99)
    study.close()


def measure(n: int, folder: str, browser) -> dict:
    from glovec.dashboard.app import Dashboard

    path = os.path.join(folder, f"bench{n}.glovec.db")
    note(f"writing a study of {n:,} trials ...")
    make_study(path, n)
    t0 = time.perf_counter()
    board = Dashboard(path)  # reads and renders every trial once
    open_s = time.perf_counter() - t0
    board.feed.min_interval = 0
    server, thread, url = serve(board)
    try:
        first_s, body, headers = fetch(url + "api/trials")
        again_s, _, _ = fetch(url + "api/trials")
        cursor, generation = headers["x-glovec-cursor"], headers["x-glovec-generation"]
        one_trial_finishes(path)
        update_s, update_body, _ = fetch(f"{url}api/updates?since={cursor}&generation={generation}")
        row = {"trials": n, "open_s": open_s, "api_trials_first_s": first_s,
               "api_trials_cached_s": again_s, "api_trials_bytes": len(body),
               "api_update_s": update_s, "api_update_bytes": len(update_body)}
        if browser is not None:
            browser.get(url)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                loaded = browser.execute_script("return window.glovecDashboard && "
                                                "window.glovecDashboard.state.loadedMs")
                if loaded:
                    break
                time.sleep(0.1)
            row["page_load_s"] = loaded / 1000 if loaded else None
            while time.monotonic() < deadline and not browser.execute_script(
                    "return window.glovecDashboard.state.importance.length"):
                time.sleep(0.1)  # the importance the page asked for at load: not an update's cost
            shown = browser.execute_script("return window.glovecDashboard.state.ids.length")
            assert shown == n + 1, (shown, n)
            one_trial_finishes(path)
            browser.set_script_timeout(120)
            update_ms = browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "const t0 = performance.now();"
                "window.glovecDashboard.update().then(() => done(performance.now() - t0));")
            row["page_update_s"] = update_ms / 1000
            assert browser.execute_script("return window.glovecDashboard.state.ids.length") == n + 2
        return row
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        board.feed.close()


def main() -> int:
    args = parse_args(__doc__)
    sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    browser = None
    try:
        from dashboard_browser import start_browser

        browser = start_browser()
    except Exception as exc:  # noqa: BLE001 - the server figures stand on their own
        note(f"no browser figures: {exc}")
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="glovec-dashboard-") as folder:
            for n in sizes:
                rows.append(measure(n, folder, browser))
    finally:
        if browser is not None:
            browser.quit()

    def s(v):
        return "n/a" if v is None else f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"

    print(table([[f"{r['trials']:,}", s(r["open_s"]), s(r["api_trials_first_s"]),
                  s(r["api_trials_cached_s"]), f"{r['api_trials_bytes'] / 1e6:.1f} MB",
                  s(r["api_update_s"]), f"{r['api_update_bytes']:,} B",
                  s(r.get("page_load_s")), s(r.get("page_update_s"))] for r in rows],
                ["trials", "server start", "/api/trials", "again", "size", "/api/updates",
                 "size", "page load", "page update"]))
    save("dashboard", {"rows": rows, "machine": machine(),
                       "versions": versions("starlette", "uvicorn", "selenium")}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
