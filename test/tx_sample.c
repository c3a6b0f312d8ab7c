/*
 * tx_sample.c: seeded random transactions for the tests (tx_sample.h).
 */
#include "tx_sample.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chain/tx_fields.h"

uint64_t sample_next(sample_rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t sample_below(sample_rng *rng, uint64_t bound) {
    assert(bound > 0);
    return sample_next(rng) % bound;
}

static void sample_bytes(sample_rng *rng, uint8_t *out, size_t length) {
    for (size_t i = 0; i < length; i++) out[i] = (uint8_t)sample_next(rng);
}

/* Interesting int64 values more often than their share of 2^64. */
static int64_t sample_i64(sample_rng *rng) {
    static const int64_t edges[] = {0, 1, -1, 127, 128, 255, 256, INT64_MAX, INT64_MIN,
                                    INT64_MAX - 1, INT64_MIN + 1, 1250, -1250};
    uint64_t pick = sample_below(rng, 4);
    if (pick == 0) return edges[sample_below(rng, sizeof edges / sizeof edges[0])];
    uint64_t bits = sample_next(rng);
    int64_t value;
    memcpy(&value, &bits, sizeof value);
    return pick == 1 ? value % 100000 : value;
}

/* A text field at `field` (a tally_text or a tally_batch_memo: u16 length, then the
 * bytes), `limit` bytes at most; the bytes past the length stay zero. */
static void sample_text(sample_rng *rng, uint8_t *field, unsigned limit) {
    /* Pieces of 1 to 4 bytes: ASCII, U+00E9, U+20AC, U+1D11E, U+00A0, U+10FFFF. */
    static const char *const pieces[] = {"a", "Z", " ", "~", "0", "\xc3\xa9", "\xe2\x82\xac",
                                         "\xf0\x9d\x84\x9e", "\xc2\xa0", "\xf4\x8f\xbf\xbf"};
    uint8_t *bytes = field + TALLY_TEXT_BYTES_OFFSET;
    memset(bytes, 0, limit);
    size_t target = (size_t)sample_below(rng, limit + 1u);
    if (sample_below(rng, 8) == 0) target = limit; /* the longest, often */
    size_t length = 0;
    for (unsigned guard = 0; guard < 4u * TALLY_MEMO_MAX && length < target; guard++) {
        const char *piece = pieces[sample_below(rng, sizeof pieces / sizeof pieces[0])];
        size_t piece_length = strlen(piece);
        if (length + piece_length > target) {
            piece = "x";
            piece_length = 1;
        }
        memcpy(bytes + length, piece, piece_length);
        length += piece_length;
    }
    uint16_t stored = (uint16_t)length;
    memcpy(field, &stored, sizeof stored);
}

static void sample_fields(sample_rng *rng, const tally_field *fields, unsigned count, uint8_t *base) {
    for (unsigned i = 0; i < count; i++) {
        const tally_field *field = &fields[i];
        uint8_t *target = base + field->offset;
        switch (field->kind) {
        case TALLY_FIELD_I64: {
            int64_t value = sample_i64(rng);
            memcpy(target, &value, sizeof value);
            break;
        }
        case TALLY_FIELD_U32: {
            uint32_t value = (uint32_t)sample_next(rng);
            if (sample_below(rng, 2)) value %= 20000u;
            memcpy(target, &value, sizeof value);
            break;
        }
        case TALLY_FIELD_U8:
            *target = (uint8_t)(field->limit ? sample_below(rng, field->limit) : sample_next(rng));
            break;
        case TALLY_FIELD_BOOL: {
            bool value = sample_below(rng, 2) == 1;
            memcpy(target, &value, sizeof value);
            break;
        }
        case TALLY_FIELD_KEY: sample_bytes(rng, target, TALLY_KEY_BYTES); break;
        case TALLY_FIELD_TEXT: sample_text(rng, target, field->limit); break;
        default: {
            assert(field->kind == TALLY_FIELD_ITEMS);
            /* Mostly a few items, sometimes the most: the codec tests run hundreds. */
            uint16_t items = (uint16_t)(sample_below(rng, 16) == 0 ? field->limit : 1 + sample_below(rng, 4));
            uint8_t *item = calloc(items, field->item_size);
            assert(item != NULL);
            memcpy(target, &items, sizeof items);
            memcpy(base + field->items_offset, &item, sizeof item);
            for (uint16_t k = 0; k < items; k++)
                sample_fields(rng, field->item_fields, field->item_field_count, item + (size_t)k * field->item_size);
            break;
        }
        }
    }
}

/* A proposal's action of a random kind: its own fields random (as sample_fields
 * left them), every other field zero, as a decodable one must be. */
static void sample_action(sample_rng *rng, tally_proposal_action *action) {
    static const uint8_t kinds[] = {TALLY_TX_POLICY_UPDATE,   TALLY_TX_PEG_SET,        TALLY_TX_OPERATOR_ADD,
                                    TALLY_TX_OPERATOR_REMOVE, TALLY_TX_GATEWAY_PROPOSE, TALLY_TX_GATEWAY_ACCEPT,
                                    TALLY_TX_GATEWAY_UPDATE,  TALLY_TX_GATEWAY_FREEZE, TALLY_TX_GATEWAY_CLOSE,
                                    TALLY_TX_MEMBER_SUSPEND,  TALLY_TX_MEMBER_REINSTATE};
    tally_proposal_action random = *action, kept;
    memset(&kept, 0, sizeof kept);
    kept.type = kinds[sample_below(rng, sizeof kinds)];
    switch ((tally_tx_type)kept.type) {
    case TALLY_TX_POLICY_UPDATE: kept.policy = random.policy; break;
    case TALLY_TX_PEG_SET:
        kept.asset_id = random.asset_id;
        kept.peg_reserve_units = random.peg_reserve_units;
        kept.peg_credit_units = random.peg_credit_units;
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE: kept.key = random.key; break;
    case TALLY_TX_GATEWAY_PROPOSE: kept.partner_id = random.partner_id, kept.terms = random.terms; break;
    case TALLY_TX_GATEWAY_ACCEPT: kept.gateway_id = random.gateway_id, kept.terms = random.terms; break;
    case TALLY_TX_GATEWAY_UPDATE: kept.gateway_id = random.gateway_id, kept.terms.side[0] = random.terms.side[0]; break;
    case TALLY_TX_GATEWAY_FREEZE: kept.gateway_id = random.gateway_id, kept.frozen = random.frozen; break;
    default: kept.gateway_id = random.gateway_id; break; /* GATEWAY_CLOSE */
    }
    *action = kept;
}

void sample_tx(uint8_t type, sample_rng *rng, tally_tx *tx) {
    const tally_tx_layout *layout = tally_tx_layout_of(type);
    assert(layout != NULL);
    memset(tx, 0, sizeof *tx);
    tx->type = type;
    sample_bytes(rng, tx->chain_id, sizeof tx->chain_id);
    sample_bytes(rng, tx->signer.bytes, sizeof tx->signer.bytes);
    tx->sequence = sample_below(rng, 2) ? sample_below(rng, 1000) + 1 : sample_next(rng);
    sample_bytes(rng, tx->signature, sizeof tx->signature);
    sample_fields(rng, layout->fields, layout->field_count, (uint8_t *)tx);
    /* A field the others make unused is zero in every transaction that decodes. */
    if (type == TALLY_TX_FEE_DISTRIBUTE && tx->body.fee_distribute.to_pool)
        memset(&tx->body.fee_distribute.to, 0, sizeof tx->body.fee_distribute.to);
    if (type == TALLY_TX_PROPOSAL_CREATE) sample_action(rng, &tx->body.proposal_create.action);
    /* A listing's image, half the time as the rules take it: none (hash zero, URL
     * empty) or an https URL of printable ASCII; else whatever sample_fields drew (the
     * decoder carries any text there, the rules refuse it with BAD_IMAGE). */
    if ((type == TALLY_TX_LISTING_CREATE || type == TALLY_TX_LISTING_UPDATE) && sample_below(rng, 2) == 0) {
        tally_tx_listing *listing = &tx->body.listing;
        memset(&listing->image_url, 0, sizeof listing->image_url);
        if (sample_below(rng, 2) == 0) {
            memset(listing->image_hash, 0, sizeof listing->image_hash);
        } else {
            size_t length = 8 + (size_t)sample_below(rng, TALLY_IMAGE_URL_MAX - 8 + 1);
            memcpy(listing->image_url.bytes, "https://", 8);
            for (size_t i = 8; i < length; i++) listing->image_url.bytes[i] = (char)(0x21 + sample_below(rng, 0x7e - 0x21 + 1));
            listing->image_url.length = (uint16_t)length;
        }
    }
    /* A review's rating mostly 1..5, sometimes any byte (the rules' BAD_RATING). */
    if (type == TALLY_TX_REVIEW && sample_below(rng, 4) != 0) tx->body.review.rating = (uint8_t)(1 + sample_below(rng, 5));
    /* A change of the validator set mostly as the rules take it: the keys past
     * add_count zero and only the 16 slots' bits in retire; else whatever
     * sample_fields drew (the decoder carries it, the rules refuse it with
     * BAD_VALIDATOR_SET). */
    if (type == TALLY_TX_VALIDATOR_PROPOSE && sample_below(rng, 4) != 0) {
        tally_tx_validator_propose *propose = &tx->body.validator_propose;
        for (unsigned i = propose->add_count; i < TALLY_VALIDATORS_MAX; i++)
            memset(propose->add[i].bytes, 0, TALLY_KEY_BYTES);
        propose->retire &= (1u << TALLY_VALIDATORS_MAX) - 1u;
    }
}

size_t sample_encode(const tally_tx *tx, uint8_t out[TALLY_TX_ENCODED_MAX]) {
    return tally_tx_encode(tx, out, TALLY_TX_ENCODED_MAX);
}
