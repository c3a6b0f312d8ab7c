/*
 * index_health.c: the history of each network's health periods in the index (table
 * `health`; see index.h). The chain keeps only a network's last completed period in
 * its record; the index keeps them all, for the dashboard, `tally network health
 * --history` and the simulator. The figures are stored as one BLOB of the twenty
 * fields of tally_health in its declaration order, each a little-endian i64; the
 * pool's three parts (when given) as another of three, primary, buffer, excess.
 */
#include "node/index_internal.h"

#include <string.h>

#define HEALTH_FIELDS 20
#define HEALTH_FIGURES_BYTES (HEALTH_FIELDS * 8)
#define HEALTH_POOL_BYTES (3 * 8)

static void put_i64(uint8_t *out, int64_t value) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)value >> (8 * i));
}

static int64_t get_i64(const uint8_t *in) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)in[i] << (8 * i);
    return (int64_t)x;
}

/* The fields of a record, in order, as int64s (the u32 ones widened). */
static void health_fields(const tally_health *h, int64_t out[HEALTH_FIELDS]) {
    const int64_t fields[HEALTH_FIELDS] = {
        h->period,      h->started_at,    h->ended_at,     h->supply,           h->debt,
        h->member_debt, h->limits,        h->utilisation_bps, h->volume,        h->velocity_bps,
        h->debt_at_start, h->written_off, h->default_rate_bps, h->lost_debt,    h->rtd_bps,
        h->largest_debt, h->concentration_bps, h->active_members, h->exposure,  h->owed};
    memcpy(out, fields, sizeof fields);
}

static void encode_figures(const tally_health *h, uint8_t out[HEALTH_FIGURES_BYTES]) {
    int64_t fields[HEALTH_FIELDS];
    health_fields(h, fields);
    for (int f = 0; f < HEALTH_FIELDS; f++) put_i64(out + 8 * f, fields[f]);
}

/* false when a field is out of its type's range (a damaged row). */
static bool decode_figures(const uint8_t in[HEALTH_FIGURES_BYTES], tally_health *h) {
    int64_t v[HEALTH_FIELDS];
    for (int f = 0; f < HEALTH_FIELDS; f++) v[f] = get_i64(in + 8 * f);
    static const int narrow[] = {0, 7, 9, 12, 16, 17}; /* the u32 fields */
    for (size_t k = 0; k < sizeof narrow / sizeof narrow[0]; k++)
        if (v[narrow[k]] < 0 || v[narrow[k]] > UINT32_MAX) return false;
    *h = (tally_health){(uint32_t)v[0], v[1], v[2], v[3], v[4], v[5], v[6], (uint32_t)v[7], v[8], (uint32_t)v[9],
                        v[10], v[11], (uint32_t)v[12], v[13], v[14], v[15], (uint32_t)v[16], (uint32_t)v[17], v[18], v[19]};
    return true;
}

index_error index_health_recorded(tally_index *index, const tally_event *event, char *why, size_t why_size) {
    if (event->amount <= 0 || event->amount > UINT32_MAX) return INDEX_OK; /* not a period: nothing to keep */
    const index_health_given *given = NULL;
    for (uint32_t i = 0; i < index->health_given_count; i++)
        if (index->health_given[i].network_id == event->network_id &&
            index->health_given[i].health.period == (uint64_t)event->amount)
            given = &index->health_given[i];
    const tally_health *figures = given ? &given->health : NULL;
    const index_health_pool *pool = given && given->pool.known ? &given->pool : NULL;
    uint8_t encoded[HEALTH_FIGURES_BYTES], pool_bytes[HEALTH_POOL_BYTES];
    binding b = bind_start(index, STATEMENT_HEALTH_PUT);
    bind_int(&b, 1, event->network_id);
    bind_int(&b, 2, event->amount);
    bind_int(&b, 3, event->time);
    bind_int(&b, 4, figures != NULL);
    if (figures) {
        encode_figures(figures, encoded);
        bind_bytes(&b, 5, encoded, sizeof encoded);
    } else {
        bind_null(&b, 5);
    }
    if (figures && pool) {
        put_i64(pool_bytes, pool->primary), put_i64(pool_bytes + 8, pool->buffer), put_i64(pool_bytes + 16, pool->excess);
        bind_bytes(&b, 6, pool_bytes, sizeof pool_bytes);
    } else {
        bind_null(&b, 6);
    }
    return run(index, &b, "writing a health period", why, why_size);
}

index_error index_add_blocks_with_health(tally_index *index, const tally_block *blocks, uint32_t count,
                                         const index_health_given *given, uint32_t given_count, char *why,
                                         size_t why_size) {
    index->health_given = given, index->health_given_count = given ? given_count : 0;
    index_error error = index_add_blocks(index, blocks, count, why, why_size);
    index->health_given = NULL, index->health_given_count = 0;
    return error;
}

index_error index_health_history(tally_index *index, uint32_t network_id, uint32_t before, uint32_t limit,
                                 index_health_row *rows, uint32_t *count, uint32_t *next_before, char *why,
                                 size_t why_size) {
    *count = 0, *next_before = 0;
    if (limit == 0 || limit > 1000)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: a page of health periods holds 1 to 1000");
    binding b = bind_start(index, STATEMENT_HEALTH_LIST);
    bind_int(&b, 1, network_id);
    bind_int(&b, 2, before ? before : (int64_t)UINT32_MAX + 1);
    bind_int(&b, 3, (int64_t)limit + 1); /* one more: is there an older one? */
    index_error error = INDEX_OK;
    bool row = false;
    uint32_t seen = 0;
    while ((error = step_row(index, &b, &row, "reading health periods", why, why_size)) == INDEX_OK && row) {
        int64_t period = 0, ended_at = 0, known = 0;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &period) ||
            !column_integer(b.statement, 1, INT64_MIN, INT64_MAX, &ended_at) ||
            !column_integer(b.statement, 2, 0, 1, &known)) {
            error = fail_damaged("the health table", why, why_size);
            break;
        }
        if (seen++ == limit) {
            *next_before = rows[limit - 1].period;
            break;
        }
        index_health_row *out = &rows[*count];
        memset(out, 0, sizeof *out);
        out->period = (uint32_t)period, out->ended_at = ended_at, out->known = known == 1;
        uint8_t figures[HEALTH_FIGURES_BYTES];
        if (out->known && (!column_fixed(b.statement, 3, figures, sizeof figures) ||
                           !decode_figures(figures, &out->health) || out->health.period != out->period)) {
            error = fail_damaged("the health table", why, why_size);
            break;
        }
        uint8_t pool[HEALTH_POOL_BYTES];
        if (out->known && sqlite3_column_type(b.statement, 4) != SQLITE_NULL) {
            if (!column_fixed(b.statement, 4, pool, sizeof pool) || get_i64(pool) < 0 || get_i64(pool + 8) < 0 ||
                get_i64(pool + 16) < 0) {
                error = fail_damaged("the health table", why, why_size);
                break;
            }
            out->pool = (index_health_pool){true, get_i64(pool), get_i64(pool + 8), get_i64(pool + 16)};
        }
        (*count)++;
    }
    sqlite3_reset(b.statement);
    return error;
}
