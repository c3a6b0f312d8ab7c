/*
 * cli_session.h: the CLI's commands run in the test process against a real tallyd
 * (node_harness.h), with the real libcurl transport, as `tally` would: a session
 * keeps the keystore directory and the last command's output and errors. Shared by
 * the tests that drive a node through the CLI (test_cli_node.c, test_cli_gateway.c).
 */
#ifndef TALLY_TEST_CLI_SESSION_H
#define TALLY_TEST_CLI_SESSION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli/cli.h"
#include "node_harness.h"

/* The passphrase of every key a session makes or imports. */
#define CLI_SESSION_PASSPHRASE "correct horse battery"

typedef struct {
    const test_node *node;
    char keys_dir[300];
    char *out, *err; /* the last command's, NUL-terminated (freed by the next command) */
    size_t out_size, err_size;
} session;

/* Runs `tally first ...` (NULL-terminated) against the session's node. */
cli_status session_run(session *s, const char *first, va_list arguments);
cli_status session_tally(session *s, const char *first, ...);
/* Runs the command again (up to 5 s) until it succeeds with `part` in its output:
 * what it reads comes from the node's index, which follows the chain within moments. */
bool session_tally_until(session *s, const char *part, const char *first, ...);
/* Imports each name's key from a seed file of one repeated hex digit (from
 * first_digit on), written in the node's directory. */
void session_import_keys(session *s, const char *const *names, int count, char first_digit);
/* Frees what the last command printed. */
void session_free(session *s);

/* Runs scripts/check-schemas.py against the node with `mode` (--gateways,
 * --underwriting, --governance: what the test made) and returns its exit status;
 * what failed (or with TALLY_TEST_VERBOSE everything) is printed on stderr. */
int session_check_schemas(const test_node *node, const char *mode);

/* Whether text holds part (NULL holds nothing). */
bool contains(const char *text, const char *part);
/* The error code of a refused GET of the node's API (NULL when there is none), with
 * its status and answer (json_decref it). */
const char *api_refusal(const test_node *node, const char *path, long *status, json_t **answer);
#define CHECK_REFUSED(node, path, want_status, want_code)                                                      \
    do {                                                                                                    \
        long got_status;                                                                                    \
        json_t *got_answer;                                                                                 \
        const char *got_code = api_refusal((node), (path), &got_status, &got_answer);                       \
        CHECK_EQ(got_status, (long)(want_status));                                                          \
        CHECK(got_code && strcmp(got_code, (want_code)) == 0);                                              \
        if (!got_code || strcmp(got_code, (want_code)) != 0) fprintf(stderr, "    %s: %s\n", (path), got_code); \
        json_decref(got_answer);                                                                            \
    } while (0)

#define TALLY(s, ...) session_tally((s), __VA_ARGS__, (const char *)NULL)
#define TALLY_UNTIL(s, part, ...) session_tally_until((s), (part), __VA_ARGS__, (const char *)NULL)

#endif
