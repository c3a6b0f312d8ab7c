/*
 * commitment.c: the state's root, one Merkle tree per table over the records'
 * canonical bytes (tally.h, "The state commitment"), kept level by level so that a
 * commit rehashes only the records touched since the last one and the nodes above
 * them: a block costs what it changed times the log of the table, not the size of
 * the state. tally_state_hash computes the same root from scratch, by a separate
 * path, so that tests and `verify --full` can hold one against the other; proofs
 * are read off the kept levels.
 *
 * Marking is the core's discipline, not a guess: every accessor that hands out a
 * writable record (ledger_member, ledger_network, ledger_holding_get, ...) and every
 * append marks it, so a record a transaction reads to refuse it is rehashed too
 * (harmless), and one it changes is never missed.
 */
#include "core/ledger.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char state_domain[] = "tally-state-v1";

/* ---- hashing: the construction of the block's Merkle roots (tally_chain.h) ---- */

static void hash_leaf(const tally_state *state, tally_table table, uint32_t index, uint8_t out[TALLY_HASH_BYTES]) {
    uint8_t bytes[2 + TALLY_RECORD_MAX];
    bytes[0] = 0x00;
    bytes[1] = (uint8_t)table;
    size_t length = ledger_record_encode(state, table, index, bytes + 2, TALLY_RECORD_MAX);
    assert(length > 0);
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, 2 + length, NULL, 0);
}

static void hash_node(const uint8_t left[TALLY_HASH_BYTES], const uint8_t right[TALLY_HASH_BYTES],
                      uint8_t out[TALLY_HASH_BYTES]) {
    uint8_t bytes[1 + 2 * TALLY_HASH_BYTES];
    bytes[0] = 0x01;
    memcpy(bytes + 1, left, TALLY_HASH_BYTES);
    memcpy(bytes + 1 + TALLY_HASH_BYTES, right, TALLY_HASH_BYTES);
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, sizeof bytes, NULL, 0);
}

/* The state root from the tables' counts and roots. */
static void state_root(const tally_state *state, const uint32_t counts[TALLY_TABLE_COUNT],
                       const uint8_t roots[TALLY_TABLE_COUNT][TALLY_HASH_BYTES], uint8_t out[TALLY_HASH_BYTES]) {
    uint8_t rules[TALLY_RULES_BYTES_MAX];
    size_t rules_length = ledger_rules_encode(&state->rules, rules, sizeof rules);
    assert(rules_length > 0);
    crypto_generichash_state hash;
    crypto_generichash_init(&hash, NULL, 0, TALLY_HASH_BYTES);
    crypto_generichash_update(&hash, (const uint8_t *)state_domain, sizeof state_domain - 1);
    crypto_generichash_update(&hash, state->chain_id, TALLY_CHAIN_ID_BYTES);
    crypto_generichash_update(&hash, rules, rules_length);
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        uint8_t count[4];
        for (int i = 0; i < 4; i++) count[i] = (uint8_t)(counts[t] >> (8 * i));
        crypto_generichash_update(&hash, count, sizeof count);
        crypto_generichash_update(&hash, roots[t], TALLY_HASH_BYTES);
    }
    crypto_generichash_final(&hash, out, TALLY_HASH_BYTES);
}

/* ---- marking ---- */

static bool marks_grow(ledger_marks *marks, uint32_t capacity) {
    if (capacity <= marks->capacity) return true;
    uint32_t *list = realloc(marks->list, (size_t)capacity * sizeof *list);
    if (!list) return false;
    marks->list = list;
    size_t old_words = ((size_t)marks->capacity + 63) / 64, words = ((size_t)capacity + 63) / 64;
    uint64_t *bits = realloc(marks->bits, words * sizeof *bits);
    if (!bits) return false;
    memset(bits + old_words, 0, (words - old_words) * sizeof *bits);
    marks->bits = bits;
    marks->capacity = capacity;
    return true;
}

bool ledger_marks_reserve(tally_state *state) {
    const uint32_t capacities[TALLY_TABLE_COUNT] = {state->network_capacity, state->asset_capacity,
                                                    state->member_capacity, state->account_capacity,
                                                    state->holding_capacity, state->pending_capacity,
                                                    state->request_capacity, state->gateway_capacity,
                                                    state->stake_capacity, state->proposal_capacity,
                                                    state->vote_capacity, state->listing_capacity,
                                                    state->order_capacity};
    for (int t = 0; t < TALLY_TABLE_COUNT; t++)
        if (!marks_grow(&state->trees[t].dirty, capacities[t]) ||
            !marks_grow(&state->checker.touched[t], capacities[t]))
            return false;
    return true;
}

void ledger_marks_add(ledger_marks *marks, uint32_t index) {
    assert(index < marks->capacity);
    uint64_t bit = (uint64_t)1 << (index % 64);
    if (marks->bits[index / 64] & bit) return;
    marks->bits[index / 64] |= bit;
    marks->list[marks->count++] = index;
}

void ledger_marks_clear(ledger_marks *marks) {
    for (uint32_t i = 0; i < marks->count; i++) marks->bits[marks->list[i] / 64] = 0;
    marks->count = 0;
}

static void marks_free(ledger_marks *marks) {
    free(marks->list);
    free(marks->bits);
    memset(marks, 0, sizeof *marks);
}

void ledger_touch(const tally_state *state, tally_table table, uint32_t index) {
    /* The trees and the checker's aggregates are the state's derived caches: marking
     * changes no record, so the accessors that mark may take the state as they always did. */
    tally_state *cache = (tally_state *)(uintptr_t)state;
    if (!cache->trees[table].all_dirty) ledger_marks_add(&cache->trees[table].dirty, index);
    if (cache->checker.kept) ledger_marks_add(&cache->checker.touched[table], index);
}

void ledger_trees_free(tally_state *state) {
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        ledger_tree *tree = &state->trees[t];
        for (int level = 0; level < LEDGER_TREE_LEVELS; level++) free(tree->levels[level]);
        marks_free(&tree->dirty);
        memset(tree, 0, sizeof *tree);
    }
}

void ledger_checker_free(ledger_checker *checker) {
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) marks_free(&checker->touched[t]);
    free(checker->members);
    free(checker->holdings);
    free(checker->pendings);
    free(checker->requests);
    free(checker->networks);
    free(checker->asset_sums);
    memset(checker, 0, sizeof *checker);
}

/* ---- committing ---- */

static uint32_t level_size(uint32_t leaves, int level) {
    uint64_t size = leaves;
    for (int i = 0; i < level; i++) size = (size + 1) / 2;
    return (uint32_t)size;
}

static bool levels_reserve(ledger_tree *tree, uint32_t leaves) {
    for (int level = 0; level < LEDGER_TREE_LEVELS; level++) {
        uint32_t size = level_size(leaves, level);
        if (size <= tree->level_capacity[level]) {
            if (size <= 1) break;
            continue;
        }
        uint32_t capacity = tree->level_capacity[level] ? tree->level_capacity[level] : 16;
        while (capacity < size) capacity = capacity > UINT32_MAX / 2 ? size : capacity * 2;
        void *grown = realloc(tree->levels[level], (size_t)capacity * TALLY_HASH_BYTES);
        if (!grown) return false;
        tree->levels[level] = grown;
        tree->level_capacity[level] = capacity;
        if (size <= 1) break;
    }
    return true;
}

static int compare_index(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Node j of level+1 from level's nodes 2j and 2j + 1 (or 2j alone, promoted). */
static void rehash_parent(ledger_tree *tree, int level, uint32_t size, uint32_t parent) {
    uint32_t left = 2 * parent;
    if (left + 1 < size) hash_node(tree->levels[level][left], tree->levels[level][left + 1], tree->levels[level + 1][parent]);
    else memcpy(tree->levels[level + 1][parent], tree->levels[level][left], TALLY_HASH_BYTES);
}

/* Brings one table's tree to its records: the touched leaves, then, level by level,
 * the parents of what changed below (the dirty list, sorted, becomes the list of
 * changed nodes of each level in turn). */
static bool commit_tree(tally_state *state, tally_table table) {
    ledger_tree *tree = &state->trees[table];
    uint32_t leaves = ledger_table_count(state, table);
    if (!tree->all_dirty && tree->dirty.count == 0 && tree->leaves == leaves) return true;
    if (!levels_reserve(tree, leaves)) return false;
    /* Appends mark their record; a record the tree has not seen is hashed anyway. */
    for (uint32_t i = tree->leaves; !tree->all_dirty && i < leaves; i++) ledger_marks_add(&tree->dirty, i);
    uint32_t *changed = tree->dirty.list, count = tree->dirty.count;
    for (uint32_t i = 0; i < count; i++) tree->dirty.bits[changed[i] / 64] = 0;
    if (tree->all_dirty || count == leaves) {
        for (uint32_t i = 0; i < leaves; i++) hash_leaf(state, table, i, tree->levels[0][i]);
        for (int level = 0; level + 1 < LEDGER_TREE_LEVELS; level++) {
            uint32_t size = level_size(leaves, level);
            if (size <= 1) break;
            for (uint32_t parent = 0; parent < (size + 1) / 2; parent++) rehash_parent(tree, level, size, parent);
        }
    } else {
        qsort(changed, count, sizeof *changed, compare_index);
        for (uint32_t i = 0; i < count; i++) hash_leaf(state, table, changed[i], tree->levels[0][changed[i]]);
        for (int level = 0; level + 1 < LEDGER_TREE_LEVELS && count > 0; level++) {
            uint32_t size = level_size(leaves, level);
            if (size <= 1) break;
            uint32_t parents = 0;
            for (uint32_t i = 0; i < count; i++) {
                uint32_t parent = changed[i] / 2;
                if (parents > 0 && changed[parents - 1] == parent) continue;
                changed[parents++] = parent; /* in place: a parent is never ahead of the index read */
            }
            for (uint32_t i = 0; i < parents; i++) rehash_parent(tree, level, size, changed[i]);
            count = parents;
        }
    }
    tree->dirty.count = 0;
    tree->all_dirty = false;
    tree->leaves = leaves;
    return true;
}

static void tree_root(const ledger_tree *tree, uint8_t out[TALLY_HASH_BYTES]) {
    if (tree->leaves == 0) {
        memset(out, 0, TALLY_HASH_BYTES);
        return;
    }
    int level = 0;
    while (level_size(tree->leaves, level) > 1) level++;
    memcpy(out, tree->levels[level][0], TALLY_HASH_BYTES);
}

bool tally_state_commit(tally_state *state, uint8_t root[TALLY_HASH_BYTES]) {
    uint32_t counts[TALLY_TABLE_COUNT];
    uint8_t roots[TALLY_TABLE_COUNT][TALLY_HASH_BYTES];
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        if (!commit_tree(state, (tally_table)t)) return false;
        counts[t] = state->trees[t].leaves;
        tree_root(&state->trees[t], roots[t]);
    }
    state_root(state, counts, roots, state->committed_root);
    memcpy(root, state->committed_root, TALLY_HASH_BYTES);
    return true;
}

/* ---- the same root from scratch ---- */

/* One table's root from its records alone, level by level in a scratch array. */
static bool full_table_root(const tally_state *state, tally_table table, uint8_t out[TALLY_HASH_BYTES]) {
    uint32_t size = ledger_table_count(state, table);
    if (size == 0) {
        memset(out, 0, TALLY_HASH_BYTES);
        return true;
    }
    uint8_t(*nodes)[TALLY_HASH_BYTES] = malloc((size_t)size * TALLY_HASH_BYTES);
    if (!nodes) return false;
    for (uint32_t i = 0; i < size; i++) hash_leaf(state, table, i, nodes[i]);
    while (size > 1) {
        uint32_t next = 0;
        for (uint32_t i = 0; i < size; i += 2, next++) {
            if (i + 1 < size) hash_node(nodes[i], nodes[i + 1], nodes[next]);
            else memmove(nodes[next], nodes[i], TALLY_HASH_BYTES);
        }
        size = next;
    }
    memcpy(out, nodes[0], TALLY_HASH_BYTES);
    free(nodes);
    return true;
}

bool tally_state_hash(const tally_state *state, uint8_t root[TALLY_HASH_BYTES]) {
    uint32_t counts[TALLY_TABLE_COUNT];
    uint8_t roots[TALLY_TABLE_COUNT][TALLY_HASH_BYTES];
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        counts[t] = ledger_table_count(state, (tally_table)t);
        if (!full_table_root(state, (tally_table)t, roots[t])) return false;
    }
    state_root(state, counts, roots, root);
    return true;
}

/* ---- proofs ---- */

bool tally_state_prove(const tally_state *state, tally_table table, uint32_t index, tally_state_proof *proof) {
    if ((unsigned)table >= TALLY_TABLE_COUNT) return false;
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        const ledger_tree *tree = &state->trees[t];
        /* Only against the last commit: the kept levels are its, the records now. */
        if (tree->all_dirty || tree->dirty.count > 0 || tree->leaves != ledger_table_count(state, (tally_table)t))
            return false;
    }
    const ledger_tree *tree = &state->trees[table];
    if (index >= tree->leaves) return false;
    memset(proof, 0, sizeof *proof);
    memcpy(proof->chain_id, state->chain_id, TALLY_CHAIN_ID_BYTES);
    proof->rules_length = (uint16_t)ledger_rules_encode(&state->rules, proof->rules, sizeof proof->rules);
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        proof->counts[t] = state->trees[t].leaves;
        tree_root(&state->trees[t], proof->roots[t]);
    }
    proof->table = (uint8_t)table;
    proof->index = index;
    proof->record_length = (uint16_t)ledger_record_encode(state, table, index, proof->record, sizeof proof->record);
    uint32_t position = index;
    for (int level = 0; level_size(tree->leaves, level) > 1; level++) {
        uint32_t size = level_size(tree->leaves, level), sibling = position ^ 1u;
        if (sibling < size) memcpy(proof->path[proof->path_length++], tree->levels[level][sibling], TALLY_HASH_BYTES);
        position /= 2;
    }
    return true;
}

bool tally_state_proof_root(const tally_state_proof *proof, uint8_t root[TALLY_HASH_BYTES]) {
    if (proof->table >= TALLY_TABLE_COUNT || proof->record_length == 0 || proof->record_length > TALLY_RECORD_MAX ||
        proof->rules_length == 0 || proof->rules_length > TALLY_RULES_BYTES_MAX ||
        proof->path_length > TALLY_PROOF_PATH_MAX || proof->index >= proof->counts[proof->table])
        return false;
    uint8_t bytes[2 + TALLY_RECORD_MAX], hash[TALLY_HASH_BYTES];
    bytes[0] = 0x00;
    bytes[1] = proof->table;
    memcpy(bytes + 2, proof->record, proof->record_length);
    crypto_generichash(hash, TALLY_HASH_BYTES, bytes, 2u + proof->record_length, NULL, 0);
    uint32_t position = proof->index, used = 0;
    for (uint64_t size = proof->counts[proof->table]; size > 1; size = (size + 1) / 2, position /= 2) {
        uint32_t sibling = position ^ 1u;
        if (sibling >= size) continue; /* promoted: no sibling at this level */
        if (used == proof->path_length) return false;
        if (position & 1u) hash_node(proof->path[used], hash, hash);
        else hash_node(hash, proof->path[used], hash);
        used++;
    }
    if (used != proof->path_length || memcmp(hash, proof->roots[proof->table], TALLY_HASH_BYTES) != 0) return false;
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, TALLY_HASH_BYTES);
    crypto_generichash_update(&state, (const uint8_t *)state_domain, sizeof state_domain - 1);
    crypto_generichash_update(&state, proof->chain_id, TALLY_CHAIN_ID_BYTES);
    crypto_generichash_update(&state, proof->rules, proof->rules_length);
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        uint8_t count[4];
        for (int i = 0; i < 4; i++) count[i] = (uint8_t)(proof->counts[t] >> (8 * i));
        crypto_generichash_update(&state, count, sizeof count);
        crypto_generichash_update(&state, proof->roots[t], TALLY_HASH_BYTES);
    }
    crypto_generichash_final(&state, root, TALLY_HASH_BYTES);
    return true;
}

/* ---- a proof's bytes ---- */

size_t tally_state_proof_encode(const tally_state_proof *proof, uint8_t *out, size_t out_size) {
    if (proof->rules_length > TALLY_RULES_BYTES_MAX || proof->record_length > TALLY_RECORD_MAX ||
        proof->path_length > TALLY_PROOF_PATH_MAX)
        return 0;
    size_t length = 1 + TALLY_CHAIN_ID_BYTES + 2 + proof->rules_length + TALLY_TABLE_COUNT * (4 + TALLY_HASH_BYTES) +
                    1 + 4 + 2 + proof->record_length + 1 + (size_t)proof->path_length * TALLY_HASH_BYTES;
    if (length > out_size) return 0;
    size_t at = 0;
    out[at++] = 1;
    memcpy(out + at, proof->chain_id, TALLY_CHAIN_ID_BYTES), at += TALLY_CHAIN_ID_BYTES;
    out[at++] = (uint8_t)proof->rules_length, out[at++] = (uint8_t)(proof->rules_length >> 8);
    memcpy(out + at, proof->rules, proof->rules_length), at += proof->rules_length;
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        for (int i = 0; i < 4; i++) out[at++] = (uint8_t)(proof->counts[t] >> (8 * i));
        memcpy(out + at, proof->roots[t], TALLY_HASH_BYTES), at += TALLY_HASH_BYTES;
    }
    out[at++] = proof->table;
    for (int i = 0; i < 4; i++) out[at++] = (uint8_t)(proof->index >> (8 * i));
    out[at++] = (uint8_t)proof->record_length, out[at++] = (uint8_t)(proof->record_length >> 8);
    memcpy(out + at, proof->record, proof->record_length), at += proof->record_length;
    out[at++] = proof->path_length;
    for (uint8_t i = 0; i < proof->path_length; i++) memcpy(out + at, proof->path[i], TALLY_HASH_BYTES), at += TALLY_HASH_BYTES;
    assert(at == length);
    return length;
}

bool tally_state_proof_decode(const uint8_t *bytes, size_t length, tally_state_proof *proof) {
    memset(proof, 0, sizeof *proof);
    size_t at = 0;
#define NEED(n)                                    \
    do {                                           \
        if (length - at < (size_t)(n)) return false; \
    } while (0)
    NEED(1 + TALLY_CHAIN_ID_BYTES + 2);
    if (bytes[at++] != 1) return false;
    memcpy(proof->chain_id, bytes + at, TALLY_CHAIN_ID_BYTES), at += TALLY_CHAIN_ID_BYTES;
    proof->rules_length = (uint16_t)(bytes[at] | bytes[at + 1] << 8), at += 2;
    if (proof->rules_length == 0 || proof->rules_length > TALLY_RULES_BYTES_MAX) return false;
    NEED(proof->rules_length);
    memcpy(proof->rules, bytes + at, proof->rules_length), at += proof->rules_length;
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        NEED(4 + TALLY_HASH_BYTES);
        proof->counts[t] = (uint32_t)bytes[at] | (uint32_t)bytes[at + 1] << 8 | (uint32_t)bytes[at + 2] << 16 |
                           (uint32_t)bytes[at + 3] << 24;
        at += 4;
        memcpy(proof->roots[t], bytes + at, TALLY_HASH_BYTES), at += TALLY_HASH_BYTES;
    }
    NEED(1 + 4 + 2);
    proof->table = bytes[at++];
    proof->index = (uint32_t)bytes[at] | (uint32_t)bytes[at + 1] << 8 | (uint32_t)bytes[at + 2] << 16 |
                   (uint32_t)bytes[at + 3] << 24;
    at += 4;
    proof->record_length = (uint16_t)(bytes[at] | bytes[at + 1] << 8), at += 2;
    if (proof->table >= TALLY_TABLE_COUNT || proof->record_length == 0 || proof->record_length > TALLY_RECORD_MAX)
        return false;
    NEED(proof->record_length + 1);
    memcpy(proof->record, bytes + at, proof->record_length), at += proof->record_length;
    proof->path_length = bytes[at++];
    if (proof->path_length > TALLY_PROOF_PATH_MAX) return false;
    NEED((size_t)proof->path_length * TALLY_HASH_BYTES);
    for (uint8_t i = 0; i < proof->path_length; i++) memcpy(proof->path[i], bytes + at, TALLY_HASH_BYTES), at += TALLY_HASH_BYTES;
#undef NEED
    return at == length;
}
