"""A JSON Lines file run on several processes, its output in the order of its lines.

The file is cut into chunks of about `CHUNK_BYTES` (smaller towards its end, see
`chunk_bounds`); a chunk holds the lines that start in it.
Each of `jobs` forked processes (which inherit the compiled plan; the caller only watches, so
that it never holds, nor frees, what the work builds) takes the next chunk not yet taken,
works it into its output bytes and findings, and writes it when its turn comes, working the
next chunks meanwhile (up to `_HELD` held unwritten): the chunks are written one after the
other, in file order, straight to the output and error streams' file
descriptors, each finding in the input counted from the top of the file.  So the output is
byte for byte what one process writes, whatever the number of processes.

No process ever waits on another's lock while that one writes or works: a turn is a shared
number that the writer of the previous chunk moves on, and the others look at it every
`_TURN_POLL` seconds.  So a process that dies (a bug, or killed, even while it writes) cannot
leave the others blocked: the caller sees it die and ends the others.  When the caller is
gone (killed), each process leaves before its next chunk or turn.  A closed output (a reader
that stopped: BrokenPipeError) ends every process quietly, as it ends one.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
import time
from collections.abc import Callable
from typing import IO, Any, BinaryIO

from ._errors import Finding

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, as some editors save one: no part of the JSON
CHUNK_BYTES = 1 << 20  # ~5,000 cases: few turns to wait for, little output held per process
_SMALLEST_CHUNK = 64 << 10  # the last chunks of a file
_WATCH = 0.05  # seconds between the caller's looks at whether a process has died
_GRACE = 2.0  # seconds the others get to stop by themselves once one has failed
_TURN_POLL = 0.0005  # seconds between a waiting process's looks at whose turn it is
_HELD = 2  # chunks a process may hold worked and unwritten: it works on while another's turn lasts

# A chunk's lines -> (its output, its findings with lines counted from the chunk's first line
# as line 1, and how many lines it had).
Work = Callable[[list[bytes]], tuple[bytes, list[Finding], int]]


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunk_bounds(size: int, jobs: int, largest: int | None = None) -> list[int]:
    """Where the chunks of a file of `size` bytes start, and its end: chunks of `CHUNK_BYTES`
    while much is left, then smaller, down to `_SMALLEST_CHUNK` (each a quarter of what is left
    per process), so that the processes finish together rather than one waiting for another's
    last large chunk."""
    largest = largest or CHUNK_BYTES
    smallest = min(_SMALLEST_CHUNK, largest)
    bounds = [0]
    while bounds[-1] < size:
        left = size - bounds[-1]
        bounds.append(min(size, bounds[-1] + max(smallest, min(largest, left // (4 * jobs)))))
    return bounds


def chunk_lines(f: BinaryIO, start: int, end: int) -> list[bytes]:
    """The lines of an open file that start at or after byte `start` and before `end`, each with
    its newline."""
    if start:
        f.seek(start - 1)
        f.readline()  # the rest of a line that started before this chunk (or its last newline)
    else:
        f.seek(0)
    at = f.tell()
    if at >= end:
        return []
    block = f.read(end - at)
    if not block.endswith(b"\n"):
        block += f.readline()  # the rest of the last line that starts in this chunk
    if not at:
        block = block.removeprefix(BOM)  # as on one process
    return _LINE(block)


_LINE = re.compile(rb"[^\n]*\n|[^\n]+").findall  # what iterating a binary file yields


def run(path: str, jobs: int, work: Work, out: IO[Any], err: IO[Any], name: str) -> bool:
    """Work the file's chunks on `jobs` processes, writing each chunk's output to `out` and its
    findings to `err` in file order; True when any chunk had findings.  `path` is a regular
    file; `out` and `err` have file descriptors; findings in the input are those on `name`."""
    bounds = chunk_bounds(os.path.getsize(path), jobs)
    chunks = max(1, len(bounds) - 1)
    ctx = multiprocessing.get_context("fork")
    shared = _Shared(ctx)
    out.flush()
    err.flush()
    encoding = getattr(err, "encoding", None) or "utf-8"
    args = (path, bounds, work, shared, out.fileno(), err.fileno(), encoding, name, os.getpid())
    workers = [ctx.Process(target=_child, args=args, daemon=True) for _ in range(min(jobs, chunks))]
    try:
        for p in workers:
            p.start()
        _watch(workers, shared)
    finally:  # interrupted, or a process died: the others stop, and none outlives the call
        if any(p.is_alive() for p in workers):
            shared.abort.value = shared.abort.value or 1
            deadline = time.monotonic() + _GRACE
            for p in workers:  # a write under way may end (the output keeps whole lines)
                p.join(max(0.0, deadline - time.monotonic()))
        for p in workers:
            if p.is_alive():
                p.kill()
            p.join()
    if shared.abort.value == _READER_GONE:
        gone = BrokenPipeError()
        gone.failed = bool(shared.failed.value)  # type: ignore[attr-defined]  # findings were written
        raise gone
    dead = [p.exitcode for p in workers if p.exitcode != 0]
    if dead or shared.abort.value:
        raise RuntimeError(f"a worker process stopped (exit code {dead[0] if dead else 1})")
    return bool(shared.failed.value)


def _watch(workers: list[Any], shared: _Shared) -> None:
    """Wait until every process has ended, or one has failed (then the others are stopped)."""
    while any(p.is_alive() for p in workers):
        for p in workers:
            p.join(_WATCH)
            if p.exitcode not in (None, 0):
                if not shared.abort.value:
                    shared.abort.value = 1
                return


_BROKEN_PIPE = 3  # a process's exit code when the output's reader has gone
_READER_GONE = 2  # shared.abort when the output's reader has gone; 1 when a process failed


class _Shared:
    """What the processes share: plain numbers in shared memory.  Only `taken` has a lock,
    held for one increment; the others have one writer at a time (the turn's owner)."""

    def __init__(self, ctx: Any) -> None:
        self.taken = ctx.Value("q", 0)  # chunks taken so far
        self.turn = ctx.Value("q", 0, lock=False)  # the chunk to be written next
        self.lines = ctx.Value("q", 0, lock=False)  # lines in the chunks written so far
        self.failed = ctx.Value("b", 0, lock=False)
        self.abort = ctx.Value("b", 0, lock=False)


def _child(*args: Any) -> None:
    """A forked process's life: work chunks until none is left, then leave at once."""
    try:
        _work(*args)
    except BrokenPipeError:
        os._exit(_BROKEN_PIPE)
    except BaseException:  # noqa: BLE001 - the caller reports it and stops the others
        args[3].abort.value = 1
        os._exit(1)
    os._exit(0)  # no atexit handlers, no flushing of buffers inherited from the caller


def _work(path: str, bounds: list[int], work: Work, shared: _Shared, out_fd: int, err_fd: int, encoding: str,
          name: str, caller: int) -> None:
    chunks = len(bounds) - 1
    held: list[tuple[int, bytes, list[Finding], int]] = []  # worked, not yet written, in file order
    left = True  # chunks may be left to take
    with open(path, "rb") as f:
        while left or held:  # write what has its turn; work the next chunk unless _HELD wait
            if shared.abort.value or os.getppid() != caller:
                return
            while held and shared.turn.value == held[0][0]:
                _write(held.pop(0), shared, out_fd, err_fd, encoding, name)
            if left and len(held) < _HELD:
                with shared.taken.get_lock():
                    k = shared.taken.value
                    shared.taken.value += 1
                left = k < chunks
                if left:
                    held.append((k, *work(chunk_lines(f, bounds[k], bounds[k + 1]))))
            elif held:
                time.sleep(_TURN_POLL)


def _write(chunk: tuple[int, bytes, list[Finding], int], shared: _Shared, out_fd: int, err_fd: int, encoding: str,
           name: str) -> None:
    """Write a chunk whose turn it is, and pass the turn on."""
    k, output, findings, count = chunk
    try:
        _write_all(out_fd, output)
        if findings:
            before = shared.lines.value
            text = "".join(f"{_in_file(one, name, before)}\n" for one in findings)
            _write_all(err_fd, text.encode(encoding, "backslashreplace"))
            shared.failed.value = 1
    except BrokenPipeError:
        shared.abort.value = _READER_GONE
        raise
    shared.lines.value += count
    shared.turn.value = k + 1


def _in_file(finding: Finding, name: str, before: int) -> Finding:
    """A chunk's finding with its line counted from the top of the input, where it is in the
    input (a template's finding, say, keeps its own line)."""
    if finding.path != name or not finding.line:
        return finding
    return dataclasses.replace(finding, line=finding.line + before)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
