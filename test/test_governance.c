/*
 * test_governance.c: a network its members govern (docs/UNDERWRITING.md section 6),
 * with the issue's checks: a proposal that passes with quorum and threshold is
 * applied exactly when its timelock runs out; one vote short of quorum it fails;
 * votes after the end are refused; a member admitted after the proposal was made
 * cannot vote on it; quorum reached in the vote's last day extends it, once; a
 * cancelled proposal is never applied; an operator cannot change the policy directly.
 * Also the weightings, a gateway proposed by a vote, an action refused when applied,
 * the emergency powers and every refusal.
 */
#include "fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

enum { NET = 1, MEMBERS = 10 };

#define VOTE_DAYS 7
#define TIMELOCK_DAYS 2

typedef struct {
    test_world world;
    test_actor op, members[MEMBERS + 1]; /* members[1..10] */
} cast;

static tally_policy governed_policy(uint8_t weighting) {
    tally_policy policy = policy_default();
    tally_policy defaults; /* for the protocol's reputation rule */
    tally_policy_defaults(&defaults);
    policy.reputation = defaults.reputation;
    policy.governance = (tally_governance_rule){TALLY_GOVERNANCE_MEMBERS, weighting, 5000, 6000, VOTE_DAYS * DAY,
                                                TIMELOCK_DAYS * DAY, DAY, true, false};
    return policy;
}

/* Network 1, governed by its ten members, quorum 50% of the eligible weight,
 * threshold 60% of yes + no, a week's vote, two days' timelock, a day's late-quorum
 * extension; operators may still suspend. */
static void set_up(cast *c, uint8_t weighting) {
    world_init(&c->world);
    c->op = actor(0);
    tally_policy policy = governed_policy(weighting);
    CHECK_CODE(do_create_network(&c->world, &c->op, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= MEMBERS; i++) {
        c->members[i] = actor(i);
        CHECK_CODE(do_admit(&c->world, &c->op, NET, &c->members[i]).code, TALLY_OK);
    }
}

/* A proposal to raise max_members to `max_members` (a change that needs no notice). */
static tally_result propose_max_members(cast *c, const test_actor *proposer, uint32_t max_members) {
    tally_tx tx = world_tx(&c->world, proposer, TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_POLICY_UPDATE;
    tx.body.proposal_create.action.policy = tally_state_network(c->world.state, NET)->policy;
    tx.body.proposal_create.action.policy.max_members = max_members;
    return world_apply(&c->world, &tx);
}

static tally_result vote(cast *c, const test_actor *voter, uint32_t proposal, tally_vote_choice choice) {
    tally_tx tx = world_tx(&c->world, voter, TALLY_TX_PROPOSAL_VOTE);
    tx.body.proposal_vote = (tally_tx_proposal_vote){proposal, (uint8_t)choice};
    return world_apply(&c->world, &tx);
}

static const tally_proposal *proposal(const cast *c, uint32_t id) { return tally_state_proposal(c->world.state, id); }

TEST(governance_a_proposal_with_quorum_and_threshold_applies_exactly_after_its_timelock) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    tally_result made = propose_max_members(&c, &c.members[1], 500);
    CHECK_CODE(made.code, TALLY_OK);
    CHECK_EQ(made.created_id, 1);
    const tally_proposal *p = proposal(&c, 1);
    CHECK_EQ(p->eligible_weight, 10);
    CHECK_EQ(p->voting_ends_at, WORLD_START_TIME + VOTE_DAYS * DAY);
    /* 4 yes and 1 no: 5 of 10 cast (quorum 50%), 4 of 5 yes (threshold 60%) */
    for (uint32_t i = 1; i <= 4; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[5], 1, TALLY_VOTE_NO).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 1)->yes, 4);
    CHECK_EQ(proposal(&c, 1)->no, 1);
    CHECK_EQ(proposal(&c, 1)->voters, 5);
    const tally_vote *cast_vote = tally_state_vote(c.world.state, 1, &c.members[5].key);
    REQUIRE(cast_vote != NULL);
    CHECK_EQ(cast_vote->choice, TALLY_VOTE_NO);
    int64_t end = WORLD_START_TIME + VOTE_DAYS * DAY, applies = end + TIMELOCK_DAYS * DAY;
    world_advance_to(&c.world, end - 1);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_VOTING);
    world_advance_to(&c.world, end);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_PASSED);
    CHECK_EQ(proposal(&c, 1)->executes_at, applies);
    world_advance_to(&c.world, applies - 1);
    CHECK_EQ(tally_state_network(c.world.state, NET)->policy.max_members, 100000);
    world_advance_to(&c.world, applies);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_EXECUTED);
    CHECK_CODE(proposal(&c, 1)->result, TALLY_OK);
    CHECK_EQ(tally_state_network(c.world.state, NET)->policy.max_members, 500);
    CHECK_EQ(tally_state_network(c.world.state, NET)->proposals_open, 0);
    world_free(&c.world);
}

TEST(governance_one_vote_short_of_quorum_fails_and_so_does_too_few_yes) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    for (uint32_t i = 1; i <= 4; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    /* a second one: quorum, but 3 yes of 5 decided is 60%... and 2 abstain do not count as decided */
    CHECK_CODE(propose_max_members(&c, &c.members[2], 600).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) CHECK_CODE(vote(&c, &c.members[i], 2, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[4], 2, TALLY_VOTE_NO).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[5], 2, TALLY_VOTE_NO).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[6], 2, TALLY_VOTE_ABSTAIN).code, TALLY_OK);
    /* a third: quorum, 2 yes of 5 decided (40% < 60%) */
    CHECK_CODE(propose_max_members(&c, &c.members[3], 700).code, TALLY_OK);
    for (uint32_t i = 1; i <= 2; i++) CHECK_CODE(vote(&c, &c.members[i], 3, TALLY_VOTE_YES).code, TALLY_OK);
    for (uint32_t i = 3; i <= 5; i++) CHECK_CODE(vote(&c, &c.members[i], 3, TALLY_VOTE_NO).code, TALLY_OK);
    world_advance_to(&c.world, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_REJECTED); /* 4 of 10: no quorum */
    CHECK_EQ(proposal(&c, 2)->status, TALLY_PROPOSAL_EXECUTED); /* 3 of 5 decided: exactly 60% */
    CHECK_EQ(proposal(&c, 3)->status, TALLY_PROPOSAL_REJECTED);
    CHECK_EQ(tally_state_network(c.world.state, NET)->policy.max_members, 600);
    world_free(&c.world);
}

TEST(governance_votes_after_the_end_and_members_admitted_after_are_refused) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    test_actor late = actor(11);
    CHECK_CODE(do_admit(&c.world, &c.op, NET, &late).code, TALLY_OK);
    CHECK_CODE(vote(&c, &late, 1, TALLY_VOTE_YES).code, TALLY_ERR_NOT_ELIGIBLE);
    /* it votes on proposals made after it joined */
    CHECK_CODE(propose_max_members(&c, &c.members[2], 600).code, TALLY_OK);
    CHECK_CODE(vote(&c, &late, 2, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 2)->eligible_weight, 11);
    /* a member who left and joined again since is as new */
    tally_tx leave = world_tx(&c.world, &c.members[9], TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&c.world, &leave).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[9], 1, TALLY_VOTE_YES).code, TALLY_ERR_NOT_MEMBER);
    tally_tx join = world_tx(&c.world, &c.members[9], TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&c.world, &join).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[9], 1, TALLY_VOTE_YES).code, TALLY_ERR_NOT_ELIGIBLE);
    /* once, and not after the end */
    CHECK_CODE(vote(&c, &c.members[1], 1, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[1], 1, TALLY_VOTE_NO).code, TALLY_ERR_ALREADY_VOTED);
    c.world.time = WORLD_START_TIME + VOTE_DAYS * DAY - 1;
    CHECK_CODE(vote(&c, &c.members[2], 1, TALLY_VOTE_YES).code, TALLY_OK);
    c.world.time = WORLD_START_TIME + VOTE_DAYS * DAY;
    CHECK_CODE(vote(&c, &c.members[3], 1, TALLY_VOTE_YES).code, TALLY_ERR_VOTING_ENDED);
    world_advance_to(&c.world, WORLD_START_TIME + VOTE_DAYS * DAY);
    CHECK_CODE(vote(&c, &c.members[3], 1, TALLY_VOTE_YES).code, TALLY_ERR_VOTING_ENDED);
    CHECK_CODE(vote(&c, &c.members[3], 99, TALLY_VOTE_YES).code, TALLY_ERR_PROPOSAL_NOT_FOUND);
    world_free(&c.world);
}

TEST(governance_quorum_reached_in_the_last_day_extends_the_vote_once) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    int64_t end = WORLD_START_TIME + VOTE_DAYS * DAY;
    for (uint32_t i = 1; i <= 4; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    /* the fifth vote, 12 hours before the end, brings quorum: one more day */
    c.world.time = end - DAY / 2;
    CHECK_CODE(vote(&c, &c.members[5], 1, TALLY_VOTE_NO).code, TALLY_OK);
    CHECK(proposal(&c, 1)->extended);
    CHECK_EQ(proposal(&c, 1)->voting_ends_at, end + DAY);
    /* the old end is no end any more: a vote there counts */
    world_advance_to(&c.world, end);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_VOTING);
    c.world.time = end + DAY / 2;
    CHECK_CODE(vote(&c, &c.members[6], 1, TALLY_VOTE_NO).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[7], 1, TALLY_VOTE_NO).code, TALLY_OK);
    /* once: more votes in the new last day change nothing */
    CHECK_EQ(proposal(&c, 1)->voting_ends_at, end + DAY);
    world_advance_to(&c.world, end + DAY);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_REJECTED); /* 4 yes of 7: 57% */
    /* quorum reached earlier than the last day extends nothing */
    CHECK_CODE(propose_max_members(&c, &c.members[1], 600).code, TALLY_OK);
    for (uint32_t i = 1; i <= 5; i++) CHECK_CODE(vote(&c, &c.members[i], 2, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK(!proposal(&c, 2)->extended);
    world_free(&c.world);
}

TEST(governance_a_cancelled_proposal_is_never_applied) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    for (uint32_t i = 1; i <= 6; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    tally_tx cancel = world_tx(&c.world, &c.members[2], TALLY_TX_PROPOSAL_CANCEL);
    cancel.body.proposal_vote.proposal_id = 1;
    CHECK_CODE(world_apply(&c.world, &cancel).code, TALLY_ERR_NOT_PROPOSER);
    cancel = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CANCEL);
    cancel.body.proposal_vote.proposal_id = 1;
    CHECK_CODE(world_apply(&c.world, &cancel).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_CANCELLED);
    CHECK_CODE(vote(&c, &c.members[7], 1, TALLY_VOTE_YES).code, TALLY_ERR_VOTING_ENDED);
    world_advance_to(&c.world, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_CANCELLED);
    CHECK_EQ(tally_state_network(c.world.state, NET)->policy.max_members, 100000);
    /* too late to cancel once the vote ended */
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    world_advance_to(&c.world, c.world.time + VOTE_DAYS * DAY);
    cancel = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CANCEL);
    cancel.body.proposal_vote.proposal_id = 2;
    CHECK_CODE(world_apply(&c.world, &cancel).code, TALLY_ERR_VOTING_ENDED);
    world_free(&c.world);
}

TEST(governance_operators_keep_only_the_emergency_powers_granted) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    tally_tx update = world_tx(&c.world, &c.op, TALLY_TX_POLICY_UPDATE);
    update.body.policy_update.network_id = NET;
    update.body.policy_update.policy = tally_state_network(c.world.state, NET)->policy;
    update.body.policy_update.policy.max_members = 5;
    CHECK_CODE(tally_tx_admissible(c.world.state, &update, c.world.time), TALLY_ERR_GOVERNED_BY_MEMBERS);
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_GOVERNED_BY_MEMBERS);
    /* a stranger is still no operator */
    test_actor stranger = actor(40);
    update = world_tx(&c.world, &stranger, TALLY_TX_POLICY_UPDATE);
    update.body.policy_update.network_id = NET;
    update.body.policy_update.policy = tally_state_network(c.world.state, NET)->policy;
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_NOT_OPERATOR);
    tally_tx add = world_tx(&c.world, &c.op, TALLY_TX_OPERATOR_ADD);
    add.body.network_key = (tally_tx_network_key){NET, stranger.key};
    CHECK_CODE(world_apply(&c.world, &add).code, TALLY_ERR_GOVERNED_BY_MEMBERS);
    CHECK_CODE(do_set_peg(&c.world, &c.op, NET, 0, 0, 0).code, TALLY_ERR_GOVERNED_BY_MEMBERS);
    /* suspension is an emergency power this network granted; lines and admissions
     * stay the operators' work */
    tally_tx suspend = world_tx(&c.world, &c.op, TALLY_TX_MEMBER_SUSPEND);
    suspend.body.network_key = (tally_tx_network_key){NET, c.members[10].key};
    CHECK_CODE(world_apply(&c.world, &suspend).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c.world, &c.op, NET, &c.members[1], 100, 0, 0, 0).code, TALLY_OK);
    /* a suspended member neither proposes nor votes */
    CHECK_CODE(propose_max_members(&c, &c.members[10], 500).code, TALLY_ERR_MEMBER_SUSPENDED);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 1)->eligible_weight, 9);
    CHECK_CODE(vote(&c, &c.members[10], 1, TALLY_VOTE_YES).code, TALLY_ERR_NOT_ELIGIBLE);
    /* an operators' network takes no proposals */
    test_actor founder = actor(50);
    tally_policy plain = policy_default();
    CHECK_CODE(do_create_network(&c.world, &founder, &plain).code, TALLY_OK);
    CHECK_CODE(do_admit(&c.world, &founder, 2, &c.members[1]).code, TALLY_OK);
    tally_tx elsewhere = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CREATE);
    elsewhere.body.proposal_create.network_id = 2;
    elsewhere.body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
    elsewhere.body.proposal_create.action.key = stranger.key;
    CHECK_CODE(world_apply(&c.world, &elsewhere).code, TALLY_ERR_NOT_GOVERNED_BY_MEMBERS);
    world_free(&c.world);
}

TEST(governance_actions_and_their_refusals) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    tally_tx tx = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_TRANSFER; /* not a change operators make */
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_BAD_ACTION);
    tx.body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
    tx.body.proposal_create.action.key = actor(41).key;
    tx.body.proposal_create.action.gateway_id = 3; /* a field its kind does not use */
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_BAD_ACTION);
    CHECK(!tally_tx_unused_fields_zero(&tx));
    tx.body.proposal_create.action.gateway_id = 0;
    tx.body.proposal_create.action.key = tally_system_key(NET, TALLY_SYSTEM_FEES);
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    tx.body.proposal_create.action.type = TALLY_TX_POLICY_UPDATE;
    memset(&tx.body.proposal_create.action.key, 0, sizeof tx.body.proposal_create.action.key);
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_BAD_POLICY); /* an all-zero policy */
    tx.body.proposal_create.network_id = 9;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_UNKNOWN_NETWORK);
    /* an operator added by the members' vote */
    test_actor newcomer = actor(42);
    tx = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
    tx.body.proposal_create.action.key = newcomer.key;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    /* and one that will be refused when applied: removing an operator it does not have */
    tx = world_tx(&c.world, &c.members[2], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_OPERATOR_REMOVE;
    tx.body.proposal_create.action.key = actor(43).key;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    for (uint32_t i = 1; i <= 6; i++) {
        CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
        CHECK_CODE(vote(&c, &c.members[i], 2, TALLY_VOTE_YES).code, TALLY_OK);
    }
    world_advance_to(&c.world, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    const tally_network *network = tally_state_network(c.world.state, NET);
    CHECK_EQ(network->operator_count, 2);
    CHECK(memcmp(network->operators[1].bytes, newcomer.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(proposal(&c, 2)->status, TALLY_PROPOSAL_EXECUTED);
    CHECK_CODE(proposal(&c, 2)->result, TALLY_ERR_UNKNOWN_OPERATOR);
    /* sixteen open at most */
    for (uint32_t i = 0; i < TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX; i++)
        CHECK_CODE(propose_max_members(&c, &c.members[1 + i % 9], 1000 + i).code, TALLY_OK);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 999).code, TALLY_ERR_TOO_MANY_PROPOSALS);
    world_free(&c.world);
}

/* A gateway proposed by one governed network's vote and accepted by another's. */
TEST(governance_a_gateway_opened_by_two_votes) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    test_actor founder = actor(60), voter = actor(61);
    tally_policy policy = governed_policy(TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(do_create_network(&c.world, &founder, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&c.world, &founder, 2, &voter).code, TALLY_OK);
    tally_gateway_terms terms = {1, 1, {{0, 5000, 0, 0}, {0, 5000, 0, 0}}};
    tally_tx tx = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_GATEWAY_PROPOSE;
    tx.body.proposal_create.action.partner_id = 2;
    tx.body.proposal_create.action.terms = terms;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    for (uint32_t i = 1; i <= 5; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    world_advance_to(&c.world, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    const tally_gateway *gateway = tally_state_gateway(c.world.state, 1);
    REQUIRE(gateway != NULL);
    CHECK_EQ(gateway->status, TALLY_GATEWAY_PROPOSED);
    /* network 2's operator may not accept: its members do */
    tally_tx accept = world_tx(&c.world, &founder, TALLY_TX_GATEWAY_ACCEPT);
    accept.body.gateway_accept = (tally_tx_gateway_accept){1, terms};
    CHECK_CODE(world_apply(&c.world, &accept).code, TALLY_ERR_GOVERNED_BY_MEMBERS);
    tx = world_tx(&c.world, &voter, TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = 2;
    tx.body.proposal_create.action.type = TALLY_TX_GATEWAY_ACCEPT;
    tx.body.proposal_create.action.gateway_id = 1;
    tx.body.proposal_create.action.terms = terms;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    CHECK_CODE(vote(&c, &voter, 2, TALLY_VOTE_YES).code, TALLY_OK);
    world_advance_to(&c.world, c.world.time + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    CHECK_CODE(proposal(&c, 2)->result, TALLY_OK);
    CHECK_EQ(tally_state_gateway(c.world.state, 1)->status, TALLY_GATEWAY_OPEN);
    world_free(&c.world);
}

/* Weighted by reputation: each member's score when it votes, against the scores of
 * all active members when the proposal was made. */
TEST(governance_votes_weighted_by_reputation_and_by_stake) {
    cast c;
    set_up(&c, TALLY_WEIGHT_REPUTATION);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 1)->eligible_weight, 10 * 200); /* the base score of a new member */
    CHECK_EQ(vote(&c, &c.members[1], 1, TALLY_VOTE_YES).available, 200);
    CHECK_EQ(proposal(&c, 1)->yes, 200);
    world_free(&c.world);

    /* by stake: only underwriters weigh. The network starts with its operators (to
     * set the peg), who then hand it to its members. */
    world_init(&c.world);
    c.op = actor(0);
    tally_policy policy = governed_policy(TALLY_WEIGHT_STAKE);
    policy.governance.mode = TALLY_GOVERNANCE_OPERATORS;
    policy.collateral_ratio_bps = 10000;
    CHECK_CODE(do_create_network(&c.world, &c.op, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        c.members[i] = actor(i);
        CHECK_CODE(do_admit(&c.world, &c.op, NET, &c.members[i]).code, TALLY_OK);
    }
    test_actor bank = actor(30);
    CHECK_CODE(do_create_asset(&c.world, &bank, "USD").code, TALLY_OK);
    CHECK_CODE(do_issue(&c.world, &bank, 1, &c.members[1], 1000).code, TALLY_OK);
    CHECK_CODE(do_issue(&c.world, &bank, 1, &c.members[2], 1000).code, TALLY_OK);
    CHECK_CODE(do_set_peg(&c.world, &c.op, NET, 1, 1, 1).code, TALLY_OK);
    const int64_t stakes[] = {600, 400};
    for (uint32_t i = 0; i < 2; i++) {
        tally_tx stake = world_tx(&c.world, &c.members[1 + i], TALLY_TX_STAKE);
        stake.body.stake = (tally_tx_stake){NET, c.members[3].key, stakes[i]};
        CHECK_CODE(world_apply(&c.world, &stake).code, TALLY_OK);
    }
    tally_tx hand_over = world_tx(&c.world, &c.op, TALLY_TX_POLICY_UPDATE);
    hand_over.body.policy_update.network_id = NET;
    hand_over.body.policy_update.policy = policy;
    hand_over.body.policy_update.policy.governance.mode = TALLY_GOVERNANCE_MEMBERS;
    CHECK_CODE(world_apply(&c.world, &hand_over).code, TALLY_OK);
    CHECK_CODE(propose_max_members(&c, &c.members[3], 500).code, TALLY_OK);
    CHECK_EQ(proposal(&c, 1)->eligible_weight, 1000);
    CHECK_EQ(vote(&c, &c.members[3], 1, TALLY_VOTE_NO).available, 0); /* stakes nothing: weighs nothing */
    CHECK_EQ(vote(&c, &c.members[1], 1, TALLY_VOTE_YES).available, 600);
    world_advance_to(&c.world, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    CHECK_EQ(proposal(&c, 1)->status, TALLY_PROPOSAL_EXECUTED); /* 600 of 1000 cast, all of it yes */
    world_free(&c.world);
}

TEST(governance_proposals_and_votes_survive_a_snapshot_byte_for_byte) {
    cast c;
    set_up(&c, TALLY_WEIGHT_ONE_MEMBER);
    CHECK_CODE(propose_max_members(&c, &c.members[1], 500).code, TALLY_OK);
    CHECK_CODE(propose_max_members(&c, &c.members[2], 600).code, TALLY_OK);
    for (uint32_t i = 1; i <= 5; i++) CHECK_CODE(vote(&c, &c.members[i], 1, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[3], 2, TALLY_VOTE_ABSTAIN).code, TALLY_OK);
    tally_state *loaded = world_reload(&c.world);
    REQUIRE(loaded != NULL);
    CHECK_EQ(tally_state_vote_count(loaded), 6);
    CHECK(tally_state_vote(loaded, 2, &c.members[3].key) != NULL);
    CHECK(tally_state_vote(loaded, 2, &c.members[4].key) == NULL);
    /* the loaded state counts and applies them as the first would */
    (void)tally_end_block(c.world.state, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    (void)tally_end_block(loaded, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    CHECK_EQ(tally_state_proposal(loaded, 1)->status, TALLY_PROPOSAL_EXECUTED);
    CHECK_EQ(tally_state_proposal(loaded, 2)->status, TALLY_PROPOSAL_REJECTED);
    uint8_t root[TALLY_HASH_BYTES], loaded_root[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(c.world.state, root));
    REQUIRE(tally_state_hash(loaded, loaded_root));
    CHECK(memcmp(root, loaded_root, sizeof root) == 0);
    tally_state_destroy(loaded);
    world_free(&c.world);
}

/* Where operators were not left the power to suspend, the members suspend by a vote. */
TEST(governance_members_suspend_by_a_vote_where_operators_may_not) {
    cast c;
    world_init(&c.world);
    c.op = actor(0);
    tally_policy policy = governed_policy(TALLY_WEIGHT_ONE_MEMBER);
    policy.governance.operators_may_suspend = false;
    CHECK_CODE(do_create_network(&c.world, &c.op, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        c.members[i] = actor(i);
        CHECK_CODE(do_admit(&c.world, &c.op, NET, &c.members[i]).code, TALLY_OK);
    }
    tally_tx suspend = world_tx(&c.world, &c.op, TALLY_TX_MEMBER_SUSPEND);
    suspend.body.network_key = (tally_tx_network_key){NET, c.members[3].key};
    CHECK_CODE(world_apply(&c.world, &suspend).code, TALLY_ERR_GOVERNED_BY_MEMBERS);
    tally_tx tx = world_tx(&c.world, &c.members[1], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = NET;
    tx.body.proposal_create.action.type = TALLY_TX_MEMBER_SUSPEND;
    tx.body.proposal_create.action.key = c.members[3].key;
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[1], 1, TALLY_VOTE_YES).code, TALLY_OK);
    CHECK_CODE(vote(&c, &c.members[2], 1, TALLY_VOTE_YES).code, TALLY_OK);
    world_advance_to(&c.world, WORLD_START_TIME + (VOTE_DAYS + TIMELOCK_DAYS) * DAY);
    CHECK_CODE(proposal(&c, 1)->result, TALLY_OK);
    CHECK_EQ(tally_state_member(c.world.state, NET, &c.members[3].key)->status, TALLY_MEMBER_SUSPENDED);
    world_free(&c.world);
}
