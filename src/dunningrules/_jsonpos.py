"""Where each value of a JSON document stands, to locate case errors.

Python's json module gives no positions, and a case error must say
`cases.json:14:17`.  This scanner walks the tokens of the text once, without
recursion (so any nesting depth is fine), and records the 1-based line and
column of every value and key by its JSON path.  It is only run when a case
is found invalid, and at most once per file.  On malformed JSON it keeps what
it found so far.
"""

from __future__ import annotations

import bisect
import json
import re

from ._yaml import Located

_TOKEN = re.compile(r'[{}\[\]:,]|"(?:[^"\\]|\\.)*"|[^\s{}\[\]:,"]+', re.S)


def locate_json(text: str, path: str) -> Located:
    """A Located (no data) whose `where(pointer)` gives positions in `text`."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]

    def at(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    values: dict[tuple, tuple[int, int]] = {}
    keys: dict[tuple, tuple[int, int]] = {}
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
    return Located(None, path, values, keys)
