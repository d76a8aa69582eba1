"""Where each value of a JSON document stands, to locate case errors.

Python's json module gives no positions, and a case error must say
`cases.json:14:17`.  This scanner walks the tokens of the text once, without
recursion (so any nesting depth is fine), and records the 1-based line and
column of every value and key by its JSON path.  It is only run when a case
is found invalid, and at most once per file.  On malformed JSON it keeps what
it found so far.

It also finds a key written twice in one object (`keys_given_twice`): json keeps the
last value, other readers the first, so a case that does so is refused (case-key-twice)
rather than read one way here and another way elsewhere.  Whether to look is decided
without it: the number of `":` in a text against the keys its parsed case was given
(`keys_of_case`), or json's own parse (`twice_findings` asks it first).
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from ._errors import Finding
from ._yaml import Located

_TOKEN = re.compile(r'[{}\[\]:,]|"(?:[^"\\]|\\.)*"|[^\s{}\[\]:,"]+', re.S)


def locate_json(text: str, path: str) -> Located:
    """A Located (no data) whose `where(pointer)` gives positions in `text`."""
    values, keys, _ = _walk(text)
    return Located(None, path, values, keys)


def keys_given_twice(text: str) -> list[tuple[tuple, tuple[int, int]]]:
    """(JSON path, (line, column)) of each key written again in the same object, at the repeat:
    json keeps the last value of such a key, other readers the first."""
    return _walk(text)[2]


def _walk(text: str) -> tuple[dict, dict, list]:
    """The positions of values and keys by JSON path, and the keys written twice in one object."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]

    def at(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    values: dict[tuple, tuple[int, int]] = {}
    keys: dict[tuple, tuple[int, int]] = {}
    twice: list[tuple[tuple, tuple[int, int]]] = []
    # Each frame: [kind, pointer, next array index, pending object key]
    stack: list[list] = []
    pointer: tuple = ()
    expecting = "value"
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if expecting == "key":
            if tok == "}" and stack:
                stack.pop()
                expecting = "after"
                continue
            if not tok.startswith('"'):
                break
            try:
                key = json.loads(tok)
            except ValueError:
                break
            pointer = (*stack[-1][1], key)
            if pointer in keys:
                twice.append((pointer, at(m.start())))
            keys[pointer] = at(m.start())
            expecting = "colon"
        elif expecting == "colon":
            if tok != ":":
                break
            expecting = "value"
        elif expecting == "value":
            if tok == "]" and stack and stack[-1][0] == "arr":  # an empty array
                stack.pop()
                expecting = "after"
                continue
            values.setdefault(pointer, at(m.start()))
            if tok == "{":
                stack.append(["obj", pointer, 0, None])
                expecting = "key"
            elif tok == "[":
                stack.append(["arr", pointer, 0, None])
                pointer = (*pointer, 0)
            else:
                expecting = "after"
        else:  # after a value: ',' or a closing bracket
            if not stack:
                break
            frame = stack[-1]
            if tok == ",":
                if frame[0] == "arr":
                    frame[2] += 1
                    pointer = (*frame[1], frame[2])
                    expecting = "value"
                else:
                    expecting = "key"
            elif tok in "}]":
                stack.pop()
                expecting = "after"
            else:
                break
    return values, keys, twice


def twice_findings(text: str, path: str, line_offset: int = 0) -> list[Finding]:
    """case-key-twice for each key written again in the same object of `text`, at the repeat
    (json's own parse tells first whether there is any, for the price of a parse)."""
    if pairs_once(text):
        return []
    return [Finding("case-key-twice", twice_message(pointer), path, line + line_offset, col, pointer)
            for pointer, (line, col) in keys_given_twice(text)]


def twice_message(pointer: tuple) -> str:
    """The message of case-key-twice for the key at `pointer` (its path in the case)."""
    where = ".".join(map(str, pointer[:-1]))
    return (f"key {pointer[-1]!r} is given twice" + (f" in {where}" if where else "")
            + "; JSON readers disagree on which one counts: give each key once")


def keys_of_case(case: Any) -> int:
    """How many keys the JSON of a pydantic Case gave, each counted once (the models know which
    fields were given, nulls too): a text with as many `":` gives no key twice."""
    n = len(case.model_fields_set) + len(case.facts)
    for part in (case.debtor, case.creditor):
        if part is not None:
            n += len(part.model_fields_set) + len(part.model_extra or ())
    for event in case.events:
        n += len(event.model_fields_set)
    return n


class _KeyTwice(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _KeyTwice
    return found


def pairs_once(text: str) -> bool:
    """Whether json reads `text` without meeting a key twice in one object; True for a text
    json cannot read at all (its reader's own error says why)."""
    try:
        json.loads(text, object_pairs_hook=_pairs)
    except _KeyTwice:
        return False
    except (ValueError, RecursionError):
        return True
    return True
