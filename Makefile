# kikan-std — the two quick-start commands are `make demo` and `make test`.
# Both create the virtual environment (.venv) and install everything they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit docs docs-gen schemas browser-deps bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kikan-std needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs,testing,dask,bench]'
	@touch $(STAMP)

## make demo: validate the bundled synthetic sample, print the report, write it to out/
demo: $(STAMP)
	@mkdir -p out
	@echo "== kikan-std check examples/jutogai_atena_sample.csv --spec jutogai_atena"
	@$(BIN)/kikan-std check examples/jutogai_atena_sample.csv --spec jutogai_atena --no-progress; \
	  rc=$$?; if [ $$rc -gt 1 ]; then exit $$rc; fi
	@$(BIN)/kikan-std check examples/jutogai_atena_sample.csv --spec jutogai_atena --no-progress \
	  --output-format json -o out/demo-report.json; rc=$$?; if [ $$rc -gt 1 ]; then exit $$rc; fi
	@echo "== JSON report written to out/demo-report.json (exit code 1 = 不適合 is expected: the sample has defects)"
	@rm -f out/jumin_sample.csv
	@$(BIN)/kikan-std generate --spec jumin_kiroku --rows 2000 --seed 1 -o out/jumin_sample.csv
	@echo "== kikan-std check out/jumin_sample.csv --spec jumin_kiroku (synthetic 住民記録 export: 世帯・履歴・外国人・不詳日)"
	@$(BIN)/kikan-std check out/jumin_sample.csv --spec jumin_kiroku --no-progress; \
	  rc=$$?; if [ $$rc -gt 1 ]; then exit $$rc; fi

## make test: lint, type-check, the whole test suite and the strict docs build
test: $(STAMP) lint typecheck browser-deps unit docs

## make browser-deps: Debian's Chromium and a Japanese font for the HTML report's browser test
## (tests/test_html_browser.py; it fails without Chromium when CI=true). Installs only as root.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=ja 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic) \
	    >/dev/null || { echo "browser-deps: apt-get install chromium failed" >&2; exit 1; }; \
	else echo "browser-deps: not root; install chromium and fonts-ipafont-gothic yourself" >&2; fi

lint: $(STAMP)
	$(BIN)/ruff check kikan_std tests tools benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

## make docs-gen: regenerate the docs pages made from the catalogue and the specs
docs-gen: $(STAMP)
	$(BIN)/python tools/gen_docs.py

## make schemas: regenerate schemas/report.schema.json from the Report model
schemas: $(STAMP)
	$(BIN)/python tools/gen_schemas.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py --rows 200000

clean:
	rm -rf $(VENV) site out .pytest_cache .mypy_cache .ruff_cache
