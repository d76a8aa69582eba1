"""Business-day calendars for Norway, Sweden, Denmark and Finland.

A :class:`Calendar` answers "is this a business day?", rolls a date onto a business day and counts
business days.  Deadlines in collection law move off weekends and holidays (foreldelsesloven § 29,
lag 1930:173 § 2), so every scheduled action goes through one of these.

Each call is a table look-up: the schedule engine calls these millions of times (once per step per
case) and a per-call search over holidays would dominate its run time.  The tables cover the whole
supported range, and are filled a few years at a time as calls reach them, so that loading a ruleset
does not pay for 131 years of holidays when its cases fall in two or three.

Holidays come from the ``holidays`` package.  Its data and defaults change between releases (Sweden's
``include_sundays`` default flipped in 0.107), so every option is passed explicitly and
``tests/golden/calendars/`` snapshots what the pinned release gives (``scripts/snapshot_calendars.py``).
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as _dt
import difflib
import re
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import holidays

from ._errors import CalendarError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Closing days rulesets add because banks close, named in reasons as the holidays are.
_KNOWN_CLOSING_DAYS = {(12, 24): "Christmas Eve", (12, 31): "New Year's Eve"}
COUNTRIES = ("NO", "SE", "DK", "FI")
ROLL_CONVENTIONS = ("following", "preceding", "modified_following", "none")

# The package covers e.g. NO from 1901 and everything to 2100; rent cases never predate 1970, and the
# clip keeps build time and memory (a few MB per calendar) small.
_MIN_YEAR, _MAX_YEAR = 1970, 2100

# Options on top of years/categories/language, per country, as the 0.109 classes accept them.
# include_sundays: NO and SE can list every Sunday as a holiday; weekends are the spec's business, and
# SE's default has already changed once.  DK and FI have no such switch (passing it is an error).
_COUNTRY_OPTIONS: dict[str, dict[str, bool]] = {
    "NO": {"include_sundays": False},
    "SE": {"include_sundays": False},
    "DK": {},
    "FI": {},
}


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """What makes a calendar: a country, its holiday categories, extra closing days, the weekend."""

    country: str  # "NO" | "SE" | "DK" | "FI"
    categories: tuple[str, ...] = ("public",)  # holidays package categories
    closed: tuple[str, ...] = ()  # extra closing days: "MM-DD" (every year) or "YYYY-MM-DD" (once)
    weekend: tuple[str, ...] = ("sat", "sun")

    def __post_init__(self) -> None:
        # Specs loaded from YAML/JSON arrive with lists, or a lone string for a one-item list; make
        # them tuples so the spec stays hashable (build_calendar caches on it) and a string is not
        # taken apart letter by letter.  Anything else is left for check_spec to report.
        for name in ("categories", "closed", "weekend"):
            value = getattr(self, name)
            if isinstance(value, (list, str)):
                object.__setattr__(self, name, tuple(value) if isinstance(value, list) else (value,))


SHIPPED_CALENDARS: dict[str, CalendarSpec] = {
    # 24 and 31 Dec are not public holidays in Norway, but banks are closed, so nothing is sent or due.
    "no": CalendarSpec("NO", closed=("12-24", "12-31")),
    # Lag (1930:173) § 2 also moves deadlines off midsommarafton, julafton and nyårsafton: de_facto.
    "se": CalendarSpec("SE", categories=("public", "de_facto")),
    "dk": CalendarSpec("DK"),
    "fi": CalendarSpec("FI"),
}


# --- checking a spec --------------------------------------------------------------------------------


def _q(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


# Country names people type instead of the ISO code (prefix and difflib catch "norway", "fin", "swe").
_COUNTRY_ALIASES = {"sweden": "SE", "sverige": "SE", "denmark": "DK", "danmark": "DK", "suomi": "FI"}


def _did_you_mean(value: object, allowed: tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    """' (did you mean "x"?)' for the closest allowed value, or ''."""
    if not isinstance(value, str):
        return ""
    by_lower = {a.lower(): a for a in allowed} | (aliases or {})
    v = value.strip().lower()
    # "saturday" -> "sat", "public_holidays" -> "public": difflib's ratio is too low for those.
    hits = [a for a in by_lower if v.startswith(a)] or difflib.get_close_matches(v, by_lower, 1, 0.6)
    return f" (did you mean {_q(by_lower[hits[0]])}?)" if hits else ""


def _country_range(country: str) -> tuple[int, int]:
    cls = getattr(holidays, country)
    return max(cls.start_year, _MIN_YEAR), min(cls.end_year, _MAX_YEAR)


_CLOSING_RE = re.compile(r"(?:(\d{4})-)?(\d{2})-(\d{2})")


def _parse_closing(text: str) -> tuple[int | None, int, int]:
    """("YYYY-MM-DD" | "MM-DD") -> (year or None, month, day); ValueError says what is wrong."""
    m = _CLOSING_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError("wrong form")
    year = int(m[1]) if m[1] else None
    month, day = int(m[2]), int(m[3])
    _dt.date(year or 2000, month, day)  # 2000 is a leap year, so "02-29" passes as a yearly day
    return year, month, day


def _closing_suggestion(text: object) -> str:
    """Guess the intended closing day: "12/24" or "24.12" -> "12-24", "24.12.2026" -> "2026-12-24"."""
    if not isinstance(text, str):
        return ""
    parts = re.findall(r"\d+", text)
    candidates = []
    if len(parts) == 2:
        a, b = (p.zfill(2) for p in parts)
        candidates = [f"{a}-{b}", f"{b}-{a}"]  # month first, then the Nordic day-first order
    elif len(parts) == 3:
        if len(parts[0]) == 4:
            candidates = [f"{parts[0]}-{parts[1].zfill(2)}-{parts[2].zfill(2)}"]
        elif len(parts[2]) == 4:
            candidates = [f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"]
    for c in candidates:
        try:
            _parse_closing(c)
        except ValueError:
            continue
        if c != text:
            return f' (did you mean "{c}"?)'
    return ""


def check_spec(spec: CalendarSpec) -> list[tuple[str, str, str]]:
    """Return problems as (field, code, message) without raising; [] if the spec is usable."""
    problems: list[tuple[str, str, str]] = []
    codes = {"categories": "unknown-category", "closed": "bad-closing-day", "weekend": "bad-weekend"}
    for field, code in codes.items():
        if not isinstance(getattr(spec, field), tuple):
            problems.append((field, code, f"{field} must be a list, got {getattr(spec, field)!r}"))
    if problems:
        return problems  # the checks below iterate the fields
    country_ok = isinstance(spec.country, str) and spec.country in COUNTRIES
    if not country_ok:
        problems.append((
            "country", "unknown-country",
            f"unknown country {_q(spec.country)}"
            f"{_did_you_mean(spec.country, COUNTRIES, _COUNTRY_ALIASES)}; supported: {', '.join(COUNTRIES)}",
        ))

    # Categories depend on the country, so they can only be checked against a known one.
    if country_ok:
        allowed = tuple(sorted(getattr(holidays, spec.country).supported_categories))
        listing = f"categories supported by holidays.{spec.country}: {', '.join(allowed)}"
        if not spec.categories:
            problems.append(("categories", "unknown-category", f"no categories given; {listing}"))
        else:
            for cat in spec.categories:
                if cat not in allowed:
                    problems.append((
                        "categories", "unknown-category",
                        f"unknown holiday category {_q(cat)}{_did_you_mean(cat, allowed)}; {listing}",
                    ))

    for text in spec.closed:
        try:
            year, _, _ = _parse_closing(text)
        except ValueError as exc:
            problems.append((
                "closed", "bad-closing-day",
                f"{_q(text)} is not a closing day: {exc}{_closing_suggestion(text)}; "
                'use "MM-DD" for every year or "YYYY-MM-DD" for one day',
            ))
            continue
        if year is not None and country_ok:
            lo, hi = _country_range(spec.country)
            if not lo <= year <= hi:
                problems.append((
                    "closed", "bad-closing-day",
                    f"closing day {_q(text)} is outside the calendar range {lo}..{hi} of {spec.country}",
                ))

    for day in spec.weekend:
        if day not in WEEKDAY_NAMES:
            problems.append((
                "weekend", "bad-weekend",
                f"unknown weekday {_q(day)}{_did_you_mean(day, WEEKDAY_NAMES)}; "
                f"use {', '.join(WEEKDAY_NAMES)}",
            ))
    if set(WEEKDAY_NAMES) <= set(spec.weekend):
        problems.append(("weekend", "bad-weekend", "every day of the week is a weekend day: no business days"))
    return problems


def _same_month(a: int, b: int) -> bool:
    da, db = _dt.date.fromordinal(a), _dt.date.fromordinal(b)
    return (da.year, da.month) == (db.year, db.month)


# --- the calendar -----------------------------------------------------------------------------------


# Filling a calendar's tables is rare and short; one lock for all calendars keeps two threads from
# filling the same years at once.
_FILL_LOCK = threading.Lock()


@lru_cache(maxsize=32)
def build_calendar(spec: CalendarSpec) -> Calendar:
    """The calendar for ``spec``, built once per spec (cached).  Raises CalendarError on a bad spec."""
    return Calendar(spec)


class Calendar:
    """Business days of one spec over ``first``..``last``.  Build with :func:`build_calendar`.

    Tables, indexed by ``ordinal - first.toordinal()``:
      ``_is_bd[i]``  1 if a business day;
      ``_rank[i]``   number of business days before offset i, plus a constant;
      ``_bd``        the business-day ordinals in order, at their rank, so ``_bd[_rank[i]]`` is the first
                     business day on or after i and ``_bd[_rank[i + 1] - 1]`` the last one on or before i.
    Adding n business days is then one index into ``_bd``.

    The tables are filled a few years at a time, for the years that calls reach (a batch of cases due
    in 2026 needs a handful of the 131), and never change once filled: offsets ``_ilo <= i < _ihi`` and
    ranks ``_jlo <= j < _jhi`` are filled, and a call that reaches outside them fills more years first
    (:meth:`_fill`), so every answer is the one tables over the whole range would give.  Holidays of
    one year do not depend on the years asked with it (tests/test_calendar.py checks this).
    """

    __slots__ = ("spec", "first", "last", "_base", "_size", "_is_bd", "_rank", "_bd", "_names", "_named",
                 "_ilo", "_ihi", "_jlo", "_jhi", "_weekend")

    def __init__(self, spec: CalendarSpec) -> None:
        problems = check_spec(spec)
        if problems:
            raise CalendarError(problems[0][1], "; ".join(message for _, _, message in problems))
        lo, hi = _country_range(spec.country)
        self.spec = spec
        self.first = _dt.date(lo, 1, 1)
        self.last = _dt.date(hi, 12, 31)
        self._base = self.first.toordinal()
        size = self._size = self.last.toordinal() - self._base + 1
        self._is_bd = bytearray(size)
        self._rank = [0] * (size + 1)
        self._bd = [0] * size
        # Why each closed day is closed, for the years filled.
        self._names: dict[int, str] = {}
        self._named: list[int] = []  # sorted, for holidays_in by bisection
        self._ilo = self._ihi = self._jlo = self._jhi = 0  # nothing filled yet
        weekend = {WEEKDAY_NAMES.index(w) for w in spec.weekend}
        self._weekend = tuple(wd in weekend for wd in range(7))

    # --- filling the tables ---

    def _fill(self, year_lo: int, year_hi: int) -> None:
        """Fill the tables over at least ``year_lo``..``year_hi`` (clipped to the range)."""
        year_lo, year_hi = max(year_lo, self.first.year), min(year_hi, self.last.year)
        if year_lo > year_hi:
            return
        with _FILL_LOCK:
            if self._ilo == self._ihi:
                # Nothing filled: start at year_lo, with the rank there equal to the offset, which keeps
                # every rank in 0..size whichever way the tables grow (no more business days than days).
                start = _dt.date(year_lo, 1, 1).toordinal() - self._base
                self._rank[start] = start
                self._ilo = self._ihi = self._jlo = self._jhi = start
            filled_lo = _dt.date.fromordinal(self._base + self._ilo).year
            filled_hi = _dt.date.fromordinal(self._base + self._ihi - 1).year if self._ihi > self._ilo else filled_lo - 1
            if year_hi > filled_hi:
                self._fill_up(filled_hi + 1, year_hi)
            if year_lo < filled_lo:
                self._fill_down(year_lo, filled_lo - 1)

    def _closures(self, year_lo: int, year_hi: int) -> dict[int, str]:
        """Why each closed day of the years ``year_lo``..``year_hi`` is closed (weekends aside)."""
        spec = self.spec
        # Closing days first, so that a holiday on the same date (e.g. DK Christmas Eve with "12-24"
        # closed) keeps its real name.
        names: dict[int, str] = {}
        for text in spec.closed:
            year, month, day = _parse_closing(text)
            for y in (year,) if year is not None else range(year_lo, year_hi + 1):
                if not year_lo <= y <= year_hi:
                    continue
                if month == 2 and day == 29 and not _stdcal.isleap(y):
                    continue  # "02-29" closes only in leap years
                known = _KNOWN_CLOSING_DAYS.get((month, day))
                names[_dt.date(y, month, day).toordinal()] = (
                    f"{known} (closing day {text})" if known else f"closing day {text}")
        found = holidays.country_holidays(
            spec.country,
            years=range(year_lo, year_hi + 1),
            categories=spec.categories,
            language="en_US",
            # No Nordic country moves a holiday off a weekend; 0.109 gives the same days either
            # way, and saying so keeps it that way if the default or the data grows a rule.
            observed=False,
            **_COUNTRY_OPTIONS[spec.country],
        )
        for d, name in found.items():
            if year_lo <= d.year <= year_hi:  # each year's fall in that year in 0.109; keep it so
                names[d.toordinal()] = name
        return names

    def _publish(self, names: dict[int, str]) -> None:
        self._names.update(names)
        self._named = sorted(self._names)

    # The two below write only outside what is filled, and move the bounds last: a call running
    # meanwhile reads filled entries only, and those never change.

    def _fill_up(self, year_lo: int, year_hi: int) -> None:
        names = self._closures(year_lo, year_hi)
        base, is_bd, rank, bd, weekend = self._base, self._is_bd, self._rank, self._bd, self._weekend
        start = self._ihi
        end = _dt.date(year_hi, 12, 31).toordinal() - base + 1
        first_wd = self.first.weekday()
        r = rank[start]
        for i in range(start, end):
            o = base + i
            if not weekend[(first_wd + i) % 7] and o not in names:
                is_bd[i] = 1
                bd[r] = o
                r += 1
            rank[i + 1] = r
        self._publish(names)
        self._jhi = r
        self._ihi = end

    def _fill_down(self, year_lo: int, year_hi: int) -> None:
        names = self._closures(year_lo, year_hi)
        base, is_bd, rank, bd, weekend = self._base, self._is_bd, self._rank, self._bd, self._weekend
        start = _dt.date(year_lo, 1, 1).toordinal() - base
        end = self._ilo
        first_wd = self.first.weekday()
        r = rank[end]
        for i in range(end - 1, start - 1, -1):
            o = base + i
            if not weekend[(first_wd + i) % 7] and o not in names:
                is_bd[i] = 1
                r -= 1
                bd[r] = o
            rank[i] = r
        self._publish(names)
        self._jlo = r
        self._ilo = start

    def _fill_for(self, o: int) -> None:
        """Fill the years around ordinal ``o`` (in the range): the year before and the four after,
        as far as a schedule's steps usually reach from a due date."""
        year = _dt.date.fromordinal(o).year
        self._fill(year - 1, year + 4)

    def _can_fill(self, direction: int) -> bool:
        return self._ihi < self._size if direction > 0 else self._ilo > 0

    def _fill_more(self, direction: int, n: int = 0) -> None:
        """Fill years past the filled ones, after them (direction > 0) or before: enough for about
        ``n`` business days, and at least four."""
        years = max(4, abs(n) // 200 + 1)
        if direction > 0:
            top = _dt.date.fromordinal(self._base + self._ihi - 1).year
            self._fill(top + 1, top + years)
        else:
            bottom = _dt.date.fromordinal(self._base + self._ilo).year
            self._fill(bottom - years, bottom - 1)

    def __repr__(self) -> str:
        return f"<Calendar {self.spec!r} {self.first}..{self.last}>"

    # --- errors ---

    def _range_error(self, what: str) -> CalendarError:
        return CalendarError(
            "calendar-range",
            f"{what} is outside the calendar range {self.first}..{self.last} of {self.spec.country} "
            f"(holidays {holidays.__version__})",
        )

    @staticmethod
    def _iso(o: int) -> str:
        try:
            return _dt.date.fromordinal(o).isoformat()
        except (ValueError, OverflowError):
            return "a day after 9999-12-31" if o > 0 else "a day before 0001-01-01"

    def _index(self, o: int) -> int:
        i = o - self._base
        if self._ilo <= i < self._ihi:
            return i
        if 0 <= i < self._size:
            self._fill_for(o)
            return i
        raise self._range_error(self._iso(o))

    # --- ordinal API (the hot path) ---

    def is_business_ordinal(self, o: int) -> bool:
        return self._is_bd[self._index(o)] == 1

    def roll_ordinal(self, o: int, convention: str) -> int:
        if convention not in ROLL_CONVENTIONS:
            raise ValueError(f"unknown roll convention {convention!r}; use one of {', '.join(ROLL_CONVENTIONS)}")
        i = self._index(o)
        if convention == "none" or self._is_bd[i]:
            return o
        j = self._rank[i]  # index in _bd of the first business day after o (o itself is closed)
        if j < self._jhi:
            following = self._bd[j]
        elif self._can_fill(+1):
            self._fill_more(+1)
            return self.roll_ordinal(o, convention)
        else:
            following = None
        if convention == "following":
            if following is None:
                raise self._range_error(f"the first business day on or after {self._iso(o)}")
            return following
        if convention == "modified_following" and following is not None and _same_month(o, following):
            return following
        # preceding, or modified_following whose next business day is in another month (or past last)
        if j == self._jlo:
            if self._can_fill(-1):
                self._fill_more(-1)
                return self.roll_ordinal(o, convention)
            raise self._range_error(f"the last business day on or before {self._iso(o)}")
        return self._bd[j - 1]

    def add_business_days_ordinal(self, o: int, n: int) -> int:
        i = self._index(o)
        if n > 0:
            j = self._rank[i + 1] + n - 1  # business days strictly after o start at _rank[i + 1]
        elif n < 0:
            j = self._rank[i] + n  # ... and strictly before o end at _rank[i] - 1
        else:
            return o
        if self._jlo <= j < self._jhi:  # explicit: a negative j would silently index from the end
            return self._bd[j]
        if self._can_fill(n):
            self._fill_more(n, n)
            return self.add_business_days_ordinal(o, n)
        raise self._range_error(f"{n:+d} business days from {self._iso(o)}")

    # --- date API ---

    def is_business_day(self, d: _dt.date) -> bool:
        return self.is_business_ordinal(d.toordinal())

    def closure_name(self, d: _dt.date) -> str | None:
        """Why ``d`` is closed: the holiday's name, "closing day 12-24", or the weekday; None if open."""
        o = d.toordinal()
        if self._is_bd[self._index(o)]:
            return None
        return self._names.get(o) or _DAY_NAMES[d.weekday()]

    def roll(self, d: _dt.date, convention: str) -> _dt.date:
        return _dt.date.fromordinal(self.roll_ordinal(d.toordinal(), convention))

    def add_business_days(self, d: _dt.date, n: int) -> _dt.date:
        return _dt.date.fromordinal(self.add_business_days_ordinal(d.toordinal(), n))

    def holidays_in(self, start: _dt.date, end: _dt.date) -> list[tuple[_dt.date, str]]:
        """Holidays and closing days in start..end inclusive (also those on a weekend), by date."""
        lo, hi = start.toordinal(), end.toordinal()
        self._index(lo)
        self._index(hi)
        named = self._named[bisect_left(self._named, lo) : bisect_right(self._named, hi)]
        return [(_dt.date.fromordinal(o), self._names[o]) for o in named]
