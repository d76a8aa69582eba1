"""Semantic diff of two rulesets: what changed in the text, and what that does to real cases.

Two halves, both pure:

* :func:`diff_rulesets` compares two :class:`Ruleset` models.  Steps are matched by id;
  a step is added, removed, or changed field by field, each change with its old and new
  value and a sentence in words (``collection-notice: deadline changed from 14 days (not
  moved) to 10 days (rolled forward)``).  The settings around the steps (calendar, pause,
  stop_when, interest, rates and the rate file's contents, facts, parameters, defaults,
  allocation, ...) are compared too.  Values are compared as they take effect: a step
  without its own ``roll`` has the ruleset's default, and expressions are compared parsed,
  so spacing does not count.
* :func:`diff_outcomes` evaluates a set of cases against both compiled plans and counts,
  per (step, occurrence), the cases in which the action moved (and by how many days), its
  deadline moved, it appeared (planned only under the new ruleset) or disappeared
  (planned only under the old one), its status otherwise changed, or its fee changed, each
  with up to three examples.  :func:`synthetic_cases` is the default case set: every
  weekday due date of the given years with no events, plus a few cases with a partial
  payment, a payment in full, a dispute, each event the rulesets read, and each boolean
  fact set against its default.

:func:`render_text` and :func:`to_json` present both halves.  :func:`load_cases` reads a
case file (JSON Lines, or a ``.json`` document) with every problem located, using the
same codes as ``dunningrules schedule``.  :func:`main` is the ``diff`` command line
(``dunningrules diff OLD NEW [--cases FILE] [--format text|json]``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import difflib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Literal

from . import _expr as ex
from ._compile import Plan
from ._errors import CaseError, Finding, InvalidInputError
from ._evaluate import case_from_data, evaluate
from ._model import Case, Ruleset, Step
from ._schedule import RulesetRef

__all__ = [
    "CaseOutcome", "Outcomes", "StepChange", "StepOutcome", "Tally",
    "diff_outcomes", "diff_rulesets", "load_cases", "main", "render_text",
    "synthetic_cases", "to_json",
]

EXAMPLES = 3            # example cases kept per finding
SYNTHETIC_AMOUNT = "10000.00"
PARTIAL_PAYMENT = "4000.00"

# ==================================================================== the ruleset text

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class StepChange:
    """One difference between two rulesets.

    ``step`` is the step id, or None for a change outside the steps.  ``field`` is the
    step's field (``deadline``) or the ruleset's setting (``calendar``, ``facts.x``), None
    for a whole step added or removed.  ``paths`` are the leaves that differ
    (``deadline.after``, ``deadline.roll``).  ``old``/``new`` are JSON values (None when
    absent); ``text`` says it in words.
    """

    kind: ChangeKind
    step: str | None
    field: str | None
    old: Any
    new: Any
    text: str
    paths: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "step": self.step, "field": self.field, "paths": list(self.paths),
                "old": self.old, "new": self.new, "text": self.text}


_ROLL_WORDS = {"following": "rolled forward", "preceding": "rolled back",
               "modified_following": "rolled forward within the month", "none": "not moved"}
_PAUSE_WORDS = {"shift": "moved after the pause", "skip": "skipped"}
_STEP_LABELS = {
    "action": "action type", "at": "date", "title": "title", "roll": "date roll", "when": "condition",
    "channels": "channels", "recipient": "recipient", "deadline": "deadline", "legal_basis": "legal basis",
    "repeat": "repetition", "on_pause": "during a pause", "fee": "fee", "notes": "notes",
}
_SUB_LABELS = {"closed": "closed days", "categories": "holiday categories", "weekend": "weekend days",
               "organisation_number": "organisation number"}
# Settings compared outside the steps, in the order they are reported.
_TOP_FIELDS = ("dunningrules", "id", "version", "title", "description", "jurisdiction", "currency",
               "language", "calendar", "defaults", "pause", "stop_when", "rates", "interest",
               "allocation", "creditor", "facts", "parameters")


def _strip_positions(node: Any) -> Any:
    """An expression's AST without column numbers: equal for equal meaning, whatever the spacing."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__, *(_strip_positions(getattr(node, f.name))
                                       for f in dataclasses.fields(node) if f.name != "pos"))
    if isinstance(node, tuple):
        return tuple(_strip_positions(n) for n in node)
    return node


def _canon(text: str | None, kind: str) -> Any:
    """What an expression means, for comparing: `date`, `offsets` (`14 days`) or `condition`."""
    if text is None:
        return None
    try:
        if kind == "condition":
            return _strip_positions(ex.parse_condition(text))
        return _strip_positions(ex.parse_date(("due + " if kind == "offsets" else "") + text))
    except ex.ExprError:
        return " ".join(text.split())


def _expr_text(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def _short(text: Any, limit: int = 80) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _words(value: Any) -> str:
    """A plain value in words: lists joined, None as `none`, booleans as true/false."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_words(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_words(v)}" for k, v in value.items()) + "}" if value else "none"
    return _short(value)


# --------------------------------------------------------------------- step fields

def _effective(step: Step, rs: Ruleset) -> dict[str, Any]:
    """A step's fields as they take effect: defaults applied, JSON values."""
    dump = step.model_dump(mode="json")
    dump["roll"] = step.roll or rs.defaults.roll
    dump["recipient"] = step.recipient or rs.defaults.recipient
    dump["on_pause"] = step.on_pause or rs.pause.policy
    return dump


def _field_key(name: str, value: Any) -> Any:
    """What a field means, for comparing (expressions parsed; everything else as is)."""
    if value is None:
        return None
    if name == "at":
        return _canon(value, "date")
    if name == "when":
        return _canon(value, "condition")
    if name == "deadline":
        return (_canon(value["after"], "offsets"), value.get("roll", "following"))
    if name == "repeat":
        return (_canon(value["every"], "offsets"), _canon(value["until"], "date"), value.get("max", 120))
    if name == "fee":
        return {k: (Decimal(v) if k == "amount" and v is not None else v) for k, v in value.items()}
    if name in ("title", "legal_basis", "notes"):
        return " ".join(value.split())
    return value


def _describe(name: str, value: Any, currency: str) -> str:
    """A step field's value in words."""
    if name == "deadline":
        if value is None:
            return "no deadline"
        return f"{_expr_text(value['after'])} ({_ROLL_WORDS[value.get('roll', 'following')]})"
    if name == "fee":
        if value is None:
            return "no fee"
        kind = str(value["kind"]).replace("_", " ")
        if value.get("amount") is not None:
            return f"{value['amount']} {currency} ({kind} fee)"
        return f"{value.get('fraction') or '1/1'} of {value['rate']} ({kind} fee)"
    if name == "repeat":
        if value is None:
            return "does not repeat"
        out = f"every {_expr_text(value['every'])} until {_expr_text(value['until'])}"
        return out + (f", at most {value['max']} times" if value.get("max", 120) != 120 else "")
    if name == "roll":
        return f"{value} ({_ROLL_WORDS[value]})"
    if name == "on_pause":
        return _PAUSE_WORDS.get(value, value)
    if name in ("at", "when"):
        return _expr_text(value) or "none"
    if name in ("title", "legal_basis", "notes") and value is not None:
        return f"“{_short(value)}”"
    return _words(value)


def _leaf_paths(name: str, old: Any, new: Any) -> tuple[str, ...]:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return tuple(f"{name}.{k}" for k in keys if old.get(k) != new.get(k)) or (name,)
    return (name,)


def _step_field_change(step_id: str, name: str, old: Any, new: Any, currency: str) -> StepChange:
    label = _STEP_LABELS.get(name, name)
    paths = _leaf_paths(name, old, new)
    if name == "when" and old is None:
        text = f"{step_id}: condition added: {_expr_text(new)}"
    elif name == "when" and new is None:
        text = f"{step_id}: condition removed (was: {_expr_text(old)}); the step always applies"
    else:
        a, b = _describe(name, old, currency), _describe(name, new, currency)
        if a == b and isinstance(old, dict) and isinstance(new, dict):
            # Only a detail the summary leaves out changed (a fee's legal basis, say).
            text = "; ".join(f"{step_id}: {label} {p.split('.', 1)[1].replace('_', ' ')} changed from "
                             f"{_words(old.get(p.split('.', 1)[1]))} to {_words(new.get(p.split('.', 1)[1]))}"
                             for p in paths)
        else:
            text = f"{step_id}: {label} changed from {a} to {b}"
    return StepChange("changed", step_id, name, old, new, text, paths)


def _step_summary(step: Step, rs: Ruleset) -> str:
    parts = [step.action, f"at {_expr_text(step.at)}"]
    if step.when:
        parts.append(f"when {_expr_text(step.when)}")
    if step.deadline:
        parts.append(f"deadline {_describe('deadline', step.deadline.model_dump(mode='json'), rs.currency)}")
    if step.fee:
        parts.append(f"fee {_describe('fee', step.fee.model_dump(mode='json'), rs.currency)}")
    if step.repeat:
        parts.append(f"repeats {_describe('repeat', step.repeat.model_dump(mode='json'), rs.currency)}")
    return ", ".join(parts)


def _merged_order(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Both id lists merged, each id once: the new order, removed ids where they used to be."""
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, list(old), list(new), autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(new[j1:j2])
            continue
        out.extend(x for x in old[i1:i2] if x not in new)   # removed (a moved one comes with new)
        out.extend(new[j1:j2])
    return list(dict.fromkeys(out))


def _steps_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    olds = {s.id: s for s in old.steps}
    news = {s.id: s for s in new.steps}
    out: list[StepChange] = []
    for sid in _merged_order([s.id for s in old.steps], [s.id for s in new.steps]):
        a, b = olds.get(sid), news.get(sid)
        if a is None:
            out.append(StepChange("added", sid, None, None, b.model_dump(mode="json"),  # type: ignore[union-attr]
                                  f"added step {sid}: {_step_summary(b, new)}"))  # type: ignore[arg-type]
            continue
        if b is None:
            out.append(StepChange("removed", sid, None, a.model_dump(mode="json"), None,
                                  f"removed step {sid} (was: {_step_summary(a, old)})"))
            continue
        ea, eb = _effective(a, old), _effective(b, new)
        for name in Step.model_fields:
            if name == "id":
                continue
            va, vb = ea.get(name), eb.get(name)
            if _field_key(name, va) == _field_key(name, vb):
                continue
            if name in ("roll", "recipient", "on_pause"):
                own_a = getattr(a, name) is not None
                own_b = getattr(b, name) is not None
                if not own_a and not own_b:
                    continue  # only the ruleset's default changed: reported once, with the steps it affects
            out.append(_step_field_change(sid, name, va, vb, new.currency))
    common_old = [s.id for s in old.steps if s.id in news]
    common_new = [s.id for s in new.steps if s.id in olds]
    if common_old != common_new:
        out.append(StepChange("changed", None, "steps", common_old, common_new,
                              "step order changed (it decides the order of actions on the same day): "
                              f"{', '.join(common_old)} → {', '.join(common_new)}", ("steps",)))
    return out


# --------------------------------------------------------------------- settings

def _rate_rows(rs: Ruleset) -> dict[str, dict[tuple[str, str], str]] | None:
    origin = getattr(rs, "_origin", None)
    book = getattr(origin, "rates", None)
    if book is None:
        return None
    return {name: {(r.valid_from.isoformat(), r.valid_to.isoformat()): str(r.value) for r in table.rows}
            for name, table in book.tables.items()}


def _rates_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    out: list[StepChange] = []
    if old.rates != new.rates:
        out.append(StepChange("changed", None, "rates", old.rates, new.rates,
                              f"rate file changed from {_words(old.rates)} to {_words(new.rates)}", ("rates",)))
    a, b = _rate_rows(old), _rate_rows(new)
    if a is None or b is None:
        return out
    for name in sorted(set(a) | set(b)):
        ra, rb = a.get(name), b.get(name)
        path = f"rates.{name}"
        if ra == rb:
            continue
        if ra is None or rb is None:
            kind = "added" if ra is None else "removed"
            out.append(StepChange("changed", None, path, _rows_json(ra), _rows_json(rb),
                                  f"rates: table {name} {kind}", (path,)))
            continue
        parts = []
        for span in sorted(set(ra) | set(rb)):
            va, vb = ra.get(span), rb.get(span)
            if va != vb:
                parts.append(f"{span[0]}..{span[1]}: {va or 'no row'} → {vb or 'no row'}")
        out.append(StepChange("changed", None, path, _rows_json(ra), _rows_json(rb),
                              f"rates: table {name} changed ({'; '.join(parts)})", (path,)))
    return out


def _rows_json(rows: dict[tuple[str, str], str] | None) -> Any:
    if rows is None:
        return None
    return [{"valid_from": a, "valid_to": b, "value": v} for (a, b), v in sorted(rows.items())]


def _fact_words(decl: Mapping[str, Any]) -> str:
    default = "required (no default)" if "default" not in decl else f"default {_words(decl['default'])}"
    return f"{decl['type']}, {default}"


def _facts_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    out = []
    # `default` only when the ruleset gives one: a fact without it is required.
    fa = {k: v.model_dump(mode="json", exclude_unset=True) for k, v in old.facts.items()}
    fb = {k: v.model_dump(mode="json", exclude_unset=True) for k, v in new.facts.items()}
    for name in sorted(set(fa) | set(fb)):
        a, b = fa.get(name), fb.get(name)
        key = (lambda d: None if d is None else {**d, "description": _expr_text(d.get("description"))})
        if key(a) == key(b):
            continue
        path = f"facts.{name}"
        if a is None:
            text = f"fact {name} added ({_fact_words(b)})"  # type: ignore[arg-type]
        elif b is None:
            text = f"fact {name} removed (was {_fact_words(a)})"
        elif _fact_words(a) != _fact_words(b):
            text = f"fact {name} changed from {_fact_words(a)} to {_fact_words(b)}"
        else:
            text = f"fact {name}: description changed"
        out.append(StepChange("changed", None, path, a, b, text, _leaf_paths(path, a, b)))
    return out


def _parameters_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    out = []
    for name in sorted(set(old.parameters) | set(new.parameters)):
        a, b = old.parameters.get(name), new.parameters.get(name)
        if a == b and type(a) is type(b):
            continue
        path = f"parameters.{name}"
        if a is None:
            text = f"parameter {name} added ({_words(_jsonable(b))})"
        elif b is None:
            text = f"parameter {name} removed (was {_words(_jsonable(a))})"
        else:
            text = f"parameter {name} changed from {_words(_jsonable(a))} to {_words(_jsonable(b))}"
        out.append(StepChange("changed", None, path, _jsonable(a), _jsonable(b), text, (path,)))
    return out


def _defaults_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    out = []
    both = [s for s in new.steps if s.id in {o.id for o in old.steps}]
    olds = {s.id: s for s in old.steps}
    for name, setting, get in (
        ("roll", "defaults.roll", lambda rs: rs.defaults.roll),
        ("recipient", "defaults.recipient", lambda rs: rs.defaults.recipient),
        ("on_pause", "pause.policy", lambda rs: rs.pause.policy),
    ):
        a, b = get(old), get(new)
        if a == b:
            continue
        affected = [s.id for s in both if getattr(s, name) is None and getattr(olds[s.id], name) is None]
        desc = {"roll": lambda v: f"{v} ({_ROLL_WORDS[v]})", "recipient": str,
                "on_pause": lambda v: f"{v} (steps in a pause are {_PAUSE_WORDS[v]})"}[name]
        whom = f"; steps that take it: {', '.join(affected)}" if affected else "; no step takes it"
        label = {"roll": "default date roll", "recipient": "default recipient",
                 "on_pause": "pause policy"}[name]
        out.append(StepChange("changed", None, setting, a, b,
                              f"{label} changed from {desc(a)} to {desc(b)}{whom}", (setting,)))
    return out


def _settings_diff(old: Ruleset, new: Ruleset) -> list[StepChange]:
    out: list[StepChange] = []
    for name in _TOP_FIELDS:
        if name == "facts":
            out.extend(_facts_diff(old, new))
            continue
        if name == "parameters":
            out.extend(_parameters_diff(old, new))
            continue
        if name == "rates":
            out.extend(_rates_diff(old, new))
            continue
        if name == "defaults":
            out.extend(c for c in _defaults_diff(old, new) if c.field != "pause.policy")
            continue
        if name == "pause":
            out.extend(c for c in _defaults_diff(old, new) if c.field == "pause.policy")
            a, b = list(old.pause.during), list(new.pause.during)
            if a != b:
                out.append(StepChange("changed", None, "pause.during", a, b,
                                      f"pauses changed from during {_words(a)} to during {_words(b)}",
                                      ("pause.during",)))
            continue
        a = _jsonable(getattr(old, name))
        b = _jsonable(getattr(new, name))
        if name in ("title", "description"):
            if _expr_text(a) == _expr_text(b):
                continue
        elif a == b:
            continue
        if name == "stop_when":
            say = lambda v: "when paid in full (later steps are skipped)" if "paid" in v else "never"  # noqa: E731
            text = f"stop: changed from {say(a)} to {say(b)}"
        elif name == "interest":
            say = (lambda v: "none" if v is None else f"table {v['table']}, actual/{v.get('day_count', 365)}")  # noqa: E731
            text = f"interest changed from {say(a)} to {say(b)}"
        elif isinstance(a, dict) and isinstance(b, dict):
            text = "; ".join(f"{name}: {_SUB_LABELS.get(p.split('.', 1)[1], p.split('.', 1)[1].replace('_', ' '))}"
                             f" changed from {_words(a.get(p.split('.', 1)[1]))} to "
                             f"{_words(b.get(p.split('.', 1)[1]))}"
                             for p in _leaf_paths(name, a, b))
        else:
            text = f"{name.replace('_', ' ')} changed from {_words(a)} to {_words(b)}"
        out.append(StepChange("changed", None, name, a, b, text, _leaf_paths(name, a, b)))
    return out


def diff_rulesets(old: Ruleset, new: Ruleset) -> list[StepChange]:
    """Every difference between two rulesets, in words: settings first, then steps in order.

    Steps are matched by id (a renamed step is one removed and one added).  Empty for a
    ruleset and itself, and for two rulesets that differ only in layout, comments,
    expression spacing or a value spelled out that the default already gives.
    """
    return _settings_diff(old, new) + _steps_diff(old, new)


# ==================================================================== the case set

def _weekdays(year: int) -> Iterable[dt.date]:
    d = dt.date(year, 1, 1)
    while d.year == year:
        if d.weekday() < 5:
            yield d
        d += dt.timedelta(days=1)


def _mid_months(years: Sequence[int]) -> list[dt.date]:
    """The first weekday on or after the 15th of each month of the years."""
    out = []
    for y in years:
        for m in range(1, 13):
            d = dt.date(y, m, 15)
            while d.weekday() >= 5:
                d += dt.timedelta(days=1)
            out.append(d)
    return out


def _placeholder(kind: str) -> Any:
    return {"boolean": False, "number": 0, "string": ""}[kind]


def synthetic_cases(plan: Plan, years: Sequence[int] = (2026, 2027), *,
                    others: Sequence[Plan] = ()) -> list[dict[str, Any]]:
    """The synthetic grid: one case per weekday due date of `years`, with no events, then a
    few cases per month (due the first weekday from the 15th) with a partial payment a week
    after the due date, a payment in full 12 days after it, a dispute from day 12 to day 19,
    each other event the plans read 30 days after it, and each boolean fact given the value
    opposite its default.  Amounts are fixed (10000.00 in the plan's currency); a fact a
    plan requires (no default) gets false, 0 or "".  Ids say what a case is:
    ``grid-2026-01-05``, ``partial-2026-01-15``, ``fact-x-2026-01-15``.

    `others`: more plans (the other side of a diff) whose facts and events count too.
    """
    plans = (plan, *others)
    currency = plan.currency
    required: dict[str, Any] = {}
    flippable: dict[str, bool] = {}
    events: list[str] = []
    for p in plans:
        for f in p.facts:
            if f.required:
                required.setdefault(f.name, _placeholder(f.type))
            elif f.type == "boolean" and isinstance(f.default, bool):
                flippable.setdefault(f.name, not f.default)
        events.extend(e for e in p.event_names
                      if e not in events and e not in ("payment", "dispute_opened", "dispute_resolved"))

    def case(cid: str, due: dt.date, evs: Sequence[dict[str, Any]] = (),
             facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": cid, "due_date": due.isoformat(), "amount": SYNTHETIC_AMOUNT,
                               "currency": currency}
        all_facts = {**required, **(facts or {})}
        if all_facts:
            out["facts"] = all_facts
        if evs:
            out["events"] = list(evs)
        return out

    def day(due: dt.date, n: int) -> str:
        return (due + dt.timedelta(days=n)).isoformat()

    out = [case(f"grid-{d.isoformat()}", d) for y in years for d in _weekdays(y)]
    mids = _mid_months(years)
    for d in mids:
        out.append(case(f"partial-{d.isoformat()}", d,
                        [{"type": "payment", "date": day(d, 7), "amount": PARTIAL_PAYMENT}]))
    for d in mids:
        out.append(case(f"paid-{d.isoformat()}", d,
                        [{"type": "payment", "date": day(d, 12), "amount": SYNTHETIC_AMOUNT}]))
    for d in mids:
        out.append(case(f"dispute-{d.isoformat()}", d, [{"type": "dispute_opened", "date": day(d, 12)},
                                                        {"type": "dispute_resolved", "date": day(d, 19)}]))
    for name in events:
        for d in mids:
            out.append(case(f"event-{name}-{d.isoformat()}", d, [{"type": name, "date": day(d, 30)}]))
    for name, value in sorted(flippable.items()):
        for d in mids:
            out.append(case(f"fact-{name}-{d.isoformat()}", d, facts={name: value}))
    return out


def load_cases(path: str, stdin: IO[str] | None = None) -> list[dict[str, Any]]:
    """The cases of a file: JSON Lines (one case per line), a `.json` file (one case or a
    list), or `-` for standard input (JSON Lines).  Every case is checked; CaseError lists
    every problem, located ``PATH:LINE:COL`` with the codes ``dunningrules schedule`` uses."""
    from ._cli import MAX_CASE_LINE, _case_or_findings, _documents, _json_error, _json_limit, _lines, \
        _locate, _read_text, _reroot
    from ._jsonpos import twice_findings

    name = "<stdin>" if path == "-" else path
    stdin = stdin if stdin is not None else sys.stdin
    out: list[dict[str, Any]] = []
    problems: list[Finding] = []

    def check(data: Any, text: str, prefix: tuple[Any, ...], offset: int) -> None:
        found = _case_or_findings(data, name)
        if isinstance(found, list):
            problems.extend(_locate(_reroot(f, prefix), text, name, offset) for f in found)
        else:
            out.append(data)

    try:
        if path != "-" and path.endswith(".json"):
            text = _read_text(path, stdin)
            problems.extend(twice_findings(text, name))
            for item in _documents(text, name):
                if isinstance(item, Finding):
                    problems.append(item)
                else:
                    check(item[0], text, item[1], 0)
        else:
            for n, line in enumerate(_lines(path, stdin)):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                if len(line) > MAX_CASE_LINE:
                    problems.append(Finding("case-too-large", f"line is over {MAX_CASE_LINE:,} characters",
                                            name, n + 1, 1))
                    continue
                try:
                    data = json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError as e:
                    problems.append(_json_error(e, name, n))
                    continue
                except (RecursionError, ValueError) as e:
                    problems.append(_json_limit(e, line, name, n))
                    continue
                twice = twice_findings(line, name, n)
                if twice:
                    problems.extend(twice)
                    continue
                check(data, line, (), n)
    except InvalidInputError as e:  # the file cannot be opened (file-unreadable)
        problems.extend(e.findings)
    except UnicodeDecodeError as e:
        problems.append(Finding("case-not-utf8", e.reason, name, 0, 0))
    if problems:
        raise CaseError(problems)
    return out


# ==================================================================== outcomes

@dataclass
class Tally:
    """How many cases show one kind of difference, what the differences were, and examples.

    ``detail`` counts values: day shifts (int) for moves; (old, new) pairs for statuses and
    fees.  ``examples`` are (case id, old, new) of the first cases, in case order."""

    count: int = 0
    detail: Counter = field(default_factory=Counter)
    examples: list[tuple[str, Any, Any]] = field(default_factory=list)

    def add(self, case_id: str, key: Any, old: Any, new: Any) -> None:
        self.count += 1
        self.detail[key] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append((case_id, old, new))

    # For day shifts.
    def shifts(self) -> list[int]:
        return sorted(k for k in self.detail if isinstance(k, int))

    def typical(self) -> int | None:
        """The most common shift (ties: the smallest in size, then the earlier)."""
        days = self.shifts()
        if not days:
            return None
        return min(days, key=lambda d: (-self.detail[d], abs(d), d))


CATEGORIES = ("moved", "deadline_moved", "appeared", "disappeared", "status_changed", "fee_changed")


@dataclass
class StepOutcome:
    """What changes for one (step, occurrence) over the case set."""

    step: str
    occurrence: int | None
    moved: Tally = field(default_factory=Tally)
    """Planned in both, on another date: detail counts the shift in days (new - old)."""
    deadline_moved: Tally = field(default_factory=Tally)
    """Planned in both, with another deadline: shift in days, or 'added'/'removed'."""
    appeared: Tally = field(default_factory=Tally)
    """Planned only under the new ruleset: detail counts (old status, 'planned')."""
    disappeared: Tally = field(default_factory=Tally)
    """Planned only under the old ruleset: detail counts ('planned', new status)."""
    status_changed: Tally = field(default_factory=Tally)
    """Planned in neither, with another status ('absent' when the step has no such action)."""
    fee_changed: Tally = field(default_factory=Tally)
    """Planned in both, with another fee: detail counts (old, new) amounts (None: no fee)."""

    def empty(self) -> bool:
        return all(getattr(self, c).count == 0 for c in CATEGORIES)


@dataclass
class CaseOutcome:
    """Cases one side could not evaluate (CaseError): counted per code, with examples."""

    old: Tally = field(default_factory=Tally)
    new: Tally = field(default_factory=Tally)


@dataclass
class Outcomes:
    """What a ruleset change does to a set of cases."""

    old: RulesetRef
    new: RulesetRef
    cases: int = 0
    """Cases in the set."""
    changed_cases: int = 0
    """Cases whose planned actions differ in any way counted here (or that only one side accepts)."""
    steps: dict[tuple[str, int | None], StepOutcome] = field(default_factory=dict)
    """Per (step, occurrence) with a difference, in the merged step order."""
    invalid: CaseOutcome = field(default_factory=CaseOutcome)

    def empty(self) -> bool:
        return self.changed_cases == 0 and not self.steps and not self.invalid.old.count \
            and not self.invalid.new.count


_ABSENT = "absent"


def _schedule_or_error(plan: Plan, case: Case) -> dict[tuple[str, int | None], Any] | CaseError:
    try:
        actions = evaluate(plan, case).actions
    except CaseError as e:
        return e
    return {(a.step, a.occurrence): a for a in actions}


def _first_code(e: CaseError) -> str:
    return e.findings[0].code if e.findings else "case-invalid"


def diff_outcomes(old_plan: Plan, new_plan: Plan, cases: Iterable[Mapping[str, Any] | Case]) -> Outcomes:
    """Evaluate each case under both plans and count, per (step, occurrence), what changes.

    A case that one side refuses (a fact the new ruleset requires, another currency) is
    counted under `invalid` for that side and compared no further.
    """
    out = Outcomes(old_plan.ruleset, new_plan.ruleset)
    order = _merged_order([s.id for s in old_plan.source.steps], [s.id for s in new_plan.source.steps])
    tallies: dict[tuple[str, int | None], StepOutcome] = {}

    def tally(key: tuple[str, int | None]) -> StepOutcome:
        t = tallies.get(key)
        if t is None:
            t = tallies[key] = StepOutcome(*key)
        return t

    for raw in cases:
        out.cases += 1
        cid = raw.id if isinstance(raw, Case) else str(raw.get("id", f"#{out.cases}"))
        try:
            case = raw if isinstance(raw, Case) else case_from_data(raw)
        except CaseError as e:
            why = e.findings[0].message if e.findings else None
            out.invalid.old.add(cid, _first_code(e), why, None)
            out.invalid.new.add(cid, _first_code(e), None, why)
            continue
        a = _schedule_or_error(old_plan, case)
        b = _schedule_or_error(new_plan, case)
        if isinstance(a, CaseError) or isinstance(b, CaseError):
            if isinstance(a, CaseError):
                out.invalid.old.add(cid, _first_code(a), a.findings[0].message if a.findings else None, None)
            if isinstance(b, CaseError):
                out.invalid.new.add(cid, _first_code(b), None, b.findings[0].message if b.findings else None)
            if isinstance(a, CaseError) != isinstance(b, CaseError):
                out.changed_cases += 1
            continue
        changed = False
        for key in a.keys() | b.keys():
            x, y = a.get(key), b.get(key)
            sx = _ABSENT if x is None else x.status
            sy = _ABSENT if y is None else y.status
            if sx == "planned" and sy == "planned":
                if x.date_ordinal != y.date_ordinal:
                    tally(key).moved.add(cid, y.date_ordinal - x.date_ordinal, x.date, y.date)
                    changed = True
                if x.deadline_ordinal != y.deadline_ordinal:
                    if x.deadline_ordinal is None or y.deadline_ordinal is None:
                        what: Any = "added" if x.deadline_ordinal is None else "removed"
                    else:
                        what = y.deadline_ordinal - x.deadline_ordinal
                    tally(key).deadline_moved.add(cid, what, x.deadline, y.deadline)
                    changed = True
                if x.fee != y.fee:
                    tally(key).fee_changed.add(cid, (_money(x.fee), _money(y.fee)), _money(x.fee), _money(y.fee))
                    changed = True
            elif sx == "planned":
                tally(key).disappeared.add(cid, (sx, sy), x.date, None if y is None else y.date)
                changed = True
            elif sy == "planned":
                tally(key).appeared.add(cid, (sx, sy), None if x is None else x.date, y.date)
                changed = True
            elif sx != sy:
                tally(key).status_changed.add(cid, (sx, sy), sx, sy)
                changed = True
        out.changed_cases += changed
    rank = {sid: i for i, sid in enumerate(order)}
    for key in sorted(tallies, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1] or 0)):
        if not tallies[key].empty():
            out.steps[key] = tallies[key]
    return out


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# ==================================================================== presenting

def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _signed(n: int) -> str:
    return f"{n:+d}"


def _days(n: int) -> str:
    return f"{n:+d} day{'' if abs(n) == 1 else 's'}"


def _tally_json(name: str, t: Tally) -> dict[str, Any] | None:
    if t.count == 0:
        return None
    out: dict[str, Any] = {"count": t.count,
                           "examples": [{"case": c, "old": _iso(a), "new": _iso(b)} for c, a, b in t.examples]}
    if name in ("moved", "deadline_moved"):
        days = t.shifts()
        out["min_days"] = days[0] if days else None
        out["max_days"] = days[-1] if days else None
        out["typical_days"] = t.typical()
        out["shifts"] = [{"days": d, "count": t.detail[d]} for d in days]
        if name == "deadline_moved":  # a deadline that only one side has
            out["added"] = t.detail["added"]
            out["removed"] = t.detail["removed"]
    else:
        pairs = sorted(t.detail.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))
        out["changes"] = [{"old": k[0], "new": k[1], "count": n} for k, n in pairs]
    return out


def to_json(changes: Sequence[StepChange], outcomes: Outcomes | None) -> dict[str, Any]:
    """The diff as JSON-serialisable data: dates ISO, money decimal strings, lists in a
    stable order (changes as `diff_rulesets` gives them; steps in the merged step order,
    then by occurrence; value counts by count, then value)."""
    data: dict[str, Any] = {"changes": [c.to_dict() for c in changes], "outcomes": None}
    if outcomes is None:
        return data
    inv = outcomes.invalid
    data["outcomes"] = {
        "old": outcomes.old.to_dict(),
        "new": outcomes.new.to_dict(),
        "cases": outcomes.cases,
        "changed_cases": outcomes.changed_cases,
        "invalid": {
            side: None if t.count == 0 else {
                "count": t.count,
                "codes": [{"code": k, "count": n} for k, n in sorted(t.detail.items(), key=lambda kv: (-kv[1], kv[0]))],
                "examples": [{"case": c, "message": a if side == "old" else b} for c, a, b in t.examples],
            }
            for side, t in (("old", inv.old), ("new", inv.new))
        },
        "steps": [
            {"step": so.step, "occurrence": so.occurrence,
             **{c: _tally_json(c, getattr(so, c)) for c in CATEGORIES}}
            for so in outcomes.steps.values()
        ],
    }
    return data


def _example_text(name: str, t: Tally) -> str:
    parts = []
    for cid, a, b in t.examples:
        if name in ("moved", "deadline_moved"):
            parts.append(f"{cid} ({_iso(a) or 'none'} → {_iso(b) or 'none'})")
        elif name == "fee_changed":
            parts.append(f"{cid} ({a or 'no fee'} → {b or 'no fee'})")
        else:
            parts.append(cid)
    return "e.g. " + ", ".join(parts)


def _cases(n: int) -> str:
    return f"{n} case{'' if n == 1 else 's'}"


def _tally_text(name: str, t: Tally) -> str:
    if name in ("moved", "deadline_moved"):
        days = t.shifts()
        what = "moved" if name == "moved" else "deadline moved"
        if days:
            spread = "" if days[0] == days[-1] else f" (from {_signed(days[0])} to {_signed(days[-1])})"
            line = f"{what} in {_cases(t.count)}: typically {_days(t.typical())}{spread}"  # type: ignore[arg-type]
        else:
            line = f"{what} in {_cases(t.count)}"
        if name == "deadline_moved":
            extra = [f"added in {t.detail['added']}" if t.detail["added"] else "",
                     f"removed in {t.detail['removed']}" if t.detail["removed"] else ""]
            extra = [e for e in extra if e]
            if extra:
                line += "; deadline " + ", ".join(extra)
        return f"{line}; {_example_text(name, t)}"
    pairs = sorted(t.detail.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))
    if name == "fee_changed":
        detail = ", ".join(f"{a or 'no fee'} → {b or 'no fee'} ({n})" for (a, b), n in pairs)
    else:
        detail = ", ".join(f"{a} → {b} ({n})" for (a, b), n in pairs)
    words = {"appeared": "appears", "disappeared": "disappears", "status_changed": "status changes",
             "fee_changed": "fee changes"}[name]
    return f"{words} in {_cases(t.count)}: {detail}; {_example_text(name, t)}"


def render_text(changes: Sequence[StepChange], outcomes: Outcomes | None) -> str:
    """The diff for people: the ruleset changes, then what changes for the cases."""
    lines: list[str] = []
    if outcomes is not None:
        o, n = outcomes.old, outcomes.new
        lines.append(f"old: {o.id} {o.version}  new: {n.id} {n.version}")
    if changes:
        lines.append(f"Ruleset changes ({len(changes)}):")
        mark = {"added": "+", "removed": "-", "changed": "~"}
        lines.extend(f"  {mark[c.kind]} {c.text}" for c in changes)
    else:
        lines.append("Ruleset changes: none.")
    if outcomes is None:
        return "\n".join(lines) + "\n"
    lines.append("")
    if outcomes.empty():
        lines.append(f"Outcomes over {_cases(outcomes.cases)}: no differences.")
        return "\n".join(lines) + "\n"
    lines.append(f"Outcomes over {_cases(outcomes.cases)}: {outcomes.changed_cases} change.")
    for side, t in (("old", outcomes.invalid.old), ("new", outcomes.invalid.new)):
        if t.count:
            codes = ", ".join(f"{k} ({v})" for k, v in sorted(t.detail.items(), key=lambda kv: (-kv[1], kv[0])))
            ex_ = "; ".join(f"{c}: {a if side == 'old' else b}" for c, a, b in t.examples)
            lines.append(f"  {_cases(t.count)} invalid under the {side} ruleset: {codes}; e.g. {ex_}")
    for so in outcomes.steps.values():
        head = so.step if so.occurrence is None else f"{so.step} #{so.occurrence}"
        lines.append(f"  {head}")
        for c in CATEGORIES:
            t = getattr(so, c)
            if t.count:
                lines.append(f"    {_tally_text(c, t)}")
    return "\n".join(lines) + "\n"


# ==================================================================== command line

def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register `diff` on the CLI's subparsers (``build_parser``'s ``sub``)."""
    p = sub.add_parser(
        "diff", help="what changed between two rulesets, and what it does to cases",
        description="Compare two rulesets: steps added, removed and changed, field by field, in words; "
        "then evaluate a case set under both and report which actions move (by how many days), appear, "
        "disappear or change status, and which fees change. Without --cases the synthetic grid is "
        "used: every weekday due date of 2026 and 2027, plus a few cases with payments, a dispute, "
        "events and facts.")
    p.add_argument("old", metavar="OLD", help="the ruleset as it was (YAML)")
    p.add_argument("new", metavar="NEW", help="the ruleset as it is to be (YAML)")
    p.add_argument("--cases", metavar="FILE", help="cases to compare on: .jsonl (one per line), .json, or - "
                   "for stdin (default: the synthetic grid)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    return p


def command(ns: argparse.Namespace, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Run `diff` on parsed arguments; InvalidInputError (located findings) propagates."""
    from ._cli import EXIT_OK
    from ._compile import compile
    from ._load import load_ruleset

    problems: list[Finding] = []
    rulesets = []
    for path in (ns.old, ns.new):
        try:
            rulesets.append(load_ruleset(path))
        except InvalidInputError as e:
            problems.extend(e.findings)
    cases: list[dict[str, Any]] | None = None
    if ns.cases is not None:
        try:
            cases = load_cases(ns.cases, stdin)
        except InvalidInputError as e:
            problems.extend(e.findings)
    if problems:
        raise InvalidInputError(problems)
    old, new = rulesets
    old_plan, new_plan = compile(old), compile(new)
    if cases is None:
        cases = synthetic_cases(old_plan, others=(new_plan,))
    changes = diff_rulesets(old, new)
    outcomes = diff_outcomes(old_plan, new_plan, cases)
    if ns.format == "json":
        stdout.write(json.dumps(to_json(changes, outcomes), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(render_text(changes, outcomes))
    return EXIT_OK


def main(args: list[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None,
         stdin: IO[str] | None = None) -> int:
    """`dunningrules diff ARGS` on its own (what `_cli.run(["diff", ...])` does once wired in)."""
    from ._cli import EXIT_INVALID, EXIT_USAGE, _Parser, _print_findings, _UsageError

    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    parser = _Parser(prog="dunningrules")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_parser(sub)
    try:
        with contextlib.redirect_stdout(stdout):  # --help prints to the stdout we were given
            ns = parser.parse_args(["diff", *args])
    except _UsageError as e:
        print(e, file=stderr)
        return EXIT_USAGE
    except SystemExit as e:  # --help
        return int(e.code or 0)
    try:
        return command(ns, stdin, stdout, stderr)
    except InvalidInputError as e:
        _print_findings(e.findings, stderr)
        return EXIT_INVALID
