# The README's two commands: `make demo` and `make test`. Both build .venv once and reuse it.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup demo test
setup: $(STAMP)

# torch/torchvision first and pinned: on these machines they install from local disk; letting a
# dependency resolver pick them pulls a multi-GB CUDA build from the registry instead.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
	$(VENV)/bin/python -m pip install -q -e ".[yolo,ray,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pipeline demo --out demo-out

# lint and type gates first (seconds), then the suite, one worker per core (pytest-xdist; a test
# file stays on one worker, so its module fixtures are built once); pytest's "no tests ran" exits
# 5 and fails
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 YOLO_VERBOSE=0 $(VENV)/bin/python -m pytest -q -n auto --dist loadfile tests
