/*
 * sim_config.c: policies and scenarios for the simulator, from JSON files (through
 * jansson) and from the built-in scenarios. A policy file (sim/README.md) has:
 *   "name"     a short name for tables and plots
 *   "policy"   the network policy's fields by the node's names (GET /v1/networks/ID);
 *              amounts as text in units ("500.00"), or integers in minor units as
 *              the node writes them; durations as *_seconds or *_days
 *   "gateway"  this network's side of its gateways: fee_bps, limit,
 *              min_partner_rtd_bps, max_partner_default_bps
 *   "sim"      the economy: members, sectors, trades, habits, opening position,
 *              pool deposit, underwriting, partners, clearing
 * A field the reader does not know is an error (a typo would otherwise be a silent
 * default).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

void sim_policy_defaults(sim_policy *policy) {
    memset(policy, 0, sizeof *policy);
    snprintf(policy->name, sizeof policy->name, "default");
    tally_policy_defaults(&policy->policy);
    policy->policy.default_credit_limit = 50000;
    policy->policy.max_credit_limit = 200000;
    policy->policy.period_seconds = 30u * SIM_DAY_SECONDS;
    policy->policy.grace_seconds = 15u * SIM_DAY_SECONDS;
    policy->policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->gateway.limit = 500000;
    policy->members = 1000;
    policy->sectors = 8;
    policy->trades_per_member_milli = 200;
    policy->trade_min = 500;
    policy->trade_max = 5000;
    policy->skew_bps = 5000;
    policy->own_sector_bps = 3000;
    policy->season_bps = 3000;
    policy->diligent_bps = 9500;
    policy->cross_bps = 500;
    policy->partner_members = 500;
    policy->pool_deposit = 0;
    policy->fees_to_pool = true;
    policy->clearing_days = 7;
}

typedef enum {
    FIELD_AMOUNT,
    FIELD_U32,
    FIELD_BPS,
    FIELD_SECONDS,
    FIELD_DAYS,
    FIELD_BOOL,
    FIELD_RULE,
    FIELD_MODE,
    FIELD_MILLI,
    FIELD_LIMIT_RULE,     /* the nested "algorithmic_limits" object */
    FIELD_REPUTATION_RULE /* the nested "reputation" object */
} field_kind;
typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
} field;

#define POLICY_FIELD(name, kind) {#name, kind, offsetof(tally_policy, name)}
static const field policy_fields[] = {
    POLICY_FIELD(default_credit_limit, FIELD_AMOUNT), POLICY_FIELD(max_credit_limit, FIELD_AMOUNT),
    POLICY_FIELD(positive_cap, FIELD_AMOUNT),         POLICY_FIELD(fee_bps, FIELD_BPS),
    POLICY_FIELD(default_risk_fee_bps, FIELD_BPS),    POLICY_FIELD(period_seconds, FIELD_SECONDS),
    {"period_days", FIELD_DAYS, offsetof(tally_policy, period_seconds)},
    POLICY_FIELD(grace_seconds, FIELD_SECONDS),
    {"grace_days", FIELD_DAYS, offsetof(tally_policy, grace_seconds)},
    POLICY_FIELD(min_income_bps, FIELD_BPS),          POLICY_FIELD(target_rtd_bps, FIELD_BPS),
    POLICY_FIELD(compliance_rule, FIELD_RULE),        POLICY_FIELD(membership_mode, FIELD_MODE),
    POLICY_FIELD(auto_renew, FIELD_BOOL),             POLICY_FIELD(max_members, FIELD_U32),
    POLICY_FIELD(notice_seconds, FIELD_SECONDS),      POLICY_FIELD(redeem_cap_bps, FIELD_BPS),
    POLICY_FIELD(collateral_ratio_bps, FIELD_U32),    POLICY_FIELD(demurrage_bps, FIELD_BPS),
    POLICY_FIELD(demurrage_threshold, FIELD_AMOUNT),  POLICY_FIELD(membership_fee, FIELD_AMOUNT),
    POLICY_FIELD(charges_to_pool, FIELD_BOOL),
    POLICY_FIELD(algorithmic_limits, FIELD_LIMIT_RULE), POLICY_FIELD(reputation, FIELD_REPUTATION_RULE),
};

/* The nested rules, by the node's names (docs/UNDERWRITING.md); the core checks
 * their ranges when it creates the network. */
#define LIMIT_FIELD(name, kind) {#name, kind, offsetof(tally_limit_rule, name)}
static const field limit_fields[] = {
    LIMIT_FIELD(enabled, FIELD_BOOL),  LIMIT_FIELD(base, FIELD_AMOUNT),
    LIMIT_FIELD(per_point, FIELD_AMOUNT), LIMIT_FIELD(income_bps, FIELD_U32),
    LIMIT_FIELD(step_max, FIELD_AMOUNT), LIMIT_FIELD(recovery_periods, FIELD_U32),
};
#define REPUTATION_FIELD(name, kind) {#name, kind, offsetof(tally_reputation_rule, name)}
static const field reputation_fields[] = {
    REPUTATION_FIELD(base, FIELD_U32),          REPUTATION_FIELD(age_weight, FIELD_U32),
    REPUTATION_FIELD(age_full_days, FIELD_U32), REPUTATION_FIELD(volume_weight, FIELD_U32),
    REPUTATION_FIELD(volume_full, FIELD_AMOUNT), REPUTATION_FIELD(streak_weight, FIELD_U32),
    REPUTATION_FIELD(streak_full, FIELD_U32),   REPUTATION_FIELD(review_weight, FIELD_U32),
    REPUTATION_FIELD(review_full, FIELD_U32),   REPUTATION_FIELD(default_penalty, FIELD_U32),
};

static bool read_section(json_t *object, const field *fields, size_t count, void *base, const char *section,
                         char *why, size_t size);

#define GATEWAY_FIELD(name, kind) {#name, kind, offsetof(tally_gateway_side, name)}
static const field gateway_fields[] = {
    GATEWAY_FIELD(fee_bps, FIELD_BPS),
    GATEWAY_FIELD(limit, FIELD_AMOUNT),
    GATEWAY_FIELD(min_partner_rtd_bps, FIELD_BPS),
    GATEWAY_FIELD(max_partner_default_bps, FIELD_BPS),
};

#define SIM_FIELD(name, kind) {#name, kind, offsetof(sim_policy, name)}
static const field sim_fields[] = {
    SIM_FIELD(members, FIELD_U32),
    SIM_FIELD(sectors, FIELD_U32),
    {"trades_per_member_day", FIELD_MILLI, offsetof(sim_policy, trades_per_member_milli)},
    SIM_FIELD(trade_min, FIELD_AMOUNT),
    SIM_FIELD(trade_max, FIELD_AMOUNT),
    SIM_FIELD(skew_bps, FIELD_BPS),
    SIM_FIELD(own_sector_bps, FIELD_BPS),
    SIM_FIELD(season_bps, FIELD_BPS),
    SIM_FIELD(diligent_bps, FIELD_BPS),
    SIM_FIELD(cross_bps, FIELD_BPS),
    SIM_FIELD(partners, FIELD_U32),
    SIM_FIELD(partner_members, FIELD_U32),
    SIM_FIELD(pool_deposit, FIELD_AMOUNT),
    SIM_FIELD(underwritten_bps, FIELD_BPS),
    SIM_FIELD(stake, FIELD_AMOUNT),
    SIM_FIELD(fees_to_pool, FIELD_BOOL),
    SIM_FIELD(clearing_days, FIELD_U32),
    SIM_FIELD(opening_debtors, FIELD_U32),
    SIM_FIELD(opening_supply, FIELD_AMOUNT),
};

static const char *const rule_names[] = {"zero_balance", "rebalanced", "min_income"};
static const char *const mode_names[] = {"open", "admitted"};

static bool choice(const json_t *value, const char *const *names, uint8_t count, uint8_t *out) {
    const char *text = json_string_value(value);
    for (uint8_t i = 0; text && i < count; i++) {
        char dashed[32];
        snprintf(dashed, sizeof dashed, "%s", names[i]);
        for (char *c = dashed; *c; c++)
            if (*c == '_') *c = '-';
        if (strcmp(text, names[i]) == 0 || strcmp(text, dashed) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

static bool read_u32(const json_t *value, uint32_t max, uint32_t *out) {
    if (!json_is_integer(value) || json_integer_value(value) < 0 || json_integer_value(value) > max) return false;
    *out = (uint32_t)json_integer_value(value);
    return true;
}

/* One field's value into base + offset; false with why. */
static bool read_field(const field *f, json_t *value, void *base, const char *section, char *why, size_t size) {
    char *at = (char *)base + f->offset;
    uint32_t u32;
    bool ok = false;
    const char *expected = "";
    switch (f->kind) {
    case FIELD_AMOUNT: {
        int64_t amount;
        expected = "an amount: text in units (\"12.50\") or an integer in minor units";
        if (json_is_string(value)) ok = tally_amount_parse(json_string_value(value), 2, &amount);
        else if (json_is_integer(value)) {
            amount = json_integer_value(value);
            ok = true;
        }
        if (ok) memcpy(at, &amount, sizeof amount);
        break;
    }
    case FIELD_MILLI: {
        int64_t milli;
        expected = "a number of trades a day as text (\"0.25\") or an integer";
        if (json_is_string(value)) ok = tally_amount_parse(json_string_value(value), 3, &milli);
        else if (json_is_integer(value)) {
            ok = !__builtin_mul_overflow(json_integer_value(value), 1000, &milli);
        }
        ok = ok && milli >= 0 && milli <= 1000000;
        if (ok) {
            u32 = (uint32_t)milli;
            memcpy(at, &u32, sizeof u32);
        }
        break;
    }
    case FIELD_U32:
    case FIELD_SECONDS:
        expected = "a whole number";
        ok = read_u32(value, UINT32_MAX, &u32);
        if (ok) memcpy(at, &u32, sizeof u32);
        break;
    case FIELD_BPS:
        expected = "basis points, 0..10000";
        ok = read_u32(value, TALLY_BPS_ONE, &u32);
        if (ok) memcpy(at, &u32, sizeof u32);
        break;
    case FIELD_DAYS:
        expected = "a whole number of days, 1..49710";
        ok = read_u32(value, UINT32_MAX / SIM_DAY_SECONDS, &u32);
        if (ok) {
            u32 *= SIM_DAY_SECONDS;
            memcpy(at, &u32, sizeof u32);
        }
        break;
    case FIELD_BOOL:
        expected = "true or false";
        ok = json_is_boolean(value);
        if (ok) *(bool *)at = json_is_true(value);
        break;
    case FIELD_RULE:
        expected = "\"zero_balance\", \"rebalanced\" or \"min_income\"";
        ok = choice(value, rule_names, 3, (uint8_t *)at);
        break;
    case FIELD_MODE:
        expected = "\"open\" or \"admitted\"";
        ok = choice(value, mode_names, 2, (uint8_t *)at);
        break;
    case FIELD_LIMIT_RULE:
        return read_section(value, limit_fields, sizeof limit_fields / sizeof *limit_fields, at,
                            "policy.algorithmic_limits", why, size);
    case FIELD_REPUTATION_RULE:
        return read_section(value, reputation_fields, sizeof reputation_fields / sizeof *reputation_fields,
                            at, "policy.reputation", why, size);
    }
    if (!ok) snprintf(why, size, "%s.%s must be %s", section, f->name, expected);
    return ok;
}

static bool read_section(json_t *object, const field *fields, size_t count, void *base, const char *section,
                         char *why, size_t size) {
    if (!object) return true;
    if (!json_is_object(object)) {
        snprintf(why, size, "\"%s\" must be an object", section);
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        const field *found = NULL;
        for (size_t i = 0; i < count && !found; i++)
            if (strcmp(fields[i].name, key) == 0) found = &fields[i];
        if (!found) {
            snprintf(why, size, "%s has no field \"%s\" (sim/README.md lists them)", section, key);
            return false;
        }
        if (!read_field(found, value, base, section, why, size)) return false;
    }
    return true;
}

bool sim_policy_parse(const char *json_text, sim_policy *policy, char *why, size_t size) {
    sim_policy_defaults(policy);
    json_error_t error;
    json_t *root = json_loads(json_text, 0, &error);
    if (!root) {
        snprintf(why, size, "not JSON: %s (line %d)", error.text, error.line);
        return false;
    }
    bool ok = json_is_object(root);
    if (!ok) snprintf(why, size, "a policy file is a JSON object");
    const char *key;
    json_t *value;
    if (ok) json_object_foreach(root, key, value) {
            if (strcmp(key, "name") == 0) {
                const char *name = json_string_value(value);
                if (!name || !*name || strlen(name) > SIM_NAME_MAX) {
                    snprintf(why, size, "\"name\" must be text of 1..%u bytes", SIM_NAME_MAX);
                    ok = false;
                } else snprintf(policy->name, sizeof policy->name, "%s", name);
            } else if (strcmp(key, "description") == 0) {
                ok = json_is_string(value);
                if (!ok) snprintf(why, size, "\"description\" must be text");
            } else if (strcmp(key, "policy") == 0) {
                ok = read_section(value, policy_fields, sizeof policy_fields / sizeof *policy_fields,
                                  &policy->policy, "policy", why, size);
            } else if (strcmp(key, "gateway") == 0) {
                ok = read_section(value, gateway_fields, sizeof gateway_fields / sizeof *gateway_fields,
                                  &policy->gateway, "gateway", why, size);
            } else if (strcmp(key, "sim") == 0) {
                ok = read_section(value, sim_fields, sizeof sim_fields / sizeof *sim_fields, policy, "sim", why,
                                  size);
            } else {
                snprintf(why, size, "a policy file has no field \"%s\" (name, description, policy, gateway, sim)", key);
                ok = false;
            }
            if (!ok) break;
        }
    json_decref(root);
    return ok;
}

static char *read_file(const char *path, char *why, size_t size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(why, size, "cannot open %s", path);
        return NULL;
    }
    char *text = NULL;
    size_t length = 0, capacity = 0;
    for (;;) {
        if (length + 4096 + 1 > capacity) {
            capacity = capacity ? capacity * 2 : 8192;
            if (capacity > (1u << 24)) {
                snprintf(why, size, "%s is larger than 16 MiB", path);
                free(text);
                fclose(file);
                return NULL;
            }
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                fclose(file);
                snprintf(why, size, "out of memory");
                return NULL;
            }
            text = grown;
        }
        size_t got = fread(text + length, 1, 4096, file);
        length += got;
        if (got < 4096) break;
    }
    bool failed = ferror(file);
    fclose(file);
    if (failed) {
        free(text);
        snprintf(why, size, "cannot read %s", path);
        return NULL;
    }
    text[length] = '\0';
    return text;
}

bool sim_policy_read(const char *path, sim_policy *policy, char *why, size_t size) {
    char *text = read_file(path, why, size);
    if (!text) return false;
    char inner[200];
    bool ok = sim_policy_parse(text, policy, inner, sizeof inner);
    if (!ok) snprintf(why, size, "%s: %s", path, inner);
    free(text);
    return ok;
}

/* ---- scenarios ---- */

static const char *const shock_names[] = {"defaults", "run", "partner-collapse", "dry-season"};

const char *sim_shock_kind_name(uint8_t kind) { return kind < SIM_SHOCK_KIND_COUNT ? shock_names[kind] : NULL; }

static const sim_scenario builtins[] = {
    {"baseline", "no shock: the economy's own trade, seasons and defaults", 0, {{0}}},
    {"defaults-5pct",
     "on day 180, 5% of the members in debt walk away (the chain defaults them at the end of the grace after their "
     "period) and from then on holders redeem against the lost debt as much as the pool pays",
     2,
     {{SIM_SHOCK_DEFAULTS, 180, 500, 0, 0, 0}, {SIM_SHOCK_RUN, 180, 0, 0, 0, 0}}},
    {"pool-run",
     "on day 180, 25% of the members in debt walk away and every holder redeems as much as it can each day: the pool "
     "pays at par until its buffer and primary are empty",
     2,
     {{SIM_SHOCK_DEFAULTS, 180, 2500, 0, 0, 0}, {SIM_SHOCK_RUN, 180, 0, 0, 0, 0}}},
    {"partner-collapse",
     "on day 180, partner network 1 collapses: all its members in debt walk away and its trade stops; what this "
     "network minted against it stays as exposure (needs a policy with partners)",
     1,
     {{SIM_SHOCK_PARTNER_COLLAPSE, 180, 0, 1, 0, 0}}},
    {"dry-season",
     "from day 180, sector 0 sells nothing for 120 days: its members keep buying on credit, their lines freeze and "
     "those still in debt at the end of grace default",
     1,
     {{SIM_SHOCK_DRY_SEASON, 180, 0, 0, 0, 120}}},
};

uint32_t sim_scenario_builtin_count(void) { return sizeof builtins / sizeof *builtins; }
const sim_scenario *sim_scenario_builtin(uint32_t index) {
    return index < sim_scenario_builtin_count() ? &builtins[index] : NULL;
}

static bool read_shock(json_t *object, sim_shock *shock, uint32_t index, char *why, size_t size) {
    memset(shock, 0, sizeof *shock);
    if (!json_is_object(object)) {
        snprintf(why, size, "shocks[%u] must be an object", index);
        return false;
    }
    const char *kind = json_string_value(json_object_get(object, "kind"));
    bool found = false;
    for (uint8_t k = 0; kind && k < SIM_SHOCK_KIND_COUNT && !found; k++)
        if (strcmp(kind, shock_names[k]) == 0) {
            shock->kind = k;
            found = true;
        }
    if (!found) {
        snprintf(why, size, "shocks[%u].kind must be defaults, run, partner-collapse or dry-season", index);
        return false;
    }
    if (shock->kind == SIM_SHOCK_DEFAULTS) shock->share_bps = 500;
    if (shock->kind == SIM_SHOCK_PARTNER_COLLAPSE) shock->partner = 1;
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        uint32_t *target = NULL, max = UINT32_MAX;
        if (strcmp(key, "kind") == 0) continue;
        if (strcmp(key, "day") == 0) target = &shock->day, max = SIM_DAYS_MAX;
        else if (strcmp(key, "share_bps") == 0) target = &shock->share_bps, max = TALLY_BPS_ONE;
        else if (strcmp(key, "partner") == 0) target = &shock->partner, max = SIM_PARTNERS_MAX;
        else if (strcmp(key, "sector") == 0) target = &shock->sector, max = SIM_SECTORS_MAX - 1;
        else if (strcmp(key, "days") == 0) target = &shock->days, max = SIM_DAYS_MAX;
        if (!target) {
            snprintf(why, size, "shocks[%u] has no field \"%s\" (kind, day, share_bps, partner, sector, days)", index,
                     key);
            return false;
        }
        if (!read_u32(value, max, target)) {
            snprintf(why, size, "shocks[%u].%s must be a whole number 0..%u", index, key, max);
            return false;
        }
    }
    return true;
}

bool sim_scenario_parse(const char *json_text, sim_scenario *scenario, char *why, size_t size) {
    memset(scenario, 0, sizeof *scenario);
    json_error_t error;
    json_t *root = json_loads(json_text, 0, &error);
    if (!root) {
        snprintf(why, size, "not JSON: %s (line %d)", error.text, error.line);
        return false;
    }
    const char *name = json_string_value(json_object_get(root, "name"));
    const char *description = json_string_value(json_object_get(root, "description"));
    json_t *shocks = json_object_get(root, "shocks");
    bool ok = json_is_object(root) && name && *name && strlen(name) <= SIM_NAME_MAX && json_is_array(shocks) &&
              json_array_size(shocks) <= SIM_SHOCKS_MAX;
    if (!ok) snprintf(why, size, "a scenario file has a name (1..%u bytes) and a list of at most %u shocks",
                      SIM_NAME_MAX, SIM_SHOCKS_MAX);
    if (ok) {
        snprintf(scenario->name, sizeof scenario->name, "%s", name);
        snprintf(scenario->description, sizeof scenario->description, "%s", description ? description : "");
        scenario->shock_count = (uint32_t)json_array_size(shocks);
        for (uint32_t i = 0; ok && i < scenario->shock_count; i++)
            ok = read_shock(json_array_get(shocks, i), &scenario->shocks[i], i, why, size);
    }
    json_decref(root);
    return ok;
}

bool sim_scenario_find(const char *name_or_path, sim_scenario *scenario, char *why, size_t size) {
    for (uint32_t i = 0; i < sim_scenario_builtin_count(); i++)
        if (strcmp(builtins[i].name, name_or_path) == 0) {
            *scenario = builtins[i];
            return true;
        }
    if (!strchr(name_or_path, '/') && !strstr(name_or_path, ".json")) {
        snprintf(why, size, "no scenario \"%s\": the built-in ones are baseline, defaults-5pct, pool-run, "
                            "partner-collapse, dry-season (tally-sim --help), or give a file's path", name_or_path);
        return false;
    }
    char *text = read_file(name_or_path, why, size);
    if (!text) return false;
    char inner[200];
    bool ok = sim_scenario_parse(text, scenario, inner, sizeof inner);
    if (!ok) snprintf(why, size, "%s: %s", name_or_path, inner);
    free(text);
    return ok;
}
