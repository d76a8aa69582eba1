"""The command line: ``run(args, stdout, stderr) -> exit code``.

Exit codes (DESIGN.md contract): 0 success; 1 invalid input (ruleset, case)
or a failed test; 2 usage error; 3 lint findings.  Problems are printed to
stderr as ``PATH:LINE:COL: CODE: message``; never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import contextlib
import functools
import datetime as dt
import io
import json
import os
import re
import stat
import sys
from decimal import Decimal
from typing import IO, Any, Callable, Iterable, Iterator

from ._compile import Plan, compile
from ._errors import CONTROL_ESCAPES, CaseError, Finding, InvalidInputError, RulesetError, did_you_mean
from pydantic import ValidationError

from ._batch import COLLECT_EVERY, collector_paused, read_line, schedule_json, schedule_line
from ._parallel import BOM, can_fork, usable_cpus
from ._parallel import run as run_parallel
from ._evaluate import case_from_data, evaluate
from ._model import Case
from ._text import action_text
from ._load import load_ruleset, read_bounded
from ._schedule import Schedule
from ._jsonpos import keys_of_case, locate_json, twice_findings, twice_message
from ._yaml import Located

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_LINT = 0, 1, 2, 3
MAX_CASE_FILE = 2_000_000_000  # a JSON Lines batch may be large; it is streamed line by line
MAX_CASE_LINE = 1_000_000
PARALLEL_BYTES = 4 << 20  # ~20,000 cases: below this, forking costs more than it saves


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and sys.exit(2) itself
        raise _UsageError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # as a case's dates (fromisoformat also reads 20260101)
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dunningrules",
        description="Rent-collection processes as configuration: validate YAML rulesets and turn "
        "cases into dated actions on business days.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("validate", help="check ruleset files; print every problem located",
                       description="Check ruleset files against the schema and the DSL's rules. "
                       "Prints every problem as PATH:LINE:COL: CODE: message; exit 1 if any.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="ruleset YAML files")
    p = sub.add_parser("schedule", help="print the dated actions of one case or many",
                       description="Evaluate cases against a ruleset. CASE is a .json file (one case, "
                       "or a list), a .jsonl file (one case per line, one schedule per output line), "
                       "or - for standard input.")
    p.add_argument("ruleset", metavar="RULESET", help="ruleset YAML file")
    p.add_argument("case", metavar="CASE", help="case file (.json or .jsonl) or - for stdin")
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="what the system knows on DATE: later events are ignored")
    p.add_argument("--format", choices=("json", "table"), default="json", help="output format")
    p.add_argument("--with-text", action="store_true",
                   help="add each action's notice (language, subject, body) from the ruleset's templates")
    p.add_argument("--jobs", type=_positive, metavar="N",
                   help="processes for a .jsonl file (default: one per CPU for a file of 4 MB or more, else 1); "
                   "the output is the same, in the same order")
    p = sub.add_parser("render", help="print the notice of one step of one case",
                       description="Render the text of one action: its subject and body, in the debtor's "
                       "language (or --language), from the ruleset's templates/ folder.")
    p.add_argument("ruleset", metavar="RULESET", help="ruleset YAML file")
    p.add_argument("case", metavar="CASE", help="case file (.json) or - for stdin")
    p.add_argument("--step", required=True, metavar="ID", help="the step whose notice to print")
    p.add_argument("--language", metavar="xx", help="language of the text (default: the debtor's, "
                   "else the ruleset's)")
    p.add_argument("--occurrence", type=int, default=1, metavar="N",
                   help="which occurrence of a recurring step (default 1)")
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="what the system knows on DATE: later events are ignored")
    p = sub.add_parser("schema", help="print the ruleset JSON Schema",
                       description="Print the published JSON Schema of rulesets (draft 2020-12).")
    p = sub.add_parser("lint", help="check rulesets against the law of their jurisdiction",
                       description="Check rulesets statically and over a grid of synthetic cases (every day "
                       "of two years, holiday clusters, disputes, events) against the jurisdiction's policy "
                       "(rulesets/policies/). Each finding: PATH:LINE:COL: CODE: message (legal basis); "
                       "e.g. an example case. Exit 3 when there are findings, 1 when the input is invalid.")
    p.add_argument("paths", nargs="+", metavar="RULESET", help="ruleset YAML files")
    p.add_argument("--policy", metavar="FILE", help="a policy file instead of the jurisdiction's shipped one")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    from ._testing import add_arguments as add_test_arguments

    p = sub.add_parser("test", help="run ruleset tests (*.test.yaml), promtool style",
                       description="Run ruleset test files: cases, as_of and expected actions matched "
                       "partially. Prints an exp/got diff per failure and the steps no test reached; "
                       "exit 0 when all pass, 1 otherwise.")
    add_test_arguments(p)
    p = sub.add_parser("explain", help="print the process as a reviewer reads it (Markdown or HTML)",
                       description="The ruleset as a reviewer reads it: steps in order with their timing in "
                       "words, conditions, deadlines, fees, channels and legal basis, then the dated timeline "
                       "of an example case (the given one, or a built-in one). --format html writes one "
                       "self-contained page with an SVG timeline.")
    p.add_argument("ruleset", metavar="RULESET", help="ruleset YAML file")
    p.add_argument("--case", metavar="CASE", help="case file (.json) or - for stdin (default: a built-in example)")
    p.add_argument("--format", choices=("md", "html"), default="md", help="output format")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="what the system knows on DATE")
    from ._diff import add_parser as add_diff  # the reviewers' tools keep their options beside their code
    from ._show import add_parser as add_show

    add_diff(sub)
    add_show(sub)
    return parser


def _print_findings(findings: list[Finding], stderr: IO[str]) -> None:
    for f in findings:
        print(f, file=stderr)


# ------------------------------------------------------------------ cases in

def _locate(finding: Finding, text: str, path: str, line_offset: int = 0) -> Finding:
    """Give a case finding the line and column of its JSON path in `text`, unless it has its own
    (a key given twice is located at the repeat, the path at the value that counts)."""
    line, col = (finding.line, finding.col) if finding.line else _positions(text, path).where(finding.pointer)
    return Finding(finding.code, finding.message, path, line + line_offset, col, finding.pointer)


@functools.lru_cache(maxsize=4)
def _positions(text: str, path: str) -> Located:
    # Cached: a .json list with many bad cases is scanned once, not once per case.
    return locate_json(text, path)


def _json_error(e: json.JSONDecodeError, path: str, line_offset: int = 0) -> Finding:
    return Finding("case-invalid-json", e.msg, path, e.lineno + line_offset, e.colno)


def _read_text(path: str, stdin: IO[str]) -> str:
    """A case file's or standard input's text; a byte that is not UTF-8 becomes a lone surrogate
    (surrogateescape), which `_not_utf8` finds and locates."""
    if path == "-":
        buffer = getattr(stdin, "buffer", None)  # the bytes, whatever the stream's own error handler
        text = stdin.read() if buffer is None else buffer.read().decode("utf-8", "surrogateescape")
    else:
        text = read_bounded(path, MAX_CASE_FILE).decode("utf-8", "surrogateescape")
    return text.removeprefix(BOM.decode())


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # the bytes surrogateescape could not decode


def _not_utf8(text: str, name: str, line_offset: int = 0) -> Finding | None:
    """Where `text` (decoded with surrogateescape) has its first byte that is not UTF-8, or None."""
    bad = _NOT_UTF8.search(text)
    if bad is None:
        return None
    at = bad.start()
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return Finding("case-not-utf8", f"the text is not UTF-8 (byte 0x{ord(bad.group()) - 0xDC00:02X})", name,
                   line + line_offset, col)


def _lines(path: str, stdin: IO[str]) -> Iterator[str]:
    """The lines of a JSON Lines input, streamed: a batch may hold millions of cases."""
    if path == "-":
        yield from _without_bom(stdin)
        return
    try:
        with open(path, encoding="utf-8") as f:
            yield from _without_bom(f)
    except OSError as e:
        raise InvalidInputError([Finding("file-unreadable", e.strerror or str(e), path, 0, 0)]) from None


def _documents(text: str, name: str) -> Iterator[tuple[Any, tuple[Any, ...]] | Finding]:
    """(case data, JSON path prefix) for each case of a whole JSON document: one object or a list."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as e:
        yield _json_error(e, name)
        return
    except (RecursionError, ValueError) as e:  # absurd nesting; integers past Python's digit limit
        yield _json_limit(e, text, name, 0)
        return
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield item, (i,)
    else:
        yield data, ()


def _json_limit(e: Exception, text: str, path: str, line_offset: int) -> Finding:
    """A JSON text that json cannot hold: nested past the recursion limit, or a number with
    thousands of digits (located at that number)."""
    if isinstance(e, RecursionError):
        return Finding("case-too-large", "the JSON is nested too deeply", path, line_offset + 1, 1)
    digits = re.search(r"[0-9]{1000,}", text)
    line, col = (1, 1)
    if digits:
        line = text.count("\n", 0, digits.start()) + 1
        col = digits.start() - (text.rfind("\n", 0, digits.start()) + 1) + 1
    return Finding("case-too-large", "a number has too many digits", path, line + line_offset, col)


def _text_or_none(plan: Plan, case: Case, action: Any) -> dict[str, str] | None:
    """An action's notice for --with-text, or None when it has no template or no date."""
    if action.claim is None and action.date is not None and action.claim_error:
        return None  # the amount is unknown (claim_error says why): no notice states a guess
    return action_text(plan, case, action)


def read_one_case(path: str, stdin: IO[str], plan: Plan | None = None, as_of: dt.date | None = None) -> Case:
    """The one case in a .json file or on stdin (`-`); CaseError lists every problem, located,
    with, when a plan is given, what evaluating it finds (a currency, a date past the calendar)."""
    name = "<stdin>" if path == "-" else path
    if path.endswith(".jsonl"):
        raise CaseError([Finding("case-invalid", "one case is needed here: give a .json file with one case "
                                 "(a .jsonl file holds many)", name, 0, 0)])
    text = _read_text(path, stdin)
    bad = _not_utf8(text, name)
    if bad is not None:
        raise CaseError([bad])
    items = list(_documents(text, name))
    if len(items) != 1 or isinstance(items[0], Finding):
        raise CaseError([i for i in items if isinstance(i, Finding)] or [
            Finding("case-invalid", "one case is needed here, not a list", name, 1, 1)])
    data, prefix = items[0]  # type: ignore[misc]
    case = _with_twice(_case_or_findings(data, name), twice_findings(text, name), prefix)
    if isinstance(case, list):
        raise CaseError([_locate(_reroot(f, prefix), text, name) for f in case])
    if plan is not None:
        try:
            evaluate(plan, case, as_of=as_of)  # kept in the plan's memo for the caller's own call
        except CaseError as e:
            raise CaseError([_locate(_reroot(f, prefix), text, name) for f in e.findings]) from None
    return case


def _render(plan: Plan, args: argparse.Namespace, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    name = "<stdin>" if args.case == "-" else args.case
    case = read_one_case(args.case, stdin, plan, args.as_of)  # a CaseError is printed by run()
    steps = [s.id for s in plan.source.steps]
    if args.step not in steps:
        hint = did_you_mean(args.step, steps)
        print(f"{args.ruleset}:0:0: unknown-step: no step {args.step!r} in the ruleset{hint}", file=stderr)
        return EXIT_USAGE
    schedule = evaluate(plan, case, as_of=args.as_of)
    mine = [a for a in schedule.actions if a.step == args.step]
    action = next((a for a in mine if (a.occurrence or 1) == args.occurrence), None)
    problem = None
    if action is None:
        problem = f"step {args.step} has no occurrence {args.occurrence}"
    elif action.date is None:
        problem = f"step {args.step} has no date yet ({action.status}: {action.reason})"
    elif action.status != "planned":
        problem = f"step {args.step} is {action.status} ({action.reason}): nothing is sent"
    elif case.debtor is None:
        problem = "the case has no debtor to write to"
    elif action.claim is None and action.claim_error:
        problem = f"the claim on {action.date} is unknown: {action.claim_error}"
    if problem is None:
        shown = action_text(plan, case, action, args.language)  # type: ignore[arg-type]
        if shown is None:
            problem = f"no template for {action.action} in the ruleset's templates folder"  # type: ignore[union-attr]
    if problem is not None:
        print(f"{name}:1:1: no-text: {problem}", file=stderr)
        return EXIT_INVALID
    stdout.write(f"Subject: {shown['subject']}\nLanguage: {shown['language']}\n\n{shown['body']}\n")  # type: ignore[index]
    return EXIT_OK


def _not_a_file(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # the reader says what is wrong with it


def _one_document_file(path: str) -> bool:
    """Whether a case file named neither .json nor .jsonl holds one JSON document, as
    `_is_one_document` tells for stdin, from its first line: JSON Lines start with a whole value."""
    try:
        with open(path, "rb") as f:
            first = b""
            while not first.strip():
                first = f.readline(1 << 20)
                if not first:
                    return True  # empty: as a .json file, which says so
    except OSError:
        return False  # the JSON Lines reader reports it
    text = first.removeprefix(BOM).decode("utf-8", "replace").strip()
    if text.startswith("["):
        return True
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return True
    return False


def _is_one_document(text: str) -> bool:
    """Whether stdin holds one JSON document (perhaps pretty-printed, perhaps broken) rather than
    JSON Lines: true when the whole text parses, or when it opens with '{' but its first line alone
    is not a complete JSON value."""
    try:
        json.loads(text)
        return True
    except (ValueError, RecursionError):
        pass
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    try:
        json.loads(stripped.split("\n", 1)[0])  # lines end at "\n" only, as in a .jsonl file
    except (ValueError, RecursionError):
        return True
    return False


def _with_twice(case: Case | list[Finding], twice: list[Finding], prefix: tuple[Any, ...]) -> Case | list[Finding]:
    """The case at `prefix` of a document, or its findings with the keys it gives twice (`twice`,
    found in the whole document) among them, their paths made relative to it."""
    mine = [dataclasses.replace(f, pointer=f.pointer[len(prefix):], message=twice_message(f.pointer[len(prefix):]))
            for f in twice if f.pointer[:len(prefix)] == prefix]
    if not mine:
        return case
    return mine + (case if isinstance(case, list) else [])


def _case_or_findings(data: Any, name: str) -> Case | list[Finding]:
    if not isinstance(data, dict):
        return [Finding("case-invalid", "a case is a JSON object", name, 0, 0, ())]
    try:
        return case_from_data(data, name)
    except CaseError as e:
        return e.findings


class _Output:
    """Writes schedules in the chosen format; reports case problems located in their input."""

    def __init__(self, plan: Plan, args: argparse.Namespace, name: str, batch: bool,
                 stdout: IO[str], stderr: IO[str], report: Callable[[list[Finding]], Any] | None = None) -> None:
        self.plan, self.as_of, self.name, self.batch = plan, args.as_of, name, batch
        self.table = args.format == "table"
        self.with_text = getattr(args, "with_text", False)
        self.stdout, self.stderr = stdout, stderr
        self.report = report or functools.partial(_print_findings, stderr=stderr)
        self.failed = False

    def fail(self, findings: list[Finding], *, in_order: bool = False) -> None:
        """Report a case's problems, in the order of its text unless they come `in_order`."""
        self.failed = True
        self.report(findings if in_order else sorted(findings, key=Finding.sort_key))

    def case(self, case: Case | list[Finding], text: str, prefix: tuple[Any, ...], line_offset: int) -> None:
        out = self.render(case, text, prefix, line_offset)
        if out is not None:
            self.stdout.write(out)

    def line(self, case: Any, text: bytes | str, line_offset: int) -> bytes | None:
        """A case's schedule as one line of compact JSON in UTF-8 (the plain JSON Lines batch)."""
        try:
            if isinstance(case, list):
                raise CaseError(case)
            return schedule_line(self.plan, case, self.as_of)
        except CaseError as e:
            self.fail_line(e, text, line_offset)
            return None

    def fail_line(self, error: CaseError, text: bytes | str, line_offset: int) -> None:
        """Report a case's problems, located on its line of the input."""
        if text.__class__ is bytes:  # from the fast path, which read it as UTF-8
            text = text.decode().rstrip("\r\n")  # type: ignore[union-attr]
        self.fail([_locate(f, text, self.name, line_offset) for f in error.findings])  # type: ignore[arg-type]

    def render(self, case: Case | list[Finding], text: str, prefix: tuple[Any, ...],
               line_offset: int) -> str | None:
        try:
            if isinstance(case, list):
                raise CaseError(case)
            if self.table:
                out = render_table(evaluate(self.plan, case, as_of=self.as_of))
            elif self.with_text:
                schedule = evaluate(self.plan, case, as_of=self.as_of)
                data = schedule.to_dict()
                try:
                    for action, shown in zip(schedule.actions, data["actions"]):
                        shown["text"] = _text_or_none(self.plan, case, action)
                except RulesetError as e:  # a template failed on this case: say so, go on with the batch
                    # Where the template failed, and, at the case, which schedule is left out.
                    here = _locate(Finding("case-text-failed", f"the notice of step {action.step} could not be "
                                           "written (the template's finding says why); this case's schedule "
                                           "is left out", self.name, 0, 0, prefix), text, self.name, line_offset)
                    note = f" (the notice of step {action.step} for case {case.id})"
                    self.fail([here, *(dataclasses.replace(f, message=f.message + note) for f in e.findings)],
                              in_order=True)  # the case's line first, then the template's
                    return None
                indent = None if self.batch else 2
                out = json.dumps(data, ensure_ascii=False, indent=indent,
                                 separators=(",", ":") if self.batch else None) + "\n"
            elif self.batch:
                out = schedule_json(self.plan, case, self.as_of) + "\n"
            else:
                schedule = evaluate(self.plan, case, as_of=self.as_of)
                out = json.dumps(schedule.to_dict(), ensure_ascii=False, indent=2) + "\n"
        except CaseError as e:
            self.fail([_locate(_reroot(f, prefix), text, self.name, line_offset) for f in e.findings])
            return None
        return out


def _schedule(plan: Plan, args: argparse.Namespace, stdin: IO[str], stdout: IO[str],
              stderr: IO[str]) -> int:
    name = "<stdin>" if args.case == "-" else args.case
    special = args.case != "-" and not args.case.endswith((".json", ".jsonl")) and _not_a_file(args.case)
    if special:  # a pipe or a device (/dev/stdin): read once, like standard input
        with open(args.case, "rb") as f:
            stdin = io.TextIOWrapper(io.BytesIO(f.read(MAX_CASE_FILE)), encoding="utf-8", errors="surrogateescape")
    if args.case == "-" or special:
        text: str | None = _read_text("-", stdin)
        whole = text.lstrip().startswith("[") or _is_one_document(text)  # type: ignore[union-attr]
        stdin = io.StringIO(text)
    else:
        whole = args.case.endswith(".json") or (not args.case.endswith(".jsonl") and _one_document_file(args.case))
        text = _read_text(args.case, stdin) if whole else None
    out = _Output(plan, args, name, not whole, stdout, stderr)
    bad = _not_utf8(text, name) if whole else None  # type: ignore[arg-type]
    if bad is not None:
        out.fail([bad])
        return EXIT_INVALID
    if whole:
        rendered: list[str] = []
        is_list = text.lstrip().startswith("[")  # type: ignore[union-attr]  # an empty list too
        twice = twice_findings(text, name)  # type: ignore[arg-type]
        for item in _documents(text, name):  # type: ignore[arg-type]
            if isinstance(item, Finding):
                out.fail([item])
                continue
            is_list = bool(item[1])
            one = out.render(_with_twice(_case_or_findings(item[0], name), twice, item[1]), text, item[1],
                             0)  # type: ignore[arg-type]
            if one is not None:
                rendered.append(one)
        if is_list and not out.table:  # a list of cases in, a JSON array of schedules out
            body = ",\n".join(r.rstrip("\n") for r in rendered)
            stdout.write(f"[\n{body}\n]\n" if rendered else "[]\n")
        else:
            stdout.write("".join(rendered))
        return EXIT_INVALID if out.failed else EXIT_OK
    source = "-" if special else args.case  # what was read once is read from the buffer
    jobs = 1 if source == "-" else _jobs(args, stdout, stderr)
    try:
        if jobs > 1:
            with collector_paused() as collect:  # the forked processes start with it paused too
                failed = run_parallel(args.case, jobs, functools.partial(_chunk, plan, args, name, _Every(collect)),
                                      stdout, stderr, name)
            return EXIT_INVALID if failed else EXIT_OK
        write = None if out.table or out.with_text else _byte_writer(stdout)
        with collector_paused() as collect:  # the collector's passes were ~10% of a long batch
            _schedule_lines(out, write, _batch_lines(source, stdin), name, collect)
    except BrokenPipeError as e:  # the reader stopped: what it was told still decides the exit code
        return EXIT_INVALID if out.failed or getattr(e, "failed", False) else EXIT_OK
    return EXIT_INVALID if out.failed else EXIT_OK


def _schedule_lines(out: _Output, write: Callable[[bytes], Any] | None, lines: Iterable[bytes | str], name: str,
                    collect: Callable[[], Any]) -> int:
    """Schedule each line of a JSON Lines input; how many lines there were."""
    n = -1
    plan, as_of, fast = out.plan, out.as_of, write is not None
    for n, line in enumerate(lines):
        if not n % COLLECT_EVERY:
            collect()
        # The fast path: a plainly well-formed line read without the models, its schedule
        # written as bytes (plain JSON output only: notices and tables need the models).
        if fast and len(line) <= MAX_CASE_LINE:
            case = read_line(line)
            if case is not None:
                try:
                    write(schedule_line(plan, case, as_of))  # type: ignore[misc]
                except CaseError as e:
                    out.fail_line(e, line, n)
                continue
        _slow_line(out, write, line, name, n)
    return n + 1


def _chunk(plan: Plan, args: argparse.Namespace, name: str, every: _Every,
           lines: Iterable[bytes]) -> tuple[bytes, list[Finding], int]:
    """One chunk of a batch run on several processes (see _parallel): its output, its findings
    (lines counted from the chunk's first), and how many lines it had."""
    findings: list[Finding] = []
    text = io.StringIO()
    out = _Output(plan, args, name, True, text, text, report=findings.extend)
    # Copied into one buffer as it goes: each line's bytes are freed at once and their memory
    # reused for the next, where a list of them would hold megabytes of fresh memory per chunk.
    buffer = bytearray()
    count = _schedule_lines(out, None if out.table or out.with_text else buffer.extend, lines, name, _nothing)
    every.lines(count)
    return buffer or text.getvalue().encode(), findings, count


def _nothing() -> None:
    pass


class _Every:
    """The batch's young collections (see `collector_paused`) every `COLLECT_EVERY` lines that one
    process works, across its chunks."""

    def __init__(self, collect: Callable[[], Any]) -> None:
        self.collect, self.done = collect, 0

    def lines(self, count: int) -> None:
        before, self.done = self.done, self.done + count
        if before // COLLECT_EVERY != self.done // COLLECT_EVERY:
            self.collect()


def _jobs(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """How many processes run a JSON Lines file: --jobs, or by default the usable CPUs for a
    file of at least `PARALLEL_BYTES`; one where the output cannot be shared between processes
    (streams without a file descriptor, or not UTF-8), processes cannot be forked, or the input
    is not a regular file that can be read in chunks (a pipe, a missing file: the one process
    reads it, or says why it cannot)."""
    jobs = getattr(args, "jobs", 1)
    if jobs == 1 or not can_fork():
        return 1
    for stream in (stdout, stderr):
        try:
            stream.fileno()
        except (AttributeError, OSError, ValueError):
            return 1
    encoding = (getattr(stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if encoding != "utf8" or os.linesep != "\n":
        return 1
    try:
        info = os.stat(args.case)
        readable = stat.S_ISREG(info.st_mode) and os.access(args.case, os.R_OK)
    except OSError:
        readable = False
    if not readable:
        return 1
    if jobs is None:
        return usable_cpus() if info.st_size >= PARALLEL_BYTES else 1
    return jobs


def _slow_line(out: _Output, write: Callable[[bytes], Any] | None, line: bytes | str, name: str, n: int) -> None:
    """A line the fast path did not take: blank, too long, not UTF-8, or read by the models,
    whose errors say exactly what is wrong (and where)."""
    if line.__class__ is bytes:
        line = line.decode("utf-8", "surrogateescape")  # type: ignore[union-attr]
    bad = _not_utf8(line, name, n)  # type: ignore[arg-type]
    if bad is not None:
        out.fail([bad])
        return
    line = line.rstrip("\r\n")  # type: ignore[union-attr,arg-type]  # a truncated line's error is located on it
    if not line or line.isspace():  # type: ignore[union-attr]
        return
    if len(line) > MAX_CASE_LINE:
        out.fail([Finding("case-too-large", f"line is over {MAX_CASE_LINE:,} characters", name, n + 1, 1)])
        return
    try:
        case: Any = Case.model_validate_json(line)  # a Case, or findings below
        # As many `":` as keys given (the usual) means none is given twice; else json tells.
        if line.count('":') != keys_of_case(case):  # type: ignore[union-attr]
            case = twice_findings(line, name) or case  # type: ignore[arg-type]
    except ValidationError:  # slow path, only to say exactly what is wrong
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as e:
            out.fail([_json_error(e, name, n)])
            return
        except (RecursionError, ValueError) as e:
            out.fail([_json_limit(e, line, name, n)])  # type: ignore[arg-type]
            return
        case = _with_twice(_case_or_findings(data, name), twice_findings(line, name), ())  # type: ignore[arg-type]
    if write is None:
        out.case(case, line, (), n)  # type: ignore[arg-type]
    else:
        written = out.line(case, line, n)  # type: ignore[arg-type]
        if written is not None:
            write(written)


def _without_bom(lines: Iterable[Any]) -> Iterator[Any]:
    """The lines (bytes or text) with a byte order mark taken off the first."""
    it = iter(lines)
    for first in it:
        yield first.removeprefix(BOM if first.__class__ is bytes else BOM.decode())
        break
    yield from it


def _batch_lines(path: str, stdin: IO[str]) -> Iterator[bytes | str]:
    """The lines of a JSON Lines input, streamed: a file's as bytes (the fast path reads UTF-8
    itself; a line that is not UTF-8 is reported alone), standard input's as it gives them."""
    if path == "-":
        yield from _without_bom(stdin)
        return
    try:
        with open(path, "rb") as f:
            yield from _without_bom(f)
    except OSError as e:
        raise InvalidInputError([Finding("file-unreadable", e.strerror or str(e), path, 0, 0)]) from None


def _byte_writer(stdout: IO[str]) -> Callable[[bytes], Any]:
    """How batch lines, already UTF-8, reach `stdout`: straight into its binary buffer when it
    would encode them the same way (UTF-8, no newline translation), which saves encoding
    several kilobytes of text per case; otherwise decoded and written as text.  The stream's
    error handler does not matter (a redirected stdout under the C.UTF-8 locale has
    surrogateescape): the lines were encoded strictly, so their text has no lone surrogates,
    the only code points UTF-8 cannot encode, and no handler is ever called."""
    buffer = getattr(stdout, "buffer", None)
    encoding = (getattr(stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is None or encoding != "utf8" or os.linesep != "\n":
        return lambda data: stdout.write(data.decode())
    stdout.flush()  # whatever was written as text goes first
    if getattr(stdout, "line_buffering", False):  # a terminal: each schedule shows when it is done
        def write_line(data: bytes) -> None:
            buffer.write(data)
            buffer.flush()
        return write_line
    return buffer.write  # type: ignore[no-any-return]


def _reroot(f: Finding, prefix: tuple[Any, ...]) -> Finding:
    return Finding(f.code, f.message, f.path, f.line, f.col, (*prefix, *f.pointer))


# ------------------------------------------------------------------ output

def render_table(schedule: Schedule) -> str:
    """A schedule as a fixed-width table for people."""
    rows = [("DATE", "STEP", "ACTION", "STATUS", "DEADLINE", "TO", "REASON")]
    for a in schedule.actions:
        step = a.step if a.occurrence is None else f"{a.step} #{a.occurrence}"
        channels = "/".join(a.channels)
        rows.append((
            a.date.isoformat() if a.date else "-",
            step,
            a.action,
            a.status,
            a.deadline.isoformat() if a.deadline else "-",
            a.recipient + (f" ({channels})" if channels else ""),
            a.reason,
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    head = f"case {schedule.case}  ruleset {schedule.ruleset.id} {schedule.ruleset.version}"
    if schedule.as_of:
        head += f"  as of {schedule.as_of.isoformat()}"
    lines = [head]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[6])
    # A case id or a text from a ruleset never breaks a row or drives the terminal: control
    # characters are written escaped, as in findings.
    return "\n".join(line.translate(CONTROL_ESCAPES) for line in lines) + "\n\n"


# ------------------------------------------------------------------ commands

def _validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    failed = False
    for path in args.paths:
        try:
            ruleset = load_ruleset(path)
        except InvalidInputError as e:
            _print_findings(e.findings, stderr)
            failed = True
            continue
        bases = ruleset._origin.files[1:]
        extends = f", extends {' -> '.join(bases)}" if bases else ""
        print(f"{path}: ok ({ruleset.id} {ruleset.version}, {len(ruleset.steps)} step{'' if len(ruleset.steps) == 1 else 's'}{extends})", file=stdout)
    return EXIT_INVALID if failed else EXIT_OK


def _lint(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from ._lint import lint_path, load_policy

    invalid = found = False
    report = []
    policy = None
    if args.policy is not None:
        try:  # once, so that a broken policy is reported once, not once per ruleset
            policy = load_policy(args.policy)
        except InvalidInputError as e:
            _print_findings(e.findings, stderr)
            return EXIT_INVALID
    for path in args.paths:
        try:
            findings = lint_path(path, policy)
        except InvalidInputError as e:  # validation errors first: lint never hides them
            _print_findings(e.findings, stderr)
            invalid = True
            continue
        found = found or bool(findings)
        if args.format == "json":
            report.append({"ruleset": path, "findings": [f.to_dict() for f in findings]})
        else:
            for f in findings:
                print(f, file=stdout)
            if not findings:
                print(f"{path}: lint clean", file=stdout)
    if args.format == "json":
        stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return EXIT_INVALID if invalid else EXIT_LINT if found else EXIT_OK


def run(args: list[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None,
        stdin: IO[str] | None = None) -> int:
    """Run the CLI with `args`; return the exit code.  Never raises for user errors."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    stdin = stdin or sys.stdin
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout):  # --help prints to the stdout we were given
            ns = parser.parse_args(args)
    except _UsageError as e:
        print(e, file=stderr)
        return EXIT_USAGE
    except SystemExit as e:  # --help and --version exit through argparse
        return int(e.code or 0)
    if ns.command is None:
        parser.print_help(stderr)
        return EXIT_USAGE
    if getattr(ns, "with_text", False) and getattr(ns, "format", None) == "table":
        print(f"dunningrules {ns.command}: --with-text adds the notices to the JSON output; "
              "it cannot be combined with --format table", file=stderr)
        return EXIT_USAGE
    try:
        if ns.command == "validate":
            return _validate(ns, stdout, stderr)
        if ns.command == "schema":
            from ._schema import schema_text

            stdout.write(schema_text())
            return EXIT_OK
        if ns.command == "explain":
            from ._explain import run_explain

            return run_explain(args[1:], stdout, stderr, stdin)
        if ns.command == "test":
            from ._testing import command as test_command

            return test_command(ns, stdout, stderr)
        if ns.command == "lint":
            return _lint(ns, stdout, stderr)
        if ns.command == "diff":
            from ._diff import command as diff_command

            return diff_command(ns, stdin, stdout, stderr)
        if ns.command == "show":
            from ._show import command as show_command

            return show_command(ns, stdout)
        # A schedule without texts needs no notice templates: not reading and checking them
        # saves a third of what loading a small ruleset costs (`validate` checks them).
        texts = ns.command == "render" or getattr(ns, "with_text", False)
        plan = compile(load_ruleset(ns.ruleset, texts=texts))
        if ns.command == "render":
            return _render(plan, ns, stdin, stdout, stderr)
        return _schedule(plan, ns, stdin, stdout, stderr)
    except InvalidInputError as e:
        _print_findings(e.findings, stderr)
        return EXIT_INVALID
    except UnicodeDecodeError as e:
        case = getattr(ns, "case", "-")
        print(f"{'<stdin>' if case == '-' else case}:0:0: case-not-utf8: {e.reason}", file=stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug of ours: still one located line, never a traceback
        where = getattr(ns, "ruleset", None) or "dunningrules"
        print(f"{where}:0:0: internal-error: {type(e).__name__}: {e} (please report this)", file=stderr)
        return EXIT_INVALID
