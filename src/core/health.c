/*
 * health.c: a network's health, per period, computed by the chain (docs/GATEWAYS.md
 * section 4). Another network decides from these figures how much to trust this
 * one, so they are in the state: the last completed period sits in the network
 * record (covered by the state commitment, provable like any record), and the
 * index keeps every period's record as history.
 *
 * A period lasts TALLY_HEALTH_PERIOD_SECONDS from the network's creation; its end is
 * a due entry, so closing it costs the same whatever the size of the network: the
 * running counters (volume, written-off debt, active members, the largest debt) are
 * kept by every balance change (ledger_balances_commit) and by defaults, and the
 * rest are aggregates the network keeps anyway. What a period writes is as of the
 * block end that reached its end time (the first at or after it).
 */
#include "core/ledger.h"

__extension__ typedef __int128 int128;

/* part / whole in basis points, rounded down; 0 when whole is 0, at most UINT32_MAX. */
static uint32_t ratio_bps(int128 part, int128 whole) {
    if (whole <= 0 || part <= 0) return 0;
    if (part / whole > UINT32_MAX) return UINT32_MAX;
    int128 bps = part / whole * TALLY_BPS_ONE + part % whole * TALLY_BPS_ONE / whole; /* both below 2^115 */
    return bps > UINT32_MAX ? UINT32_MAX : (uint32_t)bps;
}

int64_t health_period_end(int64_t started_at) {
    /* INT64_MAX never comes (apply.c): a network made at the end of time has no period end */
    return started_at > INT64_MAX - TALLY_HEALTH_PERIOD_SECONDS ? INT64_MAX : started_at + TALLY_HEALTH_PERIOD_SECONDS;
}

int64_t tally_network_health_ends_at(const tally_network *network) {
    return health_period_end(network->health_started_at);
}

int64_t health_member_debt(const tally_state *state, const tally_network *network) {
    const tally_member *lost = tally_state_member_at(state, network->lost_debt_member);
    int64_t lost_debt = lost ? debt_part(lost->balance) : 0;
    int64_t member_debt = network->debt - lost_debt - network->mirror_debt;
    return member_debt > 0 ? member_debt : 0;
}

void health_start(tally_state *state, tally_network *network, int64_t at) {
    network->health_period = 1;
    network->health_started_at = at;
    network->health_volume = 0;
    network->health_written_off = 0;
    network->health_debt_at_start = 0;
    network->health_largest_debt = 0;
    network->health_active = 0;
    ledger_due_push(state, health_period_end(at), DUE_HEALTH, network->id - 1);
}

bool health_period_due(tally_state *state, tally_network *network, int64_t due_time, ledger_block_end *end) {
    if (!network || due_time != health_period_end(network->health_started_at)) return false; /* stale */
    const tally_member *lost = tally_state_member_at(state, network->lost_debt_member);
    int64_t member_debt = health_member_debt(state, network);
    tally_health *h = &network->health;
    h->period = network->health_period;
    h->started_at = network->health_started_at;
    h->ended_at = due_time;
    h->supply = network->supply;
    h->debt = network->debt;
    h->member_debt = member_debt;
    h->limits = network->limits_total > INT64_MAX ? INT64_MAX : (int64_t)network->limits_total;
    h->utilisation_bps = ratio_bps(member_debt, network->limits_total);
    h->volume = network->health_volume;
    h->velocity_bps = ratio_bps(network->health_volume, network->supply);
    h->debt_at_start = network->health_debt_at_start;
    h->written_off = network->health_written_off;
    h->default_rate_bps = ratio_bps(network->health_written_off, network->health_debt_at_start);
    h->lost_debt = lost ? debt_part(lost->balance) : 0;
    h->rtd_bps = tally_network_rtd_bps(network);
    h->largest_debt = network->health_largest_debt;
    h->concentration_bps = ratio_bps(network->health_largest_debt, network->supply);
    h->active_members = network->health_active;
    h->exposure = network->mirror_debt;
    h->owed = network->mirror_credit;
    ledger_event(end, TALLY_EVENT_HEALTH_RECORDED, network->id, NULL, h->period, due_time);

    /* The next period: its counters start over (the largest debt from nothing: every
     * debtor with a line is seen again at its line's period end, credit.c). */
    network->health_period = h->period == UINT32_MAX ? h->period : h->period + 1;
    network->health_started_at = due_time;
    network->health_volume = 0;
    network->health_written_off = 0;
    network->health_debt_at_start = member_debt;
    network->health_largest_debt = 0;
    network->health_active = 0;
    ledger_due_push(state, health_period_end(due_time), DUE_HEALTH, network->id - 1);
    return true;
}
