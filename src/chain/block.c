/*
 * block.c: the block format. A block is a header, the signed transactions it holds
 * and the result of each; this file owns their canonical encoding (one encoder,
 * one strict decoder), the block hash, and the memory of a block's arrays. Merkle
 * roots are in merkle.c; genesis, building and verifying blocks against a chain in
 * chain.c.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chain/block_internal.h"
#include "chain/bytes.h"
#include "chain/chain_errors.h"

/* Byte offsets of the header fields, in wire order. */
enum {
    HEADER_VERSION = 0,
    HEADER_HEIGHT = HEADER_VERSION + 1,
    HEADER_PREV_HASH = HEADER_HEIGHT + 8,
    HEADER_BLOCK_TIME = HEADER_PREV_HASH + TALLY_HASH_BYTES,
    HEADER_TX_COUNT = HEADER_BLOCK_TIME + 8,
    HEADER_TX_ROOT = HEADER_TX_COUNT + 4,
    HEADER_RESULTS_ROOT = HEADER_TX_ROOT + TALLY_HASH_BYTES,
    HEADER_STATE_HASH = HEADER_RESULTS_ROOT + TALLY_HASH_BYTES,
    HEADER_PRODUCER = HEADER_STATE_HASH + TALLY_HASH_BYTES,
    HEADER_SIGNATURE = HEADER_PRODUCER + TALLY_KEY_BYTES,
    HEADER_END = HEADER_SIGNATURE + TALLY_SIGNATURE_BYTES
};

_Static_assert(HEADER_END == TALLY_BLOCK_HEADER_BYTES, "header layout adds up");
_Static_assert(HEADER_SIGNATURE == TALLY_BLOCK_SIGNED_BYTES, "the signature is last");
_Static_assert(TALLY_TX_ENCODED_MAX <= UINT16_MAX, "a transaction's length travels as u16");
_Static_assert(TALLY_TX_ENCODED_MAX - TALLY_BATCH_LINES_MAX * TALLY_BATCH_LINE_ENCODED_MAX <= TALLY_TX_SINGLE_ENCODED_MAX,
               "a batch without its lines is no longer than a single transaction (TALLY_BLOCK_ENCODED_MAX)");
_Static_assert(TALLY_BLOCK_TXS_MAX <= UINT32_MAX, "tx_count travels as u32");
_Static_assert(TALLY_NAME_MAX <= UINT16_MAX, "the genesis name's length travels as u16");
_Static_assert(TALLY_ERROR_COUNT <= UINT16_MAX, "result codes travel as u16");

/* Every transaction takes at least its u16 length, one byte and its result: a tx
 * count that the bytes left cannot hold is refused before anything is allocated. */
#define TX_WIRE_BYTES_MIN (2u + 1u + TALLY_RESULT_BYTES)

/* ------------------------------------------------------------------------ */
/* Memory.                                                                   */
/* ------------------------------------------------------------------------ */

void tally_block_init(tally_block *block) {
    assert(block != NULL);
    memset(block, 0, sizeof *block);
}

void block_release_lines(tally_block *block) {
    assert(block != NULL);
    for (uint32_t i = 0; i < block->header.tx_count && i < block->capacity; i++) tally_tx_release(&block->txs[i]);
}

void tally_block_release(tally_block *block) {
    assert(block != NULL);
    block_release_lines(block);
    free(block->txs);
    free(block->results);
    free(block->events);
    tally_block_init(block);
}

uint32_t block_lines_of(const tally_tx *tx) {
    return tx->type == TALLY_TX_TRANSFER_BATCH ? tx->body.transfer_batch.line_count : 0;
}

bool block_reserve(tally_block *block, uint32_t count) {
    assert(block != NULL);
    assert(count <= TALLY_BLOCK_TXS_MAX);
    if (count <= block->capacity) return true;
    /* Grow to the next power of two: a node refilling one block never reallocates
     * once it has seen its largest block. */
    uint32_t capacity = block->capacity < 16 ? 16 : block->capacity;
    while (capacity < count) capacity *= 2;
    if (capacity > TALLY_BLOCK_TXS_MAX) capacity = TALLY_BLOCK_TXS_MAX;
    tally_tx *txs = realloc(block->txs, (size_t)capacity * sizeof *txs);
    if (txs == NULL) return false;
    block->txs = txs;
    tally_result *results = realloc(block->results, (size_t)capacity * sizeof *results);
    if (results == NULL) return false;
    block->results = results;
    block->capacity = capacity;
    return true;
}

bool block_reserve_events(tally_block *block, uint32_t count) {
    assert(block != NULL);
    assert(count <= TALLY_BLOCK_EVENTS_MAX);
    if (count <= block->event_capacity) return true;
    uint32_t capacity = block->event_capacity < 16 ? 16 : block->event_capacity;
    while (capacity < count) capacity *= 2;
    if (capacity > TALLY_BLOCK_EVENTS_MAX) capacity = TALLY_BLOCK_EVENTS_MAX;
    tally_event *events = realloc(block->events, (size_t)capacity * sizeof *events);
    if (events == NULL) return false;
    block->events = events;
    block->event_capacity = capacity;
    return true;
}

bool chain_name_is_valid(const char *name, size_t length) {
    return name != NULL && length > 0 && length <= TALLY_NAME_MAX && tally_text_is_valid(name, length);
}

size_t chain_rules_encode(const tally_chain_rules *rules, uint8_t *out) {
    size_t position = 0;
    out[position++] = rules->growth_mode;
    le_store_u16(out + position, rules->networks_per_key_per_day);
    le_store_u16(out + position + 2, rules->assets_per_key_per_day);
    position += 4;
    out[position++] = rules->dev_chain;
    out[position++] = rules->validator_count;
    for (uint8_t i = 0; i < rules->validator_count && i < TALLY_VALIDATORS_MAX; i++) {
        memcpy(out + position, rules->validators[i].bytes, TALLY_KEY_BYTES);
        position += TALLY_KEY_BYTES;
    }
    return position;
}

bool chain_rules_are_valid_for_genesis(const tally_chain_rules *rules) {
    /* A genesis names its validators; changes of the set come later, from them. */
    return tally_chain_rules_validate(rules) == TALLY_OK && rules->validator_count >= 1 &&
           rules->validator_changes == 0;
}

/* Reads the genesis chain rules at bytes[*position]. */
static tally_chain_error decode_rules(const uint8_t *bytes, size_t length, size_t *position,
                                      tally_chain_rules *rules) {
    memset(rules, 0, sizeof *rules);
    if (length - *position < CHAIN_RULES_FIXED_BYTES) return TALLY_CHAIN_ERR_DECODE_TRUNCATED;
    const uint8_t *in = bytes + *position;
    rules->growth_mode = in[0];
    rules->networks_per_key_per_day = le_load_u16(in + 1);
    rules->assets_per_key_per_day = le_load_u16(in + 3);
    rules->dev_chain = in[5];
    rules->validator_count = in[6];
    if (rules->validator_count > TALLY_VALIDATORS_MAX) return TALLY_CHAIN_ERR_DECODE_BAD_RULES;
    size_t keys = (size_t)rules->validator_count * TALLY_KEY_BYTES;
    if (length - *position - CHAIN_RULES_FIXED_BYTES < keys) return TALLY_CHAIN_ERR_DECODE_TRUNCATED;
    for (uint8_t i = 0; i < rules->validator_count; i++)
        memcpy(rules->validators[i].bytes, in + CHAIN_RULES_FIXED_BYTES + (size_t)i * TALLY_KEY_BYTES, TALLY_KEY_BYTES);
    if (!chain_rules_are_valid_for_genesis(rules)) return TALLY_CHAIN_ERR_DECODE_BAD_RULES;
    *position += CHAIN_RULES_FIXED_BYTES + keys;
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Header.                                                                   */
/* ------------------------------------------------------------------------ */

void tally_block_header_encode(const tally_block_header *header,
                               uint8_t out[TALLY_BLOCK_HEADER_BYTES]) {
    assert(header != NULL && out != NULL);
    out[HEADER_VERSION] = header->version;
    le_store_u64(out + HEADER_HEIGHT, header->height);
    memcpy(out + HEADER_PREV_HASH, header->prev_hash, TALLY_HASH_BYTES);
    le_store_u64(out + HEADER_BLOCK_TIME, (uint64_t)header->block_time);
    le_store_u32(out + HEADER_TX_COUNT, header->tx_count);
    memcpy(out + HEADER_TX_ROOT, header->tx_root, TALLY_HASH_BYTES);
    memcpy(out + HEADER_RESULTS_ROOT, header->results_root, TALLY_HASH_BYTES);
    memcpy(out + HEADER_STATE_HASH, header->state_hash, TALLY_HASH_BYTES);
    memcpy(out + HEADER_PRODUCER, header->producer.bytes, TALLY_KEY_BYTES);
    memcpy(out + HEADER_SIGNATURE, header->signature, TALLY_SIGNATURE_BYTES);
}

tally_chain_error tally_block_header_decode(const uint8_t *bytes, size_t length,
                                            tally_block_header *header) {
    assert(header != NULL);
    assert(bytes != NULL || length == 0);
    memset(header, 0, sizeof *header);
    if (length < TALLY_BLOCK_HEADER_BYTES) return TALLY_CHAIN_ERR_DECODE_TRUNCATED;
    if (length > TALLY_BLOCK_HEADER_BYTES) return TALLY_CHAIN_ERR_DECODE_TRAILING_BYTES;
    header->version = bytes[HEADER_VERSION];
    if (header->version != TALLY_BLOCK_VERSION) return TALLY_CHAIN_ERR_DECODE_BAD_VERSION;
    header->height = le_load_u64(bytes + HEADER_HEIGHT);
    memcpy(header->prev_hash, bytes + HEADER_PREV_HASH, TALLY_HASH_BYTES);
    header->block_time = (int64_t)le_load_u64(bytes + HEADER_BLOCK_TIME);
    header->tx_count = le_load_u32(bytes + HEADER_TX_COUNT);
    if (header->tx_count > TALLY_BLOCK_TXS_MAX) return TALLY_CHAIN_ERR_DECODE_TOO_MANY_TXS;
    memcpy(header->tx_root, bytes + HEADER_TX_ROOT, TALLY_HASH_BYTES);
    memcpy(header->results_root, bytes + HEADER_RESULTS_ROOT, TALLY_HASH_BYTES);
    memcpy(header->state_hash, bytes + HEADER_STATE_HASH, TALLY_HASH_BYTES);
    memcpy(header->producer.bytes, bytes + HEADER_PRODUCER, TALLY_KEY_BYTES);
    memcpy(header->signature, bytes + HEADER_SIGNATURE, TALLY_SIGNATURE_BYTES);
    return TALLY_CHAIN_OK;
}

void tally_block_hash(const tally_block_header *header, uint8_t out[TALLY_HASH_BYTES]) {
    assert(header != NULL && out != NULL);
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(header, bytes);
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, sizeof bytes, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Results.                                                                  */
/* ------------------------------------------------------------------------ */

enum { RESULT_AMOUNTS = 10, RESULT_LINE = 6 + 8 * RESULT_AMOUNTS };
_Static_assert(TALLY_RESULT_BYTES == 2u + 4u + 8u * RESULT_AMOUNTS + 2u, "every field of a result is encoded");

void tally_result_encode(const tally_result *result, uint8_t out[TALLY_RESULT_BYTES]) {
    assert(result != NULL && out != NULL);
    le_store_u16(out, (uint16_t)result->code);
    le_store_u32(out + 2, result->created_id);
    const int64_t amounts[RESULT_AMOUNTS] = {result->minted,     result->burned,    result->fee,
                                             result->risk_fee,   result->reserve,   result->shares,
                                             result->to_primary, result->to_excess, result->available,
                                             result->effective_at};
    for (unsigned i = 0; i < RESULT_AMOUNTS; i++) le_store_u64(out + 6 + 8 * i, (uint64_t)amounts[i]);
    le_store_u16(out + RESULT_LINE, result->line);
}

bool tally_result_decode(const uint8_t in[TALLY_RESULT_BYTES], tally_result *result) {
    assert(in != NULL && result != NULL);
    memset(result, 0, sizeof *result);
    uint16_t code = le_load_u16(in);
    if (code >= TALLY_ERROR_COUNT) return false;
    result->code = (tally_error)code;
    result->created_id = le_load_u32(in + 2);
    int64_t *const amounts[RESULT_AMOUNTS] = {&result->minted,     &result->burned,    &result->fee,
                                              &result->risk_fee,   &result->reserve,   &result->shares,
                                              &result->to_primary, &result->to_excess, &result->available,
                                              &result->effective_at};
    for (unsigned i = 0; i < RESULT_AMOUNTS; i++) *amounts[i] = (int64_t)le_load_u64(in + 6 + 8 * i);
    result->line = le_load_u16(in + RESULT_LINE);
    return result->line <= TALLY_BATCH_LINES_MAX;
}

/* ------------------------------------------------------------------------ */
/* Events.                                                                   */
/* ------------------------------------------------------------------------ */

void tally_event_encode(const tally_event *event, uint8_t out[TALLY_EVENT_BYTES]) {
    assert(event != NULL && out != NULL);
    out[0] = event->kind;
    le_store_u32(out + 1, event->network_id);
    memcpy(out + 5, event->member.bytes, TALLY_KEY_BYTES);
    le_store_u64(out + 5 + TALLY_KEY_BYTES, (uint64_t)event->amount);
    le_store_u64(out + 13 + TALLY_KEY_BYTES, (uint64_t)event->time);
}

bool tally_event_decode(const uint8_t in[TALLY_EVENT_BYTES], tally_event *event) {
    assert(in != NULL && event != NULL);
    memset(event, 0, sizeof *event);
    event->kind = in[0];
    event->network_id = le_load_u32(in + 1);
    memcpy(event->member.bytes, in + 5, TALLY_KEY_BYTES);
    event->amount = (int64_t)le_load_u64(in + 5 + TALLY_KEY_BYTES);
    event->time = (int64_t)le_load_u64(in + 13 + TALLY_KEY_BYTES);
    if (tally_event_kind_name(event->kind) == NULL || event->network_id == 0) return false;
    /* One encoding per event: a network's event names no member. */
    static const tally_key zero;
    if (!tally_event_kind_has_member(event->kind) && memcmp(event->member.bytes, zero.bytes, TALLY_KEY_BYTES) != 0)
        return false;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Whole blocks.                                                             */
/* ------------------------------------------------------------------------ */

size_t tally_block_encoded_size(const tally_block *block) {
    assert(block != NULL);
    const tally_block_header *header = &block->header;
    if (header->tx_count > TALLY_BLOCK_TXS_MAX) return 0;
    assert(header->tx_count == 0 || (block->txs != NULL && block->results != NULL));
    size_t size = TALLY_BLOCK_HEADER_BYTES;
    if (header->height == 0) {
        if (!chain_name_is_valid(block->name, block->name_length)) return 0;
        if (!chain_rules_are_valid_for_genesis(&block->rules)) return 0;
        size += 2u + block->name_length + CHAIN_RULES_FIXED_BYTES +
                (size_t)block->rules.validator_count * TALLY_KEY_BYTES;
    }
    uint64_t lines = 0;
    for (uint32_t i = 0; i < header->tx_count; i++) {
        size_t tx_size = tally_tx_encoded_size(&block->txs[i]);
        if (tx_size == 0) return 0;
        lines += block_lines_of(&block->txs[i]);
        size += 2u + tx_size + TALLY_RESULT_BYTES;
    }
    if (lines > TALLY_BLOCK_LINES_MAX) return 0;
    if (block->event_count > TALLY_BLOCK_EVENTS_MAX) return 0;
    assert(block->event_count == 0 || block->events != NULL);
    size += 4u + (size_t)block->event_count * TALLY_EVENT_BYTES;
    assert(size <= TALLY_BLOCK_ENCODED_MAX);
    return size;
}

size_t tally_block_encode(const tally_block *block, uint8_t *out, size_t out_size) {
    size_t size = tally_block_encoded_size(block);
    if (size == 0 || size > out_size) return 0;
    assert(out != NULL);
    const tally_block_header *header = &block->header;
    tally_block_header_encode(header, out);
    size_t position = TALLY_BLOCK_HEADER_BYTES;
    if (header->height == 0) {
        le_store_u16(out + position, block->name_length);
        memcpy(out + position + 2, block->name, block->name_length);
        position += 2u + block->name_length;
        position += chain_rules_encode(&block->rules, out + position);
    }
    for (uint32_t i = 0; i < header->tx_count; i++) {
        size_t length = tally_tx_encode(&block->txs[i], out + position + 2, size - position - 2);
        assert(length > 0 && length <= TALLY_TX_ENCODED_MAX);
        le_store_u16(out + position, (uint16_t)length);
        position += 2u + length;
    }
    for (uint32_t i = 0; i < header->tx_count; i++) {
        tally_result_encode(&block->results[i], out + position);
        position += TALLY_RESULT_BYTES;
    }
    le_store_u32(out + position, block->event_count);
    position += 4u;
    for (uint32_t i = 0; i < block->event_count; i++) {
        tally_event_encode(&block->events[i], out + position);
        position += TALLY_EVENT_BYTES;
    }
    assert(position == size);
    return position;
}

/* Reads the genesis name at bytes[*position]. */
static tally_chain_error decode_name(const uint8_t *bytes, size_t length, size_t *position,
                                     tally_block *block) {
    if (length - *position < 2) return TALLY_CHAIN_ERR_DECODE_TRUNCATED;
    uint16_t name_length = le_load_u16(bytes + *position);
    if (name_length == 0 || name_length > TALLY_NAME_MAX) return TALLY_CHAIN_ERR_DECODE_BAD_NAME;
    if (length - *position - 2 < name_length) return TALLY_CHAIN_ERR_DECODE_TRUNCATED;
    if (!chain_name_is_valid((const char *)bytes + *position + 2, name_length))
        return TALLY_CHAIN_ERR_DECODE_BAD_NAME;
    memcpy(block->name, bytes + *position + 2, name_length);
    block->name_length = name_length;
    *position += 2u + name_length;
    return TALLY_CHAIN_OK;
}

/* Reads tx_count length-prefixed transactions at bytes[*position]; *decoded says
 * how many hold lines to free, on error too. */
static tally_chain_error decode_txs(const uint8_t *bytes, size_t length, size_t *position,
                                    tally_block *block, uint32_t *decoded, tally_chain_failure *failure) {
    uint64_t height = block->header.height;
    uint64_t lines = 0;
    for (uint32_t i = 0; i < block->header.tx_count; i++) {
        if (length - *position < 2)
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, i, NULL);
        uint16_t tx_length = le_load_u16(bytes + *position);
        if (tx_length == 0 || tx_length > TALLY_TX_ENCODED_MAX)
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_TX_LENGTH, height, i,
                              "a transaction length of %u bytes is out of range", tx_length);
        if (length - *position - 2 < tx_length)
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, i, NULL);
        tally_error code = tally_tx_decode(bytes + *position + 2, tx_length, &block->txs[i]);
        if (code != TALLY_OK) {
            chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_TX, height, i,
                       "the transaction does not decode: %s", tally_error_name(code));
            if (failure != NULL) failure->tx_code = code;
            return TALLY_CHAIN_ERR_DECODE_BAD_TX;
        }
        *decoded = i + 1;
        lines += block_lines_of(&block->txs[i]);
        if (lines > TALLY_BLOCK_LINES_MAX)
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TOO_MANY_LINES, height, i,
                              "the batches up to this one hold %" PRIu64 " lines", lines);
        *position += 2u + tx_length;
    }
    return TALLY_CHAIN_OK;
}

static tally_chain_error decode_results(const uint8_t *bytes, size_t length, size_t *position,
                                        tally_block *block, tally_chain_failure *failure) {
    uint64_t height = block->header.height;
    for (uint32_t i = 0; i < block->header.tx_count; i++) {
        if (length - *position < TALLY_RESULT_BYTES)
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, i, NULL);
        if (!tally_result_decode(bytes + *position, &block->results[i]))
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_RESULT, height, i, NULL);
        *position += TALLY_RESULT_BYTES;
    }
    return TALLY_CHAIN_OK;
}

static tally_chain_error decode_events(const uint8_t *bytes, size_t length, size_t *position,
                                       tally_block *block, tally_chain_failure *failure) {
    uint64_t height = block->header.height;
    if (length - *position < 4) return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, TALLY_NO_TX, NULL);
    uint32_t count = le_load_u32(bytes + *position);
    *position += 4u;
    if (count > TALLY_BLOCK_EVENTS_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_EVENT, height, TALLY_NO_TX,
                          "%u events are more than a block's end makes", count);
    if ((length - *position) / TALLY_EVENT_BYTES < count)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, TALLY_NO_TX,
                          "%u events cannot fit in the %zu bytes left", count, length - *position);
    if (!block_reserve_events(block, count))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    for (uint32_t i = 0; i < count; i++) {
        if (!tally_event_decode(bytes + *position, &block->events[i]))
            return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_EVENT, height, TALLY_NO_TX,
                              "event %u is of an unknown kind or holds a value it cannot", i);
        *position += TALLY_EVENT_BYTES;
    }
    block->event_count = count;
    return TALLY_CHAIN_OK;
}

static tally_chain_error decode_block(const uint8_t *bytes, size_t length, tally_block *block,
                                      uint32_t *decoded, tally_chain_failure *failure) {
    assert(bytes != NULL || length == 0);
    block->name_length = 0;
    memset(block->name, 0, sizeof block->name);
    memset(&block->rules, 0, sizeof block->rules);
    size_t header_length = length < TALLY_BLOCK_HEADER_BYTES ? length : TALLY_BLOCK_HEADER_BYTES;
    tally_chain_error error = tally_block_header_decode(bytes, header_length, &block->header);
    if (error != TALLY_CHAIN_OK) return chain_fail(failure, error, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    uint64_t height = block->header.height;
    size_t position = TALLY_BLOCK_HEADER_BYTES;
    if (height == 0) {
        error = decode_name(bytes, length, &position, block);
        if (error == TALLY_CHAIN_OK) error = decode_rules(bytes, length, &position, &block->rules);
        if (error != TALLY_CHAIN_OK) return chain_fail(failure, error, height, TALLY_NO_TX, NULL);
    }
    uint32_t count = block->header.tx_count;
    if ((length - position) / TX_WIRE_BYTES_MIN < count)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRUNCATED, height, TALLY_NO_TX,
                          "%u transactions cannot fit in the %zu bytes left", count, length - position);
    if (!block_reserve(block, count))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    error = decode_txs(bytes, length, &position, block, decoded, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = decode_results(bytes, length, &position, block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = decode_events(bytes, length, &position, block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    if (position != length)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TRAILING_BYTES, height, TALLY_NO_TX,
                          "%zu bytes after the end of the block", length - position);
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_block_decode(const uint8_t *bytes, size_t length, tally_block *block,
                                     tally_chain_failure *failure) {
    assert(block != NULL);
    /* The lines of what the block held go first: the header's count is replaced. */
    block_release_lines(block);
    block->header.tx_count = 0;
    block->event_count = 0;
    uint32_t decoded = 0;
    tally_chain_error error = decode_block(bytes, length, block, &decoded, failure);
    /* A half-decoded block must not claim transactions it does not hold, nor keep
     * the lines of those it decoded. */
    if (error != TALLY_CHAIN_OK) {
        for (uint32_t i = 0; i < decoded; i++) tally_tx_release(&block->txs[i]);
        block->header.tx_count = 0;
        block->event_count = 0;
    }
    return error;
}
