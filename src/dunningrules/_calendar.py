"""Business-day calendars for Norway, Sweden, Denmark and Finland.

A :class:`Calendar` answers "is this a business day?", rolls a date onto a business day and counts
business days.  Deadlines in collection law move off weekends and holidays (foreldelsesloven § 29,
lag 1930:173 § 2), so every scheduled action goes through one of these.

Everything is precomputed when a calendar is built, over the whole supported range, so each call is a
table look-up: the schedule engine calls these millions of times (once per step per case) and a
per-call search over holidays would dominate its run time.

Holidays come from the ``holidays`` package.  Its data and defaults change between releases (Sweden's
``include_sundays`` default flipped in 0.107), so every option is passed explicitly and
``tests/golden/calendars/`` snapshots what the pinned release gives (``scripts/snapshot_calendars.py``).
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as _dt
import difflib
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import holidays

from ._errors import CalendarError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
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


@lru_cache(maxsize=32)
def build_calendar(spec: CalendarSpec) -> Calendar:
    """The calendar for ``spec``, built once per spec (cached).  Raises CalendarError on a bad spec."""
    return Calendar(spec)


class Calendar:
    """Business days of one spec over ``first``..``last``.  Build with :func:`build_calendar`.

    Tables, indexed by ``ordinal - first.toordinal()``:
      ``_is_bd[i]``  1 if a business day;
      ``_rank[i]``   number of business days before offset i (``_rank[size]`` = all of them);
      ``_bd``        the business-day ordinals in order, so ``_bd[_rank[i]]`` is the first business
                     day on or after i and ``_bd[_rank[i + 1] - 1]`` the last one on or before i.
    Adding n business days is then one index into ``_bd``.
    """

    __slots__ = ("spec", "first", "last", "_base", "_size", "_is_bd", "_rank", "_bd", "_names", "_named")

    def __init__(self, spec: CalendarSpec) -> None:
        problems = check_spec(spec)
        if problems:
            raise CalendarError(problems[0][1], "; ".join(message for _, _, message in problems))
        lo, hi = _country_range(spec.country)
        self.spec = spec
        self.first = _dt.date(lo, 1, 1)
        self.last = _dt.date(hi, 12, 31)
        base = self._base = self.first.toordinal()
        size = self._size = self.last.toordinal() - base + 1

        # Why each closed day is closed.  Closing days first, so that a holiday on the same date
        # (e.g. DK Christmas Eve with "12-24" closed) keeps its real name.
        names: dict[int, str] = {}
        for text in spec.closed:
            year, month, day = _parse_closing(text)
            for y in (year,) if year is not None else range(lo, hi + 1):
                if month == 2 and day == 29 and not _stdcal.isleap(y):
                    continue  # "02-29" closes only in leap years
                names[_dt.date(y, month, day).toordinal()] = f"closing day {text}"
        found = holidays.country_holidays(
            spec.country,
            years=range(lo, hi + 1),
            categories=spec.categories,
            language="en_US",
            # No Nordic country moves a holiday off a weekend; 0.109 gives the same days either
            # way, and saying so keeps it that way if the default or the data grows a rule.
            observed=False,
            **_COUNTRY_OPTIONS[spec.country],
        )
        for d, name in found.items():
            names[d.toordinal()] = name

        weekend = {WEEKDAY_NAMES.index(w) for w in spec.weekend}
        is_weekend = [wd in weekend for wd in range(7)]
        first_wd = self.first.weekday()
        is_bd = bytearray(size)
        rank = [0] * (size + 1)
        bd: list[int] = []
        for i in range(size):
            o = base + i
            if not is_weekend[(first_wd + i) % 7] and o not in names:
                is_bd[i] = 1
                bd.append(o)
            rank[i + 1] = len(bd)
        self._is_bd, self._rank, self._bd = is_bd, rank, bd
        self._names = names
        self._named = sorted(names)  # for holidays_in by bisection

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
            return f"ordinal {o}"

    def _index(self, o: int) -> int:
        i = o - self._base
        if 0 <= i < self._size:
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
        following = self._bd[j] if j < len(self._bd) else None
        if convention == "following":
            if following is None:
                raise self._range_error(f"the first business day on or after {self._iso(o)}")
            return following
        if convention == "modified_following" and following is not None and _same_month(o, following):
            return following
        # preceding, or modified_following whose next business day is in another month (or past last)
        if j == 0:
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
        if 0 <= j < len(self._bd):  # explicit: a negative j would silently index from the end
            return self._bd[j]
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
