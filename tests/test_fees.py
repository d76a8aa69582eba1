"""Fees the law allows: every static refusal with its code and line, and every fee the engine
skips on a case with the reason.

Rulesets that use `rates:` are files: each test writes one into tmp_path with a rates.yaml beside it
(a copy of the shipped one, or a small one written here) and loads it with `load_ruleset`.

Figures (rulesets/no/rates.yaml): inkassosats 700.00 NOK 2024-01-01..2025-12-31, 750.00 NOK
2026-01-01..2026-12-31; a reminder and the inkassovarsel fee are 1/20 of it (35.00 / 37.50), a
betalingsoppfordring 3/20 (inkassoforskriften §§ 1-2, 1-3).  Sweden (rulesets/se/rates.yaml):
påminnelseavgift 60.00, inkassoavgift 180.00 SEK (lag (1981:739) 4 §).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunningrules import Plan, RulesetError, compile, evaluate, load_ruleset, parse_ruleset
from dunningrules._errors import Finding
from dunningrules._fees import RULES

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_RATES = {"NO": ROOT / "rulesets" / "no" / "rates.yaml", "SE": ROOT / "rulesets" / "se" / "rates.yaml"}
CURRENCY = {"NO": "NOK", "SE": "SEK"}
CATEGORIES = {"NO": "[public]", "SE": "[public, de_facto]"}
NO_REMINDER_BASIS = "inkassoforskriften § 1-2"
SE_BASIS = "lag (1981:739) 4 §"

HEAD = """\
dunningrules: 1
id: fee-test
version: "1"
title: Fee test
jurisdiction: "{country}"
currency: {currency}
language: nb
calendar: {{country: "{country}", categories: {categories}}}
"""


# --------------------------------------------------------------------------------------- helpers

def ruleset_text(country: str, body: str, rates: str | None = "rates.yaml") -> str:
    text = HEAD.format(country=country, currency=CURRENCY[country], categories=CATEGORIES[country])
    if rates is not None:
        text += f"rates: {rates}\n"
    return text + textwrap.dedent(body).lstrip("\n")


def write(tmp_path: Path, country: str, body: str, rates: str | None = "rates.yaml",
          rates_file: str | None = None, name: str = "ruleset.yaml") -> tuple[Path, str]:
    """Write the ruleset (and, unless `rates_file` is "", a rates.yaml beside it); return (path, text)."""
    text = ruleset_text(country, body, rates)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if rates_file is None:
        shutil.copy(SHIPPED_RATES[country], tmp_path / "rates.yaml")
    elif rates_file:
        (tmp_path / "rates.yaml").write_text(textwrap.dedent(rates_file), encoding="utf-8")
    return path, text


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} times"
    return hits[nth - 1]


def refused(path: Path) -> list[Finding]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return info.value.findings


def only(findings: list[Finding], code: str) -> Finding:
    """The one finding, which must have `code`."""
    assert [f.code for f in findings] == [code], [str(f) for f in findings]
    return findings[0]


def plan_of(path: Path) -> Plan:
    return compile(load_ruleset(path))


def case(due: str, amount: str = "1000.00", currency: str = "NOK", events: list | None = None,
         facts: dict | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "F-1", "due_date": due, "amount": amount, "currency": currency}
    if events:
        data["events"] = events
    if facts is not None:
        data["facts"] = facts
    return data


def action(plan: Plan, data: dict[str, Any], step: str, occurrence: int | None = None):
    found = [a for a in evaluate(plan, data).actions if a.step == step and a.occurrence == occurrence]
    assert len(found) == 1, found
    return found[0]


NO_REMINDER_AT_14 = """
steps:
  - id: reminder
    action: reminder
    at: due + 14 days
    fee:
      kind: reminder
      rate: inkassosats
      fraction: 1/20
"""


# ================================================================================ static errors

# --- fee-not-allowed --------------------------------------------------------------------------------

def test_a_kind_the_jurisdiction_does_not_have_is_not_allowed(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: demand
            action: debt_collection_notice
            at: due + 15 days
            fee:
              kind: collection
              amount: "100.00"
        """)
    f = only(refused(path), "fee-not-allowed")
    assert (f.path, f.line) == (str(path), line_of(text, "kind: collection"))
    assert f.pointer == ("steps", 0, "fee", "kind")
    assert f.message == "NO has no collection fee (fees it allows: reminder, collection_notice, payment_demand)"


def test_a_norwegian_kind_is_not_allowed_in_sweden(tmp_path):
    path, text = write(tmp_path, "SE", """
        steps:
          - id: notice
            action: debt_collection_notice
            at: due + 15 days
            fee:
              kind: collection_notice
              amount: "100.00"
        """)
    f = only(refused(path), "fee-not-allowed")
    assert f.line == line_of(text, "kind: collection_notice")
    assert "SE has no collection_notice fee" in f.message
    assert "reminder, collection, payment_plan, enforcement_application" in f.message


# --- fee-invalid --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fee, at_line", [
    ("kind: reminder\n      amount: \"35.00\"\n      rate: inkassosats", "kind: reminder"),   # both
    ("kind: reminder", "kind: reminder"),                                                    # neither
    ("kind: reminder\n      fraction: 1/20", "kind: reminder"),                            # fraction alone
], ids=["amount-and-rate", "neither", "fraction-without-rate-or-amount"])
def test_a_fee_has_either_an_amount_or_a_rate(tmp_path, fee, at_line):
    path, text = write(tmp_path, "NO", f"""
steps:
  - id: reminder
    action: reminder
    at: due + 14 days
    fee:
      {fee}
""")
    f = only(refused(path), "fee-invalid")
    # located at the fee mapping (its first line)
    assert (f.line, f.pointer) == (line_of(text, at_line), ("steps", 0, "fee"))
    assert "either `amount` (fixed) or `rate` with `fraction`" in f.message


def test_a_fraction_with_a_fixed_amount_is_invalid_at_the_fraction(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            fee:
              kind: reminder
              amount: "35.00"
              fraction: 1/20
        """)
    f = only(refused(path), "fee-invalid")
    assert (f.line, f.pointer) == (line_of(text, "fraction: 1/20"), ("steps", 0, "fee", "fraction"))
    assert f.message == "`fraction` goes with `rate`"


# --- fee-above-cap ------------------------------------------------------------------------------------

def test_a_fraction_above_the_statutory_one_is_above_the_cap(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            fee:
              kind: reminder
              rate: inkassosats
              fraction: 1/10
        """)
    f = only(refused(path), "fee-above-cap")
    assert (f.line, f.pointer) == (line_of(text, "fraction: 1/10"), ("steps", 0, "fee", "fraction"))
    assert f.message == f"1/10 of inkassosats is more than the 1/20 {NO_REMINDER_BASIS} allows"


def test_the_statutory_fractions_themselves_are_accepted(tmp_path):
    path, _ = write(tmp_path, "NO", """
        steps:
          - id: notice
            action: debt_collection_notice
            at: due + 15 days
            fee: {kind: collection_notice, rate: inkassosats, fraction: 1/20}
          - id: demand
            action: payment_demand
            at: due + 30 days
            fee: {kind: payment_demand, rate: inkassosats, fraction: 3/20}
        """)
    plan = plan_of(path)
    # 1/20 and 3/20 of 750.00 on Tue 7 Apr / Fri 17 Apr 2026
    assert action(plan, case("2026-03-18"), "notice").fee == Decimal("37.50")
    assert action(plan, case("2026-03-18"), "demand").fee == Decimal("112.50")


def test_a_betalingsoppfordring_above_three_twentieths_is_above_the_cap(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: demand
            action: payment_demand
            at: due + 30 days
            fee: {kind: payment_demand, rate: inkassosats, fraction: 4/20}
        """)
    f = only(refused(path), "fee-above-cap")
    assert f.line == line_of(text, "fraction: 4/20")
    assert "more than the 3/20 inkassoforskriften § 1-3 allows" in f.message


def test_a_fixed_norwegian_reminder_fee_of_200_is_above_the_cap(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            fee:
              kind: reminder
              amount: "200.00"
        """)
    f = only(refused(path), "fee-above-cap")
    assert (f.line, f.pointer) == (line_of(text, 'amount: "200.00"'), ("steps", 0, "fee", "amount"))
    # the highest cap ever set: 1/20 of 750.00
    assert f.message == f"200.00 is above every cap {NO_REMINDER_BASIS} has set (at most 37.50)"


def test_a_fixed_swedish_collection_fee_of_200_is_above_the_cap(tmp_path):
    path, text = write(tmp_path, "SE", """
        steps:
          - id: demand
            action: debt_collection_notice
            at: due + 1 day
            fee:
              kind: collection
              amount: "200.00"
        """)
    f = only(refused(path), "fee-above-cap")
    assert (f.line, f.pointer) == (line_of(text, 'amount: "200.00"'), ("steps", 0, "fee", "amount"))
    assert f.message == f"200.00 is above every cap {SE_BASIS} has set (at most 180.00)"


def test_fixed_fees_at_the_cap_are_accepted(tmp_path):
    path, _ = write(tmp_path, "SE", """
        steps:
          - id: demand
            action: debt_collection_notice
            at: due + 1 day
            fee: {kind: collection, amount: "180.00"}
        """)
    assert action(plan_of(path), case("2026-03-18", currency="SEK"), "demand").fee == Decimal("180.00")


# --- fee-needs-fact -----------------------------------------------------------------------------------

def test_a_swedish_reminder_fee_needs_the_agreement_fact_declared(tmp_path):
    path, text = write(tmp_path, "SE", """
        steps:
          - id: reminder
            action: reminder
            at: due + 10 days
            fee:
              kind: reminder
              amount: "60.00"
        """)
    f = only(refused(path), "fee-needs-fact")
    assert (f.line, f.pointer) == (line_of(text, "kind: reminder"), ("steps", 0, "fee", "kind"))
    assert "facts.reminder_fee_agreed" in f.message and SE_BASIS in f.message


def test_the_agreement_fact_must_be_boolean(tmp_path):
    path, text = write(tmp_path, "SE", """
        facts:
          reminder_fee_agreed: {type: string, default: "yes"}
        steps:
          - id: reminder
            action: reminder
            at: due + 10 days
            fee:
              kind: reminder
              amount: "60.00"
        """)
    f = only(refused(path), "fee-needs-fact")
    assert f.line == line_of(text, "kind: reminder")


# --- fee-too-early ------------------------------------------------------------------------------------

def test_a_norwegian_reminder_fee_ten_days_after_due_is_too_early(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 10 days
            fee:
              kind: reminder
              rate: inkassosats
              fraction: 1/20
        """)
    f = only(refused(path), "fee-too-early")
    assert (f.line, f.pointer) == (line_of(text, "kind: reminder"), ("steps", 0, "fee", "kind"))
    assert f.message == (f"this step goes out 10 days after the due date; {NO_REMINDER_BASIS} allows a "
                         "reminder fee only at least 14 days after it")


def test_too_early_counts_weeks_and_roll_none(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: notice
            action: debt_collection_notice
            at: due + 1 week + 6 days
            roll: none
            fee: {kind: collection_notice, rate: inkassosats, fraction: 1/20}
        """)
    f = only(refused(path), "fee-too-early")
    assert f.line == line_of(text, "fee:")  # flow mapping: `kind` is on the fee line
    assert "goes out 13 days after the due date" in f.message


def test_two_weeks_after_due_is_not_too_early(tmp_path):
    path, _ = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 2 weeks
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
        """)
    plan_of(path)  # loads


def test_a_step_that_may_roll_back_is_left_to_the_case(tmp_path):
    # roll: preceding can only make it earlier, but whether it does depends on the due date:
    # no static error, the engine skips the fee when it lands early (see the dynamic test below).
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14.replace("at: due + 14 days",
                                                              "at: due + 14 days\n    roll: preceding"))
    plan_of(path)


# --- fee-too-many -------------------------------------------------------------------------------------

def test_three_fee_bearing_norwegian_reminders_are_too_many(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder-1
            action: reminder
            at: due + 14 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
          - id: reminder-2
            action: reminder
            at: due + 21 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
          - id: reminder-3
            action: reminder
            at: due + 28 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
        """)
    f = only(refused(path), "fee-too-many")  # once, at the last of them
    assert (f.line, f.pointer) == (line_of(text, "fee:", 3), ("steps", 2, "fee", "kind"))
    assert f.message == f"3 fee-bearing reminders; {NO_REMINDER_BASIS} allows at most 2"


def test_two_fee_bearing_reminders_and_other_kinds_are_fine(tmp_path):
    path, _ = write(tmp_path, "NO", """
        steps:
          - id: reminder-1
            action: reminder
            at: due + 14 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
          - id: reminder-2
            action: reminder
            at: due + 21 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
          - id: notice
            action: debt_collection_notice
            at: due + 28 days
            fee: {kind: collection_notice, rate: inkassosats, fraction: 1/20}
        """)
    plan = plan_of(path)
    fees = {a.step: a.fee for a in evaluate(plan, case("2026-03-18")).actions}
    assert fees == {"reminder-1": Decimal("37.50"), "reminder-2": Decimal("37.50"), "notice": Decimal("37.50")}


def test_a_repeating_reminder_counts_its_occurrences(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            repeat: {every: 1 month, until: due + 6 months, max: 3}
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
        """)
    f = only(refused(path), "fee-too-many")
    assert f.line == line_of(text, "fee:")
    assert f.message.startswith("3 fee-bearing reminders")


def test_one_reminder_plus_a_repeat_counts_both(tmp_path):
    path, text = write(tmp_path, "NO", """
        steps:
          - id: reminder-1
            action: reminder
            at: due + 14 days
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
          - id: reminder-n
            action: reminder
            at: due + 21 days
            repeat: {every: 1 week, until: due + 35 days, max: 2}
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
        """)
    f = only(refused(path), "fee-too-many")
    assert (f.line, f.pointer) == (line_of(text, "fee:", 2), ("steps", 1, "fee", "kind"))


# --- rates-unavailable --------------------------------------------------------------------------------

def test_a_fee_with_a_rate_needs_a_rate_file(tmp_path):
    path, text = write(tmp_path, "NO", NO_REMINDER_AT_14, rates=None, rates_file="")
    f = only(refused(path), "rates-unavailable")
    assert (f.line, f.pointer) == (line_of(text, "fee:") + 1, ("steps", 0, "fee"))
    assert f.message == ("a reminder fee is capped by the rate table 'inkassosats' (inkassoforskriften § 1-2); "
                         "name the rate file with `rates:`")


def test_interest_needs_a_rate_file(tmp_path):
    path, text = write(tmp_path, "NO", """
        interest: {table: late_interest}
        steps:
          - id: reminder
            action: reminder
            at: due + 5 days
        """, rates=None, rates_file="")
    f = only(refused(path), "rates-unavailable")
    assert (f.line, f.pointer) == (line_of(text, "interest:"), ("interest", "table"))


def test_a_rate_file_that_does_not_exist(tmp_path):
    path, text = write(tmp_path, "NO", NO_REMINDER_AT_14, rates="no-such-rates.yaml")
    f = only(refused(path), "rates-unavailable")
    assert (f.path, f.line, f.pointer) == (str(path), line_of(text, "rates: no-such"), ("rates",))
    assert f.message == "rate file 'no-such-rates.yaml' does not exist"


def test_a_rate_file_that_is_a_folder(tmp_path):
    (tmp_path / "tables").mkdir()
    path, text = write(tmp_path, "NO", NO_REMINDER_AT_14, rates="tables")
    f = only(refused(path), "rates-unavailable")
    assert f.line == line_of(text, "rates: tables")


def test_a_ruleset_given_as_text_cannot_name_a_rate_file():
    text = ruleset_text("NO", NO_REMINDER_AT_14)
    with pytest.raises(RulesetError) as info:
        parse_ruleset(text)
    f = only(info.value.findings, "rates-unavailable")
    assert (f.path, f.line, f.pointer) == ("<string>", line_of(text, "rates: rates.yaml"), ("rates",))
    assert "load it from its file" in f.message


# --- outside-tree -------------------------------------------------------------------------------------

def test_a_rate_file_in_the_parent_folder_is_outside_the_tree(tmp_path):
    shutil.copy(SHIPPED_RATES["NO"], tmp_path / "rates.yaml")  # it exists: refused anyway
    inner = tmp_path / "inner"
    inner.mkdir()
    path, text = write(inner, "NO", NO_REMINDER_AT_14, rates="../rates.yaml")
    f = only(refused(path), "outside-tree")
    assert (f.line, f.pointer) == (line_of(text, "rates: ../rates.yaml"), ("rates",))
    assert f.message.startswith("rates: '../rates.yaml' is outside the ruleset's folder")


def test_an_absolute_path_outside_the_folder_is_outside_the_tree(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SHIPPED_RATES["NO"], elsewhere / "rates.yaml")
    inner = tmp_path / "inner"
    inner.mkdir()
    target = (elsewhere / "rates.yaml").resolve()
    path, text = write(inner, "NO", NO_REMINDER_AT_14, rates=f'"{target}"')
    f = only(refused(path), "outside-tree")
    assert f.line == line_of(text, "rates: ")


def test_a_symlink_in_the_folder_pointing_outside_is_outside_the_tree(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SHIPPED_RATES["NO"], elsewhere / "rates.yaml")
    inner = tmp_path / "inner"
    inner.mkdir()
    os.symlink(elsewhere / "rates.yaml", inner / "rates.yaml")
    path, text = write(inner, "NO", NO_REMINDER_AT_14, rates_file="")  # keeps the symlink
    assert (inner / "rates.yaml").is_symlink()
    f = only(refused(path), "outside-tree")
    assert f.line == line_of(text, "rates: rates.yaml")


def test_a_rate_file_in_a_subfolder_is_inside_the_tree(tmp_path):
    (tmp_path / "tables").mkdir()
    shutil.copy(SHIPPED_RATES["NO"], tmp_path / "tables" / "no.yaml")
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14, rates="tables/../tables/no.yaml", rates_file="")
    assert action(plan_of(path), case("2026-03-18"), "reminder").fee == Decimal("37.50")


# --- unknown-rate-table -------------------------------------------------------------------------------

def test_an_unknown_fee_rate_table_suggests_the_close_name(tmp_path):
    path, text = write(tmp_path, "NO", NO_REMINDER_AT_14.replace("rate: inkassosats", "rate: inkasosats"))
    f = only(refused(path), "unknown-rate-table")
    assert (f.line, f.pointer) == (line_of(text, "rate: inkasosats"), ("steps", 0, "fee", "rate"))
    assert "no rate table 'inkasosats'; did you mean 'inkassosats'?" in f.message
    assert "(tables: inkassosats, late_interest)" in f.message
    assert f.message.startswith(str(tmp_path / "rates.yaml"))


def test_an_unknown_interest_table_suggests_the_close_name(tmp_path):
    path, text = write(tmp_path, "NO", """
        interest:
          table: late_intrest
        steps:
          - id: reminder
            action: reminder
            at: due + 5 days
        """)
    f = only(refused(path), "unknown-rate-table")
    assert (f.line, f.pointer) == (line_of(text, "table: late_intrest"), ("interest", "table"))
    assert "did you mean 'late_interest'?" in f.message


def test_interest_on_a_money_table_is_the_wrong_type(tmp_path):
    path, text = write(tmp_path, "NO", """
        interest: {table: inkassosats}
        steps:
          - id: reminder
            action: reminder
            at: due + 5 days
        """)
    f = only(refused(path), "wrong-type")
    assert f.line == line_of(text, "interest:")
    assert f.message == "rate table 'inkassosats' is in NOK, not percent"


# --- a broken rate file -------------------------------------------------------------------------------

BROKEN_RATES = """\
dunningrules-rates: 1
jurisdiction: "NO"
currency: NOK
tables:
  inkassosats:
    unit: NOK
    rows:
      - valid_from: "2025-01-01"
        valid_to: "2026-12-31"
        value: "seven hundred"
        source: "a statute"
        confirmed: true
"""


def test_a_broken_rate_file_reports_its_own_path_and_line(tmp_path):
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14, rates_file=BROKEN_RATES)
    f = only(refused(path), "rates-bad-value")
    assert f.path == str(tmp_path / "rates.yaml")
    assert f.line == line_of(BROKEN_RATES, 'value: "seven hundred"') == 10


def test_a_rate_file_in_a_subfolder_reports_its_path(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "no.yaml").write_text(BROKEN_RATES.replace("  inkassosats:\n", "  inkassosats:\n"
                                                                       "    colour: red\n"), encoding="utf-8")
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14, rates="tables/no.yaml", rates_file="")
    findings = refused(path)
    assert {(f.path, f.code, f.line) for f in findings} == {
        (str(tmp_path / "tables" / "no.yaml"), "rates-unknown-key", 6),
        (str(tmp_path / "tables" / "no.yaml"), "rates-bad-value", 11),
    }


# --- bugs found: the cap must hold even where the ruleset has no rate file or names a percent table --

def test_a_fixed_norwegian_fee_without_a_rate_file_is_never_charged_above_the_cap(tmp_path):
    path, _ = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            fee: {kind: reminder, amount: "200.00"}
        """, rates=None, rates_file="")
    try:
        plan = plan_of(path)
    except RulesetError as e:  # refused statically: the right outcome (cap unknown, or above it)
        assert {f.code for f in e.findings} <= {"rates-unavailable", "fee-above-cap"}
        return
    reminder = action(plan, case("2026-03-18"), "reminder")
    assert reminder.fee is None and "fee skipped:" in reminder.reason


def test_a_fixed_swedish_fee_without_a_rate_file_is_never_charged_above_the_cap(tmp_path):
    path, _ = write(tmp_path, "SE", """
        steps:
          - id: demand
            action: debt_collection_notice
            at: due + 1 day
            fee: {kind: collection, amount: "500.00"}
        """, rates=None, rates_file="")
    try:
        plan = plan_of(path)
    except RulesetError as e:
        assert {f.code for f in e.findings} <= {"rates-unavailable", "fee-above-cap"}
        return
    demand = action(plan, case("2026-03-18", currency="SEK"), "demand")
    assert demand.fee is None and "fee skipped:" in demand.reason


def test_a_fee_rate_must_be_a_money_table(tmp_path):
    path, text = write(tmp_path, "NO", NO_REMINDER_AT_14.replace("rate: inkassosats", "rate: late_interest")
                       .replace("fraction: 1/20", "fraction: 1/1"))
    findings = refused(path)
    assert [(f.line, f.pointer) for f in findings] == [(line_of(text, "rate: late_interest"),
                                                        ("steps", 0, "fee", "rate"))]


def test_a_rate_file_of_another_jurisdiction_is_refused(tmp_path):
    path, text = write(tmp_path, "NO", """
        interest: {table: late_interest}
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
        """, rates_file=SHIPPED_RATES["SE"].read_text(encoding="utf-8"))
    findings = refused(path)
    assert [(f.path, f.line) for f in findings] == [(str(path), line_of(text, "rates: rates.yaml"))]


# ================================================================================ dynamic: skipped with the reason

def test_a_fee_on_a_step_rolled_back_before_day_14_is_skipped(tmp_path):
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14.replace("at: due + 14 days",
                                                              "at: due + 14 days\n    roll: preceding"))
    plan = plan_of(path)
    # due Sat 7 Mar 2026: day 14 is Sat 21 Mar, rolled back to Fri 20 Mar = 13 days after due
    early = action(plan, case("2026-03-07"), "reminder")
    assert (early.status, early.date, early.fee) == ("planned", dt.date(2026, 3, 20), None)
    assert early.reason == (
        "due + 14 days = Sat 21 Mar 2026, Saturday; rolled back to Fri 20 Mar 2026; fee skipped: sent 13 days "
        f"after the due date; {NO_REMINDER_BASIS} allows a fee only at least 14 days after it")
    assert early.to_dict()["fee"] is None
    # a skipped fee is not in the claim
    assert early.claim.fees == Decimal("0.00")
    # due Wed 18 Mar 2026: day 14 is Wed 1 Apr, a business day: 1/20 of 750.00
    on_time = action(plan, case("2026-03-18"), "reminder")
    assert (on_time.date, on_time.fee) == (dt.date(2026, 4, 1), Decimal("37.50"))
    assert "fee skipped" not in on_time.reason
    assert on_time.claim.fees == Decimal("37.50")


def test_a_fee_moved_later_by_a_dispute_is_priced_on_the_new_date(tmp_path):
    # roll back to day 13, but a dispute pushes the step to after its resolution: day 14+ -> charged
    path, _ = write(tmp_path, "NO", NO_REMINDER_AT_14.replace("at: due + 14 days",
                                                              "at: due + 14 days\n    roll: preceding"))
    plan = plan_of(path)
    events = [{"type": "dispute_opened", "date": "2026-03-19"}, {"type": "dispute_resolved", "date": "2026-03-20"}]
    moved = action(plan, case("2026-03-07", events=events), "reminder")
    assert moved.date == dt.date(2026, 3, 23)  # Mon, 16 days after due
    assert moved.fee == Decimal("37.50")


def _plan_bypassing_the_static_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Plan:
    """A plan whose fee-bearing reminders got past the static count.

    The static check (fee-too-many) sums every reminder step's `repeat.max`, which bounds its
    occurrences, so no ruleset `load_ruleset` accepts can have a third charged reminder.  The engine
    still limits charged fees per case (`_limit_fee_counts`) as a second line of defence; to reach it,
    load with a rule that allows 3 and then give the compiled plan back the real rule (max 2).
    """
    real = RULES["NO"]["reminder"]
    with monkeypatch.context() as m:
        m.setitem(RULES["NO"], "reminder", dataclasses.replace(real, max_count=3))
        path, _ = write(tmp_path, "NO", body)
        plan = plan_of(path)
    assert RULES["NO"]["reminder"] is real
    for sp in plan.listed:
        if sp.fee is not None and sp.fee.kind == "reminder":
            object.__setattr__(sp, "fee", dataclasses.replace(sp.fee, rule=real))
    return plan


def test_the_third_charged_norwegian_reminder_is_skipped(tmp_path, monkeypatch):
    body = """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            roll: preceding
            repeat: {every: 1 week, until: due + 2 months, max: 3}
            fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
        """
    # the static guard, unpatched
    (tmp_path / "static").mkdir()
    path, text = write(tmp_path / "static", "NO", body)
    assert only(refused(path), "fee-too-many").line == line_of(text, "fee:")

    (tmp_path / "bypass").mkdir()
    plan = _plan_bypassing_the_static_count(tmp_path / "bypass", monkeypatch, body)
    # due Sat 7 Mar 2026: occurrence 1 on Sat 21 Mar rolls back to Fri 20 Mar (13 days): its fee is
    # skipped as too early and does not count, so both later ones are charged: Sat 28 Mar -> Fri 27 Mar
    # (20 days); Sat 4 Apr -> back past Good Friday 3 Apr and Maundy Thursday 2 Apr -> Wed 1 Apr.
    acts = [a for a in evaluate(plan, case("2026-03-07")).actions if a.step == "reminder"]
    assert [(a.occurrence, a.date, a.fee) for a in acts] == [
        (1, dt.date(2026, 3, 20), None),
        (2, dt.date(2026, 3, 27), Decimal("37.50")),
        (3, dt.date(2026, 4, 1), Decimal("37.50")),
    ]
    assert "fee skipped: sent 13 days after the due date" in acts[0].reason
    # due Wed 18 Mar 2026: all three land on day 14, 21, 28 (Wed 1, 8, 15 Apr): the third is skipped
    acts = [a for a in evaluate(plan, case("2026-03-18")).actions if a.step == "reminder"]
    assert [(a.occurrence, a.date, a.fee) for a in acts] == [
        (1, dt.date(2026, 4, 1), Decimal("37.50")),
        (2, dt.date(2026, 4, 8), Decimal("37.50")),
        (3, dt.date(2026, 4, 15), None),
    ]
    assert acts[2].reason.endswith(f"; fee skipped: 2 fee-bearing reminders already charged ({NO_REMINDER_BASIS})")
    assert acts[2].status == "planned"  # the reminder still goes out, without a fee
    assert acts[2].claim.fees == Decimal("75.00")  # only two fees in the claim


def test_swedish_reminder_fee_only_when_agreed(tmp_path):
    path, _ = write(tmp_path, "SE", """
        facts:
          reminder_fee_agreed: {type: boolean, default: false}
        steps:
          - id: reminder
            action: reminder
            at: due + 10 days
            fee: {kind: reminder, amount: "60.00"}
        """)
    plan = plan_of(path)
    agreed = action(plan, case("2026-03-18", currency="SEK", facts={"reminder_fee_agreed": True}), "reminder")
    assert (agreed.date, agreed.fee) == (dt.date(2026, 3, 30), Decimal("60.00"))  # Sat 28 -> Mon 30 Mar
    assert "fee skipped" not in agreed.reason
    assert agreed.claim.fees == Decimal("60.00")
    expected = f"fee skipped: facts.reminder_fee_agreed is not true ({SE_BASIS})"
    for facts in ({"reminder_fee_agreed": False}, None):  # said false, or left to the default
        not_agreed = action(plan, case("2026-03-18", currency="SEK", facts=facts), "reminder")
        assert (not_agreed.status, not_agreed.fee) == ("planned", None)
        assert not_agreed.reason.endswith("; " + expected)
        assert not_agreed.claim.fees == Decimal("0.00")


def test_swedish_reminder_fee_from_the_cap_table(tmp_path):
    path, _ = write(tmp_path, "SE", """
        facts:
          reminder_fee_agreed: {type: boolean, default: true}
        steps:
          - id: reminder
            action: reminder
            at: due + 10 days
            fee: {kind: reminder, rate: reminder_fee_cap}
        """)
    assert action(plan_of(path), case("2026-03-18", currency="SEK"), "reminder").fee == Decimal("60.00")


@pytest.fixture(scope="module")
def no_shipped() -> Plan:
    return compile(load_ruleset(ROOT / "rulesets" / "no" / "standard.yaml"))


@pytest.mark.parametrize("due, sent, fee", [
    ("2025-03-03", "2025-03-18", "35.00"),   # 1/20 of 700.00
    ("2025-12-15", "2025-12-30", "35.00"),   # the last business day of 2025 (31 Dec is a closing day)
    ("2025-12-16", "2026-01-02", "37.50"),   # day 15 = Wed 31 Dec 2025, closed -> Fri 2 Jan 2026: 1/20 of 750
    ("2026-03-18", "2026-04-07", "37.50"),   # DOMAIN.md §3 worked dates
])
def test_the_inkassovarsel_fee_follows_the_inkassosats_on_the_sending_date(no_shipped, due, sent, fee):
    notice = action(no_shipped, case(due), "collection-notice")
    assert (notice.date.isoformat(), notice.fee) == (sent, Decimal(fee))
    assert notice.to_dict()["fee"] == fee
    # the shipped reminders carry no fee (day 5 and 10)
    assert action(no_shipped, case(due), "reminder-1").fee is None
    assert action(no_shipped, case(due), "reminder-2").fee is None


def test_a_fee_on_a_day_no_rate_row_covers_is_skipped_with_rate_missing(no_shipped):
    # due Fri 1 Dec 2023: the notice goes Mon 18 Dec 2023, before the first inkassosats row
    notice = action(no_shipped, case("2023-12-01"), "collection-notice")
    assert (notice.status, notice.fee) == ("planned", None)
    assert notice.reason.endswith("; fee skipped: rate-missing: no inkassosats row covers 2023-12-18 "
                                  "(rows cover 2024-01-01..2026-12-31)")
    # after the last row: due Sun 20 Dec 2026 -> notice Mon 4 Jan 2027
    notice = action(no_shipped, case("2026-12-20"), "collection-notice")
    assert notice.fee is None
    assert "fee skipped: rate-missing: no inkassosats row covers 2027-01-04" in notice.reason


SMALL_RATES = """\
dunningrules-rates: 1
jurisdiction: "NO"
currency: NOK
tables:
  inkassosats:
    unit: NOK
    rows:
      - valid_from: "2025-01-01"
        valid_to: "2025-06-30"
        value: "700.00"
        source: "a statute"
        confirmed: true
  late_interest:
    unit: percent
    rows:
      - valid_from: "2025-01-01"
        valid_to: "2026-12-31"
        value: "10.00"
        source: "a statute"
        confirmed: true
"""


def test_rate_missing_skips_the_fee_but_not_the_claim(tmp_path):
    path, _ = write(tmp_path, "NO", """
        interest: {table: late_interest}
        steps:
          - id: notice
            action: debt_collection_notice
            at: due + 15 days
            fee: {kind: collection_notice, rate: inkassosats, fraction: 1/20}
        """, rates_file=SMALL_RATES)
    plan = plan_of(path)
    before = action(plan, case("2025-06-02"), "notice")  # Tue 17 Jun 2025
    assert before.fee == Decimal("35.00")
    after = action(plan, case("2025-06-20"), "notice")  # Sat 5 Jul -> Mon 7 Jul 2025
    assert after.fee is None
    assert after.reason.endswith("fee skipped: rate-missing: no inkassosats row covers 2025-07-07 "
                                 "(rows cover 2025-01-01..2025-06-30)")
    # the claim is still known, without the fee: 1 000 × 10 % × 17/365 = 4.657... -> 4.66
    assert after.claim_error is None
    assert (after.claim.fees, after.claim.interest, after.claim.total) == (
        Decimal("0.00"), Decimal("4.66"), Decimal("1004.66"))


def test_a_fee_above_the_cap_on_its_date_is_skipped(tmp_path):
    # 37.50 is under the highest cap ever (1/20 of 750), so it loads; in 2025 the cap is 35.00
    path, _ = write(tmp_path, "NO", """
        steps:
          - id: reminder
            action: reminder
            at: due + 14 days
            fee: {kind: reminder, amount: "37.50"}
        """)
    plan = plan_of(path)
    in_2025 = action(plan, case("2025-03-03"), "reminder")
    assert in_2025.fee is None
    assert in_2025.reason.endswith(f"fee skipped: 37.50 is above the cap of 35.00 in force on 2025-03-17 "
                                   f"({NO_REMINDER_BASIS})")
    assert action(plan, case("2026-03-03"), "reminder").fee == Decimal("37.50")


def test_no_fee_on_a_step_skipped_or_paid(no_shipped):
    # paid in full before the notice: the notice is skipped and carries no fee, no claim fee
    paid = [{"type": "payment", "date": "2026-03-25", "amount": "1000.00"}]
    notice = action(no_shipped, case("2026-03-18", events=paid), "collection-notice")
    assert (notice.status, notice.fee) == ("skipped", None)
    assert notice.claim.fees == Decimal("0.00")


def test_the_json_of_a_shipped_norwegian_collection_notice(no_shipped):
    notice = action(no_shipped, case("2026-03-18", amount="9500.00"), "collection-notice")
    assert json.dumps(notice.to_dict(), ensure_ascii=False) == (
        '{"step": "collection-notice", "action": "debt_collection_notice", "date": "2026-04-07", '
        '"status": "planned", "channels": ["letter", "email"], "recipient": "debtor", "deadline": "2026-04-21", '
        '"legal_basis": "inkassoloven § 9: written notice after the due date, at least 14 days to pay; fee '
        'inkassoforskriften § 1-2", "reason": "due + 15 days = Thu 2 Apr 2026, Maundy Thursday; rolled forward '
        'to Tue 7 Apr 2026; deadline 14 days later = Tue 21 Apr 2026", "title": "Inkassovarsel", "occurrence": null, '
        '"fee": "37.50", "claim": {"principal": "9500.00", "fees": "37.50", "interest": "62.47", '
        '"total": "9599.97"}, "claim_error": null}')
