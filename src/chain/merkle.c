/*
 * merkle.c: the binary Merkle trees behind a block's tx_root and results_root (its
 * results, then its events).
 * Leaves are BLAKE2b-256(0x00 || bytes) and inner nodes BLAKE2b-256(0x01 || left ||
 * right), so a leaf can never pass for an inner node. Each level pairs nodes left
 * to right and promotes an odd last node unchanged: duplicating it instead (as
 * Bitcoin does) would give [a, b, c] and [a, b, c, c] the same root.
 *
 * The root is computed with a stack of at most 33 subtree roots instead of a copy
 * of each level: levels paired left to right with promotion give exactly the tree
 * whose left part is the largest perfect subtree, so the perfect subtrees of the
 * binary digits of the leaf count, joined from the right, are the same root. It
 * needs no allocation, so computing a root cannot fail.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "tally_chain.h"

enum { LEAF_TAG = 0x00, NODE_TAG = 0x01 };
/* A size_t count has at most 64 binary digits: one stack entry per digit. */
#define STACK_MAX 64u

void tally_merkle_leaf(const uint8_t *bytes, size_t length, uint8_t out[TALLY_HASH_BYTES]) {
    assert(out != NULL && (bytes != NULL || length == 0));
    crypto_generichash_state state;
    const uint8_t tag = LEAF_TAG;
    crypto_generichash_init(&state, NULL, 0, TALLY_HASH_BYTES);
    crypto_generichash_update(&state, &tag, 1);
    crypto_generichash_update(&state, bytes, length);
    crypto_generichash_final(&state, out, TALLY_HASH_BYTES);
}

void tally_merkle_node(const uint8_t left[TALLY_HASH_BYTES], const uint8_t right[TALLY_HASH_BYTES],
                       uint8_t out[TALLY_HASH_BYTES]) {
    assert(left != NULL && right != NULL && out != NULL);
    uint8_t bytes[1 + 2 * TALLY_HASH_BYTES];
    bytes[0] = NODE_TAG;
    memcpy(bytes + 1, left, TALLY_HASH_BYTES);
    memcpy(bytes + 1 + TALLY_HASH_BYTES, right, TALLY_HASH_BYTES);
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, sizeof bytes, NULL, 0);
}

/* Roots of perfect subtrees over consecutive leaves, largest (leftmost) first.
 * Pushing a leaf merges equal sizes like carrying in binary addition. */
typedef struct {
    uint8_t roots[STACK_MAX][TALLY_HASH_BYTES];
    uint8_t levels[STACK_MAX]; /* a subtree of level k holds 2^k leaves */
    unsigned depth;
} merkle_stack;

static void stack_push_leaf(merkle_stack *stack, const uint8_t leaf[TALLY_HASH_BYTES]) {
    assert(stack->depth < STACK_MAX);
    memcpy(stack->roots[stack->depth], leaf, TALLY_HASH_BYTES);
    stack->levels[stack->depth] = 0;
    stack->depth++;
    while (stack->depth >= 2 &&
           stack->levels[stack->depth - 1] == stack->levels[stack->depth - 2]) {
        unsigned top = stack->depth - 1;
        tally_merkle_node(stack->roots[top - 1], stack->roots[top], stack->roots[top - 1]);
        stack->levels[top - 1]++;
        stack->depth--;
    }
}

/* Joins the remaining subtrees from the right: the smaller trailing part is the
 * promoted odd node of every level it passes through. */
static void stack_finish(merkle_stack *stack, uint8_t out[TALLY_HASH_BYTES]) {
    if (stack->depth == 0) {
        memset(out, 0, TALLY_HASH_BYTES);
        return;
    }
    uint8_t right[TALLY_HASH_BYTES];
    memcpy(right, stack->roots[stack->depth - 1], TALLY_HASH_BYTES);
    for (unsigned i = stack->depth - 1; i > 0; i--) tally_merkle_node(stack->roots[i - 1], right, right);
    memcpy(out, right, TALLY_HASH_BYTES);
}

void tally_merkle_root(const uint8_t *leaf_hashes, size_t count, uint8_t out[TALLY_HASH_BYTES]) {
    assert(out != NULL && (leaf_hashes != NULL || count == 0));
    merkle_stack stack;
    stack.depth = 0;
    for (size_t i = 0; i < count; i++) stack_push_leaf(&stack, leaf_hashes + i * TALLY_HASH_BYTES);
    stack_finish(&stack, out);
}

bool tally_block_tx_root(const tally_tx *txs, uint32_t count, uint8_t out[TALLY_HASH_BYTES]) {
    assert(out != NULL && (txs != NULL || count == 0));
    merkle_stack stack;
    stack.depth = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX], leaf[TALLY_HASH_BYTES];
        size_t length = tally_tx_encode(&txs[i], bytes, sizeof bytes);
        if (length == 0) return false;
        tally_merkle_leaf(bytes, length, leaf);
        stack_push_leaf(&stack, leaf);
    }
    stack_finish(&stack, out);
    return true;
}

void tally_block_results_root(const tally_result *results, uint32_t count, const tally_event *events,
                              uint32_t event_count, uint8_t out[TALLY_HASH_BYTES]) {
    assert(out != NULL && (results != NULL || count == 0) && (events != NULL || event_count == 0));
    merkle_stack stack;
    stack.depth = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t bytes[TALLY_RESULT_BYTES], leaf[TALLY_HASH_BYTES];
        tally_result_encode(&results[i], bytes);
        tally_merkle_leaf(bytes, sizeof bytes, leaf);
        stack_push_leaf(&stack, leaf);
    }
    /* The header's tx_count says where the results end, so an event leaf cannot pass
     * for a result's (their lengths differ too). */
    for (uint32_t i = 0; i < event_count; i++) {
        uint8_t bytes[TALLY_EVENT_BYTES], leaf[TALLY_HASH_BYTES];
        tally_event_encode(&events[i], bytes);
        tally_merkle_leaf(bytes, sizeof bytes, leaf);
        stack_push_leaf(&stack, leaf);
    }
    stack_finish(&stack, out);
}
