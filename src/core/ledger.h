/*
 * ledger.h: the core's internal view of the state, shared by the rule modules
 * (network.c, member.c, credit.c, transfer.c, asset.c, pool.c) and by the state,
 * snapshot and invariant code. Nothing here is public API.
 *
 * Layout: every table is a dense array in insertion order (so iteration, snapshots
 * and hashes are deterministic) plus an open-addressing index of uint64 slots
 * holding (hash32 << 32 | entry index + 1). Entries are never removed, except alias
 * index slots. Tables grow only in ledger_reserve(), called before a transaction
 * touches anything, so a handler may hold pointers into the tables safely and a
 * refusal never leaves half a change behind.
 */
#ifndef TALLY_LEDGER_H
#define TALLY_LEDGER_H

#include "tally.h"

#include <assert.h>
#include <string.h>

/* ---- checked arithmetic: an overflow is a refusal, never a wrap ---- */

TALLY_MUST_CHECK static inline bool checked_add(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
TALLY_MUST_CHECK static inline bool checked_sub(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_sub_overflow(a, b, out);
}
/* a * numerator / denominator, rounded up (fees) or down (payouts). false on
 * overflow of the int64 result or a non-positive denominator. */
TALLY_MUST_CHECK bool muldiv_round_up(int64_t a, int64_t numerator, int64_t denominator,
                                      int64_t *out);
TALLY_MUST_CHECK bool muldiv_round_down(int64_t a, int64_t numerator, int64_t denominator,
                                        int64_t *out);
/* ceil(amount * bps / 10000) for amount >= 0 and bps <= 10000: cannot overflow. */
int64_t fee_round_up(int64_t amount, uint32_t bps);

/* For totals that only report (a block summary across networks): saturate. */
static inline int64_t saturating_add(int64_t a, int64_t b) {
    int64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? (b > 0 ? INT64_MAX : INT64_MIN) : sum;
}

static inline int64_t positive_part(int64_t balance) { return balance > 0 ? balance : 0; }
/* The debt a balance stands for. Balances are never INT64_MIN (checked on entry). */
static inline int64_t debt_part(int64_t balance) { return balance < 0 ? -balance : 0; }

/* ---- tables ---- */

typedef struct {
    uint64_t *slots;
    uint32_t capacity; /* power of two, or 0 */
    uint32_t used;     /* occupied slots */
} ledger_index;

typedef struct {
    tally_key key;
    uint64_t next_sequence; /* 1 for a key that was only approved and never signed */
    /* Growth of the shared tables (DESIGN.md "Who may grow the state"): approvals
     * left, and what the key founded and created on growth_day. */
    uint32_t networks_approved, assets_approved;
    int64_t growth_day;
    uint16_t networks_on_day, assets_on_day;
} ledger_account;

/* The secret hashes of the keys the transaction being applied names (signer,
 * counterparty): derived from the key alone, so an entry is never stale. */
#define LEDGER_KEY_CACHE 2
typedef struct {
    bool valid;
    tally_key key;
    uint64_t hash;
} ledger_key_hash;

/* Holdings of reserve assets and of pool shares share one table. */
#define HOLDING_SHARES_FLAG TALLY_HOLDING_SHARES
typedef struct {
    uint32_t owner_id; /* asset id, or HOLDING_SHARES_FLAG | network id */
    uint32_t epoch;    /* shares only: void when != the network's pool_share_epoch */
    tally_key key;
    int64_t amount;
} ledger_holding;

/* What comes due at block end, in one min-heap ordered by (due_time, kind, index):
 * a credit line's period or grace (index: the member), an announced policy or peg
 * change (index: the network's), a pending transfer's timeout or a payment request's
 * expiry (index: its record's), a network's health period end (index: the
 * network's). An entry is stale when the record's current due
 * time differs; stale entries are skipped when popped. */
typedef enum { DUE_LINE = 0, DUE_POLICY_CHANGE = 1, DUE_PEG_CHANGE = 2, DUE_PENDING = 3, DUE_REQUEST = 4,
               DUE_HEALTH = 5, DUE_CHARGES = 6, DUE_PROPOSAL = 7, DUE_LISTING = 8 } ledger_due_kind;
typedef struct {
    int64_t due_time;
    uint32_t index;
    uint8_t kind; /* ledger_due_kind */
} ledger_due;

/* A set of one table's record indices, each at most once, in the order marked
 * (commitment.c). Its capacity follows the table's, so marking never fails. */
typedef struct {
    uint32_t *list;
    uint32_t count, capacity;
    uint64_t *bits; /* capacity bits */
} ledger_marks;

/* One table's Merkle tree (commitment.c): every level of node hashes, and the
 * records touched since the last commit. */
#define LEDGER_TREE_LEVELS 26 /* 2^24 leaves and the levels above them, with room */
typedef struct {
    uint8_t (*levels[LEDGER_TREE_LEVELS])[TALLY_HASH_BYTES];
    uint32_t level_capacity[LEDGER_TREE_LEVELS];
    uint32_t leaves;    /* records hashed at the last commit */
    ledger_marks dirty; /* touched since */
    bool all_dirty;     /* rehash everything at the next commit (a fresh or loaded state) */
} ledger_tree;

/* What the incremental invariant check keeps between two checks (invariants.c):
 * each record's share of an aggregate as it was last checked, and the aggregates,
 * so a check recomputes them from what was touched instead of from every record. */
__extension__ typedef __int128 ledger_int128;
typedef struct {
    int64_t balance;
    uint32_t network_id; /* 0: not seen yet */
    bool counted;        /* counted in its network's member_count */
    int64_t pending_out;
    uint32_t holds_open, requests_open;
    int64_t limit;
    bool mirror; /* a gateway's mirror account (its balance is in the mirror sums) */
} ledger_member_seen;
typedef struct {
    int64_t held;        /* amount + fee while open, else 0 */
    uint32_t network_id; /* 0: not seen yet */
} ledger_pending_seen;
typedef struct {
    uint32_t network_id; /* 0: not seen yet */
    bool open;
} ledger_request_seen;
typedef struct {
    int64_t amount;
    uint32_t owner_id; /* 0: not seen yet */
    uint32_t epoch;
} ledger_holding_seen;
typedef struct {
    ledger_int128 balance_sum, supply, debt, shares;
    /* What its members' pending_out say is held, and what its open holds hold; how
     * many holds and requests its members say are open, and how many are. */
    ledger_int128 members_held, holds_held;
    int64_t members_holds_open, holds_open, members_requests_open, requests_open;
    uint32_t active_members;
    ledger_int128 limits, mirror_debt, mirror_credit; /* against limits_total, mirror_debt, mirror_credit */
    uint32_t active_in_period; /* members active in the running health period (full checks only) */
    uint32_t shares_epoch; /* the pool epoch `shares` sums */
} ledger_network_totals;
typedef struct {
    bool kept;                              /* false: the next check is a full one */
    bool always_full;                       /* every check is a full one (verify --full) */
    ledger_marks touched[TALLY_TABLE_COUNT]; /* since the last check (marked only while kept) */
    uint32_t counts[TALLY_TABLE_COUNT];     /* the tables' sizes at the last check */
    ledger_member_seen *members;
    ledger_holding_seen *holdings;
    ledger_pending_seen *pendings;
    ledger_request_seen *requests;
    ledger_network_totals *networks; /* by network id */
    ledger_int128 *asset_sums;       /* by asset id */
    uint32_t member_capacity, holding_capacity, pending_capacity, request_capacity, network_capacity, asset_capacity;
} ledger_checker;

struct tally_state {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_chain_rules rules;
    /* Keys, aliases and names are chosen by whoever signs, so an unkeyed hash would
     * let them grind collisions and turn every lookup into a scan (hash flooding).
     * The key is secret (tally_index_secret_set) and observable nothing depends on it. */
    uint8_t index_key[TALLY_INDEX_SECRET_BYTES];
    ledger_key_hash key_cache[LEDGER_KEY_CACHE];
    uint64_t index_tag; /* names index_key in prepared hashes (tally_tx_prepare) */

    tally_network *networks; /* networks[i] has id i + 1 */
    uint32_t network_count, network_capacity;
    ledger_index name_index; /* network names, folded to lowercase ASCII */

    tally_asset *assets; /* assets[i] has id i + 1 */
    uint32_t asset_count, asset_capacity;

    tally_member *members;
    uint32_t member_count, member_capacity;
    ledger_index member_index; /* (network id, key) */
    ledger_index alias_index;  /* (network id, alias) */

    ledger_account *accounts;
    uint32_t account_count, account_capacity;
    ledger_index account_index; /* key */

    ledger_holding *holdings;
    uint32_t holding_count, holding_capacity;
    ledger_index holding_index; /* (owner id, key) */

    tally_pending *pendings; /* pendings[i] has id i + 1 */
    uint32_t pending_count, pending_capacity;

    tally_request *requests; /* requests[i] has id i + 1 */
    uint32_t request_count, request_capacity;

    tally_gateway *gateways; /* gateways[i] has id i + 1 */
    uint32_t gateway_count, gateway_capacity;

    tally_stake *stakes; /* stakes[i] has id i + 1 */
    uint32_t stake_count, stake_capacity;

    tally_proposal *proposals; /* proposals[i] has id i + 1 */
    uint32_t proposal_count, proposal_capacity;

    tally_vote *votes; /* in casting order */
    uint32_t vote_count, vote_capacity;
    ledger_index vote_index; /* (proposal id, voter) */

    tally_listing *listings; /* listings[i] has id i + 1 */
    uint32_t listing_count, listing_capacity;

    tally_order *orders; /* orders[i] has id i + 1 */
    uint32_t order_count, order_capacity;

    ledger_due *due_heap;
    uint32_t due_count, due_capacity;

    ledger_tree trees[TALLY_TABLE_COUNT];
    uint8_t committed_root[TALLY_HASH_BYTES]; /* of the last tally_state_commit */
    ledger_checker checker;
};

/* ---- the commitment (commitment.c) ---- */

/* How many records a table holds. */
static inline uint32_t ledger_table_count(const tally_state *state, tally_table table) {
    switch (table) {
    case TALLY_TABLE_NETWORKS: return state->network_count;
    case TALLY_TABLE_ASSETS: return state->asset_count;
    case TALLY_TABLE_MEMBERS: return state->member_count;
    case TALLY_TABLE_ACCOUNTS: return state->account_count;
    case TALLY_TABLE_HOLDINGS: return state->holding_count;
    case TALLY_TABLE_PENDINGS: return state->pending_count;
    case TALLY_TABLE_REQUESTS: return state->request_count;
    case TALLY_TABLE_GATEWAYS: return state->gateway_count;
    case TALLY_TABLE_STAKES: return state->stake_count;
    case TALLY_TABLE_PROPOSALS: return state->proposal_count;
    case TALLY_TABLE_VOTES: return state->vote_count;
    case TALLY_TABLE_LISTINGS: return state->listing_count;
    case TALLY_TABLE_ORDERS: return state->order_count;
    case TALLY_TABLE_COUNT: break;
    }
    return 0;
}

/* Marks record `index` of `table` changed: the next commit rehashes it. Every write
 * to a record goes through a function that marks it (the ledger_* accessors that
 * hand out writable pointers, appends, balance commits). */
void ledger_touch(const tally_state *state, tally_table table, uint32_t index);
/* Grows every table's marks with the table's capacity (called by ledger_reserve). */
TALLY_MUST_CHECK bool ledger_marks_reserve(tally_state *state);
void ledger_marks_add(ledger_marks *marks, uint32_t index);
void ledger_marks_clear(ledger_marks *marks);
void ledger_trees_free(tally_state *state);
void ledger_checker_free(ledger_checker *checker);
/* The record's canonical bytes (snapshot.c); its length, or 0 when out is too small. */
size_t ledger_record_encode(const tally_state *state, tally_table table, uint32_t index, uint8_t *out,
                            size_t out_size);
size_t ledger_rules_encode(const tally_chain_rules *rules, uint8_t *out, size_t out_size);

/* Makes room for what `tx` can add to the tables, and only for that: a table at its
 * protocol bound refuses the transactions that would grow it, never the others (a
 * chain with every network slot taken still carries payments). The signer's account
 * is one more when it has none yet. false when out of memory or at a bound. */
TALLY_MUST_CHECK bool ledger_reserve(tally_state *state, const tally_tx *tx, bool signer_has_account);

tally_network *ledger_network(const tally_state *state, uint32_t network_id);
/* The network whose name equals `name` ignoring ASCII case, or NULL. */
tally_network *ledger_network_by_name(const tally_state *state, const char *name, size_t length);
/* Indexes the name of a network just appended (room reserved). */
void ledger_name_insert(tally_state *state, const tally_network *network);
/* The accessors that hand out writable records mark them for the commitment
 * (commitment.c); the public tally_state_* getters do not. */
tally_member *ledger_member(const tally_state *state, uint32_t network_id, const tally_key *key);
/* The same for a member that can pay or be paid: joined and not left. */
tally_member *ledger_current_member(const tally_state *state, uint32_t network_id, const tally_key *key);
/* The same for reading only: it does not mark the record for the commitment. */
const tally_member *ledger_current_member_read(const tally_state *state, uint32_t network_id, const tally_key *key);
/* A memo as a transfer or a request carries it: its length and text rules (the codec
 * refuses others on the wire; a transaction built in memory is held to them too).
 * Inline: every transfer passes here. */
static inline tally_error ledger_memo_check(const tally_text *memo) {
    if (memo->length > TALLY_MEMO_MAX) return TALLY_ERR_DECODE_BAD_LENGTH;
    return tally_text_is_valid(memo->bytes, memo->length) ? TALLY_OK : TALLY_ERR_DECODE_BAD_TEXT;
}

static inline bool ledger_keys_equal(const tally_key *a, const tally_key *b) {
    return memcmp(a->bytes, b->bytes, TALLY_KEY_BYTES) == 0;
}
/* 32 zero bytes: "none" in a transaction's optional keys (a resolver, a payer). */
static inline bool ledger_key_is_zero(const tally_key *key) {
    static const tally_key zero;
    return ledger_keys_equal(key, &zero);
}
/* Member record `index` (a system account's, a due line's), marked. */
tally_member *ledger_member_at(const tally_state *state, uint32_t index);
uint32_t ledger_member_index(const tally_state *state, const tally_member *member);
/* Appends a member (room reserved by ledger_reserve). */
tally_member *ledger_member_add(tally_state *state, uint32_t network_id, const tally_key *key);
/* Alias index maintenance; the alias text lives in the member. */
tally_member *ledger_alias_find(const tally_state *state, uint32_t network_id, const char *alias,
                                size_t length);
void ledger_alias_insert(tally_state *state, const tally_member *member);
void ledger_alias_remove(tally_state *state, const tally_member *member);

/* For reading only (it does not mark): ledger_account_get to change an account. */
ledger_account *ledger_account_find(const tally_state *state, const tally_key *key);
/* Computes and keeps the secret hash of key in cache slot 0 or 1: tally_apply does it
 * for the signer and the counterparty, so that lookups of either hash nothing. */
void ledger_remember_key(tally_state *state, int slot, const tally_key *key);
/* The same with its hash computed ahead (tally_tx_prepare). */
void ledger_remember_key_hash(tally_state *state, int slot, const tally_key *key, uint64_t hash);
/* The secret hash of a key, uncached: what the indices hash keys with. */
uint64_t ledger_key_siphash(const tally_state *state, const tally_key *key);
ledger_account *ledger_account_add(tally_state *state, const tally_key *key);
/* Finds or appends (room reserved) an account. */
ledger_account *ledger_account_get(tally_state *state, const tally_key *key);
/* Account `index`, to change (marks it). */
ledger_account *ledger_account_at(tally_state *state, uint32_t index);

/* The day of a block time (floor division: days before 1970 are negative). */
int64_t ledger_day(int64_t block_time);
/* Whether `key` may found a network (networks) or create an asset (!networks) at
 * block_time: OK, APPROVAL_REQUIRED or DAILY_LIMIT. ledger_growth_use counts it. */
tally_error ledger_growth_check(const tally_state *state, const tally_key *key, bool networks, int64_t block_time);
void ledger_growth_use(tally_state *state, const tally_key *key, bool networks, int64_t block_time);
bool ledger_is_validator(const tally_state *state, const tally_key *key);

ledger_holding *ledger_holding_find(const tally_state *state, uint32_t owner_id, const tally_key *key);
/* Finds or appends (room reserved) a holding; a new one counts against its owner's
 * holder bound, which ledger_holding_fits checks first. */
ledger_holding *ledger_holding_get(tally_state *state, uint32_t owner_id, const tally_key *key);
/* Whether key holds, or may start to hold, under owner_id (TALLY_HOLDERS_PER_ASSET_MAX). */
bool ledger_holding_fits(const tally_state *state, uint32_t owner_id, const tally_key *key);

void ledger_due_push(tally_state *state, int64_t due_time, ledger_due_kind kind, uint32_t index);
/* Queues the due entry of a network's announcement (DUE_POLICY_CHANGE or
 * DUE_PEG_CHANGE) at `at`, unless one already queued comes first: that one, when
 * it pops, queues the announcement's time again (ledger_announcement_popped). So a
 * network has at most one entry of each kind queued (two while a shorter notice
 * brings a new one forward). */
void ledger_announcement_queue(tally_state *state, tally_network *network, ledger_due_kind kind, int64_t at);
/* After popping a network's announcement entry due at due_time: returns whether the
 * announcement is due now; else requeues it for its own time when it is later. */
bool ledger_announcement_popped(tally_state *state, tally_network *network, ledger_due_kind kind, int64_t due_time);
/* The earliest due entry, if any; and its removal. */
bool ledger_due_peek(const tally_state *state, ledger_due *top);
void ledger_due_pop(tally_state *state);

/* The longest run of occupied slots in an index: no lookup probes further. For tests
 * and diagnostics (a hash-flooding attack shows as long runs). */
uint32_t ledger_index_longest_run(const ledger_index *index);

/* Rebuilds every index and the due heap from the tables (after deserializing). */
TALLY_MUST_CHECK bool ledger_rebuild_indices(tally_state *state);

/* What the end of a block is doing: its summary and where its events go. */
typedef struct {
    tally_block_summary summary;
    tally_event_fn *on_event; /* NULL: events are not reported */
    void *context;
    uint32_t dues; /* due entries processed so far (TALLY_BLOCK_DUES_MAX at most) */
} ledger_block_end;
/* Reports one event (member NULL: about the network). */
void ledger_event(ledger_block_end *end, tally_event_kind kind, uint32_t network_id, const tally_key *member,
                  int64_t amount, int64_t time);

/* ---- rule modules: each returns a result whose code says what happened ---- */

bool network_is_operator(const tally_network *network, const tally_key *key);
tally_error policy_validate(const tally_policy *policy);
bool text_is_code(const tally_text *text);
bool text_is_name(const tally_text *text);

tally_result network_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result network_policy_update(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result network_peg_set(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result network_chain_approve(tally_state *state, const tally_tx *tx);

/* validators.c: the chain's validator set and its changes. */
tally_result validators_propose(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result validators_approve(tally_state *state, const tally_tx *tx, int64_t block_time);
/* The slot of an active validator's key, or -1. */
int validators_active_slot(const tally_chain_rules *rules, const tally_key *key);
/* The state's part of tally_chain_rules_validate: retirements, the open change. */
bool validators_rules_are_valid(const tally_chain_rules *rules);
/* An announced policy or peg change whose time came (a due entry of that kind). */
bool network_policy_change_due(tally_state *state, tally_network *network, int64_t due_time,
                               ledger_block_end *end);
bool network_peg_change_due(tally_state *state, tally_network *network, int64_t due_time,
                            ledger_block_end *end);
tally_result network_operator_add(tally_state *state, const tally_tx *tx);
tally_result network_operator_remove(tally_state *state, const tally_tx *tx);

tally_result member_join(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result member_admit(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result member_suspend(tally_state *state, const tally_tx *tx);
tally_result member_reinstate(tally_state *state, const tally_tx *tx);
tally_result member_leave(tally_state *state, const tally_tx *tx);
tally_result member_alias_set(tally_state *state, const tally_tx *tx);

tally_result credit_line_open(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result credit_line_update(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result credit_line_close(tally_state *state, const tally_tx *tx);
/* Opens a line on behalf of the protocol (a new member under a default limit). */
void credit_line_start(tally_state *state, tally_member *member, const tally_network *network,
                       int64_t limit, uint32_t period_seconds, uint32_t grace_seconds,
                       uint32_t risk_fee_bps, int64_t block_time);
/* Whether a line lets its holder spend on credit now. */
bool credit_allows_new_debt(const tally_member *member);
/* The refusal for a member who may not take new debt, or OK. */
tally_error credit_refusal(const tally_member *member);
/* After a member's balance changed: keeps the period's counters, and unfreezes and
 * renews a frozen line that became compliant. income is what it received. */
void credit_after_balance_change(tally_state *state, tally_member *member,
                                 const tally_network *network, int64_t income,
                                 int64_t block_time);
/* The same change made to the record alone, which may be a copy outside the state
 * (a batch's dry run): returns whether the line's period restarted, whose end
 * credit_after_balance_change then queues. */
bool credit_record_after_balance_change(tally_member *member, const tally_network *network,
                                        int64_t income, int64_t block_time);
/* A credit line's period or grace that ended at due_time (a due entry). */
bool credit_line_due(tally_state *state, uint32_t member_index, int64_t due_time, int64_t block_time,
                     ledger_block_end *end);

tally_result transfer_apply(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result transfer_cross_apply(tally_state *state, const tally_tx *tx, int64_t block_time);

/* Pending transfers (pending.c). */
tally_result pending_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result pending_post(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result pending_void(tally_state *state, const tally_tx *tx);
/* A pending transfer's timeout came (a due entry): its outcome applies. */
bool pending_due(tally_state *state, uint32_t pending_index, int64_t due_time, int64_t block_time,
                 ledger_block_end *end);
/* Before member's default: every open pending transfer it pays in its network is
 * voided (its hold released). */
void pending_void_all_of(tally_state *state, const tally_member *member, int64_t at);
/* The pending transfer of index, marked for the commitment. */
tally_pending *ledger_pending_at(const tally_state *state, uint32_t index);

/* Payment requests (request.c). */
tally_result request_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result request_pay(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result request_cancel(tally_state *state, const tally_tx *tx, int64_t block_time);
/* A request's expiry came (a due entry): unpaid, it expires. */
bool request_due(tally_state *state, uint32_t request_index, int64_t due_time, ledger_block_end *end);

/* health.c: a network's health periods. health_start begins a new network's first
 * period at `at` and queues its end; health_period_due writes the period that ended
 * at due_time into the network record, starts the next and queues its end. */
void health_start(tally_state *state, tally_network *network, int64_t at);
bool health_period_due(tally_state *state, tally_network *network, int64_t due_time, ledger_block_end *end);
/* When a period that began at started_at ends (INT64_MAX: never). */
int64_t health_period_end(int64_t started_at);
/* What a network's members owe themselves: debt less lost debt and exposures. */
int64_t health_member_debt(const tally_state *state, const tally_network *network);
/* Sets a member's credit limit, keeping its network's sum of limits. */
void ledger_limit_set(tally_network *network, tally_member *member, int64_t limit);
/* The payment request of index, marked for the commitment. */
tally_request *ledger_request_at(const tally_state *state, uint32_t index);

/* Gateways (gateway.c, docs/GATEWAYS.md). */
tally_result gateway_propose(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result gateway_accept(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result gateway_update(tally_state *state, const tally_tx *tx);
tally_result gateway_freeze(tally_state *state, const tally_tx *tx);
tally_result gateway_settle(tally_state *state, const tally_tx *tx);
tally_result gateway_close(tally_state *state, const tally_tx *tx);
tally_result gateway_clearing(tally_state *state, const tally_tx *tx);
/* The gateway of index, marked for the commitment. */
tally_gateway *ledger_gateway_at(const tally_state *state, uint32_t index);
tally_result transfer_batch_apply(tally_state *state, const tally_tx *tx, int64_t block_time);

/* Underwriting (underwriting.c, docs/UNDERWRITING.md). */
tally_result underwriting_stake(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result underwriting_unstake(tally_state *state, const tally_tx *tx);
/* The stake of index, marked for the commitment. */
tally_stake *ledger_stake_at(const tally_state *state, uint32_t index);
/* Pays a payment's risk fee, just credited to the fee account, on to the underwriters
 * of payer's line pro rata to their stakes (each share rounded down; what is left,
 * and a share an underwriter's cap would not take, stays with the fee account).
 * Nothing when the line has no stakes. Returns what the underwriters received, and
 * adds to *burned the debt it paid off (an underwriter in debt): a payment's
 * `burned` counts it, so that minted - burned stays the change in the debt. */
int64_t underwriting_pay_risk_fee(tally_state *state, tally_network *network, const tally_member *payer,
                                  int64_t risk_fee, int64_t *burned);
/* At a default, after the pool's credits burned what they could: slashes the line's
 * stakes pro rata into the pool's primary, up to the value of `uncovered` credits at
 * the peg (rounded down). Returns the reserve slashed. */
int64_t underwriting_slash(tally_state *state, tally_network *network, tally_member *member, int64_t uncovered,
                           ledger_block_end *end);
/* The line's own part of its limit (what underwriters do not back). */
static inline int64_t line_own_part(const tally_member *member) { return member->limit - member->underwritten_limit; }

/* Reputation and algorithmic limits (reputation.c). */
/* Writes the member's score as of `at` (a period end). */
void reputation_update(const tally_network *network, tally_member *member, int64_t at);

/* Governance (governance.c). */
tally_result governance_propose(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result governance_vote(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result governance_cancel(tally_state *state, const tally_tx *tx, int64_t block_time);
/* A proposal's vote ended or its timelock ran out (a due entry). */
bool governance_due(tally_state *state, uint32_t proposal_index, int64_t due_time, int64_t block_time,
                    ledger_block_end *end);
/* Whether tx is an operator's change that a MEMBERS network takes only as a
 * proposal: GOVERNED_BY_MEMBERS, or OK. */
tally_error governance_refusal(const tally_state *state, const tally_tx *tx);
/* Whether an action is a kind a proposal may carry, its unused fields zero. */
bool governance_action_well_formed(const tally_proposal_action *action);
/* The key a network's governance acts with: an operator of it, that no one signs for. */
tally_key governance_key(uint32_t network_id);
/* The rules of one transaction, without the envelope (apply.c): what executing an
 * action runs. */
tally_result ledger_dispatch(tally_state *state, const tally_tx *tx, int64_t block_time);
/* The proposal of index, marked for the commitment. */
tally_proposal *ledger_proposal_at(const tally_state *state, uint32_t index);
/* The vote of (proposal, voter), or NULL; appending one (room reserved). */
const tally_vote *ledger_vote_find(const tally_state *state, uint32_t proposal_id, const tally_key *voter);
tally_vote *ledger_vote_add(tally_state *state, uint32_t proposal_id, const tally_key *voter);

/* The marketplace (market.c, docs/MARKETPLACE.md). */
tally_result market_category_set(tally_state *state, const tally_tx *tx);
tally_result market_listing_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result market_listing_update(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result market_listing_withdraw(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result market_order_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result market_order_step(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result market_review(tally_state *state, const tally_tx *tx);
/* A listing's expiry came (a due entry). */
bool market_listing_due(tally_state *state, uint32_t listing_index, int64_t due_time, ledger_block_end *end);
/* The timeout of an order's hold came (pending_due hands it over): refunded if the
 * seller had not accepted, released to the seller if accepted, nothing if disputed. */
bool market_hold_due(tally_state *state, tally_pending *pending, int64_t block_time, ledger_block_end *end);
/* The hold of an order was voided before its buyer's default. */
void market_hold_voided(tally_state *state, const tally_pending *pending, int64_t block_time);
/* The listing and the order of index, marked for the commitment. */
tally_listing *ledger_listing_at(const tally_state *state, uint32_t index);
tally_order *ledger_order_at(const tally_state *state, uint32_t index);

/* Holds (pending.c) as the marketplace opens and ends them: the terms of a hold (a
 * positive amount, another payee, a timeout within a year, a known outcome: OK or
 * the refusal); a hold of amount plus its fee from payer to payee on terms so
 * checked, its payer's and payee's standing and the payer's credit checked as
 * PENDING_CREATE checks them; moving `amount`
 * of it to the payee (cap checked, fee pro rata; nothing changes when refused); and
 * releasing it back to its payer. */
tally_error pending_terms_refusal(const tally_key *payer, const tally_key *payee, int64_t amount, int64_t timeout,
                                  uint8_t outcome, int64_t block_time);
tally_result pending_hold_open(tally_state *state, const tally_network *network, const tally_key *payer_key,
                               const tally_key *payee, const tally_key *resolver, int64_t amount, int64_t max_fee,
                               int64_t timeout, uint8_t outcome, int64_t block_time);
tally_result pending_hold_post(tally_state *state, tally_pending *pending, int64_t amount, int64_t block_time);
void pending_hold_release(tally_state *state, tally_pending *pending);

/* Charges: demurrage and membership fees (charges.c). */
/* Queues a new network's first charge round. */
void charges_start(tally_state *state, tally_network *network, int64_t created_at);
/* A charge round due at due_time: charges members from where the round stands, at
 * most what is left of the block's budget (end->dues), and queues what follows. */
bool charges_due(tally_state *state, tally_network *network, int64_t due_time, int64_t block_time,
                 ledger_block_end *end);
tally_result charges_fee_pay(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result fee_distribute(tally_state *state, const tally_tx *tx, int64_t block_time);

tally_result asset_create(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result asset_issue(tally_state *state, const tally_tx *tx);
tally_result asset_transfer(tally_state *state, const tally_tx *tx);
tally_result asset_burn(tally_state *state, const tally_tx *tx);

tally_result pool_deposit(tally_state *state, const tally_tx *tx);
tally_result pool_withdraw(tally_state *state, const tally_tx *tx);
tally_result pool_repay(tally_state *state, const tally_tx *tx, int64_t block_time);
tally_result pool_redeem(tally_state *state, const tally_tx *tx, int64_t block_time);
/* Burns the pool's credits against lost debt, as far as both go. Returns the amount. */
int64_t pool_cover_lost_debt(tally_state *state, tally_network *network);
/* Moves excess to primary while RTD is below target. Returns the amount. */
int64_t pool_reallocate(tally_state *state, tally_network *network);

/* Balance changes are made in one step per transaction, so the network's supply
 * and debt aggregates move once and every number is range-checked before anything
 * changes. A member may appear only once in a batch. */
typedef struct {
    tally_member *member;
    int64_t new_balance;
} balance_change;
/* Whether committing these changes keeps every balance and aggregate in range. */
TALLY_MUST_CHECK bool ledger_balances_fit(const tally_network *network,
                                          const balance_change *changes, size_t count);
/* ledger_balances_fit for a dry run that keeps its own running figures: the
 * aggregates *supply and *debt and each change's old balance are given instead of
 * read from the network and the members. On success *supply and *debt move to what
 * committing the changes would make them. */
TALLY_MUST_CHECK bool ledger_balances_fit_running(int64_t *supply, int64_t *debt,
                                                  const int64_t *old_balances,
                                                  const int64_t *new_balances, size_t count);
void ledger_balances_commit(tally_network *network, const balance_change *changes,
                            size_t count);

static inline tally_result result_error(tally_error code) {
    tally_result result = {0};
    result.code = code;
    return result;
}

#endif
