# Every target sets itself up: a fresh machine needs only Python 3.11 and git.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Parallel workers for the test suite: one per core, at least two.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; echo $$n)

.PHONY: setup test lint demo bench screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check gitops_tui tests benchmarks

test: lint
	$(BIN)/python -m pytest -n $(JOBS) tests

demo: $(STAMP)
	$(BIN)/gitops-tui demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

screenshots: $(STAMP)
	@if [ -f gitops_tui/tui/screenshots.py ]; then $(BIN)/python -m gitops_tui.tui.screenshots screenshots; \
	else echo "No screens to capture yet: the console is not built."; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
