"""The published JSON Schema, generated from the models, and validation against it.

The schema is what editors use for completion (`# yaml-language-server:
$schema=...`) and what the loader checks a ruleset tree against before the
models see it: jsonschema reports every violation with its path, which the
located tree turns into line and column.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import jsonschema
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from ._errors import Finding, did_you_mean
from ._model import BASE_REF_PATTERN, Extension, Ruleset
from ._yaml import Located

SCHEMA_ID = "https://dunningrules.dev/schemas/ruleset.schema.json"
YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "true", "false"}
# What the model's patterns mean, in words, for messages.
PATTERN_WORDS = {
    r"^[a-z][a-z0-9_]*(-[a-z0-9][a-z0-9_]*)*$":
        "an identifier: lowercase letters, digits and _, parts joined by single hyphens, "
        "starting with a letter (reminder-1)",
    r"^x-[a-z][a-z0-9_-]*$": "a custom name x-something (lowercase)",
    r"^[A-Z]{3}$": "a three-letter currency code in capitals (NOK, SEK)",
    r"^(\d{4}-)?\d{2}-\d{2}$": "a closing day MM-DD (every year) or YYYY-MM-DD (once)",
    r"^[a-z][a-z0-9_]*$": "a lowercase name (letters, digits, _)",
    r"^[a-z]{2}$": "a two-letter language code (nb, sv, en)",
    BASE_REF_PATTERN: "a ruleset id (se-standard) or the path of a .yaml file (../se/standard.yaml)",
    r"^[0-9]+(\.[0-9]{1,2})?$": "an amount: plain digits with at most two decimals (37.50)",
}


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, tidied for a published contract."""

    def nullable_schema(self, schema: Any) -> dict[str, Any]:
        # `x: str | None = None` means "may be left out", not "may be null":
        # a bare `legal_basis:` in YAML is almost always a mistake.
        return self.generate_inner(schema["schema"])

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@functools.cache
def ruleset_schema() -> dict[str, Any]:
    """The JSON Schema of a ruleset, as published in schemas/ruleset.schema.json.

    A file with `extends` is an Extension (only what differs from its base), any other
    file a whole Ruleset; `if`/`then`/`else` picks one, so errors come from that one only.
    """
    _, top = models_json_schema([(Ruleset, "validation"), (Extension, "validation")],
                                schema_generator=_Generator)
    for model in top["$defs"].values():
        model.pop("title", None)
        for prop in model.get("properties", {}).values():
            if "default" in prop and prop["default"] is None:  # "may be left out", never null
                del prop["default"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dunningrules ruleset (DSL version 1)",
        "description": "A collection process (Ruleset), or one that extends another (Extension).",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/Extension"},
        "else": {"$ref": "#/$defs/Ruleset"},
        "$defs": top["$defs"],
    }


def schema_text() -> str:
    return json.dumps(ruleset_schema(), indent=2, ensure_ascii=False) + "\n"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(ruleset_schema())


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"string {value!r}"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"number {value}"



def _leaves(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For anyOf/oneOf, the branch error that says most about what was meant."""
    while error.context:
        # A value where a number or text may go is told what its own type's branch says of it
        # (a pattern for text, a bound for a number); where several branches take its type (a
        # word that is neither one of a list nor an x-name), the best of all, with did-you-mean.
        fitting = [e for e in error.context if e.validator != "type"]
        if fitting and all(e.validator in ("type", fitting[0].validator) for e in error.context):
            error = jsonschema.exceptions.best_match(fitting)
        else:
            error = jsonschema.exceptions.best_match(error.context)
    return error


def _finding(located: Located, error: jsonschema.ValidationError) -> list[Finding]:
    error = _leaves(error) if error.validator in ("anyOf", "oneOf") else error
    pointer = tuple(error.absolute_path)
    where = ".".join(str(p) for p in pointer) or "the ruleset"
    kind, instance, expected = error.validator, error.instance, error.validator_value
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in instance:
            if key not in allowed:
                out.append(
                    located.finding(
                        "unknown-key",
                        f"unknown key {key!r} in {where}{did_you_mean(key, allowed)}"
                        f" (allowed: {', '.join(allowed)})",
                        (*pointer, key),
                        key=True,
                    )
                )
        return out
    if kind == "required":
        missing = [k for k in expected if k not in instance]
        return [
            located.finding("missing-key", f"{where} needs the key {k!r}", pointer, key=bool(pointer))
            for k in missing
        ]
    if kind == "type":
        want = expected if isinstance(expected, str) else " or ".join(expected)
        msg = f"{where} must be {want}, not {_describe(instance)}"
        if want == "boolean" and isinstance(instance, str) and instance.lower() in YAML11_BOOLEANS:
            msg += "; only true and false are booleans here"
        if isinstance(instance, (bool, int, Decimal)) and want == "string":
            msg += "; quote it"
        return [located.finding("wrong-type", msg, pointer)]
    if kind in ("enum", "const"):
        options = [str(o) for o in (expected if kind == "enum" else [expected])]
        hint = did_you_mean(str(instance), options) if isinstance(instance, str) else ""
        if any(p in ("action", "channels", "recipient") for p in pointer[-2:]):
            hint += " (custom values are written x-name)"
        return [
            located.finding(
                "invalid-value",
                f"{where} is {_describe(instance)}{hint}; expected one of: {', '.join(options)}",
                pointer,
            )
        ]
    if kind in ("exclusiveMinimum", "minimum", "maximum", "exclusiveMaximum"):
        bound = {"exclusiveMinimum": "more than", "minimum": "at least", "maximum": "at most",
                 "exclusiveMaximum": "less than"}[kind]
        return [located.finding("invalid-value", f"{where} must be {bound} {expected}, not {instance}", pointer)]
    if kind == "maxItems" and isinstance(instance, list):
        return [located.finding("invalid-value", f"{where} has {len(instance):,} items; the limit is {expected:,}",
                                pointer)]
    if kind == "maxLength" and isinstance(instance, str):  # without echoing what may be megabytes
        return [located.finding("invalid-value", f"{where} has {len(instance):,} characters; the limit is "
                                f"{expected:,}", pointer)]
    if kind == "pattern":
        wanted = PATTERN_WORDS.get(expected, f"text matching {expected}")
        return [located.finding("invalid-format", f"{where} is {_describe(instance)}; expected {wanted}", pointer)]
    return [located.finding("invalid-value", f"{where}: {error.message}", pointer)]


def validate_tree(located: Located) -> list[Finding]:
    """Every schema violation of a loaded ruleset tree, located."""
    findings: list[Finding] = []
    for error in _validator().iter_errors(located.data):
        findings.extend(_finding(located, error))
    # One error can name every missing key, and jsonschema reports `required` once per key:
    # keep each finding once.  A value refused both for its type and as not one of the allowed
    # values (`dunningrules: 01`) is one problem: the list of allowed values says more.
    listed = {f.pointer for f in findings if f.code == "invalid-value" and "expected one of" in f.message}
    return [f for f in dict.fromkeys(findings) if not (f.code == "wrong-type" and f.pointer in listed)]
