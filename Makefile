# tapstack — see README.md.
#
#   make            build build/tapstack (-O2) and its libraries
#   make run        install missing packages, build, run the demo in netns "tapstack"
#   make check      install missing packages, build with ASan+UBSan, run every suite
#   make bench      the benchmark harness (tools/bench/)
#   make fuzz       build the fuzz harnesses (clang, libFuzzer)
#   make deps       install missing Debian packages (root) or list them
#   make format     clang-format every source
#
# Variants: build/ is the optimised build; build/asan/ the sanitizer build
# that the tests use.

CC      ?= cc
PKGS    := libpcap libnl-3.0 libnl-route-3.0
V       ?= rel
ifeq ($(V),asan)
OUT     := build/asan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OUT     := build
OPT     := -O2 -g
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT)

STACK_SRC := $(wildcard stack/*.c)
TAP_SRC   := $(wildcard tap/*.c)
# tools/services.c (echo/discard) goes into libtshttp so the two-stack tests can link it.
HTTP_SRC  := $(wildcard http/*.c) tools/services.c
TOOL_SRC  := $(filter-out tools/services.c,$(wildcard tools/*.c))
UNIT_SRC  := $(wildcard tests/unit/*.c)
TWO_SRC   := $(wildcard tests/twostack/*.c)
TEST_LIB_SRC := $(wildcard tests/lib/*.c)

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

LIBSTACK := $(OUT)/libtapstack.a
LIBTAP   := $(OUT)/libtaplink.a
LIBHTTP  := $(OUT)/libtshttp.a
TAPSTACK := $(OUT)/tapstack
UNIT     := $(OUT)/tests/unit_tests
TWOSTACK := $(OUT)/tests/twostack_tests

LIBS := $(LIBHTTP) $(LIBTAP) $(LIBSTACK)

.PHONY: all run check check-unit check-twostack check-tap bench fuzz deps clean format tests

all: $(TAPSTACK)

PATTERN  := $(OUT)/tests/pattern

tests: $(UNIT) $(TWOSTACK) $(TAPSTACK) $(PATTERN)

$(PATTERN): $(call obj,tests/tools/pattern.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -Istack -Itap -Ihttp -Itests/lib -c $< -o $@

$(LIBSTACK): $(call obj,$(STACK_SRC))
	@mkdir -p $(dir $@)
	@ar rcs $@ $^
$(LIBTAP): $(call obj,$(TAP_SRC))
	@mkdir -p $(dir $@)
	@ar rcs $@ $^
$(LIBHTTP): $(call obj,$(HTTP_SRC))
	@mkdir -p $(dir $@)
	@ar rcs $@ $^

$(TAPSTACK): $(call obj,$(TOOL_SRC)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(TOOL_SRC)) $(LIBS) $(PKG_LIBS) -lm

$(UNIT): $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(LIBS) $(PKG_LIBS) $(CHECK_LIBS) -lm

$(TWOSTACK): $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(LIBS) $(PKG_LIBS) $(CHECK_LIBS) -lm

deps:
	@tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run.sh build/tapstack

check: deps
	@$(MAKE) --no-print-directory V=asan tests
	@tools/check.sh build/asan

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/bench/bench.sh $(if $(QUICK),--quick)

fuzz: deps
	@$(MAKE) --no-print-directory -C tests/fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
