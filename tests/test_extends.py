"""Rulesets that extend a base: merge by step id, provenance per field, located errors, `show`."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunningrules import Ruleset, RulesetError, case_from_data, compile, evaluate, load_ruleset, parse_ruleset
from dunningrules._cli import run
from dunningrules._extends import MAX_CHAIN

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
HEAD = 'dunningrules: 1\nid: {id}\nversion: "1"\ntitle: T\n'


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A company's repository: rulesets/ with copies of the shipped bases and a folder of its own;
    the working folder is its root, so findings show paths relative to it."""
    rulesets = tmp_path / "rulesets"
    for country in ("no", "se"):
        shutil.copytree(ROOT / "rulesets" / country, rulesets / country,
                        ignore=shutil.ignore_patterns("*.test.yaml"))
    (rulesets / "acme").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, body: str, ruleset_id: str = "acme", extends: str = "../no/standard.yaml") -> str:
    path = Path("rulesets/acme") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    head = HEAD.format(id=ruleset_id) + (f"extends: {extends}\n" if extends else "")
    path.write_text(head + body, encoding="utf-8")
    return str(path)


def problems(path: str) -> list[str]:
    with pytest.raises(RulesetError) as e:
        load_ruleset(path)
    return [str(f) for f in e.value.findings]


def case(**kw):
    data = {"id": "C-1", "due_date": "2026-03-18", "amount": "9500.00", "currency": "NOK"}
    return case_from_data({**data, **kw})


def line_of(path: str, text: str) -> int:
    """The 1-based line of the first line of `path` containing `text`."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# ------------------------------------------------------------------ the shipped examples

def test_se_example_phones_first_time_late_payers_before_the_inkassokrav():
    rs = load_ruleset(EXAMPLES / "se-phone-first.yaml")
    ids = [s.id for s in rs.steps]
    assert ids.index("phone-call") == ids.index("collection-demand") - 1 == 0
    sched = evaluate(compile(rs), case_from_data({
        "id": "S", "due_date": "2026-04-01", "amount": "8000.00", "currency": "SEK",
        "facts": {"first_time_late": True}}))
    by_step = {a.step: a for a in sched.actions}
    assert by_step["phone-call"].date == dt.date(2026, 4, 2)  # skärtorsdag is a Swedish working day
    assert by_step["collection-demand"].date == dt.date(2026, 4, 7)  # after Easter Monday
    assert by_step["phone-call"].channels == ("phone",)


def test_se_example_leaves_out_eviction_for_a_rent_guarantee_only():
    plan = compile(load_ruleset(EXAMPLES / "se-phone-first.yaml"))
    base = {"id": "S", "due_date": "2026-06-17", "amount": "8000.00", "currency": "SEK",
            "events": [{"type": "service_completed", "date": "2026-07-10"}]}
    guaranteed = {a.step: a.status for a in evaluate(plan, case_from_data(
        {**base, "facts": {"social_services_guarantee": True}}), as_of=dt.date(2026, 12, 31)).actions}
    plain = {a.step: a.status for a in evaluate(plan, case_from_data(base), as_of=dt.date(2026, 12, 31)).actions}
    changed = {step for step in plain if plain[step] != guaranteed[step]}
    assert changed == {"eviction-application", "eviction-enforcement"}
    assert guaranteed["social-services-notice"] == guaranteed["lease-termination"] == "planned"


def test_no_example_has_no_eviction_steps_and_its_own_additions():
    rs = load_ruleset(EXAMPLES / "no-without-eviction-warning.yaml")
    ids = [s.id for s in rs.steps]
    assert "eviction-warning" not in ids and "eviction-petition" not in ids
    assert ids[ids.index("reminder-2") + 1] == "payment-plan-offer"
    # also_when: joined to the base's own condition
    assert rs.steps[ids.index("reminder-2")].when == "(days_overdue < 15) and (outstanding >= params.small_arrears)"
    assert rs.parameters["small_arrears"] == 300
    assert rs.rates == "rates.yaml" and rs._origin.rates is not None  # the base's, beside the base


def test_examples_lint_clean_and_pass_their_tests():
    out, err = io.StringIO(), io.StringIO()
    paths = [str(p) for p in sorted(EXAMPLES.glob("*.yaml")) if not p.name.endswith(".test.yaml")]
    assert run(["lint", *paths], out, err) == 0, out.getvalue() + err.getvalue()
    tests = [str(p) for p in sorted(EXAMPLES.glob("*.test.yaml"))]
    assert run(["test", *tests], out, err) == 0, out.getvalue() + err.getvalue()


def test_explain_names_the_bases():
    out, err = io.StringIO(), io.StringIO()
    assert run(["explain", str(EXAMPLES / "se-phone-first.yaml")], out, err) == 0, err.getvalue()
    assert "It extends `rulesets/se/standard.yaml`" in out.getvalue() or "se/standard.yaml`" in out.getvalue()
    assert "phone call to a tenant who is late for the first time" in out.getvalue()


# ------------------------------------------------------------------ merging

def test_an_extension_that_changes_nothing_schedules_like_its_base(tree):
    path = write("same.yaml", "")
    base, same = compile(load_ruleset("rulesets/no/standard.yaml")), compile(load_ruleset(path))
    for due in ("2026-03-18", "2026-05-12", "2026-12-21"):
        a, b = evaluate(base, case(due_date=due)), evaluate(same, case(due_date=due))
        assert [x.to_dict() for x in a.actions] == [x.to_dict() for x in b.actions]


def test_fields_replace_whole_and_keys_keep_their_base_order(tree):
    path = write("a.yaml", "steps:\n  - id: collection-notice\n    deadline: {after: 21 days}\n"
                 "    title: Inkassovarsel, three weeks\n")
    rs = load_ruleset(path)
    step = next(s for s in rs.steps if s.id == "collection-notice")
    assert step.deadline.after == "21 days" and step.deadline.roll == "following"  # the base's `none` is gone
    assert step.title == "Inkassovarsel, three weeks" and step.fee is not None  # the rest is the base's
    assert [s.id for s in rs.steps] == [s.id for s in load_ruleset("rulesets/no/standard.yaml").steps]


def test_before_and_after_place_new_and_moved_steps(tree):
    path = write("a.yaml", """steps:
  - id: courtesy-call
    before: reminder-1
    action: x-call
    at: due + 2 days
  - id: reminder-2
    after: collection-notice
  - id: last-word
    action: x-note
    at: due + 40 days
""")
    ids = [s.id for s in load_ruleset(path).steps]
    assert ids[:3] == ["invoice", "courtesy-call", "reminder-1"]
    assert ids[ids.index("collection-notice") + 1] == "reminder-2"
    assert ids[-1] == "last-word"


def test_also_when_joins_the_base_condition(tree):
    path = write("a.yaml", "steps:\n  - id: eviction-warning\n    also_when: outstanding > 1000\n")
    rs = load_ruleset(path)
    step = next(s for s in rs.steps if s.id == "eviction-warning")
    assert step.when == "(not facts.eviction_warning_opt_out) and (outstanding > 1000)"
    plan = compile(rs)
    status = {a.step: a.status for a in evaluate(plan, case(amount="900.00")).actions}
    assert status["eviction-warning"] == "skipped"
    status = {a.step: a.status for a in evaluate(plan, case(facts={"eviction_warning_opt_out": True})).actions}
    assert status["eviction-warning"] == "skipped"
    assert {a.step: a.status for a in evaluate(plan, case()).actions}["eviction-warning"] == "planned"


def test_unset_drops_fields_and_top_level_keys(tree):
    path = write("a.yaml", "unset: [interest]\nsteps:\n  - id: collection-notice\n    unset: [fee, deadline]\n"
                 "  - id: payment-demand\n    remove: true\n")
    rs = load_ruleset(path)
    assert rs.interest is None
    notice = next(s for s in rs.steps if s.id == "collection-notice")
    assert notice.fee is None and notice.deadline is None
    [action] = [a for a in evaluate(compile(rs), case()).actions if a.step == "collection-notice"]
    assert action.fee is None and action.claim.interest == Decimal("0.00")


def test_facts_and_parameters_merge_by_name(tree):
    path = write("a.yaml", "facts:\n  guaranteed: {type: boolean, default: false}\n"
                 "  eviction_warning_opt_out: {type: boolean, default: true}\n"
                 "parameters:\n  limit: 500\n")
    rs = load_ruleset(path)
    assert set(rs.facts) == {"guaranteed", "eviction_warning_opt_out"}
    assert rs.facts["eviction_warning_opt_out"].default is True  # the extension's default wins
    assert rs.parameters == {"limit": 500}


def test_a_chain_of_three_merges_in_order(tree):
    write("mid.yaml", "steps:\n  - id: reminder-2\n    also_when: outstanding > 100\n", ruleset_id="mid")
    top = write("top.yaml", "steps:\n  - id: reminder-2\n    also_when: outstanding < 5000\n",
                ruleset_id="top", extends="mid")
    rs = load_ruleset(top)
    assert next(s for s in rs.steps if s.id == "reminder-2").when == (
        "((days_overdue < 15) and (outstanding > 100)) and (outstanding < 5000)")
    assert rs._origin.files == (top, "rulesets/acme/mid.yaml", "rulesets/no/standard.yaml")


def test_a_base_found_by_id_in_the_tree_and_among_the_shipped_bases(tree):
    write("house.yaml", "description: House process\n", ruleset_id="house")
    assert load_ruleset(write("a.yaml", "", ruleset_id="a", extends="house")).description == "House process"
    # Outside any rulesets/ folder, an id finds the bases shipped with dunningrules.
    own = tree / "elsewhere" / "b.yaml"
    own.parent.mkdir()
    own.write_text(HEAD.format(id="b") + "extends: se-standard\n", encoding="utf-8")
    rs = load_ruleset(own)
    assert rs.jurisdiction == "SE" and rs._origin.rates is not None and rs._origin.templates is not None
    # A ruleset given as text can extend a shipped base by id.
    assert parse_ruleset(HEAD.format(id="c") + "extends: no-standard\n").jurisdiction == "NO"


def test_templates_nearest_first(tree):
    folder = Path("rulesets/acme/templates/nb")
    folder.mkdir(parents=True)
    (folder / "reminder.j2").write_text("{% block subject %}Hei fra Acme{% endblock %}"
                                        "{% block body %}Husk husleien.{% endblock %}", encoding="utf-8")
    path = write("a.yaml", "")
    out, err = io.StringIO(), io.StringIO()
    Path("case.json").write_text(json.dumps({"id": "C", "due_date": "2026-03-18", "amount": "9500.00",
                                             "currency": "NOK", "debtor": {"name": "Kari", "language": "nb"}}))
    assert run(["render", path, "case.json", "--step", "reminder-1"], out, err) == 0, err.getvalue()
    assert "Hei fra Acme" in out.getvalue()
    out = io.StringIO()
    assert run(["render", path, "case.json", "--step", "collection-notice"], out, err) == 0, err.getvalue()
    assert "Inkassovarsel" in out.getvalue()  # the base's template


@settings(max_examples=40, deadline=None)
@given(due=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
       paid=st.one_of(st.none(), st.integers(1, 60)))
def test_removing_an_unreferenced_step_removes_exactly_its_actions(due, paid):
    base = _PLANS["base"]
    without = _PLANS["without-link"]
    events = [] if paid is None else [{"type": "payment", "date": (due + dt.timedelta(days=paid)).isoformat(),
                                       "amount": "9500.00"}]
    c = case(due_date=due.isoformat(), events=events)
    expected = [a for a in evaluate(base, c).actions if a.step != "creditor-status-link"]
    assert [a.to_dict() for a in evaluate(without, c).actions] == [a.to_dict() for a in expected]


def _plans() -> dict:
    base = load_ruleset(ROOT / "rulesets/no/standard.yaml")
    without = parse_ruleset(HEAD.format(id="x") + "extends: no-standard\nsteps:\n"
                            "  - id: creditor-status-link\n    remove: true\n")
    return {"base": compile(base), "without-link": compile(without)}


_PLANS = _plans()


# ------------------------------------------------------------------ findings in the right file

def test_an_error_in_the_extension_points_into_it_with_the_column(tree):
    path = write("a.yaml", "steps:\n  - id: reminder-1\n    at: reminder-9 + 2 days\n")
    [msg] = problems(path)
    assert msg.startswith(f"{path}:{line_of(path, 'reminder-9')}:9: unknown-step: unknown step 'reminder-9'")


def test_an_error_in_an_inherited_field_points_into_the_base(tree):
    base = Path("rulesets/no/broken.yaml")  # beside the rate file it names
    text = Path("rulesets/no/standard.yaml").read_text(encoding="utf-8")
    base.write_text(text.replace("id: no-standard", "id: broken-base")
                    .replace("when: not facts.eviction_warning_opt_out", "when: not facts.opt_out"), encoding="utf-8")
    # The base cannot be loaded on its own; an extension that declares the fact repairs it.
    assert any("expr-unknown-name" in m for m in problems(str(base)))
    ok = write("fix.yaml", "facts:\n  opt_out: {type: boolean, default: false}\n", extends="broken-base")
    load_ruleset(ok)
    bad = write("bad.yaml", "steps:\n  - id: eviction-warning\n    also_when: facts.other\n", extends="broken-base")
    [msg] = problems(bad)
    line = line_of(str(base), "facts.opt_out")  # '    when: not facts.opt_out': column 15
    assert msg.startswith(f"{base}:{line}:15: expr-unknown-name: in '(not facts.opt_out) and (facts.other)': "
                          "unknown name facts.opt_out")


def test_an_error_in_an_added_condition_points_into_the_extension(tree):
    bad = write("bad.yaml", "steps:\n  - id: eviction-warning\n    also_when: outstanding > 0 and facts.other\n")
    [msg] = problems(bad)  # '    also_when: outstanding > 0 and ': facts.other at column 36
    assert msg.startswith(f"{bad}:{line_of(bad, 'facts.other')}:36: expr-unknown-name: ")


def test_lint_findings_point_at_the_file_that_broke_the_law(tree):
    path = write("short.yaml", "steps:\n  - id: collection-notice\n    deadline: {after: 10 days, roll: none}\n")
    out, err = io.StringIO(), io.StringIO()
    assert run(["lint", path], out, err) == 3
    assert f"{path}:{line_of(path, 'deadline')}:" in out.getvalue()


# ------------------------------------------------------------------ bad extensions

@pytest.mark.parametrize("extends, code", [
    ("../../outside.yaml", "outside-tree"),
    ("/etc/passwd.yaml", "outside-tree"),
    ("../no/standrd.yaml", "extends-not-found"),
    ("no-standrd", "extends-not-found"),
])
def test_a_base_that_cannot_be_used(tree, extends, code):
    (tree / "outside.yaml").write_text(HEAD.format(id="outside"), encoding="utf-8")
    path = write("a.yaml", "", extends=extends)
    [msg] = problems(path)
    assert msg.startswith(f"{path}:5:10: {code}: ")
    if extends == "no-standrd":
        assert "did you mean 'no-standard'?" in msg
    if extends == "../no/standrd.yaml":
        assert "did you mean '../no/standard.yaml'?" in msg


def test_a_cycle_is_located_at_the_extends_that_closes_it(tree):
    write("b.yaml", "", ruleset_id="b", extends="c.yaml")
    c = write("c.yaml", "", ruleset_id="c", extends="b")
    [msg] = problems("rulesets/acme/b.yaml")
    assert msg == (f"{c}:5:10: extends-cycle: extends goes round in a circle: rulesets/acme/b.yaml -> "
                   f"{c} -> rulesets/acme/b.yaml")
    [msg] = problems(write("self.yaml", "", ruleset_id="self", extends="self"))
    assert "extends-cycle" in msg


def test_a_chain_too_long(tree):
    previous = "../no/standard.yaml"
    for n in range(MAX_CHAIN + 2):
        path = write(f"l{n}.yaml", "", ruleset_id=f"l{n}", extends=previous)
        previous = f"l{n}.yaml"
    assert "extends-too-deep" in problems(path)[0]


def test_two_files_with_the_id_asked_for(tree):
    write("x1.yaml", "", ruleset_id="twin")
    write("x2.yaml", "", ruleset_id="twin")
    [msg] = problems(write("a.yaml", "", extends="twin"))
    assert "extends-ambiguous" in msg and "x1.yaml" in msg and "x2.yaml" in msg


def test_every_merge_problem_in_one_round(tree):
    path = write("a.yaml", """jurisdiction: "SE"
unset: [creditor]
steps:
  - id: eviction-warning
    remove: true
  - id: reminder-1
    remove: true
    title: gone
  - id: reminder-3
    after: remindr-2
    action: reminder
    at: due + 12 dayz
  - id: reminder-2
    before: invoice
    after: invoice
  - id: payment-demand
    unset: [fee]
  - id: nosuch
    title: x
  - id: invoice
    title: a
  - id: invoice
    title: b
""", ruleset_id="no-standard")
    found = problems(path)
    codes = sorted(m.split(": ")[1] for m in found)
    assert codes == sorted(["extends-same-id", "extends-jurisdiction", "unset-not-set", "removed-step-used",
                            "extends-conflict", "unknown-step", "expr-syntax", "extends-conflict",
                            "unset-not-set", "unknown-step", "duplicate-step"]), found
    removed = next(m for m in found if "removed-step-used" in m)
    assert "step 'eviction-petition' still uses it in at (rulesets/no/standard.yaml:" in removed
    assert next(m for m in found if "remindr-2" in m).endswith("did you mean 'reminder-2'?")
    assert all(m.startswith(path + ":") for m in found)


def test_schema_errors_of_an_extension_are_its_own(tree):
    path = write("a.yaml", "steps:\n  - id: reminder-1\n    whn: x\n  - id: reminder-2\n    remove: yes\n")
    found = problems(path)
    assert any("unknown-key: unknown key 'whn' in steps.0; did you mean 'when'?" in m for m in found)
    assert any(":5:13: " in m and "wrong-type" in m or "invalid-value" in m for m in found), found


def test_schema_errors_after_the_merge_point_into_the_extension(tree):
    one = write("one.yaml", "steps:\n  - {id: only, action: reminder, at: due + 5 days}\n", ruleset_id="one",
                extends="")
    Path(one).write_text(Path(one).read_text().replace('title: T', 'title: T\njurisdiction: "NO"\ncurrency: NOK\n'
                                                       'language: nb\ncalendar: {country: "NO"}'), encoding="utf-8")
    load_ruleset(one)
    path = write("a.yaml", "steps:\n  - id: only\n    remove: true\n", extends="one")
    [msg] = problems(path)
    assert msg.startswith(f"{path}:7:3: invalid-value: steps: ") and "should be non-empty" in msg


# ------------------------------------------------------------------ show

def _show(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["show", *args], out, err)
    return code, out.getvalue(), err.getvalue()


def test_show_effective_names_the_file_and_line_of_every_field():
    path = "rulesets/examples/se-phone-first.yaml"
    code, out, err = _show(str(ROOT / path), "--effective")
    assert (code, err) == (0, "")
    rows = [line for line in out.splitlines() if not line.startswith("#")]
    assert rows and all("  # " in line for line in rows)
    for line in rows:  # each origin's line holds the key (or the list item) it is quoted for
        text, origins = line.rsplit("  # ", 1)
        key = text.strip().lstrip("- ").split(":")[0]
        for origin in origins.split(", "):
            file, number = origin.rsplit(":", 1)
            assert key in Path(file).read_text(encoding="utf-8").splitlines()[int(number) - 1], line
    assert any("at: due + 4 days" in r and "se-phone-first.yaml:" in r for r in rows)
    assert any("legal_basis:" in r and "rulesets/se/standard.yaml:" in r for r in rows)


@pytest.mark.parametrize("example, base", [("se-phone-first", "se"), ("no-without-eviction-warning", "no")])
def test_show_effective_is_itself_the_ruleset(tmp_path, example, base):
    """Saved beside the base (where its rate file is), the shown YAML loads as the same ruleset."""
    folder = tmp_path / base
    shutil.copytree(ROOT / "rulesets" / base, folder)
    code, out, _ = _show(str(EXAMPLES / f"{example}.yaml"), "--effective")
    (folder / "effective.yaml").write_text(out, encoding="utf-8")
    shown = load_ruleset(folder / "effective.yaml")
    original = load_ruleset(EXAMPLES / f"{example}.yaml")
    assert shown.model_dump() == original.model_dump()
    assert shown._origin.sha256 == original._origin.sha256


def test_show_json_gives_origins_by_json_pointer():
    code, out, err = _show(str(EXAMPLES / "no-without-eviction-warning.yaml"), "--effective", "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["files"][1].endswith("rulesets/no/standard.yaml")
    steps = [s["id"] for s in data["ruleset"]["steps"]]
    at = data["origins"][f"/steps/{steps.index('payment-plan-offer')}/at"]
    assert len(at) == 1 and "no-without-eviction-warning.yaml:" in at[0]
    assert "rulesets/no/standard.yaml:" in data["origins"]["/calendar/country"][0]


def test_show_without_effective_is_the_file_as_written():
    code, out, _ = _show(str(EXAMPLES / "no-without-eviction-warning.yaml"))
    assert code == 0 and "\nextends: ../no/standard.yaml " in out and "remove: true" in out
    assert "rulesets/no/standard.yaml" not in out


def test_show_refuses_what_does_not_load(tree):
    path = write("a.yaml", "", extends="nothing-here")
    code, out, err = _show(path, "--effective")
    assert (code, out) == (1, "") and "extends-not-found" in err


@pytest.mark.parametrize("doc, example", [("docs/dsl.md", "se-phone-first"),
                                          ("docs/review.md", "no-without-eviction-warning")])
def test_the_show_output_quoted_in_the_docs_is_current(monkeypatch, doc, example):
    monkeypatch.chdir(ROOT)
    code, out, _ = _show(f"rulesets/examples/{example}.yaml", "--effective")
    quoted = [line for line in (ROOT / doc).read_text(encoding="utf-8").splitlines() if "  # rulesets/" in line]
    assert len(quoted) >= 5
    for line in quoted:
        assert line in out.splitlines(), f"{doc} quotes a line `show --effective` no longer prints: {line}"


def test_a_test_file_given_as_a_ruleset_says_what_it_is():
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(EXAMPLES / "se-phone-first.test.yaml")], out, err) == 1
    assert err.getvalue().count("\n") == 1 and "not-a-ruleset: this is a ruleset test file" in err.getvalue()


def test_validate_says_what_a_ruleset_extends():
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(EXAMPLES / "no-without-eviction-warning.yaml")], out, err) == 0
    assert out.getvalue().rstrip().endswith("7 steps, extends rulesets/no/standard.yaml)") or \
        out.getvalue().rstrip().endswith("/rulesets/no/standard.yaml)")


def test_a_condition_joined_over_three_files_locates_each_part(tree):
    write("mid.yaml", "steps:\n  - id: eviction-warning\n    also_when: outstanding > 0\n", ruleset_id="mid")
    top = write("top.yaml", "steps:\n  - id: eviction-warning\n    also_when: days_overdue > 1 and facts.zzz\n",
                ruleset_id="top", extends="mid")
    [msg] = problems(top)  # '    also_when: days_overdue > 1 and ' is 36 characters: facts.zzz at column 37
    assert msg.startswith(f"{top}:{line_of(top, 'facts.zzz')}:37: expr-unknown-name: in "
                          "'((not facts.eviction_warning_opt_out) and (outstanding > 0)) and "
                          "(days_overdue > 1 and facts.zzz)'")
    Path(top).write_text(Path(top).read_text().replace("facts.zzz", "outstanding > 5"), encoding="utf-8")
    code, out, _ = _show(top, "--effective")
    [when] = [line for line in out.splitlines() if line.lstrip().startswith("when: ") and "days_overdue > 1" in line]
    files = [origin.rsplit(":", 1)[0] for origin in when.rsplit("  # ", 1)[1].split(", ")]
    assert files == ["rulesets/no/standard.yaml", "rulesets/acme/mid.yaml", top]


# ------------------------------------------------------------------ any patch: a ruleset or located findings

_BASE_IDS = ["invoice", "reminder-1", "reminder-2", "collection-notice", "eviction-warning",
             "creditor-status-link", "payment-demand", "eviction-petition"]
_IDS = st.sampled_from(_BASE_IDS + ["new-step", "reminder-3", "remindr-1"])
_PATCH = st.fixed_dictionaries({"id": _IDS}, optional={
    "remove": st.just(True),
    "before": _IDS, "after": _IDS,
    "also_when": st.sampled_from(["outstanding > 100", "facts.nope", "reminder-1.planned", "((", "not"]),
    "unset": st.lists(st.sampled_from(["fee", "when", "deadline", "title", "roll"]), max_size=2, unique=True),
    "action": st.sampled_from(["reminder", "x-call", "nonsense"]),
    "at": st.sampled_from(["due + 3 days", "reminder-1 + 1 business day", "eviction-warning", "due +"]),
    "title": st.just("Changed"),
})


@settings(max_examples=150, deadline=None)
@given(patches=st.lists(_PATCH, max_size=5), jurisdiction=st.sampled_from([None, "NO", "SE"]))
def test_any_extension_loads_or_gives_located_findings(patches, jurisdiction):
    data = {"dunningrules": 1, "extends": "no-standard", "id": "fuzz", "version": "1", "title": "F",
            "steps": patches}
    if jurisdiction:
        data["jurisdiction"] = jurisdiction
    try:
        rs = parse_ruleset(json.dumps(data), "fuzz.yaml")
    except RulesetError as e:
        assert e.findings
        for f in e.findings:
            assert f.line >= 1 and f.col >= 1, f
            assert f.path == "fuzz.yaml" or f.path.endswith("rulesets/no/standard.yaml"), f
        return
    ids = [s.id for s in rs.steps]
    assert len(ids) == len(set(ids))
    removed = {p["id"] for p in patches if p.get("remove")}
    assert not removed & set(ids)


def test_explain_marks_what_the_extension_added_and_changed(tree):
    write("mid.yaml", "steps:\n  - id: eviction-warning\n    also_when: outstanding > 0\n", ruleset_id="mid")
    top = write("top.yaml", "steps:\n  - id: eviction-warning\n    also_when: outstanding > 5\n"
                "  - id: call\n    action: x-call\n    at: due + 2 days\n  - id: invoice\n    title: Faktura\n",
                ruleset_id="top", extends="mid")
    out, err = io.StringIO(), io.StringIO()
    assert run(["explain", top], out, err) == 0, err.getvalue()
    steps_table = out.getvalue().split("## Steps")[1].split("## Example timeline")[0]
    rows = {line.split("`")[1]: line for line in steps_table.splitlines() if line.startswith("| ") and "`" in line}
    assert "(changed in mid.yaml: when; top.yaml: when)" in rows["eviction-warning"]
    assert "(added in top.yaml)" in rows["call"]
    assert "(changed in top.yaml: title)" in rows["invoice"]
    assert "changed in" not in rows["reminder-1"] and "added in" not in rows["reminder-1"]
    html_out = io.StringIO()
    assert run(["explain", top, "--format", "html"], html_out, err) == 0
    assert '<em class="provenance">added in top.yaml</em>' in html_out.getvalue()


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=40), st.text(st.characters(codec="utf-8"), max_size=10), st.sampled_from(["NO", "yes", "off", "12-24", "2026.1", "1/20",
                                                               "null", "~", "-x", ". a", "a #b", "a: b", "8 days", "...", "---"])))
def test_show_writes_every_string_so_that_it_reads_back_the_same(value):
    from dunningrules._show import _scalar
    from dunningrules._yaml import load_yaml

    back = load_yaml(f"k: {_scalar(value)}\n").data["k"]
    assert back == value
    assert yaml_safe_load(f"k: {_scalar(value)}\n")["k"] == value  # and so does any YAML reader


def yaml_safe_load(text):
    import yaml
    return yaml.safe_load(text)


def test_effective_ruleset_is_the_api_twin_of_show_json():
    from dunningrules import effective_ruleset

    path = str(EXAMPLES / "no-without-eviction-warning.yaml")
    code, out, _ = _show(path, "--effective", "--format", "json")
    assert effective_ruleset(load_ruleset(path)) == json.loads(out)
    with pytest.raises(ValueError):
        effective_ruleset(Ruleset.model_validate(load_ruleset(path).model_dump()))  # built in code: no files


# ------------------------------------------------------------------ found in review

def test_the_tree_is_found_from_the_real_path_not_the_typed_one(tree, monkeypatch):
    write("a.yaml", "")
    monkeypatch.chdir(tree / "rulesets" / "acme")
    assert load_ruleset("a.yaml").id == "acme"          # '../no/standard.yaml' is inside rulesets/
    Path("b.yaml").write_text(HEAD.format(id="b") + "extends: no-standard\n", encoding="utf-8")
    assert load_ruleset("b.yaml")._origin.files[1] == str(tree / "rulesets/no/standard.yaml")  # the tree's, not the shipped one


def test_also_when_cannot_break_out_of_its_parentheses(tree):
    path = write("a.yaml", "steps:\n  - id: eviction-warning\n    also_when: false) or (true\n")
    [msg] = problems(path)
    assert msg.startswith(f"{path}:{line_of(path, 'false)')}:21: expr-syntax: in 'false) or (true'")


def test_removed_step_used_by_an_added_condition_names_that_file(tree):
    path = write("a.yaml", "steps:\n  - id: reminder-1\n    remove: true\n"
                 "  - id: eviction-warning\n    also_when: reminder-1.planned\n")
    [msg] = problems(path)
    assert f"still uses it in when ({path}:{line_of(path, 'reminder-1.planned')})" in msg


def test_unset_then_given_again_replaces_instead_of_merging(tree):
    rs = load_ruleset(write("a.yaml", "unset: [facts]\nfacts:\n  other: {type: boolean, default: false}\n"
                            "steps:\n  - id: eviction-warning\n    unset: [when, when]\n"))
    assert set(rs.facts) == {"other"}
    assert next(s for s in rs.steps if s.id == "eviction-warning").when is None


def test_steps_placed_after_one_anchor_keep_the_files_order(tree):
    rs = load_ruleset(write("a.yaml", "steps:\n"
                            "  - {id: n3, after: reminder-2, action: x-a, at: due + 11 days}\n"
                            "  - {id: n4, after: reminder-2, action: x-b, at: due + 11 days}\n"
                            "  - {id: n5, before: reminder-2, action: x-c, at: due + 9 days}\n"))
    ids = [s.id for s in rs.steps]
    assert ids[ids.index("n5"):ids.index("n4") + 1] == ["n5", "reminder-2", "n3", "n4"]


def test_a_base_with_a_byte_order_mark_is_found_by_id(tree):
    text = Path("rulesets/no/standard.yaml").read_text(encoding="utf-8").replace("id: no-standard", "id: bom-base")
    Path("rulesets/no/bom.yaml").write_text("\ufeff" + text, encoding="utf-8")
    assert load_ruleset(write("a.yaml", "", extends="bom-base")).id == "acme"


def test_an_expression_cut_short_is_located_at_its_end_not_the_next_key(tmp_path):
    text = (HEAD.format(id="short") + 'jurisdiction: "NO"\ncurrency: NOK\nlanguage: nb\ncalendar: {country: "NO"}\n'
            "steps:\n  - id: s1\n    action: reminder\n    at: due +\n\n    channels: [sms]\n")
    path = tmp_path / "short.yaml"
    path.write_text(text, encoding="utf-8")
    [msg] = problems(str(path))
    assert msg.startswith(f"{path}:12:14: expr-syntax:")  # just after the "+"
