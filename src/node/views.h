/*
 * views.h: the JSON shapes of the API (docs/openapi.yaml), built with jansson from
 * the core's read-only views, or from copies of them taken under the node's lock. Amounts stay integers of minor units; each object that
 * holds amounts says its decimals and unit so clients can format them.
 */
#ifndef TALLY_VIEWS_H
#define TALLY_VIEWS_H

#include <jansson.h>

#include "node/node.h"
#include "node/paths.h"
#include "tally.h"
#include "tally_chain.h"

json_t *view_hex(const uint8_t *bytes, size_t length);
json_t *view_address(const tally_key *key);
/* The address of a network's system account of `kind`. */
json_t *view_address_of_system(uint32_t network_id, tally_system_kind kind);
json_t *view_error(const char *code, const char *message, int64_t available, bool has_available);
json_t *view_result(const tally_result *result);
json_t *view_tx_status(const uint8_t id[TALLY_HASH_BYTES], const tx_status *status);

/* JSON text grown piece by piece (`failed` once memory ran out; then bytes is freed
 * and nothing more is added). */
typedef struct {
    char *bytes;
    size_t length, capacity;
    bool failed;
} view_text;
void view_text_append(view_text *text, const char *bytes, size_t length);
/* Appends the text of view_tx_status(id, status): exactly the bytes json_dumps
 * gives it with JSON_COMPACT. Pending and committed statuses (the thousands of a
 * batch) are written directly, at a twentieth of jansson's cost; refusals, with
 * their messages, go through jansson. */
void view_text_append_tx_status(view_text *text, const uint8_t id[TALLY_HASH_BYTES], const tx_status *status);

/* What the views of a network and of a member show, copied from the state while
 * the node's lock is held (view_copy_*), so that their JSON is built after it is
 * released: the producer never waits for a client's JSON. */
typedef struct {
    tally_network network;
    int64_t fees;         /* balance of its fee account */
    int64_t lost_debt;    /* of its lost-debt account, as a positive number */
    int64_t pool_credits; /* balance of its pool account */
    int64_t redeem_allowance; /* tally_network_redeem_allowance at the tip's time */
} view_network_copy;
/* Its system accounts: {fees, lost_debt, pool}, each {address, balance}. */
json_t *view_system_accounts(const view_network_copy *copy);

typedef struct {
    tally_member member;
    int64_t available; /* tally_member_available */
    uint8_t decimals;  /* of its network */
    char unit_code[TALLY_CODE_MAX + 1];
    int64_t pool_shares;       /* the member's shares of its network's pool (0: none) */
    int64_t pool_shares_value; /* what they are worth now: shares x (primary + excess) / all shares, rounded down */
    /* What open holds hold for it as their payee (index_pending_in): only the view of
     * one account asks the index (set by the caller; view_copy_member clears it). */
    bool has_pending_in;
    int64_t pending_in;
} view_member_copy;

/* tip_time: the block time the network's figures are read at (the redemption cap's day). */
void view_copy_network(const tally_state *state, const tally_network *network, int64_t tip_time,
                       view_network_copy *out);
/* The chain's rules: growth mode and daily allowances, validators. */
json_t *view_chain_rules(const tally_chain_rules *rules);
void view_copy_member(const tally_state *state, const tally_network *network, const tally_member *member,
                      view_member_copy *out);
json_t *view_network(const view_network_copy *copy);
/* A network's last completed health period (docs/GATEWAYS.md section 4); null before
 * its first ends. */
json_t *view_health(const tally_health *health);
/* The running health period: what it has counted so far, and when it ends. */
json_t *view_health_running(const tally_network *network);
json_t *view_member(const view_member_copy *copy);
json_t *view_asset(const tally_asset *asset);
json_t *view_block_header(const tally_block_header *header, const uint8_t hash[TALLY_HASH_BYTES]);
json_t *view_tx(const tally_tx *tx);

/* A key's name in a network as the state has it now: a member's alias, "fees",
 * "pool" or "lost-debt" for its system accounts, "operator" for an operator without
 * an alias there; "" when it has none. */
void view_copy_name(const tally_state *state, uint32_t network_id, const tally_key *key,
                    char name[TALLY_ALIAS_MAX + 1]);

/* Holds (pending transfers) and payment requests, copied under the lock with the
 * names of the keys they name and their network's unit. */
typedef struct {
    tally_pending hold;
    char payer_name[TALLY_ALIAS_MAX + 1], payee_name[TALLY_ALIAS_MAX + 1], resolver_name[TALLY_ALIAS_MAX + 1];
    uint8_t decimals;
    char unit_code[TALLY_CODE_MAX + 1];
} view_hold_copy;
void view_copy_hold(const tally_state *state, const tally_pending *hold, view_hold_copy *out);
json_t *view_hold(const view_hold_copy *copy);

typedef struct {
    tally_request request;
    bool expired; /* open in the state, but its expiry has come: nobody can pay it any more */
    char payee_name[TALLY_ALIAS_MAX + 1], payer_name[TALLY_ALIAS_MAX + 1], paid_by_name[TALLY_ALIAS_MAX + 1];
    uint8_t decimals;
    char unit_code[TALLY_CODE_MAX + 1];
    bool has_memo; /* the memo, from the index (set by the caller; false: not indexed yet) */
    char memo[TALLY_MEMO_MAX + 1];
} view_request_copy;
/* block_time_now: node_block_time_now, against the request's expiry. */
void view_copy_request(const tally_state *state, const tally_request *request, int64_t block_time_now,
                       view_request_copy *out);
json_t *view_request(const view_request_copy *copy);

/* Status names ("open", "posted", ...; "open", "paid", ...) and back (-1: none). */
const char *view_hold_status_name(uint8_t status);
const char *view_request_status_name(uint8_t status);
int view_hold_status_of(const char *name);
int view_request_status_of(const char *name);

/* A gateway with its networks' names and units and both mirror accounts' balances
 * (side a: gw:B in A; side b: gw:A in B), copied under the lock. */
typedef struct {
    tally_gateway gateway;
    char name[2][TALLY_NAME_MAX + 1];
    char unit[2][TALLY_CODE_MAX + 1];
    uint8_t decimals[2];
    int64_t mirror[2];
    bool has_mirror[2];
} view_gateway_copy;
void view_copy_gateway(const tally_state *state, const tally_gateway *gateway, view_gateway_copy *out);
/* Terms, status and each side's exposure (its partner's mirror account's debt in it)
 * and room under its limit (docs/openapi.yaml Gateway). */
json_t *view_gateway(const view_gateway_copy *copy);
/* A priced path (paths.h): its gateways, every hop's figures, what the payer pays and
 * the payee receives, its capacity; a refused one with its refusal. */
json_t *view_path(const path_quote *quote);

/* A stake with the names of its line's holder and underwriter, the cover of what it
 * holds now, the network's unit and its reserve asset's, copied under the lock. */
typedef struct {
    tally_stake stake;
    char member_name[TALLY_ALIAS_MAX + 1], underwriter_name[TALLY_ALIAS_MAX + 1];
    char network_name[TALLY_NAME_MAX + 1];
    int64_t cover; /* tally_network_stake_cover of its amount */
    uint8_t decimals;
    char unit_code[TALLY_CODE_MAX + 1];
    uint32_t reserve_asset;
    uint8_t reserve_decimals;
    char reserve_code[TALLY_CODE_MAX + 1];
} view_stake_copy;
void view_copy_stake(const tally_state *state, const tally_stake *stake, view_stake_copy *out);
/* docs/openapi.yaml Stake. */
json_t *view_stake(const view_stake_copy *copy);

const char *view_member_status_name(uint8_t status);
const char *view_line_status_name(uint8_t status);

/* Governance (docs/UNDERWRITING.md section 6): a proposal with its network's name
 * and unit, its proposer's alias and, for an operator change, the alias of the key
 * it names, copied under the lock; its action in JSON (the policy as the network
 * view writes one), the counts and whether quorum and threshold are reached now. */
typedef struct {
    tally_proposal proposal;
    char network_name[TALLY_NAME_MAX + 1], unit[TALLY_CODE_MAX + 1];
    uint8_t decimals;
    char proposer_name[TALLY_ALIAS_MAX + 1], key_name[TALLY_ALIAS_MAX + 1];
} view_proposal_copy;
void view_copy_proposal(const tally_state *state, const tally_proposal *proposal, view_proposal_copy *out);
json_t *view_proposal(const view_proposal_copy *copy);
/* A proposal's action (ProposalAction): its type and the fields it uses; key_name
 * (may be NULL) the alias of the key an operator change names. */
json_t *view_proposal_action(const tally_proposal_action *action, const char *key_name);
/* A vote, with the voter's alias in the proposal's network ("" when none). */
json_t *view_vote(const tally_vote *vote, const char *voter_name);
/* "voting", "passed", ... and back (-1: none). */
int view_proposal_status_of(const char *name);

#endif
