/*
 * test_market_index.c: the marketplace in the node's index (index_market.c) against
 * a real chain, and its routes on a real node. A store produces blocks of signed
 * transactions and every block is indexed as the node does; the searches over 320
 * listings generated from their number are compared with a model of the same
 * numbers (full text, category, kind, seller, price range, newest and cheapest
 * order, pages and totals, open against all after withdrawals and expiries, an
 * update's new text); the histories of orders taken through each step hold the
 * exact amounts and fees and sum to the balances; and tallyd answers the API's
 * routes (docs/MARKETPLACE.md) with the same listings, orders and reviews.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "node/index.h"
#include "node/views_market.h"
#include "node_harness.h"
#include "test.h"

#define MARKET_ACTORS 16u
#define MARKET_NET 1u
#define MARKET_FEE_BPS 100u
#define MARKET_BLOCK_TXS_MAX 80u
#define MARKET_LISTINGS 320u
#define MARKET_SELLERS 8u
#define MARKET_BUYER 9u

typedef struct {
    char directory[TEMP_DIR_BYTES];
    char index_path[512];
    test_actor producer;
    test_actor actors[MARKET_ACTORS];
    uint64_t next_sequence[MARKET_ACTORS];
    tally_store *store;
    tally_index *index;
    int64_t time;
    tally_block block;
} market_env;

static void env_start(market_env *env) {
    memset(env, 0, sizeof *env);
    temp_dir_make(env->directory);
    path_join(env->index_path, sizeof env->index_path, env->directory, "index.sqlite");
    env->producer = actor(CHAIN_PRODUCER_ACTOR);
    for (uint32_t i = 0; i < MARKET_ACTORS; i++) env->actors[i] = actor(i);
    env->time = WORLD_START_TIME;
    tally_block_init(&env->block);
    tally_chain_failure failure;
    static const char name[] = "market-index-test";
    CHECK(tally_genesis_make(env->producer.secret, env->time, name, strlen(name), NULL, &env->block, &failure) ==
          TALLY_CHAIN_OK);
    CHECK(tally_store_create(env->directory, &env->block, NULL, &env->store, &failure) == TALLY_CHAIN_OK);
    char why[INDEX_WHY_BYTES];
    CHECK(index_open(env->index_path, &env->index, why, sizeof why) == INDEX_OK);
    if (env->index) CHECK(index_add_block(env->index, &env->block, why, sizeof why) == INDEX_OK);
}

static void env_free(market_env *env) {
    index_close(env->index);
    tally_store_close(env->store);
    tally_block_release(&env->block);
    temp_dir_remove(env->directory);
}

static tally_tx env_tx(market_env *env, uint32_t signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, tally_store_tip(env->store)->chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = env->actors[signer].key;
    tx.sequence = ++env->next_sequence[signer];
    return tx;
}

static tally_tx env_signed(market_env *env, tally_tx tx, uint32_t signer) {
    tally_tx_sign(&tx, env->actors[signer].secret);
    return tx;
}

/* Produces a block of the candidates (all must be accepted) a minute after the last
 * (or at env->time when it was moved on), and indexes it. */
static bool env_produce(market_env *env, const tally_tx *candidates, uint32_t count) {
    static tally_result results[MARKET_BLOCK_TXS_MAX];
    if (count > MARKET_BLOCK_TXS_MAX) return false;
    env->time += 60;
    tally_chain_failure failure;
    if (tally_store_produce(env->store, env->producer.secret, env->time, candidates, count, results, &env->block,
                            &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return false;
    }
    bool accepted = env->block.header.tx_count == count;
    for (uint32_t i = 0; i < count; i++) {
        if (results[i].code == TALLY_OK) continue;
        char what[160];
        snprintf(what, sizeof what, "candidate %u (%s) refused: %s", i, tally_tx_type_name(candidates[i].type),
                 tally_error_name(results[i].code));
        test_fail(__FILE__, __LINE__, what);
    }
    CHECK(accepted);
    char why[INDEX_WHY_BYTES];
    index_error error = index_add_block(env->index, &env->block, why, sizeof why);
    if (error != INDEX_OK) test_fail(__FILE__, __LINE__, why);
    return accepted && error == INDEX_OK;
}

static const tally_state *env_state(const market_env *env) { return tally_store_state(env->store); }

static int64_t env_balance(const market_env *env, const tally_key *key) {
    const tally_member *member = tally_state_member(env_state(env), MARKET_NET, key);
    return member ? member->balance : 0;
}

/* Block 1: OP founds the network (fee 1%), members 1..MARKET_BUYER join; block 2:
 * the buyer's line of 100,000, categories 1 food, 2 tools, 3 books. */
static bool env_network(market_env *env) {
    static tally_tx txs[MARKET_BLOCK_TXS_MAX];
    uint32_t n = 0;
    tally_tx create = env_tx(env, OP, TALLY_TX_NETWORK_CREATE);
    text_set(&create.body.network_create.name, "Greenvale");
    text_set(&create.body.network_create.unit_code, "GVH");
    create.body.network_create.decimals = 2;
    create.body.network_create.policy = policy_default();
    create.body.network_create.policy.fee_bps = MARKET_FEE_BPS;
    txs[n++] = env_signed(env, create, OP);
    for (uint32_t who = 1; who <= MARKET_BUYER; who++) {
        tally_tx join = env_tx(env, who, TALLY_TX_MEMBER_JOIN);
        join.body.network_only.network_id = MARKET_NET;
        txs[n++] = env_signed(env, join, who);
    }
    if (!env_produce(env, txs, n)) return false;
    n = 0;
    tally_tx line = env_tx(env, OP, TALLY_TX_LINE_OPEN);
    line.body.line_open.network_id = MARKET_NET;
    line.body.line_open.member = env->actors[MARKET_BUYER].key;
    line.body.line_open.limit = 100000;
    txs[n++] = env_signed(env, line, OP);
    static const char *const names[] = {"food", "tools", "books"};
    for (uint8_t c = 1; c <= 3; c++) {
        tally_tx category = env_tx(env, OP, TALLY_TX_CATEGORY_SET);
        category.body.category_set.network_id = MARKET_NET;
        category.body.category_set.category = c;
        text_set(&category.body.category_set.name, names[c - 1]);
        txs[n++] = env_signed(env, category, OP);
    }
    return env_produce(env, txs, n);
}

/* ---- the model of the 320 listings ---- */

static const char *const goods[] = {"Fresh eggs", "Apple cider", "Garden spade", "Wool socks",
                                    "Bicycle repair", "Sourdough bread", "Piano lessons"};
#define GOODS 7u

typedef struct {
    uint32_t id, seller;
    uint8_t kind, category, status;
    int64_t price, expiry;
    uint32_t quantity;
    char title[80], text[120];
} model_listing;

static model_listing model[MARKET_LISTINGS];

/* Listing i (id i + 1): seller 1..8 in turn, every fifth a want, categories 0..3 in
 * turn, every tenth an ask (price 0), others 100..1099; every fortieth from the
 * seventh expires five minutes after it is made. */
static void model_make(uint32_t i, int64_t now) {
    model_listing *m = &model[i];
    memset(m, 0, sizeof *m);
    m->id = i + 1;
    m->seller = 1 + i % MARKET_SELLERS;
    m->kind = i % 5 == 4 ? TALLY_LISTING_WANT : TALLY_LISTING_OFFER;
    m->category = (uint8_t)(i % 4);
    m->price = i % 10 == 9 ? 0 : 100 + (int64_t)((i * 37) % 1000);
    m->quantity = 1 + i % 3;
    m->expiry = i % 40 == 7 ? now + 300 : now + 30 * DAY;
    snprintf(m->title, sizeof m->title, "%s no. %u", goods[i % GOODS], i);
    snprintf(m->text, sizeof m->text, "%s, from the %s valley", i % 3 == 0 ? "organic" : "local",
             i % 2 == 0 ? "green" : "river");
}

static tally_tx listing_tx(market_env *env, const model_listing *m) {
    tally_tx tx = env_tx(env, m->seller, TALLY_TX_LISTING_CREATE);
    tally_tx_listing *body = &tx.body.listing;
    body->network_id = MARKET_NET;
    body->kind = m->kind;
    body->category = m->category;
    body->price = m->price;
    body->quantity = m->quantity;
    body->expiry = m->expiry;
    text_set(&body->title, m->title);
    text_set(&body->text, m->text);
    if (m->id % 16 == 0) {
        memset(body->image_hash, (int)(m->id % 251 + 1), TALLY_HASH_BYTES); /* never all zero */
        text_set(&body->image_url, "https://example.org/photo.jpg");
    }
    return env_signed(env, tx, m->seller);
}

typedef bool model_filter(const model_listing *m, const void *context);

/* The ids a search should give: those passing filter (and open at `now` when
 * open_only), newest first or cheapest first (ask last, then newest). */
static uint32_t model_search(model_filter *filter, const void *context, bool open_only, int64_t now, bool cheapest,
                             uint32_t *ids) {
    uint32_t count = 0;
    for (uint32_t i = MARKET_LISTINGS; i-- > 0;) {
        const model_listing *m = &model[i];
        if (open_only && (m->status != TALLY_LISTING_OPEN || m->expiry <= now)) continue;
        if (filter(m, context)) ids[count++] = m->id;
    }
    if (!cheapest) return count;
    /* insertion sort, stable: ties keep the newest first */
    for (uint32_t i = 1; i < count; i++) {
        uint32_t id = ids[i];
        int64_t price = model[id - 1].price;
        uint32_t j = i;
        while (j > 0) {
            int64_t before = model[ids[j - 1] - 1].price;
            bool after = (before == 0 && price != 0) || (before != 0 && price != 0 && before > price);
            if (!after) break;
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = id;
    }
    return count;
}

/* Every page of a search (`page` a page), compared id by id with the model. */
static void check_search(market_env *env, index_listing_query query, model_filter *filter, const void *context,
                         uint32_t page, const char *what) {
    static uint32_t want[MARKET_LISTINGS];
    static index_listing got[INDEX_MARKET_LIMIT_MAX];
    uint32_t expected = model_search(filter, context, query.open_only, query.open_at,
                                     query.sort == INDEX_LISTINGS_CHEAPEST, want);
    query.limit = page;
    uint32_t seen = 0;
    char why[INDEX_WHY_BYTES];
    for (uint32_t pages = 0; pages < 400; pages++) {
        query.offset = seen;
        uint32_t count = 0;
        uint64_t total = 0;
        if (index_listings_search(env->index, MARKET_NET, &query, got, &count, &total, why, sizeof why) != INDEX_OK) {
            test_fail(__FILE__, __LINE__, why);
            return;
        }
        if (total != expected) {
            char text[200];
            snprintf(text, sizeof text, "%s: total %llu, want %u", what, (unsigned long long)total, expected);
            test_fail(__FILE__, __LINE__, text);
            return;
        }
        for (uint32_t i = 0; i < count; i++) {
            if (seen + i < expected && got[i].id == want[seen + i]) continue;
            char text[200];
            snprintf(text, sizeof text, "%s: result %u is listing %u, want %u", what, seen + i, got[i].id,
                     seen + i < expected ? want[seen + i] : 0);
            test_fail(__FILE__, __LINE__, text);
            return;
        }
        seen += count;
        if (count < page) break;
    }
    CHECK_EQ(seen, expected);
}

static bool any(const model_listing *m, const void *context) {
    (void)m, (void)context;
    return true;
}
static bool title_has(const model_listing *m, const void *context) { return strstr(m->title, context) != NULL; }
static bool eggs_organic(const model_listing *m, const void *context) {
    (void)context;
    return strstr(m->title, "eggs") && strstr(m->text, "organic");
}
static bool in_category(const model_listing *m, const void *context) { return m->category == *(const uint8_t *)context; }
static bool of_kind(const model_listing *m, const void *context) { return m->kind == *(const uint8_t *)context; }
static bool of_seller(const model_listing *m, const void *context) { return m->seller == *(const uint32_t *)context; }
static bool priced_between(const model_listing *m, const void *context) {
    const int64_t *range = context;
    return m->price > 0 && m->price >= range[0] && m->price <= range[1];
}
static bool tools_offers_under(const model_listing *m, const void *context) {
    return m->category == 2 && m->kind == TALLY_LISTING_OFFER && m->price > 0 && m->price <= *(const int64_t *)context;
}

static index_listing_query query_open(const market_env *env) {
    index_listing_query q;
    memset(&q, 0, sizeof q);
    q.open_only = true;
    q.open_at = env->time;
    return q;
}

static void text_query(index_listing_query *q, const char *text) {
    q->text = text;
    q->text_length = strlen(text);
}

/* Makes the 320 listings in blocks of 64. */
static bool env_listings(market_env *env) {
    static tally_tx txs[MARKET_BLOCK_TXS_MAX];
    for (uint32_t first = 0; first < MARKET_LISTINGS; first += 64) {
        uint32_t n = 0;
        for (uint32_t i = first; i < first + 64 && i < MARKET_LISTINGS; i++) {
            model_make(i, env->time + 60);
            txs[n++] = listing_tx(env, &model[i]);
        }
        if (!env_produce(env, txs, n)) return false;
    }
    return true;
}

TEST(market_index_searches_320_listings_as_the_model_says) {
    static market_env env;
    env_start(&env);
    REQUIRE(env.store && env.index);
    REQUIRE(env_network(&env));
    REQUIRE(env_listings(&env));
    CHECK_EQ(tally_state_listing_count(env_state(&env)), MARKET_LISTINGS);
    char why[INDEX_WHY_BYTES];

    index_category categories[TALLY_MARKET_CATEGORIES_MAX];
    uint32_t category_count = 0;
    CHECK(index_categories(env.index, MARKET_NET, categories, &category_count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(category_count, 3);
    CHECK(category_count == 3 && categories[1].category == 2 && strcmp(categories[1].name, "tools") == 0);

    /* everything, newest first and cheapest first, in pages of 7, 25 and 100 */
    index_listing_query q = query_open(&env);
    check_search(&env, q, any, NULL, 25, "all, newest");
    check_search(&env, q, any, NULL, 100, "all, newest, pages of 100");
    q.sort = INDEX_LISTINGS_CHEAPEST;
    check_search(&env, q, any, NULL, 7, "all, cheapest");
    /* full text: a word, a prefix, two words (each a prefix, both needed), accents and case ignored */
    q = query_open(&env);
    text_query(&q, "eggs");
    check_search(&env, q, title_has, "eggs", 10, "q=eggs");
    text_query(&q, "Sourd");
    check_search(&env, q, title_has, "Sourdough", 10, "q=Sourd (a prefix)");
    text_query(&q, "organic EGGS");
    check_search(&env, q, eggs_organic, NULL, 10, "q=organic EGGS");
    text_query(&q, "\"eggs\" OR NEAR(*");
    index_listing page[INDEX_MARKET_LIMIT_MAX];
    uint32_t count = 0;
    uint64_t total = 0;
    q.limit = 10;
    CHECK(index_listings_search(env.index, MARKET_NET, &q, page, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK_EQ(total, 0); /* FTS5 syntax is only ever text: no listing says OR NEAR */
    text_query(&q, " !! -- ");
    CHECK(index_listings_search(env.index, MARKET_NET, &q, page, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK_EQ(total, 0); /* text without a word finds nothing */
    CHECK_EQ(count, 0);
    /* category, kind, seller, price range, and all of them together */
    uint8_t category = 2;
    q = query_open(&env);
    q.has_category = true, q.category = category;
    check_search(&env, q, in_category, &category, 20, "category=2");
    category = 0;
    q.category = 0;
    check_search(&env, q, in_category, &category, 20, "category=0 (none)");
    uint8_t kind = TALLY_LISTING_WANT;
    q = query_open(&env);
    q.has_kind = true, q.kind = kind;
    check_search(&env, q, of_kind, &kind, 20, "kind=want");
    uint32_t seller = 3;
    q = query_open(&env);
    q.has_seller = true, q.seller = env.actors[seller].key;
    check_search(&env, q, of_seller, &seller, 20, "seller=3");
    int64_t range[2] = {300, 600};
    q = query_open(&env);
    q.has_min_price = q.has_max_price = true, q.min_price = range[0], q.max_price = range[1];
    check_search(&env, q, priced_between, range, 20, "300 <= price <= 600");
    q.sort = INDEX_LISTINGS_CHEAPEST;
    check_search(&env, q, priced_between, range, 20, "300 <= price <= 600, cheapest");
    int64_t most = 700;
    q = query_open(&env);
    q.has_category = true, q.category = 2, q.has_kind = true, q.kind = TALLY_LISTING_OFFER;
    q.has_max_price = true, q.max_price = most, q.sort = INDEX_LISTINGS_CHEAPEST;
    check_search(&env, q, tools_offers_under, &most, 5, "tools offers up to 700, cheapest");
    /* a page past the end is empty, with the total */
    q = query_open(&env);
    q.limit = 10, q.offset = MARKET_LISTINGS;
    CHECK(index_listings_search(env.index, MARKET_NET, &q, page, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    CHECK_EQ(total, MARKET_LISTINGS);
    q.limit = INDEX_MARKET_LIMIT_MAX + 1;
    CHECK(index_listings_search(env.index, MARKET_NET, &q, page, &count, &total, why, sizeof why) ==
          INDEX_ERR_BAD_ARGUMENT);

    /* sellers withdraw listings 2 and 3, seller 3 (listing 11's) updates it to new
     * texts and a price; then the time passes the short expiries */
    tally_tx txs[4];
    tally_tx withdraw = env_tx(&env, 2, TALLY_TX_LISTING_WITHDRAW);
    withdraw.body.listing.listing_id = 2;
    txs[0] = env_signed(&env, withdraw, 2);
    withdraw = env_tx(&env, 3, TALLY_TX_LISTING_WITHDRAW);
    withdraw.body.listing.listing_id = 3;
    txs[1] = env_signed(&env, withdraw, 3);
    model_listing *updated = &model[10];
    REQUIRE(updated->seller == 3);
    tally_tx update = env_tx(&env, 3, TALLY_TX_LISTING_UPDATE);
    update.body.listing.listing_id = 11;
    update.body.listing.category = 3;
    update.body.listing.price = 5000;
    update.body.listing.quantity = 9;
    update.body.listing.expiry = updated->expiry;
    text_set(&update.body.listing.title, "Rare stamps");
    text_set(&update.body.listing.text, "a whole album");
    txs[2] = env_signed(&env, update, 3);
    REQUIRE(env_produce(&env, txs, 3));
    model[1].status = model[2].status = TALLY_LISTING_WITHDRAWN;
    snprintf(updated->title, sizeof updated->title, "Rare stamps");
    snprintf(updated->text, sizeof updated->text, "a whole album");
    updated->category = 3, updated->price = 5000, updated->quantity = 9;
    env.time += 600;
    REQUIRE(env_produce(&env, NULL, 0));
    uint32_t expired = 0;
    for (uint32_t id = 1; id <= MARKET_LISTINGS; id++)
        expired += tally_state_listing(env_state(&env), id)->status == TALLY_LISTING_EXPIRED;
    CHECK_EQ(expired, MARKET_LISTINGS / 40);
    for (uint32_t i = 0; i < MARKET_LISTINGS; i++)
        if (model[i].expiry < env.time) model[i].status = TALLY_LISTING_EXPIRED;

    q = query_open(&env);
    check_search(&env, q, any, NULL, 30, "open after withdrawals and expiries");
    q.open_only = false;
    check_search(&env, q, any, NULL, 30, "all after withdrawals and expiries");
    q.sort = INDEX_LISTINGS_CHEAPEST;
    check_search(&env, q, any, NULL, 30, "all, cheapest, after the update");
    q = query_open(&env);
    text_query(&q, "stamps album");
    check_search(&env, q, title_has, "stamps", 10, "the update's new text");
    text_query(&q, "socks");
    check_search(&env, q, title_has, "socks", 10, "the update's old text is gone");
    bool found = false;
    index_listing listing;
    CHECK(index_listing_get(env.index, 11, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && listing.revision == 1 && listing.price == 5000 && listing.category == 3 && listing.quantity == 9);
    CHECK(strcmp(listing.title, "Rare stamps") == 0 && strcmp(listing.text, "a whole album") == 0);
    CHECK(index_listing_get(env.index, 2, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && listing.status == TALLY_LISTING_WITHDRAWN);
    CHECK(index_listing_get(env.index, 8, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && listing.status == TALLY_LISTING_EXPIRED);
    CHECK(index_listing_get(env.index, 16, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && listing.has_image && listing.image_hash[0] == 17 &&
          strcmp(listing.image_url, "https://example.org/photo.jpg") == 0);
    CHECK(index_listing_get(env.index, MARKET_LISTINGS + 1, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);
    /* the seller's history has its listings and their expiries (every short one is
     * seller 8's), a seller's its withdrawal */
    index_history_entry entries[64];
    uint64_t next = 0;
    CHECK(index_history(env.index, MARKET_NET, &env.actors[8].key, 0, 64, entries, &count, &next, why, sizeof why) ==
          INDEX_OK);
    uint32_t expiries = 0, created = 0;
    for (uint32_t i = 0; i < count; i++) {
        expiries += entries[i].type == INDEX_EVENT_TYPE_BASE + TALLY_EVENT_LISTING_EXPIRED;
        created += entries[i].type == TALLY_TX_LISTING_CREATE && entries[i].market_id % 8 == 0;
    }
    CHECK_EQ(expiries, MARKET_LISTINGS / 40);
    CHECK_EQ(created, MARKET_LISTINGS / 8);
    CHECK(entries[0].type == INDEX_EVENT_TYPE_BASE + TALLY_EVENT_LISTING_EXPIRED);
    CHECK(index_history(env.index, MARKET_NET, &env.actors[2].key, 0, 8, entries, &count, &next, why, sizeof why) ==
          INDEX_OK);
    CHECK(count >= 1 && entries[0].type == TALLY_TX_LISTING_WITHDRAW && entries[0].market_id == 2);

    /* a rebuild from the log answers the same */
    CHECK(index_rebuild(env.index, tally_store_log(env.store), NULL, NULL, NULL, why, sizeof why) == INDEX_OK);
    q = query_open(&env);
    check_search(&env, q, any, NULL, 50, "open, after a rebuild");
    text_query(&q, "stamps");
    check_search(&env, q, title_has, "stamps", 10, "the update's text, after a rebuild");
    env_free(&env);
}

/* ---- orders through each step ---- */

#define SELLER 1u
#define BUYER MARKET_BUYER
#define PRICE 1250
#define ORDERED 2
#define HELD (PRICE * ORDERED)
#define HELD_FEE (HELD / 100)

static tally_tx order_create(market_env *env, uint32_t listing_id, int64_t timeout) {
    tally_tx tx = env_tx(env, BUYER, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = listing_id, .quantity = ORDERED, .unit_price = PRICE,
                                                   .max_fee = 1000, .timeout = timeout};
    text_set(&tx.body.order_create.memo, "two dozen, please");
    return env_signed(env, tx, BUYER);
}

static tally_tx order_step(market_env *env, uint32_t signer, tally_tx_type type, uint32_t order_id, int64_t amount,
                           const char *memo) {
    tally_tx tx = env_tx(env, signer, type);
    tx.body.order_step.order_id = order_id;
    tx.body.order_step.amount = amount;
    if (memo) text_set(&tx.body.order_step.memo, memo);
    return env_signed(env, tx, signer);
}

static tally_tx review(market_env *env, uint32_t signer, uint32_t order_id, uint8_t rating, const char *text) {
    tally_tx tx = env_tx(env, signer, TALLY_TX_REVIEW);
    tx.body.review.order_id = order_id;
    tx.body.review.rating = rating;
    text_set(&tx.body.review.text, text);
    return env_signed(env, tx, signer);
}

/* The whole history of key, newest first. */
static uint32_t history_of(market_env *env, const tally_key *key, index_history_entry *entries, uint32_t capacity) {
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    if (index_history(env->index, MARKET_NET, key, 0, capacity, entries, &count, &next, why, sizeof why) != INDEX_OK)
        test_fail(__FILE__, __LINE__, why);
    CHECK_EQ(next, 0);
    return count;
}

static int64_t history_sum(const index_history_entry *entries, uint32_t count) {
    int64_t sum = 0;
    for (uint32_t i = 0; i < count; i++) sum += entries[i].amount - entries[i].fee;
    return sum;
}

/* The entry of `type` about order_id (market_id, or an event's order), or NULL. */
static const index_history_entry *entry_of(const index_history_entry *entries, uint32_t count, uint8_t type,
                                           uint32_t order_id) {
    for (uint32_t i = 0; i < count; i++) {
        const index_history_entry *e = &entries[i];
        uint32_t about = index_type_is_event(e->type) ? (uint32_t)e->event_time : e->market_id;
        if (e->type == type && about == order_id) return e;
    }
    return NULL;
}

static void check_entry(const index_history_entry *e, int64_t amount, int64_t fee, const tally_key *counterparty,
                        const char *memo, const char *what) {
    if (!e) {
        test_fail(__FILE__, __LINE__, what);
        return;
    }
    char text[700];
    bool right = e->amount == amount && e->fee == fee &&
                 (!counterparty || (e->has_counterparty && memcmp(e->counterparty.bytes, counterparty->bytes,
                                                                  TALLY_KEY_BYTES) == 0)) &&
                 (!memo || strcmp(e->memo, memo) == 0);
    snprintf(text, sizeof text, "%s: amount %lld fee %lld memo '%s' (want %lld, %lld, '%s')", what,
             (long long)e->amount, (long long)e->fee, e->memo, (long long)amount, (long long)fee, memo ? memo : "");
    if (!right) test_fail(__FILE__, __LINE__, text);
}

/*
 * One offer at 12.50 (fee 1%), six orders of 2 units (25.00 + 0.25 held each):
 *   1 accepted and confirmed, then reviewed by both sides (5 and 4 stars)
 *   2 declined ("out of stock")   3 accepted, disputed, resolved 60/40 (15.00 + 0.15)
 *   4 cancelled   5 accepted and released at its timeout   6 expired unaccepted
 */
TEST(market_index_order_steps_in_both_histories_with_exact_amounts) {
    static market_env env;
    env_start(&env);
    REQUIRE(env.store && env.index);
    REQUIRE(env_network(&env));
    tally_tx txs[8];
    tally_tx offer = env_tx(&env, SELLER, TALLY_TX_LISTING_CREATE);
    offer.body.listing = (tally_tx_listing){.network_id = MARKET_NET, .kind = TALLY_LISTING_OFFER, .category = 1,
                                            .price = PRICE, .quantity = 20, .expiry = env.time + 30 * DAY};
    text_set(&offer.body.listing.title, "Fresh eggs");
    text_set(&offer.body.listing.text, "a dozen a box");
    txs[0] = env_signed(&env, offer, SELLER);
    REQUIRE(env_produce(&env, txs, 1));
    int64_t soon = env.time + 60 + 600, later = env.time + 10 * DAY;
    for (uint32_t i = 0; i < 6; i++) txs[i] = order_create(&env, 1, i >= 4 ? soon : later);
    REQUIRE(env_produce(&env, txs, 6));
    char why[INDEX_WHY_BYTES];
    const tally_key *buyer = &env.actors[BUYER].key, *seller = &env.actors[SELLER].key;
    index_order orders[8];
    uint32_t count = 0;
    uint64_t total = 0;
    CHECK(index_orders_of(env.index, MARKET_NET, seller, INDEX_ROLE_SELLER, true, 8, 0, orders, &count, &total, why,
                          sizeof why) == INDEX_OK);
    CHECK_EQ(total, 6);
    CHECK(count == 6 && orders[0].id == 6 && orders[5].id == 1);
    CHECK(count == 6 && orders[5].hold_id == tally_state_order(env_state(&env), 1)->pending_id);
    CHECK(count == 6 && orders[5].amount == HELD && orders[5].fee == HELD_FEE);
    CHECK(index_orders_of(env.index, MARKET_NET, seller, INDEX_ROLE_BUYER, false, 8, 0, orders, &count, &total, why,
                          sizeof why) == INDEX_OK);
    CHECK_EQ(total, 0);

    txs[0] = order_step(&env, SELLER, TALLY_TX_ORDER_ACCEPT, 1, 0, NULL);
    txs[1] = order_step(&env, SELLER, TALLY_TX_ORDER_DECLINE, 2, 0, "out of stock");
    txs[2] = order_step(&env, SELLER, TALLY_TX_ORDER_ACCEPT, 3, 0, NULL);
    txs[3] = order_step(&env, BUYER, TALLY_TX_ORDER_CANCEL, 4, 0, NULL);
    txs[4] = order_step(&env, SELLER, TALLY_TX_ORDER_ACCEPT, 5, 0, NULL);
    REQUIRE(env_produce(&env, txs, 5));
    txs[0] = order_step(&env, BUYER, TALLY_TX_ORDER_CONFIRM, 1, 0, NULL);
    txs[1] = order_step(&env, BUYER, TALLY_TX_ORDER_DISPUTE, 3, 0, "one box was broken");
    REQUIRE(env_produce(&env, txs, 2));
    txs[0] = order_step(&env, OP, TALLY_TX_ORDER_RESOLVE, 3, 1500, "split 60/40");
    txs[1] = review(&env, BUYER, 1, 5, "great eggs");
    txs[2] = review(&env, SELLER, 1, 4, "paid fast");
    REQUIRE(env_produce(&env, txs, 3));
    env.time = soon + 60;
    REQUIRE(env_produce(&env, NULL, 0));
    const tally_state *state = env_state(&env);
    static const uint8_t statuses[] = {TALLY_ORDER_COMPLETED, TALLY_ORDER_DECLINED,  TALLY_ORDER_RESOLVED,
                                       TALLY_ORDER_CANCELLED, TALLY_ORDER_RELEASED, TALLY_ORDER_EXPIRED};
    for (uint32_t id = 1; id <= 6; id++) {
        const tally_order *record = tally_state_order(state, id);
        REQUIRE(record);
        CHECK_EQ(record->status, statuses[id - 1]);
        index_order order;
        bool found = false;
        CHECK(index_order_get(env.index, id, &order, NULL, NULL, &found, why, sizeof why) == INDEX_OK);
        CHECK(found && order.status == record->status && order.hold_id == record->pending_id);
        CHECK(found && strcmp(order.memo, "two dozen, please") == 0);
        /* the index's holds say what the state's do */
        const tally_pending *hold = tally_state_pending(state, record->pending_id);
        uint32_t ids[8], listed = 0, next = 0;
        CHECK(index_holds_of(env.index, MARKET_NET, buyer, 1u << hold->status, 0, 8, ids, &listed, &next, why,
                             sizeof why) == INDEX_OK);
        bool listed_there = false;
        for (uint32_t i = 0; i < listed; i++) listed_there = listed_there || ids[i] == record->pending_id;
        CHECK(listed_there);
    }
    CHECK(index_orders_of(env.index, MARKET_NET, buyer, INDEX_ROLE_BUYER, true, 8, 0, orders, &count, &total, why,
                          sizeof why) == INDEX_OK);
    CHECK_EQ(total, 0);
    CHECK(index_orders_of(env.index, MARKET_NET, buyer, INDEX_ROLE_ANY, false, 4, 4, orders, &count, &total, why,
                          sizeof why) == INDEX_OK);
    CHECK(total == 6 && count == 2 && orders[0].id == 2 && orders[1].id == 1);

    /* the balances: three payments to the seller, each with its fee */
    int64_t paid = HELD + 1500 + HELD, fees = HELD_FEE + 15 + HELD_FEE;
    CHECK_EQ(env_balance(&env, buyer), -(paid + fees));
    CHECK_EQ(env_balance(&env, seller), paid);
    tally_key fee_account = tally_system_key(MARKET_NET, TALLY_SYSTEM_FEES);
    CHECK_EQ(env_balance(&env, &fee_account), fees);

    static index_history_entry b[64], s[64], f[64];
    uint32_t nb = history_of(&env, buyer, b, 64), ns = history_of(&env, seller, s, 64);
    uint32_t nf = history_of(&env, &fee_account, f, 64);
    CHECK_EQ(history_sum(b, nb), env_balance(&env, buyer));
    CHECK_EQ(history_sum(s, ns), env_balance(&env, seller));
    CHECK_EQ(history_sum(f, nf), fees);
    for (uint32_t id = 1; id <= 6; id++) {
        const index_history_entry *created = entry_of(b, nb, TALLY_TX_ORDER_CREATE, id);
        check_entry(created, 0, 0, seller, "two dozen, please", "the buyer's ORDER_CREATE");
        CHECK(created && created->market_amount == HELD);
        check_entry(entry_of(s, ns, TALLY_TX_ORDER_CREATE, id), 0, 0, buyer, "two dozen, please",
                    "the seller's ORDER_CREATE");
    }
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_ACCEPT, 1), 0, 0, seller, NULL, "the buyer's ORDER_ACCEPT");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_ACCEPT, 1), 0, 0, buyer, NULL, "the seller's ORDER_ACCEPT");
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_CONFIRM, 1), -HELD, HELD_FEE, seller, NULL, "the buyer's confirm");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_CONFIRM, 1), HELD, 0, buyer, NULL, "the seller's confirm");
    check_entry(entry_of(f, nf, TALLY_TX_ORDER_CONFIRM, 1), HELD_FEE, 0, buyer, NULL, "the fee of the confirm");
    CHECK(entry_of(b, nb, TALLY_TX_ORDER_CONFIRM, 1) && entry_of(b, nb, TALLY_TX_ORDER_CONFIRM, 1)->market_amount == HELD);
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_DECLINE, 2), 0, 0, seller, "out of stock", "the buyer's decline");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_DECLINE, 2), 0, 0, buyer, "out of stock", "the seller's decline");
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_DISPUTE, 3), 0, 0, seller, "one box was broken", "the dispute");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_DISPUTE, 3), 0, 0, buyer, "one box was broken", "the dispute (seller)");
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_RESOLVE, 3), -1500, 15, seller, "split 60/40", "the buyer's split");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_RESOLVE, 3), 1500, 0, buyer, "split 60/40", "the seller's split");
    check_entry(entry_of(f, nf, TALLY_TX_ORDER_RESOLVE, 3), 15, 0, buyer, NULL, "the fee of the split");
    check_entry(entry_of(b, nb, TALLY_TX_ORDER_CANCEL, 4), 0, 0, seller, NULL, "the buyer's cancel");
    check_entry(entry_of(s, ns, TALLY_TX_ORDER_CANCEL, 4), 0, 0, buyer, NULL, "the seller's cancel");
    uint8_t released = INDEX_EVENT_TYPE_BASE + TALLY_EVENT_ORDER_RELEASED;
    uint8_t expired = INDEX_EVENT_TYPE_BASE + TALLY_EVENT_ORDER_EXPIRED;
    check_entry(entry_of(b, nb, released, 5), -HELD, HELD_FEE, seller, NULL, "the buyer's release");
    check_entry(entry_of(s, ns, released, 5), HELD, 0, buyer, NULL, "the seller's release");
    check_entry(entry_of(f, nf, released, 5), HELD_FEE, 0, buyer, NULL, "the fee of the release");
    check_entry(entry_of(b, nb, expired, 6), 0, 0, seller, NULL, "the buyer's expiry");
    check_entry(entry_of(s, ns, expired, 6), 0, 0, buyer, NULL, "the seller's expiry");
    /* each review in both histories, with its text */
    uint32_t reviews_b = 0, reviews_s = 0;
    for (uint32_t i = 0; i < nb; i++) reviews_b += b[i].type == TALLY_TX_REVIEW;
    for (uint32_t i = 0; i < ns; i++) reviews_s += s[i].type == TALLY_TX_REVIEW;
    CHECK_EQ(reviews_b, 2);
    CHECK_EQ(reviews_s, 2);
    CHECK(b[0].type == released || b[0].type == expired);

    /* the steps of orders 1, 3 and 5 */
    index_order order;
    index_order_step steps[INDEX_ORDER_STEPS_MAX];
    uint32_t step_count = 0;
    bool found = false;
    CHECK(index_order_get(env.index, 1, &order, steps, &step_count, &found, why, sizeof why) == INDEX_OK);
    CHECK_EQ(step_count, 5);
    static const uint8_t first_steps[] = {TALLY_TX_ORDER_CREATE, TALLY_TX_ORDER_ACCEPT, TALLY_TX_ORDER_CONFIRM,
                                          TALLY_TX_REVIEW, TALLY_TX_REVIEW};
    for (uint32_t i = 0; i < step_count && i < 5; i++) CHECK_EQ(steps[i].type, first_steps[i]);
    CHECK(step_count == 5 && steps[3].amount == 5 && strcmp(steps[3].memo, "great eggs") == 0);
    CHECK(step_count == 5 && memcmp(steps[4].signer.bytes, seller->bytes, TALLY_KEY_BYTES) == 0);
    CHECK(index_order_get(env.index, 3, &order, steps, &step_count, &found, why, sizeof why) == INDEX_OK);
    CHECK(step_count == 4 && steps[3].type == TALLY_TX_ORDER_RESOLVE && steps[3].amount == 1500);
    CHECK(step_count == 4 && strcmp(steps[3].memo, "split 60/40") == 0);
    CHECK(index_order_get(env.index, 5, &order, steps, &step_count, &found, why, sizeof why) == INDEX_OK);
    CHECK(step_count == 3 && steps[2].type == released && steps[2].amount == HELD);

    /* the reviews, each of the member it is about, and the listing's rating */
    index_review reviews[4];
    CHECK(index_reviews_of(env.index, MARKET_NET, seller, 4, 0, reviews, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK(total == 1 && count == 1 && reviews[0].rating == 5 && reviews[0].by_buyer);
    CHECK(count == 1 && strcmp(reviews[0].text, "great eggs") == 0 && reviews[0].listing_id == 1);
    CHECK(index_reviews_of(env.index, MARKET_NET, buyer, 4, 0, reviews, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK(total == 1 && count == 1 && reviews[0].rating == 4 && !reviews[0].by_buyer);
    CHECK(index_listing_reviews(env.index, 1, 4, 0, reviews, &count, &total, why, sizeof why) == INDEX_OK);
    CHECK(total == 1 && count == 1 && reviews[0].rating == 5);
    index_listing listing;
    CHECK(index_listing_get(env.index, 1, &listing, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && listing.review_count == 1 && listing.rating_sum == 5);

    /* the buyer's default voids its open order 7 (and its hold) in the index as in
     * the state; the histories still sum to the balances */
    const tally_member *line = tally_state_member(env_state(&env), MARKET_NET, buyer);
    REQUIRE(line);
    int64_t grace_end = line->period_end + line->grace_seconds;
    txs[0] = order_create(&env, 1, grace_end + DAY);
    REQUIRE(env_produce(&env, txs, 1));
    CHECK(index_order_get(env.index, 7, &order, NULL, NULL, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && order.status == TALLY_ORDER_PLACED);
    env.time = grace_end - 60;
    REQUIRE(env_produce(&env, NULL, 0));
    const tally_order *voided = tally_state_order(env_state(&env), 7);
    REQUIRE(voided);
    CHECK_EQ(voided->status, TALLY_ORDER_VOIDED);
    CHECK(index_order_get(env.index, 7, &order, NULL, NULL, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && order.status == TALLY_ORDER_VOIDED);
    uint32_t hold_ids[8], hold_count = 0, hold_next = 0;
    CHECK(index_holds_of(env.index, MARKET_NET, buyer, 1u << TALLY_PENDING_VOIDED, 0, 8, hold_ids, &hold_count,
                         &hold_next, why, sizeof why) == INDEX_OK);
    CHECK(hold_count >= 1 && hold_ids[0] == voided->pending_id);
    CHECK(index_orders_of(env.index, MARKET_NET, seller, INDEX_ROLE_SELLER, true, 8, 0, orders, &count, &total, why,
                          sizeof why) == INDEX_OK);
    CHECK_EQ(total, 0);
    nb = history_of(&env, buyer, b, 64);
    CHECK_EQ(history_sum(b, nb), env_balance(&env, buyer));
    ns = history_of(&env, seller, s, 64);
    CHECK_EQ(history_sum(s, ns), env_balance(&env, seller));

    /* rebuilt from the log, the index says the same */
    CHECK(index_rebuild(env.index, tally_store_log(env.store), NULL, NULL, NULL, why, sizeof why) == INDEX_OK);
    CHECK(index_order_get(env.index, 7, &order, NULL, NULL, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && order.status == TALLY_ORDER_VOIDED);
    nb = history_of(&env, buyer, b, 64);
    CHECK_EQ(history_sum(b, nb), env_balance(&env, buyer));
    CHECK(index_order_get(env.index, 1, &order, steps, &step_count, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && step_count == 5 && order.status == TALLY_ORDER_COMPLETED);
    env_free(&env);
}

/* ---- the routes, on a real node ---- */

/* Each actor's next sequence on the node (0: not asked yet). */
static uint64_t node_sequence[MARKET_ACTORS];

static tally_tx node_tx(const test_node *node, uint32_t who, tally_tx_type type) {
    test_actor signer = actor(who);
    tally_tx tx;
    if (node_sequence[who] == 0) {
        tx = harness_tx(node, &signer, type);
        node_sequence[who] = tx.sequence;
        return tx;
    }
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, node->chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = signer.key;
    tx.sequence = ++node_sequence[who];
    return tx;
}

/* Signs each txs[i] as signers[i] and submits them together with wait=commit: true
 * when every one was committed. */
static bool node_submit_all(const test_node *node, tally_tx *txs, const uint32_t *signers, uint32_t count) {
    size_t capacity = 32 + (size_t)count * (2 * TALLY_TX_ENCODED_MAX + 4);
    char *body = malloc(capacity);
    if (!body) return false;
    size_t used = (size_t)snprintf(body, capacity, "{\"txs\":[");
    for (uint32_t i = 0; i < count; i++) {
        test_actor signer = actor(signers[i]);
        tally_tx_sign(&txs[i], signer.secret);
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode(&txs[i], bytes, sizeof bytes);
        body[used++] = i ? ',' : ' ';
        body[used++] = '"';
        for (size_t k = 0; k < length; k++) used += (size_t)snprintf(body + used, capacity - used, "%02x", bytes[k]);
        body[used++] = '"';
    }
    used += (size_t)snprintf(body + used, capacity - used, "]}");
    json_t *response = NULL;
    long status = harness_request(node, "POST", "/v1/transactions?wait=commit", body, used, &response);
    free(body);
    json_t *results = json_object_get(response, "results");
    bool committed = status == 200 && json_array_size(results) == count;
    for (size_t i = 0; committed && i < count; i++) {
        const char *state = harness_json_string(json_array_get(results, i), "status");
        if (!state || strcmp(state, "committed") != 0) {
            char *text = json_dumps(json_array_get(results, i), JSON_COMPACT);
            fprintf(stderr, "    transaction %zu (%s): %s\n", i, tally_tx_type_name(txs[i].type), text ? text : "?");
            free(text);
            committed = false;
        }
    }
    json_decref(response);
    return committed;
}

static bool node_submit_one(const test_node *node, tally_tx tx, uint32_t signer) {
    return node_submit_all(node, &tx, &signer, 1);
}

/* GET path until the integer at `field` is `want` (the index trails the chain by a
 * block or two); the last answer (caller decrefs). */
static json_t *get_until(const test_node *node, const char *path, const char *field, int64_t want) {
    json_t *view = NULL;
    for (int attempt = 0; attempt < 200; attempt++) {
        json_decref(view);
        view = NULL;
        harness_request(node, "GET", path, NULL, 0, &view);
        if (harness_json_int(view, field) == want) return view;
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return view;
}

/* A string field, "" when absent. */
static const char *json_text(json_t *obj, const char *path) {
    const char *text = harness_json_string(obj, path);
    return text ? text : "";
}

static json_t *get(const test_node *node, const char *path, long *status) {
    json_t *view = NULL;
    *status = harness_request(node, "GET", path, NULL, 0, &view);
    return view;
}

/* The listing ids of a search answer, against the model's. */
static void check_ids_json(json_t *answer, const uint32_t *want, uint32_t count, const char *what) {
    json_t *listings = json_object_get(answer, "listings");
    bool right = json_array_size(listings) == count;
    for (uint32_t i = 0; right && i < count; i++)
        right = json_integer_value(json_object_get(json_array_get(listings, i), "id")) == want[i];
    if (!right) test_fail(__FILE__, __LINE__, what);
}

/* Every page of GET path (with limit and offset added), following next_offset,
 * against the model. */
static void check_pages(const test_node *node, const char *path, uint32_t limit, model_filter *filter,
                        const void *context, bool open_only, int64_t now, bool cheapest, const char *what) {
    static uint32_t want[MARKET_LISTINGS];
    uint32_t expected = model_search(filter, context, open_only, now, cheapest, want);
    uint32_t offset = 0, seen = 0;
    for (int pages = 0; pages < 100; pages++) {
        char url[512];
        snprintf(url, sizeof url, "%s%slimit=%u&offset=%u", path, strchr(path, '?') ? "&" : "?", limit, offset);
        long status = 0;
        json_t *answer = get(node, url, &status);
        CHECK_EQ(status, 200);
        CHECK_EQ(harness_json_int(answer, "total"), expected);
        uint32_t count = (uint32_t)json_array_size(json_object_get(answer, "listings"));
        check_ids_json(answer, want + seen, count, what);
        seen += count;
        json_t *next = json_object_get(answer, "next_offset");
        bool more = json_is_integer(next);
        if (more) offset = (uint32_t)json_integer_value(next);
        json_decref(answer);
        if (!more) break;
        CHECK_EQ(offset, seen);
    }
    CHECK_EQ(seen, expected);
}

/* The error code of a refused GET, with its status. */
static void check_refused(const test_node *node, const char *path, long want_status, const char *want_code) {
    long status = 0;
    json_t *answer = get(node, path, &status);
    const char *code = harness_json_string(answer, "error.code");
    if (status != want_status || !code || strcmp(code, want_code) != 0) {
        char text[400];
        snprintf(text, sizeof text, "GET %s: %ld %s, want %ld %s", path, status, code ? code : "?", want_status,
                 want_code);
        test_fail(__FILE__, __LINE__, text);
    }
    json_decref(answer);
}

TEST(market_index_routes_of_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    static const char *const dev[] = {"--dev", "--idle-block-s", "1", NULL};
    if (!harness_start(&node, dev)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd --dev (build/test/tallyd) did not start");
    }
    memset(node_sequence, 0, sizeof node_sequence);
    static tally_tx txs[MARKET_LISTINGS];
    static uint32_t signers[MARKET_LISTINGS];
    /* the network (fee 1%), its members, the buyer's line, categories, seller 3's alias */
    tally_tx tx = node_tx(&node, OP, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.fee_bps = MARKET_FEE_BPS;
    REQUIRE(node_submit_one(&node, tx, OP));
    uint32_t n = 0;
    for (uint32_t who = 1; who <= MARKET_BUYER; who++) {
        txs[n] = node_tx(&node, who, TALLY_TX_MEMBER_JOIN);
        txs[n].body.network_only.network_id = MARKET_NET;
        signers[n++] = who;
    }
    txs[n] = node_tx(&node, OP, TALLY_TX_LINE_OPEN);
    txs[n].body.line_open = (tally_tx_line_open){.network_id = MARKET_NET, .member = actor(MARKET_BUYER).key,
                                                 .limit = 100000};
    signers[n++] = OP;
    static const char *const names[] = {"food", "tools", "books"};
    for (uint8_t c = 1; c <= 3; c++) {
        txs[n] = node_tx(&node, OP, TALLY_TX_CATEGORY_SET);
        txs[n].body.category_set.network_id = MARKET_NET;
        txs[n].body.category_set.category = c;
        text_set(&txs[n].body.category_set.name, names[c - 1]);
        signers[n++] = OP;
    }
    REQUIRE(node_submit_all(&node, txs, signers, n));
    tx = node_tx(&node, 3, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = MARKET_NET;
    text_set(&tx.body.alias_set.alias, "seller3");
    REQUIRE(node_submit_one(&node, tx, 3));

    /* the 320 listings, in batches of 64 */
    long status = 0;
    json_t *chain = get(&node, "/v1/status", &status);
    int64_t now = harness_json_int(chain, "tip_time");
    json_decref(chain);
    for (uint32_t first = 0; first < MARKET_LISTINGS; first += 64) {
        n = 0;
        for (uint32_t i = first; i < first + 64; i++) {
            model_make(i, now + 60);
            const model_listing *m = &model[i];
            txs[n] = node_tx(&node, m->seller, TALLY_TX_LISTING_CREATE);
            tally_tx_listing *body = &txs[n].body.listing;
            body->network_id = MARKET_NET, body->kind = m->kind, body->category = m->category;
            body->price = m->price, body->quantity = m->quantity, body->expiry = m->expiry;
            text_set(&body->title, m->title);
            text_set(&body->text, m->text);
            if (m->id % 16 == 0) {
                memset(body->image_hash, (int)(m->id % 251 + 1), TALLY_HASH_BYTES);
                text_set(&body->image_url, "https://example.org/photo.jpg");
            }
            signers[n++] = m->seller;
        }
        REQUIRE(node_submit_all(&node, txs, signers, n));
    }
    json_t *answer = get_until(&node, "/v1/networks/1/listings?status=all&limit=1", "total", MARKET_LISTINGS);
    CHECK_EQ(harness_json_int(answer, "total"), MARKET_LISTINGS);
    json_decref(answer);

    answer = get(&node, "/v1/networks/1/categories", &status);
    CHECK_EQ(status, 200);
    json_t *categories = json_object_get(answer, "categories");
    CHECK_EQ(json_array_size(categories), 3);
    CHECK(strcmp(json_text(json_array_get(categories, 1), "name"), "tools") == 0);
    json_decref(answer);

    /* searches against the model, page by page */
    check_pages(&node, "/v1/networks/1/listings", 100, any, NULL, true, now, false, "all, newest");
    check_pages(&node, "/v1/networks/1/listings?sort=cheapest", 40, any, NULL, true, now, true, "all, cheapest");
    check_pages(&node, "/v1/networks/1/listings?q=eggs", 20, title_has, "eggs", true, now, false, "q=eggs");
    check_pages(&node, "/v1/networks/1/listings?q=organic%20EGGS", 20, eggs_organic, NULL, true, now, false,
                "q=organic EGGS");
    uint8_t category = 2;
    check_pages(&node, "/v1/networks/1/listings?category=2", 25, in_category, &category, true, now, false,
                "category=2");
    uint8_t kind = TALLY_LISTING_WANT;
    check_pages(&node, "/v1/networks/1/listings?kind=want", 25, of_kind, &kind, true, now, false, "kind=want");
    uint32_t seller = 3;
    check_pages(&node, "/v1/networks/1/listings?seller=seller3", 25, of_seller, &seller, true, now, false,
                "seller=seller3");
    char address[TALLY_ADDRESS_LENGTH + 1], path[400];
    tally_key seller_key = actor(3).key;
    tally_address_encode(&seller_key, address);
    snprintf(path, sizeof path, "/v1/networks/1/listings?seller=%s", address);
    check_pages(&node, path, 25, of_seller, &seller, true, now, false, "seller by address");
    int64_t range[2] = {300, 600};
    check_pages(&node, "/v1/networks/1/listings?min_price=300&max_price=600&sort=cheapest", 25, priced_between, range,
                true, now, true, "300 <= price <= 600, cheapest");
    int64_t most = 700;
    check_pages(&node, "/v1/networks/1/listings?category=2&kind=offer&max_price=700&sort=cheapest", 5,
                tools_offers_under, &most, true, now, true, "tools offers up to 700");

    /* one listing in full: every field, an ask's price null, texts as JSON strings */
    answer = get(&node, "/v1/listings/10", &status);
    CHECK_EQ(status, 200);
    CHECK(json_is_null(json_object_get(answer, "price"))); /* listing 10 (i = 9) is an ask */
    CHECK(strcmp(json_text(answer, "title"), model[9].title) == 0);
    CHECK(strcmp(json_text(answer, "kind"), "want") == 0); /* i = 9: every fifth is a want */
    CHECK(strcmp(json_text(answer, "category_name"), "food") == 0);
    CHECK(json_is_null(json_object_get(answer, "image")));
    CHECK_EQ(harness_json_int(answer, "rating.count"), 0);
    CHECK(json_is_array(json_object_get(answer, "reviews")));
    json_decref(answer);

    /* the buyer orders 2 units of listing 3 (seller 3, 1.74 each), seller 3
     * accepts, the buyer confirms and reviews it with text that looks like markup */
    const model_listing *sold = &model[2];
    REQUIRE(sold->seller == 3 && sold->kind == TALLY_LISTING_OFFER && sold->quantity == 3);
    tx = node_tx(&node, MARKET_BUYER, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 3, .quantity = 2, .unit_price = sold->price,
                                                   .max_fee = 1000, .timeout = now + 10 * DAY};
    text_set(&tx.body.order_create.memo, "for Saturday \"market\"");
    REQUIRE(node_submit_one(&node, tx, MARKET_BUYER));
    tx = node_tx(&node, 3, TALLY_TX_ORDER_ACCEPT);
    tx.body.order_step.order_id = 1;
    REQUIRE(node_submit_one(&node, tx, 3));
    tx = node_tx(&node, MARKET_BUYER, TALLY_TX_ORDER_CONFIRM);
    tx.body.order_step.order_id = 1;
    REQUIRE(node_submit_one(&node, tx, MARKET_BUYER));
    static const char review_text[] = "<script>alert('ok')</script> \"fine\" \\ eggs";
    tx = node_tx(&node, MARKET_BUYER, TALLY_TX_REVIEW);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 4;
    text_set(&tx.body.review.text, review_text);
    REQUIRE(node_submit_one(&node, tx, MARKET_BUYER));
    int64_t amount = 2 * sold->price;

    answer = get_until(&node, "/v1/listings/3", "rating.count", 1);
    CHECK_EQ(harness_json_int(answer, "sold"), 2);
    CHECK_EQ(harness_json_int(answer, "quantity"), 1);
    CHECK(strcmp(json_text(answer, "rating.average"), "4.00") == 0);
    CHECK(strcmp(json_text(json_array_get(json_object_get(answer, "reviews"), 0), "text"),
                 review_text) == 0);
    CHECK(strcmp(json_text(answer, "seller_alias"), "seller3") == 0);
    json_decref(answer);

    answer = get_until(&node, "/v1/orders/1", "buyer_rating", 4);
    CHECK(strcmp(json_text(answer, "status"), "completed") == 0);
    CHECK_EQ(harness_json_int(answer, "amount"), amount);
    CHECK_EQ(harness_json_int(answer, "paid"), amount);
    int64_t fee = harness_json_int(answer, "fee");
    CHECK_EQ(fee, (amount + 99) / 100);
    CHECK_EQ(harness_json_int(answer, "hold"), 1);
    CHECK(strcmp(json_text(answer, "memo"), "for Saturday \"market\"") == 0);
    json_t *steps = json_object_get(answer, "steps");
    CHECK_EQ(json_array_size(steps), 4);
    static const char *const step_types[] = {"order_create", "order_accept", "order_confirm", "review"};
    for (size_t i = 0; i < 4 && i < json_array_size(steps); i++)
        CHECK(strcmp(json_text(json_array_get(steps, i), "type"), step_types[i]) == 0);
    json_decref(answer);

    char buyer_address[TALLY_ADDRESS_LENGTH + 1];
    tally_key buyer_key = actor(MARKET_BUYER).key;
    tally_address_encode(&buyer_key, buyer_address);
    snprintf(path, sizeof path, "/v1/networks/1/orders?member=%s&role=buyer&status=all", buyer_address);
    answer = get(&node, path, &status);
    CHECK_EQ(status, 200);
    CHECK_EQ(harness_json_int(answer, "total"), 1);
    CHECK(json_is_null(json_object_get(answer, "next_offset")));
    json_decref(answer);
    snprintf(path, sizeof path, "/v1/networks/1/orders?member=%s&role=buyer", buyer_address);
    answer = get(&node, path, &status);
    CHECK_EQ(harness_json_int(answer, "total"), 0); /* open by default: it is completed */
    json_decref(answer);
    answer = get(&node, "/v1/networks/1/orders?member=seller3&role=seller&status=all", &status);
    CHECK_EQ(harness_json_int(answer, "total"), 1);
    json_decref(answer);

    answer = get(&node, "/v1/networks/1/accounts/seller3/reviews", &status);
    CHECK_EQ(status, 200);
    CHECK_EQ(harness_json_int(answer, "review_count"), 1);
    CHECK_EQ(harness_json_int(answer, "review_points"), 1);
    CHECK_EQ(harness_json_int(answer, "total"), 1);
    json_t *first = json_array_get(json_object_get(answer, "reviews"), 0);
    CHECK(strcmp(json_text(first, "text"), review_text) == 0);
    CHECK(strcmp(json_text(first, "side"), "buyer") == 0);
    CHECK_EQ(harness_json_int(first, "rating"), 4);
    json_decref(answer);

    /* the order's steps in both histories: the confirm moves the money */
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s/history?limit=10", buyer_address);
    answer = get(&node, path, &status);
    json_t *entries = json_object_get(answer, "entries");
    json_t *confirm = NULL;
    for (size_t i = 0; i < json_array_size(entries); i++)
        if (strcmp(json_text(json_array_get(entries, i), "type"), "order_confirm") == 0)
            confirm = json_array_get(entries, i);
    CHECK(confirm != NULL);
    CHECK_EQ(harness_json_int(confirm, "amount"), -amount);
    CHECK_EQ(harness_json_int(confirm, "fee"), fee);
    CHECK_EQ(harness_json_int(confirm, "order"), 1);
    CHECK_EQ(harness_json_int(confirm, "paid"), amount);
    json_decref(answer);
    answer = get(&node, "/v1/networks/1/accounts/seller3/history?limit=10", &status);
    entries = json_object_get(answer, "entries");
    confirm = NULL;
    for (size_t i = 0; i < json_array_size(entries); i++)
        if (strcmp(json_text(json_array_get(entries, i), "type"), "order_confirm") == 0)
            confirm = json_array_get(entries, i);
    CHECK(confirm && harness_json_int(confirm, "amount") == amount && harness_json_int(confirm, "fee") == 0);
    json_decref(answer);

    /* seller 1 withdraws listing 1; the clock passes the short expiries: open and all differ */
    tx = node_tx(&node, 1, TALLY_TX_LISTING_WITHDRAW);
    tx.body.listing.listing_id = 1;
    REQUIRE(node_submit_one(&node, tx, 1));
    model[0].status = TALLY_LISTING_WITHDRAWN;
    model[2].quantity = 1;
    CHECK_EQ(harness_request(&node, "POST", "/v1/dev/advance?seconds=900", "", 0, NULL), 200);
    chain = get(&node, "/v1/status", &status);
    int64_t later = harness_json_int(chain, "tip_time");
    json_decref(chain);
    for (uint32_t i = 0; i < MARKET_LISTINGS; i++)
        if (model[i].expiry <= later) model[i].status = TALLY_LISTING_EXPIRED;
    uint32_t open_want[MARKET_LISTINGS];
    uint32_t open_count = model_search(any, NULL, true, later, false, open_want);
    CHECK_EQ(open_count, MARKET_LISTINGS - 1 - MARKET_LISTINGS / 40);
    answer = get_until(&node, "/v1/networks/1/listings?limit=1", "total", open_count);
    CHECK_EQ(harness_json_int(answer, "total"), open_count);
    json_decref(answer);
    check_pages(&node, "/v1/networks/1/listings", 100, any, NULL, true, later, false, "open after withdraw, expiry");
    check_pages(&node, "/v1/networks/1/listings?status=all", 100, any, NULL, false, later, false, "all");
    answer = get(&node, "/v1/listings/8", &status);
    CHECK(strcmp(json_text(answer, "status"), "expired") == 0);
    json_decref(answer);
    answer = get(&node, "/v1/listings/1", &status);
    CHECK(strcmp(json_text(answer, "status"), "withdrawn") == 0);
    json_decref(answer);

    /* refusals, each a 400 naming what is wrong (404 for what is not there) */
    static const char *const bad[] = {"kind=gift", "sort=dearest", "status=closed", "limit=0", "limit=101",
                                      "min_price=-1", "min_price=9&max_price=3", "category=33", "offset=x",
                                      "max_price=1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "/v1/networks/1/listings?%s", bad[i]);
        check_refused(&node, path, 400, "BAD_QUERY");
    }
    check_refused(&node, "/v1/networks/1/listings?seller=Not%20A%20Member", 400, "BAD_ADDRESS");
    check_refused(&node, "/v1/networks/1/listings?seller=nobody", 404, "NOT_MEMBER");
    check_refused(&node, "/v1/networks/9/listings", 404, "UNKNOWN_NETWORK");
    check_refused(&node, "/v1/networks/0/categories", 400, "BAD_NETWORK");
    check_refused(&node, "/v1/listings/0", 400, "BAD_ID");
    check_refused(&node, "/v1/listings/999", 404, "LISTING_NOT_FOUND");
    check_refused(&node, "/v1/orders/abc", 400, "BAD_ID");
    check_refused(&node, "/v1/orders/2", 404, "ORDER_NOT_FOUND");
    check_refused(&node, "/v1/networks/1/orders", 400, "BAD_QUERY");
    check_refused(&node, "/v1/networks/1/orders?member=seller3&role=maker", 400, "BAD_QUERY");
    check_refused(&node, "/v1/networks/1/orders?member=seller3&status=done", 400, "BAD_QUERY");
    check_refused(&node, "/v1/networks/1/accounts/nobody/reviews", 404, "NOT_MEMBER");
    check_refused(&node, "/v1/networks/1/accounts/seller3/reviews?limit=500", 400, "BAD_QUERY");
    char long_query[400];
    memset(long_query, 'a', sizeof long_query);
    snprintf(long_query, sizeof long_query, "/v1/networks/1/listings?q=%0300d", 7);
    check_refused(&node, long_query, 400, "BAD_QUERY");

    /* every answer against docs/openapi.yaml (scripts/check-schemas.py --market) */
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char command[900];
    snprintf(command, sizeof command, "%s scripts/check-schemas.py %s --market > %s/schemas.log 2>&1", python, node.url,
             node.directory);
    int checked = system(command);
    if (checked != 0) {
        snprintf(command, sizeof command, "grep -v '^ok' %s/schemas.log >&2", node.directory);
        if (system(command) != 0) fprintf(stderr, "    (no log of the schema check)\n");
    }
    CHECK_EQ(checked, 0);
    CHECK(harness_stop_and_verify(&node));
}

/* A rating's average: two decimals, rounded half up, as a string; null with none. */
TEST(market_index_view_of_a_rating_rounds_half_up_to_two_decimals) {
    static const struct {
        uint32_t count;
        int64_t sum;
        const char *average;
    } cases[] = {{0, 0, NULL}, {1, 4, "4.00"}, {2, 9, "4.50"}, {3, 14, "4.67"}, {3, 13, "4.33"},
                 {8, 29, "3.63"}, {6, 7, "1.17"}, {1000000, 5000000, "5.00"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rating = view_market_rating(cases[i].count, cases[i].sum);
        CHECK_EQ(harness_json_int(rating, "count"), cases[i].count);
        json_t *average = json_object_get(rating, "average");
        if (!cases[i].average)
            CHECK(json_is_null(average));
        else
            CHECK(json_is_string(average) && strcmp(json_string_value(average), cases[i].average) == 0);
        json_decref(rating);
    }
}
