"""The batch (JSON Lines) path: a case in, its schedule out as one line of compact JSON, in bytes.

The line is byte for byte ``json.dumps(evaluate(plan, case, as_of).to_dict(), ensure_ascii=False,
separators=(",", ":"))`` encoded as UTF-8 (tests/test_speed_equivalence.py checks it), built
without the Action objects, Claim objects and dictionaries that form would make:

- each distinct action is serialised once per plan, without its claim, and kept encoded;
- a memoised schedule keeps, beside its actions, the parts of its claims that depend only on
  the due date and the actions (which are in the memo key): the rate-days to each action date,
  the fees charged by then, which dates the rate table does not cover;
- per case only what depends on its amount and payments is computed: interest in whole øre
  (without payments) or one exact walk through the ledger in fractions of an øre (with
  payments; `_money.ledger_cents`, the Decimal walk where an øre is a tie), and written out
  as digits, which need no escaping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import re
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring  # what json.dumps uses for a str when ensure_ascii is off
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ._compile import Plan
from ._evaluate import (
    MEMO_LIMIT,
    _actions,
    _rate_days_or_why,
    ledger_walks,
    rate_days_fn,
    reason_text,
)
from ._model import Case
from ._money import ledger_cents, ledger_events
from ._rates import RateError
from ._schedule import human_date, iso_date

_CENT = Decimal("0.01")
_NO_CLAIM = b',"claim":null,"claim_error":null}'
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))  # øre


def schedule_json(plan: Plan, case: Case, as_of: dt.date | None = None) -> str:
    """`json.dumps(evaluate(plan, case, as_of).to_dict())` in compact form."""
    return schedule_line(plan, case, as_of)[:-1].decode()


def schedule_line(plan: Plan, case: Case, as_of: dt.date | None = None) -> bytes:
    """The schedule of `case` as one line of compact JSON (UTF-8, ending in a newline)."""
    key, raw = _actions(plan, case, as_of)
    due = case.due_date.toordinal()
    basis = plan.lines.get(key)
    if basis is None:
        if len(plan.lines) >= MEMO_LIMIT:
            plan.lines.clear()
        basis = plan.lines[key] = _claim_basis(plan, due, raw)
    payments = [(e.date.toordinal(), e.amount) for e in case.events
                if e.type == "payment" and (as_of is None or e.date <= as_of)] if case.events else None
    pieces, unpaid, fees, groups, unknown, order = basis
    values = (_paid_claims(plan, case, due, fees, groups, unknown, order, payments) if payments
              else _unpaid_claims(plan, case, unpaid))
    head = plan.fragments.get(("head", as_of))
    if head is None:
        head = plan.fragments[("head", as_of)] = (
            b',"ruleset":' + plan.ruleset_json.encode() + b',"as_of":'
            + (b"null" if as_of is None else f'"{as_of.isoformat()}"'.encode()) + b',"actions":[')
    out = [b'{"case":', encode_basestring(case.id).encode(), head]
    out += [p if p.__class__ is bytes else values[p] for p in pieces]
    out.append(b"]}\n")
    return b"".join(out)


# ------------------------------------------------------------------ the collector

COLLECT_EVERY = 100_000  # lines between the batch's own collections of the young generations


@contextlib.contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """The garbage collector's automatic passes off for a batch, and a function that does a
    young-generation pass, to be called every `COLLECT_EVERY` lines; as it was afterwards.

    A case's objects (the line's dict, the case, the output pieces) form no reference cycles:
    reference counting frees them when the line is written (tests/test_batch_gc.py checks
    that a batch leaves nothing for the collector, for good lines and bad ones).  Yet the
    automatic passes ran some hundred times per 10,000 cases, and each full one walked every
    object the batch keeps (the memo's keys, the plan's caches), for nothing.  The young
    passes bound what a line that does make a cycle (an unusual error path, say) could hold
    on to.  They are rare because each walks every schedule the memo took in since the last
    one (hundreds of thousands of small tuples), and because the tenth young pass would make
    the next automatic pass after the batch a full one: every 10,000 lines they cost a tenth
    of a 100,000-case batch.  Left alone when the caller had switched the collector off."""
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield functools.partial(gc.collect, 1)
    finally:
        gc.enable()


# ------------------------------------------------------------------ reading a line

class LineDebtor(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    language: Annotated[str, Meta(pattern=r"^[a-z]{2}\Z")] | None = None
    kind: Literal["person", "organisation"] = "person"
    address: Annotated[str, Meta(max_length=500)] | None = None


class LineEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    type: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*\Z", max_length=64)]
    date: dt.date
    amount: Any = None  # the JSON text's str or int, made a Decimal by read_line
    note: Annotated[str, Meta(max_length=500)] | None = None


class _LineCreditor(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: Annotated[str, Meta(min_length=1, max_length=500)]
    address: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    organisation_number: Annotated[str, Meta(max_length=32)] | None = None
    account: Annotated[str, Meta(max_length=64)] | None = None


class LineCase(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A case read from a JSON line by `read_line`: the attributes of a `Case` that evaluation
    and the batch path read, with the same values the model would hold.  Its objects make no
    reference cycles, so the collector need not track them (gc=False)."""

    id: Annotated[str, Meta(min_length=1, max_length=200)]
    due_date: dt.date
    amount: Any  # the JSON text's str or int, made a Decimal by read_line
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}\Z")]
    debtor: LineDebtor | None = None
    creditor: _LineCreditor | None = None
    payment_reference: Annotated[str, Meta(max_length=64)] | None = None
    status_url: Annotated[str, Meta(max_length=500)] | None = None
    facts: dict[str, bool | None] = {}
    events: Annotated[list[LineEvent], Meta(max_length=10_000)] = []


_decode = msgspec.json.Decoder(LineCase).decode
# At most 18 digits, 2 of them decimals, no sign, exponent, blanks or leading zeros.
_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,2})?").fullmatch


def read_line(line: bytes | str) -> LineCase | None:
    """The case on a JSON line when it is plainly well-formed, without the pydantic models;
    None for anything else, which then goes through `Case.model_validate_json` (and its errors).

    What this accepts is a part of what the models accept, with the values they would give
    (tests/test_speed_equivalence.py): msgspec decodes and checks the line against `LineCase`,
    each field's length and pattern as the models have them, dates YYYY-MM-DD; amounts are
    plain decimal strings or whole numbers, facts true, false or null (the models read a string
    fact that looks like a number as a number).  Lines with a backslash escape are left to the
    models, which is also what keeps a pattern's end from matching before an escaped newline.
    msgspec refuses what json refuses here (NaN, Infinity, invalid UTF-8) and reads a duplicated
    key as json does (the last one counts)."""
    if (b"\\" if line.__class__ is bytes else "\\") in line:
        return None
    try:
        case = _decode(line)
    except msgspec.MsgspecError:
        return None
    amount = _amount(case.amount)
    if amount is None:
        return None
    case.amount = amount
    for event in case.events:
        if event.amount is not None:
            amount = _amount(event.amount)
            if amount is None:
                return None
            event.amount = amount
    return case


def _amount(value: Any) -> Decimal | None:
    if value.__class__ is str:
        if not _AMOUNT(value):
            return None
        amount = Decimal(value)
    elif value.__class__ is int and 0 < value < 10**16:  # 18 digits, 2 of them decimals
        amount = Decimal(value)
    else:
        return None
    return amount if amount else None


def _claim_basis(plan: Plan, due: int, raw: tuple[Any, ...]) -> tuple[Any, ...]:
    """What the lines of every case sharing a memoised schedule have in common: the actions as
    JSON, and the parts of their claims that depend only on the due date and the actions (which
    are in the memo key).  A plain tuple of plain values, which the garbage collector stops
    tracking, as in the memo:

    pieces   constant JSON, and where a claim goes the index of its date among the schedule's
             distinct action dates (ascending): the claims are computed once per date
    unpaid   per date, nothing paid: the claim's JSON, or (rate-days, fees in øre)
    fees     (date, amount, amount in øre) of each fee charged
    groups   the dates in the ledger's walks (see `_evaluate.ledger_groups`)
    unknown  per walk, each date's claim when the walk needs a rate no row has
    order    the walks' dates, one after the other, as indexes among the distinct dates

    Made once per memoised schedule, so for a batch whose cases seldom share one (disputes,
    payments in full, days of service) it is a good part of the cost.  All but the pieces
    depend only on the due date, the action dates and the fees, which such schedules mostly
    share with others (a payment in full skips actions but keeps their dates): that part is
    kept per plan on those three."""
    dates = sorted({a[2] for a in raw if a[2] is not None})
    charged = tuple([(a[2], a[6][0]) for a in raw if a[6] is not None and a[6][0] and a[1] == "planned"])
    key = ("money", due, tuple(dates), charged)
    money = plan.lines.get(key)  # type: ignore[call-overload]
    if money is None:
        money = plan.lines[key] = _money_basis(plan, due, dates, charged)  # type: ignore[index]
    return (_template(plan, raw, money[0]), *money[1:])


def _money_basis(plan: Plan, due: int, dates: list[int], charged: tuple[tuple[int, str], ...]) -> tuple[Any, ...]:
    """(index of each date, unpaid, fees, groups, unknown, order) of `_claim_basis`."""
    index = {o: i for i, o in enumerate(dates)}
    cells = _cells(plan, due, dates)
    fees = tuple([(o, _fee_amount(text), _fee_cents(text)) for o, text in charged])
    if fees:  # fees charged by each date, in øre: a running sum over the fees in date order
        by_date = sorted([(o, cents) for o, _, cents in fees])
        unpaid: list[Any] = []
        owed, j, count = 0, 0, len(by_date)
        for o, cell in zip(dates, cells):
            while j < count and by_date[j][0] <= o:
                owed += by_date[j][1]
                j += 1
            unpaid.append(cell if cell.__class__ is bytes else (cell, owed))
    else:
        unpaid = [cell if cell.__class__ is bytes else (cell, 0) for cell in cells]
    # The walks of `_evaluate.ledger_groups`: the dates the rate table covers, then the others.
    covered = tuple([o for o, cell in zip(dates, cells) if cell.__class__ is not bytes])
    if len(covered) == len(dates):
        groups: tuple[tuple[int, ...], ...] = (covered,) if covered else ()
        unknown: tuple[tuple[bytes, ...], ...] = ((_NO_CLAIM,) * len(covered),) if covered else ()
        order: tuple[int, ...] = tuple(range(len(dates)))
    else:
        rest = tuple([o for o, cell in zip(dates, cells) if cell.__class__ is bytes])
        groups = tuple(group for group in (covered, rest) if group)
        unknown = tuple(tuple([_NO_CLAIM if cells[index[o]].__class__ is not bytes else cells[index[o]]
                               for o in group]) for group in groups)
        order = tuple([index[o] for group in groups for o in group])
    return (index, tuple(unpaid), fees, groups, unknown, order)


@functools.lru_cache(maxsize=4096)
def _fee_amount(text: str) -> Decimal:
    return Decimal(text)


@functools.lru_cache(maxsize=4096)
def _fee_cents(text: str) -> int:
    return int(Decimal(text) * 100)  # whole øre: a fee is rounded to the øre or given with two decimals


def _cells(plan: Plan, due: int, dates: list[int]) -> list[int | bytes]:
    """Per date, `_rate_days_or_why(plan, due, o)`: the rate-days as an int, or the claim's JSON
    when the rate table does not cover the date; the covered ones from the table's running
    sums without a call each."""
    if plan.interest is None:
        return [0] * len(dates)
    sums = plan.interest.day_sums()
    if sums is None:
        return [_cell(_rate_days_or_why(plan, due, o)) for o in dates]
    first, running = sums
    start, size = due + 1 - first, len(running)
    last = first + size - 2  # the last day the rows cover
    # For a date they do not cover, `_rate_days_or_why` names the first day after the rows or
    # the day after the due date, depending only on the due date and on which side of the last
    # row the date is: one message per side, asked for once.
    missing: list[int | bytes | None] = [None, None]
    out: list[int | bytes] = []
    for o in dates:
        if o <= due:
            out.append(0)
        elif start >= 0 and o - first + 1 < size:
            out.append(running[o - first + 1] - running[start])
        else:
            side = o > last
            cell = missing[side]
            if cell is None:
                cell = missing[side] = _cell(_rate_days_or_why(plan, due, o))
            out.append(cell)
    return out


def _cell(found: tuple[int | None, str | None]) -> int | bytes:
    rate_days, why = found
    return _claim_error(why) if why is not None else rate_days  # type: ignore[return-value]


def _template(plan: Plan, raw: tuple[Any, ...], index: dict[int, int]) -> tuple[bytes | int, ...]:
    """The schedule's actions as constant bytes and, where a claim depends on the case, the
    index of its date among the distinct dates (a value computed per case); neighbouring
    constants joined into one.  Each distinct action is serialised once per plan, without its
    claim (which belongs to the case) and closing brace, and kept with and without the comma
    that separates it from the one before."""
    fragments = plan.fragments
    if len(fragments) >= MEMO_LIMIT:
        fragments.clear()
    out: list[bytes | int] = []
    pending: list[bytes] = []
    for n, one in enumerate(raw):
        found = fragments.get(one)
        if found is None:
            text = _action_json(plan, one)
            found = fragments[one] = (text, b"," + text)
        pending.append(found[1] if n else found[0])
        o = one[2]
        if o is None:
            pending.append(_NO_CLAIM)
        else:
            out += [b"".join(pending), index[o]]
            pending = []
    out.append(b"".join(pending))
    return tuple(out)


def _action_json(plan: Plan, action: tuple[Any, ...]) -> bytes:
    """`Action.to_dict()` as compact JSON, without "claim", "claim_error" and the closing brace.

    An action skipped because the case was paid in full differs from the same skip on another
    day of payment only at the end of its reason ("...; skipped: paid in full on Thu 2 Apr
    2026", see `_evaluate._why` and `_why_blocked`): such actions are written once per plan
    around that day, as every case paid in full on its own day would otherwise write its
    skipped actions anew."""
    why = action[5]
    if why[0] == "at":
        if why[5] != "paid":
            return _written(plan, action)
        at = 4
    elif len(why) == 4:
        at = 3
    else:
        return _written(plan, action)
    paid = human_date(why[at]).encode()
    generic = ("paid", *action[:5], (*why[:at], None, *why[at + 1:]), action[6])
    around = plan.fragments.get(generic)
    if around is not None:
        return around[0] + paid + around[1]
    text = _written(plan, action)
    cut = text.rindex(b"paid in full on " + paid + b'","title":') + len(b"paid in full on ")
    plan.fragments[generic] = (text[:cut], text[cut + len(paid):])
    return text


def _written(plan: Plan, action: tuple[Any, ...]) -> bytes:
    """`Action.to_dict()` as compact JSON, without "claim", "claim_error" and the closing brace:
    the step's own fields are written once per plan, the action's between them."""
    idx, status, o, deadline, occurrence, _, fee = action
    step = plan.fragments.get(("step", idx))
    if step is None:
        sp = plan.listed[idx]
        step = plan.fragments[("step", idx)] = (
            '{"step":' + _string(sp.id) + ',"action":' + _string(sp.action) + ',"date":',
            ',"channels":' + json.dumps(list(sp.channels), ensure_ascii=False, separators=(",", ":"))
            + ',"recipient":' + _string(sp.recipient) + ',"deadline":',
            ',"legal_basis":' + _string(sp.legal_basis) + ',"reason":',
            ',"title":' + _string(sp.title) + ',"occurrence":',
        )
    return "".join((
        step[0], "null" if o is None else f'"{iso_date(o)}"', ',"status":', _string(status),
        step[1], "null" if deadline is None else f'"{iso_date(deadline)}"',
        step[2], _string(reason_text(plan, action)),
        step[3], "null" if occurrence is None else str(occurrence),
        ',"fee":', "null" if fee is None or fee[0] is None else _string(str(Decimal(fee[0]))),
    )).encode()


def _string(value: str | None) -> str:
    """A string (or None) as json.dumps(value, ensure_ascii=False) writes it."""
    return "null" if value is None else encode_basestring(value)


def _unpaid_claims(plan: Plan, case: Case, unpaid: tuple[Any, ...]) -> list[bytes]:
    """The claim on each action date of a case nothing has been paid on, as
    `_evaluate._unpaid_cents` has it: interest = amount × Σ(rate × days) / (10 000 × day_count)
    in øre, rounded half-up once."""
    cents = int(case.amount * 100)
    twice, den = 2 * cents, 10_000 * plan.day_count
    values = []
    for slot in unpaid:
        if slot.__class__ is bytes:
            values.append(slot)
            continue
        rate_days, fee = slot
        values.append(_claim_json(cents, fee, (twice * rate_days + den) // (2 * den)))
    return values


def _claim_json(principal: int, fees: int, interest: int) -> bytes:
    """An action's claim and claim_error in JSON from its parts in øre: Ledger.claim()'s figures,
    the total their sum."""
    total = principal + fees + interest
    return (f',"claim":{{"principal":"{principal // 100}.{_TWO_DIGITS[principal % 100]}","fees":"'
            f'{fees // 100}.{_TWO_DIGITS[fees % 100]}","interest":"{interest // 100}.{_TWO_DIGITS[interest % 100]}",'
            f'"total":"{total // 100}.{_TWO_DIGITS[total % 100]}"}},"claim_error":null}}').encode()


def _paid_claims(plan: Plan, case: Case, due: int, fees: tuple[tuple[int, Decimal, int], ...],
                 groups: tuple[tuple[int, ...], ...], unknown: tuple[tuple[bytes, ...], ...], order: tuple[int, ...],
                 payments: list[tuple[int, Decimal]]) -> list[bytes]:
    """The claim on each action date of a case with payments: one walk through its ledger per
    group of dates, in whole numbers (`_money.ledger_cents`), or in Decimal (`_money.ledger_states`,
    the arithmetic of `claim_on`) where that walk cannot decide an øre or an amount is not in
    whole øre."""
    found = _paid_claims_in_cents(plan, case, due, fees, groups, unknown, payments)
    if found is None:
        found = _paid_claims_in_decimal(plan, case, due, fees, groups, unknown, payments)
    values: list[bytes] = [b""] * len(found)
    for i, value in zip(order, found):
        values[i] = value
    return values


def _paid_claims_in_cents(plan: Plan, case: Case, due: int, fees: tuple[tuple[int, Decimal, int], ...],
                          groups: tuple[tuple[int, ...], ...], unknown: tuple[tuple[bytes, ...], ...],
                          payments: list[tuple[int, Decimal]]) -> list[bytes] | None:
    cents = _cents(case.amount)
    paid = [(o, _cents(amount)) for o, amount in payments]
    if cents is None or any(c is None for _, c in paid):
        return None
    charged = [(o, c) for o, _, c in fees]
    rate_days, per = rate_days_fn(plan), 10_000 * plan.day_count
    found: list[bytes] = []
    for group, errors in zip(groups, unknown):
        try:
            states = ledger_cents(group, cents, due, ledger_events(charged, paid, group[-1]),  # type: ignore[arg-type]
                                  plan.allocation, rate_days, per)
        except RateError:
            found += errors
            continue
        if states is None:
            return None
        found += [_claim_json(*state) for state in states]
    return found


def _cents(amount: Decimal) -> int | None:
    """An amount in whole øre, or None when it has a fraction of one."""
    cents = amount * 100
    whole = int(cents)
    return whole if whole == cents else None


def _paid_claims_in_decimal(plan: Plan, case: Case, due: int, fees: tuple[tuple[int, Decimal, int], ...],
                            groups: tuple[tuple[int, ...], ...], unknown: tuple[tuple[bytes, ...], ...],
                            payments: list[tuple[int, Decimal]]) -> list[bytes]:
    found: list[bytes] = []
    charged = [(o, amount) for o, amount, _ in fees]
    for states, errors in zip(ledger_walks(plan, case.amount, due, charged, payments, groups), unknown):
        if states is None:
            found += errors
            continue
        for state in states:
            # Ledger.claim(): each part rounded half-up to the øre, the total their sum.
            principal = state[0].quantize(_CENT, rounding=ROUND_HALF_UP)
            owed_fees = state[1].quantize(_CENT, rounding=ROUND_HALF_UP)
            interest = state[2].quantize(_CENT, rounding=ROUND_HALF_UP)
            found.append(f',"claim":{{"principal":"{principal}","fees":"{owed_fees}","interest":"{interest}",'
                         f'"total":"{principal + owed_fees + interest}"}},"claim_error":null}}'.encode())
    return found


@functools.lru_cache(maxsize=1024)
def _claim_error(why: str) -> bytes:
    return b',"claim":null,"claim_error":' + json.dumps(why, ensure_ascii=False).encode() + b"}"
