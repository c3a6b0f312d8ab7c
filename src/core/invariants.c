/*
 * invariants.c: checks every invariant of DESIGN.md section 4 on a whole state, from
 * the tables alone, recomputing every aggregate instead of trusting it. Used by the
 * tests after every step, when loading a snapshot, and (issue 3) by `tally verify` on
 * every block. It is O(size of the state) and allocates only scratch memory.
 */
#include "core/ledger.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 int128;

typedef struct {
    int128 balance_sum, supply, debt, shares;
    uint32_t active_members;
} network_totals;

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *format, ...) {
    if (why && why_size) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(why, why_size, format, arguments);
        va_end(arguments);
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
    if (member->status == TALLY_MEMBER_SYSTEM) {
        bool placed = (member->system_kind == TALLY_SYSTEM_FEES && network->fee_member == index) ||
                      (member->system_kind == TALLY_SYSTEM_LOST_DEBT && network->lost_debt_member == index) ||
                      (member->system_kind == TALLY_SYSTEM_POOL && network->pool_member == index);
        if (!placed) return fail(why, why_size, "system member %u is not its network's", index);
        if (member->system_kind != TALLY_SYSTEM_LOST_DEBT && member->balance < 0)
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
    if (totals->balance_sum != 0)
        return fail(why, why_size, "network %u balances sum to %lld, not 0", id, (long long)totals->balance_sum);
    if (totals->supply != totals->debt)
        return fail(why, why_size, "network %u supply differs from debt", id);
    if (totals->supply != network->supply || totals->debt != network->debt)
        return fail(why, why_size, "network %u supply/debt aggregates %lld/%lld, tables say %lld/%lld", id,
                    (long long)network->supply, (long long)network->debt, (long long)totals->supply,
                    (long long)totals->debt);
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

bool tally_check_invariants(const tally_state *state, char *why, size_t why_size) {
    network_totals *totals = calloc((size_t)state->network_count + 1, sizeof *totals);
    int128 *asset_sums = calloc((size_t)state->asset_count + 1, sizeof *asset_sums);
    bool ok = totals && asset_sums;
    if (!ok) fail(why, why_size, "out of memory");

    for (uint32_t i = 0; ok && i < state->network_count; i++)
        if (state->networks[i].id != i + 1) ok = fail(why, why_size, "network %u has id %u", i + 1, state->networks[i].id);
    for (uint32_t i = 0; ok && i < state->member_count; i++) {
        const tally_member *member = &state->members[i];
        ok = check_member(state, member, i, why, why_size);
        if (!ok) break;
        network_totals *total = &totals[member->network_id];
        total->balance_sum += member->balance;
        total->supply += positive_part(member->balance);
        total->debt += debt_part(member->balance);
        if (member->status != TALLY_MEMBER_SYSTEM && member->status != TALLY_MEMBER_LEFT) total->active_members++;
    }
    for (uint32_t i = 0; ok && i < state->holding_count; i++) {
        const ledger_holding *holding = &state->holdings[i];
        if (holding->amount < 0) {
            ok = fail(why, why_size, "holding %u is negative", i);
        } else if (holding->owner_id & HOLDING_SHARES_FLAG) {
            uint32_t network_id = holding->owner_id & ~HOLDING_SHARES_FLAG;
            const tally_network *network = tally_state_network(state, network_id);
            if (!network) ok = fail(why, why_size, "shares of unknown network %u", network_id);
            else if (holding->epoch == network->pool_share_epoch) totals[network_id].shares += holding->amount;
        } else if (holding->owner_id == 0 || holding->owner_id > state->asset_count) {
            ok = fail(why, why_size, "holding of unknown asset %u", holding->owner_id);
        } else {
            asset_sums[holding->owner_id] += holding->amount;
        }
    }
    for (uint32_t i = 0; ok && i < state->network_count; i++)
        ok = check_network(state, &state->networks[i], &totals[i + 1], why, why_size);
    for (uint32_t i = 0; ok && i < state->asset_count; i++) {
        const tally_asset *asset = &state->assets[i];
        if (asset->id != i + 1 || asset->burned < 0 || asset->issued < asset->burned)
            ok = fail(why, why_size, "asset %u has issued %lld, burned %lld", i + 1, (long long)asset->issued,
                      (long long)asset->burned);
        else if (asset_sums[i + 1] != asset->issued - asset->burned)
            ok = fail(why, why_size, "asset %u holdings sum to %lld, issued - burned is %lld", i + 1,
                      (long long)asset_sums[i + 1], (long long)(asset->issued - asset->burned));
    }
    for (uint32_t i = 0; ok && i < state->account_count; i++) {
        const ledger_account *account = &state->accounts[i];
        /* Sequence 1: a key that a validator approved and that never signed. */
        if (ledger_account_find(state, &account->key) != account || account->next_sequence < 1)
            ok = fail(why, why_size, "account %u is not indexed or has sequence %llu", i,
                      (unsigned long long)account->next_sequence);
        else if (account->networks_on_day > state->rules.networks_per_key_per_day ||
                 account->assets_on_day > state->rules.assets_per_key_per_day ||
                 account->networks_approved > TALLY_APPROVALS_MAX || account->assets_approved > TALLY_APPROVALS_MAX)
            ok = fail(why, why_size, "account %u grew the chain past its rules", i);
    }
    if (ok && tally_chain_rules_validate(&state->rules) != TALLY_OK) ok = fail(why, why_size, "the chain rules are invalid");
    free(totals);
    free(asset_sums);
    return ok;
}
