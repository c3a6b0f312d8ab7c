/*
 * test_codec.c: the canonical transaction encoding. Round trips of every type,
 * sizes against an independent table, every decode error from a crafted input,
 * strict UTF-8, and decoder hardening on the published vectors: every truncation
 * and every single-byte mutation is refused, or decodes to a transaction that
 * re-encodes to exactly those bytes and whose signature no longer verifies.
 */
#include <stdlib.h>

#include "chain/tx_fields.h"
#include "tally.h"
#include "test.h"
#include "tx_sample.h"

#define TYPE_COUNT (TALLY_TX_TYPE_LAST - TALLY_TX_TYPE_FIRST + 1)
/* A policy: the 63 bytes of limits, fees, periods and membership; the collateral
 * ratio (4); the reputation rule (9 u32 and one i64: 44); the algorithmic limits
 * (bool, 3 i64, 2 u32: 33); demurrage (u32, i64), the membership fee (i64) and
 * where charges go (bool): 21; governance (2 u8, 5 u32, 2 bool): 24. */
#define POLICY_BYTES (63 + 4 + 44 + 33 + 21 + 24)

/* Body widths with empty texts, written out by hand from docs/ENCODING.md (not
 * from the codec's tables), indexed by type. */
static const size_t body_bytes[TALLY_TX_TYPE_LAST + 1] = {
    [TALLY_TX_NETWORK_CREATE] = 2 + 2 + 1 + POLICY_BYTES,
    [TALLY_TX_POLICY_UPDATE] = 4 + POLICY_BYTES,
    [TALLY_TX_PEG_SET] = 4 + 4 + 8 + 8,
    [TALLY_TX_OPERATOR_ADD] = 36,
    [TALLY_TX_OPERATOR_REMOVE] = 36,
    [TALLY_TX_MEMBER_JOIN] = 4,
    [TALLY_TX_MEMBER_ADMIT] = 36,
    [TALLY_TX_MEMBER_SUSPEND] = 36,
    [TALLY_TX_MEMBER_REINSTATE] = 36,
    [TALLY_TX_MEMBER_LEAVE] = 4,
    [TALLY_TX_ALIAS_SET] = 4 + 2,
    [TALLY_TX_LINE_OPEN] = 4 + 32 + 8 + 4 + 4 + 4,
    [TALLY_TX_LINE_UPDATE] = 4 + 32 + 8 + 4,
    [TALLY_TX_LINE_CLOSE] = 36,
    [TALLY_TX_TRANSFER] = 4 + 32 + 8 + 8 + 2,
    [TALLY_TX_ASSET_CREATE] = 2 + 2 + 1,
    [TALLY_TX_ASSET_ISSUE] = 4 + 32 + 8,
    [TALLY_TX_ASSET_TRANSFER] = 4 + 32 + 8,
    [TALLY_TX_ASSET_BURN] = 4 + 8,
    [TALLY_TX_POOL_DEPOSIT] = 4 + 8,
    [TALLY_TX_POOL_WITHDRAW] = 4 + 8,
    [TALLY_TX_POOL_REPAY] = 4 + 8,
    [TALLY_TX_POOL_REDEEM] = 4 + 8,
    [TALLY_TX_FEE_DISTRIBUTE] = 4 + 1 + 32 + 8,
    [TALLY_TX_CHAIN_APPROVE] = 32 + 4 + 4,
    /* network_id, max_fee, line count 1, one line: payee, amount, empty memo */
    [TALLY_TX_TRANSFER_BATCH] = 4 + 8 + 2 + 32 + 8 + 2,
    /* network_id, payee, amount, max_fee, resolver, timeout, outcome */
    [TALLY_TX_PENDING_CREATE] = 4 + 32 + 8 + 8 + 32 + 8 + 1,
    [TALLY_TX_PENDING_POST] = 4 + 8,
    [TALLY_TX_PENDING_VOID] = 4,
    [TALLY_TX_REQUEST_CREATE] = 4 + 32 + 8 + 8 + 2, /* an empty memo */
    [TALLY_TX_REQUEST_PAY] = 4 + 8,
    [TALLY_TX_REQUEST_CANCEL] = 4,
    [TALLY_TX_GATEWAY_PROPOSE] = 4 + 4 + 8 + 8 + 2 * (4 + 8 + 4 + 4),
    [TALLY_TX_GATEWAY_ACCEPT] = 4 + 8 + 8 + 2 * (4 + 8 + 4 + 4),
    [TALLY_TX_GATEWAY_UPDATE] = 4 + 4 + 4 + 8 + 4 + 4,
    [TALLY_TX_GATEWAY_FREEZE] = 4 + 4 + 1,
    [TALLY_TX_GATEWAY_CLOSE] = 4,
    [TALLY_TX_TRANSFER_CROSS] = 4 + 32 + 8 + 8 + 8 + 1 + 4 * 4,
    [TALLY_TX_CLEARING] = 1 + 8 * (4 + 8 + 8),
    [TALLY_TX_SETTLE] = 4 + 4 + 8,
    [TALLY_TX_STAKE] = 4 + 32 + 8,
    [TALLY_TX_UNSTAKE] = 4 + 32 + 8,
    [TALLY_TX_MEMBER_FEE_PAY] = 4,
    /* network, the action's type, policy, peg (u32, 2 i64), key, gateway and partner
     * ids, the terms (2 i64, 2 sides of 20) and frozen */
    [TALLY_TX_PROPOSAL_CREATE] = 4 + 1 + POLICY_BYTES + 20 + 32 + 8 + 56 + 1 + 4 + 8, /* ... | order_id | amount */
    [TALLY_TX_PROPOSAL_VOTE] = 4 + 1,
    [TALLY_TX_PROPOSAL_CANCEL] = 4,
    /* the marketplace (docs/MARKETPLACE.md): network, category, an empty name */
    [TALLY_TX_CATEGORY_SET] = 4 + 1 + 2,
    /* network, kind, category, price, quantity, expiry, title, text, image hash, URL */
    [TALLY_TX_LISTING_CREATE] = 4 + 1 + 1 + 8 + 4 + 8 + 2 + 2 + 32 + 2,
    /* listing_id, then the same fields from category on */
    [TALLY_TX_LISTING_UPDATE] = 4 + 1 + 8 + 4 + 8 + 2 + 2 + 32 + 2,
    [TALLY_TX_LISTING_WITHDRAW] = 4,
    /* listing_id, quantity, unit_price, max_fee, timeout, memo */
    [TALLY_TX_ORDER_CREATE] = 4 + 4 + 8 + 8 + 8 + 2,
    [TALLY_TX_ORDER_ACCEPT] = 4,
    [TALLY_TX_ORDER_DECLINE] = 4 + 2,
    [TALLY_TX_ORDER_CANCEL] = 4,
    [TALLY_TX_ORDER_CONFIRM] = 4,
    [TALLY_TX_ORDER_DISPUTE] = 4 + 2,
    [TALLY_TX_ORDER_RESOLVE] = 4 + 8 + 2,
    [TALLY_TX_REVIEW] = 4 + 1 + 2,
    /* the validator set (docs/VALIDATORS.md): add_count, all 16 slots of keys (those
     * past add_count zero), the retire mask */
    [TALLY_TX_VALIDATOR_PROPOSE] = 1 + 16 * 32 + 4,
    [TALLY_TX_VALIDATOR_APPROVE] = 4,
};

#define ENVELOPE_BYTES (1 + 1 + 32 + 32 + 8 + 64)

/* A transaction with all-zero fields (empty texts) of type; a batch has one line of
 * zeros, in static storage (never released: a decode into tx replaces it); a
 * proposal's action is an operator's addition (type 0 is no action, and its
 * encoding would be refused). */
static void zero_tx(uint8_t type, tally_tx *tx) {
    static tally_batch_line zero_line;
    memset(tx, 0, sizeof *tx);
    tx->type = type;
    tx->sequence = 1;
    if (type == TALLY_TX_PROPOSAL_CREATE) tx->body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
    if (type == TALLY_TX_TRANSFER_BATCH) {
        memset(&zero_line, 0, sizeof zero_line);
        tx->body.transfer_batch.line_count = 1;
        tx->body.transfer_batch.lines = &zero_line;
    }
}

/* Struct equality with a batch's lines compared by content, padding included (as
 * memcmp of two decodes would compare them). */
static bool same_struct(const tally_tx *a, const tally_tx *b) {
    if (a->type != TALLY_TX_TRANSFER_BATCH || b->type != TALLY_TX_TRANSFER_BATCH)
        return memcmp(a, b, sizeof *a) == 0;
    tally_tx a_copy = *a, b_copy = *b;
    a_copy.body.transfer_batch.lines = NULL, b_copy.body.transfer_batch.lines = NULL;
    return memcmp(&a_copy, &b_copy, sizeof a_copy) == 0 &&
           memcmp(a->body.transfer_batch.lines, b->body.transfer_batch.lines,
                  (size_t)a->body.transfer_batch.line_count * sizeof(tally_batch_line)) == 0;
}

static void set_text(tally_text *text, const char *bytes, size_t length) {
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)length;
    memcpy(text->bytes, bytes, length);
}

/* Decodes a heap copy of exactly `length` bytes, so AddressSanitizer sees any read
 * past the end. */
static tally_error decode_exact(const uint8_t *bytes, size_t length, tally_tx *tx) {
    uint8_t *copy = malloc(length > 0 ? length : 1);
    if (copy == NULL) abort();
    if (length > 0) memcpy(copy, bytes, length);
    tally_error error = tally_tx_decode(copy, length, tx);
    free(copy);
    return error;
}

TEST(codec_type_names) {
    static const char *const names[TALLY_TX_TYPE_LAST + 1] = {
        NULL,           "network_create", "policy_update",  "peg_set",
        "operator_add", "operator_remove", "member_join",   "member_admit",
        "member_suspend", "member_reinstate", "member_leave", "alias_set",
        "line_open",    "line_update",    "line_close",     "transfer",
        "asset_create", "asset_issue",    "asset_transfer", "asset_burn",
        "pool_deposit", "pool_withdraw",  "pool_repay",     "pool_redeem",
        "fee_distribute", "chain_approve", "transfer_batch", "pending_create", "pending_post", "pending_void",
        "request_create", "request_pay",  "request_cancel", "gateway_propose", "gateway_accept",
        "gateway_update", "gateway_freeze", "gateway_close", "transfer_cross", "clearing", "settle",
        "stake", "unstake", "member_fee_pay", "proposal_create", "proposal_vote", "proposal_cancel",
        "category_set", "listing_create", "listing_update", "listing_withdraw", "order_create", "order_accept",
        "order_decline", "order_cancel", "order_confirm", "order_dispute", "order_resolve", "review",
        "validator_propose", "validator_approve"};
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        const char *name = tally_tx_type_name((uint8_t)type);
        REQUIRE(name != NULL);
        CHECK(strcmp(name, names[type]) == 0);
    }
    CHECK(tally_tx_type_name(0) == NULL);
    CHECK(tally_tx_type_name(TALLY_TX_TYPE_LAST + 1) == NULL);
    CHECK(tally_tx_type_name(255) == NULL);
}

TEST(codec_sizes_match_the_documented_widths) {
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        tally_tx tx;
        zero_tx((uint8_t)type, &tx);
        size_t expected = ENVELOPE_BYTES + body_bytes[type];
        CHECK_EQ(tally_tx_encoded_size(&tx), expected);
        uint8_t out[TALLY_TX_ENCODED_MAX];
        CHECK_EQ(tally_tx_encode(&tx, out, sizeof out), expected);
        CHECK_EQ(tally_tx_encode_unsigned(&tx, out, sizeof out), expected - 64);
    }
    /* Texts add their length. */
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER, &tx);
    set_text(&tx.body.transfer.memo, "hello", 5);
    CHECK_EQ(tally_tx_encoded_size(&tx), ENVELOPE_BYTES + body_bytes[TALLY_TX_TRANSFER] + 5);
}

TEST(codec_longest_transaction_fits_the_bound) {
    /* Every text at its maximum: the longest encoding of each type. */
    size_t longest = 0;
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        tally_tx tx;
        zero_tx((uint8_t)type, &tx);
        if (type == TALLY_TX_TRANSFER) tx.body.transfer.memo.length = TALLY_MEMO_MAX;
        if (type == TALLY_TX_ALIAS_SET) tx.body.alias_set.alias.length = TALLY_ALIAS_MAX;
        if (type == TALLY_TX_NETWORK_CREATE) {
            tx.body.network_create.name.length = TALLY_NAME_MAX;
            tx.body.network_create.unit_code.length = TALLY_CODE_MAX;
        }
        if (type == TALLY_TX_ASSET_CREATE) {
            tx.body.asset_create.name.length = TALLY_NAME_MAX;
            tx.body.asset_create.code.length = TALLY_CODE_MAX;
        }
        if (type == TALLY_TX_CATEGORY_SET) tx.body.category_set.name.length = TALLY_CATEGORY_NAME_MAX;
        if (type == TALLY_TX_LISTING_CREATE || type == TALLY_TX_LISTING_UPDATE) {
            tx.body.listing.title.length = TALLY_LISTING_TITLE_MAX;
            tx.body.listing.text.length = TALLY_LISTING_TEXT_MAX;
            tx.body.listing.image_url.length = TALLY_IMAGE_URL_MAX;
        }
        if (type == TALLY_TX_ORDER_CREATE) tx.body.order_create.memo.length = TALLY_MEMO_MAX;
        if (type >= TALLY_TX_ORDER_ACCEPT && type <= TALLY_TX_ORDER_RESOLVE) tx.body.order_step.memo.length = TALLY_MEMO_MAX;
        if (type == TALLY_TX_REVIEW) tx.body.review.text.length = TALLY_MEMO_MAX;
        if (type == TALLY_TX_TRANSFER_BATCH) continue; /* below */
        size_t size = tally_tx_encoded_size(&tx);
        CHECK(size > 0 && size <= TALLY_TX_SINGLE_ENCODED_MAX);
        if (size > longest) longest = size;
        /* a proposal carries a whole policy, a gateway's terms and a dispute's split:
         * 13 bytes longer than the longest transfer */
        if (type == TALLY_TX_PROPOSAL_CREATE) {
            CHECK_EQ(size, ENVELOPE_BYTES + body_bytes[TALLY_TX_PROPOSAL_CREATE]);
            CHECK_EQ(ENVELOPE_BYTES + body_bytes[TALLY_TX_TRANSFER] + TALLY_MEMO_MAX, size - 13);
        }
        /* a step that takes no memo ignores the one the struct holds */
        if (type == TALLY_TX_ORDER_ACCEPT || type == TALLY_TX_ORDER_CANCEL || type == TALLY_TX_ORDER_CONFIRM)
            CHECK_EQ(size, ENVELOPE_BYTES + 4);
    }
    /* The longest is a listing with its title, text and image URL at their maximum:
     * 698 bytes, under the 768 of TALLY_TX_SINGLE_ENCODED_MAX. */
    CHECK_EQ(longest, ENVELOPE_BYTES + body_bytes[TALLY_TX_LISTING_CREATE] + TALLY_LISTING_TITLE_MAX +
                          TALLY_LISTING_TEXT_MAX + TALLY_IMAGE_URL_MAX);
    CHECK_EQ(longest, 698);
    CHECK_EQ(TALLY_TX_SINGLE_ENCODED_MAX, 768);
}

TEST(codec_the_longest_batch_is_the_longest_transaction) {
    /* 256 lines, each memo at its 64 bytes: exactly TALLY_TX_ENCODED_MAX, which a
     * frame's u16 length still carries. */
    static tally_batch_line lines[TALLY_BATCH_LINES_MAX];
    memset(lines, 0, sizeof lines);
    for (unsigned i = 0; i < TALLY_BATCH_LINES_MAX; i++) {
        memset(lines[i].payee.bytes, (int)i, TALLY_KEY_BYTES);
        lines[i].amount = INT64_MAX;
        memset(lines[i].memo.bytes, 'a' + (int)(i % 26), TALLY_BATCH_MEMO_MAX);
        lines[i].memo.length = TALLY_BATCH_MEMO_MAX;
    }
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER_BATCH, &tx);
    tx.body.transfer_batch.line_count = TALLY_BATCH_LINES_MAX;
    tx.body.transfer_batch.lines = lines;
    CHECK_EQ(tally_tx_encoded_size(&tx), TALLY_TX_ENCODED_MAX);
    CHECK_EQ(TALLY_TX_ENCODED_MAX, 27288);
    CHECK(TALLY_TX_ENCODED_MAX <= UINT16_MAX);
    uint8_t *bytes = malloc(TALLY_TX_ENCODED_MAX);
    REQUIRE(bytes != NULL);
    CHECK_EQ(tally_tx_encode(&tx, bytes, TALLY_TX_ENCODED_MAX), TALLY_TX_ENCODED_MAX);
    tally_tx decoded;
    CHECK_CODE(decode_exact(bytes, TALLY_TX_ENCODED_MAX, &decoded), TALLY_OK);
    CHECK(same_struct(&decoded, &tx));
    CHECK(tally_tx_equal(&decoded, &tx));
    tally_tx_release(&decoded);
    /* One line more, or a memo byte more, cannot be encoded. */
    tx.body.transfer_batch.line_count = TALLY_BATCH_LINES_MAX + 1;
    CHECK_EQ(tally_tx_encoded_size(&tx), 0);
    tx.body.transfer_batch.line_count = TALLY_BATCH_LINES_MAX;
    lines[7].memo.length = TALLY_BATCH_MEMO_MAX + 1;
    CHECK_EQ(tally_tx_encoded_size(&tx), 0);
    CHECK_EQ(tally_tx_encode(&tx, bytes, TALLY_TX_ENCODED_MAX), 0);
    /* No lines is no batch either. */
    tx.body.transfer_batch.line_count = 0;
    CHECK_EQ(tally_tx_encoded_size(&tx), 0);
    tx.body.transfer_batch.line_count = 1;
    tx.body.transfer_batch.lines = NULL;
    CHECK_EQ(tally_tx_encoded_size(&tx), 0);
    free(bytes);
}

TEST(codec_round_trip_every_type) {
    sample_rng rng = {20240601};
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        for (int round = 0; round < 300; round++) {
            tally_tx tx, decoded;
            sample_tx((uint8_t)type, &rng, &tx);
            uint8_t bytes[TALLY_TX_ENCODED_MAX], again[TALLY_TX_ENCODED_MAX];
            size_t length = sample_encode(&tx, bytes);
            REQUIRE(length > 0);
            REQUIRE(length == tally_tx_encoded_size(&tx));
            CHECK_EQ(bytes[0], 1);
            CHECK_EQ(bytes[1], type);
            CHECK(memcmp(bytes + length - 64, tx.signature, 64) == 0);
            CHECK_CODE(decode_exact(bytes, length, &decoded), TALLY_OK);
            /* Decoding zeroes what the encoding does not carry: struct-equal. */
            CHECK(same_struct(&decoded, &tx));
            CHECK(tally_tx_equal(&decoded, &tx));
            CHECK_EQ(tally_tx_encode(&decoded, again, sizeof again), length);
            CHECK(memcmp(bytes, again, length) == 0);
            /* The unsigned form is the same bytes without the signature. */
            CHECK_EQ(tally_tx_encode_unsigned(&decoded, again, sizeof again), length - 64);
            CHECK(memcmp(bytes, again, length - 64) == 0);
            /* A copy owns lines of its own with the same content. */
            tally_tx copy;
            REQUIRE(tally_tx_copy(&copy, &tx));
            CHECK(same_struct(&copy, &tx));
            CHECK(type != TALLY_TX_TRANSFER_BATCH || copy.body.transfer_batch.lines != tx.body.transfer_batch.lines);
            tally_tx_release(&copy);
            tally_tx_release(&decoded);
            tally_tx_release(&tx);
            if (test_current_failed()) return;
        }
    }
}

TEST(codec_little_endian_layout) {
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER, &tx);
    for (unsigned i = 0; i < 32; i++) {
        tx.chain_id[i] = (uint8_t)(0xc0 + i);
        tx.signer.bytes[i] = (uint8_t)(0x40 + i);
        tx.body.transfer.payee.bytes[i] = (uint8_t)(0x80 + i);
    }
    tx.sequence = 0x0102030405060708u;
    tx.body.transfer.network_id = 0x11223344u;
    tx.body.transfer.amount = -2; /* fe ff ff ff ff ff ff ff */
    tx.body.transfer.max_fee = 0x0a0b0c0d0e0f1011;
    set_text(&tx.body.transfer.memo, "hi", 2);
    memset(tx.signature, 0x5a, sizeof tx.signature);
    static const uint8_t expected_body[] = {
        0x44, 0x33, 0x22, 0x11,                         /* network_id */
        0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
        0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
        0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, /* payee */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* amount -2 */
        0x11, 0x10, 0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, /* max_fee */
        0x02, 0x00, 'h', 'i'};                          /* memo */
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = sample_encode(&tx, bytes);
    REQUIRE(length == 74 + sizeof expected_body + 64);
    CHECK_EQ(bytes[0], 1);
    CHECK_EQ(bytes[1], TALLY_TX_TRANSFER);
    CHECK(memcmp(bytes + 2, tx.chain_id, 32) == 0);
    CHECK(memcmp(bytes + 34, tx.signer.bytes, 32) == 0);
    static const uint8_t sequence[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    CHECK(memcmp(bytes + 66, sequence, 8) == 0);
    CHECK(memcmp(bytes + 74, expected_body, sizeof expected_body) == 0);
    CHECK(memcmp(bytes + 74 + sizeof expected_body, tx.signature, 64) == 0);
}

TEST(codec_policy_and_bool_layout) {
    tally_tx tx;
    zero_tx(TALLY_TX_POLICY_UPDATE, &tx);
    tally_policy *policy = &tx.body.policy_update.policy;
    tx.body.policy_update.network_id = 7;
    policy->default_credit_limit = 1;
    policy->max_credit_limit = 2;
    policy->positive_cap = 3;
    policy->fee_bps = 4;
    policy->default_risk_fee_bps = 5;
    policy->period_seconds = 6;
    policy->grace_seconds = 7;
    policy->min_income_bps = 8;
    policy->target_rtd_bps = 9;
    policy->compliance_rule = 2;
    policy->membership_mode = 1;
    policy->auto_renew = true;
    policy->max_members = 10;
    policy->notice_seconds = 11;
    policy->redeem_cap_bps = 12;
    policy->collateral_ratio_bps = 13;
    policy->reputation.base = 14;
    policy->reputation.volume_full = 15;
    policy->algorithmic_limits.enabled = true;
    policy->algorithmic_limits.step_max = 16;
    policy->membership_fee = 17;
    policy->charges_to_pool = true;
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = sample_encode(&tx, bytes);
    REQUIRE(length == ENVELOPE_BYTES + 4 + POLICY_BYTES);
    const uint8_t *body = bytes + 74;
    CHECK_EQ(body[0], 7);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(body[4 + 8 * i], i + 1);
        for (unsigned j = 1; j < 8; j++) CHECK_EQ(body[4 + 8 * i + j], 0);
    }
    for (unsigned i = 0; i < 6; i++) {
        CHECK_EQ(body[28 + 4 * i], i + 4);
        for (unsigned j = 1; j < 4; j++) CHECK_EQ(body[28 + 4 * i + j], 0);
    }
    CHECK_EQ(body[52], 2);
    CHECK_EQ(body[53], 1);
    CHECK_EQ(body[54], 1);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(body[55 + 4 * i], i + 10);
        for (unsigned j = 1; j < 4; j++) CHECK_EQ(body[55 + 4 * i + j], 0);
    }
    /* then the collateral ratio, the reputation rule (base first, volume_full the 5th
     * field: an i64 after four u32), the algorithmic limits (enabled, base, per_point,
     * income_bps, step_max), demurrage, threshold, fee and where charges go */
    CHECK_EQ(body[67], 13);
    CHECK_EQ(body[71], 14);
    CHECK_EQ(body[71 + 16], 15);
    CHECK_EQ(body[115], 1);
    CHECK_EQ(body[115 + 1 + 8 + 8 + 4], 16);
    CHECK_EQ(body[148 + 4 + 8], 17);
    CHECK_EQ(body[148 + 4 + 8 + 8], 1);
    CHECK_EQ(length, 74u + 148u + 21u + 24u + 64u);
}

TEST(codec_encode_refuses) {
    uint8_t out[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    /* Unknown types. */
    static const uint8_t bad_types[] = {0, TALLY_TX_TYPE_LAST + 1, 100, 255};
    for (size_t i = 0; i < sizeof bad_types; i++) {
        zero_tx(bad_types[i], &tx);
        CHECK_EQ(tally_tx_encoded_size(&tx), 0);
        CHECK_EQ(tally_tx_encode(&tx, out, sizeof out), 0);
        CHECK_EQ(tally_tx_encode_unsigned(&tx, out, sizeof out), 0);
    }
    /* Each text one byte over its maximum. */
    struct {
        uint8_t type;
        tally_text *text;
        unsigned max;
    } texts[] = {
        {TALLY_TX_NETWORK_CREATE, &tx.body.network_create.name, TALLY_NAME_MAX},
        {TALLY_TX_NETWORK_CREATE, &tx.body.network_create.unit_code, TALLY_CODE_MAX},
        {TALLY_TX_ALIAS_SET, &tx.body.alias_set.alias, TALLY_ALIAS_MAX},
        {TALLY_TX_TRANSFER, &tx.body.transfer.memo, TALLY_MEMO_MAX},
        {TALLY_TX_ASSET_CREATE, &tx.body.asset_create.code, TALLY_CODE_MAX},
        {TALLY_TX_ASSET_CREATE, &tx.body.asset_create.name, TALLY_NAME_MAX},
        {TALLY_TX_CATEGORY_SET, &tx.body.category_set.name, TALLY_CATEGORY_NAME_MAX},
        {TALLY_TX_LISTING_CREATE, &tx.body.listing.title, TALLY_LISTING_TITLE_MAX},
        {TALLY_TX_LISTING_CREATE, &tx.body.listing.text, TALLY_LISTING_TEXT_MAX},
        {TALLY_TX_LISTING_CREATE, &tx.body.listing.image_url, TALLY_IMAGE_URL_MAX},
        {TALLY_TX_LISTING_UPDATE, &tx.body.listing.title, TALLY_LISTING_TITLE_MAX},
        {TALLY_TX_LISTING_UPDATE, &tx.body.listing.text, TALLY_LISTING_TEXT_MAX},
        {TALLY_TX_LISTING_UPDATE, &tx.body.listing.image_url, TALLY_IMAGE_URL_MAX},
        {TALLY_TX_ORDER_CREATE, &tx.body.order_create.memo, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_DECLINE, &tx.body.order_step.memo, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_DISPUTE, &tx.body.order_step.memo, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_RESOLVE, &tx.body.order_step.memo, TALLY_MEMO_MAX},
        {TALLY_TX_REVIEW, &tx.body.review.text, TALLY_MEMO_MAX},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        zero_tx(texts[i].type, &tx);
        memset(texts[i].text->bytes, 'a', texts[i].max);
        texts[i].text->length = (uint16_t)texts[i].max;
        CHECK(tally_tx_encoded_size(&tx) > 0);
        CHECK(tally_tx_encode(&tx, out, sizeof out) > 0);
        texts[i].text->length = (uint16_t)(texts[i].max + 1);
        CHECK_EQ(tally_tx_encoded_size(&tx), 0);
        CHECK_EQ(tally_tx_encode(&tx, out, sizeof out), 0);
        CHECK_EQ(tally_tx_encode_unsigned(&tx, out, sizeof out), 0);
        texts[i].text->length = UINT16_MAX;
        CHECK_EQ(tally_tx_encode(&tx, out, sizeof out), 0);
    }
    /* A buffer one byte short, then exactly right. */
    zero_tx(TALLY_TX_TRANSFER, &tx);
    size_t size = tally_tx_encoded_size(&tx);
    memset(out, 0xee, sizeof out);
    CHECK_EQ(tally_tx_encode(&tx, out, size - 1), 0);
    CHECK_EQ(out[0], 0xee); /* nothing written */
    CHECK_EQ(tally_tx_encode(&tx, out, size), size);
    CHECK_EQ(tally_tx_encode(&tx, NULL, 0), 0);
    CHECK_EQ(tally_tx_encode_unsigned(&tx, out, size - 65), 0);
    CHECK_EQ(tally_tx_encode_unsigned(&tx, out, size - 64), size - 64);
}

TEST(codec_encoder_writes_what_the_core_must_refuse) {
    /* Semantic ranges are the core's business: the encoder carries any value, so
     * that apply, not the codec, names the error. Only what decode would refuse
     * as malformed is normalised: a bool is written as 0/1. */
    tally_tx tx, decoded;
    zero_tx(TALLY_TX_TRANSFER, &tx);
    tx.body.transfer.amount = -5;
    set_text(&tx.body.transfer.memo, "\x01", 1); /* the decoder refuses this text */
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = sample_encode(&tx, bytes);
    CHECK(length > 0);
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_ERR_DECODE_BAD_TEXT);

    zero_tx(TALLY_TX_NETWORK_CREATE, &tx);
    tx.body.network_create.decimals = 200;
    tx.body.network_create.policy.fee_bps = 99999;
    length = sample_encode(&tx, bytes);
    CHECK(length > 0);
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.network_create.decimals, 200);
    CHECK_EQ(decoded.body.network_create.policy.fee_bps, 99999);
}

/* ---- decode errors from crafted inputs ---------------------------------- */

/* A valid encoding of type with empty texts into bytes; returns its length. */
static size_t valid_encoding(uint8_t type, uint8_t bytes[TALLY_TX_ENCODED_MAX]) {
    tally_tx tx;
    zero_tx(type, &tx);
    return sample_encode(&tx, bytes);
}

TEST(codec_decode_truncated) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    size_t length = valid_encoding(TALLY_TX_TRANSFER, bytes);
    CHECK_CODE(decode_exact(bytes, 0, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(tally_tx_decode(NULL, 0, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, 1, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, 73, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, 74, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, length - 1, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    /* A text whose length runs past the end. */
    bytes[126] = 10; /* memo length 10, but the 64 signature bytes follow */
    CHECK_CODE(decode_exact(bytes, 128 + 9, &tx), TALLY_ERR_DECODE_TRUNCATED);
}

TEST(codec_decode_trailing_bytes) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX + 1];
    tally_tx tx;
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        size_t length = valid_encoding((uint8_t)type, bytes);
        bytes[length] = 0;
        CHECK_CODE(decode_exact(bytes, length + 1, &tx), TALLY_ERR_DECODE_TRAILING_BYTES);
    }
    /* A memo length one short leaves the signature's last byte trailing. */
    zero_tx(TALLY_TX_TRANSFER, &tx);
    set_text(&tx.body.transfer.memo, "abc", 3);
    size_t length = sample_encode(&tx, bytes);
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    bytes[126] = 2;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_TRAILING_BYTES);
}

TEST(codec_decode_bad_version) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    size_t length = valid_encoding(TALLY_TX_MEMBER_JOIN, bytes);
    static const uint8_t versions[] = {0, 2, 0x81, 255};
    for (size_t i = 0; i < sizeof versions; i++) {
        bytes[0] = versions[i];
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VERSION);
        CHECK_CODE(decode_exact(bytes, 1, &tx), TALLY_ERR_DECODE_BAD_VERSION);
    }
}

TEST(codec_decode_unknown_type) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    size_t length = valid_encoding(TALLY_TX_MEMBER_JOIN, bytes);
    static const uint8_t types[] = {0, TALLY_TX_TYPE_LAST + 1, 0x80, 255};
    for (size_t i = 0; i < sizeof types; i++) {
        bytes[1] = types[i];
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_UNKNOWN_TX_TYPE);
        CHECK_CODE(decode_exact(bytes, 2, &tx), TALLY_ERR_UNKNOWN_TX_TYPE);
    }
}

TEST(codec_decode_bad_length) {
    /* Each text field with a length one above its maximum, and 0xffff. The bytes
     * after the length field need not exist: the length alone is refused. */
    struct {
        uint8_t type;
        size_t offset; /* of the length field, with earlier texts empty */
        unsigned max;
    } cases[] = {
        {TALLY_TX_NETWORK_CREATE, 74, TALLY_NAME_MAX},
        {TALLY_TX_NETWORK_CREATE, 76, TALLY_CODE_MAX},
        {TALLY_TX_ALIAS_SET, 78, TALLY_ALIAS_MAX},
        {TALLY_TX_TRANSFER, 126, TALLY_MEMO_MAX},
        {TALLY_TX_ASSET_CREATE, 74, TALLY_CODE_MAX},
        {TALLY_TX_ASSET_CREATE, 76, TALLY_NAME_MAX},
        {TALLY_TX_CATEGORY_SET, 79, TALLY_CATEGORY_NAME_MAX},
        /* network, kind, category, price, quantity, expiry: the title at 100, the
         * text at 102, then the image hash and its URL at 136 */
        {TALLY_TX_LISTING_CREATE, 100, TALLY_LISTING_TITLE_MAX},
        {TALLY_TX_LISTING_CREATE, 102, TALLY_LISTING_TEXT_MAX},
        {TALLY_TX_LISTING_CREATE, 136, TALLY_IMAGE_URL_MAX},
        {TALLY_TX_LISTING_UPDATE, 99, TALLY_LISTING_TITLE_MAX},
        {TALLY_TX_LISTING_UPDATE, 101, TALLY_LISTING_TEXT_MAX},
        {TALLY_TX_LISTING_UPDATE, 135, TALLY_IMAGE_URL_MAX},
        {TALLY_TX_ORDER_CREATE, 106, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_DECLINE, 78, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_DISPUTE, 78, TALLY_MEMO_MAX},
        {TALLY_TX_ORDER_RESOLVE, 86, TALLY_MEMO_MAX},
        {TALLY_TX_REVIEW, 79, TALLY_MEMO_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX + 512];
        memset(bytes, 'a', sizeof bytes);
        size_t length = valid_encoding(cases[i].type, bytes);
        tally_tx tx;
        size_t at = cases[i].offset;
        CHECK(bytes[at] == 0 && bytes[at + 1] == 0);
        /* At its maximum it decodes (after growing the buffer by max bytes). */
        memmove(bytes + at + 2 + cases[i].max, bytes + at + 2, length - at - 2);
        memset(bytes + at + 2, 'a', cases[i].max);
        bytes[at] = (uint8_t)cases[i].max;
        bytes[at + 1] = (uint8_t)(cases[i].max >> 8);
        CHECK_CODE(decode_exact(bytes, length + cases[i].max, &tx), TALLY_OK);
        unsigned over = cases[i].max + 1;
        bytes[at] = (uint8_t)over;
        bytes[at + 1] = (uint8_t)(over >> 8);
        CHECK_CODE(decode_exact(bytes, length + cases[i].max, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
        CHECK_CODE(decode_exact(bytes, length + cases[i].max + 1, &tx),
                   TALLY_ERR_DECODE_BAD_LENGTH);
        CHECK_CODE(decode_exact(bytes, at + 2, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
        bytes[at] = 0xff;
        bytes[at + 1] = 0xff;
        CHECK_CODE(decode_exact(bytes, at + 2, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
    }
}

TEST(codec_decode_bad_value) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    /* fee_distribute.to_pool at 78. */
    size_t length = valid_encoding(TALLY_TX_FEE_DISTRIBUTE, bytes);
    bytes[78] = 1;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK(tx.body.fee_distribute.to_pool);
    /* to the pool, `to` (at 79) is unused and must be zero: one action, one signed form */
    bytes[79 + 31] = 1;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    bytes[78] = 0; /* to a member, `to` is that member */
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK(!tally_tx_unused_fields_zero(&(tally_tx){.type = TALLY_TX_FEE_DISTRIBUTE,
                                                    .body.fee_distribute = {.to_pool = true, .to = {{[31] = 1}}}}));
    bytes[79 + 31] = 0;
    bytes[78] = 1;
    for (unsigned value = 2; value < 256; value++) {
        bytes[78] = (uint8_t)value;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    }
    /* The policy has compliance_rule, membership_mode, auto_renew, then three u32
     * (max_members, notice_seconds, redeem_cap_bps), then 102 bytes of underwriting,
     * reputation, algorithmic limits and charges, whose two bools are the algorithm's
     * `enabled` (54 + 24 bytes from the end) and `charges_to_pool` (24 from the end),
     * then 24 of governance. */
    static const uint8_t policy_types[] = {TALLY_TX_NETWORK_CREATE, TALLY_TX_POLICY_UPDATE};
    for (size_t i = 0; i < sizeof policy_types; i++) {
        length = valid_encoding(policy_types[i], bytes);
        size_t enabled = length - 64 - 54 - 24, to_pool = length - 64 - 1 - 24;
        for (unsigned value = 2; value < 256; value += 51) {
            bytes[enabled] = (uint8_t)value;
            CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
            bytes[enabled] = 1;
            bytes[to_pool] = (uint8_t)value;
            CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
            bytes[to_pool] = 1;
            CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
        }
        size_t compliance = length - 64 - 15 - 126, membership = length - 64 - 14 - 126,
               auto_renew = length - 64 - 13 - 126;
        bytes[compliance] = TALLY_COMPLIANCE_COUNT - 1;
        bytes[membership] = TALLY_MEMBERSHIP_COUNT - 1;
        bytes[auto_renew] = 1;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
        bytes[compliance] = TALLY_COMPLIANCE_COUNT;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
        bytes[compliance] = 255;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
        bytes[compliance] = 0;
        bytes[membership] = TALLY_MEMBERSHIP_COUNT;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
        bytes[membership] = 0;
        bytes[auto_renew] = 2;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
        bytes[auto_renew] = 0xff;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    }
    /* decimals is not range-checked by the decoder (the core refuses it). */
    length = valid_encoding(TALLY_TX_ASSET_CREATE, bytes);
    bytes[78] = 200;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    /* A listing's kind (at 78, after network_id) is an offer or a want: 2+ refused. */
    length = valid_encoding(TALLY_TX_LISTING_CREATE, bytes);
    bytes[78] = TALLY_LISTING_WANT;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK_EQ(tx.body.listing.kind, TALLY_LISTING_WANT);
    for (unsigned value = TALLY_LISTING_KIND_COUNT; value < 256; value++) {
        bytes[78] = (uint8_t)value;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    }
    /* A category (listing_create at 79, listing_update at 78, category_set at 78) and
     * a rating (review at 78) are the core's (BAD_CATEGORY, BAD_RATING): any byte
     * decodes. */
    static const struct {
        uint8_t type;
        size_t at;
    } free_bytes[] = {{TALLY_TX_LISTING_CREATE, 79}, {TALLY_TX_LISTING_UPDATE, 78},
                      {TALLY_TX_CATEGORY_SET, 78}, {TALLY_TX_REVIEW, 78}};
    for (size_t i = 0; i < sizeof free_bytes / sizeof free_bytes[0]; i++) {
        length = valid_encoding(free_bytes[i].type, bytes);
        for (unsigned value = 0; value < 256; value += 17) {
            bytes[free_bytes[i].at] = (uint8_t)value;
            CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
        }
    }
}

/* Decodes a transfer whose memo is the given bytes. */
static tally_error decode_memo(const char *memo, size_t memo_length) {
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER, &tx);
    set_text(&tx.body.transfer.memo, memo, memo_length);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = sample_encode(&tx, bytes);
    if (length == 0) return TALLY_ERROR_COUNT;
    tally_error error = decode_exact(bytes, length, &tx);
    if (error == TALLY_OK && (tx.body.transfer.memo.length != memo_length ||
                              memcmp(tx.body.transfer.memo.bytes, memo, memo_length) != 0)) {
        return TALLY_ERROR_COUNT;
    }
    return error;
}

#define MEMO(literal) decode_memo(literal, sizeof literal - 1)

TEST(codec_decode_text_accepts_utf8) {
    CHECK_CODE(MEMO(""), TALLY_OK);
    CHECK_CODE(MEMO(" !~"), TALLY_OK);
    CHECK_CODE(MEMO("\xc2\xa0"), TALLY_OK);          /* U+00A0 */
    CHECK_CODE(MEMO("\xc2\x80"), TALLY_ERR_DECODE_BAD_TEXT); /* U+0080: C1 controls are refused */
    CHECK_CODE(MEMO("\xc2\x9f"), TALLY_ERR_DECODE_BAD_TEXT); /* U+009F */
    CHECK_CODE(MEMO("\xdf\xbf"), TALLY_OK);          /* U+07FF */
    CHECK_CODE(MEMO("\xe0\xa0\x80"), TALLY_OK);      /* U+0800 */
    CHECK_CODE(MEMO("\xed\x9f\xbf"), TALLY_OK);      /* U+D7FF */
    CHECK_CODE(MEMO("\xee\x80\x80"), TALLY_OK);      /* U+E000 */
    CHECK_CODE(MEMO("\xef\xbf\xbf"), TALLY_OK);      /* U+FFFF */
    CHECK_CODE(MEMO("\xf0\x90\x80\x80"), TALLY_OK);  /* U+10000 */
    CHECK_CODE(MEMO("\xf4\x8f\xbf\xbf"), TALLY_OK);  /* U+10FFFF */
    CHECK_CODE(MEMO("Brot & K\xc3\xa4se \xe2\x80\x94 3 \xc3\x97 \xf0\x9f\x8d\x9e"), TALLY_OK);
}

TEST(codec_decode_text_refuses_bad_utf8) {
    CHECK_CODE(MEMO("\x80"), TALLY_ERR_DECODE_BAD_TEXT);              /* lone continuation */
    CHECK_CODE(MEMO("\xbf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xc3"), TALLY_ERR_DECODE_BAD_TEXT);              /* cut short */
    CHECK_CODE(MEMO("ab\xe2\x82"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xf0\x9f\x8d"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xc3\x28"), TALLY_ERR_DECODE_BAD_TEXT);          /* bad continuation */
    CHECK_CODE(MEMO("\xe2\x28\xa1"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xe2\x82\x28"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xf0\x9f\x8d\x28"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xc0\xaf"), TALLY_ERR_DECODE_BAD_TEXT);          /* overlong '/' */
    CHECK_CODE(MEMO("\xc1\xbf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xe0\x80\xaf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xe0\x9f\xbf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xf0\x80\x80\xaf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xf0\x8f\xbf\xbf"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xed\xa0\x80"), TALLY_ERR_DECODE_BAD_TEXT);      /* U+D800 */
    CHECK_CODE(MEMO("\xed\xbf\xbf"), TALLY_ERR_DECODE_BAD_TEXT);      /* U+DFFF */
    CHECK_CODE(MEMO("\xed\xa0\xbd\xed\xb2\xa9"), TALLY_ERR_DECODE_BAD_TEXT); /* CESU-8 pair */
    CHECK_CODE(MEMO("\xf4\x90\x80\x80"), TALLY_ERR_DECODE_BAD_TEXT);  /* U+110000 */
    CHECK_CODE(MEMO("\xf5\x80\x80\x80"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xf8\x88\x80\x80\x80"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xfe"), TALLY_ERR_DECODE_BAD_TEXT);
    CHECK_CODE(MEMO("\xff"), TALLY_ERR_DECODE_BAD_TEXT);
}

TEST(codec_decode_text_refuses_control_characters) {
    /* Every C0 control and DEL, at every position of a 20-byte memo, so both the
     * 8-byte fast path and the byte-by-byte tail see it. */
    char memo[20];
    for (unsigned c = 0; c < 0x80; c++) {
        bool control = c < 0x20 || c == 0x7f;
        for (size_t at = 0; at < sizeof memo; at++) {
            memset(memo, 'x', sizeof memo);
            memo[at] = (char)c;
            tally_error got = decode_memo(memo, sizeof memo);
            CHECK_CODE(got, control ? TALLY_ERR_DECODE_BAD_TEXT : TALLY_OK);
        }
    }
    /* In every text field, not only the memo. */
    tally_tx tx;
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    zero_tx(TALLY_TX_ALIAS_SET, &tx);
    set_text(&tx.body.alias_set.alias, "a\nb", 3);
    CHECK_CODE(decode_exact(bytes, sample_encode(&tx, bytes), &tx), TALLY_ERR_DECODE_BAD_TEXT);
    zero_tx(TALLY_TX_NETWORK_CREATE, &tx);
    set_text(&tx.body.network_create.unit_code, "G\x7fH", 3);
    CHECK_CODE(decode_exact(bytes, sample_encode(&tx, bytes), &tx), TALLY_ERR_DECODE_BAD_TEXT);
    zero_tx(TALLY_TX_ASSET_CREATE, &tx);
    set_text(&tx.body.asset_create.name, "\xe2\x82", 2);
    CHECK_CODE(decode_exact(bytes, sample_encode(&tx, bytes), &tx), TALLY_ERR_DECODE_BAD_TEXT);
}

/* The invisible formatting characters docs/ENCODING.md lists, one by one. */
static bool reference_is_invisible_format(uint32_t point) {
    static const uint32_t ranges[][2] = {
        {0x00ad, 0x00ad}, {0x061c, 0x061c}, {0x180e, 0x180e}, {0x200b, 0x200f}, {0x2028, 0x202e},
        {0x2060, 0x206f}, {0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0xe0000, 0xe007f},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (point >= ranges[i][0] && point <= ranges[i][1]) return true;
    return false;
}

/* A validator written from the code-point definition (decode by arithmetic, then
 * check the value) rather than from byte ranges like the codec's. */
static bool reference_text_valid(const uint8_t *text, size_t length) {
    static const uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t at = 0;
    while (at < length) {
        uint8_t lead = text[at];
        size_t need = lead < 0x80 ? 1 : lead >= 0xf8 ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3
                                                           : lead >= 0xc0 ? 2 : 0;
        if (need == 0 || at + need > length) return false;
        uint32_t point = need == 1 ? lead : (uint32_t)(lead & (0x7fu >> need));
        for (size_t i = 1; i < need; i++) {
            if ((text[at + i] & 0xc0) != 0x80) return false;
            point = point << 6 | (text[at + i] & 0x3fu);
        }
        if (need > 1 && point < smallest[need]) return false;       /* overlong */
        if (point >= 0xd800 && point <= 0xdfff) return false;       /* surrogate */
        if (point > 0x10ffff) return false;
        if (point < 0x20 || (point >= 0x7f && point <= 0x9f)) return false; /* C0, DEL, C1 */
        if (reference_is_invisible_format(point)) return false;
        at += need;
    }
    return true;
}

/* The decoder's verdict on a transfer whose memo is text. */
static bool codec_text_valid(const uint8_t *text, size_t length) {
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER, &tx);
    set_text(&tx.body.transfer.memo, (const char *)text, length);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t encoded = sample_encode(&tx, bytes);
    return tally_tx_decode(bytes, encoded, &tx) == TALLY_OK;
}

TEST(codec_decode_text_matches_a_reference_validator) {
    /* Every string of 1 and 2 bytes. */
    for (unsigned value = 0; value < 256 + 65536; value++) {
        size_t length = value < 256 ? 1 : 2;
        unsigned bits = value < 256 ? value : value - 256;
        uint8_t text[2] = {(uint8_t)bits, (uint8_t)(bits >> 8)};
        if (codec_text_valid(text, length) != reference_text_valid(text, length)) {
            CHECK_EQ(value, -1);
            return;
        }
    }
    /* Random strings of 3 to 12 bytes, biased towards plausible sequences. */
    sample_rng rng = {77};
    for (int round = 0; round < 400000; round++) {
        uint8_t text[12];
        size_t length = 3 + (size_t)sample_below(&rng, 10);
        for (size_t i = 0; i < length; i++) {
            uint64_t pick = sample_below(&rng, 4);
            uint8_t byte = (uint8_t)sample_next(&rng);
            if (pick == 0) byte = (uint8_t)(0xc0 | byte);             /* lead */
            if (pick == 1) byte = (uint8_t)(0x80 | (byte & 0x3f));    /* continuation */
            if (pick == 2) byte = (uint8_t)(0x20 + byte % 0x60);      /* ASCII and DEL */
            text[i] = byte;
        }
        if (codec_text_valid(text, length) != reference_text_valid(text, length)) {
            CHECK_EQ(round, -1);
            return;
        }
    }
}

TEST(codec_decode_checks_fields_in_order) {
    /* The first malformed field names the error: a bad bool before a truncation. */
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    valid_encoding(TALLY_TX_FEE_DISTRIBUTE, bytes);
    bytes[78] = 9;
    CHECK_CODE(decode_exact(bytes, 79, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    CHECK_CODE(decode_exact(bytes, 78, &tx), TALLY_ERR_DECODE_TRUNCATED);
}

TEST(codec_decode_zeroes_unused_bytes) {
    sample_rng rng = {5};
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        tally_tx tx, into_dirty, into_clean;
        sample_tx((uint8_t)type, &rng, &tx);
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = sample_encode(&tx, bytes);
        memset(&into_dirty, 0xa5, sizeof into_dirty);
        memset(&into_clean, 0x00, sizeof into_clean);
        CHECK_CODE(tally_tx_decode(bytes, length, &into_dirty), TALLY_OK);
        CHECK_CODE(tally_tx_decode(bytes, length, &into_clean), TALLY_OK);
        CHECK(same_struct(&into_dirty, &into_clean));
        tally_tx_release(&into_dirty);
        tally_tx_release(&into_clean);
        tally_tx_release(&tx);
    }
}

TEST(codec_decode_random_bytes) {
    /* Random inputs with a valid version and type: never a crash, and whatever
     * decodes is canonical. */
    sample_rng rng = {99};
    int decoded_count = 0;
    for (int round = 0; round < 200000; round++) {
        uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
        size_t length = (size_t)sample_below(&rng, sizeof bytes + 1);
        for (size_t i = 0; i < length; i++) bytes[i] = (uint8_t)sample_next(&rng);
        if (length > 0) bytes[0] = 1;
        if (length > 1) bytes[1] = (uint8_t)(1 + sample_below(&rng, TYPE_COUNT));
        /* Short, plausible texts: otherwise nearly nothing would decode. */
        if (bytes[1] == TALLY_TX_TRANSFER && length >= 192 && length - 192 <= TALLY_MEMO_MAX) {
            size_t memo_length = length - 192;
            bytes[126] = (uint8_t)memo_length;
            bytes[127] = (uint8_t)(memo_length >> 8);
            for (size_t i = 128; i < length - 64; i++) bytes[i] = (uint8_t)(0x20 + bytes[i] % 0x5f);
        }
        /* A batch of one to three lines with empty memos. */
        if (bytes[1] == TALLY_TX_TRANSFER_BATCH && length > 88) {
            size_t lines = (length - 88 - 64) / 42;
            if (lines >= 1 && lines <= 3 && length == 88 + 64 + 42 * lines) {
                bytes[86] = (uint8_t)lines, bytes[87] = 0;
                for (size_t k = 0; k < lines; k++) bytes[88 + 42 * k + 40] = 0, bytes[88 + 42 * k + 41] = 0;
            }
        }
        tally_tx tx;
        if (decode_exact(bytes, length, &tx) == TALLY_OK) {
            decoded_count++;
            uint8_t again[TALLY_TX_ENCODED_MAX];
            CHECK_EQ(tally_tx_encode(&tx, again, sizeof again), length);
            CHECK(memcmp(bytes, again, length) == 0);
            tally_tx_release(&tx);
        }
    }
    CHECK(decoded_count > 100); /* the test reached the successful path */
}

/* ---- batches: a counted array of lines ----------------------------------- */

/* A batch of `lines` lines with memos "m0", "m1", ... into bytes; returns its length. */
static size_t batch_encoding(unsigned lines, uint8_t *bytes, size_t capacity) {
    tally_tx tx;
    zero_tx(TALLY_TX_TRANSFER_BATCH, &tx);
    tx.body.transfer_batch.network_id = 0x01020304;
    tx.body.transfer_batch.max_fee = 0x1122;
    tx.body.transfer_batch.line_count = 0;
    tx.body.transfer_batch.lines = NULL;
    if (!tally_tx_batch_reserve(&tx, (uint16_t)lines)) return 0;
    for (unsigned i = 0; i < lines; i++) {
        tally_batch_line *line = &tx.body.transfer_batch.lines[i];
        memset(line->payee.bytes, 0x40 + (int)i, TALLY_KEY_BYTES);
        line->amount = 100 + i;
        line->memo.length = (uint16_t)snprintf(line->memo.bytes, sizeof line->memo.bytes, "m%u", i);
    }
    size_t length = tally_tx_encode(&tx, bytes, capacity);
    tally_tx_release(&tx);
    return length;
}

TEST(codec_batch_lines_are_a_counted_array_in_order) {
    uint8_t bytes[1024];
    size_t length = batch_encoding(3, bytes, sizeof bytes);
    /* header 74 | network 4 | max_fee 8 | count 2 | 3 x (payee 32 | amount 8 | memo 2 + 2) | signature 64 */
    CHECK_EQ(length, 74 + 4 + 8 + 2 + 3 * (32 + 8 + 2 + 2) + 64);
    CHECK_EQ(bytes[1], TALLY_TX_TRANSFER_BATCH);
    CHECK_EQ(bytes[74], 0x04); /* network_id, little-endian */
    CHECK_EQ(bytes[77], 0x01);
    CHECK_EQ(bytes[78], 0x22); /* max_fee */
    CHECK_EQ(bytes[79], 0x11);
    CHECK_EQ(bytes[86], 3); /* the count */
    CHECK_EQ(bytes[87], 0);
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *line = bytes + 88 + 44 * i;
        CHECK_EQ(line[0], 0x40 + i);
        CHECK_EQ(line[31], 0x40 + i);
        CHECK_EQ(line[32], 100 + i);
        CHECK_EQ(line[39], 0);
        CHECK_EQ(line[40], 2); /* memo length */
        CHECK_EQ(line[42], 'm');
        CHECK_EQ(line[43], '0' + i);
    }
    tally_tx tx;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK_EQ(tx.body.transfer_batch.line_count, 3);
    CHECK_EQ(tx.body.transfer_batch.lines[2].amount, 102);
    CHECK_EQ(tx.body.transfer_batch.lines[2].memo.length, 2);
    tally_tx_release(&tx);
    CHECK(tx.body.transfer_batch.lines == NULL && tx.body.transfer_batch.line_count == 0);
}

TEST(codec_batch_decoding_is_strict) {
    uint8_t bytes[1024];
    tally_tx tx;
    size_t length = batch_encoding(3, bytes, sizeof bytes);
    REQUIRE(length > 0);
    uint8_t copy[1024];
    /* Counts of 0, one above the most, and 0xffff: the count alone is refused. */
    static const uint16_t bad_counts[] = {0, TALLY_BATCH_LINES_MAX + 1, 0xffff};
    for (size_t i = 0; i < sizeof bad_counts / sizeof bad_counts[0]; i++) {
        memcpy(copy, bytes, length);
        copy[86] = (uint8_t)bad_counts[i], copy[87] = (uint8_t)(bad_counts[i] >> 8);
        CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
        CHECK_CODE(decode_exact(copy, 88, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
    }
    /* A count the bytes cannot hold is refused before any line is allocated; one
     * more line than there is runs into the signature and then out of bytes. */
    memcpy(copy, bytes, length);
    copy[86] = 200;
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_TRUNCATED);
    copy[86] = 4;
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_TRUNCATED);
    copy[86] = 2; /* one line fewer: the third is read as the signature, and 44 bytes trail */
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_TRAILING_BYTES);
    /* A memo of 65 bytes (the most is 64), and of a bad text, in the last line after
     * two lines were decoded: refused, and the lines freed (the leak checker sees). */
    memcpy(copy, bytes, length);
    copy[88 + 2 * 44 + 40] = TALLY_BATCH_MEMO_MAX + 1;
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_BAD_LENGTH);
    memcpy(copy, bytes, length);
    copy[88 + 2 * 44 + 43] = 0x07; /* a control character */
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_BAD_TEXT);
    memcpy(copy, bytes, length);
    memcpy(copy + 88 + 2 * 44 + 42, "\xe2\x80", 2); /* half of U+202E */
    CHECK_CODE(decode_exact(copy, length, &tx), TALLY_ERR_DECODE_BAD_TEXT);
    /* Every truncation inside the lines. */
    for (size_t cut = 86; cut < length; cut++) CHECK_CODE(decode_exact(bytes, cut, &tx), TALLY_ERR_DECODE_TRUNCATED);
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    tally_tx_release(&tx);
}

TEST(codec_batch_copies_and_releases_its_lines) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TALLY_TX_TRANSFER_BATCH;
    CHECK(!tally_tx_batch_reserve(&tx, 0));
    CHECK(!tally_tx_batch_reserve(&tx, TALLY_BATCH_LINES_MAX + 1));
    CHECK(tx.body.transfer_batch.lines == NULL);
    REQUIRE(tally_tx_batch_reserve(&tx, TALLY_BATCH_LINES_MAX));
    CHECK_EQ(tx.body.transfer_batch.line_count, TALLY_BATCH_LINES_MAX);
    tx.body.transfer_batch.lines[255].amount = 7;
    tally_tx copy;
    REQUIRE(tally_tx_copy(&copy, &tx));
    CHECK(copy.body.transfer_batch.lines != tx.body.transfer_batch.lines);
    CHECK_EQ(copy.body.transfer_batch.lines[255].amount, 7);
    tally_tx_release(&tx);
    CHECK_EQ(copy.body.transfer_batch.lines[255].amount, 7); /* its own */
    CHECK(tally_tx_equal(&copy, &copy));
    tally_tx_release(&copy);
    /* Other types hold nothing to free. */
    zero_tx(TALLY_TX_TRANSFER, &tx);
    tally_tx_release(&tx);
    CHECK(tally_tx_copy(&copy, &tx));
    CHECK(tally_tx_equal(&copy, &tx));
}

/* ---- the marketplace (types 47-58, docs/MARKETPLACE.md) ------------------- */

TEST(codec_marketplace_listing_layout) {
    tally_tx tx;
    zero_tx(TALLY_TX_LISTING_CREATE, &tx);
    tx.body.listing.network_id = 0x11223344u;
    tx.body.listing.kind = TALLY_LISTING_WANT;
    tx.body.listing.category = 7;
    tx.body.listing.price = 1250;
    tx.body.listing.quantity = 0x01020304u;
    tx.body.listing.expiry = -2;
    set_text(&tx.body.listing.title, "Eggs", 4);
    set_text(&tx.body.listing.text, "a dozen", 7);
    memset(tx.body.listing.image_hash, 0xab, sizeof tx.body.listing.image_hash);
    set_text(&tx.body.listing.image_url, "https://x/e", 10);
    /* fields a create does not carry: not encoded, zero after a decode */
    tx.body.listing.listing_id = 99;
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = sample_encode(&tx, bytes);
    REQUIRE(length == ENVELOPE_BYTES + body_bytes[TALLY_TX_LISTING_CREATE] + 4 + 7 + 10);
    const uint8_t *body = bytes + 74;
    static const uint8_t head[] = {0x44, 0x33, 0x22, 0x11, /* network_id */
                                   0x01,                   /* kind: want */
                                   0x07,                   /* category */
                                   0xe2, 0x04, 0, 0, 0, 0, 0, 0, /* price 1250 */
                                   0x04, 0x03, 0x02, 0x01,       /* quantity */
                                   0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* expiry -2 */
                                   0x04, 0x00, 'E', 'g', 'g', 's', 0x07, 0x00};
    CHECK(memcmp(body, head, sizeof head) == 0);
    CHECK(memcmp(body + sizeof head, "a dozen", 7) == 0);
    for (unsigned i = 0; i < 32; i++) CHECK_EQ(body[sizeof head + 7 + i], 0xab);
    CHECK_EQ(body[sizeof head + 7 + 32], 10);
    CHECK_EQ(body[sizeof head + 7 + 33], 0);
    CHECK(memcmp(body + sizeof head + 7 + 34, "https://x/e", 10) == 0);
    tally_tx decoded;
    CHECK_CODE(decode_exact(bytes, length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.listing.listing_id, 0);
    CHECK_EQ(decoded.body.listing.quantity, 0x01020304u);
    CHECK_EQ(decoded.body.listing.expiry, -2);
    /* An update is the listing's id, then the same fields from the category on. */
    tx.type = TALLY_TX_LISTING_UPDATE;
    uint8_t update[TALLY_TX_ENCODED_MAX];
    size_t update_length = sample_encode(&tx, update);
    CHECK_EQ(update_length, length - 1);
    CHECK_EQ(update[74], 99);
    CHECK(memcmp(update + 78, body + 5, length - 74 - 5 - 64) == 0);
    CHECK_CODE(decode_exact(update, update_length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.listing.network_id, 0);
    CHECK_EQ(decoded.body.listing.kind, 0);
    CHECK_EQ(decoded.body.listing.listing_id, 99);
    /* A withdrawal is the id alone. */
    tx.type = TALLY_TX_LISTING_WITHDRAW;
    CHECK_EQ(sample_encode(&tx, update), ENVELOPE_BYTES + 4);
}

TEST(codec_marketplace_order_layouts) {
    tally_tx tx;
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    zero_tx(TALLY_TX_ORDER_CREATE, &tx);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 5, .quantity = 2, .unit_price = 1250,
                                                   .max_fee = 25, .timeout = 0x0102030405060708};
    set_text(&tx.body.order_create.memo, "hi", 2);
    size_t length = sample_encode(&tx, bytes);
    REQUIRE(length == ENVELOPE_BYTES + body_bytes[TALLY_TX_ORDER_CREATE] + 2);
    CHECK_EQ(bytes[74], 5);
    CHECK_EQ(bytes[78], 2);
    CHECK_EQ(bytes[82], 0xe2);
    CHECK_EQ(bytes[83], 0x04);
    CHECK_EQ(bytes[90], 25);
    CHECK_EQ(bytes[98], 0x08);
    CHECK_EQ(bytes[105], 0x01);
    CHECK_EQ(bytes[106], 2);
    CHECK_EQ(bytes[108], 'h');
    /* A step: the order's id, a resolution's amount, and a memo where one is said. */
    static const struct {
        uint8_t type;
        size_t body;
    } steps[] = {{TALLY_TX_ORDER_ACCEPT, 4},      {TALLY_TX_ORDER_DECLINE, 4 + 2 + 3}, {TALLY_TX_ORDER_CANCEL, 4},
                 {TALLY_TX_ORDER_CONFIRM, 4},     {TALLY_TX_ORDER_DISPUTE, 4 + 2 + 3},
                 {TALLY_TX_ORDER_RESOLVE, 4 + 8 + 2 + 3}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        zero_tx(steps[i].type, &tx);
        tx.body.order_step.order_id = 0x0a0b0c0du;
        tx.body.order_step.amount = steps[i].type == TALLY_TX_ORDER_RESOLVE ? 1500 : 0;
        set_text(&tx.body.order_step.memo, "why", 3);
        length = sample_encode(&tx, bytes);
        CHECK_EQ(length, ENVELOPE_BYTES + steps[i].body);
        CHECK_EQ(bytes[74], 0x0d);
        CHECK_EQ(bytes[77], 0x0a);
        if (steps[i].type == TALLY_TX_ORDER_RESOLVE) {
            CHECK_EQ(bytes[78], 0xdc); /* 1500 */
            CHECK_EQ(bytes[79], 0x05);
            CHECK_EQ(bytes[86], 3);
        }
        tally_tx decoded;
        CHECK_CODE(decode_exact(bytes, length, &decoded), TALLY_OK);
        CHECK_EQ(decoded.body.order_step.order_id, 0x0a0b0c0du);
        /* what a step does not carry decodes as nothing */
        CHECK_EQ(decoded.body.order_step.memo.length, steps[i].body > 4 ? 3 : 0);
    }
    zero_tx(TALLY_TX_REVIEW, &tx);
    tx.body.review.order_id = 3;
    tx.body.review.rating = 5;
    set_text(&tx.body.review.text, "good", 4);
    length = sample_encode(&tx, bytes);
    CHECK_EQ(length, ENVELOPE_BYTES + body_bytes[TALLY_TX_REVIEW] + 4);
    CHECK_EQ(bytes[78], 5);
    CHECK_EQ(bytes[79], 4);
    zero_tx(TALLY_TX_CATEGORY_SET, &tx);
    tx.body.category_set.network_id = 1;
    tx.body.category_set.category = 32;
    set_text(&tx.body.category_set.name, "Food", 4);
    length = sample_encode(&tx, bytes);
    CHECK_EQ(length, ENVELOPE_BYTES + body_bytes[TALLY_TX_CATEGORY_SET] + 4);
    CHECK_EQ(bytes[78], 32);
    CHECK_EQ(bytes[79], 4);
}

TEST(codec_marketplace_texts_are_checked_in_every_field) {
    /* Each text of the marketplace refuses a control character, a cut sequence and
     * U+202E, and takes the longest valid text. */
    static const char *const bad[] = {"a\nb", "\xe2\x82", "x\xe2\x80\xae"};
    static const size_t bad_length[] = {3, 2, 4};
    for (unsigned type = TALLY_TX_CATEGORY_SET; type <= TALLY_TX_REVIEW; type++) {
        const tally_tx_layout *layout = tally_tx_layout_of((uint8_t)type);
        REQUIRE(layout != NULL);
        for (unsigned f = 0; f < layout->field_count; f++) {
            if (layout->fields[f].kind != TALLY_FIELD_TEXT) continue;
            for (size_t k = 0; k < 3; k++) {
                tally_tx tx;
                zero_tx((uint8_t)type, &tx);
                set_text((tally_text *)((uint8_t *)&tx + layout->fields[f].offset), bad[k], bad_length[k]);
                uint8_t bytes[TALLY_TX_ENCODED_MAX];
                size_t length = sample_encode(&tx, bytes);
                REQUIRE(length > 0);
                CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_TEXT);
            }
            tally_tx tx;
            zero_tx((uint8_t)type, &tx);
            tally_text *text = (tally_text *)((uint8_t *)&tx + layout->fields[f].offset);
            memset(text->bytes, 'z', layout->fields[f].limit);
            text->length = layout->fields[f].limit;
            uint8_t bytes[TALLY_TX_ENCODED_MAX];
            size_t length = sample_encode(&tx, bytes);
            REQUIRE(length > 0);
            CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
        }
    }
}

/* ---- the validator set (types 59-60, docs/VALIDATORS.md) ------------------ */

#define PROPOSE_COUNT_AT 74u                                       /* u8 add_count */
#define PROPOSE_KEY_AT(i) (75u + 32u * (unsigned)(i))              /* add_1 .. add_16 */
#define PROPOSE_RETIRE_AT (75u + 32u * TALLY_VALIDATORS_MAX)       /* u32 retire */

/* A proposal adding `add_count` keys (key i all 0x11 * (i + 1)) and retiring the
 * slots of `retire`, encoded into bytes; its length. */
static size_t propose_encoding(uint8_t add_count, uint32_t retire, uint8_t bytes[TALLY_TX_ENCODED_MAX]) {
    tally_tx tx;
    zero_tx(TALLY_TX_VALIDATOR_PROPOSE, &tx);
    tx.body.validator_propose.add_count = add_count;
    for (unsigned i = 0; i < add_count && i < TALLY_VALIDATORS_MAX; i++)
        memset(tx.body.validator_propose.add[i].bytes, (int)(0x11u * (i + 1) & 0xffu), TALLY_KEY_BYTES);
    tx.body.validator_propose.retire = retire;
    return sample_encode(&tx, bytes);
}

TEST(codec_validator_set_layouts) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    /* add_count, then every one of the 16 key slots, those past add_count as zeros (as
     * a clearing's set-offs are), then the retire mask: 517 bytes of body whatever
     * the count. */
    size_t length = propose_encoding(2, 0x00000005u, bytes);
    REQUIRE(length == ENVELOPE_BYTES + 517);
    CHECK_EQ(length, 655);
    CHECK_EQ(bytes[1], TALLY_TX_VALIDATOR_PROPOSE);
    CHECK_EQ(bytes[PROPOSE_COUNT_AT], 2);
    for (unsigned i = 0; i < TALLY_KEY_BYTES; i++) {
        CHECK_EQ(bytes[PROPOSE_KEY_AT(0) + i], 0x11);
        CHECK_EQ(bytes[PROPOSE_KEY_AT(1) + i], 0x22);
    }
    for (size_t at = PROPOSE_KEY_AT(2); at < PROPOSE_RETIRE_AT; at++) CHECK_EQ(bytes[at], 0);
    static const uint8_t retire[] = {0x05, 0x00, 0x00, 0x00};
    CHECK(memcmp(bytes + PROPOSE_RETIRE_AT, retire, sizeof retire) == 0);
    CHECK_EQ(PROPOSE_RETIRE_AT + 4 + 64, length);
    tally_tx decoded;
    CHECK_CODE(decode_exact(bytes, length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.validator_propose.add_count, 2);
    CHECK_EQ(decoded.body.validator_propose.add[1].bytes[31], 0x22);
    CHECK_EQ(decoded.body.validator_propose.add[2].bytes[0], 0);
    CHECK_EQ(decoded.body.validator_propose.retire, 5);
    /* Every count is the same width: no keys and sixteen. */
    CHECK_EQ(propose_encoding(0, 1, bytes), 655);
    CHECK_EQ(propose_encoding(TALLY_VALIDATORS_MAX, 0, bytes), 655);
    CHECK_EQ(bytes[PROPOSE_KEY_AT(15)], 0x10); /* 0x11 * 16, in a byte */
    CHECK_CODE(decode_exact(bytes, 655, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.validator_propose.add_count, TALLY_VALIDATORS_MAX);

    /* An approval is the change's id alone. */
    tally_tx tx;
    zero_tx(TALLY_TX_VALIDATOR_APPROVE, &tx);
    tx.body.validator_approve.change_id = 0x01020304u;
    length = sample_encode(&tx, bytes);
    CHECK_EQ(length, ENVELOPE_BYTES + 4);
    CHECK_EQ(bytes[1], TALLY_TX_VALIDATOR_APPROVE);
    static const uint8_t id[] = {0x04, 0x03, 0x02, 0x01};
    CHECK(memcmp(bytes + 74, id, sizeof id) == 0);
    CHECK_CODE(decode_exact(bytes, length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.validator_approve.change_id, 0x01020304u);
}

TEST(codec_validator_set_decoder_refuses_a_count_past_16_and_every_cut) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX + 1];
    tally_tx tx;
    /* add_count 0..16 decodes; 17 and above are refused by the decoder itself, also
     * when the input ends right after the count (the count is checked first). */
    size_t length = propose_encoding(1, 0, bytes);
    REQUIRE(length == 655);
    for (unsigned count = 0; count <= TALLY_VALIDATORS_MAX; count++) {
        bytes[PROPOSE_COUNT_AT] = (uint8_t)count;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    }
    for (unsigned count = TALLY_VALIDATORS_MAX + 1; count < 256; count++) {
        bytes[PROPOSE_COUNT_AT] = (uint8_t)count;
        CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_ERR_DECODE_BAD_VALUE);
        CHECK_CODE(decode_exact(bytes, PROPOSE_COUNT_AT + 1, &tx), TALLY_ERR_DECODE_BAD_VALUE);
    }
    /* The encoder writes such a count (ranges are not its business), and the decoder
     * refuses what it wrote. */
    CHECK_EQ(propose_encoding(TALLY_VALIDATORS_MAX + 1, 0, bytes), 655);
    CHECK_CODE(decode_exact(bytes, 655, &tx), TALLY_ERR_DECODE_BAD_VALUE);

    /* Every field cut anywhere, the count's, each key's, the mask's and the
     * signature's: truncated; one byte more: trailing. */
    length = propose_encoding(3, 0x8001u, bytes);
    for (size_t cut = 0; cut < length; cut++) CHECK_CODE(decode_exact(bytes, cut, &tx), TALLY_ERR_DECODE_TRUNCATED);
    bytes[length] = 0;
    CHECK_CODE(decode_exact(bytes, length + 1, &tx), TALLY_ERR_DECODE_TRAILING_BYTES);
    zero_tx(TALLY_TX_VALIDATOR_APPROVE, &tx);
    tx.body.validator_approve.change_id = 7;
    length = sample_encode(&tx, bytes);
    for (size_t cut = 0; cut < length; cut++) CHECK_CODE(decode_exact(bytes, cut, &tx), TALLY_ERR_DECODE_TRUNCATED);
    bytes[length] = 0;
    CHECK_CODE(decode_exact(bytes, length + 1, &tx), TALLY_ERR_DECODE_TRAILING_BYTES);
}

TEST(codec_validator_set_decoder_carries_what_the_rules_refuse) {
    /* A key past add_count that is not zero, a retire bit past slot 15, a change id of
     * 0: all decode (canonically: each re-encodes to its bytes) and are the rules'
     * refusals (BAD_VALIDATOR_SET, NO_VALIDATOR_CHANGE), which change nothing. */
    uint8_t bytes[TALLY_TX_ENCODED_MAX], again[TALLY_TX_ENCODED_MAX];
    tally_tx tx;
    size_t length = propose_encoding(1, 0, bytes);
    bytes[PROPOSE_KEY_AT(9) + 17] = 0x01;
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK_EQ(tally_tx_encode(&tx, again, sizeof again), length);
    CHECK(memcmp(bytes, again, length) == 0);
    CHECK(tally_tx_unused_fields_zero(&tx)); /* not the decoder's rule: the validator set's */
    length = propose_encoding(1, 0xffffffffu, bytes);
    CHECK_CODE(decode_exact(bytes, length, &tx), TALLY_OK);
    CHECK_EQ(tx.body.validator_propose.retire, 0xffffffffu);

    uint8_t seed[32];
    memset(seed, 0x59, sizeof seed);
    tally_key validator;
    uint8_t secret[TALLY_SECRET_BYTES];
    tally_keypair(&validator, secret, seed);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &validator);
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES] = {0x59};
    tally_state *state = tally_state_create_for_chain(chain_id, &rules);
    REQUIRE(state != NULL);
    uint8_t before[TALLY_HASH_BYTES], after[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(state, before));
    zero_tx(TALLY_TX_VALIDATOR_PROPOSE, &tx);
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = validator;
    tally_tx_validator_propose *body = &tx.body.validator_propose;
    body->add_count = 1;
    memset(body->add[0].bytes, 0x33, TALLY_KEY_BYTES);
    body->add[9].bytes[17] = 0x01;
    CHECK_CODE(tally_apply(state, &tx, 1767225600).code, TALLY_ERR_BAD_VALIDATOR_SET);
    memset(body->add[9].bytes, 0, TALLY_KEY_BYTES);
    body->retire = 1u << 16;
    CHECK_CODE(tally_apply(state, &tx, 1767225600).code, TALLY_ERR_BAD_VALIDATOR_SET);
    body->add_count = TALLY_VALIDATORS_MAX + 1; /* what no decoder gives, in memory */
    body->retire = 0;
    CHECK_CODE(tally_apply(state, &tx, 1767225600).code, TALLY_ERR_BAD_VALIDATOR_SET);
    tx.type = TALLY_TX_VALIDATOR_APPROVE;
    memset(&tx.body, 0, sizeof tx.body);
    CHECK_CODE(tally_apply(state, &tx, 1767225600).code, TALLY_ERR_NO_VALIDATOR_CHANGE);
    REQUIRE(tally_state_hash(state, after));
    CHECK(memcmp(before, after, sizeof before) == 0);
    tally_state_destroy(state);
}
