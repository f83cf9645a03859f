# Comptoir — the two commands are `make run` and `make test`.
# Everything else here is what those two need, plus a few conveniences.

# Debian's interpreter, whose system site packages hold python3-gi (not a pyenv or other build).
PYTHON ?= /usr/bin/python3.11
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
DEMO_DIR ?= .demo-data
PORT   ?= 8787

.PHONY: run run-store test test-fast lint typecheck venv system-deps system-deps-run system-deps-fast js-deps js-test lock wheel clean bench image api-doc

# A stamp per lock file: the venv is rebuilt only when a pin changes. The Debian packages come
# first (order-only): the window's GTK bindings are Debian's python3-gi, which the venv sees
# through its system site packages, as on the appliance; a venv made without them is made anew.
$(BIN)/.stamp-dev: requirements/dev.txt pyproject.toml | system-deps-run
	@grep -qs '^include-system-site-packages = true' $(VENV)/pyvenv.cfg || rm -rf $(VENV)
	@test -x $(BIN)/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(UV) pip install -q --python $(BIN)/python -r requirements/dev.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

venv: $(BIN)/.stamp-dev

# Debian packages: those `make run` needs, those of `make test-fast` (Node.js), and those the
# slow tests drive for real (debootstrap, nftables, Chromium, npm…). Idempotent: apt is only
# asked when something on the list is missing.
system-deps-run:
	@bash tools/system-deps.sh run

system-deps-fast: system-deps-run
	@bash tools/system-deps.sh fast

system-deps: system-deps-fast
	@bash tools/system-deps.sh

# axe-core for the accessibility tests, from npm (pinned by tests/e2e/package-lock.json); npm
# itself is one of the Debian packages (order-only: whatever order make picks, it comes first).
tests/e2e/node_modules/.stamp: tests/e2e/package-lock.json | system-deps
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	@touch $@

js-deps: tests/e2e/node_modules/.stamp

# The screens' own logic that runs without a browser (scanner detection…), with node's runner.
# static/package.json says the screens' .js files are ES modules: Debian 12's Node 18 does not
# guess it (Node 20.19 does), and a fresh machine has Debian's.
js-test: | system-deps-fast
	node --test tests/js/

run: venv
	$(BIN)/comptoir demo --data-dir $(DEMO_DIR) --port $(PORT)

# An office on a local PostgreSQL cluster and two demo tills enrolled to it (README).
STORE_DIR  ?= build/run-store
STORE_PORT ?= 8790
run-store: venv
	$(BIN)/comptoir demo-store --dir $(STORE_DIR) --port $(STORE_PORT)

lint: venv
	$(BIN)/ruff check appliance tests bench image
	$(BIN)/ruff format --check appliance tests bench image

typecheck: venv
	$(BIN)/mypy

test: system-deps venv js-deps lint typecheck js-test
	$(BIN)/python -m pytest --durations=25

test-fast: system-deps-fast venv lint typecheck js-test
	$(BIN)/python -m pytest -m "not slow"

# The kiosk image (not part of the two quick-start commands): see image/README.md. With
# SIGNING_KEY, SIGNING_CERT and KEYRING (the fleet's update CA) it also makes the signed
# A/B update bundle; the keys are never in the repository.
image: venv system-deps
	$(BIN)/python image/build.py $(if $(SIGNING_KEY),--signing-key "$(SIGNING_KEY)" --signing-cert "$(SIGNING_CERT)" --keyring "$(KEYRING)")

wheel: venv
	rm -rf dist && $(BIN)/python -m pip wheel -q --no-deps -w dist .

# docs/api.md's route tables, from the endpoint tables (a test fails when they disagree).
api-doc: venv
	$(BIN)/python -m appliance.app.web.api_doc docs/api.md

bench: venv
	$(BIN)/python bench/checkout.py
	$(BIN)/python bench/terminal.py

lock:
	uv pip compile pyproject.toml -o requirements/runtime.txt --python-version 3.11 -q
	uv pip compile pyproject.toml --extra dev --extra window -o requirements/dev.txt --python-version 3.11 -q

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
