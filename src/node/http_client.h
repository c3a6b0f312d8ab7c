/*
 * http_client.h: the node's own outgoing HTTP requests to other validators (a
 * follower forwarding transactions to the proposer, a validator fetching a block
 * etcd compacted from a peer's log), through libcurl. One call, one answer held in
 * memory up to a bound; the caller owns the CURL handle (one per thread, reused so
 * that its connection is kept alive). The etcd client has its own transport
 * (etcd.c): its framing and trailers are its own business.
 */
#ifndef TALLY_NODE_HTTP_CLIENT_H
#define TALLY_NODE_HTTP_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* An answer's body: bytes (malloc'd, followed by a zero byte, handy for JSON;
 * NULL when empty), at most limit bytes (past it the call fails). */
typedef struct {
    char *bytes;
    size_t length;
    size_t limit;
} http_answer;

/* How one call went. connected false: no connection was made (refused, or none
 * within the connect timeout): nobody is listening there, as opposed to a slow or
 * failing answer from someone who is. */
typedef struct {
    CURLcode code;
    long status; /* the HTTP status, 0 without an answer */
    bool connected;
} http_outcome;

/* GET (body NULL) or POST body of content_type to url, within timeout_ms (and
 * connect_timeout_ms to connect, 0: libcurl's), into *answer (its limit set by the
 * caller; free its bytes with http_answer_release). true when an answer of status
 * 200 arrived whole. */
bool http_call(CURL *curl, const char *url, const char *content_type, const void *body, size_t body_length,
               long timeout_ms, long connect_timeout_ms, http_answer *answer, http_outcome *outcome);
void http_answer_release(http_answer *answer);

#endif
