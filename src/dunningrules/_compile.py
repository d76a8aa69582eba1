"""Compile a Ruleset into a Plan: calendars resolved, expressions parsed and
type-checked, references bound, steps put in dependency order.

Everything that can be known without a case is decided here, once, so that
evaluating a case is table look-ups and a few closure calls.  Every problem
is collected as a located Finding; compile raises one RulesetError with all
of them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Callable

from . import _expr as ex
from ._calendar import Calendar, CalendarSpec, build_calendar, check_spec
from ._errors import CalendarError, Finding, RulesetError, did_you_mean
from ._fees import RULES as FEE_RULES
from ._fees import FeePlan
from ._model import Ruleset, Step
from ._rates import RateBook, RateError, RateTable
from ._schedule import RulesetRef
from ._schema import YAML11_BOOLEANS

# Names a condition may read besides facts, params, debtor, steps and events.
CASE_NAMES: dict[str, str] = {
    "outstanding": "number",   # amount minus payments made on or before the step's date
    "amount": "number",        # the claim as the case gives it
    "paid": "number",          # payments made on or before the step's date
    "days_overdue": "number",  # calendar days from the due date to the step's date
    "currency": "string",
}
DEBTOR_NAMES = {"name": "string", "language": "string", "kind": "string", "address": "string"}
STEP_STATUS_NAMES = ("planned", "skipped", "waiting")
# Words a step id may not be (or start with): expressions give them another meaning.
STEP_ID_RESERVED = frozenset({"facts", "params", "debtor", "event", *CASE_NAMES})
FACT_TYPES = {"boolean": (bool,), "number": (int, Decimal), "string": (str,)}


@dataclass(frozen=True, slots=True)
class Offsets:
    """Static offsets with parameters already substituted: ((unit, signed amount), ...)."""

    parts: tuple[tuple[str, int], ...]
    text: str


@dataclass(frozen=True, slots=True)
class DatePlan:
    """A parsed date expression: anchor (or max/min of sub-plans) then offsets."""

    kind: str                       # "due" | "step_date" | "step_deadline" | "event" | "max" | "min"
    ref: int | str | None           # step index, event name, or None
    args: tuple["DatePlan", ...]
    offsets: Offsets
    text: str = ""                  # canonical text (`describe_date`): a reason names max/min's parts by it


@dataclass(frozen=True, slots=True)
class StepPlan:
    index: int
    id: str
    action: str
    title: str | None
    at: DatePlan
    at_text: str
    roll: str
    when: Callable[[Any], bool] | None
    when_text: str | None
    when_steps: tuple[int, ...]      # steps whose status the condition reads
    when_by_date: bool               # the condition reads only days_overdue (and params): a function of it
    channels: tuple[str, ...]
    recipient: str
    legal_basis: str | None
    deadline: Offsets | None
    deadline_roll: str
    repeat_every: Offsets | None
    repeat_until: DatePlan | None
    repeat_max: int
    on_pause: str
    fee: FeePlan | None
    # Pure look-ups filled as cases are evaluated: anchor -> (raw, rolled) date of this step,
    # and date -> rolled deadline.  Ordinals only, so the garbage collector ignores them.
    dates: dict[int, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    deadlines: dict[int, int] = field(default_factory=dict, compare=False, repr=False)
    # (date, due date, the fee's required fact) -> (amount text or None, why not): a fee's price
    # reads nothing else (see FeePlan.price), and pricing reads rate tables, so it is done once.
    prices: dict[tuple[int, int, Any], tuple[str | None, str | None]] = field(
        default_factory=dict, compare=False, repr=False)
    # (anchor, k) -> (raw, rolled) date of occurrence k of a recurring step
    repeats: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    # days after the due date -> the condition's value, for a condition `when_by_date`
    decided: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactPlan:
    name: str
    type: str
    default: Any
    required: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled ruleset, ready to evaluate any number of cases."""

    ruleset: RulesetRef
    title: str
    currency: str
    calendar: Calendar
    steps: tuple[StepPlan, ...]      # in evaluation (dependency) order
    listed: tuple[StepPlan, ...]     # in the ruleset's order (index = StepPlan.index)
    facts: tuple[FactPlan, ...]
    pause_during: tuple[str, ...]
    stop_when_paid: bool
    source: Ruleset
    # What evaluation reads beyond the due date, payments-in-full, pauses and facts: a case's
    # schedule is a pure function of these, which is what makes `memo` valid.
    rates: RateBook | None           # the ruleset's rate file
    interest: RateTable | None       # late-payment interest, percent per year
    day_count: int
    allocation: tuple[str, ...]      # the order a payment pays fees, interest, principal
    reads_money: bool                # a condition reads amount, outstanding or paid
    debtor_attrs: tuple[str, ...]    # debtor attributes conditions read
    event_names: tuple[str, ...]     # events used as anchors or in conditions
    ruleset_json: str                # the schedule's "ruleset" object, serialised once
    counts_fees: bool = False        # some fee rule limits how many fees of its kind a case gets
    # The facts of a case that gives none (read-only, shared by every such case), and their
    # values as memo keys hold them; None when a fact is required.
    defaults: Mapping[str, Any] | None = None
    default_values: tuple[Any, ...] = ()
    no_events: tuple[None, ...] = ()  # the memo key's events of a case nothing has happened to
    # Every step anchored on the due date or one other step, not repeating, its condition (if
    # any) reading no step: a payment in full cuts the unpaid schedule (see _evaluate._cut_at)
    simple_steps: bool = False
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # due date -> (memo key, schedule) of a case that gives no facts and to which nothing it reads
    # has happened, on a plan that reads no amount and no debtor attribute: found by the due date
    quiet: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # (due, day) -> Σ rate×days in hundredths of a percent, or why it is unknown (see claims)
    factors: dict[tuple[int, int], int | str] = field(default_factory=dict, compare=False, repr=False)
    fragments: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # id(action) -> (the action, its fragments): schedules share most action tuples (see
    # _runners), so the batch finds them by identity, without hashing them (see _batch)
    fragments_by_id: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    # memo key -> what the batch path derives once from a memoised schedule (see _batch)
    lines: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # the steps in evaluation order as functions of a run (see _evaluate._runner), made once
    runners: list[Any] = field(default_factory=list, compare=False, repr=False)
    # the name of a fact a case gives -> the declared fact it is a misspelling of, or None (a
    # declared fact, or an undeclared one, which is ignored); decided once per name (see _evaluate)
    misspellings: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)


def content_sha256(data: Any) -> str:
    """sha256 of the ruleset's content as canonical JSON (comments and layout do not count)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()



# An offset (`due + 14 days`, a deadline, a repeat's step) spans at most a century: enough for any
# process and its limitation periods, and far from the ends of the date range (years 1..9999).
MAX_OFFSET_DAYS = 100 * 366
# Actions one schedule can hold: every step once, a repeating one up to its repeat.max. Bounds the
# work and output of one case (a hundred years of monthly letters is 1,200).
MAX_ACTIONS = 2_000
_DAYS_PER_UNIT = {"days": 1, "weeks": 7, "business_days": 2, "months": 31, "years": 366}  # at most


class _Compiler:
    def __init__(self, ruleset: Ruleset) -> None:
        self.rs = ruleset
        self.origin = ruleset._origin
        self.findings: list[Finding] = []
        self.index = {s.id: i for i, s in enumerate(ruleset.steps)}
        self.deps: dict[int, set[int]] = {i: set() for i in range(len(ruleset.steps))}
        self.reads: set[tuple[str, str]] = set()
        self.cond_steps: dict[int, set[int]] = {}
        self.by_date: set[int] = set()  # steps whose condition reads only days_overdue (and params)

    # -- locating -----------------------------------------------------------
    def error(self, code: str, message: str, pointer: tuple[str | int, ...], pos: int | None = None) -> None:
        """Record a finding at the node `pointer`, or at character `pos` of its text."""
        if self.origin is not None:  # the file that wrote the value: the ruleset's, or a base's
            f = self.origin.located.finding(code, message, pointer, pos=pos)
        else:
            f = Finding(code, message, "<ruleset>", 0, 0, pointer)
        self.findings.append(f)

    # -- offsets and dates --------------------------------------------------
    def offsets(self, offs: tuple[Any, ...], pointer: tuple[str | int, ...], base: int = 0) -> Offsets:
        parts: list[tuple[str, int]] = []
        for off in offs:
            amount = off.amount
            if off.param is not None:
                value = self.rs.parameters.get(off.param)
                if off.param not in self.rs.parameters:
                    self.error(
                        "unknown-parameter",
                        f"unknown parameter params.{off.param}{did_you_mean(off.param, list(self.rs.parameters))}",
                        pointer, off.pos + base,
                    )
                    continue
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    self.error(
                        "wrong-type",
                        f"params.{off.param} is used as a count of {off.unit.replace('_', ' ')} "
                        f"and must be a whole number >= 0, not {_yaml_value(value)}",
                        pointer, off.pos + base,
                    )
                    continue
                amount = value
            parts.append((off.unit, off.sign * amount))
        span = sum(abs(n) * _DAYS_PER_UNIT[unit] for unit, n in parts)
        if span > MAX_OFFSET_DAYS:
            self.error("offset-too-large", f"an offset may span at most {MAX_OFFSET_DAYS // 366} years; "
                       f"this one spans about {span // 366:,} years", pointer, (offs[0].pos if offs else 0) + base)
        return Offsets(tuple(parts), " ".join(ex.describe_offset(o) for o in offs))

    def date(self, node: Any, pointer: tuple[str | int, ...], owner: int | None) -> DatePlan:
        offsets = self.offsets(node.offsets, pointer)
        if isinstance(node, ex.DateExtreme):
            args = tuple(self.date(a, pointer, owner) for a in node.args)
            return DatePlan(node.fn, None, args, offsets, ex.describe_date(node))
        anchor = node.anchor
        text = ex.describe_date(node)
        if anchor.kind == "due":
            return DatePlan("due", None, (), offsets, text)
        if anchor.kind == "event":
            self.reads.add(("event", anchor.name))
            return DatePlan("event", anchor.name, (), offsets, text)
        idx = self.step_ref(anchor.name, pointer, anchor.pos, owner)
        if anchor.kind == "step_deadline" and idx >= 0 and self.rs.steps[idx].deadline is None:
            self.error(
                "no-deadline", f"step {anchor.name!r} has no deadline to count from", pointer, anchor.pos
            )
        return DatePlan(anchor.kind, idx, (), offsets, text)

    def step_ref(self, name: str, pointer: tuple[str | int, ...], pos: int, owner: int | None) -> int:
        idx = self.index.get(name)
        if idx is None:
            self.error(
                "unknown-step", f"unknown step {name!r}{did_you_mean(name, list(self.index))}", pointer, pos
            )
            return -1
        if owner is not None:
            self.deps[owner].add(idx)
        return idx

    def parse_date(self, text: str, pointer: tuple[str | int, ...], owner: int | None) -> DatePlan | None:
        try:
            node = ex.parse_date(text)
        except ex.ExprError as e:
            self.error(e.code, f"in {text!r}: {e.message}", pointer, e.pos)
            return None
        return self.date(node, pointer, owner)

    def parse_offsets(self, text: str, pointer: tuple[str | int, ...]) -> Offsets | None:
        """`14 days`, `6 months`: an offset list with no anchor (parsed as `due + TEXT`)."""
        prefix = "due + "
        if text.lstrip().startswith("-"):
            self.error("expr-syntax", f"in {text!r}: a length counts forward: write {text.lstrip()[1:].strip()!r}, "
                       "not a negative one", pointer, len(text) - len(text.lstrip()))
            return None
        try:
            node = ex.parse_date(prefix + text)
        except ex.ExprError as e:
            self.error(e.code, f"in {text!r}: {e.message}", pointer, max(0, e.pos - len(prefix)))
            return None
        if not isinstance(node, ex.DateTerm) or node.anchor.kind != "due":
            self.error("expr-syntax", f"{text!r} must be a length like '14 days', not a date", pointer)
            return None
        offs = self.offsets(node.offsets, pointer, -len(prefix))
        return Offsets(offs.parts, text.strip())

    # -- conditions ---------------------------------------------------------
    def condition(self, text: str, pointer: tuple[str | int, ...], owner: int) -> Callable[[Any], bool] | None:
        try:
            cond = ex.parse_condition(text)
            fn = ex.compile_condition(cond, lambda name: self.resolve(name, owner))
            # Nothing of the case but the step's date minus the due date: decided once per day count.
            names = ex.condition_names(cond)
            if names and all(n.parts[0] in ("days_overdue", "params") for n in names):
                self.by_date.add(owner)
            return fn
        except ex.ExprError as e:
            self.error(e.code, f"in {text!r}: {e.message}", pointer, e.pos)
            return None

    def resolve(self, name: Any, owner: int) -> tuple[Callable[[Any], Any], str]:
        parts = name.parts
        head, rest = parts[0], parts[1:]

        def unknown(what: str, options: list[str]) -> ex.ExprError:
            return ex.ExprError(
                "expr-unknown-name",
                f"unknown name {'.'.join(parts)}: {what}{did_you_mean(parts[-1], options)}",
                name.pos,
            )

        if not rest and head in CASE_NAMES:
            if head in ("amount", "outstanding", "paid"):
                self.reads.add(("money", head))
            return _CASE_GETTERS[head], CASE_NAMES[head]
        if head == "facts" and len(rest) == 1:
            decl = self.rs.facts.get(rest[0])
            if decl is None:
                raise unknown("facts must be declared under `facts:`", list(self.rs.facts))
            key = rest[0]
            return (lambda s: s.facts.get(key)), decl.type
        if head == "params" and len(rest) == 1:
            if rest[0] not in self.rs.parameters:
                raise ex.ExprError("unknown-parameter", f"unknown parameter params.{rest[0]}"
                                   f"{did_you_mean(rest[0], list(self.rs.parameters))}", name.pos)
            value = self.rs.parameters[rest[0]]
            kind = "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"
            return (lambda s: value), kind
        if head == "debtor" and len(rest) == 1:
            if rest[0] not in DEBTOR_NAMES:
                raise unknown("debtor has " + ", ".join(DEBTOR_NAMES), list(DEBTOR_NAMES))
            attr = rest[0]
            self.reads.add(("debtor", attr))
            return (lambda s: s.debtor_attr(attr)), DEBTOR_NAMES[attr]
        if head == "event" and len(rest) == 1:
            event = rest[0]
            self.reads.add(("event", event))
            return (lambda s: s.event_happened(event)), "boolean"
        if head in self.index and len(rest) == 1:
            if rest[0] not in STEP_STATUS_NAMES:
                raise unknown("a step has planned, skipped, waiting", list(STEP_STATUS_NAMES))
            idx = self.index[head]
            self.deps[owner].add(idx)
            self.cond_steps.setdefault(owner, set()).add(idx)
            status = rest[0]
            return (lambda s: s.step_status(idx) == status), "boolean"
        options = [*CASE_NAMES, "facts", "params", "debtor", "event", *self.index]
        close = difflib.get_close_matches(head, options, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ex.ExprError(
            "expr-unknown-name",
            f"unknown name {'.'.join(parts)}: not a case value, fact, parameter, debtor attribute, "
            f"event or step{hint}",
            name.pos,
        )

    # -- whole ruleset ------------------------------------------------------
    def calendar(self) -> Calendar | None:
        c = self.rs.calendar
        spec = CalendarSpec(c.country, tuple(c.categories), tuple(c.closed), tuple(c.weekend))
        problems = check_spec(spec)
        for fld, code, message in problems:
            pointer: tuple[str | int, ...] = ("calendar", fld)
            items = getattr(spec, fld, ())
            # Point at the offending item of a list, not at the list.
            for i, item in enumerate(items if isinstance(items, tuple) else ()):
                if f'"{item}"' in message or f"'{item}'" in message:
                    pointer = ("calendar", fld, i)
                    break
            self.error(code, message, pointer)
        if c.country != self.rs.jurisdiction:
            self.error(
                "calendar-country",
                f"calendar.country {c.country!r} differs from jurisdiction {self.rs.jurisdiction!r}: "
                "a process sends and files on the business days of its own country",
                ("calendar", "country"),
            )
        if problems:
            return None
        try:
            return build_calendar(spec)
        except CalendarError as e:
            self.error(e.code, e.message, ("calendar",))
            return None

    def facts(self) -> tuple[FactPlan, ...]:
        out = []
        for name, decl in self.rs.facts.items():
            has_default = "default" in decl.model_fields_set
            if has_default and not isinstance(decl.default, FACT_TYPES[decl.type]) or (
                decl.type == "number" and isinstance(decl.default, bool)
            ):
                hint = ""
                if decl.type == "boolean" and str(decl.default).lower() in YAML11_BOOLEANS:
                    hint = "; only true and false are booleans here"
                self.error(
                    "wrong-type",
                    f"facts.{name}.default must be a {decl.type}, not {_yaml_value(decl.default)}{hint}",
                    ("facts", name, "default"),
                )
            out.append(FactPlan(name, decl.type, decl.default, not has_default))
        return tuple(out)

    def step(self, i: int, step: Step) -> StepPlan | None:
        p: tuple[str | int, ...] = ("steps", i)
        if step.id in STEP_ID_RESERVED or step.id.split("-")[0] in ex.RESERVED_NAMES:
            self.error("reserved-id", f"{step.id!r} cannot be a step id: expressions would read it as "
                       f"{step.id.split('-')[0]!r}; choose another name", (*p, "id"))
        at = self.parse_date(step.at, (*p, "at"), i)
        when = self.condition(step.when, (*p, "when"), i) if step.when is not None else None
        deadline = self.parse_offsets(step.deadline.after, (*p, "deadline", "after")) if step.deadline else None
        every = until = None
        if step.repeat is not None:
            every = self.parse_offsets(step.repeat.every, (*p, "repeat", "every"))
            until = self.parse_date(step.repeat.until, (*p, "repeat", "until"), i)
            if every is not None and not (every.parts and all(n > 0 for _, n in every.parts)):
                self.error("invalid-value", "repeat.every must move forward in time", (*p, "repeat", "every"))
        if at is None:
            return None
        return StepPlan(
            index=i,
            id=step.id,
            action=step.action,
            title=step.title,
            at=at,
            at_text=" ".join(step.at.split()),
            roll=step.roll or self.rs.defaults.roll,
            when=when,
            when_text=step.when,
            when_steps=tuple(sorted(self.cond_steps.get(i, ()))),
            when_by_date=when is not None and i in self.by_date,
            channels=tuple(step.channels),
            recipient=step.recipient or self.rs.defaults.recipient,
            legal_basis=step.legal_basis,
            deadline=deadline,
            deadline_roll=step.deadline.roll if step.deadline else "none",
            repeat_every=every,
            repeat_until=until,
            repeat_max=step.repeat.max if step.repeat else 1,
            on_pause=step.on_pause or self.rs.pause.policy,
            fee=self.fee(i, step) if step.fee is not None else None,
        )

    # -- money ---------------------------------------------------------------
    @property
    def book(self) -> RateBook | None:
        return None if self.origin is None else self.origin.rates

    def rate_table(self, name: str, pointer: tuple[str | int, ...], unit: str | None = None) -> RateTable | None:
        if self.book is None:
            self.error("rates-unavailable", f"{name!r} is a rate table, but the ruleset names no rate file "
                       "(add `rates: rates.yaml`)", pointer)
            return None
        try:
            table = self.book.table(name)
        except RateError as e:
            self.error(e.code, e.message, pointer)
            return None
        if unit is not None and table.unit != unit:
            self.error("wrong-type", f"rate table {name!r} is in {table.unit}, not {unit}", pointer)
            return None
        return table

    def fee(self, i: int, step: Step) -> FeePlan | None:
        fee = step.fee
        p: tuple[str | int, ...] = ("steps", i, "fee")
        rules = FEE_RULES.get(self.rs.jurisdiction, {})
        rule = rules.get(fee.kind)  # type: ignore[union-attr]
        if rule is None:
            allowed = ", ".join(rules) or "none"
            self.error("fee-not-allowed", f"{self.rs.jurisdiction} has no {fee.kind} fee "  # type: ignore[union-attr]
                       f"(fees it allows: {allowed})", (*p, "kind"))
            return None
        if (fee.amount is None) == (fee.rate is None):  # type: ignore[union-attr]
            self.error("fee-invalid", "a fee has either `amount` (fixed) or `rate` with `fraction`, not both "
                       "or neither", p)
            return None
        if fee.fraction is not None and fee.rate is None:  # type: ignore[union-attr]
            self.error("fee-invalid", "`fraction` goes with `rate`", (*p, "fraction"))
            return None
        fraction = Fraction(fee.fraction or "1")  # type: ignore[union-attr]
        if self.book is None and (rule.rate or rule.cap_table):
            self.error("rates-unavailable", f"a {fee.kind} fee is capped by the rate table "  # type: ignore[union-attr]
                       f"{rule.rate or rule.cap_table!r} ({rule.basis}); name the rate file with `rates:`", p)
            return None
        if fee.rate is not None and self.rate_table(fee.rate, (*p, "rate"), unit=self.rs.currency) is None:  # type: ignore[union-attr]
            return None
        plan = FeePlan(fee.kind, rule, fee.amount, fee.rate, fraction)  # type: ignore[union-attr]
        self.check_fee_statically(plan, i, step, p)
        return plan

    def check_fee_statically(self, plan: FeePlan, i: int, step: Step, p: tuple[str | int, ...]) -> None:
        rule = plan.rule
        if rule.max_fraction is not None and plan.rate == rule.rate and plan.fraction > rule.max_fraction:
            self.error("fee-above-cap", f"{plan.fraction} of {plan.rate} is more than the "
                       f"{rule.max_fraction} {rule.basis} allows", (*p, "fraction"))
        cap_table = rule.cap_table or rule.rate
        if plan.amount is not None and cap_table is not None and self.book is not None:
            table = self.rate_table(cap_table, (*p, "amount"))
            if table is not None:
                factor = rule.max_fraction if rule.cap_table is None else 1
                highest = max(row.value for row in table.rows) * Decimal(factor.numerator) / factor.denominator \
                    if isinstance(factor, Fraction) else max(row.value for row in table.rows)
                if plan.amount > highest:
                    self.error("fee-above-cap", f"{plan.amount} is above every cap {rule.basis} has set "
                               f"(at most {highest.quantize(Decimal('0.01'))})", (*p, "amount"))
        if rule.requires_fact is not None:
            decl = self.rs.facts.get(rule.requires_fact)
            if decl is None or decl.type != "boolean":
                self.error("fee-needs-fact", f"a {plan.kind} fee needs the boolean fact "
                           f"facts.{rule.requires_fact} declared under `facts:` ({rule.basis}: only when agreed)",
                           (*p, "kind"))
        if rule.min_days_after_due:
            days = _days_after_due(step)
            # Whatever the roll: a fee that is lawful only when a weekend or holiday happens to push
            # the notice late enough breaks the rule on every ordinary day.
            if days is not None and days < rule.min_days_after_due:
                self.error("fee-too-early", f"this step goes out {days} days after the due date; {rule.basis} "
                           f"allows a {plan.kind.replace('_', ' ')} fee only at least {rule.min_days_after_due} "
                           "days after it", (*p, "kind"))
        if rule.max_count is not None:
            same = [s for s in self.rs.steps if s.fee is not None and s.fee.kind == plan.kind]
            count = sum(s.repeat.max if s.repeat else 1 for s in same)
            if count > rule.max_count and same[-1] is step:
                self.error("fee-too-many", f"{count} fee-bearing {plan.kind.replace('_', ' ')}s; {rule.basis} "
                           f"allows at most {rule.max_count}", (*p, "kind"))

    def rates_match(self) -> None:
        book = self.book
        if book is None:
            return
        theirs, ours = (book.jurisdiction, book.currency), (self.rs.jurisdiction, self.rs.currency)
        if theirs != ours:
            self.error("rates-mismatch", f"the rate file {book.path} is for {'/'.join(theirs)}, the ruleset "
                       f"for {'/'.join(ours)}", ("rates",))

    def interest(self) -> RateTable | None:
        if self.rs.interest is None:
            return None
        return self.rate_table(self.rs.interest.table, ("interest", "table"), unit="percent")

    def order(self) -> list[int] | None:
        """Steps in dependency order (stable: listed order where free); None on a cycle, after
        reporting every cycle the walk meets (each set of steps once)."""
        n = len(self.rs.steps)
        state = [0] * n  # 0 new, 1 on stack, 2 done
        out: list[int] = []
        cycles: set[frozenset[int]] = set()
        for root in range(n):
            if state[root]:
                continue
            stack: list[tuple[int, list[int]]] = [(root, sorted(self.deps[root]))]
            state[root] = 1
            while stack:
                node, todo = stack[-1]
                if todo:
                    nxt = todo.pop(0)
                    if nxt < 0:
                        continue
                    if state[nxt] == 1:
                        cycle = [s for s, _ in stack]
                        cycle = cycle[cycle.index(nxt):] + [nxt]
                        if frozenset(cycle) not in cycles:
                            cycles.add(frozenset(cycle))
                            names = " -> ".join(self.rs.steps[c].id for c in cycle)
                            self.error("step-cycle", f"steps depend on each other in a circle: {names}",
                                       ("steps", nxt, "at"))
                        continue
                    if state[nxt] == 0:
                        state[nxt] = 1
                        stack.append((nxt, sorted(self.deps[nxt])))
                    continue
                state[node] = 2
                out.append(node)
                stack.pop()
        return None if cycles else out

    def run(self) -> Plan:
        seen: dict[str, int] = {}
        for i, step in enumerate(self.rs.steps):
            if step.id in seen:
                self.error(
                    "duplicate-step",
                    f"step id {step.id!r} is already used by step {seen[step.id] + 1}",
                    ("steps", i, "id"),
                )
            seen.setdefault(step.id, i)
        most = sum(step.repeat.max if step.repeat else 1 for step in self.rs.steps)
        if most > MAX_ACTIONS:
            self.error("too-many-actions", f"a schedule of this ruleset could hold {most:,} actions (its steps and "
                       f"their repeat.max); the limit is {MAX_ACTIONS:,}", ("steps",))
        calendar = self.calendar()
        facts = self.facts()
        self.rates_match()
        interest = self.interest()
        if sorted(self.rs.allocation) != ["fees", "interest", "principal"]:
            self.error("invalid-value", "allocation lists fees, interest and principal, each once, in the "
                       "order a payment pays them", ("allocation",))
        plans = [self.step(i, s) for i, s in enumerate(self.rs.steps)]
        order = self.order()
        if self.findings or calendar is None or order is None:
            raise RulesetError(self.findings)
        origin = self.origin
        sha = origin.sha256 if origin is not None else content_sha256(self.rs.model_dump(mode="json"))
        ref = RulesetRef(self.rs.id, self.rs.version, sha)
        events = tuple(sorted(n for kind, n in self.reads if kind == "event"))
        debtor_attrs = tuple(sorted(n for kind, n in self.reads if kind == "debtor"))
        reads_money = any(kind == "money" for kind, _ in self.reads)
        return Plan(
            ruleset=ref,
            ruleset_json=json.dumps(ref.to_dict(), ensure_ascii=False, separators=(",", ":")),
            title=self.rs.title,
            currency=self.rs.currency,
            calendar=calendar,
            steps=tuple(plans[i] for i in order),  # type: ignore[misc]
            listed=tuple(plans),  # type: ignore[arg-type]
            facts=facts,
            pause_during=tuple(self.rs.pause.during),
            stop_when_paid="paid" in self.rs.stop_when,
            source=self.rs,
            rates=self.book,
            interest=interest,
            day_count=self.rs.interest.day_count if self.rs.interest else 365,
            allocation=tuple(self.rs.allocation),
            reads_money=reads_money,
            debtor_attrs=debtor_attrs,
            event_names=events,
            counts_fees=any(p.fee is not None and p.fee.rule.max_count is not None for p in plans),  # type: ignore[union-attr]
            defaults=None if any(f.required for f in facts) else MappingProxyType({f.name: f.default for f in facts}),
            default_values=tuple(f.default for f in facts),
            no_events=(None,) * len(events),
            simple_steps=all(p.at.kind in ("due", "step_date", "step_deadline") and p.repeat_every is None
                             and not p.when_steps for p in plans),  # type: ignore[union-attr]
        )


def _yaml_value(value: Any) -> str:
    """A value as a ruleset writes it (1.5, true, 'text'), for messages; never a Python repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _days_after_due(step: Step) -> int | None:
    """Calendar days from the due date when `at` is `due` plus/minus days and weeks only."""
    try:
        node = ex.parse_date(step.at)
    except ex.ExprError:
        return None
    if not isinstance(node, ex.DateTerm) or node.anchor.kind != "due":
        return None
    days = 0
    for off in node.offsets:
        if off.amount is None or off.unit not in ("days", "weeks"):
            return None
        days += off.sign * off.amount * (7 if off.unit == "weeks" else 1)
    return days


def _getter(attr: str) -> Callable[[Any], Any]:
    return lambda scope: getattr(scope, attr)


_CASE_GETTERS = {name: _getter(name) for name in CASE_NAMES}


def compile(ruleset: Ruleset) -> Plan:  # noqa: A001 - the pipeline's verb
    """Compile a ruleset once; evaluate many cases against the Plan."""
    return _Compiler(ruleset).run()
