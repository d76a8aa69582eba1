"""Bad input through the CLI: every refusal is exit 1 with located, coded findings.

For each bad ruleset or case this checks what a user sees:

* exit code 1 (DESIGN.md: "1 the input (ruleset, case) is invalid"),
* every stderr line is ``PATH:LINE:COL: CODE: message``, never a traceback,
* the expected code(s), on the right line (and column where it means something),
* an answer within a second, whatever the input.

Tests marked ``xfail(strict=True, reason="BUG: ...")`` describe what should happen
and does not yet; they start failing (XPASS) once the bug is fixed.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dunningrules import parse_ruleset
from dunningrules._cli import run

ROOT = Path(__file__).resolve().parents[1]
NO_RULESET = ROOT / "rulesets" / "no" / "standard.yaml"

FINDING = re.compile(r"^([^:]+):(\d+):(\d+): ([a-z0-9-]+): (.+)$")
TIME_LIMIT = 1.0  # seconds, for the command itself

BASE = """\
dunningrules: 1
id: test-rules
version: "1"
title: Test rules
jurisdiction: "NO"
currency: NOK
language: nb
calendar:
  country: "NO"
facts:
  first_time_late:
    type: boolean
    default: false
steps:
  - id: reminder-1
    action: reminder
    at: due + 5 days
    channels: [sms, email]
  - id: collection-notice
    action: debt_collection_notice
    at: due + 15 days
    deadline:
      after: 14 days
  - id: payment-demand
    action: payment_demand
    at: collection-notice.deadline + 1 day
"""

SE_BASE = (
    BASE.replace('"NO"', '"SE"').replace("currency: NOK", "currency: SEK").replace("language: nb", "language: sv")
)

CASE = {"id": "C-1", "due_date": "2026-04-01", "amount": "9500.00", "currency": "NOK"}


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    col: int
    code: str
    message: str


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def pos(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the nth occurrence of `needle` in `text`."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def line_of(text: str, needle: str, nth: int = 1) -> int:
    return pos(text, needle, nth)[0]


def refused(args: list[Any], stdin: str = "") -> list[Found]:
    """Run the CLI on bad input; check the contract every refusal must keep."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = run([str(a) for a in args], out, err, io.StringIO(stdin))
    elapsed = time.perf_counter() - start
    text = err.getvalue()
    assert "Traceback" not in text
    assert code == 1, f"exit code {code}, stderr:\n{text}"
    assert elapsed < TIME_LIMIT, f"took {elapsed:.2f} s"
    lines = text.splitlines()
    assert lines, "a refusal says why on stderr"
    found = []
    for line in lines:
        m = FINDING.match(line)
        assert m, f"not PATH:LINE:COL: CODE: message: {line!r}"
        f = Found(m[1], int(m[2]), int(m[3]), m[4], m[5])
        assert f.code != "internal-error", line
        found.append(f)
    return found


def validate(tmp_path: Path, text: str | bytes, name: str = "ruleset.yaml") -> list[Found]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    found = refused(["validate", path])
    assert all(f.path == str(path) for f in found)
    return found


def codes(found: list[Found]) -> list[str]:
    return [f.code for f in found]


def only(found: list[Found], code: str) -> Found:
    matching = [f for f in found if f.code == code]
    assert len(matching) == 1, found
    return matching[0]


def test_base_rulesets_are_valid(tmp_path):
    for name, text in (("no.yaml", BASE), ("se.yaml", SE_BASE)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        assert run(["validate", str(path)], out, err) == 0, err.getvalue()


# ====================================================================== rulesets

# --- malformed YAML ----------------------------------------------------------------

def test_malformed_yaml_colon_in_plain_value(tmp_path):
    text = edit("title: Test rules", "title: Rent: late")
    f = only(validate(tmp_path, text), "yaml-syntax")
    assert (f.line, f.col) == pos(text, ": late")
    assert "quotes" in f.message


def test_malformed_yaml_value_starting_with_at_sign(tmp_path):
    text = edit("at: due + 5 days", "at: @due + 5 days")
    f = only(validate(tmp_path, text), "yaml-syntax")
    assert (f.line, f.col) == pos(text, "@due")
    assert "'@'" in f.message and "quotes" in f.message


def test_malformed_yaml_unclosed_flow_list(tmp_path):
    text = edit("channels: [sms, email]", "channels: [sms, email")
    (f,) = validate(tmp_path, text)
    assert f.code == "yaml-syntax"
    assert f.line in (line_of(text, "channels:"), line_of(text, "channels:") + 1)
    assert f"started on line {line_of(text, 'channels:')}" in f.message


def test_malformed_yaml_unterminated_quote(tmp_path):
    text = edit("at: collection-notice.deadline + 1 day", 'at: "collection-notice.deadline + 1 day')
    (f,) = validate(tmp_path, text)
    assert f.code == "yaml-syntax"
    start = line_of(text, 'at: "collection')
    assert f"started on line {start}" in f.message


def test_malformed_yaml_tab_indentation(tmp_path):
    text = edit("    action: reminder", "\taction: reminder")
    (f,) = validate(tmp_path, text)
    assert f.code == "yaml-syntax"
    assert f.line == line_of(text, "\taction")
    assert "tab" in f.message


def test_not_a_mapping(tmp_path):
    (f,) = validate(tmp_path, "- just\n- a list\n")
    assert f.code == "not-a-ruleset"
    assert (f.line, f.col) == (1, 1)


def test_empty_file(tmp_path):
    (f,) = validate(tmp_path, "")
    assert f.code == "not-a-ruleset"


def test_not_utf8(tmp_path):
    text = edit("title: Test rules", "title: Husleie for m\xe5neden").encode("latin-1")
    (f,) = validate(tmp_path, text)
    assert f.code == "yaml-not-utf8"
    assert f.line == line_of(BASE, "title:")


# --- unknown keys, with did-you-mean ---------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "typo", "meant"),
    [
        pytest.param("steps:\n", "stpes:\n", "stpes", "steps", id="stpes"),
        pytest.param("    deadline:\n", "    deadlin:\n", "deadlin", "deadline", id="step-deadlin"),
        pytest.param('  country: "NO"', '  contry: "NO"', "contry", "country", id="calendar-contry"),
        pytest.param("      after: 14 days", "      afer: 14 days", "afer", "after", id="deadline-afer"),
        pytest.param("    channels: [sms", "    chanels: [sms", "chanels", "channels", id="step-chanels"),
    ],
)
def test_unknown_key_with_did_you_mean(tmp_path, old, new, typo, meant):
    text = edit(old, new)
    found = validate(tmp_path, text)
    f = only(found, "unknown-key")
    assert (f.line, f.col) == pos(text, typo + ":")
    assert f"did you mean {meant!r}" in f.message
    # A misspelt required key is also a missing one; nothing else is reported.
    assert set(codes(found)) <= {"unknown-key", "missing-key"}


# --- wrong types ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        pytest.param('version: "1"', "version: 1", "version: |1", ["version", "string", "quote"],
                     id="version-number"),
        pytest.param("title: Test rules", "title: [Test, rules]", "title: |[", ["title", "string"], id="title-list"),
        pytest.param("channels: [sms, email]", "channels: sms", "channels: |sms", ["channels", "array"],
                     id="channels-string"),
        pytest.param("    deadline:\n      after: 14 days", "    deadline: 14 days", "deadline: |14",
                     ["deadline", "object"], id="deadline-string"),
        pytest.param("facts:\n  first_time_late:\n    type: boolean\n    default: false\n", "facts: [x]\n",
                     "facts: |[x]", ["facts", "object"], id="facts-list"),
    ],
)
def test_wrong_types(tmp_path, old, new, where, words):
    """`where` is text of the file with '|' just before the character the finding points at."""
    text = edit(old, new)
    f = only(validate(tmp_path, text), "wrong-type")
    line, col = pos(text, where.replace("|", ""))
    assert (f.line, f.col) == (line, col + where.index("|"))
    for w in words:
        assert w in f.message


# --- the Norway problem and YAML 1.1 booleans ---------------------------------------

def test_unquoted_NO_stays_the_string_NO(tmp_path):
    text = BASE.replace('"NO"', "NO")
    assert "jurisdiction: NO\n" in text and "country: NO\n" in text
    path = tmp_path / "norway.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(path)], out, err) == 0, err.getvalue()
    assert err.getvalue() == ""
    ruleset = parse_ruleset(text)
    assert ruleset.jurisdiction == "NO"
    assert ruleset.calendar.country == "NO"


def test_unquoted_NO_schedules_on_norwegian_business_days(tmp_path):
    path = tmp_path / "norway.yaml"
    path.write_text(BASE.replace('"NO"', "NO"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(path), "-"], out, err, io.StringIO(json.dumps(CASE))) == 0, err.getvalue()
    schedule = json.loads(out.getvalue())
    # due + 5 days = Mon 6 Apr 2026, Easter Monday (2. påskedag) in Norway.
    assert schedule["actions"][0]["date"] == "2026-04-07"


YAML11_BOOLEANS = ["yes", "Yes", "on", "ON", "no", "off", "y"]


@pytest.mark.parametrize("word", YAML11_BOOLEANS)
def test_yaml11_boolean_where_a_boolean_is_expected_is_wrong_type(tmp_path, word):
    text = edit("    default: false", f"    default: {word}")
    f = only(validate(tmp_path, text), "wrong-type")
    assert (f.line, f.col) == pos(text, f"{word}\n")
    assert "boolean" in f.message
    assert repr(word) in f.message


@pytest.mark.parametrize("word", YAML11_BOOLEANS)
def test_yaml11_boolean_where_a_boolean_is_expected_hints_true_false(tmp_path, word):
    text = edit("    default: false", f"    default: {word}")
    f = only(validate(tmp_path, text), "wrong-type")
    assert re.search(r"\btrue\b", f.message) and re.search(r"\bfalse\b", f.message), f.message


def test_yaml11_boolean_parameter_used_as_a_condition(tmp_path):
    text = edit("steps:\n", "parameters:\n  strict: yes\nsteps:\n")
    text = edit("    channels: [sms, email]", "    channels: [sms, email]\n    when: params.strict", text)
    f = only(validate(tmp_path, text), "expr-type")
    assert (f.line, f.col) == pos(text, "params.strict")


# --- duplicate keys --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        pytest.param("currency: NOK\n", "currency: NOK\ncurrency: SEK\n", "currency", id="top-level"),
        pytest.param("    at: due + 5 days\n", "    at: due + 5 days\n    at: due + 6 days\n", "at", id="in-step"),
        pytest.param('  country: "NO"\n', '  country: "NO"\n  country: "SE"\n', "country", id="in-calendar"),
    ],
)
def test_duplicate_keys(tmp_path, old, new, key):
    text = edit(old, new)
    second = new.splitlines()[1]
    f = only(validate(tmp_path, text), "yaml-duplicate-key")
    assert (f.line, f.col) == pos(text, second.lstrip())
    assert repr(key) in f.message
    assert f"line {line_of(text, second) - 1}" in f.message


# --- alias bomb (billion laughs) -------------------------------------------------------

def test_billion_laughs_is_refused_without_expanding(tmp_path):
    rows = ['lol: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        rows.append(f"l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    text = "\n".join(rows) + "\n"
    found = validate(tmp_path, text)
    assert set(codes(found)) <= {"yaml-anchor", "yaml-alias"}
    assert (found[0].code, found[0].line, found[0].col) == ("yaml-anchor", 1, 6)
    assert len(found) <= 100  # a flood of findings helps nobody


def test_anchor_and_alias_inside_a_ruleset(tmp_path):
    text = edit("channels: [sms, email]", "channels: &ch [sms, email]")
    text = edit("    deadline:\n", "    channels: *ch\n    deadline:\n", text)
    found = validate(tmp_path, text)
    assert [(f.code, f.line, f.col) for f in found] == [
        ("yaml-anchor", *pos(text, "&ch")),
        ("yaml-alias", *pos(text, "*ch")),
    ]


# --- a 10 MB file ----------------------------------------------------------------------

def test_ten_megabyte_file_is_refused_before_parsing(tmp_path, monkeypatch):
    import yaml as pyyaml

    def must_not_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a file over the limit must not be parsed")

    for name in ("parse", "compose", "load", "safe_load"):
        monkeypatch.setattr(pyyaml, name, must_not_parse)
    # Not even YAML: if it were parsed, it would fail with a syntax error.
    text = "steps: [" + "[" * 10 * 1024 * 1024 + "\n"
    found = validate(tmp_path, text)
    assert [(f.code, f.line, f.col) for f in found] == [("yaml-too-large", 1, 1)]
    assert "1,000,000" in found[0].message
    assert "10,485,7" in found[0].message


def test_ten_megabyte_valid_ruleset_is_refused(tmp_path):
    text = BASE + "# " + "x" * (10 * 1024 * 1024) + "\n"
    found = validate(tmp_path, text)
    assert codes(found) == ["yaml-too-large"]


# --- cycles between steps -----------------------------------------------------------

def test_two_steps_in_a_cycle(tmp_path):
    text = edit("at: due + 5 days", "at: collection-notice + 1 day")
    text = edit("at: due + 15 days", "at: reminder-1 + 10 days", text)
    f = only(validate(tmp_path, text), "step-cycle")
    assert f.line in {line_of(text, "at: collection-notice + 1 day"), line_of(text, "at: reminder-1 + 10")}
    assert "reminder-1" in f.message and "collection-notice" in f.message


def test_step_depending_on_itself(tmp_path):
    text = edit("at: due + 5 days", "at: reminder-1 + 1 day")
    f = only(validate(tmp_path, text), "step-cycle")
    assert f.line == line_of(text, "at: reminder-1 + 1 day")
    assert "reminder-1 -> reminder-1" in f.message


def test_three_step_cycle_through_a_condition(tmp_path):
    # reminder-1 waits for payment-demand's status; payment-demand counts from
    # collection-notice; collection-notice counts from reminder-1.
    text = edit("    channels: [sms, email]", "    channels: [sms, email]\n    when: payment-demand.planned")
    text = edit("at: due + 15 days", "at: reminder-1 + 10 days", text)
    f = only(validate(tmp_path, text), "step-cycle")
    for step in ("reminder-1", "collection-notice", "payment-demand"):
        assert step in f.message
    step_lines = {line_of(text, "at: reminder-1 + 10"), line_of(text, "at: collection-notice.deadline"),
                  line_of(text, "at: due + 5 days"), line_of(text, "when: payment-demand")}
    assert f.line in step_lines


# --- unknown step references --------------------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "typo", "meant"),
    [
        pytest.param("at: collection-notice.deadline + 1 day", "at: colection-notice.deadline + 1 day",
                     "colection-notice", "collection-notice", id="deadline-anchor"),
        pytest.param("at: due + 15 days", "at: remindr-1 + 10 days", "remindr-1", "reminder-1", id="date-anchor"),
        pytest.param("at: due + 15 days", "at: max(due + 15 days, reminder-2 + 5 days)", "reminder-2",
                     "reminder-1", id="inside-max"),
    ],
)
def test_unknown_step_reference_with_did_you_mean(tmp_path, old, new, typo, meant):
    text = edit(old, new)
    f = only(validate(tmp_path, text), "unknown-step")
    assert (f.line, f.col) == pos(text, typo)
    assert f"did you mean {meant!r}" in f.message


def test_unknown_step_in_repeat_until(tmp_path):
    text = edit("    channels: [sms, email]",
                "    channels: [sms, email]\n    repeat:\n      every: 1 month\n      until: colection-notice")
    f = only(validate(tmp_path, text), "unknown-step")
    assert (f.line, f.col) == pos(text, "colection-notice")
    assert "did you mean 'collection-notice'" in f.message


def test_unknown_step_in_a_condition_with_did_you_mean(tmp_path):
    text = edit("      after: 14 days", "      after: 14 days\n    when: remindr-1.planned")
    f = only(validate(tmp_path, text), "expr-unknown-name")
    assert (f.line, f.col) == pos(text, "remindr-1.planned")
    assert "did you mean 'reminder-1'" in f.message


# --- conditions reaching for Python internals ------------------------------------------

UNQUOTED_INTERNALS = [
    pytest.param("facts.__class__", "__class__", id="facts.__class__"),
    pytest.param("facts.first_time_late.__globals__", "__globals__", id="attr-of-fact"),
    pytest.param("__builtins__", "__builtins__", id="__builtins__"),
    pytest.param("outstanding.__class__", "__class__", id="outstanding.__class__"),
]
QUOTED_INTERNALS = [
    pytest.param('"().__class__.__bases__"', "__class__", id="tuple-bases"),
    pytest.param("\"__import__('os')\"", "__import__", id="__import__"),
    pytest.param("\"getattr(facts, 'x')\"", "(facts", id="getattr-call"),
    pytest.param("\"facts['__class__']\"", "[", id="indexing"),
    pytest.param("\"''.join\"", ".join", id="str-method"),
    pytest.param("'eval(\"1\")'", "(", id="eval-call"),
]


def _when(tmp_path: Path, when: str) -> tuple[str, Found]:
    text = edit("    channels: [sms, email]", f"    channels: [sms, email]\n    when: {when}")
    (f,) = validate(tmp_path, text)
    return text, f


@pytest.mark.parametrize(("when", "needle"), UNQUOTED_INTERNALS + QUOTED_INTERNALS)
def test_condition_reaching_python_internals_is_refused(tmp_path, when, needle):
    text, f = _when(tmp_path, when)
    assert f.code == "expr-syntax"
    assert f.line == line_of(text, "    when:")
    assert "not allowed" in f.message or "may not start with '_'" in f.message or "may only join" in f.message


@pytest.mark.parametrize(("when", "needle"), UNQUOTED_INTERNALS)
def test_condition_error_column(tmp_path, when, needle):
    text, f = _when(tmp_path, when)
    column = len("    when: ") + when.index(needle) + 1
    assert (f.line, f.col) == (line_of(text, "    when: " + when), column)


@pytest.mark.parametrize(("when", "needle"), QUOTED_INTERNALS)
def test_condition_error_column_in_quoted_expression(tmp_path, when, needle):
    text, f = _when(tmp_path, when)
    column = len("    when: ") + when.index(needle) + 1
    assert (f.line, f.col) == (line_of(text, "    when: " + when), column)


@pytest.mark.parametrize("expr", ["\"__import__('os').system('touch {p}')\"", "\"due.__class__\""])
def test_date_expression_reaching_python_internals_is_refused(tmp_path, expr):
    sentinel = tmp_path / "pwned"
    text = edit("at: due + 5 days", "at: " + expr.format(p=sentinel))
    (f,) = validate(tmp_path, text)
    assert f.code == "expr-syntax"
    assert f.line == line_of(text, "at: " + expr.format(p=sentinel))
    assert "'_'" in f.message
    assert not sentinel.exists()


@pytest.mark.parametrize("style", ["plain", "folded"])
def test_error_in_multiline_condition_is_located_on_its_line(tmp_path, style):
    head = "    when: " if style == "plain" else "    when: >\n      "
    text = edit("    channels: [sms, email]",
                f"    channels: [sms, email]\n{head}outstanding > 0 and\n      facts.__class__")
    (f,) = validate(tmp_path, text)
    assert f.code == "expr-syntax"
    assert (f.line, f.col) == pos(text, "__class__")


# --- unknown action type, country, holiday category ----------------------------------

def test_unknown_action_type_with_did_you_mean(tmp_path):
    text = edit("action: reminder", "action: remnder")
    f = only(validate(tmp_path, text), "invalid-value")
    assert (f.line, f.col) == pos(text, "remnder")
    assert "did you mean 'reminder'" in f.message
    assert "x-" in f.message  # custom action types are x-name


def test_custom_action_type_is_allowed(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text(edit("action: reminder", "action: x-phone-call"), encoding="utf-8")
    assert run(["validate", str(path)], io.StringIO(), io.StringIO()) == 0


def test_unknown_country(tmp_path):
    text = edit('country: "NO"', 'country: "NOR"')
    (f,) = validate(tmp_path, text)
    assert f.code in ("invalid-value", "unknown-country")
    assert (f.line, f.col) == pos(text, '"NOR"')
    assert "did you mean 'NO'" in f.message or 'did you mean "NO"' in f.message


def test_unknown_jurisdiction(tmp_path):
    text = edit('jurisdiction: "NO"', 'jurisdiction: "NOR"')
    (f,) = validate(tmp_path, text)
    assert f.code == "invalid-value"
    assert (f.line, f.col) == pos(text, '"NOR"')


def test_calendar_country_differs_from_jurisdiction(tmp_path):
    text = edit('country: "NO"', 'country: "SE"')
    f = only(validate(tmp_path, text), "calendar-country")
    assert (f.line, f.col) == pos(text, '"SE"')


def test_unknown_holiday_category_with_did_you_mean(tmp_path):
    text = edit('  country: "SE"\n', '  country: "SE"\n  categories: [public, defacto]\n', SE_BASE)
    f = only(validate(tmp_path, text), "unknown-category")
    assert f.line == line_of(text, "categories:")
    assert '"de_facto"' in f.message or "'de_facto'" in f.message
    assert "defacto" in f.message


def test_holiday_category_the_country_does_not_have(tmp_path):
    text = edit('  country: "NO"\n', '  country: "NO"\n  categories: [public, de_facto]\n')
    f = only(validate(tmp_path, text), "unknown-category")
    assert f.line == line_of(text, "categories:")
    assert "public" in f.message  # what the country does have


def test_unknown_holiday_category_is_located_at_the_item(tmp_path):
    text = edit('  country: "SE"\n', '  country: "SE"\n  categories:\n    - public\n    - defacto\n', SE_BASE)
    f = only(validate(tmp_path, text), "unknown-category")
    assert (f.line, f.col) == pos(text, "defacto")


def test_hyphenated_holiday_category_suggests_the_real_one(tmp_path):
    text = edit('  country: "SE"\n', '  country: "SE"\n  categories: [public, de-facto]\n', SE_BASE)
    (f,) = validate(tmp_path, text)
    assert f.code == "unknown-category"
    assert f.line == line_of(text, "de-facto")
    assert '"de_facto"' in f.message or "'de_facto'" in f.message


# --- several errors in one file: all reported ----------------------------------------

def test_every_schema_error_in_a_file_is_reported(tmp_path):
    text = BASE
    text = edit('version: "1"', "version: 1", text)
    text = edit("language: nb", "language: no", text)
    text = edit("action: reminder", "action: remnder", text)
    text = edit("channels: [sms, email]", "channels: sms", text)
    text = edit("    deadline:", "    deadlin:", text)
    found = validate(tmp_path, text)
    assert len(found) == 5, found
    assert [(f.code, f.line) for f in found] == [
        ("wrong-type", line_of(text, "version:")),
        ("invalid-value", line_of(text, "language:")),
        ("invalid-value", line_of(text, "action: remnder")),
        ("wrong-type", line_of(text, "channels: sms")),
        ("unknown-key", line_of(text, "deadlin:")),
    ]


def test_every_semantic_error_in_a_file_is_reported(tmp_path):
    text = edit('  country: "NO"\n', '  country: "NO"\n  categories: [public, de_facto]\n')
    text = edit("    channels: [sms, email]", "    channels: [sms, email]\n    when: facts.__class__", text)
    text = edit("at: due + 15 days", "at: due + params.grace days", text)
    text = edit("at: collection-notice.deadline + 1 day", "at: colection-notice.deadline + 1 day", text)
    text = edit("  - id: payment-demand", "  - id: reminder-1", text)
    found = validate(tmp_path, text)
    assert len(found) == 5, found
    assert sorted((f.code, f.line) for f in found) == sorted([
        ("unknown-category", line_of(text, "categories:")),
        ("expr-syntax", line_of(text, "when: facts.__class__")),
        ("unknown-parameter", line_of(text, "params.grace")),
        ("unknown-step", line_of(text, "colection-notice")),
        ("duplicate-step", line_of(text, "id: reminder-1", 2)),
    ])


def test_every_yaml_error_in_a_file_is_reported(tmp_path):
    text = edit("currency: NOK\n", "currency: NOK\ncurrency: SEK\n")
    text = edit("channels: [sms, email]", "channels: !!python/object:os.system [sms]", text)
    text = edit("    at: due + 15 days\n", "    at: due + 15 days\n    at: due + 16 days\n", text)
    found = validate(tmp_path, text)
    assert [(f.code, f.line) for f in found] == [
        ("yaml-duplicate-key", line_of(text, "currency: SEK")),
        ("yaml-tag", line_of(text, "!!python")),
        ("yaml-duplicate-key", line_of(text, "at: due + 16")),
    ]


# ========================================================================== cases

def schedule(tmp_path: Path, name: str, text: str, ruleset: Path = NO_RULESET) -> list[Found]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    found = refused(["schedule", ruleset, path])
    assert all(f.path == str(path) for f in found)
    return found


def pretty(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def test_missing_due_date_in_json(tmp_path):
    data = {k: v for k, v in CASE.items() if k != "due_date"}
    (f,) = schedule(tmp_path, "case.json", pretty(data))
    assert f.code == "case-missing-field"
    assert "due_date" in f.message
    assert (f.line, f.col) == (1, 1)  # the object that lacks it


def test_missing_due_date_in_a_list_points_at_that_case(tmp_path):
    data = [CASE, {k: v for k, v in CASE.items() if k != "due_date"}]
    text = pretty(data)
    (f,) = schedule(tmp_path, "cases.json", text)
    assert f.code == "case-missing-field"
    assert (f.line, f.col) == pos(text, "{", 2)  # [ {case 1} {case 2}: the second '{' opens case 2


def test_missing_due_date_in_jsonl(tmp_path):
    rows = [CASE, CASE, {k: v for k, v in CASE.items() if k != "due_date"}]
    (f,) = schedule(tmp_path, "cases.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    assert f.code == "case-missing-field"
    assert f.line == 3


@pytest.mark.parametrize("field", ["due_date", "events.0.date"])
def test_impossible_date(tmp_path, field):
    if field == "due_date":
        data = dict(CASE, due_date="2026-02-30")
    else:
        data = dict(CASE, events=[{"type": "payment", "date": "2026-02-30", "amount": "10.00"}])
    text = pretty(data)
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-invalid-date"
    assert (f.line, f.col) == pos(text, '"2026-02-30"')
    assert field in f.message and "2026-02-30" in f.message


@pytest.mark.parametrize("amount", ['"-100.00"', "-100", '"0"'])
def test_negative_or_zero_amount(tmp_path, amount):
    text = pretty(CASE).replace('"9500.00"', amount)
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-negative-amount"
    assert (f.line, f.col) == pos(text, amount)


@pytest.mark.parametrize("amount", ['"1_000.00"', '" 12"', '"+12"', '"1e3"', '"\u0661\u0662"', '"12."'])
@pytest.mark.parametrize("where", ["case", "payment"])
def test_an_amount_that_is_not_plain_digits_is_refused(tmp_path, amount, where):
    """Python's Decimal reads these; a claim amount is written as plain digits with a point."""
    data = CASE if where == "case" else dict(CASE, events=[{"type": "payment", "date": "2026-04-05", "amount": "5.00"}])
    text = pretty(data).replace('"9500.00"' if where == "case" else '"5.00"', amount)
    for name in ("case.json", "cases.jsonl"):
        body = text if name == "case.json" else json.dumps(json.loads(text), ensure_ascii=False) + "\n"
        (f,) = schedule(tmp_path, name, body)
        assert f.code == "case-invalid" and "plain digits" in f.message
        assert (f.line, f.col) == pos(body, amount)


def test_negative_payment_amount(tmp_path):
    text = pretty(dict(CASE, events=[{"type": "payment", "date": "2026-04-05", "amount": "-5.00"}]))
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-negative-amount"
    assert (f.line, f.col) == pos(text, '"-5.00"')


def test_currency_not_the_rulesets(tmp_path):
    text = pretty(dict(CASE, currency="SEK"))
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-currency-mismatch"
    assert (f.line, f.col) == pos(text, '"SEK"')
    assert "SEK" in f.message and "NOK" in f.message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param('{\n  "id": "C-1",\n  "due_date": "2026-04-01"\n  "amount": "1.00"\n}\n', '"amount"',
                     id="missing-comma"),
        pytest.param('{\n  "id": "C-1",\n  "amount": "1.00",\n}\n', "}", id="trailing-comma"),
        pytest.param("{\n  'id': 'C-1'\n}\n", "'id'", id="single-quotes"),
        pytest.param('{\n  "id": "C-1",\n  "amount": 1.00.0\n}\n', ".0\n", id="bad-number"),
        pytest.param("", None, id="empty"),
    ],
)
def test_invalid_json(tmp_path, text, where):
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-invalid-json"
    if where is not None:
        assert (f.line, f.col) == pos(text, where)


def test_invalid_json_line_in_jsonl(tmp_path):
    text = json.dumps(CASE) + "\n" + '{"id": "C-2" "due_date": "2026-04-01"}\n'
    (f,) = schedule(tmp_path, "cases.jsonl", text)
    assert f.code == "case-invalid-json"
    assert (f.line, f.col) == pos(text, '"due_date": "2026-04-01"}')


@pytest.mark.parametrize("value", ['"just text"', "42", "null", "true"])
def test_case_not_an_object(tmp_path, value):
    (f,) = schedule(tmp_path, "case.json", value + "\n")
    assert f.code == "case-invalid"
    assert (f.line, f.col) == (1, 1)


def test_case_not_an_object_in_a_list(tmp_path):
    text = "[\n" + json.dumps(CASE) + ",\n  42\n]\n"
    (f,) = schedule(tmp_path, "cases.json", text)
    assert f.code == "case-invalid"
    assert (f.line, f.col) == pos(text, "42")


@pytest.mark.parametrize("value", ["[1]", '"text"', "7"])
def test_case_not_an_object_in_jsonl(tmp_path, value):
    (f,) = schedule(tmp_path, "cases.jsonl", json.dumps(CASE) + "\n" + value + "\n")
    assert f.code == "case-invalid"
    assert f.line == 2




@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        pytest.param('"yes"', "json", id="yes-json"),
        pytest.param('"yes"', "jsonl", id="yes-jsonl"),
        pytest.param('"true"', "json", id="true-string-json"),
        pytest.param("2", "json", id="2-json"),
        pytest.param("2.5", "jsonl", id="2.5-jsonl"),
        pytest.param("1", "jsonl", id="1-jsonl"),
        pytest.param("1", "json", id="1-json"),
        pytest.param("0", "json", id="0-json"),
    ],
)
def test_wrong_fact_type(tmp_path, value, fmt):
    data = dict(CASE, facts={"eviction_warning_opt_out": "PLACEHOLDER"})
    text = (pretty(data) if fmt == "json" else json.dumps(data) + "\n").replace('"PLACEHOLDER"', value)
    (f,) = schedule(tmp_path, f"case.{fmt}", text)
    assert f.code == "case-fact-type"
    key = '"eviction_warning_opt_out": '
    line, col = pos(text, key + value)
    assert (f.line, f.col) == (line, col + len(key))
    assert "eviction_warning_opt_out" in f.message and "boolean" in f.message


NUMBER_FACT_RULESET = edit(
    "facts:\n  first_time_late:\n    type: boolean\n    default: false\n",
    "facts:\n  months_in_arrears:\n    type: number\n    default: 0\n",
)


def test_number_fact_one_in_a_json_file_is_a_number(tmp_path):
    ruleset = tmp_path / "numbers.yaml"
    ruleset.write_text(NUMBER_FACT_RULESET, encoding="utf-8")
    for name in ("case.json", "case.jsonl"):
        path = tmp_path / name
        path.write_text(json.dumps(dict(CASE, facts={"months_in_arrears": 1})) + "\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        assert run(["schedule", str(ruleset), str(path)], out, err) == 0, (name, err.getvalue())


def test_wrong_fact_type_message_shows_the_json_value(tmp_path):
    text = json.dumps(dict(CASE, facts={"eviction_warning_opt_out": 2.5})) + "\n"
    (f,) = schedule(tmp_path, "case.jsonl", text)
    assert f.code == "case-fact-type"
    assert "Decimal" not in f.message and "2.5" in f.message


def test_unknown_case_field(tmp_path):
    text = pretty(dict(CASE, due_dat="2026-04-01"))
    found = schedule(tmp_path, "case.json", text)
    f = only(found, "case-unknown-field")
    assert (f.line, f.col) == pos(text, '"2026-04-01"', 2)
    assert "due_dat" in f.message


def test_errors_in_a_json_file_are_at_the_line_of_the_offending_field(tmp_path):
    good = dict(CASE)
    bad = dict(
        CASE,
        id="C-2",
        currency="SEK",
        facts={"eviction_warning_opt_out": "no"},
        events=[{"type": "payment", "date": "2026-04-03", "amount": "100.00"},
                {"type": "payment", "date": "2026-13-03", "amount": "100.00"}],
    )
    text = pretty([good, bad])
    found = schedule(tmp_path, "cases.json", text)
    assert [(f.code, f.line, f.col) for f in found] == [
        ("case-invalid-date", *pos(text, '"2026-13-03"')),
    ]
    # Once the date is right, the problems the ruleset sees are reported, each at its field.
    text = text.replace("2026-13-03", "2026-04-13")
    found = schedule(tmp_path, "cases.json", text)
    assert sorted((f.code, f.line, f.col) for f in found) == sorted([
        ("case-currency-mismatch", *pos(text, '"SEK"')),
        ("case-fact-type", *pos(text, '"no"')),
    ])


def test_every_case_error_in_one_case_is_reported(tmp_path):
    text = pretty({"id": "", "due_date": "2026-02-30", "amount": "-1", "currency": "nok"})
    found = schedule(tmp_path, "case.json", text)
    assert len(found) == 4, found
    assert sorted(f.line for f in found) == [2, 3, 4, 5]


def test_stdin_case_errors_are_located(tmp_path):
    text = pretty(dict(CASE, due_date="2026-02-30"))
    (f,) = refused(["schedule", NO_RULESET, "-"], stdin=text)
    assert f.path == "<stdin>"
    assert f.code == "case-invalid-date"
    assert (f.line, f.col) == pos(text, '"2026-02-30"')


# --- case bugs ---------------------------------------------------------------------------

def test_stdin_pretty_invalid_json_is_one_located_error():
    text = '{\n  "id": "C-1",\n  "due_date": "2026-04-01"\n  "amount": "1.00"\n}\n'
    (f,) = refused(["schedule", NO_RULESET, "-"], stdin=text)
    assert f.code == "case-invalid-json"
    assert (f.line, f.col) == pos(text, '"amount"')


def test_error_in_a_large_json_file_is_located(tmp_path):
    padding = " " * 1_100_000  # JSON whitespace: the file is over 1 MB with only two cases
    bad = json.dumps(dict(CASE, due_date="2026-02-30"))
    text = "[\n" + json.dumps(CASE) + "," + padding + "\n" + bad + "\n]\n"
    (f,) = schedule(tmp_path, "cases.json", text)
    assert f.code == "case-invalid-date"
    assert (f.line, f.col) == pos(text, '"2026-02-30"')


def test_error_in_json_that_yaml_refuses_is_located(tmp_path):
    text = pretty(dict(CASE, debtor={"name": "Kari \U0001F600"}, due_date="2026-02-30"))  # a surrogate escape
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code == "case-invalid-date"
    assert (f.line, f.col) == pos(text, '"2026-02-30"')


# --- a key given twice in a case -----------------------------------------------------------------
# json keeps the last value of a key given twice, other readers the first: a case that does so
# would be read one way here and another way by the system that wrote it.

def test_a_key_given_twice_is_refused_at_the_repeat_with_every_other_problem(tmp_path):
    text = ('{\n  "id": "C-1",\n  "id": "C-2",\n  "due_date": "2026-02-30",\n  "amount": "1.00",\n'
            '  "currency": "NOK"\n}\n')
    found = schedule(tmp_path, "case.json", text)
    assert [(f.code, (f.line, f.col)) for f in found] == [
        ("case-key-twice", pos(text, '"id"', 2)), ("case-invalid-date", pos(text, '"2026-02-30"'))]
    assert found[0].message == "key 'id' is given twice; JSON readers disagree on which one counts: give each key once"


TWICE_LINES = [
    ('"currency": "NOK"', '"currency": "NOK", "currency": "NOK"', "key 'currency' is given twice"),
    ('"date": "2026-04-03", "amount": "100.00"', '"date": "2026-04-03", "amount": "100.00", "amount": "9500.00"',
     "key 'amount' is given twice in events.0"),
    ('"facts": {}', '"facts": {"x": true, "x": false}', "key 'x' is given twice in facts"),
    ('"facts": {}', '"facts": {}, "facts": {}', "key 'facts' is given twice"),
    ('"name": "Kari"', '"name": "Kari", "kind": "person", "kind": "person"', "key 'kind' is given twice in debtor"),
]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("old, new, message", TWICE_LINES)
def test_a_key_given_twice_on_a_json_line_is_refused_and_the_other_lines_run(tmp_path, old, new, message, jobs):
    good = ('{"id": "C-1", "due_date": "2026-04-01", "amount": "100.00", "currency": "NOK", '
            '"debtor": {"name": "Kari"}, "facts": {}, '
            '"events": [{"type": "payment", "date": "2026-04-03", "amount": "100.00"}]}')
    assert good.count(old) == 1
    bad = good.replace(old, new)
    path = tmp_path / "cases.jsonl"
    path.write_text(good + "\n" + bad + "\n" + good.replace("C-1", "C-3") + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path), "--jobs", jobs], out, err) == 1
    assert [json.loads(line)["case"] for line in out.getvalue().splitlines()] == ["C-1", "C-3"]
    (f,) = [Found(m[1], int(m[2]), int(m[3]), m[4], m[5]) for m in map(FINDING.match, err.getvalue().splitlines())]
    key = '"' + message.split("'")[1] + '"'
    assert (f.path, f.line, f.col, f.code) == (str(path), 2, bad.rindex(key) + 1, "case-key-twice")  # the repeat
    assert f.message.startswith(message + ";")


@pytest.mark.parametrize("line", [
    '{"id": "C-1", "due_date": "2026-04-01", "amount": "100.00", "currency": "NOK", "facts": {}, "events": []}',
    '{"id": "C-1", "due_date": "2026-04-01", "amount": "100.00", "currency": "NOK", "debtor": {"name": "K", '
    '"kind": "person", "language": null}, "payment_reference": null}',
    '{"id" : "C-1", "due_date" : "2026-04-01", "amount" : "100.00", "currency" : "NOK"}',
    '{"id": "C-1", "due_date": "2026-04-01", "amount": "100.00", "currency": "NOK", "events": '
    '[{"type": "dispute_opened", "date": "2026-04-03", "note": "said \\"no\\": twice"}]}',
    '{"id": "C-1", "due_date": "2026-04-01", "amount": "100.00", "currency": "NOK", "facts": {"kind": true}, '
    '"debtor": {"name": "K"}}',
])
def test_keys_given_once_are_never_taken_for_twice(tmp_path, line):
    path = tmp_path / "cases.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path)], out, err) == 0, err.getvalue()
    assert json.loads(out.getvalue())["case"] == "C-1"


def test_a_key_given_twice_is_refused_by_diff_and_by_a_test_file(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "C-1", "due_date": "2026-04-01", "amount": "1.00", "amount": "2.00", '
                     '"currency": "NOK"}\n', encoding="utf-8")
    found = refused(["diff", NO_RULESET, NO_RULESET, "--cases", cases])
    text = cases.read_text(encoding="utf-8")
    assert [(f.code, f.line, f.col) for f in found] == [("case-key-twice", 1, text.rindex('"amount"') + 1)]
    folder = tmp_path / "no"
    shutil.copytree(NO_RULESET.parent, folder)
    case_text = '{"id": "C-1", "due_date": "2026-04-01", "amount": "1.00", "currency": "NOK", "currency": "NOK"}\n'
    (folder / "case.json").write_text(case_text, encoding="utf-8")
    tests = folder / "t.test.yaml"
    tests.write_text("dunningrules-test: 1\nruleset: standard.yaml\ntests:\n  - name: twice\n    case_file: case.json\n"
                     "    expect: []\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["test", str(tests)], out, err) != 0
    col = case_text.rindex('"currency"') + 1
    assert f"case.json:1:{col}: case-key-twice: key 'currency' is given twice" in err.getvalue()


def test_many_bad_cases_in_a_json_file_are_reported_quickly(tmp_path):
    cases = [dict(CASE, id=f"C-{i}", due_date="2026-02-30") for i in range(400)]
    text = "[\n" + ",\n".join(json.dumps(c) for c in cases) + "\n]\n"
    found = schedule(tmp_path, "cases.json", text)
    assert len(found) == 400
    assert [f.line for f in found] == list(range(2, 402))


@pytest.mark.parametrize("name", ["cases.jsonl", "case.json"])
def test_deeply_nested_case_is_one_located_error(tmp_path, name):
    deep = '{"id": "C-2", "due_date": "2026-04-01", "amount": "1.00", "currency": "NOK", "facts": {"x": ' \
        + "[" * 100_000 + "]" * 100_000 + "}}"
    if name.endswith(".jsonl"):
        text = json.dumps(CASE) + "\n" + deep + "\n" + json.dumps(dict(CASE, id="C-3")) + "\n"
    else:
        text = deep + "\n"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(["schedule", str(NO_RULESET), str(path)], out, err)
    assert code == 1
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    m = FINDING.match(lines[0])
    assert m and m[1] == str(path), lines[0]
    assert m[4] != "internal-error"
    if name.endswith(".jsonl"):
        assert int(m[2]) == 2
        assert [json.loads(s)["case"] for s in out.getvalue().splitlines()] == ["C-1", "C-3"]


def test_huge_integer_amount_is_a_located_case_error(tmp_path):
    text = pretty(CASE).replace('"9500.00"', "9" * 5000)
    (f,) = schedule(tmp_path, "case.json", text)
    assert f.code.startswith("case-")
    assert f.line == line_of(text, '"amount"')


def test_schema_errors_and_expression_errors_come_in_one_round(tmp_path):
    """A ruleset with an unknown key (schema) also gets its expression syntax and unknown step
    anchors reported in the same run, each in its place."""
    text = (
        'dunningrules: 1\nid: two-rounds\nversion: "1"\ntitle: Errors of every kind at once\n'
        'jurisdiction: "NO"\ncurrency: NOK\nlanguage: nb\ncalendar: {country: "NO"}\nsteps:\n'
        "  - id: reminder-1\n    action: reminder\n    at: due + 5 dayz\n    deadlin: {after: 14 days}\n"
        "  - id: call\n    action: x-call\n    at: remindr-1 + 3 days\n"
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(path)], out, err) == 1
    found = [line.split(": ")[1] for line in err.getvalue().splitlines()]
    assert found == ["expr-syntax", "unknown-key", "unknown-step"]
    assert f"{path}:12:17: expr-syntax:" in err.getvalue()
    assert f"{path}:16:9: unknown-step: unknown step 'remindr-1'; did you mean 'reminder-1'?" in err.getvalue()


def test_schema_errors_in_some_steps_leave_the_others_fully_checked(tmp_path):
    """Names in conditions, cycles and other compiler checks of the well-formed steps come in the
    same round as a malformed step's schema error; nothing is said about the malformed step's id
    being unknown, although it was left out of that check."""
    text = (
        'dunningrules: 1\nid: rest\nversion: "1"\ntitle: T\njurisdiction: "NO"\ncurrency: NOK\nlanguage: nb\n'
        'calendar: {country: "NO"}\nsteps:\n'
        "  - id: reminder-1\n    action: reminder\n    at: due + 5 days\n    chanels: [sms]\n"     # 10-13
        "  - id: reminder-2\n    action: reminder\n    at: reminder-1 + 5 days\n"                  # 14-16
        "    when: facts.nope and reminder-1.planned\n"                                          # 17
        "  - id: notice\n    action: debt_collection_notice\n    at: notice + 1 day\n"          # 18-20
        "  - id: check\n    action: x-check\n    at: due + 20 days\n    when: reminder-1.planned\n"  # 21-24
    )
    path = tmp_path / "rest.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(path)], out, err) == 1
    lines = err.getvalue().splitlines()
    assert [line.split(": ")[1] for line in lines] == ["unknown-key", "expr-unknown-name", "step-cycle"], lines
    assert f"{path}:17:11: expr-unknown-name: in 'facts.nope and reminder-1.planned': unknown name facts.nope" \
        in err.getvalue()
    assert f"{path}:20:9: step-cycle:" in err.getvalue()


def test_a_top_level_schema_error_still_stops_before_the_compiler(tmp_path):
    text = (
        'dunningrules: 1\nid: top\nversion: "1"\ntitle: T\njurisdiction: "NO"\ncurrency: nok\nlanguage: nb\n'
        'calendar: {country: "NO"}\nsteps:\n  - id: a\n    action: reminder\n    at: due + 5 days\n'
        "    when: facts.nope\n"
    )
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(path)], out, err) == 1
    assert [line.split(": ")[1] for line in err.getvalue().splitlines()] == ["invalid-format"]


# ------------------------------------------------------------------ offsets beyond any calendar

@pytest.mark.parametrize("expr, where", [
    ("at: due + 8000 years", "8000"),
    ("at: due - 999999999999999 years", "999999999999999"),
    ("at: due + 120000 months", "120000"),
    ("at: due + 40000 days", "40000"),
])
def test_an_offset_of_more_than_a_century_is_refused(tmp_path, expr, where):
    text = edit("at: due + 5 days", expr)
    f = only(validate(tmp_path, text), "offset-too-large")
    assert (f.line, f.col) == pos(text, where)
    assert "at most 100 years" in f.message


def test_a_deadline_of_more_than_a_century_is_refused(tmp_path):
    text = edit("      after: 14 days", "      after: 999999999999999 months")
    only(validate(tmp_path, text), "offset-too-large")


def test_steps_counted_from_steps_past_the_calendar_are_a_case_error_naming_the_step(tmp_path):
    # Each offset is within the limit; counted one from the other they would pass any calendar, and
    # the year 9999 (where the date type ends): the first step past the calendar's end is named.
    chain = "".join(f"  - {{id: s{i}, action: reminder, at: {'due' if i == 0 else f's{i - 1}'} + 100 years, "
                    f"roll: none}}\n" for i in range(100))
    path = tmp_path / "chain.yaml"
    path.write_text(BASE.split("steps:")[0] + "steps:\n" + chain, encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    [f] = refused(["schedule", path, case])
    assert f.code == "calendar-range" and f.message.startswith("step s0: 2126-04-01 is outside")
    assert "ordinal" not in f.message


# ------------------------------------------------------------------ one finding, one line

def test_a_case_cannot_forge_findings_or_drive_the_terminal(tmp_path):
    bad = {**CASE, "x\ny.json:9:9: fake: forged": 1}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(BASE, encoding="utf-8")
    [f] = refused(["schedule", ruleset, path])
    assert f.code == "case-unknown-field" and "x\\ny.json:9:9: fake: forged" in f.message


def test_a_table_writes_control_characters_escaped(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**CASE, "id": "A\n\x1b[31mB"}), encoding="utf-8")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(BASE, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(ruleset), str(path), "--format", "table"], out, err) == 0, err.getvalue()
    assert out.getvalue().splitlines()[0] == "case A\\n\\x1b[31mB  ruleset test-rules 1"
    assert "\x1b" not in out.getvalue()


def test_an_empty_list_of_cases_gives_an_empty_array(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("[]\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path)], out, err) == 0
    assert (json.loads(out.getvalue()), err.getvalue()) == ([], "")


def test_every_cycle_is_reported_at_once(tmp_path):
    text = BASE.split("steps:")[0] + """steps:
  - {id: a, action: reminder, at: b + 1 day}
  - {id: b, action: reminder, at: a + 1 day}
  - {id: c, action: reminder, at: due, when: c.planned}
  - {id: d, action: reminder, at: e.deadline, deadline: {after: 3 days}}
  - {id: e, action: reminder, at: d.deadline, deadline: {after: 3 days}}
"""
    found = validate(tmp_path, text)
    assert [f.message.rsplit(": ", 1)[1] for f in found if f.code == "step-cycle"] == [
        "a -> b -> a", "c -> c", "d -> e -> d"]


def test_every_missing_key_is_reported(tmp_path):
    found = validate(tmp_path, BASE.split("steps:")[0].replace('version: "1"\n', "").replace("title: Test rules\n", "")
                     + "steps:\n  - {id: a}\n")
    assert sorted(f.message for f in found if f.code == "missing-key") == [
        "steps.0 needs the key 'action'", "steps.0 needs the key 'at'",
        "the ruleset needs the key 'title'", "the ruleset needs the key 'version'"]


@pytest.mark.parametrize("written", ['"1E1"', '"1_0"', '" 5"', '"37.505"', '"+5"'])
def test_a_fee_amount_is_plain_digits(tmp_path, written):
    text = edit("      after: 14 days\n", f"      after: 14 days\n    fee: {{kind: collection_notice, amount: {written}}}\n")
    f = only(validate(tmp_path, text), "invalid-format")
    assert "plain digits with at most two decimals" in f.message


def test_a_fee_amount_is_written_with_two_decimals(tmp_path):
    text = NO_RULESET.read_text(encoding="utf-8")
    old = "      rate: inkassosats\n      fraction: 1/20           # only on a notice sent at least 14 days after the due date\n"
    assert text.count(old) == 1
    path = tmp_path / "r.yaml"
    path.write_text(text.replace(old, '      amount: "37.5"\n'), encoding="utf-8")
    (tmp_path / "rates.yaml").write_text((NO_RULESET.parent / "rates.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(path), str(case)], out, err) == 0, err.getvalue()
    fees = [a["fee"] for a in json.loads(out.getvalue())["actions"] if a["fee"]]
    assert fees == ["37.50"]


def test_a_case_gets_every_problem_at_once_in_the_order_of_its_text(tmp_path):
    text = ('{"id": "X", "due_date": "2026-03-18",\n "amount": "-1", "currency": "NOK",\n'
            ' "events": [{"type": "payment", "date": "2026-04-20"},\n'
            '            {"type": "dispute_opened", "date": "2026-04-20", "amount": "5.00"}]}\n')
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    found = refused(["schedule", NO_RULESET, path])
    assert [(f.line, f.code) for f in found] == [
        (2, "case-negative-amount"), (3, "case-invalid"), (4, "case-invalid")]
    assert [f.message for f in found][1:] == ["a payment event needs an amount", "a dispute_opened event has no amount"]


def test_a_ruleset_whose_schedules_could_hold_too_many_actions_is_refused(tmp_path):
    steps = "".join(f"  - {{id: s{i}, action: reminder, at: due, repeat: {{every: 1 business day, "
                    f"until: due + 70 years, max: 600}}}}\n" for i in range(10))
    f = only(validate(tmp_path, BASE.split("steps:")[0] + "steps:\n" + steps), "too-many-actions")
    assert "6,000 actions" in f.message


def test_a_ruleset_of_more_than_200_steps_is_refused(tmp_path):
    steps = "".join(f"  - {{id: s{i}, action: reminder, at: due + {i} days}}\n" for i in range(201))
    f = only(validate(tmp_path, BASE.split("steps:")[0] + "steps:\n" + steps), "invalid-value")
    assert f.message == "steps has 201 items; the limit is 200"


def test_a_folder_a_rate_file_and_a_jsonl_for_one_case_are_named_for_what_they_are(tmp_path):
    [folder] = refused(["validate", ROOT / "rulesets"])
    assert folder.code == "file-unreadable" and folder.message.startswith("is a folder")
    [rates] = refused(["validate", ROOT / "rulesets" / "no" / "rates.yaml"])
    assert rates.code == "not-a-ruleset" and "rate file" in rates.message
    [many] = refused(["render", NO_RULESET, ROOT / "examples" / "no-cases.jsonl", "--step", "reminder-1"])
    assert many.code == "case-invalid" and "one case is needed here" in many.message


@pytest.mark.parametrize("old, new, code, words", [
    ("at: due + 5 days", "at: due + 1 dya", "expr-syntax", "(did you mean 'day'?)"),
    ("      after: 14 days", "      after: -1 day", "expr-syntax", "a length counts forward: write '1 day'"),
    ("    at: due + 5 days\n", "    at: due + 5 days\n    when: outstanding >= 1_000\n", "expr-syntax",
     "write numbers without '_'"),
])
def test_expression_mistakes_are_told_in_their_own_words(tmp_path, old, new, code, words):
    f = only(validate(tmp_path, edit(old, new)), code)
    assert words in f.message


def test_a_value_too_long_is_measured_not_echoed_and_reported_once(tmp_path):
    text = edit("id: test-rules", "id: " + "x" * 5000)
    text = edit("    at: due + 5 days\n", "    at: due + 5 days\n    when: " + "outstanding > 1 and " * 60 + "true\n", text)
    found = validate(tmp_path, text)
    assert [(f.code, f.message) for f in found] == [
        ("invalid-value", "id has 5,000 characters; the limit is 64"),
        ("invalid-value", "steps.0.when has 1,204 characters; the limit is 500")]


def test_case_values_of_the_wrong_shape_are_told_in_words(tmp_path):
    path = tmp_path / "case.json"
    path.write_text('{"id": "X", "due_date": "2026-03-18", "amount": 1e400, "currency": "NOK", "debtor": "Kari"}',
                    encoding="utf-8")
    found = refused(["schedule", NO_RULESET, path])
    assert [f.message for f in found] == ["amount has too many digits: at most 18 in all",
                                          'debtor must be a JSON object, not "Kari"']


@pytest.mark.parametrize("name, jobs", [("cases.json", "1"), ("cases.jsonl", "1"), ("cases.jsonl", "2")])
def test_a_byte_order_mark_at_the_start_of_a_case_file_is_no_part_of_it(tmp_path, name, jobs):
    source = ROOT / "examples" / ("no-case.json" if name.endswith(".json") else "no-cases.jsonl")
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    got, plain = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path), "--jobs", jobs], got, io.StringIO()) == 0
    assert run(["schedule", str(NO_RULESET), str(source)], plain, io.StringIO()) == 0
    assert got.getvalue() == plain.getvalue()


@pytest.mark.parametrize("source, name", [("no-case.json", "case.txt"), ("no-cases.jsonl", "cases.ndjson")])
def test_a_case_file_of_another_name_is_read_as_what_it_holds(tmp_path, source, name):
    path = tmp_path / name
    path.write_bytes((ROOT / "examples" / source).read_bytes())
    got, want = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path)], got, io.StringIO()) == 0
    assert run(["schedule", str(NO_RULESET), str(ROOT / "examples" / source)], want, io.StringIO()) == 0
    assert got.getvalue() == want.getvalue()


def test_as_of_is_written_yyyy_mm_dd(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(ROOT / "examples" / "no-case.json"), "--as-of", "20260101"],
               out, err) == 2
    assert "not a date YYYY-MM-DD: '20260101'" in err.getvalue()


def test_with_text_and_a_table_are_a_usage_error():
    err = io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(ROOT / "examples" / "no-case.json"), "--with-text",
                "--format", "table"], io.StringIO(), err) == 2
    assert "cannot be combined with --format table" in err.getvalue()


def test_a_policy_file_is_named_for_what_it_is():
    [f] = refused(["validate", ROOT / "rulesets" / "policies" / "no.yaml"])
    assert f.code == "not-a-ruleset" and "lint policy" in f.message


@pytest.mark.parametrize("command", [["render", "--step", "reminder-1"], ["explain", "--case"]])
def test_render_and_explain_locate_what_evaluating_the_case_finds(tmp_path, command):
    path = tmp_path / "late.json"
    path.write_text('{"id": "L-2", "due_date": "2100-12-30", "amount": "9500.00", "currency": "NOK"}',
                    encoding="utf-8")
    args = (["render", NO_RULESET, path, *command[1:]] if command[0] == "render"
            else ["explain", NO_RULESET, "--case", path])
    [f] = refused(args)
    assert (f.path, f.line, f.code) == (str(path), 1, "calendar-range") and f.message.startswith("step reminder-1:")


def test_a_fact_of_no_fact_type_is_one_problem(tmp_path):
    path = tmp_path / "case.json"
    path.write_text('{"id": "X", "due_date": "2026-03-18", "amount": "9500.00", "currency": "NOK", '
                    '"facts": {"x": Infinity}}', encoding="utf-8")
    [f] = refused(["schedule", NO_RULESET, path])
    assert (f.code, f.message) == ("case-fact-type", "facts.x must be true, false, null, a number or a text, not Infinity")


def test_invisible_characters_that_reorder_text_are_written_escaped(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**CASE, "f\u202eoo\u200b": 1}), encoding="utf-8")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(BASE, encoding="utf-8")
    [f] = refused(["schedule", ruleset, path])
    assert "f\\u202eoo\\u200b" in f.message and "\u202e" not in f.message


@pytest.mark.parametrize("written, message", [
    ("0", "steps.1.fee.amount must be more than 0, not 0"),
    ("-5", "steps.1.fee.amount must be more than 0, not -5"),
    ("180.001", "steps.1.fee.amount: at most 2 decimals (whole øre/öre)"),
])
def test_a_fee_amount_out_of_range_is_told_so(tmp_path, written, message):
    text = edit("      after: 14 days\n", f"      after: 14 days\n    fee: {{kind: collection_notice, amount: {written}}}\n")
    f = only(validate(tmp_path, text), "invalid-value")
    assert f.message == message


def test_a_missing_title_or_a_misspelt_key_does_not_hide_the_steps_problems(tmp_path):
    text = edit("title: Test rules\n", "titel: Test rules\n").split("steps:")[0] + """steps:
  - {id: a, action: reminder, at: b + 1 day}
  - {id: b, action: reminder, at: a + 1 day}
  - {id: c, action: reminder, at: due + 101 years}
"""
    assert sorted(codes(validate(tmp_path, text))) == ["missing-key", "offset-too-large", "step-cycle", "unknown-key"]


@pytest.mark.parametrize("name", ["case.json", "cases.jsonl"])
def test_a_misspelt_fact_is_refused_and_other_undeclared_facts_are_ignored(tmp_path, name):
    path = tmp_path / name
    path.write_text(json.dumps({**CASE, "facts": {"first_time_lte": True, "crm_segment": "A"}}) + "\n",
                    encoding="utf-8")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(BASE, encoding="utf-8")
    [f] = refused(["schedule", ruleset, path])
    assert f.code == "case-unknown-fact" and "did you mean 'first_time_late'?" in f.message
    path.write_text(json.dumps({**CASE, "facts": {"crm_segment": "A"}}) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run(["schedule", str(ruleset), str(path)], out, io.StringIO()) == 0 and out.getvalue()


def test_a_value_of_the_wrong_type_and_not_allowed_is_one_problem(tmp_path):
    [f] = validate(tmp_path, edit("dunningrules: 1\n", "dunningrules: \"01\"\n"))
    assert f.code == "invalid-value" and "expected one of: 1" in f.message
