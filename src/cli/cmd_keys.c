/*
 * cli_cmd_keys.c: `tally key new|list|show|import|check`. Keys are created and sealed here
 * and never leave the machine; listing and showing need no passphrase. A seed to
 * import never comes from the command line (every user sees it in ps, and the shell
 * keeps it in its history): it is read from standard input, asked for on the
 * terminal without echo, or read from a file.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/wallet.h"

/* A seed's text: 64 hex digits, with room for the whitespace around them. A source
 * holding more than this is refused rather than read in part. */
#define SEED_TEXT_MAX 256u

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

/* Reads all of `file` (at most SEED_TEXT_MAX - 1 bytes) into text, NUL-terminated.
 * false when it holds more, or on a read error. */
static bool read_all(FILE *file, char text[SEED_TEXT_MAX]) {
    size_t length = fread(text, 1, SEED_TEXT_MAX - 1, file);
    text[length] = '\0';
    if (ferror(file)) return false;
    return length < SEED_TEXT_MAX - 1 || fgetc(file) == EOF;
}

/* The seed's text from where the command says: a file, the terminal, or stdin. */
static cli_status read_seed_text(cli_context *ctx, const cli_args *args, const char *seed_file,
                                 char text[SEED_TEXT_MAX]) {
    if (seed_file) {
        FILE *file = fopen(seed_file, "r");
        if (!file) return cli_fail(ctx, CLI_IO, "cannot read %s: %s", seed_file, strerror(errno));
        struct stat info;
        if (fstat(fileno(file), &info) == 0 && (info.st_mode & 077))
            fprintf(ctx->err, "tally: warning: %s is open to other users; `chmod 600 %s` is safer\n", seed_file,
                    seed_file);
        bool read = read_all(file, text);
        fclose(file);
        if (!read) return cli_usage(ctx, args->command, "%s must hold only the seed, 64 hex digits", seed_file);
        return CLI_OK;
    }
    if (ctx->in_is_tty) {
        if (!cli_wallet_read_hidden("seed (64 hex digits, not shown): ", text, SEED_TEXT_MAX))
            return cli_fail(ctx, CLI_USAGE, "no terminal to ask the seed on: give it on standard input");
        return CLI_OK;
    }
    if (!ctx->in) return cli_usage(ctx, args->command, "no seed: give it on standard input or with --seed-file FILE");
    if (!read_all(ctx->in, text))
        return cli_usage(ctx, args->command, "standard input must hold only the seed, 64 hex digits");
    return CLI_OK;
}

/* 64 hex digits, with any whitespace (a newline) before and after them. */
static bool parse_seed(char *text, uint8_t seed[32]) {
    char *start = text;
    while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n') start++;
    size_t length = strlen(start);
    while (length > 0 && (start[length - 1] == ' ' || start[length - 1] == '\t' || start[length - 1] == '\r' ||
                          start[length - 1] == '\n'))
        start[--length] = '\0';
    return cli_client_unhex(start, seed, 32);
}

cli_status cli_cmd_key_import(cli_context *ctx, const cli_args *args) {
    const char *name = args->positional[0];
    const char *seed_option = cli_option_value(args, "--seed");
    const char *seed_file = cli_option_value(args, "--seed-file");
    if (!keystore_name_is_valid(name))
        return cli_usage(ctx, args->command, "'%s' is not a key name (1 to 64 of A-Z a-z 0-9 . _ -)", name);
    if (seed_option && strcmp(seed_option, "-") != 0)
        return cli_usage(ctx, args->command,
                         "refusing a seed on the command line: other users can read it (ps) and your shell keeps "
                         "it in its history. Give it on standard input (`tally key import %s < seed.txt`, or "
                         "--seed - to type it unseen) or in a file (--seed-file FILE). Nothing was stored; if this "
                         "seed guards funds, treat it as exposed",
                         name);
    if (seed_option && seed_file) return cli_usage(ctx, args->command, "give --seed - or --seed-file FILE, not both");
    if (seed_file && !seed_file[0]) return cli_usage(ctx, args->command, "--seed-file needs a file");
    char text[SEED_TEXT_MAX];
    cli_status status = read_seed_text(ctx, args, seed_file, text);
    uint8_t seed[32];
    bool parsed = status == CLI_OK && parse_seed(text, seed);
    sodium_memzero(text, sizeof text);
    if (status != CLI_OK) return status;
    if (!parsed) return cli_usage(ctx, args->command, "the seed must be 64 hex digits (32 bytes)");
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

/* The key the command names (its one argument), else the selected key. */
static cli_status named_or_selected(cli_context *ctx, const cli_args *args, cli_wallet_name name, tally_key *key) {
    if (args->positional_count != 1) return cli_wallet_selected(ctx, name, key);
    snprintf(name, sizeof(cli_wallet_name), "%s", args->positional[0]);
    return cli_wallet_public_key(ctx, name, key);
}

cli_status cli_cmd_key_show(cli_context *ctx, const cli_args *args) {
    cli_wallet_name name;
    tally_key key;
    cli_status status = named_or_selected(ctx, args, name, &key);
    if (status != CLI_OK) return status;
    print_key(ctx, name, &key);
    return CLI_OK;
}

/* Opens the key with its passphrase and says so: a member checks that a passphrase
 * is the right one before relying on it, or that a key moved from the web wallet (the
 * same sealed format) opens here. The secret is wiped at once; nothing is sent. */
cli_status cli_cmd_key_check(cli_context *ctx, const cli_args *args) {
    cli_wallet_name name;
    tally_key key;
    cli_status status = named_or_selected(ctx, args, name, &key);
    if (status != CLI_OK) return status;
    keystore_keypair pair;
    status = cli_wallet_unlock(ctx, name, &pair);
    if (status != CLI_OK) return status;
    bool same = memcmp(pair.public_key.bytes, key.bytes, TALLY_KEY_BYTES) == 0;
    keystore_wipe(&pair);
    if (!same) return cli_fail(ctx, CLI_IO, "key '%s' opened, but its secret is not the key of its address", name);
    if (!ctx->json) fprintf(ctx->err, "the passphrase opens key '%s'; its address:\n", name);
    print_key(ctx, name, &key);
    return CLI_OK;
}
