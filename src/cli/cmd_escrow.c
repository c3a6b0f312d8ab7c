/*
 * cmd_escrow.c: the commands that read holds (pending transfers) and payment
 * requests: a member's in a network (`tally hold list`, `tally request list`) and
 * one by its number (`tally hold show`, `tally request show`), as the node's state
 * has them. Making, posting, voiding, paying and cancelling them are transactions
 * (cmd_tx.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

/* A status name of holds (tally_pending_status_name) or of requests. */
static bool is_status(const char *text, bool holds) {
    for (uint8_t i = 0; i < (holds ? TALLY_PENDING_STATUS_COUNT : TALLY_REQUEST_STATUS_COUNT); i++)
        if (strcmp(text, holds ? tally_pending_status_name(i) : tally_request_status_name(i)) == 0) return true;
    return false;
}

/* WHO@NET, or NET alone for the selected key: the network and whose list. */
static cli_status list_subject(cli_context *ctx, const cli_args *args, cli_network *network,
                               char address[TALLY_ADDRESS_LENGTH + 1], char *display, size_t display_size) {
    const char *text = args->positional[0];
    tally_key key;
    cli_status status;
    if (strchr(text, '@')) {
        status = cli_resolve_who(ctx, args->command, text, NULL, &key, network, display, display_size);
    } else {
        status = cli_client_network(ctx, text, network);
        cli_wallet_name name;
        if (status == CLI_OK) status = cli_wallet_selected(ctx, name, &key);
        if (status == CLI_OK) snprintf(display, display_size, "%s@%s", name, network->name);
    }
    if (status == CLI_OK) tally_address_encode(&key, address);
    return status;
}

/* hold list WHO@NET, request list WHO@NET [--status S] [--limit N] [--before ID]. */
static cli_status list(cli_context *ctx, const cli_args *args, bool holds) {
    const char *status_text = cli_option_value(args, "--status");
    const char *limit_text = cli_option_value(args, "--limit"), *before_text = cli_option_value(args, "--before");
    uint64_t limit = 50, before = 0;
    if (status_text && !is_status(status_text, holds))
        return cli_usage(ctx, args->command, "--status is one of %s, not '%s'",
                         holds ? "open, posted, voided, released, refunded" : "open, paid, cancelled, expired",
                         status_text);
    if (limit_text && (!cli_number_parse(limit_text, 500, &limit) || limit == 0))
        return cli_usage(ctx, args->command, "--limit is 1 to 500, not '%s'", limit_text);
    if (before_text && (!cli_number_parse(before_text, UINT32_MAX, &before) || before == 0))
        return cli_usage(ctx, args->command, "--before takes the number printed after a page, not '%s'", before_text);
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[320];
    cli_status status = list_subject(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    int written = snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/%s?member=%s&limit=%" PRIu64, network.id,
                           holds ? "holds" : "requests", address, limit);
    if (status_text && written > 0 && (size_t)written < sizeof path)
        written += snprintf(path + written, sizeof path - (size_t)written, "&status=%s", status_text);
    if (before && written > 0 && (size_t)written < sizeof path)
        snprintf(path + written, sizeof path - (size_t)written, "&before=%" PRIu64, before);
    json_t *json = NULL;
    status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
    } else {
        /* the same command for the next page */
        char hint[1024];
        cli_hint_start(ctx, hint, sizeof hint);
        cli_hint_word(hint, sizeof hint, holds ? "hold" : "request");
        cli_hint_word(hint, sizeof hint, "list");
        cli_hint_word(hint, sizeof hint, args->positional[0]);
        if (status_text) {
            cli_hint_word(hint, sizeof hint, "--status");
            cli_hint_word(hint, sizeof hint, status_text);
        }
        if (limit_text) {
            cli_hint_word(hint, sizeof hint, "--limit");
            cli_hint_word(hint, sizeof hint, limit_text);
        }
        fprintf(ctx->out, "%s of %s%s%s\n", holds ? "holds" : "payment requests", display,
                status_text ? ", " : "", status_text ? status_text : "");
        if (holds) cli_out_holds(ctx->out, json, &network.unit, hint);
        else cli_out_requests(ctx->out, json, &network.unit, hint);
    }
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_hold_list(cli_context *ctx, const cli_args *args) { return list(ctx, args, true); }
cli_status cli_cmd_request_list(cli_context *ctx, const cli_args *args) { return list(ctx, args, false); }

/* hold show ID, request show ID: the record, with its network's name. */
static cli_status show(cli_context *ctx, const cli_args *args, bool hold) {
    uint64_t id;
    if (!cli_number_parse(args->positional[0], UINT32_MAX, &id) || id == 0)
        return cli_usage(ctx, args->command, "ID is the number `tally %s create` printed, not '%s'",
                         hold ? "hold" : "request", args->positional[0]);
    char path[64];
    snprintf(path, sizeof path, "/v1/%s/%" PRIu64, hold ? "holds" : "requests", id);
    json_t *json = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
        json_decref(json);
        return CLI_OK;
    }
    int64_t network_id = 0;
    cli_network network;
    bool named = cli_json_i64(json, "network", &network_id) && network_id > 0 && network_id <= UINT32_MAX &&
                 cli_client_network_by_id(ctx, (uint32_t)network_id, &network) == CLI_OK;
    if (hold) cli_out_hold(ctx->out, json, named ? network.name : NULL);
    else cli_out_request(ctx->out, json, named ? network.name : NULL);
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_hold_show(cli_context *ctx, const cli_args *args) { return show(ctx, args, true); }
cli_status cli_cmd_request_show(cli_context *ctx, const cli_args *args) { return show(ctx, args, false); }
