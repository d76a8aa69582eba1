"""The public API: what `dunningrules/__init__.py` promises and nothing else.

DESIGN.md: "Implementation modules private, a small public API re-exported from
dunningrules/__init__.py" and "One exception root".
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import types
from pathlib import Path

import pytest

import dunningrules
from dunningrules import (
    CalendarError,
    CaseError,
    DunningRulesError,
    InvalidInputError,
    RulesetError,
    compile,
    evaluate,
    load_ruleset,
)

ROOT = Path(__file__).resolve().parents[1]

def _public_attributes() -> set[str]:
    """Names defined in the package namespace that do not start with '_' and are not modules."""
    return {
        name
        for name, value in vars(dunningrules).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_lists_exactly_the_public_names():
    exported = set(dunningrules.__all__)
    public = _public_attributes()
    assert public - exported == set(), "public names missing from __all__"
    assert exported - public == set(), "names in __all__ that the package does not define"


def test_all_has_no_duplicates():
    assert len(dunningrules.__all__) == len(set(dunningrules.__all__))


@pytest.mark.parametrize("name", dunningrules.__all__)
def test_every_name_in_all_exists(name):
    assert hasattr(dunningrules, name)
    assert not isinstance(getattr(dunningrules, name), types.ModuleType), f"{name} is a module"


@pytest.mark.parametrize("name", dunningrules.__all__)
def test_no_private_name_in_all(name):
    assert not name.startswith("_")


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from dunningrules import *", namespace)  # noqa: S102 - a fixed string
    namespace.pop("__builtins__", None)
    assert set(namespace) == set(dunningrules.__all__)


def test_exported_objects_are_defined_inside_the_package():
    # Classes and functions in __all__ live in private modules; their public
    # name is the one in __init__.  (Guards against exporting a module itself.)
    for name in dunningrules.__all__:
        obj = getattr(dunningrules, name)
        module = getattr(obj, "__module__", "")
        assert module == "dunningrules" or module.startswith("dunningrules._"), (name, module)


def test_version_is_a_string():
    assert isinstance(dunningrules.__version__, str) and dunningrules.__version__


# --- the exception tree --------------------------------------------------------

@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (CaseError, InvalidInputError),
        (RulesetError, InvalidInputError),
        (InvalidInputError, DunningRulesError),
        (CalendarError, DunningRulesError),
        (DunningRulesError, Exception),
    ],
)
def test_exception_tree(child, parent):
    assert issubclass(child, parent)


def test_case_and_ruleset_errors_are_distinct_branches():
    assert not issubclass(CaseError, RulesetError)
    assert not issubclass(RulesetError, CaseError)
    assert not issubclass(CalendarError, InvalidInputError)


def test_every_exported_exception_has_the_one_root():
    for name in dunningrules.__all__:
        obj = getattr(dunningrules, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, DunningRulesError), name


def test_invalid_input_errors_carry_every_finding_sorted():
    a = dunningrules.Finding("b-code", "second", "f.yaml", 9, 1)
    b = dunningrules.Finding("a-code", "first", "f.yaml", 2, 5)
    for cls in (RulesetError, CaseError):
        err = cls([a, b])
        assert isinstance(err, DunningRulesError)
        assert err.findings == [b, a]
        assert "(and 1 more)" in str(err)
        assert str(b) in str(err)


def test_finding_renders_as_path_line_col_code_message():
    f = dunningrules.Finding("unknown-key", "unknown key 'stpes'", "r.yaml", 3, 1)
    assert str(f) == "r.yaml:3:1: unknown-key: unknown key 'stpes'"


def test_calendar_error_has_code_and_message():
    e = CalendarError("unknown-country", "unknown country 'XX'")
    assert (e.code, e.message) == ("unknown-country", "unknown country 'XX'")


# --- packaging --------------------------------------------------------------------

def test_py_typed_marker_is_in_the_package():
    marker = importlib.resources.files("dunningrules") / "py.typed"
    assert marker.is_file()


@pytest.mark.parametrize("as_of", ["2026-01-05", dt.datetime(2026, 1, 5, 12, 0), 20260105])
def test_as_of_must_be_a_date(as_of):
    plan = compile(load_ruleset(ROOT / "rulesets" / "no" / "standard.yaml"))
    case = {"id": "A", "due_date": "2026-01-05", "amount": "100.00", "currency": "NOK",
            "events": [{"type": "payment", "date": "2026-01-07", "amount": "10.00"}]}
    with pytest.raises(TypeError, match="as_of must be a datetime.date"):
        evaluate(plan, case, as_of=as_of)
