/*
 * cli.c: the command context: defaults from the environment, the node URL, and
 * the one error printer (see cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool cli_set_node_url(cli_context *ctx, const char *url) {
    size_t length = strlen(url);
    while (length > 0 && url[length - 1] == '/') length--;
    bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
    size_t scheme_length = strncmp(url, "https://", 8) == 0 ? 8 : 7;
    if (!scheme || length <= scheme_length || length >= sizeof ctx->node_url) return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) return false;
    memcpy(ctx->node_url, url, length);
    ctx->node_url[length] = '\0';
    return true;
}

void cli_context_init(cli_context *ctx, FILE *out, FILE *err) {
    memset(ctx, 0, sizeof *ctx);
    ctx->out = out;
    ctx->err = err;
    /* A TALLY_NODE that is not a URL leaves no node at all (rather than quietly
     * talking to another one): commands that need the node then say so. */
    const char *node = getenv("TALLY_NODE");
    if (!node || !node[0]) cli_set_node_url(ctx, CLI_DEFAULT_NODE);
    else if (!cli_set_node_url(ctx, node))
        fprintf(err, "tally: TALLY_NODE='%s' is not an http:// or https:// URL\n", node);
    const char *key = getenv("TALLY_KEY");
    if (key && keystore_name_is_valid(key)) snprintf(ctx->key_name, sizeof ctx->key_name, "%s", key);
    else if (key && key[0]) fprintf(err, "tally: ignoring TALLY_KEY='%s': not a key name\n", key);
    const char *home = getenv("TALLY_HOME");
    const char *user_home = getenv("HOME");
    int written = -1;
    if (home && home[0]) written = snprintf(ctx->keys_dir, sizeof ctx->keys_dir, "%s/keys", home);
    else if (user_home && user_home[0])
        written = snprintf(ctx->keys_dir, sizeof ctx->keys_dir, "%s/.tally/keys", user_home);
    if (written < 0 || (size_t)written >= sizeof ctx->keys_dir) ctx->keys_dir[0] = '\0';
    ctx->passphrase = getenv("TALLY_PASSPHRASE");
    ctx->in = stdin;
    const char *kdf = getenv("TALLY_KDF");
    ctx->strength = KEYSTORE_STRENGTH_INTERACTIVE;
    if (kdf && strcmp(kdf, "moderate") == 0) ctx->strength = KEYSTORE_STRENGTH_MODERATE;
    /* Only tests may seal keys weakly, and they say so in code, never through an
     * environment variable a user's shell could carry into a real wallet. */
    if (kdf && strcmp(kdf, "test") == 0)
        ctx->kdf_refusal = "TALLY_KDF=test seals keys with the weakest Argon2 parameters (a copied key file's "
                           "passphrase can be guessed quickly); it is for the test suite only: unset it";
}

cli_status cli_fail(const cli_context *ctx, cli_status status, const char *format, ...) {
    fprintf(ctx->err, "tally: ");
    va_list arguments;
    va_start(arguments, format);
    vfprintf(ctx->err, format, arguments);
    va_end(arguments);
    fprintf(ctx->err, "\n");
    return status;
}
