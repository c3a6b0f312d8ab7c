/*
 * views.c: see views.h. Every view_* function returns a new jansson reference (NULL
 * only when out of memory) that the caller owns; the view_copy_* functions are the
 * only ones that read the state.
 */
#include "node/views.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *view_hex(const uint8_t *bytes, size_t length) {
    char *hex = malloc(length * 2 + 1);
    if (!hex) return NULL;
    sodium_bin2hex(hex, length * 2 + 1, bytes, length);
    json_t *value = json_string(hex);
    free(hex);
    return value;
}

json_t *view_address(const tally_key *key) {
    /* A system account's too: it is a key like any (ENCODING.md says how it is made),
     * its name comes beside it where one is shown (counterparty_name). */
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(key, address);
    return json_string(address);
}

json_t *view_error(const char *code, const char *message, int64_t available, bool has_available) {
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (error && has_available) json_object_set_new(error, "available", json_integer(available));
    return error;
}

json_t *view_result(const tally_result *r) {
    json_t *view = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "created_id", (json_int_t)r->created_id,
                     "minted", (json_int_t)r->minted, "burned", (json_int_t)r->burned, "fee", (json_int_t)r->fee,
                     "risk_fee", (json_int_t)r->risk_fee, "reserve", (json_int_t)r->reserve, "shares",
                     (json_int_t)r->shares, "to_primary", (json_int_t)r->to_primary, "to_excess",
                     (json_int_t)r->to_excess, "effective_at", (json_int_t)r->effective_at);
    /* TRANSFER_CROSS: what the payee received (in its network's unit) */
    if (view && r->code == TALLY_OK && r->available)
        json_object_set_new(view, "available", json_integer(r->available));
    return view;
}

/* Errors whose `available` field carries a number worth showing. */
static bool has_available(tally_error code) {
    switch (code) {
    case TALLY_ERR_BAD_SEQUENCE:
    case TALLY_ERR_INSUFFICIENT_CREDIT:
    case TALLY_ERR_LINE_FROZEN:
    case TALLY_ERR_LINE_EXPIRED:
    case TALLY_ERR_MEMBER_SUSPENDED:
    case TALLY_ERR_MEMBER_DEFAULTED:
    case TALLY_ERR_CAP_REACHED:
    case TALLY_ERR_FEE_ABOVE_MAX:
    case TALLY_ERR_INSUFFICIENT_ASSET:
    case TALLY_ERR_INSUFFICIENT_SHARES:
    case TALLY_ERR_INSUFFICIENT_BALANCE:
    case TALLY_ERR_POOL_EXCESS_SHORT:
    case TALLY_ERR_POOL_RESERVE_SHORT:
    case TALLY_ERR_NOT_IN_DEBT:
    case TALLY_ERR_NO_LOST_DEBT:
    case TALLY_ERR_LIMIT_ABOVE_MAX:
    case TALLY_ERR_LIMIT_BELOW_DEBT:
    case TALLY_ERR_DEBT_NOT_ZERO:
    case TALLY_ERR_BALANCE_NOT_ZERO:
    case TALLY_ERR_MEMBERS_FULL:
    case TALLY_ERR_APPROVAL_ABOVE_MAX:
    case TALLY_ERR_REDEEM_CAP_REACHED:
    case TALLY_ERR_EXPOSURE_LIMIT:
    case TALLY_ERR_BELOW_MIN_RECEIVED:
    case TALLY_ERR_STAKE_SHORT:
    case TALLY_ERR_STAKE_COVERS_DEBT:
    case TALLY_ERR_STAKES_OPEN:
    case TALLY_ERR_FEE_OWED:
    /* the marketplace: the price now, the units left, the order's amount */
    case TALLY_ERR_PRICE_CHANGED:
    case TALLY_ERR_QUANTITY_UNAVAILABLE:
    case TALLY_ERR_SPLIT_ABOVE_ORDER: return true;
    default: return false;
    }
}

json_t *view_tx_status(const uint8_t id[TALLY_HASH_BYTES], const tx_status *status) {
    static const char *const names[] = {"unknown", "pending", "committed", "refused"};
    json_t *view = json_pack("{s:o, s:s}", "id", view_hex(id, TALLY_HASH_BYTES), "status", names[status->state]);
    if (!view) return NULL;
    if (status->state == TX_COMMITTED) {
        json_object_set_new(view, "height", json_integer((json_int_t)status->height));
        json_object_set_new(view, "result", view_result(&status->result));
    }
    if (status->state == TX_REFUSED) {
        if (status->node_error) {
            const char *message = strcmp(status->node_error, "MEMPOOL_FULL") == 0
                                      ? "the node's mempool is full: retry shortly"
                                  : strcmp(status->node_error, "BAD_HEX") == 0
                                      ? "a transaction is the hex of its signed encoding, at most 27288 bytes"
                                  : strcmp(status->node_error, "NODE_FAILED") == 0
                                      ? "the node stopped after a failed write: it must be restarted"
                                  : strcmp(status->node_error, "DISK_FULL") == 0
                                      ? "the node's disk is full: nothing was committed; it takes transactions again "
                                        "by itself when there is room, then send it again"
                                  : strcmp(status->node_error, "NOT_COMMITTED") == 0
                                      ? "the validator's block lost its height to another validator's (the proposer "
                                        "changed): submit the transaction again"
                                  : strcmp(status->node_error, "NO_PROPOSER") == 0
                                      ? "no validator holds the proposer lease now (an election is under way, or "
                                        "etcd is unreachable): retry shortly"
                                  : strcmp(status->node_error, "SENDER_PENDING_FULL") == 0
                                      ? "this signer has as many transactions waiting for a block as the node takes "
                                        "from one signer: wait for some to commit"
                                      : "the node could not take the transaction";
            json_object_set_new(view, "error", view_error(status->node_error, message, 0, false));
        } else {
            tally_error code = status->result.code;
            /* FEE_ABOVE_MAX's figure is the fee the transaction needs, named so; every
             * other refusal's is what `available` says (docs/openapi.yaml). */
            bool fee_required = code == TALLY_ERR_FEE_ABOVE_MAX;
            json_t *error = view_error(tally_error_name(code), tally_error_message(code), status->result.available,
                                       has_available(code) && !fee_required);
            if (error && fee_required)
                json_object_set_new(error, "fee_required", json_integer(status->result.available));
            /* A batch names the line refused (0, left out: the batch as a whole). */
            if (error && status->result.line > 0) json_object_set_new(error, "line", json_integer(status->result.line));
            json_object_set_new(view, "error", error);
        }
    }
    return view;
}

void view_text_append(view_text *text, const char *bytes, size_t length) {
    if (text->failed) return;
    if (text->length + length + 1 > text->capacity) {
        size_t capacity = text->capacity ? text->capacity : 4096;
        while (text->length + length + 1 > capacity) capacity *= 2;
        char *grown = realloc(text->bytes, capacity);
        if (!grown) {
            free(text->bytes);
            *text = (view_text){.failed = true};
            return;
        }
        text->bytes = grown;
        text->capacity = capacity;
    }
    memcpy(text->bytes + text->length, bytes, length);
    text->length += length;
    text->bytes[text->length] = '\0';
}

/* value in decimal, as jansson prints an integer (JSON_INTEGER_FORMAT): sprintf
 * costs ten times more, and a batch's answer prints eleven per transaction. */
static size_t put_integer(char *out, int64_t value) {
    char digits[20];
    uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    size_t count = 0, at = 0;
    do {
        digits[count++] = (char)('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude);
    if (value < 0) out[at++] = '-';
    while (count) out[at++] = digits[--count];
    return at;
}

static size_t put_bytes(char *out, const char *bytes) {
    size_t length = strlen(bytes);
    memcpy(out, bytes, length);
    return length;
}

/* `,"name":value`. */
static size_t put_field(char *out, const char *name, int64_t value) {
    size_t at = put_bytes(out, ",\"");
    at += put_bytes(out + at, name);
    at += put_bytes(out + at, "\":");
    return at + put_integer(out + at, value);
}

void view_text_append_tx_status(view_text *text, const uint8_t id[TALLY_HASH_BYTES], const tx_status *status) {
    if (status->state != TX_PENDING && status->state != TX_COMMITTED) {
        json_t *view = view_tx_status(id, status);
        char *dumped = view ? json_dumps(view, JSON_COMPACT) : NULL;
        json_decref(view);
        if (!dumped) {
            free(text->bytes);
            *text = (view_text){.failed = true};
            return;
        }
        view_text_append(text, dumped, strlen(dumped));
        free(dumped);
        return;
    }
    /* The fields in view_tx_status's and view_result's order: ids, states and names
     * are hex and ASCII words, so nothing needs escaping. */
    char out[640];
    size_t at = put_bytes(out, "{\"id\":\"");
    sodium_bin2hex(out + at, 2 * TALLY_HASH_BYTES + 1, id, TALLY_HASH_BYTES);
    at += 2 * TALLY_HASH_BYTES;
    at += put_bytes(out + at, status->state == TX_PENDING ? "\",\"status\":\"pending\"" : "\",\"status\":\"committed\"");
    if (status->state == TX_COMMITTED) {
        const tally_result *r = &status->result;
        /* a height past INT64_MAX prints as jansson's json_int_t would */
        at += put_field(out + at, "height", (int64_t)status->height);
        at += put_bytes(out + at, ",\"result\":{\"created_id\":");
        at += put_integer(out + at, (int64_t)r->created_id);
        at += put_field(out + at, "minted", r->minted);
        at += put_field(out + at, "burned", r->burned);
        at += put_field(out + at, "fee", r->fee);
        at += put_field(out + at, "risk_fee", r->risk_fee);
        at += put_field(out + at, "reserve", r->reserve);
        at += put_field(out + at, "shares", r->shares);
        at += put_field(out + at, "to_primary", r->to_primary);
        at += put_field(out + at, "to_excess", r->to_excess);
        at += put_field(out + at, "effective_at", r->effective_at);
        if (r->available) at += put_field(out + at, "available", r->available); /* as view_tx_status */
        out[at++] = '}';
    }
    out[at++] = '}';
    view_text_append(text, out, at);
}

static const char *const compliance_names[] = {"zero_balance", "rebalanced", "min_income"};

static const char *const governance_mode_names[] = {"operators", "members"};
static const char *const vote_weighting_names[] = {"one_member", "reputation", "stake"};

/* The policy's rules of issue 12, nested as the codec names them (policy.reputation.base). */
static void view_policy_rules(json_t *view, const tally_policy *p) {
    const tally_reputation_rule *r = &p->reputation;
    const tally_limit_rule *l = &p->algorithmic_limits;
    const tally_governance_rule *g = &p->governance;
    json_object_set_new(view, "collateral_ratio_bps", json_integer(p->collateral_ratio_bps));
    json_object_set_new(
        view, "reputation",
        json_pack("{s:i, s:i, s:i, s:i, s:I, s:i, s:i, s:i, s:i, s:i}", "base", (int)r->base, "age_weight",
                  (int)r->age_weight, "age_full_days", (int)r->age_full_days, "volume_weight", (int)r->volume_weight,
                  "volume_full", (json_int_t)r->volume_full, "streak_weight", (int)r->streak_weight, "streak_full",
                  (int)r->streak_full, "review_weight", (int)r->review_weight, "review_full", (int)r->review_full,
                  "default_penalty", (int)r->default_penalty));
    json_object_set_new(view, "algorithmic_limits",
                        json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "enabled", l->enabled, "base", (json_int_t)l->base,
                                  "per_point", (json_int_t)l->per_point, "income_bps", (json_int_t)l->income_bps,
                                  "step_max", (json_int_t)l->step_max, "recovery_periods",
                                  (json_int_t)l->recovery_periods));
    json_object_set_new(view, "demurrage_bps", json_integer(p->demurrage_bps));
    json_object_set_new(view, "demurrage_threshold", json_integer(p->demurrage_threshold));
    json_object_set_new(view, "membership_fee", json_integer(p->membership_fee));
    json_object_set_new(view, "charges_to_pool", json_boolean(p->charges_to_pool));
    json_object_set_new(
        view, "governance",
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "mode",
                  g->mode < TALLY_GOVERNANCE_COUNT ? governance_mode_names[g->mode] : "?", "weighting",
                  g->weighting < TALLY_WEIGHT_COUNT ? vote_weighting_names[g->weighting] : "?", "quorum_bps",
                  (json_int_t)g->quorum_bps, "threshold_bps", (json_int_t)g->threshold_bps, "voting_seconds",
                  (json_int_t)g->voting_seconds, "timelock_seconds", (json_int_t)g->timelock_seconds,
                  "late_quorum_seconds", (json_int_t)g->late_quorum_seconds, "operators_may_suspend",
                  g->operators_may_suspend, "operators_may_freeze", g->operators_may_freeze));
}

static json_t *view_policy(const tally_policy *p) {
    json_t *view = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:s, s:i, s:b, s:i, s:s, s:I, s:I, s:I}", "default_credit_limit",
                     (json_int_t)p->default_credit_limit, "max_credit_limit", (json_int_t)p->max_credit_limit,
                     "positive_cap", (json_int_t)p->positive_cap, "fee_bps", (int)p->fee_bps, "default_risk_fee_bps",
                     (int)p->default_risk_fee_bps, "period_seconds", (int)p->period_seconds, "grace_seconds",
                     (int)p->grace_seconds, "compliance_rule",
                     p->compliance_rule < TALLY_COMPLIANCE_COUNT ? compliance_names[p->compliance_rule] : "?",
                     "min_income_bps", (int)p->min_income_bps, "auto_renew", p->auto_renew, "target_rtd_bps",
                     (int)p->target_rtd_bps, "membership_mode",
                     p->membership_mode == TALLY_MEMBERSHIP_OPEN ? "open" : "admitted", "max_members",
                     (json_int_t)p->max_members, "notice_seconds", (json_int_t)p->notice_seconds, "redeem_cap_bps",
                     (json_int_t)p->redeem_cap_bps);
    if (view) view_policy_rules(view, p);
    return view;
}

/* The open change of the validator set (docs/VALIDATORS.md "Changing the validator
 * set"): what it adds and retires, who proposed and approved it, when it lapses. */
static json_t *view_validator_change(const tally_chain_rules *rules) {
    const tally_validator_change *change = &rules->change;
    json_t *add = json_array(), *retire = json_array(), *approvals = json_array();
    for (uint8_t i = 0; i < change->add_count && i < TALLY_VALIDATORS_MAX; i++)
        json_array_append_new(add, view_address(&change->add[i]));
    for (uint8_t i = 0; i < rules->validator_count; i++) {
        if (change->retire >> i & 1u) json_array_append_new(retire, json_integer(i));
        if (change->approvals >> i & 1u) json_array_append_new(approvals, json_integer(i));
    }
    uint8_t active = tally_chain_rules_active_count(rules);
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:i, s:I}", "id", (json_int_t)change->id, "proposer",
                     view_address(&change->proposer), "add", add, "retire", retire, "approvals", approvals, "quorum",
                     (int)(active / 2 + 1), "expires_at", (json_int_t)change->expires_at);
}

json_t *view_chain_rules(const tally_chain_rules *rules) {
    json_t *validators = json_array(), *retired = json_array();
    for (uint8_t i = 0; i < rules->validator_count; i++) {
        json_array_append_new(validators, view_address(&rules->validators[i]));
        if (rules->retired >> i & 1u) json_array_append_new(retired, json_integer(i));
    }
    /* `validators` is the roster by slot: a retired slot stays, listed in `retired` */
    json_t *view = json_pack("{s:s, s:i, s:i, s:b, s:o, s:o, s:I}", "growth_mode",
                             rules->growth_mode == TALLY_GROWTH_APPROVED ? "approved" : "open",
                             "networks_per_key_per_day", (int)rules->networks_per_key_per_day,
                             "assets_per_key_per_day", (int)rules->assets_per_key_per_day, "dev_chain",
                             rules->dev_chain != 0, "validators", validators, "retired", retired,
                             "validator_changes", (json_int_t)rules->validator_changes);
    if (view && rules->change.open) json_object_set_new(view, "validator_change", view_validator_change(rules));
    return view;
}

void view_copy_network(const tally_state *state, const tally_network *network, int64_t tip_time,
                       view_network_copy *out) {
    out->network = *network;
    out->redeem_allowance = tally_network_redeem_allowance(network, tip_time);
    out->fees = tally_state_member_at(state, network->fee_member)->balance;
    out->lost_debt = -tally_state_member_at(state, network->lost_debt_member)->balance;
    out->pool_credits = tally_state_member_at(state, network->pool_member)->balance;
}

json_t *view_health(const tally_health *h) {
    if (h->period == 0) return json_null();
    json_t *out = json_object();
    const struct {
        const char *name;
        int64_t value;
    } figures[] = {
        {"period", h->period},
        {"started_at", h->started_at},
        {"ended_at", h->ended_at},
        {"supply", h->supply},
        {"debt", h->debt},
        {"member_debt", h->member_debt},
        {"limits", h->limits},
        {"utilisation_bps", h->utilisation_bps},
        {"volume", h->volume},
        {"velocity_bps", h->velocity_bps},
        {"debt_at_start", h->debt_at_start},
        {"written_off", h->written_off},
        {"default_rate_bps", h->default_rate_bps},
        {"lost_debt", h->lost_debt},
        {"rtd_bps", h->rtd_bps},
        {"largest_debt", h->largest_debt},
        {"concentration_bps", h->concentration_bps},
        {"active_members", h->active_members},
        {"exposure", h->exposure},
        {"owed", h->owed},
    };
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        json_object_set_new(out, figures[i].name, json_integer(figures[i].value));
    return out;
}

json_t *view_health_running(const tally_network *n) {
    return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:I}", "period", (int)n->health_period, "started_at",
                     (json_int_t)n->health_started_at, "ends_at",
                     (json_int_t)tally_network_health_ends_at(n),
                     "volume", (json_int_t)n->health_volume, "written_off", (json_int_t)n->health_written_off,
                     "largest_debt", (json_int_t)n->health_largest_debt, "active_members", (int)n->health_active,
                     "exposure", (json_int_t)n->mirror_debt, "owed", (json_int_t)n->mirror_credit);
}

json_t *view_network(const view_network_copy *copy) {
    const tally_network *n = &copy->network;
    json_t *operators = json_array();
    for (uint8_t i = 0; i < n->operator_count; i++) json_array_append_new(operators, view_address(&n->operators[i]));
    json_t *pool = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i}", "asset", (int)n->reserve_asset_id,
                             "peg_reserve_units", (json_int_t)n->peg_reserve_units, "peg_credit_units",
                             (json_int_t)n->peg_credit_units, "primary", (json_int_t)n->pool_primary, "buffer",
                             (json_int_t)n->pool_buffer, "excess", (json_int_t)n->pool_excess, "shares",
                             (json_int_t)n->pool_total_shares, "credits", (json_int_t)copy->pool_credits, "rtd_bps",
                             (json_int_t)tally_network_rtd_bps(n), "target_rtd_bps", (int)n->policy.target_rtd_bps);
    if (pool) json_object_set_new(pool, "redeem_allowance_today", json_integer(copy->redeem_allowance));
    /* What is announced and not yet in force: the whole policy asked (its fields that
     * wait take effect at `at`), and a new peg rate. */
    json_t *announced = json_object();
    if (n->policy_change_at) {
        json_t *policy = view_policy(&n->policy_change);
        json_object_set_new(policy, "at", json_integer(n->policy_change_at));
        json_object_set_new(announced, "policy", policy);
    }
    if (n->peg_change_at)
        json_object_set_new(announced, "peg",
                            json_pack("{s:I, s:I, s:I}", "peg_reserve_units", (json_int_t)n->peg_change_reserve_units,
                                      "peg_credit_units", (json_int_t)n->peg_change_credit_units, "at",
                                      (json_int_t)n->peg_change_at));
    json_t *out =
        json_pack("{s:i, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:i, s:i, s:I, s:I, s:I, s:I, s:o, s:o}", "id", (int)n->id,
                  "name", n->name, "unit", n->unit_code, "decimals", (int)n->decimals, "founder",
                  view_address(&n->founder), "operators", operators, "policy", view_policy(&n->policy), "announced",
                  announced, "members", (int)n->member_count, "member_records", (int)n->member_records, "supply",
                  (json_int_t)n->supply, "debt", (json_int_t)n->debt, "lost_debt", (json_int_t)copy->lost_debt,
                  "fees", (json_int_t)copy->fees, "pool", pool, "system_accounts", view_system_accounts(copy));
    if (out) {
        json_object_set_new(out, "health", view_health(&n->health));
        json_object_set_new(out, "health_running", view_health_running(n));
    }
    return out;
}

json_t *view_system_accounts(const view_network_copy *copy) {
    const tally_network *n = &copy->network;
    json_t *fees = json_pack("{s:o, s:I}", "address", view_address_of_system(n->id, TALLY_SYSTEM_FEES), "balance",
                             (json_int_t)copy->fees);
    json_t *lost = json_pack("{s:o, s:I}", "address", view_address_of_system(n->id, TALLY_SYSTEM_LOST_DEBT),
                             "balance", (json_int_t)-copy->lost_debt);
    json_t *pool = json_pack("{s:o, s:I}", "address", view_address_of_system(n->id, TALLY_SYSTEM_POOL), "balance",
                             (json_int_t)copy->pool_credits);
    return json_pack("{s:o, s:o, s:o}", "fees", fees, "lost_debt", lost, "pool", pool);
}

json_t *view_address_of_system(uint32_t network_id, tally_system_kind kind) {
    tally_key key = tally_system_key(network_id, kind);
    return view_address(&key);
}

const char *view_member_status_name(uint8_t status) {
    static const char *const names[] = {"none", "active", "suspended", "defaulted", "left", "system"};
    return status <= TALLY_MEMBER_SYSTEM ? names[status] : "?";
}

const char *view_line_status_name(uint8_t status) {
    static const char *const names[] = {"none", "active", "frozen", "expired", "closed", "defaulted"};
    return status <= TALLY_LINE_DEFAULTED ? names[status] : "?";
}

void view_copy_member(const tally_state *state, const tally_network *network, const tally_member *member,
                      view_member_copy *out) {
    out->member = *member;
    out->available = tally_member_available(state, member);
    out->decimals = network->decimals;
    memcpy(out->unit_code, network->unit_code, sizeof out->unit_code);
    /* The value a withdrawal would pay (as pool_withdraw computes it), whether or not
     * the excess could pay it all now. */
    out->has_pending_in = false;
    out->pending_in = 0;
    out->pool_shares = tally_state_pool_shares(state, network->id, &member->key);
    out->pool_shares_value = 0;
    if (out->pool_shares > 0 && network->pool_total_shares > 0) {
        __int128 value = (__int128)out->pool_shares * ((__int128)network->pool_primary + network->pool_excess) /
                         network->pool_total_shares;
        out->pool_shares_value = value > INT64_MAX ? INT64_MAX : (int64_t)value;
    }
}

/* Reputation with its inputs, the line's own and underwritten parts, the stakes
 * behind it and made, and a membership fee owed (docs/UNDERWRITING.md). */
static void view_member_underwriting(json_t *view, const tally_member *m) {
    json_object_set_new(
        view, "reputation",
        json_pack("{s:i, s:i, s:i, s:I, s:I, s:i, s:i, s:I}", "score", (int)m->reputation, "compliant_streak",
                  (int)m->compliant_streak, "defaults", (int)m->defaults, "volume_given", (json_int_t)m->volume_given,
                  "volume_received", (json_int_t)m->volume_received, "review_points", (int)m->review_points,
                  "review_count", (int)m->review_count, "income_last_period", (json_int_t)m->income_last_period));
    json_object_set_new(view, "underwriting",
                        json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:I}", "own_limit",
                                  (json_int_t)(m->limit - m->underwritten_limit), "underwritten_limit",
                                  (json_int_t)m->underwritten_limit, "staked_behind", (json_int_t)m->staked_behind,
                                  "first_stake", (int)m->first_stake, "stake_count", (int)m->stake_count,
                                  "stakes_made", (int)m->stakes_made, "staked_total", (json_int_t)m->staked_total));
    json_object_set_new(view, "fee_owed", json_integer(m->fee_owed));
}

json_t *view_member(const view_member_copy *copy) {
    const tally_member *m = &copy->member;
    json_t *line = json_pack("{s:s, s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:b}", "status",
                             view_line_status_name(m->line_status), "limit", (json_int_t)m->limit, "risk_fee_bps",
                             (int)m->risk_fee_bps, "period_seconds", (int)m->period_seconds, "grace_seconds",
                             (int)m->grace_seconds, "period_start", (json_int_t)m->period_start, "period_end",
                             (json_int_t)m->period_end, "grace_end", (json_int_t)m->grace_end, "income_in_period",
                             (json_int_t)m->income_in_period, "rebalanced_in_period", m->rebalanced_in_period);
    json_t *view = json_pack("{s:i, s:o, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:i, s:s}", "network",
                             (int)m->network_id, "address", view_address(&m->key), "alias", m->alias, "status",
                             view_member_status_name(m->status), "balance", (json_int_t)m->balance, "limit",
                             (json_int_t)m->limit, "available", (json_int_t)copy->available, "fees_paid",
                             (json_int_t)m->fees_paid, "joined_at", (json_int_t)m->joined_at, "line", line, "decimals",
                             (int)copy->decimals, "unit", copy->unit_code);
    if (view) json_object_set_new(view, "pending_out", json_integer(m->pending_out));
    if (view && copy->has_pending_in) json_object_set_new(view, "pending_in", json_integer(copy->pending_in));
    if (view && copy->pool_shares > 0) {
        json_object_set_new(view, "pool_shares", json_integer(copy->pool_shares));
        json_object_set_new(view, "pool_shares_value", json_integer(copy->pool_shares_value));
    }
    if (view) view_member_underwriting(view, m);
    /* A member who left suspended or defaulted comes back so: say it. */
    if (view && m->status == TALLY_MEMBER_LEFT)
        json_object_set_new(view, "left_as", json_string(view_member_status_name(m->status_before_leaving)));
    return view;
}

json_t *view_asset(const tally_asset *a) {
    return json_pack("{s:i, s:s, s:s, s:i, s:o, s:I, s:I, s:I, s:i}", "id", (int)a->id, "code", a->code, "name", a->name,
                     "decimals", (int)a->decimals, "issuer", view_address(&a->issuer), "issued", (json_int_t)a->issued,
                     "burned", (json_int_t)a->burned, "outstanding", (json_int_t)(a->issued - a->burned), "holders",
                     (int)a->holders);
}

json_t *view_block_header(const tally_block_header *h, const uint8_t hash[TALLY_HASH_BYTES]) {
    return json_pack("{s:I, s:o, s:o, s:I, s:i, s:o, s:o, s:o, s:o, s:o}", "height", (json_int_t)h->height, "hash",
                     view_hex(hash, TALLY_HASH_BYTES), "prev_hash", view_hex(h->prev_hash, TALLY_HASH_BYTES), "time",
                     (json_int_t)h->block_time, "tx_count", (int)h->tx_count, "tx_root",
                     view_hex(h->tx_root, TALLY_HASH_BYTES), "results_root", view_hex(h->results_root, TALLY_HASH_BYTES),
                     "state_hash", view_hex(h->state_hash, TALLY_HASH_BYTES), "producer", view_address(&h->producer),
                     "signature", view_hex(h->signature, TALLY_SIGNATURE_BYTES));
}

json_t *view_tx(const tally_tx *tx) {
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(tx, id);
    const char *type = tally_tx_type_name(tx->type);
    json_t *view = json_pack("{s:o, s:s, s:o, s:I}", "id", view_hex(id, TALLY_HASH_BYTES), "type", type ? type : "?",
                             "signer", view_address(&tx->signer), "sequence", (json_int_t)tx->sequence);
    if (view && tx->type == TALLY_TX_CHAIN_APPROVE) {
        const tally_tx_chain_approve *a = &tx->body.chain_approve;
        json_object_set_new(view, "key", view_address(&a->key));
        json_object_set_new(view, "networks", json_integer(a->networks));
        json_object_set_new(view, "assets", json_integer(a->assets));
    }
    if (view && (tx->type == TALLY_TX_STAKE || tx->type == TALLY_TX_UNSTAKE)) {
        const tally_tx_stake *stake = &tx->body.stake;
        json_object_set_new(view, "network", json_integer(stake->network_id));
        json_object_set_new(view, "member", view_address(&stake->member));
        json_object_set_new(view, "amount", json_integer(stake->amount));
    }
    if (view && tx->type == TALLY_TX_MEMBER_FEE_PAY)
        json_object_set_new(view, "network", json_integer(tx->body.network_only.network_id));
    if (view && tx->type == TALLY_TX_TRANSFER) {
        const tally_tx_transfer *t = &tx->body.transfer;
        json_object_set_new(view, "network", json_integer(t->network_id));
        json_object_set_new(view, "payee", view_address(&t->payee));
        json_object_set_new(view, "amount", json_integer(t->amount));
        json_object_set_new(view, "max_fee", json_integer(t->max_fee));
        json_object_set_new(view, "memo", json_stringn(t->memo.bytes, t->memo.length));
    }
    if (view && tx->type == TALLY_TX_TRANSFER_CROSS) {
        const tally_tx_transfer_cross *c = &tx->body.transfer_cross;
        json_object_set_new(view, "network", json_integer(c->network_id));
        json_object_set_new(view, "payee", view_address(&c->payee));
        json_object_set_new(view, "amount", json_integer(c->amount));
        json_object_set_new(view, "max_fee", json_integer(c->max_fee));
        json_object_set_new(view, "min_received", json_integer(c->min_received));
        json_t *gateways = json_array();
        for (uint8_t h = 0; gateways && h < c->hop_count && h < TALLY_PATH_HOPS_MAX; h++)
            json_array_append_new(gateways, json_integer(c->gateways[h]));
        json_object_set_new(view, "gateways", gateways);
    }
    if (view && tx->type == TALLY_TX_PROPOSAL_CREATE) {
        json_object_set_new(view, "network", json_integer(tx->body.proposal_create.network_id));
        json_object_set_new(view, "action", view_proposal_action(&tx->body.proposal_create.action, NULL));
    }
    if (view && (tx->type == TALLY_TX_PROPOSAL_VOTE || tx->type == TALLY_TX_PROPOSAL_CANCEL)) {
        static const char *const choices[] = {"no", "yes", "abstain"};
        uint8_t choice = tx->body.proposal_vote.choice;
        json_object_set_new(view, "proposal", json_integer(tx->body.proposal_vote.proposal_id));
        if (tx->type == TALLY_TX_PROPOSAL_VOTE)
            json_object_set_new(view, "choice", json_string(choice < TALLY_VOTE_CHOICE_COUNT ? choices[choice] : "?"));
    }
    if (view && tx->type == TALLY_TX_TRANSFER_BATCH) {
        const tally_tx_transfer_batch *b = &tx->body.transfer_batch;
        json_object_set_new(view, "network", json_integer(b->network_id));
        json_object_set_new(view, "max_fee", json_integer(b->max_fee));
        json_t *lines = json_array();
        int64_t total = 0;
        for (uint16_t i = 0; lines && b->lines && i < b->line_count; i++) {
            const tally_batch_line *line = &b->lines[i];
            json_array_append_new(lines, json_pack("{s:i, s:o, s:I, s:s%}", "line", (int)i + 1, "payee",
                                                   view_address(&line->payee), "amount", (json_int_t)line->amount,
                                                   "memo", line->memo.bytes, (size_t)line->memo.length));
            if (line->amount > 0 && __builtin_add_overflow(total, line->amount, &total)) total = INT64_MAX;
        }
        json_object_set_new(view, "total", json_integer(total));
        json_object_set_new(view, "lines", lines);
    }
    return view;
}

void view_copy_name(const tally_state *state, uint32_t network_id, const tally_key *key,
                    char name[TALLY_ALIAS_MAX + 1]) {
    name[0] = '\0';
    if (tally_key_is_system(key)) {
        static const struct {
            tally_system_kind kind;
            const char *name;
        } kinds[] = {{TALLY_SYSTEM_FEES, "fees"},
                     {TALLY_SYSTEM_POOL, "pool"},
                     {TALLY_SYSTEM_LOST_DEBT, "lost-debt"},
                     {TALLY_SYSTEM_UNDERWRITING, "underwriting"}};
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            tally_key system = tally_system_key(network_id, kinds[k].kind);
            if (memcmp(system.bytes, key->bytes, TALLY_KEY_BYTES) == 0) snprintf(name, TALLY_ALIAS_MAX + 1, "%s", kinds[k].name);
        }
        return;
    }
    const tally_member *member = tally_state_member(state, network_id, key);
    if (member && member->alias[0]) {
        snprintf(name, TALLY_ALIAS_MAX + 1, "%s", member->alias);
        return;
    }
    const tally_network *network = tally_state_network(state, network_id);
    for (uint8_t i = 0; network && i < network->operator_count; i++)
        if (memcmp(network->operators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            snprintf(name, TALLY_ALIAS_MAX + 1, "operator");
}

/* ---- holds and payment requests ---- */

const char *view_hold_status_name(uint8_t status) {
    const char *name = tally_pending_status_name(status);
    return name ? name : "?";
}

const char *view_request_status_name(uint8_t status) {
    const char *name = tally_request_status_name(status);
    return name ? name : "?";
}

static int status_of(const char *(*name_of)(uint8_t), int count, const char *name) {
    for (int i = 0; name && i < count; i++)
        if (strcmp(name_of((uint8_t)i), name) == 0) return i;
    return -1;
}

int view_hold_status_of(const char *name) { return status_of(tally_pending_status_name, TALLY_PENDING_STATUS_COUNT, name); }
int view_request_status_of(const char *name) {
    return status_of(tally_request_status_name, TALLY_REQUEST_STATUS_COUNT, name);
}

static bool key_is_zero(const tally_key *key) {
    static const tally_key zero;
    return memcmp(key->bytes, zero.bytes, TALLY_KEY_BYTES) == 0;
}

/* The unit of a record's network, for its amounts. */
static void copy_unit(const tally_state *state, uint32_t network_id, uint8_t *decimals, char unit_code[TALLY_CODE_MAX + 1]) {
    const tally_network *network = tally_state_network(state, network_id);
    *decimals = network ? network->decimals : 0;
    snprintf(unit_code, TALLY_CODE_MAX + 1, "%s", network ? network->unit_code : "");
}

void view_copy_hold(const tally_state *state, const tally_pending *hold, view_hold_copy *out) {
    out->hold = *hold;
    view_copy_name(state, hold->network_id, &hold->payer, out->payer_name);
    view_copy_name(state, hold->network_id, &hold->payee, out->payee_name);
    out->resolver_name[0] = '\0';
    if (!key_is_zero(&hold->resolver)) view_copy_name(state, hold->network_id, &hold->resolver, out->resolver_name);
    copy_unit(state, hold->network_id, &out->decimals, out->unit_code);
}

/* `field` (an address) and, when it has one, `field`_name. */
static void set_key(json_t *view, const char *field, const tally_key *key, const char *name) {
    if (!view) return;
    json_object_set_new(view, field, key ? view_address(key) : json_null());
    if (key && name[0]) {
        char name_field[32];
        snprintf(name_field, sizeof name_field, "%s_name", field);
        json_object_set_new(view, name_field, json_string(name));
    }
}

json_t *view_hold(const view_hold_copy *copy) {
    const tally_pending *h = &copy->hold;
    json_t *view = json_pack("{s:I, s:i}", "id", (json_int_t)h->id, "network", (int)h->network_id);
    set_key(view, "payer", &h->payer, copy->payer_name);
    set_key(view, "payee", &h->payee, copy->payee_name);
    set_key(view, "resolver", key_is_zero(&h->resolver) ? NULL : &h->resolver, copy->resolver_name);
    if (!view) return NULL;
    json_object_set_new(view, "amount", json_integer(h->amount));
    json_object_set_new(view, "fee", json_integer(h->fee));
    json_object_set_new(view, "timeout", json_integer(h->timeout));
    json_object_set_new(view, "outcome", json_string(h->outcome == TALLY_PENDING_RELEASE ? "release" : "refund"));
    json_object_set_new(view, "status", json_string(view_hold_status_name(h->status)));
    json_object_set_new(view, "created_at", json_integer(h->created_at));
    json_object_set_new(view, "posted", json_integer(h->posted));
    json_object_set_new(view, "decimals", json_integer(copy->decimals));
    json_object_set_new(view, "unit", json_string(copy->unit_code));
    return view;
}

void view_copy_request(const tally_state *state, const tally_request *request, int64_t block_time_now,
                       view_request_copy *out) {
    out->request = *request;
    /* request.c refuses a payment from the expiry on, before the block end that
     * records the expiry: it is expired for everyone already. */
    out->expired = request->status == TALLY_REQUEST_OPEN && block_time_now >= request->expiry;
    view_copy_name(state, request->network_id, &request->payee, out->payee_name);
    out->payer_name[0] = out->paid_by_name[0] = '\0';
    if (!key_is_zero(&request->payer)) view_copy_name(state, request->network_id, &request->payer, out->payer_name);
    if (!key_is_zero(&request->paid_by))
        view_copy_name(state, request->network_id, &request->paid_by, out->paid_by_name);
    copy_unit(state, request->network_id, &out->decimals, out->unit_code);
    out->has_memo = false;
    out->memo[0] = '\0';
}

json_t *view_request(const view_request_copy *copy) {
    const tally_request *r = &copy->request;
    json_t *view = json_pack("{s:I, s:i}", "id", (json_int_t)r->id, "network", (int)r->network_id);
    set_key(view, "payee", &r->payee, copy->payee_name);
    set_key(view, "payer", key_is_zero(&r->payer) ? NULL : &r->payer, copy->payer_name);
    if (!view) return NULL;
    json_object_set_new(view, "amount", json_integer(r->amount));
    json_object_set_new(view, "expiry", json_integer(r->expiry));
    json_object_set_new(view, "created_at", json_integer(r->created_at));
    json_object_set_new(view, "status",
                        json_string(copy->expired ? "expired" : view_request_status_name(r->status)));
    set_key(view, "paid_by", key_is_zero(&r->paid_by) ? NULL : &r->paid_by, copy->paid_by_name);
    json_object_set_new(view, "memo", copy->has_memo ? json_string(copy->memo) : json_null());
    json_object_set_new(view, "decimals", json_integer(copy->decimals));
    json_object_set_new(view, "unit", json_string(copy->unit_code));
    return view;
}

/* ---- gateways and paths ---- */

void view_copy_gateway(const tally_state *state, const tally_gateway *gateway, view_gateway_copy *out) {
    memset(out, 0, sizeof *out);
    out->gateway = *gateway;
    uint32_t ids[2] = {gateway->network_a, gateway->network_b};
    for (int side = 0; side < 2; side++) {
        const tally_network *network = tally_state_network(state, ids[side]);
        if (network) {
            snprintf(out->name[side], sizeof out->name[side], "%s", network->name);
            snprintf(out->unit[side], sizeof out->unit[side], "%s", network->unit_code);
            out->decimals[side] = network->decimals;
        }
        tally_key key = tally_gateway_key(ids[side], ids[1 - side]);
        const tally_member *mirror = tally_state_member(state, ids[side], &key);
        out->has_mirror[side] = mirror != NULL;
        out->mirror[side] = mirror ? mirror->balance : 0;
    }
}

static json_t *gateway_side(const view_gateway_copy *copy, int side) {
    const tally_gateway *g = &copy->gateway;
    const tally_gateway_side *terms = &g->terms.side[side];
    uint32_t network = side == 0 ? g->network_a : g->network_b, partner = side == 0 ? g->network_b : g->network_a;
    int64_t balance = copy->mirror[side], exposure = balance < 0 ? -balance : 0;
    int64_t room = terms->limit > exposure ? terms->limit - exposure : 0;
    tally_key mirror = tally_gateway_key(network, partner);
    return json_pack("{s:i, s:s, s:s, s:i, s:i, s:I, s:i, s:i, s:b, s:o, s:I, s:I, s:I, s:b}", "network", (int)network,
                     "name", copy->name[side], "unit", copy->unit[side], "decimals", (int)copy->decimals[side],
                     "fee_bps", (int)terms->fee_bps, "limit", (json_int_t)terms->limit, "min_partner_rtd_bps",
                     (int)terms->min_partner_rtd_bps, "max_partner_default_bps", (int)terms->max_partner_default_bps,
                     "frozen", g->frozen[side] ? 1 : 0, "mirror", view_address(&mirror), "mirror_balance",
                     (json_int_t)balance, "exposure", (json_int_t)exposure, "room", (json_int_t)room, "mirror_open",
                     copy->has_mirror[side] ? 1 : 0);
}

json_t *view_gateway(const view_gateway_copy *copy) {
    const tally_gateway *g = &copy->gateway;
    const char *status = tally_gateway_status_name(g->status);
    json_t *view = json_pack("{s:I, s:s, s:i, s:i, s:I, s:I, s:b, s:I, s:I, s:o, s:o}", "id", (json_int_t)g->id,
                             "status", status ? status : "unknown", "network_a", (int)g->network_a, "network_b",
                             (int)g->network_b, "rate_a", (json_int_t)g->terms.rate_a, "rate_b",
                             (json_int_t)g->terms.rate_b, "rate_from_pegs",
                             g->terms.rate_a == 0 && g->terms.rate_b == 0 ? 1 : 0, "proposed_at",
                             (json_int_t)g->proposed_at, "opened_at", (json_int_t)g->opened_at, "a",
                             gateway_side(copy, 0), "b", gateway_side(copy, 1));
    return view;
}

static json_t *path_hop_view(const path_hop *hop) {
    return json_pack("{s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:b}", "gateway", (json_int_t)hop->gateway_id, "from",
                     (int)hop->from, "to", (int)hop->to, "arrived", (json_int_t)hop->arrived, "fee",
                     (json_int_t)hop->fee, "passed_on", (json_int_t)hop->passed_on, "room", (json_int_t)hop->room,
                     "exposure_grows", hop->exposure_grows ? 1 : 0);
}

json_t *view_path(const path_quote *quote) {
    json_t *hops = json_array(), *gateways = json_array();
    for (uint8_t h = 0; h < quote->hop_count; h++) {
        json_array_append_new(hops, path_hop_view(&quote->hops[h]));
        json_array_append_new(gateways, json_integer(quote->hops[h].gateway_id));
    }
    json_t *view = json_pack("{s:o, s:o, s:I, s:I, s:I, s:I}", "gateways", gateways, "hops", hops, "amount",
                             (json_int_t)quote->amount, "fee", (json_int_t)quote->fee, "received",
                             (json_int_t)quote->received, "capacity", (json_int_t)quote->capacity);
    if (view && quote->refusal != TALLY_OK) {
        json_t *error = view_error(tally_error_name(quote->refusal), tally_error_message(quote->refusal),
                                   quote->refused_available, has_available(quote->refusal));
        if (error && quote->refused_hop >= 0 && quote->refused_hop < quote->hop_count)
            json_object_set_new(error, "gateway", json_integer(quote->hops[quote->refused_hop].gateway_id));
        json_object_set_new(view, "refusal", error);
    }
    return view;
}

/* ---- stakes ---- */

void view_copy_stake(const tally_state *state, const tally_stake *stake, view_stake_copy *out) {
    out->stake = *stake;
    view_copy_name(state, stake->network_id, &stake->member, out->member_name);
    view_copy_name(state, stake->network_id, &stake->underwriter, out->underwriter_name);
    const tally_network *network = tally_state_network(state, stake->network_id);
    out->cover = network ? tally_network_stake_cover(network, stake->amount) : 0;
    out->decimals = network ? network->decimals : 0;
    snprintf(out->network_name, sizeof out->network_name, "%s", network ? network->name : "");
    snprintf(out->unit_code, sizeof out->unit_code, "%s", network ? network->unit_code : "");
    const tally_asset *asset = network && network->reserve_asset_id ? tally_state_asset(state, network->reserve_asset_id) : NULL;
    out->reserve_asset = asset ? asset->id : 0;
    out->reserve_decimals = asset ? asset->decimals : 0;
    snprintf(out->reserve_code, sizeof out->reserve_code, "%s", asset ? asset->code : "");
}

json_t *view_stake(const view_stake_copy *copy) {
    const tally_stake *s = &copy->stake;
    json_t *view = json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:s, s:i, s:i, s:s, s:i}", "id", (int)s->id,
                             "network", (int)s->network_id, "amount", (json_int_t)s->amount, "cover",
                             (json_int_t)copy->cover, "earned", (json_int_t)s->earned, "slashed", (json_int_t)s->slashed,
                             "created_at", (json_int_t)s->created_at, "decimals", (int)copy->decimals, "unit",
                             copy->unit_code, "reserve_asset", (int)copy->reserve_asset, "reserve_decimals",
                             (int)copy->reserve_decimals, "reserve_code", copy->reserve_code, "next", (int)s->next);
    if (view) json_object_set_new(view, "network_name", json_string(copy->network_name));
    set_key(view, "member", &s->member, copy->member_name);
    set_key(view, "underwriter", &s->underwriter, copy->underwriter_name);
    return view;
}

/* ------------------------------------------------------------------------ */
/* Governance: proposals and votes (docs/UNDERWRITING.md section 6).          */
/* ------------------------------------------------------------------------ */

void view_copy_proposal(const tally_state *state, const tally_proposal *proposal, view_proposal_copy *out) {
    memset(out, 0, sizeof *out);
    out->proposal = *proposal;
    const tally_network *network = tally_state_network(state, proposal->network_id);
    if (network) {
        snprintf(out->network_name, sizeof out->network_name, "%s", network->name);
        snprintf(out->unit, sizeof out->unit, "%s", network->unit_code);
        out->decimals = network->decimals;
    }
    view_copy_name(state, proposal->network_id, &proposal->proposer, out->proposer_name);
    uint8_t type = proposal->action.type;
    if (type == TALLY_TX_OPERATOR_ADD || type == TALLY_TX_OPERATOR_REMOVE || type == TALLY_TX_MEMBER_SUSPEND ||
        type == TALLY_TX_MEMBER_REINSTATE)
        view_copy_name(state, proposal->network_id, &proposal->action.key, out->key_name);
}

static json_t *view_terms_side(const tally_gateway_side *side) {
    return json_pack("{s:i, s:I, s:i, s:i}", "fee_bps", (int)side->fee_bps, "limit", (json_int_t)side->limit,
                     "min_partner_rtd_bps", (int)side->min_partner_rtd_bps, "max_partner_default_bps",
                     (int)side->max_partner_default_bps);
}

json_t *view_proposal_action(const tally_proposal_action *a, const char *key_name) {
    const char *type = tally_tx_type_name(a->type);
    json_t *view = json_pack("{s:s}", "type", type ? type : "?");
    if (!view) return NULL;
    switch ((tally_tx_type)a->type) {
    case TALLY_TX_POLICY_UPDATE: json_object_set_new(view, "policy", view_policy(&a->policy)); break;
    case TALLY_TX_PEG_SET:
        json_object_set_new(view, "asset", json_integer(a->asset_id));
        json_object_set_new(view, "peg_reserve_units", json_integer(a->peg_reserve_units));
        json_object_set_new(view, "peg_credit_units", json_integer(a->peg_credit_units));
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
        json_object_set_new(view, "key", view_address(&a->key));
        if (key_name && key_name[0]) json_object_set_new(view, "key_name", json_string(key_name));
        break;
    case TALLY_TX_GATEWAY_PROPOSE:
    case TALLY_TX_GATEWAY_ACCEPT:
        if (a->type == TALLY_TX_GATEWAY_PROPOSE) json_object_set_new(view, "partner", json_integer(a->partner_id));
        else json_object_set_new(view, "gateway", json_integer(a->gateway_id));
        json_object_set_new(view, "rate_a", json_integer(a->terms.rate_a));
        json_object_set_new(view, "rate_b", json_integer(a->terms.rate_b));
        json_object_set_new(view, "side_a", view_terms_side(&a->terms.side[0]));
        json_object_set_new(view, "side_b", view_terms_side(&a->terms.side[1]));
        break;
    case TALLY_TX_GATEWAY_UPDATE:
        json_object_set_new(view, "gateway", json_integer(a->gateway_id));
        json_object_set_new(view, "side", view_terms_side(&a->terms.side[0]));
        break;
    case TALLY_TX_GATEWAY_FREEZE:
        json_object_set_new(view, "gateway", json_integer(a->gateway_id));
        json_object_set_new(view, "frozen", json_boolean(a->frozen));
        break;
    case TALLY_TX_GATEWAY_CLOSE: json_object_set_new(view, "gateway", json_integer(a->gateway_id)); break;
    case TALLY_TX_ORDER_RESOLVE:
        json_object_set_new(view, "order", json_integer(a->order_id));
        json_object_set_new(view, "seller_amount", json_integer(a->amount));
        break;
    default: break;
    }
    return view;
}

static const char *const weighting_names[] = {"one_member", "reputation", "stake"};

json_t *view_proposal(const view_proposal_copy *copy) {
    const tally_proposal *p = &copy->proposal;
    const char *status = tally_proposal_status_name(p->status);
    int64_t cast = 0;
    if (__builtin_add_overflow(p->yes, p->no, &cast) || __builtin_add_overflow(cast, p->abstain, &cast)) cast = INT64_MAX;
    json_t *view = json_pack(
        "{s:i, s:i, s:s, s:s, s:i, s:o, s:s, s:o, s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b}",
        "id", (int)p->id, "network", (int)p->network_id, "network_name", copy->network_name, "unit", copy->unit,
        "decimals", (int)copy->decimals, "proposer", view_address(&p->proposer), "status", status ? status : "?",
        "action", view_proposal_action(&p->action, copy->key_name), "weighting", p->weighting < TALLY_WEIGHT_COUNT ? weighting_names[p->weighting] : "?",
        "quorum_bps", (int)p->quorum_bps, "threshold_bps", (int)p->threshold_bps, "late_quorum_seconds",
        (int)p->late_quorum_seconds, "timelock_seconds", (int)p->timelock_seconds, "eligible_join_seq",
        (json_int_t)p->eligible_join_seq, "eligible_weight", (json_int_t)p->eligible_weight, "yes", (json_int_t)p->yes,
        "no", (json_int_t)p->no, "abstain", (json_int_t)p->abstain, "cast", (json_int_t)cast, "voters", (int)p->voters,
        "quorum_reached", tally_proposal_quorum_reached(p), "threshold_reached", tally_proposal_threshold_reached(p));
    if (!view) return NULL;
    if (copy->proposer_name[0]) json_object_set_new(view, "proposer_name", json_string(copy->proposer_name));
    json_object_set_new(view, "created_at", json_integer(p->created_at));
    json_object_set_new(view, "voting_ends_at", json_integer(p->voting_ends_at));
    json_object_set_new(view, "extended", json_boolean(p->extended));
    /* when a passed one applies; what applying it gave */
    json_object_set_new(view, "executes_at", p->executes_at ? json_integer(p->executes_at) : json_null());
    if (p->status == TALLY_PROPOSAL_EXECUTED) {
        const char *code = tally_error_name((tally_error)p->result);
        json_object_set_new(view, "result", json_pack("{s:s, s:s}", "code", code ? code : "?", "message",
                                                      tally_error_message((tally_error)p->result)));
    } else {
        json_object_set_new(view, "result", json_null());
    }
    return view;
}

json_t *view_vote(const tally_vote *vote, const char *voter_name) {
    static const char *const choices[] = {"no", "yes", "abstain"};
    json_t *view = json_pack("{s:i, s:o, s:s, s:I}", "proposal", (int)vote->proposal_id, "voter",
                             view_address(&vote->voter), "choice",
                             vote->choice < TALLY_VOTE_CHOICE_COUNT ? choices[vote->choice] : "?", "weight",
                             (json_int_t)vote->weight);
    if (view && voter_name && voter_name[0]) json_object_set_new(view, "voter_name", json_string(voter_name));
    return view;
}

int view_proposal_status_of(const char *name) {
    for (uint8_t status = 0; status < TALLY_PROPOSAL_STATUS_COUNT; status++)
        if (strcmp(tally_proposal_status_name(status), name) == 0) return status;
    return -1;
}
