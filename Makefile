# Ember — developer entry points. `make demo` and `make test` work on a fresh machine.
PY ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
CI ?=

.PHONY: demo test dev venv test-deps sanitize clean micro-deps

$(VPY):
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

venv: $(VPY)

# Builds the C extension in place (editable install) for development.
dev: $(VPY)
	$(VPY) -m pip install -q numpy flatbuffers "setuptools>=64" wheel
	$(VPY) -m pip install -q --no-build-isolation -e .

test-deps: $(VPY)
	$(VPY) -m pip install -q -r requirements-test.txt

demo: test-deps dev
	$(VPY) examples/demo.py

test: test-deps dev micro-deps
	$(VPY) -m pytest -q tests
	$(MAKE) test-numpy1

# The microcontroller target's toolchain and emulator (Debian packages), installed
# when run as root; otherwise the tests say what is missing (and fail under CI=true).
MICRO_PKGS = gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
micro-deps:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y $(MICRO_PKGS) || (apt-get update && apt-get install -y $(MICRO_PKGS)); \
	else echo "micro-deps: not root (or no apt-get): install $(MICRO_PKGS) for the micro tests"; fi

sanitize: $(VPY)
	EMBER_SANITIZE=1 $(VPY) -m pip install -q --no-build-isolation -e . 
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
		$(VPY) -m pytest -q tests/interpreter
	$(VPY) -m pip install -q --no-build-isolation -e .

clean:
	rm -rf build *.egg-info ember/_ember*.so

# libFuzzer + ASan + UBSan over load → allocate → invoke (interpreter/core/fuzz).
# Seeds: builder-made models and the real models (EMBER_MODELS_DIR). Findings land
# in $(FUZZ_DIR)/crash-* etc.; replay one with `$(FUZZ_DIR)/fuzz_model FILE`.
FUZZ_CC ?= clang
FUZZ_TIME ?= 300
FUZZ_DIR ?= build/fuzz
FUZZ_FLAGS ?=
# e.g. FUZZ_NO_SANITIZE=pointer-overflow to fuzz past a known finding
FUZZ_NO_SANITIZE ?=
FUZZ_CFLAGS = -std=c99 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	$(if $(FUZZ_NO_SANITIZE),-fno-sanitize=$(FUZZ_NO_SANITIZE)) -fno-sanitize-recover=undefined -DEMBER_HOST=1 -D_GNU_SOURCE=1 -Iinterpreter/core -Ischema/c \
	-Wno-typedef-redefinition -Wno-psabi
FUZZ_SRC = interpreter/core/fuzz/fuzz_model.c $(wildcard interpreter/core/*.c) \
	$(wildcard interpreter/core/kernels/*.c) $(wildcard schema/c/*.c)
# clang ignores `#pragma GCC target`: the AVX2 kernels get their flags here
# (they are only called after a runtime CPU check).
FUZZ_OPT_SRC = $(wildcard interpreter/core/kernels/opt/*.c)
.PHONY: fuzz fuzz-build
fuzz-build:
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/obj
	for f in $(FUZZ_OPT_SRC); do \
		$(FUZZ_CC) $(FUZZ_CFLAGS) -mavx2 -mfma -c $$f -o $(FUZZ_DIR)/obj/$$(basename $$f .c).o || exit 1; done
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRC) $(FUZZ_DIR)/obj/*.o -lm -lpthread -o $(FUZZ_DIR)/fuzz_model
fuzz: fuzz-build $(VPY)
	$(VPY) interpreter/core/fuzz/make_corpus.py $(FUZZ_DIR)/seeds
	cd $(FUZZ_DIR) && ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1 ./fuzz_model -max_total_time=$(FUZZ_TIME) \
		-timeout=20 -rss_limit_mb=4096 -malloc_limit_mb=4096 -max_len=4194304 \
		$(FUZZ_FLAGS) corpus seeds

# numpy 1.x: a second venv with numpy 1.26 and Ember installed from source
# (`pip install .` builds the abi3 extension). pytest runs from its own script,
# so the installed package (not the source tree) is what gets imported.
# ai-edge-litert (numpy>=1.23.2) and tflite-micro import under 1.26, so the
# oracle tests (LiteRT and TFLite Micro) run too.
NP1_VENV ?= .venv-np1
NP1_PY := $(NP1_VENV)/bin/python
.PHONY: test-numpy1
test-numpy1:
	test -x $(NP1_PY) || $(PY) -m venv $(NP1_VENV)
	$(NP1_PY) -m pip install -q "numpy==1.26.*" flatbuffers pytest setuptools wheel
	rm -rf $(NP1_VENV)/src && mkdir -p $(NP1_VENV)/src   # a clean copy: build/ may hold sanitizer objects
	tar --exclude=./build --exclude='./.venv*' --exclude=./.git --exclude='./ember/_ember*.so' \
		--exclude='*.egg-info' -cf - . | tar -xf - -C $(NP1_VENV)/src
	$(NP1_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall $(NP1_VENV)/src
	$(NP1_PY) -I -c "import numpy, ember; assert numpy.__version__.startswith('1.26'), numpy.__version__; assert 'site-packages' in ember.__file__, ember.__file__"
	$(NP1_PY) -m pip install -q "numpy==1.26.*" ai-edge-litert tflite-micro
	$(NP1_VENV)/bin/pytest -q -p no:cacheprovider tests/interpreter
	# The installed (non-editable) package carries its CLI, board data and the C sources
	# `ember micro build` copies: smoke-test them from outside the source tree.
	rm -rf $(NP1_VENV)/smoke && mkdir -p $(NP1_VENV)/smoke
	cd $(NP1_VENV)/smoke && ../bin/ember inspect $(CURDIR)/examples/demo_model.tflite > inspect.txt \
		&& ../bin/ember boards > boards.txt \
		&& ../bin/ember micro build $(CURDIR)/examples/demo_model.tflite --board mps2-an386 -o fw > micro.txt \
		&& test -f fw/core/runtime.c && grep -q mps2-an386 boards.txt
