/*
 * http.h: the node's HTTP JSON API (docs/openapi.yaml) on libmicrohttpd: one
 * thread per connection (so a client waiting for its commit blocks nobody else),
 * bounded connections, bodies and batches, timeouts for slow or abandoned clients.
 * Every refusal is a 4xx/5xx with a JSON error body; the server keeps serving.
 */
#ifndef TALLY_HTTP_H
#define TALLY_HTTP_H

#include <stdint.h>

#include "node/node.h"

#define HTTP_BODY_MAX (4u << 20)  /* bytes of a request body */
#define HTTP_BATCH_MAX 4096u      /* transactions in one submission */
#define HTTP_CONNECTIONS_MAX 512u
#define HTTP_TIMEOUT_SECONDS 30u  /* idle connections are closed after this (by default) */
#define HTTP_COMMIT_WAIT_MS 30000u

typedef struct http_server http_server;

/* Serves node on host:port (port 0 picks a free one; see http_port). host must be
 * an IPv4 address; "127.0.0.1" by default. A connection that sends nothing for
 * timeout_seconds is closed (0 takes HTTP_TIMEOUT_SECONDS). NULL with a reason in
 * `why`. */
http_server *http_start(node *n, const char *host, uint16_t port, uint32_t timeout_seconds, char *why,
                        size_t why_size);
uint16_t http_port(const http_server *server);
void http_stop(http_server *server);

#endif
