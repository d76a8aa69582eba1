"""Rate tables as data: the shipped NO/SE files, look-ups at period boundaries, and every refusal
with its code and line.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dunningrules._errors import DunningRulesError, RulesetError
from dunningrules._rates import RateBook, RateError, RateRow, RateTable, load_rates, parse_rates

ROOT = Path(__file__).resolve().parent.parent
NO_RATES = ROOT / "rulesets" / "no" / "rates.yaml"
SE_RATES = ROOT / "rulesets" / "se" / "rates.yaml"
D = date


@pytest.fixture(scope="module")
def no() -> RateBook:
    return load_rates(NO_RATES)


@pytest.fixture(scope="module")
def se() -> RateBook:
    return load_rates(SE_RATES)


def values(table: RateTable) -> list[tuple[str, str, str, bool]]:
    return [(r.valid_from.isoformat(), r.valid_to.isoformat(), str(r.value), r.confirmed) for r in table.rows]


# --- the shipped files ------------------------------------------------------------------------------

def test_norway_file_loads_with_its_figures(no):
    assert (no.jurisdiction, no.currency, sorted(no.tables)) == ("NO", "NOK", ["inkassosats", "late_interest"])
    assert no.path == str(NO_RATES)
    assert no.table("inkassosats").unit == "NOK"
    assert values(no.table("inkassosats")) == [
        ("2024-01-01", "2025-12-31", "700.00", True),
        ("2026-01-01", "2026-12-31", "750.00", False),  # DOMAIN.md: 750 from 2026 (unconfirmed)
    ]
    assert no.table("late_interest").unit == "percent"
    assert values(no.table("late_interest"))[2:] == [
        ("2025-01-01", "2025-06-30", "12.50", True),
        ("2025-07-01", "2025-12-31", "12.25", False),  # (unconfirmed) in DOMAIN.md
        ("2026-01-01", "2026-06-30", "12.00", False),  # (unconfirmed) in DOMAIN.md
    ]


def test_sweden_file_loads_with_its_figures(se):
    assert (se.jurisdiction, se.currency) == ("SE", "SEK")
    assert sorted(se.tables) == sorted([
        "reference_rate", "late_interest", "reminder_fee_cap", "collection_fee_cap", "payment_plan_fee_cap",
        "kronofogden_application_fee", "kronofogden_execution_fee"])
    on = D(2025, 3, 1)
    assert {name: se.table(name).value_on(on) for name in se.tables if se.table(name).unit == "SEK"} == {
        "reminder_fee_cap": Decimal("60"), "collection_fee_cap": Decimal("180"),
        "payment_plan_fee_cap": Decimal("170"), "kronofogden_application_fee": Decimal("300"),
        "kronofogden_execution_fee": Decimal("600"),
    }
    late = se.table("late_interest")
    assert [late.value_on(d) for d in (D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1))] == [11, 10, 10]
    ref = se.table("reference_rate")
    assert [ref.value_on(d) for d in (D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1))] == [3, 2, 2]


def test_swedish_late_interest_is_reference_rate_plus_eight_in_every_row(se):
    late, ref = se.table("late_interest"), se.table("reference_rate")
    assert [(r.valid_from, r.valid_to) for r in late.rows] == [(r.valid_from, r.valid_to) for r in ref.rows]
    for lrow, rrow in zip(late.rows, ref.rows):
        assert lrow.value == rrow.value + 8, lrow.valid_from


@pytest.mark.parametrize("path", [NO_RATES, SE_RATES], ids=["no", "se"])
def test_every_shipped_row_is_sourced_and_every_unconfirmed_row_says_why(path):
    book = load_rates(path)
    for table in book.tables.values():
        for row in table.rows:
            assert row.source.strip()
            if not row.confirmed:
                assert row.note and row.note.strip()


# Figures set per period (the inkassosats each year, interest each half-year) end where DOMAIN.md's
# end; Sweden's fee amounts, fixed in the text of the act and the förordning, run to the end of the
# shipped calendars (2027), unconfirmed after DOMAIN.md's last year.
@pytest.mark.parametrize("path, last", [(NO_RATES, {"inkassosats": D(2026, 12, 31), "late_interest": D(2026, 6, 30)}),
                                        (SE_RATES, {"late_interest": D(2026, 6, 30), "reference_rate": D(2026, 6, 30),
                                                    "reminder_fee_cap": D(2027, 12, 31),
                                                    "collection_fee_cap": D(2027, 12, 31),
                                                    "payment_plan_fee_cap": D(2027, 12, 31),
                                                    "kronofogden_application_fee": D(2027, 12, 31),
                                                    "kronofogden_execution_fee": D(2027, 12, 31)})], ids=["no", "se"])
def test_shipped_tables_end_at_the_last_period_domain_md_gives(path, last):
    book = load_rates(path)
    for name, end in last.items():
        assert book.table(name).rows[-1].valid_to == end


def test_exactly_the_figures_domain_md_marks_unconfirmed_from_2025_on_are_flagged(no, se):
    flagged = {(name, r.valid_from.isoformat())
               for book in (no, se) for name, t in book.tables.items() for r in t.rows
               if not r.confirmed and r.valid_from >= D(2025, 1, 1)}
    carried_into_2027 = {(name, "2027-01-01") for name in (
        "reminder_fee_cap", "collection_fee_cap", "payment_plan_fee_cap", "kronofogden_application_fee",
        "kronofogden_execution_fee")}
    assert flagged == {("inkassosats", "2026-01-01"), ("late_interest", "2025-07-01"),
                       ("late_interest", "2026-01-01")} | carried_into_2027


def test_swedish_fee_amounts_carried_into_2027_are_the_2026_amounts(se):
    for name in ("reminder_fee_cap", "collection_fee_cap", "payment_plan_fee_cap", "kronofogden_application_fee",
                 "kronofogden_execution_fee"):
        table = se.table(name)
        assert table.value_on(D(2027, 12, 31)) == table.value_on(D(2026, 12, 31)), name
        assert not table.row_on(D(2027, 1, 1)).confirmed
    with pytest.raises(RateError):
        se.table("collection_fee_cap").value_on(D(2028, 1, 1))


# --- look-ups ---------------------------------------------------------------------------------------

def test_row_on_switches_exactly_at_the_half_year(no, se):
    assert no.table("late_interest").value_on(D(2025, 6, 30)) == Decimal("12.50")
    assert no.table("late_interest").value_on(D(2025, 7, 1)) == Decimal("12.25")
    assert se.table("late_interest").value_on(D(2025, 6, 30)) == Decimal("11.00")
    assert se.table("late_interest").value_on(D(2025, 7, 1)) == Decimal("10.00")
    assert no.table("inkassosats").value_on(D(2025, 12, 31)) == 700
    assert no.table("inkassosats").value_on(D(2026, 1, 1)) == 750
    row = no.table("inkassosats").row_on(D(2026, 1, 1))
    assert not row.confirmed and "Unconfirmed" in row.note


@pytest.mark.parametrize("day", [D(2023, 12, 31), D(2026, 7, 1), D(2027, 3, 1)])
def test_a_day_outside_every_row_is_rate_missing_with_the_covered_range(no, day):
    with pytest.raises(RateError) as info:
        no.table("late_interest").row_on(day)
    assert info.value.code == "rate-missing"
    assert info.value.message == f"no late_interest row covers {day.isoformat()} (rows cover 2024-01-01..2026-06-30)"
    assert isinstance(info.value, DunningRulesError)


def test_the_inkassosats_message_matches_the_contract(no):
    with pytest.raises(RateError) as info:
        no.table("inkassosats").value_on(D(2027, 3, 1))
    assert str(info.value) == "rate-missing: no inkassosats row covers 2027-03-01 (rows cover 2024-01-01..2026-12-31)"


def row(a: date, b: date, v: str) -> RateRow:
    return RateRow(a, b, Decimal(v), "test", True, None)


def test_periods_are_clipped_to_the_span(no):
    got = no.table("late_interest").periods(D(2025, 6, 21), D(2025, 7, 10))
    assert [(a, b, r.value) for a, b, r in got] == [
        (D(2025, 6, 21), D(2025, 6, 30), Decimal("12.50")),
        (D(2025, 7, 1), D(2025, 7, 10), Decimal("12.25")),
    ]
    assert no.table("late_interest").periods(D(2025, 7, 10), D(2025, 7, 9)) == []
    one = no.table("late_interest").periods(D(2025, 7, 1), D(2025, 7, 1))
    assert [(a, b) for a, b, _ in one] == [(D(2025, 7, 1), D(2025, 7, 1))]


def test_periods_raise_for_the_first_uncovered_day(no):
    with pytest.raises(RateError) as info:
        no.table("late_interest").periods(D(2026, 6, 1), D(2026, 8, 1))
    assert info.value.code == "rate-missing"
    assert "covers 2026-07-01, needed for 2026-06-01..2026-08-01" in info.value.message


def test_a_hand_built_table_with_a_gap_names_both_covered_spans():
    table = RateTable("t", "percent", (row(D(2025, 1, 1), D(2025, 1, 31), "1"), row(D(2025, 3, 1), D(2025, 3, 31), "2")))
    with pytest.raises(RateError) as info:
        table.periods(D(2025, 1, 30), D(2025, 3, 2))
    assert info.value.message.startswith("no t row covers 2025-02-01")
    assert "rows cover 2025-01-01..2025-01-31, 2025-03-01..2025-03-31" in info.value.message
    assert table.value_on(D(2025, 3, 1)) == 2


def test_a_hand_built_table_refuses_overlapping_or_unsorted_rows():
    with pytest.raises(ValueError):
        RateTable("t", "percent", (row(D(2025, 1, 1), D(2025, 2, 1), "1"), row(D(2025, 2, 1), D(2025, 3, 1), "2")))
    with pytest.raises(ValueError):
        RateTable("t", "percent", (row(D(2025, 2, 1), D(2025, 3, 1), "1"), row(D(2025, 1, 1), D(2025, 1, 2), "2")))
    with pytest.raises(ValueError):
        RateTable("t", "percent", (row(D(2025, 2, 1), D(2025, 1, 1), "1"),))


def test_unknown_table_suggests_the_close_name(no):
    with pytest.raises(RateError) as info:
        no.table("late_intrest")
    assert info.value.code == "unknown-rate-table"
    assert "did you mean 'late_interest'?" in info.value.message
    assert "tables: inkassosats, late_interest" in info.value.message
    with pytest.raises(RateError):
        no.table("nothing_like_it")


def test_a_book_is_read_only(no):
    with pytest.raises(TypeError):
        no.tables["x"] = no.table("inkassosats")  # type: ignore[index]


def test_load_rates_reports_a_missing_file(tmp_path):
    with pytest.raises(RulesetError) as info:
        load_rates(tmp_path / "nope.yaml")
    assert info.value.findings[0].code == "file-unreadable"


# --- validation: every code, located ----------------------------------------------------------------

GOOD = """\
dunningrules-rates: 1
jurisdiction: "NO"
currency: NOK
tables:
  fee:
    unit: NOK
    rows:
      - valid_from: "2025-01-01"
        valid_to: "2025-06-30"
        value: "700.00"
        source: "a statute"
        confirmed: true
      - valid_from: "2025-07-01"
        valid_to: "2025-12-31"
        value: 750
        source: "a statute"
        confirmed: false
        note: "check it"
"""


def refused(text: str) -> list[tuple[str, int]]:
    with pytest.raises(RulesetError) as info:
        parse_rates(text, "r.yaml")
    assert all(f.path == "r.yaml" for f in info.value.findings)
    return [(f.code, f.line) for f in info.value.findings]


def messages(text: str) -> list[str]:
    with pytest.raises(RulesetError) as info:
        parse_rates(text, "r.yaml")
    return [f.message for f in info.value.findings]


def test_the_base_document_is_valid():
    book = parse_rates(GOOD, "r.yaml")
    assert book.table("fee").value_on(D(2025, 12, 31)) == Decimal(750)
    assert book.table("fee").rows[0].value == Decimal("700.00")
    assert parse_rates(GOOD.encode("utf-8"), "r.yaml") == book


# (description, replace this, with this, expected (code, line) findings)
CASES = [
    ("unknown top key", "currency: NOK\n", "currency: NOK\ncurency: NOK\n", [("rates-unknown-key", 4)]),
    ("unknown row key", '        confirmed: true\n', '        confirmed: true\n        sorce: "x"\n',
     [("rates-unknown-key", 13)]),
    ("unknown table key", "    unit: NOK\n", "    unit: NOK\n    unti: NOK\n", [("rates-unknown-key", 7)]),
    ("missing currency", "currency: NOK\n", "", [("rates-missing-key", 1)]),
    ("missing valid_to", '        valid_to: "2025-06-30"\n', "", [("rates-missing-key", 8)]),
    ("missing unit", "    unit: NOK\n", "", [("rates-missing-key", 6)]),
    ("unconfirmed without a note", '        note: "check it"\n', "", [("rates-missing-key", 17)]),
    ("date not quoted text", 'valid_to: "2025-06-30"', "valid_to: 20250630", [("rates-wrong-type", 9)]),
    ("confirmed not boolean", "confirmed: true", 'confirmed: "yes"', [("rates-wrong-type", 12)]),
    ("value a boolean", 'value: "700.00"', "value: true", [("rates-wrong-type", 10)]),
    ("rows not a list", "    rows:\n", "    rows: 3\n    old_rows:\n", [("rates-wrong-type", 7), ("rates-unknown-key", 8)]),
    ("not a real day", 'valid_to: "2025-06-30"', 'valid_to: "2025-06-31"', [("rates-bad-date", 9)]),
    ("not YYYY-MM-DD", 'valid_to: "2025-06-30"', 'valid_to: "30.06.2025"', [("rates-bad-date", 9)]),
    ("compact ISO is refused", 'valid_to: "2025-06-30"', 'valid_to: "20250630"', [("rates-bad-date", 9)]),
    ("value with a unit", 'value: "700.00"', 'value: "700 kr"', [("rates-bad-value", 10)]),
    ("value negative", 'value: "700.00"', "value: -1.00", [("rates-bad-value", 10)]),
    ("value with three decimals in money", 'value: "700.00"', 'value: "700.005"', [("rates-bad-value", 10)]),
    ("value a float spelling", 'value: "700.00"', "value: 7e2", [("rates-bad-value", 10)]),
    ("unit not the currency", "unit: NOK", "unit: SEK", [("rates-bad-value", 6)]),
    ("bad version", "dunningrules-rates: 1", "dunningrules-rates: 2", [("rates-bad-value", 1)]),
    ("bad jurisdiction", 'jurisdiction: "NO"', "jurisdiction: Norway", [("rates-bad-value", 2)]),
    ("source empty", 'source: "a statute"\n        confirmed: true', 'source: "  "\n        confirmed: true',
     [("rates-no-source", 11)]),
    ("source missing", '        source: "a statute"\n        confirmed: true\n', "        confirmed: true\n",
     [("rates-no-source", 8)]),
    ("range reversed", 'valid_to: "2025-06-30"', 'valid_to: "2024-06-30"',
     [("rates-range", 9)]),  # a refused row takes no part in the gap/overlap checks
]


@pytest.mark.parametrize("what, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_each_refusal_has_its_code_and_line(what, old, new, expected):
    assert old in GOOD
    assert refused(GOOD.replace(old, new, 1)) == expected


def test_unknown_keys_suggest_the_close_one():
    got = messages(GOOD.replace("        confirmed: true\n", '        confirmed: true\n        sorce: "x"\n', 1))
    assert "did you mean 'source'?" in got[0]


def test_unknown_key_points_at_the_key_column():
    with pytest.raises(RulesetError) as info:
        parse_rates(GOOD.replace("    unit: NOK\n", "    unit: NOK\n    unti: NOK\n"), "r.yaml")
    f = info.value.findings[0]
    assert (f.line, f.col, f.pointer) == (7, 5, ("tables", "fee", "unti"))


TWO_ROWS = """\
dunningrules-rates: 1
jurisdiction: "SE"
currency: SEK
tables:
  rate:
    unit: percent
    rows:
      - {{valid_from: "{a}", valid_to: "{b}", value: "1.5", source: "s", confirmed: true}}
      - {{valid_from: "{c}", valid_to: "{d}", value: "2.5", source: "s", confirmed: true}}
"""


def test_a_gap_is_refused_and_named():
    text = TWO_ROWS.format(a="2025-01-01", b="2025-06-29", c="2025-07-01", d="2025-12-31")
    assert refused(text) == [("rates-gap", 9)]
    assert messages(text) == ["table 'rate': no row covers 2025-06-30..2025-06-30 (between the row ending "
                              "2025-06-29 and the row starting 2025-07-01)"]


def test_an_overlap_is_refused_and_names_the_shared_days():
    text = TWO_ROWS.format(a="2025-01-01", b="2025-07-02", c="2025-07-01", d="2025-12-31")
    assert refused(text) == [("rates-overlap", 9)]
    assert messages(text) == ["table 'rate': this row (2025-07-01..2025-12-31) overlaps the row on line 8 "
                              "(2025-01-01..2025-07-02); both cover 2025-07-01..2025-07-02"]


def test_a_row_inside_a_longer_earlier_row_overlaps_it():
    text = TWO_ROWS.format(a="2025-01-01", b="2025-12-31", c="2025-03-01", d="2025-03-31")
    assert refused(text) == [("rates-overlap", 9)]


def test_rows_out_of_order_are_refused_but_contiguous_ones_raise_no_gap():
    text = TWO_ROWS.format(a="2025-07-01", b="2025-12-31", c="2025-01-01", d="2025-06-30")
    assert refused(text) == [("rates-unsorted", 9)]


def test_a_percent_table_may_have_more_decimals():
    text = TWO_ROWS.format(a="2025-01-01", b="2025-06-30", c="2025-07-01", d="2025-12-31").replace('"2.5"', "2.125")
    assert parse_rates(text, "r.yaml").table("rate").value_on(D(2025, 7, 1)) == Decimal("2.125")


def test_all_findings_are_collected_in_one_round():
    text = (GOOD.replace('valid_to: "2025-06-30"', 'valid_to: "2025-02-30"')
            .replace('source: "a statute"\n        confirmed: false', 'source: ""\n        confirmed: false')
            .replace("currency: NOK", "currency: nok"))
    assert refused(text) == [("rates-bad-value", 3), ("rates-bad-date", 9), ("rates-no-source", 16)]


def test_yaml_problems_come_from_the_strict_loader():
    assert refused(GOOD.replace("currency: NOK\n", "currency: NOK\ncurrency: SEK\n")) == [("yaml-duplicate-key", 4)]


def test_a_document_that_is_not_a_mapping():
    assert refused("- 1\n- 2\n") == [("rates-wrong-type", 1)]


def test_no_tables_at_all():
    assert refused(GOOD.split("tables:")[0] + "tables: {}\n") == [("rates-bad-value", 4)]


def test_docstring_example_shape_is_accepted(tmp_path):
    text = textwrap.dedent("""\
        dunningrules-rates: 1
        jurisdiction: "NO"
        currency: NOK
        tables:
          inkassosats:
            unit: NOK
            description: The inkassosats.
            rows:
              - valid_from: "2024-01-01"
                valid_to: "2025-12-31"
                value: "700.00"
                source: "Inkassoforskriften § 1-1"
                confirmed: true
                note: "a note"
        """)
    path = tmp_path / "rates.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_rates(path).table("inkassosats").row_on(D(2024, 1, 1)).note == "a note"
