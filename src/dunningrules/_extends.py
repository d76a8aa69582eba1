"""Rulesets that extend another: find the base, merge by step id, remember every field's file.

A housing company writes only what differs from a base (a shipped country
process, or its own house process).  ``extends`` names the base, by a path
relative to the file or by a ruleset id.  The merge, one extension at a time
from the root of the chain down:

- top-level keys replace the base's, each whole; ``facts`` and ``parameters``
  merge by name; ``unset: [key, ...]`` drops a key of the base;
- steps merge by ``id``: the fields given replace the base step's, each whole;
  ``remove: true`` leaves the step out; ``before``/``after`` place a step next
  to another (a new step without them goes last); ``also_when`` adds a
  condition to the step's ``when``; ``unset`` drops fields of the base step.

Whole-field replacement (never a deep merge of a deadline or a fee) keeps a
change readable in review: what the extension says is what applies.

The result is one ruleset tree stitched from several files.  :class:`Merged`
is its located form: each node knows the file and position it came from, so
schema, compiler and lint findings point into the file that wrote the value,
character positions in expressions included, and ``show --effective`` can
print every field's origin.

Where a base may come from: the *rulesets tree* is the nearest folder named
``rulesets`` above the extending file (the file's own folder when there is
none).  A path must resolve inside that tree; an id is looked up in the tree
first, then among the bases shipped with dunningrules (``no-standard``,
``se-standard``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import _expr as ex
from ._errors import Finding, JsonPath, RulesetError, did_you_mean
from ._model import Ruleset, Step
from ._yaml import MAX_BYTES, Located

MAX_CHAIN = 8  # extensions of extensions; deeper is a design smell, and a bound on work
CONTROL_KEYS = ("remove", "before", "after", "also_when", "unset")
MERGED_BY_NAME = ("facts", "parameters")
_ID = re.compile(r"[a-z][a-z0-9_]*(-[a-z0-9][a-z0-9_]*)*")
# A ruleset file names its id on a top-level line; enough to find a base without parsing every file.
_ID_LINE = re.compile(r"""^id:[ \t]*(["']?)([a-z][a-z0-9_]*(?:-[a-z0-9][a-z0-9_]*)*)\1[ \t]*(?:#.*)?$""", re.M)
_VERSION_LINE = re.compile(r"^dunningrules:", re.M)
TOP_LEVEL_ORDER = tuple(Ruleset.model_fields)
STEP_ORDER = tuple(Step.model_fields)

# The shipped bases: inside the installed package (the wheel copies rulesets/no and rulesets/se
# there), or the source tree's rulesets/ when running from a checkout.
_PACKAGED = Path(__file__).resolve().parent / "rulesets"
SHIPPED_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[2] / "rulesets"
_NOT_BASES = ("templates", "policies", "examples")  # folders of the shipped tree that hold no bases


# ----------------------------------------------------------------------------- the merged tree

Source = tuple[Located, JsonPath]


@dataclass(frozen=True)
class Merged(Located):
    """A ruleset tree stitched from several files, each node located in its own file.

    ``sources`` maps a node of the merged tree to the file tree and node it was taken
    from; a node below it maps by the same relative path.  ``joins`` holds the
    conditions built from two texts by ``also_when``: ``(start, source)`` per part, so
    a column in the joined text finds its way back to the part's file.
    """

    sources: dict[JsonPath, Source] = field(default_factory=dict, repr=False, compare=False)
    joins: dict[JsonPath, tuple[tuple[int, Source], ...]] = field(default_factory=dict, repr=False,
                                                                   compare=False)
    chain: tuple[str, ...] = ()

    def source(self, pointer: JsonPath) -> Source:
        """The file tree and node the merged node at ``pointer`` came from (for a joined
        condition, its first part)."""
        pointer = tuple(pointer)
        if pointer in self.joins:
            return self.joins[pointer][0][1]
        n = len(pointer)
        while pointer[:n] not in self.sources:  # ends at the root, which every Merged maps
            n -= 1
        located, inner = self.sources[pointer[:n]]
        return located, inner + pointer[n:]

    def where(self, pointer: JsonPath = (), *, key: bool = False) -> tuple[int, int]:
        located, inner = self.source(pointer)
        return located.where(inner, key=key)

    def file(self, pointer: JsonPath = ()) -> str:
        located, inner = self.source(pointer)
        return located.file(inner)

    def locate(self, pointer: JsonPath, pos: int = 0) -> tuple[int, int]:
        return self._locate(tuple(pointer), pos)[1:]

    def finding(self, code: str, message: str, pointer: JsonPath = (), *, key: bool = False,
                pos: int | None = None) -> Finding:
        if pos is None:
            return super().finding(code, message, pointer, key=key)
        path, line, col = self._locate(tuple(pointer), pos)
        return Finding(code, message, path, line, col, tuple(pointer))

    def _locate(self, pointer: JsonPath, pos: int) -> tuple[str, int, int]:
        parts = self.joins.get(pointer)
        if parts is not None:
            start, (located, inner) = max((p for p in parts if p[0] <= pos), default=parts[0],
                                          key=lambda p: p[0])
            return _file_locate(located, inner, max(pos - start, 0))
        located, inner = self.source(pointer)
        return _file_locate(located, inner, pos)

    def origins(self, pointer: JsonPath, *, key: bool = False) -> list[tuple[str, int, int]]:
        """Every (file, line, col) the value at ``pointer`` (its key with ``key``) was written at:
        two or more for a condition joined by ``also_when``."""
        pointer = tuple(pointer)
        if pointer in self.joins:
            out: list[tuple[str, int, int]] = []
            for _, (located, inner) in self.joins[pointer]:
                out.extend(origins_of(located, inner, key=key))
            return out
        located, inner = self.source(pointer)
        return origins_of(located, inner, key=key)

    def files(self) -> tuple[str, ...]:
        return self.chain


def _file_locate(located: Located, pointer: JsonPath, pos: int) -> tuple[str, int, int]:
    if isinstance(located, Merged):
        return located._locate(pointer, pos)
    return (located.file(pointer), *located.locate(pointer, pos))


def origins_of(located: Located, pointer: JsonPath, *, key: bool = False) -> list[tuple[str, int, int]]:
    """Where the value at ``pointer`` (its key with ``key``) was written: one place, or each part
    of a joined condition."""
    if isinstance(located, Merged):
        return located.origins(pointer, key=key)
    return [(located.file(pointer), *located.where(pointer, key=key))]


def files_of(located: Located) -> tuple[str, ...]:
    """The files a ruleset tree was read from: the file itself, then its bases."""
    return located.chain if isinstance(located, Merged) else (located.path,)


# ----------------------------------------------------------------------------- finding the base

def tree_root(file: Path) -> Path:
    """The rulesets tree of a ruleset file: the nearest folder named ``rulesets`` above it,
    else its own folder."""
    for folder in file.parents:
        if folder.name == "rulesets":
            return folder
    return file.parent


def shown(path: Path) -> str:
    """A path as a user reads it: relative to the working folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def rulesets_by_id(folder: Path, skip: tuple[str, ...] = ("templates",)) -> dict[str, list[Path]]:
    """The ruleset files under ``folder`` by their top-level id (test files and folders in
    ``skip`` left out; symbolic links that leave the folder ignored)."""
    out: dict[str, list[Path]] = {}
    real_root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in skip)
        for name in sorted(filenames):
            if not name.endswith((".yaml", ".yml")) or name.endswith((".test.yaml", ".test.yml")):
                continue
            path = (Path(dirpath) / name).resolve()
            try:
                if not path.is_relative_to(real_root) or path.stat().st_size > MAX_BYTES:
                    continue
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            text = text.removeprefix("\ufeff")  # the YAML loader ignores a byte-order mark; so do we
            m = _ID_LINE.search(text)
            if m and _VERSION_LINE.search(text) and path not in out.get(m.group(2), []):
                out.setdefault(m.group(2), []).append(path)
    return out


def find_base(ref: str, child: Located, file: Path | None) -> Path:
    """The file ``extends: ref`` of ``child`` (read from ``file``, None for text) names."""
    at = ("extends",)
    file = None if file is None else file.resolve()  # the tree is where the file is, not how it was typed
    if _ID.fullmatch(ref):
        places: list[tuple[Path, tuple[str, ...]]] = [(SHIPPED_DIR, _NOT_BASES)]
        if file is not None:
            places.insert(0, (tree_root(file), ("templates",)))
        known: list[str] = []
        for folder, skip in places:
            found = rulesets_by_id(folder, skip)
            if ref in found:
                if len(found[ref]) > 1:
                    names = ", ".join(shown(p) for p in found[ref])
                    raise RulesetError([child.finding(
                        "extends-ambiguous", f"{len(found[ref])} files have the id {ref!r} ({names}); "
                        "extend one of them by its path instead", at)])
                return found[ref][0]
            known.extend(found)
        where = f"the rulesets tree {shown(tree_root(file))} or " if file is not None else ""
        raise RulesetError([child.finding(
            "extends-not-found", f"no ruleset has the id {ref!r} in {where}the shipped bases"
            f"{did_you_mean(ref, known)} (known: {', '.join(sorted(set(known)))})", at)])
    if file is None:
        raise RulesetError([child.finding(
            "extends-not-found", f"a ruleset given as text can extend a base by id only, not by the path "
            f"{ref!r}; load it from its file", at)])
    root = tree_root(file)
    target = (file.parent / ref).resolve()
    if os.path.isabs(ref) or not target.is_relative_to(root.resolve()):
        raise RulesetError([child.finding(
            "outside-tree", f"extends: {ref!r} is outside the rulesets tree {shown(root)}; a ruleset reads "
            "only files in its own tree (or extends a shipped base by id)", at)])
    if not target.is_file():
        nearby = [os.path.relpath(p, file.parent) for paths in rulesets_by_id(root).values() for p in paths]
        raise RulesetError([child.finding(
            "extends-not-found", f"no ruleset file {ref!r}{did_you_mean(ref, nearby)}", at)])
    return target


# ----------------------------------------------------------------------------- the chain

ReadTree = Callable[[Path], Located]


def resolve_extends(located: Located, file: Path | None, read: ReadTree) -> Located:
    """The whole ruleset ``located`` describes: itself when it extends nothing, else its
    base chain merged with it.  ``read`` loads and schema-checks one base file."""
    return _resolve(located, file, (file.resolve(),) if file is not None else (), read)


def _resolve(located: Located, file: Path | None, seen: tuple[Path, ...], read: ReadTree) -> Located:
    data = located.data
    if not isinstance(data, dict) or "extends" not in data:
        return located
    base_file = find_base(data["extends"], located, file)
    if base_file in seen:
        circle = " -> ".join(shown(p) for p in (*seen[seen.index(base_file):], base_file))
        raise RulesetError([located.finding("extends-cycle", f"extends goes round in a circle: {circle}",
                                            ("extends",))])
    if len(seen) > MAX_CHAIN:
        raise RulesetError([located.finding(
            "extends-too-deep", f"more than {MAX_CHAIN} rulesets extend one another here; "
            "flatten the chain", ("extends",))])
    return merge(_resolve(read(base_file), base_file, (*seen, base_file), read), located)


# ----------------------------------------------------------------------------- merging

@dataclass
class _Entry:
    """A step being merged: its fields, where each came from, and the step's own node."""

    data: dict[str, Any]
    sources: dict[str, Source]
    node: Source
    joins: dict[str, tuple[tuple[int, Source], ...]] = field(default_factory=dict)


def merge(base: Located, child: Located) -> Merged:
    """``child`` (an extension's tree) applied to ``base`` (a whole ruleset's tree)."""
    findings: list[Finding] = []
    b, c = base.data, child.data
    if c.get("id") == b.get("id"):
        findings.append(child.finding("extends-same-id", f"the extension has its base's id {c['id']!r}; "
                                      "give it an id of its own", ("id",)))
    if "jurisdiction" in c and c["jurisdiction"] != b.get("jurisdiction"):
        findings.append(child.finding(
            "extends-jurisdiction", f"the base is a {b.get('jurisdiction')} process and its law applies; an "
            f"extension cannot make it {c['jurisdiction']}", ("jurisdiction",)))
    unset = c.get("unset") or []
    for i, key in enumerate(unset):
        if key not in b:
            findings.append(child.finding("unset-not-set", f"unset: the base does not set {key!r}",
                                          ("unset", i)))

    data: dict[str, Any] = {}
    sources: dict[JsonPath, Source] = {(): (child, ())}
    joins: dict[JsonPath, tuple[tuple[int, Source], ...]] = {}
    for key in [*b, *(k for k in c if k not in b and k not in ("extends", "unset"))]:
        if key == "steps":
            _merge_steps(base, child, data, sources, joins, findings)
        elif (key in c and key in MERGED_BY_NAME and key not in unset
              and isinstance(b.get(key), dict) and isinstance(c[key], dict)):
            data[key] = {**b[key], **c[key]}
            sources[(key,)] = (child, (key,))
            for name in data[key]:
                owner = child if name in c[key] else base
                sources[(key, name)] = (owner, (key, name))
        elif key in c:
            data[key] = c[key]
            sources[(key,)] = (child, (key,))
        elif key not in unset:
            data[key] = b[key]
            sources[(key,)] = (base, (key,))
    if findings:
        raise RulesetError(findings)
    data = _in_order(data, TOP_LEVEL_ORDER)
    data["steps"] = [_in_order(step, STEP_ORDER) for step in data.get("steps", [])]
    return Merged(data, child.path, sources=sources, joins=joins,
                  chain=(child.path, *files_of(base)))


def _in_order(mapping: dict, order: tuple[str, ...]) -> dict:
    """The keys in the order the DSL documents them (a base's own key order otherwise wins,
    and an extension's keys would trail at the end)."""
    rank = {k: i for i, k in enumerate(order)}
    return dict(sorted(mapping.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _merge_steps(base: Located, child: Located, data: dict, sources: dict, joins: dict,
                 findings: list[Finding]) -> None:
    order: list[str] = []
    entries: dict[str, _Entry] = {}
    for j, step in enumerate(base.data.get("steps") or []):
        order.append(step["id"])
        entries[step["id"]] = _Entry(dict(step), {k: (base, ("steps", j, k)) for k in step},
                                     (base, ("steps", j)))
    removed: dict[str, JsonPath] = {}
    patched: set[str] = set()
    placed_after: dict[str, str] = {}  # anchor -> the last step this file placed after it
    for k, patch in enumerate(child.data.get("steps") or []):
        at: JsonPath = ("steps", k)
        sid = patch["id"]
        if sid in patched:
            findings.append(child.finding("duplicate-step", f"step {sid!r} is changed twice in this file; "
                                          "say it once", (*at, "id")))
            continue
        patched.add(sid)
        if patch.get("remove"):
            _remove(child, at, patch, sid, order, removed, findings)
            continue
        entry = entries.get(sid) if sid in order else None
        new = entry is None
        if new:
            if "action" not in patch or "at" not in patch:
                findings.append(child.finding(
                    "unknown-step", f"the base has no step {sid!r}{did_you_mean(sid, order)}; a new step "
                    "needs action and at", (*at, "id")))
                continue
            entry = entries[sid] = _Entry({}, {}, (child, at))
        dropped: set[str] = set()
        for n, name in enumerate(patch.get("unset") or []):
            if name in dropped:
                continue
            dropped.add(name)
            if name not in entry.data:
                findings.append(child.finding("unset-not-set", f"unset: step {sid!r} of the base does not "
                                              f"set {name!r}", (*at, "unset", n)))
            entry.data.pop(name, None)
            entry.sources.pop(name, None)
            entry.joins.pop(name, None)
        for name, value in patch.items():
            if name not in CONTROL_KEYS:
                entry.data[name] = value
                entry.sources[name] = (child, (*at, name))
                entry.joins.pop(name, None)
        if "also_when" in patch and _parses_alone(child, (*at, "also_when"), patch["also_when"], findings):
            _also_when(entry, patch["also_when"], (child, (*at, "also_when")))
        _place(child, at, patch, sid, new, order, placed_after, findings)
    _check_removed(child, removed, order, entries, findings)

    data["steps"] = [entries[sid].data for sid in order]
    sources[("steps",)] = (child, ("steps",)) if "steps" in child.data else (base, ("steps",))
    for i, sid in enumerate(order):
        entry = entries[sid]
        sources[("steps", i)] = entry.node
        for name, src in entry.sources.items():
            sources[("steps", i, name)] = src
        for name, parts in entry.joins.items():
            joins[("steps", i, name)] = parts


def _remove(child: Located, at: JsonPath, patch: dict, sid: str, order: list[str],
            removed: dict[str, JsonPath], findings: list[Finding]) -> None:
    others = [k for k in patch if k not in ("id", "remove")]
    if others:
        findings.append(child.finding(
            "extends-conflict", f"step {sid!r} is removed, so it cannot also set {', '.join(others)}",
            (*at, others[0]), key=True))
    elif sid not in order:
        findings.append(child.finding(
            "unknown-step", f"the base has no step {sid!r} to remove{did_you_mean(sid, order)}", (*at, "id")))
    else:
        order.remove(sid)
        removed[sid] = at


def _parses_alone(child: Located, pointer: JsonPath, text: str, findings: list[Finding]) -> bool:
    """Whether a condition to be joined is one whole condition: joined as text, ``false) or (true``
    would otherwise break out of its parentheses and override the base's condition."""
    try:
        ex.parse_condition(text)
    except ex.ExprError as e:
        findings.append(child.finding(e.code, f"in {text!r}: {e.message}", pointer, pos=e.pos))
        return False
    return True


def _also_when(entry: _Entry, extra: str, src: Source) -> None:
    """``(when) and (extra)``, remembering where each part of the text came from."""
    if "when" not in entry.data:
        entry.data["when"] = extra
        entry.sources["when"] = src
        return
    first = entry.joins.get("when") or ((0, entry.sources["when"]),)
    before = entry.data["when"]
    entry.data["when"] = f"({before}) and ({extra})"
    entry.joins["when"] = (*((start + 1, s) for start, s in first), (len(before) + 8, src))
    entry.sources["when"] = first[0][1]


def _place(child: Located, at: JsonPath, patch: dict, sid: str, new: bool, order: list[str],
           placed_after: dict[str, str], findings: list[Finding]) -> None:
    if "before" in patch and "after" in patch:
        findings.append(child.finding("extends-conflict", f"step {sid!r} has both before and after; "
                                      "give one", (*at, "after"), key=True))
        return
    side = "before" if "before" in patch else "after" if "after" in patch else None
    if side is None:
        if new:
            order.append(sid)
        return
    anchor = patch[side]
    if anchor == sid:
        findings.append(child.finding("extends-conflict", f"step {sid!r} cannot be placed {side} itself",
                                      (*at, side)))
        return
    if anchor not in order:
        findings.append(child.finding("unknown-step", f"{side}: no step {anchor!r} to place {sid!r} next to"
                                      f"{did_you_mean(anchor, order)}", (*at, side)))
        return
    if sid in order:
        order.remove(sid)
    if side == "before":
        order.insert(order.index(anchor), sid)
        return
    # Several steps placed after one anchor follow it in the order the file gives them.
    last = placed_after.get(anchor)
    order.insert(order.index(last if last in order else anchor) + 1, sid)
    placed_after[anchor] = sid


def _check_removed(child: Located, removed: dict[str, JsonPath], order: list[str],
                   entries: dict[str, _Entry], findings: list[Finding]) -> None:
    """A removed step that a remaining step still counts from or asks about: say so at the
    removal, naming the step and the file line that uses it."""
    for sid, at in removed.items():
        for other in order:
            entry = entries[other]
            for name in _uses(entry.data, sid):
                parts = entry.joins.get(name) or ((0, entry.sources.get(name.split(".")[0], entry.node)),)
                file, line = _where_used(parts, name, sid)
                findings.append(child.finding(
                    "removed-step-used", f"step {sid!r} is removed, but step {other!r} still uses it in "
                    f"{name} ({file}:{line}); change or remove that step too", (*at, "remove")))


def _where_used(parts: tuple[tuple[int, Source], ...], name: str, sid: str) -> tuple[str, int]:
    """File and line of the part of a (possibly joined) condition that names step ``sid``."""
    for _, (located, inner) in parts:
        if len(parts) > 1 and not _uses({name: located.value(inner)}, sid):
            continue
        if isinstance(located, Merged) and tuple(inner) in located.joins:
            return _where_used(located.joins[tuple(inner)], name, sid)
        return located.file(inner), located.where(inner)[0]
    located, inner = parts[0][1]
    return located.file(inner), located.where(inner)[0]


def _uses(step: dict, sid: str) -> list[str]:
    """The fields of ``step`` whose expressions name step ``sid``."""
    out = []
    dates = {"at": step.get("at")}
    repeat = step.get("repeat")
    if isinstance(repeat, dict):
        dates["repeat.until"] = repeat.get("until")
    for name, text in dates.items():
        if isinstance(text, str):
            try:
                if any(a.name == sid for a in ex.date_refs(ex.parse_date(text))):
                    out.append(name)
            except ex.ExprError:
                pass  # the compiler reports it, located
    if isinstance(step.get("when"), str):
        try:
            if any(n.parts[0] == sid for n in ex.condition_names(ex.parse_condition(step["when"]))):
                out.append("when")
        except ex.ExprError:
            pass
    return out
