/*
 * index_search.c: full-text search (SQLite FTS5) over transfer memos and current
 * aliases in a network. The user's text becomes a query of quoted prefix words, so
 * it is only ever data; the rows it searches are written by index_writer.c.
 */
#include "node/index_internal.h"

#include <inttypes.h>

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
size_t index_search_query(const char *text, size_t length, char *out, size_t out_size) {
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
    size_t query_length = index_search_query(text, text_length, query, sizeof query);
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
