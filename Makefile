# Both targets create (once) and reuse the virtual environment in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test gates browser postgres bench metrics fuzz fuzz-parser clean docs serve-docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zuji run cement --inventory pcr/cement/cases/typical_plant.yaml --format table

# Everything: the browser the docs tests need, the code gates, every rule and worked case, the
# documentation, then the tests.
test: $(STAMP) browser postgres gates
	$(BIN)/zuji check pcr/
	$(BIN)/zuji test pcr/
	$(MAKE) docs
	$(BIN)/python -m pytest

# The code gates, cheapest first; each can be run alone by copying its line.
gates: $(STAMP)
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/ruff format --check engine tests benchmarks
	$(BIN)/mypy --strict engine/zuji
	PYTHONPATH=engine $(BIN)/lint-imports
	$(BIN)/python benchmarks/code_metrics.py --check

# Module and function sizes and complexity of the engine, over the limits or not.
metrics: $(STAMP)
	$(BIN)/python benchmarks/code_metrics.py

# The documentation site and the platform are tested in headless Chromium, Debian's package
# (Playwright never downloads a browser of its own); a CJK font lets the screenshots and the
# PNG and PDF labels show the Chinese names; cairosvg draws those labels with the system's cairo
# library (libcairo2). pip installs none of them: as root with apt-get this installs what is
# missing, otherwise it names the command to run.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q . \
	    || ! ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2'; then \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium, fonts-wqy-microhei and libcairo2 with apt-get (the docs site, the platform and its labels are tested with them)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei libcairo2 >/dev/null; \
	  else \
	    echo "Chromium, a CJK font or cairo is missing: run 'sudo apt-get install chromium fonts-wqy-microhei libcairo2' first" >&2; \
	    exit 1; \
	  fi; \
	fi

# The catalogue tests run against PostgreSQL as well as SQLite, on a private cluster they start
# on 127.0.0.1 and stop (tests/postgres_cluster.py). They need the server programs of Debian's
# postgresql package: as root with apt-get this installs them, otherwise it names the command.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing postgresql with apt-get (the catalogue is tested on it)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is missing: run 'sudo apt-get install postgresql' first" >&2; \
	    exit 1; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

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
	rm -rf $(VENV) build dist .pytest_cache site docs/pcr docs/.pcr.* mkdocs.generated.yml
