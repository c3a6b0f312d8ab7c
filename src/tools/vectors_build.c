/*
 * vectors_build.c: builds the transaction test vectors (vectors_build.h). Every
 * transaction type appears at least once, signed by one of four fixed identities
 * whose Ed25519 seeds are printed, so any client can reproduce every byte. The
 * fields are printed by walking the codec's own field tables (chain/tx_fields.h).
 */
#include "tools/vectors_build.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chain/tx_fields.h"

/* ------------------------------------------------------------------------ */
/* Hex.                                                                      */
/* ------------------------------------------------------------------------ */

void vectors_hex(const uint8_t *bytes, size_t length, char *out) {
    static const char digits[16] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15u];
    }
    out[2 * length] = '\0';
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool vectors_unhex(const char *hex, uint8_t *out, size_t out_capacity, size_t *length) {
    size_t digits = strnlen(hex, 2 * out_capacity + 1);
    if (digits % 2 != 0 || digits > 2 * out_capacity) return false;
    for (size_t i = 0; i < digits / 2; i++) {
        int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return false;
        out[i] = (uint8_t)(high << 4 | low);
    }
    *length = digits / 2;
    return true;
}

static json_t *hex_json(const uint8_t *bytes, size_t length) {
    assert(length <= TALLY_TX_ENCODED_MAX);
    char *text = malloc(2 * length + 1);
    if (text == NULL) return NULL;
    vectors_hex(bytes, length, text);
    json_t *value = json_string(text);
    free(text);
    return value;
}

/* ------------------------------------------------------------------------ */
/* Transactions as JSON.                                                     */
/* ------------------------------------------------------------------------ */

static json_t *fields_json(const uint8_t *base, const tally_field *fields, unsigned count);

/* One field of the struct at base (a tally_tx, or one item of a counted array). */
static json_t *field_json(const uint8_t *base, const tally_field *field) {
    const uint8_t *source = base + field->offset;
    switch (field->kind) {
    case TALLY_FIELD_I64: {
        int64_t value;
        memcpy(&value, source, sizeof value);
        return json_integer((json_int_t)value);
    }
    case TALLY_FIELD_U32: {
        uint32_t value;
        memcpy(&value, source, sizeof value);
        return json_integer((json_int_t)value);
    }
    case TALLY_FIELD_U8: return json_integer((json_int_t)*source);
    case TALLY_FIELD_BOOL: return json_boolean(*source != 0);
    case TALLY_FIELD_KEY: return hex_json(source, TALLY_KEY_BYTES);
    case TALLY_FIELD_TEXT: {
        /* A tally_text or a tally_batch_memo: u16 length, then the bytes. NULL when
         * the text is not UTF-8: such a transaction makes no vector. */
        uint16_t length;
        memcpy(&length, source, sizeof length);
        if (length > field->limit) return NULL;
        return json_stringn((const char *)source + TALLY_TEXT_BYTES_OFFSET, length);
    }
    default: {
        /* A counted array: a JSON array of objects, one per item. */
        assert(field->kind == TALLY_FIELD_ITEMS);
        uint16_t count;
        const uint8_t *items;
        memcpy(&count, source, sizeof count);
        memcpy(&items, base + field->items_offset, sizeof items);
        if (items == NULL && count > 0) return NULL;
        json_t *list = json_array();
        for (uint16_t k = 0; list != NULL && k < count; k++) {
            json_t *item = fields_json(items + (size_t)k * field->item_size, field->item_fields, field->item_field_count);
            /* json_array_append_new takes item even when it fails. */
            if (item == NULL || json_array_append_new(list, item) != 0) {
                json_decref(list);
                list = NULL;
            }
        }
        return list;
    }
    }
}

json_t *vectors_body_json(const tally_tx *tx) {
    const tally_tx_layout *layout = tally_tx_layout_of(tx->type);
    if (layout == NULL) return NULL;
    return fields_json((const uint8_t *)tx, layout->fields, layout->field_count);
}

static json_t *fields_json(const uint8_t *base, const tally_field *fields, unsigned count) {
    json_t *body = json_object();
    if (body == NULL) return NULL;
    for (unsigned i = 0; i < count; i++) {
        const tally_field *field = &fields[i];
        json_t *value = field_json(base, field);
        if (value == NULL) goto fail;
        json_t *parent = body;
        const char *key = field->name;
        /* "policy.fee_bps" nests under "policy", "policy.reputation.base" under
         * "policy" then "reputation". */
        for (const char *dot = strchr(key, '.'); dot != NULL && parent != NULL; dot = strchr(key, '.')) {
            char group[32];
            size_t group_length = (size_t)(dot - key);
            assert(group_length < sizeof group);
            memcpy(group, key, group_length);
            group[group_length] = '\0';
            json_t *child = json_object_get(parent, group);
            if (child == NULL) {
                child = json_object();
                if (json_object_set_new(parent, group, child) != 0) child = NULL;
            }
            parent = child;
            key = dot + 1;
        }
        if (parent == NULL) {
            json_decref(value);
            goto fail;
        }
        /* json_object_set_new takes value even when it fails. */
        if (json_object_set_new(parent, key, value) != 0) goto fail;
    }
    return body;
fail:
    json_decref(body);
    return NULL;
}

/* Sets key in object to value, which may be NULL (a failure); false on failure. */
static bool set(json_t *object, const char *key, json_t *value) {
    return value != NULL && json_object_set_new(object, key, value) == 0;
}

json_t *vectors_entry_json(const char *name, const char *note,
                           const uint8_t seed[VECTORS_SEED_BYTES], tally_tx *tx) {
    tally_key public_key;
    uint8_t secret_key[TALLY_SECRET_BYTES];
    tally_keypair(&public_key, secret_key, seed);
    assert(memcmp(public_key.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0);
    tally_tx_sign(tx, secret_key);
    sodium_memzero(secret_key, sizeof secret_key);

    uint8_t *signed_bytes = malloc(TALLY_TX_ENCODED_MAX);
    size_t signed_length = signed_bytes ? tally_tx_encode(tx, signed_bytes, TALLY_TX_ENCODED_MAX) : 0;
    if (signed_length == 0) {
        free(signed_bytes);
        return NULL;
    }
    size_t unsigned_length = signed_length - TALLY_SIGNATURE_BYTES;
    uint8_t hash[TALLY_HASH_BYTES];
    tally_tx_hash(tx, hash);
    char address[128];
    tally_address_encode(&tx->signer, address);
    /* json_int_t is signed: sequences past INT64_MAX would need a string. */
    assert(tx->sequence <= (uint64_t)INT64_MAX);

    json_t *entry = json_object();
    if (entry == NULL) return NULL;
    bool ok = set(entry, "name", json_string(name)) &&
              (note == NULL || set(entry, "note", json_string(note))) &&
              set(entry, "type", json_string(tally_tx_type_name(tx->type))) &&
              set(entry, "type_code", json_integer(tx->type)) &&
              set(entry, "signer_seed", hex_json(seed, VECTORS_SEED_BYTES)) &&
              set(entry, "signer", hex_json(tx->signer.bytes, TALLY_KEY_BYTES)) &&
              set(entry, "signer_address", json_string(address)) &&
              set(entry, "chain_id", hex_json(tx->chain_id, TALLY_CHAIN_ID_BYTES)) &&
              set(entry, "sequence", json_integer((json_int_t)tx->sequence)) &&
              set(entry, "body", vectors_body_json(tx)) &&
              set(entry, "unsigned", hex_json(signed_bytes, unsigned_length)) &&
              set(entry, "hash", hex_json(hash, sizeof hash)) &&
              set(entry, "signature", hex_json(tx->signature, TALLY_SIGNATURE_BYTES)) &&
              set(entry, "signed", hex_json(signed_bytes, signed_length));
    free(signed_bytes);
    if (!ok) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}

/* ------------------------------------------------------------------------ */
/* The vectors.                                                              */
/* ------------------------------------------------------------------------ */

typedef enum { FOUNDER, ALICE, BOB, ISSUER, IDENTITY_COUNT } identity_id;

typedef struct {
    const char *name;
    uint8_t seed[VECTORS_SEED_BYTES];
    tally_key key;
    uint64_t next_sequence;
} identity;

typedef struct {
    identity identities[IDENTITY_COUNT];
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    json_t *vectors;
    bool failed;
} builder;

static void builder_init(builder *b) {
    static const char *const names[IDENTITY_COUNT] = {"founder", "alice", "bob", "issuer"};
    memset(b, 0, sizeof *b);
    for (unsigned id = 0; id < IDENTITY_COUNT; id++) {
        identity *who = &b->identities[id];
        who->name = names[id];
        /* Seeds 00 01 .. 1f, 20 21 .. 3f, ...: easy to type into another client. */
        for (unsigned i = 0; i < VECTORS_SEED_BYTES; i++) {
            who->seed[i] = (uint8_t)(id * VECTORS_SEED_BYTES + i);
        }
        uint8_t secret_key[TALLY_SECRET_BYTES];
        tally_keypair(&who->key, secret_key, who->seed);
        sodium_memzero(secret_key, sizeof secret_key);
        who->next_sequence = 1;
    }
    for (unsigned i = 0; i < TALLY_CHAIN_ID_BYTES; i++) b->chain_id[i] = (uint8_t)(0xc0 + i);
    b->vectors = json_array();
    b->failed = b->vectors == NULL;
}

/* A transaction of type from identity `from`, with its next sequence number. */
static tally_tx new_tx(builder *b, uint8_t type, identity_id from) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = type;
    memcpy(tx.chain_id, b->chain_id, sizeof tx.chain_id);
    tx.signer = b->identities[from].key;
    tx.sequence = b->identities[from].next_sequence++;
    return tx;
}

static void add(builder *b, const char *name, const char *note, tally_tx *tx) {
    if (b->failed) return;
    const uint8_t *seed = NULL;
    for (unsigned id = 0; id < IDENTITY_COUNT; id++) {
        if (memcmp(b->identities[id].key.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0) {
            seed = b->identities[id].seed;
        }
    }
    assert(seed != NULL);
    json_t *entry = vectors_entry_json(name, note, seed, tx);
    if (entry == NULL || json_array_append_new(b->vectors, entry) != 0) b->failed = true;
}

static void set_text(tally_text *text, const char *value) {
    size_t length = strlen(value);
    assert(length <= sizeof text->bytes);
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)length;
    memcpy(text->bytes, value, length);
}

static tally_policy greenvale_policy(void) {
    tally_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.default_credit_limit = 50000;   /* 500.00 */
    policy.max_credit_limit = 200000;      /* 2000.00 */
    policy.positive_cap = 1000000;         /* 10000.00 */
    policy.fee_bps = 100;
    policy.default_risk_fee_bps = 50;
    policy.period_seconds = 30u * 24u * 3600u;
    policy.grace_seconds = 7u * 24u * 3600u;
    policy.min_income_bps = 1000;
    policy.target_rtd_bps = 2000;
    policy.compliance_rule = TALLY_COMPLIANCE_MIN_INCOME;
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy.auto_renew = true;
    policy.max_members = 5000;
    policy.notice_seconds = 7u * 24u * 3600u;
    policy.redeem_cap_bps = 1000;
    policy.collateral_ratio_bps = 15000; /* a stake of 300.00 backs 200.00 */
    policy.reputation = (tally_reputation_rule){200, 200, 365, 200, 1000000, 300, 12, 100, 10, 500};
    policy.algorithmic_limits = (tally_limit_rule){true, 5000, 100, 2500, 5000, 2};
    policy.demurrage_bps = 100;           /* 1% a period of what is above 1000.00 */
    policy.demurrage_threshold = 100000;
    policy.membership_fee = 500;          /* 5.00 a period */
    policy.charges_to_pool = false;
    /* governed by its operators; the rule a vote would follow is set all the same */
    policy.governance = (tally_governance_rule){TALLY_GOVERNANCE_OPERATORS, TALLY_WEIGHT_REPUTATION, 2000, 5000,
                                                7u * 24u * 3600u, 2u * 24u * 3600u, 24u * 3600u, true, false};
    return policy;
}

static void add_network_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_NETWORK_CREATE, FOUNDER);
    set_text(&tx.body.network_create.name, "Greenvale LETS");
    set_text(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = greenvale_policy();
    add(b, "network_create", NULL, &tx);

    tx = new_tx(b, TALLY_TX_POLICY_UPDATE, FOUNDER);
    tx.body.policy_update.network_id = 1;
    tx.body.policy_update.policy = greenvale_policy();
    tx.body.policy_update.policy.positive_cap = 0;
    tx.body.policy_update.policy.compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    tx.body.policy_update.policy.membership_mode = TALLY_MEMBERSHIP_OPEN;
    tx.body.policy_update.policy.auto_renew = false;
    add(b, "policy_update", NULL, &tx);

    tx = new_tx(b, TALLY_TX_PEG_SET, FOUNDER);
    tx.body.peg_set.network_id = 1;
    tx.body.peg_set.asset_id = 1;
    tx.body.peg_set.peg_reserve_units = 100;
    tx.body.peg_set.peg_credit_units = 100;
    add(b, "peg_set", NULL, &tx);

    static const struct {
        uint8_t type;
        const char *name;
        identity_id key;
    } network_key_vectors[] = {
        {TALLY_TX_OPERATOR_ADD, "operator_add", BOB},
        {TALLY_TX_OPERATOR_REMOVE, "operator_remove", BOB},
        {TALLY_TX_MEMBER_ADMIT, "member_admit", ALICE},
        {TALLY_TX_MEMBER_SUSPEND, "member_suspend", ALICE},
        {TALLY_TX_MEMBER_REINSTATE, "member_reinstate", ALICE},
    };
    for (size_t i = 0; i < sizeof network_key_vectors / sizeof network_key_vectors[0]; i++) {
        tx = new_tx(b, network_key_vectors[i].type, FOUNDER);
        tx.body.network_key.network_id = 1;
        tx.body.network_key.key = b->identities[network_key_vectors[i].key].key;
        add(b, network_key_vectors[i].name, NULL, &tx);
    }
}

static void add_member_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_MEMBER_JOIN, ALICE);
    tx.body.network_only.network_id = 1;
    add(b, "member_join", NULL, &tx);

    tx = new_tx(b, TALLY_TX_ALIAS_SET, ALICE);
    tx.body.alias_set.network_id = 1;
    set_text(&tx.body.alias_set.alias, "alice");
    add(b, "alias_set", NULL, &tx);

    tx = new_tx(b, TALLY_TX_LINE_OPEN, FOUNDER);
    tx.body.line_open.network_id = 1;
    tx.body.line_open.member = b->identities[ALICE].key;
    tx.body.line_open.limit = 100000;
    tx.body.line_open.period_seconds = 0; /* the network's */
    tx.body.line_open.grace_seconds = 0;
    tx.body.line_open.risk_fee_bps = 25;
    add(b, "line_open", NULL, &tx);

    tx = new_tx(b, TALLY_TX_LINE_UPDATE, FOUNDER);
    tx.body.line_update.network_id = 1;
    tx.body.line_update.member = b->identities[ALICE].key;
    tx.body.line_update.limit = 150000;
    tx.body.line_update.risk_fee_bps = 30;
    add(b, "line_update", NULL, &tx);
}

static void add_transfer_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_TRANSFER, ALICE);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = b->identities[BOB].key;
    tx.body.transfer.amount = 1250; /* 12.50 */
    tx.body.transfer.max_fee = 13;
    add(b, "transfer", "no memo: its length is the two bytes 00 00", &tx);

    tx = new_tx(b, TALLY_TX_TRANSFER, ALICE);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = b->identities[BOB].key;
    tx.body.transfer.amount = 4200;
    tx.body.transfer.max_fee = 42;
    set_text(&tx.body.transfer.memo, "Brot & K\xc3\xa4se \xe2\x80\x94 3 \xc3\x97 \xf0\x9f\x8d\x9e");
    add(b, "transfer_memo_utf8", "memo with 2-, 3- and 4-byte UTF-8 sequences", &tx);

    tx = new_tx(b, TALLY_TX_TRANSFER, BOB);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = b->identities[ALICE].key;
    tx.body.transfer.amount = 1;
    tx.body.transfer.max_fee = 0;
    set_text(&tx.body.transfer.memo, "thanks");
    add(b, "transfer_max_fee_zero", "max_fee 0: refused by the core if any fee is due", &tx);

    tx = new_tx(b, TALLY_TX_TRANSFER, BOB);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = b->identities[ALICE].key;
    tx.body.transfer.amount = INT64_MAX;
    tx.body.transfer.max_fee = INT64_MAX;
    char memo[TALLY_MEMO_MAX + 1];
    for (unsigned i = 0; i < TALLY_MEMO_MAX; i++) memo[i] = (char)('a' + i % 26u);
    memo[TALLY_MEMO_MAX] = '\0';
    set_text(&tx.body.transfer.memo, memo);
    add(b, "transfer_longest",
        "the longest transaction: a 256-byte memo (length bytes 00 01) and INT64_MAX amounts",
        &tx);
}

/* Sets a batch line; memo NULL for none. */
static void set_line(tally_batch_line *line, const tally_key *payee, int64_t amount, const char *memo) {
    memset(line, 0, sizeof *line);
    line->payee = *payee;
    line->amount = amount;
    size_t length = memo ? strlen(memo) : 0;
    assert(length <= TALLY_BATCH_MEMO_MAX);
    line->memo.length = (uint16_t)length;
    if (length) memcpy(line->memo.bytes, memo, length);
}

/* Pending transfers (types 27-29). */
static void add_pending_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_PENDING_CREATE, ALICE);
    tx.body.pending_create.network_id = 1;
    tx.body.pending_create.payee = b->identities[BOB].key;
    tx.body.pending_create.amount = 6000;
    tx.body.pending_create.max_fee = 60;
    tx.body.pending_create.resolver = b->identities[FOUNDER].key;
    tx.body.pending_create.timeout = 1767225600 + 7 * 86400;
    tx.body.pending_create.outcome = TALLY_PENDING_RELEASE;
    add(b, "pending_create", "hold 60.00 GVH for bob, the founder as resolver, released at its timeout", &tx);
    tx = new_tx(b, TALLY_TX_PENDING_CREATE, ALICE);
    tx.body.pending_create.network_id = 1;
    tx.body.pending_create.payee = b->identities[BOB].key;
    tx.body.pending_create.amount = 1;
    tx.body.pending_create.timeout = 1767225600 + 60;
    add(b, "pending_create_no_resolver", "no resolver (32 zero bytes), outcome refund (00), max_fee 0", &tx);
    tx = new_tx(b, TALLY_TX_PENDING_POST, ALICE);
    tx.body.pending_end.pending_id = 1;
    tx.body.pending_end.amount = 2500;
    add(b, "pending_post", "post 25.00 GVH of hold 1 (the rest is released)", &tx);
    tx = new_tx(b, TALLY_TX_PENDING_VOID, BOB);
    tx.body.pending_end.pending_id = 2;
    add(b, "pending_void", "the payee voids hold 2: only its id is encoded", &tx);
}

/* Payment requests (types 30-32). */
static void add_request_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_REQUEST_CREATE, BOB);
    tx.body.request_create.network_id = 1;
    tx.body.request_create.payer = b->identities[ALICE].key;
    tx.body.request_create.amount = 1250;
    tx.body.request_create.expiry = 1767225600 + 30 * 86400;
    set_text(&tx.body.request_create.memo, "invoice 17: eggs");
    add(b, "request_create", "bob asks alice 12.50 GVH for invoice 17, expiring in 30 days", &tx);
    tx = new_tx(b, TALLY_TX_REQUEST_CREATE, BOB);
    tx.body.request_create.network_id = 1;
    tx.body.request_create.amount = 1;
    tx.body.request_create.expiry = 1767225600 + 60;
    add(b, "request_create_anyone", "any member may pay (payer: 32 zero bytes), an empty memo", &tx);
    tx = new_tx(b, TALLY_TX_REQUEST_PAY, ALICE);
    tx.body.request_end.request_id = 1;
    tx.body.request_end.max_fee = 13;
    add(b, "request_pay", "alice pays request 1, at most 0.13 GVH in fees", &tx);
    tx = new_tx(b, TALLY_TX_REQUEST_CANCEL, BOB);
    tx.body.request_end.request_id = 2;
    add(b, "request_cancel", "bob cancels request 2: only its id is encoded", &tx);
}

/* Gateways (types 33-37, docs/GATEWAYS.md). */
static void add_gateway_vectors(builder *b) {
    tally_gateway_terms terms = {3, 2, {{100, 50000, 2000, 500}, {200, 40000, 0, 0}}};
    tally_tx tx = new_tx(b, TALLY_TX_GATEWAY_PROPOSE, FOUNDER);
    tx.body.gateway_propose = (tally_tx_gateway_propose){1, 2, terms};
    add(b, "gateway_propose",
        "network 1 proposes to network 2: 3 of its units for 2 of theirs, fees 1% and 2%, exposure limits 500.00 and "
        "400.00, a minimum partner RTD of 20% and a maximum partner default rate of 5% on its side",
        &tx);
    tx = new_tx(b, TALLY_TX_GATEWAY_ACCEPT, BOB);
    tx.body.gateway_accept = (tally_tx_gateway_accept){1, terms};
    add(b, "gateway_accept", "network 2's operator accepts gateway 1, the terms repeated", &tx);
    tx = new_tx(b, TALLY_TX_GATEWAY_UPDATE, FOUNDER);
    tx.body.gateway_update = (tally_tx_gateway_update){1, 1, {150, 80000, 2000, 500}};
    add(b, "gateway_update", "network 1 raises its fee to 1.5% and its limit to 800.00", &tx);
    tx = new_tx(b, TALLY_TX_GATEWAY_FREEZE, BOB);
    tx.body.gateway_freeze = (tally_tx_gateway_freeze){1, 2, true};
    add(b, "gateway_freeze", "network 2 takes no new exposure to network 1 (frozen: 01)", &tx);
    tx = new_tx(b, TALLY_TX_TRANSFER_CROSS, ALICE);
    tx.body.transfer_cross = (tally_tx_transfer_cross){1, b->identities[BOB].key, 75000, 0, 49500, 2, {1, 2, 0, 0}};
    add(b, "transfer_cross",
        "alice pays 750.00 over gateways 1 and 2 (hop_count 02, the unused ids zero), the payee to receive at "
        "least 495.00",
        &tx);
    tx = new_tx(b, TALLY_TX_CLEARING, BOB);
    tx.body.clearing.count = 3;
    tx.body.clearing.setoffs[0] = (tally_setoff){1, 4000, 4000};
    tx.body.clearing.setoffs[1] = (tally_setoff){2, 4000, 4000};
    tx.body.clearing.setoffs[2] = (tally_setoff){3, 6000, 4000};
    add(b, "clearing",
        "three set-offs around a cycle of gateways 1, 2 and 3 (the third at 3:2), the five unused all zero", &tx);
    tx = new_tx(b, TALLY_TX_SETTLE, FOUNDER);
    tx.body.settle = (tally_tx_settle){1, 1, 12500};
    add(b, "settle",
        "network 1's operator pays reserve into network 2's pool to lower network 2's exposure to it by 125.00", &tx);
    tx = new_tx(b, TALLY_TX_GATEWAY_CLOSE, FOUNDER);
    tx.body.gateway_end.gateway_id = 1;
    add(b, "gateway_close", "gateway 1 closed (both mirror accounts at zero)", &tx);
}

static void add_underwriting_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_STAKE, ALICE);
    tx.body.stake = (tally_tx_stake){1, b->identities[BOB].key, 30000};
    add(b, "stake", "alice locks 300.00 of network 1's reserve asset behind bob's line", &tx);
    tx = new_tx(b, TALLY_TX_UNSTAKE, ALICE);
    tx.body.stake = (tally_tx_stake){1, b->identities[BOB].key, 7500};
    add(b, "unstake", "alice takes 75.00 of that stake back (the same body as a stake)", &tx);
    tx = new_tx(b, TALLY_TX_MEMBER_FEE_PAY, BOB);
    tx.body.network_only.network_id = 1;
    add(b, "member_fee_pay", "bob pays the membership fees he owes in network 1", &tx);
}

static void add_governance_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_PROPOSAL_CREATE, ALICE);
    tx.body.proposal_create.network_id = 1;
    tx.body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
    tx.body.proposal_create.action.key = b->identities[BOB].key;
    add(b, "proposal_create",
        "alice proposes that bob become an operator of network 1 (action type 04; every field the action does not "
        "use zero, the policy's included)",
        &tx);
    tx = new_tx(b, TALLY_TX_PROPOSAL_CREATE, BOB);
    tx.body.proposal_create.network_id = 1;
    tx.body.proposal_create.action.type = TALLY_TX_POLICY_UPDATE;
    tx.body.proposal_create.action.policy = greenvale_policy();
    tx.body.proposal_create.action.policy.fee_bps = 50;
    add(b, "proposal_create_policy", "bob proposes Greenvale's policy with a fee of 0.5% (action type 02)", &tx);
    tx = new_tx(b, TALLY_TX_PROPOSAL_VOTE, BOB);
    tx.body.proposal_vote = (tally_tx_proposal_vote){1, TALLY_VOTE_YES};
    add(b, "proposal_vote", "bob votes yes (01) on proposal 1", &tx);
    tx = new_tx(b, TALLY_TX_PROPOSAL_CANCEL, ALICE);
    tx.body.proposal_vote.proposal_id = 1;
    add(b, "proposal_cancel", "alice withdraws proposal 1", &tx);
}

static void add_batch_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_TRANSFER_BATCH, ALICE);
    tx.body.transfer_batch.network_id = 1;
    tx.body.transfer_batch.max_fee = 20;
    if (!tally_tx_batch_reserve(&tx, 3)) {
        b->failed = true;
        return;
    }
    set_line(&tx.body.transfer_batch.lines[0], &b->identities[BOB].key, 1250, NULL);
    set_line(&tx.body.transfer_batch.lines[1], &b->identities[FOUNDER].key, 300, "rent");
    set_line(&tx.body.transfer_batch.lines[2], &b->identities[BOB].key, 75, "Brot & K\xc3\xa4se \xf0\x9f\x8d\x9e");
    add(b, "transfer_batch",
        "three lines (count bytes 03 00), bob twice, the first memo empty; one max_fee for all lines", &tx);
    tally_tx_release(&tx);

    tx = new_tx(b, TALLY_TX_TRANSFER_BATCH, BOB);
    tx.body.transfer_batch.network_id = 1;
    tx.body.transfer_batch.max_fee = 0;
    if (!tally_tx_batch_reserve(&tx, 1)) {
        b->failed = true;
        return;
    }
    set_line(&tx.body.transfer_batch.lines[0], &b->identities[ALICE].key, 1, NULL);
    add(b, "transfer_batch_one_line", "the shortest batch: one line without a memo", &tx);
    tally_tx_release(&tx);

    tx = new_tx(b, TALLY_TX_TRANSFER_BATCH, ALICE);
    tx.body.transfer_batch.network_id = 1;
    tx.body.transfer_batch.max_fee = INT64_MAX;
    if (!tally_tx_batch_reserve(&tx, TALLY_BATCH_LINES_MAX)) {
        b->failed = true;
        return;
    }
    static const identity_id payees[] = {BOB, FOUNDER, ISSUER};
    for (unsigned i = 0; i < TALLY_BATCH_LINES_MAX; i++) {
        char memo[TALLY_BATCH_MEMO_MAX + 1];
        for (unsigned k = 0; k < TALLY_BATCH_MEMO_MAX; k++) memo[k] = (char)('a' + (i + k) % 26u);
        memo[TALLY_BATCH_MEMO_MAX] = '\0';
        set_line(&tx.body.transfer_batch.lines[i], &b->identities[payees[i % 3]].key, (int64_t)i + 1, memo);
    }
    add(b, "transfer_batch_longest",
        "the longest transaction (27,288 bytes): 256 lines (count bytes 00 01), each with a 64-byte memo", &tx);
    tally_tx_release(&tx);
}

static void add_asset_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_ASSET_CREATE, ISSUER);
    set_text(&tx.body.asset_create.code, "USD");
    set_text(&tx.body.asset_create.name, "Greenvale Cooperative Dollar");
    tx.body.asset_create.decimals = 2;
    add(b, "asset_create", NULL, &tx);

    tx = new_tx(b, TALLY_TX_ASSET_ISSUE, ISSUER);
    tx.body.asset_move.asset_id = 1;
    tx.body.asset_move.to = b->identities[ALICE].key;
    tx.body.asset_move.amount = 50000;
    add(b, "asset_issue", NULL, &tx);

    tx = new_tx(b, TALLY_TX_ASSET_TRANSFER, ALICE);
    tx.body.asset_move.asset_id = 1;
    tx.body.asset_move.to = b->identities[BOB].key;
    tx.body.asset_move.amount = 2500;
    add(b, "asset_transfer", NULL, &tx);

    tx = new_tx(b, TALLY_TX_ASSET_BURN, ISSUER);
    tx.body.asset_burn.asset_id = 1;
    tx.body.asset_burn.amount = 1000;
    add(b, "asset_burn", NULL, &tx);
}

static void add_pool_vectors(builder *b) {
    static const struct {
        uint8_t type;
        const char *name;
        identity_id from;
        int64_t amount;
    } pool_vectors[] = {
        {TALLY_TX_POOL_DEPOSIT, "pool_deposit", ALICE, 10000},
        {TALLY_TX_POOL_WITHDRAW, "pool_withdraw", ALICE, 5000},
        {TALLY_TX_POOL_REPAY, "pool_repay", ALICE, 3000},
        {TALLY_TX_POOL_REDEEM, "pool_redeem", BOB, 2000},
    };
    for (size_t i = 0; i < sizeof pool_vectors / sizeof pool_vectors[0]; i++) {
        tally_tx tx = new_tx(b, pool_vectors[i].type, pool_vectors[i].from);
        tx.body.pool_amount.network_id = 1;
        tx.body.pool_amount.amount = pool_vectors[i].amount;
        add(b, pool_vectors[i].name, NULL, &tx);
    }

    tally_tx tx = new_tx(b, TALLY_TX_FEE_DISTRIBUTE, FOUNDER);
    tx.body.fee_distribute.network_id = 1;
    tx.body.fee_distribute.to_pool = true;
    tx.body.fee_distribute.amount = 500;
    add(b, "fee_distribute_to_pool", "to_pool 1; the key `to` is unused and all zero", &tx);

    tx = new_tx(b, TALLY_TX_FEE_DISTRIBUTE, FOUNDER);
    tx.body.fee_distribute.network_id = 1;
    tx.body.fee_distribute.to_pool = false;
    tx.body.fee_distribute.to = b->identities[BOB].key;
    tx.body.fee_distribute.amount = 250;
    add(b, "fee_distribute_to_member", NULL, &tx);
}

static void add_chain_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_CHAIN_APPROVE, FOUNDER);
    tx.body.chain_approve.key = b->identities[ISSUER].key;
    tx.body.chain_approve.networks = 2;
    tx.body.chain_approve.assets = 1;
    add(b, "chain_approve", "signed by a validator of the chain (here the founder)", &tx);
}

/* Encodings every decoder must refuse: text that would read other than it is
 * (DECODE_BAD_TEXT). They are signed like any other, so only the text is wrong. */
static json_t *refused_text_json(builder *b) {
    static const struct {
        const char *name, *what, *text;
        uint8_t type;
    } cases[] = {
        {"memo_right_to_left_override", "U+202E RIGHT-TO-LEFT OVERRIDE in a memo", "invoice \xe2\x80\xaegpj.exe",
         TALLY_TX_TRANSFER},
        {"memo_zero_width_space", "U+200B ZERO WIDTH SPACE in a memo", "pa\xe2\x80\x8bid", TALLY_TX_TRANSFER},
        {"memo_byte_order_mark", "U+FEFF ZERO WIDTH NO-BREAK SPACE in a memo", "\xef\xbb\xbfrent", TALLY_TX_TRANSFER},
        {"memo_invisible_tag", "U+E0041 TAG LATIN CAPITAL LETTER A in a memo", "ok\xf3\xa0\x81\x81", TALLY_TX_TRANSFER},
        {"name_left_to_right_isolate", "U+2066 LEFT-TO-RIGHT ISOLATE in a network name", "Green\xe2\x81\xa6vale",
         TALLY_TX_NETWORK_CREATE},
        {"name_c1_control", "U+0085 NEXT LINE (a C1 control) in an asset name", "Dollar\xc2\x85", TALLY_TX_ASSET_CREATE},
    };
    json_t *list = json_array();
    for (size_t i = 0; list && i < sizeof cases / sizeof cases[0]; i++) {
        tally_tx tx = new_tx(b, cases[i].type, cases[i].type == TALLY_TX_TRANSFER ? ALICE : FOUNDER);
        if (cases[i].type == TALLY_TX_TRANSFER) {
            tx.body.transfer.network_id = 1;
            tx.body.transfer.payee = b->identities[BOB].key;
            tx.body.transfer.amount = 100;
            set_text(&tx.body.transfer.memo, cases[i].text);
        } else if (cases[i].type == TALLY_TX_NETWORK_CREATE) {
            set_text(&tx.body.network_create.name, cases[i].text);
            set_text(&tx.body.network_create.unit_code, "GVH");
            tx.body.network_create.policy = greenvale_policy();
        } else {
            set_text(&tx.body.asset_create.code, "USD");
            set_text(&tx.body.asset_create.name, cases[i].text);
        }
        uint8_t secret[TALLY_SECRET_BYTES];
        tally_key key;
        const identity *who = &b->identities[cases[i].type == TALLY_TX_TRANSFER ? ALICE : FOUNDER];
        tally_keypair(&key, secret, who->seed);
        tally_tx_sign(&tx, secret);
        sodium_memzero(secret, sizeof secret);
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
        json_t *entry = json_object();
        bool ok = length > 0 && entry && set(entry, "name", json_string(cases[i].name)) &&
                  set(entry, "note", json_string(cases[i].what)) &&
                  set(entry, "type", json_string(tally_tx_type_name(tx.type))) &&
                  set(entry, "signed", hex_json(bytes, length)) &&
                  set(entry, "error", json_string(tally_error_name(TALLY_ERR_DECODE_BAD_TEXT)));
        if (!ok) json_decref(entry);
        if (!ok || json_array_append_new(list, entry) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* Vectors of the encoding's edges; the core refuses these transactions. */
static void add_edge_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_MEMBER_LEAVE, ALICE);
    tx.sequence = ((uint64_t)1 << 40) + 5; /* all eight sequence bytes matter */
    tx.body.network_only.network_id = 0x01020304;
    add(b, "member_leave", "large sequence and network_id: check byte order", &tx);

    tx = new_tx(b, TALLY_TX_LINE_CLOSE, FOUNDER);
    tx.body.network_key.network_id = UINT32_MAX;
    tx.body.network_key.key = b->identities[ALICE].key;
    add(b, "line_close", "network_id 0xffffffff", &tx);

    tx = new_tx(b, TALLY_TX_POOL_REPAY, BOB);
    tx.body.pool_amount.network_id = 1;
    tx.body.pool_amount.amount = INT64_MIN;
    add(b, "pool_repay_negative_encoding",
        "INT64_MIN in two's complement (00 .. 80); the core refuses the amount", &tx);
}

/* A batch whose second line's memo holds U+202E: refused like a transfer's memo. */
static bool add_refused_batch(builder *b, json_t *list) {
    tally_tx tx = new_tx(b, TALLY_TX_TRANSFER_BATCH, ALICE);
    tx.body.transfer_batch.network_id = 1;
    tx.body.transfer_batch.max_fee = 10;
    if (!tally_tx_batch_reserve(&tx, 2)) return false;
    set_line(&tx.body.transfer_batch.lines[0], &b->identities[BOB].key, 100, "ok");
    set_line(&tx.body.transfer_batch.lines[1], &b->identities[FOUNDER].key, 100, "invoice \xe2\x80\xaegpj.exe");
    uint8_t secret[TALLY_SECRET_BYTES];
    tally_key key;
    tally_keypair(&key, secret, b->identities[ALICE].seed);
    tally_tx_sign(&tx, secret);
    sodium_memzero(secret, sizeof secret);
    uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
    size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
    tally_tx_release(&tx);
    json_t *entry = json_object();
    bool ok = length > 0 && entry && set(entry, "name", json_string("batch_memo_right_to_left_override")) &&
              set(entry, "note", json_string("U+202E RIGHT-TO-LEFT OVERRIDE in the memo of a batch's second line")) &&
              set(entry, "type", json_string(tally_tx_type_name(TALLY_TX_TRANSFER_BATCH))) &&
              set(entry, "signed", hex_json(bytes, length)) &&
              set(entry, "error", json_string(tally_error_name(TALLY_ERR_DECODE_BAD_TEXT)));
    if (!ok) json_decref(entry);
    return ok && json_array_append_new(list, entry) == 0;
}

/* The marketplace (types 47-58, docs/MARKETPLACE.md): network 1's founder names a
 * category, alice offers eggs, bob wants a bicycle repair at an asked price, bob
 * orders, and the order's steps and reviews follow. Times are after 2026-01-01. */
static void add_market_vectors(builder *b) {
    enum { JANUARY_2026 = 1767225600 };
    tally_tx tx = new_tx(b, TALLY_TX_CATEGORY_SET, FOUNDER);
    tx.body.category_set.network_id = 1;
    tx.body.category_set.category = 3;
    set_text(&tx.body.category_set.name, "Food & drink");
    add(b, "category_set", "network 1's operator names category 3", &tx);
    tx = new_tx(b, TALLY_TX_CATEGORY_SET, FOUNDER);
    tx.body.category_set.network_id = 1;
    tx.body.category_set.category = 32;
    add(b, "category_set_remove", "an empty name (00 00) removes category 32, the last there may be", &tx);

    tx = new_tx(b, TALLY_TX_LISTING_CREATE, ALICE);
    tx.body.listing.network_id = 1;
    tx.body.listing.kind = TALLY_LISTING_OFFER;
    tx.body.listing.category = 3;
    tx.body.listing.price = 1250;
    tx.body.listing.quantity = 12;
    tx.body.listing.expiry = JANUARY_2026 + 30 * 86400;
    set_text(&tx.body.listing.title, "Fresh eggs, a dozen");
    set_text(&tx.body.listing.text, "Free-range, collected this morning \xe2\x80\x94 K\xc3\xa4se too \xf0\x9f\xa5\x9a");
    for (unsigned i = 0; i < TALLY_HASH_BYTES; i++) tx.body.listing.image_hash[i] = (uint8_t)(0xa0 + i);
    set_text(&tx.body.listing.image_url, "https://example.org/eggs.jpg");
    add(b, "listing_create",
        "alice offers 12 units at 12.50 GVH in category 3 for 30 days, with a UTF-8 text and an image (its hash a0..bf "
        "and an https URL); created_id is listing 1",
        &tx);
    tx = new_tx(b, TALLY_TX_LISTING_CREATE, BOB);
    tx.body.listing.network_id = 1;
    tx.body.listing.kind = TALLY_LISTING_WANT;
    tx.body.listing.quantity = 1;
    tx.body.listing.expiry = JANUARY_2026 + 7 * 86400;
    set_text(&tx.body.listing.title, "Bicycle repair");
    add(b, "listing_create_want_ask",
        "bob wants one repair (kind 01), no category, price 0 (ask), no text and no image (32 zero bytes, URL 00 00)",
        &tx);
    tx = new_tx(b, TALLY_TX_LISTING_CREATE, ALICE);
    tx.body.listing.network_id = 1;
    tx.body.listing.kind = TALLY_LISTING_OFFER;
    tx.body.listing.category = 3;
    tx.body.listing.price = INT64_MAX;
    tx.body.listing.quantity = UINT32_MAX;
    tx.body.listing.expiry = JANUARY_2026 + 366 * 86400;
    char title[TALLY_LISTING_TITLE_MAX + 1], text[TALLY_LISTING_TEXT_MAX + 1], url[TALLY_IMAGE_URL_MAX + 1];
    for (unsigned i = 0; i < TALLY_LISTING_TITLE_MAX; i++) title[i] = (char)('A' + i % 26u);
    title[TALLY_LISTING_TITLE_MAX] = '\0';
    for (unsigned i = 0; i < TALLY_LISTING_TEXT_MAX; i++) text[i] = (char)('a' + i % 26u);
    text[TALLY_LISTING_TEXT_MAX] = '\0';
    memcpy(url, "https://example.org/", 20);
    for (unsigned i = 20; i < TALLY_IMAGE_URL_MAX; i++) url[i] = (char)('0' + i % 10u);
    url[TALLY_IMAGE_URL_MAX] = '\0';
    set_text(&tx.body.listing.title, title);
    set_text(&tx.body.listing.text, text);
    for (unsigned i = 0; i < TALLY_HASH_BYTES; i++) tx.body.listing.image_hash[i] = 0xff;
    set_text(&tx.body.listing.image_url, url);
    add(b, "listing_create_longest",
        "the longest transaction but a batch (698 bytes): an 80-byte title, a 256-byte text and a 160-byte URL",
        &tx);
    tx = new_tx(b, TALLY_TX_LISTING_UPDATE, ALICE);
    tx.body.listing.listing_id = 1;
    tx.body.listing.category = 3;
    tx.body.listing.price = 1300;
    tx.body.listing.quantity = 10;
    tx.body.listing.expiry = JANUARY_2026 + 45 * 86400;
    set_text(&tx.body.listing.title, "Fresh eggs, a dozen");
    set_text(&tx.body.listing.text, "Now 13.00");
    add(b, "listing_update",
        "alice replaces every field of listing 1 (no network or kind: they stay): 13.00, 10 units left, no image",
        &tx);
    tx = new_tx(b, TALLY_TX_LISTING_WITHDRAW, BOB);
    tx.body.listing.listing_id = 2;
    add(b, "listing_withdraw", "bob withdraws listing 2: only its id is encoded", &tx);

    tx = new_tx(b, TALLY_TX_ORDER_CREATE, BOB);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 2, .unit_price = 1300,
                                                   .max_fee = 26, .timeout = JANUARY_2026 + 14 * 86400};
    set_text(&tx.body.order_create.memo, "Saturday at the market?");
    add(b, "order_create",
        "bob orders 2 units of listing 1 at its price of 13.00: 26.00 and its fee held for alice until the timeout; "
        "created_id is order 1",
        &tx);
    tx = new_tx(b, TALLY_TX_ORDER_CREATE, BOB);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 1300,
                                                   .timeout = JANUARY_2026 + 86400};
    add(b, "order_create_no_memo", "one unit, max_fee 0 (refused if a fee is due), no memo", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_ACCEPT, ALICE);
    tx.body.order_step.order_id = 1;
    add(b, "order_accept", "the seller accepts order 1: only its id", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_DECLINE, ALICE);
    tx.body.order_step.order_id = 2;
    set_text(&tx.body.order_step.memo, "sold out, sorry");
    add(b, "order_decline", "the seller declines order 2 and says why: refunded in full", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_CANCEL, BOB);
    tx.body.order_step.order_id = 3;
    add(b, "order_cancel", "the buyer cancels order 3 before it is accepted", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_CONFIRM, BOB);
    tx.body.order_step.order_id = 1;
    add(b, "order_confirm", "the buyer confirms order 1: the seller is paid, the fee charged", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_DISPUTE, BOB);
    tx.body.order_step.order_id = 4;
    set_text(&tx.body.order_step.memo, "half of them were broken");
    add(b, "order_dispute", "the buyer disputes order 4 and says why", &tx);
    tx = new_tx(b, TALLY_TX_ORDER_RESOLVE, FOUNDER);
    tx.body.order_step.order_id = 4;
    tx.body.order_step.amount = 1500;
    set_text(&tx.body.order_step.memo, "split 60/40");
    add(b, "order_resolve", "an operator splits order 4: 15.00 to the seller (fee pro rata), the rest refunded",
        &tx);
    tx = new_tx(b, TALLY_TX_REVIEW, BOB);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 5;
    set_text(&tx.body.review.text, "Lovely eggs \xf0\x9f\x91\x8d");
    add(b, "review", "the buyer of order 1 rates the seller 5 (+2 review points)", &tx);
    tx = new_tx(b, TALLY_TX_REVIEW, ALICE);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 1;
    add(b, "review_seller_no_text", "the seller of order 1 rates the buyer 1 (-2 review points), no text", &tx);
}

/* Marketplace encodings every decoder must refuse (DECODE_BAD_TEXT), as
 * refused_text_json's: spoofing or broken text in each kind of marketplace text. */
static bool add_refused_market(builder *b, json_t *list) {
    static const struct {
        const char *name, *what, *text;
        uint8_t type;
        identity_id from;
    } cases[] = {
        {"listing_title_right_to_left_override", "U+202E RIGHT-TO-LEFT OVERRIDE in a listing's title",
         "eggs \xe2\x80\xaegpj.exe", TALLY_TX_LISTING_CREATE, ALICE},
        {"listing_title_bad_utf8", "a cut UTF-8 sequence (e2 82) in a listing's title", "eggs \xe2\x82",
         TALLY_TX_LISTING_CREATE, ALICE},
        {"listing_update_text_zero_width_space", "U+200B ZERO WIDTH SPACE in an updated listing's text",
         "fr\xe2\x80\x8b" "esh", TALLY_TX_LISTING_UPDATE, ALICE},
        {"category_name_byte_order_mark", "U+FEFF ZERO WIDTH NO-BREAK SPACE in a category's name", "\xef\xbb\xbf" "Food",
         TALLY_TX_CATEGORY_SET, FOUNDER},
        {"order_memo_c1_control", "U+0085 NEXT LINE (a C1 control) in an order's memo", "Saturday\xc2\x85",
         TALLY_TX_ORDER_CREATE, BOB},
        {"order_decline_memo_line_feed", "U+000A LINE FEED in a decline's memo", "sold\nout", TALLY_TX_ORDER_DECLINE,
         ALICE},
        {"order_dispute_memo_isolate", "U+2066 LEFT-TO-RIGHT ISOLATE in a dispute's memo", "broken\xe2\x81\xa6",
         TALLY_TX_ORDER_DISPUTE, BOB},
        {"order_resolve_memo_surrogate", "an encoded surrogate U+D800 (ed a0 80) in a resolution's memo",
         "split\xed\xa0\x80", TALLY_TX_ORDER_RESOLVE, FOUNDER},
        {"review_text_invisible_tag", "U+E0041 TAG LATIN CAPITAL LETTER A in a review", "good\xf3\xa0\x81\x81",
         TALLY_TX_REVIEW, BOB},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tally_tx tx = new_tx(b, cases[i].type, cases[i].from);
        switch (cases[i].type) {
        case TALLY_TX_LISTING_CREATE:
        case TALLY_TX_LISTING_UPDATE:
            tx.body.listing.network_id = cases[i].type == TALLY_TX_LISTING_CREATE ? 1 : 0;
            tx.body.listing.listing_id = cases[i].type == TALLY_TX_LISTING_UPDATE ? 1 : 0;
            tx.body.listing.price = 1250;
            tx.body.listing.quantity = 1;
            tx.body.listing.expiry = 1767225600 + 86400;
            if (cases[i].type == TALLY_TX_LISTING_CREATE) set_text(&tx.body.listing.title, cases[i].text);
            else {
                set_text(&tx.body.listing.title, "eggs");
                set_text(&tx.body.listing.text, cases[i].text);
            }
            break;
        case TALLY_TX_CATEGORY_SET:
            tx.body.category_set.network_id = 1;
            tx.body.category_set.category = 1;
            set_text(&tx.body.category_set.name, cases[i].text);
            break;
        case TALLY_TX_ORDER_CREATE:
            tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 1250,
                                                           .max_fee = 13, .timeout = 1767225600 + 86400};
            set_text(&tx.body.order_create.memo, cases[i].text);
            break;
        case TALLY_TX_REVIEW:
            tx.body.review.order_id = 1;
            tx.body.review.rating = 4;
            set_text(&tx.body.review.text, cases[i].text);
            break;
        default:
            tx.body.order_step.order_id = 1;
            tx.body.order_step.amount = cases[i].type == TALLY_TX_ORDER_RESOLVE ? 100 : 0;
            set_text(&tx.body.order_step.memo, cases[i].text);
            break;
        }
        uint8_t secret[TALLY_SECRET_BYTES];
        tally_key key;
        tally_keypair(&key, secret, b->identities[cases[i].from].seed);
        tally_tx_sign(&tx, secret);
        sodium_memzero(secret, sizeof secret);
        uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
        size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
        json_t *entry = json_object();
        bool ok = length > 0 && entry && set(entry, "name", json_string(cases[i].name)) &&
                  set(entry, "note", json_string(cases[i].what)) &&
                  set(entry, "type", json_string(tally_tx_type_name(tx.type))) &&
                  set(entry, "signed", hex_json(bytes, length)) &&
                  set(entry, "error", json_string(tally_error_name(TALLY_ERR_DECODE_BAD_TEXT)));
        if (!ok) json_decref(entry);
        if (!ok || json_array_append_new(list, entry) != 0) return false;
    }
    return true;
}

/* The validator set (types 59-60, docs/VALIDATORS.md), on the chain of
 * add_chain_vectors whose one validator is the founder: the founder adds the issuer
 * (its own approval is the quorum of one, in force at once), then bob (the quorum of
 * two is two: the issuer approves), three changes the rules refuse, and the issuer
 * proposes retiring bob's slot. */
static void add_validator_vectors(builder *b) {
    tally_tx tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, FOUNDER);
    tx.body.validator_propose.add_count = 1;
    tx.body.validator_propose.add[0] = b->identities[ISSUER].key;
    add(b, "validator_propose",
        "the founder, the chain's one validator, adds the issuer (add_count 01, add_1 the issuer, the 15 other keys "
        "zero, retire 0): its own approval is the quorum of one, so change 1 is in force from the next block "
        "(created_id 1, available 0)",
        &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, FOUNDER);
    tx.body.validator_propose.add_count = 1;
    tx.body.validator_propose.add[0] = b->identities[BOB].key;
    add(b, "validator_propose_needs_approval",
        "the founder adds bob: of two validators the quorum is 2 / 2 + 1 = 2, so change 2 is open and needs one "
        "more approval (created_id 2, available 1); it lapses unapproved 7 days after",
        &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_APPROVE, ISSUER);
    tx.body.validator_approve.change_id = 2;
    add(b, "validator_approve",
        "the issuer approves change 2: two of two, in force from the next block (created_id 2, available 0); bob "
        "takes slot 2",
        &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, ALICE);
    tx.body.validator_propose.add_count = 1;
    tx.body.validator_propose.add[0] = b->identities[ALICE].key;
    add(b, "validator_propose_not_validator", "alice is no validator: the core refuses it NOT_VALIDATOR", &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, FOUNDER);
    tx.body.validator_propose.add_count = 1;
    tx.body.validator_propose.add[0] = b->identities[ALICE].key;
    tx.body.validator_propose.add[1] = b->identities[ALICE].key;
    add(b, "validator_propose_key_past_count",
        "add_count 01 but a second key written in add_2: a decoder carries it, the core refuses it "
        "BAD_VALIDATOR_SET (the keys past add_count must be zero; available: the 13 free slots)",
        &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_APPROVE, ISSUER);
    tx.body.validator_approve.change_id = 7;
    add(b, "validator_approve_no_change", "no change 7 is open: the core refuses it NO_VALIDATOR_CHANGE", &tx);
    tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, ISSUER);
    tx.body.validator_propose.retire = 1u << 2;
    add(b, "validator_propose_retire",
        "the issuer proposes retiring slot 2, bob's (retire 04 00 00 00, add_count 00, 16 zero keys): change 3 "
        "needs one more of three validators' approvals (available 1); a retired key never returns",
        &tx);
}

/* A change of the validator set that adds 17 keys: past the 16 slots, refused by the
 * decoder itself (DECODE_BAD_VALUE), whatever the rest says. */
static bool add_refused_validator_set(builder *b, json_t *list) {
    tally_tx tx = new_tx(b, TALLY_TX_VALIDATOR_PROPOSE, FOUNDER);
    tx.body.validator_propose.add_count = TALLY_VALIDATORS_MAX + 1;
    for (unsigned i = 0; i < TALLY_VALIDATORS_MAX; i++)
        memset(tx.body.validator_propose.add[i].bytes, (int)(i + 1), TALLY_KEY_BYTES);
    uint8_t secret[TALLY_SECRET_BYTES];
    tally_key key;
    tally_keypair(&key, secret, b->identities[FOUNDER].seed);
    tally_tx_sign(&tx, secret);
    sodium_memzero(secret, sizeof secret);
    uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
    size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
    json_t *entry = json_object();
    bool ok = length > 0 && entry && set(entry, "name", json_string("validator_propose_add_count_17")) &&
              set(entry, "note", json_string("add_count 17 (11): a change fits 16 slots; the byte after the envelope "
                                             "is refused before any key is read")) &&
              set(entry, "type", json_string(tally_tx_type_name(TALLY_TX_VALIDATOR_PROPOSE))) &&
              set(entry, "signed", hex_json(bytes, length)) &&
              set(entry, "error", json_string(tally_error_name(TALLY_ERR_DECODE_BAD_VALUE)));
    if (!ok) json_decref(entry);
    return ok && json_array_append_new(list, entry) == 0;
}

static json_t *identities_json(const builder *b) {
    json_t *list = json_array();
    if (list == NULL) return NULL;
    for (unsigned id = 0; id < IDENTITY_COUNT; id++) {
        const identity *who = &b->identities[id];
        char address[128];
        tally_address_encode(&who->key, address);
        json_t *entry = json_object();
        bool ok = entry != NULL && set(entry, "name", json_string(who->name)) &&
                  set(entry, "seed", hex_json(who->seed, VECTORS_SEED_BYTES)) &&
                  set(entry, "public_key", hex_json(who->key.bytes, TALLY_KEY_BYTES)) &&
                  set(entry, "address", json_string(address));
        if (!ok) json_decref(entry);
        /* json_array_append_new takes entry even when it fails. */
        if (!ok || json_array_append_new(list, entry) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* Amounts in text (docs/ENCODING.md section 7), from tally_amount_parse and
 * tally_amount_format: what a client must accept and write. Amounts are strings of
 * decimal digits here, so that a JSON reader without 64-bit integers reads them
 * exactly. */
static json_t *amounts_json(void) {
    static const struct {
        const char *text;
        uint8_t decimals;
    } parses[] = {
        {"12.50", 2}, {"12.5", 2}, {"0.07", 2}, {"-12.50", 2}, {"7", 0}, {"007", 2}, {"-0", 2},
        {"0.5", 1}, {"1.000000001", 9}, {"9223372036854775807", 0}, {"-9223372036854775808", 0},
        {"92233720368547758.07", 2}, {"-92233720368547758.08", 2},
        /* refused */
        {".5", 2}, {"5.", 2}, {"+5", 2}, {"1e3", 2}, {" 5", 2}, {"5 ", 2}, {"12.505", 2}, {"1.0", 0},
        {"", 2}, {"-", 2}, {"1,000", 2}, {"0x10", 2}, {"--5", 2}, {"9223372036854775808", 0},
        {"-9223372036854775809", 0}, {"92233720368547758.08", 2}, {"1", 10},
        {"\xd9\xa1\xd9\xa2", 0}, /* Arabic-Indic digits */
    };
    static const struct {
        int64_t amount;
        uint8_t decimals;
    } formats[] = {
        {1250, 2}, {7, 2}, {-1250, 2}, {7, 0}, {0, 2}, {-5, 3}, {100, 2}, {1, 9}, {-1000000000, 9},
        {INT64_MAX, 0}, {INT64_MIN, 0}, {INT64_MAX, 2}, {INT64_MIN, 2}, {INT64_MIN, 9},
    };
    json_t *parse = json_array(), *format = json_array(), *document = json_object();
    bool ok = parse && format && document;
    for (size_t i = 0; ok && i < sizeof parses / sizeof parses[0]; i++) {
        int64_t amount = 0;
        bool accepted = tally_amount_parse(parses[i].text, parses[i].decimals, &amount);
        char digits[32];
        snprintf(digits, sizeof digits, "%" PRId64, amount);
        json_t *entry = json_pack("{s:s, s:i, s:o}", "text", parses[i].text, "decimals", (int)parses[i].decimals,
                                  "amount", accepted ? json_string(digits) : json_null());
        ok = entry != NULL && json_array_append_new(parse, entry) == 0;
    }
    for (size_t i = 0; ok && i < sizeof formats / sizeof formats[0]; i++) {
        char text[TALLY_AMOUNT_TEXT_MAX], digits[32];
        ok = tally_amount_format(formats[i].amount, formats[i].decimals, text, sizeof text) > 0;
        snprintf(digits, sizeof digits, "%" PRId64, formats[i].amount);
        json_t *entry = ok ? json_pack("{s:s, s:i, s:s}", "amount", digits, "decimals", (int)formats[i].decimals,
                                       "text", text)
                           : NULL;
        ok = entry != NULL && json_array_append_new(format, entry) == 0;
    }
    if (ok && json_object_set_new(document, "parse", parse) == 0) {
        parse = NULL;
        if (json_object_set_new(document, "format", format) == 0) return document;
        format = NULL;
    }
    json_decref(parse);
    json_decref(format);
    json_decref(document);
    return NULL;
}

json_t *vectors_build(void) {
    builder b;
    builder_init(&b);
    add_network_vectors(&b);
    add_member_vectors(&b);
    add_transfer_vectors(&b);
    add_asset_vectors(&b);
    add_pool_vectors(&b);
    add_chain_vectors(&b);
    add_edge_vectors(&b);
    json_t *refused = refused_text_json(&b);
    /* Batches came later (issue 8): after everything else, so that the sequence
     * numbers, and so the bytes, of the vectors before them stay as they were. */
    add_batch_vectors(&b);
    add_pending_vectors(&b);
    add_request_vectors(&b);
    add_gateway_vectors(&b);
    add_underwriting_vectors(&b);
    add_governance_vectors(&b);
    if (refused != NULL && !add_refused_batch(&b, refused)) {
        json_decref(refused);
        refused = NULL;
    }
    /* The marketplace (issue 13) after all of it, for the same reason. */
    add_market_vectors(&b);
    if (refused != NULL && !add_refused_market(&b, refused)) {
        json_decref(refused);
        refused = NULL;
    }
    /* The validator set's changes (types 59-60) after the marketplace. */
    add_validator_vectors(&b);
    if (refused != NULL && !add_refused_validator_set(&b, refused)) {
        json_decref(refused);
        refused = NULL;
    }

    json_t *document = json_object();
    bool ok = !b.failed && document != NULL &&
              set(document, "format", json_string(VECTORS_FORMAT)) &&
              set(document, "encoding_version", json_integer(TALLY_TX_VERSION)) &&
              set(document, "description",
                  json_string("Canonical encodings, BLAKE2b-256 ids and Ed25519 signatures of "
                              "Tally transactions; see docs/ENCODING.md. Regenerate with "
                              "`make vectors` and review the diff.")) &&
              set(document, "chain_id", hex_json(b.chain_id, TALLY_CHAIN_ID_BYTES)) &&
              set(document, "identities", identities_json(&b)) && set(document, "refused", refused) &&
              set(document, "amounts", amounts_json());
    if (ok && json_object_set_new(document, "vectors", b.vectors) == 0) return document;
    if (!ok) json_decref(b.vectors);
    json_decref(document);
    return NULL;
}
