# The two commands that matter: `make run` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint check bench fuzz clean browser system messages

install: system $(STAMP)

# The PDF print (WeasyPrint) typesets through Pango with a CJK font; the tests read the PDFs back with poppler's
# pdftotext. Debian's packages, installed when one is missing (as root, or through sudo without a password).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei poppler-utils
system:
	@{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' && \
	  command -v pdftotext >/dev/null 2>&1 && \
	  fc-list 2>/dev/null | grep -qi 'wenquanyi micro hei' || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(SYSTEM_PACKAGES); \
	  else sudo -n sh -c 'apt-get update && apt-get install -y $(SYSTEM_PACKAGES)'; fi

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e plugins/webhooks -e plugins/notify -e plugins/example -e plugins/excel -e plugins/assist
	touch $(STAMP)

run: install
	$(BIN)/formwork init
	$(BIN)/formwork demo
	$(BIN)/formwork serve --host 127.0.0.1 --port $${PORT:-5000}

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy engine web designer admin cli demo app.py
	$(BIN)/lint-imports

# The message catalogs (engine/locale): extract every message code into messages.pot and update the zh_CN and en
# PO files, keeping their texts (docs/messages.md). `make test` fails while a code has no Chinese text.
messages: install
	$(BIN)/python -c 'from web.ui.error_text import update_catalogs; update_catalogs()'

# The browser tests drive Debian's Chromium; without a CJK font Chinese renders as empty boxes.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'wenquanyi micro hei' || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium fonts-wqy-microhei; \
	  else sudo -n sh -c 'apt-get update && apt-get install -y chromium fonts-wqy-microhei'; fi

test: lint browser system
	$(BIN)/python tests/run_with_postgres.py $(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# Issue 15's table (bench/README.md): gunicorn, the bare endpoint, write scaling; BENCH_ARGS=--quick for a smoke run.
bench: install
	$(BIN)/python tests/run_with_postgres.py $(BIN)/python bench/table.py $(BENCH_ARGS)

# Schemathesis over the whole OpenAPI document against a real server (EXAMPLES per operation and mode).
fuzz: install
	$(BIN)/python bench/fuzz.py --examples $${EXAMPLES:-25}

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
