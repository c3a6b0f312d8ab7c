/*
 * node_harness.h: real nodes for integration tests. A node is the sanitizer build
 * of tallyd (build/test/tallyd) started as a child process on an ephemeral loopback
 * port in a fresh temporary data directory; requests go over real HTTP (libcurl).
 * Transactions are built and signed here with the same encoder every client uses.
 */
#ifndef TALLY_TEST_NODE_HARNESS_H
#define TALLY_TEST_NODE_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "fixture.h"
#include "tally.h"

typedef struct {
    pid_t pid;
    unsigned port;
    char directory[256];
    char url[64];
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    /* Set before harness_start to append the node's stderr to this file (empty:
     * the test's stderr). */
    char stderr_path[320];
    /* The exit status when harness_start saw the node exit instead of serving. */
    int exit_status;
} test_node;

/* Makes a fresh data directory (removed by harness_remove_directory). */
bool harness_make_directory(test_node *node);
/* Starts tallyd on node->directory with extra arguments (NULL-terminated list, may
 * be NULL) and waits until it answers /v1/status (reading its chain id). false when
 * it does not; node->exit_status then holds its exit status if it exited. */
bool harness_start(test_node *node, const char *const *extra_arguments);
/* SIGTERM and wait (clean stop), or SIGKILL (a crash). Returns the exit status. */
int harness_stop(test_node *node);
void harness_kill(test_node *node);
void harness_remove_directory(test_node *node);

/* One HTTP request; body may be NULL. Returns the HTTP status (0 when the node
 * could not be reached); *response (may be NULL) receives the body as parsed JSON
 * (NULL when not JSON), the caller decrefs it. */
long harness_request(const test_node *node, const char *method, const char *path, const char *body,
                     size_t body_length, json_t **response);

/* POSTs a binary body (application/octet-stream) to path. */
long harness_request_binary(const test_node *node, const char *path, const uint8_t *body, size_t body_length,
                            json_t **response);
/* Signs tx with the actor's key and submits it with wait=commit. Returns the HTTP
 * status; *status_json (may be NULL) gets the first result object (caller decrefs). */
long harness_submit(const test_node *node, tally_tx *tx, const test_actor *signer, json_t **result);
/* A transaction of `type` from signer for node's chain, with the signer's next
 * sequence read from the node. */
tally_tx harness_tx(const test_node *node, const test_actor *signer, tally_tx_type type);
/* The text of GET path (caller frees), or NULL unless the answer is a 200. */
char *harness_get_text(const test_node *node, const char *path);
/* The value of the series `name` (with its labels, as printed) in a /metrics text,
 * or -1 when it is absent; harness_metric reads /metrics for it. */
double harness_metric_in(const char *text, const char *name);
double harness_metric(const test_node *node, const char *name);
/* Stops the node cleanly (the sanitizers report leaks at exit, which makes the exit
 * status non-zero), verifies its whole chain from the genesis and removes its
 * directory: true when both the stop and the verification were clean. */
bool harness_stop_and_verify(test_node *node);

/* A JSON integer field of obj at a dotted path ("pool.primary"); INT64_MIN when absent. */
int64_t harness_json_int(json_t *obj, const char *path);
const char *harness_json_string(json_t *obj, const char *path);

#endif
