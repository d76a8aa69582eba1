"""Statutory lint: check a ruleset against its jurisdiction's policy.

A *policy* is data (``rulesets/policies/no.yaml``, ``se.yaml``): a list of
rules, each with a stable ``code``, a ``message``, its ``legal_basis``, a
``kind`` and the ``params`` of that kind.  :func:`lint` checks a ruleset two
ways:

* statically, from the compiled steps (a deadline of ``10 days`` on an
  inkassovarsel, a deadline rolled ``preceding``, a step that is never
  preceded by the step the law requires);
* dynamically, by scheduling a grid of synthetic cases (:func:`grid`): every
  day of the given years as the due date (so every weekday and every day in
  and around each holiday cluster of the ruleset's and the statutory
  calendar), with the facts' defaults and each boolean fact flipped, with a
  dispute pause, and with each event the ruleset reads.

Each (rule code, step) is reported once, located at the step in the ruleset
file, with the first grid case that breaks it as the example.  Lint works on a
ruleset that has already loaded (validated and compiled), so validation errors
always come first: lint findings never hide them.

Rule kinds (one small function each; ``action`` may be one action type or a
list, ``fee`` one fee kind or a list):

``min_deadline`` {action, days, roll_must_not_shorten: true}
    every planned ``action`` has a deadline at least ``days`` calendar days
    after its date; statically the deadline's offsets (days and weeks) give at
    least ``days`` and its roll is not ``preceding``/``modified_following``.
    With ``roll_must_not_shorten: false`` a roll may shorten: the roll is not
    checked and the deadline is measured before it is rolled.
``after_deadline_of`` {action, of}
    every planned ``action`` is dated after the deadline of the latest planned
    ``of`` action on or before it (after its date, if it has no deadline).
``min_days_after`` {action, of, days}
    every planned ``action`` is at least ``days`` days after the earliest
    planned ``of`` action.
``min_days_after_due`` {action, days, strict: false}
    every planned ``action`` is at least ``days`` (``strict``: more than
    ``days``) days after the due date; statically for ``at: due + N days``.
``requires`` {action, requires}
    wherever ``action`` is planned, ``requires`` is planned on or before it;
    statically, a ruleset with ``action`` and no ``requires`` step at all.
``fee_min_days_after_due`` {fee, days}, ``fee_max_count`` {fee, count},
``fee_cap`` {fee, table, fraction: 1}
    a charged fee of that kind is sent at least ``days`` after the due date;
    at most ``count`` are charged per case; it is at most ``fraction`` of the
    rate table's value in force on its date (the ruleset's rate file).  The
    engine already refuses or skips such fees (``_fees``), so these are
    regression guards: they find nothing in a ruleset that loads.

``rulesets/policies/`` sits beside the shipped rulesets in the source tree:
:func:`policy_for` reads it from there.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ._calendar import SHIPPED_CALENDARS, Calendar, build_calendar
from ._compile import Offsets, Plan, StepPlan
from ._compile import compile as compile_ruleset
from ._compile import _days_after_due
from ._errors import Finding, JsonPath, RulesetError, did_you_mean
from ._evaluate import _shift, evaluate
from ._fees import RULES as FEE_RULES
from ._load import load_ruleset, read_bounded
from ._model import ACTION_TYPES, CUSTOM, Case, Event, Ruleset
from ._money import round_money
from ._rates import RateError
from ._yaml import Located, load_yaml

# The shipped policies: inside the installed package (the wheel copies rulesets/policies there,
# see pyproject.toml), else in the source tree this module sits in.
_PACKAGED = Path(__file__).resolve().parent / "policies"
POLICY_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[2] / "rulesets" / "policies"
POLICY_VERSION = 1
JURISDICTIONS = ("NO", "SE", "DK", "FI")
DEFAULT_YEARS = (2026, 2027)
AMOUNT = Decimal("10000.00")  # the claim of every synthetic case
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
_CUSTOM = re.compile(CUSTOM)
_SHORTENING_ROLLS = ("preceding", "modified_following")


# ----------------------------------------------------------------------------- policy data

@dataclass(frozen=True)
class PolicyRule:
    """One statutory rule: ``params`` are checked and normalised (action lists are tuples)."""

    code: str
    kind: str
    message: str
    legal_basis: str
    params: Mapping[str, Any]
    path: str = "<policy>"
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Policy:
    """A jurisdiction's statutory rules, in the order the file lists them."""

    jurisdiction: str
    rules: tuple[PolicyRule, ...]
    title: str | None = None
    path: str = "<policy>"


@dataclass(frozen=True)
class LintFinding:
    """A rule a ruleset breaks, located at the step that breaks it.

    ``example`` is None for a finding seen only statically, else a dict:
    ``case`` (JSON-ready, for ``dunningrules schedule``), ``step``, ``action``,
    ``date`` and ``deadline`` of the offending action (ISO dates or None), and
    ``related`` (the same for the action it was measured against, or None).
    """

    code: str
    message: str
    legal_basis: str
    path: str
    line: int
    col: int
    pointer: JsonPath
    step: str
    example: dict[str, Any] | None = None

    def __str__(self) -> str:
        return str(self.finding)

    @property
    def finding(self) -> Finding:
        """As a plain Finding (message, legal basis and example in one line), for renderers of
        ``PATH:LINE:COL: CODE: message``."""
        text = f"{self.message} ({self.legal_basis})"
        if self.example:
            text += f"; e.g. {describe_example(self.example)}"
        return Finding(self.code, text, self.path, self.line, self.col, self.pointer)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "legal_basis": self.legal_basis,
                "path": self.path, "line": self.line, "col": self.col, "pointer": list(self.pointer),
                "step": self.step, "example": self.example}


def describe_example(example: Mapping[str, Any]) -> str:
    """`case due 2026-01-05: collection-notice on 2026-01-20, deadline 2026-01-30 (...)`."""
    case = example["case"]
    extra = [f"{e['type']} {e['date']}" for e in case.get("events", [])]
    extra += [f"facts.{k}={'true' if v is True else 'false' if v is False else v}"
              for k, v in case.get("facts", {}).items()]
    text = f"case due {case['due_date']}" + (f" ({', '.join(extra)})" if extra else "")
    text += f": {_describe_action(example)}"
    related = example.get("related")
    if related:
        text += f"; {_describe_action(related)}"
    return text


def _describe_action(a: Mapping[str, Any]) -> str:
    text = f"{a['step']} on {a['date']}"
    if a.get("deadline"):
        text += f", deadline {a['deadline']}"
    if a.get("fee") is not None:
        text += f", fee {a['fee']}"
    return text


# ----------------------------------------------------------------------------- loading policies

# Param kinds: how a value is checked and normalised.
_ACTIONS, _ACTION, _DAYS, _BOOL, _FEES, _TEXT, _FRACTION = (
    "actions", "action", "days", "boolean", "fees", "text", "fraction")
_WANT = {
    _ACTIONS: "an action type or a list of action types",
    _ACTION: "an action type",
    _DAYS: "a whole number >= 0",
    _BOOL: "true or false",
    _FEES: "a fee kind or a list of fee kinds",
    _TEXT: "a text",
    _FRACTION: "a fraction like 1/20",
}
_REQUIRED = object()


@dataclass(frozen=True)
class _Kind:
    params: Mapping[str, tuple[str, Any]]  # name -> (param kind, default or _REQUIRED)
    pointer: tuple[str, ...]               # where in a step a dynamic finding points
    static: Callable[[PolicyRule, Plan], Iterable[tuple[int, JsonPath, str]]] | None
    dynamic: Callable[[PolicyRule, "_Ctx"], Iterable[tuple["_Act", str, "_Act | None"]]] | None


def _top_keys(located: Located, data: dict, findings: list[Finding]) -> None:
    allowed = ("dunningrules-policy", "jurisdiction", "title", "description", "rules")
    for key in data:
        if key not in allowed:
            findings.append(located.finding(
                "policy-unknown-key", f"unknown key {key!r}{did_you_mean(key, allowed)} "
                f"(allowed: {', '.join(allowed)})", (key,), key=True))
    for key in ("dunningrules-policy", "jurisdiction", "rules"):
        if key not in data:
            findings.append(located.finding("policy-missing-key", f"{key!r} is required", ()))


def parse_policy(text: str | bytes, path: str = "<policy>") -> Policy:
    """A policy from YAML text; RulesetError lists every problem, located."""
    located = load_yaml(text, path)
    data = located.data
    if not isinstance(data, dict):
        raise RulesetError([located.finding(
            "policy-invalid", "a policy is a YAML mapping with keys dunningrules-policy, jurisdiction and rules")])
    findings: list[Finding] = []
    _top_keys(located, data, findings)
    version = data.get("dunningrules-policy", POLICY_VERSION)
    if version != POLICY_VERSION or isinstance(version, bool):
        findings.append(located.finding("policy-version", f"dunningrules-policy must be {POLICY_VERSION}, "
                                        f"not {version!r}", ("dunningrules-policy",)))
    jurisdiction = data.get("jurisdiction", "")
    if "jurisdiction" in data and jurisdiction not in JURISDICTIONS:
        findings.append(located.finding(
            "policy-wrong-type", f"jurisdiction must be one of {', '.join(JURISDICTIONS)} (quoted: \"NO\"), "
            f"not {jurisdiction!r}{did_you_mean(str(jurisdiction), JURISDICTIONS)}", ("jurisdiction",)))
    for key in ("title", "description"):
        if key in data and not isinstance(data[key], str):
            findings.append(located.finding("policy-wrong-type", f"{key} must be a text", (key,)))
    raw_rules = data.get("rules", [])
    rules: list[PolicyRule] = []
    if not isinstance(raw_rules, list):
        findings.append(located.finding("policy-wrong-type", "rules must be a list of rules", ("rules",)))
        raw_rules = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rules):
        rule = _rule(located, i, raw, str(jurisdiction), findings)
        if rule is None:
            continue
        if rule.code in seen:
            findings.append(located.finding(
                "policy-duplicate-code", f"rule code {rule.code!r} is already used by rule {seen[rule.code] + 1}",
                ("rules", i, "code")))
        seen.setdefault(rule.code, i)
        rules.append(rule)
    if findings:
        raise RulesetError(findings)
    title = data.get("title")
    return Policy(str(jurisdiction), tuple(rules), title, path)


def _rule(located: Located, i: int, raw: Any, jurisdiction: str, findings: list[Finding]) -> PolicyRule | None:
    p: JsonPath = ("rules", i)
    if not isinstance(raw, dict):
        findings.append(located.finding("policy-wrong-type", "a rule is a mapping with code, kind, message, "
                                        "legal_basis and params", p))
        return None
    allowed = ("code", "kind", "message", "legal_basis", "params", "notes")
    before = len(findings)
    for key in raw:
        if key not in allowed:
            findings.append(located.finding(
                "policy-unknown-key", f"unknown key {key!r} in rules.{i}{did_you_mean(key, allowed)} "
                f"(allowed: {', '.join(allowed)})", (*p, key), key=True))
    for key in ("code", "kind", "message", "legal_basis", "params"):
        if key not in raw:
            findings.append(located.finding("policy-missing-key", f"rules.{i} needs {key!r}", p))
    for key in ("code", "kind", "message", "legal_basis", "notes"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            findings.append(located.finding("policy-wrong-type", f"rules.{i}.{key} must be a text", (*p, key)))
    code = raw.get("code")
    if isinstance(code, str) and code.strip() and not _CODE.fullmatch(code):
        findings.append(located.finding(
            "policy-wrong-type", f"rule code {code!r} must be upper case words joined by '-', like "
            "NO-INKASSOVARSEL-14D", (*p, "code")))
    kind_name = raw.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if isinstance(kind_name, str) and kind_name.strip() and kind is None:
        findings.append(located.finding(
            "policy-unknown-kind", f"unknown rule kind {kind_name!r}{did_you_mean(kind_name, KINDS)} "
            f"(kinds: {', '.join(KINDS)})", (*p, "kind")))
    params_raw = raw.get("params", {})
    if not isinstance(params_raw, dict):
        findings.append(located.finding("policy-wrong-type", f"rules.{i}.params must be a mapping", (*p, "params")))
        params_raw = {}
    params: dict[str, Any] = {}
    if kind is not None:
        for name in params_raw:
            if name not in kind.params:
                findings.append(located.finding(
                    "policy-unknown-param", f"{kind_name} has no parameter {name!r}"
                    f"{did_you_mean(name, kind.params)} (parameters: {', '.join(kind.params)})",
                    (*p, "params", name), key=True))
        for name, (ptype, default) in kind.params.items():
            if name not in params_raw:
                if default is _REQUIRED:
                    findings.append(located.finding(
                        "policy-missing-param", f"{kind_name} needs the parameter {name!r} "
                        f"({_WANT[ptype]})", (*p, "params")))
                else:
                    params[name] = default
                continue
            value = _param(located, (*p, "params", name), name, ptype, params_raw[name], jurisdiction, findings)
            if value is not None:
                params[name] = value
    if len(findings) > before:
        return None
    line, col = located.where(p)
    return PolicyRule(code, kind_name, " ".join(raw["message"].split()), " ".join(raw["legal_basis"].split()),
                      MappingProxyType(params), located.path, line, col)


def _param(located: Located, pointer: JsonPath, name: str, ptype: str, value: Any, jurisdiction: str,
           findings: list[Finding]) -> Any:
    def wrong(extra: str = "") -> None:
        findings.append(located.finding("policy-wrong-type", f"{name} must be {_WANT[ptype]}, not {value!r}{extra}",
                                        pointer))

    if ptype in (_ACTIONS, _ACTION, _FEES):
        items = value if isinstance(value, list) and ptype != _ACTION else [value]
        if not items or not all(isinstance(v, str) for v in items):
            wrong()
            return None
        if ptype == _FEES:
            known = tuple(FEE_RULES.get(jurisdiction, {}))
            code, what = "policy-unknown-fee", f"{jurisdiction} fee kind"
        else:
            known = ACTION_TYPES
            code, what = "policy-unknown-action", "action type"
        ok = True
        for j, v in enumerate(items):
            if v not in known and not (ptype != _FEES and _CUSTOM.fullmatch(v)):
                where = pointer + (j,) if isinstance(value, list) else pointer
                findings.append(located.finding(
                    code, f"unknown {what} {v!r}{did_you_mean(v, known)}", where))
                ok = False
        if not ok:
            return None
        return items[0] if ptype == _ACTION else tuple(items)
    if ptype == _DAYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            wrong()
            return None
        return value
    if ptype == _BOOL:
        if not isinstance(value, bool):
            wrong("; only true and false are booleans here")
            return None
        return value
    if ptype == _TEXT:
        if not isinstance(value, str) or not value:
            wrong()
            return None
        return value
    # _FRACTION: 1, "1/20" or 1/20 written plain (a string to our YAML loader)
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError
        frac = Fraction(value)
        if frac <= 0:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        wrong()
        return None
    return frac


def load_policy(path: str | Path) -> Policy:
    """Load and check the policy file at `path`; RulesetError with located findings."""
    return parse_policy(read_bounded(path), str(path))


@functools.lru_cache(maxsize=8)
def policy_for(jurisdiction: str) -> Policy:
    """The shipped policy of a jurisdiction (``rulesets/policies/<xx>.yaml``)."""
    target = POLICY_DIR / f"{jurisdiction.lower()}.yaml"
    if not target.is_file():
        shipped = sorted(p.stem.upper() for p in POLICY_DIR.glob("*.yaml")) if POLICY_DIR.is_dir() else []
        raise RulesetError([Finding("policy-unavailable", f"no statutory policy for {jurisdiction!r} "
                                    f"(shipped: {', '.join(shipped) or 'none'}; looked for {target})",
                                    str(target), 0, 0)])
    return load_policy(target)


# ----------------------------------------------------------------------------- the grid

def grid(plan: Plan, years: Iterable[int] = DEFAULT_YEARS, *, disputes: bool = True,
         events: bool = True, facts: bool = True) -> list[Case]:
    """Synthetic cases: every day of `years` as the due date (every weekday, weekends, every day of
    every holiday cluster) with the facts' defaults; the same with each boolean fact flipped
    (`facts`), with a dispute from due + 12 to due + 16 days (`disputes`, when the ruleset pauses
    on disputes) and with each event the ruleset reads happening at due + 21 days (`events`)."""
    years = sorted(set(years))
    dues = _due_dates(plan, years)
    # Required facts get a value by type; the others are left to the ruleset's defaults.
    base_facts = {f.name: _REQUIRED_FACT[f.type] for f in plan.facts if f.required}
    variants: list[tuple[str, dict[str, Any], tuple[tuple[str, int], ...]]] = [("", base_facts, ())]
    if facts:
        for f in plan.facts:
            if f.type == "boolean":
                value = base_facts[f.name] if f.required else f.default
                variants.append((f"-{f.name}", {**base_facts, f.name: not value}, ()))
    if disputes and "dispute" in plan.pause_during:
        variants.append(("-dispute", base_facts, (("dispute_opened", 12), ("dispute_resolved", 16))))
    if events:
        for name in plan.event_names:
            if name not in ("payment", "dispute_opened", "dispute_resolved"):
                variants.append((f"-{name}", base_facts, ((name, 21),)))
    out = []
    one = dt.timedelta(days=1)
    for suffix, fact_values, evs in variants:
        for due in dues:
            out.append(Case(
                id=f"lint-{due.isoformat()}{suffix}", due_date=due, amount=AMOUNT, currency=plan.currency,
                facts=fact_values,
                events=[Event(type=t, date=due + n * one) for t, n in evs]))
    return out


def _due_dates(plan: Plan, years: list[int]) -> list[dt.date]:
    """Every day of the years, in order; then, for a holiday cluster (a run of closed days with a
    holiday in it, of the ruleset's calendar or the jurisdiction's statutory one) that straddles a
    year's edge, the cluster's days (and the day either side) outside the years."""
    days: list[dt.date] = []
    for y in years:
        d, end = dt.date(y, 1, 1), dt.date(y, 12, 31)
        while d <= end:
            days.append(d)
            d += dt.timedelta(days=1)
    inside = set(days)
    extra: set[dt.date] = set()
    for cal in _calendars(plan):
        for y in years:
            start, end = dt.date(y, 1, 1), dt.date(y, 12, 31)
            for h, _name in cal.holidays_in(max(cal.first, start), min(cal.last, end)):
                lo = hi = h.toordinal()
                while lo - 1 > cal.first.toordinal() and not cal.is_business_ordinal(lo - 1):
                    lo -= 1
                while hi + 1 < cal.last.toordinal() and not cal.is_business_ordinal(hi + 1):
                    hi += 1
                extra.update(dt.date.fromordinal(o) for o in range(lo - 1, hi + 2))
    return days + sorted(extra - inside)


def _calendars(plan: Plan) -> list[Calendar]:
    cals = [plan.calendar]
    spec = SHIPPED_CALENDARS.get(plan.source.jurisdiction.lower())
    if spec is not None and spec != plan.calendar.spec:
        cals.append(build_calendar(spec))
    return cals


_REQUIRED_FACT = {"boolean": False, "number": 0, "string": ""}


def case_data(case: Case) -> dict[str, Any]:
    """A synthetic case as JSON-ready data (what `dunningrules schedule` reads)."""
    data: dict[str, Any] = {"id": case.id, "due_date": case.due_date.isoformat(), "amount": str(case.amount),
                            "currency": case.currency}
    if case.facts:
        data["facts"] = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in case.facts.items()}
    if case.events:
        data["events"] = [{"type": e.type, "date": e.date.isoformat()} for e in case.events]
    return data


# ----------------------------------------------------------------------------- rule kinds

@dataclass(frozen=True, slots=True)
class _Act:
    """A planned action, as the rules read it (dates as ordinals)."""

    index: int             # the step's index in the ruleset
    step: str
    action: str
    date: int
    deadline: int | None
    fee: Decimal | None    # the fee charged, if any
    fee_kind: str | None   # the step's fee kind, if it has a fee

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "action": self.action, "date": _iso(self.date),
                "deadline": None if self.deadline is None else _iso(self.deadline),
                "fee": None if self.fee is None else str(self.fee)}


@dataclass
class _Ctx:
    plan: Plan
    due: int
    acts: list[_Act]                                  # planned, in date order
    by_action: dict[str, list[_Act]] = field(default_factory=dict)

    def of(self, actions: Iterable[str]) -> list[_Act]:
        out: list[_Act] = []
        for a in actions:
            out.extend(self.by_action.get(a, ()))
        return out


def _iso(o: int) -> str:
    return dt.date.fromordinal(o).isoformat()


def _steps_with(plan: Plan, actions: Iterable[str]) -> list[StepPlan]:
    wanted = set(actions)
    return [sp for sp in plan.listed if sp.action in wanted]


def _exact_days(offsets: Offsets) -> int | None:
    """Calendar days of offsets made of days and weeks only, else None (decided by the grid)."""
    total = 0
    for unit, n in offsets.parts:
        if unit == "days":
            total += n
        elif unit == "weeks":
            total += 7 * n
        else:
            return None
    return total


def _min_deadline_static(rule: PolicyRule, plan: Plan) -> Iterable[tuple[int, JsonPath, str]]:
    days = rule.params["days"]
    for sp in _steps_with(plan, rule.params["action"]):
        p: JsonPath = ("steps", sp.index)
        if sp.deadline is None:
            yield sp.index, p, f"step {sp.id!r} gives no deadline at all; it must give at least {days} days"
            continue
        exact = _exact_days(sp.deadline)
        if exact is not None and exact < days:
            yield sp.index, (*p, "deadline", "after"), (
                f"step {sp.id!r} gives {sp.deadline.text} to pay; at least {days} days are needed")
        if rule.params["roll_must_not_shorten"] and sp.deadline_roll in _SHORTENING_ROLLS:
            yield sp.index, (*p, "deadline", "roll"), (
                f"step {sp.id!r} rolls its deadline {sp.deadline_roll}, which moves a last day on a weekend "
                "or holiday earlier and so shortens the time to pay")


def _min_deadline(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    days = rule.params["days"]
    for a in ctx.of(rule.params["action"]):
        if a.deadline is None:
            yield a, f"no deadline; at least {days} days to pay are needed", None
            continue
        deadline = a.deadline
        if not rule.params["roll_must_not_shorten"]:  # measure the deadline before it is rolled
            deadline = _shift(a.date, ctx.plan.listed[a.index].deadline, ctx.plan.calendar)  # type: ignore[arg-type]
        if deadline - a.date < days:
            yield a, (f"{deadline - a.date} days to pay (sent {_iso(a.date)}, deadline {_iso(deadline)}); "
                      f"at least {days} are needed"), None


def _after_deadline_of(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    ofs = ctx.of((rule.params["of"],))
    if not ofs:
        return
    for a in ctx.of(rule.params["action"]):
        before = [o for o in ofs if o.date <= a.date and o is not a]
        ref = max(before, key=lambda o: o.date) if before else min(ofs, key=lambda o: o.date)
        limit = ref.deadline if ref.deadline is not None else ref.date
        if a.date <= limit:
            what = "deadline" if ref.deadline is not None else "date"
            yield a, (f"sent {_iso(a.date)}, on or before the {what} {_iso(limit)} of {ref.step!r} "
                      f"({ref.action})"), ref


def _min_days_after(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    ofs = ctx.of((rule.params["of"],))
    if not ofs:
        return
    days = rule.params["days"]
    first = min(ofs, key=lambda o: o.date)
    for a in ctx.of(rule.params["action"]):
        if a is not first and a.date - first.date < days:
            yield a, (f"sent {_iso(a.date)}, {a.date - first.date} days after {first.step!r} ({first.action}) "
                      f"on {_iso(first.date)}; at least {days} days are needed"), first


def _too_early(days_after: int, days: int, strict: bool) -> bool:
    return days_after <= days if strict else days_after < days


def _need(days: int, strict: bool) -> str:
    return f"more than {days}" if strict else f"at least {days}"


def _min_days_after_due_static(rule: PolicyRule, plan: Plan) -> Iterable[tuple[int, JsonPath, str]]:
    days, strict = rule.params["days"], rule.params["strict"]
    steps = plan.source.steps
    for sp in _steps_with(plan, rule.params["action"]):
        n = _days_after_due(steps[sp.index])
        if n is not None and _too_early(n, days, strict):
            yield sp.index, ("steps", sp.index, "at"), (
                f"step {sp.id!r} goes out {n} days after the due date ({sp.at_text}); "
                f"{_need(days, strict)} days are needed")


def _min_days_after_due(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    days, strict = rule.params["days"], rule.params["strict"]
    for a in ctx.of(rule.params["action"]):
        n = a.date - ctx.due
        if _too_early(n, days, strict):
            yield a, (f"sent {_iso(a.date)}, {n} days after the due date {_iso(ctx.due)}; "
                      f"{_need(days, strict)} days are needed"), None


def _requires_static(rule: PolicyRule, plan: Plan) -> Iterable[tuple[int, JsonPath, str]]:
    need = rule.params["requires"]
    if _steps_with(plan, (need,)):
        return
    for sp in _steps_with(plan, rule.params["action"]):
        yield sp.index, ("steps", sp.index, "action"), (
            f"step {sp.id!r} ({sp.action}) is never preceded by a {need}: the ruleset has no {need} step")


def _requires(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    need = rule.params["requires"]
    reqs = ctx.by_action.get(need, [])
    for a in ctx.of(rule.params["action"]):
        if not any(r.date <= a.date for r in reqs):
            later = f" (the first is {_iso(reqs[0].date)})" if reqs else ""
            yield a, f"sent {_iso(a.date)} with no {need} planned on or before it{later}", (reqs[0] if reqs else None)


def _charged(ctx: _Ctx, fees: Iterable[str]) -> list[_Act]:
    wanted = set(fees)
    return [a for a in ctx.acts if a.fee is not None and a.fee > 0 and a.fee_kind in wanted]


def _fee_min_days_after_due(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    days = rule.params["days"]
    for a in _charged(ctx, rule.params["fee"]):
        if a.date - ctx.due < days:
            yield a, (f"a {a.fee_kind} fee of {a.fee} charged {a.date - ctx.due} days after the due date; "
                      f"at least {days} days are needed"), None


def _fee_max_count(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    count = rule.params["count"]
    charged = _charged(ctx, rule.params["fee"])
    for n, a in enumerate(charged[count:], start=count + 1):
        yield a, f"fee number {n} of kind {', '.join(rule.params['fee'])}; at most {count} are allowed", charged[0]


def _fee_cap(rule: PolicyRule, ctx: _Ctx) -> Iterable[tuple[_Act, str, _Act | None]]:
    book = ctx.plan.rates
    if book is None:
        return
    frac = rule.params["fraction"]
    for a in _charged(ctx, rule.params["fee"]):
        try:
            value = book.table(rule.params["table"]).value_on(dt.date.fromordinal(a.date))
        except RateError:
            continue  # no figure in force to compare with; the engine charges nothing then either
        cap = round_money(value * frac.numerator / frac.denominator)
        if a.fee > cap:  # type: ignore[operator]
            yield a, f"a {a.fee_kind} fee of {a.fee} on {_iso(a.date)}; the cap then is {cap}", None


_A = ("actions", _REQUIRED)
KINDS: dict[str, _Kind] = {
    "min_deadline": _Kind({"action": _A, "days": (_DAYS, _REQUIRED), "roll_must_not_shorten": (_BOOL, True)},
                          ("deadline",), _min_deadline_static, _min_deadline),
    "after_deadline_of": _Kind({"action": _A, "of": (_ACTION, _REQUIRED)}, ("at",), None, _after_deadline_of),
    "min_days_after": _Kind({"action": _A, "of": (_ACTION, _REQUIRED), "days": (_DAYS, _REQUIRED)},
                            ("at",), None, _min_days_after),
    "min_days_after_due": _Kind({"action": _A, "days": (_DAYS, _REQUIRED), "strict": (_BOOL, False)},
                                ("at",), _min_days_after_due_static, _min_days_after_due),
    "requires": _Kind({"action": _A, "requires": (_ACTION, _REQUIRED)}, ("action",), _requires_static, _requires),
    "fee_min_days_after_due": _Kind({"fee": (_FEES, _REQUIRED), "days": (_DAYS, _REQUIRED)}, ("fee",), None,
                                    _fee_min_days_after_due),
    "fee_max_count": _Kind({"fee": (_FEES, _REQUIRED), "count": (_DAYS, _REQUIRED)}, ("fee",), None,
                           _fee_max_count),
    "fee_cap": _Kind({"fee": (_FEES, _REQUIRED), "table": (_TEXT, _REQUIRED), "fraction": (_FRACTION, Fraction(1))},
                     ("fee",), None, _fee_cap),
}


# ----------------------------------------------------------------------------- lint

def lint(ruleset: Ruleset, plan: Plan | None = None, policy: Policy | None = None, *,
         years: Iterable[int] = DEFAULT_YEARS, cases: Iterable[Case] | None = None) -> list[LintFinding]:
    """Every rule of `policy` (default: the shipped one of the ruleset's jurisdiction) that the
    ruleset breaks, once per (code, step), sorted by place.  `cases` replaces the grid."""
    plan = plan if plan is not None else compile_ruleset(ruleset)
    policy = policy if policy is not None else policy_for(ruleset.jurisdiction)
    if policy.jurisdiction != ruleset.jurisdiction:
        raise RulesetError([Finding(
            "policy-jurisdiction", f"the policy {policy.path} is for {policy.jurisdiction}, the ruleset for "
            f"{ruleset.jurisdiction}", *_place(ruleset, ("jurisdiction",)), ("jurisdiction",))])
    found: dict[tuple[str, int], dict[str, Any]] = {}
    order: list[tuple[str, int]] = []

    def note(rule: PolicyRule, idx: int, pointer: JsonPath | None, message: str | None,
             example: dict[str, Any] | None) -> None:
        key = (rule.code, idx)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = {"rule": rule, "pointer": None, "messages": [], "example": None}
            order.append(key)
        if pointer is not None and entry["pointer"] is None:
            entry["pointer"] = pointer
        if message is not None and message not in entry["messages"]:
            entry["messages"].append(message)
        if example is not None and entry["example"] is None:
            entry["example"] = example

    for rule in policy.rules:
        kind = KINDS[rule.kind]
        if kind.static is not None:
            for idx, pointer, message in kind.static(rule, plan):
                note(rule, idx, pointer, message, None)

    dynamic = [(rule, KINDS[rule.kind].dynamic) for rule in policy.rules if KINDS[rule.kind].dynamic]
    if dynamic:
        index = {sp.id: sp.index for sp in plan.listed}
        for case in (cases if cases is not None else grid(plan, years)):
            ctx = _context(plan, case, index)
            for rule, check in dynamic:
                for act, message, related in check(rule, ctx):  # type: ignore[misc]
                    entry = found.get((rule.code, act.index))
                    if entry is not None and entry["example"] is not None:
                        continue
                    example = {"case": case_data(case), **act.to_dict(),
                               "related": None if related is None else related.to_dict()}
                    note(rule, act.index, None, None if entry and entry["messages"] else message, example)

    out = []
    for key in order:
        entry = found[key]
        rule, idx = entry["rule"], key[1]
        pointer = entry["pointer"] or _dynamic_pointer(ruleset, idx, KINDS[rule.kind].pointer)
        path, line, col = _place(ruleset, pointer)
        detail = "; ".join(entry["messages"])
        out.append(LintFinding(rule.code, f"{rule.message}: {detail}" if detail else rule.message,
                               rule.legal_basis, path, line, col, pointer, plan.listed[idx].id, entry["example"]))
    return sorted(out, key=LintFinding.sort_key)


def lint_path(path: str | Path, policy: Policy | str | Path | None = None, *,
              years: Iterable[int] = DEFAULT_YEARS) -> list[LintFinding]:
    """Load (and so validate) the ruleset at `path`, then lint it: a RulesetError from loading the
    ruleset or the policy comes first, so lint findings never hide validation errors."""
    ruleset = load_ruleset(path)
    if policy is not None and not isinstance(policy, Policy):
        policy = load_policy(policy)
    return lint(ruleset, compile_ruleset(ruleset), policy, years=years)


def _context(plan: Plan, case: Case, index: dict[str, int]) -> _Ctx:
    acts = []
    listed = plan.listed
    for a in evaluate(plan, case).actions:
        if a.status != "planned" or a.date_ordinal is None:
            continue
        idx = index[a.step]
        fee_plan = listed[idx].fee
        acts.append(_Act(idx, a.step, a.action, a.date_ordinal, a.deadline_ordinal, a.fee,
                         None if fee_plan is None else fee_plan.kind))
    ctx = _Ctx(plan, case.due_date.toordinal(), acts)
    for a in acts:
        ctx.by_action.setdefault(a.action, []).append(a)
    return ctx


def _dynamic_pointer(ruleset: Ruleset, idx: int, sub: tuple[str, ...]) -> JsonPath:
    step = ruleset.steps[idx]
    key = sub[0] if sub else None
    if key is not None and getattr(step, key, None) is not None:
        return ("steps", idx, key)
    return ("steps", idx)


def _place(ruleset: Ruleset, pointer: JsonPath) -> tuple[str, int, int]:
    """File, line and column of the value at `pointer`: in the ruleset's own file, or in the base's
    that wrote it."""
    origin = ruleset._origin
    if origin is None:
        return "<ruleset>", 0, 0
    return (origin.located.file(pointer), *origin.located.where(pointer))
