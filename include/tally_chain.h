/*
 * tally_chain.h: the public API of Tally's chain and storage layer: blocks (their
 * canonical encoding, Merkle roots, hashes and producer signatures), building a block
 * from a state and verifying a received one onto a state, the append-only block log,
 * state snapshots, and the store that opens a data directory at its tip by loading
 * the newest valid snapshot and replaying the rest of the log.
 *
 * Read this header instead of a manual. Everything here is built on tally.h: a block
 * is a list of signed transactions applied in order with tally_apply_signed at the
 * block's time, then tally_end_block, and it commits to the state that results
 * (tally_state_hash). Replays check the signatures ahead on a pool of threads
 * (tally_signature_pool), the one part of this layer that starts threads. The log is the source of truth; a state in memory and the
 * snapshots on disk are both derived from it and checked against it.
 *
 * Errors are values: every function that can fail returns a tally_chain_error and,
 * when given one, fills a tally_chain_failure that says which block (height), which
 * transaction and which byte offset the failure is about, in a sentence ready to
 * print. Nothing here prints.
 *
 * Threads: a block, a log and a store are not shared between threads without a
 * lock; a signature pool is shared by design.
 */
#ifndef TALLY_CHAIN_H
#define TALLY_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Sizes and bounds.                                                         */
/* ------------------------------------------------------------------------ */

/* 3: results carry the refused line of a batch (u16 line). 4: blocks record the
 * events of their end (u32 count and the events after the results). */
#define TALLY_BLOCK_VERSION 4u
/* Most transactions in one block. A block is built, held and verified in memory
 * at once, so this bounds a node's memory per block (about 45 MB of decoded txs). */
#define TALLY_BLOCK_TXS_MAX 65536u
/* Most batch lines (TRANSFER_BATCH) in one block, all batches together: about 7 MB
 * of decoded lines and of encoded ones, and as many payments to apply as 65,536
 * transfers. */
#define TALLY_BLOCK_LINES_MAX 65536u
/* u8 version | u64 height | prev_hash[32] | i64 block_time | u32 tx_count |
 * tx_root[32] | results_root[32] | state_hash[32] | producer[32] | signature[64] */
#define TALLY_BLOCK_HEADER_BYTES (1u + 8u + 32u + 8u + 4u + 32u + 32u + 32u + 32u + 64u)
/* The header bytes the producer signs: all of them but the signature. */
#define TALLY_BLOCK_SIGNED_BYTES (TALLY_BLOCK_HEADER_BYTES - TALLY_SIGNATURE_BYTES)
/* u16 code | u32 created_id | i64 minted, burned, fee, risk_fee, reserve, shares,
 * to_primary, to_excess, available, effective_at | u16 line */
#define TALLY_RESULT_BYTES (2u + 4u + 10u * 8u + 2u)
/* u8 kind | u32 network_id | member[32] | i64 amount | i64 time (tally_event) */
#define TALLY_EVENT_BYTES (1u + 4u + 32u + 8u + 8u)
/* The genesis block carries the chain's name (u16 length + 1..TALLY_NAME_MAX bytes)
 * and its rules (u8 growth_mode | u16 networks_per_key_per_day | u16
 * assets_per_key_per_day | u8 dev_chain | u8 validator_count | 32-byte keys). */
#define TALLY_GENESIS_NAME_BYTES_MAX (2u + TALLY_NAME_MAX + 7u + TALLY_VALIDATORS_MAX * 32u)
/* Longest encoded block: a full block of the longest single transactions, plus the
 * most batch lines a block holds (a batch without its lines is shorter than a
 * single transaction), and the most events its end records. About 56 MB. */
#define TALLY_BLOCK_ENCODED_MAX                                                           \
    ((size_t)TALLY_BLOCK_HEADER_BYTES + TALLY_GENESIS_NAME_BYTES_MAX +                     \
     (size_t)TALLY_BLOCK_TXS_MAX * (2u + TALLY_TX_SINGLE_ENCODED_MAX + TALLY_RESULT_BYTES) + \
     (size_t)TALLY_BLOCK_LINES_MAX * TALLY_BATCH_LINE_ENCODED_MAX + 4u +                   \
     (size_t)TALLY_BLOCK_EVENTS_MAX * TALLY_EVENT_BYTES)

/* ------------------------------------------------------------------------ */
/* Errors of the chain and storage layer.                                   */
/* ------------------------------------------------------------------------ */

#define TALLY_CHAIN_ERRORS(X)                                                                    \
    X(OK, "ok")                                                                                  \
    X(NO_MEMORY, "out of memory")                                                                \
    X(BAD_ARGUMENT, "an argument is out of range")                                               \
    /* decoding a block */                                                                       \
    X(DECODE_TRUNCATED, "the encoded block ends too early")                                      \
    X(DECODE_TRAILING_BYTES, "the encoded block has bytes after its end")                        \
    X(DECODE_BAD_VERSION, "unknown block version")                                               \
    X(DECODE_TOO_MANY_TXS, "the block holds more than 65536 transactions")                       \
    X(DECODE_TOO_MANY_LINES, "the block's batches hold more than 65536 lines")                   \
    X(DECODE_BAD_TX_LENGTH, "a transaction's length is 0 or above the longest encoding")         \
    X(DECODE_BAD_TX, "a transaction in the block does not decode")                               \
    X(DECODE_BAD_RESULT, "a result in the block holds an unknown error code")                    \
    X(DECODE_BAD_EVENT, "an event in the block is of an unknown kind or holds a value it cannot") \
    X(DECODE_BAD_NAME, "the chain name is empty, too long or holds control characters")          \
    X(DECODE_BAD_RULES, "the genesis chain rules hold a value out of range")                     \
    /* verifying a block against the chain it extends */                                         \
    X(BAD_GENESIS, "the genesis block must have no transactions, zero previous hash and roots")  \
    X(BAD_HEIGHT, "the block's height is not the previous block's height plus one")              \
    X(BAD_PREV_HASH, "the block's previous hash is not the hash of the previous block")          \
    X(TIME_BACKWARDS, "the block's time is before the previous block's time")                    \
    X(WRONG_PRODUCER, "the block's producer is not a validator of the chain")                    \
    X(BAD_PRODUCER_SIGNATURE, "the producer's signature does not match the block header")        \
    X(BAD_TX_ROOT, "the transactions do not match the block's transaction root")                 \
    X(BAD_RESULTS_ROOT, "the results do not match the block's results root")                     \
    X(RESULT_NOT_OK, "the block records a refused transaction; blocks hold only accepted ones")  \
    X(BAD_TX_SIGNATURE, "a transaction's signature does not verify")                             \
    X(RESULT_MISMATCH, "applying a transaction gave another result than the block records")      \
    X(EVENTS_MISMATCH, "the end of the block did other things than the block records")           \
    X(BAD_STATE_HASH, "the state after the block does not match the block's state hash")         \
    X(INVARIANT_BROKEN, "the state after the block breaks a ledger invariant")                   \
    X(WRONG_CHAIN, "the data belongs to another chain")                                          \
    /* storage */                                                                                \
    X(IO, "a file operation failed")                                                             \
    X(LOCKED, "another process has the data directory open for writing")                         \
    X(READ_ONLY, "the store was opened read-only")                                               \
    X(LOG_EXISTS, "the data directory already holds a block log")                                \
    X(LOG_EMPTY, "the block log holds no genesis block")                                         \
    X(LOG_CORRUPT, "a record of the block log is damaged (not a write a crash left unfinished)") \
    X(LOG_TAIL_CUT, "an unfinished record at the end of the block log was cut off")              \
    X(LOG_FAILED, "an earlier write to the log failed; close and reopen the store")              \
    X(NOT_NEXT_BLOCK, "the block does not extend the log's last block")                          \
    X(NO_SUCH_BLOCK, "the log holds no block at this height")                                    \
    X(SNAPSHOT_BAD, "the snapshot is damaged or does not match the block log")                   \
    /* proofs */                                                                                 \
    X(BAD_PROOF, "the proof does not lead from its record to the header's state hash")           \
    /* co-signatures */                                                                          \
    X(BAD_COSIGNATURE, "the co-signature does not hold for that validator of the chain")         \
    X(COSIGN_CONFLICT, "the validator already co-signed another block or signature at this height") \
    X(COSIGN_LOG_CORRUPT, "a record of the co-signature log is damaged or does not hold")       \
    X(NOT_FINAL, "the block is not co-signed by a quorum of the chain's validators")

typedef enum {
#define TALLY_CHAIN_ERROR_ENUM(name, message) TALLY_CHAIN_ERR_##name,
    TALLY_CHAIN_ERRORS(TALLY_CHAIN_ERROR_ENUM)
#undef TALLY_CHAIN_ERROR_ENUM
        TALLY_CHAIN_ERROR_COUNT
} tally_chain_error;

#define TALLY_CHAIN_OK TALLY_CHAIN_ERR_OK

/* "BAD_STATE_HASH" for TALLY_CHAIN_ERR_BAD_STATE_HASH; "?" for an unknown code. */
const char *tally_chain_error_name(tally_chain_error code);
/* A sentence for people; never NULL. */
const char *tally_chain_error_message(tally_chain_error code);

#define TALLY_NO_HEIGHT UINT64_MAX
#define TALLY_NO_TX UINT32_MAX
#define TALLY_NO_OFFSET UINT64_MAX
#define TALLY_FAILURE_MESSAGE_MAX 384u

/* What failed, and where. Fields that do not apply hold their TALLY_NO_* value (or
 * TALLY_OK, 0). `message` is one sentence naming all that apply, for example
 * "block 12: transaction 3: applying gave INSUFFICIENT_CREDIT, the block records OK". */
typedef struct {
    tally_chain_error code;
    uint64_t height;     /* the block it is about */
    uint32_t tx_index;   /* the transaction inside that block */
    tally_error tx_code; /* the core's code: what decoding or applying the tx gave */
    uint64_t offset;     /* byte offset in a file (the block log) */
    int os_error;        /* errno of a failed file operation, else 0 */
    char message[TALLY_FAILURE_MESSAGE_MAX];
} tally_chain_failure;

/* Something the store did or skipped that the operator should know about, while
 * the operation itself succeeded: an unfinished record at the end of the log cut
 * off (LOG_TAIL_CUT), a snapshot ignored (SNAPSHOT_BAD). Called synchronously;
 * `notice` lives for the call only. */
typedef void tally_notice_fn(void *context, const tally_chain_failure *notice);

/* ------------------------------------------------------------------------ */
/* Blocks.                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t version; /* TALLY_BLOCK_VERSION */
    uint64_t height; /* genesis is 0 */
    uint8_t prev_hash[TALLY_HASH_BYTES]; /* hash of the previous header; zero for genesis */
    int64_t block_time;                  /* unix seconds, non-decreasing along the chain */
    uint32_t tx_count;
    uint8_t tx_root[TALLY_HASH_BYTES];
    uint8_t results_root[TALLY_HASH_BYTES];
    uint8_t state_hash[TALLY_HASH_BYTES]; /* tally_state_hash after the block */
    tally_key producer;
    uint8_t signature[TALLY_SIGNATURE_BYTES]; /* Ed25519 over the header bytes before it */
} tally_block_header;

/*
 * A block: its header, its transactions and the result of each. The arrays belong
 * to the block: start with tally_block_init, end with tally_block_release; decode
 * and build reuse the arrays, so one block can be filled again and again.
 *
 * The wire encoding (tally_block_encode), little-endian:
 *   header (TALLY_BLOCK_HEADER_BYTES)
 *   height 0 (genesis) only: u16 name length | name bytes | chain rules
 *   for each tx: u16 length | signed transaction (tally_tx_encode)
 *   for each tx: result (TALLY_RESULT_BYTES)
 *   u32 event count | each event (TALLY_EVENT_BYTES): what the block's end did
 * The block hash is BLAKE2b-256 of the header's encoding, signature included.
 * Its batches hold at most TALLY_BLOCK_LINES_MAX lines in all.
 *
 * The block owns its transactions' batch lines (tally_tx_release): decode and build
 * allocate them (build copies the candidates'), and release, decode and build free
 * the ones it held. A struct copy of a block shares them.
 */
typedef struct {
    tally_block_header header;
    tally_tx *txs;         /* header.tx_count of them */
    tally_result *results; /* one per tx; all TALLY_OK in a valid block */
    uint32_t capacity;     /* entries allocated in txs and results */
    tally_event *events;   /* event_count of them, in the order the block's end made them */
    uint32_t event_count;  /* at most TALLY_BLOCK_EVENTS_MAX */
    uint32_t event_capacity;
    uint16_t name_length;  /* genesis only: the chain's name, 1..TALLY_NAME_MAX bytes */
    char name[TALLY_NAME_MAX];
    tally_chain_rules rules; /* genesis only: the chain's rules; validator 0 is the producer */
} tally_block;

void tally_block_init(tally_block *block);
/* Frees the arrays; the block is then empty, as after tally_block_init. */
void tally_block_release(tally_block *block);

/* Writes the header's canonical bytes. */
void tally_block_header_encode(const tally_block_header *header,
                               uint8_t out[TALLY_BLOCK_HEADER_BYTES]);
/* Strict: refuses a wrong length (DECODE_TRUNCATED, DECODE_TRAILING_BYTES), a
 * version other than 1 (DECODE_BAD_VERSION) and tx_count above TALLY_BLOCK_TXS_MAX. */
TALLY_MUST_CHECK tally_chain_error tally_block_header_decode(const uint8_t *bytes, size_t length,
                                                             tally_block_header *header);
/* BLAKE2b-256 of the header's encoding: the block's id, and the next block's prev_hash. */
void tally_block_hash(const tally_block_header *header, uint8_t out[TALLY_HASH_BYTES]);

/* Bytes of the block's encoding; 0 when it cannot be encoded (more than
 * TALLY_BLOCK_TXS_MAX transactions or TALLY_BLOCK_LINES_MAX batch lines, a
 * transaction tally_tx_encode refuses, a genesis name of a bad length). */
size_t tally_block_encoded_size(const tally_block *block);
/* Writes the encoding into out; returns its length, or 0 as above or when out_size
 * is too small. */
size_t tally_block_encode(const tally_block *block, uint8_t *out, size_t out_size);
/* Strict decode into an initialised block (its old contents are replaced). Refuses
 * every DECODE_* case above, a result code that is not a tally_error, an invalid
 * genesis name, and any byte after the end. On error the block holds nothing
 * meaningful (but stays releasable) and failure names the transaction. */
TALLY_MUST_CHECK tally_chain_error tally_block_decode(const uint8_t *bytes, size_t length,
                                                      tally_block *block,
                                                      tally_chain_failure *failure);

/* The canonical bytes of a result (declaration order of tally_result). */
void tally_result_encode(const tally_result *result, uint8_t out[TALLY_RESULT_BYTES]);
/* false when the code is not a tally_error. */
TALLY_MUST_CHECK bool tally_result_decode(const uint8_t in[TALLY_RESULT_BYTES], tally_result *result);

/*
 * Merkle roots. Leaves are BLAKE2b-256(0x00 || bytes), inner nodes
 * BLAKE2b-256(0x01 || left || right). Levels pair nodes left to right; an odd node
 * at the end of a level is promoted unchanged (never duplicated, so no two lists
 * share a root). The root of no leaves is 32 zero bytes; of one leaf, that leaf.
 */
void tally_merkle_leaf(const uint8_t *bytes, size_t length, uint8_t out[TALLY_HASH_BYTES]);
void tally_merkle_node(const uint8_t left[TALLY_HASH_BYTES], const uint8_t right[TALLY_HASH_BYTES],
                       uint8_t out[TALLY_HASH_BYTES]);
/* The root over leaf hashes already computed (`count` of them, 32 bytes each). */
void tally_merkle_root(const uint8_t *leaf_hashes, size_t count, uint8_t out[TALLY_HASH_BYTES]);
/* The roots of a block: over the signed encodings of its txs, and over its results
 * followed by its events (the leaves of the results, then one per event: a block
 * without events has the root of its results alone). false when a transaction
 * cannot be encoded. */
TALLY_MUST_CHECK bool tally_block_tx_root(const tally_tx *txs, uint32_t count,
                                          uint8_t out[TALLY_HASH_BYTES]);
void tally_block_results_root(const tally_result *results, uint32_t count, const tally_event *events,
                              uint32_t event_count, uint8_t out[TALLY_HASH_BYTES]);
/* An event's canonical bytes; and their strict reading (false: an unknown kind, a
 * network id of 0, or a member where the kind names none). */
void tally_event_encode(const tally_event *event, uint8_t out[TALLY_EVENT_BYTES]);
TALLY_MUST_CHECK bool tally_event_decode(const uint8_t in[TALLY_EVENT_BYTES], tally_event *event);

/* ------------------------------------------------------------------------ */
/* The chain: genesis, building and verifying blocks.                        */
/* ------------------------------------------------------------------------ */

/* What verifying or building the next block needs to know about the chain so far. */
typedef struct {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_key producer; /* the genesis producer: validator 0 */
    /* The validator roster in force for the next block (validator 0 is the genesis
     * producer): the genesis's, as VALIDATOR_PROPOSE / VALIDATOR_APPROVE changed it up
     * to the last block. Any active one may sign a block; a single-node chain has
     * one. Slots are never reused: a retired slot keeps its key and its bit. */
    uint8_t validator_count;
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint16_t retired; /* bit i: validators[i] no longer signs or co-signs */
    uint64_t height;    /* of the last block */
    uint8_t hash[TALLY_HASH_BYTES];       /* of the last block */
    int64_t block_time;                   /* of the last block */
    uint8_t state_hash[TALLY_HASH_BYTES]; /* after the last block */
} tally_chain_tip;

/* chain id = BLAKE2b-256("tally-genesis-v2" || producer || i64 genesis_time ||
 * u16 name_length || name || chain rules as in the genesis block). Every
 * transaction of the chain names it. */
void tally_chain_id(const tally_key *producer, int64_t genesis_time, const char *name,
                    size_t name_length, const tally_chain_rules *rules, uint8_t out[TALLY_CHAIN_ID_BYTES]);

/*
 * Makes the genesis block of a new chain: height 0, no transactions, zero previous
 * hash and roots, the hash of the empty state of the chain id, signed with
 * producer_secret (whose key becomes the chain's only producer). name is 1 to
 * TALLY_NAME_MAX bytes of valid text (DECODE_BAD_NAME otherwise). rules (NULL:
 * tally_chain_rules_defaults) say who may grow the chain; their validator 0 must be
 * the producer (a rules->validator_count of 0 makes the producer the only
 * validator); BAD_ARGUMENT for rules that are invalid or name another validator 0.
 */
TALLY_MUST_CHECK tally_chain_error tally_genesis_make(const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                                      int64_t genesis_time, const char *name,
                                                      size_t name_length, const tally_chain_rules *rules,
                                                      tally_block *genesis, tally_chain_failure *failure);

/*
 * Verifies a genesis block (shape, name, rules, producer signature, state hash of
 * the empty state of its chain id and rules) and starts the chain: *state becomes a
 * new empty state the caller destroys, *tip describes the genesis. Refuses
 * BAD_GENESIS (also when validator 0 is not the producer), DECODE_BAD_NAME,
 * DECODE_BAD_RULES, BAD_PRODUCER_SIGNATURE, BAD_STATE_HASH, NO_MEMORY.
 */
TALLY_MUST_CHECK tally_chain_error tally_genesis_open(const tally_block *genesis, tally_state **state,
                                                      tally_chain_tip *tip,
                                                      tally_chain_failure *failure);

/* The slot of key in the tip's validator set, or -1 when it is not an active
 * validator (never one, or retired). */
int tally_chain_validator_index(const tally_chain_tip *tip, const tally_key *key);
/* The slot of key in the roster, retired or not, or -1 (co-signatures of the heights
 * before its retirement are still its). */
int tally_chain_roster_index(const tally_chain_tip *tip, const tally_key *key);
/* Sets the tip's validator set from the state at the tip (after each block, and
 * after loading a snapshot). */
void tally_chain_tip_take_validators(tally_chain_tip *tip, const tally_state *state);

/*
 * Builds the next block onto `state`, which must be the state at `tip`. Applies the
 * `candidate_count` candidates in order with tally_apply_signed at block_time; the
 * block holds only the accepted ones (a refused transaction changes nothing and
 * never enters the chain: its submitter learns why from candidate_results). Then
 * runs tally_end_block(block_time), records tally_state_hash, fills the roots and
 * signs with producer_secret, the secret of one of the chain's validators (its key
 * becomes the block's producer). On success *tip describes the new block.
 *
 * candidate_results (may be NULL) receives one result per candidate, in order.
 * Refuses before touching the state: BAD_ARGUMENT (more than TALLY_BLOCK_TXS_MAX
 * candidates, or batches of more than TALLY_BLOCK_LINES_MAX lines in all),
 * TIME_BACKWARDS (a node clamps its clock to the tip's block_time),
 * WRONG_PRODUCER (the secret is no validator's). NO_MEMORY after the
 * state changed leaves the state unusable.
 */
TALLY_MUST_CHECK tally_chain_error tally_block_build(tally_state *state, tally_chain_tip *tip,
                                                     const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                                     int64_t block_time, const tally_tx *candidates,
                                                     uint32_t candidate_count,
                                                     tally_result *candidate_results,
                                                     tally_block *block,
                                                     tally_chain_failure *failure);

/*
 * tally_block_build for candidates whose signatures the caller has already checked
 * with tally_tx_verify (a node's mempool does, on every core): they go through
 * tally_apply, so no signature is checked twice and block production is not held
 * to one core's verification rate. A candidate with a bad signature passed here
 * makes a block that every verifier refuses.
 */
TALLY_MUST_CHECK tally_chain_error tally_block_build_verified(
    tally_state *state, tally_chain_tip *tip, const uint8_t producer_secret[TALLY_SECRET_BYTES],
    int64_t block_time, const tally_tx *candidates, uint32_t candidate_count,
    tally_result *candidate_results, tally_block *block, tally_chain_failure *failure);

/*
 * The checks of a received block that need no state: version, tx_count bound,
 * height = tip height + 1, prev_hash, block_time >= tip time, producer = one of
 * the chain's validators, the producer's signature, tx_root, results_root, and every
 * recorded result is OK. Changes nothing. A node runs it before touching its state.
 */
TALLY_MUST_CHECK tally_chain_error tally_block_check(const tally_chain_tip *tip,
                                                     const tally_block *block,
                                                     tally_chain_failure *failure);

/*
 * Verifies a block received for the chain at `tip` and applies it to `state` (the
 * state at tip): first tally_block_check (in order: version, height = tip height
 * + 1, prev_hash, block_time >= tip time, producer = one of the chain's validators, the
 * producer's signature, tx_root, results_root, every recorded result is OK); then
 * each transaction with
 * tally_apply_signed (BAD_TX_SIGNATURE, RESULT_MISMATCH against the recorded
 * result), tally_end_block, the state hash (BAD_STATE_HASH) and
 * tally_check_invariants (INVARIANT_BROKEN). failure names the height, the
 * transaction and what it gave. On success *tip describes the block.
 *
 * Applying mutates the state as it goes: after any failure past the root checks
 * (BAD_TX_SIGNATURE and later) the state is unusable and the caller reloads it
 * (from the store). Failures of tally_block_check leave state and tip untouched.
 */
TALLY_MUST_CHECK tally_chain_error tally_block_apply(tally_state *state, tally_chain_tip *tip,
                                                     const tally_block *block,
                                                     tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* The block log: blocks.log in a data directory.                            */
/* ------------------------------------------------------------------------ */

/*
 * An append-only file of records, one per block from the genesis on:
 *   u32 magic (TALLY_LOG_MAGIC) | u32 payload length | payload (tally_block_encode) |
 *   checksum[16] = BLAKE2b-128(u32 payload length || payload)
 * Opening reads every record, checking its checksum and that it decodes; the n-th
 * record is block n. It also follows the headers' hash links (tally_blocklog_linked)
 * without refusing a break: heights, links, signatures and state are the chain's
 * checks (tally_block_apply, run by the store's replay and by verify), which name
 * the exact reason.
 *
 * Torn or damaged. An append is one write at the end, so a crash leaves a prefix of
 * a record: the file ends inside its 8-byte header (whose bytes begin as the magic
 * does), or before the end of the payload + checksum the header declares. Only such
 * an incomplete last record is *torn*: never fsynced, so never acknowledged; opening
 * a writable log cuts it off (truncate + fsync) and reports it through `notice`
 * (LOG_TAIL_CUT); a read-only open reports it and passes over it. A tail of zero
 * bytes from a record boundary to the end of the file is treated the same way: room
 * a crash extended the file by, never written. Everything else is *damage* and
 * opening fails with LOG_CORRUPT, the byte offset (failure.offset) and the height:
 * a complete record (its declared length fits in the file) whose checksum fails or
 * whose header lacks the magic or declares an impossible length, a record whose
 * checksum holds but whose block does not decode, and an incomplete record with a
 * valid record after it. A damaged last record is not cut: its block may have been
 * acknowledged. Only tally_blocklog_repair cuts damage, when the operator asks.
 */
#define TALLY_LOG_MAGIC 0x42594c54u /* "TLYB" in the file */
#define TALLY_LOG_RECORD_OVERHEAD (4u + 4u + 16u)
#define TALLY_LOG_FILE_NAME "blocks.log"

typedef struct tally_blocklog tally_blocklog;

typedef struct {
    bool read_only;  /* never writes: a torn tail is reported and skipped, not cut; damage is refused */
    bool create;     /* create an empty blocks.log when missing */
    tally_notice_fn *notice; /* may be NULL */
    void *notice_context;
} tally_blocklog_options;

/*
 * Opens (and scans) directory/blocks.log. A writable log takes an exclusive lock
 * on the file (LOCKED when another process holds it). Refuses IO (missing file
 * without `create`, and every failed file operation, with errno), LOG_CORRUPT (a
 * damaged record, read-only or not: see above), NO_MEMORY. An empty log opens with
 * tally_blocklog_count() == 0.
 */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_open(const char *directory,
                                                       const tally_blocklog_options *options,
                                                       tally_blocklog **log,
                                                       tally_chain_failure *failure);
void tally_blocklog_close(tally_blocklog *log);

/* Blocks in the log (the tip's height + 1); 0 when empty. */
uint64_t tally_blocklog_count(const tally_blocklog *log);
/* The header and hash of the last block; false when the log is empty. */
bool tally_blocklog_last(const tally_blocklog *log, tally_block_header *header,
                         uint8_t hash[TALLY_HASH_BYTES]);
/* Byte length of the valid records (where the next append goes). */
uint64_t tally_blocklog_size(const tally_blocklog *log);
/* How many blocks from the first are one hash chain: block h's header says height
 * h and names the hash of block h - 1 as prev_hash (the genesis: zero). Equal to
 * the count for every log the store wrote. A snapshot is trusted only against a
 * block inside this prefix (tally_snapshot_load). */
uint64_t tally_blocklog_linked(const tally_blocklog *log);

/*
 * Appends one block as one write and one fsync: when it returns OK the block is
 * durable and its transactions may be acknowledged. Refuses NOT_NEXT_BLOCK (height
 * is not count, or prev_hash is not the last block's hash), BAD_ARGUMENT (block
 * cannot be encoded), READ_ONLY, LOG_FAILED. When the write or the fsync fails (IO)
 * the log cuts itself back to its last durable block and refuses every later
 * append with LOG_FAILED: after a failed fsync the kernel may have dropped pages,
 * so the only safe way on is to close and reopen (which rescans the file). The
 * failed block may or may not be in the file after a crash; it was never
 * acknowledged either way.
 */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_append(tally_blocklog *log, const tally_block *block,
                                                         tally_chain_failure *failure);

/* Reads the block at height into an initialised block, checking the record's
 * checksum again. Refuses NO_SUCH_BLOCK, IO, LOG_CORRUPT, NO_MEMORY. */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_read(const tally_blocklog *log, uint64_t height,
                                                       tally_block *block,
                                                       tally_chain_failure *failure);
/* The encoded block at height (checksum checked), in a buffer the caller frees. */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_read_encoded(const tally_blocklog *log,
                                                               uint64_t height, uint8_t **bytes,
                                                               size_t *length,
                                                               tally_chain_failure *failure);
/* The header and hash of the block at height, reading only the record's first 253
 * bytes (the log keeps only offsets in memory, 8 bytes a block), so listing headers
 * costs the same for any block size. The record's checksum is not re-checked here
 * (it was at open; tally_blocklog_read checks it again). Refuses NO_SUCH_BLOCK, IO,
 * LOG_CORRUPT (the record no longer matches the index). */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_header(const tally_blocklog *log, uint64_t height,
                                                         tally_block_header *header,
                                                         uint8_t hash[TALLY_HASH_BYTES],
                                                         tally_chain_failure *failure);

/* One stretch of blocks.log that tally_blocklog_repair cuts off. */
typedef struct {
    uint64_t height; /* the place in the log it holds (the genesis is 0) */
    uint64_t offset; /* its first byte in the file */
    uint64_t length; /* its bytes */
    bool record;     /* a record's framing (magic, a length that fits); false: bytes between
                      * damaged places that hold no readable record */
    const tally_block *block; /* decoded, when its payload still decodes (even with a bad
                               * checksum); else NULL. Lives for the call only. */
} tally_log_loss;

typedef void tally_loss_fn(void *context, const tally_log_loss *loss);

typedef struct {
    tally_notice_fn *notice; /* a torn tail cut while scanning; may be NULL */
    void *notice_context;
    tally_loss_fn *lost; /* each stretch cut off, in file order, before the cut; may be NULL */
    void *lost_context;
} tally_repair_options;

typedef struct {
    bool cut;                   /* false: nothing was damaged and nothing cut (a torn tail aside) */
    tally_chain_failure damage; /* what opening refused: LOG_CORRUPT at the first damaged record */
    uint64_t kept_blocks;       /* blocks 0 .. kept_blocks - 1 stay */
    uint64_t lost_records;      /* stretches with a record's framing */
    uint64_t lost_blocks;       /* of them, those that still decode */
    uint64_t lost_transactions; /* in the blocks that still decode */
    uint64_t lost_bytes;        /* the file is this much shorter */
} tally_repair_summary;

/*
 * What an operator runs, knowingly, when opening refused LOG_CORRUPT (`tallyd
 * --repair`): scans directory/blocks.log as a writable open does and, at the first
 * damaged record, reports every stretch from there to the end of the file through
 * options->lost (each block that still decodes with its transactions, so the
 * operator can tell who to ask to submit again), then cuts the file there
 * (truncate + fsync). Everything after the damage goes, valid records included: a
 * chain cannot skip a block. A log without damage is left as it is (summary->cut
 * false). Takes the log's lock (LOCKED). Refuses LOG_CORRUPT without cutting when
 * the damage is in the genesis record (nothing would be left), IO, NO_MEMORY.
 * Snapshots of blocks that were cut are ignored by the next open (their block hash
 * no longer matches) and the node's index is rebuilt.
 */
TALLY_MUST_CHECK tally_chain_error tally_blocklog_repair(const char *directory,
                                                         const tally_repair_options *options,
                                                         tally_repair_summary *summary,
                                                         tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* Snapshots: snapshot-<height>.bin in a data directory.                     */
/* ------------------------------------------------------------------------ */

/*
 * A snapshot file: u32 magic (TALLY_SNAPSHOT_MAGIC) | u64 height | block hash[32] |
 * state (tally_state_serialize) | checksum[32] = BLAKE2b-256 of all bytes before it.
 * Written to a temporary file, fsynced, renamed, then the directory fsynced, so a
 * crash leaves either the old set of snapshots or the new one.
 */
#define TALLY_SNAPSHOT_MAGIC 0x53594c54u /* "TLYS" in the file */
#define TALLY_SNAPSHOTS_KEPT 2u
/* Snapshot files a directory listing considers; more are ignored (and reported). */
#define TALLY_SNAPSHOTS_SCANNED_MAX 64u

/* Writes snapshot-<height>.bin of state (the state after the block whose hash is
 * given), then deletes all but the newest TALLY_SNAPSHOTS_KEPT snapshots. Refuses
 * IO, NO_MEMORY. */
TALLY_MUST_CHECK tally_chain_error tally_snapshot_save(const char *directory, uint64_t height,
                                                       const uint8_t block_hash[TALLY_HASH_BYTES],
                                                       const tally_state *state,
                                                       tally_chain_failure *failure);

/*
 * Loads the newest snapshot that is sound and belongs to this log: checksum,
 * height in the file = height in the name, a block at that height in the log with
 * that hash, inside the log's hash-linked prefix from the genesis
 * (tally_blocklog_linked), naming the chain's producer (genesis->producer) and
 * carrying that producer's valid signature, and a state that deserializes, is of the
 * chain (genesis->chain_id) and hashes to that block's state_hash. So a snapshot is
 * trusted only against a header the producer signed in its place in the chain: a
 * header edited to vouch for a forged state (its record checksum recomputed) fails
 * the signature, and the replay that follows refuses that block. `genesis` is the
 * tip tally_genesis_open gave. Every snapshot passed over is reported through
 * notice (SNAPSHOT_BAD with the reason). Returns OK with *state NULL when none is
 * usable; *state (the caller destroys it) and *height otherwise. Refuses IO (the
 * directory cannot be listed), NO_MEMORY.
 */
TALLY_MUST_CHECK tally_chain_error tally_snapshot_load(const char *directory, const tally_blocklog *log,
                                                       const tally_chain_tip *genesis,
                                                       tally_notice_fn *notice, void *notice_context,
                                                       tally_state **state, uint64_t *height,
                                                       tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* Checking signatures on every core.                                        */
/* ------------------------------------------------------------------------ */

/*
 * A pool of threads that checks signatures, so that admitting transactions,
 * replaying a log and verifying a chain use every core (the core never starts a
 * thread; this layer may). A job is `count` checks: for each i whose valid[i] is
 * true on entry, valid[i] becomes check(context, i); entries false on entry stay
 * false and are not checked. The threads take jobs in the order submitted, a few
 * checks at a time, so a large job is spread over all of them and many submitters
 * never run more checks at once than there are threads. check must be safe to
 * call from several threads at once (tally_tx_verify is).
 */
typedef struct tally_signature_pool tally_signature_pool;
typedef struct tally_signature_job tally_signature_job;
typedef bool tally_signature_check_fn(const void *context, uint32_t index);

#define TALLY_SIGNATURE_THREADS_MAX 64u

/* Starts `threads` checking threads (0: one per core online; at most
 * TALLY_SIGNATURE_THREADS_MAX). NULL when not one could start. */
TALLY_MUST_CHECK tally_signature_pool *tally_signature_pool_start(uint32_t threads);
/* The threads it runs (0 for NULL). */
uint32_t tally_signature_pool_threads(const tally_signature_pool *pool);
/* Stops the threads and frees the pool (NULL: nothing). Every job submitted must
 * have been waited for. */
void tally_signature_pool_stop(tally_signature_pool *pool);
/* Queues a job and returns at once. NULL when the checks were made on the calling
 * thread instead, before returning: count 0, pool NULL, or no memory for the job.
 * valid[] must stay in place until tally_signature_pool_wait returns. */
tally_signature_job *tally_signature_pool_submit(tally_signature_pool *pool, tally_signature_check_fn *check,
                                                 const void *context, uint32_t count, bool *valid);
/* Waits until every check of job is made, then frees it (NULL: returns at once). */
void tally_signature_pool_wait(tally_signature_pool *pool, tally_signature_job *job);
/* tally_tx_verify(&txs[i]) for each i whose valid[i] is true, on the pool, and
 * waits for the answers. */
void tally_signature_pool_check_txs(tally_signature_pool *pool, const tally_tx *txs, uint32_t count, bool *valid);

/* ------------------------------------------------------------------------ */
/* Replaying blocks, their signatures checked ahead on every core.           */
/* ------------------------------------------------------------------------ */

/* Called after each block replayed or verified: `height` of `total` blocks (the
 * log's count - 1 is the last height). */
typedef void tally_progress_fn(void *context, uint64_t height, uint64_t total);

/* Where a replay reads block `height` from: fills *block (tally_block_init'ed,
 * filled again and again) and returns OK, or the error that ends the replay with
 * *failure filled in. Called on the replaying thread, heights in order. */
typedef tally_chain_error tally_block_source_fn(void *context, uint64_t height, tally_block *block,
                                                tally_chain_failure *failure);

/*
 * Applies blocks tip->height + 1 .. end - 1 from source onto state exactly as
 * tally_block_apply one after the other would: the same checks in the same order,
 * the same first failure (a bad transaction signature is BAD_TX_SIGNATURE with its
 * height and index), the same state. Meanwhile the signatures of the blocks read
 * ahead (their producer's and every transaction's) are checked on `pool` (NULL: a
 * pool of one thread per core is started for the replay), so that applying, which
 * then checks no signature, runs beside them. A source failure is reported only
 * once every block before it is applied. progress (may be NULL) is called after
 * each block with (height, end); *transactions grows by each block's count. On a
 * failure *tip is the last block applied. Reads at most about 16,384 transactions
 * (or 64 blocks) ahead.
 */
TALLY_MUST_CHECK tally_chain_error tally_chain_replay(tally_state *state, tally_chain_tip *tip, uint64_t end,
                                                      tally_block_source_fn *source, void *source_context,
                                                      tally_signature_pool *pool, tally_progress_fn *progress,
                                                      void *progress_context, uint64_t *transactions,
                                                      tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* The store: a data directory opened at its tip.                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    bool read_only;
    tally_notice_fn *notice; /* unfinished tails cut, snapshots ignored; may be NULL */
    void *notice_context;
    tally_progress_fn *progress; /* while replaying; may be NULL */
    void *progress_context;
    /* Checks signatures while replaying and in tally_store_accept; NULL: a replay
     * starts its own pool, and accept checks on the calling thread. The store only
     * borrows it: it must outlive the store. */
    tally_signature_pool *signatures;
} tally_store_options;

typedef struct tally_store tally_store;

/* Creates directory (when missing; its parent must exist) with a new blocks.log
 * holding `genesis`, which must pass tally_genesis_open. Refuses LOG_EXISTS when a non-empty log is there,
 * and what tally_genesis_open and tally_blocklog_append refuse. */
TALLY_MUST_CHECK tally_chain_error tally_store_create(const char *directory, const tally_block *genesis,
                                                      const tally_store_options *options,
                                                      tally_store **store,
                                                      tally_chain_failure *failure);

/*
 * Opens a data directory at its tip: scans the log (cutting a torn tail), starts
 * the chain from its genesis, loads the newest valid snapshot and replays every
 * later block with tally_chain_replay (full verification, the signatures checked
 * on options->signatures or on a pool of its own). Refuses LOG_EMPTY, what
 * the log refuses (LOG_CORRUPT for a damaged record: see tally_blocklog_repair),
 * and any verification failure with the block's height.
 */
TALLY_MUST_CHECK tally_chain_error tally_store_open(const char *directory,
                                                    const tally_store_options *options,
                                                    tally_store **store,
                                                    tally_chain_failure *failure);
void tally_store_close(tally_store *store);

/* The state at the tip. It belongs to the store; read it, never change it except
 * through tally_store_produce and tally_store_accept. */
const tally_state *tally_store_state(const tally_store *store);
const tally_chain_tip *tally_store_tip(const tally_store *store);
const tally_blocklog *tally_store_log(const tally_store *store);

/*
 * Builds the next block from candidates (see tally_block_build), appends it to the
 * log durably, and only then returns OK: the accepted candidates are committed and
 * may be acknowledged. *block receives the block (initialised by the caller). The
 * refusals of tally_block_build that come before the state changes leave the store
 * as it was. When building or appending fails after the state changed, the store is
 * left failed: every later call refuses LOG_FAILED and the caller closes and
 * reopens it (the reopened state is the log's, without the block).
 */
TALLY_MUST_CHECK tally_chain_error tally_store_produce(tally_store *store,
                                                       const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                                       int64_t block_time, const tally_tx *candidates,
                                                       uint32_t candidate_count,
                                                       tally_result *candidate_results,
                                                       tally_block *block,
                                                       tally_chain_failure *failure);

/* tally_store_produce for candidates whose signatures the caller has already
 * checked (see tally_block_build_verified). */
TALLY_MUST_CHECK tally_chain_error tally_store_produce_verified(
    tally_store *store, const uint8_t producer_secret[TALLY_SECRET_BYTES], int64_t block_time,
    const tally_tx *candidates, uint32_t candidate_count, tally_result *candidate_results,
    tally_block *block, tally_chain_failure *failure);

/*
 * tally_store_produce_verified in three steps, so that a node lets its admission
 * read the state while the block is written (the fsync is most of a block's time):
 *   tally_store_build_next   builds the next block onto the state from candidates
 *                            whose signatures were checked, as
 *                            tally_store_produce_verified does, and lays it out for
 *                            the log. The state now holds it; the log does not, and
 *                            every other call that grows the store refuses until
 *                            it is published. *block must stay as it is until then.
 *   tally_store_write_next   appends it durably (one write, one fsync). The one
 *                            step a caller may run without its lock: meanwhile
 *                            other threads may call tally_store_state,
 *                            tally_store_tip (neither changes) and read blocks
 *                            of the log (tally_blocklog_read and the like), nothing
 *                            else of the store. A failure leaves the store failed.
 *   tally_store_publish_next counts the block in the log and moves the tip to it:
 *                            only now may its transactions be acknowledged.
 * `prepared` (NULL, or one per candidate, from tally_tx_prepare on this store's
 * state) carries the candidates' key hashes made ahead, so that building the block
 * hashes no key (tally_apply_prepared: the outcome is the same either way).
 */
TALLY_MUST_CHECK tally_chain_error tally_store_build_next(tally_store *store,
                                                          const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                                          int64_t block_time, const tally_tx *candidates,
                                                          const tally_tx_prepared *prepared,
                                                          uint32_t candidate_count, tally_result *candidate_results,
                                                          tally_block *block, tally_chain_failure *failure);
TALLY_MUST_CHECK tally_chain_error tally_store_write_next(tally_store *store, tally_chain_failure *failure);
void tally_store_publish_next(tally_store *store);
/* Between build and publish: the built block's canonical bytes (tally_block_encode),
 * as its log record holds them; valid until it is published. A validator hands
 * them to the ordering layer before writing them (node_validator.c). */
void tally_store_next_encoded(const tally_store *store, const uint8_t **bytes, size_t *length);

/* Verifies a block made elsewhere (tally_block_apply; its transactions' signatures
 * on the store's pool, when it was opened with one) and appends it. A block that
 * fails verification leaves the store failed, as above. */
TALLY_MUST_CHECK tally_chain_error tally_store_accept(tally_store *store, const tally_block *block,
                                                      tally_chain_failure *failure);
/* The same, when the caller has itself verified some of the block's transactions
 * with exactly these bytes (known_valid[i]: the signature of block->txs[i] over its
 * id held when the caller admitted it): only the others are checked again. A
 * validator forwarding what it admitted to the proposer saves the second check of
 * each (node_validator.c). known_valid NULL is tally_store_accept. */
TALLY_MUST_CHECK tally_chain_error tally_store_accept_known(tally_store *store, const tally_block *block,
                                                            const bool *known_valid, tally_chain_failure *failure);

/* Writes a snapshot of the state at the tip (tally_snapshot_save). A node calls it
 * every N blocks; a failure here loses nothing (the log holds every block). */
TALLY_MUST_CHECK tally_chain_error tally_store_snapshot(tally_store *store, tally_chain_failure *failure);

/* Whether the disk under the store has room again after a write failed for want of
 * it (os_error ENOSPC): writes `bytes` to a scratch file in the store's directory,
 * fsyncs it and removes it. TALLY_CHAIN_OK when all of it was written and synced. */
TALLY_MUST_CHECK tally_chain_error tally_store_probe_space(const tally_store *store, size_t bytes,
                                                           tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* Proofs: a record against a signed header.                                 */
/* ------------------------------------------------------------------------ */

/*
 * Checks, trusting nothing the prover said: the proof leads from its record to a root
 * (tally_state_proof_root), that root is header->state_hash, the header carries a
 * valid signature of header->producer, and that producer is `trusted_producer` (the
 * chain's, from its genesis or from someone the checker trusts). chain_id (may be
 * NULL) must then be the proof's. Refuses BAD_PROOF, BAD_PRODUCER_SIGNATURE,
 * WRONG_PRODUCER, WRONG_CHAIN.
 */
TALLY_MUST_CHECK tally_chain_error tally_chain_proof_check(const tally_state_proof *proof,
                                                           const tally_block_header *header,
                                                           const tally_key *trusted_producer,
                                                           const uint8_t *chain_id,
                                                           tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* Verification of a whole chain from its genesis.                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t blocks;       /* verified, genesis included */
    uint64_t transactions; /* in those blocks */
    uint64_t elapsed_ns;   /* wall time of the verification */
    tally_chain_tip tip;   /* the last verified block */
    bool dev_chain;        /* the genesis made it a development chain (its clock moved at will) */
} tally_verify_summary;

/*
 * Verifies the chain in directory from its genesis without trusting anything
 * derived from it (no snapshot is read): every record's checksum, every hash link,
 * every producer and transaction signature, every result, state hash and
 * invariant. Opens the log read-only (a torn tail is reported, not cut; a damaged
 * record is LOG_CORRUPT with its offset and height). The signatures are checked
 * on every core, ahead of applying (tally_chain_replay).
 * progress (may be NULL) is called after each block. On a failure, summary holds
 * what was verified before it and failure names the height. Refuses what
 * tally_blocklog_open and tally_block_apply refuse.
 */
TALLY_MUST_CHECK tally_chain_error tally_chain_verify(const char *directory,
                                                      tally_progress_fn *progress,
                                                      void *progress_context,
                                                      tally_notice_fn *notice, void *notice_context,
                                                      tally_verify_summary *summary,
                                                      tally_chain_failure *failure);
/* tally_chain_verify with the full invariant check after every block
 * (tally_state_check_invariants_fully), not only over what each block touched:
 * `tally verify --full`. Slower as the state grows; the same verdict on every chain. */
TALLY_MUST_CHECK tally_chain_error tally_chain_verify_full(const char *directory,
                                                           tally_progress_fn *progress,
                                                           void *progress_context,
                                                           tally_notice_fn *notice, void *notice_context,
                                                           tally_verify_summary *summary,
                                                           tally_chain_failure *failure);

/* ------------------------------------------------------------------------ */
/* Co-signatures: validators vouching for a block (src/chain/cosign.c,        */
/* src/store/cosign_store.c).                                                */
/* ------------------------------------------------------------------------ */

/*
 * Every validator of a chain (tally_chain_rules.validators of its genesis;
 * validator 0 is the producer) re-executes each block, checks its state
 * commitment and co-signs it. A co-signature is an Ed25519 signature (libsodium,
 * detached; the key layout of the producer's block signatures) over the 32-byte
 *   message = BLAKE2b-256("tally-cosign-v1" (15 bytes) || chain_id[32] ||
 *                         u64 height (little-endian) || block hash[32])
 * (docs/PROOFS.md, "Co-signatures"). The domain keeps a co-signature from ever
 * being read as a transaction's or a header's signature; the chain id and the
 * height keep it from being replayed on another chain or at another height.
 *
 * A block is final once a quorum of distinct validators co-signed it:
 * tally_cosign_quorum(n) = n / 2 + 1, a strict majority. Why a majority. The
 * ordering layer (etcd, Raft) tolerates crash faults only, and a majority is what
 * it needs to commit anyway; and any two majorities of one set share at least one
 * validator. So two different blocks final at the same height need a validator
 * who co-signed both: two valid co-signatures of one key at one height over two
 * hashes, which anyone can check with this function alone. Finality therefore
 * never forks silently: a fork comes with the proof of who misbehaved. (It does
 * not make a Byzantine majority harmless; nothing with n / 2 + 1 does.)
 */
#define TALLY_COSIGN_DOMAIN "tally-cosign-v1"
#define TALLY_COSIGN_DOMAIN_BYTES 15u

/* The message a validator signs for block `height` of chain `chain_id`. */
void tally_cosign_message(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], uint64_t height,
                          const uint8_t block_hash[TALLY_HASH_BYTES], uint8_t out[TALLY_HASH_BYTES]);
/* Signs it with a validator's secret key (the public half is its last 32 bytes). */
void tally_cosign_sign(const uint8_t secret[TALLY_SECRET_BYTES], const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                       uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                       uint8_t signature[TALLY_SIGNATURE_BYTES]);
/* Whether signature is validator's co-signature of that block. Says nothing about
 * whether validator belongs to the chain: tally_cosign_validator does. */
TALLY_MUST_CHECK bool tally_cosign_holds(const tally_key *validator, const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                                         uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                                         const uint8_t signature[TALLY_SIGNATURE_BYTES]);
/* validator_count / 2 + 1 (1 for a single validator; 0 for 0). */
uint32_t tally_cosign_quorum(uint32_t validator_count);
/* The chain's validator set as the genesis rules give it: a rules->validator_count
 * of 0 means the producer alone (tally_genesis_make), so *count is then 1 and
 * validators[0] the producer. */
void tally_cosign_validators(const tally_chain_rules *rules, const tally_key *producer,
                             tally_key validators[TALLY_VALIDATORS_MAX], uint32_t *count);

/* One co-signature: validator `validator` (an index into the validator set) signed
 * block `height` whose hash is block_hash. */
typedef struct {
    uint64_t height;
    uint8_t block_hash[TALLY_HASH_BYTES];
    uint8_t validator;
    uint8_t signature[TALLY_SIGNATURE_BYTES];
} tally_cosignature;

/*
 * The co-signature log: cosignatures.log in a data directory, append-only records
 * of fixed size:
 *   u32 magic (TALLY_COSIGN_MAGIC) | u64 height | block hash[32] | u8 validator |
 *   signature[64] | checksum[16] = BLAKE2b-128 of the 109 bytes before it
 * Heights start at 1 (the genesis is nobody's to co-sign) and are dense; each
 * height holds at most one co-signature per validator, so at most
 * TALLY_VALIDATORS_MAX. Opening scans every record and keeps them all in memory
 * (about 110 bytes a co-signature: a block of a 4-validator chain costs 440 bytes,
 * a million of them 440 MB; a later version may keep only offsets), indexed by
 * height.
 *
 * Torn or damaged, as in the block log. A record is one write at the end, so a
 * crash leaves a prefix of one: a last record shorter than a record whose bytes
 * begin as the magic does, or zero bytes from a record boundary to the end. That
 * tail is cut (truncate + fsync) and reported through `notice` (LOG_TAIL_CUT).
 * Everything else refuses COSIGN_LOG_CORRUPT with the byte offset: a complete
 * record whose magic or checksum fails, a height of 0 or above options.max_height,
 * a validator index outside the set, a signature that does not hold for that
 * validator, a second different co-signature of one validator at one height, or
 * an incomplete record that is not the last. No store writes such a record, so
 * each is rot or tampering.
 *
 * Durability. tally_cosign_store_add writes its record with one write() and does
 * not fsync; tally_cosign_store_flush does. A crash of the process loses nothing
 * written (the page cache has it); a crash of the machine may lose what was added
 * since the last flush. That is acceptable because nothing is acknowledged on a
 * co-signature: a validator's own is made again from its key (Ed25519 is
 * deterministic, so it is byte for byte the same) and the others' are fetched
 * again from their validators. So a node may batch flushes (src/node/node.c
 * flushes at most every 100 ms under load, at once when idle).
 *
 * What a node does with a damaged log is the node's choice (src/node/cosigner.h:
 * it moves it aside, salvages its sound records and starts).
 *
 * Threads: one store is not shared without a lock, except flush (below).
 */
#define TALLY_COSIGN_MAGIC 0x43594c54u /* "TLYC" in the file */
#define TALLY_COSIGN_RECORD_BYTES (4u + 8u + 32u + 1u + 64u + 16u)
#define TALLY_COSIGN_FILE_NAME "cosignatures.log"

typedef struct tally_cosign_store tally_cosign_store;

typedef struct {
    bool create;         /* create an empty log when missing */
    uint64_t max_height; /* records above it are damage when opening (the block log's tip; 0: no
                          * bound); adds later are not bounded by it */
    tally_notice_fn *notice; /* a torn tail cut; may be NULL */
    void *notice_context;
    /* Checks the records' signatures when opening, on every core (borrowed; NULL:
     * on the calling thread). About 60 us a record on one core. */
    tally_signature_pool *signatures;
} tally_cosign_store_options;

/*
 * Opens (and scans) directory/cosignatures.log for the chain chain_id whose
 * validators are validators[0..validator_count-1] (1..TALLY_VALIDATORS_MAX; see
 * tally_cosign_validators), taking an exclusive lock on the file (LOCKED). Refuses
 * IO (a missing file without `create`), COSIGN_LOG_CORRUPT (failure->offset the
 * damaged record's first byte, failure->height its height when readable),
 * NO_MEMORY, BAD_ARGUMENT.
 */
TALLY_MUST_CHECK tally_chain_error tally_cosign_store_open(const char *directory,
                                                           const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                                                           const tally_key *validators, uint32_t validator_count,
                                                           const tally_cosign_store_options *options,
                                                           tally_cosign_store **store,
                                                           tally_chain_failure *failure);
/* Closes (NULL: nothing). Does not flush: call tally_cosign_store_flush first. */
void tally_cosign_store_close(tally_cosign_store *store);
/* The chain added validators: the roster grows to validators[0..count-1], whose
 * first slots must be the store's (slots are never reused). false otherwise. */
bool tally_cosign_store_extend(tally_cosign_store *store, const tally_key *validators, uint32_t count);

/*
 * Adds validator `validator`'s co-signature of block `height` (>= 1) whose hash is
 * block_hash, after checking it (tally_cosign_holds with the store's chain id and
 * that validator's key): one write() of one record, no fsync. An exact duplicate
 * is ignored (OK, *added false, nothing written). Refuses BAD_ARGUMENT (height 0,
 * validator outside the set), BAD_COSIGNATURE (the signature does not hold),
 * COSIGN_CONFLICT (that validator already has another co-signature at that height,
 * of another block hash or another signature: equivocation; the first is kept and
 * stays what tally_cosign_store_get answers, and the caller keeps the second as
 * evidence; failure's message names both hashes by their first 8 bytes), IO (the write failed: from then
 * on every add refuses LOG_FAILED, unless failure->os_error is ENOSPC and the
 * partial record was cut off again, which leaves the store as it was: a full disk,
 * the record to be added again when there is room), NO_MEMORY. added may be NULL.
 */
TALLY_MUST_CHECK tally_chain_error tally_cosign_store_add(tally_cosign_store *store, uint64_t height,
                                                          const uint8_t block_hash[TALLY_HASH_BYTES],
                                                          uint32_t validator,
                                                          const uint8_t signature[TALLY_SIGNATURE_BYTES],
                                                          bool *added, tally_chain_failure *failure);
/* Whether a write or fsync failed and the store refuses every add (LOG_FAILED). */
bool tally_cosign_store_failed(const tally_cosign_store *store);
/* fsyncs the file: every record added before the call is durable when it returns
 * OK. It touches only the file, so a caller may run it without the lock it holds
 * around the store's other calls, while they go on. A failed fsync (IO) makes
 * every later add refuse LOG_FAILED (the kernel may have dropped the pages: close
 * and reopen, which rescans). */
TALLY_MUST_CHECK tally_chain_error tally_cosign_store_flush(tally_cosign_store *store,
                                                            tally_chain_failure *failure);
/* The co-signatures of height, in validator order, at most max of them into out;
 * *count how many there are (it may exceed max). All of them hold; some may be of
 * another block hash than the caller's block (compare block_hash). */
void tally_cosign_store_get(const tally_cosign_store *store, uint64_t height, tally_cosignature *out,
                            uint32_t max, uint32_t *count);
/* How many co-signatures height holds (of any block hash). */
uint32_t tally_cosign_store_count_at(const tally_cosign_store *store, uint64_t height);
/* How many co-signatures of height are of block_hash. */
uint32_t tally_cosign_store_count_of(const tally_cosign_store *store, uint64_t height,
                                     const uint8_t block_hash[TALLY_HASH_BYTES]);
/* The highest height holding a co-signature (0: none); the records in the log. */
uint64_t tally_cosign_store_top(const tally_cosign_store *store);
uint64_t tally_cosign_store_records(const tally_cosign_store *store);

/* What tally_cosign_store_salvage kept and dropped. */
typedef struct {
    uint64_t records;  /* whole records in the damaged file */
    uint64_t kept;     /* added to the store (or already in it) */
    uint64_t dropped;  /* damaged, not holding, or in conflict */
    uint64_t first_dropped_offset; /* TALLY_NO_OFFSET when none */
} tally_cosign_salvage;

/* Adds to store every whole record of the file at `path` (a damaged log moved
 * aside) that is sound: magic and checksum, a height within the store's bounds, a
 * validator of the set and a signature that holds, no conflict. The file is only
 * read. Refuses IO (cannot read it), what add refuses but BAD_*, conflicts. */
TALLY_MUST_CHECK tally_chain_error tally_cosign_store_salvage(tally_cosign_store *store, const char *path,
                                                              tally_cosign_salvage *summary,
                                                              tally_chain_failure *failure);

#ifdef __cplusplus
}
#endif

#endif /* TALLY_CHAIN_H */
