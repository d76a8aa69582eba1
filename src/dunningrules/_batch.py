"""The batch (JSON Lines) path: a case in, its schedule out as one line of compact JSON, in bytes.

The line is byte for byte ``json.dumps(evaluate(plan, case, as_of).to_dict(), ensure_ascii=False,
separators=(",", ":"))`` encoded as UTF-8 (tests/test_speed_equivalence.py checks it), built
without the Action objects, Claim objects and dictionaries that form would make:

- each distinct action is serialised once per plan, without its claim, and kept encoded;
- a memoised schedule becomes, once, its line as a bytes %-format (the case id and the claim
  of each dated action left open), with the parts of its claims that depend only on the due
  date and the actions: the rate-days to each action date, the fees charged by then, which
  dates the rate table does not cover (`_line_parts`);
- per case only what depends on its amount and payments is computed: interest in whole øre
  (without payments) or one exact walk through the ledger in fractions of an øre (with
  payments; `_money.ledger_cents`, the Decimal walk where an øre is a tie), written out as
  digits, which need no escaping, and put into the format.

Reading a line (`read_line`) is the other half: msgspec decodes and checks it in one call.
"""

from __future__ import annotations

import contextlib
import bisect
import datetime as dt
import functools
import gc
import json
import operator
import re
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring  # what json.dumps uses for a str when ensure_ascii is off
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from ._compile import Plan
from ._evaluate import (MEMO_LIMIT, OPEN, _actions, _rate_days_or_why, claims, paid_at, pause_words, quiet_events,
                        reason_text, why_head)
from ._model import CURRENCY_PATTERN, EVENT_TYPE_PATTERN, LANGUAGE_PATTERN, Case
from ._money import ledger_cents, ledger_events
from ._schedule import human_date, iso_date


def schedule_json(plan: Plan, case: Case, as_of: dt.date | None = None) -> str:
    """`json.dumps(evaluate(plan, case, as_of).to_dict())` in compact form."""
    return schedule_line(plan, case, as_of)[:-1].decode()


def schedule_line(plan: Plan, case: Case | LineCase, as_of: dt.date | None = None) -> bytes:
    """The schedule of `case` as one line of compact JSON (UTF-8, ending in a newline)."""
    lines = plan.lines
    shape = _due_alone(plan, case, as_of)
    found = None if shape is None else lines.get(shape)
    if found is not None:  # the schedule of the case's due date alone, and its line
        raw, line = found
    else:
        key, raw = _actions(plan, case, as_of)
        # Kept by the identity of the memoised schedule (the entry holds it, so no other object can
        # have its id meanwhile): found without hashing the memo key a second time.
        found = lines.get(id(raw))
        if found is not None and found[0] is raw and found[1] == as_of:
            line = found[2]
        else:
            if len(lines) >= MEMO_LIMIT:
                lines.clear()
            line = _paid_in_full_line(plan, key, raw, as_of) if key[1] is not None and not key[2] else None
            if line is None:
                chunks, paid, rest = _line_parts(plan, key[0], raw, as_of, key[1] is not None)
                line = (chunks[0] if paid is None else human_date(paid).encode().join(chunks), *rest)
            lines[id(raw)] = (raw, as_of, line)
        if shape is not None:
            lines[shape] = (raw, line)
    fmt, pick, cells = line[0], line[1], line[2]
    # The id between its quotes (the format has them).  One from read_line needs no escaping: its
    # line had no backslash, so no quote or control character; any other character is written as
    # it is (ensure_ascii off).
    cid = case.id.encode() if case.__class__ is LineCase else encode_basestring(case.id)[1:-1].encode()
    if not cells:  # no action has a date: no claim to write
        return fmt % cid  # type: ignore[no-any-return]
    if case.events:
        # Amounts in whole øre: a model or read_line gives at most two decimals.
        payments = [(e.date.toordinal(), int(e.amount * 100)) for e in case.events  # type: ignore[operator]
                    if e.type == "payment" and (as_of is None or e.date <= as_of)]
        if payments:
            return _paid_line(plan, line, case, cid, payments, raw, as_of)
    values = line[6].copy()  # [id, then per date its claim: claim_error where no rate is known]
    values[0] = cid
    cents = int(case.amount * 100)  # whole: an amount has at most two decimals
    per = line[5]
    twice, den = 2 * cents, 2 * per
    principal = b"%d.%02d" % divmod(cents, 100)
    for j, rate_days, fees, fees_text in line[7]:
        # interest = amount × Σ(rate × days) / (10 000 × day count), in øre, rounded half-up once
        interest = (twice * rate_days + per) // den
        total = cents + fees + interest
        values[j] = _UNPAID_CLAIM % (principal, fees_text, interest // 100, interest % 100, total // 100,
                                     total % 100)
    return fmt % pick(values)  # type: ignore[no-any-return]


def _due_alone(plan: Plan, case: Case | LineCase, as_of: dt.date | None) -> tuple[dt.date, str] | None:
    """(due date, currency) when the case's schedule is its due date's alone, which its line is
    then kept by; else None.  So it is when the plan has a default for every fact and reads no
    debtor attribute and no amount, and the case gives no facts and nothing has happened to it that its
    schedule reads (`_evaluate.quiet_events`).  The first case of a due date and currency takes
    the whole path, which checks them."""
    if (as_of is not None or plan.defaults is None or plan.debtor_attrs or plan.reads_money or case.facts
            or not quiet_events(plan, case, None)):
        return None
    return (case.due_date, case.currency)


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
    language: str | None = None  # [a-z]{2}: checked by read_line
    kind: Literal["person", "organisation"] | UnsetType = UNSET  # "person" once read_line has read it
    address: Annotated[str, Meta(max_length=500)] | None = None


# An amount as plain digits: at most 18, 2 of them decimals, no sign, exponent, blanks or leading
# zeros (`_PLAIN_AMOUNT`, checked by read_line); or a whole number of at most 16 digits.  read_line
# makes it a Decimal and refuses zero.
_Amount = str | Annotated[int, Meta(gt=0, lt=10**16)]
# Called by read_line rather than given to msgspec as the str's pattern: msgspec's check of a
# pattern in a union cost twice the call (a twentieth of reading a line with a payment).
_PLAIN_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,2})?").fullmatch


class LineEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    type: Annotated[str, Meta(max_length=64)]  # [a-z][a-z0-9_]*: checked by read_line
    date: dt.date
    amount: _Amount | None = None  # a Decimal once read_line has read it
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
    amount: _Amount  # a Decimal once read_line has read it
    currency: str  # [A-Z]{3}: checked by read_line
    debtor: LineDebtor | None = None
    creditor: _LineCreditor | None = None
    payment_reference: Annotated[str, Meta(max_length=64)] | None = None
    status_url: Annotated[str, Meta(max_length=500)] | None = None
    # UNSET when not given (read_line counts the keys a line has), then {} and []
    facts: dict[str, bool | None] | UnsetType = UNSET
    events: Annotated[list[LineEvent], Meta(max_length=10_000)] | UnsetType = UNSET


_decode = msgspec.json.Decoder(LineCase).decode

# The codes and event types of a batch are a handful of strings, repeated on every line: each
# is checked against the models' pattern once and then found in a set, where msgspec would call
# the pattern on every line (a third of reading one).  Each set stops growing at `_MOST_KEPT`.
_CURRENCY = re.compile(CURRENCY_PATTERN).fullmatch
_LANGUAGE = re.compile(LANGUAGE_PATTERN).fullmatch
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN).fullmatch
_MOST_KEPT = 1_000
_currencies: set[str] = set()
_languages: set[str] = set()
_event_types: set[str] = set()


def _newly_well_formed(value: str, kept: set[str], pattern: Callable[[str], Any]) -> bool:
    """Whether a value not in `kept` matches its pattern; kept if so (read_line looks in `kept`
    first, without a call)."""
    if pattern(value) is None:
        return False
    if len(kept) < _MOST_KEPT:
        kept.add(value)
    return True


def read_line(line: bytes | str) -> LineCase | None:
    """The case on a JSON line when it is plainly well-formed, without the pydantic models;
    None for anything else, which then goes through `Case.model_validate_json` (and its errors).

    What this accepts is a part of what the models accept, with the values they would give
    (tests/test_speed_equivalence.py): msgspec decodes and checks the line against `LineCase`,
    each field's length and pattern as the models have them (currency, language and event
    type here, see `_newly_well_formed`), dates YYYY-MM-DD; amounts are plain decimal strings or
    whole numbers, facts true, false or null (the models read a string fact that looks like a
    number as a number).  Lines with a backslash escape are left to the models, so that a case
    id read here is written back without escaping (see schedule_line).  msgspec refuses what
    json refuses here (NaN, Infinity, invalid UTF-8); a line that may give a key twice (which
    msgspec reads as json does, the last one counting) is left to the models' path, which
    refuses it (see the count of keys below)."""
    text = line.__class__ is not bytes
    if ("\\" in line) if text else (92 in line):  # 92: a backslash (a byte found by memchr)
        return None
    try:
        case = _decode(line)
    except (msgspec.MsgspecError, UnicodeEncodeError):  # the latter: a str with lone surrogates
        return None
    # The keys the case was given, counted as it is checked: each key of a JSON text is followed
    # by one colon, so a line with as many colons gives no key twice (nor has a colon in a string).
    # One with more may have a colon in a string: with no escaped quote every `":` ends a key, so
    # then those are counted.  A field given as null counts as not given, a key with blanks before
    # its colon as no key: either only sends the line to the models' path, which knows which fields
    # were given (so do the fields msgspec leaves UNSET when not given, here given their defaults).
    keys = 4 + (case.payment_reference is not None) + (case.status_url is not None)
    if case.currency not in _currencies and not _newly_well_formed(case.currency, _currencies, _CURRENCY):
        return None
    debtor = case.debtor
    if debtor is not None:
        language = debtor.language
        if language is not None:
            if language not in _languages and not _newly_well_formed(language, _languages, _LANGUAGE):
                return None
            keys += 1
        keys += 2 + (debtor.address is not None)
        if debtor.kind is UNSET:
            debtor.kind = "person"
        else:
            keys += 1
    creditor = case.creditor
    if creditor is not None:
        keys += 2 + (creditor.address is not None) + (creditor.organisation_number is not None) + (
            creditor.account is not None)
    amount = case.amount = _amount(case.amount)  # type: ignore[assignment]
    if amount is None:
        return None
    facts = case.facts
    if facts is UNSET:
        case.facts = {}
    else:
        keys += 1 + len(facts)  # type: ignore[arg-type]
    events = case.events
    if events is UNSET:
        case.events = []
    else:
        keys += 1 + 2 * len(events)  # type: ignore[arg-type]
        for event in events:  # type: ignore[union-attr]
            if event.type not in _event_types and not _newly_well_formed(event.type, _event_types, _EVENT_TYPE):
                return None
            if event.amount is not None:
                amount = event.amount = _amount(event.amount)  # type: ignore[assignment]
                if amount is None:
                    return None
                keys += 1
            if event.note is not None:
                keys += 1
    colons = line.count(":" if text else b":")  # type: ignore[arg-type]
    if colons != keys and (colons < keys or line.count('":' if text else b'":') != keys):  # type: ignore[arg-type]
        return None  # a key may be given twice: the models' path says so, or reads the line
    return case


def _amount(value: str | int) -> Decimal | None:
    """An amount as the models read it (Decimal reads a checked one exactly as they do); None for
    one they would refuse: text not in plain form, or zero."""
    if value.__class__ is str and _PLAIN_AMOUNT(value) is None:  # type: ignore[arg-type]
        return None
    return Decimal(value) or None


# ------------------------------------------------------------------ writing a schedule

_NO_CLAIM = b',"claim":null,"claim_error":null}'
_UNPAID_CLAIM = b',"claim":{"principal":"%s","fees":"%s","interest":"%d.%02d","total":"%d.%02d"},"claim_error":null}'
_CLAIM = (b',"claim":{"principal":"%d.%02d","fees":"%d.%02d","interest":"%d.%02d","total":"%d.%02d"},'
          b'"claim_error":null}')


def _line_parts(plan: Plan, due: int, raw: tuple[Any, ...], as_of: dt.date | None, paid_in_full: bool
                ) -> tuple[tuple[bytes, ...], int | None, tuple[Any, ...]]:
    """What the lines of every case sharing a memoised schedule have in common, made once:
    (chunks, paid, basis).  The line's bytes %-format is the chunks joined by the day the claim
    was paid in full (`paid`, written as in reasons; one chunk and None when no action says so,
    as none can when the schedule was not `paid_in_full`).  The basis:

    0 pick    the arguments of the format from [id, claim on each distinct action date...]
    1 cells   per distinct action date (ascending): (rate-days since the due date, or the claim's
              JSON when no rate covers the date; fees charged by then in øre; those fees as text)
    2 dates   the distinct action dates
    3 walk    (the fees charged as (date, øre) in date order, whether the walk in whole øre can
              serve: see `_paid_line`)
    4 per     10 000 × day count: rate-days in hundredths of a percent per unit of interest
    5 unpaid  the values of a case nothing is paid on, but the id and the claims of `covered`:
              [None, then per date None, or its claim_error where no rate covers it]
    6 covered per date a rate covers: (its place in unpaid, its cell)
    7 sums    the interest table's running sums (`RateTable.day_sums`), or None

    A line (see `schedule_line`) is the format, then the basis.  Each distinct action is
    serialised once per plan, without its claim (which belongs to the case) and closing brace;
    what depends only on the due date, the action dates and the fees is kept per plan on those
    three, which schedules that differ by a payment in full, a dispute or an event mostly share."""
    chunks: list[bytes] = []
    parts: list[bytes] = [b'{"case":"%s"', _head(plan, as_of)]
    slots: list[int] = [0]
    dates: list[int] = []
    charged: list[tuple[int, str]] = []
    paid = None
    by_id = plan.fragments_by_id
    if len(by_id) >= MEMO_LIMIT:
        by_id.clear()
    last = None
    for n, action in enumerate(raw):
        at = paid_at(action) if paid_in_full else None
        if at is not None:  # the line is cut where this action's reason names the day paid in full
            paid = action[5][at]
            prefix, suffix = _around(plan, action, at)
            parts.append(b"," + prefix if n else prefix)
            chunks.append(b"".join(parts))
            parts = [suffix]
        else:
            # The entry holds the action, so no other object can have its id while it is kept.
            found = by_id.get(id(action))
            if found is not None and found[0] is action:
                parts.append(found[1][1] if n else found[1][0])
            elif action[5][0] == "at" and action[5][3] is not None:  # its reason names a dispute pause
                parts.append(_paused(plan, action, n > 0))
            else:
                found = _fragments(plan, action)
                by_id[id(action)] = (action, found)
                parts.append(found[1] if n else found[0])
        o = action[2]
        if o is None:
            parts.append(_NO_CLAIM)
            continue
        # Evaluation lists actions in date order (those without a date last): each date that
        # differs from the one before is the next distinct date.
        if o != last:
            dates.append(o)
            last = o
        parts.append(b"%s")
        slots.append(len(dates))
        fee = action[6]
        if fee is not None and fee[0] and action[1] == "planned":
            charged.append((o, fee[0]))
    parts.append(b"]}\n")
    chunks.append(b"".join(parts))
    distinct = tuple(dates)
    money_key = ("money", due, distinct, tuple(charged))
    money = plan.lines.get(money_key)  # type: ignore[call-overload]
    if money is None:
        money = plan.lines[money_key] = _money_basis(plan, due, distinct, charged)  # type: ignore[index]
    cells, walk, unpaid, covered = money
    return tuple(chunks), paid, (_picker(slots), cells, distinct, walk, 10_000 * plan.day_count, unpaid, covered,
                                 None if plan.interest is None else plan.interest.day_sums())


# A schedule paid in full, without dispute pauses or waiting actions, is the same for every day of
# payment that falls between the same two of its action dates, but for that day, written in the
# reasons of the actions it skipped (`_evaluate._paid_in_full_later` says why): such schedules
# share their line's parts, cut where that day goes.

def _paid_in_full_line(plan: Plan, key: tuple[Any, ...], raw: tuple[Any, ...],
                       as_of: dt.date | None) -> tuple[Any, ...] | None:
    """The line of a schedule paid in full (on key[1]) without pauses, from the parts it shares
    with the schedules paid on other days alike; None when it has a waiting action."""
    if any(a[1] == "waiting" for a in raw):
        return None
    paid = key[1]
    # Distinct, ascending: evaluation lists actions in date order (those without a date last).
    dates = tuple(dict.fromkeys([a[2] for a in raw if a[2] is not None]))
    family = ("paid in full", key[0], *key[3:], as_of, dates, bisect.bisect_left(dates, paid))
    found = plan.lines.get(family)  # type: ignore[call-overload]
    if found is None:
        chunks, _, basis = _line_parts(plan, key[0], raw, as_of, True)
        found = plan.lines[family] = (chunks, basis)  # type: ignore[index]
    return (human_date(paid).encode().join(found[0]), *found[1])


def _around(plan: Plan, action: tuple[Any, ...], at: int) -> tuple[bytes, bytes]:
    """The JSON of an action skipped because the claim was paid in full (as `_fragments` has
    it), before and after that day in its reason: one per plan for every day of payment."""
    why = action[5]
    generic = ("paid", *action[:5], (*why[:at], None, *why[at + 1:]), action[6])
    found = plan.fragments.get(generic)
    if found is None:
        paid = human_date(why[at]).encode()
        text = _written(plan, action)
        # The first "paid in full on DAY" of the reason (the step's title, after it, is its own).
        cut = text.index(b"paid in full on " + paid, text.index(b'"reason":"')) + len(b"paid in full on ")
        found = plan.fragments[generic] = (text[:cut].replace(b"%", b"%%"),
                                           text[cut + len(paid):].replace(b"%", b"%%"))
    return found  # type: ignore[no-any-return]


def _fragments(plan: Plan, action: tuple[Any, ...]) -> tuple[bytes, bytes]:
    """An action's JSON without its claim and closing brace, %-escaped for a line's format,
    without and with the comma before it; once per distinct action."""
    fragments = plan.fragments
    found = fragments.get(action)
    if found is None:
        if len(fragments) >= MEMO_LIMIT:
            fragments.clear()
        text = _written(plan, action).replace(b"%", b"%%")
        found = fragments[action] = (text, b"," + text)
    return found  # type: ignore[no-any-return]


# What `_paused` writes in place of a reason's head and a pause's words the first time: NULs, which
# no date or step text has (or the action is not made so) and JSON escapes, so that each is found
# in the action's JSON, exactly once, without parsing it.
_GIVEN = {"head": "\x00head\x00", "words": "\x00words\x00"}
_HEAD_JSON, _WORDS_JSON = (encode_basestring(_GIVEN[part])[1:-1].encode() for part in ("head", "words"))


def _paused(plan: Plan, action: tuple[Any, ...], comma: bool) -> bytes:
    """The JSON of an action whose reason names a dispute pause, as `_fragments` has it (with the
    comma before it when `comma`).  Such an action is seldom another case's too: each dispute has
    its days, and each due date its own.  Yet its JSON is that of any action alike with the
    same day moved to after the pause, but for how its reason begins (`_evaluate.why_head`: the
    step's date before the pause, which every schedule of the due date shares) and the words
    naming the pause's days (`_evaluate.pause_words`): so it is written once per plan around
    those two, and each is made once per head or put in per action."""
    why = action[5]
    _, raw, rolled, pause, *rest = why  # rest: paid, outcome, repeats (and a max/min anchor's parts)
    repeats, parts = why[6], why[7] if len(why) > 7 else None
    end = pause[1]
    moved = None if end == OPEN else plan.calendar.roll_ordinal(end + 1, "following")
    generic = ("paused", *action[:5], end == OPEN, moved, *rest, action[6])
    fragments = plan.fragments
    if len(fragments) >= MEMO_LIMIT:
        fragments.clear()
    found = fragments.get(generic)
    if found is None:
        text = _written(plan, action, _GIVEN).replace(b"%", b"%%")
        cut = text.split(_HEAD_JSON)
        if len(cut) != 2 or cut[1].count(_WORDS_JSON) != 1:  # the step's own text holds them: no cut
            return _fragments(plan, action)[comma]
        between, after = cut[1].split(_WORDS_JSON)
        found = fragments[generic] = (cut[0], b"," + cut[0], between, after)
    head_key = ("head", action[0], raw, rolled, repeats, parts)
    head = fragments.get(head_key)
    if head is None:
        sp = plan.listed[action[0]]
        head = fragments[head_key] = _string(why_head(sp, plan.calendar, raw, rolled, repeats, parts))[1:-1].encode(
            ).replace(b"%", b"%%")
    # A date's words are letters, digits, blanks and parentheses: nothing to escape.
    return found[comma] + head + found[2] + pause_words(pause, rest[1]).encode() + found[3]  # type: ignore[no-any-return]


def _picker(slots: list[int]) -> Callable[[list[bytes]], tuple[bytes, ...]]:
    """The arguments of a line's %-format, in order, from its values (one C call per case)."""
    return operator.itemgetter(*slots) if len(slots) > 1 else lambda values: (values[0],)


def _head(plan: Plan, as_of: dt.date | None) -> bytes:
    """What follows the case id: the ruleset, as_of and the opening of the actions."""
    head = plan.fragments.get(("head", as_of))
    if head is None:
        head = plan.fragments[("head", as_of)] = (
            b',"ruleset":' + plan.ruleset_json.encode().replace(b"%", b"%%") + b',"as_of":'
            + (b"null" if as_of is None else f'"{as_of.isoformat()}"'.encode()) + b',"actions":[')
    return head  # type: ignore[no-any-return]


def _money_basis(plan: Plan, due: int, dates: tuple[int, ...], charged: list[tuple[int, str]]) -> tuple[Any, ...]:
    """(cells, walk, unpaid, covered) of `_line_parts`.

    A cell's rate-days are `_rate_days_or_why(plan, due, o)`: from the table's running sums
    without a call each; for a date they do not cover, the claim's JSON with its message, which
    names the first day after the rows or the day after the due date depending only on the due
    date and on which side of the last row the date is (kept per plan on those two)."""
    fees = sorted([(o, _fee_cents(text)) for o, text in charged])
    interest = plan.interest
    sums = None if interest is None else interest.day_sums()
    if sums is not None:
        first, running = sums
        start, size = due + 1 - first, len(running)
        last = first + size - 2  # the last day the rows cover
    cells: list[tuple[int | bytes, int, bytes]] = []
    owed, j, count = 0, 0, len(fees)
    for o in dates:
        while j < count and fees[j][0] <= o:  # a running sum over the fees in date order
            owed += fees[j][1]
            j += 1
        if interest is None or o <= due:
            rate_days: int | bytes = 0
        elif sums is None:  # rows the running sums cannot serve: row by row
            rate_days = _cell(_rate_days_or_why(plan, due, o))
        elif start >= 0 and o - first + 1 < size:
            rate_days = running[o - first + 1] - running[start]
        else:
            side = ("missing", due, o > last)
            rate_days = plan.lines.get(side)  # type: ignore[call-overload,assignment]
            if rate_days is None:
                rate_days = plan.lines[side] = _cell(_rate_days_or_why(plan, due, o))  # type: ignore[index]
        cells.append((rate_days, owed, _money_text(owed)))
    unpaid = [None] + [cell[0] if cell[0].__class__ is bytes else None for cell in cells]
    covered = tuple([(j, *cell) for j, cell in enumerate(cells, 1) if cell[0].__class__ is not bytes])
    return tuple(cells), (tuple(fees), interest is None or sums is not None), unpaid, covered


@functools.lru_cache(maxsize=4096)
def _money_text(cents: int) -> bytes:
    return b"%d.%02d" % divmod(cents, 100)


@functools.lru_cache(maxsize=4096)
def _fee_cents(text: str) -> int:
    return int(Decimal(text) * 100)  # whole øre: a fee is rounded to the øre or given with two decimals


def _cell(found: tuple[int | None, str | None]) -> int | bytes:
    rate_days, why = found
    return _claim_error(why) if why is not None else rate_days  # type: ignore[return-value]


def _written(plan: Plan, action: tuple[Any, ...], given: dict[str, str] | None = None) -> bytes:
    """`Action.to_dict()` as compact JSON, without "claim", "claim_error" and the closing brace:
    the step's own fields are written once per plan, the action's between them; with the parts
    of its reason `given` (see `_evaluate._why`)."""
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
        step[2], _string(reason_text(plan, action, given)),
        step[3], "null" if occurrence is None else str(occurrence),
        ',"fee":', "null" if fee is None or fee[0] is None else _string(str(Decimal(fee[0]))),
    )).encode()


def _string(value: str | None) -> str:
    """A string (or None) as json.dumps(value, ensure_ascii=False) writes it."""
    return "null" if value is None else encode_basestring(value)


def _paid_line(plan: Plan, line: tuple[Any, ...], case: Case | LineCase, cid: bytes,
               paid: list[tuple[int, int]], raw: tuple[Any, ...], as_of: dt.date | None) -> bytes:
    """The line of a case with payments (`paid`: their days and amounts in øre): the claim on each
    action date from one walk through its ledger in whole numbers (`_money.ledger_cents`), or,
    where that walk cannot decide an øre or the rate table has no running sums, from the claims
    that `evaluate` gives (the Decimal walk)."""
    fmt, pick, cells, dates, (fees, in_cents) = line[0], line[1], line[2], line[3], line[4]
    values = [cid]
    states = None
    if in_cents:
        states = ledger_cents(dates, int(case.amount * 100), case.due_date.toordinal(),
                              ledger_events(fees, paid, dates[-1]), plan.allocation, line[8], line[5])
    if states is None:
        by_date = {a[2]: one for a, one in zip(raw, claims(plan, case, as_of, raw)) if a[2] is not None}
        values += [_claim_bytes(by_date[o]) for o in dates]
        return fmt % pick(values)  # type: ignore[no-any-return]
    for state, cell in zip(states, cells):
        if state is None:  # no rate is known for a span the walk needed
            values.append(cell[0])
            continue
        p, f, i = state
        t = p + f + i
        values.append(_CLAIM % (p // 100, p % 100, f // 100, f % 100, i // 100, i % 100, t // 100, t % 100))
    return fmt % pick(values)  # type: ignore[no-any-return]


def _claim_bytes(found: tuple[Any, Any]) -> bytes:
    """An action's claim and claim_error in JSON, from (Claim, None) or (None, why)."""
    claim, why = found
    if claim is None:
        return _claim_error(why)
    return (f',"claim":{{"principal":"{claim.principal}","fees":"{claim.fees}","interest":"{claim.interest}",'
            f'"total":"{claim.total}"}},"claim_error":null}}').encode()


@functools.lru_cache(maxsize=1024)
def _claim_error(why: str) -> bytes:
    return b',"claim":null,"claim_error":' + json.dumps(why, ensure_ascii=False).encode() + b"}"
