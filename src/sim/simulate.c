/*
 * simulate.c: the days of a simulation. Each simulated day is one block at
 * SIM_START_TIME + day * 86400: the shocks that start that day, then the members'
 * trades, the diligent members' care for their lines, redemptions, the operators'
 * routine (fees to the pool, clearing), then the core's block end (periods, grace,
 * defaults, the pool's reallocation), whose events say what each default cost and
 * who covered it. Every change goes through tally_apply and tally_end_block_events:
 * the simulator decides what members ask, the core decides what happens.
 *
 * Behaviour (sim/README.md says the same for people):
 * - A trade: a buyer drawn from its network (skewed toward busy members), a seller
 *   from a supplier sector (its own with own_sector_bps, else another), or from a
 *   partner network's member across a gateway (cross_bps); an amount uniform in
 *   [trade_min, trade_max]. A sector in its low quarter loses season_bps of its
 *   sales; a dry sector sells nothing. Refusals (no credit left, a frozen line, a
 *   cap, a gateway's limit or health rule) are counted, never forced.
 * - A diligent member whose line's period ends in this block and who would not be
 *   compliant earns what its network's rule asks from members in credit (its debt
 *   for zero-balance and rebalanced, min_income_bps of it for min-income) and
 *   spends it back on the same creditors: in the same block for rebalanced and
 *   min-income, the next day for zero-balance (its balance must be 0 at the end).
 *   Other members trade and let the rules judge them.
 * - Members who walked away (a shock) neither buy nor sell nor care: the chain
 *   freezes their lines at the period's end and defaults them at grace's end.
 * - During a run, every holder redeems as much of its balance as the pool pays
 *   against lost debt, each day, in the order of their numbers.
 *
 * "At par": a redemption asked is paid at the peg: no lost debt is left, or the
 * pool can still pay on a day (its buffer, or the day's cap of primary, is not
 * zero). The line turns false in the block in which buffer and primary (as far as
 * the cap lets any out) are empty. `uncovered` is the stricter figure: lost debt
 * beyond what buffer and primary could ever pay.
 */
#include "sim/sim_internal.h"

#include <stdlib.h>
#include <string.h>

#include "node/clearing.h"

__extension__ typedef __int128 int128;

static const tally_network *network_of(const sim_world *world, uint32_t net) {
    return tally_state_network(world->state, world->nets[net].id);
}

static int64_t debt_part(int64_t balance) { return balance < 0 ? -balance : 0; }

static bool actor_trades(const sim_world *world, uint32_t actor) {
    const sim_actor *a = &world->actors[actor];
    return (a->flags & SIM_ACTOR_MEMBER) && !(a->flags & SIM_ACTOR_GONE) && !world->nets[a->net].collapsed;
}

/* A position in [0, n), drawn toward the low ones with skew_bps: busy members. */
static uint32_t skewed_below(sim_world *world, uint32_t n) {
    if (sim_rng_chance(&world->rng, world->policy->skew_bps))
        return (uint32_t)sim_rng_below(&world->rng, sim_rng_below(&world->rng, n) + 1);
    return (uint32_t)sim_rng_below(&world->rng, n);
}

/* A member of `net` in `sector`, skewed; UINT32_MAX when the sector is empty. */
static uint32_t member_in_sector(sim_world *world, uint32_t net, uint32_t sector) {
    const sim_net *n = &world->nets[net];
    uint32_t sectors = world->policy->sectors;
    if (sector >= n->member_count) return UINT32_MAX;
    uint32_t in_sector = (n->member_count - sector + sectors - 1) / sectors;
    return n->first_member + skewed_below(world, in_sector) * sectors + sector;
}

static bool in_low_season(const sim_world *world, uint32_t sector) {
    uint32_t quarter = (world->day / 30) % 12 / 3;
    return quarter == sector % 4;
}

static bool sector_sells(sim_world *world, uint32_t net, uint32_t sector) {
    if (net == 0 && sector < SIM_SECTORS_MAX && world->day < world->dry_until[sector]) return false;
    if (in_low_season(world, sector) && sim_rng_chance(&world->rng, world->policy->season_bps)) return false;
    return true;
}

static void count_volume(sim_world *world, uint32_t net, int64_t amount) {
    if (net == 0) world->volume_days[world->day % 30] += amount;
}

static tally_result pay(sim_world *world, uint32_t payer, uint32_t payee, int64_t amount) {
    tally_tx tx = sim_tx(TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = world->nets[world->actors[payer].net].id;
    tx.body.transfer.payee = world->actors[payee].key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount;
    tally_result result = sim_apply(world, payer, &tx);
    if (result.code == TALLY_OK) count_volume(world, world->actors[payee].net, amount);
    return result;
}

/* The gateway between nets a and b, if the ring has one. */
static const sim_gateway *gateway_between(const sim_world *world, uint32_t a, uint32_t b) {
    for (uint32_t i = 0; i < world->gateway_count; i++) {
        const sim_gateway *g = &world->gateways[i];
        if ((g->a == a && g->b == b) || (g->a == b && g->b == a)) return g;
    }
    return NULL;
}

static void pay_across(sim_world *world, uint32_t payer, uint32_t payee, int64_t amount) {
    uint32_t from = world->actors[payer].net, to = world->actors[payee].net;
    const sim_gateway *gateway = gateway_between(world, from, to);
    if (!gateway) return;
    tally_tx tx = sim_tx(TALLY_TX_TRANSFER_CROSS);
    tally_tx_transfer_cross *body = &tx.body.transfer_cross;
    body->network_id = world->nets[from].id;
    body->payee = world->actors[payee].key;
    body->amount = amount;
    body->max_fee = amount;
    body->min_received = 1;
    body->hop_count = 1;
    body->gateways[0] = gateway->id;
    tally_result result = sim_apply(world, payer, &tx);
    if (result.code == TALLY_OK) count_volume(world, to, result.available);
}

static void one_trade(sim_world *world, uint32_t net) {
    const sim_policy *policy = world->policy;
    const sim_net *n = &world->nets[net];
    uint32_t buyer = n->first_member + skewed_below(world, n->member_count);
    int64_t amount = policy->trade_min;
    if (policy->trade_max > policy->trade_min)
        amount += (int64_t)sim_rng_below(&world->rng, (uint64_t)(policy->trade_max - policy->trade_min + 1));
    if (world->net_count > 1 && sim_rng_chance(&world->rng, policy->cross_bps)) {
        /* A neighbour in the ring of gateways: the next one (downstream in a supply
         * chain) seven times in ten, so that obligations run around the ring and
         * clearing has cycles to set off. */
        uint32_t partner = sim_rng_chance(&world->rng, 7000) ? (net + 1) % world->net_count
                                                             : (net + world->net_count - 1) % world->net_count;
        if (partner == net || !gateway_between(world, net, partner)) return;
        uint32_t sector = (uint32_t)sim_rng_below(&world->rng, policy->sectors);
        uint32_t seller = member_in_sector(world, partner, sector);
        if (seller == UINT32_MAX || !actor_trades(world, buyer) || !actor_trades(world, seller)) return;
        if (!sector_sells(world, partner, sector)) return;
        pay_across(world, buyer, seller, amount);
        return;
    }
    uint32_t own = world->actors[buyer].sector, sector = own;
    if (policy->sectors > 1 && !sim_rng_chance(&world->rng, policy->own_sector_bps))
        sector = (own + 1 + (uint32_t)sim_rng_below(&world->rng, policy->sectors - 1)) % policy->sectors;
    uint32_t seller = member_in_sector(world, net, sector);
    if (seller == UINT32_MAX || seller == buyer || !actor_trades(world, buyer) || !actor_trades(world, seller)) return;
    if (!sector_sells(world, net, sector)) return;
    (void)pay(world, buyer, seller, amount);
}

static void trades(sim_world *world) {
    for (uint32_t net = 0; net < world->net_count; net++) {
        const sim_net *n = &world->nets[net];
        if (n->collapsed) continue;
        uint64_t milli = (uint64_t)n->member_count * world->policy->trades_per_member_milli;
        uint64_t count = milli / 1000;
        if (sim_rng_below(&world->rng, 1000) < milli % 1000) count++;
        for (uint64_t i = 0; i < count; i++) one_trade(world, net);
    }
}

static bool payback_add(sim_world *world, uint32_t payer, uint32_t payee, int64_t amount) {
    if (world->payback_count == world->payback_capacity) {
        uint32_t capacity = world->payback_capacity ? world->payback_capacity * 2 : 256;
        sim_payback *grown = realloc(world->paybacks, capacity * sizeof *grown);
        if (!grown) return false;
        world->paybacks = grown;
        world->payback_capacity = capacity;
    }
    world->paybacks[world->payback_count++] = (sim_payback){payer, payee, amount};
    return true;
}

static void paybacks_due(sim_world *world) {
    uint32_t count = world->payback_count;
    world->payback_count = 0;
    for (uint32_t i = 0; i < count; i++) {
        const sim_payback *p = &world->paybacks[i];
        if (actor_trades(world, p->payer) && actor_trades(world, p->payee))
            (void)pay(world, p->payer, p->payee, p->amount);
    }
}

/* What the network's rule still asks of this line by the end of its period. */
static int64_t compliance_needed(const tally_network *network, const tally_member *m) {
    if (m->balance >= 0) return 0;
    switch (network->policy.compliance_rule) {
    case TALLY_COMPLIANCE_ZERO_BALANCE: return -m->balance;
    case TALLY_COMPLIANCE_REBALANCED: return m->rebalanced_in_period ? 0 : -m->balance;
    default: {
        /* income >= ceil(debt * min_income_bps / 10000) */
        int128 asked = ((int128)-m->balance * network->policy.min_income_bps + TALLY_BPS_ONE - 1) / TALLY_BPS_ONE;
        int64_t needed = (int64_t)asked - m->income_in_period;
        return needed > 0 ? needed : 0;
    }
    }
}

#define SIM_CREDITOR_TRIES 64u

/* The diligent member earns `needed` from members in credit, then spends it back
 * on them (now, or the next day for zero-balance). */
static void keep_compliant(sim_world *world, uint32_t debtor, int64_t needed) {
    const sim_net *n = &world->nets[world->actors[debtor].net];
    const tally_network *network = tally_state_network(world->state, n->id);
    bool later = network->policy.compliance_rule == TALLY_COMPLIANCE_ZERO_BALANCE;
    uint32_t paid_by[SIM_CREDITOR_TRIES];
    int64_t paid[SIM_CREDITOR_TRIES];
    uint32_t count = 0;
    for (uint32_t tries = 0; tries < SIM_CREDITOR_TRIES && needed > 0; tries++) {
        uint32_t creditor = n->first_member + (uint32_t)sim_rng_below(&world->rng, n->member_count);
        if (creditor == debtor || !actor_trades(world, creditor)) continue;
        const tally_member *c = sim_member(world, creditor);
        /* What it holds, less the fee the payment costs it (rounded up). */
        int64_t spendable = c->balance - c->pending_out;
        if (spendable <= 0) continue;
        int64_t amount = (int64_t)((int128)spendable * TALLY_BPS_ONE / (TALLY_BPS_ONE + network->policy.fee_bps));
        if (amount > needed) amount = needed;
        if (amount <= 0) continue;
        if (pay(world, creditor, debtor, amount).code != TALLY_OK) continue;
        needed -= amount;
        paid_by[count] = creditor;
        paid[count++] = amount;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (later) (void)payback_add(world, debtor, paid_by[i], paid[i]);
        else (void)pay(world, debtor, paid_by[i], paid[i]);
    }
}

static void diligence(sim_world *world) {
    if (tally_state_next_due(world->state) > world->time) return;
    for (uint32_t actor = 0; actor < world->actor_count; actor++) {
        const sim_actor *a = &world->actors[actor];
        if (!(a->flags & SIM_ACTOR_DILIGENT) || !actor_trades(world, actor)) continue;
        const tally_member *m = sim_member(world, actor);
        bool due = (m->line_status == TALLY_LINE_ACTIVE && m->period_end <= world->time) ||
                   (m->line_status == TALLY_LINE_FROZEN && m->grace_end <= world->time);
        if (!due) continue;
        int64_t needed = compliance_needed(network_of(world, a->net), m);
        if (needed > 0) keep_compliant(world, actor, needed);
    }
}

/* What the pool of net pays today at the 1:1 peg: its buffer and what the day's cap
 * leaves of primary. */
static int64_t payable_today(const sim_world *world, const tally_network *network) {
    int64_t allowance = tally_network_redeem_allowance(network, world->time);
    if (allowance > network->pool_primary) allowance = network->pool_primary;
    return network->pool_buffer + allowance;
}

/* Holders of the network under test redeem what the pool pays against lost debt:
 * each asks the least of its balance, the lost debt and what the pool pays today. */
static void redemptions(sim_world *world) {
    const sim_net *n = &world->nets[0];
    for (uint32_t i = 0; i < n->member_count; i++) {
        const tally_network *network = network_of(world, 0);
        const tally_member *lost = tally_state_member_at(world->state, network->lost_debt_member);
        int64_t payable = payable_today(world, network);
        if (debt_part(lost->balance) == 0 || payable == 0) return;
        uint32_t actor = n->first_member + i;
        if (!actor_trades(world, actor)) continue;
        const tally_member *m = sim_member(world, actor);
        int64_t ask = m->balance - m->pending_out;
        if (ask > debt_part(lost->balance)) ask = debt_part(lost->balance);
        if (ask > payable) ask = payable;
        for (int attempt = 0; attempt < 3 && ask > 0; attempt++) {
            tally_tx tx = sim_tx(TALLY_TX_POOL_REDEEM);
            tx.body.pool_amount.network_id = n->id;
            tx.body.pool_amount.amount = ask;
            tally_result result = sim_apply(world, actor, &tx);
            if (result.code == TALLY_OK) {
                world->redeemed += result.burned;
                break;
            }
            /* The refusal says how much would pass: ask that. */
            ask = result.available < ask ? result.available : 0;
        }
    }
}

static void fees_to_pool(sim_world *world) {
    if (!world->policy->fees_to_pool || world->day == 0 || world->day % 30 != 0) return;
    for (uint32_t net = 0; net < world->net_count; net++) {
        const tally_network *network = network_of(world, net);
        const tally_member *fees = tally_state_member_at(world->state, network->fee_member);
        if (fees->balance <= 0) continue;
        tally_tx tx = sim_tx(TALLY_TX_FEE_DISTRIBUTE);
        tx.body.fee_distribute.network_id = network->id;
        tx.body.fee_distribute.to_pool = true;
        tx.body.fee_distribute.amount = fees->balance;
        (void)sim_apply(world, world->nets[net].operator_actor, &tx);
    }
}

static void clearing(sim_world *world) {
    uint32_t every = world->policy->clearing_days;
    if (every == 0 || world->day == 0 || world->day % every != 0 || world->gateway_count < 3) return;
    clearing_plan plan;
    if (!clearing_plan_make(world->state, &plan)) return;
    for (uint32_t i = 0; i < plan.transaction_count; i++) {
        tally_tx tx = sim_tx(TALLY_TX_CLEARING);
        tx.body.clearing = plan.transactions[i];
        if (sim_apply(world, world->bank, &tx).code != TALLY_OK) continue;
        /* Every network is pegged 1:1, so a set-off's value is its amount. */
        for (uint8_t s = 0; s < tx.body.clearing.count; s++) world->clearing_removed += tx.body.clearing.setoffs[s].amount_a;
    }
    clearing_plan_free(&plan);
}

static void walk_away(sim_world *world, uint32_t actor) { world->actors[actor].flags |= SIM_ACTOR_GONE; }

/* share_bps of the network's members in debt (rounded to nearest, at least one)
 * walk away, drawn from the seed. */
static bool debtors_default(sim_world *world, uint32_t net, uint32_t share_bps) {
    const sim_net *n = &world->nets[net];
    uint32_t *debtors = malloc((size_t)n->member_count * sizeof *debtors);
    if (!debtors) return false;
    uint32_t count = 0;
    for (uint32_t i = 0; i < n->member_count; i++) {
        uint32_t actor = n->first_member + i;
        if (actor_trades(world, actor) && sim_member(world, actor)->balance < 0) debtors[count++] = actor;
    }
    uint64_t chosen = ((uint64_t)count * share_bps + TALLY_BPS_ONE / 2) / TALLY_BPS_ONE;
    if (chosen == 0 && share_bps > 0 && count > 0) chosen = 1;
    for (uint32_t i = 0; i < chosen; i++) {
        uint32_t j = i + (uint32_t)sim_rng_below(&world->rng, count - i);
        uint32_t swap = debtors[i];
        debtors[i] = debtors[j];
        debtors[j] = swap;
        walk_away(world, debtors[i]);
    }
    free(debtors);
    return true;
}

static bool shocks_today(sim_world *world, char *why, size_t why_size) {
    for (uint32_t i = 0; i < world->scenario->shock_count; i++) {
        const sim_shock *shock = &world->scenario->shocks[i];
        if (shock->day != world->day) continue;
        switch (shock->kind) {
        case SIM_SHOCK_DEFAULTS:
            if (!debtors_default(world, 0, shock->share_bps)) {
                snprintf(why, why_size, "out of memory");
                return false;
            }
            break;
        case SIM_SHOCK_RUN: world->run = true; break;
        case SIM_SHOCK_PARTNER_COLLAPSE:
            if (shock->partner == 0 || shock->partner >= world->net_count) {
                snprintf(why, why_size, "the scenario's partner-collapse names partner %u; the policy has %u",
                         shock->partner, world->net_count - 1);
                return false;
            }
            if (!debtors_default(world, shock->partner, TALLY_BPS_ONE)) {
                snprintf(why, why_size, "out of memory");
                return false;
            }
            world->nets[shock->partner].collapsed = true;
            break;
        case SIM_SHOCK_DRY_SEASON:
            if (shock->sector < SIM_SECTORS_MAX) world->dry_until[shock->sector] = world->day + shock->days;
            break;
        default: break;
        }
    }
    return true;
}

typedef struct {
    sim_world *world;
    uint32_t network_id;
} event_sink;

static void on_event(void *context, const tally_event *event) {
    event_sink *sink = context;
    if (event->network_id != sink->network_id) return;
    sim_world *world = sink->world;
    switch (event->kind) {
    case TALLY_EVENT_LINE_DEFAULTED:
        world->defaults++;
        world->written_off += event->amount;
        break;
    case TALLY_EVENT_LOST_DEBT_COVERED: world->covered_by_pool_credits += event->amount; break;
    /* Reserve slashed into primary; at the 1:1 peg it covers as many credits. */
    case TALLY_EVENT_STAKE_SLASHED: world->covered_by_underwriters += event->amount; break;
    default: break;
    }
}

static uint32_t ratio_bps(int64_t part, int64_t whole) {
    if (whole <= 0 || part <= 0) return 0;
    int128 ratio = (int128)part * TALLY_BPS_ONE / whole;
    return ratio > UINT32_MAX ? UINT32_MAX : (uint32_t)ratio;
}

static void record(sim_world *world, sim_day *row) {
    const tally_network *network = network_of(world, 0);
    const tally_member *lost = tally_state_member_at(world->state, network->lost_debt_member);
    memset(row, 0, sizeof *row);
    row->day = world->day;
    row->time = world->time;
    row->supply = network->supply;
    row->debt = network->debt;
    row->lost_debt = debt_part(lost->balance);
    row->member_debt = network->debt - row->lost_debt - network->mirror_debt;
    row->limits = network->limits_total > INT64_MAX ? INT64_MAX : (int64_t)network->limits_total;
    row->utilisation_bps = ratio_bps(row->member_debt, row->limits);
    for (int i = 0; i < 30; i++) row->volume_30d += world->volume_days[i];
    row->velocity_bps = ratio_bps(row->volume_30d, row->supply);
    row->defaults = world->defaults;
    row->written_off = world->written_off;
    row->covered_by_pool_credits = world->covered_by_pool_credits;
    row->covered_by_underwriters = world->covered_by_underwriters;
    row->redeemed = world->redeemed;
    row->primary = network->pool_primary;
    row->buffer = network->pool_buffer;
    row->excess = network->pool_excess;
    int64_t payable = network->pool_buffer + network->pool_primary; /* credits at the 1:1 peg */
    row->uncovered = row->lost_debt > payable ? row->lost_debt - payable : 0;
    /* At par while the pool can still pay something on a day: its buffer, or the
     * cap's share of primary on a day no redemption has touched yet. */
    int64_t fresh_day = (int64_t)((int128)network->pool_primary * network->policy.redeem_cap_bps / TALLY_BPS_ONE);
    row->at_par = row->lost_debt == 0 || network->pool_buffer + fresh_day > 0;
    /* RTD in hundredths of a percent, rounded half up: primary * 10000 / supply. */
    row->rtd_centi_pct = network->supply > 0
                             ? (uint32_t)(((int128)network->pool_primary * 2 * TALLY_BPS_ONE + network->supply) /
                                          (2 * (int128)network->supply))
                             : 0;
    row->clearing_removed = world->clearing_removed;
    row->exposure = network->mirror_debt;
    row->owed = network->mirror_credit;
    row->applied = world->result->applied;
    row->refused = world->result->refused;
}

static bool validate(const sim_policy *policy, const sim_options *options, char *why, size_t size) {
    if (policy->members < SIM_MEMBERS_MIN || policy->members > SIM_MEMBERS_MAX)
        snprintf(why, size, "members must be %u..%u", SIM_MEMBERS_MIN, SIM_MEMBERS_MAX);
    else if (policy->sectors < 1 || policy->sectors > SIM_SECTORS_MAX)
        snprintf(why, size, "sectors must be 1..%u", SIM_SECTORS_MAX);
    else if (policy->partners > SIM_PARTNERS_MAX) snprintf(why, size, "partners must be 0..%u", SIM_PARTNERS_MAX);
    else if (policy->partners > 0 && (policy->partner_members < SIM_MEMBERS_MIN || policy->partner_members > SIM_MEMBERS_MAX))
        snprintf(why, size, "partner_members must be %u..%u", SIM_MEMBERS_MIN, SIM_MEMBERS_MAX);
    else if (policy->trade_min <= 0 || policy->trade_max < policy->trade_min)
        snprintf(why, size, "trades must have 0 < trade_min <= trade_max");
    else if (options->days < 1 || options->days > SIM_DAYS_MAX) snprintf(why, size, "days must be 1..%u", SIM_DAYS_MAX);
    else return true;
    return false;
}

bool sim_run(const sim_policy *policy, const sim_scenario *scenario, const sim_options *options, sim_result *result) {
    memset(result, 0, sizeof *result);
    result->policy = *policy;
    result->first_day_not_at_par = UINT32_MAX;
    if (!validate(policy, options, result->error, sizeof result->error)) return false;
    result->rows = calloc(options->days, sizeof *result->rows);
    if (!result->rows) {
        snprintf(result->error, sizeof result->error, "out of memory");
        return false;
    }
    sim_world *world = calloc(1, sizeof *world);
    if (!world) {
        snprintf(result->error, sizeof result->error, "out of memory");
        return false;
    }
    world->policy = policy;
    world->scenario = scenario;
    world->result = result;
    world->rng.state = options->seed;
    bool ok = sim_economy_make(world, result->error, sizeof result->error);
    for (uint32_t day = 0; ok && day < options->days; day++) {
        world->day = day;
        world->time = SIM_START_TIME + (int64_t)day * SIM_DAY_SECONDS;
        world->volume_days[day % 30] = 0;
        if (!shocks_today(world, result->error, sizeof result->error)) {
            ok = false;
            break;
        }
        if (day > 0) { /* day 0 is the economy's making */
            paybacks_due(world);
            trades(world);
            diligence(world);
            if (world->run) redemptions(world);
            fees_to_pool(world);
            clearing(world);
        }
        event_sink sink = {world, world->nets[0].id};
        (void)tally_end_block_events(world->state, world->time, on_event, &sink);
        if (options->check_invariants) {
            char why[200];
            if (!tally_check_invariants(world->state, why, sizeof why)) {
                snprintf(result->error, sizeof result->error, "day %u: an invariant broke: %s", day, why);
                ok = false;
                break;
            }
        }
        record(world, &result->rows[day]);
        result->days = day + 1;
        if (!result->rows[day].at_par && result->first_day_not_at_par == UINT32_MAX)
            result->first_day_not_at_par = day;
        if (options->progress) options->progress(options->progress_context, day + 1, options->days);
    }
    sim_economy_free(world);
    free(world);
    return ok;
}

void sim_result_free(sim_result *result) {
    free(result->rows);
    result->rows = NULL;
}
