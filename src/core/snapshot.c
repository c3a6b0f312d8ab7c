/*
 * snapshot.c: the canonical byte form of a whole state, used for snapshots and for
 * the state commitment (its hash). Every table is written in insertion order with
 * fixed-width little-endian fields, so equal histories give equal bytes on any
 * machine. Indices and the due heap are derived data and are rebuilt on load; a
 * loaded state must pass tally_check_invariants or it is refused.
 *
 *   "TALLYST7" | chain_id[32] | chain rules (and how the validators changed their
 *   set: retired slots, changes proposed, the open change) | u32 counts of networks, assets,
 *   members, accounts, holdings, pendings, requests, gateways, stakes, proposals,
 *   votes, listings, orders | networks | assets | members | accounts | holdings |
 *   pendings | requests | gateways | stakes | proposals | votes | listings | orders
 *
 * Counts derived from the tables (member records per network, holders per asset
 * and pool) are not written: loading recomputes them.
 */
#include "core/ledger.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t snapshot_magic[8] = {'T', 'A', 'L', 'L', 'Y', 'S', 'T', '7'};

typedef struct {
    uint8_t *out; /* NULL: only count */
    size_t capacity, length;
} writer;

static void put_bytes(writer *w, const void *bytes, size_t count) {
    if (w->out && w->length + count <= w->capacity) memcpy(w->out + w->length, bytes, count);
    w->length += count;
}

static void put_u64(writer *w, uint64_t value) {
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(value >> (8 * i));
    put_bytes(w, bytes, 8);
}
static void put_u32(writer *w, uint32_t value) {
    uint8_t bytes[4];
    for (int i = 0; i < 4; i++) bytes[i] = (uint8_t)(value >> (8 * i));
    put_bytes(w, bytes, 4);
}
static void put_u16(writer *w, uint16_t value) {
    uint8_t bytes[2] = {(uint8_t)value, (uint8_t)(value >> 8)};
    put_bytes(w, bytes, 2);
}
static void put_u8(writer *w, uint8_t value) { put_bytes(w, &value, 1); }
static void put_bool(writer *w, bool value) { put_u8(w, value ? 1 : 0); }
static void put_i64(writer *w, int64_t value) { put_u64(w, (uint64_t)value); }
static void put_key(writer *w, const tally_key *key) { put_bytes(w, key->bytes, TALLY_KEY_BYTES); }
/* Fixed-size NUL-padded text: the field's whole buffer, so lengths never vary. */
static void put_text(writer *w, const char *text, size_t field_size) { put_bytes(w, text, field_size); }

typedef struct {
    const uint8_t *in;
    size_t length, position;
    bool failed;  /* the bytes ended early */
    bool invalid; /* a field holds a value the writer never writes */
} reader;

static const uint8_t *take(reader *r, size_t count) {
    if (r->failed || r->length - r->position < count) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *bytes = r->in + r->position;
    r->position += count;
    return bytes;
}
static uint64_t get_u64(reader *r) {
    const uint8_t *bytes = take(r, 8);
    uint64_t value = 0;
    for (int i = 0; bytes && i < 8; i++) value |= (uint64_t)bytes[i] << (8 * i);
    return value;
}
static uint32_t get_u32(reader *r) {
    const uint8_t *bytes = take(r, 4);
    uint32_t value = 0;
    for (int i = 0; bytes && i < 4; i++) value |= (uint32_t)bytes[i] << (8 * i);
    return value;
}
static uint16_t get_u16(reader *r) {
    const uint8_t *bytes = take(r, 2);
    return bytes ? (uint16_t)(bytes[0] | bytes[1] << 8) : 0;
}
static uint8_t get_u8(reader *r) {
    const uint8_t *bytes = take(r, 1);
    return bytes ? bytes[0] : 0;
}
static int64_t get_i64(reader *r) { return (int64_t)get_u64(r); }
static bool get_bool(reader *r) {
    uint8_t value = get_u8(r);
    if (value > 1) r->invalid = true;
    return value == 1;
}
static void get_key(reader *r, tally_key *key) {
    const uint8_t *bytes = take(r, TALLY_KEY_BYTES);
    if (bytes) memcpy(key->bytes, bytes, TALLY_KEY_BYTES);
}
/* Text must be NUL-terminated inside its field and padded with NULs after. */
static void get_text(reader *r, char *text, size_t field_size) {
    const uint8_t *bytes = take(r, field_size);
    if (!bytes) return;
    memcpy(text, bytes, field_size);
    size_t length = strnlen(text, field_size);
    if (length == field_size) r->invalid = true;
    for (size_t i = length; i < field_size; i++)
        if (text[i] != '\0') r->invalid = true;
}

static void write_policy(writer *w, const tally_policy *policy) {
    put_i64(w, policy->default_credit_limit);
    put_i64(w, policy->max_credit_limit);
    put_i64(w, policy->positive_cap);
    put_u32(w, policy->fee_bps);
    put_u32(w, policy->default_risk_fee_bps);
    put_u32(w, policy->period_seconds);
    put_u32(w, policy->grace_seconds);
    put_u32(w, policy->min_income_bps);
    put_u32(w, policy->target_rtd_bps);
    put_u8(w, policy->compliance_rule);
    put_u8(w, policy->membership_mode);
    put_u8(w, policy->auto_renew);
    put_u32(w, policy->max_members);
    put_u32(w, policy->notice_seconds);
    put_u32(w, policy->redeem_cap_bps);
    put_u32(w, policy->collateral_ratio_bps);
    const tally_reputation_rule *rep = &policy->reputation;
    put_u32(w, rep->base);
    put_u32(w, rep->age_weight);
    put_u32(w, rep->age_full_days);
    put_u32(w, rep->volume_weight);
    put_i64(w, rep->volume_full);
    put_u32(w, rep->streak_weight);
    put_u32(w, rep->streak_full);
    put_u32(w, rep->review_weight);
    put_u32(w, rep->review_full);
    put_u32(w, rep->default_penalty);
    const tally_limit_rule *algo = &policy->algorithmic_limits;
    put_u8(w, algo->enabled);
    put_i64(w, algo->base);
    put_i64(w, algo->per_point);
    put_u32(w, algo->income_bps);
    put_i64(w, algo->step_max);
    put_u32(w, algo->recovery_periods);
    put_u32(w, policy->demurrage_bps);
    put_i64(w, policy->demurrage_threshold);
    put_i64(w, policy->membership_fee);
    put_u8(w, policy->charges_to_pool);
    const tally_governance_rule *gov = &policy->governance;
    put_u8(w, gov->mode);
    put_u8(w, gov->weighting);
    put_u32(w, gov->quorum_bps);
    put_u32(w, gov->threshold_bps);
    put_u32(w, gov->voting_seconds);
    put_u32(w, gov->timelock_seconds);
    put_u32(w, gov->late_quorum_seconds);
    put_u8(w, gov->operators_may_suspend);
    put_u8(w, gov->operators_may_freeze);
}

static void read_policy(reader *r, tally_policy *policy) {
    policy->default_credit_limit = get_i64(r);
    policy->max_credit_limit = get_i64(r);
    policy->positive_cap = get_i64(r);
    policy->fee_bps = get_u32(r);
    policy->default_risk_fee_bps = get_u32(r);
    policy->period_seconds = get_u32(r);
    policy->grace_seconds = get_u32(r);
    policy->min_income_bps = get_u32(r);
    policy->target_rtd_bps = get_u32(r);
    policy->compliance_rule = get_u8(r);
    policy->membership_mode = get_u8(r);
    policy->auto_renew = get_bool(r);
    policy->max_members = get_u32(r);
    policy->notice_seconds = get_u32(r);
    policy->redeem_cap_bps = get_u32(r);
    policy->collateral_ratio_bps = get_u32(r);
    tally_reputation_rule *rep = &policy->reputation;
    rep->base = get_u32(r);
    rep->age_weight = get_u32(r);
    rep->age_full_days = get_u32(r);
    rep->volume_weight = get_u32(r);
    rep->volume_full = get_i64(r);
    rep->streak_weight = get_u32(r);
    rep->streak_full = get_u32(r);
    rep->review_weight = get_u32(r);
    rep->review_full = get_u32(r);
    rep->default_penalty = get_u32(r);
    tally_limit_rule *algo = &policy->algorithmic_limits;
    algo->enabled = get_bool(r);
    algo->base = get_i64(r);
    algo->per_point = get_i64(r);
    algo->income_bps = get_u32(r);
    algo->step_max = get_i64(r);
    algo->recovery_periods = get_u32(r);
    policy->demurrage_bps = get_u32(r);
    policy->demurrage_threshold = get_i64(r);
    policy->membership_fee = get_i64(r);
    policy->charges_to_pool = get_bool(r);
    tally_governance_rule *gov = &policy->governance;
    gov->mode = get_u8(r);
    gov->weighting = get_u8(r);
    gov->quorum_bps = get_u32(r);
    gov->threshold_bps = get_u32(r);
    gov->voting_seconds = get_u32(r);
    gov->timelock_seconds = get_u32(r);
    gov->late_quorum_seconds = get_u32(r);
    gov->operators_may_suspend = get_bool(r);
    gov->operators_may_freeze = get_bool(r);
}

/* The genesis's rules, then how the validators changed their set. A chain whose set
 * never changed commits to the genesis's bytes alone (`changes` false), so its roots
 * are what they were before sets could change; a snapshot always has both parts. */
static void write_rules_parts(writer *w, const tally_chain_rules *rules, bool changes) {
    put_u8(w, rules->growth_mode);
    put_u32(w, rules->networks_per_key_per_day);
    put_u32(w, rules->assets_per_key_per_day);
    put_u8(w, rules->dev_chain);
    put_u8(w, rules->validator_count);
    for (uint8_t i = 0; i < rules->validator_count; i++) put_key(w, &rules->validators[i]);
    if (!changes) return;
    put_u16(w, rules->retired);
    put_u32(w, rules->validator_changes);
    const tally_validator_change *change = &rules->change;
    put_bool(w, change->open);
    if (!change->open) return;
    put_u8(w, change->add_count);
    for (uint8_t i = 0; i < change->add_count; i++) put_key(w, &change->add[i]);
    put_u16(w, change->retire);
    put_u32(w, change->id);
    put_key(w, &change->proposer);
    put_u16(w, change->approvals);
    put_i64(w, change->expires_at);
}

static void write_rules(writer *w, const tally_chain_rules *rules) { write_rules_parts(w, rules, true); }

static void read_rules(reader *r, tally_chain_rules *rules) {
    memset(rules, 0, sizeof *rules);
    rules->growth_mode = get_u8(r);
    uint32_t networks = get_u32(r), assets = get_u32(r);
    if (networks > UINT16_MAX || assets > UINT16_MAX) r->invalid = true;
    rules->networks_per_key_per_day = (uint16_t)networks;
    rules->assets_per_key_per_day = (uint16_t)assets;
    rules->dev_chain = get_u8(r);
    rules->validator_count = get_u8(r);
    if (rules->validator_count > TALLY_VALIDATORS_MAX) r->invalid = true;
    for (uint8_t i = 0; !r->failed && !r->invalid && i < rules->validator_count; i++) get_key(r, &rules->validators[i]);
    rules->retired = get_u16(r);
    rules->validator_changes = get_u32(r);
    tally_validator_change *change = &rules->change;
    change->open = get_bool(r);
    if (change->open) {
        change->add_count = get_u8(r);
        if (change->add_count > TALLY_VALIDATORS_MAX) r->invalid = true;
        for (uint8_t i = 0; !r->failed && !r->invalid && i < change->add_count; i++) get_key(r, &change->add[i]);
        change->retire = get_u16(r);
        change->id = get_u32(r);
        get_key(r, &change->proposer);
        change->approvals = get_u16(r);
        change->expires_at = get_i64(r);
    }
    if (!r->failed && !r->invalid && tally_chain_rules_validate(rules) != TALLY_OK) r->invalid = true;
}

static void write_health(writer *w, const tally_health *h) {
    put_u32(w, h->period);
    put_i64(w, h->started_at);
    put_i64(w, h->ended_at);
    put_i64(w, h->supply);
    put_i64(w, h->debt);
    put_i64(w, h->member_debt);
    put_i64(w, h->limits);
    put_u32(w, h->utilisation_bps);
    put_i64(w, h->volume);
    put_u32(w, h->velocity_bps);
    put_i64(w, h->debt_at_start);
    put_i64(w, h->written_off);
    put_u32(w, h->default_rate_bps);
    put_i64(w, h->lost_debt);
    put_i64(w, h->rtd_bps);
    put_i64(w, h->largest_debt);
    put_u32(w, h->concentration_bps);
    put_u32(w, h->active_members);
    put_i64(w, h->exposure);
    put_i64(w, h->owed);
}

static void read_health(reader *r, tally_health *h) {
    h->period = get_u32(r);
    h->started_at = get_i64(r);
    h->ended_at = get_i64(r);
    h->supply = get_i64(r);
    h->debt = get_i64(r);
    h->member_debt = get_i64(r);
    h->limits = get_i64(r);
    h->utilisation_bps = get_u32(r);
    h->volume = get_i64(r);
    h->velocity_bps = get_u32(r);
    h->debt_at_start = get_i64(r);
    h->written_off = get_i64(r);
    h->default_rate_bps = get_u32(r);
    h->lost_debt = get_i64(r);
    h->rtd_bps = get_i64(r);
    h->largest_debt = get_i64(r);
    h->concentration_bps = get_u32(r);
    h->active_members = get_u32(r);
    h->exposure = get_i64(r);
    h->owed = get_i64(r);
    /* Figures are amounts and counts: none is negative, and a period ends after it began. */
    if (h->supply < 0 || h->debt < 0 || h->member_debt < 0 || h->limits < 0 || h->volume < 0 ||
        h->debt_at_start < 0 || h->written_off < 0 || h->lost_debt < 0 || h->rtd_bps < 0 || h->largest_debt < 0 ||
        h->exposure < 0 || h->owed < 0 || (h->period != 0 && h->ended_at <= h->started_at))
        r->invalid = true;
}

static void write_network(writer *w, const tally_network *n) {
    put_u32(w, n->id);
    put_key(w, &n->founder);
    put_text(w, n->name, sizeof n->name);
    put_text(w, n->unit_code, sizeof n->unit_code);
    put_u8(w, n->decimals);
    write_policy(w, &n->policy);
    put_u8(w, n->operator_count);
    for (uint8_t i = 0; i < n->operator_count; i++) put_key(w, &n->operators[i]);
    put_u32(w, n->reserve_asset_id);
    put_i64(w, n->peg_reserve_units);
    put_i64(w, n->peg_credit_units);
    put_i64(w, n->pool_primary);
    put_i64(w, n->pool_buffer);
    put_i64(w, n->pool_excess);
    put_i64(w, n->pool_total_shares);
    put_u32(w, n->pool_share_epoch);
    put_i64(w, n->supply);
    put_i64(w, n->debt);
    put_u32(w, n->member_count);
    put_u32(w, n->fee_member);
    put_u32(w, n->lost_debt_member);
    put_u32(w, n->pool_member);
    put_i64(w, n->policy_change_at);
    write_policy(w, &n->policy_change);
    put_i64(w, n->peg_change_at);
    put_i64(w, n->peg_change_reserve_units);
    put_i64(w, n->peg_change_credit_units);
    put_i64(w, n->redeem_day);
    put_i64(w, n->redeem_allowance);
    write_health(w, &n->health);
    put_u32(w, n->health_period);
    put_i64(w, n->health_started_at);
    put_i64(w, n->health_volume);
    put_i64(w, n->health_written_off);
    put_i64(w, n->health_debt_at_start);
    put_i64(w, n->health_largest_debt);
    put_u32(w, n->health_active);
    put_i64(w, n->charges_at);
    put_u32(w, n->charges_cursor);
    put_u64(w, n->join_count);
    put_u32(w, n->market_categories);
}

static void read_network(reader *r, tally_network *n) {
    memset(n, 0, sizeof *n);
    n->id = get_u32(r);
    get_key(r, &n->founder);
    get_text(r, n->name, sizeof n->name);
    get_text(r, n->unit_code, sizeof n->unit_code);
    n->decimals = get_u8(r);
    read_policy(r, &n->policy);
    n->operator_count = get_u8(r);
    if (n->operator_count > TALLY_OPERATORS_MAX) r->invalid = true;
    for (uint8_t i = 0; !r->failed && !r->invalid && i < n->operator_count; i++) get_key(r, &n->operators[i]);
    n->reserve_asset_id = get_u32(r);
    n->peg_reserve_units = get_i64(r);
    n->peg_credit_units = get_i64(r);
    n->pool_primary = get_i64(r);
    n->pool_buffer = get_i64(r);
    n->pool_excess = get_i64(r);
    n->pool_total_shares = get_i64(r);
    n->pool_share_epoch = get_u32(r);
    n->supply = get_i64(r);
    n->debt = get_i64(r);
    n->member_count = get_u32(r);
    n->fee_member = get_u32(r);
    n->lost_debt_member = get_u32(r);
    n->pool_member = get_u32(r);
    n->policy_change_at = get_i64(r);
    read_policy(r, &n->policy_change);
    n->peg_change_at = get_i64(r);
    n->peg_change_reserve_units = get_i64(r);
    n->peg_change_credit_units = get_i64(r);
    n->redeem_day = get_i64(r);
    n->redeem_allowance = get_i64(r);
    read_health(r, &n->health);
    n->health_period = get_u32(r);
    n->health_started_at = get_i64(r);
    n->health_volume = get_i64(r);
    n->health_written_off = get_i64(r);
    n->health_debt_at_start = get_i64(r);
    n->health_largest_debt = get_i64(r);
    n->health_active = get_u32(r);
    n->charges_at = get_i64(r);
    n->charges_cursor = get_u32(r);
    n->join_count = get_u64(r);
    n->market_categories = get_u32(r);
    if (n->charges_at < 0 || (n->charges_at == 0 && n->charges_cursor != 0)) r->invalid = true;
    if (n->decimals > TALLY_DECIMALS_MAX) r->invalid = true;
    /* The running period follows the last completed one, from its end. */
    if (n->health_period == 0 || n->health.period != n->health_period - 1 || n->health_volume < 0 ||
        n->health_written_off < 0 || n->health_debt_at_start < 0 || n->health_largest_debt < 0 ||
        (n->health.period != 0 && n->health.ended_at != n->health_started_at))
        r->invalid = true;
}

static void write_asset(writer *w, const tally_asset *a) {
    put_u32(w, a->id);
    put_key(w, &a->issuer);
    put_text(w, a->code, sizeof a->code);
    put_text(w, a->name, sizeof a->name);
    put_u8(w, a->decimals);
    put_i64(w, a->issued);
    put_i64(w, a->burned);
}

static void read_asset(reader *r, tally_asset *a) {
    memset(a, 0, sizeof *a);
    a->id = get_u32(r);
    get_key(r, &a->issuer);
    get_text(r, a->code, sizeof a->code);
    get_text(r, a->name, sizeof a->name);
    a->decimals = get_u8(r);
    a->issued = get_i64(r);
    a->burned = get_i64(r);
}

static void write_member(writer *w, const tally_member *m) {
    put_u32(w, m->network_id);
    put_key(w, &m->key);
    put_u8(w, m->status);
    put_u8(w, m->system_kind);
    put_i64(w, m->balance);
    put_i64(w, m->fees_paid);
    put_text(w, m->alias, sizeof m->alias);
    put_u8(w, m->line_status);
    put_i64(w, m->limit);
    put_u32(w, m->risk_fee_bps);
    put_u32(w, m->period_seconds);
    put_u32(w, m->grace_seconds);
    put_i64(w, m->period_start);
    put_i64(w, m->period_end);
    put_i64(w, m->grace_end);
    put_i64(w, m->income_in_period);
    put_u8(w, m->rebalanced_in_period);
    put_i64(w, m->joined_at);
    put_i64(w, m->pending_out);
    put_u32(w, m->holds_open);
    put_u32(w, m->requests_open);
    put_u32(w, m->listings_open);
    put_u8(w, m->status_before_leaving);
    put_u32(w, m->active_period);
    put_u32(w, m->reputation);
    put_u32(w, m->compliant_streak);
    put_u32(w, m->defaults);
    put_i64(w, m->volume_given);
    put_i64(w, m->volume_received);
    put_u32(w, (uint32_t)m->review_points);
    put_u32(w, m->review_count);
    put_i64(w, m->income_last_period);
    put_i64(w, m->underwritten_limit);
    put_i64(w, m->staked_behind);
    put_u32(w, m->first_stake);
    put_u32(w, m->stake_count);
    put_u32(w, m->stakes_made);
    put_i64(w, m->staked_total);
    put_i64(w, m->fee_owed);
    put_u64(w, m->join_seq);
}

static void read_member(reader *r, tally_member *m) {
    memset(m, 0, sizeof *m);
    m->network_id = get_u32(r);
    get_key(r, &m->key);
    m->status = get_u8(r);
    m->system_kind = get_u8(r);
    m->balance = get_i64(r);
    m->fees_paid = get_i64(r);
    get_text(r, m->alias, sizeof m->alias);
    m->line_status = get_u8(r);
    m->limit = get_i64(r);
    m->risk_fee_bps = get_u32(r);
    m->period_seconds = get_u32(r);
    m->grace_seconds = get_u32(r);
    m->period_start = get_i64(r);
    m->period_end = get_i64(r);
    m->grace_end = get_i64(r);
    m->income_in_period = get_i64(r);
    m->rebalanced_in_period = get_bool(r);
    m->joined_at = get_i64(r);
    m->pending_out = get_i64(r);
    m->holds_open = get_u32(r);
    m->requests_open = get_u32(r);
    m->listings_open = get_u32(r);
    if (m->pending_out < 0 || m->holds_open > TALLY_OPEN_PER_MEMBER_MAX || m->requests_open > TALLY_OPEN_PER_MEMBER_MAX ||
        m->listings_open > TALLY_OPEN_PER_MEMBER_MAX)
        r->invalid = true;
    m->status_before_leaving = get_u8(r);
    if (m->status_before_leaving > TALLY_MEMBER_DEFAULTED) r->invalid = true;
    m->active_period = get_u32(r);
    m->reputation = get_u32(r);
    m->compliant_streak = get_u32(r);
    m->defaults = get_u32(r);
    m->volume_given = get_i64(r);
    m->volume_received = get_i64(r);
    m->review_points = (int32_t)get_u32(r);
    m->review_count = get_u32(r);
    m->income_last_period = get_i64(r);
    m->underwritten_limit = get_i64(r);
    m->staked_behind = get_i64(r);
    m->first_stake = get_u32(r);
    m->stake_count = get_u32(r);
    m->stakes_made = get_u32(r);
    m->staked_total = get_i64(r);
    m->fee_owed = get_i64(r);
    m->join_seq = get_u64(r);
    if (m->reputation > 1000 || m->volume_given < 0 || m->volume_received < 0 || m->underwritten_limit < 0 ||
        m->underwritten_limit > m->limit || m->staked_behind < 0 || m->stake_count > TALLY_STAKES_PER_LINE_MAX ||
        m->stakes_made > TALLY_OPEN_PER_MEMBER_MAX || m->staked_total < 0 || m->fee_owed < 0 ||
        (m->stake_count == 0) != (m->first_stake == 0))
        r->invalid = true;
    if (m->system_kind > TALLY_SYSTEM_GATEWAY) r->invalid = true;
    /* A line that lends must have a period, or the due heap could spin. */
    if ((m->line_status == TALLY_LINE_ACTIVE || m->line_status == TALLY_LINE_FROZEN) && m->period_seconds == 0)
        r->invalid = true;
}

static void write_account(writer *w, const ledger_account *a) {
    put_key(w, &a->key);
    put_u64(w, a->next_sequence);
    put_u32(w, a->networks_approved);
    put_u32(w, a->assets_approved);
    put_i64(w, a->growth_day);
    put_u32(w, a->networks_on_day);
    put_u32(w, a->assets_on_day);
}

static void read_account(reader *r, ledger_account *a) {
    memset(a, 0, sizeof *a);
    get_key(r, &a->key);
    a->next_sequence = get_u64(r);
    a->networks_approved = get_u32(r);
    a->assets_approved = get_u32(r);
    a->growth_day = get_i64(r);
    uint32_t networks = get_u32(r), assets = get_u32(r);
    if (networks > TALLY_DAILY_GROWTH_MAX || assets > TALLY_DAILY_GROWTH_MAX) r->invalid = true;
    a->networks_on_day = (uint16_t)networks;
    a->assets_on_day = (uint16_t)assets;
}

static void write_holding(writer *w, const ledger_holding *holding) {
    put_u32(w, holding->owner_id);
    put_u32(w, holding->epoch);
    put_key(w, &holding->key);
    put_i64(w, holding->amount);
}

static void read_holding(reader *r, ledger_holding *holding) {
    memset(holding, 0, sizeof *holding);
    holding->owner_id = get_u32(r);
    holding->epoch = get_u32(r);
    get_key(r, &holding->key);
    holding->amount = get_i64(r);
}

static void write_pending(writer *w, const tally_pending *p) {
    put_u32(w, p->id);
    put_u32(w, p->network_id);
    put_key(w, &p->payer);
    put_key(w, &p->payee);
    put_key(w, &p->resolver);
    put_i64(w, p->amount);
    put_i64(w, p->fee);
    put_i64(w, p->risk_fee);
    put_i64(w, p->timeout);
    put_u8(w, p->outcome);
    put_u8(w, p->status);
    put_i64(w, p->created_at);
    put_i64(w, p->posted);
    put_u32(w, p->order_id);
}

static void read_pending(reader *r, tally_pending *p) {
    memset(p, 0, sizeof *p);
    p->id = get_u32(r);
    p->network_id = get_u32(r);
    get_key(r, &p->payer);
    get_key(r, &p->payee);
    get_key(r, &p->resolver);
    p->amount = get_i64(r);
    p->fee = get_i64(r);
    p->risk_fee = get_i64(r);
    p->timeout = get_i64(r);
    p->outcome = get_u8(r);
    p->status = get_u8(r);
    p->created_at = get_i64(r);
    p->posted = get_i64(r);
    p->order_id = get_u32(r);
    if (p->outcome >= TALLY_PENDING_OUTCOME_COUNT || p->status >= TALLY_PENDING_STATUS_COUNT || p->amount <= 0 ||
        p->fee < 0 || p->risk_fee < 0 || p->risk_fee > p->fee || p->posted < 0 || p->posted > p->amount)
        r->invalid = true;
}

static void write_request(writer *w, const tally_request *q) {
    put_u32(w, q->id);
    put_u32(w, q->network_id);
    put_key(w, &q->payee);
    put_key(w, &q->payer);
    put_key(w, &q->paid_by);
    put_i64(w, q->amount);
    put_i64(w, q->expiry);
    put_i64(w, q->created_at);
    put_u8(w, q->status);
}

static void read_request(reader *r, tally_request *q) {
    memset(q, 0, sizeof *q);
    q->id = get_u32(r);
    q->network_id = get_u32(r);
    get_key(r, &q->payee);
    get_key(r, &q->payer);
    get_key(r, &q->paid_by);
    q->amount = get_i64(r);
    q->expiry = get_i64(r);
    q->created_at = get_i64(r);
    q->status = get_u8(r);
    if (q->status >= TALLY_REQUEST_STATUS_COUNT || q->amount <= 0 || q->expiry <= q->created_at) r->invalid = true;
}

static void write_gateway_side(writer *w, const tally_gateway_side *side) {
    put_u32(w, side->fee_bps);
    put_i64(w, side->limit);
    put_u32(w, side->min_partner_rtd_bps);
    put_u32(w, side->max_partner_default_bps);
}

static void read_gateway_side(reader *r, tally_gateway_side *side) {
    side->fee_bps = get_u32(r);
    side->limit = get_i64(r);
    side->min_partner_rtd_bps = get_u32(r);
    side->max_partner_default_bps = get_u32(r);
    if (side->fee_bps > TALLY_BPS_ONE || side->limit < 0 || side->min_partner_rtd_bps > TALLY_BPS_ONE ||
        side->max_partner_default_bps > TALLY_BPS_ONE)
        r->invalid = true;
}

static void write_gateway(writer *w, const tally_gateway *g) {
    put_u32(w, g->id);
    put_u32(w, g->network_a);
    put_u32(w, g->network_b);
    put_i64(w, g->terms.rate_a);
    put_i64(w, g->terms.rate_b);
    write_gateway_side(w, &g->terms.side[0]);
    write_gateway_side(w, &g->terms.side[1]);
    put_u8(w, g->frozen[0]);
    put_u8(w, g->frozen[1]);
    put_u8(w, g->status);
    put_i64(w, g->proposed_at);
    put_i64(w, g->opened_at);
}

static void read_gateway(reader *r, tally_gateway *g) {
    memset(g, 0, sizeof *g);
    g->id = get_u32(r);
    g->network_a = get_u32(r);
    g->network_b = get_u32(r);
    g->terms.rate_a = get_i64(r);
    g->terms.rate_b = get_i64(r);
    read_gateway_side(r, &g->terms.side[0]);
    read_gateway_side(r, &g->terms.side[1]);
    g->frozen[0] = get_bool(r);
    g->frozen[1] = get_bool(r);
    g->status = get_u8(r);
    g->proposed_at = get_i64(r);
    g->opened_at = get_i64(r);
    if (g->status >= TALLY_GATEWAY_STATUS_COUNT || g->terms.rate_a < 0 || g->terms.rate_b < 0 ||
        g->network_a == g->network_b)
        r->invalid = true;
}

static void write_stake(writer *w, const tally_stake *k) {
    put_u32(w, k->id);
    put_u32(w, k->network_id);
    put_key(w, &k->member);
    put_key(w, &k->underwriter);
    put_i64(w, k->amount);
    put_i64(w, k->earned);
    put_i64(w, k->slashed);
    put_u32(w, k->next);
    put_i64(w, k->created_at);
}

static void read_stake(reader *r, tally_stake *k) {
    memset(k, 0, sizeof *k);
    k->id = get_u32(r);
    k->network_id = get_u32(r);
    get_key(r, &k->member);
    get_key(r, &k->underwriter);
    k->amount = get_i64(r);
    k->earned = get_i64(r);
    k->slashed = get_i64(r);
    k->next = get_u32(r);
    k->created_at = get_i64(r);
    if (k->amount < 0 || k->earned < 0 || k->slashed < 0 || ledger_keys_equal(&k->member, &k->underwriter))
        r->invalid = true;
}

static void write_proposal(writer *w, const tally_proposal *p) {
    put_u32(w, p->id);
    put_u32(w, p->network_id);
    put_key(w, &p->proposer);
    const tally_proposal_action *a = &p->action;
    put_u8(w, a->type);
    write_policy(w, &a->policy);
    put_u32(w, a->asset_id);
    put_i64(w, a->peg_reserve_units);
    put_i64(w, a->peg_credit_units);
    put_key(w, &a->key);
    put_u32(w, a->gateway_id);
    put_u32(w, a->partner_id);
    put_i64(w, a->terms.rate_a);
    put_i64(w, a->terms.rate_b);
    write_gateway_side(w, &a->terms.side[0]);
    write_gateway_side(w, &a->terms.side[1]);
    put_u8(w, a->frozen);
    put_u32(w, a->order_id);
    put_i64(w, a->amount);
    put_u8(w, p->weighting);
    put_u32(w, p->quorum_bps);
    put_u32(w, p->threshold_bps);
    put_u32(w, p->late_quorum_seconds);
    put_u32(w, p->timelock_seconds);
    put_u64(w, p->eligible_join_seq);
    put_i64(w, p->eligible_weight);
    put_i64(w, p->yes);
    put_i64(w, p->no);
    put_i64(w, p->abstain);
    put_u32(w, p->voters);
    put_i64(w, p->created_at);
    put_i64(w, p->voting_ends_at);
    put_i64(w, p->executes_at);
    put_u8(w, p->extended);
    put_u8(w, p->status);
    put_u32(w, p->result);
}

static void read_proposal(reader *r, tally_proposal *p) {
    memset(p, 0, sizeof *p);
    p->id = get_u32(r);
    p->network_id = get_u32(r);
    get_key(r, &p->proposer);
    tally_proposal_action *a = &p->action;
    a->type = get_u8(r);
    read_policy(r, &a->policy);
    a->asset_id = get_u32(r);
    a->peg_reserve_units = get_i64(r);
    a->peg_credit_units = get_i64(r);
    get_key(r, &a->key);
    a->gateway_id = get_u32(r);
    a->partner_id = get_u32(r);
    a->terms.rate_a = get_i64(r);
    a->terms.rate_b = get_i64(r);
    read_gateway_side(r, &a->terms.side[0]);
    read_gateway_side(r, &a->terms.side[1]);
    a->frozen = get_bool(r);
    a->order_id = get_u32(r);
    a->amount = get_i64(r);
    p->weighting = get_u8(r);
    p->quorum_bps = get_u32(r);
    p->threshold_bps = get_u32(r);
    p->late_quorum_seconds = get_u32(r);
    p->timelock_seconds = get_u32(r);
    p->eligible_join_seq = get_u64(r);
    p->eligible_weight = get_i64(r);
    p->yes = get_i64(r);
    p->no = get_i64(r);
    p->abstain = get_i64(r);
    p->voters = get_u32(r);
    p->created_at = get_i64(r);
    p->voting_ends_at = get_i64(r);
    p->executes_at = get_i64(r);
    p->extended = get_bool(r);
    p->status = get_u8(r);
    uint32_t result = get_u32(r);
    p->result = (uint16_t)result;
    if (result >= TALLY_ERROR_COUNT || p->status >= TALLY_PROPOSAL_STATUS_COUNT || p->weighting >= TALLY_WEIGHT_COUNT ||
        p->eligible_weight < 0 || p->yes < 0 || p->no < 0 || p->abstain < 0 || p->voting_ends_at < p->created_at ||
        !governance_action_well_formed(a))
        r->invalid = true;
}

static void write_listing(writer *w, const tally_listing *l) {
    put_u32(w, l->id);
    put_u32(w, l->network_id);
    put_key(w, &l->seller);
    put_u8(w, l->kind);
    put_u8(w, l->category);
    put_u8(w, l->status);
    put_i64(w, l->price);
    put_u32(w, l->quantity);
    put_u32(w, l->sold);
    put_u32(w, l->orders_open);
    put_u32(w, l->revision);
    put_i64(w, l->expiry);
    put_i64(w, l->created_at);
    put_i64(w, l->updated_at);
}

static void read_listing(reader *r, tally_listing *l) {
    memset(l, 0, sizeof *l);
    l->id = get_u32(r);
    l->network_id = get_u32(r);
    get_key(r, &l->seller);
    l->kind = get_u8(r);
    l->category = get_u8(r);
    l->status = get_u8(r);
    l->price = get_i64(r);
    l->quantity = get_u32(r);
    l->sold = get_u32(r);
    l->orders_open = get_u32(r);
    l->revision = get_u32(r);
    l->expiry = get_i64(r);
    l->created_at = get_i64(r);
    l->updated_at = get_i64(r);
    if (l->kind >= TALLY_LISTING_KIND_COUNT || l->status >= TALLY_LISTING_STATUS_COUNT ||
        l->category > TALLY_MARKET_CATEGORIES_MAX || l->price < 0 || l->updated_at < l->created_at)
        r->invalid = true;
}

static void write_order(writer *w, const tally_order *o) {
    put_u32(w, o->id);
    put_u32(w, o->network_id);
    put_u32(w, o->listing_id);
    put_u32(w, o->pending_id);
    put_key(w, &o->buyer);
    put_key(w, &o->seller);
    put_u32(w, o->quantity);
    put_i64(w, o->unit_price);
    put_i64(w, o->amount);
    put_i64(w, o->paid);
    put_i64(w, o->timeout);
    put_i64(w, o->created_at);
    put_i64(w, o->accepted_at);
    put_i64(w, o->ended_at);
    put_u8(w, o->status);
    put_u8(w, o->buyer_rating);
    put_u8(w, o->seller_rating);
}

static void read_order(reader *r, tally_order *o) {
    memset(o, 0, sizeof *o);
    o->id = get_u32(r);
    o->network_id = get_u32(r);
    o->listing_id = get_u32(r);
    o->pending_id = get_u32(r);
    get_key(r, &o->buyer);
    get_key(r, &o->seller);
    o->quantity = get_u32(r);
    o->unit_price = get_i64(r);
    o->amount = get_i64(r);
    o->paid = get_i64(r);
    o->timeout = get_i64(r);
    o->created_at = get_i64(r);
    o->accepted_at = get_i64(r);
    o->ended_at = get_i64(r);
    o->status = get_u8(r);
    o->buyer_rating = get_u8(r);
    o->seller_rating = get_u8(r);
    if (o->status >= TALLY_ORDER_STATUS_COUNT || o->buyer_rating > 5 || o->seller_rating > 5 || o->quantity == 0 ||
        o->unit_price <= 0 || o->amount <= 0 || o->paid < 0 || o->paid > o->amount)
        r->invalid = true;
}

static void write_vote(writer *w, const tally_vote *v) {
    put_u32(w, v->proposal_id);
    put_key(w, &v->voter);
    put_u8(w, v->choice);
    put_i64(w, v->weight);
}

static void read_vote(reader *r, tally_vote *v) {
    memset(v, 0, sizeof *v);
    v->proposal_id = get_u32(r);
    get_key(r, &v->voter);
    v->choice = get_u8(r);
    v->weight = get_i64(r);
    if (v->choice >= TALLY_VOTE_CHOICE_COUNT || v->weight < 0) r->invalid = true;
}

size_t ledger_record_encode(const tally_state *state, tally_table table, uint32_t index, uint8_t *out,
                            size_t out_size) {
    writer w = {out, out_size, 0};
    switch (table) {
    case TALLY_TABLE_NETWORKS: write_network(&w, &state->networks[index]); break;
    case TALLY_TABLE_ASSETS: write_asset(&w, &state->assets[index]); break;
    case TALLY_TABLE_MEMBERS: write_member(&w, &state->members[index]); break;
    case TALLY_TABLE_ACCOUNTS: write_account(&w, &state->accounts[index]); break;
    case TALLY_TABLE_HOLDINGS: write_holding(&w, &state->holdings[index]); break;
    case TALLY_TABLE_PENDINGS: write_pending(&w, &state->pendings[index]); break;
    case TALLY_TABLE_REQUESTS: write_request(&w, &state->requests[index]); break;
    case TALLY_TABLE_GATEWAYS: write_gateway(&w, &state->gateways[index]); break;
    case TALLY_TABLE_STAKES: write_stake(&w, &state->stakes[index]); break;
    case TALLY_TABLE_PROPOSALS: write_proposal(&w, &state->proposals[index]); break;
    case TALLY_TABLE_VOTES: write_vote(&w, &state->votes[index]); break;
    case TALLY_TABLE_LISTINGS: write_listing(&w, &state->listings[index]); break;
    case TALLY_TABLE_ORDERS: write_order(&w, &state->orders[index]); break;
    case TALLY_TABLE_COUNT: break;
    }
    assert(w.length <= TALLY_RECORD_MAX);
    return w.length <= out_size ? w.length : 0;
}

size_t ledger_rules_encode(const tally_chain_rules *rules, uint8_t *out, size_t out_size) {
    writer w = {out, out_size, 0};
    write_rules_parts(&w, rules, rules->validator_changes != 0);
    return w.length <= out_size ? w.length : 0;
}

/* A record's bytes must be exactly one record: strict, like the snapshot. */
static bool read_exact(reader *r) { return !r->failed && !r->invalid && r->position == r->length; }

bool tally_record_decode_network(const uint8_t *bytes, size_t length, tally_network *out) {
    reader r = {bytes, length, 0, false, false};
    read_network(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_asset(const uint8_t *bytes, size_t length, tally_asset *out) {
    reader r = {bytes, length, 0, false, false};
    read_asset(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_member(const uint8_t *bytes, size_t length, tally_member *out) {
    reader r = {bytes, length, 0, false, false};
    read_member(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_account(const uint8_t *bytes, size_t length, tally_account_record *out) {
    reader r = {bytes, length, 0, false, false};
    ledger_account account;
    read_account(&r, &account);
    *out = (tally_account_record){account.key, account.next_sequence, account.networks_approved,
                                  account.assets_approved};
    return read_exact(&r);
}

bool tally_record_decode_holding(const uint8_t *bytes, size_t length, tally_holding_record *out) {
    reader r = {bytes, length, 0, false, false};
    ledger_holding holding;
    read_holding(&r, &holding);
    *out = (tally_holding_record){holding.owner_id, holding.epoch, holding.key, holding.amount};
    return read_exact(&r);
}

bool tally_state_proof_record(const tally_state_proof *proof, tally_record *out) {
    const uint8_t *bytes = proof->record;
    size_t length = proof->record_length;
    switch ((tally_table)proof->table) {
    case TALLY_TABLE_NETWORKS: return tally_record_decode_network(bytes, length, &out->network);
    case TALLY_TABLE_ASSETS: return tally_record_decode_asset(bytes, length, &out->asset);
    case TALLY_TABLE_MEMBERS: return tally_record_decode_member(bytes, length, &out->member);
    case TALLY_TABLE_ACCOUNTS: return tally_record_decode_account(bytes, length, &out->account);
    case TALLY_TABLE_HOLDINGS: return tally_record_decode_holding(bytes, length, &out->holding);
    case TALLY_TABLE_PENDINGS: return tally_record_decode_pending(bytes, length, &out->pending);
    case TALLY_TABLE_REQUESTS: return tally_record_decode_request(bytes, length, &out->request);
    case TALLY_TABLE_GATEWAYS: return tally_record_decode_gateway(bytes, length, &out->gateway);
    case TALLY_TABLE_STAKES: return tally_record_decode_stake(bytes, length, &out->stake);
    case TALLY_TABLE_PROPOSALS: return tally_record_decode_proposal(bytes, length, &out->proposal);
    case TALLY_TABLE_VOTES: return tally_record_decode_vote(bytes, length, &out->vote);
    case TALLY_TABLE_LISTINGS: return tally_record_decode_listing(bytes, length, &out->listing);
    case TALLY_TABLE_ORDERS: return tally_record_decode_order(bytes, length, &out->order);
    case TALLY_TABLE_COUNT: break;
    }
    return false;
}

bool tally_record_decode_pending(const uint8_t *bytes, size_t length, tally_pending *out) {
    reader r = {bytes, length, 0, false, false};
    read_pending(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_request(const uint8_t *bytes, size_t length, tally_request *out) {
    reader r = {bytes, length, 0, false, false};
    read_request(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_gateway(const uint8_t *bytes, size_t length, tally_gateway *out) {
    reader r = {bytes, length, 0, false, false};
    read_gateway(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_stake(const uint8_t *bytes, size_t length, tally_stake *out) {
    reader r = {bytes, length, 0, false, false};
    read_stake(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_proposal(const uint8_t *bytes, size_t length, tally_proposal *out) {
    reader r = {bytes, length, 0, false, false};
    read_proposal(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_vote(const uint8_t *bytes, size_t length, tally_vote *out) {
    reader r = {bytes, length, 0, false, false};
    read_vote(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_listing(const uint8_t *bytes, size_t length, tally_listing *out) {
    reader r = {bytes, length, 0, false, false};
    read_listing(&r, out);
    return read_exact(&r);
}

bool tally_record_decode_order(const uint8_t *bytes, size_t length, tally_order *out) {
    reader r = {bytes, length, 0, false, false};
    read_order(&r, out);
    return read_exact(&r);
}

static void write_all(const tally_state *state, writer *w) {
    put_bytes(w, snapshot_magic, sizeof snapshot_magic);
    put_bytes(w, state->chain_id, TALLY_CHAIN_ID_BYTES);
    write_rules(w, &state->rules);
    put_u32(w, state->network_count);
    put_u32(w, state->asset_count);
    put_u32(w, state->member_count);
    put_u32(w, state->account_count);
    put_u32(w, state->holding_count);
    put_u32(w, state->pending_count);
    put_u32(w, state->request_count);
    put_u32(w, state->gateway_count);
    put_u32(w, state->stake_count);
    put_u32(w, state->proposal_count);
    put_u32(w, state->vote_count);
    put_u32(w, state->listing_count);
    put_u32(w, state->order_count);
    for (uint32_t i = 0; i < state->network_count; i++) write_network(w, &state->networks[i]);
    for (uint32_t i = 0; i < state->asset_count; i++) write_asset(w, &state->assets[i]);
    for (uint32_t i = 0; i < state->member_count; i++) write_member(w, &state->members[i]);
    for (uint32_t i = 0; i < state->account_count; i++) write_account(w, &state->accounts[i]);
    for (uint32_t i = 0; i < state->holding_count; i++) write_holding(w, &state->holdings[i]);
    for (uint32_t i = 0; i < state->pending_count; i++) write_pending(w, &state->pendings[i]);
    for (uint32_t i = 0; i < state->request_count; i++) write_request(w, &state->requests[i]);
    for (uint32_t i = 0; i < state->gateway_count; i++) write_gateway(w, &state->gateways[i]);
    for (uint32_t i = 0; i < state->stake_count; i++) write_stake(w, &state->stakes[i]);
    for (uint32_t i = 0; i < state->proposal_count; i++) write_proposal(w, &state->proposals[i]);
    for (uint32_t i = 0; i < state->vote_count; i++) write_vote(w, &state->votes[i]);
    for (uint32_t i = 0; i < state->listing_count; i++) write_listing(w, &state->listings[i]);
    for (uint32_t i = 0; i < state->order_count; i++) write_order(w, &state->orders[i]);
}

size_t tally_state_serialized_size(const tally_state *state) {
    writer w = {NULL, 0, 0};
    write_all(state, &w);
    return w.length;
}

size_t tally_state_serialize(const tally_state *state, uint8_t *out, size_t out_size) {
    writer w = {out, out_size, 0};
    write_all(state, &w);
    return w.length <= out_size ? w.length : 0;
}

/* Smallest encoded size of each kind of record, measured with the writer itself so
 * it cannot drift from the format: counts the input cannot hold are refused before
 * anything is allocated. */
static uint64_t smallest_records(uint32_t networks, uint32_t assets, uint32_t members, uint32_t accounts,
                                 uint32_t holdings, uint32_t pendings, uint32_t requests, uint32_t gateways,
                                 uint32_t stakes, uint32_t proposals, uint32_t votes, uint32_t listings,
                                 uint32_t orders) {
    static const tally_network empty_network;
    static const tally_asset empty_asset;
    static const tally_member empty_member;
    static const ledger_account empty_account;
    writer network = {NULL, 0, 0}, asset = {NULL, 0, 0}, member = {NULL, 0, 0}, account = {NULL, 0, 0};
    write_network(&network, &empty_network); /* no operators: the least a network takes */
    write_asset(&asset, &empty_asset);
    write_member(&member, &empty_member);
    write_account(&account, &empty_account);
    enum {
        HOLDING_BYTES = 4 + 4 + TALLY_KEY_BYTES + 8,
        PENDING_BYTES = 4 + 4 + 3 * TALLY_KEY_BYTES + 4 * 8 + 2 + 2 * 8 + 4,
        LISTING_BYTES = 2 * 4 + TALLY_KEY_BYTES + 3 + 8 + 4 * 4 + 3 * 8,
        ORDER_BYTES = 4 * 4 + 2 * TALLY_KEY_BYTES + 4 + 7 * 8 + 3,
        REQUEST_BYTES = 4 + 4 + 3 * TALLY_KEY_BYTES + 3 * 8 + 1,
        GATEWAY_BYTES = 3 * 4 + 2 * 8 + 2 * (3 * 4 + 8) + 3 + 2 * 8,
        STAKE_BYTES = 2 * 4 + 2 * TALLY_KEY_BYTES + 3 * 8 + 4 + 8,
        VOTE_BYTES = 4 + TALLY_KEY_BYTES + 1 + 8,
        PROPOSAL_BYTES = 4 + 4 + TALLY_KEY_BYTES + 1 /* and the action's policy, at least this: */ + 100
    };
    return (uint64_t)networks * network.length + (uint64_t)assets * asset.length + (uint64_t)members * member.length +
           (uint64_t)accounts * account.length + (uint64_t)holdings * HOLDING_BYTES + (uint64_t)pendings * PENDING_BYTES +
           (uint64_t)requests * REQUEST_BYTES + (uint64_t)gateways * GATEWAY_BYTES + (uint64_t)stakes * STAKE_BYTES +
           (uint64_t)proposals * PROPOSAL_BYTES + (uint64_t)votes * VOTE_BYTES + (uint64_t)listings * LISTING_BYTES +
           (uint64_t)orders * ORDER_BYTES;
}

tally_state *tally_state_deserialize(const uint8_t *bytes, size_t length, tally_error *error) {
    *error = TALLY_ERR_DECODE_BAD_VALUE;
    reader r = {bytes, length, 0, false, false};
    const uint8_t *magic = take(&r, sizeof snapshot_magic);
    if (!magic || memcmp(magic, snapshot_magic, sizeof snapshot_magic) != 0) {
        *error = magic ? TALLY_ERR_DECODE_BAD_VERSION : TALLY_ERR_DECODE_TRUNCATED;
        return NULL;
    }
    const uint8_t *chain_id = take(&r, TALLY_CHAIN_ID_BYTES);
    tally_chain_rules rules;
    read_rules(&r, &rules);
    if (r.invalid) return NULL; /* *error is DECODE_BAD_VALUE */
    uint32_t networks = get_u32(&r), assets = get_u32(&r), members = get_u32(&r);
    uint32_t accounts = get_u32(&r), holdings = get_u32(&r), pendings = get_u32(&r);
    uint32_t requests = get_u32(&r), gateways = get_u32(&r), stakes = get_u32(&r);
    uint32_t proposals = get_u32(&r), votes = get_u32(&r), listings = get_u32(&r), orders = get_u32(&r);
    if (r.failed) {
        *error = TALLY_ERR_DECODE_TRUNCATED;
        return NULL;
    }
    uint64_t least =
        smallest_records(networks, assets, members, accounts, holdings, pendings, requests, gateways, stakes, proposals,
                         votes, listings, orders);
    if (networks > TALLY_NETWORKS_MAX || assets > TALLY_ASSETS_MAX || members > TALLY_MEMBERS_MAX ||
        accounts > TALLY_ACCOUNTS_MAX || holdings > TALLY_HOLDINGS_MAX || pendings > TALLY_PENDINGS_MAX ||
        requests > TALLY_REQUESTS_MAX || gateways > TALLY_GATEWAYS_MAX || stakes > TALLY_STAKES_MAX ||
        proposals > TALLY_PROPOSALS_MAX || votes > TALLY_VOTES_MAX || listings > TALLY_LISTINGS_MAX ||
        orders > TALLY_ORDERS_MAX ||
        least > length - r.position) {
        *error = TALLY_ERR_DECODE_BAD_LENGTH;
        return NULL;
    }
    tally_state *state = tally_state_create_for_chain(chain_id, &rules);
    if (!state) {
        *error = TALLY_ERR_STATE_FULL;
        return NULL;
    }
    state->networks = realloc(state->networks, ((size_t)networks + 1) * sizeof *state->networks);
    state->assets = realloc(state->assets, ((size_t)assets + 1) * sizeof *state->assets);
    state->members = realloc(state->members, ((size_t)members + 4) * sizeof *state->members);
    state->accounts = realloc(state->accounts, ((size_t)accounts + 1) * sizeof *state->accounts);
    state->holdings = realloc(state->holdings, ((size_t)holdings + 3) * sizeof *state->holdings);
    state->pendings = realloc(state->pendings, ((size_t)pendings + 1) * sizeof *state->pendings);
    state->requests = realloc(state->requests, ((size_t)requests + 1) * sizeof *state->requests);
    state->gateways = realloc(state->gateways, ((size_t)gateways + 1) * sizeof *state->gateways);
    state->stakes = realloc(state->stakes, ((size_t)stakes + 1) * sizeof *state->stakes);
    state->proposals = realloc(state->proposals, ((size_t)proposals + 1) * sizeof *state->proposals);
    state->votes = realloc(state->votes, ((size_t)votes + 1) * sizeof *state->votes);
    state->listings = realloc(state->listings, ((size_t)listings + 1) * sizeof *state->listings);
    state->orders = realloc(state->orders, ((size_t)orders + 1) * sizeof *state->orders);
    if (!state->networks || !state->assets || !state->members || !state->accounts || !state->holdings ||
        !state->pendings || !state->requests || !state->gateways || !state->stakes || !state->proposals ||
        !state->votes || !state->listings || !state->orders) {
        tally_state_destroy(state);
        *error = TALLY_ERR_STATE_FULL;
        return NULL;
    }
    state->network_capacity = networks + 1;
    state->asset_capacity = assets + 1;
    state->member_capacity = members + 4;
    state->account_capacity = accounts + 1;
    state->holding_capacity = holdings + 3;
    state->pending_capacity = pendings + 1;
    state->request_capacity = requests + 1;
    state->gateway_capacity = gateways + 1;
    state->stake_capacity = stakes + 1;
    state->proposal_capacity = proposals + 1;
    state->vote_capacity = votes + 1;
    state->listing_capacity = listings + 1;
    state->order_capacity = orders + 1;
    for (uint32_t i = 0; i < networks && !r.failed; i++) read_network(&r, &state->networks[i]);
    for (uint32_t i = 0; i < assets && !r.failed; i++) read_asset(&r, &state->assets[i]);
    for (uint32_t i = 0; i < members && !r.failed; i++) read_member(&r, &state->members[i]);
    for (uint32_t i = 0; i < accounts && !r.failed; i++) read_account(&r, &state->accounts[i]);
    for (uint32_t i = 0; i < holdings && !r.failed; i++) read_holding(&r, &state->holdings[i]);
    for (uint32_t i = 0; i < pendings && !r.failed; i++) {
        read_pending(&r, &state->pendings[i]);
        if (state->pendings[i].id != i + 1 || state->pendings[i].network_id == 0 ||
            state->pendings[i].network_id > networks)
            r.invalid = true;
    }
    for (uint32_t i = 0; i < requests && !r.failed; i++) {
        read_request(&r, &state->requests[i]);
        if (state->requests[i].id != i + 1 || state->requests[i].network_id == 0 ||
            state->requests[i].network_id > networks)
            r.invalid = true;
    }
    for (uint32_t i = 0; i < gateways && !r.failed; i++) {
        const tally_gateway *g = &state->gateways[i];
        read_gateway(&r, &state->gateways[i]);
        if (g->id != i + 1 || g->network_a == 0 || g->network_a > networks || g->network_b == 0 ||
            g->network_b > networks)
            r.invalid = true;
    }
    for (uint32_t i = 0; i < stakes && !r.failed; i++) {
        read_stake(&r, &state->stakes[i]);
        if (state->stakes[i].id != i + 1) r.invalid = true;
    }
    for (uint32_t i = 0; i < proposals && !r.failed; i++) read_proposal(&r, &state->proposals[i]);
    for (uint32_t i = 0; i < votes && !r.failed; i++) read_vote(&r, &state->votes[i]);
    for (uint32_t i = 0; i < listings && !r.failed; i++) {
        read_listing(&r, &state->listings[i]);
        if (state->listings[i].id != i + 1 || state->listings[i].network_id == 0 ||
            state->listings[i].network_id > networks)
            r.invalid = true;
    }
    for (uint32_t i = 0; i < orders && !r.failed; i++) {
        const tally_order *o = &state->orders[i];
        read_order(&r, &state->orders[i]);
        if (o->id != i + 1 || o->network_id == 0 || o->network_id > networks || o->listing_id == 0 ||
            o->listing_id > listings || o->pending_id == 0 || o->pending_id > pendings)
            r.invalid = true;
    }
    state->network_count = networks;
    state->asset_count = assets;
    state->member_count = members;
    state->account_count = accounts;
    state->holding_count = holdings;
    state->pending_count = pendings;
    state->request_count = requests;
    state->gateway_count = gateways;
    state->stake_count = stakes;
    state->proposal_count = proposals;
    state->vote_count = votes;
    state->listing_count = listings;
    state->order_count = orders;
    bool valid = !r.failed && !r.invalid && r.position == length;
    if (!valid)
        *error = r.failed ? TALLY_ERR_DECODE_TRUNCATED
                 : r.invalid ? TALLY_ERR_DECODE_BAD_VALUE
                             : TALLY_ERR_DECODE_TRAILING_BYTES;
    /* Indices over checked-in-range references only: invariants then check the rest. */
    for (uint32_t i = 0; valid && i < members; i++) {
        const tally_member *member = &state->members[i];
        if (member->network_id == 0 || member->network_id > networks) valid = false;
    }
    for (uint32_t i = 0; valid && i < networks; i++) {
        const tally_network *network = &state->networks[i];
        valid = network->fee_member < members && network->lost_debt_member < members &&
                network->pool_member < members && network->reserve_asset_id <= assets;
    }
    if (valid && !ledger_rebuild_indices(state)) valid = false;
    if (valid && !tally_check_invariants(state, NULL, 0)) valid = false;
    if (!valid) {
        tally_state_destroy(state);
        return NULL;
    }
    *error = TALLY_OK;
    return state;
}
