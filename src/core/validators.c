/*
 * validators.c: the chain's validator set, and how the validators change it
 * themselves (docs/VALIDATORS.md "Changing the validator set").
 *
 * The genesis names the first validators. After it the set is a roster of at most
 * TALLY_VALIDATORS_MAX slots: a change appends new keys to free slots and retires
 * slots, and a slot is never reused or reordered. Everything that refers to a
 * validator by its slot (co-signatures, the etcd keys of the ordering layer) keeps
 * meaning the same key for the chain's whole life, and a retired key, which could
 * still sign, never counts again.
 *
 * An active validator proposes a change (VALIDATOR_PROPOSE); active validators approve
 * it (VALIDATOR_APPROVE); the transaction that brings its approvals to a quorum of the
 * active set (n / 2 + 1, the proposer's own included) applies it, so that the next
 * block is checked against the new set. One change is open at a time, so approvals
 * are never split between rival changes; its proposer may replace it (approvals start
 * over), and it lapses unapproved TALLY_VALIDATOR_CHANGE_SECONDS after its proposal
 * (a lapsed change is simply no longer open: nothing is due at a block end).
 */
#include "core/ledger.h"

#include <string.h>

bool tally_chain_rules_is_active(const tally_chain_rules *rules, uint8_t slot) {
    return slot < rules->validator_count && slot < TALLY_VALIDATORS_MAX && (rules->retired >> slot & 1u) == 0;
}

uint8_t tally_chain_rules_active_count(const tally_chain_rules *rules) {
    uint8_t count = 0;
    for (uint8_t i = 0; i < rules->validator_count && i < TALLY_VALIDATORS_MAX; i++)
        count += tally_chain_rules_is_active(rules, i) ? 1 : 0;
    return count;
}

static uint8_t bits_set(uint16_t bits) {
    uint8_t count = 0;
    for (; bits != 0; bits &= (uint16_t)(bits - 1)) count++;
    return count;
}

/* The slots of the active validators, as bits. */
static uint16_t active_slots(const tally_chain_rules *rules) {
    uint16_t slots = 0;
    for (uint8_t i = 0; i < rules->validator_count && i < TALLY_VALIDATORS_MAX; i++)
        if (tally_chain_rules_is_active(rules, i)) slots |= (uint16_t)(1u << i);
    return slots;
}

/* The slot of an active validator's key, or -1. */
int validators_active_slot(const tally_chain_rules *rules, const tally_key *key) {
    for (uint8_t i = 0; i < rules->validator_count && i < TALLY_VALIDATORS_MAX; i++)
        if (tally_chain_rules_is_active(rules, i) && memcmp(rules->validators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            return i;
    return -1;
}

static bool in_roster(const tally_chain_rules *rules, const tally_key *key) {
    for (uint8_t i = 0; i < rules->validator_count && i < TALLY_VALIDATORS_MAX; i++)
        if (memcmp(rules->validators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return true;
    return false;
}

/* Whether a change may apply to the roster as it is: new keys that fit and were never
 * validators, retirements of active slots only, at least one validator left, and some
 * change at all. */
static bool change_fits(const tally_chain_rules *rules, uint8_t add_count, const tally_key *add, uint32_t retire) {
    if (add_count == 0 && retire == 0) return false;
    if (add_count > TALLY_VALIDATORS_MAX - rules->validator_count) return false;
    uint16_t active = active_slots(rules);
    if ((retire & ~(uint32_t)active) != 0) return false;
    if (bits_set(active) - bits_set((uint16_t)retire) + add_count == 0) return false;
    for (uint8_t i = 0; i < add_count; i++) {
        if (tally_key_is_system(&add[i]) || in_roster(rules, &add[i])) return false;
        for (uint8_t j = 0; j < i; j++)
            if (memcmp(add[i].bytes, add[j].bytes, TALLY_KEY_BYTES) == 0) return false;
    }
    return true;
}

bool validators_rules_are_valid(const tally_chain_rules *rules) {
    if (rules->validator_count > TALLY_VALIDATORS_MAX || (rules->retired >> rules->validator_count) != 0) return false;
    if (rules->validator_count > 0 && tally_chain_rules_active_count(rules) == 0) return false;
    const tally_validator_change *change = &rules->change;
    if (rules->validator_changes == 0) return rules->retired == 0 && !change->open;
    if (change->open > 1) return false;
    if (!change->open) return true;
    uint16_t active = active_slots(rules);
    return change->id == rules->validator_changes && change->add_count <= TALLY_VALIDATORS_MAX &&
           change_fits(rules, change->add_count, change->add, change->retire) &&
           validators_active_slot(rules, &change->proposer) >= 0 && change->approvals != 0 &&
           (change->approvals & ~active) == 0;
}

/* The open change, when it is open at block_time (not lapsed). */
static tally_validator_change *open_change(tally_state *state, int64_t block_time) {
    tally_validator_change *change = &state->rules.change;
    return change->open && block_time < change->expires_at ? change : NULL;
}

/* Counts the approvals; at a quorum, applies the change and closes it. Returns the
 * approvals still needed (0: in force). */
static int64_t approve(tally_state *state, tally_validator_change *change, int slot) {
    tally_chain_rules *rules = &state->rules;
    change->approvals |= (uint16_t)(1u << slot);
    uint8_t quorum = (uint8_t)(tally_chain_rules_active_count(rules) / 2u + 1u);
    uint8_t approvals = bits_set(change->approvals);
    if (approvals < quorum) return quorum - approvals;
    rules->retired |= change->retire;
    for (uint8_t i = 0; i < change->add_count; i++) rules->validators[rules->validator_count++] = change->add[i];
    memset(change, 0, sizeof *change);
    return 0;
}

tally_result validators_propose(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_validator_propose *body = &tx->body.validator_propose;
    tally_chain_rules *rules = &state->rules;
    int slot = validators_active_slot(rules, &tx->signer);
    if (slot < 0) return result_error(TALLY_ERR_NOT_VALIDATOR);
    const tally_validator_change *open = open_change(state, block_time);
    if (open && memcmp(open->proposer.bytes, tx->signer.bytes, TALLY_KEY_BYTES) != 0) {
        tally_result refused = result_error(TALLY_ERR_VALIDATOR_CHANGE_OPEN);
        refused.created_id = open->id;
        return refused;
    }
    static const tally_key zero;
    bool unused_zero = body->add_count <= TALLY_VALIDATORS_MAX;
    for (uint8_t i = body->add_count; unused_zero && i < TALLY_VALIDATORS_MAX; i++)
        unused_zero = memcmp(body->add[i].bytes, zero.bytes, TALLY_KEY_BYTES) == 0;
    if (!unused_zero || !change_fits(rules, body->add_count, body->add, body->retire)) {
        tally_result refused = result_error(TALLY_ERR_BAD_VALIDATOR_SET);
        refused.available = TALLY_VALIDATORS_MAX - rules->validator_count; /* free slots */
        return refused;
    }
    if (rules->validator_changes == UINT32_MAX) return result_error(TALLY_ERR_BAD_VALIDATOR_SET);
    tally_validator_change *change = &rules->change;
    memset(change, 0, sizeof *change);
    change->open = 1;
    change->add_count = body->add_count;
    memcpy(change->add, body->add, (size_t)body->add_count * sizeof *body->add);
    change->retire = (uint16_t)body->retire;
    change->id = ++rules->validator_changes;
    change->proposer = tx->signer;
    change->expires_at = saturating_add(block_time, TALLY_VALIDATOR_CHANGE_SECONDS);
    tally_result result = result_error(TALLY_OK);
    result.created_id = change->id;
    result.available = approve(state, change, slot);
    return result;
}

tally_result validators_approve(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_validator_approve *body = &tx->body.validator_approve;
    int slot = validators_active_slot(&state->rules, &tx->signer);
    if (slot < 0) return result_error(TALLY_ERR_NOT_VALIDATOR);
    tally_validator_change *change = open_change(state, block_time);
    if (!change || change->id != body->change_id) return result_error(TALLY_ERR_NO_VALIDATOR_CHANGE);
    if (change->approvals >> slot & 1u) return result_error(TALLY_ERR_ALREADY_APPROVED);
    tally_result result = result_error(TALLY_OK);
    result.created_id = change->id;
    result.available = approve(state, change, slot);
    return result;
}
