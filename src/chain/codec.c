/*
 * codec.c: the canonical binary encoding of transactions (docs/ENCODING.md). Each
 * body is a table of fields (tx_fields.h); one encoder and one strict decoder walk
 * the tables, so the two cannot drift apart. The encoder writes whatever the
 * structs hold (the core refuses bad values with its own codes); the decoder
 * refuses anything that is not the one canonical encoding of some transaction, so
 * decode then encode gives back the same bytes. Decoding allocates only a batch's
 * lines (the one counted array, TALLY_FIELD_ITEMS), which belong to the transaction.
 */
#include "chain/tx_fields.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

/* ------------------------------------------------------------------------ */
/* Body layouts.                                                             */
/* ------------------------------------------------------------------------ */

#define FIELD(kind_, name_, member_, limit_) \
    {name_, TALLY_FIELD_##kind_, (uint16_t)offsetof(tally_tx, body.member_), limit_, 0, 0, NULL, 0}
/* A field of one item of a counted array: its offset is inside the item. */
#define ITEM_FIELD(kind_, name_, type_, member_, limit_) \
    {name_, TALLY_FIELD_##kind_, (uint16_t)offsetof(type_, member_), limit_, 0, 0, NULL, 0}

/* The policy struct, field by field in declaration order. */
#define POLICY_FIELDS_NAMED(prefix_, body_)                                                            \
    FIELD(I64, prefix_ "policy.default_credit_limit", body_.policy.default_credit_limit, 0),    \
    FIELD(I64, prefix_ "policy.max_credit_limit", body_.policy.max_credit_limit, 0),            \
    FIELD(I64, prefix_ "policy.positive_cap", body_.policy.positive_cap, 0),                    \
    FIELD(U32, prefix_ "policy.fee_bps", body_.policy.fee_bps, 0),                              \
    FIELD(U32, prefix_ "policy.default_risk_fee_bps", body_.policy.default_risk_fee_bps, 0),    \
    FIELD(U32, prefix_ "policy.period_seconds", body_.policy.period_seconds, 0),                \
    FIELD(U32, prefix_ "policy.grace_seconds", body_.policy.grace_seconds, 0),                  \
    FIELD(U32, prefix_ "policy.min_income_bps", body_.policy.min_income_bps, 0),                \
    FIELD(U32, prefix_ "policy.target_rtd_bps", body_.policy.target_rtd_bps, 0),                \
    FIELD(U8, prefix_ "policy.compliance_rule", body_.policy.compliance_rule, TALLY_COMPLIANCE_COUNT), \
    FIELD(U8, prefix_ "policy.membership_mode", body_.policy.membership_mode, TALLY_MEMBERSHIP_COUNT), \
    FIELD(BOOL, prefix_ "policy.auto_renew", body_.policy.auto_renew, 0),                      \
    FIELD(U32, prefix_ "policy.max_members", body_.policy.max_members, 0),                      \
    FIELD(U32, prefix_ "policy.notice_seconds", body_.policy.notice_seconds, 0),                \
    FIELD(U32, prefix_ "policy.redeem_cap_bps", body_.policy.redeem_cap_bps, 0),                \
    FIELD(U32, prefix_ "policy.collateral_ratio_bps", body_.policy.collateral_ratio_bps, 0),    \
    FIELD(U32, prefix_ "policy.reputation.base", body_.policy.reputation.base, 0),              \
    FIELD(U32, prefix_ "policy.reputation.age_weight", body_.policy.reputation.age_weight, 0),  \
    FIELD(U32, prefix_ "policy.reputation.age_full_days", body_.policy.reputation.age_full_days, 0), \
    FIELD(U32, prefix_ "policy.reputation.volume_weight", body_.policy.reputation.volume_weight, 0), \
    FIELD(I64, prefix_ "policy.reputation.volume_full", body_.policy.reputation.volume_full, 0), \
    FIELD(U32, prefix_ "policy.reputation.streak_weight", body_.policy.reputation.streak_weight, 0), \
    FIELD(U32, prefix_ "policy.reputation.streak_full", body_.policy.reputation.streak_full, 0), \
    FIELD(U32, prefix_ "policy.reputation.review_weight", body_.policy.reputation.review_weight, 0), \
    FIELD(U32, prefix_ "policy.reputation.review_full", body_.policy.reputation.review_full, 0), \
    FIELD(U32, prefix_ "policy.reputation.default_penalty", body_.policy.reputation.default_penalty, 0), \
    FIELD(BOOL, prefix_ "policy.algorithmic_limits.enabled", body_.policy.algorithmic_limits.enabled, 0), \
    FIELD(I64, prefix_ "policy.algorithmic_limits.base", body_.policy.algorithmic_limits.base, 0), \
    FIELD(I64, prefix_ "policy.algorithmic_limits.per_point", body_.policy.algorithmic_limits.per_point, 0), \
    FIELD(U32, prefix_ "policy.algorithmic_limits.income_bps", body_.policy.algorithmic_limits.income_bps, 0), \
    FIELD(I64, prefix_ "policy.algorithmic_limits.step_max", body_.policy.algorithmic_limits.step_max, 0), \
    FIELD(U32, prefix_ "policy.algorithmic_limits.recovery_periods", body_.policy.algorithmic_limits.recovery_periods, 0), \
    FIELD(U32, prefix_ "policy.demurrage_bps", body_.policy.demurrage_bps, 0),                  \
    FIELD(I64, prefix_ "policy.demurrage_threshold", body_.policy.demurrage_threshold, 0),      \
    FIELD(I64, prefix_ "policy.membership_fee", body_.policy.membership_fee, 0),                \
    FIELD(BOOL, prefix_ "policy.charges_to_pool", body_.policy.charges_to_pool, 0),             \
    FIELD(U8, prefix_ "policy.governance.mode", body_.policy.governance.mode, TALLY_GOVERNANCE_COUNT), \
    FIELD(U8, prefix_ "policy.governance.weighting", body_.policy.governance.weighting, TALLY_WEIGHT_COUNT), \
    FIELD(U32, prefix_ "policy.governance.quorum_bps", body_.policy.governance.quorum_bps, 0),  \
    FIELD(U32, prefix_ "policy.governance.threshold_bps", body_.policy.governance.threshold_bps, 0), \
    FIELD(U32, prefix_ "policy.governance.voting_seconds", body_.policy.governance.voting_seconds, 0), \
    FIELD(U32, prefix_ "policy.governance.timelock_seconds", body_.policy.governance.timelock_seconds, 0), \
    FIELD(U32, prefix_ "policy.governance.late_quorum_seconds", body_.policy.governance.late_quorum_seconds, 0), \
    FIELD(BOOL, prefix_ "policy.governance.operators_may_suspend", body_.policy.governance.operators_may_suspend, 0), \
    FIELD(BOOL, prefix_ "policy.governance.operators_may_freeze", body_.policy.governance.operators_may_freeze, 0)
#define POLICY_FIELDS(body_) POLICY_FIELDS_NAMED("", body_)

static const tally_field network_create_fields[] = {
    FIELD(TEXT, "name", network_create.name, TALLY_NAME_MAX),
    FIELD(TEXT, "unit_code", network_create.unit_code, TALLY_CODE_MAX),
    FIELD(U8, "decimals", network_create.decimals, 0),
    POLICY_FIELDS(network_create),
};

static const tally_field policy_update_fields[] = {
    FIELD(U32, "network_id", policy_update.network_id, 0),
    POLICY_FIELDS(policy_update),
};

static const tally_field peg_set_fields[] = {
    FIELD(U32, "network_id", peg_set.network_id, 0),
    FIELD(U32, "asset_id", peg_set.asset_id, 0),
    FIELD(I64, "peg_reserve_units", peg_set.peg_reserve_units, 0),
    FIELD(I64, "peg_credit_units", peg_set.peg_credit_units, 0),
};

static const tally_field network_key_fields[] = {
    FIELD(U32, "network_id", network_key.network_id, 0),
    FIELD(KEY, "key", network_key.key, 0),
};

static const tally_field network_only_fields[] = {
    FIELD(U32, "network_id", network_only.network_id, 0),
};

static const tally_field alias_set_fields[] = {
    FIELD(U32, "network_id", alias_set.network_id, 0),
    FIELD(TEXT, "alias", alias_set.alias, TALLY_ALIAS_MAX),
};

static const tally_field line_open_fields[] = {
    FIELD(U32, "network_id", line_open.network_id, 0),
    FIELD(KEY, "member", line_open.member, 0),
    FIELD(I64, "limit", line_open.limit, 0),
    FIELD(U32, "period_seconds", line_open.period_seconds, 0),
    FIELD(U32, "grace_seconds", line_open.grace_seconds, 0),
    FIELD(U32, "risk_fee_bps", line_open.risk_fee_bps, 0),
};

static const tally_field line_update_fields[] = {
    FIELD(U32, "network_id", line_update.network_id, 0),
    FIELD(KEY, "member", line_update.member, 0),
    FIELD(I64, "limit", line_update.limit, 0),
    FIELD(U32, "risk_fee_bps", line_update.risk_fee_bps, 0),
};

static const tally_field transfer_fields[] = {
    FIELD(U32, "network_id", transfer.network_id, 0),
    FIELD(KEY, "payee", transfer.payee, 0),
    FIELD(I64, "amount", transfer.amount, 0),
    FIELD(I64, "max_fee", transfer.max_fee, 0),
    FIELD(TEXT, "memo", transfer.memo, TALLY_MEMO_MAX),
};

static const tally_field asset_create_fields[] = {
    FIELD(TEXT, "code", asset_create.code, TALLY_CODE_MAX),
    FIELD(TEXT, "name", asset_create.name, TALLY_NAME_MAX),
    FIELD(U8, "decimals", asset_create.decimals, 0),
};

static const tally_field asset_move_fields[] = {
    FIELD(U32, "asset_id", asset_move.asset_id, 0),
    FIELD(KEY, "to", asset_move.to, 0),
    FIELD(I64, "amount", asset_move.amount, 0),
};

static const tally_field asset_burn_fields[] = {
    FIELD(U32, "asset_id", asset_burn.asset_id, 0),
    FIELD(I64, "amount", asset_burn.amount, 0),
};

static const tally_field pool_amount_fields[] = {
    FIELD(U32, "network_id", pool_amount.network_id, 0),
    FIELD(I64, "amount", pool_amount.amount, 0),
};

static const tally_field fee_distribute_fields[] = {
    FIELD(U32, "network_id", fee_distribute.network_id, 0),
    FIELD(BOOL, "to_pool", fee_distribute.to_pool, 0),
    FIELD(KEY, "to", fee_distribute.to, 0),
    FIELD(I64, "amount", fee_distribute.amount, 0),
};

static const tally_field pending_create_fields[] = {
    FIELD(U32, "network_id", pending_create.network_id, 0),
    FIELD(KEY, "payee", pending_create.payee, 0),
    FIELD(I64, "amount", pending_create.amount, 0),
    FIELD(I64, "max_fee", pending_create.max_fee, 0),
    FIELD(KEY, "resolver", pending_create.resolver, 0),
    FIELD(I64, "timeout", pending_create.timeout, 0),
    FIELD(U8, "outcome", pending_create.outcome, TALLY_PENDING_OUTCOME_COUNT),
};

static const tally_field pending_post_fields[] = {
    FIELD(U32, "pending_id", pending_end.pending_id, 0),
    FIELD(I64, "amount", pending_end.amount, 0),
};

static const tally_field pending_void_fields[] = {
    FIELD(U32, "pending_id", pending_end.pending_id, 0),
};

static const tally_field request_create_fields[] = {
    FIELD(U32, "network_id", request_create.network_id, 0),
    FIELD(KEY, "payer", request_create.payer, 0),
    FIELD(I64, "amount", request_create.amount, 0),
    FIELD(I64, "expiry", request_create.expiry, 0),
    FIELD(TEXT, "memo", request_create.memo, TALLY_MEMO_MAX),
};

static const tally_field request_pay_fields[] = {
    FIELD(U32, "request_id", request_end.request_id, 0),
    FIELD(I64, "max_fee", request_end.max_fee, 0),
};

static const tally_field request_cancel_fields[] = {
    FIELD(U32, "request_id", request_end.request_id, 0),
};

/* A gateway side's terms, and the terms of both sides with the rate. */
#define GATEWAY_SIDE_FIELDS(prefix_, side_)                                               \
    FIELD(U32, prefix_ ".fee_bps", side_.fee_bps, 0), FIELD(I64, prefix_ ".limit", side_.limit, 0), \
    FIELD(U32, prefix_ ".min_partner_rtd_bps", side_.min_partner_rtd_bps, 0),             \
    FIELD(U32, prefix_ ".max_partner_default_bps", side_.max_partner_default_bps, 0)
#define GATEWAY_TERMS_FIELDS(body_)                                                       \
    FIELD(I64, "rate_a", body_.terms.rate_a, 0), FIELD(I64, "rate_b", body_.terms.rate_b, 0), \
    GATEWAY_SIDE_FIELDS("side_a", body_.terms.side[0]), GATEWAY_SIDE_FIELDS("side_b", body_.terms.side[1])

static const tally_field gateway_propose_fields[] = {
    FIELD(U32, "network_a", gateway_propose.network_a, 0),
    FIELD(U32, "network_b", gateway_propose.network_b, 0),
    GATEWAY_TERMS_FIELDS(gateway_propose),
};

static const tally_field gateway_accept_fields[] = {
    FIELD(U32, "gateway_id", gateway_accept.gateway_id, 0),
    GATEWAY_TERMS_FIELDS(gateway_accept),
};

static const tally_field gateway_update_fields[] = {
    FIELD(U32, "gateway_id", gateway_update.gateway_id, 0),
    FIELD(U32, "network_id", gateway_update.network_id, 0),
    GATEWAY_SIDE_FIELDS("side", gateway_update.side),
};

static const tally_field gateway_freeze_fields[] = {
    FIELD(U32, "gateway_id", gateway_freeze.gateway_id, 0),
    FIELD(U32, "network_id", gateway_freeze.network_id, 0),
    FIELD(BOOL, "frozen", gateway_freeze.frozen, 0),
};

static const tally_field transfer_cross_fields[] = {
    FIELD(U32, "network_id", transfer_cross.network_id, 0),
    FIELD(KEY, "payee", transfer_cross.payee, 0),
    FIELD(I64, "amount", transfer_cross.amount, 0),
    FIELD(I64, "max_fee", transfer_cross.max_fee, 0),
    FIELD(I64, "min_received", transfer_cross.min_received, 0),
    FIELD(U8, "hop_count", transfer_cross.hop_count, TALLY_PATH_HOPS_MAX + 1),
    FIELD(U32, "gateway_1", transfer_cross.gateways[0], 0),
    FIELD(U32, "gateway_2", transfer_cross.gateways[1], 0),
    FIELD(U32, "gateway_3", transfer_cross.gateways[2], 0),
    FIELD(U32, "gateway_4", transfer_cross.gateways[3], 0),
};

static const tally_field settle_fields[] = {
    FIELD(U32, "gateway_id", settle.gateway_id, 0),
    FIELD(U32, "network_id", settle.network_id, 0),
    FIELD(I64, "amount", settle.amount, 0),
};

static const tally_field clearing_fields[] = {
    FIELD(U8, "count", clearing.count, TALLY_CLEARING_SETOFFS_MAX + 1),
    FIELD(U32, "setoff_1.gateway_id", clearing.setoffs[0].gateway_id, 0),
    FIELD(I64, "setoff_1.amount_a", clearing.setoffs[0].amount_a, 0),
    FIELD(I64, "setoff_1.amount_b", clearing.setoffs[0].amount_b, 0),
    FIELD(U32, "setoff_2.gateway_id", clearing.setoffs[1].gateway_id, 0),
    FIELD(I64, "setoff_2.amount_a", clearing.setoffs[1].amount_a, 0),
    FIELD(I64, "setoff_2.amount_b", clearing.setoffs[1].amount_b, 0),
    FIELD(U32, "setoff_3.gateway_id", clearing.setoffs[2].gateway_id, 0),
    FIELD(I64, "setoff_3.amount_a", clearing.setoffs[2].amount_a, 0),
    FIELD(I64, "setoff_3.amount_b", clearing.setoffs[2].amount_b, 0),
    FIELD(U32, "setoff_4.gateway_id", clearing.setoffs[3].gateway_id, 0),
    FIELD(I64, "setoff_4.amount_a", clearing.setoffs[3].amount_a, 0),
    FIELD(I64, "setoff_4.amount_b", clearing.setoffs[3].amount_b, 0),
    FIELD(U32, "setoff_5.gateway_id", clearing.setoffs[4].gateway_id, 0),
    FIELD(I64, "setoff_5.amount_a", clearing.setoffs[4].amount_a, 0),
    FIELD(I64, "setoff_5.amount_b", clearing.setoffs[4].amount_b, 0),
    FIELD(U32, "setoff_6.gateway_id", clearing.setoffs[5].gateway_id, 0),
    FIELD(I64, "setoff_6.amount_a", clearing.setoffs[5].amount_a, 0),
    FIELD(I64, "setoff_6.amount_b", clearing.setoffs[5].amount_b, 0),
    FIELD(U32, "setoff_7.gateway_id", clearing.setoffs[6].gateway_id, 0),
    FIELD(I64, "setoff_7.amount_a", clearing.setoffs[6].amount_a, 0),
    FIELD(I64, "setoff_7.amount_b", clearing.setoffs[6].amount_b, 0),
    FIELD(U32, "setoff_8.gateway_id", clearing.setoffs[7].gateway_id, 0),
    FIELD(I64, "setoff_8.amount_a", clearing.setoffs[7].amount_a, 0),
    FIELD(I64, "setoff_8.amount_b", clearing.setoffs[7].amount_b, 0),
};

static const tally_field stake_fields[] = {
    FIELD(U32, "network_id", stake.network_id, 0),
    FIELD(KEY, "member", stake.member, 0),
    FIELD(I64, "amount", stake.amount, 0),
};

/* A proposal's action: the fields of the operator transactions it may stand for,
 * those its type does not use zero (docs/ENCODING.md). */
static const tally_field proposal_create_fields[] = {
    FIELD(U32, "network_id", proposal_create.network_id, 0),
    FIELD(U8, "action.type", proposal_create.action.type, 0),
    POLICY_FIELDS_NAMED("action.", proposal_create.action),
    FIELD(U32, "action.asset_id", proposal_create.action.asset_id, 0),
    FIELD(I64, "action.peg_reserve_units", proposal_create.action.peg_reserve_units, 0),
    FIELD(I64, "action.peg_credit_units", proposal_create.action.peg_credit_units, 0),
    FIELD(KEY, "action.key", proposal_create.action.key, 0),
    FIELD(U32, "action.gateway_id", proposal_create.action.gateway_id, 0),
    FIELD(U32, "action.partner_id", proposal_create.action.partner_id, 0),
    FIELD(I64, "action.rate_a", proposal_create.action.terms.rate_a, 0),
    FIELD(I64, "action.rate_b", proposal_create.action.terms.rate_b, 0),
    GATEWAY_SIDE_FIELDS("action.side_a", proposal_create.action.terms.side[0]),
    GATEWAY_SIDE_FIELDS("action.side_b", proposal_create.action.terms.side[1]),
    FIELD(BOOL, "action.frozen", proposal_create.action.frozen, 0),
    FIELD(U32, "action.order_id", proposal_create.action.order_id, 0),
    FIELD(I64, "action.amount", proposal_create.action.amount, 0),
};

static const tally_field proposal_vote_fields[] = {
    FIELD(U32, "proposal_id", proposal_vote.proposal_id, 0),
    FIELD(U8, "choice", proposal_vote.choice, TALLY_VOTE_CHOICE_COUNT),
};

static const tally_field proposal_cancel_fields[] = {
    FIELD(U32, "proposal_id", proposal_vote.proposal_id, 0),
};

static const tally_field gateway_close_fields[] = {
    FIELD(U32, "gateway_id", gateway_end.gateway_id, 0),
};

/* One line of a batch: what a TRANSFER names besides its network and max_fee. */
static const tally_field batch_line_fields[] = {
    ITEM_FIELD(KEY, "payee", tally_batch_line, payee, 0),
    ITEM_FIELD(I64, "amount", tally_batch_line, amount, 0),
    ITEM_FIELD(TEXT, "memo", tally_batch_line, memo, TALLY_BATCH_MEMO_MAX),
};

static const tally_field transfer_batch_fields[] = {
    FIELD(U32, "network_id", transfer_batch.network_id, 0),
    FIELD(I64, "max_fee", transfer_batch.max_fee, 0),
    {"lines", TALLY_FIELD_ITEMS, (uint16_t)offsetof(tally_tx, body.transfer_batch.line_count), TALLY_BATCH_LINES_MAX,
     (uint16_t)offsetof(tally_tx, body.transfer_batch.lines), (uint16_t)sizeof(tally_batch_line), batch_line_fields,
     (uint8_t)(sizeof batch_line_fields / sizeof batch_line_fields[0])},
};

static const tally_field chain_approve_fields[] = {
    FIELD(KEY, "key", chain_approve.key, 0),
    FIELD(U32, "networks", chain_approve.networks, 0),
    FIELD(U32, "assets", chain_approve.assets, 0),
};

/* The chain's validator set (docs/VALIDATORS.md): every slot of keys is written, those
 * past add_count as zeros, as a clearing's setoffs are. */
static const tally_field validator_propose_fields[] = {
    FIELD(U8, "add_count", validator_propose.add_count, TALLY_VALIDATORS_MAX + 1),
    FIELD(KEY, "add_1", validator_propose.add[0], 0),
    FIELD(KEY, "add_2", validator_propose.add[1], 0),
    FIELD(KEY, "add_3", validator_propose.add[2], 0),
    FIELD(KEY, "add_4", validator_propose.add[3], 0),
    FIELD(KEY, "add_5", validator_propose.add[4], 0),
    FIELD(KEY, "add_6", validator_propose.add[5], 0),
    FIELD(KEY, "add_7", validator_propose.add[6], 0),
    FIELD(KEY, "add_8", validator_propose.add[7], 0),
    FIELD(KEY, "add_9", validator_propose.add[8], 0),
    FIELD(KEY, "add_10", validator_propose.add[9], 0),
    FIELD(KEY, "add_11", validator_propose.add[10], 0),
    FIELD(KEY, "add_12", validator_propose.add[11], 0),
    FIELD(KEY, "add_13", validator_propose.add[12], 0),
    FIELD(KEY, "add_14", validator_propose.add[13], 0),
    FIELD(KEY, "add_15", validator_propose.add[14], 0),
    FIELD(KEY, "add_16", validator_propose.add[15], 0),
    FIELD(U32, "retire", validator_propose.retire, 0),
};

static const tally_field validator_approve_fields[] = {
    FIELD(U32, "change_id", validator_approve.change_id, 0),
};

/* The marketplace (docs/MARKETPLACE.md). A listing's image hash is 32 raw bytes,
 * laid out as a key is. */
static const tally_field category_set_fields[] = {
    FIELD(U32, "network_id", category_set.network_id, 0),
    FIELD(U8, "category", category_set.category, 0),
    FIELD(TEXT, "name", category_set.name, TALLY_CATEGORY_NAME_MAX),
};

#define LISTING_CONTENT_FIELDS                                                  \
    FIELD(U8, "category", listing.category, 0),                                 \
    FIELD(I64, "price", listing.price, 0),                                      \
    FIELD(U32, "quantity", listing.quantity, 0),                                \
    FIELD(I64, "expiry", listing.expiry, 0),                                    \
    FIELD(TEXT, "title", listing.title, TALLY_LISTING_TITLE_MAX),               \
    FIELD(TEXT, "text", listing.text, TALLY_LISTING_TEXT_MAX),                  \
    FIELD(KEY, "image_hash", listing.image_hash, 0),                            \
    FIELD(TEXT, "image_url", listing.image_url, TALLY_IMAGE_URL_MAX)

static const tally_field listing_create_fields[] = {
    FIELD(U32, "network_id", listing.network_id, 0),
    FIELD(U8, "kind", listing.kind, TALLY_LISTING_KIND_COUNT),
    LISTING_CONTENT_FIELDS,
};

static const tally_field listing_update_fields[] = {
    FIELD(U32, "listing_id", listing.listing_id, 0),
    LISTING_CONTENT_FIELDS,
};

static const tally_field listing_withdraw_fields[] = {
    FIELD(U32, "listing_id", listing.listing_id, 0),
};

static const tally_field order_create_fields[] = {
    FIELD(U32, "listing_id", order_create.listing_id, 0),
    FIELD(U32, "quantity", order_create.quantity, 0),
    FIELD(I64, "unit_price", order_create.unit_price, 0),
    FIELD(I64, "max_fee", order_create.max_fee, 0),
    FIELD(I64, "timeout", order_create.timeout, 0),
    FIELD(TEXT, "memo", order_create.memo, TALLY_MEMO_MAX),
};

/* Accept, cancel and confirm name the order; decline and dispute say why; resolve
 * splits. */
static const tally_field order_only_fields[] = {
    FIELD(U32, "order_id", order_step.order_id, 0),
};
static const tally_field order_reason_fields[] = {
    FIELD(U32, "order_id", order_step.order_id, 0),
    FIELD(TEXT, "memo", order_step.memo, TALLY_MEMO_MAX),
};
static const tally_field order_resolve_fields[] = {
    FIELD(U32, "order_id", order_step.order_id, 0),
    FIELD(I64, "amount", order_step.amount, 0),
    FIELD(TEXT, "memo", order_step.memo, TALLY_MEMO_MAX),
};

static const tally_field review_fields[] = {
    FIELD(U32, "order_id", review.order_id, 0),
    FIELD(U8, "rating", review.rating, 0),
    FIELD(TEXT, "text", review.text, TALLY_MEMO_MAX),
};

#define FIELDS_OF(type_name_, body_, fields_) \
    {type_name_, #body_, fields_, (uint8_t)(sizeof fields_ / sizeof fields_[0])}

#define LAYOUT(type_name_, body_)                                                    \
    {type_name_, #body_, body_##_fields,                                             \
     (uint8_t)(sizeof body_##_fields / sizeof body_##_fields[0])}

static const tally_tx_layout layouts[TALLY_TX_TYPE_LAST + 1] = {
    [TALLY_TX_NETWORK_CREATE] = LAYOUT("network_create", network_create),
    [TALLY_TX_POLICY_UPDATE] = LAYOUT("policy_update", policy_update),
    [TALLY_TX_PEG_SET] = LAYOUT("peg_set", peg_set),
    [TALLY_TX_OPERATOR_ADD] = LAYOUT("operator_add", network_key),
    [TALLY_TX_OPERATOR_REMOVE] = LAYOUT("operator_remove", network_key),
    [TALLY_TX_MEMBER_JOIN] = LAYOUT("member_join", network_only),
    [TALLY_TX_MEMBER_ADMIT] = LAYOUT("member_admit", network_key),
    [TALLY_TX_MEMBER_SUSPEND] = LAYOUT("member_suspend", network_key),
    [TALLY_TX_MEMBER_REINSTATE] = LAYOUT("member_reinstate", network_key),
    [TALLY_TX_MEMBER_LEAVE] = LAYOUT("member_leave", network_only),
    [TALLY_TX_ALIAS_SET] = LAYOUT("alias_set", alias_set),
    [TALLY_TX_LINE_OPEN] = LAYOUT("line_open", line_open),
    [TALLY_TX_LINE_UPDATE] = LAYOUT("line_update", line_update),
    [TALLY_TX_LINE_CLOSE] = LAYOUT("line_close", network_key),
    [TALLY_TX_TRANSFER] = LAYOUT("transfer", transfer),
    [TALLY_TX_ASSET_CREATE] = LAYOUT("asset_create", asset_create),
    [TALLY_TX_ASSET_ISSUE] = LAYOUT("asset_issue", asset_move),
    [TALLY_TX_ASSET_TRANSFER] = LAYOUT("asset_transfer", asset_move),
    [TALLY_TX_ASSET_BURN] = LAYOUT("asset_burn", asset_burn),
    [TALLY_TX_POOL_DEPOSIT] = LAYOUT("pool_deposit", pool_amount),
    [TALLY_TX_POOL_WITHDRAW] = LAYOUT("pool_withdraw", pool_amount),
    [TALLY_TX_POOL_REPAY] = LAYOUT("pool_repay", pool_amount),
    [TALLY_TX_POOL_REDEEM] = LAYOUT("pool_redeem", pool_amount),
    [TALLY_TX_FEE_DISTRIBUTE] = LAYOUT("fee_distribute", fee_distribute),
    [TALLY_TX_CHAIN_APPROVE] = LAYOUT("chain_approve", chain_approve),
    [TALLY_TX_TRANSFER_BATCH] = LAYOUT("transfer_batch", transfer_batch),
    [TALLY_TX_PENDING_CREATE] = LAYOUT("pending_create", pending_create),
    [TALLY_TX_PENDING_POST] = LAYOUT("pending_post", pending_post),
    [TALLY_TX_PENDING_VOID] = LAYOUT("pending_void", pending_void),
    [TALLY_TX_REQUEST_CREATE] = LAYOUT("request_create", request_create),
    [TALLY_TX_REQUEST_PAY] = LAYOUT("request_pay", request_pay),
    [TALLY_TX_REQUEST_CANCEL] = LAYOUT("request_cancel", request_cancel),
    [TALLY_TX_GATEWAY_PROPOSE] = LAYOUT("gateway_propose", gateway_propose),
    [TALLY_TX_GATEWAY_ACCEPT] = LAYOUT("gateway_accept", gateway_accept),
    [TALLY_TX_GATEWAY_UPDATE] = LAYOUT("gateway_update", gateway_update),
    [TALLY_TX_GATEWAY_FREEZE] = LAYOUT("gateway_freeze", gateway_freeze),
    [TALLY_TX_GATEWAY_CLOSE] = LAYOUT("gateway_close", gateway_close),
    [TALLY_TX_TRANSFER_CROSS] = LAYOUT("transfer_cross", transfer_cross),
    [TALLY_TX_CLEARING] = LAYOUT("clearing", clearing),
    [TALLY_TX_SETTLE] = LAYOUT("settle", settle),
    [TALLY_TX_STAKE] = LAYOUT("stake", stake),
    [TALLY_TX_UNSTAKE] = LAYOUT("unstake", stake),
    [TALLY_TX_MEMBER_FEE_PAY] = LAYOUT("member_fee_pay", network_only),
    [TALLY_TX_PROPOSAL_CREATE] = LAYOUT("proposal_create", proposal_create),
    [TALLY_TX_PROPOSAL_VOTE] = LAYOUT("proposal_vote", proposal_vote),
    [TALLY_TX_PROPOSAL_CANCEL] = {"proposal_cancel", "proposal_vote", proposal_cancel_fields, 1},
    [TALLY_TX_CATEGORY_SET] = LAYOUT("category_set", category_set),
    [TALLY_TX_LISTING_CREATE] = FIELDS_OF("listing_create", listing, listing_create_fields),
    [TALLY_TX_LISTING_UPDATE] = FIELDS_OF("listing_update", listing, listing_update_fields),
    [TALLY_TX_LISTING_WITHDRAW] = FIELDS_OF("listing_withdraw", listing, listing_withdraw_fields),
    [TALLY_TX_ORDER_CREATE] = LAYOUT("order_create", order_create),
    [TALLY_TX_ORDER_ACCEPT] = FIELDS_OF("order_accept", order_step, order_only_fields),
    [TALLY_TX_ORDER_DECLINE] = FIELDS_OF("order_decline", order_step, order_reason_fields),
    [TALLY_TX_ORDER_CANCEL] = FIELDS_OF("order_cancel", order_step, order_only_fields),
    [TALLY_TX_ORDER_CONFIRM] = FIELDS_OF("order_confirm", order_step, order_only_fields),
    [TALLY_TX_ORDER_DISPUTE] = FIELDS_OF("order_dispute", order_step, order_reason_fields),
    [TALLY_TX_ORDER_RESOLVE] = FIELDS_OF("order_resolve", order_step, order_resolve_fields),
    [TALLY_TX_REVIEW] = LAYOUT("review", review),
    [TALLY_TX_VALIDATOR_PROPOSE] = LAYOUT("validator_propose", validator_propose),
    [TALLY_TX_VALIDATOR_APPROVE] = LAYOUT("validator_approve", validator_approve),
};

_Static_assert(TALLY_TX_TYPE_FIRST == 1, "layouts[] is indexed by type from 1");
_Static_assert(sizeof(tally_tx) < 65536, "field offsets fit in uint16_t");
_Static_assert(TALLY_MEMO_MAX >= TALLY_NAME_MAX && TALLY_MEMO_MAX >= TALLY_ALIAS_MAX &&
                   TALLY_MEMO_MAX >= TALLY_CODE_MAX,
               "every text fits in tally_text.bytes");
_Static_assert(TALLY_MEMO_MAX <= UINT16_MAX, "text lengths travel as u16");
_Static_assert(offsetof(tally_text, bytes) == TALLY_TEXT_BYTES_OFFSET &&
                   offsetof(tally_batch_memo, bytes) == TALLY_TEXT_BYTES_OFFSET,
               "both text structs put the bytes after a u16 length");
_Static_assert(TALLY_BATCH_MEMO_MAX <= TALLY_MEMO_MAX, "a line's memo is a short transfer memo");
_Static_assert(TALLY_BATCH_LINES_MAX <= UINT16_MAX, "a batch's line count travels as u16");
_Static_assert(TALLY_BATCH_LINE_ENCODED_MAX == TALLY_KEY_BYTES + 8u + 2u + TALLY_BATCH_MEMO_MAX,
               "a line is payee, amount and memo");
_Static_assert(TALLY_TX_ENCODED_MAX == TALLY_TX_HEADER_BYTES + 4u + 8u + 2u +
                                           TALLY_BATCH_LINES_MAX * TALLY_BATCH_LINE_ENCODED_MAX +
                                           TALLY_SIGNATURE_BYTES,
               "the longest transaction is the longest batch");
_Static_assert(TALLY_TX_ENCODED_MAX <= UINT16_MAX, "frames carry a transaction's length as u16");

const tally_tx_layout *tally_tx_layout_of(uint8_t type) {
    if (type < TALLY_TX_TYPE_FIRST || type > TALLY_TX_TYPE_LAST) return NULL;
    const tally_tx_layout *layout = &layouts[type];
    assert(layout->fields != NULL && layout->field_count > 0);
    return layout;
}

const char *tally_tx_type_name(uint8_t type) {
    const tally_tx_layout *layout = tally_tx_layout_of(type);
    return layout ? layout->type_name : NULL;
}

/* ------------------------------------------------------------------------ */
/* Little-endian integers.                                                   */
/* ------------------------------------------------------------------------ */

static void store_u16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
}

static void store_u32(uint8_t *out, uint32_t value) {
    for (unsigned i = 0; i < 4; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static void store_u64(uint8_t *out, uint64_t value) {
    for (unsigned i = 0; i < 8; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static uint16_t load_u16(const uint8_t *in) { return (uint16_t)(in[0] | (in[1] << 8)); }

static uint32_t load_u32(const uint8_t *in) {
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
           (uint32_t)in[3] << 24;
}

static uint64_t load_u64(const uint8_t *in) {
    return (uint64_t)load_u32(in) | (uint64_t)load_u32(in + 4) << 32;
}


/* A TEXT field's length, read and written by bytes: the field is a tally_text or a
 * tally_batch_memo, which share that layout but not a type. */
static uint16_t text_length_at(const uint8_t *field) {
    uint16_t length;
    memcpy(&length, field, sizeof length);
    return length;
}

/* The items pointer of an ITEMS field of the struct at base. */
static uint8_t *items_at(const uint8_t *base, const tally_field *field) {
    uint8_t *items;
    memcpy(&items, base + field->items_offset, sizeof items);
    return items;
}

static uint16_t count_at(const uint8_t *base, const tally_field *field) {
    uint16_t count;
    memcpy(&count, base + field->offset, sizeof count);
    return count;
}

/* ------------------------------------------------------------------------ */
/* Encoding.                                                                 */
/* ------------------------------------------------------------------------ */

static size_t field_width(const tally_field *field) {
    switch (field->kind) {
    case TALLY_FIELD_I64: return 8;
    case TALLY_FIELD_U32: return 4;
    case TALLY_FIELD_U8:
    case TALLY_FIELD_BOOL: return 1;
    case TALLY_FIELD_KEY: return TALLY_KEY_BYTES;
    default: assert(field->kind == TALLY_FIELD_TEXT || field->kind == TALLY_FIELD_ITEMS); return 2;
    }
}

/* Adds the encoded size of the fields of the struct at base to *size; false when a
 * value cannot be encoded (text too long, a count out of range, items missing). */
static bool fields_size(const tally_field *fields, unsigned count, const uint8_t *base, size_t *size) {
    for (unsigned i = 0; i < count; i++) {
        const tally_field *field = &fields[i];
        *size += field_width(field);
        if (field->kind == TALLY_FIELD_TEXT) {
            uint16_t length = text_length_at(base + field->offset);
            if (length > field->limit) return false;
            *size += length;
        } else if (field->kind == TALLY_FIELD_ITEMS) {
            uint16_t items = count_at(base, field);
            const uint8_t *item = items_at(base, field);
            if (items == 0 || items > field->limit || item == NULL) return false;
            for (uint16_t k = 0; k < items; k++, item += field->item_size)
                if (!fields_size(field->item_fields, field->item_field_count, item, size)) return false;
        }
    }
    return true;
}

size_t tally_tx_encoded_size(const tally_tx *tx) {
    assert(tx != NULL);
    const tally_tx_layout *layout = tally_tx_layout_of(tx->type);
    if (layout == NULL) return 0;
    size_t size = TALLY_TX_HEADER_BYTES + TALLY_SIGNATURE_BYTES;
    if (!fields_size(layout->fields, layout->field_count, (const uint8_t *)tx, &size)) return 0;
    assert(size <= TALLY_TX_ENCODED_MAX);
    return size;
}

/* Writes the fields of the struct at base at out; returns the bytes written. The
 * caller has checked the size with fields_size. */
static size_t encode_fields(const tally_field *fields, unsigned count, const uint8_t *base, uint8_t *out) {
    size_t position = 0;
    for (unsigned i = 0; i < count; i++) {
        const tally_field *field = &fields[i];
        const uint8_t *source = base + field->offset;
        uint8_t *target = out + position;
        switch (field->kind) {
        case TALLY_FIELD_I64: {
            uint64_t value;
            memcpy(&value, source, sizeof value);
            store_u64(target, value);
            position += 8;
            break;
        }
        case TALLY_FIELD_U32: {
            uint32_t value;
            memcpy(&value, source, sizeof value);
            store_u32(target, value);
            position += 4;
            break;
        }
        case TALLY_FIELD_U8: *target = *source; position += 1; break;
        case TALLY_FIELD_BOOL: {
            /* Read as a byte: a bool object holding anything but 0/1 would be UB. */
            _Static_assert(sizeof(bool) == 1, "bool is one byte");
            *target = *source != 0;
            position += 1;
            break;
        }
        case TALLY_FIELD_KEY:
            memcpy(target, source, TALLY_KEY_BYTES);
            position += TALLY_KEY_BYTES;
            break;
        case TALLY_FIELD_TEXT: {
            uint16_t length = text_length_at(source);
            assert(length <= field->limit);
            store_u16(target, length);
            memcpy(target + 2, source + TALLY_TEXT_BYTES_OFFSET, length);
            position += 2u + length;
            break;
        }
        default: {
            assert(field->kind == TALLY_FIELD_ITEMS);
            uint16_t items = count_at(base, field);
            const uint8_t *item = items_at(base, field);
            assert(items >= 1 && items <= field->limit && item != NULL);
            store_u16(target, items);
            position += 2;
            for (uint16_t k = 0; k < items; k++, item += field->item_size)
                position += encode_fields(field->item_fields, field->item_field_count, item, out + position);
            break;
        }
        }
    }
    return position;
}

static size_t encode(const tally_tx *tx, uint8_t *out, size_t out_size, bool with_signature) {
    assert(tx != NULL);
    assert(out != NULL || out_size == 0);
    size_t size = tally_tx_encoded_size(tx);
    if (size == 0) return 0;
    if (!with_signature) size -= TALLY_SIGNATURE_BYTES;
    if (size > out_size) return 0;

    out[0] = TALLY_TX_VERSION;
    out[1] = tx->type;
    memcpy(out + 2, tx->chain_id, TALLY_CHAIN_ID_BYTES);
    memcpy(out + 2 + TALLY_CHAIN_ID_BYTES, tx->signer.bytes, TALLY_KEY_BYTES);
    store_u64(out + 2 + TALLY_CHAIN_ID_BYTES + TALLY_KEY_BYTES, tx->sequence);
    size_t position = TALLY_TX_HEADER_BYTES;
    const tally_tx_layout *layout = tally_tx_layout_of(tx->type);
    position += encode_fields(layout->fields, layout->field_count, (const uint8_t *)tx, out + position);
    if (with_signature) {
        memcpy(out + position, tx->signature, TALLY_SIGNATURE_BYTES);
        position += TALLY_SIGNATURE_BYTES;
    }
    assert(position == size);
    return position;
}

size_t tally_tx_encode(const tally_tx *tx, uint8_t *out, size_t out_size) {
    return encode(tx, out, out_size, true);
}

size_t tally_tx_encode_unsigned(const tally_tx *tx, uint8_t *out, size_t out_size) {
    return encode(tx, out, out_size, false);
}

/* ------------------------------------------------------------------------ */
/* Decoding.                                                                 */
/* ------------------------------------------------------------------------ */

/* Reads the fields of the struct at base from in (`left` bytes); *used is the bytes
 * read. Items are allocated into base before they are read, so that on any error
 * the caller frees whatever was allocated (tally_tx_release). */
static tally_error decode_fields(const uint8_t *in, size_t left, const tally_field *fields, unsigned count,
                                 uint8_t *base, size_t *used) {
    size_t position = 0;
    for (unsigned i = 0; i < count; i++) {
        const tally_field *field = &fields[i];
        const uint8_t *source = in + position;
        uint8_t *target = base + field->offset;
        size_t available = left - position;
        switch (field->kind) {
        case TALLY_FIELD_I64: {
            if (available < 8) return TALLY_ERR_DECODE_TRUNCATED;
            uint64_t value = load_u64(source); /* same bits as the int64_t */
            memcpy(target, &value, sizeof value);
            position += 8;
            break;
        }
        case TALLY_FIELD_U32: {
            if (available < 4) return TALLY_ERR_DECODE_TRUNCATED;
            uint32_t value = load_u32(source);
            memcpy(target, &value, sizeof value);
            position += 4;
            break;
        }
        case TALLY_FIELD_U8:
            if (available < 1) return TALLY_ERR_DECODE_TRUNCATED;
            if (field->limit != 0 && *source >= field->limit) return TALLY_ERR_DECODE_BAD_VALUE;
            *target = *source;
            position += 1;
            break;
        case TALLY_FIELD_BOOL: {
            if (available < 1) return TALLY_ERR_DECODE_TRUNCATED;
            if (*source > 1) return TALLY_ERR_DECODE_BAD_VALUE;
            bool value = *source == 1;
            memcpy(target, &value, sizeof value);
            position += 1;
            break;
        }
        case TALLY_FIELD_KEY:
            if (available < TALLY_KEY_BYTES) return TALLY_ERR_DECODE_TRUNCATED;
            memcpy(target, source, TALLY_KEY_BYTES);
            position += TALLY_KEY_BYTES;
            break;
        case TALLY_FIELD_TEXT: {
            if (available < 2) return TALLY_ERR_DECODE_TRUNCATED;
            uint16_t length = load_u16(source);
            if (length > field->limit) return TALLY_ERR_DECODE_BAD_LENGTH;
            if (available - 2 < length) return TALLY_ERR_DECODE_TRUNCATED;
            if (!tally_text_is_valid((const char *)source + 2, length)) return TALLY_ERR_DECODE_BAD_TEXT;
            memcpy(target, &length, sizeof length);
            memcpy(target + TALLY_TEXT_BYTES_OFFSET, source + 2, length);
            position += 2u + length;
            break;
        }
        default: {
            assert(field->kind == TALLY_FIELD_ITEMS);
            if (available < 2) return TALLY_ERR_DECODE_TRUNCATED;
            uint16_t items = load_u16(source);
            if (items == 0 || items > field->limit) return TALLY_ERR_DECODE_BAD_LENGTH;
            position += 2;
            /* Every item needs at least its fixed fields: a count the bytes left cannot
             * hold is refused before anything is allocated. */
            size_t item_bytes_min = 0;
            for (unsigned f = 0; f < field->item_field_count; f++) item_bytes_min += field_width(&field->item_fields[f]);
            if ((left - position) / item_bytes_min < items) return TALLY_ERR_DECODE_TRUNCATED;
            uint8_t *item = calloc(items, field->item_size);
            if (item == NULL) return TALLY_ERR_OUT_OF_MEMORY;
            memcpy(base + field->items_offset, &item, sizeof item);
            memcpy(target, &items, sizeof items);
            for (uint16_t k = 0; k < items; k++, item += field->item_size) {
                size_t item_used = 0;
                tally_error error = decode_fields(in + position, left - position, field->item_fields,
                                                  field->item_field_count, item, &item_used);
                if (error != TALLY_OK) return error;
                position += item_used;
            }
            break;
        }
        }
    }
    *used = position;
    return TALLY_OK;
}

tally_error tally_tx_decode(const uint8_t *bytes, size_t length, tally_tx *tx) {
    assert(tx != NULL);
    assert(bytes != NULL || length == 0);
    /* Zero everything, padding and unused text bytes included, so two decodes of
     * the same bytes compare equal with memcmp (batch lines aside: compare those with
     * tally_tx_equal). */
    memset(tx, 0, sizeof *tx);
    if (length < 1) return TALLY_ERR_DECODE_TRUNCATED;
    if (bytes[0] != TALLY_TX_VERSION) return TALLY_ERR_DECODE_BAD_VERSION;
    if (length < 2) return TALLY_ERR_DECODE_TRUNCATED;
    const tally_tx_layout *layout = tally_tx_layout_of(bytes[1]);
    if (layout == NULL) return TALLY_ERR_UNKNOWN_TX_TYPE;
    if (length < TALLY_TX_HEADER_BYTES) return TALLY_ERR_DECODE_TRUNCATED;

    tx->type = bytes[1];
    memcpy(tx->chain_id, bytes + 2, TALLY_CHAIN_ID_BYTES);
    memcpy(tx->signer.bytes, bytes + 2 + TALLY_CHAIN_ID_BYTES, TALLY_KEY_BYTES);
    tx->sequence = load_u64(bytes + 2 + TALLY_CHAIN_ID_BYTES + TALLY_KEY_BYTES);

    size_t position = TALLY_TX_HEADER_BYTES;
    size_t used = 0;
    tally_error error =
        decode_fields(bytes + position, length - position, layout->fields, layout->field_count, (uint8_t *)tx, &used);
    position += used;
    /* An unused field must be zero: else two different signed transactions would do
     * the same thing (fee_distribute to the pool names no member). */
    if (error == TALLY_OK && !tally_tx_unused_fields_zero(tx)) error = TALLY_ERR_DECODE_BAD_VALUE;
    if (error == TALLY_OK && length - position < TALLY_SIGNATURE_BYTES) error = TALLY_ERR_DECODE_TRUNCATED;
    if (error == TALLY_OK) {
        memcpy(tx->signature, bytes + position, TALLY_SIGNATURE_BYTES);
        position += TALLY_SIGNATURE_BYTES;
        if (position != length) error = TALLY_ERR_DECODE_TRAILING_BYTES;
    }
    if (error != TALLY_OK) tally_tx_release(tx);
    return error;
}

/* ------------------------------------------------------------------------ */
/* The memory of a batch's lines.                                            */
/* ------------------------------------------------------------------------ */

/* The ITEMS field of a type's layout, or NULL (only TRANSFER_BATCH has one). */
static const tally_field *items_field(uint8_t type) {
    const tally_tx_layout *layout = tally_tx_layout_of(type);
    for (unsigned i = 0; layout != NULL && i < layout->field_count; i++)
        if (layout->fields[i].kind == TALLY_FIELD_ITEMS) return &layout->fields[i];
    return NULL;
}

bool tally_tx_batch_reserve(tally_tx *tx, uint16_t line_count) {
    assert(tx != NULL && tx->type == TALLY_TX_TRANSFER_BATCH);
    assert(tx->body.transfer_batch.lines == NULL);
    tx->body.transfer_batch.line_count = 0;
    if (line_count == 0 || line_count > TALLY_BATCH_LINES_MAX) return false;
    tx->body.transfer_batch.lines = calloc(line_count, sizeof *tx->body.transfer_batch.lines);
    if (tx->body.transfer_batch.lines == NULL) return false;
    tx->body.transfer_batch.line_count = line_count;
    return true;
}

void tally_tx_release(tally_tx *tx) {
    assert(tx != NULL);
    const tally_field *field = items_field(tx->type);
    if (field == NULL) return;
    uint8_t *base = (uint8_t *)tx;
    free(items_at(base, field));
    uint8_t *none = NULL;
    uint16_t zero = 0;
    memcpy(base + field->items_offset, &none, sizeof none);
    memcpy(base + field->offset, &zero, sizeof zero);
}

bool tally_tx_copy(tally_tx *out, const tally_tx *tx) {
    assert(out != NULL && tx != NULL && out != tx);
    *out = *tx;
    const tally_field *field = items_field(tx->type);
    if (field == NULL) return true;
    const uint8_t *items = items_at((const uint8_t *)tx, field);
    uint16_t count = count_at((const uint8_t *)tx, field);
    uint8_t *copy = NULL;
    if (items != NULL && count > 0) {
        copy = malloc((size_t)count * field->item_size);
        if (copy != NULL) memcpy(copy, items, (size_t)count * field->item_size);
    }
    memcpy((uint8_t *)out + field->items_offset, &copy, sizeof copy);
    if (copy == NULL) {
        uint16_t zero = 0;
        memcpy((uint8_t *)out + field->offset, &zero, sizeof zero);
        return items == NULL || count == 0;
    }
    return true;
}

bool tally_tx_equal(const tally_tx *a, const tally_tx *b) {
    assert(a != NULL && b != NULL);
    size_t length_a = tally_tx_encoded_size(a), length_b = tally_tx_encoded_size(b);
    if (length_a != length_b) return false;
    if (length_a == 0) return memcmp(a, b, sizeof *a) == 0;
    uint8_t *bytes = malloc(2 * length_a);
    if (bytes == NULL) return false;
    bool equal = tally_tx_encode(a, bytes, length_a) == length_a &&
                 tally_tx_encode(b, bytes + length_a, length_a) == length_a &&
                 memcmp(bytes, bytes + length_a, length_a) == 0;
    free(bytes);
    return equal;
}
