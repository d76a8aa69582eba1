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

from ._compile import compile, content_sha256
from ._errors import Finding, RulesetError
from ._model import Ruleset
from ._schema import validate_tree
from ._yaml import MAX_BYTES, Located, load_yaml


@dataclass(frozen=True)
class Origin:
    """Where a ruleset came from: its file, its located tree, its content hash."""

    path: str
    located: Located
    sha256: str


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
        raise RulesetError(findings)
    try:
        ruleset = Ruleset.model_validate(located.data)
    except ValidationError as e:  # the schema let through what the model refuses: still located
        raise RulesetError([
            located.finding("invalid-value", f"{'.'.join(map(str, err['loc']))}: {err['msg']}",
                            tuple(err["loc"]))
            for err in e.errors()
        ]) from None
    ruleset._origin = Origin(path, located, content_sha256(located.data))
    compile(ruleset)  # semantic checks: references, cycles, expressions, calendar
    return ruleset


def load_ruleset(path: str | os.PathLike[str]) -> Ruleset:
    """Load and check the ruleset file at `path`."""
    return parse_ruleset(read_bounded(path), str(path))
