#!/usr/bin/env python3
"""Snapshot the shipped business-day calendars into tests/golden/calendars/<name>.json.

The ``holidays`` package changes data and defaults between releases; these files record exactly which
weekdays each shipped calendar closes in 2026-2027, so an upgrade that moves a deadline shows up as a
reviewable diff instead of a silent change in schedules.

    python scripts/snapshot_calendars.py           rewrite the files
    python scripts/snapshot_calendars.py --check   exit 1 with a unified diff if they are out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # snapshot this checkout's code, not an installed copy

import holidays  # noqa: E402

from dunningrules._calendar import SHIPPED_CALENDARS, WEEKDAY_NAMES, build_calendar  # noqa: E402

GOLDEN_DIR = ROOT / "tests" / "golden" / "calendars"
START, END = dt.date(2026, 1, 1), dt.date(2027, 12, 31)
REGENERATE = "python scripts/snapshot_calendars.py"


def snapshot(name: str) -> dict:
    """Every non-business day in START..END that is not a weekend day of the spec, with its name."""
    spec = SHIPPED_CALENDARS[name]
    cal = build_calendar(spec)
    closed = []
    for o in range(START.toordinal(), END.toordinal() + 1):
        d = dt.date.fromordinal(o)
        weekday = WEEKDAY_NAMES[d.weekday()]
        if weekday not in spec.weekend and not cal.is_business_day(d):
            closed.append({"date": d.isoformat(), "weekday": weekday.capitalize(), "name": cal.closure_name(d)})
    return {
        "calendar": name,
        "spec": {
            "country": spec.country,
            "categories": list(spec.categories),
            "closed": list(spec.closed),
            "weekend": list(spec.weekend),
        },
        "holidays_version": holidays.__version__,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "closed_weekdays": closed,
    }


def render(name: str) -> str:
    return json.dumps(snapshot(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR, help=f"directory (default {GOLDEN_DIR})")
    args = parser.parse_args(argv)

    stale = False
    for name in sorted(SHIPPED_CALENDARS):
        path = args.out / f"{name}.json"
        new = render(name)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old == new:
            continue
        if args.check:
            stale = True
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{path} (on disk)", tofile=f"{path} (computed)",
            ))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path}")
    if args.check:
        extra = sorted(p.name for p in args.out.glob("*.json") if p.stem not in SHIPPED_CALENDARS)
        for name in extra:
            stale = True
            print(f"{args.out / name}: not a shipped calendar; delete it")
        if stale:
            print(f"golden calendars are out of date; regenerate with: {REGENERATE}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
