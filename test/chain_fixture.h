/*
 * chain_fixture.h: a small chain for the block, log and replay tests. A producer
 * with a fixed key builds blocks from real signed transactions of the core
 * (networks, members, lines, payments, an asset, the pool, a default), keeping each
 * block's encoding so tests can write logs of it, damage them the way disks and
 * forgers do, and check what verification says. Also temporary data directories
 * under /tmp that the tests remove.
 */
#ifndef TALLY_TEST_CHAIN_FIXTURE_H
#define TALLY_TEST_CHAIN_FIXTURE_H

#include "fixture.h"
#include "tally_chain.h"

#define CHAIN_BLOCKS_MAX 128u
#define CHAIN_ACTORS_MAX 128u
#define CHAIN_NAME "greenvale-test"
#define CHAIN_GENESIS_TIME WORLD_START_TIME
#define CHAIN_PRODUCER_ACTOR 100u
#define TEMP_DIR_BYTES 64u
/* The scripted history: blocks 0 (genesis) to CHAIN_HISTORY_TIP. */
#define CHAIN_HISTORY_TIP 10u

enum { CHAIN_NET = 1, CHAIN_USD = 1 };
enum { OP = 0, ALICE = 1, BOB = 2, CAROL = 3, DAVE = 4, BANK = 10 };

typedef struct {
    test_actor producer;
    tally_state *state; /* the producer's state at tip */
    tally_chain_tip tip;
    uint8_t *encoded[CHAIN_BLOCKS_MAX]; /* every block built, genesis first */
    size_t lengths[CHAIN_BLOCKS_MAX];
    uint32_t count;
    uint32_t transactions; /* accepted, in all blocks */
    uint64_t next_sequence[CHAIN_ACTORS_MAX];
} test_chain;

/* A chain with only its genesis. */
void chain_start(test_chain *chain);
void chain_free(test_chain *chain);
/* A transaction of `type` from actor number `signer`, chain id and next sequence
 * filled; fill the body, then chain_sign. */
tally_tx chain_tx(test_chain *chain, uint32_t signer, tally_tx_type type);
/* Signs tx as actor `signer` and counts its sequence as used. */
void chain_sign(test_chain *chain, tally_tx *tx, uint32_t signer);
/* Builds the next block at `time` from the candidates; keeps its encoding.
 * results (may be NULL) receives one per candidate. */
tally_chain_error chain_add_block(test_chain *chain, int64_t time, const tally_tx *candidates,
                                  uint32_t count, tally_result *results);
/* chain_start, then the scripted history up to CHAIN_HISTORY_TIP. */
void chain_history(test_chain *chain);
/* Decodes block `height` into an initialised block. */
void chain_block(const test_chain *chain, uint32_t height, tally_block *block);

/* Recomputes a block's roots, names the key of secret as producer and signs the
 * header: what a producer who forges a block would do. */
void block_reseal(tally_block *block, const uint8_t secret[TALLY_SECRET_BYTES]);
/* The block's encoding in a new buffer (one spare byte at the end). */
uint8_t *block_bytes(const tally_block *block, size_t *length);

/* Payment helper: a signed transfer candidate. */
tally_tx chain_payment(test_chain *chain, uint32_t payer, uint32_t payee, int64_t amount);

/* mkdtemp under /tmp; the test fails when it cannot. */
void temp_dir_make(char path[TEMP_DIR_BYTES]);
/* Removes every file in path, then path. */
void temp_dir_remove(const char *path);

/* One log record around an encoded block: magic | length | payload | checksum. */
size_t log_record(const uint8_t *payload, size_t length, uint8_t *out, size_t out_size);
/* Writes directory/blocks.log holding the given encoded blocks as records. */
bool log_write(const char *directory, uint8_t *const *encoded, const size_t *lengths, uint32_t count);
/* Writes the first `count` blocks of chain as directory/blocks.log. */
bool chain_write_log(const test_chain *chain, const char *directory, uint32_t count);

/* Whole files, for damaging them. */
uint8_t *file_bytes(const char *path, size_t *length);
bool file_put(const char *path, const uint8_t *bytes, size_t length);
/* directory/name into out. */
void path_join(char *out, size_t size, const char *directory, const char *name);

/* Collects notices for checking. */
typedef struct {
    uint32_t count;
    tally_chain_failure last;
    tally_chain_error codes[16];
} notice_log;
void notice_collect(void *context, const tally_chain_failure *notice);

#endif
