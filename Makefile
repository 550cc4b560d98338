# libprof top-level driver: the README's two commands.
#   make demo   install missing Debian packages, build, profile an example, print its report
#   make test   install missing Debian packages, build, run every test through ctest, then the
#               sanitizer builds and their tests and a short fuzzing run
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
# CI builds with -Werror so a warning is a failure there.
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo $(if $(CI),-DPROF_WERROR=ON,)

.PHONY: all deps deps-test configure build demo test clean

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

configure:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

# test: the normal build and its full ctest, then the sanitizer and fuzzing stages
# (scripts/sanitize-and-fuzz.sh: ASan+UBSan, TSan, libFuzzer), which run even after a ctest failure so
# that one CI log shows everything; the target fails if either part failed.
test: deps-test
	@$(MAKE) --no-print-directory build
	@st=0; (cd $(BUILD) && ctest --output-on-failure -j $(JOBS)) || st=1; \
	  BUILD=$(BUILD) JOBS=$(JOBS) scripts/sanitize-and-fuzz.sh || st=1; exit $$st

clean:
	rm -rf $(BUILD)
