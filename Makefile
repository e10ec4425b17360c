# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Everything else here is what those two need: virtual environments and LocalStack.

PYTHON ?= python3.11
# LocalStack's host mode needs Python >= 3.12; pyenv on these machines has 3.13.0.
PY313 ?= $(shell p=$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python; [ -x "$$p" ] && echo "$$p" || command -v python3.13)
PIP_QUIET ?= -q --disable-pip-version-check

VENV := .venv
LS_VENV := .venv-localstack
SAM_VENV := .venv-sam

.PHONY: demo test unit lint typecheck localstack-start localstack-stop clean

demo: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/ango-batch demo

test: $(VENV)/.installed $(LS_VENV)/.installed $(SAM_VENV)/.installed
	$(VENV)/bin/python -m pytest

unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m unit

.PHONY: bench
# The benchmark (tests/perf/bench.py): about 10-15 minutes on 2 cores; the table goes to out/bench.md.
bench: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/python -m tests.perf.bench $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check handler listener infra tests
	$(VENV)/bin/ruff format --check handler listener infra tests

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

localstack-start: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/ango-batch localstack start

localstack-stop: $(VENV)/.installed
	$(VENV)/bin/ango-batch localstack stop

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[dev]'
	touch $@

# LocalStack gets its own environment: its pins clash with the project's.
$(LS_VENV)/.installed: infra/localstack-constraints.txt
	@test -n "$(PY313)" || { echo "LocalStack host mode needs Python 3.13 (pyenv install 3.13.0)"; exit 1; }
	$(PY313) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(LS_VENV)/bin/pip install $(PIP_QUIET) -c infra/localstack-constraints.txt -r infra/localstack-requirements.txt
	touch $@

# SAM CLI only validates the template in the tests; its pins clash with the project's too.
$(SAM_VENV)/.installed: infra/sam-requirements.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) -r infra/sam-requirements.txt
	touch $@

clean:
	rm -rf $(VENV) $(LS_VENV) $(SAM_VENV) .localstack .pytest_cache .mypy_cache .ruff_cache
