"""The ``glovec`` command line: a click group whose commands live in ``glovec/commands/`` (and
``glovec/check/command.py``).

``main(argv) -> int`` runs a command in-process and returns its exit status, so tests call the CLI
without a subprocess. Exit statuses (docs/guarantees.md): 0 success, 1 the input has problems or
a check failed, 2 usage error or internal error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from glovec.files import FileProblem

# command name -> the module that defines a click command of that name (under glovec.commands,
# or a feature's own folder). Each module owns its commands; adding one here is the only shared
# edit.
COMMANDS = {
    "convert": "glovec.commands.convert",
    "diff": "glovec.commands.convert",
    "space": "glovec.commands.convert",
    "explain": "glovec.commands.convert",
    "run": "glovec.commands.run",
    "report": "glovec.commands.run",
    "materialize": "glovec.commands.run",
    "check": "glovec.check.command",
    "dashboard": "glovec.commands.dashboard",
}


class _Group(click.Group):
    """Loads a command's module only when that command is asked for (keeps start-up short)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module_name = COMMANDS.get(name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        return getattr(module, name.replace("-", "_") + "_command", None)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="glovec")
def cli() -> None:
    """glovec: turn a plain Python ML program into a search space."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` and return the exit status instead of exiting."""
    try:
        result = cli.main(args=argv, prog_name="glovec", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:  # Ctrl-C: 130, as shells report a SIGINT
        click.echo("Aborted.", err=True)
        return 130
    except FileProblem as exc:  # GV601 / GV602: an input or output path that does not work
        click.echo(exc.render(), err=True)
        return 1
    except SystemExit as exc:  # a command that exits explicitly
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except Exception:  # an internal error: short report, exit 2, never 0
        tb = traceback.format_exc(limit=-3)
        click.echo(f"glovec: internal error (please report it):\n{tb}", err=True)
        return 2
    return result if isinstance(result, int) else 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
