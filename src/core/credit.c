/*
 * credit.c: credit lines. Operators open, update (never below the debt) and close
 * (at zero debt) them; the protocol runs their periods on block time. At the end of
 * a period a line is checked against its network's compliance rule: compliant lines
 * renew (or expire without auto-renewal), the others are frozen for the grace
 * period, and a line still non-compliant when grace ends defaults: its debt is
 * written off to the lost-debt account, the line closes at limit 0, and the pool's
 * credits burn what they can of the loss.
 */
#include "core/ledger.h"

/* A period or grace that would end past the last second a block time can name ends
 * at TIME_NEVER, which never comes: a block at INT64_MAX would otherwise renew such
 * a line into a period that ends at INT64_MAX again, and end the block never. */
#define TIME_NEVER INT64_MAX

static int64_t time_after(int64_t block_time, uint32_t seconds) {
    int64_t later;
    return checked_add(block_time, seconds, &later) ? later : TIME_NEVER;
}

static bool line_is_open(const tally_member *member) {
    return member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
           member->line_status == TALLY_LINE_EXPIRED;
}

bool credit_allows_new_debt(const tally_member *member) {
    return member->status == TALLY_MEMBER_ACTIVE && member->line_status == TALLY_LINE_ACTIVE;
}

tally_error tally_member_credit_refusal(const tally_member *member) {
    return credit_allows_new_debt(member) ? TALLY_ERR_INSUFFICIENT_CREDIT : credit_refusal(member);
}

tally_error credit_refusal(const tally_member *member) {
    if (member->status == TALLY_MEMBER_SUSPENDED) return TALLY_ERR_MEMBER_SUSPENDED;
    if (member->status == TALLY_MEMBER_DEFAULTED) return TALLY_ERR_MEMBER_DEFAULTED;
    if (member->line_status == TALLY_LINE_FROZEN) return TALLY_ERR_LINE_FROZEN;
    if (member->line_status == TALLY_LINE_EXPIRED) return TALLY_ERR_LINE_EXPIRED;
    return TALLY_ERR_INSUFFICIENT_CREDIT;
}

/* Starts a period at `start` in the record: the counters of the compliance rules
 * restart. period_begin also queues its end. */
static void period_fields_begin(tally_member *member, int64_t start) {
    member->line_status = TALLY_LINE_ACTIVE;
    member->period_start = start;
    member->period_end = time_after(start, member->period_seconds);
    member->grace_end = 0;
    member->income_in_period = 0;
    /* "Rebalanced" means coming back to zero after spending on credit, so a period
     * does not count the balance it starts with, only balances after payments. */
    member->rebalanced_in_period = false;
}

static void period_begin(tally_state *state, tally_member *member, int64_t start) {
    period_fields_begin(member, start);
    ledger_due_push(state, member->period_end, DUE_LINE, ledger_member_index(state, member));
}

void credit_line_start(tally_state *state, tally_member *member, const tally_network *network,
                       int64_t limit, uint32_t period_seconds, uint32_t grace_seconds,
                       uint32_t risk_fee_bps, int64_t block_time) {
    (void)network;
    assert(limit >= 0 && period_seconds > 0);
    ledger_limit_set(ledger_network(state, member->network_id), member, limit);
    member->risk_fee_bps = risk_fee_bps;
    member->period_seconds = period_seconds;
    member->grace_seconds = grace_seconds;
    period_begin(state, member, block_time);
}

static bool is_compliant(const tally_member *member, const tally_network *network) {
    switch ((tally_compliance_rule)network->policy.compliance_rule) {
    case TALLY_COMPLIANCE_ZERO_BALANCE: return member->balance >= 0;
    case TALLY_COMPLIANCE_REBALANCED: return member->rebalanced_in_period || member->balance >= 0;
    case TALLY_COMPLIANCE_MIN_INCOME: {
        int64_t debt = debt_part(member->balance);
        return debt == 0 || member->income_in_period >= fee_round_up(debt, network->policy.min_income_bps);
    }
    case TALLY_COMPLIANCE_COUNT: break;
    }
    assert(!"compliance rule out of range");
    return false;
}

/* The checks shared by every operator action on a line. */
static tally_error operated_line(tally_state *state, const tally_tx *tx, uint32_t network_id,
                                 const tally_key *key, tally_network **network, tally_member **member) {
    *network = ledger_network(state, network_id);
    if (!*network) return TALLY_ERR_UNKNOWN_NETWORK;
    if (!network_is_operator(*network, &tx->signer)) return TALLY_ERR_NOT_OPERATOR;
    if (tally_key_is_system(key)) return TALLY_ERR_SYSTEM_ACCOUNT;
    *member = ledger_member(state, network_id, key);
    if (!*member || (*member)->status == TALLY_MEMBER_LEFT) return TALLY_ERR_NOT_MEMBER;
    return TALLY_OK;
}

/* The least limit a line may have: its debt, counting what pending transfers hold
 * as spent (max(0, pending_out - balance)). */
static int64_t line_floor_needed(const tally_member *member) {
    int64_t needed;
    if (!checked_sub(member->pending_out, member->balance, &needed)) return INT64_MAX;
    return positive_part(needed);
}

/* `limit` is the line's own part (what operators grant, at most max_credit_limit);
 * the underwritten part its stakes back comes on top (underwriting.c). */
static tally_result check_limit(const tally_network *network, const tally_member *member,
                                int64_t limit, int64_t underwritten, uint32_t risk_fee_bps) {
    tally_result result = result_error(TALLY_OK);
    int64_t whole;
    if (limit < 0) {
        result.code = TALLY_ERR_LIMIT_NEGATIVE;
    } else if (limit > network->policy.max_credit_limit) {
        result.code = TALLY_ERR_LIMIT_ABOVE_MAX;
        result.available = network->policy.max_credit_limit;
    } else if (!checked_add(limit, underwritten, &whole)) {
        result.code = TALLY_ERR_AMOUNT_OVERFLOW;
    } else if (whole < line_floor_needed(member)) {
        /* What pending transfers hold counts as spent: posting them must never take
         * the member below -limit. The available figure is the least own part. */
        result.code = TALLY_ERR_LIMIT_BELOW_DEBT;
        result.available = positive_part(line_floor_needed(member) - underwritten);
    } else if (risk_fee_bps > TALLY_BPS_ONE) {
        result.code = TALLY_ERR_BAD_POLICY;
    }
    return result;
}

tally_result credit_line_open(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_line_open *body = &tx->body.line_open;
    tally_network *network;
    tally_member *member;
    tally_error error = operated_line(state, tx, body->network_id, &body->member, &network, &member);
    if (error != TALLY_OK) return result_error(error);
    if (line_is_open(member)) return result_error(TALLY_ERR_LINE_EXISTS);
    /* A member who defaulted is trusted again by reinstating it first. */
    if (member->status == TALLY_MEMBER_DEFAULTED) return result_error(TALLY_ERR_MEMBER_DEFAULTED);
    /* Stakes still behind a member whose line closed back the new line at once. */
    int64_t underwritten = tally_network_stake_cover(network, member->staked_behind);
    tally_result checked = check_limit(network, member, body->limit, underwritten, body->risk_fee_bps);
    if (checked.code != TALLY_OK) return checked;
    uint32_t period = body->period_seconds ? body->period_seconds : network->policy.period_seconds;
    uint32_t grace = body->grace_seconds ? body->grace_seconds : network->policy.grace_seconds;
    credit_line_start(state, member, network, body->limit + underwritten, period, grace, body->risk_fee_bps,
                      block_time);
    member->underwritten_limit = underwritten;
    return result_error(TALLY_OK);
}

tally_result credit_line_update(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_line_update *body = &tx->body.line_update;
    tally_network *network;
    tally_member *member;
    tally_error error = operated_line(state, tx, body->network_id, &body->member, &network, &member);
    if (error != TALLY_OK) return result_error(error);
    if (!line_is_open(member)) return result_error(TALLY_ERR_NO_LINE);
    tally_result checked = check_limit(network, member, body->limit, member->underwritten_limit, body->risk_fee_bps);
    if (checked.code != TALLY_OK) return checked;
    ledger_limit_set(network, member, body->limit + member->underwritten_limit);
    member->risk_fee_bps = body->risk_fee_bps;
    /* An expired line is renewed by the operator's decision; a frozen one is not:
     * only compliance unfreezes it. */
    if (member->line_status == TALLY_LINE_EXPIRED) period_begin(state, member, block_time);
    return result_error(TALLY_OK);
}

tally_result credit_line_close(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network;
    tally_member *member;
    tally_error error = operated_line(state, tx, body->network_id, &body->key, &network, &member);
    if (error != TALLY_OK) return result_error(error);
    if (!line_is_open(member)) return result_error(TALLY_ERR_NO_LINE);
    if (member->balance < 0) {
        tally_result refused = result_error(TALLY_ERR_DEBT_NOT_ZERO);
        refused.available = debt_part(member->balance);
        return refused;
    }
    /* Closing sets the limit to 0: posting its holds must not take it below that. */
    if (line_floor_needed(member) > 0) {
        tally_result refused = result_error(TALLY_ERR_HOLDS_OPEN);
        refused.available = line_floor_needed(member);
        return refused;
    }
    member->line_status = TALLY_LINE_CLOSED;
    ledger_limit_set(network, member, 0);
    member->underwritten_limit = 0;
    return result_error(TALLY_OK);
}

bool credit_record_after_balance_change(tally_member *member, const tally_network *network, int64_t income,
                                        int64_t block_time) {
    if (member->line_status != TALLY_LINE_ACTIVE && member->line_status != TALLY_LINE_FROZEN) return false;
    if (!checked_add(member->income_in_period, income, &member->income_in_period))
        member->income_in_period = INT64_MAX;
    if (member->balance >= 0) member->rebalanced_in_period = true;
    if (member->line_status != TALLY_LINE_FROZEN || !is_compliant(member, network)) return false;
    period_fields_begin(member, block_time);
    return true;
}

void credit_after_balance_change(tally_state *state, tally_member *member,
                                 const tally_network *network, int64_t income, int64_t block_time) {
    if (credit_record_after_balance_change(member, network, income, block_time))
        ledger_due_push(state, member->period_end, DUE_LINE, ledger_member_index(state, member));
}

static void write_off(tally_state *state, tally_network *network, tally_member *member, int64_t due_time,
                      ledger_block_end *end) {
    /* Its holds go first: what they held was never paid. */
    pending_void_all_of(state, member, due_time);
    tally_member *lost = ledger_member_at(state, network->lost_debt_member);
    int64_t written_off = debt_part(member->balance);
    balance_change changes[] = {{member, 0}, {lost, lost->balance - written_off}};
    /* Moving debt from a member to the lost-debt account leaves supply and debt as
     * they were, so it always fits. A write-off is no payment: the health period's
     * volume and active members stay as they were (its written-off debt counts). */
    uint32_t active_period = member->active_period, active = network->health_active;
    int64_t volume = network->health_volume, received = member->volume_received;
    ledger_balances_commit(network, changes, 2);
    member->active_period = active_period, network->health_active = active, network->health_volume = volume;
    member->volume_received = received;
    member->line_status = TALLY_LINE_DEFAULTED;
    ledger_limit_set(network, member, 0);
    member->underwritten_limit = 0;
    member->status = TALLY_MEMBER_DEFAULTED;
    member->defaults++;
    member->compliant_streak = 0;
    reputation_update(network, member, due_time);
    network->health_written_off = saturating_add(network->health_written_off, written_off);
    end->summary.lines_defaulted++;
    end->summary.debt_written_off = saturating_add(end->summary.debt_written_off, written_off);
    ledger_event(end, TALLY_EVENT_LINE_DEFAULTED, network->id, &member->key, written_off, due_time);
    int64_t covered = pool_cover_lost_debt(state, network);
    end->summary.lost_debt_burned = saturating_add(end->summary.lost_debt_burned, covered);
    if (covered > 0) ledger_event(end, TALLY_EVENT_LOST_DEBT_COVERED, network->id, NULL, covered, 0);
    /* Then the underwriters: their stakes cover what the pool's credits did not. */
    underwriting_slash(state, network, member, written_off - covered, end);
}

/* A compliant line renews in a network with algorithmic limits: the chain sets its
 * own part from the member's new score and income, and says so in its history. */
static void algorithmic_limit_at_renewal(tally_network *network, tally_member *member, int64_t income_now,
                                         ledger_block_end *end) {
    if (!network->policy.algorithmic_limits.enabled) return;
    int64_t own = line_own_part(member);
    int64_t floor = positive_part(line_floor_needed(member) - member->underwritten_limit);
    int64_t next = tally_algorithmic_limit(&network->policy, own, member->reputation, income_now,
                                           member->income_last_period, member->defaults, member->compliant_streak,
                                           floor);
    if (next == own) return;
    ledger_limit_set(network, member, next + member->underwritten_limit);
    ledger_event(end, TALLY_EVENT_LIMIT_SET, network->id, &member->key, member->limit, member->reputation);
}

/* The next period after a compliant one. A chain that stalled longer than a period
 * restarts the period at block_time instead of replaying the empty ones. */
static void renew(tally_state *state, tally_member *member, int64_t block_time) {
    int64_t start = member->period_end;
    if (time_after(start, member->period_seconds) <= block_time) start = block_time;
    period_begin(state, member, start);
}

bool credit_line_due(tally_state *state, uint32_t member_index, int64_t due_time, int64_t block_time,
                     ledger_block_end *end) {
    /* Anything but the line's period end or end of grace is a stale entry (the line
     * changed after it was queued): it changes nothing, the period's largest debt
     * included, since a node that loaded its state from a snapshot never has it. */
    const tally_member *seen = tally_state_member_at(state, member_index);
    if (!seen || !((seen->line_status == TALLY_LINE_ACTIVE && seen->period_end == due_time) ||
                   (seen->line_status == TALLY_LINE_FROZEN && seen->grace_end == due_time)))
        return false;
    tally_member *member = ledger_member_at(state, member_index);
    tally_network *network = ledger_network(state, member->network_id);
    tally_block_summary *summary = &end->summary;
    /* A debtor who did not move in a health period is still seen in it here (at its
     * line's period ends), so the period's largest debt counts it (health.c). */
    if (member->balance < 0 && -member->balance > network->health_largest_debt)
        network->health_largest_debt = -member->balance;
    if (member->line_status == TALLY_LINE_ACTIVE && member->period_end == due_time) {
        bool compliant = is_compliant(member, network);
        /* The period's end writes the member's score (reputation.c). */
        int64_t income_now = member->income_in_period;
        member->compliant_streak = compliant ? member->compliant_streak + (member->compliant_streak < UINT32_MAX) : 0;
        reputation_update(network, member, due_time);
        if (!compliant) {
            member->line_status = TALLY_LINE_FROZEN;
            member->grace_end = time_after(member->period_end, member->grace_seconds);
            ledger_due_push(state, member->grace_end, DUE_LINE, member_index);
            summary->lines_frozen++;
            ledger_event(end, TALLY_EVENT_LINE_FROZEN, network->id, &member->key, member->balance, member->grace_end);
        } else if (network->policy.auto_renew) {
            renew(state, member, block_time);
            summary->lines_renewed++;
            algorithmic_limit_at_renewal(network, member, income_now, end);
            ledger_event(end, TALLY_EVENT_LINE_RENEWED, network->id, &member->key, member->limit, member->period_end);
        } else {
            member->line_status = TALLY_LINE_EXPIRED;
            summary->lines_expired++;
            ledger_event(end, TALLY_EVENT_LINE_EXPIRED, network->id, &member->key, member->balance, due_time);
        }
        member->income_last_period = income_now;
    } else if (member->line_status == TALLY_LINE_FROZEN && member->grace_end == due_time) {
        if (is_compliant(member, network)) {
            period_begin(state, member, block_time);
            summary->lines_renewed++;
            ledger_event(end, TALLY_EVENT_LINE_UNFROZEN, network->id, &member->key, member->balance,
                         member->period_end);
        } else {
            write_off(state, network, member, due_time, end);
        }
    }
    return true;
}
