"""The text each action carries: Jinja templates per action type and language, sandboxed and checked.

Layout, inside a ruleset's folder::

    <root>/templates/<language>/<action_type>.j2      e.g. rulesets/no/templates/nb/debt_collection_notice.j2

A template defines two blocks, ``{% block subject %}`` and ``{% block body %}``; it may ``{% extends %}``,
``{% include %}`` or ``{% import %}`` other files of the same ``templates`` folder.  Names are relative
to the including file's folder, like file paths: in ``nb/invoice.j2``, ``"claim.j2"`` is
``nb/claim.j2`` and ``"../common.j2"`` is ``common.j2``.  Nothing outside ``<root>/templates`` is ever
read, whatever the name or a symlink says (``template-outside-tree``).

Texts are plain text (no autoescape), with ``trim_blocks`` and ``lstrip_blocks`` so that a tag on a
line of its own leaves no blank line.  :meth:`TemplateSet.render` returns ``(subject, body)``: the
subject on one line (whitespace runs collapsed to one space, so a value can never add a header line),
the body without trailing spaces, without leading/trailing blank lines, and with runs of blank lines
collapsed to one.

Templates come from ruleset authors, so they run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with :class:`~jinja2.StrictUndefined`, and
more limits on top:

* no attribute or item whose name starts with ``_`` (also refused statically by :func:`check_templates`,
  so ``{{ ''.__class__ }}`` fails validation even in a branch a dry run does not reach);
* no ``str.format``/``format_map`` and no string method that multiplies text (``center``, ``ljust``,
  ``rjust``, ``zfill``, ``expandtabs``, ``replace``, ``join``, ``translate``, ``encode``);
* ``*`` and ``+`` may not build a string or list over :data:`MAX_TEXT`; ``**`` refuses an exponent over
  :data:`MAX_EXPONENT` or an integer result over :data:`MAX_INT_BITS` bits; ``%`` on a string is refused
  (use the filters); ``~`` may not build a string over :data:`MAX_TEXT`;
* ``range`` refuses more than :data:`MAX_RANGE` items, and one rendering may not take more than
  :data:`MAX_STEPS` loop iterations and calls together (so nested loops and recursive macros end);
* the output of one rendering, and of each block, is at most :data:`MAX_TEXT` characters;
* only the filters in :data:`FILTERS` and :data:`SAFE_BUILTIN_FILTERS`; the only globals are ``range``
  and ``namespace``; no extensions, so no ``do``, no i18n, nothing that reaches Python modules; no
  clock (no ``now``), no randomness;
* a file over :data:`MAX_TEMPLATE_BYTES` is refused (``template-too-large``).

Printing ``None`` is an error (``template-undefined``): an optional value (``creditor.name``, ``fee``,
``debtor.address``) must be guarded with ``{% if %}`` or ``or``.  Printing a Decimal, a date or a
list is an error too (``template-error``): use ``|money``, ``|date``, ``|join(", ")``.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import os
import posixpath
import decimal
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path, PurePosixPath
from types import CodeType
from typing import Any

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_context,
)
from jinja2 import filters as _jf
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError, TemplateRuntimeError
from jinja2.idtracking import VAR_LOAD_RESOLVE
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.utils import missing as _MISSING

from ._errors import Finding, RulesetError, did_you_mean
from ._formats import LOCALES, format_date, format_money

__all__ = [
    "CONTEXT_NAMES",
    "FILTERS",
    "MAX_TEMPLATE_BYTES",
    "SAFE_BUILTIN_FILTERS",
    "TemplateSet",
    "check_templates",
    "sample_context",
]

#: Every top-level name a template may use.  Attributes are listed in the description; a value that
#: "may be None" must be guarded in the template (``{% if creditor.name %}`` or ``creditor.name or "..."``).
CONTEXT_NAMES: dict[str, str] = {
    "case": "the case: id (str); due_date (date); payment_reference (str | None, KID/OCR reference to pay with); "
    "status_url (str | None, where the creditor can follow the case)",
    "debtor": "who owes: name (str); address (str | None); language (str | None); and any extra attributes the case gives",
    "creditor": "the landlord, from the case's `creditor` or else the ruleset's: name, address, "
    "organisation_number, account (bank account or bankgiro to pay to) (each str | None)",
    "action": "this action: step (step id), type (action type), title (str | None), date (date), "
    "deadline (date | None), channels (list of str), recipient (str), legal_basis (str | None)",
    "claim": "the claim on the action's date: principal, fees (all fees so far, this action's included), "
    "interest, total; unpaid_amount (the case's amount less every payment so far: what paying stops the "
    "process on, fees and interest aside) (each Decimal, in currency)",
    "fee": "the fee this action charges (Decimal), or None",
    "currency": "ISO 4217 code of the ruleset's currency, e.g. NOK; used by |money",
    "ruleset": "the ruleset: id, version, title",
    "language": "language of this text (nb, nn, sv, da, fi, en); used by |money and |date",
}

MAX_TEMPLATE_BYTES = 100_000
"""A template file over this many bytes is refused (``template-too-large``)."""
MAX_TEXT = 100_000
"""Longest string or list an operator may build, and longest output of one rendering or block."""
MAX_RANGE = 10_000
"""Most items ``range()`` may give."""
MAX_STEPS = 10_000
"""Most loop iterations plus calls in one rendering."""
MAX_EXPONENT = 100
"""Largest exponent ``**`` accepts (absolute value)."""
MAX_INT_BITS = 64
"""Largest integer ``**`` or ``*`` may produce, in bits (a letter has no use for larger numbers)."""

_BLOCKS = ("subject", "body")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
# str/bytes methods that can turn a short text into a huge one, or reach formatting of attributes.
_BLOCKED_TEXT_METHODS = frozenset(
    {"format", "format_map", "center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join",
     "translate", "maketrans", "encode"}
)
# Method names refused statically in calls, whatever the object (no other object in a context has them).
_BLOCKED_CALLS = frozenset({"format", "format_map", "center", "ljust", "rjust", "zfill", "expandtabs",
                            "translate", "maketrans", "encode"})


# --------------------------------------------------------------------------- errors the loader raises


class TemplateOutsideTree(SecurityError):
    """A template name or symlink that leads outside ``<root>/templates``."""


class TemplateTooLarge(TemplateError):
    """A template file over :data:`MAX_TEMPLATE_BYTES`."""


class TemplateEncodingError(TemplateError):
    """A template file that is not UTF-8; ``lineno`` is where the bad byte is."""

    def __init__(self, message: str, lineno: int) -> None:
        super().__init__(message)
        self.lineno = lineno


# --------------------------------------------------------------------------- context values


class _Record(Mapping):
    """A read-only mapping with a label (``debtor``), so that ``debtor.nmae`` can say which name failed."""

    __slots__ = ("_label", "_data")

    def __init__(self, label: str, data: Mapping[str, Any]) -> None:
        self._label = label
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<{self._label}>"


def _freeze(value: Any, label: str) -> Any:
    """Context values as templates see them: mappings, pydantic models, dataclasses (Claim) and named
    tuples become read-only labelled records; lists become tuples; other values stay as they are."""
    if hasattr(value, "model_dump") and callable(value.model_dump):  # a pydantic model (Debtor)
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):  # Claim
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif isinstance(value, tuple) and hasattr(value, "_asdict"):  # a named tuple
        value = value._asdict()
    if isinstance(value, Mapping):
        return _Record(label, {str(k): _freeze(v, f"{label}.{k}") for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, f"{label}[{i}]") for i, v in enumerate(value))
    return value



class _Undefined(StrictUndefined):
    """StrictUndefined whose message names the value (``debtor.nmae``) and suggests a close name."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        obj = self._undefined_obj
        if isinstance(obj, _Record) and isinstance(name, str):
            return f"{obj._label}.{name} is not defined{did_you_mean(name, obj)}"
        if obj is _MISSING and isinstance(name, str):
            return f"{name!r} is not defined{did_you_mean(name, CONTEXT_NAMES)}"
        return super()._undefined_message



# --------------------------------------------------------------------------- budgets

_STEPS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("dunningrules_steps", default=None)


def _charge(n: int = 1) -> None:
    left = _STEPS.get()
    if left is not None:
        left[0] -= n
        if left[0] < 0:
            raise SecurityError(f"the template takes more than {MAX_STEPS} loop iterations and calls in one rendering")


@pass_context
def _iterations(context: Any, value: Any) -> Iterator[Any]:
    """Wrapped around every ``{% for %}`` iterable by the environment: charges one step per item."""
    for item in value:
        _charge()
        yield item


def _range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() of {len(rng)} items; at most {MAX_RANGE} in a template")
    return rng


def _check_size(n: int, what: str) -> None:
    if n > MAX_TEXT:
        raise SecurityError(f"{what} would be {n} long; at most {MAX_TEXT} in a template")


def _text(value: Any) -> str:
    """``str(value)`` for printing and ``~``; containers are refused (a list in a letter is a bug)."""
    if isinstance(value, (list, tuple, set, frozenset, dict, Mapping)):
        raise TemplateRuntimeError(
            f"cannot print a {'record' if isinstance(value, Mapping) else 'list'} "
            f"({value!r}); print its parts, or |join(', ') a list of texts"
        )
    return str(value)


# --------------------------------------------------------------------------- filters


def _context_value(context: Any, name: str) -> Any:
    value = context.resolve_or_missing(name)
    if value is _MISSING:
        raise UndefinedError(f"{name!r} is not defined, and the filter needs it")
    return value


@pass_context
def _money_filter(context: Any, amount: Any) -> str:
    """``{{ claim.total|money }}``: the amount in the context's ``currency``, as ``language`` writes it."""
    if amount is None:
        raise UndefinedError("|money of a value that is not set (None); guard it with {% if %}")
    if isinstance(amount, float):
        raise TemplateRuntimeError("|money of a float; money in a context is a Decimal")
    return format_money(amount, _context_value(context, "currency"), _context_value(context, "language"))


@pass_context
def _date_filter(context: Any, value: Any) -> str:
    """``{{ action.deadline|date }}``: the date as the context's ``language`` writes it."""
    if value is None:
        raise UndefinedError("|date of a value that is not set (None); guard it with {% if %}")
    return format_date(value, _context_value(context, "language"))


#: The project's own filters: ``money`` and ``date``, both reading ``currency``/``language`` from the context.
FILTERS: dict[str, Callable[..., str]] = {"money": _money_filter, "date": _date_filter}


@pass_context
def _join(context: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if attribute is not None:
        getter = _jf.make_attrgetter(context.environment, attribute)
        items = [getter(x) for x in items]
    texts = [_text(x) for x in items]
    _check_size(sum(map(len, texts)) + len(str(d)) * max(len(texts) - 1, 0), "the joined text")
    return str(d).join(texts)


def _replace(s: Any, old: Any, new: Any, count: int | None = None) -> str:
    s, old, new = str(s), str(old), str(new)
    count = -1 if count is None else int(count)
    hits = len(s) + 1 if old == "" else s.count(old)
    if count >= 0:
        hits = min(hits, count)
    _check_size(len(s) + hits * max(len(new) - len(old), 0), "the replaced text")
    return s.replace(old, new, count)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = width if isinstance(width, str) else " " * int(width) if 0 <= int(width) <= 40 else None
    if pad is None or len(pad) > 40:
        raise SecurityError("|indent width must be 0..40")
    s = str(s)
    _check_size(len(s) + (s.count("\n") + 1) * len(pad), "the indented text")
    return _jf.do_indent(s, pad, first, blank)


#: Jinja's filters that cannot multiply text or reach anything outside the values they get.
SAFE_BUILTIN_FILTERS: frozenset[str] = frozenset(
    {"abs", "capitalize", "count", "d", "default", "dictsort", "first", "float", "int", "items", "last",
     "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round", "select",
     "selectattr", "sort", "title", "trim", "truncate", "unique", "upper", "wordcount"}
)


def _all_filters() -> dict[str, Callable[..., Any]]:
    from jinja2.defaults import DEFAULT_FILTERS

    out: dict[str, Callable[..., Any]] = {name: DEFAULT_FILTERS[name] for name in SAFE_BUILTIN_FILTERS}
    out.update(join=_join, replace=_replace, indent=_indent)
    out.update(FILTERS)
    out["_iterations"] = _iterations
    return out


# --------------------------------------------------------------------------- loader and environment


# A template's compiled code, the file it was compiled from, and whether that file is unchanged since.
_Compiled = tuple[CodeType, str, Callable[[], bool]]


class _TreeLoader(BaseLoader):
    """Loads ``<templates>/<name>`` and nothing else: every path is resolved (symlinks too) first."""

    def __init__(self, templates: Path, compiled: dict[str, _Compiled] | None = None) -> None:
        self.templates = templates
        self.real = templates.resolve()
        self.filenames: set[str] = set()
        # Code that check_templates compiled, by template name: a checked template is rendered from it
        # while its file is unchanged, instead of being read, parsed and compiled again.
        self.compiled: dict[str, _Compiled] = {} if compiled is None else compiled

    def locate(self, name: str) -> Path:
        """The file for ``name``; raises TemplateOutsideTree or TemplateNotFound."""
        if not isinstance(name, str) or "\x00" in name or PurePosixPath(name).is_absolute() or "\\" in name:
            raise TemplateOutsideTree(f"template name {name!r} is not a relative path inside the templates folder")
        path = self.templates / name
        try:
            real = path.resolve()
        except (OSError, RuntimeError) as exc:  # symlink loop
            raise TemplateOutsideTree(f"{name!r} cannot be resolved: {exc}") from None
        if not real.is_relative_to(self.real):
            raise TemplateOutsideTree(f"{name!r} leads outside the templates folder {str(self.templates)!r}")
        if not real.is_file():
            raise TemplateNotFound(name)
        return path

    def read(self, name: str) -> tuple[str, str]:
        """(source, filename) of a template, with the size and encoding checked."""
        path = self.locate(name)
        data = path.read_bytes()  # path resolves inside the tree (checked above)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise TemplateTooLarge(f"{len(data)} bytes; a template may have at most {MAX_TEMPLATE_BYTES}")
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateEncodingError(
                f"not UTF-8: byte {data[exc.start]:#04x} at offset {exc.start}", data[: exc.start].count(b"\n") + 1
            ) from None
        return source, str(path)

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename = self.read(template)
        self.filenames.add(filename)
        return source, filename, _unchanged(filename)

    def load(self, environment: Any, name: str, globals: Any = None) -> Any:
        """The template from the code compiled when it was checked, while its file is unchanged; else
        read and compiled as usual."""
        compiled = self.compiled.get(name)
        if compiled is not None:
            code, filename, uptodate = compiled
            if uptodate():
                self.filenames.add(filename)
                return environment.template_class.from_code(environment, code, {} if globals is None else globals,
                                                             uptodate)
            self.compiled.pop(name, None)
        return super().load(environment, name, globals)


def _unchanged(filename: str) -> Callable[[], bool]:
    """Whether the file still has the modification time it has now (Jinja's reload test)."""
    path = Path(filename)
    mtime = path.stat().st_mtime_ns

    def uptodate() -> bool:
        try:
            return path.stat().st_mtime_ns == mtime
        except OSError:
            return False

    return uptodate


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` size-checked.  It also notes the names the template reads from its
    context, which ``meta.find_undeclared_variables`` would find in a second pass over the tree."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_names: set[str] = set()

    def enter_frame(self, frame: Any) -> None:  # what meta.TrackingCodeGenerator notes, as it notes it
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == VAR_LOAD_RESOLVE and param not in self.environment.globals:
                self.read_names.add(param)

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:  # ``a ~ b``: size-checked
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _finalize(value: Any) -> Any:
    if value is None:
        raise UndefinedError(
            "a value that is not set (None) is printed; guard it with {% if ... %} or give one with `or`"
        )
    if isinstance(value, bool):
        return value
    if isinstance(value, (Decimal, float)):
        raise TemplateRuntimeError(f"a number ({value}) is printed as is; use |money for an amount")
    if isinstance(value, dt.date):
        raise TemplateRuntimeError(f"a date ({value.isoformat()}) is printed as is; use |date")
    return _text(value)


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class: type[_CodeGenerator] = _CodeGenerator

    def __init__(self, templates: Path, compiled: dict[str, _Compiled] | None = None) -> None:
        self.tree_loader = _TreeLoader(templates, compiled)
        super().__init__(
            loader=self.tree_loader,
            undefined=_Undefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=(),
            finalize=_finalize,
            auto_reload=True,
        )
        self.filters = _all_filters()
        self.read_names: set[str] = set()  # of the last template compiled (see _generate)
        self.globals = {"range": _range, "namespace": Namespace}

    # names relative to the including file's folder, like file paths
    def join_path(self, template: str, parent: str) -> str:
        if not isinstance(template, str) or template.startswith("/"):
            return template
        return posixpath.normpath(posixpath.join(posixpath.dirname(parent), template))

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        """As Jinja's (`jinja2.compiler.generate`), keeping the names the template reads from its
        context in `read_names`."""
        if not isinstance(source, nodes.Template):
            raise TypeError("Can't compile non template nodes")
        # Each loop iterates through _iterations while the code is written (the generator looks
        # for the filters a template uses before it writes any), and the tree is then given back
        # as the author wrote it, its constants folded, for the checks that read it.
        loops = [(loop, loop.iter) for loop in source.find_all(nodes.For)]
        for loop, iterable in loops:
            loop.iter = nodes.Filter(iterable, "_iterations", [], [], None, None, lineno=iterable.lineno)
        try:
            generator = self.code_generator_class(self, name, filename, defer_init=defer_init,
                                              optimized=self.optimized)
            generator.visit(source)
        finally:
            for loop, iterable in loops:
                loop.iter = iterable
        self.read_names = generator.read_names
        return generator.stream.getvalue()  # type: ignore[no-any-return]

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, (str, bytes, bytearray)) and attr in _BLOCKED_TEXT_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Any:
        if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(
            getattr(value, "__self__", None), (str, bytes)
        ):
            return self.undefined(
                "str.format is not allowed in templates; use the filters (|money, |date)", exc=SecurityError
            )
        return None

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _charge()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        seqs = (str, list, tuple)
        if operator == "%" and isinstance(left, (str, bytes)):
            raise SecurityError("% formatting of a string is not allowed in templates; use the filters")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, seqs) and isinstance(n, int):
                    _check_size(len(seq) * n, "the repeated text or list")
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                    raise SecurityError(f"a product over {MAX_INT_BITS} bits")
        if operator == "+" and isinstance(left, seqs) and isinstance(right, seqs):
            _check_size(len(left) + len(right), "the joined text or list")
        if operator == "**":
            if isinstance(right, (int, float, Decimal)) and not isinstance(right, bool):
                if abs(right) > MAX_EXPONENT:
                    raise SecurityError(f"exponent {right} in **; at most {MAX_EXPONENT}")
                if (isinstance(left, int) and isinstance(right, int) and right > 0
                        and (abs(left).bit_length() - 1) * right >= MAX_INT_BITS):
                    raise SecurityError(f"{left} ** {right} is over {MAX_INT_BITS} bits; too large for a template")
        return super().call_binop(context, operator, left, right)

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        texts = [_text(p) for p in parts]
        _check_size(sum(map(len, texts)), "the text built with ~")
        return "".join(texts)


# --------------------------------------------------------------------------- findings from exceptions


def _column(line_text: str, needle: Any) -> int:
    if isinstance(needle, str) and needle:
        m = re.search(r"(?<![A-Za-z0-9_])" + re.escape(needle) + r"(?![A-Za-z0-9_])", line_text)
        if m:
            return m.start() + 1
    return 0


def _line_of(source: str, lineno: int) -> str:
    lines = source.splitlines()
    return lines[lineno - 1] if 0 < lineno <= len(lines) else ""


class _Located:
    """Turns any exception of a load/render into a Finding at the innermost template line."""

    def __init__(self, loader: _TreeLoader) -> None:
        self.loader = loader

    def finding(self, exc: BaseException, path: str, suffix: str = "") -> Finding:
        code = _code(exc)
        line, where = 0, path
        if isinstance(exc, TemplateSyntaxError):
            where, line = exc.filename or path, exc.lineno or 0
        elif isinstance(exc, TemplateEncodingError):
            line = exc.lineno
        else:
            tb = exc.__traceback__
            while tb is not None:
                fn = tb.tb_frame.f_code.co_filename
                if fn in self.loader.filenames:
                    where, line = fn, tb.tb_lineno
                tb = tb.tb_next
        col = 0
        if line == 0 and where == path and code in ("template-outside-tree", "template-too-large"):
            line, col = 1, 1  # the file itself
        elif line:
            try:
                text = _line_of(Path(where).read_text(encoding="utf-8", errors="replace"), line)
            except OSError:
                text = ""
            col = _column(text, _needle(exc))
        message = _message(exc) + suffix
        return Finding(code, message, where, line, col)


_NEEDLES = (
    re.compile(r"^(?:[\w.\[\]]*\.)?(\w+) is not defined"),  # debtor.nmae is not defined
    re.compile(r"^'(\w+)' is not defined"),
    re.compile(r"attribute '(\w+)'"),
    re.compile(r"^No (?:filter|test) named '(\w+)'"),
    re.compile(r"^(range)\(\)"),
)


def _needle(exc: BaseException) -> str | None:
    """The name the error is about, to find its column on the line."""
    if isinstance(exc, TemplateNotFound):
        return exc.name
    text = exc.message if isinstance(exc, TemplateError) and exc.message else str(exc)
    for pattern in _NEEDLES:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return None


def _code(exc: BaseException) -> str:
    if isinstance(exc, TemplateOutsideTree):
        return "template-outside-tree"
    if isinstance(exc, TemplateTooLarge):
        return "template-too-large"
    if isinstance(exc, TemplateNotFound):
        return "template-missing-include"
    if isinstance(exc, SecurityError):
        return "template-unsafe"
    if isinstance(exc, UndefinedError):
        return "template-undefined"
    if isinstance(exc, TemplateSyntaxError):
        return "template-syntax"
    return "template-error"


def _message(exc: BaseException) -> str:
    if isinstance(exc, TemplateNotFound):
        return f"included template {exc.name!r} does not exist"
    if isinstance(exc, TemplateSyntaxError):
        msg = exc.message or str(exc)
        m = re.match(r"No (filter|test) named '([^']*)'", msg)
        if m and m.group(1) == "filter":
            msg += did_you_mean(m.group(2), _all_filters()) + " (filters: " + ", ".join(
                sorted(f for f in _all_filters() if not f.startswith("_"))) + ")"
        return msg
    if isinstance(exc, RecursionError):
        return "the template includes or calls itself without end"
    if isinstance(exc, (ZeroDivisionError, decimal.DivisionByZero, decimal.DivisionUndefined)):
        return "division by zero"
    if isinstance(exc, decimal.DecimalException):
        return "an amount cannot be computed that way (decimal arithmetic refused it)"
    if isinstance(exc, AssertionError) and "expected length" in str(exc):
        return f"a filter's length argument is out of range ({exc})"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TemplateError) or isinstance(exc, (ValueError, TypeError)):
        return text
    return f"{type(exc).__name__}: {text}"


def _tidy(subject: str, body: str) -> tuple[str, str]:
    subject = " ".join(subject.split())
    lines = [ln.rstrip() for ln in body.splitlines()]
    out: list[str] = []
    for ln in lines:
        if ln == "" and (not out or out[-1] == ""):
            continue
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return subject, "\n".join(out)


class _Output:
    def __init__(self) -> None:
        self.size = 0

    def collect(self, chunks: Iterable[str]) -> str:
        parts = []
        for chunk in chunks:
            self.size += len(chunk)
            _check_size(self.size, "the rendered text")
            parts.append(chunk)
        return "".join(parts)


# --------------------------------------------------------------------------- TemplateSet


class TemplateSet:
    """The templates of one ruleset folder: ``root / "templates" / <language> / <action_type>.j2``."""

    def __init__(self, root: Path, *, _compiled: dict[str, _Compiled] | None = None) -> None:
        self.root = Path(root)
        self.templates = self.root / "templates"
        self._env = _Environment(self.templates, _compiled)
        self._located = _Located(self._env.tree_loader)

    def check(self, action_types: Iterable[str], languages: Iterable[str], *, currency: str = "EUR") -> list[Finding]:
        """:func:`check_templates` of this folder; the code it compiles is kept for :meth:`checked`."""
        return _check(self, action_types, languages, currency)

    def checked(self) -> TemplateSet:
        """A set of the same folder that renders with the code :meth:`check` compiled.  Its environment
        is new, so that rendering starts as in a set that was never used, as it did before the check
        kept its code."""
        return TemplateSet(self.root, _compiled=self._env.tree_loader.compiled)

    @staticmethod
    def template_name(action_type: str, language: str) -> str:
        """The template name (relative to ``templates/``) of an action type and language."""
        if not isinstance(action_type, str) or not _NAME_RE.match(action_type):
            raise ValueError(f"not an action type: {action_type!r}")
        if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language):
            raise ValueError(f"not a language code: {language!r}")
        return f"{language}/{action_type}.j2"

    def path(self, action_type: str, language: str) -> Path:
        return self.templates / self.template_name(action_type, language)

    def available(self, action_type: str, language: str) -> bool:
        """Whether a template file exists for this action type and language (a symlink counts; rendering
        it still refuses one that leads outside the tree)."""
        try:
            path = self.path(action_type, language)
        except ValueError:
            return False
        return path.is_file() or path.is_symlink()

    def render(self, action_type: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        """``(subject, body)`` of the action's text; raises :class:`RulesetError` with one located finding
        (the codes of :func:`check_templates`, or ``template-missing``) when it cannot."""
        name = self.template_name(action_type, language)
        missing = sorted(set(CONTEXT_NAMES) - set(context))
        extra = sorted(set(context) - set(CONTEXT_NAMES))
        if missing or extra:
            raise ValueError(f"template context: missing {missing}, unknown {extra}; see CONTEXT_NAMES")
        if context["language"] != language:
            raise ValueError(f"context language {context['language']!r} is not the template's {language!r}")
        path = str(self.templates / name)
        if not self.available(action_type, language):
            raise RulesetError([Finding("template-missing", f"no template {name} in {self.templates}", path)])
        try:
            return self._render(name, context)
        except Exception as exc:
            raise RulesetError([self._located.finding(exc, path)]) from exc

    def _render(self, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
        values = {k: _freeze(v, k) for k, v in context.items()}
        token = _STEPS.set([MAX_STEPS])
        try:
            try:
                template = self._env.get_template(name)
                ctx = template.new_context(values)
                _Output().collect(template.root_render_func(ctx))  # runs extends and top-level sets
                texts = []
                for block in _BLOCKS:
                    funcs = ctx.blocks.get(block)
                    if not funcs:
                        raise TemplateRuntimeError(f"the template has no {{% block {block} %}}")
                    texts.append(_Output().collect(funcs[0](ctx)))
            except Exception:
                self._env.handle_exception()  # re-raises with template file names and lines
        finally:
            _STEPS.reset(token)
        return _tidy(texts[0], texts[1])


class TemplateChain:
    """The template sets of a ruleset and its bases, nearest first: an extension's own
    ``templates/`` folder overrides its base's for the actions and languages it has."""

    def __init__(self, sets: tuple[TemplateSet, ...]) -> None:
        self.sets = sets

    def _first(self, action_type: str, language: str) -> TemplateSet | None:
        return next((s for s in self.sets if s.available(action_type, language)), None)

    def available(self, action_type: str, language: str) -> bool:
        return self._first(action_type, language) is not None

    def render(self, action_type: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        """As :meth:`TemplateSet.render`, by the nearest set that has the template."""
        return (self._first(action_type, language) or self.sets[0]).render(action_type, language, context)


# --------------------------------------------------------------------------- check_templates


def _walk(templates: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(templates, followlinks=False):
        base = Path(dirpath)
        for d in dirnames:
            if (base / d).is_symlink():
                found.append(base / d)
        for f in filenames:
            p = base / f
            if f.endswith(".j2") or p.is_symlink():
                found.append(p)
    return sorted(found)


def _first(ast: nodes.Template, cls: type, pred: Callable[[Any], bool]) -> Any:
    for node in ast.find_all(cls):
        if pred(node):
            return node
    return None


def _descendants(root: nodes.Node) -> list[nodes.Node]:
    """Every node under ``root``, in the order ``root.find_all`` gives them."""
    out: list[nodes.Node] = []

    def visit(node: nodes.Node) -> None:
        for field in node.fields:
            item = getattr(node, field, None)  # a field can be gone: iter_child_nodes skips it too
            if isinstance(item, list):
                for child in item:
                    if isinstance(child, nodes.Node):
                        out.append(child)
                        visit(child)
            elif isinstance(item, nodes.Node):
                out.append(item)
                visit(item)

    visit(root)
    return out


def _static_findings(env: _Environment, name: str, path: str, source: str, ast: nodes.Template,
                     read_names: set[str]) -> list[Finding]:
    """The findings in a template's tree as compiling it left it (constants folded where the code
    generator folds them: a constant part holds nothing these checks look for), with the
    names its code reads from the context (`_CodeGenerator.read_names`)."""
    out: list[Finding] = []

    def add(code: str, message: str, lineno: int, needle: Any = None) -> None:
        out.append(Finding(code, message, path, lineno, _column(_line_of(source, lineno), needle)))

    allowed = set(CONTEXT_NAMES) | set(env.globals)
    undeclared = sorted(read_names - allowed)
    # The tree as find_all would walk it, once for all the checks below.
    every: list[Any] = _descendants(ast)
    for var in undeclared:
        use = next((n for n in every if isinstance(n, nodes.Name) and n.name == var and n.ctx == "load"), None)
        add("template-unknown-variable",
            f"unknown name {var!r}{did_you_mean(var, allowed)} (names: {', '.join(sorted(CONTEXT_NAMES))})",
            use.lineno if use else 1, var)

    for node in every:
        if isinstance(node, (nodes.Getattr, nodes.NSRef)) and node.attr.startswith("_"):
            add("template-unsafe", f"attribute {node.attr!r}: names starting with _ are not allowed", node.lineno, node.attr)
    for node in every:
        if (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)
                and node.arg.value.startswith("_")):
            add("template-unsafe", f"item {node.arg.value!r}: names starting with _ are not allowed",
                node.lineno, node.arg.value)
    for node in every:
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in _BLOCKED_CALLS:
            add("template-unsafe", f".{node.node.attr}() is not allowed in templates; use the filters "
                "(|money, |date, |join, |replace, |indent)", node.lineno, node.node.attr)
    for node in every:
        if isinstance(node, nodes.Filter) and node.name.startswith("_"):
            add("template-unsafe", f"filter {node.name!r} is not for templates", node.lineno, node.name)

    for node in (n for n in every if isinstance(n, (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport))):
        keyword = type(node).__name__.lower().replace("fromimport", "from ... import")
        targets = node.template
        consts = targets.items if isinstance(targets, (nodes.List, nodes.Tuple)) else [targets]
        for target in consts:
            if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
                add("template-unsafe", f"{keyword} needs a quoted file name, so that it can be checked", node.lineno)
                continue
            joined = env.join_path(target.value, name)
            try:
                env.tree_loader.locate(joined)
            except TemplateOutsideTree:
                add("template-outside-tree", f"{keyword} {target.value!r}: outside the templates folder "
                    f"{str(env.tree_loader.templates)!r}", node.lineno, target.value)
            except TemplateNotFound:
                if not getattr(node, "ignore_missing", False):
                    add("template-missing-include", f"{keyword} {target.value!r}: no such file "
                        f"{str(env.tree_loader.templates / joined)!r}", node.lineno, target.value)
    return out


def _defined_blocks(env: _Environment, name: str, ast: nodes.Template, seen: set[str],
                    parsed: Mapping[str, nodes.Template]) -> set[str] | None:
    """Block names defined by the template and its static extends chain; None if the chain is unknown.
    ``parsed`` has the trees check_templates already parsed, by name (a parent not in it is read)."""
    blocks = {b.name for b in ast.find_all(nodes.Block)}
    parent = _first(ast, nodes.Extends, lambda n: True)
    if parent is None:
        return blocks
    if not (isinstance(parent.template, nodes.Const) and isinstance(parent.template.value, str)):
        return None
    joined = env.join_path(parent.template.value, name)
    if joined in seen:
        return None
    parent_ast = parsed.get(joined)
    if parent_ast is None:
        try:
            source, filename = env.tree_loader.read(joined)
            parent_ast = env.parse(source, joined, filename)
        except Exception:
            return None  # reported where that file is checked
    more = _defined_blocks(env, joined, parent_ast, seen | {joined}, parsed)
    return None if more is None else blocks | more


def check_templates(
    root: Path, action_types: Iterable[str], languages: Iterable[str], *, currency: str = "EUR"
) -> list[Finding]:
    """Every problem of the templates under ``root/templates``, located; ``[]`` when there is none.

    Every ``*.j2`` file (and every symlink) is checked statically; the files that are the template of
    one of ``action_types`` in one of ``languages`` are also checked for their two blocks and rendered
    twice with :func:`sample_context` (``currency`` for the amounts): with every value given, and with
    the optional ones (creditor, debtor address, fee, ...) set to None.  Codes: ``template-syntax``,
    ``template-blocks``, ``template-unknown-variable``, ``template-outside-tree``,
    ``template-missing-include``, ``template-undefined``, ``template-unsafe``, ``template-error``,
    ``template-too-large``, ``template-too-deep``.  Never raises for a template's content.
    """
    return TemplateSet(root).check(action_types, languages, currency=currency)


def _check(ts: TemplateSet, action_types: Iterable[str], languages: Iterable[str], currency: str) -> list[Finding]:
    env = ts._env
    templates = ts.templates
    if not templates.is_dir():
        return []
    wanted = {TemplateSet.template_name(a, lang) for a in action_types for lang in languages
              if _NAME_RE.match(a) and re.fullmatch(r"[a-z]{2}", lang)}
    findings: list[Finding] = []
    parsed: dict[str, nodes.Template] = {}
    # Every file is checked on its own first, and the action templates rendered after that, so that a
    # part an action template includes is compiled once, whichever of the two comes first.
    to_render: list[tuple[str, str, nodes.Template, list[Finding]]] = []
    for path in _walk(templates):
        name = path.relative_to(templates).as_posix()
        shown = str(path)
        try:
            if path.is_dir() or not path.name.endswith(".j2"):  # a symlinked folder or non-template symlink
                real = path.resolve()
                if not real.is_relative_to(env.tree_loader.real):
                    raise TemplateOutsideTree(f"{name!r} is a symlink to {str(real)!r}, outside the templates folder")
                continue
            source, filename = env.tree_loader.read(name)
        except (TemplateOutsideTree, TemplateTooLarge) as exc:
            findings.append(Finding(_code(exc), _message(exc), shown, 1, 1))
            continue
        except TemplateNotFound:
            findings.append(Finding("template-outside-tree", f"{name!r} is a broken symlink", shown, 1, 1))
            continue
        except TemplateEncodingError as exc:
            findings.append(Finding("template-error", str(exc), shown, exc.lineno, 0))
            continue
        try:
            ast = parsed[name] = env.parse(source, name, filename)
            # Its code (unknown filters and tests, and other compile-time errors, are found here) is
            # what the renders run; compiling folds the tree's constants, which the checks then read.
            code = env.compile(ast, name, filename)
            static = _static_findings(env, name, shown, source, ast, env.read_names)
        except TemplateSyntaxError as exc:
            line = exc.lineno or 1
            findings.append(Finding("template-syntax", _message(exc), shown, line,
                                    _column(_line_of(source, line), _needle(exc))))
            parsed.pop(name, None)
            continue
        except (RecursionError, SyntaxError):  # Jinja recurses per level; Python caps nested blocks at 100
            findings.append(Finding("template-too-deep", "the template nests too deeply (parentheses, blocks, "
                                    "loops or conditions inside one another) to be checked; split it up",
                                    shown, 1, 1))
            parsed.pop(name, None)
            continue
        try:
            env.tree_loader.compiled[name] = (code, filename, _unchanged(filename))
        except OSError:
            pass  # gone since it was read: a render reads it, and reports what it finds
        findings.extend(static)
        if name in wanted:
            to_render.append((name, shown, ast, static))

    for name, shown, ast, static in to_render:
        blocks = _defined_blocks(env, name, ast, {name}, parsed)
        if blocks is not None:
            lacking = [b for b in _BLOCKS if b not in blocks]
            if lacking:
                findings.append(Finding(
                    "template-blocks",
                    f"no {' and no '.join('{% block ' + b + ' %}' for b in lacking)}; "
                    "a template defines both subject and body",
                    shown, 1, 1))
                continue
        if static:
            continue
        action_type, language = PurePosixPath(name).stem, PurePosixPath(name).parent.as_posix()
        for sparse, suffix in ((False, ""), (True, " (when the optional values are not set: creditor.*, "
                                                   "debtor.address, fee, action.title, action.legal_basis, "
                                                   "case.payment_reference, case.status_url)")):
            context = sample_context(language if language in LOCALES else "en", currency,
                                     action_type=action_type, sparse=sparse)
            context["language"] = language
            try:
                ts._render(name, context)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding, never a traceback
                findings.append(ts._located.finding(exc, shown, suffix))
                break
    return sorted(set(findings), key=Finding.sort_key)


# --------------------------------------------------------------------------- sample context

_COUNTRY_BY_CURRENCY = {"NOK": "NO", "SEK": "SE"}

_SAMPLES: dict[str, dict[str, Any]] = {
    "NO": {
        "due": dt.date(2026, 3, 18),
        "rate": Decimal("0.12"),
        "principal": Decimal("12500.00"),
        "debtor": {"name": "Kari Nordmann", "address": "Storgata 12 B, 0184 Oslo"},
        "creditor": {"name": "Grünerløkka Utleie AS", "address": "Postboks 4321 Sentrum, 0103 Oslo",
                     "organisation_number": "912 345 678", "account": "1234 56 78903"},
        "reference": "1234567890128",
        "ruleset": {"id": "no_standard", "version": "2026.1",
                    "title": "Standard rent collection, Norway (reminders day 5 and 10, collection from day 15)"},
        # action type: (step id with _ for -, title, date, deadline, channels, recipient, legal_basis, fees so far, fee)
        "actions": {
            "invoice": ("invoice", "Rent invoice", dt.date(2026, 3, 6), None, ("email",), "debtor", None, "0", None),
            "reminder": ("reminder_1", "Payment reminder (betalingspåminnelse)", dt.date(2026, 3, 23), None,
                         ("sms", "email"), "debtor",
                         "inkassoforskriften § 1-2: no reminder fee earlier than 14 days after the due date", "0", None),
            "debt_collection_notice": ("collection_notice", "Inkassovarsel", dt.date(2026, 4, 7), dt.date(2026, 4, 21),
                                       ("letter", "email"), "debtor",
                                       "inkassoloven § 9: written notice after the due date, at least 14 days to pay; "
                                       "fee inkassoforskriften § 1-2", "37.50", "37.50"),
            "eviction_warning": ("eviction_warning", "Varsel om fravikelse", dt.date(2026, 4, 7), dt.date(2026, 4, 21),
                                 ("letter", "email"), "debtor",
                                 "tvangsfullbyrdelsesloven § 4-18 and § 13-2 (3)(a): written warning before eviction",
                                 "37.50", None),
            "creditor_status_link": ("creditor_status_link", "Link for the landlord to follow the collection case",
                                     dt.date(2026, 4, 7), None, ("email",), "creditor", None, "37.50", None),
            "payment_demand": ("payment_demand", "Betalingsoppfordring", dt.date(2026, 4, 22), dt.date(2026, 5, 6),
                               ("letter",), "debtor",
                               "inkassoloven § 10: only after the inkassovarsel deadline, at least 14 days to pay",
                               "37.50", None),
            "eviction_petition": ("eviction_petition", "Begjæring om fravikelse to Namsmannen", dt.date(2026, 4, 21), None,
                                  ("e-filing",), "enforcement_officer",
                                  "tvangsfullbyrdelsesloven § 13-2 (3)(a): two weeks after the written warning",
                                  "37.50", None),
        },
    },
    "SE": {
        "due": dt.date(2026, 6, 5),
        "rate": Decimal("0.18"),
        "principal": Decimal("9800.00"),
        "debtor": {"name": "Anna Svensson", "address": "Storgatan 5 lgh 1102, 753 20 Uppsala"},
        "creditor": {"name": "Bostadsbolaget i Uppsala AB", "address": "Box 1234, 751 42 Uppsala",
                     "organisation_number": "556677-8899", "account": "Bankgiro 123-4567"},
        "reference": "4200426000042",
        "ruleset": {"id": "se_standard", "version": "2026.1",
                    "title": "Standard rent collection, Sweden (inkassokrav, termination and Kronofogden from day 14)"},
        "actions": {
            "debt_collection_notice": ("collection_demand", "Inkassokrav", dt.date(2026, 6, 8), dt.date(2026, 6, 16),
                                       ("letter", "email"), "debtor",
                                       "inkassolagen 5 § and god inkassosed: at least 8 days to pay; lag (1930:173) 2 §",
                                       "180.00", "180.00"),
            "lease_termination": ("lease_termination", "Uppsägning av hyresavtalet", dt.date(2026, 6, 22), None,
                                  ("registered_letter",), "debtor",
                                  "jordabalken 12 kap. 42 § första stycket 1: rent unpaid more than one week after the due date",
                                  "180.00", None),
            "payment_order_application": ("payment_order_application", "Ansökan om betalningsföreläggande",
                                          dt.date(2026, 6, 22), None, ("e-filing",), "enforcement_authority",
                                          "lag (1990:746) om betalningsföreläggande och handräckning; "
                                          "fee förordning (1992:1094) 1 §", "480.00", "300.00"),
            "eviction_petition": ("eviction_application", "Ansökan om avhysning", dt.date(2026, 6, 22), None,
                                  ("e-filing",), "enforcement_authority",
                                  "lag (1990:746) om betalningsföreläggande och handräckning; jordabalken 12 kap. 42 §",
                                  "480.00", None),
            "social_services_notice": ("social_services_notice", "Underrättelse till socialnämnden", dt.date(2026, 6, 22),
                                       None, ("registered_letter",), "social_services",
                                       "jordabalken 12 kap. 44 §: the social welfare board is notified of the termination",
                                       "480.00", None),
            "debtor_information": ("debtor_information", "Information to the tenant about the steps taken",
                                   dt.date(2026, 6, 23), None, ("letter", "email"), "debtor", None, "480.00", None),
            "limitation_interruption": ("limitation_interruption", "Preskriptionsavbrott", dt.date(2029, 5, 4), None,
                                        ("letter",), "debtor",
                                        "preskriptionslagen (1981:130) 2 § and 5 §: three years against consumers, "
                                        "interrupted by a written demand", "480.00", None),
        },
    },
}


def sample_context(language: str, currency: str, *, action_type: str = "debt_collection_notice",
                   sparse: bool = False) -> dict[str, Any]:
    """Realistic values for every name of :data:`CONTEXT_NAMES`, for dry runs and golden renderings.

    The country's sample is picked by ``currency`` (NOK: a Norwegian tenancy due 18 March 2026; SEK: a
    Swedish one due 5 June 2026; any other: the Norwegian one in that currency).  ``action_type`` sets
    the action's step, dates, channels, recipient and fee as the shipped rulesets would; ``sparse``
    sets every optional value to None.  Interest is illustrative: the sample rate from the due date to
    the action's date, none before collection starts.
    """
    sample = _SAMPLES[_COUNTRY_BY_CURRENCY.get(currency, "NO")]
    due = sample["due"]
    row = sample["actions"].get(action_type) or (
        action_type.replace("_", "-"), action_type.replace("_", " ").capitalize(), due + dt.timedelta(days=15),
        due + dt.timedelta(days=29), ("letter",), "debtor", None, "0", None,
    )
    step, title, date, deadline, channels, recipient, legal_basis, fees, fee = row
    step = step.replace("_", "-")  # step ids are hyphenated: collection-notice
    principal = sample["principal"]
    fees = Decimal(fees)
    days = (date - due).days if fees else 0
    interest = (principal * sample["rate"] * days / 365).quantize(Decimal("0.01")) if days > 0 else Decimal("0.00")
    creditor = dict(sample["creditor"])
    case_id = f"{_COUNTRY_BY_CURRENCY.get(currency, 'NO')}-2026-0042"
    debtor = dict(sample["debtor"], language=language)
    context: dict[str, Any] = {
        "case": {"id": case_id, "due_date": due, "payment_reference": sample["reference"],
                 "status_url": f"https://portal.example.com/cases/{case_id}"},
        "debtor": debtor,
        "creditor": creditor,
        "action": {"step": step, "type": action_type, "title": title, "date": date, "deadline": deadline,
                   "channels": list(channels), "recipient": recipient, "legal_basis": legal_basis},
        "claim": {"principal": principal, "fees": fees, "interest": interest,
                  "total": principal + fees + interest, "unpaid_amount": principal},
        "fee": Decimal(fee) if fee is not None else None,
        "currency": currency,
        "ruleset": dict(sample["ruleset"], id=sample["ruleset"]["id"].replace("_", "-")),
        "language": language,
    }
    if sparse:
        context["creditor"] = {"name": None, "address": None, "organisation_number": None, "account": None}
        context["debtor"] = dict(debtor, address=None, language=None)
        context["fee"] = None
        context["action"] = dict(context["action"], title=None, legal_basis=None)
        context["case"] = dict(context["case"], status_url=None, payment_reference=None)
    return context
