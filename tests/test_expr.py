"""Tests for the date and condition expression languages (dunningrules._expr)."""

from __future__ import annotations

import decimal
import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunningrules._expr import (
    RESERVED_NAMES,
    Anchor,
    Binary,
    BoolOp,
    Compare,
    DateExtreme,
    DateTerm,
    ExprError,
    ListLit,
    Literal,
    Name,
    Offset,
    Unary,
    compile_condition,
    condition_names,
    date_params,
    date_refs,
    describe_offset,
    parse_condition,
    parse_date,
)


def err(fn: Any, text: str) -> ExprError:
    with pytest.raises(ExprError) as info:
        fn(text)
    return info.value


# ------------------------------------------------------------------ date expressions
def due(pos: int = 0) -> Anchor:
    return Anchor("due", None, pos)


def off(sign: int, amount: int | str, unit: str, pos: int) -> Offset:
    if isinstance(amount, str):
        return Offset(sign, None, amount, unit, pos)  # type: ignore[arg-type]
    return Offset(sign, amount, None, unit, pos)  # type: ignore[arg-type]


DATE_CASES = [
    ("due + 5 days", DateTerm(due(), (off(1, 5, "days", 6),), 0)),
    ("due - 10 days", DateTerm(due(), (off(-1, 10, "days", 6),), 0)),
    ("due + 15 days", DateTerm(due(), (off(1, 15, "days", 6),), 0)),
    ("collection-notice.deadline + 1 day",
     DateTerm(Anchor("step_deadline", "collection-notice", 0), (off(1, 1, "days", 29),), 0)),
    ("eviction-warning + 14 days",
     DateTerm(Anchor("step_date", "eviction-warning", 0), (off(1, 14, "days", 19),), 0)),
    ("reminder-1.date + 2 business days",
     DateTerm(Anchor("step_date", "reminder-1", 0), (off(1, 2, "business_days", 18),), 0)),
    ("event.service_completed + 21 days",
     DateTerm(Anchor("event", "service_completed", 0), (off(1, 21, "days", 26),), 0)),
    ("due + 1 month", DateTerm(due(), (off(1, 1, "months", 6),), 0)),
    ("due + 3 years - 1 month", DateTerm(due(), (off(1, 3, "years", 6), off(-1, 1, "months", 16)), 0)),
    ("max(due + 8 days, inkassokrav.deadline + 1 day)",
     DateExtreme("max", (DateTerm(due(4), (off(1, 8, "days", 10),), 4),
                         DateTerm(Anchor("step_deadline", "inkassokrav", 18), (off(1, 1, "days", 41),), 18)),
                 (), 0)),
    ("min(due, reminder-1) + 2 weeks",
     DateExtreme("min", (DateTerm(due(4), (), 4), DateTerm(Anchor("step_date", "reminder-1", 9), (), 9)),
                 (off(1, 2, "weeks", 23),), 0)),
    ("due + params.first_reminder days", DateTerm(due(), (off(1, "first_reminder", "days", 6),), 0)),
    ("due + 2 weeks", DateTerm(due(), (off(1, 2, "weeks", 6),), 0)),
    ("due", DateTerm(due(), (), 0)),
    ("  due+1 bday -2 bdays", DateTerm(due(2), (off(1, 1, "business_days", 6), off(-1, 2, "business_days", 14)), 2)),
    ("due + 1 week + 1 year + 2 business day",
     DateTerm(due(), (off(1, 1, "weeks", 6), off(1, 1, "years", 15), off(1, 2, "business_days", 24)), 0)),
    ("max(a, b, c)", DateExtreme("max", tuple(DateTerm(Anchor("step_date", n, p), (), p)
                                             for n, p in (("a", 4), ("b", 7), ("c", 10))), (), 0)),
]


@pytest.mark.parametrize(("text", "expected"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_date_examples(text: str, expected: Any) -> None:
    assert parse_date(text) == expected


def test_hyphen_before_a_digit_after_due_is_minus() -> None:
    # `due-5 days` is due - 5 days; `reminder-1` is one step id; `collection-notice` too.
    assert parse_date("due-5 days") == DateTerm(due(), (off(-1, 5, "days", 4),), 0)
    assert parse_date("reminder-1") == DateTerm(Anchor("step_date", "reminder-1", 0), (), 0)
    assert parse_date("a-b-c2-3 + 1 day").anchor.name == "a-b-c2-3"  # type: ignore[union-attr]
    assert parse_date("reminder-1 - 5 days").offsets == (off(-1, 5, "days", 13),)  # type: ignore[union-attr]
    # a trailing hyphen is not part of the name
    assert parse_date("reminder-  5 days").offsets == (off(-1, 5, "days", 11),)  # type: ignore[union-attr]


def test_date_helpers() -> None:
    text = "max(due + params.a days, x.deadline - 1 month, event.served) + params.b bdays"
    expr = parse_date(text)
    assert date_refs(expr) == (due(4), Anchor("step_deadline", "x", text.index("x.")),
                               Anchor("event", "served", text.index("event")))
    assert date_params(expr) == (("b", text.index("params.b")), ("a", text.index("params.a")))
    assert [describe_offset(o) for o in parse_date("due + 5 days - 1 month + 2 business days + 1 bday "
                                                   "+ params.x days - 1 day + 3 weeks + 1 year").offsets] == [
        "+ 5 days", "- 1 month", "+ 2 business days", "+ 1 business day", "+ params.x days", "- 1 day",
        "+ 3 weeks", "+ 1 year"]


def test_reserved_names() -> None:
    assert {"due", "event", "params", "max", "min"} <= RESERVED_NAMES
    assert {"and", "or", "not", "in", "true", "false", "null"} <= RESERVED_NAMES
    for word in sorted(RESERVED_NAMES - {"due", "event", "max", "min"}):
        assert err(parse_date, f"{word} + 1 day").code == "expr-syntax"


@pytest.mark.parametrize(("text", "pos", "fragment"), [
    ("due + 5 dayz", 8, "expected a unit (days, business days, weeks, months, years) after 5, found 'dayz' "
                        "(did you mean 'days'?)"),
    ("due + 5 mnths", 8, "did you mean 'months'?"),
    ("due + 5", 7, "found the end of the expression"),
    ("due + 2 business", 8, "a unit"),
    ("due + 2 business-days", 8, "did you mean 'business days'?"),
    ("due + 1.5 days", 6, "whole numbers"),
    ("due + -5 days", 6, "a whole number or params.NAME after '+'"),
    ("due + param.x days", 6, "did you mean 'params'?"),
    ("due + reminder-1", 6, "dates cannot be added"),
    ("due + params days", 13, "'.' and a parameter name"),
    ("due + 5 days foo", 13, "expected '+', '-' or the end of the date, found 'foo'"),
    ("reminder-5 days", 11, "put spaces around '-': 'reminder - 5 days'"),
    ("due + 1 day-2 days", 8, "put spaces around '-': 'day - 2'"),
    ("x.dat + 1 day", 2, "'date' or 'deadline' after 'x.', found 'dat' (did you mean 'date'?)"),
    ("evnt.served + 1 day", 5, "did you mean 'event.served'?"),
    ("event + 1 day", 6, "'.' and the event's name"),
    ("event.", 6, "a name after 'event.'"),
    ("maxx(due, x)", 0, "unknown function 'maxx': only max(...) and min(...) are allowed (did you mean 'max'?)"),
    ("max(due)", 7, "max needs at least two"),
    ("max(due, x", 10, "expected '+', '-', ',' or ')'"),
    ("max + 1 day", 0, "expected a date"),
    ("params.x + 1 day", 0, "params.NAME is a number"),
    ("", 0, "expected a date"),
    ("5 + due", 0, "expected a date"),
    ("due)", 3, "unmatched ')'"),
    ("due + 1 day; x", 11, "unexpected character ';'"),
    ("_x + 1 day", 0, "names may not start with '_'"),
    ("x._date", 2, "names may not start with '_'"),
])
def test_date_syntax_errors(text: str, pos: int, fragment: str) -> None:
    e = err(parse_date, text)
    assert (e.code, e.pos) == ("expr-syntax", pos), e.message
    assert fragment in e.message


def test_date_limits() -> None:
    e = err(parse_date, "due" + " + 1 day" * 70)
    assert (e.code, e.pos) == ("expr-too-long", 500)
    deep = "max(" * 33 + "due" + ", due)" * 33
    assert len(deep) <= 500
    e = err(parse_date, deep)
    assert (e.code, e.pos) == ("expr-too-deep", 4 * 32 + 3)
    parse_date("max(" * 32 + "due" + ", due)" * 32)  # 32 levels are fine
    e = err(parse_date, "max(" + ",".join("a" * 150) + ")")
    assert e.code == "expr-too-complex"
    assert parse_date("due + " + "9" * 15 + " days").offsets[0].amount == 10**15 - 1  # type: ignore[union-attr]
    assert err(parse_date, "due + " + "9" * 16 + " days").code == "expr-syntax"


# ------------------------------------------------------------------------ conditions
def n(*parts: str, pos: int = 0) -> Name:
    return Name(tuple(parts), pos)


def lit(value: Any, pos: int) -> Literal:
    return Literal(Decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool)
                   and str(value).replace(".", "").isdigit() else value, pos)


COND_CASES = [
    ("outstanding > 0", Compare(">", n("outstanding"), lit(0, 14), 12)),
    ("facts.first_time_late and outstanding >= 500",
     BoolOp("and", (n("facts", "first_time_late"), Compare(">=", n("outstanding", pos=26), lit(500, 41), 38)), 22)),
    ("not facts.social_services_guarantee", Unary("not", n("facts", "social_services_guarantee", pos=4), 0)),
    ("debtor.language in ['nb', 'nn']",
     Compare("in", n("debtor", "language"), ListLit((Literal("nb", 20), Literal("nn", 26)), 19), 16)),
    ("reminder-1.planned", n("reminder-1", "planned")),
    ("outstanding > amount * 0.5",
     Compare(">", n("outstanding"), Binary("*", n("amount", pos=14), lit("0.5", 23), 21), 12)),
    ("(a or b) and not c",
     BoolOp("and", (BoolOp("or", (n("a", pos=1), n("b", pos=6)), 3), Unary("not", n("c", pos=17), 13)), 9)),
    ("currency == 'NOK'", Compare("==", n("currency"), Literal("NOK", 12), 9)),
    ('facts.tenant_type != "commercial"', Compare("!=", n("facts", "tenant_type"), Literal("commercial", 21), 18)),
    ("event.service_completed", n("event", "service_completed")),
    ("x not in [1, -2, null]",
     Compare("not in", n("x"), ListLit((lit(1, 10), Literal(Decimal(-2), 13), Literal(None, 17)), 9), 2)),
    ("true or false or null", BoolOp("or", (Literal(True, 0), Literal(False, 8), Literal(None, 17)), 5)),
    ("a.b.c == 'it''s'", None),  # adjacent strings are not concatenated: a syntax error
    (r"x == 'it\'s \\ \"q\"'", Compare("==", n("x"), Literal("it's \\ \"q\"", 5), 2)),
    ("[] == x", Compare("==", ListLit((), 0), n("x", pos=6), 3)),
    ("due.x and params.y", BoolOp("and", (n("due", "x"), n("params", "y", pos=10)), 6)),
]


@pytest.mark.parametrize(("text", "expected"), COND_CASES, ids=[c[0] for c in COND_CASES])
def test_condition_examples(text: str, expected: Any) -> None:
    if expected is None:
        assert err(parse_condition, text).code == "expr-syntax"
    else:
        assert parse_condition(text) == expected


def shape(node: Any) -> Any:
    """A position-free rendering, to test precedence compactly."""
    if isinstance(node, Name):
        return ".".join(node.parts)
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, (Binary, Compare)):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, BoolOp):
        return (node.op, *map(shape, node.values))
    return [shape(i) for i in node.items]


@pytest.mark.parametrize(("text", "expected"), [
    ("a or b and c", ("or", "a", ("and", "b", "c"))),
    ("a and b or c", ("or", ("and", "a", "b"), "c")),
    ("a and b and c", ("and", "a", "b", "c")),
    ("not a and b", ("and", ("not", "a"), "b")),
    ("not a == b", ("not", ("==", "a", "b"))),
    ("not not a", ("not", ("not", "a"))),
    ("a == b and c != d", ("and", ("==", "a", "b"), ("!=", "c", "d"))),
    ("1 + 2 * 3 > 4", (">", ("+", 1, ("*", 2, 3)), 4)),
    ("a - b - c", ("-", ("-", "a", "b"), "c")),
    ("a / b * c", ("*", ("/", "a", "b"), "c")),
    ("-a * 2", ("*", ("-", "a"), 2)),
    ("- -a", ("-", ("-", "a"))),
    ("(1 + 2) * 3", ("*", ("+", 1, 2), 3)),
    ("a + 1 in [1]", ("in", ("+", "a", 1), [1])),
    ("a not in [1] or b", ("or", ("not in", "a", [1]), "b")),
    ("a-b - 1", ("-", "a-b", 1)),
])
def test_precedence(text: str, expected: Any) -> None:
    assert shape(parse_condition(text)) == expected


def test_literals() -> None:
    assert parse_condition("0.5") == Literal(Decimal("0.5"), 0)
    assert type(parse_condition("500").value) is Decimal  # type: ignore[union-attr]
    assert parse_condition("9" * 15) == Literal(Decimal("9" * 15), 0)
    assert parse_condition("1." + "9" * 15).value == Decimal("1." + "9" * 15)  # type: ignore[union-attr]
    assert parse_condition("'" + "x" * 200 + "'") == Literal("x" * 200, 0)
    assert parse_condition('"a\'b"') == Literal("a'b", 0)
    assert parse_condition("[" + ", ".join(["1"] * 100) + "]").items[99] == lit(1, 298)  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "code", "pos", "fragment"), [
    ("9" * 16, "expr-syntax", 0, "too long"),
    ("1." + "1" * 16, "expr-syntax", 0, "too long"),
    ("'" + "x" * 201 + "'", "expr-too-long", 0, "at most 200"),
    ("[" + ", ".join(["1"] * 101) + "]", "expr-too-complex", 301, "at most 100 items"),
    ("x" * 501, "expr-too-long", 500, "the limit is 500"),
    ("(" * 33 + "a" + ")" * 33, "expr-too-deep", 32, "more than 32"),
    ("not " * 33 + "a", "expr-too-deep", 128, "more than 32"),
    ("-" * 33 + "a", "expr-too-deep", 32, "more than 32"),
    ("(-" * 17 + "a", "expr-too-deep", 32, "more than 32"),
    ("[[1]]", "expr-syntax", 1, "a list holds only literals"),
    ("+".join(["1"] * 101), "expr-too-complex", 199, "more than 200"),
    ("a < b < c", "expr-syntax", 6, "cannot be chained"),
    ("a == b in c", "expr-syntax", 7, "cannot be chained"),
    ("a adn b", "expr-syntax", 2, "did you mean 'and'?"),
    ("a nott in [1]", "expr-syntax", 2, "did you mean 'not in'?"),
    ("x = 5", "expr-syntax", 2, "use '=='"),
    ("a && b", "expr-syntax", 2, "use 'and'"),
    ("a || b", "expr-syntax", 2, "use 'or'"),
    ("!a", "expr-syntax", 0, "use 'not'"),
    ("True", "expr-syntax", 0, "write 'true'"),
    ("x == None", "expr-syntax", 5, "write 'null'"),
    ("(a", "expr-syntax", 2, "expected an operator or ')', found the end of the expression"),
    ("a)", "expr-syntax", 1, "unmatched ')'"),
    ("", "expr-syntax", 0, "expected a number, 'text', a name"),
    ("a and", "expr-syntax", 5, "found the end"),
    ("and", "expr-syntax", 0, "found 'and'"),
    ("facts.", "expr-syntax", 6, "a name after '.'"),
    ("facts.5", "expr-syntax", 6, "a name after '.'"),
    ("'abc", "expr-syntax", 0, "unterminated string"),
    ("'a\\nb'", "expr-syntax", 2, "unsupported escape"),
    ("[1, [2]]", "expr-syntax", 4, "a list holds only literals"),
    ("[1 2]", "expr-syntax", 3, "',' or ']'"),
    ("[-a]", "expr-syntax", 1, "a list holds only literals"),
    ("max(a, b) > 1", "expr-syntax", 3, "function calls are not allowed"),
    ("x[0]", "expr-syntax", 1, "indexing"),
    ("x € 5", "expr-syntax", 2, "unexpected character '€'"),
    ("ｘ == 1", "expr-syntax", 0, "unexpected character"),  # no look-alike letters
    ("1e5", "expr-syntax", 1, "found 'e5'"),
    ("+1", "expr-syntax", 0, "expected a number"),
])
def test_condition_errors(text: str, code: str, pos: int, fragment: str) -> None:
    e = err(parse_condition, text)
    assert (e.code, e.pos) == (code, pos), e.message
    assert fragment in e.message


def test_nesting_within_the_limit_is_fine() -> None:
    assert parse_condition("(" * 32 + "a" + ")" * 32) == n("a", pos=32)
    assert shape(parse_condition("not " * 32 + "a"))[0] == "not"
    # long flat chains are not deep: only brackets and prefix operators count
    assert len(parse_condition(" and ".join(["a"] * 80)).values) == 80  # type: ignore[union-attr]


INJECTIONS = [
    "__import__('os').system('x')",
    "().__class__.__bases__[0].__subclasses__()",
    "facts.__class__",
    "facts._private",
    "'{0.__class__}'.format(x)",
    "9**9**9",
    "lambda: 1",
    "[x for x in y]",
    "a; b",
    "range(10**10)",
    "open('/etc/passwd').read()",
    "eval('1')",
    "x if y else z",
    "a.b(c)",
    "facts['x']",
    "'a' 'b'",
    "{}",
    "{'a': 1}",
    "(1, 2)",
    "a @ b",
    "a % 2 == 0",
    "~a",
    "a << 2",
    "`id`",
    "$x",
    "x := 1",
    "f'{x}'",
    "\\x41",
    "import os",
    "a\x00",
    "1_000 > 0",
    "0x10 > 0",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_rejected_at_parse_time(text: str) -> None:
    assert err(parse_condition, text).code == "expr-syntax"
    assert err(parse_date, text).code == "expr-syntax"


def test_names_may_not_start_with_underscore() -> None:
    e = err(parse_condition, "facts.__class__")
    assert (e.pos, e.message) == (6, "names may not start with '_'")
    assert parse_condition("facts.a_b__c") == n("facts", "a_b__c")


def test_condition_names() -> None:
    cond = parse_condition("a.b > 1 and not (c or d.e in [1]) and -f * g == 2")
    assert condition_names(cond) == (n("a", "b"), n("c", pos=17), n("d", "e", pos=22), n("f", pos=39),
                                     n("g", pos=43))
    assert condition_names(parse_condition("1 == 1")) == ()


# ------------------------------------------------------------------- compile_condition
TYPES_OF = {
    "outstanding": "number", "amount": "number", "currency": "string", "paid": "number",
    "facts.name": "string", "facts.flag": "boolean", "facts.other": "boolean", "facts.rate": "number",
    "debtor.language": "string", "debtor.languages": "list", "facts.codes": "list",
}


def resolve(name: Name) -> tuple[Any, str]:
    key = ".".join(name.parts)
    if key not in TYPES_OF:
        raise ExprError("expr-unknown-name", f"unknown name {key}", name.pos)
    return (lambda ctx: ctx.get(key)), TYPES_OF[key]


def run(text: str, **values: Any) -> bool:
    ctx = {k.replace("__", "."): v for k, v in values.items()}
    result = compile_condition(parse_condition(text), resolve)(ctx)
    assert type(result) is bool
    return result


@pytest.mark.parametrize(("text", "pos", "fragment"), [
    ("facts.name > 5", 11, "cannot compare facts.name (text) with 5 (a number)"),
    ("facts.name == 5", 11, "cannot compare"),
    ("outstanding and 'x'", 0, "'and' needs true/false on each side, but outstanding is a number"),
    ("facts.flag or 'x'", 14, "but 'x' is text"),
    ("not outstanding", 4, "'not' needs true/false"),
    ("outstanding in 5", 15, "'in' needs a list on the right"),
    ("outstanding in facts.name", 15, "needs a list"),
    ("[1] in [1]", 0, "a single value on the left"),
    ("outstanding in ['a']", 12, "outstanding is a number but the list holds text"),
    ("[1, 'a'] == x", 4, "one type of value"),
    ("facts.name + 1 > 0", 0, "'+' needs numbers, but facts.name is text"),
    ("'a' + 'b' == 'ab'", 0, "'+' needs numbers"),
    ("-currency == 'x'", 1, "'-' needs a number"),
    ("facts.flag < facts.other", 11, "'<' orders two numbers or two texts"),
    ("facts.flag >= true", 11, "orders two numbers"),
    ("outstanding", 0, "a condition must be true or false, but outstanding is a number"),
    ("outstanding + 1", 12, "must be true or false"),
    ("'yes'", 0, "must be true or false"),
    ("debtor.languages", 0, "must be true or false"),
    ("outstanding < null", 12, "always false"),
    ("null + 1 > 0", 0, "needs numbers"),
    ("null in [1]", 0, "a single value"),
    ("debtor.languages == ['nb']", 20, "lists can only be used with 'in'"),
    ("1 == [1]", 5, "lists can only be used with 'in'"),
])
def test_type_errors(text: str, pos: int, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_condition(parse_condition(text), resolve)
    assert (info.value.code, info.value.pos) == ("expr-type", pos), info.value.message
    assert fragment in info.value.message


def test_unknown_name_comes_from_the_resolver() -> None:
    with pytest.raises(ExprError) as info:
        compile_condition(parse_condition("outstanding > 0 and facts.nmae"), resolve)
    assert (info.value.code, info.value.pos) == ("expr-unknown-name", 20)


def test_resolver_giving_a_bad_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        compile_condition(parse_condition("x"), lambda name: ((lambda ctx: 1), "float"))


def test_evaluation() -> None:
    assert run("outstanding > 0", outstanding=Decimal("0.01"))
    assert not run("outstanding > 0", outstanding=Decimal(0))
    assert run("facts.flag and outstanding >= 500", facts__flag=True, outstanding=500)
    assert not run("facts.flag and outstanding >= 500", facts__flag=False, outstanding=500)
    assert run("debtor.language in ['nb', 'nn']", debtor__language="nn")
    assert not run("debtor.language in ['nb', 'nn']", debtor__language="sv")
    assert run("debtor.language not in ['nb', 'nn']", debtor__language="sv")
    assert run("'nb' in debtor.languages", debtor__languages=["en", "nb"])
    assert run("outstanding > amount * 0.5", outstanding=51, amount=100)
    assert not run("outstanding > amount * 0.5", outstanding=50, amount=100)
    assert run("(facts.flag or facts.other) and not facts.flag", facts__flag=False, facts__other=True)
    assert run("facts.flag == true and facts.other != true", facts__flag=True, facts__other=False)
    assert run("currency == 'NOK' and currency < 'SEK'", currency="NOK")
    assert run("-outstanding < 0 and - -outstanding == outstanding", outstanding=3)
    assert run("outstanding - paid / 2 == 4", outstanding=5, paid=2)
    assert run("outstanding in [1, 2.0, -3]", outstanding=2)
    assert run("outstanding in [1, 2.0, -3]", outstanding=-3)
    assert run("true") and not run("false") and not run("null") and run("not null")
    assert run("facts.flag or facts.other or outstanding > 1", outstanding=2)


def test_decimal_arithmetic_is_exact() -> None:
    assert run("0.1 + 0.2 == 0.3")
    assert run("1 / 3 * 3 < 1")  # 34 significant digits, rounding down, never float
    assert run("outstanding * 3 == 0.3", outstanding=0.1)  # a float from a getter goes through repr
    assert run("outstanding * outstanding == amount", outstanding=Decimal("9" * 15),
               amount=Decimal("999999999999998000000000000001"))
    # the caller's decimal context does not leak in
    with decimal.localcontext() as ctx:
        ctx.prec = 2
        ctx.traps[decimal.Inexact] = True
        assert run("0.1 + 0.2 == 0.3") and run("10 / 4 == 2.5") and not run("1 / 3 == 0.33")


@pytest.mark.parametrize(("text", "values", "expected"), [
    # a comparison with a null operand is false, in every direction
    ("outstanding > 0", {}, False),
    ("outstanding <= 0", {}, False),
    ("outstanding == 0", {}, False),
    ("outstanding != 0", {}, False),
    ("facts.name != 'x'", {}, False),
    ("facts.name == facts.name", {}, False),
    ("outstanding in [1]", {}, False),
    ("outstanding not in [1]", {}, False),
    ("'nb' in debtor.languages", {}, False),
    ("'nb' not in debtor.languages", {}, False),
    ("outstanding in [null]", {}, False),
    # ... except an explicit test for null
    ("outstanding == null", {}, True),
    ("null == outstanding", {}, True),
    ("outstanding != null", {}, False),
    ("outstanding != null", {"outstanding": 0}, True),
    ("outstanding == null", {"outstanding": 0}, False),
    ("null == null", {}, True),
    ("null != null", {}, False),
    # arithmetic with null is null
    ("outstanding + 1 > 0", {}, False),
    ("outstanding + 1 == null", {}, True),
    ("-outstanding == null", {}, True),
    ("1 - outstanding == null", {}, True),
    # division by zero (or 0/0) is null, so the comparison is false
    ("outstanding / paid > 0", {"outstanding": 1, "paid": 0}, False),
    ("outstanding / paid <= 0", {"outstanding": 1, "paid": 0}, False),
    ("outstanding / paid == null", {"outstanding": 0, "paid": 0}, True),
    ("outstanding / 0 == null", {"outstanding": 1}, True),
    # and/or/not treat null as false
    ("not facts.flag", {}, True),
    ("facts.flag or facts.other", {"facts.other": True}, True),
    ("facts.flag and facts.other", {"facts.other": True}, False),
    ("facts.flag", {}, False),
    ("not (facts.flag and facts.other and facts.flag)", {}, True),
    # getters returning odd numbers: NaN, infinities and bools count as null
    ("outstanding > 0", {"outstanding": float("nan")}, False),
    ("outstanding == null", {"outstanding": Decimal("NaN")}, True),
    ("outstanding == null", {"outstanding": float("inf")}, True),
    ("outstanding == null", {"outstanding": True}, True),
    ("outstanding * outstanding == null", {"outstanding": Decimal("1e999999")}, True),  # overflow
])
def test_null_semantics(text: str, values: dict[str, Any], expected: bool) -> None:
    ctx = dict(values)
    assert compile_condition(parse_condition(text), resolve)(ctx) is expected


def test_error_object() -> None:
    e = ExprError("expr-syntax", "expected x, found y", 3)
    assert (e.code, e.message, e.pos) == ("expr-syntax", "expected x, found y", 3)
    assert str(e) == "expr-syntax at column 3: expected x, found y"
    again = pickle.loads(pickle.dumps(e))
    assert (again.code, again.message, again.pos) == (e.code, e.message, e.pos)
    assert isinstance(e, Exception)


# ------------------------------------------------------------------------ properties
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_parse_never_crashes_on_any_text(text: str) -> None:
    for parse in (parse_condition, parse_date):
        try:
            parse(text)
        except ExprError as e:
            assert e.code.startswith("expr-") and 0 <= e.pos <= len(text)


COND_TOKENS = [
    "outstanding", "amount", "facts.name", "facts.flag", "facts.rate", "debtor.languages", "nope",
    "0", "1", "0.5", "'nb'", "'x'", "true", "false", "null", "[1, 2]", "['nb', 'nn']", "[]",
    "and", "or", "not", "in", "not in", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
    "(", ")", "[", "]", ",", ".", "_", "**", "(", "a-b", "reminder-1.planned", "due-5",
]


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(COND_TOKENS), max_size=40),
       st.lists(st.sampled_from([None, 0, 1, -1, 3, "nb", "x", True, False, ["nb"], [], Decimal("0.5")]),
                min_size=8, max_size=8))
def test_conditions_from_token_soup_never_crash(tokens: list[str], values: list[Any]) -> None:
    """Whatever parses either fails to compile with expr-type/expr-unknown-name or
    evaluates to a bool for any context, including nulls and wrong-typed values."""
    text = " ".join(tokens)
    try:
        cond = parse_condition(text)
        fn = compile_condition(cond, resolve)
    except ExprError as e:
        assert e.code.startswith("expr-")
        return
    keys = ["outstanding", "amount", "facts.name", "facts.flag", "facts.rate", "debtor.languages"]
    typed = {"outstanding": 7, "amount": Decimal("0"), "facts.name": "nb", "facts.flag": True,
             "facts.rate": 0.5, "debtor.languages": ["nb", "en"]}
    assert type(fn(typed)) is bool
    assert type(fn({})) is bool
    # wrong-typed values for numbers are nulls; booleans are compared with `is True`
    odd = {k: v for k, v in zip(keys, values) if k in ("outstanding", "amount", "facts.rate", "facts.flag")}
    assert type(fn(odd)) is bool


DATE_TOKENS = [
    "due", "event", ".", "served", "reminder-1", "x", "date", "deadline", "params", "grace", "max", "min",
    "(", ")", ",", "+", "-", "1", "5", "1.5", "day", "days", "business", "bday", "weeks", "month", "years",
    "dayz", "due-5", "_", "'s'",
]


@settings(max_examples=1500)
@given(st.lists(st.sampled_from(DATE_TOKENS), max_size=40), st.booleans())
def test_dates_from_token_soup_never_crash(tokens: list[str], tight: bool) -> None:
    text = ("" if tight else " ").join(tokens)
    try:
        expr = parse_date(text)
    except ExprError as e:
        assert e.code.startswith("expr-") and 0 <= e.pos <= len(text)
        return
    refs = date_refs(expr)
    assert refs and all(a.kind in ("due", "step_date", "step_deadline", "event") for a in refs)
    for name, pos in date_params(expr):
        assert text[pos:pos + 6] == "params" and name == "grace"
    for e in (expr, *getattr(expr, "args", ())):
        for o in e.offsets:
            describe_offset(o)


@given(st.recursive(
    st.sampled_from(["outstanding > 0", "facts.flag", "null", "facts.name == 'x'", "outstanding / amount < 1"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map("".join),
        inner.map(lambda s: f"not ({s})"),
    ),
    max_leaves=12,
))
def test_valid_conditions_compile_and_return_bool(text: str) -> None:
    fn = compile_condition(parse_condition(text), resolve)
    for ctx in ({}, {"outstanding": 1, "amount": 0, "facts.flag": True, "facts.name": "x"}):
        assert type(fn(ctx)) is bool
