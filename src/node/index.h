/*
 * index.h: the node's query index, an SQLite database derived from the block log.
 *
 * The block log is the source of truth; the index only answers questions the log
 * cannot answer quickly: a transaction by id, an account's history in a network
 * (paged, newest first), a network's whole activity, a key's reserve-asset history,
 * block headers by height, and a full-text search (SQLite FTS5) over transfer memos
 * and current aliases. Everything in it is computed from the blocks alone (their
 * transactions, recorded results and the events of their ends), never from a state, so it can be deleted at any time and
 * rebuilt from the log (index_rebuild), and a node that crashed between appending a
 * block and indexing it repairs itself by indexing it again (index_catch_up).
 *
 * What a history entry is. Every committed transaction gives one entry per
 * (network, account) whose balance it changes or that it is about:
 *   TRANSFER         payer: amount -amount, fee = the fee paid, counterparty the payee;
 *                    payee: +amount, counterparty the payer; the network's fee
 *                    account: +fee (when the fee is not 0), counterparty the payer.
 *                    All three carry the memo.
 *   TRANSFER_BATCH   each line as a transfer without its fee: payer -amount, payee
 *                    +amount, each the other's counterparty, both with the line's
 *                    number (`line`, from 1) and memo; then, when the fees are not 0,
 *                    the payer: amount 0, fee = the fees of all lines, and the fee
 *                    account: +fees, each the other's counterparty. (A block records
 *                    the batch's fees, not each line's: the core computes those from
 *                    the balance at each line, which the index never sees.)
 *   FEE_DISTRIBUTE   fee account: -amount; the receiving member (or the pool's system
 *                    account when to_pool): +amount; each the other's counterparty.
 *   POOL_REPAY       signer: +credits (the amount signed) against the lost-debt
 *                    account: -credits.
 *   POOL_REDEEM      signer: -burned against the lost-debt account: +burned.
 *   POOL_DEPOSIT, POOL_WITHDRAW, NETWORK_CREATE, POLICY_UPDATE, PEG_SET,
 *   MEMBER_JOIN, MEMBER_LEAVE, ALIAS_SET:  the signer, amount 0.
 *   OPERATOR_ADD/REMOVE, MEMBER_ADMIT/SUSPEND/REINSTATE, LINE_OPEN/UPDATE/CLOSE:
 *                    the key in the body, amount 0, counterparty the operator who
 *                    signed (none when it acted on itself).
 *   PENDING_CREATE   payer and payee, amount 0, each the other's counterparty (a hold
 *                    moves no balance); PENDING_POST: as a TRANSFER of the amount
 *                    posted with its share of the fee; PENDING_VOID: payer and payee,
 *                    amount 0. The index keeps each hold (table holds) to place them.
 *   REQUEST_CREATE   its maker and, when it names one, the payer asked, amount 0, with
 *                    the memo; REQUEST_PAY: as a TRANSFER of the request's amount
 *                    from the signer to its maker, with the request's memo;
 *                    REQUEST_CANCEL: as REQUEST_CREATE, amount 0 (table requests).
 * The events of a block's end (recorded by the block, see tally_event) come after
 * its transactions, each as a row of its own with these entries:
 *   LINE_RENEWED, LINE_EXPIRED, LINE_FROZEN, LINE_UNFROZEN: the member, amount 0.
 *   LINE_DEFAULTED   the member: +written off (its debt is gone), counterparty the
 *                    lost-debt account; that account: -written off.
 *   LOST_DEBT_COVERED the pool's system account: -covered; the lost-debt account:
 *                    +covered; each the other's counterparty.
 *   RESERVE_REALLOCATED the pool's system account, amount 0.
 *   POLICY_CHANGED, PEG_CHANGED: no entry (the network's activity shows them).
 *   PENDING_RELEASED as a PENDING_POST of everything held; PENDING_REFUNDED: the payer,
 *                    amount 0. REQUEST_EXPIRED: as REQUEST_CANCEL. A LINE_DEFAULTED
 *                    also marks the member's open holds voided (as the core does).
 * So for every transaction and event the (amount - fee) of its entries in a network
 * sum to 0, and an account's balance is the sum of (amount - fee) over its entries. Reserve assets have their own history: ASSET_CREATE (issuer, 0),
 * ASSET_ISSUE (+amount to the holder, counterparty the issuer), ASSET_TRANSFER
 * (-amount and +amount), ASSET_BURN (-amount), and the pool's reserve movements
 * (deposit, withdraw, repay, redeem: the signer and the pool's system account, in
 * the network's reserve asset as set by the last PEG_SET the index has seen).
 *
 * Cursors are entry ids: they increase in chain order, so "newest first" is
 * descending id, and a page's next cursor (0 when there is no older entry) is
 * passed back as before_cursor to continue; pages never skip or repeat an entry
 * while blocks are being added. An id is computed from the entry's place in the
 * chain (transaction number * 1024 + its number in the transaction: a batch of 256
 * lines makes 514), so the same log gives the same ids and a cursor stays valid
 * across a rebuild.
 *
 * Storage: WAL journal, synchronous=NORMAL (a power cut may lose the last indexed
 * blocks, never corrupt the file, and index_catch_up re-adds them). The schema
 * carries a version (PRAGMA user_version) and an application id; an index of
 * another version is emptied at open and refilled by index_catch_up, while an
 * SQLite file that is not a Tally index is refused and left alone. Every statement
 * is prepared once at open (and again after a rebuild empties the database) and
 * takes bound parameters only: no SQL is ever built from data.
 *
 * Threads: one tally_index is used by one thread at a time (the node holds a lock
 * around it, node.c's index_lock), so the connection is opened with
 * SQLITE_OPEN_NOMUTEX: SQLite's own mutex around every call (each bind, step and
 * reset) cost about a tenth of indexing a block.
 *
 * Errors are values: every function that can fail returns an index_error and
 * writes a sentence into `why` (why_size bytes, may be NULL/0), with SQLite's own
 * message when SQLite refused. Nothing here prints.
 */
#ifndef TALLY_NODE_INDEX_H
#define TALLY_NODE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"
#include "tally_chain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bump when the tables change: an index of another version is rebuilt. 2: batch
 * payments (history's line and memo, entry ids of 1024 a transaction). 3: the
 * events of blocks' ends, and a network's activity. 4: holds and payment requests.
 * 5: a hold's or request's id and amount on the rows of its transactions, the open
 * holds by payee. 6: gateways (where their transactions and cross payments go).
 * 9: the marketplace (categories, listings and their search, orders, their steps,
 * reviews; index_market.c). */
#define INDEX_SCHEMA_VERSION 11
/* An event of a block's end is indexed as a row of type INDEX_EVENT_TYPE_BASE + its
 * kind (tally_event_kind), after the block's transactions: its id is
 * BLAKE2b-256("tally-event" || block hash || u32 its number in the block). */
#define INDEX_EVENT_TYPE_BASE 128u
/* Whether a row's type is an event's; and the name of a type, a transaction's
 * ("transfer") or an event's ("line_defaulted"), NULL when unknown. */
bool index_type_is_event(uint8_t type);
/* Whether a row's type is a transaction about a hold or a payment request
 * (PENDING_CREATE/POST/VOID, REQUEST_CREATE/PAY/CANCEL). */
bool index_type_is_escrow(uint8_t type);
/* Whether a row's type is a marketplace transaction about a listing or an order
 * (LISTING_CREATE .. REVIEW): its row carries the listing's or order's id and an
 * amount (index_history_entry's market_id, market_amount). */
bool index_type_is_market(uint8_t type);
const char *index_type_name(uint8_t type);
/* The id under which an event of a block is indexed (see INDEX_EVENT_TYPE_BASE). */
void index_event_id(const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t number, uint8_t out[TALLY_HASH_BYTES]);
/* PRAGMA application_id of a Tally index: "TLYX". */
#define INDEX_APPLICATION_ID 0x544c5958
/* Bounds on one query's answer. */
#define INDEX_HISTORY_LIMIT_MAX 500u
#define INDEX_BLOCKS_LIMIT_MAX 1000u
#define INDEX_SEARCH_LIMIT_MAX 100u
/* Longest search text, in bytes. */
#define INDEX_SEARCH_TEXT_MAX 256u
/* A `why` buffer of this size holds every message. */
#define INDEX_WHY_BYTES 512u

#define INDEX_ERRORS(X)                                                                   \
    X(OK, "ok")                                                                           \
    X(BAD_ARGUMENT, "an argument is out of range")                                        \
    X(NO_MEMORY, "out of memory")                                                         \
    X(DATABASE, "the index database refused an operation")                                \
    X(NOT_AN_INDEX, "the file is not a Tally index")                                      \
    X(DAMAGED, "the index holds a value it never writes; delete it to rebuild it")        \
    X(NOT_NEXT, "the block's height is not the index's height plus one")                  \
    X(NOT_LINKED, "the block's previous hash is not the hash of the last indexed block") \
    X(BAD_BLOCK, "a transaction of the block cannot be encoded")                          \
    X(LOG, "reading the block log failed")                                                \
    X(FULL, "the disk under the index is full: indexing waits for room")

typedef enum {
#define INDEX_ERROR_ENUM(name, message) INDEX_ERR_##name,
    INDEX_ERRORS(INDEX_ERROR_ENUM)
#undef INDEX_ERROR_ENUM
        INDEX_ERROR_COUNT
} index_error;

#define INDEX_OK INDEX_ERR_OK

/* "NOT_NEXT" for INDEX_ERR_NOT_NEXT; "?" for an unknown code. */
const char *index_error_name(index_error code);
/* A sentence for people; never NULL. */
const char *index_error_message(index_error code);

typedef struct tally_index tally_index;

/* ------------------------------------------------------------------------ */
/* Opening, adding blocks, rebuilding.                                       */
/* ------------------------------------------------------------------------ */

/*
 * Opens (creating when missing) the index database at path and prepares every
 * statement. An index of another schema version is emptied (it is then at
 * TALLY_NO_HEIGHT and index_catch_up refills it). Refuses NOT_AN_INDEX (the file
 * is not an SQLite database, or is one that is not a Tally index: it is left
 * untouched), DATABASE (cannot open or write it), NO_MEMORY. *out is NULL on error.
 */
TALLY_MUST_CHECK index_error index_open(const char *path, tally_index **out, char *why,
                                        size_t why_size);
/* Closes the database. NULL is accepted. */
void index_close(tally_index *index);

/* Height of the last indexed block, or TALLY_NO_HEIGHT when the index is empty. */
uint64_t index_height(const tally_index *index);
/* Blocks and transactions indexed (for metrics). Never fails: kept in memory. */
void index_counts(const tally_index *index, uint64_t *blocks, uint64_t *transactions);

/*
 * Indexes one block (as read from, or just appended to, the block log) in one
 * SQLite transaction: all of it or nothing. Needs nothing but the block: its hash
 * is computed here. Refuses NOT_NEXT (height is not index_height + 1; the genesis
 * goes into an empty index), NOT_LINKED (prev_hash is not the hash of the last
 * indexed block: the index is of another chain, rebuild it), BAD_BLOCK (a
 * transaction does not encode), DATABASE. On refusal the index is unchanged.
 */
TALLY_MUST_CHECK index_error index_add_block(tally_index *index, const tally_block *block,
                                             char *why, size_t why_size);
/* The same for `count` consecutive blocks in one SQLite transaction: all of them or
 * none. One commit per block was a tenth of indexing a block under load, when the
 * indexer runs behind the producer and several blocks wait. */
TALLY_MUST_CHECK index_error index_add_blocks(tally_index *index, const tally_block *blocks, uint32_t count,
                                              char *why, size_t why_size);

/*
 * Health periods (docs/GATEWAYS.md section 4). A block records only that a network's
 * period ended (the event `health_recorded`); its figures are in the state, in the
 * network record of the block's state. So whoever indexes the blocks passes the
 * figures it read from a state in which that period was still the last completed one
 * (the node does, reading them under its lock as it reads the blocks: the indexer
 * trails by a batch, a period is 30 days): each row of table `health` then holds
 * them (the node keeps each block's as it makes it, and falls back on its state). A
 * period whose figures were not passed (an index rebuilt from an old log, or one block
 * that ended several periods of a network after a month without blocks) is kept as
 * known = false: when it ended, not what it said; a proof of the network record at
 * that height still says it.
 *
 * Beside the figures, the pool's reserve in its three parts as the block that ended
 * the period left them (for the dashboard's plot of the pool over time). They are not
 * in the chain's health record, so only a state at exactly that block can give them:
 * the node gives them for the blocks it makes or follows (pool.known), not when it
 * falls back on a later state.
 */
typedef struct {
    bool known;
    int64_t primary, buffer, excess; /* minor units of the network's reserve asset */
} index_health_pool;
typedef struct {
    uint32_t network_id;
    tally_health health; /* health.period: the period */
    index_health_pool pool;
} index_health_given;
TALLY_MUST_CHECK index_error index_add_blocks_with_health(tally_index *index, const tally_block *blocks, uint32_t count,
                                                          const index_health_given *given, uint32_t given_count,
                                                          char *why, size_t why_size);
typedef struct {
    uint32_t period;
    int64_t ended_at;
    bool known; /* false: the figures were not given when it was indexed */
    tally_health health;
    index_health_pool pool; /* known only with the figures, and not always then */
} index_health_row;
/* A network's periods, newest first, below period `before` (0: from the newest), at
 * most `limit` (<= 1000) into rows; *next_before is the period to ask next (0: none). */
TALLY_MUST_CHECK index_error index_health_history(tally_index *index, uint32_t network_id, uint32_t before,
                                                  uint32_t limit, index_health_row *rows, uint32_t *count,
                                                  uint32_t *next_before, char *why, size_t why_size);

/* Clearings (docs/GATEWAYS.md): the committed CLEARING transactions, newest first,
 * each with its block and the set-offs it made, for the dashboard's history of how
 * much obligation clearing removed. */
#define INDEX_CLEARINGS_LIMIT_MAX 500u
typedef struct {
    uint64_t cursor; /* pass as `before` for the next page */
    uint64_t height;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES];
    tally_key submitter;
    uint8_t count;
    tally_setoff setoffs[TALLY_CLEARING_SETOFFS_MAX];
} index_clearing_row;
/* At most limit (1..INDEX_CLEARINGS_LIMIT_MAX) clearings older than cursor `before`
 * (0: from the newest); *next is the cursor to ask next (0: none). */
TALLY_MUST_CHECK index_error index_clearings(tally_index *index, uint64_t before, uint32_t limit, index_clearing_row *rows,
                                             uint32_t *count, uint64_t *next, char *why, size_t why_size);

/* What index_catch_up and index_rebuild did. */
typedef struct {
    uint64_t blocks;       /* blocks indexed */
    uint64_t transactions; /* in those blocks */
    bool rebuilt;          /* the index did not match the log and was rebuilt from genesis */
} index_catch_up_summary;

/*
 * Brings the index to the log's tip: indexes blocks index_height + 1 .. count - 1,
 * committing in batches (a crash loses at most the last batch, which the next call
 * re-adds). When the index does not match the log (its last block is not the log's
 * block at that height, or it is ahead of the log) it is rebuilt from the genesis.
 * progress (may be NULL) is called after each block with (height, count of the
 * log). summary may be NULL. Refuses LOG (a block cannot be read; failure message
 * in why), NOT_LINKED (the log's blocks do not link), BAD_BLOCK, DATABASE; blocks
 * committed before the failure stay indexed.
 */
TALLY_MUST_CHECK index_error index_catch_up(tally_index *index, const tally_blocklog *log,
                                            tally_progress_fn *progress, void *progress_context,
                                            index_catch_up_summary *summary, char *why,
                                            size_t why_size);

/* Empties the index and indexes the whole log, as index_catch_up from nothing. */
TALLY_MUST_CHECK index_error index_rebuild(tally_index *index, const tally_blocklog *log,
                                           tally_progress_fn *progress, void *progress_context,
                                           index_catch_up_summary *summary, char *why,
                                           size_t why_size);

/* ------------------------------------------------------------------------ */
/* Queries. Answers are plain structs in arrays the caller provides.         */
/* ------------------------------------------------------------------------ */

/* A committed transaction. */
typedef struct {
    uint8_t id[TALLY_HASH_BYTES]; /* tally_tx_hash */
    uint64_t height;              /* of the block holding it */
    uint32_t position;            /* in that block, from 0 */
    int64_t time;                 /* the block's time */
    uint8_t type;                 /* tally_tx_type */
    tally_key signer;
    uint64_t sequence;
    bool has_network; /* every transaction but the asset ones names a network */
    uint32_t network_id; /* NETWORK_CREATE: the network it created */
    bool has_asset;
    uint32_t asset_id; /* ASSET_CREATE: the asset it created */
    tally_result result; /* as the block records it */
    uint16_t encoded_length;
    uint8_t encoded[TALLY_TX_ENCODED_MAX]; /* the signed canonical encoding */
} index_tx;

/* Looks a transaction up by id. *found is false (and OK returned) for an id the
 * index has not seen. Refuses DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_tx_status(tally_index *index, const uint8_t id[TALLY_HASH_BYTES],
                                             index_tx *tx, bool *found, char *why,
                                             size_t why_size);

/* One line of an account's history in a network (see the top of this file). */
typedef struct {
    uint64_t cursor; /* this entry's id */
    uint64_t height;
    uint32_t position;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES];
    uint8_t type;   /* tally_tx_type */
    int64_t amount; /* signed, from the account's point of view */
    int64_t fee;    /* credits the account paid as fee on top of amount (TRANSFER payer) */
    bool has_counterparty;
    tally_key counterparty;
    uint16_t line; /* TRANSFER_BATCH: the line, from 1 (0: the batch's fees, or another type) */
    uint16_t memo_length;
    char memo[TALLY_MEMO_MAX + 1]; /* NUL-terminated UTF-8 (a batch line's own); "" when none */
    /* POOL_*: the signer's entry carries its result's reserve moved and shares made
     * or destroyed (both >= 0, in the network's reserve asset and in shares); 0 for
     * every other entry. */
    int64_t reserve;
    int64_t shares;
    /* An event (index_type_is_event(type)): its amount and time (tally_event); the
     * event's member is the account whose history it is, or for a network's event
     * what its entries say. tx_id is the event's id. */
    int64_t event_amount;
    int64_t event_time;
    /* A transaction about a hold or a payment request (index_type_is_escrow): the
     * record's id and its amount (PENDING_CREATE, PENDING_VOID: held; PENDING_POST:
     * posted; REQUEST_*: asked); 0 for every other entry. */
    uint32_t escrow_id;
    int64_t escrow_amount;
    /* A marketplace transaction (index_type_is_market): the listing's id (LISTING_*)
     * or the order's (ORDER_*, REVIEW), and its amount: ORDER_CREATE the amount held
     * (its fee besides), ORDER_CONFIRM and ORDER_RESOLVE what reached the seller,
     * REVIEW the rating; 0 for every other entry. */
    uint32_t market_id;
    int64_t market_amount;
} index_history_entry;

/*
 * The history of `key` in network_id, newest first: up to `limit` (1..500) entries
 * older than before_cursor (0 = from the newest) into entries, their number into
 * *count, and into *next_cursor the before_cursor of the next page, or 0 when there
 * is none. Refuses BAD_ARGUMENT (limit), DATABASE, DAMAGED.
 */
TALLY_MUST_CHECK index_error index_history(tally_index *index, uint32_t network_id,
                                           const tally_key *key, uint64_t before_cursor,
                                           uint32_t limit, index_history_entry *entries,
                                           uint32_t *count, uint64_t *next_cursor, char *why,
                                           size_t why_size);

/* One line of a key's history in a reserve asset. */
typedef struct {
    uint64_t cursor;
    uint64_t height;
    uint32_t position;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES];
    uint8_t type;
    int64_t amount; /* signed, from the key's point of view */
    bool has_counterparty;
    tally_key counterparty;
} index_asset_entry;

/* As index_history, for `key`'s holdings of asset_id. */
TALLY_MUST_CHECK index_error index_asset_history(tally_index *index, uint32_t asset_id,
                                                 const tally_key *key, uint64_t before_cursor,
                                                 uint32_t limit, index_asset_entry *entries,
                                                 uint32_t *count, uint64_t *next_cursor,
                                                 char *why, size_t why_size);

/* One row of a network's activity: a transaction about the network (its founding,
 * operators, members, lines, payments, pool, fees) or an event of a block's end in
 * it. */
typedef struct {
    uint64_t cursor; /* pass as before_cursor for older rows */
    uint64_t height;
    uint32_t position;
    int64_t time;
    uint8_t id[TALLY_HASH_BYTES]; /* the transaction's id, or the event's */
    uint8_t type;                 /* tally_tx_type, or INDEX_EVENT_TYPE_BASE + an event's kind */
    tally_key signer;             /* a transaction's signer; an event's member (or its pool, or zero) */
    int64_t fee;                  /* a transaction's fee as its result records it */
    tally_tx tx;                  /* a transaction, decoded (a batch's lines too: index_activity_release) */
    tally_event event;            /* an event */
    uint32_t escrow_id;           /* as index_history_entry's */
    int64_t escrow_amount;
    /* REQUEST_PAY, REQUEST_CANCEL: the request's memo (its transaction has none) */
    uint16_t escrow_memo_length;
    char escrow_memo[TALLY_MEMO_MAX + 1];
} index_activity_row;

/*
 * A network's activity, newest first: every transaction about network_id and every
 * event of a block's end in it, up to `limit` (1..INDEX_HISTORY_LIMIT_MAX) rows
 * before before_cursor (0: from the newest); *next_cursor as index_history's.
 * Release the rows with index_activity_release. Refuses BAD_ARGUMENT, DATABASE,
 * DAMAGED.
 */
TALLY_MUST_CHECK index_error index_activity(tally_index *index, uint32_t network_id, uint64_t before_cursor,
                                            uint32_t limit, index_activity_row *rows, uint32_t *count,
                                            uint64_t *next_cursor, char *why, size_t why_size);
void index_activity_release(index_activity_row *rows, uint32_t count);

typedef struct {
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
} index_block_row;

/* Headers of blocks from_height, from_height + 1, ... : up to `limit` (1..1000) of
 * them, fewer at the tip (0 past it). Refuses BAD_ARGUMENT, DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_blocks(tally_index *index, uint64_t from_height, uint32_t limit,
                                          index_block_row *rows, uint32_t *count, char *why,
                                          size_t why_size);

typedef enum {
    INDEX_MATCH_MEMO = 1,  /* a transfer's or batch line's memo: key is the payer, counterparty the payee */
    INDEX_MATCH_ALIAS = 2  /* a member's current alias: key is the member */
} index_match_kind;

typedef struct {
    uint8_t kind; /* index_match_kind */
    tally_key key;
    bool has_counterparty;
    tally_key counterparty;
    uint64_t height;                /* of the transaction that wrote the text */
    uint8_t tx_id[TALLY_HASH_BYTES];
    uint16_t text_length;
    char text[TALLY_MEMO_MAX + 1]; /* NUL-terminated */
    uint64_t cursor;               /* this match's place: newer matches have greater ones */
} index_match;

/*
 * Full-text search in network_id over transfer memos and the aliases members hold
 * now (an alias cleared or given up by leaving is not found). Every word of text
 * (split at spaces) must appear as a word prefix, case and accents ignored:
 * "egg fresh" finds "Fresh eggs". The text is data, never query syntax. Newest
 * first, up to `limit` (1..100) matches. Text with no word finds nothing. Refuses
 * BAD_ARGUMENT (limit, text longer than INDEX_SEARCH_TEXT_MAX), DATABASE, DAMAGED.
 */
TALLY_MUST_CHECK index_error index_search(tally_index *index, uint32_t network_id, const char *text,
                                          size_t text_length, uint32_t limit, index_match *matches,
                                          uint32_t *count, char *why, size_t why_size);
/* As index_search, a page at a time: the matches older than before_cursor (0: from
 * the newest), and into *next_cursor (may be NULL) the before_cursor of the next
 * page, or 0 when this page holds fewer than `limit` (there is none). */
TALLY_MUST_CHECK index_error index_search_page(tally_index *index, uint32_t network_id, const char *text,
                                               size_t text_length, uint64_t before_cursor, uint32_t limit,
                                               index_match *matches, uint32_t *count, uint64_t *next_cursor,
                                               char *why, size_t why_size);

/*
 * Holds and payment requests of a member. The index keeps each as made, with its
 * status as the blocks tell it (a hold: tally_pending_status, a request:
 * tally_request_status); the state has the authoritative record of each id
 * (tally_state_pending, tally_state_request), so a reader shows the state's and
 * uses these for "which ones".
 *
 * index_holds_of: the ids of holds in network_id that `member` pays, receives or
 * resolves; index_requests_of: of requests it made or is asked to pay (a request to
 * any member is found by its maker only). Newest first, ids below before_id (0:
 * from the newest), up to `limit` (1..INDEX_HISTORY_LIMIT_MAX), of the statuses
 * whose bits are set in `statuses` (1u << TALLY_PENDING_OPEN, ...;
 * INDEX_STATUSES_ANY: all). *next_before is the before_id of the next page, 0 when
 * there is no older one. Refuses BAD_ARGUMENT, DATABASE.
 */
#define INDEX_STATUSES_ANY 0xFFu
TALLY_MUST_CHECK index_error index_holds_of(tally_index *index, uint32_t network_id, const tally_key *member,
                                            uint32_t statuses, uint32_t before_id, uint32_t limit, uint32_t *ids,
                                            uint32_t *count, uint32_t *next_before, char *why, size_t why_size);
TALLY_MUST_CHECK index_error index_requests_of(tally_index *index, uint32_t network_id, const tally_key *member,
                                               uint32_t statuses, uint32_t before_id, uint32_t limit, uint32_t *ids,
                                               uint32_t *count, uint32_t *next_before, char *why, size_t why_size);
/* What open holds in network_id hold for `member` as their payee (not yet its
 * money: "pending in"). */
TALLY_MUST_CHECK index_error index_pending_in(tally_index *index, uint32_t network_id, const tally_key *member,
                                              int64_t *amount, char *why, size_t why_size);
/* The memo a payment request was made with (NUL-terminated into memo, which holds
 * TALLY_MEMO_MAX + 1 bytes); *found false when the index has no such request. */
TALLY_MUST_CHECK index_error index_request_memo(tally_index *index, uint32_t id, char *memo, uint16_t *length,
                                                bool *found, char *why, size_t why_size);

/* ------------------------------------------------------------------------ */
/* The marketplace (index_market.c, docs/MARKETPLACE.md).                    */
/* ------------------------------------------------------------------------ */

/*
 * The index keeps what the state does not: the names of categories, the texts of
 * listings (searchable: FTS5 over title and text), each order's buyer, seller, hold
 * and memo with the steps it went through, and reviews with their texts. Each is
 * written from committed transactions (CATEGORY_SET, LISTING_*, ORDER_*, REVIEW)
 * and the events of blocks' ends (LISTING_EXPIRED, ORDER_RELEASED, ORDER_EXPIRED,
 * ORDER_HELD; a LINE_DEFAULTED voids its member's open orders as it voids its
 * holds). Statuses here are as the indexed blocks tell them, for filtering; the
 * state has the authoritative record of each listing and order (quantity left,
 * sold, status), which a reader shows.
 *
 * History entries of the marketplace (see the top of this file):
 *   CATEGORY_SET, LISTING_CREATE/UPDATE/WITHDRAW: the signer (the seller), amount 0.
 *   ORDER_CREATE     buyer and seller, amount 0, each the other's counterparty (the
 *                    money is held: a hold moves no balance), with the order's memo.
 *   ORDER_ACCEPT, ORDER_DECLINE, ORDER_CANCEL, ORDER_DISPUTE: buyer and seller,
 *                    amount 0 (DECLINE and DISPUTE with their memo).
 *   ORDER_CONFIRM    as a PENDING_POST of the order's amount: the buyer -amount with
 *                    the fee charged, the seller +amount, the fee account +fee.
 *   ORDER_RESOLVE    as a PENDING_POST of the seller's part (amount 0 for both when
 *                    the seller gets nothing), with its memo.
 *   REVIEW           the reviewer and the reviewed, amount 0, with the review's text.
 *   ORDER_RELEASED   as ORDER_CONFIRM, with the whole fee held; ORDER_EXPIRED and
 *                    ORDER_HELD: buyer and seller, amount 0; LISTING_EXPIRED: the
 *                    seller, amount 0.
 */

#define INDEX_MARKET_LIMIT_MAX 100u    /* listings, orders or reviews in one page */
#define INDEX_ORDER_STEPS_MAX 16u      /* steps of one order an answer holds */

typedef struct {
    uint8_t category; /* 1..32 */
    uint16_t name_length;
    char name[TALLY_CATEGORY_NAME_MAX + 1];
} index_category;

/* The named categories of network_id, by number, into categories (room for
 * TALLY_MARKET_CATEGORIES_MAX). Refuses DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_categories(tally_index *index, uint32_t network_id, index_category *categories,
                                              uint32_t *count, char *why, size_t why_size);

typedef struct {
    uint32_t id, network_id;
    tally_key seller;
    uint8_t kind, category, status; /* status as the indexed blocks say */
    int64_t price;                  /* 0: ask */
    uint32_t quantity;              /* as last published (the state has what is left) */
    int64_t expiry, created_at, updated_at;
    uint32_t revision;
    uint16_t title_length, text_length, image_url_length;
    char title[TALLY_LISTING_TITLE_MAX + 1];
    char text[TALLY_LISTING_TEXT_MAX + 1];
    bool has_image;
    uint8_t image_hash[TALLY_HASH_BYTES];
    char image_url[TALLY_IMAGE_URL_MAX + 1];
    /* The reviews its buyers gave (of the seller, for orders of this listing). */
    uint32_t review_count;
    int64_t rating_sum;
} index_listing;

typedef enum { INDEX_LISTINGS_NEWEST = 0, INDEX_LISTINGS_CHEAPEST = 1 } index_listing_sort;

/* A search of a network's listings: every filter is optional. */
typedef struct {
    const char *text; /* as index_search's: every word a prefix (NULL or "": any; text without a word: none) */
    size_t text_length;
    bool has_category; /* 0..32 (0: listings of no category) */
    uint8_t category;
    bool has_kind;
    uint8_t kind;
    bool has_seller;
    tally_key seller;
    /* "ask" listings (price 0) match no price range */
    bool has_min_price, has_max_price;
    int64_t min_price, max_price;
    /* open_only: open in the index and before their expiry at open_at */
    bool open_only;
    int64_t open_at;
    uint8_t sort; /* index_listing_sort: newest (id descending) or cheapest (price, ask last, then newest) */
    uint32_t limit; /* 1..INDEX_MARKET_LIMIT_MAX */
    uint32_t offset;
} index_listing_query;

/* One page of a search into listings (room for query->limit), and into *total how
 * many match in all. Refuses BAD_ARGUMENT (limit, text longer than
 * INDEX_SEARCH_TEXT_MAX), DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_listings_search(tally_index *index, uint32_t network_id,
                                                   const index_listing_query *query, index_listing *listings,
                                                   uint32_t *count, uint64_t *total, char *why, size_t why_size);
/* The listing of id; *found false when the index has none. */
TALLY_MUST_CHECK index_error index_listing_get(tally_index *index, uint32_t id, index_listing *listing, bool *found,
                                               char *why, size_t why_size);

typedef struct {
    uint8_t type;                    /* tally_tx_type, or INDEX_EVENT_TYPE_BASE + the event's kind */
    uint64_t height;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES]; /* the transaction's, or the event's */
    tally_key signer;                /* the transaction's signer (an event's member) */
    int64_t amount;                  /* RESOLVE: the seller's part; ORDER_RELEASED: paid; REVIEW: the rating */
    uint16_t memo_length;
    char memo[TALLY_MEMO_MAX + 1];
} index_order_step;

typedef struct {
    uint32_t id, listing_id, network_id, hold_id;
    tally_key buyer, seller;
    uint32_t quantity;
    int64_t amount, fee; /* held */
    uint8_t status;      /* as the indexed blocks say */
    uint16_t memo_length;
    char memo[TALLY_MEMO_MAX + 1];
} index_order;

/* The order of id and (steps may be NULL) its steps in chain order, at most
 * INDEX_ORDER_STEPS_MAX; *found false when the index has none. */
TALLY_MUST_CHECK index_error index_order_get(tally_index *index, uint32_t id, index_order *order,
                                             index_order_step *steps, uint32_t *step_count, bool *found, char *why,
                                             size_t why_size);

typedef enum { INDEX_ROLE_ANY = 0, INDEX_ROLE_BUYER = 1, INDEX_ROLE_SELLER = 2 } index_order_role;

/* The orders of network_id where member is buyer or seller (role), newest first,
 * open ones only (placed, accepted, disputed) or all; a page of `limit`
 * (1..INDEX_MARKET_LIMIT_MAX) from `offset`, and the total. Refuses BAD_ARGUMENT,
 * DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_orders_of(tally_index *index, uint32_t network_id, const tally_key *member,
                                             uint8_t role, bool open_only, uint32_t limit, uint32_t offset,
                                             index_order *orders, uint32_t *count, uint64_t *total, char *why,
                                             size_t why_size);

typedef struct {
    uint32_t order_id, listing_id, network_id;
    bool by_buyer; /* the buyer's review of the seller; false: the seller's of the buyer */
    tally_key reviewer, reviewed;
    uint8_t rating;
    uint64_t height;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES];
    uint16_t text_length;
    char text[TALLY_MEMO_MAX + 1];
} index_review;

/* Reviews newest first, a page of `limit` (1..INDEX_MARKET_LIMIT_MAX) from offset
 * and the total: those `member` received in network_id (index_reviews_of), or those
 * the buyers of listing_id's orders gave (index_listing_reviews). Refuses
 * BAD_ARGUMENT, DATABASE, DAMAGED. */
TALLY_MUST_CHECK index_error index_reviews_of(tally_index *index, uint32_t network_id, const tally_key *member,
                                              uint32_t limit, uint32_t offset, index_review *reviews,
                                              uint32_t *count, uint64_t *total, char *why, size_t why_size);
TALLY_MUST_CHECK index_error index_listing_reviews(tally_index *index, uint32_t listing_id, uint32_t limit,
                                                   uint32_t offset, index_review *reviews, uint32_t *count,
                                                   uint64_t *total, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* TALLY_NODE_INDEX_H */
