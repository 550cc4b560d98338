# libprof top-level driver: the README's two commands.
#   make demo   install missing Debian packages, build, profile an example, print its report
#   make test   install missing Debian packages, build, run every test through ctest
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

test: deps-test
	@$(MAKE) --no-print-directory build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
