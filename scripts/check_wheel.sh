#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the checkout, and use it
# as a housing company would: a ruleset of its own that extends a shipped base by id, linted
# against the shipped policy. Catches data files missing from the wheel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/dunningrules-*.whl
mkdir -p "$work/company/rulesets"
cat > "$work/company/rulesets/acme.yaml" <<'YAML'
dunningrules: 1
extends: se-standard
id: acme-se
version: "1"
title: Acme's process on the Swedish base
steps:
  - id: eviction-application
    also_when: outstanding > 1000
YAML
cat > "$work/company/case.json" <<'JSON'
{"id": "A-1", "due_date": "2026-06-17", "amount": "8000.00", "currency": "SEK",
 "debtor": {"name": "Anna Svensson", "language": "sv"}}
JSON
cd "$work/company"
"$work/venv/bin/dunningrules" validate rulesets/acme.yaml
"$work/venv/bin/dunningrules" lint rulesets/acme.yaml
"$work/venv/bin/dunningrules" render rulesets/acme.yaml case.json --step collection-demand | head -1
"$work/venv/bin/dunningrules" show rulesets/acme.yaml --effective | grep -q "dunningrules/rulesets/se/standard.yaml"
echo "wheel: ok"
