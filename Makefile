# kikan-std — the two quick-start commands are `make demo` and `make test`.
# Both create the virtual environment (.venv) and install everything they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit docs docs-gen bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kikan-std needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs,testing]'
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
test: $(STAMP) lint typecheck unit docs

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

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py --rows 200000

clean:
	rm -rf $(VENV) site out .pytest_cache .mypy_cache .ruff_cache
