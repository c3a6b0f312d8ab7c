/*
 * validator_cluster.h: a chain of several validators for tests, on loopback: E real
 * etcd members (etcd_cluster.h) and V validators, each the sanitizer build of tallyd
 * (build/test/tallyd --validator) in its own temporary directory, serving on a port
 * it picks (its port file says which), validator i talking to etcd member i first
 * (the member beside it) and to the others when that one is down. Validator 0 makes
 * the genesis, naming every validator's address (some may be started only later:
 * a validator of the genesis set that joins from it). Each validator's stderr is
 * appended to stderr.log in its directory; cluster_print_logs prints their tails.
 *
 * Everything started is stopped by its process id in cluster_stop, which also
 * removes every directory; it is safe to call on a cluster whose start failed, and
 * the validators and etcd members die with the test runner if it crashes
 * (PR_SET_PDEATHSIG). Start and restart processes from the runner's main thread.
 */
#ifndef TALLY_TEST_VALIDATOR_CLUSTER_H
#define TALLY_TEST_VALIDATOR_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd_cluster.h"
#include "node_harness.h"

#define CLUSTER_VALIDATORS_MAX 4u
#define CLUSTER_LEASE_SECONDS 2u
#define CLUSTER_PREFIX "/tally/"

typedef struct {
    etcd_cluster etcd;
    uint32_t etcd_count;
    uint32_t validator_count; /* directories and keys made */
    uint32_t genesis_count;   /* of them, the first this many are the genesis's set */
    test_node nodes[CLUSTER_VALIDATORS_MAX];
    bool made[CLUSTER_VALIDATORS_MAX];    /* its directory exists */
    bool started[CLUSTER_VALIDATORS_MAX]; /* started once at least (its data holds the chain) */
    bool etcd_down[ETCD_CLUSTER_MEMBERS_MAX];
    char addresses[CLUSTER_VALIDATORS_MAX][TALLY_ADDRESS_LENGTH + 1];
    char etcd_urls[CLUSTER_VALIDATORS_MAX][ETCD_CLUSTER_MEMBERS_MAX * 64]; /* its own member first */
    int exit_status[CLUSTER_VALIDATORS_MAX]; /* of its last exit seen (-1: none) */
    uint64_t started_ms; /* cluster_start's call, for the wall time cluster_stop prints */
    /* --etcd-keep of the validators launched after it is set (NULL: tallyd's own):
     * set it after a cluster_start that started none. */
    const char *etcd_keep;
    const etcd_certificates *tls; /* cluster_start_tls: https to etcd, with these files */
    const char *extra_argument;   /* one more argument of the validators launched after it is set */
} validator_cluster;

/* Starts etcd_members etcd members, makes validator_count data directories and
 * keys, and starts validators 0..started-1 (0 makes the genesis of all
 * validator_count). false with a sentence on stderr; call cluster_stop anyway. */
bool cluster_start(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count, uint32_t started);
/* As cluster_start, with a genesis that names only the first genesis_count: the
 * others' keys are outside the set until the validators add them. */
bool cluster_start_named(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count,
                         uint32_t genesis_count, uint32_t started);
/* Validator i's key (read from its data directory's producer.seed). */
bool cluster_validator_actor(const validator_cluster *c, uint32_t i, test_actor *out);
/* As cluster_start, with etcd members that serve https and require client
 * certificates (etcd_cluster_start_tls), and validators that present them
 * (--etcd-cacert, --etcd-cert, --etcd-key). */
bool cluster_start_tls(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count, uint32_t started,
                       const etcd_certificates *tls);
/* Starts validator i (again) on its data directory and waits until it serves
 * /v1/status (up to 60 s). */
bool cluster_start_validator(validator_cluster *c, uint32_t i);
/* The two halves of it: fork and exec, then the wait. */
bool cluster_launch_validator(validator_cluster *c, uint32_t i);
bool cluster_await_validator(validator_cluster *c, uint32_t i);
/* kill -9 of validator i, waiting for it to be gone. */
void cluster_kill_validator(validator_cluster *c, uint32_t i);
bool cluster_running(const validator_cluster *c, uint32_t i);
/* kill -9 of etcd member j, and starting it again (waits for /health). */
void cluster_kill_etcd(validator_cluster *c, uint32_t j);
/* etcd loses everything: its members are stopped and their data removed, and a new
 * cluster of as many members starts on other ports; the validators launched after
 * it are given the new URLs. */
bool cluster_replace_etcd(validator_cluster *c);
bool cluster_restart_etcd(validator_cluster *c, uint32_t j);
/* Waits up to timeout_ms for validator i to exit by itself; its exit status, or -1
 * when it is still running then. */
int cluster_wait_exit(validator_cluster *c, uint32_t i, long timeout_ms);

/* The proposer's index as the running validators' /v1/status say it, once two of
 * them (or the only one) agree on one, polling up to timeout_ms; -1 when they do
 * not. */
int cluster_proposer(const validator_cluster *c, long timeout_ms);
/* The first running validator (-1: none). */
int cluster_any_running(const validator_cluster *c);
/* GET /v1/status of validator i: its height (and tip hash, 65 bytes, may be NULL);
 * false when it did not answer. */
bool cluster_tip(const validator_cluster *c, uint32_t i, uint64_t *height, char *tip_hash);
/* Waits up to timeout_ms until every running validator is at the same height with
 * the same tip hash, at least min_height; that height in *height. */
bool cluster_wait_same_tip(const validator_cluster *c, uint64_t min_height, long timeout_ms, uint64_t *height);
/* Compares the block hash and the state hash of every height 0..h among the running
 * validators (h: the lowest of their tips), reading their headers (GET /v1/blocks
 * pages). false (saying where, on stderr) at the first difference or when one does
 * not answer; *compared (may be NULL) gets h. */
bool cluster_compare(const validator_cluster *c, uint64_t *compared);

/* Stops every running validator cleanly (SIGTERM) and verifies each one's data
 * directory from its genesis (tally_chain_verify: every hash, signature, result and
 * state hash): true when each holds exactly blocks 0..tip, with one tip hash. */
bool cluster_stop_and_verify(validator_cluster *c, uint64_t tip);

/* The tails of every validator's stderr (and etcd's logs when etcd too), on stderr. */
void cluster_print_logs(const validator_cluster *c);
/* Kills every validator and etcd member still running and removes every directory;
 * prints the logs first when the current test failed, and the wall time since
 * cluster_start ("    validators: wall time ..."). Safe to call twice. */
void cluster_stop(validator_cluster *c);

/* The bytes of GET path (a 200 only; caller frees), e.g. /v1/blocks/H/raw. */
uint8_t *cluster_get_bytes(const test_node *node, const char *path, size_t *length);
/* A whole file (one zero byte past its end; caller frees); length may be NULL. */
uint8_t *cluster_read_file(const char *path, size_t *length);

/* A monotonic clock for figures. */
uint64_t cluster_now_ms(void);
void cluster_sleep_ms(long ms);

#endif
