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
