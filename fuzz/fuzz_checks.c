/*
 * fuzz_checks.c: the per-input checks of the fuzzers (fuzz_checks.h), against the
 * fixed world of fuzz_world.c. Everything an input allocates is freed before the
 * check returns, so the leak sanitizer watches the code under test too.
 */
#include "fuzz_checks.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/tx_fields.h"
#include "fuzz_world.h"
#include "node/submission.h"
#include "tally.h"
#include "tally_chain.h"

#define HALF_DAY_SECONDS (12 * 60 * 60)
#define FAR_TIME_FIRST 0xf0u
#define FAR_TIME_STEP_SECONDS (5 * 24 * 60 * 60)
#define TX_CONTROL_BYTES 3u
#define ENVELOPE_REPLACE 0x80u
#define ENVELOPE_END_BLOCK 0x40u
#define ENVELOPE_SIGNED 0x20u
#define TARGET_REPLACE 0x80u
#define ACTOR_BITS 0x07u

_Static_assert(FUZZ_ACTORS == ACTOR_BITS + 1, "three bits pick an actor");

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *format, ...) {
    if (why && why_size) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(why, why_size, format, arguments);
        va_end(arguments);
    }
    return false;
}

/* The state serializes, the bytes load, and load back to the same bytes: any state
 * the core can reach must survive a snapshot. */
static bool snapshot_round_trip(const tally_state *state, char *why, size_t why_size) {
    size_t length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(length);
    if (!bytes || tally_state_serialize(state, bytes, length) != length) {
        free(bytes);
        return fail(why, why_size, "the state does not serialize (%zu bytes)", length);
    }
    tally_error error;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    bool ok = loaded != NULL;
    if (!ok) {
        fail(why, why_size, "a state the core reached does not load from its snapshot: %s", tally_error_name(error));
    } else {
        size_t again_length = tally_state_serialized_size(loaded);
        uint8_t *again = malloc(again_length);
        ok = again && again_length == length && tally_state_serialize(loaded, again, again_length) == length &&
             memcmp(again, bytes, length) == 0;
        if (!ok) fail(why, why_size, "a loaded snapshot serializes to other bytes");
        free(again);
        tally_state_destroy(loaded);
    }
    free(bytes);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Transactions.                                                             */
/* ------------------------------------------------------------------------ */

/* Every key field, a batch's payees included; a batch's lines alternate between
 * the key and what they named, so repeated payees and strangers stay. A change of
 * the validator set gets the key as its first new one (when it adds any): the slots
 * past add_count stay as they were, zero in the vectors, so it adds that member. */
static void replace_key_fields(tally_tx *tx, const tally_key *key) {
    if (tx->type == TALLY_TX_VALIDATOR_PROPOSE) {
        if (tx->body.validator_propose.add_count > 0) tx->body.validator_propose.add[0] = *key;
        return;
    }
    const tally_tx_layout *layout = tally_tx_layout_of(tx->type);
    if (!layout) return;
    for (unsigned i = 0; i < layout->field_count; i++) {
        const tally_field *field = &layout->fields[i];
        if (field->kind == TALLY_FIELD_KEY) memcpy((uint8_t *)tx + field->offset, key->bytes, TALLY_KEY_BYTES);
        if (field->kind != TALLY_FIELD_ITEMS) continue;
        uint16_t count;
        uint8_t *items;
        memcpy(&count, (uint8_t *)tx + field->offset, sizeof count);
        memcpy(&items, (uint8_t *)tx + field->items_offset, sizeof items);
        for (uint16_t k = 0; items && k < count; k += 2)
            for (unsigned f = 0; f < field->item_field_count; f++)
                if (field->item_fields[f].kind == TALLY_FIELD_KEY)
                    memcpy(items + (size_t)k * field->item_size + field->item_fields[f].offset, key->bytes,
                           TALLY_KEY_BYTES);
    }
}

static bool check_applied(tally_state *state, const tally_tx *tx, int64_t block_time, uint8_t envelope,
                          const fuzz_world *world, char *why, size_t why_size) {
    uint64_t sequence_before = tally_state_next_sequence(state, &tx->signer);
    /* what a node asks before the signature; it must never refuse what applies */
    tally_error admissible = tally_tx_admissible(state, tx, block_time);
    tally_result result = (envelope & ENVELOPE_SIGNED) ? tally_apply_signed(state, tx, block_time)
                                                       : tally_apply(state, tx, block_time);
    const char *type = tally_tx_type_name(tx->type);
    char invariant[256];
    if (result.code >= TALLY_ERROR_COUNT)
        return fail(why, why_size, "%s returned code %d, not a tally_error", type, (int)result.code);
    if (admissible != TALLY_OK && result.code == TALLY_OK)
        return fail(why, why_size, "%s was found inadmissible (%s) but the rules accept it", type,
                    tally_error_name(admissible));
    if (!tally_check_invariants(state, invariant, sizeof invariant))
        return fail(why, why_size, "%s (%s) broke an invariant: %s", type, tally_error_name(result.code), invariant);
    uint64_t sequence_after = tally_state_next_sequence(state, &tx->signer);
    if (result.code != TALLY_OK) {
        uint8_t hash[TALLY_HASH_BYTES];
        if (!tally_state_hash(state, hash)) return fail(why, why_size, "out of memory");
        if (memcmp(hash, world->state_hash, TALLY_HASH_BYTES) != 0)
            return fail(why, why_size, "%s refused with %s changed the state", type, tally_error_name(result.code));
    } else if (sequence_after != sequence_before + 1) {
        return fail(why, why_size, "%s accepted moved the sequence from %llu to %llu", type,
                    (unsigned long long)sequence_before, (unsigned long long)sequence_after);
    }
    if (envelope & ENVELOPE_END_BLOCK) {
        (void)tally_end_block(state, block_time);
        if (!tally_check_invariants(state, invariant, sizeof invariant))
            return fail(why, why_size, "the end of the block after %s broke an invariant: %s", type, invariant);
    }
    return snapshot_round_trip(state, why, why_size);
}

static bool check_decoded_tx(tally_tx *tx_in, const uint8_t *bytes, size_t length, uint8_t envelope, uint8_t target,
                             uint8_t when, const fuzz_world *world, char *why, size_t why_size);

bool fuzz_check_tx(const uint8_t *data, size_t size, char *why, size_t why_size) {
    const fuzz_world *world = fuzz_world_get();
    if (size < TX_CONTROL_BYTES) return true;
    uint8_t envelope = data[0], target = data[1], when = data[2];
    const uint8_t *bytes = data + TX_CONTROL_BYTES;
    size_t length = size - TX_CONTROL_BYTES;

    tally_tx tx;
    if (tally_tx_decode(bytes, length, &tx) != TALLY_OK) return true;
    bool ok = check_decoded_tx(&tx, bytes, length, envelope, target, when, world, why, why_size);
    tally_tx_release(&tx); /* a batch's lines */
    return ok;
}

static bool check_decoded_tx(tally_tx *tx_in, const uint8_t *bytes, size_t length, uint8_t envelope, uint8_t target,
                             uint8_t when, const fuzz_world *world, char *why, size_t why_size) {
    tally_tx tx = *tx_in; /* shares a batch's lines with *tx_in, which the caller frees */
    uint8_t *encoded = malloc(TALLY_TX_ENCODED_MAX);
    if (!encoded) return fail(why, why_size, "out of memory");
    size_t encoded_length = tally_tx_encode(&tx, encoded, TALLY_TX_ENCODED_MAX);
    bool canonical = encoded_length == length && memcmp(encoded, bytes, length) == 0;
    free(encoded);
    if (!canonical)
        return fail(why, why_size, "a %zu-byte %s decodes but re-encodes to %zu other bytes: not canonical", length,
                    tally_tx_type_name(tx.type), encoded_length);
    if (tally_tx_encoded_size(&tx) != length)
        return fail(why, why_size, "tally_tx_encoded_size says %zu for a %zu-byte encoding", tally_tx_encoded_size(&tx),
                    length);

    tally_state *state = fuzz_world_state(world);
    if (envelope & ENVELOPE_REPLACE) {
        memcpy(tx.chain_id, tally_state_chain_id(state), TALLY_CHAIN_ID_BYTES);
        tx.signer = world->actors[envelope & ACTOR_BITS].key;
        tx.sequence = tally_state_next_sequence(state, &tx.signer);
    }
    if (target & TARGET_REPLACE) replace_key_fields(&tx, &world->actors[target & ACTOR_BITS].key);
    /* Signed by the prepared member it now names (the system actor has no key). */
    if ((envelope & ENVELOPE_SIGNED) && (envelope & ENVELOPE_REPLACE) && (envelope & ACTOR_BITS) != FUZZ_SYSTEM_ACTOR)
        tally_tx_sign(&tx, world->actors[envelope & ACTOR_BITS].secret);
    int64_t block_time = world->state_time + (int64_t)when * HALF_DAY_SECONDS;
    /* The last values: a chain near the end of time, where every period saturates. */
    if (when >= FAR_TIME_FIRST) block_time = INT64_MAX - (int64_t)(UINT8_MAX - when) * FAR_TIME_STEP_SECONDS;
    bool ok = check_applied(state, &tx, block_time, envelope, world, why, why_size);
    tally_state_destroy(state);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Blocks.                                                                   */
/* ------------------------------------------------------------------------ */

/* Applies a block that passed tally_block_check to the genesis state; when it is
 * accepted the invariants hold. */
static bool apply_to_genesis(const tally_block *block, const fuzz_world *world, char *why, size_t why_size) {
    tally_state *state = fuzz_world_genesis_state(world);
    tally_chain_tip tip = world->genesis_tip;
    tally_chain_failure failure;
    bool ok = true;
    char invariant[256];
    if (tally_block_apply(state, &tip, block, &failure) == TALLY_CHAIN_OK &&
        !tally_check_invariants(state, invariant, sizeof invariant))
        ok = fail(why, why_size, "an accepted block broke an invariant: %s", invariant);
    tally_state_destroy(state);
    return ok;
}

static bool check_decoded_block(const tally_block *block, const uint8_t *data, size_t size,
                                const fuzz_world *world, char *why, size_t why_size) {
    size_t encoded_size = tally_block_encoded_size(block);
    if (encoded_size != size)
        return fail(why, why_size, "a %zu-byte block decodes but its encoding takes %zu bytes: not canonical", size,
                    encoded_size);
    uint8_t *encoded = malloc(size);
    if (!encoded) return fail(why, why_size, "out of memory");
    bool same = tally_block_encode(block, encoded, size) == size && memcmp(encoded, data, size) == 0;
    free(encoded);
    if (!same) return fail(why, why_size, "a %zu-byte block decodes but re-encodes to other bytes: not canonical", size);

    tally_chain_failure failure;
    if (tally_block_check(&world->genesis_tip, block, &failure) == TALLY_CHAIN_OK)
        return apply_to_genesis(block, world, why, why_size);
    /* A next block that fails on its seal: what its producer could sign instead.
     * Sealed again, it reaches the checks of every transaction, result and state. */
    const tally_block_header *header = &block->header;
    if (header->height != world->genesis_tip.height + 1 ||
        memcmp(header->prev_hash, world->genesis_tip.hash, TALLY_HASH_BYTES) != 0 ||
        header->block_time < world->genesis_tip.block_time ||
        memcmp(header->producer.bytes, world->genesis_tip.producer.bytes, TALLY_KEY_BYTES) != 0)
        return true;
    tally_block sealed = *block; /* shares the arrays; only the header changes */
    if (!tally_block_tx_root(sealed.txs, sealed.header.tx_count, sealed.header.tx_root))
        return fail(why, why_size, "a decoded block's transactions do not encode");
    tally_block_results_root(sealed.results, sealed.header.tx_count, sealed.events, sealed.event_count,
                             sealed.header.results_root);
    uint8_t header_bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(&sealed.header, header_bytes);
    crypto_sign_detached(sealed.header.signature, NULL, header_bytes, TALLY_BLOCK_SIGNED_BYTES,
                         world->producer_secret);
    tally_chain_error sealed_check = tally_block_check(&world->genesis_tip, &sealed, &failure);
    if (sealed_check != TALLY_CHAIN_OK && sealed_check != TALLY_CHAIN_ERR_RESULT_NOT_OK)
        return fail(why, why_size, "a block sealed again still fails its seal: %s",
                    tally_chain_error_name(sealed_check));
    if (sealed_check != TALLY_CHAIN_OK) return true;
    return apply_to_genesis(&sealed, world, why, why_size);
}

bool fuzz_check_block(const uint8_t *data, size_t size, char *why, size_t why_size) {
    const fuzz_world *world = fuzz_world_get();
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    bool ok = true;
    if (tally_block_decode(data, size, &block, &failure) == TALLY_CHAIN_OK)
        ok = check_decoded_block(&block, data, size, world, why, why_size);
    else if (block.header.tx_count != 0)
        ok = fail(why, why_size, "a block that does not decode claims %u transactions", block.header.tx_count);
    tally_block_release(&block);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Snapshots.                                                                */
/* ------------------------------------------------------------------------ */

bool fuzz_check_snapshot(const uint8_t *data, size_t size, char *why, size_t why_size) {
    (void)fuzz_world_get(); /* libsodium, for the hash */
    tally_error error = TALLY_OK;
    tally_state *state = tally_state_deserialize(data, size, &error);
    if (!state) {
        if (error == TALLY_OK) return fail(why, why_size, "a refused snapshot says OK");
        return true;
    }
    bool ok = true;
    char invariant[256];
    if (error != TALLY_OK) ok = fail(why, why_size, "a loaded snapshot says %s", tally_error_name(error));
    if (ok && !tally_check_invariants(state, invariant, sizeof invariant))
        ok = fail(why, why_size, "a loaded snapshot breaks an invariant: %s", invariant);
    if (ok) {
        size_t length = tally_state_serialized_size(state);
        uint8_t *bytes = malloc(length);
        if (!bytes) {
            ok = fail(why, why_size, "out of memory");
        } else if (length != size || tally_state_serialize(state, bytes, length) != length ||
                   memcmp(bytes, data, size) != 0) {
            ok = fail(why, why_size, "a %zu-byte snapshot loads but serializes to %zu other bytes: not canonical", size,
                      length);
        }
        free(bytes);
    }
    tally_state_destroy(state);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* HTTP request parsing.                                                     */
/* ------------------------------------------------------------------------ */

static const char *const content_types[4] = {NULL, "application/json", "application/octet-stream",
                                             "application/octet-stream; charset=binary"};

static bool check_refusal(const submission *sub, const submission_refusal *refusal, char *why, size_t why_size) {
    static const char *const codes[] = {"BAD_JSON", "BAD_REQUEST", "BAD_BATCH", "BODY_TOO_LARGE", "OUT_OF_MEMORY"};
    bool known = false;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        known = known || (refusal->code && strcmp(refusal->code, codes[i]) == 0);
    if (!known) return fail(why, why_size, "a refusal with code %s", refusal->code ? refusal->code : "(null)");
    if (refusal->http_status != 400 && refusal->http_status != 413 && refusal->http_status != 503)
        return fail(why, why_size, "a refusal with HTTP status %u", refusal->http_status);
    size_t message_length = strnlen(refusal->message, sizeof refusal->message);
    if (message_length == 0 || message_length == sizeof refusal->message)
        return fail(why, why_size, "a refusal whose message is empty or not terminated");
    if (sub->txs || sub->items || sub->positions || sub->count)
        return fail(why, why_size, "a refused body left a submission behind");
    return true;
}

/* Every item is either decoded (and listed in positions, in order) or refused with
 * a reason; every decoded transaction is canonical. */
static bool check_items(const submission *sub, char *why, size_t why_size) {
    if (sub->count == 0 || sub->count > SUBMISSION_BATCH_MAX || sub->decodable > sub->count)
        return fail(why, why_size, "a submission of %zu items, %u decodable", sub->count, sub->decodable);
    uint32_t decoded = 0;
    for (size_t i = 0; i < sub->count; i++) {
        const submission_item *item = &sub->items[i];
        if (item->decoded) {
            if (decoded >= sub->decodable || sub->positions[decoded] != i || item->code != TALLY_OK ||
                item->node_error)
                return fail(why, why_size, "decoded item %zu is not at its position", i);
            decoded++;
        } else if ((item->node_error == NULL) == (item->code == TALLY_OK)) {
            return fail(why, why_size, "refused item %zu gives no reason, or two", i);
        } else if (item->node_error && strcmp(item->node_error, "BAD_HEX") != 0) {
            return fail(why, why_size, "refused item %zu says %s", i, item->node_error);
        }
    }
    if (decoded != sub->decodable) return fail(why, why_size, "%u items decoded, %u listed", decoded, sub->decodable);
    for (uint32_t d = 0; d < sub->decodable; d++) {
        uint8_t encoded[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode(&sub->txs[d], encoded, sizeof encoded);
        tally_tx again;
        bool same = length > 0 && tally_tx_decode(encoded, length, &again) == TALLY_OK;
        if (same) {
            /* A batch's lines are compared by content (tally_tx_equal), the rest as structs. */
            same = sub->txs[d].type == TALLY_TX_TRANSFER_BATCH ? tally_tx_equal(&again, &sub->txs[d])
                                                                : memcmp(&again, &sub->txs[d], sizeof again) == 0;
            tally_tx_release(&again);
        }
        if (!same) return fail(why, why_size, "decoded transaction %u does not survive encoding", d);
    }
    return true;
}

/* The binary form: the frames are the body, and each decoded one re-encodes to its
 * frame. */
static bool check_frames(const submission *sub, const uint8_t *body, size_t length, char *why, size_t why_size) {
    if (sub->is_single) return fail(why, why_size, "a binary body parsed as a single transaction");
    size_t at = 0;
    uint32_t decoded = 0;
    for (size_t i = 0; i < sub->count; i++) {
        if (length - at < 2) return fail(why, why_size, "frame %zu is past the body", i);
        size_t frame_length = (size_t)body[at] | (size_t)body[at + 1] << 8;
        if (length - at - 2 < frame_length) return fail(why, why_size, "frame %zu is past the body", i);
        if (sub->items[i].decoded) {
            uint8_t encoded[TALLY_TX_ENCODED_MAX];
            size_t encoded_length = tally_tx_encode(&sub->txs[decoded++], encoded, sizeof encoded);
            if (encoded_length != frame_length || memcmp(encoded, body + at + 2, frame_length) != 0)
                return fail(why, why_size, "frame %zu decodes but re-encodes to other bytes: not canonical", i);
        }
        at += 2 + frame_length;
    }
    if (at != length) return fail(why, why_size, "%zu bytes of the body are in no frame", length - at);
    return true;
}

/* submission_parse_u64 against a reference: 1 to 20 digits, at most UINT64_MAX. */
static bool check_number(const uint8_t *body, size_t length, char *why, size_t why_size) {
    char text[48];
    size_t text_length = 0;
    while (text_length < length && text_length < sizeof text - 1 && body[text_length] != 0) {
        text[text_length] = (char)body[text_length];
        text_length++;
    }
    text[text_length] = '\0';
    bool digits = text_length >= 1 && text_length <= 20;
    for (size_t i = 0; digits && i < text_length; i++) digits = text[i] >= '0' && text[i] <= '9';
    bool expected = digits && (text_length < 20 || strcmp(text, "18446744073709551615") <= 0);
    uint64_t value = 0;
    bool parsed = submission_parse_u64(text, &value);
    if (parsed != expected)
        return fail(why, why_size, "submission_parse_u64(\"%s\") says %s", text, parsed ? "yes" : "no");
    if (parsed && value != strtoull(text, NULL, 10))
        return fail(why, why_size, "submission_parse_u64(\"%s\") gives %llu", text, (unsigned long long)value);
    return true;
}

bool fuzz_check_http(const uint8_t *data, size_t size, char *why, size_t why_size) {
    (void)fuzz_world_get();
    if (size < 1) return true;
    const char *content_type = content_types[data[0] & 3u];
    const uint8_t *body = size > 1 ? data + 1 : NULL;
    size_t length = size - 1;
    if (!check_number(data + 1, length, why, why_size)) return false;

    submission sub;
    submission_refusal refusal;
    if (!submission_parse(content_type, body, length, &sub, &refusal)) return check_refusal(&sub, &refusal, why, why_size);
    bool ok = check_items(&sub, why, why_size);
    if (ok && submission_is_binary(content_type)) ok = check_frames(&sub, body, length, why, why_size);
    if (ok && sub.is_single && sub.count != 1) ok = fail(why, why_size, "a single submission of %zu items", sub.count);
    /* The JSON form's own bounds: smaller batches, smaller bodies. */
    if (ok && !submission_is_binary(content_type) &&
        (sub.count > SUBMISSION_JSON_BATCH_MAX || length > SUBMISSION_JSON_BODY_MAX))
        ok = fail(why, why_size, "a JSON body of %zu bytes parsed into %zu items", length, sub.count);
    submission_release(&sub);
    return ok;
}
