"""The semantic diff: `diff_rulesets` (the text, in words), `diff_outcomes` over a case set
(the synthetic grid by default), `render_text`/`to_json`, `load_cases` and the `diff` command."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from dunningrules import compile, evaluate, load_ruleset
from dunningrules._diff import (
    diff_outcomes,
    diff_rulesets,
    load_cases,
    main,
    render_text,
    synthetic_cases,
    to_json,
)
from dunningrules._errors import CaseError

ROOT = Path(__file__).resolve().parents[1]
NO_DIR = ROOT / "rulesets" / "no"
SE_DIR = ROOT / "rulesets" / "se"
NO_TEXT = (NO_DIR / "standard.yaml").read_text(encoding="utf-8")
SE_TEXT = (SE_DIR / "standard.yaml").read_text(encoding="utf-8")
FINDING = re.compile(r"^[^:]+:(\d+):(\d+): ([a-z0-9-]+): .+$")


@pytest.fixture(scope="module")
def no_old():
    return load_ruleset(NO_DIR / "standard.yaml")


@pytest.fixture(scope="module")
def no_plan(no_old):
    return compile(no_old)


@pytest.fixture(scope="module")
def grid(no_plan):
    return [c for c in synthetic_cases(no_plan) if c["id"].startswith("grid-")]


def variant(tmp_path: Path, text: str, *replacements: tuple[str, str], country: str = "no",
            name: str = "new.yaml", rates: str | None = None) -> Path:
    """The shipped ruleset of `country` with each (old, new) replaced once, written next to a copy
    of its rate file (or `rates`), so that it loads like the original."""
    folder = tmp_path / country
    folder.mkdir(exist_ok=True)
    rates_file = folder / "rates.yaml"
    if rates is not None:
        rates_file.write_text(rates, encoding="utf-8")
    elif not rates_file.exists():
        shutil.copy((NO_DIR if country == "no" else SE_DIR) / "rates.yaml", rates_file)
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def without_step(text: str, step: str) -> str:
    """The ruleset text without the step `step` (up to the next step or the end)."""
    start = text.index(f"  - id: {step}\n")
    nxt = text.find("\n  - id: ", start + 1)
    return text[:start] + (text[nxt + 1:] if nxt >= 0 else "")


def diff(old, new, cases=None):
    old_plan, new_plan = compile(old), compile(new)
    if cases is None:
        cases = synthetic_cases(old_plan, others=(new_plan,))
    return diff_rulesets(old, new), diff_outcomes(old_plan, new_plan, cases)


def run(*args: Any, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ the synthetic grid

def test_the_grid_has_every_weekday_and_a_few_cases_with_events(no_plan) -> None:
    cases = synthetic_cases(no_plan)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    grid = [c for c in cases if c["id"].startswith("grid-")]
    weekdays = [d for y in (2026, 2027) for d in (dt.date(y, 1, 1) + dt.timedelta(n) for n in range(366))
                if d.year == y and d.weekday() < 5]
    assert [c["due_date"] for c in grid] == [d.isoformat() for d in weekdays]
    assert all("events" not in c and c["amount"] == "10000.00" and c["currency"] == "NOK" for c in grid)
    kinds = {c["id"].rsplit("-", 3)[0] for c in cases if not c["id"].startswith("grid-")}
    assert kinds == {"partial", "paid", "dispute", "fact-eviction_warning_opt_out"}
    partial = next(c for c in cases if c["id"].startswith("partial-"))
    assert partial["events"] == [{"type": "payment", "date": "2026-01-22", "amount": "4000.00"}]
    dispute = next(c for c in cases if c["id"].startswith("dispute-"))
    assert [e["type"] for e in dispute["events"]] == ["dispute_opened", "dispute_resolved"]
    assert next(c for c in cases if c["id"].startswith("fact-"))["facts"] == {"eviction_warning_opt_out": True}
    assert len(synthetic_cases(no_plan, years=(2026,))) < len(cases)


def test_the_grid_covers_the_events_a_ruleset_reads() -> None:
    plan = compile(load_ruleset(SE_DIR / "standard.yaml"))
    cases = synthetic_cases(plan)
    served = [c for c in cases if c["id"].startswith("event-service_completed-")]
    assert len(served) == 24 and served[0]["events"][0]["type"] == "service_completed"
    assert all(c["currency"] == "SEK" for c in cases)


def test_a_required_fact_gets_a_placeholder(tmp_path, no_plan) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, (
        "facts:\n", "facts:\n  arrears_months:\n    type: number\n")))
    cases = synthetic_cases(no_plan, others=(compile(new),))
    assert all(c["facts"]["arrears_months"] == 0 for c in cases)


# ------------------------------------------------------------------ a ruleset and itself

@pytest.mark.parametrize("path", [NO_DIR / "standard.yaml", SE_DIR / "standard.yaml"], ids=["no", "se"])
def test_a_ruleset_against_itself_is_empty(path: Path) -> None:
    a, b = load_ruleset(path), load_ruleset(path)
    changes, outcomes = diff(a, b)
    assert changes == []
    assert outcomes.empty() and outcomes.steps == {} and outcomes.changed_cases == 0
    assert outcomes.cases == len(synthetic_cases(compile(a)))
    text = render_text(changes, outcomes)
    assert "Ruleset changes: none." in text and "no differences" in text
    data = to_json(changes, outcomes)
    assert data["changes"] == [] and data["outcomes"]["steps"] == []
    assert data["outcomes"]["invalid"] == {"old": None, "new": None}


def test_layout_spacing_and_spelled_out_defaults_are_no_change(tmp_path, no_old) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT,
                               ("    at: due + 5 days\n", "    at: due+5   days\n    roll: following\n"),
                               ("    when: not facts.eviction_warning_opt_out",
                                "    when: not   facts.eviction_warning_opt_out"),
                               ("    recipient: creditor\n", "    recipient: creditor # the landlord\n")))
    assert diff_rulesets(no_old, new) == []


# ------------------------------------------------------------------ a step moves

def test_collection_notice_later_moves_it_and_what_follows(tmp_path, no_old, no_plan, grid) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, (
        "    action: debt_collection_notice\n    at: due + 15 days",
        "    action: debt_collection_notice\n    at: due + 20 days")))
    changes = diff_rulesets(no_old, new)
    assert [(c.kind, c.step, c.field, c.old, c.new) for c in changes] == [
        ("changed", "collection-notice", "at", "due + 15 days", "due + 20 days")]
    assert changes[0].text == "collection-notice: date changed from due + 15 days to due + 20 days"

    new_plan = compile(new)
    outcomes = diff_outcomes(no_plan, new_plan, grid)
    notice = outcomes.steps[("collection-notice", None)]
    moved = notice.moved
    # Five days later in every case, except where the old date had already been rolled forward
    # past a holiday: Easter 2026 and 2027 (due + 15 = Maundy Thursday, rolled to the Tuesday
    # after Easter Monday = due + 20).  A move is never backwards; rolling can make it longer.
    assert moved.count == len(grid) - 2
    assert moved.typical() == 5 and min(moved.shifts()) >= 1 and max(moved.shifts()) <= 8
    for case in grid:
        one = diff_outcomes(no_plan, new_plan, [case]).steps.get(("collection-notice", None))
        if case["id"] in ("grid-2026-03-18", "grid-2027-03-10"):
            assert one is None or one.moved.count == 0
        else:
            assert one is not None and one.moved.count == 1
    assert notice.appeared.count == notice.disappeared.count == notice.status_changed.count == 0
    # The deadline (14 days, not moved) moves with it; what counts from it follows.
    assert notice.deadline_moved.count == moved.count
    for follower in ("payment-demand", "creditor-status-link"):
        follows = outcomes.steps[(follower, None)].moved
        assert follows.count >= len(grid) - 4 and min(follows.shifts()) >= 1, follower
    # Nothing else moves.
    assert set(outcomes.steps) == {("collection-notice", None), ("payment-demand", None),
                                   ("creditor-status-link", None)}
    first = grid[0]["id"]
    assert moved.examples[0] == (first, dt.date(2026, 1, 16), dt.date(2026, 1, 21))

    text = render_text(changes, outcomes)
    assert "  ~ collection-notice: date changed from due + 15 days to due + 20 days" in text
    assert f"moved in {moved.count} cases: typically +5 days" in text
    assert "grid-2026-01-01 (2026-01-16 → 2026-01-21)" in text


# ------------------------------------------------------------------ steps removed

def test_removing_the_eviction_warning(tmp_path, no_old, no_plan, grid) -> None:
    # The petition counts from the warning, so it goes too.
    text = without_step(without_step(NO_TEXT, "eviction-warning"), "eviction-petition")
    new = load_ruleset(variant(tmp_path, text))
    changes = diff_rulesets(no_old, new)
    assert [(c.kind, c.step) for c in changes] == [("removed", "eviction-warning"),
                                                  ("removed", "eviction-petition")]
    assert changes[0].text.startswith("removed step eviction-warning (was: eviction_warning, at due + 15 days")
    assert changes[0].old["action"] == "eviction_warning" and changes[0].new is None

    outcomes = diff_outcomes(no_plan, compile(new), grid)
    assert set(outcomes.steps) == {("eviction-warning", None), ("eviction-petition", None)}
    for step in ("eviction-warning", "eviction-petition"):
        gone = outcomes.steps[(step, None)].disappeared
        assert gone.count == len(grid)
        assert dict(gone.detail) == {("planned", "absent"): len(grid)}
        assert len(gone.examples) == 3
    assert outcomes.changed_cases == len(grid)
    shown = render_text(changes, outcomes)
    assert "  - removed step eviction-warning" in shown
    assert f"disappears in {len(grid)} cases: planned → absent ({len(grid)})" in shown


def test_a_fact_default_that_skips_the_warning(tmp_path, no_old, no_plan, grid) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, ("    default: false", "    default: true")))
    changes = diff_rulesets(no_old, new)
    assert [c.text for c in changes] == [
        "fact eviction_warning_opt_out changed from boolean, default false to boolean, default true"]
    assert changes[0].field == "facts.eviction_warning_opt_out"
    assert changes[0].paths == ("facts.eviction_warning_opt_out.default",)
    outcomes = diff_outcomes(no_plan, compile(new), grid)
    for step in ("eviction-warning", "eviction-petition"):
        assert dict(outcomes.steps[(step, None)].disappeared.detail) == {("planned", "skipped"): len(grid)}


# ------------------------------------------------------------------ fees and deadlines

def test_a_fee_removed(tmp_path, no_old, no_plan, grid) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, (
        "    fee:\n      kind: collection_notice\n      rate: inkassosats\n", "    x_fee:\n"),
        ("      fraction: 1/20           # only on a notice sent at least 14 days after the due date\n", ""),
        ("    x_fee:\n", "")))
    changes = diff_rulesets(no_old, new)
    fee = next(c for c in changes if c.field == "fee")
    assert fee.text == "collection-notice: fee changed from 1/20 of inkassosats (collection notice fee) to no fee"
    assert fee.old == {"kind": "collection_notice", "amount": None, "rate": "inkassosats",
                       "fraction": "1/20", "legal_basis": None} and fee.new is None
    outcomes = diff_outcomes(no_plan, compile(new), grid)
    assert set(outcomes.steps) == {("collection-notice", None)}
    fees = outcomes.steps[("collection-notice", None)].fee_changed
    # Charged on every 2026 notice (1/20 of 750.00); the 2027 rate is not yet published, so
    # those notices carried no fee before either.
    in_2026 = sum(1 for c in grid for a in evaluate(no_plan, c).actions
                  if a.step == "collection-notice" and a.date.year == 2026)
    assert dict(fees.detail) == {("37.50", None): in_2026}
    assert outcomes.steps[("collection-notice", None)].moved.count == 0
    assert "fee changes in" in render_text(changes, outcomes) and "37.50 → no fee" in render_text(changes, outcomes)


def test_a_fixed_fee_changed_and_a_deadline_in_words(tmp_path, no_old) -> None:
    se_old = load_ruleset(SE_DIR / "standard.yaml")
    se_new = load_ruleset(variant(tmp_path, SE_TEXT, ('amount: "180.00"', 'amount: "160.00"'), country="se"))
    [fee] = diff_rulesets(se_old, se_new)
    assert fee.text == "collection-demand: fee changed from 180.00 SEK (collection fee) to 160.00 SEK (collection fee)"
    assert fee.paths == ("fee.amount",)

    new = load_ruleset(variant(tmp_path, NO_TEXT, (
        "      after: 14 days\n      roll: none ", "      after: 10 days\n      roll: following ")))
    [deadline] = diff_rulesets(no_old, new)
    assert deadline.text == ("collection-notice: deadline changed from 14 days (not moved) "
                             "to 10 days (rolled forward)")
    assert deadline.paths == ("deadline.after", "deadline.roll")
    assert deadline.old == {"after": "14 days", "roll": "none"}


def test_every_step_field_in_words(tmp_path, no_old) -> None:
    new = load_ruleset(variant(
        tmp_path, NO_TEXT,
        ("    when: days_overdue < 15\n    # A first", "    when: outstanding > 100\n    # A first"),
        ("    on_pause: skip\n    channels: [sms, email]\n", "    on_pause: shift\n    channels: [sms]\n    roll: preceding\n"),
        ("    title: Second payment reminder\n", "    title: Second reminder\n"),
        ("    when: not facts.eviction_warning_opt_out\n", ""),
        ("    recipient: creditor\n", "    recipient: guarantor\n    when: outstanding > 100\n"),
        ("    action: creditor_status_link\n", "    action: x-status-link\n"),
    ))
    texts = [c.text for c in diff_rulesets(no_old, new)]
    assert texts == [
        "reminder-1: date roll changed from following (rolled forward) to preceding (rolled back)",
        "reminder-1: condition changed from days_overdue < 15 to outstanding > 100",
        "reminder-1: channels changed from sms, email to sms",
        "reminder-1: during a pause changed from skipped to moved after the pause",
        "reminder-2: title changed from “Second payment reminder” to “Second reminder”",
        "eviction-warning: condition removed (was: not facts.eviction_warning_opt_out); the step always applies",
        "creditor-status-link: action type changed from creditor_status_link to x-status-link",
        "creditor-status-link: condition added: outstanding > 100",
        "creditor-status-link: recipient changed from creditor to guarantor",
    ]


def test_a_step_added_and_a_repeat_changed(tmp_path) -> None:
    se_old = load_ruleset(SE_DIR / "standard.yaml")
    se_new = load_ruleset(variant(tmp_path, SE_TEXT, ("every: 6 months", "every: 4 months"), (
        "  - id: ruling\n",
        "  - id: phone-call\n    action: x-phone-call\n    at: collection-demand + 3 business days\n"
        "    channels: [phone]\n\n  - id: ruling\n"), country="se"))
    changes, outcomes = diff(se_old, se_new)
    assert [(c.kind, c.step, c.field) for c in changes] == [
        ("added", "phone-call", None), ("changed", "long-term-monitoring", "repeat")]
    assert changes[0].text == "added step phone-call: x-phone-call, at collection-demand + 3 business days"
    assert changes[1].text == ("long-term-monitoring: repetition changed from every 6 months until due + 3 years "
                               "to every 4 months until due + 3 years")
    call = outcomes.steps[("phone-call", None)].appeared
    assert call.count == outcomes.cases  # a few days after the inkassokrav: before any payment or dispute
    assert dict(call.detail) == {("absent", "planned"): call.count}
    # Monitoring runs only once the ruling has a date (service completed): those cases.
    second = outcomes.steps[("long-term-monitoring", 2)].moved
    assert second.count == 24 and max(second.shifts()) < 0
    assert outcomes.steps[("long-term-monitoring", 7)].appeared.count == 24
    keys = list(outcomes.steps)
    assert keys.index(("phone-call", None)) < keys.index(("long-term-monitoring", 2)) \
        < keys.index(("long-term-monitoring", 7))


# ------------------------------------------------------------------ settings

def test_settings_outside_the_steps(tmp_path, no_old) -> None:
    rates = (NO_DIR / "rates.yaml").read_text(encoding="utf-8").replace('value: "750.00"', 'value: "800.00"')
    new = load_ruleset(variant(
        tmp_path, NO_TEXT,
        ('  closed: ["12-24", "12-31"]', '  closed: ["12-24"]'),
        ("  policy: shift", "  policy: skip"),
        ("stop_when: [paid]", "stop_when: []"),
        ("  table: late_interest ", "  table: late_interest\n  day_count: 360 "),
        ("facts:\n", "parameters:\n  grace: 3\nfacts:\n  first_time_late: {type: boolean, default: false}\n"),
        ('version: "2026.1"', 'version: "2026.2"'),
        rates=rates))
    changes = diff_rulesets(no_old, new)
    assert all(c.step is None for c in changes)
    by_field = {c.field: c.text for c in changes}
    assert by_field["version"] == "version changed from 2026.1 to 2026.2"
    assert by_field["calendar"] == "calendar: closed days changed from 12-24, 12-31 to 12-24"
    assert by_field["pause.policy"].startswith(
        "pause policy changed from shift (steps in a pause are moved after the pause) to skip "
        "(steps in a pause are skipped); steps that take it: invoice, reminder-2")
    assert by_field["stop_when"] == "stop: changed from when paid in full (later steps are skipped) to never"
    assert by_field["interest"] == ("interest changed from table late_interest, actual/365 to "
                                    "table late_interest, actual/360")
    assert by_field["rates.inkassosats"] == "rates: table inkassosats changed (2026-01-01..2026-12-31: 750.00 → 800.00)"
    assert by_field["facts.first_time_late"] == "fact first_time_late added (boolean, default false)"
    assert by_field["parameters.grace"] == "parameter grace added (3)"
    assert list(by_field) == ["version", "calendar", "pause.policy", "stop_when", "rates.inkassosats",
                              "interest", "facts.first_time_late", "parameters.grace"]


def test_a_default_roll_change_is_reported_once_with_the_steps_it_affects(tmp_path, no_old) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, ("pause:\n", "defaults: {roll: modified_following}\npause:\n")))
    [change] = diff_rulesets(no_old, new)
    assert change.field == "defaults.roll"
    assert change.text == ("default date roll changed from following (rolled forward) to modified_following "
                           "(rolled forward within the month); steps that take it: reminder-1, reminder-2, "
                           "collection-notice, eviction-warning, creditor-status-link, payment-demand, "
                           "eviction-petition")


def test_a_fact_the_new_ruleset_requires_makes_cases_invalid(tmp_path, no_old, no_plan) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, ("facts:\n", "facts:\n  arrears_months:\n    type: number\n")))
    cases = [json.loads(line) for line in (ROOT / "examples" / "no-cases.jsonl").read_text().splitlines()]
    outcomes = diff_outcomes(no_plan, compile(new), cases)
    assert outcomes.invalid.old.count == 0
    assert outcomes.invalid.new.count == len(cases) == outcomes.changed_cases
    assert dict(outcomes.invalid.new.detail) == {"case-missing-fact": len(cases)}
    text = render_text(diff_rulesets(no_old, new), outcomes)
    assert f"{len(cases)} cases invalid under the new ruleset: case-missing-fact ({len(cases)})" in text
    assert to_json([], outcomes)["outcomes"]["invalid"]["new"]["codes"] == [
        {"code": "case-missing-fact", "count": len(cases)}]


# ------------------------------------------------------------------ JSON

def test_json_is_serialisable_stable_and_sorted(tmp_path, no_old) -> None:
    new = load_ruleset(variant(tmp_path, NO_TEXT, (
        "    action: debt_collection_notice\n    at: due + 15 days",
        "    action: debt_collection_notice\n    at: due + 20 days")))
    changes, outcomes = diff(no_old, new)
    data = to_json(changes, outcomes)
    text = json.dumps(data, sort_keys=True)
    assert json.loads(text) == data
    assert json.dumps(to_json(*diff(no_old, new)), sort_keys=True) == text  # same input, same bytes
    assert data["changes"] == [{"kind": "changed", "step": "collection-notice", "field": "at", "paths": ["at"],
                                "old": "due + 15 days", "new": "due + 20 days",
                                "text": "collection-notice: date changed from due + 15 days to due + 20 days"}]
    out = data["outcomes"]
    assert out["old"]["id"] == out["new"]["id"] == "no-standard"
    assert out["cases"] == outcomes.cases and out["changed_cases"] == outcomes.changed_cases
    steps = out["steps"]
    assert [s["step"] for s in steps] == ["collection-notice", "creditor-status-link", "payment-demand"]
    moved = steps[0]["moved"]
    assert moved["typical_days"] == 5 and moved["min_days"] >= 1
    assert [s["days"] for s in moved["shifts"]] == sorted(s["days"] for s in moved["shifts"])
    assert sum(s["count"] for s in moved["shifts"]) == moved["count"]
    assert moved["examples"][0] == {"case": "grid-2026-01-01", "old": "2026-01-16", "new": "2026-01-21"}
    assert steps[0]["appeared"] is None and steps[0]["occurrence"] is None
    fee = steps[0]["fee_changed"]  # notices moved into 2027, where no inkassosats is published yet
    assert fee["changes"] == [{"old": "37.50", "new": None, "count": fee["count"]}]
    assert all(isinstance(e["old"], str) for e in fee["examples"])


def test_to_json_without_outcomes() -> None:
    assert to_json([], None) == {"changes": [], "outcomes": None}
    assert render_text([], None) == "Ruleset changes: none.\n"


# ------------------------------------------------------------------ speed

def test_the_grid_is_fast() -> None:
    for folder in (NO_DIR, SE_DIR):
        old = compile(load_ruleset(folder / "standard.yaml"))
        new = compile(load_ruleset(folder / "standard.yaml"))  # fresh plans: empty memos
        start = time.perf_counter()
        outcomes = diff_outcomes(old, new, synthetic_cases(old))
        took = time.perf_counter() - start
        assert outcomes.cases > 2 * 261 and outcomes.empty()
        assert took < 2.0, f"{folder.name}: {took:.2f} s"


# ------------------------------------------------------------------ case files

def test_load_cases_reads_json_lines_and_json() -> None:
    cases = load_cases(str(ROOT / "examples" / "no-cases.jsonl"))
    assert [c["id"] for c in cases] == [f"NO-2026-00{i}" for i in range(1, 6)]
    assert load_cases(str(ROOT / "examples" / "no-case.json"))[0]["id"] == "NO-2026-001"
    line = (ROOT / "examples" / "no-cases.jsonl").read_text().splitlines()[0]
    assert load_cases("-", io.StringIO(line + "\n\n"))[0]["id"] == "NO-2026-001"


def test_load_cases_locates_every_problem(tmp_path) -> None:
    good = json.dumps({"id": "A", "due_date": "2026-03-18", "amount": "100.00", "currency": "NOK"})
    bad_date = json.dumps({"id": "B", "due_date": "2026-02-30", "amount": "100.00", "currency": "NOK"})
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join([good, '{"id": "C", "due_date": ', bad_date, "[1]"]) + "\n", encoding="utf-8")
    with pytest.raises(CaseError) as err:
        load_cases(str(path))
    found = [(f.line, f.code) for f in err.value.findings]
    assert found == [(2, "case-invalid-json"), (3, "case-invalid-date"), (4, "case-invalid")]
    assert err.value.findings[1].col == bad_date.index('"2026-02-30"') + 1
    assert all(f.path == str(path) for f in err.value.findings)
    with pytest.raises(CaseError) as err:
        load_cases(str(tmp_path / "missing.jsonl"))
    assert [f.code for f in err.value.findings] == ["file-unreadable"]
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(good.replace('"A"', '"\xe5"').encode("latin-1") + b"\n")
    with pytest.raises(CaseError) as err:
        load_cases(str(latin))
    assert [f.code for f in err.value.findings] == ["case-not-utf8"]


# ------------------------------------------------------------------ the command

def test_command_text_and_json(tmp_path) -> None:
    new = variant(tmp_path, NO_TEXT, ("    action: debt_collection_notice\n    at: due + 15 days",
                                      "    action: debt_collection_notice\n    at: due + 20 days"))
    code, out, err = run(NO_DIR / "standard.yaml", new)
    assert (code, err) == (0, "")
    assert out.startswith("old: no-standard 2026.1  new: no-standard 2026.1\nRuleset changes (1):\n")
    assert "  collection-notice\n    moved in " in out
    code, out, err = run(NO_DIR / "standard.yaml", new, "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["changes"][0]["text"] == "collection-notice: date changed from due + 15 days to due + 20 days"
    assert data["outcomes"]["cases"] == len(synthetic_cases(compile(load_ruleset(new))))


def test_command_with_a_case_file(tmp_path) -> None:
    text = without_step(without_step(NO_TEXT, "eviction-warning"), "eviction-petition")
    new = variant(tmp_path, text)
    code, out, err = run(NO_DIR / "standard.yaml", new, "--cases", ROOT / "examples" / "no-cases.jsonl",
                         "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)["outcomes"]
    assert data["cases"] == 5
    warning = data["steps"][0]
    assert warning["step"] == "eviction-warning"
    # NO-2026-001 and -002 get the warning today; -003 is paid, -004 opted out, -005 disputed.
    assert [e["case"] for e in warning["disappeared"]["examples"]] == ["NO-2026-001", "NO-2026-002"]
    code, out, err = run(NO_DIR / "standard.yaml", new, "--cases", "-",
                         stdin=(ROOT / "examples" / "no-cases.jsonl").read_text())
    assert code == 0 and "Outcomes over 5 cases" in out


def test_command_errors_are_located_with_exit_codes(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "A", "due_date": "2026-03-18", "amount": "100.00", "currency": "NOK"}\n{oops\n')
    code, out, err = run(NO_DIR / "standard.yaml", tmp_path / "nowhere.yaml", "--cases", bad)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert all(FINDING.match(line) for line in lines)
    assert {FINDING.match(line).group(3) for line in lines} == {"file-unreadable", "case-invalid-json"}
    assert f"{bad}:2:2: case-invalid-json:" in err
    code, out, err = run(NO_DIR / "standard.yaml")
    assert code == 2 and "required: NEW" in err
    code, out, err = run(NO_DIR / "standard.yaml", NO_DIR / "standard.yaml", "--format", "xml")
    assert code == 2
    code, out, err = run("--help")
    assert code == 0 and "--cases FILE" in out


def test_cases_with_a_byte_order_mark(tmp_path) -> None:
    from dunningrules._cli import run
    import io as _io

    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b"\xef\xbb\xbf" + (ROOT / "examples" / "no-cases.jsonl").read_bytes())
    out, err = _io.StringIO(), _io.StringIO()
    ruleset = str(NO_DIR / "standard.yaml")
    assert run(["diff", ruleset, ruleset, "--cases", str(cases)], out, err) == 0, err.getvalue()
    assert "Outcomes over 5 cases" in out.getvalue()
