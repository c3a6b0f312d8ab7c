/*
 * test_cli_governance.c: proposals through a real tallyd (dev chain) and the CLI
 * (issue 12): Greenvale's operator hands it to its members (a policy update whose
 * governance mode is members, built here: `network create` has no option for it
 * yet); the operator's direct changes are refused with the proposal to paste; alice
 * proposes an operator and a policy change (cancelled), alice and bob vote, dave
 * (admitted after) and carol (after the end) are refused; `dev advance` past the
 * vote and the timelock; `proposal show` says executed and the network shows the
 * new operator; every refusal of the new commands and routes; the answers against
 * docs/openapi.yaml.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/txbuild.h"
#include "cli_session.h"
#include "fixture.h"
#include "node_harness.h"
#include "test.h"

/* The key session_import_keys made from the seed digit `digit`. */
static test_actor seeded_actor(char digit) {
    uint8_t seed[32];
    unsigned nibble = (unsigned)(digit >= 'a' ? digit - 'a' + 10 : digit - '0');
    memset(seed, (int)(nibble << 4 | nibble), sizeof seed);
    test_actor made;
    tally_keypair(&made.key, made.secret, seed);
    return made;
}

/* op hands network 1 (made by `tally network create Greenvale GVH`, no options) to
 * its members: one member one vote, quorum 50%, threshold 50%, a day's vote, a day's
 * timelock, an hour's late-quorum extension, no emergency powers. */
static void hand_over(const test_node *node, const test_actor *op) {
    cli_unit unit = {2, "GVH"};
    tally_tx tx = harness_tx(node, op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = 1;
    tx.body.policy_update.policy = cli_policy_defaults(&unit);
    tx.body.policy_update.policy.governance = (tally_governance_rule){
        TALLY_GOVERNANCE_MEMBERS, TALLY_WEIGHT_ONE_MEMBER, 5000, 5000, 86400, 86400, 3600, false, false};
    json_t *result = NULL;
    CHECK_EQ(harness_submit(node, &tx, op, &result), 200);
    const char *state = harness_json_string(result, "status");
    CHECK(state && strcmp(state, "committed") == 0);
    if (!state || strcmp(state, "committed") != 0) {
        char *text = json_dumps(result, JSON_COMPACT);
        fprintf(stderr, "    hand-over: %s\n", text ? text : "(no result)");
        free(text);
    }
    json_decref(result);
}

TEST(cli_governance_an_operator_added_by_the_members_vote_through_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    const char *const dev[] = {"--dev", NULL};
    if (!harness_start(&node, dev)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd --dev (build/test/tallyd) did not start");
    }
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    const char *names[6] = {"op", "alice", "bob", "carol", "dave", "eve"};
    session_import_keys(&s, names, 6, '1');
    test_actor op = seeded_actor('1'), dave = seeded_actor('5');
    char dave_address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&dave.key, dave_address);

    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Greenvale", "GVH"), CLI_OK);
    for (int k = 1; k <= 3; k++) {
        CHECK_EQ(TALLY(&s, "--key", names[k], "member", "join", "greenvale"), CLI_OK);
        CHECK_EQ(TALLY(&s, "--key", names[k], "alias", "set", "greenvale", names[k]), CLI_OK);
    }
    /* its operators govern it: no proposals, and the CLI says who changes it */
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "operator-add", dave_address), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_GOVERNED_BY_MEMBERS)"));
    CHECK(contains(s.err, "the operators of Greenvale make such changes themselves"));
    CHECK_EQ(TALLY(&s, "proposal", "list", "greenvale"), CLI_OK);
    CHECK(contains(s.out, "no proposals in Greenvale yet"));

    hand_over(&node, &op);

    /* the operator's direct changes: refused, with the proposal to make instead */
    CHECK_EQ(TALLY(&s, "--key", "op", "operator", "add", "greenvale", dave_address), CLI_REFUSED);
    CHECK(contains(s.err, "(GOVERNED_BY_MEMBERS)"));
    CHECK(contains(s.err, "propose it: tally proposal create Greenvale operator-add tly1"));
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "policy", "greenvale", "--fee-bps", "10"), CLI_REFUSED);
    CHECK(contains(s.err, "propose it: tally proposal create Greenvale policy [the same policy options]"));
    CHECK_EQ(TALLY(&s, "--key", "op", "member", "suspend", "greenvale", "carol"), CLI_REFUSED);
    CHECK(contains(s.err, "its rule keeps this power from its operators"));
    CHECK(contains(s.err, "propose it: tally proposal create Greenvale member-suspend carol"));

    /* wrong command lines, refused before anything is sent */
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "bogus"), CLI_USAGE);
    CHECK(contains(s.err, "'bogus' is no action a proposal may carry"));
    CHECK(contains(s.err, "gateway-propose PARTNER --rate A:B"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "operator-add"), CLI_USAGE);
    CHECK(contains(s.err, "tally proposal create NET operator-add WHO"));
    CHECK_EQ(
        TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "operator-add", dave_address, "--fee-bps", "50"),
        CLI_USAGE);
    CHECK(contains(s.err, "--fee-bps is no option of a proposal of operator-add"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "policy"), CLI_USAGE);
    CHECK(contains(s.err, "no policy option given"));
    CHECK(contains(s.err, "in a proposal, the same arguments after NET policy: tally proposal create NET policy"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "policy", "--fee-bps", "lots"), CLI_USAGE);
    CHECK(contains(s.err, "--fee-bps"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-accept", "7"), CLI_REFUSED);
    CHECK(contains(s.err, "GATEWAY_NOT_FOUND"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "1", "maybe"), CLI_USAGE);
    CHECK(contains(s.err, "a vote is yes, no or abstain, not 'maybe'"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "0", "yes"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "proposal", "show", "first"), CLI_USAGE);
    CHECK_EQ(TALLY(&s, "proposal", "list", "greenvale", "--status", "lost"), CLI_USAGE);
    CHECK(contains(s.err, "--status is voting, passed, rejected, cancelled or executed"));
    CHECK_EQ(TALLY(&s, "proposal", "show", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "(PROPOSAL_NOT_FOUND)"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "1", "yes"), CLI_REFUSED);
    CHECK(contains(s.err, "(PROPOSAL_NOT_FOUND)"));
    CHECK_EQ(TALLY(&s, "proposal", "create", "--help"), CLI_OK);
    CHECK(contains(s.out, "quorum"));
    CHECK(contains(s.out, "late-quorum"));
    CHECK(contains(s.out, "timelock"));
    CHECK(contains(s.out, "emergency"));

    /* alice proposes dave as an operator (proposal 1) and a policy change (2) */
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "operator-add", dave_address), CLI_OK);
    CHECK(contains(s.out, "proposed in Greenvale, as proposal 1, to add an operator: tly1"));
    CHECK(contains(s.out, "tally proposal vote 1 yes|no|abstain"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "policy", "--max-members", "500",
                   "--fee-bps", "25"),
             CLI_OK);
    CHECK(contains(s.out, "as proposal 2, to change the policy"));
    CHECK_EQ(TALLY(&s, "proposal", "show", "2"), CLI_OK);
    CHECK(contains(s.out, "max_members: 100000 -> 500"));
    CHECK(contains(s.out, "fee_bps: 0.00% -> 0.25%"));
    /* only its proposer cancels it */
    CHECK_EQ(TALLY(&s, "--key", "bob", "proposal", "cancel", "2"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_PROPOSER)"));
    CHECK(contains(s.err, "`tally proposal show 2`"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "cancel", "2"), CLI_OK);
    CHECK(contains(s.out, "cancelled proposal 2 in Greenvale: it will not be applied"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "2", "yes"), CLI_REFUSED);
    CHECK(contains(s.err, "(VOTING_ENDED)"));

    /* dave joins after the proposal: not eligible; alice and bob vote yes */
    CHECK_EQ(TALLY(&s, "--key", "dave", "member", "join", "greenvale"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "dave", "proposal", "vote", "1", "yes"), CLI_REFUSED);
    CHECK(contains(s.err, "(NOT_ELIGIBLE)"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "1", "yes"), CLI_OK);
    CHECK(contains(s.out, "voted yes on proposal 1 with a weight of 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "vote", "1", "no"), CLI_REFUSED);
    CHECK(contains(s.err, "(ALREADY_VOTED)"));
    CHECK_EQ(TALLY(&s, "--key", "bob", "proposal", "vote", "1", "yes"), CLI_OK);
    /* a vote and a cancel are in their signer's history, by the proposal's network */
    CHECK(TALLY_UNTIL(&s, "proposal_vote", "--key", "bob", "history", "greenvale"));
    CHECK(TALLY_UNTIL(&s, "proposal_cancel", "--key", "alice", "history", "greenvale"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "proposal 1 in Greenvale: voting"));
    CHECK(contains(s.out, "add an operator: "));
    CHECK(contains(s.out, dave_address));
    CHECK(contains(s.out, "yes 2, no 0, abstain 0 (2 voters)"));
    CHECK(contains(s.out, "of the eligible weight 3 must be cast: 2 cast, reached"));
    CHECK(contains(s.out, "threshold   50.00% of yes + no must be yes: reached"));
    CHECK(contains(s.out, "if it passes, it applies 1 days after the vote ends") ||
          contains(s.out, "if it passes, it applies 1 day after the vote ends"));
    CHECK(contains(s.out, "your vote   yes (weight 1)"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "proposal", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "your vote   none yet (carol)"));
    CHECK_EQ(TALLY(&s, "proposal", "list", "greenvale"), CLI_OK);
    CHECK(contains(s.out, "proposal 2 in Greenvale: cancelled"));
    CHECK(contains(s.out, "proposal 1 in Greenvale: voting"));
    CHECK_EQ(TALLY(&s, "proposal", "list", "greenvale", "--status", "voting", "--json"), CLI_OK);
    CHECK(contains(s.out, "\"proposals\""));
    CHECK(!contains(s.out, "cancelled"));

    /* the vote ends: passed, carol is too late; the timelock runs out: executed */
    CHECK_EQ(TALLY(&s, "dev", "advance", "25h"), CLI_OK);
    CHECK_EQ(TALLY(&s, "proposal", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "proposal 1 in Greenvale: passed"));
    CHECK(contains(s.out, "(its timelock)"));
    CHECK_EQ(TALLY(&s, "--key", "carol", "proposal", "vote", "1", "no"), CLI_REFUSED);
    CHECK(contains(s.err, "(VOTING_ENDED)"));
    CHECK(contains(s.err, "`tally proposal show 1`"));
    CHECK_EQ(TALLY(&s, "dev", "advance", "25h"), CLI_OK);
    CHECK_EQ(TALLY(&s, "proposal", "show", "1", "--json"), CLI_OK);
    CHECK(contains(s.out, "\"executed\""));
    CHECK_EQ(TALLY(&s, "proposal", "show", "1"), CLI_OK);
    CHECK(contains(s.out, "proposal 1 in Greenvale: executed"));
    CHECK(contains(s.out, ": OK"));
    CHECK_EQ(TALLY(&s, "network", "show", "greenvale"), CLI_OK);
    CHECK(contains(s.out, dave_address));
    json_t *network = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1", NULL, 0, &network), 200);
    bool listed = false;
    size_t index;
    json_t *operator_;
    json_array_foreach(json_object_get(network, "operators"), index, operator_) listed |=
        json_is_string(operator_) && strcmp(json_string_value(operator_), dave_address) == 0;
    CHECK(listed);
    json_decref(network);

    /* Riverside (its operators govern it) proposes a gateway to Greenvale: only
     * Greenvale accepts it, by a proposal (3) */
    CHECK_EQ(TALLY(&s, "--key", "op", "network", "create", "Riverside", "RVS"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "propose", "riverside", "greenvale", "--rate", "1:1", "--limit", "50",
                   "--partner-limit", "50"),
             CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "op", "gateway", "accept", "1"), CLI_REFUSED);
    CHECK(contains(s.err, "propose it: tally proposal create Greenvale gateway-accept 1"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "riverside", "gateway-accept", "1"), CLI_USAGE);
    CHECK(contains(s.err, "only Greenvale accepts it, not Riverside"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-accept", "1"), CLI_OK);
    CHECK(contains(s.out, "as proposal 3, to accept a gateway"));
    CHECK_EQ(TALLY(&s, "proposal", "show", "3"), CLI_OK);
    CHECK(contains(s.out, "accept a gateway 1"));
    CHECK(contains(s.out, "rate: 1.00 RVS = 1.00 GVH"));
    CHECK(contains(s.out, "Greenvale: fee 0.00%, exposure limit 50.00 GVH"));

    /* a vote in the binary form, as any transaction: carol abstains on proposal 3 */
    test_actor carol = seeded_actor('4');
    tally_tx ballot = harness_tx(&node, &carol, TALLY_TX_PROPOSAL_VOTE);
    ballot.body.proposal_vote = (tally_tx_proposal_vote){3, TALLY_VOTE_ABSTAIN};
    tally_tx_sign(&ballot, carol.secret);
    uint8_t frame[2 + TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(&ballot, frame + 2, TALLY_TX_ENCODED_MAX);
    frame[0] = (uint8_t)(length & 0xff), frame[1] = (uint8_t)(length >> 8);
    json_t *answer = NULL;
    CHECK_EQ(harness_request_binary(&node, "/v1/transactions?wait=commit", frame, 2 + length, &answer), 200);
    json_t *first = json_array_get(json_object_get(answer, "results"), 0);
    CHECK(first &&
          strcmp(harness_json_string(first, "status") ? harness_json_string(first, "status") : "", "committed") == 0);
    CHECK_EQ(harness_json_int(first, "result.available"), 1); /* the weight counted */
    json_decref(answer);
    CHECK_EQ(TALLY(&s, "--key", "carol", "proposal", "show", "3"), CLI_OK);
    CHECK(contains(s.out, "yes 0, no 0, abstain 1 (1 voters)"));
    CHECK(contains(s.out, "your vote   abstain (weight 1)"));

    /* the other actions, built as their operator commands build them (4 to 8) */
    CHECK_EQ(TALLY(&s, "--key", "eve", "asset", "create", "USD", "Dollar"), CLI_OK);
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "peg", "USD", "1", "1"), CLI_OK);
    CHECK(contains(s.out, "as proposal 4, to set the pool's peg"));
    CHECK_EQ(TALLY(&s, "proposal", "show", "4"), CLI_OK);
    CHECK(contains(s.out, "the pool holds USD: 1.00 USD backs 1.00 GVH"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-update", "1", "--limit", "80"),
             CLI_OK);
    CHECK(contains(s.out, "as proposal 5, to change this network's side of a gateway"));
    CHECK_EQ(TALLY(&s, "proposal", "show", "5"), CLI_OK);
    CHECK(contains(s.out, "this network's side: fee 0.00%, exposure limit 80.00 GVH"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-freeze", "1"), CLI_OK);
    CHECK(contains(s.out, "as proposal 6, to freeze this network's side of a gateway"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-close", "1"), CLI_OK);
    CHECK(contains(s.out, "as proposal 7, to close a gateway"));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "operator-remove", dave_address), CLI_OK);
    CHECK(contains(s.out, "as proposal 8, to remove an operator: "));
    CHECK_EQ(TALLY(&s, "--key", "alice", "proposal", "create", "greenvale", "gateway-propose", "riverside"), CLI_USAGE);
    CHECK(contains(s.err, "--rate is needed"));

    /* at most 16 open at once: 10 more made directly, the 17th refused with where to look */
    test_actor alice = seeded_actor('2');
    cli_unit unit = {2, "GVH"};
    for (uint32_t i = 0; i < 10; i++) {
        tally_tx tx = harness_tx(&node, &alice, TALLY_TX_PROPOSAL_CREATE);
        tx.body.proposal_create.network_id = 1;
        tx.body.proposal_create.action.type = TALLY_TX_POLICY_UPDATE;
        tx.body.proposal_create.action.policy = cli_policy_defaults(&unit);
        tx.body.proposal_create.action.policy.governance = (tally_governance_rule){
            TALLY_GOVERNANCE_MEMBERS, TALLY_WEIGHT_ONE_MEMBER, 5000, 5000, 86400, 86400, 3600, false, false};
        tx.body.proposal_create.action.policy.max_members = 600 + i;
        json_t *result = NULL;
        CHECK_EQ(harness_submit(&node, &tx, &alice, &result), 200);
        CHECK(strcmp(harness_json_string(result, "status") ? harness_json_string(result, "status") : "", "committed") ==
              0);
        json_decref(result);
    }
    CHECK_EQ(TALLY(&s, "--key", "bob", "proposal", "create", "greenvale", "policy", "--max-members", "700"),
             CLI_REFUSED);
    CHECK(contains(s.err, "(TOO_MANY_PROPOSALS)"));
    CHECK(contains(s.err, "tally proposal list Greenvale --status voting"));

    /* the routes' refusals */
    char path[160];
    CHECK_REFUSED(&node, "/v1/proposals/99", 404, "PROPOSAL_NOT_FOUND");
    CHECK_REFUSED(&node, "/v1/proposals/0", 400, "BAD_ID");
    CHECK_REFUSED(&node, "/v1/proposals/1?votes_limit=501", 400, "BAD_QUERY");
    snprintf(path, sizeof path, "/v1/proposals/1/votes/%s", dave_address);
    CHECK_REFUSED(&node, path, 404, "NO_VOTE");
    CHECK_REFUSED(&node, "/v1/proposals/1/votes/tly1nobody", 400, "BAD_ADDRESS");
    CHECK_REFUSED(&node, "/v1/networks/1/proposals?status=lost", 400, "BAD_QUERY");
    CHECK_REFUSED(&node, "/v1/networks/9/proposals", 404, "UNKNOWN_NETWORK");
    json_t *page = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1/proposals?limit=17", NULL, 0, &page), 200);
    CHECK_EQ(json_array_size(json_object_get(page, "proposals")), 17);
    CHECK_EQ(harness_json_int(page, "next"), 2); /* proposal 1 is on the next page */
    json_decref(page);
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1/proposals?before=2", NULL, 0, &page), 200);
    CHECK_EQ(harness_json_int(json_array_get(json_object_get(page, "proposals"), 0), "id"), 1);
    CHECK(json_is_null(json_object_get(page, "next")));
    json_decref(page);
    CHECK_EQ(harness_request(&node, "GET", "/v1/proposals/1?votes_limit=1", NULL, 0, &page), 200);
    CHECK_EQ(json_array_size(json_object_get(page, "votes")), 1);
    int64_t votes_next = harness_json_int(page, "votes_next");
    CHECK(votes_next > 0);
    json_decref(page);
    snprintf(path, sizeof path, "/v1/proposals/1?votes_cursor=%lld", (long long)votes_next);
    CHECK_EQ(harness_request(&node, "GET", path, NULL, 0, &page), 200);
    CHECK_EQ(json_array_size(json_object_get(page, "votes")), 1);
    CHECK(json_is_null(json_object_get(page, "votes_next")));
    json_decref(page);

    /* every answer of the proposals and the blocks against docs/openapi.yaml */
    CHECK_EQ(session_check_schemas(&node, "--governance"), 0);

    CHECK_EQ(harness_stop(&node), 0);
    free(s.out);
    free(s.err);
    cli_client_curl_transport_close();
    harness_remove_directory(&node);
}
