"""glovec dashboard: its JSON endpoints over a real study, the live feed, the space editor,
the guards, PED-ANOVA importance and `glovec report --html` (the page itself is driven in
Chromium by tests/test_dashboard_browser.py)."""

from __future__ import annotations

import json
import random

import pytest

from glovec.cli import main

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from glovec.dashboard.app import Dashboard, create_app, safe_site_id  # noqa: E402
from glovec.dashboard.importance import ped_anova  # noqa: E402
from glovec.runtime.study import Study  # noqa: E402
from glovec.space_edit import SpecEditError, set_spec  # noqa: E402

PROGRAM = """\
import math

lr = 0.01  # glovec: floatv(1e-4, 1e-1, scale="log")
width = 64  # glovec: oneof([16, 32, 64, 128])
act = "relu"  # glovec: oneof(["relu", "gelu", "tanh"])

if act == "tanh" and width == 128:
    raise RuntimeError("diverged")
acc = 0.0
for epoch in range(3):
    acc = acc + (1 - acc) * (0.3 + width / 400)  # glovec: report(step=epoch)
score = acc - abs(math.log10(lr) + 2) / 20  # glovec: objective
"""


@pytest.fixture()
def study(tmp_path):
    program = tmp_path / "toy.py"
    program.write_text(PROGRAM)
    db = tmp_path / "toy.glovec.db"
    assert main(["run", str(program), "--trials", "12", "--study", str(db), "--seed", "3"]) == 0
    return program, db


def client(board: Dashboard, host: str = "127.0.0.1:8080") -> TestClient:
    return TestClient(create_app(board), base_url=f"http://{host}")


def report_json(db, capsys) -> dict:
    capsys.readouterr()
    assert main(["report", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_trials_is_the_report_json_document(study, capsys):
    program, db = study
    board = Dashboard(str(db), source=str(program))
    response = client(board).get("/api/trials")
    assert response.status_code == 200
    assert response.json() == report_json(db, capsys)
    assert int(response.headers["x-glovec-cursor"]) >= 1
    assert len(response.json()["trials"]) == 12


def test_updates_send_only_what_changed(study, capsys):
    program, db = study
    board = Dashboard(str(db))
    board.feed.min_interval = 0
    web = client(board)
    first = web.get("/api/trials")
    cursor, generation = first.headers["x-glovec-cursor"], first.headers["x-glovec-generation"]
    quiet = web.get(f"/api/updates?since={cursor}&generation={generation}").json()
    assert quiet["full"] is False and quiet["trials"] == [] and quiet["cursor"] == int(cursor)

    writer = Study.open(str(db), Study.load(str(db)).space_doc, resume=True)
    try:
        running = writer.add_trial({"lr": 0.001, "width": 1, "act": 0}, status="running")
        writer.report(running, 0, 0.25)
        step = web.get(f"/api/updates?since={cursor}&generation={generation}").json()
        assert [t["id"] for t in step["trials"]] == [running]
        assert step["trials"][0]["status"] == "running"
        assert step["reports"] == {str(running): [[0, 0.25]]}
        assert step["summary"]["counts"]["running"] == 1
        cursor = step["cursor"]
        writer.complete(running, 0.75)
        done = web.get(f"/api/updates?since={cursor}&generation={generation}").json()
        assert [(t["id"], t["status"], t["objective"]) for t in done["trials"]] == [
            (running, "completed", 0.75)]
    finally:
        writer.close()
    # what the page now holds is what `glovec report --json` prints
    assert web.get("/api/trials").json() == report_json(db, capsys)
    # an unknown cursor or generation asks for the whole document again
    assert web.get("/api/updates?since=0&generation=other").json()["full"] is True


def test_trial_page_data_and_materialized_download(study, tmp_path, capsys):
    program, db = study
    web = client(Dashboard(str(db), source=str(program)))
    trial = web.get("/api/trials/2").json()
    assert trial["id"] == 2 and "decisions" in trial and "started" in trial
    if trial["status"] == "completed":
        assert [r[0] for r in trial["reports"]] == [0, 1, 2]
    assert web.get("/api/trials/999").status_code == 404
    download = web.get("/api/trials/2/materialized")
    assert download.status_code == 200
    assert 'filename="toy_trial2.py"' in download.headers["content-disposition"]
    capsys.readouterr()
    assert main(["materialize", str(program), "--trial", "2", "--study", str(db)]) == 0
    assert download.text == capsys.readouterr().out
    assert "_gv" not in download.text
    failed = [t for t in report_json(db, capsys)["trials"] if t["status"] == "failed"]
    if failed:
        page = web.get(f"/api/trials/{failed[0]['id']}").json()
        assert "diverged" in page["error"]


def test_space_editor_rewrites_only_the_spec(study, capsys):
    program, db = study
    board = Dashboard(str(db), source=str(program))
    board.feed.min_interval = 0  # every poll reads the file (a page polls every second or so)
    web = client(board)
    capsys.readouterr()
    assert main(["space", str(program), "--json"]) == 0
    assert web.get("/api/space").json() == json.loads(capsys.readouterr().out)
    assert web.get("/api/specs").json()["width"]["spec"] == "oneof([16, 32, 64, 128])"

    before = program.read_bytes()
    preview = web.post("/api/space/width?preview=1", json={"spec": "oneof([16, 32, 64, 128, 256])"})
    assert preview.status_code == 200 and not preview.json()["written"]
    assert "+width = 64  # glovec: oneof([16, 32, 64, 128, 256])" in preview.json()["diff"]
    assert program.read_bytes() == before

    applied = web.post("/api/space/width", json={"spec": "oneof([16, 32, 64, 128, 256])"})
    assert applied.status_code == 200 and applied.json()["written"]
    after = program.read_bytes()
    assert after == before.replace(b"oneof([16, 32, 64, 128])", b"oneof([16, 32, 64, 128, 256])")
    capsys.readouterr()
    assert main(["space", str(program), "--json"]) == 0
    space = json.loads(capsys.readouterr().out)
    assert space["sites"][1]["candidates"] == ["16", "32", "64", "128", "256"]
    assert applied.json()["space"] == space
    # the study's decisions index the old space: a download writes the value the trial ran
    ran = next(t for t in web.get("/api/trials").json()["trials"] if t["id"] == 2)
    download = web.get("/api/trials/2/materialized")
    assert download.status_code == 200
    assert (f"width = {ran['decisions']['width']}  # glovec: oneof([16, 32, 64, 128, 256])"
            in download.text)
    before_migrate = web.get("/api/trials").headers
    # the next --resume --migrate run searches the new space and keeps the old trials
    assert main(["run", str(program), "--trials", "14", "--study", str(db), "--resume",
                 "--migrate"]) == 0
    assert Study.load(str(db)).space_doc["sites"][1]["candidates"][-1] == "256"
    assert web.get("/api/trials/2/materialized").status_code == 200
    updated = web.get(f"/api/updates?since={before_migrate['x-glovec-cursor']}"
                      f"&generation={before_migrate['x-glovec-generation']}").json()
    assert updated["full"] is True  # the page reloads the migrated study
    assert updated["generation"] != before_migrate["x-glovec-generation"]
    assert len(web.get("/api/trials").json()["trials"]) == 14


def test_space_editor_refusals(study):
    program, db = study
    web = client(Dashboard(str(db), source=str(program)))
    before = program.read_bytes()
    bad = web.post("/api/space/width", json={"spec": "oneof([16, 32"})
    assert bad.status_code == 400
    assert bad.json()["diagnostics"][0]["code"] == "GV101"
    assert bad.json()["diagnostics"][0]["text"].startswith(f"{program}:4:")
    illegal = web.post("/api/space/width", json={"spec": "oneof([16, 32])"})
    assert illegal.status_code == 400
    assert "GV112" in illegal.json()["diagnostics"][0]["text"]
    assert web.post("/api/space/nope", json={"spec": "oneof([1])"}).status_code == 404
    for trick in ("../../etc/passwd", "..", "/etc/passwd", "a\\b", "a%00b"):
        response = web.post(f"/api/space/{trick}", json={"spec": "oneof([1])"})
        assert response.status_code in (400, 404), trick
    assert web.post("/api/space/width", content=b'{"spec": "oneof([64])"}',
                    headers={"content-type": "text/plain"}).status_code == 415
    assert web.post("/api/space/width", json={"specs": "x"}).status_code == 400
    assert program.read_bytes() == before

    read_only = client(Dashboard(str(db), source=str(program), read_only=True))
    assert read_only.post("/api/space/width", json={"spec": "oneof([64, 128])"}).status_code == 403
    assert read_only.post("/api/space/width?preview=1", json={"spec": "oneof([64, 128])"}).status_code == 200
    assert program.read_bytes() == before
    without = client(Dashboard(str(db)))
    assert without.get("/api/space").status_code == 404
    assert without.post("/api/space/width", json={"spec": "oneof([64])"}).status_code == 404


def test_safe_site_ids():
    assert safe_site_id("build_model.Dense.units") and safe_site_id("opt[=1].SGD.momentum")
    assert safe_site_id("op[3]") and safe_site_id("blocks/conv")
    for bad in ("", "../x", "a/../b", "/abs", "a\\b", "a\x00b", "x" * 600):
        assert not safe_site_id(bad)


def test_token_and_host_guards(study):
    program, db = study
    board = Dashboard(str(db), source=str(program), token="s3cret", hosts=("0.0.0.0",))
    web = client(board, host="192.0.2.7:8080")
    assert web.get("/api/trials").status_code == 401
    assert web.get("/api/trials?token=wrong").status_code == 401
    assert web.get("/api/trials", headers={"X-Glovec-Token": "s3cret"}).status_code == 200
    page = web.get("/?token=s3cret")
    assert page.status_code == 200 and "glovec_token" in page.headers["set-cookie"]
    assert web.get("/api/trials").status_code == 200  # the cookie the page set
    local = Dashboard(str(db))
    assert client(local, host="evil.example:8080").get("/api/trials").status_code == 421
    assert client(local, host="localhost:8080").get("/api/trials").status_code == 200


def test_page_and_static_files(study):
    program, db = study
    web = client(Dashboard(str(db), source=str(program)))
    page = web.get("/").text
    assert 'src="static/echarts.min.js"' in page and "GLOVEC_CONFIG" in page
    assert "http://" not in page and "https://" not in page  # nothing from the internet
    assert web.get("/static/echarts.min.js").status_code == 200
    assert web.get("/static/app.js").status_code == 200


def test_report_html_is_one_self_contained_file(study, tmp_path, capsys):
    program, db = study
    out = tmp_path / "report.html"
    assert main(["report", str(db), "--html", str(out)]) == 0
    html = out.read_text()
    assert "<script src=" not in html and 'rel="stylesheet" href' not in html
    assert "window.GLOVEC_DATA" in html and "echarts" in html
    start = html.index("window.GLOVEC_DATA = ") + len("window.GLOVEC_DATA = ")
    data = json.loads(html[start:html.index(";</script>", start)].replace("<\\/", "</"))
    assert data["study"] == report_json(db, capsys)
    assert data["reports"] and isinstance(data["importance"], list)


def test_dashboard_command_refuses_a_missing_study(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path / "nope.db")]) == 1
    assert "GV501" in capsys.readouterr().err


# ---- importance ----------------------------------------------------------------------------


def _synthetic(n: int, seed: int = 0) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    space = {"sites": [
        {"id": "lr", "kind": "floatv", "lo": 1e-4, "hi": 1e-1, "scale": "log"},
        {"id": "units", "kind": "oneof", "candidates": ["16", "32", "64"]},
        {"id": "noise", "kind": "intv", "lo": 0, "hi": 100, "step": 1, "scale": "linear"},
        {"id": "seedless", "kind": "oneof", "candidates": ["'a'", "'b'"]},
    ]}
    trials = []
    for _ in range(n):
        lr = 10 ** rng.uniform(-4, -1)
        units = rng.choice(["16", "32", "64"])
        decisions = {"lr": lr, "units": units, "noise": rng.randint(0, 100),
                     "seedless": rng.choice(["'a'", "'b'"])}
        # the objective depends on lr (best near 1e-2) and a little on units
        score = -abs(__import__("math").log10(lr) + 2) + (0.3 if units == "64" else 0.0)
        trials.append({"objective": score + rng.gauss(0, 0.02), "decisions": decisions})
    return trials, space


def test_ped_anova_ranks_the_sites_that_matter_first():
    trials, space = _synthetic(400)
    ranked = ped_anova(trials, space, "maximize")
    names = [r["site"] for r in ranked]
    assert names[:2] == ["lr", "units"]
    assert abs(sum(r["importance"] for r in ranked) - 1.0) < 1e-9
    shares = {r["site"]: r["importance"] for r in ranked}
    assert shares["lr"] > 0.5 and shares["noise"] < 0.1 and shares["seedless"] < 0.1
    # minimising the same numbers prefers the other end: lr still matters most
    assert ped_anova(trials, space, "minimize")[0]["site"] == "lr"
    assert ped_anova(trials[:3], space) == []


def test_importance_endpoint(study):
    program, db = study
    ranked = client(Dashboard(str(db))).get("/api/importance").json()
    assert {r["site"] for r in ranked} <= {"lr", "width", "act"}


# ---- set_spec on other kinds of site ----------------------------------------------------------


def test_set_spec_annotations_nested_and_layout():
    source = (
        "\ufeffimport glovec.hints as gh\r\n"
        "from typing import Annotated\r\n"
        "def f(width: Annotated[int, gh.oneof([16, 32])] = 32):\r\n"
        "    return width\r\n"
        'opt = "sgd"  # glovec: oneof(["sgd", dict(m=oneof([0.9, 0.99]))])\r\n'
        "y = f()  # glovec: objective\r\n"
    ).encode("utf-8")
    edit = set_spec(source, "m.py", "f.width", "oneof([16, 32, 48])")
    assert edit.data == source.replace(b"gh.oneof([16, 32])", b"gh.oneof([16, 32, 48])")
    assert edit.site.origin == "annotation"
    nested = set_spec(source, "m.py", "opt[=1].dict.m", "floatv(0.5, 0.999)")
    assert nested.data == source.replace(b"oneof([0.9, 0.99])", b"floatv(0.5, 0.999)")
    with pytest.raises(SpecEditError) as refused:
        set_spec(source, "m.py", "f.width", "oneof([16,\n 32])")
    assert refused.value.diagnostics[0].code == "GV101"
    with pytest.raises(SpecEditError) as unknown:
        set_spec(source, "m.py", "f.width", "nope([1])")
    assert unknown.value.diagnostics[0].code == "GV102"


def test_rules_sites_edit_the_rules_file(tmp_path, capsys):
    program = tmp_path / "prog.py"
    program.write_text("units = 64\nlr = 0.01\nscore = units * lr  # glovec: objective\n")
    rules = tmp_path / "rules.toml"
    rules.write_text('# mine\n[[rule]]\nassign = "units"\nvalues = "[x // 2, x, x * 2]"  # keep me\n'
                     '\n[[rule]]\nassign = "lr"\nvalues = \'floatv(x / 10, x * 10, scale="log")\'\n')
    db = tmp_path / "prog.glovec.db"
    assert main(["run", str(program), "--rules", str(rules), "--trials", "3", "--study", str(db)]) == 0
    web = client(Dashboard(str(db), source=str(program), rules=str(rules)))
    specs = web.get("/api/specs").json()
    assert specs["units"]["spec"] == "[x // 2, x, x * 2]" and specs["units"]["origin"] == "rules"
    assert specs["units"]["rule"].endswith("rules.toml:4")
    program_before, rules_before = program.read_bytes(), rules.read_text()
    bad = web.post("/api/space/units", json={"spec": "[x // 2, x * 2]"})  # 64 is no candidate
    assert bad.status_code == 400
    problem = bad.json()["diagnostics"][0]
    assert problem["code"] == "GV310" and f"{rules}:2 selects" in problem["message"]
    assert rules.read_text() == rules_before
    done = web.post("/api/space/units", json={"spec": "[x // 4, x // 2, x, x * 2]"})
    assert done.status_code == 200, done.json()
    assert rules.read_text() == rules_before.replace('"[x // 2, x, x * 2]"', "'[x // 4, x // 2, x, x * 2]'")
    assert program.read_bytes() == program_before
    capsys.readouterr()
    assert main(["space", str(program), "--rules", str(rules), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sites"][0]["candidates"] == ["16", "32", "64", "128"]
    # a preset's rules are not edited
    preset = client(Dashboard(str(db), source=str(program), rules="keras"))
    assert preset.post("/api/space/units", json={"spec": "[x]"}).status_code in (404, 409)
