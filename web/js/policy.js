// policy.js: a network's policy between the API's JSON (enumerations by name:
// "compliance_rule": "rebalanced") and the encoding's body (by number), and the
// policy the console proposes for a new network. The names and numbers are those of
// docs/ENCODING.md's policy table.

export const POLICY_ENUMS = {
  compliance_rule: ['zero_balance', 'rebalanced', 'min_income'],
  membership_mode: ['open', 'admitted'],
  'governance.mode': ['operators', 'members'],
  'governance.weighting': ['one_member', 'reputation', 'stake'],
};

function number(path, value) {
  if (typeof value !== 'string') return value;
  const index = POLICY_ENUMS[path]?.indexOf(value);
  if (index === undefined || index < 0) throw new Error(`unknown ${path} '${value}'`);
  return index;
}

/** The policy of GET /v1/networks/{id}, as the encoder takes it. */
export function policyForEncoding(policy) {
  const out = structuredClone(policy);
  out.compliance_rule = number('compliance_rule', policy.compliance_rule);
  out.membership_mode = number('membership_mode', policy.membership_mode);
  out.governance.mode = number('governance.mode', policy.governance.mode);
  out.governance.weighting = number('governance.weighting', policy.governance.weighting);
  return out;
}

const DAY = 86400;

/**
 * A new network's policy: a line of defaultLine for each member (the most an
 * operator may open is ten times that), a 1% fee, 90-day periods rebalanced, a week's
 * notice, and the governance asked: 'operators', or 'members' (one member one vote,
 * quorum and threshold 50%, votes of votingHours, changes applied timelockHours later).
 */
export function newNetworkPolicy({ defaultLine, open, governance, votingHours = 24, timelockHours = 0 }) {
  const members = governance === 'members';
  return {
    default_credit_limit: defaultLine, max_credit_limit: defaultLine * 10n, positive_cap: 0n,
    fee_bps: 100, default_risk_fee_bps: 0, period_seconds: 90 * DAY, grace_seconds: 30 * DAY,
    min_income_bps: 0, target_rtd_bps: 2000, compliance_rule: 1, membership_mode: open ? 0 : 1, auto_renew: true,
    max_members: 100000, notice_seconds: 7 * DAY, redeem_cap_bps: 1000, collateral_ratio_bps: 0,
    reputation: { base: 200, age_weight: 200, age_full_days: 365, volume_weight: 200, volume_full: 1000000n, streak_weight: 300,
      streak_full: 12, review_weight: 100, review_full: 10, default_penalty: 500 },
    algorithmic_limits: { enabled: false, base: 0n, per_point: 0n, income_bps: 0, step_max: 0n, recovery_periods: 0 },
    demurrage_bps: 0, demurrage_threshold: 0n, membership_fee: 0n, charges_to_pool: false,
    governance: members
      ? { mode: 1, weighting: 0, quorum_bps: 5000, threshold_bps: 5000, voting_seconds: votingHours * 3600,
        timelock_seconds: timelockHours * 3600, late_quorum_seconds: 0, operators_may_suspend: true, operators_may_freeze: false }
      : { mode: 0, weighting: 0, quorum_bps: 0, threshold_bps: 0, voting_seconds: 0, timelock_seconds: 0,
        late_quorum_seconds: 0, operators_may_suspend: false, operators_may_freeze: false },
  };
}
