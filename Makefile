# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= diagnostic-lozere

.PHONY: install browser pdf-libs postgres demo test lint bench bench-api clean

$(BIN)/proximite: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/proximite

# Front-end libraries from the npm registry (package-lock.json), copied next to the
# géoportail's own static files so that the page is served with no CDN.
VENDOR := src/proximite/web/static/vendor
MAPLIBRE_FILES := maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl-shared.mjs maplibre-gl.css

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/maplibre-gl/maplibre-gl.mjs: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/maplibre-gl
	cd node_modules/maplibre-gl && cp $(addprefix dist/,$(MAPLIBRE_FILES)) LICENSE.txt \
		$(CURDIR)/$(VENDOR)/maplibre-gl/

# The API documentation pages (/docs, /redoc) use Swagger UI and Redoc from npm too.
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE

$(VENDOR)/swagger-ui/swagger-ui-bundle.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/swagger-ui
	cd node_modules/swagger-ui-dist && cp $(SWAGGER_FILES) $(CURDIR)/$(VENDOR)/swagger-ui/

$(VENDOR)/redoc/redoc.standalone.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/redoc
	cp node_modules/redoc/LICENSE $(VENDOR)/redoc/
	# the footer's logo is fetched from Redocly's CDN: point it at an empty image instead
	sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#' \
		node_modules/redoc/bundles/redoc.standalone.js > $@

VENDORED := $(VENDOR)/maplibre-gl/maplibre-gl.mjs $(VENDOR)/swagger-ui/swagger-ui-bundle.js \
	$(VENDOR)/redoc/redoc.standalone.js

install: $(BIN)/proximite $(VENDORED)

# Headless Chromium for the géoportail's page tests (Debian packages; root or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	$(SUDO) apt-get install -y chromium \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

browser: $(CHROMIUM)

# WeasyPrint (the committee pack's PDF, `proximite copil`) needs Pango from Debian.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core

pdf-libs:
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 || $(SUDO) apt-get install -y $(PDF_LIBS) \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y $(PDF_LIBS))

# PostgreSQL + PostGIS (Debian packages): the store tests' second back-end, on a throw-away
# cluster started by scripts/with_postgres.sh.
POSTGIS_CONTROL := /usr/share/postgresql/15/extension/postgis.control

$(POSTGIS_CONTROL):
	$(SUDO) apt-get install -y postgresql postgresql-15-postgis-3 \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql postgresql-15-postgis-3)

postgres: $(POSTGIS_CONTROL)

demo: install
	$(BIN)/proximite diagnostic --out $(OUT)

# Ruff, mypy (pyproject [tool.mypy]), import-linter layers ([tool.importlinter]), pytest;
# the store tests run on SQLite and on a throw-away PostgreSQL + PostGIS cluster.
# pytest-xdist runs the tests in one process per core (-n auto), each file in one process
# (--dist loadfile: a module's fixtures are built once), the slowest files first
# (--no-loadscope-reorder keeps conftest's order). PYTHONDONTWRITEBYTECODE is emptied for
# the tests: where it is set (some CI images), every worker, server and CLI subprocess
# compiled every module again, and pytest rewrote every test module's asserts again.
test: install browser pdf-libs postgres
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	PYTHONDONTWRITEBYTECODE= scripts/with_postgres.sh \
		$(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

bench: install
	$(BIN)/python benchmarks/bench_nearest.py

# The géoportail load benchmark drives the server with Debian's wrk (a C load generator).
/usr/bin/wrk:
	$(SUDO) apt-get install -y wrk \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y wrk)

bench-api: install /usr/bin/wrk
	$(BIN)/python benchmarks/bench_api.py

clean:
	rm -rf $(VENV) $(OUT) node_modules $(VENDOR)
