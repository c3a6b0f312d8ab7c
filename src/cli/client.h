/*
 * client.h: the CLI's side of the node's HTTP JSON API (docs/openapi.yaml): requests
 * through the context's transport (libcurl in the program, a fake node in tests),
 * answers parsed with jansson, and the lookups every command needs: a network by
 * name or id, an asset by code or id, an account, the signer's next sequence, the
 * chain id. Errors are printed here, once, with the node's URL:
 *   no answer            "cannot reach the node at URL: <why>"            CLI_IO
 *   5xx, not JSON        "the node at URL answered ... "                  CLI_IO
 *   4xx with an error    "refused: <message> (<CODE>)"                    CLI_REFUSED
 */
#ifndef TALLY_CLI_CLIENT_H
#define TALLY_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "cli/output.h"

/* Answers larger than this are refused (a block's raw bytes have their own bound). */
#define CLIENT_JSON_MAX (64u * 1024u * 1024u)

/* What a command needs to know of a network. */
typedef struct {
    uint32_t id;
    char name[TALLY_NAME_MAX + 1];
    cli_unit unit;
    bool has_policy; /* every policy field was in the answer */
    tally_policy policy;
    bool has_announced; /* a policy change is announced and not yet in force */
    tally_policy announced_policy; /* then: the whole policy asked for */
    uint32_t reserve_asset_id; /* 0: no peg */
} cli_network;

typedef struct {
    uint32_t id;
    char name[TALLY_NAME_MAX + 1];
    cli_unit unit; /* code and decimals */
    tally_key issuer;
} cli_asset;

/* An account in a network, as far as the CLI computes with it. */
typedef struct {
    tally_key key;
    char alias[TALLY_ALIAS_MAX + 1];
    int64_t balance;
    int64_t limit;
    char status[16];      /* member: active, suspended, defaulted, left */
    char line_status[16]; /* none, active, frozen, expired, closed, defaulted */
    uint32_t risk_fee_bps;
} cli_account;

/* The libcurl transport (timeouts: 5 s to connect, 30 s without progress, 120 s in
 * all). Call curl_global_init first. */
cli_transport *cli_client_curl_transport(void);
/* Releases the kept connection (before curl_global_cleanup). */
void cli_client_curl_transport_close(void);

/*
 * One request: method "GET" or "POST", path from the node's root ("/v1/status"),
 * body a JSON value or NULL. On CLI_OK *reply holds the parsed JSON (the caller
 * json_decrefs it). On CLI_REFUSED *reply holds the node's error object
 * ({"code", "message", "available"?}); the refusal is printed first only when
 * `report` is set. Other statuses print their error and leave *reply NULL.
 */
cli_status cli_client_request(cli_context *ctx, const char *method, const char *path, const json_t *body,
                          bool report, json_t **reply);
/* What cli_client_request with `report` prints for a refusal (the error object). */
void cli_client_report_refusal(cli_context *ctx, const json_t *error);
/* GET with report. */
cli_status cli_client_get(cli_context *ctx, const char *path, json_t **reply);
/* GET of raw bytes (a block), at most max_bytes; *bytes is freed by the caller. */
cli_status cli_client_get_bytes(cli_context *ctx, const char *path, size_t max_bytes, uint8_t **bytes,
                            size_t *length);

/* Lists come a page at a time (docs/openapi.yaml): each answer carries `next`, the
 * cursor of the next page, null (or absent) at the end. cli_client_pages GETs path
 * (with or without a query string), then path with cursor=<next> added, and so on,
 * calling visit with each page (it returns false to stop early), for at most
 * CLI_LIST_PAGES_MAX pages. cli_client_list calls visit_item for each element of
 * the array `field` of each page instead. */
#define CLI_LIST_PAGES_MAX 4096u
typedef bool cli_page_visit(void *context, const json_t *page);
typedef bool cli_item_visit(void *context, const json_t *item);
cli_status cli_client_pages(cli_context *ctx, const char *path, cli_page_visit *visit, void *context);
cli_status cli_client_list(cli_context *ctx, const char *path, const char *field, cli_item_visit *visit_item,
                           void *context);

/* Reading the node's objects (no I/O; false with a reason when a field is missing
 * or out of range). */
bool cli_client_network_from_json(const json_t *json, cli_network *network, char *why, size_t why_size);
bool cli_client_asset_from_json(const json_t *json, cli_asset *asset, char *why, size_t why_size);
bool cli_client_account_from_json(const json_t *json, cli_account *account, char *why, size_t why_size);
/* The next sequence number in a GET /v1/accounts/{address} answer. */
bool cli_client_sequence_from_json(const json_t *json, uint64_t *sequence);

/* NET as typed: digits are an id, anything else a name matched without regard to
 * case (refused when two networks share it). */
cli_status cli_client_network(cli_context *ctx, const char *text, cli_network *network);
/* text with every byte but [A-Za-z0-9-._~] as %XX, for a query string; false when
 * out (out_size bytes, 3 per byte of text and a NUL at most) is too small. */
bool cli_client_query_escape(const char *text, char *out, size_t out_size);
cli_status cli_client_network_by_id(cli_context *ctx, uint32_t id, cli_network *network);
/* ASSET as typed: digits are an id, anything else a code (any case). */
cli_status cli_client_asset(cli_context *ctx, const char *text, cli_asset *asset);
cli_status cli_client_asset_by_id(cli_context *ctx, uint32_t id, cli_asset *asset);
/* An account by address or alias; *json (may be NULL) receives the whole answer. */
cli_status cli_client_account(cli_context *ctx, uint32_t network_id, const char *member, cli_account *account,
                          json_t **json);
cli_status cli_client_next_sequence(cli_context *ctx, const tally_key *key, uint64_t *sequence);
cli_status cli_client_chain_id(cli_context *ctx, uint8_t chain_id[TALLY_CHAIN_ID_BYTES]);

/* A gateway as GET /v1/gateways/{id} has it, with both networks (side 0: its
 * network_a, the proposer's; side 1: network_b). */
typedef struct {
    tally_gateway gateway; /* id, networks, terms, frozen sides, status, dates */
    cli_network network[2];
    int64_t mirror_balance[2]; /* the partner's mirror account in each side */
} cli_gateway;
bool cli_client_gateway_from_json(const json_t *json, tally_gateway *gateway, int64_t mirror_balance[2]);
/* GET /v1/gateways/{id} and both networks; the node's refusal (GATEWAY_NOT_FOUND) is
 * printed and CLI_REFUSED returned. *json (may be NULL) receives the answer. */
cli_status cli_client_gateway(cli_context *ctx, uint32_t id, cli_gateway *gateway, json_t **json);

/* Hex helpers (libsodium). */
void cli_client_hex(const uint8_t *bytes, size_t length, char *out, size_t out_size);
bool cli_client_unhex(const char *hex, uint8_t *out, size_t length);

#endif
