"""Each step of a plan compiled to one function of a run (`_evaluate._Run`), made once per plan.

`_Run.step` and `_Run.occurrence` are the reference: they handle every anchor, pause, payment
in full, condition and repeat, and say why in the reason.  The functions here do what they do,
step for step, on the path almost every step of almost every case takes, with what the step
says looked up once and the dates it computes kept on the plan:

- anchored on the due date, on a planned step, or on an expression of those and events
  (``max(event.service_completed, notice) + 21 days``), resolved by a function made for it;
- a date outside every dispute pause and before any payment in full, or on or after it (then
  skipped); an anchor step that was skipped (then skipped too, with one action per reason);
  otherwise (a date inside a pause, an anchor that waits) they hand the step to
  `_Run.occurrence` or `_Run.step`, which say why;
- a repeating step without a condition: every occurrence planned, up to its limit.

A schedule no earlier case had (a dispute, a payment in full, a day of service) runs every
step, so this is most of what such a case costs.  tests/test_speed_equivalence.py compares
schedules from a used plan with a fresh plan's, over varied cases and rulesets.
"""

from __future__ import annotations

from typing import Any, Callable

from ._compile import DatePlan, Plan, StepPlan
from ._evaluate import (_LAST, MEMO_LIMIT, _Blocked, _occurrence_parts, _Run, _shift, anchor_skipped, at_why,
                        extreme, paid_skip, parts_or_blocked)

Runner = Callable[[_Run], None]
Resolver = Callable[[_Run], Any]  # a run -> an ordinal, or a _Blocked


def runners(plan: Plan) -> list[Runner]:
    """The plan's steps in evaluation order, as functions of a run."""
    listed = plan.listed
    return [_repeat_runner(sp, listed) if sp.repeat_every is not None else _runner(sp, listed) for sp in plan.steps]


def _resolver(dp: DatePlan, listed: tuple[StepPlan, ...], with_offsets: bool = True) -> Resolver:
    """`_Run.resolve(dp, with_offsets)` as a function of the run, the same dates and the same
    _Blocked reasons; a date shifted by offsets is kept per date it was shifted from (offsets
    are fixed, the calendar is the plan's: the shift is a pure function of the date)."""
    kind = dp.kind
    if kind in ("max", "min"):
        parts_of, pick = _parts_resolver(dp, listed), extreme(kind)

        def combined(run: _Run) -> Any:
            parts = parts_of(run)
            return parts if parts.__class__ is _Blocked else pick(parts)

        anchor = combined
    elif kind == "due":
        def anchor(run: _Run) -> Any:
            return run.due
    elif kind in ("step_date", "step_deadline"):
        idx: int = dp.ref  # type: ignore[assignment]
        step_id, of_date = listed[idx].id, kind == "step_date"

        def anchor(run: _Run) -> Any:
            status = run.statuses[idx]
            if status != "planned":
                if status == "waiting":
                    return _Blocked("waiting", f"waiting for step {step_id}")
                return _Blocked("skipped", anchor_skipped(step_id))
            return (run.dates if of_date else run.deadlines)[idx]
    elif kind == "event":
        name = dp.ref

        def anchor(run: _Run) -> Any:
            first = run.scope.first_event.get(name)
            return _Blocked("waiting", f"waiting for event {name}") if first is None else first
    else:  # a kind _Run.resolve does not know either: let it say so
        return lambda run: run.resolve(dp, with_offsets)
    offsets = dp.offsets
    if not (with_offsets and offsets.parts):
        return anchor
    shifted: dict[int, int] = {}

    def with_shift(run: _Run) -> Any:
        o = anchor(run)
        if o.__class__ is _Blocked:
            return o
        found = shifted.get(o)
        if found is None:
            if len(shifted) >= MEMO_LIMIT:
                shifted.clear()
            found = shifted[o] = _shift(o, offsets, run.cal)
        return found

    return with_shift


def _parts_resolver(dp: DatePlan, listed: tuple[StepPlan, ...]) -> Resolver:
    """The dates of a max() or min()'s parts as a function of the run, or why there is none
    (`parts_or_blocked`, as `_Run.resolve`)."""
    args = tuple(_resolver(a, listed) for a in dp.args)
    return lambda run: parts_or_blocked([f(run) for f in args])


def _runner(sp: StepPlan, listed: tuple[StepPlan, ...]) -> Runner:
    """A step that does not repeat: `_Run.step` then `_Run.occurrence`, written out for a run
    without pauses and not paid in full."""
    at = sp.at
    # max() and min() anchors: each part resolved, the parts' dates kept for the reason (`at_why`)
    parts_of = _parts_resolver(at, listed) if at.kind in ("max", "min") else None
    pick = extreme(at.kind) if parts_of is not None else None
    resolve = (None if parts_of is not None or at.kind in ("due", "step_date", "step_deadline")
               else _resolver(at, listed, with_offsets=False))
    of_deadline = at.kind == "step_deadline"  # anchored on the other step's deadline, not its date
    from_due, ref, offsets, roll = at.kind == "due", at.ref, at.offsets, sp.roll
    deadlines_of, after, deadline_roll = sp.deadlines, sp.deadline, sp.deadline_roll
    when, when_steps, fee, idx = sp.when, sp.when_steps, sp.fee, sp.index
    by_date = sp.when_by_date
    decided = sp.decided  # days after the due date -> the condition, where by_date
    # The planned action, made once per anchor date, with the due date and the fact its fee needs
    # where the fee reads them (`_Run.price`); a plain tuple that any number of schedules share,
    # kept with its sort key (see `_Run.occurrence`), as a run lists it.
    needs = fee.rule.requires_fact if fee is not None else None
    by_anchor = fee is None or (from_due and not needs)
    skipped_why = None if ref is None or from_due or resolve is not None else anchor_skipped(listed[ref].id)
    # anchor (a max/min anchor's parts) -> (raw date, rolled date, the (sort key, action) pair when
    # it depends on the anchor alone)
    planned: dict[Any, tuple[int, int, tuple[int, tuple[Any, ...]] | None]] = {}
    made: dict[Any, tuple[int, tuple[Any, ...]]] = {}  # (anchor, due, fact) -> pair, for the other fees
    # A step whose anchor step was skipped is skipped, with the same action in every schedule
    # (`_Run.step`'s reason for a skipped anchor): made once per reason.
    skipped_pairs: dict[str, tuple[int, tuple[Any, ...]]] = {}
    at_text, no_anchor = sp.at_text, ((_LAST * 1_000_000 + idx) * 1000)  # _sort_key of an action with no date

    def skipped(run: _Run, why: str) -> None:
        pair = skipped_pairs.get(why)
        if pair is None:
            pair = skipped_pairs[why] = (no_anchor, (idx, "skipped", None, None, None, ("blocked", at_text, why), None))
        run.statuses[idx] = "skipped"  # the step's first action: its status was None
        run.actions.append(pair)

    def pair_for(run: _Run, raw: int, o: int, parts: tuple[int, ...] | None) -> tuple[int, tuple[Any, ...]]:
        deadline = None
        if after is not None:
            deadline = deadlines_of.get(o)
            if deadline is None:
                deadline = deadlines_of[o] = run.cal.roll_ordinal(_shift(o, after, run.cal), deadline_roll)
        charged = None if fee is None else run.price(sp, o)
        return ((o * 1_000_000 + idx) * 1000,  # _sort_key
                (idx, "planned", o, deadline, None, at_why(raw, o, None, None, "planned", 0, parts), charged))

    def run_step(run: _Run) -> None:
        parts = None
        if from_due:
            anchor = run.due
        elif parts_of is not None or resolve is not None:
            if parts_of is not None:
                parts = parts_of(run)
                anchor = parts if parts.__class__ is _Blocked else pick(parts)  # type: ignore[misc]
            else:
                anchor = resolve(run)  # type: ignore[misc]
            if anchor.__class__ is _Blocked:
                if anchor.status == "skipped":
                    skipped(run, anchor.why)
                else:
                    run.step(sp)  # the anchor waits: the general path says why, and for how long
                return
        else:
            status = run.statuses[ref]  # type: ignore[index]
            if status == "planned":
                anchor = (run.deadlines if of_deadline else run.dates)[ref]  # type: ignore[index]
            elif status == "skipped":
                skipped(run, skipped_why)
                return
            else:
                run.step(sp)
                return
        mine = anchor if parts is None else parts
        found = planned.get(mine)
        if found is None:
            # The step's dates are kept here, not in `sp.dates` too (what `_Run.step` keeps for
            # itself): one tuple fewer per anchor for the collector to follow.
            raw = _shift(anchor, offsets, run.cal)  # type: ignore[arg-type]
            if len(planned) >= MEMO_LIMIT:
                planned.clear()
            found = planned[mine] = (raw, run.cal.roll_ordinal(raw, roll), None)  # the pair once the
            # step is planned: its deadline may be past the calendar's end, which only a planned
            # step's date must face
        raw, o, pair = found
        if run.pauses or run.paid_in_full is not None:
            # `_Run.occurrence` decides a date inside a dispute pause; any other date it plans
            # (or skips on its condition) as below, and one on or after the day paid in full it
            # skips, as here (no pause holds a date paid by then).
            full = run.paid_in_full
            if full is not None and o >= full:
                run.statuses[idx] = "skipped"  # the step's first action: its status was None
                run.actions.append(paid_skip(idx, raw, o, full, parts))
                return
            for start, end in run.pauses:
                if start <= o <= end:
                    run.occurrence(sp, raw, o, None, 0, parts)
                    return
        if when is not None:
            if by_date:  # decided once per number of days after the due date
                ok = decided.get(o - run.due)
                if ok is None:
                    run.scope.date = o
                    ok = decided[o - run.due] = when(run.scope)
            else:
                statuses = run.statuses
                for i in when_steps:
                    if statuses[i] == "waiting":
                        run.occurrence(sp, raw, o, None, 0, parts)  # waits, with the reason
                        return
                scope = run.scope
                scope.date = o
                ok = when(scope)
            if not ok:
                run.emit(sp, "skipped", o, None, at_why(raw, o, None, None, "condition", 0, parts), None)
                return
        if pair is None:
            if by_anchor:
                pair = pair_for(run, raw, o, parts)
                planned[mine] = (raw, o, pair)
            else:
                key = (mine, run.due, needs and run.scope.facts.get(needs) is True)
                pair = made.get(key)
                if pair is None:
                    if len(made) >= MEMO_LIMIT:
                        made.clear()
                    pair = made[key] = pair_for(run, raw, o, parts)
        statuses = run.statuses
        if statuses[idx] != "planned":
            statuses[idx] = "planned"
            run.dates[idx], run.deadlines[idx] = o, pair[1][3]
        run.actions.append(pair)

    return run_step


def _repeat_runner(sp: StepPlan, listed: tuple[StepPlan, ...]) -> Runner:
    """A repeating step without a condition: `_Run.step`'s loop over the occurrences, each one
    planned as `_Run.occurrence` plans it when there is no pause and no payment in full."""
    at = sp.at
    if sp.when is not None or at.kind in ("max", "min"):  # the general path says why, and names the parts
        return lambda run: run.step(sp)
    anchor_of = _resolver(at, listed, with_offsets=False)
    until_of = _resolver(sp.repeat_until, listed)  # type: ignore[arg-type]
    offsets, every, most, roll = at.offsets, sp.repeat_every, sp.repeat_max, sp.roll
    repeats, deadlines_of, after, deadline_roll, fee, idx = (
        sp.repeats, sp.deadlines, sp.deadline, sp.deadline_roll, sp.fee, sp.index)
    # Occurrence k of an anchor date, made once (with its sort key) and shared by every schedule
    # that plans it, as `_runner` shares its actions; with a fee, only where the fee reads
    # nothing but the date.
    needs = fee.rule.requires_fact if fee is not None else None
    by_anchor = fee is None or (at.kind == "due" and not needs)
    made: dict[Any, tuple[int, tuple[Any, ...]]] = {}

    def run_step(run: _Run) -> None:
        if run.pauses or run.paid_in_full is not None:
            run.step(sp)
            return
        anchor = anchor_of(run)
        until = until_of(run)
        if anchor.__class__ is _Blocked or until.__class__ is _Blocked:
            run.step(sp)  # says why
            return
        cal = run.cal
        if len(repeats) >= MEMO_LIMIT:
            repeats.clear()
        dates = repeats.get((anchor, 0))
        if dates is None:
            base = _shift(anchor, offsets, cal)
            if base > until:  # compared before it is rolled, as `_Run.step` does
                run.step(sp)  # skipped: after the repeat limit
                return
            dates = repeats[(anchor, 0)] = (base, cal.roll_ordinal(base, roll))
        if dates[0] > until:
            run.step(sp)  # skipped: after the repeat limit
            return
        statuses, actions = run.statuses, run.actions
        for k in range(most):
            if k:
                dates = repeats.get((anchor, k))
                if dates is None:
                    raw = _shift(anchor, _occurrence_parts(offsets, every, k), cal)  # type: ignore[arg-type]
                    dates = repeats[(anchor, k)] = (raw, cal.roll_ordinal(raw, roll))
                if dates[0] > until:
                    break
            raw, o = dates
            key = (anchor, k) if by_anchor else (anchor, k, run.due, needs and run.scope.facts.get(needs) is True)
            pair = made.get(key)
            if pair is None:
                deadline = None
                if after is not None:
                    deadline = deadlines_of.get(o)
                    if deadline is None:
                        deadline = deadlines_of[o] = cal.roll_ordinal(_shift(o, after, cal), deadline_roll)
                charged = None if fee is None else run.price(sp, o)
                if len(made) >= MEMO_LIMIT:
                    made.clear()
                pair = made[key] = ((o * 1_000_000 + idx) * 1000 + k + 1,  # _sort_key
                                    (idx, "planned", o, deadline, k + 1, ("at", raw, o, None, None, "planned", k),
                                     charged))
            if statuses[idx] != "planned":
                statuses[idx] = "planned"
                run.dates[idx], run.deadlines[idx] = o, pair[1][3]
            actions.append(pair)

    return run_step
