/*
 * etcd.h: a small etcd v3 client for the ordering layer of issue 14 (validators
 * replicating one chain through etcd 3.4). It speaks etcd's JSON gateway (HTTP/1.1
 * POSTs of JSON at /v3/..., keys and values in base64) through libcurl and jansson:
 * Debian's C world has no packaged gRPC/protobuf client for etcd, and the gateway is
 * part of every etcd server, so this costs no new library.
 *
 * Read this header instead of a manual. Every call returns an etcd_status:
 *   ETCD_OK          the call did what it says;
 *   ETCD_UNAVAILABLE no endpoint answered (refused, timed out, 5xx, "no leader" and
 *                    other gRPC Unavailable answers), or the answer could not be
 *                    read: the outcome of a write is UNKNOWN, it may or may not have
 *                    been applied;
 *   ETCD_REFUSED     etcd answered with an error (request too large, lease not found,
 *                    ...), or this client refused the request before sending it (an
 *                    argument out of bounds): nothing was written;
 *   ETCD_COMPACTED   (etcd_watch only) the start revision has been compacted away:
 *                    read the current state with etcd_range and watch from its
 *                    revision + 1.
 * After a failure etcd_why(client) holds a sentence ready to print (which endpoints
 * failed and how, or what etcd said). Nothing here prints.
 *
 * Failover: a client holds a list of endpoints and sends to the one that last
 * worked; on a connection error, a timeout, an HTTP 5xx or a gRPC Unavailable /
 * DeadlineExceeded answer it tries the next one, each endpoint at most once per call.
 * Each attempt is bounded by timeout_ms, so a call takes at most endpoints x
 * timeout_ms. A write retried on another endpoint after a timeout may have been
 * applied twice: etcd_put of the same value is harmless; etcd_create then reports
 * created == false with *existing holding the caller's own value, so a caller that
 * retries creates compares existing with what it wrote.
 *
 * Threads: a client is used by one thread at a time (it holds one libcurl handle,
 * reused for its connection); open one client per thread. etcd_watch occupies its
 * client until it returns: a watch needs its own client. As libcurl asks, call
 * curl_global_init once before clients are opened on several threads.
 */
#ifndef TALLY_NODE_ETCD_H
#define TALLY_NODE_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most endpoints in one client, and the longest endpoint URL. */
#define ETCD_ENDPOINTS_MAX 16u
#define ETCD_ENDPOINT_BYTES_MAX 200u
/* Most value bytes in one request (a put's value, or a create's value and guard
 * value together), refused before sending: etcd refuses requests over 1.5 MiB
 * (--max-request-bytes), and this leaves room for the key and the framing. */
#define ETCD_VALUE_BYTES_MAX 1400000u
/* Longest key: keys are names (etcd keeps every key in memory in its index). */
#define ETCD_KEY_BYTES_MAX 4096u
/* Longest answer read (a range of many keys, or one watch message). Past it the
 * call is ETCD_REFUSED: ask for fewer keys with a limit. */
#define ETCD_ANSWER_BYTES_MAX ((size_t)64 * 1024 * 1024)
/* Bounds of timeout_ms in etcd_open and of idle_ms in etcd_watch. */
#define ETCD_TIMEOUT_MS_MIN 10u
#define ETCD_TIMEOUT_MS_MAX 600000u

#define ETCD_WARN_UNUSED __attribute__((warn_unused_result))

typedef enum {
    ETCD_OK = 0,
    ETCD_UNAVAILABLE,
    ETCD_REFUSED,
    ETCD_COMPACTED,
} etcd_status;

/* "ok", "unavailable", "refused", "compacted". */
const char *etcd_status_name(etcd_status status);

typedef struct etcd_client etcd_client;

/* One key as etcd holds it. key and value are malloc'd (value is never NULL, even
 * when empty, and both carry a terminating zero byte past their length, handy for
 * text); etcd_kv_release frees them. */
typedef struct {
    uint8_t *key;
    size_t key_length;
    uint8_t *value;
    size_t value_length;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease; /* 0: none */
} etcd_kv;

/* A condition of etcd_create: key must exist and hold exactly value. */
typedef struct {
    const void *key;
    size_t key_length;
    const void *value;
    size_t value_length;
} etcd_guard;

/* One event of a watch. key and value (each followed by a zero byte) are valid only
 * during the callback. value is empty for a delete. */
typedef struct {
    const uint8_t *key;
    size_t key_length;
    const uint8_t *value;
    size_t value_length;
    int64_t mod_revision;
    bool is_delete;
} etcd_event;

/* Returns false to end the watch (etcd_watch then returns ETCD_OK). */
typedef bool etcd_watch_fn(void *context, const etcd_event *event);

/* Figures for metrics. A request is one call other than etcd_watch that was sent,
 * counted once however many endpoints it tried; its time runs from the call to its
 * return. Calls refused before sending count in refused only. */
typedef struct {
    uint64_t requests;
    uint64_t total_us;
    uint64_t last_us;
    uint64_t failovers;   /* times a call moved on to the next endpoint */
    uint64_t unavailable; /* calls that returned ETCD_UNAVAILABLE */
    uint64_t refused;     /* calls that returned ETCD_REFUSED */
    uint64_t connections; /* connections opened (calls and watches): the rest reused one */
} etcd_stats;

/* ---- the client ---- */

/* TLS to etcd's client port, for https:// endpoints: the CA that signed the members'
 * certificates (NULL: the system's CAs), and this client's certificate and key (PEM)
 * for members that require client certificates (etcd --client-cert-auth): both or
 * neither. The names are etcdctl's --cacert, --cert and --key. */
typedef struct {
    const char *ca_file;
    const char *cert_file;
    const char *key_file;
} etcd_tls;

/* Opens a client on endpoints, a comma-separated list of http://host:port URLs
 * (spaces around commas allowed; 1..ETCD_ENDPOINTS_MAX, each shorter than
 * ETCD_ENDPOINT_BYTES_MAX), with timeout_ms (ETCD_TIMEOUT_MS_MIN..MAX) for each
 * attempt of a call. Nothing is sent yet. NULL when the list or the timeout is
 * refused or memory runs out, with a sentence in why (may be NULL). */
etcd_client *etcd_open(const char *endpoints, uint32_t timeout_ms, char *why, size_t why_size) ETCD_WARN_UNUSED;
/* etcd_open with TLS (tls NULL: none). Refused, with why, when a file is not readable
 * or only one of cert_file and key_file is given; a failed handshake is a call's
 * failure (ETCD_UNAVAILABLE, with libcurl's sentence in etcd_why). */
etcd_client *etcd_open_tls(const char *endpoints, uint32_t timeout_ms, const etcd_tls *tls, char *why,
                           size_t why_size) ETCD_WARN_UNUSED;
/* Closes the connection and frees the client; NULL is accepted. */
void etcd_close(etcd_client *client);
/* The sentence about the last failure ("" after a success). Valid until the next call. */
const char *etcd_why(const etcd_client *client);
/* The endpoint the next call goes to first (the one that last worked), and its index
 * in the list given to etcd_open. */
const char *etcd_endpoint(const etcd_client *client);
uint32_t etcd_endpoint_index(const etcd_client *client);
etcd_stats etcd_client_stats(const etcd_client *client);

/* ---- keys ---- */

/* Frees what etcd_get, etcd_create or etcd_range filled; zeroes *kv. NULL accepted. */
void etcd_kv_release(etcd_kv *kv);
/* Frees an array from etcd_range and each of its count entries. NULL accepted. */
void etcd_kvs_release(etcd_kv *kvs, uint32_t count);

/* The end key of a prefix's range: the prefix with its last byte below 0xff
 * incremented and the 0xff bytes after it dropped ("a/" -> "a0"), written to end
 * (room for prefix_length bytes, at least 1). Returns its length; a prefix of only
 * 0xff bytes (or empty) gives the single byte 0, which etcd reads as "every key from
 * the start key on". */
size_t etcd_prefix_end(const void *prefix, size_t prefix_length, uint8_t *end, size_t end_size);

/* Reads one key (linearizable). *found false (and *out zeroed) when it is absent.
 * out and revision (the store's revision at the read) may be NULL. */
etcd_status etcd_get(etcd_client *client, const void *key, size_t key_length, etcd_kv *out, bool *found,
                     int64_t *revision) ETCD_WARN_UNUSED;
/* Reads the keys in [start_key, end_key) in key order, at most limit of them (0:
 * no limit, but the answer must stay under ETCD_ANSWER_BYTES_MAX). end_length 0
 * reads start_key alone. *kvs (free with etcd_kvs_release; NULL when count is 0),
 * *more: keys past the limit remain (continue from the last key plus a zero byte);
 * more and revision may be NULL. */
etcd_status etcd_range(etcd_client *client, const void *start_key, size_t start_length, const void *end_key,
                       size_t end_length, uint32_t limit, etcd_kv **kvs, uint32_t *count, bool *more,
                       int64_t *revision) ETCD_WARN_UNUSED;
/* Writes key = value (value may be empty; at most ETCD_VALUE_BYTES_MAX bytes), bound
 * to lease (0: none). */
etcd_status etcd_put(etcd_client *client, const void *key, size_t key_length, const void *value,
                     size_t value_length, int64_t lease) ETCD_WARN_UNUSED;
/* Writes key = value only if key does not exist (and, when guard is not NULL, only if
 * guard->key holds exactly guard->value), in one transaction. *created tells which;
 * *revision is the revision of the write, or the store's revision when nothing was
 * written; when nothing was written and existing is not NULL, *existing receives key
 * as it is (found by the transaction's failure branch; zeroed when key is absent,
 * which happens when only the guard failed). existing and revision may be NULL. */
etcd_status etcd_create(etcd_client *client, const void *key, size_t key_length, const void *value,
                        size_t value_length, int64_t lease, const etcd_guard *guard, bool *created,
                        int64_t *revision, etcd_kv *existing) ETCD_WARN_UNUSED;
/* Deletes the keys in [start_key, end_key) (end_length 0: start_key alone);
 * *deleted (may be NULL) counts them. */
etcd_status etcd_delete_range(etcd_client *client, const void *start_key, size_t start_length,
                              const void *end_key, size_t end_length, int64_t *deleted) ETCD_WARN_UNUSED;
/* Compacts the history before revision (not physical: etcd frees the space later).
 * Refused when revision is already compacted or in the future. */
etcd_status etcd_compact(etcd_client *client, int64_t revision) ETCD_WARN_UNUSED;

/* ---- leases ---- */

/* Grants a lease of ttl_seconds (1..9,000,000,000; etcd may raise a short one to its
 * minimum, 1.5 election timeouts). *lease receives its id. */
etcd_status etcd_lease_grant(etcd_client *client, int64_t ttl_seconds, int64_t *lease) ETCD_WARN_UNUSED;
/* Renews lease once. *ttl_left (may be NULL) receives the seconds it now has;
 * 0 means the lease is gone (expired or revoked) and its keys with it. */
etcd_status etcd_lease_keepalive(etcd_client *client, int64_t lease, int64_t *ttl_left) ETCD_WARN_UNUSED;
/* Revokes lease, deleting its keys. Refused when the lease does not exist. */
etcd_status etcd_lease_revoke(etcd_client *client, int64_t lease) ETCD_WARN_UNUSED;

/* ---- watch ---- */

/* Watches the keys in [start_key, end_key) (end_length 0: start_key alone) from
 * start_revision (0: from now) and calls fn(context, event) for each change, in
 * revision order. Returns ETCD_OK when fn returns false or *stop (may be NULL) turns
 * true, which is checked at least every idle_ms (ETCD_TIMEOUT_MS_MIN..MAX) even when
 * nothing arrives; ETCD_COMPACTED when start_revision was compacted away (why names
 * the compact revision); ETCD_UNAVAILABLE when no endpoint answered. When a stream
 * breaks or ends, the watch resumes on the next endpoint from the revision after the
 * last event delivered (each endpoint at most once per call), so fn sees no event
 * twice and misses none. The client is busy until this returns: a watch needs its
 * own client. */
etcd_status etcd_watch(etcd_client *client, const void *start_key, size_t start_length, const void *end_key,
                       size_t end_length, int64_t start_revision, etcd_watch_fn *fn, void *context,
                       const volatile bool *stop, uint32_t idle_ms) ETCD_WARN_UNUSED;

#endif
