/*
 * bench_tallyd.h: what the benchmarks that drive a real node share (bench_node.c,
 * bench_batch.c, bench_floods.c, bench_scale.c; bench_verify.c for the members and
 * the signing): starting a release tallyd on loopback in a temporary directory and
 * stopping it, HTTP requests to it with libcurl, its /metrics counters, the bench
 * members and their transactions, signing on every core, binary bodies, the client
 * threads that post pre-made bodies with wait=commit, percentiles, and the RSS and
 * CPU time of a process from /proc. Each function is defined in bench_tallyd.c.
 */
#ifndef TALLY_BENCH_TALLYD_H
#define TALLY_BENCH_TALLYD_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"
#include "tally.h"

/* The node the benchmarks start unless TALLY_BENCH_TALLYD names another. */
#define BENCH_TALLYD_DEFAULT "build/release/tallyd"
/* The Content-Type of binary bodies ((u16 length | signed encoding) per transaction). */
#define BENCH_BINARY "application/octet-stream"

/* ---- the node ---- */

/* A node started by bench_tallyd_start: read by client threads, written only by
 * start and stop. */
typedef struct {
    pid_t pid; /* 0 when not running */
    unsigned port;
    char url[64]; /* "http://127.0.0.1:PORT" */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
} bench_tallyd;

/* TALLY_BENCH_TALLYD when set and not empty, else BENCH_TALLYD_DEFAULT. */
const char *bench_tallyd_program(void);
/* Whether tallyd can be run; when not, prints "<who>: <tallyd> is not built; skipped". */
bool bench_tallyd_built(const char *tallyd, const char *who);
/* Starts tallyd with its data in directory/data on 127.0.0.1 at a port it picks
 * (written to directory/port), --quiet, then the NULL-terminated options (NULL for
 * none); under the command words of wrap (split at spaces; NULL or "" for none).
 * Waits up to 60 s for the port (a node under valgrind takes its time) and reads
 * the chain id from /v1/status. False (the node killed) when either fails or the
 * node exits first. */
bool bench_tallyd_start(bench_tallyd *node, const char *tallyd, const char *directory, const char *wrap,
                        const char *const *options);
/* SIGTERM to a started node and waits for it; nothing when it is not running. */
void bench_tallyd_stop(bench_tallyd *node);
/* rm -rf directory; on failure says "<who>: could not remove <directory>" on stderr. */
void bench_remove_directory(const char *directory, const char *who);

/* ---- HTTP ---- */

/* An answer's bytes, NUL-terminated (NULL when empty); the caller frees bytes. */
typedef struct {
    char *bytes;
    size_t length;
} bench_buffer;

/* POSTs length bytes of body to the node's path on curl's kept-alive connection,
 * with "Content-Type: content_type" unless it is NULL; the HTTP status (0: no
 * answer) and the answer into *answer (always set; the caller frees it). */
long bench_post(CURL *curl, const bench_tallyd *node, const char *path, const void *body, size_t length,
                const char *content_type, long timeout_seconds, bench_buffer *answer);
/* GETs the node's path on curl's connection into *answer (always set; the caller
 * frees it); true when it answered 200 with a body. */
bool bench_get(CURL *curl, const bench_tallyd *node, const char *path, bench_buffer *answer);
/* One request on a new connection, as a new client makes it: method, body (NULL for
 * none) and content type (NULL for none); the HTTP status (0: no answer) and the
 * answer into *answer unless answer is NULL (then it is dropped). */
long bench_request_once(const bench_tallyd *node, const char *method, const char *path, const void *body,
                        size_t length, const char *content_type, long timeout_ms, bench_buffer *answer);
/* The value of the line "name value" of the node's /metrics; -1 when absent. */
double bench_metric(CURL *curl, const bench_tallyd *node, const char *name);
/* How many times needle occurs in text (0 when text is NULL). */
size_t bench_count_of(const char *text, const char *needle);

/* ---- members and transactions ---- */

/* A bench member: its key pair and the sequence of its next transaction. */
typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
    uint64_t sequence;
} bench_member;

/* Fresh random keys for members[0 .. count), each at sequence 1. */
void bench_members_make(bench_member *members, int count);
/* An unsigned transaction of type on chain_id from signer at sequence, its body zero. */
tally_tx bench_tx(const uint8_t *chain_id, const tally_key *signer, uint64_t sequence, tally_tx_type type);
/* bench_tx from a member at its next sequence, which it takes. */
tally_tx bench_member_tx(const uint8_t *chain_id, bench_member *signer, tally_tx_type type);
/* A transfer in network 1 of amount from payer (at sequence) to payee, for at most
 * BENCH_MAX_FEE (bench.h) in fees, unsigned. */
tally_tx bench_transfer_tx(const uint8_t *chain_id, const tally_key *payer, uint64_t sequence, const tally_key *payee,
                           int64_t amount);
/* Sets a short text field (names, unit codes) from a C string. */
void bench_set_text(tally_text *text, const char *value);
/* The policy of the networks that pay in the benchmarks: open, a default line of
 * BENCH_CREDIT_LIMIT (bench.h), BENCH_FEE_BPS, a one-year period, rebalanced,
 * renewed; the rest the defaults. */
void bench_open_policy(tally_policy *policy);
/* Signs txs[i] with secrets[i] for every i below count, on every core. */
void bench_sign_all(tally_tx *txs, const uint8_t *const *secrets, uint32_t count);
/* The binary body of txs (signed): (u16 length | signed encoding) per transaction,
 * *length its bytes; NULL when out of memory. The caller frees it. */
char *bench_binary_body(const tally_tx *txs, uint32_t count, size_t *length);
/* POSTs txs (signed) in one binary body with wait=commit: how many committed. When
 * not all did, says "<what>: N of COUNT committed (HTTP S): <answer>" on stderr. */
uint32_t bench_post_committed(CURL *curl, const bench_tallyd *node, const tally_tx *txs, uint32_t count,
                              long timeout_seconds, const char *what);
/* Makes keys for members[0 .. count); members[0] founds network 1 (name, unit code,
 * bench_open_policy) and all of them join it, signed here and posted in bodies of
 * 1,000 with wait=commit. True when every one committed; what names the bench in
 * its messages ("bench node"). */
bool bench_found_network(CURL *curl, const bench_tallyd *node, bench_member *members, int count,
                         const char *name, const char *unit_code, const char *what);

/* ---- client threads ---- */

/* One client: posts bodies[0 .. count) to /v1/transactions?wait=commit in order on
 * one kept-alive connection, binary, one request at a time. */
typedef struct {
    const bench_tallyd *node;
    char *const *bodies;
    const size_t *lengths;
    int count;
    long timeout_seconds;
    double *latencies;  /* count seconds, each request's round trip; may be NULL */
    uint64_t committed; /* out: the transactions its answers say committed */
} bench_client;

/* Runs each client on its own thread at once and waits for all: the wall seconds
 * from the first start to the last end. */
double bench_clients_run(bench_client *clients, int count);

/* ---- the end-to-end transfer workload (bench.h), as bench_node.c and bench_scale.c run it ---- */

/* BENCH_CLIENTS x BENCH_BATCHES_PER_CLIENT batches of BENCH_BATCH transfers, client
 * c's batch b at (c * BENCH_BATCHES_PER_CLIENT + b) * BENCH_BATCH; transfer i of
 * each picked by payment in (c, b, i) order from *seed = 7: from payers[payer] at
 * its next sequence (which it takes) to payees[payee], signed on every core. NULL
 * when out of memory; the caller frees it. */
tally_tx *bench_transfers_make(const uint8_t *chain_id, bench_payment_fn *payment, bench_member *payers,
                               const tally_key *payees);

/* The workload as its clients send it: every batch's binary body, and client c
 * sending the first batches_per_client of its own. */
typedef struct {
    char *bodies[BENCH_CLIENTS][BENCH_BATCHES_PER_CLIENT];
    size_t lengths[BENCH_CLIENTS][BENCH_BATCHES_PER_CLIENT];
    double latencies[BENCH_CLIENTS * BENCH_BATCHES_PER_CLIENT]; /* client c's from c * batches_per_client */
    int batches_per_client;
    bench_client clients[BENCH_CLIENTS];
} bench_transfer_run;

/* Makes run's bodies from work (bench_transfers_make) and its clients, which send
 * to node with wait=commit and timeout_seconds each. */
void bench_transfers_prepare(bench_transfer_run *run, const tally_tx *work, const bench_tallyd *node,
                             int batches_per_client, long timeout_seconds);
/* Frees run's bodies; the transfers its clients' answers said committed. */
uint64_t bench_transfers_finish(bench_transfer_run *run);

/* ---- figures ---- */

/* qsort's comparison of doubles, ascending. */
int bench_compare_double(const void *a, const void *b);
/* Sorts values[0 .. count) and returns the value at percent (0 .. 100) of them:
 * values[count * percent / 100], the last at most. */
double bench_percentile(double *values, int count, int percent);
/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); 0 when unreadable. */
uint64_t bench_process_kib(pid_t pid, const char *field);
/* The CPU seconds (user + system) pid has used so far; -1 when unreadable. */
double bench_process_cpu_seconds(pid_t pid);
/* A process's CPU seconds (user + system) by thread name, from
 * /proc/PID/task/TID/stat: threads of one name (the verifiers) are summed. */
enum { BENCH_THREAD_NAMES_MAX = 24 };
typedef struct {
    char name[32];
    double seconds;
} bench_thread_cpu;
typedef struct {
    bench_thread_cpu threads[BENCH_THREAD_NAMES_MAX];
    int count;
} bench_cpu_by_thread;
/* Reads pid's threads into *out (empty when pid is gone). */
void bench_read_thread_cpu(pid_t pid, bench_cpu_by_thread *out);
/* The seconds of the threads named name in cpu; 0 when none. */
double bench_thread_cpu_of(const bench_cpu_by_thread *cpu, const char *name);
/* The CPU seconds (user + system) this process has used so far. */
double bench_own_cpu_seconds(void);
/* Sleeps ms milliseconds. */
void bench_sleep_ms(long ms);

#endif
