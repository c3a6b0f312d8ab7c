/*
 * node.h: the running node. It owns the store (block log, snapshots, the state at
 * the tip), the mempool, the table of recent transaction statuses, and the producer
 * thread that turns the mempool into blocks: as soon as the previous block is
 * durable, waiting for transactions on their way at most block_ms (see node.c). A
 * transaction is reported committed only after its block is durable.
 *
 * Threads: HTTP handlers call node_submit, node_wait and the read functions from
 * many threads; everything shared is behind one mutex, held briefly. Signatures are
 * verified outside it, on all cores. If a block cannot be made durable the node
 * stops serving (node_failed) rather than answer from a state it cannot prove.
 */
#ifndef TALLY_NODE_H
#define TALLY_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "node/clearing.h"
#include "node/cosigner.h"
#include "node/etcd.h"
#include "node/index.h"
#include "node/ordering.h"
#include "tally.h"
#include "tally_chain.h"

typedef struct {
    const char *data_dir;
    const char *chain_name;      /* for a new chain */
    tally_chain_rules chain_rules; /* for a new chain: who may grow it (the producer is made validator 0) */
    uint32_t block_ms;           /* the longest a pending transaction waits for its block */
    uint32_t block_min_ms;       /* the least time between blocks (0: none; for fewer, larger blocks) */
    uint32_t block_max_txs;      /* a block is made at once when this many are pending */
    uint32_t idle_block_seconds; /* an empty block this often, so credit periods end on time */
    uint32_t snapshot_every;     /* blocks between snapshots */
    uint32_t mempool_capacity;
    uint32_t mempool_per_sender; /* pending transactions one signer may have (default 1024) */
    uint32_t verify_threads;     /* 0: one per core */
    bool quiet;                  /* no log lines on stderr */
    /* A new data directory joins the chain of this genesis block (its encoding), as
     * a validator does from its ordering log; NULL: a new chain is made. */
    const uint8_t *genesis;
    size_t genesis_length;
    /* A validator (tallyd --validator) may start with a key the chain has not added
     * or has retired: it follows. A single node's key must be an active validator's. */
    bool may_follow;
} node_config;

void node_config_defaults(node_config *config);

typedef enum { TX_UNKNOWN = 0, TX_PENDING, TX_COMMITTED, TX_REFUSED } tx_state;

/* The node's own refusals, not the ledger's: the mempool is full, the signer has
 * mempool_per_sender transactions pending already, the node stopped after a failed
 * write, memory ran out; on a validator: its block lost the height to another
 * validator's (NOT_COMMITTED: submit again), or no validator has held the proposer
 * lease for a while (NO_PROPOSER); the disk was full when the node last wrote, and
 * nothing is taken until there is room again (DISK_FULL: send it again later). */
#define NODE_REFUSALS(X) \
    X(MEMPOOL_FULL) X(SENDER_PENDING_FULL) X(NODE_FAILED) X(OUT_OF_MEMORY) X(NOT_COMMITTED) X(NO_PROPOSER) \
    X(DISK_FULL)
typedef enum {
#define NODE_REFUSAL_ENUM(name) NODE_REFUSAL_##name,
    NODE_REFUSALS(NODE_REFUSAL_ENUM)
#undef NODE_REFUSAL_ENUM
        NODE_REFUSAL_COUNT
} node_refusal;
/* "SENDER_PENDING_FULL" for NODE_REFUSAL_SENDER_PENDING_FULL: what tx_status's
 * node_error points to. */
extern const char *const node_refusal_names[NODE_REFUSAL_COUNT];

/* What the node knows of a transaction. `node_error` names refusals that are the
 * node's, not the ledger's (node_refusal_names, and "BAD_HEX" from the HTTP
 * layer); NULL otherwise. */
typedef struct {
    tx_state state;
    uint64_t height;    /* TX_COMMITTED: its block */
    tally_result result; /* TX_COMMITTED and TX_REFUSED (result.code says why) */
    const char *node_error;
} tx_status;

typedef struct node node;

/* Opens the data directory at its tip, creating a new chain (producer key and
 * genesis) when the directory holds none. false with a reason in `why`. */
TALLY_MUST_CHECK bool node_open(const node_config *config, node **out, char *why, size_t why_size);
/* The key of the node of data_dir (producer.seed), made now when the directory holds
 * no chain yet: what a validator gives the chain's founder for its genesis. */
bool node_key_of(const char *data_dir, tally_key *key, char *why, size_t why_size);
/* Starts the producer thread. */
TALLY_MUST_CHECK bool node_start(node *n);
/* Stops producing (the pending transactions are committed first) and closes. */
void node_close(node *n);

/* ---- a validator of a chain of several (node_validator.c, docs/VALIDATORS.md) ---- */

typedef struct {
    const char *etcd_endpoints; /* etcd client URLs, comma-separated */
    etcd_tls etcd_tls;          /* TLS files for https:// endpoints (NULL: none) */
    const char *prefix;         /* of the chain's keys in etcd (default "/tally/") */
    const char *advertise_url;  /* this node's HTTP API as the other validators reach it */
    uint32_t lease_ttl_seconds; /* the proposer lease (default 2) */
    uint32_t timeout_ms;        /* of one request to etcd (default 2000) */
    uint32_t keep_blocks;       /* blocks kept in etcd below what every validator applied */
    bool reseed_etcd;           /* an etcd that lost the chain is re-seeded from this log */
} node_validator_config;

/* The genesis block the ordering log holds (malloc'd encoding), for a new data
 * directory joining the chain (node_config's genesis). false with why when the log
 * holds none yet or etcd cannot be reached. */
bool node_validator_genesis(const node_validator_config *config, uint8_t **bytes, size_t *length, char *why,
                            size_t why_size);
/* Makes the opened node a validator: checks its key is in the genesis set and the
 * log holds this chain (or writes its genesis there, on the chain's first start),
 * then proposes while it holds the lease and follows the log otherwise. Call after
 * node_start and once the HTTP API serves (advertise_url). */
bool node_validator_start(node *n, const node_validator_config *config, char *why, size_t why_size);
bool node_is_validator(const node *n);

typedef struct {
    bool is_validator, halted;
    uint32_t index;          /* its slot in the validator set (ORDERING_NO_SLOT: none yet) */
    bool active;             /* its key is an active validator's */
    char halt_reason[4800];  /* halted: the block refused and where its evidence is */
    uint32_t forwarding;     /* transactions sent to the proposer and in no block yet */
    uint64_t cosignatures_received;
    ordering_metrics ordering;
} node_validator_status;
node_validator_status node_validator_read(node *n);

/* Whether a failed block write stopped the node: it then serves nothing. */
bool node_failed(const node *n);
/* Whether the chain was created by this open (first start). */
bool node_is_new(const node *n);
/* Whether the chain's genesis made it a development chain (`tallyd --dev`). */
bool node_is_dev_chain(const node *n);

/* A development chain's clock, moved forward: its next block is `seconds` later
 * than it would be (every later one too), and the call returns once that block is
 * committed, with its time and height. A real chain refuses (NOT_DEV_CHAIN): its
 * block time follows the clock. */
#define NODE_DEV_ADVANCE_MAX_SECONDS (10 * 366 * 86400)
typedef enum {
    NODE_DEV_OK = 0,
    NODE_DEV_NOT_DEV_CHAIN,
    NODE_DEV_BAD_SECONDS, /* 1..NODE_DEV_ADVANCE_MAX_SECONDS */
    NODE_DEV_TIMED_OUT,   /* the block did not come within 30 s */
    NODE_DEV_NODE_FAILED
} node_dev_outcome;
node_dev_outcome node_dev_advance(node *n, int64_t seconds, int64_t *block_time, uint64_t *height);

/*
 * Admits transactions, cheapest checks first: chain id and signer; then under the
 * lock the standing the type needs (tally_tx_admissible: NOT_MEMBER, NOT_OPERATOR,
 * ...), the bound of mempool_per_sender pending transactions per signer
 * (SENDER_PENDING_FULL), the sequence (the signer's next one after its pending
 * transactions, or a later one that an earlier transaction of the same submission
 * leads to) and for transfers the credit left after the payer's pending transfers;
 * only then the signatures, in parallel outside the lock (unless the same id and
 * signature were refused recently: that verdict is kept); then under the lock again
 * the same checks with the exact sequence, and the mempool. out[i] is TX_PENDING,
 * or TX_REFUSED with the reason, or the status a resubmitted id has.
 */
void node_submit(node *n, const tally_tx *txs, uint32_t count, tx_status *out,
                 uint8_t (*ids)[TALLY_HASH_BYTES]);
/* out holds what node_submit answered; waits until none of its pending entries is
 * pending any more (or timeout_ms passes), updating them. */
void node_wait(node *n, const uint8_t (*ids)[TALLY_HASH_BYTES], uint32_t count, tx_status *out,
               uint32_t timeout_ms);
tx_status node_status_of(node *n, const uint8_t id[TALLY_HASH_BYTES]);
/* Waits until a block above after_height is durable, the node fails, or timeout_ms
 * passes; returns the height of the tip then. For a thread that answers many
 * suspended waits at once (http.c) instead of one thread per waiting client. */
uint64_t node_wait_for_block(node *n, uint64_t after_height, uint32_t timeout_ms);

/* Reading the state: between node_read_begin and node_read_end the state and tip
 * stay still (the producer waits). Keep it short. node_read_begin returns NULL (and
 * holds nothing: no node_read_end) once the node has failed. */
const tally_state *node_read_begin(node *n);
void node_read_end(node *n);
const tally_chain_tip *node_tip(const node *n);
const tally_blocklog *node_log(const node *n);

/* The producer's key pair (for the demo's operator and for status). */
const tally_key *node_producer(const node *n);

/* Clearing (docs/GATEWAYS.md section 5): the plan of the tip's state (clearing.h),
 * its transactions signed by `signer` (anyone may clear) with the signer's next
 * sequences after its pending ones, submitted like any others (not waited for).
 * The plan is computed under the read lock (a few ms for hundreds of gateways).
 * `totals` is the plan without its transactions; submitted + refused is their
 * number, first_refusal the ledger's or node's reason for the first refused one.
 * false when the node failed or memory ran out (nothing submitted). */
typedef struct {
    clearing_plan totals; /* transactions NULL */
    uint32_t submitted, refused;
    tx_status first_refusal;
} node_clearing;
TALLY_MUST_CHECK bool node_clear(node *n, const tally_key *signer, const uint8_t secret[TALLY_SECRET_BYTES],
                                 node_clearing *out);
/* node_clear signed by the producer's key (tallyd --clear-every). */
TALLY_MUST_CHECK bool node_clear_as_producer(node *n, node_clearing *out);

/* Queries of the index (history, older transactions, search); it lags the chain by
 * the blocks not yet indexed. false with a reason in `why`. */
bool node_history(node *n, uint32_t network_id, const tally_key *key, uint64_t before_cursor, uint32_t limit,
                  index_history_entry *entries, uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size);
bool node_activity(node *n, uint32_t network_id, uint64_t before_cursor, uint32_t limit, index_activity_row *rows,
                   uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size);
bool node_indexed_tx(node *n, const uint8_t id[TALLY_HASH_BYTES], index_tx *tx, bool *found, char *why,
                     size_t why_size);
bool node_search(node *n, uint32_t network_id, const char *text, size_t text_length, uint64_t before_cursor,
                 uint32_t limit, index_match *matches, uint32_t *count, uint64_t *next_cursor, char *why,
                 size_t why_size);

/* Holds and payment requests of a member (index_holds_of, index_requests_of: which
 * ids; the state has the records), the memos of requests (memos[i] "" when the
 * index has not seen ids[i] yet, found[i] false then), and what open holds hold for
 * a payee (index_pending_in). */
bool node_holds_of(node *n, uint32_t network_id, const tally_key *member, uint32_t statuses, uint32_t before_id,
                   uint32_t limit, uint32_t *ids, uint32_t *count, uint32_t *next_before, char *why, size_t why_size);
bool node_requests_of(node *n, uint32_t network_id, const tally_key *member, uint32_t statuses, uint32_t before_id,
                      uint32_t limit, uint32_t *ids, uint32_t *count, uint32_t *next_before, char *why,
                      size_t why_size);
bool node_request_memos(node *n, const uint32_t *ids, uint32_t count, char (*memos)[TALLY_MEMO_MAX + 1], bool *found,
                        char *why, size_t why_size);
bool node_pending_in(node *n, uint32_t network_id, const tally_key *member, int64_t *amount, char *why,
                     size_t why_size);
/* A network's health periods in the index, newest first (index_health_history). */
bool node_health_history(node *n, uint32_t network_id, uint32_t before, uint32_t limit, index_health_row *rows,
                         uint32_t *count, uint32_t *next_before, char *why, size_t why_size);
/* The last block the index holds (TALLY_NO_HEIGHT: none). */
uint64_t node_indexed_height(node *n);
/* The chain's clearings, newest first (index_clearings). */
bool node_clearings(node *n, uint64_t before, uint32_t limit, index_clearing_row *rows, uint32_t *count, uint64_t *next,
                    char *why, size_t why_size);

/* Any other query of the index (the marketplace's, http_market.c): reader runs with
 * the index under its lock, and answers INDEX_OK or a refusal with its sentence in
 * why. false when it refused. Keep it to the queries of one answer. */
typedef index_error node_index_reader(tally_index *index, void *context, char *why, size_t why_size);
bool node_index_read(node *n, node_index_reader *reader, void *context, char *why, size_t why_size);

/* The time a block made now would have: the clock (a dev chain's, moved ahead),
 * never before the tip. Call between node_read_begin and node_read_end. */
int64_t node_block_time_now(const node *n);

/* ---- Co-signatures (issue 14; node/cosigner.h) ---- */

/* The co-signatures of block `height` (of the block this node holds there, in
 * validator order), at most max into out, *count how many there are; block_hash
 * that block's hash. Under the node's lock. false when the node has no such block
 * (or failed). The genesis has none. */
bool node_cosignatures(node *n, uint64_t height, node_cosignature *out, uint32_t max, uint32_t *count,
                       uint8_t block_hash[TALLY_HASH_BYTES]);
/* For the ordering layer: another validator's co-signature it received. Checked
 * against the genesis validator set and stored (cosigner_add_remote: OK for a new
 * one or an exact duplicate; NO_SUCH_BLOCK for a block not yet in the log;
 * BAD_ARGUMENT, BAD_COSIGNATURE; COSIGN_CONFLICT, said with the evidence; IO,
 * LOG_FAILED). failure may be NULL. */
tally_chain_error node_cosign_add_remote(node *n, uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                                         uint32_t validator, const uint8_t signature[TALLY_SIGNATURE_BYTES],
                                         tally_chain_failure *failure);
/* The chain's validator set (from its genesis) into out; returns how many.
 * *quorum (may be NULL) the co-signatures that make a block final, *final_height
 * (may be NULL) the highest block final on this node (0: none). */
uint32_t node_validators(node *n, tally_key out[TALLY_VALIDATORS_MAX], uint32_t *quorum, uint64_t *final_height);

typedef struct {
    uint64_t blocks_produced;
    uint64_t txs_committed;
    uint64_t txs_refused_admission;
    uint64_t txs_refused_in_block;
    uint64_t refused_at_admission[TALLY_ERROR_COUNT]; /* by the ledger's code */
    uint64_t refused_by_node[NODE_REFUSAL_COUNT];     /* by node_refusal */
    uint64_t signature_checks;       /* Ed25519 verifications made at admission */
    uint64_t signature_checks_saved; /* verdicts of recently refused transactions reused */
    uint64_t last_block_ns;   /* time to build and make durable the last block */
    uint64_t block_ns_total;
    uint32_t mempool_count;
    uint32_t mempool_capacity;
    uint32_t mempool_per_sender;
    /* The most slots one lookup examined in each table indexed by client-chosen bytes
     * (transaction ids, id and signature, signer keys): a few dozen at most. */
    uint32_t probe_longest_statuses, probe_longest_verdicts, probe_longest_pending;
    uint64_t started_at;      /* unix seconds */
    /* A validator's: blocks it proposed that lost their height (the lease had gone),
     * blocks it followed from the others, transactions it forwarded to the proposer. */
    uint64_t blocks_lost, blocks_followed, txs_forwarded;
    /* signatures of followed blocks not checked again: this validator checked them
     * when it admitted and forwarded those transactions */
    uint64_t signatures_known;
    /* A full disk (node.c): whether the node is refusing transactions for want of
     * room now, how many times that began, and the seconds it lasted in all (the
     * current one included). */
    bool disk_full;
    uint64_t disk_full_episodes;
    uint64_t disk_full_ms_total;
    uint64_t index_disk_full; /* batches the query index found no room for (tried again) */
} node_metrics;
node_metrics node_metrics_read(node *n);

#endif
