"""Ruleset tests, promtool style (``dunningrules._testing``).

What a company sees when it tests its own ruleset: the shipped test files pass
and reach every step; a failing expectation prints an exp/got diff and exits 1;
``--run`` selects tests by name; ``--junit`` writes valid JUnit XML; every
problem in a test file or its case is a located, coded finding (exit 1, no
traceback); ``expect: []`` asserts that nothing is planned.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from dunningrules._testing import add_arguments, command, run_tests

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [ROOT / "rulesets" / "no" / "standard.test.yaml", ROOT / "rulesets" / "se" / "standard.test.yaml"]
EXAMPLES = sorted((ROOT / "rulesets" / "examples").glob("*.test.yaml"))
FINDING = re.compile(r"^(.+):(\d+):(\d+): ([a-z0-9-]+): (.+)$")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)
COVERAGE = re.compile(r"^coverage (.+): (\d+) of (\d+) steps reached(?:; never planned by a test: (.+))?$", re.M)

CASE = """\
    case:
      id: T-1
      due_date: 2026-03-18
      amount: "9500.00"
      currency: NOK
      debtor: {name: Kari Nordmann, language: nb}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the Norwegian ruleset (with its rates and templates) to put test files beside."""
    target = tmp_path / "no"
    shutil.copytree(ROOT / "rulesets" / "no", target, ignore=shutil.ignore_patterns("*.test.yaml"))
    return target


def write(folder: Path, body: str, name: str = "t.test.yaml", ruleset: str = "standard.yaml") -> Path:
    path = folder / name
    path.write_text(f"dunningrules-test: 1\nruleset: {ruleset}\ntests:\n{body}", encoding="utf-8")
    return path


def run(paths: list[Path | str], **kw: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_tests([str(p) for p in paths], out=out, err=err, **kw)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def findings(err: str) -> list[tuple[str, int, int, str, str]]:
    """Every stderr line parsed as PATH:LINE:COL: CODE: message (and it must parse)."""
    parsed = []
    for line in err.splitlines():
        m = FINDING.match(line)
        assert m, f"not a located finding: {line!r}"
        parsed.append((m[1], int(m[2]), int(m[3]), m[4], m[5]))
    return parsed


# ------------------------------------------------------------------ the shipped test files

@pytest.mark.parametrize("path", SHIPPED + EXAMPLES, ids=lambda p: p.name if "examples" in p.parts else p.parent.name)
def test_shipped_test_files_pass_and_reach_every_step(path: Path) -> None:
    code, out, err = run([path])
    assert (code, err) == (0, ""), out + err
    passed, failed = map(int, SUMMARY.search(out).groups())  # type: ignore[union-attr]
    assert failed == 0 and passed >= (5 if path in SHIPPED else 3)
    [(ruleset, reached, total, missing)] = COVERAGE.findall(out)
    assert Path(ruleset).resolve() == path.with_name(path.name.replace(".test.yaml", ".yaml")).resolve()
    assert reached == total and not missing, out


def test_every_example_ruleset_has_a_test_file() -> None:
    rulesets = sorted(p for p in (ROOT / "rulesets" / "examples").glob("*.yaml") if not p.name.endswith(".test.yaml"))
    assert len(rulesets) >= 2
    assert [p.with_name(p.stem + ".test.yaml") for p in rulesets] == EXAMPLES


def test_all_shipped_tests_found_in_a_folder() -> None:
    code, out, err = run([ROOT / "rulesets"])
    assert (code, err) == (0, "")
    assert len(COVERAGE.findall(out)) == 2 + len(EXAMPLES)
    assert out.splitlines()[-1] == SUMMARY.search(out)[0]  # type: ignore[index]


def test_shipped_worked_dates_match_domain_notes() -> None:
    """DOMAIN.md §3's worked dates are literal expectations in the shipped files."""
    no = SHIPPED[0].read_text(encoding="utf-8")
    for date in ("2026-03-23", "2026-03-30", "2026-04-07"):
        assert f"date: {date}" in no
    se = SHIPPED[1].read_text(encoding="utf-8")
    assert "date: 2026-06-22" in se  # day 14 = midsommarafton 19 Jun moves to Mon 22 Jun


# ------------------------------------------------------------------ passing and failing

def test_passing_test_prints_only_coverage_and_summary(folder: Path) -> None:
    path = write(folder, "  - name: ok\n" + CASE + "    expect:\n      - {step: reminder-1, date: 2026-03-23}\n")
    code, out, err = run([path])
    assert (code, err) == (0, "")
    assert "FAIL" not in out
    assert SUMMARY.search(out)[0] == "1 passed, 0 failed"  # type: ignore[index]


def test_failing_expectation_prints_diff_and_exits_1(folder: Path) -> None:
    path = write(folder, "  - name: second reminder\n" + CASE + """\
    expect:
      - {step: reminder-1, date: 2026-03-23}
      - {step: reminder-2, date: 2026-03-31, claim: {total: "9537.48"}}
""")
    code, out, err = run([path])
    assert code == 1 and err == ""
    assert f"FAIL {path}:4 second reminder" in out.splitlines()
    assert "  expected action 2 (line 13) matched no action:" in out
    assert "    exp: {step: reminder-2, date: 2026-03-31}   (equal: claim)" in out
    assert "    got: {step: reminder-2, date: 2026-03-30}   <- date differs" in out
    assert SUMMARY.search(out)[0] == "0 passed, 1 failed"  # type: ignore[index]


def test_diff_narrows_claim_and_text_to_what_differs(folder: Path) -> None:
    path = write(folder, "  - name: notice\n" + CASE + """\
    expect:
      - step: collection-notice
        fee: "37.50"
        claim: {fees: "37.50", total: "9599.00"}
        text: {language: nb, body_contains: ["Å betale: 9 599,97 kr", "Betalingsfrist: 22. april 2026"]}
""")
    code, out, _ = run([path])
    assert code == 1
    assert ("    exp: {step: collection-notice, claim: {total: 9599.00}, text: {body_contains: "
            "[\"Betalingsfrist: 22. april 2026\"]}}   (equal: fee)") in out
    assert ("    got: {step: collection-notice, claim: {total: 9599.97}, text: {body_lacks: "
            "[\"Betalingsfrist: 22. april 2026\"]}}   <- claim, text differ") in out


def test_closest_actions_share_the_step_or_action(folder: Path) -> None:
    path = write(folder, "  - name: wrong day\n" + CASE + "    expect:\n      - {action: reminder, date: 2026-03-24}\n")
    code, out, _ = run([path])
    assert code == 1
    got = [line for line in out.splitlines() if "<- date differs" in line]
    assert [g.split("{")[1].split(",")[0] for g in got] == ["step: reminder-1", "step: reminder-2"]


def test_each_expectation_needs_its_own_action(folder: Path) -> None:
    two = "    expect:\n" + "      - {action: reminder}\n" * 2
    three = "    expect:\n" + "      - {action: reminder}\n" * 3
    path = write(folder, "  - name: two\n" + CASE + two + "  - name: three\n" + CASE + three)
    code, out, _ = run([path])
    assert code == 1
    assert "FAIL" in out and "three" in out and "FAIL {}:4 two".format(path) not in out
    assert "only actions that other expectations of this test matched already" in out
    assert SUMMARY.search(out)[0] == "1 passed, 1 failed"  # type: ignore[index]


def test_money_compares_as_numbers_and_dates_as_iso(folder: Path) -> None:
    path = write(folder, "  - name: fee\n" + CASE + """\
    expect:
      - {step: collection-notice, fee: 37.5, deadline: "2026-04-21", claim: {interest: 62.47}}
      - {step: reminder-1, fee: null}
""")
    assert run([path])[0] == 0


def test_text_fragments_match_any_white_space(folder: Path) -> None:
    # The notice writes 9\u00a0599,97\u00a0kr; a person types plain spaces or breaks the line.
    path = write(folder, "  - name: text\n" + CASE + """\
    expect:
      - step: collection-notice
        text:
          subject_contains: [Inkassovarsel, sak T-1]
          body_contains: |
            Å betale:
            9 599,97 kr
""")
    code, out, err = run([path])
    assert code == 0, out + err


def test_text_null_when_the_claim_is_unknown(folder: Path) -> None:
    # No late-interest rate after mid-2026 in rates.yaml: no notice states a guessed amount.
    body = CASE.replace("2026-03-18", "2026-10-01")
    path = write(folder, "  - name: no text\n" + body + "    expect:\n      - {step: reminder-1, text: null, claim: null}\n")
    assert run([path])[0] == 0


def test_status_and_occurrence(folder: Path) -> None:
    path = write(folder, "  - name: opt out\n" + CASE + """\
      facts: {eviction_warning_opt_out: true}
    expect:
      - {step: eviction-warning, status: skipped, date: 2026-04-07}
      - {step: eviction-petition, status: skipped, date: null, occurrence: null}
""")
    code, out, err = run([path])
    assert code == 0, out + err


def test_expect_exactly_lists_unexpected_planned_actions(folder: Path) -> None:
    path = write(folder, "  - name: exactly\n" + CASE + """\
    expect_exactly: true
    expect:
      - {step: invoice}
      - {step: reminder-1}
""")
    code, out, _ = run([path])
    assert code == 1
    assert "  planned actions that no expectation matched (expect_exactly):" in out
    assert "    got: {step: reminder-2, action: reminder, date: 2026-03-30}" in out
    assert "step: invoice," not in out  # matched, so not listed


def test_coverage_is_the_union_over_test_files_and_a_file_runs_once(folder: Path) -> None:
    paid = CASE.replace("      debtor:", "      events: [{type: payment, date: 2026-03-01, amount: \"9500.00\"}]\n      debtor:")
    a = write(folder, "  - name: nothing\n" + paid + "    expect: []\n", name="a.test.yaml")
    b = write(folder, "  - name: opted out\n" + CASE + "      facts: {eviction_warning_opt_out: true}\n"
              "    expect: [{step: eviction-warning, status: skipped}]\n", name="b.test.yaml")
    code, out, err = run([a, b, folder, a])
    assert (code, err) == (0, ""), out
    assert SUMMARY.search(out)[0] == "2 passed, 0 failed"  # type: ignore[index]
    [(_, reached, total, missing)] = COVERAGE.findall(out)
    assert (reached, total, missing) == ("6", "8", "eviction-warning, eviction-petition")


# ------------------------------------------------------------------ expect: []

def test_empty_expect_passes_when_nothing_is_planned(folder: Path) -> None:
    path = write(folder, """\
  - name: paid before the invoice
    case:
      id: T-2
      due_date: 2026-10-01
      amount: "9000.00"
      currency: NOK
      events: [{type: payment, date: 2026-09-15, amount: "9000.00"}]
    expect: []
""")
    code, out, err = run([path])
    assert (code, err) == (0, ""), out
    # Nothing planned: no step reached.
    [(_, reached, total, missing)] = COVERAGE.findall(out)
    assert (reached, total) == ("0", "8") and missing.startswith("invoice, reminder-1")


def test_empty_expect_fails_on_any_planned_action(folder: Path) -> None:
    path = write(folder, "  - name: nothing\n" + CASE + "    as_of: 2026-03-01\n    expect: []\n")
    code, out, _ = run([path])
    assert code == 1
    assert "  expected no planned action, got:" in out
    assert out.count("    got: {step: ") == 8


# ------------------------------------------------------------------ --run, case_file, JUnit, CLI

def test_run_selects_tests_by_name() -> None:
    code, out, err = run([SHIPPED[0]], run=r"opted out")
    assert (code, err) == (0, "")
    assert SUMMARY.search(out)[0] == "1 passed, 0 failed"  # type: ignore[index]
    [(_, reached, total, missing)] = COVERAGE.findall(out)
    assert (reached, total) == ("6", "8") and missing == "eviction-warning, eviction-petition"


def test_run_matching_nothing_fails() -> None:
    code, out, _ = run([SHIPPED[0]], run="no such test")
    assert code == 1
    assert "no test name matches --run 'no such test'" in out


def test_run_with_a_bad_regex_is_a_usage_error() -> None:
    code, _, err = run([SHIPPED[0]], run="(")
    assert code == 2 and "--run" in err


def test_case_file(folder: Path) -> None:
    (folder / "cases").mkdir()
    (folder / "cases" / "one.json").write_text(
        '{"id": "T-3", "due_date": "2026-03-18", "amount": "9500.00", "currency": "NOK"}', encoding="utf-8")
    path = write(folder, "  - name: from a file\n    case_file: cases/one.json\n"
                         "    expect: [{step: collection-notice, date: 2026-04-07}]\n")
    code, out, err = run([path])
    assert (code, err) == (0, ""), out


def test_junit_report(folder: Path, tmp_path: Path) -> None:
    path = write(folder, "  - name: passes\n" + CASE + "    expect: [{step: invoice, date: 2026-03-06}]\n"
                 "  - name: also passes\n" + CASE + "    expect: [{step: reminder-1}]\n"
                 "  - name: fails\n" + CASE + "    expect: [{step: invoice, date: 2026-03-09}]\n"
                 "  - name: broken\n" + CASE + "    expect: [{step: invoce}]\n")
    report = tmp_path / "junit.xml"
    code, out, err = run([path], junit=str(report))
    assert code == 1
    root = ET.parse(report).getroot()  # valid XML
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    [suite] = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        str(path), "4", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["passes", "also passes", "fails", "broken"]
    assert cases["passes"].find("failure") is None and cases["passes"].find("error") is None
    failure = cases["fails"].find("failure")
    assert failure is not None and "exp: {step: invoice, date: 2026-03-09}" in (failure.text or "")
    error = cases["broken"].find("error")
    assert error is not None and error.get("type") == "test-unknown-step"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["ruleset"] == str(folder / "standard.yaml")


def test_junit_for_the_shipped_files(tmp_path: Path) -> None:
    report = tmp_path / "out.xml"
    code, out, _ = run(SHIPPED, junit=str(report))
    assert code == 0
    root = ET.parse(report).getroot()
    passed = int(SUMMARY.search(out)[1])  # type: ignore[index]
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (str(passed), "0", "0")
    assert [s.get("name") for s in root.findall("testsuite")] == [str(p) for p in SHIPPED]


def test_command_line_arguments(folder: Path) -> None:
    parser = argparse.ArgumentParser(prog="dunningrules test")
    add_arguments(parser)
    ns = parser.parse_args([str(SHIPPED[0]), "--run", "worked", "--junit", str(folder / "j.xml")])
    out, err = io.StringIO(), io.StringIO()
    assert command(ns, out, err) == 0
    assert SUMMARY.search(out.getvalue())[0] == "1 passed, 0 failed"  # type: ignore[index]
    assert (folder / "j.xml").is_file()


# ------------------------------------------------------------------ bad input: located, coded, exit 1

BAD = [
    # (id, tests body or whole file, expected (code, line, col) findings, message fragment)
    ("unknown-step", "  - name: x\n" + CASE + "    expect: [{step: reminder-3}]\n",
     [("test-unknown-step", 11, 21)], "did you mean 'reminder-2'?"),
    ("unknown-action", "  - name: x\n" + CASE + "    expect: [{action: remindr}]\n",
     [("test-unknown-action", 11, 23)], "did you mean 'reminder'?"),
    ("unknown-key-in-expectation", "  - name: x\n" + CASE + "    expect: [{stauts: planned}]\n",
     [("test-unknown-key", 11, 15)], "did you mean 'status'?"),
    ("unknown-key-in-test", "  - name: x\n" + CASE + "    expcet: []\n",
     [("test-unknown-key", 11, 5), ("test-missing-key", 4, 5)], "did you mean 'expect'?"),
    ("unknown-key-in-claim", "  - name: x\n" + CASE + "    expect: [{claim: {totl: 1}}]\n",
     [("test-unknown-key", 11, 23)], "did you mean 'total'?"),
    ("unknown-key-in-text", "  - name: x\n" + CASE + "    expect: [{text: {body_contain: x}}]\n",
     [("test-unknown-key", 11, 22)], "did you mean 'body_contains'?"),
    ("missing-name", CASE.replace("    case:", "  - case:", 1) + "    expect: []\n",
     [("test-missing-key", 4, 5)], "name is missing"),
    ("missing-case", "  - name: x\n    expect: []\n", [("test-missing-key", 4, 5)], "case"),
    ("case-and-case-file", "  - name: x\n    case_file: a.json\n" + CASE + "    expect: []\n",
     [("test-invalid-value", 5, 5)], "not both"),
    ("bad-values", "  - name: x\n" + CASE + "    as_of: 2026-02-30\n    expect_exactly: yes\n"
     "    expect: [{date: 2026-3-1, fee: abc, status: plan, occurrence: 0}, {}]\n",
     [("test-invalid-value", 11, 12), ("test-invalid-value", 12, 21), ("test-invalid-value", 13, 21),
      ("test-invalid-value", 13, 36), ("test-invalid-value", 13, 49), ("test-invalid-value", 13, 67),
      ("test-invalid-value", 13, 71)], "did you mean 'planned'?"),
    ("expect-not-a-list", "  - name: x\n" + CASE + "    expect: {step: invoice}\n",
     [("test-invalid-value", 11, 13)], "a list"),
    ("duplicate-name", "  - name: x\n" + CASE + "    expect: []\n  - name: x\n" + CASE + "    expect: []\n",
     [("test-duplicate-name", 12, 11)], "line 4"),
    ("inline-case-invalid", """\
  - name: x
    case:
      id: T-1
      due_date: 2026-02-30
      amount: "-5"
      currency: NOK
      detbor: {name: Kari}
    expect: []
""", [("case-invalid-date", 7, 17), ("case-negative-amount", 8, 15), ("case-unknown-field", 10, 7)],
     "did you mean 'debtor'?"),
    ("inline-case-missing-field", "  - name: x\n    case: {id: T-1, amount: \"1.00\", currency: NOK}\n    expect: []\n",
     [("case-missing-field", 5, 11)], "due_date is required"),
    ("inline-case-not-a-mapping", "  - name: x\n    case: [1, 2]\n    expect: []\n",
     [("case-invalid", 5, 11)], "a case is a mapping"),
    ("case-does-not-fit-the-ruleset", "  - name: x\n" + CASE.replace("currency: NOK", "currency: SEK")
     + "    expect: []\n", [("case-currency-mismatch", 9, 17)], "differs from the ruleset's NOK"),
    ("missing-case-file", "  - name: x\n    case_file: nowhere.json\n    expect: []\n",
     [("test-missing-case-file", 5, 16)], "does not exist"),
    ("case-file-outside-tree", "  - name: x\n    case_file: ../elsewhere.json\n    expect: []\n",
     [("test-outside-tree", 5, 16)], "outside"),
]


@pytest.mark.parametrize("body,expected,fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_test_files(folder: Path, body: str, expected: list[tuple[str, int, int]], fragment: str) -> None:
    path = write(folder, body)
    code, out, err = run([path])
    assert code == 1
    assert "Traceback" not in out + err
    found = findings(err)
    assert {f[0] for f in found} == {str(path)}
    assert sorted((f[3], f[1], f[2]) for f in found) == sorted(expected), err
    assert fragment in err


FILES = [
    ("missing-ruleset", "dunningrules-test: 1\nruleset: standrd.yaml\ntests: []\n",
     [("test-missing-ruleset", 2, 10)], "did you mean 'standard.yaml'?"),
    ("ruleset-outside-tree", "dunningrules-test: 1\nruleset: ../../standard.yaml\ntests: []\n",
     [("test-outside-tree", 2, 10)], "outside"),
    ("unknown-top-level-key", "dunningrules-test: 1\nruleset: standard.yaml\ntest: []\n",
     [("test-unknown-key", 3, 1), ("test-missing-key", 1, 1)], "did you mean 'tests'?"),
    ("missing-ruleset-key", "dunningrules-test: 1\ntests: []\n", [("test-missing-key", 1, 1)], "ruleset"),
    ("tests-not-a-list", "dunningrules-test: 1\nruleset: standard.yaml\ntests: {}\n",
     [("test-invalid-value", 3, 8)], "a list"),
    ("version", "dunningrules-test: 2\nruleset: standard.yaml\ntests: []\n",
     [("test-unsupported-version", 1, 20)], "must be 1"),
    ("not-a-test-file", "- just\n- a list\n", [("test-not-a-test-file", 1, 1)], "dunningrules-test"),
    ("a-ruleset-given-by-mistake", "dunningrules: 1\nid: x\n", [("test-not-a-test-file", 1, 1)],
     "looks like a ruleset"),
    ("yaml-anchor", "dunningrules-test: 1\nruleset: &r standard.yaml\ntests: []\n", [("yaml-anchor", 2, 10)],
     "anchors"),
    ("yaml-syntax", "dunningrules-test: 1\nruleset: [standard.yaml\ntests: []\n", [("yaml-syntax", 3, 6)], "flow sequence"),
]


@pytest.mark.parametrize("text,expected,fragment", [f[1:] for f in FILES], ids=[f[0] for f in FILES])
def test_bad_test_file_structure(folder: Path, text: str, expected: list[tuple[str, int, int]],
                                 fragment: str) -> None:
    path = folder / "t.test.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run([path])
    assert code == 1
    assert "Traceback" not in out + err
    found = findings(err)
    assert sorted((f[3], f[1], f[2]) for f in found) == sorted(expected), err
    assert fragment in err
    assert SUMMARY.search(out)[0] == "0 passed, 0 failed"  # type: ignore[index]
    n = len(expected)  # the summary counts the problems printed above
    assert f"{n} {'error' if n == 1 else 'errors'} in test files" in out


def test_malformed_case_file_is_located_in_that_file(folder: Path) -> None:
    (folder / "broken.json").write_text('{\n  "id": "C",\n  "due_date": "2026-01-01",\n', encoding="utf-8")
    (folder / "bad-date.json").write_text(
        '{\n  "id": "C",\n  "due_date": "2026-13-01",\n  "amount": "1.00",\n  "currency": "NOK",\n'
        '  "detbor": {}\n}\n',
        encoding="utf-8")
    (folder / "list.json").write_text('[{"id": "C"}]', encoding="utf-8")
    path = write(folder, "  - name: a\n    case_file: broken.json\n    expect: []\n"
                         "  - name: b\n    case_file: bad-date.json\n    expect: []\n"
                         "  - name: c\n    case_file: list.json\n    expect: []\n")
    code, out, err = run([path])
    assert code == 1 and "Traceback" not in err
    found = findings(err)
    assert [(Path(f[0]).name, f[1], f[2], f[3]) for f in found] == [
        ("broken.json", 4, 1, "case-invalid-json"),
        ("bad-date.json", 3, 15, "case-invalid-date"),
        ("bad-date.json", 6, 3, "case-unknown-field"),  # at the key, not its value
        ("list.json", 1, 1, "case-invalid"),
    ]
    assert "4 errors in test files" in out  # one per problem printed above


def test_a_ruleset_that_does_not_load_reports_its_own_findings(folder: Path) -> None:
    (folder / "broken.yaml").write_text((folder / "standard.yaml").read_text(encoding="utf-8")
                                        .replace("stop_when: [paid]", "stop_when: [paid]\nstopp: 1"),
                                        encoding="utf-8")
    path = write(folder, "  - name: x\n" + CASE + "    expect: []\n", ruleset="broken.yaml")
    code, out, err = run([path])
    assert code == 1 and "Traceback" not in err
    found = findings(err)
    assert found and all(Path(f[0]).name == "broken.yaml" for f in found)


def test_unreadable_files_and_empty_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = run([tmp_path / "missing.test.yaml", tmp_path / "empty"])
    assert code == 1
    assert {f[3] for f in findings(err)} == {"file-unreadable", "test-no-files"}
    assert "2 errors in test files" in out


def test_other_tests_still_run_beside_a_broken_one(folder: Path) -> None:
    path = write(folder, "  - name: good\n" + CASE + "    expect: [{step: invoice}]\n"
                 "  - name: bad\n" + CASE + "    expect: [{step: nope}]\n")
    code, out, err = run([path])
    assert code == 1
    assert SUMMARY.search(out)[0] == "1 passed, 0 failed"  # type: ignore[index]
    assert "1 error in test files" in out
    assert [f[3] for f in findings(err)] == ["test-unknown-step"]


def test_unwritable_junit_path(tmp_path: Path) -> None:
    code, out, err = run([SHIPPED[0]], run="worked", junit=str(tmp_path / "no-such-folder" / "j.xml"))
    assert code == 1
    assert [f[3] for f in findings(err)] == ["file-unwritable"]


def test_a_bug_of_ours_is_one_located_line(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dunningrules._testing as testing

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(testing, "evaluate", broken)
    path = write(folder, "  - name: x\n" + CASE + "    expect: []\n")
    code, out, err = run([path])
    assert code == 1 and "Traceback" not in out + err
    assert findings(err) == [(str(path), 4, 5, "internal-error", "RuntimeError: boom (please report this)")]


# ------------------------------------------------------------------ the pre-commit hooks

def test_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"dunningrules-validate", "dunningrules-lint", "dunningrules-test"}
    for name in ("validate", "lint", "test"):
        hook = by_id[f"dunningrules-{name}"]
        assert hook["entry"] == f"dunningrules {name}"
        assert hook["language"] == "python"
        assert {"name", "files"} <= set(hook)

    def picks(hook: dict, path: str) -> bool:
        return bool(re.search(hook["files"], path)) and not re.search(hook.get("exclude", "^$"), path)

    validate = by_id["dunningrules-validate"]
    assert picks(validate, "rulesets/no/standard.yaml")
    for other in ("rulesets/no/standard.test.yaml", "rulesets/no/rates.yaml", ".pre-commit-config.yaml",
                  ".github/workflows/ci.yml", "rulesets/no/templates/nb/x.yaml", "README.md"):
        assert not picks(validate, other), other
    test = by_id["dunningrules-test"]
    assert test["pass_filenames"] is False and test["args"] == ["."]
    for changed in ("rulesets/no/standard.yaml", "rulesets/no/standard.test.yaml", "rulesets/no/rates.yaml",
                    "rulesets/no/templates/nb/reminder.j2", "rulesets/no/cases/one.json"):
        assert picks(test, changed), changed
