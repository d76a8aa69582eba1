"""A JSON Lines file run on several processes, its output in the order of its lines.

The file is cut into chunks of about `CHUNK_BYTES`; a chunk holds the lines that start in it.
Each of `jobs` forked processes (which inherit the compiled plan; the caller only waits, so
that it never holds, nor frees, what the work builds) takes the next chunk not yet taken,
works it into its output bytes and findings, then waits for its turn: the chunks are written one after the other, in file order, straight to the output and
error streams' file descriptors, each finding's line counted from the top of the file.  So
the output is byte for byte what one process writes, whatever the number of processes.

A process that fails (a bug, or killed) stops the others: nothing waits for a turn that
will not come.  A closed output (a reader that stopped: BrokenPipeError) ends every process
quietly, as it ends one.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
from collections.abc import Callable
from typing import IO, Any, BinaryIO

from ._errors import Finding

CHUNK_BYTES = 1 << 20  # ~5,000 cases: few turns to wait for, little output held per process
_POLL = 0.2  # seconds between checks that the other processes are still alive

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


def chunk_lines(f: BinaryIO, size: int, k: int, chunk: int = CHUNK_BYTES) -> list[bytes]:
    """The lines of chunk `k` of an open file of `size` bytes, each with its newline: those that
    start at or after k × chunk and before the next chunk."""
    start, end = k * chunk, min((k + 1) * chunk, size)
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
    return _LINE(block)


_LINE = re.compile(rb"[^\n]*\n|[^\n]+").findall  # what iterating a binary file yields


def run(path: str, jobs: int, work: Work, out: IO[Any], err: IO[Any]) -> bool:
    """Work the file's chunks on `jobs` processes, writing each chunk's output to `out` and its
    findings to `err` in file order; True when any chunk had findings.  `out` and `err` must
    have file descriptors."""
    chunk = CHUNK_BYTES
    size = os.path.getsize(path)
    chunks = max(1, -(-size // chunk))
    ctx = multiprocessing.get_context("fork")
    shared = _Shared(ctx)
    out.flush()
    err.flush()
    out_fd, err_fd = out.fileno(), err.fileno()
    encoding = getattr(err, "encoding", None) or "utf-8"
    args = (path, size, chunks, chunk, work, shared, out_fd, err_fd, encoding)
    workers = [ctx.Process(target=_child, args=args, daemon=True) for _ in range(min(jobs, chunks))]
    for p in workers:
        p.start()
    try:
        _wait_for(workers, shared)
    except BaseException:  # interrupted: the workers (daemons) end with us
        shared.abort.value = 1
        raise
    if shared.abort.value == _READER_GONE:
        raise BrokenPipeError
    dead = [p.exitcode for p in workers if p.exitcode != 0]
    if dead or shared.abort.value:
        raise RuntimeError(f"a worker process stopped (exit code {dead[0] if dead else 1})")
    return bool(shared.failed.value)


def _wait_for(others: list[Any], shared: _Shared) -> None:
    """Join the forked processes; when one has died, tell the others not to wait for its turn
    (they look every `_POLL` seconds)."""
    for p in others:
        while p.is_alive():
            p.join(_POLL)
            if any(q.exitcode not in (None, 0) for q in others) and not shared.abort.value:
                shared.abort.value = 1
                with shared.cond:
                    shared.cond.notify_all()


_BROKEN_PIPE = 3  # a child's exit code when the output's reader has gone
_READER_GONE = 2  # shared.abort when the output's reader has gone; 1 when a process failed


class _Shared:
    def __init__(self, ctx: Any) -> None:
        self.taken = ctx.Value("q", 0)  # chunks taken so far
        self.turn = ctx.Value("q", 0, lock=False)  # the chunk to be written next
        self.lines = ctx.Value("q", 0, lock=False)  # lines in the chunks written so far
        self.failed = ctx.Value("b", 0, lock=False)
        self.abort = ctx.Value("b", 0, lock=False)
        self.cond = ctx.Condition()


def _child(*args: Any) -> None:
    """A forked process's life: work chunks until none is left, then leave at once."""
    try:
        _work(*args)
    except BrokenPipeError:
        os._exit(_BROKEN_PIPE)
    except BaseException:  # noqa: BLE001 - the caller reports it; the others must not wait for us
        args[5].abort.value = 1
        with args[5].cond:
            args[5].cond.notify_all()
        os._exit(1)
    os._exit(0)  # no atexit handlers, no flushing of buffers inherited from the caller


def _work(path: str, size: int, chunks: int, chunk: int, work: Work, shared: _Shared, out_fd: int,
          err_fd: int, encoding: str) -> None:
    with open(path, "rb") as f:
        while not shared.abort.value:
            with shared.taken.get_lock():
                k = shared.taken.value
                shared.taken.value += 1
            if k >= chunks:
                return
            output, findings, count = work(chunk_lines(f, size, k, chunk))
            with shared.cond:
                while shared.turn.value != k:
                    if shared.abort.value:
                        return
                    shared.cond.wait(_POLL)  # the caller sets abort when a process has died
                try:
                    _write_all(out_fd, output)
                    if findings:
                        before = shared.lines.value
                        text = "".join(f"{dataclasses.replace(one, line=one.line + before)}\n" for one in findings)
                        _write_all(err_fd, text.encode(encoding, "backslashreplace"))
                        shared.failed.value = 1
                except BrokenPipeError:
                    shared.abort.value = _READER_GONE
                    shared.cond.notify_all()
                    raise
                shared.lines.value += count
                shared.turn.value = k + 1
                shared.cond.notify_all()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
