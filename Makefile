# The two commands: `make run` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= $(or $(CGCRM_PORT),5000)
TEST_DATABASE_URL ?= $(or $(CGCRM_TEST_DATABASE_URL),postgresql://postgres@127.0.0.1:5432/test)

.PHONY: run test lint typecheck pytest smoke install clean chromium screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# The staff console's front-end assets (govuk-frontend, htmx) from the npm registry, pinned by
# package-lock.json; served by the app from node_modules/, never from a CDN.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.dev-installed node_modules/.installed

## run: migrate, load demo data and simulate a quarter of activity once, serve the API on
## 127.0.0.1:$(PORT) with a background worker (outbox relay, jobs, periodic jobs; needs Redis at
## REDIS_URL); Ctrl-C stops both.
run: $(VENV)/.runtime-installed node_modules/.installed
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) seed
	@$(FLASK) demo simulate --days 90
	@export CGCRM_JWT_ISSUER=$${CGCRM_JWT_ISSUER:-http://127.0.0.1:$(PORT)}; \
	trap 'kill $$api $$worker 2>/dev/null; wait $$api $$worker 2>/dev/null; exit 0' INT TERM; \
	$(BIN)/gunicorn --config config/gunicorn.conf.py --bind 127.0.0.1:$(PORT) \
		--access-logfile - --error-logfile - wsgi:app & api=$$!; \
	$(FLASK) worker & worker=$$!; \
	for i in $$(seq 1 100); do \
		$(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(PORT)/healthz', timeout=1)" 2>/dev/null && break; \
		sleep 0.2; \
	done; \
	echo; $(FLASK) demo-info --base-url http://127.0.0.1:$(PORT); echo; \
	echo "Serving. Ctrl-C stops everything."; \
	wait $$api

## test: lint, type-check, the whole suite on PostgreSQL + Redis, the smoke set on SQLite.
test: lint typecheck pytest smoke

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check cgcrm tests bench migrations wsgi.py
	$(BIN)/ruff format --check cgcrm tests bench migrations wsgi.py

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy cgcrm

pytest: $(VENV)/.dev-installed node_modules/.installed chromium
	CGCRM_TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n 2 --dist loadgroup -q

smoke: $(VENV)/.dev-installed node_modules/.installed
	CGCRM_TEST_DATABASE_URL=sqlite:// $(BIN)/pytest -m smoke -q

## chromium: Debian's Chromium, which the browser tests (tests/browser) drive through Playwright;
## installed with apt-get when missing (needs root). CGCRM_SKIP_BROWSER=1 skips it and them.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ "$$CGCRM_SKIP_BROWSER" != 1 ] && [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests (CGCRM_SKIP_BROWSER=1 skips them)"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## screenshots: the browser tests again, keeping docs/screenshots/*.png of the pages they visit.
screenshots: $(VENV)/.dev-installed node_modules/.installed chromium
	CGCRM_SCREENSHOTS=1 CGCRM_TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -m browser tests/browser

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache .mypy_cache .hypothesis
