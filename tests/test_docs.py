"""The reference documentation is kept honest by these tests.

- every error code the source can emit is documented in docs/errors.md;
- every key of the DSL's models, every action type and every channel is named in docs/dsl.md;
- every ```yaml example in docs/dsl.md is checked: a block that starts with `dunningrules: 1` is a
  complete ruleset, any other block is a fragment placed under the standard header the document
  states ("How to read the examples"); a block preceded by `<!-- invalid: CODE -->` must fail with
  that code, every other block must load;
- every ```json example with a `due_date` is a case that the case model accepts;
- every table preceded by `<!-- schedule ... -->` is what `evaluate` gives for the ruleset and case
  shown before it (or the shipped ruleset named in the marker), so timelines in the text cannot drift.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dunningrules import InvalidInputError, case_from_data, compile, evaluate, load_ruleset, parse_ruleset
from dunningrules import _model

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dunningrules"
DSL = ROOT / "docs" / "dsl.md"
ERRORS = ROOT / "docs" / "errors.md"

# --------------------------------------------------------------------------- error codes

# What an error code looks like: lowercase words joined by hyphens (`yaml-duplicate-key`).
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
# Codes written inside f-strings (the CLI's last-resort lines: `PATH:0:0: CODE: message`).
FSTRING_CODE = re.compile(r":\d+:\d+: ([a-z][a-z0-9]*(?:-[a-z0-9]+)+): ")
# Codes built at run time, which no literal in the source spells out whole.  Empty today; a code
# assembled from pieces (f"case-{kind}") must be listed here.
DYNAMIC_CODES: set[str] = set()
# Hyphenated string literals in the source that are not error codes.
NOT_CODES = {
    "utf-8",        # an encoding name
    "pause-open",   # internal outcome tags of the evaluator (never printed)
    "pause-skip",
    "dunningrules-rates",  # the version key of a rate file
    "dunningrules-policy",  # the version key of a lint policy file
    "dunningrules-test",  # the version key of a ruleset test file
}
# Values of the DSL's vocabularies are hyphenated words too (`e-filing`); they are not codes.
VOCABULARY = set(_model.ACTION_TYPES) | set(_model.CHANNELS) | set(_model.RECIPIENTS) | {
    "following", "preceding", "modified_following", "none",
}


def _string_literals(path: Path) -> list[str]:
    """Every string constant in a module, including the literal parts of f-strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def source_codes() -> set[str]:
    """Every error code in src/dunningrules.

    A code is any string literal of the code's shape (read with `ast`, so quoting and formatting do
    not matter), or a code inside an f-string's `PATH:L:C: CODE: ` line, or one of DYNAMIC_CODES;
    minus the vocabulary words and NOT_CODES.  Counting every such literal errs on the side of
    documenting too much: a new hyphenated literal that is not a code goes into NOT_CODES.
    """
    codes = set(DYNAMIC_CODES)
    for path in sorted(SRC.glob("*.py")):
        for text in _string_literals(path):
            if CODE_SHAPE.fullmatch(text):
                codes.add(text)
            codes.update(FSTRING_CODE.findall(text))
    return codes - NOT_CODES - VOCABULARY


def documented_codes() -> set[str]:
    """Codes named in a heading (`### \\`code\\``) or in the first cell of a table row of errors.md."""
    text = ERRORS.read_text(encoding="utf-8")
    found = set()
    for line in text.splitlines():
        if line.startswith("#"):
            found.update(re.findall(r"`([a-z][a-z0-9-]*)`", line))
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells:
                found.update(re.findall(r"`([a-z][a-z0-9-]*)`", cells[0]))
    return found


def test_the_code_scan_finds_the_codes_we_know() -> None:
    # If the scan breaks (say, the source switches to an enum), this fails before the next test
    # silently checks nothing.
    known = {"yaml-duplicate-key", "unknown-key", "expr-syntax", "step-cycle", "bad-closing-day",
             "case-missing-fact", "case-invalid-json", "case-not-utf8", "internal-error", "calendar-range"}
    assert known <= source_codes()


def test_every_error_code_is_documented() -> None:
    missing = sorted(source_codes() - documented_codes())
    assert not missing, (f"error codes missing from docs/errors.md (add a heading or a table row): {missing}; "
                         "a hyphenated literal that is not an error code goes into NOT_CODES in tests/test_docs.py")


def test_errors_md_documents_no_code_the_source_does_not_have() -> None:
    headings = set()
    for line in ERRORS.read_text(encoding="utf-8").splitlines():
        if line.startswith("###"):
            headings.update(re.findall(r"`([a-z][a-z0-9-]*)`", line))
    stale = sorted(headings - source_codes())
    assert not stale, f"docs/errors.md has headings for codes the source no longer emits: {stale}"


def test_errors_md_states_the_exit_codes_and_the_line_format() -> None:
    text = ERRORS.read_text(encoding="utf-8")
    assert "PATH:LINE:COL: CODE: message" in text
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^\|\s*{code}\s*\|", text, re.M), f"exit code {code} missing from the table"


# --------------------------------------------------------------------------- keys and vocabulary

MODELS = [_model.Ruleset, _model.Extension, _model.StepPatch, _model.Step, _model.Calendar, _model.Deadline, _model.Repeat, _model.Pause,
          _model.Defaults, _model.FactDecl]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_is_documented(model: Any) -> None:
    text = DSL.read_text(encoding="utf-8")
    missing = [key for key in model.model_fields if f"`{key}`" not in text]
    assert not missing, f"{model.__name__} keys not mentioned in backticks in docs/dsl.md: {missing}"


@pytest.mark.parametrize("vocabulary", ["ACTION_TYPES", "CHANNELS", "RECIPIENTS"])
def test_every_vocabulary_word_is_documented(vocabulary: str) -> None:
    text = DSL.read_text(encoding="utf-8")
    missing = [word for word in getattr(_model, vocabulary) if f"`{word}`" not in text]
    assert not missing, f"{vocabulary} not mentioned in backticks in docs/dsl.md: {missing}"


# --------------------------------------------------------------------------- examples

# The header a fragment is placed under; docs/dsl.md states the same one.
HEADER = {
    "dunningrules": "dunningrules: 1",
    "id": "id: example",
    "version": 'version: "1"',
    "title": "title: Example",
    "jurisdiction": 'jurisdiction: "NO"',
    "currency": "currency: NOK",
    "language": "language: nb",
    "calendar": 'calendar: {country: "NO"}',
    "steps": "steps: [{id: reminder, action: reminder, at: due + 5 days}]",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
INVALID = re.compile(r"<!--\s*invalid:\s*([a-z0-9-]+)\s*-->\s*$")
SCHEDULE = re.compile(r"<!--\s*schedule(?::\s*(\S+))?(?:\s+as_of=(\d{4}-\d{2}-\d{2}))?\s*-->")


def blocks(kind: str) -> list[tuple[int, str, str | None]]:
    """(line, text, expected invalid code) of every fenced block of `kind` in dsl.md."""
    text = DSL.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) != kind:
            continue
        before = text[: m.start()].rstrip("\n")
        last_line = before.rsplit("\n", 1)[-1]
        invalid = INVALID.search(last_line)
        out.append((text.count("\n", 0, m.start()) + 1, m.group(2), invalid.group(1) if invalid else None))
    return out


def is_complete(block: str) -> bool:
    """Whether a block is a complete ruleset: its first line that is not a comment is `dunningrules: 1`."""
    lines = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and lines[0].rstrip() == "dunningrules: 1"


def as_ruleset(block: str) -> str:
    """A complete ruleset: the block itself, or the fragment under the standard header."""
    if is_complete(block):
        return block
    keys = set(re.findall(r"^([a-z_]+):", block, re.M))
    header = "\n".join(line for key, line in HEADER.items() if key not in keys)
    return header + "\n" + block


def _yaml_ids() -> list[str]:
    return [f"line-{line}" for line, _, _ in blocks("yaml")]


def test_the_examples_exist() -> None:
    full = [b for _, b, _ in blocks("yaml") if is_complete(b)]
    assert len(full) >= 3 and len(blocks("yaml")) >= 30


@pytest.mark.parametrize("line,block,invalid", blocks("yaml"), ids=_yaml_ids())
def test_yaml_example(line: int, block: str, invalid: str | None) -> None:
    text = as_ruleset(block)
    if invalid is None:
        try:
            parse_ruleset(text, f"dsl.md:{line}")
        except InvalidInputError as e:
            pytest.fail(f"the example at docs/dsl.md line {line} does not load:\n"
                        + "\n".join(map(str, e.findings)))
        return
    with pytest.raises(InvalidInputError) as info:
        parse_ruleset(text, f"dsl.md:{line}")
    codes = [f.code for f in info.value.findings]
    assert invalid in codes, f"docs/dsl.md line {line} is marked invalid: {invalid} but gives {codes}"


def _cases() -> list[tuple[int, Any]]:
    out = []
    for line, block, _ in blocks("json"):
        data = json.loads(block)
        if isinstance(data, dict) and "due_date" in data:
            out.append((line, data))
    return out


@pytest.mark.parametrize("line,data", _cases(), ids=[f"line-{n}" for n, _ in _cases()])
def test_json_case_example(line: int, data: Any) -> None:
    case_from_data(data, f"dsl.md:{line}")


# --------------------------------------------------------------------------- timelines

def render_rows(schedule: Any) -> list[list[str]]:
    """A schedule as the rows of the documentation's timeline tables."""
    rows = []
    for a in schedule.actions:
        rows.append([
            a.date.isoformat() if a.date else "-",
            a.step if a.occurrence is None else f"{a.step} #{a.occurrence}",
            a.status,
            a.deadline.isoformat() if a.deadline else "-",
            a.reason,
        ])
    return rows


def render_table(schedule: Any) -> str:
    lines = ["| date | step | status | deadline | reason |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in render_rows(schedule)]
    return "\n".join(lines)


def timelines() -> list[tuple[int, str, str, str | None, list[list[str]]]]:
    """(line, ruleset text or path, case JSON, as_of, documented rows) for each schedule marker."""
    text = DSL.read_text(encoding="utf-8")
    out = []
    for m in SCHEDULE.finditer(text):
        before = text[: m.start()]
        fences = [f for f in FENCE.finditer(before)]
        case = next(f.group(2) for f in reversed(fences) if f.group(1) == "json")
        ruleset = m.group(1) or as_ruleset(next(f.group(2) for f in reversed(fences) if f.group(1) == "yaml"))
        rows = []
        for row in text[m.end():].lstrip("\n").splitlines():
            if not row.startswith("|"):
                break
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            if cells[0] in ("date", "---") or set(cells[0]) <= {"-"} and len(cells[0]) > 1:
                continue
            rows.append(cells)
        out.append((text.count("\n", 0, m.start()) + 1, ruleset, case, m.group(2), rows))
    return out


def _schedule(ruleset: str, case: str, as_of: str | None) -> Any:
    if ruleset.endswith(".yaml") and "\n" not in ruleset:
        plan = compile(load_ruleset(ROOT / ruleset))
    else:
        plan = compile(parse_ruleset(ruleset))
    return evaluate(plan, json.loads(case), as_of=dt.date.fromisoformat(as_of) if as_of else None)


def test_the_timelines_exist() -> None:
    assert len(timelines()) >= 8


@pytest.mark.parametrize("line,ruleset,case,as_of,rows", timelines(), ids=[f"line-{t[0]}" for t in timelines()])
def test_timeline(line: int, ruleset: str, case: str, as_of: str | None, rows: list[list[str]]) -> None:
    schedule = _schedule(ruleset, case, as_of)
    assert rows == render_rows(schedule), (
        f"the timeline at docs/dsl.md line {line} is out of date; it should read:\n{render_table(schedule)}"
    )
