/*
 * invariants.c: checks every invariant of DESIGN.md section 4 from the tables,
 * recomputing every aggregate instead of trusting it, in two ways.
 * tally_check_invariants looks at the whole state (the tests after every step, a
 * snapshot's load, `tally verify --full`). tally_check_invariants_changed looks only
 * where the state changed since its last call (replay, verify and catch-up, once
 * per block): the records the core marked touched, and the networks and assets
 * whose sums they move, with the sums kept from the last call and moved by the
 * difference between each touched record and what it was then. The per-record
 * checks are the same functions in both; a block's check costs what it touched.
 */
#include "core/ledger.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef ledger_int128 int128;
typedef ledger_network_totals network_totals;

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *format, ...) {
    if (why && why_size) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(why, why_size, format, arguments);
        va_end(arguments);
    }
    return false;
}

/* A mirror account: its key names its network and a partner with which it has had
 * a gateway (accepted once: its accounts outlive a close). */
static bool is_mirror_account(const tally_state *state, const tally_member *member) {
    uint32_t partner = 0;
    for (int i = 0; i < 4; i++) partner |= (uint32_t)member->key.bytes[14 + i] << (8 * i);
    tally_key expected = tally_gateway_key(member->network_id, partner);
    if (memcmp(expected.bytes, member->key.bytes, TALLY_KEY_BYTES) != 0) return false;
    for (uint32_t i = 0; i < state->gateway_count; i++) {
        const tally_gateway *g = &state->gateways[i];
        bool pair = (g->network_a == member->network_id && g->network_b == partner) ||
                    (g->network_b == member->network_id && g->network_a == partner);
        if (pair && g->opened_at != 0) return true;
    }
    return false;
}

static bool check_member(const tally_state *state, const tally_member *member, uint32_t index,
                         char *why, size_t why_size) {
    const tally_network *network = tally_state_network(state, member->network_id);
    if (!network) return fail(why, why_size, "member %u names unknown network %u", index, member->network_id);
    if (tally_state_member(state, member->network_id, &member->key) != member)
        return fail(why, why_size, "member %u is not found by its key", index);
    if (member->balance == INT64_MIN) return fail(why, why_size, "member %u balance is INT64_MIN", index);
    if (member->active_period > network->health_period)
        return fail(why, why_size, "member %u was active in health period %u, its network is in %u", index,
                    member->active_period, network->health_period);
    if (member->limit < 0) return fail(why, why_size, "member %u has a negative limit", index);
    /* Underwriting: the underwritten part is part of the limit, and what the line
     * says is staked behind it is what its stakes hold. */
    if (member->underwritten_limit < 0 || member->underwritten_limit > member->limit)
        return fail(why, why_size, "member %u has an underwritten part %lld outside its limit %lld", index,
                    (long long)member->underwritten_limit, (long long)member->limit);
    int128 behind = 0;
    uint32_t stakes = 0;
    for (uint32_t id = member->first_stake; id != 0 && stakes <= TALLY_STAKES_PER_LINE_MAX; id = state->stakes[id - 1].next) {
        if (id > state->stake_count) return fail(why, why_size, "member %u's stakes name stake %u", index, id);
        const tally_stake *stake = &state->stakes[id - 1];
        if (stake->network_id != member->network_id || !ledger_keys_equal(&stake->member, &member->key))
            return fail(why, why_size, "stake %u behind member %u backs another line", id, index);
        behind += stake->amount;
        stakes++;
    }
    if (stakes != member->stake_count || behind != member->staked_behind)
        return fail(why, why_size, "member %u counts %u stakes holding %lld, its stakes are %u holding %lld", index,
                    member->stake_count, (long long)member->staked_behind, stakes, (long long)behind);
    if (member->fee_owed < 0 || (member->fee_owed > 0 && member->status != TALLY_MEMBER_SUSPENDED &&
                                 member->status != TALLY_MEMBER_LEFT && member->status != TALLY_MEMBER_DEFAULTED))
        return fail(why, why_size, "member %u owes a membership fee of %lld and is not suspended", index,
                    (long long)member->fee_owed);
    if (member->pending_out < 0) return fail(why, why_size, "member %u holds a negative pending_out", index);
    if (member->status == TALLY_MEMBER_SYSTEM && (member->pending_out != 0 || member->holds_open != 0 ||
                                                  member->requests_open != 0))
        return fail(why, why_size, "system account %u holds pending transfers or requests", index);
    if (member->holds_open > TALLY_OPEN_PER_MEMBER_MAX || member->requests_open > TALLY_OPEN_PER_MEMBER_MAX)
        return fail(why, why_size, "member %u has more open holds or requests than a member may", index);
    if (member->status == TALLY_MEMBER_SYSTEM) {
        bool placed = (member->system_kind == TALLY_SYSTEM_FEES && network->fee_member == index) ||
                      (member->system_kind == TALLY_SYSTEM_LOST_DEBT && network->lost_debt_member == index) ||
                      (member->system_kind == TALLY_SYSTEM_POOL && network->pool_member == index) ||
                      (member->system_kind == TALLY_SYSTEM_GATEWAY && is_mirror_account(state, member));
        if (!placed) return fail(why, why_size, "system member %u is not its network's", index);
        /* Lost debt is unbounded below; a gateway's mirror account is its network's
         * exposure to the partner, bounded by the limit when it grew (a limit lowered
         * later leaves it above). */
        bool may_owe = member->system_kind == TALLY_SYSTEM_LOST_DEBT || member->system_kind == TALLY_SYSTEM_GATEWAY;
        if (!may_owe && member->balance < 0)
            return fail(why, why_size, "system account %u (kind %u) is negative", index, member->system_kind);
        if (member->system_kind == TALLY_SYSTEM_LOST_DEBT && member->balance > 0)
            return fail(why, why_size, "lost-debt account of network %u is positive", member->network_id);
        if (member->line_status != TALLY_LINE_NONE || member->limit != 0)
            return fail(why, why_size, "system account %u has a credit line", index);
        return true;
    }
    if (member->status < TALLY_MEMBER_ACTIVE || member->status > TALLY_MEMBER_LEFT)
        return fail(why, why_size, "member %u has status %u", index, member->status);
    if (tally_key_is_system(&member->key)) return fail(why, why_size, "member %u has a system key", index);
    if (member->line_status > TALLY_LINE_DEFAULTED)
        return fail(why, why_size, "member %u has line status %u", index, member->line_status);
    if (member->limit < 0) return fail(why, why_size, "member %u has a negative limit", index);
    bool line_open = member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
                     member->line_status == TALLY_LINE_EXPIRED;
    if (!line_open && member->limit != 0)
        return fail(why, why_size, "member %u has limit %lld without an open line", index, (long long)member->limit);
    if (member->balance < -member->limit)
        return fail(why, why_size, "member %u balance %lld is below -limit %lld", index,
                    (long long)member->balance, (long long)member->limit);
    if (member->status == TALLY_MEMBER_LEFT && (member->balance != 0 || line_open || member->alias[0]))
        return fail(why, why_size, "member %u left with a balance, a line or an alias", index);
    if (member->status == TALLY_MEMBER_DEFAULTED && line_open)
        return fail(why, why_size, "defaulted member %u has an open line", index);
    if (member->line_status == TALLY_LINE_ACTIVE && member->period_end < member->period_start)
        return fail(why, why_size, "member %u period ends before it starts", index);
    if (member->alias[0] && tally_state_member_by_alias(state, member->network_id, member->alias,
                                                        strlen(member->alias)) != member)
        return fail(why, why_size, "member %u alias '%s' is not indexed to it", index, member->alias);
    return true;
}

static bool check_network(const tally_state *state, const tally_network *network,
                          const network_totals *totals, char *why, size_t why_size) {
    uint32_t id = network->id;
    /* Stakes locked == the reserve its underwriting account holds. */
    if (network->stakes_locked < 0 || (network->stakes_locked > 0 && network->reserve_asset_id == 0))
        return fail(why, why_size, "network %u locks %lld of stakes without a reserve asset", id,
                    (long long)network->stakes_locked);
    if (network->reserve_asset_id != 0) {
        tally_key account = tally_system_key(id, TALLY_SYSTEM_UNDERWRITING);
        int64_t held = tally_state_asset_balance(state, network->reserve_asset_id, &account);
        if (held != network->stakes_locked)
            return fail(why, why_size, "network %u's underwriting account holds %lld, its stakes lock %lld", id,
                        (long long)held, (long long)network->stakes_locked);
    }
    if (totals->balance_sum != 0)
        return fail(why, why_size, "network %u balances sum to %lld, not 0", id, (long long)totals->balance_sum);
    if (totals->supply != totals->debt)
        return fail(why, why_size, "network %u supply differs from debt", id);
    if (totals->members_held != totals->holds_held)
        return fail(why, why_size, "network %u: its members hold %lld for pending transfers, its open holds %lld", id,
                    (long long)totals->members_held, (long long)totals->holds_held);
    if (totals->members_holds_open != totals->holds_open || totals->members_requests_open != totals->requests_open)
        return fail(why, why_size, "network %u: its members count %lld open holds and %lld open requests, there are "
                    "%lld and %lld", id, (long long)totals->members_holds_open, (long long)totals->members_requests_open,
                    (long long)totals->holds_open, (long long)totals->requests_open);
    if (totals->supply != network->supply || totals->debt != network->debt)
        return fail(why, why_size, "network %u supply/debt aggregates %lld/%lld, tables say %lld/%lld", id,
                    (long long)network->supply, (long long)network->debt, (long long)totals->supply,
                    (long long)totals->debt);
    if (totals->limits != network->limits_total)
        return fail(why, why_size, "network %u does not keep the sum of its members' limits", id);
    if (totals->mirror_debt != network->mirror_debt || totals->mirror_credit != network->mirror_credit)
        return fail(why, why_size, "network %u keeps its mirror accounts at %lld debt and %lld credit, they hold "
                    "%lld and %lld", id, (long long)network->mirror_debt, (long long)network->mirror_credit,
                    (long long)totals->mirror_debt, (long long)totals->mirror_credit);
    if (network->health_active > network->member_records ||
        (network->health.period != 0 && network->health.period + 1 != network->health_period))
        return fail(why, why_size, "network %u health period %u counts %u active members of %u (last period %u)", id,
                    network->health_period, network->health_active, network->member_records, network->health.period);
    if (totals->active_members != network->member_count)
        return fail(why, why_size, "network %u counts %u members, tables %u", id, network->member_count,
                    totals->active_members);
    const uint32_t system_members[] = {network->fee_member, network->lost_debt_member, network->pool_member};
    const uint8_t system_kinds[] = {TALLY_SYSTEM_FEES, TALLY_SYSTEM_LOST_DEBT, TALLY_SYSTEM_POOL};
    for (int i = 0; i < 3; i++) {
        const tally_member *system = tally_state_member_at(state, system_members[i]);
        if (!system || system->network_id != id || system->status != TALLY_MEMBER_SYSTEM ||
            system->system_kind != system_kinds[i])
            return fail(why, why_size, "network %u system account %d is misplaced", id, i);
    }
    if (network->operator_count == 0 || network->operator_count > TALLY_OPERATORS_MAX)
        return fail(why, why_size, "network %u has %u operators", id, network->operator_count);
    for (uint8_t i = 0; i < network->operator_count; i++)
        for (uint8_t j = 0; j < i; j++)
            if (memcmp(network->operators[i].bytes, network->operators[j].bytes, TALLY_KEY_BYTES) == 0)
                return fail(why, why_size, "network %u lists an operator twice", id);
    if (policy_validate(&network->policy) != TALLY_OK)
        return fail(why, why_size, "network %u has an invalid policy", id);
    if (network->pool_primary < 0 || network->pool_buffer < 0 || network->pool_excess < 0 ||
        network->pool_total_shares < 0)
        return fail(why, why_size, "network %u pool has a negative part", id);
    int128 pool_parts = (int128)network->pool_primary + network->pool_buffer + network->pool_excess;
    tally_key pool = tally_system_key(id, TALLY_SYSTEM_POOL);
    int64_t held = network->reserve_asset_id ? tally_state_asset_balance(state, network->reserve_asset_id, &pool) : 0;
    if (pool_parts != held)
        return fail(why, why_size, "network %u pool parts sum to %lld but the pool holds %lld", id,
                    (long long)pool_parts, (long long)held);
    if (totals->shares != network->pool_total_shares)
        return fail(why, why_size, "network %u pool shares sum to %lld, total says %lld", id,
                    (long long)totals->shares, (long long)network->pool_total_shares);
    if (network->reserve_asset_id &&
        (!tally_state_asset(state, network->reserve_asset_id) || network->peg_reserve_units <= 0 ||
         network->peg_credit_units <= 0))
        return fail(why, why_size, "network %u has a bad peg", id);
    if (network->policy_change_at != 0 && policy_validate(&network->policy_change) != TALLY_OK)
        return fail(why, why_size, "network %u announces an invalid policy", id);
    if (network->peg_change_at != 0 &&
        (!network->reserve_asset_id || network->peg_change_reserve_units <= 0 || network->peg_change_credit_units <= 0))
        return fail(why, why_size, "network %u announces a bad peg", id);
    if (network->redeem_allowance < 0)
        return fail(why, why_size, "network %u has a negative redemption allowance", id);
    return true;
}

static bool check_asset(const tally_asset *asset, uint32_t index, int128 holdings_sum, char *why, size_t why_size) {
    if (asset->id != index + 1 || asset->burned < 0 || asset->issued < asset->burned)
        return fail(why, why_size, "asset %u has issued %lld, burned %lld", index + 1, (long long)asset->issued,
                    (long long)asset->burned);
    if (holdings_sum != asset->issued - asset->burned)
        return fail(why, why_size, "asset %u holdings sum to %lld, issued - burned is %lld", index + 1,
                    (long long)holdings_sum, (long long)(asset->issued - asset->burned));
    return true;
}

static bool check_account(const tally_state *state, const ledger_account *account, uint32_t index, char *why,
                          size_t why_size) {
    /* Sequence 1: a key that a validator approved and that never signed. */
    if (ledger_account_find(state, &account->key) != account || account->next_sequence < 1)
        return fail(why, why_size, "account %u is not indexed or has sequence %llu", index,
                    (unsigned long long)account->next_sequence);
    if (account->networks_on_day > state->rules.networks_per_key_per_day ||
        account->assets_on_day > state->rules.assets_per_key_per_day ||
        account->networks_approved > TALLY_APPROVALS_MAX || account->assets_approved > TALLY_APPROVALS_MAX)
        return fail(why, why_size, "account %u grew the chain past its rules", index);
    return true;
}

/* A holding's own checks; its owner exists. */
static bool check_holding(const tally_state *state, const ledger_holding *holding, uint32_t index, char *why,
                          size_t why_size) {
    if (holding->amount < 0) return fail(why, why_size, "holding %u is negative", index);
    if (holding->owner_id & HOLDING_SHARES_FLAG) {
        uint32_t network_id = holding->owner_id & ~HOLDING_SHARES_FLAG;
        const tally_network *network = tally_state_network(state, network_id);
        if (!network) return fail(why, why_size, "shares of unknown network %u", network_id);
        /* Epochs only grow, and a holding takes its network's when written: one from
         * ahead would count in a later epoch's sums unseen. */
        if (holding->epoch > network->pool_share_epoch)
            return fail(why, why_size, "holding %u has pool epoch %u, its network is at %u", index, holding->epoch,
                        network->pool_share_epoch);
        return true;
    }
    if (holding->owner_id == 0 || holding->owner_id > state->asset_count)
        return fail(why, why_size, "holding of unknown asset %u", holding->owner_id);
    return true;
}

/* A pending transfer's record: its place, its network, a payer who is a member, an
 * open one holding something, a posted one within what it held. */
static bool check_pending(const tally_state *state, const tally_pending *p, uint32_t index, char *why,
                          size_t why_size) {
    if (p->id != index + 1) return fail(why, why_size, "pending transfer %u has id %u", index + 1, p->id);
    if (!tally_state_network(state, p->network_id))
        return fail(why, why_size, "pending transfer %u names unknown network %u", p->id, p->network_id);
    if (!tally_state_member(state, p->network_id, &p->payer))
        return fail(why, why_size, "pending transfer %u has a payer who is no member", p->id);
    if (p->amount <= 0 || p->fee < 0 || p->fee > INT64_MAX - p->amount || p->posted < 0 || p->posted > p->amount ||
        p->status >= TALLY_PENDING_STATUS_COUNT ||
        p->outcome >= TALLY_PENDING_OUTCOME_COUNT)
        return fail(why, why_size, "pending transfer %u holds a value out of range", p->id);
    if (p->status == TALLY_PENDING_OPEN && p->posted != 0)
        return fail(why, why_size, "open pending transfer %u says it posted", p->id);
    return true;
}

/* A payment request's record: its place, its network, a maker who is a member (or
 * was: a member record stays when it leaves), paid ones naming who paid. */
static bool check_request(const tally_state *state, const tally_request *q, uint32_t index, char *why,
                          size_t why_size) {
    static const tally_key zero;
    if (q->id != index + 1) return fail(why, why_size, "payment request %u has id %u", index + 1, q->id);
    if (!tally_state_network(state, q->network_id))
        return fail(why, why_size, "payment request %u names unknown network %u", q->id, q->network_id);
    if (!tally_state_member(state, q->network_id, &q->payee))
        return fail(why, why_size, "payment request %u has a maker who is no member", q->id);
    if (q->amount <= 0 || q->expiry <= q->created_at || q->status >= TALLY_REQUEST_STATUS_COUNT)
        return fail(why, why_size, "payment request %u holds a value out of range", q->id);
    bool names_payer = memcmp(q->paid_by.bytes, zero.bytes, TALLY_KEY_BYTES) != 0;
    if (names_payer != (q->status == TALLY_REQUEST_PAID))
        return fail(why, why_size, "payment request %u names who paid it %s", q->id,
                    names_payer ? "without being paid" : "not");
    return true;
}

/* A gateway's record: its place, two networks, its terms in range, and once open a
 * rate and both mirror accounts. */
static bool check_gateway(const tally_state *state, const tally_gateway *g, uint32_t index, char *why,
                          size_t why_size) {
    if (g->id != index + 1) return fail(why, why_size, "gateway %u has id %u", index + 1, g->id);
    if (!tally_state_network(state, g->network_a) || !tally_state_network(state, g->network_b) ||
        g->network_a == g->network_b)
        return fail(why, why_size, "gateway %u links networks %u and %u", g->id, g->network_a, g->network_b);
    if (g->status >= TALLY_GATEWAY_STATUS_COUNT || g->terms.rate_a < 0 || g->terms.rate_b < 0)
        return fail(why, why_size, "gateway %u holds a value out of range", g->id);
    if (g->status == TALLY_GATEWAY_OPEN) {
        tally_key in_a = tally_gateway_key(g->network_a, g->network_b), in_b = tally_gateway_key(g->network_b, g->network_a);
        if (g->terms.rate_a == 0 || g->terms.rate_b == 0 || !tally_state_member(state, g->network_a, &in_a) ||
            !tally_state_member(state, g->network_b, &in_b))
            return fail(why, why_size, "open gateway %u has no rate or no mirror accounts", g->id);
        /* Whole steps of the rate only (transfer.c): the two mirror accounts hold the
         * same value, with opposite signs. */
        int64_t a = tally_state_member(state, g->network_a, &in_a)->balance;
        int64_t b = tally_state_member(state, g->network_b, &in_b)->balance;
        if ((int128)a * g->terms.rate_b + (int128)b * g->terms.rate_a != 0)
            return fail(why, why_size, "gateway %u's mirror accounts hold %lld and %lld, not the same value at %lld:%lld",
                        g->id, (long long)a, (long long)b, (long long)g->terms.rate_a, (long long)g->terms.rate_b);
    }
    return true;
}

/* What an open hold holds of its payer's credit: amount and fee (0 once it ended). */
static int64_t pending_held(const tally_pending *p) { return p->status == TALLY_PENDING_OPEN ? p->amount + p->fee : 0; }

/* Every member's pending_out is what its open holds hold, amount and fee, and its
 * open counts are how many holds it pays and requests it made are open. */
typedef struct {
    int128 held;
    uint32_t holds, requests;
} member_open;

static bool check_pending_sums(const tally_state *state, char *why, size_t why_size) {
    member_open *open = calloc((size_t)state->member_count + 1, sizeof *open);
    if (!open) return fail(why, why_size, "out of memory");
    for (uint32_t i = 0; i < state->pending_count; i++) {
        const tally_pending *p = &state->pendings[i];
        if (p->status != TALLY_PENDING_OPEN) continue;
        member_open *payer = &open[tally_state_member(state, p->network_id, &p->payer) - state->members];
        payer->held += pending_held(p);
        payer->holds++;
    }
    for (uint32_t i = 0; i < state->request_count; i++) {
        const tally_request *q = &state->requests[i];
        if (q->status == TALLY_REQUEST_OPEN) open[tally_state_member(state, q->network_id, &q->payee) - state->members].requests++;
    }
    bool ok = true;
    for (uint32_t i = 0; ok && i < state->member_count; i++) {
        const tally_member *m = &state->members[i];
        if (open[i].held != m->pending_out)
            ok = fail(why, why_size, "member %u holds pending_out %lld, its open holds %lld", i, (long long)m->pending_out,
                      (long long)open[i].held);
        else if (open[i].holds != m->holds_open || open[i].requests != m->requests_open)
            ok = fail(why, why_size, "member %u counts %u open holds and %u open requests, there are %u and %u", i,
                      m->holds_open, m->requests_open, open[i].holds, open[i].requests);
    }
    free(open);
    return ok;
}

static void count_member(network_totals *total, const ledger_member_seen *member, int sign) {
    int64_t balance = member->balance;
    bool counted = member->counted;
    total->balance_sum += sign * (int128)balance;
    total->members_held += sign * (int128)member->pending_out;
    total->members_holds_open += sign * (int64_t)member->holds_open;
    total->members_requests_open += sign * (int64_t)member->requests_open;
    total->supply += sign * (int128)positive_part(balance);
    total->debt += sign * (int128)debt_part(balance);
    if (counted) total->active_members += (uint32_t)sign;
    total->limits += sign * (int128)member->limit;
    if (member->mirror) {
        total->mirror_debt += sign * (int128)debt_part(balance);
        total->mirror_credit += sign * (int128)positive_part(balance);
    }
}

static bool member_counted(const tally_member *member) {
    return member->status != TALLY_MEMBER_SYSTEM && member->status != TALLY_MEMBER_LEFT;
}

/* What a member adds to its network's sums. */
static ledger_member_seen member_seen(const tally_member *member) {
    return (ledger_member_seen){member->balance,      member->network_id,    member_counted(member),
                                member->pending_out,  member->holds_open,    member->requests_open,
                                member->limit,        member->system_kind == TALLY_SYSTEM_GATEWAY};
}

/* The whole state, once: every record checked and summed. With `keep`, what each
 * record added is kept for the incremental checks that follow. */
/* Every stake: in order, between two members of its network; per network the stakes
 * sum to what it locks; per underwriter to what it says it staked. */
static bool check_stakes(const tally_state *state, char *why, size_t why_size) {
    int128 *locked = calloc((size_t)state->network_count + 1, sizeof *locked);
    int128 *made = calloc((size_t)state->member_count + 1, sizeof *made);
    uint32_t *records = calloc((size_t)state->member_count + 1, sizeof *records);
    bool ok = locked && made && records;
    if (!ok) fail(why, why_size, "out of memory");
    for (uint32_t i = 0; ok && i < state->stake_count; i++) {
        const tally_stake *stake = &state->stakes[i];
        const tally_member *underwriter = tally_state_member(state, stake->network_id, &stake->underwriter);
        if (stake->id != i + 1 || stake->network_id == 0 || stake->network_id > state->network_count || !underwriter ||
            !tally_state_member(state, stake->network_id, &stake->member) || stake->amount < 0 || stake->earned < 0 ||
            stake->slashed < 0) {
            ok = fail(why, why_size, "stake %u is out of place or range", i + 1);
            break;
        }
        locked[stake->network_id] += stake->amount;
        made[underwriter - state->members] += stake->amount;
        records[underwriter - state->members]++;
    }
    for (uint32_t i = 0; ok && i < state->network_count; i++)
        if (locked[i + 1] != state->networks[i].stakes_locked)
            ok = fail(why, why_size, "network %u's stakes sum to %lld, it locks %lld", i + 1, (long long)locked[i + 1],
                      (long long)state->networks[i].stakes_locked);
    for (uint32_t i = 0; ok && i < state->member_count; i++)
        if (made[i] != state->members[i].staked_total || records[i] != state->members[i].stakes_made)
            ok = fail(why, why_size, "member %u made %u stakes holding %lld, it counts %u holding %lld", i, records[i],
                      (long long)made[i], state->members[i].stakes_made, (long long)state->members[i].staked_total);
    free(locked);
    free(made);
    free(records);
    return ok;
}

/* Every proposal: of a network, its counts the sums of its votes; per network the
 * open ones as many as it counts, at most 16. */
static bool check_proposals(const tally_state *state, char *why, size_t why_size) {
    int128 (*sums)[3] = calloc((size_t)state->proposal_count + 1, sizeof *sums);
    uint32_t *voters = calloc((size_t)state->proposal_count + 1, sizeof *voters);
    uint32_t *open = calloc((size_t)state->network_count + 1, sizeof *open);
    bool ok = sums && voters && open;
    if (!ok) fail(why, why_size, "out of memory");
    for (uint32_t i = 0; ok && i < state->vote_count; i++) {
        const tally_vote *vote = &state->votes[i];
        if (vote->proposal_id == 0 || vote->proposal_id > state->proposal_count || vote->choice >= TALLY_VOTE_CHOICE_COUNT ||
            vote->weight < 0) {
            ok = fail(why, why_size, "vote %u is out of place or range", i);
            break;
        }
        sums[vote->proposal_id][vote->choice] += vote->weight;
        voters[vote->proposal_id]++;
    }
    for (uint32_t i = 0; ok && i < state->proposal_count; i++) {
        const tally_proposal *p = &state->proposals[i];
        if (p->id != i + 1 || p->network_id == 0 || p->network_id > state->network_count) {
            ok = fail(why, why_size, "proposal %u is out of place", i + 1);
            break;
        }
        /* the counts saturate, the sums do not: equal below the saturation */
        if (sums[p->id][TALLY_VOTE_YES] != p->yes || sums[p->id][TALLY_VOTE_NO] != p->no ||
            sums[p->id][TALLY_VOTE_ABSTAIN] != p->abstain || voters[p->id] != p->voters)
            ok = fail(why, why_size, "proposal %u counts %lld yes, %lld no, %lld abstain from %u voters; its votes "
                      "differ", p->id, (long long)p->yes, (long long)p->no, (long long)p->abstain, p->voters);
        open[p->network_id] += p->status == TALLY_PROPOSAL_VOTING || p->status == TALLY_PROPOSAL_PASSED;
    }
    for (uint32_t i = 0; ok && i < state->network_count; i++)
        if (open[i + 1] != state->networks[i].proposals_open || open[i + 1] > TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX)
            ok = fail(why, why_size, "network %u has %u proposals open, it counts %u", i + 1, open[i + 1],
                      state->networks[i].proposals_open);
    free(sums);
    free(voters);
    free(open);
    return ok;
}

/* The marketplace: each listing of a network and a seller with a record there, its
 * open orders as many as it counts; each order of its listing's network and seller,
 * its hold the order's own (the buyer's to the seller, its order_id the order's, the
 * amount quantity x unit price), open while the order is and then what the seller was
 * paid; a hold names an order only when the order names it; each member's open
 * listings as many as it counts. */
static bool check_market(const tally_state *state, char *why, size_t why_size) {
    uint32_t *orders_open = calloc((size_t)state->listing_count + 1, sizeof *orders_open);
    uint32_t *listings_open = calloc((size_t)state->member_count + 1, sizeof *listings_open);
    bool ok = orders_open && listings_open;
    if (!ok) fail(why, why_size, "out of memory");
    for (uint32_t i = 0; ok && i < state->order_count; i++) {
        const tally_order *o = &state->orders[i];
        const tally_listing *l = o->listing_id >= 1 && o->listing_id <= state->listing_count
                                     ? &state->listings[o->listing_id - 1]
                                     : NULL;
        const tally_pending *p = o->pending_id >= 1 && o->pending_id <= state->pending_count
                                     ? &state->pendings[o->pending_id - 1]
                                     : NULL;
        int64_t amount;
        bool open = !tally_order_ended(o->status);
        if (o->id != i + 1 || !l || !p || l->network_id != o->network_id ||
            memcmp(l->seller.bytes, o->seller.bytes, TALLY_KEY_BYTES) != 0 || o->status >= TALLY_ORDER_STATUS_COUNT)
            ok = fail(why, why_size, "order %u is out of place", i + 1);
        else if (__builtin_mul_overflow(o->unit_price, (int64_t)o->quantity, &amount) || amount != o->amount ||
                 o->quantity == 0 || o->paid < 0 || o->paid > o->amount)
            ok = fail(why, why_size, "order %u holds a value out of range", o->id);
        else if (p->order_id != o->id || p->network_id != o->network_id || p->amount != o->amount ||
                 memcmp(p->payer.bytes, o->buyer.bytes, TALLY_KEY_BYTES) != 0 ||
                 memcmp(p->payee.bytes, o->seller.bytes, TALLY_KEY_BYTES) != 0)
            ok = fail(why, why_size, "order %u's hold %u is not its own", o->id, p->id);
        else if (open != (p->status == TALLY_PENDING_OPEN) || o->paid != p->posted ||
                 (o->status == TALLY_ORDER_PLACED && p->outcome != TALLY_PENDING_REFUND) ||
                 (o->status == TALLY_ORDER_ACCEPTED && p->outcome != TALLY_PENDING_RELEASE))
            ok = fail(why, why_size, "order %u is %s but its hold %u is %s (outcome %u, posted %lld)", o->id,
                      tally_order_status_name(o->status), p->id, tally_pending_status_name(p->status), p->outcome,
                      (long long)p->posted);
        else if ((o->buyer_rating != 0 || o->seller_rating != 0) && !tally_order_reviewable(o->status))
            ok = fail(why, why_size, "order %u is %s but was reviewed", o->id, tally_order_status_name(o->status));
        else if (open)
            orders_open[o->listing_id]++;
    }
    for (uint32_t i = 0; ok && i < state->pending_count; i++) {
        const tally_pending *p = &state->pendings[i];
        if (p->order_id != 0 && (p->order_id > state->order_count || state->orders[p->order_id - 1].pending_id != p->id))
            ok = fail(why, why_size, "pending transfer %u names order %u, which is not its", p->id, p->order_id);
    }
    for (uint32_t i = 0; ok && i < state->listing_count; i++) {
        const tally_listing *l = &state->listings[i];
        uint32_t seller;
        if (l->id != i + 1 || !tally_state_network(state, l->network_id) ||
            !tally_state_member_position(state, l->network_id, &l->seller, &seller))
            ok = fail(why, why_size, "listing %u is out of place", i + 1);
        else if (l->orders_open != orders_open[l->id])
            ok = fail(why, why_size, "listing %u counts %u open orders, it has %u", l->id, l->orders_open,
                      orders_open[l->id]);
        else if (l->status == TALLY_LISTING_OPEN)
            listings_open[seller]++;
    }
    for (uint32_t i = 0; ok && i < state->member_count; i++)
        if (state->members[i].listings_open != listings_open[i])
            ok = fail(why, why_size, "member %u counts %u open listings, it has %u", i, state->members[i].listings_open,
                      listings_open[i]);
    free(orders_open);
    free(listings_open);
    return ok;
}

static bool check_whole(const tally_state *state, network_totals *totals, int128 *asset_sums, ledger_checker *keep,
                        char *why, size_t why_size) {
    for (uint32_t i = 0; i < state->network_count; i++)
        if (state->networks[i].id != i + 1) return fail(why, why_size, "network %u has id %u", i + 1, state->networks[i].id);
    for (uint32_t i = 0; i < state->member_count; i++) {
        const tally_member *member = &state->members[i];
        if (!check_member(state, member, i, why, why_size)) return false;
        ledger_member_seen seen = member_seen(member);
        count_member(&totals[member->network_id], &seen, 1);
        if (keep) keep->members[i] = seen;
        /* Who counts as active in the running health period changes for every member
         * at once when a period ends, so only a full check counts them. */
        if (member->system_kind == TALLY_SYSTEM_NONE &&
            member->active_period == state->networks[member->network_id - 1].health_period)
            totals[member->network_id].active_in_period++;
    }
    for (uint32_t i = 0; i < state->network_count; i++)
        if (totals[i + 1].active_in_period != state->networks[i].health_active)
            return fail(why, why_size, "network %u counts %u members active in its health period, %u were", i + 1,
                        state->networks[i].health_active, totals[i + 1].active_in_period);
    for (uint32_t i = 0; i < state->pending_count; i++) {
        const tally_pending *p = &state->pendings[i];
        if (!check_pending(state, p, i, why, why_size)) return false;
        int64_t held = pending_held(p);
        totals[p->network_id].holds_held += held;
        totals[p->network_id].holds_open += p->status == TALLY_PENDING_OPEN;
        if (keep) keep->pendings[i] = (ledger_pending_seen){held, p->network_id};
    }
    for (uint32_t i = 0; i < state->request_count; i++) {
        const tally_request *q = &state->requests[i];
        if (!check_request(state, q, i, why, why_size)) return false;
        totals[q->network_id].requests_open += q->status == TALLY_REQUEST_OPEN;
        if (keep) keep->requests[i] = (ledger_request_seen){q->network_id, q->status == TALLY_REQUEST_OPEN};
    }
    for (uint32_t i = 0; i < state->holding_count; i++) {
        const ledger_holding *holding = &state->holdings[i];
        if (!check_holding(state, holding, i, why, why_size)) return false;
        if (holding->owner_id & HOLDING_SHARES_FLAG) {
            uint32_t network_id = holding->owner_id & ~HOLDING_SHARES_FLAG;
            if (holding->epoch == state->networks[network_id - 1].pool_share_epoch)
                totals[network_id].shares += holding->amount;
        } else {
            asset_sums[holding->owner_id] += holding->amount;
        }
        if (keep) keep->holdings[i] = (ledger_holding_seen){holding->amount, holding->owner_id, holding->epoch};
    }
    for (uint32_t i = 0; i < state->network_count; i++) {
        totals[i + 1].shares_epoch = state->networks[i].pool_share_epoch;
        if (!check_network(state, &state->networks[i], &totals[i + 1], why, why_size)) return false;
    }
    for (uint32_t i = 0; i < state->asset_count; i++)
        if (!check_asset(&state->assets[i], i, asset_sums[i + 1], why, why_size)) return false;
    for (uint32_t i = 0; i < state->account_count; i++)
        if (!check_account(state, &state->accounts[i], i, why, why_size)) return false;
    if (!check_pending_sums(state, why, why_size)) return false;
    for (uint32_t i = 0; i < state->gateway_count; i++)
        if (!check_gateway(state, &state->gateways[i], i, why, why_size)) return false;
    if (!check_stakes(state, why, why_size)) return false;
    if (!check_proposals(state, why, why_size)) return false;
    if (!check_market(state, why, why_size)) return false;
    if (tally_chain_rules_validate(&state->rules) != TALLY_OK) return fail(why, why_size, "the chain rules are invalid");
    return true;
}

bool tally_check_invariants(const tally_state *state, char *why, size_t why_size) {
    network_totals *totals = calloc((size_t)state->network_count + 1, sizeof *totals);
    int128 *asset_sums = calloc((size_t)state->asset_count + 1, sizeof *asset_sums);
    bool ok = totals && asset_sums ? check_whole(state, totals, asset_sums, NULL, why, why_size)
                                   : fail(why, why_size, "out of memory");
    free(totals);
    free(asset_sums);
    return ok;
}

/* ---- incremental ---- */

/* Grows a kept array to `count` entries, the new ones zero. */
static bool keep_room(void **array, uint32_t *capacity, uint32_t count, size_t size) {
    if (count <= *capacity) return true;
    uint64_t grown = *capacity ? *capacity : 64;
    while (grown < count) grown *= 2;
    void *bigger = realloc(*array, (size_t)grown * size);
    if (!bigger) return false;
    memset((char *)bigger + (size_t)*capacity * size, 0, (size_t)(grown - *capacity) * size);
    *array = bigger;
    *capacity = (uint32_t)grown;
    return true;
}

static bool checker_room(tally_state *state) {
    ledger_checker *c = &state->checker;
    return keep_room((void **)&c->members, &c->member_capacity, state->member_count, sizeof *c->members) &&
           keep_room((void **)&c->holdings, &c->holding_capacity, state->holding_count, sizeof *c->holdings) &&
           keep_room((void **)&c->pendings, &c->pending_capacity, state->pending_count, sizeof *c->pendings) &&
           keep_room((void **)&c->requests, &c->request_capacity, state->request_count, sizeof *c->requests) &&
           keep_room((void **)&c->networks, &c->network_capacity, state->network_count + 1, sizeof *c->networks) &&
           keep_room((void **)&c->asset_sums, &c->asset_capacity, state->asset_count + 1, sizeof *c->asset_sums);
}

/* Ends a check: the marks start over, and the sums are kept only if it held. */
static bool checker_done(tally_state *state, bool held) {
    ledger_checker *c = &state->checker;
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        ledger_marks_clear(&c->touched[t]);
        c->counts[t] = ledger_table_count(state, (tally_table)t);
    }
    c->kept = held;
    return held;
}

static bool check_all_and_keep(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    if (!checker_room(state)) return checker_done(state, fail(why, why_size, "out of memory"));
    memset(c->networks, 0, (size_t)c->network_capacity * sizeof *c->networks);
    memset(c->asset_sums, 0, (size_t)c->asset_capacity * sizeof *c->asset_sums);
    return checker_done(state, check_whole(state, c->networks, c->asset_sums, c, why, why_size));
}

/* The pool a system key names, or 0: its holdings are a network's reserve. */
static uint32_t pool_of_key(const tally_state *state, const tally_key *key) {
    if (!tally_key_is_system(key)) return 0;
    uint32_t network_id = 0;
    for (int i = 0; i < 4; i++) network_id |= (uint32_t)key->bytes[10 + i] << (8 * i);
    if (network_id == 0 || network_id > state->network_count) return 0;
    tally_key pool = tally_system_key(network_id, TALLY_SYSTEM_POOL);
    return memcmp(pool.bytes, key->bytes, TALLY_KEY_BYTES) == 0 ? network_id : 0;
}

/* Moves the sums by what the touched members changed; marks their networks. */
static bool move_member_sums(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    ledger_marks *members = &c->touched[TALLY_TABLE_MEMBERS], *networks = &c->touched[TALLY_TABLE_NETWORKS];
    for (uint32_t k = 0; k < members->count; k++) {
        uint32_t i = members->list[k];
        const tally_member *member = &state->members[i];
        if (member->network_id == 0 || member->network_id > state->network_count)
            return fail(why, why_size, "member %u names unknown network %u", i, member->network_id);
        ledger_member_seen *seen = &c->members[i];
        if (seen->network_id != 0) {
            count_member(&c->networks[seen->network_id], seen, -1);
            ledger_marks_add(networks, seen->network_id - 1);
        }
        *seen = member_seen(member);
        count_member(&c->networks[member->network_id], seen, 1);
        ledger_marks_add(networks, member->network_id - 1);
    }
    return true;
}

/* Moves the sums by what the touched holdings changed; marks their assets, the
 * networks whose shares they are and the networks whose pool holds them. */
static bool move_holding_sums(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    ledger_marks *holdings = &c->touched[TALLY_TABLE_HOLDINGS], *networks = &c->touched[TALLY_TABLE_NETWORKS],
                 *assets = &c->touched[TALLY_TABLE_ASSETS];
    /* Out with what they were, against the epochs the sums were kept for... */
    for (uint32_t k = 0; k < holdings->count; k++) {
        const ledger_holding_seen *seen = &c->holdings[holdings->list[k]];
        if (seen->owner_id == 0) continue; /* new since the last check */
        if (seen->owner_id & HOLDING_SHARES_FLAG) {
            network_totals *total = &c->networks[seen->owner_id & ~HOLDING_SHARES_FLAG];
            if (seen->epoch == total->shares_epoch) total->shares -= seen->amount;
        } else {
            c->asset_sums[seen->owner_id] -= seen->amount;
        }
    }
    for (uint32_t k = 0; k < holdings->count; k++) {
        const ledger_holding *holding = &state->holdings[holdings->list[k]];
        if (!check_holding(state, holding, holdings->list[k], why, why_size)) return false;
        if (holding->owner_id & HOLDING_SHARES_FLAG) ledger_marks_add(networks, (holding->owner_id & ~HOLDING_SHARES_FLAG) - 1);
    }
    /* ...then a network whose pool started a new epoch sums none of the old one's
     * (it marked itself; a holding of the new epoch was written since, so touched)... */
    for (uint32_t k = 0; k < networks->count; k++) {
        network_totals *total = &c->networks[networks->list[k] + 1];
        uint32_t epoch = state->networks[networks->list[k]].pool_share_epoch;
        if (epoch != total->shares_epoch) total->shares = 0, total->shares_epoch = epoch;
    }
    /* ...and in with what they are. */
    for (uint32_t k = 0; k < holdings->count; k++) {
        uint32_t i = holdings->list[k];
        const ledger_holding *holding = &state->holdings[i];
        if (holding->owner_id & HOLDING_SHARES_FLAG) {
            network_totals *total = &c->networks[holding->owner_id & ~HOLDING_SHARES_FLAG];
            if (holding->epoch == total->shares_epoch) total->shares += holding->amount;
        } else {
            c->asset_sums[holding->owner_id] += holding->amount;
            ledger_marks_add(assets, holding->owner_id - 1);
            uint32_t pool = pool_of_key(state, &holding->key);
            if (pool) ledger_marks_add(networks, pool - 1);
        }
        c->holdings[i] = (ledger_holding_seen){holding->amount, holding->owner_id, holding->epoch};
    }
    return true;
}

/* Moves the held sums by what the touched holds changed; marks their networks. */
static bool move_pending_sums(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    ledger_marks *pendings = &c->touched[TALLY_TABLE_PENDINGS], *networks = &c->touched[TALLY_TABLE_NETWORKS];
    for (uint32_t k = 0; k < pendings->count; k++) {
        uint32_t i = pendings->list[k];
        const tally_pending *p = &state->pendings[i];
        if (!check_pending(state, p, i, why, why_size)) return false;
        ledger_pending_seen *seen = &c->pendings[i];
        if (seen->network_id != 0) {
            c->networks[seen->network_id].holds_held -= seen->held;
            c->networks[seen->network_id].holds_open -= seen->held != 0;
        }
        *seen = (ledger_pending_seen){pending_held(p), p->network_id};
        c->networks[p->network_id].holds_held += seen->held;
        c->networks[p->network_id].holds_open += seen->held != 0;
        ledger_marks_add(networks, p->network_id - 1);
    }
    return true;
}

/* Moves the open-request counts by what the touched requests changed. */
static bool move_request_sums(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    ledger_marks *requests = &c->touched[TALLY_TABLE_REQUESTS], *networks = &c->touched[TALLY_TABLE_NETWORKS];
    for (uint32_t k = 0; k < requests->count; k++) {
        uint32_t i = requests->list[k];
        const tally_request *q = &state->requests[i];
        if (!check_request(state, q, i, why, why_size)) return false;
        ledger_request_seen *seen = &c->requests[i];
        if (seen->network_id != 0) c->networks[seen->network_id].requests_open -= seen->open;
        *seen = (ledger_request_seen){q->network_id, q->status == TALLY_REQUEST_OPEN};
        c->networks[q->network_id].requests_open += seen->open;
        ledger_marks_add(networks, q->network_id - 1);
    }
    return true;
}

static bool check_changed(tally_state *state, char *why, size_t why_size) {
    ledger_checker *c = &state->checker;
    if (!checker_room(state)) return fail(why, why_size, "out of memory");
    /* Records appended since the last check are new to it, touched or not. */
    for (int t = 0; t < TALLY_TABLE_COUNT; t++)
        for (uint32_t i = c->counts[t]; i < ledger_table_count(state, (tally_table)t); i++) ledger_marks_add(&c->touched[t], i);
    if (!move_member_sums(state, why, why_size) || !move_holding_sums(state, why, why_size) ||
        !move_pending_sums(state, why, why_size) || !move_request_sums(state, why, why_size))
        return false;

    const ledger_marks *touched = c->touched;
    for (uint32_t k = 0; k < touched[TALLY_TABLE_MEMBERS].count; k++) {
        uint32_t i = touched[TALLY_TABLE_MEMBERS].list[k];
        if (!check_member(state, &state->members[i], i, why, why_size)) return false;
    }
    for (uint32_t k = 0; k < touched[TALLY_TABLE_NETWORKS].count; k++) {
        uint32_t i = touched[TALLY_TABLE_NETWORKS].list[k];
        if (state->networks[i].id != i + 1) return fail(why, why_size, "network %u has id %u", i + 1, state->networks[i].id);
        if (!check_network(state, &state->networks[i], &c->networks[i + 1], why, why_size)) return false;
    }
    for (uint32_t k = 0; k < touched[TALLY_TABLE_ASSETS].count; k++) {
        uint32_t i = touched[TALLY_TABLE_ASSETS].list[k];
        if (!check_asset(&state->assets[i], i, c->asset_sums[i + 1], why, why_size)) return false;
    }
    for (uint32_t k = 0; k < touched[TALLY_TABLE_ACCOUNTS].count; k++) {
        uint32_t i = touched[TALLY_TABLE_ACCOUNTS].list[k];
        if (!check_account(state, &state->accounts[i], i, why, why_size)) return false;
    }
    for (uint32_t k = 0; k < touched[TALLY_TABLE_GATEWAYS].count; k++) {
        uint32_t i = touched[TALLY_TABLE_GATEWAYS].list[k];
        if (!check_gateway(state, &state->gateways[i], i, why, why_size)) return false;
    }
    /* The holds were checked as their sums moved; what each payer holds against its
     * own holds is the full check's (check_pending_sums), the network's sums here. */
    if (tally_chain_rules_validate(&state->rules) != TALLY_OK) return fail(why, why_size, "the chain rules are invalid");
    return true;
}

bool tally_check_invariants_changed(tally_state *state, char *why, size_t why_size) {
    if (!state->checker.kept || state->checker.always_full) return check_all_and_keep(state, why, why_size);
    return checker_done(state, check_changed(state, why, why_size));
}

void tally_state_check_invariants_fully(tally_state *state, bool fully) {
    assert(state != NULL);
    state->checker.always_full = fully;
}
