# The two commands a newcomer needs: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-scale bench browser web-server screenshots install migrate demo lint format constraints clean

run: demo ## Set up, migrate, load demo content and serve on 127.0.0.1:8000
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The suites run in two pytest-xdist worker processes (one per core here); how tests are shared
# out between them: tests/conftest.py, pytest_xdist_make_scheduler.
PARALLEL := -n 2

test: install lint browser web-server ## Set up and run the whole suite, in both worlds
	$(BIN)/python -m pytest $(PARALLEL) --ignore=tests/e2e --ignore=tests/scale
	$(BIN)/python -m pytest tests/e2e
	$(MAKE) test-scale

# The suite again on PostgreSQL + Redis + S3 (SeaweedFS, started and stopped by
# tests/scale/services.py, which gives each xdist worker buckets and Redis databases of its
# own), plus the two-node site behind nginx (tests/scale/).
test-scale: install web-server
	$(BIN)/python -m tests.scale.services $(PARALLEL) --ignore=tests/e2e -m "not local_media"

# nginx for the two-node tests, wrk for the load benchmark (Debian packages).
web-server:
	command -v nginx >/dev/null && command -v wrk >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx wrk; }

# Browser tests use Debian's Chromium (Playwright may not download its own browsers here),
# axe-core, the Nu HTML Checker and Lighthouse (npm, pinned in tests/e2e/package-lock.json;
# Java runs the Nu checker).
CHECKERS := tests/e2e/node_modules/.package-lock.json

browser: $(CHECKERS)
	command -v chromium >/dev/null && command -v java >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  chromium fonts-liberation default-jre-headless; }

$(CHECKERS): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --ignore-scripts --no-audit --no-fund

# Refresh the small product-page pair in docs/screenshots from the last browser test run.
screenshots:
	$(BIN)/python tests/e2e/screenshots_for_docs.py

bench: install web-server ## Benchmarks; results go to docs/benchmarks.md
	$(BIN)/python tests/benchmarks/bench_pages.py
	$(BIN)/python tests/benchmarks/bench_media.py
	$(BIN)/python tests/benchmarks/bench_renditions.py
	$(BIN)/python tests/benchmarks/bench_placeholder_hash.py
	$(BIN)/python tests/benchmarks/bench_documents.py
	$(BIN)/python tests/benchmarks/bench_import.py
	$(BIN)/python tests/benchmarks/bench_import_baseline.py
	$(BIN)/python tests/benchmarks/bench_import_jobs.py
	$(BIN)/python tests/benchmarks/bench_load.py

install: $(INSTALLED)

# Reinstall whenever the pins change.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every package from what the venv holds (after changing pyproject.toml).
constraints: install
	{ echo "# Every package, transitive ones included, pinned. Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^catalogue-site'; } > constraints.txt

clean:
	rm -rf $(VENV) var media test-output tests/e2e/node_modules
