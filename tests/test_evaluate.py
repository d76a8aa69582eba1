"""Evaluation semantics through the public API, one DSL feature at a time, with real 2026 dates.

Calendar facts used below (Norway 2026): Wed 18 Mar; Thu 2 Apr Maundy Thursday, Fri 3 Apr Good Friday,
Sat 4/Sun 5 Apr Easter, Mon 6 Apr Easter Monday, so Tue 7 Apr is the first business day after Wed 1 Apr;
Thu 14 May Ascension Day; Sat 30 May is a month end followed by Mon 1 Jun.
Sweden 2026: Sat 6 Jun National Day; Fri 19 Jun midsommarafton (de_facto), Sat 20 Jun Midsummer Day.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from dunningrules import (
    Action,
    Case,
    CaseError,
    DunningRulesError,
    InvalidInputError,
    RulesetError,
    Plan,
    Schedule,
    case_from_data,
    compile,
    evaluate,
    load_ruleset,
    parse_ruleset,
)

ROOT = Path(__file__).resolve().parent.parent
D = dt.date

HEAD = """\
dunningrules: 1
id: test
version: "1"
title: Test ruleset
jurisdiction: "{country}"
currency: {currency}
language: nb
calendar: {{country: "{country}", categories: [{categories}]}}
"""
CURRENCY = {"NO": "NOK", "SE": "SEK"}


@lru_cache(maxsize=None)
def plan(body: str, country: str = "NO", categories: str = "public") -> Plan:
    """Compile a small ruleset: HEAD plus `body` (YAML with at least `steps:`)."""
    text = HEAD.format(country=country, currency=CURRENCY[country], categories=categories)
    return compile(parse_ruleset(text + textwrap.dedent(body), "<test>"))


@lru_cache(maxsize=None)
def shipped(country: str) -> Plan:
    return compile(load_ruleset(ROOT / "rulesets" / country / "standard.yaml"))


def case(due: str = "2026-03-18", amount: str = "1000.00", events: tuple | list = (), facts: dict | None = None,
         debtor: dict | None = None, currency: str = "NOK", id: str = "T-1") -> dict[str, Any]:
    data: dict[str, Any] = {"id": id, "due_date": due, "amount": amount, "currency": currency}
    if events:
        data["events"] = list(events)
    if facts is not None:
        data["facts"] = facts
    if debtor is not None:
        data["debtor"] = debtor
    return data


def pay(date: str, amount: str) -> dict[str, str]:
    return {"type": "payment", "date": date, "amount": amount}


def ev(kind: str, date: str) -> dict[str, str]:
    return {"type": kind, "date": date}


def run(body: str, *, as_of: dt.date | None = None, country: str = "NO", categories: str = "public",
        **case_kw: Any) -> Schedule:
    case_kw.setdefault("currency", CURRENCY[country])
    return evaluate(plan(body, country, categories), case(**case_kw), as_of=as_of)


def first(schedule: Schedule) -> dict[str, Action]:
    """Step id -> its first action."""
    out: dict[str, Action] = {}
    for a in schedule.actions:
        out.setdefault(a.step, a)
    return out


def occurrences(schedule: Schedule, step: str) -> list[Action]:
    return sorted((a for a in schedule.actions if a.step == step), key=lambda a: a.occurrence or 0)


def one(body: str, step: str = "a", **kw: Any) -> Action:
    return first(run(body, **kw))[step]


def step_at(at: str, roll: str = "none", extra: str = "") -> str:
    """A one-step ruleset body."""
    return f"""\
    steps:
      - id: a
        action: reminder
        at: {at}
        roll: {roll}
    {textwrap.indent(textwrap.dedent(extra), "    ")}"""


# ===================================================================== offsets


@pytest.mark.parametrize(("at", "due", "expected"), [
    ("due + 5 days", "2026-03-18", D(2026, 3, 23)),
    ("due + 1 day", "2026-12-31", D(2027, 1, 1)),
    ("due - 10 days", "2026-03-18", D(2026, 3, 8)),
    ("due + 0 days", "2026-03-18", D(2026, 3, 18)),
    ("due + 2 weeks", "2026-03-18", D(2026, 4, 1)),
    ("due + 1 week", "2026-03-26", D(2026, 4, 2)),
    ("due - 1 week", "2026-03-18", D(2026, 3, 11)),
])
def test_calendar_day_and_week_offsets(at, due, expected):
    a = one(step_at(at), due=due)
    assert (a.status, a.date) == ("planned", expected)


@pytest.mark.parametrize(("at", "due", "expected"), [
    # Wed 1 Apr is 1, Maundy Thursday .. Easter Monday are skipped, Tue 7 Apr is 2, Wed 8 Apr is 3
    ("due + 3 business days", "2026-03-31", D(2026, 4, 8)),
    ("due + 1 business day", "2026-04-01", D(2026, 4, 7)),
    ("due - 1 business day", "2026-04-07", D(2026, 4, 1)),
    # counted from a closed day: the next business day is the first
    ("due + 1 business day", "2026-03-28", D(2026, 3, 30)),
    ("due + 1 bday", "2026-04-04", D(2026, 4, 7)),
    ("due - 1 business day", "2026-04-04", D(2026, 4, 1)),
    ("due + 10 business days", "2026-03-23", D(2026, 4, 9)),
])
def test_business_day_offsets_skip_weekends_and_holidays(at, due, expected):
    assert one(step_at(at), due=due).date == expected


@pytest.mark.parametrize(("at", "due", "expected"), [
    ("due + 1 month", "2026-01-31", D(2026, 2, 28)),   # clamped to the month's last day
    ("due + 1 month", "2028-01-31", D(2028, 2, 29)),   # leap year
    ("due + 1 month", "2026-01-30", D(2026, 2, 28)),
    ("due + 2 months", "2026-01-31", D(2026, 3, 31)),  # counted from the anchor, not from 28 Feb
    ("due + 3 months", "2026-01-31", D(2026, 4, 30)),
    ("due - 1 month", "2026-03-31", D(2026, 2, 28)),
    ("due - 1 month", "2028-03-30", D(2028, 2, 29)),
    ("due + 1 month", "2026-12-15", D(2027, 1, 15)),   # across the year end
    ("due - 1 month", "2026-01-15", D(2025, 12, 15)),
    ("due + 35 months", "2026-06-05", D(2029, 5, 5)),
])
def test_month_offsets(at, due, expected):
    assert one(step_at(at), due=due).date == expected


@pytest.mark.parametrize(("at", "due", "expected"), [
    ("due + 1 year", "2028-02-29", D(2029, 2, 28)),
    ("due + 4 years", "2028-02-29", D(2032, 2, 29)),
    ("due + 3 years", "2026-03-18", D(2029, 3, 18)),
    ("due - 1 year", "2026-03-18", D(2025, 3, 18)),
])
def test_year_offsets(at, due, expected):
    assert one(step_at(at), due=due).date == expected


def test_offsets_apply_left_to_right():
    # 30 Jan + 1 month = 28 Feb, + 1 day = 1 Mar;  30 Jan + 1 day = 31 Jan, + 1 month = 28 Feb
    assert one(step_at("due + 1 month + 1 day"), due="2026-01-30").date == D(2026, 3, 1)
    assert one(step_at("due + 1 day + 1 month"), due="2026-01-30").date == D(2026, 2, 28)
    assert one(step_at("due + 1 week - 2 business days"), due="2026-03-26").date == D(2026, 3, 31)


def test_parameter_as_offset_amount():
    body = """\
    parameters: {grace: 7}
    steps:
      - id: a
        action: reminder
        at: due + params.grace days
    """
    a = one(body)
    assert a.date == D(2026, 3, 25)
    assert a.reason == "due + params.grace days = Wed 25 Mar 2026"


# ===================================================================== anchors


def test_anchor_on_another_steps_rolled_date():
    body = """\
    steps:
      - id: a
        action: reminder
        at: due + 10 days          # Sat 28 Mar -> Mon 30 Mar
      - id: b
        action: reminder
        at: a + 2 days             # from Mon 30 Mar, not from the raw Saturday
      - id: c
        action: reminder
        at: a.date + 3 days        # Thu 2 Apr, Maundy Thursday -> Tue 7 Apr
    """
    acts = first(run(body))
    assert acts["a"].date == D(2026, 3, 30)
    assert acts["b"].date == D(2026, 4, 1)
    assert acts["c"].date == D(2026, 4, 7)
    assert acts["c"].reason == ("a.date + 3 days = Thu 2 Apr 2026, Maundy Thursday; "
                                "rolled forward to Tue 7 Apr 2026")


@pytest.mark.parametrize(("deadline_roll", "a_deadline", "b_date"), [
    ("none", D(2026, 4, 6), D(2026, 4, 7)),        # Easter Monday kept; + 1 day = Tue 7 Apr
    ("following", D(2026, 4, 7), D(2026, 4, 8)),   # rolled to Tue 7 Apr; + 1 day = Wed 8 Apr
])
def test_anchor_on_another_steps_deadline(deadline_roll, a_deadline, b_date):
    body = f"""\
    steps:
      - id: a
        action: debt_collection_notice
        at: due + 5 days
        deadline: {{after: 14 days, roll: {deadline_roll}}}
      - id: b
        action: payment_demand
        at: a.deadline + 1 day
    """
    acts = first(run(body))
    assert (acts["a"].date, acts["a"].deadline) == (D(2026, 3, 23), a_deadline)
    assert acts["b"].date == b_date


EVENT_BODY = """\
steps:
  - id: ruling
    action: ruling
    at: event.service_completed + 21 days
"""


def test_anchor_on_an_event():
    a = one(EVENT_BODY, "ruling", due="2026-06-05", currency="NOK", events=[ev("service_completed", "2026-07-02")])
    assert (a.status, a.date) == ("planned", D(2026, 7, 23))
    assert a.reason == "event.service_completed + 21 days = Thu 23 Jul 2026"


def test_anchor_on_an_event_uses_its_first_occurrence():
    a = one(EVENT_BODY, "ruling", events=[ev("service_completed", "2026-07-10"), ev("service_completed", "2026-07-02")])
    assert a.date == D(2026, 7, 23)


def test_anchor_on_an_event_that_has_not_happened_waits():
    a = one(EVENT_BODY, "ruling", events=[ev("something_else", "2026-07-02")])
    assert (a.status, a.date, a.deadline) == ("waiting", None, None)
    assert a.reason == "event.service_completed + 21 days: waiting for event service_completed"


def test_max_and_min_of_dates():
    body = """\
    steps:
      - id: late
        action: reminder
        at: max(due + 14 days, event.service_completed + 1 day)
      - id: early
        action: reminder
        at: min(due + 14 days, event.service_completed + 1 day)
    """
    acts = first(run(body, events=[ev("service_completed", "2026-04-20")]))
    assert acts["late"].date == D(2026, 4, 21)
    assert acts["early"].date == D(2026, 4, 1)
    acts = first(run(body, events=[ev("service_completed", "2026-03-20")]))
    assert acts["late"].date == D(2026, 4, 1)
    assert acts["early"].date == D(2026, 3, 23)  # Sat 21 Mar rolled forward
    acts = first(run(body))
    assert acts["late"].status == acts["early"].status == "waiting"


def test_a_max_or_min_reason_names_the_date_of_each_part():
    body = """\
    steps:
      - id: late
        action: reminder
        at: max(due + 14 days, event.service_completed + 1 day) + 2 days
      - id: early
        action: reminder
        at: min(due + 14 days, event.service_completed + 1 day)
    """
    acts = first(run(body, events=[ev("service_completed", "2026-04-20")]))
    assert acts["late"].reason == ("max(due + 14 days = Wed 1 Apr 2026, event.service_completed + 1 day = "
                                   "Tue 21 Apr 2026) + 2 days = Thu 23 Apr 2026")
    assert acts["early"].reason == ("min(due + 14 days = Wed 1 Apr 2026, event.service_completed + 1 day = "
                                    "Tue 21 Apr 2026) = Wed 1 Apr 2026")


def test_schedules_whose_max_agrees_but_whose_parts_differ_keep_their_own_reasons():
    body = """\
    steps:
      - id: ruling
        action: ruling
        at: max(event.service_completed, due + 14 days) + 21 days
    """
    cases = [case(events=[ev("service_completed", "2026-04-02")]),
             case(events=[ev("service_completed", "2026-03-20")]),
             case(due="2026-03-19", events=[ev("service_completed", "2026-04-02")])]
    # One plan, so that a later case could reuse what an earlier one computed for the same date.
    shared = plan(body)
    schedules = [evaluate(shared, c) for c in cases]
    assert [s.actions[0].date for s in schedules] == [D(2026, 4, 23), D(2026, 4, 22), D(2026, 4, 23)]
    assert [s.actions[0].reason for s in schedules] == [
        "max(event.service_completed = Thu 2 Apr 2026, due + 14 days = Wed 1 Apr 2026) + 21 days = Thu 23 Apr 2026",
        "max(event.service_completed = Fri 20 Mar 2026, due + 14 days = Wed 1 Apr 2026) + 21 days = Wed 22 Apr 2026",
        "max(event.service_completed = Thu 2 Apr 2026, due + 14 days = Thu 2 Apr 2026) + 21 days = Thu 23 Apr 2026",
    ]
    assert [evaluate(plan(body), c).actions[0].reason for c in cases] == [s.actions[0].reason for s in schedules]


def test_a_max_anchor_moved_by_a_dispute_or_paid_in_full_still_names_its_parts():
    body = """\
    pause: {during: [dispute], policy: shift}
    stop_when: [paid]
    steps:
      - id: a
        action: reminder
        at: max(due + 14 days, event.service_completed + 1 day)
    """
    moved = one(body, events=[ev("service_completed", "2026-04-20"), ev("dispute_opened", "2026-04-15"),
                             ev("dispute_resolved", "2026-04-24")])
    assert moved.date == D(2026, 4, 27)
    assert moved.reason.startswith("max(due + 14 days = Wed 1 Apr 2026, event.service_completed + 1 day = "
                                   "Tue 21 Apr 2026) = Tue 21 Apr 2026; inside dispute pause")
    paid = one(body, events=[ev("service_completed", "2026-04-20"), pay("2026-04-10", "1000.00")])
    assert paid.status == "skipped"
    assert paid.reason == ("max(due + 14 days = Wed 1 Apr 2026, event.service_completed + 1 day = Tue 21 Apr 2026) "
                           "= Tue 21 Apr 2026; skipped: the amount was paid in full on Fri 10 Apr 2026")


# ===================================================================== roll conventions


@pytest.mark.parametrize(("roll", "expected", "reason_tail"), [
    ("following", D(2026, 4, 7), "Sat 4 Apr 2026, Saturday; rolled forward to Tue 7 Apr 2026"),
    ("preceding", D(2026, 4, 1), "Sat 4 Apr 2026, Saturday; rolled back to Wed 1 Apr 2026"),
    ("modified_following", D(2026, 4, 7), "Sat 4 Apr 2026, Saturday; rolled (modified following) to Tue 7 Apr 2026"),
    ("none", D(2026, 4, 4), "Sat 4 Apr 2026, Saturday; not moved (roll: none)"),
])
def test_roll_of_a_date(roll, expected, reason_tail):
    a = one(step_at("due + 17 days", roll))
    assert (a.status, a.date) == ("planned", expected)
    assert a.reason == f"due + 17 days = {reason_tail}"


@pytest.mark.parametrize(("roll", "expected"), [
    ("following", D(2026, 6, 1)),            # into June
    ("modified_following", D(2026, 5, 29)),  # ... not across the month end: back to Fri 29 May
    ("preceding", D(2026, 5, 29)),
    ("none", D(2026, 5, 30)),
])
def test_roll_at_a_month_end(roll, expected):
    assert one(step_at("due + 10 days", roll), due="2026-05-20").date == expected


def test_default_roll_comes_from_defaults_and_a_step_overrides_it():
    body = """\
    defaults: {roll: preceding}
    steps:
      - id: a
        action: reminder
        at: due + 17 days
      - id: b
        action: reminder
        at: due + 17 days
        roll: following
    """
    acts = first(run(body))
    assert acts["a"].date == D(2026, 4, 1)
    assert acts["b"].date == D(2026, 4, 7)


def test_roll_defaults_to_following():
    body = """\
    steps:
      - id: a
        action: reminder
        at: due + 17 days
    """
    assert one(body).date == D(2026, 4, 7)


@pytest.mark.parametrize(("roll", "expected", "reason_tail"), [
    ("following", D(2026, 4, 7), "Sat 4 Apr 2026, Saturday; rolled forward to Tue 7 Apr 2026"),
    ("preceding", D(2026, 4, 1), "Sat 4 Apr 2026, Saturday; rolled back to Wed 1 Apr 2026"),
    ("modified_following", D(2026, 4, 7), "Sat 4 Apr 2026, Saturday; rolled (modified following) to Tue 7 Apr 2026"),
    ("none", D(2026, 4, 4), "Sat 4 Apr 2026, Saturday; not moved"),
])
def test_roll_of_a_deadline(roll, expected, reason_tail):
    body = f"""\
    steps:
      - id: a
        action: debt_collection_notice
        at: due + 5 days
        deadline: {{after: 12 days, roll: {roll}}}
    """
    a = one(body)
    assert (a.date, a.deadline) == (D(2026, 3, 23), expected)
    assert a.reason == f"due + 5 days = Mon 23 Mar 2026; deadline 12 days later = {reason_tail}"


def test_deadline_with_roll_none_on_a_saturday_stays_on_the_saturday():
    body = """\
    steps:
      - id: a
        action: debt_collection_notice
        at: due + 3 days
        deadline: {after: 12 days, roll: none}
    """
    a = one(body)  # Sat 21 Mar -> Mon 23 Mar; + 12 days = Sat 4 Apr
    assert a.date == D(2026, 3, 23)
    assert a.deadline == D(2026, 4, 4) and a.deadline.weekday() == 5


def test_date_roll_and_deadline_roll_are_independent():
    body = """\
    steps:
      - id: sat
        action: reminder
        at: due + 17 days
        roll: none
        deadline: {after: 2 days, roll: following}
      - id: tue
        action: reminder
        at: due + 17 days
        roll: following
        deadline: {after: 11 days, roll: none}
    """
    acts = first(run(body))
    # kept on Sat 4 Apr; + 2 days = Easter Monday, rolled to Tue 7 Apr
    assert (acts["sat"].date, acts["sat"].deadline) == (D(2026, 4, 4), D(2026, 4, 7))
    # rolled to Tue 7 Apr; + 11 days = Sat 18 Apr, kept
    assert (acts["tue"].date, acts["tue"].deadline) == (D(2026, 4, 7), D(2026, 4, 18))


def test_deadline_roll_defaults_to_following_and_counts_business_days():
    body = """\
    steps:
      - id: a
        action: reminder
        at: due + 5 days
        deadline: {after: 12 days}
      - id: b
        action: reminder
        at: due + 5 days
        deadline: {after: 10 business days}
    """
    acts = first(run(body))
    assert acts["a"].deadline == D(2026, 4, 7)
    assert acts["b"].deadline == D(2026, 4, 9)


# ===================================================================== same-day order


def test_actions_on_one_day_keep_ruleset_order():
    body = """\
    steps:
      - id: link
        action: creditor_status_link
        at: notice                  # listed first, evaluated after `notice`
      - id: zeta
        action: reminder
        at: due + 5 days
      - id: notice
        action: debt_collection_notice
        at: due + 5 days
      - id: alpha
        action: eviction_warning
        at: due + 3 days            # Sat 21 Mar -> Mon 23 Mar: the same day once rolled
      - id: early
        action: invoice
        at: due - 1 day
    """
    s = run(body)
    assert [(a.step, a.date) for a in s.actions] == [
        ("early", D(2026, 3, 17)),
        ("link", D(2026, 3, 23)),
        ("zeta", D(2026, 3, 23)),
        ("notice", D(2026, 3, 23)),
        ("alpha", D(2026, 3, 23)),
    ]


def test_waiting_and_undated_actions_come_last():
    body = """\
    steps:
      - id: ruling
        action: ruling
        at: event.service_completed
      - id: a
        action: reminder
        at: due + 5 days
    """
    s = run(body)
    assert [(a.step, a.status) for a in s.actions] == [("a", "planned"), ("ruling", "waiting")]


# ===================================================================== recurring steps


def test_recurring_monthly_until_a_limit_counts_from_the_anchor():
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        roll: none
        repeat: {every: 1 month, until: due + 3 months}
    """
    occ = occurrences(run(body, due="2026-01-31"), "m")
    assert [a.date for a in occ] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]
    assert [a.occurrence for a in occ] == [1, 2, 3, 4]
    assert occ[0].reason == "due = Sat 31 Jan 2026, Saturday; not moved (roll: none)"
    assert occ[3].reason == "due + 3 × 1 month = Thu 30 Apr 2026"


def test_recurring_occurrences_roll_without_drifting():
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        repeat: {every: 1 month, until: due + 3 months}
    """
    occ = occurrences(run(body, due="2026-01-31"), "m")
    # Sat 31 Jan -> Mon 2 Feb; Sat 28 Feb -> Mon 2 Mar; then 31 Mar (not 2 Apr), 30 Apr
    assert [a.date for a in occ] == [D(2026, 2, 2), D(2026, 3, 2), D(2026, 3, 31), D(2026, 4, 30)]
    assert occ[1].reason == "due + 1 × 1 month = Sat 28 Feb 2026, Saturday; rolled forward to Mon 2 Mar 2026"


@pytest.mark.parametrize(("until", "count"), [
    ("due + 2 months", 3),            # the limit itself is included
    ("due + 2 months - 1 day", 2),
    ("due", 1),
])
def test_recurring_until_is_inclusive(until, count):
    body = f"""\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        roll: none
        repeat: {{every: 1 month, until: {until}}}
    """
    assert len(occurrences(run(body), "m")) == count


def test_recurring_max_bounds_the_occurrences():
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        repeat: {every: 1 week, until: due + 1 year, max: 3}
    """
    occ = occurrences(run(body), "m")
    assert [a.date for a in occ] == [D(2026, 3, 18), D(2026, 3, 25), D(2026, 4, 1)]


MONTHLY_WHEN_OUTSTANDING = """\
steps:
  - id: m
    action: long_term_monitoring
    at: due
    when: outstanding > 0
    repeat: {every: 1 month, until: due + 4 months}
"""


def test_recurring_stops_when_paid_in_full():
    occ = occurrences(run(MONTHLY_WHEN_OUTSTANDING, events=[pay("2026-05-01", "1000.00")]), "m")
    assert [(a.date, a.status) for a in occ] == [
        (D(2026, 3, 18), "planned"),
        (D(2026, 4, 20), "planned"),   # Sat 18 Apr -> Mon 20 Apr
        (D(2026, 5, 18), "skipped"),
    ]
    assert occ[-1].reason.endswith("skipped: the amount was paid in full on Fri 1 May 2026")


def test_recurring_continues_after_a_partial_payment():
    occ = occurrences(run(MONTHLY_WHEN_OUTSTANDING, events=[pay("2026-05-01", "999.99")]), "m")
    assert [a.status for a in occ] == ["planned"] * 5
    assert occ[-1].date == D(2026, 7, 20)  # Sat 18 Jul -> Mon 20 Jul


def test_recurring_step_with_false_conditions_and_an_anchor_on_it():
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        when: days_overdue >= 30
        repeat: {every: 2 weeks, until: due + 8 weeks}
      - id: after
        action: reminder
        at: m + 1 day
    """
    s = run(body)
    occ = occurrences(s, "m")
    assert [(a.date, a.status) for a in occ] == [
        (D(2026, 3, 18), "skipped"), (D(2026, 4, 1), "skipped"), (D(2026, 4, 15), "skipped"),
        (D(2026, 4, 29), "planned"), (D(2026, 5, 13), "planned"),
    ]
    # anchored on the first *planned* occurrence
    assert first(s)["after"].date == D(2026, 4, 30)


def test_shipped_sweden_monitoring_every_six_months():
    s = evaluate(shipped("se"), case(due="2026-06-05", currency="SEK", events=[ev("service_completed", "2026-07-02")]))
    occ = occurrences(s, "long-term-monitoring")
    assert [a.date for a in occ] == [D(2026, 10, 23), D(2027, 4, 23), D(2027, 10, 25), D(2028, 4, 24),
                                     D(2028, 10, 23), D(2029, 4, 23)]
    assert occ[2].reason == ("ruling + 3 months + 2 × 6 months = Sat 23 Oct 2027, Saturday; "
                             "rolled forward to Mon 25 Oct 2027")


# ===================================================================== conditions


OUTSTANDING_BODY = """\
steps:
  - id: a
    action: reminder
    at: due + 5 days
    when: outstanding > 5000
"""


@pytest.mark.parametrize(("payment_date", "status"), [
    ("2026-03-20", "skipped"),   # before the step: 4000 outstanding
    ("2026-03-23", "skipped"),   # the same day counts
    ("2026-03-24", "planned"),   # after the step: still 9000 outstanding on 23 Mar
])
def test_condition_on_outstanding_sees_partial_payments_up_to_the_steps_date(payment_date, status):
    a = one(OUTSTANDING_BODY, amount="9000.00", events=[pay(payment_date, "5000.00")])
    assert (a.status, a.date) == (status, D(2026, 3, 23))
    if status == "skipped":
        assert a.reason == "due + 5 days = Mon 23 Mar 2026; skipped: condition is false: outstanding > 5000"


def test_conditions_on_paid_amount_and_days_overdue():
    body = """\
    steps:
      - id: paid_some
        action: reminder
        at: due + 5 days
        when: paid >= 100 and amount == 1000
      - id: ten
        action: reminder
        at: due + 10 days
        when: days_overdue >= 14
      - id: fifteen
        action: reminder
        at: due + 15 days
        when: days_overdue >= 14
    """
    acts = first(run(body, events=[pay("2026-03-20", "100.00")]))
    assert acts["paid_some"].status == "planned"
    assert acts["ten"].status == "skipped"         # Mon 30 Mar: 12 days
    assert acts["fifteen"].status == "planned"     # Tue 7 Apr: 20 days
    assert first(run(body))["paid_some"].status == "skipped"


FACTS_BODY = """\
facts:
  vip: {type: boolean, default: false}
  arrears: {type: number, default: 0}
  segment: {type: string, default: standard}
steps:
  - id: normal
    action: reminder
    at: due + 5 days
    when: not facts.vip
  - id: arrears
    action: reminder
    at: due + 5 days
    when: facts.arrears >= 2
  - id: social
    action: social_services_notice
    at: due + 5 days
    when: facts.segment == 'social'
"""


def test_conditions_on_facts_use_declared_defaults():
    acts = first(run(FACTS_BODY))
    assert [acts[s].status for s in ("normal", "arrears", "social")] == ["planned", "skipped", "skipped"]


def test_conditions_on_facts_given_by_the_case():
    acts = first(run(FACTS_BODY, facts={"vip": True, "arrears": 3, "segment": "social"}))
    assert [acts[s].status for s in ("normal", "arrears", "social")] == ["skipped", "planned", "planned"]
    acts = first(run(FACTS_BODY, facts={"arrears": Decimal("1.5")}))
    assert acts["arrears"].status == "skipped"


@pytest.mark.parametrize(("value", "status"), [(0, "skipped"), (1, "skipped"), (2, "planned"), (4, "planned")])
def test_number_facts_zero_and_one_stay_numbers(value, status):
    # JSON 0 and 1 are numbers, not false and true (a lax bool in the Case model once took them)
    acts = first(run(FACTS_BODY, facts={"arrears": value}))
    assert acts["arrears"].status == status
    assert case_from_data(case(facts={"arrears": value})).facts["arrears"] == Decimal(value)
    assert not isinstance(case_from_data(case(facts={"arrears": value})).facts["arrears"], bool)


def test_a_boolean_fact_given_as_a_number_or_text_is_a_case_error():
    for value in (1, 0, "true"):
        with pytest.raises(CaseError) as info:
            run(FACTS_BODY, facts={"vip": value})
        assert [f.code for f in info.value.findings] == ["case-fact-type"], value


def test_a_required_fact_missing_is_a_case_error():
    body = """\
    facts:
      landlord_accepted: {type: boolean}
    steps:
      - id: a
        action: reminder
        at: due + 5 days
        when: facts.landlord_accepted
    """
    for facts in (None, {}, {"landlord_accepted": None}):
        with pytest.raises(CaseError) as info:
            run(body, facts=facts)
        assert [f.code for f in info.value.findings] == ["case-missing-fact"]
        assert "landlord_accepted" in info.value.findings[0].message
    assert one(body, facts={"landlord_accepted": True}).status == "planned"
    assert one(body, facts={"landlord_accepted": False}).status == "skipped"


def test_a_fact_of_the_wrong_type_is_a_case_error():
    with pytest.raises(CaseError) as info:
        run(FACTS_BODY, facts={"vip": "yes", "arrears": True})
    assert sorted(f.code for f in info.value.findings) == ["case-fact-type", "case-fact-type"]


DEBTOR_BODY = """\
steps:
  - id: org
    action: reminder
    at: due + 5 days
    when: debtor.kind == 'organisation'
  - id: english
    action: reminder
    at: due + 5 days
    when: debtor.language == 'en'
  - id: not_english
    action: reminder
    at: due + 5 days
    when: debtor.language != 'en'
"""


def test_conditions_on_debtor_attributes():
    acts = first(run(DEBTOR_BODY, debtor={"name": "AS Bolig", "kind": "organisation", "language": "en"}))
    assert [acts[s].status for s in ("org", "english", "not_english")] == ["planned", "planned", "skipped"]
    acts = first(run(DEBTOR_BODY, debtor={"name": "Kari", "language": "nb"}))
    assert [acts[s].status for s in ("org", "english", "not_english")] == ["skipped", "skipped", "planned"]
    # no debtor: every comparison with the unknown value is false
    acts = first(run(DEBTOR_BODY))
    assert [acts[s].status for s in ("org", "english", "not_english")] == ["skipped", "skipped", "skipped"]


def test_conditions_on_an_earlier_steps_status():
    body = """\
    facts:
      gentle: {type: boolean, default: false}
    steps:
      - id: phone
        action: x-phone-call
        at: due + 12 days
        when: reminder-1.skipped       # listed before the step it reads
      - id: reminder-1
        action: reminder
        at: due + 5 days
        when: not facts.gentle
      - id: reminder-2
        action: reminder
        at: due + 10 days
        when: reminder-1.planned
    """
    acts = first(run(body))
    assert [acts[s].status for s in ("reminder-1", "reminder-2", "phone")] == ["planned", "planned", "skipped"]
    acts = first(run(body, facts={"gentle": True}))
    assert [acts[s].status for s in ("reminder-1", "reminder-2", "phone")] == ["skipped", "skipped", "planned"]
    assert acts["phone"].date == D(2026, 3, 30)


@pytest.mark.parametrize(("service", "status"), [("2026-03-20", "skipped"), ("2026-03-23", "skipped"),
                                                 ("2026-03-24", "planned")])
def test_condition_on_an_event_is_read_at_the_steps_date(service, status):
    body = """\
    steps:
      - id: a
        action: reminder
        at: due + 5 days
        when: not event.service_completed
    """
    assert one(body, events=[ev("service_completed", service)]).status == status


def test_condition_on_a_parameter():
    body = """\
    parameters: {threshold: 500}
    steps:
      - id: a
        action: reminder
        at: due + 5 days
        when: outstanding > params.threshold
    """
    assert one(body, amount="600.00").status == "planned"
    assert one(body, amount="500.00").status == "skipped"


# ===================================================================== pauses


SHIFT_BODY = """\
steps:
  - id: before
    action: invoice
    at: due
  - id: a
    action: debt_collection_notice
    at: due + 5 days
    deadline: {after: 14 days, roll: none}
  - id: b
    action: creditor_status_link
    at: a
"""


def test_pause_shift_moves_a_step_to_the_first_business_day_after_the_dispute():
    s = run(SHIFT_BODY, events=[ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26")])
    acts = first(s)
    assert acts["before"].date == D(2026, 3, 18)
    a = acts["a"]
    assert (a.status, a.date, a.deadline) == ("planned", D(2026, 3, 27), D(2026, 4, 10))  # deadline from new date
    assert a.reason == ("due + 5 days = Mon 23 Mar 2026; inside dispute pause Fri 20 Mar 2026 to Thu 26 Mar 2026; "
                        "moved to Fri 27 Mar 2026; deadline 14 days later = Fri 10 Apr 2026")
    assert acts["b"].date == D(2026, 3, 27)


@pytest.mark.parametrize(("opened", "resolved", "expected"), [
    ("2026-03-20", "2026-03-27", D(2026, 3, 30)),   # resolved on a Friday: Monday
    ("2026-03-20", "2026-04-01", D(2026, 4, 7)),    # resolved before Easter: after Easter Monday
    ("2026-03-23", "2026-03-23", D(2026, 3, 24)),   # a one-day dispute on the step's day
    ("2026-03-23", "2026-03-25", D(2026, 3, 26)),   # opened on the step's day
    ("2026-03-10", "2026-03-23", D(2026, 3, 24)),   # resolved on the step's day
    ("2026-03-10", "2026-03-22", D(2026, 3, 23)),   # resolved the day before: not moved
    ("2026-03-24", "2026-03-30", D(2026, 3, 23)),   # opened the day after: not moved
])
def test_pause_boundaries_are_inclusive(opened, resolved, expected):
    a = one(SHIFT_BODY, events=[ev("dispute_opened", opened), ev("dispute_resolved", resolved)])
    assert (a.status, a.date) == ("planned", expected)


def test_a_shift_into_a_second_dispute_is_shifted_again():
    events = [ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26"),
              ev("dispute_opened", "2026-03-27"), ev("dispute_resolved", "2026-03-31")]
    assert one(SHIFT_BODY, events=events).date == D(2026, 4, 1)


SKIP_BODY = """\
pause: {during: [dispute], policy: skip}
steps:
  - id: a
    action: reminder
    at: due + 5 days
  - id: b
    action: reminder
    at: a + 1 day
  - id: c
    action: reminder
    at: due + 5 days
    on_pause: shift
"""


def test_pause_skip_policy_and_per_step_override():
    acts = first(run(SKIP_BODY, events=[ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26")]))
    assert (acts["a"].status, acts["a"].date) == ("skipped", D(2026, 3, 23))
    assert acts["a"].reason == ("due + 5 days = Mon 23 Mar 2026; "
                                "skipped: inside dispute pause Fri 20 Mar 2026 to Thu 26 Mar 2026")
    assert (acts["b"].status, acts["b"].date) == ("skipped", None)
    assert acts["b"].reason == "a + 1 day: skipped: anchor step a was skipped"
    assert (acts["c"].status, acts["c"].date) == ("planned", D(2026, 3, 27))


def test_per_step_on_pause_skip_in_a_shift_ruleset():
    body = """\
    steps:
      - id: a
        action: reminder
        at: due + 5 days
        on_pause: skip
      - id: b
        action: reminder
        at: due + 5 days
    """
    acts = first(run(body, events=[ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26")]))
    assert acts["a"].status == "skipped"
    assert (acts["b"].status, acts["b"].date) == ("planned", D(2026, 3, 27))


def test_open_ended_dispute_makes_later_steps_wait():
    s = run(SHIFT_BODY, events=[ev("dispute_opened", "2026-03-20")])
    acts = first(s)
    assert (acts["before"].status, acts["before"].date) == ("planned", D(2026, 3, 18))
    a = acts["a"]
    assert (a.status, a.date, a.deadline) == ("waiting", None, None)
    assert a.reason == "due + 5 days = Mon 23 Mar 2026; paused: dispute opened Fri 20 Mar 2026 is not resolved"
    assert (acts["b"].status, acts["b"].date) == ("waiting", None)
    assert acts["b"].reason == "a: waiting for step a"
    assert a.to_dict()["date"] is None and a.to_dict()["status"] == "waiting"


def test_open_ended_dispute_stops_a_recurring_step_at_the_first_paused_occurrence():
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due
        repeat: {every: 1 week, until: due + 10 weeks}
    """
    occ = occurrences(run(body, events=[ev("dispute_opened", "2026-04-01")]), "m")
    assert [(a.date, a.status) for a in occ] == [
        (D(2026, 3, 18), "planned"), (D(2026, 3, 25), "planned"), (None, "waiting")]


def test_disputes_are_ignored_without_a_dispute_pause():
    body = """\
    pause: {during: []}
    steps:
      - id: a
        action: reminder
        at: due + 5 days
    """
    a = one(body, events=[ev("dispute_opened", "2026-03-20")])
    assert (a.status, a.date) == ("planned", D(2026, 3, 23))


def test_skip_policy_inside_an_open_ended_dispute_has_a_readable_reason():
    # Regression: the reason used to format the open pause's end (an ordinal sentinel) as a date and
    # raise ValueError from Action.reason / Schedule.to_dict().
    s = run(SKIP_BODY, events=[ev("dispute_opened", "2026-03-20")])
    acts = first(s)
    assert (acts["a"].status, acts["a"].date) == ("skipped", D(2026, 3, 23))
    assert "Fri 20 Mar 2026" in acts["a"].reason
    assert (acts["c"].status, acts["c"].date) == ("waiting", None)   # on_pause: shift waits
    assert [a["status"] for a in s.to_dict()["actions"]] == ["skipped", "skipped", "waiting"]


# ===================================================================== stop when paid


STOP_BODY = """\
steps:
  - id: invoice
    action: invoice
    at: due - 10 days
  - id: a
    action: reminder
    at: due + 5 days
  - id: b
    action: reminder
    at: due + 10 days
  - id: c
    action: payment_demand
    at: b + 1 day
"""


def statuses(s: Schedule) -> dict[str, str]:
    return {step: a.status for step, a in first(s).items()}


def test_full_payment_on_the_day_of_a_step_skips_it_and_everything_after():
    s = run(STOP_BODY, events=[pay("2026-03-23", "1000.00")])
    assert statuses(s) == {"invoice": "planned", "a": "skipped", "b": "skipped", "c": "skipped"}
    acts = first(s)
    assert acts["a"].reason == "due + 5 days = Mon 23 Mar 2026; skipped: the amount was paid in full on Mon 23 Mar 2026"
    assert acts["c"].reason == "b + 1 day: skipped: anchor step b was skipped"


def test_full_payment_the_day_after_a_step_leaves_it_planned():
    s = run(STOP_BODY, events=[pay("2026-03-24", "1000.00")])
    assert statuses(s) == {"invoice": "planned", "a": "planned", "b": "skipped", "c": "skipped"}


def test_partial_payments_do_not_stop_until_they_add_up():
    s = run(STOP_BODY, events=[pay("2026-03-20", "500.00"), pay("2026-03-23", "499.99")])
    assert set(statuses(s).values()) == {"planned"}
    s = run(STOP_BODY, events=[pay("2026-03-20", "500.00"), pay("2026-03-30", "500.00")])
    assert statuses(s) == {"invoice": "planned", "a": "planned", "b": "skipped", "c": "skipped"}
    assert first(s)["b"].reason.endswith("skipped: the amount was paid in full on Mon 30 Mar 2026")


def test_overpayment_counts_as_paid_in_full():
    s = run(STOP_BODY, events=[pay("2026-03-20", "1500.00")])
    assert statuses(s) == {"invoice": "planned", "a": "skipped", "b": "skipped", "c": "skipped"}


def test_paid_before_the_invoice_skips_everything():
    s = run(STOP_BODY, events=[pay("2026-03-01", "1000.00")])
    assert set(statuses(s).values()) == {"skipped"}
    assert first(s)["invoice"].date == D(2026, 3, 9)   # due - 10 days = Sun 8 Mar -> Mon 9 Mar


def test_without_stop_when_paid_steps_continue():
    body = "stop_when: []\n" + textwrap.dedent(STOP_BODY)
    s = run(body, events=[pay("2026-03-01", "1000.00")])
    assert set(statuses(s).values()) == {"planned"}


def test_a_step_shifted_past_the_full_payment_is_skipped():
    a = one(SHIFT_BODY, events=[ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26"),
                                pay("2026-03-25", "1000.00")])
    assert (a.status, a.date) == ("skipped", D(2026, 3, 27))
    assert a.reason == ("due + 5 days = Mon 23 Mar 2026; inside dispute pause Fri 20 Mar 2026 to Thu 26 Mar 2026; "
                        "moved to Fri 27 Mar 2026; skipped: the amount was paid in full on Wed 25 Mar 2026")


# ===================================================================== as_of


def test_as_of_ignores_later_events():
    events = [pay("2026-03-20", "1000.00")]
    s = run(STOP_BODY, events=events, as_of=D(2026, 3, 19))
    assert set(statuses(s).values()) == {"planned"}     # the payment is not known yet
    assert s.as_of == D(2026, 3, 19) and s.to_dict()["as_of"] == "2026-03-19"
    s = run(STOP_BODY, events=events, as_of=D(2026, 3, 20))  # an event on the as_of day is known
    assert statuses(s)["a"] == "skipped"
    assert run(STOP_BODY, events=events).to_dict()["as_of"] is None


def test_as_of_keeps_future_steps_planned():
    s = run(STOP_BODY, as_of=D(2026, 3, 1))
    assert [a.date for a in s.planned()] == [D(2026, 3, 9), D(2026, 3, 23), D(2026, 3, 30), D(2026, 3, 31)]


def test_as_of_before_a_dispute_is_resolved_makes_steps_wait():
    events = [ev("dispute_opened", "2026-03-20"), ev("dispute_resolved", "2026-03-26")]
    assert one(SHIFT_BODY, events=events, as_of=D(2026, 3, 25)).status == "waiting"
    assert one(SHIFT_BODY, events=events, as_of=D(2026, 3, 26)).date == D(2026, 3, 27)
    assert one(SHIFT_BODY, events=events, as_of=D(2026, 3, 19)).date == D(2026, 3, 23)  # dispute unknown


def test_as_of_before_an_anchor_event_makes_the_step_wait():
    events = [ev("service_completed", "2026-07-02")]
    assert one(EVENT_BODY, "ruling", events=events, as_of=D(2026, 7, 1)).status == "waiting"
    assert one(EVENT_BODY, "ruling", events=events, as_of=D(2026, 7, 2)).date == D(2026, 7, 23)


# ===================================================================== skipped and waiting anchors


def test_steps_anchored_on_skipped_and_waiting_steps():
    body = """\
    facts:
      skip_a: {type: boolean, default: false}
    steps:
      - id: a
        action: debt_collection_notice
        at: due + 5 days
        when: not facts.skip_a
        deadline: {after: 14 days}
      - id: on_date
        action: reminder
        at: a + 1 day
      - id: on_deadline
        action: payment_demand
        at: a.deadline + 1 day
      - id: on_event
        action: ruling
        at: event.service_completed
      - id: on_waiting
        action: eviction_enforcement
        at: on_event + 3 business days
      - id: both
        action: reminder
        at: max(on_event, a)
    """
    acts = first(run(body, facts={"skip_a": True}))
    for step in ("on_date", "on_deadline"):
        assert (acts[step].status, acts[step].date, acts[step].deadline) == ("skipped", None, None)
    assert acts["on_deadline"].reason == "a.deadline + 1 day: skipped: anchor step a was skipped"
    assert (acts["on_waiting"].status, acts["on_waiting"].date) == ("waiting", None)
    assert acts["on_waiting"].reason == "on_event + 3 business days: waiting for step on_event"
    assert acts["both"].status == "skipped"   # skipped wins over waiting
    acts = first(run(body))
    assert acts["on_date"].status == "planned"
    assert acts["both"].status == "waiting"   # waiting wins over planned


def test_a_recurring_step_with_no_occurrence_is_skipped_and_so_are_its_dependents():
    # Regression: a recurring step whose first occurrence is after `until` used to emit no action at all
    # and leave its status None, so a step anchored on it got status null in the JSON.
    body = """\
    steps:
      - id: m
        action: long_term_monitoring
        at: due + 2 years
        repeat: {every: 6 months, until: due + 1 year}
      - id: after
        action: reminder
        at: m + 1 day
    """
    d = run(body).to_dict()
    assert [(a["step"], a["status"], a["date"]) for a in d["actions"]] == [
        ("m", "skipped", None), ("after", "skipped", None)]
    assert "Thu 18 Mar 2027" in d["actions"][0]["reason"]   # the repeat limit it missed


# ===================================================================== worked dates (DOMAIN.md §3)


def test_norway_worked_dates():
    s = evaluate(shipped("no"), case(due="2026-03-18", amount="9500.00"))
    acts = first(s)
    assert acts["invoice"].date == D(2026, 3, 6)
    assert acts["reminder-1"].date == D(2026, 3, 23)
    assert acts["reminder-2"].date == D(2026, 3, 30)
    notice = acts["collection-notice"]
    assert (notice.date, notice.deadline) == (D(2026, 4, 7), D(2026, 4, 21))
    assert notice.deadline.weekday() == notice.date.weekday() == 1   # the same weekday two weeks later
    assert notice.reason.startswith(
        "due + 15 days = Thu 2 Apr 2026, Maundy Thursday; rolled forward to Tue 7 Apr 2026")
    assert notice.reason.endswith("deadline 14 days later = Tue 21 Apr 2026")
    assert acts["eviction-warning"].date == D(2026, 4, 7)
    # the petition once two weeks from the warning have passed: the day after its deadline
    assert acts["eviction-petition"].date == D(2026, 4, 22)
    assert acts["payment-demand"].date == D(2026, 4, 22)
    assert all(a.status == "planned" for a in s.actions)


def test_norway_inkassovarsel_deadline_on_a_holiday_is_not_moved():
    # D+15 = Thu 30 Apr 2026; + 14 days = Thu 14 May 2026, Ascension Day: inkassoloven § 9 keeps it
    acts = first(evaluate(shipped("no"), case(due="2026-04-15", amount="9500.00")))
    notice = acts["collection-notice"]
    assert (notice.date, notice.deadline) == (D(2026, 4, 30), D(2026, 5, 14))
    assert notice.reason.endswith("deadline 14 days later = Thu 14 May 2026, Ascension Day; not moved")
    # the eviction warning's deadline rolls (roll: following), the betalingsoppfordring counts from § 9's day
    assert acts["eviction-warning"].deadline == D(2026, 5, 15)
    assert acts["payment-demand"].date == D(2026, 5, 15)


def test_norway_closing_days_24_and_31_december():
    acts = first(evaluate(shipped("no"), case(due="2026-12-09", amount="9500.00")))
    assert acts["collection-notice"].date == D(2026, 12, 28)
    assert "Thu 24 Dec 2026, Christmas Eve (closing day 12-24); rolled forward to Mon 28 Dec 2026" in acts["collection-notice"].reason
    acts = first(evaluate(shipped("no"), case(due="2026-12-16", amount="9500.00")))
    assert acts["collection-notice"].date == D(2027, 1, 4)


def test_sweden_worked_dates():
    acts = first(evaluate(shipped("se"), case(due="2026-06-05", amount="8200.00", currency="SEK")))
    demand = acts["collection-demand"]
    assert (demand.date, demand.deadline) == (D(2026, 6, 8), D(2026, 6, 16))   # Sat 6 Jun National Day
    term = acts["lease-termination"]
    assert (term.status, term.date) == ("planned", D(2026, 6, 22))
    assert term.reason.endswith("= Fri 19 Jun 2026, Midsummer Eve; rolled forward to Mon 22 Jun 2026")
    for step in ("payment-order-application", "eviction-application", "social-services-notice"):
        assert acts[step].date == D(2026, 6, 22)
    assert acts["debtor-information"].date == D(2026, 6, 23)
    assert acts["ruling"].status == "waiting"


def test_sweden_midsommarafton_is_closed_only_with_the_de_facto_category():
    body = """\
    steps:
      - id: term
        action: lease_termination
        at: due + 14 days
    """
    with_eves = one(body, "term", due="2026-06-05", country="SE", categories="public, de_facto")
    public_only = one(body, "term", due="2026-06-05", country="SE", categories="public")
    assert with_eves.date == D(2026, 6, 22)
    assert public_only.date == D(2026, 6, 19)


# ===================================================================== case errors


def test_currency_mismatch_is_a_case_error():
    with pytest.raises(CaseError) as info:
        evaluate(shipped("no"), case(currency="SEK"))
    (finding,) = info.value.findings
    assert finding.code == "case-currency-mismatch"
    assert finding.pointer == ("currency",)
    assert "SEK" in finding.message and "NOK" in finding.message


@pytest.mark.parametrize("due", ["1969-12-31", "2101-01-01", "1900-06-01"])
def test_due_date_outside_the_calendar_range_is_a_case_error(due):
    with pytest.raises(CaseError) as info:
        evaluate(shipped("no"), case(due=due))
    assert [f.code for f in info.value.findings] == ["calendar-range"]
    assert info.value.findings[0].pointer == ("due_date",)


def test_a_step_beyond_the_calendar_range_is_a_case_error():
    with pytest.raises(CaseError) as info:
        evaluate(shipped("no"), case(due="2100-12-28"))
    assert [f.code for f in info.value.findings] == ["calendar-range"]


def test_case_errors_are_collected_together():
    with pytest.raises(CaseError) as info:
        evaluate(shipped("no"), case(due="1969-12-31", currency="EUR"))
    assert sorted(f.code for f in info.value.findings) == ["calendar-range", "case-currency-mismatch"]
    assert isinstance(info.value, InvalidInputError) and isinstance(info.value, DunningRulesError)


@pytest.mark.parametrize(("data", "code"), [
    ({"id": "x", "due_date": "2026-03-18", "currency": "NOK"}, "case-missing-field"),
    ({"id": "x", "due_date": "2026-02-30", "amount": "1", "currency": "NOK"}, "case-invalid-date"),
    ({"id": "x", "due_date": "2026-03-18", "amount": "-5", "currency": "NOK"}, "case-negative-amount"),
    ({"id": "x", "due_date": "2026-03-18", "amount": "1", "currency": "NOK", "colour": "red"}, "case-unknown-field"),
])
def test_malformed_cases(data, code):
    with pytest.raises(CaseError) as info:
        case_from_data(data)
    assert code in [f.code for f in info.value.findings]
    with pytest.raises(CaseError):
        evaluate(shipped("no"), data)


@pytest.mark.parametrize(("events", "code"), [
    ([ev("dispute_resolved", "2026-03-20")], "case-event-order"),
    ([ev("dispute_resolved", "2026-03-20"), ev("dispute_opened", "2026-03-25")], "case-event-order"),
    ([{"type": "payment", "date": "2026-03-20"}], "case-invalid"),
    ([{"type": "dispute_opened", "date": "2026-03-20", "amount": "5.00"}], "case-invalid"),
])
def test_inconsistent_events(events, code):
    with pytest.raises(CaseError) as info:
        evaluate(shipped("no"), case(events=events))
    assert [f.code for f in info.value.findings] == [code]


# ===================================================================== API and JSON form


def test_evaluate_accepts_a_case_model_or_a_mapping():
    data = case(events=[pay("2026-03-25", "400.00")], debtor={"name": "Kari"})
    from_model = evaluate(shipped("no"), case_from_data(data))
    from_mapping = evaluate(shipped("no"), data)
    assert isinstance(case_from_data(data), Case)
    assert from_model.to_dict() == from_mapping.to_dict()


def test_a_plan_keeps_no_state_between_cases():
    p = shipped("no")
    fresh = evaluate(p, case(id="B")).to_dict()
    evaluate(p, case(id="A", events=[pay("2026-03-01", "1000.00")]))
    evaluate(p, case(id="C", events=[ev("dispute_opened", "2026-03-20")]))
    assert evaluate(p, case(id="B")).to_dict() == fresh


def test_schedule_json_follows_the_contract():
    s = evaluate(shipped("no"), case(id="L-1", due="2026-03-18"))
    d = s.to_dict()
    assert list(d) == ["case", "ruleset", "as_of", "actions"]
    assert d["case"] == "L-1"
    assert d["ruleset"]["id"] == "no-standard" and len(d["ruleset"]["sha256"]) == 64
    first_reminder = next(a for a in d["actions"] if a["step"] == "reminder-1")
    assert first_reminder == {
        "step": "reminder-1", "action": "reminder", "date": "2026-03-23", "status": "planned",
        "channels": ["sms", "email"], "recipient": "debtor", "deadline": None,
        "legal_basis": "inkassoforskriften § 1-2: no reminder fee earlier than 14 days after the due date",
        "reason": "due + 5 days = Mon 23 Mar 2026", "title": "Payment reminder (betalingspåminnelse)",
        "occurrence": None, "fee": None,
        # 1 000 NOK at 12.00 % (H1 2026) for the 5 days 19-23 March: 1000 * 0.12 * 5 / 365 = 1.6438...
        "claim": {"principal": "1000.00", "fees": "0.00", "interest": "1.64", "total": "1001.64"},
        "claim_error": None,
    }
    assert [a.step for a in s.planned()] == [a["step"] for a in d["actions"] if a["status"] == "planned"]
    dates = [a["date"] for a in d["actions"] if a["date"] is not None]
    assert dates == sorted(dates)


def test_paid_in_full_during_an_open_dispute_skips_the_paused_steps():
    """A step parked by a dispute that is still open is skipped, not left waiting, once the
    claim is paid in full: nothing can be sent to a tenant who has paid."""
    plan = compile(parse_ruleset(OPEN_DISPUTE_RULESET))
    case = {"id": "D-1", "due_date": "2026-03-18", "amount": "100.00", "currency": "NOK",
            "events": [{"type": "dispute_opened", "date": "2026-03-20"},
                       {"type": "payment", "date": "2026-04-10", "amount": "100.00"}]}
    (action,) = evaluate(plan, case).actions
    assert action.status == "skipped"
    assert action.reason == ("due + 5 days = Mon 23 Mar 2026; inside dispute pause from Fri 20 Mar 2026 "
                             "(not resolved); skipped: the amount was paid in full on Fri 10 Apr 2026")
    unpaid = {**case, "events": case["events"][:1]}
    (action,) = evaluate(plan, unpaid).actions
    assert action.status == "waiting" and action.date is None


OPEN_DISPUTE_RULESET = """
dunningrules: 1
id: open-dispute
version: "1"
title: One reminder
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO"}
steps:
  - id: reminder
    action: reminder
    at: due + 5 days
"""


WAITING_READER_RULESET = """
dunningrules: 1
id: waiting-reader
version: "1"
title: A condition on a step that waits
jurisdiction: "SE"
currency: SEK
language: sv
calendar: {country: "SE", categories: [public, de_facto]}
steps:
  - id: ruling
    action: ruling
    at: event.service_completed + 21 days
  - id: follow-up
    action: x-follow-up
    at: due + 30 days
    when: ruling.planned
"""


def test_a_condition_on_a_waiting_step_waits_too():
    plan = compile(parse_ruleset(WAITING_READER_RULESET))
    case = {"id": "W-1", "due_date": "2026-06-05", "amount": "100.00", "currency": "SEK"}
    follow = next(a for a in evaluate(plan, case).actions if a.step == "follow-up")
    assert follow.status == "waiting" and follow.date is None
    assert "waiting for step ruling" in follow.reason
    served = {**case, "events": [{"type": "service_completed", "date": "2026-06-10"}]}
    follow = next(a for a in evaluate(plan, served).actions if a.step == "follow-up")
    assert follow.status == "planned" and follow.date == dt.date(2026, 7, 6)  # 5 Jul is a Sunday


def test_paid_in_full_ends_waiting_for_an_event():
    plan = compile(parse_ruleset(WAITING_READER_RULESET))
    case = {"id": "W-2", "due_date": "2026-06-05", "amount": "100.00", "currency": "SEK",
            "events": [{"type": "payment", "date": "2026-06-20", "amount": "100.00"}]}
    ruling = next(a for a in evaluate(plan, case).actions if a.step == "ruling")
    assert ruling.status == "skipped" and ruling.date is None
    assert ruling.reason == ("event.service_completed + 21 days: skipped: the amount was paid in full on Sat 20 Jun 2026 "
                             "(it was waiting for event service_completed)")


@pytest.mark.parametrize("step_id", ["due-5", "max-2", "facts", "debtor", "outstanding", "event-x"])
def test_step_ids_that_expressions_would_misread_are_refused(step_id):
    text = WAITING_READER_RULESET.replace("id: follow-up", f"id: {step_id}")
    with pytest.raises(RulesetError) as e:
        parse_ruleset(text)
    assert [f.code for f in e.value.findings] == ["reserved-id"]


def test_repeat_every_must_move_forward_in_every_part():
    text = WAITING_READER_RULESET.replace(
        "    when: ruling.planned\n",
        "    repeat: {every: 1 month - 1 month, until: due + 1 year}\n")
    with pytest.raises(RulesetError) as e:
        parse_ruleset(text)
    assert [f.code for f in e.value.findings] == ["invalid-value"]
