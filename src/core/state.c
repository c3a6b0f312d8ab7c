/*
 * state.c: the ledger's tables and their indices, growth under protocol bounds,
 * lookups, checked arithmetic helpers, balance changes that keep each network's
 * supply and debt aggregates, and the public read-only queries.
 *
 * Hash indices only speed up lookups: nothing observable (iteration, snapshots,
 * hashes) depends on their layout, which is why a cheap non-cryptographic mix is
 * enough here.
 */
#include "core/ledger.h"

#include <sodium.h>
_Static_assert(TALLY_INDEX_SECRET_BYTES == crypto_shorthash_KEYBYTES, "the index secret is a SipHash key");
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 int128;

/* ---- arithmetic ---- */

bool muldiv_round_down(int64_t a, int64_t numerator, int64_t denominator, int64_t *out) {
    if (denominator <= 0 || a < 0 || numerator < 0) return false;
    int128 quotient = ((int128)a * numerator) / denominator;
    if (quotient > INT64_MAX) return false;
    *out = (int64_t)quotient;
    return true;
}

bool muldiv_round_up(int64_t a, int64_t numerator, int64_t denominator, int64_t *out) {
    if (denominator <= 0 || a < 0 || numerator < 0) return false;
    int128 quotient = ((int128)a * numerator + denominator - 1) / denominator;
    if (quotient > INT64_MAX) return false;
    *out = (int64_t)quotient;
    return true;
}

int64_t fee_round_up(int64_t amount, uint32_t bps) {
    assert(amount >= 0 && bps <= TALLY_BPS_ONE);
    /* The same quotient in 64 bits whenever the product fits (every real payment):
     * a 128-bit division is a library call on the hot path. */
    int64_t product;
    if (!__builtin_mul_overflow(amount, (int64_t)bps, &product) && product <= INT64_MAX - (TALLY_BPS_ONE - 1))
        return (product + (TALLY_BPS_ONE - 1)) / TALLY_BPS_ONE;
    return (int64_t)(((int128)amount * bps + (TALLY_BPS_ONE - 1)) / TALLY_BPS_ONE);
}

/* ---- hashing for the indices ---- */

/* The process-wide secret new states take their index key from (see tally.h). */
static uint8_t index_secret[TALLY_INDEX_SECRET_BYTES];

void tally_index_secret_set(const uint8_t secret[TALLY_INDEX_SECRET_BYTES]) {
    memcpy(index_secret, secret, sizeof index_secret);
}

/* SipHash-2-4 of `tag || bytes`, its top 32 bits: the indices keep 32 bits per slot. */
static uint32_t keyed_hash(const tally_state *state, uint32_t tag, const void *bytes, size_t length) {
    uint8_t input[4 + TALLY_NAME_MAX + TALLY_KEY_BYTES];
    assert(length <= sizeof input - 4);
    for (int i = 0; i < 4; i++) input[i] = (uint8_t)(tag >> (8 * i));
    memcpy(input + 4, bytes, length);
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, input, 4 + length, state->index_key);
    uint32_t hash;
    memcpy(&hash, out + 4, sizeof hash);
    return hash;
}

/* A bijection of 64 bits (the murmur3 finalizer): it spreads the secret SipHash of a
 * key over a table's tag without making collisions any easier to find. */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* SipHash of a key, from the cache of the keys the current transaction names when
 * it is there. Every table indexed by a key uses this one secret hash, so a
 * transfer costs two SipHashes (signer and payee) whatever it looks up. */
uint64_t ledger_key_siphash(const tally_state *state, const tally_key *key) {
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, key->bytes, TALLY_KEY_BYTES, state->index_key);
    uint64_t hash;
    memcpy(&hash, out, sizeof hash);
    return hash;
}

static uint64_t key_siphash(const tally_state *state, const tally_key *key) {
    for (int i = 0; i < LEDGER_KEY_CACHE; i++)
        if (state->key_cache[i].valid && memcmp(state->key_cache[i].key.bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            return state->key_cache[i].hash;
    return ledger_key_siphash(state, key);
}

void ledger_remember_key_hash(tally_state *state, int slot, const tally_key *key, uint64_t hash) {
    assert(slot >= 0 && slot < LEDGER_KEY_CACHE);
    state->key_cache[slot].hash = hash;
    state->key_cache[slot].key = *key;
    state->key_cache[slot].valid = true;
}

void ledger_remember_key(tally_state *state, int slot, const tally_key *key) {
    assert(slot >= 0 && slot < LEDGER_KEY_CACHE);
    state->key_cache[slot].valid = false; /* key_siphash must compute it afresh */
    ledger_remember_key_hash(state, slot, key, key_siphash(state, key));
}

/* Tags keep the tables' hashes apart; a member's tag is its network id. */
#define TAG_ACCOUNT 0xacc00000u
#define TAG_HOLDING 0x40000000u
#define TAG_NAME 0x4e414d45u
#define TAG_VOTE 0x766f7465u

static uint32_t hash_key(const tally_state *state, uint32_t tag, const tally_key *key) {
    return (uint32_t)(mix64(key_siphash(state, key) ^ ((uint64_t)tag * 0x9e3779b97f4a7c15ULL)) >> 32);
}

static uint32_t hash_alias(const tally_state *state, uint32_t network_id, const char *alias, size_t length) {
    uint8_t bytes[TALLY_ALIAS_MAX + 1];
    bytes[0] = 'a'; /* never a key's 32 bytes: aliases are at most 32 */
    memcpy(bytes + 1, alias, length);
    return keyed_hash(state, network_id, bytes, length + 1);
}

/* Names compare ignoring ASCII case: the index hashes the folded bytes. */
static uint8_t fold(uint8_t byte) { return byte >= 'A' && byte <= 'Z' ? (uint8_t)(byte + ('a' - 'A')) : byte; }

static uint32_t hash_name(const tally_state *state, const char *name, size_t length) {
    uint8_t folded[TALLY_NAME_MAX];
    assert(length <= TALLY_NAME_MAX);
    for (size_t i = 0; i < length; i++) folded[i] = fold((uint8_t)name[i]);
    return keyed_hash(state, TAG_NAME, folded, length);
}

static bool names_equal(const char *a, size_t a_length, const char *b, size_t b_length) {
    if (a_length != b_length) return false;
    for (size_t i = 0; i < a_length; i++)
        if (fold((uint8_t)a[i]) != fold((uint8_t)b[i])) return false;
    return true;
}

/* ---- open-addressing index ---- */

static uint32_t slot_hash(uint64_t slot) { return (uint32_t)(slot >> 32); }
static uint32_t slot_entry(uint64_t slot) { return (uint32_t)slot - 1; }

static void index_insert(ledger_index *index, uint32_t hash, uint32_t entry) {
    assert(index->used < index->capacity);
    uint32_t mask = index->capacity - 1;
    uint32_t position = hash & mask;
    while (index->slots[position]) position = (position + 1) & mask;
    index->slots[position] = ((uint64_t)hash << 32) | (uint64_t)(entry + 1);
    index->used++;
}

/* Keeps the load factor at or below 1/2 for `extra` more entries. */
static bool index_make_room(ledger_index *index, uint32_t extra) {
    uint64_t needed = ((uint64_t)index->used + extra) * 2;
    if (needed <= index->capacity && index->capacity > 0) return true;
    uint64_t capacity = index->capacity ? index->capacity : 64;
    while (capacity < needed) capacity *= 2;
    if (capacity > (1u << 31)) return false;
    uint64_t *slots = calloc((size_t)capacity, sizeof *slots);
    if (!slots) return false;
    ledger_index grown = {slots, (uint32_t)capacity, 0};
    for (uint32_t i = 0; i < index->capacity; i++)
        if (index->slots[i]) index_insert(&grown, slot_hash(index->slots[i]), slot_entry(index->slots[i]));
    free(index->slots);
    *index = grown;
    return true;
}

uint32_t ledger_index_longest_run(const ledger_index *index) {
    uint32_t longest = 0, run = 0;
    /* Twice around, so a run that wraps past the last slot is counted whole. */
    for (uint64_t i = 0; i < 2ull * index->capacity; i++) {
        run = index->slots[i & (index->capacity - 1)] ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    return longest < index->capacity ? longest : index->capacity;
}

/* Linear-probing deletion by backward shift (Knuth 6.4, algorithm R): no tombstones. */
static void index_remove_at(ledger_index *index, uint32_t position) {
    uint32_t mask = index->capacity - 1;
    uint32_t hole = position;
    index->slots[hole] = 0;
    index->used--;
    for (uint32_t next = (hole + 1) & mask, steps = 0; index->slots[next] && steps < index->capacity;
         next = (next + 1) & mask, steps++) {
        uint32_t home = slot_hash(index->slots[next]) & mask;
        bool stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
        if (stays) continue;
        index->slots[hole] = index->slots[next];
        index->slots[next] = 0;
        hole = next;
    }
}

static bool grow_array(void **array, uint32_t *capacity, uint32_t count, uint32_t extra,
                       size_t element_size, uint32_t bound) {
    if ((uint64_t)count + extra > bound) return false;
    if (count + extra <= *capacity) return true;
    uint64_t grown = *capacity ? *capacity : 16;
    while (grown < (uint64_t)count + extra) grown *= 2;
    if (grown > bound) grown = bound;
    void *bigger = realloc(*array, (size_t)grown * element_size);
    if (!bigger) return false;
    *array = bigger;
    *capacity = (uint32_t)grown;
    return true;
}

/* What one transaction of each type can add to the tables. Due entries have no
 * protocol bound (they are bounded by the lines and announcements they stand for),
 * so every transaction reserves the few it may push: two (a payment may unfreeze its
 * payer's line and its payee's), and a batch one per line and one for its payer. */
#define DUE_ENTRIES_PER_TX 2u

typedef struct {
    uint8_t networks, assets, members, holdings, aliases, accounts, pendings, requests, gateways, stakes, proposals,
        votes, listings, orders;
    uint16_t due;
} ledger_growth;

static ledger_growth growth_of(const tally_tx *tx) {
    ledger_growth growth = {.due = DUE_ENTRIES_PER_TX};
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE: /* and its health period's and first charge round's ends */
        growth = (ledger_growth){.networks = 1, .members = 3, .due = DUE_ENTRIES_PER_TX + 2};
        break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_ADMIT: growth.members = 1; break;
    case TALLY_TX_ALIAS_SET: growth.aliases = 1; break;
    case TALLY_TX_ASSET_CREATE: growth.assets = 1; break;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM:
    case TALLY_TX_SETTLE: growth.holdings = 1; break; /* SETTLE: the partner's pool's reserve */
    case TALLY_TX_POOL_DEPOSIT: growth.holdings = 2; break; /* the pool's reserve, the depositor's shares */
    case TALLY_TX_CHAIN_APPROVE: growth.accounts = 1; break; /* the approved key's */
    case TALLY_TX_PENDING_CREATE: growth.pendings = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break; /* and its timeout */
    case TALLY_TX_REQUEST_CREATE: growth.requests = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break; /* and its expiry */
    case TALLY_TX_GATEWAY_PROPOSE: growth.gateways = 1; break;
    /* the stake, the underwriting account's reserve and the pool's (a slash pays into it) */
    case TALLY_TX_STAKE: growth.stakes = 1; growth.holdings = 2; break;
    case TALLY_TX_UNSTAKE: growth.holdings = 1; break; /* the underwriter's reserve */
    case TALLY_TX_PROPOSAL_CREATE: growth.proposals = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break; /* and its end */
    case TALLY_TX_PROPOSAL_VOTE: growth.votes = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break; /* an extension */
    case TALLY_TX_LISTING_CREATE: growth.listings = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break; /* and its expiry */
    case TALLY_TX_LISTING_UPDATE: growth.due = DUE_ENTRIES_PER_TX + 1; break; /* its new expiry */
    /* the order, its hold and the hold's timeout */
    case TALLY_TX_ORDER_CREATE: growth.orders = 1; growth.pendings = 1; growth.due = DUE_ENTRIES_PER_TX + 1; break;
    /* a policy that starts charging queues its first round */
    case TALLY_TX_POLICY_UPDATE: growth.due = DUE_ENTRIES_PER_TX + 1; break;
    case TALLY_TX_GATEWAY_ACCEPT: growth.members = 2; break; /* the two mirror accounts */
    case TALLY_TX_TRANSFER_BATCH:
        /* A count out of range is refused by the rules, after this: reserve for it as
         * for the longest batch, never more. */
        growth.due = (uint16_t)(1u + (tx->body.transfer_batch.line_count <= TALLY_BATCH_LINES_MAX
                                          ? tx->body.transfer_batch.line_count
                                          : TALLY_BATCH_LINES_MAX));
        break;
    default: break;
    }
    return growth;
}

bool ledger_reserve(tally_state *state, const tally_tx *tx, bool signer_has_account) {
    /* The hot path: a payment by a known signer adds no record, only (at most) its due
     * entries, so it needs no growth table built and tested field by field. */
    if (tx->type == TALLY_TX_TRANSFER && signer_has_account &&
        state->due_count + DUE_ENTRIES_PER_TX <= state->due_capacity)
        return true;
    ledger_growth growth = growth_of(tx);
    /* The signer's account is made when its first transaction is accepted. */
    if (!signer_has_account) growth.accounts++;
    /* Most transactions (every payment) add no record: nothing to grow. */
    bool grows = growth.networks | growth.assets | growth.members | growth.holdings | growth.aliases | growth.accounts |
                 growth.pendings | growth.requests | growth.gateways | growth.stakes | growth.proposals | growth.votes |
                 growth.listings | growth.orders;
    if (!grows && state->due_count + growth.due <= state->due_capacity) return true;
    const uint32_t capacities[] = {state->network_capacity, state->asset_capacity, state->member_capacity,
                                   state->account_capacity, state->holding_capacity, state->pending_capacity,
                                   state->request_capacity, state->gateway_capacity, state->stake_capacity,
                                   state->proposal_capacity, state->vote_capacity, state->listing_capacity,
                                   state->order_capacity};
    bool room =
        grow_array((void **)&state->networks, &state->network_capacity, state->network_count, growth.networks,
                   sizeof *state->networks, TALLY_NETWORKS_MAX) &&
        grow_array((void **)&state->assets, &state->asset_capacity, state->asset_count, growth.assets,
                   sizeof *state->assets, TALLY_ASSETS_MAX) &&
        grow_array((void **)&state->members, &state->member_capacity, state->member_count, growth.members,
                   sizeof *state->members, TALLY_MEMBERS_MAX) &&
        grow_array((void **)&state->accounts, &state->account_capacity, state->account_count, growth.accounts,
                   sizeof *state->accounts, TALLY_ACCOUNTS_MAX) &&
        grow_array((void **)&state->holdings, &state->holding_capacity, state->holding_count, growth.holdings,
                   sizeof *state->holdings, TALLY_HOLDINGS_MAX) &&
        grow_array((void **)&state->pendings, &state->pending_capacity, state->pending_count, growth.pendings,
                   sizeof *state->pendings, TALLY_PENDINGS_MAX) &&
        grow_array((void **)&state->requests, &state->request_capacity, state->request_count, growth.requests,
                   sizeof *state->requests, TALLY_REQUESTS_MAX) &&
        grow_array((void **)&state->gateways, &state->gateway_capacity, state->gateway_count, growth.gateways,
                   sizeof *state->gateways, TALLY_GATEWAYS_MAX) &&
        grow_array((void **)&state->stakes, &state->stake_capacity, state->stake_count, growth.stakes,
                   sizeof *state->stakes, TALLY_STAKES_MAX) &&
        grow_array((void **)&state->proposals, &state->proposal_capacity, state->proposal_count, growth.proposals,
                   sizeof *state->proposals, TALLY_PROPOSALS_MAX) &&
        grow_array((void **)&state->votes, &state->vote_capacity, state->vote_count, growth.votes,
                   sizeof *state->votes, TALLY_VOTES_MAX) &&
        index_make_room(&state->vote_index, growth.votes) &&
        grow_array((void **)&state->listings, &state->listing_capacity, state->listing_count, growth.listings,
                   sizeof *state->listings, TALLY_LISTINGS_MAX) &&
        grow_array((void **)&state->orders, &state->order_capacity, state->order_count, growth.orders,
                   sizeof *state->orders, TALLY_ORDERS_MAX) &&
        grow_array((void **)&state->due_heap, &state->due_capacity, state->due_count, growth.due,
                   sizeof *state->due_heap, UINT32_MAX / 2) &&
        index_make_room(&state->name_index, growth.networks) && index_make_room(&state->member_index, growth.members) &&
        index_make_room(&state->alias_index, growth.aliases) &&
        index_make_room(&state->account_index, growth.accounts) &&
        index_make_room(&state->holding_index, growth.holdings);
    /* The marks follow the tables' capacities (marking never fails). */
    const uint32_t grown[] = {state->network_capacity, state->asset_capacity, state->member_capacity,
                              state->account_capacity, state->holding_capacity, state->pending_capacity,
                              state->request_capacity, state->gateway_capacity, state->stake_capacity,
                              state->proposal_capacity, state->vote_capacity, state->listing_capacity,
                              state->order_capacity};
    return room && (memcmp(capacities, grown, sizeof grown) == 0 || ledger_marks_reserve(state));
}

/* ---- lifecycle ---- */

void tally_chain_rules_defaults(tally_chain_rules *rules, const tally_key *validator) {
    memset(rules, 0, sizeof *rules);
    rules->growth_mode = TALLY_GROWTH_OPEN;
    rules->networks_per_key_per_day = 3;
    rules->assets_per_key_per_day = 3;
    if (validator) {
        rules->validator_count = 1;
        rules->validators[0] = *validator;
    }
}

tally_error tally_chain_rules_validate(const tally_chain_rules *rules) {
    bool valid = rules->growth_mode < TALLY_GROWTH_COUNT && rules->networks_per_key_per_day >= 1 &&
                 rules->networks_per_key_per_day <= TALLY_DAILY_GROWTH_MAX && rules->assets_per_key_per_day >= 1 &&
                 rules->assets_per_key_per_day <= TALLY_DAILY_GROWTH_MAX &&
                 rules->dev_chain <= 1 && rules->validator_count <= TALLY_VALIDATORS_MAX;
    for (uint8_t i = 0; valid && i < rules->validator_count; i++) {
        if (tally_key_is_system(&rules->validators[i])) valid = false;
        for (uint8_t j = 0; valid && j < i; j++)
            if (memcmp(rules->validators[i].bytes, rules->validators[j].bytes, TALLY_KEY_BYTES) == 0) valid = false;
    }
    return valid && validators_rules_are_valid(rules) ? TALLY_OK : TALLY_ERR_BAD_POLICY;
}

tally_state *tally_state_create(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES]) {
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, NULL);
    return tally_state_create_for_chain(chain_id, &rules);
}

tally_state *tally_state_create_for_chain(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                                          const tally_chain_rules *rules) {
    if (tally_chain_rules_validate(rules) != TALLY_OK) return NULL;
    tally_state *state = calloc(1, sizeof *state);
    if (!state) return NULL;
    memcpy(state->chain_id, chain_id, TALLY_CHAIN_ID_BYTES);
    state->rules = *rules;
    memcpy(state->index_key, index_secret, sizeof state->index_key);
    static const tally_key tag_key = {{'t', 'a', 'l', 'l', 'y', '-', 'i', 'n', 'd', 'e', 'x', '-', 't', 'a', 'g'}};
    state->index_tag = ledger_key_siphash(state, &tag_key);
    /* Every index has slots from the start, so a lookup never meets capacity 0. */
    if (!ledger_rebuild_indices(state)) {
        tally_state_destroy(state);
        return NULL;
    }
    return state;
}

void tally_state_destroy(tally_state *state) {
    if (!state) return;
    free(state->networks);
    free(state->name_index.slots);
    free(state->assets);
    free(state->members);
    free(state->member_index.slots);
    free(state->alias_index.slots);
    free(state->accounts);
    free(state->account_index.slots);
    free(state->holdings);
    free(state->holding_index.slots);
    free(state->pendings);
    free(state->requests);
    free(state->gateways);
    free(state->stakes);
    free(state->proposals);
    free(state->votes);
    free(state->vote_index.slots);
    free(state->listings);
    free(state->orders);
    free(state->due_heap);
    ledger_trees_free(state);
    ledger_checker_free(&state->checker);
    free(state);
}

/* ---- lookups ---- */

static tally_network *network_at(const tally_state *state, uint32_t network_id) {
    if (network_id == 0 || network_id > state->network_count) return NULL;
    return &state->networks[network_id - 1];
}

tally_network *ledger_network(const tally_state *state, uint32_t network_id) {
    tally_network *network = network_at(state, network_id);
    if (network) ledger_touch(state, TALLY_TABLE_NETWORKS, network_id - 1);
    return network;
}

tally_network *ledger_network_by_name(const tally_state *state, const char *name, size_t length) {
    const ledger_index *index = &state->name_index;
    if (length == 0 || length > TALLY_NAME_MAX) return NULL;
    uint32_t hash = hash_name(state, name, length);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        tally_network *network = &state->networks[slot_entry(slot)];
        if (names_equal(network->name, strlen(network->name), name, length)) return network;
    }
}

void ledger_name_insert(tally_state *state, const tally_network *network) {
    uint32_t entry = network->id - 1;
    index_insert(&state->name_index, hash_name(state, network->name, strlen(network->name)), entry);
}

static tally_member *member_find(const tally_state *state, uint32_t network_id,
                                 const tally_key *key) {
    const ledger_index *index = &state->member_index;
    uint32_t hash = hash_key(state, network_id, key);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        tally_member *member = &state->members[slot_entry(slot)];
        if (member->network_id == network_id && memcmp(member->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            return member;
    }
}

tally_member *ledger_member(const tally_state *state, uint32_t network_id, const tally_key *key) {
    tally_member *member = member_find(state, network_id, key);
    if (member) ledger_touch(state, TALLY_TABLE_MEMBERS, (uint32_t)(member - state->members));
    return member;
}

tally_member *ledger_current_member(const tally_state *state, uint32_t network_id, const tally_key *key) {
    tally_member *member = ledger_member(state, network_id, key);
    return member && member->status != TALLY_MEMBER_LEFT ? member : NULL;
}

const tally_member *ledger_current_member_read(const tally_state *state, uint32_t network_id, const tally_key *key) {
    const tally_member *member = tally_state_member(state, network_id, key);
    return member && member->status != TALLY_MEMBER_LEFT ? member : NULL;
}

tally_member *ledger_member_at(const tally_state *state, uint32_t index) {
    assert(index < state->member_count);
    ledger_touch(state, TALLY_TABLE_MEMBERS, index);
    return &state->members[index];
}

uint32_t ledger_member_index(const tally_state *state, const tally_member *member) {
    return (uint32_t)(member - state->members);
}

/* Appends member record `entry` to its network's list in joining order (charges.c
 * walks it). The network may be the one being created, not yet counted. */
static void member_list_append(tally_state *state, uint32_t network_id, uint32_t entry) {
    tally_network *network = &state->networks[network_id - 1];
    state->members[entry].next_in_network = 0;
    if (network->last_member) state->members[network->last_member - 1].next_in_network = entry + 1;
    else network->first_member = entry + 1;
    network->last_member = entry + 1;
}

tally_member *ledger_member_add(tally_state *state, uint32_t network_id, const tally_key *key) {
    assert(state->member_count < state->member_capacity);
    assert(!member_find(state, network_id, key));
    uint32_t entry = state->member_count++;
    tally_member *member = &state->members[entry];
    memset(member, 0, sizeof *member);
    member->network_id = network_id;
    member->key = *key;
    index_insert(&state->member_index, hash_key(state, network_id, key), entry);
    member_list_append(state, network_id, entry);
    ledger_touch(state, TALLY_TABLE_MEMBERS, entry);
    return member;
}

tally_member *ledger_alias_find(const tally_state *state, uint32_t network_id, const char *alias,
                                size_t length) {
    const ledger_index *index = &state->alias_index;
    if (length == 0 || length > TALLY_ALIAS_MAX) return NULL;
    uint32_t hash = hash_alias(state, network_id, alias, length);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        tally_member *member = &state->members[slot_entry(slot)];
        if (member->network_id == network_id && strlen(member->alias) == length &&
            memcmp(member->alias, alias, length) == 0)
            return member;
    }
}

void ledger_alias_insert(tally_state *state, const tally_member *member) {
    uint32_t hash = hash_alias(state, member->network_id, member->alias, strlen(member->alias));
    index_insert(&state->alias_index, hash, ledger_member_index(state, member));
}

void ledger_alias_remove(tally_state *state, const tally_member *member) {
    ledger_index *index = &state->alias_index;
    uint32_t hash = hash_alias(state, member->network_id, member->alias, strlen(member->alias));
    uint32_t entry = ledger_member_index(state, member);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask; index->slots[position]; position = (position + 1) & mask) {
        if (slot_entry(index->slots[position]) == entry) {
            index_remove_at(index, position);
            return;
        }
    }
    assert(!"alias missing from its index");
}

ledger_account *ledger_account_find(const tally_state *state, const tally_key *key) {
    const ledger_index *index = &state->account_index;
    uint32_t hash = hash_key(state, TAG_ACCOUNT, key);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        ledger_account *account = &state->accounts[slot_entry(slot)];
        if (memcmp(account->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0) return account;
    }
}

ledger_account *ledger_account_add(tally_state *state, const tally_key *key) {
    assert(state->account_count < state->account_capacity);
    uint32_t entry = state->account_count++;
    ledger_account *account = &state->accounts[entry];
    memset(account, 0, sizeof *account);
    account->key = *key;
    account->next_sequence = 1;
    index_insert(&state->account_index, hash_key(state, TAG_ACCOUNT, key), entry);
    ledger_touch(state, TALLY_TABLE_ACCOUNTS, entry);
    return account;
}

ledger_account *ledger_account_at(tally_state *state, uint32_t index) {
    assert(index < state->account_count);
    ledger_touch(state, TALLY_TABLE_ACCOUNTS, index);
    return &state->accounts[index];
}

ledger_account *ledger_account_get(tally_state *state, const tally_key *key) {
    ledger_account *account = ledger_account_find(state, key);
    if (!account) return ledger_account_add(state, key);
    ledger_touch(state, TALLY_TABLE_ACCOUNTS, (uint32_t)(account - state->accounts));
    return account;
}

/* ---- who may grow the shared tables ---- */

int64_t ledger_day(int64_t block_time) {
    int64_t day = block_time / TALLY_DAY_SECONDS;
    return block_time % TALLY_DAY_SECONDS < 0 ? day - 1 : day;
}

bool ledger_is_validator(const tally_state *state, const tally_key *key) {
    return validators_active_slot(&state->rules, key) >= 0;
}

tally_growth_allowance tally_state_growth_allowance(const tally_state *state, const tally_key *key,
                                                    int64_t block_time) {
    tally_growth_allowance allowance = {0};
    const ledger_account *account = ledger_account_find(state, key);
    bool same_day = account && account->growth_day == ledger_day(block_time);
    if (account) {
        allowance.networks_approved = account->networks_approved;
        allowance.assets_approved = account->assets_approved;
    }
    if (state->rules.growth_mode == TALLY_GROWTH_OPEN) {
        uint32_t networks_used = same_day ? account->networks_on_day : 0;
        uint32_t assets_used = same_day ? account->assets_on_day : 0;
        uint32_t networks_allowed = state->rules.networks_per_key_per_day;
        uint32_t assets_allowed = state->rules.assets_per_key_per_day;
        allowance.networks_today_left = networks_used < networks_allowed ? networks_allowed - networks_used : 0;
        allowance.assets_today_left = assets_used < assets_allowed ? assets_allowed - assets_used : 0;
    }
    return allowance;
}

tally_error ledger_growth_check(const tally_state *state, const tally_key *key, bool networks, int64_t block_time) {
    tally_growth_allowance allowance = tally_state_growth_allowance(state, key, block_time);
    if ((networks ? allowance.networks_approved : allowance.assets_approved) > 0) return TALLY_OK;
    if (state->rules.growth_mode == TALLY_GROWTH_APPROVED) return TALLY_ERR_APPROVAL_REQUIRED;
    return (networks ? allowance.networks_today_left : allowance.assets_today_left) > 0 ? TALLY_OK
                                                                                      : TALLY_ERR_DAILY_LIMIT;
}

void ledger_growth_use(tally_state *state, const tally_key *key, bool networks, int64_t block_time) {
    assert(ledger_growth_check(state, key, networks, block_time) == TALLY_OK);
    ledger_account *account = ledger_account_get(state, key);
    uint32_t *approved = networks ? &account->networks_approved : &account->assets_approved;
    if (*approved > 0) {
        (*approved)--; /* approvals first: they do not count against the day */
        return;
    }
    int64_t day = ledger_day(block_time);
    if (account->growth_day != day) {
        account->growth_day = day;
        account->networks_on_day = 0;
        account->assets_on_day = 0;
    }
    if (networks) account->networks_on_day++;
    else account->assets_on_day++;
}

const tally_chain_rules *tally_state_chain_rules(const tally_state *state) { return &state->rules; }

/* ---- holdings ---- */

/* The holder count a new holding under owner_id adds to. */
static uint32_t *holder_count(const tally_state *state, uint32_t owner_id) {
    if (owner_id & HOLDING_SHARES_FLAG) {
        tally_network *network = network_at(state, owner_id & ~HOLDING_SHARES_FLAG);
        return network ? &network->share_holders : NULL;
    }
    if (owner_id == 0 || owner_id > state->asset_count) return NULL;
    return &state->assets[owner_id - 1].holders;
}

static ledger_holding *holding_lookup(const tally_state *state, uint32_t owner_id, const tally_key *key);

bool ledger_holding_fits(const tally_state *state, uint32_t owner_id, const tally_key *key) {
    if (holding_lookup(state, owner_id, key)) return true;
    const uint32_t *count = holder_count(state, owner_id);
    return count && *count < TALLY_HOLDERS_PER_ASSET_MAX;
}

ledger_holding *ledger_holding_find(const tally_state *state, uint32_t owner_id, const tally_key *key) {
    ledger_holding *holding = holding_lookup(state, owner_id, key);
    if (holding) ledger_touch(state, TALLY_TABLE_HOLDINGS, (uint32_t)(holding - state->holdings));
    return holding;
}

static ledger_holding *holding_lookup(const tally_state *state, uint32_t owner_id, const tally_key *key) {
    const ledger_index *index = &state->holding_index;
    uint32_t hash = hash_key(state, TAG_HOLDING ^ owner_id, key);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        ledger_holding *holding = &state->holdings[slot_entry(slot)];
        if (holding->owner_id == owner_id && memcmp(holding->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            return holding;
    }
}

ledger_holding *ledger_holding_get(tally_state *state, uint32_t owner_id, const tally_key *key) {
    ledger_holding *holding = ledger_holding_find(state, owner_id, key);
    if (holding) return holding;
    assert(state->holding_count < state->holding_capacity);
    uint32_t entry = state->holding_count++;
    holding = &state->holdings[entry];
    memset(holding, 0, sizeof *holding);
    holding->owner_id = owner_id;
    holding->key = *key;
    index_insert(&state->holding_index, hash_key(state, TAG_HOLDING ^ owner_id, key), entry);
    ledger_touch(state, TALLY_TABLE_HOLDINGS, entry);
    uint32_t *count = holder_count(state, owner_id);
    assert(count && *count < TALLY_HOLDERS_PER_ASSET_MAX);
    (*count)++;
    return holding;
}

/* ---- due heap: min by (due_time, kind, index) ---- */

static bool due_before(ledger_due a, ledger_due b) {
    if (a.due_time != b.due_time) return a.due_time < b.due_time;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.index < b.index;
}

void ledger_due_push(tally_state *state, int64_t due_time, ledger_due_kind kind, uint32_t index) {
    assert(state->due_count < state->due_capacity);
    uint32_t child = state->due_count++;
    ledger_due entry = {due_time, index, (uint8_t)kind};
    while (child > 0) {
        uint32_t parent = (child - 1) / 2;
        if (!due_before(entry, state->due_heap[parent])) break;
        state->due_heap[child] = state->due_heap[parent];
        child = parent;
    }
    state->due_heap[child] = entry;
}

static int64_t *queued_at(tally_network *network, ledger_due_kind kind) {
    assert(kind == DUE_POLICY_CHANGE || kind == DUE_PEG_CHANGE);
    return kind == DUE_POLICY_CHANGE ? &network->policy_change_queued_at : &network->peg_change_queued_at;
}

void ledger_announcement_queue(tally_state *state, tally_network *network, ledger_due_kind kind, int64_t at) {
    int64_t *queued = queued_at(network, kind);
    if (*queued != 0 && *queued <= at) return; /* it pops first and requeues */
    ledger_due_push(state, at, kind, network->id - 1);
    *queued = at;
}

bool ledger_announcement_popped(tally_state *state, tally_network *network, ledger_due_kind kind, int64_t due_time) {
    int64_t *queued = queued_at(network, kind);
    if (*queued == due_time) *queued = 0;
    int64_t at = kind == DUE_POLICY_CHANGE ? network->policy_change_at : network->peg_change_at;
    if (at == due_time) return true;
    /* Replaced by a later announcement since this entry was queued: queue that one
     * (the pop just freed the room). */
    if (at > due_time) ledger_announcement_queue(state, network, kind, at);
    return false;
}

bool ledger_due_peek(const tally_state *state, ledger_due *top) {
    if (state->due_count == 0) return false;
    *top = state->due_heap[0];
    return true;
}

int64_t tally_state_next_due(const tally_state *state) {
    ledger_due top;
    if (!ledger_due_peek(state, &top)) return INT64_MAX;
    return top.due_time; /* INT64_MAX: never (see credit.c) */
}

void ledger_due_pop(tally_state *state) {
    assert(state->due_count > 0);
    ledger_due last = state->due_heap[--state->due_count];
    uint32_t parent = 0, count = state->due_count;
    for (;;) {
        uint32_t child = 2 * parent + 1;
        if (child >= count) break;
        if (child + 1 < count && due_before(state->due_heap[child + 1], state->due_heap[child])) child++;
        if (!due_before(state->due_heap[child], last)) break;
        state->due_heap[parent] = state->due_heap[child];
        parent = child;
    }
    if (count > 0) state->due_heap[parent] = last;
}

bool ledger_rebuild_indices(tally_state *state) {
    ledger_index *indices[] = {&state->name_index, &state->member_index, &state->alias_index,
                               &state->account_index, &state->holding_index, &state->vote_index};
    for (size_t i = 0; i < sizeof indices / sizeof indices[0]; i++) {
        free(indices[i]->slots);
        *indices[i] = (ledger_index){0};
    }
    state->due_count = 0;
    /* The trees are derived too: the next commit hashes every record. */
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) state->trees[t].all_dirty = true;
    state->checker.kept = false; /* and the next invariant check is a full one */
    if (!ledger_marks_reserve(state) || !index_make_room(&state->name_index, state->network_count) ||
        !index_make_room(&state->member_index, state->member_count) ||
        !index_make_room(&state->account_index, state->account_count) ||
        !index_make_room(&state->holding_index, state->holding_count) ||
        !index_make_room(&state->alias_index, state->member_count) ||
        !index_make_room(&state->vote_index, state->vote_count) ||
        !grow_array((void **)&state->due_heap, &state->due_capacity, 0,
                    state->member_count + 4 * state->network_count + state->pending_count + state->request_count +
                        state->proposal_count + state->listing_count + DUE_ENTRIES_PER_TX,
                    sizeof *state->due_heap, UINT32_MAX / 2))
        return false;
    /* An open hold's timeout is due (its outcome applies then). */
    for (uint32_t i = 0; i < state->pending_count; i++)
        if (state->pendings[i].status == TALLY_PENDING_OPEN) ledger_due_push(state, state->pendings[i].timeout, DUE_PENDING, i);
    /* An open listing's expiry is due (an order's timeout is its hold's). */
    for (uint32_t i = 0; i < state->listing_count; i++)
        if (state->listings[i].status == TALLY_LISTING_OPEN) ledger_due_push(state, state->listings[i].expiry, DUE_LISTING, i);
    /* An open request's expiry is due. */
    for (uint32_t i = 0; i < state->request_count; i++)
        if (state->requests[i].status == TALLY_REQUEST_OPEN) ledger_due_push(state, state->requests[i].expiry, DUE_REQUEST, i);
    for (uint32_t i = 0; i < state->network_count; i++) {
        tally_network *network = &state->networks[i];
        if (ledger_network_by_name(state, network->name, strlen(network->name))) return false; /* taken */
        ledger_name_insert(state, network);
        network->member_records = 0;
        network->share_holders = 0;
        network->open_gateways = 0;
        network->limits_total = 0;
        network->mirror_debt = 0;
        network->mirror_credit = 0;
        network->first_member = network->last_member = 0;
        network->stakes_locked = 0;
        network->proposals_open = 0;
        ledger_due_push(state, health_period_end(network->health_started_at), DUE_HEALTH, i);
        if (network->charges_at) ledger_due_push(state, network->charges_at, DUE_CHARGES, i);
        network->policy_change_queued_at = 0;
        network->peg_change_queued_at = 0;
        if (network->policy_change_at) ledger_announcement_queue(state, network, DUE_POLICY_CHANGE, network->policy_change_at);
        if (network->peg_change_at) ledger_announcement_queue(state, network, DUE_PEG_CHANGE, network->peg_change_at);
    }
    for (uint32_t i = 0; i < state->asset_count; i++) state->assets[i].holders = 0;
    for (uint32_t i = 0; i < state->gateway_count; i++) {
        const tally_gateway *gateway = &state->gateways[i];
        if (gateway->status == TALLY_GATEWAY_CLOSED) continue;
        tally_network *a = network_at(state, gateway->network_a), *b = network_at(state, gateway->network_b);
        if (!a || !b || a->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX ||
            b->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX)
            return false;
        a->open_gateways++, b->open_gateways++;
    }
    for (uint32_t i = 0; i < state->member_count; i++) {
        tally_member *member = &state->members[i];
        if (member_find(state, member->network_id, &member->key)) return false; /* duplicate */
        index_insert(&state->member_index, hash_key(state, member->network_id, &member->key), i);
        member_list_append(state, member->network_id, i);
        if (member->alias[0]) {
            if (ledger_alias_find(state, member->network_id, member->alias, strlen(member->alias)))
                return false;
            ledger_alias_insert(state, member);
        }
        if (member->line_status == TALLY_LINE_ACTIVE) ledger_due_push(state, member->period_end, DUE_LINE, i);
        if (member->line_status == TALLY_LINE_FROZEN) ledger_due_push(state, member->grace_end, DUE_LINE, i);
        if (member->status != TALLY_MEMBER_SYSTEM) {
            tally_network *network = network_at(state, member->network_id);
            if (network->member_records >= TALLY_MEMBER_RECORDS_PER_NETWORK_MAX) return false;
            network->member_records++;
        }
        /* the sums a network keeps of its members' limits and mirror accounts */
        tally_network *owner = network_at(state, member->network_id);
        if (!owner || member->limit < 0) return false;
        owner->limits_total += member->limit;
        if (member->system_kind == TALLY_SYSTEM_GATEWAY) {
            owner->mirror_debt += debt_part(member->balance); /* within the network's debt and supply */
            owner->mirror_credit += positive_part(member->balance);
        }
    }
    /* Stakes: each names a network and a member record of it, and the stakes behind
     * a line are a list through `next` in id order, as long as its stake_count. */
    for (uint32_t i = 0; i < state->stake_count; i++) {
        const tally_stake *stake = &state->stakes[i];
        tally_network *network = network_at(state, stake->network_id);
        if (!network || stake->amount < 0 || !member_find(state, stake->network_id, &stake->underwriter) ||
            !member_find(state, stake->network_id, &stake->member) || (stake->next != 0 && stake->next <= stake->id) ||
            stake->next > state->stake_count)
            return false;
        if (__builtin_add_overflow(network->stakes_locked, stake->amount, &network->stakes_locked)) return false;
    }
    for (uint32_t i = 0; i < state->member_count; i++) {
        const tally_member *member = &state->members[i];
        uint32_t count = 0;
        for (uint32_t id = member->first_stake; id != 0; id = state->stakes[id - 1].next) {
            if (id > state->stake_count || ++count > TALLY_STAKES_PER_LINE_MAX) return false;
            const tally_stake *stake = &state->stakes[id - 1];
            if (stake->network_id != member->network_id || !ledger_keys_equal(&stake->member, &member->key))
                return false;
        }
        if (count != member->stake_count) return false;
    }
    /* Proposals: of a network, open ones counted and due (at their vote's end, or
     * once passed at their timelock's); votes on a proposal, once per voter. */
    for (uint32_t i = 0; i < state->proposal_count; i++) {
        const tally_proposal *proposal = &state->proposals[i];
        tally_network *network = network_at(state, proposal->network_id);
        if (!network || proposal->id != i + 1) return false;
        if (proposal->status == TALLY_PROPOSAL_VOTING || proposal->status == TALLY_PROPOSAL_PASSED) {
            if (network->proposals_open >= TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX) return false;
            network->proposals_open++;
            ledger_due_push(state,
                            proposal->status == TALLY_PROPOSAL_VOTING ? proposal->voting_ends_at : proposal->executes_at,
                            DUE_PROPOSAL, i);
        }
    }
    for (uint32_t i = 0; i < state->vote_count; i++) {
        const tally_vote *vote = &state->votes[i];
        if (vote->proposal_id == 0 || vote->proposal_id > state->proposal_count ||
            ledger_vote_find(state, vote->proposal_id, &vote->voter))
            return false;
        index_insert(&state->vote_index, hash_key(state, TAG_VOTE ^ vote->proposal_id, &vote->voter), i);
    }
    for (uint32_t i = 0; i < state->account_count; i++) {
        if (ledger_account_find(state, &state->accounts[i].key)) return false;
        index_insert(&state->account_index, hash_key(state, TAG_ACCOUNT, &state->accounts[i].key), i);
    }
    for (uint32_t i = 0; i < state->holding_count; i++) {
        ledger_holding *holding = &state->holdings[i];
        if (holding_lookup(state, holding->owner_id, &holding->key)) return false;
        uint32_t *count = holder_count(state, holding->owner_id);
        if (!count || *count >= TALLY_HOLDERS_PER_ASSET_MAX) return false;
        (*count)++;
        index_insert(&state->holding_index,
                     hash_key(state, TAG_HOLDING ^ holding->owner_id, &holding->key), i);
    }
    return true;
}

/* ---- votes ---- */

const tally_vote *ledger_vote_find(const tally_state *state, uint32_t proposal_id, const tally_key *voter) {
    const ledger_index *index = &state->vote_index;
    uint32_t hash = hash_key(state, TAG_VOTE ^ proposal_id, voter);
    uint32_t mask = index->capacity - 1;
    for (uint32_t position = hash & mask;; position = (position + 1) & mask) {
        uint64_t slot = index->slots[position];
        if (!slot) return NULL;
        if (slot_hash(slot) != hash) continue;
        const tally_vote *vote = &state->votes[slot_entry(slot)];
        if (vote->proposal_id == proposal_id && ledger_keys_equal(&vote->voter, voter)) return vote;
    }
}

tally_vote *ledger_vote_add(tally_state *state, uint32_t proposal_id, const tally_key *voter) {
    assert(state->vote_count < state->vote_capacity && !ledger_vote_find(state, proposal_id, voter));
    uint32_t entry = state->vote_count++;
    tally_vote *vote = &state->votes[entry];
    memset(vote, 0, sizeof *vote);
    vote->proposal_id = proposal_id;
    vote->voter = *voter;
    index_insert(&state->vote_index, hash_key(state, TAG_VOTE ^ proposal_id, voter), entry);
    ledger_touch(state, TALLY_TABLE_VOTES, entry);
    return vote;
}

/* ---- balances ---- */

/* The network's supply and debt once `changes` are made; false when a balance
 * would be INT64_MIN or a total would leave int64. Each part moves by at most
 * INT64_MAX per change, so a few changes sum in 64 bits with overflow checked. */
static inline bool balances_after(const tally_network *network, const balance_change *changes, size_t count,
                                  int64_t *supply, int64_t *debt) {
    int64_t supply_after = network->supply, debt_after = network->debt;
    for (size_t i = 0; i < count; i++) {
        int64_t old_balance = changes[i].member->balance, new_balance = changes[i].new_balance;
        if (new_balance == INT64_MIN) return false;
        if (__builtin_add_overflow(supply_after, positive_part(new_balance) - positive_part(old_balance),
                                   &supply_after) ||
            __builtin_add_overflow(debt_after, debt_part(new_balance) - debt_part(old_balance), &debt_after))
            return false;
    }
    *supply = supply_after;
    *debt = debt_after;
    return supply_after >= 0 && debt_after >= 0;
}

bool ledger_balances_fit(const tally_network *network, const balance_change *changes, size_t count) {
    int64_t supply, debt;
    return balances_after(network, changes, count, &supply, &debt);
}

/* The same sums as ledger_balances_fit, over figures a dry run keeps itself. */
bool ledger_balances_fit_running(int64_t *supply, int64_t *debt, const int64_t *old_balances,
                                 const int64_t *new_balances, size_t count) {
    int128 supply_after = *supply, debt_after = *debt;
    for (size_t i = 0; i < count; i++) {
        if (new_balances[i] == INT64_MIN) return false;
        supply_after += positive_part(new_balances[i]) - positive_part(old_balances[i]);
        debt_after += debt_part(new_balances[i]) - debt_part(old_balances[i]);
    }
    if (supply_after < 0 || supply_after > INT64_MAX || debt_after < 0 || debt_after > INT64_MAX) return false;
    *supply = (int64_t)supply_after;
    *debt = (int64_t)debt_after;
    return true;
}

void ledger_balances_commit(tally_network *network, const balance_change *changes, size_t count) {
    int64_t supply = 0, debt = 0;
    bool fits = balances_after(network, changes, count, &supply, &debt);
    assert(fits);
    (void)fits;
    for (size_t i = 0; i < count; i++) {
        tally_member *member = changes[i].member;
        int64_t before = member->balance, after = changes[i].new_balance;
        /* Health (health.c): what members received, the members who moved and the
         * largest debt one reached; the mirror accounts' sums. */
        if (member->system_kind == TALLY_SYSTEM_NONE) {
            if (after > before) {
                uint64_t received = (uint64_t)after - (uint64_t)before;
                uint64_t volume = (uint64_t)network->health_volume + received;
                network->health_volume = received > INT64_MAX || volume > INT64_MAX ? INT64_MAX : (int64_t)volume;
                /* reputation's volume (reputation.c) */
                int64_t moved = received > INT64_MAX ? INT64_MAX : (int64_t)received;
                member->volume_received = saturating_add(member->volume_received, moved);
            } else if (after < before) {
                uint64_t given = (uint64_t)before - (uint64_t)after;
                member->volume_given = saturating_add(member->volume_given, given > INT64_MAX ? INT64_MAX : (int64_t)given);
            }
            if (member->active_period != network->health_period) {
                member->active_period = network->health_period;
                network->health_active++;
            }
            if (after < 0 && -after > network->health_largest_debt) network->health_largest_debt = -after;
        } else if (member->system_kind == TALLY_SYSTEM_GATEWAY) {
            network->mirror_debt += debt_part(after) - debt_part(before);
            network->mirror_credit += positive_part(after) - positive_part(before);
        }
        member->balance = after;
    }
    network->supply = supply;
    network->debt = debt;
}

void ledger_limit_set(tally_network *network, tally_member *member, int64_t limit) {
    network->limits_total += (__int128)limit - member->limit; /* at most 2^24 * 2^63 */
    member->limit = limit;
}

/* ---- system accounts ---- */

static const uint8_t system_key_prefix[9] = {'T', 'A', 'L', 'L', 'Y', '-', 'S', 'Y', 'S'};

tally_key tally_gateway_key(uint32_t network_id, uint32_t partner_id) {
    tally_key key = tally_system_key(network_id, TALLY_SYSTEM_GATEWAY);
    for (int i = 0; i < 4; i++) key.bytes[14 + i] = (uint8_t)(partner_id >> (8 * i));
    return key;
}

tally_key tally_system_key(uint32_t network_id, tally_system_kind kind) {
    tally_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.bytes, system_key_prefix, sizeof system_key_prefix);
    key.bytes[9] = (uint8_t)kind;
    for (int i = 0; i < 4; i++) key.bytes[10 + i] = (uint8_t)(network_id >> (8 * i));
    return key;
}

bool tally_key_is_system(const tally_key *key) {
    return memcmp(key->bytes, system_key_prefix, sizeof system_key_prefix) == 0;
}

/* ---- public queries ---- */

const uint8_t *tally_state_chain_id(const tally_state *state) { return state->chain_id; }

uint64_t tally_state_next_sequence(const tally_state *state, const tally_key *key) {
    const ledger_account *account = ledger_account_find(state, key);
    return account ? account->next_sequence : 1;
}

uint32_t tally_state_network_count(const tally_state *state) { return state->network_count; }

const tally_network *tally_state_network(const tally_state *state, uint32_t network_id) {
    return network_at(state, network_id);
}

const tally_network *tally_state_network_by_name(const tally_state *state, const char *name, size_t length) {
    return ledger_network_by_name(state, name, length);
}

uint32_t tally_state_asset_count(const tally_state *state) { return state->asset_count; }

const tally_asset *tally_state_asset(const tally_state *state, uint32_t asset_id) {
    if (asset_id == 0 || asset_id > state->asset_count) return NULL;
    return &state->assets[asset_id - 1];
}

const tally_member *tally_state_member(const tally_state *state, uint32_t network_id,
                                       const tally_key *key) {
    return member_find(state, network_id, key);
}

uint32_t tally_state_member_count(const tally_state *state) { return state->member_count; }

const tally_member *tally_state_member_at(const tally_state *state, uint32_t index) {
    return index < state->member_count ? &state->members[index] : NULL;
}

const tally_member *tally_state_member_by_alias(const tally_state *state, uint32_t network_id,
                                                const char *alias, size_t alias_length) {
    return ledger_alias_find(state, network_id, alias, alias_length);
}

int64_t tally_state_asset_balance(const tally_state *state, uint32_t asset_id, const tally_key *key) {
    if (asset_id & HOLDING_SHARES_FLAG) return 0;
    const ledger_holding *holding = holding_lookup(state, asset_id, key);
    return holding ? holding->amount : 0;
}

int64_t tally_state_pool_shares(const tally_state *state, uint32_t network_id, const tally_key *key) {
    const tally_network *network = tally_state_network(state, network_id);
    if (!network) return 0;
    const ledger_holding *holding =
        holding_lookup(state, HOLDING_SHARES_FLAG | network_id, key);
    return holding && holding->epoch == network->pool_share_epoch ? holding->amount : 0;
}

int64_t tally_member_available(const tally_state *state, const tally_member *member) {
    (void)state;
    int64_t own;
    if (!checked_sub(member->balance, member->pending_out, &own)) own = INT64_MIN;
    if (!credit_allows_new_debt(member)) return positive_part(own);
    int64_t available;
    if (!checked_add(own, member->limit, &available)) return INT64_MAX;
    return positive_part(available);
}

const tally_pending *tally_state_pending(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->pending_count ? &state->pendings[id - 1] : NULL;
}

uint32_t tally_state_pending_count(const tally_state *state) { return state->pending_count; }

tally_pending *ledger_pending_at(const tally_state *state, uint32_t index) {
    assert(index < state->pending_count);
    ledger_touch(state, TALLY_TABLE_PENDINGS, index);
    return &state->pendings[index];
}

const tally_request *tally_state_request(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->request_count ? &state->requests[id - 1] : NULL;
}

uint32_t tally_state_request_count(const tally_state *state) { return state->request_count; }

const tally_listing *tally_state_listing(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->listing_count ? &state->listings[id - 1] : NULL;
}

uint32_t tally_state_listing_count(const tally_state *state) { return state->listing_count; }

tally_listing *ledger_listing_at(const tally_state *state, uint32_t index) {
    assert(index < state->listing_count);
    ledger_touch(state, TALLY_TABLE_LISTINGS, index);
    return &state->listings[index];
}

const tally_order *tally_state_order(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->order_count ? &state->orders[id - 1] : NULL;
}

uint32_t tally_state_order_count(const tally_state *state) { return state->order_count; }

tally_order *ledger_order_at(const tally_state *state, uint32_t index) {
    assert(index < state->order_count);
    ledger_touch(state, TALLY_TABLE_ORDERS, index);
    return &state->orders[index];
}

const tally_gateway *tally_state_gateway(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->gateway_count ? &state->gateways[id - 1] : NULL;
}

uint32_t tally_state_gateway_count(const tally_state *state) { return state->gateway_count; }

tally_gateway *ledger_gateway_at(const tally_state *state, uint32_t index) {
    assert(index < state->gateway_count);
    ledger_touch(state, TALLY_TABLE_GATEWAYS, index);
    return &state->gateways[index];
}

tally_request *ledger_request_at(const tally_state *state, uint32_t index) {
    assert(index < state->request_count);
    ledger_touch(state, TALLY_TABLE_REQUESTS, index);
    return &state->requests[index];
}

int64_t tally_network_rtd_bps(const tally_network *network) {
    if (network->reserve_asset_id == 0 || network->supply <= 0 || network->peg_reserve_units <= 0)
        return 0;
    int128 primary_value = (int128)network->pool_primary * network->peg_credit_units / network->peg_reserve_units;
    /* floor(value * 10000 / supply) without forming value * 10000, which can pass 2^127 */
    int128 whole = primary_value / network->supply, part = primary_value % network->supply;
    if (whole > INT64_MAX / TALLY_BPS_ONE) return INT64_MAX;
    int128 bps = whole * TALLY_BPS_ONE + part * TALLY_BPS_ONE / network->supply;
    return bps > INT64_MAX ? INT64_MAX : (int64_t)bps;
}

/* ---- where records stand (for proofs) ---- */

bool tally_state_member_position(const tally_state *state, uint32_t network_id, const tally_key *key,
                                 uint32_t *index) {
    const tally_member *member = member_find(state, network_id, key);
    if (member) *index = (uint32_t)(member - state->members);
    return member != NULL;
}

bool tally_state_account_position(const tally_state *state, const tally_key *key, uint32_t *index) {
    const ledger_account *account = ledger_account_find(state, key);
    if (account) *index = (uint32_t)(account - state->accounts);
    return account != NULL;
}

bool tally_state_holding_position(const tally_state *state, uint32_t owner_id, const tally_key *key,
                                  uint32_t *index) {
    const ledger_holding *holding = holding_lookup(state, owner_id, key);
    if (holding) *index = (uint32_t)(holding - state->holdings);
    return holding != NULL;
}
