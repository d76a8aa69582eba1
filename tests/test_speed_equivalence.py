"""The fast paths give exactly what the plain ones give.

A plan memoises schedules, step dates, deadlines, fee prices, recurring dates and rate-days,
and the JSON Lines path (`_batch.schedule_line`) builds each line from pieces it keeps per
plan and per memoised schedule.  Here varied cases (payments, overpayments, disputes open and
resolved, service, other events, facts, debtors, as_of, due dates inside and outside the rate
tables) go through a plan that has seen many cases before, and the result is compared, byte for
byte, with `json.dumps(evaluate(...).to_dict())` on a plan compiled for that case alone.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunningrules import Plan, compile, evaluate, load_ruleset
from dunningrules._batch import read_line, schedule_line
from dunningrules._cli import run
from dunningrules._evaluate import _rate_days, _rate_days_or_why, case_from_data
from dunningrules._errors import CaseError
from dunningrules._rates import RateError

ROOT = Path(__file__).resolve().parent.parent
D = dt.date
CURRENCY = {"no": "NOK", "se": "SEK", "rich": "NOK", "anchors": "NOK", "waits": "NOK", "cuts": "NOK"}

# Reads what the memo key has to cover: money, debtor attributes, events as anchors and in
# conditions, facts of each type; and recurs, counts business days, skips in pauses, charges fees.
RICH = """\
dunningrules: 1
id: rich-speed
version: "1"
title: Reads everything the memo key covers
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO", closed: ["12-24", "12-31"]}
rates: rates.yaml
interest: {table: late_interest}
facts:
  vip: {type: boolean, default: false}
  months: {type: number, default: 0}
  segment: {type: string, default: std}
steps:
  - id: r1
    action: reminder
    at: due + 14 days
    when: outstanding > 500 and not facts.vip
    deadline: {after: 10 business days, roll: preceding}
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
  - id: r2
    action: reminder
    at: r1.deadline + 1 day
    when: debtor.language == 'en' or facts.months >= 2 or r1.skipped
    on_pause: skip
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
  - id: ruling
    action: ruling
    at: max(event.service_completed, r1) + 21 days
    roll: modified_following
  - id: mon
    action: long_term_monitoring
    at: due + 1 month
    repeat: {every: 1 month, until: "min(due + 8 months, event.moved_out + 1 day)", max: 6}
    when: paid < amount and days_overdue > 20 and not event.settled
  - id: soc
    action: social_services_notice
    at: due + 3 weeks
    roll: preceding
    when: facts.segment == 'social' or debtor.kind == 'organisation'
"""

# Anchors of every kind (max and min of events and steps, a deadline, an event) and repeating
# steps without a condition, whose limit may wait for an event: what _runners compiles.
ANCHORS = """\
dunningrules: 1
id: anchors-speed
version: "1"
title: Every kind of anchor, and repeats
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO"}
rates: rates.yaml
interest: {table: late_interest}
steps:
  - id: a
    action: reminder
    at: due + 3 business days
    deadline: {after: 5 days}
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
  - id: b
    action: debt_collection_notice
    at: max(event.service_completed, a.deadline) + 2 days
    roll: preceding
  - id: c
    action: ruling
    at: min(event.moved_out, b) + 1 week
  - id: d
    action: payment_demand
    at: a.deadline + 1 day
    deadline: {after: 2 business days, roll: preceding}
  - id: e
    action: settlement
    at: event.settled + 1 day
  - id: rep1
    action: long_term_monitoring
    at: b + 1 month
    repeat: {every: 2 months, until: "max(due + 1 year, event.moved_out)"}
  - id: rep2
    action: limitation_interruption
    at: due + 35 months
    roll: preceding
    deadline: {after: 14 days}
    repeat: {every: 35 months, until: due + 10 years}
  - id: rep3
    action: reminder
    at: e
    repeat: {every: 1 week, until: due + 3 months, max: 4}
  - id: rep4
    action: reminder
    at: due + 2 months
    repeat: {every: 1 month, until: due + 1 year, max: 1}
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
"""


# A step that waits after its date was compared with the day of payment in full: `nudge` reads
# `watch`, whose repeat limit waits for an event that a payment in full does not settle.
WAITS = """\
dunningrules: 1
id: waits-speed
version: "1"
title: A condition on a step that still waits
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO"}
steps:
  - id: watch
    action: long_term_monitoring
    at: due + 1 month
    repeat: {every: 1 month, until: event.moved_out + 1 day, max: 3}
  - id: nudge
    action: reminder
    at: due + 20 days
    when: watch.planned
"""
# Steps that a payment in full cuts from the unpaid schedule (`_evaluate._cut_at`), one of them
# anchored back in time, on a step dated after it.
CUTS = """\
dunningrules: 1
id: cuts-speed
version: "1"
title: Simple steps, one anchored back in time
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO"}
rates: rates.yaml
interest: {table: late_interest}
facts:
  quiet: {type: boolean, default: false}
steps:
  - id: r1
    action: reminder
    at: due + 14 days
    deadline: {after: 10 business days}
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
  - id: notice
    action: debt_collection_notice
    at: r1.deadline + 1 day
    deadline: {after: 14 days, roll: none}
  - id: early
    action: reminder
    at: notice - 6 days
    when: not facts.quiet
    fee: {kind: reminder, rate: inkassosats, fraction: 1/20}
  - id: link
    action: creditor_status_link
    at: notice
  - id: demand
    action: payment_demand
    at: notice.deadline + 1 day
  - id: after-early
    action: x-note
    at: early + 2 days
"""

TEXTS = {"rich": RICH, "anchors": ANCHORS, "waits": WAITS, "cuts": CUTS}


@lru_cache(maxsize=None)
def ruleset_path(name: str) -> Path:
    if name not in TEXTS:
        return ROOT / "rulesets" / name / "standard.yaml"
    folder = Path(tempfile.mkdtemp(prefix="dunningrules-speed-"))
    shutil.copy(ROOT / "rulesets" / "no" / "rates.yaml", folder / "rates.yaml")
    (folder / f"{name}.yaml").write_text(TEXTS[name], encoding="utf-8")
    return folder / f"{name}.yaml"


@lru_cache(maxsize=None)
def shared(name: str) -> Plan:
    """One plan per ruleset for the whole module: its caches fill as examples run."""
    return compile(load_ruleset(ruleset_path(name)))


@lru_cache(maxsize=None)
def loaded(name: str) -> Any:
    return load_ruleset(ruleset_path(name))


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@st.composite
def cases(draw: Any, name: str) -> dict[str, Any]:
    # Due dates on both sides of the ends of the rate tables (NO interest to 2026-06-30).
    due = D(2025, 10, 1) + dt.timedelta(days=draw(st.integers(0, 700)))
    if draw(st.booleans()):
        due = due.replace(day=1)  # rent is usually due on the 1st: many cases share a schedule
    cents = draw(st.sampled_from([950_000, 1_234_567, 100, 1_999_999_99, draw(st.integers(1, 3_000_000))]))
    day = lambda lo, hi: (due + dt.timedelta(days=draw(st.integers(lo, hi)))).isoformat()  # noqa: E731
    events: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        share = draw(st.sampled_from(["part", "part", "all", "more"]))
        amount = {"part": draw(st.integers(1, max(1, cents - 1))), "all": cents, "more": cents + 12_345}[share]
        events.append({"type": "payment", "date": day(-20, 200), "amount": money(amount)})
    start = day(-5, 60)
    for _ in range(draw(st.integers(0, 2))):
        events.append({"type": "dispute_opened", "date": start})
        if draw(st.integers(0, 3)) == 0:
            break  # left open
        end = D.fromisoformat(start) + dt.timedelta(days=draw(st.integers(0, 40)))
        events.append({"type": "dispute_resolved", "date": end.isoformat()})
        start = (end + dt.timedelta(days=draw(st.integers(1, 30)))).isoformat()
    for kind in ("service_completed", "moved_out", "settled"):
        if draw(st.booleans()):
            events.append({"type": kind, "date": day(0, 200)})
    data: dict[str, Any] = {"id": draw(st.sampled_from(["L-1", "Å \"quoted\" \\ id", "x\u2028y"])),
                            "due_date": due.isoformat(), "amount": money(cents), "currency": CURRENCY[name]}
    if events:
        data["events"] = draw(st.permutations(events))
    if draw(st.booleans()):
        data["debtor"] = draw(st.fixed_dictionaries(
            {"name": st.just("Kari")}, optional={"language": st.sampled_from(["nb", "sv", "en"]),
                                                 "kind": st.sampled_from(["person", "organisation"])}))
    facts = {"no": {"eviction_warning_opt_out": st.booleans()}, "se": {"reminder_fee_agreed": st.booleans()},
             "anchors": {},
             "rich": {"vip": st.booleans(), "months": st.integers(0, 4), "segment": st.sampled_from(["std", "social"])}}
    data["facts"] = draw(st.fixed_dictionaries({}, optional=facts[name]))
    return data


as_of_dates = st.one_of(st.none(), st.dates(D(2025, 9, 1), D(2028, 6, 1)))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_plan(name: str) -> Plan:
    """A plan that has seen no case, whose steps all take the general path (`_Run.step`), not
    the functions _runners compiles for the common one."""
    fresh = compile(loaded(name))
    fresh.runners.extend((lambda run, sp=sp: run.step(sp)) for sp in fresh.steps)
    return fresh


def reference_line(name: str, data: dict[str, Any], as_of: D | None) -> bytes:
    """The schedule as the plain path writes it, from a plan that has seen no other case and
    evaluates every step the general way."""
    schedule = evaluate(reference_plan(name), data, as_of=as_of)
    return json.dumps(schedule.to_dict(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@SETTINGS
@given(st.sampled_from(["no", "se", "rich", "anchors"]).flatmap(
    lambda name: st.tuples(st.just(name), st.lists(cases(name), min_size=1, max_size=5), as_of_dates)))
def test_the_batch_line_and_evaluate_on_a_used_plan_equal_a_fresh_plan(drawn):
    name, datas, as_of = drawn
    plan = shared(name)
    for data in datas:
        try:
            want = reference_line(name, data, as_of)
        except CaseError as e:  # e.g. a resolution before its dispute: the same error either way
            try:
                evaluate(plan, data, as_of=as_of)
            except CaseError as again:
                assert again.findings == e.findings
            else:
                raise AssertionError("the used plan accepted a case a fresh plan refused")
            continue
        case = case_from_data(data)
        assert schedule_line(plan, case, as_of) == want
        assert schedule_line(plan, case, as_of) == want  # now from the memo and the kept pieces
        got, fresh = evaluate(plan, case, as_of), evaluate(compile(loaded(name)), case, as_of)
        assert [(a.reason, a.fee, a.claim, a.claim_error) for a in got.actions] == \
            [(a.reason, a.fee, a.claim, a.claim_error) for a in fresh.actions]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["no", "se", "rich"]).flatmap(
    lambda name: st.tuples(st.just(name), st.lists(cases(name), min_size=1, max_size=4))))
def test_a_batch_line_walked_in_decimal_equals_the_plain_path(drawn):
    """Where the walk in whole øre gives up (a tie, many rescalings), the Decimal walk writes the line."""
    from unittest import mock

    import dunningrules._batch as batch

    name, datas = drawn
    plan = shared(name)
    with mock.patch.object(batch, "ledger_cents", lambda *args, **kwargs: None):
        for data in datas:
            try:
                want = reference_line(name, data, None)
            except CaseError:
                continue
            assert schedule_line(plan, case_from_data(data)) == want


def test_cases_that_share_their_due_dates_schedule_are_written_as_a_fresh_plan_writes_them():
    """After a case nothing has happened to, cases on the same due date that give no facts and had only
    payments short of their amount take its schedule from one look-up (`_batch._due_alone`); a
    payment in full, a dispute, a given fact, another event or an as_of does not."""

    plan = compile(loaded("no"))
    base = {"id": "L-1", "due_date": "2026-03-20", "amount": "9500.00", "currency": "NOK"}
    pay = lambda day, amount: {"type": "payment", "date": day, "amount": amount}  # noqa: E731
    variants = [
        {}, {"events": [pay("2026-03-25", "100.00")]},
        {"events": [pay("2026-03-25", "100.00"), pay("2026-04-02", "9400.00")]},  # paid in full
        {"events": [pay("2026-04-20", "9500.00")]},
        {"events": [{"type": "dispute_opened", "date": "2026-03-24"}]},
        {"events": [pay("2026-03-25", "100.00"), {"type": "letter_returned", "date": "2026-03-26"}]},
        {"facts": {"eviction_warning_opt_out": True}}, {"facts": {"eviction_warning_opt_out": False}},
        {"currency": "SEK"}, {"events": [pay("2026-03-25", "100.00")]},
    ]
    for as_of in (None, D(2026, 4, 1)):
        for n, variant in enumerate(variants):
            data = {**base, **variant, "id": f"L-{n}"}
            try:
                want = reference_line("no", data, as_of)
            except CaseError:  # the currency: refused on the batch path too, never served from the look-up
                with pytest.raises(CaseError):
                    schedule_line(plan, read_line(json.dumps(data)), as_of)  # type: ignore[arg-type]
                continue
            assert schedule_line(plan, read_line(json.dumps(data)), as_of) == want  # type: ignore[arg-type]
            assert schedule_line(plan, case_from_data(data), as_of) == want


def test_a_due_dates_line_is_not_given_to_a_case_whose_amount_a_condition_reads(tmp_path: Path):
    """Cases on one due date, nothing happened to them, whose amounts a condition reads differently:
    each line is its own (the due date's line is shared only where the plan reads no amount)."""
    (tmp_path / "money.yaml").write_text(
        'dunningrules: 1\nid: money\nversion: "1"\ntitle: Reads the amount\njurisdiction: "NO"\n'
        'currency: NOK\nlanguage: nb\ncalendar: {country: "NO"}\nsteps:\n  - id: r1\n    action: reminder\n'
        '    at: due + 14 days\n    when: outstanding > 500\n', encoding="utf-8")
    ruleset = load_ruleset(tmp_path / "money.yaml")
    plan = compile(ruleset)
    for amount in ("100.00", "9500.00", "100.00"):
        data = {"id": "M", "due_date": "2026-03-02", "amount": amount, "currency": "NOK"}
        alone = compile(ruleset)
        want = json.dumps(evaluate(alone, data).to_dict(), ensure_ascii=False, separators=(",", ":"))
        assert schedule_line(plan, read_line(json.dumps(data))) == want.encode() + b"\n"  # type: ignore[arg-type]
        assert (b'"status":"planned"' in want.encode()) is (amount == "9500.00")


def test_near_the_calendars_end_the_compiled_steps_fail_only_where_the_general_path_does(tmp_path: Path):
    """A deadline or a repeat's first date past the last calendar year: a step that is not planned
    (its condition is false, the claim is paid) or a repeat after its limit never reaches them, on
    the compiled steps as on the general path; a planned one gives the same error on both."""
    head = ('dunningrules: 1\nid: edge\nversion: "1"\ntitle: Near the end\njurisdiction: "NO"\n'
            'currency: NOK\nlanguage: nb\ncalendar: {country: "NO"}\nfacts:\n  skip: {type: boolean, default: false}\n')
    texts = {
        "deadline": head + "steps:\n  - id: r1\n    action: reminder\n    at: due + 14 days\n"
                           "    when: not facts.skip\n    deadline: {after: 30 days}\n",
        "repeat": head + "steps:\n  - id: watch\n    action: long_term_monitoring\n    at: due + 1 month\n"
                         "    repeat: {every: 1 month, until: event.moved_out + 1 day, max: 3}\n"
                         "  - id: nudge\n    action: reminder\n    at: due + 20 days\n",
    }
    base = {"id": "E", "due_date": "2100-12-01", "amount": "100.00", "currency": "NOK"}
    variants = [{}, {"facts": {"skip": True}}, {"events": [{"type": "payment", "date": "2100-12-05", "amount": "100.00"}]},
                {"due_date": "2100-12-20", "events": [{"type": "moved_out", "date": "2026-04-17"}]}]

    def outcome(plan: Plan, data: dict[str, Any]) -> Any:
        try:
            return json.dumps(evaluate(plan, data).to_dict())
        except CaseError as e:
            return [(f.code, f.message) for f in e.findings]

    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
        ruleset = load_ruleset(tmp_path / f"{name}.yaml")
        for variant in variants:
            general = compile(ruleset)
            general.runners.extend((lambda run, sp=sp: run.step(sp)) for sp in general.steps)
            data = {**base, **variant}
            assert outcome(compile(ruleset), data) == outcome(general, data), (name, variant)


def test_actions_skipped_on_different_days_of_payment_in_full_are_written_with_their_own_day():
    plan = compile(loaded("no"))
    # Paid before the notice and the warning (Tue 7 Apr): both skipped, each day its own reason.
    for paid_on, said in (("2026-04-03", b"Fri 3 Apr 2026"), ("2026-04-06", b"Mon 6 Apr 2026"),
                          ("2026-04-03", b"Fri 3 Apr 2026"), ("2026-04-01", b"Wed 1 Apr 2026")):
        data = {"id": "L-1", "due_date": "2026-03-20", "amount": "9500.00", "currency": "NOK",
                "events": [{"type": "payment", "date": paid_on, "amount": "9500.00"}]}
        line = schedule_line(plan, case_from_data(data))
        assert line == reference_line("no", data, None)
        assert line.count(b"skipped: the amount was paid in full on " + said + b'"') == 2


def test_a_schedule_paid_in_full_on_one_day_serves_the_days_that_compare_alike():
    """Every day of payment in full around a due date, with and without events the steps wait
    for: the schedules a used plan derives from one another, or (latest days first) from the
    same case unpaid, equal those computed each alone."""
    for name, later_first in [(name, later_first) for name in ("no", "se", "rich", "anchors", "waits")
                              for later_first in (False, True)]:
        plan, alone = compile(loaded(name)), reference_plan(name)
        for due, extra in ((D(2026, 3, 1), []), (D(2026, 3, 1), [("service_completed", 30)]),
                           (D(2025, 12, 19), [("settled", 50), ("moved_out", 90)])):
            if later_first:  # the unpaid schedule kept first: it serves the days after all its dates
                evaluate(plan, {"id": "U", "due_date": due.isoformat(), "amount": "9500.00",
                                "currency": CURRENCY[name],
                                "events": [{"type": kind, "date": (due + dt.timedelta(days=n)).isoformat()}
                                           for kind, n in extra]})
            for day in sorted(range(-12, 130, 3), reverse=later_first):
                data = {"id": "P", "due_date": due.isoformat(), "amount": "9500.00", "currency": CURRENCY[name],
                        "events": [{"type": "payment", "date": (due + dt.timedelta(days=day)).isoformat(),
                                    "amount": "9500.00"}]
                        + [{"type": kind, "date": (due + dt.timedelta(days=n)).isoformat()} for kind, n in extra]}
                case = case_from_data(data)
                alone.memo.clear()
                want = json.dumps(evaluate(alone, case).to_dict(), ensure_ascii=False, separators=(",", ":"))
                assert schedule_line(plan, case) == want.encode() + b"\n", (name, due, day)
                assert json.dumps(evaluate(plan, case).to_dict(), ensure_ascii=False, separators=(",", ":")) == want


def test_a_payment_in_full_cuts_the_kept_unpaid_schedule_as_a_run_would():
    """Each day of payment in full around a due date, with only the same case unpaid kept before
    it (no other day's schedule to derive from): the schedule a used plan derives equals the one
    computed alone, on plans it cuts (`_evaluate._cut_at`) and plans it does not."""
    for name in ("no", "cuts", "se", "rich", "waits"):
        plan, alone = compile(loaded(name)), reference_plan(name)
        for due, facts in ((D(2026, 3, 1), {}), (D(2025, 12, 19), {}), (D(2026, 3, 1), {"quiet": True})):
            if facts and name != "cuts":
                continue
            unpaid = {"id": "C", "due_date": due.isoformat(), "amount": "9500.00", "currency": CURRENCY[name],
                      "facts": facts}
            for day in range(-12, 80, 1):
                plan.memo.clear()
                plan.quiet.clear()
                evaluate(plan, unpaid)
                case = case_from_data({**unpaid, "events": [
                    {"type": "payment", "date": (due + dt.timedelta(days=day)).isoformat(), "amount": "9500.00"}]})
                alone.memo.clear()
                want = json.dumps(evaluate(alone, case).to_dict(), ensure_ascii=False, separators=(",", ":"))
                assert schedule_line(plan, case) == want.encode() + b"\n", (name, due, facts, day)
                assert json.dumps(evaluate(plan, case).to_dict(), ensure_ascii=False, separators=(",", ":")) == want


def test_a_dispute_that_holds_no_action_date_leaves_the_schedule_as_it_was():
    """Disputes of every length around a due date, resolved or open, with and without a payment in
    full, after the same case without the dispute was kept: each schedule a used plan takes from
    the kept one, or computes, equals the one computed alone."""
    for name in ("no", "se", "rich", "anchors", "waits"):
        plan, alone = compile(loaded(name)), reference_plan(name)
        due = D(2026, 3, 1)
        for extra in ([], [("service_completed", 30)], [("payment", 26)]):
            def event(kind: str, n: int) -> dict[str, Any]:
                out = {"type": kind, "date": (due + dt.timedelta(days=n)).isoformat()}
                return {**out, "amount": "9500.00"} if kind == "payment" else out

            base = {"id": "V", "due_date": due.isoformat(), "amount": "9500.00", "currency": CURRENCY[name],
                    "events": [event(kind, n) for kind, n in extra]}
            evaluate(plan, base)
            for start in range(-12, 60, 4):
                for length in (0, 1, 3, 8, 20, None):
                    dispute = [event("dispute_opened", start)]
                    if length is not None:
                        dispute.append(event("dispute_resolved", start + length))
                    case = case_from_data({**base, "events": base["events"] + dispute})
                    alone.memo.clear()
                    want = json.dumps(evaluate(alone, case).to_dict(), ensure_ascii=False, separators=(",", ":"))
                    assert schedule_line(plan, case) == want.encode() + b"\n", (name, extra, start, length)
                    assert json.dumps(evaluate(plan, case).to_dict(), ensure_ascii=False,
                                      separators=(",", ":")) == want


def test_actions_moved_by_disputes_on_many_due_dates_are_written_as_a_fresh_plan_writes_them(tmp_path: Path):
    """The JSON of an action moved by a dispute pause is kept per plan around how its reason
    begins and the words naming the pause (`_batch._paused`), and shared by other due dates'
    actions moved to the same day: disputes on consecutive due dates that end on the same days,
    resolved or open, each line equals the one a fresh plan writes.  A step whose own title holds
    the marks the cut looks for is written whole, and alike."""
    folder = tmp_path / "marks"
    shutil.copytree(ROOT / "rulesets" / "no", folder)
    text = (folder / "standard.yaml").read_text(encoding="utf-8")
    (folder / "standard.yaml").write_text(
        text.replace("title: Payment reminder (betalingspåminnelse)", 'title: "Reminder \\0head\\0 \\0words\\0 100%"', 1),
        encoding="utf-8")
    for path in (ROOT / "rulesets" / "no" / "standard.yaml", folder / "standard.yaml"):
        ruleset = load_ruleset(path)
        plan = compile(ruleset)
        for day in range(12):
            due = D(2026, 3, 1) + dt.timedelta(days=day)
            for opened, resolved in ((D(2026, 3, 14), D(2026, 3, 30)), (D(2026, 3, 16), D(2026, 3, 30)),
                                     (D(2026, 3, 15), D(2026, 4, 2)), (D(2026, 3, 15), None)):
                events = [{"type": "dispute_opened", "date": opened.isoformat()}]
                if resolved is not None:
                    events.append({"type": "dispute_resolved", "date": resolved.isoformat()})
                data = {"id": "M", "due_date": due.isoformat(), "amount": "9500.00", "currency": "NOK",
                        "events": events}
                want = json.dumps(evaluate(compile(ruleset), data).to_dict(), ensure_ascii=False,
                                  separators=(",", ":"))
                assert schedule_line(plan, case_from_data(data)) == want.encode() + b"\n", (path, due, opened)
        if path.parent == folder:
            assert '"title":"Reminder \\u0000head\\u0000 \\u0000words\\u0000 100%"' in want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["no", "se"]).flatmap(
    lambda name: st.tuples(st.just(name), st.lists(cases(name), min_size=1, max_size=8))))
def test_the_cli_writes_the_same_bytes_to_a_text_stream_and_to_a_file(drawn):
    name, datas = drawn
    with tempfile.TemporaryDirectory() as tmp:
        cases_path = Path(tmp) / "cases.jsonl"
        cases_path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in datas), encoding="utf-8")
        text, err = io.StringIO(), io.StringIO()
        code = run(["schedule", str(ruleset_path(name)), str(cases_path)], stdout=text, stderr=err)
        out_path = Path(tmp) / "out.jsonl"
        with out_path.open("w", encoding="utf-8") as out:  # has a binary buffer: lines go there
            assert run(["schedule", str(ruleset_path(name)), str(cases_path)], stdout=out, stderr=io.StringIO()) == code
        assert out_path.read_bytes() == text.getvalue().encode()
    good = []
    for d in datas:
        try:
            good.append(reference_line(name, d, None))
        except CaseError:
            pass
    assert text.getvalue().encode() == b"".join(good)


def test_rate_days_from_running_sums_equal_the_row_by_row_sum():
    for name in ("no", "se"):
        plan = shared(name)
        table = plan.interest
        assert table is not None and table.day_sums() is not None
        first, last = table.rows[0].valid_from.toordinal(), table.rows[-1].valid_to.toordinal()
        for due in (first - 40, first - 1, first, first + 100, last - 30, last, last + 5):
            for day in range(due - 3, due + 400, 7):
                try:
                    want: tuple[Any, Any] = (_rate_days(plan, due, day), None)
                except RateError as e:
                    want = (None, f"{e.code}: {e.message}")
                assert _rate_days_or_why(plan, due, day) == want


def test_no_running_sums_for_a_table_with_a_rate_of_three_decimals():
    plan = shared("no")
    table = plan.interest
    assert table is not None
    odd = type(table)(table.name, table.unit, tuple(
        type(r)(r.valid_from, r.valid_to, r.value + Decimal("0.001") if i == 1 else r.value, r.source,
                r.confirmed, r.note) for i, r in enumerate(table.rows)))
    assert odd.day_sums() is None


# ------------------------------------------------------------------ reading JSON lines

def field_values(case: Any) -> tuple[Any, ...]:
    """What evaluation reads of a case (Case or LineCase), with the Decimals' exact form."""
    debtor = case.debtor
    return (case.id, case.due_date, repr(case.amount), case.currency,
            None if debtor is None else (debtor.name, debtor.language, debtor.kind, debtor.address),
            [(k, type(v), v) for k, v in case.facts.items()],
            [(e.type, e.date, repr(e.amount)) for e in case.events])


plain = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**19), st.floats(allow_nan=False), st.text(max_size=5))
odd_amounts = st.sampled_from(["0", "0.00", "1.234", "01.00", " 1.00", "1e3", "-1.00", "+1.00", "1.", ".5",
                               "12345678901234567.8", "1234567890123456.78", "9500", "9500.5", "NaN", "Infinity"])
odd_dates = st.sampled_from(["2026-02-30", "2026-2-01", "20260201", "2026-02-01T00:00:00", "1969-12-31",
                             "2099-12-31", "0999-01-01", "2026-13-01", "2026-12-31 "])


@st.composite
def case_lines(draw: Any) -> str:
    """A JSON case line, often well-formed, often off in one way the models refuse or read
    differently."""
    name = draw(st.sampled_from(["no", "se", "rich"]))
    data: dict[str, Any] = draw(cases(name))
    # Most fields stay well-formed (hypothesis favours small integers, so the rare choice is 7).
    rarely = lambda: draw(st.integers(0, 7)) == 7  # noqa: E731
    mutate = lambda value, *others: draw(st.one_of(*others)) if rarely() else value  # noqa: E731
    data["amount"] = mutate(data["amount"], odd_amounts, plain)
    data["due_date"] = mutate(data["due_date"], odd_dates, plain)
    data["id"] = mutate(data["id"], st.sampled_from(["", "x" * 200, "x" * 201]), plain)
    data["currency"] = mutate(data["currency"], st.sampled_from(["nok", "NOKK", "NO"]), plain)
    if rarely():
        data["facts"] = {"eviction_warning_opt_out": draw(st.one_of(plain, st.sampled_from(["1.5", "yes"])))}
    if rarely():
        data[draw(st.sampled_from(["debtor", "creditor", "payment_reference", "status_url", "bogus", "events"]))] = \
            draw(st.one_of(plain, st.fixed_dictionaries(
                {}, optional={"name": st.one_of(st.text(max_size=3), plain), "language": st.sampled_from(["nb", "NB", "nob", None]),
                              "kind": st.sampled_from(["person", "organisation", "robot", None]),
                              "address": st.one_of(st.none(), st.text(max_size=2)), "extra": plain,
                              "organisation_number": st.just("1" * 33), "account": st.just("1")})))
    for event in data.get("events") if isinstance(data.get("events"), list) else []:
        if isinstance(event, dict) and rarely():
            key = draw(st.sampled_from(["type", "date", "amount", "note", "bogus"]))
            event[key] = draw(st.one_of(plain, odd_amounts, odd_dates, st.sampled_from(["Payment", "x" * 65, "n" * 501])))
    text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    return text.replace('"amount": "NaN"', '"amount": NaN') if draw(st.booleans()) else text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_lines())
def test_a_line_read_without_the_models_is_what_the_models_read(line):
    from pydantic import ValidationError

    from dunningrules._model import Case

    fast = read_line(line)
    try:
        model = Case.model_validate_json(line)
    except ValidationError:
        assert fast is None
        return
    if fast is not None:
        assert field_values(fast) == field_values(model)


def test_a_whole_number_amount_has_at_most_sixteen_digits_on_either_path():
    from pydantic import ValidationError

    from dunningrules._model import Case

    for amount, ok in ((10**16 - 1, True), (10**16, False), (10**18 - 1, False)):
        line = json.dumps({"id": "L-1", "due_date": "2026-04-01", "amount": amount, "currency": "NOK"})
        assert (read_line(line) is not None) is ok
        try:
            Case.model_validate_json(line)
        except ValidationError:
            assert not ok
        else:
            assert ok


def test_plain_lines_are_read_without_the_models():

    line = json.dumps({"id": "L-1", "due_date": "2026-04-01", "amount": "9500.00", "currency": "NOK",
                       "debtor": {"name": "Kari", "language": "nb"}, "facts": {"eviction_warning_opt_out": False},
                       "events": [{"type": "payment", "date": "2026-04-08", "amount": "5000.00"}]})
    assert read_line(line) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["no", "se", "rich"]).flatmap(lambda name: st.tuples(st.just(name), cases(name))),
       st.sampled_from([None, "SEK", "currency", "due", "fact", "order", "amount"]))
def test_checking_a_case_without_findings_agrees_with_the_full_check(drawn, spoil):
    from dunningrules._evaluate import _check_case, _fine_facts

    name, data = drawn
    plan = shared(name)
    case = case_from_data(data)
    if spoil is not None:  # one problem of each kind the full check names
        change: dict[str, Any] = {
            "SEK": {"currency": "SEK" if name != "se" else "NOK"}, "currency": {"currency": "EUR"},
            "due": {"due_date": D(1990, 1, 1)},
            "fact": {"facts": {**case.facts, next(iter(plan.facts)).name: "x" if plan.facts[0].type != "string" else 1}}
            if plan.facts else {},
            "order": {"events": [*case.events, type(case.events[0])(type="dispute_resolved", date=D(2020, 1, 1))]
                      if case.events else []},
            "amount": {"events": [*case.events, type(case.events[0])(type="settled", date=D(2026, 1, 1),
                                                                       amount=Decimal(5))] if case.events else []},
        }[spoil]
        case = case.model_copy(update=change)
    fine = _fine_facts(plan, case)
    try:
        want = _check_case(plan, case, "<case>")
    except CaseError:
        assert fine is None
        return
    assert fine == want and list(fine) == list(want)


def test_a_kept_schedule_is_never_given_to_a_case_that_evaluate_must_refuse():
    """`_evaluate._actions` finds a quiet case's schedule before checking the case in full: what that
    look-up does not check (the currency, a payment without an amount) is refused all the same."""
    plan = compile(loaded("no"))
    base = {"id": "K", "due_date": "2026-03-20", "amount": "9500.00", "currency": "NOK"}
    evaluate(plan, base)
    evaluate(plan, {**base, "events": [{"type": "payment", "date": "2026-03-25", "amount": "100.00"}]})
    for bad in ({"currency": "SEK"}, {"events": [{"type": "payment", "date": "2026-03-25"}]},
                {"events": [{"type": "dispute_resolved", "date": "2026-03-25"}]}):
        with pytest.raises(CaseError):
            evaluate(plan, {**base, **bad})


@pytest.mark.parametrize(("field", "value"), [
    ("currency", "nok"), ("currency", "NOKK"), ("currency", "NO"), ("currency", "ÅÅÅ"), ("currency", "NOK"),
    ("language", "NB"), ("language", "nob"), ("language", "n"), ("language", "øx"), ("language", "en"),
    ("type", "Payment"), ("type", ""), ("type", "1x"), ("type", "a-b"), ("type", "x" * 65), ("type", "x_1"),
])
def test_codes_and_event_types_read_without_the_models_are_those_the_models_take(field, value):
    # read_line checks these against their patterns once per distinct value, then by set look-up:
    # the second reading of a value must agree with the first, and both with the models.
    from pydantic import ValidationError

    from dunningrules._model import Case

    data: dict[str, Any] = {"id": "L-1", "due_date": "2026-04-01", "amount": "9500.00", "currency": "NOK",
                            "debtor": {"name": "Kari", "language": "nb"},
                            "events": [{"type": "payment", "date": "2026-04-08", "amount": "5.00"}]}
    target = data if field == "currency" else data["debtor"] if field == "language" else data["events"][0]
    target[field] = value
    line = json.dumps(data, ensure_ascii=False)
    try:
        Case.model_validate_json(line)
        ok = True
    except ValidationError:
        ok = False
    for _ in range(2):
        assert (read_line(line) is not None) is ok
