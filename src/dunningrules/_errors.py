"""Findings and the exception tree.

Every problem a user can cause is a :class:`Finding`: a stable ``code``, a
message, and where it is (file, 1-based line and column, and the JSON path
inside the document).  Exceptions carry *all* findings of a stage, never just
the first, so a user fixes everything in one round.

Exception tree::

    DunningRulesError                 root; catch this to catch everything we raise
    ├── InvalidInputError             carries .findings (a list of Finding)
    │   ├── RulesetError              a ruleset file is malformed or inconsistent
    │   └── CaseError                 a case is malformed or does not fit the ruleset
    └── CalendarError                 a calendar that cannot be built (an unknown country or
                                      holiday category); a case whose dates leave the calendar's
                                      range is a CaseError (code calendar-range)

The library never prints; the CLI renders findings as
``PATH:LINE:COL: CODE: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

JsonPath = tuple[str | int, ...]

# C0 and C1 controls, line and paragraph separators, and the invisible characters that reorder or
# hide text on a terminal (zero-width, bidirectional marks, overrides and isolates, the BOM).
CONTROL_ESCAPES = {
    c: f"\\u{c:04x}" if c > 0xFF else repr(chr(c))[1:-1]
    for c in (*range(0x20), *range(0x7F, 0xA0), *range(0x200B, 0x2010), 0x2028, 0x2029,
              *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located.  ``line``/``col`` are 1-based; 0 means unknown."""

    code: str
    message: str
    path: str = "<input>"
    line: int = 0
    col: int = 0
    pointer: JsonPath = field(default=())

    def __str__(self) -> str:
        # One finding, one line: a control character a case or a file name brought in (a newline
        # in a field name, a terminal escape) is written escaped, so it can neither forge another
        # finding nor drive the terminal.
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}".translate(CONTROL_ESCAPES)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


class DunningRulesError(Exception):
    """Root of every exception dunningrules raises on purpose."""


class InvalidInputError(DunningRulesError):
    """Input was refused; ``findings`` lists every problem found, best first."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sorted(findings, key=Finding.sort_key)
        first = str(self.findings[0]) if self.findings else "invalid input"
        more = len(self.findings) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


class RulesetError(InvalidInputError):
    """A ruleset could not be loaded, validated or compiled."""


class CaseError(InvalidInputError):
    """A case is malformed or does not fit the ruleset it is evaluated against."""


class CalendarError(DunningRulesError):
    """A calendar cannot answer: unknown country/category, or a date out of range."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `options`, or '' (one wording everywhere)."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
