"""Statutory late-payment interest and what a debtor owes on a day, in Decimal throughout.

Interest
    Simple interest on the outstanding principal, from the day after the due
    date: a claim due on D and paid on P bears interest for the days in
    (D, P], so paying one day late costs one day.  The rate is the table row
    covering each day (Norway: forsinkelsesrente; Sweden: dröjsmålsränta, both
    fixed per half-year), so a span crossing 1 July is split at the boundary.
    Day count **actual/365**: every calendar day is 1/365 of the yearly rate,
    a leap day included (a leap year's 366 days earn 366/365 of the rate).
    Interest is never compounded: it accrues on the principal only, not on
    fees or on earlier interest.  A day no row covers raises RateError
    ``rate-missing``, never a guess.

Allocation of payments
    Each payment, on its date, first pays what is outstanding in ``order``:
    by default costs (fees), then interest, then principal, as collection
    agencies in both countries usually allocate (no statute is relied on here;
    pass another ``order`` where an agreement says otherwise).  Interest
    accrued up to and including the payment day is outstanding on that day.
    Fees are outstanding from their own date; a fee dated the same day as a
    payment is added first.  Afterwards interest follows the reduced principal.

Overpayment
    What a payment leaves over after everything outstanding is a credit: the
    claim shows 0 for every part (never negative), ``paid`` stays the full sum
    of payments, and ``overpaid`` reports the credit.  A credit pays fees added
    later (principal and interest cannot grow once the principal is 0).

Rounding
    Everything is computed unrounded (a local decimal context of 50 digits),
    including the interest that payments are allocated against.  Only the
    :class:`Claim` rounds, each part separately, half-up to whole øre/öre;
    ``total`` is the sum of the rounded parts, so it always equals
    ``principal + fees + interest`` as printed on a notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from typing import Any

from ._rates import PERCENT, RateTable

CENT = Decimal("0.01")
DAY_COUNT = 365
PARTS = ("fees", "interest", "principal")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def _context() -> Context:
    """50 significant digits: far beyond any claim, so sums of unrounded interest stay exact to the øre."""
    return Context(prec=50, rounding=ROUND_HALF_EVEN)


_CONTEXT = _context()  # localcontext() works on a copy, so one template serves every walk


def round_money(x: Decimal) -> Decimal:
    """``x`` to whole øre/öre (0.01), half-up.

    Half-up (0.125 -> 0.13), not Decimal's default banker's rounding (0.125 ->
    0.12): commercial rounding is what invoices, collection notices and their
    readers expect, and neither country's interest statute asks for anything
    else.  Negative amounts round away from zero (-0.125 -> -0.13).
    """
    return _as_decimal(x, "amount").quantize(CENT, rounding=ROUND_HALF_UP)


def _as_decimal(x: object, what: str) -> Decimal:
    """Decimal or int only: a float has already lost the øre."""
    if isinstance(x, bool) or not isinstance(x, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal (or int), not {type(x).__name__}")
    d = Decimal(x)
    if not d.is_finite():
        raise ValueError(f"{what} must be a finite amount, not {d}")
    return d


def _amount(x: object, what: str) -> Decimal:
    d = _as_decimal(x, what)
    if d < 0:
        raise ValueError(f"{what} must not be negative, got {d}")
    return d


@dataclass(frozen=True)
class Claim:
    """What is outstanding on a day, each part rounded half-up to 0.01.

    ``total == principal + fees + interest`` exactly.  ``paid`` is every
    payment up to the day in full (an overpayment included); ``overpaid`` is
    the credit left after everything was paid.
    """

    principal: Decimal
    fees: Decimal
    interest: Decimal
    total: Decimal
    paid: Decimal
    overpaid: Decimal = _ZERO


@dataclass(frozen=True)
class Ledger:
    """The unrounded state behind a :class:`Claim`, for audits and checks.

    Conservation: ``original principal + fees_charged + interest_accrued - paid
    == principal + fees + interest - credit``, up to the last of the 50 working
    digits (far below 1e-40).
    """

    principal: Decimal
    fees: Decimal
    interest: Decimal
    paid: Decimal
    credit: Decimal
    fees_charged: Decimal
    interest_accrued: Decimal

    def claim(self) -> Claim:
        principal, fees, interest = (round_money(x) for x in (self.principal, self.fees, self.interest))
        return Claim(principal, fees, interest, principal + fees + interest, round_money(self.paid),
                     round_money(self.credit))


def interest(principal: Decimal, start: date, end: date, table: RateTable, day_count: int = DAY_COUNT) -> Decimal:
    """Simple interest on a constant ``principal`` for the days in (start, end], UNROUNDED.

    Split at every row boundary of ``table`` (a percent-per-year table):
    ``sum(principal * rate / 100 * days / day_count)``.  0 when ``end <= start``.
    RateError ``rate-missing`` if a day of the span has no row.
    """
    principal = _amount(principal, "principal")
    if table.unit != PERCENT:
        raise ValueError(f"interest needs a table of yearly rates in percent; {table.name!r} is in {table.unit}")
    if isinstance(day_count, bool) or not isinstance(day_count, int) or day_count <= 0:
        raise ValueError(f"day_count must be a positive whole number of days, got {day_count!r}")
    if end <= start:
        return _ZERO
    with localcontext(_context()):
        total = _ZERO
        for first, last, row in table.periods(start + timedelta(days=1), end):
            days = (last - first).days + 1
            total += principal * row.value * days / (_HUNDRED * day_count)
        return +total


def ledger_on(day: date, *, principal: Decimal, due: date, fees: Sequence[tuple[date, Decimal]] = (),
              payments: Sequence[tuple[date, Decimal]] = (), table: RateTable | None,
              order: Sequence[str] = PARTS, day_count: int = DAY_COUNT) -> Ledger:
    """The unrounded state of the claim on ``day``; see :func:`claim_on`."""
    return _walk([day], principal=principal, due=due, fees=fees, payments=payments, table=table,
                 order=order, day_count=day_count)[0]


InterestFn = Callable[[Decimal, date, date], Decimal]


def _walk(days: Sequence[date], *, principal: Decimal, due: date, fees: Sequence[tuple[date, Decimal]],
          payments: Sequence[tuple[date, Decimal]], table: RateTable | None, order: Sequence[str],
          day_count: int, interest_fn: InterestFn | None = None) -> list[Ledger]:
    """The ledger on each of ``days`` (ascending), in one walk through the events.

    ``interest_fn(principal, start, end)`` gives the unrounded interest for the days in
    (start, end]; by default :func:`interest` on ``table`` (a caller with its own cache of
    rate-days passes its own).
    """
    if list(days) != sorted(days):
        raise ValueError("days must be in ascending order")
    if not days:
        return []
    principal = _amount(principal, "principal")
    order = tuple(order)
    if sorted(order) != sorted(PARTS):
        raise ValueError(f"order must name each of {', '.join(PARTS)} once, got {order!r}")
    if interest_fn is None and table is not None:
        interest_fn = lambda p, start, end: interest(p, start, end, table, day_count)  # noqa: E731
    events = ledger_events([(d, _amount(a, f"fee on {d}")) for d, a in fees],
                           [(d, _amount(a, f"payment on {d}")) for d, a in payments], days[-1])
    return [Ledger(*state) for state in ledger_states(days, principal, due, events, order, interest_fn)]


def ledger_events(fees: Sequence[tuple[Any, Decimal]], payments: Sequence[tuple[Any, Decimal]],
                  last: Any) -> list[tuple[Any, int, Decimal]]:
    """Fees (kind 0) and payments (kind 1) up to ``last`` in a fixed order that does not depend
    on the input's order: by date, fees before payments on the same day, then by amount."""
    events = [(d, 0, a) for d, a in fees if d <= last] + [(d, 1, a) for d, a in payments if d <= last]
    events.sort()
    return events


@lru_cache(maxsize=16)
def _pay_order(order: tuple[str, ...]) -> tuple[int, ...]:
    """An allocation order as indexes into [principal, fees, interest] (ledger_states, ledger_cents)."""
    return tuple(("principal", "fees", "interest").index(part) for part in order)


def ledger_states(days: Sequence[Any], principal: Decimal, due: Any, events: Sequence[tuple[Any, int, Decimal]],
                  order: Sequence[str], interest_fn: InterestFn | None) -> list[tuple[Decimal, ...]]:
    """The walk behind :func:`_walk` on checked input: for each of ``days`` (ascending), the
    unrounded (principal, fees, interest, paid, credit, fees_charged, interest_accrued).

    Days are dates or ordinals alike (only compared, and passed to ``interest_fn``), so the
    batch path walks ordinals without making dates.  Every Decimal operation is the one the
    module docstring describes, in the same order and the same 50-digit context, so each
    caller gets the same figures to the last digit."""
    pay_order = _pay_order(tuple(order))
    out: list[tuple[Decimal, ...]] = []
    with localcontext(_CONTEXT):
        owed = [principal, _ZERO, _ZERO]
        credit = paid = charged = accrued = _ZERO
        accrued_to = due  # interest has been added for every day up to and including this one
        i, n = 0, len(events)
        for day in days:
            while True:  # the events up to the day, then the day itself (kind -1)
                if i < n and events[i][0] <= day:
                    when, kind, amount = events[i]
                    i += 1
                else:
                    when, kind, amount = day, -1, _ZERO
                if interest_fn is not None and when > accrued_to and owed[0] > 0:
                    more = interest_fn(owed[0], accrued_to, when)
                    owed[2] += more
                    accrued += more
                if when > accrued_to:
                    accrued_to = when
                if kind < 0:
                    break
                if kind == 0:
                    charged += amount
                    used = min(credit, amount)  # a credit from an earlier overpayment pays a later fee
                    credit -= used
                    owed[1] += amount - used
                else:
                    paid += amount
                    left = amount
                    for part in pay_order:
                        take = min(left, owed[part])
                        owed[part] -= take
                        left -= take
                    credit += left
            out.append((owed[0], owed[1], owed[2], paid, credit, charged, accrued))
    return out


# The exact walk gives up (and its caller walks in Decimal) past this many fractional rescalings
# of the øre, or this many steps: see `ledger_cents` for why these bounds keep it exact.
_MOST_RESCALES = 3
_MOST_STEPS = 2_000


def ledger_cents(days: Sequence[int], principal: int, due: int, events: Sequence[tuple[int, int, int]],
                 order: Sequence[str], sums: tuple[int, list[int]] | None,
                 per: int) -> list[tuple[int, int, int] | None] | None:
    """:func:`ledger_states` in whole numbers, for the batch: for each of ``days`` (ordinals,
    ascending), the claim's (principal, fees, interest) in øre, each rounded half-up as
    :meth:`Ledger.claim` rounds it; None overall where that rounding is not decided here, and
    the caller walks in Decimal instead.

    Input amounts are whole øre (``events`` as ``ledger_events`` orders them, the amounts in
    øre).  ``sums`` are the interest table's running sums (``RateTable.day_sums``), None without
    a table: Σ rate × days over (start, end] in hundredths of a percent is one subtraction, and
    interest on P over a span is P × that / ``per`` (10 000 × day count).  From the first day
    whose interest needs a span the sums do not cover, each day's claim is None: there the
    Decimal walk raises rate-missing, and so it does for every later day (the principal that
    bears interest never grows, and the span only gets longer).

    Why the figures are Decimal's to the øre: every amount is kept as a whole number of
    1/scale øre, scale = per^k, so the walk is exact: interest that does not come out in
    whole units multiplies the scale by ``per`` (at most `_MOST_RESCALES` times).  The Decimal
    walk does the same operations rounded to 50 significant digits: on amounts below 10^18 øre
    each rounding is below 10^-31 øre, an interest step scales an earlier error by at most
    1 + rate × years (< 10^3), and its steps (min, subtraction, and interest that accrues only
    while principal is above zero, by an amount proportional to it) move with their inputs;
    over at most `_MOST_STEPS` steps its figures are within 10^-24 øre of the exact ones.  An
    exact figure that is not a half øre is at least 1/(2 scale) ≥ 10^-20 øre from one, so both
    round it the same way; one that is exactly half an øre (a tie) gives None: there the
    last Decimal digits decide, and only the Decimal walk has them."""
    if len(days) + len(events) > _MOST_STEPS:
        return None
    pay_order = _pay_order(tuple(order))
    first, running = sums if sums is not None else (0, None)
    size = 0 if running is None else len(running)
    scale, rescales = 1, 0
    p, f, i, credit = principal, 0, 0, 0  # owed principal, fees, interest; credit; in 1/scale øre
    accrued_to = due
    k, n = 0, len(events)
    out: list[tuple[int, int, int] | None] = []
    seen_p = seen_f = -1  # p and f change only with events: each is rounded once per change (in
    # these units: a rescale forgets them, as a value in new units may equal an old one)
    round_p = round_f = 0
    for day in days:
        while True:  # the events up to the day, then the day itself (kind -1)
            if k < n and events[k][0] <= day:
                when, kind, amount = events[k]
                k += 1
            else:
                when, kind = day, -1
            if when > accrued_to:
                if p > 0 and running is not None:
                    a, b = accrued_to + 1 - first, when - first + 1
                    if a < 0 or b >= size:  # no rate known for the span: this day and all later ones
                        return out + [None] * (len(days) - len(out))
                    more = p * (running[b] - running[a])
                    if more % per:  # not whole units: exact in units per times smaller
                        if rescales == _MOST_RESCALES:
                            return None
                        rescales += 1
                        scale *= per
                        p, f, i, credit = p * per, f * per, i * per, credit * per
                        seen_p = seen_f = -1  # the kept roundings were in the old units
                        i += more
                    else:
                        i += more // per
                accrued_to = when
            if kind < 0:
                break
            amount *= scale
            if kind == 0:  # a fee; a credit from an earlier overpayment pays it
                used = credit if credit < amount else amount
                credit -= used
                f += amount - used
            else:
                owed = [p, f, i]
                for part in pay_order:
                    value = owed[part]
                    take = value if value < amount else amount
                    owed[part] = value - take
                    amount -= take
                p, f, i = owed
                credit += amount
        if scale == 1:
            out.append((p, f, i))
            continue
        if p != seen_p:
            seen_p, (whole, rest) = p, divmod(p, scale)
            if 2 * rest == scale:
                return None  # a tie: Decimal's last digits decide
            round_p = whole + (2 * rest > scale)
        if f != seen_f:
            seen_f, (whole, rest) = f, divmod(f, scale)
            if 2 * rest == scale:
                return None
            round_f = whole + (2 * rest > scale)
        whole, rest = divmod(i, scale)
        if 2 * rest == scale:
            return None
        out.append((round_p, round_f, whole + (2 * rest > scale)))
    return out


def claim_on(day: date, *, principal: Decimal, due: date, fees: Sequence[tuple[date, Decimal]] = (),
             payments: Sequence[tuple[date, Decimal]] = (), table: RateTable | None,
             order: Sequence[str] = PARTS, day_count: int = DAY_COUNT) -> Claim:
    """What the debtor owes on ``day`` (see the module docstring for the rules).

    ``principal`` falls due on ``due`` and bears interest from the day after at
    the rates of ``table`` (no interest if ``table`` is None).  ``fees`` are
    (date, amount) charges, outstanding from their date; ``payments`` are
    (date, amount), each allocated on its date in ``order``.  Events after
    ``day`` are ignored.  Amounts are Decimals (or ints), never floats, never
    negative.
    """
    return ledger_on(day, principal=principal, due=due, fees=fees, payments=payments, table=table,
                     order=order, day_count=day_count).claim()


def claims_on(days: Sequence[date], *, principal: Decimal, due: date, fees: Sequence[tuple[date, Decimal]] = (),
              payments: Sequence[tuple[date, Decimal]] = (), table: RateTable | None,
              order: Sequence[str] = PARTS, day_count: int = DAY_COUNT,
              interest_fn: InterestFn | None = None) -> list[Claim]:
    """:func:`claim_on` for each of ``days`` (ascending), in one walk through the events:
    a schedule asks for the claim on every action's date, and replaying the ledger from the
    due date for each would repeat the same work."""
    return [ledger.claim() for ledger in _walk(days, principal=principal, due=due, fees=fees, payments=payments,
                                               table=table, order=order, day_count=day_count,
                                               interest_fn=interest_fn)]
