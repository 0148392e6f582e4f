# Two commands do all the set-up:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

## The main job, end to end on the bundled sample.
demo: $(STAMP)
	$(BIN)/credit-risk demo --data data/sample --out outputs/demo

## Install and run the tests (what CI runs).
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	  || echo "Chromium not installed (needs apt-get as root): the HTML report's browser test will be skipped (README: Reports)"
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	  || echo "Java not installed (needs apt-get as root): the Spark engine's tests will be skipped (README: Scaling out)"
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

## The slow tests too (real MLflow server, larger data).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

## Regenerate the committed sample (byte for byte).
sample: $(STAMP)
	$(BIN)/credit-risk sample --subjects 5000 --seed 0 --out data/sample

clean:
	rm -rf $(VENV) outputs mlruns .pytest_cache
