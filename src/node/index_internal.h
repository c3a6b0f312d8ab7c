/*
 * index_internal.h: what the parts of the index share and nobody else sees: the
 * statements (prepared once at open by index.c, bound parameters only), the
 * connection and its cached tip, the helpers that bind, step and read columns and
 * turn a refusal into an index_error with a sentence, and the entries a transaction
 * makes. The parts, behind the one public header index.h:
 *   index.c          opening, the schema and its version, transactions, errors
 *   index_entries.c  from a committed transaction to its history entries (no SQL)
 *   index_writer.c   indexing a block; catching up with and rebuilding from the log
 *   index_history.c  transactions by id, account and asset histories, block headers
 *   index_search.c   full-text search over memos and aliases
 *   index_market.c   the marketplace: categories, listings and their search, orders,
 *                    their steps and reviews
 */
#ifndef TALLY_NODE_INDEX_INTERNAL_H
#define TALLY_NODE_INDEX_INTERNAL_H

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "node/index.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Entries one transaction can make (TRANSFER: payer, payee, fee account; a
 * TRANSFER_BATCH: payer and payee of each line, the payer's fees and the fee
 * account; pool transactions: two reserve movements). Entry ids are tx seq *
 * ENTRIES_PER_TX + k. */
#define ENTRIES_PER_TX 1024
#define ENTRIES_PER_TX_TEXT "1024"
#define CREDIT_ENTRIES_MAX (2u * TALLY_BATCH_LINES_MAX + 2u)
#define ASSET_ENTRIES_MAX 2u
#define INDEX_EVENT_TYPE_BASE_TEXT "128"
_Static_assert(CREDIT_ENTRIES_MAX <= ENTRIES_PER_TX && ASSET_ENTRIES_MAX <= ENTRIES_PER_TX, "entry ids");

/* Every statement the index runs, prepared once at open (index.c) and again after a
 * rebuild empties the database; each takes bound parameters only. */
#define TX_RESULT_COLUMNS                                                                                    \
    "code, created_id, minted, burned, fee, risk_fee, reserve, shares, to_primary, to_excess, "              \
    "available"

/* The marketplace's statements (index_market.c), appended to INDEX_STATEMENTS.
 * A search binds: ?1 network, ?2 the FTS5 query (the _TEXT forms only), ?3
 * category, ?4 kind, ?5 seller, ?6 min price, ?7 max price, ?8 open at (NULL: any
 * status), ?9 sort (1: cheapest), ?10 limit, ?11 offset; NULL for a filter not asked. */
#define MARKET_LISTING_COLUMNS                                                                               \
    "l.id, l.network_id, l.seller, l.kind, l.category, l.price, l.quantity, l.title, l.text, l.image_hash, " \
    "l.image_url, l.status, l.expiry, l.created_at, l.updated_at, l.revision, "                              \
    "(SELECT count(*) FROM reviews r WHERE r.listing_id = l.id AND r.by_buyer = 1), "                        \
    "(SELECT coalesce(sum(r.rating), 0) FROM reviews r WHERE r.listing_id = l.id AND r.by_buyer = 1)"
#define MARKET_LISTING_FILTERS                                                                               \
    "l.network_id = ?1 AND (?3 IS NULL OR l.category = ?3) AND (?4 IS NULL OR l.kind = ?4) "                 \
    "AND (?5 IS NULL OR l.seller = ?5) AND (?6 IS NULL OR (l.price > 0 AND l.price >= ?6)) "                 \
    "AND (?7 IS NULL OR (l.price > 0 AND l.price <= ?7)) AND (?8 IS NULL OR (l.status = 0 AND l.expiry > ?8))"
#define MARKET_LISTING_TEXT " AND l.id IN (SELECT rowid FROM listing_search WHERE listing_search MATCH ?2)"
#define MARKET_LISTING_ORDER                                                                                 \
    " ORDER BY CASE WHEN ?9 = 1 THEN l.price = 0 ELSE 0 END, CASE WHEN ?9 = 1 THEN l.price ELSE 0 END, "      \
    "l.id DESC LIMIT ?10 OFFSET ?11"
#define MARKET_ORDER_COLUMNS "id, listing_id, network_id, buyer, seller, hold_id, quantity, amount, fee, status, memo"
#define MARKET_REVIEW_COLUMNS                                                                                \
    "r.order_id, r.listing_id, r.network_id, r.by_buyer, r.reviewer, r.reviewed, r.rating, t.height, b.time, " \
    "t.id, r.text FROM reviews r JOIN txs t ON t.seq = r.seq JOIN blocks b ON b.height = t.height"
#define MARKET_STATEMENTS(X)                                                                                 \
    X(CATEGORY_PUT, "INSERT INTO categories(network_id, category, name) VALUES (?1, ?2, ?3) "                \
                    "ON CONFLICT(network_id, category) DO UPDATE SET name = excluded.name")                  \
    X(CATEGORY_DELETE, "DELETE FROM categories WHERE network_id = ?1 AND category = ?2")                     \
    X(CATEGORIES, "SELECT category, name FROM categories WHERE network_id = ?1 ORDER BY category LIMIT 32")                                                    \
    X(LISTING_PUT, "INSERT INTO listings(id, network_id, seller, kind, category, price, quantity, title, "    \
                   "text, image_hash, image_url, status, expiry, created_at, updated_at, revision) "         \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13, ?13, 0)")            \
    X(LISTING_CHANGE, "UPDATE listings SET category = ?2, price = ?3, quantity = ?4, title = ?5, text = ?6, " \
                      "image_hash = ?7, image_url = ?8, expiry = ?9, updated_at = ?10, "                     \
                      "revision = revision + 1 WHERE id = ?1")                                              \
    X(LISTING_STATUS, "UPDATE listings SET status = ?2 WHERE id = ?1")                                      \
    X(LISTING_TEXT_DELETE, "DELETE FROM listing_search WHERE rowid = ?1")                                    \
    X(LISTING_TEXT_PUT, "INSERT INTO listing_search(rowid, title, text) VALUES (?1, ?2, ?3)")                \
    X(LISTING_BRIEF, "SELECT network_id, seller FROM listings WHERE id = ?1")                                \
    X(LISTING_GET, "SELECT " MARKET_LISTING_COLUMNS " FROM listings l WHERE l.id = ?1")                     \
    X(LISTINGS_SEARCH, "SELECT " MARKET_LISTING_COLUMNS " FROM listings l WHERE " MARKET_LISTING_FILTERS     \
                       MARKET_LISTING_ORDER)                                                                 \
    X(LISTINGS_SEARCH_TEXT, "SELECT " MARKET_LISTING_COLUMNS " FROM listings l WHERE "                       \
                            MARKET_LISTING_FILTERS MARKET_LISTING_TEXT MARKET_LISTING_ORDER)                  \
    X(LISTINGS_COUNT, "SELECT count(*) FROM listings l WHERE " MARKET_LISTING_FILTERS)                      \
    X(LISTINGS_COUNT_TEXT, "SELECT count(*) FROM listings l WHERE " MARKET_LISTING_FILTERS MARKET_LISTING_TEXT) \
    X(HOLD_NEXT, "SELECT coalesce(max(id), 0) + 1 FROM holds")                                               \
    X(ORDER_PUT, "INSERT INTO orders(" MARKET_ORDER_COLUMNS ") "                                            \
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)")                                      \
    X(ORDER_GET, "SELECT " MARKET_ORDER_COLUMNS " FROM orders WHERE id = ?1")                               \
    X(ORDER_STATUS, "UPDATE orders SET status = ?2 WHERE id = ?1")                                          \
    X(ORDERS_VOID_OF, "UPDATE orders SET status = 9 WHERE network_id = ?1 "  \
                      "AND buyer = ?2 AND status < 3")                       \
    X(ORDER_STEP_PUT, "INSERT INTO order_steps(order_id, seq, type, amount, memo) VALUES (?1, ?2, ?3, ?4, ?5)") \
    X(ORDER_STEPS, "SELECT s.type, t.height, b.time, t.id, t.signer, s.amount, s.memo FROM order_steps s "   \
                   "JOIN txs t ON t.seq = s.seq JOIN blocks b ON b.height = t.height "                      \
                   "WHERE s.order_id = ?1 ORDER BY s.seq LIMIT ?2")                                          \
    X(ORDERS_OF, "SELECT " MARKET_ORDER_COLUMNS " FROM orders WHERE network_id = ?1 "                        \
                 "AND (((?3 & 1) = 1 AND buyer = ?2) OR ((?3 & 2) = 2 AND seller = ?2)) "                    \
                 "AND (?4 = 0 OR status < 3) ORDER BY id DESC LIMIT ?5 OFFSET ?6") \
    X(ORDERS_OF_COUNT, "SELECT count(*) FROM orders WHERE network_id = ?1 "                                  \
                       "AND (((?3 & 1) = 1 AND buyer = ?2) OR ((?3 & 2) = 2 AND seller = ?2)) "              \
                       "AND (?4 = 0 OR status < 3)")                      \
    X(REVIEW_PUT, "INSERT INTO reviews(order_id, by_buyer, network_id, listing_id, reviewer, reviewed, "     \
                  "rating, text, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                          \
    X(REVIEWS_OF, "SELECT " MARKET_REVIEW_COLUMNS " WHERE r.network_id = ?1 AND r.reviewed = ?2 "            \
                  "ORDER BY r.seq DESC LIMIT ?3 OFFSET ?4")                                                  \
    X(REVIEWS_OF_COUNT, "SELECT count(*) FROM reviews r WHERE r.network_id = ?1 AND r.reviewed = ?2")        \
    X(LISTING_REVIEWS, "SELECT " MARKET_REVIEW_COLUMNS " WHERE r.listing_id = ?1 AND r.by_buyer = 1 "        \
                       "ORDER BY r.seq DESC LIMIT ?3 OFFSET ?4")                                             \
    X(LISTING_REVIEWS_COUNT, "SELECT count(*) FROM reviews r WHERE r.listing_id = ?1 AND r.by_buyer = 1")

#define INDEX_STATEMENTS(X)                                                                                  \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                              \
    X(COMMIT, "COMMIT")                                                                                      \
    X(ROLLBACK, "ROLLBACK")                                                                                  \
    X(INSERT_BLOCK, "INSERT INTO blocks(height, hash, prev_hash, time, tx_count, state_hash, header) "       \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                                   \
    X(INSERT_TX, "INSERT INTO txs(seq, id, height, position, type, type_name, signer, sequence, "            \
                 "network_id, asset_id, encoded, memo, " TX_RESULT_COLUMNS ", event_amount, event_time) "    \
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "  \
                 "?19, ?20, ?21, ?22, ?23, ?24, ?25)")                                                       \
    X(INSERT_HISTORY, "INSERT INTO history(network_id, member, entry, amount, fee, counterparty, line, memo) " \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                             \
    X(INSERT_ASSET_HISTORY, "INSERT INTO asset_history(asset_id, member, entry, amount, counterparty) "      \
                            "VALUES (?1, ?2, ?3, ?4, ?5)")                                                   \
    X(PEG_GET, "SELECT asset_id FROM pegs WHERE network_id = ?1")                                            \
    X(HOLD_PUT, "INSERT INTO holds(id, network_id, payer, payee, resolver, amount, fee, status) "             \
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)")                                                    \
    X(HOLD_GET, "SELECT network_id, payer, payee, amount, fee FROM holds WHERE id = ?1")                    \
    X(GATEWAY_PUT, "INSERT INTO gateways(id, network_a, network_b) VALUES (?1, ?2, ?3)")                     \
    X(GATEWAY_GET, "SELECT network_a, network_b FROM gateways WHERE id = ?1")                                \
    X(PROPOSAL_PUT, "INSERT INTO proposals(id, network_id) VALUES (?1, ?2)")                                  \
    X(PROPOSAL_GET, "SELECT network_id FROM proposals WHERE id = ?1")                                         \
    X(HEALTH_PUT, "INSERT OR REPLACE INTO health(network_id, period, ended_at, known, figures, pool) "      \
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                          \
    X(HEALTH_LIST, "SELECT period, ended_at, known, figures, pool FROM health WHERE network_id = ?1 AND period < ?2 " \
                   "ORDER BY period DESC LIMIT ?3")                                                           \
    X(CLEARINGS, "SELECT txs.seq, txs.height, blocks.time, txs.id, txs.signer, txs.encoded FROM txs "         \
                 "JOIN blocks ON blocks.height = txs.height WHERE txs.type = 39 AND txs.code = 0 AND txs.seq < ?1 " \
                 "ORDER BY txs.seq DESC LIMIT ?2")                                                            \
    X(HOLD_STATUS, "UPDATE holds SET status = ?2 WHERE id = ?1")                                            \
    X(HOLDS_VOID_OF, "UPDATE holds SET status = 2 WHERE network_id = ?1 AND payer = ?2 AND status = 0")      \
    X(HOLDS_OF, "SELECT id FROM holds WHERE network_id = ?1 AND (payer = ?2 OR payee = ?2 OR resolver = ?2) " \
                "AND ((?3 >> status) & 1) = 1 AND id < ?4 ORDER BY id DESC LIMIT ?5")                        \
    X(HOLDS_IN, "SELECT COALESCE(SUM(amount), 0) FROM holds WHERE network_id = ?1 AND payee = ?2 AND status = 0") \
    X(REQUEST_PUT, "INSERT INTO requests(id, network_id, payee, payer, amount, memo, status) "                \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)")                                                     \
    X(REQUEST_GET, "SELECT network_id, payee, payer, amount, memo FROM requests WHERE id = ?1")             \
    X(REQUEST_STATUS, "UPDATE requests SET status = ?2 WHERE id = ?1")                                      \
    X(REQUESTS_OF, "SELECT id FROM requests WHERE network_id = ?1 AND (payee = ?2 OR payer = ?2) "            \
                   "AND ((?3 >> status) & 1) = 1 AND id < ?4 ORDER BY id DESC LIMIT ?5")                     \
    X(PEG_PUT, "INSERT INTO pegs(network_id, asset_id) VALUES (?1, ?2) "                                     \
               "ON CONFLICT(network_id) DO UPDATE SET asset_id = excluded.asset_id")                         \
    X(SEARCH_INSERT, "INSERT INTO search(text, kind, network_id, tx, key, counterparty) "                    \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                      \
    X(SEARCH_DELETE, "DELETE FROM search WHERE rowid = ?1")                                                  \
    X(ALIAS_GET, "SELECT search_row FROM aliases WHERE network_id = ?1 AND member = ?2")                     \
    X(ALIAS_PUT, "INSERT INTO aliases(network_id, member, search_row) VALUES (?1, ?2, ?3) "                  \
                 "ON CONFLICT(network_id, member) DO UPDATE SET search_row = excluded.search_row")           \
    X(ALIAS_DELETE, "DELETE FROM aliases WHERE network_id = ?1 AND member = ?2")                             \
    X(TIP, "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1")                                   \
    X(TX_TOTAL, "SELECT coalesce(max(seq), 0) FROM txs")                                                     \
    X(TX_BY_ID, "SELECT t.height, t.position, b.time, t.type, t.signer, t.sequence, t.network_id, "          \
                "t.asset_id, t.encoded, " TX_RESULT_COLUMNS " FROM txs t "                                   \
                "JOIN blocks b ON b.height = t.height WHERE t.id = ?1 AND t.type < " INDEX_EVENT_TYPE_BASE_TEXT) \
    /* HISTORY: the signer's entry of a pool transaction carries its reserve and shares; \
     * a stake's (STAKE 41, UNSTAKE 42) both sides' entries carry the reserve moved. */  \
    X(HISTORY,                                                                                               \
      "SELECT h.entry, t.height, t.position, b.time, t.id, t.type, h.amount, h.fee, "                        \
      "h.counterparty, coalesce(h.memo, t.memo), h.line, "                                                    \
      "CASE WHEN h.member = t.signer OR t.type IN (41, 42) THEN t.reserve ELSE 0 END, "                       \
      "CASE WHEN h.member = t.signer THEN t.shares ELSE 0 END, t.event_amount, t.event_time FROM history h " \
      "JOIN txs t ON t.seq = h.entry / " ENTRIES_PER_TX_TEXT " "                                             \
      "JOIN blocks b ON b.height = t.height "                                                                \
      "WHERE h.network_id = ?1 AND h.member = ?2 AND h.entry < ?3 "                                          \
      "ORDER BY h.entry DESC LIMIT ?4")                                                                      \
    X(ASSET_HISTORY,                                                                                         \
      "SELECT h.entry, t.height, t.position, b.time, t.id, t.type, h.amount, "                               \
      "h.counterparty FROM asset_history h JOIN txs t ON t.seq = h.entry / " ENTRIES_PER_TX_TEXT " "         \
      "JOIN blocks b ON b.height = t.height "                                                                \
      "WHERE h.asset_id = ?1 AND h.member = ?2 AND h.entry < ?3 "                                            \
      "ORDER BY h.entry DESC LIMIT ?4")                                                                      \
    X(ACTIVITY,                                                                                              \
      "SELECT t.seq, t.height, t.position, b.time, t.id, t.type, t.signer, t.encoded, t.fee, t.event_amount, "   \
      "t.event_time, t.memo FROM txs t JOIN blocks b ON b.height = t.height "                                  \
      "WHERE t.network_id = ?1 AND (?2 IS NULL OR t.signer = ?2) AND t.seq < ?3 ORDER BY t.seq DESC LIMIT ?4") \
    X(BLOCKS, "SELECT header, hash FROM blocks WHERE height >= ?1 ORDER BY height LIMIT ?2")                 \
    X(SEARCH, "SELECT search.kind, search.key, search.counterparty, search.text, t.height, t.id, "           \
              "search.rowid FROM search JOIN txs t ON t.seq = search.tx "                                    \
              "WHERE search MATCH ?1 AND search.network_id = ?2 AND search.rowid < ?4 "                      \
              "ORDER BY search.rowid DESC LIMIT ?3")                                                     \
    MARKET_STATEMENTS(X)

typedef enum {
#define INDEX_STATEMENT_ENUM(name, sql) STATEMENT_##name,
    INDEX_STATEMENTS(INDEX_STATEMENT_ENUM)
#undef INDEX_STATEMENT_ENUM
        STATEMENT_COUNT
} statement_id;

struct tally_index {
    sqlite3 *db;
    sqlite3_stmt *statements[STATEMENT_COUNT];
    /* The tip as committed (or as written inside the open transaction, which a
     * rollback undoes by reloading). */
    uint64_t height; /* TALLY_NO_HEIGHT when empty */
    uint8_t last_hash[TALLY_HASH_BYTES];
    uint64_t transactions;
    bool in_transaction;
    /* The cached tip could not be reloaded after a rollback: adding refuses until
     * the index is reopened or rebuilt. */
    bool failed;
    /* The entries of the transaction being indexed (room for the longest batch's). */
    struct tx_entries *entries;
    /* The health figures given with the blocks being added (index_add_blocks_with_health). */
    const index_health_given *health_given;
    uint32_t health_given_count;
};

/* index_health.c: the row of the health period an event `health_recorded` ended,
 * with its figures when they were given. */
index_error index_health_recorded(tally_index *index, const tally_event *event, char *why, size_t why_size);

/* ------------------------------------------------------------------------ */
/* Errors.                                                                   */
/* ------------------------------------------------------------------------ */

__attribute__((format(printf, 4, 5))) static inline index_error fail(index_error code, char *why,
                                                                     size_t why_size, const char *format,
                                                                     ...) {
    if (why && why_size > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(why, why_size, format, arguments);
        va_end(arguments);
    }
    return code;
}

/* "doing: SQLite's message (its code's name)". */
static inline index_error fail_database(const tally_index *index, int rc, const char *doing, char *why,
                                        size_t why_size) {
    assert(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
    const char *message = index->db ? sqlite3_errmsg(index->db) : sqlite3_errstr(rc);
    /* A full disk is one the indexer waits out (node.c); every other refusal stops it. */
    index_error code = (rc & 0xff) == SQLITE_FULL ? INDEX_ERR_FULL : INDEX_ERR_DATABASE;
    return fail(code, why, why_size, "index: %s: %s (%s)", doing, message, sqlite3_errstr(rc));
}

static inline index_error fail_damaged(const char *what, char *why, size_t why_size) {
    return fail(INDEX_ERR_DAMAGED, why, why_size,
                "index: %s holds a value the index never writes; delete the index file, it is "
                "rebuilt from the block log",
                what);
}

/* ------------------------------------------------------------------------ */
/* Binding and running statements.                                           */
/* ------------------------------------------------------------------------ */

/* Binds parameters one after another, keeping the first failure, so a caller binds
 * everything and checks once. */
typedef struct {
    sqlite3_stmt *statement;
    int rc;
} binding;

static inline binding bind_start(tally_index *index, statement_id id) {
    assert(id < STATEMENT_COUNT && index->statements[id]);
    return (binding){index->statements[id], SQLITE_OK};
}

static inline void bind_int(binding *b, int column, int64_t value) {
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_int64(b->statement, column, value);
}

static inline void bind_null(binding *b, int column) {
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_null(b->statement, column);
}

/* The bytes must live until the statement has run (SQLITE_STATIC). */
static inline void bind_bytes(binding *b, int column, const void *bytes, size_t length) {
    assert(length <= INT_MAX);
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_blob(b->statement, column, bytes, (int)length, SQLITE_STATIC);
}

static inline void bind_text(binding *b, int column, const char *text, size_t length) {
    assert(length <= INT_MAX);
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_text(b->statement, column, text, (int)length, SQLITE_STATIC);
}

/* A key, or NULL for SQL NULL. */
static inline void bind_key(binding *b, int column, const tally_key *key) {
    if (key)
        bind_bytes(b, column, key->bytes, TALLY_KEY_BYTES);
    else
        bind_null(b, column);
}

/* Runs a statement that returns no row. */
static inline index_error run(tally_index *index, binding *b, const char *doing, char *why, size_t why_size) {
    int rc = b->rc;
    if (rc == SQLITE_OK) rc = sqlite3_step(b->statement);
    index_error error = INDEX_OK;
    if (rc != SQLITE_DONE)
        error = fail_database(index, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, doing, why, why_size);
    sqlite3_reset(b->statement); /* repeats the step's error, already reported */
    return error;
}

/* Steps a query: *row true with a row to read, false when done. */
static inline index_error step_row(tally_index *index, binding *b, bool *row, const char *doing, char *why,
                            size_t why_size) {
    *row = false;
    int rc = b->rc;
    if (rc == SQLITE_OK) rc = sqlite3_step(b->statement);
    if (rc == SQLITE_ROW) {
        *row = true;
        return INDEX_OK;
    }
    if (rc == SQLITE_DONE) return INDEX_OK;
    return fail_database(index, rc, doing, why, why_size);
}

/* Exactly `size` bytes of a BLOB column. */
static inline bool column_fixed(sqlite3_stmt *statement, int column, void *out, size_t size) {
    if (sqlite3_column_type(statement, column) != SQLITE_BLOB) return false;
    const void *bytes = sqlite3_column_blob(statement, column);
    int length = sqlite3_column_bytes(statement, column);
    if (!bytes || length < 0 || (size_t)length != size) return false;
    memcpy(out, bytes, size);
    return true;
}

/* A key, or NULL (*present false). */
static inline bool column_optional_key(sqlite3_stmt *statement, int column, bool *present,
                                       tally_key *key) {
    memset(key, 0, sizeof *key);
    *present = sqlite3_column_type(statement, column) != SQLITE_NULL;
    return !*present || column_fixed(statement, column, key->bytes, TALLY_KEY_BYTES);
}

/* An INTEGER column within [minimum, maximum]. */
static inline bool column_integer(sqlite3_stmt *statement, int column, int64_t minimum, int64_t maximum,
                           int64_t *value) {
    if (sqlite3_column_type(statement, column) != SQLITE_INTEGER) return false;
    *value = sqlite3_column_int64(statement, column);
    return *value >= minimum && *value <= maximum;
}

/* Text of at most `capacity` bytes, NUL-terminated into out (NULL reads as ""). */
static inline bool column_text(sqlite3_stmt *statement, int column, char *out, size_t capacity, uint16_t *length) {
    out[0] = '\0';
    *length = 0;
    if (sqlite3_column_type(statement, column) == SQLITE_NULL) return true;
    if (sqlite3_column_type(statement, column) != SQLITE_TEXT) return false;
    const unsigned char *text = sqlite3_column_text(statement, column);
    int bytes = sqlite3_column_bytes(statement, column);
    if (!text || bytes < 0 || (size_t)bytes > capacity || bytes > UINT16_MAX) return false;
    memcpy(out, text, (size_t)bytes);
    out[bytes] = '\0';
    *length = (uint16_t)bytes;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Transactions and the cached tip (index.c).                                */
/* ------------------------------------------------------------------------ */

/* Reads the tip and the transaction count from the database into the cache; clears
 * `failed`. */
index_error index_load_tip(tally_index *index, char *why, size_t why_size);
/* Empties the index and creates the current schema: used for another version and
 * by rebuild. */
index_error index_schema_recreate(tally_index *index, char *why, size_t why_size);
index_error index_transaction_begin(tally_index *index, char *why, size_t why_size);
/* Undoes the open transaction and reloads the cached tip from what is committed. */
void index_transaction_rollback(tally_index *index);
/* Commits, or on failure rolls back (and reloads the tip). */
index_error index_transaction_commit(tally_index *index, char *why, size_t why_size);

/* ------------------------------------------------------------------------ */
/* From a transaction to history entries (index_entries.c).                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t network_id;
    tally_key member;
    int64_t amount;
    int64_t fee;
    bool has_counterparty;
    tally_key counterparty;
    uint16_t line; /* a batch's line, from 1; 0: none */
    uint16_t memo_length;
    const char *memo; /* a batch line's memo (in the block's transaction); NULL: the transaction's */
} credit_entry;

typedef struct {
    uint32_t asset_id;
    tally_key member;
    int64_t amount;
    bool has_counterparty;
    tally_key counterparty;
} asset_entry;

/* A pending transfer as the index keeps it (table holds): what its post, void and
 * timeout move and whose histories they go to. */
typedef struct {
    uint32_t id, network_id;
    tally_key payer, payee;
    int64_t amount, fee;
} index_hold;

/* A payment request as the index keeps it (table requests): where its payment goes,
 * and its memo for both histories. */
typedef struct {
    uint32_t id, network_id;
    tally_key payee, payer;
    bool has_payer; /* false: any member may pay it */
    int64_t amount;
    uint16_t memo_length;
    char memo[TALLY_MEMO_MAX + 1];
} index_request;

/* A gateway as the index keeps it (table gateways). */
typedef struct {
    uint32_t id, network_a, network_b;
} index_gateway;

/* A proposal as the index keeps it (table proposals): where its votes and its
 * cancel go (the proposal's network, in the voter's and proposer's history). */
typedef struct {
    uint32_t id, network_id;
} index_proposal;

/* What a post, void, pay, gateway transaction or cross payment names, looked up
 * before its entries are made (NULL members / 0 hops when there is none, or when a
 * damaged log names a record never made). A cross payment's path: the networks it
 * reaches, path_networks[0] the payer's. */
/* A listing as its later transactions need it (table listings): where they go. */
typedef struct {
    uint32_t id, network_id;
    tally_key seller;
} index_listing_brief;

typedef struct {
    const index_hold *hold;
    const index_request *request;
    const index_listing_brief *listing; /* LISTING_UPDATE, LISTING_WITHDRAW, ORDER_CREATE */
    const index_order *order;           /* an order's steps and events, REVIEW */
    uint32_t order_hold_id;             /* ORDER_CREATE: the id its hold gets */
    const index_gateway *gateway;
    const index_proposal *proposal;
    uint8_t path_hops;
    uint32_t path_networks[TALLY_PATH_HOPS_MAX + 1];
} index_subject;

typedef struct tx_entries {
    credit_entry credit[CREDIT_ENTRIES_MAX];
    uint32_t credit_count;
    asset_entry asset[ASSET_ENTRIES_MAX];
    uint32_t asset_count;
} tx_entries;

/* The network a transaction is about, if any (NETWORK_CREATE: the one it made). */
bool index_tx_network(const tally_tx *tx, const tally_result *result, uint32_t *network_id);
/* The reserve asset a transaction is about, if any (ASSET_CREATE: the one it made). */
bool index_tx_asset(const tally_tx *tx, const tally_result *result, uint32_t *asset_id);
/* Every entry of a committed transaction (see index.h). Needs nothing but the
 * transaction, its result and, for pool transactions, the network's reserve asset
 * (0 when the index has seen no peg). */
void index_entries_of(const tally_tx *tx, const tally_result *result, uint32_t reserve_asset_id,
                      index_subject subject, tx_entries *entries);
/* The entries of an event of a block's end (see index.h); subject: the hold or
 * request a pending_* or request_* event is about. */
void index_entries_of_event(const tally_event *event, index_subject subject, tx_entries *entries);

/* ------------------------------------------------------------------------ */
/* Holds and requests as the writer keeps them (index_escrow.c).             */
/* ------------------------------------------------------------------------ */

/* A hold as made, with its resolver (NULL: none), open. */
index_error index_hold_put(tally_index *index, const index_hold *hold, const tally_key *resolver, char *why,
                           size_t why_size);
/* The hold of id; *found false when the index has none (a damaged or foreign log). */
index_error index_hold_get(tally_index *index, uint32_t id, index_hold *hold, bool *found, char *why,
                           size_t why_size);
index_error index_hold_set_status(tally_index *index, uint32_t id, tally_pending_status status, char *why,
                                  size_t why_size);
/* A default voids every open hold of its payer in the network (pending.c's rule). */
index_error index_holds_void_of(tally_index *index, uint32_t network_id, const tally_key *payer, char *why,
                                size_t why_size);
index_error index_request_put(tally_index *index, const index_request *request, char *why, size_t why_size);
index_error index_gateway_put(tally_index *index, const index_gateway *gateway, char *why, size_t why_size);
index_error index_proposal_put(tally_index *index, const index_proposal *proposal, char *why, size_t why_size);
/* The proposal of id; *found false when the index has none. */
index_error index_proposal_get(tally_index *index, uint32_t id, index_proposal *proposal, bool *found, char *why,
                               size_t why_size);
/* The gateway of id; *found false when the index has none. */
index_error index_gateway_get(tally_index *index, uint32_t id, index_gateway *gateway, bool *found, char *why,
                              size_t why_size);
index_error index_request_get(tally_index *index, uint32_t id, index_request *request, bool *found, char *why,
                              size_t why_size);
index_error index_request_set_status(tally_index *index, uint32_t id, tally_request_status status, char *why,
                                     size_t why_size);

/* ------------------------------------------------------------------------ */
/* Search text as an FTS5 query (index_search.c).                            */
/* ------------------------------------------------------------------------ */

/* FTS5 query built from a search text: each byte at most doubled, plus quotes,
 * star and space per word. */
#define SEARCH_QUERY_BYTES (INDEX_SEARCH_TEXT_MAX * 4u + 8u)
/* Every word of text as a quoted prefix ("egg"* "fresh"*): the user's bytes are
 * only ever data. Returns the query's length; 0 when the text has no word. */
size_t index_search_query(const char *text, size_t length, char *out, size_t out_size);

/* ------------------------------------------------------------------------ */
/* The marketplace as the writer keeps it (index_market.c).                  */
/* ------------------------------------------------------------------------ */

/* Whether a transaction is placed by the listing or order it names (its network is
 * the record's), and the lookup: *found false when the index has no such record. */
bool index_market_placed_by_record(uint8_t type);
index_error index_market_subject(tally_index *index, const tally_tx *tx, index_listing_brief *listing,
                                 index_order *order, index_subject *subject, uint32_t *network_id, bool *found,
                                 char *why, size_t why_size);
/* The text a marketplace transaction's row carries as its memo (the order's memo, a
 * step's, a review's text, a listing's title, a category's name); false: none. */
bool index_market_memo(const tally_tx *tx, const char **text, size_t *length);
/* The id (listing or order) and amount of a committed marketplace transaction's row
 * (index.h, index_history_entry's market_*); false for other types and refusals. */
bool index_market_figures(const tally_tx *tx, const tally_result *result, index_subject subject, uint32_t *id,
                          int64_t *amount);
/* What a committed marketplace transaction writes besides its row and entries. */
index_error index_market_effects(tally_index *index, const tally_tx *tx, const tally_result *result,
                                 index_subject subject, int64_t tx_seq, int64_t block_time, char *why,
                                 size_t why_size);
/* What a marketplace event of a block's end (row tx_seq) writes; subject->order is
 * set to *order for the events of an order the index has. */
index_error index_market_event(tally_index *index, const tally_event *event, int64_t tx_seq, index_order *order,
                               index_subject *subject, char *why, size_t why_size);
/* A default ends its member's open orders as buyer (its holds are voided). */
index_error index_orders_void_of(tally_index *index, uint32_t network_id, const tally_key *buyer, char *why,
                                 size_t why_size);

#endif /* TALLY_NODE_INDEX_INTERNAL_H */
