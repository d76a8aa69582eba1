#!/usr/bin/env python3
"""Render every shipped template with its sample context into tests/golden/texts/<country>-<language>-<action>.txt.

A shipped template is ``rulesets/<country>/templates/<language>/<action_type>.j2`` (files under ``parts/``
are only included).  Each is rendered by ``TemplateSet.render`` with ``sample_context(language, currency,
action_type=...)``, the currency being the ruleset's, and written as::

    Subject: <subject>
    <blank line>
    <body>

so that a change in a text, a filter, Babel's locale data or the sample shows up as a reviewable diff.
Amounts keep Babel's no-break spaces (U+00A0).

    python scripts/regenerate_texts.py           rewrite the files (and delete stale ones)
    python scripts/regenerate_texts.py --check   exit 1 with a unified diff if they are out of date
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # render with this checkout's code, not an installed copy

from dunningrules import load_ruleset  # noqa: E402
from dunningrules._templates import TemplateSet, sample_context  # noqa: E402

GOLDEN_DIR = ROOT / "tests" / "golden" / "texts"
RULESETS = {"no": ROOT / "rulesets" / "no", "se": ROOT / "rulesets" / "se"}
REGENERATE = "python scripts/regenerate_texts.py"


@dataclass(frozen=True)
class Text:
    """One shipped template to render."""

    country: str
    language: str
    action_type: str
    currency: str

    @property
    def name(self) -> str:
        return f"{self.country}-{self.language}-{self.action_type}"

    @property
    def path(self) -> Path:
        return GOLDEN_DIR / f"{self.name}.txt"

    @property
    def template(self) -> Path:
        return RULESETS[self.country] / "templates" / self.language / f"{self.action_type}.j2"


def collect() -> list[Text]:
    """Every shipped action template, in a stable order."""
    out = []
    for country, folder in sorted(RULESETS.items()):
        currency = load_ruleset(folder / "standard.yaml").currency
        for language_dir in sorted(p for p in (folder / "templates").iterdir() if p.is_dir()):
            for template in sorted(language_dir.glob("*.j2")):
                out.append(Text(country, language_dir.name, template.stem, currency))
    return out


def render(text: Text) -> str:
    templates = TemplateSet(RULESETS[text.country])
    context = sample_context(text.language, text.currency, action_type=text.action_type)
    subject, body = templates.render(text.action_type, text.language, context)
    return f"Subject: {subject}\n\n{body}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)

    texts = collect()
    stale = False
    for text in texts:
        new = render(text)
        old = text.path.read_text(encoding="utf-8") if text.path.exists() else ""
        if old == new:
            continue
        if args.check:
            stale = True
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{text.path} (on disk)", tofile=f"{text.path} (rendered)",
            ))
        else:
            text.path.parent.mkdir(parents=True, exist_ok=True)
            text.path.write_text(new, encoding="utf-8")
            print(f"wrote {text.path}")
    expected = {text.path.name for text in texts}
    for path in sorted(GOLDEN_DIR.glob("*.txt")):
        if path.name in expected:
            continue
        if args.check:
            stale = True
            print(f"{path}: no shipped template renders it; delete it")
        else:
            path.unlink()
            print(f"deleted {path}")
    if args.check and stale:
        print(f"golden texts are out of date; regenerate with: {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
