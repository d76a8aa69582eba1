"""Measure dunningrules' speed; prints figures, asserts nothing.

    python benchmarks/bench.py [--cases N] [--jsonl-cases N] [--repeat R]

1. In-process: µs per case for evaluate(plan, case) on pre-validated cases,
   for each shipped ruleset (compile once, evaluate many).
2. End to end: `dunningrules schedule RULESET FILE.jsonl` (in-process CLI,
   output to /dev/null) against the I/O floor measured in the same run: read
   the same file, json.loads and json.dumps each line, write to /dev/null.
   Twice: with `--jobs 1` (one process, as the floor), and as the command runs
   by default (a file this size on one process per usable CPU).

Each figure is the best of R runs (5 by default, as timeit repeats): on a shared machine the others
measure the neighbours as much as the code.  The runs are made in rounds, each measure once
a round, so that the runs of one figure are spread over the whole benchmark.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from dunningrules import case_from_data, compile, evaluate, load_ruleset
from dunningrules._cli import run
from dunningrules._parallel import usable_cpus

ROOT = Path(__file__).resolve().parent.parent
RULESETS = {"no": ROOT / "rulesets/no/standard.yaml", "se": ROOT / "rulesets/se/standard.yaml"}
CURRENCY = {"no": "NOK", "se": "SEK"}


def synthetic_cases(n: int, country: str, seed: int = 7, portfolio: bool = False) -> list[dict]:
    """Due dates across 2026-2027 (any day, or with `portfolio` the 1st of a month, as rent
    usually is); a third with partial payments, a tenth with a dispute, a tenth paid in full,
    some served (SE)."""
    rng = random.Random(seed)
    start = dt.date(2026, 1, 1).toordinal()
    cases = []
    for i in range(n):
        due = dt.date.fromordinal(start + rng.randrange(730))
        if portfolio:
            due = due.replace(day=1)
        amount = Decimal(rng.randrange(500000, 1500000)) / 100
        events: list[dict] = []
        r = rng.random()
        if r < 0.33:
            events.append({"type": "payment", "date": (due + dt.timedelta(days=rng.randrange(1, 30))).isoformat(),
                           "amount": str((amount / 3).quantize(Decimal("0.01")))})
        elif r < 0.43:
            opened = due + dt.timedelta(days=rng.randrange(3, 20))
            events.append({"type": "dispute_opened", "date": opened.isoformat()})
            events.append({"type": "dispute_resolved",
                           "date": (opened + dt.timedelta(days=rng.randrange(1, 25))).isoformat()})
        elif r < 0.53:
            events.append({"type": "payment", "date": (due + dt.timedelta(days=rng.randrange(1, 40))).isoformat(),
                           "amount": str(amount)})
        if country == "se" and rng.random() < 0.5:
            events.append({"type": "service_completed",
                           "date": (due + dt.timedelta(days=rng.randrange(20, 40))).isoformat()})
        cases.append({"id": f"{country.upper()}-{i:07d}", "due_date": due.isoformat(), "amount": str(amount),
                      "currency": CURRENCY[country], "debtor": {"name": f"Tenant {i}", "language": "nb"},
                      "facts": {}, "events": events})
    return cases


class InProcess:
    """µs per case for `evaluate`: one pass over n cases with a fresh plan (its memo empty), the
    same with every case unique (no memo hits possible), and a second pass (all hits)."""

    def __init__(self, country: str, n: int, portfolio: bool = False) -> None:
        self.country, self.n, self.portfolio = country, n, portfolio
        self.ruleset = load_ruleset(RULESETS[country])

    def run(self) -> tuple[float, float, float]:
        # The cases are made anew for each run and dropped after it, so that only one measure's
        # are alive at a time (the collector's passes during a run see what they saw before).
        cases = [case_from_data(c) for c in synthetic_cases(self.n, self.country, portfolio=self.portfolio)]
        unique = [case_from_data({**c, "facts": {}, "amount": str(Decimal(c["amount"]) + i)})
                  for i, c in enumerate(synthetic_cases(self.n, self.country, seed=11))]
        evaluate(compile(self.ruleset), cases[0])  # warm module-level caches (calendar, date formats)
        fresh = compile(self.ruleset)
        first = _one_pass(fresh, cases)
        second = _one_pass(fresh, cases)
        return first, _one_pass(_NoMemo(compile(self.ruleset)), unique), second


def _one_pass(plan, batch) -> float:
    gc.collect()  # a pass pays for collecting its own garbage, not the set-up's
    t0 = time.perf_counter()
    for c in batch:
        evaluate(plan, c)
    return (time.perf_counter() - t0) / len(batch) * 1e6


class _NoMemo:
    """A plan whose memo never keeps anything: the cost of computing every schedule."""

    def __init__(self, plan):
        self.__dict__.update({f: getattr(plan, f) for f in plan.__dataclass_fields__})
        self.memo = self.quiet = _Forget()


class _Forget(dict):
    def __setitem__(self, key, value):
        pass


class EndToEnd:
    """Seconds for the I/O floor and for `dunningrules schedule` on a JSON Lines file (with
    `--jobs` when given)."""

    def __init__(self, folder: Path, country: str, n: int, portfolio: bool = False, jobs: str | None = None) -> None:
        self.country, self.extra = country, [] if jobs is None else ["--jobs", jobs]
        self.path = folder / f"{country}-{n}{'-portfolio' if portfolio else ''}.jsonl"
        if not self.path.exists():
            self.path.write_text("".join(json.dumps(c) + "\n" for c in synthetic_cases(n, country, portfolio=portfolio)))

    def run(self) -> tuple[float, float]:
        with open(os.devnull, "w") as sink:
            gc.collect()
            t0 = time.perf_counter()
            with self.path.open() as f:
                for line in f:
                    sink.write(json.dumps(json.loads(line, parse_float=Decimal), default=str) + "\n")
            floor = time.perf_counter() - t0
            gc.collect()
            t0 = time.perf_counter()
            code = run(["schedule", str(RULESETS[self.country]), str(self.path), *self.extra], stdout=sink,
                       stderr=sys.stderr)
            full = time.perf_counter() - t0
        if code != 0:
            raise SystemExit(f"schedule exited {code}")
        return floor, full


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20_000, help="cases for the in-process figure")
    ap.add_argument("--jsonl-cases", type=int, default=100_000, help="cases for the JSONL figure")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each measurement; the best is printed")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {usable_cpus()} usable CPUs, {args.cases:,} cases in process, "
          f"{args.jsonl_cases:,} in JSONL, best of {args.repeat} runs")
    with tempfile.TemporaryDirectory() as tmp:
        measures: dict[tuple[Any, ...], Any] = {}
        for country in ("no", "se"):
            for portfolio in (False, True):
                measures[("evaluate", country, portfolio)] = InProcess(country, args.cases, portfolio)
        for country in ("no", "se"):
            for portfolio in (False, True):
                for jobs in ("1", None):
                    measures[("jsonl", country, portfolio, jobs)] = EndToEnd(
                        Path(tmp), country, args.jsonl_cases, portfolio, jobs)
        # Round after round, each measure once: a measure's runs are spread over the whole benchmark,
        # so that a busy spell on a shared machine does not meet every run of one figure.
        best: dict[tuple[Any, ...], tuple[float, ...]] = {}
        for r in range(args.repeat):
            print(f"round {r + 1} of {args.repeat}", file=sys.stderr, flush=True)
            for key, measure in measures.items():
                figures = measure.run()
                best[key] = tuple(map(min, zip(best[key], figures))) if key in best else figures
    for country in ("no", "se"):
        first, no_hits, second = best[("evaluate", country, False)]
        print(f"{country}-standard  evaluate: {first:6.2f} µs/case (one pass, fresh plan); "
              f"{no_hits:6.2f} µs/case with no memo hits; {second:5.2f} µs/case second pass")
    for country in ("no", "se"):
        first, _, second = best[("evaluate", country, True)]
        print(f"{country}-standard  evaluate, portfolio (rent due on the 1st): {first:6.2f} µs/case (one pass, "
              f"fresh plan); {second:5.2f} µs/case second pass")
    for country in ("no", "se"):
        for portfolio in (False, True):
            for jobs in ("1", None):
                floor, full = best[("jsonl", country, portfolio, jobs)]
                label = ("JSONL end to end" + (", portfolio (rent due on the 1st)" if portfolio else "")
                         + (", --jobs 1" if jobs else ", default jobs"))
                print(f"{country}-standard  {label}: {full:6.2f} s; I/O floor (json parse + dump): "
                      f"{floor:5.2f} s; ratio {full / floor:4.2f}x; {full / args.jsonl_cases * 1e6:6.1f} µs/case")


if __name__ == "__main__":
    main()
