"""Strict YAML loading: every refusal has a stable code and an exact position.

Every test runs against both PyYAML parsers (libyaml and pure Python) via
the autouse ``loader`` fixture, because load_yaml must behave the same with
either.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunningrules import _yaml
from dunningrules._errors import Finding, RulesetError
from dunningrules._yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES, Located, load_yaml

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


@pytest.fixture(autouse=True, params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request, monkeypatch):
    monkeypatch.setattr(_yaml, "_LOADER", request.param)
    return request.param


def refused(text, **kwargs) -> list[tuple[str, int, int]]:
    """(code, line, col) of every finding, in the order RulesetError sorts them."""
    with pytest.raises(RulesetError) as info:
        load_yaml(text, **kwargs)
    return [(f.code, f.line, f.col) for f in info.value.findings]


def findings(text, **kwargs) -> list[Finding]:
    with pytest.raises(RulesetError) as info:
        load_yaml(text, **kwargs)
    return info.value.findings


# --- scalar typing (the Norway problem) --------------------------------------

# fmt: off
STAY_STRINGS = [
    "NO", "no", "No", "yes", "Yes", "YES", "on", "off", "On", "OFF", "y", "n", "Y", "N",
    "True", "TRUE", "False", "Null", "NULL", "none", "None",
    "2026-04-01", "2026-04-01T12:00:00Z", "12:30", "1:20:30",
    "0o17", "0x1F", "0b101", "1e3", "1E3", "1.5e3", ".inf", "-.inf", ".nan", ".NaN",
    "012", "00", "-012", "1_000", "1,000", "1.", ".5", "-.5", "1.2.3", "+", "0.1.", "1 000",
    "=", "<<x", "€5", "12 kr",
]
# fmt: on


@pytest.mark.parametrize("text", STAY_STRINGS)
def test_plain_scalars_outside_the_table_stay_strings(text):
    data = load_yaml(f"v: {text}\n").data
    assert data == {"v": text}
    assert type(data["v"]) is str


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("-0", 0),
        ("+7", 7),
        ("42", 42),
        ("-1200", -1200),
        ("0.1", Decimal("0.1")),
        ("-12.50", Decimal("-12.50")),
        ("+3.0", Decimal("3.0")),
        ("0.000000000000000000000000000000001", Decimal("1E-33")),
    ],
)
def test_plain_scalars_in_the_table_are_typed(text, expected):
    value = load_yaml(f"v: {text}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_decimals_are_exact_and_keep_their_text():
    data = load_yaml("a: 0.1\nb: 0.2\nc: 0.3\nd: -12.50\ne: 123456789012345678901234567890.123456789\n").data
    assert all(type(v) is Decimal for v in data.values())
    assert data["a"] + data["b"] == data["c"]  # would fail with floats
    assert str(data["d"]) == "-12.50"
    assert data["e"] == Decimal("123456789012345678901234567890.123456789")


def test_huge_integers_do_not_trip_the_int_digit_limit():
    digits = "9" * 5000  # int("9"*5000) raises ValueError on Python >= 3.11
    assert load_yaml(f"v: {digits}\n").data["v"] == int(Decimal(digits))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: 'true'\n", "true"),
        ('v: "12"\n', "12"),
        ("v: 'NO'\n", "NO"),
        ('v: "null"\n', "null"),
        ("v: ''\n", ""),
        ("v: |\n  12\n", "12\n"),
        ("v: >\n  0.1\n", "0.1\n"),
        ("v: |-\n  true\n", "true"),
    ],
)
def test_quoted_and_block_scalars_are_always_strings(text, expected):
    assert load_yaml(text).data == {"v": expected}


def test_keys_are_always_strings():
    data = load_yaml("1: a\nNO: b\ntrue: c\nnull: d\n~: e\n1.5: f\n2026-04-01: g\n'x': h\n").data
    assert list(data) == ["1", "NO", "true", "null", "~", "1.5", "2026-04-01", "x"]


def test_nested_data_keeps_insertion_order_and_types():
    text = "name: Reminder\nsteps:\n  - at: 14\n    fee: 60.00\n    send: [letter, sms]\n  - at: 30\n"
    data = load_yaml(text).data
    assert data == {
        "name": "Reminder",
        "steps": [{"at": 14, "fee": Decimal("60.00"), "send": ["letter", "sms"]}, {"at": 30}],
    }
    assert list(data) == ["name", "steps"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "---\n...\n", "\n\n"])
def test_an_empty_document_is_none(text):
    assert load_yaml(text).data is None


def test_bytes_input_and_bom_are_accepted():
    assert load_yaml("\ufeffa: 1\n".encode()).data == {"a": 1}
    assert load_yaml("a: Göteborg\n".encode()).data == {"a": "Göteborg"}
    assert load_yaml("\ufeffa: 1\n").where(("a",)) == (1, 4)


# --- where() and finding() ---------------------------------------------------

RULESET = """\
name: Reminder
steps:
  - at: 14
    fee: 60.00
  - at: 30
    action:
      kind: letter
"""


def test_where_values_keys_and_list_items():
    doc = load_yaml(RULESET, "rules.yaml")
    assert doc.where(()) == (1, 1)
    assert doc.where(("name",)) == (1, 7)
    assert doc.where(("name",), key=True) == (1, 1)
    assert doc.where(("steps",)) == (3, 3)
    assert doc.where(("steps", 0)) == (3, 5)
    assert doc.where(("steps", 1)) == (5, 5)
    assert doc.where(("steps", 0, "fee")) == (4, 10)
    assert doc.where(("steps", 0, "fee"), key=True) == (4, 5)
    assert doc.where(("steps", 1, "action", "kind")) == (7, 13)
    assert doc.where(("steps", 1, "action", "kind"), key=True) == (7, 7)


def test_where_walks_up_from_unknown_pointers():
    doc = load_yaml(RULESET)
    assert doc.where(("steps", 1, "fee")) == doc.where(("steps", 1)) == (5, 5)
    assert doc.where(("steps", 1, "fee"), key=True) == (5, 5)
    assert doc.where(("steps", 7, "at")) == doc.where(("steps",))
    assert doc.where(("nope", "deeper")) == (1, 1)
    # A list index has no key; key=True falls back to the item itself.
    assert doc.where(("steps", 0), key=True) == (3, 5)


def test_where_in_flow_style_and_in_an_empty_document():
    doc = load_yaml("a: {b: [x, 'y', 3]}\n")
    assert doc.where(("a",)) == (1, 4)
    assert doc.where(("a", "b"), key=True) == (1, 5)
    assert doc.where(("a", "b", 2)) == (1, 17)
    assert load_yaml("").where(("a",)) == (1, 1)


def test_finding_is_located_and_renders_as_path_line_col_code_message():
    doc = load_yaml(RULESET, "rules/acme.yaml")
    f = doc.finding("unknown-key", "unknown key 'fee'", ("steps", 0, "fee"), key=True)
    assert f == Finding("unknown-key", "unknown key 'fee'", "rules/acme.yaml", 4, 5, ("steps", 0, "fee"))
    assert str(f) == "rules/acme.yaml:4:5: unknown-key: unknown key 'fee'"
    assert doc.finding("missing", "no 'fee'", ["steps", 1, "fee"]).pointer == ("steps", 1, "fee")
    assert isinstance(doc, Located) and doc.path == "rules/acme.yaml"


def test_error_message_uses_the_path():
    with pytest.raises(RulesetError) as info:
        load_yaml("a: &x 1\n", "acme.yaml")
    assert str(info.value).startswith("acme.yaml:1:4: yaml-anchor: ")


# --- syntax ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: b: c\n", 1, 5),
        ("a: 1\n b: 2\n", 2, 3),
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: 'unclosed\n", 2, 1),
        ("key: @x\n", 1, 6),
        ("a:\n\tb: 1\n", 2, 1),
        ("- a\nb: 1\n", 2, 1),
    ],
)
def test_syntax_errors_are_located_on_one_line(text, line, col):
    (f,) = findings(text, path="r.yaml")
    assert (f.code, f.line, f.col) == ("yaml-syntax", line, col)
    assert "\n" not in f.message and f.message


def test_syntax_messages_give_advice_for_common_mistakes():
    (tab,) = findings("a:\n\tb: 1\n")
    assert "tab" in tab.message and "spaces" in tab.message
    (colon,) = findings("a: b: c\n")
    assert "quotes" in colon.message


def test_findings_before_a_syntax_error_are_kept():
    assert refused("a: &x 1\nb: 2\nb: 3\nc: [\n") == [
        ("yaml-anchor", 1, 4),
        ("yaml-duplicate-key", 3, 1),
        ("yaml-syntax", 5, 1),
    ]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\ufffe", "\ud800"])
def test_control_characters_are_refused_with_their_position(char):
    assert refused(f"a: 1\nb: x{char}y\n") == [("yaml-syntax", 2, 5)]


# --- size, encoding, depth, node count ----------------------------------------


def test_too_large_is_refused_before_parsing(monkeypatch, loader):
    class Boom:
        def __init__(self, *args):
            raise AssertionError("parsed a file that is too large")

    monkeypatch.setattr(_yaml, "_LOADER", Boom)
    big = "a: " + "x" * 10_000_000 + "\n"
    for text in (big, big.encode()):
        (f,) = findings(text)
        assert (f.code, f.line, f.col) == ("yaml-too-large", 1, 1)
        assert "10,000,004" in f.message and "1,000,000" in f.message
    # Bytes, not characters: 600,000 two-byte characters are 1.2 MB.
    assert refused("ä" * 600_000) == [("yaml-too-large", 1, 1)]
    assert refused("a: 12345\n", max_bytes=8) == [("yaml-too-large", 1, 1)]
    monkeypatch.setattr(_yaml, "_LOADER", loader)  # parse again: exactly at the limit is fine
    assert load_yaml("a: 12345\n", max_bytes=9).data == {"a": 12345}
    assert MAX_BYTES == 1_000_000


def test_not_utf8_is_located():
    (f,) = findings(b"a: 1\nb: caf\xe9\n")
    assert (f.code, f.line, f.col) == ("yaml-not-utf8", 2, 7)
    assert "0xE9" in f.message
    # Columns count characters, not bytes: "a: ää " is 6 characters, 8 bytes.
    assert refused("a: 1\nb: ää ".encode() + b"\xff\n") == [("yaml-not-utf8", 2, 7)]
    # UTF-16 (with its BOM) is not UTF-8 either.
    assert refused("a: 1\n".encode("utf-16")) == [("yaml-not-utf8", 1, 1)]


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_ten_thousand_deep_nesting_is_refused_without_recursion_error(opener):
    closer = "]" if opener == "[" else "}"
    text = opener * 10_000 + closer * 10_000
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(200)  # whatever recursion there is, it must not depend on depth
        found = refused(text)
    finally:
        sys.setrecursionlimit(limit)
    assert found == [("yaml-too-deep", 1, MAX_DEPTH * len(opener) + 1)]


def test_depth_limit_is_exact():
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml(ok).data is not None
    assert refused("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == [("yaml-too-deep", 1, MAX_DEPTH + 1)]
    block = "a:\n  b:\n    c: 1\n"  # three mappings deep
    assert load_yaml(block, max_depth=3).data == {"a": {"b": {"c": 1}}}
    assert refused(block, max_depth=2) == [("yaml-too-deep", 3, 5)]


def test_too_many_nodes(monkeypatch):
    monkeypatch.setattr(_yaml, "MAX_NODES", 10)
    assert load_yaml("[1, 2, 3, 4, 5, 6, 7, 8, 9]").data == list(range(1, 10))  # 10 nodes
    assert refused("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]") == [("yaml-too-many-nodes", 1, 29)]
    assert refused("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n") == [("yaml-too-many-nodes", 5, 4)]  # keys count too


def test_too_many_nodes_at_the_real_limit():
    # The real limit with libyaml (the loader production uses); the pure-Python parser takes
    # seconds for 200,000 nodes, and test_too_many_nodes covers it with a lowered limit.
    _yaml._LOADER = LOADERS[-1]  # the autouse fixture restores it
    text = "[" + "0," * MAX_NODES + "]"  # the list itself plus MAX_NODES items
    assert len(text) < MAX_BYTES
    # Item i (1-based) sits at column 2i; item MAX_NODES is node MAX_NODES + 1.
    assert refused(text) == [("yaml-too-many-nodes", 1, 2 * MAX_NODES)]
    assert len(load_yaml(text[:-3] + "]").data) == MAX_NODES - 1


# --- anchors, aliases, merge keys, tags --------------------------------------


def test_anchors_and_aliases_are_refused():
    assert refused("a: &x 1\nb: *x\nc: &y [1]\n") == [
        ("yaml-anchor", 1, 4),
        ("yaml-alias", 2, 4),
        ("yaml-anchor", 3, 4),
    ]


def test_billion_laughs_is_refused_fast():
    text = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
        f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi")
    )
    start = time.perf_counter()
    found = findings(text)
    assert time.perf_counter() - start < 2  # loose: only proves nothing is expanded
    assert {f.code for f in found} == {"yaml-anchor", "yaml-alias"}
    assert (found[0].code, found[0].line, found[0].col) == ("yaml-anchor", 1, 4)


def test_merge_key_is_refused_but_a_quoted_one_is_text():
    assert refused("base: {a: 1}\nchild:\n  <<: {a: 2}\n  b: 3\n") == [("yaml-merge-key", 3, 3)]
    assert refused("a: &x {b: 1}\nc:\n  <<: *x\n") == [
        ("yaml-anchor", 1, 4),
        ("yaml-merge-key", 3, 3),
        ("yaml-alias", 3, 7),
    ]
    assert load_yaml("'<<': 1\n").data == {"<<": 1}


@pytest.mark.parametrize(
    ("text", "col"),
    [
        ("v: !!python/object/apply:os.system ['echo pwned']\n", 4),
        ("v: !!python/object:builtins.dict {}\n", 4),
        ("v: !!str 1\n", 4),
        ("v: !!int '1'\n", 4),
        ("v: !foo bar\n", 4),
        ("v: ! bar\n", 4),
        ("v: !!map {}\n", 4),
        ("v: !<tag:yaml.org,2002:str> x\n", 4),
        ("- 1\n- !!binary aGk=\n", 3),
    ],
)
def test_tags_are_refused(text, col):
    found = findings(text)
    assert [(f.code, f.col) for f in found] == [("yaml-tag", col)]
    line = text[: text.index("!")].count("\n") + 1
    assert found[0].line == line


def test_tag_message_shows_the_tag():
    (f,) = findings("v: !!python/object/apply:os.system ['ls']\n")
    assert "!!python/object/apply:os.system" in f.message


# --- keys ----------------------------------------------------------------------


def test_duplicate_keys_are_all_reported_with_first_line():
    text = (
        "name: a\n"  # 1
        "steps:\n"  # 2
        "  - at: 1\n"  # 3
        "    at: 2\n"  # 4
        "    at: 3\n"  # 5
        "  - x: {k: 1, k: 2}\n"  # 6
        "name: b\n"  # 7
    )
    found = findings(text)
    assert [(f.code, f.line, f.col) for f in found] == [
        ("yaml-duplicate-key", 4, 5),
        ("yaml-duplicate-key", 5, 5),
        ("yaml-duplicate-key", 6, 15),
        ("yaml-duplicate-key", 7, 1),
    ]
    assert "'at'" in found[0].message and "line 3" in found[0].message
    assert "'at'" in found[1].message and "line 3" in found[1].message
    assert "'k'" in found[2].message and "line 6" in found[2].message
    assert "'name'" in found[3].message and "line 1" in found[3].message
    assert found[0].pointer == ("steps", 0, "at")


def test_same_key_in_different_mappings_is_fine():
    assert load_yaml("a: {x: 1}\nb: {x: 2}\n").data == {"a": {"x": 1}, "b": {"x": 2}}


def test_keys_that_differ_only_in_quoting_are_duplicates():
    assert refused("1: a\n'1': b\n") == [("yaml-duplicate-key", 2, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a, b]: c\n", [("yaml-key-type", 1, 1)]),
        ("{a: 1}: c\n", [("yaml-key-type", 1, 1)]),
        ("a: 1\n? [x, y]\n: z\n", [("yaml-key-type", 2, 3)]),
        ("? {a: 1}\n: z\n", [("yaml-key-type", 1, 3)]),
        ("? |\n  block\n: v\n", [("yaml-key-type", 1, 3)]),
        ("? >\n  folded\n: v\n", [("yaml-key-type", 1, 3)]),
        ("?\n: x\n", [("yaml-key-type", 1, 2)]),
        ("x: [[a]: b]\n", [("yaml-key-type", 1, 5)]),
    ],
)
def test_keys_must_be_plain_or_quoted_strings(text, expected):
    assert refused(text) == expected


def test_a_complex_key_does_not_hide_later_findings():
    assert refused("[a, a]: 1\nb: 2\nb: 3\n") == [("yaml-key-type", 1, 1), ("yaml-duplicate-key", 3, 1)]


def test_explicit_question_mark_keys_are_fine_when_the_key_is_text():
    # yaml.safe_dump writes '? ' for empty, long or multi-line string keys.
    long_key = "k" * 200
    for original in ({"": "a"}, {long_key: ["x", "y"]}, {"two\nlines": "v"}):
        text = yaml.safe_dump(original, default_style='"')
        assert "? " in text
        assert load_yaml(text).data == original
    assert load_yaml("? complex\n: x\n").data == {"complex": "x"}
    assert load_yaml("x: {? a : b}\n").data == {"x": {"a": "b"}}


def test_question_marks_inside_text_are_text():
    text = "q: is it due?\nurl: http://x.test/?a=1\n'? x': y\n"
    assert load_yaml(text).data == {"q": "is it due?", "url": "http://x.test/?a=1", "? x": "y"}


# --- documents -----------------------------------------------------------------


def test_multiple_documents_are_refused():
    assert refused("a: 1\n---\nb: 2\n") == [("yaml-multiple-documents", 2, 1)]
    assert refused("---\na: 1\n...\n---\nb: 2\n") == [("yaml-multiple-documents", 4, 1)]
    assert load_yaml("---\na: 1\n...\n").data == {"a": 1}


def test_all_kinds_of_findings_come_back_in_one_pass():
    text = "a: &x 1\nb: !!str 2\na: 3\n<<: {}\n[k]: v\nc: *x\n"
    assert refused(text) == [
        ("yaml-anchor", 1, 4),
        ("yaml-tag", 2, 4),
        ("yaml-duplicate-key", 3, 1),
        ("yaml-merge-key", 4, 1),
        ("yaml-key-type", 5, 1),
        ("yaml-alias", 6, 4),
    ]


def test_findings_are_capped():
    text = "".join(f"k: {i}\n" for i in range(1000))
    assert len(findings(text)) == _yaml.MAX_FINDINGS


def test_both_parsers_agree():
    assert len(LOADERS) == 2, "PyYAML without libyaml: install the wheel from PyPI, which includes it"
    corpus = [
        RULESET,
        "a: &x 1\nb: *x\n<<: {}\n[k]: v\nc: !!str d\nc: 2\n? e\n: f\n",
        "a: [1, 2\nb: 3\n",
        "a:\n\tb: 1\n",
        "a: 1\n---\nb: 2\n",
        "[" * 100,
        "v: NO\nw: 0.10\nx: 2026-04-01\ny: 7\nz:\n",
    ]

    def outcome(text):
        try:
            doc = load_yaml(text)
            return doc.data, sorted(doc._values.items()), sorted(doc._keys.items())
        except RulesetError as e:
            return [(f.code, f.line, f.col, f.pointer) for f in e.findings]

    results = []
    for loader in LOADERS:
        _yaml._LOADER = loader  # the autouse fixture restores it
        results.append([outcome(text) for text in corpus])
    assert results[0] == results[1]


# --- round trip ------------------------------------------------------------------


class _QuotedDumper(yaml.SafeDumper):
    """Every string double-quoted.  Ints stay plain: a quoted int would need
    an explicit ``!!int`` tag, which load_yaml (rightly) refuses."""


_QuotedDumper.add_representer(
    int, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:int", str(value), style="")
)

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_values = st.recursive(
    st.one_of(_text, st.integers(min_value=-(10**30), max_value=10**30)),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(_text, children, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_text, _values, max_size=5), st.booleans())
def test_quoted_safe_dump_round_trips(original, allow_unicode):
    text = yaml.dump(original, Dumper=_QuotedDumper, default_style='"', allow_unicode=allow_unicode, sort_keys=False)
    assert load_yaml(text).data == original


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(), st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_plain_numbers_round_trip_exactly(number, amount):
    data = load_yaml(f"n: {number}\nd: {amount:f}\n").data
    assert data["n"] == number and type(data["n"]) is int
    assert data["d"] == amount and type(data["d"]) is Decimal


# --------------------------------------------------------------------------- positions inside scalars

@settings(max_examples=300, deadline=None)
@given(value=st.text(st.sampled_from(list("ab z.=()'\"\\\t#:-å€")), min_size=1, max_size=30),
       style=st.sampled_from(["double", "single"]))
def test_locate_finds_each_character_where_the_source_spells_it(value, style):
    """A column inside a quoted scalar counts the source: an escape (\\t, \\", \\u00e5) or a doubled
    '' is one character of the value but several of the file, and findings must point at them."""
    import json as _json
    if style == "double":
        spelt = _json.dumps(value, ensure_ascii=False)
    else:
        if "\t" in value:  # a tab in single quotes is kept as it is; fine, but keep the two styles apart
            value = value.replace("\t", " ")
        spelt = "'" + value.replace("'", "''") + "'"
    source = f"key: {spelt}\n"
    located = load_yaml(source)
    assert located.data["key"] == value
    line = source.splitlines()[0]
    for i, ch in enumerate(value):
        if ch.isspace():
            continue
        row, col = located.locate(("key",), i)
        assert row == 1
        assert line[col - 1] == ch or (style == "double" and line[col - 1] == "\\"), (i, ch, col)
