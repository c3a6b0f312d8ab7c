/*
 * market.c: the marketplace's money rules (DESIGN.md "Marketplace",
 * docs/MARKETPLACE.md). Members publish listings (offers and wants) under the
 * network's categories; a buyer orders units of an offer at the price it saw, and
 * the money waits in a pending transfer (pending.c) from the buyer to the seller
 * whose resolver is the order: only the order's steps move it. The seller accepts
 * or declines (a refund); the buyer cancels before acceptance, confirms delivery
 * (the seller is paid, fee then) or disputes; at the order's timeout its hold is
 * refunded if the seller never accepted and released to the seller if it did,
 * unless the buyer disputed, which an operator (or the governance) resolves by a
 * split. Each side of an order that paid the seller may review the other once, and
 * the stars feed the reviewed member's reputation (reputation.c, `stars - 3` each).
 * The state keeps the fields the rules read; titles, texts, images and memos travel
 * in the transactions, which the block log and the index keep.
 */
#include "core/ledger.h"

#include <string.h>

const char *tally_listing_kind_name(uint8_t kind) {
    static const char *const names[TALLY_LISTING_KIND_COUNT] = {"offer", "want"};
    return kind < TALLY_LISTING_KIND_COUNT ? names[kind] : NULL;
}

const char *tally_listing_status_name(uint8_t status) {
    static const char *const names[TALLY_LISTING_STATUS_COUNT] = {"open", "withdrawn", "expired"};
    return status < TALLY_LISTING_STATUS_COUNT ? names[status] : NULL;
}

const char *tally_order_status_name(uint8_t status) {
    static const char *const names[TALLY_ORDER_STATUS_COUNT] = {"placed",   "accepted", "disputed", "completed",
                                                                "released", "resolved", "declined", "cancelled",
                                                                "expired",  "voided"};
    return status < TALLY_ORDER_STATUS_COUNT ? names[status] : NULL;
}

bool tally_order_ended(uint8_t status) {
    return status != TALLY_ORDER_PLACED && status != TALLY_ORDER_ACCEPTED && status != TALLY_ORDER_DISPUTED;
}

bool tally_order_reviewable(uint8_t status) {
    return status == TALLY_ORDER_COMPLETED || status == TALLY_ORDER_RELEASED || status == TALLY_ORDER_RESOLVED;
}

/* A year: the furthest a listing's expiry may be (an order's timeout is its hold's). */
#define LISTING_EXPIRY_MAX_SECONDS (366 * 86400)

static bool category_named(const tally_network *network, uint8_t category) {
    return category >= 1 && category <= TALLY_MARKET_CATEGORIES_MAX &&
           (network->market_categories >> (category - 1) & 1u) != 0;
}

/* A text field as the codec holds it: at most `most` bytes of valid text. */
static tally_error text_check(const tally_text *text, size_t most) {
    if (text->length > most) return TALLY_ERR_DECODE_BAD_LENGTH;
    return tally_text_is_valid(text->bytes, text->length) ? TALLY_OK : TALLY_ERR_DECODE_BAD_TEXT;
}

/* An image reference: a hash and an http(s) URL of printable ASCII, or neither. */
static bool image_valid(const tally_tx_listing *body) {
    static const uint8_t zero[TALLY_HASH_BYTES];
    bool hashed = memcmp(body->image_hash, zero, sizeof zero) != 0;
    const tally_text *url = &body->image_url;
    if (!hashed || url->length == 0) return !hashed && url->length == 0;
    if (url->length > TALLY_IMAGE_URL_MAX) return false;
    for (uint16_t i = 0; i < url->length; i++)
        if ((unsigned char)url->bytes[i] <= 0x20 || (unsigned char)url->bytes[i] >= 0x7f) return false;
    return (url->length > 8 && memcmp(url->bytes, "https://", 8) == 0) ||
           (url->length > 7 && memcmp(url->bytes, "http://", 7) == 0);
}

/* What LISTING_CREATE and LISTING_UPDATE both hold a listing's content to. `kept`:
 * the category the listing has now (0 for a new one), which it may keep after the
 * category was removed. */
static tally_error listing_content_check(const tally_network *network, const tally_tx_listing *body,
                                         int64_t block_time, uint8_t kept) {
    if (body->category != 0 && body->category != kept && !category_named(network, body->category))
        return TALLY_ERR_BAD_CATEGORY;
    if (body->price < 0 || body->quantity == 0 || body->title.length == 0) return TALLY_ERR_BAD_LISTING;
    tally_error error = text_check(&body->title, TALLY_LISTING_TITLE_MAX);
    if (error == TALLY_OK) error = text_check(&body->text, TALLY_LISTING_TEXT_MAX);
    if (error != TALLY_OK) return error;
    if (!image_valid(body)) return TALLY_ERR_BAD_IMAGE;
    if (body->expiry <= block_time || body->expiry - block_time > LISTING_EXPIRY_MAX_SECONDS)
        return TALLY_ERR_BAD_EXPIRY;
    return TALLY_OK;
}

/* A listing the seller may still change or a buyer order from: open and not past
 * its expiry (whose block end may not have come yet). */
static tally_error open_listing(const tally_state *state, uint32_t id, int64_t block_time, const tally_listing **out) {
    const tally_listing *listing = tally_state_listing(state, id);
    if (!listing) return TALLY_ERR_LISTING_NOT_FOUND;
    if (listing->status != TALLY_LISTING_OPEN || block_time >= listing->expiry) return TALLY_ERR_LISTING_CLOSED;
    *out = listing;
    return TALLY_OK;
}

/* A seller who may publish: a current member neither suspended nor defaulted. */
static tally_error publisher_refusal(const tally_member *member) {
    if (!member) return TALLY_ERR_NOT_MEMBER;
    if (member->status == TALLY_MEMBER_SUSPENDED) return TALLY_ERR_MEMBER_SUSPENDED;
    if (member->status == TALLY_MEMBER_DEFAULTED) return TALLY_ERR_MEMBER_DEFAULTED;
    return TALLY_OK;
}

/* Its seller has one open listing fewer. */
static void listing_closed(tally_state *state, const tally_listing *listing) {
    tally_member *seller = ledger_member(state, listing->network_id, &listing->seller);
    assert(seller && seller->listings_open > 0);
    if (seller && seller->listings_open > 0) seller->listings_open--;
}

tally_result market_category_set(tally_state *state, const tally_tx *tx) {
    const tally_tx_category_set *body = &tx->body.category_set;
    const tally_network *seen = tally_state_network(state, body->network_id);
    if (!seen) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (!network_is_operator(seen, &tx->signer)) return result_error(TALLY_ERR_NOT_OPERATOR);
    if (body->category < 1 || body->category > TALLY_MARKET_CATEGORIES_MAX) return result_error(TALLY_ERR_BAD_CATEGORY);
    if (body->name.length > TALLY_CATEGORY_NAME_MAX || !tally_text_is_valid(body->name.bytes, body->name.length))
        return result_error(TALLY_ERR_BAD_NAME);
    tally_network *network = ledger_network(state, body->network_id);
    uint32_t bit = 1u << (body->category - 1);
    if (body->name.length == 0)
        network->market_categories &= ~bit;
    else
        network->market_categories |= bit;
    return result_error(TALLY_OK);
}

tally_result market_listing_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_listing *body = &tx->body.listing;
    const tally_network *network = tally_state_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    const tally_member *seen = ledger_current_member_read(state, network->id, &tx->signer);
    tally_error error = publisher_refusal(seen);
    if (error != TALLY_OK) return result_error(error);
    if (body->kind >= TALLY_LISTING_KIND_COUNT) return result_error(TALLY_ERR_DECODE_BAD_VALUE);
    if ((error = listing_content_check(network, body, block_time, 0)) != TALLY_OK) return result_error(error);
    if (seen->listings_open >= TALLY_OPEN_PER_MEMBER_MAX) return result_error(TALLY_ERR_TOO_MANY_OPEN);
    /* Room was reserved for one record and its due entry (ledger_reserve). */
    uint32_t index = state->listing_count++;
    tally_listing *listing = &state->listings[index];
    memset(listing, 0, sizeof *listing);
    listing->id = index + 1;
    listing->network_id = network->id;
    listing->seller = tx->signer;
    listing->kind = body->kind;
    listing->category = body->category;
    listing->status = TALLY_LISTING_OPEN;
    listing->price = body->price;
    listing->quantity = body->quantity;
    listing->expiry = body->expiry;
    listing->created_at = listing->updated_at = block_time;
    ledger_touch(state, TALLY_TABLE_LISTINGS, index);
    ledger_current_member(state, network->id, &tx->signer)->listings_open++;
    ledger_due_push(state, body->expiry, DUE_LISTING, index);
    tally_result result = result_error(TALLY_OK);
    result.created_id = listing->id;
    return result;
}

tally_result market_listing_update(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_listing *body = &tx->body.listing;
    const tally_listing *seen = NULL;
    tally_error error = open_listing(state, body->listing_id, block_time, &seen);
    if (error != TALLY_OK) return result_error(error);
    if (!ledger_keys_equal(&seen->seller, &tx->signer)) return result_error(TALLY_ERR_NOT_SELLER);
    error = listing_content_check(tally_state_network(state, seen->network_id), body, block_time, seen->category);
    if (error == TALLY_OK) error = publisher_refusal(ledger_current_member_read(state, seen->network_id, &tx->signer));
    if (error != TALLY_OK) return result_error(error);
    tally_listing *listing = ledger_listing_at(state, body->listing_id - 1);
    listing->category = body->category;
    listing->price = body->price;
    listing->quantity = body->quantity;
    listing->revision++;
    listing->updated_at = block_time;
    if (listing->expiry != body->expiry) {
        listing->expiry = body->expiry; /* the old entry goes stale */
        ledger_due_push(state, body->expiry, DUE_LISTING, body->listing_id - 1);
    }
    return result_error(TALLY_OK);
}

tally_result market_listing_withdraw(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_listing *body = &tx->body.listing;
    /* From its expiry on the listing is its block end's to expire, as for an update
     * (open_listing): a withdrawal there would turn it withdrawn instead, without
     * its listing_expired event (found by test_simulation_market.c, seed 1). */
    const tally_listing *seen = NULL;
    tally_error error = open_listing(state, body->listing_id, block_time, &seen);
    if (error != TALLY_OK) return result_error(error);
    if (!ledger_keys_equal(&seen->seller, &tx->signer)) return result_error(TALLY_ERR_NOT_SELLER);
    tally_listing *listing = ledger_listing_at(state, body->listing_id - 1);
    listing->status = TALLY_LISTING_WITHDRAWN;
    listing_closed(state, listing);
    return result_error(TALLY_OK); /* its open orders go on */
}

bool market_listing_due(tally_state *state, uint32_t listing_index, int64_t due_time, ledger_block_end *end) {
    if (listing_index >= state->listing_count) return false;
    const tally_listing *seen = &state->listings[listing_index];
    if (seen->status != TALLY_LISTING_OPEN || seen->expiry != due_time) return false; /* ended or moved before */
    tally_listing *listing = ledger_listing_at(state, listing_index);
    listing->status = TALLY_LISTING_EXPIRED;
    listing_closed(state, listing);
    ledger_event(end, TALLY_EVENT_LISTING_EXPIRED, listing->network_id, &listing->seller, 0, listing->id);
    return true;
}

/* ---- orders ---- */

tally_result market_order_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_order_create *body = &tx->body.order_create;
    const tally_listing *listing = tally_state_listing(state, body->listing_id);
    if (!listing) return result_error(TALLY_ERR_LISTING_NOT_FOUND);
    /* Standing first, as admission checks it (the hold checks the rest of it). */
    if (!ledger_current_member_read(state, listing->network_id, &tx->signer)) return result_error(TALLY_ERR_NOT_MEMBER);
    tally_error error = open_listing(state, body->listing_id, block_time, &listing);
    if (error != TALLY_OK) return result_error(error);
    if (listing->kind != TALLY_LISTING_OFFER) return result_error(TALLY_ERR_NOT_AN_OFFER);
    if (body->quantity == 0 || body->unit_price <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    /* A priced listing sells at its price only; an "ask" one at the buyer's, which
     * the seller's acceptance agrees to. */
    if (listing->price != 0 && body->unit_price != listing->price) {
        tally_result refused = result_error(TALLY_ERR_PRICE_CHANGED);
        refused.available = listing->price;
        return refused;
    }
    if (body->quantity > listing->quantity) {
        tally_result refused = result_error(TALLY_ERR_QUANTITY_UNAVAILABLE);
        refused.available = listing->quantity;
        return refused;
    }
    if ((error = ledger_memo_check(&body->memo)) != TALLY_OK) return result_error(error);
    int64_t amount;
    if (__builtin_mul_overflow(body->unit_price, (int64_t)body->quantity, &amount))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    const tally_network *network = tally_state_network(state, listing->network_id);
    tally_key resolver = tally_system_key(network->id, TALLY_SYSTEM_MARKET);
    /* The hold checks the timeout, the seller's membership and the buyer's credit. */
    if ((error = pending_terms_refusal(&tx->signer, &listing->seller, amount, body->timeout, TALLY_PENDING_REFUND,
                                       block_time)) != TALLY_OK)
        return result_error(error);
    tally_result result = pending_hold_open(state, network, &tx->signer, &listing->seller, &resolver, amount,
                                            body->max_fee, body->timeout, TALLY_PENDING_REFUND, block_time);
    if (result.code != TALLY_OK) return result;
    /* Room was reserved for the order too (ledger_reserve). */
    uint32_t index = state->order_count++;
    tally_order *order = &state->orders[index];
    memset(order, 0, sizeof *order);
    order->id = index + 1;
    order->network_id = network->id;
    order->listing_id = listing->id;
    order->pending_id = result.created_id;
    order->buyer = tx->signer;
    order->seller = listing->seller;
    order->quantity = body->quantity;
    order->unit_price = body->unit_price;
    order->amount = amount;
    order->timeout = body->timeout;
    order->created_at = block_time;
    order->status = TALLY_ORDER_PLACED;
    ledger_touch(state, TALLY_TABLE_ORDERS, index);
    ledger_pending_at(state, result.created_id - 1)->order_id = order->id;
    tally_listing *taken = ledger_listing_at(state, listing->id - 1);
    taken->quantity -= body->quantity;
    taken->orders_open++;
    result.created_id = order->id;
    return result;
}

/* The order's listing, once the order ended: its units sold (the seller paid) or back
 * (refunded in full: declined, cancelled, expired, voided, or resolved with nothing
 * to the seller). */
static void order_ended(tally_state *state, tally_order *order, uint8_t status, int64_t at) {
    order->status = status;
    order->ended_at = at;
    tally_listing *listing = ledger_listing_at(state, order->listing_id - 1);
    assert(listing->orders_open > 0);
    if (listing->orders_open > 0) listing->orders_open--;
    if (order->paid > 0) {
        listing->sold = listing->sold > UINT32_MAX - order->quantity ? UINT32_MAX : listing->sold + order->quantity;
    } else {
        listing->quantity = listing->quantity > UINT32_MAX - order->quantity ? UINT32_MAX : listing->quantity + order->quantity;
    }
}

/* Refunds an open order's hold in full. */
static void refund(tally_state *state, tally_order *order, uint8_t status, uint8_t pending_status, int64_t at) {
    tally_pending *pending = ledger_pending_at(state, order->pending_id - 1);
    pending_hold_release(state, pending);
    pending->status = pending_status;
    order_ended(state, order, status, at);
}

/* Pays `amount` of an open order's hold to the seller (the rest back to the buyer);
 * nothing changes when refused (the seller's cap). */
static tally_result pay_seller(tally_state *state, tally_order *order, int64_t amount, uint8_t status,
                               uint8_t pending_status, int64_t block_time) {
    tally_pending *pending = ledger_pending_at(state, order->pending_id - 1);
    tally_result result = pending_hold_post(state, pending, amount, block_time);
    if (result.code != TALLY_OK) return result;
    pending->status = pending_status;
    order->paid = amount;
    order_ended(state, order, status, block_time);
    return result;
}

/* Who may take each step, from which statuses. */
typedef enum { BY_SELLER, BY_BUYER, BY_OPERATOR } step_actor;
static step_actor actor_of(uint8_t type) {
    switch ((tally_tx_type)type) {
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE: return BY_SELLER;
    case TALLY_TX_ORDER_RESOLVE: return BY_OPERATOR;
    default: return BY_BUYER;
    }
}

static bool step_allowed(uint8_t type, uint8_t status) {
    switch ((tally_tx_type)type) {
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_CANCEL: return status == TALLY_ORDER_PLACED;
    case TALLY_TX_ORDER_DECLINE: return !tally_order_ended(status);
    case TALLY_TX_ORDER_CONFIRM: return status == TALLY_ORDER_ACCEPTED || status == TALLY_ORDER_DISPUTED;
    case TALLY_TX_ORDER_DISPUTE: return status == TALLY_ORDER_ACCEPTED;
    case TALLY_TX_ORDER_RESOLVE: return status == TALLY_ORDER_DISPUTED;
    default: return false;
    }
}

tally_result market_order_step(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_order_step *body = &tx->body.order_step;
    const tally_order *seen = tally_state_order(state, body->order_id);
    if (!seen) return result_error(TALLY_ERR_ORDER_NOT_FOUND);
    switch (actor_of(tx->type)) {
    case BY_SELLER:
        if (!ledger_keys_equal(&seen->seller, &tx->signer)) return result_error(TALLY_ERR_NOT_SELLER);
        break;
    case BY_BUYER:
        if (!ledger_keys_equal(&seen->buyer, &tx->signer)) return result_error(TALLY_ERR_NOT_BUYER);
        break;
    case BY_OPERATOR:
        if (!network_is_operator(tally_state_network(state, seen->network_id), &tx->signer))
            return result_error(TALLY_ERR_NOT_OPERATOR);
        break;
    }
    if (!step_allowed(tx->type, seen->status)) return result_error(TALLY_ERR_ORDER_STEP_REFUSED);
    /* From its timeout the block end settles it: no acceptance, cancellation or
     * dispute comes after (a refund or a payment the other side agrees to may). */
    bool timed = tx->type == TALLY_TX_ORDER_ACCEPT || tx->type == TALLY_TX_ORDER_CANCEL ||
                 tx->type == TALLY_TX_ORDER_DISPUTE;
    if (timed && block_time >= seen->timeout) return result_error(TALLY_ERR_ORDER_TIMED_OUT);
    tally_error error = ledger_memo_check(&body->memo);
    if (error != TALLY_OK) return result_error(error);
    if (tx->type == TALLY_TX_ORDER_RESOLVE && (body->amount < 0 || body->amount > seen->amount)) {
        tally_result refused = result_error(TALLY_ERR_SPLIT_ABOVE_ORDER);
        refused.available = seen->amount;
        return refused;
    }
    tally_order *order = ledger_order_at(state, body->order_id - 1);
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_ORDER_ACCEPT:
        order->status = TALLY_ORDER_ACCEPTED;
        order->accepted_at = block_time;
        /* Accepted, its timeout pays the seller. */
        ledger_pending_at(state, order->pending_id - 1)->outcome = TALLY_PENDING_RELEASE;
        return result_error(TALLY_OK);
    case TALLY_TX_ORDER_DECLINE: refund(state, order, TALLY_ORDER_DECLINED, TALLY_PENDING_VOIDED, block_time); break;
    case TALLY_TX_ORDER_CANCEL: refund(state, order, TALLY_ORDER_CANCELLED, TALLY_PENDING_VOIDED, block_time); break;
    case TALLY_TX_ORDER_DISPUTE: order->status = TALLY_ORDER_DISPUTED; break;
    case TALLY_TX_ORDER_CONFIRM:
        return pay_seller(state, order, order->amount, TALLY_ORDER_COMPLETED, TALLY_PENDING_POSTED, block_time);
    case TALLY_TX_ORDER_RESOLVE:
        if (body->amount > 0)
            return pay_seller(state, order, body->amount, TALLY_ORDER_RESOLVED, TALLY_PENDING_POSTED, block_time);
        refund(state, order, TALLY_ORDER_RESOLVED, TALLY_PENDING_VOIDED, block_time);
        break;
    default: return result_error(TALLY_ERR_UNKNOWN_TX_TYPE);
    }
    return result_error(TALLY_OK);
}

bool market_hold_due(tally_state *state, tally_pending *pending, int64_t block_time, ledger_block_end *end) {
    assert(pending->order_id >= 1 && pending->order_id <= state->order_count);
    if (pending->order_id == 0 || pending->order_id > state->order_count) return false;
    const tally_order *seen = &state->orders[pending->order_id - 1];
    /* An operator's to resolve: its timeout passed, and a node that reloads its state
     * queues it again (as every open hold's), to no effect. */
    if (seen->status == TALLY_ORDER_DISPUTED) return false;
    tally_order *order = ledger_order_at(state, pending->order_id - 1);
    if (order->status == TALLY_ORDER_PLACED) {
        refund(state, order, TALLY_ORDER_EXPIRED, TALLY_PENDING_REFUNDED, block_time);
        ledger_event(end, TALLY_EVENT_ORDER_EXPIRED, order->network_id, &order->buyer, order->amount, order->id);
        return true;
    }
    assert(order->status == TALLY_ORDER_ACCEPTED);
    if (pay_seller(state, order, order->amount, TALLY_ORDER_RELEASED, TALLY_PENDING_RELEASED, block_time).code ==
        TALLY_OK) {
        ledger_event(end, TALLY_EVENT_ORDER_RELEASED, order->network_id, &order->seller, order->paid, order->id);
        return true;
    }
    /* The seller is at its cap (or gone): the money waits, disputed, for the buyer's
     * confirmation once the seller can be paid, or an operator's split. */
    order->status = TALLY_ORDER_DISPUTED;
    ledger_event(end, TALLY_EVENT_ORDER_HELD, order->network_id, &order->seller, order->amount, order->id);
    return true;
}

void market_hold_voided(tally_state *state, const tally_pending *pending, int64_t at) {
    if (pending->order_id == 0 || pending->order_id > state->order_count) return;
    order_ended(state, ledger_order_at(state, pending->order_id - 1), TALLY_ORDER_VOIDED, at);
}

/* ---- reviews ---- */

tally_result market_review(tally_state *state, const tally_tx *tx) {
    const tally_tx_review *body = &tx->body.review;
    const tally_order *seen = tally_state_order(state, body->order_id);
    if (!seen) return result_error(TALLY_ERR_ORDER_NOT_FOUND);
    bool by_buyer = ledger_keys_equal(&seen->buyer, &tx->signer);
    if ((!by_buyer && !ledger_keys_equal(&seen->seller, &tx->signer)) || !tally_order_reviewable(seen->status))
        return result_error(TALLY_ERR_NOT_REVIEWABLE);
    if (body->rating < 1 || body->rating > 5) return result_error(TALLY_ERR_BAD_RATING);
    if ((by_buyer ? seen->buyer_rating : seen->seller_rating) != 0) return result_error(TALLY_ERR_ALREADY_REVIEWED);
    tally_error error = text_check(&body->text, TALLY_MEMO_MAX);
    if (error != TALLY_OK) return result_error(error);
    tally_order *order = ledger_order_at(state, body->order_id - 1);
    if (by_buyer)
        order->buyer_rating = body->rating;
    else
        order->seller_rating = body->rating;
    /* The reviewed side's net stars: its record outlives leaving, so it always is. */
    tally_member *reviewed = ledger_member(state, order->network_id, by_buyer ? &order->seller : &order->buyer);
    if (reviewed) {
        int64_t points = (int64_t)reviewed->review_points + body->rating - 3;
        reviewed->review_points = points > INT32_MAX ? INT32_MAX : points < INT32_MIN ? INT32_MIN : (int32_t)points;
        if (reviewed->review_count < UINT32_MAX) reviewed->review_count++;
    }
    return result_error(TALLY_OK);
}
