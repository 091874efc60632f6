# Two commands do all the set-up on a fresh machine (see README.md):
#   make app    - create .venv, install requirements.txt, run the app on 127.0.0.1:8501
#   make test   - the same install, plus Debian's Chromium for the browser tests, then lint and the whole suite
#   make bench  - the trainer beside a plain PyTorch loop (README "Performance"); a few minutes on two cores
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: app test lint chromium install bench

install: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch and torchvision are pinned to the versions this project's machines hold in a local cache
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

app: install
	$(BIN)/streamlit run app.py --server.port $(PORT)

# Debian's Chromium drives the browser tests (never `playwright install`: it downloads a browser)
chromium:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium: not installed and no root; the browser tests will skip (they fail in CI)"; fi

lint: install
	$(BIN)/ruff check .

test: install chromium lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m alexnet bench
