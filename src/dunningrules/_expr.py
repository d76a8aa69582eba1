"""The two small expression languages inside rulesets: dates and conditions.

Rulesets are written by people who are not programmers, and may come from anyone
who can open a pull request, so nothing here goes near ``eval``, ``exec``,
``compile`` or Python's ``ast``.  A hand-written tokenizer and a recursive-descent
parser accept a whitelisted grammar and nothing else: names are plain data keys that
the caller resolves; there are no function calls (except ``max``/``min`` over
dates), no indexing, no attribute access, and name parts may not start with ``_``.

*Date expressions* (``at:``, ``until:``) are only parsed: the caller owns the
calendars and evaluates them.  *Conditions* (``when:``) are parsed, then type-checked
and turned into a closure by :func:`compile_condition`.

Every problem with the text is an :class:`ExprError` with a stable code and a 0-based
column; nothing else escapes for any input string.  Limits keep hostile input cheap:
``expr-too-long`` (source over 500 characters, or a string literal over 200),
``expr-too-deep`` (more than 32 nested parentheses, brackets, ``max``/``min`` calls
or prefix operators) and ``expr-too-complex`` (more than 200 AST nodes, or a list of
more than 100 items).

Tokens: identifiers are ``[A-Za-z_][A-Za-z0-9_]*`` parts joined by single hyphens,
so ``collection-notice`` and ``reminder-1`` are one identifier.  A hyphen followed by
a digit right after a reserved word is an operator, so ``due-5 days`` reads as
``due - 5 days``; elsewhere write spaces around a minus (``reminder-1 - 5 days``).
"""

from __future__ import annotations

import decimal
import difflib
import math
import operator
import string
import typing as t
from dataclasses import dataclass
from decimal import Decimal

from ._errors import DunningRulesError

__all__ = [
    "RESERVED_NAMES", "TYPES", "ExprError",
    "Anchor", "Offset", "DateTerm", "DateExtreme", "DateExpr",
    "parse_date", "date_refs", "date_params", "describe_offset",
    "Literal", "Name", "Unary", "Binary", "BoolOp", "Compare", "ListLit", "Cond",
    "parse_condition", "condition_names", "compile_condition",
]

MAX_LENGTH, MAX_STRING, MAX_DEPTH, MAX_NODES, MAX_ITEMS, MAX_DIGITS = 500, 200, 32, 200, 100, 15

# Words with a meaning of their own in one of the languages.  A step with one of
# these ids could not be referred to unambiguously, so the caller refuses them.
RESERVED_NAMES = frozenset({"due", "event", "params", "max", "min", "and", "or", "not", "in", "true", "false", "null"})
TYPES = ("number", "string", "boolean", "list")


class ExprError(DunningRulesError):
    """A problem with an expression: stable ``code``, ``message``, 0-based column ``pos``."""

    def __init__(self, code: str, message: str, pos: int) -> None:
        super().__init__(code, message, pos)  # args match __init__, so it pickles
        self.code, self.message, self.pos = code, message, pos

    def __str__(self) -> str:
        return f"{self.code} at column {self.pos}: {self.message}"


# ---------------------------------------------------------------------------- AST
@dataclass(frozen=True, slots=True)
class Anchor:
    kind: t.Literal["due", "step_date", "step_deadline", "event"]
    name: str | None
    pos: int


@dataclass(frozen=True, slots=True)
class Offset:
    """``sign`` is +1/-1; exactly one of ``amount``/``param`` is set; ``pos`` is the amount's column."""

    sign: int
    amount: int | None
    param: str | None
    unit: t.Literal["days", "business_days", "weeks", "months", "years"]
    pos: int


@dataclass(frozen=True, slots=True)
class DateTerm:
    anchor: Anchor
    offsets: tuple[Offset, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class DateExtreme:
    fn: t.Literal["max", "min"]
    args: tuple[DateExpr, ...]
    offsets: tuple[Offset, ...]
    pos: int


DateExpr = t.Union[DateTerm, DateExtreme]


# Condition nodes.  Operator nodes (Unary, Binary, BoolOp, Compare) carry the column of
# their (first) operator; Literal, Name and ListLit the column where they start.
@dataclass(frozen=True, slots=True)
class Literal:
    value: Decimal | str | bool | None
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: t.Literal["not", "-"]
    operand: Cond
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: t.Literal["+", "-", "*", "/"]
    left: Cond
    right: Cond
    pos: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: t.Literal["and", "or"]
    values: tuple[Cond, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: t.Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
    left: Cond
    right: Cond
    pos: int


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Literal, ...]
    pos: int


Cond = t.Union[Literal, Name, Unary, Binary, BoolOp, Compare, ListLit]


# ---------------------------------------------------------------------- tokenizer
@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "name" | "num" | "str" | "op" | "end"
    value: t.Any  # identifier, Decimal, decoded string, or operator text
    pos: int
    text: str  # as written, for messages


_LETTERS = frozenset(string.ascii_letters)  # ASCII only: str.isalpha() would admit look-alikes
_DIGITS = frozenset(string.digits)
_WORD = _LETTERS | _DIGITS | {"_"}
_SYMBOLS = frozenset(["==", "!=", "<=", ">=", "+", "-", "*", "/", "<", ">", "(", ")", "[", "]", ",", "."])
# Habits from other languages get a pointed message instead of "unexpected character".
_HABITS = {"**": "'**' (power) is not supported", "=": "use '==' to compare", "&&": "use 'and'",
           "||": "use 'or'", "&": "use 'and'", "|": "use 'or'", "!": "use 'not'"}


def _scan(text: str, i: int, chars: frozenset[str]) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c == "_":
            if i and text[i - 1] in _DIGITS:
                raise ExprError("expr-syntax", "write numbers without '_' (1000, not 1_000)", i)
            raise ExprError("expr-syntax", "names may not start with '_'", i)
        elif c in _LETTERS:
            j = _scan(text, i, _WORD)
            while j + 1 < n and text[j] == "-" and (
                text[j + 1] in _LETTERS or (text[j + 1] in _DIGITS and text[i:j] not in RESERVED_NAMES)
            ):
                j = _scan(text, j + 1, _WORD)
            toks.append(_Tok("name", text[i:j], i, text[i:j]))
            i = j
        elif c in _DIGITS:
            j = _scan(text, i, _DIGITS)
            digits, frac = j - i, 0
            if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
                k = _scan(text, j + 1, _DIGITS)
                frac, j = k - j - 1, k
            if digits > MAX_DIGITS or frac > MAX_DIGITS:
                raise ExprError("expr-syntax", f"number {_clip(text[i:j])} is too long: at most "
                                f"{MAX_DIGITS} digits before and after the decimal point", i)
            toks.append(_Tok("num", Decimal(text[i:j]), i, text[i:j]))
            i = j
        elif c in "'\"":
            i = _string(text, i, toks)
        else:
            for sym in (text[i:i + 2], c):
                if sym in _HABITS:
                    raise ExprError("expr-syntax", f"unexpected {sym!r}: {_HABITS[sym]}", i)
                if sym in _SYMBOLS:
                    toks.append(_Tok("op", sym, i, sym))
                    i += len(sym)
                    break
            else:
                raise ExprError("expr-syntax", f"unexpected character {c!r}", i)
    toks.append(_Tok("end", None, n, ""))
    return toks


def _string(text: str, start: int, toks: list[_Tok]) -> int:
    quote, out, j = text[start], [], start + 1
    while True:
        if j >= len(text):
            raise ExprError("expr-syntax", f"unterminated string: the closing {quote} is missing", start)
        c = text[j]
        if c == quote:
            break
        if c == "\\":
            nxt = text[j + 1: j + 2]
            if not nxt or nxt not in "\\'\"":
                raise ExprError("expr-syntax", "unsupported escape: only \\\\, \\' and \\\" are allowed", j)
            c, j = nxt, j + 1
        out.append(c)
        j += 1
    value = "".join(out)
    if len(value) > MAX_STRING:
        raise ExprError("expr-too-long", f"a string may have at most {MAX_STRING} characters", start)
    toks.append(_Tok("str", value, start, text[start:j + 1]))
    return j + 1


def _clip(s: str, n: int = 30) -> str:
    return repr(s if len(s) <= n else s[: n - 3] + "...")


def _found(tok: _Tok) -> str:
    if tok.kind == "end":
        return "the end of the expression"
    return ("the string " if tok.kind == "str" else "") + _clip(tok.text)


def _did_you_mean(word: str, options: t.Iterable[str]) -> str:
    close = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------- parser
_UNITS = {"day": "days", "days": "days", "bday": "business_days", "bdays": "business_days",
          "week": "weeks", "weeks": "weeks", "month": "months", "months": "months",
          "year": "years", "years": "years"}
_UNIT_WORDS = ["days", "business days", "weeks", "months", "years"]  # what did-you-mean offers
_UNIT_SINGULARS = ["day", "week", "month", "year"]  # offered when no plural is close
_COMPARE = frozenset(["==", "!=", "<", "<=", ">", ">="])
_COND_KEYWORDS = frozenset(["and", "or", "not", "in", "true", "false", "null"])
# Capitalised or foreign spellings of the literals: refused, with the right spelling.
_LITERAL_HABITS = {"True": "true", "TRUE": "true", "False": "false", "FALSE": "false",
                   "None": "null", "NULL": "null", "Null": "null", "none": "null", "nil": "null"}


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise ExprError("expr-too-long", f"the expression has {len(text)} characters; "
                            f"the limit is {MAX_LENGTH}", MAX_LENGTH)
        self.toks = _tokenize(text)
        self.i = self.depth = self.nodes = 0

    # -- helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def peek(self) -> _Tok:
        return self.toks[min(self.i + 1, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += tok.kind != "end"
        return tok

    @staticmethod
    def is_op(tok: _Tok, *ops: str) -> bool:
        return tok.kind == "op" and tok.value in ops

    @staticmethod
    def is_word(tok: _Tok, *words: str) -> bool:
        return tok.kind == "name" and tok.value in words

    def fail(self, expected: str, tok: _Tok | None = None, hint: str = "") -> t.NoReturn:
        tok = tok or self.tok
        raise ExprError("expr-syntax", f"expected {expected}, found {_found(tok)}{hint}", tok.pos)

    def expect(self, op: str, expected: str) -> _Tok:
        if not self.is_op(self.tok, op):
            self.fail(expected)
        return self.take()

    def node(self, cls: type, *args: t.Any) -> t.Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError("expr-too-complex", f"the expression has more than {MAX_NODES} parts; split it up",
                            args[-1])
        return cls(*args)

    def enter(self, tok: _Tok) -> None:
        # Every recursive construct passes here, so Python's own recursion limit is never reached.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("expr-too-deep", f"the expression nests more than {MAX_DEPTH} levels deep", tok.pos)

    def name_part(self, after: str) -> str:
        if self.tok.kind != "name":
            self.fail(f"a name after {after!r}")
        return self.take().value

    # -- dates
    def date_expr(self) -> DateExpr:
        tok = self.tok
        if tok.kind == "name" and self.is_op(self.peek(), "("):
            if tok.value not in ("max", "min"):
                raise ExprError("expr-syntax", f"unknown function {_clip(tok.value)}: only max(...) and "
                                f"min(...) are allowed{_did_you_mean(tok.value, ['max', 'min'])}", tok.pos)
            self.take()
            self.enter(self.take())
            args = [self.date_expr()]
            while self.is_op(self.tok, ","):
                self.take()
                args.append(self.date_expr())
            if len(args) < 2 and self.is_op(self.tok, ")"):
                self.fail(f"',' and a second date ({tok.value} needs at least two)")
            self.expect(")", "'+', '-', ',' or ')'")
            self.depth -= 1
            return self.node(DateExtreme, tok.value, tuple(args), self.offsets(), tok.pos)
        anchor = self.anchor()
        return self.node(DateTerm, anchor, self.offsets(), anchor.pos)

    def anchor(self) -> Anchor:
        tok = self.tok
        expected = "a date: 'due', a step id, step.deadline, event.NAME, max(...) or min(...)"
        if tok.kind != "name":
            self.fail(expected)
        if tok.value == "due":
            self.take()
            return self.node(Anchor, "due", None, tok.pos)
        if tok.value == "event":
            self.take()
            self.expect(".", "'.' and the event's name after 'event'")
            return self.node(Anchor, "event", self.name_part("event."), tok.pos)
        if tok.value in RESERVED_NAMES:
            hint = " (params.NAME is a number of days, weeks...: 'due + params.grace days')" \
                if tok.value == "params" else ""
            self.fail(expected, hint=hint)
        self.take()
        if not self.is_op(self.tok, "."):
            return self.node(Anchor, "step_date", tok.value, tok.pos)
        self.take()
        if self.is_word(self.tok, "date", "deadline"):
            kind = "step_date" if self.take().value == "date" else "step_deadline"
            return self.node(Anchor, kind, tok.value, tok.pos)
        hint = _did_you_mean(self.tok.text, ["date", "deadline"])
        if not hint and difflib.get_close_matches(tok.value.lower(), ["event"], cutoff=0.6):
            hint = f" (did you mean 'event.{self.tok.text}'?)"
        self.fail(f"'date' or 'deadline' after '{tok.value}.'", hint=hint)

    def offsets(self) -> tuple[Offset, ...]:
        offs = []
        while self.is_op(self.tok, "+", "-"):
            sign = 1 if self.take().value == "+" else -1
            amt = self.tok
            if amt.kind == "num" and "." not in amt.text:
                self.take()
                amount, param, label = int(amt.value), None, amt.text
            elif self.is_word(amt, "params"):
                self.take()
                self.expect(".", "'.' and a parameter name after 'params'")
                amount, param = None, self.name_part("params.")
                label = f"params.{param}"
            elif amt.kind == "num":
                raise ExprError("expr-syntax", f"offsets are whole numbers, found {_clip(amt.text)}", amt.pos)
            else:
                hint = " (dates cannot be added to each other)" if amt.kind == "name" else ""
                if amt.kind == "name" and difflib.get_close_matches(amt.value.lower(), ["params"], cutoff=0.7):
                    hint = " (did you mean 'params'?)"
                self.fail(f"a whole number or params.NAME after '{'+' if sign > 0 else '-'}'", hint=hint)
            offs.append(self.node(Offset, sign, amount, param, self.unit(label), amt.pos))
        return tuple(offs)

    def unit(self, label: str) -> str:
        tok = self.tok
        if self.is_word(tok, "business") and self.is_word(self.peek(), "day", "days"):
            self.take()
            self.take()
            return "business_days"
        if tok.kind == "name" and tok.value in _UNITS:
            self.take()
            return _UNITS[tok.value]
        hint = (_did_you_mean(tok.text, _UNIT_WORDS) or _did_you_mean(tok.text, _UNIT_SINGULARS)
                if tok.kind == "name" else "")
        head, _, tail = tok.text.partition("-")
        if head in _UNITS and tail[:1].isdigit():  # `days-1 day` tokenizes as a name: say why
            hint = f" (to subtract, put spaces around '-': '{head} - {tail}')"
        self.fail(f"a unit (days, business days, weeks, months, years) after {label}", hint=hint)

    # -- conditions, lowest precedence first
    def or_expr(self) -> Cond:
        return self.bool_chain("or", self.and_expr)

    def and_expr(self) -> Cond:
        return self.bool_chain("and", self.not_expr)

    def bool_chain(self, word: str, operand: t.Callable[[], Cond]) -> Cond:
        values, pos = [operand()], None
        while self.is_word(self.tok, word):
            pos = pos if pos is not None else self.tok.pos
            self.take()
            values.append(operand())
        return values[0] if pos is None else self.node(BoolOp, word, tuple(values), pos)

    def not_expr(self) -> Cond:
        if self.is_word(self.tok, "not"):
            tok = self.take()
            self.enter(tok)
            operand = self.not_expr()
            self.depth -= 1
            return self.node(Unary, "not", operand, tok.pos)
        return self.comparison()

    def compare_op(self) -> tuple[str, int] | None:
        tok = self.tok
        if self.is_op(tok, *_COMPARE) or self.is_word(tok, "in"):
            return tok.value, tok.pos
        if self.is_word(tok, "not") and self.is_word(self.peek(), "in"):
            return "not in", tok.pos
        return None

    def comparison(self) -> Cond:
        left = self.sum()
        op = self.compare_op()
        if op is None:
            return left
        for _ in op[0].split():  # one token, or two for "not in"
            self.take()
        right = self.sum()
        if self.compare_op() is not None:
            raise ExprError("expr-syntax", "comparisons cannot be chained (as in a < b < c); "
                            "combine them with 'and'", self.tok.pos)
        return self.node(Compare, op[0], left, right, op[1])

    def sum(self) -> Cond:
        left = self.product()
        while self.is_op(self.tok, "+", "-"):
            tok = self.take()
            left = self.node(Binary, tok.value, left, self.product(), tok.pos)
        return left

    def product(self) -> Cond:
        left = self.unary()
        while self.is_op(self.tok, "*", "/"):
            tok = self.take()
            left = self.node(Binary, tok.value, left, self.unary(), tok.pos)
        return left

    def unary(self) -> Cond:
        if self.is_op(self.tok, "-"):
            tok = self.take()
            self.enter(tok)
            operand = self.unary()
            self.depth -= 1
            return self.node(Unary, "-", operand, tok.pos)
        node = self.primary()
        nxt = self.tok  # what may follow an operand is checked here, to say why it is refused
        if self.is_op(nxt, "("):
            raise ExprError("expr-syntax", "function calls are not allowed", nxt.pos)
        if self.is_op(nxt, "["):
            raise ExprError("expr-syntax", "indexing with [...] is not allowed", nxt.pos)
        if self.is_op(nxt, "."):
            raise ExprError("expr-syntax", "'.' may only join the parts of a name, as in facts.tenant_type",
                            nxt.pos)
        return node

    _PRIMARY = "a number, 'text', a name, true, false, null, a [list] or '('"

    def primary(self) -> Cond:
        tok = self.tok
        if tok.kind in ("num", "str") or self.is_word(tok, "true", "false", "null"):
            return self.literal()
        if self.is_op(tok, "("):
            self.enter(self.take())
            inner = self.or_expr()
            self.expect(")", "an operator or ')'")
            self.depth -= 1
            return inner
        if self.is_op(tok, "["):
            return self.list_literal()
        if tok.kind != "name" or tok.value in _COND_KEYWORDS:
            self.fail(self._PRIMARY)
        if tok.value in _LITERAL_HABITS:
            self.fail(self._PRIMARY, hint=f" (write {_LITERAL_HABITS[tok.value]!r})")
        parts = [self.take().value]
        while self.is_op(self.tok, "."):
            self.take()
            parts.append(self.name_part("."))
        return self.node(Name, tuple(parts), tok.pos)

    def literal(self) -> Literal:
        tok = self.take()
        value = {"true": True, "false": False, "null": None}[tok.value] if tok.kind == "name" else tok.value
        return self.node(Literal, value, tok.pos)

    def list_literal(self) -> ListLit:
        start = self.take()
        self.enter(start)
        items: list[Literal] = []
        while not self.is_op(self.tok, "]"):
            tok = self.tok
            if self.is_op(tok, "-") and self.peek().kind == "num":  # a negative number is still a literal
                self.take()
                items.append(self.node(Literal, self.take().value.copy_negate(), tok.pos))  # exact, context-free
            elif tok.kind in ("num", "str") or self.is_word(tok, "true", "false", "null"):
                items.append(self.literal())
            else:
                self.fail("a number, 'text', true, false or null (a list holds only literals)")
            if len(items) > MAX_ITEMS:
                raise ExprError("expr-too-complex", f"a list may have at most {MAX_ITEMS} items", tok.pos)
            if not self.is_op(self.tok, "]"):
                self.expect(",", "',' or ']'")
        self.take()
        self.depth -= 1
        return self.node(ListLit, tuple(items), start.pos)


def _finish(p: _Parser, expected: str, hint: str = "") -> None:
    """Refuse whatever is left after a complete expression."""
    if p.tok.kind != "end":
        p.fail(expected, hint=" (an unmatched ')')" if p.is_op(p.tok, ")") else hint)


def parse_date(text: str) -> DateExpr:
    """Parse a date expression such as ``max(due + 8 days, inkassokrav.deadline + 1 day)``."""
    p = _Parser(text)
    expr = p.date_expr()
    prev = p.toks[p.i - 1]
    hint = ""
    if p.tok.kind == "name" and p.tok.value in _UNITS and prev.kind == "name" and "-" in prev.value:
        # `reminder-5 days` read as the step id `reminder-5`: say how to subtract
        head, _, tail = prev.value.rpartition("-")
        hint = f" (to subtract, put spaces around '-': '{head} - {tail} {p.tok.value}')"
    _finish(p, "'+', '-' or the end of the date", hint)
    return expr


def parse_condition(text: str) -> Cond:
    """Parse a condition such as ``facts.first_time_late and outstanding >= 500``."""
    p = _Parser(text)
    cond = p.or_expr()
    hint = _did_you_mean(p.tok.value, ["and", "or", "in", "not in"]) if p.tok.kind == "name" else ""
    _finish(p, "an operator or the end of the condition", hint)
    return cond


def _walk_dates(expr: DateExpr) -> t.Iterator[DateTerm | DateExtreme]:
    yield expr
    if isinstance(expr, DateExtreme):
        for arg in expr.args:
            yield from _walk_dates(arg)


def date_refs(expr: DateExpr) -> tuple[Anchor, ...]:
    """Every anchor the expression uses, left to right (for dependency and cycle checks)."""
    return tuple(e.anchor for e in _walk_dates(expr) if isinstance(e, DateTerm))


def date_params(expr: DateExpr) -> tuple[tuple[str, int], ...]:
    """(parameter name, column of ``params``) for every ``params.NAME`` amount."""
    return tuple((o.param, o.pos) for e in _walk_dates(expr) for o in e.offsets if o.param is not None)


_UNIT_TEXT = {"days": "day", "business_days": "business day", "weeks": "week", "months": "month", "years": "year"}


def describe_date(node: DateExpr) -> str:
    """A date expression in one canonical spelling (``notice.date`` is ``notice``), as reasons
    name the parts of a max() or min(): ``max(due + 14 days, notice.deadline)``."""
    if isinstance(node, DateExtreme):
        head = f"{node.fn}({', '.join(describe_date(a) for a in node.args)})"
    else:
        anchor = node.anchor
        head = {"due": "due", "step_date": anchor.name, "step_deadline": f"{anchor.name}.deadline",
                "event": f"event.{anchor.name}"}[anchor.kind]
    return " ".join([head, *(describe_offset(o) for o in node.offsets)])  # type: ignore[list-item]


def describe_offset(off: Offset) -> str:
    """``+ 5 days``, ``- 1 month``, ``+ 2 business days``, ``+ params.x days``."""
    amount = str(off.amount) if off.param is None else f"params.{off.param}"
    unit = _UNIT_TEXT[off.unit] + ("" if off.amount == 1 else "s")
    return f"{'+' if off.sign > 0 else '-'} {amount} {unit}"


def _children(node: Cond) -> tuple[Cond, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.values
    return ()


def condition_names(cond: Cond) -> tuple[Name, ...]:
    """All names the condition reads, left to right."""
    if isinstance(cond, Name):
        return (cond,)
    return tuple(n for child in _children(cond) for n in condition_names(child))


# ----------------------------------------------------------------------- compiler
# Private context: exact to 34 digits whatever the caller did to the thread's context,
# and the errors we turn into null are raised rather than producing NaN/Infinity.
_CTX = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
                       traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])
_ARITH = {"+": _CTX.add, "-": _CTX.subtract, "*": _CTX.multiply, "/": _CTX.divide}
_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge, "in": operator.contains, "not in": None}
_SAY = {"number": "a number", "string": "text", "boolean": "true/false", "list": "a list", "null": "null"}

_Fn = t.Callable[[t.Any], t.Any]


def _show(node: Cond) -> str:
    """Render a node back to text, for messages."""
    text = _shown(node, True)
    return text if len(text) <= 40 else text[:37] + "..."


def _shown(n: Cond, top: bool = False) -> str:
    # A module function, not a nested one: a nested function that calls itself is a reference
    # cycle, garbage for the collector on every call.
    if isinstance(n, Literal):
        v = n.value
        if v is None or isinstance(v, bool):
            return "null" if v is None else str(v).lower()
        return repr(v) if isinstance(v, str) else str(v)
    if isinstance(n, Name):
        return ".".join(n.parts)
    if isinstance(n, ListLit):
        return "[" + ", ".join(_shown(i) for i in n.items) + "]"
    if isinstance(n, Unary):
        s = f"{n.op} {_shown(n.operand)}" if n.op == "not" else f"-{_shown(n.operand)}"
    elif isinstance(n, BoolOp):
        s = f" {n.op} ".join(_shown(v) for v in n.values)
    else:
        s = f"{_shown(n.left)} {n.op} {_shown(n.right)}"
    return s if top else f"({s})"


def _to_number(value: t.Any) -> Decimal | None:
    # Getters may hand back int or float; bool, NaN, infinities and other types count as null.
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    return None


def _number_getter(get: _Fn) -> _Fn:
    def number(ctx: t.Any) -> t.Any:
        v = get(ctx)
        if v.__class__ is Decimal and v.is_finite():  # the common case, without a call
            return v
        return _to_number(v)
    return number


def compile_condition(cond: Cond, resolve: t.Callable[[Name], tuple[_Fn, str]]) -> t.Callable[[t.Any], bool]:
    """Type-check ``cond`` and build a closure ``ctx -> bool``.

    ``resolve(name)`` gives ``(getter, type)``: ``getter(ctx)`` is the value at evaluation
    time and ``type`` one of :data:`TYPES`; it raises ``ExprError("expr-unknown-name")`` for
    an unknown name.  Getters must return values of their type or None; number getters
    may return int, float or Decimal (converted to Decimal; anything else counts as null).

    Static rules (``expr-type``): ``and``/``or``/``not`` take true/false operands;
    ``+ - * /`` and unary ``-`` take numbers; ``< <= > >=`` compare two numbers or two
    texts; ``==``/``!=`` compare values of one type (or anything with ``null``); ``in``
    takes a list on the right whose items have the left side's type; lists appear only
    there; the whole condition is true/false.

    Runtime null semantics (an unknown value never fires a step by accident):

    * arithmetic with a null operand is null; so is division by zero (and 0/0, or an
      overflow), which therefore makes the enclosing comparison false;
    * a comparison (``==  != < <= > >= in``, ``not in``) with a null operand is false,
      so ``x != 'a'`` is false when x is null; only ``x == null`` and ``x != null``
      test for null;
    * ``and``/``or``/``not`` treat null as false: ``not null`` is true.

    Arithmetic is Decimal, exact to 34 significant digits: ``0.1 + 0.2 == 0.3`` holds.
    """
    fn, typ, _ = _compile(cond, resolve)
    if typ not in ("boolean", "null"):
        raise ExprError("expr-type", f"a condition must be true or false, but {_show(cond)} is {_SAY[typ]}",
                        cond.pos)
    if isinstance(cond, (Compare, BoolOp)) or isinstance(cond, Unary) and cond.op == "not":
        return fn  # already returns a bool
    return lambda ctx: fn(ctx) is True


def _type_error(message: str, pos: int) -> ExprError:
    return ExprError("expr-type", message, pos)


def _compile(node: Cond, resolve: t.Callable[[Name], tuple[_Fn, str]]) -> tuple[_Fn, str, str | None]:
    """(closure, static type, item type of a list or None)."""
    if isinstance(node, Literal):
        v = node.value
        typ = "null" if v is None else "boolean" if isinstance(v, bool) else \
            "string" if isinstance(v, str) else "number"
        return (lambda ctx: v), typ, None
    if isinstance(node, Name):
        get, typ = resolve(node)
        if typ not in TYPES:
            raise ValueError(f"resolver gave type {typ!r} for {_show(node)}; expected one of {TYPES}")
        return (_number_getter(get) if typ == "number" else get), typ, None
    if isinstance(node, ListLit):
        kinds = [(_compile(i, resolve)[1], i) for i in node.items]
        item_type = next((k for k, _ in kinds if k != "null"), None)
        for k, item in kinds:
            if k not in ("null", item_type):
                raise _type_error(f"a list must hold one type of value, but {_show(item)} is {_SAY[k]} "
                                  f"and the list starts with {_SAY[item_type or 'null']}", item.pos)
        values = frozenset(i.value for i in node.items if i.value is not None)
        return (lambda ctx: values), "list", item_type
    sub = [_compile(c, resolve) for c in _children(node)]
    if isinstance(node, BoolOp):
        for (_, typ, _), child in zip(sub, node.values):
            _need(typ in ("boolean", "null"), f"'{node.op}' needs true/false on each side, but {_show(child)} "
                  f"is {_SAY[typ]}", child.pos)
        return (_all if node.op == "and" else _any)(tuple(f for f, _, _ in sub)), "boolean", None
    if isinstance(node, Unary):
        (f, typ, _), = sub
        if node.op == "not":
            _need(typ in ("boolean", "null"), f"'not' needs true/false, but {_show(node.operand)} is "
                  f"{_SAY[typ]}", node.operand.pos)
            return (lambda ctx: f(ctx) is not True), "boolean", None
        _need(typ == "number", f"'-' needs a number, but {_show(node.operand)} is {_SAY[typ]}", node.operand.pos)
        return _negate(f), "number", None
    (lf, lt, _), (rf, rt, items) = sub
    if isinstance(node, Binary):
        for typ, child in ((lt, node.left), (rt, node.right)):
            _need(typ == "number", f"'{node.op}' needs numbers, but {_show(child)} is {_SAY[typ]}", child.pos)
        return _arith(_ARITH[node.op], lf, rf), "number", None
    return _compare(node, lf, lt, rf, rt, items), "boolean", None


def _need(ok: bool, message: str, pos: int) -> None:
    if not ok:
        raise _type_error(message, pos)


def _compare(node: Compare, lf: _Fn, lt: str, rf: _Fn, rt: str, items: str | None) -> _Fn:
    op, left, right = node.op, node.left, node.right
    pair = f"{_show(left)} ({_SAY[lt]}) with {_show(right)} ({_SAY[rt]})"
    if op in ("in", "not in"):
        _need(rt == "list", f"'{op}' needs a list on the right, but {_show(right)} is {_SAY[rt]}", right.pos)
        _need(lt not in ("list", "null"), f"'{op}' needs a single value on the left, but {_show(left)} is "
              f"{_SAY[lt]}", left.pos)
        _need(items in (None, lt), f"{_show(left)} is {_SAY[lt]} but the list holds {_SAY[items or 'null']}",
              node.pos)
        if isinstance(right, ListLit):  # membership in a precomputed frozenset
            values = rf(None)
            if op == "in":
                return lambda ctx: (a := lf(ctx)) is not None and a in values
            return lambda ctx: (a := lf(ctx)) is not None and a not in values

        def member(ctx: t.Any) -> bool:
            a = lf(ctx)
            if a is None:
                return False
            seq = rf(ctx)
            return seq is not None and (a in seq) == (op == "in")
        return member
    _need("list" not in (lt, rt), f"lists can only be used with 'in', not '{op}'",
          right.pos if rt == "list" else left.pos)
    if "null" in (lt, rt):
        _need(op in ("==", "!="), f"'{op}' with null is always false; test for null with '== null'", node.pos)
        other = lf if rt == "null" else rf
        if op == "==":
            return lambda ctx: other(ctx) is None
        return lambda ctx: other(ctx) is not None
    if op in ("==", "!="):
        _need(lt == rt, f"cannot compare {pair} using '{op}'", node.pos)
    else:
        _need(lt == rt and lt in ("number", "string"),
              f"'{op}' orders two numbers or two texts; cannot compare {pair}", node.pos)
    cmp = _CMP[op]
    if isinstance(right, Literal):  # the usual `x > 0`: no call for the constant
        c = right.value
        return lambda ctx: (a := lf(ctx)) is not None and cmp(a, c)

    def compare(ctx: t.Any) -> bool:
        a = lf(ctx)
        if a is None:
            return False
        b = rf(ctx)
        return b is not None and cmp(a, b)
    return compare


def _arith(fn: t.Callable[[Decimal, Decimal], Decimal], lf: _Fn, rf: _Fn) -> _Fn:
    def arith(ctx: t.Any) -> Decimal | None:
        a = lf(ctx)
        if a is None:
            return None
        b = rf(ctx)
        if b is None:
            return None
        try:
            return fn(a, b)
        except ArithmeticError:  # division by zero, 0/0, overflow: null, see compile_condition
            return None
    return arith


def _negate(f: _Fn) -> _Fn:
    return lambda ctx: None if (a := f(ctx)) is None else _CTX.minus(a)


def _all(fns: tuple[_Fn, ...]) -> _Fn:
    if len(fns) == 2:
        a, b = fns
        return lambda ctx: a(ctx) is True and b(ctx) is True

    def all_(ctx: t.Any) -> bool:
        for f in fns:
            if f(ctx) is not True:
                return False
        return True
    return all_


def _any(fns: tuple[_Fn, ...]) -> _Fn:
    if len(fns) == 2:
        a, b = fns
        return lambda ctx: a(ctx) is True or b(ctx) is True

    def any_(ctx: t.Any) -> bool:
        for f in fns:
            if f(ctx) is True:
                return True
        return False
    return any_
