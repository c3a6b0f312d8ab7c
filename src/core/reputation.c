/*
 * reputation.c: a member's reputation score and the algorithmic limit that reads it
 * (docs/UNDERWRITING.md). Both are pure integer functions of the member's on-chain
 * record and the network's policy, so every node computes the same numbers; the
 * chain writes the score at each end of the member's line periods (credit.c calls
 * reputation_update there) and, in a network with algorithmic limits, sets the line's
 * own part of its limit from it when the line renews.
 */
#include "core/ledger.h"

/* weight * min(x, full) / full, rounded toward zero; x below -full counts as -full. */
static int64_t part(uint32_t weight, int64_t x, int64_t full) {
    if (full <= 0 || weight == 0) return 0;
    if (x > full) x = full;
    if (x < -full) x = -full;
    __extension__ __int128 product = (__int128)weight * x;
    return (int64_t)(product / full);
}

uint32_t tally_reputation_score(const tally_reputation_rule *rule, const tally_reputation_inputs *in) {
    int64_t age = in->age_days > 0 ? in->age_days : 0, volume = in->volume > 0 ? in->volume : 0;
    int64_t score = rule->base;
    score += part(rule->age_weight, age, rule->age_full_days);
    score += part(rule->volume_weight, volume, rule->volume_full);
    score += part(rule->streak_weight, in->compliant_streak, rule->streak_full);
    score += part(rule->review_weight, in->review_points, rule->review_full);
    score -= (int64_t)in->defaults * rule->default_penalty; /* < 2^32 * 2^32 */
    if (score < 0) return 0;
    return score > 1000 ? 1000u : (uint32_t)score;
}

void reputation_update(const tally_network *network, tally_member *member, int64_t at) {
    int64_t age_seconds;
    if (!checked_sub(at, member->joined_at, &age_seconds) || age_seconds < 0) age_seconds = 0;
    tally_reputation_inputs inputs = {
        .age_days = age_seconds / TALLY_DAY_SECONDS,
        .volume = saturating_add(member->volume_given, member->volume_received),
        .compliant_streak = member->compliant_streak,
        .defaults = member->defaults,
        .review_points = member->review_points,
    };
    member->reputation = tally_reputation_score(&network->policy.reputation, &inputs);
}

int64_t tally_algorithmic_limit(const tally_policy *policy, int64_t part_now, uint32_t reputation,
                                int64_t income_now, int64_t income_last, uint32_t defaults,
                                uint32_t compliant_streak, int64_t floor) {
    const tally_limit_rule *rule = &policy->algorithmic_limits;
    __extension__ __int128 target;
    if (defaults > 0 && compliant_streak < rule->recovery_periods) {
        target = 0; /* after a default, until it has been compliant long enough again */
    } else {
        __extension__ __int128 income = ((__int128)(income_now > 0 ? income_now : 0) +
                                         (income_last > 0 ? income_last : 0)) / 2;
        target = (__int128)rule->base + (__int128)reputation * rule->per_point + income * rule->income_bps / TALLY_BPS_ONE;
    }
    if (target > policy->max_credit_limit) target = policy->max_credit_limit;
    /* Up by at most the step; down at once. */
    __extension__ __int128 highest = (__int128)(part_now > 0 ? part_now : 0) + rule->step_max;
    if (target > highest) target = highest;
    if (target < floor) target = floor; /* never below what the line owes */
    if (target < 0) target = 0;
    return target > INT64_MAX ? INT64_MAX : (int64_t)target;
}
