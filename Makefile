# Ember — developer entry points. `make demo` and `make test` work on a fresh machine.
PY ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
CI ?=

.PHONY: demo test dev venv test-deps sanitize clean

$(VPY):
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

venv: $(VPY)

# Builds the C extension in place (editable install) for development.
dev: $(VPY)
	$(VPY) -m pip install -q numpy flatbuffers
	$(VPY) -m pip install -q --no-build-isolation -e .

test-deps: $(VPY)
	$(VPY) -m pip install -q -r requirements-test.txt

demo: test-deps dev
	$(VPY) examples/demo.py

test: test-deps dev
	$(VPY) -m pytest -q tests

sanitize: $(VPY)
	EMBER_SANITIZE=1 $(VPY) -m pip install -q --no-build-isolation -e . 
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
		$(VPY) -m pytest -q -x tests/interpreter
	$(VPY) -m pip install -q --no-build-isolation -e .

clean:
	rm -rf build *.egg-info ember/_ember*.so
