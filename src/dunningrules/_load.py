"""Load a ruleset: read (bounded), parse strict YAML, check against the schema,
build the typed model, and compile once to surface every semantic problem.

Each stage collects all of its findings; a later stage runs only when the
earlier ones found nothing, because its findings would be noise.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import _expr as ex
from ._compile import compile, content_sha256
from ._errors import DunningRulesError, Finding, RulesetError, did_you_mean
from ._model import Ruleset
from ._rates import RateBook, parse_rates
from ._extends import Merged, files_of, resolve_extends, shown
from ._templates import TemplateChain, TemplateSet
from ._schema import validate_tree
from ._yaml import MAX_BYTES, Located, load_yaml


@dataclass(frozen=True)
class Origin:
    """Where a ruleset came from: its located tree (one file, or a file and its bases), its
    content hash, and what it reads beside its file(s)."""

    path: str
    located: Located
    sha256: str
    rates: RateBook | None = None       # the rate file the ruleset names, loaded
    templates: TemplateChain | None = None  # notice templates in the ruleset's folders, checked

    @property
    def files(self) -> tuple[str, ...]:
        """The ruleset's file, then the files of its bases."""
        return files_of(self.located)


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
    except IsADirectoryError:
        raise RulesetError([Finding("file-unreadable", "is a folder; give the ruleset files in it "
                                    f"({Path(path) / '*.yaml'})", str(path), 0, 0)]) from None
    except OSError as e:
        raise RulesetError([Finding("file-unreadable", e.strerror or str(e), str(path), 0, 0)]) from None


def parse_ruleset(text: str | bytes, path: str = "<string>", *, texts: bool = True) -> Ruleset:
    """A ruleset from YAML text; RulesetError lists every problem, located.

    With ``texts=False`` the notice templates beside it are neither read nor checked (a third of
    the time a small ruleset takes to load), for callers that write no notice text.

    A ruleset that `extends` another is merged with its base chain first (see _extends);
    every later finding points into the file that wrote the value it is about.
    """
    located = _checked_tree(load_yaml(text, path))
    if "extends" in located.data:
        file = None if path.startswith("<") else Path(path)
        try:
            located = resolve_extends(located, file, _read_base)
        except RulesetError as e:  # the merge's findings, and what the extension's own text shows
            raise RulesetError(_once(e.findings + _raw_step_findings(located))) from None
        findings = validate_tree(located)
        if findings:
            raise _schema_failure(located, findings)
    try:
        ruleset = Ruleset.model_validate(located.data)
    except ValidationError as e:  # the schema let through what the model refuses: still located
        raise RulesetError([
            located.finding("invalid-value", f"{'.'.join(map(str, err['loc']))}: {_model_message(err)}",
                            tuple(err["loc"]))
            for err in e.errors()
        ]) from None
    rates = None
    if ruleset.rates is not None:
        rates = _load_rates(ruleset.rates, located.file(("rates",)), located)
    templates = _templates(ruleset, files_of(located)) if texts else None
    ruleset._origin = Origin(path, located, content_sha256(located.data), rates, templates)
    compile(ruleset)  # semantic checks: references, cycles, expressions, calendar, fees
    return ruleset


def _model_message(err: Any) -> str:
    """What a model refused that the schema let through, in the ruleset's words."""
    ctx = err.get("ctx") or {}
    if err["type"] == "decimal_max_places":
        return f"at most {ctx.get('decimal_places')} decimals (whole øre/öre)"
    if err["type"] == "decimal_max_digits":
        return f"at most {ctx.get('max_digits')} digits in all"
    return str(err["msg"]).removeprefix("Value error, ")


# The files of the project's other formats, by their version key, and what to do with one.
_OTHER_FILES = {
    "dunningrules-policy": "this is a lint policy, not a ruleset; use it with: dunningrules lint --policy FILE RULESET",
    "dunningrules-rates": "this is a rate file, not a ruleset; a ruleset names it with `rates:` and validate "
                          "checks it there",
    "dunningrules-test": "this is a ruleset test file, not a ruleset; run it with: dunningrules test",
}


def _checked_tree(located: Located) -> Located:
    """A parsed file that is a mapping and passes the schema (as a whole ruleset, or as an
    extension when it has `extends`)."""
    if not isinstance(located.data, dict):
        raise RulesetError([located.finding("not-a-ruleset", "a ruleset is a YAML mapping with keys "
                                            "dunningrules, id, version, title, ... and steps")])
    if "dunningrules" not in located.data:
        for key, what in _OTHER_FILES.items():
            if key in located.data:
                raise RulesetError([located.finding("not-a-ruleset", what, (key,), key=True)])
    findings = validate_tree(located)
    if findings:
        raise _schema_failure(located, findings)
    return located


def _schema_failure(located: Located, findings: list[Finding]) -> RulesetError:
    """The schema's findings, and what the rest of the ruleset shows, so that one round finds
    them all: expression syntax and step anchors in every step, and, when only some steps are
    malformed, the compiler's checks (names, cycles, calendar, fees) on the well-formed rest."""
    return RulesetError(_once(findings + _raw_step_findings(located)
                              + _checks_without_bad_steps(located, findings)))


def _once(findings: list[Finding]) -> list[Finding]:
    """Each problem once: two checks that reach the same code at the same place say the same thing,
    except that a mapping missing several keys misses each of them (all at the mapping's place)."""
    unique: dict[tuple[str, str, int, int, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.code, f.path, f.line, f.col, f.message if f.code == "missing-key" else ""), f)
    return list(unique.values())


_EXPR_QUOTE = re.compile(r"""^in (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"): """)


# Top-level keys the compiler's checks do not read: a missing one is stood in for, so that the
# steps are still checked in the same round.
_STAND_INS = {"id": "x", "version": "0", "title": "(missing title)", "description": "-"}
_MISSING_KEY = re.compile(r"^the ruleset needs the key '([a-z_]+)'$")


def _checks_without_bad_steps(located: Located, findings: list[Finding]) -> list[Finding]:
    """The compiler's findings for a ruleset whose schema findings all lie inside steps: the
    ruleset compiled without those steps, located in the file as written; findings that name a
    step left out are dropped (they would say it does not exist)."""
    data = located.data
    steps = data.get("steps")
    if "extends" in data or not isinstance(steps, list):
        return []  # an extension is checked whole once merged; without steps there is nothing to do
    bad = set()
    data = dict(data)
    for f in findings:
        if len(f.pointer) < 2 or f.pointer[0] != "steps" or not isinstance(f.pointer[1], int):
            # A top-level problem: the rest is checked only around a missing name or title
            # (a stand-in takes its place) or a key the ruleset does not know (left out).
            missing = _MISSING_KEY.search(f.message) if f.code == "missing-key" and not f.pointer else None
            if missing and missing[1] in _STAND_INS:
                data[missing[1]] = _STAND_INS[missing[1]]
            elif f.code == "unknown-key" and len(f.pointer) == 1:
                data.pop(f.pointer[0], None)
            else:
                return []  # the rest cannot be read reliably
            continue
        bad.add(f.pointer[1])
    kept = [i for i in range(len(steps)) if i not in bad]
    left_out = {steps[i]["id"] for i in bad if i < len(steps) and isinstance(steps[i], dict)
                and isinstance(steps[i].get("id"), str)}
    if not kept:
        return []
    partial = Merged({**data, "steps": [steps[i] for i in kept]}, located.path,
                     sources={(): (located, ()), **{("steps", n): (located, ("steps", i)) for n, i in enumerate(kept)}},
                     chain=(located.path,))
    try:
        ruleset = Ruleset.model_validate(partial.data)
        rates = None if ruleset.rates is None else _load_rates(ruleset.rates, located.path, located)
        ruleset._origin = Origin(located.path, partial, "", rates, None)
        compile(ruleset)
    except RulesetError as e:
        if not left_out:
            return e.findings
        names = re.compile("|".join(rf"(?<![\w-]){re.escape(i)}(?![\w-])" for i in left_out))
        # An expression's finding quotes the whole expression first ("in '...': "): only what it
        # says after that is about the name it could not find.
        return [f for f in e.findings if not names.search(_EXPR_QUOTE.sub("", f.message, count=1))]
    except (ValidationError, DunningRulesError):
        return []
    return []


def _read_base(file: Path) -> Located:
    return _checked_tree(load_yaml(read_bounded(shown(file)), shown(file)))


def _templates(ruleset: Ruleset, files: tuple[str, ...]) -> TemplateChain | None:
    """The `templates/` folders beside the ruleset's file and its bases' (the nearest one that
    has a template for an action wins), every template in them checked (syntax, variables,
    sandbox, includes that leave the folder); None when there are none."""
    sets = []
    for path in dict.fromkeys(files):
        if path.startswith("<"):
            continue
        root = Path(path).resolve().parent
        folder = root / "templates"
        if not folder.is_dir():
            continue
        languages = sorted(p.name for p in folder.iterdir() if p.is_dir() and len(p.name) == 2)
        templates = TemplateSet(root)
        findings = templates.check(sorted({s.action for s in ruleset.steps}), languages, currency=ruleset.currency)
        if findings:
            raise RulesetError(findings)
        sets.append(templates.checked())  # renders with the code the check compiled
    return TemplateChain(tuple(sets)) if sets else None


def _raw_step_findings(located: Located) -> list[Finding]:
    """Expression syntax errors and unknown step anchors in the raw steps of a ruleset that
    failed its schema check (names in conditions need the model and wait for the next round).
    An extension's own steps name its base's steps, so there only the syntax is checked."""
    steps = located.data.get("steps") if isinstance(located.data, dict) else None
    if not isinstance(steps, list):
        return []
    ids = None if "extends" in located.data else [
        s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)]
    out: list[Finding] = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        for key, parse in (("at", ex.parse_date), ("when", ex.parse_condition),
                           ("also_when", ex.parse_condition)):
            text = step.get(key)
            if not isinstance(text, str) or len(text) > ex.MAX_LENGTH:  # too long: the schema says so
                continue
            pointer = ("steps", i, key)
            try:
                node = parse(text)
            except ex.ExprError as e:
                out.append(located.finding(e.code, f"in {text!r}: {e.message}", pointer, pos=e.pos))
                continue
            if key == "at" and ids is not None:
                for anchor in ex.date_refs(node):
                    if anchor.kind in ("step_date", "step_deadline") and anchor.name not in ids:
                        out.append(located.finding("unknown-step", f"unknown step {anchor.name!r}"
                                                   f"{did_you_mean(anchor.name, ids)}", pointer, pos=anchor.pos))
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
    """The rate file `name`, relative to `path` (the file that names it: the ruleset's own, or
    the base's when the ruleset inherits its `rates`)."""
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
        what = "is a folder, not a rate file" if target.is_dir() else "does not exist"
        raise RulesetError([located.finding("rates-unavailable", f"rate file {name!r} {what}", ("rates",))])
    return parse_rates(read_bounded(target), str(Path(path).parent / name))


def load_ruleset(path: str | os.PathLike[str], *, texts: bool = True) -> Ruleset:
    """Load and check the ruleset file at `path` (and its notice templates, unless ``texts=False``)."""
    return parse_ruleset(read_bounded(path), str(path), texts=texts)
