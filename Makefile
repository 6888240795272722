# fieldkit: `make run` starts the demo study, `make test` runs every test.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= var/demo

.PHONY: install run test test-fast browser-deps lint-forms review bench translations \
        extract update-po compile clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start the demo study: an aggregator and a field station on SQLite, wired together.
run: install
	$(PY) -m fieldkit.demo --dir $(DEMO)

## The whole test suite (browser tests need Debian's chromium: see browser-deps).
test: install browser-deps
	$(PY) -m pytest

## Everything but the browser tests.
test-fast: install
	$(PY) -m pytest -m "not browser"

## Debian's chromium and Noto fonts for the browser tests (installs them when run as root).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core; \
	  else \
	    echo "browser tests need Debian's chromium: sudo apt-get install chromium fonts-noto-core"; \
	  fi; \
	fi

lint-forms: install
	$(VENV)/bin/fieldkit forms lint forms/

## One review packet per form in var/review/.
review: install
	mkdir -p var/review
	for f in forms/*.yaml; do \
	  $(VENV)/bin/fieldkit forms review $$f --out var/review/$$(basename $$f .yaml).html; done

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## Interface translations: extract -> update the .po files -> compile .mo (optional:
## fieldkit reads the .po files directly).
translations: extract update-po compile

extract: install
	$(VENV)/bin/pybabel extract -F translations/babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 \
	  -o translations/messages.pot --no-location --sort-output .

update-po: install
	for lang in en hi mr; do for po in translations/$$lang/LC_MESSAGES/*.po; do \
	  $(VENV)/bin/pybabel update -i translations/messages.pot -l $$lang -D $$(basename $$po .po) \
	    -d translations --ignore-obsolete --no-fuzzy-matching --omit-header 2>/dev/null || true; \
	done; done

compile: install
	$(VENV)/bin/pybabel compile -d translations -D core --use-fuzzy || true
	for d in station aggregator review; do $(VENV)/bin/pybabel compile -d translations -D $$d || true; done

clean:
	rm -rf $(VENV) var build *.egg-info
