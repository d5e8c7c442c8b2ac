# The two commands of the README: `make run` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
# The loading commands log for a person reading the terminal, not as JSON lines.
MANAGE := LOG_FORMAT=$${LOG_FORMAT:-console} $(PY) manage.py

.PHONY: run test setup migrate data static lint messages clean prod-local

# Each stage says what it does: the first run installs ~100 packages and takes minutes. pip is not --quiet, so
# its own progress (each package collected, downloaded, installed) shows too.
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>&1))"; exit 1; }
	@echo "[1/5] creating the virtualenv $(VENV) with $$($(PYTHON) --version)…"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[2/5] upgrading pip…"
	@$(PY) -m pip install --disable-pip-version-check --upgrade pip
	@echo "[3/5] installing the pinned packages (requirements.txt, requirements-dev.txt): the longest stage…"
	@$(PY) -m pip install --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)
	@echo "      packages installed."

# axe-core for the accessibility browser tests, pinned by tests/frontend/axe/package-lock.json (npm ci checks its
# integrity hash); the tests inject it from node_modules, never from a CDN.
AXE_JS := tests/frontend/axe/node_modules/axe-core/axe.min.js
$(AXE_JS): tests/frontend/axe/package.json tests/frontend/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "      installing axe-core for the accessibility tests (npm ci)…"; \
	  npm ci --prefix tests/frontend/axe --no-audit --no-fund && touch $(AXE_JS); \
	else echo "      npm not found: the accessibility tests will be skipped (Node.js with npm installs them)"; fi

setup: $(STAMP) $(AXE_JS)

migrate: setup
	@echo "[4/5] preparing the database: schema, organisation, catalog, demo accounts, demo seals…"
	$(MANAGE) migrate --noinput

data: migrate
	$(MANAGE) load_organisation
	$(MANAGE) load_catalog
	$(MANAGE) load_demo
	$(MANAGE) signing_demo_setup

# Scripts and styles under hashed names (and their gzip copies) in var/static: pages name them so, and browsers
# keep them for good. Under DEBUG Django hands out the plain names; with DEBUG=false the pages need this step.
static: setup
	@echo "      collecting static files under hashed names…"
	@$(MANAGE) collectstatic --noinput --verbosity 0

# The embedded demo: no minimum notice, so a slot of the around-the-clock demo station starts within minutes;
# links in letters and messages point at this address.
run: data static
	@echo "[5/5] serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	@$(MANAGE) load_demo --walkthrough http://127.0.0.1:$(PORT)
	DEBUG=$${DEBUG:-true} BOOKING_MIN_NOTICE_MINUTES=$${BOOKING_MIN_NOTICE_MINUTES:-0} \
	  PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
	  $(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

# The production profile on this machine: fresh PostgreSQL database, private Redis, 2 Daphne, worker, beat.
prod-local: setup
	$(PY) scripts/prod_local.py up

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

messages: setup
	$(PY) manage.py makemessages -l en -l zh_Hans --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
