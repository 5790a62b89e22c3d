# tools/exercise/ex.mk - builds for the protocol-layer exercises, included
# by the top-level Makefile (which defines CC, CFLAGS, V, OUT, the INC_*
# paths and the source lists).  tools/exercise/run.sh drives it; see
# docs/exercises/README.md for what the stages are.
#
# A variant is the stack with one file replaced:
#   EXSRC   the replacing file (the learner's docs/exercises/NAME/FILE, a
#           skeleton, or a reference patched with a typical mistake); a list
#           for MINE=all, each file replacing the stack/ file of its name
#   EXREPL  the reference file it replaces (stack/arp.c, stack/tcp_seq.h)
#   EXD     the variant's build directory (build/ex/NAME/mine, ...)
#   EXNAME  the exercise (its checks are tests/exercises/NAME_test.c)
#
# Nothing in stack/ knows: the choice is made here, at link time.  A .c
# variant recompiles only that translation unit and relinks against the
# reference objects already built (build/asan/obj, build/ex/pic/...).  A
# header variant (tcp_seq.h) recompiles the stack files that include it from
# a snapshot of stack/ with the learner's header in place: a quoted #include
# finds the header beside the including file first, so an include path
# placed first would not replace it.
#
# Products, per V (asan: the checks; rel: the speed stage):
#   $(EXD)/$(V)/libtapstack.a   the variant stack
#   $(EXD)/asan/ex_unit         stage 1: the layer's checks
#   $(EXD)/asan/unit_tests, twostack_tests   stage 2: the suites relinked
#   $(EXD)/$(V)/node.so         stages 3 and 5: the variant as a shared
#                               object (-fPIC, -Bsymbolic, only exnode_*
#                               exported) for the driver to dlopen
#   $(EXD)/asan/fuzz_frame, fuzz_frames   stage 4: harnesses with a plain main
#   $(EXD)/asan/tapstack        stage 6: the program on the variant
# and, once, the reference .so and the driver:
#   build/ex/ref/$(V)/node.so   build/ex/driver/$(V)/exdrive

EXD     ?= build/ex/none
EXV     := $(EXD)/$(V)
EX_PIC  := build/ex/pic/$(V)
PICFLAGS := -fPIC -fvisibility=hidden

EX_HDR  := $(filter %.h,$(EXSRC) $(EXREPL))
EX_SAME := $(if $(EXSRC),$(if $(filter $(abspath $(EXSRC)),$(abspath $(EXREPL))),1),1)
# Snapshot mode: a header, or several files at once (MINE=all).
EX_SNAPMODE := $(if $(EX_SAME),,$(if $(or $(EX_HDR),$(word 2,$(EXSRC))),1))

EX_NODE_SRC := tools/exercise/node.c
EX_PIC_SRC  := $(STACK_SRC) $(HTTP_SRC) $(SERVICES_SRC) tools/sim/sim_peer.c $(EX_NODE_SRC)
picobj = $(patsubst %.c,$(EX_PIC)/obj/%.o,$(1))

define ex_compile
	@mkdir -p $(dir $@)
	@echo "  CC $< ($(notdir $(EXD))$(if $(findstring pic,$@), pic))"
	@$(CC) $(CFLAGS) $(1) -c $< -o $@
endef

# ---- the reference, position-independent ----------------------------------
$(EX_PIC)/obj/stack/%.o: stack/%.c
	$(call ex_compile,$(PICFLAGS) $(INC_stack))
$(EX_PIC)/obj/http/%.o: http/%.c
	$(call ex_compile,$(PICFLAGS) $(INC_http))
$(EX_PIC)/obj/tools/services/%.o: tools/services/%.c
	$(call ex_compile,$(PICFLAGS) $(INC_services))
$(EX_PIC)/obj/tools/%.o: tools/%.c
	$(call ex_compile,$(PICFLAGS) $(INC_tools))

build/ex/ref/$(V)/node.so: $(call picobj,$(EX_PIC_SRC))
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -shared -Wl,-Bsymbolic -Wl,-z,defs -o $@ $^ -lm

EX_DRIVER := build/ex/driver/$(V)/exdrive
# The driver prints frames with the checks' decoder (no stack code in it).
$(OUT)/obj/tools/exercise/exdrive.o: INC_tools += -Itests/exercises/lib
$(EX_DRIVER): $(call obj,tools/exercise/exdrive.c tools/sim/sim_net.c tap/wire.c tap/faults.c \
		tap/pcap_tee.c tap/pcapng.c stack/netdev.c stack/checksum.c stack/drop.c tests/exercises/lib/exframe.c)
	@mkdir -p $(dir $@)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lm

# ---- the variant's stack -----------------------------------------------------
ifeq ($(EX_SAME),1)
# The reference itself (make exercise-solution): nothing to rebuild.
EX_LIB := $(LIBSTACK)
EX_OBJS := $(LIBSTACK)
EX_SO  := build/ex/ref/$(V)/node.so
else ifeq ($(EX_SNAPMODE),1)
EX_SNAP := $(EXV)/src/stack
EX_LIB  := $(EXV)/libtapstack.a
EX_SO   := $(EXV)/node.so
$(EXV)/src/.stamp: $(wildcard stack/*.c stack/*.h) $(EXSRC)
	@mkdir -p $(EX_SNAP)
	@cp -pu stack/*.c stack/*.h $(EX_SNAP)/
	@for f in $(EXSRC); do cp -p $$f $(EX_SNAP)/$$(basename $$f); done
	@touch $@
# Recompiled from the snapshot: the replaced .c files and every stack file
# that includes a replaced header; the rest are the reference objects.
ex_space :=
ex_space +=
EX_HDR_NAMES := $(notdir $(filter %.h,$(EXSRC)))
EX_DEP_C  := $(if $(EX_HDR_NAMES),$(shell grep -l -E '\#include "($(subst $(ex_space),|,$(EX_HDR_NAMES)))"' $(STACK_SRC)))
EX_SNAP_C := $(sort $(addprefix stack/,$(notdir $(filter %.c,$(EXSRC)))) $(EX_DEP_C))
EX_HOBJ := $(patsubst stack/%.c,$(EXV)/hobj/%.o,$(EX_SNAP_C))
EX_HPIC := $(patsubst stack/%.c,$(EXV)/hpic/%.o,$(EX_SNAP_C))
$(EXV)/hobj/%.o: $(EXV)/src/.stamp
	$(eval EXC := $(EX_SNAP)/$*.c)
	@mkdir -p $(dir $@)
	@echo "  CC $(EXC) ($(notdir $(EXD)))"
	@$(CC) $(CFLAGS) -I$(EX_SNAP) $(INC_API) -c $(EXC) -o $@
$(EXV)/hpic/%.o: $(EXV)/src/.stamp
	$(eval EXC := $(EX_SNAP)/$*.c)
	@mkdir -p $(dir $@)
	@echo "  CC $(EXC) ($(notdir $(EXD)) pic)"
	@$(CC) $(CFLAGS) $(PICFLAGS) -I$(EX_SNAP) $(INC_API) -c $(EXC) -o $@
EX_OBJS := $(filter-out $(call obj,$(EX_SNAP_C)),$(call obj,$(STACK_SRC))) $(EX_HOBJ)
$(EX_LIB): $(EX_OBJS)
	@rm -f $@
	@ar rcs $@ $^
$(EX_SO): $(EX_HPIC) $(filter-out $(call picobj,$(EX_SNAP_C)),$(call picobj,$(EX_PIC_SRC)))
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -shared -Wl,-Bsymbolic -Wl,-z,defs -o $@ $^ -lm
else
EX_LIB := $(EXV)/libtapstack.a
EX_SO  := $(EXV)/node.so
$(EXV)/obj/learner.o: $(EXSRC)
	$(call ex_compile,$(INC_stack))
$(EXV)/pic/learner.o: $(EXSRC)
	$(call ex_compile,$(PICFLAGS) $(INC_stack))
EX_OBJS := $(filter-out $(call obj,$(EXREPL)),$(call obj,$(STACK_SRC))) $(EXV)/obj/learner.o
$(EX_LIB): $(EX_OBJS)
	@rm -f $@
	@ar rcs $@ $^
$(EX_SO): $(filter-out $(call picobj,$(EXREPL)),$(call picobj,$(EX_PIC_SRC))) $(EXV)/pic/learner.o
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -shared -Wl,-Bsymbolic -Wl,-z,defs -o $@ $^ -lm
endif

# ---- stage 1: the layer's checks ------------------------------------------------
EX_TEST_LIB := $(call obj,$(wildcard tests/exercises/lib/*.c))
# The check includes the learner's header (header exercises) ahead of stack/.
EX_TEST_INC := $(if $(EX_HDR),$(if $(EX_SAME),,$(addprefix -I,$(dir $(filter %.h,$(EXSRC))))))
# The checks of a .c exercise are the same object for every variant (the
# learner's, skeletons, mistakes): compile them once per exercise.  Those of
# a header exercise include the variant's header: once per variant.
EX_TEST_OBJ := $(if $(EX_HDR),$(EXV)/obj/ex_test.o,build/ex/$(EXNAME)/checks-$(V)/ex_test.o)
$(EX_TEST_OBJ): tests/exercises/$(EXNAME)_test.c $(if $(EX_HDR),$(EXSRC))
	$(call ex_compile,$(EX_TEST_INC) $(INC_tests))
# A header exercise's checks test the header itself: the reference stack will do.
# Otherwise the variant's objects, linked as they are: stage 1 needs no
# archive (the self-check runs stage 1 alone for most of its variants).
EX_UNIT_LIB := $(if $(and $(EX_HDR),$(filter 1,$(words $(EXSRC)))),$(LIBSTACK),$(EX_OBJS))
$(EXV)/ex_unit: $(EX_TEST_OBJ) $(EX_TEST_LIB) $(EX_UNIT_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ -lm

# ---- stage 2: the existing suites, relinked ----------------------------------------
EX_LIBS := $(LIBSERVICES) $(LIBHTTP) $(LIBTAP) $(EX_LIB)
$(EXV)/unit_tests: $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(EX_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(call obj,$(UNIT_SRC) $(TEST_LIB_SRC)) $(EX_LIBS) $(PKG_LIBS) $(CHECK_LIBS) -Wl,--wrap=_tcase_add_test,--wrap=suite_create -lm
$(EXV)/twostack_tests: $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(EX_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(call obj,$(TWO_SRC) $(TEST_LIB_SRC)) $(EX_LIBS) $(PKG_LIBS) $(CHECK_LIBS) -Wl,--wrap=_tcase_add_test,--wrap=suite_create -lm
$(EXV)/tapstack: $(call obj,$(TOOL_SRC) $(SIM_SRC)) $(EX_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(call obj,$(TOOL_SRC) $(SIM_SRC)) $(EX_LIBS) $(PKG_LIBS) -lm

# ---- stage 4: the fuzz harnesses with a plain main (gcc, no libFuzzer) -------------------
EX_FUZZ_COMMON := $(call obj,tests/fuzz/fuzz_common.c tests/fuzz/replay.c)
$(EXV)/fuzz_%: $(OUT)/obj/tests/fuzz/fuzz_%.o $(EX_FUZZ_COMMON) $(EX_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ -lm

.PHONY: ex-unit ex-regress ex-so ex-fuzz ex-driver ex-tap
ex-unit: $(EXV)/ex_unit
ex-regress: $(EXV)/unit_tests $(EXV)/twostack_tests
ex-so: $(EX_SO) $(EX_DRIVER)
	@mkdir -p $(EXV)
	@ln -sf $(abspath $(EX_SO)) $(EXV)/variant.so
ex-fuzz: $(EXV)/fuzz_frame $(EXV)/fuzz_frames
ex-tap: $(EXV)/tapstack
ex-driver: $(EX_DRIVER) build/ex/ref/$(V)/node.so

# ---- skeletons --------------------------------------------------------------------
# The skeletons are generated from today's reference (tools/exercise/skelgen.py,
# tests/exercises/NAME.skel): after changing a file an exercise replaces, run
# this, review `git diff docs/exercises` and commit it with the change.
.PHONY: exercises-regenerate
exercises-regenerate:
	@tools/exercise/selfcheck.sh --regenerate $(NAME)
