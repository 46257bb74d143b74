# balie — build, run and test.  See README.md.
#
#   make            build/balie (optimised, with debug info)
#   make run        install missing Debian packages, build, run in a window
#   make check      install missing packages, build with ASan+UBSan, run every test
#   make install    PREFIX=/usr/local DESTDIR=
#
# Layout: everything under src/ except src/render/ and src/main.c is the
# core (no SDL); tests and fuzzers link the core alone.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
CC         ?= cc
PKG_CONFIG ?= pkg-config

CORE_PKGS   := libcurl libcjson expat fribidi libunibreak
RENDER_PKGS := sdl2 SDL2_ttf SDL2_image

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wundef -Wwrite-strings -Wno-format-nonliteral -Werror
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DBALIE_VERSION='"$(VERSION)"' \
        -DBALIE_DATADIR='"$(PREFIX)/share/balie"' $(WARN) -g -MMD -MP

# pkg-config is asked lazily, so `make deps` works before the -dev packages exist.
core_cflags = $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS) 2>/dev/null)
core_libs   = $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) 2>/dev/null) -lpthread -lm
render_cflags = $(shell $(PKG_CONFIG) --cflags $(RENDER_PKGS) 2>/dev/null)
render_libs   = $(shell $(PKG_CONFIG) --libs $(RENDER_PKGS) 2>/dev/null)

OPT_CFLAGS  ?= -O2
SAN_CFLAGS  := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

CORE_SRC   := $(sort $(filter-out src/main.c src/render/%,$(wildcard src/*.c src/*/*.c)))
RENDER_SRC := $(sort $(wildcard src/render/*.c))
MAIN_SRC   := src/main.c
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
RTEST_SRC  := $(sort $(wildcard tests/render/test_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))

# $(1) = output dir, $(2) = extra CFLAGS
define objs
$(patsubst %.c,$(1)/obj/%.o,$(2))
endef

.PHONY: all run check deps deps-test install uninstall clean test-bin bench soak fuzz fuzz-bin asan

all: $(BUILD)/balie

# ---- optimised build --------------------------------------------------------
REL := $(BUILD)
$(REL)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(core_cflags) $(render_cflags) $(CFLAGS) -c $< -o $@

$(REL)/libbalie-core.a: $(call objs,$(REL),$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(REL)/balie: $(call objs,$(REL),$(MAIN_SRC) $(RENDER_SRC)) $(REL)/libbalie-core.a
	$(CC) $(OPT_CFLAGS) $(LDFLAGS) -o $@ $^ $(render_libs) $(core_libs)

# ---- sanitizer build and tests ---------------------------------------------
SAN := $(BUILD)/asan

# The data directory (boards/, assets/) is compiled in from PREFIX: the two
# files that use it are rebuilt whenever PREFIX differs from the last build,
# so `make && make install PREFIX=/usr` installs a binary that looks in /usr.
$(BUILD)/prefix.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(PREFIX)' | cmp -s - $@ 2>/dev/null || echo '$(PREFIX)' >$@
$(foreach d,$(REL) $(SAN),$(d)/obj/src/main.o $(d)/obj/src/platform/board.o): $(BUILD)/prefix.stamp
.PHONY: FORCE
FORCE:
$(SAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(core_cflags) $(render_cflags) -Itests -c $< -o $@

$(SAN)/libbalie-core.a: $(call objs,$(SAN),$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(SAN)/balie: $(call objs,$(SAN),$(MAIN_SRC) $(RENDER_SRC)) $(SAN)/libbalie-core.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(render_libs) $(core_libs)

# unit tests: core only, no SDL
$(SAN)/tests/%: $(SAN)/obj/tests/unit/%.o $(call objs,$(SAN),$(TEST_SUPPORT)) $(SAN)/libbalie-core.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(core_libs)

# render tests: core + render (dummy video driver)
RENDER_OBJS_SAN := $(call objs,$(SAN),$(RENDER_SRC))
$(SAN)/rtests/%: $(SAN)/obj/tests/render/%.o $(call objs,$(SAN),$(TEST_SUPPORT)) $(RENDER_OBJS_SAN) $(SAN)/libbalie-core.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(render_libs) $(core_libs)

UNIT_BINS  := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(UNIT_SRC))
RTEST_BINS := $(patsubst tests/render/%.c,$(SAN)/rtests/%,$(RTEST_SRC))

test-bin: $(SAN)/balie $(UNIT_BINS) $(RTEST_BINS)
asan: $(SAN)/balie

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test

check: deps-test
	@$(MAKE) --no-print-directory test-bin
	@BUILD=$(BUILD) tests/run.sh

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/balie
	$(BUILD)/balie --config assets/balie.conf --windowed $(ARGS)

install: $(BUILD)/balie
	install -Dm755 $(BUILD)/balie $(DESTDIR)$(PREFIX)/bin/balie
	install -d $(DESTDIR)$(PREFIX)/share/balie
	cp -r assets/. $(DESTDIR)$(PREFIX)/share/balie/
	install -d $(DESTDIR)$(PREFIX)/share/balie/boards
	cp -r boards/. $(DESTDIR)$(PREFIX)/share/balie/boards/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/balie
	rm -rf $(DESTDIR)$(PREFIX)/share/balie

clean:
	rm -rf $(BUILD)


# ---- fuzzing (libFuzzer, clang) ---------------------------------------------
# tests/fuzz/fuzz_NAME.c each define LLVMFuzzerTestOneInput for one parser;
# seeds live in tests/fuzz/seeds/NAME/, a dictionary in tests/fuzz/NAME.dict.
# `make fuzz` runs each for FUZZ_SECONDS (corpus grows in
# build/fuzz/corpus/NAME); `make check` runs a short pass over the seeds
# (tests/run.sh, FUZZ_CHECK_RUNS executions each).  See docs/fuzzing.md.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ         := $(BUILD)/fuzz
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRC))

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) -Wno-unused-command-line-argument $(FUZZ_FLAGS) $(core_cflags) -Itests -c $< -o $@

$(FUZZ)/libbalie-core.a: $(call objs,$(FUZZ),$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ)/libbalie-core.a
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(core_libs)

# the targets share tests/fuzz/fuzz_common.h
$(patsubst tests/fuzz/%.c,$(FUZZ)/obj/tests/fuzz/%.o,$(FUZZ_SRC)): tests/fuzz/fuzz_common.h

fuzz-bin: $(FUZZ_BINS)
test-bin: $(FUZZ_BINS)

# Each target with its dictionary (tests/fuzz/NAME.dict) when there is one;
# a crashing input lands in build/fuzz/artifacts/NAME/, the whole output in
# build/fuzz/NAME.log, and make fails after the last target.
fuzz: deps-test
	@$(MAKE) --no-print-directory fuzz-bin
	@fail=""; for f in $(FUZZ_BINS); do n=$$(basename $$f); s=$${n#fuzz_}; \
	  mkdir -p $(FUZZ)/corpus/$$n $(FUZZ)/artifacts/$$n; \
	  dict=""; [ -f tests/fuzz/$$s.dict ] && dict=-dict=tests/fuzz/$$s.dict; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ)/artifacts/$$n/ $(FUZZ)/corpus/$$n tests/fuzz/seeds/$$s \
	    >$(FUZZ)/$$n.log 2>&1 || fail="$$fail $$n"; \
	  grep -E 'DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|ERROR|SUMMARY|runtime error|^fuzz: |Test unit written' $(FUZZ)/$$n.log; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (see $(FUZZ)/artifacts/)"; exit 1; fi

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- Raspberry Pi: cross builds and the test suite under qemu ----------------
# See firmware/README.md.  A cross build lives in its own build directory and
# uses Debian's multiarch packages (scripts/deps-platform.sh installs them):
#
#   make CROSS=aarch64-linux-gnu PREFIX=/usr   build/aarch64-linux-gnu/balie for a Pi
#   make check-arm64                           unit, render and integration tests
#                                              built for arm64, run under qemu-aarch64
#   make check-armhf                           the same for 32-bit ARM (32-bit time_t)
#
# Sanitizers are unreliable under qemu-user, so in a cross build the test tree
# ($(BUILD)/asan) is built plain -O1 -g.  libunibreak is not Multi-Arch in
# bookworm; its cross copy is unpacked into $(BUILD)/sysroot.
.PHONY: check-arm64 check-armhf cross-test-bin cross-default deps-arm64 deps-armhf deps-platform-test

ifdef CROSS
ifeq ($(origin BUILD),file)
# plain `make CROSS=...`: build into build/$(CROSS), never into build/
.DEFAULT_GOAL := cross-default
cross-default:
	@$(MAKE) --no-print-directory CROSS=$(CROSS) BUILD=build/$(CROSS) all
	@echo "built build/$(CROSS)/balie"
ifneq ($(filter-out cross-default,$(MAKECMDGOALS)),)
$(error with CROSS=$(CROSS) also give BUILD=build/$(CROSS), so that cross and native objects never mix)
endif
else
CC         := $(CROSS)-gcc
AR         := $(CROSS)-ar
PKG_CONFIG := $(CROSS)-pkg-config
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer
# 32-bit ARM on a 64-bit kernel: readdir() needs 64-bit offsets (EOVERFLOW otherwise)
BASE_CFLAGS += -D_FILE_OFFSET_BITS=64
CROSS_SYSROOT := $(BUILD)/sysroot
ifeq ($(wildcard $(CROSS_SYSROOT)/.complete),)
$(error $(CROSS_SYSROOT) is missing: run `make deps-arm64` (or deps-armhf) first; it installs the cross packages)
endif
CROSS_PKGS := $(filter-out libunibreak,$(CORE_PKGS))
core_cflags = $(shell $(PKG_CONFIG) --cflags $(CROSS_PKGS) 2>/dev/null) -I$(CROSS_SYSROOT)/usr/include
core_libs   = $(shell $(PKG_CONFIG) --libs $(CROSS_PKGS) 2>/dev/null) -L$(CROSS_SYSROOT)/usr/lib -lunibreak -lpthread -lm
endif
endif

cross-test-bin: $(SAN)/balie $(UNIT_BINS) $(RTEST_BINS)

deps-arm64:
	@scripts/deps-platform.sh arm64 $(BUILD)/aarch64-linux-gnu/sysroot
deps-armhf:
	@scripts/deps-platform.sh armhf $(BUILD)/arm-linux-gnueabihf/sysroot
deps-platform-test:
	@scripts/deps-platform.sh test
deps-test: deps-platform-test

check-arm64: deps-arm64
	@$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu BUILD=$(BUILD)/aarch64-linux-gnu cross-test-bin
	@scripts/check-cross.sh $(BUILD)/aarch64-linux-gnu qemu-aarch64
check-armhf: deps-armhf
	@$(MAKE) --no-print-directory CROSS=arm-linux-gnueabihf BUILD=$(BUILD)/arm-linux-gnueabihf cross-test-bin
	@scripts/check-cross.sh $(BUILD)/arm-linux-gnueabihf qemu-arm

# ---- benchmark: make bench (docs/performance.md) ------------------------------
# Builds the optimised binary, the floor program (tests/bench/floor.c: the
# smallest SDL program that opens the window and the fonts), the refresh timer
# (tests/bench/bench_refresh.c, linked with the core) and a copy of balie whose
# screen.o keeps draw_frame() out of line so that callgrind can count it
# (--toggle-collect=draw_frame); then tests/bench/bench.py measures and prints
# the table (also written to $(BUILD)/bench/report.md, every raw figure to
# $(BUILD)/bench/results.json).  About eight and a half minutes; nothing in `make check`
# depends on it.  BENCH_ARGS=--quick for a one-minute trial of the script.
BENCH      := $(BUILD)/bench
BENCH_ARGS ?=

$(BENCH)/floor: tests/bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(render_cflags) $(CFLAGS) -o $@ $< $(LDFLAGS) $(render_libs)

$(BENCH)/bench_refresh: $(REL)/obj/tests/bench/bench_refresh.o $(REL)/libbalie-core.a
	$(CC) $(OPT_CFLAGS) $(LDFLAGS) -o $@ $^ $(core_libs)

$(BENCH)/cg/screen.o: src/render/screen.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -fno-inline-functions-called-once $(core_cflags) $(render_cflags) $(CFLAGS) -c $< -o $@

$(BENCH)/cg/balie: $(BENCH)/cg/screen.o $(call objs,$(REL),$(MAIN_SRC) $(filter-out src/render/screen.c,$(RENDER_SRC))) $(REL)/libbalie-core.a
	$(CC) $(OPT_CFLAGS) $(LDFLAGS) -o $@ $^ $(render_libs) $(core_libs)

bench: deps
	@$(MAKE) --no-print-directory $(REL)/balie $(BENCH)/floor $(BENCH)/bench_refresh $(BENCH)/cg/balie
	@command -v valgrind >/dev/null || echo "bench: valgrind is not installed (apt-get install valgrind): instructions per frame will not be measured"
	@python3 tests/bench/bench.py --build $(BUILD) --report $(BENCH)/report.md --json $(BENCH)/results.json $(BENCH_ARGS)

# ---- soak: make soak (docs/resilience.md) -------------------------------------
# 100,000 refresh cycles of 10 sources against the fake server, with card
# changes, on a clock sped up 1000 times (tests/soak/soak.py): first the
# optimised binary (the resident-memory figure that matters on a Pi), then the
# sanitizer build (no leak at exit, no memory error).  Each prints RSS, file
# descriptors and threads at 1,000 cycles and every 10 %; the figures go to
# $(BUILD)/soak/*.json.  `make check` runs a 5,000-cycle version
# (tests/integration/test_soak.py).  SOAK_CYCLES=N for another length.
SOAK_CYCLES ?= 100000
SOAK_ENV := SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

soak: deps-test
	@$(MAKE) --no-print-directory $(REL)/balie $(SAN)/balie
	@mkdir -p $(BUILD)/soak
	@fail=0; \
	$(SOAK_ENV) python3 tests/soak/soak.py --cycles $(SOAK_CYCLES) --binary $(REL)/balie --label release \
	  --json $(BUILD)/soak/release.json || fail=1; \
	$(SOAK_ENV) python3 tests/soak/soak.py --cycles $(SOAK_CYCLES) --binary $(SAN)/balie --label asan \
	  --json $(BUILD)/soak/asan.json || fail=1; \
	exit $$fail
