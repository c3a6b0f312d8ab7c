/*
 * cli_cmd_keys.c: `tally key new|list|show|import`. Keys are created and sealed here
 * and never leave the machine; listing and showing need no passphrase.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/wallet.h"

static void print_key(cli_context *ctx, const char *name, const tally_key *key) {
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(key, address);
    if (ctx->json) {
        json_t *json = json_pack("{s:s, s:s}", "name", name, "address", address);
        cli_out_json(ctx->out, json);
        json_decref(json);
    } else {
        fprintf(ctx->out, "%s\n", address);
    }
}

static cli_status store_and_print(cli_context *ctx, const char *name, keystore_keypair *pair) {
    cli_status status = cli_wallet_store(ctx, name, pair);
    tally_key public_key = pair->public_key;
    keystore_wipe(pair);
    if (status != CLI_OK) return status;
    if (!ctx->json) fprintf(ctx->err, "stored key '%s' in %s; its address:\n", name, ctx->keys_dir);
    print_key(ctx, name, &public_key);
    return CLI_OK;
}

cli_status cli_cmd_key_new(cli_context *ctx, const cli_args *args) {
    const char *name = args->positional[0];
    if (!keystore_name_is_valid(name))
        return cli_usage(ctx, args->command, "'%s' is not a key name (1 to 64 of A-Z a-z 0-9 . _ -)", name);
    keystore_keypair pair;
    tally_keypair(&pair.public_key, pair.secret_key, NULL);
    return store_and_print(ctx, name, &pair);
}

cli_status cli_cmd_key_import(cli_context *ctx, const cli_args *args) {
    const char *name = args->positional[0];
    const char *seed_hex = cli_option_value(args, "--seed");
    if (!keystore_name_is_valid(name))
        return cli_usage(ctx, args->command, "'%s' is not a key name (1 to 64 of A-Z a-z 0-9 . _ -)", name);
    if (!seed_hex) return cli_usage(ctx, args->command, "--seed HEX is required");
    uint8_t seed[32];
    if (!cli_client_unhex(seed_hex, seed, sizeof seed))
        return cli_usage(ctx, args->command, "--seed must be 64 hex digits (32 bytes)");
    keystore_keypair pair;
    tally_keypair(&pair.public_key, pair.secret_key, seed);
    sodium_memzero(seed, sizeof seed);
    return store_and_print(ctx, name, &pair);
}

cli_status cli_cmd_key_list(cli_context *ctx, const cli_args *args) {
    (void)args;
    cli_wallet_name *names = calloc(WALLET_KEYS_MAX, sizeof *names);
    if (!names) return cli_fail(ctx, CLI_IO, "out of memory");
    size_t count;
    cli_status status = cli_wallet_list(ctx, names, &count);
    json_t *list = json_array();
    for (size_t i = 0; status == CLI_OK && i < count; i++) {
        tally_key key;
        char address[TALLY_ADDRESS_LENGTH + 1] = "(unreadable key file)";
        if (cli_wallet_public_key(ctx, names[i], &key) == CLI_OK) tally_address_encode(&key, address);
        if (ctx->json) json_array_append_new(list, json_pack("{s:s, s:s}", "name", names[i], "address", address));
        else fprintf(ctx->out, "%-20s %s\n", names[i], address);
    }
    if (status == CLI_OK && ctx->json) {
        json_t *document = json_pack("{s:s, s:O}", "keystore", ctx->keys_dir, "keys", list);
        cli_out_json(ctx->out, document);
        json_decref(document);
    } else if (status == CLI_OK && count == 0) {
        fprintf(ctx->err, "no keys in %s: create one with `tally key new NAME`\n", ctx->keys_dir);
    }
    json_decref(list);
    free(names);
    return status;
}

cli_status cli_cmd_key_show(cli_context *ctx, const cli_args *args) {
    cli_wallet_name name;
    tally_key key;
    cli_status status;
    if (args->positional_count == 1) {
        snprintf(name, sizeof name, "%s", args->positional[0]);
        status = cli_wallet_public_key(ctx, name, &key);
    } else {
        status = cli_wallet_selected(ctx, name, &key);
    }
    if (status != CLI_OK) return status;
    print_key(ctx, name, &key);
    return CLI_OK;
}
