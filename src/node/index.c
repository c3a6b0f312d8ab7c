/*
 * index.c: the node's query index (see index.h), its opening: the schema and its
 * version, preparing the statements (listed in index_internal.h), the connection's
 * settings, the cached tip, transactions, and the error names. Turning blocks into
 * entries, the queries and the search are in index_entries.c, index_writer.c,
 * index_history.c, index_search.c and index_market.c. Every SQLite return code is checked; a failure
 * inside a block's transaction rolls it back and reloads the cached tip from the
 * database, so the cache never runs ahead of what is committed.
 */
#include "node/index_internal.h"

#include <inttypes.h>
#include <stdlib.h>

/* "TLYX" as the decimal PRAGMA application_id wants. */
#define APPLICATION_ID_DECIMAL 1414289752
_Static_assert(APPLICATION_ID_DECIMAL == INDEX_APPLICATION_ID, "application id");

/* The connection's page cache, and the WAL size (in 4 KiB pages) that triggers a
 * checkpoint. */
#define CACHE_KIB 32768
#define WAL_CHECKPOINT_PAGES 10000

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
    "  available INTEGER NOT NULL,"
    /* An event of a block's end (type INDEX_EVENT_TYPE_BASE + kind) has a row here
     * too, after the block's transactions: its figures. A transaction about a hold
     * or a payment request (PENDING_*, REQUEST_*) has the same two, as the events
     * of holds and requests carry them: its amount (held, posted or asked) and the
     * record's id in event_time. NULL for every other transaction. */
    "  event_amount INTEGER,"
    "  event_time INTEGER);"
    /* A network's activity, newest first: one range of this index. */
    "CREATE INDEX txs_by_network ON txs(network_id, seq);"
    /* the clearings (type 39) only: the dashboard's history of them costs other
     * transactions nothing */
    "CREATE INDEX txs_clearings ON txs(seq) WHERE type = 39;"
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
    /* Each pending transfer as made (its id is the core's): where its post, void and
     * timeout go, what they move, and its status (tally_pending_status) as the blocks
     * tell it, for listings. */
    "CREATE TABLE holds(id INTEGER PRIMARY KEY, network_id INTEGER NOT NULL, payer BLOB NOT NULL,"
    "  payee BLOB NOT NULL, resolver BLOB, amount INTEGER NOT NULL, fee INTEGER NOT NULL,"
    "  status INTEGER NOT NULL);"
    "CREATE INDEX holds_by_payer ON holds(network_id, payer, id);"
    "CREATE INDEX holds_by_payee ON holds(network_id, payee, id);"
    "CREATE INDEX holds_by_resolver ON holds(network_id, resolver, id);"
    /* What is pending in for a payee (an account's view asks it): its open holds only. */
    "CREATE INDEX holds_open_by_payee ON holds(network_id, payee) WHERE status = 0;"
    /* Each payment request as made: its memo, where its payment goes, its status
     * (tally_request_status). payer NULL: any member may pay it. */
    /* Each gateway as proposed (its id is the core's): where its accept and close go,
     * and the networks a cross payment's path reaches. */
    "CREATE TABLE gateways(id INTEGER PRIMARY KEY, network_a INTEGER NOT NULL, network_b INTEGER NOT NULL);"
    /* Each proposal as made (its id is the core's): where its votes and cancel go. */
    "CREATE TABLE proposals(id INTEGER PRIMARY KEY, network_id INTEGER NOT NULL);"
    /* Each network's health periods as they ended (index_health.c): figures NULL when
     * they were not given to the index (known 0); pool NULL when its parts were not. */
    "CREATE TABLE health(network_id INTEGER NOT NULL, period INTEGER NOT NULL, ended_at INTEGER NOT NULL,"
    "  known INTEGER NOT NULL, figures BLOB, pool BLOB, PRIMARY KEY(network_id, period)) WITHOUT ROWID;"
    "CREATE TABLE requests(id INTEGER PRIMARY KEY, network_id INTEGER NOT NULL, payee BLOB NOT NULL,"
    "  payer BLOB, amount INTEGER NOT NULL, memo TEXT NOT NULL, status INTEGER NOT NULL);"
    "CREATE INDEX requests_by_payee ON requests(network_id, payee, id);"
    "CREATE INDEX requests_by_payer ON requests(network_id, payer, id);"
    /* The search row of each member's current alias. */
    "CREATE TABLE aliases("
    "  network_id INTEGER NOT NULL,"
    "  member BLOB NOT NULL,"
    "  search_row INTEGER NOT NULL,"
    "  PRIMARY KEY(network_id, member)) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE search USING fts5("
    "  text, kind UNINDEXED, network_id UNINDEXED, tx UNINDEXED, key UNINDEXED,"
    "  counterparty UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
    /* The marketplace (index_market.c): the names of categories as the last
     * CATEGORY_SET gave them; each listing as last published with its status as the
     * blocks tell it (the state has its units left and sold) and its texts
     * searchable (rowid: the listing's id); each order with its hold and memo, its
     * steps (a row of txs each: a transaction or an event) and its status; reviews. */
    "CREATE TABLE categories(network_id INTEGER NOT NULL, category INTEGER NOT NULL, name TEXT NOT NULL,"
    "  PRIMARY KEY(network_id, category)) WITHOUT ROWID;"
    "CREATE TABLE listings(id INTEGER PRIMARY KEY, network_id INTEGER NOT NULL, seller BLOB NOT NULL,"
    "  kind INTEGER NOT NULL, category INTEGER NOT NULL, price INTEGER NOT NULL, quantity INTEGER NOT NULL,"
    "  title TEXT NOT NULL, text TEXT NOT NULL, image_hash BLOB, image_url TEXT, status INTEGER NOT NULL,"
    "  expiry INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  revision INTEGER NOT NULL);"
    "CREATE INDEX listings_by_network ON listings(network_id, status, id);"
    "CREATE INDEX listings_by_seller ON listings(network_id, seller, id);"
    "CREATE INDEX listings_by_price ON listings(network_id, price, id);"
    "CREATE VIRTUAL TABLE listing_search USING fts5(title, text, tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE TABLE orders(id INTEGER PRIMARY KEY, listing_id INTEGER NOT NULL, network_id INTEGER NOT NULL,"
    "  buyer BLOB NOT NULL, seller BLOB NOT NULL, hold_id INTEGER NOT NULL, quantity INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL, fee INTEGER NOT NULL, status INTEGER NOT NULL, memo TEXT NOT NULL);"
    "CREATE INDEX orders_by_buyer ON orders(network_id, buyer, id);"
    "CREATE INDEX orders_by_seller ON orders(network_id, seller, id);"
    "CREATE TABLE order_steps(order_id INTEGER NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL, memo TEXT, PRIMARY KEY(order_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE reviews(order_id INTEGER NOT NULL, by_buyer INTEGER NOT NULL, network_id INTEGER NOT NULL,"
    "  listing_id INTEGER NOT NULL, reviewer BLOB NOT NULL, reviewed BLOB NOT NULL, rating INTEGER NOT NULL,"
    "  text TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(order_id, by_buyer)) WITHOUT ROWID;"
    "CREATE INDEX reviews_of ON reviews(network_id, reviewed, seq);"
    "CREATE INDEX reviews_by_listing ON reviews(listing_id, by_buyer, seq);"
    "PRAGMA application_id = " STRINGIFY(APPLICATION_ID_DECIMAL) ";"
    "PRAGMA user_version = " STRINGIFY(INDEX_SCHEMA_VERSION) ";"
    "COMMIT;";

static const char *const statement_sql[STATEMENT_COUNT] = {
#define INDEX_STATEMENT_SQL(name, sql) sql,
    INDEX_STATEMENTS(INDEX_STATEMENT_SQL)
#undef INDEX_STATEMENT_SQL
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

index_error index_load_tip(tally_index *index, char *why, size_t why_size) {
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
    if (error == INDEX_OK) error = index_load_tip(index, why, why_size);
    return error;
}

/* Empties the index and creates the current schema: used for another version and
 * by rebuild. */
index_error index_schema_recreate(tally_index *index, char *why, size_t why_size) {
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
    if (version != INDEX_SCHEMA_VERSION) return index_schema_recreate(index, why, why_size);
    error = statements_prepare(index, why, why_size);
    if (error == INDEX_OK) error = index_load_tip(index, why, why_size);
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
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX; /* index.h: one user at a time */
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

index_error index_transaction_begin(tally_index *index, char *why, size_t why_size) {
    assert(!index->in_transaction);
    binding b = bind_start(index, STATEMENT_BEGIN);
    index_error error = run(index, &b, "beginning a transaction", why, why_size);
    index->in_transaction = error == INDEX_OK;
    return error;
}

/* Undoes the open transaction and reloads the cached tip from what is committed. */
void index_transaction_rollback(tally_index *index) {
    if (!sqlite3_get_autocommit(index->db)) {
        binding b = bind_start(index, STATEMENT_ROLLBACK);
        char ignored[INDEX_WHY_BYTES];
        (void)run(index, &b, "rolling back", ignored, sizeof ignored);
    }
    index->in_transaction = false;
    char ignored[INDEX_WHY_BYTES];
    index->failed = index_load_tip(index, ignored, sizeof ignored) != INDEX_OK;
}

index_error index_transaction_commit(tally_index *index, char *why, size_t why_size) {
    assert(index->in_transaction);
    binding b = bind_start(index, STATEMENT_COMMIT);
    index_error error = run(index, &b, "committing", why, why_size);
    if (error != INDEX_OK) index_transaction_rollback(index);
    index->in_transaction = false;
    return error;
}
