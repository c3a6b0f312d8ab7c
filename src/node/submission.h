/*
 * submission.h: the bodies of POST /v1/transactions and the numbers of query
 * strings, parsed without the HTTP server: a body and its content type in, the
 * decoded transactions and a refusal per undecodable item out, or a refusal of the
 * whole body (error code, HTTP status and message) that the server sends as is.
 * Pure functions of their input (no server types, no state, no I/O), so they are
 * fuzzed on their own (fuzz/fuzz_http.c).
 */
#ifndef TALLY_NODE_SUBMISSION_H
#define TALLY_NODE_SUBMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

#define SUBMISSION_BATCH_MAX 4096u      /* transactions in one binary submission */
#define SUBMISSION_JSON_BATCH_MAX 1024u /* transactions in one JSON submission */
/* Bytes of a JSON body: room for SUBMISSION_JSON_BATCH_MAX single transactions of
 * the longest encoding in hex (1,539 bytes each with quotes and comma: a listing
 * with its texts) and 250 bytes of whitespace each, or for 33 of the longest batch
 * payments (54,579 bytes of hex each). The binary form is the one for big batches. */
#define SUBMISSION_JSON_BODY_MAX (1792u << 10) /* 1.75 MiB */
/* Structural characters ({ [ , :) outside strings in a JSON body. Every value the
 * parser builds but the first follows one of them, so this bounds the parser's
 * work and memory before it runs: {"txs": [...]} of SUBMISSION_JSON_BATCH_MAX
 * items needs SUBMISSION_JSON_BATCH_MAX + 2. */
#define SUBMISSION_JSON_TOKENS_MAX (SUBMISSION_JSON_BATCH_MAX + 16u)
#define SUBMISSION_MESSAGE_MAX 256u

/* What became of one item of the body. Decoded: code is TALLY_OK and node_error
 * NULL. Refused: either node_error names a refusal of the node ("BAD_HEX": the
 * item is not the hex of at most TALLY_TX_ENCODED_MAX bytes) or code is what
 * tally_tx_decode gave. */
typedef struct {
    bool decoded;
    tally_error code;
    const char *node_error; /* a static string, or NULL */
} submission_item;

/* A body that parsed: `count` items in body order; the `decodable` transactions in
 * txs, positions[d] being where txs[d] stood. Release with submission_release, which
 * frees the batch lines of the transactions still in txs (one who moves a
 * transaction out takes its lines: it leaves tally_tx_release'd txs behind). */
typedef struct {
    size_t count;   /* 1..SUBMISSION_BATCH_MAX */
    bool is_single; /* {"tx": hex}: a refusal of its one item is the answer's status */
    tally_tx *txs;
    uint32_t *positions;
    uint32_t decodable;
    submission_item *items;
} submission;

/* Why a whole body was refused: code is "BAD_JSON", "BAD_REQUEST", "BAD_BATCH",
 * "BODY_TOO_LARGE" or "OUT_OF_MEMORY", with its HTTP status (400, 413, 503) and a
 * sentence. */
typedef struct {
    const char *code;
    unsigned http_status;
    char message[SUBMISSION_MESSAGE_MAX];
} submission_refusal;

/* Whether a Content-Type (may be NULL) asks for the binary form. */
bool submission_is_binary(const char *content_type);

/*
 * Parses a body (length bytes; body may be NULL when length is 0). The JSON form
 * (any content type but application/octet-stream) is {"tx": hex} or
 * {"txs": [hex, ...]} with 1 to SUBMISSION_JSON_BATCH_MAX items, at most
 * SUBMISSION_JSON_BODY_MAX bytes and SUBMISSION_JSON_TOKENS_MAX structural
 * characters (counted before any of it is parsed: 413 past either); the binary
 * form is 1 to SUBMISSION_BATCH_MAX frames of a u16 little-endian length and that
 * many bytes of a signed transaction. Returns true
 * and fills *out (release it), or false and fills *refusal (*out then holds
 * nothing to release). Items that do not decode are refused one by one, not the
 * whole body.
 */
TALLY_MUST_CHECK bool submission_parse(const char *content_type, const uint8_t *body, size_t length,
                                       submission *out, submission_refusal *refusal);
void submission_release(submission *sub);

/* A decimal number of 1 to 20 digits and nothing else, at most UINT64_MAX: the form
 * of heights, ids, limits and cursors in paths and query strings, and of
 * Content-Length. false on anything else (signs, spaces, empty, NULL, overflow). */
TALLY_MUST_CHECK bool submission_parse_u64(const char *text, uint64_t *out);

#endif
