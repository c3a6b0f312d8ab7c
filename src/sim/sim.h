/*
 * sim.h: the policy simulator (DESIGN.md section 7, sim/README.md). It runs the real
 * core (tally_apply and tally_end_block, without signatures: the core's own
 * deterministic path) over a generated economy for simulated days, one block a day,
 * and records what a network's policy does: supply and debt, utilisation, velocity,
 * defaults and lost debt, RTD and the pool's parts, who covered each loss, whether
 * the pool still pays at par, what clearing removed, exposures through gateways.
 *
 * The economy is seeded: the same configuration and seed give the same figures, to
 * the byte (nothing here reads a clock or uses floating point; the caller times the
 * run). Layout: sim_config.c reads policies and scenarios from JSON; economy.c
 * makes the networks, members and their habits; simulate.c runs the days and the
 * shocks; report.c writes the CSV, the HTML report and the summary table.
 */
#ifndef TALLY_SIM_H
#define TALLY_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tally.h"

#define SIM_NAME_MAX 48u
#define SIM_MEMBERS_MIN 10u
#define SIM_MEMBERS_MAX 1000000u
#define SIM_SECTORS_MAX 64u
#define SIM_PARTNERS_MAX 4u
#define SIM_SHOCKS_MAX 16u
#define SIM_DAYS_MAX (100u * 366u)
#define SIM_DAY_SECONDS 86400
/* Simulated time starts at 2026-01-01 00:00 UTC. */
#define SIM_START_TIME 1767225600

/*
 * A policy under test: the network policy (tally_policy, validated by the core's
 * NETWORK_CREATE as any network's), its side of its gateways, and the simulation's
 * own figures about the economy it governs. Amounts are minor units of the
 * network's unit (2 decimals) or of the reserve asset (2 decimals, pegged 1:1).
 */
typedef struct {
    char name[SIM_NAME_MAX + 1];
    tally_policy policy;
    tally_gateway_side gateway; /* this network's terms on each gateway to a partner */
    /* The economy. */
    uint32_t members;            /* SIM_MEMBERS_MIN..SIM_MEMBERS_MAX */
    uint32_t sectors;            /* 1..SIM_SECTORS_MAX: member i is in sector i % sectors */
    uint32_t trades_per_member_milli; /* trades a member starts a day, per mille */
    int64_t trade_min, trade_max; /* a trade's amount, uniform in [min, max] */
    uint32_t skew_bps;           /* 0: every member trades alike; 10000: a few trade most */
    uint32_t own_sector_bps;     /* share of purchases from the buyer's own sector */
    uint32_t season_bps;         /* how much a sector's sales fall in its low quarter */
    uint32_t diligent_bps;       /* members who keep their line compliant (the rest may not) */
    uint32_t cross_bps;          /* share of purchases from a partner network's member */
    uint32_t partners;           /* partner networks, each with partner_members, in a ring */
    uint32_t partner_members;
    int64_t pool_deposit;        /* reserve deposited into the pool on day 0 */
    uint32_t underwritten_bps;   /* members with a stake behind their line */
    int64_t stake;               /* the reserve staked behind each of them */
    bool fees_to_pool;           /* operators send the fee account to the pool each 30 days */
    uint32_t clearing_days;      /* a clearing every so many days (0: never) */
    /* The opening position, made on day 0: opening_debtors members owe
     * opening_supply, paid to the others in equal parts (0 and 0: none). */
    uint32_t opening_debtors;
    int64_t opening_supply;
} sim_policy;

typedef enum {
    SIM_SHOCK_DEFAULTS = 0,         /* share_bps of the debtors walk away (and default) */
    SIM_SHOCK_RUN = 1,              /* from `day`, holders redeem as much as they can daily */
    SIM_SHOCK_PARTNER_COLLAPSE = 2, /* partner `partner`: all its debtors walk away, trade stops */
    SIM_SHOCK_DRY_SEASON = 3,       /* sector `sector` sells nothing for `days` */
    SIM_SHOCK_KIND_COUNT
} sim_shock_kind;

typedef struct {
    uint8_t kind; /* sim_shock_kind */
    uint32_t day; /* the simulated day it starts (0: the first) */
    uint32_t share_bps;
    uint32_t partner; /* 1..partners */
    uint32_t sector;
    uint32_t days;
} sim_shock;

typedef struct {
    char name[SIM_NAME_MAX + 1];
    char description[400];
    uint32_t shock_count;
    sim_shock shocks[SIM_SHOCKS_MAX];
} sim_scenario;

/* One simulated day's figures for the network under test, after its block. Amounts
 * in its minor units (reserve converted at the peg); cumulative ones since day 0. */
typedef struct {
    uint32_t day;
    int64_t time;
    int64_t supply, debt, member_debt, lost_debt, limits;
    uint32_t utilisation_bps;     /* member debt / limits, rounded down */
    int64_t volume_30d;           /* what members received in payments, the last 30 days */
    uint32_t velocity_bps;        /* volume_30d / supply, rounded down */
    uint32_t defaults;            /* lines defaulted */
    int64_t written_off;          /* debt written off by those defaults */
    int64_t covered_by_pool_credits; /* lost debt the pool's credits burned */
    int64_t covered_by_underwriters; /* stakes slashed into primary, at the peg */
    int64_t redeemed;             /* credits holders redeemed for reserve */
    int64_t uncovered;            /* lost debt left beyond buffer + primary at the peg */
    int64_t primary, buffer, excess; /* the pool's reserve parts */
    uint32_t rtd_centi_pct;       /* RTD in hundredths of a percent, rounded to nearest */
    bool at_par;                  /* a redemption asked now is paid at par (see simulate.c) */
    int64_t clearing_removed;     /* obligation removed by clearing, in value units */
    int64_t exposure, owed;       /* through its gateways: minted against partners, owed to them */
    uint64_t applied, refused;    /* transactions so far */
} sim_day;

typedef struct {
    sim_policy policy;
    uint32_t days;
    sim_day *rows; /* days of them */
    uint64_t applied, refused;
    uint64_t refusals[TALLY_ERROR_COUNT]; /* refused transactions by code */
    uint32_t first_day_not_at_par; /* UINT32_MAX: always at par */
    char error[256]; /* why the run stopped, when sim_run returned false */
} sim_result;

/* Called after each simulated day (may be NULL). */
typedef void sim_progress_fn(void *context, uint32_t day, uint32_t days);

typedef struct {
    uint64_t seed;
    uint32_t days;
    bool check_invariants; /* the full invariant check after every block (tests) */
    sim_progress_fn *progress;
    void *progress_context;
} sim_options;

/* Runs one policy through a scenario. false when the setup was refused or an
 * invariant broke (result->error says which); result->rows are what ran. */
bool sim_run(const sim_policy *policy, const sim_scenario *scenario, const sim_options *options, sim_result *result);
void sim_result_free(sim_result *result);

/* ---- configuration (sim_config.c) ---- */

/* The simulation's defaults: 1,000 members in 8 sectors, a 500.00 line each, 30-day
 * periods with 15 days of grace (rebalanced), target RTD 20%, no fees. */
void sim_policy_defaults(sim_policy *policy);
/* Reads a policy file (sim/README.md): its "policy" object overrides the network
 * policy's fields by the node's names, its "sim" object the economy's. false with
 * why. */
bool sim_policy_read(const char *path, sim_policy *policy, char *why, size_t why_size);
bool sim_policy_parse(const char *json_text, sim_policy *policy, char *why, size_t why_size);

/* The built-in scenarios, by name; then files. */
uint32_t sim_scenario_builtin_count(void);
const sim_scenario *sim_scenario_builtin(uint32_t index);
/* A built-in name or a scenario file's path. */
bool sim_scenario_find(const char *name_or_path, sim_scenario *scenario, char *why, size_t why_size);
bool sim_scenario_parse(const char *json_text, sim_scenario *scenario, char *why, size_t why_size);
const char *sim_shock_kind_name(uint8_t kind);

/* ---- report (report.c) ---- */

/* The CSV of one run: a header line, then a line per day. */
bool sim_write_csv(FILE *out, const sim_result *result);
/* The summary table, one column per policy: text for people (the command prints
 * it) or CSV. */
void sim_write_summary(FILE *out, const sim_result *results, uint32_t count, bool csv);
/* The self-contained HTML report: every run's figures as data, the plot library
 * inlined (uplot_js, uplot_css: its files' contents), the summary table. */
bool sim_write_html(FILE *out, const sim_scenario *scenario, const sim_options *options, const sim_result *results,
                    uint32_t count, const char *uplot_js, const char *uplot_css);

#endif
