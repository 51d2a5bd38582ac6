"""The command modules the click group in ``glovec/cli.py`` loads: one module per family of commands."""
