"""Properties of evaluation over both shipped rulesets and generated cases.

Business days are checked against an oracle built here directly from the ``holidays`` package (plus the
NO closing days and Saturday/Sunday), not against the engine's own Calendar.
"""

from __future__ import annotations

import calendar as stdcal
import datetime as dt
import io
import json
import tempfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dunningrules import CaseError, Plan, case_from_data, compile, evaluate, load_ruleset, parse_ruleset
from dunningrules._cli import run

ROOT = Path(__file__).resolve().parent.parent
NO_RULESET = ROOT / "rulesets" / "no" / "standard.yaml"
D = dt.date
CURRENCY = {"no": "NOK", "se": "SEK"}
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=None)
def shipped(country: str) -> Plan:
    return compile(load_ruleset(ROOT / "rulesets" / country / "standard.yaml"))


@lru_cache(maxsize=None)
def closed_days(country: str) -> frozenset[D]:
    """Oracle: public holidays (+ SE de_facto eves, + NO 24/31 Dec) in 2024..2045; weekends not included."""
    years = range(2024, 2046)
    if country == "no":
        found = holidays.country_holidays("NO", years=years, categories=("public",), include_sundays=False)
        extra = {D(y, 12, d) for y in years for d in (24, 31)}
    else:
        found = holidays.country_holidays("SE", years=years, categories=("public", "de_facto"), include_sundays=False)
        extra = set()
    return frozenset(set(found) | extra)


def is_business_day(country: str, d: D) -> bool:
    return d.weekday() < 5 and d not in closed_days(country)


def test_oracle_knows_the_domain_dates():
    assert not is_business_day("no", D(2026, 4, 2))    # Maundy Thursday
    assert not is_business_day("no", D(2026, 12, 24))  # closing day
    assert not is_business_day("se", D(2026, 6, 19))   # midsommarafton
    assert is_business_day("se", D(2026, 4, 2))        # no Maundy Thursday in Sweden
    assert is_business_day("no", D(2026, 4, 7))


def test_shipped_steps_all_roll():
    # Property 1 checks every planned date; it relies on no shipped step keeping a closed day.
    for country in ("no", "se"):
        assert all(sp.roll != "none" for sp in shipped(country).steps)


# --------------------------------------------------------------------- generated cases


def _month_end(year: int, month: int, back: int) -> D:
    return D(year, month, stdcal.monthrange(year, month)[1] - back)


# Due dates 2026-01-01..2027-12-31, with month ends (where month arithmetic clamps) drawn often.
due_dates = st.one_of(
    st.dates(D(2026, 1, 1), D(2027, 12, 31)),
    st.builds(_month_end, st.sampled_from([2026, 2027]), st.integers(1, 12), st.integers(0, 3)),
)


def money(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


@st.composite
def cases(draw: Any, country: str | None = None) -> tuple[str, dict[str, Any]]:
    country = country or draw(st.sampled_from(["no", "se"]))
    due = draw(due_dates)
    cents = draw(st.integers(100_00, 20_000_00))
    day = lambda lo, hi: due + dt.timedelta(days=draw(st.integers(lo, hi)))  # noqa: E731
    events: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["partial", "partial", "full"]))
        amount = cents if kind == "full" else draw(st.integers(1, cents - 1))
        events.append({"type": "payment", "date": day(-20, 150).isoformat(), "amount": money(amount)})
    n_disputes = draw(st.integers(0, 2))
    start = day(-5, 60)
    for _ in range(n_disputes):
        events.append({"type": "dispute_opened", "date": start.isoformat()})
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter of disputes stay open
            break
        end = start + dt.timedelta(days=draw(st.integers(0, 40)))
        events.append({"type": "dispute_resolved", "date": end.isoformat()})
        start = end + dt.timedelta(days=draw(st.integers(1, 30)))
    if draw(st.booleans()):
        events.append({"type": "service_completed", "date": day(0, 120).isoformat()})
    data: dict[str, Any] = {"id": f"P-{country}", "due_date": due.isoformat(), "amount": money(cents),
                            "currency": CURRENCY[country]}
    if draw(st.booleans()):
        data["debtor"] = {"name": "Test Tenant", "language": draw(st.sampled_from(["nb", "sv", "en"]))}
    if draw(st.booleans()):
        data["facts"] = {"eviction_warning_opt_out": draw(st.booleans())}
    if events:
        data["events"] = events
    return country, data


def paid_in_full_on(data: dict[str, Any]) -> D | None:
    total = Decimal(0)
    payments = sorted((D.fromisoformat(e["date"]), Decimal(e["amount"]))
                      for e in data.get("events", ()) if e["type"] == "payment")
    for when, amount in payments:
        total += amount
        if total >= Decimal(data["amount"]):
            return when
    return None


def pauses(data: dict[str, Any]) -> list[tuple[D, D]]:
    out, opened = [], None
    for e in sorted(data.get("events", ()), key=lambda e: e["date"]):
        if e["type"] == "dispute_opened" and opened is None:
            opened = D.fromisoformat(e["date"])
        elif e["type"] == "dispute_resolved" and opened is not None:
            out.append((opened, D.fromisoformat(e["date"])))
            opened = None
    if opened is not None:
        out.append((opened, D.max))
    return out


def actions(schedule: Any) -> list[dict[str, Any]]:
    return schedule.to_dict()["actions"]


# --------------------------------------------------------------------- (1) business days


@SETTINGS
@given(cases())
def test_every_dated_action_is_on_a_business_day(generated):
    country, data = generated
    plan = shipped(country)
    rolls = {sp.id: (sp.roll, sp.deadline_roll) for sp in plan.steps}
    for a in evaluate(plan, data).actions:
        roll, deadline_roll = rolls[a.step]
        if a.date is not None and roll != "none":
            assert is_business_day(country, a.date), (a.step, a.status, a.date, a.reason)
            assert plan.calendar.is_business_day(a.date)
            assert plan.calendar.closure_name(a.date) is None
        if a.deadline is not None and deadline_roll != "none":
            assert is_business_day(country, a.deadline), (a.step, a.deadline, a.reason)


@SETTINGS
@given(cases(country="no"))
def test_norway_inkassovarsel_deadline_is_the_same_weekday_two_weeks_later(generated):
    _, data = generated
    acts = evaluate(shipped("no"), data).actions
    for a in acts:
        if a.step == "collection-notice" and a.status == "planned":
            assert a.deadline == a.date + dt.timedelta(days=14)  # never moved (inkassoloven § 9)
        if a.step == "payment-demand" and a.status == "planned":
            notice = next(x for x in acts if x.step == "collection-notice")
            assert a.date > notice.deadline  # § 10: only after the inkassovarsel deadline


# --------------------------------------------------------------------- (2) monotone offsets

ROLLS = ("following", "preceding", "modified_following", "none")
FAMILIES = {  # unit -> offsets, in increasing order
    "days": range(-20, 46),
    "business days": range(-10, 31),
    "weeks": range(-3, 8),
    "months": range(-3, 15),
}


def _sid(unit: str, n: int) -> str:
    return f"{unit.split()[0][:1]}{'b' if unit == 'business days' else ''}-{'m' if n < 0 else 'p'}{abs(n)}"


@lru_cache(maxsize=None)
def offsets_plan(country: str, roll: str) -> Plan:
    cal = "calendar: {country: \"NO\", closed: [\"12-24\", \"12-31\"]}" if country == "no" else \
        "calendar: {country: \"SE\", categories: [public, de_facto]}"
    lines = [
        "dunningrules: 1", "id: offsets", 'version: "1"', "title: Offsets", f'jurisdiction: "{country.upper()}"',
        f"currency: {CURRENCY[country]}", "language: nb", cal, f"defaults: {{roll: {roll}}}", "steps:",
    ]
    for unit, ns in FAMILIES.items():
        for n in ns:
            lines += [f"  - id: {_sid(unit, n)}", "    action: reminder",
                      f"    at: due {'-' if n < 0 else '+'} {abs(n)} {unit}"]
    return compile(parse_ruleset("\n".join(lines) + "\n", "<offsets>"))


def add_months(d: D, n: int) -> D:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return D(year, month, min(d.day, stdcal.monthrange(year, month)[1]))


def business_days_between(country: str, a: D, b: D) -> int:
    """Business days in (a, b]."""
    return sum(is_business_day(country, a + dt.timedelta(days=i)) for i in range(1, (b - a).days + 1))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["no", "se"]), st.sampled_from(ROLLS), due_dates)
def test_a_later_offset_never_gives_an_earlier_date(country, roll, due):
    s = evaluate(offsets_plan(country, roll), {"id": "m", "due_date": due.isoformat(), "amount": "1.00",
                                               "currency": CURRENCY[country]})
    dates = {a.step: a.date for a in s.actions}
    assert all(a.status == "planned" for a in s.actions)
    for unit, ns in FAMILIES.items():
        seq = [dates[_sid(unit, n)] for n in ns]
        assert seq == sorted(seq), (unit, roll, due)
        if roll != "none":
            assert all(is_business_day(country, d) for d in seq)
    if roll == "none":  # exact arithmetic, against independent oracles
        for n in FAMILIES["days"]:
            assert dates[_sid("days", n)] == due + dt.timedelta(days=n)
        for n in FAMILIES["weeks"]:
            assert dates[_sid("weeks", n)] == due + dt.timedelta(weeks=n)
        for n in FAMILIES["months"]:
            assert dates[_sid("months", n)] == add_months(due, n)
        for n in FAMILIES["business days"]:
            got = dates[_sid("business days", n)]
            if n == 0:
                assert got == due
                continue
            assert is_business_day(country, got)
            if n > 0:  # the n-th business day strictly after the due date
                assert business_days_between(country, due, got) == n
            else:  # the |n|-th business day strictly before it
                days = range((due - got).days)
                assert sum(is_business_day(country, got + dt.timedelta(days=i)) for i in days) == -n


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["no", "se"]), due_dates, st.integers(1, 60))
def test_a_later_due_date_never_gives_an_earlier_step(country, due, later_by):
    plan = shipped(country)

    def firsts(d: D) -> dict[str, D]:
        s = evaluate(plan, {"id": "m", "due_date": d.isoformat(), "amount": "100.00", "currency": CURRENCY[country]})
        out: dict[str, D] = {}
        for a in s.actions:
            if a.date is not None and a.occurrence in (None, 1):
                out.setdefault(a.step, a.date)
        return out

    early, late = firsts(due), firsts(due + dt.timedelta(days=later_by))
    assert early.keys() == late.keys()
    for step in early:
        assert early[step] <= late[step], (step, due, later_by)


# --------------------------------------------------------------------- (3) stop when paid


@SETTINGS
@given(cases())
def test_a_full_payment_leaves_nothing_planned_on_or_after_its_date(generated):
    country, data = generated
    paid_on = paid_in_full_on(data)
    s = evaluate(shipped(country), data)
    for a in s.actions:
        if a.status == "planned" and paid_on is not None:
            assert a.date < paid_on, (a.step, a.date, paid_on, a.reason)
        if "skipped: the amount was paid in full on" in a.reason:
            assert paid_on is not None
            # Dated on or after the payment; undated only when an open dispute parked it or it
            # was still waiting for an event or a step.
            if a.date is not None:
                assert a.date >= paid_on
            else:
                assert "(not resolved)" in a.reason or "waiting for" in a.reason


# --------------------------------------------------------------------- (4) disputes


@SETTINGS
@given(cases())
def test_no_planned_action_lands_inside_a_dispute(generated):
    country, data = generated
    spans = pauses(data)
    s = evaluate(shipped(country), data)
    for a in s.actions:
        if a.status == "planned":
            for start, end in spans:
                assert not start <= a.date <= end, (a.step, a.date, start, end, a.reason)


@SETTINGS
@given(cases())
def test_statuses_dates_and_order_are_consistent(generated):
    country, data = generated
    plan = shipped(country)
    s = evaluate(plan, data)
    assert {a.step for a in s.actions} == {step.id for step in plan.source.steps}
    open_dispute = any(end == D.max for _, end in pauses(data))
    for a in s.actions:
        assert a.status in ("planned", "skipped", "waiting")
        if a.status == "planned":
            assert a.date is not None
        if a.status == "waiting":
            assert a.date is None and a.deadline is None
            if "paused: dispute opened" in a.reason:
                assert open_dispute
            elif "waiting for event service_completed" in a.reason:
                assert "service_completed" not in {e["type"] for e in data.get("events", ())}
            else:
                assert "waiting for step" in a.reason, a.reason
        if a.deadline is not None:
            assert a.status == "planned" and a.deadline >= a.date
    dated = [a.date for a in s.actions if a.date is not None]
    assert dated == sorted(dated)
    n_dated = len(dated)
    assert all(a.date is None for a in s.actions[n_dated:])


# --------------------------------------------------------------------- (5) determinism


@SETTINGS
@given(cases())
def test_evaluation_is_deterministic_and_survives_a_json_round_trip(generated):
    country, data = generated
    plan = shipped(country)
    once = evaluate(plan, data).to_dict()
    assert evaluate(plan, data).to_dict() == once
    text = json.dumps(data)
    assert evaluate(plan, json.loads(text, parse_float=Decimal)).to_dict() == once
    assert evaluate(plan, case_from_data(json.loads(text))).to_dict() == once
    # the Case model's own JSON form
    model = case_from_data(data)
    assert evaluate(plan, json.loads(model.model_dump_json())).to_dict() == once
    # a freshly compiled Plan of the same file
    assert evaluate(compile(load_ruleset(ROOT / "rulesets" / country / "standard.yaml")), data).to_dict() == once
    # the order events are listed in does not matter (unless a dispute opens and closes on one day)
    events = data.get("events", [])
    dispute_days = [e["date"] for e in events if e["type"].startswith("dispute")]
    if len(dispute_days) == len(set(dispute_days)):
        reordered = dict(data, events=list(reversed(events)))
        assert evaluate(plan, reordered).to_dict() == once


def test_a_case_with_a_number_fact_survives_its_own_json_form():
    plan = compile(parse_ruleset(
        'dunningrules: 1\nid: t\nversion: "1"\ntitle: T\njurisdiction: "NO"\ncurrency: NOK\nlanguage: nb\n'
        'calendar: {country: "NO"}\nfacts: {months_late: {type: number}}\n'
        "steps:\n  - id: a\n    action: reminder\n    at: due + 5 days\n    when: facts.months_late >= 2\n"))
    model = case_from_data({"id": "x", "due_date": "2026-03-18", "amount": "100.00", "currency": "NOK",
                            "facts": {"months_late": 3}})
    assert evaluate(plan, model).actions[0].status == "planned"
    try:
        again = evaluate(plan, json.loads(model.model_dump_json()))
    except CaseError as e:
        pytest.fail(str(e))
    assert again.actions[0].status == "planned"


# A ruleset that reads everything a condition or anchor can read: money, facts, debtor, events
# (in anchors, in conditions, in max/min and in a repeat limit), another step's status and deadline.
RICH = """\
dunningrules: 1
id: rich
version: "1"
title: Reads everything
jurisdiction: "NO"
currency: NOK
language: nb
calendar: {country: "NO", closed: ["12-24", "12-31"]}
parameters: {threshold: 500}
facts:
  vip: {type: boolean, default: false}
  months: {type: number, default: 0}
  segment: {type: string, default: std}
steps:
  - id: r1
    action: reminder
    at: due + 5 days
    when: outstanding > params.threshold and not facts.vip
    deadline: {after: 10 business days, roll: preceding}
  - id: r2
    action: reminder
    at: r1.deadline + 1 day
    when: debtor.language == 'en' or facts.months >= 2 or r1.skipped
    on_pause: skip
  - id: ruling
    action: ruling
    at: max(event.service_completed, r1) + 21 days
    roll: modified_following
  - id: mon
    action: long_term_monitoring
    at: due + 1 month
    repeat:
      every: 1 month
      until: min(due + 8 months, event.moved_out + 1 day)
      max: 6
    when: paid < amount and days_overdue > 20 and not event.settled
  - id: soc
    action: social_services_notice
    at: due + 3 weeks
    roll: preceding
    when: facts.segment == 'social' or debtor.kind == 'organisation'
"""


@st.composite
def rich_cases(draw: Any) -> dict[str, Any]:
    _, data = draw(cases(country="no"))
    due = D.fromisoformat(data["due_date"])
    events = list(data.get("events", []))
    for kind in ("moved_out", "settled"):
        if draw(st.booleans()):
            events.append({"type": kind, "date": (due + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat()})
    data = dict(data, events=events)
    data["facts"] = draw(st.fixed_dictionaries({}, optional={
        "vip": st.booleans(), "months": st.integers(0, 4), "segment": st.sampled_from(["std", "social"])}))
    data["debtor"] = draw(st.one_of(st.none(), st.fixed_dictionaries(
        {"name": st.just("T")}, optional={"language": st.sampled_from(["nb", "en"]),
                                          "kind": st.sampled_from(["person", "organisation"])})))
    data["amount"] = draw(st.sampled_from([data["amount"], "400.00", "600.00"]))
    return data


@lru_cache(maxsize=None)
def rich_plan() -> Plan:
    return compile(parse_ruleset(RICH, "<rich>"))


@settings(max_examples=120, deadline=None)
@given(st.lists(rich_cases(), min_size=2, max_size=4))
def test_a_plan_that_has_seen_other_cases_gives_the_same_schedule_as_a_fresh_plan(datas):
    shared = rich_plan()
    for data in datas:
        expected = evaluate(compile(parse_ruleset(RICH, "<rich>")), data).to_dict()
        assert evaluate(shared, data).to_dict() == expected
        paid_on, spans = paid_in_full_on(data), pauses(data)
        for a in expected["actions"]:
            if a["status"] == "planned":
                d = D.fromisoformat(a["date"])
                assert paid_on is None or d < paid_on
                assert not any(start <= d <= end for start, end in spans)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["no", "se"]).flatmap(lambda c: st.lists(cases(country=c), min_size=1, max_size=6)))
def test_cli_batch_output_is_the_api_schedule(generated):
    import io
    import tempfile

    from dunningrules._cli import run

    country = generated[0][0]
    datas = [data for _, data in generated]
    out, err = io.StringIO(), io.StringIO()
    ruleset = str(ROOT / "rulesets" / country / "standard.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in datas), encoding="utf-8")
        assert run(["schedule", ruleset, str(path)], stdout=out, stderr=err) == 0, err.getvalue()
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == [evaluate(shipped(country), d).to_dict() for d in datas]


# --------------------------------------------------------------------- (6) as_of


@SETTINGS
@given(cases(), st.integers(0, 400))
def test_as_of_after_every_event_changes_nothing(generated, later):
    country, data = generated
    plan = shipped(country)
    last = max([D.fromisoformat(data["due_date"])] + [D.fromisoformat(e["date"]) for e in data.get("events", ())])
    as_of = last + dt.timedelta(days=later)
    with_as_of = evaluate(plan, data, as_of=as_of)
    assert with_as_of.as_of == as_of
    assert actions(with_as_of) == actions(evaluate(plan, data))


@SETTINGS
@given(cases(), st.integers(-30, 200))
def test_as_of_is_the_same_as_leaving_out_later_events(generated, offset):
    country, data = generated
    assume(data.get("events"))
    plan = shipped(country)
    as_of = D.fromisoformat(data["due_date"]) + dt.timedelta(days=offset)
    known = dict(data, events=[e for e in data["events"] if D.fromisoformat(e["date"]) <= as_of])
    assert actions(evaluate(plan, data, as_of=as_of)) == actions(evaluate(plan, known))


# --- a key given twice in a case ------------------------------------------------------------------

_OPTIONAL_TOP = {"debtor": {"name": "Kari Nordmann"}, "payment_reference": "12345", "facts": {},
                 "events": []}
_DEBTOR_OPTIONAL = {"language": "nb", "kind": "person", "address": "Storgata 1: 0155 Oslo"}


@st.composite
def case_objects(draw: Any) -> list[tuple[str, Any]]:
    """A valid case as (key, value) pairs in a drawn order: optional fields given or not, as
    their default, as null, with a colon inside a string now and then."""
    pairs: list[tuple[str, Any]] = [("id", draw(st.sampled_from(["C-1", "C:1", "tenancy 7"]))),
                                    ("due_date", "2026-04-01"), ("amount", "9500.00"), ("currency", "NOK")]
    for key, value in _OPTIONAL_TOP.items():
        choice = draw(st.sampled_from(["absent", "given", "null"] if key in ("debtor", "payment_reference")
                                      else ["absent", "given"]))
        if choice == "null":
            pairs.append((key, None))
        elif choice == "given":
            if key == "debtor":
                value = dict(value, **{k: v for k, v in _DEBTOR_OPTIONAL.items() if draw(st.booleans())})
            elif key == "facts" and draw(st.booleans()):
                value = {"eviction_warning_opt_out": draw(st.booleans())}
            elif key == "events" and draw(st.booleans()):
                value = [{"type": "payment", "date": "2026-04-03", "amount": "100.00"},
                         {"type": "dispute_opened", "date": "2026-04-05", "note": "tenant: \"not owed\""}]
            pairs.append((key, value))
    return draw(st.permutations(pairs))


def _line(pairs: list[tuple[str, Any]], twice: str | None = None) -> str:
    body = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs]
    if twice is not None:
        body.append(f"{json.dumps(twice)}: {json.dumps(dict(pairs)[twice])}")
    return "{" + ", ".join(body) + "}"


@SETTINGS
@given(case_objects(), st.data())
def test_a_case_line_is_refused_exactly_when_it_gives_a_key_twice(pairs, data):
    twice = data.draw(st.sampled_from([None, *[k for k, _ in pairs]]))
    line = _line(pairs, twice)
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text(line + "\n", encoding="utf-8")
        code = run(["schedule", str(NO_RULESET), str(path)], out, err)
    if twice is None:
        assert code == 0, (line, err.getvalue())
    else:
        assert code == 1 and f"case-key-twice: key '{twice}' is given twice" in err.getvalue(), (line, err.getvalue())
