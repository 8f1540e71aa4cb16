# alignlib: `make report` and `make test` are all a newcomer needs.
# Both create .venv/ (with pip) and install the project on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
QUARTER ?= 2026Q4
# The warehouse variant reads outputs/crm.duckdb (`make warehouse` writes it): left out here.
PARAMS ?= $(filter-out %-warehouse.yaml,$(sort $(wildcard params/$(QUARTER)*.yaml)))
# Where params/*-warehouse.yaml read the DuckDB file (../outputs/crm.duckdb from params/).
WAREHOUSE := outputs/crm.duckdb
OUT    ?= outputs
# `make whatif`: the what-if panel as a web page (Voila) on 127.0.0.1:$(PORT)
PORT   ?= 8866

.DEFAULT_GOAL := help
.PHONY: help setup report weekly warehouse whatif test test-fast lint format benchmark sample clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name alignlib --display-name "alignlib (.venv)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv/ and install the project with its test extras

report: $(STAMP) ## Render the default quarter's reports (and SLA agreements) into outputs/
	$(BIN)/alignlib run $(PARAMS) --out $(OUT)

warehouse: $(STAMP) ## Write the sample into a DuckDB file (outputs/crm.duckdb) and render the reports from it
	$(BIN)/alignlib warehouse load data/sample --into $(WAREHOUSE)
	$(BIN)/alignlib run params/$(QUARTER)-warehouse.yaml --out $(OUT)

weekly: $(STAMP) ## Render the weekly scorecard of each segment (WEEK=YYYY-MM-DD, default last full week)
	$(BIN)/alignlib run $(PARAMS) --weekly $(if $(WEEK),--week-ending $(WEEK)) --out $(OUT)

# voila.json (read from this folder) allows only the served host and origin: no DNS rebinding.
whatif: $(STAMP) ## Serve the what-if panel as a web page on http://127.0.0.1:$(PORT) (PORT=8866)
	$(BIN)/voila notebooks/whatif_app.ipynb --no-browser --port=$(PORT) --Voila.ip=127.0.0.1 --strip_sources=True

# Test files run side by side, one worker a core up to four (pytest-xdist; a file's tests
# stay together so its module fixtures are built once). XDIST= runs them one after another.
XDIST ?= -n auto --maxprocesses 4 --dist loadfile

test: $(STAMP) ## Run the whole test suite (library, CLI, notebooks, browser)
	$(BIN)/python -m pytest $(XDIST)

test-fast: $(STAMP) ## Run the tests that do not execute notebooks or a browser
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not notebook and not browser"

lint: $(STAMP) ## Check style, docstrings (ruff) and types (mypy)
	$(BIN)/ruff check alignlib tests benchmarks notebooks
	$(BIN)/ruff format --check alignlib tests benchmarks
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff check --fix alignlib tests benchmarks notebooks
	$(BIN)/ruff format alignlib tests benchmarks

benchmark: $(STAMP) ## Run the benchmarks (prints figures and ratios)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

sample: $(STAMP) ## Regenerate the sample CRM and spend data in data/sample/
	$(BIN)/alignlib sample --out data/sample

clean: ## Remove the virtual environment and rendered outputs
	rm -rf $(VENV) $(OUT)/*/ .pytest_cache .ruff_cache
