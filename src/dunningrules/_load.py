"""Load a ruleset: read (bounded), parse strict YAML, check against the schema,
build the typed model, and compile once to surface every semantic problem.

Each stage collects all of its findings; a later stage runs only when the
earlier ones found nothing, because its findings would be noise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from . import _expr as ex
from ._compile import compile, content_sha256
from ._errors import Finding, RulesetError, did_you_mean
from ._model import Ruleset
from ._rates import RateBook, parse_rates
from ._templates import TemplateSet, check_templates
from ._schema import validate_tree
from ._yaml import MAX_BYTES, Located, load_yaml


@dataclass(frozen=True)
class Origin:
    """Where a ruleset came from: its file, its located tree, its content hash, its text."""

    path: str
    located: Located
    sha256: str
    text: str = ""
    rates: RateBook | None = None       # the rate file the ruleset names, loaded
    templates: TemplateSet | None = None  # notice templates in the ruleset's folder, checked

    def locate(self, pointer: tuple[str | int, ...], pos: int = 0) -> tuple[int, int]:
        """Line and column of character `pos` of the scalar at `pointer`.

        YAML hands us the scalar's value, not its spelling: quotes are gone and a
        multi-line or block scalar has its line breaks folded.  So walk the source
        from where the scalar starts, matching the value's characters and letting
        any run of white space stand for any other, to find where `pos` really is.
        """
        line, col = self.located.where(pointer)
        lines = self.text.splitlines()
        if not 0 < line <= len(lines):
            return line, col
        value = self.located.data
        for key in pointer:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return line, col
        if not isinstance(value, str):
            return line, col
        l, c = line - 1, col - 1
        opener = lines[l][c:c + 1]
        if opener in ("|", ">"):  # block scalar: the text starts on the next non-blank line
            l += 1
            while l < len(lines) and not lines[l].strip():
                l += 1
            if l == len(lines):
                return line, col
            c = len(lines[l]) - len(lines[l].lstrip())
        elif opener in ("'", '"'):
            c += 1

        def skip_space(l: int, c: int) -> tuple[int, int]:
            while l < len(lines):
                if c < len(lines[l]) and lines[l][c] in " \t":
                    c += 1
                elif c >= len(lines[l]) and l + 1 < len(lines):
                    l, c = l + 1, 0
                else:
                    break
            return l, c

        for ch in value[:pos]:
            if ch.isspace():
                continue
            l, c = skip_space(l, c)
            c += 1
        l, c = skip_space(l, c)
        return l + 1, c + 1


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """A file's bytes, refusing (before reading it whole) one over the size limit."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise RulesetError([Finding(
                "yaml-too-large", f"file is {size:,} bytes; the limit is {limit:,}", str(path), 1, 1)])
        with p.open("rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        raise RulesetError([Finding("file-unreadable", e.strerror or str(e), str(path), 0, 0)]) from None


def parse_ruleset(text: str | bytes, path: str = "<string>") -> Ruleset:
    """A ruleset from YAML text; RulesetError lists every problem, located."""
    located = load_yaml(text, path)
    if not isinstance(located.data, dict):
        raise RulesetError([located.finding("not-a-ruleset", "a ruleset is a YAML mapping with keys "
                                            "dunningrules, id, version, title, ... and steps")])
    findings = validate_tree(located)
    if findings:
        # The model cannot be built, so the compiler's checks cannot run; still report what the
        # raw steps show (expression syntax, unknown step anchors), so one round finds them all.
        raise RulesetError(findings + _raw_step_findings(located, source_of(text)))
    try:
        ruleset = Ruleset.model_validate(located.data)
    except ValidationError as e:  # the schema let through what the model refuses: still located
        raise RulesetError([
            located.finding("invalid-value", f"{'.'.join(map(str, err['loc']))}: {err['msg']}",
                            tuple(err["loc"]))
            for err in e.errors()
        ]) from None
    source = source_of(text)
    rates = None
    if ruleset.rates is not None:
        rates = _load_rates(ruleset.rates, path, located)
    templates = _templates(ruleset, path)
    ruleset._origin = Origin(path, located, content_sha256(located.data), source, rates, templates)
    compile(ruleset)  # semantic checks: references, cycles, expressions, calendar, fees
    return ruleset


def _templates(ruleset: Ruleset, path: str) -> TemplateSet | None:
    """The ruleset's `templates/` folder, every template in it checked (syntax, variables,
    sandbox, includes that leave the folder), or None when there is none."""
    if path.startswith("<"):
        return None
    root = Path(path).resolve().parent
    folder = root / "templates"
    if not folder.is_dir():
        return None
    languages = sorted(p.name for p in folder.iterdir() if p.is_dir() and len(p.name) == 2)
    findings = check_templates(root, sorted({s.action for s in ruleset.steps}), languages,
                               currency=ruleset.currency)
    if findings:
        raise RulesetError(findings)
    return TemplateSet(root)


def source_of(text: str | bytes) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _raw_step_findings(located: Located, source: str) -> list[Finding]:
    """Expression syntax errors and unknown step anchors in the raw steps of a ruleset that
    failed its schema check (names in conditions need the model and wait for the next round)."""
    steps = located.data.get("steps") if isinstance(located.data, dict) else None
    if not isinstance(steps, list):
        return []
    ids = [s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)]
    origin = Origin(located.path, located, "", source)
    out: list[Finding] = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        for key, parse in (("at", ex.parse_date), ("when", ex.parse_condition)):
            text = step.get(key)
            if not isinstance(text, str):
                continue
            pointer = ("steps", i, key)
            try:
                node = parse(text)
            except ex.ExprError as e:
                line, col = origin.locate(pointer, e.pos)
                out.append(Finding(e.code, f"in {text!r}: {e.message}", located.path, line, col, pointer))
                continue
            if key == "at":
                for anchor in ex.date_refs(node):
                    if anchor.kind in ("step_date", "step_deadline") and anchor.name not in ids:
                        line, col = origin.locate(pointer, anchor.pos)
                        out.append(Finding("unknown-step", f"unknown step {anchor.name!r}"
                                           f"{did_you_mean(anchor.name, ids)}", located.path, line, col, pointer))
    return out


def inside_tree(name: str, ruleset_path: str) -> Path | None:
    """`name` resolved against the ruleset's folder, or None if it leaves that folder
    (by `..`, an absolute path or a symbolic link): a ruleset reads nothing outside its tree."""
    if ruleset_path.startswith("<"):
        return None
    root = Path(ruleset_path).resolve().parent
    target = (root / name).resolve()
    return target if target.is_relative_to(root) else None


def _load_rates(name: str, path: str, located: Located) -> RateBook:
    if path.startswith("<"):
        raise RulesetError([located.finding(
            "rates-unavailable", "a ruleset given as text cannot name a rate file; load it from its file",
            ("rates",))])
    target = inside_tree(name, path)
    if target is None:
        raise RulesetError([located.finding(
            "outside-tree", f"rates: {name!r} is outside the ruleset's folder; a ruleset reads only files "
            "in its own folder tree", ("rates",))])
    if not target.is_file():
        raise RulesetError([located.finding("rates-unavailable", f"rate file {name!r} does not exist",
                                            ("rates",))])
    return parse_rates(read_bounded(target), str(Path(path).parent / name))


def load_ruleset(path: str | os.PathLike[str]) -> Ruleset:
    """Load and check the ruleset file at `path`."""
    return parse_ruleset(read_bounded(path), str(path))
