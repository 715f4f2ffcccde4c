# Two commands on a fresh machine: `make run` and `make test`. Both create and reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# PostgreSQL for the second test run; each test gets its own database on this server.
POSTGRES_TEST_URL ?= postgresql://127.0.0.1:5432/test
LANGUAGES := fr pt_BR es ko ms de it
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint format messages translations chromium clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## The browser tests drive Debian's Chromium (never a downloaded browser); install it once.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
			{ apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	fi

## Compile the gettext catalogs (.po → .mo); the .mo files are build output, not in git.
translations: $(STAMP)
	@$(BIN)/pybabel -q compile -d locales -D messages

run: $(STAMP) translations
	$(BIN)/circles run

## The two halves at once: each is one pytest process that often waits (on PostgreSQL,
## on `circles run` subprocesses, on the browser), so together they keep both cores busy.
## Each half's output is printed whole when it ends.
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(STAMP) translations chromium
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) translations chromium
	CIRCLES_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Extract messages from the code, merge them into every catalog, compile.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k ngettext:1,2 -k t -k tn:1,2 -c "Translators:" \
		--project=learning-circles --copyright-holder="Learning Circles contributors" \
		--no-location --sort-output -o locales/messages.pot circles bot api scheduler
	@for lang in $(LANGUAGES); do \
		if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales -D messages -l $$lang; \
		else \
			$(BIN)/pybabel -q init -i locales/messages.pot -d locales -D messages -l $$lang; \
		fi; \
	done
	$(BIN)/pybabel -q compile -d locales -D messages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
