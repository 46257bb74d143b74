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
# seeds live in tests/fuzz/seeds/NAME/.  `make fuzz` runs each for
# FUZZ_SECONDS (corpus grows in build/fuzz/corpus/NAME); `make check` runs a
# short pass over the seeds (tests/run.sh, FUZZ_CHECK_RUNS executions each).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
FUZZ         := $(BUILD)/fuzz
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRC))

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(BASE_CFLAGS)) -Wno-unused-command-line-argument $(FUZZ_FLAGS) $(core_cflags) -Itests -c $< -o $@

$(FUZZ)/libbalie-core.a: $(call objs,$(FUZZ),$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ)/libbalie-core.a
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(core_libs)

fuzz-bin: $(FUZZ_BINS)
test-bin: $(FUZZ_BINS)

fuzz: deps-test
	@$(MAKE) --no-print-directory fuzz-bin
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	  mkdir -p $(FUZZ)/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ)/corpus/$$n tests/fuzz/seeds/$${n#fuzz_} 2>&1 \
	    | grep -E 'stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY' ; done

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
