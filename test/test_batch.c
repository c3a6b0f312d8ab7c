/*
 * test_batch.c: batch payments (TRANSFER_BATCH). A batch is the transfers of its
 * lines applied in order, all or nothing: each test compares it with a second
 * world that makes the same payments one TRANSFER at a time (every member record
 * equal, byte for byte), or checks that a refused batch names its line and left
 * the state byte-identical (world_apply checks that for every refusal).
 */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

enum { NET = 1, MEMBERS = 6 };

typedef struct {
    uint32_t payee; /* actor number */
    int64_t amount;
    const char *memo;
} line_spec;

/* A network (id 1) founded by actor 0 under `policy`, members 1..MEMBERS admitted. */
static void setup(test_world *world, const tally_policy *policy) {
    world_init(world);
    test_actor founder = actor(0);
    CHECK_CODE(do_create_network(world, &founder, policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= MEMBERS; i++) {
        test_actor member = actor(i);
        CHECK_CODE(do_admit(world, &founder, NET, &member).code, TALLY_OK);
    }
}

/* A batch from actor `payer`; its lines are the caller's to release. */
static tally_tx batch_tx(const test_world *world, uint32_t payer, uint32_t network_id, const line_spec *lines,
                         unsigned count, int64_t max_fee) {
    test_actor signer = actor(payer);
    tally_tx tx = world_tx(world, &signer, TALLY_TX_TRANSFER_BATCH);
    tx.body.transfer_batch.network_id = network_id;
    tx.body.transfer_batch.max_fee = max_fee;
    if (!tally_tx_batch_reserve(&tx, (uint16_t)count)) abort();
    for (unsigned i = 0; i < count; i++) {
        tally_batch_line *line = &tx.body.transfer_batch.lines[i];
        line->payee = actor(lines[i].payee).key;
        line->amount = lines[i].amount;
        if (lines[i].memo) {
            line->memo.length = (uint16_t)strlen(lines[i].memo);
            memcpy(line->memo.bytes, lines[i].memo, line->memo.length);
        }
    }
    return tx;
}

static tally_result pay_batch(test_world *world, uint32_t payer, const line_spec *lines, unsigned count,
                              int64_t max_fee) {
    tally_tx tx = batch_tx(world, payer, NET, lines, count, max_fee);
    tally_result result = world_apply(world, &tx);
    tally_tx_release(&tx);
    return result;
}

/* The same payments as TRANSFERs, one by one, each allowed any fee; sums their
 * results. */
static tally_result pay_one_by_one(test_world *world, uint32_t payer, const line_spec *lines, unsigned count) {
    tally_result sum = {0};
    test_actor from = actor(payer);
    for (unsigned i = 0; i < count; i++) {
        test_actor to = actor(lines[i].payee);
        tally_result result = do_pay(world, &from, NET, &to, lines[i].amount, INT64_MAX);
        CHECK_CODE(result.code, TALLY_OK);
        sum.fee += result.fee;
        sum.risk_fee += result.risk_fee;
        sum.minted += result.minted;
        sum.burned += result.burned;
    }
    return sum;
}

/* Every member record (balances, fees paid, lines, period counters) and every
 * network record equal in both worlds. */
static void check_same_ledger(const test_world *a, const test_world *b) {
    CHECK_EQ(tally_state_member_count(a->state), tally_state_member_count(b->state));
    for (uint32_t i = 0; i < tally_state_member_count(a->state) && i < tally_state_member_count(b->state); i++) {
        const tally_member *x = tally_state_member_at(a->state, i), *y = tally_state_member_at(b->state, i);
        if (memcmp(x, y, sizeof *x) != 0) {
            printf("    member %u differs: balance %lld / %lld, fees_paid %lld / %lld, line %u / %u\n", i,
                   (long long)x->balance, (long long)y->balance, (long long)x->fees_paid, (long long)y->fees_paid,
                   x->line_status, y->line_status);
            CHECK(memcmp(x, y, sizeof *x) == 0);
        }
    }
    CHECK(memcmp(tally_state_network(a->state, NET), tally_state_network(b->state, NET), sizeof(tally_network)) == 0);
}

static tally_policy fee_policy(void) {
    tally_policy policy = policy_default();
    policy.fee_bps = 100; /* 1% */
    return policy;
}

/* ------------------------------------------------------------------------ */

TEST(batch_fees_per_line_equal_single_transfers) {
    /* Alice holds 500, then pays on credit: the lines before zero pay no risk fee,
     * the line across zero pays it on its credit part, the lines after on all. */
    test_world batch, single;
    tally_policy policy = fee_policy();
    setup(&batch, &policy);
    setup(&single, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    test_world *worlds[] = {&batch, &single};
    for (int w = 0; w < 2; w++) {
        CHECK_CODE(do_open_line(worlds[w], &op, NET, &alice, 5000, 0, 0, 200).code, TALLY_OK);
        CHECK_CODE(do_open_line(worlds[w], &op, NET, &bob, 5000, 0, 0, 0).code, TALLY_OK);
        CHECK_CODE(do_pay(worlds[w], &bob, NET, &alice, 500, 100).code, TALLY_OK);
    }
    const line_spec lines[] = {{3, 300, "rent"}, {4, 400, NULL}, {3, 1000, "again"}, {5, 1, "tiny"}, {2, 77, NULL}};
    const unsigned count = sizeof lines / sizeof lines[0];
    tally_result together = pay_batch(&batch, 1, lines, count, 1000);
    tally_result apart = pay_one_by_one(&single, 1, lines, count);
    CHECK_CODE(together.code, TALLY_OK);
    CHECK_EQ(together.line, 0);
    /* 300: base 3; 400 with 197 left: base 4, risk ceil(203 * 2%) = 5; 1000: base
     * 10, risk 20; 1: base 1, risk 1; 77: base 1, risk 2. */
    CHECK_EQ(together.fee, 3 + 9 + 30 + 2 + 3);
    CHECK_EQ(together.risk_fee, 5 + 20 + 1 + 2);
    CHECK_EQ(together.fee, apart.fee);
    CHECK_EQ(together.risk_fee, apart.risk_fee);
    CHECK_EQ(together.minted, apart.minted);
    CHECK_EQ(together.burned, apart.burned);
    CHECK_EQ(together.burned, 77); /* bob was 500 in debt */
    check_same_ledger(&batch, &single);
    CHECK_EQ(balance_of(&batch, NET, &alice), 500 - 1778 - 47);
    CHECK_EQ(system_member(&batch, NET, TALLY_SYSTEM_FEES)->balance, 5 + 47);
    /* One sequence number for the whole batch. */
    CHECK_EQ(tally_state_next_sequence(batch.state, &alice.key), 2);
    CHECK_EQ(tally_state_next_sequence(single.state, &alice.key), 1 + count);
    world_free(&batch);
    world_free(&single);
}

TEST(batch_payment_is_all_or_nothing_with_fees_per_line) {
    test_world world;
    tally_policy policy = fee_policy();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    /* The third line passes the limit: nothing of the first two happens either
     * (world_apply compares the whole state before and after). */
    const line_spec lines[] = {{2, 400, NULL}, {3, 400, NULL}, {4, 400, NULL}, {5, 1, NULL}};
    tally_result refused = pay_batch(&world, 1, lines, 4, 100);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.line, 3);
    CHECK_EQ(refused.available, 1000 - 808); /* what the limit left after two lines and their fees */
    CHECK_EQ(refused.fee, 4);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 1); /* not consumed */
    /* Without it the batch goes through, fees per line. */
    const line_spec fitting[] = {{2, 400, NULL}, {3, 400, NULL}, {5, 1, NULL}};
    tally_result paid = pay_batch(&world, 1, fitting, 3, 100);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 4 + 4 + 1);
    CHECK_EQ(paid.minted, 801 + 9);
    CHECK_EQ(balance_of(&world, NET, &alice), -810);
    world_free(&world);
}

TEST(batch_limits_are_checked_as_one) {
    /* Each line alone fits the limit; together they do not, and the line that
     * passes it is named with the credit left at that point. */
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    const line_spec lines[] = {{2, 600, NULL}, {3, 600, NULL}};
    tally_result refused = pay_batch(&world, 1, lines, 2, 0);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.line, 2);
    CHECK_EQ(refused.available, 400);
    /* Exactly the limit in all still goes through. */
    const line_spec exact[] = {{2, 600, NULL}, {3, 400, NULL}};
    CHECK_CODE(pay_batch(&world, 1, exact, 2, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), -1000);
    /* The cap too: a payee's lines add up against it. */
    world_free(&world);
    policy.positive_cap = 1000;
    setup(&world, &policy);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 5000, 0, 0, 0).code, TALLY_OK);
    const line_spec capped[] = {{2, 600, NULL}, {3, 10, NULL}, {2, 500, NULL}};
    refused = pay_batch(&world, 1, capped, 3, 0);
    CHECK_CODE(refused.code, TALLY_ERR_CAP_REACHED);
    CHECK_EQ(refused.line, 3);
    CHECK_EQ(refused.available, 400); /* the cap less the 600 of line 1 */
    world_free(&world);
}

TEST(batch_max_fee_covers_all_lines_and_names_the_line_past_it) {
    test_world world;
    tally_policy policy = fee_policy();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100000, 0, 0, 0).code, TALLY_OK);
    /* Fees 10, 10, 10: a max_fee of 25 pays two lines; the third is named, with
     * the fees the batch needs up to it. */
    const line_spec lines[] = {{2, 1000, NULL}, {3, 1000, NULL}, {4, 1000, NULL}};
    tally_result refused = pay_batch(&world, 1, lines, 3, 25);
    CHECK_CODE(refused.code, TALLY_ERR_FEE_ABOVE_MAX);
    CHECK_EQ(refused.line, 3);
    CHECK_EQ(refused.available, 30);
    CHECK_CODE(pay_batch(&world, 1, lines, 3, 30).code, TALLY_OK);
    world_free(&world);
}

TEST(batch_refused_line_is_named_with_the_transfer_refusal) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), carol = actor(3);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    struct {
        line_spec bad;
        tally_error code;
    } cases[] = {
        {{99, 10, NULL}, TALLY_ERR_NOT_MEMBER},     /* never joined */
        {{1, 10, NULL}, TALLY_ERR_SELF_TRANSFER},   /* the payer itself */
        {{2, 0, NULL}, TALLY_ERR_AMOUNT_NOT_POSITIVE},
        {{2, -5, NULL}, TALLY_ERR_AMOUNT_NOT_POSITIVE},
        {{2, 10, "pay\xe2\x80\xaeme"}, TALLY_ERR_DECODE_BAD_TEXT}, /* U+202E: the codec refuses it on the wire */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const line_spec lines[] = {{2, 10, NULL}, {3, 10, NULL}, cases[i].bad, {4, 10, NULL}};
        tally_result refused = pay_batch(&world, 1, lines, 4, 0);
        CHECK_CODE(refused.code, cases[i].code);
        CHECK_EQ(refused.line, 3);
    }
    /* A system account as payee. */
    tally_tx tx = batch_tx(&world, 1, NET, (const line_spec[]){{2, 10, NULL}, {3, 10, NULL}}, 2, 0);
    tx.body.transfer_batch.lines[1].payee = tally_system_key(NET, TALLY_SYSTEM_FEES);
    tally_result refused = world_apply(&world, &tx);
    CHECK_CODE(refused.code, TALLY_ERR_SYSTEM_ACCOUNT);
    CHECK_EQ(refused.line, 2);
    /* A memo one byte too long for a line (the codec would not encode it). */
    tx.body.transfer_batch.lines[1].payee = carol.key;
    tx.body.transfer_batch.lines[1].memo.length = TALLY_BATCH_MEMO_MAX + 1;
    refused = world_apply(&world, &tx);
    CHECK_CODE(refused.code, TALLY_ERR_DECODE_BAD_LENGTH);
    CHECK_EQ(refused.line, 2);
    tally_tx_release(&tx);
    /* A payee who left. */
    test_actor dave = actor(4);
    tally_tx leave = world_tx(&world, &dave, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    refused = pay_batch(&world, 1, (const line_spec[]){{2, 10, NULL}, {4, 10, NULL}}, 2, 0);
    CHECK_CODE(refused.code, TALLY_ERR_NOT_MEMBER);
    CHECK_EQ(refused.line, 2);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    world_free(&world);
}

TEST(batch_refusals_of_the_whole_batch_name_line_zero) {
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    const line_spec lines[] = {{2, 10, NULL}};
    tally_tx tx = batch_tx(&world, 1, 7, lines, 1, 0);
    tally_result refused = world_apply(&world, &tx);
    CHECK_CODE(refused.code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_EQ(refused.line, 0);
    tally_tx_release(&tx);
    /* A payer who is no member. */
    tx = batch_tx(&world, 50, NET, lines, 1, 0);
    refused = world_apply(&world, &tx);
    CHECK_CODE(refused.code, TALLY_ERR_NOT_MEMBER);
    CHECK_EQ(refused.line, 0);
    /* No lines, or lines missing (built in memory: the codec refuses both). */
    tx.signer = actor(1).key;
    tx.sequence = 1;
    tally_batch_line *lines_held = tx.body.transfer_batch.lines;
    tx.body.transfer_batch.line_count = 0;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_DECODE_BAD_LENGTH);
    tx.body.transfer_batch.line_count = 1;
    tx.body.transfer_batch.lines = NULL;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_DECODE_BAD_LENGTH);
    tx.body.transfer_batch.lines = lines_held;
    tx.body.transfer_batch.line_count = TALLY_BATCH_LINES_MAX + 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_DECODE_BAD_LENGTH);
    tx.body.transfer_batch.line_count = 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_INSUFFICIENT_CREDIT); /* alice has nothing */
    tally_tx_release(&tx);
    world_free(&world);
}

TEST(batch_standing_of_the_payer_applies_per_line) {
    /* A suspended payer spends only its positive balance: the line that would go
     * below zero is named MEMBER_SUSPENDED, with what was left. */
    test_world world;
    tally_policy policy = policy_default();
    setup(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 100, 0).code, TALLY_OK);
    tally_tx suspend = world_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND);
    suspend.body.network_key.network_id = NET;
    suspend.body.network_key.key = alice.key;
    CHECK_CODE(world_apply(&world, &suspend).code, TALLY_OK);
    const line_spec lines[] = {{3, 60, NULL}, {4, 60, NULL}};
    tally_result refused = pay_batch(&world, 1, lines, 2, 0);
    CHECK_CODE(refused.code, TALLY_ERR_MEMBER_SUSPENDED);
    CHECK_EQ(refused.line, 2);
    CHECK_EQ(refused.available, 40);
    const line_spec within[] = {{3, 60, NULL}, {4, 40, NULL}};
    CHECK_CODE(pay_batch(&world, 1, within, 2, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &alice), 0);
    /* A frozen line likewise: alice's period ends in debt, grace freezes it. */
    world_free(&world);
    setup(&world, &policy);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 100, 0).code, TALLY_OK);
    world_advance_to(&world, world.time + 31 * DAY);
    REQUIRE(member_of(&world, NET, &alice)->line_status == TALLY_LINE_FROZEN);
    refused = pay_batch(&world, 1, (const line_spec[]){{3, 1, NULL}}, 1, 0);
    CHECK_CODE(refused.code, TALLY_ERR_LINE_FROZEN);
    CHECK_EQ(refused.line, 1);
    CHECK_EQ(refused.available, 0);
    world_free(&world);
}

TEST(batch_pays_a_payee_in_several_lines_as_transfers_would) {
    /* Bob is paid in three lines, frozen in debt before: the line that brings him
     * back to zero unfreezes his line (a due entry), the lines after count as his
     * income of the new period; all as three transfers would. */
    test_world batch, single;
    tally_policy policy = fee_policy();
    policy.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
    setup(&batch, &policy);
    setup(&single, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    test_world *worlds[] = {&batch, &single};
    for (int w = 0; w < 2; w++) {
        CHECK_CODE(do_open_line(worlds[w], &op, NET, &alice, 5000, 0, 0, 100).code, TALLY_OK);
        CHECK_CODE(do_open_line(worlds[w], &op, NET, &bob, 5000, 0, 0, 0).code, TALLY_OK);
        CHECK_CODE(do_pay(worlds[w], &bob, NET, &carol, 250, 100).code, TALLY_OK); /* bob -253 */
        world_advance_to(worlds[w], worlds[w]->time + 31 * DAY);
        REQUIRE(member_of(worlds[w], NET, &bob)->line_status == TALLY_LINE_FROZEN);
    }
    const line_spec lines[] = {{2, 100, "one"}, {3, 5, NULL}, {2, 200, "two"}, {2, 300, "three"}};
    tally_result together = pay_batch(&batch, 1, lines, 4, 1000);
    CHECK_CODE(together.code, TALLY_OK);
    tally_result apart = pay_one_by_one(&single, 1, lines, 4);
    CHECK_EQ(together.fee, apart.fee);
    CHECK_EQ(together.burned, 253);
    CHECK_EQ(together.burned, apart.burned);
    CHECK_EQ(balance_of(&batch, NET, &bob), -253 + 600);
    CHECK(member_of(&batch, NET, &bob)->line_status == TALLY_LINE_ACTIVE);
    CHECK_EQ(member_of(&batch, NET, &bob)->income_in_period, 300);
    check_same_ledger(&batch, &single);
    /* And the due entries they queued come due alike. */
    for (int w = 0; w < 2; w++) world_advance_to(worlds[w], worlds[w]->time + 40 * DAY);
    check_same_ledger(&batch, &single);
    world_free(&batch);
    world_free(&single);
}

TEST(batch_of_the_longest_encoding_applies) {
    /* 256 lines to 256 members, each with a 64-byte memo: the longest transaction
     * decodes from its bytes and pays every line. */
    enum { PAYEES = TALLY_BATCH_LINES_MAX };
    test_world world;
    tally_policy policy = fee_policy();
    world_init(&world);
    test_actor founder = actor(0), alice = actor(1);
    CHECK_CODE(do_create_network(&world, &founder, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= PAYEES + 1; i++) {
        test_actor member = actor(i);
        REQUIRE(do_admit(&world, &founder, NET, &member).code == TALLY_OK);
    }
    CHECK_CODE(do_open_line(&world, &founder, NET, &alice, 1000000, 0, 0, 50).code, TALLY_OK);
    static line_spec lines[PAYEES];
    static char memos[PAYEES][TALLY_BATCH_MEMO_MAX + 1];
    for (unsigned i = 0; i < PAYEES; i++) {
        snprintf(memos[i], sizeof memos[i], "salary 2026-01 employee %03u, cost centre 7, thank you!!!!!!!", i);
        memset(memos[i] + strlen(memos[i]), '!', TALLY_BATCH_MEMO_MAX - strlen(memos[i]));
        memos[i][TALLY_BATCH_MEMO_MAX] = '\0';
        lines[i] = (line_spec){i + 2, 1000 + i, memos[i]};
    }
    tally_tx tx = batch_tx(&world, 1, NET, lines, PAYEES, 1000000);
    test_actor signer = actor(1);
    tally_tx_sign(&tx, signer.secret);
    uint8_t *bytes = malloc(TALLY_TX_ENCODED_MAX);
    REQUIRE(bytes != NULL);
    CHECK_EQ(tally_tx_encode(&tx, bytes, TALLY_TX_ENCODED_MAX), TALLY_TX_ENCODED_MAX);
    tally_tx decoded;
    CHECK_CODE(tally_tx_decode(bytes, TALLY_TX_ENCODED_MAX, &decoded), TALLY_OK);
    CHECK(tally_tx_verify(&decoded));
    tally_result paid = tally_apply_signed(world.state, &decoded, world.time);
    CHECK_CODE(paid.code, TALLY_OK);
    int64_t total = 0, fees = 0;
    for (unsigned i = 0; i < PAYEES; i++) {
        test_actor payee = actor(i + 2);
        CHECK_EQ(balance_of(&world, NET, &payee), 1000 + i);
        total += 1000 + i;
        fees += (1000 + i + 99) / 100 + (1000 + i + 199) / 200;
    }
    CHECK_EQ(paid.fee, fees);
    CHECK_EQ(balance_of(&world, NET, &alice), -total - fees);
    char why[256];
    CHECK(tally_check_invariants(world.state, why, sizeof why));
    tally_tx_release(&decoded);
    tally_tx_release(&tx);
    free(bytes);
    world_free(&world);
}
