"""A JSON Lines batch on several processes (`schedule --jobs N`) writes what one process writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dunningrules._cli as cli_module
import dunningrules._parallel as parallel
from dunningrules._cli import run

ROOT = Path(__file__).resolve().parents[1]
NO_RULESET = ROOT / "rulesets" / "no" / "standard.yaml"
CASE = {"id": "L-1", "due_date": "2026-04-01", "amount": "9500.00", "currency": "NOK",
        "debtor": {"name": "Kari Nordmann", "language": "nb"}}

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="processes are forked only where fork exists")


def batch_text() -> str:
    """Good cases on many due dates, with bad lines, blank lines and an invalid UTF-8 byte among them."""
    lines = []
    for i in range(400):
        day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        case = dict(CASE, id=f"L-{i}", due_date=day)
        if i % 3 == 0:
            case["events"] = [{"type": "payment", "date": day, "amount": "100.00"}]
        lines.append(json.dumps(case))
        if i % 37 == 5:
            lines.append(json.dumps(dict(CASE, id=f"BAD-{i}", due_date="2026-02-30")))
        if i % 41 == 7:
            lines.append("")
        if i % 53 == 11:
            lines.append('{"id": "broken",')
    return "\n".join(lines) + "\n"


def schedule(tmp_path: Path, path: Path, *args: str) -> tuple[int, bytes, str]:
    """Run the CLI in-process with real files as stdout and stderr (processes share descriptors)."""
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("w", encoding="utf-8") as o, err.open("w", encoding="utf-8") as e:
        code = run(["schedule", str(NO_RULESET), str(path), *args], stdout=o, stderr=e)
    return code, out.read_bytes(), err.read_text(encoding="utf-8")


@pytest.mark.parametrize("jobs", ["2", "3"])
@pytest.mark.parametrize("fmt", [[], ["--format", "table"]])
def test_several_processes_write_what_one_writes(tmp_path, monkeypatch, jobs, fmt):
    path = tmp_path / "cases.jsonl"
    text = batch_text().encode()
    cut = text.index(b"L-200")
    path.write_bytes(text[:cut] + b"\xff" + text[cut:])  # one line that is not UTF-8
    one = schedule(tmp_path, path, "--jobs", "1", *fmt)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 2_000)  # many chunks, lines across their borders
    many = schedule(tmp_path, path, "--jobs", jobs, *fmt)
    assert many == one
    code, out, err = one
    assert code == 1
    assert err.count("case-invalid-date") == 11 and err.count("case-invalid-json") == 8
    assert "case-not-utf8" in err
    if not fmt:
        assert len(out.splitlines()) == 399


def test_a_large_file_uses_every_cpu_by_default(tmp_path, monkeypatch):
    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text(), encoding="utf-8")
    used = []
    real = parallel.run
    monkeypatch.setattr(cli_module, "run_parallel", lambda path, jobs, *rest: used.append(jobs) or real(path, jobs, *rest))
    monkeypatch.setattr(cli_module, "PARALLEL_BYTES", path.stat().st_size)
    monkeypatch.setattr(cli_module, "usable_cpus", lambda: 2)
    schedule(tmp_path, path)
    assert used == [2]
    monkeypatch.setattr(cli_module, "PARALLEL_BYTES", path.stat().st_size + 1)  # small: one process
    schedule(tmp_path, path)
    assert used == [2]


def test_output_without_a_file_descriptor_is_written_by_one_process(tmp_path, monkeypatch):
    import io

    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text(), encoding="utf-8")
    monkeypatch.setattr(cli_module, "run_parallel", lambda *args: pytest.fail("forked for a StringIO"))
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(NO_RULESET), str(path), "--jobs", "2"], out, err) == 1
    assert len(out.getvalue().splitlines()) == 400


def test_a_process_that_fails_stops_the_batch_with_one_located_line(tmp_path, monkeypatch):
    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text(), encoding="utf-8")
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 2_000)
    real = cli_module.schedule_line

    def failing(plan, case, as_of=None):
        if case.id == "L-300":  # a bug that one process meets, in a late chunk
            raise ZeroDivisionError("a bug")
        return real(plan, case, as_of)

    monkeypatch.setattr(cli_module, "schedule_line", failing)
    code, out, err = schedule(tmp_path, path, "--jobs", "2")
    assert code == 1
    assert err.splitlines()[-1].endswith("(please report this)") and "internal-error" in err
    assert b'"L-300"' not in out and len(out.splitlines()) < 399


def test_a_reader_that_stops_early_ends_every_process_quietly(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text() * 40, encoding="utf-8")  # over a megabyte: several chunks
    proc = subprocess.Popen([sys.executable, "-m", "dunningrules", "schedule", str(NO_RULESET), str(path), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    assert proc.wait(timeout=60) in (0, 1)  # 1: the batch has bad lines, reported before the reader left
    assert json.loads(first)["case"] == "L-0"
    assert "Traceback" not in err and "internal-error" not in err


def test_jobs_must_be_a_whole_number_of_at_least_one(tmp_path, capsys):
    for bad in ("0", "-2", "two"):
        assert run(["schedule", str(NO_RULESET), "x.jsonl", "--jobs", bad]) == 2
        assert "--jobs" in capsys.readouterr().err


# --- found in review ----------------------------------------------------------------------------

def _script(tmp_path: Path, body: str) -> Path:
    """A Python script that runs the CLI with small chunks (so that a batch has many)."""
    path = tmp_path / "run.py"
    path.write_text("import sys\nimport dunningrules._parallel as parallel\nparallel.CHUNK_BYTES = 4_000\n"
                    + body + "\nfrom dunningrules._cli import run\nsys.exit(run(sys.argv[1:]))\n", encoding="utf-8")
    return path


def test_a_process_killed_while_others_wait_their_turn_stops_the_batch(tmp_path):
    """No lock or condition is held across a write or a wait, so a process that dies (killed
    with the output pipe full, say) cannot leave the others blocked: the batch ends, reported."""
    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text() * 3, encoding="utf-8")
    script = _script(tmp_path, (
        "import os, signal\nimport dunningrules._cli as cli\nreal = cli.schedule_line\n"
        "def dying(plan, case, as_of=None):\n"
        "    if case.id == 'L-250':\n        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(plan, case, as_of)\ncli.schedule_line = dying"))
    proc = subprocess.run([sys.executable, str(script), "schedule", str(NO_RULESET), str(path), "--jobs", "3"],
                          capture_output=True, timeout=120)
    assert proc.returncode == 1
    assert b"internal-error" in proc.stderr and b"Traceback" not in proc.stderr


def test_the_processes_leave_when_the_caller_is_killed(tmp_path):
    import signal
    import time

    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text() * 60, encoding="utf-8")  # some seconds of work
    proc = subprocess.Popen([sys.executable, str(_script(tmp_path, "")), "schedule", str(NO_RULESET), str(path),
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout.readline()  # type: ignore[union-attr]  # working
    proc.kill()
    proc.wait()
    start = time.monotonic()
    while proc.stdout.read(1 << 20):  # type: ignore[union-attr]  # the pipe ends when every writer has left
        assert time.monotonic() - start < 60, "forked processes outlived the caller"
    proc.stdout.close()  # type: ignore[union-attr]


def test_jobs_on_a_pipe_or_a_missing_file_run_as_one_process(tmp_path):
    import os
    import threading

    path = tmp_path / "cases.jsonl"
    path.write_text(batch_text(), encoding="utf-8")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(path.read_bytes()))
    feeder.start()
    code, out, err = schedule(tmp_path, fifo, "--jobs", "2")
    feeder.join()
    assert (code, out, err.replace(str(fifo), str(path))) == schedule(tmp_path, path, "--jobs", "1")
    code, out, err = schedule(tmp_path, tmp_path / "missing.jsonl", "--jobs", "2")
    assert (code, out) == (1, b"") and err.startswith(f"{tmp_path / 'missing.jsonl'}:0:0: file-unreadable: ")


def test_findings_in_a_template_keep_their_own_line_on_several_processes(tmp_path, monkeypatch):
    import shutil

    rules = tmp_path / "no"
    shutil.copytree(NO_RULESET.parent, rules)
    template = rules / "templates" / "en" / "reminder.j2"
    text = template.read_text(encoding="utf-8")
    # Renders for the checks' sample values; fails (prints None) for a debtor whose address is "x".
    template.write_text(text.replace("{{ debtor.name }},", '{{ debtor.name }},{% if debtor.address %}'
                                     '{{ none if debtor.address == "x" else "" }}{% endif %}', 1), encoding="utf-8")
    rows = [dict(CASE, id=f"T-{i}", debtor={"name": "Kari", "language": "en", "address": "x" if i % 40 == 5 else "Street 1"})
            for i in range(120)]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    runs = []
    for jobs in ("1", "3"):
        monkeypatch.setattr(parallel, "CHUNK_BYTES", 2_000)
        out, err = tmp_path / "out", tmp_path / "err"
        with out.open("w", encoding="utf-8") as o, err.open("w", encoding="utf-8") as e:
            code = run(["schedule", str(rules / "standard.yaml"), str(path), "--with-text", "--jobs", jobs], o, e)
        runs.append((code, out.read_bytes(), err.read_text(encoding="utf-8")))
    assert runs[0] == runs[1]
    code, _, err = runs[0]
    assert code == 1 and err.count("reminder.j2:4:0: template-undefined") == 3  # one per case, line 4 each
    assert [line.split(": ", 1)[0].rsplit(":", 2)[1] for line in err.splitlines() if "case-text-failed" in line] == [
        "6", "46", "86"]  # the cases' own lines in the file, whichever process wrote them


@pytest.mark.parametrize("size", [0, 1, 999, 64 << 10, (5 << 20) + 17, 23 << 20])
@pytest.mark.parametrize("jobs", [1, 2, 8])
def test_chunks_cover_the_file_and_shrink_towards_its_end(size, jobs):
    bounds = parallel.chunk_bounds(size, jobs)
    steps = [b - a for a, b in zip(bounds, bounds[1:])]
    assert bounds[0] == 0 and bounds[-1] == size and all(step > 0 for step in steps)
    assert all(step <= parallel.CHUNK_BYTES for step in steps)
    assert steps == sorted(steps, reverse=True)
    assert all(step >= min(parallel._SMALLEST_CHUNK, size - a) for a, step in zip(bounds, steps))


def test_the_lines_of_the_chunks_are_the_lines_of_the_file(tmp_path):
    import random

    rng = random.Random(5)
    for _ in range(50):
        data = bytes(rng.choice(b"ab\n\r{}") for _ in range(rng.randrange(0, 3000)))
        path = tmp_path / "x"
        path.write_bytes(data)
        bounds = parallel.chunk_bounds(len(data), rng.randrange(1, 4), largest=rng.randrange(1, 400))
        with path.open("rb") as f:
            lines = [line for a, b in zip(bounds, bounds[1:]) for line in parallel.chunk_lines(f, a, b)]
            f.seek(0)
            assert lines == list(f)
