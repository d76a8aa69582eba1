"""Action texts: Babel formats, the template sandbox and its checks, and golden renderings.

The golden files in tests/golden/texts/ are written by ``scripts/regenerate_texts.py`` from every
shipped template and ``sample_context``; a change in a text shows up here as a diff, to be reviewed
and then regenerated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import importlib.util
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from dunningrules._cli import run
from dunningrules import RulesetError, load_ruleset
from dunningrules._formats import LOCALES, format_date, format_money
from dunningrules._templates import (
    CONTEXT_NAMES,
    FILTERS,
    MAX_TEMPLATE_BYTES,
    TemplateSet,
    check_templates,
    sample_context,
)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "texts"
REGENERATE = "python scripts/regenerate_texts.py"
NBSP = "\u00a0"


def _load_script():
    spec = importlib.util.spec_from_file_location("regenerate_texts", ROOT / "scripts" / "regenerate_texts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


script = _load_script()
TEXTS = script.collect()

NO_TYPES = ["invoice", "reminder", "debt_collection_notice", "eviction_warning", "payment_demand",
            "eviction_petition", "creditor_status_link"]
SE_TYPES = ["debt_collection_notice", "lease_termination", "payment_order_application", "eviction_petition",
            "social_services_notice", "debtor_information", "limitation_interruption"]


# --- formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1234.50", "NOK", "nb", f"1{NBSP}234,50{NBSP}kr"),
        ("1234.50", "SEK", "sv", f"1{NBSP}234,50{NBSP}kr"),
        ("1234.50", "NOK", "en", f"NOK{NBSP}1,234.50"),
        ("1234.50", "SEK", "en", f"SEK{NBSP}1,234.50"),
        ("1234567.5", "NOK", "nb", f"1{NBSP}234{NBSP}567,50{NBSP}kr"),
        ("35", "NOK", "nn", f"35,00{NBSP}kr"),
        ("0.50", "SEK", "sv", f"0,50{NBSP}kr"),
        ("1234.50", "DKK", "da", f"1.234,50{NBSP}kr."),
        ("1234.50", "EUR", "fi", f"1{NBSP}234,50{NBSP}€"),
        ("1234.50", "EUR", "en", "€1,234.50"),  # a symbol, not letters: no space (CLDR currency spacing)
        ("-1234.50", "NOK", "en", f"-NOK{NBSP}1,234.50"),
    ],
)
def test_format_money_exact(amount, currency, language, expected):
    assert format_money(Decimal(amount), currency, language) == expected


def test_format_money_takes_int_and_refuses_float_and_unknown_language():
    assert format_money(100, "NOK", "nb") == f"100,00{NBSP}kr"
    with pytest.raises(TypeError):
        format_money(1.5, "NOK", "nb")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_money(True, "NOK", "nb")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no locale"):
        format_money(Decimal(1), "NOK", "de")
    with pytest.raises(ValueError, match="ISO 4217"):
        format_money(Decimal(1), "kr", "nb")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "16. april 2026"), ("nn", "16. april 2026"), ("sv", "16 april 2026"), ("en", "16 April 2026"),
     ("da", "16. april 2026")],
)
def test_format_date_exact(language, expected):
    assert format_date(dt.date(2026, 4, 16), language) == expected


def test_format_date_refuses_datetime():
    with pytest.raises(TypeError):
        format_date(dt.datetime(2026, 4, 16, 12, 0), "nb")


def test_locales_cover_every_ruleset_language():
    from dunningrules._model import Ruleset

    languages = set(Ruleset.model_fields["language"].annotation.__args__)
    assert languages == set(LOCALES)


# --- golden renderings ---------------------------------------------------------------------------


def test_golden_files_are_exactly_the_shipped_templates():
    on_disk = sorted(p.name for p in GOLDEN.glob("*.txt"))
    expected = sorted(t.path.name for t in TEXTS)
    assert on_disk == expected, f"regenerate with: {REGENERATE}"


def test_every_required_text_is_shipped():
    names = {(t.country, t.language, t.action_type) for t in TEXTS}
    required = {("no", lang, a) for lang in ("nb", "en") for a in NO_TYPES}
    required |= {("se", lang, a) for lang in ("sv", "en") for a in SE_TYPES}
    assert required <= names, sorted(required - names)
    assert len(TEXTS) == 28


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: t.name)
def test_golden_text_matches_fresh_rendering(text):
    expected = text.path.read_text(encoding="utf-8")
    actual = script.render(text)
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"{text.path} (golden)", tofile=f"{text.template} (rendered)",
        ))
        pytest.fail(f"{text.name} differs; review, then regenerate with: {REGENERATE}\n{diff}")


def test_regenerate_script_check_passes(capsys):
    assert script.main(["--check"]) == 0


@pytest.mark.parametrize(("country", "languages"), [("no", ["nb", "en"]), ("se", ["sv", "en"])])
def test_shipped_templates_check_clean(country, languages):
    ruleset = load_ruleset(ROOT / "rulesets" / country / "standard.yaml")
    action_types = sorted({step.action for step in ruleset.steps})
    assert check_templates(ROOT / "rulesets" / country, action_types, languages, currency=ruleset.currency) == []


def test_golden_texts_carry_what_the_law_asks():
    def text(name):
        return (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")

    notice = text("no-nb-debt_collection_notice")
    assert "Betalingsfrist: 21. april 2026" in notice and "14 dager" in notice
    assert f"12{NBSP}619,69{NBSP}kr" in notice and f"37,50{NBSP}kr" in notice and "inkassoloven § 9" in notice and "kostnader" in notice
    warning = text("no-nb-eviction_warning")
    assert "21. april 2026" in warning and "namsmannen" in warning and "§ 4-18" in warning
    demand = text("no-nb-payment_demand")
    assert "6. mai 2026" in demand and "inkassoloven § 10" in demand
    for lang in ("nb", "en"):
        assert "gebyr" not in text(f"no-{lang}-reminder").lower() and "fee" not in text(f"no-{lang}-reminder")
    petition = text("no-nb-eviction_petition")
    assert "Kari Nordmann" in petition and "Storgata 12 B" in petition and "§ 13-2" in petition
    krav = text("se-sv-debt_collection_notice")
    assert "Fordringsägare: Bostadsbolaget i Uppsala AB" in krav and "16 juni 2026" in krav and "5 §" in krav
    social = text("se-sv-social_services_notice")
    assert "Anna Svensson" in social and "Storgatan 5" in social and f"10{NBSP}362,16{NBSP}kr" in social
    assert "12 kap. 44 §" in social


# --- TemplateSet ---------------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _action(body: str, subject: str = "S") -> str:
    return "{% block subject %}" + subject + "{% endblock %}\n{% block body %}\n" + body + "\n{% endblock %}\n"


def _check(root: Path, types=("invoice",), languages=("nb",)):
    return check_templates(root, types, languages, currency="NOK")


def test_sample_context_gives_exactly_the_context_names():
    for language, currency in (("nb", "NOK"), ("sv", "SEK"), ("en", "NOK"), ("en", "EUR")):
        for sparse in (False, True):
            context = sample_context(language, currency, sparse=sparse)
            assert set(context) == set(CONTEXT_NAMES)
            claim = context["claim"]
            assert claim["total"] == claim["principal"] + claim["fees"] + claim["interest"]
    assert set(FILTERS) == {"money", "date"}


def test_render_returns_tidy_subject_and_body(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": (
        "{% block subject %}\n  Faktura\n  {{ case.id }}  {% endblock %}\n"
        "{% block body %}\n\n\nHei {{ debtor.name }}!   \n\n\n\n{{ claim.total|money }} innen "
        "{{ case.due_date|date }}\n\n{% endblock %}\n")})
    subject, body = TemplateSet(tmp_path).render("invoice", "nb", sample_context("nb", "NOK", action_type="invoice"))
    assert subject == "Faktura NO-2026-0042"
    assert body == f"Hei Kari Nordmann!\n\n12{NBSP}500,00{NBSP}kr innen 18. mars 2026"


def test_render_extends_and_includes_relative_to_the_file(tmp_path):
    _write(tmp_path, {
        "nb/base.j2": "{% block subject %}Sak {{ case.id }}{% endblock %}\n"
                      "{% block body %}{% include 'parts/hello.j2' %}{% endblock %}\n",
        "nb/parts/hello.j2": "Hei {{ debtor.name }}\n{% include '../../common.j2' %}\n",
        "common.j2": "Felles\n",
        "nb/reminder.j2": "{% extends 'base.j2' %}{% block body %}{{ super() }}Betal.{% endblock %}",
    })
    ts = TemplateSet(tmp_path)
    assert ts.available("reminder", "nb") and not ts.available("invoice", "nb")
    subject, body = ts.render("reminder", "nb", sample_context("nb", "NOK", action_type="reminder"))
    assert (subject, body) == ("Sak NO-2026-0042", "Hei Kari Nordmann\nFelles\nBetal.")
    assert _check(tmp_path, ("reminder",)) == []


def test_render_takes_the_engine_objects(tmp_path):
    import dataclasses

    from dunningrules import Debtor
    from dunningrules._money import Claim

    context = sample_context("nb", "NOK", action_type="debt_collection_notice")
    fields = {f.name: Decimal("0") for f in dataclasses.fields(Claim)}
    context["claim"] = Claim(**{**fields, **{k: v for k, v in context["claim"].items() if k in fields}})
    context["debtor"] = Debtor(name="Ola Nordmann", address="Gata 1, 0150 Oslo", language="nb", phone="+47 000")
    _write(tmp_path, {"nb/debt_collection_notice.j2": _action(
        "{{ debtor.name }} ({{ debtor.phone }}): {{ claim.total|money }}\n{{ claim.totl }}")})
    with pytest.raises(RulesetError) as err:
        TemplateSet(tmp_path).render("debt_collection_notice", "nb", context)
    assert "claim.totl is not defined; did you mean 'total'?" in str(err.value)
    _write(tmp_path, {"nb/debt_collection_notice.j2": _action("{{ debtor.name }} ({{ debtor.phone }}): "
                                                              "{{ claim.total|money }}")})
    _, body = TemplateSet(tmp_path).render("debt_collection_notice", "nb", context)
    assert body == f"Ola Nordmann (+47 000): 12{NBSP}619,69{NBSP}kr"


def test_render_refuses_a_bad_context_and_reports_a_missing_template(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("x")})
    ts = TemplateSet(tmp_path)
    context = sample_context("nb", "NOK")
    with pytest.raises(ValueError, match="unknown"):
        ts.render("invoice", "nb", {**context, "today": dt.date(2026, 1, 1)})
    with pytest.raises(ValueError, match="missing"):
        ts.render("invoice", "nb", {k: v for k, v in context.items() if k != "fee"})
    with pytest.raises(ValueError, match="language"):
        ts.render("invoice", "nb", {**context, "language": "en"})
    with pytest.raises(RulesetError) as err:
        ts.render("reminder", "nb", context)
    assert err.value.findings[0].code == "template-missing"
    assert not ts.available("../invoice", "nb") and not ts.available("invoice", "../nb")
    with pytest.raises(ValueError):
        ts.render("../../x", "nb", context)


def test_render_error_is_a_located_ruleset_error(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("line\n{{ debtor.nmae }}")})
    with pytest.raises(RulesetError) as err:
        TemplateSet(tmp_path).render("invoice", "nb", sample_context("nb", "NOK"))
    (finding,) = err.value.findings
    assert (finding.code, finding.line, finding.col) == ("template-undefined", 4, 11)
    assert finding.path == str(tmp_path / "templates" / "nb" / "invoice.j2")
    assert "did you mean 'name'" in finding.message
    assert str(finding).startswith(f"{finding.path}:4:11: template-undefined: debtor.nmae")


# --- check codes ---------------------------------------------------------------------------------


def _codes(findings):
    return [(f.code, f.line) for f in findings]


def test_check_syntax(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("ok\n{% if %}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-syntax", 4)


def test_check_unknown_filter_is_a_syntax_finding_with_the_filters(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{{ claim.total|mony }}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-syntax", 3) and "did you mean 'money'" in f.message


def test_check_blocks(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": "{% block subject %}S{% endblock %}\nno body\n"})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-blocks", 1) and "body" in f.message


def test_check_unknown_variable_with_suggestion(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("a\nb\n{{ debtr.name }}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line, f.col) == ("template-unknown-variable", 5, 4)
    assert "did you mean 'debtor'" in f.message


def test_check_no_clock_and_no_other_globals(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{{ now() }} {{ today }} {{ lipsum(10**9) }} {{ cycler }} {{ joiner }}")})
    findings = _check(tmp_path)
    assert {f.code for f in findings} == {"template-unknown-variable"} and len(findings) == 5


def test_check_include_outside_and_missing(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{% include 'nope.j2' %}\n{% include '../../x.j2' %}")})
    assert _codes(_check(tmp_path)) == [("template-missing-include", 3), ("template-outside-tree", 4)]


def test_check_undefined_attribute(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{{ debtor.nmae }}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-undefined", 3) and "debtor.nmae" in f.message


@pytest.mark.parametrize(("body", "line"), [("Fra {{ creditor.name }}\n{{ fee|money }}", 3),
                                            ("Fra {{ creditor.name or 'utleier' }}\n{{ fee|money }}", 4)])
def test_check_undefined_when_an_optional_value_is_none(tmp_path, body, line):
    # the sample inkassovarsel has a fee and a creditor; the sparse dry run has neither
    _write(tmp_path, {"nb/debt_collection_notice.j2": _action(body)})
    (f,) = _check(tmp_path, ("debt_collection_notice",))
    assert (f.code, f.line) == ("template-undefined", line) and "optional values are not set" in f.message
    _write(tmp_path, {"nb/debt_collection_notice.j2": _action("Fra {{ creditor.name or 'utleier' }}\n"
                                                              "{% if fee %}{{ fee|money }}{% endif %}")})
    assert _check(tmp_path, ("debt_collection_notice",)) == []


def test_check_error(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("x\n{{ 1 // 0 }}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-error", 4) and f.message == "division by zero"


@pytest.mark.parametrize(("expr", "hint"), [("claim.total", "|money"), ("action.date", "|date"),
                                             ("action.channels", "join")])
def test_check_raw_values_are_errors(tmp_path, expr, hint):
    _write(tmp_path, {"nb/invoice.j2": _action("{{ " + expr + " }}")})
    (f,) = _check(tmp_path)
    assert f.code == "template-error" and hint in f.message


def test_check_too_large(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("x" * MAX_TEMPLATE_BYTES)})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-too-large", 1)


@pytest.mark.parametrize("body", [
    "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",            # the parser recurses per parenthesis
    "{{ x" + "|upper" * 2000 + " }}",                         # and per filter
    "{% for a in [1] %}" * 101 + "x" + "{% endfor %}" * 101,  # Python: at most 100 nested blocks
    "{% if true %}" * 120 + "x" + "{% endif %}" * 120,
])
def test_check_too_deep_is_a_finding_not_a_crash(tmp_path, body):
    _write(tmp_path, {"nb/invoice.j2": _action(body), "nb/reminder.j2": _action("{{ nothing }}")})
    found = _check(tmp_path)
    assert [(f.code, Path(f.path).name, f.line) for f in found if f.code == "template-too-deep"] == \
        [("template-too-deep", "invoice.j2", 1)]
    assert any(f.code == "template-unknown-variable" for f in found)  # the other files are still checked


def test_check_not_utf8(tmp_path):
    path = tmp_path / "templates" / "nb" / "invoice.j2"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{% block subject %}S{% endblock %}\n\xff\n")
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-error", 2)


def test_check_partials_statically_only(tmp_path):
    _write(tmp_path, {"nb/parts/x.j2": "{{ debtr }}", "nb/invoice.j2": _action("ok")})
    assert _codes(_check(tmp_path)) == [("template-unknown-variable", 1)]


def test_check_never_raises_and_no_templates_folder_is_clean(tmp_path):
    assert _check(tmp_path) == []


# --- escape payloads -----------------------------------------------------------------------------

PAYLOADS = {
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "format": "{{ '{0.__class__}'.format(1) }}",
    "format-indirect": "{% set f = 'x'.format %}{{ f }}",
    "multiply": "{{ 'a' * 100000000 }}",
    "range": "{% for i in range(10**9) %}x{% endfor %}",
    "power": "{{ 9**9**9 }}",
    "percent": "{{ '%999999999d' % 1 }}",
    "center": "{{ 'x'.center(1000000000) }}",
    "replace-method": "{{ 'ab'.replace('', 'x') }}",
    "item": "{% set x = '__cla' ~ 'ss__' %}{{ ''[x] }}",
    "doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "nested-loops": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "recursive-macro": "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "join": "{{ ['x' * 100000] * 100|join }}",
    "replace-filter": "{{ 'ab'|replace('', 'x' * 99999, -1) }}",
    "indent": "{{ 'a'|indent(1000000000) }}",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_escape_payload_refused_at_check_time(tmp_path, name):
    _write(tmp_path, {"nb/invoice.j2": _action(PAYLOADS[name])})
    start = time.monotonic()
    findings = _check(tmp_path)
    assert time.monotonic() - start < 10
    codes = {f.code for f in findings}
    assert codes & {"template-unsafe", "template-error"}, findings
    assert all(f.line == 3 for f in findings if f.code in ("template-unsafe", "template-error"))
    with pytest.raises(RulesetError):  # and refused when rendered, whatever the check said
        TemplateSet(tmp_path).render("invoice", "nb", sample_context("nb", "NOK"))


def test_unsafe_attribute_refused_in_a_branch_the_dry_run_never_reaches(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{% if false %}\n{{ ''.__class__ }}\n{% endif %}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line, f.col) == ("template-unsafe", 4, 7)


def test_include_of_system_file_refused_without_reading_it(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("{% include '../../../etc/passwd' %}")})
    (f,) = _check(tmp_path)
    assert (f.code, f.line) == ("template-outside-tree", 3)
    with pytest.raises(RulesetError) as err:
        TemplateSet(tmp_path).render("invoice", "nb", sample_context("nb", "NOK"))
    assert err.value.findings[0].code == "template-outside-tree" and "root:" not in str(err.value)


@pytest.mark.parametrize("name", ["/etc/passwd", "../invoice.j2/../../../x"])
def test_absolute_and_dotted_names_refused(tmp_path, name):
    _write(tmp_path, {"nb/invoice.j2": _action("{% include '" + name + "' %}")})
    assert _codes(_check(tmp_path)) == [("template-outside-tree", 3)]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_pointing_outside_refused(tmp_path):
    secret = tmp_path / "secret.j2"
    secret.write_text(_action("SECRET"), encoding="utf-8")
    root = tmp_path / "ruleset"
    (root / "templates" / "nb").mkdir(parents=True)
    (root / "templates" / "nb" / "invoice.j2").symlink_to(secret)
    (root / "templates" / "nb" / "outside").symlink_to(tmp_path)
    _write(root, {"nb/reminder.j2": _action("{% include 'outside/secret.j2' %}")})
    findings = check_templates(root, ["invoice", "reminder"], ["nb"])
    assert [(Path(f.path).name, f.code, f.line) for f in findings] == [
        ("invoice.j2", "template-outside-tree", 1),
        ("outside", "template-outside-tree", 1),
        ("reminder.j2", "template-outside-tree", 3),
    ]
    ts = TemplateSet(root)
    for action in ("invoice", "reminder"):
        with pytest.raises(RulesetError) as err:
            ts.render(action, "nb", sample_context("nb", "NOK"))
        assert err.value.findings[0].code == "template-outside-tree"
        assert "SECRET" not in str(err.value)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_inside_the_tree_is_fine(tmp_path):
    _write(tmp_path, {"nb/invoice.j2": _action("Hei")})
    (tmp_path / "templates" / "nb" / "reminder.j2").symlink_to(tmp_path / "templates" / "nb" / "invoice.j2")
    assert _check(tmp_path, ("invoice", "reminder")) == []


# --- what the check compiles is what renders -------------------------------------------------------


def _counting(monkeypatch, name):
    from dunningrules import _templates

    calls = []
    method = getattr(_templates._Environment, name)

    def counted(self, source, template_name=None, *args, **kwargs):
        calls.append(template_name)
        return method(self, source, template_name, *args, **kwargs)

    monkeypatch.setattr(_templates._Environment, name, counted)
    return calls


def test_check_parses_and_compiles_each_file_once(tmp_path, monkeypatch):
    _write(tmp_path, {
        "nb/invoice.j2": _action("{% include 'parts/x.j2' %}"),
        "nb/reminder.j2": "{% extends 'zbase.j2' %}{% block body %}{% include 'parts/x.j2' %}{% endblock %}",
        "nb/zbase.j2": "{% block subject %}S{% endblock %}{% block body %}{% endblock %}",
        "nb/parts/x.j2": "{% for c in action.channels %}{{ c }} {% endfor %}",
    })
    parses, compiles = _counting(monkeypatch, "parse"), _counting(monkeypatch, "compile")
    assert _check(tmp_path, ("invoice", "reminder")) == []
    files = ["nb/invoice.j2", "nb/parts/x.j2", "nb/reminder.j2", "nb/zbase.j2"]
    assert sorted(parses) == files and sorted(compiles) == files


def test_check_reads_the_authors_tree_and_finds_blocks_in_a_parent_later_in_the_folder(tmp_path):
    # compiling wraps loops in the _iterations filter, which the check refuses in a template
    _write(tmp_path, {"nb/invoice.j2": "{% extends 'zbase.j2' %}{% block body %}"
                                       "{% for c in action.channels %}{{ c }}{% endfor %}{% endblock %}",
                      "nb/zbase.j2": "{% block subject %}S{% endblock %}"})
    assert _check(tmp_path) == []
    _write(tmp_path, {"nb/zbase.j2": "{% block title %}S{% endblock %}"})
    assert _codes(_check(tmp_path)) == [("template-blocks", 1)]
    _write(tmp_path, {"nb/zbase.j2": "{% block subject %}{% if %}{% endblock %}"})
    assert _codes(_check(tmp_path)) == [("template-syntax", 1)]  # the parent's, not the child's blocks


def _without_reading_or_compiling(monkeypatch, render):
    from dunningrules import _templates

    with monkeypatch.context() as m:
        m.setattr(_templates._TreeLoader, "get_source", lambda *a: pytest.fail("read again"))
        m.setattr(_templates._Environment, "compile", lambda *a, **k: pytest.fail("compiled again"))
        return render()


def _findings(render):
    with pytest.raises(RulesetError) as err:
        render()
    return err.value.findings


def test_checked_set_renders_with_the_code_the_check_compiled(tmp_path, monkeypatch):
    _write(tmp_path, {
        "nb/invoice.j2": _action("Hei {% include 'parts/x.j2' %}\n"
                                 "{% if case.id == 'X-1' %}{% for i in range(9999) %}{% for j in range(9999) %}"
                                 "{% endfor %}{% endfor %}{% endif %}\n"
                                 "{% if case.id == 'X-2' %}{{ 1 // 0 }}{% endif %}"),
        "nb/parts/x.j2": "{{ debtor.name }}",
    })
    ts = TemplateSet(tmp_path)
    assert ts.check(["invoice"], ["nb"], currency="NOK") == []
    checked = ts.checked()
    context = sample_context("nb", "NOK", action_type="invoice")
    assert _without_reading_or_compiling(monkeypatch, lambda: checked.render("invoice", "nb", context)) == (
        "S", "Hei Kari Nordmann")
    # the same sandbox (the loop budget), and errors located as by a set that reads the file
    for case_id, code, line in (("X-1", "template-unsafe", 4), ("X-2", "template-error", 5)):
        bad = {**context, "case": {**context["case"], "id": case_id}}
        (finding,) = _without_reading_or_compiling(monkeypatch, lambda: _findings(
            lambda: checked.render("invoice", "nb", bad)))
        assert (finding.code, finding.line) == (code, line)
        assert [finding] == _findings(lambda: TemplateSet(tmp_path).render("invoice", "nb", bad))
    # a file changed since the check is read and compiled anew
    part = tmp_path / "templates" / "nb" / "parts" / "x.j2"
    mtime = part.stat().st_mtime_ns
    part.write_text("{{ debtor.name|upper }}", encoding="utf-8")
    os.utime(part, ns=(mtime + 10**9, mtime + 10**9))
    assert checked.render("invoice", "nb", context) == ("S", "Hei KARI NORDMANN")
    assert ts.checked().render("invoice", "nb", context) == ("S", "Hei KARI NORDMANN")


def test_loaded_ruleset_renders_without_reading_its_templates_again(monkeypatch):
    ruleset = load_ruleset(ROOT / "rulesets" / "no" / "standard.yaml")
    chain = ruleset._origin.templates
    subject, body = _without_reading_or_compiling(
        monkeypatch, lambda: chain.render("debt_collection_notice", "nb", sample_context("nb", "NOK")))
    assert subject and "Kari Nordmann" in body


# --- one code-generation pass --------------------------------------------------------------------

_TREES = [
    *(p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("rulesets/*/templates/**/*.j2"))),
    '{% set n = namespace(s="") %}{% for i in range(3) recursive %}{{ loop(range(i)) }}{% endfor %}'
    "{% macro m(a) %}{% for q in a %}{{ q ~ x }}{% endfor %}{% endmacro %}{{ m([1]) }}{{ n.s }}",
    '{% for k, v in {"a": 1}|dictsort if v > undeclared_in_test %}{{ k }}{% else %}{{ y }}{% endfor %}',
    '{% set a = 1 %}{% for i in items %}{% set b = i %}{{ a ~ b ~ c }}{% endfor %}{{ b }}{{ i }}',
    "{% block body %}{% for c in action.channels %}{{ c }}{% endfor %}{% endblock %}",
]


@pytest.mark.parametrize("source", _TREES, ids=range(len(_TREES)))
def test_compiling_notes_the_names_jinja_finds_undeclared_and_gives_the_loops_back(source, tmp_path):
    from jinja2 import meta, nodes

    from dunningrules._templates import _Environment

    env = _Environment(tmp_path)
    expected = meta.find_undeclared_variables(env.parse(source))
    tree = env.parse(source)
    env.compile(tree, "nb/x.j2")
    assert env.read_names == expected
    assert not any(f.name == "_iterations" for f in tree.find_all(nodes.Filter))  # the author's tree
    assert "environment.filters['_iterations']" in env.compile(source, "nb/x.j2", raw=True) or "{% for" not in source


def test_a_notice_that_fails_on_one_case_names_the_case_and_the_step(tmp_path):
    import shutil

    folder = tmp_path / "no"
    shutil.copytree(ROOT / "rulesets" / "no", folder)
    (folder / "templates" / "nb" / "reminder.j2").write_text(
        '{% block subject %}x{% endblock %}{% block body %}{% if debtor.name == "Ola Nordmann" %}'
        '{{ claim.total / 0 }}{% endif %}{% endblock %}', encoding="utf-8")
    cases = ROOT / "examples" / "no-cases.jsonl"
    out, err = io.StringIO(), io.StringIO()
    assert run(["schedule", str(folder / "standard.yaml"), str(cases), "--with-text", "--jobs", "1"], out, err) == 1
    at_case, at_template = err.getvalue().splitlines()  # the case first, then why
    assert at_case.startswith(f"{cases}:2:1: case-text-failed: the notice of step reminder-1 could not be written")
    assert at_case.endswith("this case's schedule is left out")
    assert at_template.endswith(": template-error: division by zero (the notice of step reminder-1 for case "
                                "NO-2026-002)")
    assert len(out.getvalue().splitlines()) == len(cases.read_text().splitlines()) - 1


def test_a_template_reads_the_debtors_kind_and_other_attributes_behind_is_defined(tmp_path):
    import shutil

    folder = tmp_path / "no"
    shutil.copytree(ROOT / "rulesets" / "no", folder)
    (folder / "templates" / "nb" / "reminder.j2").write_text(
        "{% block subject %}x{% endblock %}{% block body %}"
        "{% if debtor.kind is defined %}kind={{ debtor.kind }}{% endif %};"
        "{% if debtor.unit is defined %}unit={{ debtor.unit }}{% endif %}{% endblock %}", encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"id": "K", "due_date": "2026-03-18", "amount": "9500.00", "currency": "NOK",
                                "debtor": {"name": "Acme AS", "language": "nb", "kind": "organisation",
                                           "unit": "H0301"}}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["render", str(folder / "standard.yaml"), str(case), "--step", "reminder-1"], out, err) == 0, \
        err.getvalue()
    assert "kind=organisation;unit=H0301" in out.getvalue()
