/*
 * views_market.h: the JSON shapes of the marketplace's answers (docs/MARKETPLACE.md
 * "The API", docs/openapi.yaml Listing, Order, Review). Texts come from the index
 * (index_market.c), the money fields (units left, sold, statuses, what was paid)
 * from the state, copied under the node's lock (view_market_copy_*) so the JSON is
 * built after it is released. Members' texts are JSON strings: jansson escapes them.
 */
#ifndef TALLY_VIEWS_MARKET_H
#define TALLY_VIEWS_MARKET_H

#include <jansson.h>

#include "node/index.h"
#include "tally.h"

/* A listing: its texts from the index, its record from the state. */
typedef struct {
    index_listing indexed;
    bool has_record; /* the state's record (false: the index is ahead, never in practice) */
    tally_listing record;
    bool expired; /* open in the state, but its expiry has come: nobody can order it any more */
    char seller_alias[TALLY_ALIAS_MAX + 1];
    char category_name[TALLY_CATEGORY_NAME_MAX + 1]; /* "" when none (or not named now) */
    uint8_t decimals;
    char unit_code[TALLY_CODE_MAX + 1];
} view_listing_copy;
/* categories: its network's (index_categories), for its category's name;
 * block_time_now: node_block_time_now, against the listing's expiry. */
void view_market_copy_listing(const tally_state *state, const index_listing *indexed, const index_category *categories,
                              uint32_t category_count, int64_t block_time_now, view_listing_copy *out);
/* The name of `category` among a network's (index_categories), "" when not named. */
void view_market_category_name(const index_category *categories, uint32_t count, uint8_t category,
                               char name[TALLY_CATEGORY_NAME_MAX + 1]);
json_t *view_market_listing(const view_listing_copy *copy);

/* An order: its record from the state, its memo and steps from the index. */
typedef struct {
    tally_order record;
    uint32_t hold_id;
    char buyer_alias[TALLY_ALIAS_MAX + 1], seller_alias[TALLY_ALIAS_MAX + 1];
    int64_t fee; /* held (its hold's) */
    uint8_t decimals;
    char unit_code[TALLY_CODE_MAX + 1];
    bool indexed; /* the index has it: memo and steps below */
    index_order from_index;
    uint32_t step_count;
    index_order_step steps[INDEX_ORDER_STEPS_MAX];
    char step_names[INDEX_ORDER_STEPS_MAX][TALLY_ALIAS_MAX + 1]; /* each step's signer's alias */
} view_order_copy;
/* Copies the state's record and names; the caller sets the index's part. */
void view_market_copy_order(const tally_state *state, const tally_order *record, view_order_copy *out);
/* with_steps: the order's own answer (GET /v1/orders/{id}); lists leave them out. */
json_t *view_market_order(const view_order_copy *copy, bool with_steps);

typedef struct {
    index_review review;
    char reviewer_alias[TALLY_ALIAS_MAX + 1], reviewed_alias[TALLY_ALIAS_MAX + 1];
} view_review_copy;
void view_market_copy_review(const tally_state *state, const index_review *review, view_review_copy *out);
json_t *view_market_review(const view_review_copy *copy);

/* {"count", "average"}: the average of count ratings summing to sum, to two
 * decimals as a string (rounded half up), null with no review. */
json_t *view_market_rating(uint32_t count, int64_t sum);

/* A history entry's marketplace fields (index_history_entry's market_*): "listing"
 * or "order" (its id), and "held" (ORDER_CREATE), "paid" (ORDER_CONFIRM,
 * ORDER_RESOLVE) or "rating" (REVIEW). */
void view_market_history_fields(json_t *entry, uint8_t type, uint32_t id, int64_t amount);

/* A network activity row's marketplace fields, from the transaction: "listing" (the
 * one an update, withdrawal or order names), "order" (a step's, a review's), "amount"
 * (an order's: quantity x unit price; a resolution's seller part), "rating" and
 * "memo" (a listing's title, a category's name, an order's or step's memo, a review's
 * text). Nothing for other types. */
void view_market_activity_fields(json_t *entry, const tally_tx *tx);

/* "offer" or "want" back to its tally_listing_kind; -1 for another name. */
int view_market_kind_of(const char *name);

#endif
