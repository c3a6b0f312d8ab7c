/*
 * txbuild.h: from a parsed command line to a tally_tx. The pure parts (amounts
 * with a unit's decimals, WHO as address / alias / alias@network, policy options,
 * the fee estimate) need no node and are tested alone; cli_txbuild() asks the node
 * what only it knows (a network's decimals and policy, an alias's address, the
 * payer's balance) and fills every field of the transaction but the chain id,
 * sequence and signature, which cli_cmd_tx.c adds just before signing.
 */
#ifndef TALLY_CLI_TXBUILD_H
#define TALLY_CLI_TXBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "cli/commands.h"

/* ------------------------------------------------------------------------ */
/* Pure parsing.                                                             */
/* ------------------------------------------------------------------------ */

/*
 * An amount as typed ("12.50") in a unit's minor units. Refuses, with a sentence
 * in why: anything that is not a decimal number, more decimals than the unit has
 * ("GVH has 2 decimals: 12.505 has 3"), a negative amount, zero unless allow_zero,
 * and amounts too large for 64 bits.
 */
bool cli_amount_parse(const char *text, const cli_unit *unit, bool allow_zero, int64_t *amount, char *why,
                  size_t why_size);

/* A whole number 0..max, digits only. */
bool cli_number_parse(const char *text, uint64_t max, uint64_t *value);
/* "30d", "12h", "90m", "45s" or plain seconds (at most 2^32 - 1 of the unit); false
 * for anything else or 0. */
bool cli_duration_parse(const char *text, uint64_t *seconds);

/* WHO as typed. */
typedef struct {
    bool is_address;
    tally_key key;                   /* when is_address */
    char alias[TALLY_ALIAS_MAX + 1]; /* when not: lowercased */
    char network[TALLY_NAME_MAX + 1]; /* the part after '@'; "" when none */
} cli_who;

/*
 * Splits "bob", "bob@greenvale", "tly1...", "tly1...@3" into a key or alias and a
 * network. An address (tly1 and 58 more characters) must pass its checksum ("the
 * address's checksum does not match: a typing mistake?"); an alias is 1 to 32 of
 * a-z 0-9 . _ - (upper case is folded to lower case).
 */
bool cli_who_parse(const char *text, cli_who *who, char *why, size_t why_size);

/* ceil(amount * bps / 10000), as the core rounds fees (up, in the network's favour). */
int64_t cli_fee_round_up(int64_t amount, uint32_t bps);

/*
 * The most a payment of `amount` can cost in fees, computed as the core does: the
 * base fee on the whole amount plus, when the payer's line allows new debt, the
 * line's risk fee on the part spent on credit (beyond the positive balance).
 * Saturates at INT64_MAX.
 */
int64_t cli_fee_estimate(int64_t amount, int64_t balance, uint32_t fee_bps, uint32_t risk_fee_bps,
                     bool credit_allowed);

/*
 * What a member can pay right now, fees included: the largest amount x with
 * x + cli_fee_estimate(x, ...) <= available (the node's `available`: balance + limit
 * when the line allows credit, else the positive balance). 0 when nothing fits.
 */
int64_t cli_can_pay_now(int64_t available, int64_t balance, uint32_t fee_bps, uint32_t risk_fee_bps,
                        bool credit_allowed);

/* Adds to a member's account JSON (GET /v1/networks/{id}/accounts/{who}) the CLI's
 * "can_pay_now" (cli_can_pay_now with the network's fee and the line's risk fee)
 * and "credit_left" (what the line still lends: limit - debt, 0 when the line
 * allows no new debt). Adds nothing when a figure it needs is missing. */
void cli_account_add_spending(json_t *account, const cli_network *network);

/* What `tally network create` starts from: no automatic line, lines up to 1000
 * units, no cap, no fees, 30-day periods with 10 days of grace, rule rebalanced,
 * auto-renewal, target RTD 0, open membership. */
tally_policy cli_policy_defaults(const cli_unit *unit);

/* Applies the policy options of the command (--default-limit, --fee-bps, --rule,
 * ...) to policy, amounts in unit. Refuses values out of range and contradictions
 * (--open with --admitted, a max limit below the default limit, min-income without
 * its share) with a sentence. */
bool cli_policy_apply_options(const cli_args *args, const cli_unit *unit, tally_policy *policy, char *why,
                          size_t why_size);

/* Fills a text field; false when value is longer than max bytes. */
bool cli_text_assign(tally_text *text, const char *value, size_t max);

/* ------------------------------------------------------------------------ */
/* Building with the node's help.                                            */
/* ------------------------------------------------------------------------ */

/* The transaction type a command makes (its first, for `pay`: TRANSFER); false for
 * the commands that only read. */
bool cli_command_tx_type(const cli_command *command, tally_tx_type *type);
/* Whether the command may make `type` (`pay` makes TRANSFER and TRANSFER_CROSS). */
bool cli_command_makes_tx_type(const cli_command *command, tally_tx_type type);

/* The node's NO_PATH (GET /v1/paths) in words on ctx->err: why, and the path that
 * went furthest with its refusal. */
void cli_say_no_path(cli_context *ctx, const json_t *error, const char *amount, const char *from, const char *to);

/* A gateway's rate in words, "3.00 GVH = 2.00 RVS": both integers scaled by the
 * smallest power of ten that writes them in whole minor units of each side. */
const char *cli_gateway_rate_text(const cli_gateway *gateway, char *out, size_t out_size);

/* One hop of a cross-network payment as the node priced it (GET /v1/paths). */
typedef struct {
    uint32_t gateway_id;
    cli_network to; /* the network it enters */
    int64_t arrived, fee, passed_on; /* in to's unit */
} cli_cross_hop;

/* What a transaction is about, for the messages after it. */
typedef struct {
    bool has_network;
    cli_network network;
    bool has_asset; /* the asset moved, or the network's reserve asset */
    cli_asset asset;
    char counterparty[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2]; /* "bob@greenvale" or an address */
    int64_t max_fee; /* TRANSFER, TRANSFER_BATCH, PENDING_CREATE, REQUEST_PAY: what was signed */
    bool max_fee_estimated;
    /* REQUEST_*: what the request asks and its memo (pay, cancel: as the node has it;
     * counterparty: its payee) */
    int64_t request_amount;
    char request_memo[TALLY_MEMO_MAX + 1];
    /* GATEWAY_*: the gateway (PROPOSE: the terms signed, its networks) and, for
     * UPDATE and FREEZE, the side signed for (0: network_a, 1: network_b). */
    bool has_gateway;
    cli_gateway gateway;
    int side;
    /* TRANSFER_CROSS: the payer as typed, the payee's network, the path shown and
     * what it said: the first leg's fee and what the payee receives. */
    char payer_text[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
    cli_network payee_network;
    uint8_t cross_hop_count;
    cli_cross_hop cross_hops[TALLY_PATH_HOPS_MAX];
    int64_t cross_fee, cross_received;
    /* CLEARING: each set-off's gateway with its networks */
    cli_gateway setoff_gateways[TALLY_CLEARING_SETOFFS_MAX];
    /* TRANSFER_BATCH: the file, the total of its amounts, the distinct payees, and
     * where each line came from (so that a refusal names the file's line). */
    char batch_file[256];
    int64_t batch_total;
    uint32_t batch_payees;
    uint32_t batch_source_lines[TALLY_BATCH_LINES_MAX];
    char batch_payee_text[TALLY_BATCH_LINES_MAX][TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
} tx_plan;

/*
 * The most a batch's lines can cost in fees, computed as the core does: each line
 * the fee of cli_fee_estimate at the balance the lines before it left (amounts and
 * fees taken off). Saturates at INT64_MAX.
 */
int64_t cli_batch_fee_estimate(const tally_batch_line *lines, uint16_t count, int64_t balance, uint32_t fee_bps,
                               uint32_t risk_fee_bps, bool credit_allowed);

/*
 * Builds the transaction of the parsed command for `signer`. Returns CLI_OK, or
 * CLI_USAGE for a wrong argument (printed with the command's usage), or what a
 * lookup at the node returned (printed there). A batch's lines are allocated: the
 * caller releases tx (tally_tx_release) whatever the result.
 */
cli_status cli_txbuild(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                   tx_plan *plan);

/* cmd_governance.c: PROPOSAL_CREATE (`proposal create NET ACTION ...`: the action
 * built by the builder of the operator command it stands for), PROPOSAL_VOTE and
 * PROPOSAL_CANCEL (`proposal vote ID CHOICE`, `proposal cancel ID`), tx->type set. */
cli_status cli_txbuild_proposal(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                                tx_plan *plan);
/* After a refusal of governance (GOVERNED_BY_MEMBERS: the `tally proposal create`
 * to paste instead; NOT_GOVERNED_BY_MEMBERS, TOO_MANY_PROPOSALS, and a vote's or
 * cancel's refusals: where to look), on ctx->err. Prints nothing for other codes. */
void cli_say_governance_refusal(cli_context *ctx, const char *code, const tally_tx *tx, const tx_plan *plan);
/* What a proposal's action does, in a few words ("add an operator"). */
const char *cli_proposal_action_words(uint8_t type, bool frozen);

/* cmd_market.c: the marketplace's transactions (CATEGORY_SET .. REVIEW, tx->type
 * set): `market list` and `update` (which fetches the listing and replaces what is
 * given), `order` (which fetches the listing: its network, and its price unless
 * --price names the one seen), the order steps (confirm and resolve fetch the order)
 * and `review`. */
cli_status cli_txbuild_market(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                              tx_plan *plan);
/* An order's figures before the passphrase (units, price, held, fees at most). */
void cli_market_preview(cli_context *ctx, const tally_tx *tx, const tx_plan *plan);
/* After a marketplace refusal: where to look (`tally market show`, `order-show`,
 * `categories`), on ctx->err. Prints nothing for other codes. */
void cli_say_market_refusal(cli_context *ctx, const char *code, const tally_tx *tx, const tx_plan *plan);

/* WHO to a key, asking the node for an alias's address. `network` is the network
 * the command is about (NULL for asset commands): WHO may then omit "@network",
 * and must not name another. display receives "bob@greenvale" or the address. */
cli_status cli_resolve_who(cli_context *ctx, const cli_command *command, const char *text, const cli_network *network,
                       tally_key *key, cli_network *who_network, char *display, size_t display_size);

#endif
