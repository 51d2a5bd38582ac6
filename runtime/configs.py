"""Config files at run time: a trial's program reads its own values from the YAML files next to it.

Sites in a YAML config file (``glovec run train.py --config conf/config.yaml``, docs/rules.md
"Config files") are part of the space like the program's own sites. The space document lists
each file under ``configs``: ``{"path": P, "text": T}`` or ``{"path": P, "search": S}``, P being
the YAML file (relative to the folder of the file whose header carries the document), T its
search version in the document itself and S the file that holds it (``glovec convert`` writes
``<stem>_search.yaml`` beside the YAML). A search version is the YAML with each site's value
written ``${glovec:SITE_ID}``.

While a trial runs, the program sees the trial's version of each file at the file's own path:
opening P for reading (``open``, ``io.open``, ``pathlib``, ``yaml.safe_load(open(P))``,
``OmegaConf.load(P)``, Hydra's config loader) gives the search version with each
``${glovec:ID}`` replaced by the trial's value, written as a YAML scalar. Nothing is written to
disk and the file itself is never touched; outside a trial (imported, ``GLOVEC_DEFAULTS=1``) the
program reads the file as it is, which holds the defaults. ``enter`` installs the views for the
active trial (called by ``program()`` in the generated header) and ``hyper.deactivate`` removes
them.

Standard library only: the generated program imports this module.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import math
import os
import re
import sys

__all__ = ["PLACEHOLDER", "enter", "leave", "placeholder", "render", "yaml_scalar", "views"]

PLACEHOLDER = re.compile(r"\$\{glovec:([^}\s]+)\}")

# YAML 1.1 words that a plain scalar would read as something other than a string
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./\-]*\Z")


def placeholder(site_id: str) -> str:
    """How a search version writes site ``site_id``'s value."""
    return "${glovec:" + site_id + "}"


def yaml_scalar(value, style: str = "") -> str:
    """``value`` (a number, string, True/False/None) as a YAML scalar that PyYAML, OmegaConf and
    Hydra all read back as the same value. ``style``: the original scalar's quote (``'`` or
    ``"``), kept for strings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text:  # YAML 1.1 (PyYAML) reads 1e-05 as a string: needs 1.0e-05
            mantissa, exponent = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, str):
        if style == "'" and value.isprintable():
            return "'" + value.replace("'", "''") + "'"
        if style != '"' and _PLAIN.match(value) and value.lower() not in _SPECIAL \
                and not _looks_numeric(value):
            return value
        return _double_quoted(value)
    raise TypeError(f"a config file's value is a number, a string, true/false or null, not "
                    f"{type(value).__name__}")


def _double_quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes (YAML has them all), and every character
    that is not printable escaped too (YAML refuses it raw)."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted.isprintable():
        return quoted
    return "".join(c if c.isprintable() else
                   f"\\x{ord(c):02x}" if ord(c) < 0x100 else
                   f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                   for c in quoted)


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return text.startswith(".") and text[1:].lower() in ("inf", "nan")
    return True


def decided_value(site: dict, decisions: dict):
    """The Python value site ``site`` (a space document entry) takes under ``decisions``
    (its default when the decisions leave it out)."""
    decision = decisions.get(site["id"], site["default"])
    if site["kind"] == "oneof":
        return ast.literal_eval(site["candidates"][decision])
    if site["kind"] == "intv":
        return int(decision)
    return float(decision)


def render(template: str, sites: dict, decisions: dict) -> str:
    """The search version ``template`` with each ``${glovec:ID}`` replaced by the value of site
    ID (``sites``: id -> space document entry) under ``decisions``."""
    def value(match: re.Match) -> str:
        site = sites.get(match.group(1))
        if site is None:
            return match.group(0)
        return yaml_scalar(decided_value(site, decisions))

    return PLACEHOLDER.sub(value, template)


# ---- the trial's views -------------------------------------------------------------------------

_views: dict[str, str] = {}  # real path of a config file -> the trial's text of it
_names: set[str] = set()  # their base names: most opens are rejected by one set lookup
_saved: tuple | None = None  # (builtins.open, io.open, 3.10's pathlib accessor) while installed


def views() -> dict[str, str]:
    """The installed views (real path -> text), for tests and tracebacks."""
    return dict(_views)


def enter(space_json: str, file: str | None, decisions: dict) -> None:
    """Install the views of the space's config files for a trial with ``decisions``; the
    program's header line calls this once the trial is active."""
    if file is None:
        return
    doc = json.loads(space_json)
    configs = doc.get("configs") or ()
    if not configs:
        return
    folder = os.path.dirname(os.path.abspath(file))
    sites = {s["id"]: s for s in doc.get("sites", ()) if s.get("file")}
    texts = {}
    for entry in configs:
        template = entry.get("text")
        if template is None:
            search = os.path.join(folder, entry["search"])
            try:
                with _real_open(search, encoding="utf-8") as handle:
                    template = handle.read()
            except OSError as exc:
                raise RuntimeError(f"glovec: cannot read {search}, the search version of "
                                   f"{entry['path']} (run `glovec convert` again): "
                                   f"{exc.strerror or exc}") from None
        texts[os.path.realpath(os.path.join(folder, entry["path"]))] = render(template, sites,
                                                                              decisions)
    install(texts)
    from . import hyper

    hyper.on_deactivate(leave)


def install(texts: dict[str, str]) -> None:
    """Serve ``texts`` (real path -> text) to the program's opens for reading."""
    global _saved
    _views.clear()
    _views.update(texts)
    _names.clear()
    _names.update(os.path.basename(p) for p in texts)
    if _saved is None:
        # Python 3.10's pathlib opens through ``_NormalAccessor.open``, bound to io.open when
        # pathlib was imported: that one is replaced too (3.11 and later call io.open)
        accessor = getattr(sys.modules.get("pathlib"), "_NormalAccessor", None)
        if accessor is not None and accessor.__dict__.get("open") is not io.open:
            accessor = None
        _saved = (builtins.open, io.open, accessor)
        builtins.open = io.open = _open
        if accessor is not None:
            accessor.open = _open


def leave() -> None:
    """Remove the views: opens read the files again."""
    global _saved
    _views.clear()
    _names.clear()
    if _saved is not None:
        builtins.open, io.open, accessor = _saved
        if accessor is not None:
            accessor.open = io.open
        _saved = None


_ORIGINAL_OPEN = builtins.open


def _real_open(*args, **kwargs):
    return (_saved[0] if _saved is not None else _ORIGINAL_OPEN)(*args, **kwargs)


class _TextView(io.StringIO):
    name = ""
    mode = "r"


class _BytesView(io.BytesIO):
    name = ""
    mode = "rb"


class _Opener:
    """``open`` while views are installed. An instance, not a function, so that a class body
    that takes ``open = io.open`` meanwhile (3.10's pathlib, imported during a trial) gets a
    callable that does not bind as a method."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return _open_view(*args, **kwargs)


def _open_view(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, *args,
               **kwargs):
    if _names and isinstance(file, (str, bytes, os.PathLike)) and not set(mode) - set("rbt"):
        name = os.fsdecode(os.fspath(file))
        if os.path.basename(name) in _names:
            text = _views.get(os.path.realpath(name))
            if text is not None:
                if "b" in mode:
                    view = _BytesView(text.encode(encoding or "utf-8"))
                else:
                    if newline is None:
                        text = text.replace("\r\n", "\n").replace("\r", "\n")
                    view = _TextView(text)
                view.name = name
                return view
    return _real_open(file, mode, buffering, encoding, errors, newline, *args, **kwargs)


_open = _Opener()
