/*
 * index.c: the node's query index (see index.h): the schema, the statements
 * (prepared once at open, bound parameters only), turning a block's transactions
 * into history entries, catching up with and rebuilding from the block log, and the
 * queries. Every SQLite return code is checked; a failure inside a block's
 * transaction rolls it back and reloads the cached tip from the database, so the
 * cache never runs ahead of what is committed.
 */
#include "node/index.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* "TLYX" as the decimal PRAGMA application_id wants. */
#define APPLICATION_ID_DECIMAL 1414289752
_Static_assert(APPLICATION_ID_DECIMAL == INDEX_APPLICATION_ID, "application id");

/* The connection's page cache, and the WAL size (in 4 KiB pages) that triggers a
 * checkpoint. */
#define CACHE_KIB 32768
#define WAL_CHECKPOINT_PAGES 10000

/* catch_up commits after this many blocks or transactions, whichever comes first:
 * big enough that commits cost little, small enough that a crash loses little. */
#define BATCH_BLOCKS_MAX 1024u
#define BATCH_TRANSACTIONS_MAX 32768u

/* Entries one transaction can make (TRANSFER: payer, payee, fee account; a
 * TRANSFER_BATCH: payer and payee of each line, the payer's fees and the fee
 * account; pool transactions: two reserve movements). Entry ids are tx seq *
 * ENTRIES_PER_TX + k. */
#define ENTRIES_PER_TX 1024
#define ENTRIES_PER_TX_TEXT "1024"
#define CREDIT_ENTRIES_MAX (2u * TALLY_BATCH_LINES_MAX + 2u)
#define ASSET_ENTRIES_MAX 2u
_Static_assert(CREDIT_ENTRIES_MAX <= ENTRIES_PER_TX && ASSET_ENTRIES_MAX <= ENTRIES_PER_TX, "entry ids");

/* FTS5 query built from a search text: each byte at most doubled, plus quotes,
 * star and space per word. */
#define SEARCH_QUERY_BYTES (INDEX_SEARCH_TEXT_MAX * 4u + 8u)

/* ------------------------------------------------------------------------ */
/* Schema and statements.                                                    */
/* ------------------------------------------------------------------------ */

/* Everything is created in one transaction together with the version, so a crash
 * leaves either no schema or all of it. Entry ids and transaction numbers are
 * assigned in chain order and never reused, so the same log always gives the same
 * ids (cursors survive a rebuild). */
static const char schema_sql[] =
    "BEGIN;"
    "CREATE TABLE blocks("
    "  height INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  time INTEGER NOT NULL,"
    "  tx_count INTEGER NOT NULL,"
    "  state_hash BLOB NOT NULL,"
    "  header BLOB NOT NULL);"
    "CREATE TABLE txs("
    "  seq INTEGER PRIMARY KEY," /* 1, 2, ... in chain order */
    "  id BLOB NOT NULL UNIQUE,"
    "  height INTEGER NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  type_name TEXT NOT NULL,"
    "  signer BLOB NOT NULL,"
    "  sequence INTEGER NOT NULL,"
    "  network_id INTEGER,"
    "  asset_id INTEGER,"
    "  encoded BLOB NOT NULL,"
    "  memo TEXT,"
    "  code INTEGER NOT NULL,"
    "  created_id INTEGER NOT NULL,"
    "  minted INTEGER NOT NULL,"
    "  burned INTEGER NOT NULL,"
    "  fee INTEGER NOT NULL,"
    "  risk_fee INTEGER NOT NULL,"
    "  reserve INTEGER NOT NULL,"
    "  shares INTEGER NOT NULL,"
    "  to_primary INTEGER NOT NULL,"
    "  to_excess INTEGER NOT NULL,"
    "  available INTEGER NOT NULL);"
    /* Clustered by account, so a page of history is one range of one b-tree and
     * an entry costs one insert. entry = tx seq * ENTRIES_PER_TX + its number in
     * the tx: increasing in chain order, and it names its transaction. */
    /* line and memo: a batch's line (from 1) and its memo; NULL for every other
     * entry, whose memo is its transaction's. */
    "CREATE TABLE history("
    "  network_id INTEGER NOT NULL,"
    "  member BLOB NOT NULL,"
    "  entry INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  fee INTEGER NOT NULL,"
    "  counterparty BLOB,"
    "  line INTEGER,"
    "  memo TEXT,"
    "  PRIMARY KEY(network_id, member, entry)) WITHOUT ROWID;"
    "CREATE TABLE asset_history("
    "  asset_id INTEGER NOT NULL,"
    "  member BLOB NOT NULL,"
    "  entry INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  counterparty BLOB,"
    "  PRIMARY KEY(asset_id, member, entry)) WITHOUT ROWID;"
    /* The reserve asset of each network's pool, as the last PEG_SET set it. */
    "CREATE TABLE pegs(network_id INTEGER PRIMARY KEY, asset_id INTEGER NOT NULL);"
    /* The search row of each member's current alias. */
    "CREATE TABLE aliases("
    "  network_id INTEGER NOT NULL,"
    "  member BLOB NOT NULL,"
    "  search_row INTEGER NOT NULL,"
    "  PRIMARY KEY(network_id, member)) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE search USING fts5("
    "  text, kind UNINDEXED, network_id UNINDEXED, tx UNINDEXED, key UNINDEXED,"
    "  counterparty UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
    "PRAGMA application_id = " STRINGIFY(APPLICATION_ID_DECIMAL) ";"
    "PRAGMA user_version = " STRINGIFY(INDEX_SCHEMA_VERSION) ";"
    "COMMIT;";

#define TX_RESULT_COLUMNS                                                                                    \
    "code, created_id, minted, burned, fee, risk_fee, reserve, shares, to_primary, to_excess, "              \
    "available"

#define INDEX_STATEMENTS(X)                                                                                  \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                              \
    X(COMMIT, "COMMIT")                                                                                      \
    X(ROLLBACK, "ROLLBACK")                                                                                  \
    X(INSERT_BLOCK, "INSERT INTO blocks(height, hash, prev_hash, time, tx_count, state_hash, header) "       \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                                   \
    X(INSERT_TX, "INSERT INTO txs(seq, id, height, position, type, type_name, signer, sequence, "            \
                 "network_id, asset_id, encoded, memo, " TX_RESULT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, "      \
                 "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "     \
                 "?23)")                                                                                     \
    X(INSERT_HISTORY, "INSERT INTO history(network_id, member, entry, amount, fee, counterparty, line, memo) " \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                             \
    X(INSERT_ASSET_HISTORY, "INSERT INTO asset_history(asset_id, member, entry, amount, counterparty) "      \
                            "VALUES (?1, ?2, ?3, ?4, ?5)")                                                   \
    X(PEG_GET, "SELECT asset_id FROM pegs WHERE network_id = ?1")                                            \
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
                "JOIN blocks b ON b.height = t.height WHERE t.id = ?1")                                      \
    X(HISTORY,                                                                                               \
      "SELECT h.entry, t.height, t.position, b.time, t.id, t.type, h.amount, h.fee, "                        \
      "h.counterparty, coalesce(h.memo, t.memo), h.line FROM history h "                                      \
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
    X(BLOCKS, "SELECT header, hash FROM blocks WHERE height >= ?1 ORDER BY height LIMIT ?2")                 \
    X(SEARCH, "SELECT search.kind, search.key, search.counterparty, search.text, t.height, t.id, "           \
              "search.rowid FROM search JOIN txs t ON t.seq = search.tx "                                    \
              "WHERE search MATCH ?1 AND search.network_id = ?2 AND search.rowid < ?4 "                      \
              "ORDER BY search.rowid DESC LIMIT ?3")

typedef enum {
#define INDEX_STATEMENT_ENUM(name, sql) STATEMENT_##name,
    INDEX_STATEMENTS(INDEX_STATEMENT_ENUM)
#undef INDEX_STATEMENT_ENUM
        STATEMENT_COUNT
} statement_id;

static const char *const statement_sql[STATEMENT_COUNT] = {
#define INDEX_STATEMENT_SQL(name, sql) sql,
    INDEX_STATEMENTS(INDEX_STATEMENT_SQL)
#undef INDEX_STATEMENT_SQL
};

/* The history entries of one transaction (entries_of). */
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

typedef struct tx_entries {
    credit_entry credit[CREDIT_ENTRIES_MAX];
    uint32_t credit_count;
    asset_entry asset[ASSET_ENTRIES_MAX];
    uint32_t asset_count;
} tx_entries;

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
};

/* ------------------------------------------------------------------------ */
/* Errors.                                                                   */
/* ------------------------------------------------------------------------ */

static const char *const error_names[] = {
#define INDEX_ERROR_NAME(name, message) #name,
    INDEX_ERRORS(INDEX_ERROR_NAME)
#undef INDEX_ERROR_NAME
};

static const char *const error_messages[] = {
#define INDEX_ERROR_MESSAGE(name, message) message,
    INDEX_ERRORS(INDEX_ERROR_MESSAGE)
#undef INDEX_ERROR_MESSAGE
};

const char *index_error_name(index_error code) {
    return (unsigned)code < INDEX_ERROR_COUNT ? error_names[code] : "?";
}

const char *index_error_message(index_error code) {
    return (unsigned)code < INDEX_ERROR_COUNT ? error_messages[code] : "unknown index error code";
}

__attribute__((format(printf, 4, 5))) static index_error fail(index_error code, char *why, size_t why_size,
                                                              const char *format, ...) {
    if (why && why_size > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(why, why_size, format, arguments);
        va_end(arguments);
    }
    return code;
}

/* "doing: SQLite's message (its code's name)". */
static index_error fail_database(const tally_index *index, int rc, const char *doing, char *why,
                                 size_t why_size) {
    assert(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
    const char *message = index->db ? sqlite3_errmsg(index->db) : sqlite3_errstr(rc);
    return fail(INDEX_ERR_DATABASE, why, why_size, "index: %s: %s (%s)", doing, message, sqlite3_errstr(rc));
}

static index_error fail_damaged(const char *what, char *why, size_t why_size) {
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

static binding bind_start(tally_index *index, statement_id id) {
    assert(id < STATEMENT_COUNT && index->statements[id]);
    return (binding){index->statements[id], SQLITE_OK};
}

static void bind_int(binding *b, int column, int64_t value) {
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_int64(b->statement, column, value);
}

static void bind_null(binding *b, int column) {
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_null(b->statement, column);
}

/* The bytes must live until the statement has run (SQLITE_STATIC). */
static void bind_bytes(binding *b, int column, const void *bytes, size_t length) {
    assert(length <= INT_MAX);
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_blob(b->statement, column, bytes, (int)length, SQLITE_STATIC);
}

static void bind_text(binding *b, int column, const char *text, size_t length) {
    assert(length <= INT_MAX);
    if (b->rc == SQLITE_OK) b->rc = sqlite3_bind_text(b->statement, column, text, (int)length, SQLITE_STATIC);
}

/* A key, or NULL for SQL NULL. */
static void bind_key(binding *b, int column, const tally_key *key) {
    if (key)
        bind_bytes(b, column, key->bytes, TALLY_KEY_BYTES);
    else
        bind_null(b, column);
}

/* Runs a statement that returns no row. */
static index_error run(tally_index *index, binding *b, const char *doing, char *why, size_t why_size) {
    int rc = b->rc;
    if (rc == SQLITE_OK) rc = sqlite3_step(b->statement);
    index_error error = INDEX_OK;
    if (rc != SQLITE_DONE)
        error = fail_database(index, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, doing, why, why_size);
    sqlite3_reset(b->statement); /* repeats the step's error, already reported */
    return error;
}

/* Steps a query: *row true with a row to read, false when done. */
static index_error step_row(tally_index *index, binding *b, bool *row, const char *doing, char *why,
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
static bool column_fixed(sqlite3_stmt *statement, int column, void *out, size_t size) {
    if (sqlite3_column_type(statement, column) != SQLITE_BLOB) return false;
    const void *bytes = sqlite3_column_blob(statement, column);
    int length = sqlite3_column_bytes(statement, column);
    if (!bytes || length < 0 || (size_t)length != size) return false;
    memcpy(out, bytes, size);
    return true;
}

/* A key, or NULL (*present false). */
static bool column_optional_key(sqlite3_stmt *statement, int column, bool *present, tally_key *key) {
    memset(key, 0, sizeof *key);
    *present = sqlite3_column_type(statement, column) != SQLITE_NULL;
    return !*present || column_fixed(statement, column, key->bytes, TALLY_KEY_BYTES);
}

/* An INTEGER column within [minimum, maximum]. */
static bool column_integer(sqlite3_stmt *statement, int column, int64_t minimum, int64_t maximum,
                           int64_t *value) {
    if (sqlite3_column_type(statement, column) != SQLITE_INTEGER) return false;
    *value = sqlite3_column_int64(statement, column);
    return *value >= minimum && *value <= maximum;
}

/* Text of at most `capacity` bytes, NUL-terminated into out (NULL reads as ""). */
static bool column_text(sqlite3_stmt *statement, int column, char *out, size_t capacity, uint16_t *length) {
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
/* Opening, schema, transactions.                                            */
/* ------------------------------------------------------------------------ */

static void statements_finalize(tally_index *index) {
    for (int i = 0; i < STATEMENT_COUNT; i++) {
        sqlite3_finalize(index->statements[i]); /* returns the last step's error: reported then */
        index->statements[i] = NULL;
    }
}

static index_error statements_prepare(tally_index *index, char *why, size_t why_size) {
    for (int i = 0; i < STATEMENT_COUNT; i++) {
        assert(!index->statements[i]);
        int rc = sqlite3_prepare_v3(index->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &index->statements[i], NULL);
        if (rc != SQLITE_OK) return fail_database(index, rc, "preparing a statement", why, why_size);
    }
    return INDEX_OK;
}

/* One integer from a constant query run once at open (PRAGMAs, counts). */
static index_error query_integer(tally_index *index, const char *sql, int64_t *value, int *rc_out, char *why,
                                 size_t why_size) {
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2(index->db, sql, -1, &statement, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(statement);
    index_error error = INDEX_OK;
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(statement, 0);
    else
        error = fail_database(index, rc == SQLITE_DONE ? SQLITE_MISUSE : rc, sql, why, why_size);
    sqlite3_finalize(statement);
    if (rc_out) *rc_out = rc;
    return error;
}

static index_error execute_script(tally_index *index, const char *sql, const char *doing, char *why,
                                  size_t why_size) {
    int rc = sqlite3_exec(index->db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK) return INDEX_OK;
    index_error error = fail_database(index, rc, doing, why, why_size);
    if (!sqlite3_get_autocommit(index->db)) sqlite3_exec(index->db, "ROLLBACK", NULL, NULL, NULL);
    return error;
}

/* WAL and synchronous=NORMAL: the index is rebuilt from the log, so the fsync
 * at every commit that FULL costs buys nothing. A bigger page cache and rarer
 * checkpoints than SQLite's defaults (2 MiB, 1000 pages) about doubled the rate of
 * indexing block by block in measurements (every checkpoint rewrites the hot index
 * pages and fsyncs). */
static index_error configure(tally_index *index, char *why, size_t why_size) {
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2(index->db, "PRAGMA journal_mode = WAL", -1, &statement, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(statement);
    index_error error = INDEX_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(statement, 0);
        if (!mode || (strcmp((const char *)mode, "wal") != 0 && strcmp((const char *)mode, "memory") != 0))
            error = fail(INDEX_ERR_DATABASE, why, why_size, "index: the database refused WAL mode (%s)",
                         mode ? (const char *)mode : "?");
    } else {
        error =
            fail_database(index, rc == SQLITE_DONE ? SQLITE_MISUSE : rc, "setting WAL mode", why, why_size);
    }
    sqlite3_finalize(statement);
    if (error == INDEX_OK)
        error = execute_script(index,
                               "PRAGMA synchronous = NORMAL;"
                               "PRAGMA cache_size = -" STRINGIFY(
                                   CACHE_KIB) ";"
                                              "PRAGMA wal_autocheckpoint = " STRINGIFY(WAL_CHECKPOINT_PAGES),
                               "configuring the connection", why, why_size);
    return error;
}

/* Empties the database file (SQLite's documented way: RESET_DATABASE + VACUUM). */
static index_error schema_reset(tally_index *index, char *why, size_t why_size) {
    statements_finalize(index);
    int enabled = 0;
    int rc = sqlite3_db_config(index->db, SQLITE_DBCONFIG_RESET_DATABASE, 1, &enabled);
    if (rc == SQLITE_OK) rc = sqlite3_exec(index->db, "VACUUM", NULL, NULL, NULL);
    index_error error =
        rc == SQLITE_OK ? INDEX_OK : fail_database(index, rc, "emptying the index", why, why_size);
    rc = sqlite3_db_config(index->db, SQLITE_DBCONFIG_RESET_DATABASE, 0, &enabled);
    if (error == INDEX_OK && rc != SQLITE_OK)
        error = fail_database(index, rc, "emptying the index", why, why_size);
    return error;
}

static index_error load_tip(tally_index *index, char *why, size_t why_size) {
    index->failed = false;
    index->height = TALLY_NO_HEIGHT;
    memset(index->last_hash, 0, sizeof index->last_hash);
    index->transactions = 0;
    binding b = bind_start(index, STATEMENT_TIP);
    bool row;
    index_error error = step_row(index, &b, &row, "reading the last block", why, why_size);
    if (error == INDEX_OK && row) {
        int64_t height;
        if (!column_integer(b.statement, 0, 0, INT64_MAX, &height) ||
            !column_fixed(b.statement, 1, index->last_hash, TALLY_HASH_BYTES))
            error = fail_damaged("the blocks table", why, why_size);
        else
            index->height = (uint64_t)height;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) return error;
    b = bind_start(index, STATEMENT_TX_TOTAL);
    error = step_row(index, &b, &row, "counting transactions", why, why_size);
    if (error == INDEX_OK && row) {
        int64_t total;
        if (!column_integer(b.statement, 0, 0, INT64_MAX, &total))
            error = fail_damaged("the txs table", why, why_size);
        else
            index->transactions = (uint64_t)total;
    }
    sqlite3_reset(b.statement);
    return error;
}

/* Creates the schema in an empty database and gets ready to use it. */
static index_error schema_create(tally_index *index, char *why, size_t why_size) {
    index_error error = execute_script(index, schema_sql, "creating the schema", why, why_size);
    if (error == INDEX_OK) error = statements_prepare(index, why, why_size);
    if (error == INDEX_OK) error = load_tip(index, why, why_size);
    return error;
}

/* Empties the index and creates the current schema: used for another version and
 * by rebuild. */
static index_error schema_recreate(tally_index *index, char *why, size_t why_size) {
    index_error error = schema_reset(index, why, why_size);
    if (error == INDEX_OK) error = configure(index, why, why_size);
    if (error == INDEX_OK) error = schema_create(index, why, why_size);
    return error;
}

/* Looks at what the file holds before writing anything to it. */
static index_error schema_open(tally_index *index, const char *path, char *why, size_t why_size) {
    int64_t objects = 0, application_id = 0, version = 0;
    int rc = SQLITE_OK;
    index_error error =
        query_integer(index, "SELECT count(*) FROM sqlite_master", &objects, &rc, why, why_size);
    if (error != INDEX_OK) {
        if ((rc & 0xff) == SQLITE_NOTADB)
            return fail(INDEX_ERR_NOT_AN_INDEX, why, why_size,
                        "index: %s is not an SQLite database; it was left untouched", path);
        return error;
    }
    if (objects > 0) {
        error = query_integer(index, "PRAGMA application_id", &application_id, NULL, why, why_size);
        if (error == INDEX_OK)
            error = query_integer(index, "PRAGMA user_version", &version, NULL, why, why_size);
        if (error != INDEX_OK) return error;
        if (application_id != INDEX_APPLICATION_ID)
            return fail(INDEX_ERR_NOT_AN_INDEX, why, why_size,
                        "index: %s is an SQLite database but not a Tally index (application id %" PRId64
                        "); it was left untouched",
                        path, application_id);
    }
    error = configure(index, why, why_size);
    if (error != INDEX_OK) return error;
    if (objects == 0) return schema_create(index, why, why_size);
    if (version != INDEX_SCHEMA_VERSION) return schema_recreate(index, why, why_size);
    error = statements_prepare(index, why, why_size);
    if (error == INDEX_OK) error = load_tip(index, why, why_size);
    return error;
}

index_error index_open(const char *path, tally_index **out, char *why, size_t why_size) {
    assert(path && out);
    *out = NULL;
    tally_index *index = calloc(1, sizeof *index);
    if (index) index->entries = malloc(sizeof *index->entries);
    if (!index || !index->entries) {
        if (index) free(index);
        return fail(INDEX_ERR_NO_MEMORY, why, why_size, "index: out of memory");
    }
    index->height = TALLY_NO_HEIGHT;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    int rc = sqlite3_open_v2(path, &index->db, flags, NULL);
    index_error error = INDEX_OK;
    if (rc != SQLITE_OK) {
        error = index->db ? fail_database(index, rc, "opening", why, why_size)
                          : fail(INDEX_ERR_NO_MEMORY, why, why_size, "index: out of memory opening %s", path);
    }
    if (error == INDEX_OK) {
        rc = sqlite3_extended_result_codes(index->db, 1);
        error = rc == SQLITE_OK ? schema_open(index, path, why, why_size)
                                : fail_database(index, rc, "opening", why, why_size);
    }
    if (error != INDEX_OK) {
        index_close(index);
        return error;
    }
    *out = index;
    return INDEX_OK;
}

void index_close(tally_index *index) {
    if (!index) return;
    statements_finalize(index);
    if (index->db) {
        int rc = sqlite3_close(index->db);
        assert(rc == SQLITE_OK); /* every statement is finalized */
        (void)rc;
    }
    free(index->entries);
    free(index);
}

uint64_t index_height(const tally_index *index) {
    assert(index);
    return index->height;
}

void index_counts(const tally_index *index, uint64_t *blocks, uint64_t *transactions) {
    assert(index && blocks && transactions);
    *blocks = index->height == TALLY_NO_HEIGHT ? 0 : index->height + 1;
    *transactions = index->transactions;
}

static index_error transaction_begin(tally_index *index, char *why, size_t why_size) {
    assert(!index->in_transaction);
    binding b = bind_start(index, STATEMENT_BEGIN);
    index_error error = run(index, &b, "beginning a transaction", why, why_size);
    index->in_transaction = error == INDEX_OK;
    return error;
}

/* Undoes the open transaction and reloads the cached tip from what is committed. */
static void transaction_rollback(tally_index *index) {
    if (!sqlite3_get_autocommit(index->db)) {
        binding b = bind_start(index, STATEMENT_ROLLBACK);
        char ignored[INDEX_WHY_BYTES];
        (void)run(index, &b, "rolling back", ignored, sizeof ignored);
    }
    index->in_transaction = false;
    char ignored[INDEX_WHY_BYTES];
    index->failed = load_tip(index, ignored, sizeof ignored) != INDEX_OK;
}

static index_error transaction_commit(tally_index *index, char *why, size_t why_size) {
    assert(index->in_transaction);
    binding b = bind_start(index, STATEMENT_COMMIT);
    index_error error = run(index, &b, "committing", why, why_size);
    if (error != INDEX_OK) transaction_rollback(index);
    index->in_transaction = false;
    return error;
}

/* ------------------------------------------------------------------------ */
/* From a transaction to history entries.                                    */
/* ------------------------------------------------------------------------ */


static bool key_equal(const tally_key *a, const tally_key *b) {
    return memcmp(a->bytes, b->bytes, TALLY_KEY_BYTES) == 0;
}

/* counterparty NULL (or the member itself) for none. */
static credit_entry *add_credit(tx_entries *entries, uint32_t network_id, const tally_key *member, int64_t amount,
                                int64_t fee, const tally_key *counterparty) {
    assert(entries->credit_count < CREDIT_ENTRIES_MAX);
    credit_entry *entry = &entries->credit[entries->credit_count++];
    memset(entry, 0, sizeof *entry);
    entry->network_id = network_id;
    entry->member = *member;
    entry->amount = amount;
    entry->fee = fee;
    entry->has_counterparty = counterparty && !key_equal(counterparty, member);
    if (entry->has_counterparty) entry->counterparty = *counterparty;
    return entry;
}

static void add_asset(tx_entries *entries, uint32_t asset_id, const tally_key *member, int64_t amount,
                      const tally_key *counterparty) {
    assert(entries->asset_count < ASSET_ENTRIES_MAX);
    asset_entry *entry = &entries->asset[entries->asset_count++];
    memset(entry, 0, sizeof *entry);
    entry->asset_id = asset_id;
    entry->member = *member;
    entry->amount = amount;
    entry->has_counterparty = counterparty && !key_equal(counterparty, member);
    if (entry->has_counterparty) entry->counterparty = *counterparty;
}

/* The network a transaction is about, if any (NETWORK_CREATE: the one it made). */
static bool tx_network(const tally_tx *tx, const tally_result *result, uint32_t *network_id) {
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE: *network_id = result->created_id; return true;
    case TALLY_TX_POLICY_UPDATE: *network_id = tx->body.policy_update.network_id; return true;
    case TALLY_TX_PEG_SET: *network_id = tx->body.peg_set.network_id; return true;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: *network_id = tx->body.network_key.network_id; return true;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE: *network_id = tx->body.network_only.network_id; return true;
    case TALLY_TX_ALIAS_SET: *network_id = tx->body.alias_set.network_id; return true;
    case TALLY_TX_LINE_OPEN: *network_id = tx->body.line_open.network_id; return true;
    case TALLY_TX_LINE_UPDATE: *network_id = tx->body.line_update.network_id; return true;
    case TALLY_TX_TRANSFER: *network_id = tx->body.transfer.network_id; return true;
    case TALLY_TX_TRANSFER_BATCH: *network_id = tx->body.transfer_batch.network_id; return true;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: *network_id = tx->body.pool_amount.network_id; return true;
    case TALLY_TX_FEE_DISTRIBUTE: *network_id = tx->body.fee_distribute.network_id; return true;
    case TALLY_TX_ASSET_CREATE:
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
    case TALLY_TX_ASSET_BURN:
    case TALLY_TX_CHAIN_APPROVE: return false;
    }
    return false;
}

/* The reserve asset a transaction is about, if any (ASSET_CREATE: the one it made). */
static bool tx_asset(const tally_tx *tx, const tally_result *result, uint32_t *asset_id) {
    switch (tx->type) {
    case TALLY_TX_ASSET_CREATE: *asset_id = result->created_id; return true;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: *asset_id = tx->body.asset_move.asset_id; return true;
    case TALLY_TX_ASSET_BURN: *asset_id = tx->body.asset_burn.asset_id; return true;
    case TALLY_TX_PEG_SET: *asset_id = tx->body.peg_set.asset_id; return tx->body.peg_set.asset_id != 0;
    default: return false;
    }
}

/* The pool's reserve movements of a pool transaction, in asset reserve_asset_id
 * (0 when the index has seen no peg: then there is nothing to record). */
static void pool_asset_entries(const tally_tx *tx, const tally_result *result, uint32_t reserve_asset_id,
                               tx_entries *entries) {
    if (reserve_asset_id == 0 || result->reserve == 0) return;
    tally_key pool = tally_system_key(tx->body.pool_amount.network_id, TALLY_SYSTEM_POOL);
    bool into_pool = tx->type == TALLY_TX_POOL_DEPOSIT || tx->type == TALLY_TX_POOL_REPAY;
    int64_t signer_amount = into_pool ? -result->reserve : result->reserve;
    add_asset(entries, reserve_asset_id, &tx->signer, signer_amount, &pool);
    add_asset(entries, reserve_asset_id, &pool, -signer_amount, &tx->signer);
}

/* Every entry of a committed transaction (see index.h). Needs nothing but the
 * transaction, its result and, for pool transactions, the network's reserve asset. */
static void entries_of(const tally_tx *tx, const tally_result *result, uint32_t reserve_asset_id,
                       tx_entries *entries) {
    /* The counts only: add_* clear each entry they fill (a batch's room is 50 KB). */
    entries->credit_count = entries->asset_count = 0;
    uint32_t network_id = 0;
    bool has_network = tx_network(tx, result, &network_id);
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE:
    case TALLY_TX_POLICY_UPDATE:
    case TALLY_TX_PEG_SET:
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE:
    case TALLY_TX_ALIAS_SET: add_credit(entries, network_id, &tx->signer, 0, 0, NULL); break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE:
        add_credit(entries, network_id, &tx->body.network_key.key, 0, 0, &tx->signer);
        break;
    case TALLY_TX_LINE_OPEN:
        add_credit(entries, network_id, &tx->body.line_open.member, 0, 0, &tx->signer);
        break;
    case TALLY_TX_LINE_UPDATE:
        add_credit(entries, network_id, &tx->body.line_update.member, 0, 0, &tx->signer);
        break;
    case TALLY_TX_TRANSFER: {
        const tally_tx_transfer *body = &tx->body.transfer;
        add_credit(entries, network_id, &tx->signer, -body->amount, result->fee, &body->payee);
        add_credit(entries, network_id, &body->payee, body->amount, 0, &tx->signer);
        if (result->fee != 0) {
            tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
            add_credit(entries, network_id, &fees, result->fee, 0, &tx->signer);
        }
        break;
    }
    case TALLY_TX_FEE_DISTRIBUTE: {
        const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
        tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
        tally_key to = body->to_pool ? tally_system_key(network_id, TALLY_SYSTEM_POOL) : body->to;
        add_credit(entries, network_id, &fees, -body->amount, 0, &to);
        add_credit(entries, network_id, &to, body->amount, 0, &fees);
        break;
    }
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
        add_credit(entries, network_id, &tx->signer, 0, 0, NULL);
        pool_asset_entries(tx, result, reserve_asset_id, entries);
        break;
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: {
        tally_key lost = tally_system_key(network_id, TALLY_SYSTEM_LOST_DEBT);
        int64_t credits = tx->type == TALLY_TX_POOL_REPAY ? tx->body.pool_amount.amount : -result->burned;
        add_credit(entries, network_id, &tx->signer, credits, 0, &lost);
        add_credit(entries, network_id, &lost, -credits, 0, &tx->signer);
        pool_asset_entries(tx, result, reserve_asset_id, entries);
        break;
    }
    case TALLY_TX_ASSET_CREATE: add_asset(entries, result->created_id, &tx->signer, 0, NULL); break;
    case TALLY_TX_ASSET_ISSUE: {
        const tally_tx_asset_move *body = &tx->body.asset_move;
        add_asset(entries, body->asset_id, &body->to, body->amount, &tx->signer);
        break;
    }
    case TALLY_TX_ASSET_TRANSFER: {
        const tally_tx_asset_move *body = &tx->body.asset_move;
        add_asset(entries, body->asset_id, &tx->signer, -body->amount, &body->to);
        add_asset(entries, body->asset_id, &body->to, body->amount, &tx->signer);
        break;
    }
    case TALLY_TX_ASSET_BURN:
        add_asset(entries, tx->body.asset_burn.asset_id, &tx->signer, -tx->body.asset_burn.amount, NULL);
        break;
    case TALLY_TX_CHAIN_APPROVE: break; /* chain-wide: no network's or asset's history */
    case TALLY_TX_TRANSFER_BATCH: {
        /* Each line as a transfer without its fee (the core charges each line's fee,
         * but a block records only their sum): the payer's -amount and the payee's
         * +amount, with the line's number and memo; then the payer's fees, all lines
         * together, against the fee account. */
        const tally_tx_transfer_batch *body = &tx->body.transfer_batch;
        for (uint16_t i = 0; i < body->line_count; i++) {
            const tally_batch_line *line = &body->lines[i];
            credit_entry *paid = add_credit(entries, network_id, &tx->signer, -line->amount, 0, &line->payee);
            credit_entry *received = add_credit(entries, network_id, &line->payee, line->amount, 0, &tx->signer);
            paid->line = received->line = (uint16_t)(i + 1);
            paid->memo = received->memo = line->memo.bytes;
            paid->memo_length = received->memo_length = line->memo.length;
        }
        if (result->fee != 0) {
            tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
            add_credit(entries, network_id, &tx->signer, 0, result->fee, &fees);
            add_credit(entries, network_id, &fees, result->fee, 0, &tx->signer);
        }
        break;
    }
    }
    assert(entries->credit_count == 0 || has_network);
    (void)has_network;
}

/* ------------------------------------------------------------------------ */
/* Indexing a block.                                                         */
/* ------------------------------------------------------------------------ */

static index_error peg_get(tally_index *index, uint32_t network_id, uint32_t *asset_id, char *why,
                           size_t why_size) {
    *asset_id = 0;
    binding b = bind_start(index, STATEMENT_PEG_GET);
    bind_int(&b, 1, network_id);
    bool row;
    index_error error = step_row(index, &b, &row, "reading a peg", why, why_size);
    if (error == INDEX_OK && row) {
        int64_t value;
        if (!column_integer(b.statement, 0, 0, UINT32_MAX, &value))
            error = fail_damaged("the pegs table", why, why_size);
        else
            *asset_id = (uint32_t)value;
    }
    sqlite3_reset(b.statement);
    return error;
}

static index_error peg_put(tally_index *index, uint32_t network_id, uint32_t asset_id, char *why,
                           size_t why_size) {
    binding b = bind_start(index, STATEMENT_PEG_PUT);
    bind_int(&b, 1, network_id);
    bind_int(&b, 2, asset_id);
    return run(index, &b, "writing a peg", why, why_size);
}

static index_error search_insert(tally_index *index, index_match_kind kind, uint32_t network_id,
                                 int64_t tx_seq, const char *text, size_t length, const tally_key *key,
                                 const tally_key *counterparty, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_SEARCH_INSERT);
    bind_text(&b, 1, text, length);
    bind_int(&b, 2, kind);
    bind_int(&b, 3, network_id);
    bind_int(&b, 4, tx_seq);
    bind_key(&b, 5, key);
    bind_key(&b, 6, counterparty);
    return run(index, &b, "indexing text for search", why, why_size);
}

/* Replaces (or with length 0 removes) the searchable alias of member in network. */
static index_error alias_replace(tally_index *index, uint32_t network_id, const tally_key *member,
                                 int64_t tx_seq, const char *alias, size_t length, char *why,
                                 size_t why_size) {
    binding b = bind_start(index, STATEMENT_ALIAS_GET);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bool row;
    int64_t old_row = 0;
    index_error error = step_row(index, &b, &row, "reading an alias", why, why_size);
    if (error == INDEX_OK && row && !column_integer(b.statement, 0, 1, INT64_MAX, &old_row))
        error = fail_damaged("the aliases table", why, why_size);
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) return error;
    if (row) {
        b = bind_start(index, STATEMENT_SEARCH_DELETE);
        bind_int(&b, 1, old_row);
        error = run(index, &b, "removing an alias from search", why, why_size);
        if (error != INDEX_OK) return error;
    }
    if (length == 0) {
        if (!row) return INDEX_OK;
        b = bind_start(index, STATEMENT_ALIAS_DELETE);
        bind_int(&b, 1, network_id);
        bind_key(&b, 2, member);
        return run(index, &b, "removing an alias", why, why_size);
    }
    error = search_insert(index, INDEX_MATCH_ALIAS, network_id, tx_seq, alias, length, member, NULL, why,
                          why_size);
    if (error != INDEX_OK) return error;
    b = bind_start(index, STATEMENT_ALIAS_PUT);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bind_int(&b, 3, sqlite3_last_insert_rowid(index->db));
    return run(index, &b, "writing an alias", why, why_size);
}

static index_error insert_entries(tally_index *index, const tx_entries *entries, int64_t tx_seq, char *why,
                                  size_t why_size) {
    index_error error = INDEX_OK;
    for (uint32_t i = 0; i < entries->credit_count && error == INDEX_OK; i++) {
        const credit_entry *entry = &entries->credit[i];
        binding b = bind_start(index, STATEMENT_INSERT_HISTORY);
        bind_int(&b, 1, entry->network_id);
        bind_key(&b, 2, &entry->member);
        bind_int(&b, 3, tx_seq * ENTRIES_PER_TX + i);
        bind_int(&b, 4, entry->amount);
        bind_int(&b, 5, entry->fee);
        bind_key(&b, 6, entry->has_counterparty ? &entry->counterparty : NULL);
        if (entry->line) bind_int(&b, 7, entry->line);
        else bind_null(&b, 7);
        if (entry->memo) bind_text(&b, 8, entry->memo, entry->memo_length);
        else bind_null(&b, 8);
        error = run(index, &b, "writing a history entry", why, why_size);
    }
    for (uint32_t i = 0; i < entries->asset_count && error == INDEX_OK; i++) {
        const asset_entry *entry = &entries->asset[i];
        binding b = bind_start(index, STATEMENT_INSERT_ASSET_HISTORY);
        bind_int(&b, 1, entry->asset_id);
        bind_key(&b, 2, &entry->member);
        bind_int(&b, 3, tx_seq * ENTRIES_PER_TX + i);
        bind_int(&b, 4, entry->amount);
        bind_key(&b, 5, entry->has_counterparty ? &entry->counterparty : NULL);
        error = run(index, &b, "writing an asset history entry", why, why_size);
    }
    return error;
}

/* What a committed transaction changes besides its own row: entries, pegs,
 * aliases, searchable memos. */
static index_error index_effects(tally_index *index, const tally_tx *tx, const tally_result *result,
                                 int64_t tx_seq, char *why, size_t why_size) {
    index_error error = INDEX_OK;
    uint32_t reserve_asset_id = 0;
    bool pool = tx->type >= TALLY_TX_POOL_DEPOSIT && tx->type <= TALLY_TX_POOL_REDEEM;
    if (pool) error = peg_get(index, tx->body.pool_amount.network_id, &reserve_asset_id, why, why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_PEG_SET)
        error = peg_put(index, tx->body.peg_set.network_id, tx->body.peg_set.asset_id, why, why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_ALIAS_SET)
        error = alias_replace(index, tx->body.alias_set.network_id, &tx->signer, tx_seq,
                              tx->body.alias_set.alias.bytes, tx->body.alias_set.alias.length, why, why_size);
    /* Leaving gives the alias up (member.c does the same). */
    if (error == INDEX_OK && tx->type == TALLY_TX_MEMBER_LEAVE)
        error = alias_replace(index, tx->body.network_only.network_id, &tx->signer, tx_seq, NULL, 0, why,
                              why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_TRANSFER && tx->body.transfer.memo.length > 0)
        error = search_insert(index, INDEX_MATCH_MEMO, tx->body.transfer.network_id, tx_seq,
                              tx->body.transfer.memo.bytes, tx->body.transfer.memo.length, &tx->signer,
                              &tx->body.transfer.payee, why, why_size);
    /* A batch's memos are searchable line by line, as a transfer's. */
    for (uint16_t i = 0; error == INDEX_OK && tx->type == TALLY_TX_TRANSFER_BATCH && i < tx->body.transfer_batch.line_count;
         i++) {
        const tally_batch_line *line = &tx->body.transfer_batch.lines[i];
        if (line->memo.length > 0)
            error = search_insert(index, INDEX_MATCH_MEMO, tx->body.transfer_batch.network_id, tx_seq, line->memo.bytes,
                                  line->memo.length, &tx->signer, &line->payee, why, why_size);
    }
    if (error != INDEX_OK) return error;
    entries_of(tx, result, reserve_asset_id, index->entries);
    return insert_entries(index, index->entries, tx_seq, why, why_size);
}

static index_error insert_tx(tally_index *index, const tally_block *block, uint32_t position, char *why,
                             size_t why_size) {
    const tally_tx *tx = &block->txs[position];
    const tally_result *result = &block->results[position];
    uint8_t encoded[TALLY_TX_ENCODED_MAX];
    size_t encoded_length = tally_tx_encode(tx, encoded, sizeof encoded);
    const char *type_name = tally_tx_type_name(tx->type);
    if (encoded_length == 0 || !type_name)
        return fail(INDEX_ERR_BAD_BLOCK, why, why_size,
                    "index: block %" PRIu64 ": transaction %" PRIu32 " cannot be encoded",
                    block->header.height, position);
    if (tx->sequence > INT64_MAX)
        return fail(INDEX_ERR_BAD_BLOCK, why, why_size,
                    "index: block %" PRIu64 ": transaction %" PRIu32 " has a sequence above 2^63",
                    block->header.height, position);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(tx, id);
    int64_t tx_seq = (int64_t)index->transactions + 1;
    uint32_t network_id = 0, asset_id = 0;
    bool has_network = tx_network(tx, result, &network_id);
    bool has_asset = tx_asset(tx, result, &asset_id);

    binding b = bind_start(index, STATEMENT_INSERT_TX);
    bind_int(&b, 1, tx_seq);
    bind_bytes(&b, 2, id, sizeof id);
    bind_int(&b, 3, (int64_t)block->header.height);
    bind_int(&b, 4, position);
    bind_int(&b, 5, tx->type);
    bind_text(&b, 6, type_name, strlen(type_name));
    bind_key(&b, 7, &tx->signer);
    bind_int(&b, 8, (int64_t)tx->sequence);
    if (has_network)
        bind_int(&b, 9, network_id);
    else
        bind_null(&b, 9);
    if (has_asset)
        bind_int(&b, 10, asset_id);
    else
        bind_null(&b, 10);
    bind_bytes(&b, 11, encoded, encoded_length);
    if (tx->type == TALLY_TX_TRANSFER && tx->body.transfer.memo.length > 0)
        bind_text(&b, 12, tx->body.transfer.memo.bytes, tx->body.transfer.memo.length);
    else
        bind_null(&b, 12);
    bind_int(&b, 13, result->code);
    bind_int(&b, 14, result->created_id);
    bind_int(&b, 15, result->minted);
    bind_int(&b, 16, result->burned);
    bind_int(&b, 17, result->fee);
    bind_int(&b, 18, result->risk_fee);
    bind_int(&b, 19, result->reserve);
    bind_int(&b, 20, result->shares);
    bind_int(&b, 21, result->to_primary);
    bind_int(&b, 22, result->to_excess);
    bind_int(&b, 23, result->available);
    index_error error = run(index, &b, "writing a transaction", why, why_size);
    if (error != INDEX_OK) return error;
    index->transactions = (uint64_t)tx_seq;
    /* A refused transaction changed nothing (and a valid block holds none). */
    if (result->code != TALLY_OK) return INDEX_OK;
    return index_effects(index, tx, result, tx_seq, why, why_size);
}

/* Writes one block inside the open transaction, after checking it extends the
 * index. Moves the cached tip on success (a rollback reloads it). */
static index_error insert_block(tally_index *index, const tally_block *block, char *why, size_t why_size) {
    assert(index->in_transaction);
    if (index->failed)
        return fail(INDEX_ERR_DATABASE, why, why_size,
                    "index: an earlier failure left the index unsure of its tip; reopen it");
    const tally_block_header *header = &block->header;
    uint64_t expected = index->height == TALLY_NO_HEIGHT ? 0 : index->height + 1;
    if (header->height != expected)
        return fail(INDEX_ERR_NOT_NEXT, why, why_size,
                    "index: block %" PRIu64 " is not the next block: the index holds %" PRIu64 " blocks",
                    header->height, expected);
    if (expected > 0 && memcmp(header->prev_hash, index->last_hash, TALLY_HASH_BYTES) != 0)
        return fail(INDEX_ERR_NOT_LINKED, why, why_size,
                    "index: block %" PRIu64 " does not extend the indexed block %" PRIu64
                    ": the index is of another chain; rebuild it",
                    header->height, index->height);
    if (header->height > INT64_MAX || header->tx_count > TALLY_BLOCK_TXS_MAX ||
        (header->tx_count > 0 && (!block->txs || !block->results)))
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: block %" PRIu64 " is malformed",
                    header->height);
    uint8_t hash[TALLY_HASH_BYTES], encoded_header[TALLY_BLOCK_HEADER_BYTES];
    tally_block_hash(header, hash);
    tally_block_header_encode(header, encoded_header);

    binding b = bind_start(index, STATEMENT_INSERT_BLOCK);
    bind_int(&b, 1, (int64_t)header->height);
    bind_bytes(&b, 2, hash, sizeof hash);
    bind_bytes(&b, 3, header->prev_hash, sizeof header->prev_hash);
    bind_int(&b, 4, header->block_time);
    bind_int(&b, 5, header->tx_count);
    bind_bytes(&b, 6, header->state_hash, sizeof header->state_hash);
    bind_bytes(&b, 7, encoded_header, sizeof encoded_header);
    index_error error = run(index, &b, "writing a block", why, why_size);
    for (uint32_t i = 0; i < header->tx_count && error == INDEX_OK; i++)
        error = insert_tx(index, block, i, why, why_size);
    if (error != INDEX_OK) return error;
    index->height = header->height;
    memcpy(index->last_hash, hash, sizeof hash);
    return INDEX_OK;
}

index_error index_add_block(tally_index *index, const tally_block *block, char *why, size_t why_size) {
    assert(index && block);
    index_error error = transaction_begin(index, why, why_size);
    if (error != INDEX_OK) return error;
    error = insert_block(index, block, why, why_size);
    if (error == INDEX_OK) return transaction_commit(index, why, why_size);
    transaction_rollback(index);
    return error;
}

/* Whether the index's last block is the log's block at that height. */
static index_error matches_log(tally_index *index, const tally_blocklog *log, bool *matches, char *why,
                               size_t why_size) {
    *matches = true;
    if (index->height == TALLY_NO_HEIGHT) return INDEX_OK;
    if (index->height >= tally_blocklog_count(log)) {
        *matches = false;
        return INDEX_OK;
    }
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
    tally_chain_failure failure;
    memset(&failure, 0, sizeof failure);
    tally_chain_error chain_error = tally_blocklog_header(log, index->height, &header, hash, &failure);
    if (chain_error != TALLY_CHAIN_OK)
        return fail(INDEX_ERR_LOG, why, why_size, "index: reading the block log: %s", failure.message);
    *matches = memcmp(hash, index->last_hash, TALLY_HASH_BYTES) == 0;
    return INDEX_OK;
}

/* Indexes the log's blocks after the index's tip, committing in batches. */
static index_error add_from_log(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                                void *progress_context, index_catch_up_summary *summary, char *why,
                                size_t why_size) {
    uint64_t count = tally_blocklog_count(log);
    uint64_t first = index->height == TALLY_NO_HEIGHT ? 0 : index->height + 1;
    tally_block block;
    tally_block_init(&block);
    uint64_t batch_blocks = 0, batch_transactions = 0;
    index_error error = INDEX_OK;
    for (uint64_t height = first; height < count && error == INDEX_OK; height++) {
        tally_chain_failure failure;
        memset(&failure, 0, sizeof failure);
        if (tally_blocklog_read(log, height, &block, &failure) != TALLY_CHAIN_OK) {
            error = fail(INDEX_ERR_LOG, why, why_size, "index: reading the block log: %s", failure.message);
            break;
        }
        if (!index->in_transaction) error = transaction_begin(index, why, why_size);
        if (error == INDEX_OK) error = insert_block(index, &block, why, why_size);
        if (error != INDEX_OK) break;
        batch_blocks++;
        batch_transactions += block.header.tx_count;
        if (batch_blocks >= BATCH_BLOCKS_MAX || batch_transactions >= BATCH_TRANSACTIONS_MAX ||
            height + 1 == count) {
            error = transaction_commit(index, why, why_size);
            if (error != INDEX_OK) break;
            summary->blocks += batch_blocks;
            summary->transactions += batch_transactions;
            batch_blocks = batch_transactions = 0;
        }
        if (progress) progress(progress_context, height, count);
    }
    if (index->in_transaction) transaction_rollback(index);
    tally_block_release(&block);
    return error;
}

index_error index_rebuild(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                          void *progress_context, index_catch_up_summary *summary, char *why,
                          size_t why_size) {
    assert(index && log && !index->in_transaction);
    index_catch_up_summary local = {0, 0, true};
    index_error error = schema_recreate(index, why, why_size);
    if (error == INDEX_OK)
        error = add_from_log(index, log, progress, progress_context, &local, why, why_size);
    if (summary) *summary = local;
    return error;
}

index_error index_catch_up(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                           void *progress_context, index_catch_up_summary *summary, char *why,
                           size_t why_size) {
    assert(index && log && !index->in_transaction);
    index_catch_up_summary local = {0, 0, false};
    bool matches = true;
    index_error error = index->failed ? load_tip(index, why, why_size) : INDEX_OK;
    if (error == INDEX_OK) error = matches_log(index, log, &matches, why, why_size);
    if (error == INDEX_OK && !matches) {
        local.rebuilt = true;
        error = schema_recreate(index, why, why_size);
    }
    if (error == INDEX_OK)
        error = add_from_log(index, log, progress, progress_context, &local, why, why_size);
    if (summary) *summary = local;
    return error;
}

/* ------------------------------------------------------------------------ */
/* Queries.                                                                  */
/* ------------------------------------------------------------------------ */

/* Reads the result columns starting at `first` (order of TX_RESULT_COLUMNS). */
static bool column_result(sqlite3_stmt *statement, int first, tally_result *result) {
    int64_t code, created_id;
    if (!column_integer(statement, first, 0, TALLY_ERROR_COUNT - 1, &code) ||
        !column_integer(statement, first + 1, 0, UINT32_MAX, &created_id))
        return false;
    result->code = (tally_error)code;
    result->created_id = (uint32_t)created_id;
    int64_t *amounts[] = {&result->minted,     &result->burned,    &result->fee,
                          &result->risk_fee,   &result->reserve,   &result->shares,
                          &result->to_primary, &result->to_excess, &result->available};
    for (int i = 0; i < (int)(sizeof amounts / sizeof amounts[0]); i++)
        if (!column_integer(statement, first + 2 + i, INT64_MIN, INT64_MAX, amounts[i])) return false;
    return true;
}

/* An optional uint32 column: NULL gives *present false. */
static bool column_optional_u32(sqlite3_stmt *statement, int column, bool *present, uint32_t *value) {
    *value = 0;
    *present = sqlite3_column_type(statement, column) != SQLITE_NULL;
    int64_t read;
    if (!*present) return true;
    if (!column_integer(statement, column, 0, UINT32_MAX, &read)) return false;
    *value = (uint32_t)read;
    return true;
}

static bool read_tx_row(sqlite3_stmt *statement, index_tx *tx) {
    int64_t height, position, time, type, sequence;
    if (!column_integer(statement, 0, 0, INT64_MAX, &height) ||
        !column_integer(statement, 1, 0, TALLY_BLOCK_TXS_MAX - 1, &position) ||
        !column_integer(statement, 2, INT64_MIN, INT64_MAX, &time) ||
        !column_integer(statement, 3, TALLY_TX_TYPE_FIRST, TALLY_TX_TYPE_LAST, &type) ||
        !column_fixed(statement, 4, tx->signer.bytes, TALLY_KEY_BYTES) ||
        !column_integer(statement, 5, 0, INT64_MAX, &sequence) ||
        !column_optional_u32(statement, 6, &tx->has_network, &tx->network_id) ||
        !column_optional_u32(statement, 7, &tx->has_asset, &tx->asset_id) ||
        sqlite3_column_type(statement, 8) != SQLITE_BLOB || !column_result(statement, 9, &tx->result))
        return false;
    const void *encoded = sqlite3_column_blob(statement, 8);
    int length = sqlite3_column_bytes(statement, 8);
    if (!encoded || length <= 0 || (size_t)length > TALLY_TX_ENCODED_MAX) return false;
    memcpy(tx->encoded, encoded, (size_t)length);
    tx->encoded_length = (uint16_t)length;
    tx->height = (uint64_t)height;
    tx->position = (uint32_t)position;
    tx->time = time;
    tx->type = (uint8_t)type;
    tx->sequence = (uint64_t)sequence;
    return true;
}

index_error index_tx_status(tally_index *index, const uint8_t id[TALLY_HASH_BYTES], index_tx *tx, bool *found,
                            char *why, size_t why_size) {
    assert(index && id && tx && found);
    memset(tx, 0, sizeof *tx);
    *found = false;
    binding b = bind_start(index, STATEMENT_TX_BY_ID);
    bind_bytes(&b, 1, id, TALLY_HASH_BYTES);
    bool row;
    index_error error = step_row(index, &b, &row, "looking a transaction up", why, why_size);
    if (error == INDEX_OK && row) {
        if (read_tx_row(b.statement, tx)) {
            memcpy(tx->id, id, TALLY_HASH_BYTES);
            *found = true;
        } else {
            memset(tx, 0, sizeof *tx);
            error = fail_damaged("the txs table", why, why_size);
        }
    }
    sqlite3_reset(b.statement);
    return error;
}

/* The columns every history query starts with: entry, height, position, time, tx id,
 * type. */
typedef struct {
    uint64_t cursor;
    uint64_t height;
    uint32_t position;
    int64_t time;
    uint8_t tx_id[TALLY_HASH_BYTES];
    uint8_t type;
} entry_head;

static bool read_entry_head(sqlite3_stmt *statement, entry_head *head) {
    int64_t cursor, height, position, type;
    if (!column_integer(statement, 0, 1, INT64_MAX, &cursor) ||
        !column_integer(statement, 1, 0, INT64_MAX, &height) ||
        !column_integer(statement, 2, 0, TALLY_BLOCK_TXS_MAX - 1, &position) ||
        !column_integer(statement, 3, INT64_MIN, INT64_MAX, &head->time) ||
        !column_fixed(statement, 4, head->tx_id, TALLY_HASH_BYTES) ||
        !column_integer(statement, 5, TALLY_TX_TYPE_FIRST, TALLY_TX_TYPE_LAST, &type))
        return false;
    head->cursor = (uint64_t)cursor;
    head->height = (uint64_t)height;
    head->position = (uint32_t)position;
    head->type = (uint8_t)type;
    return true;
}

/* Binds and runs a page query (HISTORY or ASSET_HISTORY); `read` fills entry i
 * from the current row. One row more than the page is asked for, to know whether
 * an older page exists. */
typedef bool read_row_fn(sqlite3_stmt *statement, void *entries, uint32_t i, uint64_t *cursor);

static index_error page_query(tally_index *index, statement_id id, uint32_t owner_id, const tally_key *key,
                              uint64_t before_cursor, uint32_t limit, void *entries, read_row_fn *read,
                              uint32_t *count, uint64_t *next_cursor, const char *table, char *why,
                              size_t why_size) {
    *count = 0;
    *next_cursor = 0;
    if (limit == 0 || limit > INDEX_HISTORY_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size,
                    "index: a page holds 1 to %u entries, not %" PRIu32, INDEX_HISTORY_LIMIT_MAX, limit);
    int64_t before = before_cursor == 0 || before_cursor > INT64_MAX ? INT64_MAX : (int64_t)before_cursor;
    binding b = bind_start(index, id);
    bind_int(&b, 1, owner_id);
    bind_key(&b, 2, key);
    bind_int(&b, 3, before);
    bind_int(&b, 4, (int64_t)limit + 1);
    index_error error = INDEX_OK;
    uint64_t last_cursor = 0;
    for (uint32_t i = 0; i <= limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "reading history", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (i == limit) {
            *next_cursor = last_cursor; /* an older entry exists */
            break;
        }
        if (!read(b.statement, entries, i, &last_cursor)) {
            error = fail_damaged(table, why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) {
        *count = 0;
        *next_cursor = 0;
    }
    return error;
}

static bool read_history_row(sqlite3_stmt *statement, void *entries, uint32_t i, uint64_t *cursor) {
    index_history_entry *entry = &((index_history_entry *)entries)[i];
    memset(entry, 0, sizeof *entry);
    entry_head head;
    if (!read_entry_head(statement, &head) ||
        !column_integer(statement, 6, INT64_MIN, INT64_MAX, &entry->amount) ||
        !column_integer(statement, 7, INT64_MIN, INT64_MAX, &entry->fee) ||
        !column_optional_key(statement, 8, &entry->has_counterparty, &entry->counterparty) ||
        !column_text(statement, 9, entry->memo, TALLY_MEMO_MAX, &entry->memo_length))
        return false;
    int64_t line = 0;
    if (sqlite3_column_type(statement, 10) != SQLITE_NULL &&
        !column_integer(statement, 10, 1, TALLY_BATCH_LINES_MAX, &line))
        return false;
    entry->line = (uint16_t)line;
    entry->cursor = *cursor = head.cursor;
    entry->height = head.height;
    entry->position = head.position;
    entry->time = head.time;
    memcpy(entry->tx_id, head.tx_id, sizeof head.tx_id);
    entry->type = head.type;
    return true;
}

static bool read_asset_row(sqlite3_stmt *statement, void *entries, uint32_t i, uint64_t *cursor) {
    index_asset_entry *entry = &((index_asset_entry *)entries)[i];
    memset(entry, 0, sizeof *entry);
    entry_head head;
    if (!read_entry_head(statement, &head) ||
        !column_integer(statement, 6, INT64_MIN, INT64_MAX, &entry->amount) ||
        !column_optional_key(statement, 7, &entry->has_counterparty, &entry->counterparty))
        return false;
    entry->cursor = *cursor = head.cursor;
    entry->height = head.height;
    entry->position = head.position;
    entry->time = head.time;
    memcpy(entry->tx_id, head.tx_id, sizeof head.tx_id);
    entry->type = head.type;
    return true;
}

index_error index_history(tally_index *index, uint32_t network_id, const tally_key *key,
                          uint64_t before_cursor, uint32_t limit, index_history_entry *entries,
                          uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size) {
    assert(index && key && entries && count && next_cursor);
    return page_query(index, STATEMENT_HISTORY, network_id, key, before_cursor, limit, entries,
                      read_history_row, count, next_cursor, "the history table", why, why_size);
}

index_error index_asset_history(tally_index *index, uint32_t asset_id, const tally_key *key,
                                uint64_t before_cursor, uint32_t limit, index_asset_entry *entries,
                                uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size) {
    assert(index && key && entries && count && next_cursor);
    return page_query(index, STATEMENT_ASSET_HISTORY, asset_id, key, before_cursor, limit, entries,
                      read_asset_row, count, next_cursor, "the asset_history table", why, why_size);
}

index_error index_blocks(tally_index *index, uint64_t from_height, uint32_t limit, index_block_row *rows,
                         uint32_t *count, char *why, size_t why_size) {
    assert(index && rows && count);
    *count = 0;
    if (limit == 0 || limit > INDEX_BLOCKS_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: a page holds 1 to %u blocks, not %" PRIu32,
                    INDEX_BLOCKS_LIMIT_MAX, limit);
    if (from_height > INT64_MAX) return INDEX_OK;
    binding b = bind_start(index, STATEMENT_BLOCKS);
    bind_int(&b, 1, (int64_t)from_height);
    bind_int(&b, 2, limit);
    index_error error = INDEX_OK;
    for (uint32_t i = 0; i < limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "reading blocks", why, why_size);
        if (error != INDEX_OK || !row) break;
        uint8_t header_bytes[TALLY_BLOCK_HEADER_BYTES];
        index_block_row *out = &rows[i];
        memset(out, 0, sizeof *out);
        if (!column_fixed(b.statement, 0, header_bytes, sizeof header_bytes) ||
            !column_fixed(b.statement, 1, out->hash, sizeof out->hash) ||
            tally_block_header_decode(header_bytes, sizeof header_bytes, &out->header) != TALLY_CHAIN_OK) {
            error = fail_damaged("the blocks table", why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0;
    return error;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A word worth searching for holds a letter or digit (any non-ASCII byte may be
 * part of one): the tokenizer drops everything else. */
static bool is_word(const char *word, size_t length) {
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)word[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return true;
    }
    return false;
}

/*
 * Turns search text into an FTS5 query in which every word is a quoted string with
 * a prefix star ("egg"* "fresh"*): quoted, the user's bytes are only ever text, never
 * FTS5 operators, column filters or syntax. Returns the query's length; 0 when the
 * text has no word.
 */
static size_t search_query(const char *text, size_t length, char *out, size_t out_size) {
    size_t used = 0;
    size_t i = 0;
    while (i < length) {
        while (i < length && is_space(text[i])) i++;
        size_t start = i;
        while (i < length && !is_space(text[i])) i++;
        if (i == start || !is_word(text + start, i - start)) continue;
        /* Worst case: quotes doubled, two quotes, star, space, NUL. Cannot happen with
         * text of at most INDEX_SEARCH_TEXT_MAX bytes and SEARCH_QUERY_BYTES of room. */
        assert(used + 2 * (i - start) + 5 <= out_size);
        if (used + 2 * (i - start) + 5 > out_size) return 0;
        out[used++] = '"';
        for (size_t j = start; j < i; j++) {
            if (text[j] == '"') out[used++] = '"';
            out[used++] = text[j];
        }
        out[used++] = '"';
        out[used++] = '*';
        out[used++] = ' ';
    }
    if (used > 0) used--; /* the last space */
    out[used] = '\0';
    return used;
}

static bool read_match_row(sqlite3_stmt *statement, index_match *match) {
    int64_t kind, height, row;
    memset(match, 0, sizeof *match);
    bool has_key;
    if (!column_integer(statement, 0, INDEX_MATCH_MEMO, INDEX_MATCH_ALIAS, &kind) ||
        !column_optional_key(statement, 1, &has_key, &match->key) || !has_key ||
        !column_optional_key(statement, 2, &match->has_counterparty, &match->counterparty) ||
        !column_text(statement, 3, match->text, TALLY_MEMO_MAX, &match->text_length) ||
        !column_integer(statement, 4, 0, INT64_MAX, &height) ||
        !column_fixed(statement, 5, match->tx_id, TALLY_HASH_BYTES) ||
        !column_integer(statement, 6, 1, INT64_MAX, &row))
        return false;
    match->kind = (uint8_t)kind;
    match->height = (uint64_t)height;
    match->cursor = (uint64_t)row;
    return true;
}

index_error index_search(tally_index *index, uint32_t network_id, const char *text, size_t text_length,
                         uint32_t limit, index_match *matches, uint32_t *count, char *why, size_t why_size) {
    return index_search_page(index, network_id, text, text_length, 0, limit, matches, count, NULL, why, why_size);
}

index_error index_search_page(tally_index *index, uint32_t network_id, const char *text, size_t text_length,
                              uint64_t before_cursor, uint32_t limit, index_match *matches, uint32_t *count,
                              uint64_t *next_cursor, char *why, size_t why_size) {
    assert(index && (text || text_length == 0) && matches && count);
    *count = 0;
    if (next_cursor) *next_cursor = 0;
    if (limit == 0 || limit > INDEX_SEARCH_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size,
                    "index: a search returns 1 to %u matches, not %" PRIu32, INDEX_SEARCH_LIMIT_MAX, limit);
    if (text_length > INDEX_SEARCH_TEXT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: search text is at most %u bytes, not %zu",
                    INDEX_SEARCH_TEXT_MAX, text_length);
    char query[SEARCH_QUERY_BYTES];
    size_t query_length = search_query(text, text_length, query, sizeof query);
    if (query_length == 0) return INDEX_OK;
    binding b = bind_start(index, STATEMENT_SEARCH);
    bind_text(&b, 1, query, query_length);
    bind_int(&b, 2, network_id);
    bind_int(&b, 3, limit);
    bind_int(&b, 4, before_cursor == 0 || before_cursor > INT64_MAX ? INT64_MAX : (int64_t)before_cursor);
    index_error error = INDEX_OK;
    for (uint32_t i = 0; i < limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "searching", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (!read_match_row(b.statement, &matches[i])) {
            error = fail_damaged("the search table", why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0;
    /* a full page may have older matches: its last cursor goes on from there */
    if (error == INDEX_OK && next_cursor && *count == limit) *next_cursor = matches[limit - 1].cursor;
    return error;
}
