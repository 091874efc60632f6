# Two commands do all the set-up on a fresh machine (see README.md):
#   make app    - create .venv, install requirements.txt and (where it can) Debian's Fashion-MNIST, run the app
#   make test   - the same installs, plus Debian's Chromium for the browser tests, then lint (ruff, mypy) and the whole suite
#   make bench  - the trainer beside a plain PyTorch loop (docs/performance.md); a few minutes on two cores
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: app test lint chromium fashion-mnist install bench

install: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch and torchvision are pinned to the versions this project's machines hold in a local cache
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

app: install fashion-mnist
	$(BIN)/streamlit run app.py --server.port $(PORT)

# Debian's Fashion-MNIST (30 MB, 70,000 real images) where this machine can install it; without it
# the app trains on its bundled digits and says how to get it
fashion-mnist:
	@if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then echo "fashion-mnist: installed"; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "fashion-mnist: no apt-get here; the app offers its download"; \
	elif [ "$$(id -u)" = 0 ]; then (apt-get install -y -qq dataset-fashion-mnist || (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)) || echo "fashion-mnist: could not install it; the app offers its download"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then (sudo apt-get install -y -qq dataset-fashion-mnist || (sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist)) || echo "fashion-mnist: could not install it"; \
	else echo "fashion-mnist: not installed and no root (sudo apt-get install dataset-fashion-mnist); its tests use small stand-ins"; fi

# Debian's Chromium drives the browser tests (never `playwright install`: it downloads a browser)
chromium:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium: not installed and no root; the browser tests will skip (they fail in CI)"; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install chromium fashion-mnist lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m alexnet bench
