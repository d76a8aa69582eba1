"""Dated rate tables: statutory fees and interest rates as data, with their sources.

A rate file holds the figures one jurisdiction's rulesets compute with (the
Norwegian inkassosats, the Swedish fee caps, late-payment interest per
half-year).  Every figure carries the provision it comes from and whether it
has been checked, so a reviewer can audit a computed amount back to the law.

File format (strict YAML, see ``_yaml``)::

    dunningrules-rates: 1          # format version; only 1 exists
    jurisdiction: "NO"             # ISO 3166 country code (strict YAML keeps NO a string; quoting is habit)
    currency: NOK                  # ISO 4217 code of the money amounts
    tables:
      inkassosats:                 # table name: lower case letters, digits, '_'
        unit: NOK                  # the file's currency code, or "percent" (per year, for interest)
        description: ...           # optional
        rows:                      # in date order, contiguous, never overlapping
          - valid_from: "2024-01-01"   # first day the value applies
            valid_to: "2025-12-31"     # last day, inclusive; every row has both ends
            value: "700.00"            # a decimal, quoted or plain (never a float); not negative
            source: "Inkassoforskriften § 1-1"   # required, non-empty: where the figure comes from
            confirmed: true            # false: the figure must still be checked against the statute
            note: "..."                # optional; required when confirmed is false (say what to check)

Rules, each refused with a located finding (all of them collected, then one
:class:`RulesetError`):

- ``rates-unknown-key``: a key the format does not have (with a did-you-mean)
- ``rates-missing-key``: a required key is absent; an unconfirmed row without a note
- ``rates-wrong-type``: a value of the wrong kind (a number where text belongs, ...)
- ``rates-bad-date``: a date that is not a real ``YYYY-MM-DD`` day
- ``rates-bad-value``: a value that is not a decimal, is negative, or has more than two
  decimals in a currency unit; a bad version, country or currency code, unit or table
  name; an empty table
- ``rates-no-source``: a row without a source (missing or blank)
- ``rates-range``: ``valid_to`` before ``valid_from``
- ``rates-gap``: days between two rows that no row covers (the message names them)
- ``rates-overlap``: two rows cover the same day
- ``rates-unsorted``: a row starts before the row above it

A table answers only for the days its rows cover.  A date outside every row
raises :class:`RateError` ``rate-missing``: an out-of-date table must fail
loudly, never guess by extending the last figure.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from ._errors import DunningRulesError, Finding, JsonPath, RulesetError, did_you_mean
from ._yaml import Located, load_yaml

FORMAT_VERSION = 1
PERCENT = "percent"

_TOP_KEYS = ("dunningrules-rates", "jurisdiction", "currency", "tables")
_TABLE_KEYS = ("unit", "description", "rows")
_TABLE_REQUIRED = ("unit", "rows")
_ROW_KEYS = ("valid_from", "valid_to", "value", "source", "confirmed", "note")
_ROW_REQUIRED = ("valid_from", "valid_to", "value", "confirmed")  # source: its own code

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL_TEXT = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ONE_DAY = timedelta(days=1)


class RateError(DunningRulesError):
    """A rate table cannot answer: no row covers a date, or no such table."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class RateRow:
    """One value and the days it applies to, ``valid_from``..``valid_to`` inclusive."""

    valid_from: date
    valid_to: date
    value: Decimal
    source: str
    confirmed: bool
    note: str | None = None

    def covers(self, d: date) -> bool:
        return self.valid_from <= d <= self.valid_to


@dataclass(frozen=True)
class RateTable:
    """Rows in date order that never overlap (checked on construction).

    Gaps are refused by :func:`parse_rates`; a table built by hand may have
    them, and a day in a gap is as uncovered as a day outside every row.
    """

    name: str
    unit: str
    rows: tuple[RateRow, ...]
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _day_sums: list[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = tuple(self.rows)
        for row in rows:
            if row.valid_to < row.valid_from:
                raise ValueError(f"{self.name}: row {row.valid_from}..{row.valid_to} ends before it starts")
        for a, b in zip(rows, rows[1:]):
            if b.valid_from <= a.valid_to:
                raise ValueError(f"{self.name}: rows {a.valid_from}..{a.valid_to} and "
                                 f"{b.valid_from}..{b.valid_to} are out of order or overlap")
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "_starts", tuple(r.valid_from for r in rows))
        object.__setattr__(self, "_day_sums", [])

    def row_on(self, d: date) -> RateRow:
        """The row covering day ``d``; RateError ``rate-missing`` if none does."""
        i = bisect.bisect_right(self._starts, d) - 1
        if i >= 0 and d <= self.rows[i].valid_to:
            return self.rows[i]
        raise RateError("rate-missing", f"no {self.name} row covers {d.isoformat()} ({self._coverage()})")

    def value_on(self, d: date) -> Decimal:
        return self.row_on(d).value

    def periods(self, start: date, end: date) -> list[tuple[date, date, RateRow]]:
        """The rows crossing ``start``..``end`` (inclusive), each clipped to it, in date order.

        Empty when ``end < start``.  RateError ``rate-missing`` names the first
        uncovered day if any day of the span has no row.
        """
        out: list[tuple[date, date, RateRow]] = []
        d = start
        while d <= end:
            try:
                row = self.row_on(d)
            except RateError:
                raise RateError("rate-missing", f"no {self.name} row covers {d.isoformat()}, needed for "
                                f"{start.isoformat()}..{end.isoformat()} ({self._coverage()})") from None
            stop = min(row.valid_to, end)
            out.append((d, stop, row))
            if stop == end:
                break
            d = stop + _ONE_DAY
        return out

    def day_sums(self) -> tuple[int, list[int]] | None:
        """Running sums for interest, so that Σ rate × days over any span is one subtraction:
        (the first day's ordinal, sums) where sums[i] is the total of the first i days' rates in
        hundredths of a percent.  None when a rate has more than two decimals or the rows leave a
        gap: callers then go row by row (``periods``), which says what is wrong.  Built once."""
        if not self._day_sums:
            sums: list[int] = [0]
            ok = bool(self.rows)
            for a, b in zip(self.rows, self.rows[1:]):
                ok = ok and b.valid_from == a.valid_to + _ONE_DAY
            for row in self.rows if ok else ():
                hundredths = row.value * 100
                if hundredths != hundredths.to_integral_value():
                    ok = False
                    break
                step, total = int(hundredths), sums[-1]
                sums += [total + step * k for k in range(1, (row.valid_to - row.valid_from).days + 2)]
            self._day_sums.append((self.rows[0].valid_from.toordinal(), sums) if ok else None)
        return self._day_sums[0]  # type: ignore[no-any-return]

    def _coverage(self) -> str:
        """'rows cover 2024-01-01..2026-12-31' (contiguous rows joined), or 'the table has no rows'."""
        if not self.rows:
            return "the table has no rows"
        spans: list[list[date]] = []
        for row in self.rows:
            if spans and spans[-1][1] + _ONE_DAY == row.valid_from:
                spans[-1][1] = row.valid_to
            else:
                spans.append([row.valid_from, row.valid_to])
        return "rows cover " + ", ".join(f"{a.isoformat()}..{b.isoformat()}" for a, b in spans)


@dataclass(frozen=True)
class RateBook:
    """All tables of one rate file.  ``tables`` is read-only."""

    jurisdiction: str
    currency: str
    tables: Mapping[str, RateTable]
    path: str = "<input>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))

    def table(self, name: str) -> RateTable:
        """The table called ``name``; RateError ``unknown-rate-table`` (with a did-you-mean) if none is."""
        try:
            return self.tables[name]
        except KeyError:
            pass
        names = sorted(self.tables)
        hint = did_you_mean(name, names) if isinstance(name, str) else ""
        raise RateError("unknown-rate-table", f"{self.path} has no rate table {name!r}{hint} "
                        f"(tables: {', '.join(names) or 'none'})")


# --- loading -------------------------------------------------------------------------------------

def load_rates(path: str | os.PathLike[str]) -> RateBook:
    """Read (size-bounded) and check the rate file at ``path``."""
    from ._load import read_bounded  # _load pulls in the ruleset machinery; only needed here

    return parse_rates(read_bounded(path), str(path))


def parse_rates(text: str | bytes, path: str = "<string>") -> RateBook:
    """A RateBook from YAML text; RulesetError lists every problem found, located."""
    located = load_yaml(text, path)  # YAML problems raise here, all of them
    checker = _Checker(located)
    book = checker.book()
    if checker.findings:
        raise RulesetError(checker.findings)
    assert book is not None
    return book



def _kind(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the number {value}"


class _Checker:
    """Walks the located tree once, collecting findings and building what is valid."""

    def __init__(self, located: Located) -> None:
        self.loc = located
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, pointer: JsonPath, *, key: bool = False) -> None:
        self.findings.append(self.loc.finding(code, message, pointer, key=key))

    def keys(self, data: dict, pointer: JsonPath, allowed: tuple[str, ...], required: tuple[str, ...],
             what: str) -> None:
        for k in data:
            if k not in allowed:
                self.add("rates-unknown-key", f"{what} has no key {k!r}{did_you_mean(k, allowed)} "
                         f"(keys: {', '.join(allowed)})", pointer + (k,), key=True)
        for k in required:
            if k not in data:
                self.add("rates-missing-key", f"{what} needs the key {k!r}", pointer)

    def book(self) -> RateBook | None:
        data = self.loc.data
        if not isinstance(data, dict):
            self.add("rates-wrong-type", f"a rate file is a mapping with the keys {', '.join(_TOP_KEYS)}; "
                     f"this is {_kind(data)}", ())
            return None
        self.keys(data, (), _TOP_KEYS, _TOP_KEYS, "a rate file")
        version = data.get("dunningrules-rates")
        if "dunningrules-rates" in data and version != FORMAT_VERSION:
            if isinstance(version, int) and not isinstance(version, bool):
                self.add("rates-bad-value", f"rate file format {version} is not supported; "
                         f"write 'dunningrules-rates: {FORMAT_VERSION}'", ("dunningrules-rates",))
            else:
                self.add("rates-wrong-type", f"'dunningrules-rates' is the format version, the number "
                         f"{FORMAT_VERSION}; found {_kind(version)}", ("dunningrules-rates",))
        jurisdiction = self.code_value(data, "jurisdiction", _COUNTRY, "a two-letter country code like \"NO\"")
        currency = self.code_value(data, "currency", _CURRENCY, "a three-letter currency code like NOK")
        tables: dict[str, RateTable] = {}
        raw = data.get("tables")
        if "tables" in data:
            if not isinstance(raw, dict):
                self.add("rates-wrong-type", f"'tables' is a mapping from table name to table; "
                         f"found {_kind(raw)}", ("tables",))
            elif not raw:
                self.add("rates-bad-value", "'tables' is empty; a rate file has at least one table", ("tables",))
            else:
                for name, spec in raw.items():
                    table = self.table(name, spec, currency)
                    if table is not None:
                        tables[name] = table
        if self.findings:
            return None
        return RateBook(jurisdiction or "", currency or "", tables, self.loc.path)

    def code_value(self, data: dict, key: str, pattern: re.Pattern[str], want: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str):
            self.add("rates-wrong-type", f"{key!r} is {want}; found {_kind(value)}", (key,))
        elif not pattern.fullmatch(value):
            self.add("rates-bad-value", f"{key!r} is {want}; found {value!r}", (key,))
        else:
            return value
        return None

    def table(self, name: str, spec: Any, currency: str | None) -> RateTable | None:
        pointer: JsonPath = ("tables", name)
        what = f"table {name!r}"
        ok = True
        if not _TABLE_NAME.fullmatch(name):
            self.add("rates-bad-value", f"table name {name!r}: use lower case letters, digits and '_', "
                     "starting with a letter", pointer, key=True)
            ok = False
        if not isinstance(spec, dict):
            self.add("rates-wrong-type", f"{what} is a mapping with the keys {', '.join(_TABLE_KEYS)}; "
                     f"found {_kind(spec)}", pointer)
            return None
        before = len(self.findings)
        self.keys(spec, pointer, _TABLE_KEYS, _TABLE_REQUIRED, what)
        unit = spec.get("unit")
        if "unit" in spec:
            if not isinstance(unit, str):
                self.add("rates-wrong-type", f"{what}: 'unit' is {PERCENT!r} or the currency code; "
                         f"found {_kind(unit)}", pointer + ("unit",))
            elif unit != PERCENT and currency is not None and unit != currency:
                hint = did_you_mean(unit, [PERCENT, currency])
                self.add("rates-bad-value", f"{what}: unit {unit!r} is neither {PERCENT!r} nor the file's "
                         f"currency {currency!r}{hint}", pointer + ("unit",))
            elif unit != PERCENT and not _CURRENCY.fullmatch(unit):  # the file's currency is itself wrong
                self.add("rates-bad-value", f"{what}: unit {unit!r} is neither {PERCENT!r} nor a "
                         "three-letter currency code", pointer + ("unit",))
        if "description" in spec and not isinstance(spec["description"], str):
            self.add("rates-wrong-type", f"{what}: 'description' is text; found {_kind(spec['description'])}",
                     pointer + ("description",))
        rows_raw = spec.get("rows")
        rows: list[RateRow | None] = []
        if "rows" in spec:
            if not isinstance(rows_raw, list):
                self.add("rates-wrong-type", f"{what}: 'rows' is a list of rows; found {_kind(rows_raw)}",
                         pointer + ("rows",))
            elif not rows_raw:
                self.add("rates-bad-value", f"{what} has no rows; give at least one", pointer + ("rows",))
            else:
                money = isinstance(unit, str) and unit != PERCENT
                rows = [self.row(what, pointer + ("rows", i), raw, money) for i, raw in enumerate(rows_raw)]
                self.sequence(what, pointer + ("rows",), rows)
        if not ok or len(self.findings) > before or not rows or any(r is None for r in rows):
            return None
        return RateTable(name, unit, tuple(r for r in rows if r is not None))

    def row(self, what: str, pointer: JsonPath, raw: Any, money: bool) -> RateRow | None:
        if not isinstance(raw, dict):
            self.add("rates-wrong-type", f"{what}: a row is a mapping with the keys {', '.join(_ROW_KEYS)}; "
                     f"found {_kind(raw)}", pointer)
            return None
        before = len(self.findings)
        self.keys(raw, pointer, _ROW_KEYS, _ROW_REQUIRED, f"{what}: a row")
        start = self.date(raw, "valid_from", pointer)
        end = self.date(raw, "valid_to", pointer)
        if start is not None and end is not None and end < start:
            self.add("rates-range", f"valid_to {end.isoformat()} is before valid_from {start.isoformat()}; "
                     "valid_to is the row's last day (inclusive)", pointer + ("valid_to",))
        value = self.value(raw, pointer, money)
        source = raw.get("source")
        if "source" not in raw:
            self.add("rates-no-source", f"{what}: every row names its source (statute, regulation, "
                     "official notice); add 'source:'", pointer)
        elif source is not None and not isinstance(source, str):
            self.add("rates-wrong-type", f"'source' is text; found {_kind(source)}", pointer + ("source",))
        elif source is None or not source.strip():
            self.add("rates-no-source", f"{what}: the source is empty; name the statute, regulation "
                     "or official notice", pointer + ("source",))
        confirmed = raw.get("confirmed")
        if "confirmed" in raw and not isinstance(confirmed, bool):
            self.add("rates-wrong-type", f"'confirmed' is true or false; found {_kind(confirmed)}",
                     pointer + ("confirmed",))
        note = raw.get("note")
        if note is not None and not isinstance(note, str):
            self.add("rates-wrong-type", f"'note' is text; found {_kind(note)}", pointer + ("note",))
        elif confirmed is False and (note is None or not note.strip()):
            self.add("rates-missing-key", f"{what}: an unconfirmed row needs a 'note' saying what is "
                     "unconfirmed and what to check", pointer + ("confirmed",))
        if len(self.findings) > before:
            return None
        assert start is not None and end is not None and value is not None
        return RateRow(start, end, value, source.strip(), confirmed, note.strip() if note else None)

    def date(self, raw: dict, key: str, pointer: JsonPath) -> date | None:
        if key not in raw:
            return None
        value = raw[key]
        if not isinstance(value, str):
            self.add("rates-wrong-type", f"{key!r} is a date in quotes, \"YYYY-MM-DD\"; found {_kind(value)}",
                     pointer + (key,))
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.add("rates-bad-date", f"{key!r}: {value!r} is not a real day written YYYY-MM-DD",
                     pointer + (key,))
            return None

    def value(self, raw: dict, pointer: JsonPath, money: bool) -> Decimal | None:
        if "value" not in raw:
            return None
        value = raw["value"]
        where = pointer + ("value",)
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.add("rates-wrong-type", f"'value' is a decimal like \"700.00\"; found {_kind(value)}", where)
            return None
        if isinstance(value, str):
            if not _DECIMAL_TEXT.fullmatch(value.strip()):
                self.add("rates-bad-value", f"'value' {value!r} is not a decimal like \"700.00\" "
                         "(digits, one '.', no spaces, thousands separators or units)", where)
                return None
            try:
                value = Decimal(value.strip())
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
                self.add("rates-bad-value", f"'value' {value!r} is not a decimal", where)
                return None
        number = Decimal(value)
        if number < 0:
            self.add("rates-bad-value", f"'value' {number} is negative; rates and fees are never negative", where)
            return None
        if money and number != number.quantize(Decimal("0.01")):
            self.add("rates-bad-value", f"'value' {number} has more than two decimals; an amount of money "
                     "is in whole øre/öre", where)
            return None
        return number

    def sequence(self, what: str, pointer: JsonPath, rows: list[RateRow | None]) -> None:
        """Order, gaps and overlaps among the rows whose dates are valid."""
        dated = [(i, r) for i, r in enumerate(rows) if r is not None]
        for (_, a), (j, b) in zip(dated, dated[1:]):
            if b.valid_from < a.valid_from:
                self.add("rates-unsorted", f"{what}: rows go in date order; this row starts "
                         f"{b.valid_from.isoformat()}, before the row above it ({a.valid_from.isoformat()})",
                         pointer + (j, "valid_from"))
        # Checked in start order, so an unsorted table still gets its gaps and overlaps reported.
        # ``reach`` is the row ending last so far: a row nested inside an earlier long one overlaps it.
        ordered = sorted(dated, key=lambda ir: (ir[1].valid_from, ir[0]))
        reach: tuple[int, RateRow] | None = None
        for j, b in ordered:
            if reach is not None:
                i, a = reach
                if b.valid_from <= a.valid_to:
                    first, last = b.valid_from, min(a.valid_to, b.valid_to)
                    self.add("rates-overlap", f"{what}: this row ({_span(b)}) overlaps the row on line "
                             f"{self.loc.where(pointer + (i,))[0]} ({_span(a)}); both cover "
                             f"{first.isoformat()}..{last.isoformat()}", pointer + (j, "valid_from"))
                elif b.valid_from > a.valid_to + _ONE_DAY:
                    first, last = a.valid_to + _ONE_DAY, b.valid_from - _ONE_DAY
                    self.add("rates-gap", f"{what}: no row covers {first.isoformat()}..{last.isoformat()} "
                             f"(between the row ending {a.valid_to.isoformat()} and the row starting "
                             f"{b.valid_from.isoformat()})", pointer + (j, "valid_from"))
            if reach is None or b.valid_to > reach[1].valid_to:
                reach = (j, b)


def _span(row: RateRow) -> str:
    return f"{row.valid_from.isoformat()}..{row.valid_to.isoformat()}"
