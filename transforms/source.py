"""Shared surgery for the passes: decoding a program, offsets, lines, and node spans.

Every pass works in one coordinate system: character offsets into the decoded source text.
Lines and columns (1-based, columns counted in characters) are made only at the edges, for
diagnostics and the space. Node spans come from one code-generation pass over the libcst tree
(`node_spans`), cheaper than libcst's PositionProvider because it records offsets, not
line/column objects, and skips the metadata visitor.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import re

import libcst as cst

# The span pass (``node_spans``) runs libcst's own code generation with a state that only counts
# characters: one pass, half the time of the public PositionProvider. That state class and
# ``Module._codegen`` are libcst internals, so pyproject pins the libcst versions this is tested
# with (LIBCST_TESTED) and tests/test_libcst_contract.py fails, naming what moved, when they change.
LIBCST_TESTED = ">=1.9,<1.10"
try:
    from libcst._nodes.internal import CodegenState
except ImportError as exc:  # pragma: no cover - only with an untested libcst
    raise ImportError(f"glovec needs libcst{LIBCST_TESTED}: libcst._nodes.internal.CodegenState, "
                      f"which glovec's span pass builds on, is not where it was ({exc})") from exc

from .diagnostics import Diagnostic, DiagnosticError

NEWLINE_RE = re.compile(r"\r\n|\r|\n")
# PEP 263: a coding declaration in a comment on line 1 or 2.
_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line endings (a last line without one stays without)."""
    lines, start = [], 0
    for match in NEWLINE_RE.finditer(text):
        lines.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def decode(data: bytes) -> tuple[str, bool]:
    """The program's text and whether it began with a UTF-8 byte-order mark.

    Raises DiagnosticError GV002 for bytes that are not UTF-8, or a coding declaration that
    names another encoding (the text would mean something else to Python than to glovec).
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    for lineno, line in enumerate(body.splitlines()[:2], 1):
        match = _CODING_RE.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                utf8 = codecs.lookup(name).name == "utf-8"
            except LookupError:
                utf8 = False
            if not utf8:
                raise DiagnosticError([Diagnostic(
                    "GV002", f"the file declares encoding {name!r}; glovec reads UTF-8 only",
                    lineno, match.start(1) + 1)])
            break
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    try:
        return body.decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        before = body[: exc.start]
        line = len(NEWLINE_RE.findall(before.decode("utf-8", "replace"))) + 1
        line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
        col = len(before[line_start:].decode("utf-8", "replace")) + 1
        raise DiagnosticError([Diagnostic(
            "GV002", f"byte 0x{body[exc.start]:02x} is not UTF-8; save the file as UTF-8",
            line, col)]) from None


class Text:
    """A source text with its line starts: offsets <-> 1-based (line, column)."""

    __slots__ = ("text", "line_starts", "newline")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        newline = None
        for match in NEWLINE_RE.finditer(text):
            starts.append(match.end())
            if newline is None:
                newline = match.group()
        self.line_starts = starts
        self.newline = newline or "\n"

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line break."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")


_TREES: dict[str, ast.AST] = {}


class Snippet:
    """Python text parsed with ``ast`` whose node positions map back to source offsets.

    ``buf`` is ``prefix + text[base:base+len(part)] + suffix``; ast positions (UTF-8 byte
    columns) in ``buf`` become offsets ``base + (buffer offset - len(prefix))``.
    """

    __slots__ = ("buf", "base", "prefix_len", "part_len", "_starts", "_lines")

    def __init__(self, part: str, base: int, prefix: str = "(", suffix: str = "\n)") -> None:
        self.buf = prefix + part + suffix
        self.base = base
        self.prefix_len = len(prefix)
        self.part_len = len(part)
        self._starts = [0] + [m.end() for m in NEWLINE_RE.finditer(self.buf)]
        self._lines: dict | None = None

    def parse(self) -> ast.AST:
        """``buf`` parsed as an expression. Programs repeat their specs and values, so trees
        are shared between equal texts: treat them as read-only."""
        tree = _TREES.get(self.buf)
        if tree is None:
            if len(_TREES) > 4096:
                _TREES.clear()
            tree = _TREES[self.buf] = ast.parse(self.buf, mode="eval")
        return tree

    def _char(self, lineno: int, col: int) -> int:
        start = self._starts[lineno - 1]
        if col and not self.buf.isascii():
            if self._lines is None:
                self._lines = {}
            raw = self._lines.get(lineno)
            if raw is None:
                end = self._starts[lineno] if lineno < len(self._starts) else len(self.buf)
                raw = self._lines[lineno] = self.buf[start:end].encode("utf-8")
            col = len(raw[:col].decode("utf-8", "replace"))
        return start + col

    def buf_span(self, node: ast.AST) -> tuple[int, int]:
        return (self._char(node.lineno, node.col_offset),
                self._char(node.end_lineno, node.end_col_offset))

    def span(self, node: ast.AST) -> tuple[int, int]:
        """The node's (start, end) offsets in the original text."""
        start, end = self.buf_span(node)
        delta = self.base - self.prefix_len
        return start + delta, end + delta

    def segment(self, node: ast.AST) -> str:
        start, end = self.buf_span(node)
        return self.buf[start:end]

    def error_offset(self, exc: SyntaxError) -> int:
        """Where a SyntaxError in ``buf`` points, as an offset in the original text (clamped
        to the part: an error in the added closing text points at the part's end)."""
        lineno = min(max(exc.lineno or 1, 1), len(self._starts))
        at = self._starts[lineno - 1] + max((exc.offset or 1) - 1, 0)
        at = min(max(at, self.prefix_len), self.prefix_len + self.part_len)
        return at - self.prefix_len + self.base


# ---- node spans ------------------------------------------------------------------------


class _NoPosition:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        return False


_NO_POSITION = _NoPosition()


class _SpanState(CodegenState):
    """Code generation that only counts characters and records each node's (start, end)."""

    __slots__ = ("pos", "stack", "spans", "comments")

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.pos = 0
        self.stack: list[int] = []
        self.spans: dict = {}
        self.comments: list = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.pos += len(token)

    def add_token(self, value: str) -> None:
        self.pos += len(value)

    def before_codegen(self, node) -> None:
        self.stack.append(self.pos)

    def after_codegen(self, node) -> None:
        self.spans[node] = (self.stack.pop(), self.pos)
        if type(node) is cst.Comment:
            self.comments.append(node)

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _NO_POSITION

    def pop_trailing_newline(self) -> None:
        pass


# What may follow the last statement: blank lines and comment lines only.
_FOOTER_RE = re.compile(r"(?:[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n))*[ \t\f]*(?:#[^\r\n]*)?")
_COMMENT_RE = re.compile(r"#[^\r\n]*")


class Unreproducible(Exception):
    """libcst's code for the module is not the program's text (a libcst limitation: it drops a
    backslash continuation before a statement, and some whitespace inside f-strings)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__("libcst does not reproduce the program byte for byte")
        self.offset = next((i for i, (a, b) in enumerate(zip(code, text)) if a != b),
                           min(len(code), len(text)))


def node_spans(module: cst.Module, text: str) -> tuple[dict, list]:
    """``{node: (start, end)}`` for every node of ``module`` (offsets into ``text``, each node's
    own whitespace and parentheses included) and its Comment nodes in order.

    libcst's code generation reproduces the text it parsed, with known exceptions (libcst 1.9):
    a final line break may be added or dropped; of several trailing comment lines indented
    deeper than the code only the last is kept; a form feed that begins a statement's line is
    dropped. Spans are mapped back to ``text`` around those, and trailing comments are taken
    from the text itself; any other difference is a bug, reported as one.
    """
    state = _SpanState(module)
    module._codegen(state)
    spans, comments, length = state.spans, state.comments, len(text)
    # a dropped form feed can hide behind an added final line break: the lengths then agree
    form_feed = "\f" in text
    if state.pos > length and not form_feed:
        if state.pos > length + len(module.default_newline):
            raise Unreproducible(module.code, text)
        for node, (start, end) in spans.items():
            if end > length:
                spans[node] = (min(start, length), length)
    elif state.pos < length or form_feed:
        body_end = spans[module.body[-1]][1] if module.body else 0
        to_text = _align(module.code, text, body_end)
        if to_text is None or not _FOOTER_RE.fullmatch(text, to_text[-1]):
            raise Unreproducible(module.code, text)
        footer = to_text[-1]
        if footer != body_end or form_feed:  # map every span back to the text
            for node, (start, end) in spans.items():
                if end <= body_end:
                    spans[node] = (to_text[start], to_text[end - 1] + 1 if end > start else to_text[start])
                else:
                    spans[node] = (to_text[min(start, body_end)], length)
        comments = [c for c in comments if spans[c][1] <= footer]
        for match in _COMMENT_RE.finditer(text, footer):
            comment = cst.Comment(match.group())
            spans[comment] = match.span()
            comments.append(comment)
    return spans, comments


def _align(code: str, text: str, stop: int) -> list[int] | None:
    """For each of ``code[:stop]``'s characters, its offset in ``text`` (then where ``text``
    goes on), when ``code[:stop]`` is ``text`` with some form feeds left out; else None."""
    to_text = []
    i, n = 0, len(text)
    for ch in code[:stop]:
        while i < n and text[i] != ch:
            if text[i] != "\f":
                return None
            i += 1
        if i >= n:
            return None
        to_text.append(i)
        i += 1
    to_text.append(i)
    return to_text
