# Two entry points for a fresh machine with only python3 and make:
#   make demo   sets up .venv and prints the schedules of the bundled example cases
#   make test   sets up .venv and runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench setup clean chromium

$(BIN)/dunningrules: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/dunningrules

demo: setup
	$(BIN)/dunningrules validate rulesets/no/standard.yaml rulesets/se/standard.yaml rulesets/examples/se-phone-first.yaml rulesets/examples/no-without-eviction-warning.yaml
	$(BIN)/dunningrules schedule rulesets/no/standard.yaml examples/no-cases.jsonl --format table
	$(BIN)/dunningrules schedule rulesets/se/standard.yaml examples/se-cases.jsonl --format table
	$(BIN)/dunningrules render rulesets/no/standard.yaml examples/no-case.json --step collection-notice

# The explain test opens the HTML report in Debian's chromium; install it where we can (root, apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium for the browser test" >&2; fi; }

test: setup chromium
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV)
