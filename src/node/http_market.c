/*
 * http_market.c: the marketplace's routes (see http_market.h). Each handler checks
 * every query value first (a 400 naming what is wrong), asks the index under its
 * lock (node_index_read) for which records and their texts, then copies what the
 * state says of them under the node's lock (view_market_copy_*), and builds the
 * JSON after both are released.
 */
#include "node/http_market.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/submission.h"
#include "node/views.h"
#include "node/views_market.h"

#define MARKET_LIMIT_DEFAULT 20u

static http_market_answer answer(unsigned status, json_t *body) { return (http_market_answer){status, body}; }

static http_market_answer refuse(unsigned status, const char *code, const char *message) {
    return answer(status, json_pack("{s:o}", "error", view_error(code, message, 0, false)));
}

static http_market_answer bad_query(const char *message) { return refuse(MHD_HTTP_BAD_REQUEST, "BAD_QUERY", message); }

static http_market_answer node_stopped(void) {
    return refuse(MHD_HTTP_SERVICE_UNAVAILABLE, "NODE_FAILED",
                  "the node stopped after a failed write and serves nothing until restarted");
}

static http_market_answer out_of_memory(void) {
    return refuse(MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
}

static http_market_answer index_refused(const char *why) {
    return refuse(MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
}

static const char *argument(struct MHD_Connection *connection, const char *name) {
    return MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
}

/* An optional unsigned integer argument at most max: false when present and not one. */
static bool argument_u64(struct MHD_Connection *connection, const char *name, bool *present, uint64_t max,
                         uint64_t *out) {
    const char *text = argument(connection, name);
    *present = text != NULL;
    if (!text) return true;
    return submission_parse_u64(text, out) && *out <= max;
}

static bool parse_id(const char *text, uint32_t *id) {
    uint64_t value;
    if (!submission_parse_u64(text, &value) || value == 0 || value > UINT32_MAX) return false;
    *id = (uint32_t)value;
    return true;
}

/* limit (1..INDEX_MARKET_LIMIT_MAX, MARKET_LIMIT_DEFAULT) and offset. */
static bool read_page(struct MHD_Connection *connection, uint32_t *limit, uint32_t *offset) {
    bool present;
    uint64_t value = MARKET_LIMIT_DEFAULT;
    if (!argument_u64(connection, "limit", &present, INDEX_MARKET_LIMIT_MAX, &value) || value == 0) return false;
    *limit = (uint32_t)value;
    value = 0;
    if (!argument_u64(connection, "offset", &present, UINT32_MAX, &value)) return false;
    *offset = (uint32_t)value;
    return true;
}

/* The `next_offset` of a page: where the next one starts, null after the last. */
static json_t *next_offset(uint32_t offset, uint32_t count, uint64_t total) {
    uint64_t next = (uint64_t)offset + count;
    return next < total && count > 0 ? json_integer((json_int_t)next) : json_null();
}

/* Who `text` names in network_id: an address (any key: a member who left still has
 * its orders and reviews) or an alias it holds now; a refusal otherwise. Call
 * between node_read_begin and node_read_end. */
static bool member_key(const tally_state *state, uint32_t network_id, const char *field, const char *text,
                       tally_key *key, http_market_answer *refusal) {
    char message[160];
    size_t length = strlen(text);
    if (length == TALLY_ADDRESS_LENGTH && strncmp(text, "tly1", 4) == 0) {
        if (tally_address_decode(text, key)) return true;
        *refusal = refuse(MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                          "not an address: expected tly1 and 58 characters with a valid checksum");
        return false;
    }
    bool alias = length >= 1 && length <= TALLY_ALIAS_MAX;
    for (size_t i = 0; alias && i < length; i++)
        alias = (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') || strchr("._-", text[i]);
    if (!alias) {
        snprintf(message, sizeof message,
                 "%s is an address (tly1 and 58 characters with a valid checksum) or an alias (1 to 32 of a-z 0-9 . _ -)",
                 field);
        *refusal = refuse(MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS", message);
        return false;
    }
    const tally_member *member = tally_state_member_by_alias(state, network_id, text, length);
    if (member) {
        *key = member->key;
        return true;
    }
    *refusal = refuse(MHD_HTTP_NOT_FOUND, "NOT_MEMBER", "no member of this network has this alias");
    return false;
}

static http_market_answer unknown_network(void) {
    return refuse(MHD_HTTP_NOT_FOUND, "UNKNOWN_NETWORK", tally_error_message(TALLY_ERR_UNKNOWN_NETWORK));
}

/* ---- GET /v1/networks/{network}/categories ---- */

typedef struct {
    uint32_t network_id;
    index_category categories[TALLY_MARKET_CATEGORIES_MAX];
    uint32_t category_count;
} categories_read;

static index_error read_categories(tally_index *index, void *context, char *why, size_t why_size) {
    categories_read *r = context;
    return index_categories(index, r->network_id, r->categories, &r->category_count, why, why_size);
}

static bool network_exists(node *n, uint32_t network_id, bool *exists) {
    const tally_state *state = node_read_begin(n);
    if (!state) return false;
    *exists = tally_state_network(state, network_id) != NULL;
    node_read_end(n);
    return true;
}

static http_market_answer get_categories(node *n, uint32_t network_id) {
    bool exists = false;
    if (!network_exists(n, network_id, &exists)) return node_stopped();
    if (!exists) return unknown_network();
    categories_read r = {.network_id = network_id};
    char why[INDEX_WHY_BYTES];
    if (!node_index_read(n, read_categories, &r, why, sizeof why)) return index_refused(why);
    json_t *list = json_array();
    for (uint32_t i = 0; i < r.category_count; i++)
        json_array_append_new(list, json_pack("{s:i, s:s#}", "category", r.categories[i].category, "name",
                                              r.categories[i].name, (int)r.categories[i].name_length));
    return answer(MHD_HTTP_OK, json_pack("{s:o}", "categories", list));
}

/* ---- GET /v1/networks/{network}/listings ---- */

typedef struct {
    categories_read categories;
    index_listing_query query;
    index_listing *listings;
    uint32_t count;
    uint64_t total;
} listings_read;

static index_error read_listings(tally_index *index, void *context, char *why, size_t why_size) {
    listings_read *r = context;
    index_error error = read_categories(index, &r->categories, why, why_size);
    if (error != INDEX_OK) return error;
    return index_listings_search(index, r->categories.network_id, &r->query, r->listings, &r->count, &r->total, why,
                                 why_size);
}

/* The query's filters, each checked; a refusal names the one that is wrong. */
static bool read_listing_query(struct MHD_Connection *connection, index_listing_query *q, const char **seller,
                               http_market_answer *refusal) {
    memset(q, 0, sizeof *q);
    const char *text = argument(connection, "q");
    if (text) {
        q->text = text;
        q->text_length = strlen(text);
        if (q->text_length > INDEX_SEARCH_TEXT_MAX) {
            *refusal = bad_query("q is at most 256 bytes");
            return false;
        }
    }
    uint64_t value = 0;
    if (!argument_u64(connection, "category", &q->has_category, TALLY_MARKET_CATEGORIES_MAX, &value)) {
        *refusal = bad_query("category is a category's number, 1 to 32 (0: listings of no category)");
        return false;
    }
    q->category = (uint8_t)value;
    const char *kind = argument(connection, "kind");
    if (kind) {
        int found = view_market_kind_of(kind);
        if (found < 0) {
            *refusal = bad_query("kind is offer or want");
            return false;
        }
        q->has_kind = true;
        q->kind = (uint8_t)found;
    }
    uint64_t min = 0, max = 0;
    if (!argument_u64(connection, "min_price", &q->has_min_price, INT64_MAX, &min) ||
        !argument_u64(connection, "max_price", &q->has_max_price, INT64_MAX, &max)) {
        *refusal = bad_query("min_price and max_price are prices in the network's minor units (integers >= 0)");
        return false;
    }
    if (q->has_min_price && q->has_max_price && min > max) {
        *refusal = bad_query("min_price is above max_price");
        return false;
    }
    q->min_price = (int64_t)min, q->max_price = (int64_t)max;
    const char *status = argument(connection, "status");
    if (status && strcmp(status, "open") != 0 && strcmp(status, "all") != 0) {
        *refusal = bad_query("status is open (the default) or all");
        return false;
    }
    q->open_only = !status || strcmp(status, "open") == 0;
    const char *sort = argument(connection, "sort");
    if (sort && strcmp(sort, "newest") != 0 && strcmp(sort, "cheapest") != 0) {
        *refusal = bad_query("sort is newest (the default) or cheapest");
        return false;
    }
    q->sort = sort && strcmp(sort, "cheapest") == 0 ? INDEX_LISTINGS_CHEAPEST : INDEX_LISTINGS_NEWEST;
    if (!read_page(connection, &q->limit, &q->offset)) {
        *refusal = bad_query("1 <= limit <= 100 (default 20), offset >= 0");
        return false;
    }
    *seller = argument(connection, "seller");
    if (*seller && !(*seller)[0]) *seller = NULL;
    return true;
}

static http_market_answer get_listings(node *n, struct MHD_Connection *connection, uint32_t network_id) {
    listings_read r;
    memset(&r, 0, sizeof r);
    r.categories.network_id = network_id;
    const char *seller = NULL;
    http_market_answer refusal;
    if (!read_listing_query(connection, &r.query, &seller, &refusal)) return refusal;
    const tally_state *state = node_read_begin(n);
    if (!state) return node_stopped();
    bool exists = tally_state_network(state, network_id) != NULL;
    bool named = exists && (!seller || member_key(state, network_id, "seller", seller, &r.query.seller, &refusal));
    r.query.has_seller = seller != NULL;
    r.query.open_at = node_block_time_now(n);
    node_read_end(n);
    if (!exists) return unknown_network();
    if (!named) return refusal;
    r.listings = calloc(r.query.limit, sizeof *r.listings);
    view_listing_copy *copies = calloc(r.query.limit, sizeof *copies);
    if (!r.listings || !copies) {
        free(r.listings), free(copies);
        return out_of_memory();
    }
    char why[INDEX_WHY_BYTES];
    if (!node_index_read(n, read_listings, &r, why, sizeof why)) {
        free(r.listings), free(copies);
        return index_refused(why);
    }
    state = node_read_begin(n);
    if (!state) {
        free(r.listings), free(copies);
        return node_stopped();
    }
    int64_t now = node_block_time_now(n);
    for (uint32_t i = 0; i < r.count; i++)
        view_market_copy_listing(state, &r.listings[i], r.categories.categories, r.categories.category_count, now,
                                 &copies[i]);
    node_read_end(n);
    json_t *list = json_array();
    for (uint32_t i = 0; i < r.count; i++) json_array_append_new(list, view_market_listing(&copies[i]));
    free(r.listings), free(copies);
    return answer(MHD_HTTP_OK, json_pack("{s:o, s:I, s:o}", "listings", list, "total", (json_int_t)r.total,
                                         "next_offset", next_offset(r.query.offset, r.count, r.total)));
}

/* ---- GET /v1/listings/{id} ---- */

typedef struct {
    uint32_t id;
    bool found;
    index_listing listing;
    categories_read categories;
    index_review reviews[INDEX_MARKET_LIMIT_MAX];
    uint32_t review_count;
    uint64_t review_total;
} listing_read;

static index_error read_listing(tally_index *index, void *context, char *why, size_t why_size) {
    listing_read *r = context;
    index_error error = index_listing_get(index, r->id, &r->listing, &r->found, why, why_size);
    if (error != INDEX_OK || !r->found) return error;
    r->categories.network_id = r->listing.network_id;
    error = read_categories(index, &r->categories, why, why_size);
    if (error != INDEX_OK) return error;
    return index_listing_reviews(index, r->id, INDEX_MARKET_LIMIT_MAX, 0, r->reviews, &r->review_count,
                                 &r->review_total, why, why_size);
}

static http_market_answer get_listing(node *n, const char *id_text) {
    uint32_t id;
    if (!parse_id(id_text, &id))
        return refuse(MHD_HTTP_BAD_REQUEST, "BAD_ID", "a listing's id is a positive integer");
    listing_read *r = calloc(1, sizeof *r);
    view_listing_copy *copy = calloc(1, sizeof *copy);
    view_review_copy *reviews = calloc(INDEX_MARKET_LIMIT_MAX, sizeof *reviews);
    http_market_answer result;
    char why[INDEX_WHY_BYTES];
    const tally_state *state = NULL;
    if (!r || !copy || !reviews) {
        result = out_of_memory();
        goto done;
    }
    r->id = id;
    if (!node_index_read(n, read_listing, r, why, sizeof why)) {
        result = index_refused(why);
        goto done;
    }
    state = node_read_begin(n);
    if (!state) {
        result = node_stopped();
        goto done;
    }
    bool in_state = tally_state_listing(state, id) != NULL;
    if (r->found) {
        view_market_copy_listing(state, &r->listing, r->categories.categories, r->categories.category_count,
                                 node_block_time_now(n), copy);
        for (uint32_t i = 0; i < r->review_count; i++) view_market_copy_review(state, &r->reviews[i], &reviews[i]);
    }
    node_read_end(n);
    if (!r->found) {
        /* the index trails the chain by the blocks it has not read yet */
        result = refuse(MHD_HTTP_NOT_FOUND, "LISTING_NOT_FOUND",
                        in_state ? "the index has not reached this listing yet: ask again in a moment"
                                 : tally_error_message(TALLY_ERR_LISTING_NOT_FOUND));
        goto done;
    }
    json_t *view = view_market_listing(copy);
    json_t *list = json_array();
    for (uint32_t i = 0; i < r->review_count; i++) json_array_append_new(list, view_market_review(&reviews[i]));
    if (view) {
        json_object_set_new(view, "reviews", list);
        json_object_set_new(view, "reviews_total", json_integer((json_int_t)r->review_total));
    } else {
        json_decref(list);
    }
    result = answer(MHD_HTTP_OK, view);
done:
    free(r), free(copy), free(reviews);
    return result;
}

/* ---- GET /v1/orders/{id} ---- */

typedef struct {
    uint32_t id;
    bool found;
    index_order order;
    index_order_step steps[INDEX_ORDER_STEPS_MAX];
    uint32_t step_count;
} order_read;

static index_error read_order(tally_index *index, void *context, char *why, size_t why_size) {
    order_read *r = context;
    return index_order_get(index, r->id, &r->order, r->steps, &r->step_count, &r->found, why, why_size);
}

static http_market_answer get_order(node *n, const char *id_text) {
    uint32_t id;
    if (!parse_id(id_text, &id)) return refuse(MHD_HTTP_BAD_REQUEST, "BAD_ID", "an order's id is a positive integer");
    order_read *r = calloc(1, sizeof *r);
    view_order_copy *copy = calloc(1, sizeof *copy);
    if (!r || !copy) {
        free(r), free(copy);
        return out_of_memory();
    }
    r->id = id;
    char why[INDEX_WHY_BYTES];
    if (!node_index_read(n, read_order, r, why, sizeof why)) {
        free(r), free(copy);
        return index_refused(why);
    }
    const tally_state *state = node_read_begin(n);
    if (!state) {
        free(r), free(copy);
        return node_stopped();
    }
    const tally_order *record = tally_state_order(state, id);
    if (record) {
        view_market_copy_order(state, record, copy);
        copy->indexed = r->found;
        copy->from_index = r->order;
        copy->step_count = r->step_count;
        memcpy(copy->steps, r->steps, sizeof r->steps);
        for (uint32_t i = 0; i < r->step_count; i++) {
            const tally_member *signer = tally_state_member(state, record->network_id, &r->steps[i].signer);
            snprintf(copy->step_names[i], sizeof copy->step_names[i], "%s", signer ? signer->alias : "");
        }
    }
    node_read_end(n);
    http_market_answer result = record ? answer(MHD_HTTP_OK, view_market_order(copy, true))
                                       : refuse(MHD_HTTP_NOT_FOUND, "ORDER_NOT_FOUND",
                                                tally_error_message(TALLY_ERR_ORDER_NOT_FOUND));
    free(r), free(copy);
    return result;
}

/* ---- GET /v1/networks/{network}/orders ---- */

typedef struct {
    uint32_t network_id;
    tally_key member;
    uint8_t role;
    bool open_only;
    uint32_t limit, offset;
    index_order *orders;
    uint32_t count;
    uint64_t total;
} orders_read;

static index_error read_orders(tally_index *index, void *context, char *why, size_t why_size) {
    orders_read *r = context;
    return index_orders_of(index, r->network_id, &r->member, r->role, r->open_only, r->limit, r->offset, r->orders,
                           &r->count, &r->total, why, why_size);
}

static http_market_answer get_orders(node *n, struct MHD_Connection *connection, uint32_t network_id) {
    orders_read r = {.network_id = network_id, .role = INDEX_ROLE_ANY, .open_only = true};
    const char *role = argument(connection, "role");
    if (role && strcmp(role, "buyer") != 0 && strcmp(role, "seller") != 0)
        return bad_query("role is buyer or seller (none: both)");
    if (role) r.role = strcmp(role, "buyer") == 0 ? INDEX_ROLE_BUYER : INDEX_ROLE_SELLER;
    const char *status = argument(connection, "status");
    if (status && strcmp(status, "open") != 0 && strcmp(status, "all") != 0)
        return bad_query("status is open (the default: placed, accepted or disputed) or all");
    r.open_only = !status || strcmp(status, "open") == 0;
    if (!read_page(connection, &r.limit, &r.offset)) return bad_query("1 <= limit <= 100 (default 20), offset >= 0");
    const char *member = argument(connection, "member");
    if (!member || !member[0]) return bad_query("member is needed: an address, or an alias in the network");
    http_market_answer refusal;
    const tally_state *state = node_read_begin(n);
    if (!state) return node_stopped();
    bool exists = tally_state_network(state, network_id) != NULL;
    bool named = exists && member_key(state, network_id, "member", member, &r.member, &refusal);
    node_read_end(n);
    if (!exists) return unknown_network();
    if (!named) return refusal;
    r.orders = calloc(r.limit, sizeof *r.orders);
    view_order_copy *copies = calloc(r.limit, sizeof *copies);
    if (!r.orders || !copies) {
        free(r.orders), free(copies);
        return out_of_memory();
    }
    char why[INDEX_WHY_BYTES];
    if (!node_index_read(n, read_orders, &r, why, sizeof why)) {
        free(r.orders), free(copies);
        return index_refused(why);
    }
    uint32_t shown = 0;
    state = node_read_begin(n);
    if (!state) {
        free(r.orders), free(copies);
        return node_stopped();
    }
    for (uint32_t i = 0; i < r.count; i++) {
        const tally_order *record = tally_state_order(state, r.orders[i].id);
        if (!record) continue;
        view_market_copy_order(state, record, &copies[shown]);
        copies[shown].indexed = true;
        copies[shown++].from_index = r.orders[i];
    }
    node_read_end(n);
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++) json_array_append_new(list, view_market_order(&copies[i], false));
    free(r.orders), free(copies);
    return answer(MHD_HTTP_OK, json_pack("{s:o, s:I, s:o}", "orders", list, "total", (json_int_t)r.total,
                                         "next_offset", next_offset(r.offset, r.count, r.total)));
}

/* ---- GET /v1/networks/{network}/accounts/{member}/reviews ---- */

typedef struct {
    uint32_t network_id;
    tally_key member;
    uint32_t limit, offset;
    index_review reviews[INDEX_MARKET_LIMIT_MAX];
    uint32_t count;
    uint64_t total;
} reviews_read;

static index_error read_reviews(tally_index *index, void *context, char *why, size_t why_size) {
    reviews_read *r = context;
    return index_reviews_of(index, r->network_id, &r->member, r->limit, r->offset, r->reviews, &r->count, &r->total,
                            why, why_size);
}

static http_market_answer get_reviews(node *n, struct MHD_Connection *connection, uint32_t network_id,
                                      const char *who) {
    reviews_read *r = calloc(1, sizeof *r);
    view_review_copy *copies = calloc(INDEX_MARKET_LIMIT_MAX, sizeof *copies);
    if (!r || !copies) {
        free(r), free(copies);
        return out_of_memory();
    }
    http_market_answer result;
    char why[INDEX_WHY_BYTES];
    r->network_id = network_id;
    if (!read_page(connection, &r->limit, &r->offset)) {
        result = bad_query("1 <= limit <= 100 (default 20), offset >= 0");
        goto done;
    }
    const tally_state *state = node_read_begin(n);
    if (!state) {
        result = node_stopped();
        goto done;
    }
    bool exists = tally_state_network(state, network_id) != NULL;
    bool named = exists && member_key(state, network_id, "the member", who, &r->member, &result);
    const tally_member *member = named ? tally_state_member(state, network_id, &r->member) : NULL;
    int32_t points = member ? member->review_points : 0;
    uint32_t received = member ? member->review_count : 0;
    char alias[TALLY_ALIAS_MAX + 1];
    snprintf(alias, sizeof alias, "%s", member ? member->alias : "");
    node_read_end(n);
    if (!exists) {
        result = unknown_network();
        goto done;
    }
    if (!named) goto done;
    if (!member || member->status == TALLY_MEMBER_SYSTEM) {
        result = refuse(MHD_HTTP_NOT_FOUND, "NOT_MEMBER", "no member of this network has this address or alias");
        goto done;
    }
    if (!node_index_read(n, read_reviews, r, why, sizeof why)) {
        result = index_refused(why);
        goto done;
    }
    state = node_read_begin(n);
    if (!state) {
        result = node_stopped();
        goto done;
    }
    for (uint32_t i = 0; i < r->count; i++) view_market_copy_review(state, &r->reviews[i], &copies[i]);
    node_read_end(n);
    json_t *list = json_array();
    for (uint32_t i = 0; i < r->count; i++) json_array_append_new(list, view_market_review(&copies[i]));
    result = answer(MHD_HTTP_OK,
                    json_pack("{s:o, s:o, s:i, s:I, s:o, s:I, s:o}", "member", view_address(&r->member), "member_alias",
                              alias[0] ? json_string(alias) : json_null(), "review_points", (int)points, "review_count",
                              (json_int_t)received, "reviews", list, "total", (json_int_t)r->total, "next_offset",
                              next_offset(r->offset, r->count, r->total)));
done:
    free(r), free(copies);
    return result;
}

/* ---- routing ---- */

bool http_market_route(node *n, struct MHD_Connection *connection, char **segments, int count,
                       http_market_answer *out) {
    if (count < 3) return false;
    const char *resource = segments[1];
    if (count == 3 && strcmp(resource, "listings") == 0) {
        *out = get_listing(n, segments[2]);
        return true;
    }
    if (count == 3 && strcmp(resource, "orders") == 0) {
        *out = get_order(n, segments[2]);
        return true;
    }
    if (strcmp(resource, "networks") != 0) return false;
    bool listings = count == 4 && strcmp(segments[3], "listings") == 0;
    bool categories = count == 4 && strcmp(segments[3], "categories") == 0;
    bool orders = count == 4 && strcmp(segments[3], "orders") == 0;
    bool reviews = count == 6 && strcmp(segments[3], "accounts") == 0 && strcmp(segments[5], "reviews") == 0;
    if (!listings && !categories && !orders && !reviews) return false;
    uint32_t network_id;
    if (!parse_id(segments[2], &network_id)) {
        *out = refuse(MHD_HTTP_BAD_REQUEST, "BAD_NETWORK", "a network id is a positive integer");
        return true;
    }
    if (listings) *out = get_listings(n, connection, network_id);
    if (categories) *out = get_categories(n, network_id);
    if (orders) *out = get_orders(n, connection, network_id);
    if (reviews) *out = get_reviews(n, connection, network_id, segments[4]);
    return true;
}
