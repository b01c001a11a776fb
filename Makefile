# Thin wrapper over CMake. `make demo` is the main job; `make test` runs the unit tests.
BUILD ?= build
JOBS ?= $(shell nproc)
# learner_tests runs in this many processes side by side (tests/run_shards.sh); 1: one process,
# output as it comes.
TEST_SHARDS ?= $(JOBS)
CMAKE_FLAGS ?=
# OpenMP threads sleep instead of spinning between regions: much faster on shared cores
# (docs/performance.md); the learner binary sets the same itself.
export OMP_WAIT_POLICY ?= passive

# Reliability builds (docs/reliability.md): CPU-only, each in its own folder.
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_SECONDS ?= 60
# Empty: all six harnesses (fuzz/run.sh).
FUZZ_TARGETS ?=
ASAN_EXCLUDE ?=
CLANG_FLAGS = -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DLEARNER_CUDA=OFF
# Every report fails the run; leaks too (LSan, part of ASan). OpenMP and OpenMPI keep
# process-lifetime allocations that are not ours: fuzz/lsan.supp.
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/fuzz/tsan.supp

# The GPU bundle (docs/gpu-results.md): a lean CUDA build packed with its libraries for the
# device tool's `carry`, and scripts/gpu-check's dry run of what would run on the GPU.
GPU_BUNDLE_BUILD ?= build-gpu-bundle
GPU_BUNDLE ?= gpu-bundle.tar.xz

.PHONY: all deps configure build test bench demo clean fuzz-deps asan-build asan tsan fuzz-build fuzz gpu-bundle gpu-dry-run

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && $(CURDIR)/tests/run_shards.sh ./learner_tests $(TEST_SHARDS)
	./tests/dist/run_dist_tests.sh $(BUILD)

bench: build
	$(BUILD)/learner_bench

demo: build
	LEARNER=$(BUILD)/learner ./scripts/demo.sh

fuzz-deps:
	@./scripts/deps.sh --fuzz

# AddressSanitizer + UndefinedBehaviorSanitizer (clang): the unit and CLI tests. The same
# build holds the libFuzzer harnesses (`make fuzz`), so CI compiles it once.
asan-build: deps fuzz-deps
	cmake -S . -B $(ASAN_BUILD) $(CLANG_FLAGS) -DLEARNER_SANITIZE=address,undefined -DLEARNER_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target learner_tests learner fuzz_all

# The slow unwinder: HDF5 has no frame pointers, and the one leak fuzz/lsan.supp suppresses
# (HDF5's own, on damaged files) is matched by an HDF5 frame only it records.
# ASAN_EXCLUDE: test cases to leave out (doctest's -tce, comma-separated wildcards).
asan: asan-build
	cd $(ASAN_BUILD) && ASAN_OPTIONS=$(ASAN_OPTIONS):fast_unwind_on_malloc=0 \
	  $(CURDIR)/tests/run_shards.sh ./learner_tests $(TEST_SHARDS) -tce="$(ASAN_EXCLUDE)"

# ThreadSanitizer on the loader's prefetch workers and the dist engines' thread ranks.
# One OpenMP thread: libgomp is not instrumented, so its own barriers would read as races.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DLEARNER_CUDA=OFF -DLEARNER_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target learner_thread_tests
	cd $(TSAN_BUILD) && OMP_NUM_THREADS=1 ./learner_thread_tests -tc="loader*,dist:*" -tce="*cuda*"

# The harnesses alone (the same ASan + UBSan + libFuzzer build folder, without learner_tests):
# what CI's fuzz stage needs, at a fraction of the compile.
fuzz-build: deps fuzz-deps
	cmake -S . -B $(ASAN_BUILD) $(CLANG_FLAGS) -DLEARNER_SANITIZE=address,undefined -DLEARNER_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target fuzz_all

# Each libFuzzer harness for FUZZ_SECONDS; fails on any crash, leak or timeout.
fuzz: fuzz-build
	./fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The full build's `learner` synthesizes and packs the bundle's tiny clip store.
gpu-bundle: configure
	cmake -S . -B $(GPU_BUNDLE_BUILD) -DLEARNER_GPU_BUNDLE=ON
	nice -n 10 cmake --build $(GPU_BUNDLE_BUILD) -j $(JOBS) --target learner learner_tests learner_bench
	cmake --build $(BUILD) -j $(JOBS) --target learner
	./scripts/pack-gpu-bundle $(GPU_BUNDLE_BUILD) $(BUILD)/learner $(GPU_BUNDLE)

gpu-dry-run: gpu-bundle
	./scripts/gpu-check --dry-run --bundle $(GPU_BUNDLE)

clean:
	rm -rf $(BUILD)
