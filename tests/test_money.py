"""Statutory interest and the claim: exact worked figures, then properties.

Interest is actual/365 simple interest for the days in (start, end]; payments go to fees, then
interest, then principal; parts are rounded half-up to 0.01 only in the Claim.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dunningrules._money import CENT, Claim, claim_on, interest, ledger_on, round_money
from dunningrules._rates import RateError, load_rates

ROOT = Path(__file__).resolve().parent.parent
NO_LATE = load_rates(ROOT / "rulesets" / "no" / "rates.yaml").table("late_interest")  # 2024-01-01..2026-06-30
SE_LATE = load_rates(ROOT / "rulesets" / "se" / "rates.yaml").table("late_interest")
INKASSOSATS = load_rates(ROOT / "rulesets" / "no" / "rates.yaml").table("inkassosats")
D = date
Dec = Decimal


def exact(expr):
    """Evaluate a reference figure in a 50-digit context (as the library does)."""
    with localcontext() as ctx:
        ctx.prec = 50
        return expr()


# --- rounding ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, want", [
    ("0.125", "0.13"),    # half-even would give 0.12
    ("2.675", "2.68"),    # the float 2.675 is 2.67499..., Decimal keeps it exact
    ("0.005", "0.01"),
    ("38.355", "38.36"),
    ("0.1249999", "0.12"),
    ("38.3561643", "38.36"),
    ("-0.125", "-0.13"),  # away from zero
    ("7", "7.00"),
])
def test_round_money_is_half_up_to_the_ore(x, want):
    assert str(round_money(Dec(x))) == want


def test_round_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(0.125)  # type: ignore[arg-type]


# --- interest: worked figures -----------------------------------------------------------------------

def test_ten_thousand_sek_at_ten_percent_for_fourteen_days():
    # 10 000 × 10 % × 14/365 = 14 000/365 = 38.356164383561643835616438356... -> 38.36
    # (SE dröjsmålsränta H2 2025 = reference 2 % + 8 = 10 %; interest for 2..15 August)
    got = interest(Dec(10000), D(2025, 8, 1), D(2025, 8, 15), SE_LATE)
    assert got == exact(lambda: Dec(14000) / Dec(365))
    assert str(got).startswith("38.35616438356164383561643835")
    assert round_money(got) == Dec("38.36")


def test_nine_thousand_five_hundred_nok_across_the_july_rate_change():
    # Due 2025-06-20, counted to 2025-07-10: interest days are 21 Jun .. 10 Jul.
    #   21..30 Jun: 10 days at 12.50 %: 9 500 × 0.1250 × 10/365 = 11 875.0/365 = 32.534246575342...
    #    1..10 Jul: 10 days at 12.25 %: 9 500 × 0.1225 × 10/365 = 11 637.5/365 = 31.883561643835...
    #   sum = 23 512.5/365 = 64.417808219178... -> 64.42
    got = interest(Dec(9500), D(2025, 6, 20), D(2025, 7, 10), NO_LATE)
    assert got == exact(lambda: Dec("23512.5") / Dec(365))
    assert round_money(got) == Dec("64.42")
    # the same span at a single rate would differ: proves the split happens
    assert round_money(got) != round_money(exact(lambda: Dec(9500) * Dec("0.125") * 20 / 365))


def test_interest_runs_from_the_day_after_start():
    assert interest(Dec(1000), D(2025, 3, 1), D(2025, 3, 1), NO_LATE) == 0
    assert interest(Dec(1000), D(2025, 3, 2), D(2025, 3, 1), NO_LATE) == 0
    # one day: 1 000 × 12.5 % / 365 = 0.342465753...
    assert interest(Dec(1000), D(2025, 3, 1), D(2025, 3, 2), NO_LATE) == exact(lambda: Dec(125) / 365)


def test_a_leap_day_is_one_day_of_1_365():
    # 2024-02-28 -> 2024-03-01: 29 Feb and 1 Mar, two days at 12.5 %
    got = interest(Dec(36500), D(2024, 2, 28), D(2024, 3, 1), NO_LATE)
    assert got == Dec("25")  # 36 500 × 0.125 × 2/365 = 25 exactly
    # the whole of 2024 (366 days, all at 12.5 %) earns 366/365 of the yearly rate:
    # 10 000 × 0.125 × 366/365 = 1 253.424657... -> 1 253.42 (start 2023-12-31 itself bears no interest)
    year = interest(Dec(10000), D(2023, 12, 31), D(2024, 12, 31), NO_LATE)
    assert year == exact(lambda: Dec(10000) * Dec("0.125") * 366 / 365)
    assert round_money(year) == Dec("1253.42")


def test_interest_needs_every_day_covered():
    with pytest.raises(RateError) as info:
        interest(Dec(1000), D(2026, 6, 1), D(2026, 7, 15), NO_LATE)
    assert info.value.code == "rate-missing"
    assert "2026-07-01" in info.value.message
    with pytest.raises(RateError):
        interest(Dec(1000), D(2023, 12, 1), D(2024, 1, 15), NO_LATE)


def test_interest_refuses_a_money_table_floats_and_negatives():
    with pytest.raises(ValueError):
        interest(Dec(1000), D(2025, 1, 1), D(2025, 2, 1), INKASSOSATS)
    with pytest.raises(TypeError):
        interest(1000.0, D(2025, 1, 1), D(2025, 2, 1), NO_LATE)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        interest(Dec(-1), D(2025, 1, 1), D(2025, 2, 1), NO_LATE)
    with pytest.raises(ValueError):
        interest(Dec(1), D(2025, 1, 1), D(2025, 2, 1), NO_LATE, day_count=0)


def test_day_count_360_is_available_when_a_contract_says_so():
    assert interest(Dec(36000), D(2025, 3, 1), D(2025, 3, 2), NO_LATE, day_count=360) == Dec("12.5")


# --- the claim: worked figures ----------------------------------------------------------------------

def test_no_payments_no_fees_is_principal_plus_interest():
    c = claim_on(D(2025, 8, 15), principal=Dec(10000), due=D(2025, 8, 1), fees=[], payments=[], table=SE_LATE)
    assert c == Claim(Dec("10000.00"), Dec("0.00"), Dec("38.36"), Dec("10038.36"), Dec("0.00"), Dec("0.00"))


def test_partial_payment_goes_to_fees_then_interest_then_principal():
    # 10 000 SEK due 1 Aug 2025 (10 %); collection fee 180 on 5 Aug; 500 paid on 15 Aug.
    #   interest 2..15 Aug (14 days): 10 000 × 0.10 × 14/365 = 38.356164383561...
    #   500 pays fee 180, interest 38.356164383561..., and 281.643835616438... of the principal
    #   principal left: 9 718.356164383561...
    #   interest 16..29 Aug (14 days): 9 718.356164383561... × 0.10 × 14/365 = 37.275886657909...
    c = claim_on(D(2025, 8, 29), principal=Dec(10000), due=D(2025, 8, 1),
                 fees=[(D(2025, 8, 5), Dec(180))], payments=[(D(2025, 8, 15), Dec(500))], table=SE_LATE)
    assert c == Claim(principal=Dec("9718.36"), fees=Dec("0.00"), interest=Dec("37.28"), total=Dec("9755.64"),
                      paid=Dec("500.00"), overpaid=Dec("0.00"))
    # just before the payment everything is still outstanding
    before = claim_on(D(2025, 8, 14), principal=Dec(10000), due=D(2025, 8, 1),
                      fees=[(D(2025, 8, 5), Dec(180))], payments=[(D(2025, 8, 15), Dec(500))], table=SE_LATE)
    # 13 days: 13 000/365 = 35.616438...
    assert before == Claim(Dec("10000.00"), Dec("180.00"), Dec("35.62"), Dec("10215.62"), Dec("0.00"))


def test_a_payment_covering_only_part_of_the_fees():
    # Two NO reminder fees of 35 (1/20 of 700); 50 paid: fees 70 -> 20, interest and principal untouched.
    # Interest 21 Jun .. 30 Jun 2025 on 9 500 at 12.50 %: 11 875/365 = 32.534246...
    c = claim_on(D(2025, 6, 30), principal=Dec(9500), due=D(2025, 6, 20),
                 fees=[(D(2025, 6, 25), Dec(35)), (D(2025, 6, 27), Dec(35))],
                 payments=[(D(2025, 6, 28), Dec(50))], table=NO_LATE)
    assert c == Claim(Dec("9500.00"), Dec("20.00"), Dec("32.53"), Dec("9552.53"), Dec("50.00"))


def test_an_overpayment_leaves_everything_zero_and_reports_the_credit():
    # 1 000 due 1 Aug 2025 at 10 %; 60 fee 5 Aug; 2 000 paid 15 Aug.
    # interest 14 days: 1 000 × 0.10 × 14/365 = 3.835616...; owed 1 063.835616...; credit 936.164383... -> 936.16
    c = claim_on(D(2025, 9, 1), principal=Dec(1000), due=D(2025, 8, 1), fees=[(D(2025, 8, 5), Dec(60))],
                 payments=[(D(2025, 8, 15), Dec(2000))], table=SE_LATE)
    assert c == Claim(Dec("0.00"), Dec("0.00"), Dec("0.00"), Dec("0.00"), Dec("2000.00"), Dec("936.16"))
    # a fee charged later is paid from the credit
    later = claim_on(D(2025, 9, 1), principal=Dec(1000), due=D(2025, 8, 1),
                     fees=[(D(2025, 8, 5), Dec(60)), (D(2025, 8, 20), Dec(180))],
                     payments=[(D(2025, 8, 15), Dec(2000))], table=SE_LATE)
    assert (later.total, later.paid, later.overpaid) == (Dec("0.00"), Dec("2000.00"), Dec("756.16"))


def test_payment_on_or_before_the_due_date_bears_no_interest():
    c = claim_on(D(2025, 8, 1), principal=Dec(1000), due=D(2025, 8, 1), fees=[],
                 payments=[(D(2025, 8, 1), Dec(1000))], table=SE_LATE)
    assert c.total == 0 and c.overpaid == 0
    early = claim_on(D(2025, 8, 15), principal=Dec(1000), due=D(2025, 8, 1), fees=[],
                     payments=[(D(2025, 7, 20), Dec(400))], table=SE_LATE)
    # 600 × 0.10 × 14/365 = 2.301369... -> 2.30
    assert early == Claim(Dec("600.00"), Dec("0.00"), Dec("2.30"), Dec("602.30"), Dec("400.00"))


def test_a_payment_after_the_day_asked_about_is_ignored():
    c = claim_on(D(2025, 8, 15), principal=Dec(10000), due=D(2025, 8, 1), fees=[(D(2025, 8, 20), Dec(180))],
                 payments=[(D(2025, 8, 16), Dec(500))], table=SE_LATE)
    assert (c.total, c.paid) == (Dec("10038.36"), Dec("0.00"))


def test_principal_first_order():
    # order principal -> interest -> fees: 500 on 15 Aug all goes to principal; fee and interest stay.
    # interest 2..15 Aug on 10 000: 38.356164...; 16..29 Aug on 9 500: 9 500 × 0.10 × 14/365 = 36.438356...
    c = claim_on(D(2025, 8, 29), principal=Dec(10000), due=D(2025, 8, 1), fees=[(D(2025, 8, 5), Dec(180))],
                 payments=[(D(2025, 8, 15), Dec(500))], table=SE_LATE, order=("principal", "interest", "fees"))
    # 38.356164... + 36.438356... = 74.794520... -> 74.79
    assert c == Claim(Dec("9500.00"), Dec("180.00"), Dec("74.79"), Dec("9754.79"), Dec("500.00"))


def test_no_table_means_no_interest():
    c = claim_on(D(2026, 12, 1), principal=Dec(5000), due=D(2025, 1, 1), fees=[(D(2025, 2, 1), Dec(35))],
                 payments=[], table=None)
    assert c == Claim(Dec("5000.00"), Dec("35.00"), Dec("0.00"), Dec("5035.00"), Dec("0.00"))


def test_a_claim_past_the_table_fails_loudly():
    with pytest.raises(RateError):
        claim_on(D(2026, 7, 1), principal=Dec(5000), due=D(2026, 6, 1), fees=[], payments=[], table=NO_LATE)


def test_interest_stops_once_the_principal_is_paid():
    # paid in full on 15 Aug (10 000 + 38.356... interest); nothing accrues afterwards, even past the table
    c = claim_on(D(2027, 1, 1), principal=Dec(10000), due=D(2025, 8, 1), fees=[],
                 payments=[(D(2025, 8, 15), Dec("10038.36"))], table=SE_LATE)
    assert (c.total, c.overpaid) == (Dec("0.00"), Dec("0.00"))


@pytest.mark.parametrize("kwargs, error", [
    ({"order": ("fees", "principal")}, ValueError),
    ({"order": ("fees", "fees", "principal")}, ValueError),
    ({"payments": [(D(2025, 8, 5), Dec(-1))]}, ValueError),
    ({"fees": [(D(2025, 8, 5), 35.0)]}, TypeError),
    ({"principal": 10000.0}, TypeError),
])
def test_bad_arguments_are_refused(kwargs, error):
    args = dict(principal=Dec(10000), due=D(2025, 8, 1), fees=[], payments=[], table=SE_LATE) | kwargs
    with pytest.raises(error):
        claim_on(D(2025, 8, 15), **args)


# --- properties -------------------------------------------------------------------------------------

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TINY = Dec("1e-40")  # far below an øre: the last digits of 50-digit arithmetic
FIRST, LAST = NO_LATE.rows[0].valid_from, NO_LATE.rows[-1].valid_to

amounts = st.integers(0, 10**9).map(lambda cents: Dec(cents).scaleb(-2))  # 0.00 .. 10 000 000.00
small = st.integers(0, 10**6).map(lambda cents: Dec(cents).scaleb(-2))
days = st.dates(min_value=FIRST, max_value=LAST)
events = st.lists(st.tuples(days, small), max_size=6)
orders = st.permutations(["fees", "interest", "principal"])


@SETTINGS
@given(p=amounts, a=days, b=days)
def test_interest_is_never_negative_and_grows_with_the_span(p, a, b):
    start, end = min(a, b), max(a, b)
    got = interest(p, start, end, NO_LATE)
    assert got >= 0
    assert interest(p, start, end + timedelta(days=1), NO_LATE) >= got if end < LAST else True
    assert interest(p, end, start, NO_LATE) == (0 if start <= end else got)


@SETTINGS
@given(p=amounts, due=days, d1=days, d2=days, fees=events, order=orders)
def test_total_is_monotone_in_the_day_while_nothing_is_paid(p, due, d1, d2, fees, order):
    lo, hi = min(d1, d2), max(d1, d2)
    a = claim_on(lo, principal=p, due=due, fees=fees, payments=[], table=NO_LATE, order=order)
    b = claim_on(hi, principal=p, due=due, fees=fees, payments=[], table=NO_LATE, order=order)
    assert b.total >= a.total and b.interest >= a.interest and b.fees >= a.fees


@SETTINGS
@given(p=amounts, due=days, day=days, fees=events, payments=events, order=orders)
def test_claim_identity_and_conservation(p, due, day, fees, payments, order):
    kw = dict(principal=p, due=due, fees=fees, payments=payments, table=NO_LATE, order=order)
    c = claim_on(day, **kw)
    led = ledger_on(day, **kw)
    # the printed parts add up exactly, none is negative, all are whole øre
    assert c.total == c.principal + c.fees + c.interest
    for part in (c.principal, c.fees, c.interest, c.total, c.paid, c.overpaid):
        assert part >= 0 and part == part.quantize(CENT)
    assert c.paid == round_money(sum((a for d, a in payments if d <= day), Dec(0)))
    # nothing is lost or made up by the allocation (unrounded: exact up to the 50-digit working precision)
    with localcontext() as ctx:
        ctx.prec = 120  # exact sums of 50-digit values
        assert abs((p + led.fees_charged + led.interest_accrued - led.paid)
                   - (led.principal + led.fees + led.interest - led.credit)) <= TINY
    if led.credit == 0:
        # rounding each of the three parts moves the total by at most 0.005 each
        assert abs(c.total - (p + led.fees_charged + led.interest_accrued - led.paid)) <= Dec("0.015")
    else:
        assert c.total == 0
    if not [x for x in payments if x[0] <= day]:
        # fee dates split the accrual; the pieces add up to the one-span figure
        assert abs(led.interest_accrued - interest(p, due, day, NO_LATE)) <= TINY


@SETTINGS
@given(p=amounts, due=days, day=days, fees=events, payments=events, extra=st.tuples(days, small), order=orders)
def test_a_payment_never_increases_the_total(p, due, day, fees, payments, extra, order):
    kw = dict(principal=p, due=due, fees=fees, table=NO_LATE, order=order)
    without = claim_on(day, payments=payments, **kw)
    with_it = claim_on(day, payments=payments + [extra], **kw)
    assert with_it.total <= without.total
    assert with_it.paid >= without.paid


@SETTINGS
@given(p=amounts, due=days, day=days, fees=events, payments=events, seed=st.integers(0, 2**32 - 1), order=orders)
def test_the_order_of_the_input_lists_does_not_matter(p, due, day, fees, payments, seed, order):
    # Equal dates are likely (few distinct days drawn); the ledger is the same, digit for digit.
    rng = random.Random(seed)
    shuffled_fees, shuffled_payments = fees[:], payments[:]
    rng.shuffle(shuffled_fees)
    rng.shuffle(shuffled_payments)
    a = ledger_on(day, principal=p, due=due, fees=fees, payments=payments, table=NO_LATE, order=order)
    b = ledger_on(day, principal=p, due=due, fees=shuffled_fees, payments=shuffled_payments, table=NO_LATE,
                  order=order)
    assert a == b


@SETTINGS
@given(p=amounts, due=days, day=days, date_=days, a=small, b=small)
def test_two_payments_on_one_day_equal_their_sum(p, due, day, date_, a, b):
    kw = dict(principal=p, due=due, fees=[(due, Dec(35))], table=NO_LATE)
    assume(date_ <= day)
    assert claim_on(day, payments=[(date_, a), (date_, b)], **kw) == claim_on(day, payments=[(date_, a + b)], **kw)


# --- the batch's walk in whole øre ------------------------------------------------------------------

from dunningrules._money import ledger_cents, ledger_events, ledger_states  # noqa: E402

PER = 10_000 * 365
SUMS = NO_LATE.day_sums()
_FIRST_DAY, _SUMS = SUMS


def _rate_days(start: int, end: int) -> int | None:
    a, b = start + 1 - _FIRST_DAY, end - _FIRST_DAY + 1
    return _SUMS[b] - _SUMS[a] if a >= 0 and b < len(_SUMS) else None


def _interest(principal: Decimal, start: int, end: int) -> Decimal:
    r = _rate_days(start, end)
    if r is None:
        raise RateError("rate-missing", "not covered")
    return principal * r / Decimal(PER)


def decimal_claims(days, principal, due, fees, payments, order):
    """(principal, fees, interest) in øre per day, from the Decimal walk and Ledger.claim()'s rounding."""
    states = ledger_states(days, Dec(principal) / 100, due,
                           ledger_events([(d, Dec(a) / 100) for d, a in fees], [(d, Dec(a) / 100) for d, a in payments],
                                         days[-1]), order, _interest)
    return [tuple(int(round_money(x) * 100) for x in state[:3]) for state in states]


ordinals = st.integers(FIRST.toordinal(), LAST.toordinal())
past_the_rows = st.integers(FIRST.toordinal(), LAST.toordinal() + 40)  # some days no rate covers
cents = st.integers(1, 10**9)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=cents, due=ordinals, days=st.lists(past_the_rows, min_size=1, max_size=8, unique=True),
       fees=st.lists(st.tuples(past_the_rows, st.integers(1, 10**5)), max_size=3),
       payments=st.lists(st.tuples(past_the_rows, st.integers(1, 10**9)), max_size=4), order=orders)
def test_the_walk_in_whole_ore_gives_the_decimal_walks_figures(p, due, days, fees, payments, order):
    days.sort()
    got = ledger_cents(days, p, due, ledger_events(fees, payments, days[-1]), order, SUMS, PER)
    if got is None:  # a tie or too many rescalings: the caller walks in Decimal
        return
    known = [state for state in got if state is not None]
    assert got[len(known):] == [None] * (len(got) - len(known))  # unknown from a day on, never before
    if len(known) < len(days):  # the Decimal walk fails from that day on too
        with pytest.raises(RateError):
            decimal_claims(days[:len(known) + 1], p, due, fees, payments, order)
    if known:
        assert known == decimal_claims(days[:len(known)], p, due, fees, payments, order)


def test_the_walk_in_whole_ore_seldom_leaves_a_case_to_decimal():
    rng = random.Random(3)
    first, last = FIRST.toordinal(), LAST.toordinal()
    left = 0
    for _ in range(500):
        due = rng.randrange(first, last - 60)
        days = sorted(rng.sample(range(due - 10, due + 60), 6))
        payments = [(due + rng.randrange(1, 40), rng.randrange(100, 500_000)) for _ in range(rng.randrange(1, 3))]
        p = rng.randrange(100_000, 2_000_000)
        got = ledger_cents(days, p, due, ledger_events([(due + 15, 3750)], payments, days[-1]),
                           ("fees", "interest", "principal"), SUMS, PER)
        if got is None:
            left += 1
        else:
            assert got == decimal_claims(days, p, due, [(due + 15, 3750)], payments, ("fees", "interest", "principal"))
    assert left <= 5


def test_a_rounding_kept_before_a_rescale_is_not_reused_after_it():
    # Found in review: two rescales, after which the principal in the new units (0 after the payment
    # paid it off) was compared with a value kept in the old ones.
    order = ("interest", "principal", "fees")
    due = FIRST.toordinal() + 10
    days, payment = [due + 1, due + 66], (due + 65, 51_113)
    got = ledger_cents(days, 50_000, due, ledger_events([], [payment], days[-1]), order, SUMS, PER)
    assert got == decimal_claims(days, 50_000, due, [], [payment], order) == [(50_000, 0, 17), (0, 0, 0)]


def test_an_exact_half_ore_is_left_to_the_decimal_walk():
    # 1 day at NO_LATE's first rate: interest = p × rate / 3 650 000 øre; find p with exactly x.5 øre.
    due = FIRST.toordinal()
    rate = _rate_days(due, due + 1)
    p = next(p for p in range(1, 10**7) if (p * rate) % PER == PER // 2)
    assert ledger_cents([due + 1], p, due, [], ("fees", "interest", "principal"), SUMS, PER) is None
    # and one øre more is decided here, as the Decimal walk decides it
    got = ledger_cents([due + 1], p + 1, due, [], ("fees", "interest", "principal"), SUMS, PER)
    assert got == decimal_claims([due + 1], p + 1, due, [], [], ("fees", "interest", "principal"))


def test_the_walk_in_whole_ore_says_where_no_rate_is_known():
    last = LAST.toordinal()
    order = ("fees", "interest", "principal")
    # Unknown from the first day a span needs a rate no row has: that day and every later one,
    # where the Decimal walk raises rate-missing.
    got = ledger_cents([last - 1, last, last + 5, last + 9], 100_000, last - 5, [], order, SUMS, PER)
    assert got[:2] == decimal_claims([last - 1, last], 100_000, last - 5, [], [], order)
    assert got[2:] == [None, None]
    with pytest.raises(RateError):
        decimal_claims([last + 5], 100_000, last - 5, [], [], order)
    # paid in full before the rates end: nothing bears interest after, so the claim is known
    got = ledger_cents([last + 5], 100_000, last - 5, [(last - 4, 1, 200_000)], order, SUMS, PER)
    assert got == [(0, 0, 0)]
