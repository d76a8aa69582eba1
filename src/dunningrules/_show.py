"""`dunningrules show`: a ruleset as YAML, every field with the file and line it came from.

With ``--effective`` it is the merged ruleset a file and its bases make (what the engine
runs), so a reviewer sees at a glance which values the company wrote and which it took
from the base.  The YAML printed is itself a valid ruleset: saved beside the original,
it validates and schedules the same.  ``--format json`` gives the same as data: the
ruleset, its files, and the origins of every value keyed by JSON Pointer.
"""

from __future__ import annotations

import argparse
import json
import re
from decimal import Decimal
from typing import IO, Any

import yaml

from ._errors import JsonPath
from ._extends import files_of, origins_of
from ._model import Ruleset
from ._yaml import Located

_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
COMMENT_COLUMN = 56  # where the origin comments line up, unless a line is longer
# Text that reads back as the same string in any YAML parser, without quotes.
_PLAIN = re.compile(r"[\w.][\w .,+\-/()§']*[\w.)]|\w")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register `show` on the CLI's subparsers."""
    p = sub.add_parser(
        "show", help="print a ruleset with the file and line of every field",
        description="Print a ruleset as YAML with, for every field, the file and line it came from. "
        "With --effective, a ruleset that extends another is shown merged with its bases: the "
        "process the engine runs.")
    p.add_argument("ruleset", metavar="RULESET", help="ruleset YAML file")
    p.add_argument("--effective", action="store_true",
                   help="merge the ruleset with the bases it extends (default: the file as written)")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help="output format")
    return p


def command(ns: argparse.Namespace, stdout: IO[str]) -> int:
    """Run `show`; InvalidInputError (located findings) propagates: nothing invalid is shown."""
    from ._cli import EXIT_OK
    from ._load import load_ruleset, read_bounded
    from ._yaml import load_yaml

    ruleset = load_ruleset(ns.ruleset)  # every problem of the file and its bases first
    located = ruleset._origin.located if ns.effective else load_yaml(read_bounded(ns.ruleset), ns.ruleset)
    if ns.format == "json":
        stdout.write(json.dumps(show_data(located), ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.write(show_yaml(located))
    return EXIT_OK


# ----------------------------------------------------------------------------- YAML

def show_yaml(located: Located) -> str:
    """The tree as YAML, each line with a `# file:line` comment saying where its value was written."""
    files = files_of(located)
    head = [f"# {files[0]}" + (", merged with its bases:" if len(files) > 1 else "")]
    head += [f"#   extends {f}" for f in files[1:]]
    rows: list[tuple[str, str]] = []
    _mapping(located, located.data, (), 0, rows)
    width = min(max((len(text) for text, _ in rows), default=0) + 2, COMMENT_COLUMN)
    body = [f"{text.ljust(width - 2)}  # {where}" if where else text for text, where in rows]
    return "\n".join(head + body) + "\n"


def _where(located: Located, pointer: JsonPath, key: bool) -> str:
    return ", ".join(f"{path}:{line}" for path, line, _ in origins_of(located, pointer, key=key))


def _mapping(located: Located, data: dict, pointer: JsonPath, indent: int, rows: list[tuple[str, str]],
             first_prefix: str | None = None) -> None:
    for n, (key, value) in enumerate(data.items()):
        at = (*pointer, key)
        lead = first_prefix if (first_prefix is not None and n == 0) else " " * indent
        label = f"{lead}{_scalar(key)}:"
        if isinstance(value, dict) and value:
            rows.append((label, _where(located, at, True)))
            _mapping(located, value, at, indent + 2, rows)
        elif isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
            rows.append((label, _where(located, at, True)))
            for i, item in enumerate(value):
                if isinstance(item, dict) and item:
                    _mapping(located, item, (*at, i), indent + 4, rows, first_prefix=" " * (indent + 2) + "- ")
                else:
                    rows.append((f"{' ' * (indent + 2)}- {_inline(item)}", _where(located, (*at, i), False)))
        else:
            rows.append((f"{label} {_inline(value)}", _where(located, at, True)))


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value)
    # Plain only where every YAML reader (ours, PyYAML's YAML 1.1, editors) reads the same string:
    # `NO`, `2026.1`, `null` and friends stay quoted.
    if _PLAIN.fullmatch(text) and _reads_back(text):
        return text
    # A JSON string is a YAML double-quoted scalar, once the characters YAML reads as line breaks
    # (NEL, LS, PS) or refuses (DEL, C1 controls, BOM, U+FFFE/FFFF) are written as \\u escapes too.
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _reads_back(text: str) -> bool:
    """Whether PyYAML reads `text`, written plain, as the same string (`...` and `---` are
    document markers, which it refuses as a value)."""
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


# ----------------------------------------------------------------------------- JSON

def effective_ruleset(ruleset: Ruleset) -> dict[str, Any]:
    """A loaded ruleset as the engine runs it (merged with the bases it extends), with where each
    value was written: ``{"files": [...], "ruleset": {...}, "origins": {"/steps/0/at": ["file:line:col"]}}``,
    as ``dunningrules show --effective --format json`` prints it."""
    if ruleset._origin is None:
        raise ValueError("the ruleset was not loaded from text or a file (load_ruleset / parse_ruleset)")
    return show_data(ruleset._origin.located)


def show_data(located: Located) -> dict[str, Any]:
    """The tree, its files, and where each value was written (JSON Pointer -> ["file:line:col"])."""
    origins: dict[str, list[str]] = {}

    def walk(value: Any, pointer: JsonPath) -> None:
        key = bool(pointer) and isinstance(pointer[-1], str)
        origins[_json_pointer(pointer)] = [f"{p}:{line}:{col}" for p, line, col in
                                           origins_of(located, pointer, key=key)]
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*pointer, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*pointer, i))

    walk(located.data, ())
    return {"files": list(files_of(located)), "ruleset": _json_value(located.data), "origins": origins}


def _json_pointer(pointer: JsonPath) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in pointer)


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):  # a JSON number when a float holds it exactly, else its digits as text
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    return value
