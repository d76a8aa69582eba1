"""The claim on every action: exact worked figures through the engine on the shipped rulesets, the
batch (JSON Lines) path against `evaluate`, and properties over generated cases.

Interest (src/dunningrules/_money.py): simple, actual/365, on the outstanding principal, for the days
after the due date up to and including the action's date, at the rate of the row covering each day;
each part of a claim rounded half-up to 0.01 and total = principal + fees + interest.  Payments go to
fees, then interest, then principal.  Rates (rulesets/*/rates.yaml):
    NO forsinkelsesrente 12.50 % H1 2025, 12.25 % H2 2025, 12.00 % H1 2026 (none from 1 Jul 2026)
    SE dröjsmålsränta    11.00 % H1 2025, 10.00 % H2 2025, 10.00 % H1 2026 (none from 1 Jul 2026)
    NO inkassosats 700.00 (2024-2025), 750.00 (2026); SE inkassoavgift 180.00, Kronofogden 300.00
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunningrules import Plan, case_from_data, compile, evaluate, load_ruleset
from dunningrules._cli import run
from dunningrules._batch import schedule_json
from dunningrules._money import claim_on
from dunningrules._rates import RateError, load_rates

ROOT = Path(__file__).resolve().parent.parent
D = dt.date
Dec = Decimal
CURRENCY = {"no": "NOK", "se": "SEK"}
LAST_RATE_DAY = D(2026, 6, 30)  # both late_interest tables end here


@lru_cache(maxsize=None)
def shipped(country: str) -> Plan:
    return compile(load_ruleset(ROOT / "rulesets" / country / "standard.yaml"))


def case(due: str, amount: str = "9500.00", currency: str = "NOK", events: list | None = None,
         id: str = "C-1") -> dict[str, Any]:
    data: dict[str, Any] = {"id": id, "due_date": due, "amount": amount, "currency": currency}
    if events:
        data["events"] = events
    return data


def pay(date: str, amount: str) -> dict[str, str]:
    return {"type": "payment", "date": date, "amount": amount}


def claims(schedule) -> list[tuple[str, str | None, str | None, str | None, str | None, str | None]]:
    """(step, date, principal, fees, interest, total) of every dated action, as the JSON gives them."""
    out = []
    for a in schedule.actions:
        if a.date is None:
            continue
        c = a.to_dict()["claim"]
        parts = (None,) * 4 if c is None else (c["principal"], c["fees"], c["interest"], c["total"])
        out.append((a.step, a.date.isoformat(), *parts))
    return out


# ============================================================================ worked figures

def test_norway_9500_due_18_march_2026_on_every_action_date():
    # 12.00 % (H1 2026) from Thu 19 Mar; interest = 9 500 × 0.12 × days / 365 = 1 140 × days / 365.
    # The inkassovarsel fee, 1/20 of 750.00 = 37.50, is in the claim from the notice's date on.
    s = evaluate(shipped("no"), case("2026-03-18"))
    assert claims(s) == [
        # Fri 6 Mar, before the due date: no interest
        ("invoice", "2026-03-06", "9500.00", "0.00", "0.00", "9500.00"),
        # Mon 23 Mar: 5 days, 5 700/365 = 15.6164... -> 15.62
        ("reminder-1", "2026-03-23", "9500.00", "0.00", "15.62", "9515.62"),
        # Mon 30 Mar: 12 days, 13 680/365 = 37.4794... -> 37.48
        ("reminder-2", "2026-03-30", "9500.00", "0.00", "37.48", "9537.48"),
        # Tue 7 Apr: 20 days, 22 800/365 = 62.4657... -> 62.47; fee 37.50
        ("collection-notice", "2026-04-07", "9500.00", "37.50", "62.47", "9599.97"),
        ("eviction-warning", "2026-04-07", "9500.00", "37.50", "62.47", "9599.97"),
        ("creditor-status-link", "2026-04-07", "9500.00", "37.50", "62.47", "9599.97"),
        # Wed 22 Apr, the day after both deadlines: 35 days, 39 900/365 = 109.3150... -> 109.32
        ("payment-demand", "2026-04-22", "9500.00", "37.50", "109.32", "9646.82"),
        ("eviction-petition", "2026-04-22", "9500.00", "37.50", "109.32", "9646.82"),
    ]
    assert all(a.claim_error is None for a in s.actions)
    assert all(a.claim.paid == 0 for a in s.actions)


def test_sweden_due_30_january_2026_with_partial_payments():
    # 9 500 SEK due Fri 30 Jan 2026, 10 % (H1 2026); 100 paid Thu 5 Feb, 1 000 paid Sat 14 Feb.
    s = evaluate(shipped("se"), case("2026-01-30", currency="SEK",
                                     events=[pay("2026-02-05", "100.00"), pay("2026-02-14", "1000.00")]))
    got = claims(s)
    assert got[:6] == [
        # Mon 2 Feb: inkassoavgift 180.00; interest 31 Jan..2 Feb, 3 days: 9 500 × 0.10 × 3/365
        #   = 2 850/365 = 7.8082... -> 7.81
        ("collection-demand", "2026-02-02", "9500.00", "180.00", "7.81", "9687.81"),
        # Thu 5 Feb: the 100 pays fees first: 180 -> 80 (interest and principal untouched).
        # Fri 13 Feb: Kronofogden's 300.00 -> fees 380.00; interest 14 days: 13 300/365 = 36.4383... -> 36.44
        ("lease-termination", "2026-02-13", "9500.00", "380.00", "36.44", "9916.44"),
        ("payment-order-application", "2026-02-13", "9500.00", "380.00", "36.44", "9916.44"),
        ("eviction-application", "2026-02-13", "9500.00", "380.00", "36.44", "9916.44"),
        ("social-services-notice", "2026-02-13", "9500.00", "380.00", "36.44", "9916.44"),
        # Sat 14 Feb: the 1 000 pays fees 380 (620 left), then the interest accrued to that day,
        #   15 days = 14 250/365 = 39.0410958904... (580.9589041095... left), then principal:
        #   9 500 - 580.9589041095... = 8 919.0410958904... (= 651 090/73).
        # Mon 16 Feb: interest on that principal for 15 and 16 Feb: 651 090/73 × 0.10 × 2/365
        #   = 130 218/26 645 = 4.8871... -> 4.89
        ("debtor-information", "2026-02-16", "8919.04", "0.00", "4.89", "8923.93"),
    ]
    paid = [a.claim.paid for a in s.actions if a.claim is not None]
    assert paid == [Dec("0.00"), Dec("100.00"), Dec("100.00"), Dec("100.00"), Dec("100.00"), Dec("1100.00")]
    # the later limitation interruptions fall after the last interest row: claim unknown
    later = [a for a in s.actions if a.step == "limitation-interruption"]
    assert later and all(a.claim is None for a in later)
    assert all(a.claim_error.startswith("rate-missing: no late_interest row covers 2026-07-01") for a in later)


def test_the_allocation_order_of_the_ruleset_is_used(tmp_path):
    # The same case under `allocation: [principal, interest, fees]`: on Sat 14 Feb the 1 000 goes to
    # the principal (9 500 -> 8 500); the 100 of Thu 5 Feb already went to principal (-> 9 400).
    text = (ROOT / "rulesets" / "se" / "standard.yaml").read_text(encoding="utf-8")
    text = text.replace("allocation: [fees, interest, principal]", "allocation: [principal, interest, fees]")
    assert "allocation: [principal, interest, fees]" in text
    (tmp_path / "standard.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "rulesets" / "se" / "rates.yaml", tmp_path / "rates.yaml")
    plan = compile(load_ruleset(tmp_path / "standard.yaml"))
    s = evaluate(plan, case("2026-01-30", currency="SEK",
                            events=[pay("2026-02-05", "100.00"), pay("2026-02-14", "1000.00")]))
    info = next(a for a in s.actions if a.step == "debtor-information")
    # interest: 31 Jan..5 Feb (6 days) on 9 500 = 5 700/365; 6..14 Feb (9 days) on 9 400 = 8 460/365;
    # 15..16 Feb (2 days) on 8 400 = 1 680/365; sum 15 840/365 = 43.3972... -> 43.40
    assert (info.claim.principal, info.claim.fees, info.claim.interest, info.claim.total) == (
        Dec("8400.00"), Dec("480.00"), Dec("43.40"), Dec("8923.40"))


def test_a_claim_across_the_1_july_2025_rate_change():
    # 9 500 NOK due Fri 20 Jun 2025: 12.50 % to 30 Jun, 12.25 % from 1 Jul.
    #   21..30 Jun (10 days at 12.50): 9 500 × 0.1250 × 10 = 11 875.00 (/365)
    #   per July day at 12.25:         9 500 × 0.1225      =  1 163.75 (/365)
    s = evaluate(shipped("no"), case("2025-06-20"))
    assert claims(s) == [
        ("invoice", "2025-06-10", "9500.00", "0.00", "0.00", "9500.00"),
        # Wed 25 Jun: 5 days at 12.50: 5 937.5/365 = 16.2671... -> 16.27
        ("reminder-1", "2025-06-25", "9500.00", "0.00", "16.27", "9516.27"),
        # Mon 30 Jun: 10 days at 12.50: 11 875/365 = 32.5342... -> 32.53
        ("reminder-2", "2025-06-30", "9500.00", "0.00", "32.53", "9532.53"),
        # Sat 5 Jul -> Mon 7 Jul: 11 875 + 7 × 1 163.75 = 20 021.25; /365 = 54.8527... -> 54.85;
        # fee 1/20 of 700.00 = 35.00 (2025)
        ("collection-notice", "2025-07-07", "9500.00", "35.00", "54.85", "9589.85"),
        ("eviction-warning", "2025-07-07", "9500.00", "35.00", "54.85", "9589.85"),
        ("creditor-status-link", "2025-07-07", "9500.00", "35.00", "54.85", "9589.85"),
        # Tue 22 Jul, the day after both deadlines (Mon 21 Jul):
        #   11 875 + 22 × 1 163.75 = 37 477.50; /365 = 102.6780... -> 102.68
        ("payment-demand", "2025-07-22", "9500.00", "35.00", "102.68", "9637.68"),
        ("eviction-petition", "2025-07-22", "9500.00", "35.00", "102.68", "9637.68"),
    ]
    # one rate for the whole span would give 9 500 × 0.125 × 17/365 = 55.31, not 54.85
    assert round(9500 * 0.125 * 17 / 365, 2) == 55.31


@pytest.mark.parametrize("events", [[], [pay("2026-06-25", "500.00")]], ids=["no-payment", "paid-in-part"])
def test_no_claim_when_no_interest_row_covers_a_day(events):
    # due Mon 22 Jun 2026; the late_interest table ends Tue 30 Jun 2026
    s = evaluate(shipped("no"), case("2026-06-22", events=events))
    by_step = {a.step: a for a in s.actions}
    known = by_step["reminder-1"]  # Sat 27 Jun -> Mon 29 Jun: 7 days, covered
    assert known.date == D(2026, 6, 29) and known.claim is not None and known.claim_error is None
    if not events:
        # 9 500 × 0.12 × 7/365 = 7 980/365 = 21.8630... -> 21.86
        assert known.claim.interest == Dec("21.86")
    for step in ("reminder-2", "collection-notice", "eviction-petition", "payment-demand"):
        a = by_step[step]
        assert a.date > LAST_RATE_DAY
        assert a.claim is None
        assert a.claim_error == ("rate-missing: no late_interest row covers 2026-07-01 "
                                 "(rows cover 2024-01-01..2026-06-30); add the period to the rate file")
        d = a.to_dict()
        assert d["claim"] is None and d["claim_error"] == a.claim_error
    # the fee itself is known (inkassosats 2026 covers July): only the claim is not
    assert by_step["collection-notice"].fee == Dec("37.50")
    # waiting/undated actions have neither
    assert all(a.claim is None and a.claim_error is None for a in s.actions if a.date is None)


def test_the_claim_error_names_the_first_day_without_a_rate():
    s = evaluate(shipped("no"), case("2026-06-22"))
    demand = next(a for a in s.actions if a.step == "payment-demand")
    assert demand.claim_error == ("rate-missing: no late_interest row covers 2026-07-01 "
                                  "(rows cover 2024-01-01..2026-06-30); add the period to the rate file")


def test_a_paid_in_full_case_keeps_the_interest_and_fees_owed():
    # 9 500 paid on Thu 9 Apr 2026 after the notice of Tue 7 Apr: stop_when paid skips the later steps,
    # but fees and interest remain: the payment went to fees 37.50, interest (22 days = 25 080/365 =
    # 68.7123...) and principal; 9 500 - 37.50 - 68.7123... = 9 393.7876... paid off the principal.
    s = evaluate(shipped("no"), case("2026-03-18", events=[pay("2026-04-09", "9500.00")]))
    demand = next(a for a in s.actions if a.step == "payment-demand")
    assert demand.status == "skipped"
    # Wed 22 Apr: principal 106.2123...; its interest 10..22 Apr (13 days): 106.2123... × 0.12 × 13/365
    # = 0.4539... -> 0.45
    assert (demand.claim.principal, demand.claim.fees, demand.claim.interest, demand.claim.total) == (
        Dec("106.21"), Dec("0.00"), Dec("0.45"), Dec("106.66"))


@pytest.mark.parametrize("amount", ["9500", 9500, "9500.5"])
def test_every_claim_part_is_in_whole_ore_whatever_the_amount_looks_like(amount):
    data = case("2026-03-18", amount=amount)  # type: ignore[arg-type]
    s = evaluate(shipped("no"), data)
    with_payment = evaluate(shipped("no"), {**data, "events": [pay("2026-12-31", "1.00")]})
    for a, b in zip(s.actions, with_payment.actions):
        if a.claim is not None:
            claim = a.to_dict()["claim"]
            assert all(re.fullmatch(r"[0-9]+\.[0-9]{2}", v) for v in claim.values()), (a.step, claim)
            assert claim == b.to_dict()["claim"]  # a payment after the day changes nothing


# ============================================================================ JSON Lines = evaluate

JSONL_CASES = [
    ("no", case("2026-03-18", id="NO-plain")),
    ("no", case("2026-03-18", id="NO-partial", events=[pay("2026-03-25", "2000.00"), pay("2026-04-10", "3000.00")])),
    ("no", case("2026-03-18", id="NO-paid-in-full", events=[pay("2026-04-09", "9500.00")])),
    ("no", case("2026-03-18", id="NO-overpaid", events=[pay("2026-04-09", "12000.00")])),
    ("no", case("2025-06-20", id="NO-july-2025", events=[pay("2025-07-01", "100.00")])),
    ("no", case("2026-06-22", id="NO-rate-missing", events=[pay("2026-06-25", "500.00")])),
    ("no", case("2026-06-22", id="NO-rate-missing-no-payment")),
    ("no", case("2025-12-16", amount="1234.56", id="NO-new-year",
                events=[{"type": "dispute_opened", "date": "2026-01-05"},
                        {"type": "dispute_resolved", "date": "2026-01-20"}, pay("2026-01-21", "34.56")])),
    ("se", case("2026-01-30", currency="SEK", id="SE-partial",
                events=[pay("2026-02-05", "100.00"), pay("2026-02-14", "1000.00")])),
    ("se", case("2026-01-30", currency="SEK", id="SE-plain")),
    ("se", case("2025-06-02", amount="4321.09", currency="SEK", id="SE-2025",
                events=[pay("2025-06-10", "200.00"), pay("2025-07-15", "4000.00")])),
    ("se", case("2026-01-30", currency="SEK", id="SE-same-day", events=[pay("2026-02-13", "300.00")])),
]


@pytest.mark.parametrize("country", ["no", "se"])
@pytest.mark.parametrize("as_of", [None, "2026-02-14"])
def test_json_lines_equal_evaluate(tmp_path, country, as_of):
    cases = [c for k, c in JSONL_CASES if k == country]
    # each case twice: the second one is served from the plan's memo and fragment cache
    lines = [json.dumps(c) for c in cases + cases]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = ["schedule", str(ROOT / "rulesets" / country / "standard.yaml"), str(path)]
    if as_of:
        args += ["--as-of", as_of]
    assert run(args, stdout=out, stderr=err) == 0, err.getvalue()
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    plan = shipped(country)
    want = [evaluate(plan, c, as_of=D.fromisoformat(as_of) if as_of else None).to_dict() for c in cases + cases]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
    # the figures really are there (fees and claims), not only equal nulls
    assert any(a["fee"] for g in got for a in g["actions"])
    assert any(a["claim"] and a["claim"]["interest"] != "0.00" for g in got for a in g["actions"])


# ============================================================================ properties

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RATES = {k: load_rates(ROOT / "rulesets" / k / "rates.yaml") for k in ("no", "se")}
# The caps, written out from the statutes (not read from _fees): NO a fraction of the inkassosats,
# SE a table of its own; a fee never on a notice sent earlier than this many days after the due date.
NO_FRACTION = {"reminder": Fraction(1, 20), "collection_notice": Fraction(1, 20), "payment_demand": Fraction(3, 20)}
SE_CAP_TABLE = {"reminder": "reminder_fee_cap", "collection": "collection_fee_cap",
                "payment_plan": "payment_plan_fee_cap", "enforcement_application": "kronofogden_application_fee"}
MIN_DAYS = {"no": 14, "se": 0}


def cap_on(country: str, kind: str, day: D) -> Dec:
    book = RATES[country]
    if country == "no":
        exact = Fraction(book.table("inkassosats").value_on(day)) * NO_FRACTION[kind]
        return Dec(exact.numerator) / Dec(exact.denominator)
    return book.table(SE_CAP_TABLE[kind]).value_on(day)


def fee_kinds(country: str) -> dict[str, str]:
    return {s.id: s.fee.kind for s in shipped(country).source.steps if s.fee is not None}


def oracle_interest(country: str, amount: Dec, due: D, day: D) -> Dec:
    """amount × Σ rate × days / 36 500 over (due, day], exactly, then half-up to 0.01."""
    table = RATES[country].table("late_interest")
    total = Fraction(0)
    d = due + dt.timedelta(days=1)
    while d <= day:
        total += Fraction(table.value_on(d)) / 36500
        d += dt.timedelta(days=1)
    exact = Fraction(amount) * total
    cents = int(exact * 100)
    if exact * 100 - cents >= Fraction(1, 2):
        cents += 1
    return Dec(cents) / 100


@st.composite
def cases(draw, payments: bool = True) -> tuple[str, dict[str, Any]]:
    country = draw(st.sampled_from(["no", "se"]))
    due = draw(st.dates(D(2025, 1, 1), D(2026, 3, 31)))
    cents = draw(st.integers(100, 5_000_000))
    events = []
    if payments:
        for offset, part in draw(st.lists(st.tuples(st.integers(-10, 120), st.integers(1, cents)), max_size=3)):
            events.append(pay((due + dt.timedelta(days=offset)).isoformat(), f"{part // 100}.{part % 100:02d}"))
    data = case(due.isoformat(), f"{cents // 100}.{cents % 100:02d}", CURRENCY[country], events, id="P-1")
    return country, data


@SETTINGS
@given(cases())
def test_fees_are_within_the_cap_and_never_too_early(generated):
    country, data = generated
    due = D.fromisoformat(data["due_date"])
    kinds = fee_kinds(country)
    for a in evaluate(shipped(country), data).actions:
        if a.fee is not None:
            assert a.status == "planned"
            assert a.fee == a.fee.quantize(Dec("0.01")) and a.fee > 0
            assert a.fee <= cap_on(country, kinds[a.step], a.date)
            assert (a.date - due).days >= MIN_DAYS[country]
        elif a.step in kinds and a.status == "planned":
            assert "fee skipped: " in a.reason


@SETTINGS
@given(cases())
def test_claim_parts_add_up_and_are_never_negative(generated):
    country, data = generated
    s = evaluate(shipped(country), data)
    for a in s.actions:
        if a.date is None:
            assert a.claim is None and a.claim_error is None
            continue
        assert (a.claim is None) == (a.claim_error is not None)
        if a.claim is None:
            # only past the last interest row (due dates in 2025..Q1 2026 are always covered)
            assert a.date > LAST_RATE_DAY
            assert a.claim_error.startswith("rate-missing: no late_interest row covers 2026-07-01")
            continue
        c = a.claim
        if a.date > LAST_RATE_DAY:  # known past the table only if nothing accrues any more
            assert c.principal == 0
        assert c.total == c.principal + c.fees + c.interest
        for part in (c.principal, c.fees, c.interest, c.total, c.paid, c.overpaid):
            assert part >= 0
        for part in (c.principal, c.fees, c.interest, c.total):
            assert part == part.quantize(Dec("0.01"))
        j = a.to_dict()["claim"]
        assert Dec(j["total"]) == Dec(j["principal"]) + Dec(j["fees"]) + Dec(j["interest"])


@SETTINGS
@given(cases(payments=False))
def test_without_payments_interest_grows_and_total_is_amount_fees_interest(generated):
    country, data = generated
    amount = Dec(data["amount"])
    due = D.fromisoformat(data["due_date"])
    s = evaluate(shipped(country), data)
    dated = sorted((a for a in s.actions if a.date is not None), key=lambda a: a.date)
    last = Dec(0)
    for a in dated:
        if a.claim is None:
            continue
        c = a.claim
        assert c.interest >= last
        last = c.interest
        charged = sum((b.fee for b in dated if b.fee is not None and b.date <= a.date), Dec(0))
        assert c.principal == amount and c.fees == charged
        assert c.total == amount + charged + c.interest
        assert c.interest == oracle_interest(country, amount, due, a.date)


@SETTINGS
@given(cases(payments=False))
def test_the_fast_no_payment_path_equals_claim_on(generated):
    country, data = generated
    plan = shipped(country)
    due = D.fromisoformat(data["due_date"])
    s = evaluate(plan, data)
    fees = [(a.date, a.fee) for a in s.actions if a.fee is not None]
    for a in s.actions:
        if a.date is None:
            continue
        try:
            want = claim_on(a.date, principal=Dec(data["amount"]), due=due, fees=[f for f in fees if f[0] <= a.date],
                            payments=[], table=plan.interest, order=plan.allocation, day_count=plan.day_count)
        except RateError as e:
            assert a.claim is None
            assert a.claim_error.split(" (rows cover")[0] == f"{e.code}: {e.message}".split(", needed for")[0]
            continue
        assert a.claim == want
        assert [str(x) for x in (a.claim.principal, a.claim.fees, a.claim.interest, a.claim.total)] == \
            [str(x) for x in (want.principal, want.fees, want.interest, want.total)]


@SETTINGS
@given(cases())
def test_with_payments_the_claim_is_claim_on_and_never_above_the_unpaid_one(generated):
    country, data = generated
    plan = shipped(country)
    due = D.fromisoformat(data["due_date"])
    s = evaluate(plan, data)
    payments = [(D.fromisoformat(e["date"]), Dec(e["amount"])) for e in data.get("events", [])]
    fees = [(a.date, a.fee) for a in s.actions if a.fee is not None]
    unpaid = {(a.step, a.occurrence, a.date): a.claim
              for a in evaluate(plan, {**data, "events": []}).actions}
    for a in s.actions:
        if a.claim is None:
            continue
        want = claim_on(a.date, principal=Dec(data["amount"]), due=due, fees=[f for f in fees if f[0] <= a.date],
                        payments=payments, table=plan.interest, order=plan.allocation, day_count=plan.day_count)
        assert a.claim == want
        assert a.claim.paid == sum((p for d, p in payments if d <= a.date), Dec(0))
        base = unpaid.get((a.step, a.occurrence, a.date))
        if base is not None:
            assert a.claim.total <= base.total


@SETTINGS
@given(cases())
def test_the_batch_json_equals_evaluate(generated):
    country, data = generated
    plan = shipped(country)
    one = case_from_data(data)
    assert json.loads(schedule_json(plan, one)) == evaluate(plan, one).to_dict()
