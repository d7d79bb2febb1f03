# kikan-std — the two quick-start commands are `make demo` and `make test`.
# Both create the virtual environment (.venv) and install everything they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every direct and transitive dependency of our dev/test/docs environment, pinned with hashes (made by
# `make lock`). pyproject.toml keeps ranges: the lock is for our environments, not for users of the library.
LOCK   := requirements/dev.lock

.PHONY: demo test lint typecheck unit docs docs-gen schemas browser-deps bench bench-reconcile-peer bench-peer-lock clean lock dist

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kikan-std needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## make lock: refresh requirements/dev.lock to the newest versions pyproject.toml allows (then run make test)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements/tools.in --all-extras --universal --python-version 3.11 \
	  --generate-hashes --upgrade --quiet -o $(LOCK)
	@echo "== $(LOCK) refreshed; now run: make test, and commit the lock if it passes"

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
	@rm -rf out/deliverable-clean out/deliverable-defects
	@echo "== kikan-std generate --spec deliverable: a synthetic multi-business deliverable (same people in every business)"
	@$(BIN)/kikan-std generate --spec deliverable --rows 400 --seed 7 -o out/deliverable-clean > /dev/null
	@echo "== kikan-std check out/deliverable-clean (expected: 適合, exit 0)"
	@$(BIN)/kikan-std check out/deliverable-clean --no-progress | head -n 20
	@$(BIN)/kikan-std check out/deliverable-clean --no-progress > /dev/null
	@$(BIN)/kikan-std generate --spec deliverable --rows 400 --seed 7 --defects -o out/deliverable-defects
	@echo "== kikan-std check out/deliverable-defects (exit code 1 = 不適合 is expected: the three planted defects above)"
	@$(BIN)/kikan-std check out/deliverable-defects --no-progress; rc=$$?; if [ $$rc -ne 1 ]; then exit 1; fi
	@rm -rf out/migration
	@echo "== kikan-std generate --spec migration --defects: a legacy extract (CP932, 和暦, 旧コード) and a standard export"
	@$(BIN)/kikan-std generate --spec migration --rows 2000 --seed 3 --defects -o out/migration > /dev/null
	@echo "== kikan-std compare legacy → standard through the mapping (exit code 1 is expected: the planted defects)"
	@$(BIN)/kikan-std compare out/migration/legacy.csv out/migration/standard.csv --spec jumin_kiroku \
	  --mapping out/migration/mapping.toml --expected out/migration/expected-differences.toml; \
	  rc=$$?; if [ $$rc -ne 1 ]; then exit 1; fi
	@$(BIN)/kikan-std profile out/migration/standard.csv --spec jumin_kiroku --output-format html -o out/migration/profile.html
	@$(BIN)/kikan-std compare out/migration/legacy.csv out/migration/standard.csv --spec jumin_kiroku \
	  --mapping out/migration/mapping.toml --expected out/migration/expected-differences.toml \
	  --output-format html -o out/migration/compare.html; rc=$$?; if [ $$rc -ne 1 ]; then exit 1; fi
	@echo "== HTML pages: out/migration/profile.html, out/migration/compare.html (see docs/migration.md)"
	@echo "== 画面で検査するには / to check in the browser: $(BIN)/kikan-std serve  → http://127.0.0.1:8765/ (docs/web.md)"

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

## make dist: the offline bundle for closed networks (docs/offline.md): the wheel, a wheelhouse of every
## runtime dependency for Linux and Windows x86-64 × CPython 3.11–3.13, install.sh / install.bat, SHA256SUMS,
## as dist/kikan-std-<version>-offline/ and .zip. Needs PyPI (pip download).
dist: $(STAMP)
	$(BIN)/python packaging/build_dist.py --out dist --platforms linux,windows --pythons 3.11,3.12,3.13

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py --rows 200000

# The peer tool of bench_reconcile_peer.py (recordlinkage) in its own virtual environment: it needs pandas < 3,
# the dev environment pins pandas 3. Not used by `make test`.
PEER_VENV  := .venv-bench-peer
PEER_LOCK  := requirements/bench-peer.lock
PEER_STAMP := $(PEER_VENV)/.installed-stamp

$(PEER_STAMP): $(PEER_LOCK)
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --require-hashes -r $(PEER_LOCK)
	@touch $(PEER_STAMP)

## make bench-reconcile-peer: kikan-std reconcile against recordlinkage on the same generated data
## (N=100000 by default; `make bench-reconcile-peer PEER_ARGS="1000000 --runs 1 --peer-timeout 1800"`)
PEER_ARGS ?= 100000 --runs 3
bench-reconcile-peer: $(STAMP) $(PEER_STAMP)
	$(BIN)/python benchmarks/bench_reconcile_peer.py $(PEER_ARGS) --peer-python $(PEER_VENV)/bin/python

## make bench-peer-lock: refresh requirements/bench-peer.lock from requirements/bench-peer.in
bench-peer-lock: $(STAMP)
	$(BIN)/uv pip compile requirements/bench-peer.in --universal --python-version 3.11 --generate-hashes \
	  --quiet -o $(PEER_LOCK)

clean:
	rm -rf $(VENV) $(PEER_VENV) site out .pytest_cache .mypy_cache .ruff_cache
