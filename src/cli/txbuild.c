/*
 * txbuild.c: parsed command line -> tally_tx (see txbuild.h). Local checks come
 * first and say exactly what is wrong with what was typed; the ledger's own rules
 * (is the signer an operator, is there enough credit) are left to the ledger, which
 * names them in its refusal. A built transaction is encoded and decoded once more
 * here, so text the codec would refuse (a control character in a memo) is caught
 * before the key is unlocked.
 */
#include "cli/txbuild.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/batch_csv.h"
#include "cli/json_fields.h"
#include "cli/output.h"

/* ------------------------------------------------------------------------ */
/* Numbers and amounts.                                                      */
/* ------------------------------------------------------------------------ */

bool cli_number_parse(const char *text, uint64_t max, uint64_t *value) {
    assert(text != NULL && value != NULL);
    size_t length = strlen(text);
    if (length == 0 || length > 20 || strspn(text, "0123456789") != length) return false;
    uint64_t result = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (result > (UINT64_MAX - digit) / 10u) return false;
        result = result * 10u + digit;
    }
    if (result > max) return false;
    *value = result;
    return true;
}

bool cli_amount_parse(const char *text, const cli_unit *unit, bool allow_zero, int64_t *amount, char *why,
                      size_t why_size) {
    assert(text != NULL && unit != NULL && amount != NULL && why != NULL);
    assert(unit->decimals <= TALLY_DECIMALS_MAX);
    const char *code = unit->code[0] ? unit->code : "this unit";
    if (tally_amount_parse(text, unit->decimals, amount)) {
        if (*amount < 0) {
            snprintf(why, why_size, "'%s' is negative: amounts are positive", text);
            return false;
        }
        if (*amount == 0 && !allow_zero) {
            snprintf(why, why_size, "the amount must be greater than zero");
            return false;
        }
        return true;
    }
    /* Say why the narrow grammar refused it. */
    const char *digits = text[0] == '-' ? text + 1 : text;
    size_t integer = strspn(digits, "0123456789");
    const char *point = digits + integer;
    size_t fraction = point[0] == '.' ? strspn(point + 1, "0123456789") : 0;
    bool shaped = integer > 0 && (point[0] == '\0' || (point[0] == '.' && fraction > 0 && point[1 + fraction] == '\0'));
    if (shaped && fraction > unit->decimals) {
        if (unit->decimals == 0)
            snprintf(why, why_size, "%s has no decimals: write a whole number, not '%s'", code, text);
        else
            snprintf(why, why_size, "too many decimals: %s has %u, '%s' has %zu", code, unit->decimals, text,
                     fraction);
    } else if (shaped) {
        snprintf(why, why_size, "'%s' is too large", text);
    } else {
        snprintf(why, why_size, "'%s' is not an amount: write digits with at most %u after a point, like %s", text,
                 unit->decimals, unit->decimals == 0 ? "12" : unit->decimals == 1 ? "12.5" : "12.50");
    }
    return false;
}

int64_t cli_fee_round_up(int64_t amount, uint32_t bps) {
    assert(bps <= TALLY_BPS_ONE);
    if (amount <= 0 || bps == 0) return 0;
    if (bps > TALLY_BPS_ONE) bps = TALLY_BPS_ONE;
    /* (q * 10000 + r) * bps / 10000 = q * bps + r * bps / 10000: no intermediate
     * exceeds amount, so nothing overflows. */
    int64_t whole = amount / (int64_t)TALLY_BPS_ONE, rest = amount % (int64_t)TALLY_BPS_ONE;
    return whole * (int64_t)bps + (rest * (int64_t)bps + (int64_t)TALLY_BPS_ONE - 1) / (int64_t)TALLY_BPS_ONE;
}

int64_t cli_fee_estimate(int64_t amount, int64_t balance, uint32_t fee_bps, uint32_t risk_fee_bps,
                         bool credit_allowed) {
    assert(amount >= 0);
    int64_t base = cli_fee_round_up(amount, fee_bps);
    int64_t positive = balance > 0 ? balance : 0;
    int64_t on_credit = amount > positive ? amount - positive : 0;
    int64_t risk = credit_allowed ? cli_fee_round_up(on_credit, risk_fee_bps) : 0;
    return base > INT64_MAX - risk ? INT64_MAX : base + risk;
}

int64_t cli_can_pay_now(int64_t available, int64_t balance, uint32_t fee_bps, uint32_t risk_fee_bps,
                        bool credit_allowed) {
    if (available <= 0) return 0;
    /* x + fee(x) grows with x: the largest x that fits, by bisection. */
    int64_t low = 0, high = available;
    while (low < high) {
        int64_t middle = high - (high - low) / 2; /* the upper middle, without overflow */
        int64_t fee = cli_fee_estimate(middle, balance, fee_bps, risk_fee_bps, credit_allowed);
        if (fee <= available - middle) low = middle;
        else high = middle - 1;
    }
    return low;
}

void cli_account_add_spending(json_t *account, const cli_network *network) {
    cli_account parsed;
    char why[128];
    int64_t available;
    if (!network->has_policy || !cli_client_account_from_json(account, &parsed, why, sizeof why) ||
        !cli_json_i64(account, "available", &available))
        return;
    bool credit_allowed = strcmp(parsed.line_status, "active") == 0 && strcmp(parsed.status, "active") == 0;
    int64_t debt = parsed.balance < 0 ? -parsed.balance : 0;
    int64_t credit_left = credit_allowed && parsed.limit > debt ? parsed.limit - debt : 0;
    json_object_set_new(account, "can_pay_now",
                        json_integer(cli_can_pay_now(available, parsed.balance, network->policy.fee_bps,
                                                     parsed.risk_fee_bps, credit_allowed)));
    json_object_set_new(account, "credit_left", json_integer(credit_left));
}

int64_t cli_batch_fee_estimate(const tally_batch_line *lines, uint16_t count, int64_t balance, uint32_t fee_bps,
                               uint32_t risk_fee_bps, bool credit_allowed) {
    int64_t total = 0;
    for (uint16_t i = 0; i < count; i++) {
        int64_t fee = cli_fee_estimate(lines[i].amount, balance, fee_bps, risk_fee_bps, credit_allowed);
        if (fee > INT64_MAX - total) return INT64_MAX;
        total += fee;
        /* The next line meets the balance this one left. */
        if (__builtin_sub_overflow(balance, lines[i].amount, &balance) || __builtin_sub_overflow(balance, fee, &balance))
            balance = INT64_MIN;
    }
    return total;
}

bool cli_text_assign(tally_text *text, const char *value, size_t max) {
    size_t length = strlen(value);
    if (length > max || length > TALLY_MEMO_MAX) return false;
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)length;
    memcpy(text->bytes, value, length);
    return true;
}

/* ------------------------------------------------------------------------ */
/* WHO.                                                                      */
/* ------------------------------------------------------------------------ */

static bool is_base32_lower(const char *text, size_t length) {
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
    }
    return true;
}

static bool is_alias_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool cli_who_parse(const char *text, cli_who *who, char *why, size_t why_size) {
    assert(text != NULL && who != NULL && why != NULL);
    memset(who, 0, sizeof *who);
    const char *at = strchr(text, '@');
    size_t left = at ? (size_t)(at - text) : strlen(text);
    if (at) {
        const char *network = at + 1;
        if (!network[0] || strlen(network) > TALLY_NAME_MAX) {
            snprintf(why, why_size, "'%s': name the network after '@' (bob@greenvale)", text);
            return false;
        }
        snprintf(who->network, sizeof who->network, "%s", network);
    }
    if (left == 0) {
        snprintf(why, why_size, "'%s': say who before the '@' (an alias or an address)", text);
        return false;
    }
    /* An address is far longer than any alias, so the length tells them apart. */
    if (left > TALLY_ALIAS_MAX) {
        char address[TALLY_ADDRESS_LENGTH + 2];
        if (left != TALLY_ADDRESS_LENGTH || strncmp(text, "tly1", 4) != 0) {
            snprintf(why, why_size, "'%.*s' is not an address: an address is tly1 and 58 more characters", (int)left,
                     text);
            return false;
        }
        memcpy(address, text, left);
        address[left] = '\0';
        if (!is_base32_lower(address + 4, left - 4)) {
            snprintf(why, why_size, "'%s' is not an address: after tly1 only a-z and 2-7 (lower case)", address);
            return false;
        }
        if (!tally_address_decode(address, &who->key)) {
            snprintf(why, why_size, "the address's checksum does not match: a typing mistake in '%s'?", address);
            return false;
        }
        who->is_address = true;
        return true;
    }
    for (size_t i = 0; i < left; i++) {
        char c = (char)tolower((unsigned char)text[i]);
        if (!is_alias_char(c)) {
            snprintf(why, why_size, "'%.*s' is neither an address nor an alias (1 to 32 of a-z 0-9 . _ -)", (int)left,
                     text);
            return false;
        }
        who->alias[i] = c;
    }
    who->alias[left] = '\0';
    return true;
}

/* ------------------------------------------------------------------------ */
/* Policies.                                                                 */
/* ------------------------------------------------------------------------ */

#define DAY_SECONDS 86400u
#define DEFAULT_MAX_LIMIT_UNITS 1000
#define DEFAULT_PERIOD_DAYS 30u
#define DEFAULT_GRACE_DAYS 10u
#define DEFAULT_REPUTATION_VOLUME_UNITS 10000

static int64_t units_to_minor(int64_t units, uint8_t decimals) {
    for (uint8_t i = 0; i < decimals; i++) units *= 10;
    return units;
}

tally_policy cli_policy_defaults(const cli_unit *unit) {
    tally_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.max_credit_limit = units_to_minor(DEFAULT_MAX_LIMIT_UNITS, unit->decimals);
    policy.period_seconds = DEFAULT_PERIOD_DAYS * DAY_SECONDS;
    policy.grace_seconds = DEFAULT_GRACE_DAYS * DAY_SECONDS;
    policy.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy.membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy.auto_renew = true;
    tally_policy protocol;
    tally_policy_defaults(&protocol);
    policy.max_members = protocol.max_members;
    policy.notice_seconds = protocol.notice_seconds;
    policy.redeem_cap_bps = protocol.redeem_cap_bps;
    /* The protocol's reputation rule, its volume in the network's units as the other
     * amounts here (10,000 units). */
    policy.reputation = protocol.reputation;
    policy.reputation.volume_full = units_to_minor(DEFAULT_REPUTATION_VOLUME_UNITS, unit->decimals);
    return policy;
}

static bool option_count(const cli_args *args, const char *name, uint32_t min, uint32_t max, uint32_t *out,
                         char *why, size_t why_size) {
    const char *text = cli_option_value(args, name);
    if (!text) return true;
    uint64_t value;
    if (!cli_number_parse(text, max, &value) || value < min) {
        snprintf(why, why_size, "%s takes a whole number, %u to %u, not '%s'", name, min, max, text);
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

static bool option_bps(const cli_args *args, const char *name, uint32_t *out, char *why, size_t why_size) {
    const char *text = cli_option_value(args, name);
    if (!text) return true;
    uint64_t value;
    if (!cli_number_parse(text, TALLY_BPS_ONE, &value)) {
        snprintf(why, why_size, "%s takes basis points, 0 to 10000 (100 = 1%%), not '%s'", name, text);
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

static bool option_amount(const cli_args *args, const char *name, const cli_unit *unit, int64_t *out, char *why,
                          size_t why_size) {
    const char *text = cli_option_value(args, name);
    if (!text) return true;
    char reason[200];
    if (!cli_amount_parse(text, unit, true, out, reason, sizeof reason)) {
        snprintf(why, why_size, "%s: %s", name, reason);
        return false;
    }
    return true;
}

/* --X-days or --X-seconds (not both) into seconds; min_seconds is 1 for periods. */
static bool option_duration(const cli_args *args, const char *what, uint32_t min_seconds, uint32_t *out,
                            char *why, size_t why_size) {
    char days_name[32], seconds_name[32];
    snprintf(days_name, sizeof days_name, "--%s-days", what);
    snprintf(seconds_name, sizeof seconds_name, "--%s-seconds", what);
    const char *days = cli_option_value(args, days_name), *seconds = cli_option_value(args, seconds_name);
    uint64_t value;
    if (days && seconds) {
        snprintf(why, why_size, "give %s or %s, not both", days_name, seconds_name);
        return false;
    }
    if (days) {
        if (!cli_number_parse(days, UINT32_MAX / DAY_SECONDS, &value) || value * DAY_SECONDS < min_seconds) {
            snprintf(why, why_size, "%s takes a whole number of days, %u to %u, not '%s'", days_name,
                     min_seconds ? 1u : 0u, UINT32_MAX / DAY_SECONDS, days);
            return false;
        }
        *out = (uint32_t)(value * DAY_SECONDS);
    }
    if (seconds) {
        if (!cli_number_parse(seconds, UINT32_MAX, &value) || value < min_seconds) {
            snprintf(why, why_size, "%s takes a whole number of seconds, %u to %u, not '%s'", seconds_name,
                     min_seconds, UINT32_MAX, seconds);
            return false;
        }
        *out = (uint32_t)value;
    }
    return true;
}

static bool option_rule(const cli_args *args, uint8_t *rule, char *why, size_t why_size) {
    const char *text = cli_option_value(args, "--rule");
    if (!text) return true;
    static const char *const names[][2] = {
        {"zero-balance", "zero_balance"}, {"rebalanced", "rebalanced"}, {"min-income", "min_income"}};
    for (uint8_t i = 0; i < 3; i++) {
        if (strcmp(text, names[i][0]) == 0 || strcmp(text, names[i][1]) == 0) {
            *rule = i;
            return true;
        }
    }
    snprintf(why, why_size, "--rule is zero-balance, rebalanced or min-income, not '%s'", text);
    return false;
}

static bool either(const cli_args *args, const char *yes, const char *no, bool *value, char *why,
                   size_t why_size) {
    bool has_yes = cli_flag(args, yes), has_no = cli_flag(args, no);
    if (has_yes && has_no) {
        snprintf(why, why_size, "%s and %s contradict each other", yes, no);
        return false;
    }
    if (has_yes) *value = true;
    if (has_no) *value = false;
    return true;
}

/* A reputation part, W:FULL: a weight 0..1000 and the figure it is earned in full
 * at (an amount in the unit for volume, else a whole number), at least 1 when W > 0. */
static bool option_weight(const cli_args *args, const char *name, const cli_unit *amount_unit, uint32_t *weight,
                          int64_t *full, char *why, size_t why_size) {
    const char *text = cli_option_value(args, name);
    if (!text) return true;
    const char *colon = strchr(text, ':');
    char weight_text[16];
    uint64_t value = 0, number = 0;
    size_t length = colon ? (size_t)(colon - text) : 0;
    bool ok = colon && length > 0 && length < sizeof weight_text;
    if (ok) {
        memcpy(weight_text, text, length);
        weight_text[length] = '\0';
        ok = cli_number_parse(weight_text, 1000, &value);
    }
    char reason[200] = "";
    int64_t figure = 0;
    if (ok && amount_unit) ok = cli_amount_parse(colon + 1, amount_unit, true, &figure, reason, sizeof reason);
    else if (ok) {
        ok = cli_number_parse(colon + 1, UINT32_MAX, &number);
        figure = (int64_t)number;
    }
    if (ok && value > 0 && figure == 0) {
        ok = false;
        snprintf(reason, sizeof reason, "a weighed part is earned in full at 1 or more");
    }
    if (!ok) {
        snprintf(why, why_size, "%s takes W:%s, W points 0 to 1000 earned in full at %s%s%s (200:%s), not '%s'", name,
                 amount_unit ? "AMOUNT" : "N", amount_unit ? "an amount" : "a whole number", reason[0] ? ": " : "",
                 reason, amount_unit ? "10000" : "12", text);
        return false;
    }
    *weight = (uint32_t)value;
    *full = figure;
    return true;
}

static bool option_choice(const cli_args *args, const char *name, const char *const *names, uint8_t count,
                          uint8_t *out, char *why, size_t why_size) {
    const char *text = cli_option_value(args, name);
    if (!text) return true;
    for (uint8_t i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return true;
        }
    }
    char list[96] = "";
    for (uint8_t i = 0; i < count; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
    }
    snprintf(why, why_size, "%s is %s, not '%s'", name, list, text);
    return false;
}

/* The reputation rule, algorithmic limits, charges (issue 12). */
static bool apply_rule_options(const cli_args *args, const cli_unit *unit, tally_policy *policy, char *why,
                               size_t why_size) {
    tally_reputation_rule *r = &policy->reputation;
    tally_limit_rule *l = &policy->algorithmic_limits;
    int64_t age_full = r->age_full_days, streak_full = r->streak_full, review_full = r->review_full;
    bool to_pool = policy->charges_to_pool;
    bool ok = option_count(args, "--collateral-ratio-bps", 0, 100u * TALLY_BPS_ONE, &policy->collateral_ratio_bps,
                           why, why_size) &&
              option_count(args, "--reputation-base", 0, 1000, &r->base, why, why_size) &&
              option_weight(args, "--reputation-age", NULL, &r->age_weight, &age_full, why, why_size) &&
              option_weight(args, "--reputation-volume", unit, &r->volume_weight, &r->volume_full, why, why_size) &&
              option_weight(args, "--reputation-streak", NULL, &r->streak_weight, &streak_full, why, why_size) &&
              option_weight(args, "--reputation-reviews", NULL, &r->review_weight, &review_full, why, why_size) &&
              option_count(args, "--reputation-default-penalty", 0, 1000, &r->default_penalty, why, why_size) &&
              either(args, "--algorithmic-limits", "--no-algorithmic-limits", &l->enabled, why, why_size) &&
              option_amount(args, "--limit-base", unit, &l->base, why, why_size) &&
              option_amount(args, "--limit-per-point", unit, &l->per_point, why, why_size) &&
              option_count(args, "--limit-income-bps", 0, 10u * TALLY_BPS_ONE, &l->income_bps, why, why_size) &&
              option_amount(args, "--limit-step-max", unit, &l->step_max, why, why_size) &&
              option_count(args, "--limit-recovery-periods", 0, 1000, &l->recovery_periods, why, why_size) &&
              option_bps(args, "--demurrage-bps", &policy->demurrage_bps, why, why_size) &&
              option_amount(args, "--demurrage-threshold", unit, &policy->demurrage_threshold, why, why_size) &&
              option_amount(args, "--membership-fee", unit, &policy->membership_fee, why, why_size) &&
              either(args, "--charges-to-pool", "--charges-to-fees", &to_pool, why, why_size);
    if (!ok) return false;
    if (age_full > UINT32_MAX || streak_full > UINT32_MAX || review_full > UINT32_MAX) {
        snprintf(why, why_size, "a reputation part is earned in full at %u at most", UINT32_MAX);
        return false;
    }
    r->age_full_days = (uint32_t)age_full, r->streak_full = (uint32_t)streak_full;
    r->review_full = (uint32_t)review_full;
    policy->charges_to_pool = to_pool;
    return true;
}

/* The governance rule. Members' governance needs its vote's rule in full (the
 * ledger refuses BAD_POLICY otherwise): said here, with the options that set it. */
static bool apply_governance_options(const cli_args *args, tally_policy *policy, char *why, size_t why_size) {
    static const char *const modes[] = {"operators", "members"};
    static const char *const weightings[] = {"one-member", "reputation", "stake"};
    tally_governance_rule *g = &policy->governance;
    bool may_suspend = g->operators_may_suspend, may_freeze = g->operators_may_freeze;
    bool ok = option_choice(args, "--governance", modes, 2, &g->mode, why, why_size) &&
              option_choice(args, "--vote-weighting", weightings, 3, &g->weighting, why, why_size) &&
              option_count(args, "--quorum-bps", 1, TALLY_BPS_ONE, &g->quorum_bps, why, why_size) &&
              option_count(args, "--threshold-bps", 1, TALLY_BPS_ONE, &g->threshold_bps, why, why_size) &&
              option_duration(args, "voting", 3600, &g->voting_seconds, why, why_size) &&
              option_duration(args, "timelock", 0, &g->timelock_seconds, why, why_size) &&
              option_duration(args, "late-quorum", 0, &g->late_quorum_seconds, why, why_size) &&
              either(args, "--operators-may-suspend", "--operators-may-not-suspend", &may_suspend, why, why_size) &&
              either(args, "--operators-may-freeze", "--operators-may-not-freeze", &may_freeze, why, why_size);
    if (!ok) return false;
    g->operators_may_suspend = may_suspend, g->operators_may_freeze = may_freeze;
    bool unset = g->quorum_bps == 0 && g->threshold_bps == 0 && g->voting_seconds == 0 && g->timelock_seconds == 0 &&
                 g->late_quorum_seconds == 0;
    if (g->mode == TALLY_GOVERNANCE_OPERATORS && unset) return true;
    if (g->quorum_bps == 0 || g->threshold_bps == 0 || g->voting_seconds == 0) {
        snprintf(why, why_size, "a vote's rule needs --quorum-bps, --threshold-bps and --voting-days (or "
                                "--voting-seconds), all three");
        return false;
    }
    if (g->voting_seconds > TALLY_NOTICE_SECONDS_MAX || g->timelock_seconds > TALLY_NOTICE_SECONDS_MAX) {
        snprintf(why, why_size, "a vote and its timelock last at most %u days each", TALLY_NOTICE_SECONDS_MAX / DAY_SECONDS);
        return false;
    }
    if (g->late_quorum_seconds > g->voting_seconds) {
        snprintf(why, why_size, "the late-quorum extension (%" PRIu32 " s) is longer than the vote (%" PRIu32 " s)",
                 g->late_quorum_seconds, g->voting_seconds);
        return false;
    }
    return true;
}

bool cli_policy_apply_options(const cli_args *args, const cli_unit *unit, tally_policy *policy, char *why,
                              size_t why_size) {
    char amount[CLI_AMOUNT_TEXT_MAX], other[CLI_AMOUNT_TEXT_MAX];
    bool max_given = cli_option_value(args, "--max-limit") != NULL;
    bool renew = policy->auto_renew, admitted = policy->membership_mode == TALLY_MEMBERSHIP_ADMITTED;
    bool ok = option_amount(args, "--default-limit", unit, &policy->default_credit_limit, why, why_size) &&
              option_amount(args, "--max-limit", unit, &policy->max_credit_limit, why, why_size) &&
              option_amount(args, "--cap", unit, &policy->positive_cap, why, why_size) &&
              option_bps(args, "--fee-bps", &policy->fee_bps, why, why_size) &&
              option_bps(args, "--risk-fee-bps", &policy->default_risk_fee_bps, why, why_size) &&
              option_bps(args, "--min-income-bps", &policy->min_income_bps, why, why_size) &&
              option_bps(args, "--target-rtd-bps", &policy->target_rtd_bps, why, why_size) &&
              option_duration(args, "period", 1, &policy->period_seconds, why, why_size) &&
              option_duration(args, "grace", 0, &policy->grace_seconds, why, why_size) &&
              option_duration(args, "notice", TALLY_NOTICE_SECONDS_MIN, &policy->notice_seconds, why, why_size) &&
              option_count(args, "--max-members", 1, TALLY_MEMBER_RECORDS_PER_NETWORK_MAX, &policy->max_members, why,
                           why_size) &&
              option_count(args, "--redeem-cap-bps", 1, TALLY_BPS_ONE, &policy->redeem_cap_bps, why, why_size) &&
              option_rule(args, &policy->compliance_rule, why, why_size) &&
              either(args, "--auto-renew", "--no-auto-renew", &renew, why, why_size) &&
              either(args, "--admitted", "--open", &admitted, why, why_size);
    if (!ok || !apply_rule_options(args, unit, policy, why, why_size) ||
        !apply_governance_options(args, policy, why, why_size))
        return false;
    policy->auto_renew = renew;
    policy->membership_mode = admitted ? TALLY_MEMBERSHIP_ADMITTED : TALLY_MEMBERSHIP_OPEN;
    if (policy->default_credit_limit > policy->max_credit_limit) {
        if (!max_given && cli_option_value(args, "--default-limit") && args->command &&
            strcmp(args->command->name, "create") == 0) {
            policy->max_credit_limit = policy->default_credit_limit; /* the default limit raises the default max */
        } else {
            snprintf(why, why_size, "the default limit (%s) is above the maximum limit (%s): raise --max-limit",
                     cli_out_amount(policy->default_credit_limit, unit, amount),
                     cli_out_amount(policy->max_credit_limit, unit, other));
            return false;
        }
    }
    if (policy->notice_seconds > TALLY_NOTICE_SECONDS_MAX) {
        snprintf(why, why_size, "the notice is at most %u days", TALLY_NOTICE_SECONDS_MAX / DAY_SECONDS);
        return false;
    }
    if (policy->compliance_rule == TALLY_COMPLIANCE_MIN_INCOME && policy->min_income_bps == 0) {
        snprintf(why, why_size, "--rule min-income needs --min-income-bps N: the share of the debt to earn each period");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Building.                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    cli_context *ctx;
    const cli_args *args;
    const tally_key *signer;
    tally_tx *tx;
    tx_plan *plan;
} build;

static cli_status usage(const build *b, const char *why) { return cli_usage(b->ctx, b->args->command, "%s", why); }

static const char *arg(const build *b, unsigned index) {
    return index < b->args->positional_count ? b->args->positional[index] : NULL;
}

static cli_status parse_amount(const build *b, const char *text, const cli_unit *unit, bool allow_zero,
                               int64_t *amount) {
    char why[256];
    if (!cli_amount_parse(text, unit, allow_zero, amount, why, sizeof why)) return usage(b, why);
    return CLI_OK;
}

static cli_status need_network(build *b, const char *text) {
    cli_status status = cli_client_network(b->ctx, text, &b->plan->network);
    if (status == CLI_OK) b->plan->has_network = true;
    return status;
}

/* The network's reserve asset, for pool commands (the ledger's own refusal when
 * there is none, since nothing can be typed in a unit that does not exist). */
static cli_status need_reserve_asset(build *b, bool required) {
    if (b->plan->network.reserve_asset_id == 0) {
        if (!required) return CLI_OK;
        fprintf(b->ctx->err, "refused: %s (NO_RESERVE_ASSET)\n  an operator sets one with `tally network peg %s ASSET RESERVE CREDIT`\n",
                tally_error_message(TALLY_ERR_NO_RESERVE_ASSET), b->plan->network.name);
        return CLI_REFUSED;
    }
    cli_status status = cli_client_asset_by_id(b->ctx, b->plan->network.reserve_asset_id, &b->plan->asset);
    if (status == CLI_OK) b->plan->has_asset = true;
    return status;
}

cli_status cli_resolve_who(cli_context *ctx, const cli_command *command, const char *text, const cli_network *network,
                           tally_key *key, cli_network *who_network, char *display, size_t display_size) {
    cli_who who;
    char why[256];
    if (!cli_who_parse(text, &who, why, sizeof why)) return cli_usage(ctx, command, "%s", why);
    cli_network named;
    bool has_named = false;
    if (who.network[0]) {
        cli_status status = cli_client_network(ctx, who.network, &named);
        if (status != CLI_OK) return status;
        has_named = true;
        if (network && named.id != network->id)
            return cli_usage(ctx, command, "'%s' names network %s, but the command is about %s", text, named.name,
                             network->name);
    }
    const cli_network *in = has_named ? &named : network;
    if (who_network && in) *who_network = *in;
    if (who.is_address) {
        *key = who.key;
        if (in) snprintf(display, display_size, "%.62s@%s", text, in->name);
        else snprintf(display, display_size, "%.62s", text);
        return CLI_OK;
    }
    if (!in) return cli_usage(ctx, command, "'%s': an alias needs its network, as in %s@greenvale", text, who.alias);
    /* Asked quietly, so that a refusal names what was typed and where it was looked up. */
    char path[192];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", in->id, who.alias);
    json_t *json = NULL;
    cli_status status = cli_client_request(ctx, "GET", path, NULL, false, &json);
    if (status == CLI_REFUSED) {
        const char *code = cli_json_string(json, "code");
        if (code && strcmp(code, "NOT_MEMBER") == 0)
            fprintf(ctx->err, "tally: '%s': %s has no member with the alias '%s' (NOT_MEMBER); `tally network members %s` "
                              "lists them\n",
                    text, in->name, who.alias, in->name);
        else
            fprintf(ctx->err, "tally: '%s': %s (%s)\n", text,
                    cli_json_string(json, "message") ? cli_json_string(json, "message") : "refused", code ? code : "?");
    }
    cli_account account;
    if (status == CLI_OK && !cli_client_account_from_json(json, &account, why, sizeof why))
        status = cli_fail(ctx, CLI_IO, "the node's answer for '%s' is unusable: %s", text, why);
    json_decref(json);
    if (status != CLI_OK) return status;
    *key = account.key;
    snprintf(display, display_size, "%s@%s", who.alias, in->name);
    return CLI_OK;
}

static cli_status who_in_network(build *b, const char *text, tally_key *key) {
    return cli_resolve_who(b->ctx, b->args->command, text, &b->plan->network, key, NULL, b->plan->counterparty,
                           sizeof b->plan->counterparty);
}

/* Unit codes and asset codes are upper case, as the chain keeps them: "gvh" is
 * refused with the code it should be, not changed behind the user's back. */
static cli_status code_text(const build *b, const char *what, const char *text, tally_text *out) {
    char upper[TALLY_CODE_MAX + 1];
    size_t length = strlen(text);
    bool ok = length >= 1 && length <= TALLY_CODE_MAX, lower = false;
    for (size_t i = 0; ok && i < length; i++) {
        char c = text[i];
        lower = lower || (c >= 'a' && c <= 'z');
        upper[i] = (char)toupper((unsigned char)c);
        ok = (upper[i] >= 'A' && upper[i] <= 'Z') || (c >= '0' && c <= '9');
    }
    char why[160];
    if (!ok) {
        snprintf(why, sizeof why, "the %s '%s' must be 1 to 8 of A-Z and 0-9", what, text);
        return usage(b, why);
    }
    upper[length] = '\0';
    if (lower) {
        snprintf(why, sizeof why, "the %s is upper case: %s, not %s", what, upper, text);
        return usage(b, why);
    }
    bool assigned = cli_text_assign(out, upper, TALLY_CODE_MAX);
    (void)assigned;
    return CLI_OK;
}

static cli_status name_text(const build *b, const char *what, const char *text, tally_text *out) {
    char why[160];
    if (!text[0] || !cli_text_assign(out, text, TALLY_NAME_MAX)) {
        snprintf(why, sizeof why, "the %s must be 1 to %u bytes, not %zu", what, TALLY_NAME_MAX, strlen(text));
        return usage(b, why);
    }
    return CLI_OK;
}

static cli_status decimals_option(const build *b, uint8_t *decimals) {
    const char *text = cli_option_value(b->args, "--decimals");
    uint64_t value = 2;
    if (text && !cli_number_parse(text, TALLY_DECIMALS_MAX, &value)) {
        char why[96];
        snprintf(why, sizeof why, "--decimals is 0 to 9, not '%s'", text);
        return usage(b, why);
    }
    *decimals = (uint8_t)value;
    return CLI_OK;
}

static cli_status build_network_create(build *b) {
    tally_tx_network_create *body = &b->tx->body.network_create;
    cli_status status = name_text(b, "network name", arg(b, 0), &body->name);
    if (status == CLI_OK) status = code_text(b, "unit", arg(b, 1), &body->unit_code);
    if (status == CLI_OK) status = decimals_option(b, &body->decimals);
    if (status != CLI_OK) return status;
    cli_unit unit = {body->decimals, ""};
    memcpy(unit.code, body->unit_code.bytes, body->unit_code.length);
    body->policy = cli_policy_defaults(&unit);
    char why[256];
    if (!cli_policy_apply_options(b->args, &unit, &body->policy, why, sizeof why)) return usage(b, why);
    snprintf(b->plan->network.name, sizeof b->plan->network.name, "%s", arg(b, 0));
    b->plan->network.unit = unit;
    return CLI_OK;
}

static cli_status build_policy_update(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    if (!b->plan->network.has_policy)
        return cli_fail(b->ctx, CLI_IO,
                        "the node did not send network %s's whole policy, so a change could reset rules you did not "
                        "mean to touch; nothing was sent",
                        b->plan->network.name);
    tally_tx_policy_update *body = &b->tx->body.policy_update;
    body->network_id = b->plan->network.id;
    /* An update states the whole policy wanted: starting from what is announced (when
     * something is) keeps the announcement, instead of withdrawing it by asking the
     * values in force again. */
    const tally_policy *base = b->plan->network.has_announced ? &b->plan->network.announced_policy
                                                              : &b->plan->network.policy;
    body->policy = *base;
    char why[256];
    if (!cli_policy_apply_options(b->args, &b->plan->network.unit, &body->policy, why, sizeof why)) return usage(b, why);
    if (memcmp(&body->policy, base, sizeof body->policy) == 0)
        return usage(b, "no policy option given: nothing to change");
    return CLI_OK;
}

static cli_status build_peg(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    tally_tx_peg_set *body = &b->tx->body.peg_set;
    body->network_id = b->plan->network.id;
    if (strcmp(arg(b, 1), "none") == 0) {
        if (b->args->positional_count != 2) return usage(b, "`none` clears the peg and takes no amounts");
        return CLI_OK;
    }
    if (b->args->positional_count != 4)
        return usage(b, "a peg needs RESERVE and CREDIT: how much of the asset backs how much credit");
    status = cli_client_asset(b->ctx, arg(b, 1), &b->plan->asset);
    if (status != CLI_OK) return status;
    b->plan->has_asset = true;
    body->asset_id = b->plan->asset.id;
    status = parse_amount(b, arg(b, 2), &b->plan->asset.unit, false, &body->peg_reserve_units);
    if (status == CLI_OK) status = parse_amount(b, arg(b, 3), &b->plan->network.unit, false, &body->peg_credit_units);
    return status;
}

/* OPERATOR_ADD/REMOVE, MEMBER_ADMIT/SUSPEND/REINSTATE, LINE_CLOSE. */
static cli_status build_network_key(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    b->tx->body.network_key.network_id = b->plan->network.id;
    return who_in_network(b, arg(b, 1), &b->tx->body.network_key.key);
}

static cli_status build_network_only(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status == CLI_OK) b->tx->body.network_only.network_id = b->plan->network.id;
    /* Leaving is refused while stakes are locked (STAKES_OPEN): said in the reserve's unit. */
    if (status == CLI_OK && b->tx->type == TALLY_TX_MEMBER_LEAVE) status = need_reserve_asset(b, false);
    return status;
}

static cli_status build_alias(build *b) {
    tally_tx_alias_set *body = &b->tx->body.alias_set;
    bool clear = strcmp(b->args->command->name, "clear") == 0;
    const char *alias = clear ? "" : arg(b, 1);
    size_t length = strlen(alias);
    bool valid = clear || (length >= 1 && length <= TALLY_ALIAS_MAX);
    for (size_t i = 0; valid && i < length; i++) valid = is_alias_char(alias[i]);
    if (!valid) {
        char why[160];
        snprintf(why, sizeof why, "'%s' is not an alias: 1 to 32 of a-z 0-9 . _ - (lower case)", alias);
        return usage(b, why);
    }
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    body->network_id = b->plan->network.id;
    bool assigned = cli_text_assign(&body->alias, alias, TALLY_ALIAS_MAX);
    (void)assigned;
    return CLI_OK;
}

static cli_status risk_option(const build *b, uint32_t *risk_fee_bps, bool *given) {
    char why[160];
    const char *text = cli_option_value(b->args, "--risk-fee-bps");
    *given = text != NULL;
    if (!option_bps(b->args, "--risk-fee-bps", risk_fee_bps, why, sizeof why)) return usage(b, why);
    return CLI_OK;
}

static cli_status build_line_open(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    tally_tx_line_open *body = &b->tx->body.line_open;
    body->network_id = b->plan->network.id;
    status = who_in_network(b, arg(b, 1), &body->member);
    if (status == CLI_OK) status = parse_amount(b, arg(b, 2), &b->plan->network.unit, true, &body->limit);
    if (status != CLI_OK) return status;
    char why[200];
    if (!option_duration(b->args, "period", 1, &body->period_seconds, why, sizeof why) ||
        !option_duration(b->args, "grace", 0, &body->grace_seconds, why, sizeof why))
        return usage(b, why);
    bool given;
    return risk_option(b, &body->risk_fee_bps, &given);
}

static cli_status build_line_update(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    tally_tx_line_update *body = &b->tx->body.line_update;
    body->network_id = b->plan->network.id;
    status = who_in_network(b, arg(b, 1), &body->member);
    if (status == CLI_OK) status = parse_amount(b, arg(b, 2), &b->plan->network.unit, true, &body->limit);
    bool given = false;
    if (status == CLI_OK) status = risk_option(b, &body->risk_fee_bps, &given);
    if (status != CLI_OK || given) return status;
    /* The risk fee is part of the update: keep the line's current one. */
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&body->member, address);
    cli_account account;
    status = cli_client_account(b->ctx, body->network_id, address, &account, NULL);
    if (status == CLI_OK) body->risk_fee_bps = account.risk_fee_bps;
    return status;
}

/* WHO@NET AMOUNT (arguments 0 and 1) of a payment or a hold: the payee, its network
 * (the plan's) and the amount in the network's unit. */
static cli_status payee_and_amount(build *b, tally_key *payee, uint32_t *network_id, int64_t *amount) {
    cli_status status = cli_resolve_who(b->ctx, b->args->command, arg(b, 0), NULL, payee, &b->plan->network,
                                        b->plan->counterparty, sizeof b->plan->counterparty);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    *network_id = b->plan->network.id;
    return parse_amount(b, arg(b, 1), &b->plan->network.unit, false, amount);
}

/* The options of a payment within one network that a cross one has not. */
static cli_status cross_options_refused(build *b) {
    if (cli_option_value(b->args, "--path") || cli_option_value(b->args, "--min-received"))
        return usage(b, "--path and --min-received are for a payment across networks: the payee is in your network");
    return CLI_OK;
}

static cli_status transfer_rest(build *b);

static cli_status build_transfer(build *b) {
    tally_tx_transfer *body = &b->tx->body.transfer;
    cli_who who;
    char why[256];
    if (!cli_who_parse(arg(b, 0), &who, why, sizeof why)) return usage(b, why);
    if (!who.network[0]) {
        snprintf(why, sizeof why, "say in which network to pay: %s@NETWORK (the network's name or id)", arg(b, 0));
        return usage(b, why);
    }
    const char *memo = cli_option_value(b->args, "--memo");
    if (memo && !cli_text_assign(&body->memo, memo, TALLY_MEMO_MAX)) {
        snprintf(why, sizeof why, "the memo is %zu bytes; at most %u", strlen(memo), TALLY_MEMO_MAX);
        return usage(b, why);
    }
    cli_status status = cross_options_refused(b);
    if (status == CLI_OK) status = payee_and_amount(b, &body->payee, &body->network_id, &body->amount);
    if (status != CLI_OK) return status;
    return transfer_rest(b);
}

/* A transfer's own account check and max_fee, its payee and amount set. */
static cli_status transfer_rest(build *b) {
    tally_tx_transfer *body = &b->tx->body.transfer;
    char why[256];
    cli_status status = CLI_OK;
    if (memcmp(body->payee.bytes, b->signer->bytes, TALLY_KEY_BYTES) == 0)
        return usage(b, "that is your own account: a payment needs another member");

    const char *max_fee = cli_option_value(b->args, "--max-fee");
    if (max_fee) {
        char reason[200];
        if (!cli_amount_parse(max_fee, &b->plan->network.unit, true, &body->max_fee, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--max-fee: %s", reason);
            return usage(b, why);
        }
    } else {
        /* The estimate reads the payer's account; a payer who is not a member gets
         * the base fee only, and the ledger's refusal (NOT_MEMBER) says why. */
        char address[TALLY_ADDRESS_LENGTH + 1], path[160];
        tally_address_encode(b->signer, address);
        snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", body->network_id, address);
        json_t *json;
        cli_account payer = {.balance = 0};
        bool credit_allowed = false;
        status = cli_client_request(b->ctx, "GET", path, NULL, false, &json);
        if (status == CLI_OK) {
            if (!cli_client_account_from_json(json, &payer, why, sizeof why)) {
                json_decref(json);
                return cli_fail(b->ctx, CLI_IO, "the node's answer for your account is unusable: %s", why);
            }
            credit_allowed = strcmp(payer.line_status, "active") == 0;
        } else if (status != CLI_REFUSED) {
            return status;
        }
        json_decref(json);
        if (!b->plan->network.has_policy)
            return cli_fail(b->ctx, CLI_IO, "the node did not send network %s's fee; give --max-fee AMOUNT",
                            b->plan->network.name);
        body->max_fee = cli_fee_estimate(body->amount, payer.balance, b->plan->network.policy.fee_bps,
                                         payer.risk_fee_bps, credit_allowed);
        b->plan->max_fee_estimated = true;
    }
    b->plan->max_fee = body->max_fee;
    return CLI_OK;
}

/* The payer's account in the batch's network, for the fee estimate; a payer who is
 * not a member gets the base fees only, and the ledger's refusal says why. */
static cli_status payer_for_estimate(build *b, uint32_t network_id, cli_account *payer, bool *credit_allowed) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[160], why[256];
    tally_address_encode(b->signer, address);
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network_id, address);
    json_t *json;
    *payer = (cli_account){.balance = 0};
    *credit_allowed = false;
    cli_status status = cli_client_request(b->ctx, "GET", path, NULL, false, &json);
    if (status == CLI_OK) {
        if (!cli_client_account_from_json(json, payer, why, sizeof why)) {
            json_decref(json);
            return cli_fail(b->ctx, CLI_IO, "the node's answer for your account is unusable: %s", why);
        }
        *credit_allowed = strcmp(payer->line_status, "active") == 0;
    } else if (status != CLI_REFUSED) {
        return status;
    }
    json_decref(json);
    return CLI_OK;
}

/* Reads the whole file (at most CLI_BATCH_FILE_MAX bytes) into a buffer the caller
 * frees. */
static cli_status read_batch_file(const build *b, const char *path, char **text, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return cli_fail(b->ctx, CLI_USAGE, "cannot read %s: %s", path, strerror(errno));
    *text = malloc(CLI_BATCH_FILE_MAX + 1);
    *length = *text ? fread(*text, 1, CLI_BATCH_FILE_MAX + 1, file) : 0;
    bool failed = !*text || ferror(file);
    fclose(file);
    if (failed) {
        free(*text);
        *text = NULL;
        return cli_fail(b->ctx, CLI_IO, "cannot read %s", path);
    }
    return CLI_OK;
}

/* One line's payee, in the batch's network; the file's line is named on refusal. */
static cli_status batch_payee(build *b, const cli_batch_row *row, uint32_t index) {
    const char *file = b->plan->batch_file;
    cli_who who;
    char why[256];
    if (!cli_who_parse(row->payee, &who, why, sizeof why))
        return cli_fail(b->ctx, CLI_USAGE, "%s line %u: %s", file, row->source_line, why);
    const cli_network *network = &b->plan->network;
    if (who.network[0] && strcasecmp(who.network, network->name) != 0) {
        char id[16];
        snprintf(id, sizeof id, "%" PRIu32, network->id);
        if (strcmp(who.network, id) != 0) {
            cli_network named;
            cli_status status = cli_client_network(b->ctx, who.network, &named);
            if (status != CLI_OK) return cli_fail(b->ctx, status, "%s line %u: no network '%s'", file, row->source_line,
                                                  who.network);
            if (named.id != network->id)
                return cli_fail(b->ctx, CLI_USAGE, "%s line %u: '%s' is in %s; a batch pays in one network (%s)", file,
                                row->source_line, row->payee, named.name, network->name);
        }
    }
    tally_batch_line *line = &b->tx->body.transfer_batch.lines[index];
    char *display = b->plan->batch_payee_text[index];
    size_t display_size = sizeof b->plan->batch_payee_text[index];
    if (who.is_address) {
        line->payee = who.key;
        char address[TALLY_ADDRESS_LENGTH + 1];
        tally_address_encode(&who.key, address);
        snprintf(display, display_size, "%s@%s", address, network->name);
    } else {
        /* An alias met on an earlier line is known already. */
        for (uint32_t k = 0; k < index; k++) {
            char same[TALLY_ALIAS_MAX + TALLY_NAME_MAX + 2];
            snprintf(same, sizeof same, "%s@%s", who.alias, network->name);
            if (strcmp(b->plan->batch_payee_text[k], same) == 0) {
                line->payee = b->tx->body.transfer_batch.lines[k].payee;
                snprintf(display, display_size, "%s", same);
                return CLI_OK;
            }
        }
        char path[192];
        snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network->id, who.alias);
        json_t *json = NULL;
        cli_status status = cli_client_request(b->ctx, "GET", path, NULL, false, &json);
        cli_account account;
        if (status == CLI_REFUSED) {
            const char *message = cli_json_string(json, "message");
            fprintf(b->ctx->err, "tally: %s line %u: no member '%s' in %s%s%s\n", file, row->source_line, who.alias,
                    network->name, message ? ": " : "", message ? message : "");
            json_decref(json);
            return CLI_REFUSED;
        }
        if (status != CLI_OK) return status;
        bool usable = cli_client_account_from_json(json, &account, why, sizeof why);
        json_decref(json);
        if (!usable) return cli_fail(b->ctx, CLI_IO, "the node's answer for account %s is unusable: %s", who.alias, why);
        line->payee = account.key;
        snprintf(display, display_size, "%s@%s", who.alias, network->name);
    }
    if (memcmp(line->payee.bytes, b->signer->bytes, TALLY_KEY_BYTES) == 0)
        return cli_fail(b->ctx, CLI_USAGE, "%s line %u: that is your own account: a payment needs another member",
                        file, row->source_line);
    return CLI_OK;
}

/* The network of the batch: --network, or the first line's @network. */
static cli_status batch_network(build *b, const cli_batch_row *first) {
    const char *named = cli_option_value(b->args, "--network");
    if (named) return need_network(b, named);
    char why[256];
    cli_who who;
    if (!cli_who_parse(first->payee, &who, why, sizeof why))
        return cli_fail(b->ctx, CLI_USAGE, "%s line %u: %s", b->plan->batch_file, first->source_line, why);
    if (!who.network[0])
        return cli_fail(b->ctx, CLI_USAGE, "%s line %u: say in which network to pay: %s@NETWORK, or give --network NET",
                        b->plan->batch_file, first->source_line, first->payee);
    return need_network(b, who.network);
}

static cli_status build_transfer_batch(build *b) {
    tally_tx_transfer_batch *body = &b->tx->body.transfer_batch;
    snprintf(b->plan->batch_file, sizeof b->plan->batch_file, "%s", arg(b, 0));
    char *text = NULL;
    size_t length = 0;
    cli_status status = read_batch_file(b, arg(b, 0), &text, &length);
    if (status != CLI_OK) return status;
    cli_batch_row *rows = malloc(TALLY_BATCH_LINES_MAX * sizeof *rows);
    size_t count = 0;
    char why[320];
    bool parsed = rows && cli_batch_csv_parse(text, length, rows, &count, why, sizeof why);
    free(text);
    if (!parsed) {
        status = rows ? cli_fail(b->ctx, CLI_USAGE, "%s: %s", b->plan->batch_file, why)
                      : cli_fail(b->ctx, CLI_IO, "out of memory");
        free(rows);
        return status;
    }
    status = batch_network(b, &rows[0]);
    if (status == CLI_OK && !tally_tx_batch_reserve(b->tx, (uint16_t)count)) status = cli_fail(b->ctx, CLI_IO, "out of memory");
    if (status != CLI_OK) {
        free(rows);
        return status;
    }
    body->network_id = b->plan->network.id;
    for (uint32_t i = 0; i < count && status == CLI_OK; i++) {
        const cli_batch_row *row = &rows[i];
        tally_batch_line *line = &body->lines[i];
        b->plan->batch_source_lines[i] = row->source_line;
        if (!cli_amount_parse(row->amount, &b->plan->network.unit, false, &line->amount, why, sizeof why)) {
            status = cli_fail(b->ctx, CLI_USAGE, "%s line %u: %s", b->plan->batch_file, row->source_line, why);
            break;
        }
        line->memo.length = row->memo_length;
        memcpy(line->memo.bytes, row->memo, row->memo_length);
        status = batch_payee(b, row, i);
        if (status == CLI_OK && __builtin_add_overflow(b->plan->batch_total, line->amount, &b->plan->batch_total))
            status = cli_fail(b->ctx, CLI_USAGE, "%s line %u: the amounts add up past what an amount can be",
                              b->plan->batch_file, row->source_line);
    }
    free(rows);
    if (status != CLI_OK) return status;
    for (uint32_t i = 0; i < count; i++) {
        bool earlier = false;
        for (uint32_t k = 0; k < i && !earlier; k++)
            earlier = memcmp(body->lines[k].payee.bytes, body->lines[i].payee.bytes, TALLY_KEY_BYTES) == 0;
        if (!earlier) b->plan->batch_payees++;
    }
    snprintf(b->plan->counterparty, sizeof b->plan->counterparty, "%u payees in %s", b->plan->batch_payees,
             b->plan->network.name);

    const char *max_fee = cli_option_value(b->args, "--max-fee");
    if (max_fee) {
        char reason[200];
        if (!cli_amount_parse(max_fee, &b->plan->network.unit, true, &body->max_fee, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--max-fee: %s", reason);
            return usage(b, why);
        }
    } else {
        cli_account payer;
        bool credit_allowed;
        status = payer_for_estimate(b, body->network_id, &payer, &credit_allowed);
        if (status != CLI_OK) return status;
        if (!b->plan->network.has_policy)
            return cli_fail(b->ctx, CLI_IO, "the node did not send network %s's fee; give --max-fee AMOUNT",
                            b->plan->network.name);
        body->max_fee = cli_batch_fee_estimate(body->lines, body->line_count, payer.balance,
                                               b->plan->network.policy.fee_bps, payer.risk_fee_bps, credit_allowed);
        b->plan->max_fee_estimated = true;
    }
    b->plan->max_fee = body->max_fee;
    return CLI_OK;
}

static cli_status build_asset_create(build *b) {
    tally_tx_asset_create *body = &b->tx->body.asset_create;
    cli_status status = code_text(b, "asset code", arg(b, 0), &body->code);
    if (status == CLI_OK) status = name_text(b, "asset name", arg(b, 1), &body->name);
    if (status == CLI_OK) status = decimals_option(b, &body->decimals);
    if (status != CLI_OK) return status;
    b->plan->asset.unit.decimals = body->decimals;
    memcpy(b->plan->asset.unit.code, body->code.bytes, body->code.length);
    snprintf(b->plan->asset.name, sizeof b->plan->asset.name, "%s", arg(b, 1));
    b->plan->has_asset = true;
    return CLI_OK;
}

static cli_status build_asset_move(build *b) {
    cli_status status = cli_client_asset(b->ctx, arg(b, 0), &b->plan->asset);
    if (status != CLI_OK) return status;
    b->plan->has_asset = true;
    tally_tx_asset_move *body = &b->tx->body.asset_move;
    body->asset_id = b->plan->asset.id;
    status = parse_amount(b, arg(b, 2), &b->plan->asset.unit, false, &body->amount);
    if (status != CLI_OK) return status;
    return cli_resolve_who(b->ctx, b->args->command, arg(b, 1), NULL, &body->to, NULL, b->plan->counterparty,
                           sizeof b->plan->counterparty);
}

static cli_status build_asset_burn(build *b) {
    cli_status status = cli_client_asset(b->ctx, arg(b, 0), &b->plan->asset);
    if (status != CLI_OK) return status;
    b->plan->has_asset = true;
    b->tx->body.asset_burn.asset_id = b->plan->asset.id;
    return parse_amount(b, arg(b, 1), &b->plan->asset.unit, false, &b->tx->body.asset_burn.amount);
}

static cli_status build_pool(build *b, tally_tx_type type) {
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    bool in_reserve = type == TALLY_TX_POOL_DEPOSIT || type == TALLY_TX_POOL_WITHDRAW;
    status = need_reserve_asset(b, in_reserve);
    if (status != CLI_OK) return status;
    tally_tx_pool_amount *body = &b->tx->body.pool_amount;
    body->network_id = b->plan->network.id;
    /* Shares are counted like the reserve (a first deposit gets one share per unit). */
    const cli_unit *unit = in_reserve ? &b->plan->asset.unit : &b->plan->network.unit;
    return parse_amount(b, arg(b, 1), unit, false, &body->amount);
}

/* STAKE, UNSTAKE: NET MEMBER AMOUNT, the amount in the network's reserve asset. */
static cli_status build_stake(build *b) {
    cli_status status = need_network(b, arg(b, 0));
    if (status == CLI_OK) status = need_reserve_asset(b, true);
    if (status != CLI_OK) return status;
    tally_tx_stake *body = &b->tx->body.stake;
    body->network_id = b->plan->network.id;
    status = who_in_network(b, arg(b, 1), &body->member);
    if (status != CLI_OK) return status;
    if (memcmp(body->member.bytes, b->signer->bytes, TALLY_KEY_BYTES) == 0)
        return usage(b, "an underwriter stakes behind another member's line, not its own");
    return parse_amount(b, arg(b, 2), &b->plan->asset.unit, false, &body->amount);
}

static cli_status build_fee_distribute(build *b) {
    bool to_pool = cli_flag(b->args, "--to-pool");
    unsigned count = b->args->positional_count;
    if (to_pool && count == 3) return usage(b, "give WHO or --to-pool, not both");
    if (!to_pool && count == 2) return usage(b, "say who receives the fees: WHO, or --to-pool for the pool");
    cli_status status = need_network(b, arg(b, 0));
    if (status != CLI_OK) return status;
    tally_tx_fee_distribute *body = &b->tx->body.fee_distribute;
    body->network_id = b->plan->network.id;
    body->to_pool = to_pool;
    if (!to_pool) status = who_in_network(b, arg(b, 1), &body->to);
    else snprintf(b->plan->counterparty, sizeof b->plan->counterparty, "the assurance pool");
    if (status != CLI_OK) return status;
    return parse_amount(b, arg(b, count - 1), &b->plan->network.unit, false, &body->amount);
}

static cli_status build_chain_approve(build *b) {
    tally_tx_chain_approve *body = &b->tx->body.chain_approve;
    char why[200];
    static const char *const names[] = {"--networks", "--assets"};
    uint32_t *counts[] = {&body->networks, &body->assets};
    bool given = false;
    for (int i = 0; i < 2; i++) {
        const char *text = cli_option_value(b->args, names[i]);
        uint64_t value = 0;
        if (text && !cli_number_parse(text, TALLY_APPROVALS_MAX, &value)) {
            snprintf(why, sizeof why, "%s takes a whole number, 0 to %u, not '%s'", names[i], TALLY_APPROVALS_MAX, text);
            return usage(b, why);
        }
        given = given || text;
        *counts[i] = (uint32_t)value;
    }
    if (!given) return usage(b, "say what the key may do: --networks N and/or --assets N (0 revokes)");
    return cli_resolve_who(b->ctx, b->args->command, arg(b, 0), NULL, &body->key, NULL, b->plan->counterparty,
                           sizeof b->plan->counterparty);
}

/* chain validator-propose --add ADDRESS... --retire ADDRESS...: the keys to add, in the
 * order given (they take the next free slots in that order), and the slots to retire.
 * A validator's slot is its place in the roster the node lists (GET /v1/status
 * rules.validators: every slot in order, the retired ones included), since a slot is
 * never reused or reordered. What the roster makes of the change (a key already in it,
 * too many, none left) is the ledger's to say (BAD_VALIDATOR_SET). */
static cli_status build_validator_propose(build *b) {
    tally_tx_validator_propose *body = &b->tx->body.validator_propose;
    const char *adds[CLI_REPEATS_PER_OPTION_MAX], *retires[CLI_REPEATS_PER_OPTION_MAX];
    unsigned add_count = cli_option_repeats(b->args, "--add", adds, CLI_REPEATS_PER_OPTION_MAX);
    unsigned retire_count = cli_option_repeats(b->args, "--retire", retires, CLI_REPEATS_PER_OPTION_MAX);
    char why[320];
    if (add_count == 0 && retire_count == 0)
        return usage(b, "say what changes: --add ADDRESS (a key to make a validator) and/or --retire ADDRESS (a "
                        "validator to retire)");
    assert(add_count <= TALLY_VALIDATORS_MAX && retire_count <= TALLY_VALIDATORS_MAX);
    body->add_count = (uint8_t)add_count;
    for (unsigned i = 0; i < add_count; i++) {
        if (!tally_address_decode(adds[i], &body->add[i])) {
            snprintf(why, sizeof why, "--add takes a validator's address (tly1..., what `tallyd --validator-key` "
                                      "prints), not '%s'", adds[i]);
            return usage(b, why);
        }
        for (unsigned k = 0; k < i; k++)
            if (memcmp(body->add[k].bytes, body->add[i].bytes, TALLY_KEY_BYTES) == 0) {
                snprintf(why, sizeof why, "%s is added twice: give each key once", adds[i]);
                return usage(b, why);
            }
    }
    if (retire_count == 0) return CLI_OK;
    tally_key keys[TALLY_VALIDATORS_MAX];
    for (unsigned i = 0; i < retire_count; i++)
        if (!tally_address_decode(retires[i], &keys[i])) {
            snprintf(why, sizeof why, "--retire takes a validator's address (tly1..., as `tally status` lists "
                                      "them), not '%s'", retires[i]);
            return usage(b, why);
        }
    json_t *status_json = NULL;
    cli_status status = cli_client_get(b->ctx, "/v1/status", &status_json);
    if (status != CLI_OK) return status;
    json_t *roster = cli_json_array(cli_json_object(status_json, "rules"), "validators");
    if (!roster || json_array_size(roster) > TALLY_VALIDATORS_MAX) {
        json_decref(status_json);
        return cli_fail(b->ctx, CLI_IO, "the node did not list the chain's validators (rules.validators)");
    }
    for (unsigned i = 0; i < retire_count && status == CLI_OK; i++) {
        int slot = -1;
        for (size_t s = 0; s < json_array_size(roster) && slot < 0; s++) {
            tally_key listed;
            const char *text = json_string_value(json_array_get(roster, s));
            if (text && tally_address_decode(text, &listed) &&
                memcmp(listed.bytes, keys[i].bytes, TALLY_KEY_BYTES) == 0)
                slot = (int)s;
        }
        if (slot < 0)
            status = cli_fail(b->ctx, CLI_REFUSED,
                              "%s is not one of the chain's validators, so it cannot be retired (BAD_VALIDATOR_SET); "
                              "`tally status` lists them",
                              retires[i]);
        else if (body->retire & (1u << slot))
            status = usage(b, "a validator is retired twice: give each once");
        else
            body->retire |= 1u << slot;
    }
    json_decref(status_json);
    return status;
}

/* chain validator-approve CHANGE_ID: the number the proposal printed. */
static cli_status build_validator_approve(build *b) {
    uint64_t id = 0;
    if (!cli_number_parse(arg(b, 0), UINT32_MAX, &id) || id == 0) {
        char why[200];
        snprintf(why, sizeof why,
                 "CHANGE_ID is the number of the change (what `tally chain validator-propose` printed), not '%s'",
                 arg(b, 0));
        return usage(b, why);
    }
    b->tx->body.validator_approve.change_id = (uint32_t)id;
    return CLI_OK;
}

/* "30d", "12h", "90m", "45s" or plain seconds; false for anything else or 0. */
bool cli_duration_parse(const char *text, uint64_t *seconds) {
    size_t length = strlen(text);
    if (length == 0 || length > 20) return false;
    uint64_t unit = 1;
    char digits[24];
    snprintf(digits, sizeof digits, "%s", text);
    switch (digits[length - 1]) {
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: unit = 0; break;
    }
    if (unit) digits[length - 1] = '\0';
    else unit = 1;
    uint64_t count;
    if (!cli_number_parse(digits, UINT32_MAX, &count) || count == 0 || count > UINT64_MAX / unit) return false;
    *seconds = count * unit;
    return true;
}


/* The chain's tip time, which a hold's timeout and a request's expiry count from (a
 * dev chain's clock included). */
static cli_status tip_time(const build *b, int64_t *time) {
    json_t *status_json = NULL;
    cli_status status = cli_client_get(b->ctx, "/v1/status", &status_json);
    if (status != CLI_OK) return status;
    bool has_time = cli_json_i64(status_json, "tip_time", time);
    json_decref(status_json);
    return has_time ? CLI_OK : cli_fail(b->ctx, CLI_IO, "the node did not say its tip time");
}

/* --max-fee, or the most a payment of `amount` by the signer can cost in fees now. */
static cli_status max_fee_option(build *b, int64_t amount, int64_t *max_fee) {
    const char *text = cli_option_value(b->args, "--max-fee");
    if (text) {
        char reason[200], why[256];
        if (cli_amount_parse(text, &b->plan->network.unit, true, max_fee, reason, sizeof reason)) return CLI_OK;
        snprintf(why, sizeof why, "--max-fee: %s", reason);
        return usage(b, why);
    }
    cli_account payer;
    bool credit_allowed;
    cli_status status = payer_for_estimate(b, b->plan->network.id, &payer, &credit_allowed);
    if (status != CLI_OK) return status;
    if (!b->plan->network.has_policy)
        return cli_fail(b->ctx, CLI_IO, "the node did not send network %s's fee; give --max-fee AMOUNT",
                        b->plan->network.name);
    *max_fee = cli_fee_estimate(amount, payer.balance, b->plan->network.policy.fee_bps, payer.risk_fee_bps,
                                credit_allowed);
    b->plan->max_fee_estimated = true;
    return CLI_OK;
}

/* hold create WHO@NET AMOUNT --timeout DURATION [--release] [--resolver WHO] [--max-fee]:
 * the timeout counts from the chain's tip time (a dev chain's clock included). */
static cli_status build_pending_create(build *b) {
    tally_tx_pending_create *body = &b->tx->body.pending_create;
    char why[256];
    cli_who who;
    if (!cli_who_parse(arg(b, 0), &who, why, sizeof why)) return usage(b, why);
    if (!who.network[0]) return usage(b, "say in which network to hold: WHO@NETWORK (the network's name or id)");
    cli_status status = payee_and_amount(b, &body->payee, &body->network_id, &body->amount);
    if (status != CLI_OK) return status;
    const char *timeout = cli_option_value(b->args, "--timeout");
    uint64_t seconds = 0;
    if (!timeout || !cli_duration_parse(timeout, &seconds) || seconds > 366u * 86400u)
        return usage(b, "--timeout DURATION: how long it is held at most (30d, 12h, 90m, 45s), up to 366 days");
    int64_t now = 0;
    status = tip_time(b, &now);
    if (status != CLI_OK) return status;
    body->timeout = now + (int64_t)seconds;
    body->outcome = cli_flag(b->args, "--release") ? TALLY_PENDING_RELEASE : TALLY_PENDING_REFUND;
    const char *resolver = cli_option_value(b->args, "--resolver");
    if (resolver) {
        status = cli_resolve_who(b->ctx, b->args->command, resolver, &b->plan->network, &body->resolver, NULL, NULL, 0);
        if (status != CLI_OK) return status;
    }
    status = max_fee_option(b, body->amount, &body->max_fee);
    b->plan->max_fee = body->max_fee;
    return status;
}

/* hold post NET ID AMOUNT, hold void ID. */
static cli_status build_pending_end(build *b, tally_tx_type type) {
    tally_tx_pending_end *body = &b->tx->body.pending_end;
    char why[160];
    const char *id_text = arg(b, type == TALLY_TX_PENDING_POST ? 1 : 0);
    uint64_t id;
    if (!cli_number_parse(id_text, UINT32_MAX, &id) || id == 0) {
        snprintf(why, sizeof why, "ID is the number `tally hold create` printed, not '%s'", id_text);
        return usage(b, why);
    }
    body->pending_id = (uint32_t)id;
    if (type != TALLY_TX_PENDING_POST) return CLI_OK;
    cli_status status = cli_client_network(b->ctx, arg(b, 0), &b->plan->network);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    return parse_amount(b, arg(b, 2), &b->plan->network.unit, false, &body->amount);
}

/* The longest a request may stay open (request.c's bound), and the default. */
#define REQUEST_EXPIRY_MAX_SECONDS (366u * 86400u)
#define REQUEST_EXPIRY_DEFAULT_SECONDS (30u * 86400u)

/* request create PAYER@NET AMOUNT [--memo] [--expires D], or NET AMOUNT --anyone:
 * the signer asks; the expiry counts from the chain's tip time. */
static cli_status build_request_create(build *b) {
    tally_tx_request_create *body = &b->tx->body.request_create;
    char why[256];
    bool anyone = cli_flag(b->args, "--anyone");
    cli_who who;
    if (!cli_who_parse(arg(b, 0), &who, why, sizeof why) && !anyone) return usage(b, why);
    cli_status status;
    if (anyone) {
        if (strchr(arg(b, 0), '@'))
            return usage(b, "--anyone asks every member of a network: give the network alone (NET AMOUNT --anyone)");
        status = need_network(b, arg(b, 0));
    } else {
        if (!who.network[0])
            return usage(b, "say whom to ask: PAYER@NETWORK (or NET AMOUNT --anyone for a request any member may pay)");
        status = cli_resolve_who(b->ctx, b->args->command, arg(b, 0), NULL, &body->payer, &b->plan->network,
                                 b->plan->counterparty, sizeof b->plan->counterparty);
        b->plan->has_network = status == CLI_OK;
    }
    if (status != CLI_OK) return status;
    body->network_id = b->plan->network.id;
    if (!anyone && memcmp(body->payer.bytes, b->signer->bytes, TALLY_KEY_BYTES) == 0)
        return usage(b, "that is your own account: a request asks another member to pay you");
    status = parse_amount(b, arg(b, 1), &b->plan->network.unit, false, &body->amount);
    if (status != CLI_OK) return status;
    const char *memo = cli_option_value(b->args, "--memo");
    if (memo && !cli_text_assign(&body->memo, memo, TALLY_MEMO_MAX)) {
        snprintf(why, sizeof why, "the memo is %zu bytes; at most %u", strlen(memo), TALLY_MEMO_MAX);
        return usage(b, why);
    }
    const char *expires = cli_option_value(b->args, "--expires");
    uint64_t seconds = REQUEST_EXPIRY_DEFAULT_SECONDS;
    if (expires && (!cli_duration_parse(expires, &seconds) || seconds > REQUEST_EXPIRY_MAX_SECONDS))
        return usage(b, "--expires DURATION: how long it may be paid (30d, 12h, 90m, 45s), up to 366 days");
    int64_t now = 0;
    status = tip_time(b, &now);
    if (status != CLI_OK) return status;
    body->expiry = now + (int64_t)seconds;
    b->plan->request_amount = body->amount;
    snprintf(b->plan->request_memo, sizeof b->plan->request_memo, "%s", memo ? memo : "");
    return CLI_OK;
}

/* The request a pay or cancel names, from the node: its network (for the units and
 * the fee), its payee, what it asks and its memo. Whether it can still be paid the
 * ledger says: a refusal is its own (REQUEST_PAID, REQUEST_EXPIRED, ...). */
static cli_status fetch_request(build *b, uint32_t id, tally_key *payee) {
    char path[64];
    snprintf(path, sizeof path, "/v1/requests/%" PRIu32, id);
    json_t *json = NULL;
    cli_status status = cli_client_get(b->ctx, path, &json);
    int64_t network_id = 0, amount = 0;
    const char *payee_text = cli_json_string(json, "payee"), *name = cli_json_string(json, "payee_name");
    const char *memo = cli_json_string(json, "memo");
    if (status == CLI_OK &&
        (!cli_json_i64(json, "network", &network_id) || network_id <= 0 || network_id > UINT32_MAX ||
         !cli_json_i64(json, "amount", &amount) || !payee_text || !tally_address_decode(payee_text, payee)))
        status = cli_fail(b->ctx, CLI_IO, "the node's answer for request %" PRIu32 " is unusable", id);
    if (status == CLI_OK) status = cli_client_network_by_id(b->ctx, (uint32_t)network_id, &b->plan->network);
    if (status == CLI_OK) {
        b->plan->has_network = true;
        b->plan->request_amount = amount;
        snprintf(b->plan->request_memo, sizeof b->plan->request_memo, "%s", memo ? memo : "");
        snprintf(b->plan->counterparty, sizeof b->plan->counterparty, "%.62s@%s",
                 name && name[0] ? name : payee_text, b->plan->network.name);
    }
    json_decref(json);
    return status;
}

/* request pay ID [--max-fee], request cancel ID. */
static cli_status build_request_end(build *b, tally_tx_type type) {
    tally_tx_request_end *body = &b->tx->body.request_end;
    uint64_t id;
    if (!cli_number_parse(arg(b, 0), UINT32_MAX, &id) || id == 0) {
        char why[160];
        snprintf(why, sizeof why, "ID is the number `tally request create` printed, not '%s'", arg(b, 0));
        return usage(b, why);
    }
    body->request_id = (uint32_t)id;
    tally_key payee;
    cli_status status = fetch_request(b, body->request_id, &payee);
    if (status != CLI_OK || type != TALLY_TX_REQUEST_PAY) return status;
    if (memcmp(payee.bytes, b->signer->bytes, TALLY_KEY_BYTES) == 0)
        return usage(b, "that is your own request: another member pays it (`tally request cancel` withdraws it)");
    status = max_fee_option(b, b->plan->request_amount, &body->max_fee);
    b->plan->max_fee = body->max_fee;
    return status;
}

/* ------------------------------------------------------------------------ */
/* Gateways, payments across them, clearings.                               */
/* ------------------------------------------------------------------------ */

static int64_t gcd64(int64_t a, int64_t b) {
    while (b != 0) {
        int64_t r = a % b;
        a = b, b = r;
    }
    return a;
}

static int64_t power_of_ten(uint8_t exponent) {
    int64_t p = 1;
    for (uint8_t i = 0; i < exponent; i++) p *= 10;
    return p;
}

const char *cli_gateway_rate_text(const cli_gateway *gateway, char *out, size_t out_size) {
    const tally_gateway_terms *t = &gateway->gateway.terms;
    const cli_unit *a = &gateway->network[0].unit, *b = &gateway->network[1].unit;
    if (t->rate_a == 0 && t->rate_b == 0) {
        snprintf(out, out_size, "from both pegs, fixed at acceptance");
        return out;
    }
    int64_t scale = 1;
    for (uint8_t k = 0; k <= TALLY_DECIMALS_MAX; k++) {
        int64_t candidate = power_of_ten(k), x, y;
        if (__builtin_mul_overflow(t->rate_a, candidate, &x) || __builtin_mul_overflow(t->rate_b, candidate, &y)) break;
        if (x % power_of_ten(a->decimals) == 0 && y % power_of_ten(b->decimals) == 0) {
            scale = candidate;
            break;
        }
    }
    char left[CLI_AMOUNT_TEXT_MAX], right[CLI_AMOUNT_TEXT_MAX];
    snprintf(out, out_size, "%s = %s", cli_out_amount(t->rate_a * scale, a, left),
             cli_out_amount(t->rate_b * scale, b, right));
    return out;
}

/* ID as typed: a gateway's number. */
static cli_status gateway_id_argument(const build *b, uint32_t *id) {
    uint64_t value;
    if (!cli_number_parse(arg(b, 0), UINT32_MAX, &value) || value == 0) {
        char why[200];
        snprintf(why, sizeof why, "ID is a gateway's number (`tally gateway list` shows them), not '%s'", arg(b, 0));
        return usage(b, why);
    }
    *id = (uint32_t)value;
    return CLI_OK;
}

/* The gateway named by argument 0, into the plan (its first network the plan's). */
static cli_status fetch_gateway(build *b, uint32_t *id) {
    cli_status status = gateway_id_argument(b, id);
    if (status == CLI_OK) status = cli_client_gateway(b->ctx, *id, &b->plan->gateway, NULL);
    if (status != CLI_OK) return status;
    b->plan->has_gateway = true;
    b->plan->has_network = true;
    b->plan->network = b->plan->gateway.network[0];
    return CLI_OK;
}

/* --network NET of update and freeze: which side of the gateway signs. */
static cli_status gateway_side(build *b, uint32_t *network_id) {
    const char *text = cli_option_value(b->args, "--network");
    if (!text) return usage(b, "--network NET is needed: the side of the gateway you sign for (yours)");
    cli_network named;
    cli_status status = cli_client_network(b->ctx, text, &named);
    if (status != CLI_OK) return status;
    const tally_gateway *g = &b->plan->gateway.gateway;
    if (named.id != g->network_a && named.id != g->network_b) {
        char why[400];
        snprintf(why, sizeof why, "%s is not a side of gateway %" PRIu32 ": it links %s and %s", named.name, g->id,
                 b->plan->gateway.network[0].name, b->plan->gateway.network[1].name);
        return usage(b, why);
    }
    b->plan->side = named.id == g->network_a ? 0 : 1;
    b->plan->network = named;
    *network_id = named.id;
    return CLI_OK;
}

/* --rate A:B (A in a's unit, B in b's) or pegs, reduced to its lowest terms. */
static cli_status rate_option(const build *b, const cli_network *a, const cli_network *partner,
                              tally_gateway_terms *terms) {
    const char *text = cli_option_value(b->args, "--rate");
    if (!text)
        return usage(b, "--rate is needed: A:B (A of your network's unit are worth B of the partner's, e.g. 1:1 or "
                        "3:2) or `pegs`");
    if (strcasecmp(text, "pegs") == 0) {
        terms->rate_a = terms->rate_b = 0;
        return CLI_OK;
    }
    const char *colon = strchr(text, ':');
    char left[64], why[256], reason[200];
    if (!colon || (size_t)(colon - text) >= sizeof left) {
        snprintf(why, sizeof why, "--rate is A:B (3:2: 3 %s are worth 2 %s) or `pegs`, not '%s'", a->unit.code,
                 partner->unit.code, text);
        return usage(b, why);
    }
    memcpy(left, text, (size_t)(colon - text));
    left[colon - text] = '\0';
    if (!cli_amount_parse(left, &a->unit, false, &terms->rate_a, reason, sizeof reason) ||
        !cli_amount_parse(colon + 1, &partner->unit, false, &terms->rate_b, reason, sizeof reason)) {
        snprintf(why, sizeof why, "--rate: %s", reason);
        return usage(b, why);
    }
    int64_t divisor = gcd64(terms->rate_a, terms->rate_b);
    terms->rate_a /= divisor, terms->rate_b /= divisor;
    return CLI_OK;
}

/* One side's terms from the options named (NULL: not an option of this command). */
static cli_status side_options(const build *b, const char *fee, const char *limit, const char *rtd,
                               const char *defaults, const cli_unit *unit, tally_gateway_side *side, bool *given) {
    char why[256];
    const char *names[] = {fee, limit, rtd, defaults};
    for (size_t i = 0; i < 4; i++)
        if (names[i] && cli_option_value(b->args, names[i])) *given = true;
    if (!option_bps(b->args, fee, &side->fee_bps, why, sizeof why) ||
        !option_amount(b->args, limit, unit, &side->limit, why, sizeof why) ||
        !option_bps(b->args, rtd, &side->min_partner_rtd_bps, why, sizeof why) ||
        !option_bps(b->args, defaults, &side->max_partner_default_bps, why, sizeof why))
        return usage(b, why);
    return CLI_OK;
}

/* gateway propose NETWORK PARTNER --rate A:B [side options]. */
static cli_status build_gateway_propose(build *b) {
    tally_tx_gateway_propose *body = &b->tx->body.gateway_propose;
    cli_status status = need_network(b, arg(b, 0));
    cli_network *partner = &b->plan->gateway.network[1];
    if (status == CLI_OK) status = cli_client_network(b->ctx, arg(b, 1), partner);
    if (status != CLI_OK) return status;
    if (partner->id == b->plan->network.id) return usage(b, "a gateway links two different networks: NETWORK and PARTNER are the same");
    b->plan->has_gateway = true;
    b->plan->gateway.network[0] = b->plan->network;
    body->network_a = b->plan->network.id, body->network_b = partner->id;
    bool given = false;
    status = rate_option(b, &b->plan->network, partner, &body->terms);
    if (status == CLI_OK)
        status = side_options(b, "--fee-bps", "--limit", "--min-partner-rtd", "--max-partner-default",
                              &b->plan->network.unit, &body->terms.side[0], &given);
    if (status == CLI_OK)
        status = side_options(b, "--partner-fee-bps", "--partner-limit", "--partner-min-rtd", "--partner-max-default",
                              &partner->unit, &body->terms.side[1], &given);
    b->plan->gateway.gateway.network_a = body->network_a, b->plan->gateway.gateway.network_b = body->network_b;
    b->plan->gateway.gateway.terms = body->terms;
    snprintf(b->plan->counterparty, sizeof b->plan->counterparty, "%s", partner->name);
    return status;
}

/* gateway accept ID: the terms as the node has them, repeated. */
static cli_status build_gateway_accept(build *b) {
    tally_tx_gateway_accept *body = &b->tx->body.gateway_accept;
    cli_status status = fetch_gateway(b, &body->gateway_id);
    if (status != CLI_OK) return status;
    body->terms = b->plan->gateway.gateway.terms;
    b->plan->network = b->plan->gateway.network[1]; /* the accepting side */
    return CLI_OK;
}

/* gateway update ID --network NET [--limit] [--fee-bps] [health rules]: the side's
 * present terms with the options given. */
static cli_status build_gateway_update(build *b) {
    tally_tx_gateway_update *body = &b->tx->body.gateway_update;
    cli_status status = fetch_gateway(b, &body->gateway_id);
    if (status == CLI_OK) status = gateway_side(b, &body->network_id);
    if (status != CLI_OK) return status;
    body->side = b->plan->gateway.gateway.terms.side[b->plan->side];
    bool given = false;
    status = side_options(b, "--fee-bps", "--limit", "--min-partner-rtd", "--max-partner-default",
                          &b->plan->network.unit, &body->side, &given);
    if (status == CLI_OK && !given)
        return usage(b, "nothing to change: give --limit, --fee-bps, --min-partner-rtd or --max-partner-default");
    return status;
}

/* gateway freeze ID --network NET, gateway unfreeze ID --network NET. */
static cli_status build_gateway_freeze(build *b) {
    tally_tx_gateway_freeze *body = &b->tx->body.gateway_freeze;
    cli_status status = fetch_gateway(b, &body->gateway_id);
    if (status == CLI_OK) status = gateway_side(b, &body->network_id);
    body->frozen = strcmp(b->args->command->name, "freeze") == 0;
    return status;
}

static cli_status build_gateway_close(build *b) { return fetch_gateway(b, &b->tx->body.gateway_end.gateway_id); }

/* gateway settle ID AMOUNT --network NET: NET (yours) pays reserve into the partner's
 * pool; AMOUNT, in the partner's unit, is how much of its exposure to NET falls. */
static cli_status build_settle(build *b) {
    tally_tx_settle *body = &b->tx->body.settle;
    cli_status status = fetch_gateway(b, &body->gateway_id);
    if (status == CLI_OK) status = gateway_side(b, &body->network_id);
    if (status != CLI_OK) return status;
    const cli_network *partner = &b->plan->gateway.network[1 - b->plan->side];
    snprintf(b->plan->counterparty, sizeof b->plan->counterparty, "%s", partner->name);
    b->plan->payee_network = *partner;
    status = parse_amount(b, arg(b, 1), &partner->unit, false, &body->amount);
    if (status != CLI_OK) return status;
    if (partner->reserve_asset_id == 0)
        return cli_fail(b->ctx, CLI_REFUSED, "%s has no reserve asset, so no pool to settle into (NO_RESERVE_ASSET)",
                        partner->name);
    return cli_client_asset_by_id(b->ctx, partner->reserve_asset_id, &b->plan->asset);
}

/* clearing submit --gateway ID:A:B ...: each set-off's amounts in its networks' units. */
static cli_status build_clearing(build *b) {
    tally_tx_clearing *body = &b->tx->body.clearing;
    unsigned count = b->args->repeat_count;
    char why[320], reason[200];
    if (count == 0) return usage(b, "give at least one set-off: --gateway ID:AMOUNT_A:AMOUNT_B");
    if (count > TALLY_CLEARING_SETOFFS_MAX) {
        snprintf(why, sizeof why, "a clearing sets off at most %u gateways, not %u", TALLY_CLEARING_SETOFFS_MAX, count);
        return usage(b, why);
    }
    body->count = (uint8_t)count;
    for (unsigned i = 0; i < count; i++) {
        const char *text = b->args->repeats[i];
        char copy[128];
        snprintf(copy, sizeof copy, "%s", text);
        char *first = strchr(copy, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        uint64_t id;
        if (!first || !second || strchr(second + 1, ':')) {
            snprintf(why, sizeof why, "--gateway is ID:AMOUNT_A:AMOUNT_B (1:40:40), not '%s'", text);
            return usage(b, why);
        }
        *first = *second = '\0';
        if (!cli_number_parse(copy, UINT32_MAX, &id) || id == 0) {
            snprintf(why, sizeof why, "--gateway '%s': ID is a gateway's number, not '%s'", text, copy);
            return usage(b, why);
        }
        for (unsigned k = 0; k < i; k++)
            if (body->setoffs[k].gateway_id == id) {
                snprintf(why, sizeof why, "gateway %" PRIu64 " is set off twice: give each gateway once", id);
                return usage(b, why);
            }
        cli_gateway *gateway = &b->plan->setoff_gateways[i];
        cli_status status = cli_client_gateway(b->ctx, (uint32_t)id, gateway, NULL);
        if (status != CLI_OK) return status;
        tally_setoff *setoff = &body->setoffs[i];
        setoff->gateway_id = (uint32_t)id;
        if (!cli_amount_parse(first + 1, &gateway->network[0].unit, false, &setoff->amount_a, reason, sizeof reason) ||
            !cli_amount_parse(second + 1, &gateway->network[1].unit, false, &setoff->amount_b, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--gateway '%s' (AMOUNT_A in %s, AMOUNT_B in %s): %s", text,
                     gateway->network[0].unit.code, gateway->network[1].unit.code, reason);
            return usage(b, why);
        }
    }
    return CLI_OK;
}

/* --path ID,ID,...: 1 to 4 gateway numbers, checked here and priced by the node. */
static cli_status path_option(const build *b, char *out, size_t out_size) {
    const char *text = cli_option_value(b->args, "--path");
    out[0] = '\0';
    if (!text) return CLI_OK;
    char copy[128], why[256];
    snprintf(copy, sizeof copy, "%s", text);
    unsigned hops = 0;
    bool valid = strlen(text) < sizeof copy;
    char *save = NULL;
    for (char *part = strtok_r(copy, ",", &save); valid && part; part = strtok_r(NULL, ",", &save)) {
        uint64_t id;
        valid = ++hops <= TALLY_PATH_HOPS_MAX && cli_number_parse(part, UINT32_MAX, &id) && id > 0;
    }
    if (!valid || hops == 0 || text[strlen(text) - 1] == ',' || text[0] == ',') {
        snprintf(why, sizeof why, "--path is 1 to %u gateway numbers in order from your network, with commas (1,2), not '%s'",
                 TALLY_PATH_HOPS_MAX, text);
        return usage(b, why);
    }
    snprintf(out, out_size, "%s", text);
    return CLI_OK;
}

void cli_say_no_path(cli_context *ctx, const json_t *error, const char *amount, const char *from, const char *to) {
    const char *message = cli_json_string(error, "message"), *code = cli_json_string(error, "code");
    fprintf(ctx->err, "tally: no way to pay %s from %s to %s now: %s (%s)\n", amount, from, to,
            message ? message : "refused", code ? code : "?");
    const json_t *refused = cli_json_object(error, "refused");
    const json_t *refusal = cli_json_object(refused, "refusal");
    if (refusal) {
        int64_t gateway = 0, available = 0;
        const char *why = cli_json_string(refusal, "code");
        fprintf(ctx->err, "  the nearest path (gateways");
        json_t *ids = cli_json_array(refused, "gateways");
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id) fprintf(ctx->err, "%s%" JSON_INTEGER_FORMAT, i ? "," : " ", json_integer_value(id));
        fprintf(ctx->err, ") is refused");
        if (cli_json_i64(refusal, "gateway", &gateway)) fprintf(ctx->err, " at gateway %" PRId64, gateway);
        fprintf(ctx->err, ": %s (%s)", cli_json_string(refusal, "message") ? cli_json_string(refusal, "message") : "",
                why ? why : "?");
        if (cli_json_i64(refusal, "available", &available))
            fprintf(ctx->err, "; room or figure: %" PRId64 " minor units", available);
        fprintf(ctx->err, "\n");
    }
    fprintf(ctx->err, "  `tally gateway list` shows the gateways, their limits and what each side owes\n");
}

/* The best path (or --path) as the node prices it, into the transaction and plan. */
static cli_status price_path(build *b, const char *explicit_path) {
    tally_tx_transfer_cross *body = &b->tx->body.transfer_cross;
    char payer[TALLY_ADDRESS_LENGTH + 1], payee[TALLY_ADDRESS_LENGTH + 1], path[512];
    tally_address_encode(b->signer, payer);
    tally_address_encode(&body->payee, payee);
    int written = snprintf(path, sizeof path, "/v1/paths?from=%s%%40%" PRIu32 "&to=%s%%40%" PRIu32 "&amount=%" PRId64,
                           payer, body->network_id, payee, b->plan->payee_network.id, body->amount);
    if (explicit_path[0] && written > 0 && (size_t)written < sizeof path)
        snprintf(path + written, sizeof path - (size_t)written, "&path=%s", explicit_path);
    json_t *json = NULL;
    cli_status status = cli_client_request(b->ctx, "GET", path, NULL, false, &json);
    if (status == CLI_REFUSED) {
        const char *code = cli_json_string(json, "code");
        char amount[CLI_AMOUNT_TEXT_MAX];
        cli_out_amount(body->amount, &b->plan->network.unit, amount);
        if (b->ctx->json) {
            json_t *document = json_pack("{s:O}", "error", json);
            cli_out_json(b->ctx->out, document);
            json_decref(document);
        } else if (code && strcmp(code, "NO_PATH") == 0)
            cli_say_no_path(b->ctx, json, amount, b->plan->payer_text, b->plan->counterparty);
        else cli_client_report_refusal(b->ctx, json);
        json_decref(json);
        return CLI_REFUSED;
    }
    if (status != CLI_OK) return status;
    const json_t *best = json_array_get(cli_json_array(json, "paths"), 0);
    const json_t *hops = cli_json_array(best, "hops");
    size_t count = json_array_size(hops);
    bool usable = best && count >= 1 && count <= TALLY_PATH_HOPS_MAX && cli_json_i64(best, "fee", &b->plan->cross_fee) &&
                  cli_json_i64(best, "received", &b->plan->cross_received);
    for (size_t h = 0; usable && h < count; h++) {
        const json_t *hop = json_array_get(hops, h);
        cli_cross_hop *into = &b->plan->cross_hops[h];
        int64_t id = 0, to = 0;
        usable = cli_json_i64(hop, "gateway", &id) && id > 0 && id <= UINT32_MAX && cli_json_i64(hop, "to", &to) &&
                 to > 0 && to <= UINT32_MAX && cli_json_i64(hop, "arrived", &into->arrived) &&
                 cli_json_i64(hop, "fee", &into->fee) && cli_json_i64(hop, "passed_on", &into->passed_on);
        if (usable) {
            into->gateway_id = (uint32_t)id;
            body->gateways[h] = (uint32_t)id;
            status = cli_client_network_by_id(b->ctx, (uint32_t)to, &into->to);
            if (status != CLI_OK) {
                json_decref(json);
                return status;
            }
        }
    }
    json_decref(json);
    if (!usable) return cli_fail(b->ctx, CLI_IO, "the node's answer for the paths is unusable");
    b->plan->cross_hop_count = (uint8_t)count;
    body->hop_count = (uint8_t)count;
    return CLI_OK;
}

/* pay FROM@NET WHO@NET AMOUNT: within one network a transfer, else a payment
 * across gateways over the path the node prices (or --path), signed with what it
 * showed: max_fee its first leg's fee, min_received what the payee receives. */
static cli_status build_transfer_from(build *b) {
    char why[400];
    cli_who from, to;
    if (!cli_who_parse(arg(b, 0), &from, why, sizeof why) || !cli_who_parse(arg(b, 1), &to, why, sizeof why))
        return usage(b, why);
    if (!from.network[0] || !to.network[0])
        return usage(b, "name both networks: FROM@NETWORK WHO@NETWORK AMOUNT (you, in the network you pay from)");
    tally_key payer, payee;
    cli_status status = cli_resolve_who(b->ctx, b->args->command, arg(b, 0), NULL, &payer, &b->plan->network,
                                        b->plan->payer_text, sizeof b->plan->payer_text);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    if (memcmp(payer.bytes, b->signer->bytes, TALLY_KEY_BYTES) != 0) {
        snprintf(why, sizeof why, "FROM is you: %s is not the key that signs (choose it with --key NAME)", arg(b, 0));
        return usage(b, why);
    }
    status = cli_resolve_who(b->ctx, b->args->command, arg(b, 1), NULL, &payee, &b->plan->payee_network,
                             b->plan->counterparty, sizeof b->plan->counterparty);
    if (status != CLI_OK) return status;
    if (b->plan->payee_network.id == b->plan->network.id) {
        /* both in one network: the transfer `tally pay WHO AMOUNT` makes */
        tally_tx_transfer *body = &b->tx->body.transfer;
        const char *memo = cli_option_value(b->args, "--memo");
        if (memo && !cli_text_assign(&body->memo, memo, TALLY_MEMO_MAX)) {
            snprintf(why, sizeof why, "the memo is %zu bytes; at most %u", strlen(memo), TALLY_MEMO_MAX);
            return usage(b, why);
        }
        status = cross_options_refused(b);
        if (status == CLI_OK) status = parse_amount(b, arg(b, 2), &b->plan->network.unit, false, &body->amount);
        if (status != CLI_OK) return status;
        body->network_id = b->plan->network.id;
        body->payee = payee;
        return transfer_rest(b);
    }
    if (cli_option_value(b->args, "--memo"))
        return usage(b, "a payment across networks carries no memo (the ledger's TRANSFER_CROSS has none)");
    b->tx->type = TALLY_TX_TRANSFER_CROSS;
    tally_tx_transfer_cross *body = &b->tx->body.transfer_cross;
    body->network_id = b->plan->network.id;
    body->payee = payee;
    status = parse_amount(b, arg(b, 2), &b->plan->network.unit, false, &body->amount);
    char explicit_path[128];
    if (status == CLI_OK) status = path_option(b, explicit_path, sizeof explicit_path);
    if (status == CLI_OK) status = price_path(b, explicit_path);
    if (status != CLI_OK) return status;
    body->max_fee = b->plan->cross_fee;
    body->min_received = b->plan->cross_received;
    char reason[200];
    const char *max_fee = cli_option_value(b->args, "--max-fee"), *min_received = cli_option_value(b->args, "--min-received");
    if (max_fee && !cli_amount_parse(max_fee, &b->plan->network.unit, true, &body->max_fee, reason, sizeof reason)) {
        snprintf(why, sizeof why, "--max-fee: %s", reason);
        return usage(b, why);
    }
    if (min_received &&
        !cli_amount_parse(min_received, &b->plan->payee_network.unit, true, &body->min_received, reason, sizeof reason)) {
        snprintf(why, sizeof why, "--min-received (in %s): %s", b->plan->payee_network.unit.code, reason);
        return usage(b, why);
    }
    b->plan->max_fee = body->max_fee;
    return CLI_OK;
}

/* The transaction type of a command, from its group and name. */
static const struct {
    const char *group;
    const char *name;
    tally_tx_type type;
} command_types[] = {
    {"network", "create", TALLY_TX_NETWORK_CREATE}, {"network", "policy", TALLY_TX_POLICY_UPDATE},
    {"network", "peg", TALLY_TX_PEG_SET},           {"operator", "add", TALLY_TX_OPERATOR_ADD},
    {"operator", "remove", TALLY_TX_OPERATOR_REMOVE}, {"member", "join", TALLY_TX_MEMBER_JOIN},
    {"member", "admit", TALLY_TX_MEMBER_ADMIT},     {"member", "suspend", TALLY_TX_MEMBER_SUSPEND},
    {"member", "reinstate", TALLY_TX_MEMBER_REINSTATE}, {"member", "leave", TALLY_TX_MEMBER_LEAVE},
    {"alias", "set", TALLY_TX_ALIAS_SET},           {"alias", "clear", TALLY_TX_ALIAS_SET},
    {"line", "open", TALLY_TX_LINE_OPEN},           {"line", "update", TALLY_TX_LINE_UPDATE},
    {"line", "close", TALLY_TX_LINE_CLOSE},         {NULL, "pay", TALLY_TX_TRANSFER},
    {"asset", "create", TALLY_TX_ASSET_CREATE},     {"asset", "issue", TALLY_TX_ASSET_ISSUE},
    {"asset", "transfer", TALLY_TX_ASSET_TRANSFER}, {"asset", "burn", TALLY_TX_ASSET_BURN},
    {"pool", "deposit", TALLY_TX_POOL_DEPOSIT},     {"pool", "withdraw", TALLY_TX_POOL_WITHDRAW},
    {"pool", "repay", TALLY_TX_POOL_REPAY},         {"pool", "redeem", TALLY_TX_POOL_REDEEM},
    {"fees", "distribute", TALLY_TX_FEE_DISTRIBUTE}, {"chain", "approve", TALLY_TX_CHAIN_APPROVE},
    {NULL, "pay-batch", TALLY_TX_TRANSFER_BATCH},
    {"hold", "create", TALLY_TX_PENDING_CREATE},    {"hold", "post", TALLY_TX_PENDING_POST},
    {"hold", "void", TALLY_TX_PENDING_VOID},
    {"request", "create", TALLY_TX_REQUEST_CREATE}, {"request", "pay", TALLY_TX_REQUEST_PAY},
    {"request", "cancel", TALLY_TX_REQUEST_CANCEL},
    {"gateway", "propose", TALLY_TX_GATEWAY_PROPOSE}, {"gateway", "accept", TALLY_TX_GATEWAY_ACCEPT},
    {"gateway", "update", TALLY_TX_GATEWAY_UPDATE}, {"gateway", "freeze", TALLY_TX_GATEWAY_FREEZE},
    {"gateway", "unfreeze", TALLY_TX_GATEWAY_FREEZE}, {"gateway", "close", TALLY_TX_GATEWAY_CLOSE},
    {"gateway", "settle", TALLY_TX_SETTLE},
    {NULL, "pay", TALLY_TX_TRANSFER_CROSS}, /* after TRANSFER: `pay` across networks */
    {"clearing", "submit", TALLY_TX_CLEARING},
    {"underwrite", "stake", TALLY_TX_STAKE},        {"underwrite", "unstake", TALLY_TX_UNSTAKE},
    {"member", "pay-fee", TALLY_TX_MEMBER_FEE_PAY},
    {"proposal", "create", TALLY_TX_PROPOSAL_CREATE}, {"proposal", "vote", TALLY_TX_PROPOSAL_VOTE},
    {"proposal", "cancel", TALLY_TX_PROPOSAL_CANCEL},
    {"market", "category", TALLY_TX_CATEGORY_SET},   {"market", "list", TALLY_TX_LISTING_CREATE},
    {"market", "update", TALLY_TX_LISTING_UPDATE},   {"market", "withdraw", TALLY_TX_LISTING_WITHDRAW},
    {"market", "order", TALLY_TX_ORDER_CREATE},      {"market", "accept", TALLY_TX_ORDER_ACCEPT},
    {"market", "decline", TALLY_TX_ORDER_DECLINE},   {"market", "cancel", TALLY_TX_ORDER_CANCEL},
    {"market", "confirm", TALLY_TX_ORDER_CONFIRM},   {"market", "dispute", TALLY_TX_ORDER_DISPUTE},
    {"market", "resolve", TALLY_TX_ORDER_RESOLVE},   {"market", "review", TALLY_TX_REVIEW},
    {"chain", "validator-propose", TALLY_TX_VALIDATOR_PROPOSE},
    {"chain", "validator-approve", TALLY_TX_VALIDATOR_APPROVE},
};

bool cli_command_tx_type(const cli_command *command, tally_tx_type *type) {
    for (size_t i = 0; i < sizeof command_types / sizeof command_types[0]; i++) {
        bool same_group = command_types[i].group ? command->group && strcmp(command->group, command_types[i].group) == 0
                                                 : command->group == NULL;
        if (same_group && strcmp(command->name, command_types[i].name) == 0) {
            *type = command_types[i].type;
            return true;
        }
    }
    return false;
}

bool cli_command_makes_tx_type(const cli_command *command, tally_tx_type type) {
    for (size_t i = 0; i < sizeof command_types / sizeof command_types[0]; i++) {
        bool same_group = command_types[i].group ? command->group && strcmp(command->group, command_types[i].group) == 0
                                                 : command->group == NULL;
        if (same_group && strcmp(command->name, command_types[i].name) == 0 && command_types[i].type == type)
            return true;
    }
    return false;
}

/* Encodes and decodes the unsigned transaction: what the codec refuses is refused
 * now, with its reason, before any key is opened. */
static cli_status check_encoding(const build *b) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(b->tx, bytes, sizeof bytes);
    tally_tx decoded;
    if (length == 0) return usage(b, "the transaction cannot be encoded (a text field is too long)");
    tally_error error = tally_tx_decode(bytes, length, &decoded);
    if (error == TALLY_OK) tally_tx_release(&decoded);
    if (error != TALLY_OK) {
        char why[200];
        snprintf(why, sizeof why,
                 "%s: a name, code, alias or memo holds a control or invisible formatting character "
                 "(such as U+202E or U+200B), or invalid UTF-8",
                 tally_error_message(error));
        return usage(b, why);
    }
    return CLI_OK;
}

cli_status cli_txbuild(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                       tx_plan *plan) {
    assert(args->command != NULL && signer != NULL);
    memset(tx, 0, sizeof *tx);
    memset(plan, 0, sizeof *plan);
    tally_tx_type type;
    if (!cli_command_tx_type(args->command, &type)) return cli_fail(ctx, CLI_USAGE, "this command makes no transaction");
    tx->type = (uint8_t)type;
    tx->signer = *signer;
    tx->sequence = 1;
    build b = {ctx, args, signer, tx, plan};
    cli_status status;
    switch (type) {
    case TALLY_TX_NETWORK_CREATE: status = build_network_create(&b); break;
    case TALLY_TX_POLICY_UPDATE: status = build_policy_update(&b); break;
    case TALLY_TX_PEG_SET: status = build_peg(&b); break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: status = build_network_key(&b); break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE:
    case TALLY_TX_MEMBER_FEE_PAY: status = build_network_only(&b); break;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: status = build_stake(&b); break;
    case TALLY_TX_ALIAS_SET: status = build_alias(&b); break;
    case TALLY_TX_LINE_OPEN: status = build_line_open(&b); break;
    case TALLY_TX_LINE_UPDATE: status = build_line_update(&b); break;
    case TALLY_TX_TRANSFER:
        status = args->positional_count == 3 ? build_transfer_from(&b) : build_transfer(&b);
        break;
    case TALLY_TX_GATEWAY_PROPOSE: status = build_gateway_propose(&b); break;
    case TALLY_TX_GATEWAY_ACCEPT: status = build_gateway_accept(&b); break;
    case TALLY_TX_GATEWAY_UPDATE: status = build_gateway_update(&b); break;
    case TALLY_TX_GATEWAY_FREEZE: status = build_gateway_freeze(&b); break;
    case TALLY_TX_SETTLE: status = build_settle(&b); break;
    case TALLY_TX_GATEWAY_CLOSE: status = build_gateway_close(&b); break;
    case TALLY_TX_CLEARING: status = build_clearing(&b); break;
    case TALLY_TX_ASSET_CREATE: status = build_asset_create(&b); break;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: status = build_asset_move(&b); break;
    case TALLY_TX_ASSET_BURN: status = build_asset_burn(&b); break;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: status = build_pool(&b, type); break;
    case TALLY_TX_FEE_DISTRIBUTE: status = build_fee_distribute(&b); break;
    case TALLY_TX_CHAIN_APPROVE: status = build_chain_approve(&b); break;
    case TALLY_TX_VALIDATOR_PROPOSE: status = build_validator_propose(&b); break;
    case TALLY_TX_VALIDATOR_APPROVE: status = build_validator_approve(&b); break;
    case TALLY_TX_TRANSFER_BATCH: status = build_transfer_batch(&b); break;
    case TALLY_TX_PENDING_CREATE: status = build_pending_create(&b); break;
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID: status = build_pending_end(&b, type); break;
    case TALLY_TX_REQUEST_CREATE: status = build_request_create(&b); break;
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL: status = build_request_end(&b, type); break;
    case TALLY_TX_PROPOSAL_CREATE:
    case TALLY_TX_PROPOSAL_VOTE:
    case TALLY_TX_PROPOSAL_CANCEL: status = cli_txbuild_proposal(ctx, args, signer, tx, plan); break;
    case TALLY_TX_CATEGORY_SET:
    case TALLY_TX_LISTING_CREATE:
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
    case TALLY_TX_ORDER_CREATE:
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE:
    case TALLY_TX_REVIEW: status = cli_txbuild_market(ctx, args, signer, tx, plan); break;
    default: status = cli_fail(ctx, CLI_USAGE, "this command makes no transaction"); break;
    }
    if (status != CLI_OK) return status;
    return check_encoding(&b);
}
