"""Evaluate one case against a Plan: pure, deterministic, no clock, no disk.

Dates are handled as ordinals (``date.toordinal()``) so that every step is
integer arithmetic plus calendar table look-ups.  A step's life:

1. its anchor resolves to a date (the due date, another step's date or
   deadline, an event) — or the step waits (event not yet happened) or is
   skipped (its anchor step was skipped);
2. offsets are added, and the date is rolled to a business day;
3. a date inside a dispute pause moves to the first business day after the
   pause (policy ``shift``) or the step is skipped (``skip``); an open-ended
   pause makes it wait;
4. a date on or after the day the claim was paid in full skips the step;
5. a false condition skips the step;
6. otherwise the step is planned, with its deadline counted from its date.
"""

from __future__ import annotations

import datetime as dt
import difflib
import bisect
import functools
import json
import operator
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Callable

from pydantic import ValidationError

from ._calendar import Calendar
from ._compile import DatePlan, Offsets, Plan, StepPlan
from ._errors import CalendarError, CaseError, Finding
from ._model import Case, Debtor, Event, iso_dates
from ._money import Claim, Ledger, ledger_events, ledger_states
from ._rates import RateError
from ._schedule import Action, Schedule, human_date

OPEN = 10**8  # end ordinal of a pause that has no dispute_resolved yet
_ZERO = Decimal(0)
_ROLL_WORDS = {"following": "rolled forward to", "preceding": "rolled back to",
               "modified_following": "rolled (modified following) to"}


# --------------------------------------------------------------------- case checks

def case_from_data(data: Mapping[str, Any], path: str = "<case>") -> Case:
    """Validate a case given as JSON-like data; CaseError lists every problem."""
    try:
        return Case.model_validate(iso_dates(data))
    except ValidationError as e:
        # With what the models could not read, what `_check_case` would say of the events, so
        # that one round names every problem.
        raise CaseError([_case_finding(err, path) for err in _one_per_fact(e.errors())]
                        + _event_amounts(data, path)) from None


def _one_per_fact(errors: list[Any]) -> list[Any]:
    """A fact's value refused by every type a fact may have is one problem, not one per type."""
    out, seen = [], set()
    for err in errors:
        loc = tuple(err["loc"])
        if len(loc) == 3 and loc[0] == "facts":
            if loc[:2] in seen:
                continue
            seen.add(loc[:2])
            err = {**err, "loc": loc[:2], "type": "fact_value",
                   "msg": "a fact is true, false, null, a number or a text"}
        out.append(err)
    return out


def _event_amounts(data: Mapping[str, Any], path: str) -> list[Finding]:
    """The events' amounts as `_check_case` checks them, read from the case as given."""
    events = data.get("events") if isinstance(data, Mapping) else None
    found = (_event_amount(i, event["type"], event.get("amount") is not None, path)
             for i, event in enumerate(events if isinstance(events, list) else ())
             if isinstance(event, Mapping) and isinstance(event.get("type"), str))
    return [f for f in found if f is not None]


def _event_amount(i: int, kind: str, has_amount: bool, path: str) -> Finding | None:
    """A payment needs an amount, and only a payment has one."""
    if kind == "payment" and not has_amount:
        return Finding("case-invalid", "a payment event needs an amount", path, 0, 0, ("events", i))
    if kind != "payment" and has_amount:
        return Finding("case-invalid", f"a {kind} event has no amount", path, 0, 0, ("events", i, "amount"))
    return None


def json_value(value: Any) -> str:
    """A value as it is written in JSON, for messages (true, 1.50, "x"), never a Python repr."""
    if isinstance(value, Decimal):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        return "a value"


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed where `loc` points, for did-you-mean."""
    parents = [p for p in loc[:-1] if isinstance(p, str)]
    model = {"events": Event, "debtor": Debtor}.get(parents[-1] if parents else "", Case)
    return list(model.model_fields)


def _case_finding(err: Any, path: str) -> Finding:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "the case"
    kind = err["type"]
    given = json_value(err.get("input"))
    if kind == "missing":
        code, msg = "case-missing-field", f"{where} is required"
    elif kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        code, msg = "case-unknown-field", f"unknown field {where}{hint}"
    elif kind.startswith("date") or loc[-1:] in (("due_date",), ("date",)):
        code, msg = "case-invalid-date", f"{where} must be a real date YYYY-MM-DD, not {given}"
    elif kind in ("greater_than", "greater_than_equal"):
        code, msg = "case-negative-amount", f"{where} must be greater than 0, not {given}"
    elif kind == "fact_value":
        code, msg = "case-fact-type", f"{where} must be true, false, null, a number or a text, not {given}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        code, msg = "case-invalid", f"{where} must be a JSON object, not {given}"
    elif kind == "decimal_max_digits":
        code, msg = "case-invalid", f"{where} has too many digits: at most {err['ctx']['max_digits']} in all"
    elif kind == "decimal_max_places":
        code, msg = "case-invalid", f"{where} has more than {err['ctx']['decimal_places']} decimals: amounts are in whole øre/öre"
    elif kind in ("string_too_long", "too_long"):
        limit = err["ctx"].get("max_length")
        code, msg = "case-invalid", f"{where} is too long: at most {limit} {'characters' if kind == 'string_too_long' else 'items'}"
    else:
        code, msg = "case-invalid", f"{where}: {err['msg'].removeprefix('Value error, ')}"
    return Finding(code, msg, path, 0, 0, loc)


def check_case(plan: Plan, case: Case, path: str = "<case>") -> Mapping[str, Any]:
    """Problems the models cannot see alone; returns the case's facts with defaults applied.

    A case with none is answered by `_fine_facts`, which looks at the same things and makes no
    findings; any other goes through `_check_case`, which names every problem."""
    facts = _fine_facts(plan, case)
    return _check_case(plan, case, path) if facts is None else facts


def _fine_facts(plan: Plan, case: Case) -> Mapping[str, Any] | None:
    """The case's facts with defaults applied when `_check_case` would find nothing, else None;
    a case that gives none shares the plan's read-only defaults."""
    cal = plan.calendar
    if case.currency != plan.currency or not cal.first <= case.due_date <= cal.last:
        return None
    given = case.facts
    facts: Mapping[str, Any] | None = (plan.defaults if not given and plan.defaults is not None
                                       else _given_facts(plan, given))
    if facts is None:
        return None
    events = case.events
    if events:
        disputes = False
        for event in events:
            kind = event.type
            if (event.amount is None) is (kind == "payment"):
                return None
            if kind == "dispute_resolved":
                disputes = True
        if disputes:  # each resolution after an opening, in date order
            open_dispute = False
            for event in sorted(events, key=_event_date):
                if event.type == "dispute_opened":
                    open_dispute = True
                elif event.type == "dispute_resolved":
                    if not open_dispute:
                        return None
                    open_dispute = False
    return facts


def misspelt_fact(plan: Plan, name: str) -> str | None:
    """The declared fact that a fact a case gives is a misspelling of, or None (for a declared
    fact, or an undeclared one that is ignored): a misspelt fact would be ignored silently too
    (a landlord's opt-out of the eviction warning lost to a typo)."""
    found = plan.misspellings.get(name, False)
    if found is False:
        declared = [f.name for f in plan.facts]
        close = [] if name in declared else difflib.get_close_matches(name, declared, n=1, cutoff=0.85)
        found = close[0] if close else None
        if len(plan.misspellings) < MEMO_LIMIT:
            plan.misspellings[name] = found
    return found  # type: ignore[return-value]


def _given_facts(plan: Plan, given: Mapping[str, Any]) -> dict[str, Any] | None:
    """The facts a case gives, with defaults applied; None where `_check_case` finds a problem."""
    if any(misspelt_fact(plan, name) for name in given):
        return None
    facts: dict[str, Any] = {}
    for fact in plan.facts:
        value = given.get(fact.name)
        if value is None:
            if fact.required:
                return None
            facts[fact.name] = fact.default
            continue
        if not _fact_ok(value, fact.type):
            return None
        facts[fact.name] = value
    return facts


def _fact_ok(value: Any, wanted: str) -> bool:
    """A given fact's value is of its declared type (1 is a number, never true)."""
    kind = value.__class__
    if wanted == "boolean":
        return kind is bool
    if wanted == "string":
        return kind is str
    return kind is not bool and isinstance(value, (int, Decimal))


def _check_case(plan: Plan, case: Case, path: str) -> dict[str, Any]:
    problems: list[Finding] = []

    def bad(code: str, message: str, pointer: tuple[str | int, ...]) -> None:
        problems.append(Finding(code, message, path, 0, 0, pointer))

    if case.currency != plan.currency:
        bad("case-currency-mismatch",
            f"case currency {case.currency} differs from the ruleset's {plan.currency}", ("currency",))
    cal = plan.calendar
    if not cal.first <= case.due_date <= cal.last:
        bad("calendar-range", f"due_date {case.due_date} is outside the calendar range "
            f"{cal.first}..{cal.last}", ("due_date",))
    facts: dict[str, Any] = {}
    given = case.facts
    for name in given:
        meant = misspelt_fact(plan, name)
        if meant is not None:
            bad("case-unknown-fact", f"facts.{name} is not a fact of this ruleset; did you mean {meant!r}? "
                "(a fact the ruleset does not declare is ignored)", ("facts", name))
    for fact in plan.facts:
        value = given.get(fact.name)
        if value is not None:
            if not _fact_ok(value, fact.type):
                bad("case-fact-type", f"facts.{fact.name} must be a {fact.type}, not {json_value(value)}",
                    ("facts", fact.name))
            facts[fact.name] = value
        elif fact.required:
            bad("case-missing-fact", f"facts.{fact.name} is required by this ruleset (a {fact.type})",
                ("facts",))
        else:
            facts[fact.name] = fact.default
    disputes = False
    for i, event in enumerate(case.events):
        wrong = _event_amount(i, event.type, event.amount is not None, path)
        if wrong is not None:
            problems.append(wrong)
        elif event.type == "dispute_resolved":
            disputes = True
    if disputes:
        open_dispute = False
        for i, event in sorted(enumerate(case.events), key=lambda p: p[1].date):
            if event.type == "dispute_opened":
                open_dispute = True
            elif event.type == "dispute_resolved":
                if not open_dispute:
                    bad("case-event-order", "dispute_resolved without an earlier dispute_opened", ("events", i))
                open_dispute = False
    if problems:
        raise CaseError(problems)
    return facts


# --------------------------------------------------------------------- evaluation

class _Blocked:
    """An anchor that gives no date: the step waits, or is skipped."""

    __slots__ = ("status", "why")

    def __init__(self, status: str, why: str) -> None:
        self.status = status
        self.why = why


class _Scope:
    """What conditions read; `date` is set to the step's date before each test."""

    __slots__ = ("date", "due", "amount", "currency", "facts", "debtor", "payments", "first_event",
                 "statuses")

    @property
    def paid(self) -> Decimal:
        d = self.date
        return sum((a for o, a in self.payments if o <= d), Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    @property
    def days_overdue(self) -> int:
        return self.date - self.due

    def debtor_attr(self, attr: str) -> Any:
        return None if self.debtor is None else getattr(self.debtor, attr)

    def event_happened(self, name: str) -> bool:
        first = self.first_event.get(name)
        return first is not None and first <= self.date

    def step_status(self, idx: int) -> str | None:
        return self.statuses[idx]


@functools.lru_cache(maxsize=65536)
def _add_months(o: int, months: int) -> int:
    d = dt.date.fromordinal(o)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    if not dt.MINYEAR <= year < dt.MAXYEAR:  # a date no calendar has: steps counted on from steps
        raise CalendarError("calendar-range", f"{human_date(o)} + {months} months is past the year {dt.MAXYEAR - 1}"
                            if months > 0 else f"{human_date(o)} - {-months} months is before the year 1")
    # Clamp to the month's last day: 31 Jan + 1 month = 28/29 Feb.
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1).toordinal()
    last = nxt - 1 - dt.date(year, month, 1).toordinal() + 1
    return dt.date(year, month, min(d.day, last)).toordinal()


def _shift(o: int, offsets: Offsets, cal: Calendar, times: int = 1) -> int:
    for unit, n in offsets.parts:
        n *= times
        if unit == "days":
            o += n
        elif unit == "weeks":
            o += 7 * n
        elif unit == "business_days":
            o = cal.add_business_days_ordinal(o, n)
        elif unit == "months":
            o = _add_months(o, n)
        else:  # years
            o = _add_months(o, 12 * n)
    return o


def _occurrence_parts(at: Offsets, every: Offsets, k: int) -> Offsets:
    """The offsets from the anchor to occurrence k: `at` then k times `every`, with all
    months and years added in one go, so that the last day of a month is not lost to
    clamping: 31 Jan + 1 month = 28 Feb, and the next occurrence is 31 Mar, not 28 Mar."""
    months = 0
    parts: list[tuple[str, int]] = []
    for unit, n in (*at.parts, *((u, n * k) for u, n in every.parts)):
        if unit in ("months", "years"):
            if not months and not any(u == "months" for u, _ in parts):
                parts.append(("months", 0))  # keeps the place of the first month part
            months += n * (12 if unit == "years" else 1)
        else:
            parts.append((unit, n))
    return Offsets(tuple(("months", months) if u == "months" else (u, n) for u, n in parts), at.text)


MEMO_LIMIT = 200_000  # schedules kept per plan; the memo is emptied when it is full
_event_date = operator.attrgetter("date")


class _Inputs:
    """Everything about a case that evaluation reads, derived once; `key` identifies it."""

    __slots__ = ("due", "paid_in_full", "pauses", "first_event", "payments", "key")

    def __init__(self, plan: Plan, case: Case, as_of: dt.date | None, facts: dict[str, Any]) -> None:
        self.due = due = case.due_date.toordinal()
        self.paid_in_full: int | None = None
        self.pauses: list[tuple[int, int]] = []
        self.first_event: dict[str, int] = {}
        self.payments: list[tuple[int, Decimal]] = []
        events = case.events
        if not events:  # the common case: nothing has happened yet
            self.key = _quiet_key(plan, case, facts)
            return
        debtor = self._debtor_key(plan, case) if plan.debtor_attrs else ()
        if as_of is not None:
            events = [e for e in events if e.date <= as_of]
        if len(events) > 1:
            events = sorted(events, key=_event_date)
        paid, opened, full = _ZERO, None, None
        pause = "dispute" in plan.pause_during
        stop = plan.stop_when_paid
        first_event, payments, pauses = self.first_event, self.payments, self.pauses
        for e in events:
            o = e.date.toordinal()
            kind = e.type
            if kind not in first_event:
                first_event[kind] = o
            if kind == "payment":
                payments.append((o, e.amount))  # type: ignore[arg-type]
                paid += e.amount  # type: ignore[operator]
                if full is None and stop and paid >= case.amount:
                    full = o
            elif kind == "dispute_opened":
                if pause and opened is None:
                    opened = o
            elif kind == "dispute_resolved" and opened is not None:
                pauses.append((opened, o))
                opened = None
        if opened is not None:
            pauses.append((opened, OPEN))
        self.paid_in_full = full
        self.key = (
            due,
            full,
            # One pause (the usual) as itself, the tuple its actions' reasons hold: a key is kept
            # with its schedule, and each tuple kept is one more for the collector to follow.
            pauses[0] if len(pauses) == 1 else tuple(pauses),
            tuple([first_event.get(n) for n in plan.event_names]) if plan.event_names else (),
            plan.default_values if facts is plan.defaults else tuple(facts.values()),
            debtor,
            (case.amount, tuple(payments)) if plan.reads_money else None,
        )

    @staticmethod
    def _debtor_key(plan: Plan, case: Case) -> tuple[Any, ...]:
        debtor = case.debtor
        return tuple([None if debtor is None else getattr(debtor, a) for a in plan.debtor_attrs])


def quiet_events(plan: Plan, case: Case, as_of: dt.date | None) -> bool:
    """Whether nothing has happened to the case that its schedule reads, so that its memo key is
    `_quiet_key`: no events, or, on a plan that reads no amount and no event by name, only
    payments (with their amounts) short of the claim as of `as_of`."""
    events = case.events
    if not events:
        return True
    if plan.reads_money or plan.event_names:
        return False
    paid = _ZERO
    for event in events:
        if event.type != "payment" or event.amount is None:
            return False
        if as_of is None or event.date <= as_of:
            paid += event.amount
    return not plan.stop_when_paid or paid < case.amount


def _quiet_key(plan: Plan, case: Case, facts: Mapping[str, Any]) -> tuple[Any, ...]:
    """`_Inputs.key` of a case nothing has happened to that its schedule reads (`quiet_events`)."""
    return (case.due_date.toordinal(), None, (), plan.no_events,
            plan.default_values if facts is plan.defaults else tuple(facts.values()),
            _Inputs._debtor_key(plan, case) if plan.debtor_attrs else (),
            (case.amount, ()) if plan.reads_money else None)


def anchor_skipped(step_id: str) -> str:
    """Why a step anchored on a skipped step is skipped too (its reason; one wording for the
    general path, the compiled steps and `_cut_at`)."""
    return f"skipped: anchor step {step_id} was skipped"


def paid_skip(idx: int, raw: int, rolled: int, paid: int, parts: tuple[int, ...] | None = None,
              ) -> tuple[int, tuple[Any, ...]]:
    """The (sort key, action) of step `idx`'s occurrence dated `rolled` (from `raw`), on or after
    the day the claim was paid in full and inside no pause, as `_Run.occurrence` emits it."""
    return (rolled * 1_000_000 + idx) * 1000, (idx, "skipped", rolled, None, None,
                                               at_why(raw, rolled, None, paid, "paid", 0, parts), None)


def at_why(raw: int, rolled: int, pause: tuple[int, int] | None, paid: int | None, outcome: str, repeats: int,
           parts: tuple[int, ...] | None) -> tuple[Any, ...]:
    """The why of an action that has a date (see `_why`): the dates of a max() or min() anchor's
    parts, where the step has one, last (a reason names each, and which one decided)."""
    if parts is None:
        return ("at", raw, rolled, pause, paid, outcome, repeats)
    return ("at", raw, rolled, pause, paid, outcome, repeats, parts)


def parts_or_blocked(values: list[int | _Blocked]) -> tuple[int, ...] | _Blocked:
    """The dates of a max() or min()'s parts, or, where one has none, why: a skipped part
    before a waiting one (the step is skipped, not left to wait)."""
    blocked = [v for v in values if v.__class__ is _Blocked]
    if blocked:
        return next((b for b in blocked if b.status == "skipped"), blocked[0])  # type: ignore[return-value]
    return tuple(values)  # type: ignore[arg-type]


def extreme(kind: str) -> Callable[[tuple[int, ...]], int]:
    """What a max() or min() makes of its parts' dates."""
    return max if kind == "max" else min


# Actions are sorted by date (waiting ones, which have none, last), then by the ruleset's order
# of steps, then by occurrence: one integer per action (occurrences are at most 600, see Repeat).
_LAST = 10**7  # after every ordinal (date.max is 3,652,059)


def _sort_key(o: int | None, idx: int, occurrence: int | None) -> int:
    return ((_LAST if o is None else o) * 1_000_000 + idx) * 1000 + (occurrence or 0)


class _Run:
    """The state of one evaluation."""

    __slots__ = ("plan", "cal", "due", "dates", "deadlines", "statuses", "actions", "paid_in_full", "pauses",
                 "scope")

    def __init__(self, plan: Plan, case: Case, inputs: _Inputs, facts: dict[str, Any]) -> None:
        self.plan, self.cal = plan, plan.calendar
        n = len(plan.listed)
        self.dates: list[int | None] = [None] * n
        self.deadlines: list[int | None] = [None] * n
        self.statuses: list[str | None] = [None] * n
        # (sort key, action) pairs; the action is a plain tuple of plain values (see Schedule).
        self.actions: list[tuple[int, tuple[Any, ...]]] = []
        self.paid_in_full = inputs.paid_in_full
        self.pauses = inputs.pauses
        self.due = inputs.due
        scope = self.scope = _Scope()
        scope.due = inputs.due
        scope.amount, scope.currency, scope.facts, scope.debtor = case.amount, case.currency, facts, case.debtor
        scope.payments, scope.first_event, scope.statuses = inputs.payments, inputs.first_event, self.statuses

    def resolve(self, dp: DatePlan, with_offsets: bool = True) -> int | _Blocked:
        """The date `dp` names, or why there is none; the top-level offsets only if asked."""
        kind = dp.kind
        if kind == "due":
            o: int | _Blocked = self.due
        elif kind == "step_date" or kind == "step_deadline":
            idx: int = dp.ref  # type: ignore[assignment]
            status = self.statuses[idx]
            if status != "planned":
                step_id = self.plan.listed[idx].id
                if status == "waiting":
                    return _Blocked("waiting", f"waiting for step {step_id}")
                return _Blocked("skipped", anchor_skipped(step_id))
            o = (self.dates if kind == "step_date" else self.deadlines)[idx]  # type: ignore[assignment]
        elif kind == "event":
            first = self.scope.first_event.get(dp.ref)  # type: ignore[arg-type]
            if first is None:
                return _Blocked("waiting", f"waiting for event {dp.ref}")
            o = first
        else:  # max / min
            parts = parts_or_blocked([self.resolve(a) for a in dp.args])
            if parts.__class__ is _Blocked:
                return parts  # type: ignore[return-value]
            o = extreme(kind)(parts)  # type: ignore[arg-type]
        if with_offsets and dp.offsets.parts:
            return _shift(o, dp.offsets, self.cal)  # type: ignore[arg-type]
        return o

    def step(self, sp: StepPlan) -> None:
        at = sp.at
        kind = at.kind
        parts = None
        if kind == "due":  # the common anchors, without a call
            anchor: int | _Blocked = self.due
        elif kind == "step_date" and self.statuses[at.ref] == "planned":  # type: ignore[index]
            anchor = self.dates[at.ref]  # type: ignore[index,assignment]
        elif kind == "max" or kind == "min":  # its parts' dates go into the reason
            parts = parts_or_blocked([self.resolve(a) for a in at.args])
            anchor = parts if parts.__class__ is _Blocked else extreme(kind)(parts)  # type: ignore[arg-type]
        else:
            anchor = self.resolve(at, with_offsets=False)
        if anchor.__class__ is _Blocked:
            if anchor.status == "waiting" and self.paid_in_full is not None:  # type: ignore[union-attr]
                # Paid in full: nothing waits any more for an event or another step.  The day
                # stays an ordinal until the reason is written (see `_paid_in_full_later`).
                self.emit(sp, "skipped", None, None, ("blocked", sp.at_text, anchor.why, self.paid_in_full),  # type: ignore[union-attr]
                          None)
                return
            self.emit(sp, anchor.status, None, None, ("blocked", sp.at_text, anchor.why), None)  # type: ignore[union-attr]
            return
        if sp.repeat_every is None:
            dates = sp.dates.get(anchor)  # type: ignore[arg-type]
            if dates is None:
                raw = _shift(anchor, sp.at.offsets, self.cal)  # type: ignore[arg-type]
                dates = sp.dates[anchor] = (raw, self.cal.roll_ordinal(raw, sp.roll))  # type: ignore[index]
            self.occurrence(sp, dates[0], dates[1], None, 0, parts)
            return
        base = _shift(anchor, sp.at.offsets, self.cal)  # type: ignore[arg-type]
        until = self.resolve(sp.repeat_until)  # type: ignore[arg-type]
        if isinstance(until, _Blocked):
            self.emit(sp, until.status, None, None, ("blocked", "repeat until", until.why), None)
            return
        if base > until:
            self.emit(sp, "skipped", None, None, ("blocked", f"{sp.at_text} = {human_date(base)}",
                      f"skipped: after the repeat limit {human_date(until)}"), None)
            return
        cal = self.cal
        repeats = sp.repeats
        if len(repeats) >= MEMO_LIMIT:
            repeats.clear()
        for k in range(sp.repeat_max):
            dates = repeats.get((anchor, k))  # type: ignore[arg-type]
            if dates is None:
                raw = _shift(anchor, _occurrence_parts(sp.at.offsets, sp.repeat_every, k), cal) if k else base  # type: ignore[arg-type]
                dates = repeats[(anchor, k)] = (raw, cal.roll_ordinal(raw, sp.roll))  # type: ignore[index]
            if dates[0] > until or not self.occurrence(sp, dates[0], dates[1], k + 1, k, parts):
                break

    def occurrence(self, sp: StepPlan, raw: int, rolled: int, occurrence: int | None, repeats: int = 0,
                   parts: tuple[int, ...] | None = None) -> bool:
        """Plan, skip or park one occurrence; False when no later occurrence can happen."""
        o = rolled
        pause = None
        full = self.paid_in_full
        for span in self.pauses:
            start, end = span
            if start <= o <= end and (full is None or full > o):
                pause = span
                if sp.on_pause == "skip":
                    self.emit(sp, "skipped", o, None, at_why(raw, rolled, pause, None, "pause-skip", repeats, parts),
                              occurrence)
                    return True
                if end == OPEN and full is not None:  # paid in full: nothing waits for the dispute
                    # No date: the step would have come after a resolution that never came.
                    self.emit(sp, "skipped", None, None, at_why(raw, rolled, pause, full, "paid", repeats, parts),
                              occurrence)
                    return False
                if end == OPEN:
                    self.emit(sp, "waiting", None, None,
                              at_why(raw, rolled, pause, None, "pause-open", repeats, parts), occurrence)
                    return False
                o = self.cal.roll_ordinal(end + 1, "following")
        if full is not None and o >= full:
            self.emit(sp, "skipped", o, None, at_why(raw, rolled, pause, full, "paid", repeats, parts), occurrence)
            return False
        when = sp.when
        if when is not None:
            for i in sp.when_steps:  # a condition on a step that still waits must wait too
                if self.statuses[i] == "waiting":
                    self.emit(sp, "waiting", None, None,
                              ("blocked", sp.at_text, f"waiting for step {self.plan.listed[i].id} (read by "
                               f"the condition {sp.when_text})"), occurrence)
                    return False
            if sp.when_by_date:  # decided once per number of days after the due date
                ok = sp.decided.get(o - self.due)
                if ok is None:
                    self.scope.date = o
                    ok = sp.decided[o - self.due] = when(self.scope)
            else:
                self.scope.date = o
                ok = when(self.scope)
            if not ok:
                self.emit(sp, "skipped", o, None, at_why(raw, rolled, pause, None, "condition", repeats, parts),
                          occurrence)
                return True
        deadline = None
        if sp.deadline is not None:
            deadline = sp.deadlines.get(o)
            if deadline is None:
                deadline = sp.deadlines[o] = self.cal.roll_ordinal(_shift(o, sp.deadline, self.cal),
                                                                   sp.deadline_roll)
        fee = None if sp.fee is None else self.price(sp, o)
        # emit(), inlined: this is the path almost every step takes.
        idx = sp.index
        if self.statuses[idx] != "planned":
            self.statuses[idx] = "planned"
            self.dates[idx], self.deadlines[idx] = o, deadline
        self.actions.append((((o * 1_000_000 + idx) * 1000 + (occurrence or 0)),  # _sort_key, inlined
                             (idx, "planned", o, deadline, occurrence,
                              ("at", raw, rolled, pause, None, "planned", repeats) if parts is None
                              else at_why(raw, rolled, pause, None, "planned", repeats, parts), fee)))
        return True

    def price(self, sp: StepPlan, o: int) -> tuple[str | None, str | None]:
        """The step's fee on date `o`: (amount, None) or (None, why it is not charged); cached on
        the step, keyed on all that FeePlan.price reads from the case."""
        fee = sp.fee
        rule = fee.rule  # type: ignore[union-attr]
        needs = rule.requires_fact
        agreed = needs and self.scope.facts.get(needs) is True
        # FeePlan.price reads the due date only to count the days since it: once a fee may be
        # charged at all (enough days, the fact it needs), its price depends on the date alone.
        if o - self.due >= rule.min_days_after_due and (not needs or agreed):
            key: tuple[Any, ...] = (o,)
        else:
            key = (o, self.due, agreed)
        found = sp.prices.get(key)
        if found is None:
            if len(sp.prices) >= MEMO_LIMIT:
                sp.prices.clear()
            amount, note = fee.price(dt.date.fromordinal(o), dt.date.fromordinal(self.due),  # type: ignore[union-attr]
                                     self.scope.facts, self.plan.rates, 0)
            found = sp.prices[key] = ((None if amount is None else str(amount)), note)
        return found

    def emit(self, sp: StepPlan, status: str, o: int | None, deadline: int | None, why: tuple[Any, ...],
             occurrence: int | None) -> None:
        idx = sp.index
        statuses = self.statuses
        if statuses[idx] is None or (status == "planned" and statuses[idx] != "planned"):
            statuses[idx] = status
            if status == "planned":
                self.dates[idx], self.deadlines[idx] = o, deadline
        # A plain tuple of plain values: what the memo keeps (see Schedule).
        self.actions.append((_sort_key(o, idx, occurrence), (idx, status, o, deadline, occurrence, why, None)))


def _runners(plan: Plan) -> list[Callable[[_Run], None]]:
    """The plan's steps in evaluation order, each as one function of the run (made once: see
    _runners, which builds on this module)."""
    if not plan.runners:
        from ._runners import runners

        plan.runners.extend(runners(plan))
    return plan.runners


def build_actions(plan: Plan, raw: tuple[Any, ...], money: tuple[Any, ...] | None = None) -> tuple[Action, ...]:
    """Actions from the memo's compact form, with each action's claim when `money` is given."""
    listed, cal = plan.listed, plan.calendar
    out = []
    for n, (idx, status, o, deadline, occurrence, why, fee) in enumerate(raw):
        sp = listed[idx]
        reason = _reason(sp, cal, why, fee)
        claim = claim_error = None
        if money is not None and money[n] is not None:
            claim, claim_error = money[n]
        out.append(Action(sp.id, sp.action, status, o, deadline, sp.channels, sp.recipient,
                          sp.legal_basis, sp.title, occurrence, reason,
                          None if fee is None or fee[0] is None else Decimal(fee[0]), claim, claim_error))
    return tuple(out)


def _reason(sp: StepPlan, cal: Calendar, why: tuple[Any, ...], fee: tuple[str | None, str | None] | None,
            given: dict[str, str] | None = None) -> tuple[Any, ...]:
    """An action's reason as a formatter and its arguments (see Action.why); with the parts
    `given` (see `_why`)."""
    if why[0] == "blocked":
        reason: tuple[Any, ...] = (_why_blocked, *why[1:])
    else:
        reason = (_why if given is None else functools.partial(_why, **given), sp, cal, *why[1:])
    if fee is not None and fee[1] is not None:
        reason = (_with_note, reason, fee[1])
    return reason


def reason_text(plan: Plan, action: tuple[Any, ...], given: dict[str, str] | None = None) -> str:
    """The reason of an action in the memo's compact form, formatted (Action.reason); with the
    parts `given` (`_why`'s head and words) in place of its own."""
    reason = _reason(plan.listed[action[0]], plan.calendar, action[5], action[6], given)
    return reason[0](*reason[1:])  # type: ignore[no-any-return]


def _with_note(reason: tuple[Any, ...], note: str) -> str:
    return f"{reason[0](*reason[1:])}; {note}"


def _why_blocked(at_text: str, why: str, paid: int | None = None) -> str:
    if paid is not None:  # waited for an anchor, then paid in full
        return f"{at_text}: skipped: the amount was paid in full on {human_date(paid)} (it was {why})"
    return f"{at_text}: {why}"


def pause_words(pause: tuple[int, int], outcome: str) -> str:
    """The words of a reason that name a dispute pause (`pause` from an action's why, with its
    `outcome`): the only ones that depend on the pause's days, but for the day a step moved to
    after it (`_batch._paused` relies on this)."""
    start, end = pause
    if outcome == "pause-open":
        return human_date(start)
    if end == OPEN:
        return f"from {human_date(start)} (not resolved)"
    return f"{human_date(start)} to {human_date(end)}"


def why_head(sp: StepPlan, cal: Calendar, raw: int, rolled: int, repeats: int = 0,
             parts: tuple[int, ...] | None = None) -> str:
    """How a reason begins: the arithmetic of the step's date, and how it was rolled; with the
    date of each part of a max() or min() anchor (`parts`), where it has one."""
    every = f" + {repeats} × {sp.repeat_every.text}" if repeats else ""  # type: ignore[union-attr]
    at = sp.at_text if parts is None else _with_parts(sp.at, parts)
    head = f"{at}{every} = {human_date(raw)}"
    if rolled != raw:
        return f"{head}, {cal.closure_name(dt.date.fromordinal(raw))}; {_ROLL_WORDS[sp.roll]} {human_date(rolled)}"
    if not cal.is_business_ordinal(raw):
        return f"{head}, {cal.closure_name(dt.date.fromordinal(raw))}; not moved (roll: {sp.roll})"
    return head


def _with_parts(at: DatePlan, parts: tuple[int, ...]) -> str:
    """``max(due + 14 days = Fri 19 Jun 2026, ...) + 1 day``: each part with its date."""
    inner = ", ".join(f"{arg.text} = {human_date(o)}" for arg, o in zip(at.args, parts))
    return f"{at.kind}({inner})" + (f" {at.offsets.text}" if at.offsets.parts else "")


def _why(sp: StepPlan, cal: Calendar, raw: int, rolled: int, pause: tuple[int, int] | None,
         paid: int | None, outcome: str, repeats: int = 0, parts: tuple[int, ...] | None = None, *,
         head: str | None = None, words: str | None = None) -> str:
    """The reason an action got its date and status, with the arithmetic shown; with `head` in
    place of how it begins (`why_head`) and `words` in place of those naming its pause
    (`pause_words`), where given."""
    said = [why_head(sp, cal, raw, rolled, repeats, parts) if head is None else head]
    if pause is not None:
        end = pause[1]
        if words is None:
            words = pause_words(pause, outcome)
        if outcome == "pause-open":
            said.append(f"paused: dispute opened {words} is not resolved")
            return "; ".join(said)
        span = f"dispute pause {words}"
        if outcome == "pause-skip":
            said.append(f"skipped: inside {span}")
            return "; ".join(said)
        if end == OPEN:
            said.append(f"inside {span}")
        else:
            said.append(f"inside {span}; moved to {human_date(cal.roll_ordinal(end + 1, 'following'))}")
    if outcome == "paid":
        said.append(f"skipped: the amount was paid in full on {human_date(paid)}")  # type: ignore[arg-type]
    elif outcome == "condition":
        said.append(f"skipped: condition is false: {sp.when_text}")
    elif outcome == "planned" and sp.deadline is not None:
        final = rolled if pause is None else cal.roll_ordinal(pause[1] + 1, "following")
        raw_dl = _shift(final, sp.deadline, cal)
        text = f"deadline {sp.deadline.text} later = {human_date(raw_dl)}"
        if not cal.is_business_ordinal(raw_dl):
            name = cal.closure_name(dt.date.fromordinal(raw_dl))
            if sp.deadline_roll == "none":
                text += f", {name}; not moved"
            else:
                moved = cal.roll_ordinal(raw_dl, sp.deadline_roll)
                text += f", {name}; {_ROLL_WORDS[sp.deadline_roll]} {human_date(moved)}"
        said.append(text)
    return "; ".join(said)


def _actions(plan: Plan, case: Case, as_of: dt.date | None, quiet: bool | None = None,
             ) -> tuple[Any, tuple[Any, ...]]:
    """(memo key, actions in the compact form) of a case's schedule, computed on a miss; `quiet`
    is `quiet_events(plan, case, as_of)` where the caller has it.

    The memo holds only tuples of plain values, which the garbage collector stops tracking:
    a batch fills it with hundreds of thousands of schedules, and every full collection
    would otherwise walk them all."""
    memo = plan.memo
    if quiet is None:
        quiet = quiet_events(plan, case, as_of)
    alike = quiet and not case.facts and plan.defaults is not None and case.currency == plan.currency
    if alike:
        # The common case, found before `_fine_facts`: a case in the plan's currency that gives no
        # facts and to which nothing has happened that needs checking (only payments, with their
        # amounts) has nothing else to check but its due date, and a kept schedule's key holds a
        # due date that passed the check.
        found = plan.quiet.get(case.due_date)
        if found is not None:
            return found  # type: ignore[no-any-return]
        key = _quiet_key(plan, case, plan.defaults)
        raw = memo.get(key)
        if raw is not None:
            _keep_quiet(plan, case, key, raw)
            return key, raw
    facts = _fine_facts(plan, case)
    if facts is None:
        facts = _check_case(plan, case, "<case>")  # raises CaseError, naming every problem
    if quiet:  # found without deriving the rest of _Inputs
        key = _quiet_key(plan, case, facts)
        raw = memo.get(key)
        if raw is not None:
            return key, raw
    inputs = _Inputs(plan, case, as_of, facts)
    key = inputs.key
    raw = memo.get(key)
    if raw is not None:
        return key, raw
    paid_in_full = inputs.paid_in_full
    if inputs.pauses:
        raw = _paused_in_vain(plan, key, inputs.pauses)
    elif paid_in_full is not None:
        raw = _paid_in_full_later(plan, key, paid_in_full)
    if raw is not None:  # derived from a kept schedule
        _memoise(memo, key, raw)
        return key, raw
    run = _Run(plan, case, inputs, facts)
    try:
        for run_step in _runners(plan):
            run_step(run)
    except CalendarError as e:
        # The step that failed is the first, in evaluation order, that has no status yet.
        failed = next((sp.id for sp in plan.steps if run.statuses[sp.index] is None), None)
        where = "" if failed is None else f"step {failed}: "
        raise CaseError([Finding(e.code, where + e.message, "<case>", 0, 0, ("due_date",))]) from None
    run.actions.sort()  # the sort keys are distinct: actions themselves are never compared
    actions = [a for _, a in run.actions]
    if plan.counts_fees:
        actions = _limit_fee_counts(plan, actions)
    raw = tuple(actions)
    _memoise(memo, key, raw)
    if paid_in_full is not None and not inputs.pauses:
        _paid_in_full_kept(memo, key, paid_in_full, raw)
    elif alike:
        _keep_quiet(plan, case, key, raw)
    return key, raw


def _memoise(memo: dict[Any, Any], key: tuple[Any, ...], raw: tuple[Any, ...]) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = raw


def _keep_quiet(plan: Plan, case: Case, key: tuple[Any, ...], raw: tuple[Any, ...]) -> None:
    """Keep the schedule of a quiet case that gives no facts by its due date alone, where nothing
    else goes into its key (`_quiet_key`): the plan reads no debtor attribute and no amount."""
    if not plan.debtor_attrs and not plan.reads_money:
        if len(plan.quiet) >= MEMO_LIMIT:
            plan.quiet.clear()
        plan.quiet[case.due_date] = (key, raw)


# A schedule paid in full on day F, without dispute pauses, depends on F only through which of
# its occurrences fall on or after F (`_Run.occurrence` compares each occurrence's date with F,
# and nothing else reads F but the reasons, which keep it as an ordinal).  Two days F1 and F2
# with no occurrence date of F1's schedule in [min, max) of them therefore give the same run,
# step for step (by induction: each date the F2 run compares is one the F1 run compared, with
# the same outcome), and F2's schedule is F1's with F2 written where F1 was.  A schedule with a
# waiting action is left out: a step can wait after its date was compared, and that date is
# not in the schedule.  tests/test_speed_equivalence.py compares such schedules with a fresh
# plan's over many days of payment.

def _paid_in_full_later(plan: Plan, key: tuple[Any, ...], paid: int) -> tuple[Any, ...] | None:
    """The schedule for `key` from one kept for another day of payment in full, or from the one
    kept for the same case unpaid: itself when every action of it comes before that day, else
    cut there (`_cut_at`); or None."""
    memo = plan.memo
    for earlier, dates, raw in memo.get(_any_day_paid(key), ()):
        if bisect.bisect_left(dates, paid) == bisect.bisect_left(dates, earlier):
            return tuple([_repaid(a, paid) for a in raw])
    # Unpaid is as if paid in full on a day after every date (the argument above, with a day that
    # never comes): only where the payments are not read otherwise (key[6]).
    unpaid = memo.get((key[0], None, *key[2:])) if key[6] is None else None
    if unpaid is None:
        return None
    later = False
    for a in unpaid:
        if a[1] == "waiting":
            return None
        if a[2] is not None and a[2] >= paid:
            later = True
    if not later:
        return unpaid
    return _cut_at(plan, unpaid, paid) if plan.simple_steps else None


def _cut_at(plan: Plan, unpaid: tuple[Any, ...], paid: int) -> tuple[Any, ...] | None:
    """The schedule of a case paid in full on `paid`, from the same case's unpaid one (none of
    whose actions waits), on a plan of `simple_steps`; None where it cannot be told so.

    The run paid in full goes step by step as the unpaid run did, until a step's date is on or
    after `paid`: that step is skipped (with the day; `_Run.occurrence` looks at the day before
    the condition), and so is every step anchored on a skipped one (with the anchor's reason).
    The planned actions kept are then those of the unpaid schedule dated before `paid`, which
    `_limit_fee_counts` counts alike, unless a step dated before `paid` loses its anchor (an
    offset back in time): there the run says it."""
    listed = plan.listed
    mine = [None] * len(listed)
    for a in unpaid:
        mine[a[0]] = a
    status: list[str | None] = [None] * len(listed)
    out = []
    for sp in plan.steps:
        idx = sp.index
        a = mine[idx]
        at = sp.at
        if at.kind != "due" and status[at.ref] != "planned":  # type: ignore[index]
            if a[2] is None and a[1] == "skipped":  # skipped for its anchor when unpaid, too
                out.append((_sort_key(None, idx, None), a))
            elif a[2] is not None and a[2] < paid:
                return None
            else:  # the same action in every schedule: made once per plan (see `_any_day_paid`)
                shared = plan.memo.get(("anchor skipped", idx))
                if shared is None:
                    shared = plan.memo[("anchor skipped", idx)] = (idx, "skipped", None, None, None, (
                        "blocked", sp.at_text, anchor_skipped(listed[at.ref].id)), None)  # type: ignore[index]
                out.append((_sort_key(None, idx, None), shared))
            status[idx] = "skipped"
        elif a[2] is not None and a[2] >= paid:
            out.append(paid_skip(idx, a[5][1], a[2], paid, a[5][7] if len(a[5]) > 7 else None))
            status[idx] = "skipped"
        else:
            out.append((_sort_key(a[2], idx, None), a))
            status[idx] = a[1]
    out.sort()
    return tuple([a for _, a in out])


def _paused_in_vain(plan: Plan, key: tuple[Any, ...], pauses: list[tuple[int, int]]) -> tuple[Any, ...] | None:
    """The schedule kept for the same case without its dispute pauses (key[2]) when none of its
    actions has a date inside one; else None.  A run compares each occurrence's date with the
    pauses and with nothing else of theirs (`_Run.occurrence`); where no date falls inside one,
    step by step it does what the run without pauses did.  An action that waits for a step its
    condition reads had its date compared, and has none to show: such a schedule is not used."""
    alone = plan.memo.get((key[0], key[1], (), *key[3:]))
    if alone is not None:
        listed = plan.listed
        for a in alone:
            o = a[2]
            if o is None:
                if a[1] == "waiting" and listed[a[0]].when is not None:
                    return None
            else:
                for start, end in pauses:
                    if start <= o <= end:
                        return None
    return alone


def _any_day_paid(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The memo key of the schedules kept for `key` whatever the day paid in full (key[1])."""
    return ("paid in full", key[0], *key[2:])


def paid_at(action: tuple[Any, ...]) -> int | None:
    """Where an action's reason keeps the day the claim was paid in full (see `_why` and
    `_why_blocked`), or None when it does not name one."""
    why = action[5]
    if why[0] == "at":
        return 4 if why[5] == "paid" else None
    return 3 if len(why) == 4 else None  # ("blocked", at text, why, day paid in full)


def _repaid(action: tuple[Any, ...], paid: int) -> tuple[Any, ...]:
    at = paid_at(action)
    if at is None:
        return action
    why = action[5]
    return (*action[:5], (*why[:at], paid, *why[at + 1:]), action[6])


def _paid_in_full_kept(memo: dict[Any, Any], key: tuple[Any, ...], paid: int, raw: tuple[Any, ...]) -> None:
    """Keep `raw`, paid in full on `paid`, for other days of payment (see `_paid_in_full_later`)."""
    if any(a[1] == "waiting" for a in raw):
        return
    shared = _any_day_paid(key)
    dates = tuple(sorted({a[2] for a in raw if a[2] is not None}))
    memo[shared] = (*memo.get(shared, ()), (paid, dates, raw))


def _limit_fee_counts(plan: Plan, actions: list[Any]) -> list[Any]:
    """At most `max_count` charged fees of a kind, counted in date order (inkassoforskriften
    § 1-2: two fee-bearing reminders); later ones are skipped with the reason."""
    counts: dict[str, int] = {}
    out = []
    for a in actions:
        fee = a[6]
        if fee is not None and fee[0] is not None:
            rule = plan.listed[a[0]].fee.rule  # type: ignore[union-attr]
            kind = plan.listed[a[0]].fee.kind  # type: ignore[union-attr]
            counts[kind] = counts.get(kind, 0) + 1
            if rule.max_count is not None and counts[kind] > rule.max_count:
                note = (f"fee skipped: {rule.max_count} fee-bearing {kind.replace('_', ' ')}s already "
                        f"charged ({rule.basis})")
                a = (*a[:6], (None, note))
        out.append(a)
    return out


def claims(plan: Plan, case: Case, as_of: dt.date | None, raw: tuple[Any, ...]) -> tuple[Any, ...]:
    """What the debtor owes on each dated action's date: (Claim, None), or (None, why unknown).

    Computed per case, outside the memo, since it depends on the amount and the payments:
    without payments by `_unpaid_cents`, with payments by one walk through the ledger."""
    payments = _payments(case, as_of)
    if payments:
        return _claims_with_payments(plan, case, raw, planned_fees(raw), payments)
    out: list[Any] = []
    for one in _unpaid_cents(plan, case, raw):
        if one is None or isinstance(one, str):
            out.append(None if one is None else (None, one))
            continue
        principal, charged, interest = (_money(c) for c in one)
        out.append((Claim(principal, charged, interest, principal + charged + interest, _ZERO_MONEY), None))
    return tuple(out)


def planned_fees(raw: tuple[Any, ...]) -> list[tuple[int, Decimal]]:
    """(date ordinal, amount) of each fee a schedule charges."""
    return [(a[2], Decimal(a[6][0])) for a in raw if a[1] == "planned" and a[6] is not None and a[6][0]]


def _payments(case: Case, as_of: dt.date | None) -> list[tuple[dt.date, Decimal]]:
    return [(e.date, e.amount) for e in case.events  # type: ignore[misc]
            if e.type == "payment" and (as_of is None or e.date <= as_of)]


def _unpaid_cents(plan: Plan, case: Case, raw: tuple[Any, ...]) -> list[Any]:
    """For each action of a case nothing has been paid on: None (no date), why the claim is
    unknown (a string), or (principal, fees, interest) in whole øre.

    interest = amount × Σ(rate% × days) / (100 × day_count), with the rate in hundredths of a
    percent and the amount in øre: whole numbers, rounded half-up once, exactly, on a per-plan
    table of rate-days."""
    due = case.due_date.toordinal()
    cents = int(case.amount * 100)
    den = 10_000 * plan.day_count
    fees = [(a[2], int(Decimal(a[6][0]) * 100)) for a in raw
            if a[1] == "planned" and a[6] is not None and a[6][0]]
    out: list[Any] = []
    for a in raw:
        o = a[2]
        if o is None:
            out.append(None)
            continue
        interest = 0
        if plan.interest is not None:
            rate_days, why = _rate_days_or_why(plan, due, o)
            if why is not None:
                out.append(why)
                continue
            interest = (2 * cents * rate_days + den) // (2 * den)  # type: ignore[operator]
        out.append((cents, sum(f for d, f in fees if d <= o), interest))
    return out


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(_ZERO_MONEY)


def _rate_days(plan: Plan, due: int, day: int) -> int:
    """Σ rate × days over the rate rows from the day after `due` to `day`, the rate in
    hundredths of a percent (12.25 % -> 1225)."""
    if day <= due:
        return 0
    total = 0
    table = plan.interest
    first, last = table.rows[0].valid_from, table.rows[-1].valid_to  # type: ignore[union-attr]
    if dt.date.fromordinal(day) > last or dt.date.fromordinal(due + 1) < first:
        # Decided without building RateError's full coverage message for every action.
        start, end = dt.date.fromordinal(due + 1), dt.date.fromordinal(day)
        gap = max(last + dt.timedelta(days=1), start) if end > last else start
        raise RateError("rate-missing", f"no {table.name} row covers {gap} (rows cover "  # type: ignore[union-attr]
                        f"{first}..{last}); add the period to the rate file")
    for first, last, row in table.periods(dt.date.fromordinal(due + 1), dt.date.fromordinal(day)):  # type: ignore[union-attr]
        hundredths = row.value * 100
        if hundredths != hundredths.to_integral_value():
            raise RateError("rates-bad-value", f"{table.name} rate {row.value} has more than two decimals")  # type: ignore[union-attr]
        total += int(hundredths) * ((last - first).days + 1)
    return total


def _claims_with_payments(plan: Plan, case: Case, raw: tuple[Any, ...], fees: list[Any],
                          payments: list[Any]) -> tuple[Any, ...]:
    """The claim on each action date of a case with payments: `_money.claims_on`, one walk
    through the ledger, with interest from the plan's cache of rate-days."""
    due = case.due_date.toordinal()
    by_day = ledgers_by_day(plan, case.amount, due, fees, [(d.toordinal(), a) for d, a in payments],
                            ledger_groups(plan, due, raw))
    return tuple(None if a[2] is None else
                 (None, by_day[a[2]]) if isinstance(by_day[a[2]], str) else (Ledger(*by_day[a[2]]).claim(), None)
                 for a in raw)


def ledger_groups(plan: Plan, due: int, raw: tuple[Any, ...]) -> tuple[tuple[int, ...], ...]:
    """The action dates of a schedule (ordinals, ascending) in the walks `ledgers_by_day` makes:
    dates the rate table covers in one walk, the later ones in another, which fails only if
    some principal is left to bear interest where no rate is known (and then every later date
    needs that period too).  A function of the due date and the actions: the batch path keeps
    it with the memoised schedule."""
    dated = sorted({a[2] for a in raw if a[2] is not None})
    covered = [o for o in dated if plan.interest is None or _rate_days_or_why(plan, due, o)[1] is None]
    known = set(covered)
    return tuple(tuple(group) for group in (covered, [o for o in dated if o not in known]) if group)


def ledgers_by_day(plan: Plan, amount: Decimal, due: int, fees: Sequence[tuple[int, Decimal]],
                   payments: list[tuple[int, Decimal]], groups: tuple[tuple[int, ...], ...]) -> dict[int, Any]:
    """date ordinal -> the unrounded ledger state on it (see `_money.ledger_states`), or why the
    claim is unknown (a string)."""
    by_day: dict[int, Any] = {}
    for group, states in zip(groups, ledger_walks(plan, amount, due, fees, payments, groups)):
        if states is None:
            by_day.update((o, _rate_days_or_why(plan, due, o)[1]) for o in group)
        else:
            by_day.update(zip(group, states))
    return by_day


def ledger_walks(plan: Plan, amount: Decimal, due: int, fees: Sequence[tuple[int, Decimal]],
                 payments: list[tuple[int, Decimal]], groups: tuple[tuple[int, ...], ...]) -> list[Any]:
    """Per group of `ledger_groups`, the unrounded ledger state on each of its dates, or None
    when interest was needed for a day no rate covers."""
    interest_fn = _interest_fn(plan)
    out: list[Any] = []
    for group in groups:
        try:
            out.append(ledger_states(group, amount, due, ledger_events(fees, payments, group[-1]), plan.allocation,
                                     interest_fn))
        except RateError:
            out.append(None)
    return out


def rate_days_fn(plan: Plan) -> Callable[[int, int], int | None] | None:
    """Σ rate × days over (start, end] as `_rate_days_or_why` has it, or None where no rate is
    known (`_money.ledger_cents`' rate_days); None without an interest table.

    The usual one, from the table's running sums, is made once and kept on the plan; it holds
    the sums, not the plan, so that a plan stays free of reference cycles and is freed as soon
    as it is dropped (tests/test_batch_gc.py).  Others are made per call."""
    if plan.interest is None:
        return None
    found = plan.lines.get(("rate_days", None))
    if found is not None:
        return found  # type: ignore[no-any-return]
    sums = plan.interest.day_sums()
    if sums is None:
        return lambda start, end: _rate_days_or_why(plan, start, end)[0]
    first, running = sums
    size = len(running)

    def rate_days(start: int, end: int) -> int | None:  # one subtraction, as in _rate_days_or_why
        a, b = start + 1 - first, end - first + 1
        return running[b] - running[a] if a >= 0 and b < size else None

    plan.lines[("rate_days", None)] = rate_days
    return rate_days


def _interest_fn(plan: Plan) -> Callable[[Decimal, int, int], Decimal] | None:
    """Unrounded interest on a principal for the days in (start, end] from the plan's rate-days;
    made per walk (kept on the plan it would hold the plan in a reference cycle)."""
    if plan.interest is None:
        return None
    per = Decimal(10_000 * plan.day_count)  # rate-days are in hundredths of a percent

    def interest(principal: Decimal, start: int, end: int) -> Decimal:
        rate_days, why = _rate_days_or_why(plan, start, end)
        if why is not None:
            raise RateError("rate-missing", why.split(": ", 1)[1])
        return principal * rate_days / per  # type: ignore[operator]

    return interest


def _rate_days_or_why(plan: Plan, due: int, day: int) -> tuple[int | None, str | None]:
    """Σ rate×days from the due date to `day` (see `_rate_days`), or why it is unknown."""
    if day <= due:
        return 0, None
    sums = plan.interest.day_sums()  # type: ignore[union-attr]
    if sums is not None:  # the usual table: one subtraction
        first, running = sums
        start, end = due + 1 - first, day - first + 1
        if start >= 0 and end < len(running):
            return running[end] - running[start], None
        # Not covered, and the rows have no gap: `_rate_days` would name the first day after
        # the rows (or the first day of the span), whatever the rest of the span.
        last = first + len(running) - 2
        return None, _rows_end_at(plan, max(last + 1, due + 1) if day > last else due + 1)
    found = plan.factors.get((due, day))  # tables day_sums cannot serve
    if found is None:
        if len(plan.factors) >= MEMO_LIMIT:
            plan.factors.clear()
        try:
            found = plan.factors[(due, day)] = _rate_days(plan, due, day)
        except RateError as e:
            found = plan.factors[(due, day)] = f"{e.code}: {e.message}"
    return (None, found) if isinstance(found, str) else (found, None)


def _rows_end_at(plan: Plan, gap: int) -> str:
    """Why interest is unknown when the rate table's rows stop before the ordinal `gap` or
    start after it: `_rate_days`' message, made once per day named."""
    found = plan.factors.get(("gap", gap))  # type: ignore[call-overload]
    if found is None:
        table = plan.interest
        first, last = table.rows[0].valid_from, table.rows[-1].valid_to  # type: ignore[union-attr]
        found = plan.factors[("gap", gap)] = (  # type: ignore[index]
            f"rate-missing: no {table.name} row covers {dt.date.fromordinal(gap)} (rows cover "  # type: ignore[union-attr]
            f"{first}..{last}); add the period to the rate file")
    return found  # type: ignore[return-value]


_ZERO_MONEY = Decimal("0.00")


def evaluate(plan: Plan, case: Case | Mapping[str, Any], as_of: dt.date | None = None) -> Schedule:
    """The schedule of one case, as known on `as_of` (events after it are ignored).

    Pure: the same plan, case and as_of always give the same schedule.  Schedules
    are memoised inside the plan on exactly what evaluation reads (see `_Inputs`),
    so cases that share a due date and history cost one dictionary look-up.
    """
    if not isinstance(case, Case):
        case = case_from_data(case)
    if as_of is not None and as_of.__class__ is not dt.date:
        raise TypeError(f"as_of must be a datetime.date (or None), not {as_of.__class__.__name__} {as_of!r}")
    # The common case first, as `_actions` finds it: a schedule kept for the due date alone.
    # A pydantic model defines __getattr__, which takes every read of its attributes off the
    # interpreter's fast path; its fields are in its __dict__, read here once.
    fields = case.__dict__
    quiet = None
    if not fields["facts"] and fields["currency"] == plan.currency:
        quiet = not fields["events"] or quiet_events(plan, case, as_of)
        if quiet:
            found = plan.quiet.get(fields["due_date"])
            if found is not None:
                return Schedule(fields["id"], plan.ruleset, as_of, found[1], _with_claims, (plan, case, as_of))
    raw = _actions(plan, case, as_of, quiet)[1]
    return Schedule(case.id, plan.ruleset, as_of, raw, _with_claims, (plan, case, as_of))


def _with_claims(context: tuple[Plan, Case, dt.date | None], raw: tuple[Any, ...]) -> tuple[Action, ...]:
    # Claims depend on the amount and payments, so they are computed per case when the
    # actions are first read, not kept in the memo.
    plan, case, as_of = context
    return build_actions(plan, raw, claims(plan, case, as_of, raw))
