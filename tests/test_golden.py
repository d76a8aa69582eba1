"""Golden schedules: every file in tests/golden/schedules/ matches a fresh evaluation of its case.

The files are written by ``scripts/regenerate_golden.py`` from ``examples/*-cases.jsonl`` and
``tests/cases/{no,se}/*.json``; a change that moves a date, a status or a reason fails here with the
diff, to be reviewed and then regenerated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "schedules"
REGENERATE = "python scripts/regenerate_golden.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("regenerate_golden", ROOT / "scripts" / "regenerate_golden.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


script = _load_script()
CASES = script.collect()
BY_ID = {case.id: case for case in CASES}


def _golden(case_id: str) -> dict:
    return json.loads((GOLDEN / f"{case_id}.json").read_text(encoding="utf-8"))


def _actions(case_id: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for a in _golden(case_id)["actions"]:
        out.setdefault(a["step"], []).append(a)
    return out


# --- the files and their sources -------------------------------------------------------------------


def test_golden_files_are_exactly_the_cases():
    on_disk = sorted(p.stem for p in GOLDEN.glob("*.json"))
    expected = sorted(BY_ID)
    assert on_disk == expected, (
        f"golden schedules and cases differ: extra files {sorted(set(on_disk) - set(expected))}, "
        f"missing files {sorted(set(expected) - set(on_disk))}; regenerate with: {REGENERATE}"
    )


def test_every_example_and_extra_case_is_collected():
    sources = {case.source.split(":")[0] for case in CASES}
    examples = {p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*-cases.jsonl")}
    extras = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "cases").glob("*/*.json")}
    assert examples and extras
    assert examples | extras == sources
    # one golden schedule per example line
    for path in examples:
        lines = [ln for ln in (ROOT / path).read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert sum(c.source.startswith(path + ":") for c in CASES) == len(lines)


def test_extra_cases_use_the_ruleset_of_their_directory():
    for case in CASES:
        currency = {"no": "NOK", "se": "SEK"}[case.country]
        assert case.data["currency"] == currency, case.source
        assert _golden(case.id)["ruleset"]["id"] == f"{case.country}-standard"


@pytest.mark.parametrize("case_id", sorted(BY_ID))
def test_golden_schedule_matches_fresh_evaluation(case_id):
    case = BY_ID[case_id]
    path = GOLDEN / f"{case_id}.json"
    on_disk = path.read_text(encoding="utf-8") if path.exists() else ""
    computed = script.render(case)
    if computed != on_disk:
        diff = "".join(difflib.unified_diff(
            on_disk.splitlines(keepends=True), computed.splitlines(keepends=True),
            fromfile=f"{path.relative_to(ROOT)} (golden)", tofile=f"{case_id} (computed now from {case.source})",
        ))
        pytest.fail(
            f"schedule of case {case_id!r} differs from {path.relative_to(ROOT)}.\n{diff}\n"
            f"If the change is intended, review the diff and regenerate with:\n    {REGENERATE}"
        )


def test_golden_files_are_pretty_json_with_trailing_newline():
    for path in GOLDEN.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n") and not text.endswith("\n\n"), path.name
        assert text.startswith('{\n  "case": '), path.name
        assert json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n" == text


def test_check_mode_passes_on_a_fresh_checkout(capsys):
    assert script.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_mode_reports_a_stale_file_with_a_diff(tmp_path, monkeypatch, capsys):
    # Point the script at a copy of the golden files with one date changed.
    for p in GOLDEN.glob("*.json"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    stale = tmp_path / "NO-2026-001.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace('"2026-04-07"', '"2026-04-02"'), encoding="utf-8")
    (tmp_path / "NO-ORPHAN.json").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(script, "GOLDEN_DIR", tmp_path)
    assert script.main(["--check"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert '-      "date": "2026-04-02",' in lines
    assert '+      "date": "2026-04-07",' in lines
    assert "NO-ORPHAN.json: no case with id 'NO-ORPHAN'" in captured.out
    assert REGENERATE in captured.err
    # --check never writes
    assert '"2026-04-02"' in stale.read_text(encoding="utf-8")
    # regenerating fixes the file and removes the orphan
    assert script.main([]) == 0
    assert stale.read_text(encoding="utf-8") == (GOLDEN / "NO-2026-001.json").read_text(encoding="utf-8")
    assert not (tmp_path / "NO-ORPHAN.json").exists()
    capsys.readouterr()
    assert script.main(["--check"]) == 0


def test_duplicate_case_ids_are_refused(tmp_path, monkeypatch):
    (tmp_path / "no").mkdir()
    (tmp_path / "no" / "dup.json").write_text(json.dumps(
        {"id": "NO-2026-001", "due_date": "2026-03-18", "amount": "1.00", "currency": "NOK"}), encoding="utf-8")
    monkeypatch.setattr(script, "CASES_DIR", tmp_path)
    with pytest.raises(ValueError, match="NO-2026-001"):
        script.collect()


def test_wrapper_as_of_is_passed_to_evaluate():
    case = BY_ID["NO-GOLD-as-of-during-dispute"]
    assert case.as_of == dt.date(2026, 9, 20)
    assert _golden(case.id)["as_of"] == "2026-09-20"
    assert BY_ID["NO-GOLD-as-of-none"].as_of is None
    assert _golden("NO-GOLD-as-of-none")["as_of"] is None


# --- what the golden files say: the worked dates, read back from disk --------------------------------


@pytest.mark.parametrize("case_id", ["NO-2026-001", "NO-GOLD-worked-dates"])
def test_golden_norway_worked_dates(case_id):
    a = _actions(case_id)
    assert a["reminder-1"][0]["date"] == "2026-03-23"
    assert a["reminder-2"][0]["date"] == "2026-03-30"
    notice = a["collection-notice"][0]
    assert (notice["date"], notice["deadline"], notice["status"]) == ("2026-04-07", "2026-04-21", "planned")
    assert notice["reason"].startswith(
        "due + 15 days = Thu 2 Apr 2026, Maundy Thursday; rolled forward to Tue 7 Apr 2026")


@pytest.mark.parametrize("case_id", ["SE-2026-001", "SE-GOLD-worked-dates"])
def test_golden_sweden_worked_dates(case_id):
    a = _actions(case_id)
    term = a["lease-termination"][0]
    assert term["date"] == "2026-06-22"
    assert "Fri 19 Jun 2026, Midsummer Eve; rolled forward to Mon 22 Jun 2026" in term["reason"]


def test_golden_holiday_cases():
    assert _actions("NO-GOLD-christmas-eve")["collection-notice"][0]["date"] == "2026-12-28"
    assert _actions("NO-GOLD-new-years-eve")["collection-notice"][0]["date"] == "2027-01-04"
    assert _actions("NO-GOLD-17-may")["reminder-2"][0]["date"] == "2027-05-18"
    assert _actions("NO-GOLD-easter-2027")["collection-notice"][0]["date"] == "2027-03-30"
    assert _actions("SE-GOLD-midsummer-2027")["lease-termination"][0]["date"] == "2027-06-28"
    assert _actions("SE-GOLD-christmas-eve")["lease-termination"][0]["date"] == "2026-12-28"
    assert _actions("SE-GOLD-new-years-eve")["lease-termination"][0]["date"] == "2027-01-04"
    assert _actions("SE-GOLD-easter")["collection-demand"][0]["date"] == "2026-04-07"


def test_golden_dispute_and_payment_cases():
    shift = _actions("NO-GOLD-dispute-shift")
    # the first reminder falls in the pause and is not sent (on_pause: skip); the second moves after it
    assert [(shift[s][0]["date"], shift[s][0]["status"]) for s in ("reminder-1", "reminder-2", "collection-notice")] \
        == [("2026-09-07", "skipped"), ("2026-09-15", "planned"), ("2026-09-16", "planned")]
    waiting = _actions("NO-GOLD-dispute-open")
    assert waiting["reminder-1"][0]["status"] == "planned"
    assert all(waiting[s][0]["status"] == "waiting" and waiting[s][0]["date"] is None
               for s in ("reminder-2", "collection-notice", "payment-demand", "eviction-petition"))
    partial = _actions("NO-GOLD-partial-payments")
    assert partial["collection-notice"][0]["status"] == "planned"
    assert partial["eviction-petition"][0]["status"] == "skipped"
    assert all(a[0]["status"] == "skipped" for a in _actions("NO-GOLD-paid-before-invoice").values())
    assert _actions("NO-GOLD-paid-on-reminder-day")["reminder-1"][0]["status"] == "skipped"


# --- the CLI prints the same schedules (its batch path serialises on its own) ------------------------


@pytest.mark.parametrize("country", ["no", "se"])
def test_cli_batch_output_matches_the_golden_schedules(country, tmp_path):
    import io

    from dunningrules._cli import run

    groups: dict[dt.date | None, list] = {}
    for case in CASES:
        if case.country == country:
            groups.setdefault(case.as_of, []).append(case)
    assert len(groups) >= 2  # with and without as_of
    for as_of, members in groups.items():
        path = tmp_path / f"{country}-{as_of}.jsonl"
        path.write_text("".join(json.dumps(c.data, default=str) + "\n" for c in members), encoding="utf-8")
        args = ["schedule", str(script.RULESETS[country]), str(path)]
        if as_of is not None:
            args += ["--as-of", as_of.isoformat()]
        out, err = io.StringIO(), io.StringIO()
        assert run(args, stdout=out, stderr=err) == 0, err.getvalue()
        printed = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [p["case"] for p in printed] == [c.id for c in members]
        for p in printed:
            assert p == _golden(p["case"]), f"CLI output for {p['case']} differs from its golden schedule"
