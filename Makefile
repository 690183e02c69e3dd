# Two environments: the app (Python 3.11+) in .venv and Rasa (Python 3.10) in .venv-rasa.
# `make run` starts everything on embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa

# Python 3.11+ for the app; Python 3.10 for Rasa (PYTHON311 / PYTHON310 override).
# pyenv shims are skipped unless they really run the asked version.
find_python = $(shell for c in $(1); do "$$c" -c 'import sys; sys.exit(not ($(2)))' 2>/dev/null && { command -v "$$c"; break; }; done)
PYTHON311 ?= $(call find_python,python3.11 $(HOME)/.pyenv/versions/3.11*/bin/python3.11 python3.12 python3.13 python3,sys.hexversion >= 0x030b0000)
PYTHON310 ?= $(call find_python,$(HOME)/.pyenv/versions/3.10*/bin/python3.10 python3.10 /usr/bin/python3.10,0x030a0000 <= sys.hexversion < 0x030b0000)

.PHONY: help install run test lint format train nlu-eval conversations nlu-review-export browser clamd npm-packages clean

help:
	@echo "make run       install both environments, migrate, seed, train if needed, start everything"
	@echo "make test      install what the tests need and run the whole suite"
	@echo "make lint      ruff: lint and formatting check (make test runs it first)"
	@echo "make format    ruff: fix what can be fixed and format the tree"
	@echo "make nlu-eval  train if needed and score the NLU on the held-out set"
	@echo "make conversations  every scripted conversation through the live stack: task success, the worst ones"
	@echo "make train     train the Rasa model if its data changed"
	@echo "make nlu-review-export  write the review inbox's labelled examples to nlu_data/review_<date>.yml"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11+ not found; set PYTHON311=/path/to/python3.11"; exit 1; }
	$(PYTHON311) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

$(RASA_VENV)/.installed: bot/requirements.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs 3.8-3.10); set PYTHON310=/path/to/python3.10"; exit 1; }
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet -r bot/requirements.txt
	touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed

train: install
	$(VENV)/bin/python -m tools.train

run: install
	$(VENV)/bin/python -m tools.run

# Chromium for the browser tests: Debian's package (no browser downloads on these machines).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: sudo apt-get install chromium"; fi; }

# ClamAV's daemon for the documents' virus-scan test (tests/documents/test_clamd.py brings its own signature).
clamd:
	@command -v clamd >/dev/null 2>&1 || test -x /usr/sbin/clamd || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clamav-daemon >/dev/null; \
	  else echo "clamd is missing: sudo apt-get install clamav-daemon"; fi; }

# The browser tests' npm packages (pinned in tests/browser/widgets/package-lock.json): axe-core, chat widgets.
NPM_DIR := tests/browser/widgets
# Chatroom (the REST-channel widget) has its own folder and lock: npm could not add it to the tree above.
CHATROOM_DIR := $(NPM_DIR)/chatroom
npm-packages: $(NPM_DIR)/node_modules/.installed $(CHATROOM_DIR)/node_modules/.installed
$(NPM_DIR)/node_modules/.installed $(CHATROOM_DIR)/node_modules/.installed: %/node_modules/.installed: %/package.json %/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: sudo apt-get install npm"; exit 1; }
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install browser clamd npm-packages lint
	$(RASA_VENV)/bin/python -m pytest -q -p no:cacheprovider bot/tests/components
	$(VENV)/bin/python -m tools.train
	$(VENV)/bin/python -m pytest

nlu-eval: install
	$(VENV)/bin/python -m tools.train
	$(VENV)/bin/python -m tools.nlu_eval --start-rasa

# Every conversation of tests/conversations/data through the live stack (make test runs a subset):
# task success, turns, fallbacks, handoffs, the worst conversations; fails below the goals (docs/nlu.md).
conversations: install
	$(VENV)/bin/python -m tools.train
	$(VENV)/bin/python -m tools.conversations

# The NLU review inbox's labelled examples, personal data stripped, as training data (docs/analytics.md).
nlu-review-export: install
	$(VENV)/bin/python -m web.review.export

clean:
	rm -rf $(VENV) $(RASA_VENV) models var .pytest_cache
