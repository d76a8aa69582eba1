"""Explain a ruleset to a reviewer: the process in words, and one example case on a timeline.

``dunningrules explain RULESET [--case CASE] [--format md|html]`` prints

* the title, jurisdiction and business-day calendar, and the rules that apply to every step
  (pauses, stop when paid, interest, the order payments pay);
* a table of the steps in the ruleset's order: when each happens *in words* (derived from the
  parsed date expression, never from the text), its condition, deadline, fee, channels and
  recipient, and legal basis;
* the dated timeline of an example case (the one given, or :func:`example_case`).

The HTML form is one self-contained file: inline CSS, an inline SVG picture of the timeline
(days on the x axis, weekends and holidays shaded, one row per step with a marker at its date and a
bar to its deadline, dispute pauses hatched) and one small inline script that only records, on the
SVG element, which step rows the browser laid out (``data-rendered``), so a headless browser test
can tell "rendered" from "present in the source".  A Content-Security-Policy meta tag forbids every
fetch (``default-src 'none'``) and allows just that script and style by hash.  Ruleset text comes
from anyone who can open a pull request, so every piece of it is escaped: ``html.escape`` in HTML,
backslash escapes in Markdown.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from . import _expr as ex
from ._compile import Plan, StepPlan, compile
from ._evaluate import case_from_data, evaluate
from ._extends import origins_of
from ._model import Case, Ruleset, Step
from ._schedule import Action, Schedule, human_date

__all__ = ["example_case", "explain", "explain_html", "explain_markdown", "run_explain", "timing_words"]

COUNTRY_NAMES = {"NO": "Norway", "SE": "Sweden", "DK": "Denmark", "FI": "Finland"}
_WEEKDAY_WORDS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
                  "sat": "Saturday", "sun": "Sunday"}

# ------------------------------------------------------------------------------ the example case

# A due date in 2026 per jurisdiction, chosen so that the example shows the calendar at work and
# its claims stay inside the shipped rate files: Norway's (examples/no-case.json) puts the
# inkassovarsel (D+15) on Maundy Thursday, moved past Easter to Tue 7 Apr; Sweden's, the last
# weekday of April, moves the inkassokrav off May Day and the termination off Ascension Day, and
# counts the enforcement's three business days around midsommarafton.
_EXAMPLE_DUE = {"NO": dt.date(2026, 3, 18), "SE": dt.date(2026, 4, 30)}
_DEFAULT_DUE = dt.date(2026, 3, 2)
_EXAMPLE_AMOUNT = {"NOK": "9500.00", "SEK": "8200.00", "DKK": "8000.00", "EUR": "1000.00"}
_DEFAULT_AMOUNT = "1000.00"
# Events the engine itself interprets: an example never invents a payment or a dispute.
_ENGINE_EVENTS = frozenset({"payment", "dispute_opened", "dispute_resolved"})
_EVENT_DELAY = 10  # days after the last step that does not wait for it


def example_case(plan: Plan) -> dict[str, Any]:
    """A built-in example case for `plan`: a due date in 2026, an amount in the ruleset's
    currency, no payments and no dispute, the facts the ruleset requires (false, 0 or ""), and
    every event the ruleset reads (for Sweden: `service_completed`) dated ten days after the
    last non-repeating step that does not wait for it, moved to a business day, so that the
    steps anchored on it get dates too."""
    rs = plan.source
    due = _EXAMPLE_DUE.get(rs.jurisdiction, _DEFAULT_DUE)
    facts: dict[str, Any] = {}
    for fact in plan.facts:
        if fact.required:
            facts[fact.name] = {"boolean": False, "number": 0, "string": ""}[fact.type]
    case: dict[str, Any] = {
        "id": f"example-{rs.id}",
        "due_date": due.isoformat(),
        "amount": _EXAMPLE_AMOUNT.get(rs.currency, _DEFAULT_AMOUNT),
        "currency": rs.currency,
        "debtor": {"name": "Example Tenant", "language": rs.language},
        "events": [],
    }
    if facts:
        case["facts"] = facts
    wanted = [name for name in plan.event_names if name not in _ENGINE_EVENTS]
    if wanted:
        without = evaluate(plan, case)
        repeating = {sp.id for sp in plan.listed if sp.repeat_every is not None}
        dated = [a.date for a in without.actions
                 if a.status == "planned" and a.date is not None and a.step not in repeating]
        base = max(dated, default=due + dt.timedelta(days=20))
        day = plan.calendar.roll(base + dt.timedelta(days=_EVENT_DELAY), "following")
        case["events"] = [{"type": name, "date": day.isoformat()} for name in wanted]
    return case


# ------------------------------------------------------------------------------ timing in words

_UNITS = {"days": ("calendar day", "calendar days"), "business_days": ("business day", "business days"),
          "weeks": ("week", "weeks"), "months": ("month", "months"), "years": ("year", "years")}
_EVENT_WORDS = {
    "service_completed": "the enforcement authority completes service",
    "dispute_opened": "a dispute is opened",
    "dispute_resolved": "the dispute is resolved",
    "payment": "the first payment is made",
}
_ROLL_WORDS = {
    "following": "moved to the next business day when it is not one",
    "preceding": "moved to the previous business day when it is not one",
    "modified_following": "moved to the next business day when it is not one (to the previous one "
                          "if the next is in another month)",
    "none": "kept even when it is not a business day",
}
_DEADLINE_ROLL_WORDS = {
    "following": "the last day moves to the next business day when it is not one",
    "preceding": "the last day moves to the previous business day when it is not one",
    "modified_following": "the last day moves to the next business day when it is not one (to the "
                          "previous one if the next is in another month)",
    "none": "the last day stays even when it is not a business day",
}


def _join(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _amount(off: ex.Offset, params: Mapping[str, Any]) -> str:
    one, many = _UNITS[off.unit]
    if off.param is None:
        return f"{off.amount} {one if off.amount == 1 else many}"
    value = params.get(off.param)
    return f"{value} {one if value == 1 else many} (params.{off.param})"


def _offsets(offs: Sequence[ex.Offset], base: str, params: Mapping[str, Any]) -> str:
    """`15 calendar days after the due date`; `1 month after X, then 2 business days earlier`.
    Offsets apply left to right, so the words keep their order."""
    groups: list[tuple[int, list[str]]] = []
    for off in offs:
        if groups and groups[-1][0] == off.sign:
            groups[-1][1].append(_amount(off, params))
        else:
            groups.append((off.sign, [_amount(off, params)]))
    sign, first = groups[0]
    out = f"{_join(first)} {'after' if sign > 0 else 'before'} {base}"
    for sign, more in groups[1:]:
        out += f", then {_join(more)} {'later' if sign > 0 else 'earlier'}"
    return out


def _anchor(anchor: ex.Anchor) -> str:
    """The anchor as a noun phrase."""
    if anchor.kind == "due":
        return "the due date"
    if anchor.kind == "step_date":
        return f"the date of {anchor.name}"
    if anchor.kind == "step_deadline":
        return f"the deadline of {anchor.name}"
    said = _EVENT_WORDS.get(anchor.name or "")
    if said is None:
        return f"the day of the first {anchor.name} event"
    return f"the day {said} (event.{anchor.name})"


def _date(node: ex.DateExpr, params: Mapping[str, Any], top: bool) -> str:
    if isinstance(node, ex.DateExtreme):
        n = len(node.args)
        which = ("later" if n == 2 else "latest") if node.fn == "max" else ("earlier" if n == 2 else "earliest")
        args = [_date(a, params, False) for a in node.args]
        noun = f"the {which} of {args[0]} and {args[1]}" if n == 2 else f"the {which} of: {'; '.join(args)}"
        if node.offsets:
            return _offsets(node.offsets, noun, params)
        return f"on {noun}" if top else noun
    if node.offsets:
        return _offsets(node.offsets, _anchor(node.anchor), params)
    if not top:
        return _anchor(node.anchor)
    kind = node.anchor.kind
    if kind == "step_date":
        return f"the same day as {node.anchor.name}"
    if kind == "event":
        return _anchor(node.anchor)
    return f"on {_anchor(node.anchor)}"


def date_words(text: str, params: Mapping[str, Any] | None = None) -> str:
    """A date expression in words, from its parse tree: `due + 15 days` ->
    `15 calendar days after the due date`."""
    return _date(ex.parse_date(text), params or {}, True)


def _length_words(text: str, base: str, params: Mapping[str, Any]) -> str:
    """A length (`14 days`, `6 months`) counted from `base`, as the compiler reads it."""
    node = ex.parse_date("due + " + text)
    return _offsets(node.offsets, base, params)


def timing_words(step: Step, sp: StepPlan, ruleset: Ruleset) -> str:
    """When a step happens, in words: the date, the roll, repetition, and its own pause policy."""
    params = ruleset.parameters
    out = f"{_date(ex.parse_date(step.at), params, True)}, {_ROLL_WORDS[sp.roll]}"
    if step.repeat is not None:
        every = _length_words(step.repeat.every, "", params).removesuffix(" after ").strip()
        until = _date(ex.parse_date(step.repeat.until), params, False)
        out += f"; then again every {every} (counted from the first), up to {until}"
        if "max" in step.repeat.model_fields_set:
            out += f", at most {step.repeat.max} times"
    if sp.on_pause != ruleset.pause.policy and ruleset.pause.during:
        out += ("; inside a dispute pause: " +
                ("skipped" if sp.on_pause == "skip" else "moved to the first business day after it"))
    return out


def deadline_words(step: Step, sp: StepPlan, ruleset: Ruleset) -> str | None:
    if step.deadline is None:
        return None
    length = _length_words(step.deadline.after, "the step's date", ruleset.parameters)
    return f"{length}; {_DEADLINE_ROLL_WORDS[sp.deadline_roll]}"


def fee_words(step: Step, sp: StepPlan, currency: str) -> str | None:
    fee = sp.fee
    if fee is None:
        return None
    if fee.amount is not None:
        what = f"{fee.amount} {currency}"
    elif fee.fraction == 1:
        what = f"the value of rate table {fee.rate} on the sending date"
    else:
        what = f"{fee.fraction} of rate table {fee.rate} on the sending date"
    rule = fee.rule
    rules = []
    if rule.min_days_after_due:
        rules.append(f"only when sent at least {rule.min_days_after_due} days after the due date")
    if rule.requires_fact:
        rules.append(f"only when facts.{rule.requires_fact} is true")
    if rule.max_count is not None:
        rules.append(f"at most {rule.max_count} such fees per case")
    if rule.cap_table:
        rules.append(f"capped by rate table {rule.cap_table}")
    elif rule.rate and rule.max_fraction is not None:
        rules.append(f"capped at {rule.max_fraction} of {rule.rate}")
    basis = step.fee.legal_basis if step.fee is not None and step.fee.legal_basis else rule.basis
    rules.append(basis)
    return f"{fee.kind.replace('_', ' ')} fee: {what} ({'; '.join(rules)})"


def channels_words(sp: StepPlan) -> str:
    channels = ", ".join(sp.channels) if sp.channels else "no channel given"
    return f"{channels} → {sp.recipient}"


def calendar_words(ruleset: Ruleset) -> str:
    c = ruleset.calendar
    out = (f"business days of {COUNTRY_NAMES.get(c.country, c.country)}: not on "
           f"{_join([_WEEKDAY_WORDS[w] for w in c.weekend], 'or')}, "
           f"nor on holidays of the categories {', '.join(c.categories)}")
    if c.closed:
        out += f", nor on the closing days {', '.join(c.closed)} (MM-DD every year, YYYY-MM-DD once)"
    return out


def _rules(ruleset: Ruleset) -> list[tuple[str, str]]:
    """(label, words) for what applies to every step."""
    rs = ruleset
    rows = [
        ("Jurisdiction", f"{rs.jurisdiction} ({COUNTRY_NAMES.get(rs.jurisdiction, rs.jurisdiction)}), "
                         f"currency {rs.currency}, language {rs.language}"),
        ("Calendar", calendar_words(rs)),
    ]
    if rs.pause.during:
        policy = ("a step whose date falls inside moves to the first business day after it"
                  if rs.pause.policy == "shift" else "a step whose date falls inside is skipped")
        rows.append(("Pauses", "while a dispute is open (from a dispute_opened event to the next "
                     f"dispute_resolved, both days included): {policy}; while it is still open such a "
                     "step waits"))
    else:
        rows.append(("Pauses", "none: steps are not paused by disputes"))
    rows.append(("Stop", "once the claim is paid in full, every later step is skipped" if "paid" in rs.stop_when
                 else "none: steps run even after the claim is paid"))
    if rs.interest is not None:
        rows.append(("Interest", f"late-payment interest on the principal from the due date, rate table "
                     f"{rs.interest.table}, actual/{rs.interest.day_count}"))
    else:
        rows.append(("Interest", "none"))
    rows.append(("Payments pay", ", then ".join(rs.allocation)))
    if rs.parameters:
        rows.append(("Parameters", ", ".join(f"params.{k} = {v}" for k, v in rs.parameters.items())))
    if rs.creditor is not None:
        rows.append(("Creditor", rs.creditor.name))
    return rows


@dataclass(frozen=True)
class _StepRow:
    index: int
    id: str
    title: str | None
    action: str
    when: str
    condition: str | None
    deadline: str | None
    fee: str | None
    channels: str
    legal_basis: str | None
    provenance: str | None = None  # for a ruleset on a base: "added in x.yaml", "changed in x.yaml: at"


def _provenance(ruleset: Ruleset, i: int) -> str | None:
    """What the extension(s) did to step `i`, for a reviewer: nothing for a step as the root base
    has it (or a ruleset of one file)."""
    origin = ruleset._origin
    if origin is None or len(origin.files) < 2:
        return None
    located, root = origin.located, origin.files[-1]
    fields = {key: [file for file, _, _ in origins_of(located, ("steps", i, key))]
              for key in located.data["steps"][i]}
    if located.file(("steps", i)) != root and all(root not in files for files in fields.values()):
        return f"added in {Path(located.file(('steps', i))).name}"
    changed: dict[str, list[str]] = {}
    for key, files in fields.items():
        for file in dict.fromkeys(files):
            if file != root and key != "id":  # an entry names the step it changes: not a change
                changed.setdefault(Path(file).name, []).append(key)
    return "changed in " + "; ".join(f"{name}: {', '.join(keys)}" for name, keys in changed.items()) \
        if changed else None


def _step_rows(ruleset: Ruleset, plan: Plan) -> list[_StepRow]:
    rows = []
    for step, sp in zip(ruleset.steps, plan.listed):
        rows.append(_StepRow(
            index=sp.index + 1, id=sp.id, title=sp.title, action=sp.action.replace("_", " "),
            when=timing_words(step, sp, ruleset),
            condition=" ".join(sp.when_text.split()) if sp.when_text else None,
            deadline=deadline_words(step, sp, ruleset),
            fee=fee_words(step, sp, ruleset.currency),
            channels=channels_words(sp),
            legal_basis=sp.legal_basis,
            provenance=_provenance(ruleset, sp.index),
        ))
    return rows


# ------------------------------------------------------------------------------ the example's facts


@dataclass(frozen=True)
class _Example:
    case: Case | None
    built_in: bool
    pauses: tuple[tuple[dt.date, dt.date | None], ...]   # dispute intervals, None = still open
    events: tuple[tuple[dt.date, str, Decimal | None], ...]
    claim_notes: dict[str, int]                          # claim error -> footnote number


def _as_case(case: Case | Mapping[str, Any] | None) -> Case | None:
    if case is None or isinstance(case, Case):
        return case
    return case_from_data(case)


def _example(plan: Plan, schedule: Schedule, case: Case | None, built_in: bool) -> _Example:
    pauses: list[tuple[dt.date, dt.date | None]] = []
    events: list[tuple[dt.date, str, Decimal | None]] = []
    if case is not None:
        seen = sorted((e for e in case.events if schedule.as_of is None or e.date <= schedule.as_of),
                      key=lambda e: e.date)
        opened: dt.date | None = None
        for e in seen:
            events.append((e.date, e.type, e.amount))
            if "dispute" not in plan.pause_during:
                continue
            if e.type == "dispute_opened" and opened is None:
                opened = e.date
            elif e.type == "dispute_resolved" and opened is not None:
                pauses.append((opened, e.date))
                opened = None
        if opened is not None:
            pauses.append((opened, None))
    notes: dict[str, int] = {}
    for a in schedule.actions:
        if a.claim is None and a.claim_error and a.claim_error not in notes:
            notes[a.claim_error] = len(notes) + 1
    return _Example(case, built_in, tuple(pauses), tuple(events), notes)


def _case_words(ex_: _Example, schedule: Schedule, currency: str) -> list[str]:
    """Sentences describing the example case (plain text)."""
    case = ex_.case
    if case is None:
        return [f"Case {schedule.case}."]
    kind = "Built-in example case" if ex_.built_in else "Case"
    out = [f"{kind} {case.id}: {case.amount} {case.currency} due on {human_date(case.due_date.toordinal())}."]
    if schedule.as_of is not None:
        out.append(f"As known on {human_date(schedule.as_of.toordinal())}.")
    if case.facts:
        out.append("Facts: " + ", ".join(f"{k} = {_json(v)}" for k, v in case.facts.items()) + ".")
    if ex_.events:
        out.append("Events: " + "; ".join(_event_words(d, t, amt, currency) for d, t, amt in ex_.events) + ".")
    else:
        out.append("No payments, no dispute, no other events.")
    return out


def _event_words(day: dt.date, kind: str, amount: Decimal | None, currency: str) -> str:
    return f"{human_date(day.toordinal())} {kind}" + (f" {amount} {currency}" if amount is not None else "")


def _json(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _key_days(plan: Plan, schedule: Schedule, info: _Example) -> list[int]:
    """The ordinals the timeline must show: dates, deadlines, events, pauses, the due date."""
    key: list[int] = []
    for a in schedule.actions:
        for d in (a.date, a.deadline):
            if d is not None:
                key.append(d.toordinal())
    for d, _, _ in info.events:
        key.append(d.toordinal())
    for start, end in info.pauses:
        key.append(start.toordinal())
        if end is not None:
            key.append(end.toordinal())
    if info.case is not None:
        key.append(info.case.due_date.toordinal())
    cal = plan.calendar
    return [o for o in key if cal.first.toordinal() <= o <= cal.last.toordinal()]


def _closed_days(plan: Plan, key: Sequence[int]) -> list[tuple[dt.date, str]]:
    """Holidays and closing days (weekends aside) on the days the timeline shows."""
    if not key:
        return []
    out = []
    for seg in _Axis(key, 0).segs:
        out += plan.calendar.holidays_in(dt.date.fromordinal(seg.start), dt.date.fromordinal(seg.end))
    return out


def _step_cell(a: Action) -> str:
    return a.step if a.occurrence is None else f"{a.step} #{a.occurrence}"


def _claim_cell(a: Action, notes: Mapping[str, int]) -> str:
    if a.claim is not None:
        return str(a.claim.total)
    if a.claim_error:
        return f"unknown [{notes[a.claim_error]}]"
    return "—"


def _day(d: dt.date | None) -> str:
    return "—" if d is None else human_date(d.toordinal())


# ------------------------------------------------------------------------------ Markdown

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])")
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md(text: Any) -> str:
    """Untrusted text for a Markdown table cell or paragraph: one line, and every character
    that could start markup (emphasis, links, raw HTML, code, a table cell) escaped."""
    s = " ".join(str(text).split())
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return _MD_UNDERSCORE.sub(r"\\_", s)


def md_code(text: str) -> str:
    """A code span whatever the text holds (backticks, pipes)."""
    s = " ".join(text.split()).replace("|", "\\|")
    run = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (run + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _reviewer_notes(ruleset: Ruleset, plan: Plan) -> list[tuple[str, str]]:
    """(what, note) for each step's `notes` and each rate row not yet confirmed against the
    statute (`confirmed: false`): what a reviewer must check before signing off."""
    found = [(f"step {step.id}", " ".join(step.notes.split())) for step in ruleset.steps if step.notes]
    if plan.rates is not None:
        for name, table in plan.rates.tables.items():
            for row in table.rows:
                if not row.confirmed:
                    found.append((f"rate {name} {row.valid_from.isoformat()}..{row.valid_to.isoformat()} = {row.value}"
                                  f" ({table.unit}), not confirmed", " ".join((row.note or "").split())))
    return found


def _bases(rs: Ruleset) -> tuple[str, ...]:
    """The files of the bases a ruleset extends, nearest first (none for a ruleset of one file)."""
    origin = rs._origin
    return origin.files[1:] if origin is not None else ()


def explain_markdown(ruleset: Ruleset, plan: Plan, schedule: Schedule, *,
                     case: Case | Mapping[str, Any] | None = None, built_in: bool = False) -> str:
    """The process as a reviewer reads it, in Markdown.  `case` (the one `schedule` was evaluated
    for) adds its due date, events and dispute pauses to the example section."""
    c = _as_case(case)
    info = _example(plan, schedule, c, built_in)
    rs = ruleset
    out = [f"# {md(rs.title)}", ""]
    out.append(f"Ruleset {md_code(rs.id)} version {md(rs.version)}, sha256 {md_code(plan.ruleset.sha256)}.")
    if _bases(rs):
        out.append(f"It extends {', which extends '.join(md_code(b) for b in _bases(rs))}; "
                   "`dunningrules show --effective` names the file of every field.")
    out.append("")
    if rs.description:
        out += [md(rs.description), ""]
    out += ["## Rules for every step", ""]
    out += _md_table(["", ""], [[f"**{label}**", md(words)] for label, words in _rules(rs)])
    out.append("")
    if rs.facts:
        out += ["## Case facts the conditions read", ""]
        out += _md_table(["Fact", "Type", "Default", "Meaning"], [
            [md_code(f"facts.{name}"), decl.type,
             "required" if "default" not in decl.model_fields_set else md(_json(decl.default)),
             md(decl.description or "—")]
            for name, decl in rs.facts.items()])
        out.append("")
    out += ["## Steps", ""]
    out += _md_table(
        ["#", "Step", "Action", "When", "Condition", "Deadline", "Fee", "Channels → recipient", "Legal basis"],
        [[str(r.index), md_code(r.id) + (f" {md(r.title)}" if r.title else "")
          + (f" ({md(r.provenance)})" if r.provenance else ""), md(r.action), md(r.when),
          md_code(r.condition) if r.condition else "—", md(r.deadline or "—"), md(r.fee or "—"),
          md(r.channels), md(r.legal_basis or "—")]
         for r in _step_rows(rs, plan)])
    notes = _reviewer_notes(rs, plan)
    if notes:
        out += ["", "## Notes for reviewers", ""]
        out += [f"- **{md(what)}**: {md(note)}" for what, note in notes]
    out += ["", "## Example timeline", ""]
    out += [md(s) for s in _case_words(info, schedule, rs.currency)]
    out.append("")
    for start, end in info.pauses:
        out.append(f"Dispute pause: {human_date(start.toordinal())} to "
                   f"{'(still open)' if end is None else human_date(end.toordinal())}.")
    if info.pauses:
        out.append("")
    out += _md_table(
        ["Date", "Step", "Status", "Deadline", "Fee", f"Claim total ({md(rs.currency)})", "Reason"],
        [[_day(a.date), md_code(_step_cell(a)), a.status, _day(a.deadline),
          "—" if a.fee is None else str(a.fee), _claim_cell(a, info.claim_notes), md(a.reason)]
         for a in schedule.actions])
    if info.claim_notes:
        out.append("")
        out += [f"[{n}] {md(why)}" + ("  " if n < len(info.claim_notes) else "")
                for why, n in info.claim_notes.items()]
    closed = _closed_days(plan, _key_days(plan, schedule, info))
    if closed:
        out += ["", "Holidays and closing days on the days shown: "
                + "; ".join(f"{human_date(d.toordinal())} {md(name)}" for d, name in closed) + "."]
    out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------ HTML

def h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;margin:2rem auto;
max-width:1400px;padding:0 1.5rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #d5dbe1}
.meta{color:#5b6773;margin:0 0 1rem}code{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;
background:#f2f4f7;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
th,td{border:1px solid #d5dbe1;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f7;font-weight:600}tbody tr:nth-child(even){background:#fafbfc}
table.rules th{width:9rem}table.steps td:nth-child(2){min-width:12rem}table.steps td:nth-child(3){min-width:6rem}
table.steps td:nth-child(4){min-width:13rem}table.steps td:nth-child(9){min-width:10rem}
table.steps td:nth-child(6),table.steps td:nth-child(7),table.steps td:nth-child(8){min-width:8rem}
td{overflow-wrap:anywhere}td.num{text-align:right;white-space:nowrap}td.date{white-space:nowrap}
.status-skipped{color:#8a5a00}.status-waiting{color:#5b6773;font-style:italic}
.scroll{overflow-x:auto;border:1px solid #d5dbe1;border-radius:4px;background:#fff}
figure{margin:0}figcaption{color:#5b6773;font-size:12px;margin:.4rem 0}
.notes{color:#5b6773;font-size:12px}
svg.timeline{display:block;font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg .stripe{fill:#f7f9fb}svg .weekend{fill:#e6e9ed}svg .holiday{fill:#f6d3cf}
svg .break{fill:#fff}svg .zigzag{fill:none;stroke:#8795a1;stroke-width:1}
svg .axis{stroke:#8795a1;stroke-width:1}svg .tick{stroke:#8795a1}svg .minor{stroke:#c4ccd4}
svg .grid{stroke:#d5dbe1;stroke-width:1}svg .due{stroke:#1d232a;stroke-dasharray:4 3}
svg .label-date{fill:#3b4651;font-size:10px}svg .label-year{fill:#5b6773;font-size:10px;font-weight:600}
svg .sid{fill:#1d232a;font-weight:600}svg .stitle{fill:#5b6773}
svg .planned{fill:#1f6feb;stroke:#0b3d91;stroke-width:1}
svg .skipped{fill:#fff;stroke:#b26b00;stroke-width:1.5}svg .cross{stroke:#b26b00;stroke-width:1.5}
svg .bar{fill:#8fb8f5}svg .bar-end{stroke:#0b3d91;stroke-width:2}
svg .pause{fill:url(#hatch)}svg .pause-edge{stroke:#b42318;stroke-width:1}
svg .hatch-line{stroke:#d9534f;stroke-width:1.2}
svg .event{fill:#6f42c1}svg .note{fill:#5b6773;font-style:italic}svg .mdate{fill:#0b3d91;font-size:9.5px}
svg .note,svg .mdate{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .legend{fill:#3b4651}
""".strip()

# Records which step rows the browser actually laid out (a non-empty box): the headless browser
# test reads it back from the DOM.  It fetches nothing and changes nothing else.
_SCRIPT = ("(function(){var s=document.querySelector('svg.timeline');if(!s)return;var ok=[];"
           "s.querySelectorAll('g.row').forEach(function(g){var b=g.getBBox();"
           "if(b.width>0&&b.height>0)ok.push(g.getAttribute('data-step'));});"
           "s.setAttribute('data-rendered',ok.join(' '));})();")


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


_CSP = (f"default-src 'none'; style-src '{_sha(_CSS)}'; script-src '{_sha(_SCRIPT)}'; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Seg:
    start: int      # first ordinal shown
    end: int        # last ordinal shown (inclusive)
    x0: float       # x of the start of day `start`


class _Axis:
    """Days on the x axis, with long quiet stretches cut out (an axis break), so that a process
    that runs for years still shows its first weeks day by day."""

    GAP = 31        # a stretch of more days without anything dated is cut
    PAD = 2         # days shown either side of the first and last date of a stretch
    MIN_DAYS = 7    # a stretch is at least this wide (room for its tick label)
    BREAK = 28      # px of an axis break

    def __init__(self, ordinals: Sequence[int], x0: float) -> None:
        days = sorted(set(ordinals))
        clusters: list[list[int]] = []
        for o in days:
            if clusters and o - clusters[-1][-1] <= self.GAP:
                clusters[-1].append(o)
            else:
                clusters.append([o])
        spans = []
        for c in clusters:
            start, end = c[0] - self.PAD, c[-1] + self.PAD
            short = self.MIN_DAYS - (end - start + 1)
            if short > 0:
                start -= short // 2
                end += short - short // 2
            if spans and start <= spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
        total = sum(e - s + 1 for s, e in spans)
        self.day = max(7.0, min(18.0, 1000.0 / max(total, 1)))
        self.segs: list[_Seg] = []
        x = x0
        for i, (s, e) in enumerate(spans):
            if i:
                x += self.BREAK
            self.segs.append(_Seg(s, e, x))
            x += (e - s + 1) * self.day
        self.x_end = x

    @property
    def first(self) -> int:
        return self.segs[0].start

    @property
    def last(self) -> int:
        return self.segs[-1].end

    def x(self, o: int) -> float:
        """The left edge of day `o` (a day inside a break maps into the break)."""
        prev = None
        for seg in self.segs:
            if o < seg.start:
                if prev is None:
                    return seg.x0
                left = prev.x0 + (prev.end - prev.start + 1) * self.day
                frac = (o - prev.end) / (seg.start - prev.end)
                return left + frac * (seg.x0 - left)
            if o <= seg.end:
                return seg.x0 + (o - seg.start) * self.day
            prev = seg
        return self.x_end

    def mid(self, o: int) -> float:
        return self.x(o) + self.day / 2

    def days(self) -> list[int]:
        return [o for seg in self.segs for o in range(seg.start, seg.end + 1)]


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg(plan: Plan, schedule: Schedule, info: _Example, step_rows: list[_StepRow], currency: str) -> str:
    LABEL_W, TOP, ROW_H, RIGHT = 300.0, 58.0, 26.0, 90.0
    actions = schedule.actions
    by_step: dict[str, list[Action]] = {}
    for a in actions:
        by_step.setdefault(a.step, []).append(a)
    key = _key_days(plan, schedule, info)
    cal = plan.calendar
    has_events_row = bool(info.events) or info.case is not None
    n_rows = len(step_rows) + (1 if has_events_row else 0)
    rows_top = TOP
    rows_bottom = TOP + n_rows * ROW_H
    legend_y = rows_bottom + 26
    height = legend_y + 18
    parts: list[str] = []
    if not key:
        width = LABEL_W + 420
        axis = None
    else:
        axis = _Axis(key, LABEL_W)
        width = axis.x_end + RIGHT
    width = max(width, 760.0)
    add = parts.append
    add(f'<svg class="timeline" width="{_f(width)}" height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'role="img" aria-labelledby="tl-title">')
    add(f'<title id="tl-title">{h(f"Timeline of {schedule.case} under {plan.ruleset.id}")}</title>')
    add('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>')
    # Row stripes.
    for i in range(n_rows):
        if i % 2 == 0:
            add(f'<rect class="stripe" x="0" y="{_f(rows_top + i * ROW_H)}" width="{_f(width)}" '
                f'height="{_f(ROW_H)}"/>')
    if axis is not None:
        day = axis.day
        names = dict(cal.holidays_in(dt.date.fromordinal(axis.first), dt.date.fromordinal(axis.last)))
        # Non-business days, shaded over every row.
        add('<g class="closed">')
        for o in axis.days():
            d = dt.date.fromordinal(o)
            if cal.is_business_day(d):
                continue
            name = names.get(d)
            cls = "holiday" if name else "weekend"
            label = f"{human_date(o)}: {name}" if name else f"{human_date(o)}: {cal.closure_name(d)} (weekend)"
            add(f'<rect class="{cls}" x="{_f(axis.x(o))}" y="{_f(rows_top)}" width="{_f(day)}" '
                f'height="{_f(rows_bottom - rows_top)}"><title>{h(label)}</title></rect>')
        add('</g>')
        # Axis breaks.
        for prev, seg in zip(axis.segs, axis.segs[1:]):
            left = prev.x0 + (prev.end - prev.start + 1) * day
            omitted = seg.start - prev.end - 1
            add(f'<g class="axis-break"><rect class="break" x="{_f(left)}" y="{_f(TOP - 22)}" '
                f'width="{_f(seg.x0 - left)}" height="{_f(rows_bottom - TOP + 22)}"/>')
            zig = []
            y, k = TOP - 22, 0
            while y < rows_bottom + 6:
                zig.append(f"{_f(left + 7 + (6 if k % 2 else 0))},{_f(min(y, rows_bottom))}")
                y += 6
                k += 1
            points = " ".join(zig)
            add(f'<polyline class="zigzag" points="{points}"/>'
                f'<polyline class="zigzag" points="{points}" transform="translate(8 0)"/>')
            add(f'<title>{h(f"{omitted} days not shown: {human_date(prev.end + 1)} to {human_date(seg.start - 1)}")}'
                '</title></g>')
        # Axis line, ticks and labels.
        add(f'<line class="axis" x1="{_f(LABEL_W)}" y1="{_f(TOP)}" x2="{_f(axis.x_end)}" y2="{_f(TOP)}"/>')
        add('<g class="ticks">')
        step_label = 7 if day >= 7 else 14
        for seg in axis.segs:
            last_label = None
            for o in range(seg.start, seg.end + 1):
                d = dt.date.fromordinal(o)
                x = axis.x(o)
                monday = d.weekday() == 0
                add(f'<line class="{"tick" if monday else "minor"}" x1="{_f(x)}" y1="{_f(TOP - (6 if monday else 3))}" '
                    f'x2="{_f(x)}" y2="{_f(TOP)}"/>')
                first = o == seg.start
                if first or (monday and (last_label is None or o - last_label >= step_label - 2)
                             and seg.end - o >= 2):
                    add(f'<text class="label-date" x="{_f(x + 1)}" y="{_f(TOP - 9)}">{d.day} {_MONTHS[d.month - 1]}</text>')
                    if first or d.month == 1 and d.day <= 7 or (last_label is not None and
                                                                 dt.date.fromordinal(last_label).year != d.year):
                        add(f'<text class="label-year" x="{_f(x + 1)}" y="{_f(TOP - 22)}">{d.year}</text>')
                    last_label = o
                if monday:
                    add(f'<line class="grid" x1="{_f(x)}" y1="{_f(rows_top)}" x2="{_f(x)}" y2="{_f(rows_bottom)}"/>')
        add('</g>')
        # Dispute pauses, hatched over every row.
        for start, end in info.pauses:
            s = start.toordinal()
            e = axis.last if end is None else end.toordinal()
            x1, x2 = axis.x(s), axis.x(e) + day
            span = (f"dispute pause {human_date(s)} to "
                    + ("(still open)" if end is None else human_date(e)))
            add(f'<g class="pause-band"><rect class="pause" x="{_f(x1)}" y="{_f(rows_top)}" width="{_f(x2 - x1)}" '
                f'height="{_f(rows_bottom - rows_top)}" fill-opacity="0.55"/>'
                f'<line class="pause-edge" x1="{_f(x1)}" y1="{_f(rows_top)}" x2="{_f(x1)}" y2="{_f(rows_bottom)}"/>'
                f'<line class="pause-edge" x1="{_f(x2)}" y1="{_f(rows_top)}" x2="{_f(x2)}" y2="{_f(rows_bottom)}"/>'
                f'<title>{h(span)}</title></g>')
        # The due date.
        if info.case is not None:
            o = info.case.due_date.toordinal()
            x = axis.mid(o)
            add(f'<g class="due-date"><line class="due" x1="{_f(x)}" y1="{_f(rows_top)}" x2="{_f(x)}" '
                f'y2="{_f(rows_bottom)}"/><text class="legend" x="{_f(x + 3)}" y="{_f(rows_top + 12)}">due</text>'
                f'<title>{h("due date " + human_date(o))}</title></g>')
    # Rows.
    row = 0
    if has_events_row:
        y = rows_top + ROW_H / 2
        add(f'<g class="events-row"><text class="sid" x="8" y="{_f(y + 4)}">case events</text>')
        for d, kind, amount in info.events:
            if axis is None:
                break
            x = axis.mid(d.toordinal())
            add(f'<path class="event" d="M{_f(x)},{_f(y - 6)} l5,6 l-5,6 l-5,-6 z">'
                f'<title>{h(_event_words(d, kind, amount, currency))}</title></path>')
            add(f'<text class="mdate" x="{_f(x + 7)}" y="{_f(y - 3)}">{h(_clip(kind, 24))}</text>')
        add('</g>')
        row = 1
    for r in step_rows:
        y = rows_top + row * ROW_H + ROW_H / 2
        row += 1
        label = f"{r.index}. {r.id}"
        add(f'<g class="row" data-step="{h(r.id)}">')
        add(f'<text x="8" y="{_f(y + 4)}"><tspan class="sid">{h(_clip(label, 36))}</tspan>'
            + (f'<tspan class="stitle"> {h(_clip(r.title, max(4, 46 - len(label))))}</tspan>' if r.title else "")
            + f'<title>{h(label + (" — " + r.title if r.title else ""))}</title></text>')
        mine = by_step.get(r.id, [])
        undated = [a for a in mine if a.date is None]
        dated = [a for a in mine if a.date is not None]
        for a in dated:
            if axis is None:
                break
            o = a.date.toordinal()
            cx = axis.mid(o)
            tip = [f"{_step_cell(a)}: {human_date(o)}, {a.status}"]
            if a.deadline is not None:
                tip.append(f"deadline {human_date(a.deadline.toordinal())}")
            if a.fee is not None:
                tip.append(f"fee {a.fee} {currency}")
            tip.append(a.reason)
            title = f"<title>{h('; '.join(tip))}</title>"
            if a.deadline is not None and a.status == "planned":
                dx = axis.mid(a.deadline.toordinal())
                add(f'<g class="deadline"><rect class="bar" x="{_f(cx)}" y="{_f(y + 1)}" width="{_f(max(dx - cx, 0))}" '
                    f'height="4"/><line class="bar-end" x1="{_f(dx)}" y1="{_f(y - 5)}" x2="{_f(dx)}" '
                    f'y2="{_f(y + 7)}"/><title>{h(f"{r.id}: deadline {human_date(a.deadline.toordinal())}")}'
                    '</title></g>')
            if a.status == "planned":
                add(f'<circle class="planned" cx="{_f(cx)}" cy="{_f(y)}" r="5">{title}</circle>')
            else:
                add(f'<g class="marker-skipped"><circle class="skipped" cx="{_f(cx)}" cy="{_f(y)}" r="5"/>'
                    f'<line class="cross" x1="{_f(cx - 3)}" y1="{_f(y - 3)}" x2="{_f(cx + 3)}" y2="{_f(y + 3)}"/>'
                    f'<line class="cross" x1="{_f(cx - 3)}" y1="{_f(y + 3)}" x2="{_f(cx + 3)}" y2="{_f(y - 3)}"/>'
                    f'{title}</g>')
            d = a.date
            add(f'<text class="mdate" x="{_f(cx + 7)}" y="{_f(y - 3)}">{d.day} {_MONTHS[d.month - 1]}'
                f'{"" if a.status == "planned" else " " + a.status}</text>')
        if undated or not mine:
            x = LABEL_W + 6 if axis is None or not dated else axis.mid(dated[-1].date.toordinal()) + 60
            if undated:
                words = f"{undated[0].status}: {undated[0].reason}"
            else:
                words = "no action in this case"
            add(f'<text class="note" x="{_f(x)}" y="{_f(y + 4)}">{h(_clip(words, 70))}<title>{h(words)}</title></text>')
        add('</g>')
    # Legend.
    lx, ly = 8.0, legend_y
    add('<g class="legend-row">')
    add(f'<circle class="planned" cx="{_f(lx + 5)}" cy="{_f(ly - 4)}" r="5"/>'
        f'<text class="legend" x="{_f(lx + 14)}" y="{_f(ly)}">planned</text>')
    lx += 80
    add(f'<circle class="skipped" cx="{_f(lx + 5)}" cy="{_f(ly - 4)}" r="5"/>'
        f'<text class="legend" x="{_f(lx + 14)}" y="{_f(ly)}">skipped</text>')
    lx += 80
    add(f'<rect class="bar" x="{_f(lx)}" y="{_f(ly - 6)}" width="24" height="4"/>'
        f'<line class="bar-end" x1="{_f(lx + 24)}" y1="{_f(ly - 10)}" x2="{_f(lx + 24)}" y2="{_f(ly + 2)}"/>'
        f'<text class="legend" x="{_f(lx + 30)}" y="{_f(ly)}">to the deadline</text>')
    lx += 130
    add(f'<rect class="weekend" x="{_f(lx)}" y="{_f(ly - 10)}" width="12" height="12"/>'
        f'<text class="legend" x="{_f(lx + 16)}" y="{_f(ly)}">weekend</text>')
    lx += 80
    add(f'<rect class="holiday" x="{_f(lx)}" y="{_f(ly - 10)}" width="12" height="12"/>'
        f'<text class="legend" x="{_f(lx + 16)}" y="{_f(ly)}">holiday / closing day</text>')
    lx += 150
    add(f'<rect class="pause" x="{_f(lx)}" y="{_f(ly - 10)}" width="16" height="12"/>'
        f'<text class="legend" x="{_f(lx + 20)}" y="{_f(ly)}">dispute pause</text>')
    add('</g>')
    add('</svg>')
    return "".join(parts)


def explain_html(ruleset: Ruleset, plan: Plan, schedule: Schedule, *,
                 case: Case | Mapping[str, Any] | None = None, built_in: bool = False) -> str:
    """The process as a reviewer reads it: one self-contained HTML file (inline CSS and SVG, no
    external requests).  `case` adds its due date, events and dispute pauses."""
    c = _as_case(case)
    info = _example(plan, schedule, c, built_in)
    rs = ruleset
    rows = _step_rows(rs, plan)
    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    add(f'<meta http-equiv="Content-Security-Policy" content="{h(_CSP)}">\n')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    add(f"<title>{h(rs.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
    add(f"<h1>{h(rs.title)}</h1>\n")
    add(f'<p class="meta">Ruleset <code>{h(rs.id)}</code> version {h(rs.version)}, sha256 '
        f"<code>{h(plan.ruleset.sha256)}</code></p>\n")
    if _bases(rs):
        add(f'<p class="meta">It extends {", which extends ".join(f"<code>{h(b)}</code>" for b in _bases(rs))}.</p>\n')
    if rs.description:
        add(f"<p>{h(' '.join(rs.description.split()))}</p>\n")
    add('<h2>Rules for every step</h2>\n<table class="rules"><tbody>\n')
    for label, words in _rules(rs):
        add(f"<tr><th>{h(label)}</th><td>{h(words)}</td></tr>\n")
    add("</tbody></table>\n")
    if rs.facts:
        add("<h2>Case facts the conditions read</h2>\n<table><thead><tr><th>Fact</th><th>Type</th>"
            "<th>Default</th><th>Meaning</th></tr></thead><tbody>\n")
        for name, decl in rs.facts.items():
            default = "required" if "default" not in decl.model_fields_set else _json(decl.default)
            add(f"<tr><td><code>facts.{h(name)}</code></td><td>{h(decl.type)}</td><td>{h(default)}</td>"
                f"<td>{h(decl.description or '—')}</td></tr>\n")
        add("</tbody></table>\n")
    add('<h2>Steps</h2>\n<table class="steps"><thead><tr><th>#</th><th>Step</th><th>Action</th><th>When</th>'
        "<th>Condition</th><th>Deadline</th><th>Fee</th><th>Channels → recipient</th><th>Legal basis</th>"
        "</tr></thead><tbody>\n")
    for r in rows:
        add(f'<tr id="step-{h(r.id)}"><td class="num">{r.index}</td><td><code>{h(r.id)}</code>'
            + (f"<br>{h(r.title)}" if r.title else "")
            + (f'<br><em class="provenance">{h(r.provenance)}</em>' if r.provenance else "")
            + f"</td><td>{h(r.action)}</td><td>{h(r.when)}</td>"
            f"<td>{'<code>' + h(r.condition) + '</code>' if r.condition else '—'}</td>"
            f"<td>{h(r.deadline or '—')}</td><td>{h(r.fee or '—')}</td><td>{h(r.channels)}</td>"
            f"<td>{h(r.legal_basis or '—')}</td></tr>\n")
    add("</tbody></table>\n")
    notes = _reviewer_notes(rs, plan)
    if notes:
        add("<h2>Notes for reviewers</h2>\n<ul>\n")
        for what, note in notes:
            add(f"<li><strong>{h(what)}</strong>: {h(note)}</li>\n")
        add("</ul>\n")
    add("<h2>Example timeline</h2>\n")
    add("<p>" + " ".join(h(s) for s in _case_words(info, schedule, rs.currency)) + "</p>\n")
    for start, end in info.pauses:
        add(f"<p>Dispute pause: {h(human_date(start.toordinal()))} to "
            f"{h('(still open)' if end is None else human_date(end.toordinal()))}.</p>\n")
    add('<figure>\n<div class="scroll">')
    add(_svg(plan, schedule, info, rows, rs.currency))
    add("</div>\n<figcaption>Days run left to right; a zigzag marks a stretch of days left out. "
        "Shaded columns are weekends and holidays (hover for the name), hatched bands dispute pauses; "
        "each row is a step, with a dot at its date and a bar to its deadline.</figcaption>\n</figure>\n")
    add(f'<table class="timeline"><thead><tr><th>Date</th><th>Step</th><th>Status</th><th>Deadline</th>'
        f"<th>Fee</th><th>Claim total ({h(rs.currency)})</th><th>Reason</th></tr></thead><tbody>\n")
    for a in schedule.actions:
        add(f'<tr class="status-{h(a.status)}"><td class="date">{h(_day(a.date))}</td>'
            f"<td><code>{h(_step_cell(a))}</code></td><td>{h(a.status)}</td>"
            f'<td class="date">{h(_day(a.deadline))}</td>'
            f'<td class="num">{h("—" if a.fee is None else a.fee)}</td>'
            f'<td class="num">{h(_claim_cell(a, info.claim_notes))}</td><td>{h(a.reason)}</td></tr>\n')
    add("</tbody></table>\n")
    if info.claim_notes:
        add('<p class="notes">' + "<br>".join(f"[{n}] {h(why)}" for why, n in info.claim_notes.items())
            + "</p>\n")
    closed = _closed_days(plan, _key_days(plan, schedule, info))
    if closed:
        add('<p class="notes">Holidays and closing days on the days shown: '
            + h("; ".join(f"{human_date(d.toordinal())} {name}" for d, name in closed)) + ".</p>\n")
    add(f"<script>{_SCRIPT}</script>\n</body>\n</html>\n")
    return "".join(out)


# ------------------------------------------------------------------------------ one call, and the command


def explain(ruleset: Ruleset, case: Case | Mapping[str, Any] | None = None, fmt: str = "md",
            plan: Plan | None = None, as_of: dt.date | None = None) -> str:
    """Compile, evaluate `case` (or the built-in example) and explain, in `fmt` (`md` or `html`)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown format {fmt!r}; use md or html")
    plan = plan or compile(ruleset)
    built_in = case is None
    c = _as_case(example_case(plan) if case is None else case)
    schedule = evaluate(plan, c, as_of)  # type: ignore[arg-type]
    fn = explain_html if fmt == "html" else explain_markdown
    return fn(ruleset, plan, schedule, case=c, built_in=built_in)


def run_explain(args: Sequence[str], stdout: IO[str], stderr: IO[str], stdin: IO[str] | None = None) -> int:
    """`explain RULESET [--case CASE] [--format md|html]`, with the CLI's exit codes and located
    errors; ready for ``_cli.run`` to dispatch to."""
    from . import _cli  # here, not at the top: the CLI is what imports this module
    from ._errors import InvalidInputError
    from ._load import load_ruleset

    parser = _cli._Parser(prog="dunningrules explain",
                          description="Explain a ruleset to a reviewer, with an example case's timeline.")
    parser.add_argument("ruleset", metavar="RULESET")
    parser.add_argument("--case", metavar="CASE", help="case file (.json) or - for stdin; default: built-in")
    parser.add_argument("--format", choices=("md", "html"), default="md")
    parser.add_argument("--as-of", type=_cli._date, metavar="DATE")
    try:
        ns = parser.parse_args(list(args))
    except _cli._UsageError as e:
        print(e, file=stderr)
        return _cli.EXIT_USAGE
    except SystemExit as e:
        return int(e.code or 0)
    try:
        ruleset = load_ruleset(ns.ruleset)
        plan = compile(ruleset)
        case = None if ns.case is None else _cli.read_one_case(ns.case, stdin or _cli.sys.stdin, plan, ns.as_of)
        stdout.write(explain(ruleset, case, ns.format, plan=plan, as_of=ns.as_of))
        return _cli.EXIT_OK
    except InvalidInputError as e:
        _cli._print_findings(e.findings, stderr)
        return _cli.EXIT_INVALID
    except Exception as e:  # a bug of ours: one located line, never a traceback
        print(f"{ns.ruleset}:0:0: internal-error: {type(e).__name__}: {e} (please report this)", file=stderr)
        return _cli.EXIT_INVALID
