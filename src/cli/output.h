/*
 * output.h: what the CLI prints. Amounts in human form with their unit ("12.50
 * GVH"), times in UTC, aligned tables of accounts, histories, networks and blocks
 * from the node's JSON, the `--json` printer, and refusals that name the rule and
 * the figure that refused ("you can spend at most 37.50 GVH"). Every function takes
 * the stream to write to, so tests print into memory and compare text.
 */
#ifndef TALLY_CLI_OUTPUT_H
#define TALLY_CLI_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tally.h"

/* A unit amounts are counted in: a network's (GVH, 2) or a reserve asset's (USD, 2). */
typedef struct {
    uint8_t decimals;
    char code[TALLY_CODE_MAX + 1]; /* "" prints the number alone */
} cli_unit;

/* The unit pool shares are counted in: the reserve's decimals, no code (a first
 * deposit gets one share per reserve unit). */
cli_unit cli_shares_unit(const cli_unit *reserve);

/* "-9223372036854775.808 ABCDEFGH" and its NUL fit. */
#define CLI_AMOUNT_TEXT_MAX 40u
#define CLI_TIME_TEXT_MAX 32u

/* "12.50 GVH"; returns out. */
const char *cli_out_amount(int64_t amount, const cli_unit *unit, char out[CLI_AMOUNT_TEXT_MAX]);
/* "2026-01-31 00:00 UTC"; "-" for 0 (never set). Returns out. */
const char *cli_out_time(int64_t unix_seconds, char out[CLI_TIME_TEXT_MAX]);
/* "0.25%" for 25 basis points. */
const char *cli_out_bps(int64_t bps, char out[24]);
/* "30 days", "6 h", "90 s". */
const char *cli_out_duration(int64_t seconds, char out[32]);

/* The whole value, indented, on one stream: what --json prints. */
void cli_out_json(FILE *out, const json_t *value);

/* The units a refusal's `available` may be counted in: the network's credits and
 * the reserve asset (or asset) the transaction moves. Either may be NULL. */
typedef struct {
    const cli_unit *credit;
    const cli_unit *reserve;
} cli_out_units;

/*
 * "refused: <message> (<CODE>)" and, when has_available, a second line that says
 * what was possible in human form: for INSUFFICIENT_CREDIT "you can spend at most
 * 37.50 GVH (fees included)", for CAP_REACHED what the payee can still receive, for
 * FEE_ABOVE_MAX the fee that would be charged, and so on for every code that
 * carries a figure.
 */
void cli_out_refusal(FILE *out, const char *code, const char *message, bool has_available, int64_t available,
                    const cli_out_units *units);
/* The figure line alone ("you can spend at most 37.50 GVH (fees included)"); false
 * when the code carries no figure worth a sentence. */
bool cli_out_available_sentence(const char *code, int64_t available, const cli_out_units *units, char *out,
                               size_t out_size);

/* An account (the node's Account object) in a network, as labelled lines.
 * fallback is used when the object carries no unit. */
/* reserve (may be NULL): the network's reserve asset's unit, for the member's pool
 * shares and their value (shown only with it). */
/* A member's reputation with its inputs, its line's own and underwritten parts
 * and the stakes it made (`tally member show`, after cli_out_account). */
void cli_out_member_standing(FILE *out, const json_t *account, const cli_unit *fallback, const cli_unit *reserve);
/* Stakes as the node lists them (GET /v1/networks/{id}/stakes): id, network, whose
 * line (or with by_underwriter, whose stake), staked, what it covers, earned,
 * slashed; `empty` when there is none. */
void cli_out_stakes(FILE *out, const json_t *stakes, bool by_underwriter, const char *empty);
void cli_out_account(FILE *out, const json_t *account, const char *network_name, const cli_unit *fallback,
                     const cli_unit *reserve);

/* One row of `tally balance`: a network's name and the key's account in it. */
typedef struct {
    const char *network_name;
    const json_t *account;
    cli_unit unit; /* fallback when the account carries none */
} cli_out_balance_row;
void cli_out_balances(FILE *out, const cli_out_balance_row *rows, size_t count);

/* History entries as CSV (RFC 4180: a field with a comma, quote or line break is
 * quoted, quotes doubled), one line per entry after a header: date (UTC, ISO 8601),
 * height, type, line, counterparty, counterparty_name, amount, fee, unit, reserve,
 * reserve_unit, shares, memo, tx. Amounts are decimal numbers without their code. A
 * text field that a spreadsheet would read as a formula (=, +, -, @ first) gets a
 * leading apostrophe. */
void cli_out_history_csv(FILE *out, const json_t *entries, const cli_unit *unit, const cli_unit *reserve);

/* reserve (may be NULL): the unit of the network's reserve asset, for pool entries,
 * whose AMOUNT is then the reserve moved and whose MEMO says the shares. */
void cli_out_history(FILE *out, const json_t *history, const cli_unit *unit, const cli_unit *reserve,
                     const char *next_hint);
void cli_out_network(FILE *out, const json_t *network, const cli_unit *reserve);
void cli_out_network_list(FILE *out, const json_t *list);
/* A network's last completed health period and the running one, and with `history`
 * a table of the periods (GET /v1/networks/{id}/health). */
void cli_out_network_health(FILE *out, const json_t *health, bool history);
void cli_out_members(FILE *out, const json_t *members, const cli_unit *unit);
/* The matches of GET /v1/networks/{id}/search: what matched (a payment's memo or a
 * member's alias), where, who. */
/* A network's activity (GET /v1/networks/{id}/activity); next_hint as history's. */
void cli_out_activity(FILE *out, const json_t *activity, const cli_unit *unit, const cli_unit *reserve,
                      const char *next_hint);
void cli_out_search(FILE *out, const json_t *matches);
/* Holds and payment requests: a page of GET /v1/networks/{id}/holds or /requests
 * as a table (next_hint as history's), and one as labelled lines (network_name may
 * be NULL). Amounts in the record's own unit (fallback when it carries none). */
void cli_out_holds(FILE *out, const json_t *page, const cli_unit *fallback, const char *next_hint);
void cli_out_hold(FILE *out, const json_t *hold, const char *network_name);
void cli_out_requests(FILE *out, const json_t *page, const cli_unit *fallback, const char *next_hint);
void cli_out_request(FILE *out, const json_t *request, const char *network_name);
void cli_out_status(FILE *out, const json_t *status, const char *node_url);
void cli_out_asset(FILE *out, const json_t *asset);
void cli_out_asset_list(FILE *out, const json_t *list);
void cli_out_block(FILE *out, const json_t *block);
void cli_out_tx_status(FILE *out, const json_t *status);

#endif
