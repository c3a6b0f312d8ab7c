/*
 * test_simulation.c: a seeded, randomized simulation of the core. Thousands of
 * members of several networks with different policies send every type of
 * transaction, valid and invalid, in blocks whose time advances over simulated
 * months, so credit periods renew, expire, freeze and default. After every step
 * the state invariants hold, and so do the rules about transitions that a single
 * state cannot show: a refusal changes nothing, a member who may not borrow never
 * gains debt, no payment lifts a payee past the cap, pool shares come only from
 * deposits, reserve leaves a pool only by withdraw or redeem, an asset's supply
 * shrinks only by a burn, and minted - burned is the change in the network's debt.
 * Every step is also recomputed from the rules written out here (fees, pool
 * shares, peg conversions), independently of the core's code.
 *
 * The whole history is recorded and replayed on a fresh state, which must give
 * the same result at every step and byte-identical bytes at the end, also when
 * the replay goes through snapshots on the way.
 *
 * Four networks are designed to differ (compliance rules, fees and risk fees, a
 * positive cap, open or admitted membership, renewal, target RTD, pegs of 1:1, 3:2
 * and 1:100) and a fifth sits at the edges of the valid ranges; random
 * NETWORK_CREATEs add more.
 *
 * A failure prints its seed and step. TALLY_SIM_SEED=<seed> runs only that seed,
 * TALLY_SIM_STEPS=<n> sets the transactions per seed, TALLY_SIM_TRACE=1 prints
 * every step and TALLY_SIM_VERBOSE=1 the outcome counts per type and error.
 */
#include <stdlib.h>

#include "tally.h"
#include "test.h"

__extension__ typedef __int128 int128;

#define SIM_DAY (24 * 60 * 60)
#define SIM_START_TIME 1767225600 /* 2026-01-01T00:00:00Z */
#define SIM_NETWORKS_MAX 8        /* random NETWORK_CREATEs stop here */
#define SIM_ASSETS_MAX 6          /* and ASSET_CREATEs here */
#define SIM_STAFF 24              /* actors 0..23 found networks, operate and issue */
#define SIM_VALIDATOR_FIRST 0     /* actors 0 and 1 are the chain's validators */
#define SIM_HOLDERS_MAX 400       /* actors from SIM_STAFF on receive reserve assets */
#define SIM_STEPS_DEFAULT 20000
#define SIM_BLOCK_TXS_MAX 12
#define SIM_EDGE_NETWORK 5 /* the designed network at the edges of the valid ranges */
#define SIM_HASH_ALL_UNTIL 2000 /* every refusal is hashed before and after until this step, */
#define SIM_HASH_EVERY 16       /* then every 16th refusal */
#define SIM_FAILURES_PRINTED 8
#define NONE UINT32_MAX

/* The fixed seeds of a default run. */
static const uint64_t sim_seeds[] = {1, 0x5eed, 20260101, 0xdeadbeefcafe};

/* ------------------------------------------------------------------------ */
/* Deterministic randomness: splitmix64, never rand() or a clock.            */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t state;
} sim_rng;

static uint64_t rng_next(sim_rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* 0..bound-1; 0 when bound is 0. The modulo bias is irrelevant here. */
static uint64_t rng_below(sim_rng *rng, uint64_t bound) { return bound ? rng_next(rng) % bound : 0; }

/* low..high inclusive; low when high <= low. */
static int64_t rng_between(sim_rng *rng, int64_t low, int64_t high) {
    if (high <= low) return low;
    uint64_t span = (uint64_t)high - (uint64_t)low + 1; /* 0 only for the full range */
    return (int64_t)((uint64_t)low + (span ? rng_below(rng, span) : rng_next(rng)));
}

static bool rng_percent(sim_rng *rng, uint32_t percent) { return rng_below(rng, 100) < percent; }

#define RNG_PICK(rng, array) ((array)[rng_below((rng), sizeof(array) / sizeof((array)[0]))])

/* ------------------------------------------------------------------------ */
/* The simulated world.                                                      */
/* ------------------------------------------------------------------------ */

enum { EVENT_TX = 1, EVENT_SIGNED_TX = 2, EVENT_END_BLOCK = 3 };

/* One step of the history, enough to replay it and compare what it did. */
typedef struct {
    uint8_t kind;
    int64_t block_time;
    tally_tx tx;
    tally_result result;
    tally_block_summary summary;
} sim_event;

/* Outcome counts, per seed and summed over the run. */
typedef struct {
    uint64_t accepted[256], refused[256]; /* by transaction type byte */
    uint64_t codes[TALLY_ERROR_COUNT];
    uint64_t steps, blocks, hash_checks, signed_good, signed_bad, member_keys;
    uint64_t renewed, expired, frozen, defaulted;
    int64_t written_off, lost_debt_burned, reallocated;
} sim_counts;

/* Actors that ever joined a network, in join order (records are never removed). */
typedef struct {
    uint32_t *actors;
    uint32_t count, capacity;
} sim_roster;

typedef struct {
    bool present;
    tally_member member;
} member_view;

/* What the checks compare before and after a step: the small tables whole, and the
 * records the transaction names. Zeroed first, so views compare with memcmp. */
typedef struct {
    uint32_t network_count, asset_count, member_count;
    tally_network networks[SIM_NETWORKS_MAX];
    tally_asset assets[SIM_ASSETS_MAX];
    uint64_t sequence;
    uint32_t network_id; /* the network the transaction names, 0 when none or unknown */
    member_view signer, other, fees, lost, pool;
    uint32_t asset_id; /* the asset it moves: its own, or the named network's reserve */
    int64_t signer_asset, other_asset, pool_asset, signer_shares;
} sim_view;

/* A generated transaction and what the generator knows about it. */
typedef struct {
    tally_tx tx;
    uint32_t signer_actor, other_actor; /* NONE when not an actor */
    int expect;                         /* a code the result must have, or -1 */
    bool signed_apply;                  /* through tally_apply_signed */
    bool must_verify;                   /* correctly signed and encodable */
    bool mutated;                       /* its envelope was broken on purpose */
} sim_gen;

typedef struct {
    uint64_t seed;
    sim_rng rng;
    tally_state *state;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_chain_rules rules;
    int64_t block_time;
    uint32_t step, steps;
    uint32_t actor_count, holder_count;
    tally_key *keys;
    uint8_t *secrets; /* actor_count * TALLY_SECRET_BYTES */
    sim_roster rosters[SIM_NETWORKS_MAX + 1];
    uint8_t *on_roster; /* [network id][actor] */
    uint8_t *ever_member;
    sim_event *events;
    size_t event_count, event_capacity;
    bool hash_known; /* hash holds the current state's hash */
    uint32_t refusals_unhashed;
    uint8_t hash[TALLY_HASH_BYTES];
    sim_counts counts;
    sim_view before, after;
    int64_t *balances; /* per member, around an end-of-block step */
    uint8_t *line_statuses;
    uint32_t scratch_capacity;
    const tally_tx *current_tx; /* for failure messages */
    tally_result current_result;
    bool trace, failed;
    uint32_t failures;
} simulation;

/* ------------------------------------------------------------------------ */
/* Small helpers.                                                            */
/* ------------------------------------------------------------------------ */

static int64_t debt_of(int64_t balance) { return balance < 0 ? -balance : 0; }
static int64_t plus(int64_t value, int64_t more) { return value <= INT64_MAX - more ? value + more : INT64_MAX; }
static int64_t positive_of(int64_t balance) { return balance > 0 ? balance : 0; }

static bool line_is_open(const tally_member *member) {
    return member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
           member->line_status == TALLY_LINE_EXPIRED;
}

/* The protocol's rule for spending on credit, restated: an active member on an
 * active line. Frozen, expired, suspended and defaulted members may not. */
static bool may_borrow(const tally_member *member) {
    return member->status == TALLY_MEMBER_ACTIVE && member->line_status == TALLY_LINE_ACTIVE;
}

/* ceil(amount * bps / 10000), the fee rounding of DESIGN.md. */
static int64_t fee_of(int64_t amount, uint32_t bps) {
    return (int64_t)(((int128)amount * bps + TALLY_BPS_ONE - 1) / TALLY_BPS_ONE);
}

static int128 pool_reserve(const tally_network *network) {
    return (int128)network->pool_primary + network->pool_buffer + network->pool_excess;
}

/* Reserve the primary part needs for the target RTD (rounded up); false when the
 * product does not fit in 128 bits (then the check using it is skipped). */
static bool required_primary(const tally_network *network, int64_t *out) {
    int128 product;
    int128 denominator = (int128)TALLY_BPS_ONE * network->peg_credit_units;
    if (denominator <= 0) return false;
    if (__builtin_mul_overflow((int128)network->policy.target_rtd_bps, (int128)network->supply, &product) ||
        __builtin_mul_overflow(product, (int128)network->peg_reserve_units, &product) ||
        __builtin_add_overflow(product, denominator - 1, &product))
        return false;
    int128 required = product / denominator;
    *out = required > INT64_MAX ? INT64_MAX : (int64_t)required;
    return true;
}

static void text_put(tally_text *text, const char *value) {
    memset(text, 0, sizeof *text);
    size_t length = strlen(value);
    if (length > TALLY_MEMO_MAX) length = TALLY_MEMO_MAX;
    text->length = (uint16_t)length;
    memcpy(text->bytes, value, length);
}

static bool policy_equal(const tally_policy *a, const tally_policy *b) {
    return a->default_credit_limit == b->default_credit_limit && a->max_credit_limit == b->max_credit_limit &&
           a->positive_cap == b->positive_cap && a->fee_bps == b->fee_bps &&
           a->default_risk_fee_bps == b->default_risk_fee_bps && a->period_seconds == b->period_seconds &&
           a->grace_seconds == b->grace_seconds && a->min_income_bps == b->min_income_bps &&
           a->target_rtd_bps == b->target_rtd_bps && a->compliance_rule == b->compliance_rule &&
           a->membership_mode == b->membership_mode && a->auto_renew == b->auto_renew &&
           a->max_members == b->max_members && a->notice_seconds == b->notice_seconds &&
           a->redeem_cap_bps == b->redeem_cap_bps;
}

static bool results_equal(const tally_result *a, const tally_result *b) {
    return a->code == b->code && a->created_id == b->created_id && a->minted == b->minted &&
           a->burned == b->burned && a->fee == b->fee && a->risk_fee == b->risk_fee &&
           a->reserve == b->reserve && a->shares == b->shares && a->to_primary == b->to_primary &&
           a->to_excess == b->to_excess && a->available == b->available && a->effective_at == b->effective_at;
}

static bool summaries_equal(const tally_block_summary *a, const tally_block_summary *b) {
    return a->lines_renewed == b->lines_renewed && a->lines_expired == b->lines_expired &&
           a->lines_frozen == b->lines_frozen && a->lines_defaulted == b->lines_defaulted &&
           a->debt_written_off == b->debt_written_off && a->lost_debt_burned == b->lost_debt_burned &&
           a->reserve_reallocated == b->reserve_reallocated && a->policy_changes == b->policy_changes &&
           a->peg_changes == b->peg_changes;
}

static const tally_network *network_of(const simulation *sim, uint32_t network_id) {
    return tally_state_network(sim->state, network_id);
}

static const tally_member *member_of(const simulation *sim, uint32_t network_id, uint32_t actor) {
    return tally_state_member(sim->state, network_id, &sim->keys[actor]);
}

static bool is_current(const tally_member *member) {
    return member && member->status != TALLY_MEMBER_LEFT && member->status != TALLY_MEMBER_SYSTEM;
}

/* Which network, other key and asset a transaction names (by its type). */
static uint32_t tx_network(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_POLICY_UPDATE: return tx->body.policy_update.network_id;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.network_id;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return tx->body.network_key.network_id;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE: return tx->body.network_only.network_id;
    case TALLY_TX_ALIAS_SET: return tx->body.alias_set.network_id;
    case TALLY_TX_LINE_OPEN: return tx->body.line_open.network_id;
    case TALLY_TX_LINE_UPDATE: return tx->body.line_update.network_id;
    case TALLY_TX_TRANSFER: return tx->body.transfer.network_id;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: return tx->body.pool_amount.network_id;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.network_id;
    default: return 0;
    }
}

static const tally_key *tx_other_key(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return &tx->body.network_key.key;
    case TALLY_TX_LINE_OPEN: return &tx->body.line_open.member;
    case TALLY_TX_LINE_UPDATE: return &tx->body.line_update.member;
    case TALLY_TX_TRANSFER: return &tx->body.transfer.payee;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return &tx->body.asset_move.to;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.to_pool ? NULL : &tx->body.fee_distribute.to;
    case TALLY_TX_CHAIN_APPROVE: return &tx->body.chain_approve.key;
    default: return NULL;
    }
}

static uint32_t tx_asset(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return tx->body.asset_move.asset_id;
    case TALLY_TX_ASSET_BURN: return tx->body.asset_burn.asset_id;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.asset_id;
    default: return 0;
    }
}

static int64_t tx_amount(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_LINE_OPEN: return tx->body.line_open.limit;
    case TALLY_TX_LINE_UPDATE: return tx->body.line_update.limit;
    case TALLY_TX_TRANSFER: return tx->body.transfer.amount;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return tx->body.asset_move.amount;
    case TALLY_TX_ASSET_BURN: return tx->body.asset_burn.amount;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: return tx->body.pool_amount.amount;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.amount;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.peg_reserve_units;
    default: return 0;
    }
}

static void describe_key(const simulation *sim, const tally_key *key, char *out, size_t size) {
    if (tally_key_is_system(key)) {
        uint32_t network_id = (uint32_t)key->bytes[10] | (uint32_t)key->bytes[11] << 8 |
                              (uint32_t)key->bytes[12] << 16 | (uint32_t)key->bytes[13] << 24;
        snprintf(out, size, "system(kind %u, network %u)", key->bytes[9], network_id);
        return;
    }
    for (uint32_t i = 0; i < sim->actor_count; i++) {
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) {
            snprintf(out, size, "actor %u", i);
            return;
        }
    }
    snprintf(out, size, "key %02x%02x%02x%02x..", key->bytes[0], key->bytes[1], key->bytes[2], key->bytes[3]);
}

static void describe_tx(const simulation *sim, const tally_tx *tx, char *out, size_t size) {
    char signer[64], other[64] = "-";
    describe_key(sim, &tx->signer, signer, sizeof signer);
    const tally_key *other_key = tx_other_key(tx);
    if (other_key) describe_key(sim, other_key, other, sizeof other);
    const char *name = tally_tx_type_name(tx->type);
    int64_t extra = 0;
    if (tx->type == TALLY_TX_TRANSFER) extra = tx->body.transfer.max_fee;
    if (tx->type == TALLY_TX_PEG_SET) extra = tx->body.peg_set.peg_credit_units;
    if (tx->type == TALLY_TX_LINE_OPEN || tx->type == TALLY_TX_LINE_UPDATE)
        extra = tx->type == TALLY_TX_LINE_OPEN ? tx->body.line_open.risk_fee_bps : tx->body.line_update.risk_fee_bps;
    snprintf(out, size, "%s (type %u) signer %s seq %llu network %u asset %u amount %lld other %s extra %lld%s",
             name ? name : "?", tx->type, signer, (unsigned long long)tx->sequence, tx_network(tx),
             tx_asset(tx), (long long)tx_amount(tx), other, (long long)extra,
             tx->type == TALLY_TX_FEE_DISTRIBUTE && tx->body.fee_distribute.to_pool ? " to pool" : "");
}

static void describe_result(const tally_result *r, char *out, size_t size) {
    snprintf(out, size, "%s minted %lld burned %lld fee %lld risk %lld reserve %lld shares %lld primary %lld "
                        "excess %lld available %lld id %u",
             tally_error_name(r->code), (long long)r->minted, (long long)r->burned, (long long)r->fee,
             (long long)r->risk_fee, (long long)r->reserve, (long long)r->shares, (long long)r->to_primary,
             (long long)r->to_excess, (long long)r->available, r->created_id);
}

/* Records a failure with the seed, step and transaction, so that it can be replayed. */
static void sim_fail(simulation *sim, int line, const char *what) {
    sim->failed = true;
    char message[600];
    snprintf(message, sizeof message, "seed %llu step %u (block time %lld): %s", (unsigned long long)sim->seed,
             sim->step, (long long)sim->block_time, what);
    if (sim->failures++ < SIM_FAILURES_PRINTED) {
        fprintf(stderr, "simulation: %s\n", message);
        if (sim->current_tx) {
            char tx_text[400], result_text[300];
            describe_tx(sim, sim->current_tx, tx_text, sizeof tx_text);
            describe_result(&sim->current_result, result_text, sizeof result_text);
            fprintf(stderr, "    tx: %s\n    result: %s\n", tx_text, result_text);
        }
        fprintf(stderr, "    replay with TALLY_SIM_SEED=%llu TALLY_SIM_STEPS=%u\n",
                (unsigned long long)sim->seed, sim->steps);
    }
    test_fail(__FILE__, line, message);
}

#define SIM_EXPECT(sim, condition)                                                  \
    do {                                                                            \
        if (!(condition)) sim_fail((sim), __LINE__, #condition);                    \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Actors and rosters.                                                       */
/* ------------------------------------------------------------------------ */

static uint32_t staff_actor(simulation *sim) { return (uint32_t)rng_below(&sim->rng, SIM_STAFF); }

static uint32_t any_member_actor(simulation *sim) {
    return SIM_STAFF + (uint32_t)rng_below(&sim->rng, sim->actor_count - SIM_STAFF);
}

static uint32_t holder_actor(simulation *sim) {
    return SIM_STAFF + (uint32_t)rng_below(&sim->rng, sim->holder_count);
}

/* The staff actor that holds key (operators and issuers are staff), or NONE. */
static uint32_t staff_of_key(const simulation *sim, const tally_key *key) {
    for (uint32_t i = 0; i < SIM_STAFF; i++)
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return i;
    return NONE;
}

static uint32_t actor_of_key(const simulation *sim, const tally_key *key) {
    for (uint32_t i = 0; i < sim->actor_count; i++)
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return i;
    return NONE;
}

static void roster_add(simulation *sim, uint32_t network_id, uint32_t actor) {
    if (actor == NONE || network_id == 0 || network_id > SIM_NETWORKS_MAX) return;
    uint8_t *flag = &sim->on_roster[(size_t)network_id * sim->actor_count + actor];
    if (*flag) return;
    *flag = 1;
    sim_roster *roster = &sim->rosters[network_id];
    if (roster->count == roster->capacity) {
        roster->capacity = roster->capacity ? roster->capacity * 2 : 64;
        roster->actors = realloc(roster->actors, roster->capacity * sizeof *roster->actors);
        if (!roster->actors) abort();
    }
    roster->actors[roster->count++] = actor;
    if (!sim->ever_member[actor]) {
        sim->ever_member[actor] = 1;
        sim->counts.member_keys++;
    }
}

typedef int64_t (*member_score)(const tally_state *state, const tally_member *member);
#define UNSUITABLE INT64_MIN

static int64_t score_any(const tally_state *state, const tally_member *member) {
    (void)state, (void)member;
    return 0;
}
static int64_t score_available(const tally_state *state, const tally_member *member) {
    return tally_member_available(state, member);
}
static int64_t score_balance(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance;
}
static int64_t score_in_debt(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance < 0 ? -member->balance : UNSUITABLE;
}
static int64_t score_lowest(const tally_state *state, const tally_member *member) {
    (void)state;
    return -member->balance;
}
static int64_t score_positive(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance > 0 ? member->balance : UNSUITABLE;
}
static int64_t score_zero(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance == 0 ? 0 : UNSUITABLE;
}
static int64_t score_active(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->status == TALLY_MEMBER_ACTIVE ? 0 : UNSUITABLE;
}
static int64_t score_barred(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->status == TALLY_MEMBER_SUSPENDED || member->status == TALLY_MEMBER_DEFAULTED ? 0 : UNSUITABLE;
}
static int64_t score_without_line(const tally_state *state, const tally_member *member) {
    (void)state;
    return line_is_open(member) ? UNSUITABLE : 0;
}
static int64_t score_with_line(const tally_state *state, const tally_member *member) {
    (void)state;
    /* Expired and frozen lines first: their updates are the interesting ones. */
    if (!line_is_open(member)) return UNSUITABLE;
    return member->line_status == TALLY_LINE_ACTIVE ? 0 : 1;
}
static int64_t score_closable(const tally_state *state, const tally_member *member) {
    (void)state;
    return line_is_open(member) && member->balance >= 0 ? 0 : UNSUITABLE;
}

/* Of `samples` random roster entries that are current members of the network, the
 * actor with the highest score (UNSUITABLE ones excluded); NONE if there is none. */
static uint32_t pick_member(simulation *sim, uint32_t network_id, uint32_t samples, member_score score) {
    if (network_id == 0 || network_id > SIM_NETWORKS_MAX) return NONE;
    const sim_roster *roster = &sim->rosters[network_id];
    if (roster->count == 0) return NONE;
    uint32_t best = NONE;
    int64_t best_score = UNSUITABLE;
    for (uint32_t i = 0; i < samples; i++) {
        uint32_t actor = roster->actors[rng_below(&sim->rng, roster->count)];
        const tally_member *member = member_of(sim, network_id, actor);
        if (!is_current(member)) continue;
        int64_t value = score(sim->state, member);
        if (value == UNSUITABLE) continue;
        if (best == NONE || value > best_score) {
            best = actor;
            best_score = value;
        }
    }
    return best;
}

static uint32_t pick_network(simulation *sim) {
    uint32_t count = tally_state_network_count(sim->state);
    if (count > SIM_NETWORKS_MAX) count = SIM_NETWORKS_MAX;
    return count ? 1 + (uint32_t)rng_below(&sim->rng, count) : 1;
}

/* Of two random networks, the one with more members: payments need members. */
static uint32_t pick_busy_network(simulation *sim) {
    uint32_t first = pick_network(sim), second = pick_network(sim);
    const tally_network *a = network_of(sim, first), *b = network_of(sim, second);
    return a && b && b->member_count > a->member_count ? second : first;
}

static uint32_t unknown_network(simulation *sim) {
    if (rng_percent(&sim->rng, 30)) return 0;
    return tally_state_network_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 1000);
}

static uint32_t unknown_asset(simulation *sim) {
    if (rng_percent(&sim->rng, 30)) return 0;
    return tally_state_asset_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 1000);
}

static uint32_t pick_asset(simulation *sim) {
    uint32_t count = tally_state_asset_count(sim->state);
    return count ? 1 + (uint32_t)rng_below(&sim->rng, count) : 1;
}

static tally_key system_key_of(simulation *sim, uint32_t network_id) {
    return tally_system_key(network_id ? network_id : 1, (tally_system_kind)(1 + rng_below(&sim->rng, 3)));
}

/* 1..INT64_MAX, log-uniform: every order of magnitude equally often. */
static int64_t any_magnitude(sim_rng *rng) {
    uint32_t bits = 1 + (uint32_t)rng_below(rng, 63);
    int64_t top = bits == 63 ? INT64_MAX : ((int64_t)1 << bits) - 1;
    return rng_between(rng, top / 2 + 1, top);
}

static int64_t bad_amount(simulation *sim) {
    static const int64_t amounts[] = {0, -1, -250, INT64_MIN, INT64_MIN + 1};
    return RNG_PICK(&sim->rng, amounts);
}

/* ------------------------------------------------------------------------ */
/* Generators: one per transaction type, valid most of the time, and invalid */
/* in each of the ways the type can be.                                      */
/* ------------------------------------------------------------------------ */

static void gen_begin_key(simulation *sim, sim_gen *gen, tally_tx_type type, const tally_key *signer,
                          uint32_t signer_actor) {
    memset(gen, 0, sizeof *gen);
    gen->expect = -1;
    gen->signer_actor = signer_actor;
    gen->other_actor = NONE;
    gen->tx.type = (uint8_t)type;
    memcpy(gen->tx.chain_id, sim->chain_id, TALLY_CHAIN_ID_BYTES);
    gen->tx.signer = *signer;
    gen->tx.sequence = tally_state_next_sequence(sim->state, signer);
}

static void gen_begin(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t actor) {
    gen_begin_key(sim, gen, type, &sim->keys[actor], actor);
}

/* An operator's transaction on a random network. variant 1: for an unknown
 * network; variant 2: signed by a member who operates nothing. Returns the id. */
static uint32_t begin_operated(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t variant) {
    uint32_t network_id = pick_network(sim);
    const tally_network *network = network_of(sim, network_id);
    if (variant == 1 || !network) {
        gen_begin(sim, gen, type, staff_actor(sim));
        return unknown_network(sim);
    }
    if (variant == 2) {
        gen_begin(sim, gen, type, any_member_actor(sim));
        return network_id;
    }
    const tally_key *operator_key = &network->operators[rng_below(&sim->rng, network->operator_count)];
    tally_key key = *operator_key;
    gen_begin_key(sim, gen, type, &key, staff_of_key(sim, &key));
    return network_id;
}

/* The member an operator acts on: found by `score`, a non-member (variant 4) or a
 * system key (variant 3). */
static tally_key operated_member(simulation *sim, sim_gen *gen, uint32_t network_id, uint32_t variant,
                                 uint32_t samples, member_score score) {
    if (variant == 3) return system_key_of(sim, network_id);
    uint32_t actor = variant == 4 ? any_member_actor(sim) : pick_member(sim, network_id, samples, score);
    if (actor == NONE) actor = pick_member(sim, network_id, 4, score_any);
    if (actor == NONE) actor = any_member_actor(sim);
    gen->other_actor = actor;
    return sim->keys[actor];
}

static tally_policy random_policy(sim_rng *rng) {
    static const int64_t limits[] = {0, 5000, 20000, 100000};
    static const int64_t headroom[] = {0, 50000, 500000, 10000000};
    static const int64_t caps[] = {0, 0, 50000, 300000};
    static const uint32_t fees[] = {0, 10, 25, 100, 500};
    static const uint32_t risks[] = {0, 50, 200, 1000};
    static const uint32_t incomes[] = {0, 500, 2000, 10000};
    static const uint32_t targets[] = {0, 1000, 5000, 10000};
    tally_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.default_credit_limit = RNG_PICK(rng, limits);
    policy.max_credit_limit = policy.default_credit_limit + RNG_PICK(rng, headroom);
    if (rng_percent(rng, 12)) policy.max_credit_limit = INT64_MAX; /* an edge the rules must survive */
    policy.positive_cap = RNG_PICK(rng, caps);
    policy.fee_bps = RNG_PICK(rng, fees);
    policy.default_risk_fee_bps = RNG_PICK(rng, risks);
    policy.period_seconds = (uint32_t)rng_between(rng, 2, 28) * SIM_DAY;
    policy.grace_seconds = rng_percent(rng, 20) ? 0 : (uint32_t)rng_between(rng, 1, 10) * SIM_DAY;
    policy.min_income_bps = RNG_PICK(rng, incomes);
    policy.target_rtd_bps = RNG_PICK(rng, targets);
    policy.compliance_rule = (uint8_t)rng_below(rng, TALLY_COMPLIANCE_COUNT);
    policy.membership_mode = (uint8_t)rng_below(rng, TALLY_MEMBERSHIP_COUNT);
    policy.auto_renew = rng_percent(rng, 60);
    static const uint32_t member_bounds[] = {50, 400, 100000};
    static const uint32_t notices[] = {1, 2, 7};
    static const uint32_t redeem_caps[] = {100, 1000, 5000, 10000};
    policy.max_members = RNG_PICK(rng, member_bounds);
    policy.notice_seconds = RNG_PICK(rng, notices) * SIM_DAY;
    policy.redeem_cap_bps = RNG_PICK(rng, redeem_caps);
    return policy;
}

/* Changes one or two numbers of a policy, keeping its rule, mode and renewal, so
 * the designed networks keep their character. */
static void tweak_policy(sim_rng *rng, tally_policy *policy) {
    static const uint32_t fees[] = {0, 10, 25, 100, 500, 10000};
    static const uint32_t risks[] = {0, 50, 150, 300, 1000};
    static const uint32_t targets[] = {0, 1000, 2000, 5000, 10000};
    static const uint32_t incomes[] = {0, 1000, 2000, 5000};
    static const uint32_t notices[] = {1, 2, 3, 7};
    static const uint32_t redeem_caps[] = {100, 1000, 2500, 10000};
    uint32_t changes = 1 + (uint32_t)rng_below(rng, 2);
    for (uint32_t i = 0; i < changes; i++) {
        switch (rng_below(rng, 11)) {
        case 8: policy->notice_seconds = RNG_PICK(rng, notices) * SIM_DAY; break;
        case 9: policy->redeem_cap_bps = RNG_PICK(rng, redeem_caps); break;
        case 10: policy->max_members = (uint32_t)rng_between(rng, 20, 2000); break;
        case 0: policy->fee_bps = RNG_PICK(rng, fees); break;
        case 1: policy->default_risk_fee_bps = RNG_PICK(rng, risks); break;
        case 2:
            if (policy->positive_cap > 0) policy->positive_cap = rng_between(rng, 20000, 300000);
            break;
        case 3:
            policy->max_credit_limit = policy->default_credit_limit + rng_between(rng, 0, 400000);
            break;
        case 4: policy->grace_seconds = (uint32_t)rng_between(rng, 1, 10) * SIM_DAY; break;
        case 5: policy->period_seconds = (uint32_t)rng_between(rng, 3, 28) * SIM_DAY; break;
        case 6: policy->target_rtd_bps = RNG_PICK(rng, targets); break;
        default: policy->min_income_bps = RNG_PICK(rng, incomes); break;
        }
    }
    if (policy->fee_bps == 10000 && !rng_percent(rng, 10)) policy->fee_bps = 50;
}

/* Puts one field of a policy out of its range. */
static void break_policy(sim_rng *rng, tally_policy *policy) {
    switch (rng_below(rng, 14)) {
    case 10: policy->max_members = rng_percent(rng, 50) ? 0 : TALLY_MEMBER_RECORDS_PER_NETWORK_MAX + 1; break;
    case 11: policy->notice_seconds = rng_percent(rng, 50) ? TALLY_NOTICE_SECONDS_MIN - 1 : UINT32_MAX; break;
    case 12: policy->redeem_cap_bps = rng_percent(rng, 50) ? 0 : TALLY_BPS_ONE + 1; break;
    case 0: policy->default_credit_limit = -1; break;
    case 1:
        policy->default_credit_limit = 1000;
        policy->max_credit_limit = 999;
        break;
    case 2: policy->positive_cap = rng_percent(rng, 50) ? -1 : INT64_MIN; break;
    case 3: policy->fee_bps = TALLY_BPS_ONE + 1 + (uint32_t)rng_below(rng, 100); break;
    case 4: policy->default_risk_fee_bps = UINT32_MAX; break;
    case 5: policy->period_seconds = 0; break;
    case 6: policy->min_income_bps = TALLY_BPS_ONE + 1; break;
    case 7: policy->target_rtd_bps = TALLY_BPS_ONE + 1; break;
    case 8: policy->compliance_rule = (uint8_t)(TALLY_COMPLIANCE_COUNT + rng_below(rng, 250)); break;
    case 9:
    case 13:
    default: policy->membership_mode = (uint8_t)(TALLY_MEMBERSHIP_COUNT + rng_below(rng, 250)); break;
    }
}

/* A network with a reserve asset, most of the time. */
static uint32_t pick_pool_network(simulation *sim) {
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 3; i++) {
        const tally_network *network = network_of(sim, network_id);
        if (network && network->reserve_asset_id) break;
        network_id = pick_network(sim);
    }
    return network_id;
}

static void make_network_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    gen_begin(sim, gen, TALLY_TX_NETWORK_CREATE, staff_actor(sim));
    tally_tx_network_create *body = &gen->tx.body.network_create;
    char name[40];
    snprintf(name, sizeof name, "Sim network %u", (unsigned)rng_below(rng, 1000));
    text_put(&body->name, name);
    text_put(&body->unit_code, "SIM");
    body->decimals = (uint8_t)rng_below(rng, TALLY_DECIMALS_MAX + 1);
    body->policy = random_policy(rng);
    bool room = tally_state_network_count(sim->state) < SIM_NETWORKS_MAX;
    if (room && rng_percent(rng, 30)) return;
    switch (rng_below(rng, 7)) {
    case 0: text_put(&body->name, ""); break;
    case 1: text_put(&body->name, "bad\x01name"); break;
    case 2: text_put(&body->unit_code, "sim"); break;
    case 3: text_put(&body->unit_code, "ABCDEFGHJ"); break;
    case 4: text_put(&body->unit_code, ""); break;
    case 5: body->decimals = (uint8_t)(TALLY_DECIMALS_MAX + 1 + rng_below(rng, 200)); break;
    default: break_policy(rng, &body->policy); break;
    }
}

static void make_policy_update(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_POLICY_UPDATE, variant);
    tally_tx_policy_update *body = &gen->tx.body.policy_update;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    body->policy = network ? network->policy : random_policy(rng);
    tweak_policy(rng, &body->policy);
    if (variant == 3) break_policy(rng, &body->policy);
}

static void make_peg_set(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const int64_t rates[][2] = {{1, 1}, {3, 2}, {1, 100}, {2, 3}, {5, 1}, {1, 1}, {3, 2}};
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_PEG_SET, variant <= 2 ? variant : 0);
    tally_tx_peg_set *body = &gen->tx.body.peg_set;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (network && network->reserve_asset_id && roll < 65) body->asset_id = network->reserve_asset_id;
    else if (roll < 88) body->asset_id = pick_asset(sim);
    else body->asset_id = 0;
    size_t rate = rng_below(rng, sizeof rates / sizeof rates[0]);
    body->peg_reserve_units = rates[rate][0];
    body->peg_credit_units = rates[rate][1];
    if (rng_percent(rng, 2)) body->peg_reserve_units = rng_percent(rng, 50) ? INT64_MAX : 1000000000;
    if (rng_percent(rng, 2)) body->peg_credit_units = rng_percent(rng, 50) ? INT64_MAX : 1000000000;
    if (network_id == SIM_EDGE_NETWORK && rng_percent(rng, 60)) { /* pegs of any size, pool or not */
        body->peg_reserve_units = any_magnitude(rng);
        body->peg_credit_units = any_magnitude(rng);
    }
    if (variant == 3) { /* never 0: that clears the peg */
        body->asset_id = unknown_asset(sim);
        if (!body->asset_id) body->asset_id = tally_state_asset_count(sim->state) + 1;
    }
    if (variant == 4) {
        if (!body->asset_id) body->asset_id = pick_asset(sim);
        if (rng_percent(rng, 50)) body->peg_reserve_units = bad_amount(sim);
        else body->peg_credit_units = bad_amount(sim);
    }
}

static void make_operator_add(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_OPERATOR_ADD, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    uint32_t actor = staff_actor(sim);
    gen->other_actor = actor;
    gen->tx.body.network_key.key = sim->keys[actor];
    if (variant == 3) gen->tx.body.network_key.key = system_key_of(sim, network_id);
}

static void make_operator_remove(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 2) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_OPERATOR_REMOVE, variant);
    gen->tx.body.network_key.network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    if (network && rng_percent(rng, 75)) {
        gen->tx.body.network_key.key = network->operators[rng_below(rng, network->operator_count)];
    } else {
        uint32_t actor = rng_percent(rng, 50) ? staff_actor(sim) : any_member_actor(sim);
        gen->other_actor = actor;
        gen->tx.body.network_key.key = sim->keys[actor];
    }
}

static void make_member_join(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 3; i++) { /* mostly open networks, where joining works */
        const tally_network *network = network_of(sim, network_id);
        if (network && network->policy.membership_mode == TALLY_MEMBERSHIP_OPEN) break;
        network_id = pick_network(sim);
    }
    uint32_t actor = any_member_actor(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 6) network_id = unknown_network(sim);
    else if (roll < 12) {
        uint32_t member = pick_member(sim, network_id, 2, score_any);
        if (member != NONE) actor = member; /* ALREADY_MEMBER */
    }
    gen_begin(sim, gen, TALLY_TX_MEMBER_JOIN, actor);
    gen->tx.body.network_only.network_id = network_id;
}

static void make_member_admit(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_ADMIT, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    uint32_t actor = any_member_actor(sim);
    if (variant == 4) {
        uint32_t member = pick_member(sim, network_id, 2, score_any);
        if (member != NONE) actor = member; /* ALREADY_MEMBER */
    }
    gen->other_actor = actor;
    gen->tx.body.network_key.key = sim->keys[actor];
    if (variant == 3) gen->tx.body.network_key.key = system_key_of(sim, network_id);
}

static void make_member_suspend(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_SUSPEND, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = rng_percent(rng, 85) ? score_active : score_barred;
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 6, score);
}

static void make_member_reinstate(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_REINSTATE, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = rng_percent(rng, 85) ? score_barred : score_active;
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 16, score);
}

static void make_member_leave(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint32_t actor = roll < 75 ? pick_member(sim, network_id, 16, score_zero)
                               : pick_member(sim, network_id, 2, score_any); /* BALANCE_NOT_ZERO */
    if (actor == NONE || roll >= 92) actor = any_member_actor(sim);         /* NOT_MEMBER */
    gen_begin(sim, gen, TALLY_TX_MEMBER_LEAVE, actor);
    gen->tx.body.network_only.network_id = roll >= 96 ? unknown_network(sim) : network_id;
}

static void make_alias_set(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    uint32_t actor = pick_member(sim, network_id, 1, score_any);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (actor == NONE || roll < 6) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_ALIAS_SET, actor);
    tally_tx_alias_set *body = &gen->tx.body.alias_set;
    body->network_id = roll >= 97 ? unknown_network(sim) : network_id;
    const sim_roster *roster = network_id <= SIM_NETWORKS_MAX ? &sim->rosters[network_id] : NULL;
    char alias[48];
    snprintf(alias, sizeof alias, "m%u.x", (unsigned)rng_below(rng, 2 * (roster ? roster->count : 0) + 8));
    if (roll >= 80 && roll < 88) alias[0] = '\0'; /* clears */
    else if (roll >= 88 && roll < 91) snprintf(alias, sizeof alias, "Upper");
    else if (roll >= 91 && roll < 94) snprintf(alias, sizeof alias, "%s", "abcdefghijklmnopqrstuvwxyz0123456");
    else if (roll >= 94 && roll < 97) snprintf(alias, sizeof alias, "has space");
    text_put(&body->alias, alias);
}

static void make_line_open(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint32_t risks[] = {0, 0, 100, 500, 2500};
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 7) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_OPEN, variant <= 2 ? variant : 0);
    tally_tx_line_open *body = &gen->tx.body.line_open;
    body->network_id = network_id;
    body->member = operated_member(sim, gen, network_id, variant, 16, score_without_line);
    const tally_network *network = network_of(sim, network_id);
    int64_t max = network ? network->policy.max_credit_limit : 100000;
    body->limit = rng_percent(rng, 70) ? rng_between(rng, 0, max < 200000 ? max : 200000) : rng_between(rng, 0, max);
    body->period_seconds = rng_percent(rng, 50) ? 0 : (uint32_t)rng_between(rng, 2, 30) * SIM_DAY;
    body->grace_seconds = rng_percent(rng, 50) ? 0 : (uint32_t)rng_between(rng, 1, 10) * SIM_DAY;
    body->risk_fee_bps = RNG_PICK(rng, risks);
    if (variant == 5) body->limit = max < INT64_MAX ? rng_between(rng, max + 1, INT64_MAX) : INT64_MAX;
    if (variant == 6) body->limit = bad_amount(sim) | INT64_MIN; /* negative */
    if (variant == 7) body->risk_fee_bps = TALLY_BPS_ONE + 1 + (uint32_t)rng_below(rng, 1000);
}

static void make_line_update(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint32_t risks[] = {0, 0, 100, 500, 2500};
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 8) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_UPDATE, variant <= 2 ? variant : 0);
    tally_tx_line_update *body = &gen->tx.body.line_update;
    body->network_id = network_id;
    member_score score = variant == 8 ? score_without_line : score_with_line;
    body->member = operated_member(sim, gen, network_id, variant, 8, score);
    const tally_network *network = network_of(sim, network_id);
    int64_t max = network ? network->policy.max_credit_limit : 100000;
    const tally_member *member = network ? tally_state_member(sim->state, network_id, &body->member) : NULL;
    int64_t debt = member ? debt_of(member->balance) : 0;
    int64_t high = plus(debt, 200000);
    if (max >= debt && max < high) high = max;
    body->limit = rng_between(rng, debt, high);
    if (rng_percent(rng, 12) && debt > 0) body->limit = rng_between(rng, 0, debt - 1); /* LIMIT_BELOW_DEBT */
    body->risk_fee_bps = RNG_PICK(rng, risks);
    if (variant == 5) body->limit = max < INT64_MAX ? rng_between(rng, max + 1, INT64_MAX) : INT64_MAX;
    if (variant == 6) body->limit = bad_amount(sim) | INT64_MIN;
    if (variant == 7) body->risk_fee_bps = TALLY_BPS_ONE + 1;
}

static void make_line_close(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_CLOSE, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = variant == 5 ? score_with_line : score_closable; /* DEBT_NOT_ZERO, NO_LINE */
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 12, score);
}

static void make_transfer(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const char *const memos[] = {"", "", "", "bread", "rent for March", "invoice 42", "\xe2\x82\xac 5"};
    uint32_t network_id = pick_busy_network(sim);
    uint32_t mode = (uint32_t)rng_below(rng, 100);
    member_score payer_score = mode < 45 ? score_available : mode < 75 ? score_balance : score_any;
    uint32_t payer = pick_member(sim, network_id, 4, payer_score);
    uint32_t payee = pick_member(sim, network_id, rng_percent(rng, 50) ? 4 : 1,
                                 rng_percent(rng, 50) ? score_lowest : score_any);
    if (payee == payer) payee = pick_member(sim, network_id, 1, score_any);
    uint32_t variant = rng_percent(rng, 10) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    if (payer == NONE || variant == 1) payer = any_member_actor(sim); /* NOT_MEMBER, mostly */
    if (payee == NONE || variant == 2) payee = any_member_actor(sim);
    if (variant == 3) payee = payer; /* SELF_TRANSFER */
    gen_begin(sim, gen, TALLY_TX_TRANSFER, payer);
    gen->other_actor = payee;
    tally_tx_transfer *body = &gen->tx.body.transfer;
    body->network_id = variant == 4 ? unknown_network(sim) : network_id;
    body->payee = variant == 5 ? system_key_of(sim, network_id) : sim->keys[payee];
    const tally_member *from = member_of(sim, network_id, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 72 && available > 1) {
        body->amount = rng_between(rng, 1, available - available / 8);
    } else if (roll < 82) {
        body->amount = plus(available, 1 + (int64_t)rng_below(rng, 1000)); /* INSUFFICIENT_CREDIT, or the line's state */
    } else if (roll < 94) {
        body->amount = rng_between(rng, 1, 3000);
    } else {
        static const int64_t edges[] = {0, -1, -700, INT64_MAX, INT64_MIN, INT64_MAX - 1};
        body->amount = RNG_PICK(rng, edges);
    }
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 7) body->max_fee = 0; /* FEE_ABOVE_MAX wherever there is a fee */
    else if (roll < 12) body->max_fee = INT64_MAX;
    else body->max_fee = body->amount > 0 ? plus(body->amount, 2) : 2;
    text_put(&body->memo, RNG_PICK(rng, memos));
    if (variant == 6) body->memo.length = TALLY_MEMO_MAX + 1 + (uint16_t)rng_below(rng, 100);
}

static void make_asset_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    gen_begin(sim, gen, TALLY_TX_ASSET_CREATE, staff_actor(sim));
    tally_tx_asset_create *body = &gen->tx.body.asset_create;
    char code[16], name[40];
    snprintf(code, sizeof code, "R%u", (unsigned)rng_below(rng, 1000));
    snprintf(name, sizeof name, "Reserve %s", code);
    text_put(&body->code, code);
    text_put(&body->name, name);
    body->decimals = (uint8_t)rng_below(rng, TALLY_DECIMALS_MAX + 1);
    bool room = tally_state_asset_count(sim->state) < SIM_ASSETS_MAX;
    if (room && rng_percent(rng, 35)) return;
    switch (rng_below(rng, 6)) {
    case 0: text_put(&body->code, "usd"); break;
    case 1: text_put(&body->code, "ABCDEFGHJ"); break;
    case 2: text_put(&body->code, ""); break;
    case 3: text_put(&body->name, ""); break;
    case 4: text_put(&body->name, "tab\there"); break;
    default: body->decimals = (uint8_t)(TALLY_DECIMALS_MAX + 1 + rng_below(rng, 200)); break;
    }
}

static void make_asset_issue(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    if (!asset || variant == 2) {
        gen_begin(sim, gen, TALLY_TX_ASSET_ISSUE, rng_percent(rng, 50) ? staff_actor(sim) : any_member_actor(sim));
    } else {
        tally_key issuer = asset->issuer;
        gen_begin_key(sim, gen, TALLY_TX_ASSET_ISSUE, &issuer, staff_of_key(sim, &issuer));
    }
    tally_tx_asset_move *body = &gen->tx.body.asset_move;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint32_t to = roll < 50 ? holder_actor(sim) : roll < 65 ? gen->signer_actor : any_member_actor(sim);
    if (roll >= 75) to = pick_member(sim, pick_pool_network(sim), 6, score_in_debt); /* to repay with */
    if (to == NONE) to = holder_actor(sim);
    gen->other_actor = to;
    body->to = variant == 4 ? system_key_of(sim, pick_network(sim)) : sim->keys[to];
    body->amount = rng_percent(rng, 3) ? rng_between(rng, 1000000000000, 1000000000000000) : rng_between(rng, 1, 500000);
    if (variant == 3) body->amount = bad_amount(sim);
    if (variant == 5) body->amount = INT64_MAX; /* AMOUNT_OVERFLOW once anything was issued */
}

/* Of `samples` holders (and the asset's issuer), the one holding most of asset. */
static uint32_t richest_holder(simulation *sim, uint32_t asset_id, uint32_t samples) {
    uint32_t best = holder_actor(sim);
    int64_t best_amount = tally_state_asset_balance(sim->state, asset_id, &sim->keys[best]);
    for (uint32_t i = 1; i < samples; i++) {
        uint32_t actor = holder_actor(sim);
        int64_t amount = tally_state_asset_balance(sim->state, asset_id, &sim->keys[actor]);
        if (amount > best_amount) {
            best = actor;
            best_amount = amount;
        }
    }
    return best;
}

static void make_asset_transfer(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t from = richest_holder(sim, asset_id, 6);
    if (asset && rng_percent(rng, 15)) {
        uint32_t issuer = staff_of_key(sim, &asset->issuer);
        if (issuer != NONE) from = issuer;
    }
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    gen_begin(sim, gen, TALLY_TX_ASSET_TRANSFER, from);
    tally_tx_asset_move *body = &gen->tx.body.asset_move;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    uint32_t to = rng_percent(rng, 60) ? holder_actor(sim) : any_member_actor(sim);
    if (variant == 3) to = from; /* SELF_TRANSFER */
    gen->other_actor = to;
    body->to = sim->keys[to];
    if (variant == 4) {
        tally_key pool = tally_system_key(pick_network(sim), TALLY_SYSTEM_POOL);
        body->to = pool; /* reserves reach a pool only by its rules */
    }
    int64_t held = tally_state_asset_balance(sim->state, asset_id, &sim->keys[from]);
    body->amount = held > 0 ? rng_between(rng, 1, rng_percent(rng, 80) ? held / 2 + 1 : held) : rng_between(rng, 1, 100);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 5) body->amount = plus(held, 1 + (int64_t)rng_below(rng, 100));
}

static void make_asset_burn(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (!asset || variant == 2) {
        gen_begin(sim, gen, TALLY_TX_ASSET_BURN, holder_actor(sim));
    } else {
        tally_key issuer = asset->issuer;
        gen_begin_key(sim, gen, TALLY_TX_ASSET_BURN, &issuer, staff_of_key(sim, &issuer));
    }
    tally_tx_asset_burn *body = &gen->tx.body.asset_burn;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    int64_t held = tally_state_asset_balance(sim->state, asset_id, &gen->tx.signer);
    body->amount = held > 0 ? rng_between(rng, 1, held) : rng_between(rng, 1, 100);
    if (variant == 3) body->amount = bad_amount(sim);
    if (variant == 4) body->amount = plus(held, 1);
}

static void make_pool_deposit(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t asset_id = network ? network->reserve_asset_id : 0;
    uint32_t actor = asset_id ? richest_holder(sim, asset_id, 6) : holder_actor(sim);
    int64_t held = asset_id ? tally_state_asset_balance(sim->state, asset_id, &sim->keys[actor]) : 0;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    gen_begin(sim, gen, TALLY_TX_POOL_DEPOSIT, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (held > 0 && roll < 75) body->amount = rng_between(rng, 1, held / 3 + 1);
    else if (roll < 90) body->amount = rng_between(rng, 1, 3); /* AMOUNT_TOO_SMALL once shares are dear */
    else body->amount = held > 0 ? held : rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(held, 1);
}

static void make_pool_withdraw(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    uint32_t actor = holder_actor(sim);
    int64_t shares = tally_state_pool_shares(sim->state, network_id, &sim->keys[actor]);
    for (int i = 0; i < 8; i++) {
        uint32_t candidate = holder_actor(sim);
        int64_t owned = tally_state_pool_shares(sim->state, network_id, &sim->keys[candidate]);
        if (owned > shares) {
            actor = candidate;
            shares = owned;
        }
    }
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    gen_begin(sim, gen, TALLY_TX_POOL_WITHDRAW, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    if (shares > 0) body->amount = rng_percent(rng, 15) ? shares : rng_between(rng, 1, shares / 2 + 1);
    else body->amount = rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(shares, 1);
}

static void make_pool_repay(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t asset_id = network ? network->reserve_asset_id : 0;
    /* A member in debt who holds the reserve, if one is found. */
    uint32_t actor = NONE;
    int64_t debt = 0;
    const sim_roster *roster = network_id <= SIM_NETWORKS_MAX ? &sim->rosters[network_id] : NULL;
    for (int i = 0; roster && roster->count && i < 24 && actor == NONE; i++) {
        uint32_t candidate = roster->actors[rng_below(rng, roster->count)];
        const tally_member *member = member_of(sim, network_id, candidate);
        if (!is_current(member) || member->balance >= 0) continue;
        if (asset_id && tally_state_asset_balance(sim->state, asset_id, &sim->keys[candidate]) <= 0) continue;
        actor = candidate;
        debt = debt_of(member->balance);
    }
    if (actor == NONE) {
        actor = pick_member(sim, network_id, 4, score_in_debt);
        if (actor == NONE) actor = holder_actor(sim);
        const tally_member *member = member_of(sim, network_id, actor);
        debt = member ? debt_of(member->balance) : 0;
    }
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (variant == 4) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_POOL_REPAY, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    body->amount = debt > 0 ? rng_between(rng, 1, debt) : rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(debt, 1); /* NOT_IN_DEBT */
}

static void make_pool_redeem(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t actor = pick_member(sim, network_id, 6, score_positive);
    if (actor == NONE) actor = any_member_actor(sim);
    const tally_member *member = member_of(sim, network_id, actor);
    int64_t balance = member ? positive_of(member->balance) : 0;
    int64_t lost = 0;
    if (network) lost = debt_of(tally_state_member_at(sim->state, network->lost_debt_member)->balance);
    int64_t most = balance < lost ? balance : lost;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (variant == 4) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_POOL_REDEEM, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    body->amount = most > 0 ? rng_between(rng, 1, most) : rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(balance, 1);
}

static void make_fee_distribute(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_FEE_DISTRIBUTE, variant <= 2 ? variant : 0);
    tally_tx_fee_distribute *body = &gen->tx.body.fee_distribute;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    int64_t fees = network ? tally_state_member_at(sim->state, network->fee_member)->balance : 0;
    body->to_pool = variant < 3 && rng_percent(rng, 40);
    uint32_t to = variant == 4 ? any_member_actor(sim) : pick_member(sim, network_id, 2, score_lowest);
    if (to == NONE) to = any_member_actor(sim);
    gen->other_actor = body->to_pool ? NONE : to;
    body->to = sim->keys[to];
    if (variant == 3) body->to = system_key_of(sim, network_id);
    body->amount = fees > 0 ? rng_between(rng, 1, fees) : rng_between(rng, 1, 100);
    if (variant == 5) body->amount = plus(fees, 1);
    if (variant == 6) body->amount = bad_amount(sim);
}

/* A validator sets a staff key's approvals (sometimes too many, for a system key, or
 * signed by someone who is not a validator). */
static void make_chain_approve(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t signer = variant == 1 ? 2 + (uint32_t)rng_below(rng, SIM_STAFF - 2)
                                   : SIM_VALIDATOR_FIRST + (uint32_t)rng_below(rng, 2);
    gen_begin(sim, gen, TALLY_TX_CHAIN_APPROVE, signer);
    tally_tx_chain_approve *body = &gen->tx.body.chain_approve;
    uint32_t approved = staff_actor(sim);
    gen->other_actor = approved;
    body->key = sim->keys[approved];
    body->networks = (uint32_t)rng_below(rng, 4);
    body->assets = (uint32_t)rng_below(rng, 3);
    if (variant == 2) body->networks = TALLY_APPROVALS_MAX + 1 + (uint32_t)rng_below(rng, 1000);
    if (variant == 3) {
        gen->other_actor = NONE;
        body->key = system_key_of(sim, pick_network(sim));
    }
}

typedef void (*sim_generator)(simulation *sim, sim_gen *gen);

static const struct {
    tally_tx_type type;
    uint32_t weight;
    sim_generator make;
} generators[] = {
    {TALLY_TX_NETWORK_CREATE, 3, make_network_create},
    {TALLY_TX_POLICY_UPDATE, 6, make_policy_update},
    {TALLY_TX_PEG_SET, 5, make_peg_set},
    {TALLY_TX_OPERATOR_ADD, 5, make_operator_add},
    {TALLY_TX_OPERATOR_REMOVE, 5, make_operator_remove},
    {TALLY_TX_MEMBER_JOIN, 55, make_member_join},
    {TALLY_TX_MEMBER_ADMIT, 45, make_member_admit},
    {TALLY_TX_MEMBER_SUSPEND, 8, make_member_suspend},
    {TALLY_TX_MEMBER_REINSTATE, 15, make_member_reinstate},
    {TALLY_TX_MEMBER_LEAVE, 12, make_member_leave},
    {TALLY_TX_ALIAS_SET, 15, make_alias_set},
    {TALLY_TX_LINE_OPEN, 35, make_line_open},
    {TALLY_TX_LINE_UPDATE, 30, make_line_update},
    {TALLY_TX_LINE_CLOSE, 10, make_line_close},
    {TALLY_TX_TRANSFER, 450, make_transfer},
    {TALLY_TX_ASSET_CREATE, 3, make_asset_create},
    {TALLY_TX_ASSET_ISSUE, 25, make_asset_issue},
    {TALLY_TX_ASSET_TRANSFER, 25, make_asset_transfer},
    {TALLY_TX_ASSET_BURN, 8, make_asset_burn},
    {TALLY_TX_POOL_DEPOSIT, 25, make_pool_deposit},
    {TALLY_TX_POOL_WITHDRAW, 15, make_pool_withdraw},
    {TALLY_TX_POOL_REPAY, 20, make_pool_repay},
    {TALLY_TX_POOL_REDEEM, 20, make_pool_redeem},
    {TALLY_TX_FEE_DISTRIBUTE, 15, make_fee_distribute},
    {TALLY_TX_CHAIN_APPROVE, 3, make_chain_approve},
};
#define GENERATOR_COUNT (sizeof generators / sizeof generators[0])

/* Breaks the envelope in one way, whose refusal is then certain. */
static void mutate_envelope(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint8_t unknown_types[] = {0, TALLY_TX_TYPE_LAST + 1, TALLY_TX_TYPE_LAST + 2, 200, 255};
    gen->mutated = true;
    switch (rng_below(rng, 5)) {
    case 0:
        gen->tx.sequence += 1 + rng_below(rng, 3);
        gen->expect = TALLY_ERR_BAD_SEQUENCE;
        break;
    case 1:
        gen->tx.sequence = gen->tx.sequence > 1 && rng_percent(rng, 70) ? gen->tx.sequence - 1 : 0;
        gen->expect = TALLY_ERR_BAD_SEQUENCE;
        break;
    case 2:
        gen->tx.chain_id[rng_below(rng, TALLY_CHAIN_ID_BYTES)] ^= (uint8_t)(1u << rng_below(rng, 8));
        gen->expect = TALLY_ERR_WRONG_CHAIN;
        break;
    case 3:
        gen->tx.signer = system_key_of(sim, pick_network(sim));
        gen->signer_actor = NONE;
        gen->expect = TALLY_ERR_SYSTEM_SIGNER;
        break;
    default:
        gen->tx.type = RNG_PICK(rng, unknown_types);
        gen->expect = TALLY_ERR_UNKNOWN_TX_TYPE;
        break;
    }
}

/* Signs a few transactions for tally_apply_signed: correctly, or with a flipped
 * signature bit, another key's signature, or a field changed after signing. */
static void sign_sometimes(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (gen->mutated || !rng_percent(rng, 1)) return;
    uint32_t actor = gen->signer_actor != NONE ? gen->signer_actor : actor_of_key(sim, &gen->tx.signer);
    if (actor == NONE) return;
    const uint8_t *secret = sim->secrets + (size_t)actor * TALLY_SECRET_BYTES;
    gen->signed_apply = true;
    uint32_t way = (uint32_t)rng_below(rng, 4);
    if (way == 2) {
        uint32_t other = (actor + 1) % sim->actor_count;
        tally_key signer = gen->tx.signer;
        gen->tx.signer = sim->keys[other];
        tally_tx_sign(&gen->tx, sim->secrets + (size_t)other * TALLY_SECRET_BYTES);
        gen->tx.signer = signer;
    } else {
        tally_tx_sign(&gen->tx, secret);
    }
    if (way == 0) {
        uint8_t encoded[TALLY_TX_ENCODED_MAX];
        bool encodable = tally_tx_encode(&gen->tx, encoded, sizeof encoded) > 0;
        gen->must_verify = encodable;
        if (!encodable) gen->expect = TALLY_ERR_BAD_SIGNATURE;
        sim->counts.signed_good++;
        return;
    }
    if (way == 1) gen->tx.signature[rng_below(rng, TALLY_SIGNATURE_BYTES)] ^= (uint8_t)(1u << rng_below(rng, 8));
    if (way == 3) gen->tx.sequence++;
    gen->expect = TALLY_ERR_BAD_SIGNATURE;
    sim->counts.signed_bad++;
}

static void generate(simulation *sim, sim_gen *gen) {
    static uint32_t total_weight;
    if (!total_weight)
        for (size_t i = 0; i < GENERATOR_COUNT; i++) total_weight += generators[i].weight;
    /* Networks need members before anything else is interesting. */
    uint32_t members = 0;
    for (uint32_t id = 1; id <= tally_state_network_count(sim->state) && id <= SIM_NETWORKS_MAX; id++)
        members += network_of(sim, id)->member_count;
    if (members < 60 && rng_percent(&sim->rng, 60)) {
        if (rng_percent(&sim->rng, 50)) make_member_join(sim, gen);
        else make_member_admit(sim, gen);
    } else {
        uint32_t roll = (uint32_t)rng_below(&sim->rng, total_weight);
        size_t i = 0;
        while (roll >= generators[i].weight) roll -= generators[i++].weight;
        generators[i].make(sim, gen);
    }
    if (rng_percent(&sim->rng, 3)) mutate_envelope(sim, gen);
    sign_sometimes(sim, gen);
}

/* ------------------------------------------------------------------------ */
/* Views and the checks of one transaction.                                  */
/* ------------------------------------------------------------------------ */

static void view_member(const tally_member *member, member_view *out) {
    if (!member) return;
    out->present = true;
    memcpy(&out->member, member, sizeof out->member);
}

static void capture(const simulation *sim, const tally_tx *tx, sim_view *view) {
    const tally_state *state = sim->state;
    memset(view, 0, sizeof *view);
    view->network_count = tally_state_network_count(state);
    view->asset_count = tally_state_asset_count(state);
    view->member_count = tally_state_member_count(state);
    for (uint32_t i = 0; i < view->network_count && i < SIM_NETWORKS_MAX; i++)
        memcpy(&view->networks[i], tally_state_network(state, i + 1), sizeof view->networks[i]);
    for (uint32_t i = 0; i < view->asset_count && i < SIM_ASSETS_MAX; i++)
        memcpy(&view->assets[i], tally_state_asset(state, i + 1), sizeof view->assets[i]);
    view->sequence = tally_state_next_sequence(state, &tx->signer);
    uint32_t network_id = tx_network(tx);
    const tally_network *network = network_id <= SIM_NETWORKS_MAX ? tally_state_network(state, network_id) : NULL;
    const tally_key *other = tx_other_key(tx);
    if (network) {
        view->network_id = network_id;
        view_member(tally_state_member(state, network_id, &tx->signer), &view->signer);
        if (other) view_member(tally_state_member(state, network_id, other), &view->other);
        view_member(tally_state_member_at(state, network->fee_member), &view->fees);
        view_member(tally_state_member_at(state, network->lost_debt_member), &view->lost);
        view_member(tally_state_member_at(state, network->pool_member), &view->pool);
        view->asset_id = network->reserve_asset_id;
        view->signer_shares = tally_state_pool_shares(state, network_id, &tx->signer);
    }
    if (tx->type >= TALLY_TX_ASSET_ISSUE && tx->type <= TALLY_TX_ASSET_BURN) view->asset_id = tx_asset(tx);
    if (view->asset_id && view->asset_id <= SIM_ASSETS_MAX && tally_state_asset(state, view->asset_id)) {
        view->signer_asset = tally_state_asset_balance(state, view->asset_id, &tx->signer);
        if (other) view->other_asset = tally_state_asset_balance(state, view->asset_id, other);
        if (network) {
            tally_key pool = tally_system_key(network_id, TALLY_SYSTEM_POOL);
            view->pool_asset = tally_state_asset_balance(state, view->asset_id, &pool);
        }
    } else {
        view->asset_id = 0;
    }
}

/* Debt is taken on only by paying, and only by a member whose line lends. */
static void check_member_debt(simulation *sim, const member_view *before, const member_view *after, bool is_payer) {
    if (!after->present) return;
    if (!before->present || before->member.status == TALLY_MEMBER_LEFT) {
        if (after->member.status != TALLY_MEMBER_LEFT) SIM_EXPECT(sim, after->member.balance == 0);
        return;
    }
    const tally_member *b = &before->member, *a = &after->member;
    if (b->status == TALLY_MEMBER_SYSTEM || debt_of(a->balance) <= debt_of(b->balance)) return;
    SIM_EXPECT(sim, is_payer);
    /* A frozen, expired, suspended or defaulted member never gains new debt. */
    SIM_EXPECT(sim, may_borrow(b));
    SIM_EXPECT(sim, a->balance >= -b->limit);
}

/* Everything outside what the transaction names stays as it was; pools, assets
 * and debt move only in the ways their rules allow. */
static void check_tables(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                         const sim_view *a) {
    uint8_t type = tx->type;
    bool creates_network = type == TALLY_TX_NETWORK_CREATE, creates_asset = type == TALLY_TX_ASSET_CREATE;
    SIM_EXPECT(sim, a->network_count == b->network_count + (creates_network ? 1u : 0u));
    SIM_EXPECT(sim, a->asset_count == b->asset_count + (creates_asset ? 1u : 0u));
    if (creates_network) SIM_EXPECT(sim, r->created_id == a->network_count);
    if (creates_asset) SIM_EXPECT(sim, r->created_id == a->asset_count);
    if (!creates_network && !creates_asset) SIM_EXPECT(sim, r->created_id == 0);
    uint32_t added = a->member_count - b->member_count;
    bool joins = type == TALLY_TX_MEMBER_JOIN || type == TALLY_TX_MEMBER_ADMIT;
    SIM_EXPECT(sim, added == (creates_network ? 3u : 0u) || (joins && added == 1));
    for (uint32_t i = 0; i < b->network_count && i < SIM_NETWORKS_MAX; i++) {
        const tally_network *nb = &b->networks[i], *na = &a->networks[i];
        if (b->network_id != i + 1) {
            SIM_EXPECT(sim, memcmp(nb, na, sizeof *nb) == 0);
            continue;
        }
        SIM_EXPECT(sim, na->debt - nb->debt == r->minted - r->burned);
        SIM_EXPECT(sim, na->pool_total_shares <= nb->pool_total_shares || type == TALLY_TX_POOL_DEPOSIT);
        int128 reserve_before = pool_reserve(nb), reserve_after = pool_reserve(na);
        SIM_EXPECT(sim, reserve_after >= reserve_before || type == TALLY_TX_POOL_WITHDRAW ||
                            type == TALLY_TX_POOL_REDEEM);
        SIM_EXPECT(sim, reserve_after <= reserve_before || type == TALLY_TX_POOL_DEPOSIT ||
                            type == TALLY_TX_POOL_REPAY);
    }
    uint32_t moved_asset = type >= TALLY_TX_ASSET_ISSUE && type <= TALLY_TX_ASSET_BURN ? tx_asset(tx) : 0;
    for (uint32_t i = 0; i < b->asset_count && i < SIM_ASSETS_MAX; i++) {
        const tally_asset *ab = &b->assets[i], *aa = &a->assets[i];
        /* Holders (a derived count) only grow: a pool's or a member's first holding. */
        SIM_EXPECT(sim, aa->holders >= ab->holders);
        if (moved_asset != i + 1) {
            tally_asset same_holders = *aa;
            same_holders.holders = ab->holders;
            SIM_EXPECT(sim, memcmp(ab, &same_holders, sizeof *ab) == 0);
            continue;
        }
        SIM_EXPECT(sim, aa->issued >= ab->issued && aa->burned >= ab->burned);
        SIM_EXPECT(sim, aa->issued - aa->burned >= ab->issued - ab->burned || type == TALLY_TX_ASSET_BURN);
    }
}

static void check_result_fields(simulation *sim, uint8_t type, const tally_result *r) {
    if (type != TALLY_TX_TRANSFER) SIM_EXPECT(sim, r->minted == 0 && r->fee == 0 && r->risk_fee == 0);
    if (type != TALLY_TX_TRANSFER && type != TALLY_TX_FEE_DISTRIBUTE && type != TALLY_TX_POOL_REDEEM)
        SIM_EXPECT(sim, r->burned == 0);
    if (type < TALLY_TX_POOL_DEPOSIT || type > TALLY_TX_POOL_REDEEM) SIM_EXPECT(sim, r->reserve == 0 && r->shares == 0);
    if (type != TALLY_TX_POOL_DEPOSIT) SIM_EXPECT(sim, r->to_primary == 0 && r->to_excess == 0);
    SIM_EXPECT(sim, r->available == 0);
    if (type != TALLY_TX_POLICY_UPDATE && type != TALLY_TX_PEG_SET) SIM_EXPECT(sim, r->effective_at == 0);
    SIM_EXPECT(sim, r->minted >= 0 && r->burned >= 0 && r->fee >= 0 && r->risk_fee >= 0 && r->risk_fee <= r->fee);
}

static const tally_network *named_before(const sim_view *b) { return &b->networks[b->network_id - 1]; }
static const tally_network *named_after(const sim_view *a) { return &a->networks[a->network_id - 1]; }

static void check_transfer(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                           const sim_view *a) {
    const tally_tx_transfer *body = &tx->body.transfer;
    const tally_network *network = named_before(b);
    SIM_EXPECT(sim, b->signer.present && b->other.present && a->signer.present && a->other.present);
    if (sim->failed) return;
    const tally_member *payer_b = &b->signer.member, *payer_a = &a->signer.member;
    const tally_member *payee_b = &b->other.member, *payee_a = &a->other.member;
    bool borrows = may_borrow(payer_b);
    int64_t positive = positive_of(payer_b->balance);
    int64_t on_credit = body->amount > positive ? body->amount - positive : 0;
    int64_t risk_fee = borrows ? fee_of(on_credit, payer_b->risk_fee_bps) : 0;
    SIM_EXPECT(sim, r->risk_fee == risk_fee);
    SIM_EXPECT(sim, (int128)r->fee == (int128)fee_of(body->amount, network->policy.fee_bps) + risk_fee);
    SIM_EXPECT(sim, r->fee <= body->max_fee);
    SIM_EXPECT(sim, (int128)payer_a->balance == (int128)payer_b->balance - body->amount - r->fee);
    SIM_EXPECT(sim, (int128)payee_a->balance == (int128)payee_b->balance + body->amount);
    SIM_EXPECT(sim, (int128)a->fees.member.balance == (int128)b->fees.member.balance + r->fee);
    SIM_EXPECT(sim, payer_a->balance >= (borrows ? -payer_b->limit : 0));
    SIM_EXPECT(sim, r->minted == debt_of(payer_a->balance) - debt_of(payer_b->balance));
    SIM_EXPECT(sim, r->burned == debt_of(payee_b->balance) - debt_of(payee_a->balance));
    /* No payment takes a payee past the cap (one already above a lowered cap keeps it). */
    int64_t cap = network->policy.positive_cap;
    if (cap > 0 && payee_a->balance > cap) SIM_EXPECT(sim, payee_a->balance <= payee_b->balance);
}

static void check_fee_distribute(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                                 const sim_view *a) {
    const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
    SIM_EXPECT(sim, a->fees.member.balance == b->fees.member.balance - body->amount);
    if (body->to_pool) {
        SIM_EXPECT(sim, a->pool.member.balance == b->pool.member.balance + body->amount);
        SIM_EXPECT(sim, r->burned == 0);
        return;
    }
    SIM_EXPECT(sim, b->other.present && a->other.present);
    if (sim->failed) return;
    SIM_EXPECT(sim, a->other.member.balance == b->other.member.balance + body->amount);
    SIM_EXPECT(sim, r->burned == debt_of(b->other.member.balance) - debt_of(a->other.member.balance));
    int64_t cap = named_before(b)->policy.positive_cap;
    if (cap > 0 && a->other.member.balance > cap)
        SIM_EXPECT(sim, a->other.member.balance <= b->other.member.balance);
}

static void check_pool_deposit(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                               const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t amount = tx->body.pool_amount.amount;
    SIM_EXPECT(sim, r->reserve == amount && r->to_primary >= 0 && r->to_excess >= 0);
    SIM_EXPECT(sim, (int128)r->to_primary + r->to_excess == amount);
    /* Primary up to the target RTD, the rest to excess. */
    int64_t required;
    if (required_primary(nb, &required)) {
        int64_t missing = required > nb->pool_primary ? required - nb->pool_primary : 0;
        SIM_EXPECT(sim, r->to_primary == (amount < missing ? amount : missing));
    }
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary + r->to_primary);
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess + r->to_excess);
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount && a->pool_asset == b->pool_asset + amount);
    /* Shares: 1:1 into an empty pool, else pro rata of primary + excess, rounded down. */
    int128 value = (int128)nb->pool_primary + nb->pool_excess;
    SIM_EXPECT(sim, nb->pool_total_shares == 0 || value > 0);
    if (sim->failed) return;
    int128 shares = nb->pool_total_shares == 0 ? amount : (int128)amount * nb->pool_total_shares / value;
    SIM_EXPECT(sim, r->shares == shares && r->shares > 0);
    SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares + r->shares);
    SIM_EXPECT(sim, a->signer_shares == b->signer_shares + r->shares);
}

static void check_pool_withdraw(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                                const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t shares = tx->body.pool_amount.amount;
    int128 value = (int128)nb->pool_primary + nb->pool_excess;
    int128 paid = (int128)shares * value / nb->pool_total_shares;
    SIM_EXPECT(sim, r->shares == shares && r->reserve == paid && paid > 0 && paid <= nb->pool_excess);
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess - r->reserve);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary && na->pool_buffer == nb->pool_buffer);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset + r->reserve && a->pool_asset == b->pool_asset - r->reserve);
    if (na->pool_share_epoch == nb->pool_share_epoch) {
        SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares - shares);
        SIM_EXPECT(sim, a->signer_shares == b->signer_shares - shares);
    } else {
        /* The pool emptied: every share is void. */
        SIM_EXPECT(sim, na->pool_share_epoch == nb->pool_share_epoch + 1 && na->pool_primary == 0 &&
                            na->pool_excess == 0 && na->pool_total_shares == 0 && a->signer_shares == 0);
    }
}

static void check_pool_repay(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                             const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t credits = tx->body.pool_amount.amount;
    int128 reserve = ((int128)credits * nb->peg_reserve_units + nb->peg_credit_units - 1) / nb->peg_credit_units;
    SIM_EXPECT(sim, r->reserve == reserve);
    SIM_EXPECT(sim, a->signer.member.balance == b->signer.member.balance + credits);
    SIM_EXPECT(sim, a->lost.member.balance == b->lost.member.balance - credits);
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer + r->reserve);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary && na->pool_excess == nb->pool_excess);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset - r->reserve && a->pool_asset == b->pool_asset + r->reserve);
}

static void check_pool_redeem(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                              const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t credits = tx->body.pool_amount.amount;
    int128 reserve = (int128)credits * nb->peg_reserve_units / nb->peg_credit_units;
    int128 burned = (reserve * nb->peg_credit_units + nb->peg_reserve_units - 1) / nb->peg_reserve_units;
    SIM_EXPECT(sim, r->reserve == reserve && r->burned == burned && reserve > 0 && burned <= credits);
    /* It never pays out more than the credits it burns are worth. */
    SIM_EXPECT(sim, reserve * nb->peg_credit_units <= burned * nb->peg_reserve_units);
    SIM_EXPECT(sim, a->signer.member.balance == b->signer.member.balance - r->burned);
    SIM_EXPECT(sim, a->lost.member.balance == b->lost.member.balance + r->burned);
    int64_t from_buffer = r->reserve < nb->pool_buffer ? r->reserve : nb->pool_buffer;
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer - from_buffer);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary - (r->reserve - from_buffer));
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset + r->reserve && a->pool_asset == b->pool_asset - r->reserve);
    if (na->pool_share_epoch != nb->pool_share_epoch)
        SIM_EXPECT(sim, na->pool_primary == 0 && na->pool_excess == 0 && na->pool_total_shares == 0);
}

static void check_assets(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    uint32_t asset_id = tx_asset(tx);
    const tally_asset *ab = &b->assets[asset_id - 1], *aa = &a->assets[asset_id - 1];
    switch (tx->type) {
    case TALLY_TX_ASSET_ISSUE: {
        int64_t amount = tx->body.asset_move.amount;
        SIM_EXPECT(sim, aa->issued == ab->issued + amount && aa->burned == ab->burned);
        SIM_EXPECT(sim, a->other_asset == b->other_asset + amount);
        break;
    }
    case TALLY_TX_ASSET_TRANSFER: {
        int64_t amount = tx->body.asset_move.amount;
        SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount && a->other_asset == b->other_asset + amount);
        break;
    }
    default: {
        int64_t amount = tx->body.asset_burn.amount;
        SIM_EXPECT(sim, aa->burned == ab->burned + amount && aa->issued == ab->issued);
        SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount);
        break;
    }
    }
}

static void check_membership(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    bool join = tx->type == TALLY_TX_MEMBER_JOIN;
    const member_view *before = join ? &b->signer : &b->other, *after = join ? &a->signer : &a->other;
    SIM_EXPECT(sim, !before->present || before->member.status == TALLY_MEMBER_LEFT);
    SIM_EXPECT(sim, after->present);
    if (sim->failed) return;
    const tally_member *m = &after->member;
    /* A suspension or a default survives leaving and joining again (and then no
     * line opens by itself). */
    uint8_t left_with = before->present ? before->member.status_before_leaving : TALLY_MEMBER_ACTIVE;
    bool restricted = left_with == TALLY_MEMBER_SUSPENDED || left_with == TALLY_MEMBER_DEFAULTED;
    uint8_t status = restricted ? left_with : TALLY_MEMBER_ACTIVE;
    SIM_EXPECT(sim, m->status == status && m->balance == 0 && m->joined_at == sim->block_time);
    SIM_EXPECT(sim, na->member_count == nb->member_count + 1 && na->member_count <= nb->policy.max_members);
    if (restricted) {
        SIM_EXPECT(sim, m->limit == 0 && (m->line_status == TALLY_LINE_NONE || m->line_status == TALLY_LINE_DEFAULTED));
    } else if (nb->policy.default_credit_limit > 0) {
        SIM_EXPECT(sim, m->line_status == TALLY_LINE_ACTIVE && m->limit == nb->policy.default_credit_limit);
        SIM_EXPECT(sim, m->period_start == sim->block_time &&
                            m->period_end == sim->block_time + (int64_t)nb->policy.period_seconds);
        SIM_EXPECT(sim, m->risk_fee_bps == nb->policy.default_risk_fee_bps);
    } else {
        SIM_EXPECT(sim, m->line_status == TALLY_LINE_NONE && m->limit == 0);
    }
}

static void check_member_actions(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    const tally_member *other_b = &b->other.member, *other_a = &a->other.member;
    switch (tx->type) {
    case TALLY_TX_MEMBER_LEAVE:
        SIM_EXPECT(sim, a->signer.member.status == TALLY_MEMBER_LEFT && a->signer.member.balance == 0 &&
                            a->signer.member.limit == 0 && a->signer.member.alias[0] == '\0');
        SIM_EXPECT(sim, named_after(a)->member_count == named_before(b)->member_count - 1);
        break;
    case TALLY_TX_MEMBER_SUSPEND:
        SIM_EXPECT(sim, other_b->status == TALLY_MEMBER_ACTIVE && other_a->status == TALLY_MEMBER_SUSPENDED);
        break;
    case TALLY_TX_MEMBER_REINSTATE:
        SIM_EXPECT(sim, (other_b->status == TALLY_MEMBER_SUSPENDED || other_b->status == TALLY_MEMBER_DEFAULTED) &&
                            other_a->status == TALLY_MEMBER_ACTIVE);
        break;
    case TALLY_TX_LINE_OPEN: {
        const tally_tx_line_open *body = &tx->body.line_open;
        uint32_t period = body->period_seconds ? body->period_seconds : named_before(b)->policy.period_seconds;
        SIM_EXPECT(sim, !line_is_open(other_b) && other_a->line_status == TALLY_LINE_ACTIVE);
        SIM_EXPECT(sim, other_a->limit == body->limit && other_a->risk_fee_bps == body->risk_fee_bps);
        SIM_EXPECT(sim, other_a->period_start == sim->block_time && other_a->period_end == sim->block_time + period);
        SIM_EXPECT(sim, other_a->limit >= debt_of(other_a->balance));
        break;
    }
    case TALLY_TX_LINE_UPDATE: {
        const tally_tx_line_update *body = &tx->body.line_update;
        SIM_EXPECT(sim, other_a->limit == body->limit && other_a->risk_fee_bps == body->risk_fee_bps);
        SIM_EXPECT(sim, body->limit >= debt_of(other_b->balance) && line_is_open(other_b));
        if (other_b->line_status == TALLY_LINE_EXPIRED)
            SIM_EXPECT(sim, other_a->line_status == TALLY_LINE_ACTIVE && other_a->period_start == sim->block_time);
        else
            SIM_EXPECT(sim, other_a->line_status == other_b->line_status);
        break;
    }
    case TALLY_TX_LINE_CLOSE:
        SIM_EXPECT(sim, line_is_open(other_b) && other_b->balance >= 0);
        SIM_EXPECT(sim, other_a->line_status == TALLY_LINE_CLOSED && other_a->limit == 0);
        break;
    case TALLY_TX_ALIAS_SET: {
        const tally_text *alias = &tx->body.alias_set.alias;
        SIM_EXPECT(sim, strlen(a->signer.member.alias) == alias->length &&
                            memcmp(a->signer.member.alias, alias->bytes, alias->length) == 0);
        break;
    }
    default: break;
    }
}

static bool operators_list(const tally_network *network, const tally_key *key) {
    for (uint8_t i = 0; i < network->operator_count; i++)
        if (memcmp(network->operators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return true;
    return false;
}

static void check_network_actions(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    switch (tx->type) {
    case TALLY_TX_NETWORK_CREATE: {
        if (a->network_count > SIM_NETWORKS_MAX) return;
        const tally_network *created = &a->networks[a->network_count - 1];
        SIM_EXPECT(sim, created->operator_count == 1 && operators_list(created, &tx->signer));
        SIM_EXPECT(sim, policy_equal(&created->policy, &tx->body.network_create.policy));
        SIM_EXPECT(sim, created->supply == 0 && created->debt == 0 && created->member_count == 0);
        break;
    }
    case TALLY_TX_POLICY_UPDATE: {
        /* What needs notice waits for it (the announcement holds the asked values); the
         * rest applies now. */
        const tally_network *nb = named_before(b), *na = named_after(a);
        const tally_policy *asked = &tx->body.policy_update.policy;
        tally_policy now = na->policy, announced = na->policy_change;
        if (na->policy_change_at) {
            SIM_EXPECT(sim, na->policy_change_at > sim->block_time);
            SIM_EXPECT(sim, policy_equal(&announced, asked));
            now.fee_bps = asked->fee_bps, now.default_risk_fee_bps = asked->default_risk_fee_bps;
            now.positive_cap = asked->positive_cap, now.target_rtd_bps = asked->target_rtd_bps;
            now.notice_seconds = asked->notice_seconds, now.redeem_cap_bps = asked->redeem_cap_bps;
            /* a higher fee never applies at once */
            SIM_EXPECT(sim, na->policy.fee_bps <= nb->policy.fee_bps || na->policy.fee_bps == asked->fee_bps);
            SIM_EXPECT(sim, na->policy.fee_bps <= asked->fee_bps || na->policy.fee_bps == nb->policy.fee_bps);
        }
        SIM_EXPECT(sim, policy_equal(&now, asked));
        if (asked->fee_bps > nb->policy.fee_bps) SIM_EXPECT(sim, na->policy.fee_bps == nb->policy.fee_bps);
        break;
    }
    case TALLY_TX_PEG_SET: {
        const tally_tx_peg_set *body = &tx->body.peg_set;
        const tally_network *nb = named_before(b), *na = named_after(a);
        SIM_EXPECT(sim, na->reserve_asset_id == body->asset_id);
        if (na->peg_change_at) {
            /* announced: the pool holds reserve; the rate waits for the notice */
            SIM_EXPECT(sim, pool_reserve(nb) > 0 && body->asset_id == nb->reserve_asset_id);
            SIM_EXPECT(sim, na->peg_change_reserve_units == body->peg_reserve_units &&
                                na->peg_change_credit_units == body->peg_credit_units);
            SIM_EXPECT(sim, na->peg_reserve_units == nb->peg_reserve_units &&
                                na->peg_credit_units == nb->peg_credit_units);
        } else if (body->asset_id) {
            SIM_EXPECT(sim, na->peg_reserve_units == body->peg_reserve_units &&
                                na->peg_credit_units == body->peg_credit_units);
        }
        if (body->asset_id != nb->reserve_asset_id) SIM_EXPECT(sim, pool_reserve(nb) == 0 && na->pool_total_shares == 0);
        break;
    }
    case TALLY_TX_OPERATOR_ADD: {
        const tally_network *na = named_after(a);
        SIM_EXPECT(sim, na->operator_count == named_before(b)->operator_count + 1);
        SIM_EXPECT(sim, memcmp(na->operators[na->operator_count - 1].bytes, tx->body.network_key.key.bytes,
                               TALLY_KEY_BYTES) == 0);
        break;
    }
    case TALLY_TX_OPERATOR_REMOVE:
        SIM_EXPECT(sim, named_after(a)->operator_count == named_before(b)->operator_count - 1);
        SIM_EXPECT(sim, !operators_list(named_after(a), &tx->body.network_key.key));
        break;
    case TALLY_TX_CHAIN_APPROVE: {
        const tally_tx_chain_approve *body = &tx->body.chain_approve;
        tally_growth_allowance left = tally_state_growth_allowance(sim->state, &body->key, sim->block_time);
        SIM_EXPECT(sim, left.networks_approved == body->networks && left.assets_approved == body->assets);
        SIM_EXPECT(sim, memcmp(tx->signer.bytes, sim->rules.validators[0].bytes, TALLY_KEY_BYTES) == 0 ||
                            memcmp(tx->signer.bytes, sim->rules.validators[1].bytes, TALLY_KEY_BYTES) == 0);
        break;
    }
    case TALLY_TX_ASSET_CREATE:
        if (a->asset_count <= SIM_ASSETS_MAX) {
            const tally_asset *created = &a->assets[a->asset_count - 1];
            SIM_EXPECT(sim, memcmp(created->issuer.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0);
            SIM_EXPECT(sim, created->issued == 0 && created->burned == 0);
        }
        break;
    default: break;
    }
}

/* The refusals the rules of DESIGN.md allow for a transfer, worked out from the
 * state before it without the core's code. None means it must be accepted; else
 * the core must give one of them (in whatever order it checks). */
typedef struct {
    tally_error codes[16];
    int count;
} sim_reasons;

static void reason_add(sim_reasons *reasons, tally_error code) {
    if (reasons->count < 16) reasons->codes[reasons->count++] = code;
}

static bool reason_has(const sim_reasons *reasons, tally_error code) {
    for (int i = 0; i < reasons->count; i++)
        if (reasons->codes[i] == code) return true;
    return false;
}

static bool fits_int64(int128 value) { return value > INT64_MIN && value <= INT64_MAX; }

static void transfer_reasons(simulation *sim, const tally_tx *tx, const sim_view *b, sim_reasons *reasons) {
    const tally_tx_transfer *body = &tx->body.transfer;
    memset(reasons, 0, sizeof *reasons);
    if (!b->network_id) {
        reason_add(reasons, TALLY_ERR_UNKNOWN_NETWORK);
        return;
    }
    const tally_network *network = named_before(b);
    bool payer_ok = b->signer.present && is_current(&b->signer.member);
    bool payee_system = tally_key_is_system(&body->payee);
    bool payee_ok = b->other.present && is_current(&b->other.member);
    bool self = memcmp(body->payee.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0;
    if (body->amount <= 0) reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (body->memo.length > TALLY_MEMO_MAX) reason_add(reasons, TALLY_ERR_DECODE_BAD_LENGTH);
    if (!payer_ok) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (self) reason_add(reasons, TALLY_ERR_SELF_TRANSFER);
    if (payee_system) reason_add(reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    else if (!payee_ok) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (reasons->count) return;
    const tally_member *payer = &b->signer.member, *payee = &b->other.member, *fees = &b->fees.member;
    bool borrows = may_borrow(payer);
    /* What the payer may spend: balance + limit on a lending line, else the positive balance. */
    int128 room = borrows ? (int128)payer->balance + payer->limit : positive_of(payer->balance);
    SIM_EXPECT(sim, tally_member_available(sim->state, payer) == (room > INT64_MAX ? INT64_MAX : (int64_t)room));
    int64_t positive = positive_of(payer->balance);
    int64_t on_credit = body->amount > positive ? body->amount - positive : 0;
    /* Each fee is at most the amount, but their sum need not fit. */
    int128 fee = (int128)fee_of(body->amount, network->policy.fee_bps) +
                 (borrows ? fee_of(on_credit, payer->risk_fee_bps) : 0);
    if (fee > body->max_fee) reason_add(reasons, TALLY_ERR_FEE_ABOVE_MAX);
    int128 payer_after = (int128)payer->balance - body->amount - fee;
    int128 payee_after = (int128)payee->balance + body->amount;
    int128 fees_after = (int128)fees->balance + fee;
    bool overflow = !fits_int64(fee) || !fits_int64((int128)body->amount + fee) || !fits_int64(payer_after) ||
                    !fits_int64(payee_after) || !fits_int64(fees_after);
    if (!overflow) {
        int128 supply = (int128)network->supply - positive_of(payer->balance) - positive_of(payee->balance) -
                        positive_of(fees->balance) + positive_of((int64_t)payer_after) +
                        positive_of((int64_t)payee_after) + positive_of((int64_t)fees_after);
        int128 debt = (int128)network->debt - debt_of(payer->balance) - debt_of(payee->balance) +
                      debt_of((int64_t)payer_after) + debt_of((int64_t)payee_after);
        overflow = supply > INT64_MAX || debt > INT64_MAX;
    }
    if (overflow) reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
    if (payer_after < (borrows ? -payer->limit : 0)) {
        /* Refused; a line that cannot lend says why. */
        bool specific = !borrows && (payer->status == TALLY_MEMBER_SUSPENDED || payer->status == TALLY_MEMBER_DEFAULTED ||
                                     payer->line_status == TALLY_LINE_FROZEN || payer->line_status == TALLY_LINE_EXPIRED);
        if (!specific) reason_add(reasons, TALLY_ERR_INSUFFICIENT_CREDIT);
        if (!borrows && payer->status == TALLY_MEMBER_SUSPENDED) reason_add(reasons, TALLY_ERR_MEMBER_SUSPENDED);
        if (!borrows && payer->status == TALLY_MEMBER_DEFAULTED) reason_add(reasons, TALLY_ERR_MEMBER_DEFAULTED);
        if (!borrows && payer->line_status == TALLY_LINE_FROZEN) reason_add(reasons, TALLY_ERR_LINE_FROZEN);
        if (!borrows && payer->line_status == TALLY_LINE_EXPIRED) reason_add(reasons, TALLY_ERR_LINE_EXPIRED);
    }
    int64_t cap = network->policy.positive_cap;
    if (cap > 0 && payee_after > cap && payee_after > payee->balance) reason_add(reasons, TALLY_ERR_CAP_REACHED);
}

static void check_transfer_outcome(simulation *sim, const tally_tx *tx, const tally_result *result, const sim_view *b) {
    sim_reasons reasons;
    transfer_reasons(sim, tx, b, &reasons);
    if (reasons.count == 0) {
        if (result->code != TALLY_OK) sim_fail(sim, __LINE__, "a payment the rules allow was refused");
        return;
    }
    if (reason_has(&reasons, result->code)) return;
    char what[400];
    int length = snprintf(what, sizeof what, "transfer got %s; the rules allow only:", tally_error_name(result->code));
    for (int i = 0; i < reasons.count && length > 0 && (size_t)length < sizeof what; i++)
        length += snprintf(what + length, sizeof what - (size_t)length, " %s", tally_error_name(reasons.codes[i]));
    sim_fail(sim, __LINE__, what);
}

static void check_accepted(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                           const sim_view *a) {
    uint8_t type = tx->type;
    SIM_EXPECT(sim, a->sequence == b->sequence + 1);
    SIM_EXPECT(sim, a->network_count <= SIM_NETWORKS_MAX && a->asset_count <= SIM_ASSETS_MAX);
    if (sim->failed) return;
    check_tables(sim, tx, r, b, a);
    check_result_fields(sim, type, r);
    check_member_debt(sim, &b->signer, &a->signer, type == TALLY_TX_TRANSFER);
    check_member_debt(sim, &b->other, &a->other, false);
    switch (type) {
    case TALLY_TX_TRANSFER: check_transfer(sim, tx, r, b, a); break;
    case TALLY_TX_FEE_DISTRIBUTE: check_fee_distribute(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_DEPOSIT: check_pool_deposit(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_WITHDRAW: check_pool_withdraw(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_REPAY: check_pool_repay(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_REDEEM: check_pool_redeem(sim, tx, r, b, a); break;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
    case TALLY_TX_ASSET_BURN: check_assets(sim, tx, b, a); break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_ADMIT: check_membership(sim, tx, b, a); break;
    default:
        check_member_actions(sim, tx, b, a);
        check_network_actions(sim, tx, b, a);
        break;
    }
}

static void record(simulation *sim, const sim_event *event) {
    if (sim->event_count == sim->event_capacity) {
        sim->event_capacity = sim->event_capacity ? sim->event_capacity * 2 : 4096;
        sim->events = realloc(sim->events, sim->event_capacity * sizeof *sim->events);
        if (!sim->events) abort();
    }
    sim->events[sim->event_count++] = *event;
}

static void check_invariants(simulation *sim) {
    char why[256];
    if (tally_check_invariants(sim->state, why, sizeof why)) return;
    char what[320];
    snprintf(what, sizeof what, "invariant broken: %s", why);
    sim_fail(sim, __LINE__, what);
}

/* Applies one transaction with every check; false after a failure. */
static bool sim_apply(simulation *sim, sim_gen *gen, tally_result *out) {
    const tally_tx *tx = &gen->tx;
    sim_view *b = &sim->before, *a = &sim->after;
    capture(sim, tx, b);
    /* Hashing is O(state): after the first steps only every 16th refusal is hashed,
     * which means hashing before each step once 15 refusals went unhashed. */
    bool hash_check = sim->step < SIM_HASH_ALL_UNTIL || sim->refusals_unhashed >= SIM_HASH_EVERY - 1;
    if (hash_check && !sim->hash_known) sim->hash_known = tally_state_hash(sim->state, sim->hash);
    tally_result result = gen->signed_apply ? tally_apply_signed(sim->state, tx, sim->block_time)
                                            : tally_apply(sim->state, tx, sim->block_time);
    sim->current_tx = tx;
    sim->current_result = result;
    if (out) *out = result;
    sim_event event;
    memset(&event, 0, sizeof event);
    event.kind = gen->signed_apply ? EVENT_SIGNED_TX : EVENT_TX;
    event.block_time = sim->block_time;
    event.tx = *tx;
    event.result = result;
    record(sim, &event);
    if (sim->trace) {
        char tx_text[400], result_text[300];
        describe_tx(sim, tx, tx_text, sizeof tx_text);
        describe_result(&result, result_text, sizeof result_text);
        printf("  step %u t=%lld%s %s -> %s\n", sim->step, (long long)sim->block_time,
               gen->signed_apply ? " signed" : "", tx_text, result_text);
    }
    capture(sim, tx, a);
    SIM_EXPECT(sim, (unsigned)result.code < TALLY_ERROR_COUNT);
    if (!sim->failed) sim->counts.codes[result.code]++;
    if (gen->expect >= 0) SIM_EXPECT(sim, result.code == (tally_error)gen->expect);
    if (gen->must_verify) SIM_EXPECT(sim, result.code != TALLY_ERR_BAD_SIGNATURE);
    if (tx->type == TALLY_TX_TRANSFER && gen->expect < 0 && result.code != TALLY_ERR_BAD_SIGNATURE)
        check_transfer_outcome(sim, tx, &result, b);
    if (result.code != TALLY_OK) {
        sim->counts.refused[tx->type]++;
        /* A refusal changes nothing: cheaply what the transaction names, and on
         * sampled steps the hash of the whole state. */
        SIM_EXPECT(sim, memcmp(b, a, sizeof *b) == 0);
        if (hash_check && sim->hash_known) {
            uint8_t hash[TALLY_HASH_BYTES];
            SIM_EXPECT(sim, tally_state_hash(sim->state, hash));
            SIM_EXPECT(sim, memcmp(hash, sim->hash, sizeof hash) == 0);
            sim->counts.hash_checks++;
            sim->refusals_unhashed = 0;
        } else {
            sim->refusals_unhashed++;
        }
    } else {
        sim->counts.accepted[tx->type]++;
        sim->hash_known = false;
        check_accepted(sim, tx, &result, b, a);
        if (tx->type == TALLY_TX_MEMBER_JOIN) roster_add(sim, tx->body.network_only.network_id, gen->signer_actor);
        if (tx->type == TALLY_TX_MEMBER_ADMIT) roster_add(sim, tx->body.network_key.network_id, gen->other_actor);
    }
    check_invariants(sim);
    sim->step++;
    sim->counts.steps++;
    sim->current_tx = NULL;
    return !sim->failed;
}

/* ------------------------------------------------------------------------ */
/* End of block.                                                             */
/* ------------------------------------------------------------------------ */

static void remember_members(simulation *sim) {
    uint32_t count = tally_state_member_count(sim->state);
    if (count > sim->scratch_capacity) {
        sim->scratch_capacity = count * 2;
        sim->balances = realloc(sim->balances, sim->scratch_capacity * sizeof *sim->balances);
        sim->line_statuses = realloc(sim->line_statuses, sim->scratch_capacity);
        if (!sim->balances || !sim->line_statuses) abort();
    }
    for (uint32_t i = 0; i < count; i++) {
        const tally_member *member = tally_state_member_at(sim->state, i);
        sim->balances[i] = member->balance;
        sim->line_statuses[i] = member->line_status;
    }
}

static void check_block_members(simulation *sim, const tally_block_summary *summary) {
    uint32_t defaulted = 0, expired = 0;
    int128 written_off = 0;
    uint32_t count = tally_state_member_count(sim->state);
    for (uint32_t i = 0; i < count; i++) {
        const tally_member *m = tally_state_member_at(sim->state, i);
        if (m->status == TALLY_MEMBER_SYSTEM) continue;
        /* The protocol's own step never lends: debt only shrinks (by a write-off). */
        SIM_EXPECT(sim, debt_of(m->balance) <= debt_of(sim->balances[i]));
        if (m->line_status == TALLY_LINE_DEFAULTED && sim->line_statuses[i] != TALLY_LINE_DEFAULTED) {
            defaulted++;
            written_off += debt_of(sim->balances[i]);
            SIM_EXPECT(sim, m->balance == 0 && m->limit == 0 && m->status == TALLY_MEMBER_DEFAULTED);
        } else {
            SIM_EXPECT(sim, m->balance == sim->balances[i]);
        }
        if (m->line_status == TALLY_LINE_EXPIRED && sim->line_statuses[i] != TALLY_LINE_EXPIRED) expired++;
        /* Every line that came due was handled: none is left behind. */
        if (m->line_status == TALLY_LINE_ACTIVE) SIM_EXPECT(sim, m->period_end > sim->block_time);
        if (m->line_status == TALLY_LINE_FROZEN) SIM_EXPECT(sim, m->grace_end > sim->block_time);
        if (sim->failed) return;
    }
    SIM_EXPECT(sim, defaulted == summary->lines_defaulted);
    SIM_EXPECT(sim, expired == summary->lines_expired);
    /* A block's sums over several networks need not fit in 64 bits (then only their
     * sign is checked). */
    if (written_off <= INT64_MAX) SIM_EXPECT(sim, written_off == summary->debt_written_off);
    else SIM_EXPECT(sim, summary->debt_written_off > 0);
}

static bool sim_end_block(simulation *sim) {
    static const tally_tx no_tx;
    sim_view *b = &sim->before, *a = &sim->after;
    capture(sim, &no_tx, b);
    remember_members(sim);
    tally_block_summary summary = tally_end_block(sim->state, sim->block_time);
    sim_event event;
    memset(&event, 0, sizeof event);
    event.kind = EVENT_END_BLOCK;
    event.block_time = sim->block_time;
    event.summary = summary;
    record(sim, &event);
    sim->hash_known = false;
    if (sim->trace)
        printf("  end of block t=%lld: renewed %u expired %u frozen %u defaulted %u written off %lld burned %lld "
               "reallocated %lld\n",
               (long long)sim->block_time, summary.lines_renewed, summary.lines_expired, summary.lines_frozen,
               summary.lines_defaulted, (long long)summary.debt_written_off, (long long)summary.lost_debt_burned,
               (long long)summary.reserve_reallocated);
    capture(sim, &no_tx, a);
    SIM_EXPECT(sim, a->network_count == b->network_count && a->asset_count == b->asset_count &&
                        a->member_count == b->member_count);
    SIM_EXPECT(sim, memcmp(a->assets, b->assets, sizeof a->assets) == 0);
    int128 debt_change = 0, primary_change = 0;
    for (uint32_t i = 0; i < b->network_count && i < SIM_NETWORKS_MAX; i++) {
        const tally_network *nb = &b->networks[i], *na = &a->networks[i];
        debt_change += (int128)na->debt - nb->debt;
        primary_change += (int128)na->pool_primary - nb->pool_primary;
        SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares);
        SIM_EXPECT(sim, pool_reserve(na) == pool_reserve(nb) && na->pool_buffer == nb->pool_buffer);
        SIM_EXPECT(sim, na->pool_primary >= nb->pool_primary);
        if (na->reserve_asset_id && na->supply > 0) {
            /* RTD = primary value / supply in basis points, rounded down. */
            int64_t rtd = tally_network_rtd_bps(tally_state_network(sim->state, i + 1));
            int128 value = (int128)na->pool_primary * na->peg_credit_units / na->peg_reserve_units, bps;
            if (!__builtin_mul_overflow(value, (int128)TALLY_BPS_ONE, &bps)) {
                bps /= na->supply;
                SIM_EXPECT(sim, rtd == (bps > INT64_MAX ? INT64_MAX : (int64_t)bps));
            }
        }
        /* After reallocation a pool below its target has no excess left. */
        int64_t required;
        if (na->reserve_asset_id && na->pool_excess > 0 && required_primary(na, &required))
            SIM_EXPECT(sim, na->pool_primary >= required);
    }
    if (-debt_change < INT64_MAX) SIM_EXPECT(sim, debt_change == -(int128)summary.lost_debt_burned);
    if (primary_change < INT64_MAX) SIM_EXPECT(sim, primary_change == summary.reserve_reallocated);
    check_block_members(sim, &summary);
    check_invariants(sim);
    sim->counts.blocks++;
    sim->counts.renewed += summary.lines_renewed;
    sim->counts.expired += summary.lines_expired;
    sim->counts.frozen += summary.lines_frozen;
    sim->counts.defaulted += summary.lines_defaulted;
    sim->counts.written_off = plus(sim->counts.written_off, summary.debt_written_off);
    sim->counts.lost_debt_burned = plus(sim->counts.lost_debt_burned, summary.lost_debt_burned);
    sim->counts.reallocated = plus(sim->counts.reallocated, summary.reserve_reallocated);
    return !sim->failed;
}

static void advance_time(simulation *sim) {
    sim_rng *rng = &sim->rng;
    uint32_t roll = (uint32_t)rng_below(rng, 1000);
    int64_t seconds;
    if (roll < 3) seconds = rng_between(rng, 20, 60) * SIM_DAY; /* a stalled chain: periods are skipped */
    else if (roll < 40) seconds = rng_between(rng, 1, 3) * SIM_DAY + (int64_t)rng_below(rng, SIM_DAY);
    else if (roll < 100) seconds = 0; /* two blocks in the same second */
    else seconds = rng_between(rng, 60, 5 * 3600);
    sim->block_time += seconds;
}

/* ------------------------------------------------------------------------ */
/* Setup: two reserve assets and four networks with different policies.     */
/* ------------------------------------------------------------------------ */

static tally_policy designed_policy(uint32_t which) {
    tally_policy p;
    memset(&p, 0, sizeof p);
    /* The bounds and the notice vary by network below where it matters. */
    p.max_members = 100000;
    p.notice_seconds = (which % 3 + 1) * SIM_DAY;
    p.redeem_cap_bps = which == 2 ? 500 : which == 1 ? 2500 : TALLY_BPS_ONE;
    switch (which) {
    case 0: /* open, zero balance, free, renewing: a neighbourhood exchange */
        p.default_credit_limit = 20000;
        p.max_credit_limit = 200000;
        p.period_seconds = 7 * SIM_DAY;
        p.grace_seconds = 3 * SIM_DAY;
        p.target_rtd_bps = 2000;
        p.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = true;
        break;
    case 1: /* admitted, rebalanced, fees and risk fees, a positive cap */
        p.default_credit_limit = 50000;
        p.max_credit_limit = 500000;
        p.positive_cap = 150000;
        p.fee_bps = 25;
        p.default_risk_fee_bps = 150;
        p.period_seconds = 14 * SIM_DAY;
        p.grace_seconds = 5 * SIM_DAY;
        p.target_rtd_bps = 5000;
        p.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
        p.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
        p.auto_renew = true;
        break;
    case 2: /* open, minimum income, lines opened by operators, no renewal */
        p.max_credit_limit = 100000;
        p.fee_bps = 100;
        p.default_risk_fee_bps = 300;
        p.period_seconds = 10 * SIM_DAY;
        p.grace_seconds = 7 * SIM_DAY;
        p.min_income_bps = 2000;
        p.target_rtd_bps = 10000;
        p.compliance_rule = TALLY_COMPLIANCE_MIN_INCOME;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = false;
        break;
    case 3: /* admitted and strict: no grace, a high fee, a low cap, no reserve at first */
        p.default_credit_limit = 10000;
        p.max_credit_limit = 50000;
        p.positive_cap = 40000;
        p.fee_bps = 500;
        p.period_seconds = 21 * SIM_DAY;
        p.grace_seconds = 0;
        p.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
        p.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
        p.auto_renew = true;
        break;
    default: /* at the edges of the valid ranges: fees above 100% together, no bound on
              * limits, and (below) a peg of INT64_MAX reserve units per credit */
        p.default_credit_limit = 1000000000000000;
        p.max_credit_limit = INT64_MAX;
        p.fee_bps = 9000;
        p.default_risk_fee_bps = 5000;
        p.period_seconds = 5 * SIM_DAY;
        p.grace_seconds = 2 * SIM_DAY;
        p.target_rtd_bps = TALLY_BPS_ONE;
        p.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = true;
        break;
    }
    return p;
}

static bool setup_apply(simulation *sim, sim_gen *gen) {
    tally_result result;
    if (!sim_apply(sim, gen, &result)) return false;
    SIM_EXPECT(sim, result.code == TALLY_OK);
    return !sim->failed;
}

static bool sim_setup(simulation *sim) {
    static const char *const codes[] = {"USD", "EUR"};
    static const char *const names[] = {"Greenvale", "Harbor", "Mill Town", "Orchard", "Edge"};
    static const char *const units[] = {"GVH", "HBR", "MILL", "ORC", "EDGE"};
    /* network 1, 2, 3 and 5: asset, reserve units, credit units (network 4 has none) */
    static const int64_t pegs[][4] = {{1, 1, 1, 1}, {2, 2, 3, 2}, {3, 1, 1, 100}, {SIM_EDGE_NETWORK, 2, INT64_MAX, 1}};
    sim_gen gen;
    for (uint32_t i = 0; i < 2; i++) {
        gen_begin(sim, &gen, TALLY_TX_ASSET_CREATE, 8 + i);
        text_put(&gen.tx.body.asset_create.code, codes[i]);
        text_put(&gen.tx.body.asset_create.name, "Cooperative bank reserve");
        gen.tx.body.asset_create.decimals = 2;
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 5; i++) {
        gen_begin(sim, &gen, TALLY_TX_NETWORK_CREATE, i);
        text_put(&gen.tx.body.network_create.name, names[i]);
        text_put(&gen.tx.body.network_create.unit_code, units[i]);
        gen.tx.body.network_create.decimals = 2;
        gen.tx.body.network_create.policy = designed_policy(i);
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t network_id = (uint32_t)pegs[i][0];
        gen_begin(sim, &gen, TALLY_TX_PEG_SET, network_id - 1);
        gen.tx.body.peg_set.network_id = network_id;
        gen.tx.body.peg_set.asset_id = (uint32_t)pegs[i][1];
        gen.tx.body.peg_set.peg_reserve_units = pegs[i][2];
        gen.tx.body.peg_set.peg_credit_units = pegs[i][3];
        if (!setup_apply(sim, &gen)) return false;
        gen_begin(sim, &gen, TALLY_TX_OPERATOR_ADD, network_id - 1);
        gen.tx.body.network_key.network_id = network_id;
        gen.tx.body.network_key.key = sim->keys[5 + i];
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 2; i++) { /* issuers keep some to burn */
        gen_begin(sim, &gen, TALLY_TX_ASSET_ISSUE, 8 + i);
        gen.tx.body.asset_move.asset_id = i + 1;
        gen.tx.body.asset_move.to = sim->keys[8 + i];
        gen.tx.body.asset_move.amount = 10000000;
        if (!setup_apply(sim, &gen)) return false;
    }
    return sim_end_block(sim);
}

/* ------------------------------------------------------------------------ */
/* Replay and snapshots.                                                     */
/* ------------------------------------------------------------------------ */

static uint8_t *serialize(const tally_state *state, size_t *length) {
    *length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(*length);
    if (bytes && tally_state_serialize(state, bytes, *length) != *length) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

/* A snapshot's round trip: the loaded state serializes to the same bytes. Returns
 * the loaded state (NULL on failure, reported). */
static tally_state *round_trip(simulation *sim, const tally_state *state) {
    size_t length, again_length;
    uint8_t *bytes = serialize(state, &length);
    SIM_EXPECT(sim, bytes != NULL);
    if (!bytes) return NULL;
    tally_error error = TALLY_OK;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    if (!loaded) {
        char what[160];
        snprintf(what, sizeof what, "a snapshot does not load: %s", tally_error_name(error));
        sim_fail(sim, __LINE__, what);
        free(bytes);
        return NULL;
    }
    uint8_t *again = serialize(loaded, &again_length);
    SIM_EXPECT(sim, again && again_length == length && memcmp(again, bytes, length) == 0);
    uint8_t hash_state[TALLY_HASH_BYTES], hash_loaded[TALLY_HASH_BYTES];
    SIM_EXPECT(sim, tally_state_hash(state, hash_state) && tally_state_hash(loaded, hash_loaded) &&
                        memcmp(hash_state, hash_loaded, TALLY_HASH_BYTES) == 0);
    free(bytes);
    free(again);
    return loaded;
}

/* Replays the recorded history on a fresh state: every result and block summary
 * must be the one recorded, and the end state byte-identical. With `restores`,
 * the replay continues from a loaded snapshot at a few points, as a restarted
 * node would. */
static bool sim_replay(simulation *sim, const uint8_t *final_bytes, size_t final_length, uint32_t restores) {
    tally_state *state = tally_state_create_for_chain(sim->chain_id, &sim->rules);
    SIM_EXPECT(sim, state != NULL);
    if (!state) return false;
    for (size_t i = 0; i < sim->event_count && !sim->failed; i++) {
        if (restores && i > 0 && i % (sim->event_count / (restores + 1) + 1) == 0) {
            tally_state *loaded = round_trip(sim, state);
            if (!loaded) break;
            tally_state_destroy(state);
            state = loaded;
        }
        const sim_event *event = &sim->events[i];
        if (event->kind == EVENT_END_BLOCK) {
            tally_block_summary summary = tally_end_block(state, event->block_time);
            if (!summaries_equal(&summary, &event->summary)) {
                char what[160];
                snprintf(what, sizeof what, "replay%s: end of block at event %zu (time %lld) differs",
                         restores ? " through snapshots" : "", i, (long long)event->block_time);
                sim_fail(sim, __LINE__, what);
            }
            continue;
        }
        tally_result result = event->kind == EVENT_SIGNED_TX ? tally_apply_signed(state, &event->tx, event->block_time)
                                                             : tally_apply(state, &event->tx, event->block_time);
        if (!results_equal(&result, &event->result)) {
            char what[600], tx_text[400];
            describe_tx(sim, &event->tx, tx_text, sizeof tx_text);
            snprintf(what, sizeof what, "replay%s: event %zu gives %s, the run gave %s: %s",
                     restores ? " through snapshots" : "", i, tally_error_name(result.code),
                     tally_error_name(event->result.code), tx_text);
            sim_fail(sim, __LINE__, what);
        }
    }
    if (!sim->failed) {
        size_t length;
        uint8_t *bytes = serialize(state, &length);
        uint8_t hash_replayed[TALLY_HASH_BYTES], hash_run[TALLY_HASH_BYTES];
        SIM_EXPECT(sim, tally_state_hash(state, hash_replayed) && tally_state_hash(sim->state, hash_run));
        SIM_EXPECT(sim, memcmp(hash_replayed, hash_run, TALLY_HASH_BYTES) == 0);
        SIM_EXPECT(sim, bytes && length == final_length && memcmp(bytes, final_bytes, length) == 0);
        free(bytes);
    }
    tally_state_destroy(state);
    return !sim->failed;
}

static bool sim_finish(simulation *sim) {
    size_t length;
    uint8_t *bytes = serialize(sim->state, &length);
    SIM_EXPECT(sim, bytes != NULL);
    if (!bytes) return false;
    tally_state *loaded = round_trip(sim, sim->state);
    if (loaded) {
        char why[256];
        SIM_EXPECT(sim, tally_check_invariants(loaded, why, sizeof why));
        tally_state_destroy(loaded);
    }
    if (!sim->failed) sim_replay(sim, bytes, length, 0);
    if (!sim->failed) sim_replay(sim, bytes, length, 3);
    free(bytes);
    return !sim->failed;
}

/* ------------------------------------------------------------------------ */
/* Running a seed.                                                           */
/* ------------------------------------------------------------------------ */

static bool sim_init(simulation *sim, uint64_t seed, uint32_t steps) {
    memset(sim, 0, sizeof *sim);
    sim->seed = seed;
    sim->rng.state = seed;
    sim->steps = steps;
    sim->block_time = SIM_START_TIME;
    sim->trace = getenv("TALLY_SIM_TRACE") && atoi(getenv("TALLY_SIM_TRACE")) > 0;
    for (size_t i = 0; i < TALLY_CHAIN_ID_BYTES; i++) sim->chain_id[i] = (uint8_t)rng_next(&sim->rng);
    /* About one key for every eight steps: thousands at the default. */
    uint32_t actors = steps / 8 + 64;
    if (actors < SIM_STAFF + 40) actors = SIM_STAFF + 40;
    if (actors > 20000) actors = 20000;
    sim->actor_count = actors;
    sim->holder_count = (actors - SIM_STAFF) / 3 < SIM_HOLDERS_MAX ? (actors - SIM_STAFF) / 3 : SIM_HOLDERS_MAX;
    sim->keys = calloc(actors, sizeof *sim->keys);
    sim->secrets = calloc(actors, TALLY_SECRET_BYTES);
    sim->on_roster = calloc((size_t)(SIM_NETWORKS_MAX + 1) * actors, 1);
    sim->ever_member = calloc(actors, 1);
    if (!sim->keys || !sim->secrets || !sim->on_roster || !sim->ever_member) return false;
    for (uint32_t i = 0; i < actors; i++) {
        uint8_t key_seed[32] = {0};
        memcpy(key_seed, "tally-sim", 9);
        for (int b = 0; b < 8; b++) key_seed[9 + b] = (uint8_t)(seed >> (8 * b));
        for (int b = 0; b < 4; b++) key_seed[17 + b] = (uint8_t)(i >> (8 * b));
        tally_keypair(&sim->keys[i], sim->secrets + (size_t)i * TALLY_SECRET_BYTES, key_seed);
    }
    /* An open chain whose staff found at most two networks and two assets a day, and
     * whose validators (actors 0 and 1) approve more. */
    tally_chain_rules_defaults(&sim->rules, &sim->keys[SIM_VALIDATOR_FIRST]);
    sim->rules.validators[1] = sim->keys[SIM_VALIDATOR_FIRST + 1];
    sim->rules.validator_count = 2;
    sim->rules.networks_per_key_per_day = 2;
    sim->rules.assets_per_key_per_day = 2;
    sim->state = tally_state_create_for_chain(sim->chain_id, &sim->rules);
    return sim->state != NULL;
}

static void sim_free(simulation *sim) {
    tally_state_destroy(sim->state);
    for (uint32_t i = 0; i <= SIM_NETWORKS_MAX; i++) free(sim->rosters[i].actors);
    free(sim->keys);
    free(sim->secrets);
    free(sim->on_roster);
    free(sim->ever_member);
    free(sim->events);
    free(sim->balances);
    free(sim->line_statuses);
}

static void add_counts(sim_counts *total, const sim_counts *counts) {
    for (size_t i = 0; i < 256; i++) {
        total->accepted[i] += counts->accepted[i];
        total->refused[i] += counts->refused[i];
    }
    for (size_t i = 0; i < TALLY_ERROR_COUNT; i++) total->codes[i] += counts->codes[i];
    total->steps += counts->steps;
    total->blocks += counts->blocks;
    total->hash_checks += counts->hash_checks;
    total->signed_good += counts->signed_good;
    total->signed_bad += counts->signed_bad;
    total->member_keys += counts->member_keys;
    total->renewed += counts->renewed;
    total->expired += counts->expired;
    total->frozen += counts->frozen;
    total->defaulted += counts->defaulted;
    total->written_off = plus(total->written_off, counts->written_off);
    total->lost_debt_burned = plus(total->lost_debt_burned, counts->lost_debt_burned);
    total->reallocated = plus(total->reallocated, counts->reallocated);
}

static void print_counts(const sim_counts *counts) {
    uint64_t unknown_accepted = 0, unknown_refused = 0;
    for (uint32_t type = 0; type < 256; type++) {
        const char *name = tally_tx_type_name((uint8_t)type);
        if (!name) {
            unknown_accepted += counts->accepted[type];
            unknown_refused += counts->refused[type];
            continue;
        }
        printf("    %-18s accepted %7llu refused %7llu\n", name, (unsigned long long)counts->accepted[type],
               (unsigned long long)counts->refused[type]);
    }
    printf("    %-18s accepted %7llu refused %7llu\n", "(unknown types)", (unsigned long long)unknown_accepted,
           (unsigned long long)unknown_refused);
    for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
        if (counts->codes[code])
            printf("    %-22s %7llu\n", tally_error_name((tally_error)code), (unsigned long long)counts->codes[code]);
}

static bool run_seed(uint64_t seed, uint32_t steps, sim_counts *total) {
    simulation *sim = malloc(sizeof *sim);
    if (!sim) return false;
    bool ok = sim_init(sim, seed, steps);
    if (!ok) test_fail(__FILE__, __LINE__, "simulation: out of memory");
    if (ok) ok = sim_setup(sim);
    while (ok && sim->step < sim->steps) {
        uint32_t in_block = 1 + (uint32_t)rng_below(&sim->rng, SIM_BLOCK_TXS_MAX);
        for (uint32_t i = 0; ok && i < in_block && sim->step < sim->steps; i++) {
            sim_gen gen;
            generate(sim, &gen);
            ok = sim_apply(sim, &gen, NULL);
        }
        if (ok) ok = sim_end_block(sim);
        advance_time(sim);
    }
    if (ok) ok = sim_finish(sim);
    uint64_t accepted = 0, refused = 0;
    for (size_t i = 0; i < 256; i++) {
        accepted += sim->counts.accepted[i];
        refused += sim->counts.refused[i];
    }
    uint32_t members = 0;
    for (uint32_t id = 1; sim->state && id <= tally_state_network_count(sim->state); id++)
        members += tally_state_network(sim->state, id)->member_count;
    printf("  simulation seed %llu: %u steps in %llu blocks over %lld days; %llu member keys, %u members now in "
           "%u networks; %llu accepted, %llu refused (%llu hash-checked); lines renewed %llu, expired %llu, "
           "frozen %llu, defaulted %llu; %llu signed (%llu forged)%s\n",
           (unsigned long long)seed, sim->step, (unsigned long long)sim->counts.blocks,
           (long long)((sim->block_time - SIM_START_TIME) / SIM_DAY), (unsigned long long)sim->counts.member_keys,
           members, sim->state ? tally_state_network_count(sim->state) : 0, (unsigned long long)accepted,
           (unsigned long long)refused, (unsigned long long)sim->counts.hash_checks,
           (unsigned long long)sim->counts.renewed, (unsigned long long)sim->counts.expired,
           (unsigned long long)sim->counts.frozen, (unsigned long long)sim->counts.defaulted,
           (unsigned long long)(sim->counts.signed_good + sim->counts.signed_bad),
           (unsigned long long)sim->counts.signed_bad, ok ? "" : " FAILED");
    fflush(stdout);
    add_counts(total, &sim->counts);
    sim_free(sim);
    free(sim);
    return ok;
}

static uint64_t env_number(const char *name, uint64_t fallback, bool *given) {
    const char *text = getenv(name);
    if (given) *given = false;
    if (!text || !*text) return fallback;
    char *end;
    unsigned long long value = strtoull(text, &end, 0);
    if (*end) return fallback;
    if (given) *given = true;
    return value;
}

TEST(simulation_random_histories_keep_every_invariant) {
    bool one_seed;
    uint64_t seed = env_number("TALLY_SIM_SEED", 0, &one_seed);
    uint64_t steps = env_number("TALLY_SIM_STEPS", SIM_STEPS_DEFAULT, NULL);
    REQUIRE(steps > 0 && steps <= 10000000);
    sim_counts *total = calloc(1, sizeof *total);
    REQUIRE(total != NULL);
    size_t seed_count = one_seed ? 1 : sizeof sim_seeds / sizeof sim_seeds[0];
    bool ok = true;
    for (size_t i = 0; ok && i < seed_count; i++) ok = run_seed(one_seed ? seed : sim_seeds[i], (uint32_t)steps, total);
    if (getenv("TALLY_SIM_VERBOSE")) print_counts(total);
    if (!ok) {
        free(total);
        REQUIRE(ok);
    }
    /* The generator reaches real behaviour: every type is accepted and refused. */
    for (uint32_t type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        if (total->accepted[type] && total->refused[type]) continue;
        char what[160];
        snprintf(what, sizeof what, "%s was accepted %llu and refused %llu times", tally_tx_type_name((uint8_t)type),
                 (unsigned long long)total->accepted[type], (unsigned long long)total->refused[type]);
        test_fail(__FILE__, __LINE__, what);
    }
    uint64_t unknown_accepted = total->accepted[0], unknown_refused = total->refused[0];
    for (uint32_t type = TALLY_TX_TYPE_LAST + 1; type < 256; type++) {
        unknown_accepted += total->accepted[type];
        unknown_refused += total->refused[type];
    }
    CHECK(unknown_accepted == 0 && unknown_refused > 0);
    CHECK(total->codes[TALLY_ERR_BAD_SEQUENCE] > 0 && total->codes[TALLY_ERR_WRONG_CHAIN] > 0);
    CHECK(total->codes[TALLY_ERR_SYSTEM_SIGNER] > 0 && total->codes[TALLY_ERR_BAD_SIGNATURE] > 0);
    CHECK(total->signed_good > 0 && total->signed_bad > 0);
    /* Periods ran their course: renewals, expiries, freezes and defaults. */
    CHECK(total->renewed > 0 && total->expired > 0 && total->frozen > 0 && total->defaulted > 0);
    CHECK(total->written_off > 0);
    if (steps >= SIM_STEPS_DEFAULT) CHECK(total->member_keys >= 1000);
    free(total);
}
