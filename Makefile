# tapstack — see README.md.
#
#   make            build build/tapstack (-O2) and its libraries
#   make run        install missing packages, build, run the demo in netns "tapstack"
#   make check      install missing packages, build with ASan+UBSan, run every suite
#   make check-unit / check-twostack / check-tap
#                   one family of suites; SUITE=name runs one suite, TEST=name one test
#   make bench      the benchmark harness (tools/bench/)
#   make soak       not in CI: 10 minutes of mixed load on one stack (tools/soak.sh),
#                   the faults suite with 100 MiB each way, the two-stack suites
#                   under valgrind
#   make fuzz       build the fuzz harnesses (clang, libFuzzer)
#   make exercise NAME=x / exercise-solution NAME=x / exercises
#                   the protocol-layer exercises (docs/exercises/README.md;
#                   rules in tools/exercise/ex.mk)
#   make deps       install missing Debian packages (root) or list them
#   make format     clang-format every source
#   make lib        the installable library: build/dist/libtapstack.a and
#                   build/dist/libtapstack.so.$(VERSION) (stack/ and tap/, -fPIC)
#   make install / make uninstall
#                   PREFIX (default /usr/local) and DESTDIR, as autotools do
#
# Variants: build/ is the optimised build; build/asan/ the sanitizer build
# that the tests use.
#
# Layering is enforced here: each directory is compiled with only the
# include paths it may use, so an include that points the wrong way fails
# the build.
#   stack/            sees stack/ (its public header lives in stack/include/)
#   tap/              sees stack/ and tap/          (tap → stack)
#   http/             sees only the public tapstack.h (http → stack's API)
#   tools/services/   sees tapstack.h and http/handler.h
#   tools/, tests/    see everything

CC      ?= cc
# The one version: tapstack --version, the shared library's file name and
# SONAME (libtapstack.so.$(SOVERSION)), and tapstack.pc.
VERSION   := 0.1.0
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
PKGS    := libpcap libnl-3.0 libnl-route-3.0 liburing
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

CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -DTS_VERSION='"$(VERSION)"' -MMD -MP \
	$(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT)

# Include paths per directory (see the layering rules above).
INC_API      := -Istack/include
INC_stack    := -Istack $(INC_API)
INC_tap      := $(INC_stack) -Itap $(PKG_CFLAGS)
INC_http     := $(INC_API) -Ihttp
INC_services := $(INC_API) -Ihttp -Itools/services
INC_tools    := $(INC_stack) -Itap -Ihttp -Itools/services -Itools/sim $(PKG_CFLAGS)
INC_tests    := $(INC_tools) -Itests/lib $(CHECK_CFLAGS)

STACK_SRC    := $(wildcard stack/*.c)
TAP_SRC      := $(wildcard tap/*.c)
HTTP_SRC     := $(wildcard http/*.c)
SERVICES_SRC := $(wildcard tools/services/*.c)
TOOL_SRC     := $(wildcard tools/*.c)
SIM_SRC      := $(wildcard tools/sim/*.c)
UNIT_SRC     := $(wildcard tests/unit/*.c)
TWO_SRC      := $(wildcard tests/twostack/*.c)
TEST_LIB_SRC := $(wildcard tests/lib/*.c)

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

LIBSTACK    := $(OUT)/libtapstack.a
LIBTAP      := $(OUT)/libtaplink.a
LIBHTTP     := $(OUT)/libtshttp.a
LIBSERVICES := $(OUT)/libtsservices.a
TAPSTACK    := $(OUT)/tapstack
UNIT        := $(OUT)/tests/unit_tests
TWOSTACK    := $(OUT)/tests/twostack_tests
PATTERN     := $(OUT)/tests/pattern
APIPROBE    := $(OUT)/tests/api_probe
HOSTILE     := $(OUT)/tests/hostile
SOCKERR     := $(OUT)/tests/sockerr_probe
NETPOLL     := $(OUT)/examples/netpoll
# Programs for library users (docs/examples/*/main.c but netpoll): they see
# only the public header, as with the installed library.
EXAMPLE_NAMES := hello_c echo_client udp_echo pair
EXAMPLES      := $(addprefix $(OUT)/examples/,$(EXAMPLE_NAMES))

LIBS := $(LIBSERVICES) $(LIBHTTP) $(LIBTAP) $(LIBSTACK)

.PHONY: all run check check-unit check-twostack check-tap check-valgrind bench soak fuzz deps clean \
	format tests exercise exercises exercise-solution lib install uninstall

all: $(TAPSTACK)

tests: $(UNIT) $(TWOSTACK) $(TAPSTACK) $(PATTERN) $(HOSTILE) $(APIPROBE) $(SOCKERR) $(NETPOLL) \
	$(EXAMPLES)

# One rule per directory, each with its own include paths.
define compile
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(1) -c $< -o $@
endef
$(OUT)/obj/stack/%.o: stack/%.c
	$(call compile,$(INC_stack))
$(OUT)/obj/tap/%.o: tap/%.c
	$(call compile,$(INC_tap))
$(OUT)/obj/http/%.o: http/%.c
	$(call compile,$(INC_http))
$(OUT)/obj/tools/services/%.o: tools/services/%.c
	$(call compile,$(INC_services))
$(OUT)/obj/tools/%.o: tools/%.c
	$(call compile,$(INC_tools))
# api_probe drives the library on a real TAP: it sees what tools/ see.
$(OUT)/obj/tests/tools/api_probe.o: tests/tools/api_probe.c
	$(call compile,$(INC_tools))
$(OUT)/obj/tests/tools/%.o: tests/tools/%.c
	$(call compile,)
$(OUT)/obj/tests/%.o: tests/%.c
	$(call compile,$(INC_tests))
# The seed's Go server in C (docs/netpoll.md) sets its stack up as tools/ do;
# the other examples see only the public header.
$(OUT)/obj/docs/examples/netpoll/%.o: docs/examples/netpoll/%.c
	$(call compile,$(INC_tools))
$(OUT)/obj/docs/examples/%.o: docs/examples/%.c
	$(call compile,$(INC_API))

$(LIBSTACK): $(call obj,$(STACK_SRC))
$(LIBTAP): $(call obj,$(TAP_SRC))
$(LIBHTTP): $(call obj,$(HTTP_SRC))
$(LIBSERVICES): $(call obj,$(SERVICES_SRC))
$(LIBSTACK) $(LIBTAP) $(LIBHTTP) $(LIBSERVICES):
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(TAPSTACK): $(call obj,$(TOOL_SRC) $(SIM_SRC)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(TOOL_SRC) $(SIM_SRC)) $(LIBS) $(PKG_LIBS) -lm

$(UNIT): $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(LIBS) $(PKG_LIBS) $(CHECK_LIBS) -Wl,--wrap=_tcase_add_test,--wrap=suite_create -lm

$(TWOSTACK): $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(LIBS) $(PKG_LIBS) $(CHECK_LIBS) -Wl,--wrap=_tcase_add_test,--wrap=suite_create -lm

$(PATTERN): $(call obj,tests/tools/pattern.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(APIPROBE): $(call obj,tests/tools/api_probe.c) $(LIBTAP) $(LIBSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(NETPOLL): $(call obj,docs/examples/netpoll/main.c) $(LIBTAP) $(LIBSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(EXAMPLES): $(OUT)/examples/%: $(OUT)/obj/docs/examples/%/main.o $(LIBTAP) $(LIBSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(HOSTILE): $(call obj,tests/tools/hostile.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(SOCKERR): $(call obj,tests/tools/sockerr_probe.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# The installable library (make lib, make install): stack/ and tap/ (the
# calls that open a stack on a TAP or a pair need the link backends) in one
# archive and one shared object, compiled -fPIC from the optimised build's
# flags, never the sanitizer build's.  The shared object exports exactly the
# calls of tapstack.h (stack/libtapstack.map).
PIC_OBJ  := $(patsubst %.c,build/pic/%.o,$(STACK_SRC) $(TAP_SRC))
DIST_A   := build/dist/libtapstack.a
DIST_SO  := build/dist/libtapstack.so.$(VERSION)
DIST_PC  := build/dist/tapstack.pc
REL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP -O2 -g -fPIC $(EXTRA_CFLAGS)

build/pic/stack/%.o: stack/%.c
	@mkdir -p $(dir $@)
	@echo "  CC [pic] $<"
	@$(CC) $(REL_CFLAGS) $(INC_stack) -c $< -o $@
build/pic/tap/%.o: tap/%.c
	@mkdir -p $(dir $@)
	@echo "  CC [pic] $<"
	@$(CC) $(REL_CFLAGS) $(INC_tap) -c $< -o $@

$(DIST_A): $(PIC_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^
$(DIST_SO): $(PIC_OBJ) stack/libtapstack.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libtapstack.so.$(SOVERSION) \
		-Wl,--version-script=stack/libtapstack.map -Wl,-z,defs -o $@ $(PIC_OBJ) $(PKG_LIBS) -lm
# Written at every install: it holds PREFIX and LIBDIR.  The libraries the
# archive needs are Libs.private, not Requires.private: a static libtapstack
# then links against the shared libpcap and libnl, without their own static
# dependencies (libpcap's pull in libsystemd, libdbus, ...).
$(DIST_PC): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'libdir=$(LIBDIR)' \
		'includedir=$${prefix}/include' '' 'Name: tapstack' \
		'Description: userspace TCP/IP stack on a Linux TAP device, socket-like ts_ API' \
		'Version: $(VERSION)' \
		'Cflags: -I$${includedir}/tapstack' 'Libs: -L$${libdir} -ltapstack' \
		'Libs.private: $(strip $(shell pkg-config --libs-only-l $(PKGS) 2>/dev/null)) -lm' >$@

lib: $(DIST_A) $(DIST_SO)
FORCE:

# make install / make uninstall: PREFIX and DESTDIR as GNU's conventions say.
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
D := $(DESTDIR)
INSTALLED := $(PREFIX)/bin/tapstack $(LIBDIR)/libtapstack.a $(LIBDIR)/libtapstack.so.$(VERSION) \
	$(LIBDIR)/libtapstack.so.$(SOVERSION) $(LIBDIR)/libtapstack.so \
	$(PREFIX)/include/tapstack/tapstack.h $(LIBDIR)/pkgconfig/tapstack.pc \
	$(MANDIR)/man1/tapstack.1 $(MANDIR)/man3/tapstack.3 $(BASHCOMPDIR)/tapstack

install: all lib $(DIST_PC)
	install -d $(D)$(PREFIX)/bin $(D)$(LIBDIR)/pkgconfig $(D)$(PREFIX)/include/tapstack \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man3 $(D)$(BASHCOMPDIR)
	install -m 0755 build/tapstack $(D)$(PREFIX)/bin/tapstack
	install -m 0644 $(DIST_A) $(D)$(LIBDIR)/libtapstack.a
	install -m 0755 $(DIST_SO) $(D)$(LIBDIR)/libtapstack.so.$(VERSION)
	ln -sf libtapstack.so.$(VERSION) $(D)$(LIBDIR)/libtapstack.so.$(SOVERSION)
	ln -sf libtapstack.so.$(SOVERSION) $(D)$(LIBDIR)/libtapstack.so
	install -m 0644 stack/include/tapstack.h $(D)$(PREFIX)/include/tapstack/tapstack.h
	install -m 0644 $(DIST_PC) $(D)$(LIBDIR)/pkgconfig/tapstack.pc
	install -m 0644 docs/man/tapstack.1 $(D)$(MANDIR)/man1/tapstack.1
	install -m 0644 docs/man/tapstack.3 $(D)$(MANDIR)/man3/tapstack.3
	install -m 0644 tools/completion/tapstack.bash $(D)$(BASHCOMPDIR)/tapstack
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	rm -f $(addprefix $(D),$(INSTALLED))
	-rmdir $(D)$(PREFIX)/include/tapstack 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

deps:
	@tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run.sh build/tapstack

# make check runs every family; check-unit, check-twostack and check-tap one
# each.  SUITE=name and TEST=name narrow any of them (tools/check.sh).
# The valgrind step runs the unit suites of the optimised build (no ASan);
# t_install installs the optimised build and the library (built first).
check: deps
	@$(MAKE) --no-print-directory V=asan tests
	@$(MAKE) --no-print-directory build/tests/unit_tests all lib
	@tools/check.sh build/asan all

check-unit check-twostack check-tap: deps
	@$(MAKE) --no-print-directory V=asan tests
	@tools/check.sh build/asan $(patsubst check-%,%,$@)

check-valgrind: deps
	@$(MAKE) --no-print-directory build/tests/unit_tests
	@tools/check.sh build/asan valgrind

# Not in CI (it needs root and takes about 25 minutes): the faults suite with
# 100 MiB each way, then tools/soak.sh, both on the optimised build.
soak: deps
	@$(MAKE) --no-print-directory V=asan tests
	@$(MAKE) --no-print-directory tests
	@echo "soak: the faults suite, 100 MiB each way"
	@SUITE=faults TS_FAULT_MIB=100 build/tests/twostack_tests
	@tools/soak.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/bench/bench.sh $(if $(QUICK),--quick)

fuzz: deps
	@$(MAKE) --no-print-directory -C tests/fuzz

# Protocol-layer exercises (docs/exercises/README.md): NAME=checksum, CHECK=id
# SEED=n STAGES=1,3 narrow a run; MINE=all links every finished exercise.
exercise exercise-solution exercises: deps
	@NAME="$(NAME)" CHECK="$(CHECK)" SEED="$(SEED)" STAGES="$(STAGES)" MINE="$(MINE)" \
		tools/exercise/run.sh $@

include tools/exercise/ex.mk

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
