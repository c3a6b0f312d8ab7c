/*
 * tally.h: the public API of Tally's core, the mutual-credit protocol as a
 * deterministic state machine, and of its chain layer (canonical transaction
 * encoding, Ed25519 signatures, hashes).
 *
 * Read this header instead of a manual. The core (tally_state_*, tally_apply,
 * tally_end_block, tally_check_invariants) does no I/O, reads no clock, draws no
 * random numbers and uses no floating point: two machines that apply the same
 * transactions with the same block times reach byte-identical states. Amounts are
 * int64_t counts of a network's (or reserve asset's) minor units; every operation
 * on them is checked, and an overflow is a refusal, never a wrap.
 *
 * Rounding is always named: fees round up (in the network's favour), payouts from
 * reserves round down.
 */
#ifndef TALLY_H
#define TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_MUST_CHECK __attribute__((warn_unused_result))

/* ------------------------------------------------------------------------ */
/* Sizes and protocol bounds.                                                */
/* ------------------------------------------------------------------------ */

#define TALLY_KEY_BYTES 32u       /* Ed25519 public key */
#define TALLY_SECRET_BYTES 64u    /* Ed25519 secret key (libsodium layout) */
#define TALLY_SIGNATURE_BYTES 64u /* Ed25519 signature */
#define TALLY_HASH_BYTES 32u      /* BLAKE2b-256 */
#define TALLY_CHAIN_ID_BYTES 32u

#define TALLY_NAME_MAX 64u   /* network and asset names, bytes of UTF-8 */
#define TALLY_CODE_MAX 8u    /* unit and asset codes: 1..8 of [A-Z0-9] */
#define TALLY_ALIAS_MAX 32u  /* 1..32 of [a-z0-9._-], unique per network */
#define TALLY_MEMO_MAX 256u  /* transfer memo, bytes of UTF-8 */
#define TALLY_BATCH_LINES_MAX 256u /* lines of one TRANSFER_BATCH */
#define TALLY_BATCH_MEMO_MAX 64u   /* memo of one batch line, bytes of UTF-8 */
/* The marketplace (docs/MARKETPLACE.md): a listing's texts and a network's category
 * names, bytes of UTF-8 (an image URL: printable ASCII without spaces). */
#define TALLY_LISTING_TITLE_MAX 80u
#define TALLY_LISTING_TEXT_MAX 256u
#define TALLY_IMAGE_URL_MAX 160u
#define TALLY_CATEGORY_NAME_MAX 32u
#define TALLY_MARKET_CATEGORIES_MAX 32u /* categories 1..32 per network; 0: none */
#define TALLY_OPERATORS_MAX 16u
#define TALLY_DECIMALS_MAX 9u
#define TALLY_BPS_ONE 10000u /* 100% in basis points */

/* Hard bounds on the state: the core refuses to grow past them, so a node's
 * memory is bounded by protocol, not by luck. A transaction reserves room only in
 * the tables its type grows, so a full table refuses only what would grow it. */
#define TALLY_NETWORKS_MAX 65536u
#define TALLY_ASSETS_MAX 65536u
#define TALLY_ACCOUNTS_MAX (1u << 24)
#define TALLY_MEMBERS_MAX (1u << 24)
#define TALLY_HOLDINGS_MAX (1u << 24)
/* Bounds per network, per asset and per key below them (DESIGN.md "Who may grow the
 * state"): nobody fills a table that others share. */
#define TALLY_MEMBER_RECORDS_PER_NETWORK_MAX (1u << 20) /* members ever joined, left ones included */
#define TALLY_HOLDERS_PER_ASSET_MAX (1u << 20)          /* holders of one asset; share holders of one pool */
#define TALLY_DAILY_GROWTH_MAX 1000u   /* the most networks (or assets) per key per day a chain may allow */
#define TALLY_APPROVALS_MAX 65536u     /* the most unused approvals of each kind one key may hold */
#define TALLY_VALIDATORS_MAX 16u
/* An unapproved change of the validator set lapses this long after its proposal. */
#define TALLY_VALIDATOR_CHANGE_SECONDS (7 * 86400)

/* Time. A day is 86,400 seconds of block time, counted from the Unix epoch (UTC). */
#define TALLY_DAY_SECONDS 86400
/* Changes that touch other people's money wait a notice of at least a day. */
#define TALLY_NOTICE_SECONDS_MIN 86400u
#define TALLY_NOTICE_SECONDS_MAX (366u * 86400u)
/* A network's health is written per period of 30 days from its creation (health.c). */
#define TALLY_HEALTH_PERIOD_SECONDS (30 * 86400)

/* Longest canonical encoding of any transaction but a TRANSFER_BATCH, signature
 * included: what a buffer for single payments needs. */
#define TALLY_TX_SINGLE_ENCODED_MAX 768u
/* Bytes one batch line takes at most: payee[32] | i64 amount | u16 memo length | memo. */
#define TALLY_BATCH_LINE_ENCODED_MAX (32u + 8u + 2u + TALLY_BATCH_MEMO_MAX)
/* Longest canonical encoding of any transaction, signature included: a batch of
 * TALLY_BATCH_LINES_MAX lines with the longest memos (27,288 bytes). Header
 * (version, type, chain id, signer, sequence: 74 bytes) | u32 network_id | i64
 * max_fee | u16 line count | lines | signature[64]. */
#define TALLY_TX_ENCODED_MAX \
    (74u + 4u + 8u + 2u + TALLY_BATCH_LINES_MAX * TALLY_BATCH_LINE_ENCODED_MAX + 64u)

/* ------------------------------------------------------------------------ */
/* Errors: every refusal has a code, a stable name and a readable message.   */
/* ------------------------------------------------------------------------ */

#define TALLY_ERRORS(X)                                                                 \
    X(OK, "ok")                                                                         \
    /* envelope: chain id, signer, sequence, signature */                               \
    X(BAD_SIGNATURE, "the signature does not match the transaction and signer")         \
    X(WRONG_CHAIN, "the transaction is for another chain")                              \
    X(BAD_SEQUENCE, "the sequence number is not the signer's next one")                 \
    X(SYSTEM_SIGNER, "system accounts cannot sign transactions")                        \
    X(UNKNOWN_TX_TYPE, "unknown transaction type")                                      \
    /* decoding */                                                                      \
    X(DECODE_TRUNCATED, "the encoded transaction ends too early")                       \
    X(DECODE_TRAILING_BYTES, "the encoded transaction has bytes after its end")         \
    X(DECODE_BAD_VERSION, "unknown encoding version")                                   \
    X(DECODE_BAD_LENGTH, "a length field is out of range")                              \
    X(DECODE_BAD_VALUE, "a field holds a value outside its range")                      \
    X(DECODE_BAD_TEXT, "a text field is not valid for its kind")                        \
    /* generic field validation */                                                      \
    X(AMOUNT_NOT_POSITIVE, "the amount must be greater than zero")                      \
    X(AMOUNT_OVERFLOW, "the amount would overflow")                                     \
    X(AMOUNT_TOO_SMALL, "the amount is too small to move anything after rounding")      \
    X(BAD_NAME, "the name is empty, too long or not printable UTF-8")                   \
    X(BAD_CODE, "the code must be 1 to 8 characters of A-Z and 0-9")                    \
    X(BAD_DECIMALS, "decimals must be between 0 and 9")                                 \
    X(BAD_POLICY, "the policy has a value outside its range")                           \
    X(BAD_PEG, "the peg rate must be two positive integers")                            \
    X(STATE_FULL, "the ledger has reached a protocol size bound")                       \
    /* networks and operators */                                                        \
    X(UNKNOWN_NETWORK, "no network has this id")                                        \
    X(NOT_OPERATOR, "only an operator of this network may do this")                     \
    X(ALREADY_OPERATOR, "this key is already an operator")                              \
    X(UNKNOWN_OPERATOR, "this key is not an operator of the network")                   \
    X(LAST_OPERATOR, "a network must keep at least one operator")                       \
    X(TOO_MANY_OPERATORS, "a network has at most 16 operators")                         \
    X(POOL_NOT_EMPTY, "the reserve asset cannot change while the pool holds reserve")   \
    /* membership */                                                                    \
    X(NOT_MEMBER, "this account is not a member of the network")                        \
    X(ALREADY_MEMBER, "this account is already a member")                               \
    X(ADMISSION_REQUIRED, "this network admits members through an operator")            \
    X(MEMBER_SUSPENDED, "this member is suspended")                                     \
    X(MEMBER_NOT_SUSPENDED, "this member is neither suspended nor defaulted: only those are reinstated") \
    X(BALANCE_NOT_ZERO, "the balance must be zero")                                     \
    X(SYSTEM_ACCOUNT, "system accounts cannot be used this way")                        \
    X(BAD_ALIAS, "an alias is 1 to 32 characters of a-z, 0-9, '.', '_' and '-'")        \
    X(ALIAS_TAKEN, "this alias is taken in this network")                               \
    /* credit lines */                                                                  \
    X(LINE_EXISTS, "this member already has an open credit line")                       \
    X(NO_LINE, "this member has no open credit line")                                   \
    X(LIMIT_ABOVE_MAX, "the limit is above the network's maximum credit limit")         \
    X(LIMIT_NEGATIVE, "a credit limit cannot be negative")                              \
    X(LIMIT_BELOW_DEBT, "a limit cannot be lowered below the current debt")             \
    X(DEBT_NOT_ZERO, "the debt must be repaid first")                                   \
    X(MEMBER_DEFAULTED, "this member has defaulted")                                    \
    /* transfers */                                                                     \
    X(SELF_TRANSFER, "payer and payee are the same account")                            \
    X(INSUFFICIENT_CREDIT, "the payment is larger than the balance and credit left")    \
    X(LINE_FROZEN, "the credit line is frozen: only the positive balance can be spent") \
    X(LINE_EXPIRED, "the credit line's period ended: only the positive balance can be spent") \
    X(CAP_REACHED, "the payee's balance would pass the network's positive cap")         \
    X(FEE_ABOVE_MAX, "the fee is above the max_fee the payer signed")                   \
    /* reserve assets */                                                                \
    X(UNKNOWN_ASSET, "no reserve asset has this id")                                    \
    X(NOT_ISSUER, "only the asset's issuer may do this")                                \
    X(INSUFFICIENT_ASSET, "the reserve balance is too small")                           \
    /* assurance pool */                                                                \
    X(NO_RESERVE_ASSET, "the network has no reserve asset")                             \
    X(INSUFFICIENT_SHARES, "the account does not own that many pool shares")            \
    X(POOL_EXCESS_SHORT, "the pool's excess cannot pay this withdrawal")                \
    X(NOT_IN_DEBT, "the amount is larger than the member's debt")                       \
    X(NO_LOST_DEBT, "there is not enough lost debt to redeem against")                  \
    X(POOL_RESERVE_SHORT, "the pool's buffer and primary cannot pay this redemption")   \
    X(INSUFFICIENT_BALANCE, "the positive balance is too small")                        \
    /* who may grow the state (DESIGN.md "Who may grow the state") */                   \
    X(NAME_TAKEN, "a network of this name exists on the chain (names compare ignoring case)") \
    X(DAILY_LIMIT, "this key has founded or issued as many as the chain allows in one day")  \
    X(APPROVAL_REQUIRED, "this chain needs a validator's approval before a key founds a network or issues an asset") \
    X(NOT_VALIDATOR, "only a validator of the chain may do this")                       \
    X(APPROVAL_ABOVE_MAX, "a key may hold at most 65536 unused approvals of each kind")  \
    X(MEMBERS_FULL, "the network has as many members as its policy or the protocol allows") \
    X(HOLDERS_FULL, "the asset or pool has as many holders as the protocol allows")     \
    /* changes that touch other people's money */                                       \
    X(REDEEM_CAP_REACHED, "redemptions today took as much of the pool's primary reserve as the network allows") \
    /* memory (decoding a batch allocates its lines) */                                \
    X(OUT_OF_MEMORY, "out of memory")                                                   \
    /* codes are numbered in this order (blocks record them): new ones go last */       \
    /* pending transfers */                                                             \
    X(PENDING_NOT_FOUND, "no pending transfer has this id")                             \
    X(PENDING_ENDED, "the pending transfer was already posted, voided or timed out")    \
    X(NOT_RESOLVER, "only the payer or the resolver may post, the payee or the resolver void") \
    X(BAD_TIMEOUT, "the timeout must be after the block and at most a year ahead")      \
    X(POST_ABOVE_PENDING, "a post moves at most the amount held")                       \
    X(HOLDS_OPEN, "open pending transfers hold part of this member's credit: post or void them first") \
    X(TOO_MANY_OPEN, "the member has 1024 open pending transfers or payment requests of this kind: let some end first") \
    /* payment requests */                                                              \
    X(REQUEST_NOT_FOUND, "no payment request has this id")                              \
    X(REQUEST_PAID, "the payment request was already paid")                             \
    X(REQUEST_CANCELLED, "the payment request was cancelled by its creator")            \
    X(REQUEST_EXPIRED, "the payment request expired")                                   \
    X(NOT_REQUEST_PAYER, "the payment request asks another member to pay")              \
    X(NOT_REQUEST_CREATOR, "only the member who made the payment request may cancel it") \
    X(BAD_EXPIRY, "the expiry must be after the block and at most a year ahead")        \
    /* gateways between networks (docs/GATEWAYS.md) */                                 \
    X(GATEWAY_NOT_FOUND, "no gateway has this id")                                      \
    X(GATEWAY_EXISTS, "these two networks already have a gateway that is not closed")   \
    X(GATEWAY_NOT_PROPOSED, "the gateway was accepted or closed already")               \
    X(GATEWAY_NOT_OPEN, "the gateway is not open")                                      \
    X(TERMS_CHANGED, "the terms accepted differ from the gateway's as proposed")        \
    X(BAD_RATE, "a rate is two positive integers, or 0 and 0 for one derived from both networks' pegs of one reserve asset") \
    X(NOT_GATEWAY_SIDE, "the network is not a side of this gateway")                    \
    X(GATEWAY_NOT_CLEAR, "a gateway closes only when both of its mirror accounts are at zero") \
    X(GATEWAYS_FULL, "the network has as many open gateways as a network may (64)") \
    X(SAME_NETWORK, "a gateway links two different networks")                          \
    X(BAD_PATH, "a path is 1 to 4 open gateways, each from the network the one before reached, never back to a network") \
    X(GATEWAY_FROZEN, "the network froze this gateway: it takes no new exposure to its partner") \
    X(EXPOSURE_LIMIT, "the payment would pass the network's exposure limit to its partner") \
    X(PARTNER_UNHEALTHY, "the partner network fails this network's health rules: no new exposure to it") \
    X(BELOW_MIN_RECEIVED, "the payee would receive less than the minimum the payer signed") \
    X(BAD_CLEARING, "a clearing sets off 1 to 8 open gateways, each at its rate exactly, every mirror account toward zero and never past it, every network's legs balanced") \
    X(NOT_WHOLE_STEPS, "a gateway exchanges whole steps of its rate: the amount must be a multiple of the rate's part on its side") \
    /* underwriting, charges (docs/UNDERWRITING.md) */                                  \
    X(UNDERWRITING_OFF, "the network takes no stakes (its collateral_ratio_bps is 0)")    \
    X(UNDERWRITE_SELF, "an underwriter backs another member's line, not its own")         \
    X(STAKE_NOT_FOUND, "the signer has no stake behind this member's line")               \
    X(STAKE_SHORT, "the amount is larger than the stake")                                 \
    X(STAKE_COVERS_DEBT, "a stake is withdrawn only down to what still covers the line's debt") \
    X(TOO_MANY_STAKES, "a line has at most 16 underwriters, and a member makes at most 1024 stakes") \
    X(STAKES_OPEN, "stakes are locked: the member backs other lines, or the network holds stakes in its reserve asset") \
    X(FEE_OWED, "the member owes membership fees: paying them reinstates it")             \
    X(NO_FEE_OWED, "the member owes no membership fee")                                 \
    /* governance (docs/UNDERWRITING.md section 6) */                                   \
    X(GOVERNED_BY_MEMBERS, "the members govern this network: this change is a proposal they vote on") \
    X(NOT_GOVERNED_BY_MEMBERS, "this network's operators govern it: it takes no proposals") \
    X(BAD_ACTION, "a proposal's action is a policy, peg, operator, member, gateway or dispute decision of its network, its unused fields zero") \
    X(PROPOSAL_NOT_FOUND, "no proposal has this id")                                    \
    X(VOTING_ENDED, "the proposal's vote has ended")                                    \
    X(NOT_ELIGIBLE, "only members who were active members when the proposal was made may vote on it") \
    X(ALREADY_VOTED, "this member has voted on this proposal")                          \
    X(NOT_PROPOSER, "only the member who made the proposal may cancel it")               \
    X(TOO_MANY_PROPOSALS, "a network has at most 16 proposals open at once")          \
    /* the marketplace (docs/MARKETPLACE.md) */                                         \
    X(BAD_CATEGORY, "the category is not one of the network's (1 to 32, named by an operator), or 0 for none") \
    X(BAD_LISTING, "a listing is an offer or a want with a title, a quantity of at least 1 and a price of 0 (ask) or more") \
    X(BAD_IMAGE, "an image is a hash and an http(s) URL of printable ASCII, both or neither") \
    X(LISTING_NOT_FOUND, "no listing has this id")                                      \
    X(LISTING_CLOSED, "the listing was withdrawn or has expired")                       \
    X(NOT_SELLER, "only the member who published the listing may do this")              \
    X(NOT_AN_OFFER, "orders buy offers: a want is answered by an offer of one's own")   \
    X(PRICE_CHANGED, "the listing's price is not the price the order saw: look again")  \
    X(QUANTITY_UNAVAILABLE, "the listing has fewer units left than the order asks")     \
    X(ORDER_NOT_FOUND, "no order has this id")                                          \
    X(NOT_BUYER, "only the order's buyer may do this")                                  \
    X(ORDER_STEP_REFUSED, "the order is not at a step where this can be done")          \
    X(ORDER_TIMED_OUT, "the order's timeout has come: its block end settles it")        \
    X(HELD_BY_ORDER, "this pending transfer belongs to a marketplace order: the order's steps move it") \
    X(SPLIT_ABOVE_ORDER, "the seller's part of a dispute's split is at most the order's amount") \
    X(BAD_RATING, "a review rates 1 to 5")                                              \
    X(ALREADY_REVIEWED, "this side has reviewed this order already")                    \
    X(NOT_REVIEWABLE, "an order is reviewed by its buyer or seller once it is completed, released or resolved") \
    /* the chain's validator set (docs/VALIDATORS.md "Changing the validator set") */   \
    X(BAD_VALIDATOR_SET, "a change adds new keys (never a system, repeated or former validator's key) and retires current validators, keeps one, and fits 16 slots") \
    X(VALIDATOR_CHANGE_OPEN, "another validator's change of the validator set is open: approve it or wait until it lapses") \
    X(NO_VALIDATOR_CHANGE, "no change of the validator set with this id is open")     \
    X(ALREADY_APPROVED, "this validator has approved this change already")

typedef enum {
#define TALLY_ERROR_ENUM(name, message) TALLY_ERR_##name,
    TALLY_ERRORS(TALLY_ERROR_ENUM)
#undef TALLY_ERROR_ENUM
        TALLY_ERROR_COUNT
} tally_error;

#define TALLY_OK TALLY_ERR_OK

/* "INSUFFICIENT_CREDIT" for TALLY_ERR_INSUFFICIENT_CREDIT; "?" for an unknown code. */
const char *tally_error_name(tally_error code);
/* A sentence for people; never NULL. */
const char *tally_error_message(tally_error code);

/* ------------------------------------------------------------------------ */
/* Protocol values.                                                          */
/* ------------------------------------------------------------------------ */

typedef enum {
    TALLY_COMPLIANCE_ZERO_BALANCE = 0, /* balance >= 0 at the end of the period */
    TALLY_COMPLIANCE_REBALANCED = 1,   /* balance >= 0 after some payment in it, or at its end */
    TALLY_COMPLIANCE_MIN_INCOME = 2,   /* income in it >= min_income_bps of the debt */
    TALLY_COMPLIANCE_COUNT
} tally_compliance_rule;

typedef enum {
    TALLY_MEMBERSHIP_OPEN = 0,     /* anyone may join */
    TALLY_MEMBERSHIP_ADMITTED = 1, /* an operator admits each member */
    TALLY_MEMBERSHIP_COUNT
} tally_membership_mode;

typedef enum {
    TALLY_MEMBER_NONE = 0, /* never joined (not stored) */
    TALLY_MEMBER_ACTIVE = 1,
    TALLY_MEMBER_SUSPENDED = 2, /* by an operator: may not spend on credit */
    TALLY_MEMBER_DEFAULTED = 3, /* debt written off; may not spend on credit */
    TALLY_MEMBER_LEFT = 4,      /* left at zero balance; may join again */
    TALLY_MEMBER_SYSTEM = 5     /* fee, lost-debt and pool accounts */
} tally_member_status;

typedef enum {
    TALLY_LINE_NONE = 0,    /* no line: credit limit 0 */
    TALLY_LINE_ACTIVE = 1,  /* in a period */
    TALLY_LINE_FROZEN = 2,  /* non-compliant, in grace: no new credit */
    TALLY_LINE_EXPIRED = 3, /* compliant at period end, no auto-renewal: no new credit */
    TALLY_LINE_CLOSED = 4,  /* closed at zero debt, limit 0 */
    TALLY_LINE_DEFAULTED = 5 /* written off at the end of grace, limit 0 */
} tally_line_status;

typedef enum {
    TALLY_SYSTEM_NONE = 0,
    TALLY_SYSTEM_FEES = 1,      /* receives transfer fees */
    TALLY_SYSTEM_LOST_DEBT = 2, /* written-off debt; the only unbounded negative account */
    TALLY_SYSTEM_POOL = 3,      /* the assurance pool's credits and reserve */
    TALLY_SYSTEM_GATEWAY = 4,   /* a gateway's mirror account of the partner network (gw:B in A) */
    TALLY_SYSTEM_UNDERWRITING = 5, /* holds the stakes' reserve (a holding only: no member record) */
    TALLY_SYSTEM_GOVERNANCE = 6,   /* the key a MEMBERS network's passed proposals act with (no record) */
    TALLY_SYSTEM_MARKET = 7        /* the resolver of the marketplace's holds (no record) */
} tally_system_kind;

/*
 * Reputation (docs/UNDERWRITING.md): a member's score, 0..1000, written at each end
 * of its line's periods from its record:
 *   score = clamp(base + part(age_weight, age in days, age_full_days)
 *                      + part(volume_weight, volume given + received, volume_full)
 *                      + part(streak_weight, compliant periods in a row, streak_full)
 *                      + part(review_weight, net review stars, review_full)
 *                      - defaults * default_penalty, 0, 1000)
 *   part(w, x, full) = w * min(x, full) / full, rounded toward zero (x may be
 *   negative for reviews: down to -w).
 * Weights and base are 0..1000; a weighed part's "full" figure is at least 1.
 */
typedef struct {
    uint32_t base;
    uint32_t age_weight, age_full_days;
    uint32_t volume_weight;
    int64_t volume_full; /* the network's minor units */
    uint32_t streak_weight, streak_full;
    uint32_t review_weight, review_full; /* net stars: the sum of (stars - 3) of reviews received */
    uint32_t default_penalty;
} tally_reputation_rule;

/*
 * Algorithmic limits: when enabled, each line's own part of the limit (the part
 * underwriters do not back) is set by the chain when the line renews at a period's
 * end: target = base + reputation * per_point + (income of this and the last period)
 * / 2 * income_bps / 10000, clamped to 0..max_credit_limit; at most step_max above
 * the part it had; never below what the line owes; 0 while the member defaulted
 * and has not had recovery_periods compliant periods in a row since.
 */
typedef struct {
    bool enabled;
    int64_t base;      /* >= 0 */
    int64_t per_point; /* >= 0 */
    uint32_t income_bps; /* 0..100000 */
    int64_t step_max;  /* >= 0 */
    uint32_t recovery_periods;
} tally_limit_rule;

/*
 * Governance (docs/UNDERWRITING.md section 6). In an OPERATORS network operators
 * sign policy, peg, operator and gateway changes; in a MEMBERS network those are
 * proposals the members vote on (PROPOSAL_CREATE, PROPOSAL_VOTE), and operators keep
 * only the emergency powers granted here. A proposal passes when the weight cast
 * (yes, no and abstain) reaches quorum_bps of the eligible weight and yes reaches
 * threshold_bps of yes + no; it is then applied timelock_seconds after the vote
 * ends. A vote that brings quorum in the last late_quorum_seconds of the vote extends
 * it once by late_quorum_seconds.
 */
typedef enum { TALLY_GOVERNANCE_OPERATORS = 0, TALLY_GOVERNANCE_MEMBERS = 1, TALLY_GOVERNANCE_COUNT } tally_governance_mode;
typedef enum {
    TALLY_WEIGHT_ONE_MEMBER = 0, /* each eligible member 1 */
    TALLY_WEIGHT_REPUTATION = 1, /* its reputation score */
    TALLY_WEIGHT_STAKE = 2,      /* the reserve it has staked behind others' lines */
    TALLY_WEIGHT_COUNT
} tally_vote_weighting;
typedef struct {
    uint8_t mode;      /* tally_governance_mode */
    uint8_t weighting; /* tally_vote_weighting */
    uint32_t quorum_bps;          /* 1..10000 */
    uint32_t threshold_bps;       /* 1..10000 */
    uint32_t voting_seconds;      /* 3600..TALLY_NOTICE_SECONDS_MAX */
    uint32_t timelock_seconds;    /* 0..TALLY_NOTICE_SECONDS_MAX */
    uint32_t late_quorum_seconds; /* 0..voting_seconds */
    bool operators_may_suspend;   /* MEMBERS: operators still suspend and reinstate members */
    bool operators_may_freeze;    /* MEMBERS: operators still freeze their side of a gateway */
} tally_governance_rule;

/* A network's rules. Every field is validated by NETWORK_CREATE and POLICY_UPDATE. */
typedef struct {
    int64_t default_credit_limit; /* line opened for each new member when > 0 */
    int64_t max_credit_limit;     /* no line above this; >= default_credit_limit */
    int64_t positive_cap;         /* no payment takes a balance above this; 0 = none */
    uint32_t fee_bps;             /* base fee of each payment, 0..10000 */
    uint32_t default_risk_fee_bps; /* risk fee of lines opened automatically, 0..10000 */
    uint32_t period_seconds;      /* credit period, > 0 */
    uint32_t grace_seconds;       /* grace after a non-compliant period */
    uint32_t min_income_bps;      /* for MIN_INCOME: share of the debt to earn per period */
    uint32_t target_rtd_bps;      /* target reserve-to-debt ratio, 0..10000 */
    uint8_t compliance_rule;      /* tally_compliance_rule */
    uint8_t membership_mode;      /* tally_membership_mode */
    bool auto_renew;              /* compliant lines renew for another period */
    uint32_t max_members;         /* current members at most, 1..TALLY_MEMBER_RECORDS_PER_NETWORK_MAX */
    uint32_t notice_seconds;      /* notice of changes that touch others' money, TALLY_NOTICE_SECONDS_MIN..MAX */
    uint32_t redeem_cap_bps;      /* redemptions take at most this share of primary per day, 1..10000 */
    /* Underwriting (docs/UNDERWRITING.md): 0, none; else a stake worth V credits at
     * the peg covers V * 10000 / collateral_ratio_bps of limit (1..1,000,000). */
    uint32_t collateral_ratio_bps;
    tally_reputation_rule reputation;
    tally_limit_rule algorithmic_limits;
    /* Charges, at the end of each charge period (period_seconds from the network's
     * creation): demurrage_bps of each positive balance's part above
     * demurrage_threshold, rounded down (0..10000), and membership_fee from each
     * active member (0: none); to the pool's account when charges_to_pool, else to
     * the fee account. */
    uint32_t demurrage_bps;
    int64_t demurrage_threshold;  /* >= 0 */
    int64_t membership_fee;       /* >= 0 */
    bool charges_to_pool;
    tally_governance_rule governance;
} tally_policy;

/*
 * Which policy changes are announced (DESIGN.md "Changes that touch other people's
 * money"). A POLICY_UPDATE states the whole policy the operators want: what may
 * change at once does; a higher fee_bps or default_risk_fee_bps, a lower positive cap
 * (a cap where there was none included), a higher redeem_cap_bps, a shorter
 * notice_seconds, and any change of target_rtd_bps while the pool holds reserve are
 * announced and take effect at block end once the current notice_seconds have
 * passed (the result's effective_at). A later update replaces the announcement: one
 * that asks the current value again withdraws it; one that asks the same announced
 * values again keeps its time.
 */
/* A policy with the protocol's defaults: no credit, no fees, no cap, 90-day periods
 * with 30 days of grace (rebalanced), auto-renewal, admission by operators, target RTD
 * 20%, 100,000 members, a 7-day notice, redemptions of at most 10% of primary a day. */
void tally_policy_defaults(tally_policy *policy);

/* ------------------------------------------------------------------------ */
/* Transactions.                                                             */
/* ------------------------------------------------------------------------ */

typedef enum {
    TALLY_TX_NETWORK_CREATE = 1,
    TALLY_TX_POLICY_UPDATE = 2,
    TALLY_TX_PEG_SET = 3,
    TALLY_TX_OPERATOR_ADD = 4,
    TALLY_TX_OPERATOR_REMOVE = 5,
    TALLY_TX_MEMBER_JOIN = 6,
    TALLY_TX_MEMBER_ADMIT = 7,
    TALLY_TX_MEMBER_SUSPEND = 8,
    TALLY_TX_MEMBER_REINSTATE = 9,
    TALLY_TX_MEMBER_LEAVE = 10,
    TALLY_TX_ALIAS_SET = 11,
    TALLY_TX_LINE_OPEN = 12,
    TALLY_TX_LINE_UPDATE = 13,
    TALLY_TX_LINE_CLOSE = 14,
    TALLY_TX_TRANSFER = 15,
    TALLY_TX_ASSET_CREATE = 16,
    TALLY_TX_ASSET_ISSUE = 17,
    TALLY_TX_ASSET_TRANSFER = 18,
    TALLY_TX_ASSET_BURN = 19,
    TALLY_TX_POOL_DEPOSIT = 20,
    TALLY_TX_POOL_WITHDRAW = 21,
    TALLY_TX_POOL_REPAY = 22,
    TALLY_TX_POOL_REDEEM = 23,
    TALLY_TX_FEE_DISTRIBUTE = 24,
    TALLY_TX_CHAIN_APPROVE = 25,
    TALLY_TX_TRANSFER_BATCH = 26,
    TALLY_TX_PENDING_CREATE = 27,
    TALLY_TX_PENDING_POST = 28,
    TALLY_TX_PENDING_VOID = 29,
    TALLY_TX_REQUEST_CREATE = 30,
    TALLY_TX_REQUEST_PAY = 31,
    TALLY_TX_REQUEST_CANCEL = 32,
    TALLY_TX_GATEWAY_PROPOSE = 33,
    TALLY_TX_GATEWAY_ACCEPT = 34,
    TALLY_TX_GATEWAY_UPDATE = 35,
    TALLY_TX_GATEWAY_FREEZE = 36,
    TALLY_TX_GATEWAY_CLOSE = 37,
    TALLY_TX_TRANSFER_CROSS = 38,
    TALLY_TX_CLEARING = 39,
    TALLY_TX_SETTLE = 40,
    TALLY_TX_STAKE = 41,
    TALLY_TX_UNSTAKE = 42,
    TALLY_TX_MEMBER_FEE_PAY = 43,
    TALLY_TX_PROPOSAL_CREATE = 44,
    TALLY_TX_PROPOSAL_VOTE = 45,
    TALLY_TX_PROPOSAL_CANCEL = 46,
    TALLY_TX_CATEGORY_SET = 47,
    TALLY_TX_LISTING_CREATE = 48,
    TALLY_TX_LISTING_UPDATE = 49,
    TALLY_TX_LISTING_WITHDRAW = 50,
    TALLY_TX_ORDER_CREATE = 51,
    TALLY_TX_ORDER_ACCEPT = 52,
    TALLY_TX_ORDER_DECLINE = 53,
    TALLY_TX_ORDER_CANCEL = 54,
    TALLY_TX_ORDER_CONFIRM = 55,
    TALLY_TX_ORDER_DISPUTE = 56,
    TALLY_TX_ORDER_RESOLVE = 57,
    TALLY_TX_REVIEW = 58,
    TALLY_TX_VALIDATOR_PROPOSE = 59,
    TALLY_TX_VALIDATOR_APPROVE = 60,
    TALLY_TX_TYPE_FIRST = TALLY_TX_NETWORK_CREATE,
    TALLY_TX_TYPE_LAST = TALLY_TX_VALIDATOR_APPROVE
} tally_tx_type;

/* "transfer" for TALLY_TX_TRANSFER; NULL for an unknown type. */
const char *tally_tx_type_name(uint8_t type);

typedef struct {
    uint8_t bytes[TALLY_KEY_BYTES];
} tally_key;

/* Length-prefixed text as it travels in a transaction; not NUL-terminated. Bytes past
 * `length` are ignored by encode and zeroed by decode. */
typedef struct {
    uint16_t length;
    char bytes[TALLY_MEMO_MAX];
} tally_text;

typedef struct {
    tally_text name;
    tally_text unit_code;
    uint8_t decimals;
    tally_policy policy;
} tally_tx_network_create;

typedef struct {
    uint32_t network_id;
    tally_policy policy;
} tally_tx_policy_update;

/* Sets the pool's reserve asset and the peg: peg_credit_units of credit are worth
 * peg_reserve_units of the reserve asset (both in minor units). asset_id 0 clears it. */
typedef struct {
    uint32_t network_id;
    uint32_t asset_id;
    int64_t peg_reserve_units;
    int64_t peg_credit_units;
} tally_tx_peg_set;

/* OPERATOR_ADD, OPERATOR_REMOVE, MEMBER_ADMIT, MEMBER_SUSPEND, MEMBER_REINSTATE,
 * LINE_CLOSE: an operator acting on a key in a network. */
typedef struct {
    uint32_t network_id;
    tally_key key;
} tally_tx_network_key;

/* MEMBER_JOIN, MEMBER_LEAVE: the signer acting on itself. */
typedef struct {
    uint32_t network_id;
} tally_tx_network_only;

typedef struct {
    uint32_t network_id;
    tally_text alias; /* empty clears the signer's alias */
} tally_tx_alias_set;

/* period_seconds and grace_seconds 0 take the network's policy values. */
typedef struct {
    uint32_t network_id;
    tally_key member;
    int64_t limit;
    uint32_t period_seconds;
    uint32_t grace_seconds;
    uint32_t risk_fee_bps;
} tally_tx_line_open;

typedef struct {
    uint32_t network_id;
    tally_key member;
    int64_t limit;
    uint32_t risk_fee_bps;
} tally_tx_line_update;

typedef struct {
    uint32_t network_id;
    tally_key payee;
    int64_t amount;
    int64_t max_fee;
    tally_text memo;
} tally_tx_transfer;

/* A batch line's memo: tally_text's layout with room for TALLY_BATCH_MEMO_MAX bytes. */
typedef struct {
    uint16_t length;
    char bytes[TALLY_BATCH_MEMO_MAX];
} tally_batch_memo;

typedef struct {
    tally_key payee;
    int64_t amount;
    tally_batch_memo memo;
} tally_batch_line;

/*
 * TRANSFER_BATCH: one payer (the signer) pays up to TALLY_BATCH_LINES_MAX lines in
 * one network with one signature (payroll, a CSV of payments). It is applied as the
 * transfers of its lines in order, all or nothing: each line pays the base fee and
 * the risk fee a TRANSFER of that line would pay at that point of the batch, every
 * limit, cap and standing rule of a TRANSFER holds line by line, and the fees of all
 * lines together are at most max_fee (line i may take what lines before it left of
 * max_fee). A payee may appear in several lines. A refusal names the line in
 * result.line and changes nothing.
 *
 * The lines live on the heap and belong to the transaction: tally_tx_batch_reserve
 * and tally_tx_decode allocate them, tally_tx_release frees them, tally_tx_copy
 * duplicates them (a struct copy of a tally_tx shares them: release only one).
 */
typedef struct {
    uint32_t network_id;
    int64_t max_fee;        /* the most all lines together pay in fees */
    uint16_t line_count;    /* 1..TALLY_BATCH_LINES_MAX */
    tally_batch_line *lines; /* line_count of them */
} tally_tx_transfer_batch;

typedef struct {
    tally_text code;
    tally_text name;
    uint8_t decimals;
} tally_tx_asset_create;

/* ASSET_ISSUE (issuer to `to`) and ASSET_TRANSFER (signer to `to`). */
typedef struct {
    uint32_t asset_id;
    tally_key to;
    int64_t amount;
} tally_tx_asset_move;

typedef struct {
    uint32_t asset_id;
    int64_t amount;
} tally_tx_asset_burn;

/* POOL_DEPOSIT (reserve units), POOL_WITHDRAW (shares), POOL_REPAY and POOL_REDEEM
 * (credits of the network). */
typedef struct {
    uint32_t network_id;
    int64_t amount;
} tally_tx_pool_amount;

/* An operator moves credits out of the fee account: to the pool when to_pool,
 * else to the member `to`. */
typedef struct {
    uint32_t network_id;
    bool to_pool;
    tally_key to;
    int64_t amount;
} tally_tx_fee_distribute;

/* A validator sets how many networks and assets `key` may still found and create
 * (approvals are used before any daily allowance; 0 revokes). Each is at most
 * TALLY_APPROVALS_MAX. */
typedef struct {
    tally_key key;
    uint32_t networks;
    uint32_t assets;
} tally_tx_chain_approve;

/* VALIDATOR_PROPOSE (the keys past add_count must be zero): an active validator proposes a change of the chain's validator
 * set: `add_count` new keys take the next free slots, and the slots whose bit is set
 * in `retire` stop being validators (a slot is never reused, so a key, once retired,
 * does not return). The change takes effect at the end of the block in which a
 * quorum of the active validators (count / 2 + 1; the proposer counts) has approved
 * it, and lapses unapproved TALLY_VALIDATOR_CHANGE_SECONDS after it was proposed.
 * One change is open at a time; its proposer may replace it (approvals start over). */
typedef struct {
    uint8_t add_count; /* 0..TALLY_VALIDATORS_MAX */
    tally_key add[TALLY_VALIDATORS_MAX];
    uint32_t retire;   /* bit i: retire validators[i] (bits 16.. must be 0) */
} tally_tx_validator_propose;

/* VALIDATOR_APPROVE: an active validator approves the open change `change_id`. */
typedef struct {
    uint32_t change_id;
} tally_tx_validator_approve;

/* PENDING_CREATE: the signer (payer) holds amount plus its fee for payee, until it is
 * posted (by the payer or the resolver), voided (by the payee or the resolver) or its
 * timeout comes (block time >= timeout: `outcome` then applies). resolver all zero:
 * none. */
typedef enum { TALLY_PENDING_REFUND = 0, TALLY_PENDING_RELEASE = 1, TALLY_PENDING_OUTCOME_COUNT } tally_pending_outcome;
typedef struct {
    uint32_t network_id;
    tally_key payee;
    int64_t amount;
    int64_t max_fee;
    tally_key resolver;
    int64_t timeout;  /* block time */
    uint8_t outcome;  /* tally_pending_outcome */
} tally_tx_pending_create;

/* PENDING_POST: moves `amount` (1..held) of a pending transfer to its payee; the rest
 * is released. PENDING_VOID: releases all of it. */
typedef struct {
    uint32_t pending_id;
    int64_t amount; /* post only */
} tally_tx_pending_end;

/* REQUEST_CREATE: the signer (the payee) asks `amount` of `payer` (all zero: any
 * member of the network) until `expiry` (block time; from then it cannot be paid).
 * The memo travels with the request for people; the state keeps none of it. */
typedef struct {
    uint32_t network_id;
    tally_key payer;
    int64_t amount;
    int64_t expiry;
    tally_text memo;
} tally_tx_request_create;

/* REQUEST_PAY: the signer pays the request: a TRANSFER of its amount to its payee in
 * its network, with every rule and fee of one, paying at most max_fee.
 * REQUEST_CANCEL: its creator withdraws it (max_fee unused: zero). */
typedef struct {
    uint32_t request_id;
    int64_t max_fee; /* pay only */
} tally_tx_request_end;

/* Gateways (docs/GATEWAYS.md). One side's terms: its fee on what crosses into it,
 * its exposure limit (the most debt the partner's mirror account in it may have),
 * and its health rules on the partner (0: none). */
typedef struct {
    uint32_t fee_bps;
    int64_t limit;
    uint32_t min_partner_rtd_bps;
    uint32_t max_partner_default_bps;
} tally_gateway_side;

/* rate_a units of A are worth rate_b units of B; 0 and 0: derived from both pegs at
 * acceptance. side[0] is A's, side[1] B's. */
typedef struct {
    int64_t rate_a, rate_b;
    tally_gateway_side side[2];
} tally_gateway_terms;

/* GATEWAY_PROPOSE: an operator of network_a proposes; GATEWAY_ACCEPT: an operator of
 * its network_b accepts the same terms. */
typedef struct {
    uint32_t network_a, network_b;
    tally_gateway_terms terms;
} tally_tx_gateway_propose;

typedef struct {
    uint32_t gateway_id;
    tally_gateway_terms terms; /* as proposed, repeated (TERMS_CHANGED otherwise) */
} tally_tx_gateway_accept;

/* GATEWAY_UPDATE: an operator of network_id (a side) sets that side's terms. */
typedef struct {
    uint32_t gateway_id;
    uint32_t network_id;
    tally_gateway_side side;
} tally_tx_gateway_update;

/* GATEWAY_FREEZE: an operator of network_id (a side) stops (frozen) or allows new
 * exposure of its network to the partner. */
typedef struct {
    uint32_t gateway_id;
    uint32_t network_id;
    bool frozen;
} tally_tx_gateway_freeze;

/* GATEWAY_CLOSE: an operator of either side closes it, both mirror accounts at 0. */
typedef struct {
    uint32_t gateway_id;
} tally_tx_gateway_end;

/* TRANSFER_CROSS: the signer, a member of network_id, pays `amount` (its network's
 * unit) to payee in the network the path reaches, over hop_count (1..4) gateways,
 * each from the network the one before reached. The first leg is a transfer to the
 * first gateway's mirror account with every rule and fee of one (max_fee bounds
 * them); at each hop whole steps of the gateway's rate cross (what is below a step
 * stays with the fee account of the network it is in) and the receiving side's fee
 * is deducted; the payee must receive at least
 * min_received (its network's unit). All or nothing. The result's `available` is
 * what the payee received; `fee` the first leg's fee. Unused gateways are 0. */
#define TALLY_PATH_HOPS_MAX 4u
typedef struct {
    uint32_t network_id;
    tally_key payee;
    int64_t amount;
    int64_t max_fee;
    int64_t min_received;
    uint8_t hop_count;
    uint32_t gateways[TALLY_PATH_HOPS_MAX];
} tally_tx_transfer_cross;

/* CLEARING (anyone may sign): sets off obligations around cycles of gateways. Each
 * set-off lowers one gateway's obligation by amount_a in its network_a's unit and
 * amount_b in network_b's, exactly at its rate; applied together, every mirror
 * account moves toward zero and never past it, and in every network what its
 * creditor mirror accounts pay equals what its debtor ones receive (so no value is
 * created or moved). Unused set-offs are all zero. */
#define TALLY_CLEARING_SETOFFS_MAX 8u
typedef struct {
    uint32_t gateway_id;
    int64_t amount_a, amount_b;
} tally_setoff;
typedef struct {
    uint8_t count; /* 1..TALLY_CLEARING_SETOFFS_MAX */
    tally_setoff setoffs[TALLY_CLEARING_SETOFFS_MAX];
} tally_tx_clearing;

/* SETTLE: an operator of network_id, the debtor side of a gateway (its partner's
 * mirror account of it is in debt: the partner minted against it), pays reserve
 * from its own holding into the partner's pool to lower that debt by `amount` (the
 * partner's unit): the reserve is amount at the partner's peg rounded up, into its
 * pool's buffer, as a member repaying in reserve pays (POOL_REPAY); the debtor's
 * own mirror account of the partner falls by the same value at the gateway's rate,
 * exactly (amount must be whole steps of the rate: NOT_WHOLE_STEPS), and those
 * credits go to the debtor's pool account.
 * The result's `reserve` is what was paid, `available` what the debtor's mirror
 * account fell by. */
typedef struct {
    uint32_t gateway_id;
    uint32_t network_id; /* the debtor side */
    int64_t amount;      /* in the partner's unit */
} tally_tx_settle;

/* STAKE: the signer, a member of network_id, locks `amount` of the network's reserve
 * asset (minor units) in the network's underwriting account behind member's line,
 * and the line's underwritten part rises to what all its stakes cover (a line opens,
 * with the policy's period, grace and risk fee, when the member has none). UNSTAKE:
 * the signer takes `amount` of its stake back, as long as the stakes left still
 * cover the line's debt above its own part (docs/UNDERWRITING.md). The result's
 * `reserve` is what moved, `available` the line's limit after. */
typedef struct {
    uint32_t network_id;
    tally_key member;
    int64_t amount;
} tally_tx_stake;

/* MEMBER_FEE_PAY (a tally_tx_network_only): a member suspended for a membership fee
 * it could not pay pays what it owes, within its line as if it were active, and is
 * active again. */

/*
 * A proposal's action (docs/UNDERWRITING.md section 6): one change its network's
 * operators would otherwise sign, applied by the chain on the network's behalf when
 * the proposal passed and its timelock ran out. `type` says which; the fields it
 * does not use are zero (BAD_ACTION otherwise):
 *   POLICY_UPDATE    policy
 *   PEG_SET          asset_id, peg_reserve_units, peg_credit_units
 *   OPERATOR_ADD, OPERATOR_REMOVE   key
 *   MEMBER_SUSPEND, MEMBER_REINSTATE key (the members' own way to suspend, where
 *                    operators were not left the power)
 *   GATEWAY_PROPOSE  partner_id (network B), terms
 *   GATEWAY_ACCEPT   gateway_id, terms (as proposed)
 *   GATEWAY_UPDATE   gateway_id, terms.side[0] (this network's side's new terms)
 *   GATEWAY_FREEZE   gateway_id, frozen
 *   GATEWAY_CLOSE    gateway_id
 *   ORDER_RESOLVE    order_id, amount (the seller's part of a disputed order)
 */
typedef struct {
    uint8_t type; /* tally_tx_type */
    tally_policy policy;
    uint32_t asset_id;
    int64_t peg_reserve_units, peg_credit_units;
    tally_key key;
    uint32_t gateway_id, partner_id;
    tally_gateway_terms terms;
    bool frozen;
    uint32_t order_id;
    int64_t amount;
} tally_proposal_action;

/* PROPOSAL_CREATE: an active member of a MEMBERS network proposes one action; the
 * vote runs the policy's voting_seconds from the block. Its result's created_id is
 * the proposal's id. */
typedef struct {
    uint32_t network_id;
    tally_proposal_action action;
} tally_tx_proposal_create;

/* PROPOSAL_VOTE: an eligible member votes once. PROPOSAL_CANCEL: the proposer
 * withdraws it before its vote ends (choice unused: zero). */
typedef enum { TALLY_VOTE_NO = 0, TALLY_VOTE_YES = 1, TALLY_VOTE_ABSTAIN = 2, TALLY_VOTE_CHOICE_COUNT } tally_vote_choice;
typedef struct {
    uint32_t proposal_id;
    uint8_t choice; /* tally_vote_choice; vote only */
} tally_tx_proposal_vote;

/* The marketplace (docs/MARKETPLACE.md). Texts travel with the transactions for
 * people (the block log and the index keep them); the state keeps the money rules'
 * fields only.
 *
 * CATEGORY_SET: an operator names category 1..32 of its network (an empty name
 * removes it; listings keep theirs). */
typedef struct {
    uint32_t network_id;
    uint8_t category;
    tally_text name;
} tally_tx_category_set;

/* LISTING_CREATE (network_id, kind) and LISTING_UPDATE (listing_id: every other field
 * replaced); LISTING_WITHDRAW: listing_id only. price 0: "ask" (the buyer names a
 * price, the seller accepts or declines). image: both or neither (hash all zero and
 * URL empty). */
typedef enum { TALLY_LISTING_OFFER = 0, TALLY_LISTING_WANT = 1, TALLY_LISTING_KIND_COUNT } tally_listing_kind;
typedef struct {
    uint32_t network_id; /* create */
    uint32_t listing_id; /* update, withdraw */
    uint8_t kind;        /* tally_listing_kind; create */
    uint8_t category;    /* 0: none */
    int64_t price;       /* per unit, in the network's unit; 0: ask */
    uint32_t quantity;   /* units offered (or wanted), at least 1 */
    int64_t expiry;      /* block time */
    tally_text title;
    tally_text text;
    uint8_t image_hash[TALLY_HASH_BYTES];
    tally_text image_url;
} tally_tx_listing;

/* ORDER_CREATE: the signer buys `quantity` units of an offer at `unit_price` (the
 * listing's price as seen; any positive price for an "ask" listing), holding
 * quantity x unit_price plus its fee in a pending transfer to the seller until the
 * order ends; `timeout` (block time) settles it: refunded if the seller has not
 * accepted by then, released to the seller if accepted and not disputed. */
typedef struct {
    uint32_t listing_id;
    uint32_t quantity;
    int64_t unit_price;
    int64_t max_fee;
    int64_t timeout;
    tally_text memo;
} tally_tx_order_create;

/* An order's next step: ACCEPT, DECLINE (memo: why) and RESOLVE by the seller or an
 * operator; CANCEL, CONFIRM and DISPUTE (memo: why) by the buyer. RESOLVE: an
 * operator splits a disputed order, `amount` to the seller, the rest refunded. */
typedef struct {
    uint32_t order_id;
    int64_t amount; /* resolve only */
    tally_text memo;
} tally_tx_order_step;

/* REVIEW: the order's buyer (of the seller) or seller (of the buyer), once each. */
typedef struct {
    uint32_t order_id;
    uint8_t rating; /* 1..5 */
    tally_text text;
} tally_tx_review;

typedef struct {
    uint8_t type; /* tally_tx_type */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_key signer;
    uint64_t sequence; /* the signer's next sequence number, from 1 */
    union {
        tally_tx_network_create network_create;
        tally_tx_policy_update policy_update;
        tally_tx_peg_set peg_set;
        tally_tx_network_key network_key;
        tally_tx_network_only network_only;
        tally_tx_alias_set alias_set;
        tally_tx_line_open line_open;
        tally_tx_line_update line_update;
        tally_tx_transfer transfer;
        tally_tx_asset_create asset_create;
        tally_tx_asset_move asset_move;
        tally_tx_asset_burn asset_burn;
        tally_tx_pool_amount pool_amount;
        tally_tx_fee_distribute fee_distribute;
        tally_tx_chain_approve chain_approve;
        tally_tx_transfer_batch transfer_batch;
        tally_tx_pending_create pending_create;
        tally_tx_pending_end pending_end;
        tally_tx_request_create request_create;
        tally_tx_request_end request_end;
        tally_tx_gateway_propose gateway_propose;
        tally_tx_gateway_accept gateway_accept;
        tally_tx_gateway_update gateway_update;
        tally_tx_gateway_freeze gateway_freeze;
        tally_tx_gateway_end gateway_end;
        tally_tx_transfer_cross transfer_cross;
        tally_tx_clearing clearing;
        tally_tx_settle settle;
        tally_tx_stake stake;
        tally_tx_proposal_create proposal_create;
        tally_tx_proposal_vote proposal_vote;
        tally_tx_category_set category_set;
        tally_tx_listing listing;
        tally_tx_order_create order_create;
        tally_tx_order_step order_step;
        tally_tx_review review;
        tally_tx_validator_propose validator_propose;
        tally_tx_validator_approve validator_approve;
    } body;
    uint8_t signature[TALLY_SIGNATURE_BYTES];
} tally_tx;

/* What a transaction did. Fields that do not apply are 0. */
typedef struct {
    tally_error code;
    uint32_t created_id;   /* NETWORK_CREATE, ASSET_CREATE: the new id */
    int64_t minted;        /* credits created as new debt */
    int64_t burned;        /* credits destroyed with debt (or against lost debt) */
    int64_t fee;           /* TRANSFER: base + risk fee paid; TRANSFER_BATCH: of all lines */
    int64_t risk_fee;      /* TRANSFER, TRANSFER_BATCH: the risk-fee part of fee */
    int64_t reserve;       /* reserve units moved by a pool transaction */
    int64_t shares;        /* POOL_DEPOSIT minted, POOL_WITHDRAW redeemed */
    int64_t to_primary;    /* POOL_DEPOSIT split */
    int64_t to_excess;
    int64_t available;     /* on INSUFFICIENT_*: the most that could have been done */
    int64_t effective_at;  /* POLICY_UPDATE, PEG_SET: when an announced change takes effect (0: none) */
    uint16_t line;         /* TRANSFER_BATCH refused: the line refused, from 1 (0: the batch as a whole) */
} tally_result;

/* ------------------------------------------------------------------------ */
/* State: read-only views. Callers never write through these pointers.       */
/* ------------------------------------------------------------------------ */

/* A network's health over one completed period (docs/GATEWAYS.md section 4), written
 * by the chain at the period's end (the first block end at or after it) and kept in
 * the network record, so it is in the state commitment and has a proof. Ratios are
 * basis points, rounded down; a ratio over zero is 0. */
typedef struct {
    uint32_t period;      /* 1, 2, ...; 0: no period has ended yet */
    int64_t started_at;   /* block time the period began */
    int64_t ended_at;     /* its end (a multiple of the period after the network's creation) */
    int64_t supply, debt; /* at its end; debt counts every account, system ones included */
    int64_t member_debt;  /* the members' own debt: debt less lost debt and exposures */
    int64_t limits;       /* the sum of the members' credit limits at its end */
    uint32_t utilisation_bps; /* member_debt / limits */
    int64_t volume;       /* credits members received in the period (payments; no write-off) */
    uint32_t velocity_bps; /* volume / supply */
    int64_t debt_at_start; /* member_debt when the period began */
    int64_t written_off;  /* debt written off at defaults in the period */
    uint32_t default_rate_bps; /* written_off / debt_at_start */
    int64_t lost_debt;    /* the lost-debt account's debt at its end */
    int64_t rtd_bps;      /* tally_network_rtd_bps at its end */
    int64_t largest_debt; /* the largest debt any member reached in the period */
    uint32_t concentration_bps; /* largest_debt / supply */
    uint32_t active_members; /* members whose balance moved in the period (a write-off aside) */
    int64_t exposure;     /* the debts of its mirror accounts: minted against its partners */
    int64_t owed;         /* the balances of its mirror accounts: what it owes its partners */
} tally_health;

typedef struct {
    uint32_t id;
    tally_key founder;
    char name[TALLY_NAME_MAX + 1];
    char unit_code[TALLY_CODE_MAX + 1];
    uint8_t decimals;
    tally_policy policy;
    uint8_t operator_count;
    tally_key operators[TALLY_OPERATORS_MAX];
    /* peg and pool */
    uint32_t reserve_asset_id; /* 0 = none */
    int64_t peg_reserve_units;
    int64_t peg_credit_units;
    int64_t pool_primary; /* reserve units */
    int64_t pool_buffer;
    int64_t pool_excess;
    int64_t pool_total_shares;
    uint32_t pool_share_epoch; /* bumped when the pool is wiped out: older shares are void */
    /* aggregates kept by every mutation, checked by the invariants */
    int64_t supply; /* sum of positive balances */
    int64_t debt;   /* sum of negative balances, as a positive number */
    uint32_t member_count; /* non-system members that have not left */
    /* indices of the system accounts in the member table */
    uint32_t fee_member;
    uint32_t lost_debt_member;
    uint32_t pool_member;
    /* Announced changes (see tally_policy): at policy_change_at (0: none) the fields
     * that needed notice take policy_change's values; at peg_change_at (0: none) the
     * peg takes the announced rate. */
    int64_t policy_change_at;
    tally_policy policy_change;
    int64_t peg_change_at;
    int64_t peg_change_reserve_units;
    int64_t peg_change_credit_units;
    /* The redemption cap: the day (block time / TALLY_DAY_SECONDS) redeem_allowance is
     * for, and the reserve redemptions may still take from primary on it. */
    int64_t redeem_day;
    int64_t redeem_allowance;
    /* Health: the last completed period, and the running one's counters. */
    tally_health health;
    uint32_t health_period;       /* the running period's number (from 1) */
    int64_t health_started_at;    /* and its start */
    int64_t health_volume;        /* credits members received in it */
    int64_t health_written_off;   /* debt written off in it */
    int64_t health_debt_at_start; /* member debt at its start */
    int64_t health_largest_debt;  /* the largest debt a member reached in it */
    uint32_t health_active;       /* members who paid or were paid in it */
    /* Derived from the tables (not in snapshots): member records (left ones
     * included) and pool share holders, against their per-network bounds; and the
     * times of the due entries queued for the announcements (0: none), so that a
     * network has at most one of each kind queued however often it announces. */
    uint32_t member_records;
    uint32_t share_holders;
    uint32_t open_gateways; /* proposed or open, against TALLY_GATEWAYS_PER_NETWORK_MAX */
    __extension__ __int128 limits_total; /* the sum of its members' credit limits (past 2^63 at extremes) */
    int64_t mirror_debt;    /* the debts of its mirror accounts (its exposure to partners) */
    int64_t mirror_credit;  /* the positive balances of its mirror accounts (what it owes) */
    int64_t policy_change_queued_at;
    int64_t peg_change_queued_at;
    /* Charges (demurrage, membership fees): when the next round is due, and where
     * the running one goes on (a member record index + 1; 0: none running). */
    int64_t charges_at;
    uint32_t charges_cursor;
    /* Governance: joins so far (each join and rejoin takes the next number), and
     * proposals open (voting or passed). */
    uint64_t join_count;
    uint32_t proposals_open;
    /* The marketplace: bit c - 1 set while category c (1..32) is named. */
    uint32_t market_categories;
    /* Derived: its member records as a list in joining order (index + 1; 0: none),
     * through each record's place in state (ledger.h), and the reserve staked. */
    uint32_t first_member, last_member;
    int64_t stakes_locked;
} tally_network;

/* A pending transfer (PENDING_CREATE), kept after it ended (its id is its place). */
typedef enum {
    TALLY_PENDING_OPEN = 0,
    TALLY_PENDING_POSTED = 1,   /* by the payer or the resolver */
    TALLY_PENDING_VOIDED = 2,   /* by the payee or the resolver, or before its payer's default */
    TALLY_PENDING_RELEASED = 3, /* its timeout came with outcome release: posted in full */
    TALLY_PENDING_REFUNDED = 4, /* its timeout came with outcome refund (or release could not post) */
    TALLY_PENDING_STATUS_COUNT
} tally_pending_status;
typedef struct {
    uint32_t id; /* from 1, in creation order across the chain */
    uint32_t network_id;
    tally_key payer, payee, resolver; /* resolver all zero: none */
    int64_t amount;  /* held */
    int64_t fee;     /* held: the fee of the whole amount, charged pro rata at posting */
    int64_t risk_fee; /* the risk-fee part of fee (its underwriters' at posting, docs/UNDERWRITING.md) */
    int64_t timeout; /* block time */
    uint8_t outcome; /* tally_pending_outcome */
    uint8_t status;  /* tally_pending_status */
    int64_t created_at;
    int64_t posted; /* what reached the payee (0 unless posted or released) */
    uint32_t order_id; /* the marketplace order it holds the money of (0: none) */
} tally_pending;
#define TALLY_PENDINGS_MAX (1u << 24)
/* "open", "posted", "voided", "released", "refunded"; NULL for another value. */
const char *tally_pending_status_name(uint8_t status);
#define TALLY_OPEN_PER_MEMBER_MAX 1024u /* open holds a member pays, and open requests it made */

/* A payment request (REQUEST_CREATE), kept after it ended (its id is its place). */
typedef enum {
    TALLY_REQUEST_OPEN = 0,
    TALLY_REQUEST_PAID = 1,
    TALLY_REQUEST_CANCELLED = 2, /* by its creator */
    TALLY_REQUEST_EXPIRED = 3,   /* its expiry came unpaid (the block end that reached it) */
    TALLY_REQUEST_STATUS_COUNT
} tally_request_status;
typedef struct {
    uint32_t id; /* from 1, in creation order across the chain */
    uint32_t network_id;
    tally_key payee;   /* who made it and is paid */
    tally_key payer;   /* who is asked; all zero: any member */
    tally_key paid_by; /* all zero unless paid */
    int64_t amount;
    int64_t expiry; /* block time */
    int64_t created_at;
    uint8_t status; /* tally_request_status */
} tally_request;
#define TALLY_REQUESTS_MAX (1u << 24)
/* "open", "paid", "cancelled", "expired"; NULL for another value. */
const char *tally_request_status_name(uint8_t status);

/* A gateway between two networks (docs/GATEWAYS.md), kept after it closed. */
typedef enum {
    TALLY_GATEWAY_PROPOSED = 0,
    TALLY_GATEWAY_OPEN = 1,
    TALLY_GATEWAY_CLOSED = 2, /* closed, or a proposal superseded or closed unaccepted */
    TALLY_GATEWAY_STATUS_COUNT
} tally_gateway_status;
typedef struct {
    uint32_t id; /* from 1, in proposal order across the chain */
    uint32_t network_a, network_b;
    tally_gateway_terms terms;
    bool frozen[2]; /* side a, side b: no new exposure of that side */
    uint8_t status; /* tally_gateway_status */
    int64_t proposed_at, opened_at;
} tally_gateway;
#define TALLY_GATEWAYS_MAX (1u << 20)
#define TALLY_GATEWAYS_PER_NETWORK_MAX 64u
/* "proposed", "open", "closed"; NULL for another value. */
const char *tally_gateway_status_name(uint8_t status);

typedef struct {
    uint32_t network_id;
    tally_key key;
    uint8_t status;      /* tally_member_status */
    uint8_t system_kind; /* tally_system_kind */
    int64_t balance;
    int64_t fees_paid;
    char alias[TALLY_ALIAS_MAX + 1];
    /* credit line */
    uint8_t line_status; /* tally_line_status */
    int64_t limit;
    uint32_t risk_fee_bps;
    uint32_t period_seconds;
    uint32_t grace_seconds;
    int64_t period_start;
    int64_t period_end;  /* end of the current period */
    int64_t grace_end;   /* while FROZEN */
    int64_t income_in_period;
    bool rebalanced_in_period; /* balance was >= 0 after a payment in this period */
    int64_t joined_at;
    /* Amount plus fee held by this member's open pending transfers: spent as far as
     * what it may still spend is concerned (tally_member_available). */
    int64_t pending_out;
    /* Its open holds (as payer) and open payment requests (as maker): each at most
     * TALLY_OPEN_PER_MEMBER_MAX, the per-key bound below the tables' own. */
    uint32_t holds_open;
    uint32_t requests_open;
    /* Its open listings (offers and wants), TALLY_OPEN_PER_MEMBER_MAX at most. */
    uint32_t listings_open;
    /* LEFT: the status the member left with; a suspended or defaulted member who
     * joins again is suspended or defaulted again. */
    uint8_t status_before_leaving;
    /* The health period of its network in which it last paid or was paid (0: never). */
    uint32_t active_period;
    /* Reputation (docs/UNDERWRITING.md): the score written at its line's last period
     * end, and what it is computed from. */
    uint32_t reputation;       /* 0..1000 */
    uint32_t compliant_streak; /* compliant period ends in a row */
    uint32_t defaults;         /* times its debt was written off */
    int64_t volume_given;      /* credits it paid (fees and charges included) */
    int64_t volume_received;   /* credits it received (write-offs aside) */
    int32_t review_points;     /* net review stars (the marketplace's; 0 until then) */
    uint32_t review_count;
    int64_t income_last_period; /* its line's income in the period before this one */
    /* Underwriting: the part of `limit` its stakes back (limit - underwritten_limit is
     * the line's own part, at most max_credit_limit), the reserve staked behind it,
     * its stakes (a list through tally_stake.next), and the stakes it made. */
    int64_t underwritten_limit;
    int64_t staked_behind;
    uint32_t first_stake; /* id, 0: none */
    uint32_t stake_count; /* stakes behind its line, TALLY_STAKES_PER_LINE_MAX at most */
    uint32_t stakes_made; /* stake records it made as an underwriter, TALLY_OPEN_PER_MEMBER_MAX at most */
    int64_t staked_total; /* reserve it has staked behind others' lines now */
    /* A membership fee it could not pay at a charge: it is suspended until it pays. */
    int64_t fee_owed;
    /* Its place in its network's joins (governance's eligible set): the network's
     * join count when it last joined. */
    uint64_t join_seq;
    /* Derived (not in snapshots): the next member record of its network in joining
     * order (index + 1; 0: the last). */
    uint32_t next_in_network;
} tally_member;

/* A stake (STAKE), kept after it was withdrawn (its id is its place). */
typedef struct {
    uint32_t id; /* from 1, in order across the chain */
    uint32_t network_id;
    tally_key member;      /* whose line it backs */
    tally_key underwriter;
    int64_t amount;        /* reserve units locked now */
    int64_t earned;        /* risk fees it was paid, in credits */
    int64_t slashed;       /* reserve units slashed into the pool */
    uint32_t next;         /* the next stake behind the same line (id), 0: none */
    int64_t created_at;
} tally_stake;
#define TALLY_STAKES_MAX (1u << 20)
#define TALLY_STAKES_PER_LINE_MAX 16u

/* A proposal (PROPOSAL_CREATE), kept after it ended (its id is its place). */
typedef enum {
    TALLY_PROPOSAL_VOTING = 0,
    TALLY_PROPOSAL_PASSED = 1,    /* waiting for its timelock */
    TALLY_PROPOSAL_REJECTED = 2,  /* short of quorum or threshold */
    TALLY_PROPOSAL_CANCELLED = 3, /* by its proposer */
    TALLY_PROPOSAL_EXECUTED = 4,  /* its action applied (result: its code, OK or the refusal) */
    TALLY_PROPOSAL_STATUS_COUNT
} tally_proposal_status;
typedef struct {
    uint32_t id; /* from 1, in order across the chain */
    uint32_t network_id;
    tally_key proposer;
    tally_proposal_action action;
    /* the rule it is counted by, as it was when it was made */
    uint8_t weighting;
    uint32_t quorum_bps, threshold_bps;
    uint32_t late_quorum_seconds, timelock_seconds;
    /* the eligible set: members active when it was made (join_seq at most this) */
    uint64_t eligible_join_seq;
    int64_t eligible_weight;
    int64_t yes, no, abstain;
    uint32_t voters;
    int64_t created_at, voting_ends_at, executes_at; /* executes_at: once passed */
    bool extended; /* the late-quorum extension happened */
    uint8_t status; /* tally_proposal_status */
    uint16_t result; /* tally_error of its action, once executed */
} tally_proposal;
#define TALLY_PROPOSALS_MAX (1u << 20)
#define TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX 16u
/* A vote (PROPOSAL_VOTE), one per member and proposal. */
typedef struct {
    uint32_t proposal_id;
    tally_key voter;
    uint8_t choice; /* tally_vote_choice */
    int64_t weight;
} tally_vote;
#define TALLY_VOTES_MAX (1u << 24)

/* A listing (LISTING_CREATE), kept after it ended (its id is its place). */
typedef enum {
    TALLY_LISTING_OPEN = 0,
    TALLY_LISTING_WITHDRAWN = 1, /* by its seller */
    TALLY_LISTING_EXPIRED = 2,   /* its expiry came (the block end that reached it) */
    TALLY_LISTING_STATUS_COUNT
} tally_listing_status;
typedef struct {
    uint32_t id; /* from 1, in order across the chain */
    uint32_t network_id;
    tally_key seller; /* who published it (a want's too) */
    uint8_t kind;     /* tally_listing_kind */
    uint8_t category;
    uint8_t status;   /* tally_listing_status */
    int64_t price;    /* per unit; 0: ask */
    uint32_t quantity; /* units left: orders open and done take theirs */
    uint32_t sold;     /* units of orders that paid the seller */
    uint32_t orders_open;
    uint32_t revision; /* updates so far */
    int64_t expiry, created_at, updated_at;
} tally_listing;
#define TALLY_LISTINGS_MAX (1u << 24)

/* An order (ORDER_CREATE), kept after it ended (its id is its place). */
typedef enum {
    TALLY_ORDER_PLACED = 0,    /* the money held, the seller yet to accept */
    TALLY_ORDER_ACCEPTED = 1,
    TALLY_ORDER_DISPUTED = 2,  /* by the buyer, or a release the seller's cap stopped */
    TALLY_ORDER_COMPLETED = 3, /* the buyer confirmed: the seller paid */
    TALLY_ORDER_RELEASED = 4,  /* its timeout came, accepted and undisputed: the seller paid */
    TALLY_ORDER_RESOLVED = 5,  /* an operator split it */
    TALLY_ORDER_DECLINED = 6,  /* by the seller: refunded */
    TALLY_ORDER_CANCELLED = 7, /* by the buyer before acceptance: refunded */
    TALLY_ORDER_EXPIRED = 8,   /* its timeout came unaccepted: refunded */
    TALLY_ORDER_VOIDED = 9,    /* its buyer defaulted: the hold voided first */
    TALLY_ORDER_STATUS_COUNT
} tally_order_status;
typedef struct {
    uint32_t id; /* from 1, in order across the chain */
    uint32_t network_id;
    uint32_t listing_id;
    uint32_t pending_id; /* the hold of its money */
    tally_key buyer, seller;
    uint32_t quantity;
    int64_t unit_price;
    int64_t amount; /* quantity x unit_price: held (its fee besides) */
    int64_t paid;   /* what reached the seller */
    int64_t timeout, created_at, accepted_at, ended_at;
    uint8_t status; /* tally_order_status */
    /* the stars each side gave the other (0: no review yet) */
    uint8_t buyer_rating, seller_rating;
} tally_order;
#define TALLY_ORDERS_MAX (1u << 24)
/* "offer", "want"; "open", "withdrawn", "expired"; "placed", "accepted", ...;
 * NULL for another value. */
const char *tally_listing_kind_name(uint8_t kind);
const char *tally_listing_status_name(uint8_t status);
const char *tally_order_status_name(uint8_t status);
/* Whether an order has ended (paid, split or refunded), and whether it ended with
 * the seller paid (COMPLETED, RELEASED, RESOLVED: the sides may review). */
bool tally_order_ended(uint8_t status);
bool tally_order_reviewable(uint8_t status);
/* "voting", "passed", "rejected", "cancelled", "executed"; NULL for another value. */
const char *tally_proposal_status_name(uint8_t status);
/* Whether the weight cast (yes, no, abstain) reaches the proposal's quorum of its
 * eligible weight, and whether yes reaches its threshold of yes + no (yes > 0): both,
 * when its vote ends, and it passes. For a view of a proposal still voting. */
bool tally_proposal_quorum_reached(const tally_proposal *proposal);
bool tally_proposal_threshold_reached(const tally_proposal *proposal);

typedef struct {
    uint32_t id;
    tally_key issuer;
    char code[TALLY_CODE_MAX + 1];
    char name[TALLY_NAME_MAX + 1];
    uint8_t decimals;
    int64_t issued;
    int64_t burned;
    uint32_t holders; /* derived (not in snapshots): holding records, the pool's included */
} tally_asset;

/* Who may grow the chain's shared tables (DESIGN.md "Who may grow the state"): in an
 * OPEN chain any key may found networks and create assets, a few a day; in an
 * APPROVED chain only with a validator's approval (CHAIN_APPROVE). Approvals are
 * used first in both. */
typedef enum {
    TALLY_GROWTH_OPEN = 0,
    TALLY_GROWTH_APPROVED = 1,
    TALLY_GROWTH_COUNT
} tally_growth_mode;

/* A change of the validator set that a validator proposed and a quorum has not yet
 * approved (VALIDATOR_PROPOSE; open when `open`). */
typedef struct {
    uint8_t open;
    uint8_t add_count;
    tally_key add[TALLY_VALIDATORS_MAX];
    uint16_t retire;    /* slots to retire */
    uint32_t id;        /* the chain's count of changes proposed, this one included */
    tally_key proposer;
    uint16_t approvals; /* bit i: validators[i] approved */
    int64_t expires_at; /* it lapses at the first block end at or after this time */
} tally_validator_change;

/* The rules a chain's genesis fixes, and the validator set as the validators have
 * changed it since. Validator 0 is the genesis producer. */
typedef struct {
    uint8_t growth_mode;               /* tally_growth_mode */
    uint16_t networks_per_key_per_day; /* OPEN: 1..TALLY_DAILY_GROWTH_MAX */
    uint16_t assets_per_key_per_day;   /* OPEN: 1..TALLY_DAILY_GROWTH_MAX */
    /* 1: a development chain (`tallyd --dev`), whose operator may move block time
     * forward at will to try periods; 0: a real one. Every reader of the chain sees
     * which it is (verify says so). */
    uint8_t dev_chain;
    uint8_t validator_count;           /* 0..TALLY_VALIDATORS_MAX (0: nobody approves) */
    tally_key validators[TALLY_VALIDATORS_MAX]; /* slots: changes append, never reorder */
    /* Not in a genesis (which has none); the state's, changed by VALIDATOR_PROPOSE and
     * VALIDATOR_APPROVE and in the state commitment. */
    uint16_t retired;                  /* bit i: validators[i] is no longer a validator */
    uint32_t validator_changes;        /* changes proposed so far */
    tally_validator_change change;     /* the open one */
} tally_chain_rules;

/* Whether slot i of the rules is a validator now (in the roster and not retired). */
bool tally_chain_rules_is_active(const tally_chain_rules *rules, uint8_t slot);
/* How many validators are active, and the quorum of them a change needs (n / 2 + 1). */
uint8_t tally_chain_rules_active_count(const tally_chain_rules *rules);

/* OPEN, 3 networks and 3 assets per key per day, the given validator (none when
 * NULL). */
void tally_chain_rules_defaults(tally_chain_rules *rules, const tally_key *validator);
/* OK, or BAD_POLICY for a value out of range, a repeated or system validator key. */
tally_error tally_chain_rules_validate(const tally_chain_rules *rules);

typedef struct tally_state tally_state;

/* The secret key of the hash the state's lookup tables use (SipHash-2-4). Keys,
 * aliases and names are chosen by whoever signs, so a known hash would let them
 * grind collisions that turn lookups into scans. tally_crypto_init sets a random
 * one; call this only to choose it (before creating states: each state keeps the
 * secret it was created with). Nothing observable (iteration order, snapshots,
 * hashes) depends on it. A process that never sets it uses all zero bytes. */
#define TALLY_INDEX_SECRET_BYTES 16u
void tally_index_secret_set(const uint8_t secret[TALLY_INDEX_SECRET_BYTES]);

/* A new empty ledger for one chain under `rules` (validated: NULL when they are
 * invalid or memory is short). */
tally_state *tally_state_create_for_chain(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                                          const tally_chain_rules *rules);
/* tally_state_create_for_chain with tally_chain_rules_defaults and no validator. */
tally_state *tally_state_create(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES]);
const tally_chain_rules *tally_state_chain_rules(const tally_state *state);
/* The pending transfer of id (1..), or NULL; how many were ever made. */
const tally_pending *tally_state_pending(const tally_state *state, uint32_t id);
uint32_t tally_state_pending_count(const tally_state *state);
/* The payment request of id (1..), or NULL; how many were ever made. */
const tally_request *tally_state_request(const tally_state *state, uint32_t id);
uint32_t tally_state_request_count(const tally_state *state);
/* The proposal of id (1..), or NULL; how many were ever made. */
const tally_proposal *tally_state_proposal(const tally_state *state, uint32_t id);
uint32_t tally_state_proposal_count(const tally_state *state);
/* The vote `voter` cast on a proposal, or NULL; all votes in casting order. */
const tally_vote *tally_state_vote(const tally_state *state, uint32_t proposal_id, const tally_key *voter);
uint32_t tally_state_vote_count(const tally_state *state);
const tally_vote *tally_state_vote_at(const tally_state *state, uint32_t index);
/* The listing and the order of id (1..), or NULL; how many were ever made. */
const tally_listing *tally_state_listing(const tally_state *state, uint32_t id);
uint32_t tally_state_listing_count(const tally_state *state);
const tally_order *tally_state_order(const tally_state *state, uint32_t id);
uint32_t tally_state_order_count(const tally_state *state);
/* The stake of id (1..), or NULL; how many were ever made. */
const tally_stake *tally_state_stake(const tally_state *state, uint32_t id);
uint32_t tally_state_stake_count(const tally_state *state);
/* What a line's stakes cover at the network's peg and collateral ratio: value of
 * `reserve` in credits (rounded down) * 10000 / collateral_ratio_bps, rounded down;
 * 0 without underwriting or a peg. */
int64_t tally_network_stake_cover(const tally_network *network, int64_t reserve);

/* The reputation score of docs/UNDERWRITING.md from its inputs. Pure. */
typedef struct {
    int64_t age_days;
    int64_t volume; /* given + received */
    uint32_t compliant_streak;
    uint32_t defaults;
    int32_t review_points;
} tally_reputation_inputs;
uint32_t tally_reputation_score(const tally_reputation_rule *rule, const tally_reputation_inputs *inputs);
/* The algorithmic limit's own part for a line (tally_limit_rule) at a renewal: from
 * its part now, the member's new score, its income of this and the last period, its
 * record, and the least the part may be (what the line owes above its underwritten
 * part). Pure. */
int64_t tally_algorithmic_limit(const tally_policy *policy, int64_t part_now, uint32_t reputation,
                                int64_t income_now, int64_t income_last, uint32_t defaults,
                                uint32_t compliant_streak, int64_t floor);
/* The gateway of id (1..), or NULL; how many were ever proposed. */
const tally_gateway *tally_state_gateway(const tally_state *state, uint32_t id);
uint32_t tally_state_gateway_count(const tally_state *state);
/* What a key may still found and create: approvals left, and in an OPEN chain what
 * the day of block_time still allows. */
typedef struct {
    uint32_t networks_approved, assets_approved;
    uint32_t networks_today_left, assets_today_left;
} tally_growth_allowance;
tally_growth_allowance tally_state_growth_allowance(const tally_state *state, const tally_key *key,
                                                    int64_t block_time);
void tally_state_destroy(tally_state *state);

const uint8_t *tally_state_chain_id(const tally_state *state);
/* The next sequence number `key` must sign with (1 for a key never seen). */
uint64_t tally_state_next_sequence(const tally_state *state, const tally_key *key);
uint32_t tally_state_network_count(const tally_state *state);
/* Networks are numbered from 1. NULL for an unknown id. */
const tally_network *tally_state_network(const tally_state *state, uint32_t network_id);
/* The network named `name` (length bytes), compared ignoring ASCII case: names are
 * unique on the chain in that sense. NULL when none. */
const tally_network *tally_state_network_by_name(const tally_state *state, const char *name, size_t length);
uint32_t tally_state_asset_count(const tally_state *state);
const tally_asset *tally_state_asset(const tally_state *state, uint32_t asset_id);
/* A member (or former member) of a network; NULL when the key never joined. */
const tally_member *tally_state_member(const tally_state *state, uint32_t network_id,
                                       const tally_key *key);
/* The member table in insertion order, system accounts included. */
uint32_t tally_state_member_count(const tally_state *state);
const tally_member *tally_state_member_at(const tally_state *state, uint32_t index);
const tally_member *tally_state_member_by_alias(const tally_state *state, uint32_t network_id,
                                                const char *alias, size_t alias_length);
/* Reserve held by key (0 when none). */
int64_t tally_state_asset_balance(const tally_state *state, uint32_t asset_id, const tally_key *key);
/* Pool shares of key in a network (0 when none or void). */
int64_t tally_state_pool_shares(const tally_state *state, uint32_t network_id, const tally_key *key);
/* The key the system account of `kind` holds in a network. */
tally_key tally_system_key(uint32_t network_id, tally_system_kind kind);
/* The mirror account `gw:partner` in network_id (kind TALLY_SYSTEM_GATEWAY, the
 * partner's id after the network's). */
tally_key tally_gateway_key(uint32_t network_id, uint32_t partner_id);
bool tally_key_is_system(const tally_key *key);

/* Credit a member may still spend: balance + limit when the line allows credit,
 * else max(balance, 0). Before fees. */
int64_t tally_member_available(const tally_state *state, const tally_member *member);
/* Why a payment past what member may spend is refused: INSUFFICIENT_CREDIT while its
 * line lends, else what stops it lending (MEMBER_SUSPENDED, MEMBER_DEFAULTED,
 * LINE_FROZEN, LINE_EXPIRED; a member without a line or with a closed one gets
 * INSUFFICIENT_CREDIT). The code the core gives such a payment in a block. */
tally_error tally_member_credit_refusal(const tally_member *member);
/* Reserve-to-debt ratio of a network in basis points (primary value / supply),
 * rounded down; 0 when the network has no supply or no peg. */
int64_t tally_network_rtd_bps(const tally_network *network);
/* When the network's running health period ends (INT64_MAX: never). */
int64_t tally_network_health_ends_at(const tally_network *network);
/* Reserve that redemptions may still take from the pool's primary on the day of
 * block_time (its redeem_cap_bps of primary when the day's first redemption from
 * primary comes, rounded down; the buffer is not capped). */
int64_t tally_network_redeem_allowance(const tally_network *network, int64_t block_time);

/* ------------------------------------------------------------------------ */
/* Applying transactions.                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Applies one transaction whose signature the caller has already checked
 * (tally_tx_verify). Checks chain id, sequence and every rule; on success bumps
 * the signer's sequence and changes the state; on refusal returns the error in
 * result.code and changes nothing at all (the sequence is not consumed).
 * block_time is seconds since the Unix epoch of the block holding tx.
 */
TALLY_MUST_CHECK tally_result tally_apply(tally_state *state, const tally_tx *tx, int64_t block_time);

/*
 * The hashing applying tx does, done ahead: the secret-keyed hashes of the keys its
 * lookups take (the signer's, a payment's payee), a third of a payment's work in
 * the core. Preparing reads only the state's index secret, which never changes, so
 * it may run on any thread while another applies (the node's verifier threads
 * prepare what they have checked). tally_apply_prepared takes the hashes when they
 * were made for this state's secret and these keys, and hashes afresh otherwise:
 * its outcome is tally_apply's either way. The hashes themselves are trusted, so a
 * prepared value comes from tally_tx_prepare and from nowhere else (never the wire).
 */
typedef struct {
    uint64_t secret_tag; /* which index secret the hashes are under */
    tally_key signer, payee;
    uint64_t signer_hash, payee_hash;
    bool has_payee;
} tally_tx_prepared;
void tally_tx_prepare(const tally_state *state, const tally_tx *tx, tally_tx_prepared *out);
TALLY_MUST_CHECK tally_result tally_apply_prepared(tally_state *state, const tally_tx *tx,
                                                   const tally_tx_prepared *prepared, int64_t block_time);

/* The entry point for untrusted transactions: the cheap envelope checks (chain id,
 * type), then tally_tx_verify (BAD_SIGNATURE), then tally_apply. */
TALLY_MUST_CHECK tally_result tally_apply_signed(tally_state *state, const tally_tx *tx,
                                                 int64_t block_time);

/* What the end of a block did, summed over networks (amounts of different units:
 * for reports only; they saturate at INT64_MAX). */
typedef struct {
    uint32_t lines_renewed;
    uint32_t lines_expired;
    uint32_t lines_frozen;
    uint32_t lines_defaulted;
    int64_t debt_written_off;     /* credits moved to lost debt by defaults */
    int64_t lost_debt_burned;     /* pool credits burned against lost debt */
    int64_t reserve_reallocated;  /* excess moved to primary */
    uint32_t policy_changes;      /* announced policy changes that took effect */
    uint32_t peg_changes;         /* announced peg changes that took effect */
} tally_block_summary;

/*
 * What the end of a block did to one line or network, by itself: the chain's own
 * entries in members' and networks' histories. A block records them (in order) and
 * its results_root commits to them, so they are as provable as its transactions.
 *   kind              member  amount                         time
 *   LINE_RENEWED      yes     the line's limit               the new period's end
 *   LINE_EXPIRED      yes     the balance                    the period's end
 *   LINE_FROZEN       yes     the balance                    the end of grace
 *   LINE_UNFROZEN     yes     the balance                    the new period's end
 *   LINE_DEFAULTED    yes     the debt written off (> 0)     the end of grace
 *   LOST_DEBT_COVERED no      pool credits burned against lost debt (> 0)   0
 *   RESERVE_REALLOCATED no    reserve moved from excess to primary (> 0)    0
 *   POLICY_CHANGED    no      0                              when announced to take effect
 *   PEG_CHANGED       no      0                              when announced to take effect
 * member is all zero where the event is about the network.
 */
typedef enum {
    TALLY_EVENT_LINE_RENEWED = 1,
    TALLY_EVENT_LINE_EXPIRED = 2,
    TALLY_EVENT_LINE_FROZEN = 3,
    TALLY_EVENT_LINE_UNFROZEN = 4,
    TALLY_EVENT_LINE_DEFAULTED = 5,
    TALLY_EVENT_LOST_DEBT_COVERED = 6,
    TALLY_EVENT_RESERVE_REALLOCATED = 7,
    TALLY_EVENT_POLICY_CHANGED = 8,
    TALLY_EVENT_PEG_CHANGED = 9,
    /* A hold's timeout came: member the payer, amount what it held (posted in full or
     * released), `time` the hold's id (its record has the timeout). */
    TALLY_EVENT_PENDING_RELEASED = 10,
    TALLY_EVENT_PENDING_REFUNDED = 11,
    /* A payment request's expiry came unpaid: member its payee, amount what it asked,
     * `time` the request's id. */
    TALLY_EVENT_REQUEST_EXPIRED = 12,
    /* A network's health period ended and its figures were written (the network
     * record's `health`): member zero, amount the period's number, `time` its end. */
    TALLY_EVENT_HEALTH_RECORDED = 13,
    /* A default slashed a stake into the pool's primary: member the underwriter,
     * amount the reserve slashed, `time` the stake's id (its record names the line). */
    TALLY_EVENT_STAKE_SLASHED = 14,
    /* The algorithmic limit set a line's own part at a renewal: member its holder,
     * amount the line's new limit, `time` the reputation score it was set from. */
    TALLY_EVENT_LIMIT_SET = 15,
    /* Charges: demurrage and a membership fee taken (amount), and a member suspended
     * for a fee it could not pay (amount what it owes); `time` the round's due time. */
    TALLY_EVENT_DEMURRAGE_CHARGED = 16,
    TALLY_EVENT_MEMBERSHIP_FEE_CHARGED = 17,
    TALLY_EVENT_FEE_SUSPENDED = 18,
    /* A proposal's vote ended (PASSED: amount its executes_at; REJECTED: amount 0)
     * or its action was applied (EXECUTED: amount its tally_error); member its
     * proposer, `time` the proposal's id. */
    TALLY_EVENT_PROPOSAL_PASSED = 19,
    TALLY_EVENT_PROPOSAL_REJECTED = 20,
    TALLY_EVENT_PROPOSAL_EXECUTED = 21,
    /* The marketplace: a listing's expiry came (member its seller, amount 0); an
     * order's timeout came: released to the seller (member the seller, amount what
     * it was paid), refunded unaccepted (EXPIRED: member the buyer, amount held), or
     * the seller's cap kept it from being paid (HELD: member the seller, amount the
     * order's; the order is disputed); `time` the listing's or order's id. */
    TALLY_EVENT_LISTING_EXPIRED = 22,
    TALLY_EVENT_ORDER_RELEASED = 23,
    TALLY_EVENT_ORDER_EXPIRED = 24,
    TALLY_EVENT_ORDER_HELD = 25,
} tally_event_kind;
#define TALLY_EVENT_KIND_FIRST TALLY_EVENT_LINE_RENEWED
#define TALLY_EVENT_KIND_LAST TALLY_EVENT_ORDER_HELD

typedef struct {
    uint8_t kind; /* tally_event_kind */
    uint32_t network_id;
    tally_key member;
    int64_t amount;
    int64_t time;
} tally_event;

/* "line_defaulted" for TALLY_EVENT_LINE_DEFAULTED; NULL for an unknown kind. */
const char *tally_event_kind_name(uint8_t kind);
/* Whether the kind names a member (the line events) rather than the network. */
bool tally_event_kind_has_member(uint8_t kind);

/* Due entries one block's end processes at most; the rest wait for the next block
 * (which a node makes at once: tally_state_next_due is then in the past). It bounds
 * the events a block records: at most two per unit of due work (a default and the
 * pool's cover of it; a renewal and its algorithmic limit; a member's demurrage and
 * fee in a charge round, each member one unit), one per slashed stake (each one unit
 * too: a default's slashes may take the count past the bound by a line's stakes),
 * and one reallocation per network. */
#define TALLY_BLOCK_DUES_MAX 65536u
#define TALLY_BLOCK_EVENTS_MAX (2u * (TALLY_BLOCK_DUES_MAX + TALLY_STAKES_PER_LINE_MAX) + TALLY_NETWORKS_MAX)

/* Where tally_end_block_events reports each event, in order (the core's only output
 * besides the state; it must not touch the state). */
typedef void tally_event_fn(void *context, const tally_event *event);

/*
 * Runs the end-of-block step at block_time: everything due at or before block_time,
 * in order of due time (then kind, then index): credit lines whose period or grace
 * ended are checked against their network's compliance rule (renewed, expired,
 * frozen or defaulted), and announced policy and peg changes take effect (at most
 * TALLY_BLOCK_DUES_MAX entries); then pools below their target RTD move excess to
 * primary.
 * block_time must not go backwards (it is clamped by the chain layer). A period or
 * grace that would end after INT64_MAX ends at INT64_MAX and is never processed.
 */
tally_block_summary tally_end_block(tally_state *state, int64_t block_time);
/* The same, reporting each event to on_event (NULL: none) as it happens. */
tally_block_summary tally_end_block_events(tally_state *state, int64_t block_time, tally_event_fn *on_event,
                                           void *context);
/* The earliest block time at which tally_end_block has something to do by itself (a
 * period or a grace ending, an announced change taking effect); INT64_MAX when
 * nothing is due. A node makes a block then, so that a line never reads active after
 * its period ended. It may be a time whose entry turns out to have nothing left to do
 * (a line closed since): the block then changes nothing. */
int64_t tally_state_next_due(const tally_state *state);

/*
 * Checks every invariant of DESIGN.md section 4 on the whole state: per network
 * the balances sum to zero and supply == debt and match the kept aggregates; no
 * member below -limit (the lost-debt account excepted); pool parts sum to the
 * reserve the pool holds; shares sum to the pool's total; asset holdings sum to
 * issued - burned and are never negative; indices agree with tables.
 * Returns true when all hold; otherwise false and a description in `why`.
 */
TALLY_MUST_CHECK bool tally_check_invariants(const tally_state *state, char *why, size_t why_size);
/*
 * The same invariants, checked where the state changed since the last call: the
 * records touched (the marks the commitment uses) and what depends on them (a
 * member's network, a holding's asset or pool), against per-network and per-asset
 * sums kept from the last call and moved by each touched record's change. A block's
 * check costs what it touched. The first call, and the first after the state was
 * loaded, is a full check that sets the sums up; so is the call after one that
 * failed. The verdict is tally_check_invariants' on every state the core reaches.
 */
TALLY_MUST_CHECK bool tally_check_invariants_changed(tally_state *state, char *why, size_t why_size);
/* fully: every later tally_check_invariants_changed is the full check (what `tally
 * verify --full` asks for: the cost of a block then grows with the state, as it did
 * before the check was incremental). false: back to the incremental check. */
void tally_state_check_invariants_fully(tally_state *state, bool fully);

/* ------------------------------------------------------------------------ */
/* The state commitment: a Merkle tree over the state's records.             */
/* ------------------------------------------------------------------------ */

/*
 * The state's root (DESIGN.md section 5, docs/PROOFS.md) commits to every record of
 * every table through one Merkle tree per table, over the records' canonical bytes in
 * table order:
 *   leaf(table, record) = BLAKE2b-256(0x00 || u8 table || record bytes)
 *   node(left, right)   = BLAKE2b-256(0x01 || left || right); a level's odd last
 *                         node is promoted unchanged; no records: 32 zero bytes
 *   root = BLAKE2b-256("tally-state-v1" || chain_id || chain rules bytes ||
 *                      for each table in order: u32 count || table root)
 * The tables, in order: networks, assets, members, accounts, holdings, pendings,
 * requests, gateways, stakes, proposals, votes, listings, orders. The record
 * bytes are those of a snapshot (tally_record_decode_* read them back). The core
 * marks every record a transaction or a block end touches, so committing costs what
 * changed (times the log of the table), not the size of the state.
 */
typedef enum {
    TALLY_TABLE_NETWORKS = 0,
    TALLY_TABLE_ASSETS = 1,
    TALLY_TABLE_MEMBERS = 2,
    TALLY_TABLE_ACCOUNTS = 3,
    TALLY_TABLE_HOLDINGS = 4,
    TALLY_TABLE_PENDINGS = 5,
    TALLY_TABLE_REQUESTS = 6,
    TALLY_TABLE_GATEWAYS = 7,
    TALLY_TABLE_STAKES = 8,
    TALLY_TABLE_PROPOSALS = 9,
    TALLY_TABLE_VOTES = 10,
    TALLY_TABLE_LISTINGS = 11,
    TALLY_TABLE_ORDERS = 12,
    TALLY_TABLE_COUNT
} tally_table;

/* The longest record's bytes (a network with 16 operators and an announcement). */
#define TALLY_RECORD_MAX 2048u
/* Tables hold at most 2^24 records: a path has at most 24 siblings. */
#define TALLY_PROOF_PATH_MAX 32u
/* The chain rules' bytes inside the root (u8 mode, u32, u32, u8 count, keys). */
#define TALLY_RULES_BYTES_MAX                                                                        \
    (1u + 4u + 4u + 1u + 1u + TALLY_VALIDATORS_MAX * TALLY_KEY_BYTES + /* and, once a change was proposed: */ \
     2u + 4u + 1u + 1u + TALLY_VALIDATORS_MAX * TALLY_KEY_BYTES + 2u + 4u + TALLY_KEY_BYTES + 2u + 8u)

/* The root, updated where something changed since the last commit (the chain layer
 * calls it at the end of each block). false when out of memory. */
TALLY_MUST_CHECK bool tally_state_commit(tally_state *state, uint8_t root[TALLY_HASH_BYTES]);
/* The same root computed from every record afresh, trusting nothing kept: tests and
 * `verify --full` compare it with tally_state_commit's. false when out of memory. */
TALLY_MUST_CHECK bool tally_state_hash(const tally_state *state, uint8_t root[TALLY_HASH_BYTES]);

/* An inclusion proof of one record against a root: everything needed to recompute
 * the root from the record (its table's path, the other tables' roots and counts,
 * the chain id and rules). */
typedef struct {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    uint16_t rules_length;
    uint8_t rules[TALLY_RULES_BYTES_MAX];
    uint32_t counts[TALLY_TABLE_COUNT];
    uint8_t roots[TALLY_TABLE_COUNT][TALLY_HASH_BYTES];
    uint8_t table; /* tally_table */
    uint32_t index;
    uint16_t record_length;
    uint8_t record[TALLY_RECORD_MAX];
    uint8_t path_length; /* siblings from the leaf up; a promoted node has none */
    uint8_t path[TALLY_PROOF_PATH_MAX][TALLY_HASH_BYTES];
} tally_state_proof;

/* The proof of record `index` of `table` against the root of the last
 * tally_state_commit. false when the index is out of range, or the state changed
 * since that commit (prove right after a block). */
TALLY_MUST_CHECK bool tally_state_prove(const tally_state *state, tally_table table, uint32_t index,
                                        tally_state_proof *proof);
/* Recomputes the root a proof leads to. false when the proof is malformed (a table,
 * index, count or path length out of range). Pure: a client checks a proof with it
 * and a header it trusts (tally_chain_proof_check in tally_chain.h). */
TALLY_MUST_CHECK bool tally_state_proof_root(const tally_state_proof *proof, uint8_t root[TALLY_HASH_BYTES]);

/* A proof's bytes for other clients (docs/PROOFS.md): u8 version 1 | chain_id[32] |
 * u16 rules length | rules | for each table: u32 count | root[32] | u8 table |
 * u32 index | u16 record length | record | u8 path length | path[32] each; little-
 * endian. Encode returns the length (0 when out is too small); decode is strict. */
#define TALLY_PROOF_ENCODED_MAX                                                                         \
    (1u + TALLY_CHAIN_ID_BYTES + 2u + TALLY_RULES_BYTES_MAX + TALLY_TABLE_COUNT * (4u + TALLY_HASH_BYTES) + 1u + \
     4u + 2u + TALLY_RECORD_MAX + 1u + TALLY_PROOF_PATH_MAX * TALLY_HASH_BYTES)
size_t tally_state_proof_encode(const tally_state_proof *proof, uint8_t *out, size_t out_size);
TALLY_MUST_CHECK bool tally_state_proof_decode(const uint8_t *bytes, size_t length, tally_state_proof *proof);

/* Where a record stands in its table (for tally_state_prove). false when absent. */
bool tally_state_member_position(const tally_state *state, uint32_t network_id, const tally_key *key,
                                 uint32_t *index);
bool tally_state_account_position(const tally_state *state, const tally_key *key, uint32_t *index);
/* owner_id: an asset id, or TALLY_HOLDING_SHARES | network id for pool shares. */
#define TALLY_HOLDING_SHARES 0x80000000u
bool tally_state_holding_position(const tally_state *state, uint32_t owner_id, const tally_key *key,
                                  uint32_t *index);

/* Records as proofs carry them (the snapshot's bytes). */
typedef struct {
    tally_key key;
    uint64_t next_sequence;
    uint32_t networks_approved, assets_approved;
} tally_account_record;
typedef struct {
    uint32_t owner_id; /* asset id, or TALLY_HOLDING_SHARES | network id */
    uint32_t epoch;    /* shares: void unless the network's pool_share_epoch */
    tally_key key;
    int64_t amount;
} tally_holding_record;
/* Strict: false unless bytes are exactly one record of the kind. */
bool tally_record_decode_network(const uint8_t *bytes, size_t length, tally_network *out);
bool tally_record_decode_asset(const uint8_t *bytes, size_t length, tally_asset *out);
bool tally_record_decode_member(const uint8_t *bytes, size_t length, tally_member *out);
bool tally_record_decode_account(const uint8_t *bytes, size_t length, tally_account_record *out);
bool tally_record_decode_holding(const uint8_t *bytes, size_t length, tally_holding_record *out);
bool tally_record_decode_pending(const uint8_t *bytes, size_t length, tally_pending *out);
bool tally_record_decode_request(const uint8_t *bytes, size_t length, tally_request *out);
bool tally_record_decode_gateway(const uint8_t *bytes, size_t length, tally_gateway *out);
bool tally_record_decode_stake(const uint8_t *bytes, size_t length, tally_stake *out);
bool tally_record_decode_proposal(const uint8_t *bytes, size_t length, tally_proposal *out);
bool tally_record_decode_vote(const uint8_t *bytes, size_t length, tally_vote *out);
bool tally_record_decode_listing(const uint8_t *bytes, size_t length, tally_listing *out);
bool tally_record_decode_order(const uint8_t *bytes, size_t length, tally_order *out);
/* The record a proof carries, decoded by its table: false unless the bytes are
 * exactly one record of that table's kind. */
typedef union {
    tally_network network;
    tally_asset asset;
    tally_member member;
    tally_account_record account;
    tally_holding_record holding;
    tally_pending pending;
    tally_request request;
    tally_gateway gateway;
    tally_stake stake;
    tally_proposal proposal;
    tally_vote vote;
    tally_listing listing;
    tally_order order;
} tally_record;
TALLY_MUST_CHECK bool tally_state_proof_record(const tally_state_proof *proof, tally_record *out);

/* ------------------------------------------------------------------------ */
/* Snapshots: the canonical serialization of a state.                        */
/* ------------------------------------------------------------------------ */

/* Bytes needed by tally_state_serialize. */
size_t tally_state_serialized_size(const tally_state *state);
/* Writes the canonical bytes of the state into out (capacity out_size); returns
 * the length written, or 0 when out_size is too small. Two states that went
 * through the same history serialize to the same bytes. */
size_t tally_state_serialize(const tally_state *state, uint8_t *out, size_t out_size);
/* Rebuilds a state from tally_state_serialize's bytes; NULL (and *error set) when
 * the bytes are malformed or break an invariant. Any state the core can reach loads,
 * every table at its protocol bound included. */
tally_state *tally_state_deserialize(const uint8_t *bytes, size_t length, tally_error *error);

/* Text fields (memos, names): valid UTF-8 without control characters (C0, DEL,
 * C1) and without the invisible formatting characters that let text look other
 * than it is: U+00AD, U+061C, U+180E, U+200B..U+200F, U+2028..U+202E,
 * U+2060..U+206F, U+FEFF, U+FFF9..U+FFFB and U+E0000..U+E007F (bidirectional
 * overrides and isolates, zero-width characters, invisible tags). */
bool tally_text_is_valid(const char *bytes, size_t length);

/* ------------------------------------------------------------------------ */
/* Chain layer: canonical encoding, signatures, hashes (libsodium).          */
/* ------------------------------------------------------------------------ */

/* Call once before any function below (wraps sodium_init), and before creating a
 * state: it also draws a random tally_index_secret_set for this process. false on
 * failure. */
TALLY_MUST_CHECK bool tally_crypto_init(void);

/*
 * Canonical binary encoding, little-endian:
 *   u8 version (1) | u8 type | chain_id[32] | signer[32] | u64 sequence | body |
 *   signature[64]
 * Body fields are encoded in declaration order: integers fixed width, bool as one
 * byte 0/1, keys as 32 bytes, text as u16 length + bytes, a batch's lines as u16
 * count (1..TALLY_BATCH_LINES_MAX) + each line's fields. The signature covers
 * everything before it. docs/ENCODING.md lists every body.
 */
/* Encoded length of tx, signature included. */
size_t tally_tx_encoded_size(const tally_tx *tx);
/* Writes tx into out; returns the length, or 0 when out_size is too small or tx
 * holds a value that cannot be encoded (unknown type, text too long). */
size_t tally_tx_encode(const tally_tx *tx, uint8_t *out, size_t out_size);
/* The bytes the signature covers: the encoding without its last 64 bytes. */
size_t tally_tx_encode_unsigned(const tally_tx *tx, uint8_t *out, size_t out_size);
/* Strict decode: unknown versions or types, bad lengths, out-of-range values,
 * invalid text and trailing bytes are errors. *tx must hold no batch lines (a new
 * tally_tx, or one released): a TRANSFER_BATCH gets its lines allocated, which the
 * caller frees with tally_tx_release (NO lines are left on error; then *tx is
 * otherwise unspecified). A batch whose lines cannot be allocated is refused with
 * OUT_OF_MEMORY. Nothing else allocates. */
TALLY_MUST_CHECK tally_error tally_tx_decode(const uint8_t *bytes, size_t length, tally_tx *tx);
/* Whether every field the transaction's other fields make unused is zero (`to` of a
 * fee_distribute to the pool, the fields a proposal's action does not use, a
 * cancel's choice). The decoder refuses one that is not
 * (DECODE_BAD_VALUE), and so does tally_apply: one action, one signed form. */
bool tally_tx_unused_fields_zero(const tally_tx *tx);

/* The lines of a TRANSFER_BATCH (see tally_tx_transfer_batch). tally_tx_batch_reserve
 * gives tx (whose type is TRANSFER_BATCH and which holds no lines) line_count zeroed
 * lines, 1..TALLY_BATCH_LINES_MAX; false when out of range or out of memory (tx then
 * holds none). */
TALLY_MUST_CHECK bool tally_tx_batch_reserve(tally_tx *tx, uint16_t line_count);
/* Frees a batch's lines (line_count 0, lines NULL); nothing for other types. */
void tally_tx_release(tally_tx *tx);
/* *out = *tx with a batch's lines duplicated; false when out of memory (*out then
 * holds no lines). */
TALLY_MUST_CHECK bool tally_tx_copy(tally_tx *out, const tally_tx *tx);
/* Whether two transactions encode to the same bytes (a struct compare would compare
 * the addresses of batch lines). */
bool tally_tx_equal(const tally_tx *a, const tally_tx *b);

/* The transaction id: BLAKE2b-256 of the unsigned encoding. A transaction that
 * cannot be encoded (see tally_tx_encode) gets the all-zero id. */
void tally_tx_hash(const tally_tx *tx, uint8_t out[TALLY_HASH_BYTES]);
/* Signs tx in place with secret_key (whose public half must be tx->signer). A
 * transaction that cannot be encoded gets an all-zero signature, which never verifies. */
void tally_tx_sign(tally_tx *tx, const uint8_t secret_key[TALLY_SECRET_BYTES]);
/* Checks tx->signature against tx->signer over the unsigned encoding. */
TALLY_MUST_CHECK bool tally_tx_verify(const tally_tx *tx);

/* A new key pair. seed may be NULL (random) or 32 bytes (deterministic). */
void tally_keypair(tally_key *public_key, uint8_t secret_key[TALLY_SECRET_BYTES],
                   const uint8_t *seed);


/*
 * Account addresses in text: "tly1" + base32 (RFC 4648 alphabet, lowercase, no
 * padding) of the 32 key bytes followed by the first 4 bytes of BLAKE2b-256(key):
 * 36 bytes, 58 characters (the last one's 2 spare bits must be zero), 62 in all.
 * A mistyped address fails its checksum; uppercase is refused.
 */
#define TALLY_ADDRESS_LENGTH 62u
void tally_address_encode(const tally_key *key, char out[TALLY_ADDRESS_LENGTH + 1]);
TALLY_MUST_CHECK bool tally_address_decode(const char *text, tally_key *key);

/* ------------------------------------------------------------------------ */
/* Amounts in text: "12.50" with a network's decimals. No floating point.    */
/* ------------------------------------------------------------------------ */

/* Longest formatted amount, with its NUL: "-9223372036854775808" plus a point. */
#define TALLY_AMOUNT_TEXT_MAX 22u
/* Formats minor units as a decimal string with exactly `decimals` digits after the
 * point ("-12.50"); returns its length, or 0 (and writes "") when out_size is too
 * small or decimals > 9. */
size_t tally_amount_format(int64_t amount, uint8_t decimals, char *out, size_t out_size);
/* Parses an optional '-', digits, and optionally '.' followed by 1..decimals digits:
 * "12.5", "12.50", "-3", "0.07" into minor units. false on anything else (".5",
 * "5.", "+5", spaces, exponents), on more decimals than allowed (even "12.500" with
 * 2), or on overflow. */
TALLY_MUST_CHECK bool tally_amount_parse(const char *text, uint8_t decimals, int64_t *amount);

/* ------------------------------------------------------------------------ */
/* Admission: who may sign what (src/core/admission.c).                      */
/* ------------------------------------------------------------------------ */

/*
 * Whether tx's signer holds, in `state`, the standing its type needs: a current
 * member of the network for TRANSFER, TRANSFER_BATCH, ALIAS_SET, MEMBER_LEAVE, POOL_REPAY and
 * POOL_REDEEM; an operator of the network for POLICY_UPDATE, PEG_SET, OPERATOR_*,
 * MEMBER_ADMIT, MEMBER_SUSPEND, MEMBER_REINSTATE, LINE_* and FEE_DISTRIBUTE; the
 * issuer for ASSET_ISSUE and ASSET_BURN; a holder of the asset for ASSET_TRANSFER
 * and of the pool's reserve asset for POOL_DEPOSIT; a holder of pool shares for
 * POOL_WITHDRAW; an open network for MEMBER_JOIN; a validator for CHAIN_APPROVE;
 * for NETWORK_CREATE and ASSET_CREATE an approval left or (open chains) the day of
 * block_time's allowance. Returns TALLY_OK or the refusal tally_apply would give for
 * that lack (UNKNOWN_NETWORK, NOT_MEMBER, NOT_OPERATOR, NOT_ISSUER, UNKNOWN_ASSET,
 * INSUFFICIENT_ASSET, NO_RESERVE_ASSET, INSUFFICIENT_SHARES, ADMISSION_REQUIRED,
 * NOT_VALIDATOR, APPROVAL_REQUIRED, DAILY_LIMIT, UNKNOWN_TX_TYPE) at block_time (the
 * time the next block will have). Changes nothing and checks nothing else (no
 * signature, sequence, amount or balance): a node calls it before it verifies a
 * signature, so that junk from keys that stand nowhere costs no verification and
 * never reaches a block.
 */
TALLY_MUST_CHECK tally_error tally_tx_admissible(const tally_state *state, const tally_tx *tx, int64_t block_time);

#ifdef __cplusplus
}
#endif

#endif /* TALLY_H */
