# Lojal. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
DEMO_MEMBERS ?= 300
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install demo demo-banner screenshots run worker beat test lint typecheck format compile-messages check-deploy messages lock clean bench

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## Create .venv and install the locked dependencies

messages: $(STAMP) ## Extract and compile the Swedish translations (needs GNU gettext)
	$(PY) manage.py makemessages --locale sv --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(PY) manage.py makemessages --locale sv --domain djangojs --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(PY) manage.py compilemessages --locale sv --ignore '.venv/*'

compile-messages: $(STAMP)
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --locale sv --ignore '.venv/*' -v0; \
	else echo "msgfmt not found: using the compiled translations in locale/"; fi

demo: $(STAMP) compile-messages ## Set up the demo club on SQLite and run web, worker and beat
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py seed_demo --members $(DEMO_MEMBERS) --if-empty
	@$(MAKE) --no-print-directory demo-banner
	@$(PY) manage.py run_all --host $(HOST) --port $(PORT)

demo-banner:
	@echo ""
	@echo "  Lojal demo club:  http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins (password 'demo-lojal-2026'):"
	@echo "    admin@demo.lojal.se (club admin, superuser)   marketer@demo.lojal.se"
	@echo "    moderator@demo.lojal.se   store@demo.lojal.se   member@demo.lojal.se (member)"
	@echo "  The demo lets staff into /admin/ without MFA (LOJAL_STAFF_MFA_REQUIRED=0); production requires it."
	@echo "  E-mails land in var/mail/, SMS in var/sms/.  Ctrl-C stops everything."
	@echo ""

run: $(STAMP) ## Run only the web server (development)
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: $(STAMP) ## Run a Celery worker
	$(BIN)/celery -A config worker --loglevel INFO

beat: $(STAMP) ## Run Celery beat (periodic tasks, schedule kept in the database)
	$(BIN)/celery -A config beat --loglevel INFO

lint: $(STAMP) ## Ruff (lint and format check) and the import-layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP) ## mypy (django-stubs) on the services, selectors and models
	$(BIN)/mypy $$(ls core/*.py */services/*.py */selectors/*.py */models.py */models/*.py 2>/dev/null | grep -v __init__ | sort -u)

format: $(STAMP) ## Format the code and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: $(STAMP) ## Django's deployment checks with production settings
	@DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="check-deploy-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=club.example.com \
	$(PY) manage.py check --deploy --fail-level WARNING

test: $(STAMP) compile-messages lint check-deploy ## Lint, contracts, migrations and deploy checks, then pytest
	$(PY) manage.py makemigrations --check --dry-run --settings config.settings.test
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: $(STAMP) ## Retake the README's screenshots from the demo club (needs PostgreSQL and Chromium)
	$(BIN)/pytest -q -p no:cacheprovider tests/test_screenshots.py
	mkdir -p docs/screenshots
	cp test-artifacts/screenshots/*.png docs/screenshots/

bench: $(STAMP) ## Seed, score and segment timings at 100 000 members (DATABASE_URL=postgres://..., BENCH_MEMBERS=N)
	$(PY) -m tests.bench

lock: $(STAMP) ## Re-pin requirements.lock from pyproject.toml
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 -o requirements.lock

clean: ## Remove the demo database, var/ and collected static files
	rm -rf db.sqlite3 db.sqlite3-* var staticfiles
