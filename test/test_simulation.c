/*
 * test_simulation.c: a seeded, randomized simulation of the core. Thousands of
 * members of several networks with different policies send every type of
 * transaction, valid and invalid, in blocks whose time advances over simulated
 * months, so credit periods renew, expire, freeze and default. After every step
 * the state invariants hold, and so do the rules about transitions that a single
 * state cannot show: a refusal changes nothing, a member who may not borrow never
 * gains debt, no payment lifts a payee past the cap, pool shares come only from
 * deposits, reserve leaves a pool only by withdraw or redeem, an asset's supply
 * shrinks only by a burn, and minted - burned is the change in the network's debt.
 * Every step is also recomputed from the rules written out here (fees, pool
 * shares, peg conversions), independently of the core's code.
 *
 * The whole history is recorded and replayed on a fresh state, which must give
 * the same result at every step and byte-identical bytes at the end, also when
 * the replay goes through snapshots on the way.
 *
 * Four networks are designed to differ (compliance rules, fees and risk fees, a
 * positive cap, open or admitted membership, renewal, target RTD, pegs of 1:1, 3:2
 * and 1:100, member bounds, redemption caps) and a fifth sits at the edges of the
 * valid ranges; random NETWORK_CREATEs add three more that are used like them, and
 * then many more that only test the growth rules.
 *
 * The rules of issue 7 have their own model here, kept beside the core and
 * compared with it after every step (DESIGN.md "Who may grow the state" and
 * "Changes that touch other people's money"):
 * - growth: each key's approvals (set by CHAIN_APPROVE, used first) and its count
 *   of networks and assets founded per day decide every NETWORK_CREATE and
 *   ASSET_CREATE (DAILY_LIMIT, APPROVAL_REQUIRED); creations come in bursts so
 *   that keys exhaust their day and days roll over; one seed runs an APPROVED chain;
 * - announced changes: what each network announced (policy fields and peg) and
 *   when it takes effect; a repeated announcement keeps its time, a different one
 *   restarts it, asking the current value withdraws it; at every block end exactly
 *   the due ones take effect, and nothing that waits changes earlier;
 * - the daily redemption cap: the day's allowance of primary, and every
 *   POOL_REDEEM's outcome (REDEEM_CAP_REACHED with its exact `available`);
 * - member bounds (MEMBERS_FULL), a suspension or default that survives leaving
 *   and joining again, and text with refused characters (DECODE_BAD_TEXT, BAD_NAME).
 *
 * Batch payments (TRANSFER_BATCH, issue 8) are predicted before they are applied by
 * running the model of a single transfer over their lines in order, on copies: the
 * payer's running balance and standing, each payee's running balance (payees come
 * back in later lines), the fee account's, the network's aggregates and what the
 * lines before left of max_fee. A batch is accepted exactly when every line would
 * be, with the sums of the lines' fees, minted and burned and the balances the
 * lines make; else it is refused with one of the first failing line's reasons and
 * names that line (0 for the batch as a whole), and changes nothing.
 *
 * Pending transfers (PENDING_CREATE, PENDING_POST, PENDING_VOID, issue 10) have a
 * model of their own (DESIGN.md "Pending transfers (escrow) and payment requests"):
 * - a table of every hold the model expects, compared field by field with the
 *   core's after every step, so a hold that ended (posted, voided, released,
 *   refunded) never changes again: each ends exactly once;
 * - creation: the fee fixed for the whole amount (the base fee rounded up, plus the
 *   payer's risk fee on the part beyond what it has of its own, balance -
 *   pending_out, while its line lends), and the payer's floor (-limit while the line
 *   lends, else 0) against balance - pending_out - amount - fee, with the
 *   `available` and fee each refusal says; every other refusal (timeouts in the past
 *   or more than 366 days ahead, system payees and resolvers, non-members, ...);
 * - a post by the payer or the resolver and a void by the payee or the resolver, of
 *   an open hold, at most the amount held, the fee charged pro rata (ceil(fee *
 *   posted / amount)), the payee's cap checked at posting (the hold stays open when
 *   it is refused), and the exact balances a post moves;
 * - the payments' model counts what holds hold as spent; no debt grows except by
 *   paying or holding on a line that lends (a post moves held debt into the
 *   balance), and no post takes a payer below -limit;
 * - after every step each member's pending_out is the sum of amount + fee over its
 *   open holds, as the state's table of holds says;
 * - at a block's end the model follows the core's events in order: every hold due
 *   by the block's time ends there with its event (release posts it all when the
 *   payee is still a member with room under its cap, else it is refunded), holds
 *   not due stay open, a defaulting payer's open holds are voided before its
 *   write-off, and every balance and each network's supply and debt come out as the
 *   model says. Snapshots and replays compare the holds too.
 *
 * Payment requests (REQUEST_CREATE, REQUEST_PAY, REQUEST_CANCEL) have a model of
 * their own too (the same section of DESIGN.md):
 * - a table of every request the model expects, compared field by field with the
 *   core's after every step, so a request goes from open to paid, cancelled or
 *   expired exactly once and never changes again; each member's requests_open is
 *   the number of open requests it made;
 * - creation: every refusal (an unknown network, an amount not positive, a memo too
 *   long or with a refused character, the maker itself as payer, an expiry not after
 *   the block or more than 366 days ahead, a system payer, a maker or a named payer
 *   who is no member); a request to anyone names no payer; nothing moves;
 * - a payment: no such request, one that ended, one whose expiry the block's time
 *   reached (refused even before the block end that expires it), a member other than
 *   the payer it names; then it is exactly the TRANSFER of the request's amount from
 *   the signer to the maker with the pay's max_fee, predicted and checked by the
 *   model of a transfer (fee, risk fee, floor, cap, balances, minted and burned),
 *   and refused for any of a transfer's reasons (its maker paying itself, a maker
 *   who left, ...); a cancel by its maker only, of an open request before its expiry;
 * - at a block's end every open request whose expiry the block's time reached is
 *   expired with one request_expired event (its maker, its amount, its id in
 *   `time`) in the core's due order, and none that is not due; blocks now and then
 *   fall on the second a request expires (or the one before). Snapshots, replays
 *   and the proofs of request records compare the requests too.
 *
 * Gateways between networks (GATEWAY_PROPOSE .. CLEARING, issue 11) have a model of
 * their own (docs/GATEWAYS.md): the designed networks start with six gateways (the
 * square 1-2-3-4-1 at 1:1, 3:2, 1:1 and 2:3, whose rates multiply to 1 round it; 1-3
 * at the rate of both pegs; 3-5), and random proposals open more between the first
 * eight networks, and close, freeze, thaw and update them.
 * - a table of every gateway the model expects, compared field by field with the
 *   core's after every gateway transaction (and by count after every step), with
 *   each network's count of gateways not closed; every refusal of the lifecycle from
 *   the state before: an unknown network or gateway, a signer who operates no side
 *   (or not the side it names), the same network twice, a bad rate or side, a pair
 *   with an open gateway, terms changed at acceptance, a rate from pegs of different
 *   reserves, a gateway not proposed or not open, a close before both mirror
 *   accounts are at zero; a proposal again supersedes the one waiting;
 * - cross payments over random walks of 1 to 4 open gateways, predicted before they
 *   are applied: the path as the core walks it (unknown, not open, not following on,
 *   back to a network, no or too many hops, a stray id), the payer's leg as a
 *   transfer to the first mirror account (fees, floor, max_fee; no cap), each hop's
 *   value converted at its rate rounded down less the receiving side's fee rounded
 *   up, new exposure refused on a frozen side, for a partner under the minimum RTD or
 *   past the limit (with the room left), too small, the payee's cap, min_received;
 *   accepted, every balance moved is the model's, each network's supply and debt
 *   too, every network still sums to zero, and a mirror account that went deeper
 *   into debt is within its side's limit;
 * - each open gateway's mirror accounts are exact mirrors at its rate
 *   (mirror_a * rate_b + mirror_b * rate_a = 0: whole steps of the rate cross, what
 *   is below a step staying with a fee account, as the model counts hop by hop);
 * - clearings round real cycles of obligations found in the state (all that fits,
 *   or part, exact at every rate) and broken ones (past zero, off the rate, a
 *   network's legs unbalanced, a gateway twice, unknown or not open gateways, bad
 *   counts or amounts), with the mirror accounts, supply and debt they leave.
 *
 * Underwriting, reputation and charges (STAKE, UNSTAKE, MEMBER_FEE_PAY, issue 12) have
 * a model of their own (docs/UNDERWRITING.md): networks 1 and 3 take stakes of USD
 * (at 150% and 200%; 2 has no ratio, 4 no reserve, 5 a ratio its peg makes worthless),
 * 20 holders given USD at the start underwrite there, network 1 sets limits by the
 * algorithm, 2 charges demurrage and 4 a membership fee to its pool; random policies
 * and updates set ratios, algorithmic limits, demurrage and fees too.
 * - a table of every stake the model expects (amount, earned, slashed, the list
 *   behind each line), compared field by field with the core's after every stake and
 *   every payment from a staked line and at every block end; per network the stakes
 *   sum to stakes_locked and to what the underwriting account holds;
 * - a stake or an unstake: every refusal from the state before (with the available
 *   the core says for INSUFFICIENT_ASSET, STAKE_SHORT and STAKE_COVERS_DEBT, the last
 *   worked out by the model's own search), and accepted, the reserve moved exactly,
 *   the line's underwritten part (the cover of all its stakes, never lower at a
 *   stake, following the cover down at an unstake) and limit, a line opened at a
 *   first stake; LINE_OPEN, LINE_UPDATE and LINE_CLOSE keep the underwritten part on
 *   top of the own part;
 * - a payment from a staked line: each stake's share of the risk fee (rounded down,
 *   nothing when the underwriter's cap would not take it), the underwriters' and the
 *   fee account's exact balances, and the debt the shares paid off in `burned`;
 * - a default: the pool's cover, then the slashes of each stake to the unit (pro
 *   rata rounded down, the units left one each in the stakes' order), the reserve
 *   into the pool's primary and nowhere else;
 * - charge rounds: each demurrage and membership fee charged is exactly the policy's
 *   from the balance the block's events left, a fee never takes a member past its
 *   line, a suspension leaves the fee owed; MEMBER_FEE_PAY's refusals and its exact
 *   payment (what it mints on credit), the member active again;
 * - a joining member's reputation score, restated; limits the algorithm set only in
 *   networks whose policy has it, from a score in range.
 * Not modelled exactly (checked against invariants instead): which members a charge
 * round reaches and when rounds fall, whether a suspended member could have paid,
 * the scores written at period ends and the limits the algorithm sets (a suspension
 * is checked against the least the member may have had to spend).
 *
 * A failure prints its seed and step. TALLY_SIM_SEED=<seed> runs only that seed
 * (TALLY_SIM_GROWTH=approved or open overrides the seed's chain rules),
 * TALLY_SIM_STEPS=<n> sets the transactions per seed, TALLY_SIM_TRACE=1 prints
 * every step and TALLY_SIM_VERBOSE=1 the outcome counts per type and error.
 */
#include <sodium.h>
#include <stdlib.h>

#include "tally.h"
#include "test.h"

__extension__ typedef __int128 int128;

#define SIM_DAY (24 * 60 * 60)
#define SIM_START_TIME 1767225600 /* 2026-01-01T00:00:00Z */
#define SIM_NETWORKS_MAX 8        /* the networks operated and paid in; later ones only test growth */
#define SIM_ASSETS_MAX 6          /* the assets moved; likewise */
#define SIM_STAFF 24              /* actors 0..23 found networks, operate and issue */
#define SIM_VALIDATOR_FIRST 0     /* actors 0 and 1 are the chain's validators */
#define SIM_HOLDERS_MAX 400       /* actors from SIM_STAFF on receive reserve assets */
#define SIM_STEPS_DEFAULT 20000
#define SIM_BLOCK_TXS_MAX 12
#define SIM_EDGE_NETWORK 5 /* the designed network at the edges of the valid ranges */
#define SIM_UNDERWRITERS 20 /* holders given reserve at the start, members of networks 1 and 3 */
#define SIM_HASH_ALL_UNTIL 2000 /* every refusal is hashed before and after until this step, */
#define SIM_HASH_EVERY 16       /* then every 16th refusal */
#define SIM_FAILURES_PRINTED 8
#define SIM_SNAPSHOT_EVERY 64 /* blocks between round trips of the live state through a snapshot */
#define SIM_REPLAY_RESTORES 12 /* snapshots the second replay goes through */
#define NONE UINT32_MAX
#define SIM_GATEWAY_TYPES (TALLY_TX_SETTLE - TALLY_TX_GATEWAY_PROPOSE + 1)
#define SIM_STAKE_TYPES (TALLY_TX_MEMBER_FEE_PAY - TALLY_TX_STAKE + 1)

/* The fixed seeds of a default run, and the growth mode of each one's chain. */
static const struct {
    uint64_t seed;
    uint8_t growth_mode; /* tally_growth_mode */
} sim_seeds[] = {{1, TALLY_GROWTH_OPEN},
                 {0x5eed, TALLY_GROWTH_OPEN},
                 {20260101, TALLY_GROWTH_APPROVED},
                 {0xdeadbeefcafe, TALLY_GROWTH_OPEN}};

/* ------------------------------------------------------------------------ */
/* Deterministic randomness: splitmix64, never rand() or a clock.            */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t state;
} sim_rng;

static uint64_t rng_next(sim_rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* 0..bound-1; 0 when bound is 0. The modulo bias is irrelevant here. */
static uint64_t rng_below(sim_rng *rng, uint64_t bound) { return bound ? rng_next(rng) % bound : 0; }

/* low..high inclusive; low when high <= low. */
static int64_t rng_between(sim_rng *rng, int64_t low, int64_t high) {
    if (high <= low) return low;
    uint64_t span = (uint64_t)high - (uint64_t)low + 1; /* 0 only for the full range */
    return (int64_t)((uint64_t)low + (span ? rng_below(rng, span) : rng_next(rng)));
}

static bool rng_percent(sim_rng *rng, uint32_t percent) { return rng_below(rng, 100) < percent; }

#define RNG_PICK(rng, array) ((array)[rng_below((rng), sizeof(array) / sizeof((array)[0]))])

/* ------------------------------------------------------------------------ */
/* The simulated world.                                                      */
/* ------------------------------------------------------------------------ */

enum { EVENT_TX = 1, EVENT_SIGNED_TX = 2, EVENT_END_BLOCK = 3 };

/* One step of the history, enough to replay it and compare what it did. */
typedef struct {
    uint8_t kind;
    int64_t block_time;
    tally_tx tx;
    tally_result result;
    tally_block_summary summary;
} sim_event;

/* Outcome counts, per seed and summed over the run. */
typedef struct {
    uint64_t accepted[256], refused[256]; /* by transaction type byte */
    uint64_t codes[TALLY_ERROR_COUNT];
    uint64_t steps, blocks, hash_checks, signed_good, signed_bad, member_keys, proofs;
    uint64_t renewed, expired, frozen, defaulted;
    int64_t written_off, lost_debt_burned, reallocated;
    /* The rules of issue 7, as the model saw them happen. */
#define SIM_RULE_COUNTS(X)                                                                       \
    X(open_runs) X(approved_runs) X(grown_by_approval) X(grown_by_day) X(growth_rollovers)       \
    X(announced) X(announce_kept) X(announce_restarted) X(announce_withdrawn) X(policy_applied)  \
    X(peg_announced) X(peg_kept) X(peg_restarted) X(peg_withdrawn) X(peg_applied)                \
    X(redeemed_from_primary) X(redeem_capped) X(rejoined_suspended) X(rejoined_defaulted)        \
    X(text_refused) X(batches_paid) X(batch_lines_paid) X(batch_payees_repeated)                 \
    X(batch_refused_whole) X(batch_refused_first) X(batch_refused_later)                        \
    X(holds_created) X(holds_posted) X(holds_posted_in_part) X(holds_posted_by_resolver)         \
    X(holds_voided) X(holds_voided_by_resolver) X(holds_released) X(holds_refunded)              \
    X(holds_release_refunded) X(holds_voided_by_default) X(hold_posts_capped)                    \
    X(hold_posts_from_debt) X(requests_created) X(requests_to_anyone) X(requests_paid)                \
    X(requests_paid_by_anyone) X(requests_cancelled) X(requests_expired)                         \
    X(request_ends_past_expiry) X(request_ends_after_expired) X(request_pays_capped)            \
    X(request_pays_to_gone_maker) X(request_ends_at_expiry) X(requests_expired_on_the_second) \
    X(gateways_proposed) X(gateways_superseded) X(gateways_accepted) X(gateways_from_pegs)       \
    X(gateways_updated) X(gateways_frozen) X(gateways_unfrozen) X(gateways_closed)               \
    X(proposals_closed) X(cross_one_hop) X(cross_multi_hop) X(cross_four_hops)                   \
    X(cross_rounded) X(cross_exposure_reduced) X(cross_bad_loop) X(cross_bad_follow)             \
    X(cross_bad_hops) X(clearings) X(clearing_setoffs) X(clearings_past_zero)                    \
    X(clearings_off_rate) X(clearings_unbalanced) X(settlements)                                 \
    X(stakes_made) X(stakes_added) X(stake_lines_opened) X(unstakes) X(unstakes_whole)           \
    X(stake_shares_paid) X(stake_shares_capped) X(stake_slash_defaults) X(stakes_slashed)        \
    X(reserve_slashed) X(demurrage_charged) X(fees_charged) X(fee_suspensions) X(fee_pays)       \
    X(fee_pays_from_credit) X(limits_set)
#define SIM_RULE_FIELD(name) uint64_t name;
    SIM_RULE_COUNTS(SIM_RULE_FIELD)
#undef SIM_RULE_FIELD
    /* The outcomes of PENDING_CREATE, PENDING_POST and PENDING_VOID, by code. */
    uint64_t pending_codes[3][TALLY_ERROR_COUNT];
    /* The outcomes of REQUEST_CREATE, REQUEST_PAY and REQUEST_CANCEL, by code. */
    uint64_t request_codes[3][TALLY_ERROR_COUNT];
    /* The outcomes of the gateway types (GATEWAY_PROPOSE .. CLEARING), by code. */
    uint64_t gateway_codes[SIM_GATEWAY_TYPES][TALLY_ERROR_COUNT];
    /* The outcomes of STAKE, UNSTAKE and MEMBER_FEE_PAY, by code. */
    uint64_t stake_codes[SIM_STAKE_TYPES][TALLY_ERROR_COUNT];
} sim_counts;

/* Actors that ever joined a network, in join order (records are never removed). */
typedef struct {
    uint32_t *actors;
    uint32_t count, capacity;
} sim_roster;

typedef struct {
    bool present;
    tally_member member;
} member_view;

/* What the checks compare before and after a step: the small tables whole, and the
 * records the transaction names. Zeroed first, so views compare with memcmp. */
typedef struct {
    uint32_t network_count, asset_count, member_count;
    tally_network networks[SIM_NETWORKS_MAX];
    tally_asset assets[SIM_ASSETS_MAX];
    uint64_t sequence;
    uint32_t network_id; /* the network the transaction names, 0 when none or unknown */
    member_view signer, other, fees, lost, pool;
    uint32_t asset_id; /* the asset it moves: its own, or the named network's reserve */
    int64_t signer_asset, other_asset, pool_asset, signer_shares;
    uint32_t pending_count;
    /* The hold a PENDING_POST or PENDING_VOID names (pending_id 0 when there is none),
     * with its payer and payee: the records a post or a void changes. */
    uint32_t pending_id;
    tally_pending hold;
    member_view hold_payer, hold_payee;
    uint32_t request_count;
    /* The request a REQUEST_PAY or REQUEST_CANCEL names (request_id 0 when there is
     * none); its maker is `other` in the views. */
    uint32_t request_id;
    tally_request request;
    int64_t underwriting_asset; /* the network's underwriting account's reserve */
    uint32_t stake_count;
} sim_view;

/* The model's record of one hold: what the core's record must say, field by field,
 * and the actors it names (NONE: no actor, or no resolver). */
typedef struct {
    tally_pending record;
    uint32_t payer_actor, payee_actor, resolver_actor;
    uint32_t open_at; /* its place in the simulation's list of open holds, while open */
} model_hold;

/* The model's record of one payment request, and the actors it names (NONE: no
 * actor, or a request to anyone). */
typedef struct {
    tally_request record;
    uint32_t maker_actor, payer_actor;
    uint32_t open_at; /* its place in the simulation's list of open requests, while open */
} model_request;

/* The model's record of one gateway: what the core's record must say. (Its mirror
 * accounts are exact mirrors at its rate: whole steps cross, transfer.c.) */
typedef struct {
    tally_gateway record;
} model_gateway;

/* What the model predicts of a gateway transaction before it is applied. */
typedef struct gateway_prediction gateway_prediction;

/* The ways a generated cross payment or clearing was built to fail. */
enum { FAULT_NONE, FAULT_LOOP, FAULT_FOLLOW, FAULT_HOPS, FAULT_PAST_ZERO, FAULT_OFF_RATE, FAULT_UNBALANCED };

/* A generated transaction and what the generator knows about it. */
typedef struct {
    tally_tx tx;
    uint32_t signer_actor, other_actor; /* NONE when not an actor */
    int expect;                         /* a code the result must have, or -1 */
    bool signed_apply;                  /* through tally_apply_signed */
    bool must_verify;                   /* correctly signed and encodable */
    bool mutated;                       /* its envelope was broken on purpose */
    tally_error broken;                 /* OK, or the refusal its body was built to get (a bad name, ...) */
    bool refused_text;                  /* `broken` is for a refused character in a text field */
    uint16_t broken_line;               /* TRANSFER_BATCH: the line (from 1) `broken` is about */
    uint8_t fault;                      /* TRANSFER_CROSS, CLEARING: FAULT_* it was built with */
} sim_gen;

/* What the model predicts of a batch before it is applied (defined with the model). */
typedef struct batch_prediction batch_prediction;

/* The test's own account of what one staff key may still found and create. */
typedef struct {
    uint32_t networks_approved, assets_approved;
    int64_t day; /* the day networks_today and assets_today count */
    uint32_t networks_today, assets_today;
    int64_t limited_day; /* the last day this key met DAILY_LIMIT; INT64_MIN: none since */
} model_grower;

/* The policy fields whose change may have to be announced. */
enum {
    FIELD_FEE = 1 << 0,
    FIELD_RISK_FEE = 1 << 1,
    FIELD_CAP = 1 << 2,
    FIELD_TARGET_RTD = 1 << 3,
    FIELD_NOTICE = 1 << 4,
    FIELD_REDEEM_CAP = 1 << 5,
    FIELD_DEMURRAGE = 1 << 6,           /* a higher rate */
    FIELD_DEMURRAGE_THRESHOLD = 1 << 7, /* a lower threshold */
    FIELD_MEMBERSHIP_FEE = 1 << 8,      /* a higher fee */
};

/* The test's own account of one network's policy, peg, announcements and the
 * day's redemption allowance. */
typedef struct {
    bool known;
    tally_policy policy; /* in force */
    int64_t policy_change_at; /* 0: nothing announced */
    tally_policy policy_change; /* the whole policy the announcement asked */
    unsigned waiting;           /* FIELD_* that take policy_change's values at policy_change_at */
    uint32_t reserve_asset_id;
    int64_t peg_reserve_units, peg_credit_units;
    int64_t peg_change_at, peg_change_reserve_units, peg_change_credit_units;
    int64_t redeem_day; /* the day redeem_allowance is for; INT64_MIN: none yet */
    int64_t redeem_allowance;
} model_network;

typedef struct {
    uint64_t seed;
    sim_rng rng;
    tally_state *state;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_chain_rules rules;
    int64_t block_time;
    uint32_t step, steps;
    uint32_t actor_count, holder_count;
    tally_key *keys;
    uint8_t *secrets; /* actor_count * TALLY_SECRET_BYTES */
    sim_roster rosters[SIM_NETWORKS_MAX + 1];
    uint8_t *on_roster; /* [network id][actor] */
    uint8_t *ever_member;
    sim_event *events;
    size_t event_count, event_capacity;
    bool hash_known; /* hash holds the current state's hash */
    uint32_t refusals_unhashed;
    uint8_t hash[TALLY_HASH_BYTES];
    sim_counts counts;
    sim_view before, after;
    int64_t *balances; /* per member, around an end-of-block step */
    uint8_t *line_statuses;
    uint32_t scratch_capacity;
    /* The model of the rules of issue 7 (see the top of the file). */
    model_grower growers[SIM_STAFF];
    model_network models[SIM_NETWORKS_MAX + 1];
    char (*names)[TALLY_NAME_MAX + 1]; /* every network's name, ASCII letters in lower case */
    uint32_t name_count, name_capacity;
    uint8_t *left_with; /* [network id][actor]: the status a member last left with, 0 if never */
    uint32_t burst_left, burst_actor, creator; /* a key founding or creating several in a row */
    uint8_t burst_type;
    uint32_t follow_left, follow_network; /* updates that follow an announcement soon after */
    uint8_t follow_type;
    batch_prediction *batch; /* the model's prediction of the batch being applied */
    /* The model of pending transfers (see the top of the file): every hold by id - 1,
     * and the ids of the open ones. */
    model_hold *holds;
    uint32_t hold_count, hold_capacity;
    uint32_t *open_holds;
    uint32_t open_hold_count;
    int128 *held; /* per member: what the state's open holds hold (check_pending_out) */
    uint32_t held_capacity;
    /* The model of payment requests: every request by id - 1, the ids of the open
     * ones, and per member how many open requests it made (check_requests_open). */
    model_request *requests;
    uint32_t request_count, request_capacity;
    uint32_t *open_requests;
    uint32_t open_request_count;
    uint32_t *asked;
    uint32_t asked_capacity;
    /* A block end: what it reported, in order, and per member what the model expects
     * (balances running through the events) from what the members were before. */
    tally_event *block_events;
    uint32_t block_event_count, block_event_capacity;
    int64_t *model_balances, *limits, *pending_outs;
    int64_t *pending_now; /* during a block end: pending_out as the holds that ended so far left it */
    int64_t *charged; /* what the block's charges took from each member */
    /* The model of gateways: every gateway by id - 1, the prediction of the gateway
     * transaction being applied, and the network records it may change. */
    model_gateway *gateways;
    uint32_t gateway_count, gateway_capacity;
    gateway_prediction *gateway;
    bool gateway_touches[SIM_NETWORKS_MAX + 1];
    /* a settlement's reserve before it: the partner pool's holding and buffer, the signer's */
    int64_t gateway_pool_reserve_before, gateway_signer_reserve_before, gateway_pool_buffer_before;
    /* The model of underwriting (docs/UNDERWRITING.md): every stake by id - 1, as
     * the core's record must say; around a payment, the stakes behind its payer and
     * their underwriters' balances before it; at a block end, the reserve slashed
     * per network. */
    tally_stake *stakes;
    uint32_t stake_count, stake_capacity;
    uint32_t share_count;
    uint32_t share_ids[TALLY_STAKES_PER_LINE_MAX];
    int64_t share_balance_before[TALLY_STAKES_PER_LINE_MAX];
    int64_t share_delta[TALLY_STAKES_PER_LINE_MAX];
    int64_t shares_paid; /* what the payment's risk fee paid underwriters in all */
    int64_t block_slashed[SIM_NETWORKS_MAX + 1];
    const sim_gen *current_gen;
    const tally_tx *current_tx; /* for failure messages */
    tally_result current_result;
    bool trace, failed;
    uint32_t failures;
} simulation;

/* ------------------------------------------------------------------------ */
/* Small helpers.                                                            */
/* ------------------------------------------------------------------------ */

/* The model of underwriting (defined with the model, used by the payments' checks). */
static int64_t model_cover(const tally_network *network, int64_t reserve);
static int64_t share_to(const simulation *sim, uint32_t network_id, const tally_key *key);
static int64_t shares_burned(const simulation *sim, uint32_t network_id);

static int64_t debt_of(int64_t balance) { return balance < 0 ? -balance : 0; }
static int64_t plus(int64_t value, int64_t more) { return value <= INT64_MAX - more ? value + more : INT64_MAX; }
static int64_t positive_of(int64_t balance) { return balance > 0 ? balance : 0; }

/* What a member has of its own: its balance less what its holds hold. */
static int128 own_of(const tally_member *member) { return (int128)member->balance - member->pending_out; }

static bool line_is_open(const tally_member *member) {
    return member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
           member->line_status == TALLY_LINE_EXPIRED;
}

/* The protocol's rule for spending on credit, restated: an active member on an
 * active line. Frozen, expired, suspended and defaulted members may not. */
static bool may_borrow(const tally_member *member) {
    return member->status == TALLY_MEMBER_ACTIVE && member->line_status == TALLY_LINE_ACTIVE;
}

/* ceil(amount * bps / 10000), the fee rounding of DESIGN.md. */
static int64_t fee_of(int64_t amount, uint32_t bps) {
    return (int64_t)(((int128)amount * bps + TALLY_BPS_ONE - 1) / TALLY_BPS_ONE);
}

static int128 pool_reserve(const tally_network *network) {
    return (int128)network->pool_primary + network->pool_buffer + network->pool_excess;
}

/* Reserve the primary part needs for the target RTD (rounded up); false when the
 * product does not fit in 128 bits (then the check using it is skipped). */
static bool required_primary(const tally_network *network, int64_t *out) {
    int128 product;
    int128 denominator = (int128)TALLY_BPS_ONE * network->peg_credit_units;
    if (denominator <= 0) return false;
    if (__builtin_mul_overflow((int128)network->policy.target_rtd_bps, (int128)network->supply, &product) ||
        __builtin_mul_overflow(product, (int128)network->peg_reserve_units, &product) ||
        __builtin_add_overflow(product, denominator - 1, &product))
        return false;
    int128 required = product / denominator;
    *out = required > INT64_MAX ? INT64_MAX : (int64_t)required;
    return true;
}

static void text_put(tally_text *text, const char *value) {
    memset(text, 0, sizeof *text);
    size_t length = strlen(value);
    if (length > TALLY_MEMO_MAX) length = TALLY_MEMO_MAX;
    text->length = (uint16_t)length;
    memcpy(text->bytes, value, length);
}

static bool policy_equal(const tally_policy *a, const tally_policy *b) {
    return a->default_credit_limit == b->default_credit_limit && a->max_credit_limit == b->max_credit_limit &&
           a->positive_cap == b->positive_cap && a->fee_bps == b->fee_bps &&
           a->default_risk_fee_bps == b->default_risk_fee_bps && a->period_seconds == b->period_seconds &&
           a->grace_seconds == b->grace_seconds && a->min_income_bps == b->min_income_bps &&
           a->target_rtd_bps == b->target_rtd_bps && a->compliance_rule == b->compliance_rule &&
           a->membership_mode == b->membership_mode && a->auto_renew == b->auto_renew &&
           a->max_members == b->max_members && a->notice_seconds == b->notice_seconds &&
           a->redeem_cap_bps == b->redeem_cap_bps && a->collateral_ratio_bps == b->collateral_ratio_bps &&
           a->demurrage_bps == b->demurrage_bps && a->demurrage_threshold == b->demurrage_threshold &&
           a->membership_fee == b->membership_fee && a->charges_to_pool == b->charges_to_pool &&
           a->algorithmic_limits.enabled == b->algorithmic_limits.enabled &&
           a->algorithmic_limits.base == b->algorithmic_limits.base &&
           a->algorithmic_limits.step_max == b->algorithmic_limits.step_max &&
           a->reputation.base == b->reputation.base && a->reputation.age_weight == b->reputation.age_weight &&
           a->governance.mode == b->governance.mode;
}

static bool results_equal(const tally_result *a, const tally_result *b) {
    return a->code == b->code && a->created_id == b->created_id && a->minted == b->minted &&
           a->burned == b->burned && a->fee == b->fee && a->risk_fee == b->risk_fee &&
           a->reserve == b->reserve && a->shares == b->shares && a->to_primary == b->to_primary &&
           a->to_excess == b->to_excess && a->available == b->available && a->effective_at == b->effective_at;
}

static bool summaries_equal(const tally_block_summary *a, const tally_block_summary *b) {
    return a->lines_renewed == b->lines_renewed && a->lines_expired == b->lines_expired &&
           a->lines_frozen == b->lines_frozen && a->lines_defaulted == b->lines_defaulted &&
           a->debt_written_off == b->debt_written_off && a->lost_debt_burned == b->lost_debt_burned &&
           a->reserve_reallocated == b->reserve_reallocated && a->policy_changes == b->policy_changes &&
           a->peg_changes == b->peg_changes;
}

static const tally_network *network_of(const simulation *sim, uint32_t network_id) {
    return tally_state_network(sim->state, network_id);
}

static const tally_member *member_of(const simulation *sim, uint32_t network_id, uint32_t actor) {
    return tally_state_member(sim->state, network_id, &sim->keys[actor]);
}

static bool is_current(const tally_member *member) {
    return member && member->status != TALLY_MEMBER_LEFT && member->status != TALLY_MEMBER_SYSTEM;
}

static bool same_key(const tally_key *a, const tally_key *b) {
    return memcmp(a->bytes, b->bytes, TALLY_KEY_BYTES) == 0;
}

/* Which network, other key and asset a transaction names (by its type). */
static uint32_t tx_network(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_POLICY_UPDATE: return tx->body.policy_update.network_id;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.network_id;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return tx->body.network_key.network_id;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE: return tx->body.network_only.network_id;
    case TALLY_TX_ALIAS_SET: return tx->body.alias_set.network_id;
    case TALLY_TX_LINE_OPEN: return tx->body.line_open.network_id;
    case TALLY_TX_LINE_UPDATE: return tx->body.line_update.network_id;
    case TALLY_TX_TRANSFER: return tx->body.transfer.network_id;
    case TALLY_TX_TRANSFER_BATCH: return tx->body.transfer_batch.network_id;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: return tx->body.pool_amount.network_id;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.network_id;
    case TALLY_TX_PENDING_CREATE: return tx->body.pending_create.network_id;
    case TALLY_TX_REQUEST_CREATE: return tx->body.request_create.network_id;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: return tx->body.stake.network_id;
    case TALLY_TX_MEMBER_FEE_PAY: return tx->body.network_only.network_id;
    /* A post or a void names a hold, a pay or a cancel a request, whose network
     * capture looks up. */
    default: return 0;
    }
}

static const tally_key *tx_other_key(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return &tx->body.network_key.key;
    case TALLY_TX_LINE_OPEN: return &tx->body.line_open.member;
    case TALLY_TX_LINE_UPDATE: return &tx->body.line_update.member;
    case TALLY_TX_TRANSFER: return &tx->body.transfer.payee;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return &tx->body.asset_move.to;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.to_pool ? NULL : &tx->body.fee_distribute.to;
    case TALLY_TX_CHAIN_APPROVE: return &tx->body.chain_approve.key;
    case TALLY_TX_PENDING_CREATE: return &tx->body.pending_create.payee;
    case TALLY_TX_REQUEST_CREATE: return &tx->body.request_create.payer;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: return &tx->body.stake.member;
    /* A batch's first payee stands for its payees in the views; the model sees all. */
    case TALLY_TX_TRANSFER_BATCH:
        return tx->body.transfer_batch.line_count > 0 && tx->body.transfer_batch.lines
                   ? &tx->body.transfer_batch.lines[0].payee
                   : NULL;
    default: return NULL;
    }
}

static uint32_t tx_asset(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return tx->body.asset_move.asset_id;
    case TALLY_TX_ASSET_BURN: return tx->body.asset_burn.asset_id;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.asset_id;
    default: return 0;
    }
}

static int64_t tx_amount(const tally_tx *tx) {
    switch (tx->type) {
    case TALLY_TX_LINE_OPEN: return tx->body.line_open.limit;
    case TALLY_TX_LINE_UPDATE: return tx->body.line_update.limit;
    case TALLY_TX_TRANSFER: return tx->body.transfer.amount;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: return tx->body.asset_move.amount;
    case TALLY_TX_ASSET_BURN: return tx->body.asset_burn.amount;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: return tx->body.pool_amount.amount;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.amount;
    case TALLY_TX_PEG_SET: return tx->body.peg_set.peg_reserve_units;
    case TALLY_TX_PENDING_CREATE: return tx->body.pending_create.amount;
    case TALLY_TX_PENDING_POST: return tx->body.pending_end.amount;
    case TALLY_TX_REQUEST_CREATE: return tx->body.request_create.amount;
    case TALLY_TX_TRANSFER_CROSS: return tx->body.transfer_cross.amount;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: return tx->body.stake.amount;
    case TALLY_TX_TRANSFER_BATCH: {
        int64_t total = 0;
        for (uint16_t i = 0; tx->body.transfer_batch.lines && i < tx->body.transfer_batch.line_count; i++)
            total = plus(total, tx->body.transfer_batch.lines[i].amount > 0 ? tx->body.transfer_batch.lines[i].amount : 0);
        return total;
    }
    default: return 0;
    }
}

static void describe_key(const simulation *sim, const tally_key *key, char *out, size_t size) {
    if (tally_key_is_system(key)) {
        uint32_t network_id = (uint32_t)key->bytes[10] | (uint32_t)key->bytes[11] << 8 |
                              (uint32_t)key->bytes[12] << 16 | (uint32_t)key->bytes[13] << 24;
        snprintf(out, size, "system(kind %u, network %u)", key->bytes[9], network_id);
        return;
    }
    for (uint32_t i = 0; i < sim->actor_count; i++) {
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) {
            snprintf(out, size, "actor %u", i);
            return;
        }
    }
    snprintf(out, size, "key %02x%02x%02x%02x..", key->bytes[0], key->bytes[1], key->bytes[2], key->bytes[3]);
}

static void describe_tx(const simulation *sim, const tally_tx *tx, char *out, size_t size) {
    char signer[64], other[64] = "-";
    describe_key(sim, &tx->signer, signer, sizeof signer);
    const tally_key *other_key = tx_other_key(tx);
    if (tx->type == TALLY_TX_TRANSFER_CROSS) other_key = &tx->body.transfer_cross.payee;
    if (other_key) describe_key(sim, other_key, other, sizeof other);
    const char *name = tally_tx_type_name(tx->type);
    int64_t extra = 0;
    if (tx->type == TALLY_TX_TRANSFER) extra = tx->body.transfer.max_fee;
    if (tx->type == TALLY_TX_TRANSFER_BATCH) extra = tx->body.transfer_batch.max_fee;
    if (tx->type == TALLY_TX_PEG_SET) extra = tx->body.peg_set.peg_credit_units;
    if (tx->type == TALLY_TX_LINE_OPEN || tx->type == TALLY_TX_LINE_UPDATE)
        extra = tx->type == TALLY_TX_LINE_OPEN ? tx->body.line_open.risk_fee_bps : tx->body.line_update.risk_fee_bps;
    char more[160] = "";
    if (tx->type == TALLY_TX_FEE_DISTRIBUTE && tx->body.fee_distribute.to_pool) snprintf(more, sizeof more, " to pool");
    if (tx->type == TALLY_TX_PENDING_CREATE) {
        const tally_tx_pending_create *body = &tx->body.pending_create;
        static const tally_key none;
        char resolver[64] = "none";
        if (!same_key(&body->resolver, &none)) describe_key(sim, &body->resolver, resolver, sizeof resolver);
        extra = body->max_fee;
        snprintf(more, sizeof more, " timeout %lld outcome %u resolver %s", (long long)body->timeout, body->outcome,
                 resolver);
    }
    if (tx->type == TALLY_TX_PENDING_POST || tx->type == TALLY_TX_PENDING_VOID)
        snprintf(more, sizeof more, " hold %u", tx->body.pending_end.pending_id);
    if (tx->type == TALLY_TX_REQUEST_CREATE)
        snprintf(more, sizeof more, " expiry %lld memo %u bytes", (long long)tx->body.request_create.expiry,
                 tx->body.request_create.memo.length);
    if (tx->type == TALLY_TX_REQUEST_PAY || tx->type == TALLY_TX_REQUEST_CANCEL) {
        extra = tx->body.request_end.max_fee;
        snprintf(more, sizeof more, " request %u", tx->body.request_end.request_id);
    }
    if (tx->type == TALLY_TX_GATEWAY_PROPOSE || tx->type == TALLY_TX_GATEWAY_ACCEPT) {
        const tally_gateway_terms *t =
            tx->type == TALLY_TX_GATEWAY_PROPOSE ? &tx->body.gateway_propose.terms : &tx->body.gateway_accept.terms;
        snprintf(more, sizeof more, " networks %u-%u gateway %u rate %lld:%lld fees %u/%u limits %lld/%lld rtd %u/%u",
                 tx->type == TALLY_TX_GATEWAY_PROPOSE ? tx->body.gateway_propose.network_a : 0,
                 tx->type == TALLY_TX_GATEWAY_PROPOSE ? tx->body.gateway_propose.network_b : 0,
                 tx->type == TALLY_TX_GATEWAY_ACCEPT ? tx->body.gateway_accept.gateway_id : 0, (long long)t->rate_a,
                 (long long)t->rate_b, t->side[0].fee_bps, t->side[1].fee_bps, (long long)t->side[0].limit,
                 (long long)t->side[1].limit, t->side[0].min_partner_rtd_bps, t->side[1].min_partner_rtd_bps);
    }
    if (tx->type == TALLY_TX_GATEWAY_UPDATE)
        snprintf(more, sizeof more, " gateway %u side %u fee %u limit %lld rtd %u", tx->body.gateway_update.gateway_id,
                 tx->body.gateway_update.network_id, tx->body.gateway_update.side.fee_bps,
                 (long long)tx->body.gateway_update.side.limit, tx->body.gateway_update.side.min_partner_rtd_bps);
    if (tx->type == TALLY_TX_GATEWAY_FREEZE)
        snprintf(more, sizeof more, " gateway %u side %u frozen %d", tx->body.gateway_freeze.gateway_id,
                 tx->body.gateway_freeze.network_id, tx->body.gateway_freeze.frozen);
    if (tx->type == TALLY_TX_GATEWAY_CLOSE) snprintf(more, sizeof more, " gateway %u", tx->body.gateway_end.gateway_id);
    if (tx->type == TALLY_TX_TRANSFER_CROSS) {
        const tally_tx_transfer_cross *body = &tx->body.transfer_cross;
        extra = body->max_fee;
        snprintf(more, sizeof more, " from network %u amount %lld min_received %lld hops %u path %u %u %u %u",
                 body->network_id, (long long)body->amount, (long long)body->min_received, body->hop_count,
                 body->gateways[0], body->gateways[1], body->gateways[2], body->gateways[3]);
    }
    if (tx->type == TALLY_TX_CLEARING) {
        const tally_tx_clearing *body = &tx->body.clearing;
        int length = snprintf(more, sizeof more, " %u set-offs:", body->count);
        for (uint8_t i = 0;
             i < body->count && i < TALLY_CLEARING_SETOFFS_MAX && length > 0 && (size_t)length < sizeof more; i++)
            length +=
                snprintf(more + length, sizeof more - (size_t)length, " %u:%lld/%lld", body->setoffs[i].gateway_id,
                         (long long)body->setoffs[i].amount_a, (long long)body->setoffs[i].amount_b);
    }
    snprintf(out, size, "%s (type %u) signer %s seq %llu network %u asset %u amount %lld other %s extra %lld%s",
             name ? name : "?", tx->type, signer, (unsigned long long)tx->sequence, tx_network(tx),
             tx_asset(tx), (long long)tx_amount(tx), other, (long long)extra, more);
}

static void describe_result(const tally_result *r, char *out, size_t size) {
    snprintf(out, size, "%s minted %lld burned %lld fee %lld risk %lld reserve %lld shares %lld primary %lld "
                        "excess %lld available %lld id %u line %u",
             tally_error_name(r->code), (long long)r->minted, (long long)r->burned, (long long)r->fee,
             (long long)r->risk_fee, (long long)r->reserve, (long long)r->shares, (long long)r->to_primary,
             (long long)r->to_excess, (long long)r->available, r->created_id, r->line);
}

/* Records a failure with the seed, step and transaction, so that it can be replayed. */
static void sim_fail(simulation *sim, int line, const char *what) {
    sim->failed = true;
    char message[600];
    snprintf(message, sizeof message, "seed %llu step %u (block time %lld): %s", (unsigned long long)sim->seed,
             sim->step, (long long)sim->block_time, what);
    if (sim->failures++ < SIM_FAILURES_PRINTED) {
        fprintf(stderr, "simulation: %s\n", message);
        if (sim->current_tx) {
            char tx_text[400], result_text[300];
            describe_tx(sim, sim->current_tx, tx_text, sizeof tx_text);
            describe_result(&sim->current_result, result_text, sizeof result_text);
            fprintf(stderr, "    tx: %s\n    result: %s\n", tx_text, result_text);
        }
        fprintf(stderr, "    replay with TALLY_SIM_SEED=%llu TALLY_SIM_STEPS=%u TALLY_SIM_GROWTH=%s\n",
                (unsigned long long)sim->seed, sim->steps,
                sim->rules.growth_mode == TALLY_GROWTH_APPROVED ? "approved" : "open");
    }
    test_fail(__FILE__, line, message);
}

#define SIM_EXPECT(sim, condition)                                                  \
    do {                                                                            \
        if (!(condition)) sim_fail((sim), __LINE__, #condition);                    \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Actors and rosters.                                                       */
/* ------------------------------------------------------------------------ */

static uint32_t staff_actor(simulation *sim) { return (uint32_t)rng_below(&sim->rng, SIM_STAFF); }

static uint32_t any_member_actor(simulation *sim) {
    return SIM_STAFF + (uint32_t)rng_below(&sim->rng, sim->actor_count - SIM_STAFF);
}

static uint32_t holder_actor(simulation *sim) {
    return SIM_STAFF + (uint32_t)rng_below(&sim->rng, sim->holder_count);
}

/* The staff actor that holds key (operators and issuers are staff), or NONE. */
static uint32_t staff_of_key(const simulation *sim, const tally_key *key) {
    for (uint32_t i = 0; i < SIM_STAFF; i++)
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return i;
    return NONE;
}

static uint32_t actor_of_key(const simulation *sim, const tally_key *key) {
    for (uint32_t i = 0; i < sim->actor_count; i++)
        if (memcmp(sim->keys[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return i;
    return NONE;
}

static void roster_add(simulation *sim, uint32_t network_id, uint32_t actor) {
    if (actor == NONE || network_id == 0 || network_id > SIM_NETWORKS_MAX) return;
    uint8_t *flag = &sim->on_roster[(size_t)network_id * sim->actor_count + actor];
    if (*flag) return;
    *flag = 1;
    sim_roster *roster = &sim->rosters[network_id];
    if (roster->count == roster->capacity) {
        roster->capacity = roster->capacity ? roster->capacity * 2 : 64;
        roster->actors = realloc(roster->actors, roster->capacity * sizeof *roster->actors);
        if (!roster->actors) abort();
    }
    roster->actors[roster->count++] = actor;
    if (!sim->ever_member[actor]) {
        sim->ever_member[actor] = 1;
        sim->counts.member_keys++;
    }
}

typedef int64_t (*member_score)(const tally_state *state, const tally_member *member);
#define UNSUITABLE INT64_MIN

static int64_t score_any(const tally_state *state, const tally_member *member) {
    (void)state, (void)member;
    return 0;
}
static int64_t score_available(const tally_state *state, const tally_member *member) {
    return tally_member_available(state, member);
}
static int64_t score_balance(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance;
}
static int64_t score_in_debt(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance < 0 ? -member->balance : UNSUITABLE;
}
static int64_t score_lowest(const tally_state *state, const tally_member *member) {
    (void)state;
    return -member->balance;
}
static int64_t score_positive(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance > 0 ? member->balance : UNSUITABLE;
}
static int64_t score_zero(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->balance == 0 ? 0 : UNSUITABLE;
}
static int64_t score_active(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->status == TALLY_MEMBER_ACTIVE ? 0 : UNSUITABLE;
}
static int64_t score_barred(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->status == TALLY_MEMBER_SUSPENDED || member->status == TALLY_MEMBER_DEFAULTED ? 0 : UNSUITABLE;
}
static int64_t score_barred_at_zero(const tally_state *state, const tally_member *member) {
    return member->balance == 0 ? score_barred(state, member) : UNSUITABLE;
}
static int64_t score_without_line(const tally_state *state, const tally_member *member) {
    (void)state;
    return line_is_open(member) ? UNSUITABLE : 0;
}
static int64_t score_with_line(const tally_state *state, const tally_member *member) {
    (void)state;
    /* Expired and frozen lines first: their updates are the interesting ones. */
    if (!line_is_open(member)) return UNSUITABLE;
    return member->line_status == TALLY_LINE_ACTIVE ? 0 : 1;
}
static int64_t score_closable(const tally_state *state, const tally_member *member) {
    (void)state;
    return line_is_open(member) && member->balance >= 0 ? 0 : UNSUITABLE;
}

/* Of `samples` random roster entries that are current members of the network, the
 * actor with the highest score (UNSUITABLE ones excluded); NONE if there is none. */
static uint32_t pick_member(simulation *sim, uint32_t network_id, uint32_t samples, member_score score) {
    if (network_id == 0 || network_id > SIM_NETWORKS_MAX) return NONE;
    const sim_roster *roster = &sim->rosters[network_id];
    if (roster->count == 0) return NONE;
    uint32_t best = NONE;
    int64_t best_score = UNSUITABLE;
    for (uint32_t i = 0; i < samples; i++) {
        uint32_t actor = roster->actors[rng_below(&sim->rng, roster->count)];
        const tally_member *member = member_of(sim, network_id, actor);
        if (!is_current(member)) continue;
        int64_t value = score(sim->state, member);
        if (value == UNSUITABLE) continue;
        if (best == NONE || value > best_score) {
            best = actor;
            best_score = value;
        }
    }
    return best;
}

static uint32_t pick_network(simulation *sim) {
    uint32_t count = tally_state_network_count(sim->state);
    if (count > SIM_NETWORKS_MAX) count = SIM_NETWORKS_MAX;
    return count ? 1 + (uint32_t)rng_below(&sim->rng, count) : 1;
}

/* Of two random networks, the one with more members: payments need members. */
static uint32_t pick_busy_network(simulation *sim) {
    uint32_t first = pick_network(sim), second = pick_network(sim);
    const tally_network *a = network_of(sim, first), *b = network_of(sim, second);
    return a && b && b->member_count > a->member_count ? second : first;
}

static uint32_t unknown_network(simulation *sim) {
    if (rng_percent(&sim->rng, 30)) return 0;
    return tally_state_network_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 1000);
}

static uint32_t unknown_asset(simulation *sim) {
    if (rng_percent(&sim->rng, 30)) return 0;
    return tally_state_asset_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 1000);
}

static uint32_t pick_asset(simulation *sim) {
    uint32_t count = tally_state_asset_count(sim->state);
    if (count > SIM_ASSETS_MAX) count = SIM_ASSETS_MAX;
    return count ? 1 + (uint32_t)rng_below(&sim->rng, count) : 1;
}

static tally_key system_key_of(simulation *sim, uint32_t network_id) {
    return tally_system_key(network_id ? network_id : 1, (tally_system_kind)(1 + rng_below(&sim->rng, 3)));
}

/* 1..INT64_MAX, log-uniform: every order of magnitude equally often. */
static int64_t any_magnitude(sim_rng *rng) {
    uint32_t bits = 1 + (uint32_t)rng_below(rng, 63);
    int64_t top = bits == 63 ? INT64_MAX : ((int64_t)1 << bits) - 1;
    return rng_between(rng, top / 2 + 1, top);
}

static int64_t bad_amount(simulation *sim) {
    static const int64_t amounts[] = {0, -1, -250, INT64_MIN, INT64_MIN + 1};
    return RNG_PICK(&sim->rng, amounts);
}

/* The day of a block time: days of 86,400 seconds from the Unix epoch, rounded down. */
static int64_t day_of(int64_t block_time) {
    return block_time >= 0 ? block_time / SIM_DAY : -((-(block_time + 1)) / SIM_DAY) - 1;
}

/*
 * Pieces of text, with what tally.h says of each: text is UTF-8 without control
 * characters (C0, DEL, C1) and without U+00AD, U+061C, U+180E, U+200B..U+200F,
 * U+2028..U+202E, U+2060..U+206F, U+FEFF, U+FFF9..U+FFFB and U+E0000..U+E007F.
 * The neighbours of every refused range are allowed; bytes that are not UTF-8
 * (a surrogate, an overlong form, past U+10FFFF, a sequence cut short) are refused.
 * No piece starts with a continuation byte, so pieces never join into another
 * character.
 */
static const struct {
    const char *bytes;
    bool refused;
} text_pieces[] = {
    /* controls: a tab, ESC, DEL, C1 (U+0085, U+009F); U+00A0 after them is allowed */
    {"\t", true}, {"\x1b", true}, {"\x7f", true}, {"\xc2\x85", true}, {"\xc2\x9f", true}, {"\xc2\xa0", false},
    /* U+00AC, the soft hyphen U+00AD, U+00AE */
    {"\xc2\xac", false}, {"\xc2\xad", true}, {"\xc2\xae", false},
    /* U+061B, the Arabic letter mark U+061C; U+180D, the Mongolian vowel separator U+180E */
    {"\xd8\x9b", false}, {"\xd8\x9c", true}, {"\xe1\xa0\x8d", false}, {"\xe1\xa0\x8e", true},
    /* the hair space U+200A, zero width space U+200B, RLM U+200F, U+2010 */
    {"\xe2\x80\x8a", false}, {"\xe2\x80\x8b", true}, {"\xe2\x80\x8f", true}, {"\xe2\x80\x90", false},
    /* U+2027, the line separator U+2028, RLO U+202E, U+202F */
    {"\xe2\x80\xa7", false}, {"\xe2\x80\xa8", true}, {"\xe2\x80\xae", true}, {"\xe2\x80\xaf", false},
    /* U+205F, the word joiner U+2060, LRI U+2066, U+206F, U+2070 */
    {"\xe2\x81\x9f", false}, {"\xe2\x81\xa0", true}, {"\xe2\x81\xa6", true}, {"\xe2\x81\xaf", true},
    {"\xe2\x81\xb0", false},
    /* U+FEFE, the byte order mark U+FEFF; U+FFF8, U+FFF9, U+FFFB, U+FFFC */
    {"\xef\xbb\xbe", false}, {"\xef\xbb\xbf", true}, {"\xef\xbf\xb8", false}, {"\xef\xbf\xb9", true},
    {"\xef\xbf\xbb", true}, {"\xef\xbf\xbc", false},
    /* U+DFFFF, the tags U+E0000 and U+E007F, U+E0080 */
    {"\xf3\x9f\xbf\xbf", false}, {"\xf3\xa0\x80\x80", true}, {"\xf3\xa0\x81\xbf", true}, {"\xf3\xa0\x82\x80", false},
    /* the euro sign, a CJK ideograph */
    {"\xe2\x82\xac", false}, {"\xe6\x97\xa5", false},
    /* not UTF-8: a surrogate (U+D800), an overlong '/', past U+10FFFF, a sequence cut short */
    {"\xed\xa0\x80", true}, {"\xc0\xaf", true}, {"\xf4\x90\x80\x80", true}, {"\xe2\x80", true},
};

/* Puts a piece that is refused (or allowed) into text, at its start, its end or
 * (when text is ASCII) anywhere, as long as it fits in `max` bytes. */
static void text_insert_piece(sim_rng *rng, tally_text *text, bool refused, uint16_t max) {
    size_t index;
    do index = rng_below(rng, sizeof text_pieces / sizeof text_pieces[0]);
    while (text_pieces[index].refused != refused);
    const char *piece = text_pieces[index].bytes;
    uint16_t length = (uint16_t)strlen(piece);
    if (text->length + length > max) text->length = (uint16_t)(max - length);
    bool ascii = true;
    for (uint16_t i = 0; i < text->length; i++) ascii = ascii && (uint8_t)text->bytes[i] < 0x80;
    uint16_t at = rng_percent(rng, 50) ? text->length : 0;
    if (ascii) at = (uint16_t)rng_below(rng, text->length + 1u);
    memmove(text->bytes + at + length, text->bytes + at, text->length - at);
    memcpy(text->bytes + at, piece, length);
    text->length = (uint16_t)(text->length + length);
}

/* ------------------------------------------------------------------------ */
/* Generators: one per transaction type, valid most of the time, and invalid */
/* in each of the ways the type can be.                                      */
/* ------------------------------------------------------------------------ */

static void gen_begin_key(simulation *sim, sim_gen *gen, tally_tx_type type, const tally_key *signer,
                          uint32_t signer_actor) {
    memset(gen, 0, sizeof *gen);
    gen->expect = -1;
    gen->signer_actor = signer_actor;
    gen->other_actor = NONE;
    gen->tx.type = (uint8_t)type;
    memcpy(gen->tx.chain_id, sim->chain_id, TALLY_CHAIN_ID_BYTES);
    gen->tx.signer = *signer;
    gen->tx.sequence = tally_state_next_sequence(sim->state, signer);
}

static void gen_begin(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t actor) {
    gen_begin_key(sim, gen, type, &sim->keys[actor], actor);
}

/* An operator's transaction on a random network. variant 1: for an unknown
 * network; variant 2: signed by a member who operates nothing. Returns the id. */
static uint32_t begin_operated_on(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t variant,
                                  uint32_t network_id) {
    const tally_network *network = network_of(sim, network_id);
    if (variant == 1 || !network) {
        gen_begin(sim, gen, type, staff_actor(sim));
        return unknown_network(sim);
    }
    if (variant == 2) {
        gen_begin(sim, gen, type, any_member_actor(sim));
        return network_id;
    }
    const tally_key *operator_key = &network->operators[rng_below(&sim->rng, network->operator_count)];
    tally_key key = *operator_key;
    gen_begin_key(sim, gen, type, &key, staff_of_key(sim, &key));
    return network_id;
}

static uint32_t begin_operated(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t variant) {
    return begin_operated_on(sim, gen, type, variant, pick_network(sim));
}

/* Half the time a network with a policy (or peg) change announced, if one is: the
 * interesting updates are those that meet an announcement. */
static uint32_t pick_announcing_network(simulation *sim, bool peg) {
    if (sim->follow_network) return sim->follow_network;
    uint32_t network_id = pick_network(sim);
    if (!rng_percent(&sim->rng, 50)) return network_id;
    for (int i = 0; i < 8; i++) {
        uint32_t candidate = pick_network(sim);
        const tally_network *network = network_of(sim, candidate);
        if (network && (peg ? network->peg_change_at : network->policy_change_at)) return candidate;
    }
    return network_id;
}

/* The member an operator acts on: found by `score`, a non-member (variant 4) or a
 * system key (variant 3). */
static tally_key operated_member(simulation *sim, sim_gen *gen, uint32_t network_id, uint32_t variant,
                                 uint32_t samples, member_score score) {
    if (variant == 3) return system_key_of(sim, network_id);
    uint32_t actor = variant == 4 ? any_member_actor(sim) : pick_member(sim, network_id, samples, score);
    if (actor == NONE) actor = pick_member(sim, network_id, 4, score_any);
    if (actor == NONE) actor = any_member_actor(sim);
    gen->other_actor = actor;
    return sim->keys[actor];
}

/* Issue 12's fields, valid: sometimes a collateral ratio (stakes), the protocol's
 * reputation rule, algorithmic limits, demurrage and a membership fee. */
static void random_issue12_fields(sim_rng *rng, tally_policy *policy) {
    static const uint32_t ratios[] = {0, 0, 5000, 10000, 15000, 40000};
    static const uint32_t demurrages[] = {0, 0, 0, 10, 100, 500};
    static const int64_t thresholds[] = {0, 10000, 100000};
    static const int64_t membership_fees[] = {0, 0, 0, 100, 2500};
    tally_policy defaults;
    tally_policy_defaults(&defaults);
    policy->collateral_ratio_bps = RNG_PICK(rng, ratios);
    if (rng_percent(rng, 60)) policy->reputation = defaults.reputation;
    if (rng_percent(rng, 25)) {
        policy->algorithmic_limits = (tally_limit_rule){.enabled = true,
                                                        .base = rng_between(rng, 0, 20000),
                                                        .per_point = rng_between(rng, 0, 50),
                                                        .income_bps = (uint32_t)rng_between(rng, 0, 20000),
                                                        .step_max = rng_between(rng, 0, 30000),
                                                        .recovery_periods = (uint32_t)rng_between(rng, 0, 4)};
    }
    policy->demurrage_bps = RNG_PICK(rng, demurrages);
    policy->demurrage_threshold = RNG_PICK(rng, thresholds);
    policy->membership_fee = RNG_PICK(rng, membership_fees);
    policy->charges_to_pool = rng_percent(rng, 30);
}

static tally_policy random_policy(sim_rng *rng) {
    static const int64_t limits[] = {0, 5000, 20000, 100000};
    static const int64_t headroom[] = {0, 50000, 500000, 10000000};
    static const int64_t caps[] = {0, 0, 50000, 300000};
    static const uint32_t fees[] = {0, 10, 25, 100, 500};
    static const uint32_t risks[] = {0, 50, 200, 1000};
    static const uint32_t incomes[] = {0, 500, 2000, 10000};
    static const uint32_t targets[] = {0, 1000, 5000, 10000};
    tally_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.default_credit_limit = RNG_PICK(rng, limits);
    policy.max_credit_limit = policy.default_credit_limit + RNG_PICK(rng, headroom);
    if (rng_percent(rng, 12)) policy.max_credit_limit = INT64_MAX; /* an edge the rules must survive */
    policy.positive_cap = RNG_PICK(rng, caps);
    policy.fee_bps = RNG_PICK(rng, fees);
    policy.default_risk_fee_bps = RNG_PICK(rng, risks);
    policy.period_seconds = (uint32_t)rng_between(rng, 2, 28) * SIM_DAY;
    policy.grace_seconds = rng_percent(rng, 20) ? 0 : (uint32_t)rng_between(rng, 1, 10) * SIM_DAY;
    policy.min_income_bps = RNG_PICK(rng, incomes);
    policy.target_rtd_bps = RNG_PICK(rng, targets);
    policy.compliance_rule = (uint8_t)rng_below(rng, TALLY_COMPLIANCE_COUNT);
    policy.membership_mode = (uint8_t)rng_below(rng, TALLY_MEMBERSHIP_COUNT);
    policy.auto_renew = rng_percent(rng, 60);
    static const uint32_t member_bounds[] = {50, 400, 100000};
    static const uint32_t notices[] = {1, 2, 7};
    static const uint32_t redeem_caps[] = {100, 1000, 5000, 10000};
    policy.max_members = RNG_PICK(rng, member_bounds);
    policy.notice_seconds = RNG_PICK(rng, notices) * SIM_DAY;
    policy.redeem_cap_bps = RNG_PICK(rng, redeem_caps);
    random_issue12_fields(rng, &policy);
    return policy;
}

/* Changes one or two numbers of a policy, keeping its rule, mode and renewal, so
 * the designed networks keep their character. */
static void tweak_policy(sim_rng *rng, tally_policy *policy) {
    static const uint32_t fees[] = {0, 10, 25, 100, 500, 10000};
    static const uint32_t risks[] = {0, 50, 150, 300, 1000};
    static const uint32_t targets[] = {0, 1000, 2000, 5000, 10000};
    static const uint32_t incomes[] = {0, 1000, 2000, 5000};
    static const uint32_t notices[] = {1, 2, 3, 7};
    static const uint32_t redeem_caps[] = {100, 1000, 2500, 10000};
    uint32_t changes = 1 + (uint32_t)rng_below(rng, 2);
    for (uint32_t i = 0; i < changes; i++) {
        switch (rng_below(rng, 14)) {
        case 11: { /* issue 12's fields: a ratio, charges, limits by the rule */
            sim_rng copy = {rng_next(rng)};
            tally_policy fresh = *policy;
            random_issue12_fields(&copy, &fresh);
            uint32_t which = (uint32_t)rng_below(rng, 4);
            if (which == 0) policy->collateral_ratio_bps = fresh.collateral_ratio_bps;
            if (which == 1) policy->demurrage_bps = fresh.demurrage_bps, policy->demurrage_threshold = fresh.demurrage_threshold;
            if (which == 2) policy->membership_fee = fresh.membership_fee, policy->charges_to_pool = fresh.charges_to_pool;
            if (which == 3) policy->algorithmic_limits = fresh.algorithmic_limits, policy->reputation = fresh.reputation;
            break;
        }
        case 12: policy->demurrage_bps = policy->demurrage_bps ? 0 : 50; break;
        case 13: policy->membership_fee = policy->membership_fee ? 0 : 200; break;
        case 8: policy->notice_seconds = RNG_PICK(rng, notices) * SIM_DAY; break;
        case 9: policy->redeem_cap_bps = RNG_PICK(rng, redeem_caps); break;
        case 10: policy->max_members = (uint32_t)rng_between(rng, 20, 2000); break;
        case 0: policy->fee_bps = RNG_PICK(rng, fees); break;
        case 1: policy->default_risk_fee_bps = RNG_PICK(rng, risks); break;
        case 2: /* a cap raised, lowered, set where there was none, or removed */
            policy->positive_cap = rng_percent(rng, 20) ? 0 : rng_between(rng, 20000, 300000);
            break;
        case 3:
            policy->max_credit_limit = policy->default_credit_limit + rng_between(rng, 0, 400000);
            break;
        case 4: policy->grace_seconds = (uint32_t)rng_between(rng, 1, 10) * SIM_DAY; break;
        case 5: policy->period_seconds = (uint32_t)rng_between(rng, 3, 28) * SIM_DAY; break;
        case 6: policy->target_rtd_bps = RNG_PICK(rng, targets); break;
        default: policy->min_income_bps = RNG_PICK(rng, incomes); break;
        }
    }
    if (policy->fee_bps == 10000 && !rng_percent(rng, 10)) policy->fee_bps = 50;
}

/* Puts one field of a policy out of its range. */
static void break_policy(sim_rng *rng, tally_policy *policy) {
    switch (rng_below(rng, 14)) {
    case 10: policy->max_members = rng_percent(rng, 50) ? 0 : TALLY_MEMBER_RECORDS_PER_NETWORK_MAX + 1; break;
    case 11: policy->notice_seconds = rng_percent(rng, 50) ? TALLY_NOTICE_SECONDS_MIN - 1 : UINT32_MAX; break;
    case 12: policy->redeem_cap_bps = rng_percent(rng, 50) ? 0 : TALLY_BPS_ONE + 1; break;
    case 0: policy->default_credit_limit = -1; break;
    case 1:
        policy->default_credit_limit = 1000;
        policy->max_credit_limit = 999;
        break;
    case 2: policy->positive_cap = rng_percent(rng, 50) ? -1 : INT64_MIN; break;
    case 3: policy->fee_bps = TALLY_BPS_ONE + 1 + (uint32_t)rng_below(rng, 100); break;
    case 4: policy->default_risk_fee_bps = UINT32_MAX; break;
    case 5: policy->period_seconds = 0; break;
    case 6: policy->min_income_bps = TALLY_BPS_ONE + 1; break;
    case 7: policy->target_rtd_bps = TALLY_BPS_ONE + 1; break;
    case 8: policy->compliance_rule = (uint8_t)(TALLY_COMPLIANCE_COUNT + rng_below(rng, 250)); break;
    case 13: /* issue 12's fields */
        switch (rng_below(rng, 5)) {
        case 0: policy->collateral_ratio_bps = 100u * TALLY_BPS_ONE + 1; break;
        case 1: policy->demurrage_bps = TALLY_BPS_ONE + 1; break;
        case 2: policy->demurrage_threshold = -1; break;
        case 3: policy->membership_fee = INT64_MIN; break;
        default: policy->algorithmic_limits.step_max = -1; break;
        }
        break;
    case 9:
    default: policy->membership_mode = (uint8_t)(TALLY_MEMBERSHIP_COUNT + rng_below(rng, 250)); break;
    }
}

/* A network with a reserve asset, most of the time. */
static uint32_t pick_pool_network(simulation *sim) {
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 3; i++) {
        const tally_network *network = network_of(sim, network_id);
        if (network && network->reserve_asset_id) break;
        network_id = pick_network(sim);
    }
    return network_id;
}

/* Who founds a network or creates an asset: the key of a burst in progress, often a
 * key with approvals, else any staff key. Sometimes it starts a burst (the same key
 * a few times in a row), so that keys exhaust their day and bursts cross into the
 * next day. */
static uint32_t pick_creator(simulation *sim, tally_tx_type type) {
    sim_rng *rng = &sim->rng;
    if (sim->creator != NONE) return sim->creator;
    uint32_t actor = staff_actor(sim);
    for (int i = 0; i < 6 && rng_percent(rng, 40); i++) {
        uint32_t candidate = staff_actor(sim);
        const model_grower *grower = &sim->growers[candidate];
        if ((type == TALLY_TX_NETWORK_CREATE ? grower->networks_approved : grower->assets_approved) > 0) {
            actor = candidate;
            break;
        }
    }
    if (rng_percent(rng, 30)) {
        sim->burst_left = 1 + (uint32_t)rng_below(rng, 4);
        sim->burst_actor = actor;
        sim->burst_type = (uint8_t)type;
    }
    return actor;
}

/* The name of an existing network with its ASCII letters' case changed at random. */
static void taken_name(simulation *sim, tally_text *text) {
    uint32_t count = tally_state_network_count(sim->state);
    const tally_network *network = network_of(sim, 1 + (uint32_t)rng_below(&sim->rng, count));
    text_put(text, network->name);
    for (uint16_t i = 0; i < text->length; i++) {
        char c = text->bytes[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (letter && rng_percent(&sim->rng, 50)) text->bytes[i] = (char)(c ^ 0x20);
    }
}

static void make_network_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    gen_begin(sim, gen, TALLY_TX_NETWORK_CREATE, pick_creator(sim, TALLY_TX_NETWORK_CREATE));
    tally_tx_network_create *body = &gen->tx.body.network_create;
    char name[40];
    snprintf(name, sizeof name, "Sim network %u", (unsigned)rng_below(rng, 1000));
    text_put(&body->name, name);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 6) text_insert_piece(rng, &body->name, false, TALLY_NAME_MAX); /* allowed, not ASCII */
    else if (roll < 12) taken_name(sim, &body->name);                        /* NAME_TAKEN */
    text_put(&body->unit_code, "SIM");
    body->decimals = (uint8_t)rng_below(rng, TALLY_DECIMALS_MAX + 1);
    body->policy = random_policy(rng);
    if (rng_percent(rng, 72)) return;
    switch (rng_below(rng, 8)) {
    case 0: text_put(&body->name, ""); gen->broken = TALLY_ERR_BAD_NAME; break;
    case 1: text_put(&body->name, "bad\x01name"); gen->broken = TALLY_ERR_BAD_NAME; break;
    case 2:
        text_insert_piece(rng, &body->name, true, TALLY_NAME_MAX);
        gen->broken = TALLY_ERR_BAD_NAME;
        gen->refused_text = true;
        break;
    case 3: text_put(&body->unit_code, "sim"); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 4: text_put(&body->unit_code, "ABCDEFGHJ"); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 5: text_put(&body->unit_code, ""); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 6:
        body->decimals = (uint8_t)(TALLY_DECIMALS_MAX + 1 + rng_below(rng, 200));
        gen->broken = TALLY_ERR_BAD_DECIMALS;
        break;
    default: break_policy(rng, &body->policy); gen->broken = TALLY_ERR_BAD_POLICY; break;
    }
}

/* A new policy: usually one or two numbers changed, sometimes exactly the
 * announced policy again (which keeps its time), the current one (which withdraws
 * an announcement) or a change of the announced one (which restarts it). */
static void make_policy_update(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t network_id =
        begin_operated_on(sim, gen, TALLY_TX_POLICY_UPDATE, variant, pick_announcing_network(sim, false));
    tally_tx_policy_update *body = &gen->tx.body.policy_update;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    body->policy = network ? network->policy : random_policy(rng);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    bool announced = network && network->policy_change_at;
    if (announced && roll < 15) {
        body->policy = network->policy_change;
    } else if (roll < 25) {
        /* the current policy */
    } else {
        if (announced && roll < 45) body->policy = network->policy_change;
        tweak_policy(rng, &body->policy);
    }
    if (variant == 3) {
        break_policy(rng, &body->policy);
        gen->broken = TALLY_ERR_BAD_POLICY;
    }
}

static void make_peg_set(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const int64_t rates[][2] = {{1, 1}, {3, 2}, {1, 100}, {2, 3}, {5, 1}, {1, 1}, {3, 2}};
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id =
        begin_operated_on(sim, gen, TALLY_TX_PEG_SET, variant <= 2 ? variant : 0, pick_announcing_network(sim, true));
    tally_tx_peg_set *body = &gen->tx.body.peg_set;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (network && network->reserve_asset_id && roll < 65) body->asset_id = network->reserve_asset_id;
    else if (roll < 88) body->asset_id = pick_asset(sim);
    else body->asset_id = 0;
    size_t rate = rng_below(rng, sizeof rates / sizeof rates[0]);
    body->peg_reserve_units = rates[rate][0];
    body->peg_credit_units = rates[rate][1];
    if (rng_percent(rng, 2)) body->peg_reserve_units = rng_percent(rng, 50) ? INT64_MAX : 1000000000;
    if (rng_percent(rng, 2)) body->peg_credit_units = rng_percent(rng, 50) ? INT64_MAX : 1000000000;
    if (network_id == SIM_EDGE_NETWORK && rng_percent(rng, 60)) { /* pegs of any size, pool or not */
        body->peg_reserve_units = any_magnitude(rng);
        body->peg_credit_units = any_magnitude(rng);
    }
    /* The announced rate again (keeps its time), the current rate (withdraws it), or
     * the current rate written otherwise (takes effect at once and withdraws it). */
    roll = (uint32_t)rng_below(rng, 100);
    if (network && network->reserve_asset_id && body->asset_id == network->reserve_asset_id) {
        if (network->peg_change_at && roll < 20) {
            body->peg_reserve_units = network->peg_change_reserve_units;
            body->peg_credit_units = network->peg_change_credit_units;
        } else if (roll < 30) {
            body->peg_reserve_units = network->peg_reserve_units;
            body->peg_credit_units = network->peg_credit_units;
        } else if (roll < 36 && network->peg_reserve_units <= INT64_MAX / 3 &&
                   network->peg_credit_units <= INT64_MAX / 3) {
            body->peg_reserve_units = network->peg_reserve_units * 3;
            body->peg_credit_units = network->peg_credit_units * 3;
        }
    }
    if (variant == 3) { /* never 0: that clears the peg */
        body->asset_id = unknown_asset(sim);
        if (!body->asset_id) body->asset_id = tally_state_asset_count(sim->state) + 1;
    }
    if (variant == 4) {
        if (!body->asset_id) body->asset_id = pick_asset(sim);
        if (rng_percent(rng, 50)) body->peg_reserve_units = bad_amount(sim);
        else body->peg_credit_units = bad_amount(sim);
    }
}

static void make_operator_add(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_OPERATOR_ADD, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    uint32_t actor = staff_actor(sim);
    gen->other_actor = actor;
    gen->tx.body.network_key.key = sim->keys[actor];
    if (variant == 3) gen->tx.body.network_key.key = system_key_of(sim, network_id);
}

static void make_operator_remove(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 2) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_OPERATOR_REMOVE, variant);
    gen->tx.body.network_key.network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    if (network && rng_percent(rng, 75)) {
        gen->tx.body.network_key.key = network->operators[rng_below(rng, network->operator_count)];
    } else {
        uint32_t actor = rng_percent(rng, 50) ? staff_actor(sim) : any_member_actor(sim);
        gen->other_actor = actor;
        gen->tx.body.network_key.key = sim->keys[actor];
    }
}

/* Of a few of the network's former members, one that left suspended or defaulted
 * (by the model's record), or NONE. */
static uint32_t pick_barred_leaver(simulation *sim, uint32_t network_id) {
    if (network_id == 0 || network_id > SIM_NETWORKS_MAX) return NONE;
    const sim_roster *roster = &sim->rosters[network_id];
    for (int i = 0; roster->count && i < 24; i++) {
        uint32_t actor = roster->actors[rng_below(&sim->rng, roster->count)];
        uint8_t left_with = sim->left_with[(size_t)network_id * sim->actor_count + actor];
        const tally_member *member = member_of(sim, network_id, actor);
        if (member && member->status == TALLY_MEMBER_LEFT &&
            (left_with == TALLY_MEMBER_SUSPENDED || left_with == TALLY_MEMBER_DEFAULTED))
            return actor;
    }
    return NONE;
}

static void make_member_join(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 3; i++) { /* mostly open networks, where joining works */
        const tally_network *network = network_of(sim, network_id);
        if (network && network->policy.membership_mode == TALLY_MEMBERSHIP_OPEN) break;
        network_id = pick_network(sim);
    }
    uint32_t actor = any_member_actor(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 6) network_id = unknown_network(sim);
    else if (roll < 12) {
        uint32_t member = pick_member(sim, network_id, 2, score_any);
        if (member != NONE) actor = member; /* ALREADY_MEMBER */
    } else if (roll < 30) {
        uint32_t left = pick_barred_leaver(sim, network_id);
        if (left != NONE) actor = left; /* comes back suspended or defaulted */
    }
    gen_begin(sim, gen, TALLY_TX_MEMBER_JOIN, actor);
    gen->tx.body.network_only.network_id = network_id;
}

static void make_member_admit(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_ADMIT, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    uint32_t actor = any_member_actor(sim);
    if (variant == 4) {
        uint32_t member = pick_member(sim, network_id, 2, score_any);
        if (member != NONE) actor = member; /* ALREADY_MEMBER */
    } else if (rng_percent(rng, 15)) {
        uint32_t left = pick_barred_leaver(sim, network_id);
        if (left != NONE) actor = left;
    }
    gen->other_actor = actor;
    gen->tx.body.network_key.key = sim->keys[actor];
    if (variant == 3) gen->tx.body.network_key.key = system_key_of(sim, network_id);
}

static void make_member_suspend(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_SUSPEND, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = rng_percent(rng, 85) ? score_active : score_barred;
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 6, score);
}

static void make_member_reinstate(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_MEMBER_REINSTATE, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = rng_percent(rng, 85) ? score_barred : score_active;
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 16, score);
}

/* Of a few open holds, the payer of one at a positive balance (positive) or at zero,
 * with its network in *network_id; NONE when none is found. */
static uint32_t holding_payer(simulation *sim, bool positive, uint32_t *network_id) {
    for (int i = 0; sim->open_hold_count && i < 4; i++) {
        const model_hold *hold = &sim->holds[sim->open_holds[rng_below(&sim->rng, sim->open_hold_count)] - 1];
        if (hold->payer_actor == NONE) continue;
        const tally_member *payer = member_of(sim, hold->record.network_id, hold->payer_actor);
        if (!payer || (positive ? payer->balance <= 0 : payer->balance != 0)) continue;
        *network_id = hold->record.network_id;
        return hold->payer_actor;
    }
    return NONE;
}

/* Of a few open requests, the maker of one at zero balance, with its network in
 * *network_id; NONE when none is found. */
static uint32_t asking_maker(simulation *sim, uint32_t *network_id) {
    for (int i = 0; sim->open_request_count && i < 6; i++) {
        const model_request *request =
            &sim->requests[sim->open_requests[rng_below(&sim->rng, sim->open_request_count)] - 1];
        if (request->maker_actor == NONE) continue;
        const tally_member *maker = member_of(sim, request->record.network_id, request->maker_actor);
        if (!is_current(maker) || maker->balance != 0) continue;
        *network_id = request->record.network_id;
        return request->maker_actor;
    }
    return NONE;
}

static void make_member_leave(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint32_t actor = roll < 30   ? pick_member(sim, network_id, 24, score_barred_at_zero)
                     : roll < 75 ? pick_member(sim, network_id, 16, score_zero)
                                 : pick_member(sim, network_id, 2, score_any); /* BALANCE_NOT_ZERO */
    if (actor == NONE && roll < 30) actor = pick_member(sim, network_id, 16, score_zero);
    if (actor == NONE || roll >= 92) actor = any_member_actor(sim);         /* NOT_MEMBER */
    /* Now and then the payer of an open hold, at zero balance: what it holds is spent. */
    uint32_t payer = rng_percent(rng, 12) ? holding_payer(sim, false, &network_id) : NONE;
    if (payer != NONE) actor = payer;
    /* Now and then the maker of an open request, at zero balance: it may leave, and
     * the request then cannot be paid (NOT_MEMBER) until it expires. */
    uint32_t maker = payer == NONE && rng_percent(rng, 10) ? asking_maker(sim, &network_id) : NONE;
    if (maker != NONE) actor = maker;
    gen_begin(sim, gen, TALLY_TX_MEMBER_LEAVE, actor);
    gen->tx.body.network_only.network_id = roll >= 96 ? unknown_network(sim) : network_id;
}

static void make_alias_set(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    uint32_t actor = pick_member(sim, network_id, 1, score_any);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (actor == NONE || roll < 6) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_ALIAS_SET, actor);
    tally_tx_alias_set *body = &gen->tx.body.alias_set;
    body->network_id = roll >= 97 ? unknown_network(sim) : network_id;
    const sim_roster *roster = network_id <= SIM_NETWORKS_MAX ? &sim->rosters[network_id] : NULL;
    char alias[48];
    snprintf(alias, sizeof alias, "m%u.x", (unsigned)rng_below(rng, 2 * (roster ? roster->count : 0) + 8));
    if (roll >= 80 && roll < 88) alias[0] = '\0'; /* clears */
    else if (roll >= 88 && roll < 91) snprintf(alias, sizeof alias, "Upper");
    else if (roll >= 91 && roll < 94) snprintf(alias, sizeof alias, "%s", "abcdefghijklmnopqrstuvwxyz0123456");
    else if (roll >= 94 && roll < 97) snprintf(alias, sizeof alias, "has space");
    text_put(&body->alias, alias);
}

static void make_line_open(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint32_t risks[] = {0, 0, 100, 500, 2500};
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 7) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_OPEN, variant <= 2 ? variant : 0);
    tally_tx_line_open *body = &gen->tx.body.line_open;
    body->network_id = network_id;
    body->member = operated_member(sim, gen, network_id, variant, 16, score_without_line);
    const tally_network *network = network_of(sim, network_id);
    int64_t max = network ? network->policy.max_credit_limit : 100000;
    body->limit = rng_percent(rng, 70) ? rng_between(rng, 0, max < 200000 ? max : 200000) : rng_between(rng, 0, max);
    body->period_seconds = rng_percent(rng, 50) ? 0 : (uint32_t)rng_between(rng, 2, 30) * SIM_DAY;
    body->grace_seconds = rng_percent(rng, 50) ? 0 : (uint32_t)rng_between(rng, 1, 10) * SIM_DAY;
    body->risk_fee_bps = RNG_PICK(rng, risks);
    if (variant == 5) body->limit = max < INT64_MAX ? rng_between(rng, max + 1, INT64_MAX) : INT64_MAX;
    if (variant == 6) body->limit = bad_amount(sim) | INT64_MIN; /* negative */
    if (variant == 7) body->risk_fee_bps = TALLY_BPS_ONE + 1 + (uint32_t)rng_below(rng, 1000);
}

static void make_line_update(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint32_t risks[] = {0, 0, 100, 500, 2500};
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 8) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_UPDATE, variant <= 2 ? variant : 0);
    tally_tx_line_update *body = &gen->tx.body.line_update;
    body->network_id = network_id;
    member_score score = variant == 8 ? score_without_line : score_with_line;
    body->member = operated_member(sim, gen, network_id, variant, 8, score);
    const tally_network *network = network_of(sim, network_id);
    int64_t max = network ? network->policy.max_credit_limit : 100000;
    const tally_member *member = network ? tally_state_member(sim->state, network_id, &body->member) : NULL;
    /* Its debt, counting what its holds hold as spent: the least limit it may have. */
    int128 own = member ? own_of(member) : 0;
    int64_t debt = own >= 0 ? 0 : own < -(int128)INT64_MAX ? INT64_MAX : (int64_t)-own;
    int64_t high = plus(debt, 200000);
    if (max >= debt && max < high) high = max;
    body->limit = rng_between(rng, debt, high);
    if (rng_percent(rng, 12) && debt > 0) body->limit = rng_between(rng, 0, debt - 1); /* LIMIT_BELOW_DEBT */
    body->risk_fee_bps = RNG_PICK(rng, risks);
    if (variant == 5) body->limit = max < INT64_MAX ? rng_between(rng, max + 1, INT64_MAX) : INT64_MAX;
    if (variant == 6) body->limit = bad_amount(sim) | INT64_MIN;
    if (variant == 7) body->risk_fee_bps = TALLY_BPS_ONE + 1;
}

static void make_line_close(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_LINE_CLOSE, variant <= 2 ? variant : 0);
    gen->tx.body.network_key.network_id = network_id;
    member_score score = variant == 5 ? score_with_line : score_closable; /* DEBT_NOT_ZERO, NO_LINE */
    gen->tx.body.network_key.key = operated_member(sim, gen, network_id, variant, 12, score);
}

static void make_transfer(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const char *const memos[] = {"", "", "", "bread", "rent for March", "invoice 42", "\xe2\x82\xac 5"};
    uint32_t network_id = pick_busy_network(sim);
    uint32_t mode = (uint32_t)rng_below(rng, 100);
    member_score payer_score = mode < 45 ? score_available : mode < 75 ? score_balance : score_any;
    uint32_t payer = pick_member(sim, network_id, 4, payer_score);
    uint32_t payee = pick_member(sim, network_id, rng_percent(rng, 50) ? 4 : 1,
                                 rng_percent(rng, 50) ? score_lowest : score_any);
    if (payee == payer) payee = pick_member(sim, network_id, 1, score_any);
    uint32_t variant = rng_percent(rng, 10) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    if (payer == NONE || variant == 1) payer = any_member_actor(sim); /* NOT_MEMBER, mostly */
    if (payee == NONE || variant == 2) payee = any_member_actor(sim);
    if (variant == 3) payee = payer; /* SELF_TRANSFER */
    gen_begin(sim, gen, TALLY_TX_TRANSFER, payer);
    gen->other_actor = payee;
    tally_tx_transfer *body = &gen->tx.body.transfer;
    body->network_id = variant == 4 ? unknown_network(sim) : network_id;
    body->payee = variant == 5 ? system_key_of(sim, network_id) : sim->keys[payee];
    const tally_member *from = member_of(sim, network_id, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 72 && available > 1) {
        body->amount = rng_between(rng, 1, available - available / 8);
    } else if (roll < 82) {
        body->amount = plus(available, 1 + (int64_t)rng_below(rng, 1000)); /* INSUFFICIENT_CREDIT, or the line's state */
    } else if (roll < 94) {
        body->amount = rng_between(rng, 1, 3000);
    } else {
        static const int64_t edges[] = {0, -1, -700, INT64_MAX, INT64_MIN, INT64_MAX - 1};
        body->amount = RNG_PICK(rng, edges);
    }
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 7) body->max_fee = 0; /* FEE_ABOVE_MAX wherever there is a fee */
    else if (roll < 12) body->max_fee = INT64_MAX;
    else body->max_fee = body->amount > 0 ? plus(body->amount, 2) : 2;
    text_put(&body->memo, RNG_PICK(rng, memos));
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 4) { /* a control or invisible formatting character, or bytes that are not UTF-8 */
        text_insert_piece(rng, &body->memo, true, TALLY_MEMO_MAX);
        gen->broken = TALLY_ERR_DECODE_BAD_TEXT;
        gen->refused_text = true;
    } else if (roll < 10) {
        text_insert_piece(rng, &body->memo, false, TALLY_MEMO_MAX); /* one of their neighbours */
    }
    if (variant == 6) body->memo.length = TALLY_MEMO_MAX + 1 + (uint16_t)rng_below(rng, 100);
}

/*
 * A batch payment: a payer and 1 to 8 lines (sometimes up to 40, rarely 256) to
 * members of its network, payees often repeated, amounts that mostly fit what the
 * payer may spend in all; and in one batch of five a line that fails somewhere in
 * the middle in one of the ways a transfer fails (past the limit or the cap, a
 * payee who is no member, the payer itself, a system account, a non-positive
 * amount, a memo with a refused character or too long), or a max_fee the fees
 * pass, or a whole batch that cannot be (an unknown network, a payer who is no
 * member, no lines).
 */
static void make_transfer_batch(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const char *const memos[] = {"", "", "salary", "March", "invoice 42", "\xe2\x82\xac 5", "refund"};
    uint32_t network_id = pick_busy_network(sim);
    uint32_t payer = pick_member(sim, network_id, 4, rng_percent(rng, 60) ? score_available : score_any);
    uint32_t whole = rng_percent(rng, 5) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    if (payer == NONE || whole == 1) payer = any_member_actor(sim); /* NOT_MEMBER, mostly */
    gen_begin(sim, gen, TALLY_TX_TRANSFER_BATCH, payer);
    tally_tx_transfer_batch *body = &gen->tx.body.transfer_batch;
    body->network_id = whole == 2 ? unknown_network(sim) : network_id;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint16_t count = (uint16_t)(roll < 85 ? 1 + rng_below(rng, 8) : roll < 99 ? 9 + rng_below(rng, 32)
                                                                             : TALLY_BATCH_LINES_MAX);
    if (!tally_tx_batch_reserve(&gen->tx, count)) abort();
    const tally_member *from = member_of(sim, network_id, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    /* What the lines share: about the payer's room, a seventh of it kept for fees. */
    int64_t budget = available > 8 ? available - available / 7 : 3000;
    uint32_t previous = NONE;
    for (uint16_t i = 0; i < count; i++) {
        tally_batch_line *line = &body->lines[i];
        uint32_t payee = previous != NONE && rng_percent(rng, 20) ? previous : pick_member(sim, network_id, 1, score_any);
        if (payee == NONE || payee == payer) payee = pick_member(sim, network_id, 2, score_lowest);
        if (payee == NONE) payee = any_member_actor(sim);
        previous = payee;
        line->payee = sim->keys[payee];
        int64_t share = budget / count;
        line->amount = share > 1 ? rng_between(rng, 1, share) : rng_between(rng, 1, 50);
        tally_text memo;
        text_put(&memo, RNG_PICK(rng, memos));
        if (rng_percent(rng, 5)) text_insert_piece(rng, &memo, false, TALLY_BATCH_MEMO_MAX);
        line->memo.length = memo.length;
        memcpy(line->memo.bytes, memo.bytes, memo.length);
    }
    if (whole == 3) body->line_count = 0; /* built in memory: DECODE_BAD_LENGTH (the lines stay allocated) */
    /* A line that fails, somewhere: often in the middle. */
    if (count > 0 && rng_percent(rng, 20)) {
        uint16_t at = (uint16_t)rng_below(rng, count);
        tally_batch_line *line = &body->lines[at];
        switch (rng_below(rng, 9)) {
        case 0: line->amount = plus(available, 1 + (int64_t)rng_below(rng, 1000)); break; /* past the limit */
        case 1: line->amount = any_magnitude(rng); break;                                   /* the cap, or overflow */
        case 2: line->payee = sim->keys[any_member_actor(sim)]; break;                       /* NOT_MEMBER, mostly */
        case 3: line->payee = gen->tx.signer; break;                                         /* SELF_TRANSFER */
        case 4: line->payee = system_key_of(sim, network_id); break;                         /* SYSTEM_ACCOUNT */
        case 5: line->amount = bad_amount(sim); break;                                       /* AMOUNT_NOT_POSITIVE */
        case 6: {
            tally_text memo;
            text_put(&memo, "pay");
            text_insert_piece(rng, &memo, true, TALLY_BATCH_MEMO_MAX);
            line->memo.length = memo.length;
            memcpy(line->memo.bytes, memo.bytes, memo.length);
            gen->broken = TALLY_ERR_DECODE_BAD_TEXT;
            gen->broken_line = (uint16_t)(at + 1);
            gen->refused_text = true;
            break;
        }
        case 7: line->memo.length = TALLY_BATCH_MEMO_MAX + 1 + (uint16_t)rng_below(rng, 100); break;
        default: line->amount = plus(line->amount, budget); break; /* the lines together pass the room */
        }
    }
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 6) body->max_fee = 0; /* FEE_ABOVE_MAX wherever there is a fee */
    else if (roll < 14) body->max_fee = (int64_t)rng_below(rng, 40); /* tight: some line passes it */
    else if (roll < 20) body->max_fee = INT64_MAX;
    else body->max_fee = plus(budget, 2 * (int64_t)count);
}

static void make_asset_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    gen_begin(sim, gen, TALLY_TX_ASSET_CREATE, pick_creator(sim, TALLY_TX_ASSET_CREATE));
    tally_tx_asset_create *body = &gen->tx.body.asset_create;
    char code[16], name[40];
    snprintf(code, sizeof code, "R%u", (unsigned)rng_below(rng, 1000));
    snprintf(name, sizeof name, "Reserve %s", code);
    text_put(&body->code, code);
    text_put(&body->name, name);
    if (rng_percent(rng, 6)) text_insert_piece(rng, &body->name, false, TALLY_NAME_MAX);
    body->decimals = (uint8_t)rng_below(rng, TALLY_DECIMALS_MAX + 1);
    if (rng_percent(rng, 72)) return;
    switch (rng_below(rng, 7)) {
    case 0: text_put(&body->code, "usd"); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 1: text_put(&body->code, "ABCDEFGHJ"); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 2: text_put(&body->code, ""); gen->broken = TALLY_ERR_BAD_CODE; break;
    case 3: text_put(&body->name, ""); gen->broken = TALLY_ERR_BAD_NAME; break;
    case 4: text_put(&body->name, "tab\there"); gen->broken = TALLY_ERR_BAD_NAME; break;
    case 5:
        text_insert_piece(rng, &body->name, true, TALLY_NAME_MAX);
        gen->broken = TALLY_ERR_BAD_NAME;
        gen->refused_text = true;
        break;
    default:
        body->decimals = (uint8_t)(TALLY_DECIMALS_MAX + 1 + rng_below(rng, 200));
        gen->broken = TALLY_ERR_BAD_DECIMALS;
        break;
    }
}

static void make_asset_issue(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    if (!asset || variant == 2) {
        gen_begin(sim, gen, TALLY_TX_ASSET_ISSUE, rng_percent(rng, 50) ? staff_actor(sim) : any_member_actor(sim));
    } else {
        tally_key issuer = asset->issuer;
        gen_begin_key(sim, gen, TALLY_TX_ASSET_ISSUE, &issuer, staff_of_key(sim, &issuer));
    }
    tally_tx_asset_move *body = &gen->tx.body.asset_move;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint32_t to = roll < 50 ? holder_actor(sim) : roll < 65 ? gen->signer_actor : any_member_actor(sim);
    if (roll >= 75) to = pick_member(sim, pick_pool_network(sim), 6, score_in_debt); /* to repay with */
    if (to == NONE) to = holder_actor(sim);
    gen->other_actor = to;
    body->to = variant == 4 ? system_key_of(sim, pick_network(sim)) : sim->keys[to];
    body->amount = rng_percent(rng, 3) ? rng_between(rng, 1000000000000, 1000000000000000) : rng_between(rng, 1, 500000);
    if (variant == 3) body->amount = bad_amount(sim);
    if (variant == 5) body->amount = INT64_MAX; /* AMOUNT_OVERFLOW once anything was issued */
}

/* Of `samples` holders (and the asset's issuer), the one holding most of asset. */
static uint32_t richest_holder(simulation *sim, uint32_t asset_id, uint32_t samples) {
    uint32_t best = holder_actor(sim);
    int64_t best_amount = tally_state_asset_balance(sim->state, asset_id, &sim->keys[best]);
    for (uint32_t i = 1; i < samples; i++) {
        uint32_t actor = holder_actor(sim);
        int64_t amount = tally_state_asset_balance(sim->state, asset_id, &sim->keys[actor]);
        if (amount > best_amount) {
            best = actor;
            best_amount = amount;
        }
    }
    return best;
}

static void make_asset_transfer(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t from = richest_holder(sim, asset_id, 6);
    if (asset && rng_percent(rng, 15)) {
        uint32_t issuer = staff_of_key(sim, &asset->issuer);
        if (issuer != NONE) from = issuer;
    }
    uint32_t variant = rng_percent(rng, 20) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    gen_begin(sim, gen, TALLY_TX_ASSET_TRANSFER, from);
    tally_tx_asset_move *body = &gen->tx.body.asset_move;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    uint32_t to = rng_percent(rng, 60) ? holder_actor(sim) : any_member_actor(sim);
    if (variant == 3) to = from; /* SELF_TRANSFER */
    gen->other_actor = to;
    body->to = sim->keys[to];
    if (variant == 4) {
        tally_key pool = tally_system_key(pick_network(sim), TALLY_SYSTEM_POOL);
        body->to = pool; /* reserves reach a pool only by its rules */
    }
    int64_t held = tally_state_asset_balance(sim->state, asset_id, &sim->keys[from]);
    body->amount = held > 0 ? rng_between(rng, 1, rng_percent(rng, 80) ? held / 2 + 1 : held) : rng_between(rng, 1, 100);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 5) body->amount = plus(held, 1 + (int64_t)rng_below(rng, 100));
}

static void make_asset_burn(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t asset_id = pick_asset(sim);
    const tally_asset *asset = tally_state_asset(sim->state, asset_id);
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (!asset || variant == 2) {
        gen_begin(sim, gen, TALLY_TX_ASSET_BURN, holder_actor(sim));
    } else {
        tally_key issuer = asset->issuer;
        gen_begin_key(sim, gen, TALLY_TX_ASSET_BURN, &issuer, staff_of_key(sim, &issuer));
    }
    tally_tx_asset_burn *body = &gen->tx.body.asset_burn;
    body->asset_id = variant == 1 ? unknown_asset(sim) : asset_id;
    int64_t held = tally_state_asset_balance(sim->state, asset_id, &gen->tx.signer);
    body->amount = held > 0 ? rng_between(rng, 1, held) : rng_between(rng, 1, 100);
    if (variant == 3) body->amount = bad_amount(sim);
    if (variant == 4) body->amount = plus(held, 1);
}

static void make_pool_deposit(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t asset_id = network ? network->reserve_asset_id : 0;
    uint32_t actor = asset_id ? richest_holder(sim, asset_id, 6) : holder_actor(sim);
    int64_t held = asset_id ? tally_state_asset_balance(sim->state, asset_id, &sim->keys[actor]) : 0;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    gen_begin(sim, gen, TALLY_TX_POOL_DEPOSIT, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (held > 0 && roll < 75) body->amount = rng_between(rng, 1, held / 3 + 1);
    else if (roll < 90) body->amount = rng_between(rng, 1, 3); /* AMOUNT_TOO_SMALL once shares are dear */
    else body->amount = held > 0 ? held : rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(held, 1);
}

static void make_pool_withdraw(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    uint32_t actor = holder_actor(sim);
    int64_t shares = tally_state_pool_shares(sim->state, network_id, &sim->keys[actor]);
    for (int i = 0; i < 8; i++) {
        uint32_t candidate = holder_actor(sim);
        int64_t owned = tally_state_pool_shares(sim->state, network_id, &sim->keys[candidate]);
        if (owned > shares) {
            actor = candidate;
            shares = owned;
        }
    }
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    gen_begin(sim, gen, TALLY_TX_POOL_WITHDRAW, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    if (shares > 0) body->amount = rng_percent(rng, 15) ? shares : rng_between(rng, 1, shares / 2 + 1);
    else body->amount = rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(shares, 1);
}

static void make_pool_repay(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t asset_id = network ? network->reserve_asset_id : 0;
    /* A member in debt who holds the reserve, if one is found. */
    uint32_t actor = NONE;
    int64_t debt = 0;
    const sim_roster *roster = network_id <= SIM_NETWORKS_MAX ? &sim->rosters[network_id] : NULL;
    for (int i = 0; roster && roster->count && i < 24 && actor == NONE; i++) {
        uint32_t candidate = roster->actors[rng_below(rng, roster->count)];
        const tally_member *member = member_of(sim, network_id, candidate);
        if (!is_current(member) || member->balance >= 0) continue;
        if (asset_id && tally_state_asset_balance(sim->state, asset_id, &sim->keys[candidate]) <= 0) continue;
        actor = candidate;
        debt = debt_of(member->balance);
    }
    if (actor == NONE) {
        actor = pick_member(sim, network_id, 4, score_in_debt);
        if (actor == NONE) actor = holder_actor(sim);
        const tally_member *member = member_of(sim, network_id, actor);
        debt = member ? debt_of(member->balance) : 0;
    }
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (variant == 4) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_POOL_REPAY, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    body->amount = debt > 0 ? rng_between(rng, 1, debt) : rng_between(rng, 1, 1000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(debt, 1); /* NOT_IN_DEBT */
}

static void make_pool_redeem(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_pool_network(sim);
    const tally_network *network = network_of(sim, network_id);
    uint32_t actor = pick_member(sim, network_id, 6, score_positive);
    if (actor == NONE) actor = any_member_actor(sim);
    /* Now and then the payer of an open hold, whose balance is partly held. */
    uint32_t payer = rng_percent(rng, 15) ? holding_payer(sim, true, &network_id) : NONE;
    if (payer != NONE) {
        actor = payer;
        network = network_of(sim, network_id);
    }
    const tally_member *member = member_of(sim, network_id, actor);
    /* From the balance: what holds hold of it may not be redeemed (INSUFFICIENT_BALANCE). */
    int64_t balance = member ? positive_of(member->balance) : 0;
    int64_t lost = 0;
    if (network) lost = debt_of(tally_state_member_at(sim->state, network->lost_debt_member)->balance);
    int64_t most = balance < lost ? balance : lost;
    uint32_t variant = rng_percent(rng, 15) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (variant == 4) actor = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_POOL_REDEEM, actor);
    tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    body->amount = most > 0 ? rng_between(rng, 1, most) : rng_between(rng, 1, 1000);
    if (network && network->reserve_asset_id && rng_percent(rng, 30)) {
        /* Around what the day's cap still lets out: the buffer and what is left of the
         * allowance (as the state says), in credits. */
        int64_t allowance = (int64_t)((int128)network->pool_primary * network->policy.redeem_cap_bps / TALLY_BPS_ONE);
        if (network->redeem_day == day_of(sim->block_time)) allowance = network->redeem_allowance;
        int128 credits = ((int128)network->pool_buffer + allowance) * network->peg_credit_units /
                         network->peg_reserve_units;
        credits += rng_between(rng, -2, 3);
        body->amount = credits < 1 ? 1 : credits > INT64_MAX ? INT64_MAX : (int64_t)credits;
    }
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 3) body->amount = plus(balance, 1);
}

static void make_fee_distribute(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    uint32_t network_id = begin_operated(sim, gen, TALLY_TX_FEE_DISTRIBUTE, variant <= 2 ? variant : 0);
    tally_tx_fee_distribute *body = &gen->tx.body.fee_distribute;
    body->network_id = network_id;
    const tally_network *network = network_of(sim, network_id);
    int64_t fees = network ? tally_state_member_at(sim->state, network->fee_member)->balance : 0;
    body->to_pool = variant < 3 && rng_percent(rng, 40);
    uint32_t to = variant == 4 ? any_member_actor(sim) : pick_member(sim, network_id, 2, score_lowest);
    if (to == NONE) to = any_member_actor(sim);
    gen->other_actor = body->to_pool ? NONE : to;
    body->to = sim->keys[to];
    if (variant == 3) body->to = system_key_of(sim, network_id);
    body->amount = fees > 0 ? rng_between(rng, 1, fees) : rng_between(rng, 1, 100);
    if (variant == 5) body->amount = plus(fees, 1);
    if (variant == 6) body->amount = bad_amount(sim);
}

/* A validator sets a staff key's approvals (sometimes too many, for a system key, or
 * signed by someone who is not a validator). */
static void make_chain_approve(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 3) : 0;
    uint32_t signer = variant == 1 ? 2 + (uint32_t)rng_below(rng, SIM_STAFF - 2)
                                   : SIM_VALIDATOR_FIRST + (uint32_t)rng_below(rng, 2);
    gen_begin(sim, gen, TALLY_TX_CHAIN_APPROVE, signer);
    tally_tx_chain_approve *body = &gen->tx.body.chain_approve;
    /* Often the key of a burst, which may just have met its limit. */
    uint32_t approved = rng_percent(rng, 40) ? sim->burst_actor : staff_actor(sim);
    gen->other_actor = approved;
    body->key = sim->keys[approved];
    body->networks = (uint32_t)rng_below(rng, 4);
    body->assets = (uint32_t)rng_below(rng, 4);
    if (rng_percent(rng, 2)) body->assets = TALLY_APPROVALS_MAX; /* the most, not above */
    if (variant == 2) body->networks = TALLY_APPROVALS_MAX + 1 + (uint32_t)rng_below(rng, 1000);
    if (variant == 3) {
        gen->other_actor = NONE;
        body->key = system_key_of(sim, pick_network(sim));
    }
}

/* How long a hold waits for its timeout: minutes, hours, days or weeks, so that
 * most holds come due at some block's end (blocks are minutes to hours apart). */
static int64_t hold_duration(sim_rng *rng) {
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 25) return rng_between(rng, 5 * 60, 3600);
    if (roll < 60) return rng_between(rng, 3600, 2 * SIM_DAY);
    if (roll < 90) return rng_between(rng, 2 * SIM_DAY, 21 * SIM_DAY);
    return rng_between(rng, 21 * SIM_DAY, 90 * SIM_DAY);
}

/* A timeout the rules refuse: not after the block, or more than 366 days ahead. */
static int64_t bad_timeout(simulation *sim) {
    sim_rng *rng = &sim->rng;
    int64_t year = (int64_t)366 * SIM_DAY;
    switch (rng_below(rng, 6)) {
    case 0: return sim->block_time;
    case 1: return sim->block_time - rng_between(rng, 1, 30 * SIM_DAY);
    case 2: return rng_percent(rng, 50) ? 0 : INT64_MIN;
    case 3: return sim->block_time + year + 1;
    case 4: return sim->block_time + year + rng_between(rng, 2, 400 * SIM_DAY);
    default: return INT64_MAX;
    }
}

/* A hold of the model: an open one (most often), or one that ended (`ended`), or
 * NULL when there is none of the kind. */
static const model_hold *pick_hold(simulation *sim, bool ended) {
    if (!ended) {
        if (sim->open_hold_count == 0) return NULL;
        return &sim->holds[sim->open_holds[rng_below(&sim->rng, sim->open_hold_count)] - 1];
    }
    for (int i = 0; sim->hold_count && i < 12; i++) {
        const model_hold *hold = &sim->holds[rng_below(&sim->rng, sim->hold_count)];
        if (hold->record.status != TALLY_PENDING_OPEN) return hold;
    }
    return NULL;
}

/* Of a few open holds, the one whose payee its posting would lift furthest past
 * its network's cap (CAP_REACHED at posting), or NULL. */
static const model_hold *pick_hold_near_cap(simulation *sim) {
    const model_hold *best = NULL;
    int128 best_over = 0;
    for (int i = 0; sim->open_hold_count && i < 16; i++) {
        const model_hold *hold = &sim->holds[sim->open_holds[rng_below(&sim->rng, sim->open_hold_count)] - 1];
        const tally_network *network = network_of(sim, hold->record.network_id);
        const tally_member *payee = tally_state_member(sim->state, hold->record.network_id, &hold->record.payee);
        if (!network || network->policy.positive_cap <= 0 || !payee) continue;
        int128 over = (int128)payee->balance + hold->record.amount - network->policy.positive_cap;
        if (!best || over > best_over) {
            best = hold;
            best_over = over;
        }
    }
    return best;
}

static bool has_resolver(const model_hold *hold) {
    static const tally_key none;
    return !same_key(&hold->record.resolver, &none);
}

/*
 * A hold: a payer with room and a payee of its network, mostly; a resolver half the
 * time (an operator of the network, another member, one of the two parties, or a key
 * that is neither); a timeout from minutes to weeks ahead (once in a while the most,
 * 366 days, or a second) with either outcome; payees now and then among the richest,
 * so that posts and releases meet the cap; now and then a payer deep in debt holding
 * for weeks, whose line may freeze and default first. One in four is built to be
 * refused in one way: a payer or payee who is no member, itself as payee, an unknown
 * network, a system payee or resolver, an amount not positive, no fee allowed, a
 * timeout refused, an unknown outcome. Amounts past the payer's room meet its floor
 * or its line's state.
 */
static void make_pending_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_busy_network(sim);
    uint32_t mode = (uint32_t)rng_below(rng, 100);
    /* Members deep in debt that hold for long: their lines freeze and default with
     * holds open, and posts move held debt after the line stopped lending. */
    bool debtor = mode >= 85;
    member_score payer_score = mode < 50   ? score_available
                               : mode < 70 ? score_balance
                               : mode < 85 ? score_any
                                           : score_in_debt;
    uint32_t payer = pick_member(sim, network_id, debtor ? 8 : 4, payer_score);
    if (payer == NONE && debtor) payer = pick_member(sim, network_id, 4, score_available);
    bool rich_payee = rng_percent(rng, 25);
    uint32_t payee = pick_member(sim, network_id, rich_payee ? 8 : 1, rich_payee ? score_balance : score_any);
    if (payee == payer) payee = pick_member(sim, network_id, 1, score_any);
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 10) : 0;
    if (payer == NONE || variant == 1) payer = any_member_actor(sim); /* NOT_MEMBER, mostly */
    if (payee == NONE || variant == 2) payee = any_member_actor(sim);
    if (variant == 3) payee = payer; /* SELF_TRANSFER */
    gen_begin(sim, gen, TALLY_TX_PENDING_CREATE, payer);
    gen->other_actor = payee;
    tally_tx_pending_create *body = &gen->tx.body.pending_create;
    body->network_id = variant == 4 ? unknown_network(sim) : network_id;
    body->payee = variant == 5 ? system_key_of(sim, network_id) : sim->keys[payee];
    const tally_network *network = network_of(sim, network_id);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 25 && network) {
        body->resolver = network->operators[rng_below(rng, network->operator_count)];
    } else if (roll < 45) {
        uint32_t resolver = pick_member(sim, network_id, 1, score_any);
        body->resolver = sim->keys[resolver != NONE ? resolver : any_member_actor(sim)];
    } else if (roll < 50) {
        body->resolver = sim->keys[rng_percent(rng, 50) ? payee : payer]; /* a party that resolves too */
    } else if (roll < 55) {
        body->resolver = sim->keys[any_member_actor(sim)];
    }
    if (variant == 6) body->resolver = system_key_of(sim, network_id); /* SYSTEM_ACCOUNT */
    const tally_member *from = member_of(sim, network_id, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 70 && available > 1) {
        body->amount = rng_between(rng, 1, available - available / 8);
    } else if (roll < 82) {
        body->amount = plus(available, 1 + (int64_t)rng_below(rng, 1000)); /* INSUFFICIENT_CREDIT, or the line's state */
    } else if (roll < 96) {
        body->amount = rng_between(rng, 1, 3000);
    } else {
        body->amount = rng_percent(rng, 50) ? any_magnitude(rng) : INT64_MAX;
    }
    if (variant == 7) body->amount = bad_amount(sim);
    roll = (uint32_t)rng_below(rng, 100);
    if (roll < 5 || variant == 8) body->max_fee = 0; /* FEE_ABOVE_MAX wherever there is a fee */
    else if (roll < 10) body->max_fee = INT64_MAX;
    else body->max_fee = body->amount > 0 ? plus(body->amount, 2) : 2;
    roll = (uint32_t)rng_below(rng, 100);
    int64_t year = (int64_t)366 * SIM_DAY;
    int64_t wait = roll < 3    ? year
                   : roll < 6  ? 1
                   : debtor    ? rng_between(rng, 3 * SIM_DAY, 60 * SIM_DAY)
                               : hold_duration(rng);
    body->timeout = sim->block_time + wait;
    if (variant == 9) body->timeout = bad_timeout(sim);
    body->outcome = (uint8_t)(rng_percent(rng, 50) ? TALLY_PENDING_RELEASE : TALLY_PENDING_REFUND);
    if (variant == 10) body->outcome = (uint8_t)(TALLY_PENDING_OUTCOME_COUNT + rng_below(rng, 250));
}

/* A post or a void signed by one of a hold's parties (actor: NONE when not known). */
static void begin_as(simulation *sim, sim_gen *gen, tally_tx_type type, const tally_key *key, uint32_t actor) {
    tally_key signer = *key;
    gen_begin_key(sim, gen, type, &signer, actor != NONE ? actor : actor_of_key(sim, &signer));
}

/* Someone a hold most likely does not name: a staff key or any member's. */
static uint32_t stranger_actor(simulation *sim) {
    return rng_percent(&sim->rng, 30) ? staff_actor(sim) : any_member_actor(sim);
}

/* An id no hold has: 0 or past the last. */
static uint32_t unknown_hold(simulation *sim) {
    if (rng_percent(&sim->rng, 40)) return 0;
    return tally_state_pending_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 50);
}

/*
 * A post of an open hold by its payer or its resolver: all of it, a part, or a
 * little (with no hold open, mostly a new hold instead); and, one in four, a post
 * refused: no such hold (0 or past the last), one that ended, a stranger or the payee
 * signing, an amount not positive or above the hold, or the hold whose payee is
 * nearest its cap (CAP_REACHED: the hold stays).
 */
static void make_pending_post(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (sim->open_hold_count == 0 && rng_percent(rng, 80)) {
        make_pending_create(sim, gen); /* nothing to post yet */
        return;
    }
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 7) : 0;
    const model_hold *hold = variant == 2 ? pick_hold(sim, true) : variant == 7 ? pick_hold_near_cap(sim) : NULL;
    if (!hold) hold = pick_hold(sim, false);
    if (!hold) hold = pick_hold(sim, true);
    if (!hold) {
        gen_begin(sim, gen, TALLY_TX_PENDING_POST, any_member_actor(sim));
        gen->tx.body.pending_end.pending_id = (uint32_t)rng_below(rng, 3); /* PENDING_NOT_FOUND */
        gen->tx.body.pending_end.amount = rng_between(rng, 1, 100);
        return;
    }
    const tally_pending *record = &hold->record;
    if (variant == 3) gen_begin(sim, gen, TALLY_TX_PENDING_POST, stranger_actor(sim));
    else if (variant == 4) begin_as(sim, gen, TALLY_TX_PENDING_POST, &record->payee, hold->payee_actor);
    else if (has_resolver(hold) && rng_percent(rng, 45))
        begin_as(sim, gen, TALLY_TX_PENDING_POST, &record->resolver, hold->resolver_actor);
    else begin_as(sim, gen, TALLY_TX_PENDING_POST, &record->payer, hold->payer_actor);
    tally_tx_pending_end *body = &gen->tx.body.pending_end;
    body->pending_id = record->id;
    if (variant == 1) body->pending_id = unknown_hold(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 40 || variant == 7) body->amount = record->amount;
    else if (roll < 85) body->amount = rng_between(rng, 1, record->amount);
    else body->amount = rng_between(rng, 1, record->amount < 10 ? record->amount : 10);
    if (variant == 5) body->amount = bad_amount(sim);
    if (variant == 6) body->amount = rng_percent(rng, 80) ? plus(record->amount, rng_between(rng, 1, 1000)) : INT64_MAX;
}

/* A void of an open hold by its payee or its resolver (with no hold open, mostly a
 * new hold instead); one in four refused: no such hold, one that ended, a stranger or
 * the payer signing. */
static void make_pending_void(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (sim->open_hold_count == 0 && rng_percent(rng, 80)) {
        make_pending_create(sim, gen); /* nothing to void yet */
        return;
    }
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    const model_hold *hold = variant == 2 ? pick_hold(sim, true) : NULL;
    if (!hold) hold = pick_hold(sim, false);
    if (!hold) hold = pick_hold(sim, true);
    if (!hold) {
        gen_begin(sim, gen, TALLY_TX_PENDING_VOID, any_member_actor(sim));
        gen->tx.body.pending_end.pending_id = (uint32_t)rng_below(rng, 3); /* PENDING_NOT_FOUND */
        return;
    }
    const tally_pending *record = &hold->record;
    if (variant == 3) gen_begin(sim, gen, TALLY_TX_PENDING_VOID, stranger_actor(sim));
    else if (variant == 4) begin_as(sim, gen, TALLY_TX_PENDING_VOID, &record->payer, hold->payer_actor);
    else if (has_resolver(hold) && rng_percent(rng, 45))
        begin_as(sim, gen, TALLY_TX_PENDING_VOID, &record->resolver, hold->resolver_actor);
    else begin_as(sim, gen, TALLY_TX_PENDING_VOID, &record->payee, hold->payee_actor);
    gen->tx.body.pending_end.pending_id = record->id;
    if (variant == 1) gen->tx.body.pending_end.pending_id = unknown_hold(sim);
}

/* ---- payment requests ---------------------------------------------------- */

/* A request of the model: an open one, or one that ended (`ended`), or NULL when
 * there is none of the kind. */
static const model_request *pick_request(simulation *sim, bool ended) {
    if (!ended) {
        if (sim->open_request_count == 0) return NULL;
        return &sim->requests[sim->open_requests[rng_below(&sim->rng, sim->open_request_count)] - 1];
    }
    for (int i = 0; sim->request_count && i < 12; i++) {
        const model_request *request = &sim->requests[rng_below(&sim->rng, sim->request_count)];
        if (request->record.status != TALLY_REQUEST_OPEN) return request;
    }
    return NULL;
}

/* Of a few open requests, one whose expiry the block's time reached (still open:
 * the block's end expires it), or NULL. */
static const model_request *pick_request_due(simulation *sim) {
    for (int i = 0; sim->open_request_count && i < 24; i++) {
        const model_request *request =
            &sim->requests[sim->open_requests[rng_below(&sim->rng, sim->open_request_count)] - 1];
        if (request->record.expiry <= sim->block_time) return request;
    }
    return NULL;
}

/* Of a few open requests, the one whose maker its payment would lift furthest past
 * its network's cap (CAP_REACHED), or NULL. */
static const model_request *pick_request_near_cap(simulation *sim) {
    const model_request *best = NULL;
    int128 best_over = 0;
    for (int i = 0; sim->open_request_count && i < 16; i++) {
        const model_request *request =
            &sim->requests[sim->open_requests[rng_below(&sim->rng, sim->open_request_count)] - 1];
        const tally_network *network = network_of(sim, request->record.network_id);
        const tally_member *maker = tally_state_member(sim->state, request->record.network_id, &request->record.payee);
        if (!network || network->policy.positive_cap <= 0 || !maker) continue;
        int128 over = (int128)maker->balance + request->record.amount - network->policy.positive_cap;
        if (!best || over > best_over) {
            best = request;
            best_over = over;
        }
    }
    return best;
}

static bool names_payer(const tally_request *request) {
    static const tally_key anyone;
    return !same_key(&request->payer, &anyone);
}

/* An id no request has: 0 or past the last. */
static uint32_t unknown_request(simulation *sim) {
    if (rng_percent(&sim->rng, 40)) return 0;
    return tally_state_request_count(sim->state) + 1 + (uint32_t)rng_below(&sim->rng, 50);
}

/*
 * A payment request: a member of a network asks an amount of another member (whose
 * available credit the amount mostly fits) or, two in five, of anyone; its expiry
 * minutes to weeks ahead (now and then a second, or 366 days), so that most come
 * due at some block's end; makers now and then among the richest, so that payments
 * meet the cap. One in four is built to be refused in one way: a maker or payer who
 * is no member, itself as payer, an unknown network, a system payer, an amount not
 * positive, an expiry refused, a memo with a refused character or too long.
 */
static void make_request_create(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const char *const memos[] = {"", "", "invoice 7", "eggs, two dozen", "\xe6\x97\xa5 rent", "\xe2\x82\xac 12"};
    uint32_t network_id = pick_busy_network(sim);
    bool rich_maker = rng_percent(rng, 20);
    uint32_t maker = pick_member(sim, network_id, rich_maker ? 8 : 1, rich_maker ? score_balance : score_any);
    bool anyone = rng_percent(rng, 40);
    uint32_t payer = anyone ? NONE : pick_member(sim, network_id, 4, score_available);
    if (payer == maker) payer = pick_member(sim, network_id, 1, score_any);
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 9) : 0;
    if (maker == NONE || variant == 1) maker = any_member_actor(sim); /* NOT_MEMBER, mostly */
    if (variant == 2) payer = any_member_actor(sim);                  /* NOT_MEMBER, mostly */
    if (variant == 3) payer = maker;                                  /* SELF_TRANSFER */
    if (payer == NONE) anyone = true;
    gen_begin(sim, gen, TALLY_TX_REQUEST_CREATE, maker);
    gen->other_actor = anyone ? NONE : payer;
    tally_tx_request_create *body = &gen->tx.body.request_create;
    body->network_id = variant == 4 ? unknown_network(sim) : network_id;
    if (!anyone) body->payer = sim->keys[payer];
    if (variant == 5) {
        body->payer = system_key_of(sim, network_id); /* SYSTEM_ACCOUNT */
        gen->other_actor = NONE;
    }
    const tally_member *from = anyone ? NULL : member_of(sim, network_id, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 65 && available > 1) body->amount = rng_between(rng, 1, available - available / 8);
    else if (roll < 77) body->amount = plus(available, 1 + (int64_t)rng_below(rng, 1000)); /* past its credit */
    else if (roll < 96) body->amount = rng_between(rng, 1, 3000);
    else body->amount = rng_percent(rng, 50) ? any_magnitude(rng) : INT64_MAX;
    if (variant == 6) body->amount = bad_amount(sim);
    roll = (uint32_t)rng_below(rng, 100);
    int64_t year = (int64_t)366 * SIM_DAY;
    int64_t wait = roll < 3 ? year : roll < 6 ? 1 : roll < 40 ? rng_between(rng, 60, 2 * 3600) : hold_duration(rng);
    body->expiry = sim->block_time + wait;
    if (variant == 7) body->expiry = bad_timeout(sim);
    text_put(&body->memo, RNG_PICK(rng, memos));
    if (variant == 8) { /* a control or invisible formatting character, or bytes that are not UTF-8 */
        text_insert_piece(rng, &body->memo, true, TALLY_MEMO_MAX);
        gen->broken = TALLY_ERR_DECODE_BAD_TEXT;
        gen->refused_text = true;
    } else if (rng_percent(rng, 6)) {
        text_insert_piece(rng, &body->memo, false, TALLY_MEMO_MAX); /* one of their neighbours */
    }
    if (variant == 9) body->memo.length = TALLY_MEMO_MAX + 1 + (uint16_t)rng_below(rng, 100);
}

/*
 * A payment of an open request by its payer (of a request to anyone, by a member of
 * its network with credit to spend); with no request open, mostly a new request
 * instead. One in four is built to be refused: no such request, one that ended,
 * one whose expiry the block reached (not yet expired by a block end), a member
 * other than the payer it names, its maker paying itself, no fee allowed, or the
 * request whose maker is nearest the cap. Payers past their credit or barred meet
 * a transfer's refusals.
 */
static void make_request_pay(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (sim->open_request_count == 0 && rng_percent(rng, 80)) {
        make_request_create(sim, gen); /* nothing to pay yet */
        return;
    }
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 7) : 0;
    const model_request *request = variant == 2   ? pick_request(sim, true)
                                   : variant == 3 ? pick_request_due(sim)
                                   : variant == 7 ? pick_request_near_cap(sim)
                                                  : NULL;
    if (!request) request = pick_request(sim, false);
    if (!request) request = pick_request(sim, true);
    if (!request) {
        gen_begin(sim, gen, TALLY_TX_REQUEST_PAY, any_member_actor(sim));
        gen->tx.body.request_end.request_id = (uint32_t)rng_below(rng, 3); /* REQUEST_NOT_FOUND */
        gen->tx.body.request_end.max_fee = INT64_MAX;
        return;
    }
    const tally_request *record = &request->record;
    if (variant == 4) {
        gen_begin(sim, gen, TALLY_TX_REQUEST_PAY, stranger_actor(sim)); /* NOT_REQUEST_PAYER, when it names one */
    } else if (variant == 5) {
        begin_as(sim, gen, TALLY_TX_REQUEST_PAY, &record->payee, request->maker_actor); /* SELF_TRANSFER */
    } else if (names_payer(record)) {
        begin_as(sim, gen, TALLY_TX_REQUEST_PAY, &record->payer, request->payer_actor);
    } else {
        uint32_t payer = pick_member(sim, record->network_id, 4, rng_percent(rng, 80) ? score_available : score_any);
        if (payer == NONE) payer = any_member_actor(sim);
        gen_begin(sim, gen, TALLY_TX_REQUEST_PAY, payer);
    }
    gen->other_actor = request->maker_actor;
    tally_tx_request_end *body = &gen->tx.body.request_end;
    body->request_id = record->id;
    if (variant == 1) body->request_id = unknown_request(sim);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 5 || variant == 6) body->max_fee = 0; /* FEE_ABOVE_MAX wherever there is a fee */
    else if (roll < 15) body->max_fee = INT64_MAX;
    else body->max_fee = plus(record->amount, 2);
}

/* A cancel of an open request by its maker (with no request open, mostly a new
 * request instead); one in four refused: no such request, one that ended, one whose
 * expiry the block reached, a stranger or the payer it names signing. */
static void make_request_cancel(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (sim->open_request_count == 0 && rng_percent(rng, 80)) {
        make_request_create(sim, gen); /* nothing to cancel yet */
        return;
    }
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    const model_request *request = variant == 2 ? pick_request(sim, true) : variant == 4 ? pick_request_due(sim) : NULL;
    if (!request) request = pick_request(sim, false);
    if (!request) request = pick_request(sim, true);
    if (!request) {
        gen_begin(sim, gen, TALLY_TX_REQUEST_CANCEL, any_member_actor(sim));
        gen->tx.body.request_end.request_id = (uint32_t)rng_below(rng, 3); /* REQUEST_NOT_FOUND */
        return;
    }
    const tally_request *record = &request->record;
    if (variant == 3 && names_payer(record) && rng_percent(rng, 50))
        begin_as(sim, gen, TALLY_TX_REQUEST_CANCEL, &record->payer, request->payer_actor);
    else if (variant == 3) gen_begin(sim, gen, TALLY_TX_REQUEST_CANCEL, stranger_actor(sim));
    else begin_as(sim, gen, TALLY_TX_REQUEST_CANCEL, &record->payee, request->maker_actor);
    gen->other_actor = request->maker_actor;
    gen->tx.body.request_end.request_id = record->id;
    if (variant == 1) gen->tx.body.request_end.request_id = unknown_request(sim);
}

/* ---- gateways between networks (docs/GATEWAYS.md) ------------------------ */

/* Whether a cross payment the generator built would pass, by the model (defined
 * with it), and what its payee would then receive. */
static bool cross_would_pass(simulation *sim, const sim_gen *gen, int64_t *received, bool *too_much);

static uint32_t modelled_networks(const simulation *sim) {
    uint32_t count = tally_state_network_count(sim->state);
    return count > SIM_NETWORKS_MAX ? SIM_NETWORKS_MAX : count;
}

static bool gateway_matches(const model_gateway *g, int status) { return status < 0 || g->record.status == status; }

/* A random gateway of the model with the status (any when status < 0), or NULL. */
static const model_gateway *pick_gateway(simulation *sim, int status) {
    uint32_t matching = 0;
    for (uint32_t i = 0; i < sim->gateway_count; i++) matching += gateway_matches(&sim->gateways[i], status);
    if (matching == 0) return NULL;
    uint32_t k = (uint32_t)rng_below(&sim->rng, matching);
    for (uint32_t i = 0; i < sim->gateway_count; i++)
        if (gateway_matches(&sim->gateways[i], status) && k-- == 0) return &sim->gateways[i];
    return NULL;
}

static uint32_t unknown_gateway(simulation *sim) {
    if (rng_percent(&sim->rng, 30)) return 0;
    return sim->gateway_count + 1 + (uint32_t)rng_below(&sim->rng, 1000);
}

/* The mirror account of partner in network (NULL before a gateway between them opened). */
static const tally_member *mirror_of(const simulation *sim, uint32_t network_id, uint32_t partner_id) {
    tally_key key = tally_gateway_key(network_id, partner_id);
    return tally_state_member(sim->state, network_id, &key);
}

static int64_t mirror_balance(const simulation *sim, uint32_t network_id, uint32_t partner_id) {
    const tally_member *mirror = mirror_of(sim, network_id, partner_id);
    return mirror ? mirror->balance : 0;
}

/* The gateway between x and y that is not closed (either way round), or NULL. */
static const model_gateway *gateway_between(const simulation *sim, uint32_t x, uint32_t y) {
    for (uint32_t i = 0; i < sim->gateway_count; i++) {
        const tally_gateway *g = &sim->gateways[i].record;
        if (g->status != TALLY_GATEWAY_CLOSED &&
            ((g->network_a == x && g->network_b == y) || (g->network_a == y && g->network_b == x)))
            return &sim->gateways[i];
    }
    return NULL;
}

static uint32_t other_side(const tally_gateway *g, uint32_t network_id) {
    return network_id == g->network_a ? g->network_b : g->network_a;
}

static tally_gateway_side random_side(sim_rng *rng) {
    static const uint32_t fees[] = {0, 0, 0, 10, 50, 100, 250};
    static const int64_t limits[] = {0, 500, 20000, 200000, 200000, 1000000, 1000000000000};
    static const uint32_t rtds[] = {0, 0, 0, 0, 0, 0, 0, 100, 1000, 5000};
    tally_gateway_side side = {RNG_PICK(rng, fees), RNG_PICK(rng, limits), RNG_PICK(rng, rtds), 0};
    return side;
}

/* A side the core refuses (BAD_POLICY): a fee or a health rule above 100%, a
 * negative limit. */
static void break_side(sim_rng *rng, tally_gateway_side *side) {
    switch (rng_below(rng, 4)) {
    case 0: side->fee_bps = TALLY_BPS_ONE + 1 + (uint32_t)rng_below(rng, 1000); break;
    case 1: side->limit = -1 - (int64_t)rng_below(rng, 1000); break;
    case 2: side->min_partner_rtd_bps = TALLY_BPS_ONE + 1; break;
    default: side->max_partner_default_bps = UINT32_MAX; break;
    }
}

static tally_gateway_terms random_terms(sim_rng *rng) {
    static const int64_t rates[][2] = {{1, 1},   {1, 1},   {1, 1}, {1, 1}, {3, 2}, {2, 3},
                                       {1, 100}, {100, 1}, {7, 5}, {4, 2}, {0, 0}, {0, 0}};
    size_t pick = rng_below(rng, sizeof rates / sizeof rates[0]);
    tally_gateway_terms terms = {rates[pick][0], rates[pick][1], {random_side(rng), random_side(rng)}};
    return terms;
}

/* An operator of network_a proposes a gateway to network_b: mostly a pair without
 * one (or with a proposal waiting, which this supersedes); else signed by a member
 * who operates nothing, an unknown network, the same network twice, a bad rate or
 * side, or a pair with an open gateway. */
static void make_gateway_propose(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    uint32_t a = pick_network(sim), b = pick_network(sim);
    for (int i = 0; i < 12; i++) {
        const model_gateway *between = gateway_between(sim, a, b);
        bool waiting = between && between->record.status == TALLY_GATEWAY_PROPOSED;
        if (a != b && (!between || (waiting && rng_percent(rng, 30)))) break;
        a = pick_network(sim), b = pick_network(sim);
    }
    const model_gateway *open = variant == 6 ? pick_gateway(sim, TALLY_GATEWAY_OPEN) : NULL;
    if (open) { /* GATEWAY_EXISTS, from either side */
        bool swap = rng_percent(rng, 50);
        a = swap ? open->record.network_b : open->record.network_a;
        b = swap ? open->record.network_a : open->record.network_b;
    }
    if (variant == 3) b = a; /* SAME_NETWORK */
    a = begin_operated_on(sim, gen, TALLY_TX_GATEWAY_PROPOSE,
                          variant == 1                           ? 2
                          : variant == 2 && rng_percent(rng, 50) ? 1
                                                                 : 0,
                          a);
    if (variant == 2 && a <= modelled_networks(sim)) b = unknown_network(sim);
    tally_tx_gateway_propose *body = &gen->tx.body.gateway_propose;
    body->network_a = a;
    body->network_b = b;
    body->terms = random_terms(rng);
    if (variant == 4) {
        static const int64_t bad[][2] = {{0, 5}, {3, 0}, {-1, 2}, {2, -7}, {INT64_MIN, 1}};
        size_t pick = rng_below(rng, sizeof bad / sizeof bad[0]);
        body->terms.rate_a = bad[pick][0];
        body->terms.rate_b = bad[pick][1];
    }
    if (variant == 5) break_side(rng, &body->terms.side[rng_below(rng, 2)]);
}

/* An operator of network_b accepts a proposal with its terms repeated; else an
 * unknown gateway, one accepted or closed already, a signer who operates no B (an
 * operator of A, a member), or terms changed since the proposal. */
static void make_gateway_accept(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    const model_gateway *g = pick_gateway(sim, TALLY_GATEWAY_PROPOSED);
    if (!g && rng_percent(rng, 80)) {
        make_gateway_propose(sim, gen); /* nothing waits */
        return;
    }
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    if (variant == 2 || !g) g = pick_gateway(sim, rng_percent(rng, 50) ? TALLY_GATEWAY_OPEN : TALLY_GATEWAY_CLOSED);
    if (!g) g = pick_gateway(sim, -1);
    if (!g) {
        gen_begin(sim, gen, TALLY_TX_GATEWAY_ACCEPT, staff_actor(sim));
        gen->tx.body.gateway_accept.gateway_id = unknown_gateway(sim);
        return;
    }
    uint32_t on = variant == 3 && rng_percent(rng, 50) ? g->record.network_a : g->record.network_b;
    begin_operated_on(sim, gen, TALLY_TX_GATEWAY_ACCEPT, variant == 3 && on == g->record.network_b ? 2 : 0, on);
    tally_tx_gateway_accept *body = &gen->tx.body.gateway_accept;
    body->gateway_id = variant == 1 ? unknown_gateway(sim) : g->record.id;
    body->terms = g->record.terms;
    if (variant == 4) {
        tally_gateway_side *side = &body->terms.side[rng_below(rng, 2)];
        switch (rng_below(rng, 5)) {
        case 0: body->terms.rate_a++; break;
        case 1: body->terms.rate_b = body->terms.rate_b ? 0 : 1; break;
        case 2: side->fee_bps = side->fee_bps ? side->fee_bps - 1 : 1; break;
        case 3: side->limit = side->limit > 0 ? side->limit - 1 : 1; break;
        default: side->min_partner_rtd_bps++; break;
        }
    }
}

/* The gateway and side an update or a freeze is about, signed by an operator of the
 * side; else an unknown gateway, one not open, a network that is no side of it, or a
 * signer who operates nothing. Returns the side (0: A, 1: B) or -1 without one. */
static int begin_side(simulation *sim, sim_gen *gen, tally_tx_type type, uint32_t variant, uint32_t *gateway_id,
                      uint32_t *network_id) {
    sim_rng *rng = &sim->rng;
    const model_gateway *g =
        variant == 2 ? pick_gateway(sim, rng_percent(rng, 50) ? TALLY_GATEWAY_PROPOSED : TALLY_GATEWAY_CLOSED)
                     : pick_gateway(sim, TALLY_GATEWAY_OPEN);
    if (!g) g = pick_gateway(sim, -1);
    if (!g) {
        gen_begin(sim, gen, type, staff_actor(sim));
        *gateway_id = unknown_gateway(sim);
        *network_id = pick_network(sim);
        return -1;
    }
    int side = (int)rng_below(rng, 2);
    uint32_t on = side ? g->record.network_b : g->record.network_a;
    if (variant == 3) { /* NOT_GATEWAY_SIDE: signed by an operator of a network beside it */
        for (int i = 0; i < 8 && (on == g->record.network_a || on == g->record.network_b); i++) on = pick_network(sim);
        if (on == g->record.network_a || on == g->record.network_b) on = unknown_network(sim);
    }
    begin_operated_on(sim, gen, type, variant == 4 ? 2 : 0, on);
    *gateway_id = variant == 1 ? unknown_gateway(sim) : g->record.id;
    *network_id = on;
    return side;
}

static void make_gateway_update(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    tally_tx_gateway_update *body = &gen->tx.body.gateway_update;
    uint32_t gateway_id, network_id;
    int side = begin_side(sim, gen, TALLY_TX_GATEWAY_UPDATE, variant, &gateway_id, &network_id);
    body->gateway_id = gateway_id;
    body->network_id = network_id;
    body->side = random_side(rng);
    bool known = side >= 0 && gateway_id >= 1 && gateway_id <= sim->gateway_count;
    const tally_gateway *g = known ? &sim->gateways[gateway_id - 1].record : NULL;
    if (g && rng_percent(rng, 50)) {
        /* Its own terms, one changed: a limit raised or lowered, the health rule off. */
        body->side = g->terms.side[side];
        if (rng_percent(rng, 60))
            body->side.limit = RNG_PICK(rng, ((const int64_t[]){0, 5000, 200000, 2000000}));
        else
            body->side.min_partner_rtd_bps = 0;
    }
    if (variant == 5) break_side(rng, &body->side);
}

static void make_gateway_freeze(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 4) : 0;
    tally_tx_gateway_freeze *body = &gen->tx.body.gateway_freeze;
    uint32_t gateway_id, network_id;
    int side = begin_side(sim, gen, TALLY_TX_GATEWAY_FREEZE, variant, &gateway_id, &network_id);
    body->gateway_id = gateway_id;
    body->network_id = network_id;
    bool frozen = side >= 0 && gateway_id >= 1 && gateway_id <= sim->gateway_count &&
                  sim->gateways[gateway_id - 1].record.frozen[side];
    /* Mostly thawed again soon: frozen gateways stay few. */
    body->frozen = frozen ? rng_percent(rng, 10) : rng_percent(rng, 60);
}

/* Closes a gateway whose mirror accounts are at zero, or a proposal; else one that
 * still holds obligations (GATEWAY_NOT_CLEAR), one closed, an unknown one, or
 * signed by a member who operates nothing. */
static void make_gateway_close(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    const model_gateway *g = NULL;
    if (roll < 45) {
        uint32_t clear[64], count = 0;
        for (uint32_t i = 0; i < sim->gateway_count && count < 64; i++) {
            const tally_gateway *r = &sim->gateways[i].record;
            if (r->status == TALLY_GATEWAY_OPEN && mirror_balance(sim, r->network_a, r->network_b) == 0 &&
                mirror_balance(sim, r->network_b, r->network_a) == 0)
                clear[count++] = i;
        }
        if (count) g = &sim->gateways[clear[rng_below(rng, count)]];
    } else if (roll < 65) {
        g = pick_gateway(sim, TALLY_GATEWAY_PROPOSED);
    } else if (roll < 85) {
        g = pick_gateway(sim, TALLY_GATEWAY_OPEN);
    } else if (roll < 92) {
        g = pick_gateway(sim, TALLY_GATEWAY_CLOSED);
    }
    if (!g && roll < 92) g = pick_gateway(sim, -1);
    if (!g) {
        gen_begin(sim, gen, TALLY_TX_GATEWAY_CLOSE, staff_actor(sim));
        gen->tx.body.gateway_end.gateway_id = unknown_gateway(sim);
        return;
    }
    uint32_t on = rng_percent(rng, 50) ? g->record.network_a : g->record.network_b;
    begin_operated_on(sim, gen, TALLY_TX_GATEWAY_CLOSE, rng_percent(rng, 6) ? 2 : 0, on);
    gen->tx.body.gateway_end.gateway_id = g->record.id;
}

/* Open gateways from network_id to a network not in `visited` (count of them). */
static const model_gateway *next_gateway(simulation *sim, uint32_t network_id, const uint32_t *visited,
                                         uint32_t count) {
    uint32_t options[64], n = 0;
    for (uint32_t i = 0; i < sim->gateway_count && n < 64; i++) {
        const tally_gateway *g = &sim->gateways[i].record;
        if (g->status != TALLY_GATEWAY_OPEN || (g->network_a != network_id && g->network_b != network_id)) continue;
        uint32_t to = other_side(g, network_id);
        bool seen = false;
        for (uint32_t k = 0; k < count; k++) seen = seen || visited[k] == to;
        if (!seen) options[n++] = i;
    }
    return n ? &sim->gateways[options[rng_below(&sim->rng, n)]] : NULL;
}

/*
 * A payment across gateways: a path walked at random over open gateways (1 to 4
 * hops), a payer with room in the first network and a payee in the last, an amount
 * the model finds passes (halved until it does, a few times), min_received the
 * model's figure or below; else a path that loops back, does not follow on, has no
 * hops or more than 4, a stray id past its hops, an unknown gateway or one not open;
 * a payer or payee who is no member (or a system account), an amount not positive
 * or past what the payer or an exposure limit allows, a max_fee below the fees or a
 * min_received above what arrives.
 */
static void make_transfer_cross(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 28) ? 1 + (uint32_t)rng_below(rng, 10) : 0;
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1], path[TALLY_PATH_HOPS_MAX] = {0};
    uint32_t hops = 0;
    const model_gateway *first = pick_gateway(sim, TALLY_GATEWAY_OPEN);
    networks[0] = pick_busy_network(sim);
    if (first) {
        networks[0] = rng_percent(rng, 50) ? first->record.network_a : first->record.network_b;
        uint32_t roll = (uint32_t)rng_below(rng, 100);
        uint32_t want = roll < 30 ? 1 : roll < 60 ? 2 : roll < 82 ? 3 : 4;
        const model_gateway *g = first;
        while (g && hops < want) {
            path[hops] = g->record.id;
            networks[hops + 1] = other_side(&g->record, networks[hops]);
            hops++;
            g = next_gateway(sim, networks[hops], networks, hops + 1);
        }
    }
    uint32_t home = networks[0], last = networks[hops];
    uint32_t payer = pick_member(sim, home, 4, score_available);
    if (payer == NONE || variant == 7) payer = any_member_actor(sim);
    uint32_t payee = pick_member(sim, last, 2, score_any);
    /* now and then the richest payee found where a cap bounds it (CAP_REACHED) */
    const tally_network *last_network = network_of(sim, last);
    bool toward_cap = variant == 0 && payee != NONE && last_network && last_network->policy.positive_cap > 0 &&
                      rng_percent(rng, 25);
    if (toward_cap) payee = pick_member(sim, last, 8, score_balance);
    if (payee == NONE || variant == 8) payee = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_TRANSFER_CROSS, payer);
    gen->other_actor = payee;
    tally_tx_transfer_cross *body = &gen->tx.body.transfer_cross;
    body->network_id = variant == 7 && rng_percent(rng, 30) ? unknown_network(sim) : home;
    body->payee = variant == 8 && rng_percent(rng, 40) ? system_key_of(sim, last) : sim->keys[payee];
    body->hop_count = (uint8_t)hops;
    for (uint32_t h = 0; h < hops; h++) body->gateways[h] = path[h];
    if (hops == 0) { /* no gateway is open: an unknown one */
        body->hop_count = 1;
        body->gateways[0] = unknown_gateway(sim);
    }
    const tally_member *from = member_of(sim, home, payer);
    int64_t available = is_current(from) ? tally_member_available(sim->state, from) : 0;
    int64_t most = rng_percent(rng, 80) ? 5000 : 200000;
    body->amount = available > 1
                       ? rng_between(rng, 1, available - available / 4 < most ? available - available / 4 : most)
                       : rng_between(rng, 1, 3000);
    if (variant == 0 && rng_percent(rng, 20)) body->amount = rng_between(rng, 100, 400); /* small: rounding shows */
    body->max_fee = rng_percent(rng, 15) ? INT64_MAX : plus(body->amount, 2);
    if (variant == 0 && hops > 0) {
        int64_t received = 0;
        bool too_much = false;
        /* (not toward a cap: that payment is meant to meet it) */
        for (int i = 0; !toward_cap && i < 6 && !cross_would_pass(sim, gen, &received, &too_much) && too_much &&
                        body->amount > 1;
             i++)
            body->amount /= 2 + (int64_t)rng_below(rng, 3);
        if (cross_would_pass(sim, gen, &received, &too_much)) {
            uint32_t roll = (uint32_t)rng_below(rng, 100);
            body->min_received = roll < 40   ? received
                                 : roll < 70 ? 0
                                 : roll < 90 ? rng_between(rng, 0, received)
                                             : plus(received, 1);
        }
        return;
    }
    switch (variant) {
    case 1: /* back to a network visited: A -> B -> A, or round a cycle to its start */
        gen->fault = FAULT_LOOP;
        if (hops >= 1 && hops < TALLY_PATH_HOPS_MAX) {
            body->gateways[hops] = body->gateways[hops - 1];
            body->hop_count = (uint8_t)(hops + 1);
        }
        break;
    case 2: { /* a gateway that does not leave from the network reached */
        gen->fault = FAULT_FOLLOW;
        uint32_t at = (uint32_t)rng_below(rng, hops ? hops : 1);
        for (int i = 0; i < 8; i++) {
            const model_gateway *g = pick_gateway(sim, TALLY_GATEWAY_OPEN);
            if (g && g->record.network_a != networks[at] && g->record.network_b != networks[at]) {
                body->gateways[at] = g->record.id;
                break;
            }
        }
        break;
    }
    case 3: /* no hops, or more than 4 */
        gen->fault = FAULT_HOPS;
        body->hop_count = rng_percent(rng, 25) ? 0 : (uint8_t)(TALLY_PATH_HOPS_MAX + 1 + rng_below(rng, 250));
        break;
    case 4: /* a stray id past the hops */
        if (body->hop_count < TALLY_PATH_HOPS_MAX)
            body->gateways[body->hop_count] = first ? first->record.id : 1 + (uint32_t)rng_below(rng, 5);
        break;
    case 5: body->gateways[rng_below(rng, body->hop_count ? body->hop_count : 1)] = unknown_gateway(sim); break;
    case 6: { /* a proposal or a closed gateway on the path */
        const model_gateway *g =
            pick_gateway(sim, rng_percent(rng, 50) ? TALLY_GATEWAY_PROPOSED : TALLY_GATEWAY_CLOSED);
        if (g) body->gateways[body->hop_count ? body->hop_count - 1 : 0] = g->record.id;
        break;
    }
    case 9:
        body->amount = rng_percent(rng, 40) ? bad_amount(sim) : plus(available, 1 + (int64_t)rng_below(rng, 100000));
        break;
    case 10:
        if (rng_percent(rng, 50))
            body->max_fee = 0;
        else
            body->min_received = rng_percent(rng, 50) ? INT64_MAX : plus(body->amount, 1);
        break;
    default: break;
    }
}

/* An obligation edge of the clearing graph: over gateway g, network `from` owes
 * `to`: from's mirror account of `to` holds credits (up to `credit`, in from's
 * unit) and to's of `from` debt (up to `debt`, in to's unit); a unit of from is
 * worth num/den of to. */
typedef struct {
    const tally_gateway *g;
    uint32_t from, to;
    int64_t credit, debt;
    int128 num, den;
} clearing_edge;

static int128 gcd128(int128 x, int128 y) {
    if (x < 0) x = -x;
    if (y < 0) y = -y;
    while (y) {
        int128 r = x % y;
        x = y, y = r;
    }
    return x;
}

#define CLEARING_BOUND ((int128)1 << 62)

/* The set-offs of one clearing around the cycle of edges (in order, each to where
 * the next leaves), k units of its smallest flow exact at every rate; false when the
 * rates round the cycle do not multiply to 1, a figure passes the bounds, or not even
 * one unit fits. `most` says the most units that fit. */
static bool cycle_setoffs(const clearing_edge *edges, uint32_t count, int64_t *most, int128 units[9]) {
    /* The flow in each network's unit as a fraction of the first's: prefix products. */
    int128 num[9], den[9], lcm = 1;
    num[0] = 1, den[0] = 1;
    for (uint32_t i = 0; i < count; i++) {
        if (num[i] > CLEARING_BOUND / edges[i].num || den[i] > CLEARING_BOUND / edges[i].den) return false;
        num[i + 1] = num[i] * edges[i].num, den[i + 1] = den[i] * edges[i].den;
        int128 d = gcd128(num[i + 1], den[i + 1]);
        num[i + 1] /= d, den[i + 1] /= d;
        int128 l = lcm / gcd128(lcm, den[i + 1]);
        if (l > CLEARING_BOUND / den[i + 1]) return false;
        lcm = l * den[i + 1];
    }
    if (num[count] != 1 || den[count] != 1) return false; /* an arbitrage cycle: nothing clears exactly */
    int128 k_max = CLEARING_BOUND;
    for (uint32_t i = 0; i <= count; i++) {
        if (num[i] > CLEARING_BOUND / (lcm / den[i] ? lcm / den[i] : 1)) return false;
        units[i] = lcm / den[i] * num[i];
        if (units[i] <= 0 || units[i] > CLEARING_BOUND) return false;
    }
    for (uint32_t i = 0; i < count; i++) {
        int128 by_credit = edges[i].credit / units[i], by_debt = edges[i].debt / units[i + 1];
        if (by_credit < k_max) k_max = by_credit;
        if (by_debt < k_max) k_max = by_debt;
    }
    if (k_max < 1) return false;
    *most = k_max > INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)k_max;
    return true;
}

static void setoff_of(const clearing_edge *edge, int128 from_amount, int128 to_amount, tally_setoff *out) {
    if (from_amount > INT64_MAX) from_amount = INT64_MAX;
    if (to_amount > INT64_MAX) to_amount = INT64_MAX;
    bool from_a = edge->from == edge->g->network_a;
    out->gateway_id = edge->g->id;
    out->amount_a = (int64_t)(from_a ? from_amount : to_amount);
    out->amount_b = (int64_t)(from_a ? to_amount : from_amount);
}

/* Looks for a cycle of obligations in the same direction (3 to 6 networks) whose
 * rates multiply to 1, by a depth-first walk from a random edge; fills its edges. */
static bool cycle_from(const clearing_edge *edges, uint32_t edge_count, uint32_t *chain, uint32_t depth,
                       uint32_t *found) {
    const clearing_edge *tail = &edges[chain[depth - 1]];
    if (depth >= 3 && tail->to == edges[chain[0]].from) {
        *found = depth;
        return true;
    }
    if (depth >= 6) return false;
    for (uint32_t e = 0; e < edge_count; e++) {
        if (edges[e].from != tail->to) continue;
        bool seen = false;
        for (uint32_t k = 1; k < depth; k++) seen = seen || edges[chain[k]].from == edges[e].to;
        if (seen || (edges[e].to == edges[chain[0]].from && depth + 1 < 3)) continue;
        chain[depth] = e;
        if (cycle_from(edges, edge_count, chain, depth + 1, found)) return true;
    }
    return false;
}

/*
 * A clearing: round a real cycle of obligations (open gateways whose obligations
 * point the same way round it, rates multiplying to 1), all that fits or part of it,
 * exact at every rate; or the same cycle broken (past zero, one set-off off its
 * rate, one network's legs unbalanced, a gateway twice), or set-offs that fit no
 * cycle, an unknown gateway or one not open, no set-offs or more than 8, amounts
 * not positive, an unused set-off not zero.
 */
/* A settlement: the debtor side of an open gateway whose partner is exposed to it,
 * whole steps of the rate up to that exposure, signed by one of its operators; or
 * too much, not whole steps, nothing, another side, an unknown gateway, a stranger. */
static void make_settle(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    tally_tx_settle *body = &gen->tx.body.settle;
    const model_gateway *owing = NULL;
    uint32_t debtor = 0;
    for (int attempt = 0; attempt < 8 && !owing; attempt++) {
        const model_gateway *g = pick_gateway(sim, TALLY_GATEWAY_OPEN);
        if (!g) break;
        const tally_gateway *r = &g->record;
        if (mirror_balance(sim, r->network_b, r->network_a) < 0) owing = g, debtor = r->network_a;
        else if (mirror_balance(sim, r->network_a, r->network_b) < 0) owing = g, debtor = r->network_b;
    }
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 6) : 0;
    if (!owing) {
        const model_gateway *g = pick_gateway(sim, -1);
        gen_begin(sim, gen, TALLY_TX_SETTLE, staff_actor(sim));
        body->gateway_id = g && rng_percent(rng, 70) ? g->record.id : unknown_gateway(sim);
        body->network_id = g ? g->record.network_a : pick_network(sim);
        body->amount = rng_between(rng, 1, 1000);
        return;
    }
    const tally_gateway *r = &owing->record;
    uint32_t partner = debtor == r->network_a ? r->network_b : r->network_a;
    int64_t step = debtor == r->network_a ? r->terms.rate_b : r->terms.rate_a;
    int64_t exposure = -mirror_balance(sim, partner, debtor);
    uint32_t on = debtor;
    if (variant == 4) { /* NOT_GATEWAY_SIDE */
        for (int i = 0; i < 8 && (on == r->network_a || on == r->network_b); i++) on = pick_network(sim);
        if (on == r->network_a || on == r->network_b) on = unknown_network(sim);
    }
    begin_operated_on(sim, gen, TALLY_TX_SETTLE, variant == 6 ? 2 : 0, on);
    body->gateway_id = variant == 5 ? unknown_gateway(sim) : r->id;
    body->network_id = on;
    int64_t steps = exposure / step;
    body->amount = steps > 0 ? step * rng_between(rng, 1, steps < 4 ? steps : steps / 4 + 1) : step;
    if (variant == 1) body->amount = exposure + step;             /* NOT_IN_DEBT */
    if (variant == 2 && step > 1) body->amount = step + 1;        /* NOT_WHOLE_STEPS */
    if (variant == 3) body->amount = rng_percent(rng, 50) ? 0 : -step; /* AMOUNT_NOT_POSITIVE */
}

static void make_clearing(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    gen_begin(sim, gen, TALLY_TX_CLEARING, rng_percent(rng, 50) ? any_member_actor(sim) : staff_actor(sim));
    tally_tx_clearing *body = &gen->tx.body.clearing;
    clearing_edge edges[64];
    uint32_t edge_count = 0;
    for (uint32_t i = 0; i < sim->gateway_count && edge_count < 64; i++) {
        const tally_gateway *g = &sim->gateways[i].record;
        if (g->status != TALLY_GATEWAY_OPEN || g->terms.rate_a <= 0 || g->terms.rate_b <= 0) continue;
        int64_t in_a = mirror_balance(sim, g->network_a, g->network_b),
                in_b = mirror_balance(sim, g->network_b, g->network_a);
        int128 d = gcd128(g->terms.rate_a, g->terms.rate_b);
        if (in_a > 0 && in_b < 0)
            edges[edge_count++] =
                (clearing_edge){g, g->network_a, g->network_b, in_a, -in_b, g->terms.rate_b / d, g->terms.rate_a / d};
        else if (in_b > 0 && in_a < 0)
            edges[edge_count++] =
                (clearing_edge){g, g->network_b, g->network_a, in_b, -in_a, g->terms.rate_a / d, g->terms.rate_b / d};
    }
    uint32_t chain[8], found = 0;
    int64_t most = 0;
    int128 units[9];
    uint32_t start = (uint32_t)rng_below(rng, edge_count ? edge_count : 1);
    for (uint32_t t = 0; t < edge_count; t++) {
        chain[0] = (start + t) % edge_count;
        found = 0;
        if (!cycle_from(edges, edge_count, chain, 1, &found)) continue;
        clearing_edge cycle[8];
        for (uint32_t k = 0; k < found; k++) cycle[k] = edges[chain[k]];
        if (cycle_setoffs(cycle, found, &most, units)) break;
        found = 0;
    }
    uint32_t variant =
        found ? (rng_percent(rng, 60) ? 1 + (uint32_t)rng_below(rng, 4) : 0) : 5 + (uint32_t)rng_below(rng, 4);
    if (found) {
        int64_t k = rng_percent(rng, 50) ? most : rng_between(rng, 1, most);
        if (variant == 1) {
            k = most + 1; /* past zero somewhere */
            gen->fault = FAULT_PAST_ZERO;
        }
        body->count = (uint8_t)found;
        for (uint32_t i = 0; i < found; i++)
            setoff_of(&edges[chain[i]], (int128)k * units[i], (int128)k * units[i + 1], &body->setoffs[i]);
        uint32_t at = (uint32_t)rng_below(rng, found);
        if (variant == 2) { /* one unit off the rate */
            gen->fault = FAULT_OFF_RATE;
            body->setoffs[at].amount_b += body->setoffs[at].amount_b > 1 && rng_percent(rng, 50) ? -1 : 1;
        } else if (variant == 3) { /* one set-off at its rate, but not the cycle's flow */
            gen->fault = FAULT_UNBALANCED;
            int64_t other = k > 1 && rng_percent(rng, 50) ? k - 1 : k + 1;
            setoff_of(&edges[chain[at]], (int128)other * units[at], (int128)other * units[at + 1], &body->setoffs[at]);
        } else if (variant == 4 && found < TALLY_CLEARING_SETOFFS_MAX) { /* a gateway twice */
            body->setoffs[found] = body->setoffs[at];
            body->count++;
        }
        if (variant <= 4) return;
    }
    switch (variant) {
    case 5: { /* set-offs at their rates on random open gateways: rarely a cycle */
        uint8_t count = (uint8_t)(1 + rng_below(rng, 3));
        body->count = 0;
        for (uint8_t i = 0; i < count; i++) {
            const model_gateway *g = pick_gateway(sim, TALLY_GATEWAY_OPEN);
            if (!g) break;
            int64_t units_of = 1 + (int64_t)rng_below(rng, 50);
            /* a rate from pegs may be huge: one unit of it then */
            int64_t rate = g->record.terms.rate_a > g->record.terms.rate_b ? g->record.terms.rate_a : g->record.terms.rate_b;
            if (rate > INT64_MAX / units_of) units_of = 1;
            body->setoffs[body->count++] =
                (tally_setoff){g->record.id, g->record.terms.rate_a * units_of, g->record.terms.rate_b * units_of};
        }
        if (body->count == 0) body->setoffs[body->count++] = (tally_setoff){unknown_gateway(sim), 1, 1};
        break;
    }
    case 6: { /* an unknown gateway, or one not open */
        const model_gateway *g =
            pick_gateway(sim, rng_percent(rng, 50) ? TALLY_GATEWAY_PROPOSED : TALLY_GATEWAY_CLOSED);
        uint8_t at = body->count ? (uint8_t)rng_below(rng, body->count) : 0;
        if (body->count == 0) body->count = 1;
        body->setoffs[at].gateway_id = g && rng_percent(rng, 70) ? g->record.id : unknown_gateway(sim);
        if (!body->setoffs[at].amount_a) body->setoffs[at].amount_a = body->setoffs[at].amount_b = 1;
        break;
    }
    case 7: /* no set-offs, more than 8, or an unused one not zero */
        if (rng_percent(rng, 50)) {
            body->count = rng_percent(rng, 50) ? 0 : (uint8_t)(TALLY_CLEARING_SETOFFS_MAX + 1 + rng_below(rng, 100));
        } else {
            if (body->count == 0) body->count = 1;
            if (body->count < TALLY_CLEARING_SETOFFS_MAX) body->setoffs[TALLY_CLEARING_SETOFFS_MAX - 1].amount_a = 1;
        }
        break;
    default: { /* amounts not positive */
        if (body->count == 0) {
            const model_gateway *g = pick_gateway(sim, TALLY_GATEWAY_OPEN);
            body->count = 1;
            body->setoffs[0].gateway_id = g ? g->record.id : 1;
        }
        uint8_t at = (uint8_t)rng_below(rng, body->count);
        body->setoffs[at].amount_a = rng_percent(rng, 50) ? 0 : -body->setoffs[at].amount_a;
        body->setoffs[at].amount_b = rng_percent(rng, 50) ? 0 : -body->setoffs[at].amount_b;
        break;
    }
    }
}

/* ---- underwriting and charges (STAKE, UNSTAKE, MEMBER_FEE_PAY) ---------- */

static int64_t score_reserve(const tally_state *state, const tally_member *member) {
    const tally_network *network = tally_state_network(state, member->network_id);
    if (!network || !network->reserve_asset_id) return UNSUITABLE;
    int64_t held = tally_state_asset_balance(state, network->reserve_asset_id, &member->key);
    return held > 0 ? held : UNSUITABLE;
}
static int64_t score_defaulted(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->status == TALLY_MEMBER_DEFAULTED ? 0 : UNSUITABLE;
}
static int64_t score_fee_owed(const tally_state *state, const tally_member *member) {
    (void)state;
    return member->fee_owed > 0 ? 0 : UNSUITABLE;
}

/* A network that takes stakes (a reserve asset and a collateral ratio), most of the
 * time; else any. */
static uint32_t pick_staking_network(simulation *sim) {
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 6; i++) {
        const tally_network *network = network_of(sim, network_id);
        if (network && network->reserve_asset_id && network->policy.collateral_ratio_bps) break;
        network_id = pick_network(sim);
    }
    return network_id;
}

/* Of a few of the model's stakes, one in network_id (0: any) with reserve still
 * locked (or any, when !locked); NULL when none is found. */
static const tally_stake *pick_stake(simulation *sim, uint32_t network_id, bool locked) {
    for (int i = 0; sim->stake_count && i < 8; i++) {
        const tally_stake *stake = &sim->stakes[rng_below(&sim->rng, sim->stake_count)];
        if ((network_id == 0 || stake->network_id == network_id) && (!locked || stake->amount > 0)) return stake;
    }
    return NULL;
}

/* Underwriters are members holding the network's reserve; lines are any members'
 * (often one already staked for, so that lines gather many underwriters), and in
 * each way the rules refuse: an unknown network, one without reserve or ratio, an
 * amount not positive, the signer's own line, a non-member on either side, a
 * defaulted line, more reserve than the underwriter has, a system account. */
/* Of a few of the model's stakes, one behind the current line with the most
 * underwriters; NULL when none is found. */
static const tally_stake *crowded_stake(simulation *sim) {
    const tally_stake *best = NULL;
    uint32_t most = 0;
    for (int i = 0; sim->stake_count && i < 16; i++) {
        const tally_stake *stake = &sim->stakes[rng_below(&sim->rng, sim->stake_count)];
        const tally_member *line = tally_state_member(sim->state, stake->network_id, &stake->member);
        if (!is_current(line) || line->status == TALLY_MEMBER_DEFAULTED || line->stake_count <= most) continue;
        best = stake;
        most = line->stake_count;
    }
    return best;
}

static void make_stake(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = rng_percent(rng, 90) ? pick_staking_network(sim) : pick_network(sim);
    uint32_t variant = rng_percent(rng, 30) ? 1 + (uint32_t)rng_below(rng, 8) : 0;
    /* Now and then the line with the most underwriters found, staked for by one of
     * the underwriters given reserve at the start: lines fill up to their 16
     * underwriters (TOO_MANY_STAKES). */
    const tally_stake *crowded = variant == 0 && rng_percent(rng, 20) ? crowded_stake(sim) : NULL;
    if (crowded) network_id = crowded->network_id;
    uint32_t underwriter = crowded ? SIM_STAFF + (uint32_t)rng_below(rng, SIM_UNDERWRITERS)
                                   : pick_member(sim, network_id, 8, score_reserve);
    if (underwriter == NONE || variant == 4) underwriter = pick_member(sim, network_id, 4, score_any);
    if (underwriter == NONE || (variant == 4 && rng_percent(rng, 50))) underwriter = any_member_actor(sim);
    gen_begin(sim, gen, TALLY_TX_STAKE, underwriter);
    tally_tx_stake *body = &gen->tx.body.stake;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    uint32_t member = crowded ? actor_of_key(sim, &crowded->member) : NONE;
    const tally_stake *staked = !crowded && rng_percent(rng, 40) ? pick_stake(sim, network_id, false) : NULL;
    if (staked) member = actor_of_key(sim, &staked->member);
    if (member == NONE || (!crowded && member == underwriter)) member = pick_member(sim, network_id, 4, score_any);
    if (variant == 5) member = any_member_actor(sim);
    if (variant == 6) {
        uint32_t defaulted = pick_member(sim, network_id, 24, score_defaulted);
        if (defaulted != NONE) member = defaulted;
    }
    if (member == NONE) member = any_member_actor(sim);
    if (variant == 3) member = underwriter;
    gen->other_actor = member;
    body->member = sim->keys[member];
    if (variant == 8) {
        body->member = system_key_of(sim, network_id);
        gen->other_actor = NONE;
    }
    const tally_network *network = network_of(sim, network_id);
    int64_t held = network && network->reserve_asset_id
                       ? tally_state_asset_balance(sim->state, network->reserve_asset_id, &sim->keys[underwriter])
                       : 0;
    body->amount = held > 0 ? (rng_percent(rng, 15) ? held : rng_between(rng, 1, held / 4 + 1)) : rng_between(rng, 1, 5000);
    if (variant == 2) body->amount = bad_amount(sim);
    if (variant == 7) body->amount = rng_between(rng, plus(held, 1), plus(held, 100000));
}

/* Mostly a stake the model knows, taken back in part, whole or more than it holds;
 * the debt of its line decides whether it may come back (STAKE_COVERS_DEBT). */
static void make_unstake(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t variant = rng_percent(rng, 25) ? 1 + (uint32_t)rng_below(rng, 5) : 0;
    /* a stake in a network whose lines are in debt, half the time */
    const tally_stake *stake = NULL;
    for (int i = 0; i < 4 && !stake; i++) {
        const tally_stake *candidate = pick_stake(sim, 0, variant != 2);
        if (!candidate) break;
        const tally_member *line = tally_state_member(sim->state, candidate->network_id, &candidate->member);
        if (i == 3 || rng_percent(rng, 50) || (line && line->balance < 0)) stake = candidate;
    }
    uint32_t network_id = stake ? stake->network_id : pick_staking_network(sim);
    uint32_t underwriter = stake ? actor_of_key(sim, &stake->underwriter) : NONE;
    uint32_t member = stake ? actor_of_key(sim, &stake->member) : NONE;
    if (underwriter == NONE || variant == 3) underwriter = pick_member(sim, network_id, 2, score_any); /* STAKE_NOT_FOUND */
    if (underwriter == NONE || variant == 5) underwriter = any_member_actor(sim);                    /* NOT_MEMBER */
    if (member == NONE) member = pick_member(sim, network_id, 2, score_any);
    if (member == NONE) member = any_member_actor(sim);
    if (variant == 4) member = underwriter; /* UNDERWRITE_SELF */
    gen_begin(sim, gen, TALLY_TX_UNSTAKE, underwriter);
    gen->other_actor = member;
    tally_tx_stake *body = &gen->tx.body.stake;
    body->network_id = variant == 1 ? unknown_network(sim) : network_id;
    body->member = sim->keys[member];
    int64_t amount = stake && stake->amount > 0 ? stake->amount : 1 + (int64_t)rng_below(rng, 1000);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 35) body->amount = amount;
    else if (roll < 85) body->amount = rng_between(rng, 1, amount);
    else if (roll < 93) body->amount = rng_between(rng, plus(amount, 1), plus(amount, 1000)); /* STAKE_SHORT */
    else body->amount = bad_amount(sim);
}

/* Mostly a member suspended for a fee, in a network that charges one; else one who
 * owes nothing, a non-member or an unknown network. */
static void make_member_fee_pay(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    uint32_t network_id = pick_network(sim);
    for (int i = 0; i < 6; i++) {
        const tally_network *network = network_of(sim, network_id);
        if (network && network->policy.membership_fee > 0) break;
        network_id = pick_network(sim);
    }
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    uint32_t actor = roll < 75 ? pick_member(sim, network_id, 32, score_fee_owed) : NONE;
    if (actor == NONE) actor = pick_member(sim, network_id, 2, score_any);     /* NO_FEE_OWED */
    if (actor == NONE || roll >= 94) actor = any_member_actor(sim);            /* NOT_MEMBER */
    gen_begin(sim, gen, TALLY_TX_MEMBER_FEE_PAY, actor);
    gen->tx.body.network_only.network_id = roll >= 97 ? unknown_network(sim) : network_id;
}

typedef void (*sim_generator)(simulation *sim, sim_gen *gen);

static const struct {
    tally_tx_type type;
    uint32_t weight;
    sim_generator make;
} generators[] = {
    {TALLY_TX_NETWORK_CREATE, 3, make_network_create},
    {TALLY_TX_POLICY_UPDATE, 6, make_policy_update},
    {TALLY_TX_PEG_SET, 5, make_peg_set},
    {TALLY_TX_OPERATOR_ADD, 5, make_operator_add},
    {TALLY_TX_OPERATOR_REMOVE, 5, make_operator_remove},
    {TALLY_TX_MEMBER_JOIN, 55, make_member_join},
    {TALLY_TX_MEMBER_ADMIT, 45, make_member_admit},
    {TALLY_TX_MEMBER_SUSPEND, 8, make_member_suspend},
    {TALLY_TX_MEMBER_REINSTATE, 15, make_member_reinstate},
    {TALLY_TX_MEMBER_LEAVE, 12, make_member_leave},
    {TALLY_TX_ALIAS_SET, 15, make_alias_set},
    {TALLY_TX_LINE_OPEN, 35, make_line_open},
    {TALLY_TX_LINE_UPDATE, 30, make_line_update},
    {TALLY_TX_LINE_CLOSE, 10, make_line_close},
    {TALLY_TX_TRANSFER, 450, make_transfer},
    {TALLY_TX_ASSET_CREATE, 3, make_asset_create},
    {TALLY_TX_ASSET_ISSUE, 25, make_asset_issue},
    {TALLY_TX_ASSET_TRANSFER, 25, make_asset_transfer},
    {TALLY_TX_ASSET_BURN, 8, make_asset_burn},
    {TALLY_TX_POOL_DEPOSIT, 25, make_pool_deposit},
    {TALLY_TX_POOL_WITHDRAW, 15, make_pool_withdraw},
    {TALLY_TX_POOL_REPAY, 20, make_pool_repay},
    {TALLY_TX_POOL_REDEEM, 20, make_pool_redeem},
    {TALLY_TX_FEE_DISTRIBUTE, 15, make_fee_distribute},
    {TALLY_TX_CHAIN_APPROVE, 5, make_chain_approve},
    {TALLY_TX_TRANSFER_BATCH, 40, make_transfer_batch},
    {TALLY_TX_PENDING_CREATE, 80, make_pending_create},
    {TALLY_TX_PENDING_POST, 30, make_pending_post},
    {TALLY_TX_PENDING_VOID, 15, make_pending_void},
    {TALLY_TX_REQUEST_CREATE, 50, make_request_create},
    {TALLY_TX_REQUEST_PAY, 30, make_request_pay},
    {TALLY_TX_REQUEST_CANCEL, 10, make_request_cancel},
    {TALLY_TX_GATEWAY_PROPOSE, 6, make_gateway_propose},
    {TALLY_TX_GATEWAY_ACCEPT, 8, make_gateway_accept},
    {TALLY_TX_GATEWAY_UPDATE, 6, make_gateway_update},
    {TALLY_TX_GATEWAY_FREEZE, 5, make_gateway_freeze},
    {TALLY_TX_GATEWAY_CLOSE, 4, make_gateway_close},
    {TALLY_TX_TRANSFER_CROSS, 60, make_transfer_cross},
    {TALLY_TX_CLEARING, 10, make_clearing},
    {TALLY_TX_SETTLE, 6, make_settle},
    {TALLY_TX_STAKE, 25, make_stake},
    {TALLY_TX_UNSTAKE, 15, make_unstake},
    {TALLY_TX_MEMBER_FEE_PAY, 10, make_member_fee_pay},
};
#define GENERATOR_COUNT (sizeof generators / sizeof generators[0])

/* Breaks the envelope in one way, whose refusal is then certain. */
static void mutate_envelope(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    static const uint8_t unknown_types[] = {0, TALLY_TX_TYPE_LAST + 1, TALLY_TX_TYPE_LAST + 2, 200, 255};
    gen->mutated = true;
    switch (rng_below(rng, 5)) {
    case 0:
        gen->tx.sequence += 1 + rng_below(rng, 3);
        gen->expect = TALLY_ERR_BAD_SEQUENCE;
        break;
    case 1:
        gen->tx.sequence = gen->tx.sequence > 1 && rng_percent(rng, 70) ? gen->tx.sequence - 1 : 0;
        gen->expect = TALLY_ERR_BAD_SEQUENCE;
        break;
    case 2:
        gen->tx.chain_id[rng_below(rng, TALLY_CHAIN_ID_BYTES)] ^= (uint8_t)(1u << rng_below(rng, 8));
        gen->expect = TALLY_ERR_WRONG_CHAIN;
        break;
    case 3:
        gen->tx.signer = system_key_of(sim, pick_network(sim));
        gen->signer_actor = NONE;
        gen->expect = TALLY_ERR_SYSTEM_SIGNER;
        break;
    default:
        tally_tx_release(&gen->tx); /* a batch's lines: an unknown type holds none */
        gen->tx.type = RNG_PICK(rng, unknown_types);
        gen->expect = TALLY_ERR_UNKNOWN_TX_TYPE;
        break;
    }
}

/* Signs a few transactions for tally_apply_signed: correctly, or with a flipped
 * signature bit, another key's signature, or a field changed after signing. */
static void sign_sometimes(simulation *sim, sim_gen *gen) {
    sim_rng *rng = &sim->rng;
    if (gen->mutated || !rng_percent(rng, 1)) return;
    uint32_t actor = gen->signer_actor != NONE ? gen->signer_actor : actor_of_key(sim, &gen->tx.signer);
    if (actor == NONE) return;
    const uint8_t *secret = sim->secrets + (size_t)actor * TALLY_SECRET_BYTES;
    gen->signed_apply = true;
    uint32_t way = (uint32_t)rng_below(rng, 4);
    if (way == 2) {
        uint32_t other = (actor + 1) % sim->actor_count;
        tally_key signer = gen->tx.signer;
        gen->tx.signer = sim->keys[other];
        tally_tx_sign(&gen->tx, sim->secrets + (size_t)other * TALLY_SECRET_BYTES);
        gen->tx.signer = signer;
    } else {
        tally_tx_sign(&gen->tx, secret);
    }
    if (way == 0) {
        uint8_t encoded[TALLY_TX_ENCODED_MAX];
        bool encodable = tally_tx_encode(&gen->tx, encoded, sizeof encoded) > 0;
        gen->must_verify = encodable;
        if (!encodable) gen->expect = TALLY_ERR_BAD_SIGNATURE;
        sim->counts.signed_good++;
        return;
    }
    if (way == 1) gen->tx.signature[rng_below(rng, TALLY_SIGNATURE_BYTES)] ^= (uint8_t)(1u << rng_below(rng, 8));
    if (way == 3) gen->tx.sequence++;
    gen->expect = TALLY_ERR_BAD_SIGNATURE;
    sim->counts.signed_bad++;
}

static void generate(simulation *sim, sim_gen *gen) {
    static uint32_t total_weight;
    if (!total_weight)
        for (size_t i = 0; i < GENERATOR_COUNT; i++) total_weight += generators[i].weight;
    /* Networks need members before anything else is interesting. */
    uint32_t members = 0;
    for (uint32_t id = 1; id <= tally_state_network_count(sim->state) && id <= SIM_NETWORKS_MAX; id++)
        members += network_of(sim, id)->member_count;
    if (sim->burst_left > 0) {
        /* The same key founds or creates again, in this block or a later one. */
        sim->burst_left--;
        sim->creator = sim->burst_actor;
        if (sim->burst_type == TALLY_TX_NETWORK_CREATE) make_network_create(sim, gen);
        else make_asset_create(sim, gen);
        sim->creator = NONE;
    } else if (sim->follow_left > 0) {
        /* The operators change their mind about what they just announced: ask it
         * again, ask something else, or withdraw it. */
        sim->follow_left--;
        if (sim->follow_type == TALLY_TX_POLICY_UPDATE) make_policy_update(sim, gen);
        else make_peg_set(sim, gen);
        if (sim->follow_left == 0) sim->follow_network = 0;
    } else if (members < 60 && rng_percent(&sim->rng, 60)) {
        if (rng_percent(&sim->rng, 50)) make_member_join(sim, gen);
        else make_member_admit(sim, gen);
    } else {
        uint32_t roll = (uint32_t)rng_below(&sim->rng, total_weight);
        size_t i = 0;
        while (roll >= generators[i].weight) roll -= generators[i++].weight;
        generators[i].make(sim, gen);
    }
    if (rng_percent(&sim->rng, 3)) mutate_envelope(sim, gen);
    sign_sometimes(sim, gen);
}

/* ------------------------------------------------------------------------ */
/* Views and the checks of one transaction.                                  */
/* ------------------------------------------------------------------------ */

static void view_member(const tally_member *member, member_view *out) {
    if (!member) return;
    out->present = true;
    memcpy(&out->member, member, sizeof out->member);
}

static void capture(const simulation *sim, const tally_tx *tx, sim_view *view) {
    const tally_state *state = sim->state;
    memset(view, 0, sizeof *view);
    view->network_count = tally_state_network_count(state);
    view->asset_count = tally_state_asset_count(state);
    view->member_count = tally_state_member_count(state);
    for (uint32_t i = 0; i < view->network_count && i < SIM_NETWORKS_MAX; i++)
        memcpy(&view->networks[i], tally_state_network(state, i + 1), sizeof view->networks[i]);
    for (uint32_t i = 0; i < view->asset_count && i < SIM_ASSETS_MAX; i++)
        memcpy(&view->assets[i], tally_state_asset(state, i + 1), sizeof view->assets[i]);
    view->sequence = tally_state_next_sequence(state, &tx->signer);
    view->pending_count = tally_state_pending_count(state);
    view->stake_count = tally_state_stake_count(state);
    uint32_t network_id = tx_network(tx);
    const tally_pending *hold = NULL;
    if (tx->type == TALLY_TX_PENDING_POST || tx->type == TALLY_TX_PENDING_VOID)
        hold = tally_state_pending(state, tx->body.pending_end.pending_id);
    if (hold) {
        view->pending_id = hold->id;
        memcpy(&view->hold, hold, sizeof view->hold);
        network_id = hold->network_id;
        view_member(tally_state_member(state, network_id, &hold->payer), &view->hold_payer);
        view_member(tally_state_member(state, network_id, &hold->payee), &view->hold_payee);
    }
    const tally_key *other = tx_other_key(tx);
    view->request_count = tally_state_request_count(state);
    const tally_request *request = NULL;
    if (tx->type == TALLY_TX_REQUEST_PAY || tx->type == TALLY_TX_REQUEST_CANCEL)
        request = tally_state_request(state, tx->body.request_end.request_id);
    if (request) {
        /* A payment is a transfer to the request's maker in its network. */
        view->request_id = request->id;
        memcpy(&view->request, request, sizeof view->request);
        network_id = request->network_id;
        other = &request->payee;
    }
    const tally_network *network = network_id <= SIM_NETWORKS_MAX ? tally_state_network(state, network_id) : NULL;
    if (network) {
        view->network_id = network_id;
        view_member(tally_state_member(state, network_id, &tx->signer), &view->signer);
        if (other) view_member(tally_state_member(state, network_id, other), &view->other);
        view_member(tally_state_member_at(state, network->fee_member), &view->fees);
        view_member(tally_state_member_at(state, network->lost_debt_member), &view->lost);
        view_member(tally_state_member_at(state, network->pool_member), &view->pool);
        view->asset_id = network->reserve_asset_id;
        view->signer_shares = tally_state_pool_shares(state, network_id, &tx->signer);
    }
    if (tx->type >= TALLY_TX_ASSET_ISSUE && tx->type <= TALLY_TX_ASSET_BURN) view->asset_id = tx_asset(tx);
    if (view->asset_id && view->asset_id <= SIM_ASSETS_MAX && tally_state_asset(state, view->asset_id)) {
        view->signer_asset = tally_state_asset_balance(state, view->asset_id, &tx->signer);
        if (other) view->other_asset = tally_state_asset_balance(state, view->asset_id, other);
        if (network) {
            tally_key pool = tally_system_key(network_id, TALLY_SYSTEM_POOL);
            view->pool_asset = tally_state_asset_balance(state, view->asset_id, &pool);
            tally_key underwriting = tally_system_key(network_id, TALLY_SYSTEM_UNDERWRITING);
            view->underwriting_asset = tally_state_asset_balance(state, view->asset_id, &underwriting);
        }
    } else {
        view->asset_id = 0;
    }
}

/* Debt is taken on only by paying (or holding), and only by a member whose line
 * lends. What holds hold counts as spent: a hold takes on its debt when it is made,
 * and posting it moves that debt into the balance without new debt. */
static void check_member_debt(simulation *sim, const member_view *before, const member_view *after, bool is_payer) {
    if (!after->present) return;
    if (!before->present || before->member.status == TALLY_MEMBER_LEFT) {
        if (after->member.status != TALLY_MEMBER_LEFT)
            SIM_EXPECT(sim, after->member.balance == 0 && after->member.pending_out == 0);
        return;
    }
    const tally_member *b = &before->member, *a = &after->member;
    int128 own_before = own_of(b), own_after = own_of(a);
    if (b->status == TALLY_MEMBER_SYSTEM || (own_after >= 0 ? 0 : -own_after) <= (own_before >= 0 ? 0 : -own_before))
        return;
    SIM_EXPECT(sim, is_payer);
    /* A frozen, expired, suspended or defaulted member never gains new debt. */
    SIM_EXPECT(sim, may_borrow(b));
    SIM_EXPECT(sim, own_after >= -(int128)b->limit);
}

/* Everything outside what the transaction names stays as it was; pools, assets
 * and debt move only in the ways their rules allow. */
static void check_tables(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                         const sim_view *a) {
    uint8_t type = tx->type;
    bool creates_network = type == TALLY_TX_NETWORK_CREATE, creates_asset = type == TALLY_TX_ASSET_CREATE;
    SIM_EXPECT(sim, a->network_count == b->network_count + (creates_network ? 1u : 0u));
    SIM_EXPECT(sim, a->asset_count == b->asset_count + (creates_asset ? 1u : 0u));
    bool creates_hold = type == TALLY_TX_PENDING_CREATE;
    SIM_EXPECT(sim, a->pending_count == b->pending_count + (creates_hold ? 1u : 0u));
    if (creates_network) SIM_EXPECT(sim, r->created_id == a->network_count);
    if (creates_asset) SIM_EXPECT(sim, r->created_id == a->asset_count);
    if (creates_hold) SIM_EXPECT(sim, r->created_id == a->pending_count);
    bool creates_request = type == TALLY_TX_REQUEST_CREATE;
    SIM_EXPECT(sim, a->request_count == b->request_count + (creates_request ? 1u : 0u));
    if (creates_request) SIM_EXPECT(sim, r->created_id == a->request_count);
    bool creates_gateway = type == TALLY_TX_GATEWAY_PROPOSE; /* its id checked with the model */
    if (!creates_network && !creates_asset && !creates_hold && !creates_request && !creates_gateway)
        SIM_EXPECT(sim, r->created_id == 0);
    uint32_t added = a->member_count - b->member_count;
    bool joins = type == TALLY_TX_MEMBER_JOIN || type == TALLY_TX_MEMBER_ADMIT;
    /* Accepting a gateway opens its two mirror accounts, the first time. */
    bool opens_gateway = type == TALLY_TX_GATEWAY_ACCEPT;
    SIM_EXPECT(sim, added == (creates_network ? 3u : 0u) || (joins && added == 1) || (opens_gateway && added == 2));
    bool gateway_type = type >= TALLY_TX_GATEWAY_PROPOSE && type <= TALLY_TX_SETTLE;
    for (uint32_t i = 0; i < b->network_count && i < SIM_NETWORKS_MAX; i++) {
        const tally_network *nb = &b->networks[i], *na = &a->networks[i];
        /* A gateway transaction changes the networks the model found it may (and
         * compares their supply and debt itself); no other. */
        if (gateway_type && sim->gateway_touches[i + 1]) {
            /* ... in which only the money's sums (the model's), the count of its
             * gateways (check_gateways) and its records (two mirror accounts) move. */
            tally_network same = *na;
            same.supply = nb->supply, same.debt = nb->debt, same.open_gateways = nb->open_gateways;
            if (opens_gateway) same.member_records = nb->member_records, same.last_member = nb->last_member;
            /* and the running health period's counters and the mirror accounts' sums,
             * which every balance change keeps (checked by the invariants) */
            same.health_volume = nb->health_volume, same.health_active = nb->health_active;
            same.health_largest_debt = nb->health_largest_debt;
            same.mirror_debt = nb->mirror_debt, same.mirror_credit = nb->mirror_credit;
            if (type == TALLY_TX_SETTLE) same.pool_buffer = nb->pool_buffer; /* checked with the model */
            SIM_EXPECT(sim, memcmp(nb, &same, sizeof same) == 0);
            continue;
        }
        if (b->network_id != i + 1) {
            SIM_EXPECT(sim, memcmp(nb, na, sizeof *nb) == 0);
            continue;
        }
        SIM_EXPECT(sim, na->debt - nb->debt == r->minted - r->burned);
        SIM_EXPECT(sim, na->pool_total_shares <= nb->pool_total_shares || type == TALLY_TX_POOL_DEPOSIT);
        int128 reserve_before = pool_reserve(nb), reserve_after = pool_reserve(na);
        SIM_EXPECT(sim, reserve_after >= reserve_before || type == TALLY_TX_POOL_WITHDRAW ||
                            type == TALLY_TX_POOL_REDEEM);
        SIM_EXPECT(sim, reserve_after <= reserve_before || type == TALLY_TX_POOL_DEPOSIT ||
                            type == TALLY_TX_POOL_REPAY);
    }
    uint32_t moved_asset = type >= TALLY_TX_ASSET_ISSUE && type <= TALLY_TX_ASSET_BURN ? tx_asset(tx) : 0;
    for (uint32_t i = 0; i < b->asset_count && i < SIM_ASSETS_MAX; i++) {
        const tally_asset *ab = &b->assets[i], *aa = &a->assets[i];
        /* Holders (a derived count) only grow: a pool's or a member's first holding. */
        SIM_EXPECT(sim, aa->holders >= ab->holders);
        if (moved_asset != i + 1) {
            tally_asset same_holders = *aa;
            same_holders.holders = ab->holders;
            SIM_EXPECT(sim, memcmp(ab, &same_holders, sizeof *ab) == 0);
            continue;
        }
        SIM_EXPECT(sim, aa->issued >= ab->issued && aa->burned >= ab->burned);
        SIM_EXPECT(sim, aa->issued - aa->burned >= ab->issued - ab->burned || type == TALLY_TX_ASSET_BURN);
    }
}

static void check_result_fields(simulation *sim, uint8_t type, const tally_result *r) {
    bool pays = type == TALLY_TX_TRANSFER || type == TALLY_TX_TRANSFER_BATCH || type == TALLY_TX_REQUEST_PAY ||
                type == TALLY_TX_TRANSFER_CROSS;
    /* A hold says the fee it holds, a post the fee it charges (and what it mints and
     * burns) and the risk-fee part of it (the underwriters', docs/UNDERWRITING.md). */
    bool posts = type == TALLY_TX_PENDING_POST, holds_fee = type == TALLY_TX_PENDING_CREATE || posts;
    if (!pays && !posts) SIM_EXPECT(sim, r->risk_fee == 0);
    if (posts) SIM_EXPECT(sim, r->risk_fee >= 0 && r->risk_fee <= r->fee);
    /* a membership fee's payment is a payment of the fee (its minting, if any,
     * the model compares with the network's debt) */
    bool pays_fee = type == TALLY_TX_MEMBER_FEE_PAY;
    bool stakes = type == TALLY_TX_STAKE || type == TALLY_TX_UNSTAKE;
    if (!pays && !posts && !pays_fee) SIM_EXPECT(sim, r->minted == 0);
    if (!pays && !holds_fee && !pays_fee) SIM_EXPECT(sim, r->fee == 0);
    if (!pays && !posts && !pays_fee && type != TALLY_TX_FEE_DISTRIBUTE && type != TALLY_TX_POOL_REDEEM)
        SIM_EXPECT(sim, r->burned == 0);
    SIM_EXPECT(sim, r->line == 0);
    /* a settlement pays reserve (its value back in `available`), a stake locks it */
    if ((type < TALLY_TX_POOL_DEPOSIT || type > TALLY_TX_POOL_REDEEM) && type != TALLY_TX_SETTLE && !stakes)
        SIM_EXPECT(sim, r->reserve == 0 && r->shares == 0);
    if (stakes) SIM_EXPECT(sim, r->reserve > 0 && r->shares == 0);
    if (type == TALLY_TX_SETTLE) SIM_EXPECT(sim, r->reserve > 0 && r->shares == 0);
    if (type != TALLY_TX_POOL_DEPOSIT) SIM_EXPECT(sim, r->to_primary == 0 && r->to_excess == 0);
    if (type != TALLY_TX_TRANSFER_CROSS && type != TALLY_TX_SETTLE && !stakes)
        SIM_EXPECT(sim, r->available == 0); /* a cross payment: what arrived; a stake: the line's limit */
    if (type != TALLY_TX_POLICY_UPDATE && type != TALLY_TX_PEG_SET) SIM_EXPECT(sim, r->effective_at == 0);
    SIM_EXPECT(sim, r->minted >= 0 && r->burned >= 0 && r->fee >= 0 && r->risk_fee >= 0 && r->risk_fee <= r->fee);
}

static const tally_network *named_before(const sim_view *b) { return &b->networks[b->network_id - 1]; }
static const tally_network *named_after(const sim_view *a) { return &a->networks[a->network_id - 1]; }

static void check_transfer(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                           const sim_view *a) {
    const tally_tx_transfer *body = &tx->body.transfer;
    const tally_network *network = named_before(b);
    SIM_EXPECT(sim, b->signer.present && b->other.present && a->signer.present && a->other.present);
    if (sim->failed) return;
    const tally_member *payer_b = &b->signer.member, *payer_a = &a->signer.member;
    const tally_member *payee_b = &b->other.member, *payee_a = &a->other.member;
    bool borrows = may_borrow(payer_b);
    /* What its holds hold is spent: the risk fee is on the part beyond the rest. */
    int128 own = own_of(payer_b), positive = own > 0 ? own : 0;
    int64_t on_credit = body->amount > positive ? (int64_t)(body->amount - positive) : 0;
    int64_t risk_fee = borrows ? fee_of(on_credit, payer_b->risk_fee_bps) : 0;
    SIM_EXPECT(sim, r->risk_fee == risk_fee);
    SIM_EXPECT(sim, (int128)r->fee == (int128)fee_of(body->amount, network->policy.fee_bps) + risk_fee);
    SIM_EXPECT(sim, r->fee <= body->max_fee);
    SIM_EXPECT(sim, (int128)payer_a->balance == (int128)payer_b->balance - body->amount - r->fee);
    /* The payer's underwriters took their shares of the risk fee from the fee account
     * (check_shares); the payee may be one of them. */
    SIM_EXPECT(sim, (int128)payee_a->balance ==
                        (int128)payee_b->balance + body->amount + share_to(sim, b->network_id, &body->payee));
    SIM_EXPECT(sim, (int128)a->fees.member.balance == (int128)b->fees.member.balance + r->fee - sim->shares_paid);
    SIM_EXPECT(sim, own_of(payer_a) >= (borrows ? -payer_b->limit : 0));
    SIM_EXPECT(sim, r->minted == debt_of(payer_a->balance) - debt_of(payer_b->balance));
    /* what the payment burned, and the debt of underwriters its risk fee's shares paid off */
    int64_t payee_share = share_to(sim, b->network_id, &body->payee);
    SIM_EXPECT(sim, r->burned == debt_of(payee_b->balance) - debt_of(payee_a->balance - payee_share) +
                                     shares_burned(sim, b->network_id));
    /* No payment takes a payee past the cap (one already above a lowered cap keeps it). */
    int64_t cap = network->policy.positive_cap;
    if (cap > 0 && payee_a->balance > cap) SIM_EXPECT(sim, payee_a->balance <= payee_b->balance);
}

static void check_fee_distribute(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                                 const sim_view *a) {
    const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
    SIM_EXPECT(sim, a->fees.member.balance == b->fees.member.balance - body->amount);
    if (body->to_pool) {
        SIM_EXPECT(sim, a->pool.member.balance == b->pool.member.balance + body->amount);
        SIM_EXPECT(sim, r->burned == 0);
        return;
    }
    SIM_EXPECT(sim, b->other.present && a->other.present);
    if (sim->failed) return;
    SIM_EXPECT(sim, a->other.member.balance == b->other.member.balance + body->amount);
    SIM_EXPECT(sim, r->burned == debt_of(b->other.member.balance) - debt_of(a->other.member.balance));
    int64_t cap = named_before(b)->policy.positive_cap;
    if (cap > 0 && a->other.member.balance > cap)
        SIM_EXPECT(sim, a->other.member.balance <= b->other.member.balance);
}

static void check_pool_deposit(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                               const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t amount = tx->body.pool_amount.amount;
    SIM_EXPECT(sim, r->reserve == amount && r->to_primary >= 0 && r->to_excess >= 0);
    SIM_EXPECT(sim, (int128)r->to_primary + r->to_excess == amount);
    /* Primary up to the target RTD, the rest to excess. */
    int64_t required;
    if (required_primary(nb, &required)) {
        int64_t missing = required > nb->pool_primary ? required - nb->pool_primary : 0;
        SIM_EXPECT(sim, r->to_primary == (amount < missing ? amount : missing));
    }
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary + r->to_primary);
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess + r->to_excess);
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount && a->pool_asset == b->pool_asset + amount);
    /* Shares: 1:1 into an empty pool, else pro rata of primary + excess, rounded down. */
    int128 value = (int128)nb->pool_primary + nb->pool_excess;
    SIM_EXPECT(sim, nb->pool_total_shares == 0 || value > 0);
    if (sim->failed) return;
    int128 shares = nb->pool_total_shares == 0 ? amount : (int128)amount * nb->pool_total_shares / value;
    SIM_EXPECT(sim, r->shares == shares && r->shares > 0);
    SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares + r->shares);
    SIM_EXPECT(sim, a->signer_shares == b->signer_shares + r->shares);
}

static void check_pool_withdraw(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                                const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t shares = tx->body.pool_amount.amount;
    int128 value = (int128)nb->pool_primary + nb->pool_excess;
    int128 paid = (int128)shares * value / nb->pool_total_shares;
    SIM_EXPECT(sim, r->shares == shares && r->reserve == paid && paid > 0 && paid <= nb->pool_excess);
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess - r->reserve);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary && na->pool_buffer == nb->pool_buffer);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset + r->reserve && a->pool_asset == b->pool_asset - r->reserve);
    if (na->pool_share_epoch == nb->pool_share_epoch) {
        SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares - shares);
        SIM_EXPECT(sim, a->signer_shares == b->signer_shares - shares);
    } else {
        /* The pool emptied: every share is void. */
        SIM_EXPECT(sim, na->pool_share_epoch == nb->pool_share_epoch + 1 && na->pool_primary == 0 &&
                            na->pool_excess == 0 && na->pool_total_shares == 0 && a->signer_shares == 0);
    }
}

static void check_pool_repay(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                             const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t credits = tx->body.pool_amount.amount;
    int128 reserve = ((int128)credits * nb->peg_reserve_units + nb->peg_credit_units - 1) / nb->peg_credit_units;
    SIM_EXPECT(sim, r->reserve == reserve);
    SIM_EXPECT(sim, a->signer.member.balance == b->signer.member.balance + credits);
    SIM_EXPECT(sim, a->lost.member.balance == b->lost.member.balance - credits);
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer + r->reserve);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary && na->pool_excess == nb->pool_excess);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset - r->reserve && a->pool_asset == b->pool_asset + r->reserve);
}

static void check_pool_redeem(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                              const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    int64_t credits = tx->body.pool_amount.amount;
    int128 reserve = (int128)credits * nb->peg_reserve_units / nb->peg_credit_units;
    int128 burned = (reserve * nb->peg_credit_units + nb->peg_reserve_units - 1) / nb->peg_reserve_units;
    SIM_EXPECT(sim, r->reserve == reserve && r->burned == burned && reserve > 0 && burned <= credits);
    /* It never pays out more than the credits it burns are worth. */
    SIM_EXPECT(sim, reserve * nb->peg_credit_units <= burned * nb->peg_reserve_units);
    SIM_EXPECT(sim, a->signer.member.balance == b->signer.member.balance - r->burned);
    SIM_EXPECT(sim, a->lost.member.balance == b->lost.member.balance + r->burned);
    int64_t from_buffer = r->reserve < nb->pool_buffer ? r->reserve : nb->pool_buffer;
    SIM_EXPECT(sim, na->pool_buffer == nb->pool_buffer - from_buffer);
    SIM_EXPECT(sim, na->pool_primary == nb->pool_primary - (r->reserve - from_buffer));
    SIM_EXPECT(sim, na->pool_excess == nb->pool_excess);
    SIM_EXPECT(sim, a->signer_asset == b->signer_asset + r->reserve && a->pool_asset == b->pool_asset - r->reserve);
    if (na->pool_share_epoch != nb->pool_share_epoch)
        SIM_EXPECT(sim, na->pool_primary == 0 && na->pool_excess == 0 && na->pool_total_shares == 0);
}

static void check_assets(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    uint32_t asset_id = tx_asset(tx);
    const tally_asset *ab = &b->assets[asset_id - 1], *aa = &a->assets[asset_id - 1];
    switch (tx->type) {
    case TALLY_TX_ASSET_ISSUE: {
        int64_t amount = tx->body.asset_move.amount;
        SIM_EXPECT(sim, aa->issued == ab->issued + amount && aa->burned == ab->burned);
        SIM_EXPECT(sim, a->other_asset == b->other_asset + amount);
        break;
    }
    case TALLY_TX_ASSET_TRANSFER: {
        int64_t amount = tx->body.asset_move.amount;
        SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount && a->other_asset == b->other_asset + amount);
        break;
    }
    default: {
        int64_t amount = tx->body.asset_burn.amount;
        SIM_EXPECT(sim, aa->burned == ab->burned + amount && aa->issued == ab->issued);
        SIM_EXPECT(sim, a->signer_asset == b->signer_asset - amount);
        break;
    }
    }
}

/* weight * min(x, full) / full rounded toward zero, x at least -full; 0 without a
 * weight or a full figure (docs/UNDERWRITING.md section 3). */
static int64_t model_part(uint32_t weight, int64_t x, int64_t full) {
    if (full <= 0 || weight == 0) return 0;
    x = x > full ? full : x < -full ? -full : x;
    return (int64_t)((int128)weight * x / full);
}

/* The reputation score of a record, restated from docs/UNDERWRITING.md. */
static uint32_t model_score(const tally_reputation_rule *rule, int64_t age_days, const tally_member *m) {
    int64_t volume = plus(positive_of(m->volume_given), positive_of(m->volume_received));
    int64_t score = (int64_t)rule->base + model_part(rule->age_weight, age_days > 0 ? age_days : 0, rule->age_full_days) +
                    model_part(rule->volume_weight, volume, rule->volume_full) +
                    model_part(rule->streak_weight, m->compliant_streak, rule->streak_full) +
                    model_part(rule->review_weight, m->review_points, rule->review_full) -
                    (int64_t)m->defaults * rule->default_penalty;
    return score < 0 ? 0u : score > 1000 ? 1000u : (uint32_t)score;
}

static void check_membership(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    const tally_network *nb = named_before(b), *na = named_after(a);
    bool join = tx->type == TALLY_TX_MEMBER_JOIN;
    const member_view *before = join ? &b->signer : &b->other, *after = join ? &a->signer : &a->other;
    SIM_EXPECT(sim, !before->present || before->member.status == TALLY_MEMBER_LEFT);
    SIM_EXPECT(sim, after->present);
    if (sim->failed) return;
    const tally_member *m = &after->member;
    /* A suspension or a default survives leaving and joining again (and then no
     * line opens by itself): what the member left as is the model's record. */
    uint32_t actor = join ? sim->current_gen->signer_actor : sim->current_gen->other_actor;
    uint8_t left_with = 0;
    if (before->present && actor != NONE) left_with = sim->left_with[(size_t)b->network_id * sim->actor_count + actor];
    SIM_EXPECT(sim, !before->present || left_with != 0);
    bool restricted = left_with == TALLY_MEMBER_SUSPENDED || left_with == TALLY_MEMBER_DEFAULTED;
    uint8_t status = restricted ? left_with : TALLY_MEMBER_ACTIVE;
    SIM_EXPECT(sim, m->status == status && m->balance == 0 && m->joined_at == sim->block_time);
    /* its score from the day it joins (age 0; a record that comes back keeps the rest) */
    SIM_EXPECT(sim, m->reputation == model_score(&nb->policy.reputation, 0, m));
    SIM_EXPECT(sim, na->member_count == nb->member_count + 1 && na->member_count <= nb->policy.max_members);
    if (left_with == TALLY_MEMBER_SUSPENDED) {
        SIM_EXPECT(sim, m->limit == 0 && m->line_status == TALLY_LINE_NONE);
        sim->counts.rejoined_suspended++;
    } else if (left_with == TALLY_MEMBER_DEFAULTED) {
        SIM_EXPECT(sim, m->limit == 0 && m->line_status == TALLY_LINE_DEFAULTED);
        sim->counts.rejoined_defaulted++;
    } else if (nb->policy.default_credit_limit > 0) {
        SIM_EXPECT(sim, m->line_status == TALLY_LINE_ACTIVE && m->limit == nb->policy.default_credit_limit);
        SIM_EXPECT(sim, m->period_start == sim->block_time &&
                            m->period_end == sim->block_time + (int64_t)nb->policy.period_seconds);
        SIM_EXPECT(sim, m->risk_fee_bps == nb->policy.default_risk_fee_bps);
    } else {
        SIM_EXPECT(sim, m->line_status == TALLY_LINE_NONE && m->limit == 0);
    }
}

static void check_member_actions(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    const tally_member *other_b = &b->other.member, *other_a = &a->other.member;
    switch (tx->type) {
    case TALLY_TX_MEMBER_LEAVE:
        SIM_EXPECT(sim, a->signer.member.status == TALLY_MEMBER_LEFT && a->signer.member.balance == 0 &&
                            a->signer.member.limit == 0 && a->signer.member.alias[0] == '\0');
        /* Only with nothing held: a hold of a member who left could not be paid. */
        SIM_EXPECT(sim, b->signer.member.pending_out == 0);
        SIM_EXPECT(sim, named_after(a)->member_count == named_before(b)->member_count - 1);
        break;
    case TALLY_TX_MEMBER_SUSPEND:
        SIM_EXPECT(sim, other_b->status == TALLY_MEMBER_ACTIVE && other_a->status == TALLY_MEMBER_SUSPENDED);
        break;
    case TALLY_TX_MEMBER_REINSTATE:
        SIM_EXPECT(sim, (other_b->status == TALLY_MEMBER_SUSPENDED || other_b->status == TALLY_MEMBER_DEFAULTED) &&
                            other_a->status == TALLY_MEMBER_ACTIVE);
        break;
    case TALLY_TX_LINE_OPEN: {
        const tally_tx_line_open *body = &tx->body.line_open;
        uint32_t period = body->period_seconds ? body->period_seconds : named_before(b)->policy.period_seconds;
        SIM_EXPECT(sim, !line_is_open(other_b) && other_a->line_status == TALLY_LINE_ACTIVE);
        /* stakes still behind the member back the new line at once */
        int64_t underwritten = model_cover(named_before(b), other_b->staked_behind);
        SIM_EXPECT(sim, other_a->underwritten_limit == underwritten);
        SIM_EXPECT(sim, other_a->limit == body->limit + underwritten && other_a->risk_fee_bps == body->risk_fee_bps);
        SIM_EXPECT(sim, other_a->period_start == sim->block_time && other_a->period_end == sim->block_time + period);
        SIM_EXPECT(sim, other_a->limit >= -own_of(other_a)); /* what holds hold counts as debt */
        break;
    }
    case TALLY_TX_LINE_UPDATE: {
        const tally_tx_line_update *body = &tx->body.line_update;
        /* the limit asked is the own part; the underwritten part stays on top */
        SIM_EXPECT(sim, other_a->underwritten_limit == other_b->underwritten_limit);
        SIM_EXPECT(sim, other_a->limit == body->limit + other_b->underwritten_limit &&
                            other_a->risk_fee_bps == body->risk_fee_bps);
        SIM_EXPECT(sim, (int128)body->limit + other_b->underwritten_limit >= -own_of(other_b) && line_is_open(other_b));
        if (other_b->line_status == TALLY_LINE_EXPIRED)
            SIM_EXPECT(sim, other_a->line_status == TALLY_LINE_ACTIVE && other_a->period_start == sim->block_time);
        else
            SIM_EXPECT(sim, other_a->line_status == other_b->line_status);
        break;
    }
    case TALLY_TX_LINE_CLOSE:
        SIM_EXPECT(sim, line_is_open(other_b) && own_of(other_b) >= 0);
        SIM_EXPECT(sim, other_a->line_status == TALLY_LINE_CLOSED && other_a->limit == 0 &&
                            other_a->underwritten_limit == 0 && other_a->staked_behind == other_b->staked_behind);
        break;
    case TALLY_TX_ALIAS_SET: {
        const tally_text *alias = &tx->body.alias_set.alias;
        SIM_EXPECT(sim, strlen(a->signer.member.alias) == alias->length &&
                            memcmp(a->signer.member.alias, alias->bytes, alias->length) == 0);
        break;
    }
    default: break;
    }
}

static bool operators_list(const tally_network *network, const tally_key *key) {
    for (uint8_t i = 0; i < network->operator_count; i++)
        if (memcmp(network->operators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return true;
    return false;
}

/* Creations, policy updates, pegs and approvals are checked against the model
 * (check_outcome); what is left here is what the model does not hold. */
static void check_network_actions(simulation *sim, const tally_tx *tx, const sim_view *b, const sim_view *a) {
    switch (tx->type) {
    case TALLY_TX_PEG_SET: {
        const tally_network *nb = named_before(b), *na = named_after(a);
        if (tx->body.peg_set.asset_id != nb->reserve_asset_id)
            SIM_EXPECT(sim, pool_reserve(nb) == 0 && na->pool_total_shares == 0);
        break;
    }
    case TALLY_TX_OPERATOR_ADD: {
        const tally_network *na = named_after(a);
        SIM_EXPECT(sim, na->operator_count == named_before(b)->operator_count + 1);
        SIM_EXPECT(sim, memcmp(na->operators[na->operator_count - 1].bytes, tx->body.network_key.key.bytes,
                               TALLY_KEY_BYTES) == 0);
        break;
    }
    case TALLY_TX_OPERATOR_REMOVE:
        SIM_EXPECT(sim, named_after(a)->operator_count == named_before(b)->operator_count - 1);
        SIM_EXPECT(sim, !operators_list(named_after(a), &tx->body.network_key.key));
        break;
    default: break;
    }
}

/* The refusals the rules of DESIGN.md allow for a transfer, worked out from the
 * state before it without the core's code. None means it must be accepted; else
 * the core must give one of them (in whatever order it checks). */
typedef struct {
    tally_error codes[16];
    int64_t available[16]; /* where known: the `available` the refusal must carry */
    bool has_available[16];
    int count;
} sim_reasons;

static void reason_add(sim_reasons *reasons, tally_error code) {
    if (reasons->count < 16) {
        reasons->has_available[reasons->count] = false;
        reasons->codes[reasons->count++] = code;
    }
}

static void reason_add_available(sim_reasons *reasons, tally_error code, int64_t available) {
    if (reasons->count < 16) {
        reasons->available[reasons->count] = available;
        reasons->has_available[reasons->count] = true;
        reasons->codes[reasons->count++] = code;
    }
}

/* The outcome the reasons allow: accepted when there is none, else refused with one
 * of them, and with the `available` the model worked out for it. */
static void expect_outcome(simulation *sim, const tally_result *result, const sim_reasons *reasons, const char *what) {
    char message[400];
    if (reasons->count == 0) {
        if (result->code == TALLY_OK) return;
        snprintf(message, sizeof message, "%s that the rules allow was refused (%s)", what,
                 tally_error_name(result->code));
        sim_fail(sim, __LINE__, message);
        return;
    }
    for (int i = 0; i < reasons->count; i++) {
        if (reasons->codes[i] != result->code) continue;
        if (reasons->has_available[i] && result->available != reasons->available[i]) {
            snprintf(message, sizeof message, "%s refused with %s says available %lld, the rules %lld", what,
                     tally_error_name(result->code), (long long)result->available, (long long)reasons->available[i]);
            sim_fail(sim, __LINE__, message);
        }
        return;
    }
    int length = snprintf(message, sizeof message, "%s got %s; the rules allow only:", what,
                          tally_error_name(result->code));
    for (int i = 0; i < reasons->count && length > 0 && (size_t)length < sizeof message; i++)
        length += snprintf(message + length, sizeof message - (size_t)length, " %s",
                           tally_error_name(reasons->codes[i]));
    sim_fail(sim, __LINE__, message);
}

static bool fits_int64(int128 value) { return value > INT64_MIN && value <= INT64_MAX; }

/* One payment as the model sees it: the payer's and payee's records (balances that
 * may be a batch's running ones), the fee account's balance and the network's
 * aggregates, and what it may pay in fees. */
typedef struct {
    const tally_network *network;
    const tally_member *payer, *payee;
    int64_t fees_balance, supply, debt;
    int64_t amount, max_fee;
    int64_t fee_available_base; /* a batch's fees before this line: FEE_ABOVE_MAX's `available` adds them */
} model_payment;

typedef struct {
    int64_t fee, risk_fee, payer_after, payee_after, fees_after, supply, debt;
} model_outcome;

static bool in_int64(int128 value) { return value >= INT64_MIN && value <= INT64_MAX; }

/* The fee of paying or holding `amount`: the base fee on all of it and, while the
 * payer's line lends, its risk fee on the part beyond what the payer has of its own
 * (balance - pending_out, when positive); each rounded up. */
static int128 model_fee(const tally_network *network, const tally_member *payer, int128 own, int64_t amount,
                        int64_t *risk_fee) {
    int128 positive = own > 0 ? own : 0;
    int64_t on_credit = amount > positive ? (int64_t)(amount - positive) : 0;
    *risk_fee = may_borrow(payer) ? fee_of(on_credit, payer->risk_fee_bps) : 0;
    /* Each fee is at most the amount, but their sum need not fit. */
    return (int128)fee_of(amount, network->policy.fee_bps) + *risk_fee;
}

/* The payer's floor, as a payment and a hold meet it: -limit while its line lends,
 * else 0, against what it keeps of its own afterwards (after_held: the balance after,
 * less what its holds hold). Refused, it says the room it had (own - floor, at least
 * 0); a line that cannot lend says why. */
static void floor_reasons(sim_reasons *reasons, const tally_member *payer, int128 own, int128 after_held) {
    bool borrows = may_borrow(payer);
    int128 floor = borrows ? -(int128)payer->limit : 0;
    if (after_held >= floor) return;
    int128 headroom = own - floor;
    int64_t left = headroom < 0 ? 0 : headroom > INT64_MAX ? INT64_MAX : (int64_t)headroom;
    bool specific = !borrows && (payer->status == TALLY_MEMBER_SUSPENDED || payer->status == TALLY_MEMBER_DEFAULTED ||
                                 payer->line_status == TALLY_LINE_FROZEN || payer->line_status == TALLY_LINE_EXPIRED);
    if (!specific) reason_add_available(reasons, TALLY_ERR_INSUFFICIENT_CREDIT, left);
    if (borrows) return;
    if (payer->status == TALLY_MEMBER_SUSPENDED) reason_add_available(reasons, TALLY_ERR_MEMBER_SUSPENDED, left);
    if (payer->status == TALLY_MEMBER_DEFAULTED) reason_add_available(reasons, TALLY_ERR_MEMBER_DEFAULTED, left);
    if (payer->line_status == TALLY_LINE_FROZEN) reason_add_available(reasons, TALLY_ERR_LINE_FROZEN, left);
    if (payer->line_status == TALLY_LINE_EXPIRED) reason_add_available(reasons, TALLY_ERR_LINE_EXPIRED, left);
}

/* The network's supply and debt after some balances change (old to new), or false
 * when a total leaves int64 or a balance would be INT64_MIN. */
static bool model_aggregates(int64_t *supply, int64_t *debt, const int64_t *old_balances, const int128 *new_balances,
                             int count) {
    int128 supply_after = *supply, debt_after = *debt;
    for (int i = 0; i < count; i++) {
        if (!fits_int64(new_balances[i])) return false;
        int64_t now = (int64_t)new_balances[i];
        supply_after += (int128)positive_of(now) - positive_of(old_balances[i]);
        debt_after += (int128)debt_of(now) - debt_of(old_balances[i]);
    }
    if (supply_after < 0 || supply_after > INT64_MAX || debt_after < 0 || debt_after > INT64_MAX) return false;
    *supply = (int64_t)supply_after;
    *debt = (int64_t)debt_after;
    return true;
}

/* The money rules of one payment, restated from DESIGN.md: the reasons it is
 * refused (with the `available` each says), or none and what it does. What the
 * payer's holds hold is spent as far as the payment goes. */
static void payment_reasons(const model_payment *p, sim_reasons *reasons, model_outcome *out) {
    const tally_member *payer = p->payer, *payee = p->payee;
    int128 own = own_of(payer);
    int64_t risk_fee;
    int128 fee = model_fee(p->network, payer, own, p->amount, &risk_fee);
    if (fee > p->max_fee) {
        int128 needed = fee + p->fee_available_base;
        reason_add_available(reasons, TALLY_ERR_FEE_ABOVE_MAX, needed > INT64_MAX ? INT64_MAX : (int64_t)needed);
    }
    int128 payer_after = (int128)payer->balance - p->amount - fee;
    int128 payee_after = (int128)payee->balance + p->amount;
    int128 fees_after = (int128)p->fees_balance + fee;
    int128 after_held = payer_after - payer->pending_out;
    bool overflow = !in_int64(own) || !fits_int64(fee) || !fits_int64((int128)p->amount + fee) ||
                    !fits_int64(payer_after) || !in_int64(after_held) || !fits_int64(payee_after) ||
                    !fits_int64(fees_after);
    int64_t supply = p->supply, debt = p->debt;
    if (!overflow) {
        const int64_t old_balances[] = {payer->balance, payee->balance, p->fees_balance};
        const int128 new_balances[] = {payer_after, payee_after, fees_after};
        overflow = !model_aggregates(&supply, &debt, old_balances, new_balances, 3);
    }
    if (overflow) reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
    floor_reasons(reasons, payer, own, after_held);
    int64_t cap = p->network->policy.positive_cap;
    if (cap > 0 && payee_after > cap && payee_after > payee->balance)
        reason_add_available(reasons, TALLY_ERR_CAP_REACHED, positive_of(cap - positive_of(payee->balance)));
    if (reasons->count) return;
    *out = (model_outcome){(int64_t)fee, risk_fee, (int64_t)payer_after, (int64_t)payee_after, (int64_t)fees_after,
                           supply, debt};
}

static void transfer_reasons(simulation *sim, const sim_gen *gen, const sim_view *b, sim_reasons *reasons) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_transfer *body = &tx->body.transfer;
    memset(reasons, 0, sizeof *reasons);
    if (!b->network_id) {
        reason_add(reasons, TALLY_ERR_UNKNOWN_NETWORK);
        return;
    }
    const tally_network *network = named_before(b);
    bool payer_ok = b->signer.present && is_current(&b->signer.member);
    bool payee_system = tally_key_is_system(&body->payee);
    bool payee_ok = b->other.present && is_current(&b->other.member);
    bool self = memcmp(body->payee.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0;
    if (body->amount <= 0) reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (body->memo.length > TALLY_MEMO_MAX) reason_add(reasons, TALLY_ERR_DECODE_BAD_LENGTH);
    if (gen->broken != TALLY_OK) reason_add(reasons, gen->broken); /* a memo with a refused character */
    if (!payer_ok) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (self) reason_add(reasons, TALLY_ERR_SELF_TRANSFER);
    if (payee_system) reason_add(reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    else if (!payee_ok) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (reasons->count) return;
    const tally_member *payer = &b->signer.member;
    bool borrows = may_borrow(payer);
    /* What the payer may spend: what it has of its own (balance - pending_out) + limit
     * on a lending line, else that when it is positive. */
    int128 own = own_of(payer) < INT64_MIN ? INT64_MIN : own_of(payer);
    int128 room = borrows ? own + payer->limit : own;
    room = room < 0 ? 0 : room > INT64_MAX ? INT64_MAX : room;
    SIM_EXPECT(sim, tally_member_available(sim->state, payer) == (int64_t)room);
    model_payment payment = {network,       payer,         &b->other.member, b->fees.member.balance, network->supply,
                             network->debt, body->amount,  body->max_fee,    0};
    model_outcome outcome;
    payment_reasons(&payment, reasons, &outcome);
}

static void check_transfer_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b) {
    sim_reasons reasons;
    transfer_reasons(sim, gen, b, &reasons);
    expect_outcome(sim, result, &reasons, "a payment");
}

/* ---- batches: single transfers, line by line, on copies ----------------- */

struct batch_prediction {
    sim_reasons reasons; /* of the refused line (or of the batch as a whole); none: accepted */
    uint16_t line;       /* the line refused, from 1; 0: the batch as a whole */
    int64_t fee, risk_fee, minted, burned;
    int64_t payer_after, fees_after;
    uint32_t payee_count;
    tally_key payees[TALLY_BATCH_LINES_MAX]; /* each once, with the balance its lines make */
    int64_t payee_after[TALLY_BATCH_LINES_MAX];
    bool repeated; /* a payee has several lines */
};

/* Whether a line is compliant with its network's rule, restated from DESIGN.md. */
static bool model_compliant(const tally_member *member, const tally_policy *policy) {
    switch (policy->compliance_rule) {
    case TALLY_COMPLIANCE_ZERO_BALANCE: return member->balance >= 0;
    case TALLY_COMPLIANCE_REBALANCED: return member->rebalanced_in_period || member->balance >= 0;
    default: {
        int64_t debt = debt_of(member->balance);
        return debt == 0 || member->income_in_period >= fee_of(debt, policy->min_income_bps);
    }
    }
}

/* What a payment does to its payer's line: a balance at or above zero counts as
 * rebalanced, and a frozen line that is compliant again lends again (a new period). */
static void model_after_paying(tally_member *payer, const tally_policy *policy) {
    if (payer->line_status != TALLY_LINE_ACTIVE && payer->line_status != TALLY_LINE_FROZEN) return;
    if (payer->balance >= 0) payer->rebalanced_in_period = true;
    if (payer->line_status == TALLY_LINE_FROZEN && model_compliant(payer, policy)) {
        payer->line_status = TALLY_LINE_ACTIVE;
        payer->income_in_period = 0;
        payer->rebalanced_in_period = false;
    }
}

/* The prediction, made on the state before the batch (see the top of the file). */
static void batch_predict(simulation *sim, const sim_gen *gen, batch_prediction *out) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_transfer_batch *body = &tx->body.transfer_batch;
    memset(out, 0, sizeof *out);
    const tally_network *network =
        body->network_id >= 1 && body->network_id <= tally_state_network_count(sim->state)
            ? tally_state_network(sim->state, body->network_id)
            : NULL;
    if (!network) {
        reason_add(&out->reasons, TALLY_ERR_UNKNOWN_NETWORK);
        return;
    }
    if (body->line_count == 0 || body->line_count > TALLY_BATCH_LINES_MAX || !body->lines) {
        reason_add(&out->reasons, TALLY_ERR_DECODE_BAD_LENGTH);
        return;
    }
    const tally_member *payer_record = tally_state_member(sim->state, network->id, &tx->signer);
    if (!is_current(payer_record)) {
        reason_add(&out->reasons, TALLY_ERR_NOT_MEMBER);
        return;
    }
    tally_member payer = *payer_record;
    const tally_member *fees = tally_state_member_at(sim->state, network->fee_member);
    int64_t fees_balance = fees->balance, supply = network->supply, debt = network->debt, fee_total = 0;
    tally_member payees[TALLY_BATCH_LINES_MAX]; /* copies, with running balances */
    for (uint16_t i = 0; i < body->line_count; i++) {
        const tally_batch_line *line = &body->lines[i];
        out->line = (uint16_t)(i + 1);
        sim_reasons *reasons = &out->reasons;
        if (line->amount <= 0) reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
        if (line->memo.length > TALLY_BATCH_MEMO_MAX) reason_add(reasons, TALLY_ERR_DECODE_BAD_LENGTH);
        if (gen->broken != TALLY_OK && gen->broken_line == i + 1) reason_add(reasons, gen->broken);
        if (same_key(&line->payee, &tx->signer)) reason_add(reasons, TALLY_ERR_SELF_TRANSFER);
        const tally_member *payee_record = tally_state_member(sim->state, network->id, &line->payee);
        if (tally_key_is_system(&line->payee)) reason_add(reasons, TALLY_ERR_SYSTEM_ACCOUNT);
        else if (!is_current(payee_record)) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
        if (reasons->count) return;
        uint32_t k = 0;
        while (k < out->payee_count && !same_key(&out->payees[k], &line->payee)) k++;
        if (k == out->payee_count) {
            out->payees[k] = line->payee;
            payees[k] = *payee_record;
            out->payee_count++;
        } else {
            out->repeated = true;
        }
        model_payment payment = {network, &payer, &payees[k], fees_balance, supply, debt, line->amount,
                                 body->max_fee - fee_total, fee_total};
        model_outcome done;
        payment_reasons(&payment, reasons, &done);
        if (reasons->count) return;
        out->minted += debt_of(done.payer_after) - debt_of(payer.balance);
        out->burned += debt_of(payees[k].balance) - debt_of(done.payee_after);
        fee_total += done.fee;
        out->risk_fee += done.risk_fee;
        payer.balance = done.payer_after;
        payees[k].balance = done.payee_after;
        fees_balance = done.fees_after;
        supply = done.supply;
        debt = done.debt;
        model_after_paying(&payer, &network->policy);
    }
    out->line = 0;
    out->fee = fee_total;
    out->payer_after = payer.balance;
    out->fees_after = fees_balance;
    for (uint32_t k = 0; k < out->payee_count; k++) out->payee_after[k] = payees[k].balance;
}

/* The batch did what the prediction says: refused with one of the first failing
 * line's reasons naming that line, or accepted with every line's effect. */
static void check_batch_outcome(simulation *sim, const sim_gen *gen, const tally_result *result) {
    const batch_prediction *p = sim->batch;
    expect_outcome(sim, result, &p->reasons, "a batch");
    if (p->reasons.count) {
        if (result->code == TALLY_OK) return;
        if (result->line != p->line) {
            char what[160];
            snprintf(what, sizeof what, "a batch refused with %s names line %u, the model line %u",
                     tally_error_name(result->code), result->line, p->line);
            sim_fail(sim, __LINE__, what);
        }
        if (p->line == 0) sim->counts.batch_refused_whole++;
        else if (p->line == 1) sim->counts.batch_refused_first++;
        else sim->counts.batch_refused_later++;
        return;
    }
    if (result->code != TALLY_OK) return;
    const tally_tx_transfer_batch *body = &gen->tx.body.transfer_batch;
    SIM_EXPECT(sim, result->line == 0);
    SIM_EXPECT(sim, result->fee == p->fee && result->risk_fee == p->risk_fee);
    SIM_EXPECT(sim, result->minted == p->minted &&
                        result->burned == p->burned + shares_burned(sim, gen->tx.body.transfer_batch.network_id));
    SIM_EXPECT(sim, result->fee <= body->max_fee);
    const tally_network *network = tally_state_network(sim->state, body->network_id);
    SIM_EXPECT(sim, network != NULL);
    if (!network) return;
    SIM_EXPECT(sim, tally_state_member(sim->state, body->network_id, &gen->tx.signer)->balance == p->payer_after);
    SIM_EXPECT(sim, tally_state_member_at(sim->state, network->fee_member)->balance == p->fees_after - sim->shares_paid);
    for (uint32_t k = 0; k < p->payee_count; k++)
        SIM_EXPECT(sim, tally_state_member(sim->state, body->network_id, &p->payees[k])->balance ==
                            p->payee_after[k] + share_to(sim, body->network_id, &p->payees[k]));
    sim->counts.batches_paid++;
    sim->counts.batch_lines_paid += body->line_count;
    if (p->repeated) sim->counts.batch_payees_repeated++;
}

/* ---- pending transfers: the model's table of holds ---------------------- */

static bool same_pending(const tally_pending *a, const tally_pending *b) {
    return a->id == b->id && a->network_id == b->network_id && same_key(&a->payer, &b->payer) &&
           same_key(&a->payee, &b->payee) && same_key(&a->resolver, &b->resolver) && a->amount == b->amount &&
           a->fee == b->fee && a->timeout == b->timeout && a->outcome == b->outcome && a->status == b->status &&
           a->created_at == b->created_at && a->posted == b->posted;
}

static void hold_add(simulation *sim, const tally_pending *record, uint32_t payer_actor, uint32_t payee_actor) {
    if (sim->hold_count == sim->hold_capacity) {
        sim->hold_capacity = sim->hold_capacity ? sim->hold_capacity * 2 : 256;
        sim->holds = realloc(sim->holds, sim->hold_capacity * sizeof *sim->holds);
        sim->open_holds = realloc(sim->open_holds, sim->hold_capacity * sizeof *sim->open_holds);
        if (!sim->holds || !sim->open_holds) abort();
    }
    model_hold *hold = &sim->holds[sim->hold_count++];
    memset(hold, 0, sizeof *hold);
    hold->record = *record;
    hold->payer_actor = payer_actor;
    hold->payee_actor = payee_actor;
    hold->resolver_actor = has_resolver(hold) ? actor_of_key(sim, &record->resolver) : NONE;
    hold->open_at = sim->open_hold_count;
    sim->open_holds[sim->open_hold_count++] = record->id;
    sim->counts.holds_created++;
}

/* A hold ends, once: the model's record takes its final status (and what reached
 * the payee), and it leaves the list of open holds. */
static void hold_end(simulation *sim, model_hold *hold, uint8_t status, int64_t posted) {
    SIM_EXPECT(sim, hold->record.status == TALLY_PENDING_OPEN && status != TALLY_PENDING_OPEN);
    if (hold->record.status != TALLY_PENDING_OPEN) return;
    hold->record.status = status;
    hold->record.posted = posted;
    uint32_t last = sim->open_holds[--sim->open_hold_count];
    sim->open_holds[hold->open_at] = last;
    sim->holds[last - 1].open_at = hold->open_at;
}

/* PENDING_CREATE, restated from DESIGN.md: the reasons it is refused (in whatever
 * order the core checks them), and the fee of the whole amount once the rules get
 * that far (-1 before): the base fee rounded up and, while the line lends, the risk
 * fee on the part beyond what the payer has of its own. The hold is then checked
 * against the payer's floor as if spent. */
static void pending_create_reasons(simulation *sim, const sim_gen *gen, const sim_view *b, sim_reasons *reasons,
                                   int64_t *fee_out, int64_t *risk_fee_out) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_pending_create *body = &tx->body.pending_create;
    memset(reasons, 0, sizeof *reasons);
    *fee_out = -1;
    *risk_fee_out = 0;
    if (!b->network_id) {
        reason_add(reasons, TALLY_ERR_UNKNOWN_NETWORK);
        return;
    }
    if (body->amount <= 0) reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (same_key(&body->payee, &tx->signer)) reason_add(reasons, TALLY_ERR_SELF_TRANSFER);
    int128 ahead = (int128)body->timeout - sim->block_time;
    if (ahead <= 0 || ahead > (int128)366 * SIM_DAY) reason_add(reasons, TALLY_ERR_BAD_TIMEOUT);
    if (body->outcome >= TALLY_PENDING_OUTCOME_COUNT) reason_add(reasons, TALLY_ERR_DECODE_BAD_VALUE);
    bool payee_system = tally_key_is_system(&body->payee);
    if (payee_system || tally_key_is_system(&body->resolver)) reason_add(reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    if (!payee_system && (!b->other.present || !is_current(&b->other.member))) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (!b->signer.present || !is_current(&b->signer.member)) {
        reason_add(reasons, TALLY_ERR_NOT_MEMBER);
        return;
    }
    if (body->amount <= 0) return;
    /* The money rules, whatever else refuses it: the core may check them first. */
    const tally_member *payer = &b->signer.member;
    int128 own = own_of(payer);
    int64_t risk_fee;
    int128 fee = model_fee(named_before(b), payer, own, body->amount, &risk_fee);
    int128 held = (int128)body->amount + fee, after = own - held;
    if (!in_int64(own) || !in_int64(fee) || !in_int64(held) || !in_int64(after))
        reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
    if (!in_int64(fee)) return;
    *fee_out = (int64_t)fee;
    *risk_fee_out = risk_fee;
    if (fee > body->max_fee) reason_add_available(reasons, TALLY_ERR_FEE_ABOVE_MAX, (int64_t)fee);
    floor_reasons(reasons, payer, own, after);
}

static bool at_floor(tally_error code) {
    return code == TALLY_ERR_INSUFFICIENT_CREDIT || code == TALLY_ERR_MEMBER_SUSPENDED ||
           code == TALLY_ERR_MEMBER_DEFAULTED || code == TALLY_ERR_LINE_FROZEN || code == TALLY_ERR_LINE_EXPIRED;
}

static void check_pending_create_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                         const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_pending_create *body = &tx->body.pending_create;
    sim_reasons reasons;
    int64_t fee, risk_fee;
    pending_create_reasons(sim, gen, b, &reasons, &fee, &risk_fee);
    expect_outcome(sim, result, &reasons, "a hold");
    if (result->code != TALLY_OK) {
        /* A refusal at the floor says the fee it worked out, like a transfer's (which
         * the model knows when no earlier rule refuses it). */
        if (!at_floor(result->code)) SIM_EXPECT(sim, result->fee == 0);
        else if (fee >= 0) SIM_EXPECT(sim, result->fee == fee);
        return;
    }
    if (reasons.count) return;
    SIM_EXPECT(sim, result->fee == fee && result->created_id == b->pending_count + 1);
    SIM_EXPECT(sim, sim->hold_count == b->pending_count);
    if (sim->failed) return;
    tally_pending record;
    memset(&record, 0, sizeof record);
    record.id = b->pending_count + 1;
    record.network_id = body->network_id;
    record.payer = tx->signer;
    record.payee = body->payee;
    record.resolver = body->resolver;
    record.amount = body->amount;
    record.fee = fee;
    record.risk_fee = risk_fee; /* its underwriters' when posted */
    record.timeout = body->timeout;
    record.outcome = body->outcome;
    record.status = TALLY_PENDING_OPEN;
    record.created_at = sim->block_time;
    hold_add(sim, &record, gen->signer_actor, gen->other_actor);
}

/* Posting `amount` of an open hold, as the model sees it: the payee's standing and
 * the balances and aggregates at that moment (a transaction's, or a block end's
 * running ones), and the cap then in force. */
typedef struct {
    const tally_pending *hold;
    int64_t amount;
    bool payee_current;
    int64_t payer_balance, payee_balance, fees_balance;
    int64_t cap, supply, debt;
} model_post;

typedef struct {
    int64_t fee, payer_after, payee_after, fees_after, supply, debt;
} model_posting;

/* The fee of posting `amount` of a hold: its share of the fee held, rounded up. */
static int64_t posted_fee_of(const tally_pending *hold, int64_t amount) {
    return (int64_t)(((int128)hold->fee * amount + hold->amount - 1) / hold->amount);
}

/* The risk-fee part of that fee, its share of the risk fee held rounded up (never
 * more than the fee): the payer's underwriters' (docs/UNDERWRITING.md). */
static int64_t posted_risk_fee_of(const tally_pending *hold, int64_t amount) {
    int64_t risk = (int64_t)(((int128)hold->risk_fee * amount + hold->amount - 1) / hold->amount);
    int64_t fee = posted_fee_of(hold, amount);
    return risk < fee ? risk : fee;
}

/* The rules of posting, restated: the payee still a current member, the fee pro
 * rata, the payee's cap (a balance already above a lowered cap is not taken away),
 * every balance and the network's supply and debt in range. The payer's floor is
 * not checked again: the hold was checked as if spent. */
static void posting_reasons(const model_post *p, sim_reasons *reasons, model_posting *out) {
    if (!p->payee_current) {
        reason_add(reasons, TALLY_ERR_NOT_MEMBER);
        return;
    }
    int64_t fee = posted_fee_of(p->hold, p->amount);
    int128 payer_after = (int128)p->payer_balance - p->amount - fee;
    int128 payee_after = (int128)p->payee_balance + p->amount;
    int128 fees_after = (int128)p->fees_balance + fee;
    int64_t supply = p->supply, debt = p->debt;
    const int64_t old_balances[] = {p->payer_balance, p->payee_balance, p->fees_balance};
    const int128 new_balances[] = {payer_after, payee_after, fees_after};
    if (!model_aggregates(&supply, &debt, old_balances, new_balances, 3)) reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
    if (p->cap > 0 && payee_after > p->cap && payee_after > p->payee_balance)
        reason_add_available(reasons, TALLY_ERR_CAP_REACHED, positive_of(p->cap - positive_of(p->payee_balance)));
    if (reasons->count) return;
    *out = (model_posting){fee, (int64_t)payer_after, (int64_t)payee_after, (int64_t)fees_after, supply, debt};
}

/* The hold a post or a void names, as the model has it (NULL: no such hold). */
static model_hold *named_hold(simulation *sim, const tally_tx *tx) {
    uint32_t id = tx->body.pending_end.pending_id;
    return id >= 1 && id <= sim->hold_count ? &sim->holds[id - 1] : NULL;
}

static bool signed_by(const tally_tx *tx, const tally_key *key) { return same_key(&tx->signer, key); }

static bool resolves(const model_hold *hold, const tally_tx *tx) {
    return has_resolver(hold) && signed_by(tx, &hold->record.resolver);
}

static void check_pending_post_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                       const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_pending_end *body = &tx->body.pending_end;
    SIM_EXPECT(sim, sim->hold_count == b->pending_count);
    model_hold *hold = named_hold(sim, tx);
    sim_reasons reasons = {0};
    model_posting done = {0};
    if (!hold) {
        reason_add(&reasons, TALLY_ERR_PENDING_NOT_FOUND);
    } else if (hold->record.status != TALLY_PENDING_OPEN) {
        reason_add(&reasons, TALLY_ERR_PENDING_ENDED);
    } else if (!signed_by(tx, &hold->record.payer) && !resolves(hold, tx)) {
        reason_add(&reasons, TALLY_ERR_NOT_RESOLVER);
    } else if (body->amount <= 0) {
        reason_add(&reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    } else if (body->amount > hold->record.amount) {
        reason_add_available(&reasons, TALLY_ERR_POST_ABOVE_PENDING, hold->record.amount);
    } else {
        SIM_EXPECT(sim, b->network_id == hold->record.network_id && b->hold_payer.present);
        if (sim->failed) return;
        const tally_network *network = named_before(b);
        model_post post = {&hold->record,
                           body->amount,
                           b->hold_payee.present && is_current(&b->hold_payee.member),
                           b->hold_payer.member.balance,
                           b->hold_payee.member.balance,
                           b->fees.member.balance,
                           network->policy.positive_cap,
                           network->supply,
                           network->debt};
        posting_reasons(&post, &reasons, &done);
    }
    expect_outcome(sim, result, &reasons, "a post");
    if (result->code == TALLY_ERR_CAP_REACHED) sim->counts.hold_posts_capped++;
    if (result->code != TALLY_OK || reasons.count) return;
    const tally_member *payer = &b->hold_payer.member, *payee = &b->hold_payee.member;
    SIM_EXPECT(sim, result->fee == done.fee);
    SIM_EXPECT(sim, result->risk_fee == posted_risk_fee_of(&hold->record, body->amount));
    SIM_EXPECT(sim, result->minted == debt_of(done.payer_after) - debt_of(payer->balance));
    /* the payee's debt it paid off, and the underwriters' the risk fee's shares did
     * (check_shares) */
    SIM_EXPECT(sim, result->burned == debt_of(payee->balance) - debt_of(done.payee_after) +
                                          shares_burned(sim, hold->record.network_id));
    sim->counts.holds_posted++;
    if (body->amount < hold->record.amount) sim->counts.holds_posted_in_part++;
    if (!signed_by(tx, &hold->record.payer)) sim->counts.holds_posted_by_resolver++;
    /* Debt held while the line lent, moved into the balance after it stopped lending. */
    if (!may_borrow(payer) && done.payer_after < 0 && done.payer_after < payer->balance)
        sim->counts.hold_posts_from_debt++;
    hold_end(sim, hold, TALLY_PENDING_POSTED, body->amount);
}

static void check_pending_void_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                       const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    SIM_EXPECT(sim, sim->hold_count == b->pending_count);
    model_hold *hold = named_hold(sim, tx);
    sim_reasons reasons = {0};
    if (!hold) reason_add(&reasons, TALLY_ERR_PENDING_NOT_FOUND);
    else if (hold->record.status != TALLY_PENDING_OPEN) reason_add(&reasons, TALLY_ERR_PENDING_ENDED);
    else if (!signed_by(tx, &hold->record.payee) && !resolves(hold, tx)) reason_add(&reasons, TALLY_ERR_NOT_RESOLVER);
    expect_outcome(sim, result, &reasons, "a void");
    if (result->code != TALLY_OK || reasons.count) return;
    sim->counts.holds_voided++;
    if (!signed_by(tx, &hold->record.payee)) sim->counts.holds_voided_by_resolver++;
    hold_end(sim, hold, TALLY_PENDING_VOIDED, 0);
}

/* What an accepted hold, post or void did to the records it names, from the views:
 * a hold moves no balance and adds amount + fee to its payer's pending_out; a post
 * moves amount + fee from the payer (never below its -limit then), amount to the
 * payee and the fee to the fee account, and releases the whole hold; a void only
 * releases it. */
static void check_pending(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                          const sim_view *a) {
    if (tx->type == TALLY_TX_PENDING_CREATE) {
        const tally_tx_pending_create *body = &tx->body.pending_create;
        SIM_EXPECT(sim, b->signer.present && b->other.present && a->signer.present && a->other.present);
        if (sim->failed) return;
        const tally_member *payer_b = &b->signer.member, *payer_a = &a->signer.member;
        SIM_EXPECT(sim, payer_a->balance == payer_b->balance && a->other.member.balance == b->other.member.balance &&
                            a->fees.member.balance == b->fees.member.balance);
        SIM_EXPECT(sim, (int128)payer_a->pending_out == (int128)payer_b->pending_out + body->amount + r->fee);
        SIM_EXPECT(sim, r->fee <= body->max_fee && r->minted == 0 && r->burned == 0);
        return;
    }
    SIM_EXPECT(sim, b->pending_id != 0 && b->hold_payer.present && a->hold_payer.present && b->hold_payee.present &&
                        a->hold_payee.present);
    if (sim->failed) return;
    const tally_pending *hold = &b->hold;
    const tally_member *payer_b = &b->hold_payer.member, *payer_a = &a->hold_payer.member;
    const tally_member *payee_b = &b->hold_payee.member, *payee_a = &a->hold_payee.member;
    SIM_EXPECT(sim, hold->status == TALLY_PENDING_OPEN);
    SIM_EXPECT(sim, payer_a->pending_out == payer_b->pending_out - hold->amount - hold->fee);
    if (tx->type == TALLY_TX_PENDING_VOID) {
        SIM_EXPECT(sim, payer_a->balance == payer_b->balance && payee_a->balance == payee_b->balance &&
                            a->fees.member.balance == b->fees.member.balance && r->fee == 0);
        return;
    }
    int64_t amount = tx->body.pending_end.amount;
    SIM_EXPECT(sim, r->fee >= 0 && r->fee <= hold->fee && amount <= hold->amount);
    SIM_EXPECT(sim, (int128)payer_a->balance == (int128)payer_b->balance - amount - r->fee);
    /* the payer's underwriters took their shares of the risk fee from the fee account
     * (check_shares); the payee may be one of them */
    SIM_EXPECT(sim, (int128)payee_a->balance ==
                        (int128)payee_b->balance + amount + share_to(sim, hold->network_id, &hold->payee));
    SIM_EXPECT(sim, (int128)a->fees.member.balance == (int128)b->fees.member.balance + r->fee - sim->shares_paid);
    SIM_EXPECT(sim, payer_a->fees_paid == plus(payer_b->fees_paid, r->fee));
    /* Posting never takes a payer below -limit, with the limit it has then. */
    SIM_EXPECT(sim, payer_a->balance >= -payer_b->limit);
    int64_t cap = named_before(b)->policy.positive_cap;
    if (cap > 0 && payee_a->balance > cap) SIM_EXPECT(sim, payee_a->balance <= payee_b->balance);
}

/* The core's table of holds is the model's, field by field: so a hold that ended
 * stays as it ended, and each ends exactly once. */
static void check_hold_table(simulation *sim) {
    uint32_t count = tally_state_pending_count(sim->state);
    char what[300];
    if (count != sim->hold_count) {
        snprintf(what, sizeof what, "the state has %u holds, the model %u", count, sim->hold_count);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t id = 1; id <= count; id++) {
        const tally_pending *core = tally_state_pending(sim->state, id), *model = &sim->holds[id - 1].record;
        if (core && same_pending(core, model)) continue;
        snprintf(what, sizeof what, "hold %u is not the model's: status %u (the model %u), posted %lld (%lld), fee %lld "
                 "(%lld), amount %lld (%lld)", id, core ? core->status : 255u, model->status,
                 core ? (long long)core->posted : -1LL, (long long)model->posted, core ? (long long)core->fee : -1LL,
                 (long long)model->fee, core ? (long long)core->amount : -1LL, (long long)model->amount);
        sim_fail(sim, __LINE__, what);
        return;
    }
}

/* Every member's pending_out is the amount + fee of its open holds, summed over the
 * state's table of holds. */
static void check_pending_out(simulation *sim) {
    const tally_state *state = sim->state;
    uint32_t members = tally_state_member_count(state), count = tally_state_pending_count(state);
    if (members > sim->held_capacity) {
        free(sim->held);
        sim->held_capacity = members * 2;
        sim->held = calloc(sim->held_capacity, sizeof *sim->held);
        if (!sim->held) abort();
    }
    for (uint32_t id = 1; id <= count; id++) {
        const tally_pending *hold = tally_state_pending(state, id);
        if (hold->status != TALLY_PENDING_OPEN) continue;
        uint32_t index;
        SIM_EXPECT(sim, tally_state_member_position(state, hold->network_id, &hold->payer, &index));
        if (sim->failed) return;
        sim->held[index] += (int128)hold->amount + hold->fee;
    }
    for (uint32_t i = 0; i < members; i++) {
        const tally_member *member = tally_state_member_at(state, i);
        if (member->pending_out != sim->held[i] && !sim->failed) {
            char what[200];
            snprintf(what, sizeof what, "member %u holds pending_out %lld, its open holds %lld", i,
                     (long long)member->pending_out, (long long)sim->held[i]);
            sim_fail(sim, __LINE__, what);
        }
        sim->held[i] = 0;
    }
}

/* ---- payment requests: the model's table of requests --------------------- */

static bool same_request(const tally_request *a, const tally_request *b) {
    return a->id == b->id && a->network_id == b->network_id && same_key(&a->payee, &b->payee) &&
           same_key(&a->payer, &b->payer) && same_key(&a->paid_by, &b->paid_by) && a->amount == b->amount &&
           a->expiry == b->expiry && a->created_at == b->created_at && a->status == b->status;
}

static void request_add(simulation *sim, const tally_request *record, uint32_t maker_actor, uint32_t payer_actor) {
    if (sim->request_count == sim->request_capacity) {
        sim->request_capacity = sim->request_capacity ? sim->request_capacity * 2 : 256;
        sim->requests = realloc(sim->requests, sim->request_capacity * sizeof *sim->requests);
        sim->open_requests = realloc(sim->open_requests, sim->request_capacity * sizeof *sim->open_requests);
        if (!sim->requests || !sim->open_requests) abort();
    }
    model_request *request = &sim->requests[sim->request_count++];
    memset(request, 0, sizeof *request);
    request->record = *record;
    request->maker_actor = maker_actor;
    request->payer_actor = payer_actor;
    request->open_at = sim->open_request_count;
    sim->open_requests[sim->open_request_count++] = record->id;
    sim->counts.requests_created++;
    if (!names_payer(record)) sim->counts.requests_to_anyone++;
}

/* A request ends, once: the model's record takes its final status (and who paid
 * it), and it leaves the list of open requests. */
static void request_end(simulation *sim, model_request *request, uint8_t status, const tally_key *paid_by) {
    SIM_EXPECT(sim, request->record.status == TALLY_REQUEST_OPEN && status != TALLY_REQUEST_OPEN);
    if (request->record.status != TALLY_REQUEST_OPEN) return;
    request->record.status = status;
    if (paid_by) request->record.paid_by = *paid_by;
    uint32_t last = sim->open_requests[--sim->open_request_count];
    sim->open_requests[request->open_at] = last;
    sim->requests[last - 1].open_at = request->open_at;
}

/* The request a pay or a cancel names, as the model has it (NULL: no such request). */
static model_request *named_request(simulation *sim, const tally_tx *tx) {
    uint32_t id = tx->body.request_end.request_id;
    return id >= 1 && id <= sim->request_count ? &sim->requests[id - 1] : NULL;
}

/* REQUEST_CREATE, restated from DESIGN.md and request.c's rules: the reasons it is
 * refused; accepted, the record the model expects (compared with the core's after
 * the step). Nothing is reserved: no balance moves. */
static void check_request_create_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                         const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_request_create *body = &tx->body.request_create;
    sim_reasons reasons;
    memset(&reasons, 0, sizeof reasons);
    SIM_EXPECT(sim, sim->request_count == b->request_count);
    if (!network_of(sim, body->network_id)) {
        reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
        expect_outcome(sim, result, &reasons, "a request");
        return;
    }
    SIM_EXPECT(sim, b->network_id == body->network_id);
    if (sim->failed) return;
    if (body->amount <= 0) reason_add(&reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (body->memo.length > TALLY_MEMO_MAX) reason_add(&reasons, TALLY_ERR_DECODE_BAD_LENGTH);
    if (gen->broken != TALLY_OK) reason_add(&reasons, gen->broken); /* a memo with a refused character */
    if (same_key(&body->payer, &tx->signer)) reason_add(&reasons, TALLY_ERR_SELF_TRANSFER);
    if (body->expiry <= sim->block_time || (int128)body->expiry - sim->block_time > (int128)366 * SIM_DAY)
        reason_add(&reasons, TALLY_ERR_BAD_EXPIRY);
    bool maker_ok = b->signer.present && is_current(&b->signer.member);
    if (tally_key_is_system(&body->payer)) reason_add(&reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    else if (!same_key(&body->payer, &(tally_key){{0}}) &&
             (!b->other.present || b->other.member.status == TALLY_MEMBER_LEFT))
        reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
    if (!maker_ok) reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
    else if (b->signer.member.requests_open >= TALLY_OPEN_PER_MEMBER_MAX) reason_add(&reasons, TALLY_ERR_TOO_MANY_OPEN);
    expect_outcome(sim, result, &reasons, "a request");
    if (result->code != TALLY_OK || reasons.count) return;
    SIM_EXPECT(sim, result->created_id == b->request_count + 1 && result->fee == 0);
    tally_request record;
    memset(&record, 0, sizeof record);
    record.id = b->request_count + 1;
    record.network_id = body->network_id;
    record.payee = tx->signer;
    record.payer = body->payer;
    record.amount = body->amount;
    record.expiry = body->expiry;
    record.created_at = sim->block_time;
    record.status = TALLY_REQUEST_OPEN;
    request_add(sim, &record, gen->signer_actor, gen->other_actor);
}

/* Why a pay or a cancel cannot end the request it names, before who signs it: no
 * such request, one that ended, or one whose expiry the block's time reached
 * (expired for everyone, even before the block end that expires it). */
static bool request_end_reasons(simulation *sim, const model_request *request, const sim_view *b,
                                sim_reasons *reasons) {
    if (!request) {
        reason_add(reasons, TALLY_ERR_REQUEST_NOT_FOUND);
        return true;
    }
    SIM_EXPECT(sim, b->request_id == request->record.id && same_request(&b->request, &request->record));
    switch (request->record.status) {
    case TALLY_REQUEST_PAID: reason_add(reasons, TALLY_ERR_REQUEST_PAID); return true;
    case TALLY_REQUEST_CANCELLED: reason_add(reasons, TALLY_ERR_REQUEST_CANCELLED); return true;
    case TALLY_REQUEST_EXPIRED:
        reason_add(reasons, TALLY_ERR_REQUEST_EXPIRED);
        sim->counts.request_ends_after_expired++;
        return true;
    default: break;
    }
    if (sim->block_time >= request->record.expiry) {
        reason_add(reasons, TALLY_ERR_REQUEST_EXPIRED);
        sim->counts.request_ends_past_expiry++;
        if (sim->block_time == request->record.expiry) sim->counts.request_ends_at_expiry++;
        return true;
    }
    return false;
}

/* The TRANSFER a payment of the request is: from the signer to the request's maker,
 * its amount, the pay's max_fee, no memo. */
static void request_transfer(const tally_tx *pay, const tally_request *record, tally_tx *out) {
    memset(out, 0, sizeof *out);
    out->type = TALLY_TX_TRANSFER;
    out->signer = pay->signer;
    out->sequence = pay->sequence;
    out->body.transfer = (tally_tx_transfer){.network_id = record->network_id,
                                             .payee = record->payee,
                                             .amount = record->amount,
                                             .max_fee = pay->body.request_end.max_fee};
}

/* REQUEST_PAY: the request's reasons, then a named payer's, then everything a
 * transfer of its amount to its maker would be refused for (the model of a
 * TRANSFER, on the same views). */
static void check_request_pay_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                      const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    SIM_EXPECT(sim, sim->request_count == b->request_count);
    model_request *request = named_request(sim, tx);
    sim_reasons reasons;
    memset(&reasons, 0, sizeof reasons);
    if (!request_end_reasons(sim, request, b, &reasons)) {
        const tally_request *record = &request->record;
        if (names_payer(record) && !same_key(&record->payer, &tx->signer)) {
            reason_add(&reasons, TALLY_ERR_NOT_REQUEST_PAYER);
        } else {
            SIM_EXPECT(sim, b->network_id == record->network_id);
            if (sim->failed) return;
            sim_gen transfer = *gen;
            request_transfer(tx, record, &transfer.tx);
            transfer.broken = TALLY_OK;
            transfer_reasons(sim, &transfer, b, &reasons);
            if (!b->other.present || !is_current(&b->other.member)) sim->counts.request_pays_to_gone_maker++;
        }
    }
    expect_outcome(sim, result, &reasons, "a request's payment");
    if (result->code == TALLY_ERR_CAP_REACHED) sim->counts.request_pays_capped++;
    if (result->code != TALLY_OK || reasons.count) return;
    sim->counts.requests_paid++;
    if (!names_payer(&request->record)) sim->counts.requests_paid_by_anyone++;
    request_end(sim, request, TALLY_REQUEST_PAID, &tx->signer);
}

static void check_request_cancel_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                         const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    SIM_EXPECT(sim, sim->request_count == b->request_count);
    model_request *request = named_request(sim, tx);
    sim_reasons reasons;
    memset(&reasons, 0, sizeof reasons);
    if (!request_end_reasons(sim, request, b, &reasons) && !same_key(&request->record.payee, &tx->signer))
        reason_add(&reasons, TALLY_ERR_NOT_REQUEST_CREATOR);
    expect_outcome(sim, result, &reasons, "a request's cancel");
    if (result->code != TALLY_OK || reasons.count) return;
    sim->counts.requests_cancelled++;
    request_end(sim, request, TALLY_REQUEST_CANCELLED, NULL);
}

/* What an accepted request, pay or cancel did to the records it names: a request
 * moves nothing and counts one more open request of its maker; a payment is the
 * transfer (check_transfer on the equivalent TRANSFER) and ends the request, paid
 * by the signer; a cancel only ends it. */
static void check_request(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                          const sim_view *a) {
    SIM_EXPECT(sim, b->signer.present && a->signer.present);
    if (sim->failed) return;
    const tally_member *signer_b = &b->signer.member, *signer_a = &a->signer.member;
    if (tx->type == TALLY_TX_REQUEST_CREATE) {
        SIM_EXPECT(sim, signer_a->requests_open == signer_b->requests_open + 1);
        SIM_EXPECT(sim, signer_a->balance == signer_b->balance && signer_a->pending_out == signer_b->pending_out);
        SIM_EXPECT(sim, r->fee == 0 && r->minted == 0 && r->burned == 0);
        return;
    }
    SIM_EXPECT(sim, b->request_id != 0 && b->request.status == TALLY_REQUEST_OPEN && b->request_id == a->request_id &&
                        b->other.present && a->other.present);
    if (sim->failed) return;
    const tally_member *maker_b = &b->other.member, *maker_a = &a->other.member;
    SIM_EXPECT(sim, maker_a->requests_open == maker_b->requests_open - 1);
    if (tx->type == TALLY_TX_REQUEST_CANCEL) {
        SIM_EXPECT(sim, a->request.status == TALLY_REQUEST_CANCELLED && same_key(&tx->signer, &b->request.payee));
        SIM_EXPECT(sim, signer_a->balance == signer_b->balance && r->fee == 0 && r->minted == 0 && r->burned == 0);
        return;
    }
    SIM_EXPECT(sim, a->request.status == TALLY_REQUEST_PAID && same_key(&a->request.paid_by, &tx->signer));
    tally_tx transfer;
    request_transfer(tx, &b->request, &transfer);
    check_transfer(sim, &transfer, r, b, a);
}

/* The core's table of requests is the model's, field by field (so a request that
 * ended never changes again), and each member's requests_open counts its open
 * requests. */
static void check_requests(simulation *sim) {
    const tally_state *state = sim->state;
    uint32_t count = tally_state_request_count(state);
    char what[300];
    if (count != sim->request_count) {
        snprintf(what, sizeof what, "the state has %u requests, the model %u", count, sim->request_count);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t id = 1; id <= count; id++) {
        const tally_request *core = tally_state_request(state, id), *model = &sim->requests[id - 1].record;
        if (core && same_request(core, model)) continue;
        snprintf(what, sizeof what, "request %u is not the model's: status %u (the model %u), amount %lld (%lld), "
                 "expiry %lld (%lld), created %lld (%lld)", id, core ? core->status : 0, model->status,
                 core ? (long long)core->amount : 0, (long long)model->amount, core ? (long long)core->expiry : 0,
                 (long long)model->expiry, core ? (long long)core->created_at : 0, (long long)model->created_at);
        sim_fail(sim, __LINE__, what);
        return;
    }
    uint32_t members = tally_state_member_count(state);
    if (members > sim->asked_capacity) {
        sim->asked_capacity = members * 2;
        sim->asked = realloc(sim->asked, sim->asked_capacity * sizeof *sim->asked);
        if (!sim->asked) abort();
    }
    if (members) memset(sim->asked, 0, members * sizeof *sim->asked);
    for (uint32_t k = 0; k < sim->open_request_count; k++) {
        const tally_request *record = &sim->requests[sim->open_requests[k] - 1].record;
        uint32_t index = 0;
        SIM_EXPECT(sim, tally_state_member_position(state, record->network_id, &record->payee, &index));
        if (sim->failed) return;
        sim->asked[index]++;
    }
    for (uint32_t i = 0; i < members; i++) {
        const tally_member *member = tally_state_member_at(state, i);
        if (member->requests_open == sim->asked[i]) continue;
        snprintf(what, sizeof what, "member %u has requests_open %u, the model's open requests %u", i,
                 member->requests_open, sim->asked[i]);
        sim_fail(sim, __LINE__, what);
        return;
    }
}

static void check_holds(simulation *sim) {
    check_hold_table(sim);
    if (!sim->failed) check_pending_out(sim);
    if (!sim->failed) check_requests(sim);
}

/* ------------------------------------------------------------------------ */
/* The model of the rules of issue 7: growth, announced changes, the daily   */
/* redemption cap, member bounds and statuses that survive leaving.          */
/* ------------------------------------------------------------------------ */

static bool is_validator(const simulation *sim, const tally_key *key) {
    for (uint8_t i = 0; i < sim->rules.validator_count; i++)
        if (same_key(&sim->rules.validators[i], key)) return true;
    return false;
}

static model_grower *grower_of(simulation *sim, const tally_key *key) {
    uint32_t actor = staff_of_key(sim, key);
    return actor == NONE ? NULL : &sim->growers[actor];
}

/* What a key may still found (networks) or create (assets) today in an OPEN chain:
 * the chain's allowance less what it did on this day. */
static uint32_t growth_left_today(const simulation *sim, const model_grower *grower, bool networks) {
    if (sim->rules.growth_mode != TALLY_GROWTH_OPEN) return 0;
    uint32_t allowed = networks ? sim->rules.networks_per_key_per_day : sim->rules.assets_per_key_per_day;
    uint32_t used = networks ? grower->networks_today : grower->assets_today;
    if (grower->day != day_of(sim->block_time)) used = 0;
    return used < allowed ? allowed - used : 0;
}

/* The growth rules' answer to a key's next network or asset: approvals first, then
 * (OPEN) the day's allowance; an APPROVED chain needs an approval. */
static tally_error growth_refusal(const simulation *sim, const model_grower *grower, bool networks) {
    if ((networks ? grower->networks_approved : grower->assets_approved) > 0) return TALLY_OK;
    if (sim->rules.growth_mode == TALLY_GROWTH_APPROVED) return TALLY_ERR_APPROVAL_REQUIRED;
    return growth_left_today(sim, grower, networks) > 0 ? TALLY_OK : TALLY_ERR_DAILY_LIMIT;
}

static void growth_use(simulation *sim, model_grower *grower, bool networks) {
    uint32_t *approved = networks ? &grower->networks_approved : &grower->assets_approved;
    if (*approved > 0) {
        (*approved)--;
        sim->counts.grown_by_approval++;
        return;
    }
    int64_t today = day_of(sim->block_time);
    if (grower->day != today) {
        grower->day = today;
        grower->networks_today = grower->assets_today = 0;
    }
    if (networks) grower->networks_today++;
    else grower->assets_today++;
    sim->counts.grown_by_day++;
    if (grower->limited_day != INT64_MIN && today > grower->limited_day) {
        sim->counts.growth_rollovers++; /* met its limit on an earlier day, grows again on a new one */
        grower->limited_day = INT64_MIN;
    }
}

/* The core's account of the key agrees with the model's. */
static void check_grower(simulation *sim, const tally_key *key, const model_grower *grower) {
    tally_growth_allowance left = tally_state_growth_allowance(sim->state, key, sim->block_time);
    SIM_EXPECT(sim, left.networks_approved == grower->networks_approved &&
                        left.assets_approved == grower->assets_approved);
    SIM_EXPECT(sim, left.networks_today_left == growth_left_today(sim, grower, true) &&
                        left.assets_today_left == growth_left_today(sim, grower, false));
}

/* Network names compare ignoring ASCII case (and only ASCII: other letters are
 * other names). */
static void name_lowered(const char *bytes, size_t length, char out[TALLY_NAME_MAX + 1]) {
    if (length > TALLY_NAME_MAX) length = TALLY_NAME_MAX;
    for (size_t i = 0; i < length; i++) out[i] = bytes[i] >= 'A' && bytes[i] <= 'Z' ? (char)(bytes[i] + 32) : bytes[i];
    out[length] = '\0';
}

static bool name_taken(const simulation *sim, const tally_text *name) {
    if (name->length == 0 || name->length > TALLY_NAME_MAX) return false;
    char lowered[TALLY_NAME_MAX + 1];
    name_lowered(name->bytes, name->length, lowered);
    for (uint32_t i = 0; i < sim->name_count; i++)
        if (strcmp(sim->names[i], lowered) == 0) return true;
    return false;
}

static void name_add(simulation *sim, const tally_text *name) {
    if (sim->name_count == sim->name_capacity) {
        sim->name_capacity = sim->name_capacity ? sim->name_capacity * 2 : 64;
        sim->names = realloc(sim->names, sim->name_capacity * sizeof *sim->names);
        if (!sim->names) abort();
    }
    name_lowered(name->bytes, name->length, sim->names[sim->name_count++]);
}

static void model_network_start(simulation *sim, uint32_t network_id, const tally_policy *policy) {
    model_network *model = &sim->models[network_id];
    memset(model, 0, sizeof *model);
    model->known = true;
    model->policy = *policy;
    model->redeem_day = INT64_MIN;
}

/* NETWORK_CREATE and ASSET_CREATE: accepted or refused exactly as the key's
 * approvals and the day's count say (and the name, when it is taken). */
static void check_growth_outcome(simulation *sim, const sim_gen *gen, const tally_result *result) {
    const tally_tx *tx = &gen->tx;
    bool networks = tx->type == TALLY_TX_NETWORK_CREATE;
    model_grower *grower = grower_of(sim, &tx->signer);
    SIM_EXPECT(sim, grower != NULL);
    if (!grower) return;
    sim_reasons reasons = {0};
    if (gen->broken != TALLY_OK) reason_add(&reasons, gen->broken);
    tally_error growth = growth_refusal(sim, grower, networks);
    if (growth != TALLY_OK) reason_add(&reasons, growth);
    if (networks && name_taken(sim, &tx->body.network_create.name)) reason_add(&reasons, TALLY_ERR_NAME_TAKEN);
    expect_outcome(sim, result, &reasons, networks ? "a network" : "an asset");
    if (result->code == TALLY_ERR_DAILY_LIMIT) grower->limited_day = day_of(sim->block_time);
    if (result->code == TALLY_OK) {
        growth_use(sim, grower, networks);
        if (networks) {
            const tally_tx_network_create *body = &tx->body.network_create;
            const tally_network *created = tally_state_network(sim->state, result->created_id);
            SIM_EXPECT(sim, created != NULL);
            if (!created) return;
            SIM_EXPECT(sim, created->operator_count == 1 && same_key(&created->operators[0], &tx->signer));
            SIM_EXPECT(sim, policy_equal(&created->policy, &body->policy));
            SIM_EXPECT(sim, strlen(created->name) == body->name.length &&
                                memcmp(created->name, body->name.bytes, body->name.length) == 0);
            SIM_EXPECT(sim, created->supply == 0 && created->debt == 0 && created->member_count == 0);
            SIM_EXPECT(sim, created->policy_change_at == 0 && created->peg_change_at == 0 &&
                                created->reserve_asset_id == 0);
            name_add(sim, &body->name);
            if (result->created_id <= SIM_NETWORKS_MAX) model_network_start(sim, result->created_id, &body->policy);
        } else {
            const tally_asset *created = tally_state_asset(sim->state, result->created_id);
            SIM_EXPECT(sim, created != NULL);
            if (!created) return;
            SIM_EXPECT(sim, same_key(&created->issuer, &tx->signer) && created->issued == 0 && created->burned == 0);
        }
    }
    check_grower(sim, &tx->signer, grower);
}

/* CHAIN_APPROVE: only a validator, never for a system key, at most
 * TALLY_APPROVALS_MAX of each; it sets (does not add to) the key's approvals. */
static void check_approve_outcome(simulation *sim, const sim_gen *gen, const tally_result *result) {
    const tally_tx_chain_approve *body = &gen->tx.body.chain_approve;
    sim_reasons reasons = {0};
    if (!is_validator(sim, &gen->tx.signer)) reason_add(&reasons, TALLY_ERR_NOT_VALIDATOR);
    if (tally_key_is_system(&body->key)) reason_add(&reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    if (body->networks > TALLY_APPROVALS_MAX || body->assets > TALLY_APPROVALS_MAX)
        reason_add_available(&reasons, TALLY_ERR_APPROVAL_ABOVE_MAX, TALLY_APPROVALS_MAX);
    expect_outcome(sim, result, &reasons, "an approval");
    model_grower *grower = grower_of(sim, &body->key);
    if (!grower) return;
    if (result->code == TALLY_OK) {
        grower->networks_approved = body->networks;
        grower->assets_approved = body->assets;
    }
    check_grower(sim, &body->key, grower);
}

/*
 * Which fields of an asked policy wait for notice against the policy in force
 * (tally.h, DESIGN.md "Changes that touch other people's money"): a higher fee or
 * risk fee, a lower positive cap (a cap where there was none included), a higher
 * redemption cap, a shorter notice, and any change of the target RTD while the
 * pool holds reserve. Everything else applies at once.
 */
static unsigned fields_waiting(const tally_policy *in_force, const tally_policy *asked, bool pool_holds_reserve) {
    unsigned fields = 0;
    if (asked->fee_bps > in_force->fee_bps) fields |= FIELD_FEE;
    if (asked->default_risk_fee_bps > in_force->default_risk_fee_bps) fields |= FIELD_RISK_FEE;
    if (asked->positive_cap > 0 && (in_force->positive_cap == 0 || asked->positive_cap < in_force->positive_cap))
        fields |= FIELD_CAP;
    if (asked->redeem_cap_bps > in_force->redeem_cap_bps) fields |= FIELD_REDEEM_CAP;
    if (asked->notice_seconds < in_force->notice_seconds) fields |= FIELD_NOTICE;
    if (asked->target_rtd_bps != in_force->target_rtd_bps && pool_holds_reserve) fields |= FIELD_TARGET_RTD;
    if (asked->demurrage_bps > in_force->demurrage_bps) fields |= FIELD_DEMURRAGE;
    if (asked->demurrage_threshold < in_force->demurrage_threshold) fields |= FIELD_DEMURRAGE_THRESHOLD;
    if (asked->membership_fee > in_force->membership_fee) fields |= FIELD_MEMBERSHIP_FEE;
    return fields;
}

static void take_fields(tally_policy *to, const tally_policy *from, unsigned fields) {
    if (fields & FIELD_FEE) to->fee_bps = from->fee_bps;
    if (fields & FIELD_RISK_FEE) to->default_risk_fee_bps = from->default_risk_fee_bps;
    if (fields & FIELD_CAP) to->positive_cap = from->positive_cap;
    if (fields & FIELD_TARGET_RTD) to->target_rtd_bps = from->target_rtd_bps;
    if (fields & FIELD_NOTICE) to->notice_seconds = from->notice_seconds;
    if (fields & FIELD_REDEEM_CAP) to->redeem_cap_bps = from->redeem_cap_bps;
    if (fields & FIELD_DEMURRAGE) to->demurrage_bps = from->demurrage_bps;
    if (fields & FIELD_DEMURRAGE_THRESHOLD) to->demurrage_threshold = from->demurrage_threshold;
    if (fields & FIELD_MEMBERSHIP_FEE) to->membership_fee = from->membership_fee;
}

static bool fields_agree(const tally_policy *a, const tally_policy *b, unsigned fields) {
    tally_policy mixed = *a;
    take_fields(&mixed, b, fields);
    return policy_equal(&mixed, a);
}

/* An accepted POLICY_UPDATE in the model; returns when its announcement takes
 * effect (0: nothing waits). An update states the whole policy wanted: without a
 * field that needs notice it withdraws what was announced; asking the announced
 * values again (and nothing more that needs notice) keeps the time; anything else
 * announces afresh, for the notice in force before the update. */
static int64_t model_policy_update(simulation *sim, model_network *model, const tally_policy *asked,
                                   bool pool_holds_reserve) {
    unsigned waiting = fields_waiting(&model->policy, asked, pool_holds_reserve);
    tally_policy now = *asked;
    take_fields(&now, &model->policy, waiting);
    if (!waiting) {
        if (model->policy_change_at) sim->counts.announce_withdrawn++;
        model->policy_change_at = 0;
        memset(&model->policy_change, 0, sizeof model->policy_change);
    } else if (model->policy_change_at && fields_agree(&model->policy_change, asked, waiting)) {
        sim->counts.announce_kept++;
    } else {
        if (model->policy_change_at) sim->counts.announce_restarted++;
        else sim->counts.announced++;
        model->policy_change_at = sim->block_time + model->policy.notice_seconds;
    }
    model->waiting = waiting;
    if (waiting) model->policy_change = *asked;
    model->policy = now;
    return model->policy_change_at;
}

/* An accepted PEG_SET in the model; returns when its rate takes effect (0: at
 * once). A new rate of the same asset while the pool holds reserve is announced
 * (the same announced rate again keeps its time); anything else takes effect at
 * once and withdraws an announced rate. */
static int64_t model_peg_set(simulation *sim, model_network *model, const tally_tx_peg_set *body,
                             bool pool_holds_reserve) {
    bool new_rate = (int128)body->peg_reserve_units * model->peg_credit_units !=
                    (int128)model->peg_reserve_units * body->peg_credit_units;
    if (body->asset_id != 0 && body->asset_id == model->reserve_asset_id && pool_holds_reserve && new_rate) {
        if (model->peg_change_at && model->peg_change_reserve_units == body->peg_reserve_units &&
            model->peg_change_credit_units == body->peg_credit_units) {
            sim->counts.peg_kept++;
        } else {
            if (model->peg_change_at) sim->counts.peg_restarted++;
            else sim->counts.peg_announced++;
            model->peg_change_at = sim->block_time + model->policy.notice_seconds;
            model->peg_change_reserve_units = body->peg_reserve_units;
            model->peg_change_credit_units = body->peg_credit_units;
        }
        return model->peg_change_at;
    }
    if (model->peg_change_at) sim->counts.peg_withdrawn++;
    model->peg_change_at = model->peg_change_reserve_units = model->peg_change_credit_units = 0;
    model->reserve_asset_id = body->asset_id;
    model->peg_reserve_units = body->asset_id ? body->peg_reserve_units : 0;
    model->peg_credit_units = body->asset_id ? body->peg_credit_units : 0;
    return 0;
}

/* The core's network agrees with the model: the policy in force, what is
 * announced and when, the peg, and the day's redemption allowance. */
static void check_model_network(simulation *sim, uint32_t network_id) {
    const model_network *model = &sim->models[network_id];
    const tally_network *network = network_of(sim, network_id);
    if (!model->known || !network) return;
    char what[200];
    if (!policy_equal(&network->policy, &model->policy)) {
        snprintf(what, sizeof what, "network %u: the policy in force is not the model's (fee %u/%u, cap %lld/%lld, "
                 "target %u/%u, notice %u/%u, redeem cap %u/%u)", network_id, network->policy.fee_bps,
                 model->policy.fee_bps, (long long)network->policy.positive_cap, (long long)model->policy.positive_cap,
                 network->policy.target_rtd_bps, model->policy.target_rtd_bps, network->policy.notice_seconds,
                 model->policy.notice_seconds, network->policy.redeem_cap_bps, model->policy.redeem_cap_bps);
        sim_fail(sim, __LINE__, what);
    }
    if (network->policy_change_at != model->policy_change_at) {
        snprintf(what, sizeof what, "network %u: policy change announced for %lld, the model says %lld", network_id,
                 (long long)network->policy_change_at, (long long)model->policy_change_at);
        sim_fail(sim, __LINE__, what);
    }
    if (model->policy_change_at) SIM_EXPECT(sim, policy_equal(&network->policy_change, &model->policy_change));
    if (network->peg_change_at != model->peg_change_at) {
        snprintf(what, sizeof what, "network %u: peg change announced for %lld, the model says %lld", network_id,
                 (long long)network->peg_change_at, (long long)model->peg_change_at);
        sim_fail(sim, __LINE__, what);
    }
    SIM_EXPECT(sim, network->peg_change_reserve_units == model->peg_change_reserve_units &&
                        network->peg_change_credit_units == model->peg_change_credit_units);
    SIM_EXPECT(sim, network->reserve_asset_id == model->reserve_asset_id &&
                        network->peg_reserve_units == model->peg_reserve_units &&
                        network->peg_credit_units == model->peg_credit_units);
    if (model->redeem_day != INT64_MIN)
        SIM_EXPECT(sim, network->redeem_day == model->redeem_day &&
                            network->redeem_allowance == model->redeem_allowance);
}

static void check_policy_update_outcome(simulation *sim, const sim_gen *gen, const tally_result *result,
                                        const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    uint32_t network_id = tx->body.policy_update.network_id;
    sim_reasons reasons = {0};
    if (network_id == 0 || network_id > b->network_count) reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
    else if (network_id > SIM_NETWORKS_MAX) return;
    else if (!operators_list(named_before(b), &tx->signer)) reason_add(&reasons, TALLY_ERR_NOT_OPERATOR);
    if (gen->broken != TALLY_OK) reason_add(&reasons, gen->broken);
    expect_outcome(sim, result, &reasons, "a policy update");
    if (result->code != TALLY_OK) return;
    int64_t effective_at = model_policy_update(sim, &sim->models[network_id], &tx->body.policy_update.policy,
                                               pool_reserve(named_before(b)) > 0);
    SIM_EXPECT(sim, result->effective_at == effective_at);
}

static void check_peg_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b) {
    const tally_tx_peg_set *body = &gen->tx.body.peg_set;
    sim_reasons reasons = {0};
    if (body->network_id == 0 || body->network_id > b->network_count) {
        reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
        expect_outcome(sim, result, &reasons, "a peg");
        return;
    }
    if (body->network_id > SIM_NETWORKS_MAX) return;
    model_network *model = &sim->models[body->network_id];
    bool holds = pool_reserve(named_before(b)) > 0;
    if (!operators_list(named_before(b), &gen->tx.signer)) reason_add(&reasons, TALLY_ERR_NOT_OPERATOR);
    if (body->asset_id != 0 && body->asset_id > b->asset_count) reason_add(&reasons, TALLY_ERR_UNKNOWN_ASSET);
    if (body->asset_id != 0 && (body->peg_reserve_units <= 0 || body->peg_credit_units <= 0))
        reason_add(&reasons, TALLY_ERR_BAD_PEG);
    if (body->asset_id != model->reserve_asset_id && holds) reason_add(&reasons, TALLY_ERR_POOL_NOT_EMPTY);
    /* stakes locked keep the reserve asset, and a new rate waits as for a pool's reserve */
    bool staked = named_before(b)->stakes_locked > 0;
    if (body->asset_id != model->reserve_asset_id && staked) reason_add(&reasons, TALLY_ERR_STAKES_OPEN);
    expect_outcome(sim, result, &reasons, "a peg");
    if (result->code != TALLY_OK) return;
    int64_t effective_at = model_peg_set(sim, model, body, holds || staked);
    SIM_EXPECT(sim, result->effective_at == effective_at);
}

/* MEMBER_JOIN and MEMBER_ADMIT, against the network's bound of current members. */
static void check_join_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b) {
    const tally_tx *tx = &gen->tx;
    bool join = tx->type == TALLY_TX_MEMBER_JOIN;
    uint32_t network_id = tx_network(tx);
    sim_reasons reasons = {0};
    if (network_id == 0 || network_id > b->network_count) {
        reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
        expect_outcome(sim, result, &reasons, join ? "a join" : "an admission");
        return;
    }
    if (network_id > SIM_NETWORKS_MAX) return;
    const model_network *model = &sim->models[network_id];
    const tally_network *network = named_before(b);
    const tally_key *key = join ? &tx->signer : &tx->body.network_key.key;
    const member_view *record = join ? &b->signer : &b->other;
    if (join && model->policy.membership_mode != TALLY_MEMBERSHIP_OPEN)
        reason_add(&reasons, TALLY_ERR_ADMISSION_REQUIRED);
    if (!join && !operators_list(network, &tx->signer)) reason_add(&reasons, TALLY_ERR_NOT_OPERATOR);
    if (tally_key_is_system(key)) reason_add(&reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    if (record->present && record->member.status != TALLY_MEMBER_LEFT) reason_add(&reasons, TALLY_ERR_ALREADY_MEMBER);
    if (network->member_count >= model->policy.max_members)
        reason_add_available(&reasons, TALLY_ERR_MEMBERS_FULL, model->policy.max_members);
    expect_outcome(sim, result, &reasons, join ? "a join" : "an admission");
}

/* POOL_REDEEM: the rules of the pool and the day's cap on primary. The part paid
 * from primary (after the buffer) is at most the day's allowance: redeem_cap_bps of
 * primary when the day's first redemption from primary comes, rounded down, less
 * what redemptions took from primary since. Refused, it says how many credits
 * could be redeemed: the buffer and the allowance at the peg, rounded down. */
static void check_redeem_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b) {
    const tally_tx_pool_amount *body = &gen->tx.body.pool_amount;
    sim_reasons reasons = {0};
    if (body->network_id == 0 || body->network_id > b->network_count) {
        reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
        expect_outcome(sim, result, &reasons, "a redemption");
        return;
    }
    if (body->network_id > SIM_NETWORKS_MAX) return;
    model_network *model = &sim->models[body->network_id];
    const tally_network *network = named_before(b);
    int64_t credits = body->amount, from_primary = 0, allowance = 0, today = day_of(sim->block_time);
    if (model->reserve_asset_id == 0) {
        reason_add(&reasons, TALLY_ERR_NO_RESERVE_ASSET);
    } else {
        const member_view *signer = &b->signer;
        if (!signer->present || signer->member.status == TALLY_MEMBER_LEFT) reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
        if (credits <= 0) {
            reason_add(&reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
        } else {
            /* What its holds hold is spent: only the rest may be redeemed. */
            int128 own = signer->present ? own_of(&signer->member) : 0;
            if (signer->present && own < credits)
                reason_add_available(&reasons, TALLY_ERR_INSUFFICIENT_BALANCE, own > 0 ? (int64_t)own : 0);
            int64_t lost = debt_of(b->lost.member.balance);
            if (credits > lost) reason_add_available(&reasons, TALLY_ERR_NO_LOST_DEBT, lost);
            int128 reserve = (int128)credits * model->peg_reserve_units / model->peg_credit_units;
            if (reserve > INT64_MAX) {
                reason_add(&reasons, TALLY_ERR_AMOUNT_OVERFLOW);
            } else if (reserve == 0) {
                reason_add(&reasons, TALLY_ERR_AMOUNT_TOO_SMALL);
            } else {
                int64_t payable = network->pool_buffer + network->pool_primary; /* both parts of one holding */
                if (reserve > payable) reason_add_available(&reasons, TALLY_ERR_POOL_RESERVE_SHORT, payable);
                int64_t from_buffer = reserve < network->pool_buffer ? (int64_t)reserve : network->pool_buffer;
                from_primary = (int64_t)reserve - from_buffer;
                allowance = (int64_t)((int128)network->pool_primary * model->policy.redeem_cap_bps / TALLY_BPS_ONE);
                if (model->redeem_day == today) allowance = model->redeem_allowance;
                if (from_primary > allowance) {
                    int128 could = ((int128)network->pool_buffer + allowance) * model->peg_credit_units /
                                   model->peg_reserve_units;
                    reason_add_available(&reasons, TALLY_ERR_REDEEM_CAP_REACHED,
                                         could > INT64_MAX ? INT64_MAX : (int64_t)could);
                }
            }
        }
    }
    expect_outcome(sim, result, &reasons, "a redemption");
    if (result->code == TALLY_ERR_REDEEM_CAP_REACHED) sim->counts.redeem_capped++;
    if (result->code == TALLY_OK && from_primary > 0) {
        model->redeem_day = today;
        model->redeem_allowance = allowance - from_primary;
        sim->counts.redeemed_from_primary++;
    }
}

/* Announced changes at block end: exactly those due take effect (the summary counts
 * them), the rest still wait. Networks past SIM_NETWORKS_MAX are never operated, so
 * nothing of theirs is announced. */
static void model_end_block(simulation *sim, const tally_block_summary *summary) {
    uint32_t policies = 0, pegs = 0;
    uint32_t count = tally_state_network_count(sim->state);
    for (uint32_t id = 1; id <= count && id <= SIM_NETWORKS_MAX; id++) {
        model_network *model = &sim->models[id];
        if (model->policy_change_at && model->policy_change_at <= sim->block_time) {
            take_fields(&model->policy, &model->policy_change, model->waiting);
            model->policy_change_at = 0;
            model->waiting = 0;
            memset(&model->policy_change, 0, sizeof model->policy_change);
            policies++;
        }
        if (model->peg_change_at && model->peg_change_at <= sim->block_time) {
            model->peg_reserve_units = model->peg_change_reserve_units;
            model->peg_credit_units = model->peg_change_credit_units;
            model->peg_change_at = model->peg_change_reserve_units = model->peg_change_credit_units = 0;
            pegs++;
        }
        check_model_network(sim, id);
    }
    for (uint32_t id = SIM_NETWORKS_MAX + 1; id <= count; id++) {
        const tally_network *network = network_of(sim, id);
        SIM_EXPECT(sim, network->policy_change_at == 0 && network->peg_change_at == 0);
    }
    if (summary->policy_changes != policies || summary->peg_changes != pegs) {
        char what[200];
        snprintf(what, sizeof what, "block end applied %u policy and %u peg changes, the model %u and %u",
                 summary->policy_changes, summary->peg_changes, policies, pegs);
        sim_fail(sim, __LINE__, what);
    }
    sim->counts.policy_applied += policies;
    sim->counts.peg_applied += pegs;
}

/* The outcome of a transaction whose refusal the model can work out. */
/* ---- gateways: the model (docs/GATEWAYS.md) ------------------------------ */

#define GATEWAY_MOVES_MAX                                                                       \
    (3 * TALLY_PATH_HOPS_MAX + 3 > 2 * TALLY_CLEARING_SETOFFS_MAX ? 3 * TALLY_PATH_HOPS_MAX + 3 \
                                                                  : 2 * TALLY_CLEARING_SETOFFS_MAX)

/* One member's balance as an accepted cross payment or clearing leaves it. */
typedef struct {
    uint32_t network_id;
    tally_key key;
    int64_t before, after;
    int64_t limit; /* a mirror account going deeper into debt: its side's limit; else -1 */
} gateway_move;

struct gateway_prediction {
    sim_reasons reasons;
    tally_gateway after; /* PROPOSE .. CLOSE: the record accepted leaves */
    uint32_t superseded; /* PROPOSE: the proposal it supersedes, 0 when none */
    bool opens_mirrors;  /* ACCEPT: the mirror accounts are made now */
    gateway_move moves[GATEWAY_MOVES_MAX];
    uint32_t move_count;
    uint32_t networks[2 * TALLY_CLEARING_SETOFFS_MAX]; /* the networks the money moves in, each once */
    int64_t supply[2 * TALLY_CLEARING_SETOFFS_MAX], debt[2 * TALLY_CLEARING_SETOFFS_MAX];
    uint32_t network_count;
    int64_t fee, risk_fee, minted, received;
    bool reduced;     /* a hop moved a mirror account's debt toward zero */
    bool below_step;  /* some of the amount was less than a step of a rate: kept with a fee account */
    /* SETTLE: the reserve paid, its asset, who paid it and the pool it went to */
    int64_t reserve;
    uint32_t reserve_asset, reserve_pool_network;
};

static bool same_gateway(const tally_gateway *a, const tally_gateway *b) {
    bool sides = true;
    for (int i = 0; i < 2; i++)
        sides = sides && a->terms.side[i].fee_bps == b->terms.side[i].fee_bps &&
                a->terms.side[i].limit == b->terms.side[i].limit &&
                a->terms.side[i].min_partner_rtd_bps == b->terms.side[i].min_partner_rtd_bps &&
                a->terms.side[i].max_partner_default_bps == b->terms.side[i].max_partner_default_bps &&
                a->frozen[i] == b->frozen[i];
    return sides && a->id == b->id && a->network_a == b->network_a && a->network_b == b->network_b &&
           a->terms.rate_a == b->terms.rate_a && a->terms.rate_b == b->terms.rate_b && a->status == b->status &&
           a->proposed_at == b->proposed_at && a->opened_at == b->opened_at;
}

static const tally_gateway *model_gateway_record(const simulation *sim, uint32_t id) {
    return id >= 1 && id <= sim->gateway_count ? &sim->gateways[id - 1].record : NULL;
}

static bool side_ok(const tally_gateway_side *side) {
    return side->fee_bps <= TALLY_BPS_ONE && side->limit >= 0 && side->min_partner_rtd_bps <= TALLY_BPS_ONE &&
           side->max_partner_default_bps <= TALLY_BPS_ONE;
}

static void touch(simulation *sim, uint32_t network_id) {
    if (network_id >= 1 && network_id <= SIM_NETWORKS_MAX) sim->gateway_touches[network_id] = true;
}

static void predict_propose(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_tx_gateway_propose *body = &tx->body.gateway_propose;
    const tally_network *a = network_of(sim, body->network_a), *b = network_of(sim, body->network_b);
    if (!a || !b) reason_add(&p->reasons, TALLY_ERR_UNKNOWN_NETWORK);
    if (a && !operators_list(a, &tx->signer)) reason_add(&p->reasons, TALLY_ERR_NOT_OPERATOR);
    if (!a || !b) return;
    if (a == b) reason_add(&p->reasons, TALLY_ERR_SAME_NETWORK);
    const tally_gateway_terms *terms = &body->terms;
    bool fixed = terms->rate_a > 0 && terms->rate_b > 0, from_pegs = terms->rate_a == 0 && terms->rate_b == 0;
    if (!fixed && !from_pegs) reason_add(&p->reasons, TALLY_ERR_BAD_RATE);
    if (!side_ok(&terms->side[0]) || !side_ok(&terms->side[1])) reason_add(&p->reasons, TALLY_ERR_BAD_POLICY);
    if (a == b) return;
    const model_gateway *waiting = gateway_between(sim, a->id, b->id);
    if (waiting && waiting->record.status == TALLY_GATEWAY_OPEN) reason_add(&p->reasons, TALLY_ERR_GATEWAY_EXISTS);
    if (!waiting &&
        (a->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX || b->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX))
        reason_add(&p->reasons, TALLY_ERR_GATEWAYS_FULL);
    p->superseded = waiting ? waiting->record.id : 0;
    p->after = (tally_gateway){sim->gateway_count + 1, a->id,           b->id, body->terms, {false, false},
                               TALLY_GATEWAY_PROPOSED, sim->block_time, 0};
    touch(sim, a->id), touch(sim, b->id);
}

/* The rate from both pegs, restated from docs/GATEWAYS.md 1: false for BAD_RATE. */
static bool model_rate_from_pegs(const tally_network *a, const tally_network *b, int64_t *rate_a, int64_t *rate_b) {
    if (a->reserve_asset_id == 0 || a->reserve_asset_id != b->reserve_asset_id) return false;
    __extension__ typedef unsigned __int128 uint128;
    uint128 x = (uint128)(uint64_t)a->peg_credit_units * (uint64_t)b->peg_reserve_units;
    uint128 y = (uint128)(uint64_t)b->peg_credit_units * (uint64_t)a->peg_reserve_units, g = x, h = y;
    while (h) {
        uint128 r = g % h;
        g = h, h = r;
    }
    if (g == 0 || x / g > INT64_MAX || y / g > INT64_MAX) return false;
    *rate_a = (int64_t)(x / g);
    *rate_b = (int64_t)(y / g);
    return true;
}

static void predict_accept(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_tx_gateway_accept *body = &tx->body.gateway_accept;
    const tally_gateway *g = model_gateway_record(sim, body->gateway_id);
    if (!g) {
        reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_FOUND);
        return;
    }
    if (g->status != TALLY_GATEWAY_PROPOSED) reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_PROPOSED);
    if (!operators_list(network_of(sim, g->network_b), &tx->signer)) reason_add(&p->reasons, TALLY_ERR_NOT_OPERATOR);
    tally_gateway asked = *g;
    asked.terms = body->terms;
    if (!same_gateway(&asked, g)) reason_add(&p->reasons, TALLY_ERR_TERMS_CHANGED);
    p->after = *g;
    p->after.status = TALLY_GATEWAY_OPEN;
    p->after.opened_at = sim->block_time;
    if (g->terms.rate_a == 0 && !model_rate_from_pegs(network_of(sim, g->network_a), network_of(sim, g->network_b),
                                                      &p->after.terms.rate_a, &p->after.terms.rate_b))
        reason_add(&p->reasons, TALLY_ERR_BAD_RATE);
    if (g->terms.rate_a != 0) { /* a rate given is kept in lowest terms */
        int128 d = gcd128(g->terms.rate_a, g->terms.rate_b);
        p->after.terms.rate_a = (int64_t)(g->terms.rate_a / d), p->after.terms.rate_b = (int64_t)(g->terms.rate_b / d);
    }
    p->opens_mirrors = mirror_of(sim, g->network_a, g->network_b) == NULL;
    touch(sim, g->network_a), touch(sim, g->network_b);
}

/* UPDATE and FREEZE: an open gateway, a side of it, an operator of that side. */
static int predict_side(simulation *sim, const tally_tx *tx, uint32_t gateway_id, uint32_t network_id,
                        gateway_prediction *p) {
    const tally_gateway *g = model_gateway_record(sim, gateway_id);
    if (!g) {
        reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_FOUND);
        return -1;
    }
    if (g->status != TALLY_GATEWAY_OPEN) reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_OPEN);
    if (network_id != g->network_a && network_id != g->network_b) {
        reason_add(&p->reasons, TALLY_ERR_NOT_GATEWAY_SIDE);
        return -1;
    }
    if (!operators_list(network_of(sim, network_id), &tx->signer)) reason_add(&p->reasons, TALLY_ERR_NOT_OPERATOR);
    p->after = *g;
    return network_id == g->network_a ? 0 : 1;
}

static void predict_close(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_gateway *g = model_gateway_record(sim, tx->body.gateway_end.gateway_id);
    if (!g) {
        reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_FOUND);
        return;
    }
    if (g->status == TALLY_GATEWAY_CLOSED) reason_add(&p->reasons, TALLY_ERR_GATEWAY_NOT_OPEN);
    if (!operators_list(network_of(sim, g->network_a), &tx->signer) &&
        !operators_list(network_of(sim, g->network_b), &tx->signer))
        reason_add(&p->reasons, TALLY_ERR_NOT_OPERATOR);
    int64_t in_a = mirror_balance(sim, g->network_a, g->network_b),
            in_b = mirror_balance(sim, g->network_b, g->network_a);
    if (g->status == TALLY_GATEWAY_OPEN && (in_a != 0 || in_b != 0))
        reason_add_available(&p->reasons, TALLY_ERR_GATEWAY_NOT_CLEAR, in_a);
    p->after = *g;
    p->after.status = TALLY_GATEWAY_CLOSED;
    touch(sim, g->network_a), touch(sim, g->network_b);
}

static void move_add(gateway_prediction *p, const tally_member *member, int128 after, int64_t limit) {
    if (p->move_count >= GATEWAY_MOVES_MAX) return;
    p->moves[p->move_count++] = (gateway_move){member->network_id, member->key, member->balance, (int64_t)after, limit};
}

/* A network's supply and debt after the moves of it from `first` on; false when
 * they do not fit (AMOUNT_OVERFLOW). */
static bool network_moves_fit(simulation *sim, gateway_prediction *p, uint32_t network_id, uint32_t first) {
    const tally_network *network = network_of(sim, network_id);
    int64_t old_balances[GATEWAY_MOVES_MAX];
    int128 new_balances[GATEWAY_MOVES_MAX];
    int count = 0;
    for (uint32_t i = first; i < p->move_count; i++) {
        if (p->moves[i].network_id != network_id) continue;
        old_balances[count] = p->moves[i].before;
        new_balances[count++] = p->moves[i].after;
    }
    int64_t supply = network->supply, debt = network->debt;
    bool fits = model_aggregates(&supply, &debt, old_balances, new_balances, count);
    if (p->network_count < 2 * TALLY_CLEARING_SETOFFS_MAX) {
        p->networks[p->network_count] = network_id;
        p->supply[p->network_count] = supply;
        p->debt[p->network_count++] = debt;
    }
    return fits;
}

/*
 * A payment across gateways, restated from docs/GATEWAYS.md 2 and tally.h: the path
 * walked as the core walks it; then the payer's leg, a transfer to the first mirror
 * account with every fee and floor of one but no cap (payment_reasons); then each
 * hop: what arrives is the value converted at the gateway's rate rounded down, the
 * receiving side's fee (rounded up) to its fee account, the rest to the next mirror
 * account or the payee; a mirror account going deeper into debt takes new exposure:
 * refused on a frozen side, for a partner under the side's minimum RTD, and past the
 * side's limit (the room left in `available`); nothing left after the fee is too
 * small. Then the payee's cap and min_received. Every reason that holds is allowed.
 */
static void predict_cross(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_tx_transfer_cross *body = &tx->body.transfer_cross;
    sim_reasons *reasons = &p->reasons;
    const tally_network *home = network_of(sim, body->network_id);
    if (!home) {
        reason_add(reasons, TALLY_ERR_UNKNOWN_NETWORK);
        return;
    }
    if (body->amount <= 0) reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1] = {home->id};
    const tally_gateway *path[TALLY_PATH_HOPS_MAX];
    if (body->hop_count == 0 || body->hop_count > TALLY_PATH_HOPS_MAX) {
        reason_add(reasons, TALLY_ERR_BAD_PATH);
        return;
    }
    for (uint8_t h = 0; h < body->hop_count; h++) {
        const tally_gateway *g = model_gateway_record(sim, body->gateways[h]);
        tally_error bad = !g                                                           ? TALLY_ERR_GATEWAY_NOT_FOUND
                          : g->status != TALLY_GATEWAY_OPEN                            ? TALLY_ERR_GATEWAY_NOT_OPEN
                          : g->network_a != networks[h] && g->network_b != networks[h] ? TALLY_ERR_BAD_PATH
                                                                                       : TALLY_OK;
        if (bad != TALLY_OK) {
            reason_add(reasons, bad);
            return;
        }
        networks[h + 1] = other_side(g, networks[h]);
        for (uint8_t k = 0; k <= h; k++)
            if (networks[k] == networks[h + 1]) {
                reason_add(reasons, TALLY_ERR_BAD_PATH);
                return;
            }
        path[h] = g;
    }
    for (uint8_t h = body->hop_count; h < TALLY_PATH_HOPS_MAX; h++)
        if (body->gateways[h] != 0) {
            reason_add(reasons, TALLY_ERR_BAD_PATH);
            return;
        }
    const tally_member *payer = tally_state_member(sim->state, home->id, &tx->signer);
    if (!is_current(payer)) reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    uint32_t last = networks[body->hop_count];
    const tally_member *payee = tally_state_member(sim->state, last, &body->payee);
    if (tally_key_is_system(&body->payee))
        reason_add(reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    else if (!is_current(payee))
        reason_add(reasons, TALLY_ERR_NOT_MEMBER);
    if (reasons->count) return;

    /* The payer's leg. */
    const tally_member *first = mirror_of(sim, home->id, networks[1]);
    const tally_member *home_fees = tally_state_member_at(sim->state, home->fee_member);
    SIM_EXPECT(sim, first != NULL);
    if (!first) return;
    tally_network uncapped = *home;
    uncapped.policy.positive_cap = 0;
    model_payment leg = {&uncapped,    payer,         first, home_fees->balance, home->supply, home->debt,
                         body->amount, body->max_fee, 0};
    model_outcome outcome;
    payment_reasons(&leg, reasons, &outcome);
    /* Whole steps of the first gateway's rate cross; the rest of the amount (below a
     * step) goes to the home network's fee account instead (transfer.c). */
    const tally_gateway *g0 = path[0];
    int64_t rate_out = home->id == g0->network_a ? g0->terms.rate_a : g0->terms.rate_b;
    int64_t sent = body->amount / rate_out * rate_out, below_step = body->amount - sent;
    p->below_step = below_step != 0;
    if (reasons->count == 0 && sent == 0) {
        reason_add(reasons, TALLY_ERR_AMOUNT_TOO_SMALL);
        return;
    }
    if (reasons->count == 0) {
        int64_t first_after = outcome.payee_after - below_step;
        int128 fees_after = (int128)outcome.fees_after + below_step;
        if (!in_int64(fees_after)) {
            reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
            return;
        }
        p->fee = outcome.fee, p->risk_fee = outcome.risk_fee;
        p->minted = debt_of(outcome.payer_after) - debt_of(payer->balance);
        move_add(p, payer, outcome.payer_after, -1);
        move_add(p, first, first_after, -1);
        move_add(p, home_fees, (int64_t)fees_after, -1);
        p->networks[0] = home->id;
        p->supply[0] = outcome.supply + positive_of(first_after) - positive_of(outcome.payee_after) + below_step;
        p->debt[0] = outcome.debt + debt_of(first_after) - debt_of(outcome.payee_after);
        p->network_count = 1;
    }
    /* Each hop (all of them, for the reasons: each is checked on the state before). */
    int128 value = sent;
    for (uint8_t h = 0; h < body->hop_count; h++) {
        const tally_gateway *g = path[h];
        uint32_t from = networks[h], to = networks[h + 1];
        int side = to == g->network_a ? 0 : 1;
        const tally_gateway_side *terms = &g->terms.side[side];
        int64_t rate_from = side ? g->terms.rate_a : g->terms.rate_b,
                rate_to = side ? g->terms.rate_b : g->terms.rate_a;
        int128 arrived = value / rate_from * rate_to; /* whole steps: exact */
        if (arrived > INT64_MAX) {
            reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
            return;
        }
        int64_t fee = fee_of((int64_t)arrived, terms->fee_bps);
        /* on to the next gateway: its whole steps only, the rest kept here with the fee */
        int128 onward = arrived - fee;
        if (h + 1 < body->hop_count) {
            const tally_gateway *next_g = path[h + 1];
            int64_t next_rate = to == next_g->network_a ? next_g->terms.rate_a : next_g->terms.rate_b;
            if (onward % next_rate != 0) p->below_step = true;
            onward = onward / next_rate * next_rate;
        }
        const tally_network *network = network_of(sim, to);
        const tally_member *mirror = mirror_of(sim, to, from),
                           *fees = tally_state_member_at(sim->state, network->fee_member);
        const tally_member *next = h + 1 < body->hop_count ? mirror_of(sim, to, networks[h + 2]) : payee;
        SIM_EXPECT(sim, mirror && next);
        if (!mirror || !next) return;
        int128 mirror_after = (int128)mirror->balance - arrived, fees_after = (int128)fees->balance + arrived - onward;
        int128 next_after = (int128)next->balance + onward;
        if (!in_int64(mirror_after) || !in_int64(fees_after) || !in_int64(next_after))
            reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
        bool deeper = mirror_after < 0 && mirror_after < mirror->balance;
        if (deeper && g->frozen[side]) reason_add(reasons, TALLY_ERR_GATEWAY_FROZEN);
        if (deeper && terms->min_partner_rtd_bps &&
            tally_network_rtd_bps(network_of(sim, from)) < (int64_t)terms->min_partner_rtd_bps)
            reason_add(reasons, TALLY_ERR_PARTNER_UNHEALTHY);
        if (deeper && mirror_after < -(int128)terms->limit)
            reason_add_available(reasons, TALLY_ERR_EXPOSURE_LIMIT,
                                 positive_of(terms->limit + (mirror->balance < 0 ? mirror->balance : 0)));
        if (onward <= 0) {
            reason_add(reasons, TALLY_ERR_AMOUNT_TOO_SMALL);
            return;
        }
        uint32_t first_move = p->move_count;
        if (mirror->balance > 0) p->reduced = true; /* `to` paid back what it owed `from` */
        move_add(p, mirror, mirror_after, deeper ? terms->limit : -1);
        move_add(p, fees, fees_after, -1);
        move_add(p, next, next_after, -1);
        if (!network_moves_fit(sim, p, to, first_move)) reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
        value = onward;
    }
    p->received = (int64_t)value;
    const tally_network *payee_network = network_of(sim, last);
    int64_t cap = payee_network->policy.positive_cap;
    int128 payee_after = (int128)payee->balance + value;
    if (cap > 0 && payee_after > cap && payee_after > payee->balance)
        reason_add_available(reasons, TALLY_ERR_CAP_REACHED, positive_of(cap - positive_of(payee->balance)));
    if (value < body->min_received) reason_add_available(reasons, TALLY_ERR_BELOW_MIN_RECEIVED, (int64_t)value);
    for (uint32_t h = 0; h <= body->hop_count; h++) touch(sim, networks[h]);
}

/*
 * A clearing, restated from docs/GATEWAYS.md 5: 1 to 8 set-offs and the unused ones
 * zero; each of an open gateway named once, exactly at its rate, moving both of its
 * mirror accounts toward zero and never past; and in every network the legs sum to
 * nothing (creditors pay debtors) with its supply and debt in range.
 */
static void predict_clearing(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_tx_clearing *body = &tx->body.clearing;
    sim_reasons *reasons = &p->reasons;
    if (body->count == 0 || body->count > TALLY_CLEARING_SETOFFS_MAX) {
        reason_add(reasons, TALLY_ERR_BAD_CLEARING);
        return;
    }
    for (uint8_t i = body->count; i < TALLY_CLEARING_SETOFFS_MAX; i++)
        if (body->setoffs[i].gateway_id || body->setoffs[i].amount_a || body->setoffs[i].amount_b)
            reason_add(reasons, TALLY_ERR_BAD_CLEARING);
    for (uint8_t i = 0; i < body->count; i++) {
        const tally_setoff *setoff = &body->setoffs[i];
        const tally_gateway *g = model_gateway_record(sim, setoff->gateway_id);
        if (!g) {
            reason_add(reasons, TALLY_ERR_GATEWAY_NOT_FOUND);
            continue;
        }
        if (g->status != TALLY_GATEWAY_OPEN) {
            reason_add(reasons, TALLY_ERR_GATEWAY_NOT_OPEN);
            continue;
        }
        for (uint8_t k = 0; k < i; k++)
            if (body->setoffs[k].gateway_id == setoff->gateway_id) reason_add(reasons, TALLY_ERR_BAD_CLEARING);
        if ((int128)setoff->amount_a * g->terms.rate_b != (int128)setoff->amount_b * g->terms.rate_a)
            reason_add(reasons, TALLY_ERR_BAD_CLEARING);
        const tally_member *in_a = mirror_of(sim, g->network_a, g->network_b),
                           *in_b = mirror_of(sim, g->network_b, g->network_a);
        const tally_member *mirrors[2] = {in_a, in_b};
        const int64_t amounts[2] = {setoff->amount_a, setoff->amount_b};
        for (int s = 0; s < 2; s++) {
            int64_t balance = mirrors[s] ? mirrors[s]->balance : 0, amount = amounts[s];
            if (!mirrors[s] || amount <= 0 || balance == 0 ||
                (balance > 0 ? amount > balance : amount > -(int128)balance)) {
                reason_add(reasons, TALLY_ERR_BAD_CLEARING);
                continue;
            }
            move_add(p, mirrors[s], balance > 0 ? (int128)balance - amount : (int128)balance + amount, -1);
        }
    }
    if (reasons->count) return;
    for (uint32_t i = 0; i < p->move_count; i++) {
        bool seen = false;
        for (uint32_t k = 0; k < i; k++) seen = seen || p->moves[k].network_id == p->moves[i].network_id;
        if (seen) continue;
        int128 moved = 0;
        for (uint32_t k = i; k < p->move_count; k++)
            if (p->moves[k].network_id == p->moves[i].network_id)
                moved += (int128)p->moves[k].after - p->moves[k].before;
        if (moved != 0) reason_add(reasons, TALLY_ERR_BAD_CLEARING);
        uint32_t network_id = p->moves[i].network_id;
        /* network_moves_fit counts the moves of the network from `first` on */
        if (!network_moves_fit(sim, p, network_id, i)) reason_add(reasons, TALLY_ERR_BAD_CLEARING);
        touch(sim, network_id);
    }
}

/*
 * A settlement, restated from docs/GATEWAYS.md 5: an open gateway, the debtor side
 * one of its networks and the signer its operator, a partner with a reserve asset, an
 * amount of whole steps of the partner's part of the rate and at most the partner's
 * exposure to the debtor, reserve (the amount at the partner's peg, rounded up) the
 * signer holds. The partner's mirror account rises by the amount against its lost
 * debt, the debtor's falls by the same value into its pool account.
 */
static void predict_settle(simulation *sim, const tally_tx *tx, gateway_prediction *p) {
    const tally_tx_settle *body = &tx->body.settle;
    sim_reasons *reasons = &p->reasons;
    const tally_gateway *g = model_gateway_record(sim, body->gateway_id);
    if (!g) {
        reason_add(reasons, TALLY_ERR_GATEWAY_NOT_FOUND);
        return;
    }
    if (g->status != TALLY_GATEWAY_OPEN) reason_add(reasons, TALLY_ERR_GATEWAY_NOT_OPEN);
    if (body->network_id != g->network_a && body->network_id != g->network_b) {
        reason_add(reasons, TALLY_ERR_NOT_GATEWAY_SIDE);
        return;
    }
    const tally_network *debtor = network_of(sim, body->network_id);
    if (!debtor || !operators_list(debtor, &tx->signer)) reason_add(reasons, TALLY_ERR_NOT_OPERATOR);
    if (reasons->count) return;
    bool debtor_a = body->network_id == g->network_a;
    uint32_t partner_id = debtor_a ? g->network_b : g->network_a;
    const tally_network *partner = network_of(sim, partner_id);
    if (partner->reserve_asset_id == 0) {
        reason_add(reasons, TALLY_ERR_NO_RESERVE_ASSET);
        return;
    }
    if (body->amount <= 0) {
        reason_add(reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
        return;
    }
    int64_t rate_debtor = debtor_a ? g->terms.rate_a : g->terms.rate_b;
    int64_t rate_partner = debtor_a ? g->terms.rate_b : g->terms.rate_a;
    if (body->amount % rate_partner != 0) {
        reason_add(reasons, TALLY_ERR_NOT_WHOLE_STEPS);
        return;
    }
    const tally_member *owed = mirror_of(sim, partner_id, debtor->id), *owing = mirror_of(sim, debtor->id, partner_id);
    SIM_EXPECT(sim, owed && owing);
    if (!owed || !owing) return;
    if (body->amount > debt_of(owed->balance)) {
        reason_add_available(reasons, TALLY_ERR_NOT_IN_DEBT, debt_of(owed->balance));
        return;
    }
    int128 reserve = ((int128)body->amount * partner->peg_reserve_units + partner->peg_credit_units - 1) /
                     partner->peg_credit_units;
    if (!fits_int64(reserve)) {
        reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
        return;
    }
    int64_t held = tally_state_asset_balance(sim->state, partner->reserve_asset_id, &tx->signer);
    if (held < reserve) {
        reason_add_available(reasons, TALLY_ERR_INSUFFICIENT_ASSET, held);
        return;
    }
    int64_t back = (int64_t)((int128)body->amount / rate_partner * rate_debtor);
    const tally_member *lost = tally_state_member_at(sim->state, partner->lost_debt_member);
    const tally_member *pool = tally_state_member_at(sim->state, debtor->pool_member);
    if (!in_int64((int128)lost->balance - body->amount) || !in_int64((int128)pool->balance + back)) {
        reason_add(reasons, TALLY_ERR_AMOUNT_OVERFLOW);
        return;
    }
    move_add(p, owed, owed->balance + body->amount, -1);
    move_add(p, lost, lost->balance - body->amount, -1);
    move_add(p, owing, owing->balance - back, -1);
    move_add(p, pool, pool->balance + back, -1);
    /* supply and debt move alike in each (a debt moves to the lost-debt account; the
     * mirror's credits to the pool account): unchanged */
    p->networks[0] = partner_id, p->supply[0] = partner->supply, p->debt[0] = partner->debt;
    p->networks[1] = debtor->id, p->supply[1] = debtor->supply, p->debt[1] = debtor->debt;
    p->network_count = 2;
    p->reserve = (int64_t)reserve;
    p->reserve_asset = partner->reserve_asset_id;
    p->reserve_pool_network = partner_id;
    p->received = back;
    touch(sim, partner_id), touch(sim, debtor->id);
}

static void gateway_predict(simulation *sim, const sim_gen *gen, gateway_prediction *p) {
    const tally_tx *tx = &gen->tx;
    memset(p, 0, sizeof *p);
    memset(sim->gateway_touches, 0, sizeof sim->gateway_touches);
    switch (tx->type) {
    case TALLY_TX_GATEWAY_PROPOSE: predict_propose(sim, tx, p); break;
    case TALLY_TX_GATEWAY_ACCEPT: predict_accept(sim, tx, p); break;
    case TALLY_TX_GATEWAY_UPDATE: {
        const tally_tx_gateway_update *body = &tx->body.gateway_update;
        int side = predict_side(sim, tx, body->gateway_id, body->network_id, p);
        if (side >= 0 && !side_ok(&body->side)) reason_add(&p->reasons, TALLY_ERR_BAD_POLICY);
        if (side >= 0) p->after.terms.side[side] = body->side;
        break;
    }
    case TALLY_TX_GATEWAY_FREEZE: {
        const tally_tx_gateway_freeze *body = &tx->body.gateway_freeze;
        int side = predict_side(sim, tx, body->gateway_id, body->network_id, p);
        if (side >= 0) p->after.frozen[side] = body->frozen;
        break;
    }
    case TALLY_TX_GATEWAY_CLOSE: predict_close(sim, tx, p); break;
    case TALLY_TX_TRANSFER_CROSS: predict_cross(sim, tx, p); break;
    case TALLY_TX_CLEARING: predict_clearing(sim, tx, p); break;
    case TALLY_TX_SETTLE: predict_settle(sim, tx, p); break;
    default: break;
    }
}

static bool cross_would_pass(simulation *sim, const sim_gen *gen, int64_t *received, bool *too_much) {
    gateway_prediction *p = sim->gateway;
    gateway_predict(sim, gen, p);
    *received = p->received;
    *too_much = false;
    for (int i = 0; i < p->reasons.count; i++) {
        tally_error code = p->reasons.codes[i];
        *too_much = *too_much || code == TALLY_ERR_EXPOSURE_LIMIT || code == TALLY_ERR_INSUFFICIENT_CREDIT ||
                    code == TALLY_ERR_CAP_REACHED || code == TALLY_ERR_BELOW_MIN_RECEIVED;
    }
    return p->reasons.count == 0;
}

static model_gateway *gateway_add(simulation *sim, const tally_gateway *record) {
    if (sim->gateway_count == sim->gateway_capacity) {
        sim->gateway_capacity = sim->gateway_capacity ? sim->gateway_capacity * 2 : 64;
        sim->gateways = realloc(sim->gateways, sim->gateway_capacity * sizeof *sim->gateways);
        if (!sim->gateways) abort();
    }
    model_gateway *g = &sim->gateways[sim->gateway_count++];
    memset(g, 0, sizeof *g);
    g->record = *record;
    return g;
}

/* mirror_a * rate_b + mirror_b * rate_a, or false when it passes 128 bits. */
static bool gateway_drift(const simulation *sim, const tally_gateway *g, int128 *out) {
    int128 x, y;
    if (__builtin_mul_overflow((int128)mirror_balance(sim, g->network_a, g->network_b), (int128)g->terms.rate_b, &x) ||
        __builtin_mul_overflow((int128)mirror_balance(sim, g->network_b, g->network_a), (int128)g->terms.rate_a, &y) ||
        __builtin_add_overflow(x, y, out))
        return false;
    return true;
}

/* Every network's balances sum to zero (the mirror accounts included). */
static void check_zero_sums(simulation *sim) {
    int128 sums[SIM_NETWORKS_MAX + 1] = {0};
    uint32_t count = tally_state_member_count(sim->state);
    for (uint32_t i = 0; i < count; i++) {
        const tally_member *m = tally_state_member_at(sim->state, i);
        if (m->network_id >= 1 && m->network_id <= SIM_NETWORKS_MAX) sums[m->network_id] += m->balance;
    }
    for (uint32_t id = 1; id <= SIM_NETWORKS_MAX; id++) SIM_EXPECT(sim, sums[id] == 0);
}

static void check_gateway_outcome(simulation *sim, const sim_gen *gen, const tally_result *result) {
    const gateway_prediction *p = sim->gateway;
    const tally_tx *tx = &gen->tx;
    expect_outcome(sim, result, &p->reasons, tally_tx_type_name(tx->type));
    if (result->code != TALLY_OK || sim->failed) return;
    sim_counts *c = &sim->counts;
    char what[300];
    switch (tx->type) {
    case TALLY_TX_GATEWAY_PROPOSE:
        SIM_EXPECT(sim, result->created_id == p->after.id);
        if (p->superseded) {
            sim->gateways[p->superseded - 1].record.status = TALLY_GATEWAY_CLOSED;
            c->gateways_superseded++;
        }
        gateway_add(sim, &p->after);
        c->gateways_proposed++;
        return;
    case TALLY_TX_GATEWAY_ACCEPT:
    case TALLY_TX_GATEWAY_UPDATE:
    case TALLY_TX_GATEWAY_FREEZE:
    case TALLY_TX_GATEWAY_CLOSE: {
        model_gateway *g = &sim->gateways[p->after.id - 1];
        if (tx->type == TALLY_TX_GATEWAY_ACCEPT) {
            c->gateways_accepted++;
            if (g->record.terms.rate_a == 0) c->gateways_from_pegs++;
            SIM_EXPECT(sim, mirror_balance(sim, g->record.network_a, g->record.network_b) == 0 &&
                                mirror_balance(sim, g->record.network_b, g->record.network_a) == 0);
        }
        if (tx->type == TALLY_TX_GATEWAY_UPDATE) c->gateways_updated++;
        if (tx->type == TALLY_TX_GATEWAY_FREEZE) {
            if (tx->body.gateway_freeze.frozen)
                c->gateways_frozen++;
            else
                c->gateways_unfrozen++;
        }
        if (tx->type == TALLY_TX_GATEWAY_CLOSE) {
            if (g->record.status == TALLY_GATEWAY_OPEN)
                c->gateways_closed++;
            else
                c->proposals_closed++;
        }
        g->record = p->after;
        return;
    }
    default: break;
    }
    /* The money: every balance the model moved, as it said, and nothing else in the
     * networks (their supply and debt are the model's); a mirror account that went
     * deeper into debt stays within its side's limit. */
    for (uint32_t i = 0; i < p->move_count; i++) {
        const gateway_move *m = &p->moves[i];
        const tally_member *member = tally_state_member(sim->state, m->network_id, &m->key);
        /* the payer's underwriters took their shares of the risk fee from the fee account */
        int64_t shares = 0;
        if (tx->type == TALLY_TX_TRANSFER_CROSS && m->network_id == tx->body.transfer_cross.network_id) {
            tally_key fees = tally_system_key(m->network_id, TALLY_SYSTEM_FEES);
            shares = same_key(&m->key, &fees) ? -sim->shares_paid : share_to(sim, m->network_id, &m->key);
        }
        if (!member || member->balance != m->after + shares) {
            snprintf(what, sizeof what, "%s: a balance in network %u is %lld, the model %lld (before %lld)",
                     tally_tx_type_name(tx->type), m->network_id, member ? (long long)member->balance : 0LL,
                     (long long)m->after, (long long)m->before);
            sim_fail(sim, __LINE__, what);
            return;
        }
        if (m->limit >= 0) SIM_EXPECT(sim, member->balance >= -m->limit);
    }
    for (uint32_t i = 0; i < p->network_count; i++) {
        const tally_network *network = network_of(sim, p->networks[i]);
        int64_t burned = tx->type == TALLY_TX_TRANSFER_CROSS && p->networks[i] == tx->body.transfer_cross.network_id
                             ? shares_burned(sim, p->networks[i])
                             : 0;
        SIM_EXPECT(sim, network->supply == p->supply[i] - burned && network->debt == p->debt[i] - burned);
    }
    check_zero_sums(sim);
    if (tx->type == TALLY_TX_TRANSFER_CROSS) {
        SIM_EXPECT(sim, result->fee == p->fee && result->risk_fee == p->risk_fee && result->minted == p->minted &&
                            result->available == p->received);
        uint8_t hops = tx->body.transfer_cross.hop_count;
        if (hops == 1)
            c->cross_one_hop++;
        else
            c->cross_multi_hop++;
        if (hops == TALLY_PATH_HOPS_MAX) c->cross_four_hops++;
        if (p->below_step) c->cross_rounded++;
        if (p->reduced) c->cross_exposure_reduced++;
    } else if (tx->type == TALLY_TX_SETTLE) {
        SIM_EXPECT(sim, result->reserve == p->reserve && result->available == p->received);
        tally_key pool = tally_system_key(p->reserve_pool_network, TALLY_SYSTEM_POOL);
        SIM_EXPECT(sim, tally_state_asset_balance(sim->state, p->reserve_asset, &pool) ==
                            sim->gateway_pool_reserve_before + p->reserve);
        SIM_EXPECT(sim, tally_state_asset_balance(sim->state, p->reserve_asset, &tx->signer) ==
                            sim->gateway_signer_reserve_before - p->reserve);
        SIM_EXPECT(sim, network_of(sim, p->reserve_pool_network)->pool_buffer ==
                            sim->gateway_pool_buffer_before + p->reserve);
        c->settlements++;
    } else {
        c->clearings++;
        c->clearing_setoffs += tx->body.clearing.count;
    }
}

/* After every step: the gateways are the model's, every open one's mirror accounts
 * hold exactly the rounding the model counted (exact mirrors at the rate while it is
 * 0), and each network counts the gateways not closed that it is a side of. */
static void check_gateways(simulation *sim, bool whole) {
    char what[300];
    if (tally_state_gateway_count(sim->state) != sim->gateway_count) {
        snprintf(what, sizeof what, "the state has %u gateways, the model %u", tally_state_gateway_count(sim->state),
                 sim->gateway_count);
        sim_fail(sim, __LINE__, what);
        return;
    }
    if (!whole) return;
    uint32_t not_closed[SIM_NETWORKS_MAX + 1] = {0};
    for (uint32_t i = 0; i < sim->gateway_count && !sim->failed; i++) {
        const model_gateway *g = &sim->gateways[i];
        if (!same_gateway(&g->record, tally_state_gateway(sim->state, i + 1))) {
            snprintf(what, sizeof what, "gateway %u is not the model's (status %u, the model %u)", i + 1,
                     tally_state_gateway(sim->state, i + 1)->status, g->record.status);
            sim_fail(sim, __LINE__, what);
            return;
        }
        const tally_gateway *r = &g->record;
        if (r->status != TALLY_GATEWAY_CLOSED) {
            if (r->network_a <= SIM_NETWORKS_MAX) not_closed[r->network_a]++;
            if (r->network_b <= SIM_NETWORKS_MAX) not_closed[r->network_b]++;
        }
        if (r->status != TALLY_GATEWAY_OPEN) continue;
        int128 drift;
        if (!gateway_drift(sim, r, &drift) || drift != 0) {
            snprintf(what, sizeof what, "gateway %u (%lld:%lld): mirror accounts %lld and %lld are not exact mirrors",
                     r->id, (long long)r->terms.rate_a, (long long)r->terms.rate_b,
                     (long long)mirror_balance(sim, r->network_a, r->network_b),
                     (long long)mirror_balance(sim, r->network_b, r->network_a));
            sim_fail(sim, __LINE__, what);
        }
    }
    for (uint32_t id = 1; id <= modelled_networks(sim) && !sim->failed; id++)
        SIM_EXPECT(sim, network_of(sim, id)->open_gateways == not_closed[id]);
}

/* ---- underwriting and charges: the model (docs/UNDERWRITING.md) --------- */

/* What `reserve` staked covers, restated: its value at the peg rounded down, times
 * 10000 / collateral_ratio_bps rounded down; 0 without a ratio or a peg. A value
 * past 2^100 covers more than int64 holds whatever the ratio (at most 1,000,000). */
static int64_t model_cover(const tally_network *network, int64_t reserve) {
    uint32_t ratio = network->policy.collateral_ratio_bps;
    if (ratio == 0 || network->reserve_asset_id == 0 || reserve <= 0 || network->peg_reserve_units <= 0 ||
        network->peg_credit_units <= 0)
        return 0;
    int128 value = (int128)reserve * network->peg_credit_units / network->peg_reserve_units;
    if (value >= (int128)1 << 100) return INT64_MAX;
    int128 cover = value * TALLY_BPS_ONE / ratio;
    return cover > INT64_MAX ? INT64_MAX : (int64_t)cover;
}

/* The model's stake of `underwriter` behind `member`'s line in network_id, or NULL. */
static tally_stake *model_stake_of(simulation *sim, uint32_t network_id, const tally_key *member,
                                   const tally_key *underwriter) {
    for (uint32_t i = 0; i < sim->stake_count; i++) {
        tally_stake *stake = &sim->stakes[i];
        if (stake->network_id == network_id && same_key(&stake->member, member) &&
            same_key(&stake->underwriter, underwriter))
            return stake;
    }
    return NULL;
}

/* What the line owes above its own part (holds counted as spent): what the stakes
 * left after an unstake must still cover. */
static int64_t model_cover_needed(const tally_member *member) {
    if (!line_is_open(member)) return 0;
    int128 above = (int128)member->pending_out - member->balance - ((int128)member->limit - member->underwritten_limit);
    return above <= 0 ? 0 : above > INT64_MAX ? INT64_MAX : (int64_t)above;
}

static bool same_stake(const tally_stake *a, const tally_stake *b) {
    return a->id == b->id && a->network_id == b->network_id && same_key(&a->member, &b->member) &&
           same_key(&a->underwriter, &b->underwriter) && a->amount == b->amount && a->earned == b->earned &&
           a->slashed == b->slashed && a->next == b->next && a->created_at == b->created_at;
}

/* The core's table of stakes is the model's, field by field; per network the
 * stakes sum to stakes_locked and to what its underwriting account holds. */
static void check_stake_table(simulation *sim) {
    char what[300];
    uint32_t count = tally_state_stake_count(sim->state);
    if (count != sim->stake_count) {
        snprintf(what, sizeof what, "the state has %u stakes, the model %u", count, sim->stake_count);
        sim_fail(sim, __LINE__, what);
        return;
    }
    int128 locked[SIM_NETWORKS_MAX + 1] = {0};
    for (uint32_t id = 1; id <= count; id++) {
        const tally_stake *core = tally_state_stake(sim->state, id), *model = &sim->stakes[id - 1];
        if (model->network_id <= SIM_NETWORKS_MAX) locked[model->network_id] += model->amount;
        if (core && same_stake(core, model)) continue;
        snprintf(what, sizeof what, "stake %u is not the model's: amount %lld (the model %lld), earned %lld (%lld), "
                 "slashed %lld (%lld), next %u (%u)", id, core ? (long long)core->amount : -1LL,
                 (long long)model->amount, core ? (long long)core->earned : -1LL, (long long)model->earned,
                 core ? (long long)core->slashed : -1LL, (long long)model->slashed, core ? core->next : 0u,
                 model->next);
        sim_fail(sim, __LINE__, what);
        return;
    }
    uint32_t networks = tally_state_network_count(sim->state);
    for (uint32_t id = 1; id <= networks && id <= SIM_NETWORKS_MAX; id++) {
        const tally_network *network = network_of(sim, id);
        tally_key account = tally_system_key(id, TALLY_SYSTEM_UNDERWRITING);
        int64_t held = network->reserve_asset_id ? tally_state_asset_balance(sim->state, network->reserve_asset_id, &account) : 0;
        if (locked[id] == network->stakes_locked && locked[id] == held) continue;
        snprintf(what, sizeof what, "network %u: the model's stakes sum to %lld, stakes_locked %lld, the "
                 "underwriting account holds %lld", id, (long long)locked[id], (long long)network->stakes_locked,
                 (long long)held);
        sim_fail(sim, __LINE__, what);
        return;
    }
}

/* STAKE: refused for exactly the reasons the rules give, from the state before;
 * accepted, the reserve moved into the underwriting account, the stake record (new
 * or grown), and the line: its underwritten part rose to the cover of all its
 * stakes (never lower), a line opened where there was none. */
static void check_stake_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b,
                                const sim_view *a) {
    const tally_tx *tx = &gen->tx;
    const tally_tx_stake *body = &tx->body.stake;
    sim_reasons reasons;
    memset(&reasons, 0, sizeof reasons);
    bool unstake = tx->type == TALLY_TX_UNSTAKE;
    if (!b->network_id) {
        if (body->network_id == 0 || body->network_id > b->network_count) {
            reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
            expect_outcome(sim, result, &reasons, tally_tx_type_name(tx->type));
        }
        return; /* a network past the modelled ones */
    }
    const tally_network *network = named_before(b);
    const tally_member *signer = &b->signer.member, *member = &b->other.member;
    if (network->reserve_asset_id == 0) reason_add(&reasons, TALLY_ERR_NO_RESERVE_ASSET);
    if (body->amount <= 0) reason_add(&reasons, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (!b->signer.present || !is_current(signer)) reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
    if (tally_key_is_system(&body->member)) reason_add(&reasons, TALLY_ERR_SYSTEM_ACCOUNT);
    else if (same_key(&body->member, &tx->signer)) reason_add(&reasons, TALLY_ERR_UNDERWRITE_SELF);
    else if (!b->other.present || !is_current(member)) reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
    if (reasons.count) {
        expect_outcome(sim, result, &reasons, tally_tx_type_name(tx->type));
        return;
    }
    tally_stake *stake = model_stake_of(sim, b->network_id, &body->member, &tx->signer);
    int64_t behind = member->staked_behind, amount = body->amount;
    int64_t cover = 0, most = 0;
    if (!unstake) {
        if (network->policy.collateral_ratio_bps == 0) reason_add(&reasons, TALLY_ERR_UNDERWRITING_OFF);
        if (member->status == TALLY_MEMBER_DEFAULTED) reason_add(&reasons, TALLY_ERR_MEMBER_DEFAULTED);
        if (b->signer_asset < amount) reason_add_available(&reasons, TALLY_ERR_INSUFFICIENT_ASSET, b->signer_asset);
        if (!stake && (member->stake_count >= TALLY_STAKES_PER_LINE_MAX || signer->stakes_made >= TALLY_OPEN_PER_MEMBER_MAX))
            reason_add(&reasons, TALLY_ERR_TOO_MANY_STAKES);
        if ((int128)behind + amount > INT64_MAX || (int128)signer->staked_total + amount > INT64_MAX ||
            (int128)network->stakes_locked + amount > INT64_MAX)
            reason_add(&reasons, TALLY_ERR_AMOUNT_OVERFLOW);
        if (!reasons.count) cover = model_cover(network, behind + amount);
        int64_t underwritten = cover > member->underwritten_limit ? cover : member->underwritten_limit;
        int128 own = line_is_open(member) ? (int128)member->limit - member->underwritten_limit : 0;
        if (!reasons.count && own + underwritten > INT64_MAX) reason_add(&reasons, TALLY_ERR_AMOUNT_OVERFLOW);
    } else if (!stake || stake->amount == 0) {
        reason_add(&reasons, TALLY_ERR_STAKE_NOT_FOUND);
    } else if (amount > stake->amount) {
        reason_add_available(&reasons, TALLY_ERR_STAKE_SHORT, stake->amount);
    } else {
        int64_t needed = model_cover_needed(member);
        cover = model_cover(network, behind - amount);
        if (cover < needed) {
            /* the most that could come back: cover falls as more comes back */
            for (int64_t low = 0, high = amount; low <= high;) {
                int64_t mid = low + (high - low) / 2;
                if (model_cover(network, behind - mid) >= needed) most = mid, low = mid + 1;
                else high = mid - 1;
            }
            reason_add_available(&reasons, TALLY_ERR_STAKE_COVERS_DEBT, most);
        }
    }
    expect_outcome(sim, result, &reasons, tally_tx_type_name(tx->type));
    if (result->code != TALLY_OK || reasons.count || sim->failed) return;
    const tally_member *signer_a = &a->signer.member, *member_a = &a->other.member;
    int64_t sign = unstake ? -1 : 1;
    /* The reserve: from the underwriter into the underwriting account, or back. */
    SIM_EXPECT(sim, result->reserve == amount);
    SIM_EXPECT(sim, tally_state_asset_balance(sim->state, network->reserve_asset_id, &tx->signer) ==
                        b->signer_asset - sign * amount);
    SIM_EXPECT(sim, a->underwriting_asset == b->underwriting_asset + sign * amount);
    SIM_EXPECT(sim, named_after(a)->stakes_locked == network->stakes_locked + sign * amount);
    SIM_EXPECT(sim, signer_a->staked_total == signer->staked_total + sign * amount);
    SIM_EXPECT(sim, member_a->staked_behind == behind + sign * amount);
    SIM_EXPECT(sim, member_a->balance == member->balance && signer_a->balance == signer->balance);
    int64_t underwritten, limit;
    if (!unstake) {
        underwritten = cover > member->underwritten_limit ? cover : member->underwritten_limit;
        limit = (line_is_open(member) ? member->limit - member->underwritten_limit : 0) + underwritten;
        if (!line_is_open(member)) {
            /* a line at its first stake: own part 0, the policy's period and risk fee */
            SIM_EXPECT(sim, member_a->line_status == TALLY_LINE_ACTIVE && member_a->period_start == sim->block_time &&
                                member_a->period_end == sim->block_time + (int64_t)network->policy.period_seconds &&
                                member_a->risk_fee_bps == network->policy.default_risk_fee_bps);
            sim->counts.stake_lines_opened++;
        } else {
            SIM_EXPECT(sim, member_a->line_status == member->line_status);
        }
        if (!stake) {
            /* a new record, last behind the line */
            if (sim->stake_count == sim->stake_capacity) {
                sim->stake_capacity = sim->stake_capacity ? sim->stake_capacity * 2 : 256;
                sim->stakes = realloc(sim->stakes, sim->stake_capacity * sizeof *sim->stakes);
                if (!sim->stakes) abort();
            }
            uint32_t id = sim->stake_count + 1;
            for (uint32_t i = sim->stake_count; i-- > 0;) {
                tally_stake *last = &sim->stakes[i];
                if (last->network_id == b->network_id && same_key(&last->member, &body->member)) {
                    SIM_EXPECT(sim, last->next == 0);
                    last->next = id;
                    break;
                }
            }
            stake = &sim->stakes[sim->stake_count++];
            memset(stake, 0, sizeof *stake);
            *stake = (tally_stake){.id = id, .network_id = b->network_id, .member = body->member,
                                   .underwriter = tx->signer, .created_at = sim->block_time};
            SIM_EXPECT(sim, member_a->stake_count == member->stake_count + 1 &&
                                signer_a->stakes_made == signer->stakes_made + 1 &&
                                (member->first_stake == 0 ? member_a->first_stake == id
                                                          : member_a->first_stake == member->first_stake));
            sim->counts.stakes_made++;
        } else {
            SIM_EXPECT(sim, member_a->stake_count == member->stake_count && signer_a->stakes_made == signer->stakes_made);
            sim->counts.stakes_added++;
        }
        stake->amount += amount;
    } else {
        /* the underwritten part follows the cover down */
        underwritten = member->underwritten_limit > cover ? cover : member->underwritten_limit;
        limit = member->limit - (member->underwritten_limit - underwritten);
        SIM_EXPECT(sim, member_a->line_status == member->line_status);
        stake->amount -= amount;
        sim->counts.unstakes++;
        if (stake->amount == 0) sim->counts.unstakes_whole++;
    }
    SIM_EXPECT(sim, member_a->underwritten_limit == underwritten && member_a->limit == limit &&
                        result->available == limit);
    SIM_EXPECT(sim, a->stake_count == sim->stake_count);
}

/* MEMBER_FEE_PAY: what the member owes, within its line as if it were active, to
 * the fee account or the pool's (charges_to_pool); then it is active again. */
static void check_fee_pay_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b,
                                  const sim_view *a) {
    const tally_tx *tx = &gen->tx;
    sim_reasons reasons;
    memset(&reasons, 0, sizeof reasons);
    uint32_t network_id = tx->body.network_only.network_id;
    if (!b->network_id) {
        if (network_id == 0 || network_id > b->network_count) {
            reason_add(&reasons, TALLY_ERR_UNKNOWN_NETWORK);
            expect_outcome(sim, result, &reasons, "a membership fee's payment");
        }
        return;
    }
    const tally_network *network = named_before(b);
    const tally_member *payer = &b->signer.member;
    tally_member as_active;
    if (!b->signer.present || !is_current(payer)) {
        reason_add(&reasons, TALLY_ERR_NOT_MEMBER);
    } else if (payer->fee_owed == 0) {
        reason_add(&reasons, TALLY_ERR_NO_FEE_OWED);
    } else {
        as_active = *payer;
        if (as_active.status == TALLY_MEMBER_SUSPENDED) as_active.status = TALLY_MEMBER_ACTIVE;
        int128 own = own_of(&as_active);
        floor_reasons(&reasons, &as_active, own, own - payer->fee_owed);
    }
    expect_outcome(sim, result, &reasons, "a membership fee's payment");
    if (result->code != TALLY_OK || reasons.count || sim->failed) return;
    int64_t owed = payer->fee_owed;
    const member_view *to_b = network->policy.charges_to_pool ? &b->pool : &b->fees;
    const member_view *to_a = network->policy.charges_to_pool ? &a->pool : &a->fees;
    const tally_member *payer_a = &a->signer.member;
    SIM_EXPECT(sim, result->fee == owed && payer_a->balance == payer->balance - owed && payer_a->fee_owed == 0);
    SIM_EXPECT(sim, to_a->member.balance == to_b->member.balance + owed);
    SIM_EXPECT(sim, payer_a->status == (payer->status == TALLY_MEMBER_SUSPENDED ? TALLY_MEMBER_ACTIVE : payer->status));
    /* paid on credit, the fee is new debt (check_tables: minted - burned is the debt's change) */
    SIM_EXPECT(sim, result->minted == debt_of(payer_a->balance) - debt_of(payer->balance) &&
                        result->burned == debt_of(to_b->member.balance) - debt_of(to_a->member.balance));
    sim->counts.fee_pays++;
    if (payer_a->balance < 0 && payer_a->balance < payer->balance) sim->counts.fee_pays_from_credit++;
}

/* The payer of a payment, and so the line whose underwriters its risk fee pays:
 * the signer in the network the payment leaves from. */
static const tally_member *paying_member(const simulation *sim, const tally_tx *tx, uint32_t *network_id) {
    uint32_t id = 0;
    switch (tx->type) {
    case TALLY_TX_TRANSFER: id = tx->body.transfer.network_id; break;
    case TALLY_TX_TRANSFER_BATCH: id = tx->body.transfer_batch.network_id; break;
    case TALLY_TX_TRANSFER_CROSS: id = tx->body.transfer_cross.network_id; break;
    case TALLY_TX_REQUEST_PAY: {
        const tally_request *request = tally_state_request(sim->state, tx->body.request_end.request_id);
        id = request ? request->network_id : 0;
        break;
    }
    case TALLY_TX_PENDING_POST: {
        /* a hold's payer pays, whoever posts it (the payer or the resolver) */
        const tally_pending *hold = tally_state_pending(sim->state, tx->body.pending_end.pending_id);
        if (!hold || hold->network_id > SIM_NETWORKS_MAX || !network_of(sim, hold->network_id)) return NULL;
        *network_id = hold->network_id;
        return tally_state_member(sim->state, hold->network_id, &hold->payer);
    }
    default: return NULL;
    }
    *network_id = id;
    if (id == 0 || id > SIM_NETWORKS_MAX || !network_of(sim, id)) return NULL;
    return tally_state_member(sim->state, id, &tx->signer);
}

/* Before a payment: the stakes behind its payer, and their underwriters' balances. */
static void shares_before(simulation *sim, const tally_tx *tx) {
    sim->share_count = 0;
    sim->shares_paid = 0;
    uint32_t network_id;
    const tally_member *payer = paying_member(sim, tx, &network_id);
    if (!payer || payer->staked_behind <= 0) return;
    for (uint32_t id = payer->first_stake; id != 0 && sim->share_count < TALLY_STAKES_PER_LINE_MAX;) {
        const tally_stake *stake = &sim->stakes[id - 1];
        const tally_member *underwriter = tally_state_member(sim->state, network_id, &stake->underwriter);
        sim->share_ids[sim->share_count] = id;
        sim->share_balance_before[sim->share_count++] = underwriter ? underwriter->balance : 0;
        id = stake->next;
    }
}

/* What the payment itself (not its risk fee) paid `key`: a payee's amount. */
static int64_t paid_by_payment(const simulation *sim, const tally_tx *tx, const tally_key *key) {
    int64_t paid = 0;
    if (tx->type == TALLY_TX_TRANSFER && same_key(&tx->body.transfer.payee, key)) paid = tx->body.transfer.amount;
    if (tx->type == TALLY_TX_TRANSFER_BATCH)
        for (uint16_t i = 0; i < tx->body.transfer_batch.line_count; i++)
            if (same_key(&tx->body.transfer_batch.lines[i].payee, key)) paid += tx->body.transfer_batch.lines[i].amount;
    if (tx->type == TALLY_TX_REQUEST_PAY) {
        const tally_request *request = tally_state_request(sim->state, tx->body.request_end.request_id);
        if (request && same_key(&request->payee, key)) paid = request->amount;
    }
    if (tx->type == TALLY_TX_PENDING_POST) {
        const tally_pending *hold = tally_state_pending(sim->state, tx->body.pending_end.pending_id);
        if (hold && same_key(&hold->payee, key)) paid = tx->body.pending_end.amount;
    }
    return paid;
}

/* After an accepted payment: each stake behind the payer earned its share of the
 * risk fee, floor(risk_fee * stake / staked behind), or nothing when the share would
 * take its underwriter past the positive cap; the underwriter's balance rose by it
 * (besides what the payment paid it). The model's stakes earn it too. */
static void check_shares(simulation *sim, const tally_tx *tx, const tally_result *result) {
    if (sim->share_count == 0) return;
    uint32_t network_id;
    const tally_member *payer = paying_member(sim, tx, &network_id);
    SIM_EXPECT(sim, payer != NULL);
    if (!payer) return;
    const tally_network *network = network_of(sim, network_id);
    int64_t cap = network->policy.positive_cap;
    for (uint32_t i = 0; i < sim->share_count && !sim->failed; i++) {
        tally_stake *model = &sim->stakes[sim->share_ids[i] - 1];
        const tally_stake *core = tally_state_stake(sim->state, model->id);
        const tally_member *underwriter = tally_state_member(sim->state, network_id, &model->underwriter);
        SIM_EXPECT(sim, core && underwriter && core->amount == model->amount);
        if (sim->failed) return;
        int64_t share = model->amount > 0 ? (int64_t)((int128)result->risk_fee * model->amount / payer->staked_behind) : 0;
        int64_t delta = core->earned - model->earned;
        bool capped = delta == 0 && share > 0 && cap > 0 && (int128)underwriter->balance + share > cap;
        if (delta != share && !capped) {
            char what[240];
            snprintf(what, sizeof what, "stake %u earned %lld of a risk fee of %lld, the model %lld (stake %lld of %lld)",
                     model->id, (long long)delta, (long long)result->risk_fee, (long long)share,
                     (long long)model->amount, (long long)payer->staked_behind);
            sim_fail(sim, __LINE__, what);
            return;
        }
        SIM_EXPECT(sim, (int128)underwriter->balance == (int128)sim->share_balance_before[i] + delta +
                                                            paid_by_payment(sim, tx, &model->underwriter));
        model->earned += delta;
        sim->share_delta[i] = delta;
        sim->shares_paid += delta;
        if (delta > 0) sim->counts.stake_shares_paid++;
        if (capped) sim->counts.stake_shares_capped++;
    }
}

/* What the risk-fee shares paid `key` in the payment just applied. */
static int64_t share_to(const simulation *sim, uint32_t network_id, const tally_key *key) {
    int64_t paid = 0;
    for (uint32_t i = 0; i < sim->share_count; i++)
        if (sim->stakes[sim->share_ids[i] - 1].network_id == network_id &&
            same_key(&sim->stakes[sim->share_ids[i] - 1].underwriter, key))
            paid += sim->share_delta[i];
    return paid;
}

/* The debt the shares paid off (an underwriter in debt receiving one). */
static int64_t shares_burned(const simulation *sim, uint32_t network_id) {
    int64_t burned = 0;
    for (uint32_t i = 0; i < sim->share_count; i++) {
        const tally_stake *stake = &sim->stakes[sim->share_ids[i] - 1];
        const tally_member *underwriter = tally_state_member(sim->state, network_id, &stake->underwriter);
        if (underwriter) burned += debt_of(underwriter->balance - sim->share_delta[i]) - debt_of(underwriter->balance);
    }
    return burned;
}

static void check_outcome(simulation *sim, const sim_gen *gen, const tally_result *result, const sim_view *b) {
    switch (gen->tx.type) {
    case TALLY_TX_TRANSFER: check_transfer_outcome(sim, gen, result, b); break;
    case TALLY_TX_TRANSFER_BATCH: check_batch_outcome(sim, gen, result); break;
    case TALLY_TX_NETWORK_CREATE:
    case TALLY_TX_ASSET_CREATE: check_growth_outcome(sim, gen, result); break;
    case TALLY_TX_CHAIN_APPROVE: check_approve_outcome(sim, gen, result); break;
    case TALLY_TX_POLICY_UPDATE: check_policy_update_outcome(sim, gen, result, b); break;
    case TALLY_TX_PEG_SET: check_peg_outcome(sim, gen, result, b); break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_ADMIT: check_join_outcome(sim, gen, result, b); break;
    case TALLY_TX_POOL_REDEEM: check_redeem_outcome(sim, gen, result, b); break;
    case TALLY_TX_PENDING_CREATE: check_pending_create_outcome(sim, gen, result, b); break;
    case TALLY_TX_PENDING_POST: check_pending_post_outcome(sim, gen, result, b); break;
    case TALLY_TX_PENDING_VOID: check_pending_void_outcome(sim, gen, result, b); break;
    case TALLY_TX_REQUEST_CREATE: check_request_create_outcome(sim, gen, result, b); break;
    case TALLY_TX_REQUEST_PAY: check_request_pay_outcome(sim, gen, result, b); break;
    case TALLY_TX_REQUEST_CANCEL: check_request_cancel_outcome(sim, gen, result, b); break;
    case TALLY_TX_GATEWAY_PROPOSE:
    case TALLY_TX_GATEWAY_ACCEPT:
    case TALLY_TX_GATEWAY_UPDATE:
    case TALLY_TX_GATEWAY_FREEZE:
    case TALLY_TX_GATEWAY_CLOSE:
    case TALLY_TX_TRANSFER_CROSS:
    case TALLY_TX_CLEARING:
    case TALLY_TX_SETTLE: check_gateway_outcome(sim, gen, result); break;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: check_stake_outcome(sim, gen, result, b, &sim->after); break;
    case TALLY_TX_MEMBER_FEE_PAY: check_fee_pay_outcome(sim, gen, result, b, &sim->after); break;
    default: break;
    }
}

static void check_accepted(simulation *sim, const tally_tx *tx, const tally_result *r, const sim_view *b,
                           const sim_view *a) {
    uint8_t type = tx->type;
    SIM_EXPECT(sim, a->sequence == b->sequence + 1);
    if (sim->failed) return;
    check_tables(sim, tx, r, b, a);
    check_result_fields(sim, type, r);
    /* A member suspended for a fee pays it within its line as if it were active. */
    member_view signer_before = b->signer;
    if (type == TALLY_TX_MEMBER_FEE_PAY && signer_before.member.status == TALLY_MEMBER_SUSPENDED)
        signer_before.member.status = TALLY_MEMBER_ACTIVE;
    check_member_debt(sim, &signer_before, &a->signer,
                      type == TALLY_TX_TRANSFER || type == TALLY_TX_TRANSFER_BATCH || type == TALLY_TX_PENDING_CREATE ||
                          type == TALLY_TX_REQUEST_PAY || type == TALLY_TX_MEMBER_FEE_PAY);
    check_member_debt(sim, &b->other, &a->other, false);
    check_member_debt(sim, &b->hold_payer, &a->hold_payer, false);
    check_member_debt(sim, &b->hold_payee, &a->hold_payee, false);
    switch (type) {
    case TALLY_TX_TRANSFER: check_transfer(sim, tx, r, b, a); break;
    case TALLY_TX_TRANSFER_BATCH: break; /* check_batch_outcome compared every balance with the model */
    case TALLY_TX_FEE_DISTRIBUTE: check_fee_distribute(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_DEPOSIT: check_pool_deposit(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_WITHDRAW: check_pool_withdraw(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_REPAY: check_pool_repay(sim, tx, r, b, a); break;
    case TALLY_TX_POOL_REDEEM: check_pool_redeem(sim, tx, r, b, a); break;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
    case TALLY_TX_ASSET_BURN: check_assets(sim, tx, b, a); break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_ADMIT: check_membership(sim, tx, b, a); break;
    case TALLY_TX_PENDING_CREATE:
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID: check_pending(sim, tx, r, b, a); break;
    case TALLY_TX_REQUEST_CREATE:
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL: check_request(sim, tx, r, b, a); break;
    default:
        check_member_actions(sim, tx, b, a);
        check_network_actions(sim, tx, b, a);
        break;
    }
}

static void record(simulation *sim, const sim_event *event) {
    if (sim->event_count == sim->event_capacity) {
        sim->event_capacity = sim->event_capacity ? sim->event_capacity * 2 : 4096;
        sim->events = realloc(sim->events, sim->event_capacity * sizeof *sim->events);
        if (!sim->events) abort();
    }
    sim->events[sim->event_count++] = *event;
}

/* Every invariant on the whole state, and the incremental check (which looks only
 * at what the step touched, against its kept sums) agrees: every step of every
 * transaction type marks what it changes. */
static void check_invariants(simulation *sim) {
    char why[256], changed_why[256] = "";
    bool changed = tally_check_invariants_changed(sim->state, changed_why, sizeof changed_why);
    if (tally_check_invariants(sim->state, why, sizeof why)) {
        if (changed) return;
        char what[400];
        snprintf(what, sizeof what, "the incremental invariant check refused a sound state: %s", changed_why);
        sim_fail(sim, __LINE__, what);
        return;
    }
    char what[320];
    snprintf(what, sizeof what, "invariant broken: %s", why);
    sim_fail(sim, __LINE__, what);
}

/* BLAKE2b of the state's serialization: every byte of every record, without the
 * Merkle tree's cost, for the checks that a refusal changed nothing. */
static bool bytes_hash(const tally_state *state, uint8_t out[TALLY_HASH_BYTES]) {
    size_t size = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(size);
    if (!bytes) return false;
    bool ok = tally_state_serialize(state, bytes, size) == size;
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, size, NULL, 0);
    free(bytes);
    return ok;
}

/* Applies one transaction with every check; false after a failure. */
static bool sim_apply(simulation *sim, sim_gen *gen, tally_result *out) {
    const tally_tx *tx = &gen->tx;
    sim_view *b = &sim->before, *a = &sim->after;
    capture(sim, tx, b);
    /* Hashing is O(state): after the first steps only every 16th refusal is hashed,
     * which means hashing before each step once 15 refusals went unhashed. */
    bool hash_check = sim->step < SIM_HASH_ALL_UNTIL || sim->refusals_unhashed >= SIM_HASH_EVERY - 1;
    if (hash_check && !sim->hash_known) sim->hash_known = bytes_hash(sim->state, sim->hash);
    /* A batch is predicted on the state before it. */
    if (tx->type == TALLY_TX_TRANSFER_BATCH && gen->expect < 0) batch_predict(sim, gen, sim->batch);
    bool gateway_type = tx->type >= TALLY_TX_GATEWAY_PROPOSE && tx->type <= TALLY_TX_SETTLE;
    /* So is a gateway transaction (the networks it may change found on the way). */
    if (gateway_type) gateway_predict(sim, gen, sim->gateway);
    if (tx->type == TALLY_TX_SETTLE && sim->gateway->reserve_asset) {
        /* what a settlement's reserve moves between, before it */
        const gateway_prediction *g = sim->gateway;
        tally_key pool = tally_system_key(g->reserve_pool_network, TALLY_SYSTEM_POOL);
        sim->gateway_pool_reserve_before = tally_state_asset_balance(sim->state, g->reserve_asset, &pool);
        sim->gateway_signer_reserve_before = tally_state_asset_balance(sim->state, g->reserve_asset, &tx->signer);
        sim->gateway_pool_buffer_before = network_of(sim, g->reserve_pool_network)->pool_buffer;
    }
    /* A payment's risk fee may pay the underwriters of its payer's line. */
    shares_before(sim, tx);
    tally_result result = gen->signed_apply ? tally_apply_signed(sim->state, tx, sim->block_time)
                                            : tally_apply(sim->state, tx, sim->block_time);
    sim->current_tx = tx;
    sim->current_result = result;
    if (out) *out = result;
    sim_event event;
    memset(&event, 0, sizeof event);
    event.kind = gen->signed_apply ? EVENT_SIGNED_TX : EVENT_TX;
    event.block_time = sim->block_time;
    event.tx = *tx;
    event.result = result;
    record(sim, &event);
    if (sim->trace) {
        char tx_text[400], result_text[300];
        describe_tx(sim, tx, tx_text, sizeof tx_text);
        describe_result(&result, result_text, sizeof result_text);
        printf("  step %u t=%lld%s %s -> %s\n", sim->step, (long long)sim->block_time,
               gen->signed_apply ? " signed" : "", tx_text, result_text);
    }
    capture(sim, tx, a);
    SIM_EXPECT(sim, (unsigned)result.code < TALLY_ERROR_COUNT);
    if (!sim->failed) sim->counts.codes[result.code]++;
    if (!sim->failed && tx->type >= TALLY_TX_PENDING_CREATE && tx->type <= TALLY_TX_PENDING_VOID)
        sim->counts.pending_codes[tx->type - TALLY_TX_PENDING_CREATE][result.code]++;
    if (!sim->failed && tx->type >= TALLY_TX_REQUEST_CREATE && tx->type <= TALLY_TX_REQUEST_CANCEL)
        sim->counts.request_codes[tx->type - TALLY_TX_REQUEST_CREATE][result.code]++;
    if (!sim->failed && gateway_type) sim->counts.gateway_codes[tx->type - TALLY_TX_GATEWAY_PROPOSE][result.code]++;
    bool stake_type = tx->type >= TALLY_TX_STAKE && tx->type <= TALLY_TX_MEMBER_FEE_PAY;
    if (!sim->failed && stake_type) sim->counts.stake_codes[tx->type - TALLY_TX_STAKE][result.code]++;
    if (result.code == TALLY_OK && !gen->mutated) check_shares(sim, tx, &result);
    else sim->share_count = 0;
    if (!sim->failed && gateway_type && tx->type == TALLY_TX_TRANSFER_CROSS && result.code == TALLY_ERR_BAD_PATH) {
        if (gen->fault == FAULT_LOOP) sim->counts.cross_bad_loop++;
        if (gen->fault == FAULT_FOLLOW) sim->counts.cross_bad_follow++;
        if (gen->fault == FAULT_HOPS) sim->counts.cross_bad_hops++;
    }
    if (!sim->failed && tx->type == TALLY_TX_CLEARING && result.code == TALLY_ERR_BAD_CLEARING) {
        if (gen->fault == FAULT_PAST_ZERO) sim->counts.clearings_past_zero++;
        if (gen->fault == FAULT_OFF_RATE) sim->counts.clearings_off_rate++;
        if (gen->fault == FAULT_UNBALANCED) sim->counts.clearings_unbalanced++;
    }
    if (gen->expect >= 0) SIM_EXPECT(sim, result.code == (tally_error)gen->expect);
    if (gen->must_verify) SIM_EXPECT(sim, result.code != TALLY_ERR_BAD_SIGNATURE);
    sim->current_gen = gen;
    if (gen->expect < 0 && result.code != TALLY_ERR_BAD_SIGNATURE) check_outcome(sim, gen, &result, b);
    if (gen->refused_text && result.code == gen->broken) sim->counts.text_refused++;
    if (result.code != TALLY_OK) {
        sim->counts.refused[tx->type]++;
        /* A refusal changes nothing: cheaply what the transaction names, and on
         * sampled steps the hash of the whole state. */
        SIM_EXPECT(sim, memcmp(b, a, sizeof *b) == 0);
        if (hash_check && sim->hash_known) {
            uint8_t hash[TALLY_HASH_BYTES];
            SIM_EXPECT(sim, bytes_hash(sim->state, hash));
            SIM_EXPECT(sim, memcmp(hash, sim->hash, sizeof hash) == 0);
            sim->counts.hash_checks++;
            sim->refusals_unhashed = 0;
        } else {
            sim->refusals_unhashed++;
        }
    } else {
        sim->counts.accepted[tx->type]++;
        sim->hash_known = false;
        if (result.effective_at && b->network_id && sim->follow_left == 0 && rng_percent(&sim->rng, 50)) {
            sim->follow_left = 1 + (uint32_t)rng_below(&sim->rng, 2);
            sim->follow_network = b->network_id;
            sim->follow_type = tx->type;
        }
        check_accepted(sim, tx, &result, b, a);
        if (tx->type == TALLY_TX_MEMBER_JOIN) roster_add(sim, tx->body.network_only.network_id, gen->signer_actor);
        if (tx->type == TALLY_TX_MEMBER_ADMIT) roster_add(sim, tx->body.network_key.network_id, gen->other_actor);
        if (tx->type == TALLY_TX_MEMBER_LEAVE && b->network_id && gen->signer_actor != NONE) {
            /* The model remembers what the member left as. */
            sim->left_with[(size_t)b->network_id * sim->actor_count + gen->signer_actor] = b->signer.member.status;
            SIM_EXPECT(sim, a->signer.member.status_before_leaving == b->signer.member.status);
        }
    }
    /* Whatever the transaction, the network it names still agrees with the model, and
     * so do the holds. */
    if (b->network_id) check_model_network(sim, b->network_id);
    check_invariants(sim);
    if (!sim->failed) check_holds(sim);
    if (!sim->failed) check_gateways(sim, gateway_type && result.code == TALLY_OK);
    if (!sim->failed && (stake_type || sim->share_count)) check_stake_table(sim);
    sim->step++;
    sim->counts.steps++;
    sim->current_tx = NULL;
    sim->current_gen = NULL;
    return !sim->failed;
}

/* ------------------------------------------------------------------------ */
/* End of block.                                                             */
/* ------------------------------------------------------------------------ */

static void remember_members(simulation *sim) {
    uint32_t count = tally_state_member_count(sim->state);
    if (count > sim->scratch_capacity) {
        sim->scratch_capacity = count * 2;
        sim->balances = realloc(sim->balances, sim->scratch_capacity * sizeof *sim->balances);
        sim->model_balances = realloc(sim->model_balances, sim->scratch_capacity * sizeof *sim->model_balances);
        sim->limits = realloc(sim->limits, sim->scratch_capacity * sizeof *sim->limits);
        sim->pending_outs = realloc(sim->pending_outs, sim->scratch_capacity * sizeof *sim->pending_outs);
        sim->pending_now = realloc(sim->pending_now, sim->scratch_capacity * sizeof *sim->pending_now);
        sim->charged = realloc(sim->charged, sim->scratch_capacity * sizeof *sim->charged);
        sim->line_statuses = realloc(sim->line_statuses, sim->scratch_capacity);
        if (!sim->balances || !sim->model_balances || !sim->limits || !sim->pending_outs || !sim->line_statuses ||
            !sim->charged || !sim->pending_now)
            abort();
    }
    for (uint32_t i = 0; i < count; i++) {
        const tally_member *member = tally_state_member_at(sim->state, i);
        sim->balances[i] = member->balance;
        sim->limits[i] = member->limit;
        sim->pending_outs[i] = sim->pending_now[i] = member->pending_out;
        sim->line_statuses[i] = member->line_status;
        sim->charged[i] = 0;
    }
}

/* Every balance is the one the model's walk through the block's events left
 * (model_block_events); the debt a member has of its own (balance less holds)
 * never grows there; a member who defaulted has no line and no holds left. */
static void check_block_members(simulation *sim, const tally_block_summary *summary, int128 written_off) {
    uint32_t defaulted = 0, expired = 0;
    uint32_t count = tally_state_member_count(sim->state);
    for (uint32_t i = 0; i < count; i++) {
        const tally_member *m = tally_state_member_at(sim->state, i);
        if (m->balance != sim->model_balances[i] && !sim->failed) {
            char what[200];
            snprintf(what, sizeof what, "block end: member %u has balance %lld, the model %lld (before %lld)", i,
                     (long long)m->balance, (long long)sim->model_balances[i], (long long)sim->balances[i]);
            sim_fail(sim, __LINE__, what);
        }
        if (m->status == TALLY_MEMBER_SYSTEM) continue;
        /* The protocol's own step never lends: a release moves held debt into the
         * balance, and debt of its own only shrinks (by a write-off), but for the
         * membership fees it charged within the member's line. */
        int128 own_before = (int128)sim->balances[i] - sim->pending_outs[i], own_after = own_of(m);
        SIM_EXPECT(sim, (own_after < 0 ? -own_after : 0) <= (own_before < 0 ? -own_before : 0) + sim->charged[i]);
        if (m->line_status == TALLY_LINE_DEFAULTED && sim->line_statuses[i] != TALLY_LINE_DEFAULTED) {
            defaulted++;
            /* Its holds were voided first, its debt written off (its balance, 0 then,
             * is the model's: a hold due later in the block may pay it). */
            if (m->limit != 0 || m->status != TALLY_MEMBER_DEFAULTED || m->pending_out != 0) {
                char what[200];
                snprintf(what, sizeof what, "block end: member %u defaulted with balance %lld, limit %lld, status %u, "
                         "pending_out %lld", i, (long long)m->balance, (long long)m->limit, m->status,
                         (long long)m->pending_out);
                sim_fail(sim, __LINE__, what);
            }
        }
        if (m->line_status == TALLY_LINE_EXPIRED && sim->line_statuses[i] != TALLY_LINE_EXPIRED) expired++;
        /* Every line that came due was handled: none is left behind. */
        if (m->line_status == TALLY_LINE_ACTIVE) SIM_EXPECT(sim, m->period_end > sim->block_time);
        if (m->line_status == TALLY_LINE_FROZEN) SIM_EXPECT(sim, m->grace_end > sim->block_time);
        if (sim->failed) return;
    }
    SIM_EXPECT(sim, defaulted == summary->lines_defaulted);
    SIM_EXPECT(sim, expired == summary->lines_expired);
    /* A block's sums over several networks need not fit in 64 bits (then only their
     * sign is checked). */
    if (written_off <= INT64_MAX) SIM_EXPECT(sim, written_off == summary->debt_written_off);
    else SIM_EXPECT(sim, summary->debt_written_off > 0);
}

static void record_block_event(void *context, const tally_event *event) {
    simulation *sim = context;
    if (sim->block_event_count == sim->block_event_capacity) {
        sim->block_event_capacity = sim->block_event_capacity ? sim->block_event_capacity * 2 : 256;
        sim->block_events = realloc(sim->block_events, sim->block_event_capacity * sizeof *sim->block_events);
        if (!sim->block_events) abort();
    }
    sim->block_events[sim->block_event_count++] = *event;
}

/* The running figures of a block end as the model walks through its events. */
typedef struct {
    int64_t supply[SIM_NETWORKS_MAX + 1], debt[SIM_NETWORKS_MAX + 1], cap[SIM_NETWORKS_MAX + 1];
    /* The last due entry seen, (time, kind, hold id): they come in due order. */
    int64_t last_time;
    uint32_t last_kind, last_id;
    int128 written_off;
    /* Issue 12: each network's policy and peg as the block's events change them, the
     * reserve its defaults slashed, and the default whose slashes come next. */
    tally_policy policy[SIM_NETWORKS_MAX + 1];
    int64_t peg_reserve[SIM_NETWORKS_MAX + 1], peg_credit[SIM_NETWORKS_MAX + 1];
    int64_t slashed[SIM_NETWORKS_MAX + 1];
    bool slash_open, slash_predicted;
    uint32_t slash_network, slash_member, slash_count, slash_next;
    int64_t slash_written_off, slash_covered;
    uint32_t slash_ids[TALLY_STAKES_PER_LINE_MAX];
    int64_t slash_amounts[TALLY_STAKES_PER_LINE_MAX];
} block_walk;

static void due_in_order(simulation *sim, block_walk *walk, int64_t time, uint32_t kind, uint32_t id) {
    bool after = time != walk->last_time ? time > walk->last_time
                 : kind != walk->last_kind ? kind > walk->last_kind
                                           : id >= walk->last_id;
    if (!after) {
        char what[200];
        snprintf(what, sizeof what, "block end: a due entry (time %lld, kind %u, hold %u) after (%lld, %u, %u)",
                 (long long)time, kind, id, (long long)walk->last_time, walk->last_kind, walk->last_id);
        sim_fail(sim, __LINE__, what);
    }
    walk->last_time = time;
    walk->last_kind = kind;
    walk->last_id = id;
}

static uint32_t member_index(simulation *sim, uint32_t network_id, const tally_key *key) {
    uint32_t index = 0;
    bool found = tally_state_member_position(sim->state, network_id, key, &index);
    SIM_EXPECT(sim, found);
    return found ? index : 0;
}

/* A hold's timeout came: it must be open and due; release posts it all as posting
 * would now (the payee a current member, its cap then, the balances running), or it
 * is refunded. */
/* A released hold's risk fee, to its payer's underwriters as a post pays it: each
 * stake's share rounded down, the fee account keeping the rest and any share an
 * underwriter's cap would not take; the model's balances and sums move by them. */
static void release_shares(simulation *sim, block_walk *walk, const tally_pending *record, uint32_t network_id) {
    const tally_member *payer = tally_state_member(sim->state, network_id, &record->payer);
    int64_t risk = posted_risk_fee_of(record, record->amount);
    if (!payer || payer->staked_behind <= 0 || risk <= 0) return;
    const tally_network *network = network_of(sim, network_id);
    int64_t behind = 0;
    for (uint32_t id = payer->first_stake; id != 0; id = sim->stakes[id - 1].next) behind += sim->stakes[id - 1].amount;
    for (uint32_t id = payer->first_stake; id != 0 && !sim->failed; id = sim->stakes[id - 1].next) {
        tally_stake *stake = &sim->stakes[id - 1];
        if (stake->amount == 0) continue;
        int64_t share = (int64_t)((int128)risk * stake->amount / behind);
        if (share == 0) continue;
        uint32_t underwriter = member_index(sim, network_id, &stake->underwriter);
        int64_t before = sim->model_balances[underwriter], cap = walk->cap[network_id];
        if (cap > 0 && (int128)before + share > cap) continue;
        int64_t fees_before = sim->model_balances[network->fee_member];
        const int64_t old_balances[] = {before, fees_before};
        const int128 new_balances[] = {(int128)before + share, (int128)fees_before - share};
        int64_t supply = walk->supply[network_id], debt = walk->debt[network_id];
        if (!model_aggregates(&supply, &debt, old_balances, new_balances, 2)) continue;
        sim->model_balances[underwriter] = before + share;
        sim->model_balances[network->fee_member] = fees_before - share;
        walk->supply[network_id] = supply, walk->debt[network_id] = debt;
        stake->earned += share;
        sim->counts.stake_shares_paid++;
    }
}

static void model_hold_due(simulation *sim, block_walk *walk, const tally_event *event) {
    char what[300];
    model_hold *hold = event->time >= 1 && event->time <= sim->hold_count ? &sim->holds[event->time - 1] : NULL;
    SIM_EXPECT(sim, hold != NULL);
    if (!hold) return;
    tally_pending *record = &hold->record;
    uint32_t network_id = record->network_id;
    SIM_EXPECT(sim, record->status == TALLY_PENDING_OPEN && record->timeout <= sim->block_time);
    SIM_EXPECT(sim, event->network_id == network_id && same_key(&event->member, &record->payer) &&
                        event->amount == record->amount && network_id <= SIM_NETWORKS_MAX);
    if (sim->failed) return;
    due_in_order(sim, walk, record->timeout, 3 /* DUE_PENDING */, record->id);
    const tally_network *network = network_of(sim, network_id);
    uint32_t payer = member_index(sim, network_id, &record->payer), payee = member_index(sim, network_id, &record->payee);
    sim_reasons reasons = {0};
    model_posting done = {0};
    if (record->outcome == TALLY_PENDING_RELEASE) {
        model_post post = {record,
                           record->amount,
                           is_current(tally_state_member_at(sim->state, payee)),
                           sim->model_balances[payer],
                           sim->model_balances[payee],
                           sim->model_balances[network->fee_member],
                           walk->cap[network_id],
                           walk->supply[network_id],
                           walk->debt[network_id]};
        posting_reasons(&post, &reasons, &done);
    }
    bool released = record->outcome == TALLY_PENDING_RELEASE && reasons.count == 0;
    sim->pending_now[payer] -= record->amount + record->fee; /* released or refunded, it holds nothing now */
    uint8_t kind = released ? TALLY_EVENT_PENDING_RELEASED : TALLY_EVENT_PENDING_REFUNDED;
    if (event->kind != kind) {
        snprintf(what, sizeof what, "block end: hold %u (outcome %u) was %s, the model says %s%s%s", record->id,
                 record->outcome, tally_event_kind_name(event->kind), tally_event_kind_name(kind),
                 reasons.count ? " for " : "", reasons.count ? tally_error_name(reasons.codes[0]) : "");
        sim_fail(sim, __LINE__, what);
        return;
    }
    if (!released) {
        sim->counts.holds_refunded++;
        if (record->outcome == TALLY_PENDING_RELEASE) sim->counts.holds_release_refunded++;
        hold_end(sim, hold, TALLY_PENDING_REFUNDED, 0);
        return;
    }
    /* Posting never takes a payer below -limit (what it was before the block: only a
     * default lowers it there, and that voids the payer's holds first). */
    SIM_EXPECT(sim, done.payer_after >= -sim->limits[payer]);
    sim->model_balances[payer] = done.payer_after;
    sim->model_balances[payee] = done.payee_after;
    sim->model_balances[network->fee_member] = done.fees_after;
    walk->supply[network_id] = done.supply;
    walk->debt[network_id] = done.debt;
    release_shares(sim, walk, record, network_id);
    sim->counts.holds_released++;
    hold_end(sim, hold, TALLY_PENDING_RELEASED, record->amount);
}

/* A request's expiry came unpaid: it must be open and due, and its event names its
 * maker, its amount and (in `time`) its id; it is expired. */
static void model_request_due(simulation *sim, block_walk *walk, const tally_event *event) {
    model_request *request =
        event->time >= 1 && event->time <= sim->request_count ? &sim->requests[event->time - 1] : NULL;
    SIM_EXPECT(sim, request != NULL);
    if (!request) return;
    const tally_request *record = &request->record;
    if (record->status != TALLY_REQUEST_OPEN || record->expiry > sim->block_time ||
        event->network_id != record->network_id || !same_key(&event->member, &record->payee) ||
        event->amount != record->amount) {
        char what[240];
        snprintf(what, sizeof what, "block end: request %u expired (network %u, amount %lld); the model has it "
                 "status %u, expiry %lld, network %u, amount %lld", record->id, event->network_id,
                 (long long)event->amount, record->status, (long long)record->expiry, record->network_id,
                 (long long)record->amount);
        sim_fail(sim, __LINE__, what);
        return;
    }
    due_in_order(sim, walk, record->expiry, 4 /* DUE_REQUEST */, record->id);
    sim->counts.requests_expired++;
    if (record->expiry == sim->block_time) sim->counts.requests_expired_on_the_second++;
    request_end(sim, request, TALLY_REQUEST_EXPIRED, NULL);
}

/* A default: the member's open holds are voided first, then its debt (as the
 * events so far left its balance) goes to the lost-debt account. */
static void slash_close(simulation *sim, block_walk *walk);

static void model_default(simulation *sim, block_walk *walk, const tally_event *event) {
    const tally_network *network = network_of(sim, event->network_id);
    SIM_EXPECT(sim, network != NULL);
    if (!network) return;
    due_in_order(sim, walk, event->time, 0 /* DUE_LINE */, 0);
    for (uint32_t k = sim->open_hold_count; k-- > 0;) {
        model_hold *hold = &sim->holds[sim->open_holds[k] - 1];
        if (hold->record.network_id != event->network_id || !same_key(&hold->record.payer, &event->member)) continue;
        hold_end(sim, hold, TALLY_PENDING_VOIDED, 0);
        sim->counts.holds_voided_by_default++;
    }
    uint32_t index = member_index(sim, event->network_id, &event->member);
    int64_t debt = debt_of(sim->model_balances[index]);
    SIM_EXPECT(sim, event->amount == debt && debt > 0);
    sim->model_balances[index] = 0;
    sim->model_balances[network->lost_debt_member] -= debt;
    walk->written_off += debt;
    /* its stakes come next, after the pool's cover */
    slash_close(sim, walk);
    if (event->network_id > SIM_NETWORKS_MAX) return;
    walk->slash_open = true;
    walk->slash_predicted = false;
    walk->slash_network = event->network_id;
    walk->slash_member = index;
    walk->slash_written_off = debt;
    walk->slash_covered = 0;
}
/* A default whose stakes the core slashes after the pool's cover (its events come
 * right after the default's): what the model expects, worked out when the first
 * event after the default that is no cover comes. */
static void slash_predict(simulation *sim, block_walk *walk) {
    walk->slash_predicted = true;
    walk->slash_count = walk->slash_next = 0;
    uint32_t n = walk->slash_network;
    const tally_member *member = tally_state_member_at(sim->state, walk->slash_member);
    uint32_t ids[TALLY_STAKES_PER_LINE_MAX], count = 0;
    int64_t amounts[TALLY_STAKES_PER_LINE_MAX], taken[TALLY_STAKES_PER_LINE_MAX];
    int128 behind = 0;
    for (uint32_t i = 0; i < sim->stake_count && count < TALLY_STAKES_PER_LINE_MAX; i++) {
        const tally_stake *stake = &sim->stakes[i];
        if (stake->network_id != n || !same_key(&stake->member, &member->key)) continue;
        ids[count] = stake->id;
        amounts[count++] = stake->amount;
        behind += stake->amount;
    }
    int64_t uncovered = walk->slash_written_off - walk->slash_covered;
    if (uncovered <= 0 || behind <= 0 || walk->peg_credit[n] <= 0 || walk->peg_reserve[n] <= 0) return;
    /* the value still uncovered at the peg, rounded down, up to the stakes */
    int128 value = (int128)uncovered * walk->peg_reserve[n] / walk->peg_credit[n];
    int64_t slash = value < behind ? (int64_t)value : (int64_t)behind, total = 0;
    for (uint32_t i = 0; i < count; i++) total += taken[i] = (int64_t)((int128)slash * amounts[i] / behind);
    for (uint32_t i = 0; total < slash; i = (i + 1) % count)
        if (taken[i] < amounts[i]) taken[i]++, total++;
    for (uint32_t i = 0; i < count; i++) {
        if (taken[i] == 0) continue;
        walk->slash_ids[walk->slash_count] = ids[i];
        walk->slash_amounts[walk->slash_count++] = taken[i];
    }
    walk->slashed[n] += slash;
    if (slash > 0) sim->counts.stake_slash_defaults++;
}

/* The default's slashes were all there, none missing. */
static void slash_close(simulation *sim, block_walk *walk) {
    if (!walk->slash_open) return;
    if (!walk->slash_predicted) slash_predict(sim, walk);
    if (walk->slash_next != walk->slash_count) {
        char what[200];
        snprintf(what, sizeof what, "block end: a default in network %u slashed %u stakes, the model %u",
                 walk->slash_network, walk->slash_next, walk->slash_count);
        sim_fail(sim, __LINE__, what);
    }
    walk->slash_open = false;
}

/* A stake slashed: the next the model expects, to the unit; the reserve leaves it. */
static void model_slash(simulation *sim, block_walk *walk, const tally_event *event) {
    char what[240];
    if (!walk->slash_open || event->network_id != walk->slash_network) {
        snprintf(what, sizeof what, "block end: stake %lld slashed in network %u without a default before it",
                 (long long)event->time, event->network_id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    if (!walk->slash_predicted) slash_predict(sim, walk);
    uint32_t k = walk->slash_next++;
    const tally_stake *expected = k < walk->slash_count ? &sim->stakes[walk->slash_ids[k] - 1] : NULL;
    if (!expected || event->time != expected->id || event->amount != walk->slash_amounts[k] ||
        !same_key(&event->member, &expected->underwriter)) {
        snprintf(what, sizeof what, "block end: stake %lld slashed %lld, the model stake %u by %lld",
                 (long long)event->time, (long long)event->amount, expected ? expected->id : 0u,
                 expected ? (long long)walk->slash_amounts[k] : 0LL);
        sim_fail(sim, __LINE__, what);
        return;
    }
    tally_stake *stake = &sim->stakes[walk->slash_ids[k] - 1];
    stake->amount -= event->amount;
    stake->slashed += event->amount;
    sim->counts.stakes_slashed++;
    sim->counts.reserve_slashed += (uint64_t)event->amount;
}

/* Moves `amount` from one model balance to another, with the network's supply and
 * debt as they follow. */
static void model_move(simulation *sim, block_walk *walk, uint32_t network_id, uint32_t from, uint32_t to,
                       int64_t amount) {
    int64_t old_from = sim->model_balances[from], old_to = sim->model_balances[to];
    sim->model_balances[from] -= amount;
    sim->model_balances[to] += amount;
    walk->supply[network_id] += positive_of(sim->model_balances[from]) - positive_of(old_from) +
                                positive_of(sim->model_balances[to]) - positive_of(old_to);
    walk->debt[network_id] += debt_of(sim->model_balances[from]) - debt_of(old_from) +
                              debt_of(sim->model_balances[to]) - debt_of(old_to);
}

/* A charge round's event (charges.c): demurrage of exactly the part of the balance
 * (as the events so far left it) above the threshold, rounded down; the fee of the
 * policy, only within the member's line (its own floor never passed); a suspension
 * for the fee, which the member then owes. Each to the fee account or the pool's. */
static void model_charge(simulation *sim, block_walk *walk, const tally_event *event) {
    uint32_t n = event->network_id;
    const tally_network *network = network_of(sim, n);
    SIM_EXPECT(sim, network != NULL && n <= SIM_NETWORKS_MAX);
    if (sim->failed) return;
    due_in_order(sim, walk, event->time, 6 /* DUE_CHARGES */, n);
    const tally_policy *policy = &walk->policy[n];
    uint32_t index = member_index(sim, n, &event->member);
    const tally_member *member = tally_state_member_at(sim->state, index);
    SIM_EXPECT(sim, member->status != TALLY_MEMBER_SYSTEM && member->status != TALLY_MEMBER_LEFT);
    int64_t balance = sim->model_balances[index];
    if (event->kind == TALLY_EVENT_FEE_SUSPENDED) {
        /* a later default in the same block may have followed */
        SIM_EXPECT(sim, event->amount == policy->membership_fee && member->fee_owed == event->amount &&
                            (member->status == TALLY_MEMBER_SUSPENDED || member->status == TALLY_MEMBER_DEFAULTED));
        /* it could not pay: the least it may have had to spend then (holds only end
         * in a block's end, and a line that lent before and after the block lent
         * then, with the lower of its limits) is below the fee */
        bool lent = sim->line_statuses[index] == TALLY_LINE_ACTIVE && member->line_status == TALLY_LINE_ACTIVE;
        int64_t limit = sim->limits[index] < member->limit ? sim->limits[index] : member->limit;
        int128 least = (int128)balance - sim->pending_outs[index] + (lent ? limit : 0);
        SIM_EXPECT(sim, least < event->amount);
        sim->counts.fee_suspensions++;
        return;
    }
    int64_t expected = policy->membership_fee;
    /* demurrage counts what the member holds beyond its holds (those that ended
     * earlier in this block end no longer hold anything) */
    int64_t own = balance - sim->pending_now[index];
    if (event->kind == TALLY_EVENT_DEMURRAGE_CHARGED)
        expected = own > policy->demurrage_threshold
                       ? (int64_t)((int128)(own - policy->demurrage_threshold) * policy->demurrage_bps / TALLY_BPS_ONE)
                       : 0;
    if (event->amount != expected || expected <= 0) {
        char what[240];
        snprintf(what, sizeof what, "block end: %s of %lld from a balance of %lld in network %u, the model %lld",
                 tally_event_kind_name(event->kind), (long long)event->amount, (long long)balance, n,
                 (long long)expected);
        sim_fail(sim, __LINE__, what);
        return;
    }
    uint32_t to = policy->charges_to_pool ? network->pool_member : network->fee_member;
    model_move(sim, walk, n, index, to, event->amount);
    sim->charged[index] += event->amount;
    if (event->kind == TALLY_EVENT_MEMBERSHIP_FEE_CHARGED) {
        /* within its line: what it has of its own afterwards is above -limit (the
         * limit it had before the block or after, whichever is larger) */
        int64_t limit = sim->limits[index] > member->limit ? sim->limits[index] : member->limit;
        SIM_EXPECT(sim, (int128)sim->model_balances[index] - member->pending_out >= -(int128)limit);
        sim->counts.fees_charged++;
    } else {
        sim->counts.demurrage_charged++;
    }
}



/*
 * The end of a block as the model follows it, event by event in the order the core
 * drained its due entries (by due time; at the same second lines, then policy and
 * peg changes, then holds by id): a hold due ends with its event; a default voids
 * its member's open holds and writes its debt off; the pool's cover burns lost
 * debt; a policy change brings its cap for the holds after it. Balances run through
 * the events from what they were before; every hold due is ended, and each network's
 * supply and debt come out as the model says. Returns the debt written off.
 */
static int128 model_block_events(simulation *sim, const sim_view *b, const sim_view *a) {
    uint32_t members = tally_state_member_count(sim->state);
    memcpy(sim->model_balances, sim->balances, members * sizeof *sim->balances);
    block_walk walk;
    memset(&walk, 0, sizeof walk);
    walk.last_time = INT64_MIN;
    for (uint32_t i = 0; i < b->network_count && i < SIM_NETWORKS_MAX; i++) {
        walk.supply[i + 1] = b->networks[i].supply;
        walk.debt[i + 1] = b->networks[i].debt;
        walk.cap[i + 1] = b->networks[i].policy.positive_cap;
        walk.policy[i + 1] = b->networks[i].policy;
        walk.peg_reserve[i + 1] = b->networks[i].peg_reserve_units;
        walk.peg_credit[i + 1] = b->networks[i].peg_credit_units;
    }
    for (uint32_t e = 0; e < sim->block_event_count && !sim->failed; e++) {
        const tally_event *event = &sim->block_events[e];
        uint32_t network_id = event->network_id;
        bool modelled = network_id >= 1 && network_id <= SIM_NETWORKS_MAX;
        /* a default's slashes follow it (and the pool's cover) at once */
        if (event->kind != TALLY_EVENT_STAKE_SLASHED && event->kind != TALLY_EVENT_LOST_DEBT_COVERED &&
            event->kind != TALLY_EVENT_LINE_DEFAULTED)
            slash_close(sim, &walk);
        switch (event->kind) {
        case TALLY_EVENT_STAKE_SLASHED: model_slash(sim, &walk, event); break;
        case TALLY_EVENT_DEMURRAGE_CHARGED:
        case TALLY_EVENT_MEMBERSHIP_FEE_CHARGED:
        case TALLY_EVENT_FEE_SUSPENDED: model_charge(sim, &walk, event); break;
        case TALLY_EVENT_LIMIT_SET:
            /* only by the rule, from a score in range; the own part never negative */
            SIM_EXPECT(sim, modelled && walk.policy[network_id].algorithmic_limits.enabled && event->time >= 0 &&
                                event->time <= 1000 && event->amount >= 0);
            sim->counts.limits_set++;
            break;
        case TALLY_EVENT_PENDING_RELEASED:
        case TALLY_EVENT_PENDING_REFUNDED: model_hold_due(sim, &walk, event); break;
        case TALLY_EVENT_LINE_DEFAULTED: model_default(sim, &walk, event); break;
        case TALLY_EVENT_REQUEST_EXPIRED: model_request_due(sim, &walk, event); break;
        case TALLY_EVENT_LINE_EXPIRED: due_in_order(sim, &walk, event->time, 0 /* DUE_LINE */, 0); break;
        case TALLY_EVENT_POLICY_CHANGED:
            due_in_order(sim, &walk, event->time, 1 /* DUE_POLICY_CHANGE */, 0);
            if (modelled) walk.cap[network_id] = a->networks[network_id - 1].policy.positive_cap;
            if (modelled) walk.policy[network_id] = a->networks[network_id - 1].policy;
            break;
        case TALLY_EVENT_PEG_CHANGED:
            due_in_order(sim, &walk, event->time, 2 /* DUE_PEG_CHANGE */, 0);
            if (modelled) walk.peg_reserve[network_id] = a->networks[network_id - 1].peg_reserve_units;
            if (modelled) walk.peg_credit[network_id] = a->networks[network_id - 1].peg_credit_units;
            break;
        case TALLY_EVENT_LOST_DEBT_COVERED: {
            const tally_network *network = network_of(sim, network_id);
            SIM_EXPECT(sim, network != NULL);
            if (!network) break;
            sim->model_balances[network->pool_member] -= event->amount;
            sim->model_balances[network->lost_debt_member] += event->amount;
            if (walk.slash_open && !walk.slash_predicted && walk.slash_network == network_id)
                walk.slash_covered += event->amount;
            if (modelled) {
                walk.supply[network_id] -= event->amount;
                walk.debt[network_id] -= event->amount;
            }
            break;
        }
        default: break; /* renewals, freezes and reallocations move no credits */
        }
    }
    if (!sim->failed) slash_close(sim, &walk);
    for (uint32_t i = 0; i <= SIM_NETWORKS_MAX; i++) sim->block_slashed[i] = walk.slashed[i];
    for (uint32_t k = 0; k < sim->open_hold_count && !sim->failed; k++) {
        const tally_pending *record = &sim->holds[sim->open_holds[k] - 1].record;
        if (record->timeout > sim->block_time) continue;
        char what[160];
        snprintf(what, sizeof what, "block end: hold %u came due at %lld and is still open", record->id,
                 (long long)record->timeout);
        sim_fail(sim, __LINE__, what);
    }
    for (uint32_t k = 0; k < sim->open_request_count && !sim->failed; k++) {
        const tally_request *record = &sim->requests[sim->open_requests[k] - 1].record;
        if (record->expiry > sim->block_time) continue;
        char what[160];
        snprintf(what, sizeof what, "block end: request %u expired at %lld and is still open", record->id,
                 (long long)record->expiry);
        sim_fail(sim, __LINE__, what);
    }
    for (uint32_t i = 0; i < a->network_count && i < SIM_NETWORKS_MAX && !sim->failed; i++)
        SIM_EXPECT(sim, a->networks[i].supply == walk.supply[i + 1] && a->networks[i].debt == walk.debt[i + 1]);
    return walk.written_off;
}

/* The events of a block's end, counted by kind and summed (the block records them;
 * they must tell what the summary tells). */
typedef struct {
    uint32_t count[TALLY_EVENT_KIND_LAST + 1];
    __int128 sum[TALLY_EVENT_KIND_LAST + 1];
    bool member_missing; /* a line event without its member, or a network's with one */
} sim_event_tally;

static void tally_event_seen(void *context, const tally_event *event) {
    sim_event_tally *seen = context;
    if (event->kind < TALLY_EVENT_KIND_FIRST || event->kind > TALLY_EVENT_KIND_LAST) return;
    seen->count[event->kind]++;
    seen->sum[event->kind] += event->amount;
    static const tally_key zero;
    bool has_member = memcmp(event->member.bytes, zero.bytes, TALLY_KEY_BYTES) != 0;
    if (has_member != tally_event_kind_has_member(event->kind)) seen->member_missing = true;
}

static void check_events(simulation *sim, const sim_event_tally *seen, const tally_block_summary *summary) {
    SIM_EXPECT(sim, !seen->member_missing);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_LINE_FROZEN] == summary->lines_frozen);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_LINE_EXPIRED] == summary->lines_expired);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_LINE_RENEWED] + seen->count[TALLY_EVENT_LINE_UNFROZEN] ==
                        summary->lines_renewed);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_LINE_DEFAULTED] == summary->lines_defaulted);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_POLICY_CHANGED] == summary->policy_changes);
    SIM_EXPECT(sim, seen->count[TALLY_EVENT_PEG_CHANGED] == summary->peg_changes);
    const struct {
        tally_event_kind kind;
        int64_t total;
    } sums[] = {{TALLY_EVENT_LINE_DEFAULTED, summary->debt_written_off},
                {TALLY_EVENT_LOST_DEBT_COVERED, summary->lost_debt_burned},
                {TALLY_EVENT_RESERVE_REALLOCATED, summary->reserve_reallocated}};
    /* the summary saturates; the events do not */
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        SIM_EXPECT(sim, seen->sum[sums[i].kind] == sums[i].total ||
                            (sums[i].total == INT64_MAX && seen->sum[sums[i].kind] > INT64_MAX));
}

static bool sim_end_block(simulation *sim) {
    static const tally_tx no_tx;
    sim_view *b = &sim->before, *a = &sim->after;
    capture(sim, &no_tx, b);
    remember_members(sim);
    sim->block_event_count = 0;
    tally_block_summary summary = tally_end_block_events(sim->state, sim->block_time, record_block_event, sim);
    sim_event_tally seen;
    memset(&seen, 0, sizeof seen);
    for (uint32_t i = 0; i < sim->block_event_count; i++) tally_event_seen(&seen, &sim->block_events[i]);
    check_events(sim, &seen, &summary);
    sim_event event;
    memset(&event, 0, sizeof event);
    event.kind = EVENT_END_BLOCK;
    event.block_time = sim->block_time;
    event.summary = summary;
    record(sim, &event);
    sim->hash_known = false;
    /* The root a block commits to, kept incrementally, is the one computed from every
     * record afresh. */
    uint8_t incremental[TALLY_HASH_BYTES], full[TALLY_HASH_BYTES];
    SIM_EXPECT(sim, tally_state_commit(sim->state, incremental) && tally_state_hash(sim->state, full) &&
                        memcmp(incremental, full, TALLY_HASH_BYTES) == 0);
    /* Proofs of a few records, drawn at random, lead to that root. */
    for (int i = 0; i < 3 && !sim->failed; i++) {
        /* Of the tables this simulation fills: the marketplace's (listings, orders, the
         * last two) are test_simulation_market.c's, empty here, and drawing them too
         * would move every seed's history. */
        tally_table table = (tally_table)rng_below(&sim->rng, TALLY_TABLE_LISTINGS);
        const uint32_t counts[TALLY_TABLE_COUNT] = {tally_state_network_count(sim->state),
                                                    tally_state_asset_count(sim->state),
                                                    tally_state_member_count(sim->state),
                                                    0,
                                                    0,
                                                    tally_state_pending_count(sim->state),
                                                    tally_state_request_count(sim->state),
                                                    tally_state_gateway_count(sim->state)};
        uint32_t count = counts[table];
        if (table == TALLY_TABLE_ACCOUNTS || table == TALLY_TABLE_HOLDINGS) {
            /* their sizes are not public: walk the positions of keys the simulation knows */
            uint32_t actor = (uint32_t)rng_below(&sim->rng, sim->actor_count), index;
            bool found = table == TALLY_TABLE_ACCOUNTS
                             ? tally_state_account_position(sim->state, &sim->keys[actor], &index)
                             : tally_state_holding_position(sim->state, 1 + (uint32_t)rng_below(&sim->rng, 2),
                                                            &sim->keys[actor], &index);
            if (!found) continue;
            tally_state_proof proof;
            uint8_t root[TALLY_HASH_BYTES];
            SIM_EXPECT(sim, tally_state_prove(sim->state, table, index, &proof) && tally_state_proof_root(&proof, root) &&
                                memcmp(root, incremental, TALLY_HASH_BYTES) == 0);
            sim->counts.proofs++;
            continue;
        }
        if (count == 0) continue;
        tally_state_proof proof;
        uint8_t root[TALLY_HASH_BYTES];
        uint32_t index = (uint32_t)rng_below(&sim->rng, count);
        SIM_EXPECT(sim, tally_state_prove(sim->state, table, index, &proof) && tally_state_proof_root(&proof, root) &&
                            memcmp(root, incremental, TALLY_HASH_BYTES) == 0);
        if (table == TALLY_TABLE_REQUESTS && !sim->failed) {
            /* A request's proven record is the state's (which check_requests then
             * compares with the model's, once the model has followed the block end). */
            tally_request proven;
            SIM_EXPECT(sim, tally_record_decode_request(proof.record, proof.record_length, &proven) &&
                                same_request(&proven, tally_state_request(sim->state, index + 1)));
        }
        sim->counts.proofs++;
    }
    if (sim->trace)
        printf("  end of block t=%lld: renewed %u expired %u frozen %u defaulted %u written off %lld burned %lld "
               "reallocated %lld; policy changes %u, peg changes %u\n",
               (long long)sim->block_time, summary.lines_renewed, summary.lines_expired, summary.lines_frozen,
               summary.lines_defaulted, (long long)summary.debt_written_off, (long long)summary.lost_debt_burned,
               (long long)summary.reserve_reallocated, summary.policy_changes, summary.peg_changes);
    for (uint32_t i = 0; sim->trace && i < sim->block_event_count; i++) {
        const tally_event *seen_event = &sim->block_events[i];
        uint8_t kind = seen_event->kind;
        bool shown = kind == TALLY_EVENT_PENDING_RELEASED || kind == TALLY_EVENT_PENDING_REFUNDED ||
                     kind == TALLY_EVENT_LINE_DEFAULTED || kind == TALLY_EVENT_REQUEST_EXPIRED;
        if (!shown) continue;
        char member[64];
        describe_key(sim, &seen_event->member, member, sizeof member);
        printf("    %s network %u %s amount %lld %s %lld\n", tally_event_kind_name(kind), seen_event->network_id, member,
               (long long)seen_event->amount,
               kind == TALLY_EVENT_LINE_DEFAULTED ? "at" : kind == TALLY_EVENT_REQUEST_EXPIRED ? "request" : "hold",
               (long long)seen_event->time);
    }
    capture(sim, &no_tx, a);
    SIM_EXPECT(sim, a->network_count == b->network_count && a->asset_count == b->asset_count &&
                        a->member_count == b->member_count);
    SIM_EXPECT(sim, memcmp(a->assets, b->assets, sizeof a->assets) == 0);
    /* Debt changes only as the events say: releases, charges and the pool's cover;
     * and reserve comes into a pool only by the slashes the model expects. */
    int128 written_off = model_block_events(sim, b, a);
    int128 primary_change = 0, slashed = 0;
    for (uint32_t i = 0; i < b->network_count && i < SIM_NETWORKS_MAX; i++) {
        const tally_network *nb = &b->networks[i], *na = &a->networks[i];
        primary_change += (int128)na->pool_primary - nb->pool_primary;
        slashed += sim->block_slashed[i + 1];
        SIM_EXPECT(sim, na->pool_total_shares == nb->pool_total_shares);
        SIM_EXPECT(sim, pool_reserve(na) == pool_reserve(nb) + sim->block_slashed[i + 1] &&
                            na->pool_buffer == nb->pool_buffer);
        SIM_EXPECT(sim, na->stakes_locked == nb->stakes_locked - sim->block_slashed[i + 1]);
        SIM_EXPECT(sim, na->pool_primary >= nb->pool_primary);
        if (na->reserve_asset_id && na->supply > 0) {
            /* RTD = primary value / supply in basis points, rounded down. */
            int64_t rtd = tally_network_rtd_bps(tally_state_network(sim->state, i + 1));
            int128 value = (int128)na->pool_primary * na->peg_credit_units / na->peg_reserve_units, bps;
            if (!__builtin_mul_overflow(value, (int128)TALLY_BPS_ONE, &bps)) {
                bps /= na->supply;
                SIM_EXPECT(sim, rtd == (bps > INT64_MAX ? INT64_MAX : (int64_t)bps));
            }
        }
        /* After reallocation a pool below its target has no excess left. */
        int64_t required;
        if (na->reserve_asset_id && na->pool_excess > 0 && required_primary(na, &required))
            SIM_EXPECT(sim, na->pool_primary >= required);
    }
    if (primary_change < INT64_MAX) SIM_EXPECT(sim, primary_change == summary.reserve_reallocated + slashed);
    if (!sim->failed) check_block_members(sim, &summary, written_off);
    if (!sim->failed) check_stake_table(sim);
    model_end_block(sim, &summary);
    check_invariants(sim);
    if (!sim->failed) check_holds(sim);
    sim->counts.blocks++;
    sim->counts.renewed += summary.lines_renewed;
    sim->counts.expired += summary.lines_expired;
    sim->counts.frozen += summary.lines_frozen;
    sim->counts.defaulted += summary.lines_defaulted;
    sim->counts.written_off = plus(sim->counts.written_off, summary.debt_written_off);
    sim->counts.lost_debt_burned = plus(sim->counts.lost_debt_burned, summary.lost_debt_burned);
    sim->counts.reallocated = plus(sim->counts.reallocated, summary.reserve_reallocated);
    return !sim->failed;
}

/* A next block time on an edge of the rules: the second an announced change comes
 * due, or the first second of the next day (the growth counts and the redemption
 * allowance start afresh), or the second before either. */
static int64_t to_boundary(simulation *sim) {
    sim_rng *rng = &sim->rng;
    int64_t next = (day_of(sim->block_time) + 1) * SIM_DAY;
    if (rng_percent(rng, 60)) {
        for (uint32_t id = 1; id <= SIM_NETWORKS_MAX; id++) {
            const model_network *model = &sim->models[id];
            int64_t policy_at = model->policy_change_at, peg_at = model->peg_change_at;
            if (policy_at > sim->block_time && policy_at < next) next = policy_at;
            if (peg_at > sim->block_time && peg_at < next) next = peg_at;
        }
    } else if (rng_percent(rng, 50)) {
        /* The second an open request expires: it cannot be paid from then, and that
         * block's end expires it (or, one in three, the second before: still payable). */
        for (int i = 0; sim->open_request_count && i < 8; i++) {
            uint32_t id = sim->open_requests[rng_below(rng, sim->open_request_count)];
            int64_t expiry = sim->requests[id - 1].record.expiry;
            if (expiry > sim->block_time && expiry < next) next = expiry;
        }
    }
    if (next - 1 > sim->block_time && rng_percent(rng, 30)) next--;
    return next;
}

static void advance_time(simulation *sim) {
    sim_rng *rng = &sim->rng;
    uint32_t roll = (uint32_t)rng_below(rng, 1000);
    int64_t seconds;
    if (roll < 3) seconds = rng_between(rng, 20, 60) * SIM_DAY; /* a stalled chain: periods are skipped */
    else if (roll < 40) seconds = rng_between(rng, 1, 3) * SIM_DAY + (int64_t)rng_below(rng, SIM_DAY);
    else if (roll < 100) seconds = 0; /* two blocks in the same second */
    else if (roll < 140) seconds = to_boundary(sim) - sim->block_time;
    else seconds = rng_between(rng, 60, 5 * 3600);
    sim->block_time += seconds;
}

/* ------------------------------------------------------------------------ */
/* Setup: two reserve assets and four networks with different policies.     */
/* ------------------------------------------------------------------------ */

static tally_policy designed_policy(uint32_t which) {
    tally_policy p;
    memset(&p, 0, sizeof p);
    /* The bounds and the notice vary by network below where it matters. */
    p.max_members = 100000;
    p.notice_seconds = (which % 3 + 1) * SIM_DAY;
    p.redeem_cap_bps = which == 2 ? 500 : which == 1 ? 2500 : TALLY_BPS_ONE;
    switch (which) {
    case 0: /* open, zero balance, free, renewing: a neighbourhood exchange */
        p.default_credit_limit = 20000;
        p.max_credit_limit = 200000;
        p.period_seconds = 7 * SIM_DAY;
        p.grace_seconds = 3 * SIM_DAY;
        p.target_rtd_bps = 2000;
        p.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = true;
        /* underwriting at 150%, and limits set by reputation and income at renewal */
        p.collateral_ratio_bps = 15000;
        p.algorithmic_limits = (tally_limit_rule){true, 10000, 20, 5000, 15000, 2};
        break;
    case 1: /* admitted, rebalanced, fees and risk fees, a positive cap */
        p.default_credit_limit = 50000;
        p.max_credit_limit = 500000;
        p.positive_cap = 150000;
        p.fee_bps = 25;
        p.default_risk_fee_bps = 150;
        p.period_seconds = 14 * SIM_DAY;
        p.grace_seconds = 5 * SIM_DAY;
        p.target_rtd_bps = 5000;
        p.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
        p.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
        p.auto_renew = true;
        p.demurrage_bps = 100; /* 1% a period of what is above 200.00 */
        p.demurrage_threshold = 20000;
        break;
    case 2: /* open, minimum income, lines opened by operators, no renewal */
        p.max_credit_limit = 100000;
        p.fee_bps = 100;
        p.default_risk_fee_bps = 300;
        p.period_seconds = 10 * SIM_DAY;
        p.grace_seconds = 7 * SIM_DAY;
        p.min_income_bps = 2000;
        p.target_rtd_bps = 10000;
        p.compliance_rule = TALLY_COMPLIANCE_MIN_INCOME;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = false;
        p.collateral_ratio_bps = 20000; /* underwriting at 200%, a unit of reserve worth 100 */
        break;
    case 3: /* admitted and strict: no grace, a high fee, a low cap, no reserve at first,
             * few members (MEMBERS_FULL) */
        p.max_members = 90;
        p.default_credit_limit = 10000;
        p.max_credit_limit = 50000;
        p.positive_cap = 40000;
        p.fee_bps = 500;
        p.period_seconds = 21 * SIM_DAY;
        p.grace_seconds = 0;
        p.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
        p.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
        p.auto_renew = true;
        p.membership_fee = 300; /* to the pool, each period: who cannot pay is suspended */
        p.charges_to_pool = true;
        break;
    default: /* at the edges of the valid ranges: fees above 100% together, no bound on
              * limits, and (below) a peg of INT64_MAX reserve units per credit */
        p.default_credit_limit = 1000000000000000;
        p.max_credit_limit = INT64_MAX;
        p.fee_bps = 9000;
        p.default_risk_fee_bps = 5000;
        p.period_seconds = 5 * SIM_DAY;
        p.grace_seconds = 2 * SIM_DAY;
        p.target_rtd_bps = TALLY_BPS_ONE;
        p.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
        p.membership_mode = TALLY_MEMBERSHIP_OPEN;
        p.auto_renew = true;
        p.collateral_ratio_bps = 1; /* stakes that cover nothing at that peg */
        break;
    }
    tally_policy defaults;
    tally_policy_defaults(&defaults);
    if (which != 3) p.reputation = defaults.reputation;
    return p;
}

static bool setup_apply(simulation *sim, sim_gen *gen) {
    tally_result result;
    if (!sim_apply(sim, gen, &result)) return false;
    SIM_EXPECT(sim, result.code == TALLY_OK);
    return !sim->failed;
}

static bool sim_setup(simulation *sim) {
    static const char *const codes[] = {"USD", "EUR"};
    static const char *const names[] = {"Greenvale", "Harbor", "Mill Town", "Orchard", "Edge"};
    static const char *const units[] = {"GVH", "HBR", "MILL", "ORC", "EDGE"};
    /* network 1, 2, 3 and 5: asset, reserve units, credit units (network 4 has none) */
    static const int64_t pegs[][4] = {{1, 1, 1, 1}, {2, 2, 3, 2}, {3, 1, 1, 100}, {SIM_EDGE_NETWORK, 2, INT64_MAX, 1}};
    sim_gen gen;
    if (sim->rules.growth_mode == TALLY_GROWTH_APPROVED) {
        /* A validator approves the founders of the designed networks and the issuers. */
        for (uint32_t actor = 0; actor < 10; actor++) {
            if (actor >= 5 && actor < 8) continue;
            gen_begin(sim, &gen, TALLY_TX_CHAIN_APPROVE, SIM_VALIDATOR_FIRST);
            gen.tx.body.chain_approve.key = sim->keys[actor];
            gen.tx.body.chain_approve.networks = actor < 5 ? 1 : 0;
            gen.tx.body.chain_approve.assets = actor >= 8 ? 1 : 0;
            if (!setup_apply(sim, &gen)) return false;
        }
    }
    for (uint32_t i = 0; i < 2; i++) {
        gen_begin(sim, &gen, TALLY_TX_ASSET_CREATE, 8 + i);
        text_put(&gen.tx.body.asset_create.code, codes[i]);
        text_put(&gen.tx.body.asset_create.name, "Cooperative bank reserve");
        gen.tx.body.asset_create.decimals = 2;
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 5; i++) {
        gen_begin(sim, &gen, TALLY_TX_NETWORK_CREATE, i);
        text_put(&gen.tx.body.network_create.name, names[i]);
        text_put(&gen.tx.body.network_create.unit_code, units[i]);
        gen.tx.body.network_create.decimals = 2;
        gen.tx.body.network_create.policy = designed_policy(i);
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t network_id = (uint32_t)pegs[i][0];
        gen_begin(sim, &gen, TALLY_TX_PEG_SET, network_id - 1);
        gen.tx.body.peg_set.network_id = network_id;
        gen.tx.body.peg_set.asset_id = (uint32_t)pegs[i][1];
        gen.tx.body.peg_set.peg_reserve_units = pegs[i][2];
        gen.tx.body.peg_set.peg_credit_units = pegs[i][3];
        if (!setup_apply(sim, &gen)) return false;
        gen_begin(sim, &gen, TALLY_TX_OPERATOR_ADD, network_id - 1);
        gen.tx.body.network_key.network_id = network_id;
        gen.tx.body.network_key.key = sim->keys[5 + i];
        if (!setup_apply(sim, &gen)) return false;
    }
    for (uint32_t i = 0; i < 2; i++) { /* issuers keep some to burn */
        gen_begin(sim, &gen, TALLY_TX_ASSET_ISSUE, 8 + i);
        gen.tx.body.asset_move.asset_id = i + 1;
        gen.tx.body.asset_move.to = sim->keys[8 + i];
        gen.tx.body.asset_move.amount = 10000000;
        if (!setup_apply(sim, &gen)) return false;
        /* and underwriters in networks 1 and 3, which take stakes (below) */
        for (uint32_t holder = SIM_STAFF; i == 0 && holder < SIM_STAFF + SIM_UNDERWRITERS; holder++) {
            gen_begin(sim, &gen, TALLY_TX_ASSET_ISSUE, 8);
            gen.tx.body.asset_move.asset_id = 1;
            gen.tx.body.asset_move.to = sim->keys[holder];
            gen.tx.body.asset_move.amount = 100000;
            if (!setup_apply(sim, &gen)) return false;
        }
        /* and the designed networks' founders some to settle with (SETTLE) */
        for (uint32_t founder = 0; founder < 5; founder++) {
            gen_begin(sim, &gen, TALLY_TX_ASSET_ISSUE, 8 + i);
            gen.tx.body.asset_move.asset_id = i + 1;
            gen.tx.body.asset_move.to = sim->keys[founder];
            gen.tx.body.asset_move.amount = 200000;
            if (!setup_apply(sim, &gen)) return false;
        }
    }
    /* The underwriters join the open networks that take stakes in USD. */
    for (uint32_t holder = SIM_STAFF; holder < SIM_STAFF + SIM_UNDERWRITERS; holder++) {
        for (uint32_t network_id = 1; network_id <= 3; network_id += 2) {
            gen_begin(sim, &gen, TALLY_TX_MEMBER_JOIN, holder);
            gen.tx.body.network_only.network_id = network_id;
            if (!setup_apply(sim, &gen)) return false;
        }
    }
    /* Gateways between the designed networks, each proposed by A's founder and
     * accepted by B's: the square 1-2-3-4-1 whose rates multiply to 1 round it (1:1,
     * 3:2, 1:1, 2:3), so obligations round it clear; 1-3 from both pegs of USD (one
     * unit of 1 for 100 of 3), an arbitrage triangle with 1-2-3 that never clears; and
     * 3-5 to the network at the edges, for paths of 4 hops (2-1-4-3-5). */
    static const int64_t gateways[][6] = {{1, 2, 1, 1, 0, 25},  {2, 3, 3, 2, 100, 0}, {3, 4, 1, 1, 0, 0},
                                          {4, 1, 2, 3, 50, 50}, {1, 3, 0, 0, 10, 10}, {3, 5, 1, 1, 0, 100}};
    for (uint32_t i = 0; i < sizeof gateways / sizeof gateways[0]; i++) {
        const int64_t *row = gateways[i];
        tally_gateway_terms terms = {
            row[2], row[3], {{(uint32_t)row[4], 200000, 0, 0}, {(uint32_t)row[5], 200000, 0, 0}}};
        gen_begin(sim, &gen, TALLY_TX_GATEWAY_PROPOSE, (uint32_t)row[0] - 1);
        gen.tx.body.gateway_propose = (tally_tx_gateway_propose){(uint32_t)row[0], (uint32_t)row[1], terms};
        if (!setup_apply(sim, &gen)) return false;
        gen_begin(sim, &gen, TALLY_TX_GATEWAY_ACCEPT, (uint32_t)row[1] - 1);
        gen.tx.body.gateway_accept = (tally_tx_gateway_accept){sim->gateway_count, terms};
        if (!setup_apply(sim, &gen)) return false;
    }
    return sim_end_block(sim);
}

/* ------------------------------------------------------------------------ */
/* Replay and snapshots.                                                     */
/* ------------------------------------------------------------------------ */

static uint8_t *serialize(const tally_state *state, size_t *length) {
    *length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(*length);
    if (bytes && tally_state_serialize(state, bytes, *length) != *length) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

#define SAME(field) (a->field == b->field)

static bool same_network(const tally_network *a, const tally_network *b) {
    return SAME(id) && same_key(&a->founder, &b->founder) && strcmp(a->name, b->name) == 0 &&
           strcmp(a->unit_code, b->unit_code) == 0 && SAME(decimals) && policy_equal(&a->policy, &b->policy) &&
           SAME(operator_count) && memcmp(a->operators, b->operators, a->operator_count * sizeof *a->operators) == 0 &&
           SAME(reserve_asset_id) && SAME(peg_reserve_units) && SAME(peg_credit_units) && SAME(pool_primary) &&
           SAME(pool_buffer) && SAME(pool_excess) && SAME(pool_total_shares) && SAME(pool_share_epoch) &&
           SAME(supply) && SAME(debt) && SAME(member_count) && SAME(fee_member) && SAME(lost_debt_member) &&
           SAME(pool_member) && SAME(policy_change_at) &&
           (a->policy_change_at == 0 || policy_equal(&a->policy_change, &b->policy_change)) && SAME(peg_change_at) &&
           SAME(peg_change_reserve_units) && SAME(peg_change_credit_units) && SAME(redeem_day) &&
           SAME(redeem_allowance) && SAME(member_records) && SAME(share_holders);
}

static bool same_member(const tally_member *a, const tally_member *b) {
    return SAME(network_id) && same_key(&a->key, &b->key) && SAME(status) && SAME(system_kind) && SAME(balance) &&
           SAME(fees_paid) && strcmp(a->alias, b->alias) == 0 && SAME(line_status) && SAME(limit) &&
           SAME(risk_fee_bps) && SAME(period_seconds) && SAME(grace_seconds) && SAME(period_start) &&
           SAME(period_end) && SAME(grace_end) && SAME(income_in_period) && SAME(rebalanced_in_period) &&
           SAME(joined_at) && SAME(pending_out) && SAME(holds_open) && SAME(requests_open) &&
           SAME(status_before_leaving);
}

static bool same_asset(const tally_asset *a, const tally_asset *b) {
    return SAME(id) && same_key(&a->issuer, &b->issuer) && strcmp(a->code, b->code) == 0 &&
           strcmp(a->name, b->name) == 0 && SAME(decimals) && SAME(issued) && SAME(burned) && SAME(holders);
}

#undef SAME

/* A loaded snapshot says all that the state it was taken of says, through the
 * public API: equal bytes prove nothing about a field that neither side writes. */
static void check_same_state(simulation *sim, const tally_state *state, const tally_state *loaded, int64_t block_time) {
    char what[160];
    SIM_EXPECT(sim, tally_state_network_count(loaded) == tally_state_network_count(state) &&
                        tally_state_asset_count(loaded) == tally_state_asset_count(state) &&
                        tally_state_member_count(loaded) == tally_state_member_count(state) &&
                        tally_state_pending_count(loaded) == tally_state_pending_count(state) &&
                        tally_state_request_count(loaded) == tally_state_request_count(state));
    if (sim->failed) return;
    for (uint32_t id = 1; id <= tally_state_request_count(state); id++) {
        if (same_request(tally_state_request(state, id), tally_state_request(loaded, id))) continue;
        snprintf(what, sizeof what, "a snapshot loads request %u otherwise than it was", id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t id = 1; id <= tally_state_pending_count(state); id++) {
        if (same_pending(tally_state_pending(state, id), tally_state_pending(loaded, id))) continue;
        snprintf(what, sizeof what, "a snapshot loads hold %u otherwise than it was", id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    SIM_EXPECT(sim, tally_state_gateway_count(loaded) == tally_state_gateway_count(state));
    for (uint32_t id = 1; id <= tally_state_gateway_count(state) && !sim->failed; id++) {
        if (same_gateway(tally_state_gateway(state, id), tally_state_gateway(loaded, id))) continue;
        snprintf(what, sizeof what, "a snapshot loads gateway %u otherwise than it was", id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t id = 1; id <= tally_state_network_count(state); id++) {
        if (same_network(tally_state_network(state, id), tally_state_network(loaded, id))) continue;
        snprintf(what, sizeof what, "a snapshot loads network %u otherwise than it was", id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t id = 1; id <= tally_state_asset_count(state); id++) {
        if (same_asset(tally_state_asset(state, id), tally_state_asset(loaded, id))) continue;
        snprintf(what, sizeof what, "a snapshot loads asset %u otherwise than it was", id);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t i = 0; i < tally_state_member_count(state); i++) {
        if (same_member(tally_state_member_at(state, i), tally_state_member_at(loaded, i))) continue;
        snprintf(what, sizeof what, "a snapshot loads member %u otherwise than it was", i);
        sim_fail(sim, __LINE__, what);
        return;
    }
    for (uint32_t actor = 0; actor < SIM_STAFF; actor++) {
        tally_growth_allowance a = tally_state_growth_allowance(state, &sim->keys[actor], block_time);
        tally_growth_allowance b = tally_state_growth_allowance(loaded, &sim->keys[actor], block_time);
        if (a.networks_approved == b.networks_approved && a.assets_approved == b.assets_approved &&
            a.networks_today_left == b.networks_today_left && a.assets_today_left == b.assets_today_left &&
            tally_state_next_sequence(state, &sim->keys[actor]) == tally_state_next_sequence(loaded, &sim->keys[actor]))
            continue;
        snprintf(what, sizeof what, "a snapshot loads what actor %u may still grow otherwise than it was", actor);
        sim_fail(sim, __LINE__, what);
        return;
    }
}

/* A snapshot's round trip: the loaded state serializes to the same bytes and says
 * the same (at block_time). Returns the loaded state (NULL on failure, reported). */
static tally_state *round_trip(simulation *sim, const tally_state *state, int64_t block_time) {
    size_t length, again_length;
    uint8_t *bytes = serialize(state, &length);
    SIM_EXPECT(sim, bytes != NULL);
    if (!bytes) return NULL;
    tally_error error = TALLY_OK;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    if (!loaded) {
        char what[160];
        snprintf(what, sizeof what, "a snapshot does not load: %s", tally_error_name(error));
        sim_fail(sim, __LINE__, what);
        free(bytes);
        return NULL;
    }
    uint8_t *again = serialize(loaded, &again_length);
    SIM_EXPECT(sim, again && again_length == length && memcmp(again, bytes, length) == 0);
    uint8_t hash_state[TALLY_HASH_BYTES], hash_loaded[TALLY_HASH_BYTES];
    SIM_EXPECT(sim, tally_state_hash(state, hash_state) && tally_state_hash(loaded, hash_loaded) &&
                        memcmp(hash_state, hash_loaded, TALLY_HASH_BYTES) == 0);
    check_same_state(sim, state, loaded, block_time);
    free(bytes);
    free(again);
    return loaded;
}

/* Replays the recorded history on a fresh state: every result and block summary
 * must be the one recorded, and the end state byte-identical. With `restores`,
 * the replay continues from a loaded snapshot at a few points, as a restarted
 * node would. */
static bool sim_replay(simulation *sim, const uint8_t *final_bytes, size_t final_length, uint32_t restores) {
    tally_state *state = tally_state_create_for_chain(sim->chain_id, &sim->rules);
    SIM_EXPECT(sim, state != NULL);
    if (!state) return false;
    for (size_t i = 0; i < sim->event_count && !sim->failed; i++) {
        if (restores && i > 0 && i % (sim->event_count / (restores + 1) + 1) == 0) {
            tally_state *loaded = round_trip(sim, state, sim->events[i].block_time);
            if (!loaded) break;
            tally_state_destroy(state);
            state = loaded;
        }
        const sim_event *event = &sim->events[i];
        if (event->kind == EVENT_END_BLOCK) {
            tally_block_summary summary = tally_end_block(state, event->block_time);
            if (!summaries_equal(&summary, &event->summary)) {
                char what[160];
                snprintf(what, sizeof what, "replay%s: end of block at event %zu (time %lld) differs",
                         restores ? " through snapshots" : "", i, (long long)event->block_time);
                sim_fail(sim, __LINE__, what);
            }
            continue;
        }
        tally_result result = event->kind == EVENT_SIGNED_TX ? tally_apply_signed(state, &event->tx, event->block_time)
                                                             : tally_apply(state, &event->tx, event->block_time);
        if (!results_equal(&result, &event->result)) {
            char what[600], tx_text[400];
            describe_tx(sim, &event->tx, tx_text, sizeof tx_text);
            snprintf(what, sizeof what, "replay%s: event %zu gives %s, the run gave %s: %s",
                     restores ? " through snapshots" : "", i, tally_error_name(result.code),
                     tally_error_name(event->result.code), tx_text);
            sim_fail(sim, __LINE__, what);
        }
    }
    if (!sim->failed) {
        size_t length;
        uint8_t *bytes = serialize(state, &length);
        uint8_t hash_replayed[TALLY_HASH_BYTES], hash_run[TALLY_HASH_BYTES];
        SIM_EXPECT(sim, tally_state_hash(state, hash_replayed) && tally_state_hash(sim->state, hash_run));
        uint8_t committed_replayed[TALLY_HASH_BYTES], committed_run[TALLY_HASH_BYTES];
        SIM_EXPECT(sim, tally_state_commit(state, committed_replayed) && tally_state_commit(sim->state, committed_run) &&
                            memcmp(committed_replayed, committed_run, TALLY_HASH_BYTES) == 0 &&
                            memcmp(committed_run, hash_run, TALLY_HASH_BYTES) == 0);
        SIM_EXPECT(sim, memcmp(hash_replayed, hash_run, TALLY_HASH_BYTES) == 0);
        SIM_EXPECT(sim, bytes && length == final_length && memcmp(bytes, final_bytes, length) == 0);
        free(bytes);
    }
    tally_state_destroy(state);
    return !sim->failed;
}

static bool sim_finish(simulation *sim) {
    size_t length;
    uint8_t *bytes = serialize(sim->state, &length);
    SIM_EXPECT(sim, bytes != NULL);
    if (!bytes) return false;
    tally_state *loaded = round_trip(sim, sim->state, sim->block_time);
    if (loaded) {
        char why[256];
        SIM_EXPECT(sim, tally_check_invariants(loaded, why, sizeof why));
        tally_state_destroy(loaded);
    }
    if (!sim->failed) sim_replay(sim, bytes, length, 0);
    if (!sim->failed) sim_replay(sim, bytes, length, SIM_REPLAY_RESTORES);
    free(bytes);
    return !sim->failed;
}

/* ------------------------------------------------------------------------ */
/* Running a seed.                                                           */
/* ------------------------------------------------------------------------ */

static bool sim_init(simulation *sim, uint64_t seed, uint8_t growth_mode, uint32_t steps) {
    memset(sim, 0, sizeof *sim);
    sim->seed = seed;
    sim->rng.state = seed;
    sim->steps = steps;
    sim->block_time = SIM_START_TIME;
    sim->trace = getenv("TALLY_SIM_TRACE") && atoi(getenv("TALLY_SIM_TRACE")) > 0;
    for (size_t i = 0; i < TALLY_CHAIN_ID_BYTES; i++) sim->chain_id[i] = (uint8_t)rng_next(&sim->rng);
    /* About one key for every eight steps: thousands at the default. */
    uint32_t actors = steps / 8 + 64;
    if (actors < SIM_STAFF + 40) actors = SIM_STAFF + 40;
    if (actors > 20000) actors = 20000;
    sim->actor_count = actors;
    sim->holder_count = (actors - SIM_STAFF) / 3 < SIM_HOLDERS_MAX ? (actors - SIM_STAFF) / 3 : SIM_HOLDERS_MAX;
    sim->keys = calloc(actors, sizeof *sim->keys);
    sim->secrets = calloc(actors, TALLY_SECRET_BYTES);
    sim->on_roster = calloc((size_t)(SIM_NETWORKS_MAX + 1) * actors, 1);
    sim->ever_member = calloc(actors, 1);
    sim->left_with = calloc((size_t)(SIM_NETWORKS_MAX + 1) * actors, 1);
    if (!sim->keys || !sim->secrets || !sim->on_roster || !sim->ever_member || !sim->left_with) return false;
    sim->batch = calloc(1, sizeof *sim->batch);
    sim->gateway = calloc(1, sizeof *sim->gateway);
    if (!sim->batch || !sim->gateway) return false;
    sim->creator = NONE;
    for (uint32_t i = 0; i < SIM_STAFF; i++) {
        sim->growers[i].day = INT64_MIN;
        sim->growers[i].limited_day = INT64_MIN;
    }
    for (uint32_t i = 0; i < actors; i++) {
        uint8_t key_seed[32] = {0};
        memcpy(key_seed, "tally-sim", 9);
        for (int b = 0; b < 8; b++) key_seed[9 + b] = (uint8_t)(seed >> (8 * b));
        for (int b = 0; b < 4; b++) key_seed[17 + b] = (uint8_t)(i >> (8 * b));
        tally_keypair(&sim->keys[i], sim->secrets + (size_t)i * TALLY_SECRET_BYTES, key_seed);
    }
    /* An open chain whose staff found 1 to 3 networks and assets a day (or an
     * approved one), and whose validators (actors 0 and 1) approve more. */
    tally_chain_rules_defaults(&sim->rules, &sim->keys[SIM_VALIDATOR_FIRST]);
    sim->rules.validators[1] = sim->keys[SIM_VALIDATOR_FIRST + 1];
    sim->rules.validator_count = 2;
    sim->rules.growth_mode = growth_mode;
    sim->rules.networks_per_key_per_day = (uint16_t)(1 + rng_below(&sim->rng, 3));
    sim->rules.assets_per_key_per_day = (uint16_t)(1 + rng_below(&sim->rng, 3));
    if (growth_mode == TALLY_GROWTH_APPROVED) sim->counts.approved_runs++;
    else sim->counts.open_runs++;
    sim->state = tally_state_create_for_chain(sim->chain_id, &sim->rules);
    return sim->state != NULL;
}

static void sim_free(simulation *sim) {
    tally_state_destroy(sim->state);
    for (uint32_t i = 0; i <= SIM_NETWORKS_MAX; i++) free(sim->rosters[i].actors);
    free(sim->keys);
    free(sim->secrets);
    free(sim->on_roster);
    free(sim->ever_member);
    free(sim->left_with);
    free(sim->names);
    /* The events own the batch lines of their transactions. */
    for (size_t i = 0; i < sim->event_count; i++)
        if (sim->events[i].kind != EVENT_END_BLOCK) tally_tx_release(&sim->events[i].tx);
    free(sim->events);
    free(sim->batch);
    free(sim->gateway);
    free(sim->gateways);
    free(sim->balances);
    free(sim->line_statuses);
    free(sim->model_balances);
    free(sim->limits);
    free(sim->pending_outs);
    free(sim->pending_now);
    free(sim->charged);
    free(sim->stakes);
    free(sim->holds);
    free(sim->open_holds);
    free(sim->held);
    free(sim->requests);
    free(sim->open_requests);
    free(sim->asked);
    free(sim->block_events);
}

static void add_counts(sim_counts *total, const sim_counts *counts) {
    for (size_t i = 0; i < 256; i++) {
        total->accepted[i] += counts->accepted[i];
        total->refused[i] += counts->refused[i];
    }
    for (size_t i = 0; i < TALLY_ERROR_COUNT; i++) total->codes[i] += counts->codes[i];
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 0; i < TALLY_ERROR_COUNT; i++) {
            total->pending_codes[t][i] += counts->pending_codes[t][i];
            total->request_codes[t][i] += counts->request_codes[t][i];
        }
    for (size_t t = 0; t < SIM_GATEWAY_TYPES; t++)
        for (size_t i = 0; i < TALLY_ERROR_COUNT; i++) total->gateway_codes[t][i] += counts->gateway_codes[t][i];
    for (size_t t = 0; t < SIM_STAKE_TYPES; t++)
        for (size_t i = 0; i < TALLY_ERROR_COUNT; i++) total->stake_codes[t][i] += counts->stake_codes[t][i];
    total->steps += counts->steps;
    total->blocks += counts->blocks;
    total->hash_checks += counts->hash_checks;
    total->signed_good += counts->signed_good;
    total->signed_bad += counts->signed_bad;
    total->member_keys += counts->member_keys;
    total->proofs += counts->proofs;
    total->renewed += counts->renewed;
    total->expired += counts->expired;
    total->frozen += counts->frozen;
    total->defaulted += counts->defaulted;
    total->written_off = plus(total->written_off, counts->written_off);
    total->lost_debt_burned = plus(total->lost_debt_burned, counts->lost_debt_burned);
    total->reallocated = plus(total->reallocated, counts->reallocated);
#define SIM_RULE_ADD(name) total->name += counts->name;
    SIM_RULE_COUNTS(SIM_RULE_ADD)
#undef SIM_RULE_ADD
}

static void print_counts(const sim_counts *counts) {
    uint64_t unknown_accepted = 0, unknown_refused = 0;
    for (uint32_t type = 0; type < 256; type++) {
        const char *name = tally_tx_type_name((uint8_t)type);
        if (!name) {
            unknown_accepted += counts->accepted[type];
            unknown_refused += counts->refused[type];
            continue;
        }
        printf("    %-18s accepted %7llu refused %7llu\n", name, (unsigned long long)counts->accepted[type],
               (unsigned long long)counts->refused[type]);
    }
    printf("    %-18s accepted %7llu refused %7llu\n", "(unknown types)", (unsigned long long)unknown_accepted,
           (unsigned long long)unknown_refused);
    for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
        if (counts->codes[code])
            printf("    %-22s %7llu\n", tally_error_name((tally_error)code), (unsigned long long)counts->codes[code]);
    for (uint32_t t = 0; t < 3; t++) {
        printf("    %s:", tally_tx_type_name((uint8_t)(TALLY_TX_PENDING_CREATE + t)));
        for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
            if (counts->pending_codes[t][code])
                printf(" %s %llu", tally_error_name((tally_error)code), (unsigned long long)counts->pending_codes[t][code]);
        printf("\n");
    }
    for (uint32_t t = 0; t < SIM_GATEWAY_TYPES; t++) {
        printf("    %s:", tally_tx_type_name((uint8_t)(TALLY_TX_GATEWAY_PROPOSE + t)));
        for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
            if (counts->gateway_codes[t][code])
                printf(" %s %llu", tally_error_name((tally_error)code),
                       (unsigned long long)counts->gateway_codes[t][code]);
        printf("\n");
    }
    for (uint32_t t = 0; t < SIM_STAKE_TYPES; t++) {
        printf("    %s:", tally_tx_type_name((uint8_t)(TALLY_TX_STAKE + t)));
        for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
            if (counts->stake_codes[t][code])
                printf(" %s %llu", tally_error_name((tally_error)code), (unsigned long long)counts->stake_codes[t][code]);
        printf("\n");
    }
    for (uint32_t t = 0; t < 3; t++) {
        printf("    %s:", tally_tx_type_name((uint8_t)(TALLY_TX_REQUEST_CREATE + t)));
        for (uint32_t code = 0; code < TALLY_ERROR_COUNT; code++)
            if (counts->request_codes[t][code])
                printf(" %s %llu", tally_error_name((tally_error)code), (unsigned long long)counts->request_codes[t][code]);
        printf("\n");
    }
}

/* What the model of the rules of issue 7 saw in a run. */
static void print_rule_counts(const simulation *sim) {
    const sim_counts *c = &sim->counts;
    const uint64_t *codes = c->codes;
    printf("    %s chain (%u networks, %u assets per key a day): %u networks, %u assets; grown by approval %llu, "
           "by the day %llu, again after a day's limit %llu; DAILY_LIMIT %llu, APPROVAL_REQUIRED %llu, "
           "NOT_VALIDATOR %llu, NAME_TAKEN %llu\n",
           sim->rules.growth_mode == TALLY_GROWTH_APPROVED ? "approved" : "open", sim->rules.networks_per_key_per_day,
           sim->rules.assets_per_key_per_day, tally_state_network_count(sim->state),
           tally_state_asset_count(sim->state), (unsigned long long)c->grown_by_approval,
           (unsigned long long)c->grown_by_day, (unsigned long long)c->growth_rollovers,
           (unsigned long long)codes[TALLY_ERR_DAILY_LIMIT], (unsigned long long)codes[TALLY_ERR_APPROVAL_REQUIRED],
           (unsigned long long)codes[TALLY_ERR_NOT_VALIDATOR], (unsigned long long)codes[TALLY_ERR_NAME_TAKEN]);
    printf("    policy announced %llu, kept %llu, restarted %llu, withdrawn %llu, applied %llu; peg announced %llu, "
           "kept %llu, restarted %llu, withdrawn %llu, applied %llu\n",
           (unsigned long long)c->announced, (unsigned long long)c->announce_kept,
           (unsigned long long)c->announce_restarted, (unsigned long long)c->announce_withdrawn,
           (unsigned long long)c->policy_applied, (unsigned long long)c->peg_announced, (unsigned long long)c->peg_kept,
           (unsigned long long)c->peg_restarted, (unsigned long long)c->peg_withdrawn,
           (unsigned long long)c->peg_applied);
    printf("    redeemed from primary %llu, REDEEM_CAP_REACHED %llu; MEMBERS_FULL %llu; rejoined suspended %llu, "
           "defaulted %llu; refused text %llu (DECODE_BAD_TEXT %llu)\n",
           (unsigned long long)c->redeemed_from_primary, (unsigned long long)codes[TALLY_ERR_REDEEM_CAP_REACHED],
           (unsigned long long)codes[TALLY_ERR_MEMBERS_FULL], (unsigned long long)c->rejoined_suspended,
           (unsigned long long)c->rejoined_defaulted, (unsigned long long)c->text_refused,
           (unsigned long long)codes[TALLY_ERR_DECODE_BAD_TEXT]);
    printf("    batches paid %llu (%llu lines, %llu with a payee in several lines); refused as a whole %llu, at the "
           "first line %llu, at a later line %llu\n",
           (unsigned long long)c->batches_paid, (unsigned long long)c->batch_lines_paid,
           (unsigned long long)c->batch_payees_repeated, (unsigned long long)c->batch_refused_whole,
           (unsigned long long)c->batch_refused_first, (unsigned long long)c->batch_refused_later);
    printf("    holds created %llu: posted %llu (in part %llu, by the resolver %llu, from held debt %llu), voided %llu "
           "(by the resolver %llu), released %llu, refunded %llu (of them release outcomes that could not post %llu), "
           "voided by a default %llu; posts refused at the cap %llu; open now %u\n",
           (unsigned long long)c->holds_created, (unsigned long long)c->holds_posted,
           (unsigned long long)c->holds_posted_in_part, (unsigned long long)c->holds_posted_by_resolver,
           (unsigned long long)c->hold_posts_from_debt, (unsigned long long)c->holds_voided,
           (unsigned long long)c->holds_voided_by_resolver, (unsigned long long)c->holds_released,
           (unsigned long long)c->holds_refunded, (unsigned long long)c->holds_release_refunded,
           (unsigned long long)c->holds_voided_by_default, (unsigned long long)c->hold_posts_capped,
           sim->open_hold_count);
    printf("    requests created %llu (to anyone %llu): paid %llu (by anyone %llu), cancelled %llu, expired %llu; "
           "(on the second %llu); ends refused past the expiry %llu (before the block end %llu, at the expiry %llu, "
           "after it %llu); payments refused at the cap %llu; payments to a maker who left %llu; open now %u\n",
           (unsigned long long)c->requests_created, (unsigned long long)c->requests_to_anyone,
           (unsigned long long)c->requests_paid, (unsigned long long)c->requests_paid_by_anyone,
           (unsigned long long)c->requests_cancelled, (unsigned long long)c->requests_expired,
           (unsigned long long)c->requests_expired_on_the_second,
           (unsigned long long)(c->request_ends_past_expiry + c->request_ends_after_expired),
           (unsigned long long)c->request_ends_past_expiry, (unsigned long long)c->request_ends_at_expiry,
           (unsigned long long)c->request_ends_after_expired,
           (unsigned long long)c->request_pays_capped, (unsigned long long)c->request_pays_to_gone_maker,
           sim->open_request_count);
    uint32_t open = 0;
    for (uint32_t i = 0; i < sim->gateway_count; i++) open += sim->gateways[i].record.status == TALLY_GATEWAY_OPEN;
    printf("    gateways proposed %llu (superseding %llu), accepted %llu (rate from the pegs %llu), updated %llu, "
           "frozen %llu, thawed %llu, closed %llu (proposals %llu); open now %u; cross "
           "payments over 1 hop %llu, over 2-4 %llu (4 hops %llu; below a step %llu, paying back %llu); bad paths: loops "
           "%llu, not following on %llu, hop counts %llu; clearings %llu (%llu set-offs), refused past zero %llu, off "
           "the rate %llu, unbalanced %llu\n",
           (unsigned long long)c->gateways_proposed, (unsigned long long)c->gateways_superseded,
           (unsigned long long)c->gateways_accepted, (unsigned long long)c->gateways_from_pegs,
           (unsigned long long)c->gateways_updated, (unsigned long long)c->gateways_frozen,
           (unsigned long long)c->gateways_unfrozen, (unsigned long long)c->gateways_closed,
           (unsigned long long)c->proposals_closed, open, (unsigned long long)c->cross_one_hop,
           (unsigned long long)c->cross_multi_hop, (unsigned long long)c->cross_four_hops,
           (unsigned long long)c->cross_rounded, (unsigned long long)c->cross_exposure_reduced,
           (unsigned long long)c->cross_bad_loop, (unsigned long long)c->cross_bad_follow,
           (unsigned long long)c->cross_bad_hops, (unsigned long long)c->clearings,
           (unsigned long long)c->clearing_setoffs, (unsigned long long)c->clearings_past_zero,
           (unsigned long long)c->clearings_off_rate, (unsigned long long)c->clearings_unbalanced);
    printf("    settlements %llu\n", (unsigned long long)c->settlements);
    printf("    stakes made %llu, added to %llu (lines opened by a stake %llu), taken back %llu (whole %llu), "
           "STAKE_COVERS_DEBT %llu; risk-fee shares paid %llu (kept at the cap %llu); defaults slashing stakes %llu "
           "(%llu stakes, %llu reserve units); demurrage charged %llu, membership fees charged %llu, suspended for a "
           "fee %llu, fees paid back %llu (on credit %llu); limits set by the rule %llu; stakes now %u\n",
           (unsigned long long)c->stakes_made, (unsigned long long)c->stakes_added,
           (unsigned long long)c->stake_lines_opened, (unsigned long long)c->unstakes,
           (unsigned long long)c->unstakes_whole, (unsigned long long)codes[TALLY_ERR_STAKE_COVERS_DEBT],
           (unsigned long long)c->stake_shares_paid, (unsigned long long)c->stake_shares_capped,
           (unsigned long long)c->stake_slash_defaults, (unsigned long long)c->stakes_slashed,
           (unsigned long long)c->reserve_slashed, (unsigned long long)c->demurrage_charged,
           (unsigned long long)c->fees_charged, (unsigned long long)c->fee_suspensions, (unsigned long long)c->fee_pays,
           (unsigned long long)c->fee_pays_from_credit, (unsigned long long)c->limits_set, sim->stake_count);
}

static bool run_seed(uint64_t seed, uint8_t growth_mode, uint32_t steps, sim_counts *total) {
    simulation *sim = malloc(sizeof *sim);
    if (!sim) return false;
    bool ok = sim_init(sim, seed, growth_mode, steps);
    if (!ok) test_fail(__FILE__, __LINE__, "simulation: out of memory");
    if (ok) ok = sim_setup(sim);
    while (ok && sim->step < sim->steps) {
        uint32_t in_block = 1 + (uint32_t)rng_below(&sim->rng, SIM_BLOCK_TXS_MAX);
        for (uint32_t i = 0; ok && i < in_block && sim->step < sim->steps; i++) {
            sim_gen gen;
            generate(sim, &gen);
            ok = sim_apply(sim, &gen, NULL);
        }
        if (ok) ok = sim_end_block(sim);
        if (ok && sim->counts.blocks % SIM_SNAPSHOT_EVERY == 0) {
            /* A snapshot now says what the live state says (announcements, the day's
             * counts and allowance included). */
            tally_state_destroy(round_trip(sim, sim->state, sim->block_time));
            ok = !sim->failed;
        }
        advance_time(sim);
    }
    if (ok) ok = sim_finish(sim);
    uint64_t accepted = 0, refused = 0;
    for (size_t i = 0; i < 256; i++) {
        accepted += sim->counts.accepted[i];
        refused += sim->counts.refused[i];
    }
    uint32_t members = 0;
    for (uint32_t id = 1; sim->state && id <= tally_state_network_count(sim->state); id++)
        members += tally_state_network(sim->state, id)->member_count;
    printf("  simulation seed %llu: %u steps in %llu blocks over %lld days; %llu member keys, %u members now in "
           "%u networks; %llu accepted, %llu refused (%llu hash-checked); lines renewed %llu, expired %llu, "
           "frozen %llu, defaulted %llu; %llu signed (%llu forged); %llu proofs checked%s\n",
           (unsigned long long)seed, sim->step, (unsigned long long)sim->counts.blocks,
           (long long)((sim->block_time - SIM_START_TIME) / SIM_DAY), (unsigned long long)sim->counts.member_keys,
           members, sim->state ? tally_state_network_count(sim->state) : 0, (unsigned long long)accepted,
           (unsigned long long)refused, (unsigned long long)sim->counts.hash_checks,
           (unsigned long long)sim->counts.renewed, (unsigned long long)sim->counts.expired,
           (unsigned long long)sim->counts.frozen, (unsigned long long)sim->counts.defaulted,
           (unsigned long long)(sim->counts.signed_good + sim->counts.signed_bad),
           (unsigned long long)sim->counts.signed_bad, (unsigned long long)sim->counts.proofs, ok ? "" : " FAILED");
    if (sim->state) print_rule_counts(sim);
    fflush(stdout);
    add_counts(total, &sim->counts);
    sim_free(sim);
    free(sim);
    return ok;
}

static uint64_t env_number(const char *name, uint64_t fallback, bool *given) {
    const char *text = getenv(name);
    if (given) *given = false;
    if (!text || !*text) return fallback;
    char *end;
    unsigned long long value = strtoull(text, &end, 0);
    if (*end) return fallback;
    if (given) *given = true;
    return value;
}

TEST(simulation_random_histories_keep_every_invariant) {
    bool one_seed;
    uint64_t seed = env_number("TALLY_SIM_SEED", 0, &one_seed);
    uint64_t steps = env_number("TALLY_SIM_STEPS", SIM_STEPS_DEFAULT, NULL);
    REQUIRE(steps > 0 && steps <= 10000000);
    sim_counts *total = calloc(1, sizeof *total);
    REQUIRE(total != NULL);
    size_t seed_count = one_seed ? 1 : sizeof sim_seeds / sizeof sim_seeds[0];
    /* One seed: its mode in the table (open if it is not there), or TALLY_SIM_GROWTH's. */
    uint8_t one_mode = TALLY_GROWTH_OPEN;
    for (size_t i = 0; i < sizeof sim_seeds / sizeof sim_seeds[0]; i++)
        if (sim_seeds[i].seed == seed) one_mode = sim_seeds[i].growth_mode;
    const char *growth = getenv("TALLY_SIM_GROWTH");
    if (growth && strcmp(growth, "approved") == 0) one_mode = TALLY_GROWTH_APPROVED;
    if (growth && strcmp(growth, "open") == 0) one_mode = TALLY_GROWTH_OPEN;
    bool ok = true;
    for (size_t i = 0; ok && i < seed_count; i++)
        ok = run_seed(one_seed ? seed : sim_seeds[i].seed, one_seed ? one_mode : sim_seeds[i].growth_mode,
                      (uint32_t)steps, total);
    if (getenv("TALLY_SIM_VERBOSE")) print_counts(total);
    if (!ok) {
        free(total);
        REQUIRE(ok);
    }
    /* The generator reaches real behaviour: every type is accepted and refused.
     * Proposals, votes and cancels (44-46) have their own simulation, with a model of
     * every proposal (test_simulation_governance.c): this one's networks are all
     * governed by their operators. The marketplace's types (47-58: categories,
     * listings, orders and their steps, reviews) have theirs too, with a model of
     * every listing, order and hold (test_simulation_market.c). Changes of the
     * validator set (59-60) are not generated here: they would change who approves
     * the growth this model follows; test_simulation_validators.c drives them through
     * blocks against a model of the roster. */
    for (uint32_t type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        if (type >= TALLY_TX_PROPOSAL_CREATE && type <= TALLY_TX_PROPOSAL_CANCEL) continue;
        if (type >= TALLY_TX_CATEGORY_SET && type <= TALLY_TX_REVIEW) continue;
        if (type == TALLY_TX_VALIDATOR_PROPOSE || type == TALLY_TX_VALIDATOR_APPROVE) continue;
        if (total->accepted[type] && total->refused[type]) continue;
        char what[160];
        snprintf(what, sizeof what, "%s was accepted %llu and refused %llu times", tally_tx_type_name((uint8_t)type),
                 (unsigned long long)total->accepted[type], (unsigned long long)total->refused[type]);
        test_fail(__FILE__, __LINE__, what);
    }
    uint64_t unknown_accepted = total->accepted[0], unknown_refused = total->refused[0];
    for (uint32_t type = TALLY_TX_TYPE_LAST + 1; type < 256; type++) {
        unknown_accepted += total->accepted[type];
        unknown_refused += total->refused[type];
    }
    CHECK(unknown_accepted == 0 && unknown_refused > 0);
    CHECK(total->codes[TALLY_ERR_BAD_SEQUENCE] > 0 && total->codes[TALLY_ERR_WRONG_CHAIN] > 0);
    CHECK(total->codes[TALLY_ERR_SYSTEM_SIGNER] > 0 && total->codes[TALLY_ERR_BAD_SIGNATURE] > 0);
    CHECK(total->signed_good > 0 && total->signed_bad > 0);
    /* Periods ran their course: renewals, expiries, freezes and defaults. */
    CHECK(total->renewed > 0 && total->expired > 0 && total->frozen > 0 && total->defaulted > 0);
    CHECK(total->written_off > 0);
    if (steps >= SIM_STEPS_DEFAULT) CHECK(total->member_keys >= 1000);
    if (!one_seed && steps >= SIM_STEPS_DEFAULT) {
        /* In a default run every rule of issue 7 was met a few times: keys ran out of
         * their day and grew again on the next, approvals were used (and needed, on an
         * approved chain), announcements were made, kept, restarted, withdrawn and took
         * effect, the redemption cap and member bounds refused, members came back
         * barred, and text with refused characters was refused. */
        const uint64_t *codes = total->codes;
        if (total->open_runs) CHECK(codes[TALLY_ERR_DAILY_LIMIT] >= 5 && total->growth_rollovers >= 3);
        if (total->approved_runs) CHECK(codes[TALLY_ERR_APPROVAL_REQUIRED] >= 5);
        CHECK(total->grown_by_approval >= 5 && (!total->open_runs || total->grown_by_day >= 5));
        CHECK(codes[TALLY_ERR_NOT_VALIDATOR] >= 5 && codes[TALLY_ERR_APPROVAL_ABOVE_MAX] >= 3 &&
              codes[TALLY_ERR_NAME_TAKEN] >= 3);
        CHECK(codes[TALLY_ERR_MEMBERS_FULL] >= 5 && codes[TALLY_ERR_REDEEM_CAP_REACHED] >= 5);
        CHECK(total->redeemed_from_primary >= 5);
        CHECK(total->announced >= 5 && total->announce_kept >= 3 && total->announce_restarted >= 3 &&
              total->announce_withdrawn >= 3 && total->policy_applied >= 5);
        CHECK(total->peg_announced >= 3 && total->peg_kept >= 1 && total->peg_restarted >= 1 &&
              total->peg_withdrawn >= 1 && total->peg_applied >= 3);
        CHECK(total->rejoined_suspended >= 3 && total->rejoined_defaulted >= 3);
        CHECK(total->text_refused >= 10 && codes[TALLY_ERR_DECODE_BAD_TEXT] >= 5);
        /* Batches were paid (some to a payee in several lines) and refused, as a whole,
         * at their first line and at a line in the middle. */
        CHECK(total->batches_paid >= 50 && total->batch_payees_repeated >= 10);
        CHECK(total->batch_refused_whole >= 5 && total->batch_refused_first >= 5 && total->batch_refused_later >= 20);
        /* Holds were made, posted (in part, by a resolver, after the payer's line
         * stopped lending), voided (by a resolver), released and refunded at their
         * timeouts (some releases refunded: the payee at its cap or gone), voided by a
         * default; and every refusal of the three types was met. */
        CHECK(total->holds_created >= 400 && total->holds_posted >= 100 && total->holds_posted_in_part >= 50 &&
              total->holds_posted_by_resolver >= 20 && total->hold_posts_from_debt >= 1);
        CHECK(total->holds_voided >= 50 && total->holds_voided_by_resolver >= 10);
        CHECK(total->holds_released >= 50 && total->holds_refunded >= 50 && total->holds_release_refunded >= 5);
        CHECK(total->holds_voided_by_default >= 2 && total->hold_posts_capped >= 10);
        static const tally_error create_refusals[] = {
            TALLY_ERR_UNKNOWN_NETWORK,    TALLY_ERR_AMOUNT_NOT_POSITIVE, TALLY_ERR_SELF_TRANSFER,
            TALLY_ERR_BAD_TIMEOUT,        TALLY_ERR_DECODE_BAD_VALUE,    TALLY_ERR_SYSTEM_ACCOUNT,
            TALLY_ERR_NOT_MEMBER,         TALLY_ERR_FEE_ABOVE_MAX,       TALLY_ERR_INSUFFICIENT_CREDIT,
            TALLY_ERR_MEMBER_SUSPENDED,   TALLY_ERR_MEMBER_DEFAULTED,    TALLY_ERR_LINE_FROZEN,
            TALLY_ERR_LINE_EXPIRED};
        static const tally_error post_refusals[] = {TALLY_ERR_PENDING_NOT_FOUND, TALLY_ERR_PENDING_ENDED,
                                                    TALLY_ERR_NOT_RESOLVER,      TALLY_ERR_AMOUNT_NOT_POSITIVE,
                                                    TALLY_ERR_POST_ABOVE_PENDING, TALLY_ERR_CAP_REACHED};
        static const tally_error void_refusals[] = {TALLY_ERR_PENDING_NOT_FOUND, TALLY_ERR_PENDING_ENDED,
                                                    TALLY_ERR_NOT_RESOLVER};
        const struct {
            uint8_t type;
            const tally_error *codes;
            size_t count;
        } refusals[] = {{TALLY_TX_PENDING_CREATE, create_refusals, sizeof create_refusals / sizeof create_refusals[0]},
                        {TALLY_TX_PENDING_POST, post_refusals, sizeof post_refusals / sizeof post_refusals[0]},
                        {TALLY_TX_PENDING_VOID, void_refusals, sizeof void_refusals / sizeof void_refusals[0]}};
        for (size_t t = 0; t < sizeof refusals / sizeof refusals[0]; t++) {
            for (size_t k = 0; k < refusals[t].count; k++) {
                tally_error code = refusals[t].codes[k];
                if (total->pending_codes[refusals[t].type - TALLY_TX_PENDING_CREATE][code] >= 3) continue;
                char what[160];
                snprintf(what, sizeof what, "%s was refused with %s only %llu times",
                         tally_tx_type_name(refusals[t].type), tally_error_name(code),
                         (unsigned long long)total->pending_codes[refusals[t].type - TALLY_TX_PENDING_CREATE][code]);
                test_fail(__FILE__, __LINE__, what);
            }
        }
        /* Requests were made (some to anyone), paid (some by anyone), cancelled and
         * expired at block ends (some in the block of their expiry's second); ends
         * past the expiry were refused before and after the block end that expired
         * them, and at the expiry's second; some payments met the cap and makers who
         * left; and every refusal of the three types was met. */
        CHECK(total->requests_created >= 400 && total->requests_to_anyone >= 100);
        CHECK(total->requests_paid >= 100 && total->requests_paid_by_anyone >= 20);
        CHECK(total->requests_cancelled >= 50 && total->requests_expired >= 100);
        CHECK(total->request_ends_past_expiry >= 20 && total->request_ends_after_expired >= 20);
        CHECK(total->request_ends_at_expiry >= 1 && total->requests_expired_on_the_second >= 3);
        CHECK(total->request_pays_capped >= 3 && total->request_pays_to_gone_maker >= 1);
        static const tally_error request_create_refusals[] = {
            TALLY_ERR_UNKNOWN_NETWORK, TALLY_ERR_AMOUNT_NOT_POSITIVE, TALLY_ERR_SELF_TRANSFER,
            TALLY_ERR_BAD_EXPIRY,      TALLY_ERR_SYSTEM_ACCOUNT,      TALLY_ERR_NOT_MEMBER,
            TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_LENGTH};
        static const tally_error request_pay_refusals[] = {
            TALLY_ERR_REQUEST_NOT_FOUND, TALLY_ERR_REQUEST_PAID,       TALLY_ERR_REQUEST_CANCELLED,
            TALLY_ERR_REQUEST_EXPIRED,   TALLY_ERR_NOT_REQUEST_PAYER,  TALLY_ERR_SELF_TRANSFER,
            TALLY_ERR_NOT_MEMBER,        TALLY_ERR_INSUFFICIENT_CREDIT, TALLY_ERR_FEE_ABOVE_MAX,
            TALLY_ERR_CAP_REACHED,       TALLY_ERR_MEMBER_DEFAULTED};
        static const tally_error request_cancel_refusals[] = {TALLY_ERR_REQUEST_NOT_FOUND, TALLY_ERR_REQUEST_PAID,
                                                              TALLY_ERR_REQUEST_CANCELLED, TALLY_ERR_REQUEST_EXPIRED,
                                                              TALLY_ERR_NOT_REQUEST_CREATOR};
        const struct {
            uint8_t type;
            const tally_error *codes;
            size_t count;
        } request_refusals[] = {
            {TALLY_TX_REQUEST_CREATE, request_create_refusals,
             sizeof request_create_refusals / sizeof request_create_refusals[0]},
            {TALLY_TX_REQUEST_PAY, request_pay_refusals, sizeof request_pay_refusals / sizeof request_pay_refusals[0]},
            {TALLY_TX_REQUEST_CANCEL, request_cancel_refusals,
             sizeof request_cancel_refusals / sizeof request_cancel_refusals[0]}};
        for (size_t t = 0; t < sizeof request_refusals / sizeof request_refusals[0]; t++) {
            for (size_t k = 0; k < request_refusals[t].count; k++) {
                tally_error code = request_refusals[t].codes[k];
                uint64_t times = total->request_codes[request_refusals[t].type - TALLY_TX_REQUEST_CREATE][code];
                if (times >= 3) continue;
                char what[160];
                snprintf(what, sizeof what, "%s was refused with %s only %llu times",
                         tally_tx_type_name(request_refusals[t].type), tally_error_name(code),
                         (unsigned long long)times);
                test_fail(__FILE__, __LINE__, what);
            }
        }
        /* Gateways were proposed (some superseding a proposal), accepted (some at a
         * rate from both pegs), updated, frozen and thawed, closed (open ones at zero,
         * and proposals); payments crossed 1 hop and 2 to 4 (some 4, some with a part
         * below a step, some paying an exposure back); real cycles were cleared and
         * broken ones refused; settlements made; and every refusal of the eight types was met (but
         * GATEWAYS_FULL: 64 gateways of one network need 65 networks, test_gateway.c). */
        CHECK(total->gateways_proposed >= 100 && total->gateways_superseded >= 5);
        CHECK(total->gateways_accepted >= 50 && total->gateways_from_pegs >= 3);
        CHECK(total->gateways_updated >= 50 && total->gateways_frozen >= 20 && total->gateways_unfrozen >= 20);
        CHECK(total->gateways_closed >= 10 && total->proposals_closed >= 10);
        CHECK(total->cross_one_hop >= 200 && total->cross_multi_hop >= 200 && total->cross_four_hops >= 20);
        CHECK(total->cross_rounded >= 50 && total->cross_exposure_reduced >= 50);
        CHECK(total->cross_bad_loop >= 3 && total->cross_bad_follow >= 3 && total->cross_bad_hops >= 3);
        CHECK(total->clearings >= 20 && total->clearing_setoffs >= 60);
        CHECK(total->clearings_past_zero >= 3 && total->clearings_off_rate >= 3 && total->clearings_unbalanced >= 3);
        CHECK(total->settlements >= 10);
        static const tally_error propose_refusals[] = {TALLY_ERR_NOT_OPERATOR, TALLY_ERR_UNKNOWN_NETWORK,
                                                       TALLY_ERR_SAME_NETWORK, TALLY_ERR_BAD_RATE,
                                                       TALLY_ERR_BAD_POLICY,   TALLY_ERR_GATEWAY_EXISTS};
        static const tally_error accept_refusals[] = {TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_GATEWAY_NOT_PROPOSED,
                                                      TALLY_ERR_NOT_OPERATOR, TALLY_ERR_TERMS_CHANGED,
                                                      TALLY_ERR_BAD_RATE};
        static const tally_error side_refusals[] = {TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_GATEWAY_NOT_OPEN,
                                                    TALLY_ERR_NOT_GATEWAY_SIDE, TALLY_ERR_NOT_OPERATOR,
                                                    TALLY_ERR_BAD_POLICY};
        static const tally_error close_refusals[] = {TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_GATEWAY_NOT_OPEN,
                                                     TALLY_ERR_NOT_OPERATOR, TALLY_ERR_GATEWAY_NOT_CLEAR};
        static const tally_error cross_refusals[] = {
            TALLY_ERR_UNKNOWN_NETWORK,   TALLY_ERR_AMOUNT_NOT_POSITIVE, TALLY_ERR_BAD_PATH,
            TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_GATEWAY_NOT_OPEN,    TALLY_ERR_NOT_MEMBER,
            TALLY_ERR_SYSTEM_ACCOUNT,    TALLY_ERR_FEE_ABOVE_MAX,       TALLY_ERR_INSUFFICIENT_CREDIT,
            TALLY_ERR_GATEWAY_FROZEN,    TALLY_ERR_PARTNER_UNHEALTHY,   TALLY_ERR_EXPOSURE_LIMIT,
            TALLY_ERR_AMOUNT_TOO_SMALL,  TALLY_ERR_CAP_REACHED,         TALLY_ERR_BELOW_MIN_RECEIVED};
        static const tally_error clearing_refusals[] = {TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_GATEWAY_NOT_OPEN,
                                                        TALLY_ERR_BAD_CLEARING};
        static const tally_error settle_refusals[] = {
            TALLY_ERR_GATEWAY_NOT_FOUND, TALLY_ERR_NOT_GATEWAY_SIDE, TALLY_ERR_NOT_OPERATOR,
            TALLY_ERR_NOT_IN_DEBT,       TALLY_ERR_NOT_WHOLE_STEPS,  TALLY_ERR_AMOUNT_NOT_POSITIVE};
        const struct {
            uint8_t type;
            const tally_error *codes;
            size_t count;
        } gateway_refusals[] = {
            {TALLY_TX_GATEWAY_PROPOSE, propose_refusals, sizeof propose_refusals / sizeof propose_refusals[0]},
            {TALLY_TX_GATEWAY_ACCEPT, accept_refusals, sizeof accept_refusals / sizeof accept_refusals[0]},
            {TALLY_TX_GATEWAY_UPDATE, side_refusals, sizeof side_refusals / sizeof side_refusals[0]},
            {TALLY_TX_GATEWAY_FREEZE, side_refusals, sizeof side_refusals / sizeof side_refusals[0] - 1},
            {TALLY_TX_GATEWAY_CLOSE, close_refusals, sizeof close_refusals / sizeof close_refusals[0]},
            {TALLY_TX_TRANSFER_CROSS, cross_refusals, sizeof cross_refusals / sizeof cross_refusals[0]},
            {TALLY_TX_CLEARING, clearing_refusals, sizeof clearing_refusals / sizeof clearing_refusals[0]},
            {TALLY_TX_SETTLE, settle_refusals, sizeof settle_refusals / sizeof settle_refusals[0]}};
        /* Issue 12: stakes were made, added to (some opening a line), taken back (some
         * whole); risk fees paid underwriters; defaults slashed stakes; charge rounds
         * took demurrage and membership fees and suspended members who could not pay,
         * who paid back; the algorithm set limits at renewals; and every refusal of the
         * three types was met (TOO_MANY_STAKES too: the generator piles underwriters
         * onto the most crowded lines it finds until they hold 16). */
        CHECK(total->stakes_made >= 50 && total->stakes_added >= 5 && total->stake_lines_opened >= 3);
        CHECK(total->unstakes >= 30 && total->unstakes_whole >= 5);
        CHECK(total->stake_shares_paid >= 20);
        CHECK(total->stake_slash_defaults >= 3 && total->stakes_slashed >= 3);
        CHECK(total->demurrage_charged >= 50 && total->fees_charged >= 50 && total->fee_suspensions >= 10);
        CHECK(total->fee_pays >= 5 && total->limits_set >= 20);
        static const tally_error stake_refusals[] = {
            TALLY_ERR_UNKNOWN_NETWORK,   TALLY_ERR_UNDERWRITING_OFF, TALLY_ERR_UNDERWRITE_SELF,
            TALLY_ERR_NO_RESERVE_ASSET,  TALLY_ERR_INSUFFICIENT_ASSET, TALLY_ERR_NOT_MEMBER,
            TALLY_ERR_MEMBER_DEFAULTED,  TALLY_ERR_AMOUNT_NOT_POSITIVE, TALLY_ERR_SYSTEM_ACCOUNT,
            TALLY_ERR_TOO_MANY_STAKES};
        static const tally_error unstake_refusals[] = {
            TALLY_ERR_UNKNOWN_NETWORK, TALLY_ERR_STAKE_NOT_FOUND,  TALLY_ERR_STAKE_SHORT,       TALLY_ERR_STAKE_COVERS_DEBT,
            TALLY_ERR_NOT_MEMBER,      TALLY_ERR_UNDERWRITE_SELF, TALLY_ERR_AMOUNT_NOT_POSITIVE};
        static const tally_error fee_pay_refusals[] = {TALLY_ERR_NO_FEE_OWED, TALLY_ERR_NOT_MEMBER,
                                                       TALLY_ERR_INSUFFICIENT_CREDIT};
        const struct {
            const tally_error *codes;
            size_t count;
        } stake_type_refusals[SIM_STAKE_TYPES] = {
            {stake_refusals, sizeof stake_refusals / sizeof stake_refusals[0]},
            {unstake_refusals, sizeof unstake_refusals / sizeof unstake_refusals[0]},
            {fee_pay_refusals, sizeof fee_pay_refusals / sizeof fee_pay_refusals[0]}};
        for (size_t t = 0; t < SIM_STAKE_TYPES; t++) {
            for (size_t k = 0; k < stake_type_refusals[t].count; k++) {
                tally_error code = stake_type_refusals[t].codes[k];
                uint64_t times = total->stake_codes[t][code];
                if (times >= 3) continue;
                char what[160];
                snprintf(what, sizeof what, "%s was refused with %s only %llu times",
                         tally_tx_type_name((uint8_t)(TALLY_TX_STAKE + t)), tally_error_name(code),
                         (unsigned long long)times);
                test_fail(__FILE__, __LINE__, what);
            }
        }
        for (size_t t = 0; t < sizeof gateway_refusals / sizeof gateway_refusals[0]; t++) {
            for (size_t k = 0; k < gateway_refusals[t].count; k++) {
                tally_error code = gateway_refusals[t].codes[k];
                uint64_t times = total->gateway_codes[gateway_refusals[t].type - TALLY_TX_GATEWAY_PROPOSE][code];
                if (times >= 3) continue;
                char what[160];
                snprintf(what, sizeof what, "%s was refused with %s only %llu times",
                         tally_tx_type_name(gateway_refusals[t].type), tally_error_name(code),
                         (unsigned long long)times);
                test_fail(__FILE__, __LINE__, what);
            }
        }
    }
    free(total);
}
