# vitals: `make run` and `make test` work on a fresh Debian bookworm machine.
# Both install what is missing (Debian packages), configure and build first.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)


.PHONY: all deps js build build-asan run test test-plain test-asan bench install clean format

all: build

deps:
	@sh scripts/install-deps.sh

# npm packages of the tests and benchmarks (independent Parquet readers).
js: deps
	@sh scripts/install-js.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_ASAN)/CMakeCache.txt:
	CC=clang cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug \
		-DVITALS_SANITIZE=ON -DVITALS_FUZZ=ON

build-asan: deps $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The main job on this machine: the dashboard on http://127.0.0.1:8050
# (the URL is printed), tracing live into $(RUN_DATA). VITALS_RUN_SECONDS=N
# stops it after N seconds; without a terminal under CI it stops after 15.
RUN_DATA ?= $(BUILD)/run-data
run: build
	@mkdir -p $(RUN_DATA)
	@secs="$${VITALS_RUN_SECONDS:-}"; \
	if [ -z "$$secs" ] && [ "$${CI:-}" = true ] && ! [ -t 0 ]; then secs=15; fi; \
	exec ./$(BUILD)/vitals dashboard --bind 127.0.0.1 --port 8050 \
		--data-dir $(RUN_DATA) --trace live.parquet $${secs:+--duration $$secs}

test-plain: build js
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan js
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# Every test, then every test again under ASan+UBSan (with short fuzzing runs).
test: test-plain test-asan

bench: build js
	sh bench/run.sh $(BUILD)
	sh bench/run_store.sh $(BUILD)
	sh bench/run_record.sh $(BUILD)
	sh bench/run_sources.sh $(BUILD)
	sh bench/run_plot.sh $(BUILD)
	sh bench/run_leaks.sh $(BUILD)
	sh bench/dashboard.sh $(BUILD)

install: build
	cmake --install $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
