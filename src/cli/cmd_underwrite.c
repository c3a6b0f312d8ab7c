/*
 * cmd_underwrite.c: the reads of underwriting (docs/UNDERWRITING.md): a member's
 * standing (its account, reputation and inputs, its line's own and underwritten
 * parts, the stakes behind it and those it made, a membership fee owed) and the
 * stakes a key made or that back a line. Staking and unstaking themselves are
 * transactions (txbuild.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/output.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

/* Networks `tally underwrite list` looks through without NET. */
#define UNDERWRITE_NETWORKS_MAX 256u

static bool append_copy(void *context, const json_t *item) {
    return json_array_append_new(context, json_deep_copy(item)) == 0;
}

/* Every stake of network_id behind address's line (filter "member") or made by it
 * ("underwriter"), appended to list. */
static cli_status stakes_of(cli_context *ctx, uint32_t network_id, const char *filter, const char *address,
                            json_t *list) {
    char path[192];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/stakes?%s=%s&limit=500", network_id, filter, address);
    return cli_client_list(ctx, path, "stakes", append_copy, list);
}

/* The network's reserve asset's unit, when it has one the node names. */
static bool reserve_unit(cli_context *ctx, const cli_network *network, cli_unit *unit) {
    cli_asset asset;
    if (network->reserve_asset_id == 0 || cli_client_asset_by_id(ctx, network->reserve_asset_id, &asset) != CLI_OK)
        return false;
    *unit = asset.unit;
    return true;
}

cli_status cli_cmd_member_show(cli_context *ctx, const cli_args *args) {
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[192];
    cli_status status = cli_network_and_member(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network.id, address);
    json_t *account = NULL;
    status = cli_client_get(ctx, path, &account);
    if (status != CLI_OK) {
        json_decref(account);
        return status;
    }
    cli_account_add_spending(account, &network);
    const json_t *underwriting = cli_json_object(account, "underwriting");
    int64_t first_stake = 0, made = 0;
    cli_json_i64(underwriting, "first_stake", &first_stake);
    cli_json_i64(underwriting, "stakes_made", &made);
    json_t *behind = json_array(), *made_list = json_array();
    if (first_stake > 0) status = stakes_of(ctx, network.id, "member", address, behind);
    if (status == CLI_OK && made > 0) status = stakes_of(ctx, network.id, "underwriter", address, made_list);
    json_object_set_new(account, "stakes", json_pack("{s:o, s:o}", "behind", behind, "made", made_list));
    if (status == CLI_OK && ctx->json) {
        cli_out_json(ctx->out, account);
    } else if (status == CLI_OK) {
        cli_unit reserve;
        bool has_reserve = reserve_unit(ctx, &network, &reserve);
        cli_out_account(ctx->out, account, network.name, &network.unit, has_reserve ? &reserve : NULL);
        cli_out_member_standing(ctx->out, account, &network.unit, has_reserve ? &reserve : NULL);
        if (json_array_size(behind) > 0) {
            fprintf(ctx->out, "\nstakes behind the line:\n");
            cli_out_stakes(ctx->out, behind, true, "");
        }
        if (json_array_size(made_list) > 0) {
            fprintf(ctx->out, "\nstakes it made:\n");
            cli_out_stakes(ctx->out, made_list, false, "");
        }
    }
    json_decref(account);
    return status;
}

cli_status cli_cmd_underwrite_list(cli_context *ctx, const cli_args *args) {
    const char *member = cli_option_value(args, "--member");
    if (member && args->positional_count == 0)
        return cli_usage(ctx, args->command, "--member needs the network: tally underwrite list NET --member %s",
                         member);
    json_t *list = json_array();
    cli_status status = CLI_OK;
    bool by_underwriter = member != NULL;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160];
    if (args->positional_count == 1) {
        cli_network network;
        status = cli_client_network(ctx, args->positional[0], &network);
        tally_key key;
        if (status == CLI_OK && member)
            status = cli_resolve_who(ctx, args->command, member, &network, &key, NULL, display, sizeof display);
        if (status == CLI_OK && member) tally_address_encode(&key, address);
        else if (status == CLI_OK) status = cli_member_address(ctx, args, 1, &network, address, display, sizeof display);
        if (status == CLI_OK) status = stakes_of(ctx, network.id, member ? "member" : "underwriter", address, list);
    } else {
        cli_wallet_name name;
        tally_key key;
        status = cli_wallet_selected(ctx, name, &key);
        uint32_t ids[UNDERWRITE_NETWORKS_MAX];
        size_t count = 0;
        if (status == CLI_OK) {
            tally_address_encode(&key, address);
            status = cli_key_memberships(ctx, address, ids, UNDERWRITE_NETWORKS_MAX, &count);
        }
        for (size_t i = 0; status == CLI_OK && i < count; i++)
            status = stakes_of(ctx, ids[i], "underwriter", address, list);
    }
    if (status == CLI_OK && ctx->json) {
        json_t *document = json_pack("{s:O}", "stakes", list);
        cli_out_json(ctx->out, document);
        json_decref(document);
    } else if (status == CLI_OK) {
        cli_out_stakes(ctx->out, list, by_underwriter,
                       by_underwriter ? "no stakes behind this line" : "no stakes: `tally underwrite stake NET MEMBER "
                                                                       "AMOUNT` makes one");
    }
    json_decref(list);
    return status;
}
