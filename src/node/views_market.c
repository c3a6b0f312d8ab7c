/*
 * views_market.c: the marketplace's JSON (see views_market.h): listings, orders
 * with their steps, reviews and ratings. Copies are taken under the node's lock;
 * the JSON is built after it.
 */
#include "node/views_market.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "node/views.h"

/* The alias of a member of the network, "" when it has none (only aliases: a
 * system account's or an operator's role is not a name a member chose). */
static void copy_alias(const tally_state *state, uint32_t network_id, const tally_key *key,
                       char alias[TALLY_ALIAS_MAX + 1]) {
    const tally_member *member = tally_state_member(state, network_id, key);
    snprintf(alias, TALLY_ALIAS_MAX + 1, "%s", member ? member->alias : "");
}

static void copy_unit(const tally_state *state, uint32_t network_id, uint8_t *decimals,
                      char unit_code[TALLY_CODE_MAX + 1]) {
    const tally_network *network = tally_state_network(state, network_id);
    *decimals = network ? network->decimals : 0;
    snprintf(unit_code, TALLY_CODE_MAX + 1, "%s", network ? network->unit_code : "");
}

/* `field` (an address) and `field`_alias (null when it has none). */
static void set_member(json_t *view, const char *field, const tally_key *key, const char *alias) {
    if (!view) return;
    char alias_field[40];
    snprintf(alias_field, sizeof alias_field, "%s_alias", field);
    json_object_set_new(view, field, view_address(key));
    json_object_set_new(view, alias_field, alias[0] ? json_string(alias) : json_null());
}

json_t *view_market_rating(uint32_t count, int64_t sum) {
    if (count == 0) return json_pack("{s:i, s:n}", "count", 0, "average");
    /* sum <= 5 x count: the hundredths, rounded half up, fit easily */
    int64_t hundredths = (sum * 200 + (int64_t)count) / (2 * (int64_t)count);
    char average[32];
    snprintf(average, sizeof average, "%" PRId64 ".%02" PRId64, hundredths / 100, hundredths % 100);
    return json_pack("{s:I, s:s}", "count", (json_int_t)count, "average", average);
}

int view_market_kind_of(const char *name) {
    for (uint8_t kind = 0; name && kind < TALLY_LISTING_KIND_COUNT; kind++)
        if (strcmp(tally_listing_kind_name(kind), name) == 0) return kind;
    return -1;
}

void view_market_category_name(const index_category *categories, uint32_t count, uint8_t category,
                               char name[TALLY_CATEGORY_NAME_MAX + 1]) {
    name[0] = '\0';
    for (uint32_t i = 0; category != 0 && i < count; i++)
        if (categories[i].category == category) snprintf(name, TALLY_CATEGORY_NAME_MAX + 1, "%s", categories[i].name);
}

/* ---- listings ---- */

void view_market_copy_listing(const tally_state *state, const index_listing *indexed, const index_category *categories,
                              uint32_t category_count, int64_t block_time_now, view_listing_copy *out) {
    memset(out, 0, sizeof *out);
    out->indexed = *indexed;
    const tally_listing *record = tally_state_listing(state, indexed->id);
    out->has_record = record != NULL;
    if (record) {
        out->record = *record;
        /* market.c refuses orders and changes from the expiry on, before the block
         * end that records it: it is expired for everyone already. */
        out->expired = record->status == TALLY_LISTING_OPEN && block_time_now >= record->expiry;
    }
    view_market_category_name(categories, category_count, record ? record->category : indexed->category,
                              out->category_name);
    copy_alias(state, indexed->network_id, &indexed->seller, out->seller_alias);
    copy_unit(state, indexed->network_id, &out->decimals, out->unit_code);
}

json_t *view_market_listing(const view_listing_copy *copy) {
    const index_listing *l = &copy->indexed;
    /* the state's record for what changes with orders; the index's as published */
    const tally_listing *r = copy->has_record ? &copy->record : NULL;
    int64_t price = r ? r->price : l->price;
    uint8_t status = r ? r->status : l->status;
    json_t *view = json_pack("{s:I, s:i}", "id", (json_int_t)l->id, "network", (int)l->network_id);
    set_member(view, "seller", &l->seller, copy->seller_alias);
    if (!view) return NULL;
    const char *kind = tally_listing_kind_name(l->kind);
    json_object_set_new(view, "kind", json_string(kind ? kind : "?"));
    json_object_set_new(view, "category", json_integer(r ? r->category : l->category));
    json_object_set_new(view, "category_name", copy->category_name[0] ? json_string(copy->category_name) : json_null());
    json_object_set_new(view, "title", json_stringn(l->title, l->title_length));
    json_object_set_new(view, "text", json_stringn(l->text, l->text_length));
    json_object_set_new(view, "price", price > 0 ? json_integer(price) : json_null());
    json_object_set_new(view, "quantity", json_integer(r ? r->quantity : l->quantity));
    json_object_set_new(view, "sold", json_integer(r ? r->sold : 0));
    json_object_set_new(view, "orders_open", json_integer(r ? r->orders_open : 0));
    const char *status_name = copy->expired ? "expired" : tally_listing_status_name(status);
    json_object_set_new(view, "status", json_string(status_name ? status_name : "?"));
    json_object_set_new(view, "expiry", json_integer(r ? r->expiry : l->expiry));
    json_object_set_new(view, "created_at", json_integer(r ? r->created_at : l->created_at));
    json_object_set_new(view, "updated_at", json_integer(r ? r->updated_at : l->updated_at));
    json_object_set_new(view, "revision", json_integer(r ? r->revision : l->revision));
    json_object_set_new(view, "image",
                        l->has_image ? json_pack("{s:o, s:s#}", "hash", view_hex(l->image_hash, TALLY_HASH_BYTES), "url",
                                                 l->image_url, (int)l->image_url_length)
                                     : json_null());
    json_object_set_new(view, "rating", view_market_rating(l->review_count, l->rating_sum));
    json_object_set_new(view, "decimals", json_integer(copy->decimals));
    json_object_set_new(view, "unit", json_string(copy->unit_code));
    return view;
}

/* ---- orders ---- */

void view_market_copy_order(const tally_state *state, const tally_order *record, view_order_copy *out) {
    memset(out, 0, sizeof *out);
    out->record = *record;
    out->hold_id = record->pending_id;
    const tally_pending *hold = tally_state_pending(state, record->pending_id);
    out->fee = hold ? hold->fee : 0;
    copy_alias(state, record->network_id, &record->buyer, out->buyer_alias);
    copy_alias(state, record->network_id, &record->seller, out->seller_alias);
    copy_unit(state, record->network_id, &out->decimals, out->unit_code);
}

static json_t *view_step(const index_order_step *step, const char *alias) {
    const char *type = index_type_name(step->type);
    json_t *view = json_pack("{s:s, s:I, s:I, s:o}", "type", type ? type : "?", "height", (json_int_t)step->height,
                             "time", (json_int_t)step->time, "tx", view_hex(step->tx_id, TALLY_HASH_BYTES));
    if (!view) return NULL;
    /* an event is the chain's; a transaction is its signer's */
    if (index_type_is_event(step->type))
        json_object_set_new(view, "by_chain", json_true());
    else
        set_member(view, "by", &step->signer, alias);
    switch (step->type) {
    case TALLY_TX_ORDER_CREATE: json_object_set_new(view, "held", json_integer(step->amount)); break;
    case TALLY_TX_ORDER_RESOLVE: json_object_set_new(view, "paid", json_integer(step->amount)); break;
    case TALLY_TX_REVIEW: json_object_set_new(view, "rating", json_integer(step->amount)); break;
    case INDEX_EVENT_TYPE_BASE + TALLY_EVENT_ORDER_RELEASED: json_object_set_new(view, "paid", json_integer(step->amount)); break;
    default: break;
    }
    json_object_set_new(view, "memo", json_stringn(step->memo, step->memo_length));
    return view;
}

json_t *view_market_order(const view_order_copy *copy, bool with_steps) {
    const tally_order *o = &copy->record;
    json_t *view = json_pack("{s:I, s:i, s:I}", "id", (json_int_t)o->id, "network", (int)o->network_id, "listing",
                             (json_int_t)o->listing_id);
    set_member(view, "buyer", &o->buyer, copy->buyer_alias);
    set_member(view, "seller", &o->seller, copy->seller_alias);
    if (!view) return NULL;
    const char *status = tally_order_status_name(o->status);
    json_object_set_new(view, "quantity", json_integer(o->quantity));
    json_object_set_new(view, "unit_price", json_integer(o->unit_price));
    json_object_set_new(view, "amount", json_integer(o->amount));
    json_object_set_new(view, "fee", json_integer(copy->fee));
    json_object_set_new(view, "paid", json_integer(o->paid));
    json_object_set_new(view, "status", json_string(status ? status : "?"));
    json_object_set_new(view, "open", json_boolean(!tally_order_ended(o->status)));
    json_object_set_new(view, "timeout", json_integer(o->timeout));
    json_object_set_new(view, "created_at", json_integer(o->created_at));
    json_object_set_new(view, "accepted_at", o->accepted_at ? json_integer(o->accepted_at) : json_null());
    json_object_set_new(view, "ended_at", o->ended_at ? json_integer(o->ended_at) : json_null());
    json_object_set_new(view, "hold", json_integer(copy->hold_id));
    json_object_set_new(view, "memo",
                        copy->indexed ? json_stringn(copy->from_index.memo, copy->from_index.memo_length) : json_null());
    json_object_set_new(view, "buyer_rating", o->buyer_rating ? json_integer(o->buyer_rating) : json_null());
    json_object_set_new(view, "seller_rating", o->seller_rating ? json_integer(o->seller_rating) : json_null());
    json_object_set_new(view, "decimals", json_integer(copy->decimals));
    json_object_set_new(view, "unit", json_string(copy->unit_code));
    if (with_steps) {
        json_t *steps = json_array();
        for (uint32_t i = 0; i < copy->step_count; i++)
            json_array_append_new(steps, view_step(&copy->steps[i], copy->step_names[i]));
        json_object_set_new(view, "steps", steps);
    }
    return view;
}

/* ---- reviews ---- */

void view_market_copy_review(const tally_state *state, const index_review *review, view_review_copy *out) {
    out->review = *review;
    copy_alias(state, review->network_id, &review->reviewer, out->reviewer_alias);
    copy_alias(state, review->network_id, &review->reviewed, out->reviewed_alias);
}

json_t *view_market_review(const view_review_copy *copy) {
    const index_review *r = &copy->review;
    json_t *view = json_pack("{s:I, s:I, s:i, s:s}", "order", (json_int_t)r->order_id, "listing",
                             (json_int_t)r->listing_id, "network", (int)r->network_id, "side",
                             r->by_buyer ? "buyer" : "seller");
    set_member(view, "by", &r->reviewer, copy->reviewer_alias);
    set_member(view, "of", &r->reviewed, copy->reviewed_alias);
    if (!view) return NULL;
    json_object_set_new(view, "rating", json_integer(r->rating));
    json_object_set_new(view, "text", json_stringn(r->text, r->text_length));
    json_object_set_new(view, "time", json_integer(r->time));
    json_object_set_new(view, "height", json_integer((json_int_t)r->height));
    json_object_set_new(view, "tx", view_hex(r->tx_id, TALLY_HASH_BYTES));
    return view;
}

void view_market_history_fields(json_t *entry, uint8_t type, uint32_t id, int64_t amount) {
    if (!entry || !index_type_is_market(type) || id == 0) return;
    bool listing = type <= TALLY_TX_LISTING_WITHDRAW;
    json_object_set_new(entry, listing ? "listing" : "order", json_integer(id));
    const char *figure = NULL;
    switch (type) {
    case TALLY_TX_ORDER_CREATE: figure = "held"; break;
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_RESOLVE: figure = "paid"; break;
    case TALLY_TX_REVIEW: figure = "rating"; break;
    default: break;
    }
    if (figure) json_object_set_new(entry, figure, json_integer(amount));
}

void view_market_activity_fields(json_t *entry, const tally_tx *tx) {
    if (!entry || (tx->type != TALLY_TX_CATEGORY_SET && !index_type_is_market(tx->type))) return;
    const tally_text *memo = NULL;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_CATEGORY_SET: memo = &tx->body.category_set.name; break;
    case TALLY_TX_LISTING_CREATE: memo = &tx->body.listing.title; break;
    case TALLY_TX_LISTING_UPDATE:
        json_object_set_new(entry, "listing", json_integer(tx->body.listing.listing_id));
        memo = &tx->body.listing.title;
        break;
    case TALLY_TX_LISTING_WITHDRAW: json_object_set_new(entry, "listing", json_integer(tx->body.listing.listing_id)); break;
    case TALLY_TX_ORDER_CREATE: {
        const tally_tx_order_create *body = &tx->body.order_create;
        int64_t amount;
        json_object_set_new(entry, "listing", json_integer(body->listing_id));
        if (!__builtin_mul_overflow(body->unit_price, (int64_t)body->quantity, &amount))
            json_object_set_new(entry, "amount", json_integer(amount));
        memo = &body->memo;
        break;
    }
    case TALLY_TX_REVIEW:
        json_object_set_new(entry, "order", json_integer(tx->body.review.order_id));
        json_object_set_new(entry, "rating", json_integer(tx->body.review.rating));
        memo = &tx->body.review.text;
        break;
    default:
        json_object_set_new(entry, "order", json_integer(tx->body.order_step.order_id));
        if (tx->type == TALLY_TX_ORDER_RESOLVE) json_object_set_new(entry, "amount", json_integer(tx->body.order_step.amount));
        memo = &tx->body.order_step.memo;
        break;
    }
    if (memo && memo->length > 0) json_object_set_new(entry, "memo", json_stringn(memo->bytes, memo->length));
}
