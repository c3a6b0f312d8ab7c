/*
 * test_cli_gateway.c: gateways through a real tallyd and the CLI (issue 11): three
 * networks, two gateways proposed and accepted (Greenvale-Riverside 1:1, Riverside-
 * Hilltop 3:2), a payment of one hop and one of two hops found by `tally pay
 * FROM@NET WHO@NET AMOUNT` and committed with exactly the figures it showed, `tally
 * gateway show` and `list` with the exposures; a limit lowered and a side frozen
 * leave no path (the CLI says why); every refusal of the new commands and routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli_session.h"
#include "node_harness.h"
#include "test.h"




TEST(cli_gateways_and_a_two_hop_payment_through_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    if (!harness_start(&node, NULL)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd (build/test/tallyd) did not start");
    }
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[4] = {"op", "alice", "bob", "carol"};
    session_import_keys(&s, names, 4, 'a');

    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Greenvale", "GVH", "--default-limit", "100", "--fee-bps",
                   "100"),
             CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Riverside", "RVS"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Hilltop", "HLT"), CLI_OK);
    const char *homes[3] = {"greenvale", "riverside", "hilltop"};
    for (int k = 1; k <= 3; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", homes[k - 1]), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", homes[k - 1], names[k]), CLI_OK);
    }

    /* no gateway yet: no path, and the CLI says so */
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "10"), CLI_REFUSED);
    CHECK(contains(s.err, "no way to pay 10.00 GVH from alice@Greenvale to bob@Riverside now"));
    CHECK(contains(s.err, "NO_PATH"));
    CHECK_EQ(TALLY(&s, "gateway", "list"), CLI_OK);
    CHECK(contains(s.out, "no gateways yet"));

    /* propose and accept: Greenvale-Riverside 1:1, 0.5% each side, limits of 500 */
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "riverside", "--rate", "1:1", "--fee-bps", "50",
                   "--partner-fee-bps", "50", "--limit", "500", "--partner-limit", "500"),
             CLI_OK);
    CHECK(contains(s.out, "proposed gateway 1 from Greenvale to Riverside"));
    CHECK(contains(s.out, "tally gateway accept 1"));
    CHECK_EQ(TALLY(&s, "gateway", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "gateway 1: Greenvale (GVH) <-> Riverside (RVS), proposed"));
    CHECK(contains(s.out, "rate        1.00 GVH = 1.00 RVS"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "accept", "1"), CLI_OK);
    CHECK(contains(s.out, "accepted gateway 1: Greenvale and Riverside are linked"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "accept", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_PROPOSED"));
    /* Riverside-Hilltop 3:2, Hilltop's fee 1%, limits of 1000 */
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "riverside", "hilltop", "--rate", "3:2", "--partner-fee-bps",
                   "100", "--limit", "1000", "--partner-limit", "1000"),
             CLI_OK);
    CHECK(contains(s.out, "proposed gateway 2"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "accept", "2"), CLI_OK);

    /* the paths, read without signing */
    CHECK_EQ(TALLY(&s, "paths", "alice@greenvale", "carol@hilltop", "20"), CLI_OK);
    CHECK(contains(s.out, "paths from alice@Greenvale to carol@Hilltop for 20.00 GVH, best first (1 priced):"));
    CHECK(contains(s.out, "1. gateways 1, 2: carol@Hilltop receives 13.12 HLT, your fee 0.20 GVH"));
    /* 19.90 RVS are 663 whole steps of 3: 19.89 cross to Hilltop (0.01 stays in Riverside) */
    CHECK(contains(s.out, "gateway 1 into Riverside: 20.00 RVS arrive, fee 0.10 RVS, 19.89 RVS pass on"));
    CHECK(contains(s.out, "gateway 2 into Hilltop: 13.26 HLT arrive, fee 0.14 HLT, 13.12 HLT to the payee"));
    CHECK_EQ(TALLY(&s, "paths", "alice@greenvale", "carol@hilltop", "20", "--path", "2"), CLI_REFUSED);
    CHECK(contains(s.err, "BAD_PATH"));
    CHECK_EQ(TALLY(&s, "paths", "alice@greenvale", "carol@greenvale", "20"), CLI_REFUSED);
    CHECK_EQ(TALLY(&s, "paths", "alice@greenvale", "carol@hilltop", "x"), CLI_USAGE);

    /* one hop: 10.00 GVH, fee 1% in Greenvale (0.10), 10.00 arrive in Riverside, 0.05 fee */
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "10"), CLI_OK);
    CHECK(contains(s.out, "paid 10.00 GVH to bob@Riverside over gateway 1: bob@Riverside received 9.95 RVS (at least "
                          "9.95 RVS signed), fee 0.10 GVH (at most 0.10 GVH signed)"));
    /* two hops, found by the node: 20.00 GVH arrive as 20.00 RVS, 0.10 fee, 19.89 of the
     * 19.90 left cross at 3:2 (whole steps) as 13.26 HLT, Hilltop's 1% is 0.14 (rounded
     * up): carol receives 13.12 */
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "carol@hilltop", "20"), CLI_OK);
    CHECK(contains(s.out, "paid 20.00 GVH to carol@Hilltop over gateways 1, 2: carol@Hilltop received 13.12 HLT (at "
                          "least 13.12 HLT signed), fee 0.20 GVH (at most 0.20 GVH signed)"));
    /* the block shows the payment with its path and what it signed */
    const char *in_block = s.out ? strstr(s.out, "committed in block ") : NULL;
    CHECK(in_block != NULL);
    if (in_block) {
        char block_path[64];
        snprintf(block_path, sizeof block_path, "/v1/blocks/%ld", strtol(in_block + 19, NULL, 10));
        json_t *block = NULL;
        CHECK_EQ(harness_request(&node, "GET", block_path, NULL, 0, &block), 200);
        json_t *cross = NULL, *transaction;
        size_t index;
        json_array_foreach(json_object_get(block, "transactions"), index, transaction)
            if (strcmp(json_string_value(json_object_get(transaction, "type")), "transfer_cross") == 0) cross = transaction;
        CHECK(cross != NULL);
        CHECK_EQ(harness_json_int(cross, "min_received"), 1312);
        CHECK_EQ(harness_json_int(cross, "max_fee"), 20);
        CHECK_EQ(json_array_size(json_object_get(cross, "gateways")), 2);
        CHECK_EQ(harness_json_int(cross, "result.available"), 1312);
        json_decref(block);
    }
    /* both histories hold the payment (the index follows the chain within moments) */
    bool listed = false;
    for (int attempt = 0; attempt < 50 && !listed; attempt++) {
        CHECK_EQ(TALLY(&s, "--key", "carol", "history", "hilltop"), CLI_OK);
        listed = contains(s.out, "transfer_cross") && contains(s.out, "13.12 HLT");
        if (!listed) nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    CHECK(listed);
    CHECK_EQ(TALLY(&s, "--key", "alice", "history", "greenvale"), CLI_OK);
    CHECK(contains(s.out, "-20.00 GVH"));
    CHECK_EQ(TALLY(&s, "balance", "--key", "carol", "hilltop"), CLI_OK);
    CHECK(contains(s.out, "13.12 HLT"));

    /* the exposures: gw:Greenvale in Riverside owes 30.00 (10 + 20 arrived) */
    CHECK_EQ(TALLY(&s, "gateway", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "gw:Greenvale in Riverside: -30.00 RVS: Greenvale owes 30.00 RVS here (exposure), 470.00 RVS "
                          "of room under the limit"));
    CHECK(contains(s.out, "gw:Riverside in Greenvale: 30.00 GVH (what this network owes the partner)"));
    CHECK_EQ(TALLY(&s, "gateway", "show", "2"), CLI_OK);
    CHECK(contains(s.out, "gw:Riverside in Hilltop: -13.26 HLT: Riverside owes 13.26 HLT here"));
    CHECK_EQ(TALLY(&s, "gateway", "list", "hilltop"), CLI_OK);
    CHECK(contains(s.out, "gateway 2: Riverside (RVS) <-> Hilltop (HLT), open"));
    CHECK(!contains(s.out, "gateway 1:"));
    CHECK_EQ(TALLY(&s, "--json", "gateway", "show", "1"), CLI_OK);
    json_t *shown = json_loads(s.out, 0, NULL);
    CHECK_EQ(harness_json_int(shown, "b.exposure"), 3000);
    CHECK_EQ(harness_json_int(shown, "a.mirror_balance"), 3000);
    json_decref(shown);

    /* an explicit path, and one that does not follow on */
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "carol@hilltop", "1", "--path", "1,2"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "carol@hilltop", "1", "--path", "2,1"), CLI_REFUSED);
    CHECK(contains(s.err, "BAD_PATH"));

    /* Riverside lowers its limit under the exposure: no new exposure, no path */
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "update", "1", "--network", "riverside", "--limit", "30"), CLI_OK);
    CHECK(contains(s.out, "changed Riverside's side of gateway 1: fee 0.50%, exposure limit 30.00 RVS"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "5"), CLI_REFUSED);
    CHECK(contains(s.err, "EXPOSURE_LIMIT"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "update", "1", "--network", "riverside", "--limit", "500"), CLI_OK);
    /* frozen: refused as well, and a payment back still passes */
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "freeze", "1", "--network", "riverside"), CLI_OK);
    CHECK(contains(s.out, "froze Riverside's side of gateway 1: no new exposure to Greenvale"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "5"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_FROZEN"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "pay", "bob@riverside", "alice@greenvale", "5"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "unfreeze", "1", "--network", "riverside"), CLI_OK);
    CHECK(contains(s.out, "unfroze Riverside's side of gateway 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "5"), CLI_OK);

    /* refusals of the commands */
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "1.234"), CLI_USAGE);
    CHECK(contains(s.err, "too many decimals: GVH has 2"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "pay", "alice@greenvale", "bob@riverside", "1"), CLI_USAGE);
    CHECK(contains(s.err, "FROM is you"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "1", "--memo", "x"), CLI_USAGE);
    CHECK(contains(s.err, "carries no memo"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "pay", "alice@greenvale", "bob@riverside", "1", "--path", "1,x"), CLI_USAGE);
    CHECK(contains(s.err, "--path is 1 to 4 gateway numbers"));
    CHECK_EQ(TALLY(&s, "gateway", "show", "99"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_FOUND"));
    CHECK_EQ(TALLY(&s, "gateway", "show", "x"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "accept", "99"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_FOUND"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "close", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_CLEAR"));
    CHECK(contains(s.err, "tally gateway show 1"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "freeze", "1"), CLI_USAGE);
    CHECK(contains(s.err, "--network NET is needed"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "freeze", "1", "--network", "hilltop"), CLI_USAGE);
    CHECK(contains(s.err, "Hilltop is not a side of gateway 1"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "update", "1", "--network", "riverside"), CLI_USAGE);
    CHECK(contains(s.err, "nothing to change"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "gateway", "update", "1", "--network", "riverside", "--fee-bps", "10"),
             CLI_REFUSED);
    CHECK(contains(s.err, "NOT_OPERATOR"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "greenvale", "--rate", "1:1"), CLI_USAGE);
    CHECK(contains(s.err, "two different networks"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "hilltop"), CLI_USAGE);
    CHECK(contains(s.err, "--rate is needed"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "hilltop", "--rate", "3"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "hilltop", "--rate", "0:1"), CLI_USAGE);
    CHECK(contains(s.err, "--rate: the amount must be greater than zero"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "riverside", "--rate", "1:1"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_EXISTS"));
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "greenvale", "hilltop", "--rate", "1:1", "--fee-bps",
                   "20000"),
             CLI_USAGE);
    CHECK(contains(s.err, "--fee-bps takes basis points, 0 to 10000"));
    /* clearing: amounts off the rate are the ledger's to refuse; the command line's own */
    CHECK_EQ(TALLY(&s, "--key", "bob", "clearing", "submit", "--gateway", "1:1:2"), CLI_REFUSED);
    CHECK(contains(s.err, "BAD_CLEARING"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "clearing", "submit"), CLI_USAGE);
    CHECK(contains(s.err, "at least one set-off"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "clearing", "submit", "--gateway", "1:1"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "--key", "bob", "clearing", "submit", "--gateway", "1:1:1", "--gateway", "1:2:2"), CLI_USAGE);
    CHECK(contains(s.err, "set off twice"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "clearing", "submit", "--gateway", "9:1:1"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_FOUND"));

    /* the routes' refusals */
    CHECK_REFUSED(&node, "/v1/gateways/99", 404, "GATEWAY_NOT_FOUND");
    CHECK_REFUSED(&node, "/v1/gateways/x", 400, "BAD_ID");
    CHECK_REFUSED(&node, "/v1/gateways?network=x", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/gateways?network=9", 404, "UNKNOWN_NETWORK");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside", 400, "BAD_AMOUNT");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside&amount=0", 400, "BAD_AMOUNT");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside&amount=1.5", 400, "BAD_AMOUNT");
    CHECK_REFUSED(&node, "/v1/paths?to=bob@riverside&amount=100", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/paths?from=alice&to=bob@riverside&amount=100", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@nowhere&to=bob@riverside&amount=100", 404, "UNKNOWN_NETWORK");
    CHECK_REFUSED(&node, "/v1/paths?from=zed@greenvale&to=bob@riverside&amount=100", 404, "NOT_MEMBER");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=alice@greenvale&amount=100", 400, "SAME_NETWORK");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside&amount=100&path=1,", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside&amount=100&path=1,2,3,4,5", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/paths?from=alice@greenvale&to=bob@riverside&amount=100000", 404, "NO_PATH");
    json_t *answer = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/paths?from=alice@greenvale&to=carol@3&amount=2000", NULL, 0, &answer),
             200);
    CHECK_EQ(harness_json_int(json_array_get(json_object_get(answer, "paths"), 0), "received"), 1312);
    json_decref(answer);

    /* every answer of the gateways, paths and blocks against docs/openapi.yaml */
    CHECK_EQ(session_check_schemas(&node, "--gateways"), 0);

    CHECK_EQ(harness_stop(&node), 0);
    free(s.out);
    free(s.err);
    cli_client_curl_transport_close();
    harness_remove_directory(&node);
}
