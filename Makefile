# Both targets create (once) and reuse the virtual environment in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean docs serve-docs

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

# The rule documentation: pages generated from the rules, then a strict MkDocs build into site/.
export NO_MKDOCS_2_WARNING := 1
docs: $(STAMP)
	$(BIN)/zuji docs
	$(BIN)/mkdocs build --strict -f mkdocs.generated.yml

serve-docs: docs
	$(BIN)/mkdocs serve -f mkdocs.generated.yml --dev-addr 127.0.0.1:$(or $(PORT),8000)

clean:
	rm -rf $(VENV) build dist .pytest_cache site docs/pcr mkdocs.generated.yml
