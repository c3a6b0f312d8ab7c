/*
 * submission.c: parsing the bodies of POST /v1/transactions (submission.h). JSON
 * is parsed by jansson, hex by libsodium and transactions by the codec's strict
 * decoder; this file only walks the shapes, bounds every count before allocating
 * (a JSON body's size and structure before jansson builds any of it), and says
 * which item or which part of the body is wrong.
 */
#include "node/submission.h"

#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_BAD_REQUEST 400u
#define STATUS_CONTENT_TOO_LARGE 413u
#define STATUS_SERVICE_UNAVAILABLE 503u

#define BINARY_CONTENT_TYPE "application/octet-stream"

/* The largest JSON batch, every item of the longest single encoding, fits the body
 * bound; so do 23 batches of TALLY_BATCH_LINES_MAX lines (55 KB of hex each). */
_Static_assert((size_t)SUBMISSION_JSON_BATCH_MAX * (2u * TALLY_TX_SINGLE_ENCODED_MAX + 3u) + 16u <=
                   SUBMISSION_JSON_BODY_MAX,
               "a JSON body holds the largest JSON batch");
_Static_assert((size_t)2u * TALLY_TX_ENCODED_MAX + 16u <= SUBMISSION_JSON_BODY_MAX, "a JSON body holds the longest batch");
_Static_assert(SUBMISSION_JSON_BATCH_MAX <= SUBMISSION_BATCH_MAX, "the JSON batch is the smaller one");

__attribute__((format(printf, 4, 5))) static bool refuse(submission_refusal *refusal, const char *code,
                                                         unsigned http_status, const char *format, ...) {
    refusal->code = code;
    refusal->http_status = http_status;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(refusal->message, sizeof refusal->message, format, arguments);
    va_end(arguments);
    return false;
}

bool submission_is_binary(const char *content_type) {
    return content_type && strncmp(content_type, BINARY_CONTENT_TYPE, strlen(BINARY_CONTENT_TYPE)) == 0;
}

static bool submission_alloc(submission *sub, size_t count, bool is_single) {
    assert(count > 0 && count <= SUBMISSION_BATCH_MAX);
    *sub = (submission){.count = count, .is_single = is_single};
    sub->txs = calloc(count, sizeof *sub->txs);
    sub->positions = calloc(count, sizeof *sub->positions);
    sub->items = calloc(count, sizeof *sub->items);
    if (sub->txs && sub->positions && sub->items) return true;
    submission_release(sub);
    return false;
}

void submission_release(submission *sub) {
    for (uint32_t i = 0; sub->txs && i < sub->decodable; i++) tally_tx_release(&sub->txs[i]);
    free(sub->txs);
    free(sub->positions);
    free(sub->items);
    *sub = (submission){0};
}

/* Decodes item `index` from its canonical bytes. */
static void submission_add(submission *sub, size_t index, const uint8_t *bytes, size_t length) {
    assert(index < sub->count && sub->decodable <= index);
    submission_item *item = &sub->items[index];
    *item = (submission_item){.decoded = false};
    tally_error error = tally_tx_decode(bytes, length, &sub->txs[sub->decodable]);
    if (error != TALLY_OK) {
        item->code = error;
        return;
    }
    item->decoded = true;
    item->code = TALLY_OK;
    sub->positions[sub->decodable++] = (uint32_t)index;
}

/* Whether bytes hold at most `max` structural characters ({ [ , :) outside
 * strings. A bound check before parsing, not a parser: what passes may still be
 * refused by jansson, but jansson cannot build more than max + 1 values from it
 * (every value but the first follows one of them), so 4 MiB of [1,1,1,...] costs a
 * linear scan instead of millions of nodes. */
static bool json_tokens_within(const uint8_t *bytes, size_t length, size_t max) {
    size_t tokens = 0;
    bool in_string = false;
    for (size_t i = 0; i < length; i++) {
        uint8_t c = bytes[i];
        if (in_string) {
            if (c == '\\') i++; /* the escaped character, whatever it is */
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if ((c == '{' || c == '[' || c == ',' || c == ':') && ++tokens > max) {
            return false;
        }
    }
    return true;
}

/* {"tx": hex} or {"txs": [hex, ...]} */
static bool parse_json(const uint8_t *bytes, size_t length, submission *sub, submission_refusal *refusal) {
    if (length > SUBMISSION_JSON_BODY_MAX)
        return refuse(refusal, "BODY_TOO_LARGE", STATUS_CONTENT_TOO_LARGE,
                      "a JSON body is at most %u bytes (1.75 MiB); send big batches in the binary form",
                      SUBMISSION_JSON_BODY_MAX);
    if (!json_tokens_within(bytes, length, SUBMISSION_JSON_TOKENS_MAX))
        return refuse(refusal, "BAD_BATCH", STATUS_CONTENT_TOO_LARGE,
                      "the body has more than %u JSON values: a JSON batch holds 1 to %u transactions",
                      SUBMISSION_JSON_TOKENS_MAX, SUBMISSION_JSON_BATCH_MAX);
    json_error_t parse_error;
    json_t *body = json_loadb(bytes ? (const char *)bytes : "", length, JSON_REJECT_DUPLICATES, &parse_error);
    if (!body || !json_is_object(body)) {
        json_decref(body);
        return refuse(refusal, "BAD_JSON", STATUS_BAD_REQUEST, "the body is not a JSON object: %s",
                      body ? "wrong type" : parse_error.text);
    }
    json_t *single = json_object_get(body, "tx"), *batch = json_object_get(body, "txs");
    if ((single && batch) || (!single && !batch) || (single && !json_is_string(single)) ||
        (batch && !json_is_array(batch))) {
        json_decref(body);
        return refuse(refusal, "BAD_REQUEST", STATUS_BAD_REQUEST, "%s",
                      "send {\"tx\": \"<hex>\"} or {\"txs\": [\"<hex>\", ...]}");
    }
    size_t count = single ? 1 : json_array_size(batch);
    if (count == 0 || count > SUBMISSION_JSON_BATCH_MAX) {
        json_decref(body);
        return refuse(refusal, "BAD_BATCH", count ? STATUS_CONTENT_TOO_LARGE : STATUS_BAD_REQUEST,
                      "a JSON batch holds 1 to %u transactions (the binary form up to %u)", SUBMISSION_JSON_BATCH_MAX,
                      SUBMISSION_BATCH_MAX);
    }
    if (!submission_alloc(sub, count, single != NULL)) {
        json_decref(body);
        return refuse(refusal, "OUT_OF_MEMORY", STATUS_SERVICE_UNAVAILABLE, "out of memory");
    }
    for (size_t i = 0; i < count; i++) {
        const char *hex = json_string_value(single ? single : json_array_get(batch, i));
        uint8_t decoded[TALLY_TX_ENCODED_MAX];
        size_t decoded_length = 0;
        size_t hex_length = hex ? strlen(hex) : 0;
        if (!hex || hex_length > 2 * TALLY_TX_ENCODED_MAX ||
            sodium_hex2bin(decoded, sizeof decoded, hex, hex_length, NULL, &decoded_length, NULL) != 0 ||
            hex_length != 2 * decoded_length) {
            sub->items[i] = (submission_item){.decoded = false, .node_error = "BAD_HEX"};
            continue;
        }
        submission_add(sub, i, decoded, decoded_length);
    }
    json_decref(body);
    return true;
}

/* application/octet-stream: a batch of (u16 little-endian length | signed
 * encoding), the compact form for clients that submit a lot. */
static bool parse_binary(const uint8_t *body, size_t length, submission *sub, submission_refusal *refusal) {
    size_t count = 0;
    bool torn = false;
    for (size_t at = 0; at < length && count <= SUBMISSION_BATCH_MAX; count++) {
        torn = length - at < 2;
        if (torn) break;
        at += 2 + (size_t)(body[at] | body[at + 1] << 8);
        torn = at > length;
        if (torn) break;
    }
    if (count == 0 || torn)
        return refuse(refusal, "BAD_BATCH", STATUS_BAD_REQUEST,
                      "a binary batch is 1 to %u frames of a u16 little-endian length and that many bytes",
                      SUBMISSION_BATCH_MAX);
    if (count > SUBMISSION_BATCH_MAX) /* too many, as in the JSON form: 413 */
        return refuse(refusal, "BAD_BATCH", STATUS_CONTENT_TOO_LARGE, "a batch holds 1 to %u transactions",
                      SUBMISSION_BATCH_MAX);
    if (!submission_alloc(sub, count, false))
        return refuse(refusal, "OUT_OF_MEMORY", STATUS_SERVICE_UNAVAILABLE, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        size_t frame_length = (size_t)(body[at] | body[at + 1] << 8);
        assert(at + 2 + frame_length <= length);
        submission_add(sub, i, body + at + 2, frame_length);
        at += 2 + frame_length;
    }
    assert(at == length);
    return true;
}

bool submission_parse(const char *content_type, const uint8_t *body, size_t length, submission *out,
                      submission_refusal *refusal) {
    assert(out != NULL && refusal != NULL);
    assert(body != NULL || length == 0);
    *out = (submission){0};
    *refusal = (submission_refusal){0};
    return submission_is_binary(content_type) ? parse_binary(body, length, out, refusal)
                                              : parse_json(body, length, out, refusal);
}

bool submission_parse_u64(const char *text, uint64_t *out) {
    if (!text || !*text || strlen(text) > 20) return false;
    uint64_t value = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9') return false;
        if (value > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) return false;
        value = value * 10 + (uint64_t)(*c - '0');
    }
    *out = value;
    return true;
}
