"""A JSON Lines batch runs with the collector's automatic passes off (`_batch.collector_paused`).

That is only safe if the lines make no reference cycles, which reference counting could not
free: here the batch's own young-generation passes, made every few lines, must find nothing
to collect, for good lines and for every kind of bad one.  And the collector is as it was
afterwards."""

from __future__ import annotations

import contextlib
import gc
import io
import json
from pathlib import Path
from typing import Any, Iterator

import dunningrules._cli as cli
from dunningrules._batch import collector_paused

ROOT = Path(__file__).resolve().parent.parent

GOOD = [
    {"id": "A", "due_date": "2026-03-01", "amount": "9500.00", "currency": "{cur}"},
    {"id": "B", "due_date": "2026-04-17", "amount": "1234.56", "currency": "{cur}", "facts": {},
     "debtor": {"name": "Kari", "language": "nb"},
     "events": [{"type": "payment", "date": "2026-04-30", "amount": "400.00"}]},
    {"id": "C", "due_date": "2026-05-02", "amount": "800.00", "currency": "{cur}",
     "events": [{"type": "dispute_opened", "date": "2026-05-10"}, {"type": "dispute_resolved", "date": "2026-05-20"},
                {"type": "service_completed", "date": "2026-06-01"}]},
    {"id": "D", "due_date": "2026-01-05", "amount": "100.00", "currency": "{cur}",
     "events": [{"type": "payment", "date": "2026-02-01", "amount": "100.00"}]},
    {"id": 'E\u00e5 "q" \\', "due_date": "2026-07-01", "amount": 700, "currency": "{cur}",
     "events": [{"type": "dispute_opened", "date": "2026-07-03"}]},
]
BAD = [
    '{"id": "x"}',
    "not json",
    '{"id":"y","due_date":"2026-02-30","amount":"1","currency":"{cur}"}',
    "[1]",
    '{"id":"z","due_date":"2026-02-03","amount":"1","currency":"XXX"}',
    '{"id":"w","due_date":"2026-02-03","amount":"-1","currency":"{cur}","bogus":1}',
    '{"id":"v","due_date":"2026-02-03","amount":"1","currency":"{cur}",'
    '"events":[{"type":"dispute_resolved","date":"2026-02-04"}]}',
    '{"id":"u","due_date":"2099-02-03","amount":"1","currency":"{cur}"}',
    '{"a":' * 5000,
]


def batch(currency: str) -> str:
    lines = [json.dumps(c).replace("{cur}", currency) for c in GOOD] + [b.replace("{cur}", currency) for b in BAD]
    return "\n".join(lines * 12) + "\n"


def test_batch_lines_leave_nothing_for_the_collector(tmp_path, monkeypatch):
    found: list[int] = []

    @contextlib.contextmanager
    def counting() -> Iterator[Any]:
        with collector_paused():
            yield lambda: found.append(gc.collect(1))

    monkeypatch.setattr(cli, "collector_paused", counting)
    monkeypatch.setattr(cli, "COLLECT_EVERY", 7)
    for country, currency in (("no", "NOK"), ("se", "SEK")):
        path = tmp_path / f"{country}.jsonl"
        path.write_text(batch(currency), encoding="utf-8")
        found.clear()
        err = io.StringIO()
        code = cli.run(["schedule", str(ROOT / "rulesets" / country / "standard.yaml"), str(path)],
                       stdout=io.StringIO(), stderr=err)
        assert code == 1 and err.getvalue().count("\n") >= 12 * len(BAD)  # the bad lines were reported
        assert len(found) > 10
        assert found[1:] == [0] * (len(found) - 1)  # the first pass may find what loading left
        assert gc.isenabled()


def test_the_collector_is_left_as_it_was():
    assert gc.isenabled()
    with collector_paused() as collect:
        assert not gc.isenabled()
        collect()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused() as collect:
            collect()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_used_plan_is_freed_when_dropped_without_the_collector():
    """A plan in a reference cycle would wait for a full collection, which a long-running program
    that calls `run` or `evaluate` again and again may seldom get: a plan must hold no cycle,
    whichever paths its cases took (claims in whole øre, the Decimal walk, notices' claims)."""
    from unittest import mock

    import dunningrules._batch as batch
    from dunningrules import case_from_data, compile, evaluate, load_ruleset

    ruleset = load_ruleset(ROOT / "rulesets" / "no" / "standard.yaml")
    cases = [case_from_data({**c, "currency": "NOK"}) for c in GOOD[:4]]
    gc.collect()
    gc.disable()
    try:
        plan = compile(ruleset)
        for case in cases:
            batch.schedule_line(plan, case)
            [a.claim for a in evaluate(plan, case).actions]
        with mock.patch.object(batch, "ledger_cents", lambda *args, **kwargs: None):  # the Decimal walk
            for case in cases:
                plan.lines.clear()
                batch.schedule_line(plan, case)
        del plan, case
        assert gc.collect() == 0
    finally:
        gc.enable()
