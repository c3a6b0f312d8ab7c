/*
 * network.c: creating a network (with its fee, lost-debt and pool system accounts),
 * changing its policy and its peg to a reserve asset, the set of operators who may
 * do so, and a validator's approvals to grow the chain. Text rules for names and
 * codes live here too.
 *
 * Who may found a network: in an OPEN chain any key, a few a day; in an APPROVED
 * chain a key a validator approved (DESIGN.md "Who may grow the state"). Names are
 * unique on the chain ignoring ASCII case.
 *
 * Changes that touch other people's money are announced (DESIGN.md "Changes that
 * touch other people's money"): a higher fee, a lower positive cap, a higher
 * redemption cap, a shorter notice, and a change of target RTD or of the peg while
 * the pool holds reserve take effect only after the network's notice_seconds, at
 * block end, so that members and depositors can act first (withdraw, leave, pay
 * off). The reserve asset itself cannot change while the pool holds reserve at all.
 */
#include "core/ledger.h"

#include <string.h>

bool text_is_name(const tally_text *text) {
    return text->length > 0 && text->length <= TALLY_NAME_MAX && tally_text_is_valid(text->bytes, text->length);
}

bool text_is_code(const tally_text *text) {
    if (text->length == 0 || text->length > TALLY_CODE_MAX) return false;
    for (uint16_t i = 0; i < text->length; i++) {
        char c = text->bytes[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

static void text_copy(char *out, const tally_text *text) {
    memcpy(out, text->bytes, text->length);
    out[text->length] = '\0';
}

void tally_policy_defaults(tally_policy *policy) {
    memset(policy, 0, sizeof *policy);
    policy->period_seconds = 90u * TALLY_DAY_SECONDS;
    policy->grace_seconds = 30u * TALLY_DAY_SECONDS;
    policy->target_rtd_bps = 2000;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->auto_renew = true;
    policy->max_members = 100000;
    policy->notice_seconds = 7u * TALLY_DAY_SECONDS;
    policy->redeem_cap_bps = 1000;
    /* No underwriting, algorithmic limits or charges; a reputation that weighs a
     * year of age, 1,000,000 minor units of volume, 12 compliant periods and 10 net
     * review stars, from a base of 200 (docs/UNDERWRITING.md). */
    policy->reputation = (tally_reputation_rule){.base = 200,
                                                 .age_weight = 200,
                                                 .age_full_days = 365,
                                                 .volume_weight = 200,
                                                 .volume_full = 1000000,
                                                 .streak_weight = 300,
                                                 .streak_full = 12,
                                                 .review_weight = 100,
                                                 .review_full = 10,
                                                 .default_penalty = 500};
}

/* Weights 0..1000; a weighed part's "full" figure at least 1 (an unweighed part's
 * may be 0: an all-zero rule scores every member 0). */
static bool reputation_rule_valid(const tally_reputation_rule *rule) {
    return rule->base <= 1000 && rule->age_weight <= 1000 && (rule->age_weight == 0 || rule->age_full_days >= 1) &&
           rule->volume_weight <= 1000 && rule->volume_full >= 0 && (rule->volume_weight == 0 || rule->volume_full >= 1) &&
           rule->streak_weight <= 1000 && (rule->streak_weight == 0 || rule->streak_full >= 1) &&
           rule->review_weight <= 1000 && (rule->review_weight == 0 || rule->review_full >= 1) &&
           rule->default_penalty <= 1000;
}

/* An OPERATORS network's rule is not used, but must be in range too (a later change
 * to MEMBERS takes it as it is). All zero is valid: voting needs MEMBERS. */
static bool governance_rule_valid(const tally_governance_rule *rule) {
    if (rule->mode >= TALLY_GOVERNANCE_COUNT || rule->weighting >= TALLY_WEIGHT_COUNT) return false;
    bool zero = rule->quorum_bps == 0 && rule->threshold_bps == 0 && rule->voting_seconds == 0 &&
                rule->timelock_seconds == 0 && rule->late_quorum_seconds == 0;
    if (rule->mode == TALLY_GOVERNANCE_OPERATORS && zero) return true;
    return rule->quorum_bps >= 1 && rule->quorum_bps <= TALLY_BPS_ONE && rule->threshold_bps >= 1 &&
           rule->threshold_bps <= TALLY_BPS_ONE && rule->voting_seconds >= 3600 &&
           rule->voting_seconds <= TALLY_NOTICE_SECONDS_MAX && rule->timelock_seconds <= TALLY_NOTICE_SECONDS_MAX &&
           rule->late_quorum_seconds <= rule->voting_seconds;
}

static bool limit_rule_valid(const tally_limit_rule *rule) {
    return rule->base >= 0 && rule->per_point >= 0 && rule->income_bps <= 10u * TALLY_BPS_ONE && rule->step_max >= 0 &&
           rule->recovery_periods <= 1000;
}

tally_error policy_validate(const tally_policy *policy) {
    bool valid = policy->default_credit_limit >= 0 &&
                 policy->max_credit_limit >= policy->default_credit_limit &&
                 policy->positive_cap >= 0 && policy->fee_bps <= TALLY_BPS_ONE &&
                 policy->default_risk_fee_bps <= TALLY_BPS_ONE && policy->period_seconds > 0 &&
                 policy->min_income_bps <= TALLY_BPS_ONE && policy->target_rtd_bps <= TALLY_BPS_ONE &&
                 policy->compliance_rule < TALLY_COMPLIANCE_COUNT &&
                 policy->membership_mode < TALLY_MEMBERSHIP_COUNT && policy->max_members >= 1 &&
                 policy->max_members <= TALLY_MEMBER_RECORDS_PER_NETWORK_MAX &&
                 policy->notice_seconds >= TALLY_NOTICE_SECONDS_MIN &&
                 policy->notice_seconds <= TALLY_NOTICE_SECONDS_MAX && policy->redeem_cap_bps >= 1 &&
                 policy->redeem_cap_bps <= TALLY_BPS_ONE && policy->collateral_ratio_bps <= 100u * TALLY_BPS_ONE &&
                 reputation_rule_valid(&policy->reputation) && limit_rule_valid(&policy->algorithmic_limits) &&
                 policy->demurrage_bps <= TALLY_BPS_ONE && policy->demurrage_threshold >= 0 &&
                 policy->membership_fee >= 0 && governance_rule_valid(&policy->governance);
    return valid ? TALLY_OK : TALLY_ERR_BAD_POLICY;
}

bool network_is_operator(const tally_network *network, const tally_key *key) {
    for (uint8_t i = 0; i < network->operator_count; i++)
        if (memcmp(network->operators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return true;
    /* A passed proposal acts as the network's operator (governance.c): nobody can
     * sign with this key (system keys sign nothing). */
    tally_key governance = governance_key(network->id);
    return ledger_keys_equal(key, &governance);
}

static uint32_t add_system_account(tally_state *state, uint32_t network_id, tally_system_kind kind) {
    tally_key key = tally_system_key(network_id, kind);
    tally_member *member = ledger_member_add(state, network_id, &key);
    member->status = TALLY_MEMBER_SYSTEM;
    member->system_kind = (uint8_t)kind;
    return ledger_member_index(state, member);
}

tally_result network_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_network_create *body = &tx->body.network_create;
    if (!text_is_name(&body->name)) return result_error(TALLY_ERR_BAD_NAME);
    if (!text_is_code(&body->unit_code)) return result_error(TALLY_ERR_BAD_CODE);
    if (body->decimals > TALLY_DECIMALS_MAX) return result_error(TALLY_ERR_BAD_DECIMALS);
    tally_error error = policy_validate(&body->policy);
    if (error == TALLY_OK) error = ledger_growth_check(state, &tx->signer, true, block_time);
    if (error != TALLY_OK) return result_error(error);
    if (ledger_network_by_name(state, body->name.bytes, body->name.length)) return result_error(TALLY_ERR_NAME_TAKEN);
    if (state->network_count >= TALLY_NETWORKS_MAX) return result_error(TALLY_ERR_STATE_FULL);
    ledger_growth_use(state, &tx->signer, true, block_time);

    uint32_t id = state->network_count + 1;
    tally_network *network = &state->networks[state->network_count];
    ledger_touch(state, TALLY_TABLE_NETWORKS, state->network_count);
    memset(network, 0, sizeof *network);
    network->id = id;
    network->founder = tx->signer;
    text_copy(network->name, &body->name);
    text_copy(network->unit_code, &body->unit_code);
    network->decimals = body->decimals;
    network->policy = body->policy;
    network->operator_count = 1;
    network->operators[0] = tx->signer;
    network->redeem_day = INT64_MIN; /* no redemption yet: no day matches */
    network->fee_member = add_system_account(state, id, TALLY_SYSTEM_FEES);
    network->lost_debt_member = add_system_account(state, id, TALLY_SYSTEM_LOST_DEBT);
    network->pool_member = add_system_account(state, id, TALLY_SYSTEM_POOL);
    state->network_count++;
    ledger_name_insert(state, network);
    health_start(state, network, block_time);
    charges_start(state, network, block_time);

    tally_result result = result_error(TALLY_OK);
    result.created_id = id;
    return result;
}

/* The network named by a transaction, if its signer operates it. */
static tally_error operated_network(tally_state *state, const tally_tx *tx, uint32_t network_id,
                                    tally_network **network) {
    *network = ledger_network(state, network_id);
    if (!*network) return TALLY_ERR_UNKNOWN_NETWORK;
    if (!network_is_operator(*network, &tx->signer)) return TALLY_ERR_NOT_OPERATOR;
    return TALLY_OK;
}

/* A point in time `seconds` after `start`, saturating: a notice never wraps. */
static int64_t time_after(int64_t start, uint32_t seconds) {
    int64_t later;
    return checked_add(start, seconds, &later) ? later : INT64_MAX;
}

static bool pool_holds_reserve(const tally_network *network) {
    return network->pool_primary || network->pool_buffer || network->pool_excess;
}

/* Whether lowering the cap from `current` to `requested` (0 = none) takes room away. */
static bool cap_is_lowered(int64_t current, int64_t requested) {
    if (requested == 0) return false;
    return current == 0 || requested < current;
}

/* The fields that may wait for notice, one bit each. */
enum {
    NOTICE_FEE = 1 << 0,
    NOTICE_RISK_FEE = 1 << 1,
    NOTICE_CAP = 1 << 2,
    NOTICE_TARGET_RTD = 1 << 3,
    NOTICE_NOTICE = 1 << 4,
    NOTICE_REDEEM_CAP = 1 << 5,
    NOTICE_DEMURRAGE = 1 << 6,           /* a higher rate */
    NOTICE_DEMURRAGE_THRESHOLD = 1 << 7, /* a lower threshold */
    NOTICE_MEMBERSHIP_FEE = 1 << 8,      /* a higher fee */
};

/* Which fields of `requested` need notice against the network's current policy. */
static unsigned fields_needing_notice(const tally_network *network, const tally_policy *requested) {
    const tally_policy *current = &network->policy;
    unsigned fields = 0;
    if (requested->fee_bps > current->fee_bps) fields |= NOTICE_FEE;
    if (requested->default_risk_fee_bps > current->default_risk_fee_bps) fields |= NOTICE_RISK_FEE;
    if (cap_is_lowered(current->positive_cap, requested->positive_cap)) fields |= NOTICE_CAP;
    if (requested->target_rtd_bps != current->target_rtd_bps && pool_holds_reserve(network)) fields |= NOTICE_TARGET_RTD;
    if (requested->notice_seconds < current->notice_seconds) fields |= NOTICE_NOTICE;
    if (requested->redeem_cap_bps > current->redeem_cap_bps) fields |= NOTICE_REDEEM_CAP;
    if (requested->demurrage_bps > current->demurrage_bps) fields |= NOTICE_DEMURRAGE;
    if (requested->demurrage_threshold < current->demurrage_threshold) fields |= NOTICE_DEMURRAGE_THRESHOLD;
    if (requested->membership_fee > current->membership_fee) fields |= NOTICE_MEMBERSHIP_FEE;
    return fields;
}

/* Copies the fields in `fields` from one policy to another. */
static void copy_fields(tally_policy *to, const tally_policy *from, unsigned fields) {
    if (fields & NOTICE_FEE) to->fee_bps = from->fee_bps;
    if (fields & NOTICE_RISK_FEE) to->default_risk_fee_bps = from->default_risk_fee_bps;
    if (fields & NOTICE_CAP) to->positive_cap = from->positive_cap;
    if (fields & NOTICE_TARGET_RTD) to->target_rtd_bps = from->target_rtd_bps;
    if (fields & NOTICE_NOTICE) to->notice_seconds = from->notice_seconds;
    if (fields & NOTICE_REDEEM_CAP) to->redeem_cap_bps = from->redeem_cap_bps;
    if (fields & NOTICE_DEMURRAGE) to->demurrage_bps = from->demurrage_bps;
    if (fields & NOTICE_DEMURRAGE_THRESHOLD) to->demurrage_threshold = from->demurrage_threshold;
    if (fields & NOTICE_MEMBERSHIP_FEE) to->membership_fee = from->membership_fee;
}

static bool fields_equal(const tally_policy *a, const tally_policy *b, unsigned fields) {
    tally_policy copy = *a;
    copy_fields(&copy, b, fields);
    return memcmp(&copy, a, sizeof copy) == 0;
}

#define ALL_NOTICE_FIELDS                                                                                    \
    (NOTICE_FEE | NOTICE_RISK_FEE | NOTICE_CAP | NOTICE_TARGET_RTD | NOTICE_NOTICE | NOTICE_REDEEM_CAP |       \
     NOTICE_DEMURRAGE | NOTICE_DEMURRAGE_THRESHOLD | NOTICE_MEMBERSHIP_FEE)

tally_result network_policy_update(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_policy_update *body = &tx->body.policy_update;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error == TALLY_OK) error = policy_validate(&body->policy);
    if (error != TALLY_OK) return result_error(error);
    unsigned waiting = fields_needing_notice(network, &body->policy);
    /* What applies now: everything asked, but the fields that wait keep their values. */
    tally_policy now = body->policy;
    copy_fields(&now, &network->policy, waiting);
    /* The update states the whole policy wanted: an earlier announcement it does not
     * repeat is withdrawn; one that asks again exactly what was announced (and
     * nothing more that needs notice) keeps its time. */
    bool repeated = network->policy_change_at && waiting &&
                    fields_equal(&network->policy_change, &body->policy, waiting);
    if (!waiting) {
        network->policy_change_at = 0;
        memset(&network->policy_change, 0, sizeof network->policy_change);
    } else if (!repeated) {
        network->policy_change_at = time_after(block_time, network->policy.notice_seconds);
        ledger_announcement_queue(state, network, DUE_POLICY_CHANGE, network->policy_change_at);
    }
    /* The announcement holds the whole policy asked; at its time the fields that
     * wait take their values from it. */
    if (waiting) network->policy_change = body->policy;
    /* Existing lines keep their limits, periods and fees: a policy applies to what
     * is opened, renewed or paid after it. */
    network->policy = now;
    charges_start(state, network, block_time); /* a policy that starts charging */
    tally_result result = result_error(TALLY_OK);
    result.effective_at = network->policy_change_at;
    return result;
}

bool network_policy_change_due(tally_state *state, tally_network *network, int64_t due_time,
                               ledger_block_end *end) {
    if (!ledger_announcement_popped(state, network, DUE_POLICY_CHANGE, due_time)) return false; /* withdrawn or replaced */
    copy_fields(&network->policy, &network->policy_change, ALL_NOTICE_FIELDS);
    network->policy_change_at = 0;
    memset(&network->policy_change, 0, sizeof network->policy_change);
    charges_start(state, network, due_time);
    end->summary.policy_changes++;
    ledger_event(end, TALLY_EVENT_POLICY_CHANGED, network->id, NULL, 0, due_time);
    return true;
}

static bool same_rate(int64_t reserve_a, int64_t credit_a, int64_t reserve_b, int64_t credit_b) {
    __extension__ typedef __int128 int128;
    return (int128)reserve_a * credit_b == (int128)reserve_b * credit_a;
}

tally_result network_peg_set(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_peg_set *body = &tx->body.peg_set;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    if (body->asset_id != 0) {
        if (!tally_state_asset(state, body->asset_id)) return result_error(TALLY_ERR_UNKNOWN_ASSET);
        if (body->peg_reserve_units <= 0 || body->peg_credit_units <= 0)
            return result_error(TALLY_ERR_BAD_PEG);
    }
    bool asset_changes = body->asset_id != network->reserve_asset_id;
    if (asset_changes && pool_holds_reserve(network)) return result_error(TALLY_ERR_POOL_NOT_EMPTY);
    if (asset_changes && network->stakes_locked > 0) return result_error(TALLY_ERR_STAKES_OPEN);
    tally_result result = result_error(TALLY_OK);
    /* Stakes are valued at the peg too: a new rate while they are locked is announced. */
    if (!asset_changes && body->asset_id != 0 && (pool_holds_reserve(network) || network->stakes_locked > 0) &&
        !same_rate(body->peg_reserve_units, body->peg_credit_units, network->peg_reserve_units,
                   network->peg_credit_units)) {
        /* A new rate moves value between credit holders and depositors: announced. */
        bool repeated = network->peg_change_at && network->peg_change_reserve_units == body->peg_reserve_units &&
                        network->peg_change_credit_units == body->peg_credit_units;
        if (!repeated) {
            network->peg_change_at = time_after(block_time, network->policy.notice_seconds);
            network->peg_change_reserve_units = body->peg_reserve_units;
            network->peg_change_credit_units = body->peg_credit_units;
            ledger_announcement_queue(state, network, DUE_PEG_CHANGE, network->peg_change_at);
        }
        result.effective_at = network->peg_change_at;
        return result;
    }
    /* Taking effect now (an empty pool, or the same rate): an announced rate is withdrawn. */
    network->peg_change_at = 0;
    network->peg_change_reserve_units = 0;
    network->peg_change_credit_units = 0;
    if (asset_changes && network->pool_total_shares > 0) {
        /* An empty pool's shares are worth nothing; a new asset starts them afresh. */
        network->pool_share_epoch++;
        network->pool_total_shares = 0;
    }
    network->reserve_asset_id = body->asset_id;
    network->peg_reserve_units = body->asset_id ? body->peg_reserve_units : 0;
    network->peg_credit_units = body->asset_id ? body->peg_credit_units : 0;
    return result;
}

bool network_peg_change_due(tally_state *state, tally_network *network, int64_t due_time,
                            ledger_block_end *end) {
    if (!ledger_announcement_popped(state, network, DUE_PEG_CHANGE, due_time)) return false; /* withdrawn or replaced */
    /* The asset cannot have changed since: that needs an empty pool, which takes effect at
     * once and withdraws the announcement. */
    assert(network->reserve_asset_id != 0);
    network->peg_reserve_units = network->peg_change_reserve_units;
    network->peg_credit_units = network->peg_change_credit_units;
    network->peg_change_at = 0;
    network->peg_change_reserve_units = 0;
    network->peg_change_credit_units = 0;
    end->summary.peg_changes++;
    ledger_event(end, TALLY_EVENT_PEG_CHANGED, network->id, NULL, 0, due_time);
    return true;
}

tally_result network_chain_approve(tally_state *state, const tally_tx *tx) {
    const tally_tx_chain_approve *body = &tx->body.chain_approve;
    if (!ledger_is_validator(state, &tx->signer)) return result_error(TALLY_ERR_NOT_VALIDATOR);
    if (tally_key_is_system(&body->key)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    if (body->networks > TALLY_APPROVALS_MAX || body->assets > TALLY_APPROVALS_MAX) {
        tally_result refused = result_error(TALLY_ERR_APPROVAL_ABOVE_MAX);
        refused.available = TALLY_APPROVALS_MAX;
        return refused;
    }
    ledger_account *account = ledger_account_get(state, &body->key);
    account->networks_approved = body->networks;
    account->assets_approved = body->assets;
    return result_error(TALLY_OK);
}

tally_result network_operator_add(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    if (tally_key_is_system(&body->key)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    if (network_is_operator(network, &body->key)) return result_error(TALLY_ERR_ALREADY_OPERATOR);
    if (network->operator_count >= TALLY_OPERATORS_MAX) return result_error(TALLY_ERR_TOO_MANY_OPERATORS);
    network->operators[network->operator_count++] = body->key;
    return result_error(TALLY_OK);
}

tally_result network_operator_remove(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    uint8_t position = 0;
    while (position < network->operator_count &&
           memcmp(network->operators[position].bytes, body->key.bytes, TALLY_KEY_BYTES) != 0)
        position++;
    if (position == network->operator_count) return result_error(TALLY_ERR_UNKNOWN_OPERATOR);
    if (network->operator_count == 1) return result_error(TALLY_ERR_LAST_OPERATOR);
    /* Keep the order of the others: operators are listed in the order they were added. */
    memmove(&network->operators[position], &network->operators[position + 1],
            (size_t)(network->operator_count - position - 1) * sizeof network->operators[0]);
    network->operator_count--;
    memset(&network->operators[network->operator_count], 0, sizeof network->operators[0]);
    return result_error(TALLY_OK);
}
