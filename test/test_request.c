/*
 * test_request.c: payment requests (invoices), with exact numbers: a request is paid
 * once (the second payment is refused and changes nothing), with the fee and every
 * rule of a transfer; an expired request cannot be paid, from its expiry on and
 * after the block end that expires it (which reports it); only its maker cancels
 * it; a request to one member is that member's to pay, a request to anyone any
 * member's; and every refusal with its code.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { NET = 1 };

/* alice (a line of 100), bob and carol in a network with a 1% fee and `cap`. */
static void setup(test_world *world, int64_t cap) {
    world_init(world);
    tally_policy policy = policy_default();
    policy.fee_bps = 100;
    policy.positive_cap = cap;
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_create_network(world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &carol).code, TALLY_OK);
    CHECK_CODE(do_open_line(world, &op, NET, &alice, 10000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
}

/* payee asks amount of payer (NULL: anyone) until expiry. */
static tally_result ask(test_world *world, const test_actor *payee, const test_actor *payer, int64_t amount,
                        int64_t expiry, const char *memo) {
    tally_tx tx = world_tx(world, payee, TALLY_TX_REQUEST_CREATE);
    tx.body.request_create.network_id = NET;
    if (payer) tx.body.request_create.payer = payer->key;
    tx.body.request_create.amount = amount;
    tx.body.request_create.expiry = expiry;
    text_set(&tx.body.request_create.memo, memo);
    return world_apply(world, &tx);
}

static tally_result pay(test_world *world, const test_actor *payer, uint32_t id, int64_t max_fee) {
    tally_tx tx = world_tx(world, payer, TALLY_TX_REQUEST_PAY);
    tx.body.request_end.request_id = id;
    tx.body.request_end.max_fee = max_fee;
    return world_apply(world, &tx);
}

static tally_result cancel(test_world *world, const test_actor *signer, uint32_t id) {
    tally_tx tx = world_tx(world, signer, TALLY_TX_REQUEST_CANCEL);
    tx.body.request_end.request_id = id;
    return world_apply(world, &tx);
}

TEST(request_is_paid_once_with_a_transfers_fee) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    tally_result made = ask(&world, &bob, &alice, 1250, world.time + 30 * DAY, "invoice 17: eggs");
    CHECK_CODE(made.code, TALLY_OK);
    CHECK_EQ(made.created_id, 1);
    const tally_request *request = tally_state_request(world.state, 1);
    REQUIRE(request != NULL);
    CHECK_EQ(request->status, TALLY_REQUEST_OPEN);
    CHECK_EQ(request->amount, 1250);
    CHECK(memcmp(request->payee.bytes, bob.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(balance_of(&world, NET, &bob), 0); /* asking moves nothing */
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 10000); /* nor reserves */
    /* a fee above max_fee is a transfer's refusal: 1% of 12.50 is 0.13 (rounded up) */
    tally_result short_fee = pay(&world, &alice, 1, 12);
    CHECK_CODE(short_fee.code, TALLY_ERR_FEE_ABOVE_MAX);
    CHECK_EQ(short_fee.available, 13);
    tally_result paid = pay(&world, &alice, 1, 13);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 13);
    CHECK_EQ(paid.minted, 1263);
    CHECK_EQ(balance_of(&world, NET, &alice), -1263);
    CHECK_EQ(balance_of(&world, NET, &bob), 1250);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 13);
    request = tally_state_request(world.state, 1);
    CHECK_EQ(request->status, TALLY_REQUEST_PAID);
    CHECK(memcmp(request->paid_by.bytes, alice.key.bytes, TALLY_KEY_BYTES) == 0);
    /* the second payment is refused and changes nothing (world_apply checks that) */
    CHECK_CODE(pay(&world, &alice, 1, 13).code, TALLY_ERR_REQUEST_PAID);
    CHECK_EQ(balance_of(&world, NET, &alice), -1263);
    /* nor can its maker cancel it now */
    CHECK_CODE(cancel(&world, &bob, 1).code, TALLY_ERR_REQUEST_PAID);
    world_free(&world);
}

typedef struct {
    uint32_t expired;
    uint32_t id;
    int64_t amount;
    tally_key member;
} seen_events;

static void on_event(void *context, const tally_event *event) {
    seen_events *seen = context;
    if (event->kind != TALLY_EVENT_REQUEST_EXPIRED) return;
    seen->expired++;
    seen->id = (uint32_t)event->time;
    seen->amount = event->amount;
    seen->member = event->member;
}

TEST(request_an_expired_request_cannot_be_paid) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    int64_t expiry = world.time + 3600;
    CHECK_CODE(ask(&world, &bob, &alice, 500, expiry, "").code, TALLY_OK);
    CHECK_CODE(ask(&world, &bob, &alice, 700, expiry, "").code, TALLY_OK);
    CHECK_EQ(tally_state_next_due(world.state), expiry);
    /* a second before its expiry it is paid */
    world_advance_to(&world, expiry - 1);
    CHECK_CODE(pay(&world, &alice, 1, 5).code, TALLY_OK);
    /* from its expiry on it is refused, even before the block end that expires it */
    world.time = expiry;
    CHECK_CODE(pay(&world, &alice, 2, 7).code, TALLY_ERR_REQUEST_EXPIRED);
    CHECK_CODE(cancel(&world, &bob, 2).code, TALLY_ERR_REQUEST_EXPIRED);
    CHECK_EQ(tally_state_request(world.state, 2)->status, TALLY_REQUEST_OPEN);
    seen_events seen = {0};
    tally_end_block_events(world.state, expiry, on_event, &seen);
    CHECK_EQ(tally_state_request(world.state, 2)->status, TALLY_REQUEST_EXPIRED);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_PAID); /* paid stays paid */
    CHECK_EQ(seen.expired, 1);
    CHECK_EQ(seen.id, 2);
    CHECK_EQ(seen.amount, 700);
    CHECK(memcmp(seen.member.bytes, bob.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_CODE(pay(&world, &alice, 2, 7).code, TALLY_ERR_REQUEST_EXPIRED);
    CHECK_EQ(balance_of(&world, NET, &bob), 500);
    world_free(&world);
}

TEST(request_only_its_maker_cancels_it) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(ask(&world, &bob, &alice, 500, world.time + DAY, "").code, TALLY_OK);
    CHECK_CODE(cancel(&world, &alice, 1).code, TALLY_ERR_NOT_REQUEST_CREATOR); /* the payer */
    CHECK_CODE(cancel(&world, &carol, 1).code, TALLY_ERR_NOT_REQUEST_CREATOR);
    CHECK_CODE(cancel(&world, &bob, 1).code, TALLY_OK);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_CANCELLED);
    CHECK_CODE(pay(&world, &alice, 1, 5).code, TALLY_ERR_REQUEST_CANCELLED);
    CHECK_CODE(cancel(&world, &bob, 1).code, TALLY_ERR_REQUEST_CANCELLED);
    /* its expiry passes without an event: it ended before */
    seen_events seen = {0};
    world.time += 2 * DAY;
    tally_end_block_events(world.state, world.time, on_event, &seen);
    CHECK_EQ(seen.expired, 0);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_CANCELLED);
    world_free(&world);
}

TEST(request_to_one_member_or_to_anyone) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 1000, 10).code, TALLY_OK); /* carol can pay */
    CHECK_CODE(ask(&world, &bob, &alice, 300, world.time + DAY, "").code, TALLY_OK);
    CHECK_CODE(pay(&world, &carol, 1, 3).code, TALLY_ERR_NOT_REQUEST_PAYER);
    CHECK_CODE(ask(&world, &bob, NULL, 300, world.time + DAY, "anyone").code, TALLY_OK);
    CHECK_CODE(pay(&world, &carol, 2, 3).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &carol), 1000 - 303);
    CHECK(memcmp(tally_state_request(world.state, 2)->paid_by.bytes, carol.key.bytes, TALLY_KEY_BYTES) == 0);
    /* its maker cannot pay its own request */
    CHECK_CODE(ask(&world, &bob, NULL, 300, world.time + DAY, "").code, TALLY_OK);
    CHECK_CODE(pay(&world, &bob, 3, 3).code, TALLY_ERR_SELF_TRANSFER);
    world_free(&world);
}

/* A payment is a transfer: the payer's credit and the payee's cap decide it, and a
 * refused one leaves the request open to be paid later. */
TEST(request_payments_follow_every_rule_of_a_transfer) {
    test_world world;
    setup(&world, 2000);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(ask(&world, &bob, &carol, 99, world.time + DAY, "").code, TALLY_OK);
    tally_result refused = pay(&world, &carol, 1, 1); /* carol has no line and no money */
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.available, 0);
    CHECK_EQ(tally_state_request(world.state, 1)->status, TALLY_REQUEST_OPEN);
    CHECK_CODE(ask(&world, &bob, &alice, 2001, world.time + DAY, "").code, TALLY_OK);
    tally_result capped = pay(&world, &alice, 2, 21);
    CHECK_CODE(capped.code, TALLY_ERR_CAP_REACHED);
    CHECK_EQ(capped.available, 2000);
    CHECK_CODE(ask(&world, &bob, &alice, 9950, world.time + DAY, "").code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 100, 1).code, TALLY_OK); /* alice at -101 */
    tally_result no_credit = pay(&world, &alice, 3, 100);
    CHECK_CODE(no_credit.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(no_credit.available, 9899);
    /* once carol has 1.00, the first request (0.99 and its fee 0.01) is paid as asked */
    CHECK_CODE(pay(&world, &carol, 1, 1).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &bob), 99);
    CHECK_EQ(balance_of(&world, NET, &carol), 0);
    world_free(&world);
}

TEST(request_every_refusal_of_making_one) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), stranger = actor(9);
    int64_t day = world.time + DAY;
    tally_tx tx = world_tx(&world, &bob, TALLY_TX_REQUEST_CREATE);
    tx.body.request_create = (tally_tx_request_create){.network_id = 7, .payer = alice.key, .amount = 1, .expiry = day};
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(ask(&world, &bob, &alice, 0, day, "").code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(ask(&world, &bob, &alice, -5, day, "").code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(ask(&world, &bob, &bob, 1, day, "").code, TALLY_ERR_SELF_TRANSFER);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time, "").code, TALLY_ERR_BAD_EXPIRY);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time - 1, "").code, TALLY_ERR_BAD_EXPIRY);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time + 367 * DAY, "").code, TALLY_ERR_BAD_EXPIRY);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time + 366 * DAY, "").code, TALLY_OK); /* a year is the most */
    CHECK_CODE(ask(&world, &stranger, &alice, 1, day, "").code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(ask(&world, &bob, &stranger, 1, day, "").code, TALLY_ERR_NOT_MEMBER);
    tx = world_tx(&world, &bob, TALLY_TX_REQUEST_CREATE);
    tx.body.request_create = (tally_tx_request_create){
        .network_id = NET, .payer = tally_system_key(NET, TALLY_SYSTEM_FEES), .amount = 1, .expiry = day};
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    CHECK_CODE(ask(&world, &bob, &alice, 1, day, "bad \xe2\x80\xae text").code, TALLY_ERR_DECODE_BAD_TEXT);
    /* an id never made */
    CHECK_CODE(pay(&world, &alice, 0, 1).code, TALLY_ERR_REQUEST_NOT_FOUND);
    CHECK_CODE(pay(&world, &alice, 2, 1).code, TALLY_ERR_REQUEST_NOT_FOUND);
    CHECK_CODE(cancel(&world, &bob, 9).code, TALLY_ERR_REQUEST_NOT_FOUND);
    CHECK_EQ(tally_state_request_count(world.state), 1);
    world_free(&world);
}

TEST(request_requests_survive_a_snapshot_with_their_expiry_due) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    CHECK_CODE(ask(&world, &bob, &alice, 500, world.time + DAY, "a").code, TALLY_OK);
    CHECK_CODE(ask(&world, &bob, &alice, 600, world.time + 2 * DAY, "b").code, TALLY_OK);
    CHECK_CODE(cancel(&world, &bob, 1).code, TALLY_OK);
    size_t length = tally_state_serialized_size(world.state);
    uint8_t *bytes = malloc(length);
    REQUIRE(bytes && tally_state_serialize(world.state, bytes, length) == length);
    tally_error error;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    REQUIRE(loaded != NULL);
    uint8_t a[TALLY_HASH_BYTES], b[TALLY_HASH_BYTES];
    CHECK(tally_state_hash(world.state, a) && tally_state_hash(loaded, b) && memcmp(a, b, sizeof a) == 0);
    CHECK_EQ(tally_state_request_count(loaded), 2);
    /* the cancelled one is due no more; the open one is */
    CHECK_EQ(tally_state_next_due(loaded), world.time + 2 * DAY);
    /* a record out of range is refused: the last byte is request 2's status */
    bytes[length - 1] = TALLY_REQUEST_STATUS_COUNT;
    tally_state *broken = tally_state_deserialize(bytes, length, &error);
    CHECK(broken == NULL);
    CHECK_CODE(error, TALLY_ERR_DECODE_BAD_VALUE);
    tally_state_destroy(broken);
    tally_state_destroy(loaded);
    free(bytes);
    world_free(&world);
}

/* A request's encodings are as wide as ENCODING.md says, and the decoder holds its
 * memo to a transfer memo's rules. */
TEST(request_encodings_and_the_decoders_refusals) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1), bob = actor(2);
    tally_tx tx = world_tx(&world, &bob, TALLY_TX_REQUEST_CREATE);
    tx.body.request_create = (tally_tx_request_create){.network_id = 1, .payer = alice.key, .amount = 1250,
                                                       .expiry = world.time + DAY};
    text_set(&tx.body.request_create.memo, "eggs");
    tally_tx_sign(&tx, bob.secret);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
    CHECK_EQ(length, 74u + 4 + 32 + 8 + 8 + 2 + 4 + 64);
    tally_tx decoded;
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_OK);
    CHECK(decoded.body.request_create.memo.length == 4 && memcmp(decoded.body.request_create.memo.bytes, "eggs", 4) == 0);
    bytes[length - 65] = 0x07; /* the memo's last byte, a control character */
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_ERR_DECODE_BAD_TEXT);
    bytes[length - 65] = 's';
    CHECK_CODE(tally_tx_decode(bytes, length - 1, &decoded), TALLY_ERR_DECODE_TRUNCATED);
    tx = world_tx(&world, &alice, TALLY_TX_REQUEST_PAY);
    tx.body.request_end = (tally_tx_request_end){.request_id = 1, .max_fee = 13};
    CHECK_EQ(tally_tx_encode(&tx, bytes, sizeof bytes), 74u + 4 + 8 + 64);
    tx = world_tx(&world, &bob, TALLY_TX_REQUEST_CANCEL);
    tx.body.request_end.request_id = 1;
    CHECK_EQ(tally_tx_encode(&tx, bytes, sizeof bytes), 74u + 4 + 64);
    world_free(&world);
}

/* A member has at most TALLY_OPEN_PER_MEMBER_MAX open requests (the per-key bound
 * below the table's); one ending makes room for another. */
TEST(request_a_member_has_at_most_1024_open) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    for (uint32_t i = 0; i < TALLY_OPEN_PER_MEMBER_MAX; i++)
        REQUIRE(ask(&world, &bob, &alice, 1, world.time + DAY, "").code == TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &bob)->requests_open, TALLY_OPEN_PER_MEMBER_MAX);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time + DAY, "").code, TALLY_ERR_TOO_MANY_OPEN);
    CHECK_CODE(ask(&world, &alice, &bob, 1, world.time + DAY, "").code, TALLY_OK); /* another member's own */
    CHECK_CODE(pay(&world, &alice, 7, 1).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &bob)->requests_open, TALLY_OPEN_PER_MEMBER_MAX - 1);
    CHECK_CODE(ask(&world, &bob, &alice, 1, world.time + DAY, "").code, TALLY_OK);
    /* the expiry of all of them ends them all */
    world_advance_to(&world, world.time + DAY);
    CHECK_EQ(member_of(&world, NET, &bob)->requests_open, 0);
    CHECK_EQ(member_of(&world, NET, &alice)->requests_open, 0);
    world_free(&world);
}

/* A maker who leaves keeps its open requests (they may still be paid, and expire as
 * usual); joining again keeps counting them, so the invariants of the open counts
 * hold and the request ends once, as the count says. Found by the simulation. */
TEST(request_of_a_maker_who_left_and_joined_again_is_still_counted) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), carol = actor(3);
    CHECK_CODE(ask(&world, &carol, &alice, 300, world.time + 10 * DAY, "rent").code, TALLY_OK);
    tally_tx leave = world_tx(&world, &carol, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    tally_tx join = world_tx(&world, &carol, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &join).code, TALLY_OK); /* world_apply checks the invariants */
    CHECK_EQ(member_of(&world, NET, &carol)->requests_open, 1);
    CHECK_CODE(pay(&world, &alice, 1, 3).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &carol)->requests_open, 0);
    CHECK_EQ(balance_of(&world, NET, &carol), 300);
    world_free(&world);
}
