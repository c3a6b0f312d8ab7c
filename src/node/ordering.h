/*
 * ordering.h: the ordering layer of a chain of several validators, behind the
 * narrow interface DESIGN.md section 5 asks for, `propose` and `follow from
 * height`, so that another engine (a Byzantine one) can replace it later without
 * the node noticing. The one implementation, ordering_etcd.c, keeps the chain's
 * blocks in an etcd cluster (Raft) as an ordered log, one key per height written at
 * most once; docs/VALIDATORS.md gives its keys and its fault model.
 *
 * The contract:
 *   - a block proposed at height h is COMMITTED when the log holds it at h for good
 *     (etcd: a majority of its members has it durably), and LOST when the log holds
 *     another block at h or this validator no longer holds the proposer lease; an
 *     unknown outcome (etcd unreachable mid-write) is never returned: propose asks
 *     again until it knows;
 *   - follow delivers every block of the log in height order, once, from the height
 *     it was started at, whoever proposed it (this validator's own included), and
 *     the co-signatures validators publish;
 *   - at most one validator at a time believes it holds the proposer lease long
 *     enough to have a block committed (the lease is checked in the same write).
 *
 * Threads: the layer runs its own (the lease keeper and the follower); callbacks
 * come on the follower thread. ordering_propose and ordering_publish may be called
 * from any one thread at a time each.
 */
#ifndef TALLY_NODE_ORDERING_H
#define TALLY_NODE_ORDERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/etcd.h"
#include "tally.h"

/* A block value in the log is at most this long; longer blocks are written in parts
 * (etcd refuses requests over 1.5 MiB, and base64 makes a value 4/3 as long). */
#define ORDERING_VALUE_MAX (768u * 1024u)
#define ORDERING_URL_MAX 256u
#define ORDERING_WHY_BYTES 512u
/* A validator whose key the chain has not added (yet): it follows, nothing more. */
#define ORDERING_NO_SLOT UINT32_MAX

typedef struct {
    const char *endpoints;     /* etcd client URLs, comma-separated */
    etcd_tls tls;              /* for https:// endpoints (all NULL: no files given) */
    const char *prefix;        /* of every key of this chain, e.g. "/tally/" */
    uint32_t validator_index;  /* this validator's slot in the set; ORDERING_NO_SLOT: none yet */
    const char *advertise_url; /* this validator's HTTP API, for forwarding and catch-up */
    uint32_t lease_ttl_seconds; /* how long a dead proposer holds the lease at most */
    uint32_t timeout_ms;       /* of one request to etcd */
    /* Keep this many blocks in etcd below the lowest height every validator applied;
     * older ones are deleted (and etcd compacted); peers' block logs serve them. */
    uint32_t keep_blocks;
} ordering_config;

typedef enum { ORDERING_COMMITTED, ORDERING_LOST } ordering_outcome;

/* A block of the log, in height order. Returning false stops following (the node
 * stopped: a block it refused, a failed write). The bytes live for the call. */
typedef bool ordering_block_fn(void *context, uint64_t height, const uint8_t *bytes, size_t length);
/* A co-signature a validator published for the block of `height` whose hash it
 * names. Unchecked: the callee checks it against the validator set. */
typedef void ordering_cosign_fn(void *context, uint64_t height, uint32_t validator,
                                const uint8_t hash[TALLY_HASH_BYTES], const uint8_t signature[TALLY_SIGNATURE_BYTES]);
typedef struct {
    ordering_block_fn *block;
    ordering_cosign_fn *cosign;
    void *context;
} ordering_callbacks;

typedef struct {
    bool proposer;           /* this validator holds the lease */
    int64_t proposer_index;  /* who does, -1: nobody now */
    uint64_t log_next;       /* the next height the log will hold, as far as known */
    uint64_t requests, request_us_total, request_us_last, failovers;
    uint64_t lease_changes;  /* times the lease went from one holder to another */
    uint64_t compacted_below; /* heights below this are gone from etcd */
    uint64_t blocks_from_peers; /* blocks read from peers' logs (compacted away in etcd) */
    uint64_t leases_revoked;    /* leases of unreachable proposers this validator revoked */
    uint32_t validator_count;
    uint64_t applied[TALLY_VALIDATORS_MAX]; /* the height each validator said it applied (0: never) */
} ordering_metrics;

typedef struct ordering ordering;

/* Connects to the log (reads nothing yet). false with a sentence in why. */
bool ordering_open(const ordering_config *config, ordering **out, char *why, size_t why_size);
/* The genesis block the log holds, or writes `genesis` as it when the log holds
 * none (the first validator's first start); *found tells which. A log that holds
 * another genesis than a given one is refused (`why`): another chain uses the
 * prefix. bytes are malloc'd. */
bool ordering_genesis(ordering *o, const uint8_t *genesis, size_t genesis_length, uint8_t **bytes, size_t *length,
                      char *why, size_t why_size);
/* Whether the log holds a genesis (*found); false with why when etcd cannot say. */
bool ordering_log_exists(ordering *o, bool *found, char *why, size_t why_size);
/* Re-seeds a log that lost everything (etcd lost every member's data) from this
 * validator's block log: after ordering_genesis wrote the genesis, writes block
 * `height` (its tip) and the checkpoint at that height, so that the others read the
 * heights below it from the peers' logs and the chain goes on at height + 1. Run on
 * the validator with the highest tip: one that is ahead of it stops at the first block
 * that does not follow its own (docs/VALIDATORS.md). Refused when etcd already holds
 * a block at that height that is not this one. */
bool ordering_reseed(ordering *o, uint64_t height, const uint8_t *block, size_t length, char *why, size_t why_size);
/* Starts the lease keeper and the follower, which delivers the log from next_height
 * on (the node's tip + 1); heights etcd no longer holds (compacted behind every
 * validator) it reads from the peers' block logs (GET /v1/blocks/{h}/raw of the
 * URLs validators registered), the block checks of the callee being the same. */
bool ordering_start(ordering *o, uint64_t next_height, const ordering_callbacks *callbacks, char *why,
                    size_t why_size);
/* Stops the threads, gives the lease up (another validator takes over at once
 * instead of after the lease's time), closes. */
void ordering_close(ordering *o);

/* Writes the block of `height` (bytes of tally_block_encode) if this validator
 * holds the lease and the log holds nothing at that height; see the contract above.
 * Blocks while etcd is unreachable. */
ordering_outcome ordering_propose(ordering *o, uint64_t height, const uint8_t *bytes, size_t length, char *why,
                                  size_t why_size);
/* Publishes that this validator applied the block of `height` (its hash) and its
 * co-signature of it; batched with later ones (sent within a few milliseconds). */
void ordering_publish(ordering *o, uint64_t height, const uint8_t hash[TALLY_HASH_BYTES],
                      const uint8_t signature[TALLY_SIGNATURE_BYTES]);

/* The chain changed its validator set: this validator's slot now (ORDERING_NO_SLOT:
 * none) and whether it may hold the lease (false: it gives it up, never takes it). */
void ordering_set_member(ordering *o, uint32_t slot, bool eligible);

/* Whether this validator holds the proposer lease now. */
bool ordering_is_proposer(ordering *o);
/* The HTTP URL of the validator holding the lease; false when nobody does (or it is
 * this one). */
bool ordering_proposer_url(ordering *o, char out[ORDERING_URL_MAX]);
/* What forwarding learns of the proposer at url: it could not connect to it, or it
 * answered. A proposer that nobody reaches keeps its lease only while nobody
 * renews it, but etcd renews every lease at each change of its own leader, so
 * while etcd changes leaders a dead proposer's lease outlives it and the chain
 * stalls. After two lease times without a connection (and while the leader key
 * still names url), unreachable revokes the holder's lease, so that the leader key
 * goes and another validator takes it: true then. Revoking a live proposer's lease
 * (a partition between the two) costs liveness for a moment, never safety: its
 * blocks are written only under its own leader key. Called by the thread that
 * proposes (it uses that thread's etcd client). */
bool ordering_proposer_unreachable(ordering *o, const char *url);
void ordering_proposer_reachable(ordering *o);
/* The URLs validators registered (index -> URL), for catch-up from peers. */
bool ordering_peer_url(ordering *o, uint32_t validator, char out[ORDERING_URL_MAX]);
ordering_metrics ordering_metrics_read(ordering *o);

#endif
