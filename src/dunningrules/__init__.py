"""dunningrules: rent-collection processes as configuration.

The pipeline reads one way::

    load_ruleset(path) -> Ruleset      strict YAML, JSON Schema, bases merged, semantic checks
    compile(ruleset)   -> Plan         once per ruleset
    evaluate(plan, case, as_of) -> Schedule   many times; pure and deterministic

Everything here is the public API; modules starting with ``_`` are private.
"""

from ._compile import Plan, compile
from ._errors import (
    CalendarError,
    CaseError,
    DunningRulesError,
    Finding,
    InvalidInputError,
    RulesetError,
)
from ._evaluate import case_from_data, evaluate
from ._load import load_ruleset, parse_ruleset
from ._model import Case, Debtor, Event, Ruleset, Step
from ._schedule import Action, RulesetRef, Schedule
from ._schema import ruleset_schema
from ._show import effective_ruleset

__version__ = "0.1.0"

__all__ = [
    "Action",
    "CalendarError",
    "Case",
    "CaseError",
    "Debtor",
    "DunningRulesError",
    "Event",
    "Finding",
    "InvalidInputError",
    "Plan",
    "Ruleset",
    "RulesetError",
    "RulesetRef",
    "Schedule",
    "Step",
    "case_from_data",
    "compile",
    "effective_ruleset",
    "evaluate",
    "load_ruleset",
    "parse_ruleset",
    "ruleset_schema",
]
