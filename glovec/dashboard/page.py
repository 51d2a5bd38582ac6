"""The dashboard's page as HTML: for the live server, and as one self-contained file
(``glovec report STUDY --html OUT.html``: data, styles and scripts inline, nothing fetched).

Needs no web framework: a static report works without the dashboard extra.
"""

from __future__ import annotations

import json
from importlib import resources

STATIC = resources.files("glovec.dashboard") / "static"
REPORT_CURVES = 300  # trials whose intermediate reports a static report carries


def page_html(config: dict, inline_data: dict | None = None) -> str:
    """The page: static/index.html with the config (and, for a static report, the data and
    every script) written in."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    head = f"<script>window.GLOVEC_CONFIG = {_script_json(config)};</script>"
    if inline_data is None:
        scripts = ('<link rel="stylesheet" href="static/style.css">'
                   '<script src="static/echarts.min.js"></script>'
                   '<script src="static/app.js"></script>')
    else:
        style = (STATIC / "style.css").read_text(encoding="utf-8")
        scripts = (f"<style>{style}</style>"
                   f"<script>window.GLOVEC_DATA = {_script_json(inline_data)};</script>"
                   + "".join(f"<script>{(STATIC / name).read_text(encoding='utf-8')}</script>"
                             for name in ("echarts.min.js", "app.js")))
    return html.replace("<!--GLOVEC-HEAD-->", head + scripts)


def _script_json(value) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def static_report(study) -> str:
    """One HTML file with the dashboard's views of ``study`` (a runtime Study) and its data."""
    from glovec.commands.run import study_json
    from glovec.dashboard.importance import ped_anova

    document = study_json(study)
    with_reports = sorted(study.all_reports().items())[-REPORT_CURVES:]
    reports = {str(tid): [[step, list(v) if isinstance(v, tuple) else v] for step, v in rows]
               for tid, rows in with_reports}
    completed = [t for t in document["trials"] if t["status"] == "completed"]
    data = {"study": document, "reports": reports,
            "importance": ped_anova(completed, study.space_doc, study.directions[0])}
    return page_html({"mode": "static", "study": document["study"]}, data)
