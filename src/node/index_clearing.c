/*
 * index_clearing.c: the history of clearings in the index (see index.h). A clearing
 * is a transaction like any other (table `txs`, type 39, with a partial index of its
 * own); its set-offs are read back from its encoding, which the index keeps, so
 * nothing else is stored for it.
 */
#include "node/index_internal.h"

#include <inttypes.h>
#include <string.h>

index_error index_clearings(tally_index *index, uint64_t before, uint32_t limit, index_clearing_row *rows,
                            uint32_t *count, uint64_t *next, char *why, size_t why_size) {
    assert(index && rows && count && next);
    *count = 0, *next = 0;
    if (limit == 0 || limit > INDEX_CLEARINGS_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: a page of clearings holds 1 to %u, not %" PRIu32,
                    INDEX_CLEARINGS_LIMIT_MAX, limit);
    binding b = bind_start(index, STATEMENT_CLEARINGS);
    bind_int(&b, 1, before == 0 || before > INT64_MAX ? INT64_MAX : (int64_t)before);
    bind_int(&b, 2, (int64_t)limit + 1); /* one more: is there an older one? */
    index_error error = INDEX_OK;
    bool row = false;
    uint32_t seen = 0;
    while ((error = step_row(index, &b, &row, "reading clearings", why, why_size)) == INDEX_OK && row) {
        if (seen++ == limit) {
            *next = rows[limit - 1].cursor;
            break;
        }
        index_clearing_row *out = &rows[*count];
        memset(out, 0, sizeof *out);
        int64_t seq = 0, height = 0, time = 0;
        const void *encoded = sqlite3_column_blob(b.statement, 5);
        int length = sqlite3_column_bytes(b.statement, 5);
        tally_tx tx;
        bool read = column_integer(b.statement, 0, 1, INT64_MAX, &seq) &&
                    column_integer(b.statement, 1, 0, INT64_MAX, &height) &&
                    column_integer(b.statement, 2, INT64_MIN, INT64_MAX, &time) &&
                    column_fixed(b.statement, 3, out->tx_id, TALLY_HASH_BYTES) &&
                    column_fixed(b.statement, 4, out->submitter.bytes, TALLY_KEY_BYTES) && encoded && length > 0 &&
                    (size_t)length <= TALLY_TX_ENCODED_MAX &&
                    tally_tx_decode(encoded, (size_t)length, &tx) == TALLY_OK;
        if (read && (tx.type != TALLY_TX_CLEARING || tx.body.clearing.count > TALLY_CLEARING_SETOFFS_MAX)) {
            tally_tx_release(&tx);
            read = false;
        }
        if (!read) {
            error = fail_damaged("the clearings of table txs", why, why_size);
            break;
        }
        out->cursor = (uint64_t)seq, out->height = (uint64_t)height, out->time = time;
        out->count = tx.body.clearing.count;
        memcpy(out->setoffs, tx.body.clearing.setoffs, sizeof out->setoffs);
        tally_tx_release(&tx);
        (*count)++;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0, *next = 0;
    return error;
}
