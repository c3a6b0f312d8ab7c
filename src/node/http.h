/*
 * http.h: the node's HTTP JSON API (docs/openapi.yaml) on libmicrohttpd: a small
 * pool of threads, each with its own epoll set, serves every connection; a client
 * waiting for its commit is suspended (it holds no thread) and resumed when its
 * block is durable. Connections are bounded in all and per client address, every
 * request must arrive in full within a deadline (not only without idle gaps), and
 * bodies are bounded each (the JSON form far below the binary one) and together (a
 * budget of memory for all bodies being received). Lists are answered a page at a
 * time, and no answer is built while the node's lock is held. Every refusal is a
 * 4xx/5xx with a JSON error body; the server keeps serving.
 */
#ifndef TALLY_HTTP_H
#define TALLY_HTTP_H

#include <stdint.h>

#include "node/node.h"
#include "node/submission.h"
#include "node/web_files.h"

#define HTTP_BODY_MAX (4u << 20)                     /* bytes of a binary body */
#define HTTP_JSON_BODY_MAX SUBMISSION_JSON_BODY_MAX  /* bytes of any other body */
#define HTTP_BATCH_MAX 4096u                         /* transactions in one binary submission */
#define HTTP_JSON_BATCH_MAX SUBMISSION_JSON_BATCH_MAX
#define HTTP_CONNECTIONS_MAX 512u
#define HTTP_TIMEOUT_SECONDS 30u  /* idle connections are closed after this (by default) */
#define HTTP_COMMIT_WAIT_MS 30000u

/* Defaults of http_options (tallyd --help). */
#define HTTP_THREADS_DEFAULT 16u
#define HTTP_THREADS_MAX 64u
#define HTTP_PER_IP_CONNECTIONS_DEFAULT 64u
#define HTTP_REQUEST_DEADLINE_MS_DEFAULT 30000u
#define HTTP_BODY_BUDGET_MIB_DEFAULT 128u

/* Pages of lists: `limit` items at most (default HTTP_LIST_LIMIT_DEFAULT), and at
 * most this many table entries looked at under the node's lock for one page. */
#define HTTP_LIST_LIMIT_DEFAULT 100u
#define HTTP_LIST_LIMIT_MAX 500u
#define HTTP_MEMBER_SCAN_MAX 16384u  /* member-table entries one page of members scans */
#define HTTP_ACCOUNT_SCAN_MAX 4096u  /* network and asset ids one page of a key's account probes */

typedef struct {
    uint32_t idle_timeout_seconds; /* a connection that sends nothing this long is closed */
    uint32_t threads;              /* of the pool serving connections */
    uint32_t per_ip_connections;   /* connections at once from one address; 0: no such bound */
    uint32_t request_deadline_ms;  /* a request must arrive in full (headers and body) this
                                      soon after its connection is ready for it */
    uint32_t body_budget_mib;      /* all request bodies being received at once */
    const web_files *web;          /* the web app served at / (NULL: none; the caller owns it
                                      and frees it after http_stop) */
} http_options;

void http_options_defaults(http_options *options);

typedef struct http_server http_server;

/* Serves node on host:port (port 0 picks a free one; see http_port). host must be
 * an IPv4 address; "127.0.0.1" by default. options may be NULL (the defaults).
 * NULL with a reason in `why`. */
http_server *http_start(node *n, const char *host, uint16_t port, const http_options *options, char *why,
                        size_t why_size);
uint16_t http_port(const http_server *server);
/* Answers the clients waiting for a commit with what is known, then stops. Call it
 * before node_close. */
void http_stop(http_server *server);

#endif
