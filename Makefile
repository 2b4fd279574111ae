# CommerceLens: `make demo` and `make test` do all the set-up (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast bench lint format clean

# Re-installs only when pyproject.toml changes; otherwise `make install` is instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "CommerceLens needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/commercelens demo

# Every core (-n auto); each worker runs whole modules (--dist loadscope), so a module's fixtures
# are built once, and the session fixtures (the shared warehouse) once per worker.
test: install
	$(BIN)/python -m pytest -q -n auto --dist loadscope

test-fast: install
	$(BIN)/python -m pytest -q -n auto --dist loadscope -m "not slow and not postgres"

# Heavy measurements (several minutes, about 10 GB of RAM and 3 GB of disk in /tmp); see docs/benchmarks.md.
bench: install
	cd benchmarks && ../$(BIN)/python ingest_full.py
	cd benchmarks && ../$(BIN)/python demo_wall.py
	cd benchmarks && ../$(BIN)/python transform_full.py
	cd benchmarks && ../$(BIN)/python sessionise.py
	cd benchmarks && ../$(BIN)/python aa_simulation.py
	cd benchmarks && ../$(BIN)/python uplift.py
	cd benchmarks && ../$(BIN)/python features.py --rows 100000 10000000 --apply-rows 100000
	cd benchmarks && ../$(BIN)/python models.py --jobs 2
	cd benchmarks && ../$(BIN)/python stream.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .commercelens .pytest_cache
