"""The command line, run in-process through ``dunningrules._cli.run``.

The CLI is the integrators' contract (DESIGN.md, "Contract with integrators"):
the Schedule JSON keys, one compact schedule per line for JSON Lines, exit codes
0/1/2/3, and errors on stderr as ``PATH:LINE:COL: CODE: message``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dunningrules._cli import build_parser, run

ROOT = Path(__file__).resolve().parents[1]
NO_RULESET = ROOT / "rulesets" / "no" / "standard.yaml"
SE_RULESET = ROOT / "rulesets" / "se" / "standard.yaml"
NO_CASES = ROOT / "examples" / "no-cases.jsonl"

FINDING = re.compile(r"^[^:]+:(\d+):(\d+): ([a-z0-9-]+): .+$")

SCHEDULE_KEYS = {"case", "ruleset", "as_of", "actions"}
RULESET_KEYS = {"id", "version", "sha256"}
ACTION_KEYS = {"step", "action", "date", "status", "channels", "recipient", "deadline", "legal_basis", "reason"}

CASE = {
    "id": "L-1001",
    "due_date": "2026-04-01",
    "amount": "9500.00",
    "currency": "NOK",
    "debtor": {"name": "Kari Nordmann", "language": "nb"},
}
PAID_CASE = {
    "id": "L-2002",
    "due_date": "2026-05-01",
    "amount": "12000.00",
    "currency": "NOK",
    "events": [{"type": "payment", "date": "2026-05-12", "amount": "12000.00"}],
}


def cli(*args: Any, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in args], out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def json_documents(text: str) -> list[Any]:
    """Every JSON value in `text`, one after the other (pretty-printed, concatenated)."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return out
        value, i = decoder.raw_decode(text, i)
        out.append(value)


def assert_schedule_contract(s: dict[str, Any]) -> None:
    """The contract's Schedule: exactly these top-level keys; actions may gain fields."""
    assert set(s) == SCHEDULE_KEYS
    assert isinstance(s["case"], str)
    assert set(s["ruleset"]) == RULESET_KEYS
    assert re.fullmatch(r"[0-9a-f]{64}", s["ruleset"]["sha256"])
    assert s["as_of"] is None or dt.date.fromisoformat(s["as_of"])
    assert isinstance(s["actions"], list) and s["actions"]
    for a in s["actions"]:
        assert ACTION_KEYS <= set(a), ACTION_KEYS - set(a)
        assert a["status"] in ("planned", "skipped", "waiting")
        assert isinstance(a["channels"], list)
        assert isinstance(a["recipient"], str)
        assert isinstance(a["reason"], str) and a["reason"]
        for key in ("date", "deadline"):
            if a[key] is not None:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", a[key])
                dt.date.fromisoformat(a[key])
        if a["status"] == "waiting":
            assert a["date"] is None
        if a["status"] == "planned":
            assert a["date"] is not None


def assert_findings_format(err: str) -> list[tuple[int, int, str]]:
    lines = err.splitlines()
    assert lines, "expected findings on stderr"
    assert "Traceback" not in err
    out = []
    for line in lines:
        m = FINDING.match(line)
        assert m, f"not PATH:LINE:COL: CODE: message: {line!r}"
        out.append((int(m[1]), int(m[2]), m[3]))
    return out


# --- validate --------------------------------------------------------------------

def test_validate_ok():
    code, out, err = cli("validate", NO_RULESET, SE_RULESET)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{NO_RULESET}: ok (no-standard 2026.1,")
    assert lines[1].startswith(f"{SE_RULESET}: ok (se-standard 2026.1,")


def test_validate_failing_reports_located_findings_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(NO_RULESET.read_text(encoding="utf-8").replace("steps:", "stpes:"), encoding="utf-8")
    code, out, err = cli("validate", bad)
    assert code == 1
    assert out == ""
    found = assert_findings_format(err)
    assert "unknown-key" in [c for _, _, c in found]
    assert all(line.startswith(f"{bad}:") for line in err.splitlines())


def test_validate_checks_every_path_even_after_a_bad_one(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dunningrules: 1\nid: [\n", encoding="utf-8")
    code, out, err = cli("validate", bad, NO_RULESET)
    assert code == 1
    assert out.startswith(f"{NO_RULESET}: ok")
    assert_findings_format(err)
    assert str(NO_RULESET) not in err


def test_validate_missing_file_is_invalid_input_not_a_crash(tmp_path):
    code, out, err = cli("validate", tmp_path / "nope.yaml")
    assert code == 1
    assert out == ""
    assert assert_findings_format(err)


# --- schedule: .json, .jsonl, stdin --------------------------------------------

def test_schedule_json_file_prints_one_pretty_schedule(tmp_path):
    case = write_json(tmp_path / "case.json", CASE)
    code, out, err = cli("schedule", NO_RULESET, case)
    assert (code, err) == (0, "")
    assert out.count("\n") > 10, "a single .json case is printed pretty, over many lines"
    assert out.startswith("{\n")
    docs = json_documents(out)
    assert len(docs) == 1
    s = docs[0]
    assert_schedule_contract(s)
    assert s["case"] == "L-1001"
    assert s["ruleset"]["id"] == "no-standard"
    assert s["ruleset"]["version"] == "2026.1"
    assert s["as_of"] is None
    reminder = next(a for a in s["actions"] if a["step"] == "reminder-1")
    assert reminder["action"] == "reminder"
    assert reminder["status"] == "planned"
    assert reminder["channels"] == ["sms", "email"]
    assert reminder["recipient"] == "debtor"
    # due + 5 days = Mon 6 Apr 2026 is Easter Monday in Norway: rolled forward.
    assert reminder["date"] == "2026-04-07"


def test_schedule_json_file_holding_a_list(tmp_path):
    cases = write_json(tmp_path / "cases.json", [CASE, PAID_CASE])
    code, out, err = cli("schedule", NO_RULESET, cases)
    assert (code, err) == (0, "")
    docs = json.loads(out)  # a list of cases in, one JSON array of schedules out
    assert [d["case"] for d in docs] == ["L-1001", "L-2002"]
    for d in docs:
        assert_schedule_contract(d)


def test_schedule_jsonl_prints_one_compact_schedule_per_line():
    code, out, err = cli("schedule", NO_RULESET, NO_CASES)
    assert (code, err) == (0, "")
    expected_ids = [json.loads(line)["id"] for line in NO_CASES.read_text(encoding="utf-8").splitlines()]
    lines = out.splitlines()
    assert len(lines) == len(expected_ids) == 5
    assert out.endswith("\n")
    schedules = [json.loads(line) for line in lines]
    assert [s["case"] for s in schedules] == expected_ids
    for s in schedules:
        assert_schedule_contract(s)
    # The same ruleset content gives the same hash on every line.
    assert len({s["ruleset"]["sha256"] for s in schedules}) == 1


def test_jsonl_and_json_give_the_same_schedules(tmp_path):
    code1, out1, _ = cli("schedule", NO_RULESET, write_jsonl(tmp_path / "c.jsonl", [CASE, PAID_CASE]))
    code2, out2, _ = cli("schedule", NO_RULESET, write_json(tmp_path / "c.json", [CASE, PAID_CASE]))
    assert code1 == code2 == 0
    assert [json.loads(line) for line in out1.splitlines()] == json.loads(out2)


def test_schedule_stdin_single_pretty_object():
    code, out, err = cli("schedule", NO_RULESET, "-", stdin=json.dumps(CASE, indent=2) + "\n")
    assert (code, err) == (0, "")
    docs = json_documents(out)
    assert len(docs) == 1
    assert_schedule_contract(docs[0])
    assert docs[0]["case"] == "L-1001"


def test_schedule_stdin_single_compact_object():
    code, out, err = cli("schedule", NO_RULESET, "-", stdin=json.dumps(CASE) + "\n")
    assert (code, err) == (0, "")
    docs = json_documents(out)
    assert [d["case"] for d in docs] == ["L-1001"]


def test_schedule_stdin_json_lines():
    stdin = json.dumps(CASE) + "\n" + json.dumps(PAID_CASE) + "\n"
    code, out, err = cli("schedule", NO_RULESET, "-", stdin=stdin)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    schedules = [json.loads(line) for line in lines]
    assert [s["case"] for s in schedules] == ["L-1001", "L-2002"]
    for s in schedules:
        assert_schedule_contract(s)


def test_schedule_stdin_json_list():
    code, out, err = cli("schedule", NO_RULESET, "-", stdin=json.dumps([CASE, PAID_CASE], indent=2))
    assert (code, err) == (0, "")
    assert [d["case"] for d in json.loads(out)] == ["L-1001", "L-2002"]


def test_as_of_ignores_later_events(tmp_path):
    case = write_json(tmp_path / "paid.json", PAID_CASE)
    _, out, _ = cli("schedule", NO_RULESET, case)
    full = json_documents(out)[0]
    code, out, err = cli("schedule", NO_RULESET, case, "--as-of", "2026-05-10")
    assert (code, err) == (0, "")
    known = json_documents(out)[0]
    assert_schedule_contract(known)
    assert full["as_of"] is None
    assert known["as_of"] == "2026-05-10"

    def status(s: dict[str, Any], step: str) -> str:
        return next(a["status"] for a in s["actions"] if a["step"] == step)

    # Paid in full on 12 May: the inkassovarsel is skipped; on 10 May nobody knew.
    assert status(full, "collection-notice") == "skipped"
    assert status(known, "collection-notice") == "planned"


def test_as_of_applies_to_every_line_of_a_batch():
    code, out, err = cli("schedule", NO_RULESET, NO_CASES, "--as-of", "2026-04-15")
    assert (code, err) == (0, "")
    assert {json.loads(line)["as_of"] for line in out.splitlines()} == {"2026-04-15"}


def test_format_table(tmp_path):
    case = write_json(tmp_path / "case.json", CASE)
    code, out, err = cli("schedule", NO_RULESET, case, "--format", "table")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("case L-1001")
    assert "no-standard" in lines[0] and "2026.1" in lines[0]
    assert lines[1].split() == ["DATE", "STEP", "ACTION", "STATUS", "DEADLINE", "TO", "REASON"]
    body = [line for line in lines[2:] if line.strip()]
    assert any(line.startswith("2026-04-07") and "reminder-1" in line for line in body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_format_table_for_a_batch_shows_every_case():
    code, out, err = cli("schedule", NO_RULESET, NO_CASES, "--format", "table", "--as-of", "2026-06-30")
    assert (code, err) == (0, "")
    heads = [line for line in out.splitlines() if line.startswith("case ")]
    assert len(heads) == 5
    assert all("as of 2026-06-30" in h for h in heads)


def test_schema_command_prints_the_json_schema():
    code, out, err = cli("schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
    assert "steps" in schema["$defs"]["Ruleset"]["properties"]
    assert "extends" in schema["$defs"]["Extension"]["required"]


# --- usage errors: exit 2 ----------------------------------------------------------

@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-command"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(["--no-such-option"], id="unknown-option"),
        pytest.param(["schedule"], id="schedule-no-args"),
        pytest.param(["schedule", str(NO_RULESET)], id="schedule-missing-case"),
        pytest.param(["validate"], id="validate-missing-path"),
        pytest.param(["schedule", str(NO_RULESET), str(NO_CASES), "--as-of", "2026-13-01"], id="as-of-month-13"),
        pytest.param(["schedule", str(NO_RULESET), str(NO_CASES), "--as-of", "2026-02-30"], id="as-of-feb-30"),
        pytest.param(["schedule", str(NO_RULESET), str(NO_CASES), "--as-of", "tomorrow"], id="as-of-word"),
        pytest.param(["schedule", str(NO_RULESET), str(NO_CASES), "--as-of"], id="as-of-without-value"),
        pytest.param(["schedule", str(NO_RULESET), str(NO_CASES), "--format", "xml"], id="bad-format"),
        pytest.param(["schema", "extra"], id="schema-extra-arg"),
    ],
)
def test_usage_errors_exit_2(args):
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.strip(), "a usage error says what is wrong"
    assert "Traceback" not in err


def test_bad_as_of_names_the_option_and_the_value():
    _, _, err = cli("schedule", NO_RULESET, NO_CASES, "--as-of", "2026-13-01")
    assert "--as-of" in err
    assert "2026-13-01" in err


def test_unknown_command_lists_the_commands():
    _, _, err = cli("frobnicate")
    for command in _subcommands():
        assert command in err


def test_no_command_prints_help_to_stderr():
    code, out, err = cli()
    assert code == 2
    assert "usage:" in err
    for command in _subcommands():
        assert command in err


# --- help ----------------------------------------------------------------------

def _subparsers_action() -> argparse._SubParsersAction:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return actions[0]


def _subcommands() -> list[str]:
    return list(_subparsers_action().choices)


def test_there_are_subcommands():
    assert {"validate", "schedule", "schema"} <= set(_subcommands())


def _help_run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and help text, wherever run() wrote it (its stdout, or sys.stdout)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(args, out, err, io.StringIO())
    captured = capsys.readouterr()
    assert err.getvalue() == "" and captured.err == ""
    return code, out.getvalue() + captured.out


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_program_help(flag, capsys):
    code, text = _help_run([flag], capsys)
    assert code == 0
    assert text.startswith("usage: dunningrules")
    parser_description = build_parser().description
    assert parser_description and parser_description.split()[0] in text
    for command in _subcommands():
        assert command in text


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command, capsys):
    """A new subcommand without help text, description or argument help fails here."""
    sub = _subparsers_action()
    choice = next(a for a in sub._choices_actions if a.dest == command)
    assert choice.help and choice.help != argparse.SUPPRESS, f"{command}: no help= in add_parser"
    parser = sub.choices[command]
    assert parser.description, f"{command}: no description="
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"{command} {action.dest}: no help="

    code, text = _help_run([command, "--help"], capsys)
    assert code == 0
    assert text.startswith(f"usage: dunningrules {command}")
    assert " ".join(parser.description.split()[:4]) in " ".join(text.split())
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction):
            assert " ".join(action.help.split()[:3]) in " ".join(text.split())


@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in _subcommands()]],
                         ids=lambda a: " ".join(a))
def test_help_goes_to_the_stdout_given_to_run(args, capsys):
    out, err = io.StringIO(), io.StringIO()
    code = run(args, out, err, io.StringIO())
    assert code == 0
    assert out.getvalue().startswith("usage: dunningrules")
    assert capsys.readouterr().out == ""


def test_python_dash_m_help_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "dunningrules", "--help"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: dunningrules")
    for command in _subcommands():
        assert command in proc.stdout
    assert proc.stderr == ""


# --- a batch with one bad line -------------------------------------------------------

def test_jsonl_batch_with_one_bad_line_prints_the_good_schedules(tmp_path):
    bad = dict(CASE, id="BAD", due_date="2026-02-30")
    rows = [CASE, PAID_CASE, bad, dict(CASE, id="L-1004")]
    batch = write_jsonl(tmp_path / "batch.jsonl", rows)
    code, out, err = cli("schedule", NO_RULESET, batch)
    assert code == 1
    assert [json.loads(line)["case"] for line in out.splitlines()] == ["L-1001", "L-2002", "L-1004"]
    found = assert_findings_format(err)
    assert len(found) == 1
    line, col, code_ = found[0]
    assert err.startswith(f"{batch}:3:")
    assert line == 3
    assert code_ == "case-invalid-date"
    text_line = batch.read_text(encoding="utf-8").splitlines()[2]
    assert col == text_line.index('"2026-02-30"') + 1


def test_jsonl_batch_line_numbers_count_blank_lines_and_invalid_json(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        json.dumps(CASE) + "\n"
        "\n"
        '{"id": "broken",}\n'
        + json.dumps(PAID_CASE) + "\n"
        "\n"
        + json.dumps(dict(CASE, id="L-9", currency="SEK")) + "\n",
        encoding="utf-8",
    )
    code, out, err = cli("schedule", NO_RULESET, batch)
    assert code == 1
    assert [json.loads(line)["case"] for line in out.splitlines()] == ["L-1001", "L-2002"]
    found = assert_findings_format(err)
    assert found[0] == (3, 17, "case-invalid-json")
    assert [(line, c) for line, _, c in found[1:]] == [(6, "case-currency-mismatch")]


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_truncated_jsonl_line_is_reported_on_its_own_line(tmp_path, source):
    text = json.dumps(CASE) + "\n" + '{"id": "broken", ' + "\n" + json.dumps(PAID_CASE) + "\n"
    if source == "file":
        path = tmp_path / "batch.jsonl"
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("schedule", NO_RULESET, path)
    else:
        code, out, err = cli("schedule", NO_RULESET, "-", stdin=text)
    assert code == 1
    assert [json.loads(line)["case"] for line in out.splitlines()] == ["L-1001", "L-2002"]
    found = assert_findings_format(err)
    assert len(found) == 1
    line, col, code_ = found[0]
    assert code_ == "case-invalid-json"
    assert line == 2
    assert col == len('{"id": "broken", ') + 1


@pytest.mark.parametrize("table", [False, True])
def test_a_jsonl_line_that_is_not_utf8_is_reported_alone(tmp_path, table):
    """One bad byte spoils its own line only: the others are scheduled, the byte is located."""
    path = tmp_path / "batch.jsonl"
    bad = json.dumps(dict(CASE, id="L-\u00e5\u00e5"), ensure_ascii=False).encode().replace("\u00e5".encode(), b"\xff", 1)
    path.write_bytes(json.dumps(CASE).encode() + b"\n" + bad + b"\n" + json.dumps(PAID_CASE).encode() + b"\n")
    code, out, err = cli("schedule", NO_RULESET, path, *(["--format", "table"] if table else []))
    assert code == 1
    if table:
        assert [line.split()[1] for line in out.splitlines() if line.startswith("case ")] == ["L-1001", "L-2002"]
    else:
        assert [json.loads(line)["case"] for line in out.splitlines()] == ["L-1001", "L-2002"]
    assert assert_findings_format(err) == [(2, bad.index(b"\xff") + 1, "case-not-utf8")]


def _bytes_stdin(data: bytes) -> io.TextIOWrapper:
    """Standard input as a program gets it: text over bytes, strict UTF-8."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict")


def test_stdin_json_lines_with_a_line_that_is_not_utf8():
    bad = json.dumps(dict(CASE, id="L-x")).encode().replace(b"L-x", b"L-\xff", 1)
    data = json.dumps(CASE).encode() + b"\n" + bad + b"\n" + json.dumps(PAID_CASE).encode() + b"\n"
    out, err = io.StringIO(), io.StringIO()
    code = run(["schedule", str(NO_RULESET), "-"], out, err, _bytes_stdin(data))
    assert code == 1
    assert [json.loads(line)["case"] for line in out.getvalue().splitlines()] == ["L-1001", "L-2002"]
    assert err.getvalue().startswith("<stdin>:2:")
    assert assert_findings_format(err.getvalue()) == [(2, bad.index(b"\xff") + 1, "case-not-utf8")]


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_whole_json_document_that_is_not_utf8_is_located(tmp_path, source):
    data = json.dumps([CASE, dict(CASE, id="L-\u00e5")], indent=2, ensure_ascii=False).encode()
    data = data.replace("\u00e5".encode(), b"\xff")
    line = data[:data.index(b"\xff")].count(b"\n") + 1
    col = data.index(b"\xff") - data.rfind(b"\n", 0, data.index(b"\xff"))
    if source == "file":
        path = tmp_path / "cases.json"
        path.write_bytes(data)
        code, out, err = cli("schedule", NO_RULESET, path)
    else:
        o, e = io.StringIO(), io.StringIO()
        code, out, err = run(["schedule", str(NO_RULESET), "-"], o, e, _bytes_stdin(data)), o.getvalue(), e.getvalue()
    assert (code, out) == (1, "")
    assert assert_findings_format(err) == [(line, col, "case-not-utf8")]


def test_stdin_json_lines_with_a_bad_line(tmp_path):
    stdin = json.dumps(CASE) + "\n" + json.dumps(dict(CASE, id="X", amount="-5")) + "\n" + json.dumps(PAID_CASE) + "\n"
    code, out, err = cli("schedule", NO_RULESET, "-", stdin=stdin)
    assert code == 1
    assert [json.loads(line)["case"] for line in out.splitlines()] == ["L-1001", "L-2002"]
    found = assert_findings_format(err)
    assert err.startswith("<stdin>:2:")
    assert [(line, c) for line, _, c in found] == [(2, "case-negative-amount")]


def test_with_text_writes_only_what_is_sent_and_keeps_going(tmp_path):
    """Skipped actions send nothing (no text); a case with no debtor has nobody to write to."""
    opted_out = dict(CASE, id="T-1", facts={"eviction_warning_opt_out": True})
    no_debtor = {k: v for k, v in CASE.items() if k != "debtor"} | {"id": "T-2"}
    path = write_jsonl(tmp_path / "c.jsonl", [opted_out, no_debtor])
    code, out, err = cli("schedule", NO_RULESET, path, "--with-text")
    assert (code, err) == (0, "")
    first, second = (json.loads(line) for line in out.splitlines())
    warning = next(a for a in first["actions"] if a["step"] == "eviction-warning")
    notice = next(a for a in first["actions"] if a["step"] == "collection-notice")
    assert warning["status"] == "skipped" and warning["text"] is None
    assert notice["status"] == "planned" and notice["text"]["language"] == "nb"
    assert "INKASSOVARSEL" in notice["text"]["body"]
    assert all(a["text"] is None for a in second["actions"])


def test_render_refuses_a_skipped_step(tmp_path):
    case = write_json(tmp_path / "c.json", dict(CASE, facts={"eviction_warning_opt_out": True}))
    code, out, err = cli("render", NO_RULESET, case, "--step", "eviction-warning")
    assert code == 1 and out == ""
    assert ": no-text: step eviction-warning is skipped" in err


def test_every_command_is_documented_in_the_readme():
    from dunningrules._cli import build_parser

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [name for name in sub.choices if f"dunningrules {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"
