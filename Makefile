# Both targets create (once) and reuse the virtual environment in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench fuzz fuzz-parser clean docs serve-docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zuji run cement --inventory pcr/cement/cases/typical_plant.yaml --format table

test: $(STAMP)
	$(BIN)/zuji check pcr/
	$(BIN)/zuji test pcr/
	$(MAKE) docs
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py

# The property-based tests at full strength: 20 000 examples per property (several minutes).
fuzz: $(STAMP)
	ZUJI_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/test_fuzz_rules.py tests/test_fuzz_inventory.py

# Coverage-guided fuzzing with atheris of the rule reader (TARGET=rule) or the inventory reader
# (TARGET=inventory), for a bounded time (SECONDS, default 300).
fuzz-parser: $(STAMP)
	$(BIN)/python -m pip install --quiet 'atheris>=2.3'
	$(BIN)/python benchmarks/fuzz_parser.py --seconds $(or $(SECONDS),300) --target $(or $(TARGET),rule)

# The rule documentation: pages generated from the rules, then a strict MkDocs build into site/.
export NO_MKDOCS_2_WARNING := 1
docs: $(STAMP)
	$(BIN)/zuji docs
	$(BIN)/mkdocs build --strict -f mkdocs.generated.yml

serve-docs: docs
	$(BIN)/mkdocs serve -f mkdocs.generated.yml --dev-addr 127.0.0.1:$(or $(PORT),8000)

clean:
	rm -rf $(VENV) build dist .pytest_cache site docs/pcr mkdocs.generated.yml
