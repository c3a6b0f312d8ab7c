/*
 * recent.c: see recent.h. A slot is the id (32 bytes), a used flag, padding to 8,
 * then the value. Linear probing from SipHash-2-4(key, id); at a load of at most one
 * half the longest probe sequence of a generation of 2^18 slots is a few dozen
 * slots, so the bound of RECENT_PROBES_MAX is only reached by a table under attack
 * that somehow learnt its key, and then costs a new generation, not a long walk.
 */
#include "node/recent.h"

#include "node/huge_pages.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(RECENT_HASH_KEY_BYTES == crypto_shorthash_KEYBYTES, "the SipHash key size");

enum { USED_AT = RECENT_ID_BYTES, VALUE_AT = RECENT_ID_BYTES + 8 };

bool recent_init(recent_table *table, uint32_t slot_count, uint32_t value_size) {
    assert(slot_count >= 64 && (slot_count & (slot_count - 1)) == 0);
    memset(table, 0, sizeof *table);
    table->slot_count = slot_count;
    table->value_size = value_size;
    table->stride = VALUE_AT + ((value_size + 7u) & ~7u);
    table->current.slots = calloc(slot_count, table->stride);
    table->previous.slots = calloc(slot_count, table->stride);
    if (!table->current.slots || !table->previous.slots) {
        recent_free(table);
        return false;
    }
    huge_pages_advise(table->current.slots, (size_t)slot_count * table->stride);
    huge_pages_advise(table->previous.slots, (size_t)slot_count * table->stride);
    randombytes_buf(table->hash_key, sizeof table->hash_key);
    return true;
}

void recent_free(recent_table *table) {
    free(table->current.slots);
    free(table->previous.slots);
    sodium_memzero(table, sizeof *table);
}

uint32_t recent_home(const recent_table *table, const uint8_t id[RECENT_ID_BYTES]) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, id, RECENT_ID_BYTES, table->hash_key);
    uint64_t value;
    memcpy(&value, hash, sizeof value);
    return (uint32_t)value & (table->slot_count - 1);
}

/* The slot holding id in one generation, or (with create) the free slot where it
 * goes; NULL when neither is within RECENT_PROBES_MAX slots. */
static uint8_t *find(recent_table *table, recent_generation *generation, uint32_t home,
                     const uint8_t id[RECENT_ID_BYTES], bool create) {
    uint32_t mask = table->slot_count - 1;
    uint8_t *found = NULL;
    uint32_t probe = 0;
    while (probe < RECENT_PROBES_MAX && probe <= mask) {
        uint8_t *slot = generation->slots + (size_t)((home + probe) & mask) * table->stride;
        probe++;
        if (!slot[USED_AT]) {
            if (create) found = slot;
            break;
        }
        if (memcmp(slot, id, RECENT_ID_BYTES) == 0) {
            found = slot;
            break;
        }
    }
    if (probe > table->probe_longest) table->probe_longest = probe;
    return found;
}

static void start_generation(recent_table *table) {
    recent_generation retired = table->previous;
    table->previous = table->current;
    memset(retired.slots, 0, (size_t)table->slot_count * table->stride);
    retired.used = 0;
    table->current = retired;
    table->generations++;
}

void *recent_get(recent_table *table, const uint8_t id[RECENT_ID_BYTES]) {
    return recent_get_at(table, recent_home(table, id), id);
}

void *recent_get_at(recent_table *table, uint32_t home, const uint8_t id[RECENT_ID_BYTES]) {
    assert(home < table->slot_count);
    uint8_t *slot = find(table, &table->current, home, id, false);
    if (!slot) slot = find(table, &table->previous, home, id, false);
    return slot ? slot + VALUE_AT : NULL;
}

void *recent_put(recent_table *table, const uint8_t id[RECENT_ID_BYTES]) {
    return recent_put_at(table, recent_home(table, id), id);
}

void *recent_put_at(recent_table *table, uint32_t home, const uint8_t id[RECENT_ID_BYTES]) {
    assert(home < table->slot_count);
    if (table->current.used >= table->slot_count / 2) start_generation(table);
    uint8_t *slot = find(table, &table->current, home, id, true);
    if (!slot) { /* no room near its home: a fresh generation has room everywhere */
        start_generation(table);
        slot = find(table, &table->current, home, id, true);
    }
    assert(slot != NULL);
    if (!slot[USED_AT]) {
        memcpy(slot, id, RECENT_ID_BYTES);
        slot[USED_AT] = 1;
        memset(slot + VALUE_AT, 0, table->value_size);
        table->current.used++;
    }
    return slot + VALUE_AT;
}
