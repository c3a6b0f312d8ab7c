/*
 * member.c: membership of a network (open join or admission by an operator,
 * suspension and reinstatement, leaving at zero balance) and aliases, unique within
 * a network. A member who left keeps its record (history stays addressable) and may
 * join again, but not out of a suspension or a default: those come back with it.
 * A network holds at most its policy's max_members current members and
 * TALLY_MEMBER_RECORDS_PER_NETWORK_MAX records (left members included), so joining
 * and leaving with fresh keys cannot grow the chain's member table without bound.
 */
#include "core/ledger.h"

#include <string.h>

static tally_result members_full(uint32_t room) {
    tally_result refused = result_error(TALLY_ERR_MEMBERS_FULL);
    refused.available = room;
    return refused;
}

static tally_result add_member(tally_state *state, tally_network *network, const tally_key *key,
                               int64_t block_time) {
    if (tally_key_is_system(key)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    tally_member *member = ledger_member(state, network->id, key);
    if (member && member->status != TALLY_MEMBER_LEFT) return result_error(TALLY_ERR_ALREADY_MEMBER);
    if (network->member_count >= network->policy.max_members) return members_full(network->policy.max_members);
    if (!member && network->member_records >= TALLY_MEMBER_RECORDS_PER_NETWORK_MAX) return members_full(0);
    if (!member && state->member_count >= TALLY_MEMBERS_MAX) return result_error(TALLY_ERR_STATE_FULL);
    uint8_t status = TALLY_MEMBER_ACTIVE;
    if (!member) {
        member = ledger_member_add(state, network->id, key);
        network->member_records++;
    } else {
        /* Rejoining: the record keeps its fees paid, a suspension or default it
         * left with, the count of its requests still open (they outlive leaving: they
         * may be paid and they expire) and the health period it was last active in
         * (so a period counts it once); everything else starts afresh (leaving
         * needed no holds open). */
        int64_t fees_paid = member->fees_paid;
        uint32_t requests_open = member->requests_open, active_period = member->active_period;
        uint8_t left_with = member->status_before_leaving;
        if (left_with == TALLY_MEMBER_SUSPENDED || left_with == TALLY_MEMBER_DEFAULTED) status = left_with;
        /* Its record follows it back: what reputation counts (leaving and joining
         * again wipes no default), the stake records behind and by it (at zero:
         * leaving needed them taken back), a membership fee it owes. */
        tally_member kept = *member;
        memset(member, 0, sizeof *member);
        member->network_id = network->id;
        member->key = *key;
        member->fees_paid = fees_paid;
        member->requests_open = requests_open;
        member->listings_open = kept.listings_open; /* listings outlive leaving, as requests */
        member->active_period = active_period;
        member->compliant_streak = kept.compliant_streak;
        member->defaults = kept.defaults;
        member->volume_given = kept.volume_given;
        member->volume_received = kept.volume_received;
        member->review_points = kept.review_points;
        member->review_count = kept.review_count;
        member->first_stake = kept.first_stake;
        member->stake_count = kept.stake_count;
        member->stakes_made = kept.stakes_made;
        member->fee_owed = kept.fee_owed;
        member->next_in_network = kept.next_in_network;
        if (status == TALLY_MEMBER_DEFAULTED) member->line_status = TALLY_LINE_DEFAULTED;
    }
    member->status = status;
    member->joined_at = block_time;
    network->member_count++;
    member->join_seq = ++network->join_count; /* governance's eligible sets */
    reputation_update(network, member, block_time); /* its score from day one */
    /* A member who comes back suspended or defaulted gets no line: an operator
     * reinstates it and opens one if the network trusts it again. */
    if (status == TALLY_MEMBER_ACTIVE && network->policy.default_credit_limit > 0)
        credit_line_start(state, member, network, network->policy.default_credit_limit,
                          network->policy.period_seconds, network->policy.grace_seconds,
                          network->policy.default_risk_fee_bps, block_time);
    return result_error(TALLY_OK);
}

tally_result member_join(tally_state *state, const tally_tx *tx, int64_t block_time) {
    tally_network *network = ledger_network(state, tx->body.network_only.network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (network->policy.membership_mode != TALLY_MEMBERSHIP_OPEN)
        return result_error(TALLY_ERR_ADMISSION_REQUIRED);
    return add_member(state, network, &tx->signer, block_time);
}

tally_result member_admit(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (!network_is_operator(network, &tx->signer)) return result_error(TALLY_ERR_NOT_OPERATOR);
    return add_member(state, network, &body->key, block_time);
}

/* The member an operator's transaction acts on. */
static tally_error operated_member(tally_state *state, const tally_tx *tx, tally_member **member) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return TALLY_ERR_UNKNOWN_NETWORK;
    if (!network_is_operator(network, &tx->signer)) return TALLY_ERR_NOT_OPERATOR;
    if (tally_key_is_system(&body->key)) return TALLY_ERR_SYSTEM_ACCOUNT;
    *member = ledger_current_member(state, body->network_id, &body->key);
    return *member ? TALLY_OK : TALLY_ERR_NOT_MEMBER;
}

tally_result member_suspend(tally_state *state, const tally_tx *tx) {
    tally_member *member;
    tally_error error = operated_member(state, tx, &member);
    if (error != TALLY_OK) return result_error(error);
    if (member->status == TALLY_MEMBER_SUSPENDED) return result_error(TALLY_ERR_MEMBER_SUSPENDED);
    if (member->status == TALLY_MEMBER_DEFAULTED) return result_error(TALLY_ERR_MEMBER_DEFAULTED);
    member->status = TALLY_MEMBER_SUSPENDED;
    return result_error(TALLY_OK);
}

/* Lifts a suspension, or a default's bar on credit (the defaulted line stays closed
 * at limit 0: an operator opens a new one if the network trusts the member again). */
tally_result member_reinstate(tally_state *state, const tally_tx *tx) {
    tally_member *member;
    tally_error error = operated_member(state, tx, &member);
    if (error != TALLY_OK) return result_error(error);
    if (member->status != TALLY_MEMBER_SUSPENDED && member->status != TALLY_MEMBER_DEFAULTED)
        return result_error(TALLY_ERR_MEMBER_NOT_SUSPENDED);
    /* A member suspended for a membership fee is reinstated by paying it. */
    if (member->fee_owed > 0) {
        tally_result refused = result_error(TALLY_ERR_FEE_OWED);
        refused.available = member->fee_owed;
        return refused;
    }
    member->status = TALLY_MEMBER_ACTIVE;
    return result_error(TALLY_OK);
}

tally_result member_leave(tally_state *state, const tally_tx *tx) {
    tally_network *network = ledger_network(state, tx->body.network_only.network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    tally_member *member = ledger_current_member(state, network->id, &tx->signer);
    if (!member) return result_error(TALLY_ERR_NOT_MEMBER);
    if (member->balance != 0) {
        tally_result refused = result_error(TALLY_ERR_BALANCE_NOT_ZERO);
        refused.available = member->balance;
        return refused;
    }
    /* Its holds would pay out of a member who is gone. */
    if (member->pending_out != 0) {
        tally_result refused = result_error(TALLY_ERR_HOLDS_OPEN);
        refused.available = member->pending_out;
        return refused;
    }
    /* Stakes it made are paid risk fees as a member; stakes behind it back a line
     * that leaving closes: both are taken back first. */
    if (member->staked_total != 0 || member->staked_behind != 0) {
        tally_result refused = result_error(TALLY_ERR_STAKES_OPEN);
        refused.available = member->staked_total + member->staked_behind;
        return refused;
    }
    if (member->alias[0]) {
        ledger_alias_remove(state, member);
        /* The whole field is cleared: the serialized state holds all of it. */
        memset(member->alias, 0, sizeof member->alias);
    }
    if (member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
        member->line_status == TALLY_LINE_EXPIRED) {
        member->line_status = TALLY_LINE_CLOSED;
        ledger_limit_set(network, member, 0);
        member->underwritten_limit = 0;
    }
    member->status_before_leaving = member->status;
    member->status = TALLY_MEMBER_LEFT;
    network->member_count--;
    return result_error(TALLY_OK);
}

static bool alias_is_valid(const tally_text *alias) {
    if (alias->length == 0 || alias->length > TALLY_ALIAS_MAX) return false;
    for (uint16_t i = 0; i < alias->length; i++) {
        char c = alias->bytes[i];
        bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!allowed) return false;
    }
    return true;
}

tally_result member_alias_set(tally_state *state, const tally_tx *tx) {
    const tally_tx_alias_set *body = &tx->body.alias_set;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    tally_member *member = ledger_current_member(state, network->id, &tx->signer);
    if (!member) return result_error(TALLY_ERR_NOT_MEMBER);
    if (body->alias.length > 0) {
        if (!alias_is_valid(&body->alias)) return result_error(TALLY_ERR_BAD_ALIAS);
        tally_member *holder = ledger_alias_find(state, network->id, body->alias.bytes, body->alias.length);
        if (holder == member) return result_error(TALLY_OK);
        if (holder) return result_error(TALLY_ERR_ALIAS_TAKEN);
    }
    if (member->alias[0]) ledger_alias_remove(state, member);
    memset(member->alias, 0, sizeof member->alias);
    memcpy(member->alias, body->alias.bytes, body->alias.length);
    if (member->alias[0]) ledger_alias_insert(state, member);
    return result_error(TALLY_OK);
}
