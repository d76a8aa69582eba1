#!/usr/bin/env python3
"""Regenerate the golden schedules in tests/golden/schedules/<case id>.json.

Every case of ``examples/<country>-cases.jsonl`` and every extra case in ``tests/cases/<country>/*.json``
is evaluated against ``rulesets/<country>/standard.yaml`` and its ``schedule.to_dict()`` is written as
pretty JSON (indent 2, trailing newline).  A change in the engine, a calendar or a shipped ruleset that
moves a date, a status or a reason then shows up as a reviewable diff instead of a silent change.

An extra case file is either a plain case object (the integrator contract) or a wrapper::

    {"description": "why this case exists", "as_of": "2026-09-20", "case": {...}}

where ``as_of`` (optional) is passed to ``evaluate`` like ``dunningrules schedule --as-of``.
Case ids must be unique across all sources: the id names the golden file.

    python scripts/regenerate_golden.py           rewrite the files (and delete stale ones)
    python scripts/regenerate_golden.py --check   exit 1 with a unified diff if they are out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # golden files of this checkout's code, not an installed copy

from dunningrules import Plan, compile, evaluate, load_ruleset  # noqa: E402

GOLDEN_DIR = ROOT / "tests" / "golden" / "schedules"
EXAMPLES_DIR = ROOT / "examples"
CASES_DIR = ROOT / "tests" / "cases"
RULESETS = {"no": ROOT / "rulesets" / "no" / "standard.yaml", "se": ROOT / "rulesets" / "se" / "standard.yaml"}
REGENERATE = "python scripts/regenerate_golden.py"


@dataclass(frozen=True)
class GoldenCase:
    """One case to snapshot: where it came from, which ruleset, and the as_of to evaluate it at."""

    id: str
    country: str  # key of RULESETS
    source: str  # "examples/no-cases.jsonl:3" or "tests/cases/no/christmas.json"
    data: dict[str, Any]
    as_of: dt.date | None = None

    @property
    def path(self) -> Path:
        return GOLDEN_DIR / f"{self.id}.json"


@lru_cache(maxsize=None)
def plan_for(country: str) -> Plan:
    return compile(load_ruleset(RULESETS[country]))


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)  # as the CLI reads cases: money never becomes a float


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:  # a directory outside the checkout (tests point the script elsewhere)
        return str(path)


def collect() -> list[GoldenCase]:
    """Every case that has a golden schedule, in a stable order; ValueError on a bad source."""
    found: list[GoldenCase] = []
    for path in sorted(EXAMPLES_DIR.glob("*-cases.jsonl")):
        country = path.name.removesuffix("-cases.jsonl")
        if country not in RULESETS:
            raise ValueError(f"{_rel(path)}: no shipped ruleset for {country!r}")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                data = _loads(line)
                found.append(GoldenCase(data["id"], country, f"{_rel(path)}:{n}", data))
    for path in sorted(CASES_DIR.glob("*/*.json")):
        country = path.parent.name
        if country not in RULESETS:
            raise ValueError(f"{_rel(path)}: directory must be one of {', '.join(sorted(RULESETS))}")
        doc = _loads(path.read_text(encoding="utf-8"))
        if "case" in doc:  # wrapper with description and as_of
            unknown = set(doc) - {"case", "as_of", "description"}
            if unknown:
                raise ValueError(f"{_rel(path)}: unknown wrapper keys {sorted(unknown)}")
            as_of = dt.date.fromisoformat(doc["as_of"]) if doc.get("as_of") else None
            data = doc["case"]
        else:
            as_of, data = None, doc
        found.append(GoldenCase(data["id"], country, _rel(path), data, as_of))
    seen: dict[str, str] = {}
    for case in found:
        if case.id in seen:
            raise ValueError(f"case id {case.id!r} is used by both {seen[case.id]} and {case.source}")
        seen[case.id] = case.source
    return found


def schedule_dict(case: GoldenCase) -> dict[str, Any]:
    return evaluate(plan_for(case.country), case.data, as_of=case.as_of).to_dict()


def render(case: GoldenCase) -> str:
    return json.dumps(schedule_dict(case), indent=2, ensure_ascii=False) + "\n"


def diff(old: str, new: str, path: Path) -> str:
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"{_rel(path)} (on disk)", tofile=f"{_rel(path)} (computed)",
    ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)

    try:
        cases = collect()
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        print(f"cannot collect golden cases: {e}", file=sys.stderr)
        return 1
    stale = False
    for case in cases:
        new = render(case)
        old = case.path.read_text(encoding="utf-8") if case.path.exists() else ""
        if old == new:
            continue
        if args.check:
            stale = True
            sys.stdout.write(diff(old, new, case.path))
        else:
            case.path.parent.mkdir(parents=True, exist_ok=True)
            case.path.write_text(new, encoding="utf-8")
            print(f"wrote {_rel(case.path)}  ({case.source})")
    ids = {case.id for case in cases}
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        if path.stem in ids:
            continue
        if args.check:
            stale = True
            print(f"{_rel(path)}: no case with id {path.stem!r}; delete it")
        else:
            path.unlink()
            print(f"deleted {_rel(path)}")
    if stale:
        print(f"golden schedules are out of date; review the diff and regenerate with: {REGENERATE}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
