# clvsim - Makefile
#
#   make              build the library (static and shared) and the clvsim command
#   make run          install dependencies if missing, build, run clvsim scenarios/holiday.cfg
#   make test         install dependencies if missing, build, run the test suite normally
#                     and again built with AddressSanitizer and UndefinedBehaviorSanitizer
#   make check        run the test suite (no dependency step, no sanitizers)
#   make test-asan    run the test suite built with ASan and UBSan (with the
#                     float-cast-overflow check) only
#   make fuzz         build the libFuzzer harnesses (clang, ASan, UBSan, in BUILD/fuzz) and
#                     run each for FUZZ_SECONDS seconds (default 60); fails on any finding
#                     (fuzz/README.md)
#   make bench        build and run the benchmarks (SECTIONS="mlp fit" runs only those)
#   make examples     build the C API examples (examples/*.c) into BUILD/examples
#   make deps         install the Debian packages clvsim needs (apt-get; sudo when not root)
#   make install PREFIX=/usr/local   binary, library, headers, pkg-config file, man page,
#                     plot scripts and scenarios (PREFIX/share/clvsim)
#   make check-install  install into a temporary prefix and build a program against it
#   make reference    regenerate the key reference in scenarios/README.md from the code
#   make clean
#
# CI builds with WERROR=-Werror.  BUILD selects the object directory.

VERSION := 0.1.0
SOVERSION := 0
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?=
SAN ?=

# Debian packages, by pkg-config module (checked when something is compiled)
PKG_MODULES := gsl libconfig zlib
pkg_deb_gsl := libgsl-dev
pkg_deb_libconfig := libconfig-dev
pkg_deb_zlib := zlib1g-dev

# Evaluated lazily (only by recipes that compile or link), so that 'make deps'
# and 'make test' on a fresh machine reach the install step first.
dep_check = $(if $(shell command -v pkg-config 2>/dev/null),,$(error pkg-config not found: install the Debian package pkg-config (sudo apt-get install pkg-config), or run 'make deps'))$(foreach m,$(PKG_MODULES),$(if $(shell pkg-config --exists $(m) && echo ok),,$(error $(m) not found by pkg-config: install the Debian package $(pkg_deb_$(m)) (sudo apt-get install $(pkg_deb_$(m))), or run 'make deps')))
# GSL's BLAS calls (BFGS, Cholesky) go to GSL's own reference CBLAS, which is
# plain C with the same results on every processor; the networks' products
# are clvsim's own (src/model/gemm.c).  OpenBLAS is not linked: its results
# depend on the kernel it picks for the processor (README, "Reproducibility");
# make bench loads it at run time as the reference.
DEP_CFLAGS = $(dep_check)$(shell pkg-config --cflags gsl libconfig zlib)
DEP_LIBS = -lconfig -lgsl -lgslcblas -lz -lm -lpthread

# (float-cast-overflow, an out-of-range double cast to an integer, is not part
# of -fsanitize=undefined in GCC, which builds the suite)
ifeq ($(SAN),fuzz)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else ifneq ($(SAN),)
SANFLAGS := -fsanitize=address -fsanitize=undefined -fsanitize=float-cast-overflow -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else
SANFLAGS :=
endif
STD_FLAGS := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 -ffp-contract=off -fPIC $(WERROR) $(SANFLAGS)
# only the public headers are on the path: a module names another one's internal
# header relative to itself ("../core/binfile.h"), as tests/include-rules.txt allows
ALL_CFLAGS = $(STD_FLAGS) $(CFLAGS) -Iinclude $(DEP_CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

LIB_SRC := $(wildcard src/core/*.c src/sim/*.c src/model/*.c src/agent/*.c src/eval/*.c src/study/*.c src/report/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
BENCH_SRC := $(wildcard bench/*.c)
EXAMPLE_SRC := $(wildcard examples/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/cli_help.o
HELP_TXT := $(sort $(wildcard man/help/*.txt))
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
EXAMPLE_BIN := $(EXAMPLE_SRC:%.c=$(BUILD)/%)
# policy plugins (clvsim/plugin.h): the example's, and the suite's price-up
# rewritten as one (test_cli_run_policy_plugin), in BUILD/examples/plugins
PLUGIN_SO := $(patsubst examples/plugins/%.c,$(BUILD)/examples/plugins/%.so,$(wildcard examples/plugins/*.c)) \
	$(patsubst tests/plugins/%.c,$(BUILD)/examples/plugins/test_%.so,$(wildcard tests/plugins/*.c))
HEADERS := $(wildcard include/clvsim/*.h)

LIB_A := $(BUILD)/libclvsim.a
LIB_SO := $(BUILD)/libclvsim.so.$(VERSION)
BIN := $(BUILD)/clvsim
TEST_BIN := $(BUILD)/clvsim-tests
BENCH_BIN := $(BUILD)/clvsim-bench

.PHONY: all deps run test check test-asan fuzz fuzz-build bench examples install check-install uninstall reference clean
.DELETE_ON_ERROR:

all: $(LIB_A) $(LIB_SO) $(BIN)

$(BUILD)/%.o: %.c $(HEADERS) $(wildcard src/*/*.h tests/*.h tests/*.def)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the network's element-wise loops (activations, their derivatives, biases,
# Adam) and its matrix product want the vectoriser, which -O2 leaves mostly
# off; floating-point reductions are not reordered without -ffast-math, so
# results are the same (make bench: the neural LTV network).  In the product,
# GCC would turn the copies of a partial block into calls of memcpy or rep
# movs, which cost more than the copy (GCC's option; clang, for the
# fuzzers, has none and needs none).
$(BUILD)/src/model/mlp.o: ALL_CFLAGS += -O3
GEMM_CFLAGS = -O3 $(shell $(CC) -fno-tree-loop-distribute-patterns -E -x c /dev/null >/dev/null 2>&1 && \
	echo -fno-tree-loop-distribute-patterns)
$(BUILD)/src/model/gemm.o: ALL_CFLAGS += $(GEMM_CFLAGS)

# the source tree, where a build from it finds its gnuplot scripts (plots/)
# and scenarios (scenarios/, for 'clvsim run NAME'); an installation finds
# them in PREFIX/share/clvsim first (src/core/sharedir.h)
$(BUILD)/src/core/sharedir.o: ALL_CFLAGS += -DCLV_SOURCE_DIR='"$(CURDIR)"'

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libclvsim.so.$(SOVERSION) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)

# each command's --help is man/help/NAME.txt, a C string clv_help_NAME
# (dashes as underscores): the text is documentation, kept as text
$(BUILD)/cli_help.c: $(HELP_TXT)
	@mkdir -p $(dir $@)
	@{ echo '/* made by the Makefile from the files of man/help; do not edit */'; \
	  for f in $(HELP_TXT); do n=$$(basename $$f .txt | tr - _); \
	    echo "extern const char clv_help_$$n[];"; echo "const char clv_help_$$n[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $$f; echo '    "";'; \
	  done; } > $@.tmp && mv $@.tmp $@

$(BUILD)/cli_help.o: $(BUILD)/cli_help.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the command links the static library: one self-contained binary
# (the whole library, its symbols exported: a policy plugin that clvsim run
# loads, clvsim/plugin.h, may call any public function)
$(BIN): $(CLI_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -Wl,--export-dynamic -o $@ $(CLI_OBJ) -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive \
	    $(DEP_LIBS)

# the tests also exercise the command's progress bar renderer
$(TEST_BIN): $(TEST_OBJ) $(BUILD)/src/cli/progress.o $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(BUILD)/src/cli/progress.o $(LIB_A) $(DEP_LIBS)

# (the benchmark loads OpenBLAS with dlopen, as a reference beside clvsim)
$(BENCH_BIN): $(BENCH_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $(BENCH_OBJ) $(LIB_A) $(DEP_LIBS) -ldl

# examples of the C API (built with the suite, so that they keep compiling)
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB_A) $(DEP_LIBS)

# a plugin: position-independent, its clvsim symbols left to the command that loads it
$(BUILD)/examples/plugins/%.so: examples/plugins/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS_ALL) -o $@ $<
$(BUILD)/examples/plugins/test_%.so: tests/plugins/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS_ALL) -o $@ $<

examples: $(EXAMPLE_BIN) $(PLUGIN_SO)

deps:
	@sh tools/install-deps.sh

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	./$(BIN) scenarios/holiday.cfg

# the suite needs the command too (the CLI tests run it)
check: $(TEST_BIN) $(BIN) $(EXAMPLE_BIN) $(PLUGIN_SO)
	CLVSIM_BIN=./$(BIN) CLVSIM_EXAMPLES=./$(BUILD)/examples ./$(TEST_BIN)

test-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CFLAGS="-O1 -g" check

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory test-asan

bench: $(BENCH_BIN)
	./$(BENCH_BIN) $(SECTIONS)

# ---- fuzzing (fuzz/README.md) ----
# the libFuzzer harnesses of the five parsers, built with clang and the
# sanitizers in BUILD/fuzz (make fuzz builds them there: SAN=fuzz), each run
# FUZZ_SECONDS in turn by fuzz/run.sh
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZERS := scenario txlog qtab mlp response
FUZZ_BIN := $(FUZZERS:%=$(BUILD)/fuzz_%)

# the harnesses see the public headers only
$(BUILD)/fuzz/%.o: fuzz/%.c fuzz/fuzz.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(STD_FLAGS) $(CFLAGS) -Iinclude $(DEP_CFLAGS) -c $< -o $@

$(BUILD)/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(LIB_A) $(DEP_LIBS)

$(BUILD)/make-seeds: $(BUILD)/fuzz/make_seeds.o $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB_A) $(DEP_LIBS)

.SECONDARY: $(FUZZERS:%=$(BUILD)/fuzz/fuzz_%.o) $(BUILD)/fuzz/make_seeds.o

fuzz-build: $(FUZZ_BIN) $(BUILD)/make-seeds
	./$(BUILD)/make-seeds $(BUILD)/seeds

fuzz:
	@command -v $(FUZZ_CC) >/dev/null && test -f "$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a)" || \
		{ echo "make fuzz needs clang and its libFuzzer: install the Debian packages clang and libclang-rt-14-dev (sudo apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) SAN=fuzz CFLAGS="-O1 -g" fuzz-build
	sh fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZERS)

reference: $(BIN)
	@sh tools/update-reference.sh ./$(BIN) scenarios/README.md

# the scenarios that clvsim run NAME finds once installed: the self-contained
# ones (cdnow-ltv.cfg reads ../shared's CDNOW log by a path relative to the
# repository, which an installation does not have)
INSTALL_SCENARIOS := $(filter-out scenarios/cdnow-ltv.cfg,$(wildcard scenarios/*.cfg))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/clvsim $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/clvsim/plots $(DESTDIR)$(PREFIX)/share/clvsim/scenarios
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/clvsim
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libclvsim.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libclvsim.so.$(VERSION)
	ln -sf libclvsim.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libclvsim.so.$(SOVERSION)
	ln -sf libclvsim.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libclvsim.so
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/clvsim/
	install -m 644 man/clvsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/clvsim.1
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/clvsim/plots/
	install -m 644 $(INSTALL_SCENARIOS) $(DESTDIR)$(PREFIX)/share/clvsim/scenarios/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' clvsim.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/clvsim.pc

# install into a temporary prefix and build a program against it
check-install: all
	@sh tools/check-install.sh

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/clvsim $(DESTDIR)$(PREFIX)/lib/libclvsim.* \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/clvsim.pc $(DESTDIR)$(PREFIX)/share/man/man1/clvsim.1
	rm -rf $(DESTDIR)$(PREFIX)/include/clvsim $(DESTDIR)$(PREFIX)/share/clvsim

clean:
	rm -rf $(BUILD)

# ---- the Python package (python/, README "Python"): the extension module
# python/clvsim/_clvsim*.so built in place against $(LIB_A) with Debian's
# interpreter (python3-dev headers; numpy only at run time).  Use it with
# PYTHONPATH=python, or pip install --no-build-isolation ./python.
PYTHON ?= /usr/bin/python3
PY_EXT_SUFFIX = $(shell $(PYTHON)-config --extension-suffix)
PY_INCLUDES = $(shell $(PYTHON)-config --includes)
PY_EXT = python/clvsim/_clvsim$(PY_EXT_SUFFIX)
.PHONY: python python-test python-clean
python: $(LIB_A)
	@test -n "$(PY_EXT_SUFFIX)" || { echo "python: $(PYTHON)-config not found: install python3-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(PY_EXT)
python/clvsim/_clvsim.cpython%.so: python/clvsim/_clvsim.c $(LIB_A) $(HEADERS)
	$(CC) -shared $(PY_INCLUDES) $(ALL_CFLAGS) -fvisibility=hidden $< -o $@ $(LDFLAGS_ALL) $(LIB_A) $(DEP_LIBS)
python-test: python
	$(PYTHON) -m pytest -q python/tests
python-clean:
	rm -f python/clvsim/_clvsim*.so
