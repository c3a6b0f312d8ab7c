/*
 * demo.c: `make run` until the node exists (issue 3). A scripted history of one
 * small network, every transaction signed and checked like a real one: founding,
 * members with aliases and credit lines, a reserve asset and a pool deposit,
 * payments on credit and repayments, periods that renew, freeze and default, and a
 * redemption against the lost debt. It prints each step, then the balances and the
 * network's figures, and checks every invariant at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

#define DAY (24 * 60 * 60)
enum { NET = 1, USD = 1, PEOPLE = 6 };

typedef struct {
    const char *alias;
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
} person;

static tally_state *state;
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
static int64_t now = 1767225600; /* 2026-01-01 */
static const int64_t start = 1767225600;
static person people[PEOPLE] = {{"operator", {{0}}, {0}}, {"alice", {{0}}, {0}}, {"bob", {{0}}, {0}},
                                {"carol", {{0}}, {0}},    {"dave", {{0}}, {0}},  {"bank", {{0}}, {0}}};
enum { OPERATOR, ALICE, BOB, CAROL, DAVE, BANK };

static const char *credits(int64_t amount) {
    static char buffers[4][48];
    static int next;
    char *out = buffers[next++ % 4];
    size_t length = tally_amount_format(amount, 2, out, 32);
    snprintf(out + length, 16, " GVH");
    return out;
}

static const char *dollars(int64_t amount) {
    static char buffers[4][48];
    static int next;
    char *out = buffers[next++ % 4];
    size_t length = tally_amount_format(amount, 2, out, 32);
    snprintf(out + length, 16, " USD");
    return out;
}

static tally_tx new_tx(int who, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = people[who].key;
    tx.sequence = tally_state_next_sequence(state, &people[who].key);
    return tx;
}

static void text(tally_text *field, const char *value) {
    field->length = (uint16_t)strlen(value);
    memcpy(field->bytes, value, field->length);
}

/* Signs, encodes and decodes (as a node would receive it), then applies. */
static tally_result submit(int who, tally_tx *tx, const char *story) {
    tally_tx_sign(tx, people[who].secret);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    tally_tx received;
    if (length == 0 || tally_tx_decode(bytes, length, &received) != TALLY_OK) {
        fprintf(stderr, "demo: could not encode %s\n", story);
        exit(1);
    }
    tally_result result = tally_apply_signed(state, &received, now);
    printf("day %3lld  %-58s", (long long)((now - start) / DAY), story);
    if (result.code == TALLY_OK) printf("ok\n");
    else printf("refused: %s\n", tally_error_message(result.code));
    return result;
}

static void pay(int payer, int payee, int64_t amount) {
    char story[128];
    snprintf(story, sizeof story, "%s pays %s %s", people[payer].alias, people[payee].alias, credits(amount));
    tally_tx tx = new_tx(payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = NET;
    tx.body.transfer.payee = people[payee].key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount; /* the wallet would show the fee first */
    text(&tx.body.transfer.memo, "demo");
    tally_result result = submit(payer, &tx, story);
    if (result.code == TALLY_OK && (result.minted || result.burned || result.fee))
        printf("          (fee %s; %s created on credit, %s of debt repaid)\n", credits(result.fee),
               credits(result.minted), credits(result.burned));
}

static void advance(int64_t days) {
    now += days * DAY;
    tally_block_summary summary = tally_end_block(state, now);
    printf("day %3lld  -- %lld days pass: %u lines renewed, %u frozen, %u defaulted", (long long)((now - start) / DAY),
           (long long)days, summary.lines_renewed, summary.lines_frozen, summary.lines_defaulted);
    if (summary.debt_written_off)
        printf(", %s written off, %s covered by the pool's credits", credits(summary.debt_written_off),
               credits(summary.lost_debt_burned));
    if (summary.reserve_reallocated) printf(", %s of excess moved to primary", dollars(summary.reserve_reallocated));
    printf("\n");
}

static void print_accounts(void) {
    static const char *line_names[] = {"none", "active", "frozen", "expired", "closed", "defaulted"};
    printf("\n%-10s %14s %14s %14s %-10s %12s\n", "member", "balance", "limit", "can spend", "line", "fees paid");
    for (int i = ALICE; i <= DAVE; i++) {
        const tally_member *m = tally_state_member(state, NET, &people[i].key);
        printf("%-10s %14s %14s %14s %-10s %12s\n", m->alias, credits(m->balance), credits(m->limit),
               credits(tally_member_available(state, m)), line_names[m->line_status], credits(m->fees_paid));
    }
    const tally_network *n = tally_state_network(state, NET);
    tally_key fees = tally_system_key(NET, TALLY_SYSTEM_FEES), lost = tally_system_key(NET, TALLY_SYSTEM_LOST_DEBT);
    printf("%-10s %14s\n%-10s %14s\n", "(fees)", credits(tally_state_member(state, NET, &fees)->balance),
           "(lost)", credits(tally_state_member(state, NET, &lost)->balance));
    printf("\nnetwork %s (%s): %u members, supply %s, debt %s\n", n->name, n->unit_code, n->member_count,
           credits(n->supply), credits(n->debt));
    printf("pool: primary %s, buffer %s, excess %s; RTD %lld.%02lld%% (target %u.%02u%%)\n", dollars(n->pool_primary),
           dollars(n->pool_buffer), dollars(n->pool_excess), (long long)tally_network_rtd_bps(n) / 100,
           (long long)tally_network_rtd_bps(n) % 100, n->policy.target_rtd_bps / 100, n->policy.target_rtd_bps % 100);
}

int main(void) {
    if (!tally_crypto_init()) return 1;
    memset(chain_id, 0x42, sizeof chain_id);
    state = tally_state_create(chain_id);
    for (int i = 0; i < PEOPLE; i++) {
        uint8_t seed[32] = {0};
        snprintf((char *)seed, sizeof seed, "tally-demo-%s", people[i].alias);
        tally_keypair(&people[i].key, people[i].secret, seed);
    }
    printf("Tally demo: the Greenvale network, one transaction at a time (signed, encoded, verified, applied)\n\n");

    tally_tx tx = new_tx(OPERATOR, TALLY_TX_NETWORK_CREATE);
    text(&tx.body.network_create.name, "Greenvale");
    text(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tally_policy *policy = &tx.body.network_create.policy;
    tally_policy_defaults(policy); /* 100,000 members, a 7-day notice, redemptions of 10% a day */
    policy->default_credit_limit = 50000; /* 500.00 */
    policy->max_credit_limit = 200000;
    policy->positive_cap = 500000;
    policy->fee_bps = 100; /* 1% */
    policy->default_risk_fee_bps = 50;
    policy->period_seconds = 90 * DAY;
    policy->grace_seconds = 30 * DAY;
    policy->target_rtd_bps = 2000;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->auto_renew = true;
    submit(OPERATOR, &tx, "operator founds Greenvale (GVH, 1% fee, 90-day periods)");
    for (int i = ALICE; i <= DAVE; i++) {
        char story[96];
        snprintf(story, sizeof story, "operator admits %s (line of %s)", people[i].alias, credits(50000));
        tx = new_tx(OPERATOR, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = NET;
        tx.body.network_key.key = people[i].key;
        submit(OPERATOR, &tx, story);
        snprintf(story, sizeof story, "%s takes the alias %s@greenvale", people[i].alias, people[i].alias);
        tx = new_tx(i, TALLY_TX_ALIAS_SET);
        tx.body.alias_set.network_id = NET;
        text(&tx.body.alias_set.alias, people[i].alias);
        submit(i, &tx, story);
    }
    tx = new_tx(OPERATOR, TALLY_TX_LINE_UPDATE);
    tx.body.line_update.network_id = NET;
    tx.body.line_update.member = people[CAROL].key;
    tx.body.line_update.limit = 150000;
    tx.body.line_update.risk_fee_bps = 50;
    submit(OPERATOR, &tx, "operator raises carol's line to 1500.00 GVH");

    tx = new_tx(BANK, TALLY_TX_ASSET_CREATE);
    text(&tx.body.asset_create.code, "USD");
    text(&tx.body.asset_create.name, "Greenvale Cooperative Bank dollars");
    tx.body.asset_create.decimals = 2;
    submit(BANK, &tx, "the bank creates the reserve asset USD");
    tx = new_tx(BANK, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = USD;
    tx.body.asset_move.to = people[BOB].key;
    tx.body.asset_move.amount = 100000;
    submit(BANK, &tx, "the bank issues 1000.00 USD to bob");
    tx = new_tx(OPERATOR, TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = NET;
    tx.body.peg_set.asset_id = USD;
    tx.body.peg_set.peg_reserve_units = 1;
    tx.body.peg_set.peg_credit_units = 1;
    submit(OPERATOR, &tx, "operator pegs GVH 1:1 to USD for the pool");

    pay(ALICE, BOB, 1250); /* eggs, on credit */
    pay(CAROL, DAVE, 42000);
    pay(DAVE, ALICE, 8000);
    tx = new_tx(BOB, TALLY_TX_POOL_DEPOSIT);
    tx.body.pool_amount.network_id = NET;
    tx.body.pool_amount.amount = 30000;
    submit(BOB, &tx, "bob deposits 300.00 USD in the assurance pool");
    pay(ALICE, CAROL, 90000); /* refused: more than alice's credit */
    pay(BOB, ALICE, 1000);
    advance(30);
    pay(DAVE, CAROL, 20000); /* carol repays part of her debt by selling */
    pay(ALICE, DAVE, 3000);
    tx = new_tx(OPERATOR, TALLY_TX_FEE_DISTRIBUTE);
    tx.body.fee_distribute.network_id = NET;
    tx.body.fee_distribute.to_pool = true;
    tx.body.fee_distribute.amount = 500;
    submit(OPERATOR, &tx, "operator sends 5.00 GVH of fees to the pool");
    advance(60); /* end of the first period: who rebalanced? */
    pay(CAROL, BOB, 100);
    advance(30); /* end of grace */
    tx = new_tx(DAVE, TALLY_TX_POOL_REDEEM);
    tx.body.pool_amount.network_id = NET;
    tx.body.pool_amount.amount = 5000;
    tally_result redeemed = submit(DAVE, &tx, "dave redeems 50.00 GVH against lost debt for USD");
    if (redeemed.code == TALLY_OK)
        printf("          (%s burned, %s paid from the pool)\n", credits(redeemed.burned), dollars(redeemed.reserve));

    print_accounts();
    char why[256];
    if (!tally_check_invariants(state, why, sizeof why)) {
        printf("\nINVARIANT BROKEN: %s\n", why);
        return 1;
    }
    uint8_t hash[TALLY_HASH_BYTES];
    if (!tally_state_hash(state, hash)) return 1;
    printf("\nall invariants hold; state hash ");
    for (int i = 0; i < 8; i++) printf("%02x", hash[i]);
    printf("...\n\nNext: `make test` runs every test, `make bench` measures the core.\n"
           "The node, the CLI wallet and `tally verify` come with issue 3.\n");
    tally_state_destroy(state);
    return 0;
}
