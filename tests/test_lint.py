"""Statutory lint (`dunningrules._lint`): the shipped policies, the shipped rulesets linting clean,
one broken variant of a shipped ruleset per statutory rule (code, line and a replayable example),
located errors in policy files, and the grid of synthetic cases.

Broken rulesets are the shipped ones with one line changed, written to tmp_path with the shipped
rates.yaml beside them (no templates folder, so no template checks).

Calendar facts used below: Norway 2026, Thu 2 Apr Maundy Thursday, Fri 3 Apr Good Friday, Mon 6 Apr
Easter Monday; a deadline on 2 Apr rolled `preceding` lands on Wed 1 Apr, 13 days after Thu 19 Mar.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from dunningrules import (
    InvalidInputError,
    Plan,
    Ruleset,
    RulesetError,
    case_from_data,
    compile,
    evaluate,
    load_ruleset,
)
from dunningrules._lint import (
    KINDS,
    POLICY_DIR,
    LintFinding,
    Policy,
    PolicyRule,
    _Act,
    _Ctx,
    case_data,
    grid,
    lint,
    lint_path,
    load_policy,
    parse_policy,
    policy_for,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {"NO": ROOT / "rulesets" / "no" / "standard.yaml", "SE": ROOT / "rulesets" / "se" / "standard.yaml"}
D = dt.date


# --------------------------------------------------------------------------------------- helpers

def variant(tmp_path: Path, country: str, *replacements: tuple[str, str]) -> Path:
    """The shipped ruleset of `country` with each (old, new) replaced once, beside its rates.yaml."""
    src = SHIPPED[country]
    text = src.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} is not in the shipped ruleset exactly once"
        text = text.replace(old, new)
    folder = tmp_path / country.lower()
    folder.mkdir()
    shutil.copy(src.parent / "rates.yaml", folder / "rates.yaml")
    path = folder / "standard.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def lint_file(path: Path) -> list[LintFinding]:
    ruleset = load_ruleset(path)
    return lint(ruleset, compile(ruleset), policy_for(ruleset.jurisdiction))


@functools.lru_cache(maxsize=None)
def shipped(country: str) -> tuple[Ruleset, Plan]:
    """A shipped ruleset, loaded once (rulesets and plans are immutable; the plan memoises)."""
    ruleset = load_ruleset(SHIPPED[country])
    return ruleset, compile(ruleset)


def only(findings: list[LintFinding], code: str) -> list[LintFinding]:
    return [f for f in findings if f.code == code]


def replay(path: Path, finding: LintFinding) -> list:
    """The example case scheduled again: the planned actions of the offending step."""
    assert finding.example is not None
    plan = compile(load_ruleset(path))
    schedule = evaluate(plan, case_from_data(finding.example["case"]))
    return [a for a in schedule.planned() if a.step == finding.step]


# --------------------------------------------------------------------------------------- shipped

@pytest.mark.parametrize("country", ["NO", "SE"])
def test_shipped_rulesets_lint_clean(country: str) -> None:
    ruleset, plan = shipped(country)
    assert lint(ruleset, plan, policy_for(country)) == []


def test_shipped_lint_is_fast() -> None:
    loaded = [shipped(c)[0] for c in ("NO", "SE")]
    plans = [compile(r) for r in loaded]  # fresh plans: nothing memoised yet
    start = time.perf_counter()
    for ruleset, plan in zip(loaded, plans):
        assert lint(ruleset, plan, policy_for(ruleset.jurisdiction)) == []
    assert time.perf_counter() - start < 3.0


@pytest.mark.parametrize("country", ["NO", "SE"])
def test_shipped_policies_load(country: str) -> None:
    policy = policy_for(country)
    assert policy.jurisdiction == country
    assert policy.path == str(POLICY_DIR / f"{country.lower()}.yaml")
    codes = [r.code for r in policy.rules]
    assert len(codes) == len(set(codes)) and all(c.startswith(country + "-") for c in codes)
    assert all(r.message and r.legal_basis and r.kind in KINDS and r.line > 0 for r in policy.rules)
    assert policy_for(country) is policy  # loaded once


def test_shipped_policies_cover_the_statutory_rules() -> None:
    no = {r.code: r for r in policy_for("NO").rules}
    se = {r.code: r for r in policy_for("SE").rules}
    assert no["NO-INKASSOVARSEL-14D"].params["days"] == 14
    assert no["NO-INKASSOVARSEL-14D"].params["roll_must_not_shorten"] is True
    assert no["NO-BETALINGSOPPFORDRING-AFTER-VARSEL"].kind == "after_deadline_of"
    assert no["NO-FRAVIKELSE-14D-AFTER-VARSEL"].params["days"] == 14
    assert no["NO-FEE-CAP-1-20"].params["fraction"] == Fraction(1, 20)
    assert se["SE-INKASSOKRAV-8D"].params["days"] == 8
    assert se["SE-UPPSAGNING-AFTER-ONE-WEEK"].params == {"action": ("lease_termination",), "days": 7,
                                                          "strict": True}
    assert se["SE-AVHYSNING-REQUIRES-SOCIALNAMND"].params["action"] == ("eviction_petition",
                                                                        "eviction_enforcement")


def test_no_policy_for_a_jurisdiction_without_one() -> None:
    with pytest.raises(RulesetError) as e:
        policy_for("DK")
    assert e.value.findings[0].code == "policy-unavailable"


# --------------------------------------------------------------------------------------- Norway

def test_no_inkassovarsel_deadline_too_short(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("      after: 14 days\n      roll: none", "      after: 10 days\n      roll: none"))
    findings = lint_file(path)
    assert [f.code for f in findings] == ["NO-INKASSOVARSEL-14D"]
    f = findings[0]
    assert (f.path, f.line, f.step) == (str(path), line_of(path, "after: 10 days"), "collection-notice")
    assert f.pointer == ("steps", 3, "deadline", "after")
    assert f.legal_basis.startswith("inkassoloven § 9")
    assert "10 days" in f.message
    example = f.example
    assert example is not None and example["step"] == "collection-notice"
    assert (D.fromisoformat(example["deadline"]) - D.fromisoformat(example["date"])).days == 10
    assert [(a.date.isoformat(), a.deadline.isoformat()) for a in replay(path, f)] == [
        (example["date"], example["deadline"])]
    assert str(f).startswith(f"{path}:{f.line}:{f.col}: NO-INKASSOVARSEL-14D: ")
    assert "e.g. case due " in str(f)


def test_no_inkassovarsel_deadline_rolled_back(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("      roll: none ", "      roll: preceding "))
    [f] = lint_file(path)
    assert f.code == "NO-INKASSOVARSEL-14D"
    assert f.line == line_of(path, "      roll: preceding")
    assert "preceding" in f.message
    # The grid finds a real case where rolling back costs the tenant days (a holiday on day 14).
    example = f.example
    assert example is not None
    days = (D.fromisoformat(example["deadline"]) - D.fromisoformat(example["date"])).days
    assert days < 14
    [action] = replay(path, f)
    assert action.deadline.isoformat() == example["deadline"]


def test_no_inkassovarsel_deadline_rolled_forward_is_fine(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("      roll: none ", "      roll: following "))
    assert lint_file(path) == []


def test_a_roll_that_may_shorten_is_measured_before_rolling(tmp_path: Path) -> None:
    # With roll_must_not_shorten: false, a deadline rolled back is fine as long as the
    # unrolled one gives the days.
    path = variant(tmp_path, "NO", ("      roll: none ", "      roll: preceding "))
    ruleset = load_ruleset(path)
    rule = PolicyRule("NO-T", "min_deadline", "m", "b",
                      {"action": ("debt_collection_notice",), "days": 14, "roll_must_not_shorten": False})
    assert lint(ruleset, compile(ruleset), Policy("NO", (rule,))) == []
    rule = PolicyRule("NO-T", "min_deadline", "m", "b",
                      {"action": ("debt_collection_notice",), "days": 15, "roll_must_not_shorten": False})
    [f] = lint(ruleset, compile(ruleset), Policy("NO", (rule,)), years=(2026,))
    assert "14 days to pay" in f.message and f.line == line_of(path, "after: 14 days")


def test_no_payment_demand_before_the_notice_deadline(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("at: collection-notice.deadline + 1 day", "at: collection-notice + 7 days"))
    [f] = lint_file(path)
    assert f.code == "NO-BETALINGSOPPFORDRING-AFTER-VARSEL"
    assert (f.line, f.step) == (line_of(path, "at: collection-notice + 7 days"), "payment-demand")
    assert f.legal_basis == "inkassoloven § 10 første ledd"
    example = f.example
    assert example is not None and example["related"]["step"] == "collection-notice"
    assert example["date"] <= example["related"]["deadline"]
    [action] = replay(path, f)
    assert action.date.isoformat() == example["date"]


def test_no_payment_demand_on_the_deadline_day_is_too_early(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("at: collection-notice.deadline + 1 day", "at: collection-notice.deadline"))
    assert [f.code for f in lint_file(path)] == ["NO-BETALINGSOPPFORDRING-AFTER-VARSEL"]


def test_no_eviction_petition_a_week_after_the_warning(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO", ("at: eviction-warning.deadline + 1 day", "at: eviction-warning + 7 days"))
    [f] = lint_file(path)
    assert f.code == "NO-FRAVIKELSE-14D-AFTER-VARSEL"
    assert (f.line, f.step) == (line_of(path, "at: eviction-warning + 7 days"), "eviction-petition")
    example = f.example
    assert example is not None and example["related"]["step"] == "eviction-warning"
    assert (D.fromisoformat(example["date"]) - D.fromisoformat(example["related"]["date"])).days == 7


def test_no_eviction_petition_without_a_warning_is_found_in_a_fact_variant(tmp_path: Path) -> None:
    # The petition no longer counts from the warning; a landlord who opts out of the warning
    # (a boolean fact the grid flips) would still petition.
    path = variant(tmp_path, "NO", ("at: eviction-warning.deadline + 1 day", "at: due + 40 days"))
    [f] = lint_file(path)
    assert f.code == "NO-FRAVIKELSE-REQUIRES-VARSEL"
    assert f.example is not None
    assert f.example["case"]["facts"] == {"eviction_warning_opt_out": True}
    assert f.line == line_of(path, "action: eviction_petition")


def test_no_payment_demand_without_any_inkassovarsel(tmp_path: Path) -> None:
    path = variant(tmp_path, "NO",
                   ("    action: debt_collection_notice\n", "    action: x-notice\n"),
                   ("at: collection-notice.deadline + 1 day", "at: due + 30 days"))
    codes = {f.code: f for f in lint_file(path)}
    assert set(codes) == {"NO-BETALINGSOPPFORDRING-REQUIRES-VARSEL"}
    assert "the ruleset has no debt_collection_notice step" in codes["NO-BETALINGSOPPFORDRING-REQUIRES-VARSEL"].message


# --------------------------------------------------------------------------------------- Sweden

def test_se_lease_termination_five_days_after_due(tmp_path: Path) -> None:
    old = "at: max(due + 14 days, collection-demand.deadline + 1 day, due + 8 days)"
    path = variant(tmp_path, "SE", (old, "at: due + 5 days"))
    [f] = lint_file(path)
    assert f.code == "SE-UPPSAGNING-AFTER-ONE-WEEK"
    assert (f.line, f.step) == (line_of(path, "at: due + 5 days"), "lease-termination")
    assert f.legal_basis == "jordabalken 12 kap. 42 § första stycket 1"
    example = f.example
    assert example is not None
    assert (D.fromisoformat(example["date"]) - D.fromisoformat(example["case"]["due_date"])).days <= 7


@pytest.mark.parametrize(("at", "codes"), [("due + 7 days", ["SE-UPPSAGNING-AFTER-ONE-WEEK"]),
                                            ("due + 8 days", [])])
def test_se_lease_termination_must_be_more_than_a_week_late(tmp_path: Path, at: str, codes: list[str]) -> None:
    old = "at: max(due + 14 days, collection-demand.deadline + 1 day, due + 8 days)"
    path = variant(tmp_path, "SE", (old, f"at: {at}"))
    assert [f.code for f in lint_file(path)] == codes


def test_se_eviction_without_the_social_services_notice(tmp_path: Path) -> None:
    step = ("  - id: social-services-notice\n"
            "    title: Underrättelse till socialnämnden\n"
            "    action: social_services_notice\n"
            "    at: lease-termination\n"
            "    recipient: social_services\n"
            "    channels: [registered_letter]\n"
            "    legal_basis: \"jordabalken 12 kap. 44 §: the social welfare board is notified of the termination\"\n")
    path = variant(tmp_path, "SE", (step, ""),
                   ("max(event.service_completed, social-services-notice) + 21 days",
                    "event.service_completed + 21 days"))
    findings = lint_file(path)
    assert [(f.code, f.step) for f in findings] == [
        ("SE-AVHYSNING-REQUIRES-SOCIALNAMND", "eviction-application"),
        ("SE-AVHYSNING-REQUIRES-SOCIALNAMND", "eviction-enforcement"),
    ]
    petition, enforcement = findings
    assert petition.line == line_of(path, "action: eviction_petition")
    assert enforcement.line == line_of(path, "action: eviction_enforcement")
    assert petition.legal_basis == "jordabalken 12 kap. 44 §"
    # Enforcement is planned only once service is complete: the grid's event variant shows it.
    assert enforcement.example is not None
    assert [e["type"] for e in enforcement.example["case"]["events"]] == ["service_completed"]


def test_se_social_services_notice_after_the_eviction_application(tmp_path: Path) -> None:
    step = ("    action: social_services_notice\n"
            "    at: lease-termination\n")
    path = variant(tmp_path, "SE", (step, "    action: social_services_notice\n    at: lease-termination + 2 days\n"))
    findings = lint_file(path)
    assert [(f.code, f.step) for f in findings] == [("SE-AVHYSNING-REQUIRES-SOCIALNAMND", "eviction-application")]
    example = findings[0].example
    assert example is not None and example["related"]["step"] == "social-services-notice"
    assert example["related"]["date"] > example["date"]


def test_se_inkassokrav_deadline_too_short(tmp_path: Path) -> None:
    path = variant(tmp_path, "SE", ("      after: 8 days", "      after: 7 days"))
    [f] = lint_file(path)
    assert (f.code, f.line) == ("SE-INKASSOKRAV-8D", line_of(path, "after: 7 days"))


# --------------------------------------------------------------------------------------- policies

POLICY_HEAD = 'dunningrules-policy: 1\njurisdiction: "NO"\nrules:\n'


def policy_errors(text: str) -> list:
    with pytest.raises(RulesetError) as e:
        parse_policy(text, "policy.yaml")
    return e.value.findings


def test_policy_unknown_kind_is_located(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_HEAD + (
        "  - code: NO-X\n"
        "    kind: min_deadlin\n"
        "    message: m\n"
        "    legal_basis: b\n"
        "    params: {action: debt_collection_notice, days: 14}\n"), encoding="utf-8")
    with pytest.raises(RulesetError) as e:
        load_policy(path)
    assert isinstance(e.value, InvalidInputError)  # the CLI's exit code 1
    [f] = e.value.findings
    assert (f.code, f.path, f.line, f.col) == ("policy-unknown-kind", str(path), 5, 11)
    assert "did you mean 'min_deadline'?" in f.message


def test_policy_errors_are_all_reported_and_located() -> None:
    text = POLICY_HEAD.replace("rules:", "titel: x\nrules:") + (
        "  - code: NO-Y\n"                                                  # line 5
        "    kind: min_deadline\n"
        "    message: m\n"
        "    legal_basis: b\n"
        "    params: {action: debt_colection_notice, dayz: 14}\n"         # line 9
        "  - code: NO-Z\n"
        "    kind: fee_cap\n"
        "    message: m\n"
        "    legal_basis: b\n"
        "    params: {fee: [reminder, colection], table: inkassosats, fraction: 1/0}\n"  # line 14
        "  - kind: requires\n"                                              # line 15
        "    message: m\n"
        "    legal_basis: b\n"
        "    params: {action: payment_demand, requires: debt_collection_notice}\n")
    found = {(f.code, f.line) for f in policy_errors(text)}
    assert found == {
        ("policy-unknown-key", 3),
        ("policy-missing-param", 9),
        ("policy-unknown-action", 9),
        ("policy-unknown-param", 9),
        ("policy-unknown-fee", 14),
        ("policy-wrong-type", 14),
        ("policy-missing-key", 15),
    }
    messages = " ".join(f.message for f in policy_errors(text))
    assert "did you mean 'title'?" in messages and "did you mean 'days'?" in messages
    assert "did you mean 'debt_collection_notice'?" in messages


@pytest.mark.parametrize(("text", "code", "line"), [
    ("- a list\n", "policy-invalid", 1),
    ('dunningrules-policy: 2\njurisdiction: "NO"\nrules: []\n', "policy-version", 1),
    ('dunningrules-policy: 1\njurisdiction: NOR\nrules: []\n', "policy-wrong-type", 2),
    ('dunningrules-policy: 1\njurisdiction: "NO"\n', "policy-missing-key", 1),
    (POLICY_HEAD + "  - code: no-lower\n    kind: requires\n    message: m\n    legal_basis: b\n"
     "    params: {action: payment_demand, requires: debt_collection_notice}\n", "policy-wrong-type", 4),
    (POLICY_HEAD + "  - code: NO-A\n    kind: min_days_after_due\n    message: m\n    legal_basis: b\n"
     "    params: {action: reminder, days: 7, strict: yes}\n", "policy-wrong-type", 8),
    (POLICY_HEAD + "  - code: NO-A\n    kind: min_days_after_due\n    message: m\n    legal_basis: b\n"
     "    params: {action: reminder, days: -1}\n", "policy-wrong-type", 8),
    (POLICY_HEAD + "  - code: NO-A\n    kind: min_days_after_due\n    message: m\n    legal_basis: b\n"
     "    params: {action: reminder, days: 1}\n  - code: NO-A\n    kind: min_days_after_due\n"
     "    message: m\n    legal_basis: b\n    params: {action: reminder, days: 1}\n", "policy-duplicate-code", 9),
    ("dunningrules-policy: 1\njurisdiction: \"NO\"\nrules: [\n", "yaml-syntax", 4),
])
def test_policy_refusals(text: str, code: str, line: int) -> None:
    findings = policy_errors(text)
    assert (code, line) in {(f.code, f.line) for f in findings}, [str(f) for f in findings]


def test_custom_policy_is_applied() -> None:
    policy = parse_policy(POLICY_HEAD + (
        "  - code: NO-HOUSE-REMINDER-WEEK\n"
        "    kind: min_days_after_due\n"
        "    message: our reminders go out a week after the due date at the earliest\n"
        "    legal_basis: house rule\n"
        "    params: {action: reminder, days: 7}\n"), "house.yaml")
    ruleset, plan = shipped("NO")
    [f] = lint(ruleset, plan, policy)
    assert (f.code, f.step, f.line) == ("NO-HOUSE-REMINDER-WEEK", "reminder-1",
                                       line_of(SHIPPED["NO"], "at: due + 5 days"))
    assert "5 days after the due date" in f.message


def policy_text(days: int) -> str:
    return POLICY_HEAD + (
        "  - code: NO-HOUSE-REMINDER\n    kind: min_days_after_due\n    message: m\n    legal_basis: b\n"
        f"    params: {{action: reminder, days: {days}}}\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_lint_path_with_a_policy_file(tmp_path: Path) -> None:
    assert [f.step for f in lint_path(SHIPPED["NO"], _write(tmp_path / "p.yaml", policy_text(7)))] == ["reminder-1"]
    assert lint_path(SHIPPED["NO"], _write(tmp_path / "q.yaml", policy_text(5))) == []


def test_policy_for_another_jurisdiction_is_refused() -> None:
    ruleset, plan = shipped("SE")
    with pytest.raises(RulesetError) as e:
        lint(ruleset, plan, policy_for("NO"))
    [f] = e.value.findings
    assert f.code == "policy-jurisdiction" and f.line == line_of(SHIPPED["SE"], "jurisdiction:")


def test_lint_findings_never_hide_validation_errors(tmp_path: Path) -> None:
    # A deadline lint would flag, and an unknown step reference validation refuses: validation wins.
    path = variant(tmp_path, "NO", ("      after: 14 days\n      roll: none", "      after: 10 days\n      roll: none"),
                   ("at: eviction-warning.deadline + 1 day", "at: eviction-warnin.deadline + 1 day"))
    with pytest.raises(RulesetError) as e:
        lint_path(path)
    assert [f.code for f in e.value.findings] == ["unknown-step"]
    # and a broken policy file is refused, not ignored
    with pytest.raises(RulesetError) as e:
        lint_path(SHIPPED["NO"], _write(tmp_path / "bad.yaml", POLICY_HEAD + "  - code: NO-A\n"))
    assert {f.code for f in e.value.findings} == {"policy-missing-key"}


# --------------------------------------------------------------------------------------- grid

def test_grid_covers_every_day_and_the_variants() -> None:
    plan = shipped("NO")[1]
    cases = grid(plan, (2026,))
    base = [c for c in cases if not c.facts and not c.events]
    dues = {c.due_date for c in base}
    assert {D(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)} <= dues
    # New Year: 31 Dec 2025 is a closing day next to 1 Jan 2026, so the cluster's edge is in too
    assert {D(2025, 12, 30), D(2025, 12, 31)} <= dues
    assert [c.due_date for c in base][:2] == [D(2026, 1, 1), D(2026, 1, 2)]  # the years first
    flipped = [c for c in cases if c.facts]
    assert len(flipped) == len(base) and all(c.facts == {"eviction_warning_opt_out": True} for c in flipped)
    disputes = [c for c in cases if c.events]
    assert len(disputes) == len(base)
    c = disputes[0]
    assert [(e.type, (e.date - c.due_date).days) for e in c.events] == [("dispute_opened", 12),
                                                                       ("dispute_resolved", 16)]
    assert len(grid(plan, (2026,), disputes=False, facts=False)) == len(base)


def test_grid_adds_the_events_a_ruleset_reads() -> None:
    plan = shipped("SE")[1]
    cases = grid(plan, (2026,), disputes=False)
    served = [c for c in cases if c.events]
    assert served and all([(e.type, (e.date - c.due_date).days) for e in c.events] == [("service_completed", 21)]
                          for c in served)


def test_case_data_is_a_valid_case() -> None:
    plan = shipped("NO")[1]
    for case in grid(plan, (2026,))[::97]:
        assert case_from_data(case_data(case)) == case


# --------------------------------------------------------------------------------------- fee kinds

def _rule(kind: str, **params) -> PolicyRule:
    return PolicyRule("NO-T", kind, "m", "b", params)


def _ctx(due: dt.date, *acts: tuple[str, dt.date, str | None, str | None]) -> _Ctx:
    plan = shipped("NO")[1]
    out = [_Act(i, f"s{i}", "reminder", d.toordinal(), None, None if fee is None else Decimal(fee), kind)
           for i, (_, d, fee, kind) in enumerate(acts)]
    ctx = _Ctx(plan, due.toordinal(), out)
    for a in out:
        ctx.by_action.setdefault(a.action, []).append(a)
    return ctx


def test_fee_kinds_guard_what_the_engine_enforces() -> None:
    due = D(2026, 3, 2)
    ctx = _ctx(due, ("r", D(2026, 3, 7), "37.50", "reminder"), ("r", D(2026, 3, 17), "37.50", "reminder"),
               ("r", D(2026, 3, 20), "37.50", "reminder"), ("r", D(2026, 3, 25), "40.00", "reminder"),
               ("r", D(2026, 3, 26), None, "reminder"))
    early = list(KINDS["fee_min_days_after_due"].dynamic(_rule("x", fee=("reminder",), days=14), ctx))
    assert [a.step for a, _, _ in early] == ["s0"]
    many = list(KINDS["fee_max_count"].dynamic(_rule("x", fee=("reminder",), count=2), ctx))
    assert [a.step for a, _, _ in many] == ["s2", "s3"]
    # 1/20 of the 2026 inkassosats 750.00 (rulesets/no/rates.yaml) is 37.50
    cap = list(KINDS["fee_cap"].dynamic(_rule("x", fee=("reminder",), table="inkassosats",
                                              fraction=Fraction(1, 20)), ctx))
    assert [(a.step, msg.endswith("the cap then is 37.50")) for a, msg, _ in cap] == [("s3", True)]
    # a table the rate file lacks (or a date it does not cover): nothing to compare with
    assert list(KINDS["fee_cap"].dynamic(_rule("x", fee=("reminder",), table="nope", fraction=Fraction(1)),
                                         ctx)) == []


def test_lint_with_given_cases() -> None:
    ruleset, plan = shipped("NO")
    policy = Policy("NO", (_rule("min_days_after_due", action=("reminder",), days=7, strict=False),), path="t")
    case = case_from_data({"id": "c", "due_date": "2026-03-04", "amount": "100.00", "currency": "NOK"})
    [f] = lint(ruleset, plan, policy, cases=[case])
    assert f.example is not None and f.example["case"]["id"] == "c" and f.example["date"] == "2026-03-09"
    assert f.finding.code == "NO-T" and f.to_dict()["step"] == "reminder-1"
