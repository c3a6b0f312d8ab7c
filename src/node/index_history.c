/*
 * index_history.c: the index's readers: a transaction by id, an account's history in
 * a network and a key's in a reserve asset (pages, newest first, by cursor), and
 * block headers by height. Every value read is checked against what the writer can
 * have written; anything else is DAMAGED.
 */
#include "node/index_internal.h"

#include <inttypes.h>

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
        !column_integer(statement, 2, 0, (int64_t)TALLY_BLOCK_TXS_MAX + TALLY_BLOCK_EVENTS_MAX - 1, &position) ||
        !column_integer(statement, 3, INT64_MIN, INT64_MAX, &head->time) ||
        !column_fixed(statement, 4, head->tx_id, TALLY_HASH_BYTES) ||
        !column_integer(statement, 5, TALLY_TX_TYPE_FIRST, UINT8_MAX, &type) ||
        (type > TALLY_TX_TYPE_LAST && !index_type_is_event((uint8_t)type)))
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

/* A hold's or request's transaction: its amount (at `column`) and the record's id
 * (the next column), as the writer puts them; both NULL (0 here) for a refused one. */
static bool column_escrow(sqlite3_stmt *statement, int column, uint32_t *id, int64_t *amount) {
    int64_t read = 0;
    *id = 0, *amount = 0;
    if (sqlite3_column_type(statement, column) == SQLITE_NULL && sqlite3_column_type(statement, column + 1) == SQLITE_NULL)
        return true;
    if (!column_integer(statement, column, 0, INT64_MAX, amount) ||
        !column_integer(statement, column + 1, 1, UINT32_MAX, &read))
        return false;
    *id = (uint32_t)read;
    return true;
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
    if (!column_integer(statement, 11, 0, INT64_MAX, &entry->reserve) ||
        !column_integer(statement, 12, 0, INT64_MAX, &entry->shares))
        return false;
    if (index_type_is_event(head.type) &&
        (!column_integer(statement, 13, INT64_MIN, INT64_MAX, &entry->event_amount) ||
         !column_integer(statement, 14, INT64_MIN, INT64_MAX, &entry->event_time)))
        return false;
    if (index_type_is_escrow(head.type) && !column_escrow(statement, 13, &entry->escrow_id, &entry->escrow_amount))
        return false;
    if (index_type_is_market(head.type) && !column_escrow(statement, 13, &entry->market_id, &entry->market_amount))
        return false;
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

static bool read_activity_row(sqlite3_stmt *statement, index_activity_row *row) {
    memset(row, 0, sizeof *row);
    entry_head head;
    if (!read_entry_head(statement, &head) || !column_fixed(statement, 6, row->signer.bytes, TALLY_KEY_BYTES) ||
        sqlite3_column_type(statement, 7) != SQLITE_BLOB || !column_integer(statement, 8, 0, INT64_MAX, &row->fee))
        return false;
    const void *encoded = sqlite3_column_blob(statement, 7);
    int length = sqlite3_column_bytes(statement, 7);
    if (!encoded || length <= 0) return false;
    if (index_type_is_event(head.type)) {
        if (length != TALLY_EVENT_BYTES || !tally_event_decode(encoded, &row->event)) return false;
    } else if (tally_tx_decode(encoded, (size_t)length, &row->tx) != TALLY_OK) {
        return false;
    } else if (index_type_is_escrow(head.type) &&
               (!column_escrow(statement, 9, &row->escrow_id, &row->escrow_amount) ||
                !column_text(statement, 11, row->escrow_memo, TALLY_MEMO_MAX, &row->escrow_memo_length))) {
        tally_tx_release(&row->tx);
        return false;
    }
    row->cursor = head.cursor;
    row->height = head.height;
    row->position = head.position;
    row->time = head.time;
    memcpy(row->id, head.tx_id, sizeof head.tx_id);
    row->type = head.type;
    return true;
}

void index_activity_release(index_activity_row *rows, uint32_t count) {
    for (uint32_t i = 0; rows && i < count; i++)
        if (!index_type_is_event(rows[i].type)) tally_tx_release(&rows[i].tx);
}

/* page_query's reader for activity rows. */
static bool read_activity_entry(sqlite3_stmt *statement, void *entries, uint32_t i, uint64_t *cursor) {
    index_activity_row *row = &((index_activity_row *)entries)[i];
    if (!read_activity_row(statement, row)) return false;
    *cursor = row->cursor;
    return true;
}

index_error index_activity(tally_index *index, uint32_t network_id, uint64_t before_cursor, uint32_t limit,
                           index_activity_row *rows, uint32_t *count, uint64_t *next_cursor, char *why,
                           size_t why_size) {
    assert(index && rows && count && next_cursor);
    /* Zeroed, so that rows decoded before a failure can be released with the rest. */
    if (limit <= INDEX_HISTORY_LIMIT_MAX) memset(rows, 0, (size_t)limit * sizeof *rows);
    index_error error = page_query(index, STATEMENT_ACTIVITY, network_id, NULL, before_cursor, limit, rows,
                                   read_activity_entry, count, next_cursor, "the txs table", why, why_size);
    if (error != INDEX_OK && limit <= INDEX_HISTORY_LIMIT_MAX) index_activity_release(rows, limit);
    return error;
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
