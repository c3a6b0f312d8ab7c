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

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wvla -Wformat=2 -Wundef -Wpointer-arith -Wcast-qual -Wimplicit-fallthrough
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc $(WARNINGS) -MMD -MP

RELEASE_CFLAGS := $(BASE_CFLAGS) -O2 -g -DNDEBUG
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -g $(SANITIZE)

LIB_SOURCES := $(wildcard src/core/*.c) $(wildcard src/chain/*.c) $(wildcard src/store/*.c)
# Application modules (CLI and node) other than their main files: linked into the
# programs and into the test runner.
APP_SOURCES := $(filter-out %_main.c,$(wildcard src/cli/*.c) $(wildcard src/node/*.c))
# The vector builder is shared by the tool that writes the vectors and the test
# that checks them.
TEST_SOURCES := $(wildcard test/*.c) src/tools/vectors_build.c $(APP_SOURCES)
BENCH_SOURCES := $(wildcard bench/*.c)

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
# The node needs only the keystore of the CLI's modules (for the demo's keys).
NODE_SOURCES := $(filter-out %_main.c,$(wildcard src/node/*.c)) src/cli/keystore.c
RELEASE_NODE_OBJECTS := $(NODE_SOURCES:%.c=$(RELEASE_DIR)/%.o)
TEST_NODE_OBJECTS := $(NODE_SOURCES:%.c=$(TEST_DIR)/%.o)
# The wallet and operator CLI: its main and the CLI's modules.
TALLY_CLI := $(RELEASE_DIR)/tally
CLI_SOURCES := $(filter-out %_main.c,$(wildcard src/cli/*.c))
RELEASE_CLI_OBJECTS := $(CLI_SOURCES:%.c=$(RELEASE_DIR)/%.o)

.PHONY: all deps test bench run demo vectors clean

all: deps $(DEMO) $(VECTORS_TOOL) $(TALLYD) $(TALLY_CLI)

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
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TALLY_CLI): $(RELEASE_DIR)/src/cli/tally_main.o $(RELEASE_CLI_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TEST_TALLYD): $(TEST_DIR)/src/node/tallyd_main.o $(TEST_NODE_OBJECTS) $(TEST_DIR)/libtally.a
	$(CC) $(TEST_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(VECTORS_TOOL): $(RELEASE_DIR)/src/tools/vectors.o $(RELEASE_DIR)/src/tools/vectors_build.o $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(TEST_RUNNER): $(TEST_OBJECTS) $(TEST_DIR)/libtally.a
	$(CC) $(TEST_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BENCH_RUNNER): $(BENCH_OBJECTS) $(RELEASE_DIR)/libtally.a
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

# `make test` runs every test; `make test T=name` runs the tests whose name contains it.
test: deps $(TEST_RUNNER) $(TEST_TALLYD)
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

clean:
	rm -rf build

-include $(RELEASE_LIB_OBJECTS:.o=.d) $(TEST_LIB_OBJECTS:.o=.d) $(TEST_OBJECTS:.o=.d) $(BENCH_OBJECTS:.o=.d) $(RELEASE_CLI_OBJECTS:.o=.d)
