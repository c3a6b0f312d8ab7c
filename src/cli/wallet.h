/*
 * wallet.h: the keys of the person at the terminal. Where the keystore lives
 * ($TALLY_HOME/keys or ~/.tally/keys, created 0700), which key signs (--key,
 * $TALLY_KEY, else the only key there), and the passphrase that opens it
 * ($TALLY_PASSPHRASE for scripts, else asked on the terminal without echo, twice
 * when a key is created). Secrets are wiped as soon as the signature is made.
 */
#ifndef TALLY_CLI_WALLET_H
#define TALLY_CLI_WALLET_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "keys/keystore.h"

/* Keys a keystore may list; more are ignored (and said so). */
#define WALLET_KEYS_MAX 1024u

typedef char cli_wallet_name[KEYSTORE_NAME_MAX + 1];

/* Creates the keystore directory (and its parent) with mode 0700 when missing. */
cli_status cli_wallet_prepare(cli_context *ctx);
/* The file of key `name`. */
cli_status cli_wallet_key_path(const cli_context *ctx, const char *name, char *out, size_t out_size);
/* Names of the keys in the keystore, sorted; *count may be 0. names holds
 * WALLET_KEYS_MAX entries. */
cli_status cli_wallet_list(cli_context *ctx, cli_wallet_name *names, size_t *count);
/* The key that signs: ctx->key_name, else the only key; its public half. */
cli_status cli_wallet_selected(cli_context *ctx, cli_wallet_name name, tally_key *public_key);
/* The public key of a named key (no passphrase needed). */
cli_status cli_wallet_public_key(cli_context *ctx, const char *name, tally_key *public_key);
/* Opens a key with the passphrase. */
cli_status cli_wallet_unlock(cli_context *ctx, const char *name, keystore_keypair *pair);
/* Seals and stores a new key, asking the passphrase twice when there is no
 * $TALLY_PASSPHRASE. */
cli_status cli_wallet_store(cli_context *ctx, const char *name, const keystore_keypair *pair);

/* The passphrase from the context or the terminal; asked twice when confirm. */
cli_status cli_wallet_passphrase(cli_context *ctx, bool confirm, char *out, size_t out_size);

/* One line from the terminal (/dev/tty) with echo off, after `prompt`; false when
 * there is no terminal. The caller wipes out. */
bool cli_wallet_read_hidden(const char *prompt, char *out, size_t out_size);

#endif
