/*
 * test_network.c: networks (creation, policy, peg), operators, membership (open join,
 * admission, suspension, reinstatement, leaving at zero balance, joining again) and
 * aliases, with every refusal they can meet.
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { NET = 1 };

static tally_tx create_tx(const test_world *world, const test_actor *founder) {
    tally_tx tx = world_tx(world, founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale LETS");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    return tx;
}

TEST(network_create_makes_founder_operator_and_system_accounts) {
    test_world world;
    world_init(&world);
    test_actor founder = actor(0);
    tally_tx tx = create_tx(&world, &founder);
    tally_result created = world_apply(&world, &tx);
    CHECK_CODE(created.code, TALLY_OK);
    CHECK_EQ(created.created_id, 1);
    const tally_network *network = tally_state_network(world.state, 1);
    REQUIRE(network != NULL);
    CHECK(strcmp(network->name, "Greenvale LETS") == 0);
    CHECK(strcmp(network->unit_code, "GVH") == 0);
    CHECK_EQ(network->decimals, 2);
    CHECK_EQ(network->operator_count, 1);
    CHECK(memcmp(network->operators[0].bytes, founder.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(system_member(&world, 1, TALLY_SYSTEM_FEES)->status, TALLY_MEMBER_SYSTEM);
    CHECK_EQ(system_member(&world, 1, TALLY_SYSTEM_LOST_DEBT)->system_kind, TALLY_SYSTEM_LOST_DEBT);
    CHECK_EQ(system_member(&world, 1, TALLY_SYSTEM_POOL)->system_kind, TALLY_SYSTEM_POOL);
    CHECK_EQ(network->member_count, 0);
    /* a second network gets id 2 and its own system accounts */
    tx = create_tx(&world, &founder);
    text_set(&tx.body.network_create.name, "Riverside LETS");
    CHECK_EQ(world_apply(&world, &tx).created_id, 2);
    CHECK(system_member(&world, 2, TALLY_SYSTEM_FEES) != system_member(&world, 1, TALLY_SYSTEM_FEES));
    world_free(&world);
}

TEST(network_create_refusals) {
    test_world world;
    world_init(&world);
    test_actor founder = actor(0);
    tally_tx tx = create_tx(&world, &founder);
    text_set(&tx.body.network_create.name, "");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_NAME);
    tx = create_tx(&world, &founder);
    text_set(&tx.body.network_create.name, "tab\there");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_NAME);
    tx = create_tx(&world, &founder);
    text_set(&tx.body.network_create.name, "C1 \xc2\x85 control");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_NAME);
    tx = create_tx(&world, &founder);
    text_set(&tx.body.network_create.name, "Gr\xc3\xbcnwald \xe2\x82\xac"); /* UTF-8 is fine */
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    tx = create_tx(&world, &founder);
    tx.body.network_create.name.length = TALLY_NAME_MAX + 1;
    memset(tx.body.network_create.name.bytes, 'a', TALLY_NAME_MAX + 1);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_NAME);
    const char *bad_codes[] = {"", "gvh", "G-H", "TOOLONGCODE"};
    for (int i = 0; i < 4; i++) {
        tx = create_tx(&world, &founder);
        text_set(&tx.body.network_create.unit_code, bad_codes[i]);
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_CODE);
    }
    tx = create_tx(&world, &founder);
    tx.body.network_create.decimals = 10;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_DECIMALS);

    /* each policy field out of range */
    for (int field = 0; field < 9; field++) {
        tx = create_tx(&world, &founder);
        tally_policy *policy = &tx.body.network_create.policy;
        switch (field) {
        case 0: policy->default_credit_limit = -1; break;
        case 1: policy->default_credit_limit = 10, policy->max_credit_limit = 9; break;
        case 2: policy->positive_cap = -1; break;
        case 3: policy->fee_bps = 10001; break;
        case 4: policy->period_seconds = 0; break;
        case 5: policy->target_rtd_bps = 10001; break;
        case 6: policy->compliance_rule = TALLY_COMPLIANCE_COUNT; break;
        case 7: policy->membership_mode = TALLY_MEMBERSHIP_COUNT; break;
        case 8: policy->default_risk_fee_bps = 10001; break;
        }
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_POLICY);
    }
    CHECK_EQ(tally_state_network_count(world.state), 1);
    world_free(&world);
}

TEST(network_policy_update_by_operators_only) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), other = actor(1);
    tally_tx tx = create_tx(&world, &op);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    tx = world_tx(&world, &other, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    tx.body.policy_update.policy = policy_default();
    tx.body.policy_update.policy.fee_bps = 25;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_NOT_OPERATOR);
    tx.signer = op.key;
    tx.sequence = tally_state_next_sequence(world.state, &op.key);
    tx.body.policy_update.network_id = 2;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_UNKNOWN_NETWORK);
    tx.body.policy_update.network_id = NET;
    tx.body.policy_update.policy.period_seconds = 0;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_POLICY);
    tx.body.policy_update.policy.period_seconds = DAY;
    tally_result updated = world_apply(&world, &tx);
    CHECK_CODE(updated.code, TALLY_OK);
    /* the period changes at once; a higher fee is announced and waits the notice */
    CHECK_EQ(tally_state_network(world.state, NET)->policy.period_seconds, DAY);
    CHECK_EQ(tally_state_network(world.state, NET)->policy.fee_bps, 0);
    CHECK_EQ(updated.effective_at, WORLD_START_TIME + TALLY_NOTICE_SECONDS_MIN);
    CHECK_EQ(world_advance_to(&world, WORLD_START_TIME + TALLY_NOTICE_SECONDS_MIN).policy_changes, 1);
    CHECK_EQ(tally_state_network(world.state, NET)->policy.fee_bps, 25);
    world_free(&world);
}

static tally_result operator_tx(test_world *world, const test_actor *signer, tally_tx_type type,
                                const tally_key *key) {
    tally_tx tx = world_tx(world, signer, type);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = *key;
    return world_apply(world, &tx);
}

TEST(network_operators_add_and_remove) {
    test_world world;
    world_init(&world);
    test_actor founder = actor(0), second = actor(1), outsider = actor(2);
    tally_tx tx = create_tx(&world, &founder);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_CODE(operator_tx(&world, &outsider, TALLY_TX_OPERATOR_ADD, &outsider.key).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(operator_tx(&world, &founder, TALLY_TX_OPERATOR_ADD, &second.key).code, TALLY_OK);
    CHECK_CODE(operator_tx(&world, &founder, TALLY_TX_OPERATOR_ADD, &second.key).code, TALLY_ERR_ALREADY_OPERATOR);
    tally_key system = tally_system_key(NET, TALLY_SYSTEM_FEES);
    CHECK_CODE(operator_tx(&world, &founder, TALLY_TX_OPERATOR_ADD, &system).code, TALLY_ERR_SYSTEM_ACCOUNT);
    /* the new operator acts, and removes the founder */
    CHECK_CODE(do_admit(&world, &second, NET, &outsider).code, TALLY_OK);
    CHECK_CODE(operator_tx(&world, &second, TALLY_TX_OPERATOR_REMOVE, &outsider.key).code, TALLY_ERR_UNKNOWN_OPERATOR);
    CHECK_CODE(operator_tx(&world, &second, TALLY_TX_OPERATOR_REMOVE, &founder.key).code, TALLY_OK);
    CHECK_EQ(tally_state_network(world.state, NET)->operator_count, 1);
    test_actor fifth = actor(5);
    CHECK_CODE(do_admit(&world, &founder, NET, &fifth).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(operator_tx(&world, &second, TALLY_TX_OPERATOR_REMOVE, &second.key).code, TALLY_ERR_LAST_OPERATOR);
    /* at most 16 */
    for (uint32_t i = 100; i < 115; i++) {
        test_actor extra = actor(i);
        CHECK_CODE(operator_tx(&world, &second, TALLY_TX_OPERATOR_ADD, &extra.key).code, TALLY_OK);
    }
    test_actor seventeenth = actor(200);
    CHECK_CODE(operator_tx(&world, &second, TALLY_TX_OPERATOR_ADD, &seventeenth.key).code, TALLY_ERR_TOO_MANY_OPERATORS);
    world_free(&world);
}

TEST(membership_open_join_and_admission) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    tally_policy policy = policy_default();
    policy.default_credit_limit = 300;
    policy.default_risk_fee_bps = 50;
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    tally_tx tx = world_tx(&world, &alice, TALLY_TX_MEMBER_JOIN);
    tx.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    const tally_member *member = member_of(&world, NET, &alice);
    CHECK_EQ(member->status, TALLY_MEMBER_ACTIVE);
    CHECK_EQ(member->joined_at, WORLD_START_TIME);
    /* the default credit limit opens a line at once */
    CHECK_EQ(member->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(member->limit, 300);
    CHECK_EQ(member->risk_fee_bps, 50);
    CHECK_EQ(member->period_end, WORLD_START_TIME + 30 * DAY);
    tx = world_tx(&world, &alice, TALLY_TX_MEMBER_JOIN);
    tx.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_ALREADY_MEMBER);
    tx.body.network_only.network_id = 3;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_EQ(tally_state_network(world.state, NET)->member_count, 1);

    /* switch to admission */
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    tx.body.policy_update.policy = policy;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    tx = world_tx(&world, &bob, TALLY_TX_MEMBER_JOIN);
    tx.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_ADMISSION_REQUIRED);
    CHECK_CODE(do_admit(&world, &alice, NET, &bob).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_ERR_ALREADY_MEMBER);
    test_actor system_actor = actor(3);
    system_actor.key = tally_system_key(NET, TALLY_SYSTEM_FEES);
    CHECK_CODE(do_admit(&world, &op, NET, &system_actor).code, TALLY_ERR_SYSTEM_ACCOUNT);
    CHECK_EQ(tally_state_network(world.state, NET)->member_count, 2);
    world_free(&world);
}

TEST(membership_suspend_and_reinstate) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), stranger = actor(9);
    tally_policy policy = policy_default();
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(operator_tx(&world, &alice, TALLY_TX_MEMBER_SUSPEND, &alice.key).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND, &stranger.key).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE, &alice.key).code, TALLY_ERR_MEMBER_NOT_SUSPENDED);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND, &alice.key).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->status, TALLY_MEMBER_SUSPENDED);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND, &alice.key).code, TALLY_ERR_MEMBER_SUSPENDED);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE, &alice.key).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->status, TALLY_MEMBER_ACTIVE);
    tally_key system = tally_system_key(NET, TALLY_SYSTEM_LOST_DEBT);
    CHECK_CODE(operator_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND, &system).code, TALLY_ERR_SYSTEM_ACCOUNT);
    world_free(&world);
}

static tally_result leave(test_world *world, const test_actor *member) {
    tally_tx tx = world_tx(world, member, TALLY_TX_MEMBER_LEAVE);
    tx.body.network_only.network_id = NET;
    return world_apply(world, &tx);
}

static tally_result set_alias(test_world *world, const test_actor *member, const char *alias) {
    tally_tx tx = world_tx(world, member, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = NET;
    text_set(&tx.body.alias_set.alias, alias);
    return world_apply(world, &tx);
}

TEST(membership_leave_only_at_zero_balance_and_rejoin) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    tally_policy policy = policy_default();
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(set_alias(&world, &alice, "alice").code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 40, 0).code, TALLY_OK);
    tally_result owing = leave(&world, &alice);
    CHECK_CODE(owing.code, TALLY_ERR_BALANCE_NOT_ZERO);
    CHECK_EQ(owing.available, -40);
    CHECK_CODE(leave(&world, &bob).code, TALLY_ERR_BALANCE_NOT_ZERO);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 40, 0).code, TALLY_OK);
    CHECK_CODE(leave(&world, &alice).code, TALLY_OK);
    const tally_member *left = member_of(&world, NET, &alice);
    CHECK_EQ(left->status, TALLY_MEMBER_LEFT);
    CHECK_EQ(left->line_status, TALLY_LINE_CLOSED);
    CHECK_EQ(left->limit, 0);
    CHECK(tally_state_member_by_alias(world.state, NET, "alice", 5) == NULL);
    CHECK_EQ(tally_state_network(world.state, NET)->member_count, 1);
    CHECK_CODE(leave(&world, &alice).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 1, 0).code, TALLY_ERR_NOT_MEMBER);
    /* the alias is free for others; alice may come back */
    CHECK_CODE(set_alias(&world, &bob, "alice").code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->status, TALLY_MEMBER_ACTIVE);
    CHECK_EQ(tally_state_network(world.state, NET)->member_count, 2);
    world_free(&world);
}

TEST(membership_aliases_unique_per_network) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), stranger = actor(3);
    tally_policy policy = policy_default();
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, 2, &bob).code, TALLY_OK);
    CHECK_CODE(set_alias(&world, &alice, "alice.smith-1_x").code, TALLY_OK);
    CHECK_CODE(set_alias(&world, &alice, "alice.smith-1_x").code, TALLY_OK); /* own alias again */
    CHECK_CODE(set_alias(&world, &bob, "alice.smith-1_x").code, TALLY_ERR_ALIAS_TAKEN);
    const char *bad[] = {"Alice", "al ice", "al@ce", "abcdefghijklmnopqrstuvwxyz0123456"};
    for (int i = 0; i < 4; i++) CHECK_CODE(set_alias(&world, &bob, bad[i]).code, TALLY_ERR_BAD_ALIAS);
    CHECK_CODE(set_alias(&world, &stranger, "stranger").code, TALLY_ERR_NOT_MEMBER);
    /* the same alias in another network is another alias */
    tally_tx tx = world_tx(&world, &bob, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = 2;
    text_set(&tx.body.alias_set.alias, "alice.smith-1_x");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    const tally_member *found = tally_state_member_by_alias(world.state, NET, "alice.smith-1_x", 15);
    CHECK(found == member_of(&world, NET, &alice));
    /* renaming frees the old alias; an empty alias clears it */
    CHECK_CODE(set_alias(&world, &alice, "al").code, TALLY_OK);
    CHECK(tally_state_member_by_alias(world.state, NET, "alice.smith-1_x", 15) == NULL);
    CHECK_CODE(set_alias(&world, &bob, "alice.smith-1_x").code, TALLY_OK);
    CHECK_CODE(set_alias(&world, &alice, "").code, TALLY_OK);
    CHECK(tally_state_member_by_alias(world.state, NET, "al", 2) == NULL);
    CHECK_EQ(member_of(&world, NET, &alice)->alias[0], 0);
    world_free(&world);
}
