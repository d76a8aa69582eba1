"""Measure dunningrules' speed; prints figures, asserts nothing.

    python benchmarks/bench.py [--cases N] [--jsonl-cases N] [--repeat R]

1. In-process: µs per case for evaluate(plan, case) on pre-validated cases,
   for each shipped ruleset (compile once, evaluate many).
2. End to end: `dunningrules schedule RULESET FILE.jsonl` (in-process CLI,
   output to /dev/null) against the I/O floor measured in the same run: read
   the same file, json.loads and json.dumps each line, write to /dev/null.
   Twice: with `--jobs 1` (one process, as the floor), and as the command runs
   by default (a file this size on one process per usable CPU).

Each figure is the best of R runs (3 by default): on a shared machine the others
measure the neighbours as much as the code.
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


def in_process(country: str, n: int, portfolio: bool = False, repeat: int = 3) -> tuple[float, float, float]:
    """µs per case: one pass over n cases with a fresh plan (its memo empty), the same
    with every case unique (no memo hits possible), and a second pass (all hits)."""
    ruleset = load_ruleset(RULESETS[country])
    cases = [case_from_data(c) for c in synthetic_cases(n, country, portfolio=portfolio)]
    unique = [case_from_data({**c, "facts": {}, "amount": str(Decimal(c["amount"]) + i)})
              for i, c in enumerate(synthetic_cases(n, country, seed=11))]
    evaluate(compile(ruleset), cases[0])  # warm module-level caches (calendar, date formats)

    def one_pass(plan, batch) -> float:
        gc.collect()  # a pass pays for collecting its own garbage, not the set-up's
        t0 = time.perf_counter()
        for c in batch:
            evaluate(plan, c)
        return (time.perf_counter() - t0) / len(batch) * 1e6

    first = second = no_hits = float("inf")
    for _ in range(repeat):  # the best of `repeat` runs: the others met a busier machine
        fresh = compile(ruleset)
        first = min(first, one_pass(fresh, cases))
        second = min(second, one_pass(fresh, cases))
        no_hits = min(no_hits, one_pass(_NoMemo(compile(ruleset)), unique))
    return first, no_hits, second


class _NoMemo:
    """A plan whose memo never keeps anything: the cost of computing every schedule."""

    def __init__(self, plan):
        self.__dict__.update({f: getattr(plan, f) for f in plan.__dataclass_fields__})
        self.memo = self.quiet = _Forget()


class _Forget(dict):
    def __setitem__(self, key, value):
        pass


def end_to_end(country: str, n: int, portfolio: bool = False, repeat: int = 3,
               jobs: str | None = None) -> tuple[float, float]:
    """Seconds for the I/O floor and for `dunningrules schedule` (with `--jobs` when given), each
    the best of `repeat` runs."""
    floor = full = float("inf")
    extra = [] if jobs is None else ["--jobs", jobs]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in synthetic_cases(n, country, portfolio=portfolio)))
        with open(os.devnull, "w") as sink:
            for _ in range(repeat):
                gc.collect()
                t0 = time.perf_counter()
                with path.open() as f:
                    for line in f:
                        sink.write(json.dumps(json.loads(line, parse_float=Decimal), default=str) + "\n")
                floor = min(floor, time.perf_counter() - t0)
                gc.collect()
                t0 = time.perf_counter()
                code = run(["schedule", str(RULESETS[country]), str(path), *extra], stdout=sink, stderr=sys.stderr)
                full = min(full, time.perf_counter() - t0)
                if code != 0:
                    raise SystemExit(f"schedule exited {code}")
    return floor, full


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20_000, help="cases for the in-process figure")
    ap.add_argument("--jsonl-cases", type=int, default=100_000, help="cases for the JSONL figure")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is printed")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {usable_cpus()} usable CPUs, {args.cases:,} cases in process, "
          f"{args.jsonl_cases:,} in JSONL, best of {args.repeat} runs")
    for country in ("no", "se"):
        first, no_hits, second = in_process(country, args.cases, repeat=args.repeat)
        print(f"{country}-standard  evaluate: {first:6.2f} µs/case (one pass, fresh plan); "
              f"{no_hits:6.2f} µs/case with no memo hits; {second:5.2f} µs/case second pass")
    for country in ("no", "se"):
        first, _, second = in_process(country, args.cases, portfolio=True, repeat=args.repeat)
        print(f"{country}-standard  evaluate, portfolio (rent due on the 1st): {first:6.2f} µs/case (one pass, "
              f"fresh plan); {second:5.2f} µs/case second pass")
    for country in ("no", "se"):
        for portfolio in (False, True):
            for jobs in ("1", None):
                floor, full = end_to_end(country, args.jsonl_cases, portfolio, repeat=args.repeat, jobs=jobs)
                label = ("JSONL end to end" + (", portfolio (rent due on the 1st)" if portfolio else "")
                         + (", --jobs 1" if jobs else ", default jobs"))
                print(f"{country}-standard  {label}: {full:6.2f} s; I/O floor (json parse + dump): "
                      f"{floor:5.2f} s; ratio {full / floor:4.2f}x; {full / args.jsonl_cases * 1e6:6.1f} µs/case")


if __name__ == "__main__":
    main()
