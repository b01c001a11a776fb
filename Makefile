# Thin wrapper over CMake. `make demo` is the main job; `make test` runs the unit tests.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

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
	$(BUILD)/learner demo

clean:
	rm -rf $(BUILD)
