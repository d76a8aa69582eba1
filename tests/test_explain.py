"""`dunningrules explain`: the process as a reviewer reads it, in Markdown and in one HTML file.

The Markdown of both shipped rulesets is golden (tests/golden/explain/); after a reviewed change,
regenerate with ``DUNNINGRULES_REGENERATE_EXPLAIN=1 .venv/bin/python -m pytest tests/test_explain.py``.
The HTML is checked for structure, escaping and self-containment here, and rendered by a real
headless browser (Debian's chromium) in the last test.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import dunningrules as d
from dunningrules._explain import (
    date_words,
    example_case,
    explain,
    explain_html,
    explain_markdown,
    md,
    md_code,
    run_explain,
)

ROOT = Path(__file__).resolve().parents[1]
RULESETS = {"no-standard": ROOT / "rulesets" / "no" / "standard.yaml",
            "se-standard": ROOT / "rulesets" / "se" / "standard.yaml"}
GOLDEN = ROOT / "tests" / "golden" / "explain"
CASES = ROOT / "tests" / "cases"
REGENERATE = "DUNNINGRULES_REGENERATE_EXPLAIN"
CHROMIUM = Path("/usr/bin/chromium")


def _load(name: str) -> d.Ruleset:
    return d.load_ruleset(RULESETS[name])


def _fixture_case(path: str) -> dict:
    return json.loads((CASES / path).read_text(encoding="utf-8"))["case"]


# --- Markdown: golden ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_markdown_matches_golden(name):
    got = explain(_load(name))
    path = GOLDEN / f"{name}.md"
    if os.environ.get(REGENERATE):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "explain"))
        pytest.fail(f"explain output differs from {path}; review, then regenerate with {REGENERATE}=1:\n{diff}")


def test_golden_files_are_exactly_the_shipped_rulesets():
    assert sorted(p.stem for p in GOLDEN.glob("*.md")) == sorted(RULESETS)


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_markdown_has_every_part(name):
    rs = _load(name)
    text = explain(rs)
    assert text.startswith(f"# {md(rs.title)}\n")
    for heading in ("## Rules for every step", "## Steps", "## Example timeline"):
        assert heading in text
    assert "| **Calendar** | business days of" in text
    assert "| # | Step | Action | When | Condition | Deadline | Fee | Channels → recipient | Legal basis |" in text
    assert f"| Date | Step | Status | Deadline | Fee | Claim total ({rs.currency}) | Reason |" in text
    for step in rs.steps:
        assert f"`{step.id}`" in text
    # Every table row has as many cells as its header: no stray '|' from ruleset text.
    for block in re.split(r"\n\n", text):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
            assert len(widths) == 1, block


def test_explain_is_deterministic():
    rs = _load("se-standard")
    assert explain(rs) == explain(rs)
    assert explain(rs, fmt="html") == explain(rs, fmt="html")


# --- timing in words -----------------------------------------------------------------------------


@pytest.mark.parametrize("expr, words", [
    ("due", "on the due date"),
    ("due + 15 days", "15 calendar days after the due date"),
    ("due - 10 days", "10 calendar days before the due date"),
    ("due + 1 day", "1 calendar day after the due date"),
    ("due + 35 months", "35 months after the due date"),
    ("due + 2 weeks", "2 weeks after the due date"),
    ("reminder-1 + 2 business days", "2 business days after the date of reminder-1"),
    ("collection-notice", "the same day as collection-notice"),
    ("collection-notice.deadline", "on the deadline of collection-notice"),
    ("collection-notice.deadline + 14 days", "14 calendar days after the deadline of collection-notice"),
    ("event.service_completed + 21 days",
     "21 calendar days after the day the enforcement authority completes service (event.service_completed)"),
    ("event.x_filed", "the day of the first x_filed event"),
    ("due + 1 month - 2 business days", "1 month after the due date, then 2 business days earlier"),
    ("due + 1 month + 5 days", "1 month and 5 calendar days after the due date"),
    ("max(event.service_completed, social-services-notice) + 21 days",
     "21 calendar days after the later of the day the enforcement authority completes service "
     "(event.service_completed) and the date of social-services-notice"),
    ("min(due + 3 days, a.deadline)", "on the earlier of 3 calendar days after the due date and the deadline of a"),
    ("max(due + 14 days, a.deadline + 1 day, due + 8 days)",
     "on the latest of: 14 calendar days after the due date; 1 calendar day after the deadline of a; "
     "8 calendar days after the due date"),
])
def test_date_words_come_from_the_parse_tree(expr, words):
    assert date_words(expr) == words


def test_date_words_name_parameters_and_their_values():
    assert date_words("due + params.grace days", {"grace": 5}) == \
        "5 calendar days (params.grace) after the due date"
    # The words come from the tree, not the spelling: spacing and hyphens do not matter.
    assert date_words("due-5 days") == date_words("due   -   5  days") == "5 calendar days before the due date"


def test_step_timing_says_how_the_date_is_rolled():
    text = explain(_load("no-standard"))
    assert "| 15 calendar days after the due date, moved to the next business day when it is not one |" in text
    assert "10 calendar days before the due date, moved to the previous business day when it is not one" in text
    assert "1 calendar day after the deadline of collection-notice, moved to the next business day" in text
    assert "14 calendar days after the step's date; the last day stays even when it is not a business day" in text
    se = explain(_load("se-standard"))
    assert "21 calendar days after the later of the day the enforcement authority completes service" in se
    assert "then again every 6 months (counted from the first), up to 3 years after the due date" in se


def test_fees_conditions_channels_and_legal_basis_are_listed():
    text = explain(_load("no-standard"))
    assert ("collection notice fee: 1/20 of rate table inkassosats on the sending date (only when sent at "
            "least 14 days after the due date; capped at 1/20 of inkassosats; inkassoforskriften § 1-2)") in text
    assert "| `not facts.eviction_warning_opt_out` |" in text
    assert "| e-filing → enforcement_officer |" in text
    assert "inkassoloven § 9: written notice after the due date" in text
    se = explain(_load("se-standard"))
    assert "collection fee: 180.00 SEK (capped by rate table collection_fee_cap; lag (1981:739) 4 §)" in se


def test_notes_for_reviewers_list_step_notes_and_every_unconfirmed_rate_row():
    rs = _load("se-standard")
    plan = d.compile(rs)
    text = explain(rs)
    section = text.split("## Notes for reviewers\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    noted_steps = [s.id for s in rs.steps if s.notes]
    unconfirmed = [(name, row) for name, t in plan.rates.tables.items() for row in t.rows if not row.confirmed]
    assert noted_steps == ["collection-demand", "payment-order-application"]
    assert len(section) == len(noted_steps) + len(unconfirmed)
    assert section[0].startswith("- **step collection-demand**: The fee is checked against the cap of lag (1981:739)")
    assert ("- **rate collection_fee_cap 2027-01-01..2027-12-31 = 180.00 (SEK), not confirmed**: The amount "
            "lag (1981:739) 4 § states in 2026, carried into 2027") in text
    page = explain(rs, fmt="html")
    assert "<h2>Notes for reviewers</h2>" in page
    assert page.count("<li><strong>") == len(section)


def test_a_ruleset_with_nothing_to_check_has_no_notes_section(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(RULESETS["no-standard"].read_text(encoding="utf-8").split("steps:")[0]
                    .replace("rates: rates.yaml\n", "").replace("interest:\n  table: late_interest", "")
                    + "steps:\n  - id: a\n    action: reminder\n    at: due + 5 days\n", encoding="utf-8")
    text = explain(d.load_ruleset(path))
    assert "## Notes for reviewers" not in text and "## Steps" in text


# --- the example case ----------------------------------------------------------------------------


def test_example_case_no():
    plan = d.compile(_load("no-standard"))
    case = example_case(plan)
    assert case["currency"] == "NOK" and dt.date.fromisoformat(case["due_date"]).year == 2026
    assert case["events"] == []
    schedule = d.evaluate(plan, case)
    assert {a.step for a in schedule.actions if a.status == "planned"} == {s.id for s in plan.listed}
    fees = [a for a in schedule.actions if a.fee is not None]
    assert [a.step for a in fees] == ["collection-notice"]


def test_example_case_se_has_service_completed():
    plan = d.compile(_load("se-standard"))
    case = example_case(plan)
    assert case["currency"] == "SEK" and dt.date.fromisoformat(case["due_date"]).year == 2026
    (event,) = case["events"]
    assert event["type"] == "service_completed"
    schedule = d.evaluate(plan, case)
    statuses = {a.step: a.status for a in schedule.actions}
    assert set(statuses) == {s.id for s in plan.listed}
    assert set(statuses.values()) == {"planned"}  # the ruling and eviction do not wait
    ruling = next(a for a in schedule.actions if a.step == "ruling")
    assert ruling.date > dt.date.fromisoformat(event["date"])
    # The main steps' claims are known: the rate file covers them.
    main = [a for a in schedule.actions if a.occurrence is None]
    assert all(a.claim is not None for a in main)


def test_example_case_fills_required_facts():
    rs = _load("no-standard")
    data = rs.model_dump(mode="json", exclude_none=True)
    data["facts"]["eviction_warning_opt_out"].pop("default")
    data.pop("rates"), data.pop("interest")
    for step in data["steps"]:
        step.pop("fee", None)  # fees need the rate file, which a ruleset given as data cannot name
    plan = d.compile(d.Ruleset.model_validate(data))
    case = example_case(plan)
    assert case["facts"] == {"eviction_warning_opt_out": False}
    d.evaluate(plan, case)


def test_given_case_is_shown_with_its_events_and_pauses():
    rs = _load("no-standard")
    text = explain(rs, _fixture_case("no/dispute-shift.json"))
    assert "Case NO-GOLD-dispute-shift: 9500.00 NOK due on Tue 1 Sep 2026." in text
    assert "Events: Sat 5 Sep 2026 dispute_opened; Mon 14 Sep 2026 dispute_resolved." in text
    assert "Dispute pause: Sat 5 Sep 2026 to Mon 14 Sep 2026." in text
    assert "Built-in" not in text


def test_api_takes_ruleset_plan_schedule():
    rs = _load("se-standard")
    plan = d.compile(rs)
    schedule = d.evaluate(plan, example_case(plan))
    text = explain_markdown(rs, plan, schedule)
    assert f"Case {schedule.case}." in text
    page = explain_html(rs, plan, schedule)
    _check_well_formed(page)
    assert "<svg" in page


# --- HTML ----------------------------------------------------------------------------------------


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Structure(html.parser.HTMLParser):
    """Every element closed, in order; collects text, tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data_in: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'} at {self.getpos()}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.stack:
            self.data_in.setdefault(self.stack[-1], []).append(data)


def _check_well_formed(page: str) -> _Structure:
    p = _Structure()
    p.feed(page)
    p.close()
    assert not p.problems, p.problems
    assert not p.stack, f"unclosed: {p.stack}"
    return p


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_html_is_well_formed_and_names_every_step(name):
    rs = _load(name)
    page = explain(rs, fmt="html")
    assert page.startswith("<!DOCTYPE html>")
    p = _check_well_formed(page)
    text = "".join(p.text)
    svg_rows = [a.get("data-step") for t, a in p.tags if t == "g" and "row" in (a.get("class") or "").split()]
    assert svg_rows == [s.id for s in rs.steps]
    for step in rs.steps:
        assert step.id in text
        assert ("tr", {"id": f"step-{step.id}"}) in p.tags
    assert sum(1 for t, _ in p.tags if t == "svg") == 1
    assert f"<title>{html.escape(rs.title)}</title>" in page


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_html_is_self_contained(name):
    page = explain(_load(name), fmt="html")
    p = _check_well_formed(page)
    # No external URL anywhere, not even an xmlns.
    assert "http://" not in page and "https://" not in page
    assert "xmlns" not in page and "file:" not in page
    for tag, attrs in p.tags:
        for attr in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
            assert attr not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed", "image", "use", "base", "form")
        if tag == "script":
            assert attrs == {}
    assert re.findall(r"url\(([^)]*)\)", page) and all(
        u == "#hatch" for u in re.findall(r"url\(([^)]*)\)", page))
    assert "@import" not in page
    # One inline style and one inline script, both allowed by hash in a CSP that forbids any fetch.
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    styles, scripts = p.data_in.get("style", []), p.data_in.get("script", [])
    assert len(styles) == 1 and len(scripts) == 1
    import base64
    import hashlib
    for block, directive in ((styles[0], "style-src"), (scripts[0], "script-src")):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_html_timeline_shades_holidays_and_weekends():
    page = explain(_load("no-standard"), fmt="html")
    # Maundy Thursday moves the inkassovarsel (D+15) to Tue 7 Apr: shaded and named.
    assert re.search(r'<rect class="holiday"[^>]*><title>Thu 2 Apr 2026: Maundy Thursday</title></rect>', page)
    assert re.search(r'<rect class="holiday"[^>]*><title>Mon 6 Apr 2026: Easter Monday</title></rect>', page)
    assert re.search(r'<rect class="weekend"[^>]*><title>Sat 7 Mar 2026: Saturday \(weekend\)</title></rect>', page)
    assert not re.search(r'class="(holiday|weekend)"[^>]*><title>Wed 18 Mar 2026', page)
    assert page.count('<circle class="planned"') == 8 + 1  # eight actions, and the legend
    assert page.count('<rect class="bar"') == 3 + 1        # three deadlines, and the legend


def test_html_timeline_cuts_long_quiet_stretches():
    rs = _load("se-standard")
    plan = d.compile(rs)
    actions = d.evaluate(plan, example_case(plan)).actions
    page = explain(rs, fmt="html", plan=plan)
    breaks = re.findall(r'<g class="axis-break">.*?<title>(\d+) days not shown: ([^<]*)</title></g>', page)
    assert breaks and all(int(n) > 31 for n, _ in breaks)
    assert len(actions) == 17  # monitoring 6 times, the limitation interrupted 3 times
    assert page.count('<circle class="planned"') == len(actions) + 1  # and the legend


def test_html_timeline_hatches_dispute_pauses():
    rs = _load("no-standard")
    page = explain(rs, _fixture_case("no/dispute-shift.json"), fmt="html")
    _check_well_formed(page)
    assert '<pattern id="hatch"' in page
    assert re.search(r'<g class="pause-band"><rect class="pause" [^>]*/>.*?<title>dispute pause Sat 5 Sep 2026 '
                     r'to Mon 14 Sep 2026</title></g>', page)
    open_page = explain(rs, _fixture_case("no/dispute-open.json"), fmt="html")
    assert "(still open)</title></g>" in open_page
    assert '<text class="note"' in open_page and "waiting: " in open_page


def test_html_timeline_marks_skipped_steps():
    page = explain(_load("no-standard"), _fixture_case("no/eviction-warning-opt-out.json"), fmt="html")
    row = re.search(r'<g class="row" data-step="eviction-warning">(.*?)</g>\s*<g class="row"', page, re.S)
    assert row and 'class="skipped"' in row.group(1) and 'class="planned"' not in row.group(1)


# --- escaping: ruleset text is untrusted ---------------------------------------------------------


EVIL = "<script>alert(1)</script>"


def _evil_ruleset(tmp_path: Path) -> d.Ruleset:
    folder = tmp_path / "no"
    shutil.copytree(RULESETS["no-standard"].parent, folder)
    path = folder / "standard.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("title: Rent invoice", f"title: '{EVIL}'")
    text = text.replace("title: Standard rent collection, Norway (reminders day 5 and 10, collection from day 15)",
                        "title: 'Evil & <b>bold</b> | pipe'")
    text = text.replace('legal_basis: "inkassoloven § 10: only after the inkassovarsel deadline, at least 14 days '
                        'to pay"', "legal_basis: '<img src=x onerror=alert(2)> [link](javascript:alert(3)) *x*'")
    text = text.replace("when: not facts.eviction_warning_opt_out",
                        "when: \"not facts.eviction_warning_opt_out and debtor.name != '</code><iframe>|`'\"")
    path.write_text(text, encoding="utf-8")
    rs = d.load_ruleset(path)
    assert rs.steps[0].title == EVIL
    return rs


def test_html_escapes_ruleset_text(tmp_path):
    rs = _evil_ruleset(tmp_path)
    page = explain(rs, fmt="html")
    p = _check_well_formed(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert EVIL not in page
    assert page.count("<script>") == 1  # ours, at the end
    assert "<img" not in page and "<iframe" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "Evil &amp; &lt;b&gt;bold&lt;/b&gt; | pipe" in page
    assert not any(t in ("img", "iframe", "b") for t, _ in p.tags)
    assert EVIL in "".join(p.text)  # shown to the reader as text


def test_markdown_escapes_ruleset_text(tmp_path):
    rs = _evil_ruleset(tmp_path)
    text = explain(rs)
    assert "\\<script\\>alert(1)\\</script\\>" in text
    assert "<script" not in text.replace("\\<script", "") and "<img" not in text.replace("\\<img", "")
    assert "\\[link\\](javascript:alert(3)) \\*x\\*" in text
    assert "# Evil & \\<b\\>bold\\</b\\> \\| pipe" in text
    # The condition stays one code span in one cell, however it is spelled.
    assert "``not facts.eviction_warning_opt_out and debtor.name != '</code><iframe>\\|`'``" in text
    steps = text.split("## Steps", 1)[1].split("## Example", 1)[0]
    rows = [line for line in steps.splitlines() if line.startswith("|")]
    assert {len(re.findall(r"(?<!\\)\|", r)) for r in rows} == {10}


@pytest.mark.parametrize("raw, cell", [
    ("a|b", "a\\|b"), ("<x>", "\\<x\\>"), ("*em* _em_", "\\*em\\* \\_em\\_"), ("snake_case", "snake_case"),
    ("line\nbreak", "line break"), ("[a](b)", "\\[a\\](b)"), ("back\\slash `tick`", "back\\\\slash \\`tick\\`"),
])
def test_md_escape(raw, cell):
    assert md(raw) == cell


def test_md_code_survives_backticks_and_pipes():
    assert md_code("a | b") == "`a \\| b`"
    assert md_code("x `y` z") == "``x `y` z``"
    assert md_code("`edge`") == "`` `edge` ``"


# --- the command ---------------------------------------------------------------------------------


def _run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_explain(list(args), out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_command_markdown_and_html():
    code, out, err = _run(str(RULESETS["no-standard"]))
    assert (code, err) == (0, "")
    assert out == (GOLDEN / "no-standard.md").read_text(encoding="utf-8")
    code, out, err = _run(str(RULESETS["se-standard"]), "--format", "html")
    assert (code, err) == (0, "") and out.startswith("<!DOCTYPE html>")


def test_command_with_a_case(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(_fixture_case("se/dispute-shift.json")), encoding="utf-8")
    code, out, err = _run(str(RULESETS["se-standard"]), "--case", str(case))
    assert (code, err) == (0, "")
    assert "Case SE-GOLD-dispute-shift" in out and "Dispute pause: Tue 10 Feb 2026 to Mon 2 Mar 2026." in out
    code, out, err = _run(str(RULESETS["se-standard"]), "--case", "-",
                          stdin=json.dumps(_fixture_case("se/dispute-shift.json")))
    assert code == 0 and "Case SE-GOLD-dispute-shift" in out


def test_command_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "due_date": "2026-02-30", "amount": "1.00", "currency": "SEK"}', encoding="utf-8")
    code, out, err = _run(str(RULESETS["se-standard"]), "--case", str(bad))
    assert code == 1 and out == "" and "case-invalid-date" in err and err.startswith(str(bad) + ":")
    code, out, err = _run(str(RULESETS["se-standard"]), "--format", "pdf")
    assert code == 2 and out == "" and "invalid choice" in err
    code, out, err = _run(str(tmp_path / "missing.yaml"))
    assert code == 1 and "file-unreadable" in err


# --- a real browser ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_html_renders_in_headless_chromium(name, tmp_path):
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: the HTML timeline is checked in a real headless browser. `make test` "
        "installs Debian's chromium when it runs as root; otherwise: apt-get install -y chromium")
    rs = _load(name)
    page = tmp_path / f"{name}.html"
    page.write_text(explain(rs, fmt="html"), encoding="utf-8")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within 60 s: {' '.join(cmd)}")
    dom = done.stdout
    assert done.returncode == 0 and dom.strip(), f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    assert re.search(r"<svg\b", dom), "no <svg> element in the rendered DOM"
    for step in rs.steps:
        assert step.id in dom, f"step {step.id} missing from the rendered DOM"
    # The page's own script records which step rows got a layout box: it ran (so the CSP hash is
    # right) and every step row was drawn with a non-empty size.
    found = re.search(r'data-rendered="([^"]*)"', dom)
    assert found, "the page's script did not run (CSP hash?) or found no svg.timeline"
    assert found.group(1).split() == [s.id for s in rs.steps]
