/*
 * cmd_gateway.c: the commands that read gateways between networks: `tally gateway
 * list [NETWORK]` and `tally gateway show ID`, as the node's state has them (terms,
 * status, each side's mirror account, exposure, limit and room). Proposing,
 * accepting, changing, freezing and closing them are transactions (cmd_tx.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/output.h"
#include "cli/txbuild.h"

void cli_out_gateway(FILE *out, const cli_gateway *gateway, bool figures) {
    const tally_gateway *g = &gateway->gateway;
    char rate[160], when[CLI_TIME_TEXT_MAX];
    const char *status = tally_gateway_status_name(g->status);
    fprintf(out, "gateway %" PRIu32 ": %s (%s) <-> %s (%s), %s\n", g->id, gateway->network[0].name,
            gateway->network[0].unit.code, gateway->network[1].name, gateway->network[1].unit.code,
            status ? status : "unknown");
    fprintf(out, "  rate        %s\n", cli_gateway_rate_text(gateway, rate, sizeof rate));
    if (g->proposed_at) fprintf(out, "  proposed    %s by %s\n", cli_out_time(g->proposed_at, when), gateway->network[0].name);
    if (g->opened_at) fprintf(out, "  opened      %s\n", cli_out_time(g->opened_at, when));
    for (int side = 0; side < 2; side++) {
        const tally_gateway_side *terms = &g->terms.side[side];
        const cli_network *network = &gateway->network[side], *partner = &gateway->network[1 - side];
        char fee[24], rtd[24], defaults[24], limit[CLI_AMOUNT_TEXT_MAX];
        fprintf(out, "  %s: fee %s on what crosses in, exposure limit %s%s\n", network->name,
                cli_out_bps(terms->fee_bps, fee), cli_out_amount(terms->limit, &network->unit, limit),
                g->frozen[side] ? ", FROZEN (no new exposure)" : "");
        if (terms->min_partner_rtd_bps || terms->max_partner_default_bps)
            fprintf(out, "    rules on %s: RTD at least %s, default rate below %s\n", partner->name,
                    terms->min_partner_rtd_bps ? cli_out_bps(terms->min_partner_rtd_bps, rtd) : "(none)",
                    terms->max_partner_default_bps ? cli_out_bps(terms->max_partner_default_bps, defaults) : "(none)");
        if (!figures) continue;
        int64_t balance = gateway->mirror_balance[side], exposure = balance < 0 ? -balance : 0;
        int64_t room = terms->limit > exposure ? terms->limit - exposure : 0;
        char figure[CLI_AMOUNT_TEXT_MAX], left[CLI_AMOUNT_TEXT_MAX];
        if (balance < 0)
            fprintf(out, "    gw:%s in %s: %s: %s owes %s here (exposure), %s of room under the limit\n", partner->name,
                    network->name, cli_out_amount(balance, &network->unit, figure), partner->name,
                    cli_out_amount(exposure, &network->unit, limit), cli_out_amount(room, &network->unit, left));
        else
            fprintf(out, "    gw:%s in %s: %s%s, %s of room under the limit\n", partner->name, network->name,
                    cli_out_amount(balance, &network->unit, figure),
                    balance > 0 ? " (what this network owes the partner)" : " (no exposure)",
                    cli_out_amount(room, &network->unit, left));
    }
}

cli_status cli_cmd_gateway_show(cli_context *ctx, const cli_args *args) {
    uint64_t id;
    if (!cli_number_parse(args->positional[0], UINT32_MAX, &id) || id == 0)
        return cli_usage(ctx, args->command, "ID is a gateway's number (`tally gateway list` shows them), not '%s'",
                         args->positional[0]);
    cli_gateway gateway;
    json_t *json = NULL;
    cli_status status = cli_client_gateway(ctx, (uint32_t)id, &gateway, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) cli_out_json(ctx->out, json);
    else cli_out_gateway(ctx->out, &gateway, gateway.gateway.status == TALLY_GATEWAY_OPEN);
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_gateway_list(cli_context *ctx, const cli_args *args) {
    char path[64] = "/v1/gateways";
    cli_network network;
    bool one = args->positional_count == 1;
    if (one) {
        cli_status status = cli_client_network(ctx, args->positional[0], &network);
        if (status != CLI_OK) return status;
        snprintf(path, sizeof path, "/v1/gateways?network=%" PRIu32, network.id);
    }
    json_t *json = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
        json_decref(json);
        return CLI_OK;
    }
    json_t *list = cli_json_array(json, "gateways");
    if (json_array_size(list) == 0)
        fprintf(ctx->out, "no gateways%s%s yet: `tally gateway propose NETWORK PARTNER --rate A:B` proposes one\n",
                one ? " of " : "", one ? network.name : "");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        cli_gateway gateway;
        memset(&gateway, 0, sizeof gateway);
        if (!cli_client_gateway_from_json(item, &gateway.gateway, gateway.mirror_balance)) {
            json_decref(json);
            return cli_fail(ctx, CLI_IO, "the node's list of gateways is unusable");
        }
        for (int side = 0; side < 2; side++) {
            const json_t *part = cli_json_object(item, side == 0 ? "a" : "b");
            int64_t decimals = 0;
            const char *name = cli_json_string(part, "name"), *unit = cli_json_string(part, "unit");
            cli_json_i64(part, "decimals", &decimals);
            gateway.network[side].id = side == 0 ? gateway.gateway.network_a : gateway.gateway.network_b;
            snprintf(gateway.network[side].name, sizeof gateway.network[side].name, "%s", name ? name : "?");
            snprintf(gateway.network[side].unit.code, sizeof gateway.network[side].unit.code, "%s", unit ? unit : "");
            gateway.network[side].unit.decimals = decimals >= 0 && decimals <= TALLY_DECIMALS_MAX ? (uint8_t)decimals : 0;
        }
        if (i) fprintf(ctx->out, "\n");
        cli_out_gateway(ctx->out, &gateway, gateway.gateway.status == TALLY_GATEWAY_OPEN);
    }
    json_decref(json);
    return CLI_OK;
}

/* The networks a list of paths enters, each asked of the node once. */
typedef struct {
    cli_network networks[16];
    size_t count;
} network_cache;

static const cli_network *cached_network(cli_context *ctx, network_cache *cache, uint32_t id) {
    for (size_t i = 0; i < cache->count; i++)
        if (cache->networks[i].id == id) return &cache->networks[i];
    if (cache->count == sizeof cache->networks / sizeof cache->networks[0]) return NULL;
    if (cli_client_network_by_id(ctx, id, &cache->networks[cache->count]) != CLI_OK) return NULL;
    return &cache->networks[cache->count++];
}

/* One path in words: the payee's figure, the fee, the capacity, then each hop. */
static void print_path(cli_context *ctx, network_cache *cache, size_t rank, const json_t *path, const cli_network *from,
                       const char *payee) {
    int64_t fee = 0, received = 0, capacity = 0;
    cli_json_i64(path, "fee", &fee);
    cli_json_i64(path, "received", &received);
    cli_json_i64(path, "capacity", &capacity);
    json_t *hops = cli_json_array(path, "hops");
    size_t count = json_array_size(hops);
    int64_t last_to = 0;
    cli_json_i64(json_array_get(hops, count ? count - 1 : 0), "to", &last_to);
    const cli_network *last = last_to > 0 && last_to <= UINT32_MAX ? cached_network(ctx, cache, (uint32_t)last_to) : NULL;
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX];
    cli_unit none = {.decimals = 0};
    fprintf(ctx->out, "  %zu. gateway%s", rank, count == 1 ? "" : "s");
    size_t i;
    json_t *hop;
    json_array_foreach(hops, i, hop) {
        int64_t id = 0;
        cli_json_i64(hop, "gateway", &id);
        fprintf(ctx->out, "%s%" PRId64, i ? ", " : " ", id);
    }
    fprintf(ctx->out, ": %s receives %s, your fee %s, up to %s over this path\n", payee,
            cli_out_amount(received, last ? &last->unit : &none, a), cli_out_amount(fee, &from->unit, b),
            cli_out_amount(capacity, &from->unit, c));
    json_array_foreach(hops, i, hop) {
        int64_t id = 0, to = 0, arrived = 0, hop_fee = 0, passed = 0;
        cli_json_i64(hop, "gateway", &id);
        cli_json_i64(hop, "to", &to);
        cli_json_i64(hop, "arrived", &arrived);
        cli_json_i64(hop, "fee", &hop_fee);
        cli_json_i64(hop, "passed_on", &passed);
        const cli_network *into = to > 0 && to <= UINT32_MAX ? cached_network(ctx, cache, (uint32_t)to) : NULL;
        const cli_unit *unit = into ? &into->unit : &none;
        fprintf(ctx->out, "     gateway %" PRId64 " into %s: %s arrive, fee %s, %s %s\n", id, into ? into->name : "?",
                cli_out_amount(arrived, unit, a), cli_out_amount(hop_fee, unit, b), cli_out_amount(passed, unit, c),
                i + 1 == count ? "to the payee" : "pass on");
    }
}

/* paths FROM@NET WHO@NET AMOUNT [--path ID,ID]: what GET /v1/paths says, signing nothing. */
cli_status cli_cmd_paths(cli_context *ctx, const cli_args *args) {
    tally_key payer, payee;
    cli_network from, to;
    char payer_text[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2], payee_text[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
    cli_who parsed;
    char why[256];
    for (int k = 0; k < 2; k++) {
        if (!cli_who_parse(args->positional[k], &parsed, why, sizeof why)) return cli_usage(ctx, args->command, "%s", why);
        if (!parsed.network[0])
            return cli_usage(ctx, args->command, "name both networks: FROM@NETWORK WHO@NETWORK AMOUNT (%s has none)",
                             args->positional[k]);
    }
    cli_status status = cli_resolve_who(ctx, args->command, args->positional[0], NULL, &payer, &from, payer_text,
                                        sizeof payer_text);
    if (status == CLI_OK)
        status = cli_resolve_who(ctx, args->command, args->positional[1], NULL, &payee, &to, payee_text, sizeof payee_text);
    if (status != CLI_OK) return status;
    int64_t amount;
    if (!cli_amount_parse(args->positional[2], &from.unit, false, &amount, why, sizeof why))
        return cli_usage(ctx, args->command, "%s", why);
    const char *explicit_path = cli_option_value(args, "--path");
    char payer_address[TALLY_ADDRESS_LENGTH + 1], payee_address[TALLY_ADDRESS_LENGTH + 1], path[512], escaped[128] = "";
    tally_address_encode(&payer, payer_address);
    tally_address_encode(&payee, payee_address);
    if (explicit_path && !cli_client_query_escape(explicit_path, escaped, sizeof escaped))
        return cli_usage(ctx, args->command, "--path is gateway numbers with commas (1,2)");
    snprintf(path, sizeof path, "/v1/paths?from=%s%%40%" PRIu32 "&to=%s%%40%" PRIu32 "&amount=%" PRId64 "%s%s",
             payer_address, from.id, payee_address, to.id, amount, explicit_path ? "&path=" : "", escaped);
    json_t *json = NULL;
    status = cli_client_request(ctx, "GET", path, NULL, false, &json);
    if (status == CLI_REFUSED) {
        const char *code = cli_json_string(json, "code");
        if (ctx->json) {
            json_t *document = json_pack("{s:O}", "error", json);
            cli_out_json(ctx->out, document);
            json_decref(document);
        } else if (code && strcmp(code, "NO_PATH") == 0) {
            char text[CLI_AMOUNT_TEXT_MAX];
            cli_say_no_path(ctx, json, cli_out_amount(amount, &from.unit, text), payer_text, payee_text);
        } else {
            cli_client_report_refusal(ctx, json);
        }
        json_decref(json);
        return CLI_REFUSED;
    }
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
        json_decref(json);
        return CLI_OK;
    }
    network_cache cache = {.count = 0};
    json_t *paths = cli_json_array(json, "paths");
    int64_t candidates = 0;
    cli_json_i64(json, "candidates", &candidates);
    char text[CLI_AMOUNT_TEXT_MAX];
    fprintf(ctx->out, "paths from %s to %s for %s, best first (%" PRId64 " priced):\n", payer_text, payee_text,
            cli_out_amount(amount, &from.unit, text), candidates);
    size_t i;
    json_t *one;
    json_array_foreach(paths, i, one) print_path(ctx, &cache, i + 1, one, &from, payee_text);
    fprintf(ctx->out, "pay over the best with: tally pay %s %s %s\n", args->positional[0], args->positional[1],
            args->positional[2]);
    json_decref(json);
    return CLI_OK;
}
