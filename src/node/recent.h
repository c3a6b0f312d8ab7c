/*
 * recent.h: a bounded table of what the node saw recently, keyed by 32-byte ids that
 * clients choose (transaction ids; digests of an id with its signature). Two
 * generations of a fixed-size open-addressing table: when the current one is half
 * full it becomes the previous one and a cleared one takes its place, so memory is
 * fixed and at least the last slot_count / 2 entries are always found.
 *
 * Whoever submits a transaction chooses its id, and can grind ids that share their
 * first bytes in a few hundred hashes each. So an id's slot is not read from its
 * bytes: it is SipHash-2-4 (libsodium's crypto_shorthash) of the id under a key
 * drawn at random when the table is made, which nobody outside the process knows.
 * Every probe sequence is bounded as well (RECENT_PROBES_MAX): an insertion that
 * finds no room within it starts a new generation and a lookup stops there, so no
 * call walks more than RECENT_PROBES_MAX slots of each generation. Not thread-safe.
 */
#ifndef TALLY_NODE_RECENT_H
#define TALLY_NODE_RECENT_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"

#define RECENT_ID_BYTES 32u
#define RECENT_PROBES_MAX 256u
#define RECENT_HASH_KEY_BYTES 16u /* crypto_shorthash_KEYBYTES */

typedef struct {
    uint8_t *slots; /* slot_count slots of `stride` bytes */
    uint32_t used;
} recent_generation;

typedef struct {
    uint32_t slot_count; /* a power of two */
    uint32_t stride;     /* bytes per slot: the id, a used flag, the value */
    uint32_t value_size;
    recent_generation current, previous;
    uint8_t hash_key[RECENT_HASH_KEY_BYTES];
    uint32_t probe_longest; /* the most slots one call examined in one generation */
    uint64_t generations;   /* generations started after the first */
} recent_table;

/* A table of slot_count slots (a power of two, at least 64) per generation, each
 * holding a value of value_size bytes, with a fresh random hash key. false when out
 * of memory. */
TALLY_MUST_CHECK bool recent_init(recent_table *table, uint32_t slot_count, uint32_t value_size);
void recent_free(recent_table *table);

/* The value stored for id (the current generation's when both hold it), or NULL. */
void *recent_get(recent_table *table, const uint8_t id[RECENT_ID_BYTES]);
/* The value for id in the current generation: the one there, or a new zeroed one
 * (which may start a new generation first). Never NULL. */
void *recent_put(recent_table *table, const uint8_t id[RECENT_ID_BYTES]);

/* The same with id's home slot computed once (recent_home: the SipHash of id under
 * the table's key, which never changes), for a caller that looks one id up several
 * times: the node hashed each transaction id four times on its way to a block.
 * `home` must be recent_home(table, id). */
uint32_t recent_home(const recent_table *table, const uint8_t id[RECENT_ID_BYTES]);
void *recent_get_at(recent_table *table, uint32_t home, const uint8_t id[RECENT_ID_BYTES]);
void *recent_put_at(recent_table *table, uint32_t home, const uint8_t id[RECENT_ID_BYTES]);

#endif
