"""The dashboard's web application (Starlette): the page, its JSON endpoints, and the guards.

Endpoints (stable for scripts; docs/dashboard.md):

    GET  /api/trials                  the document `glovec report --json` prints (compact);
                                      headers X-Glovec-Cursor and X-Glovec-Generation
    GET  /api/updates?since=C&generation=G
                                      what changed after cursor C (feed.Feed.updates)
    GET  /api/trials/<id>             one trial: its report entry, timestamps, reports
    GET  /api/trials/<id>/materialized
                                      that trial written into the source as plain code
                                      (`glovec materialize --trial`; needs --source)
    GET  /api/reports?last=N          intermediate reports of the last N trials that have any
    GET  /api/importance              PED-ANOVA importance per site (importance.ped_anova)
    GET  /api/space                   `glovec space --json` of the source (needs --source)
    GET  /api/specs                   each site's spec text and where it is written
    POST /api/space/<site id>         {"spec": "..."}: rewrite that site's spec in the source,
                                      answer the new space; ?preview=1 answers the diff only;
                                      400 with GV diagnostics when the spec is refused

Guards: a request's Host must name the address the server listens on (no DNS rebinding); with
a token (any --host other than loopback) every request carries it (``?token=``, the
``X-Glovec-Token`` header, or the cookie the page sets); writes need a JSON body, are refused
with --read-only, and touch only the --source file, atomically.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import tempfile
import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from glovec.dashboard.importance import ped_anova
from glovec.dashboard.live import Feed
from glovec.dashboard.page import STATIC, page_html

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Dashboard:
    """Everything one server serves: the study feed, the source, the settings."""

    def __init__(self, study: str, source: str | None = None, rules: str | None = None,
                 read_only: bool = False, token: str | None = None,
                 hosts: tuple[str, ...] = LOOPBACK) -> None:
        self.feed = Feed(study)
        self.source = os.path.abspath(source) if source else None
        self.rules = rules
        self.read_only = read_only
        self.token = token
        self.hosts = tuple(h.strip("[]").lower() for h in hosts)
        self._write_lock = threading.Lock()
        self._importance: tuple[tuple, list] | None = None
        self._importance_at = 0.0

    # ---- source ----------------------------------------------------------------------------

    def _read_source(self) -> bytes:
        with open(self.source, "rb") as fh:
            return fh.read()

    def compile(self):
        from glovec.compiler import compile_source

        data = self._read_source()
        return data, compile_source(data, self.source_name(), rules=self.rules)

    def source_name(self) -> str:
        """The source as diagnostics name it: relative to the working folder when inside it."""
        rel = os.path.relpath(self.source)
        return self.source if rel.startswith("..") else rel

    def importance(self) -> list:
        feed = self.feed
        key = (feed.generation, feed.refresh())
        now = time.monotonic()
        if self._importance is None or (self._importance[0] != key and now - self._importance_at > 5):
            space = feed.study.space_doc
            result = ped_anova(feed.completed(), space, feed.study.directions[0])
            self._importance = (key, result)
            self._importance_at = now
        return self._importance[1]


def _error(status: int, message: str, diagnostics=(), path: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "diagnostics": [
        {"code": d.code, "message": d.message, "line": d.line, "col": d.col,
         "severity": d.severity, "text": d.render(path)} for d in diagnostics]}, status_code=status)


def safe_site_id(site_id: str) -> bool:
    """A site id as glovec makes them: no path tricks (.. segments, absolute paths,
    backslashes, control characters), short."""
    if not site_id or len(site_id) > 500 or site_id.startswith("/") or "\\" in site_id:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in site_id):
        return False
    return ".." not in site_id.split("/")


def create_app(board: Dashboard) -> Starlette:
    feed = board.feed

    async def index(request: Request) -> Response:
        config = {"mode": "live", "readOnly": board.read_only, "source": board.source,
                  "study": feed.path, "token": board.token is not None}
        response = HTMLResponse(page_html(config))
        if board.token and request.query_params.get("token") == board.token:
            response.set_cookie("glovec_token", board.token, httponly=True, samesite="strict")
        return response

    def trials(request: Request) -> Response:
        body, version = feed.document()
        return Response(body, media_type="application/json", headers={
            "X-Glovec-Cursor": str(version), "X-Glovec-Generation": feed.generation,
            "Cache-Control": "no-store"})

    def updates(request: Request) -> Response:
        since = request.query_params.get("since")
        try:
            since_n = int(since) if since is not None else None
        except ValueError:
            return _error(400, "since is a number")
        body = feed.updates(since_n, request.query_params.get("generation"))
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    def trial(request: Request) -> Response:
        data = feed.trial(request.path_params["tid"])
        if data is None:
            return _error(404, f"the study has no trial {request.path_params['tid']}")
        return JSONResponse(data)

    def materialized(request: Request) -> Response:
        tid = request.path_params["tid"]
        if board.source is None:
            return _error(404, "start the dashboard with --source to materialize trials")
        from glovec.cli import main

        args = ["materialize", board.source, "--trial", str(tid), "--study", feed.path]
        if board.rules:
            args += ["--rules", board.rules]
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "trial.py")
            err = io.StringIO()
            with _CLI_LOCK, contextlib.redirect_stderr(err):
                status = main(args + ["-o", out])
            if status != 0:
                return _error(400 if status == 1 else 500, err.getvalue().strip())
            with open(out, "rb") as fh:
                code = fh.read()
        stem = os.path.splitext(os.path.basename(board.source))[0]
        return Response(code, media_type="text/x-python", headers={
            "Content-Disposition": f'attachment; filename="{stem}_trial{tid}.py"'})

    def reports(request: Request) -> Response:
        try:
            last = min(int(request.query_params.get("last", "300")), 5000)
        except ValueError:
            return _error(400, "last is a number")
        return JSONResponse(feed.reports(last=last))

    def importance(request: Request) -> Response:
        return JSONResponse(board.importance())

    def space(request: Request) -> Response:
        if board.source is None:
            return _error(404, "start the dashboard with --source to see and edit the space")
        from glovec.commands.convert import space_json

        _, result = board.compile()
        if result.diagnostics:
            return _error(400, f"{board.source_name()} has problems", result.diagnostics)
        return JSONResponse(space_json(result))

    def specs(request: Request) -> Response:
        if board.source is None:
            return _error(404, "start the dashboard with --source to see and edit the space")
        from glovec.space_edit import compile_rules, site_specs

        data = board._read_source()
        result, rule_sites = compile_rules(data, board.source_name(), board.rules)
        if result.diagnostics:
            return _error(400, f"{board.source_name()} has problems", result.diagnostics)
        return JSONResponse({key: {"spec": s.text, "origin": s.origin, "line": s.line, "col": s.col,
                                   "rule": s.rule}
                             for key, s in site_specs(result, data, rule_sites).items()})

    async def edit(request: Request) -> Response:
        site_id = request.path_params["site_id"]
        if board.source is None:
            return _error(404, "start the dashboard with --source to edit the space")
        preview = request.query_params.get("preview") in ("1", "true")
        if board.read_only and not preview:
            return _error(403, "the dashboard is read-only (--read-only)")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send the spec as JSON: {\"spec\": \"...\"}")
        if not safe_site_id(site_id):
            return _error(400, f"{site_id!r} is not a site id")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, str):
            return _error(400, "the body is {\"spec\": \"<spec text>\"}")
        return _apply(site_id, spec, preview)

    def _apply(site_id: str, spec: str, preview: bool) -> Response:
        from glovec.commands.convert import space_json, unified_diff
        from glovec.files import FileProblem, write_atomic
        from glovec.space_edit import SpecEditError, set_spec

        name = board.source_name()
        with board._write_lock:
            before = board._read_source()
            try:
                edit = set_spec(before, name, site_id, spec, rules=board.rules)
            except SpecEditError as exc:
                return _error(exc.status, exc.message, exc.diagnostics, name)
            # the program, or (a rules site) the rules file --rules named: nothing else
            target = board.source if edit.path is None else edit.path
            if edit.path is not None and (board.rules is None or not os.path.isfile(board.rules)
                                          or not os.path.samefile(edit.path, board.rules)):
                return _error(409, f"{site_id!r} comes from {edit.path}, which is not the rules "
                              "file given with --rules")
            with open(target, "rb") as fh:
                old = fh.read()
            shown = name if edit.path is None else os.path.relpath(edit.path)
            diff = unified_diff(old.decode("utf-8-sig"), edit.data.decode("utf-8-sig"), shown, shown)
            if not preview:
                with open(target, "rb") as fh:
                    if fh.read() != old or board._read_source() != before:
                        return _error(409, f"{shown} changed while it was being edited; try again")
                try:
                    write_atomic(target, edit.data)
                except FileProblem as exc:  # GV602: a folder the dashboard cannot write
                    return _error(500, exc.render())
        return JSONResponse({"written": not preview, "diff": diff, "spec": edit.site.text,
                             "site": edit.site.id, "file": target, "space": space_json(edit.result)})

    routes = [
        Route("/", index),
        Route("/api/trials", trials),
        Route("/api/updates", updates),
        Route("/api/trials/{tid:int}", trial),
        Route("/api/trials/{tid:int}/materialized", materialized),
        Route("/api/reports", reports),
        Route("/api/importance", importance),
        Route("/api/space", space),
        Route("/api/specs", specs),
        Route("/api/space/{site_id:path}", edit, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_Guard, board=board)
    return app


_CLI_LOCK = threading.Lock()


class _Guard:
    """Host check and token check, before any route (a pure ASGI middleware)."""

    def __init__(self, app, board: Dashboard) -> None:
        self.app = app
        self.board = board

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        board = self.board
        if board.token is None:
            host = (request.headers.get("host") or "").lower()
            hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if hostname.strip("[]") not in board.hosts:
                await JSONResponse({"error": f"unexpected Host {host!r}"}, 421)(scope, receive, send)
                return
        else:
            given = (request.query_params.get("token") or request.headers.get("x-glovec-token")
                     or request.cookies.get("glovec_token") or "")
            if not secrets.compare_digest(given.encode(), board.token.encode()):
                await JSONResponse({"error": "this dashboard needs its token: open the URL "
                                    "it printed at start"}, 401)(scope, receive, send)
                return
        await self.app(scope, receive, send)
