/*
 * test_transfer.c: payments. Credit limits (the Stable Credit reference: limit 1000,
 * spend 900 then 50, a further 51 refused), minting and burning, the positive cap,
 * base and risk fees with max_fee, frozen/suspended/defaulted payers, and every
 * refusal a transfer can meet, each with exact numbers.
 */
#include "fixture.h"
#include "test.h"

enum { NET = 1 };

/* A network (id 1) founded by actor 0, with members 1..3 admitted. */
static void setup(test_world *world, const tally_policy *policy) {
    world_init(world);
    test_actor founder = actor(0);
    CHECK_CODE(do_create_network(world, &founder, policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        test_actor member = actor(i);
        CHECK_CODE(do_admit(world, &founder, NET, &member).code, TALLY_OK);
    }
}

TEST(transfer_stable_credit_reference_limit_1000) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    tally_result spent = do_pay(&world, &alice, NET, &bob, 900, 0);
    CHECK_CODE(spent.code, TALLY_OK);
    CHECK_EQ(spent.minted, 900);
    CHECK_EQ(spent.burned, 0);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 50, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), -950);
    tally_result refused = do_pay(&world, &alice, NET, &bob, 51, 0);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.available, 50);
    CHECK_EQ(balance_of(&world, NET, &alice), -950);
    CHECK_EQ(balance_of(&world, NET, &bob), 950);
    /* exactly the credit left still goes through */
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 50, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), -1000);
    const tally_network *network = tally_state_network(world.state, NET);
    CHECK_EQ(network->supply, 1000);
    CHECK_EQ(network->debt, 1000);
    world_free(&world);
}

TEST(transfer_to_debtor_burns_credits) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 500, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 500, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 300, 0).code, TALLY_OK); /* alice -300, bob +300 */
    tally_result back = do_pay(&world, &bob, NET, &alice, 400, 0); /* bob spends 300 + 100 on credit */
    CHECK_CODE(back.code, TALLY_OK);
    CHECK_EQ(back.minted, 100);
    CHECK_EQ(back.burned, 300);
    CHECK_EQ(balance_of(&world, NET, &alice), 100);
    CHECK_EQ(balance_of(&world, NET, &bob), -100);
    CHECK_EQ(tally_state_network(world.state, NET)->supply, 100);
    world_free(&world);
}

TEST(transfer_without_line_spends_only_positive_balance) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 60, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &carol, 60, 0).code, TALLY_OK);
    tally_result refused = do_pay(&world, &bob, NET, &carol, 1, 0);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.available, 0);
    world_free(&world);
}

TEST(transfer_base_fee_5_percent_of_100_is_5) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 500;
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    tally_result paid = do_pay(&world, &alice, NET, &bob, 100, 5);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 5);
    CHECK_EQ(paid.risk_fee, 0);
    CHECK_EQ(paid.minted, 105);
    CHECK_EQ(balance_of(&world, NET, &alice), -105);
    CHECK_EQ(balance_of(&world, NET, &bob), 100);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 5);
    CHECK_EQ(member_of(&world, NET, &alice)->fees_paid, 5);
    world_free(&world);
}

TEST(transfer_fees_round_up_and_respect_max_fee) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 150; /* 1.5% */
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    /* 1.5% of 101 is 1.515: the network rounds up to 2 */
    tally_result refused = do_pay(&world, &alice, NET, &bob, 101, 1);
    CHECK_CODE(refused.code, TALLY_ERR_FEE_ABOVE_MAX);
    CHECK_EQ(refused.available, 2);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    tally_result paid = do_pay(&world, &alice, NET, &bob, 101, 2);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 2);
    /* 1 unit at 1.5% still costs 1 */
    CHECK_EQ(do_pay(&world, &alice, NET, &bob, 1, 1).fee, 1);
    CHECK_EQ(balance_of(&world, NET, &alice), -105);
    world_free(&world);
}

TEST(transfer_risk_fee_only_on_the_credit_part) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 100; /* 1% */
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10000, 0, 0, 200).code, TALLY_OK); /* 2% risk */
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 10000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 400, 4).code, TALLY_OK); /* alice +400 */
    /* alice pays 1000: 400 from her balance, 600 on credit: base 10 + risk 12 */
    tally_result paid = do_pay(&world, &alice, NET, &bob, 1000, 22);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 22);
    CHECK_EQ(paid.risk_fee, 12);
    CHECK_EQ(balance_of(&world, NET, &alice), 400 - 1022);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 4 + 22);
    world_free(&world);
}

TEST(transfer_fee_counts_against_the_limit) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 1000; /* 10% */
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 110, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 101, 100).code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 100, 100).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), -110);
    world_free(&world);
}

TEST(transfer_positive_cap) {
    test_world world;
    tally_policy policy = policy_default();
    policy.positive_cap = 500;
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 500, 0).code, TALLY_OK);
    tally_result refused = do_pay(&world, &alice, NET, &bob, 1, 0);
    CHECK_CODE(refused.code, TALLY_ERR_CAP_REACHED);
    CHECK_EQ(refused.available, 0);
    CHECK_EQ(balance_of(&world, NET, &bob), 500);
    CHECK_EQ(balance_of(&world, NET, &alice), -500);
    world_free(&world);
}

TEST(transfer_refusals_name_their_rule) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), stranger = actor(99);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 0, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, -5, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, INT64_MIN, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, INT64_MAX, 0).code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_CODE(do_pay(&world, &alice, 7, &bob, 5, 0).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(do_pay(&world, &alice, NET, &stranger, 5, 0).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_pay(&world, &stranger, NET, &alice, 5, 0).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_pay(&world, &alice, NET, &alice, 5, 0).code, TALLY_ERR_SELF_TRANSFER);
    /* paying a system account directly is refused */
    tally_tx tx = world_tx(&world, &alice, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = NET;
    tx.body.transfer.payee = tally_system_key(NET, TALLY_SYSTEM_POOL);
    tx.body.transfer.amount = 5;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    /* fee overflow with a huge amount and 100% fee is refused, not wrapped */
    world_free(&world);
}

TEST(transfer_amount_plus_fee_overflow_is_refused) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 10000;
    policy.max_credit_limit = INT64_MAX;
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, INT64_MAX, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, INT64_MAX / 2 + 1, INT64_MAX).code, TALLY_ERR_AMOUNT_OVERFLOW);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    world_free(&world);
}

TEST(transfer_suspended_member_spends_only_positive_balance) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 30, 0).code, TALLY_OK);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 30);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 31, 0).code, TALLY_ERR_MEMBER_SUSPENDED);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 30, 0).code, TALLY_OK);
    /* a suspended member still receives */
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 10, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), 10);
    world_free(&world);
}

TEST(transfer_base_plus_risk_fee_overflow_is_refused) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 10000;
    policy.max_credit_limit = INT64_MAX;
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, INT64_MAX, 0, 0, 10000).code, TALLY_OK);
    /* 100% base fee and 100% risk fee on 3/4 of INT64_MAX: their sum overflows */
    tally_result refused = do_pay(&world, &alice, NET, &bob, INT64_MAX / 4 * 3, INT64_MAX);
    CHECK_CODE(refused.code, TALLY_ERR_AMOUNT_OVERFLOW);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    world_free(&world);
}

/* Keys hashed ahead change nothing but the work: the same transfers applied with
 * their own prepared hashes, with another transfer's, and with hashes under another
 * secret give tally_apply's results and the same state, byte for byte. */
TEST(transfer_prepared_hashes_give_tally_applys_outcome) {
    tally_policy policy = policy_default();
    policy.fee_bps = 25;
    test_world plain, prepared;
    setup(&plain, &policy);
    setup(&prepared, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_open_line(&plain, &op, NET, &alice, 5000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&prepared, &op, NET, &alice, 5000, 0, 0, 0).code, TALLY_OK);
    const test_actor *payers[] = {&alice, &bob, &alice, &carol, &alice, &bob};
    const test_actor *payees[] = {&bob, &carol, &carol, &alice, &bob, &alice};
    tally_tx other = world_tx(&plain, &carol, TALLY_TX_TRANSFER);
    other.body.transfer.payee = op.key;
    for (int i = 0; i < 18; i++) {
        tally_tx tx = world_tx(&plain, payers[i % 6], TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = NET;
        tx.body.transfer.payee = payees[i % 6]->key;
        tx.body.transfer.amount = 40 + 7 * i;
        tx.body.transfer.max_fee = 10;
        tally_tx_prepared hashes;
        switch (i % 3) {
        case 0: tally_tx_prepare(prepared.state, &tx, &hashes); break;
        case 1: tally_tx_prepare(prepared.state, &other, &hashes); break; /* another transfer's keys */
        case 2:
            tally_tx_prepare(prepared.state, &tx, &hashes);
            hashes.secret_tag ^= 1; /* under another secret */
            hashes.signer_hash ^= 0xff;
            hashes.payee_hash ^= 0xff;
            break;
        }
        tally_result expected = tally_apply(plain.state, &tx, plain.time);
        tally_result got = tally_apply_prepared(prepared.state, &tx, &hashes, prepared.time);
        CHECK_CODE(got.code, expected.code);
        CHECK_EQ(got.fee, expected.fee);
        CHECK_EQ(got.minted, expected.minted);
    }
    CHECK_EQ(balance_of(&prepared, NET, &alice), balance_of(&plain, NET, &alice));
    CHECK(balance_of(&prepared, NET, &alice) < 0);
    uint8_t a[TALLY_HASH_BYTES], b[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(plain.state, a) && tally_state_hash(prepared.state, b));
    CHECK(memcmp(a, b, TALLY_HASH_BYTES) == 0);
    world_free(&plain);
    world_free(&prepared);
}
