/*
 * index_market.c: the marketplace in the index (docs/MARKETPLACE.md, index.h "The
 * marketplace"). The writer's side keeps what the state does not: category names,
 * listings' texts (FTS5 over title and text, rowid the listing's id), each order's
 * buyer, seller, hold and memo with a row per step, and reviews with their texts,
 * all from committed transactions and the events of blocks' ends. The readers'
 * side answers the searches and lookups the API needs; the state has the money
 * fields (units left, sold, an order's status), which the API reads at answer time.
 */
#include "node/index_internal.h"

#include <inttypes.h>

_Static_assert(TALLY_ORDER_COMPLETED == 3 && TALLY_ORDER_VOIDED == 9, "index_internal.h's statements name them");
_Static_assert(TALLY_MARKET_CATEGORIES_MAX == 32, "index_internal.h's CATEGORIES names it");
_Static_assert(INDEX_MARKET_LIMIT_MAX <= INT32_MAX, "a page's bound");

bool index_type_is_market(uint8_t type) { return type >= TALLY_TX_LISTING_CREATE && type <= TALLY_TX_REVIEW; }

bool index_market_placed_by_record(uint8_t type) {
    return type == TALLY_TX_LISTING_UPDATE || type == TALLY_TX_LISTING_WITHDRAW ||
           (type >= TALLY_TX_ORDER_CREATE && type <= TALLY_TX_REVIEW);
}

static bool keys_equal(const tally_key *a, const tally_key *b) {
    return memcmp(a->bytes, b->bytes, TALLY_KEY_BYTES) == 0;
}

/* ------------------------------------------------------------------------ */
/* Records by id.                                                            */
/* ------------------------------------------------------------------------ */

static index_error listing_brief(tally_index *index, uint32_t id, index_listing_brief *listing, bool *found, char *why,
                                 size_t why_size) {
    memset(listing, 0, sizeof *listing);
    binding b = bind_start(index, STATEMENT_LISTING_BRIEF);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a listing", why, why_size);
    if (error == INDEX_OK && *found) {
        int64_t network_id = 0;
        listing->id = id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &network_id) ||
            !column_fixed(b.statement, 1, listing->seller.bytes, TALLY_KEY_BYTES))
            error = fail_damaged("the listings table", why, why_size);
        listing->network_id = (uint32_t)network_id;
    }
    sqlite3_reset(b.statement);
    return error;
}

static bool read_order_row(sqlite3_stmt *statement, index_order *order) {
    int64_t id, listing_id, network_id, hold_id, quantity, status;
    memset(order, 0, sizeof *order);
    if (!column_integer(statement, 0, 1, UINT32_MAX, &id) || !column_integer(statement, 1, 1, UINT32_MAX, &listing_id) ||
        !column_integer(statement, 2, 1, UINT32_MAX, &network_id) ||
        !column_fixed(statement, 3, order->buyer.bytes, TALLY_KEY_BYTES) ||
        !column_fixed(statement, 4, order->seller.bytes, TALLY_KEY_BYTES) ||
        !column_integer(statement, 5, 1, UINT32_MAX, &hold_id) ||
        !column_integer(statement, 6, 1, UINT32_MAX, &quantity) ||
        !column_integer(statement, 7, 1, INT64_MAX, &order->amount) ||
        !column_integer(statement, 8, 0, INT64_MAX, &order->fee) ||
        !column_integer(statement, 9, 0, TALLY_ORDER_STATUS_COUNT - 1, &status) ||
        !column_text(statement, 10, order->memo, TALLY_MEMO_MAX, &order->memo_length))
        return false;
    order->id = (uint32_t)id;
    order->listing_id = (uint32_t)listing_id;
    order->network_id = (uint32_t)network_id;
    order->hold_id = (uint32_t)hold_id;
    order->quantity = (uint32_t)quantity;
    order->status = (uint8_t)status;
    return true;
}

static index_error order_read(tally_index *index, uint32_t id, index_order *order, bool *found, char *why,
                              size_t why_size) {
    binding b = bind_start(index, STATEMENT_ORDER_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading an order", why, why_size);
    if (error == INDEX_OK && *found && !read_order_row(b.statement, order))
        error = fail_damaged("the orders table", why, why_size);
    if (error != INDEX_OK || !*found) memset(order, 0, sizeof *order);
    sqlite3_reset(b.statement);
    return error;
}

/* The id the next hold gets: holds are numbered across the chain in creation
 * order, and the index keeps every one (PENDING_CREATE's and orders'). */
static index_error hold_next(tally_index *index, uint32_t *id, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_HOLD_NEXT);
    bool row;
    int64_t next = 0;
    index_error error = step_row(index, &b, &row, "numbering a hold", why, why_size);
    if (error == INDEX_OK && (!row || !column_integer(b.statement, 0, 1, UINT32_MAX, &next)))
        error = fail_damaged("the holds table", why, why_size);
    sqlite3_reset(b.statement);
    *id = (uint32_t)next;
    return error;
}

index_error index_market_subject(tally_index *index, const tally_tx *tx, index_listing_brief *listing,
                                 index_order *order, index_subject *subject, uint32_t *network_id, bool *found,
                                 char *why, size_t why_size) {
    assert(index_market_placed_by_record(tx->type));
    *found = false;
    index_error error = INDEX_OK;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
    case TALLY_TX_ORDER_CREATE: {
        uint32_t id = tx->type == TALLY_TX_ORDER_CREATE ? tx->body.order_create.listing_id : tx->body.listing.listing_id;
        error = listing_brief(index, id, listing, found, why, why_size);
        if (error == INDEX_OK && *found) {
            subject->listing = listing;
            *network_id = listing->network_id;
            if (tx->type == TALLY_TX_ORDER_CREATE) error = hold_next(index, &subject->order_hold_id, why, why_size);
        }
        break;
    }
    default: {
        uint32_t id = tx->type == TALLY_TX_REVIEW ? tx->body.review.order_id : tx->body.order_step.order_id;
        error = order_read(index, id, order, found, why, why_size);
        if (error == INDEX_OK && *found) {
            subject->order = order;
            *network_id = order->network_id;
        }
        break;
    }
    }
    return error;
}

bool index_market_memo(const tally_tx *tx, const char **text, size_t *length) {
    const tally_text *memo = NULL;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_CATEGORY_SET: memo = &tx->body.category_set.name; break;
    case TALLY_TX_LISTING_CREATE:
    case TALLY_TX_LISTING_UPDATE: memo = &tx->body.listing.title; break;
    case TALLY_TX_ORDER_CREATE: memo = &tx->body.order_create.memo; break;
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE: memo = &tx->body.order_step.memo; break;
    case TALLY_TX_REVIEW: memo = &tx->body.review.text; break;
    default: return false;
    }
    if (memo->length == 0) return false;
    *text = memo->bytes;
    *length = memo->length;
    return true;
}

bool index_market_figures(const tally_tx *tx, const tally_result *result, index_subject subject, uint32_t *id,
                          int64_t *amount) {
    if (result->code != TALLY_OK || !index_type_is_market(tx->type)) return false;
    *amount = 0;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_LISTING_CREATE: *id = result->created_id; break;
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW: *id = tx->body.listing.listing_id; break;
    case TALLY_TX_ORDER_CREATE: {
        *id = result->created_id;
        int64_t held;
        /* the core refuses an order whose amount overflows */
        if (!__builtin_mul_overflow(tx->body.order_create.unit_price, (int64_t)tx->body.order_create.quantity, &held))
            *amount = held;
        break;
    }
    case TALLY_TX_ORDER_CONFIRM:
        *id = tx->body.order_step.order_id;
        *amount = subject.order ? subject.order->amount : 0;
        break;
    case TALLY_TX_ORDER_RESOLVE:
        *id = tx->body.order_step.order_id;
        *amount = tx->body.order_step.amount;
        break;
    case TALLY_TX_REVIEW:
        *id = tx->body.review.order_id;
        *amount = tx->body.review.rating;
        break;
    default: *id = tx->body.order_step.order_id; break;
    }
    return *id != 0;
}

/* ------------------------------------------------------------------------ */
/* Writing.                                                                  */
/* ------------------------------------------------------------------------ */

static index_error listing_status(tally_index *index, uint32_t id, tally_listing_status status, char *why,
                                  size_t why_size) {
    binding b = bind_start(index, STATEMENT_LISTING_STATUS);
    bind_int(&b, 1, id);
    bind_int(&b, 2, status);
    return run(index, &b, "writing a listing's status", why, why_size);
}

/* Replaces the searchable texts of listing id. */
static index_error listing_text(tally_index *index, uint32_t id, const tally_tx_listing *body, bool replace,
                                char *why, size_t why_size) {
    index_error error = INDEX_OK;
    if (replace) {
        binding b = bind_start(index, STATEMENT_LISTING_TEXT_DELETE);
        bind_int(&b, 1, id);
        error = run(index, &b, "removing a listing's text from search", why, why_size);
    }
    if (error != INDEX_OK) return error;
    binding b = bind_start(index, STATEMENT_LISTING_TEXT_PUT);
    bind_int(&b, 1, id);
    bind_text(&b, 2, body->title.bytes, body->title.length);
    bind_text(&b, 3, body->text.bytes, body->text.length);
    return run(index, &b, "indexing a listing's text for search", why, why_size);
}

static void bind_image(binding *b, int column, const tally_tx_listing *body) {
    if (body->image_url.length == 0) {
        bind_null(b, column);
        bind_null(b, column + 1);
        return;
    }
    bind_bytes(b, column, body->image_hash, TALLY_HASH_BYTES);
    bind_text(b, column + 1, body->image_url.bytes, body->image_url.length);
}

static index_error listing_put(tally_index *index, const tally_tx *tx, uint32_t id, int64_t block_time, char *why,
                               size_t why_size) {
    const tally_tx_listing *body = &tx->body.listing;
    binding b = bind_start(index, STATEMENT_LISTING_PUT);
    bind_int(&b, 1, id);
    bind_int(&b, 2, body->network_id);
    bind_key(&b, 3, &tx->signer);
    bind_int(&b, 4, body->kind);
    bind_int(&b, 5, body->category);
    bind_int(&b, 6, body->price);
    bind_int(&b, 7, body->quantity);
    bind_text(&b, 8, body->title.bytes, body->title.length);
    bind_text(&b, 9, body->text.bytes, body->text.length);
    bind_image(&b, 10, body);
    bind_int(&b, 12, body->expiry);
    bind_int(&b, 13, block_time);
    index_error error = run(index, &b, "writing a listing", why, why_size);
    return error == INDEX_OK ? listing_text(index, id, body, false, why, why_size) : error;
}

static index_error listing_change(tally_index *index, const tally_tx_listing *body, int64_t block_time, char *why,
                                  size_t why_size) {
    binding b = bind_start(index, STATEMENT_LISTING_CHANGE);
    bind_int(&b, 1, body->listing_id);
    bind_int(&b, 2, body->category);
    bind_int(&b, 3, body->price);
    bind_int(&b, 4, body->quantity);
    bind_text(&b, 5, body->title.bytes, body->title.length);
    bind_text(&b, 6, body->text.bytes, body->text.length);
    bind_image(&b, 7, body);
    bind_int(&b, 9, body->expiry);
    bind_int(&b, 10, block_time);
    index_error error = run(index, &b, "updating a listing", why, why_size);
    return error == INDEX_OK ? listing_text(index, body->listing_id, body, true, why, why_size) : error;
}

static index_error category_set(tally_index *index, const tally_tx_category_set *body, char *why, size_t why_size) {
    binding b = bind_start(index, body->name.length == 0 ? STATEMENT_CATEGORY_DELETE : STATEMENT_CATEGORY_PUT);
    bind_int(&b, 1, body->network_id);
    bind_int(&b, 2, body->category);
    if (body->name.length > 0) bind_text(&b, 3, body->name.bytes, body->name.length);
    return run(index, &b, "writing a category", why, why_size);
}

static index_error order_put(tally_index *index, const tally_tx *tx, const tally_result *result,
                             const index_listing_brief *listing, uint32_t hold_id, int64_t amount, char *why,
                             size_t why_size) {
    const tally_tx_order_create *body = &tx->body.order_create;
    /* The order's hold is a hold as PENDING_CREATE's (the holds lists and a payee's
     * pending-in count it), resolved by the network's market key. */
    index_hold hold = {hold_id, listing->network_id, tx->signer, listing->seller, amount, result->fee};
    tally_key resolver = tally_system_key(listing->network_id, TALLY_SYSTEM_MARKET);
    index_error error = index_hold_put(index, &hold, &resolver, why, why_size);
    if (error != INDEX_OK) return error;
    binding b = bind_start(index, STATEMENT_ORDER_PUT);
    bind_int(&b, 1, result->created_id);
    bind_int(&b, 2, body->listing_id);
    bind_int(&b, 3, listing->network_id);
    bind_key(&b, 4, &tx->signer);
    bind_key(&b, 5, &listing->seller);
    bind_int(&b, 6, hold_id);
    bind_int(&b, 7, body->quantity);
    bind_int(&b, 8, amount);
    bind_int(&b, 9, result->fee);
    bind_text(&b, 10, body->memo.bytes, body->memo.length);
    return run(index, &b, "writing an order", why, why_size);
}

static index_error order_status(tally_index *index, uint32_t id, tally_order_status status, char *why,
                                size_t why_size) {
    binding b = bind_start(index, STATEMENT_ORDER_STATUS);
    bind_int(&b, 1, id);
    bind_int(&b, 2, status);
    return run(index, &b, "writing an order's status", why, why_size);
}

/* A step of an order: the row tx_seq of txs (a transaction or an event). */
static index_error order_step(tally_index *index, uint32_t order_id, int64_t tx_seq, uint8_t type, int64_t amount,
                              const char *memo, size_t memo_length, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_ORDER_STEP_PUT);
    bind_int(&b, 1, order_id);
    bind_int(&b, 2, tx_seq);
    bind_int(&b, 3, type);
    bind_int(&b, 4, amount);
    if (memo && memo_length > 0)
        bind_text(&b, 5, memo, memo_length);
    else
        bind_null(&b, 5);
    return run(index, &b, "writing an order's step", why, why_size);
}

static index_error review_put(tally_index *index, const tally_tx *tx, const index_order *order, int64_t tx_seq,
                              char *why, size_t why_size) {
    bool by_buyer = keys_equal(&tx->signer, &order->buyer);
    binding b = bind_start(index, STATEMENT_REVIEW_PUT);
    bind_int(&b, 1, order->id);
    bind_int(&b, 2, by_buyer ? 1 : 0);
    bind_int(&b, 3, order->network_id);
    bind_int(&b, 4, order->listing_id);
    bind_key(&b, 5, &tx->signer);
    bind_key(&b, 6, by_buyer ? &order->seller : &order->buyer);
    bind_int(&b, 7, tx->body.review.rating);
    bind_text(&b, 8, tx->body.review.text.bytes, tx->body.review.text.length);
    bind_int(&b, 9, tx_seq);
    return run(index, &b, "writing a review", why, why_size);
}

/* The order's new status and its hold's, as market.c gives them (a refund voids
 * the hold, a payment posts it). */
static bool step_statuses(const tally_tx *tx, uint8_t *order, int *hold) {
    *hold = -1;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_ORDER_ACCEPT: *order = TALLY_ORDER_ACCEPTED; return true;
    case TALLY_TX_ORDER_DECLINE: *order = TALLY_ORDER_DECLINED, *hold = TALLY_PENDING_VOIDED; return true;
    case TALLY_TX_ORDER_CANCEL: *order = TALLY_ORDER_CANCELLED, *hold = TALLY_PENDING_VOIDED; return true;
    case TALLY_TX_ORDER_CONFIRM: *order = TALLY_ORDER_COMPLETED, *hold = TALLY_PENDING_POSTED; return true;
    case TALLY_TX_ORDER_DISPUTE: *order = TALLY_ORDER_DISPUTED; return true;
    case TALLY_TX_ORDER_RESOLVE:
        *order = TALLY_ORDER_RESOLVED;
        *hold = tx->body.order_step.amount > 0 ? TALLY_PENDING_POSTED : TALLY_PENDING_VOIDED;
        return true;
    default: return false;
    }
}

index_error index_market_effects(tally_index *index, const tally_tx *tx, const tally_result *result,
                                 index_subject subject, int64_t tx_seq, int64_t block_time, char *why,
                                 size_t why_size) {
    assert(result->code == TALLY_OK);
    const index_order *order = subject.order;
    index_error error = INDEX_OK;
    uint32_t id = 0;
    int64_t amount = 0;
    const char *memo = NULL;
    size_t memo_length = 0;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_CATEGORY_SET: return category_set(index, &tx->body.category_set, why, why_size);
    case TALLY_TX_LISTING_CREATE: return listing_put(index, tx, result->created_id, block_time, why, why_size);
    case TALLY_TX_LISTING_UPDATE:
        return subject.listing ? listing_change(index, &tx->body.listing, block_time, why, why_size) : INDEX_OK;
    case TALLY_TX_LISTING_WITHDRAW:
        return subject.listing ? listing_status(index, subject.listing->id, TALLY_LISTING_WITHDRAWN, why, why_size)
                               : INDEX_OK;
    case TALLY_TX_ORDER_CREATE:
        if (!subject.listing || !index_market_figures(tx, result, subject, &id, &amount)) return INDEX_OK;
        error = order_put(index, tx, result, subject.listing, subject.order_hold_id, amount, why, why_size);
        index_market_memo(tx, &memo, &memo_length);
        if (error == INDEX_OK) error = order_step(index, id, tx_seq, tx->type, amount, memo, memo_length, why, why_size);
        return error;
    case TALLY_TX_REVIEW:
        if (!order) return INDEX_OK;
        error = review_put(index, tx, order, tx_seq, why, why_size);
        index_market_memo(tx, &memo, &memo_length);
        if (error == INDEX_OK)
            error = order_step(index, order->id, tx_seq, tx->type, tx->body.review.rating, memo, memo_length, why,
                               why_size);
        return error;
    default: break;
    }
    uint8_t status;
    int hold_status;
    if (!order || !step_statuses(tx, &status, &hold_status)) return INDEX_OK;
    error = order_status(index, order->id, status, why, why_size);
    if (error == INDEX_OK && hold_status >= 0)
        error = index_hold_set_status(index, order->hold_id, (tally_pending_status)hold_status, why, why_size);
    index_market_figures(tx, result, subject, &id, &amount);
    index_market_memo(tx, &memo, &memo_length);
    if (error == INDEX_OK) error = order_step(index, order->id, tx_seq, tx->type, amount, memo, memo_length, why, why_size);
    return error;
}

index_error index_market_event(tally_index *index, const tally_event *event, int64_t tx_seq, index_order *order,
                               index_subject *subject, char *why, size_t why_size) {
    bool names_record = event->time > 0 && event->time <= UINT32_MAX;
    if (!names_record) return INDEX_OK;
    if (event->kind == TALLY_EVENT_LISTING_EXPIRED)
        return listing_status(index, (uint32_t)event->time, TALLY_LISTING_EXPIRED, why, why_size);
    uint8_t status;
    int hold_status = -1;
    switch ((tally_event_kind)event->kind) {
    case TALLY_EVENT_ORDER_RELEASED: status = TALLY_ORDER_RELEASED, hold_status = TALLY_PENDING_RELEASED; break;
    case TALLY_EVENT_ORDER_EXPIRED: status = TALLY_ORDER_EXPIRED, hold_status = TALLY_PENDING_REFUNDED; break;
    case TALLY_EVENT_ORDER_HELD: status = TALLY_ORDER_DISPUTED; break;
    default: return INDEX_OK;
    }
    bool found = false;
    index_error error = order_read(index, (uint32_t)event->time, order, &found, why, why_size);
    if (error != INDEX_OK || !found) return error;
    subject->order = order;
    error = order_status(index, order->id, status, why, why_size);
    if (error == INDEX_OK && hold_status >= 0)
        error = index_hold_set_status(index, order->hold_id, (tally_pending_status)hold_status, why, why_size);
    if (error == INDEX_OK)
        error = order_step(index, order->id, tx_seq, (uint8_t)(INDEX_EVENT_TYPE_BASE + event->kind), event->amount, NULL,
                           0, why, why_size);
    return error;
}

index_error index_orders_void_of(tally_index *index, uint32_t network_id, const tally_key *buyer, char *why,
                                 size_t why_size) {
    binding b = bind_start(index, STATEMENT_ORDERS_VOID_OF);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, buyer);
    return run(index, &b, "voiding a defaulted member's orders", why, why_size);
}

/* ------------------------------------------------------------------------ */
/* Reading.                                                                  */
/* ------------------------------------------------------------------------ */

static index_error page_check(uint32_t limit, char *why, size_t why_size) {
    if (limit == 0 || limit > INDEX_MARKET_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: a page holds 1 to %u records, not %" PRIu32,
                    INDEX_MARKET_LIMIT_MAX, limit);
    return INDEX_OK;
}

/* A count(*) of a statement already bound. */
static index_error count_of(tally_index *index, binding *b, uint64_t *total, const char *what, char *why,
                            size_t why_size) {
    bool row;
    int64_t value = 0;
    index_error error = step_row(index, b, &row, "counting", why, why_size);
    if (error == INDEX_OK && (!row || !column_integer(b->statement, 0, 0, INT64_MAX, &value)))
        error = fail_damaged(what, why, why_size);
    sqlite3_reset(b->statement);
    *total = (uint64_t)value;
    return error;
}

index_error index_categories(tally_index *index, uint32_t network_id, index_category *categories, uint32_t *count,
                             char *why, size_t why_size) {
    assert(index && categories && count);
    *count = 0;
    binding b = bind_start(index, STATEMENT_CATEGORIES);
    bind_int(&b, 1, network_id);
    index_error error = INDEX_OK;
    for (uint32_t i = 0; i < TALLY_MARKET_CATEGORIES_MAX; i++) {
        bool row;
        error = step_row(index, &b, &row, "listing categories", why, why_size);
        if (error != INDEX_OK || !row) break;
        int64_t category;
        index_category *c = &categories[i];
        if (!column_integer(b.statement, 0, 1, TALLY_MARKET_CATEGORIES_MAX, &category) ||
            !column_text(b.statement, 1, c->name, TALLY_CATEGORY_NAME_MAX, &c->name_length)) {
            error = fail_damaged("the categories table", why, why_size);
            break;
        }
        c->category = (uint8_t)category;
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0;
    return error;
}

static bool read_listing_row(sqlite3_stmt *statement, index_listing *listing) {
    int64_t id, network_id, kind, category, quantity, status, revision, reviews;
    memset(listing, 0, sizeof *listing);
    if (!column_integer(statement, 0, 1, UINT32_MAX, &id) || !column_integer(statement, 1, 1, UINT32_MAX, &network_id) ||
        !column_fixed(statement, 2, listing->seller.bytes, TALLY_KEY_BYTES) ||
        !column_integer(statement, 3, 0, TALLY_LISTING_KIND_COUNT - 1, &kind) ||
        !column_integer(statement, 4, 0, TALLY_MARKET_CATEGORIES_MAX, &category) ||
        !column_integer(statement, 5, 0, INT64_MAX, &listing->price) ||
        !column_integer(statement, 6, 1, UINT32_MAX, &quantity) ||
        !column_text(statement, 7, listing->title, TALLY_LISTING_TITLE_MAX, &listing->title_length) ||
        !column_text(statement, 8, listing->text, TALLY_LISTING_TEXT_MAX, &listing->text_length) ||
        !column_text(statement, 10, listing->image_url, TALLY_IMAGE_URL_MAX, &listing->image_url_length) ||
        !column_integer(statement, 11, 0, TALLY_LISTING_STATUS_COUNT - 1, &status) ||
        !column_integer(statement, 12, INT64_MIN, INT64_MAX, &listing->expiry) ||
        !column_integer(statement, 13, INT64_MIN, INT64_MAX, &listing->created_at) ||
        !column_integer(statement, 14, INT64_MIN, INT64_MAX, &listing->updated_at) ||
        !column_integer(statement, 15, 0, UINT32_MAX, &revision) ||
        !column_integer(statement, 16, 0, UINT32_MAX, &reviews) ||
        !column_integer(statement, 17, 0, INT64_MAX, &listing->rating_sum))
        return false;
    listing->has_image = listing->image_url_length > 0;
    if (listing->has_image && !column_fixed(statement, 9, listing->image_hash, TALLY_HASH_BYTES)) return false;
    listing->id = (uint32_t)id;
    listing->network_id = (uint32_t)network_id;
    listing->kind = (uint8_t)kind;
    listing->category = (uint8_t)category;
    listing->quantity = (uint32_t)quantity;
    listing->status = (uint8_t)status;
    listing->revision = (uint32_t)revision;
    listing->review_count = (uint32_t)reviews;
    return true;
}

index_error index_listing_get(tally_index *index, uint32_t id, index_listing *listing, bool *found, char *why,
                              size_t why_size) {
    assert(index && listing && found);
    binding b = bind_start(index, STATEMENT_LISTING_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a listing", why, why_size);
    if (error == INDEX_OK && *found && !read_listing_row(b.statement, listing))
        error = fail_damaged("the listings table", why, why_size);
    if (error != INDEX_OK || !*found) memset(listing, 0, sizeof *listing);
    sqlite3_reset(b.statement);
    return error;
}

/* Binds a search's filters ?1..?8 (and ?2 the FTS5 query when there is one). */
static void bind_listing_filters(binding *b, uint32_t network_id, const index_listing_query *q, const char *match,
                                 size_t match_length) {
    bind_int(b, 1, network_id);
    if (match_length > 0) bind_text(b, 2, match, match_length);
    if (q->has_category) bind_int(b, 3, q->category);
    else bind_null(b, 3);
    if (q->has_kind) bind_int(b, 4, q->kind);
    else bind_null(b, 4);
    bind_key(b, 5, q->has_seller ? &q->seller : NULL);
    if (q->has_min_price) bind_int(b, 6, q->min_price);
    else bind_null(b, 6);
    if (q->has_max_price) bind_int(b, 7, q->max_price);
    else bind_null(b, 7);
    if (q->open_only) bind_int(b, 8, q->open_at);
    else bind_null(b, 8);
}

index_error index_listings_search(tally_index *index, uint32_t network_id, const index_listing_query *query,
                                  index_listing *listings, uint32_t *count, uint64_t *total, char *why,
                                  size_t why_size) {
    assert(index && query && listings && count && total);
    *count = 0;
    *total = 0;
    index_error error = page_check(query->limit, why, why_size);
    if (error != INDEX_OK) return error;
    if (query->text_length > INDEX_SEARCH_TEXT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: search text is at most %u bytes, not %zu",
                    INDEX_SEARCH_TEXT_MAX, query->text_length);
    char match[SEARCH_QUERY_BYTES];
    size_t match_length = query->text ? index_search_query(query->text, query->text_length, match, sizeof match) : 0;
    /* text without a word finds nothing, as index_search's */
    if (query->text && query->text_length > 0 && match_length == 0) return INDEX_OK;
    bool text = match_length > 0;
    binding b = bind_start(index, text ? STATEMENT_LISTINGS_COUNT_TEXT : STATEMENT_LISTINGS_COUNT);
    bind_listing_filters(&b, network_id, query, match, match_length);
    error = count_of(index, &b, total, "the listings table", why, why_size);
    if (error != INDEX_OK || *total == 0 || query->offset >= *total) return error;
    b = bind_start(index, text ? STATEMENT_LISTINGS_SEARCH_TEXT : STATEMENT_LISTINGS_SEARCH);
    bind_listing_filters(&b, network_id, query, match, match_length);
    bind_int(&b, 9, query->sort == INDEX_LISTINGS_CHEAPEST ? 1 : 0);
    bind_int(&b, 10, query->limit);
    bind_int(&b, 11, query->offset);
    for (uint32_t i = 0; i < query->limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "searching listings", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (!read_listing_row(b.statement, &listings[i])) {
            error = fail_damaged("the listings table", why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0, *total = 0;
    return error;
}

static bool read_step_row(sqlite3_stmt *statement, index_order_step *step) {
    int64_t type, height;
    memset(step, 0, sizeof *step);
    if (!column_integer(statement, 0, 1, UINT8_MAX, &type) || !column_integer(statement, 1, 0, INT64_MAX, &height) ||
        !column_integer(statement, 2, INT64_MIN, INT64_MAX, &step->time) ||
        !column_fixed(statement, 3, step->tx_id, TALLY_HASH_BYTES) ||
        !column_fixed(statement, 4, step->signer.bytes, TALLY_KEY_BYTES) ||
        !column_integer(statement, 5, INT64_MIN, INT64_MAX, &step->amount) ||
        !column_text(statement, 6, step->memo, TALLY_MEMO_MAX, &step->memo_length))
        return false;
    step->type = (uint8_t)type;
    step->height = (uint64_t)height;
    return true;
}

index_error index_order_get(tally_index *index, uint32_t id, index_order *order, index_order_step *steps,
                            uint32_t *step_count, bool *found, char *why, size_t why_size) {
    assert(index && order && found && (!steps || step_count));
    if (step_count) *step_count = 0;
    index_error error = order_read(index, id, order, found, why, why_size);
    if (error != INDEX_OK || !*found || !steps) return error;
    binding b = bind_start(index, STATEMENT_ORDER_STEPS);
    bind_int(&b, 1, id);
    bind_int(&b, 2, INDEX_ORDER_STEPS_MAX);
    for (uint32_t i = 0; i < INDEX_ORDER_STEPS_MAX; i++) {
        bool row;
        error = step_row(index, &b, &row, "reading an order's steps", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (!read_step_row(b.statement, &steps[i])) {
            error = fail_damaged("the order_steps table", why, why_size);
            break;
        }
        *step_count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *step_count = 0;
    return error;
}

static void bind_orders_filter(binding *b, uint32_t network_id, const tally_key *member, uint8_t role, bool open_only) {
    int roles = role == INDEX_ROLE_BUYER ? 1 : role == INDEX_ROLE_SELLER ? 2 : 3;
    bind_int(b, 1, network_id);
    bind_key(b, 2, member);
    bind_int(b, 3, roles);
    bind_int(b, 4, open_only ? 1 : 0);
}

index_error index_orders_of(tally_index *index, uint32_t network_id, const tally_key *member, uint8_t role,
                            bool open_only, uint32_t limit, uint32_t offset, index_order *orders, uint32_t *count,
                            uint64_t *total, char *why, size_t why_size) {
    assert(index && member && orders && count && total);
    *count = 0;
    *total = 0;
    index_error error = page_check(limit, why, why_size);
    if (error != INDEX_OK) return error;
    binding b = bind_start(index, STATEMENT_ORDERS_OF_COUNT);
    bind_orders_filter(&b, network_id, member, role, open_only);
    error = count_of(index, &b, total, "the orders table", why, why_size);
    if (error != INDEX_OK || offset >= *total) return error;
    b = bind_start(index, STATEMENT_ORDERS_OF);
    bind_orders_filter(&b, network_id, member, role, open_only);
    bind_int(&b, 5, limit);
    bind_int(&b, 6, offset);
    for (uint32_t i = 0; i < limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "listing orders", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (!read_order_row(b.statement, &orders[i])) {
            error = fail_damaged("the orders table", why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0, *total = 0;
    return error;
}

static bool read_review_row(sqlite3_stmt *statement, index_review *review) {
    int64_t order_id, listing_id, network_id, by_buyer, rating, height;
    memset(review, 0, sizeof *review);
    if (!column_integer(statement, 0, 1, UINT32_MAX, &order_id) ||
        !column_integer(statement, 1, 1, UINT32_MAX, &listing_id) ||
        !column_integer(statement, 2, 1, UINT32_MAX, &network_id) || !column_integer(statement, 3, 0, 1, &by_buyer) ||
        !column_fixed(statement, 4, review->reviewer.bytes, TALLY_KEY_BYTES) ||
        !column_fixed(statement, 5, review->reviewed.bytes, TALLY_KEY_BYTES) ||
        !column_integer(statement, 6, 1, 5, &rating) || !column_integer(statement, 7, 0, INT64_MAX, &height) ||
        !column_integer(statement, 8, INT64_MIN, INT64_MAX, &review->time) ||
        !column_fixed(statement, 9, review->tx_id, TALLY_HASH_BYTES) ||
        !column_text(statement, 10, review->text, TALLY_MEMO_MAX, &review->text_length))
        return false;
    review->order_id = (uint32_t)order_id;
    review->listing_id = (uint32_t)listing_id;
    review->network_id = (uint32_t)network_id;
    review->by_buyer = by_buyer == 1;
    review->rating = (uint8_t)rating;
    review->height = (uint64_t)height;
    return true;
}

/* A page of reviews: the count statement and the page statement bound alike
 * (?1 and, for a member's, ?2), then ?3 limit and ?4 offset. */
static index_error reviews_page(tally_index *index, statement_id count_statement, statement_id page_statement,
                                uint32_t first, const tally_key *member, uint32_t limit, uint32_t offset,
                                index_review *reviews, uint32_t *count, uint64_t *total, char *why, size_t why_size) {
    assert(index && reviews && count && total);
    *count = 0;
    *total = 0;
    index_error error = page_check(limit, why, why_size);
    if (error != INDEX_OK) return error;
    binding b = bind_start(index, count_statement);
    bind_int(&b, 1, first);
    if (member) bind_key(&b, 2, member);
    error = count_of(index, &b, total, "the reviews table", why, why_size);
    if (error != INDEX_OK || offset >= *total) return error;
    b = bind_start(index, page_statement);
    bind_int(&b, 1, first);
    if (member) bind_key(&b, 2, member);
    bind_int(&b, 3, limit);
    bind_int(&b, 4, offset);
    for (uint32_t i = 0; i < limit; i++) {
        bool row;
        error = step_row(index, &b, &row, "listing reviews", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (!read_review_row(b.statement, &reviews[i])) {
            error = fail_damaged("the reviews table", why, why_size);
            break;
        }
        *count = i + 1;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0, *total = 0;
    return error;
}

index_error index_reviews_of(tally_index *index, uint32_t network_id, const tally_key *member, uint32_t limit,
                             uint32_t offset, index_review *reviews, uint32_t *count, uint64_t *total, char *why,
                             size_t why_size) {
    assert(member);
    return reviews_page(index, STATEMENT_REVIEWS_OF_COUNT, STATEMENT_REVIEWS_OF, network_id, member, limit, offset,
                        reviews, count, total, why, why_size);
}

index_error index_listing_reviews(tally_index *index, uint32_t listing_id, uint32_t limit, uint32_t offset,
                                  index_review *reviews, uint32_t *count, uint64_t *total, char *why,
                                  size_t why_size) {
    return reviews_page(index, STATEMENT_LISTING_REVIEWS_COUNT, STATEMENT_LISTING_REVIEWS, listing_id, NULL, limit,
                        offset, reviews, count, total, why, why_size);
}
