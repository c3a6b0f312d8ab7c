/*
 * node_internal.h: the node's engine state, shared by node.c (admission, the
 * producer, the indexer) and node_validator.c (a validator's part: proposing through
 * the ordering layer, following the blocks other validators propose, forwarding
 * transactions to the proposer). Nothing outside src/node/node*.c includes it.
 */
#ifndef TALLY_NODE_INTERNAL_H
#define TALLY_NODE_INTERNAL_H

#include <pthread.h>

#include "node/cosigner.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/recent.h"

/* The producer spends at most 1/BLOCK_DUTY_CYCLE of a core making blocks while it
 * waits for transactions on their way (see above). */
#define BLOCK_DUTY_CYCLE 16u
#define HEALTH_KEPT_MAX 1024u /* health periods kept for the indexer (keep_health) */
#define STATUS_SLOTS (1u << 18)
#define VERDICT_SLOTS (1u << 16) /* a window of at least 32,768 refused transactions */
#define MEMPOOL_PER_SENDER_DEFAULT 1024u
/* Blocks the indexer adds in one SQLite transaction at most (indexer_main). */
#define INDEX_BATCH_BLOCKS 16u


struct node {
    node_config config;
    char data_dir[4096];
    tally_store *store;
    uint8_t producer_secret[TALLY_SECRET_BYTES];
    tally_key producer;
    bool is_new;

    pthread_mutex_t lock;
    pthread_cond_t work;      /* the producer: something to do */
    pthread_cond_t committed; /* waiters: a block was made */
    pthread_t producer_thread;
    bool running, producer_started, failed;

    mempool pool;
    mempool_entry *candidates;
    tally_tx *candidate_txs;
    tally_tx_prepared *candidate_prepared;
    tally_result *candidate_results;
    tally_block block;
    recent_table statuses; /* transaction id -> tx_status */
    recent_table verdicts; /* BLAKE2b(id | signature) -> 1 valid, 0 not: refused ones */
    uint64_t last_block_ms;          /* CLOCK_REALTIME: when the last block was made (idle blocks) */
    /* A development chain's clock runs this many seconds ahead of the machine's
     * (node_dev_advance); always 0 on a real chain. */
    int64_t dev_offset;
    bool block_requested; /* make a block now, even an empty one (a dev advance) */
    /* The figures of the health periods the last blocks made ended, kept as each block
     * is made (the state then holds them) until the indexer reads that block: a ring,
     * the oldest overwritten (health_figures falls back on the state). */
    index_health_given health_kept[HEALTH_KEPT_MAX];
    uint32_t health_kept_next, health_kept_count;
    uint64_t last_block_start_ns;    /* CLOCK_MONOTONIC: when the last block began */
    uint64_t last_block_cpu_ns;      /* the producer's CPU time for it */
    uint64_t oldest_pending_ns;      /* CLOCK_MONOTONIC: when the oldest pending transaction arrived */
    uint32_t checking;               /* transactions past the first look, their signatures being checked */
    bool writing;                    /* a block is being written, the lock let go: the state is ahead of the log */
    uint32_t readers_waiting;        /* node_read_begin callers waiting for that write */
    pthread_cond_t readers_done;     /* the producer: they have had their turn */
    node_metrics metrics;

    /* The signature checkers, one thread per core (tally_signature_pool): many
     * connections submitting at once never run more verifications at a time than
     * there are cores. The replay at opening uses them too. */
    tally_signature_pool *signatures;

    /* The query index, filled by its own thread after blocks are acknowledged so
     * that indexing never delays a commit. index_lock guards the index alone. */
    tally_index *index;
    pthread_mutex_t index_lock;
    pthread_t indexer_thread;
    bool indexer_started;

    /* Co-signatures (issue 14, node/cosigner.h): the node's own of each block it
     * makes, and other validators' from the ordering layer. Under lock; flushed
     * without it by the producer thread. */
    cosigner cosign;

    /* A validator of a chain of several (node_validator.c); NULL on a single node. */
    struct validator *validator;
    /* A validator forwarding to another (the producer thread says so each time it
     * looks): its own state may trail the proposer's by a block or two, so a
     * sequence ahead of it is the proposer's to judge. */
    bool following;
    tally_store_options store_options; /* to reopen the store after a lost proposal or a full disk */
    bool waiting_for_checks; /* the producer waits for `checking` to reach 0 (committed is broadcast) */
    /* The disk was full (ENOSPC) when a block or a co-signature was written (node.c,
     * "A full disk"): no block is made and every transaction is refused DISK_FULL
     * until a probe finds room again. */
    bool disk_full;
    uint64_t disk_full_probe_ns; /* CLOCK_MONOTONIC: when the next probe is due */
    uint64_t disk_full_since_ms; /* CLOCK_REALTIME: when it began */
    /* Read without the lock (the store may be replaced under it): they never change. */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    bool dev_chain;
};


typedef struct validator validator;

/* node.c's helpers, for node_validator.c. Lock held for the status ones. */
void node_status_set(node *n, const uint8_t id[TALLY_HASH_BYTES], tx_status status);
tx_status node_status_get(node *n, const uint8_t id[TALLY_HASH_BYTES]);
void node_say(const node *n, const char *what, const char *detail);
uint64_t node_monotonic_ns(void);
uint64_t node_now_ms(void);
/* Opens the store again from the data directory (the newest snapshot, then the log),
 * once no submission is checking signatures against the state (they read its index
 * secret outside the lock; none starts while it is held): the state in memory held
 * a block the log does not (a lost proposal, a block the disk had no room for).
 * Lock held. On failure n->store is NULL and the node must stop. */
tally_chain_error node_store_reopen(node *n, tally_chain_failure *failure);

/* node_validator.c, for node.c. */
/* Whether this validator may make the next block now: it holds the proposer lease
 * and has applied every block the log holds. Lock held. */
bool validator_may_propose(node *n);
/* After each block (lock held): the co-signer and the ordering layer follow the set
 * the chain has now (node.c; validator_take_set for the ordering's part). */
void node_take_validators(node *n);
void validator_take_set(node *n);
/* What a validator that is not the proposer does with its mempool: sends it to the
 * proposer (and again what was sent and is still not in a block after a while).
 * Lock held; let go while sending. */
void validator_forward(node *n);
/* Writes the block built last through the ordering layer, then to the log: the
 * validator's build_write_publish after the build. Lock held; let go meanwhile.
 * On LOST the block is undone (*lost true, the store reopened at its tip). */
tally_chain_error validator_write_publish(node *n, bool *lost, tally_chain_failure *failure);
/* The validator's state kept in the node: freed at close. */
void validator_free(node *n);

#endif
