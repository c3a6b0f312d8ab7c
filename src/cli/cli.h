/*
 * cli.h: what every part of the `tally` command-line wallet shares: the exit
 * statuses, the context a command runs in (where output goes, which node and key,
 * how HTTP is done) and the few helpers that print errors. The context is filled
 * from the environment by cli_context_init and then from the global options; tests
 * fill it by hand, with a fake node behind `transport` and streams in memory.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keys/keystore.h"
#include "tally.h"

/* Exit statuses, part of the CLI's contract with scripts. */
typedef enum {
    CLI_OK = 0,      /* done */
    CLI_REFUSED = 1, /* the ledger (or the node on its behalf) refused, or verify failed */
    CLI_USAGE = 2,   /* the command line is wrong: nothing was sent */
    CLI_IO = 3       /* the node cannot be reached or answered nonsense; a file failed */
} cli_status;

#define CLI_DEFAULT_NODE "http://127.0.0.1:8080"
#define CLI_URL_MAX 512u
#define CLI_PATH_MAX 4096u
#define CLI_PASSPHRASE_MAX 1024u

/* One HTTP answer. body is NUL-terminated (one byte past length) and freed by the
 * caller with free(). */
typedef struct {
    long status; /* HTTP status */
    char *body;
    size_t length;
} cli_http_response;

/*
 * How the CLI talks HTTP: the real one is libcurl (client.c), tests plug in a fake
 * node. `request` performs one request to `url` and returns true with a response
 * whatever its status, or false with a sentence in `error` when no answer came
 * (refused connection, timeout, a body longer than max_response bytes).
 * body is NULL for GET.
 */
typedef struct cli_transport cli_transport;
struct cli_transport {
    bool (*request)(cli_transport *self, const char *method, const char *url, const char *body,
                    size_t body_length, size_t max_response, cli_http_response *response, char *error,
                    size_t error_size);
};

typedef struct {
    FILE *out; /* results */
    FILE *err; /* errors, prompts' companions, progress */
    bool err_is_tty;
    FILE *in;       /* standard input, where secrets are read from (never argv); may be NULL */
    bool in_is_tty; /* then a secret is asked for on the terminal without echo */
    char node_url[CLI_URL_MAX]; /* without a trailing '/' */
    bool node_given;            /* --node was on the command line */
    char key_name[KEYSTORE_NAME_MAX + 1]; /* "" = the only key in the keystore */
    char keys_dir[CLI_PATH_MAX];          /* "" = none could be derived (no HOME) */
    bool json;
    /* TALLY_PASSPHRASE, or NULL to prompt on the terminal. */
    const char *passphrase;
    keystore_strength strength; /* for new keys */
    /* Why the environment's TALLY_KDF is refused for new keys, or NULL. */
    const char *kdf_refusal;
    cli_transport *transport;
} cli_context;

/*
 * Fills ctx from the environment: TALLY_NODE (default CLI_DEFAULT_NODE; one that is
 * not a URL is reported and leaves node_url empty), TALLY_KEY,
 * TALLY_HOME (keys in $TALLY_HOME/keys, else ~/.tally/keys), TALLY_PASSPHRASE,
 * TALLY_KDF (interactive or moderate; `test`, the weakest Argon2 parameters, is
 * refused: creating a key then fails with kdf_refusal, since such a key file's
 * passphrase can be guessed at millions a second; tests that want fast keys set
 * ctx->strength in code). in is stdin, in_is_tty false (main sets it). The
 * transport is left NULL.
 */
void cli_context_init(cli_context *ctx, FILE *out, FILE *err);

/* Sets the node URL (trailing slashes dropped). false when it is empty, too long or
 * not http:// or https://. */
bool cli_set_node_url(cli_context *ctx, const char *url);

/* "tally: <message>" on err; returns the status given, so `return cli_fail(...)`. */
cli_status cli_fail(const cli_context *ctx, cli_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
