/*
 * test_pending.c: pending transfers (escrow), with the exact numbers of issue 10: a
 * hold counts as spent (limit 100, a hold of 60: a payment of 41 is refused, 40
 * passes), a partial post moves what it names and releases the rest, a timeout
 * applies its outcome at the first block at or after it, a payee at its cap makes a
 * post fail and the hold stays, a defaulting payer's holds are voided before the
 * write-off; and every refusal with its code.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { NET = 1 };

static void setup(test_world *world, int64_t cap) {
    world_init(world);
    tally_policy policy = policy_default();
    policy.positive_cap = cap;
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_create_network(world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &carol).code, TALLY_OK);
    CHECK_CODE(do_open_line(world, &op, NET, &alice, 100, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
}

static tally_result hold(test_world *world, const test_actor *payer, const test_actor *payee, int64_t amount,
                         const test_actor *resolver, int64_t timeout, tally_pending_outcome outcome) {
    tally_tx tx = world_tx(world, payer, TALLY_TX_PENDING_CREATE);
    tx.body.pending_create.network_id = NET;
    tx.body.pending_create.payee = payee->key;
    tx.body.pending_create.amount = amount;
    tx.body.pending_create.max_fee = amount;
    if (resolver) tx.body.pending_create.resolver = resolver->key;
    tx.body.pending_create.timeout = timeout;
    tx.body.pending_create.outcome = (uint8_t)outcome;
    return world_apply(world, &tx);
}

static tally_result end_hold(test_world *world, const test_actor *signer, tally_tx_type type, uint32_t id,
                             int64_t amount) {
    tally_tx tx = world_tx(world, signer, type);
    tx.body.pending_end.pending_id = id;
    if (type == TALLY_TX_PENDING_POST) tx.body.pending_end.amount = amount;
    return world_apply(world, &tx);
}

TEST(pending_a_hold_counts_as_spent) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    tally_result held = hold(&world, &alice, &bob, 60, NULL, world.time + DAY, TALLY_PENDING_REFUND);
    CHECK_CODE(held.code, TALLY_OK);
    CHECK_EQ(held.created_id, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 60);
    CHECK_EQ(balance_of(&world, NET, &alice), 0); /* no balance moved */
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 40);
    tally_result refused = do_pay(&world, &alice, NET, &carol, 41, 0);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.available, 40);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 40, 0).code, TALLY_OK);
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 0);
    /* a second hold past what is left */
    CHECK_CODE(hold(&world, &alice, &bob, 1, NULL, world.time + DAY, TALLY_PENDING_REFUND).code,
               TALLY_ERR_INSUFFICIENT_CREDIT);
    world_free(&world);
}

TEST(pending_a_partial_post_moves_what_it_names_and_releases_the_rest) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    CHECK_CODE(hold(&world, &alice, &bob, 60, NULL, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_POST, 1, 25).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), -25);
    CHECK_EQ(balance_of(&world, NET, &bob), 25);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0); /* the 35 left are released */
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 75);
    const tally_pending *pending = tally_state_pending(world.state, 1);
    CHECK_EQ(pending->status, TALLY_PENDING_POSTED);
    CHECK_EQ(pending->posted, 25);
    /* it ended once */
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_POST, 1, 1).code, TALLY_ERR_PENDING_ENDED);
    CHECK_CODE(end_hold(&world, &bob, TALLY_TX_PENDING_VOID, 1, 0).code, TALLY_ERR_PENDING_ENDED);
    world_free(&world);
}

TEST(pending_the_fee_is_fixed_at_creation_and_charged_pro_rata_at_posting) {
    test_world world;
    world_init(&world);
    tally_policy policy = policy_default();
    policy.fee_bps = 100; /* 1% */
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    tally_result held = hold(&world, &alice, &bob, 1000, NULL, world.time + DAY, TALLY_PENDING_REFUND);
    CHECK_CODE(held.code, TALLY_OK);
    CHECK_EQ(held.fee, 10);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 1010);
    /* 333 of 1000: a third of the fee, rounded up: 4 */
    tally_result posted = end_hold(&world, &alice, TALLY_TX_PENDING_POST, 1, 333);
    CHECK_CODE(posted.code, TALLY_OK);
    CHECK_EQ(posted.fee, 4);
    CHECK_EQ(balance_of(&world, NET, &alice), -337);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 4);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    world_free(&world);
}

TEST(pending_a_timeout_applies_its_outcome_at_the_block_after_it) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    int64_t timeout = world.time + 3600;
    CHECK_CODE(hold(&world, &alice, &bob, 30, NULL, timeout, TALLY_PENDING_RELEASE).code, TALLY_OK);
    CHECK_CODE(hold(&world, &alice, &carol, 20, NULL, timeout, TALLY_PENDING_REFUND).code, TALLY_OK);
    CHECK_EQ(tally_state_next_due(world.state), timeout);
    world_advance_to(&world, timeout - 1);
    CHECK_EQ(tally_state_pending(world.state, 1)->status, TALLY_PENDING_OPEN);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 50);
    world_advance_to(&world, timeout + 5);
    CHECK_EQ(tally_state_pending(world.state, 1)->status, TALLY_PENDING_RELEASED);
    CHECK_EQ(tally_state_pending(world.state, 2)->status, TALLY_PENDING_REFUNDED);
    CHECK_EQ(balance_of(&world, NET, &bob), 30);
    CHECK_EQ(balance_of(&world, NET, &carol), 0);
    CHECK_EQ(balance_of(&world, NET, &alice), -30);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    /* ended: a post after the timeout is refused */
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_POST, 2, 20).code, TALLY_ERR_PENDING_ENDED);
    world_free(&world);
}

TEST(pending_a_payee_at_its_cap_makes_posting_fail_and_the_hold_stays) {
    test_world world;
    setup(&world, 50); /* positive cap 50 */
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_open_line(&world, &op, NET, &carol, 100, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &carol, NET, &bob, 45, 0).code, TALLY_OK); /* bob at 45 of 50 */
    CHECK_CODE(hold(&world, &alice, &bob, 10, NULL, world.time + DAY, TALLY_PENDING_RELEASE).code, TALLY_OK);
    tally_result refused = end_hold(&world, &alice, TALLY_TX_PENDING_POST, 1, 10);
    CHECK_CODE(refused.code, TALLY_ERR_CAP_REACHED);
    CHECK_EQ(refused.available, 5);
    CHECK_EQ(tally_state_pending(world.state, 1)->status, TALLY_PENDING_OPEN);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 10);
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_POST, 1, 5).code, TALLY_OK); /* what fits passes */
    CHECK_EQ(balance_of(&world, NET, &bob), 50);
    /* a release at the timeout that cannot post is refunded */
    CHECK_CODE(hold(&world, &alice, &bob, 10, NULL, world.time + 60, TALLY_PENDING_RELEASE).code, TALLY_OK);
    world_advance_to(&world, world.time + 60);
    CHECK_EQ(tally_state_pending(world.state, 2)->status, TALLY_PENDING_REFUNDED);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    world_free(&world);
}

TEST(pending_a_defaulting_payer_has_its_holds_voided_before_the_write_off) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 50, 0).code, TALLY_OK); /* -50: not compliant */
    CHECK_CODE(hold(&world, &alice, &bob, 30, NULL, world.time + 300 * DAY, TALLY_PENDING_RELEASE).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY); /* frozen */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 35 * DAY); /* defaults */
    CHECK_EQ(summary.lines_defaulted, 1);
    CHECK_EQ(summary.debt_written_off, 50); /* the 30 held were never paid */
    CHECK_EQ(tally_state_pending(world.state, 1)->status, TALLY_PENDING_VOIDED);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    CHECK_EQ(balance_of(&world, NET, &bob), 0);
    world_free(&world);
}

TEST(pending_who_may_end_a_hold_and_every_refusal) {
    test_world world;
    setup(&world, 0);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3), stranger = actor(9);
    /* creation */
    CHECK_CODE(hold(&world, &alice, &bob, 10, NULL, world.time, TALLY_PENDING_REFUND).code, TALLY_ERR_BAD_TIMEOUT);
    CHECK_CODE(hold(&world, &alice, &bob, 10, NULL, world.time + 367 * DAY, TALLY_PENDING_REFUND).code,
               TALLY_ERR_BAD_TIMEOUT);
    CHECK_CODE(hold(&world, &alice, &bob, 0, NULL, world.time + 60, TALLY_PENDING_REFUND).code,
               TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(hold(&world, &alice, &alice, 10, NULL, world.time + 60, TALLY_PENDING_REFUND).code,
               TALLY_ERR_SELF_TRANSFER);
    CHECK_CODE(hold(&world, &alice, &stranger, 10, NULL, world.time + 60, TALLY_PENDING_REFUND).code,
               TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(hold(&world, &stranger, &bob, 10, NULL, world.time + 60, TALLY_PENDING_REFUND).code,
               TALLY_ERR_NOT_MEMBER);
    /* carol is the resolver of hold 1 */
    CHECK_CODE(hold(&world, &alice, &bob, 10, &carol, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    CHECK_CODE(end_hold(&world, &bob, TALLY_TX_PENDING_POST, 1, 10).code, TALLY_ERR_NOT_RESOLVER); /* the payee */
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_VOID, 1, 0).code, TALLY_ERR_NOT_RESOLVER); /* the payer */
    CHECK_CODE(end_hold(&world, &op, TALLY_TX_PENDING_VOID, 1, 0).code, TALLY_ERR_NOT_RESOLVER);
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_POST, 2, 1).code, TALLY_ERR_PENDING_NOT_FOUND);
    CHECK_CODE(end_hold(&world, &alice, TALLY_TX_PENDING_VOID, 0, 0).code, TALLY_ERR_PENDING_NOT_FOUND);
    tally_result above = end_hold(&world, &carol, TALLY_TX_PENDING_POST, 1, 11);
    CHECK_CODE(above.code, TALLY_ERR_POST_ABOVE_PENDING);
    CHECK_EQ(above.available, 10);
    CHECK_CODE(end_hold(&world, &carol, TALLY_TX_PENDING_POST, 1, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(end_hold(&world, &carol, TALLY_TX_PENDING_VOID, 1, 0).code, TALLY_OK); /* the resolver voids */
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    /* the payee voids its own, the resolver posts */
    CHECK_CODE(hold(&world, &alice, &bob, 10, &carol, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    CHECK_CODE(end_hold(&world, &bob, TALLY_TX_PENDING_VOID, 2, 0).code, TALLY_OK);
    CHECK_CODE(hold(&world, &alice, &bob, 10, &carol, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    CHECK_CODE(end_hold(&world, &carol, TALLY_TX_PENDING_POST, 3, 10).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &bob), 10);
    world_free(&world);
}

/* A state with open holds serializes and loads to the same bytes and root. */
TEST(pending_holds_survive_a_snapshot) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    CHECK_CODE(hold(&world, &alice, &bob, 60, NULL, world.time + DAY, TALLY_PENDING_RELEASE).code, TALLY_OK);
    size_t length = tally_state_serialized_size(world.state);
    uint8_t *bytes = malloc(length);
    CHECK(bytes && tally_state_serialize(world.state, bytes, length) == length);
    tally_error error;
    tally_state *loaded = bytes ? tally_state_deserialize(bytes, length, &error) : NULL;
    CHECK(loaded != NULL);
    uint8_t a[TALLY_HASH_BYTES], b[TALLY_HASH_BYTES];
    CHECK(loaded && tally_state_hash(world.state, a) && tally_state_hash(loaded, b) && memcmp(a, b, sizeof a) == 0);
    /* and its timeout is due in the loaded state too */
    if (loaded) CHECK_EQ(tally_state_next_due(loaded), world.time + DAY);
    tally_state_destroy(loaded);
    free(bytes);
    world_free(&world);
}

/* The decoder refuses an outcome other than refund (0) or release (1), and a hold's
 * encodings are as wide as ENCODING.md says. */
TEST(pending_the_decoder_refuses_an_unknown_outcome) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1), bob = actor(2);
    tally_tx tx = world_tx(&world, &alice, TALLY_TX_PENDING_CREATE);
    tx.body.pending_create.network_id = 1;
    tx.body.pending_create.payee = bob.key;
    tx.body.pending_create.amount = 1;
    tx.body.pending_create.timeout = world.time + 60;
    tx.body.pending_create.outcome = TALLY_PENDING_RELEASE;
    tally_tx_sign(&tx, alice.secret);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
    CHECK_EQ(length, 74u + 4 + 32 + 8 + 8 + 32 + 8 + 1 + 64);
    tally_tx decoded;
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_OK);
    CHECK_EQ(decoded.body.pending_create.outcome, TALLY_PENDING_RELEASE);
    bytes[length - 65] = 2; /* the outcome, just before the signature */
    CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_ERR_DECODE_BAD_VALUE);
    tx = world_tx(&world, &bob, TALLY_TX_PENDING_VOID);
    tx.body.pending_end.pending_id = 7;
    CHECK_EQ(tally_tx_encode(&tx, bytes, sizeof bytes), 74u + 4 + 64);
    world_free(&world);
}

/* What holds hold stays payable: a payer with open holds cannot leave, nor have its
 * line closed while its holds would take it below zero (issue 10: posting never
 * takes a payer below -limit). */
TEST(pending_open_holds_keep_their_payers_line_and_membership) {
    test_world world;
    setup(&world, 0);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_pay(&world, &bob, NET, &carol, 1, 0).code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 25, 0).code, TALLY_OK); /* bob holds 25 */
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 25, 0).code, TALLY_OK); /* and pays it back: alice at 0 */
    CHECK_CODE(hold(&world, &alice, &bob, 60, NULL, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    tally_tx close = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    close.body.network_key = (tally_tx_network_key){.network_id = NET, .key = alice.key};
    tally_result refused = world_apply(&world, &close);
    CHECK_CODE(refused.code, TALLY_ERR_HOLDS_OPEN);
    CHECK_EQ(refused.available, 60);
    tally_tx leave = world_tx(&world, &alice, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    refused = world_apply(&world, &leave);
    CHECK_CODE(refused.code, TALLY_ERR_HOLDS_OPEN);
    CHECK_EQ(refused.available, 60);
    /* once the hold is voided both pass */
    CHECK_CODE(end_hold(&world, &bob, TALLY_TX_PENDING_VOID, 1, 0).code, TALLY_OK);
    close = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    close.body.network_key = (tally_tx_network_key){.network_id = NET, .key = alice.key};
    CHECK_CODE(world_apply(&world, &close).code, TALLY_OK);
    leave = world_tx(&world, &alice, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    world_free(&world);
}

/* A payer has at most TALLY_OPEN_PER_MEMBER_MAX open holds; one ending makes room. */
TEST(pending_a_payer_has_at_most_1024_open) {
    test_world world;
    setup(&world, 0);
    test_actor alice = actor(1), bob = actor(2);
    test_actor op = actor(0);
    tally_tx line = world_tx(&world, &op, TALLY_TX_LINE_UPDATE);
    line.body.line_update = (tally_tx_line_update){.network_id = NET, .member = alice.key, .limit = 5000};
    CHECK_CODE(world_apply(&world, &line).code, TALLY_OK);
    for (uint32_t i = 0; i < TALLY_OPEN_PER_MEMBER_MAX; i++)
        REQUIRE(hold(&world, &alice, &bob, 1, NULL, world.time + DAY, TALLY_PENDING_REFUND).code == TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->holds_open, TALLY_OPEN_PER_MEMBER_MAX);
    CHECK_CODE(hold(&world, &alice, &bob, 1, NULL, world.time + DAY, TALLY_PENDING_REFUND).code,
               TALLY_ERR_TOO_MANY_OPEN);
    CHECK_CODE(end_hold(&world, &bob, TALLY_TX_PENDING_VOID, 9, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->holds_open, TALLY_OPEN_PER_MEMBER_MAX - 1);
    CHECK_CODE(hold(&world, &alice, &bob, 1, NULL, world.time + DAY, TALLY_PENDING_REFUND).code, TALLY_OK);
    world_advance_to(&world, world.time + DAY); /* all refunded */
    CHECK_EQ(member_of(&world, NET, &alice)->holds_open, 0);
    CHECK_EQ(member_of(&world, NET, &alice)->pending_out, 0);
    world_free(&world);
}
