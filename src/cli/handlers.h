/*
 * handlers.h: the functions that run each command once the command line parsed.
 * Key commands are in cli_cmd_keys.c, read commands in cli_cmd_read.c, every transaction
 * command goes through cli_cmd_transaction (cli_cmd_tx.c), verify is in verify.c.
 */
#ifndef TALLY_CLI_HANDLERS_H
#define TALLY_CLI_HANDLERS_H

#include <stdio.h>

#include "cli/client.h"
#include "cli/commands.h"

cli_handler cli_cmd_key_new;
cli_handler cli_cmd_key_list;
cli_handler cli_cmd_key_show;
cli_handler cli_cmd_key_check;
cli_handler cli_cmd_key_import;

/* Builds the transaction of the parsed command (by group and name), signs it with
 * the selected key and submits it, waiting for its block. */
cli_handler cli_cmd_transaction;

cli_handler cli_cmd_status;
cli_handler cli_cmd_balance;
cli_handler cli_cmd_account;
cli_handler cli_cmd_history;
cli_handler cli_cmd_network_show;
cli_handler cli_cmd_network_health;
cli_handler cli_cmd_network_list;
cli_handler cli_cmd_network_members;
cli_handler cli_cmd_search;
cli_handler cli_cmd_activity;
cli_handler cli_cmd_dev_advance;
cli_handler cli_cmd_pool_show;
cli_handler cli_cmd_asset_show;
cli_handler cli_cmd_asset_list;
cli_handler cli_cmd_block;
cli_handler cli_cmd_tx_show;
/* cmd_escrow.c: holds and payment requests, listed and shown. */
cli_handler cli_cmd_hold_list;
cli_handler cli_cmd_hold_show;
cli_handler cli_cmd_request_list;
cli_handler cli_cmd_request_show;
cli_handler cli_cmd_gateway_list;
cli_handler cli_cmd_gateway_show;
cli_handler cli_cmd_paths;
/* cmd_read.c: WHO (positional[index]) of a read command in network, or the selected
 * key when absent, as an address; display names it. And the networks a key is a
 * member of (the first max). */
cli_status cli_member_address(cli_context *ctx, const cli_args *args, unsigned index, const cli_network *network,
                              char address[TALLY_ADDRESS_LENGTH + 1], char *display, size_t display_size);
/* NET (positional[0]) and WHO (positional[1], default: the selected key) of a read
 * command: the network, the member's address, and display naming it. */
cli_status cli_network_and_member(cli_context *ctx, const cli_args *args, cli_network *network,
                                  char address[TALLY_ADDRESS_LENGTH + 1], char *display, size_t display_size);
cli_status cli_key_memberships(cli_context *ctx, const char *address, uint32_t *ids, size_t max, size_t *count);
/* cmd_underwrite.c: a member's standing (reputation, line parts, stakes) and stakes listed. */
cli_handler cli_cmd_member_show;
cli_handler cli_cmd_underwrite_list;
/* A gateway in words: networks, rate, status, each side's terms and, with figures,
 * its mirror account, exposure and room (cmd_gateway.c; also the accept preview). */
void cli_out_gateway(FILE *out, const cli_gateway *gateway, bool figures);

/* cmd_governance.c: proposals of a network its members govern, listed and shown. */
cli_handler cli_cmd_proposal_list;
cli_handler cli_cmd_proposal_show;

/* cmd_market.c: listings searched and shown, categories, a member's orders, one
 * order with its steps, the reviews a member received. */
cli_handler cli_cmd_market_search;
cli_handler cli_cmd_market_show;
cli_handler cli_cmd_market_categories;
cli_handler cli_cmd_market_orders;
cli_handler cli_cmd_market_order_show;
cli_handler cli_cmd_market_reviews;

cli_handler cli_cmd_verify;
/* cmd_proof.c: a record's inclusion proof, fetched and checked. */
cli_handler cli_cmd_prove;
cli_handler cli_cmd_check_proof;

#endif
