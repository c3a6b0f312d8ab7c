/*
 * http_market.h: the marketplace's routes (docs/MARKETPLACE.md "The API"), read
 * from the index for texts and from the state for money fields:
 *   GET /v1/networks/{network}/categories
 *   GET /v1/networks/{network}/listings?q=&category=&kind=&seller=&min_price=&max_price=
 *                                        &status=&sort=&limit=&offset=
 *   GET /v1/listings/{id}
 *   GET /v1/orders/{id}
 *   GET /v1/networks/{network}/orders?member=&role=&status=&limit=&offset=
 *   GET /v1/networks/{network}/accounts/{member}/reviews?limit=&offset=
 * http.c asks http_market_route first for every GET; the answer is JSON with its
 * status (a refusal: {"error": {"code", "message"}}).
 */
#ifndef TALLY_HTTP_MARKET_H
#define TALLY_HTTP_MARKET_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "node/node.h"

typedef struct {
    unsigned status;
    json_t *body; /* NULL: out of memory */
} http_market_answer;

/* Whether the path (split into segments: "v1", ...) is one of the marketplace's;
 * when it is, *answer holds its answer (the caller sends it). */
bool http_market_route(node *n, struct MHD_Connection *connection, char **segments, int count,
                       http_market_answer *answer);

#endif
