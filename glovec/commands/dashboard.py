"""``glovec dashboard``: a local web page that follows a study live (and edits the space).

    glovec dashboard model.glovec.db                      http://127.0.0.1:8080/
    glovec dashboard model.glovec.db --source model.py    ... with the space editor
    glovec dashboard model.glovec.db --host 0.0.0.0       ... reachable from other machines,
                                                          behind a token printed at start

Needs the ``dashboard`` extra (``pip install 'glovec[dashboard]'``: Starlette and uvicorn).
"""

from __future__ import annotations

import os
import secrets

import click

from glovec.commands._options import rules_option


@click.command("dashboard")
@click.argument("study_path", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option("--source", type=click.Path(dir_okay=False, exists=True), default=None,
              help="the marked program: enables the space editor and trial downloads")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; any but loopback requires the printed token")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="port (0: any free one)")
@click.option("--read-only", is_flag=True, help="refuse every write to the source")
@rules_option
def dashboard_command(study_path, source, host, port, read_only, rules=None) -> int:
    """Serve a page that follows STUDY while a run writes it: trials, charts, the space."""
    try:
        import uvicorn

        from glovec.dashboard.app import LOOPBACK, Dashboard, create_app
    except ImportError as exc:
        click.echo(f"glovec dashboard needs the dashboard extra ({exc.name} is missing): "
                   "pip install 'glovec[dashboard]'", err=True)
        return 2
    from glovec.runtime.study import StudyError

    loopback = host.strip("[]") in LOOPBACK
    token = None if loopback else secrets.token_urlsafe(18)
    try:
        board = Dashboard(study_path, source=source, rules=rules, read_only=read_only, token=token,
                          hosts=LOOPBACK if loopback else (host,))
    except StudyError as exc:
        click.echo(exc.render(), err=True)
        return 1
    if source is not None:
        _, result = board.compile()
        for diagnostic in [*result.diagnostics, *result.warnings]:
            click.echo(diagnostic.render(board.source_name()), err=True)
        if result.diagnostics:
            return 1
    app = create_app(board)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    def started(sockets) -> None:
        bound = sockets[0].getsockname()[1] if sockets else port
        shown = host
        if host in ("0.0.0.0", "::"):  # every address: name this machine
            import socket

            shown = socket.gethostname()
        shown = f"[{shown}]" if ":" in shown else shown
        url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
        click.echo(f"glovec dashboard: {url}  (study {os.path.abspath(study_path)}"
                   + (f", source {source}" if source else "") + (", read-only" if read_only else "")
                   + "; Ctrl-C stops)", err=True)

    _announce(server, started)
    try:
        server.run()
    finally:
        board.feed.close()
    return 0


def _announce(server, started) -> None:
    """Print the URL once the socket is bound (port 0 picks a free port)."""
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        listeners = [s for srv in getattr(server, "servers", []) for s in srv.sockets]
        started(listeners)

    server.startup = startup
