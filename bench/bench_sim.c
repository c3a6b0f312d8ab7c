/*
 * bench_sim.c: the policy simulator's speed (issue 16): 100,000 members (and two
 * partner networks of 25,000 behind gateways) over one simulated year of the
 * defaults-5pct scenario, every transaction through the core without signatures.
 * It prints simulated transactions per second (applied and refused: the core does
 * the work of both) next to its reference from the same run: the core's own rate
 * of plain transfers (bench_core), so the ratio says what the simulator's economy
 * (choosing trades, reading balances, the block ends' periods and defaults, the
 * clearing solver) costs on top of applying.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "sim/sim.h"

void bench_sim(double core_transfers_per_second) {
    sim_policy policy;
    sim_policy_defaults(&policy);
    snprintf(policy.name, sizeof policy.name, "bench");
    policy.members = 100000;
    policy.partners = 2;
    policy.partner_members = 25000;
    policy.policy.fee_bps = 100;
    policy.pool_deposit = 10000000; /* 100,000.00 USD */
    sim_scenario scenario;
    char why[256];
    if (!sim_scenario_find("defaults-5pct", &scenario, why, sizeof why)) {
        printf("sim: %s\n", why);
        return;
    }
    sim_options options = {.seed = 7, .days = 365};
    sim_result result;
    printf("\nsimulator: %u members + 2 partners of %u, %u simulated days, scenario %s, seed 7\n", policy.members,
           policy.partner_members, options.days, scenario.name);
    double start = bench_now_seconds();
    bool ok = sim_run(&policy, &scenario, &options, &result);
    double seconds = bench_now_seconds() - start;
    if (!ok) {
        printf("  failed: %s\n", result.error);
        sim_result_free(&result);
        return;
    }
    uint64_t transactions = result.applied + result.refused;
    double rate = (double)transactions / seconds;
    printf("  %llu transactions (%llu applied, %llu refused) in %.2f s: %.0f simulated transactions/s, "
           "%.1f simulated days/s\n",
           (unsigned long long)transactions, (unsigned long long)result.applied, (unsigned long long)result.refused,
           seconds, rate, options.days / seconds);
    if (core_transfers_per_second > 0)
        printf("  reference, same run: the core applies %.0f plain transfers/s: simulator / core = %.2f\n",
               core_transfers_per_second, rate / core_transfers_per_second);
    sim_result_free(&result);
}
