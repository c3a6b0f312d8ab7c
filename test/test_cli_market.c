/*
 * test_cli_market.c: the marketplace (issue 13) through a real tallyd --dev and the
 * CLI, with exact figures. Greenvale (fee 1%, lines of 100.00 for all) names a
 * category; bob offers eggs at 12.50, carol repairs on asking, alice wants a
 * ladder; the search finds them by text, kind, price and order. alice orders 2 x
 * 12.50: 25.00 and a fee of 0.25 are held (her pending out), bob accepts, alice
 * confirms: bob's balance is 25.00, alice's -25.25; each side reviews once (a second
 * review is refused). An order bob declines is refunded in full; an order at the
 * price alice saw before bob raised it is refused with the price now; an order of
 * the "ask" listing at alice's price is disputed and split 60/40 by the operator;
 * an accepted order is paid to the seller at its timeout and a want expires (the
 * dev clock moved on); then every other refusal of the new commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/txbuild.h"
#include "cli_session.h"
#include "fixture.h"
#include "node_harness.h"
#include "test.h"

/* A field of the account of `key` in Greenvale, from `tally --json account`. */
static long long account_field(session *s, const char *key, const char *field) {
    if (TALLY(s, "--key", key, "--json", "account", "greenvale") != CLI_OK) return -999999999;
    json_t *account = json_loads(s->out, 0, NULL);
    json_t *value = json_object_get(account, field);
    long long figure = json_is_integer(value) ? (long long)json_integer_value(value) : -999999999;
    json_decref(account);
    return figure;
}

/* An integer field of `tally --json ARGS...` (one level, or "list.index.field"). */
static long long json_figure(const char *text, const char *list, size_t index, const char *field) {
    json_t *json = json_loads(text ? text : "", 0, NULL);
    json_t *object = list ? json_array_get(json_object_get(json, list), index) : json;
    json_t *value = json_object_get(object, field);
    long long figure = json_is_integer(value) ? (long long)json_integer_value(value) : -999999999;
    json_decref(json);
    return figure;
}

static const char *json_text(json_t *json, const char *list, size_t index, const char *field) {
    json_t *object = list ? json_array_get(json_object_get(json, list), index) : json;
    return json_string_value(json_object_get(object, field));
}

TEST(cli_market_list_search_order_confirm_review_through_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    const char *const dev[] = {"--dev", NULL};
    if (!harness_start(&node, dev)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd --dev (build/test/tallyd) did not start");
    }
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[4] = {"op", "alice", "bob", "carol"};
    session_import_keys(&s, names, 4, '6');

    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Greenvale", "GVH", "--fee-bps", "100", "--default-limit",
                   "100"),
             CLI_OK);
    for (int k = 1; k < 4; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", "greenvale"), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", "greenvale", names[k]), CLI_OK);
    }

    /* categories: the operators' */
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "category", "greenvale", "1", "Food"), CLI_OK);
    CHECK(contains(s.out, "category 1 of Greenvale is now \"Food\""));
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "category", "greenvale", "2", "Tools"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "category", "greenvale", "2"), CLI_OK);
    CHECK(contains(s.out, "removed category 2 of Greenvale"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "category", "greenvale", "3", "Toys"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_OPERATOR)"));
    CHECK(TALLY_UNTIL(&s, "  1  Food", "market", "categories", "greenvale"));
    for (int tries = 0; tries < 100 && contains(s.out, "Tools"); tries++) { /* the removal indexed too */
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
        CHECK_EQ(TALLY(&s, "market", "categories", "greenvale"), CLI_OK);
    }
    CHECK(!contains(s.out, "Tools"));

    /* listings: an offer by category name, one on asking, a want */
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "Fresh eggs", "--text",
                   "free-range, by the dozen", "--price", "12.50", "--quantity", "10", "--category", "food"),
             CLI_OK);
    CHECK(contains(s.out, "published listing 1 in Greenvale: \"Fresh eggs\", 12.50 GVH"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "market", "list", "greenvale", "--offer", "--title", "Bike repair", "--price",
                   "ask", "--quantity", "3"),
             CLI_OK);
    CHECK(contains(s.out, "published listing 2 in Greenvale: \"Bike repair\", price on asking"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "list", "greenvale", "--want", "--title", "A ladder for a weekend",
                   "--price", "5", "--days", "7"),
             CLI_OK);
    CHECK(contains(s.out, "published listing 3 in Greenvale"));
    /* a category that is no longer named */
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "Saw", "--price", "1",
                   "--category", "2"),
             CLI_REFUSED);
    CHECK(contains(s.err, "(BAD_CATEGORY)"));
    CHECK(contains(s.err, "`tally market categories Greenvale` lists Greenvale's categories"));

    /* the search: by text, kind, price range and order */
    CHECK(TALLY_UNTIL(&s, "Fresh eggs", "market", "search", "greenvale", "egg"));
    CHECK(contains(s.out, "12.50 GVH"));
    CHECK(contains(s.out, "bob"));
    CHECK(contains(s.out, "1 Food"));
    CHECK(contains(s.out, "1 to 1 of 1\n"));
    CHECK(!contains(s.out, "Bike repair"));
    CHECK(TALLY_UNTIL(&s, "1 to 3 of 3\n", "market", "search", "greenvale")); /* the index has all three */
    CHECK_EQ(TALLY(&s, "--json", "market", "search", "greenvale", "--kind", "offer", "--sort", "cheapest"), CLI_OK);
    json_t *found = json_loads(s.out, 0, NULL);
    CHECK_EQ(json_integer_value(json_object_get(found, "total")), 2);
    CHECK_EQ(json_figure(s.out, "listings", 0, "id"), 1); /* 12.50, then the ask listing last */
    CHECK_EQ(json_figure(s.out, "listings", 0, "price"), 1250);
    CHECK_EQ(json_figure(s.out, "listings", 1, "id"), 2);
    CHECK(json_is_null(json_object_get(json_array_get(json_object_get(found, "listings"), 1), "price")));
    const char *seller_alias = json_text(found, "listings", 0, "seller_alias");
    CHECK(seller_alias && strcmp(seller_alias, "bob") == 0);
    json_decref(found);
    CHECK_EQ(TALLY(&s, "market", "search", "greenvale", "--kind", "want"), CLI_OK);
    CHECK(contains(s.out, "A ladder for a weekend"));
    CHECK(!contains(s.out, "Fresh eggs"));
    CHECK_EQ(TALLY(&s, "--json", "market", "search", "greenvale", "--max-price", "10"), CLI_OK);
    CHECK_EQ(json_figure(s.out, NULL, 0, "total"), 1); /* the ladder at 5.00; ask listings match no range */
    CHECK_EQ(json_figure(s.out, "listings", 0, "id"), 3);
    CHECK_EQ(TALLY(&s, "--json", "market", "search", "greenvale", "--seller", "carol"), CLI_OK);
    CHECK_EQ(json_figure(s.out, NULL, 0, "total"), 1);
    CHECK_EQ(json_figure(s.out, "listings", 0, "id"), 2);
    CHECK_EQ(TALLY(&s, "market", "search", "greenvale", "--limit", "1"), CLI_OK);
    CHECK(contains(s.out, "1 to 1 of 3\n"));
    CHECK(contains(s.out, "more: tally market search greenvale --limit 1 --page 2"));
    CHECK_EQ(TALLY(&s, "market", "search", "greenvale", "--limit", "1", "--page", "3"), CLI_OK);
    CHECK(contains(s.out, "3 to 3 of 3\n"));
    CHECK(!contains(s.out, "more:"));
    CHECK_EQ(TALLY(&s, "market", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "listing 1 in Greenvale: offer, open\n"));
    CHECK(contains(s.out, "price       12.50 GVH a unit\n"));
    CHECK(contains(s.out, "units       10 left, 0 sold\n"));
    CHECK(contains(s.out, "category    1 Food\n"));
    CHECK(contains(s.out, "rating      no reviews yet\n"));
    CHECK(contains(s.out, "order with: tally market order 1 --quantity N\n"));

    /* an order of 2 x 12.50 holds 25.00 and its fee of 0.25 */
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1", "--quantity", "2", "--memo", "for Sunday"), CLI_OK);
    CHECK(contains(s.out, "ordered 2 of listing 1 (order 1): 25.00 GVH and a fee of 0.25 GVH held until the seller "
                          "accepts and you confirm delivery"));
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 2525);
    CHECK_EQ(account_field(&s, "alice", "balance"), 0);
    /* the order's hold moves by the order's steps only */
    CHECK_EQ(TALLY(&s, "--key", "bob", "hold", "void", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "(HELD_BY_ORDER)"));
    CHECK(contains(s.err, "`tally market order-show ID` says who may accept, decline, confirm or dispute one"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "hold", "post", "greenvale", "1", "25"), CLI_REFUSED);
    CHECK(contains(s.err, "(HELD_BY_ORDER)"));
    CHECK_EQ(TALLY(&s, "market", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "units       8 left, 0 sold\n"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "accept", "1"), CLI_OK);
    CHECK(contains(s.out, "accepted order 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "confirm", "1"), CLI_OK);
    CHECK(contains(s.out, "confirmed delivery of order 1: the seller is paid, fee 0.25 GVH"));
    CHECK_EQ(account_field(&s, "bob", "balance"), 2500);
    CHECK_EQ(account_field(&s, "alice", "balance"), -2525);
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);
    CHECK_EQ(TALLY(&s, "--json", "market", "order-show", "1"), CLI_OK);
    CHECK_EQ(json_figure(s.out, NULL, 0, "amount"), 2500);
    CHECK_EQ(json_figure(s.out, NULL, 0, "fee"), 25);
    CHECK_EQ(json_figure(s.out, NULL, 0, "paid"), 2500);
    CHECK(contains(s.out, "\"completed\""));
    CHECK(TALLY_UNTIL(&s, "order_confirm", "market", "order-show", "1"));
    CHECK(contains(s.out, "order 1 in Greenvale: completed\n"));
    CHECK(contains(s.out, "listing     1 \"Fresh eggs\"\n"));
    CHECK(contains(s.out, "buyer       alice@Greenvale\n"));
    CHECK(contains(s.out, "units       2 at 12.50 GVH\n"));
    CHECK(contains(s.out, "amount      25.00 GVH, fee 0.25 GVH\n"));
    CHECK(contains(s.out, "paid        25.00 GVH to the seller\n"));
    CHECK(contains(s.out, "memo        for Sunday\n"));
    CHECK(contains(s.out, "order_accept"));
    CHECK(contains(s.out, "by bob@Greenvale"));
    CHECK(contains(s.out, "next: each side may review the other once"));
    CHECK_EQ(TALLY(&s, "market", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "units       8 left, 2 sold\n"));
    /* both histories show the order's steps, the money where it moved */
    CHECK(TALLY_UNTIL(&s, "order_confirm", "--key", "bob", "history", "greenvale"));
    CHECK(contains(s.out, "25.00 GVH"));
    CHECK(TALLY_UNTIL(&s, "order_confirm", "--key", "alice", "history", "greenvale"));
    CHECK(contains(s.out, "-25.00 GVH"));

    /* reviews: once per side, after the seller was paid */
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "review", "1", "--stars", "5", "--text", "lovely eggs"), CLI_OK);
    CHECK(contains(s.out, "reviewed order 1: 5 of 5"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "review", "1", "--stars", "4"), CLI_REFUSED);
    CHECK(contains(s.err, "refused: this side has reviewed this order already (ALREADY_REVIEWED)"));
    CHECK(contains(s.err, "`tally market order-show 1` shows its status"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "review", "1", "--stars", "4", "--text", "paid at once"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "carol", "market", "review", "1", "--stars", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_REVIEWABLE)"));
    CHECK(TALLY_UNTIL(&s, "lovely eggs", "market", "reviews", "greenvale", "bob"));
    CHECK(contains(s.out, "reviews of bob@Greenvale: 1 review, net stars +2"));
    CHECK(contains(s.out, "5 of 5 by alice@Greenvale, its buyer (order 1"));
    CHECK(TALLY_UNTIL(&s, "5.00 of 5 (1 review)", "market", "show", "1"));
    CHECK(contains(s.out, "lovely eggs"));

    /* a decline refunds everything held */
    CHECK_EQ(TALLY(&s, "--key", "alice", "--json", "market", "order", "1", "--quantity", "3"), CLI_OK);
    json_t *placed = json_loads(s.out, 0, NULL);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(placed, "result"), "created_id")), 2);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(placed, "result"), "fee")), 38); /* 0.375 up */
    json_decref(placed);
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 3788);
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "decline", "2", "--reason", "sold out, sorry"), CLI_OK);
    CHECK(contains(s.out, "declined order 2: the buyer is refunded"));
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);
    CHECK_EQ(account_field(&s, "alice", "balance"), -2525);
    CHECK_EQ(TALLY(&s, "market", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "units       8 left, 2 sold\n"));
    CHECK(TALLY_UNTIL(&s, "sold out, sorry", "market", "order-show", "2"));
    CHECK(contains(s.out, "order 2 in Greenvale: declined\n"));
    CHECK(TALLY_UNTIL(&s, "order 2 declined: refunded: sold out, sorry", "--key", "alice", "history", "greenvale"));
    CHECK(TALLY_UNTIL(&s, "listing 1 ordered: 25.00 GVH held: for Sunday", "activity", "greenvale"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "accept", "2"), CLI_REFUSED);
    CHECK(contains(s.err, "(ORDER_STEP_REFUSED)"));

    /* a price changed since alice looked: refused with the price now */
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "update", "1", "--price", "13.00"), CLI_OK);
    CHECK(contains(s.out, "updated listing 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1", "--price", "12.50"), CLI_REFUSED);
    CHECK(contains(s.err, "refused: the listing's price is not the price the order saw: look again (PRICE_CHANGED)"));
    CHECK(contains(s.err, "the price is now 13.00 GVH a unit"));
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);
    CHECK_EQ(TALLY(&s, "market", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "price       13.00 GVH a unit\n"));
    CHECK(contains(s.out, "(revision 1)"));
    CHECK(contains(s.out, "title       Fresh eggs\n")); /* the update kept what it did not name */
    CHECK(contains(s.out, "category    1 Food\n"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1"), CLI_OK); /* at the price now */
    CHECK(contains(s.out, "ordered 1 of listing 1 (order 3): 13.00 GVH and a fee of 0.13 GVH held"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "cancel", "3"), CLI_OK);
    CHECK(contains(s.out, "cancelled order 3: your money is released"));
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);

    /* an "ask" listing at alice's price, disputed and split 60/40 */
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "2"), CLI_USAGE);
    CHECK(contains(s.err, "listing 2 is priced on asking: name your price for a unit with --price AMOUNT"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "2", "--price", "30"), CLI_OK);
    CHECK(contains(s.out, "(order 4): 30.00 GVH and a fee of 0.30 GVH held"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "market", "accept", "4"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "dispute", "4", "--reason", "only the front wheel"), CLI_OK);
    CHECK(contains(s.out, "disputed order 4"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "resolve", "4", "--seller-share", "60%"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_OPERATOR)"));
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "resolve", "4", "--seller-amount", "31"), CLI_REFUSED);
    CHECK(contains(s.err, "(SPLIT_ABOVE_ORDER)"));
    CHECK(contains(s.err, "the order's amount is 30.00 GVH"));
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "resolve", "4", "--seller-share", "60%", "--reason", "half done"),
             CLI_OK);
    CHECK(contains(s.out, "resolved order 4: 18.00 GVH to the seller, the rest refunded"));
    CHECK_EQ(account_field(&s, "carol", "balance"), 1800);
    CHECK_EQ(account_field(&s, "alice", "balance"), -2525 - 1818); /* 18.00 and its fee of 0.18 */
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);

    /* the orders of a member */
    CHECK(TALLY_UNTIL(&s, "resolved", "--key", "alice", "market", "orders", "greenvale", "--all"));
    CHECK(contains(s.out, "all orders of alice in Greenvale\n"));
    CHECK(contains(s.out, "completed"));
    CHECK(contains(s.out, "declined"));
    CHECK(contains(s.out, "cancelled"));
    CHECK(contains(s.out, "25.00 GVH"));
    /* the index trails the chain (the list's ids are the index's, their details the
     * state's): the open list empties once it has the resolution too */
    CHECK(TALLY_UNTIL(&s, "none (--all shows the ended ones too)", "--key", "alice", "market", "orders", "greenvale"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "--json", "market", "orders", "greenvale", "--as", "seller", "--all"), CLI_OK);
    json_t *sold = json_loads(s.out, 0, NULL);
    CHECK_EQ(json_array_size(json_object_get(sold, "orders")), 3); /* 1, 2 and 3: bob's eggs */
    json_decref(sold);

    /* the timeouts: an accepted order pays the seller, a want expires */
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "order", "3"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_AN_OFFER)"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1", "--days", "10"), CLI_OK);
    CHECK(contains(s.out, "(order 5): 13.00 GVH and a fee of 0.13 GVH held"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "accept", "5"), CLI_OK);
    CHECK_EQ(TALLY(&s, "dev", "advance", "11d"), CLI_OK);
    CHECK_EQ(account_field(&s, "bob", "balance"), 2500 + 1300);
    CHECK_EQ(account_field(&s, "alice", "balance"), -2525 - 1818 - 1313);
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);
    CHECK(TALLY_UNTIL(&s, "order 5 released at its timeout: 13.00 GVH to the seller", "--key", "bob", "history",
                      "greenvale"));
    CHECK(TALLY_UNTIL(&s, "listing 3 expired", "--key", "alice", "history", "greenvale"));
    CHECK(contains(s.out, "order 1 confirmed: 25.00 GVH to the seller"));
    CHECK_EQ(TALLY(&s, "market", "order-show", "5"), CLI_OK);
    CHECK(contains(s.out, "order 5 in Greenvale: released\n"));
    CHECK(contains(s.out, "paid        13.00 GVH to the seller\n"));
    CHECK_EQ(TALLY(&s, "market", "show", "3"), CLI_OK);
    CHECK(contains(s.out, "listing 3 in Greenvale: want, expired\n"));
    CHECK(TALLY_UNTIL(&s, "expired", "market", "search", "greenvale", "--all", "--kind", "want"));

    /* refusals: the ledger's, with the figure, and the command line's */
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1", "--quantity", "50"), CLI_REFUSED);
    CHECK(contains(s.err, "(QUANTITY_UNAVAILABLE)"));
    CHECK(contains(s.err, "units left: 7"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "withdraw", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_SELLER)"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "withdraw", "1"), CLI_OK);
    CHECK(contains(s.out, "withdrew listing 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "(LISTING_CLOSED)"));
    CHECK(TALLY_UNTIL(&s, "withdrawn", "market", "search", "greenvale", "--all"));
    CHECK(TALLY_UNTIL(&s, "no open listings match in Greenvale", "market", "search", "greenvale", "eggs"));
    CHECK_EQ(TALLY(&s, "market", "show", "99"), CLI_REFUSED);
    CHECK(contains(s.err, "LISTING_NOT_FOUND"));
    CHECK_EQ(TALLY(&s, "market", "order-show", "99"), CLI_REFUSED);
    CHECK(contains(s.err, "ORDER_NOT_FOUND"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "accept", "99"), CLI_REFUSED);
    CHECK(contains(s.err, "(ORDER_NOT_FOUND)"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--title", "x", "--price", "1"), CLI_USAGE);
    CHECK(contains(s.err, "--offer (you sell it) or --want"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--price", "1"), CLI_USAGE);
    CHECK(contains(s.err, "--title TEXT is required"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "x", "--price", "0"),
             CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "x", "--price", "1.005"),
             CLI_USAGE);
    CHECK(contains(s.err, "too many decimals"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "x", "--price", "1",
                   "--image-url", "https://example.org/x.png"),
             CLI_USAGE);
    CHECK(contains(s.err, "give --image-url and --image-hash together"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "x", "--price", "1",
                   "--days", "400"),
             CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "x", "--price", "1",
                   "--category", "nothing"),
             CLI_USAGE);
    CHECK(contains(s.err, "Greenvale has no category named 'nothing'"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "update", "2"), CLI_USAGE);
    CHECK(contains(s.err, "nothing to change"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "update", "2", "--price", "2"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_SELLER)"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "review", "1"), CLI_USAGE);
    CHECK(contains(s.err, "--stars is required"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "review", "1", "--stars", "6"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "resolve", "4"), CLI_USAGE);
    CHECK(contains(s.err, "--seller-share 60% (of the order's amount) or --seller-amount 15.00"));
    CHECK_EQ(TALLY(&s, "--key", "op", "market", "resolve", "4", "--seller-share", "120%"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "market", "search", "greenvale", "--sort", "dearest"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "market", "search", "greenvale", "--kind", "gift"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "orders", "greenvale", "--as", "friend"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "market", "show", "first"), CLI_USAGE);
    CHECK(contains(s.err, "LISTING_ID is the number `tally market list` printed"));
    CHECK_EQ(TALLY(&s, "market", "category", "greenvale", "33", "Big"), CLI_USAGE);

    /* a listing's and an order's records proved, and checked offline */
    char proof_file[320];
    snprintf(proof_file, sizeof proof_file, "%s/listing.proof", node.directory);
    CHECK_EQ(TALLY(&s, "prove", "listing", "1", "--out", proof_file), CLI_OK);
    CHECK_EQ(TALLY(&s, "check-proof", proof_file, "--against", node.url), CLI_OK);
    CHECK(contains(s.out, "listing 1 in network 1 (offer by "));
    snprintf(proof_file, sizeof proof_file, "%s/order.proof", node.directory);
    CHECK_EQ(TALLY(&s, "prove", "order", "1", "--out", proof_file), CLI_OK);
    CHECK_EQ(TALLY(&s, "check-proof", proof_file, "--against", node.url), CLI_OK);
    CHECK(contains(s.out, "order 1 in network 1 of listing 1 by "));
    CHECK_EQ(TALLY(&s, "prove", "order", "x"), CLI_USAGE);
    CHECK(contains(s.err, "ID is an order's number"));
    CHECK_EQ(TALLY(&s, "prove", "listing", "999"), CLI_REFUSED);

    CHECK_EQ(TALLY(&s, "verify"), CLI_OK);
    CHECK_EQ(harness_stop(&node), 0);
    session_free(&s);
    cli_client_curl_transport_close();
    harness_remove_directory(&node);
}

/* The key session_import_keys made from the seed digit `digit`. */
static test_actor seeded_actor(char digit) {
    uint8_t seed[32];
    memset(seed, (int)((unsigned)(digit - '0') << 4 | (unsigned)(digit - '0')), sizeof seed);
    test_actor made;
    tally_keypair(&made.key, made.secret, seed);
    return made;
}

/* op hands network 1 (`network create Greenvale GVH --fee-bps 100 --default-limit
 * 100`) to its members, its policy otherwise kept: one member one vote, quorum and
 * threshold 50%, a day's vote and a day's timelock (built here: `network create`
 * has no option for it). */
static void hand_over(const test_node *node, const test_actor *op) {
    cli_unit unit = {2, "GVH"};
    tally_tx tx = harness_tx(node, op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = 1;
    tx.body.policy_update.policy = cli_policy_defaults(&unit);
    tx.body.policy_update.policy.fee_bps = 100;
    tx.body.policy_update.policy.default_credit_limit = 10000;
    tx.body.policy_update.policy.governance = (tally_governance_rule){
        TALLY_GOVERNANCE_MEMBERS, TALLY_WEIGHT_ONE_MEMBER, 5000, 5000, 86400, 86400, 3600, false, false};
    json_t *result = NULL;
    CHECK_EQ(harness_submit(node, &tx, op, &result), 200);
    const char *state = harness_json_string(result, "status");
    CHECK(state && strcmp(state, "committed") == 0);
    json_decref(result);
}

TEST(cli_market_a_dispute_split_by_the_members_vote_through_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    const char *const dev[] = {"--dev", NULL};
    if (!harness_start(&node, dev)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd --dev (build/test/tallyd) did not start");
    }
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[4] = {"op", "alice", "bob", "carol"};
    session_import_keys(&s, names, 4, '6');
    test_actor op = seeded_actor('6');
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Greenvale", "GVH", "--fee-bps", "100", "--default-limit",
                   "100"),
             CLI_OK);
    for (int k = 1; k < 4; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", "greenvale"), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", "greenvale", names[k]), CLI_OK);
    }
    hand_over(&node, &op);

    /* bob's repairs at 30.00, ordered by alice, accepted, disputed */
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "list", "greenvale", "--offer", "--title", "Roof repair", "--price",
                   "30"),
             CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "order", "1"), CLI_OK);
    CHECK(contains(s.out, "(order 1): 30.00 GVH and a fee of 0.30 GVH held"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "market", "accept", "1"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "market", "dispute", "1", "--reason", "the gutter still leaks"), CLI_OK);

    /* the members split it 60/40 by a vote */
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "order-resolve", "1"), CLI_USAGE);
    CHECK(contains(s.err, "--seller-share 60% (of the order's amount) or --seller-amount 15.00"));
    CHECK(contains(s.err, "tally proposal create NET order-resolve ORDER_ID --seller-share P% | --seller-amount"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "order-resolve", "1", "--fee-bps", "5"),
             CLI_USAGE);
    CHECK(contains(s.err, "--fee-bps is no option of a proposal of order-resolve"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "order-resolve", "1", "--seller-share",
                   "60%"),
             CLI_OK);
    CHECK(contains(s.out, "proposed in Greenvale, as proposal 1, to resolve a disputed order: its members vote on it"));
    CHECK(TALLY_UNTIL(&s, "order 1: 18.00 GVH of its 30.00 GVH to the seller, the rest refunded to the buyer (now "
                          "disputed)",
                      "proposal", "show", "1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "1", "yes"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "bob", "proposal", "vote", "1", "yes"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "carol", "proposal", "vote", "1", "no"), CLI_OK);
    CHECK_EQ(TALLY(&s, "dev", "advance", "25h"), CLI_OK);
    CHECK_EQ(TALLY(&s, "dev", "advance", "25h"), CLI_OK);
    CHECK_EQ(TALLY(&s, "proposal", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "proposal 1 in Greenvale: executed"));
    CHECK_EQ(TALLY(&s, "market", "order-show", "1"), CLI_OK);
    CHECK(contains(s.out, "order 1 in Greenvale: resolved\n"));
    CHECK(contains(s.out, "paid        18.00 GVH to the seller\n"));
    CHECK_EQ(account_field(&s, "bob", "balance"), 1800);
    CHECK_EQ(account_field(&s, "alice", "balance"), -1818); /* 18.00 and its fee of 0.18; 12.12 refunded */
    CHECK_EQ(account_field(&s, "alice", "pending_out"), 0);

    CHECK_EQ(TALLY(&s, "verify"), CLI_OK);
    CHECK_EQ(harness_stop(&node), 0);
    session_free(&s);
    cli_client_curl_transport_close();
    harness_remove_directory(&node);
}
