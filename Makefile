# Thin wrapper over CMake. `make demo` is the main job; `make test` runs the unit tests.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# OpenMP threads sleep instead of spinning between regions: much faster on shared cores
# (docs/performance.md); the learner binary sets the same itself.
export OMP_WAIT_POLICY ?= passive

.PHONY: all deps configure build test bench demo clean

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ./learner_tests
	./tests/dist/run_dist_tests.sh $(BUILD)

bench: build
	$(BUILD)/learner_bench

demo: build
	LEARNER=$(BUILD)/learner ./scripts/demo.sh

clean:
	rm -rf $(BUILD)
