"""Ruleset tests, promtool style: ``dunningrules test FILE... [--run REGEX] [--junit PATH]``.

A company that keeps its own rulesets keeps tests next to them: small YAML
files that name a ruleset, give cases and say which actions must come out.
``run_tests`` evaluates every case with the engine, matches the expectations,
prints an exp/got diff for each failure and reports *step coverage*: the steps
of each ruleset that no test case ever reached with a planned action.

The test-file format (``*.test.yaml``; strict YAML as for rulesets)::

    dunningrules-test: 1            # format version; required
    ruleset: standard.yaml          # relative to this file; must stay inside its folder tree
    tests:
      - name: worked dates          # required, unique in the file; --run matches it
        as_of: 2026-04-10           # optional: what the system knows on that day
        case:                       # the case inline, as in a case JSON file ...
          id: NO-1
          due_date: 2026-03-18
          amount: "9500.00"
          currency: NOK
        # case_file: cases/no-1.json  ... or one case (a JSON object) in a file, relative
        #                                 to this file and inside its folder tree
        expect_exactly: false       # optional: true = every planned action must be expected
        expect:                     # required; [] asserts that NOTHING is planned
          - step: collection-notice # every key optional, but at least one:
            action: debt_collection_notice
            status: planned         #   planned | skipped | waiting
            date: 2026-04-07        #   ISO date, or null for "no date"
            deadline: 2026-04-21    #   ISO date, or null
            occurrence: 1           #   which occurrence of a repeating step
            fee: "37.50"            #   money as a decimal (37.5 == 37.50), or null
            claim: {total: "9599.97"}   # any of principal, fees, interest, total; or null
            text:                   #   the notice (templates/ next to the ruleset); or null
              language: nb          #     rendered in this language (else the debtor's)
              subject_contains: Inkassovarsel      # a fragment or a list of fragments
              body_contains: ["9 599,97 kr"]   # white space matches loosely (see below)

Matching is partial: only the keys an expectation gives are compared (dates as
ISO strings, money as decimal numbers; in text fragments any run of white space,
non-breaking spaces included, matches any other), and each expectation must match its
own actual action: two expectations never share one action.  An expectation
without ``status`` matches an action of any status.  ``expect: []`` (or
``expect_exactly: true``) also fails on any planned action that no
expectation matched.

Output: ``FAIL file:line name`` per failing test with, for each unmatched
expectation, the expectation (``exp:``) and the closest actual actions
(``got:``) shown with the same keys; then the coverage of each ruleset; then
``N passed, N failed`` on its own line.  Problems in test files are findings
``PATH:LINE:COL: CODE: message`` (never a traceback) and make the run fail:

    test-not-a-test-file     the file is not a mapping starting with dunningrules-test: 1
    test-unsupported-version dunningrules-test is not 1
    test-missing-key         a required key is missing (ruleset, tests, name, expect, case)
    test-unknown-key         a key the format does not know (with did-you-mean)
    test-invalid-value       a value of the wrong type or form
    test-duplicate-name      two tests in one file have the same name
    test-missing-ruleset     the ruleset file does not exist (with did-you-mean)
    test-outside-tree        ruleset or case_file leaves the test file's folder tree
    test-missing-case-file   the case_file does not exist
    test-unknown-step        an expectation names a step the ruleset lacks (did-you-mean)
    test-unknown-action      an expectation names an action type no step has (did-you-mean)
    test-no-files            a folder given on the command line holds no *.test.yaml
    case-*                   the case is malformed (located at the case, inline or in its file)
    yaml-*, file-unreadable  the test file itself cannot be read or parsed

A ruleset that fails to load reports its own findings.  Exit code: 0 when
every selected test passed, 1 otherwise (a failure, a finding, or ``--run``
selecting nothing); 2 for an invalid ``--run`` regular expression.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, TextIO

from ._compile import Plan, compile
from ._errors import CaseError, Finding, InvalidInputError, RulesetError, did_you_mean
from ._evaluate import case_from_data, evaluate
from ._jsonpos import locate_json, twice_findings
from ._load import load_ruleset, read_bounded
from ._model import Case
from ._schedule import Action
from ._text import action_text
from ._yaml import Located, load_yaml

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMAT_VERSION = 1
MAX_CASE_FILE = 10_000_000

FILE_KEYS = ("dunningrules-test", "ruleset", "tests")
TEST_KEYS = ("name", "as_of", "case", "case_file", "expect", "expect_exactly")
EXPECT_KEYS = ("step", "action", "status", "date", "deadline", "occurrence", "fee", "claim", "text")
CLAIM_KEYS = ("principal", "fees", "interest", "total")
TEXT_KEYS = ("language", "subject_contains", "body_contains")
STATUSES = ("planned", "skipped", "waiting")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN = re.compile(r"[\w.:/+-]+")


# ------------------------------------------------------------------ the parsed form

@dataclass
class _Expectation:
    index: int
    line: int
    want: dict[str, Any]  # normalised: dates as ISO strings, money as Decimal, text fragments as lists


@dataclass
class _Test:
    name: str
    line: int
    col: int = 1
    as_of: dt.date | None = None
    case: Case | None = None
    case_where: Callable[[tuple[Any, ...]], Finding] | None = None  # locates a case finding
    expect: list[_Expectation] = field(default_factory=list)
    exactly: bool = False
    findings: list[Finding] = field(default_factory=list)


@dataclass
class _File:
    path: str
    ruleset: str | None = None      # the ruleset's path as shown (relative to the working directory)
    ruleset_key: Path | None = None  # ... and resolved: one ruleset reached by several paths is one
    plan: Plan | None = None
    tests: list[_Test] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # findings that stop the whole file


@dataclass
class _Result:
    file: str
    ruleset: str | None
    ruleset_key: Path | None
    test: _Test
    outcome: str  # "passed", "failed", "error"
    report: str = ""
    seconds: float = 0.0


# ------------------------------------------------------------------ reading test files

class _Reader:
    """Checks one test file and builds its tests; every problem becomes a located finding."""

    def __init__(self, path: str, plans: dict[Path, Plan | list[Finding]]) -> None:
        self.path = path
        self.plans = plans
        self.file = _File(path)
        self.located: Located | None = None

    # --- helpers
    def bad(self, code: str, message: str, pointer: tuple[Any, ...] = (), *, key: bool = False,
            into: list[Finding] | None = None) -> None:
        assert self.located is not None
        (self.file.findings if into is None else into).append(
            self.located.finding(code, message, pointer, key=key))

    def keys(self, data: dict[str, Any], allowed: tuple[str, ...], pointer: tuple[Any, ...], what: str,
             into: list[Finding] | None = None) -> None:
        for k in data:
            if k not in allowed:
                self.bad("test-unknown-key", f"unknown key {k!r} in {what}; the keys are "
                         f"{', '.join(allowed)}{did_you_mean(k, allowed)}", (*pointer, k), key=True, into=into)

    def inside(self, name: str) -> Path | None:
        root = Path(self.path).resolve().parent
        target = (root / name).resolve()
        return target if target.is_relative_to(root) else None

    # --- the file
    def read(self) -> _File:
        try:
            self.located = load_yaml(read_bounded(self.path), self.path)
        except InvalidInputError as e:
            self.file.findings.extend(e.findings)
            return self.file
        data = self.located.data
        if not isinstance(data, dict):
            self.bad("test-not-a-test-file", "a test file is a YAML mapping with the keys "
                     "dunningrules-test, ruleset and tests")
            return self.file
        if "dunningrules-test" not in data:
            hint = " (this looks like a ruleset; its tests go in a *.test.yaml file)" if "dunningrules" in data else ""
            self.bad("test-not-a-test-file", "a test file starts with dunningrules-test: 1 (the format "
                     f"version), then ruleset and tests{hint}")
            return self.file
        self.keys(data, FILE_KEYS, (), "a test file")
        if type(data["dunningrules-test"]) is not int or data["dunningrules-test"] != FORMAT_VERSION:
            self.bad("test-unsupported-version", f"dunningrules-test must be {FORMAT_VERSION}, not "
                     f"{_show(data['dunningrules-test'])}", ("dunningrules-test",))
        self.ruleset(data)
        tests = data.get("tests")
        if "tests" not in data:
            self.bad("test-missing-key", "tests is missing: a list of test cases")
        elif not isinstance(tests, list):
            self.bad("test-invalid-value", "tests must be a list of test cases", ("tests",))
        else:
            seen: dict[str, int] = {}
            for i, item in enumerate(tests):
                test = self.test(i, item)
                if test is None:
                    continue
                if test.name in seen:
                    self.bad("test-duplicate-name", f"a test named {test.name!r} is already on line "
                             f"{seen[test.name]}", ("tests", i, "name"), into=test.findings)
                else:
                    seen[test.name] = test.line
                self.file.tests.append(test)
        for test in self.file.tests:  # in the order of the file; a case file's after the test file's
            test.findings.sort(key=lambda f: (f.path != self.path, f.path, f.line, f.col))
        return self.file

    def ruleset(self, data: dict[str, Any]) -> None:
        name = data.get("ruleset")
        if "ruleset" not in data:
            self.bad("test-missing-key", "ruleset is missing: the ruleset file to test, relative to this file")
            return
        if not isinstance(name, str) or not name.strip():
            self.bad("test-invalid-value", "ruleset must be a file name, relative to this file", ("ruleset",))
            return
        target = self.inside(name)
        if target is None:
            self.bad("test-outside-tree", f"ruleset {name!r} is outside this test file's folder; a test "
                     "reads only files in its own folder tree", ("ruleset",))
            return
        if not target.is_file():
            folder = target.parent
            options = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
            options = [o for o in options if not o.endswith((".test.yaml", ".test.yml"))]
            self.bad("test-missing-ruleset", f"ruleset {name!r} does not exist"
                     f"{did_you_mean(Path(name).name, options)}", ("ruleset",))
            return
        shown = str(Path(self.path).parent / name)
        self.file.ruleset, self.file.ruleset_key = shown, target
        if target not in self.plans:
            try:
                self.plans[target] = compile(load_ruleset(shown))
            except InvalidInputError as e:
                self.plans[target] = e.findings
        got = self.plans[target]
        if isinstance(got, Plan):
            self.file.plan = got
        else:
            self.file.findings.extend(got)

    # --- one test
    def test(self, i: int, item: Any) -> _Test | None:
        at = ("tests", i)
        assert self.located is not None
        line, col = self.located.where(at)
        if not isinstance(item, dict):
            test = _Test(f"#{i + 1}", line, col)
            self.bad("test-invalid-value", "a test is a mapping with name, case and expect", at,
                     into=test.findings)
            return test
        name = item.get("name")
        test = _Test(name if isinstance(name, str) and name.strip() else f"#{i + 1}", line, col)
        found = test.findings
        self.keys(item, TEST_KEYS, at, "a test", into=found)
        if "name" not in item:
            self.bad("test-missing-key", "name is missing", at, into=found)
        elif not isinstance(name, str) or not name.strip():
            self.bad("test-invalid-value", "name must be a non-empty text", (*at, "name"), into=found)
        if "as_of" in item and item["as_of"] is not None:
            day = _iso_date(item["as_of"])
            if day is None:
                self.bad("test-invalid-value", f"as_of must be a date YYYY-MM-DD, not {_show(item['as_of'])}",
                         (*at, "as_of"), into=found)
            else:
                test.as_of = dt.date.fromisoformat(day)
        exactly = item.get("expect_exactly", False)
        if not isinstance(exactly, bool):
            self.bad("test-invalid-value", "expect_exactly must be true or false", (*at, "expect_exactly"),
                     into=found)
        test.exactly = exactly is True
        self.case(item, at, test)
        if "expect" not in item:
            self.bad("test-missing-key", "expect is missing: a list of expected actions ([] for none)", at,
                     into=found)
        elif not isinstance(item["expect"], list):
            self.bad("test-invalid-value", "expect must be a list of expected actions ([] for none)",
                     (*at, "expect"), into=found)
        else:
            for j, want in enumerate(item["expect"]):
                e = self.expectation((*at, "expect", j), j, want, found)
                if e is not None:
                    test.expect.append(e)
        return test

    def case(self, item: dict[str, Any], at: tuple[Any, ...], test: _Test) -> None:
        found = test.findings
        has_case, has_file = "case" in item, "case_file" in item
        if has_case and has_file:
            self.bad("test-invalid-value", "give case or case_file, not both", (*at, "case_file"), key=True,
                     into=found)
            return
        if not has_case and not has_file:
            self.bad("test-missing-key", "case (inline) or case_file is missing", at, into=found)
            return
        if has_case:
            located = self.located
            assert located is not None

            def where_inline(pointer: tuple[Any, ...], code: str = "", message: str = "") -> Finding:
                return located.finding(code, message, (*at, "case", *pointer), key=code in _AT_KEY)

            test.case_where = lambda f: _relocate(f, where_inline)
            self.build_case(item["case"], test)
            return
        name = item["case_file"]
        if not isinstance(name, str) or not name.strip():
            self.bad("test-invalid-value", "case_file must be a file name, relative to this file",
                     (*at, "case_file"), into=found)
            return
        target = self.inside(name)
        if target is None:
            self.bad("test-outside-tree", f"case_file {name!r} is outside this test file's folder; a test "
                     "reads only files in its own folder tree", (*at, "case_file"), into=found)
            return
        if not target.is_file():
            self.bad("test-missing-case-file", f"case_file {name!r} does not exist", (*at, "case_file"),
                     into=found)
            return
        shown = str(Path(self.path).parent / name)
        try:
            text = read_bounded(target, MAX_CASE_FILE).decode("utf-8")
        except InvalidInputError as e:
            found.extend(Finding(f.code.replace("yaml-", "case-"), f.message, shown, f.line, f.col)
                         for f in e.findings)
            return
        except UnicodeDecodeError as e:
            found.append(Finding("case-not-utf8", f"the case file is not UTF-8 text ({e.reason})", shown, 1, 1))
            return
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as e:
            found.append(Finding("case-invalid-json", e.msg, shown, e.lineno, e.colno))
            return
        except (RecursionError, ValueError):
            found.append(Finding("case-too-large", "the JSON is nested too deeply or a number is too long",
                                 shown, 1, 1))
            return
        positions = locate_json(text, shown)
        test.findings.extend(twice_findings(text, shown))

        def where_file(pointer: tuple[Any, ...], code: str = "", message: str = "") -> Finding:
            return positions.finding(code, message, pointer, key=code in _AT_KEY)

        test.case_where = lambda f: _relocate(f, where_file)
        self.build_case(data, test)

    def build_case(self, data: Any, test: _Test) -> None:
        assert test.case_where is not None
        if not isinstance(data, dict):
            test.findings.append(test.case_where(Finding("case-invalid", "a case is a mapping (a JSON object) "
                                                         "with id, due_date, amount and currency")))
            return
        try:
            test.case = case_from_data(data)
        except CaseError as e:
            test.findings.extend(test.case_where(f) for f in e.findings)

    # --- one expectation
    def expectation(self, at: tuple[Any, ...], j: int, item: Any, found: list[Finding]) -> _Expectation | None:
        assert self.located is not None
        line = self.located.where(at)[0]
        if not isinstance(item, dict) or not item:
            self.bad("test-invalid-value", "an expected action is a mapping with at least one of "
                     + ", ".join(EXPECT_KEYS), at, into=found)
            return None
        before = len(found)
        self.keys(item, EXPECT_KEYS, at, "an expected action", into=found)
        plan = self.file.plan
        want: dict[str, Any] = {}
        for k, v in item.items():
            here = (*at, k)
            if k in ("step", "action"):
                if not isinstance(v, str):
                    self.bad("test-invalid-value", f"{k} must be a text", here, into=found)
                    continue
                if plan is not None:
                    known = [s.id for s in plan.source.steps] if k == "step" else \
                        sorted({s.action for s in plan.source.steps})
                    if v not in known:
                        code, what = ("test-unknown-step", "step") if k == "step" else \
                            ("test-unknown-action", "action type")
                        self.bad(code, f"the ruleset has no {what} {v!r}{did_you_mean(v, known)}", here, into=found)
                        continue
                want[k] = v
            elif k == "status":
                if v not in STATUSES:
                    self.bad("test-invalid-value", f"status must be one of {', '.join(STATUSES)}, not "
                             f"{_show(v)}{did_you_mean(str(v), STATUSES)}", here, into=found)
                    continue
                want[k] = v
            elif k in ("date", "deadline"):
                day = None if v is None else _iso_date(v)
                if v is not None and day is None:
                    self.bad("test-invalid-value", f"{k} must be a date YYYY-MM-DD or null, not {_show(v)}",
                             here, into=found)
                    continue
                want[k] = day
            elif k == "occurrence":
                if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                    self.bad("test-invalid-value", f"occurrence must be a whole number from 1, not {_show(v)}",
                             here, into=found)
                    continue
                want[k] = v
            elif k == "fee":
                money = None if v is None else _money(v)
                if v is not None and money is None:
                    self.bad("test-invalid-value", f"fee must be an amount like \"37.50\" or null, not {_show(v)}",
                             here, into=found)
                    continue
                want[k] = money
            elif k == "claim":
                claim = self.claim(v, here, found)
                if claim is not False:
                    want[k] = claim
            elif k == "text":
                text = self.text(v, here, found)
                if text is not False:
                    want[k] = text
        if len(found) > before:
            return None
        return _Expectation(j, line, want)

    def claim(self, v: Any, at: tuple[Any, ...], found: list[Finding]) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict) or not v:
            self.bad("test-invalid-value", f"claim must be a mapping with any of {', '.join(CLAIM_KEYS)}, "
                     "or null", at, into=found)
            return False
        self.keys(v, CLAIM_KEYS, at, "claim", into=found)
        out: dict[str, Decimal] = {}
        for k, amount in v.items():
            if k not in CLAIM_KEYS:
                continue
            money = _money(amount)
            if money is None:
                self.bad("test-invalid-value", f"claim {k} must be an amount like \"9500.00\", not "
                         f"{_show(amount)}", (*at, k), into=found)
                continue
            out[k] = money
        return out

    def text(self, v: Any, at: tuple[Any, ...], found: list[Finding]) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict) or not v:
            self.bad("test-invalid-value", f"text must be a mapping with any of {', '.join(TEXT_KEYS)}, "
                     "or null", at, into=found)
            return False
        self.keys(v, TEXT_KEYS, at, "text", into=found)
        out: dict[str, Any] = {}
        for k, value in v.items():
            if k == "language":
                if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}", value):
                    self.bad("test-invalid-value", f"text language must be a two-letter code like nb, not "
                             f"{_show(value)}", (*at, k), into=found)
                    continue
                out[k] = value
            elif k in ("subject_contains", "body_contains"):
                parts = [value] if isinstance(value, str) else value
                if not isinstance(parts, list) or not parts or not all(isinstance(p, str) and p for p in parts):
                    self.bad("test-invalid-value", f"text {k} must be a text or a list of texts", (*at, k),
                             into=found)
                    continue
                out[k] = parts
        return out


_AT_KEY = ("case-unknown-field",)  # findings about a key point at the key, not at its value


def _relocate(f: Finding, where: Callable[..., Finding]) -> Finding:
    """A case finding (pointer relative to the case) located in the test file or the case file."""
    return where(tuple(f.pointer), f.code, f.message)


def _iso_date(v: Any) -> str | None:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, str) and _ISO_DATE.fullmatch(v):
        try:
            return dt.date.fromisoformat(v).isoformat()
        except ValueError:
            return None
    return None


def _money(v: Any) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
        return None
    try:
        d = Decimal(v.strip()) if isinstance(v, str) else Decimal(v)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _show(v: Any) -> str:
    """A value as the test file would spell it."""
    if v is None:
        return "null"
    if isinstance(v, _Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, str):
        return v if _PLAIN.fullmatch(v) else json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_show(x)}" for k, x in v.items()) + "}"
    return json.dumps(v, ensure_ascii=False, default=str)


# ------------------------------------------------------------------ matching

class _Actual:
    """The actions of one schedule, with their notices rendered lazily (only if a test asks)."""

    def __init__(self, plan: Plan, case: Case, actions: tuple[Action, ...]) -> None:
        self.plan, self.case, self.actions = plan, case, actions
        self._texts: dict[tuple[int, str | None], dict[str, str] | None] = {}

    def text(self, i: int, language: str | None) -> dict[str, str] | None:
        key = (i, language)
        if key not in self._texts:
            a = self.actions[i]
            if a.claim is None and a.date is not None and a.claim_error:
                self._texts[key] = None  # the amount is unknown: no notice states a guess (as the CLI)
            else:
                self._texts[key] = action_text(self.plan, self.case, a, language)
        return self._texts[key]


def _field(actual: _Actual, i: int, key: str, want: Any) -> tuple[bool, Any]:
    """Whether action `i` has `want` at `key`, and what it has (for the got: line)."""
    a = actual.actions[i]
    if key in ("step", "action", "status", "occurrence"):
        got = getattr(a, key)
        return got == want, got
    if key in ("date", "deadline"):
        day = getattr(a, key)
        got = None if day is None else day.isoformat()
        return got == want, got
    if key == "fee":
        got = a.fee
        return (got is None and want is None) or (got is not None and want is not None and got == want), got
    if key == "claim":
        c = a.claim
        if want is None or c is None:
            shown = None if c is None else {k: getattr(c, k) for k in CLAIM_KEYS}
            note = f" ({a.claim_error})" if c is None and a.claim_error else ""
            return want is None and c is None, _Raw(f"null{note}") if c is None else shown
        got = {k: getattr(c, k) for k in want}
        return all(got[k] == want[k] for k in want), got
    if key == "text":
        text = actual.text(i, want.get("language") if want else None)
        if want is None or text is None:
            return want is None and text is None, None if text is None else {"subject": text["subject"]}
        ok = True
        got: dict[str, Any] = {}
        if "language" in want:
            got["language"] = text["language"]
            ok &= text["language"] == want["language"]
        if "subject_contains" in want:
            missing = [p for p in want["subject_contains"] if not _contains(text["subject"], p)]
            got["subject"] = text["subject"]
            ok &= not missing
        if "body_contains" in want:
            missing = [p for p in want["body_contains"] if not _contains(text["body"], p)]
            if missing:
                got["body_lacks"] = missing
            ok &= not missing
        return ok, got
    raise AssertionError(key)


def _contains(text: str, fragment: str) -> bool:
    """Whether `fragment` is in `text`, any run of white space matching any other: notices write
    money and dates with non-breaking spaces (9\u00a0500,00\u00a0kr) that nobody can type."""
    return " ".join(fragment.split()) in " ".join(text.split())


class _Raw(str):
    """Shown as is in a got: line."""


def _differs(actual: _Actual, i: int, e: _Expectation) -> list[str]:
    return [k for k, v in e.want.items() if not _field(actual, i, k, v)[0]]


def _matching(edges: list[list[int]], n_right: int) -> list[int | None]:
    """Maximum bipartite matching (Kuhn): for each left vertex its right vertex, or None."""
    right_of: list[int | None] = [None] * len(edges)
    left_of: list[int | None] = [None] * n_right

    def augment(u: int, seen: set[int]) -> bool:
        for v in edges[u]:
            if v in seen:
                continue
            seen.add(v)
            if left_of[v] is None or augment(left_of[v], seen):  # type: ignore[arg-type]
                left_of[v], right_of[u] = u, v
                return True
        return False

    for u in range(len(edges)):
        augment(u, set())
    return right_of


def _check(actual: _Actual, test: _Test) -> list[str]:
    """The report lines of a test's failures; [] when it passed."""
    n = len(actual.actions)
    fits = [[i for i in range(n) if not _differs(actual, i, e)] for e in test.expect]
    by_expect = _matching(fits, n)
    lines: list[str] = []
    shown: set[int] = set()  # actions already shown as the closest to an unmatched expectation
    for e, got in zip(test.expect, by_expect):
        if got is None:
            lines.extend(_unmatched(actual, e, fits, shown))
    if test.exactly or not test.expect:
        # Mendelsohn-Dulmage: a matching that saturates every expectation and one that saturates every
        # planned action give one that does both, so the two questions can be asked separately.
        planned = [i for i, a in enumerate(actual.actions) if a.status == "planned"]
        back = [[j for j, f in enumerate(fits) if i in f] for i in planned]
        by_action = _matching(back, len(test.expect))
        extra = [i for i, got in zip(planned, by_action) if got is None]
        if extra and not test.expect:
            lines.append("  expected no planned action, got:")
        elif extra and any(i not in shown for i in extra):
            lines.append("  planned actions that no expectation matched (expect_exactly):")
        for i in extra:
            if test.expect and i in shown:
                continue  # already in a got: line above
            a = actual.actions[i]
            out = {"step": a.step, "action": a.action, "date": a.date.isoformat() if a.date else None}
            if a.occurrence is not None:
                out["occurrence"] = a.occurrence
            lines.append(f"    got: {_show(out)}")
    return lines


_IDENTITY = ("step", "action", "occurrence")


def _unmatched(actual: _Actual, e: _Expectation, fits: list[list[int]], shown: set[int]) -> list[str]:
    head = f"  expected action {e.index + 1} (line {e.line}) matched no action:"
    n = len(actual.actions)
    if n == 0:
        return [head, f"    exp: {_show(e.want)}", "    got: (no actions at all)"]
    if fits[e.index]:
        lines = [head, f"    exp: {_show(e.want)}",
                 "    got: only actions that other expectations of this test matched already:"]
        lines.extend(f"         {_show(_project(actual, i, e, list(e.want)))}" for i in fits[e.index][:3])
        return lines

    # Closest: the same step or action type counts most, then the number of equal keys.
    def score(i: int) -> tuple[int, int]:
        differs = _differs(actual, i, e)
        same_kind = sum(1 for k in ("step", "action") if k in e.want and k not in differs)
        return (same_kind, len(e.want) - len(differs))

    scores = [score(i) for i in range(n)]
    best = max(scores)
    closest = [i for i in range(n) if scores[i] == best][:3]
    shown.update(closest)
    differ = {i: _differs(actual, i, e) for i in closest}
    # A diff, not a dump: the keys that say which action it is, and the keys that differ.
    keys = [k for k in e.want if k in _IDENTITY or any(k in d for d in differ.values())]
    equal = [k for k in e.want if k not in keys]
    note = f"   (equal: {', '.join(equal)})" if equal else ""
    exp = {k: e.want[k] for k in keys}
    gots = [_project(actual, i, e, keys) for i in closest]
    _narrow(exp, gots)
    lines = [head, f"    exp: {_show(exp)}{note}"]
    for k, (i, got) in enumerate(zip(closest, gots)):
        prefix = "    got: " if k == 0 else "         "
        d = differ[i]
        lines.append(f"{prefix}{_show(got)}   <- {', '.join(d)} {'differs' if len(d) == 1 else 'differ'}")
    return lines


def _narrow(exp: dict[str, Any], gots: list[dict[str, Any]]) -> None:
    """Within claim and text, keep only the parts that differ (for the first closest action)."""
    first = gots[0]
    claim_want, claim_got = exp.get("claim"), first.get("claim")
    if isinstance(claim_want, dict) and isinstance(claim_got, dict):
        keep = [k for k in claim_want if claim_got.get(k) != claim_want[k]]
        exp["claim"] = {k: claim_want[k] for k in keep}
        for got in gots:
            if isinstance(got.get("claim"), dict):
                got["claim"] = {k: got["claim"][k] for k in keep if k in got["claim"]}
    text_want, text_got = exp.get("text"), first.get("text")
    if isinstance(text_want, dict) and isinstance(text_got, dict):
        narrowed: dict[str, Any] = {}
        if "language" in text_want and text_got.get("language") != text_want["language"]:
            narrowed["language"] = text_want["language"]
        subject = text_got.get("subject")
        if "subject_contains" in text_want and subject is not None:
            missing = [p for p in text_want["subject_contains"] if not _contains(subject, p)]
            if missing:
                narrowed["subject_contains"] = missing
        if "body_lacks" in text_got:
            narrowed["body_contains"] = text_got["body_lacks"]
        exp["text"] = narrowed
        for got in gots:
            t = got.get("text")
            if isinstance(t, dict):
                got["text"] = {k: v for k, v in t.items()
                               if (k == "language" and "language" in narrowed)
                               or (k == "subject" and "subject_contains" in narrowed)
                               or k == "body_lacks"}


def _project(actual: _Actual, i: int, e: _Expectation, keys: list[str]) -> dict[str, Any]:
    """Action `i` shown with `keys` of expectation `e` (and its step, to say which action it is)."""
    out: dict[str, Any] = {}
    if "step" not in keys:
        out["step"] = actual.actions[i].step
    for k in keys:
        out[k] = _field(actual, i, k, e.want[k])[1]
    return out


# ------------------------------------------------------------------ running

def _files(paths: list[str]) -> tuple[list[str], list[Finding]]:
    """The test files to run: files as given, folders searched for *.test.yaml / *.test.yml
    (hidden folders such as .git or .venv are not searched)."""
    files: list[str] = []
    findings: list[Finding] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(
                str(Path(folder, name))
                for folder, subfolders, names in os.walk(path)
                if not subfolders.__setitem__(slice(None), [d for d in subfolders if not d.startswith(".")])
                for name in names if name.endswith((".test.yaml", ".test.yml")))
            if not found:
                findings.append(Finding("test-no-files", "no *.test.yaml files in this folder", p, 0, 0))
            files.extend(found)
        else:
            files.append(p)
    unique: dict[str, str] = {}  # a file named twice (or found in two folders given) runs once
    for f in files:
        unique.setdefault(os.path.realpath(f), f)
    return list(unique.values()), findings


def _run_one(file: _File, test: _Test, reached: set[str]) -> _Result:
    start = time.perf_counter()
    result = _Result(file.path, file.ruleset, file.ruleset_key, test, "passed")
    assert file.plan is not None and test.case is not None
    try:
        schedule = evaluate(file.plan, test.case, as_of=test.as_of)
        actual = _Actual(file.plan, test.case, schedule.actions)
        reached.update(a.step for a in actual.actions if a.status == "planned")
        lines = _check(actual, test)
    except CaseError as e:  # the case does not fit the ruleset (currency, calendar range, facts)
        assert test.case_where is not None
        test.findings.extend(test.case_where(f) for f in e.findings)
        lines = []
    except RulesetError as e:  # a notice template failed on this case
        test.findings.extend(e.findings)
        lines = []
    except Exception as e:  # a bug of ours: still one located line, never a traceback
        test.findings.append(Finding("internal-error", f"{type(e).__name__}: {e} (please report this)",
                                     file.path, test.line, test.col))
        lines = []
    result.seconds = time.perf_counter() - start
    if test.findings:
        result.outcome = "error"
        result.report = "\n".join(str(f) for f in test.findings)
    elif lines:
        result.outcome = "failed"
        result.report = "\n".join(lines)
    return result


def run_tests(paths: list[str], *, run: str | None = None, junit: str | None = None,
              out: TextIO, err: TextIO | None = None) -> int:
    """Run the test files (or folders of them) in `paths`; return the exit code (0, 1; 2 for a bad --run).

    `run` selects tests whose name matches the regular expression (re.search); `junit` writes
    a JUnit XML report there.  Failures, coverage and the summary go to `out`; findings
    (problems in the test files, cases and rulesets) to `err`, which defaults to `out`.
    """
    err = err or out
    try:
        pattern = re.compile(run) if run is not None else None
    except re.error as e:
        print(f"dunningrules test: --run: not a valid regular expression: {e}", file=err)
        return EXIT_USAGE
    files, problems = _files(list(paths))
    shown = len(problems)  # problems printed on err: what the summary counts
    for f in problems:
        print(f, file=err)
    plans: dict[Path, Plan | list[Finding]] = {}
    results: list[_Result] = []
    broken_files: list[_File] = []
    reached: dict[Path, set[str]] = {}  # ruleset -> steps planned by some test
    steps_of: dict[Path, list[str]] = {}
    names: dict[Path, str] = {}  # ruleset -> its path as first shown
    selected = 0
    shown_rulesets: set[Path] = set()
    for path in files:
        file = _Reader(path, plans).read()
        tests = [t for t in file.tests if pattern is None or pattern.search(t.name)]
        selected += len(tests)
        if file.findings:
            findings = list(file.findings)
            if file.ruleset_key in shown_rulesets:  # a broken ruleset shared by files: its findings once
                findings = [f for f in findings if f.path != file.ruleset]
            if file.ruleset_key:
                shown_rulesets.add(file.ruleset_key)
            for f in sorted(set(findings), key=findings.index):
                print(f, file=err)
                shown += 1
            for t in tests:
                for f in t.findings:
                    print(f, file=err)
                    shown += 1
            broken_files.append(file)
            continue
        assert file.plan is not None and file.ruleset is not None and file.ruleset_key is not None
        key = file.ruleset_key
        names.setdefault(key, file.ruleset)
        steps_of.setdefault(key, [s.id for s in file.plan.source.steps])
        seen = reached.setdefault(key, set())
        for test in tests:
            if test.findings:
                result = _Result(file.path, file.ruleset, file.ruleset_key, test, "error",
                                 "\n".join(str(f) for f in test.findings))
            else:
                result = _run_one(file, test, seen)
            results.append(result)
            if result.outcome == "error":
                print(result.report, file=err)
                shown += result.report.count("\n") + 1
            elif result.outcome == "failed":
                print(f"FAIL {file.path}:{test.line} {test.name}", file=out)
                print(result.report, file=out)
    passed = sum(r.outcome == "passed" for r in results)
    failed = sum(r.outcome == "failed" for r in results)
    errors = shown
    uncovered = {key: [s for s in steps if s not in reached[key]] for key, steps in steps_of.items()}
    for key, steps in steps_of.items():
        missing = uncovered[key]
        line = f"coverage {names[key]}: {len(steps) - len(missing)} of {len(steps)} steps reached"
        if missing:
            line += "; never planned by a test: " + ", ".join(missing)
        print(line, file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    if errors:
        print(f"{errors} {'error' if errors == 1 else 'errors'} in test files (printed above)", file=out)
    no_match = pattern is not None and selected == 0 and files
    if no_match:
        print(f"no test name matches --run {run!r}", file=out)
    if junit is not None:
        try:
            _write_junit(junit, results, broken_files, uncovered)
        except OSError as e:
            print(f"{junit}:0:0: file-unwritable: {e.strerror or e}", file=err)
            return EXIT_FAILED
    ok = not failed and not errors and not no_match
    return EXIT_OK if ok else EXIT_FAILED


# ------------------------------------------------------------------ JUnit XML

def _write_junit(path: str, results: list[_Result], broken: list[_File],
                 uncovered: dict[Path, list[str]]) -> None:
    root = ET.Element("testsuites", name="dunningrules")
    suites: dict[str, ET.Element] = {}
    counts: dict[str, list[int]] = {}

    def suite(file: str, ruleset: str | None, key: Path | None) -> ET.Element:
        if file not in suites:
            s = ET.SubElement(root, "testsuite", name=file)
            if ruleset is not None:
                props = ET.SubElement(s, "properties")
                ET.SubElement(props, "property", name="ruleset", value=ruleset)
                if key in uncovered:
                    ET.SubElement(props, "property", name="steps_not_reached", value=" ".join(uncovered[key]))
            suites[file] = s
            counts[file] = [0, 0, 0, 0]  # tests, failures, errors, time in µs
        return suites[file]

    for file in broken:
        s = suite(file.path, file.ruleset, file.ruleset_key)
        case = ET.SubElement(s, "testcase", name="(test file)", classname=file.path, file=file.path)
        first = file.findings[0] if file.findings else None
        e = ET.SubElement(case, "error", message=str(first) if first else "invalid test file",
                          type=first.code if first else "invalid")
        e.text = "\n".join(str(f) for f in file.findings)
        counts[file.path][0] += 1
        counts[file.path][2] += 1
    for r in results:
        s = suite(r.file, r.ruleset, r.ruleset_key)
        case = ET.SubElement(s, "testcase", name=r.test.name, classname=r.file, file=r.file,
                             line=str(r.test.line), time=f"{r.seconds:.6f}")
        c = counts[r.file]
        c[0] += 1
        c[3] += int(r.seconds * 1_000_000)
        if r.outcome == "failed":
            c[1] += 1
            f = ET.SubElement(case, "failure", message="expected actions not found", type="failure")
            f.text = r.report
        elif r.outcome == "error":
            c[2] += 1
            first = r.test.findings[0]
            e = ET.SubElement(case, "error", message=str(first), type=first.code)
            e.text = r.report
    totals = [0, 0, 0, 0]
    for name, s in suites.items():
        c = counts[name]
        s.set("tests", str(c[0]))
        s.set("failures", str(c[1]))
        s.set("errors", str(c[2]))
        s.set("skipped", "0")
        s.set("time", f"{c[3] / 1_000_000:.6f}")
        totals = [a + b for a, b in zip(totals, c)]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("time", f"{totals[3] / 1_000_000:.6f}")
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# ------------------------------------------------------------------ the command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``dunningrules test``, for the CLI's subparser."""
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="test files (*.test.yaml), or folders to search for them")
    parser.add_argument("--run", metavar="REGEX", help="run only tests whose name matches REGEX")
    parser.add_argument("--junit", metavar="PATH", help="also write a JUnit XML report to PATH")


def command(ns: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``dunningrules test`` with parsed arguments (see add_arguments)."""
    return run_tests(ns.files, run=ns.run, junit=ns.junit, out=stdout, err=stderr)
