/*
 * tx_fields.h: the layout of every transaction body as a table of fields, inside
 * the chain layer. The codec encodes and decodes by walking it, and the test-vector
 * builder prints transactions from it, so the wire format is written down once.
 * Not part of the public API (include/tally.h).
 */
#ifndef TALLY_CHAIN_TX_FIELDS_H
#define TALLY_CHAIN_TX_FIELDS_H

#include <stdint.h>

#include "tally.h"

typedef enum {
    TALLY_FIELD_I64 = 0,  /* 8 bytes, little-endian two's complement */
    TALLY_FIELD_U32 = 1,  /* 4 bytes, little-endian */
    TALLY_FIELD_U8 = 2,   /* 1 byte; below `limit` when limit > 0 */
    TALLY_FIELD_BOOL = 3, /* 1 byte, 0 or 1 */
    TALLY_FIELD_KEY = 4,  /* 32 bytes */
    TALLY_FIELD_TEXT = 5, /* u16 little-endian length (at most `limit`) + UTF-8 bytes */
    /* A counted array of small structs (a batch's lines): u16 little-endian count,
     * 1..`limit`, then each item's fields in order. In memory: the u16 count at
     * `offset` and, at `items_offset`, a pointer to `count` items of `item_size`
     * bytes on the heap, owned by the transaction (tally_tx_release). */
    TALLY_FIELD_ITEMS = 6
} tally_field_kind;

typedef struct tally_field {
    const char *name;  /* as in the body struct; policy fields are "policy.<field>" */
    uint8_t kind;      /* tally_field_kind */
    uint16_t offset;   /* of the field inside tally_tx (inside one item for an item's fields) */
    uint16_t limit;    /* TEXT: most bytes; U8: values must be below it (0 = any); ITEMS: most items */
    /* ITEMS only: where the items pointer is, one item's size, and its fields (never
     * ITEMS themselves), with offsets inside one item. */
    uint16_t items_offset;
    uint16_t item_size;
    const struct tally_field *item_fields;
    uint8_t item_field_count;
} tally_field;

/* A TEXT field's bytes in memory: u16 length then the bytes, as tally_text and
 * tally_batch_memo both lay them out. */
#define TALLY_TEXT_BYTES_OFFSET 2u

typedef struct {
    const char *type_name; /* "transfer" */
    const char *body_name; /* the member of tally_tx.body: "transfer" */
    const tally_field *fields;
    uint8_t field_count;
} tally_tx_layout;

/* The body layout of a transaction type; NULL for an unknown type. */
const tally_tx_layout *tally_tx_layout_of(uint8_t type);

/* Bytes of the header before the body: version, type, chain id, signer, sequence. */
#define TALLY_TX_HEADER_BYTES (1u + 1u + TALLY_CHAIN_ID_BYTES + TALLY_KEY_BYTES + 8u)
#define TALLY_TX_VERSION 1u

#endif
