"""Business-day calendars: real 2026 dates, golden snapshots, and properties against a brute-force oracle."""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunningrules._calendar import (
    ROLL_CONVENTIONS,
    SHIPPED_CALENDARS,
    WEEKDAY_NAMES,
    Calendar,
    CalendarSpec,
    build_calendar,
    check_spec,
)
from dunningrules._errors import CalendarError

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "calendars"
D = dt.date

NO = build_calendar(SHIPPED_CALENDARS["no"])  # public + closed 12-24, 12-31
NO_PUBLIC = build_calendar(CalendarSpec("NO"))  # public holidays only
SE = build_calendar(SHIPPED_CALENDARS["se"])  # public + de_facto
SE_PUBLIC = build_calendar(CalendarSpec("SE"))


def _load_script():
    spec = importlib.util.spec_from_file_location("snapshot_calendars", ROOT / "scripts" / "snapshot_calendars.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


snapshot_script = _load_script()


# --- golden snapshots --------------------------------------------------------------------------------


def test_golden_files_are_exactly_the_shipped_calendars():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(SHIPPED_CALENDARS)


@pytest.mark.parametrize("name", sorted(SHIPPED_CALENDARS))
def test_calendar_matches_golden_snapshot(name):
    path = GOLDEN / f"{name}.json"
    on_disk = path.read_text(encoding="utf-8")
    computed = snapshot_script.render(name)
    if computed != on_disk:
        diff = "".join(difflib.unified_diff(
            on_disk.splitlines(keepends=True), computed.splitlines(keepends=True),
            fromfile=f"{path} (golden)", tofile=f"{name} (computed now)",
        ))
        pytest.fail(
            f"calendar {name!r} differs from {path}.\n{diff}\n"
            "If the change is intended (e.g. a holidays upgrade), review the diff and regenerate with:\n"
            "    python scripts/snapshot_calendars.py"
        )


def test_golden_snapshot_records_spec_and_version():
    doc = json.loads((GOLDEN / "no.json").read_text(encoding="utf-8"))
    assert doc["spec"] == {"country": "NO", "categories": ["public"], "closed": ["12-24", "12-31"],
                           "weekend": ["sat", "sun"]}
    assert doc["holidays_version"] == holidays.__version__
    assert {"date": "2026-04-02", "weekday": "Thu", "name": "Maundy Thursday"} in doc["closed_weekdays"]
    assert {"date": "2026-12-24", "weekday": "Thu", "name": "Christmas Eve (closing day 12-24)"} in doc["closed_weekdays"]
    # weekend days are not listed, even when they are holidays (17 May 2026 is a Sunday)
    assert all(e["weekday"] not in ("Sat", "Sun") for e in doc["closed_weekdays"])


def test_snapshot_script_writes_then_checks(tmp_path, capsys):
    assert snapshot_script.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in SHIPPED_CALENDARS)
    for p in tmp_path.iterdir():
        text = p.read_text(encoding="utf-8")
        assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                                                             ensure_ascii=False) + "\n"
    assert snapshot_script.main(["--check", "--out", str(tmp_path)]) == 0

    tampered = tmp_path / "se.json"
    tampered.write_text(tampered.read_text(encoding="utf-8").replace("Midsummer Eve", "Midsomer Eve"))
    capsys.readouterr()
    assert snapshot_script.main(["--check", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert '-      "name": "Midsomer Eve",' in out and '+      "name": "Midsummer Eve",' in out
    assert "python scripts/snapshot_calendars.py" in err

    assert snapshot_script.main(["--out", str(tmp_path)]) == 0  # rewriting fixes it
    (tmp_path / "xx.json").write_text("{}\n")
    assert snapshot_script.main(["--check", "--out", str(tmp_path)]) == 1


# --- real dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("day, name", [
    (D(2026, 1, 1), "New Year's Day"),
    (D(2026, 4, 2), "Maundy Thursday"),
    (D(2026, 4, 3), "Good Friday"),
    (D(2026, 4, 6), "Easter Monday"),
    (D(2026, 5, 1), "Labor Day"),
    (D(2026, 5, 14), "Ascension Day"),
    (D(2026, 5, 25), "Pentecost Monday"),
    (D(2026, 12, 25), "Christmas Day"),
    (D(2026, 12, 26), "Second Day of Christmas"),
])
def test_norway_2026_holidays(day, name):
    for cal in (NO, NO_PUBLIC):
        assert not cal.is_business_day(day)
        assert cal.closure_name(day) == name


def test_norway_17_may_2026_is_a_sunday_and_a_holiday():
    assert D(2026, 5, 17).weekday() == 6
    assert NO.closure_name(D(2026, 5, 17)) == "Constitution Day"
    assert (D(2026, 5, 17), "Constitution Day") in NO.holidays_in(D(2026, 5, 1), D(2026, 5, 31))
    assert NO.is_business_day(D(2026, 5, 18))


@pytest.mark.parametrize("day, name", [(D(2026, 12, 24), "Christmas Eve"), (D(2026, 12, 31), "New Year's Eve")])
def test_norway_24_and_31_december_closed_only_when_the_spec_says_so(day, name):
    assert NO_PUBLIC.is_business_day(day) and NO_PUBLIC.closure_name(day) is None
    assert not NO.is_business_day(day)
    assert NO.closure_name(day) == f"{name} (closing day {day:%m-%d})"


def test_a_closing_day_without_a_common_name_is_named_by_its_date():
    cal = build_calendar(CalendarSpec("NO", ("public",), ("06-18",)))
    assert cal.closure_name(D(2026, 6, 18)) == "closing day 06-18"


def test_norway_business_days_around_easter_2026():
    assert NO.is_business_day(D(2026, 4, 1))
    assert NO.closure_name(D(2026, 4, 4)) == "Saturday"
    assert NO.closure_name(D(2026, 4, 5)) == "Easter Sunday"
    assert NO.is_business_day(D(2026, 4, 7))


def test_sweden_midsummer_eve_is_closed_only_with_de_facto():
    eve = D(2026, 6, 19)
    assert eve.weekday() == 4
    assert not SE.is_business_day(eve) and SE.closure_name(eve) == "Midsummer Eve"
    assert SE_PUBLIC.is_business_day(eve) and SE_PUBLIC.closure_name(eve) is None
    assert SE.roll(eve, "following") == D(2026, 6, 22)
    assert SE_PUBLIC.roll(eve, "following") == eve


@pytest.mark.parametrize("day, name", [
    (D(2026, 6, 6), "National Day"),
    (D(2026, 10, 31), "All Saints' Day"),
    (D(2026, 6, 20), "Midsummer Day"),
    (D(2026, 1, 6), "Epiphany"),
])
def test_sweden_2026_holidays(day, name):
    for cal in (SE, SE_PUBLIC):
        assert cal.closure_name(day) == name


def test_sweden_de_facto_eves():
    for day, name in [(D(2026, 12, 24), "Christmas Eve"), (D(2026, 12, 31), "New Year's Eve")]:
        assert SE.closure_name(day) == name
        assert SE_PUBLIC.is_business_day(day)


def test_sweden_sundays_are_weekend_not_holidays():
    # include_sundays=False is passed explicitly: a plain Sunday is named by the weekend, not the package
    assert SE.closure_name(D(2026, 3, 22)) == "Sunday"
    assert SE.holidays_in(D(2026, 3, 16), D(2026, 3, 29)) == []


# --- worked dates from DOMAIN.md ---------------------------------------------------------------------


def test_worked_dates_norway_due_18_march_2026():
    due = D(2026, 3, 18)
    d5, d10, d15 = (due + dt.timedelta(days=k) for k in (5, 10, 15))
    assert (d5, d10, d15) == (D(2026, 3, 23), D(2026, 3, 28), D(2026, 4, 2))
    assert NO.is_business_day(d5) and NO.roll(d5, "following") == D(2026, 3, 23)
    assert NO.closure_name(d10) == "Saturday" and NO.roll(d10, "following") == D(2026, 3, 30)
    assert NO.closure_name(d15) == "Maundy Thursday" and NO.roll(d15, "following") == D(2026, 4, 7)


def test_worked_dates_sweden_due_5_june_2026():
    assert SE.roll(D(2026, 6, 5) + dt.timedelta(days=14), "following") == D(2026, 6, 22)


# --- rolling -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cal, day, convention, expected", [
    (NO, D(2026, 10, 31), "following", D(2026, 11, 2)),
    (NO, D(2026, 10, 31), "preceding", D(2026, 10, 30)),
    (NO, D(2026, 10, 31), "modified_following", D(2026, 10, 30)),  # Monday is in November
    (NO, D(2026, 10, 31), "none", D(2026, 10, 31)),
    (NO, D(2026, 5, 31), "modified_following", D(2026, 5, 29)),  # Sunday; Mon 1 Jun is next month
    (NO, D(2026, 3, 28), "modified_following", D(2026, 3, 30)),  # stays in March: plain following
    (NO, D(2026, 5, 1), "preceding", D(2026, 4, 30)),  # Labour Day, preceding crosses the month
    (NO, D(2026, 4, 2), "preceding", D(2026, 4, 1)),
    (NO, D(2026, 4, 6), "preceding", D(2026, 4, 1)),
    (NO, D(2027, 12, 31), "modified_following", D(2027, 12, 30)),  # closed Friday 31 Dec
    (NO, D(2027, 12, 31), "following", D(2028, 1, 3)),
    (NO_PUBLIC, D(2027, 12, 31), "modified_following", D(2027, 12, 31)),
    (SE, D(2026, 12, 24), "following", D(2026, 12, 28)),
    (SE, D(2026, 12, 31), "modified_following", D(2026, 12, 30)),
    (NO, D(2026, 3, 23), "preceding", D(2026, 3, 23)),  # a business day stays put under every convention
])
def test_roll(cal, day, convention, expected):
    assert cal.roll(day, convention) == expected


def test_unknown_roll_convention_is_a_value_error_even_on_a_business_day():
    with pytest.raises(ValueError, match="modified_following"):
        NO.roll(D(2026, 3, 23), "forward")
    with pytest.raises(ValueError):
        NO.roll_ordinal(D(2026, 3, 28).toordinal(), "Following")


# --- adding business days ----------------------------------------------------------------------------


@pytest.mark.parametrize("cal, day, n, expected", [
    (NO, D(2026, 4, 1), 1, D(2026, 4, 7)),  # over Easter
    (NO, D(2026, 4, 1), 3, D(2026, 4, 9)),
    (NO, D(2026, 4, 2), 1, D(2026, 4, 7)),  # from a holiday: the day itself is not counted
    (NO, D(2026, 4, 7), -1, D(2026, 4, 1)),
    (NO, D(2026, 4, 6), -1, D(2026, 4, 1)),
    (NO, D(2026, 12, 23), 1, D(2026, 12, 28)),  # 24 closed, 25 holiday, weekend
    (NO, D(2026, 12, 23), 4, D(2027, 1, 4)),  # 28, 29, 30, (31 closed, 1 Jan, weekend) 4 Jan
    (NO, D(2027, 1, 4), -4, D(2026, 12, 23)),
    (NO_PUBLIC, D(2026, 12, 23), 1, D(2026, 12, 24)),
    (SE, D(2026, 6, 18), 1, D(2026, 6, 22)),  # over midsummer
    (SE_PUBLIC, D(2026, 6, 18), 1, D(2026, 6, 19)),
    (NO, D(2026, 3, 20), 5, D(2026, 3, 27)),
    (NO, D(2026, 3, 28), 0, D(2026, 3, 28)),  # n == 0 leaves even a Saturday alone
    (NO, D(2026, 3, 28), 1, D(2026, 3, 30)),
    (NO, D(2026, 3, 28), -1, D(2026, 3, 27)),
])
def test_add_business_days(cal, day, n, expected):
    assert cal.add_business_days(day, n) == expected
    assert cal.add_business_days_ordinal(day.toordinal(), n) == expected.toordinal()


# --- closing days and weekends -----------------------------------------------------------------------


def test_closing_days_yearly_leap_day_and_once():
    cal = build_calendar(CalendarSpec("NO", closed=("02-29", "2026-03-18")))
    assert cal.closure_name(D(2028, 2, 29)) == "closing day 02-29"  # a Tuesday in a leap year
    assert cal.is_business_day(D(2027, 3, 1)) and cal.is_business_day(D(2027, 2, 26))
    assert cal.closure_name(D(2026, 3, 18)) == "closing day 2026-03-18"
    assert cal.is_business_day(D(2027, 3, 18))
    assert cal.holidays_in(D(2026, 3, 1), D(2026, 3, 31)) == [(D(2026, 3, 18), "closing day 2026-03-18")]


def test_holiday_name_wins_over_a_closing_day_on_the_same_date():
    cal = build_calendar(CalendarSpec("SE", categories=("public", "de_facto"), closed=("12-24",)))
    assert cal.closure_name(D(2026, 12, 24)) == "Christmas Eve"
    assert cal.holidays_in(D(2026, 12, 24), D(2026, 12, 24)) == [(D(2026, 12, 24), "Christmas Eve")]


def test_custom_weekend():
    cal = build_calendar(CalendarSpec("NO", weekend=("fri", "sat")))
    assert cal.closure_name(D(2026, 3, 27)) == "Friday"
    assert cal.closure_name(D(2026, 3, 28)) == "Saturday"
    assert cal.is_business_day(D(2026, 3, 29))  # Sunday
    assert cal.add_business_days(D(2026, 3, 26), 1) == D(2026, 3, 29)


def test_holidays_in_lists_holidays_and_closing_days_not_plain_weekends():
    assert NO.holidays_in(D(2026, 4, 1), D(2026, 4, 7)) == [
        (D(2026, 4, 2), "Maundy Thursday"),
        (D(2026, 4, 3), "Good Friday"),
        (D(2026, 4, 5), "Easter Sunday"),
        (D(2026, 4, 6), "Easter Monday"),
    ]
    assert NO.holidays_in(D(2026, 12, 24), D(2026, 12, 24)) == [(D(2026, 12, 24), "Christmas Eve (closing day 12-24)")]
    assert NO.holidays_in(D(2026, 12, 27), D(2026, 12, 27)) == []
    assert NO.holidays_in(D(2026, 12, 31), D(2026, 12, 1)) == []


# --- range -------------------------------------------------------------------------------------------


def test_supported_range():
    for cal in (NO, SE):
        assert (cal.first, cal.last) == (D(1970, 1, 1), D(2100, 12, 31))


def _range_error(call) -> CalendarError:
    with pytest.raises(CalendarError) as info:
        call()
    assert info.value.code == "calendar-range"
    return info.value


def test_out_of_range_date_message():
    err = _range_error(lambda: NO.roll(D(2150, 1, 1), "following"))
    assert err.message == (
        f"2150-01-01 is outside the calendar range 1970-01-01..2100-12-31 of NO (holidays {holidays.__version__})"
    )


@pytest.mark.parametrize("day", [D(1969, 12, 31), D(2101, 1, 1), D(2150, 1, 1), D(1, 1, 1)])
def test_every_call_refuses_a_date_out_of_range(day):
    o = day.toordinal()
    for call in (
        lambda: NO.is_business_day(day), lambda: NO.closure_name(day), lambda: NO.roll(day, "none"),
        lambda: NO.add_business_days(day, 0), lambda: NO.add_business_days(day, 3),
        lambda: NO.holidays_in(day, D(2026, 1, 1)), lambda: NO.holidays_in(D(2026, 1, 1), day),
        lambda: NO.is_business_ordinal(o), lambda: NO.roll_ordinal(o, "following"),
        lambda: NO.add_business_days_ordinal(o, -1),
    ):
        assert day.isoformat() in _range_error(call).message


def test_results_past_the_range_are_calendar_errors_not_index_errors():
    _range_error(lambda: NO.add_business_days(D(2100, 12, 20), 30))
    _range_error(lambda: NO.add_business_days(D(1970, 1, 5), -5))  # a negative index must not wrap around
    assert NO.closure_name(D(1970, 1, 1)) == "New Year's Day"
    _range_error(lambda: NO.roll(D(1970, 1, 1), "preceding"))
    assert NO.closure_name(D(2100, 12, 31)) == "New Year's Eve (closing day 12-31)"
    _range_error(lambda: NO.roll(D(2100, 12, 31), "following"))
    assert NO.roll(D(2100, 12, 31), "modified_following") == D(2100, 12, 30)
    assert NO.add_business_days(D(2100, 12, 30), -1) == D(2100, 12, 29)


# --- spec checking -----------------------------------------------------------------------------------


def _problems(**kw):
    return check_spec(CalendarSpec(**{"country": "SE", **kw}))


def test_shipped_specs_are_clean():
    for spec in SHIPPED_CALENDARS.values():
        assert check_spec(spec) == []


def test_unknown_category_suggests_and_lists_allowed():
    [(field, code, message)] = _problems(categories=("public", "de-facto"))
    assert (field, code) == ("categories", "unknown-category")
    assert 'did you mean "de_facto"' in message
    assert "holidays.SE: bank, de_facto, optional, public" in message
    [(_, _, message)] = check_spec(CalendarSpec("NO", categories=("de_facto",)))
    assert "holidays.NO: public" in message
    assert [p[1] for p in _problems(categories=())] == ["unknown-category"]
    # a lone string is one category (as a YAML scalar would be), not six letters
    assert CalendarSpec("SE", categories="de_facto").categories == ("de_facto",)
    assert CalendarSpec("SE", closed="12-24", weekend=["sun"]) == CalendarSpec("SE", closed=("12-24",), weekend=("sun",))
    assert [p[:2] for p in _problems(categories=None, closed=5)] == [
        ("categories", "unknown-category"), ("closed", "bad-closing-day")]


@pytest.mark.parametrize("country, suggestion", [("no", "NO"), ("Sweden", "SE"), ("FIN", "FI"), ("DNK", "DK")])
def test_unknown_country_suggests(country, suggestion):
    [(field, code, message)] = check_spec(CalendarSpec(country))
    assert (field, code) == ("country", "unknown-country")
    assert f'did you mean "{suggestion}"' in message and "NO, SE, DK, FI" in message


@pytest.mark.parametrize("text, suggestion", [
    ("13-01", "01-13"), ("2026-02-30", None), ("12/24", "12-24"), ("24.12", "12-24"),
    ("24.12.2026", "2026-12-24"), ("", None), ("12-24-", "12-24"), ("1969-12-24", None), ("02-30", None),
])
def test_bad_closing_days(text, suggestion):
    [(field, code, message)] = check_spec(CalendarSpec("NO", closed=("12-24", text)))
    assert (field, code) == ("closed", "bad-closing-day")
    assert (f'did you mean "{suggestion}"' in message) if suggestion else ("did you mean" not in message)


def test_bad_weekend():
    [(field, code, message)] = _problems(weekend=("saturday", "sun"))
    assert (field, code) == ("weekend", "bad-weekend") and 'did you mean "sat"' in message
    assert [p[1] for p in _problems(weekend=WEEKDAY_NAMES)] == ["bad-weekend"]
    assert _problems(weekend=()) == []


def test_build_calendar_raises_with_every_problem_and_caches_good_specs():
    with pytest.raises(CalendarError) as info:
        build_calendar(CalendarSpec("SE", categories=("de-facto",), closed=("12/24",)))
    assert info.value.code == "unknown-category"
    assert "de_facto" in info.value.message and "12/24" in info.value.message
    with pytest.raises(CalendarError) as info:
        build_calendar(CalendarSpec("XX"))
    assert info.value.code == "unknown-country"
    assert build_calendar(CalendarSpec("NO", closed=("12-24", "12-31"))) is NO
    # lists (as loaded from YAML/JSON) become tuples, so the spec is hashable and hits the cache
    assert build_calendar(CalendarSpec("SE", categories=["public", "de_facto"])) is SE


# --- properties against a brute-force oracle ---------------------------------------------------------

SPECS = [
    *SHIPPED_CALENDARS.values(),
    CalendarSpec("SE"),
    CalendarSpec("NO", closed=("02-29", "2030-06-14"), weekend=("fri", "sat")),
    CalendarSpec("FI", categories=("public", "workday"), weekend=("sun",)),
]
specs = st.sampled_from(SPECS)
# far enough inside 1970..2100 that +-800 business days (under 3.5 years) stay in range
dates = st.dates(min_value=D(1974, 1, 1), max_value=D(2096, 12, 31))


@lru_cache(maxsize=None)
def _package_holidays(spec: CalendarSpec):
    options = {"include_sundays": False} if spec.country in ("NO", "SE") else {}
    return holidays.country_holidays(spec.country, categories=spec.categories, language="en_US", **options)


def oracle_is_business(spec: CalendarSpec, d: dt.date) -> bool:
    """The definition, straight from the holidays package, one day at a time (no tables)."""
    return not (
        WEEKDAY_NAMES[d.weekday()] in spec.weekend
        or d in _package_holidays(spec)
        or f"{d:%m-%d}" in spec.closed
        or d.isoformat() in spec.closed
    )


def business_days_between(spec, lo: dt.date, hi: dt.date) -> int:
    """Business days in lo < day <= hi."""
    return sum(oracle_is_business(spec, lo + dt.timedelta(days=k)) for k in range(1, (hi - lo).days + 1))


@settings(max_examples=300, deadline=None)
@given(specs, dates)
def test_is_business_day_matches_the_definition(spec, d):
    cal = build_calendar(spec)
    assert cal.is_business_day(d) == oracle_is_business(spec, d)
    assert (cal.closure_name(d) is None) == cal.is_business_day(d)


@settings(max_examples=300, deadline=None)
@given(specs, dates)
def test_roll_lands_on_the_nearest_business_day(spec, d):
    cal = build_calendar(spec)
    f, p, m = cal.roll(d, "following"), cal.roll(d, "preceding"), cal.roll(d, "modified_following")
    assert p <= d <= f
    for r in (f, p, m):
        assert cal.is_business_day(r) and oracle_is_business(spec, r)
        assert r not in _package_holidays(spec)
    # nearest: nothing open in [d, f) nor in (p, d]
    day = dt.timedelta(days=1)
    assert business_days_between(spec, d - day, f - day) == 0
    assert business_days_between(spec, p, d) == 0
    if oracle_is_business(spec, d):
        assert f == p == m == d
    assert m == (f if (f.year, f.month) == (d.year, d.month) else p)
    assert cal.roll(d, "none") == d


@settings(max_examples=300, deadline=None)
@given(specs, dates, st.integers(min_value=1, max_value=40))
def test_add_business_days_counts_business_days(spec, d, n):
    cal = build_calendar(spec)
    after, before = cal.add_business_days(d, n), cal.add_business_days(d, -n)
    assert before < d < after
    assert oracle_is_business(spec, after) and oracle_is_business(spec, before)
    # exactly n business days in (d, after] and in [before, d)
    assert business_days_between(spec, d, after) == n
    assert business_days_between(spec, before - dt.timedelta(days=1), d - dt.timedelta(days=1)) == n
    # strictly monotone in n
    assert cal.add_business_days(d, n + 1) > after and cal.add_business_days(d, -n - 1) < before


@settings(max_examples=300, deadline=None)
@given(specs, dates, st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=400))
def test_add_business_days_algebra(spec, d, m, n):
    cal = build_calendar(spec)
    add = cal.add_business_days
    # going n forward then n back lands on the last business day on or before d (not d itself when
    # d is closed), and the other way round on the first one on or after d
    assert add(add(d, n), -n) == cal.roll(d, "preceding")
    assert add(add(d, -n), n) == cal.roll(d, "following")
    # steps of the same sign compose
    assert add(add(d, m), n) == add(d, m + n)
    assert add(add(d, -m), -n) == add(d, -m - n)
    assert add(d, 0) == d


@settings(max_examples=300, deadline=None)
@given(specs, dates, st.integers(min_value=-400, max_value=400), st.sampled_from(ROLL_CONVENTIONS))
def test_ordinal_api_agrees_with_date_api(spec, d, n, convention):
    cal = build_calendar(spec)
    o = d.toordinal()
    assert cal.is_business_ordinal(o) == cal.is_business_day(d)
    assert cal.roll_ordinal(o, convention) == cal.roll(d, convention).toordinal()
    assert cal.add_business_days_ordinal(o, n) == cal.add_business_days(d, n).toordinal()


@settings(max_examples=100, deadline=None)
@given(specs, dates, st.integers(min_value=0, max_value=60))
def test_holidays_in_is_every_named_closure(spec, start, days):
    cal = build_calendar(spec)
    end = start + dt.timedelta(days=days)
    expected = []
    for k in range(days + 1):
        d = start + dt.timedelta(days=k)
        name = cal.closure_name(d)
        if name is not None and name not in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                             "Saturday", "Sunday"):
            expected.append((d, name))
    assert cal.holidays_in(start, end) == expected


def test_calendar_constructor_checks_the_spec_too():
    with pytest.raises(CalendarError):
        Calendar(CalendarSpec("NO", weekend=("sunday",)))


# --- tables filled as calls reach them ---------------------------------------------------------------


def _whole(spec: CalendarSpec) -> Calendar:
    """A calendar with every year filled: a call at each end of the range fills all between."""
    cal = Calendar(spec)
    cal.is_business_day(cal.first)
    cal.is_business_day(cal.last)
    return cal


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_a_years_holidays_do_not_depend_on_the_years_asked_with_it(spec):
    # what filling a few years at a time relies on
    options = {"include_sundays": False} if spec.country in ("NO", "SE") else {}
    cal = Calendar(spec)
    years = range(cal.first.year, cal.last.year + 1)

    def ask(years):
        return dict(holidays.country_holidays(spec.country, years=years, categories=spec.categories,
                                              language="en_US", observed=False, **options).items())

    together = ask(years)
    one_by_one = {}
    for y in years:
        alone = ask([y])
        assert all(d.year == y for d in alone)
        one_by_one.update(alone)
    assert one_by_one == together


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_filling_in_any_order_gives_the_whole_range_tables(spec):
    whole = _whole(spec)
    for start in (D(2026, 3, 18), D(1970, 1, 1), D(2100, 12, 31), D(2041, 7, 1)):
        cal = Calendar(spec)  # not build_calendar's: a fresh one, nothing filled
        cal.is_business_day(start)
        assert cal.is_business_day(cal.last - dt.timedelta(days=400)) == whole.is_business_day(
            cal.last - dt.timedelta(days=400))
        cal.is_business_day(cal.first)
        cal.is_business_day(cal.last)
        assert cal._names == whole._names and cal._named == whole._named and cal._is_bd == whole._is_bd
        assert cal._bd[cal._jlo:cal._jhi] == whole._bd[whole._jlo:whole._jhi]
        assert cal.holidays_in(cal.first, cal.last) == whole.holidays_in(whole.first, whole.last)


def test_calls_past_the_filled_years_fill_more_and_agree_with_the_whole_range():
    spec = SHIPPED_CALENDARS["no"]
    whole = _whole(spec)
    for day, n in [(D(2030, 12, 20), 30), (D(2026, 1, 5), -300), (D(2026, 3, 18), 5000), (D(2026, 3, 18), -5000),
                   (D(2099, 12, 1), 200), (D(1971, 2, 1), -200)]:
        cal = Calendar(spec)
        cal.is_business_day(D(2026, 3, 18))
        assert cal.add_business_days(day, n) == whole.add_business_days(day, n)
    for day in (D(2030, 12, 31), D(2031, 1, 1), D(2024, 12, 31), D(2025, 1, 1), D(2100, 12, 31), D(1970, 1, 1)):
        for convention in ("following", "preceding", "modified_following"):
            cal = Calendar(spec)
            cal.is_business_day(D(2026, 3, 18))  # fills 2025..2030
            try:
                expected = whole.roll(day, convention)
            except CalendarError as e:
                with pytest.raises(CalendarError) as info:
                    cal.roll(day, convention)
                assert info.value.message == e.message
            else:
                assert cal.roll(day, convention) == expected
    cal = Calendar(spec)
    cal.is_business_day(D(2026, 3, 18))
    assert cal.holidays_in(D(2024, 12, 20), D(2031, 1, 2)) == whole.holidays_in(D(2024, 12, 20), D(2031, 1, 2))


@pytest.mark.parametrize("first_call", ["middle", "none"])
def test_range_errors_are_the_same_on_a_fresh_calendar(first_call):
    spec = SHIPPED_CALENDARS["no"]
    calls = [
        lambda c: c.add_business_days(D(2100, 12, 20), 30), lambda c: c.add_business_days(D(1970, 1, 5), -5),
        lambda c: c.roll(D(1970, 1, 1), "preceding"), lambda c: c.roll(D(2100, 12, 31), "following"),
        lambda c: c.roll(D(2150, 1, 1), "following"), lambda c: c.is_business_day(D(1969, 12, 31)),
        lambda c: c.holidays_in(D(2026, 1, 1), D(2101, 1, 1)),
    ]
    for call in calls:
        cal = Calendar(spec)
        if first_call == "middle":
            cal.is_business_day(D(2026, 3, 18))
        with pytest.raises(CalendarError) as fresh:
            call(cal)
        with pytest.raises(CalendarError) as whole:
            call(_whole(spec))
        assert (fresh.value.code, fresh.value.message) == (whole.value.code, whole.value.message)
    cal = Calendar(spec)
    assert cal.roll(D(2100, 12, 31), "modified_following") == D(2100, 12, 30)
    assert Calendar(spec).add_business_days(D(2100, 12, 30), -1) == D(2100, 12, 29)
    assert Calendar(spec).closure_name(D(1970, 1, 1)) == "New Year's Day"
