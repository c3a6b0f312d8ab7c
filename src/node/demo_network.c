/*
 * demo_network.c: the demo networks `make run` creates on a node's first start: the
 * Greenvale LETS with an operator and four members (aliases, credit lines), a
 * reserve asset issued by a bank, a pool deposit, bob's stake of 150.00 behind dave's
 * line (collateral ratio 150%: 100.00 more credit), a few payments including one
 * on credit and one repaying debt, a hold (escrow) and two payment requests, one
 * paid and one open; Greenvale's marketplace: three categories, offers by bob
 * (eggs), alice (bread) and carol (repairs, priced on asking), dave's want of a
 * ladder, and one order alice placed, bob accepted and alice confirmed, reviewed by
 * both; then two more networks, Riverside (erin) and Hilltop (frank),
 * each with its own operator, gateways among the three (Greenvale-Riverside 1:1,
 * Riverside-Hilltop 3:2, Greenvale-Hilltop 3:2), a payment to Riverside, one over
 * two hops to Hilltop and one back from Hilltop, and the clearing the node computes
 * for the cycle they make. Every transaction is signed by its member's key
 * and goes through node_submit like any client's. The keys are written to a wallet
 * directory as ordinary sealed key files so the CLI can use them at once.
 */
#include "node/demo_network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keys/keystore.h"

#define DAY (24 * 60 * 60)
enum { OPERATOR, ALICE, BOB, CAROL, DAVE, BANK, RIVERS, ERIN, HILLS, FRANK, PEOPLE };

static const char *const names[PEOPLE] = {"operator", "alice", "bob",    "carol", "dave",
                                          "bank",     "rivers", "erin", "hills", "frank"};

typedef struct {
    node *node;
    keystore_keypair keys[PEOPLE];
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    uint32_t network_id, asset_id;
    uint32_t riverside_id, hilltop_id;
    char *why;
    size_t why_size;
} demo;

static tally_tx new_tx(demo *d, int who, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, d->chain_id, sizeof tx.chain_id);
    tx.signer = d->keys[who].public_key;
    const tally_state *state = node_read_begin(d->node);
    tx.sequence = state ? tally_state_next_sequence(state, &tx.signer) : 1; /* a failed node refuses it anyway */
    if (state) node_read_end(d->node);
    return tx;
}

static void text(tally_text *field, const char *value) {
    field->length = (uint16_t)strlen(value);
    memcpy(field->bytes, value, field->length);
}

/* Signs, submits and waits for the commit. */
static bool run(demo *d, int who, tally_tx *tx, tally_result *result) {
    tally_tx_sign(tx, d->keys[who].secret_key);
    tx_status status;
    uint8_t id[1][TALLY_HASH_BYTES];
    node_submit(d->node, tx, 1, &status, id);
    if (status.state == TX_PENDING) node_wait(d->node, (const uint8_t(*)[TALLY_HASH_BYTES])id, 1, &status, 30000);
    if (status.state != TX_COMMITTED) {
        snprintf(d->why, d->why_size, "demo %s by %s: %s", tally_tx_type_name(tx->type), names[who],
                 status.node_error ? status.node_error : tally_error_message(status.result.code));
        return false;
    }
    if (result) *result = status.result;
    return true;
}

static bool pay(demo *d, int payer, int payee, int64_t amount, const char *memo) {
    tally_tx tx = new_tx(d, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = d->network_id;
    tx.body.transfer.payee = d->keys[payee].public_key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount / 10 + 100;
    text(&tx.body.transfer.memo, memo);
    return run(d, payer, &tx, NULL);
}

static bool make_keys(demo *d, const char *wallet_dir) {
    char keys_dir[4200];
    snprintf(keys_dir, sizeof keys_dir, "%s/keys", wallet_dir);
    if ((mkdir(wallet_dir, 0700) != 0 && errno != EEXIST) || (mkdir(keys_dir, 0700) != 0 && errno != EEXIST)) {
        snprintf(d->why, d->why_size, "cannot create %s: %s", keys_dir, strerror(errno));
        return false;
    }
    for (int i = 0; i < PEOPLE; i++) {
        tally_keypair(&d->keys[i].public_key, d->keys[i].secret_key, NULL);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.key", keys_dir, names[i]);
        if (!keystore_save(path, names[i], &d->keys[i], DEMO_PASSPHRASE, KEYSTORE_STRENGTH_INTERACTIVE, d->why,
                           d->why_size))
            return false;
    }
    return true;
}

static void demo_policy(tally_policy *policy) {
    tally_policy_defaults(policy); /* 100,000 members, a 7-day notice, redemptions of 10% a day */
    policy->default_credit_limit = 50000;
    policy->max_credit_limit = 500000;
    policy->positive_cap = 1000000;
    policy->fee_bps = 100;
    policy->default_risk_fee_bps = 50;
    policy->period_seconds = 90 * DAY;
    policy->grace_seconds = 30 * DAY;
    policy->target_rtd_bps = 2000;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->auto_renew = true;
    policy->collateral_ratio_bps = 15000; /* a stake of 150.00 backs 100.00 of credit */
}

/* A network founded by `founder` with the demo's policy; its id in *id. */
static bool create_network(demo *d, int founder, const char *name, const char *unit, uint32_t *id) {
    tally_tx tx = new_tx(d, founder, TALLY_TX_NETWORK_CREATE);
    text(&tx.body.network_create.name, name);
    text(&tx.body.network_create.unit_code, unit);
    tx.body.network_create.decimals = 2;
    demo_policy(&tx.body.network_create.policy);
    tally_result result;
    if (!run(d, founder, &tx, &result)) return false;
    *id = result.created_id;
    return true;
}

/* `who` admitted to network_id by `operator_`, with its name as alias. */
static bool admit(demo *d, int operator_, uint32_t network_id, int who) {
    tally_tx tx = new_tx(d, operator_, TALLY_TX_MEMBER_ADMIT);
    tx.body.network_key.network_id = network_id;
    tx.body.network_key.key = d->keys[who].public_key;
    if (!run(d, operator_, &tx, NULL)) return false;
    tx = new_tx(d, who, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = network_id;
    text(&tx.body.alias_set.alias, names[who]);
    return run(d, who, &tx, NULL);
}

static bool found_network(demo *d) {
    tally_tx tx;
    if (!create_network(d, OPERATOR, "Greenvale", "GVH", &d->network_id)) return false;
    for (int who = ALICE; who <= DAVE; who++)
        if (!admit(d, OPERATOR, d->network_id, who)) return false;
    tx = new_tx(d, OPERATOR, TALLY_TX_LINE_UPDATE);
    tx.body.line_update.network_id = d->network_id;
    tx.body.line_update.member = d->keys[CAROL].public_key;
    tx.body.line_update.limit = 150000;
    tx.body.line_update.risk_fee_bps = 50;
    return run(d, OPERATOR, &tx, NULL);
}

static bool fund_pool(demo *d) {
    tally_tx tx = new_tx(d, BANK, TALLY_TX_ASSET_CREATE);
    text(&tx.body.asset_create.code, "USD");
    text(&tx.body.asset_create.name, "Greenvale Cooperative Bank dollars");
    tx.body.asset_create.decimals = 2;
    tally_result result;
    if (!run(d, BANK, &tx, &result)) return false;
    d->asset_id = result.created_id;
    tx = new_tx(d, BANK, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = d->asset_id;
    tx.body.asset_move.to = d->keys[BOB].public_key;
    tx.body.asset_move.amount = 100000;
    if (!run(d, BANK, &tx, NULL)) return false;
    tx = new_tx(d, OPERATOR, TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = d->network_id;
    tx.body.peg_set.asset_id = d->asset_id;
    tx.body.peg_set.peg_reserve_units = 1;
    tx.body.peg_set.peg_credit_units = 1;
    if (!run(d, OPERATOR, &tx, NULL)) return false;
    tx = new_tx(d, BOB, TALLY_TX_POOL_DEPOSIT);
    tx.body.pool_amount.network_id = d->network_id;
    tx.body.pool_amount.amount = 30000;
    if (!run(d, BOB, &tx, NULL)) return false;
    /* bob underwrites dave: 150.00 USD staked raise dave's line by 100.00 */
    tx = new_tx(d, BOB, TALLY_TX_STAKE);
    tx.body.stake = (tally_tx_stake){d->network_id, d->keys[DAVE].public_key, 15000};
    return run(d, BOB, &tx, NULL);
}

/* The tip's block time, which a hold's timeout and a request's expiry count from. */
static int64_t tip_time(demo *d) {
    int64_t time = 0;
    if (node_read_begin(d->node)) {
        time = node_tip(d->node)->block_time;
        node_read_end(d->node);
    }
    return time;
}

/* A hold (escrow) the payee has not been paid yet: refunded at its timeout. */
static bool hold(demo *d, int payer, int payee, int64_t amount, int64_t timeout_seconds) {
    tally_tx tx = new_tx(d, payer, TALLY_TX_PENDING_CREATE);
    tally_tx_pending_create *body = &tx.body.pending_create;
    body->network_id = d->network_id;
    body->payee = d->keys[payee].public_key;
    body->amount = amount;
    body->max_fee = amount / 10 + 100;
    body->timeout = tip_time(d) + timeout_seconds;
    body->outcome = TALLY_PENDING_REFUND;
    return run(d, payer, &tx, NULL);
}

/* A payment request (invoice) of payee to payer; paid at once when `paid`. */
static bool invoice(demo *d, int payee, int payer, int64_t amount, const char *memo, bool paid) {
    tally_tx tx = new_tx(d, payee, TALLY_TX_REQUEST_CREATE);
    tally_tx_request_create *body = &tx.body.request_create;
    body->network_id = d->network_id;
    body->payer = d->keys[payer].public_key;
    body->amount = amount;
    body->expiry = tip_time(d) + 30 * DAY;
    text(&body->memo, memo);
    tally_result result;
    if (!run(d, payee, &tx, &result)) return false;
    if (!paid) return true;
    tx = new_tx(d, payer, TALLY_TX_REQUEST_PAY);
    tx.body.request_end.request_id = result.created_id;
    tx.body.request_end.max_fee = amount / 10 + 100;
    return run(d, payer, &tx, NULL);
}

/* A gateway proposed by a's operator and accepted by b's: rate_a units of a for
 * rate_b of b, a fee of 0.5% on each side, each side's exposure limit 1,000.00, and
 * no new exposure to a partner whose default rate reached 20% in its last period. */
static bool open_gateway(demo *d, int operator_a, uint32_t a, int operator_b, uint32_t b, int64_t rate_a,
                         int64_t rate_b) {
    tally_gateway_terms terms = {rate_a, rate_b, {{50, 100000, 0, 2000}, {50, 100000, 0, 2000}}};
    tally_tx tx = new_tx(d, operator_a, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
    tally_result result;
    if (!run(d, operator_a, &tx, &result)) return false;
    tx = new_tx(d, operator_b, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){result.created_id, terms};
    return run(d, operator_b, &tx, NULL);
}

/* payer in `from` pays `amount` (its unit) to payee over the path; the payee must
 * get at least min_received. */
static bool pay_across(demo *d, int payer, uint32_t from, int payee, int64_t amount, int64_t min_received, uint8_t hops,
                       uint32_t first, uint32_t second) {
    tally_tx tx = new_tx(d, payer, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){from, d->keys[payee].public_key, amount, amount / 10 + 100,
                                                       min_received, hops, {first, second, 0, 0}};
    return run(d, payer, &tx, NULL);
}

/* Riverside and Hilltop, gateways 1 (G-R), 2 (R-H) and 3 (G-H), and payments that
 * leave a cycle of obligations: Greenvale owes Riverside, Riverside owes Hilltop,
 * Hilltop owes Greenvale. */
static bool trade_across(demo *d) {
    if (!create_network(d, RIVERS, "Riverside", "RVS", &d->riverside_id) || !admit(d, RIVERS, d->riverside_id, ERIN) ||
        !create_network(d, HILLS, "Hilltop", "HLT", &d->hilltop_id) || !admit(d, HILLS, d->hilltop_id, FRANK))
        return false;
    uint32_t g = d->network_id, r = d->riverside_id, h = d->hilltop_id;
    /* Riverside's pool takes the same USD (so Greenvale can settle in it), and the
     * bank pays Greenvale's operator 100.00 USD to settle with */
    tally_tx tx = new_tx(d, RIVERS, TALLY_TX_PEG_SET);
    tx.body.peg_set = (tally_tx_peg_set){r, d->asset_id, 1, 1};
    if (!run(d, RIVERS, &tx, NULL)) return false;
    tx = new_tx(d, BANK, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = d->asset_id;
    tx.body.asset_move.to = d->keys[OPERATOR].public_key;
    tx.body.asset_move.amount = 10000;
    if (!run(d, BANK, &tx, NULL)) return false;
    return open_gateway(d, OPERATOR, g, RIVERS, r, 1, 1) && open_gateway(d, RIVERS, r, HILLS, h, 3, 2) &&
           open_gateway(d, OPERATOR, g, HILLS, h, 3, 2) &&
           pay_across(d, ALICE, g, ERIN, 2000, 1990, 1, 1, 0) &&  /* 20.00 GVH: erin gets 19.90 RVS */
           pay_across(d, BOB, g, FRANK, 1500, 980, 2, 1, 2) &&    /* over two hops: frank gets 9.89 HLT */
           pay_across(d, FRANK, h, CAROL, 600, 890, 1, 3, 0);     /* 6.00 HLT back: carol gets 8.95 GVH */
}

/* The node's clearing of the cycle (anyone may submit one: the operator does),
 * waited for by the payment after it. */
static bool clear_once(demo *d) {
    node_clearing outcome;
    if (!node_clear(d->node, &d->keys[OPERATOR].public_key, d->keys[OPERATOR].secret_key, &outcome)) {
        snprintf(d->why, d->why_size, "demo clearing: not computed");
        return false;
    }
    if (outcome.refused > 0 || outcome.submitted == 0) {
        snprintf(d->why, d->why_size, "demo clearing: %u submitted, %u refused", outcome.submitted, outcome.refused);
        return false;
    }
    return true;
}

/* Greenvale's marketplace (docs/MARKETPLACE.md). */
static bool name_category(demo *d, uint8_t category, const char *name) {
    tally_tx tx = new_tx(d, OPERATOR, TALLY_TX_CATEGORY_SET);
    tx.body.category_set.network_id = d->network_id;
    tx.body.category_set.category = category;
    text(&tx.body.category_set.name, name);
    return run(d, OPERATOR, &tx, NULL);
}

/* A listing of `seller` up for 60 days (price 0: on asking); its id in *id. */
static bool publish(demo *d, int seller, uint8_t kind, uint8_t category, const char *title, const char *about,
                    int64_t price, uint32_t quantity, uint32_t *id) {
    tally_tx tx = new_tx(d, seller, TALLY_TX_LISTING_CREATE);
    tally_tx_listing *body = &tx.body.listing;
    body->network_id = d->network_id;
    body->kind = kind;
    body->category = category;
    body->price = price;
    body->quantity = quantity;
    body->expiry = tip_time(d) + 60 * DAY;
    text(&body->title, title);
    text(&body->text, about);
    tally_result result;
    if (!run(d, seller, &tx, &result)) return false;
    if (id) *id = result.created_id;
    return true;
}

static bool order_step(demo *d, int who, tally_tx_type type, uint32_t order_id) {
    tally_tx tx = new_tx(d, who, type);
    tx.body.order_step.order_id = order_id;
    return run(d, who, &tx, NULL);
}

static bool review(demo *d, int who, uint32_t order_id, uint8_t stars, const char *words) {
    tally_tx tx = new_tx(d, who, TALLY_TX_REVIEW);
    tx.body.review.order_id = order_id;
    tx.body.review.rating = stars;
    text(&tx.body.review.text, words);
    return run(d, who, &tx, NULL);
}

/* Categories 1 Food, 2 Crafts, 3 Services; four listings; alice buys two dozen of
 * bob's eggs (25.00 GVH held with its fee), bob accepts, alice confirms: bob is
 * paid 25.00; each reviews the other. */
static bool open_market(demo *d) {
    uint32_t eggs = 0;
    if (!name_category(d, 1, "Food") || !name_category(d, 2, "Crafts") || !name_category(d, 3, "Services") ||
        !publish(d, BOB, TALLY_LISTING_OFFER, 1, "Fresh eggs, a dozen", "Free-range, collected every morning", 1250,
                 10, &eggs) ||
        !publish(d, ALICE, TALLY_LISTING_OFFER, 1, "Sourdough loaf", "Baked on Fridays; rye on request", 400, 20,
                 NULL) ||
        !publish(d, CAROL, TALLY_LISTING_OFFER, 3, "Barn and shed repairs", "Roofs, doors, fences: name your price",
                 0, 5, NULL) ||
        !publish(d, DAVE, TALLY_LISTING_WANT, 2, "A ladder for a weekend", "Three metres at least", 500, 1, NULL))
        return false;
    tally_tx tx = new_tx(d, ALICE, TALLY_TX_ORDER_CREATE);
    tally_tx_order_create *body = &tx.body.order_create;
    body->listing_id = eggs;
    body->quantity = 2;
    body->unit_price = 1250;
    body->max_fee = 2500 / 10 + 100;
    body->timeout = tip_time(d) + 14 * DAY;
    text(&body->memo, "for Sunday's cake sale");
    tally_result result;
    if (!run(d, ALICE, &tx, &result)) return false;
    uint32_t order = result.created_id;
    return order_step(d, BOB, TALLY_TX_ORDER_ACCEPT, order) && order_step(d, ALICE, TALLY_TX_ORDER_CONFIRM, order) &&
           review(d, ALICE, order, 5, "Lovely eggs, delivered on time") &&
           review(d, BOB, order, 4, "Paid promptly, thank you");
}

bool demo_network_create(node *n, const char *wallet_dir, char *why, size_t why_size) {
    demo d = {.node = n, .why = why, .why_size = why_size};
    const tally_state *state = node_read_begin(n);
    if (!state) {
        snprintf(why, why_size, "the node has stopped after a failed write");
        return false;
    }
    memcpy(d.chain_id, tally_state_chain_id(state), sizeof d.chain_id);
    node_read_end(n);
    bool ok = make_keys(&d, wallet_dir) && found_network(&d) && fund_pool(&d) &&
              pay(&d, ALICE, BOB, 1250, "a dozen eggs") &&           /* on credit */
              pay(&d, CAROL, DAVE, 42000, "repairing the barn roof") && /* on credit */
              pay(&d, DAVE, ALICE, 8000, "bread for a month") &&       /* repays alice's debt */
              hold(&d, DAVE, CAROL, 2000, 14 * DAY) &&                 /* a deposit, held two weeks */
              invoice(&d, CAROL, DAVE, 400, "a sack of potatoes", true) &&
              invoice(&d, BOB, ALICE, 1250, "honey", false) &&         /* open: alice may pay it */
              open_market(&d) && trade_across(&d) && clear_once(&d) &&
              pay(&d, BOB, CAROL, 1000, "apples");                     /* the last: tests wait for it */
    for (int i = 0; i < PEOPLE; i++) keystore_wipe(&d.keys[i]);
    return ok;
}
