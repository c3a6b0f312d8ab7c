/*
 * test_admission.c: tally_tx_admissible, the core's answer to "may this key sign
 * this?" that a node asks before it spends a signature check (issue 7, finding 9).
 * Every transaction type is tried by a key without the standing it needs, which is
 * refused with the code tally_apply itself gives, and by one with it, which passes;
 * asking changes nothing.
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { OPEN = 1, CLOSED = 2, NOWHERE = 9, USD = 1 };

typedef struct {
    test_world world;
    test_actor op, op_closed, alice, bob, carol, bank, stranger, validator;
} cast;

static void found(cast *c, const test_actor *founder, const char *name, uint8_t mode) {
    tally_tx tx = world_tx(&c->world, founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, name);
    text_set(&tx.body.network_create.unit_code, "UNT");
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.membership_mode = mode;
    CHECK_CODE(world_apply(&c->world, &tx).code, TALLY_OK);
}

static void join(cast *c, const test_actor *who, tally_tx_type type) {
    tally_tx tx = world_tx(&c->world, who, type);
    tx.body.network_only.network_id = OPEN;
    CHECK_CODE(world_apply(&c->world, &tx).code, TALLY_OK);
}

/* Open and Closed (admitted) networks; alice and bob are members of Open, carol
 * joined and left; the bank's USD backs Open's pool, alice holds USD and shares. */
static void set_up(cast *c) {
    c->op = actor(1), c->op_closed = actor(2), c->alice = actor(3), c->bob = actor(4), c->carol = actor(5);
    c->bank = actor(6), c->stranger = actor(7), c->validator = actor(8);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &c->validator.key);
    world_init_rules(&c->world, &rules);
    found(c, &c->op, "Open", TALLY_MEMBERSHIP_OPEN);
    found(c, &c->op_closed, "Closed", TALLY_MEMBERSHIP_ADMITTED);
    join(c, &c->alice, TALLY_TX_MEMBER_JOIN);
    join(c, &c->bob, TALLY_TX_MEMBER_JOIN);
    join(c, &c->carol, TALLY_TX_MEMBER_JOIN);
    join(c, &c->carol, TALLY_TX_MEMBER_LEAVE);
    CHECK_EQ(do_create_asset(&c->world, &c->bank, "USD").created_id, USD);
    CHECK_CODE(do_issue(&c->world, &c->bank, USD, &c->alice, 1000).code, TALLY_OK);
    CHECK_CODE(do_set_peg(&c->world, &c->op, OPEN, USD, 1, 1).code, TALLY_OK);
    CHECK_CODE(do_pool(&c->world, &c->alice, TALLY_TX_POOL_DEPOSIT, OPEN, 100).code, TALLY_OK);
    /* request 1: bob asks 1 of any member of Open */
    tally_tx ask = world_tx(&c->world, &c->bob, TALLY_TX_REQUEST_CREATE);
    ask.body.request_create = (tally_tx_request_create){.network_id = OPEN, .amount = 1, .expiry = c->world.time + 3600};
    CHECK_EQ(world_apply(&c->world, &ask).created_id, 1);
    /* gateway 1 between Open and Closed, open */
    tally_tx propose = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_PROPOSE);
    propose.body.gateway_propose = (tally_tx_gateway_propose){OPEN, CLOSED, {1, 1, {{0, 100, 0, 0}, {0, 100, 0, 0}}}};
    CHECK_EQ(world_apply(&c->world, &propose).created_id, 1);
    tally_tx accept = world_tx(&c->world, &c->op_closed, TALLY_TX_GATEWAY_ACCEPT);
    accept.body.gateway_accept = (tally_tx_gateway_accept){1, propose.body.gateway_propose.terms};
    CHECK_CODE(world_apply(&c->world, &accept).code, TALLY_OK);
    /* listing 1: bob offers bread in Open */
    tally_tx offer = world_tx(&c->world, &c->bob, TALLY_TX_LISTING_CREATE);
    offer.body.listing.network_id = OPEN;
    offer.body.listing.quantity = 5;
    offer.body.listing.price = 100;
    offer.body.listing.expiry = c->world.time + 3600;
    text_set(&offer.body.listing.title, "Bread");
    CHECK_EQ(world_apply(&c->world, &offer).created_id, 1);
}

/* A well-formed transaction of `type` by `signer` on network `network_id` (or on
 * USD), whose body passes every rule but standing. */
static tally_tx make(const cast *c, const test_actor *signer, tally_tx_type type, uint32_t network_id) {
    tally_tx tx = world_tx(&c->world, signer, type);
    switch (type) {
    case TALLY_TX_NETWORK_CREATE:
        text_set(&tx.body.network_create.name, "Third");
        text_set(&tx.body.network_create.unit_code, "TRD");
        tx.body.network_create.policy = policy_default();
        break;
    case TALLY_TX_POLICY_UPDATE:
        tx.body.policy_update.network_id = network_id;
        tx.body.policy_update.policy = policy_default();
        break;
    case TALLY_TX_PEG_SET:
        tx.body.peg_set = (tally_tx_peg_set){network_id, USD, 1, 1};
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_MEMBER_ADMIT:
        tx.body.network_key.network_id = network_id;
        tx.body.network_key.key = c->stranger.key;
        break;
    case TALLY_TX_OPERATOR_REMOVE:
        tx.body.network_key.network_id = network_id;
        tx.body.network_key.key = c->op.key;
        break;
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE:
        tx.body.network_key.network_id = network_id;
        tx.body.network_key.key = c->bob.key;
        break;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE: tx.body.network_only.network_id = network_id; break;
    case TALLY_TX_ALIAS_SET:
        tx.body.alias_set.network_id = network_id;
        text_set(&tx.body.alias_set.alias, "someone");
        break;
    case TALLY_TX_LINE_OPEN:
        tx.body.line_open.network_id = network_id;
        tx.body.line_open.member = c->bob.key;
        tx.body.line_open.limit = 100;
        break;
    case TALLY_TX_LINE_UPDATE:
        tx.body.line_update.network_id = network_id;
        tx.body.line_update.member = c->bob.key;
        tx.body.line_update.limit = 100;
        break;
    case TALLY_TX_TRANSFER:
        tx.body.transfer.network_id = network_id;
        tx.body.transfer.payee = c->bob.key;
        tx.body.transfer.amount = 1;
        tx.body.transfer.max_fee = 100;
        break;
    case TALLY_TX_PENDING_CREATE:
        tx.body.pending_create.network_id = network_id;
        tx.body.pending_create.payee = c->bob.key;
        tx.body.pending_create.amount = 1;
        tx.body.pending_create.max_fee = 100;
        tx.body.pending_create.timeout = c->world.time + 60;
        break;
    case TALLY_TX_PENDING_POST:
        tx.body.pending_end.pending_id = 1;
        tx.body.pending_end.amount = 1;
        break;
    case TALLY_TX_PENDING_VOID: tx.body.pending_end.pending_id = 1; break;
    case TALLY_TX_REQUEST_CREATE:
        tx.body.request_create.network_id = network_id;
        tx.body.request_create.payer = c->bob.key;
        tx.body.request_create.amount = 1;
        tx.body.request_create.expiry = c->world.time + 60;
        break;
    case TALLY_TX_REQUEST_PAY:
        tx.body.request_end.request_id = 1;
        tx.body.request_end.max_fee = 100;
        break;
    case TALLY_TX_REQUEST_CANCEL: tx.body.request_end.request_id = 1; break;
    case TALLY_TX_GATEWAY_PROPOSE:
        tx.body.gateway_propose = (tally_tx_gateway_propose){network_id, network_id == OPEN ? CLOSED : OPEN,
                                                             {2, 3, {{0, 50, 0, 0}, {0, 50, 0, 0}}}};
        break;
    case TALLY_TX_GATEWAY_ACCEPT: tx.body.gateway_accept.gateway_id = 1; break;
    case TALLY_TX_GATEWAY_UPDATE:
        tx.body.gateway_update = (tally_tx_gateway_update){1, network_id, {0, 70, 0, 0}};
        break;
    case TALLY_TX_GATEWAY_FREEZE: tx.body.gateway_freeze = (tally_tx_gateway_freeze){1, network_id, true}; break;
    case TALLY_TX_GATEWAY_CLOSE: tx.body.gateway_end.gateway_id = 1; break;
    case TALLY_TX_SETTLE: tx.body.settle = (tally_tx_settle){1, network_id, 1}; break;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: tx.body.stake = (tally_tx_stake){network_id, c->bob.key, 1}; break;
    case TALLY_TX_MEMBER_FEE_PAY: tx.body.network_only.network_id = network_id; break;
    case TALLY_TX_PROPOSAL_CREATE:
        tx.body.proposal_create.network_id = network_id;
        tx.body.proposal_create.action.type = TALLY_TX_OPERATOR_ADD;
        tx.body.proposal_create.action.key = c->stranger.key;
        break;
    case TALLY_TX_PROPOSAL_VOTE:
    case TALLY_TX_PROPOSAL_CANCEL: tx.body.proposal_vote.proposal_id = 1; break;
    case TALLY_TX_CATEGORY_SET:
        tx.body.category_set.network_id = network_id;
        tx.body.category_set.category = 1;
        text_set(&tx.body.category_set.name, "Food");
        break;
    case TALLY_TX_LISTING_CREATE:
        tx.body.listing.network_id = network_id;
        tx.body.listing.quantity = 1;
        tx.body.listing.price = 100;
        tx.body.listing.expiry = c->world.time + 3600;
        text_set(&tx.body.listing.title, "Eggs");
        break;
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
        tx.body.listing.listing_id = 1;
        tx.body.listing.quantity = 1;
        tx.body.listing.expiry = c->world.time + 3600;
        text_set(&tx.body.listing.title, "Bread");
        break;
    case TALLY_TX_ORDER_CREATE:
        tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 100,
                                                       .max_fee = 100, .timeout = c->world.time + 3600};
        break;
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE: tx.body.order_step.order_id = 1; break;
    case TALLY_TX_REVIEW: tx.body.review = (tally_tx_review){.order_id = 1, .rating = 5}; break;
    case TALLY_TX_CLEARING:
        tx.body.clearing.count = 1;
        tx.body.clearing.setoffs[0] = (tally_setoff){1, 1, 1};
        break;
    case TALLY_TX_TRANSFER_CROSS:
        tx.body.transfer_cross = (tally_tx_transfer_cross){network_id, c->bob.key, 1, 100, 0, 1, {1, 0, 0, 0}};
        break;
    case TALLY_TX_ASSET_CREATE:
        text_set(&tx.body.asset_create.code, "EUR");
        text_set(&tx.body.asset_create.name, "euros");
        break;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
        tx.body.asset_move.asset_id = network_id; /* an asset id here */
        tx.body.asset_move.to = c->bob.key;
        tx.body.asset_move.amount = 1;
        break;
    case TALLY_TX_ASSET_BURN:
        tx.body.asset_burn.asset_id = network_id;
        tx.body.asset_burn.amount = 1;
        break;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM:
        tx.body.pool_amount.network_id = network_id;
        tx.body.pool_amount.amount = 1;
        break;
    case TALLY_TX_FEE_DISTRIBUTE:
        tx.body.fee_distribute.network_id = network_id;
        tx.body.fee_distribute.to_pool = true;
        tx.body.fee_distribute.amount = 1;
        break;
    case TALLY_TX_CHAIN_APPROVE:
        tx.body.chain_approve.key = c->stranger.key;
        tx.body.chain_approve.networks = 1;
        break;
    case TALLY_TX_VALIDATOR_PROPOSE:
        tx.body.validator_propose.add_count = 1;
        tx.body.validator_propose.add[0] = c->stranger.key;
        break;
    case TALLY_TX_VALIDATOR_APPROVE: tx.body.validator_approve.change_id = 1; break;
    case TALLY_TX_TRANSFER_BATCH:
        tx.body.transfer_batch.network_id = network_id;
        tx.body.transfer_batch.max_fee = 100;
        if (!tally_tx_batch_reserve(&tx, 2)) break;
        for (unsigned i = 0; i < 2; i++) {
            tx.body.transfer_batch.lines[i].payee = i == 0 ? c->bob.key : c->alice.key;
            tx.body.transfer_batch.lines[i].amount = 1;
        }
        if (signer == &c->alice) tx.body.transfer_batch.lines[1].payee = c->bob.key;
        break;
    }
    return tx;
}

typedef struct {
    tally_tx_type type;
    uint32_t scope;           /* network id, or asset id for ASSET_* */
    const test_actor *holder; /* has the standing; NULL: nobody needs any */
    const test_actor *lacking;
    tally_error refusal; /* what `lacking` gets */
} standing_case;

TEST(hardening_09_admission_asks_the_core_who_may_sign_each_transaction_type) {
    cast c;
    set_up(&c);
    uint8_t before[TALLY_HASH_BYTES], after[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(c.world.state, before));
    const standing_case cases[] = {
        {TALLY_TX_NETWORK_CREATE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_POLICY_UPDATE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_POLICY_UPDATE, OPEN, &c.op, &c.op_closed, TALLY_ERR_NOT_OPERATOR}, /* another network's */
        {TALLY_TX_POLICY_UPDATE, NOWHERE, NULL, &c.op, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_PEG_SET, OPEN, &c.op, &c.alice, TALLY_ERR_NOT_OPERATOR}, /* a member is no operator */
        {TALLY_TX_OPERATOR_ADD, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_OPERATOR_REMOVE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_MEMBER_JOIN, OPEN, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_MEMBER_JOIN, CLOSED, NULL, &c.stranger, TALLY_ERR_ADMISSION_REQUIRED},
        {TALLY_TX_MEMBER_JOIN, NOWHERE, NULL, &c.stranger, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_MEMBER_ADMIT, CLOSED, &c.op_closed, &c.op, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_MEMBER_SUSPEND, OPEN, &c.op, &c.alice, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_MEMBER_REINSTATE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_MEMBER_LEAVE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_MEMBER_LEAVE, OPEN, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER}, /* left already */
        {TALLY_TX_ALIAS_SET, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_LINE_OPEN, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_LINE_UPDATE, OPEN, &c.op, &c.bob, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_LINE_CLOSE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_TRANSFER, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_TRANSFER, OPEN, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_TRANSFER, OPEN, &c.alice, &c.op, TALLY_ERR_NOT_MEMBER}, /* an operator is no member */
        {TALLY_TX_TRANSFER, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_TRANSFER_BATCH, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_TRANSFER_BATCH, OPEN, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_TRANSFER_BATCH, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_ASSET_CREATE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ASSET_ISSUE, USD, &c.bank, &c.alice, TALLY_ERR_NOT_ISSUER}, /* a holder is no issuer */
        {TALLY_TX_ASSET_ISSUE, NOWHERE, NULL, &c.bank, TALLY_ERR_UNKNOWN_ASSET},
        {TALLY_TX_ASSET_TRANSFER, USD, &c.alice, &c.stranger, TALLY_ERR_INSUFFICIENT_ASSET},
        {TALLY_TX_ASSET_TRANSFER, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_ASSET},
        {TALLY_TX_ASSET_BURN, USD, &c.bank, &c.stranger, TALLY_ERR_NOT_ISSUER},
        {TALLY_TX_POOL_DEPOSIT, OPEN, &c.alice, &c.stranger, TALLY_ERR_INSUFFICIENT_ASSET},
        {TALLY_TX_POOL_DEPOSIT, CLOSED, NULL, &c.alice, TALLY_ERR_NO_RESERVE_ASSET},
        {TALLY_TX_POOL_WITHDRAW, OPEN, &c.alice, &c.bob, TALLY_ERR_INSUFFICIENT_SHARES}, /* a member, no shares */
        {TALLY_TX_POOL_REPAY, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_POOL_REPAY, CLOSED, NULL, &c.stranger, TALLY_ERR_NO_RESERVE_ASSET},
        {TALLY_TX_POOL_REDEEM, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_FEE_DISTRIBUTE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_CHAIN_APPROVE, 0, &c.validator, &c.op, TALLY_ERR_NOT_VALIDATOR}, /* an operator is no validator */
        {TALLY_TX_VALIDATOR_PROPOSE, 0, &c.validator, &c.alice, TALLY_ERR_NOT_VALIDATOR},
        {TALLY_TX_VALIDATOR_APPROVE, 0, &c.validator, &c.op, TALLY_ERR_NOT_VALIDATOR},
        {TALLY_TX_PENDING_CREATE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_PENDING_CREATE, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        /* who may end a hold is the rules' (payer, payee, resolver): no standing first */
        {TALLY_TX_PENDING_POST, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_PENDING_VOID, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_REQUEST_CREATE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_REQUEST_CREATE, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        /* paying a request is paying in its network; who may cancel is the rules' */
        {TALLY_TX_REQUEST_PAY, 0, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_REQUEST_PAY, 0, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_REQUEST_CANCEL, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_GATEWAY_PROPOSE, OPEN, &c.op, &c.stranger, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_GATEWAY_PROPOSE, OPEN, &c.op, &c.op_closed, TALLY_ERR_NOT_OPERATOR}, /* the other side's */
        {TALLY_TX_GATEWAY_PROPOSE, NOWHERE, NULL, &c.op, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_GATEWAY_UPDATE, OPEN, &c.op, &c.alice, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_GATEWAY_FREEZE, CLOSED, &c.op_closed, &c.op, TALLY_ERR_NOT_OPERATOR},
        /* which side accepts or closes is the rules' */
        {TALLY_TX_GATEWAY_ACCEPT, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_GATEWAY_CLOSE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_TRANSFER_CROSS, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_CLEARING, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_SETTLE, OPEN, &c.op, &c.alice, TALLY_ERR_NOT_OPERATOR},
        /* underwriters are members of the network; what they stake is the rules' */
        {TALLY_TX_STAKE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_STAKE, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_UNSTAKE, OPEN, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_MEMBER_FEE_PAY, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_PROPOSAL_CREATE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        /* who may vote (the eligible set) or cancel (the proposer) is the rules' */
        {TALLY_TX_PROPOSAL_VOTE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_PROPOSAL_CANCEL, 0, NULL, &c.stranger, TALLY_OK},
        /* the marketplace: operators name categories, members publish and buy */
        {TALLY_TX_CATEGORY_SET, OPEN, &c.op, &c.alice, TALLY_ERR_NOT_OPERATOR},
        {TALLY_TX_CATEGORY_SET, NOWHERE, NULL, &c.op, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_LISTING_CREATE, OPEN, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_LISTING_CREATE, OPEN, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER}, /* left already */
        {TALLY_TX_LISTING_CREATE, NOWHERE, NULL, &c.alice, TALLY_ERR_UNKNOWN_NETWORK},
        {TALLY_TX_ORDER_CREATE, 0, &c.alice, &c.stranger, TALLY_ERR_NOT_MEMBER},
        {TALLY_TX_ORDER_CREATE, 0, &c.alice, &c.carol, TALLY_ERR_NOT_MEMBER},
        /* which side takes which step, and who reviews, is the rules' */
        {TALLY_TX_LISTING_UPDATE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_LISTING_WITHDRAW, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_ACCEPT, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_DECLINE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_CANCEL, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_CONFIRM, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_DISPUTE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_ORDER_RESOLVE, 0, NULL, &c.stranger, TALLY_OK},
        {TALLY_TX_REVIEW, 0, NULL, &c.stranger, TALLY_OK},
    };
    bool covered[TALLY_TX_TYPE_LAST + 1] = {false};
    int refused = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const standing_case *k = &cases[i];
        covered[k->type] = true;
        if (k->holder) {
            tally_tx tx = make(&c, k->holder, k->type, k->scope);
            tally_error holder_code = tally_tx_admissible(c.world.state, &tx, c.world.time);
            if (holder_code != TALLY_OK) printf("    case %zu (%s): the holder is refused\n", i, tally_tx_type_name(k->type));
            CHECK_CODE(holder_code, TALLY_OK);
            tally_tx_release(&tx);
        }
        tally_tx tx = make(&c, k->lacking, k->type, k->scope);
        tally_error code = tally_tx_admissible(c.world.state, &tx, c.world.time);
        if (code != k->refusal) printf("    case %zu (%s)\n", i, tally_tx_type_name(k->type));
        CHECK_CODE(code, k->refusal);
        if (k->refusal != TALLY_OK) {
            refused++;
            /* The block would refuse it with the same code (world_apply also checks
             * that the refusal changed nothing). */
            CHECK_CODE(world_apply(&c.world, &tx).code, k->refusal);
        }
        tally_tx_release(&tx);
    }
    for (uint8_t type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        if (!covered[type]) printf("    no case for %s\n", tally_tx_type_name(type));
        CHECK(covered[type]);
    }
    /* an unknown type is no one's to sign */
    tally_tx unknown = make(&c, &c.alice, TALLY_TX_TRANSFER, OPEN);
    unknown.type = TALLY_TX_TYPE_LAST + 1;
    CHECK_CODE(tally_tx_admissible(c.world.state, &unknown, c.world.time), TALLY_ERR_UNKNOWN_TX_TYPE);
    REQUIRE(tally_state_hash(c.world.state, after));
    CHECK(memcmp(before, after, sizeof before) == 0);
    printf("    %zu cases over all %d transaction types: %d refused for lack of standing with tally_apply's own code\n",
           sizeof cases / sizeof cases[0], TALLY_TX_TYPE_LAST, refused);
    world_free(&c.world);
}

/* On an approved chain, founding and creating need an approval left: a key without
 * one costs no signature check either. */
TEST(hardening_09_admission_on_an_approved_chain_asks_for_an_approval) {
    cast c;
    c.validator = actor(8), c.stranger = actor(7);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &c.validator.key);
    rules.growth_mode = TALLY_GROWTH_APPROVED;
    world_init_rules(&c.world, &rules);
    tally_tx network = make(&c, &c.stranger, TALLY_TX_NETWORK_CREATE, 0);
    tally_tx asset = make(&c, &c.stranger, TALLY_TX_ASSET_CREATE, 0);
    CHECK_CODE(tally_tx_admissible(c.world.state, &network, c.world.time), TALLY_ERR_APPROVAL_REQUIRED);
    CHECK_CODE(tally_tx_admissible(c.world.state, &asset, c.world.time), TALLY_ERR_APPROVAL_REQUIRED);
    CHECK_CODE(world_apply(&c.world, &network).code, TALLY_ERR_APPROVAL_REQUIRED);
    tally_tx approve = make(&c, &c.validator, TALLY_TX_CHAIN_APPROVE, 0);
    CHECK_CODE(world_apply(&c.world, &approve).code, TALLY_OK);
    CHECK_CODE(tally_tx_admissible(c.world.state, &network, c.world.time), TALLY_OK);
    CHECK_CODE(tally_tx_admissible(c.world.state, &asset, c.world.time), TALLY_ERR_APPROVAL_REQUIRED);
    world_free(&c.world);
}
