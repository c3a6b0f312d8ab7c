/*
 * test_cli_underwrite.c: underwriting and membership fees (issue 12) through a real
 * tallyd --dev and the CLI, with exact figures: a network at a collateral ratio of
 * 150% pegged 1:1 to USD, 300.00 USD staked behind bob's line make its limit 200.00
 * (`member show` shows both parts and the stake), an unstake below what covers bob's
 * debt refused with the most that can come back, `underwrite list` both ways, the
 * API's stakes routes and every refusal of the new commands; then a membership fee
 * a member cannot pay suspends it until it pays with `tally member pay-fee`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli_session.h"
#include "node/index.h"
#include "node_harness.h"
#include "test.h"

static bool start_dev_node(test_node *node) {
    if (!harness_make_directory(node)) return false;
    const char *const dev[] = {"--dev", NULL};
    if (harness_start(node, dev)) return true;
    harness_remove_directory(node);
    return false;
}

/* Every answer about the network's stakes, members and policy against
 * docs/openapi.yaml, the chain verified, the node stopped. */
static void stop(session *s, test_node *node) {
    CHECK_EQ(session_check_schemas(node, "--underwriting"), 0);
    CHECK_EQ(TALLY(s, "verify"), CLI_OK);
    CHECK_EQ(harness_stop(node), 0);
}

static void finish(session *s, test_node *node) {
    stop(s, node);
    session_free(s);
    cli_client_curl_transport_close();
    harness_remove_directory(node);
}

TEST(cli_underwriting_stakes_cover_a_line_through_a_real_node) {
    test_node node;
    REQUIRE(start_dev_node(&node));
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[4] = {"op", "alice", "bob", "carol"};
    session_import_keys(&s, names, 4, '3');

    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Valley", "VLY", "--fee-bps", "0", "--collateral-ratio-bps",
                   "15000"),
             CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Plain", "PLN"), CLI_OK);
    for (int k = 1; k < 4; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", "valley"), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", "valley", names[k]), CLI_OK);
    }
    CHECK_EQ(TALLY(&s, "--key", "alice", "member", "join", "plain"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "bob", "member", "join", "plain"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "bob", "alias", "set", "plain", "bob"), CLI_OK);
    char alice_address[TALLY_ADDRESS_LENGTH + 1] = "";
    CHECK_EQ(TALLY(&s, "key", "show", "alice"), CLI_OK);
    snprintf(alice_address, sizeof alice_address, "%.*s", TALLY_ADDRESS_LENGTH, s.out);
    CHECK_EQ(TALLY(&s, "--key", "op", "asset", "create", "USD", "Valley dollar"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "asset", "issue", "USD", "alice@valley", "500.00"), CLI_OK);
    /* no peg yet: nothing can be staked in a reserve that does not exist */
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "stake", "valley", "bob", "300.00"), CLI_REFUSED);
    CHECK(contains(s.err, "(NO_RESERVE_ASSET)"));
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "peg", "valley", "USD", "1.00", "1.00"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "peg", "plain", "USD", "1.00", "1.00"), CLI_OK);
    CHECK_EQ(TALLY(&s, "network", "show", "valley"), CLI_OK);
    CHECK(contains(s.out, "underwriting: stakes cover their value * 10000 / 15000 (collateral 150"));
    CHECK(contains(s.out, "governance: operators"));
    CHECK(contains(s.out, "reputation: base 200, age 200 at 365 days, volume 200 at 10000.00 VLY"));

    /* 300.00 USD at 1:1 and 150% cover 200.00 VLY */
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "stake", "valley", "bob", "300.00"), CLI_OK);
    CHECK(contains(s.out, "staked 300.00 USD behind bob@Valley's line in Valley: its limit is now 200.00 VLY"));
    CHECK_EQ(TALLY(&s, "member", "show", "valley", "bob"), CLI_OK);
    CHECK(contains(s.out, "limit       200.00 VLY\n"));
    CHECK(contains(s.out, "own part    0.00 VLY of the limit"));
    CHECK(contains(s.out, "by stakes   200.00 VLY of the limit, covered by 300.00 USD staked behind the line (1 "
                          "underwriter)"));
    CHECK(contains(s.out, "reputation  200 of 1000 (as the chain wrote it at the line's last period end)"));
    CHECK(contains(s.out, "            from: joined "));
    CHECK(contains(s.out, "stakes behind the line:\n"));
    CHECK(contains(s.out, "alice"));
    CHECK(contains(s.out, "300.00 USD  200.00 VLY"));
    CHECK_EQ(TALLY(&s, "--json", "member", "show", "valley", "bob"), CLI_OK);
    json_t *bob = json_loads(s.out, 0, NULL);
    REQUIRE(bob != NULL);
    json_t *underwriting = json_object_get(bob, "underwriting");
    CHECK_EQ(json_integer_value(json_object_get(underwriting, "underwritten_limit")), 20000);
    CHECK_EQ(json_integer_value(json_object_get(underwriting, "own_limit")), 0);
    CHECK_EQ(json_integer_value(json_object_get(underwriting, "staked_behind")), 30000);
    CHECK_EQ(json_array_size(json_object_get(json_object_get(bob, "stakes"), "behind")), 1);
    CHECK(json_is_object(json_object_get(bob, "reputation")));
    CHECK_EQ(json_integer_value(json_object_get(bob, "fee_owed")), 0);
    json_decref(bob);
    CHECK_EQ(TALLY(&s, "member", "show", "valley", "alice"), CLI_OK);
    CHECK(contains(s.out, "stakes made 1, 300.00 USD staked now behind others' lines"));
    CHECK(contains(s.out, "stakes it made:\n"));

    /* bob owes 150.00 above his own part 0: 225.00 USD must stay, 75.00 may come back */
    CHECK_EQ(TALLY(&s, "--key", "bob", "pay", "alice@valley", "150"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "unstake", "valley", "bob", "100.00"), CLI_REFUSED);
    CHECK(contains(s.err, "refused: a stake is withdrawn only down to what still covers the line's debt "
                          "(STAKE_COVERS_DEBT)"));
    CHECK(contains(s.err, "at most 75.00 USD can come back now"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "unstake", "valley", "bob", "75.00"), CLI_OK);
    CHECK(contains(s.out, "took back 75.00 USD of your stake behind bob@Valley's line in Valley: its limit is now "
                          "150.00 VLY"));
    /* both histories show the stake and the unstake, with the reserve moved */
    CHECK(TALLY_UNTIL(&s, "took back 75.00 USD behind the line", "--key", "bob", "history", "valley"));
    CHECK(contains(s.out, "staked 300.00 USD behind the line"));
    CHECK(TALLY_UNTIL(&s, "took back 75.00 USD behind the line", "--key", "alice", "history", "valley"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "unstake", "valley", "bob", "1000.00"), CLI_REFUSED);
    CHECK(contains(s.err, "(STAKE_SHORT)"));
    CHECK(contains(s.err, "your stake behind this line is 225.00 USD"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "underwrite", "unstake", "valley", "bob", "1.00"), CLI_REFUSED);
    CHECK(contains(s.err, "(STAKE_NOT_FOUND)"));

    /* the lists: alice's stakes, and the stakes behind bob's line */
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "list", "valley"), CLI_OK);
    CHECK(contains(s.out, "ID  NETWORK  LINE OF      STAKED      COVERS    EARNED   SLASHED\n"
                          " 1  Valley   bob      225.00 USD  150.00 VLY  0.00 VLY  0.00 USD\n"));
    CHECK(contains(s.out, "bob"));
    CHECK(contains(s.out, "225.00 USD  150.00 VLY  0.00 VLY  0.00 USD"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "list"), CLI_OK);
    CHECK(contains(s.out, "225.00 USD  150.00 VLY"));
    CHECK_EQ(TALLY(&s, "underwrite", "list", "valley", "--member", "bob"), CLI_OK);
    CHECK(contains(s.out, "UNDERWRITER"));
    CHECK(contains(s.out, "alice"));
    CHECK_EQ(TALLY(&s, "--json", "underwrite", "list", "valley", "--member", "bob"), CLI_OK);
    json_t *list = json_loads(s.out, 0, NULL);
    json_t *first = json_array_get(json_object_get(list, "stakes"), 0);
    CHECK_EQ(json_integer_value(json_object_get(first, "amount")), 22500);
    CHECK_EQ(json_integer_value(json_object_get(first, "cover")), 15000);
    CHECK(strcmp(json_string_value(json_object_get(first, "underwriter_name")), "alice") == 0);
    json_decref(list);
    CHECK_EQ(TALLY(&s, "--key", "carol", "underwrite", "list", "valley"), CLI_OK);
    CHECK(contains(s.out, "no stakes: `tally underwrite stake NET MEMBER AMOUNT` makes one"));

    /* refusals: the ledger's and the command line's */
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "stake", "valley", "bob", "900.00"), CLI_REFUSED);
    CHECK(contains(s.err, "(INSUFFICIENT_ASSET)"));
    CHECK(contains(s.err, "the balance held is 275.00 USD"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "stake", "plain", "bob", "10.00"), CLI_REFUSED);
    CHECK(contains(s.err, "the network takes no stakes (its collateral_ratio_bps is 0) (UNDERWRITING_OFF)"));
    CHECK(contains(s.err, "an operator of Plain lets it take stakes with `tally network policy Plain "
                          "--collateral-ratio-bps N`"));
    /* a member with a stake cannot leave before taking it back */
    CHECK_EQ(TALLY(&s, "--key", "op", "asset", "issue", "USD", "carol@valley", "10.00"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "carol", "underwrite", "stake", "valley", "bob", "10.00"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "carol", "member", "leave", "valley"), CLI_REFUSED);
    CHECK(contains(s.err, "(STAKES_OPEN)"));
    CHECK(contains(s.err, "10.00 USD is still staked (by it and behind its line)"));
    CHECK(contains(s.err, "`tally underwrite list Valley` and `tally member show Valley` show them"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "underwrite", "unstake", "valley", "bob", "10.00"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "carol", "member", "leave", "valley"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "bob", "underwrite", "stake", "valley", "bob", "10.00"), CLI_USAGE);
    CHECK(contains(s.err, "an underwriter stakes behind another member's line, not its own"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "underwrite", "stake", "valley", "bob", "10.001"), CLI_USAGE);
    CHECK(contains(s.err, "too many decimals: USD has 2"));
    CHECK_EQ(TALLY(&s, "underwrite", "list", "--member", "bob"), CLI_USAGE);
    CHECK(contains(s.err, "--member needs the network"));
    CHECK_EQ(TALLY(&s, "underwrite", "list", "valley", "--member", "nobody"), CLI_REFUSED);
    CHECK(contains(s.err, "NOT_MEMBER"));

    /* a stake's record proved, and checked offline against the chain's producer */
    char proof_file[320];
    snprintf(proof_file, sizeof proof_file, "%s/stake.proof", node.directory);
    CHECK_EQ(TALLY(&s, "prove", "stake", "1", "--out", proof_file), CLI_OK);
    CHECK_EQ(TALLY(&s, "check-proof", proof_file, "--against", node.url), CLI_OK);
    CHECK(contains(s.out, "stake 1 in network 1 behind "));
    CHECK_EQ(TALLY(&s, "prove", "stake", "x"), CLI_USAGE);
    CHECK(contains(s.err, "ID is a stake's number"));
    CHECK_EQ(TALLY(&s, "prove", "stake", "99"), CLI_REFUSED);

    /* the API: the lists and one stake */
    CHECK_REFUSED(&node, "/v1/stakes/99", 404, "STAKE_NOT_FOUND");
    CHECK_REFUSED(&node, "/v1/stakes/x", 400, "BAD_ID");
    CHECK_REFUSED(&node, "/v1/networks/99/stakes", 404, "UNKNOWN_NETWORK");
    CHECK_REFUSED(&node, "/v1/networks/1/stakes?member=nobody", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/networks/1/stakes?underwriter=nobody", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/networks/1/stakes?cursor=0", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/networks/1/stakes?limit=501", 400, "BAD_QUERY");
    CHECK_EQ(TALLY(&s, "--json", "network", "show", "valley"), CLI_OK);
    json_t *network = json_loads(s.out, 0, NULL);
    json_t *policy = json_object_get(network, "policy");
    CHECK_EQ(json_integer_value(json_object_get(policy, "collateral_ratio_bps")), 15000);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(policy, "reputation"), "base")), 200);
    CHECK(json_is_false(json_object_get(json_object_get(policy, "algorithmic_limits"), "enabled")));
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(policy, "governance"), "mode")), "operators") == 0);
    json_decref(network);

    /* a policy change keeps the ratio and the rules it does not name */
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "policy", "valley", "--algorithmic-limits", "--limit-base", "20",
                   "--limit-per-point", "0.10", "--limit-step-max", "50", "--limit-recovery-periods", "2",
                   "--reputation-streak", "400:6"),
             CLI_OK);
    CHECK_EQ(TALLY(&s, "network", "show", "valley"), CLI_OK);
    CHECK(contains(s.out, "collateral 150"));
    CHECK(contains(s.out, "algorithmic limits: 20.00 VLY + 0.10 VLY a point + 0.00% of income, up 50.00 VLY a "
                          "renewal at most, 2 compliant periods after a default"));
    CHECK(contains(s.out, "streak 400 at 6 periods"));
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "policy", "valley", "--governance", "members"), CLI_USAGE);
    CHECK(contains(s.err, "a vote's rule needs --quorum-bps, --threshold-bps and --voting-days"));
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "policy", "valley", "--reputation-age", "2000:365"), CLI_USAGE);
    CHECK(contains(s.err, "--reputation-age takes W:N"));
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "policy", "valley", "--vote-weighting", "wealth"), CLI_USAGE);
    CHECK(contains(s.err, "--vote-weighting is one-member, reputation or stake, not 'wealth'"));

    stop(&s, &node);
    /* the node's index keeps the reserve's moves: alice's USD history (asset 1) */
    char path[320], why[INDEX_WHY_BYTES];
    snprintf(path, sizeof path, "%s/data/index.sqlite", node.directory);
    tally_index *index = NULL;
    CHECK(index_open(path, &index, why, sizeof why) == INDEX_OK);
    index_asset_entry entries[4];
    uint32_t count = 0;
    uint64_t next = 0;
    tally_key alice;
    CHECK(index != NULL && tally_address_decode(alice_address, &alice));
    CHECK(index && index_asset_history(index, 1, &alice, 0, 4, entries, &count, &next, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 3);
    CHECK_EQ(entries[0].type, TALLY_TX_UNSTAKE);
    CHECK_EQ(entries[0].amount, 7500);
    CHECK_EQ(entries[1].type, TALLY_TX_STAKE);
    CHECK_EQ(entries[1].amount, -30000);
    tally_key account = tally_system_key(1, TALLY_SYSTEM_UNDERWRITING);
    CHECK(memcmp(entries[1].counterparty.bytes, account.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(entries[2].amount, 50000);
    if (index) index_close(index);
    session_free(&s);
    cli_client_curl_transport_close();
    harness_remove_directory(&node);
}

TEST(cli_membership_fee_suspends_until_paid_through_a_real_node) {
    test_node node;
    REQUIRE(start_dev_node(&node));
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[3] = {"op", "dave", "erin"};
    session_import_keys(&s, names, 3, '6');
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Dues", "DUE", "--fee-bps", "0", "--membership-fee", "5"),
             CLI_OK);
    for (int k = 1; k < 3; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", "dues"), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", "dues", names[k]), CLI_OK);
    }
    CHECK_EQ(TALLY(&s, "network", "show", "dues"), CLI_OK);
    CHECK(contains(s.out, "charges each period: demurrage 0.00% above 0.00 DUE, membership fee 5.00 DUE, to the fee "
                          "account"));
    CHECK_EQ(TALLY(&s, "--key", "op", "line", "open", "dues", "erin", "100", "--period-days", "365"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "erin", "pay", "dave@dues", "3"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "dave", "member", "pay-fee", "dues"), CLI_REFUSED);
    CHECK(contains(s.err, "(NO_FEE_OWED)"));

    /* the charge period ends: erin pays 5.00 from her line, dave (3.00, no line) cannot */
    CHECK_EQ(TALLY(&s, "dev", "advance", "30d"), CLI_OK);
    CHECK_EQ(TALLY(&s, "member", "show", "dues", "dave"), CLI_OK);
    CHECK(contains(s.out, "status      suspended\n"));
    CHECK(contains(s.out, "fee owed    5.00 DUE (suspended until paid: `tally member pay-fee Dues`)"));
    CHECK_EQ(TALLY(&s, "account", "dues", "erin"), CLI_OK);
    CHECK(contains(s.out, "balance     -8.00 DUE"));
    CHECK(TALLY_UNTIL(&s, "suspended: 5.00 DUE of membership fee owed (tally member pay-fee)", "--key", "dave",
                      "history", "dues"));
    CHECK(TALLY_UNTIL(&s, "membership fee: 5.00 DUE charged", "--key", "erin", "history", "dues"));
    CHECK_EQ(TALLY(&s, "activity", "dues"), CLI_OK);
    CHECK(contains(s.out, "suspended: 5.00 DUE of membership fee owed"));
    CHECK_EQ(TALLY(&s, "--key", "dave", "balance"), CLI_OK);
    CHECK(contains(s.out, "(member suspended: fee owed 5.00 DUE)"));
    CHECK_EQ(TALLY(&s, "--key", "op", "member", "reinstate", "dues", "dave"), CLI_REFUSED);
    CHECK(contains(s.err, "refused: the member owes membership fees: paying them reinstates it (FEE_OWED)"));
    CHECK(contains(s.err, "it owes 5.00 DUE: it pays with `tally member pay-fee`"));
    CHECK_EQ(TALLY(&s, "--key", "dave", "member", "pay-fee", "dues"), CLI_REFUSED);
    CHECK(contains(s.err, "you can spend at most 3.00 DUE"));

    /* paid 2.00 more, dave pays what he owes and is active again */
    CHECK_EQ(TALLY(&s, "--key", "erin", "pay", "dave@dues", "2"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "dave", "member", "pay-fee", "dues"), CLI_OK);
    CHECK(contains(s.out, "paid the membership fees you owed in Dues (5.00 DUE): you are active again"));
    CHECK_EQ(TALLY(&s, "account", "dues", "dave"), CLI_OK);
    CHECK(contains(s.out, "status      active\n"));
    CHECK(contains(s.out, "balance     0.00 DUE"));
    CHECK(!contains(s.out, "fee owed"));
    CHECK(TALLY_UNTIL(&s, "membership fee paid: active again", "--key", "dave", "history", "dues"));
    CHECK_EQ(TALLY(&s, "--key", "dave", "member", "pay-fee", "dues"), CLI_REFUSED);
    CHECK(contains(s.err, "the member owes no membership fee (NO_FEE_OWED)"));
    finish(&s, &node);
}
