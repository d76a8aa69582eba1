"""The published JSON Schema and the pydantic models say the same thing."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from dunningrules import ruleset_schema
from dunningrules import _model
from dunningrules._yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "schemas" / "ruleset.schema.json"
# Rulesets (not rate tables or other data files that live beside them).
SHIPPED = sorted(p for p in (ROOT / "rulesets").rglob("*.yaml")
                 if "\ndunningrules: 1\n" in p.read_text(encoding="utf-8"))
MODELS = [_model.Ruleset, _model.Extension, _model.StepPatch, _model.Calendar, _model.Step, _model.Deadline, _model.Repeat, _model.Pause,
          _model.Defaults, _model.FactDecl]


def published() -> dict:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def test_published_schema_is_generated_from_the_models():
    assert published() == ruleset_schema(), "run: python scripts/generate_schema.py"


def test_generate_script_check_mode_passes():
    done = subprocess.run([sys.executable, "scripts/generate_schema.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_published_schema_is_valid_draft_2020_12():
    schema = published()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_field_is_a_schema_property_and_required_ones_agree(model):
    schema = published()
    node = schema["$defs"][model.__name__]
    assert set(node["properties"]) == set(model.model_fields)
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    assert set(node.get("required", [])) == required
    assert node["additionalProperties"] is False  # unknown keys are refused by both


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_rulesets_validate_against_the_published_schema(path):
    data = load_yaml(path.read_text(encoding="utf-8"), str(path)).data
    jsonschema.Draft202012Validator(published()).validate(json.loads(json.dumps(data, default=str)))
    (_model.Extension if "extends" in data else _model.Ruleset).model_validate(data)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_rulesets_point_editors_at_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/ruleset.schema.json"


@pytest.mark.parametrize(
    "patch",
    [
        {"jurisdiction": "NOR"},
        {"steps": []},
        {"currency": "nok"},
        {"dunningrules": 2},
        {"unknown": 1},
    ],
)
def test_schema_and_model_refuse_the_same_documents(patch):
    data = load_yaml((ROOT / "rulesets/no/standard.yaml").read_text(encoding="utf-8")).data
    bad = {**data, **patch}
    schema_ok = jsonschema.Draft202012Validator(published()).is_valid(json.loads(json.dumps(bad, default=str)))
    try:
        _model.Ruleset.model_validate(bad)
        model_ok = True
    except Exception:
        model_ok = False
    assert schema_ok is False and model_ok is False
