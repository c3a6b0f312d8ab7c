/*
 * test_views.c: the API's JSON views of holds and payment requests, on a state the
 * core made: statuses by name, names of keys that have an alias, null for a key not
 * set, and a request whose expiry has come shown `expired` before the block end that
 * records it, exactly when the core starts refusing its payment (REQUEST_EXPIRED).
 */
#include <string.h>

#include "fixture.h"
#include "node/views.h"
#include "test.h"

enum { NET = 1 };

static const char *string_of(const json_t *view, const char *field) {
    return json_string_value(json_object_get(view, field));
}

TEST(views_a_request_is_expired_from_its_expiry_before_the_block_end_records_it) {
    test_world world;
    world_init(&world);
    tally_policy policy = policy_default();
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    tally_tx alias = world_tx(&world, &bob, TALLY_TX_ALIAS_SET);
    alias.body.alias_set.network_id = NET;
    text_set(&alias.body.alias_set.alias, "bob");
    CHECK_CODE(world_apply(&world, &alias).code, TALLY_OK);
    tally_tx ask = world_tx(&world, &bob, TALLY_TX_REQUEST_CREATE);
    int64_t expiry = world.time + 3600;
    ask.body.request_create = (tally_tx_request_create){.network_id = NET, .payer = alice.key, .amount = 1250,
                                                        .expiry = expiry};
    CHECK_EQ(world_apply(&world, &ask).created_id, 1);
    const tally_request *request = tally_state_request(world.state, 1);
    REQUIRE(request != NULL);

    view_request_copy copy;
    view_copy_request(world.state, request, expiry - 1, &copy);
    json_t *view = view_request(&copy);
    CHECK(strcmp(string_of(view, "status"), "open") == 0);
    CHECK(strcmp(string_of(view, "payee_name"), "bob") == 0);
    CHECK(json_object_get(view, "payer_name") == NULL); /* alice has no alias */
    CHECK(json_is_string(json_object_get(view, "payer")) && json_is_null(json_object_get(view, "paid_by")));
    CHECK(json_is_null(json_object_get(view, "memo"))); /* the caller adds the index's */
    CHECK_EQ(json_integer_value(json_object_get(view, "decimals")), 2);
    json_decref(view);

    /* at its expiry: the core refuses to pay it although its status is still open */
    world.time = expiry;
    tally_tx pay = world_tx(&world, &alice, TALLY_TX_REQUEST_PAY);
    pay.body.request_end = (tally_tx_request_end){.request_id = 1, .max_fee = 100};
    CHECK_CODE(world_apply(&world, &pay).code, TALLY_ERR_REQUEST_EXPIRED);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_OPEN);
    view_copy_request(world.state, tally_state_request(world.state, 1), expiry, &copy);
    view = view_request(&copy);
    CHECK(strcmp(string_of(view, "status"), "expired") == 0);
    json_decref(view);
    /* and the block end records it */
    world_advance_to(&world, expiry);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_EXPIRED);
    world_free(&world);
}

TEST(views_hold_and_request_status_names_round_trip) {
    static const char *const holds[] = {"open", "posted", "voided", "released", "refunded"};
    static const char *const requests[] = {"open", "paid", "cancelled", "expired"};
    for (int i = 0; i < TALLY_PENDING_STATUS_COUNT; i++) {
        CHECK(strcmp(view_hold_status_name((uint8_t)i), holds[i]) == 0);
        CHECK_EQ(view_hold_status_of(holds[i]), i);
    }
    for (int i = 0; i < TALLY_REQUEST_STATUS_COUNT; i++) {
        CHECK(strcmp(view_request_status_name((uint8_t)i), requests[i]) == 0);
        CHECK_EQ(view_request_status_of(requests[i]), i);
    }
    CHECK_EQ(view_hold_status_of("paid"), -1);
    CHECK_EQ(view_request_status_of("posted"), -1);
    CHECK_EQ(view_request_status_of(NULL), -1);
    CHECK(strcmp(view_hold_status_name(TALLY_PENDING_STATUS_COUNT), "?") == 0);
}
