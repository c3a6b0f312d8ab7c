/*
 * test_sim.c: the policy simulator (src/sim/) against exact figures. The small
 * scenarios of issue 16 (no fees, peg 1:1): 100 members, supply 10,000 owed by 20
 * debtors of 500 each to 80 creditors of 125, primary 2,000 (RTD 20%); one debtor
 * in twenty (5%) walks away on day 1, the chain freezes its line at the period's
 * end (day 30) and defaults it at grace's end (day 40), and holders redeem against
 * the lost debt from day 41. Then a run that drains the pool under a daily cap,
 * checked against the cap's rule day by day; a seeded economy with every shock,
 * whose invariants hold after every block and whose CSV is byte-identical for a
 * seed; and the configuration's refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "test.h"

#define UNITS(x) ((int64_t)(x) * 100) /* 2 decimals */

/* The exact economy: no trade but the opening and the diligent members' care. */
static sim_policy exact_policy(int64_t pool_deposit) {
    sim_policy p;
    sim_policy_defaults(&p);
    snprintf(p.name, sizeof p.name, "exact");
    p.policy.default_credit_limit = UNITS(1000);
    p.policy.max_credit_limit = UNITS(1000);
    p.policy.fee_bps = 0;
    p.policy.period_seconds = 30 * SIM_DAY_SECONDS;
    p.policy.grace_seconds = 10 * SIM_DAY_SECONDS;
    p.policy.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    p.policy.target_rtd_bps = 2000;
    p.policy.redeem_cap_bps = 10000;
    p.members = 100;
    p.sectors = 1;
    p.trades_per_member_milli = 0;
    p.trade_min = p.trade_max = 1;
    p.diligent_bps = 10000;
    p.partners = 0;
    p.pool_deposit = pool_deposit;
    p.fees_to_pool = false;
    p.clearing_days = 0;
    p.opening_debtors = 20;
    p.opening_supply = UNITS(10000);
    return p;
}

static sim_scenario defaults_then_redeem(uint32_t share_bps) {
    sim_scenario s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "exact-defaults");
    s.shock_count = 2;
    s.shocks[0] = (sim_shock){.kind = SIM_SHOCK_DEFAULTS, .day = 1, .share_bps = share_bps};
    s.shocks[1] = (sim_shock){.kind = SIM_SHOCK_RUN, .day = 1};
    return s;
}

static bool run(const sim_policy *policy, const sim_scenario *scenario, uint32_t days, uint64_t seed,
                sim_result *result) {
    sim_options options = {.seed = seed, .days = days, .check_invariants = true};
    bool ok = sim_run(policy, scenario, &options, result);
    if (!ok) fprintf(stderr, "sim_run: %s\n", result->error);
    return ok;
}

static char *csv_of(const sim_result *result) {
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) return NULL;
    bool ok = sim_write_csv(out, result);
    fclose(out);
    if (!ok) {
        free(text);
        return NULL;
    }
    return text;
}

TEST(sim_five_percent_of_debt_defaults_and_holders_redeem_it_all_from_primary_2000) {
    sim_policy policy = exact_policy(UNITS(2000));
    sim_scenario scenario = defaults_then_redeem(500);
    sim_result result;
    REQUIRE(run(&policy, &scenario, 60, 1, &result));
    const sim_day *start = &result.rows[0], *before = &result.rows[39], *at = &result.rows[40],
                  *after = &result.rows[41], *end = &result.rows[59];
    CHECK_EQ(start->supply, UNITS(10000));
    CHECK_EQ(start->primary, UNITS(2000));
    CHECK_EQ(start->rtd_centi_pct, 2000); /* 20.00% */
    /* Frozen at day 30, defaulted at the end of grace (day 40), and no earlier. */
    CHECK_EQ(before->defaults, 0);
    CHECK_EQ(before->lost_debt, 0);
    CHECK_EQ(at->defaults, 1);
    CHECK_EQ(at->written_off, UNITS(500));
    CHECK_EQ(at->lost_debt, UNITS(500));
    CHECK_EQ(at->covered_by_pool_credits, 0); /* no fees: the pool holds no credits */
    CHECK_EQ(at->supply, UNITS(10000));
    CHECK(at->at_par);
    /* Day 41: holders redeem 500 against it, all paid from primary. */
    CHECK_EQ(after->redeemed, UNITS(500));
    CHECK_EQ(after->lost_debt, 0);
    CHECK_EQ(after->primary, UNITS(1500));
    CHECK_EQ(after->supply, UNITS(9500));
    CHECK_EQ(after->rtd_centi_pct, 1579); /* 1,500 / 9,500 = 15.789...% */
    CHECK_EQ(after->uncovered, 0);
    CHECK_EQ(end->supply, UNITS(9500));
    CHECK_EQ(end->member_debt, UNITS(9500)); /* the 19 diligent debtors kept their lines */
    CHECK_EQ(end->defaults, 1);
    CHECK_EQ(result.first_day_not_at_par, UINT32_MAX);
    char *csv = csv_of(&result);
    REQUIRE(csv);
    /* The CSV line of day 41, as people read it (the 30 days of volume are the 19
     * diligent debtors' 500 earned and 500 spent back on day 30: 19,000). */
    CHECK(strstr(csv, "\n41,2026-02-11,9500.00,9500.00,9500.00,0.00,100000.00,9.50,19000.00,200.00,1,500.00,0.00,"
                      "0.00,500.00,0.00,1500.00,0.00,0.00,15.79,true,0.00,0.00,0.00\n"));
    free(csv);
    sim_result_free(&result);
}

TEST(sim_the_same_shock_with_primary_200_pays_200_and_leaves_300_uncovered) {
    sim_policy policy = exact_policy(UNITS(200));
    sim_scenario scenario = defaults_then_redeem(500);
    sim_result result;
    REQUIRE(run(&policy, &scenario, 60, 1, &result));
    CHECK_EQ(result.rows[0].primary, UNITS(200));
    CHECK_EQ(result.rows[0].rtd_centi_pct, 200); /* 2.00% */
    const sim_day *after = &result.rows[41];
    CHECK_EQ(after->redeemed, UNITS(200));
    CHECK_EQ(after->primary, 0);
    CHECK_EQ(after->lost_debt, UNITS(300));
    CHECK_EQ(after->uncovered, UNITS(300));
    CHECK_EQ(after->supply, UNITS(9800));
    CHECK(!after->at_par);
    CHECK(result.rows[40].at_par);
    CHECK_EQ(result.first_day_not_at_par, 41);
    /* The report says so: the summary's lines. */
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    REQUIRE(out);
    sim_write_summary(out, &result, 1, true);
    fclose(out);
    CHECK(strstr(text, "uncovered at the end,300.00\n"));
    CHECK(strstr(text, "redeemed for reserve,200.00\n"));
    CHECK(strstr(text, "redeemable at par,until day 41\n"));
    free(text);
    sim_result_free(&result);
}

/* A run under a cap of half of primary a day: 8 debtors of 20 walk away (4,000 of
 * lost debt against 2,000 of primary); from day 41 holders redeem as much as the
 * cap lets out each day. The model below is the pool's rule (the day's allowance
 * is half of primary at its first redemption, rounded down); the line turns false
 * in the block after which not one minor unit can leave. */
TEST(sim_a_run_pays_at_par_until_the_pool_is_empty_and_at_par_turns_false_at_that_block) {
    sim_policy policy = exact_policy(UNITS(2000));
    policy.policy.redeem_cap_bps = 5000;
    sim_scenario scenario = defaults_then_redeem(4000);
    sim_result result;
    REQUIRE(run(&policy, &scenario, 90, 1, &result));
    CHECK_EQ(result.rows[40].lost_debt, UNITS(4000));
    int64_t primary = UNITS(2000), lost = UNITS(4000), redeemed = 0;
    uint32_t expected_false = UINT32_MAX;
    for (uint32_t day = 41; day < 90; day++) {
        int64_t allowance = primary * 5000 / 10000;
        int64_t paid = allowance < lost ? allowance : lost;
        primary -= paid;
        lost -= paid;
        redeemed += paid;
        bool at_par = lost == 0 || primary * 5000 / 10000 > 0;
        if (!at_par && expected_false == UINT32_MAX) expected_false = day;
        CHECK_EQ(result.rows[day].primary, primary);
        CHECK_EQ(result.rows[day].redeemed, redeemed);
        CHECK_EQ(result.rows[day].at_par, at_par);
    }
    CHECK_EQ(expected_false, 58); /* 2,000.00 halves down to 0.01 on day 58 */
    CHECK_EQ(result.first_day_not_at_par, expected_false);
    /* 2,000.01 of lost debt left, less the 0.01 of primary that no day lets out. */
    CHECK_EQ(result.rows[89].lost_debt, UNITS(2000) + 1);
    CHECK_EQ(result.rows[89].uncovered, UNITS(2000));
    /* With no cap the same run empties primary in one block: false at day 41. */
    sim_result_free(&result);
    policy.policy.redeem_cap_bps = 10000;
    REQUIRE(run(&policy, &scenario, 45, 1, &result));
    CHECK_EQ(result.rows[41].primary, 0);
    CHECK_EQ(result.rows[41].redeemed, UNITS(2000));
    CHECK(result.rows[40].at_par);
    CHECK_EQ(result.first_day_not_at_par, 41);
    sim_result_free(&result);
}

/* A seeded economy with partners, clearing, stakes, fees to the pool and every
 * shock; invariants are checked after every block (sim_run fails otherwise). */
static sim_policy busy_policy(void) {
    sim_policy p;
    sim_policy_defaults(&p);
    snprintf(p.name, sizeof p.name, "busy");
    p.members = 300;
    p.partners = 2;
    p.partner_members = 150;
    p.policy.fee_bps = 100;
    p.policy.collateral_ratio_bps = 10000;
    p.underwritten_bps = 2000;
    p.stake = UNITS(100);
    p.pool_deposit = UNITS(500);
    p.cross_bps = 1500;
    p.diligent_bps = 8000;
    p.gateway.limit = UNITS(2000);
    p.gateway.max_partner_default_bps = 500;
    return p;
}

static sim_scenario every_shock(void) {
    sim_scenario s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "every-shock");
    s.shock_count = 4;
    s.shocks[0] = (sim_shock){.kind = SIM_SHOCK_DRY_SEASON, .day = 20, .sector = 2, .days = 60};
    s.shocks[1] = (sim_shock){.kind = SIM_SHOCK_DEFAULTS, .day = 50, .share_bps = 1000};
    s.shocks[2] = (sim_shock){.kind = SIM_SHOCK_RUN, .day = 60};
    s.shocks[3] = (sim_shock){.kind = SIM_SHOCK_PARTNER_COLLAPSE, .day = 70, .partner = 1};
    return s;
}

TEST(sim_every_shock_keeps_the_invariants_and_the_same_seed_gives_the_same_csv) {
    sim_policy policy = busy_policy();
    sim_scenario scenario = every_shock();
    sim_result a, b, c;
    REQUIRE(run(&policy, &scenario, 150, 7, &a));
    REQUIRE(run(&policy, &scenario, 150, 7, &b));
    REQUIRE(run(&policy, &scenario, 150, 8, &c));
    char *csv_a = csv_of(&a), *csv_b = csv_of(&b), *csv_c = csv_of(&c);
    REQUIRE(csv_a && csv_b && csv_c);
    CHECK(strcmp(csv_a, csv_b) == 0);
    CHECK(strcmp(csv_a, csv_c) != 0);
    const sim_day *end = &a.rows[149];
    /* The economy did what the shocks ask: lines defaulted (the dry sector and the
     * walkers), fee credits reached the pool and covered losses, holders redeemed,
     * clearing set off cycles, exposure to partners arose. */
    CHECK(end->defaults > 0);
    CHECK(end->written_off > 0);
    CHECK(end->covered_by_pool_credits > 0);
    CHECK(end->redeemed > 0);
    CHECK(end->clearing_removed > 0);
    CHECK(a.applied > 10000);
    int64_t peak_exposure = 0;
    for (uint32_t d = 0; d < a.days; d++)
        if (a.rows[d].exposure > peak_exposure) peak_exposure = a.rows[d].exposure;
    CHECK(peak_exposure > 0);
    /* Zero sum, seen from the report: supply == debt on every day. */
    for (uint32_t d = 0; d < a.days; d++) CHECK_EQ(a.rows[d].supply, a.rows[d].debt);
    free(csv_a);
    free(csv_b);
    free(csv_c);
    sim_result_free(&a);
    sim_result_free(&b);
    sim_result_free(&c);
}

TEST(sim_policy_files_read_the_node_names_and_refuse_what_they_do_not_know) {
    sim_policy p;
    char why[256];
    REQUIRE(sim_policy_parse("{\"name\":\"tight\",\"policy\":{\"default_credit_limit\":\"12.50\","
                             "\"max_credit_limit\":5000,\"period_days\":7,\"compliance_rule\":\"zero-balance\","
                             "\"fee_bps\":25},\"gateway\":{\"limit\":\"100.00\"},\"sim\":{\"members\":50,"
                             "\"trades_per_member_day\":\"0.25\",\"partners\":1}}",
                             &p, why, sizeof why));
    CHECK(strcmp(p.name, "tight") == 0);
    CHECK_EQ(p.policy.default_credit_limit, 1250);
    CHECK_EQ(p.policy.max_credit_limit, 5000); /* an integer: minor units, as the node writes them */
    CHECK_EQ(p.policy.period_seconds, 7 * SIM_DAY_SECONDS);
    CHECK_EQ(p.policy.compliance_rule, TALLY_COMPLIANCE_ZERO_BALANCE);
    CHECK_EQ(p.policy.fee_bps, 25);
    CHECK_EQ(p.gateway.limit, 10000);
    CHECK_EQ(p.members, 50);
    CHECK_EQ(p.trades_per_member_milli, 250);
    CHECK_EQ(p.partners, 1);
    REQUIRE(sim_policy_parse("{\"policy\":{\"algorithmic_limits\":{\"enabled\":true,\"base\":\"100.00\","
                             "\"step_max\":\"50.00\",\"income_bps\":20000},\"reputation\":{\"base\":300}}}",
                             &p, why, sizeof why));
    CHECK(p.policy.algorithmic_limits.enabled);
    CHECK_EQ(p.policy.algorithmic_limits.base, 10000);
    CHECK_EQ(p.policy.algorithmic_limits.step_max, 5000);
    CHECK_EQ(p.policy.algorithmic_limits.income_bps, 20000);
    CHECK_EQ(p.policy.reputation.base, 300);
    CHECK_EQ(p.policy.reputation.age_weight, 200); /* the core's default weights stay */
    CHECK(!sim_policy_parse("{\"policy\":{\"reputation\":{\"bias\":1}}}", &p, why, sizeof why));
    CHECK(strstr(why, "policy.reputation has no field \"bias\""));
    CHECK(!sim_policy_parse("{\"policy\":{\"fee_bsp\":25}}", &p, why, sizeof why));
    CHECK(strstr(why, "policy has no field \"fee_bsp\""));
    CHECK(!sim_policy_parse("{\"policy\":{\"fee_bps\":10001}}", &p, why, sizeof why));
    CHECK(strstr(why, "policy.fee_bps must be basis points"));
    CHECK(!sim_policy_parse("{\"policy\":{\"default_credit_limit\":\"12.505\"}}", &p, why, sizeof why));
    CHECK(strstr(why, "policy.default_credit_limit must be an amount"));
    CHECK(!sim_policy_parse("{\"policy\":{\"compliance_rule\":\"sometimes\"}}", &p, why, sizeof why));
    CHECK(strstr(why, "compliance_rule"));
    CHECK(!sim_policy_parse("{\"simulation\":{}}", &p, why, sizeof why));
    CHECK(strstr(why, "no field \"simulation\""));
    CHECK(!sim_policy_parse("[1,", &p, why, sizeof why));
    CHECK(strstr(why, "not JSON"));

    sim_scenario s;
    REQUIRE(sim_scenario_find("pool-run", &s, why, sizeof why));
    CHECK_EQ(s.shock_count, 2);
    CHECK_EQ(s.shocks[0].share_bps, 2500);
    CHECK(!sim_scenario_find("pool-rum", &s, why, sizeof why));
    CHECK(strstr(why, "no scenario \"pool-rum\""));
    REQUIRE(sim_scenario_parse("{\"name\":\"x\",\"shocks\":[{\"kind\":\"dry-season\",\"day\":3,\"sector\":1,"
                               "\"days\":9},{\"kind\":\"defaults\",\"day\":4}]}",
                               &s, why, sizeof why));
    CHECK_EQ(s.shocks[0].kind, SIM_SHOCK_DRY_SEASON);
    CHECK_EQ(s.shocks[0].days, 9);
    CHECK_EQ(s.shocks[1].share_bps, 500); /* a defaults shock's 5% unless told */
    CHECK(!sim_scenario_parse("{\"name\":\"x\",\"shocks\":[{\"kind\":\"flood\"}]}", &s, why, sizeof why));
    CHECK(strstr(why, "shocks[0].kind"));
    CHECK(!sim_scenario_parse("{\"name\":\"x\",\"shocks\":[{\"kind\":\"run\",\"when\":3}]}", &s, why, sizeof why));
    CHECK(strstr(why, "no field \"when\""));
}

TEST(sim_refuses_an_economy_it_cannot_make_and_says_why) {
    sim_policy policy = exact_policy(UNITS(2000));
    sim_scenario scenario = defaults_then_redeem(500);
    sim_result result;
    sim_options options = {.seed = 1, .days = 10};
    policy.members = 5;
    CHECK(!sim_run(&policy, &scenario, &options, &result));
    CHECK(strstr(result.error, "members must be 10..1000000"));
    sim_result_free(&result);
    policy = exact_policy(UNITS(2000));
    policy.opening_debtors = 100;
    CHECK(!sim_run(&policy, &scenario, &options, &result));
    CHECK(strstr(result.error, "must leave creditors"));
    sim_result_free(&result);
    /* The core's own refusal of a policy, word for word. */
    policy = exact_policy(UNITS(2000));
    policy.policy.max_credit_limit = UNITS(10); /* below the default line */
    CHECK(!sim_run(&policy, &scenario, &options, &result));
    CHECK(strstr(result.error, "network_create refused: BAD_POLICY"));
    sim_result_free(&result);
    /* A partner collapse without partners. */
    policy = exact_policy(UNITS(2000));
    sim_scenario collapse = {.name = "c", .shock_count = 1};
    collapse.shocks[0] = (sim_shock){.kind = SIM_SHOCK_PARTNER_COLLAPSE, .day = 2, .partner = 1};
    CHECK(!sim_run(&policy, &collapse, &options, &result));
    CHECK(strstr(result.error, "names partner 1; the policy has 0"));
    sim_result_free(&result);
}

TEST(sim_html_report_carries_the_csv_figures_and_escapes_names) {
    sim_policy policy = exact_policy(UNITS(2000));
    snprintf(policy.name, sizeof policy.name, "a</script><b>");
    sim_scenario scenario = defaults_then_redeem(500);
    sim_result result;
    sim_options options = {.seed = 1, .days = 45};
    REQUIRE(sim_run(&policy, &scenario, &options, &result));
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    REQUIRE(out);
    CHECK(sim_write_html(out, &scenario, &options, &result, 1, "/* uplot */", "/* css */"));
    fclose(out);
    CHECK(strstr(text, "<script id=\"sim-data\" type=\"application/json\">"));
    CHECK(strstr(text, "\"supply\":[10000.00,10000.00,"));
    CHECK(strstr(text, "\"rtd_pct\":[20.00,"));
    CHECK(strstr(text, "<th>a&lt;/script&gt;&lt;b&gt;</th>"));
    CHECK(strstr(text, "\"policy\":\"a\\u003c/script>\\u003cb>\""));
    CHECK(!strstr(text, "a</script>"));
    free(text);
    sim_result_free(&result);
}
