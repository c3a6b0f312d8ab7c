# Tally build. `make` builds the library and tools, `make test` builds and runs every
# test under AddressSanitizer and UndefinedBehaviorSanitizer, `make bench` runs the
# benchmarks with optimisation, `make run` runs the main job. Each target first
# installs missing Debian packages (scripts/install-deps.sh; a no-op when present).
#
# Objects go under build/<flavour>/ so the release and sanitizer builds never mix.

CC ?= cc
PKGS := libsodium jansson libmicrohttpd libcurl sqlite3
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -ljansson -lmicrohttpd -lcurl -lsqlite3) -lpthread
# libpq, for the PostgreSQL baseline of `make bench` only (bench/bench_pg.c skips
# itself when it is missing).
PQ_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null)
PQ_LIBS = $(shell pkg-config --libs libpq 2>/dev/null)
# GLPK (GPLv3), for the clearing solver (src/node/clearing.c) only: linked into tallyd,
# the tests and the bench, never into the core library or the CLI.
GLPK_LIBS := -lglpk -lm

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wvla -Wformat=2 -Wundef -Wpointer-arith -Wcast-qual -Wimplicit-fallthrough
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc $(WARNINGS) -MMD -MP

RELEASE_CFLAGS := $(BASE_CFLAGS) -O2 -g -DNDEBUG
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -g $(SANITIZE)

LIB_SOURCES := $(wildcard src/core/*.c) $(wildcard src/chain/*.c) $(wildcard src/store/*.c)
# Sealed key files (Argon2id + secretbox, JSON through jansson): below both the CLI
# and the node, which each link them; not in the library, which needs no JSON.
KEYS_SOURCES := $(wildcard src/keys/*.c)
# Application modules (CLI, node and key files) other than their main files: linked
# into the programs and into the test runner.
APP_SOURCES := $(filter-out %_main.c,$(wildcard src/cli/*.c) $(wildcard src/node/*.c)) $(KEYS_SOURCES)
# The vector builder is shared by the tool that writes the vectors and the test
# that checks them.
# The fuzzers' checks run in the test runner too (test/test_fuzz_regressions.c).
# The policy simulator (src/sim/): the core driven over a generated economy; it
# runs the node's clearing solver, so it links GLPK as tallyd does.
SIM_SOURCES := $(filter-out %_main.c,$(wildcard src/sim/*.c))
TEST_SOURCES := $(wildcard test/*.c) src/tools/vectors_build.c $(APP_SOURCES) $(SIM_SOURCES) fuzz/fuzz_world.c fuzz/fuzz_checks.c
# The bench runs the clearing solver (bench/bench_clearing.c): its one node module,
# and the tests' independent reference for it.
BENCH_SOURCES := $(wildcard bench/*.c) src/node/clearing.c test/clearing_reference.c test/etcd_cluster.c $(SIM_SOURCES)

RELEASE_DIR := build/release
TEST_DIR := build/test

RELEASE_LIB_OBJECTS := $(LIB_SOURCES:%.c=$(RELEASE_DIR)/%.o)
TEST_LIB_OBJECTS := $(LIB_SOURCES:%.c=$(TEST_DIR)/%.o)
TEST_OBJECTS := $(TEST_SOURCES:%.c=$(TEST_DIR)/%.o)
BENCH_OBJECTS := $(BENCH_SOURCES:%.c=$(RELEASE_DIR)/%.o)

DEMO := $(RELEASE_DIR)/tally-demo
VECTORS_TOOL := $(RELEASE_DIR)/tally-vectors
TEST_RUNNER := $(TEST_DIR)/tally-test
BENCH_RUNNER := $(RELEASE_DIR)/tally-bench
TALLYD := $(RELEASE_DIR)/tallyd
# The node under the sanitizers, started by the integration tests.
TEST_TALLYD := $(TEST_DIR)/tallyd
# The node: its modules and the key files (for the demo's keys), none of the CLI's.
NODE_SOURCES := $(filter-out %_main.c,$(wildcard src/node/*.c)) $(KEYS_SOURCES)
RELEASE_NODE_OBJECTS := $(NODE_SOURCES:%.c=$(RELEASE_DIR)/%.o)
TEST_NODE_OBJECTS := $(NODE_SOURCES:%.c=$(TEST_DIR)/%.o)
# The wallet and operator CLI: its main and the CLI's modules.
TALLY_CLI := $(RELEASE_DIR)/tally
CLI_SOURCES := $(filter-out %_main.c,$(wildcard src/cli/*.c)) $(KEYS_SOURCES)
RELEASE_CLI_OBJECTS := $(CLI_SOURCES:%.c=$(RELEASE_DIR)/%.o)
TALLY_SIM := $(RELEASE_DIR)/tally-sim
RELEASE_SIM_OBJECTS := $(SIM_SOURCES:%.c=$(RELEASE_DIR)/%.o) $(RELEASE_DIR)/src/node/clearing.o

.PHONY: all deps test bench run demo vectors clean

all: deps $(DEMO) $(VECTORS_TOOL) $(TALLYD) $(TALLY_CLI) $(TALLY_SIM)

deps:
	@bash scripts/install-deps.sh

$(RELEASE_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(TEST_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(RELEASE_DIR)/libtally.a: $(RELEASE_LIB_OBJECTS)
	ar rcs $@ $^

$(TEST_DIR)/libtally.a: $(TEST_LIB_OBJECTS)
	ar rcs $@ $^

$(DEMO): $(RELEASE_DIR)/src/tools/demo.o $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TALLYD): $(RELEASE_DIR)/src/node/tallyd_main.o $(RELEASE_NODE_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS) $(GLPK_LIBS)

$(TALLY_CLI): $(RELEASE_DIR)/src/cli/tally_main.o $(RELEASE_CLI_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TALLY_SIM): $(RELEASE_DIR)/src/sim/sim_main.o $(RELEASE_SIM_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS) $(GLPK_LIBS)
# tally-sim inlines the web app's plot library into its reports.
$(RELEASE_DIR)/src/sim/sim_main.o: RELEASE_CFLAGS += $(WEB_DIR_DEFINE)

$(TEST_TALLYD): $(TEST_DIR)/src/node/tallyd_main.o $(TEST_NODE_OBJECTS) $(TEST_DIR)/libtally.a
	$(CC) $(TEST_CFLAGS) -o $@ $^ $(PKG_LIBS) $(GLPK_LIBS)

# Only the sanitizer build of tallyd can arm file faults from TALLY_FAULTS and the
# power-loss model from TALLY_POWER_LOSS (for the fault-injection tests); the release
# binaries have no such code.
$(TEST_DIR)/src/node/tallyd_main.o $(TEST_DIR)/src/store/file_io.o $(TEST_DIR)/src/store/power_loss.o \
    $(TEST_DIR)/src/node/index_power_loss.o $(TEST_DIR)/test/test_power_loss.o: TEST_CFLAGS += -DTALLY_FAULT_INJECTION
# tallyd serves the web app from this checkout's web/ unless told otherwise (--web).
WEB_DIR_DEFINE = -DTALLY_WEB_DIR='"$(CURDIR)/web"'
$(TEST_DIR)/src/node/tallyd_main.o: TEST_CFLAGS += $(WEB_DIR_DEFINE)
$(RELEASE_DIR)/src/node/tallyd_main.o: RELEASE_CFLAGS += $(WEB_DIR_DEFINE)

$(VECTORS_TOOL): $(RELEASE_DIR)/src/tools/vectors.o $(RELEASE_DIR)/src/tools/vectors_build.o $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TEST_RUNNER): $(TEST_OBJECTS) $(TEST_DIR)/libtally.a
	$(CC) $(TEST_CFLAGS) -o $@ $^ $(PKG_LIBS) $(GLPK_LIBS)

$(BENCH_OBJECTS): PKG_CFLAGS += $(PQ_CFLAGS)
$(BENCH_RUNNER): $(BENCH_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS) $(PQ_LIBS) $(GLPK_LIBS)

# `make test` runs every test; `make test T=name` runs the tests whose name contains it.
test: deps $(TEST_RUNNER) $(TEST_TALLYD) $(TALLY_CLI) $(TALLY_SIM)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ./$(TEST_RUNNER) $(T)

bench: deps $(BENCH_RUNNER) $(TALLYD)
	./$(BENCH_RUNNER)

# The main job: a node on 127.0.0.1:8080 keeping its chain in ./data; on its first
# start it creates the demo network and prints what to type next. Running it again
# reuses the data. `make run DATA=dir LISTEN=host:port` changes either.
DATA ?= ./data
LISTEN ?= 127.0.0.1:8080
run: all
	./$(TALLYD) --data $(DATA) --listen $(LISTEN) --demo

# The scripted demo of the core alone (no node, nothing stored).
demo: all
	./$(DEMO)

# Rewrites test/vectors/transactions.json from the encoder (review the diff!).
vectors: $(VECTORS_TOOL)
	./$(VECTORS_TOOL) > test/vectors/transactions.json

# ---- Fuzzing: libFuzzer with clang (fuzz/, checks in fuzz/fuzz_checks.h) ----
# `make fuzz` builds each fuzzer into build/fuzz/ and runs it for FUZZ_SECONDS
# (default 60) from its seeds in fuzz/corpus/ and saved crashes in fuzz/regressions/,
# then prints executions and coverage per fuzzer; `make fuzz-ci` runs each for 15 s
# (CI). A crash, leak or timeout fails the target. `make fuzz-seeds` writes the seeds
# again (the same bytes every time).
FUZZ_CC := clang
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g $(SANITIZE) -fsanitize=fuzzer-no-link
# name:max_len, the longest input each fuzzer tries (tx: single transactions and
# batches of up to about 38 lines; the longest batch seed is cut to it).
FUZZERS := tx:4096 block:16384 snapshot:16384 http:16384
FUZZ_BINARIES := $(foreach fuzzer,$(FUZZERS),$(FUZZ_DIR)/fuzz_$(firstword $(subst :, ,$(fuzzer))))
FUZZ_SUPPORT_SOURCES := $(LIB_SOURCES) src/node/submission.c fuzz/fuzz_world.c fuzz/fuzz_checks.c
FUZZ_SUPPORT_OBJECTS := $(FUZZ_SUPPORT_SOURCES:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_SEEDS_TOOL := $(RELEASE_DIR)/tally-fuzz-seeds

.PHONY: fuzz fuzz-ci fuzz-seeds

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_BINARIES): $(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_SUPPORT_OBJECTS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

$(FUZZ_SEEDS_TOOL): $(RELEASE_DIR)/fuzz/fuzz_seeds.o $(RELEASE_DIR)/fuzz/fuzz_world.o $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-seeds: deps $(FUZZ_SEEDS_TOOL)
	./$(FUZZ_SEEDS_TOOL) test/vectors/transactions.json fuzz/corpus

fuzz: deps fuzz-seeds $(FUZZ_BINARIES)
	bash scripts/fuzz-run.sh $(FUZZ_SECONDS) $(FUZZERS)

# CI's pass is repeatable: a fixed seed and a fixed number of runs per fuzzer (bounded
# by 60 s each), so the same code always gives the same verdict.
fuzz-ci: deps fuzz-seeds $(FUZZ_BINARIES)
	FUZZ_EXTRA="-seed=1 -runs=50000" bash scripts/fuzz-run.sh 60 $(FUZZERS)

-include $(FUZZ_SUPPORT_OBJECTS:.o=.d) $(FUZZ_BINARIES:$(FUZZ_DIR)/fuzz_%=$(FUZZ_DIR)/obj/fuzz/fuzz_%.d) \
         $(RELEASE_DIR)/fuzz/fuzz_seeds.d $(RELEASE_DIR)/fuzz/fuzz_world.d

clean:
	rm -rf build

# Every object's header dependencies, the programs' main files included (a node or
# CLI built against an older header would disagree with the library about enums).
-include $(RELEASE_LIB_OBJECTS:.o=.d) $(TEST_LIB_OBJECTS:.o=.d) $(TEST_OBJECTS:.o=.d) $(BENCH_OBJECTS:.o=.d) \
         $(RELEASE_CLI_OBJECTS:.o=.d) $(RELEASE_NODE_OBJECTS:.o=.d) $(RELEASE_SIM_OBJECTS:.o=.d) $(RELEASE_DIR)/src/sim/sim_main.d $(TEST_NODE_OBJECTS:.o=.d) \
         $(TEST_DIR)/src/node/tallyd_main.d $(RELEASE_DIR)/src/node/tallyd_main.d \
         $(RELEASE_DIR)/src/cli/tally_main.d $(RELEASE_DIR)/src/tools/demo.d $(RELEASE_DIR)/src/tools/vectors.d
