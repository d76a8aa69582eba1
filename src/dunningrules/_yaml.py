"""Strict, located YAML loading for rulesets.

Rulesets are written by people who are not programmers, so YAML's clever
parts are refused instead of interpreted: anchors and aliases (alias bombs),
tags (object construction), merge keys, duplicate keys, non-string keys and
several documents in one file.  Scalars are typed by a small explicit table
instead of YAML 1.1's implicit resolvers, so ``NO`` stays the string "NO"
(the Norway problem) and ``0.1`` becomes the exact ``Decimal("0.1")``.

PyYAML's composer and constructor are never used: the composer recurses once
per nesting level (deep input -> RecursionError) and both expand aliases.
Instead we walk the parser's *events* with an explicit stack.  That sees
depth, node count, anchors and tags before anything is built, and gives the
position of every node for later error messages.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import yaml
from yaml import events as ev

from ._errors import Finding, JsonPath, RulesetError

MAX_BYTES = 1_000_000  # 1 MB
MAX_DEPTH = 64  # nesting depth of collections
MAX_NODES = 200_000
MAX_FINDINGS = 100  # enough to fix a file in one round; a flood helps nobody

# libyaml is much faster; the pure-Python parser emits the same events.
# Tests swap this to run everything against both.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)\.[0-9]+")
# YAML line breaks (CRLF counts once), for positions we compute ourselves.
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# The characters YAML forbids; checked up front because the two parsers
# report them differently (libyaml gives byte offsets, PyYAML char offsets).
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE

_WANT_KEY = object()  # mapping frame: the next node is a key
_SKIP = object()  # mapping frame: the next value belongs to a refused key


@dataclass(frozen=True)
class Located:
    """Plain data plus the 1-based position of every node, for findings.

    ``text`` is the source the data was read from, so that a position *inside*
    a scalar (a column in an expression) can be found too.  A ruleset that
    extends another is a tree stitched from several files; its located form
    (``_extends.Merged``) answers the same questions per node, from the file
    each node came from.
    """

    data: Any
    path: str = "<input>"
    _values: dict[JsonPath, tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)
    _keys: dict[JsonPath, tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)
    text: str = field(default="", repr=False, compare=False)

    def where(self, pointer: JsonPath = (), *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at ``pointer``, or of its mapping key.

        An unknown pointer (say, a required key that is missing) walks up to
        the nearest known ancestor, so every finding still points somewhere.
        """
        pointer = tuple(pointer)
        if key and pointer in self._keys:
            return self._keys[pointer]
        while pointer and pointer not in self._values:
            pointer = pointer[:-1]
        return self._values.get(pointer, (1, 1))

    def file(self, pointer: JsonPath = ()) -> str:
        """The file the node at ``pointer`` was written in."""
        return self.path

    def finding(self, code: str, message: str, pointer: JsonPath = (), *, key: bool = False,
                pos: int | None = None) -> Finding:
        """A finding at the node ``pointer`` (its key with ``key``), or at character ``pos`` of its text."""
        line, col = self.where(pointer, key=key) if pos is None else self.locate(pointer, pos)
        return Finding(code, message, self.file(pointer), line, col, tuple(pointer))

    def value(self, pointer: JsonPath) -> Any:
        """The data at ``pointer``, or None when there is none."""
        value = self.data
        for part in pointer:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def locate(self, pointer: JsonPath, pos: int = 0) -> tuple[int, int]:
        """Line and column of character ``pos`` of the scalar at ``pointer``.

        YAML hands us the scalar's value, not its spelling: quotes are gone and a
        multi-line or block scalar has its line breaks folded.  So walk the source
        from where the scalar starts, matching the value's characters and letting
        any run of white space stand for any other, to find where ``pos`` really is.
        """
        line, col = self.where(pointer)
        lines = self.text.splitlines()
        value = self.value(pointer)
        if not 0 < line <= len(lines) or not isinstance(value, str):
            return line, col
        l, c = line - 1, col - 1
        opener = lines[l][c:c + 1]
        quote = opener if opener in ("'", '"') else None
        if opener in ("|", ">"):  # block scalar: the text starts on the next non-blank line
            l += 1
            while l < len(lines) and not lines[l].strip():
                l += 1
            if l == len(lines):
                return line, col
            c = len(lines[l]) - len(lines[l].lstrip())
        elif quote:
            c += 1

        def skip_space(l: int, c: int) -> tuple[int, int]:
            while l < len(lines):
                if c < len(lines[l]) and lines[l][c] in " \t":
                    c += 1
                elif c >= len(lines[l]) and l + 1 < len(lines):
                    l, c = l + 1, 0
                elif quote == '"' and c == len(lines[l]) - 1 and lines[l][c] == "\\" and l + 1 < len(lines):
                    l, c = l + 1, 0  # an escaped line break: the line goes on without a space
                else:
                    break
            return l, c

        def spelling(l: int, c: int) -> int:
            """How many source characters spell the one value character at (l, c): an escape in
            double quotes (\\t, \\", \\x41, \\u00e5, ...), '' in single quotes, else one."""
            text = lines[l]
            if quote == '"' and text[c:c + 1] == "\\":
                return {"x": 4, "u": 6, "U": 10}.get(text[c + 1:c + 2], 2)
            if quote == "'" and text[c:c + 2] == "''":
                return 2
            return 1

        def escaped_space(text: str, c: int) -> bool:
            """Whether a double-quoted escape that reads as white space starts at c (\\t, \\n, \\x20, ...)."""
            if text[c:c + 1] != "\\":
                return False
            kind = text[c + 1:c + 2]
            if kind in ("x", "u", "U"):
                digits = text[c + 2:c + 2 + {"x": 2, "u": 4, "U": 8}[kind]]
                try:
                    return chr(int(digits, 16)).isspace()
                except ValueError:
                    return False
            return kind in ("t", "\t", "n", "r", " ", "_", "N", "L", "P")

        for ch in value[:pos]:
            if ch.isspace():
                # White space in the value is a run of blanks and line breaks in the source, which
                # the next character's skip absorbs, or an escape such as \\t, which is spelt out.
                l2, c2 = skip_space(l, c)
                if quote == '"' and l2 < len(lines) and escaped_space(lines[l2], c2):
                    l, c = l2, c2 + spelling(l2, c2)
                continue
            l, c = skip_space(l, c)
            if l < len(lines):
                c += spelling(l, c)
        if pos < len(value):  # at a character: past the blanks before it
            l, c = skip_space(l, c)
        return l + 1, c + 1


class _Stop(Exception):
    """Enough findings: stop looking."""


class _Frame:
    """An open collection while walking events."""

    __slots__ = ("items", "pointer", "key", "seen")

    def __init__(self, items: dict | list, pointer: JsonPath | None) -> None:
        self.items = items
        self.pointer = pointer  # None: not part of the data (e.g. a list used as a key)
        self.key: Any = _WANT_KEY  # mappings only: _WANT_KEY, the current key, or _SKIP
        self.seen: dict[str, int] = {}  # mappings only: key -> line of first occurrence


def load_yaml(
    text: str | bytes,
    path: str = "<input>",
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Located:
    """Parse one YAML document strictly.  Raises RulesetError with ALL findings it can collect."""
    findings: list[Finding] = []

    def add(code: str, message: str, line: int, col: int, pointer: JsonPath = ()) -> None:
        findings.append(Finding(code, message, path, line, col, pointer))
        if len(findings) >= MAX_FINDINGS:
            raise _Stop

    try:
        text = _decode(text, max_bytes, add)
        if text is not None:
            _check_printable(text, add)
        if findings or text is None:
            raise _Stop
        try:
            located = _walk(text, path, max_depth, MAX_NODES, add, _LOADER)
        except _DeeperThanLibyaml:
            # libyaml (PyYAML >= 6.0.4) stops at flow level 1000 while scanning ahead, before
            # its events reach our depth check; the pure-Python parser streams them, so our
            # check finds the first value past max_depth, as it does for shallower nesting.
            findings.clear()
            located = _walk(text, path, max_depth, MAX_NODES, add, yaml.SafeLoader)
    except _Stop:
        located = None
    if findings or located is None:
        raise RulesetError(findings)
    return located


def _decode(text: str | bytes, max_bytes: int, add: Callable) -> str | None:
    """Size check (before any parsing) and UTF-8 decoding; None if refused."""
    if isinstance(text, str):
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        size = len(text)
    if size > max_bytes:
        add("yaml-too-large", f"the file is {size:,} bytes; the limit is {max_bytes:,} bytes", 1, 1)
        return None
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            good = text[: e.start].decode("utf-8")  # e.start counts bytes; columns count characters
            line, col = _line_col(good)(len(good))
            add(
                "yaml-not-utf8",
                f"the file is not UTF-8 text (byte 0x{text[e.start]:02X} at byte offset {e.start}); save it as UTF-8",
                line,
                col,
            )
            return None
    # Drop a byte-order mark ourselves so both parsers count columns alike.
    return text[1:] if text.startswith("\ufeff") else text


def _line_col(text: str) -> Callable[[int], tuple[int, int]]:
    """Map a character offset in ``text`` to a 1-based (line, col)."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def at(index: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, index) - 1
        return line + 1, index - starts[line] + 1

    return at


def _check_printable(text: str, add: Callable) -> None:
    """Characters YAML forbids (control characters, lone surrogates, U+FFFE/FFFF)."""
    locate = None
    for m in _NON_PRINTABLE.finditer(text):
        locate = locate or _line_col(text)
        add("yaml-syntax", f"the character U+{ord(m.group()):04X} is not allowed; remove it", *locate(m.start()))


class _DeeperThanLibyaml(Exception):
    """libyaml refused nesting deeper than its own limit (see load_yaml)."""


def _walk(text: str, path: str, max_depth: int, max_nodes: int, add: Callable, loader: Any) -> Located:
    values: dict[JsonPath, tuple[int, int]] = {}
    keys: dict[JsonPath, tuple[int, int]] = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = nodes = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    add("yaml-multiple-documents", "only one YAML document is allowed; remove the second '---'", *_pos(event.start_mark))
                    break
                continue
            if isinstance(event, ev.CollectionEndEvent):
                stack.pop()
                continue
            if not isinstance(event, ev.NodeEvent):
                continue  # stream start/end, document end

            nodes += 1
            line, col = _pos(event.start_mark)
            if nodes > max_nodes:
                add("yaml-too-many-nodes", f"the file has more than {max_nodes:,} values", line, col)
                break
            _check_node(event, line, col, add)

            # Where does this node go?  ``pointer`` None means nowhere.
            parent = stack[-1] if stack else None
            if parent is None:
                pointer: JsonPath | None = ()
            elif isinstance(parent.items, list):
                pointer = None if parent.pointer is None else parent.pointer + (len(parent.items),)
            elif parent.key is _WANT_KEY:
                parent.key = _mapping_key(event, parent, line, col, keys, add)
                pointer = None  # a key is not a value
            else:
                key, parent.key = parent.key, _WANT_KEY
                pointer = None if parent.pointer is None or key is _SKIP else parent.pointer + (key,)

            if isinstance(event, ev.ScalarEvent):
                value = _scalar(event)
            elif isinstance(event, ev.AliasEvent):
                value = None
            else:
                if len(stack) >= max_depth:
                    add("yaml-too-deep", f"the data is nested more than {max_depth} levels deep", line, col)
                    break
                value = {} if isinstance(event, ev.MappingStartEvent) else []
                stack.append(_Frame(value, pointer))

            if pointer is not None:
                values[pointer] = (line, col)
                if parent is None:
                    root = value
                elif isinstance(parent.items, list):
                    parent.items.append(value)
                else:
                    parent.items[pointer[-1]] = value
    except yaml.MarkedYAMLError as e:
        if loader is not yaml.SafeLoader and "maximum nesting depth" in str(e.problem):
            raise _DeeperThanLibyaml from None
        add("yaml-syntax", _syntax_message(e, text), *_pos(e.problem_mark or e.context_mark))
    except yaml.YAMLError as e:  # not expected after _check_printable; still located somewhere
        add("yaml-syntax", " ".join(str(e).split()), 1, 1)
    return Located(root, path, values, keys, text)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _check_node(event: ev.NodeEvent, line: int, col: int, add: Callable) -> None:
    """Anchors, aliases and tags are refused wherever they appear."""
    if isinstance(event, ev.AliasEvent):
        add("yaml-alias", f"aliases (*{event.anchor}) are not allowed; write the value out in full", line, col)
        return
    if event.anchor is not None:
        add("yaml-anchor", f"anchors (&{event.anchor}) are not allowed; write the value out in full", line, col)
    if event.tag is not None:
        tag = event.tag.replace("tag:yaml.org,2002:", "!!")
        add("yaml-tag", f"tags ({tag}) are not allowed; remove the tag", line, col)


def _mapping_key(event: ev.NodeEvent, frame: _Frame, line: int, col: int, keys: dict, add: Callable) -> Any:
    """The key string for ``event``, or _SKIP if the key is refused."""
    style = getattr(event, "style", None) or None  # libyaml says '' for plain
    if isinstance(event, ev.AliasEvent):
        return _SKIP  # already reported as an alias
    if not isinstance(event, ev.ScalarEvent) or style in ("|", ">"):
        add("yaml-key-type", "a key must be plain or quoted text, not a list, a mapping or a block", line, col)
        return _SKIP
    key = event.value  # keys are always strings: '1: x' has the key "1"
    if style is None and key == "":
        add("yaml-key-type", "a key is missing before ':'", line, col)
        return _SKIP
    if style is None and key == "<<":
        add("yaml-merge-key", "merge keys ('<<') are not allowed; write the keys out in full", line, col)
        return _SKIP
    pointer = None if frame.pointer is None else frame.pointer + (key,)
    if key in frame.seen:
        add("yaml-duplicate-key", f"duplicate key {key!r} (first used on line {frame.seen[key]})", line, col, pointer or ())
        return _SKIP  # the first occurrence wins, so later positions stay right
    frame.seen[key] = line
    if pointer is not None:
        keys[pointer] = (line, col)
    return key


def _scalar(event: ev.ScalarEvent) -> Any:
    """Type a scalar by our table, never by YAML 1.1's implicit resolvers."""
    text = event.value
    if event.style:  # quoted or block (libyaml says '' for plain, PyYAML None)
        return text
    if text in ("", "~", "null"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        # int() refuses over 4300 digits (CVE-2020-10735 guard); Decimal does not.
        return int(text) if len(text) < 4000 else int(Decimal(text))
    if _DECIMAL.fullmatch(text):
        return Decimal(text)  # exact, from the text; never via float
    return text


# Both parsers word some problems obscurely (and differently); for the
# mistakes people really make, say what to do instead.
def _syntax_message(e: yaml.MarkedYAMLError, text: str) -> str:
    problem = " ".join(str(e.problem or "syntax error").split())
    if "cannot start any token" in problem:
        char = _char_at(text, e.problem_mark)
        if char == "\t":
            return "a tab character is not allowed here; indent with spaces"
        return f"a value cannot start with {char!r}; put the value in quotes"
    if problem.startswith("mapping values are not allowed"):
        return "a ':' is not allowed here; check the indentation, or put the value in quotes"
    if e.context and e.context_mark is not None:
        return f"{problem} ({e.context} started on line {e.context_mark.line + 1})"
    return problem


def _char_at(text: str, mark: Any) -> str:
    """The character at ``mark``, found by line/column (libyaml's index counts bytes)."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    index = starts[mark.line] + mark.column if mark is not None and mark.line < len(starts) else len(text)
    return text[index : index + 1]
