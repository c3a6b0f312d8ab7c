/*
 * test_cli.c: the `tally` CLI without a node. A fake node (a cli_transport that
 * answers from a table of canned JSON and records what is posted) stands behind
 * the real command code, so these tests run the same path as the program: parse,
 * look up, build, sign, encode, submit, print. They check the exact fields of the
 * transaction each command posts, the refusals of bad input with their sentences,
 * WHO parsing, the fee estimate against the core itself, and the human output.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/txbuild.h"
#include "core/ledger.h"
#include "fixture.h"
#include "test.h"

#define FAKE_URL "http://fake.test"
#define PASSPHRASE "correct horse battery"
#define ROUTES_MAX 48
#define POSTS_MAX 64

/* ------------------------------------------------------------------------ */
/* The fake node.                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    char method[8];
    char path[256];
    long status;
    char *body;
} fake_route;

typedef struct {
    cli_transport base;
    fake_route routes[ROUTES_MAX];
    size_t route_count;
    size_t request_count;
    tally_tx posted[POSTS_MAX];
    size_t posted_count;
    /* Answers to POST /v1/transactions, one per post (the last one repeats). */
    long post_status[POSTS_MAX];
    char *post_body[POSTS_MAX];
    size_t post_reply_count;
    int64_t sequence_after_post; /* what /v1/accounts/{address} says once something was posted */
    bool unreachable;
} fake_node;

static void fake_reply(long status, const char *body, cli_http_response *response) {
    response->status = status;
    response->length = strlen(body);
    response->body = malloc(response->length + 1);
    memcpy(response->body, body, response->length + 1);
}

static bool fake_request(cli_transport *self, const char *method, const char *url, const char *body,
                         size_t body_length, size_t max_response, cli_http_response *response, char *error,
                         size_t error_size) {
    fake_node *node = (fake_node *)self;
    (void)body_length;
    (void)max_response;
    node->request_count++;
    memset(response, 0, sizeof *response);
    if (node->unreachable || strncmp(url, FAKE_URL, strlen(FAKE_URL)) != 0) {
        snprintf(error, error_size, "Failed to connect to fake.test port 80: Connection refused");
        return false;
    }
    const char *path = url + strlen(FAKE_URL);
    if (strcmp(method, "POST") == 0 && strncmp(path, "/v1/transactions", 16) == 0) {
        json_t *json = json_loads(body, 0, NULL);
        const char *hex = json_string_value(json_object_get(json, "tx"));
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = hex ? strlen(hex) / 2 : 0;
        if (hex && length <= sizeof bytes && cli_client_unhex(hex, bytes, length) && node->posted_count < POSTS_MAX &&
            tally_tx_decode(bytes, length, &node->posted[node->posted_count]) == TALLY_OK)
            node->posted_count++;
        json_decref(json);
        size_t reply = node->posted_count ? node->posted_count - 1 : 0;
        if (reply >= node->post_reply_count) reply = node->post_reply_count - 1;
        fake_reply(node->post_status[reply], node->post_body[reply], response);
        return true;
    }
    if (node->posted_count > 0 && node->sequence_after_post > 0 && strncmp(path, "/v1/accounts/", 13) == 0) {
        char reply[64];
        snprintf(reply, sizeof reply, "{\"next_sequence\": %lld}", (long long)node->sequence_after_post);
        fake_reply(200, reply, response);
        return true;
    }
    /* the route added last wins, so a test can replace one of the world's */
    for (size_t i = node->route_count; i-- > 0;) {
        if (strcmp(node->routes[i].method, method) == 0 && strcmp(node->routes[i].path, path) == 0) {
            fake_reply(node->routes[i].status, node->routes[i].body, response);
            return true;
        }
    }
    /* GET /v1/networks?name=NAME without a route of its own, as the node answers it:
     * the network of that name (ignoring case) among those of the first page of the
     * list, or none */
    if (strcmp(method, "GET") == 0 && strncmp(path, "/v1/networks?name=", 18) == 0) {
        char name[128];
        size_t length = 0;
        for (const char *at = path + 18; *at && length + 1 < sizeof name; at++) {
            unsigned byte;
            if (*at == '%' && sscanf(at + 1, "%2x", &byte) == 1) name[length++] = (char)byte, at += 2;
            else name[length++] = *at;
        }
        name[length] = '\0';
        json_t *list = NULL, *found = json_array();
        for (size_t i = node->route_count; i-- > 0 && !list;)
            if (strcmp(node->routes[i].path, "/v1/networks?limit=500") == 0) list = json_loads(node->routes[i].body, 0, NULL);
        size_t index;
        json_t *network;
        json_array_foreach(json_object_get(list, "networks"), index, network) {
            const char *its = json_string_value(json_object_get(network, "name"));
            if (its && strcasecmp(its, name) == 0) json_array_append(found, network);
        }
        json_t *answer = json_pack("{s:o, s:n, s:I}", "networks", found, "next", "total",
                                   (json_int_t)json_integer_value(json_object_get(list, "total")));
        char *text = json_dumps(answer, JSON_COMPACT);
        fake_reply(200, text, response);
        free(text);
        json_decref(answer);
        json_decref(list);
        return true;
    }
    char not_found[] = "{\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"nothing here\"}}";
    fake_reply(404, not_found, response);
    return true;
}

static void fake_route_add(fake_node *node, const char *path, long status, json_t *body) {
    if (node->route_count == ROUTES_MAX) return;
    fake_route *route = &node->routes[node->route_count++];
    snprintf(route->method, sizeof route->method, "GET");
    snprintf(route->path, sizeof route->path, "%s", path);
    route->status = status;
    route->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
}

/* The route of path answers body from now on (takes body). */
static void fake_route_replace(fake_node *node, const char *path, json_t *body) {
    for (size_t i = 0; i < node->route_count; i++)
        if (strcmp(node->routes[i].path, path) == 0) {
            free(node->routes[i].body);
            node->routes[i].body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        }
    json_decref(body);
}

static void fake_post_reply(fake_node *node, long status, json_t *body) {
    if (node->post_reply_count == POSTS_MAX) return;
    node->post_status[node->post_reply_count] = status;
    node->post_body[node->post_reply_count] = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    node->post_reply_count++;
    json_decref(body);
}

/* Forgets the answers to posts given so far. */
static void fake_post_clear(fake_node *node) {
    for (size_t i = 0; i < node->post_reply_count; i++) free(node->post_body[i]);
    node->post_reply_count = 0;
}

static void fake_free(fake_node *node) {
    for (size_t i = 0; i < node->route_count; i++) free(node->routes[i].body);
    for (size_t i = 0; i < node->post_reply_count; i++) free(node->post_body[i]);
    for (size_t i = 0; i < node->posted_count; i++) tally_tx_release(&node->posted[i]); /* a batch's lines */
}

/* ------------------------------------------------------------------------ */
/* The world the fake node serves.                                           */
/* ------------------------------------------------------------------------ */

static uint8_t world_chain_id[TALLY_CHAIN_ID_BYTES];

static tally_key key_of(uint8_t seed_byte) {
    uint8_t seed[32], secret[TALLY_SECRET_BYTES];
    memset(seed, seed_byte, sizeof seed);
    tally_key key;
    tally_keypair(&key, secret, seed);
    return key;
}

static void address_of(uint8_t seed_byte, char out[TALLY_ADDRESS_LENGTH + 1]) {
    tally_key key = key_of(seed_byte);
    tally_address_encode(&key, out);
}

enum { ALICE_SEED = 1, BOB_SEED = 2, CAROL_SEED = 3, ISSUER_SEED = 4 };

static json_t *network_json_base(void);

/* The policy's rules of issue 12 as the node's view nests them. */
static void add_policy_rules(json_t *policy) {
    json_t *rules = json_pack(
        "{s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}, s:{s:b, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i, "
        "s:b, s:{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:b}}",
        "collateral_ratio_bps", 15000, "reputation", "base", 200, "age_weight", 200, "age_full_days", 365,
        "volume_weight", 200, "volume_full", 1000000, "streak_weight", 300, "streak_full", 12, "review_weight", 100,
        "review_full", 10, "default_penalty", 500, "algorithmic_limits", "enabled", 0, "base", 0, "per_point", 0,
        "income_bps", 0, "step_max", 0, "recovery_periods", 0, "demurrage_bps", 0, "demurrage_threshold", 0,
        "membership_fee", 0, "charges_to_pool", 0, "governance", "mode", "operators", "weighting", "one_member",
        "quorum_bps", 0, "threshold_bps", 0, "voting_seconds", 0, "timelock_seconds", 0, "late_quorum_seconds", 0,
        "operators_may_suspend", 0, "operators_may_freeze", 0);
    json_object_update(policy, rules);
    json_decref(rules);
}

static json_t *network_json(void) {
    json_t *network = network_json_base();
    add_policy_rules(json_object_get(network, "policy"));
    return network;
}

static json_t *network_json_base(void) {
    char alice[TALLY_ADDRESS_LENGTH + 1];
    address_of(ALICE_SEED, alice);
    return json_pack(
        "{s:i, s:s, s:s, s:i, s:[s], s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:b, s:i, s:i, s:i}, "
        "s:{}, s:i, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}}",
        "id", 1, "name", "Greenvale", "unit", "GVH", "decimals", 2, "operators", alice, "policy",
        "default_credit_limit", 10000, "max_credit_limit", 50000, "positive_cap", 0, "fee_bps", 100,
        "default_risk_fee_bps", 0, "period_seconds", 2592000, "grace_seconds", 864000, "min_income_bps", 0,
        "target_rtd_bps", 2000, "compliance_rule", "rebalanced", "membership_mode", "open", "auto_renew", 1,
        "max_members", 100000, "notice_seconds", 604800, "redeem_cap_bps", 1000, "announced", "members", 3, "supply",
        5000, "debt", 5000, "lost_debt", 0, "fees", 120, "pool", "asset", 1, "peg_reserve_units", 1000,
        "peg_credit_units", 100, "primary", 150000, "buffer", 0, "excess", 50000, "shares", 200000, "credits", 0,
        "rtd_bps", 3000, "target_rtd_bps", 2000, "redeem_allowance_today", 15000);
}

static json_t *account_json(uint8_t seed_byte, const char *alias, int64_t balance, int64_t limit,
                            const char *line_status, int risk_fee_bps) {
    char address[TALLY_ADDRESS_LENGTH + 1];
    address_of(seed_byte, address);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:{s:s, s:i, s:I, s:I, s:I}, s:i, s:s}", "address", address,
                     "alias", alias, "status", "active", "balance", (json_int_t)balance, "limit", (json_int_t)limit,
                     "available", (json_int_t)(balance + limit), "fees_paid", (json_int_t)25, "line", "status",
                     line_status, "risk_fee_bps", risk_fee_bps, "period_start", (json_int_t)1767225600, "period_end",
                     (json_int_t)(1767225600 + 30 * 86400), "grace_end", (json_int_t)0, "decimals", 2, "unit", "GVH");
}

static json_t *asset_json(void) {
    char issuer[TALLY_ADDRESS_LENGTH + 1];
    address_of(ISSUER_SEED, issuer);
    return json_pack("{s:i, s:s, s:s, s:i, s:s, s:I, s:I}", "id", 1, "code", "USD", "name", "Cooperative dollar",
                     "decimals", 3, "issuer", issuer, "issued", (json_int_t)900000, "burned", (json_int_t)100000);
}

static json_t *committed(json_t *result) {
    return json_pack("{s:[{s:s, s:s, s:i, s:o}]}", "results", "id", "ab", "status", "committed", "height", 7, "result",
                     result ? result : json_object());
}

/* Routes of a node holding Greenvale (GVH, 2 decimals, 1% fee), USD (3 decimals),
 * alice (10.00 GVH, line of 100.00 at 2% risk, next sequence 5), bob and carol. */
static void fake_world(fake_node *node) {
    memset(node, 0, sizeof *node);
    node->base.request = fake_request;
    for (size_t i = 0; i < sizeof world_chain_id; i++) world_chain_id[i] = (uint8_t)(0xc0 + i);
    char chain_hex[65], alice[TALLY_ADDRESS_LENGTH + 1], bob[TALLY_ADDRESS_LENGTH + 1], path[256];
    cli_client_hex(world_chain_id, sizeof world_chain_id, chain_hex, sizeof chain_hex);
    address_of(ALICE_SEED, alice);
    address_of(BOB_SEED, bob);
    fake_route_add(node, "/v1/status", 200,
                   json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}", "chain_id", chain_hex, "producer", alice, "height",
                             6, "tip_hash", chain_hex, "tip_time", 1767225600, "mempool", 0, "version", "test"));
    fake_route_add(node, "/v1/networks?limit=500", 200,
                   json_pack("{s:[o], s:n, s:i}", "networks", network_json(), "next", "total", 1));
    fake_route_add(node, "/v1/networks/1", 200, network_json());
    fake_route_add(node, "/v1/networks/1/accounts/bob", 200, account_json(BOB_SEED, "bob", -500, 10000, "active", 300));
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", bob);
    fake_route_add(node, path, 200, account_json(BOB_SEED, "bob", -500, 10000, "active", 300));
    fake_route_add(node, "/v1/networks/1/accounts/carol", 200,
                   account_json(CAROL_SEED, "carol", 0, 0, "none", 0));
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", alice);
    fake_route_add(node, path, 200, account_json(ALICE_SEED, "alice", 1000, 10000, "active", 200));
    snprintf(path, sizeof path, "/v1/accounts/%s", alice);
    fake_route_add(node, path, 200,
                   json_pack("{s:s, s:i, s:[{s:i}], s:[{s:i, s:i}], s:n}", "address", alice, "next_sequence", 5,
                             "memberships", "network_id", 1, "holdings", "asset_id", 1, "balance", 12345, "next"));
    snprintf(path, sizeof path, "/v1/accounts/%s?limit=500", alice);
    fake_route_add(node, path, 200,
                   json_pack("{s:s, s:i, s:[{s:i}], s:[{s:i, s:i}], s:n}", "address", alice, "next_sequence", 5,
                             "memberships", "network_id", 1, "holdings", "asset_id", 1, "balance", 12345, "next"));
    fake_route_add(node, "/v1/assets?limit=500", 200,
                   json_pack("{s:[o], s:n, s:i}", "assets", asset_json(), "next", "total", 1));
    fake_route_add(node, "/v1/assets/1", 200, asset_json());
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s/history?limit=2", alice);
    fake_route_add(node, path, 200,
                   json_pack("{s:[{s:i, s:i, s:i, s:s, s:s, s:s, s:i, s:i, s:s}], s:i}", "entries", "cursor", 41,
                             "height", 6, "time", 1767312000, "tx", "ab", "type", "transfer", "counterparty", "bob",
                             "amount", -1250, "fee", 18, "memo", "eggs", "next", 41));
    fake_post_reply(node, 200, committed(json_pack("{s:i, s:i, s:i}", "fee", 18, "minted", 268, "created_id", 2)));
}

/* ------------------------------------------------------------------------ */
/* Running the CLI.                                                          */
/* ------------------------------------------------------------------------ */

typedef struct {
    fake_node node;
    char keys_dir[128];
    char *out;
    char *err;
    size_t out_size, err_size;
    bool json_seen;
    const char *stdin_text; /* standard input of the next run only; NULL: none */
} harness;

static void harness_init(harness *h) {
    memset(h, 0, sizeof *h);
    fake_world(&h->node);
    char directory[] = "/tmp/tally-cli-XXXXXX";
    if (mkdtemp(directory)) snprintf(h->keys_dir, sizeof h->keys_dir, "%s/keys", directory);
}

static void remove_tree(const char *keys_dir) {
    char command[256];
    char parent[128];
    snprintf(parent, sizeof parent, "%s", keys_dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = '\0';
    if (strncmp(parent, "/tmp/tally-cli-", 15) != 0) return;
    snprintf(command, sizeof command, "rm -rf '%s'", parent);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", parent);
}

static void harness_free(harness *h) {
    free(h->out);
    free(h->err);
    fake_free(&h->node);
    remove_tree(h->keys_dir);
}

/* Runs `tally ARGS...` (NULL-terminated) against the fake node as key `alice`
 * unless --key says otherwise; stdout and stderr land in h->out and h->err. */
static cli_status run_as(harness *h, const char *key, const char *first, ...) {
    free(h->out);
    free(h->err);
    h->out = h->err = NULL;
    FILE *out = open_memstream(&h->out, &h->out_size), *err = open_memstream(&h->err, &h->err_size);
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.err = err;
    if (!cli_set_node_url(&ctx, FAKE_URL)) return CLI_IO;
    snprintf(ctx.keys_dir, sizeof ctx.keys_dir, "%s", h->keys_dir);
    snprintf(ctx.key_name, sizeof ctx.key_name, "%s", key ? key : "");
    ctx.passphrase = PASSPHRASE;
    ctx.strength = KEYSTORE_STRENGTH_TEST;
    ctx.transport = &h->node.base;
    FILE *in = h->stdin_text ? fmemopen((void *)(uintptr_t)h->stdin_text, strlen(h->stdin_text), "r") : NULL;
    ctx.in = in;
    h->stdin_text = NULL;

    char *argv[80];
    int argc = 0;
    argv[argc++] = strdup("tally");
    va_list arguments;
    va_start(arguments, first);
    for (const char *word = first; word && argc < 79; word = va_arg(arguments, const char *)) argv[argc++] = strdup(word);
    va_end(arguments);
    argv[argc] = NULL;
    cli_status status = cli_run(&ctx, argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    if (in) fclose(in);
    fclose(out);
    fclose(err);
    if (test_current_failed() < 3 && getenv("TALLY_TEST_VERBOSE"))
        fprintf(stderr, "--- out:\n%s--- err:\n%s", h->out, h->err);
    return status;
}

#define RUN(h, ...) run_as((h), "alice", __VA_ARGS__, (const char *)NULL)
#define RUN_NO_KEY(h, ...) run_as((h), NULL, __VA_ARGS__, (const char *)NULL)

static const char seed_hex_alice[] = "0101010101010101010101010101010101010101010101010101010101010101";

/* A harness whose keystore holds alice (seed 0x01...), imported from stdin. */
static void harness_with_alice(harness *h) {
    harness_init(h);
    h->stdin_text = seed_hex_alice;
    cli_status status = RUN_NO_KEY(h, "key", "import", "alice");
    CHECK_EQ(status, CLI_OK);
}

static const tally_tx *last_posted(const harness *h) {
    return h->node.posted_count ? &h->node.posted[h->node.posted_count - 1] : NULL;
}

static bool contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

/* Checks the envelope every posted transaction must have. */
static void check_envelope(const tally_tx *tx, tally_tx_type type) {
    tally_key alice = key_of(ALICE_SEED);
    CHECK_EQ(tx->type, type);
    CHECK(memcmp(tx->signer.bytes, alice.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(tx->chain_id, world_chain_id, TALLY_CHAIN_ID_BYTES) == 0);
    CHECK_EQ(tx->sequence, 5);
    CHECK(tally_tx_verify(tx));
}

/* ------------------------------------------------------------------------ */
/* Parsing and help.                                                         */
/* ------------------------------------------------------------------------ */

TEST(cli_parse_refuses_bad_command_lines) {
    harness h;
    harness_init(&h);
    CHECK_EQ(RUN(&h, "frobnicate"), CLI_USAGE);
    CHECK(contains(h.err, "unknown command 'frobnicate'"));
    CHECK_EQ(RUN(&h, "network", "frob"), CLI_USAGE);
    CHECK(contains(h.err, "`tally network` has: create policy peg show health list members"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale"), CLI_USAGE);
    CHECK(contains(h.err, "missing AMOUNT"));
    CHECK(contains(h.err, "usage: tally pay [FROM@NET] WHO AMOUNT"));
    CHECK_EQ(RUN(&h, "line", "open", "greenvale"), CLI_USAGE);
    CHECK(contains(h.err, "missing WHO LIMIT"));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "bob@greenvale", "1", "2"), CLI_USAGE);
    CHECK(contains(h.err, "too many arguments: '2'"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "1", "--tip", "3"), CLI_USAGE);
    CHECK(contains(h.err, "unknown option --tip"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "1", "--memo"), CLI_USAGE);
    CHECK(contains(h.err, "--memo needs a value (TEXT)"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "1", "--memo", "a", "--memo", "b"), CLI_USAGE);
    CHECK(contains(h.err, "--memo is given twice"));
    CHECK_EQ(RUN(&h, "status", "--json=yes"), CLI_USAGE);
    CHECK(contains(h.err, "--json takes no value"));
    CHECK_EQ(RUN(&h, "--node", "ftp://x", "status"), CLI_USAGE);
    CHECK(contains(h.err, "--node needs an http:// or https:// URL"));
    CHECK_EQ(RUN(&h, "network"), CLI_USAGE);
    CHECK(contains(h.err, "`tally network` needs a command"));
    CHECK_EQ(h.node.request_count, 0); /* nothing reached the node */
    harness_free(&h);
}

TEST(cli_help_on_every_command) {
    harness h;
    harness_init(&h);
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *command = &cli_commands[i];
        cli_status status = command->group ? RUN(&h, command->group, command->name, "--help")
                                           : RUN(&h, command->name, "--help");
        CHECK_EQ(status, CLI_OK);
        CHECK(contains(h.out, "usage: tally "));
        CHECK(contains(h.out, "example:\n  tally "));
        CHECK(strlen(command->description) > 20);
        size_t options = 0;
        for (const cli_option *option = command->options; option && option->name; option++) options++;
        CHECK(options <= CLI_OPTIONS_MAX);
        CHECK(command->positional_max <= CLI_POSITIONAL_MAX);
    }
    CHECK_EQ(RUN(&h, "help", "pay"), CLI_OK);
    CHECK(contains(h.out, "usage: tally pay [FROM@NET] WHO AMOUNT"));
    CHECK(contains(h.out, "--max-fee AMOUNT"));
    CHECK_EQ(RUN(&h, "network", "--help"), CLI_OK);
    CHECK(contains(h.out, "create NAME UNIT"));
    CHECK_EQ(RUN(&h, "--help"), CLI_OK);
    CHECK(contains(h.out, "exit status: 0 done, 1 refused"));
    CHECK(contains(h.out, "verify"));
    CHECK_EQ(RUN(&h, "-h", "line", "open"), CLI_OK);
    CHECK(contains(h.out, "--risk-fee-bps N"));
    CHECK_EQ(h.node.request_count, 0);
    harness_free(&h);
}

TEST(cli_every_transaction_type_has_a_command) {
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        bool found = false;
        for (size_t i = 0; i < cli_command_count; i++) {
            if (cli_command_makes_tx_type(&cli_commands[i], (tally_tx_type)type)) found = true;
        }
        if (!found) fprintf(stderr, "    no command makes %s\n", tally_tx_type_name((uint8_t)type));
        CHECK(found);
    }
}

TEST(cli_global_options_anywhere) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN(&h, "status", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK(json_is_object(json));
    CHECK_EQ(json_integer_value(json_object_get(json, "height")), 6);
    json_decref(json);
    CHECK_EQ(RUN(&h, "--json", "status"), CLI_OK);
    CHECK(h.out[0] == '{');
    CHECK_EQ(RUN(&h, "status"), CLI_OK);
    CHECK(contains(h.out, "node        http://fake.test (version test)"));
    CHECK(contains(h.out, "height      6"));
    /* another node: the fake refuses every URL but its own */
    CHECK_EQ(RUN(&h, "status", "--node=http://127.0.0.1:9/"), CLI_IO);
    CHECK(contains(h.err, "cannot reach the node at http://127.0.0.1:9: "));
    /* "--" ends the options: "--json" is then a memo-less argument */
    CHECK_EQ(RUN(&h, "pay", "--", "bob@greenvale", "--json"), CLI_USAGE);
    CHECK(contains(h.err, "'--json' is not an amount"));
    /* with --json (anywhere, even after the mistake) a usage error is JSON on stdout */
    CHECK_EQ(RUN(&h, "pay", "--bogus", "--json"), CLI_USAGE);
    json_t *usage = json_loads(h.out, 0, NULL);
    REQUIRE(usage != NULL);
    json_t *usage_error = json_object_get(usage, "error");
    CHECK(strcmp(json_string_value(json_object_get(usage_error, "code")), "USAGE") == 0);
    CHECK(strcmp(json_string_value(json_object_get(usage_error, "message")), "unknown option --bogus") == 0);
    CHECK(strcmp(json_string_value(json_object_get(usage_error, "usage")), "tally pay [FROM@NET] WHO AMOUNT [options]") == 0);
    CHECK(strcmp(json_string_value(json_object_get(usage_error, "help")), "tally pay --help") == 0);
    json_decref(usage);
    CHECK(h.err == NULL || h.err[0] == '\0');
    CHECK_EQ(RUN(&h, "--json", "network", "nonsense"), CLI_USAGE);
    CHECK(contains(h.out, "\"code\": \"USAGE\""));
    CHECK(contains(h.out, "unknown command `tally network nonsense`"));
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* Pure parsing.                                                             */
/* ------------------------------------------------------------------------ */

TEST(cli_amount_parse_exact_and_refused) {
    cli_unit gvh = {2, "GVH"}, whole = {0, "HRS"};
    int64_t amount = -1;
    char why[256];
    CHECK(cli_amount_parse("12.50", &gvh, false, &amount, why, sizeof why));
    CHECK_EQ(amount, 1250);
    CHECK(cli_amount_parse("12.5", &gvh, false, &amount, why, sizeof why));
    CHECK_EQ(amount, 1250);
    CHECK(cli_amount_parse("12", &gvh, false, &amount, why, sizeof why));
    CHECK_EQ(amount, 1200);
    CHECK(cli_amount_parse("0.01", &gvh, false, &amount, why, sizeof why));
    CHECK_EQ(amount, 1);
    CHECK(cli_amount_parse("92233720368547758.07", &gvh, false, &amount, why, sizeof why));
    CHECK_EQ(amount, INT64_MAX);
    CHECK(cli_amount_parse("0", &gvh, true, &amount, why, sizeof why));
    CHECK_EQ(amount, 0);

    CHECK(!cli_amount_parse("12.505", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "too many decimals: GVH has 2, '12.505' has 3"));
    CHECK(!cli_amount_parse("1.5", &whole, false, &amount, why, sizeof why));
    CHECK(contains(why, "HRS has no decimals"));
    CHECK(!cli_amount_parse("abc", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "'abc' is not an amount"));
    CHECK(contains(why, "like 12.50"));
    CHECK(!cli_amount_parse(".5", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "not an amount"));
    CHECK(!cli_amount_parse("5.", &gvh, false, &amount, why, sizeof why));
    CHECK(!cli_amount_parse("1e3", &gvh, false, &amount, why, sizeof why));
    CHECK(!cli_amount_parse("12,50", &gvh, false, &amount, why, sizeof why));
    CHECK(!cli_amount_parse("-5", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "negative"));
    CHECK(!cli_amount_parse("0", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "greater than zero"));
    CHECK(!cli_amount_parse("0.00", &gvh, false, &amount, why, sizeof why));
    CHECK(!cli_amount_parse("92233720368547758.08", &gvh, false, &amount, why, sizeof why));
    CHECK(contains(why, "too large"));
    CHECK(!cli_amount_parse("", &gvh, false, &amount, why, sizeof why));

    uint64_t number;
    CHECK(cli_number_parse("10000", 10000, &number));
    CHECK_EQ(number, 10000);
    CHECK(!cli_number_parse("10001", 10000, &number));
    CHECK(!cli_number_parse("-1", 10000, &number));
    CHECK(!cli_number_parse("1.0", 10000, &number));
    CHECK(!cli_number_parse("99999999999999999999999", UINT64_MAX, &number));
}

TEST(cli_who_parse_alias_address_network) {
    cli_who who;
    char why[256];
    CHECK(cli_who_parse("bob@greenvale", &who, why, sizeof why));
    CHECK(!who.is_address);
    CHECK(strcmp(who.alias, "bob") == 0);
    CHECK(strcmp(who.network, "greenvale") == 0);
    CHECK(cli_who_parse("Bob.Smith@Green Vale", &who, why, sizeof why));
    CHECK(strcmp(who.alias, "bob.smith") == 0);
    CHECK(strcmp(who.network, "Green Vale") == 0);
    CHECK(cli_who_parse("carol", &who, why, sizeof why));
    CHECK(strcmp(who.alias, "carol") == 0 && who.network[0] == '\0');

    char address[TALLY_ADDRESS_LENGTH + 1], text[128];
    tally_key bob = key_of(BOB_SEED);
    tally_address_encode(&bob, address);
    snprintf(text, sizeof text, "%s@3", address);
    CHECK(cli_who_parse(text, &who, why, sizeof why));
    CHECK(who.is_address);
    CHECK(memcmp(who.key.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(strcmp(who.network, "3") == 0);
    CHECK(cli_who_parse(address, &who, why, sizeof why));
    CHECK(who.is_address && who.network[0] == '\0');

    /* one character changed: the checksum catches it */
    char typo[TALLY_ADDRESS_LENGTH + 1];
    memcpy(typo, address, sizeof typo);
    typo[20] = typo[20] == 'a' ? 'b' : 'a';
    CHECK(!cli_who_parse(typo, &who, why, sizeof why));
    CHECK(contains(why, "checksum does not match"));
    /* upper case, wrong length, bad characters */
    char upper[TALLY_ADDRESS_LENGTH + 1];
    memcpy(upper, address, sizeof upper);
    for (char *c = upper + 4; *c; c++)
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
    CHECK(!cli_who_parse(upper, &who, why, sizeof why));
    CHECK(contains(why, "lower case"));
    CHECK(!cli_who_parse("tly1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &who, why, sizeof why));
    CHECK(contains(why, "is not an address: an address is tly1 and 58 more characters"));
    CHECK(!cli_who_parse("@greenvale", &who, why, sizeof why));
    CHECK(contains(why, "say who before the '@'"));
    CHECK(!cli_who_parse("bob@", &who, why, sizeof why));
    CHECK(contains(why, "name the network after '@'"));
    CHECK(!cli_who_parse("bo b@greenvale", &who, why, sizeof why));
    CHECK(contains(why, "neither an address nor an alias"));
}

/* What can be paid now, fees included: the largest amount whose fees fit beside it,
 * never more (the payment of one unit more is refused). */
TEST(cli_can_pay_now_never_overstates) {
    /* 0.50 available, 25 bps: 0.49 + 0.01 fee = 0.50; 0.50 would need 0.51 */
    CHECK_EQ(cli_can_pay_now(50, 50, 25, 0, false), 49);
    CHECK_EQ(cli_can_pay_now(0, 0, 25, 0, true), 0);
    CHECK_EQ(cli_can_pay_now(-5, -5, 25, 0, true), 0);
    CHECK_EQ(cli_can_pay_now(1, 1, 25, 0, true), 0); /* one unit pays a fee of one */
    CHECK_EQ(cli_can_pay_now(100000, 100000, 0, 0, true), 100000);
    for (int64_t available = 1; available < 3000; available += 7) {
        for (uint32_t bps = 0; bps <= 300; bps += 75) {
            int64_t x = cli_can_pay_now(available, available / 2, bps, 200, true);
            CHECK(x + cli_fee_estimate(x, available / 2, bps, 200, true) <= available);
            if (x < available) CHECK(x + 1 + cli_fee_estimate(x + 1, available / 2, bps, 200, true) > available);
        }
    }
    CHECK_EQ(cli_can_pay_now(INT64_MAX, 0, 10000, 10000, true) <= INT64_MAX / 3 + 1, true);
}

TEST(cli_fee_estimate_arithmetic) {
    CHECK_EQ(cli_fee_round_up(1250, 100), 13); /* 12.5 rounds up */
    CHECK_EQ(cli_fee_round_up(1200, 100), 12);
    CHECK_EQ(cli_fee_round_up(1, 1), 1);
    CHECK_EQ(cli_fee_round_up(0, 100), 0);
    CHECK_EQ(cli_fee_round_up(5000, 0), 0);
    CHECK_EQ(cli_fee_round_up(INT64_MAX, 10000), INT64_MAX);
    CHECK_EQ(cli_fee_round_up(INT64_MAX, 1), INT64_MAX / 10000 + 1);
    /* base 1% of 50.00 = 0.50; 40.00 spent on credit at 2% = 0.80 */
    CHECK_EQ(cli_fee_estimate(5000, 1000, 100, 200, true), 50 + 80);
    CHECK_EQ(cli_fee_estimate(5000, 1000, 100, 200, false), 50);
    CHECK_EQ(cli_fee_estimate(5000, -500, 100, 200, true), 50 + 100);
    CHECK_EQ(cli_fee_estimate(5000, 9000, 100, 200, true), 50);
    CHECK_EQ(cli_fee_estimate(1, 0, 1, 1, true), 2);
    CHECK_EQ(cli_fee_estimate(INT64_MAX, 0, 10000, 10000, true), INT64_MAX);
}

/* The estimate is exactly what the core charges: the payment goes through with
 * it as max_fee, and one unit less is refused with FEE_ABOVE_MAX. */
TEST(cli_fee_estimate_matches_the_core) {
    static const struct {
        int64_t start_balance, amount;
        uint32_t fee_bps, risk_fee_bps;
    } cases[] = {{0, 1250, 100, 200}, {1000, 5000, 25, 300}, {-3000, 777, 1, 1}, {9000, 5000, 100, 200},
                 {0, 9999, 0, 10000}, {500, 501, 10000, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_world world;
        world_init(&world);
        test_actor founder = actor(1), payer = actor(2), payee = actor(3);
        tally_policy policy = policy_default();
        policy.fee_bps = cases[i].fee_bps;
        policy.max_credit_limit = 1000000;
        REQUIRE(do_create_network(&world, &founder, &policy).code == TALLY_OK);
        REQUIRE(do_admit(&world, &founder, 1, &payer).code == TALLY_OK);
        REQUIRE(do_admit(&world, &founder, 1, &payee).code == TALLY_OK);
        REQUIRE(do_open_line(&world, &founder, 1, &payer, 100000, 0, 0, cases[i].risk_fee_bps).code == TALLY_OK);
        REQUIRE(do_open_line(&world, &founder, 1, &payee, 100000, 0, 0, 0).code == TALLY_OK);
        if (cases[i].start_balance > 0)
            REQUIRE(do_pay(&world, &payee, 1, &payer, cases[i].start_balance, INT64_MAX).code == TALLY_OK);
        if (cases[i].start_balance < 0)
            REQUIRE(do_pay(&world, &payer, 1, &payee, -cases[i].start_balance, INT64_MAX).code == TALLY_OK);
        const tally_member *member = member_of(&world, 1, &payer);
        int64_t estimate = cli_fee_estimate(cases[i].amount, member->balance, cases[i].fee_bps, member->risk_fee_bps,
                                            member->line_status == TALLY_LINE_ACTIVE);
        tally_result refused = do_pay(&world, &payer, 1, &payee, cases[i].amount, estimate - 1);
        if (estimate > 0) CHECK_CODE(refused.code, TALLY_ERR_FEE_ABOVE_MAX);
        tally_result paid = do_pay(&world, &payer, 1, &payee, cases[i].amount, estimate);
        CHECK_CODE(paid.code, TALLY_OK);
        CHECK_EQ(paid.fee, estimate);
        world_free(&world);
    }
}

TEST(cli_policy_options_into_fields) {
    const char *argv[] = {"tally", "network", "create", "Greenvale", "GVH", "--default-limit", "100",
                          "--cap", "2000.5", "--fee-bps", "25", "--period-days", "7", "--grace-seconds", "3600",
                          "--rule", "min-income", "--min-income-bps", "1000", "--no-auto-renew",
                          "--target-rtd-bps", "2000", "--admitted", "--risk-fee-bps", "50"};
    int argc = (int)(sizeof argv / sizeof argv[0]);
    char *copy[32];
    for (int i = 0; i < argc; i++) copy[i] = strdup(argv[i]);
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.err = stderr;
    cli_args args;
    REQUIRE(cli_parse(&ctx, argc, copy, &args) == CLI_OK);
    cli_unit unit = {2, "GVH"};
    tally_policy policy = cli_policy_defaults(&unit);
    CHECK_EQ(policy.max_credit_limit, 100000);
    CHECK_EQ(policy.period_seconds, 30 * 86400);
    CHECK_EQ(policy.grace_seconds, 10 * 86400);
    CHECK_EQ(policy.compliance_rule, TALLY_COMPLIANCE_REBALANCED);
    CHECK(policy.auto_renew);
    char why[256];
    REQUIRE(cli_policy_apply_options(&args, &unit, &policy, why, sizeof why));
    CHECK_EQ(policy.default_credit_limit, 10000);
    CHECK_EQ(policy.max_credit_limit, 100000);
    CHECK_EQ(policy.positive_cap, 200050);
    CHECK_EQ(policy.fee_bps, 25);
    CHECK_EQ(policy.default_risk_fee_bps, 50);
    CHECK_EQ(policy.period_seconds, 7 * 86400);
    CHECK_EQ(policy.grace_seconds, 3600);
    CHECK_EQ(policy.compliance_rule, TALLY_COMPLIANCE_MIN_INCOME);
    CHECK_EQ(policy.min_income_bps, 1000);
    CHECK(!policy.auto_renew);
    CHECK_EQ(policy.target_rtd_bps, 2000);
    CHECK_EQ(policy.membership_mode, TALLY_MEMBERSHIP_ADMITTED);
    for (int i = 0; i < argc; i++) free(copy[i]);
}

/* ------------------------------------------------------------------------ */
/* Commands into transactions.                                               */
/* ------------------------------------------------------------------------ */

TEST(cli_pay_builds_the_transfer) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "12.50", "--memo", "eggs"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_TRANSFER);
    tally_key bob = key_of(BOB_SEED);
    CHECK_EQ(tx->body.transfer.network_id, 1);
    CHECK(memcmp(tx->body.transfer.payee.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.transfer.amount, 1250);
    CHECK(tx->body.transfer.memo.length == 4 && memcmp(tx->body.transfer.memo.bytes, "eggs", 4) == 0);
    /* 1% of 12.50 rounds up to 0.13; 2.50 on credit at 2% = 0.05 */
    CHECK_EQ(tx->body.transfer.max_fee, 13 + 5);
    CHECK(contains(h.out, "paid 12.50 GVH to bob@Greenvale, fee 0.18 GVH (at most 0.18 GVH signed)"));
    CHECK(contains(h.out, "your debt grew by 2.68 GVH (fee included)"));
    CHECK(contains(h.out, "committed in block 7"));

    /* the network by id and any case; the payee by address; an explicit max fee */
    char address[TALLY_ADDRESS_LENGTH + 1], who[128];
    address_of(BOB_SEED, address);
    snprintf(who, sizeof who, "%s@1", address);
    CHECK_EQ(RUN(&h, "pay", who, "3", "--max-fee", "0.5"), CLI_OK);
    tx = last_posted(&h);
    CHECK(memcmp(tx->body.transfer.payee.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.transfer.amount, 300);
    CHECK_EQ(tx->body.transfer.max_fee, 50);
    CHECK(tx->body.transfer.memo.length == 0);
    CHECK_EQ(RUN(&h, "pay", "BOB@GREENVALE", "0.01"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.transfer.amount, 1);
    CHECK_EQ(h.node.posted_count, 3);
    harness_free(&h);
}

TEST(cli_pay_refusals_before_sending) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "12.505"), CLI_USAGE);
    CHECK(contains(h.err, "too many decimals: GVH has 2, '12.505' has 3"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "ten"), CLI_USAGE);
    CHECK(contains(h.err, "'ten' is not an amount"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "-5"), CLI_USAGE);
    CHECK(contains(h.err, "negative"));
    CHECK_EQ(RUN(&h, "pay", "bob", "5"), CLI_USAGE);
    CHECK(contains(h.err, "say in which network to pay: bob@NETWORK"));
    CHECK_EQ(RUN(&h, "pay", "bob@atlantis", "5"), CLI_REFUSED);
    CHECK(contains(h.err, "no network is named 'atlantis'"));
    CHECK_EQ(RUN(&h, "pay", "zed@greenvale", "5"), CLI_REFUSED);
    CHECK(contains(h.err, "nothing here (NOT_FOUND)"));
    char address[TALLY_ADDRESS_LENGTH + 1], who[128];
    address_of(BOB_SEED, address);
    address[30] = address[30] == 'q' ? 'r' : 'q';
    snprintf(who, sizeof who, "%s@greenvale", address);
    CHECK_EQ(RUN(&h, "pay", who, "5"), CLI_USAGE);
    CHECK(contains(h.err, "checksum does not match"));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "5"), CLI_REFUSED); /* no route for alias alice: 404 */
    address_of(ALICE_SEED, address);
    snprintf(who, sizeof who, "%s@greenvale", address);
    CHECK_EQ(RUN(&h, "pay", who, "5"), CLI_USAGE);
    CHECK(contains(h.err, "your own account"));
    char memo[300];
    memset(memo, 'm', sizeof memo - 1);
    memo[sizeof memo - 1] = '\0';
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5", "--memo", memo), CLI_USAGE);
    CHECK(contains(h.err, "the memo is 299 bytes; at most 256"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5", "--memo", "bell\a"), CLI_USAGE);
    CHECK(contains(h.err, "control or invisible formatting character"));
    /* finding 12: a right-to-left override is refused before the key is opened */
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5", "--memo", "invoice \u202Efdp.exe"), CLI_USAGE);
    CHECK(contains(h.err, "U+202E"));
    CHECK_EQ(h.node.posted_count, 0);
    harness_free(&h);
}

TEST(cli_refusal_names_the_rule_and_the_figure) {
    harness h;
    harness_with_alice(&h);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:{s:s, s:s, s:i}}]}", "results", "status", "refused", "error", "code",
                              "INSUFFICIENT_CREDIT", "message", tally_error_message(TALLY_ERR_INSUFFICIENT_CREDIT),
                              "available", 3750));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "500"), CLI_REFUSED);
    CHECK(contains(h.err, "refused: the payment is larger than the balance and credit left (INSUFFICIENT_CREDIT)"));
    CHECK(contains(h.err, "you can spend at most 37.50 GVH (fees included)"));

    /* a 4xx from admission carries the same error object */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 400,
                    json_pack("{s:{s:s, s:s}}", "error", "code", "BAD_SIGNATURE", "message",
                              tally_error_message(TALLY_ERR_BAD_SIGNATURE)));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5", "--json"), CLI_REFUSED);
    CHECK(contains(h.err, "(BAD_SIGNATURE)"));
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK(json && strcmp(json_string_value(json_object_get(json, "status")), "refused") == 0);
    json_decref(json);

    /* pool refusals are counted in the reserve asset (USD, 3 decimals) */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:{s:s, s:s, s:i}}]}", "results", "status", "refused", "error", "code",
                              "INSUFFICIENT_ASSET", "message", tally_error_message(TALLY_ERR_INSUFFICIENT_ASSET),
                              "available", 12345));
    CHECK_EQ(RUN(&h, "pool", "deposit", "greenvale", "200"), CLI_REFUSED);
    CHECK(contains(h.err, "the balance held is 12.345 USD"));

    char line[160];
    cli_unit gvh = {2, "GVH"};
    cli_out_units units = {&gvh, NULL};
    CHECK(cli_out_available_sentence("CAP_REACHED", 1000, &units, line, sizeof line));
    CHECK(strcmp(line, "the payee can receive at most 10.00 GVH more") == 0);
    CHECK(cli_out_available_sentence("FEE_ABOVE_MAX", 18, &units, line, sizeof line));
    CHECK(strcmp(line, "the fee would be 0.18 GVH: allow it with --max-fee") == 0);
    CHECK(!cli_out_available_sentence("NOT_OPERATOR", 0, &units, line, sizeof line));
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* pay-batch                                                                 */
/* ------------------------------------------------------------------------ */

/* Writes text to NAME beside the harness's keystore; the path in out. */
static void batch_file(const harness *h, const char *name, const char *text, char *out, size_t out_size) {
    char parent[128];
    snprintf(parent, sizeof parent, "%s", h->keys_dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = '\0';
    snprintf(out, out_size, "%s/%s", parent, name);
    FILE *file = fopen(out, "w");
    CHECK(file != NULL);
    if (!file) return;
    fputs(text, file);
    fclose(file);
}

TEST(cli_pay_batch_builds_one_signed_transaction_from_the_csv) {
    harness h;
    harness_with_alice(&h);
    char bob[TALLY_ADDRESS_LENGTH + 1], csv[1024], path[256];
    address_of(BOB_SEED, bob);
    /* a header, a comment, a blank line, CRLF, a quoted memo with a comma and a
     * doubled quote, bob twice (once by address), a bare alias after the first line */
    snprintf(csv, sizeof csv,
             "payee,amount,memo\r\n"
             "# March payroll\n"
             "bob@greenvale,12.50,rent\r\n"
             "\n"
             "carol,3,\"hours, \"\"extra\"\"\"\n"
             "%s@1, 0.01 ,\n",
             bob);
    batch_file(&h, "march.csv", csv, path, sizeof path);
    CHECK_EQ(RUN(&h, "pay-batch", path), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_TRANSFER_BATCH);
    const tally_tx_transfer_batch *batch = &tx->body.transfer_batch;
    CHECK_EQ(batch->network_id, 1);
    REQUIRE(batch->line_count == 3);
    tally_key bob_key = key_of(BOB_SEED), carol_key = key_of(CAROL_SEED);
    CHECK(memcmp(batch->lines[0].payee.bytes, bob_key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(batch->lines[1].payee.bytes, carol_key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(batch->lines[2].payee.bytes, bob_key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(batch->lines[0].amount, 1250);
    CHECK_EQ(batch->lines[1].amount, 300);
    CHECK_EQ(batch->lines[2].amount, 1);
    CHECK(batch->lines[0].memo.length == 4 && memcmp(batch->lines[0].memo.bytes, "rent", 4) == 0);
    CHECK(batch->lines[1].memo.length == 14 && memcmp(batch->lines[1].memo.bytes, "hours, \"extra\"", 14) == 0);
    CHECK_EQ(batch->lines[2].memo.length, 0);
    /* Alice holds 10.00, her line lends at 2%, the network takes 1%: 12.50 costs 0.13
     * + 2% of the 2.50 on credit (0.05); 3.00 then all on credit: 0.03 + 0.06; 0.01:
     * 0.01 + 0.01. The same sum as the core's (cli_batch_fee_estimate). */
    CHECK_EQ(batch->max_fee, 18 + 9 + 2);
    CHECK(contains(h.err, "paying 15.51 GVH in 3 payments to 2 payees in Greenvale"));
    CHECK(contains(h.err, "fees at most 0.29 GVH"));
    CHECK(contains(h.err, "line 3: 12.50 GVH to bob@Greenvale, rent"));
    CHECK(contains(h.err, "line 5: 3.00 GVH to carol@Greenvale, hours, \"extra\""));
    CHECK(contains(h.out, "paid 15.51 GVH in 3 payments in Greenvale"));
    CHECK(contains(h.out, "committed in block 7"));

    /* --network lets every line name a bare alias; --max-fee is signed as given */
    batch_file(&h, "bare.csv", "bob,1\ncarol,2,thanks\n", path, sizeof path);
    CHECK_EQ(RUN(&h, "pay-batch", path, "--network", "greenvale", "--max-fee", "1.5"), CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.transfer_batch.line_count, 2);
    CHECK_EQ(tx->body.transfer_batch.max_fee, 150);
    CHECK_EQ(h.node.posted_count, 2);

    /* --json: one document on stdout */
    CHECK_EQ(RUN(&h, "pay-batch", path, "--network", "1", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK(json && strcmp(json_string_value(json_object_get(json, "status")), "committed") == 0);
    json_decref(json);
    harness_free(&h);
}

TEST(cli_pay_batch_errors_name_the_line_of_the_file) {
    harness h;
    harness_with_alice(&h);
    char path[256], alice[TALLY_ADDRESS_LENGTH + 1], text[2048];
    struct {
        const char *csv, *said;
        cli_status status;
    } cases[] = {
        {"bob@greenvale,1\nbob@greenvale,12.505\n", "line 2: too many decimals: GVH has 2, '12.505' has 3", CLI_USAGE},
        {"bob@greenvale,1\ncarol@greenvale,-3\n", "line 2: '-3' is negative", CLI_USAGE},
        {"bob@greenvale,1\n\ndave,3\n", "line 3: no member 'dave' in Greenvale", CLI_REFUSED},
        {"bob,1\n", "line 1: say in which network to pay: bob@NETWORK, or give --network NET", CLI_USAGE},
        {"bob@greenvale,1\nbob@atlantis,1\n", "line 2: no network 'atlantis'", CLI_REFUSED},
        {"bob@greenvale\n", "line 1: expected payee,amount[,memo], found one field", CLI_USAGE},
        {"bob@greenvale,1,a,b\n", "line 1: more than 3 fields", CLI_USAGE},
        {"bob@greenvale,1,\"open\n", "line 1: a quoted field is not closed on its line", CLI_USAGE},
        {"bob@greenvale,1,pay\xe2\x80\xaeme\n", "line 1: the memo holds a control or invisible formatting character",
         CLI_USAGE},
        {"# nothing\n\n", "the file holds no payment", CLI_USAGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        batch_file(&h, "bad.csv", cases[i].csv, path, sizeof path);
        CHECK_EQ(RUN(&h, "pay-batch", path), cases[i].status);
        char expected[300];
        snprintf(expected, sizeof expected, "%s", cases[i].said);
        if (!contains(h.err, expected)) printf("    case %zu: %s\n", i, h.err);
        CHECK(contains(h.err, expected));
        CHECK(contains(h.err, "bad.csv"));
    }
    /* A memo of 65 bytes; the payer itself; 257 payments; a missing file. */
    snprintf(text, sizeof text, "bob@greenvale,1\nbob@greenvale,1,%065d\n", 7);
    batch_file(&h, "bad.csv", text, path, sizeof path);
    CHECK_EQ(RUN(&h, "pay-batch", path), CLI_USAGE);
    CHECK(contains(h.err, "bad.csv: line 2: the memo is 65 bytes; a batch line's memo is at most 64"));
    address_of(ALICE_SEED, alice);
    snprintf(text, sizeof text, "bob@greenvale,1\n%s@greenvale,2\n", alice);
    batch_file(&h, "bad.csv", text, path, sizeof path);
    CHECK_EQ(RUN(&h, "pay-batch", path), CLI_USAGE);
    CHECK(contains(h.err, "bad.csv line 2: that is your own account"));
    char *many = malloc(257 * 20 + 1);
    REQUIRE(many != NULL);
    many[0] = '\0';
    for (int i = 0; i < 257; i++) strcat(many, "bob@greenvale,0.01\n");
    batch_file(&h, "bad.csv", many, path, sizeof path);
    free(many);
    CHECK_EQ(RUN(&h, "pay-batch", path), CLI_USAGE);
    CHECK(contains(h.err, "line 257: more than 256 payments: a batch holds at most 256; split the file"));
    CHECK_EQ(RUN(&h, "pay-batch", "/nonexistent/pay.csv"), CLI_USAGE);
    CHECK(contains(h.err, "cannot read /nonexistent/pay.csv"));
    CHECK_EQ(h.node.posted_count, 0); /* nothing was signed or sent */
    harness_free(&h);
}

TEST(cli_pay_batch_refusal_names_the_line_of_the_file) {
    harness h;
    harness_with_alice(&h);
    char path[256];
    batch_file(&h, "week.csv", "payee,amount\nbob@greenvale,1\n\ncarol@greenvale,500\nbob@greenvale,2\n", path,
               sizeof path);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:{s:s, s:s, s:i, s:i}}]}", "results", "status", "refused", "error", "code",
                              "INSUFFICIENT_CREDIT", "message", tally_error_message(TALLY_ERR_INSUFFICIENT_CREDIT),
                              "available", 10888, "line", 2));
    CHECK_EQ(RUN(&h, "pay-batch", path), CLI_REFUSED);
    CHECK(contains(h.err, "(INSUFFICIENT_CREDIT)"));
    CHECK(contains(h.err, "you can spend at most 108.88 GVH (fees included)"));
    CHECK(contains(h.err, "the refused payment is "));
    CHECK(contains(h.err, "week.csv line 4 (line 2 of the batch): 500.00 GVH to carol@Greenvale; nothing of the "
                          "batch was paid"));
    CHECK_EQ(RUN(&h, "pay-batch", path, "--json"), CLI_REFUSED);
    json_t *json = json_loads(h.out, 0, NULL);
    json_t *error = json_object_get(json, "error");
    CHECK_EQ(json_integer_value(json_object_get(error, "line")), 2);
    CHECK_EQ(json_integer_value(json_object_get(error, "file_line")), 4);
    CHECK(contains(json_string_value(json_object_get(error, "file")), "week.csv"));
    json_decref(json);
    harness_free(&h);
}

TEST(cli_node_trouble_is_exit_3) {
    harness h;
    harness_with_alice(&h);
    h.node.unreachable = true;
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_IO);
    CHECK(contains(h.err, "cannot reach the node at http://fake.test: Failed to connect"));
    CHECK_EQ(RUN(&h, "balance"), CLI_IO);
    h.node.unreachable = false;
    /* a 5xx and a body that is not JSON */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 503, json_pack("{s:{s:s, s:s}}", "error", "code", "STORE_FAILED", "message", "disk full"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_IO);
    CHECK(contains(h.err, "failed (HTTP 503): disk full (STORE_FAILED)"));
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, json_string("<html>"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_IO);
    CHECK(contains(h.err, "not a JSON object"));
    /* committed later: the outcome is unknown, said so, and not 0 */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, json_pack("{s:[{s:s}]}", "results", "status", "pending"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_IO);
    CHECK(contains(h.err, "not committed yet; see `tally tx show"));
    harness_free(&h);
}

static json_t *bad_sequence(int expected) {
    if (expected == 0) return json_pack("{s:{s:s, s:s}}", "error", "code", "BAD_SEQUENCE", "message", "taken");
    return json_pack("{s:{s:s, s:s, s:i}}", "error", "code", "BAD_SEQUENCE", "message", "taken", "available", expected);
}

TEST(cli_bad_sequence_is_signed_again) {
    harness h;
    harness_with_alice(&h);
    /* the node names the sequence it expects (another terminal used 5) */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 400, bad_sequence(6));
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i}", "fee", 18)));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_OK);
    REQUIRE(h.node.posted_count == 2);
    CHECK_EQ(h.node.posted[0].sequence, 5);
    CHECK_EQ(h.node.posted[1].sequence, 6);
    CHECK(tally_tx_verify(&h.node.posted[1]));
    CHECK(contains(h.out, "paid 5.00 GVH"));
    /* it does not: the account is asked again */
    h.node.posted_count = 0;
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 400, bad_sequence(0));
    fake_post_reply(&h.node, 200, committed(NULL));
    h.node.sequence_after_post = 6;
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_OK);
    REQUIRE(h.node.posted_count == 2);
    CHECK_EQ(h.node.posted[1].sequence, 6);
    /* the same sequence again: not retried, the refusal is shown */
    h.node.posted_count = 0;
    h.node.sequence_after_post = 0;
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 400, bad_sequence(5));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "5"), CLI_REFUSED);
    CHECK_EQ(h.node.posted_count, 1);
    CHECK(contains(h.err, "(BAD_SEQUENCE)"));
    CHECK(contains(h.err, "the node expects sequence number 5"));
    harness_free(&h);
}

TEST(cli_network_commands_build_their_transactions) {
    harness h;
    harness_with_alice(&h);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i}", "created_id", 2)));
    CHECK_EQ(RUN(&h, "network", "create", "Riverside", "rvh"), CLI_USAGE);
    CHECK(contains(h.err, "the unit is upper case: RVH, not rvh"));
    CHECK_EQ(RUN(&h, "network", "create", "Riverside", "RVH", "--decimals", "1", "--default-limit", "2000",
                 "--fee-bps", "30", "--period-seconds", "60", "--grace-days", "0", "--rule", "zero-balance",
                 "--admitted"),
             CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_NETWORK_CREATE);
    const tally_tx_network_create *create = &tx->body.network_create;
    CHECK(create->name.length == 9 && memcmp(create->name.bytes, "Riverside", 9) == 0);
    CHECK(create->unit_code.length == 3 && memcmp(create->unit_code.bytes, "RVH", 3) == 0);
    CHECK_EQ(create->decimals, 1);
    CHECK_EQ(create->policy.default_credit_limit, 20000);
    CHECK_EQ(create->policy.max_credit_limit, 20000); /* raised to the default limit */
    CHECK_EQ(create->policy.fee_bps, 30);
    CHECK_EQ(create->policy.period_seconds, 60);
    CHECK_EQ(create->policy.grace_seconds, 0);
    CHECK_EQ(create->policy.compliance_rule, TALLY_COMPLIANCE_ZERO_BALANCE);
    CHECK_EQ(create->policy.membership_mode, TALLY_MEMBERSHIP_ADMITTED);
    CHECK(create->policy.auto_renew);
    CHECK(contains(h.out, "created network 2: Riverside (RVH, 1 decimals); you are its operator"));

    CHECK_EQ(RUN(&h, "network", "create", "X", "G$H"), CLI_USAGE);
    CHECK(contains(h.err, "the unit 'G$H' must be 1 to 8 of A-Z and 0-9"));
    CHECK_EQ(RUN(&h, "network", "create", "X", "GVH", "--rule", "min-income"), CLI_USAGE);
    CHECK(contains(h.err, "needs --min-income-bps"));
    CHECK_EQ(RUN(&h, "network", "create", "X", "GVH", "--open", "--admitted"), CLI_USAGE);
    CHECK(contains(h.err, "--admitted and --open contradict each other"));
    CHECK_EQ(RUN(&h, "network", "create", "X", "GVH", "--fee-bps", "10001"), CLI_USAGE);
    CHECK(contains(h.err, "--fee-bps takes basis points, 0 to 10000"));
    CHECK_EQ(RUN(&h, "network", "create", "X", "GVH", "--decimals", "10"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "network", "create", "X", "GVH", "--period-days", "0"), CLI_USAGE);

    /* policy: only what is given changes */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(NULL));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--fee-bps", "50", "--cap", "2000"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_POLICY_UPDATE);
    const tally_policy *policy = &tx->body.policy_update.policy;
    CHECK_EQ(tx->body.policy_update.network_id, 1);
    CHECK_EQ(policy->fee_bps, 50);
    CHECK_EQ(policy->positive_cap, 200000);
    CHECK_EQ(policy->default_credit_limit, 10000);
    CHECK_EQ(policy->max_credit_limit, 50000);
    CHECK_EQ(policy->period_seconds, 2592000);
    CHECK_EQ(policy->grace_seconds, 864000);
    CHECK_EQ(policy->target_rtd_bps, 2000);
    CHECK_EQ(policy->compliance_rule, TALLY_COMPLIANCE_REBALANCED);
    CHECK(policy->auto_renew);
    CHECK_EQ(policy->max_members, 100000);
    CHECK_EQ(policy->notice_seconds, 604800);
    CHECK_EQ(policy->redeem_cap_bps, 1000);
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--notice-days", "3", "--max-members", "40",
                 "--redeem-cap-bps", "500"),
             CLI_OK);
    policy = &last_posted(&h)->body.policy_update.policy;
    CHECK_EQ(policy->notice_seconds, 3 * 86400);
    CHECK_EQ(policy->max_members, 40);
    CHECK_EQ(policy->redeem_cap_bps, 500);
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--notice-seconds", "3600"), CLI_USAGE);
    CHECK(contains(h.err, "--notice-seconds takes a whole number of seconds, 86400"));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale"), CLI_USAGE);
    CHECK(contains(h.err, "nothing to change"));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--default-limit", "600"), CLI_USAGE);
    CHECK(contains(h.err, "the default limit (600.00 GVH) is above the maximum limit (500.00 GVH)"));

    /* peg: the reserve in USD's 3 decimals, the credit in GVH's 2 */
    CHECK_EQ(RUN(&h, "network", "peg", "Greenvale", "usd", "1.5", "2"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_PEG_SET);
    CHECK_EQ(tx->body.peg_set.network_id, 1);
    CHECK_EQ(tx->body.peg_set.asset_id, 1);
    CHECK_EQ(tx->body.peg_set.peg_reserve_units, 1500);
    CHECK_EQ(tx->body.peg_set.peg_credit_units, 200);
    CHECK(contains(h.out, "Greenvale's pool now holds USD: 1.500 USD backs 2.00 GVH"));
    CHECK_EQ(RUN(&h, "network", "peg", "1", "none"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.peg_set.asset_id, 0);
    CHECK_EQ(RUN(&h, "network", "peg", "1", "USD", "1"), CLI_USAGE);
    harness_free(&h);
}

TEST(cli_member_operator_alias_line_commands) {
    harness h;
    harness_with_alice(&h);
    tally_key bob = key_of(BOB_SEED), carol = key_of(CAROL_SEED);
    char bob_address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&bob, bob_address);
    static const struct {
        const char *group, *name;
        tally_tx_type type;
    } keyed[] = {{"operator", "add", TALLY_TX_OPERATOR_ADD},       {"operator", "remove", TALLY_TX_OPERATOR_REMOVE},
                 {"member", "admit", TALLY_TX_MEMBER_ADMIT},       {"member", "suspend", TALLY_TX_MEMBER_SUSPEND},
                 {"member", "reinstate", TALLY_TX_MEMBER_REINSTATE}, {"line", "close", TALLY_TX_LINE_CLOSE}};
    for (size_t i = 0; i < sizeof keyed / sizeof keyed[0]; i++) {
        CHECK_EQ(RUN(&h, keyed[i].group, keyed[i].name, "greenvale", "bob"), CLI_OK);
        const tally_tx *tx = last_posted(&h);
        check_envelope(tx, keyed[i].type);
        CHECK_EQ(tx->body.network_key.network_id, 1);
        CHECK(memcmp(tx->body.network_key.key.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
        /* by address, and alias@network naming the same network */
        CHECK_EQ(RUN(&h, keyed[i].group, keyed[i].name, "1", bob_address), CLI_OK);
        CHECK(memcmp(last_posted(&h)->body.network_key.key.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
        CHECK_EQ(RUN(&h, keyed[i].group, keyed[i].name, "1", "carol@greenvale"), CLI_OK);
        CHECK(memcmp(last_posted(&h)->body.network_key.key.bytes, carol.bytes, TALLY_KEY_BYTES) == 0);
        h.node.posted_count = 0;
    }
    CHECK(contains(h.out, "closed carol@Greenvale's credit line"));
    CHECK_EQ(RUN(&h, "member", "admit", "greenvale", "bob@riverside"), CLI_REFUSED); /* no such network */
    CHECK_EQ(RUN(&h, "member", "admit", "greenvale", "bob@1x"), CLI_REFUSED);

    CHECK_EQ(RUN(&h, "member", "join", "greenvale"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_MEMBER_JOIN);
    CHECK_EQ(last_posted(&h)->body.network_only.network_id, 1);
    CHECK(contains(h.out, "joined Greenvale"));
    CHECK_EQ(RUN(&h, "member", "leave", "1"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_MEMBER_LEAVE);

    CHECK_EQ(RUN(&h, "alias", "set", "greenvale", "alice.b"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_ALIAS_SET);
    CHECK(tx->body.alias_set.alias.length == 7 && memcmp(tx->body.alias_set.alias.bytes, "alice.b", 7) == 0);
    CHECK(contains(h.out, "you are now alice.b@Greenvale"));
    CHECK_EQ(RUN(&h, "alias", "clear", "greenvale"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.alias_set.alias.length, 0);
    CHECK_EQ(RUN(&h, "alias", "set", "greenvale", "Alice"), CLI_USAGE);
    CHECK(contains(h.err, "'Alice' is not an alias"));

    CHECK_EQ(RUN(&h, "line", "open", "greenvale", "bob", "100", "--period-days", "10", "--grace-days", "2",
                 "--risk-fee-bps", "300"),
             CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_LINE_OPEN);
    CHECK_EQ(tx->body.line_open.network_id, 1);
    CHECK(memcmp(tx->body.line_open.member.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.line_open.limit, 10000);
    CHECK_EQ(tx->body.line_open.period_seconds, 10 * 86400);
    CHECK_EQ(tx->body.line_open.grace_seconds, 2 * 86400);
    CHECK_EQ(tx->body.line_open.risk_fee_bps, 300);
    CHECK(contains(h.out, "opened a credit line of 100.00 GVH for bob@Greenvale"));
    CHECK_EQ(RUN(&h, "line", "open", "greenvale", "carol", "0"), CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.line_open.limit, 0);
    CHECK_EQ(tx->body.line_open.period_seconds, 0); /* the network's */
    CHECK_EQ(tx->body.line_open.risk_fee_bps, 0);

    /* update keeps bob's risk fee (3%) unless told */
    CHECK_EQ(RUN(&h, "line", "update", "greenvale", "bob", "250"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_LINE_UPDATE);
    CHECK_EQ(tx->body.line_update.limit, 25000);
    CHECK_EQ(tx->body.line_update.risk_fee_bps, 300);
    CHECK_EQ(RUN(&h, "line", "update", "greenvale", "bob", "250", "--risk-fee-bps", "0"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.line_update.risk_fee_bps, 0);
    CHECK_EQ(RUN(&h, "line", "update", "greenvale", "bob", "2.505"), CLI_USAGE);
    harness_free(&h);
}

TEST(cli_asset_pool_fee_commands) {
    harness h;
    harness_with_alice(&h);
    tally_key bob = key_of(BOB_SEED);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i}", "created_id", 3)));
    /* a lower-case code is refused, not changed */
    CHECK_EQ(RUN(&h, "asset", "create", "eur", "Euro of the coop", "--decimals", "2"), CLI_USAGE);
    CHECK(contains(h.err, "the asset code is upper case: EUR, not eur"));
    CHECK(h.node.posted_count == 0);
    CHECK_EQ(RUN(&h, "asset", "create", "EUR", "Euro of the coop", "--decimals", "2"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_ASSET_CREATE);
    CHECK(tx->body.asset_create.code.length == 3 && memcmp(tx->body.asset_create.code.bytes, "EUR", 3) == 0);
    CHECK(tx->body.asset_create.name.length == 16);
    CHECK_EQ(tx->body.asset_create.decimals, 2);
    CHECK(contains(h.out, "created asset 3: EUR (Euro of the coop, 2 decimals); you issue it"));

    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    committed(json_pack("{s:i, s:i, s:i, s:i}", "shares", 200000, "to_primary", 150000, "to_excess",
                                        50000, "reserve", 2000)));
    CHECK_EQ(RUN(&h, "asset", "issue", "USD", "bob@greenvale", "500"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_ASSET_ISSUE);
    CHECK_EQ(tx->body.asset_move.asset_id, 1);
    CHECK(memcmp(tx->body.asset_move.to.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.asset_move.amount, 500000);
    CHECK(contains(h.out, "issued 500.000 USD to bob@Greenvale"));
    char bob_address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&bob, bob_address);
    CHECK_EQ(RUN(&h, "asset", "transfer", "1", bob_address, "0.125"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_ASSET_TRANSFER);
    CHECK_EQ(tx->body.asset_move.amount, 125);
    CHECK_EQ(RUN(&h, "asset", "transfer", "1", "bob", "1"), CLI_USAGE);
    CHECK(contains(h.err, "an alias needs its network, as in bob@greenvale"));
    CHECK_EQ(RUN(&h, "asset", "burn", "usd", "20"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_ASSET_BURN);
    CHECK_EQ(last_posted(&h)->body.asset_burn.amount, 20000);
    CHECK_EQ(RUN(&h, "asset", "burn", "XYZ", "20"), CLI_REFUSED);
    CHECK(contains(h.err, "no asset has the code 'XYZ'"));

    /* pool: deposit and withdraw in USD (3 decimals), repay and redeem in GVH (2) */
    static const struct {
        const char *name, *amount;
        tally_tx_type type;
        int64_t expected;
    } pool[] = {{"deposit", "200", TALLY_TX_POOL_DEPOSIT, 200000},
                {"withdraw", "50.5", TALLY_TX_POOL_WITHDRAW, 50500},
                {"repay", "30", TALLY_TX_POOL_REPAY, 3000},
                {"redeem", "10.25", TALLY_TX_POOL_REDEEM, 1025}};
    for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
        CHECK_EQ(RUN(&h, "pool", pool[i].name, "greenvale", pool[i].amount), CLI_OK);
        tx = last_posted(&h);
        check_envelope(tx, pool[i].type);
        CHECK_EQ(tx->body.pool_amount.network_id, 1);
        CHECK_EQ(tx->body.pool_amount.amount, pool[i].expected);
    }
    CHECK(contains(h.out, "exchanged 10.25 GVH for 2.000 USD from Greenvale's pool"));
    CHECK_EQ(RUN(&h, "pool", "deposit", "greenvale", "200"), CLI_OK);
    CHECK(contains(h.out, "deposited 200.000 USD into Greenvale's pool (150.000 USD to primary, 50.000 USD to "
                          "excess) for 200.000 shares"));
    CHECK_EQ(RUN(&h, "pool", "repay", "greenvale", "30.001"), CLI_USAGE);
    CHECK(contains(h.err, "too many decimals: GVH has 2"));

    CHECK_EQ(RUN(&h, "fees", "distribute", "greenvale", "--to-pool", "5"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_FEE_DISTRIBUTE);
    CHECK(tx->body.fee_distribute.to_pool);
    CHECK_EQ(tx->body.fee_distribute.amount, 500);
    CHECK_EQ(RUN(&h, "fees", "distribute", "greenvale", "bob", "2.50"), CLI_OK);
    tx = last_posted(&h);
    CHECK(!tx->body.fee_distribute.to_pool);
    CHECK(memcmp(tx->body.fee_distribute.to.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.fee_distribute.amount, 250);
    CHECK_EQ(RUN(&h, "fees", "distribute", "greenvale", "bob", "2.50", "--to-pool"), CLI_USAGE);
    CHECK(contains(h.err, "give WHO or --to-pool, not both"));
    CHECK_EQ(RUN(&h, "fees", "distribute", "greenvale", "2.50"), CLI_USAGE);
    CHECK(contains(h.err, "say who receives the fees"));
    harness_free(&h);
}

TEST(cli_transaction_json_output) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN(&h, "--json", "pay", "bob@greenvale", "1"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    REQUIRE(json != NULL);
    CHECK(strcmp(json_string_value(json_object_get(json, "status")), "committed") == 0);
    CHECK_EQ(json_integer_value(json_object_get(json, "height")), 7);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(json, "result"), "fee")), 18);
    json_decref(json);
    CHECK(!contains(h.out, "paid")); /* nothing but the JSON document on stdout */
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* Keys.                                                                     */
/* ------------------------------------------------------------------------ */

TEST(cli_key_commands) {
    harness h;
    harness_init(&h);
    CHECK_EQ(RUN_NO_KEY(&h, "key", "list"), CLI_OK);
    CHECK(contains(h.err, "no keys in"));
    CHECK_EQ(RUN_NO_KEY(&h, "balance"), CLI_USAGE);
    CHECK(contains(h.err, "create one with `tally key new NAME`"));
    h.stdin_text = seed_hex_alice;
    CHECK_EQ(RUN_NO_KEY(&h, "key", "import", "alice", "--seed", "-"), CLI_OK);
    char alice[TALLY_ADDRESS_LENGTH + 1];
    address_of(ALICE_SEED, alice);
    CHECK(contains(h.out, alice));
    struct stat info;
    REQUIRE(stat(h.keys_dir, &info) == 0);
    CHECK_EQ(info.st_mode & 0777, 0700);
    h.stdin_text = seed_hex_alice;
    CHECK_EQ(RUN_NO_KEY(&h, "key", "import", "alice"), CLI_USAGE);
    CHECK(contains(h.err, "exists already"));
    /* a key file a power cut left half written (test_power_loss.c) is named for what
     * it is, not as a key that exists */
    char torn[CLI_PATH_MAX + 80];
    snprintf(torn, sizeof torn, "%s/carol.key", h.keys_dir);
    FILE *half = fopen(torn, "w");
    REQUIRE(half != NULL);
    fputs("{\"version\": 1, \"name\": \"ca", half);
    fclose(half);
    h.stdin_text = seed_hex_alice;
    CHECK_EQ(RUN_NO_KEY(&h, "key", "import", "carol"), CLI_USAGE);
    CHECK(contains(h.err, "holds no usable key"));
    CHECK(contains(h.err, "remove it to store key 'carol' again"));
    CHECK(!contains(h.err, "exists already"));
    CHECK(unlink(torn) == 0);
    h.stdin_text = "abcd\n";
    CHECK_EQ(RUN_NO_KEY(&h, "key", "import", "x"), CLI_USAGE);
    CHECK(contains(h.err, "the seed must be 64 hex digits"));
    CHECK_EQ(RUN_NO_KEY(&h, "key", "import", "x"), CLI_USAGE);
    CHECK(contains(h.err, "no seed: give it on standard input or with --seed-file FILE"));
    CHECK_EQ(RUN_NO_KEY(&h, "key", "new", "bad/name"), CLI_USAGE);
    /* with one key, it is the one that signs */
    CHECK_EQ(RUN_NO_KEY(&h, "key", "show"), CLI_OK);
    CHECK(strncmp(h.out, alice, TALLY_ADDRESS_LENGTH) == 0);
    CHECK_EQ(RUN_NO_KEY(&h, "key", "new", "bob"), CLI_OK);
    CHECK(strncmp(h.out, "tly1", 4) == 0);
    CHECK_EQ(RUN_NO_KEY(&h, "key", "show"), CLI_USAGE);
    CHECK(contains(h.err, "2 keys in"));
    CHECK(contains(h.err, "(alice, bob): choose one with --key NAME or TALLY_KEY"));
    CHECK_EQ(run_as(&h, NULL, "--key", "alice", "key", "show", (const char *)NULL), CLI_OK);
    CHECK(strncmp(h.out, alice, TALLY_ADDRESS_LENGTH) == 0);
    CHECK_EQ(RUN_NO_KEY(&h, "key", "list", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK_EQ(json_array_size(json_object_get(json, "keys")), 2);
    json_decref(json);
    CHECK_EQ(run_as(&h, "carol", "balance", (const char *)NULL), CLI_USAGE);
    CHECK(contains(h.err, "no key named 'carol'"));
    harness_free(&h);
}

TEST(cli_wrong_passphrase_sends_nothing) {
    harness h;
    harness_with_alice(&h);
    /* run_as always uses PASSPHRASE; rewrite the key under another one */
    char path[256];
    snprintf(path, sizeof path, "%s/alice.key", h.keys_dir);
    unlink(path);
    keystore_keypair pair;
    uint8_t seed[32];
    memset(seed, ALICE_SEED, sizeof seed);
    tally_keypair(&pair.public_key, pair.secret_key, seed);
    char why[128];
    REQUIRE(keystore_save(path, "alice", &pair, "another passphrase", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "1"), CLI_USAGE);
    CHECK(contains(h.err, "cannot open key 'alice': wrong passphrase"));
    CHECK_EQ(h.node.posted_count, 0);
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* Reading.                                                                  */
/* ------------------------------------------------------------------------ */

TEST(cli_account_output_human) {
    json_t *account = account_json(BOB_SEED, "bob", -1250, 10000, "active", 200);
    /* 1% base fee, 2% risk fee on all of it (bob is in debt): x + 1% + 2% <= 87.50
     * gives 84.95 (+ 0.85 + 1.70 = 87.50) */
    cli_network network = {.has_policy = true};
    network.policy.fee_bps = 100;
    cli_account_add_spending(account, &network);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    json_object_set_new(account, "pool_shares", json_integer(7000));
    json_object_set_new(account, "pool_shares_value", json_integer(6765));
    cli_unit euro = {2, "EUR"};
    cli_out_account(out, account, "Greenvale", NULL, &euro);
    fclose(out);
    char bob[TALLY_ADDRESS_LENGTH + 1], expected[1024];
    address_of(BOB_SEED, bob);
    snprintf(expected, sizeof expected,
             "account     bob@Greenvale\n"
             "address     %s\n"
             "alias       bob\n"
             "status      active\n"
             "balance     -12.50 GVH\n"
             "limit       100.00 GVH\n"
             "can pay now 84.95 GVH (fees included)\n"
             "credit left 87.50 GVH\n"
             "line        active, risk fee 2.00%%\n"
             "period      2026-01-01 00:00 UTC to 2026-01-31 00:00 UTC\n"
             "fees paid   0.25 GVH\n"
             "pool shares 70.00, worth 67.65 EUR\n",
             bob);
    CHECK(text && strcmp(text, expected) == 0);
    if (text && strcmp(text, expected) != 0) fprintf(stderr, "%s", text);
    free(text);
    json_decref(account);
}

TEST(cli_balance_and_reads) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN(&h, "balance"), CLI_OK);
    /* can pay now, fees included: x + 1% of x + 2% of the x - 10.00 on credit <= 110.00
     * gives 106.99 (+ 1.07 + 1.94 = 110.00; 107.00 would need 110.01) */
    CHECK(contains(h.out, "NETWORK    ALIAS    BALANCE       LIMIT  CAN PAY NOW  CREDIT LEFT  LINE                    "
                          "PERIOD ENDS           FEES PAID\n"
                          "Greenvale  alice  10.00 GVH  100.00 GVH   106.99 GVH   100.00 GVH  active, risk fee 2.00%  "
                          "2026-01-31 00:00 UTC   0.25 GVH\n"));
    CHECK(contains(h.out, "reserve held: 12.345 USD"));
    CHECK_EQ(RUN(&h, "balance", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    json_t *first = json_array_get(json_object_get(json, "accounts"), 0);
    CHECK_EQ(json_integer_value(json_object_get(first, "balance")), 1000);
    CHECK_EQ(json_integer_value(json_object_get(first, "can_pay_now")), 10699);
    CHECK_EQ(json_integer_value(json_object_get(first, "credit_left")), 10000);
    CHECK(strcmp(json_string_value(json_object_get(first, "network_name")), "Greenvale") == 0);
    json_decref(json);
    CHECK_EQ(RUN(&h, "balance", "greenvale"), CLI_OK);
    CHECK(contains(h.out, "10.00 GVH"));

    CHECK_EQ(RUN(&h, "account", "greenvale", "bob"), CLI_OK);
    CHECK(contains(h.out, "balance     -5.00 GVH"));
    CHECK(contains(h.out, "line        active, risk fee 3.00%"));
    CHECK_EQ(RUN(&h, "account", "greenvale", "bob", "--json"), CLI_OK);
    json = json_loads(h.out, 0, NULL);
    CHECK_EQ(json_integer_value(json_object_get(json, "balance")), -500);
    json_decref(json);

    CHECK_EQ(RUN(&h, "history", "greenvale", "--limit", "2"), CLI_OK);
    CHECK(contains(h.out, "HEIGHT  TIME                  TYPE      COUNTERPARTY      AMOUNT       FEE  MEMO\n"
                          "     6  2026-01-02 00:00 UTC  transfer  bob           -12.50 GVH  0.18 GVH  eggs\n"));
    /* the hint pastes: the key in force is kept */
    CHECK(contains(h.out, "more: tally --key alice history greenvale --limit 2 --before 41\n"));
    CHECK_EQ(RUN(&h, "history", "greenvale", "--limit", "0"), CLI_USAGE);

    CHECK_EQ(RUN(&h, "network", "show", "GREENVALE"), CLI_OK);
    CHECK(contains(h.out, "network     1  Greenvale"));
    CHECK(contains(h.out, "policy      default limit 100.00 GVH, max limit 500.00 GVH, cap none"));
    CHECK(contains(h.out, "period 30 days, grace 10 days, rule rebalanced, auto-renew on, membership open"));
    CHECK(contains(h.out, "pool        asset 1: 1.000 USD backs 1.00 GVH"));
    CHECK(contains(h.out, "primary 150.000 USD, buffer 0.000 USD, excess 50.000 USD"));
    CHECK(contains(h.out, "RTD 30.00% (target 20.00%)"));
    CHECK_EQ(RUN(&h, "network", "list"), CLI_OK);
    CHECK(contains(h.out, "ID  NAME       UNIT  MEMBERS     SUPPLY  LOST DEBT"));
    CHECK(contains(h.out, " 1  Greenvale  GVH         3  50.00 GVH   0.00 GVH"));
    CHECK_EQ(RUN(&h, "asset", "show", "usd"), CLI_OK);
    CHECK(contains(h.out, "asset       1  USD (Cooperative dollar, 3 decimals)"));
    CHECK(contains(h.out, "outstanding 800.000 USD"));
    CHECK_EQ(RUN(&h, "block", "x"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "tx", "show", "nothex"), CLI_USAGE);
    harness_free(&h);
}

/* Lists come a page at a time: the CLI follows `next` to the end, both to list and
 * to look a network up by name, and `network members` asks for what is missing. */
TEST(cli_lists_follow_the_cursors) {
    harness h;
    harness_with_alice(&h);
    json_t *second = network_json();
    json_object_set_new(second, "id", json_integer(7));
    json_object_set_new(second, "name", json_string("Riverside"));
    fake_node *node = &h.node;
    /* replaces the world's one-page list */
    fake_route_add(node, "/v1/networks?limit=500", 200,
                   json_pack("{s:[o], s:i, s:i}", "networks", network_json(), "next", 2, "total", 7));
    fake_route_add(node, "/v1/networks?limit=500&cursor=2", 200,
                   json_pack("{s:o, s:i, s:i}", "networks", json_array(), "next", 7, "total", 7));
    fake_route_add(node, "/v1/networks?limit=500&cursor=7", 200,
                   json_pack("{s:[O], s:n, s:i}", "networks", second, "next", "total", 7));
    fake_route_add(node, "/v1/networks?name=riverside", 200,
                   json_pack("{s:[O], s:n, s:i}", "networks", second, "next", "total", 7));
    fake_route_add(node, "/v1/networks/7", 200, second);
    CHECK_EQ(RUN(&h, "network", "list"), CLI_OK);
    CHECK(contains(h.out, " 1  Greenvale  GVH"));
    CHECK(contains(h.out, " 7  Riverside  GVH"));
    CHECK_EQ(RUN(&h, "network", "list", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK_EQ(json_array_size(json_object_get(json, "networks")), 2);
    json_decref(json);
    /* a name is looked up by the node itself, in one request, not by walking the list */
    size_t requests = node->request_count;
    CHECK_EQ(RUN(&h, "network", "show", "riverside"), CLI_OK);
    CHECK(contains(h.out, "network     7  Riverside"));
    CHECK_EQ(node->request_count - requests, 3); /* the lookup, the network, its reserve asset */
    /* members: the first page came back short (the scan bound), the second is asked
     * for the one missing */
    fake_route_add(node, "/v1/networks/1/members?limit=2&cursor=0", 200,
                   json_pack("{s:[o], s:i, s:i}", "members", account_json(BOB_SEED, "bob", -500, 10000, "active", 300),
                             "next", 16384, "total", 3));
    fake_route_add(node, "/v1/networks/1/members?limit=1&cursor=16384", 200,
                   json_pack("{s:[o], s:i, s:i}", "members", account_json(CAROL_SEED, "carol", 0, 0, "none", 0),
                             "next", 16390, "total", 3));
    CHECK_EQ(RUN(&h, "network", "members", "greenvale", "--limit", "2"), CLI_OK);
    CHECK(contains(h.out, "bob"));
    CHECK(contains(h.out, "carol"));
    CHECK(contains(h.out, "2 shown of 3 members"));
    CHECK(contains(h.out, "more: tally --key alice network members greenvale --limit 2 --cursor 16390\n"));
    harness_free(&h);
}

TEST(cli_output_values) {
    char text[CLI_AMOUNT_TEXT_MAX], when[CLI_TIME_TEXT_MAX], bps[24], duration[32];
    cli_unit gvh = {2, "GVH"}, plain = {3, ""};
    CHECK(strcmp(cli_out_amount(1250, &gvh, text), "12.50 GVH") == 0);
    CHECK(strcmp(cli_out_amount(-5, &gvh, text), "-0.05 GVH") == 0);
    CHECK(strcmp(cli_out_amount(INT64_MIN, &gvh, text), "-92233720368547758.08 GVH") == 0);
    CHECK(strcmp(cli_out_amount(1, &plain, text), "0.001") == 0);
    CHECK(strcmp(cli_out_time(1767225600, when), "2026-01-01 00:00 UTC") == 0);
    CHECK(strcmp(cli_out_time(0, when), "-") == 0);
    CHECK(strcmp(cli_out_bps(25, bps), "0.25%") == 0);
    CHECK(strcmp(cli_out_bps(10000, bps), "100.00%") == 0);
    CHECK(strcmp(cli_out_duration(30 * 86400, duration), "30 days") == 0);
    CHECK(strcmp(cli_out_duration(7200, duration), "2 h") == 0);
    CHECK(strcmp(cli_out_duration(90, duration), "90 s") == 0);
}

/* Issue 7, finding 2: a change that waits for its notice is shown with its date, and
 * a later `network policy` starts from it instead of withdrawing it. */
TEST(cli_network_policy_keeps_an_announced_change) {
    harness h;
    harness_with_alice(&h);
    json_t *network = network_json();
    json_t *asked = json_deep_copy(json_object_get(network, "policy"));
    json_object_set_new(asked, "fee_bps", json_integer(200));
    json_object_set_new(asked, "at", json_integer(1767830400)); /* 2026-01-08T00:00:00Z */
    json_object_set_new(json_object_get(network, "announced"), "policy", asked);
    json_object_set_new(json_object_get(network, "announced"), "peg",
                        json_pack("{s:i, s:i, s:i}", "peg_reserve_units", 2000, "peg_credit_units", 100, "at",
                                  1767830400));
    fake_route_add(&h.node, "/v1/networks/1", 200, json_incref(network));
    fake_route_add(&h.node, "/v1/networks?name=greenvale", 200,
                   json_pack("{s:[o], s:n, s:i}", "networks", network, "next", "total", 1));
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(NULL));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--max-limit", "600"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    CHECK_EQ(tx->body.policy_update.policy.fee_bps, 200); /* the announced fee, asked again */
    CHECK_EQ(tx->body.policy_update.policy.max_credit_limit, 60000);
    CHECK_EQ(RUN(&h, "network", "show", "greenvale"), CLI_OK);
    CHECK(contains(h.out, "announced   from 2026-01-08"));
    CHECK(contains(h.out, "fee 1.00% -> 2.00%"));
    CHECK(contains(h.out, "the pool's peg becomes"));
    CHECK(contains(h.out, "at most 100000 members, notice 7 days"));
    CHECK(contains(h.out, "redemptions may still take 15.000 USD from primary today"));
    harness_free(&h);
}

/* Hints paste into a shell: the key and node in force kept, a word the shell would
 * split or expand in single quotes, a quote inside as '\''. */
TEST(cli_hints_paste_into_a_shell) {
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    char hint[512];
    cli_hint_start(&ctx, hint, sizeof hint);
    CHECK(strcmp(hint, "tally") == 0);
    snprintf(ctx.key_name, sizeof ctx.key_name, "ben");
    REQUIRE(cli_set_node_url(&ctx, "http://10.0.0.2:8080"));
    ctx.node_given = true;
    cli_hint_start(&ctx, hint, sizeof hint);
    cli_hint_word(hint, sizeof hint, "history");
    cli_hint_word(hint, sizeof hint, "Green Valley");
    cli_hint_word(hint, sizeof hint, "bob@2");
    cli_hint_word(hint, sizeof hint, "it's $5");
    cli_hint_word(hint, sizeof hint, "");
    CHECK(strcmp(hint, "tally --key ben --node http://10.0.0.2:8080 history 'Green Valley' bob@2 'it'\\''s $5' ''") == 0);
    /* what does not fit is cut, and the text stays terminated */
    char small[12] = "tally";
    cli_hint_word(small, sizeof small, "history");
    cli_hint_word(small, sizeof small, "greenvale");
    CHECK(strlen(small) < sizeof small);
}

/* A pool entry of the history shows the reserve it moved, in the reserve's unit, and
 * the shares it made; a transfer its credits. */
TEST(cli_history_shows_pool_entries_in_reserve_and_shares) {
    json_t *history = json_pack("{s:[{s:I, s:I, s:s, s:I, s:I, s:s, s:I, s:I}, {s:I, s:I, s:s, s:I, s:I, s:s, s:s}]}",
                                "entries", "height", (json_int_t)14, "time", (json_int_t)1767225600, "type",
                                "pool_deposit", "amount", (json_int_t)0, "fee", (json_int_t)0, "memo", "", "reserve",
                                (json_int_t)-30000, "shares", (json_int_t)30000, "height", (json_int_t)15, "time",
                                (json_int_t)1767225600, "type", "transfer", "amount", (json_int_t)1250, "fee",
                                (json_int_t)0, "memo", "eggs", "counterparty_name", "alice");
    REQUIRE(history != NULL);
    cli_unit credits = {2, "GVH"}, reserve = {2, "USD"};
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cli_out_history(out, history, &credits, &reserve, NULL);
    fclose(out);
    CHECK(contains(text, "pool_deposit  -             -300.00 USD       +300.00 shares\n"));
    CHECK(contains(text, "transfer      alice           12.50 GVH       eggs\n"));
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "%s", text);
    free(text);
    json_decref(history);
}

/* tally pool show: the parts, and what withdrawing shares pays now, before anything
 * is signed (the fake pool: 150.000 USD primary, 50.000 excess, 200.000 shares). */
TEST(cli_pool_show_previews_a_withdrawal) {
    harness h;
    harness_with_alice(&h);
    CHECK_EQ(RUN_NO_KEY(&h, "pool", "show", "greenvale", "--shares", "40"), CLI_OK);
    CHECK(contains(h.out, "primary        150.000 USD  (counts towards the RTD)\n"));
    CHECK(contains(h.out, "excess          50.000 USD  (what withdrawals are paid from)\n"));
    CHECK(contains(h.out, "RTD         30.00% (target 20.00%)\n"));
    CHECK(contains(h.out, "shares      200.000 in all\n"));
    /* 40 of 200 shares of 200.000 USD: 40.000, which the excess can pay */
    CHECK(contains(h.out, "withdraw    40.000 shares -> 40.000 USD now; sign it with `tally pool withdraw Greenvale 40.000`\n"));
    CHECK(!contains(h.out, "yours"));
    /* 70 would pay 70.000, past the 50.000 of excess */
    CHECK_EQ(RUN_NO_KEY(&h, "pool", "show", "greenvale", "--shares", "70"), CLI_OK);
    CHECK(contains(h.out, "withdraw    70.000 shares would pay 70.000 USD, but the excess holds 50.000 USD: refused now "
                          "(POOL_EXCESS_SHORT)\n"));
    /* with a key: its shares (alice has none), and more than it owns is refused */
    CHECK_EQ(RUN(&h, "pool", "show", "greenvale", "--shares", "1"), CLI_OK);
    CHECK(contains(h.out, "yours       0.000 shares (alice), worth 0.000 USD\n"));
    CHECK(contains(h.out, "withdraw    1.000 shares: refused now (INSUFFICIENT_SHARES)\n"));
    CHECK_EQ(RUN_NO_KEY(&h, "pool", "show", "greenvale", "--shares", "40", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    REQUIRE(json != NULL);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(json, "withdrawal"), "pays")), 40000);
    CHECK(json_object_get(json_object_get(json, "withdrawal"), "refused") == NULL);
    json_decref(json);
    harness_free(&h);
}

/* history --from/--to/--csv: every entry of a range (dates in UTC), CSV that a
 * spreadsheet reads as it is (quoted where needed, no formula smuggled in). */
TEST(cli_history_ranges_and_csv) {
    harness h;
    harness_with_alice(&h);
    char alice[TALLY_ADDRESS_LENGTH + 1], path[256];
    address_of(ALICE_SEED, alice);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s/history?limit=500", alice);
    fake_route_add(&h.node, path, 200,
                   json_pack("{s:[{s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:s},"
                             " {s:i, s:i, s:i, s:s, s:s, s:s, s:i, s:i, s:s},"
                             " {s:i, s:i, s:i, s:s, s:s, s:i, s:i, s:s, s:i, s:i}], s:n}",
                             "entries",
                             /* 2026-01-03 10:00 */
                             "cursor", 90, "height", 9, "time", 1767434400, "tx", "cc", "type", "transfer",
                             "counterparty", "tly1bob", "counterparty_name", "bob", "amount", -1250, "fee", 18, "memo",
                             "=1+2, \"x\"",
                             /* 2026-01-02 12:00 */
                             "cursor", 60, "height", 6, "time", 1767355200, "tx", "bb", "type", "transfer",
                             "counterparty", "tly1carol", "amount", 500, "fee", 0, "memo", "bread",
                             /* 2026-01-01 08:00: a pool deposit */
                             "cursor", 30, "height", 3, "time", 1767254400, "tx", "aa", "type", "pool_deposit", "amount",
                             0, "fee", 0, "memo", "", "reserve", -12000, "shares", 12000, "next"));
    CHECK_EQ(RUN(&h, "history", "greenvale", "--csv"), CLI_OK);
    CHECK(contains(h.out,
                   "date,height,type,line,counterparty,counterparty_name,amount,fee,unit,reserve,reserve_unit,shares,memo,tx\r\n"
                   "2026-01-03T10:00:00Z,9,transfer,,tly1bob,bob,-12.50,0.18,GVH,,,,\"'=1+2, \"\"x\"\"\",cc\r\n"
                   "2026-01-02T12:00:00Z,6,transfer,,tly1carol,,5.00,0.00,GVH,,,,bread,bb\r\n"
                   "2026-01-01T08:00:00Z,3,pool_deposit,,,,0.00,0.00,GVH,-12.000,USD,12.000,,aa\r\n"));
    /* one day, in UTC: only the middle entry */
    CHECK_EQ(RUN(&h, "history", "greenvale", "--from", "2026-01-02", "--to", "2026-01-02"), CLI_OK);
    CHECK(contains(h.out, "     6  2026-01-02 12:00 UTC  transfer"));
    CHECK(!contains(h.out, "     9  2026-01-03"));
    CHECK(!contains(h.out, "     3  2026-01-01"));
    /* from a day on: the two newest */
    CHECK_EQ(RUN(&h, "history", "greenvale", "--from", "2026-01-02", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK_EQ(json_array_size(json_object_get(json, "entries")), 2);
    json_decref(json);
    CHECK_EQ(RUN(&h, "history", "greenvale", "--from", "2026-02-30"), CLI_USAGE);
    CHECK(contains(h.err, "--from takes a date as YYYY-MM-DD (UTC), not '2026-02-30'"));
    CHECK_EQ(RUN(&h, "history", "greenvale", "--from", "2026-01-03", "--to", "2026-01-02"), CLI_USAGE);
    CHECK(contains(h.err, "--to is before --from"));
    CHECK_EQ(RUN(&h, "history", "greenvale", "--csv", "--limit", "5"), CLI_USAGE);
    harness_free(&h);
}

/* balance says what the key's pool shares are worth, after its table. */
TEST(cli_balance_shows_pool_shares_and_their_worth) {
    harness h;
    harness_with_alice(&h);
    char alice[TALLY_ADDRESS_LENGTH + 1], path[256];
    address_of(ALICE_SEED, alice);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", alice);
    json_t *account = account_json(ALICE_SEED, "alice", 1000, 10000, "active", 200);
    json_object_set_new(account, "pool_shares", json_integer(70000));
    json_object_set_new(account, "pool_shares_value", json_integer(67650));
    fake_route_replace(&h.node, path, account);
    CHECK_EQ(RUN(&h, "balance"), CLI_OK);
    CHECK(contains(h.out, "\npool shares in Greenvale: 70.000, worth 67.650 USD (`tally pool show Greenvale` for a "
                          "withdrawal)\n"));
    CHECK_EQ(RUN(&h, "balance", "greenvale"), CLI_OK);
    CHECK(contains(h.out, "pool shares in Greenvale: 70.000, worth 67.650 USD"));
    CHECK_EQ(RUN(&h, "balance", "--json"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    json_t *first = json_array_get(json_object_get(json, "accounts"), 0);
    CHECK_EQ(json_integer_value(json_object_get(first, "pool_shares")), 70000);
    json_decref(json);
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* Gateways and payments across them.                                        */
/* ------------------------------------------------------------------------ */

enum { DAVE_SEED = 6 };

/* Riverside (id 2, RVS with 1 decimal), dave in it, and gateway 1 from Greenvale to
 * Riverside: 3 GVH minor units are worth 2 RVS minor units (0.03 GVH = 0.2 RVS),
 * Greenvale 0.5% and a limit of 500.00, Riverside 1% and a limit of 300.0 with a
 * minimum RTD of 10% on Greenvale; gw:Greenvale in Riverside owes 12.5 RVS. */
static void gateway_world(harness *h) {
    json_t *greenvale = network_json(), *riverside = json_deep_copy(greenvale);
    json_object_set_new(riverside, "id", json_integer(2));
    json_object_set_new(riverside, "name", json_string("Riverside"));
    json_object_set_new(riverside, "unit", json_string("RVS"));
    json_object_set_new(riverside, "decimals", json_integer(1));
    fake_route_add(&h->node, "/v1/networks/2", 200, json_incref(riverside));
    fake_route_replace(&h->node, "/v1/networks?limit=500",
                       json_pack("{s:[o, o], s:n, s:i}", "networks", greenvale, riverside, "next", "total", 2));
    fake_route_add(&h->node, "/v1/networks/2/accounts/dave", 200, account_json(DAVE_SEED, "dave", 0, 0, "none", 0));
    fake_route_add(&h->node, "/v1/networks/1/accounts/alice", 200,
                   account_json(ALICE_SEED, "alice", 1000, 10000, "active", 200));
    char greenvale_mirror[TALLY_ADDRESS_LENGTH + 1], riverside_mirror[TALLY_ADDRESS_LENGTH + 1];
    tally_key key = tally_gateway_key(1, 2);
    tally_address_encode(&key, riverside_mirror);
    key = tally_gateway_key(2, 1);
    tally_address_encode(&key, greenvale_mirror);
    fake_route_add(&h->node, "/v1/gateways/1", 200,
                   json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:b, s:i, s:i, "
                             "s:{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:s, s:i, s:i, s:i}, "
                             "s:{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:s, s:i, s:i, s:i}}",
                             "id", 1, "status", "open", "network_a", 1, "network_b", 2, "rate_a", 3, "rate_b", 2,
                             "rate_from_pegs", 0, "proposed_at", 1767225600, "opened_at", 1767229200, "a", "network",
                             1, "name", "Greenvale", "unit", "GVH", "decimals", 2, "fee_bps", 50, "limit", 50000,
                             "min_partner_rtd_bps", 0, "max_partner_default_bps", 0, "frozen", 0, "mirror",
                             riverside_mirror, "mirror_balance", 1875, "exposure", 0, "room", 50000, "b", "network", 2,
                             "name", "Riverside", "unit", "RVS", "decimals", 1, "fee_bps", 100, "limit", 3000,
                             "min_partner_rtd_bps", 1000, "max_partner_default_bps", 0, "frozen", 0, "mirror",
                             greenvale_mirror, "mirror_balance", -125, "exposure", 125, "room", 2875));
}

TEST(cli_gateway_propose_builds_the_terms_in_each_networks_unit) {
    harness h;
    harness_with_alice(&h);
    gateway_world(&h);
    /* 1.50 GVH are worth 1.0 RVS: 150 and 10 minor units, 15:1 in lowest terms */
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "riverside", "--rate", "1.50:1", "--fee-bps", "50",
                 "--partner-fee-bps", "25", "--limit", "500", "--partner-limit", "300", "--min-partner-rtd", "1000",
                 "--partner-max-default", "200"),
             CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_GATEWAY_PROPOSE);
    const tally_tx_gateway_propose *p = &tx->body.gateway_propose;
    CHECK_EQ(p->network_a, 1);
    CHECK_EQ(p->network_b, 2);
    CHECK_EQ(p->terms.rate_a, 15);
    CHECK_EQ(p->terms.rate_b, 1);
    CHECK_EQ(p->terms.side[0].fee_bps, 50);
    CHECK_EQ(p->terms.side[0].limit, 50000);
    CHECK_EQ(p->terms.side[0].min_partner_rtd_bps, 1000);
    CHECK_EQ(p->terms.side[0].max_partner_default_bps, 0);
    CHECK_EQ(p->terms.side[1].fee_bps, 25);
    CHECK_EQ(p->terms.side[1].limit, 3000);
    CHECK_EQ(p->terms.side[1].min_partner_rtd_bps, 0);
    CHECK_EQ(p->terms.side[1].max_partner_default_bps, 200);
    CHECK(contains(h.out, "proposed gateway 2 from Greenvale to Riverside"));
    CHECK(contains(h.out, "tally gateway accept 2"));
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "2", "--rate", "PEGS"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.gateway_propose.terms.rate_a, 0);
    CHECK_EQ(last_posted(&h)->body.gateway_propose.terms.rate_b, 0);
    CHECK_EQ(last_posted(&h)->body.gateway_propose.terms.side[0].limit, 0); /* no limit given: no exposure */
    size_t posted = h.node.posted_count;
    /* refused before anything is sent */
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "riverside", "--rate", "1:1.05"), CLI_USAGE);
    CHECK(contains(h.err, "--rate: too many decimals: RVS has 1"));
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "riverside", "--rate", "one:1"), CLI_USAGE);
    CHECK(contains(h.err, "--rate: 'one' is not an amount"));
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "riverside", "--rate", "1:1", "--limit", "-5"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "riverside", "--rate", "1:1", "--min-partner-rtd", "x"), CLI_USAGE);
    CHECK(contains(h.err, "--min-partner-rtd takes basis points"));
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale", "nowhere", "--rate", "1:1"), CLI_REFUSED);
    CHECK_EQ(RUN(&h, "gateway", "propose", "greenvale"), CLI_USAGE);
    CHECK(contains(h.err, "missing PARTNER"));
    CHECK_EQ(h.node.posted_count, posted);
    CHECK_EQ(RUN(&h, "gateway", "propose", "--help"), CLI_OK);
    CHECK(contains(h.out, "--rate A:B"));
    CHECK(contains(h.out, "example:\n  tally gateway propose greenvale riverside --rate 1:1"));
    harness_free(&h);
}

TEST(cli_gateway_accept_shows_and_repeats_the_terms) {
    harness h;
    harness_with_alice(&h);
    gateway_world(&h);
    CHECK_EQ(RUN(&h, "gateway", "accept", "1"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_GATEWAY_ACCEPT);
    const tally_tx_gateway_accept *a = &tx->body.gateway_accept;
    CHECK_EQ(a->gateway_id, 1);
    CHECK_EQ(a->terms.rate_a, 3);
    CHECK_EQ(a->terms.rate_b, 2);
    CHECK_EQ(a->terms.side[0].fee_bps, 50);
    CHECK_EQ(a->terms.side[0].limit, 50000);
    CHECK_EQ(a->terms.side[1].fee_bps, 100);
    CHECK_EQ(a->terms.side[1].limit, 3000);
    CHECK_EQ(a->terms.side[1].min_partner_rtd_bps, 1000);
    CHECK(contains(h.err, "accepting, as an operator of Riverside, these terms:"));
    /* 3 GVH minor units are 0.03 GVH, 2 RVS minor units 0.2 RVS: scaled by 100 */
    CHECK(contains(h.err, "rate        3.00 GVH = 20.0 RVS"));
    CHECK(contains(h.err, "Riverside: fee 1.00% on what crosses in, exposure limit 300.0 RVS"));
    CHECK(contains(h.err, "rules on Greenvale: RTD at least 10.00%, default rate below (none)"));
    CHECK(contains(h.out, "accepted gateway 1: Greenvale and Riverside are linked"));
    /* refused: the ledger's TERMS_CHANGED names where to look */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:s, s:{s:s, s:s}}]}", "results", "id", "ab", "status", "refused", "error",
                              "code", "TERMS_CHANGED", "message", "the terms accepted differ"));
    CHECK_EQ(RUN(&h, "gateway", "accept", "1"), CLI_REFUSED);
    CHECK(contains(h.err, "TERMS_CHANGED"));
    CHECK(contains(h.err, "`tally gateway show 1` shows its terms"));
    size_t posted = h.node.posted_count;
    CHECK_EQ(RUN(&h, "gateway", "accept", "7"), CLI_REFUSED); /* the fake has no gateway 7 */
    CHECK_EQ(RUN(&h, "gateway", "accept", "0"), CLI_USAGE);
    CHECK(contains(h.err, "ID is a gateway's number"));
    CHECK_EQ(h.node.posted_count, posted);
    harness_free(&h);
}

TEST(cli_gateway_update_freeze_close_and_clearing) {
    harness h;
    harness_with_alice(&h);
    gateway_world(&h);
    /* update: Riverside's side only, every field it does not name kept */
    CHECK_EQ(RUN(&h, "gateway", "update", "1", "--network", "riverside", "--limit", "20.5"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_GATEWAY_UPDATE);
    CHECK_EQ(tx->body.gateway_update.gateway_id, 1);
    CHECK_EQ(tx->body.gateway_update.network_id, 2);
    CHECK_EQ(tx->body.gateway_update.side.limit, 205);
    CHECK_EQ(tx->body.gateway_update.side.fee_bps, 100);
    CHECK_EQ(tx->body.gateway_update.side.min_partner_rtd_bps, 1000);
    CHECK(contains(h.out, "changed Riverside's side of gateway 1: fee 1.00%, exposure limit 20.5 RVS"));
    CHECK_EQ(RUN(&h, "gateway", "update", "1", "--network", "1", "--fee-bps", "0", "--max-partner-default", "500"),
             CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.gateway_update.network_id, 1);
    CHECK_EQ(tx->body.gateway_update.side.limit, 50000);
    CHECK_EQ(tx->body.gateway_update.side.fee_bps, 0);
    CHECK_EQ(tx->body.gateway_update.side.max_partner_default_bps, 500);
    /* freeze and unfreeze */
    CHECK_EQ(RUN(&h, "gateway", "freeze", "1", "--network", "riverside"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_GATEWAY_FREEZE);
    CHECK(tx->body.gateway_freeze.frozen);
    CHECK_EQ(tx->body.gateway_freeze.network_id, 2);
    CHECK(contains(h.out, "froze Riverside's side of gateway 1: no new exposure to Greenvale"));
    CHECK_EQ(RUN(&h, "gateway", "unfreeze", "1", "--network", "greenvale"), CLI_OK);
    CHECK(!last_posted(&h)->body.gateway_freeze.frozen);
    CHECK_EQ(last_posted(&h)->body.gateway_freeze.network_id, 1);
    /* close */
    CHECK_EQ(RUN(&h, "gateway", "close", "1"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_GATEWAY_CLOSE);
    CHECK_EQ(last_posted(&h)->body.gateway_end.gateway_id, 1);
    CHECK(contains(h.out, "closed gateway 1 between Greenvale and Riverside"));
    /* clearing: 0.03 GVH against 0.2 RVS, in each network's unit */
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "1:0.03:0.2"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_CLEARING);
    CHECK_EQ(tx->body.clearing.count, 1);
    CHECK_EQ(tx->body.clearing.setoffs[0].gateway_id, 1);
    CHECK_EQ(tx->body.clearing.setoffs[0].amount_a, 3);
    CHECK_EQ(tx->body.clearing.setoffs[0].amount_b, 2);
    CHECK(contains(h.out, "gateway 1: 0.03 GVH in Greenvale, 0.2 RVS in Riverside"));
    size_t posted = h.node.posted_count;
    /* refused before sending */
    CHECK_EQ(RUN(&h, "gateway", "update", "1", "--limit", "5"), CLI_USAGE);
    CHECK(contains(h.err, "--network NET is needed"));
    CHECK_EQ(RUN(&h, "gateway", "update", "1", "--network", "riverside", "--limit", "5.25"), CLI_USAGE);
    CHECK(contains(h.err, "too many decimals: RVS has 1"));
    CHECK_EQ(RUN(&h, "gateway", "update", "1", "--network", "riverside"), CLI_USAGE);
    CHECK(contains(h.err, "nothing to change"));
    CHECK_EQ(RUN(&h, "gateway", "freeze", "x", "--network", "riverside"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "1:0.03"), CLI_USAGE);
    CHECK(contains(h.err, "--gateway is ID:AMOUNT_A:AMOUNT_B"));
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "1:0.031:0.2"), CLI_USAGE);
    CHECK(contains(h.err, "AMOUNT_A in GVH, AMOUNT_B in RVS"));
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "x:1:1"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "1:1:1", "--gateway", "1:1:1"), CLI_USAGE);
    CHECK(contains(h.err, "set off twice"));
    CHECK_EQ(RUN(&h, "clearing", "submit", "--gateway", "1:1:1", "--gateway", "2:1:1", "--gateway", "3:1:1",
                 "--gateway", "4:1:1", "--gateway", "5:1:1", "--gateway", "6:1:1", "--gateway", "7:1:1", "--gateway",
                 "8:1:1", "--gateway", "9:1:1"),
             CLI_USAGE);
    CHECK(contains(h.err, "at most 8 gateways"));
    CHECK_EQ(h.node.posted_count, posted);
    /* the reads */
    CHECK_EQ(RUN(&h, "gateway", "show", "1"), CLI_OK);
    CHECK(contains(h.out, "gateway 1: Greenvale (GVH) <-> Riverside (RVS), open"));
    CHECK(contains(h.out, "gw:Greenvale in Riverside: -12.5 RVS: Greenvale owes 12.5 RVS here (exposure), 287.5 RVS of "
                          "room under the limit"));
    CHECK(contains(h.out, "gw:Riverside in Greenvale: 18.75 GVH (what this network owes the partner)"));
    CHECK_EQ(RUN(&h, "--json", "gateway", "show", "1"), CLI_OK);
    json_t *json = json_loads(h.out, 0, NULL);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(json, "b"), "exposure")), 125);
    json_decref(json);
    CHECK_EQ(RUN(&h, "gateway", "show", "2"), CLI_REFUSED);
    harness_free(&h);
}

/* GET /v1/paths for alice@1 -> dave@2 of `amount`, as the fake node answers it. */
static void paths_route(harness *h, int64_t amount, const char *extra, long status, json_t *answer) {
    char alice[TALLY_ADDRESS_LENGTH + 1], dave[TALLY_ADDRESS_LENGTH + 1], path[256];
    address_of(ALICE_SEED, alice);
    address_of(DAVE_SEED, dave);
    snprintf(path, sizeof path, "/v1/paths?from=%s%%401&to=%s%%402&amount=%" PRId64 "%s", alice, dave, amount, extra);
    fake_route_add(&h->node, path, status, answer);
}

TEST(cli_pay_across_networks_signs_what_the_path_showed) {
    harness h;
    harness_with_alice(&h);
    gateway_world(&h);
    /* 10.00 GVH: fee 0.10 in Greenvale; 1000 at 3:2 arrive as 666, Riverside's 1% is 7:
     * dave receives 659 (65.9 RVS) */
    paths_route(&h, 1000, "", 200,
                json_pack("{s:[{s:[i], s:[{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b}], s:i, s:i, s:i, s:i}]}", "paths",
                          "gateways", 1, "hops", "gateway", 1, "from", 1, "to", 2, "arrived", 666, "fee", 7,
                          "passed_on", 659, "room", 2875, "exposure_grows", 1, "amount", 1000, "fee", 10, "received",
                          659, "capacity", 4312));
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i, s:i}", "fee", 10, "available", 659)));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_TRANSFER_CROSS);
    const tally_tx_transfer_cross *cross = &tx->body.transfer_cross;
    tally_key dave = key_of(DAVE_SEED);
    CHECK_EQ(cross->network_id, 1);
    CHECK(memcmp(cross->payee.bytes, dave.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(cross->amount, 1000);
    CHECK_EQ(cross->max_fee, 10);
    CHECK_EQ(cross->min_received, 659);
    CHECK_EQ(cross->hop_count, 1);
    CHECK_EQ(cross->gateways[0], 1);
    CHECK(contains(h.out, "paid 10.00 GVH to dave@Riverside over gateway 1: dave@Riverside received 65.9 RVS (at least "
                          "65.9 RVS signed), fee 0.10 GVH (at most 0.10 GVH signed)"));
    /* --max-fee and --min-received loosen what is signed; --path asks for that path */
    paths_route(&h, 1000, "&path=1", 200,
                json_pack("{s:[{s:[i], s:[{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b}], s:i, s:i, s:i, s:i}]}", "paths",
                          "gateways", 1, "hops", "gateway", 1, "from", 1, "to", 2, "arrived", 666, "fee", 7,
                          "passed_on", 659, "room", 2875, "exposure_grows", 1, "amount", 1000, "fee", 10, "received",
                          659, "capacity", 4312));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10", "--path", "1", "--max-fee", "0.5",
                 "--min-received", "60"),
             CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.transfer_cross.max_fee, 50);
    CHECK_EQ(tx->body.transfer_cross.min_received, 600);
    /* the state moved since the path was priced: the ledger's refusal in the payee's unit */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:s, s:{s:s, s:s, s:i}}]}", "results", "id", "ab", "status", "refused", "error",
                              "code", "BELOW_MIN_RECEIVED", "message", "the payee would receive less than min_received",
                              "available", 650));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10"), CLI_REFUSED);
    CHECK(contains(h.err, "the payee would receive 65.0 RVS now, less than signed"));
    CHECK(contains(h.err, "the gateways changed since the path was priced: nothing moved"));
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i, s:i}", "fee", 10, "available", 659)));
    /* within one network, FROM WHO AMOUNT is a transfer */
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "bob@greenvale", "12.50"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_TRANSFER);
    CHECK_EQ(last_posted(&h)->body.transfer.amount, 1250);
    CHECK_EQ(last_posted(&h)->body.transfer.max_fee, 18);
    size_t posted = h.node.posted_count;
    /* no path: why, and nothing sent */
    paths_route(&h, 100000, "", 404,
                json_pack("{s:{s:s, s:s, s:o, s:i}}", "error", "code", "NO_PATH", "message",
                          "every path from the payer's network to the payee's would be refused now", "refused",
                          json_pack("{s:[i], s:[], s:i, s:i, s:i, s:i, s:{s:s, s:s, s:i, s:i}}", "gateways", 1, "hops",
                                    "amount", 100000, "fee", 1000, "received", 0, "capacity", 4312, "refusal", "code",
                                    "EXPOSURE_LIMIT", "message", "past the exposure limit", "available", 2875,
                                    "gateway", 1),
                          "candidates", 1));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "1000"), CLI_REFUSED);
    CHECK(contains(h.err, "no way to pay 1000.00 GVH from alice@Greenvale to dave@Riverside now"));
    CHECK(contains(h.err, "the nearest path (gateways 1) is refused at gateway 1: past the exposure limit "
                          "(EXPOSURE_LIMIT)"));
    CHECK_EQ(RUN(&h, "--json", "pay", "alice@greenvale", "dave@riverside", "1000"), CLI_REFUSED);
    json_t *refusal = json_loads(h.out, 0, NULL);
    CHECK(refusal && strcmp(json_string_value(json_object_get(json_object_get(refusal, "error"), "code")), "NO_PATH") == 0);
    json_decref(refusal);
    /* the command line's own refusals */
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10.001"), CLI_USAGE);
    CHECK(contains(h.err, "too many decimals: GVH has 2"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "dave@riverside", "10"), CLI_USAGE);
    CHECK(contains(h.err, "FROM is you"));
    CHECK_EQ(RUN(&h, "pay", "alice", "dave@riverside", "10"), CLI_USAGE);
    CHECK(contains(h.err, "name both networks"));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10", "--memo", "hi"), CLI_USAGE);
    CHECK(contains(h.err, "carries no memo"));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10", "--path", "1,2,3,4,5"), CLI_USAGE);
    CHECK(contains(h.err, "--path is 1 to 4 gateway numbers"));
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10", "--path", ",1"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "pay", "alice@greenvale", "dave@riverside", "10", "--min-received", "1.25"), CLI_USAGE);
    CHECK(contains(h.err, "--min-received (in RVS): too many decimals"));
    CHECK_EQ(RUN(&h, "pay", "bob@greenvale", "10", "--path", "1"), CLI_USAGE);
    CHECK(contains(h.err, "--path and --min-received are for a payment across networks"));
    CHECK_EQ(h.node.posted_count, posted);
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* Underwriting, charges and the policy's rules of issue 12.                  */
/* ------------------------------------------------------------------------ */

TEST(cli_underwrite_and_fee_commands_build_their_transactions) {
    harness h;
    harness_with_alice(&h);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:I, s:I}", "reserve", (json_int_t)300000, "available",
                                                      (json_int_t)20000)));
    tally_key bob = key_of(BOB_SEED);
    /* the amount in the reserve asset (USD, 3 decimals), the member by alias */
    CHECK_EQ(RUN(&h, "underwrite", "stake", "greenvale", "bob", "300"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_STAKE);
    CHECK_EQ(tx->body.stake.network_id, 1);
    CHECK(memcmp(tx->body.stake.member.bytes, bob.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx->body.stake.amount, 300000);
    CHECK(contains(h.out, "staked 300.000 USD behind bob@Greenvale's line in Greenvale: its limit is now 200.00 GVH"));
    CHECK_EQ(RUN(&h, "underwrite", "unstake", "greenvale", "bob@greenvale", "0.5"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_UNSTAKE);
    CHECK_EQ(tx->body.stake.amount, 500);
    CHECK_EQ(RUN(&h, "underwrite", "stake", "greenvale", "bob", "0"), CLI_USAGE);
    CHECK(contains(h.err, "the amount must be greater than zero"));
    char alice_address[TALLY_ADDRESS_LENGTH + 1];
    address_of(ALICE_SEED, alice_address);
    CHECK_EQ(RUN(&h, "underwrite", "stake", "greenvale", alice_address, "1"), CLI_USAGE);
    CHECK(contains(h.err, "an underwriter stakes behind another member's line, not its own"));
    CHECK_EQ(RUN(&h, "underwrite", "stake", "greenvale", "bob"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "member", "pay-fee", "greenvale"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_MEMBER_FEE_PAY);
    CHECK_EQ(tx->body.network_only.network_id, 1);
    /* the help teaches the rules */
    CHECK_EQ(RUN(&h, "underwrite", "stake", "--help"), CLI_OK);
    CHECK(contains(h.out, "cover = stakes' value at the peg * 10000 / the network's collateral_ratio_bps"));
    CHECK_EQ(RUN(&h, "underwrite", "unstake", "--help"), CLI_OK);
    CHECK(contains(h.out, "max(0, what it owes - its own part)"));
    CHECK_EQ(RUN(&h, "member", "pay-fee", "--help"), CLI_OK);
    CHECK(contains(h.out, "an operator cannot reinstate it (FEE_OWED)"));
    harness_free(&h);
}

TEST(cli_policy_options_of_underwriting_charges_and_governance) {
    harness h;
    harness_with_alice(&h);
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i}", "created_id", 2)));
    cli_status created = RUN(&h, "network", "create", "Valley", "VLY", "--collateral-ratio-bps", "15000", "--reputation-base", "100",
                 "--reputation-age", "150:180", "--reputation-volume", "250:5000", "--reputation-streak", "300:6",
                 "--reputation-reviews", "0:0", "--reputation-default-penalty", "400", "--algorithmic-limits",
                 "--limit-base", "20", "--limit-per-point", "0.10", "--limit-income-bps", "5000", "--limit-step-max",
                 "50", "--limit-recovery-periods", "3", "--demurrage-bps", "100", "--demurrage-threshold", "1000",
                 "--membership-fee", "5", "--charges-to-pool", "--governance", "members", "--vote-weighting",
                 "reputation", "--quorum-bps", "2000", "--threshold-bps", "5000", "--voting-days", "7",
                 "--timelock-days", "2", "--late-quorum-seconds", "86400", "--operators-may-suspend");
    CHECK_EQ(created, CLI_OK);
    if (created != CLI_OK) fprintf(stderr, "    %s", h.err);
    REQUIRE(created == CLI_OK);
    const tally_policy *p = &last_posted(&h)->body.network_create.policy;
    CHECK_EQ(p->collateral_ratio_bps, 15000);
    CHECK_EQ(p->reputation.base, 100);
    CHECK_EQ(p->reputation.age_weight, 150);
    CHECK_EQ(p->reputation.age_full_days, 180);
    CHECK_EQ(p->reputation.volume_weight, 250);
    CHECK_EQ(p->reputation.volume_full, 500000);
    CHECK_EQ(p->reputation.streak_weight, 300);
    CHECK_EQ(p->reputation.streak_full, 6);
    CHECK_EQ(p->reputation.review_weight, 0);
    CHECK_EQ(p->reputation.default_penalty, 400);
    CHECK(p->algorithmic_limits.enabled);
    CHECK_EQ(p->algorithmic_limits.base, 2000);
    CHECK_EQ(p->algorithmic_limits.per_point, 10);
    CHECK_EQ(p->algorithmic_limits.income_bps, 5000);
    CHECK_EQ(p->algorithmic_limits.step_max, 5000);
    CHECK_EQ(p->algorithmic_limits.recovery_periods, 3);
    CHECK_EQ(p->demurrage_bps, 100);
    CHECK_EQ(p->demurrage_threshold, 100000);
    CHECK_EQ(p->membership_fee, 500);
    CHECK(p->charges_to_pool);
    CHECK_EQ(p->governance.mode, TALLY_GOVERNANCE_MEMBERS);
    CHECK_EQ(p->governance.weighting, TALLY_WEIGHT_REPUTATION);
    CHECK_EQ(p->governance.quorum_bps, 2000);
    CHECK_EQ(p->governance.threshold_bps, 5000);
    CHECK_EQ(p->governance.voting_seconds, 7 * 86400);
    CHECK_EQ(p->governance.timelock_seconds, 2 * 86400);
    CHECK_EQ(p->governance.late_quorum_seconds, 86400);
    CHECK(p->governance.operators_may_suspend);
    CHECK(!p->governance.operators_may_freeze);
    CHECK_EQ(policy_validate(p), TALLY_OK);
    /* the defaults: the protocol's reputation rule, its volume in the unit's decimals */
    CHECK_EQ(RUN(&h, "network", "create", "Hill", "HLL", "--decimals", "0"), CLI_OK);
    p = &last_posted(&h)->body.network_create.policy;
    CHECK_EQ(p->collateral_ratio_bps, 0);
    CHECK_EQ(p->reputation.base, 200);
    CHECK_EQ(p->reputation.volume_full, 10000);
    CHECK_EQ(p->reputation.streak_full, 12);
    CHECK(!p->algorithmic_limits.enabled);
    CHECK_EQ(p->governance.mode, TALLY_GOVERNANCE_OPERATORS);
    CHECK_EQ(policy_validate(p), TALLY_OK);

    /* a policy change keeps the rules it does not name (the node's view read back) */
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--membership-fee", "2.50"), CLI_OK);
    p = &last_posted(&h)->body.policy_update.policy;
    CHECK_EQ(p->membership_fee, 250);
    CHECK_EQ(p->collateral_ratio_bps, 15000);
    CHECK_EQ(p->reputation.default_penalty, 500);
    CHECK_EQ(p->reputation.volume_full, 1000000);

    /* refusals, each with its sentence and nothing sent */
    static const struct {
        const char *option, *value, *why;
    } refused[] = {
        {"--collateral-ratio-bps", "1000001", "--collateral-ratio-bps takes a whole number, 0 to 1000000"},
        {"--reputation-base", "1001", "--reputation-base takes a whole number, 0 to 1000"},
        {"--reputation-age", "100", "--reputation-age takes W:N"},
        {"--reputation-age", "100:0", "a weighed part is earned in full at 1 or more"},
        {"--reputation-volume", "100:1.005", "too many decimals: GVH has 2"},
        {"--limit-income-bps", "100001", "--limit-income-bps takes a whole number, 0 to 100000"},
        {"--limit-recovery-periods", "1001", "--limit-recovery-periods takes a whole number, 0 to 1000"},
        {"--demurrage-bps", "10001", "--demurrage-bps takes basis points, 0 to 10000"},
        {"--membership-fee", "-1", "is negative"},
        {"--governance", "validators", "--governance is operators or members, not 'validators'"},
        {"--quorum-bps", "0", "--quorum-bps takes a whole number, 1 to 10000"},
        {"--voting-seconds", "60", "--voting-seconds takes a whole number of seconds, 3600"},
    };
    size_t posted = h.node.posted_count;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        CHECK_EQ(RUN(&h, "network", "policy", "greenvale", refused[i].option, refused[i].value), CLI_USAGE);
        if (!contains(h.err, refused[i].why)) fprintf(stderr, "    %s %s: %s", refused[i].option, refused[i].value, h.err);
        CHECK(contains(h.err, refused[i].why));
    }
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--charges-to-pool", "--charges-to-fees"), CLI_USAGE);
    CHECK(contains(h.err, "--charges-to-pool and --charges-to-fees contradict each other"));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--governance", "members", "--quorum-bps", "2000"), CLI_USAGE);
    CHECK(contains(h.err, "a vote's rule needs --quorum-bps, --threshold-bps and --voting-days"));
    CHECK_EQ(RUN(&h, "network", "policy", "greenvale", "--governance", "members", "--quorum-bps", "2000",
                 "--threshold-bps", "5000", "--voting-days", "1", "--late-quorum-days", "2"),
             CLI_USAGE);
    CHECK(contains(h.err, "the late-quorum extension (172800 s) is longer than the vote (86400 s)"));
    CHECK_EQ(h.node.posted_count, posted);
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* The marketplace (cmd_market.c)                                            */
/* ------------------------------------------------------------------------ */

/* Listing 1 (bob's eggs, 12.50, 10 left, Food), listing 2 (bob's repairs, on
 * asking) and order 4 (alice's of listing 2, 30.00) as the node's routes serve them. */
static void fake_market(fake_node *node) {
    char bob[TALLY_ADDRESS_LENGTH + 1], alice[TALLY_ADDRESS_LENGTH + 1];
    address_of(BOB_SEED, bob);
    address_of(ALICE_SEED, alice);
    const char *listing_format = "{s:i, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:i, s:i, s:s, s:I, s:I, s:I, "
                                 "s:i, s:n, s:{s:i, s:n}}";
    fake_route_add(node, "/v1/listings/1", 200,
                   json_pack(listing_format, "id", 1, "network", 1, "seller", bob, "seller_alias", "bob", "kind",
                             "offer", "category", 1, "category_name", "Food", "title", "Fresh eggs", "text",
                             "free-range", "price", json_integer(1250), "quantity", 10, "sold", 0, "status", "open",
                             "expiry", (json_int_t)(1767225600 + 20 * 86400), "created_at", (json_int_t)1767000000,
                             "updated_at", (json_int_t)1767000000, "revision", 0, "image", "rating", "count", 0,
                             "average"));
    fake_route_add(node, "/v1/listings/2", 200,
                   json_pack(listing_format, "id", 2, "network", 1, "seller", bob, "seller_alias", "bob", "kind",
                             "offer", "category", 0, "category_name", "", "title", "Repairs", "text", "", "price",
                             json_null(), "quantity", 3, "sold", 0, "status", "open", "expiry",
                             (json_int_t)(1767225600 + 20 * 86400), "created_at", (json_int_t)1767000000, "updated_at",
                             (json_int_t)1767000000, "revision", 0, "image", "rating", "count", 0, "average"));
    fake_route_add(node, "/v1/orders/4", 200,
                   json_pack("{s:i, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:s}", "id", 4, "network", 1,
                             "listing", 2, "buyer", alice, "seller", bob, "quantity", 1, "unit_price", 3000, "amount",
                             3000, "fee", 30, "paid", 0, "status", "disputed"));
    fake_route_add(node, "/v1/networks/1/categories", 200,
                   json_pack("{s:[{s:i, s:s}]}", "categories", "category", 1, "name", "Food"));
}

TEST(cli_market_commands_build_their_transactions) {
    harness h;
    harness_with_alice(&h);
    fake_market(&h.node);
    tally_key bob = key_of(BOB_SEED);
    (void)bob;

    /* an order at the listing's price: 2 x 12.50, the fee estimated as a hold's
     * (1% of 25.00, and alice's 2% risk fee on the 15.00 beyond her 10.00) */
    CHECK_EQ(RUN(&h, "market", "order", "1", "--quantity", "2"), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_ORDER_CREATE);
    CHECK_EQ(tx->body.order_create.listing_id, 1);
    CHECK_EQ(tx->body.order_create.quantity, 2);
    CHECK_EQ(tx->body.order_create.unit_price, 1250);
    CHECK_EQ(tx->body.order_create.max_fee, 25 + 30);
    CHECK_EQ(tx->body.order_create.timeout, 1767225600 + 14 * 86400);
    CHECK_EQ(tx->body.order_create.memo.length, 0);
    CHECK(contains(h.out, "ordered 2 of listing 1 (order 2): 25.00 GVH and a fee of 0.18 GVH held"));
    /* the price seen, a timeout, a memo; an "ask" listing needs the buyer's price */
    CHECK_EQ(RUN(&h, "market", "order", "1", "--price", "12.00", "--days", "3", "--memo", "Saturday"), CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.order_create.unit_price, 1200);
    CHECK_EQ(tx->body.order_create.quantity, 1);
    CHECK_EQ(tx->body.order_create.timeout, 1767225600 + 3 * 86400);
    CHECK_EQ(tx->body.order_create.memo.length, 8);
    size_t posted = h.node.posted_count;
    CHECK_EQ(RUN(&h, "market", "order", "2"), CLI_USAGE);
    CHECK(contains(h.err, "listing 2 is priced on asking: name your price for a unit with --price AMOUNT"));
    CHECK_EQ(RUN(&h, "market", "order", "1", "--quantity", "0"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "market", "order", "1", "--days", "367"), CLI_USAGE);
    CHECK_EQ(RUN(&h, "market", "order", "1", "--price", "1.001"), CLI_USAGE);
    CHECK(contains(h.err, "too many decimals: GVH has 2"));
    CHECK_EQ(h.node.posted_count, posted);
    CHECK_EQ(RUN(&h, "market", "order", "2", "--price", "30", "--max-fee", "1"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.order_create.unit_price, 3000);
    CHECK_EQ(last_posted(&h)->body.order_create.max_fee, 100);

    /* an update keeps what it does not name */
    CHECK_EQ(RUN(&h, "market", "update", "1", "--price", "13"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_LISTING_UPDATE);
    CHECK_EQ(tx->body.listing.listing_id, 1);
    CHECK_EQ(tx->body.listing.price, 1300);
    CHECK_EQ(tx->body.listing.category, 1);
    CHECK_EQ(tx->body.listing.quantity, 10);
    CHECK_EQ(tx->body.listing.expiry, 1767225600 + 20 * 86400);
    CHECK(tx->body.listing.title.length == 10 && memcmp(tx->body.listing.title.bytes, "Fresh eggs", 10) == 0);
    CHECK(tx->body.listing.text.length == 10 && memcmp(tx->body.listing.text.bytes, "free-range", 10) == 0);
    CHECK_EQ(RUN(&h, "market", "update", "2", "--quantity", "1", "--days", "5"), CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.listing.price, 0); /* still on asking */
    CHECK_EQ(tx->body.listing.quantity, 1);
    CHECK_EQ(tx->body.listing.expiry, 1767225600 + 5 * 86400);

    /* a new listing: a category by name, an image */
    static const char hash[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    CHECK_EQ(RUN(&h, "market", "update", "1", "--image-url", "https://example.org/eggs.jpg", "--image-hash", hash),
             CLI_OK);
    CHECK_EQ(last_posted(&h)->body.listing.image_hash[31], 0xff);
    CHECK_EQ(last_posted(&h)->body.listing.price, 1250);
    CHECK_EQ(RUN(&h, "market", "update", "1", "--no-image"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.listing.image_url.length, 0);
    CHECK_EQ(RUN(&h, "market", "update", "1", "--no-image", "--image-hash", hash), CLI_USAGE);
    CHECK_EQ(RUN(&h, "market", "update", "1"), CLI_USAGE);
    CHECK(contains(h.err, "nothing to change"));
    CHECK_EQ(RUN(&h, "market", "list", "greenvale", "--want", "--title", "A ladder", "--price", "ask", "--category",
                 "FOOD", "--days", "10", "--image-url", "https://example.org/ladder.png", "--image-hash", hash),
             CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_LISTING_CREATE);
    CHECK_EQ(tx->body.listing.network_id, 1);
    CHECK_EQ(tx->body.listing.kind, TALLY_LISTING_WANT);
    CHECK_EQ(tx->body.listing.category, 1);
    CHECK_EQ(tx->body.listing.price, 0);
    CHECK_EQ(tx->body.listing.quantity, 1);
    CHECK_EQ(tx->body.listing.expiry, 1767225600 + 10 * 86400);
    CHECK_EQ(tx->body.listing.image_hash[1], 0x11);
    CHECK_EQ(tx->body.listing.image_url.length, strlen("https://example.org/ladder.png"));
    CHECK_EQ(RUN(&h, "market", "list", "greenvale", "--offer", "--title", "Eggs", "--price", "2.50", "--expiry",
                 "2026-01-15T12:30"),
             CLI_OK);
    tx = last_posted(&h);
    CHECK_EQ(tx->body.listing.kind, TALLY_LISTING_OFFER);
    CHECK_EQ(tx->body.listing.price, 250);
    CHECK_EQ(tx->body.listing.expiry, 1767225600 + 14 * 86400 + 12 * 3600 + 30 * 60);
    CHECK_EQ(RUN(&h, "market", "category", "greenvale", "2", "Tools"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_CATEGORY_SET);
    CHECK_EQ(tx->body.category_set.category, 2);
    CHECK_EQ(tx->body.category_set.name.length, 5);

    /* the steps: a split of 60% (and of a third, rounded down), a reason, a review */
    CHECK_EQ(RUN(&h, "market", "resolve", "4", "--seller-share", "60%"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_ORDER_RESOLVE);
    CHECK_EQ(tx->body.order_step.order_id, 4);
    CHECK_EQ(tx->body.order_step.amount, 1800);
    CHECK(contains(h.out, "resolved order 4: 18.00 GVH to the seller"));
    CHECK_EQ(RUN(&h, "market", "resolve", "4", "--seller-share", "33.33"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.order_step.amount, 999);
    CHECK_EQ(RUN(&h, "market", "resolve", "4", "--seller-amount", "15.00", "--reason", "half"), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.order_step.amount, 1500);
    CHECK_EQ(last_posted(&h)->body.order_step.memo.length, 4);
    CHECK_EQ(RUN(&h, "market", "decline", "4", "--reason", "sold out"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_ORDER_DECLINE);
    CHECK_EQ(last_posted(&h)->body.order_step.memo.length, 8);
    CHECK_EQ(RUN(&h, "market", "accept", "4"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_ORDER_ACCEPT);
    CHECK_EQ(RUN(&h, "market", "review", "4", "--stars", "4", "--text", "fine"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_REVIEW);
    CHECK_EQ(tx->body.review.order_id, 4);
    CHECK_EQ(tx->body.review.rating, 4);
    CHECK_EQ(RUN(&h, "market", "withdraw", "1"), CLI_OK);
    check_envelope(last_posted(&h), TALLY_TX_LISTING_WITHDRAW);
    CHECK_EQ(last_posted(&h)->body.listing.listing_id, 1);

    /* the ledger's refusal of a stale price says the price now */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:{s:s, s:s, s:i}}]}", "results", "status", "refused", "error", "code",
                              "PRICE_CHANGED", "message", tally_error_message(TALLY_ERR_PRICE_CHANGED), "available",
                              1300));
    CHECK_EQ(RUN(&h, "market", "order", "1", "--price", "12.50"), CLI_REFUSED);
    CHECK(contains(h.err, "refused: the listing's price is not the price the order saw: look again (PRICE_CHANGED)"));
    CHECK(contains(h.err, "the price is now 13.00 GVH a unit"));
    CHECK(contains(h.err, "`tally market show 1` shows it as it is now"));
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* The validator set                                                         */
/* ------------------------------------------------------------------------ */

TEST(cli_chain_validator_commands_build_their_transactions) {
    harness h;
    harness_with_alice(&h);
    /* the roster the node lists, slot by slot: alice, carol, bob */
    char chain_hex[65], alice[TALLY_ADDRESS_LENGTH + 1], bob[TALLY_ADDRESS_LENGTH + 1], carol[TALLY_ADDRESS_LENGTH + 1];
    char dave[TALLY_ADDRESS_LENGTH + 1], erin[TALLY_ADDRESS_LENGTH + 1];
    cli_client_hex(world_chain_id, sizeof world_chain_id, chain_hex, sizeof chain_hex);
    address_of(ALICE_SEED, alice);
    address_of(BOB_SEED, bob);
    address_of(CAROL_SEED, carol);
    address_of(0x0d, dave);
    address_of(0x0e, erin);
    fake_route_replace(&h.node, "/v1/status",
                       json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s, s:{s:s, s:[s, s, s]}}", "chain_id", chain_hex,
                                 "producer", alice, "height", 6, "tip_hash", chain_hex, "tip_time", 1767225600,
                                 "mempool", 0, "version", "test", "rules", "growth_mode", "open", "validators", alice,
                                 carol, bob));

    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i, s:i}", "created_id", 4, "available", 1)));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--add", dave, "--retire", bob, "--add", erin), CLI_OK);
    const tally_tx *tx = last_posted(&h);
    REQUIRE(tx != NULL);
    check_envelope(tx, TALLY_TX_VALIDATOR_PROPOSE);
    const tally_tx_validator_propose *propose = &tx->body.validator_propose;
    tally_key dave_key = key_of(0x0d), erin_key = key_of(0x0e);
    CHECK_EQ(propose->add_count, 2); /* in the order given */
    CHECK(memcmp(propose->add[0].bytes, dave_key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(propose->add[1].bytes, erin_key.bytes, TALLY_KEY_BYTES) == 0);
    static const tally_key zero;
    for (unsigned i = 2; i < TALLY_VALIDATORS_MAX; i++)
        CHECK(memcmp(propose->add[i].bytes, zero.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(propose->retire, 1u << 2); /* bob's slot */
    CHECK(contains(h.out, "proposed change 4 of the validator set: 1 more approval needed"));
    /* retiring alone; two slots */
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--retire", carol, "--retire", alice), CLI_OK);
    CHECK_EQ(last_posted(&h)->body.validator_propose.add_count, 0);
    CHECK_EQ(last_posted(&h)->body.validator_propose.retire, 3u);

    /* refused before anything is signed */
    size_t posted = h.node.posted_count;
    CHECK_EQ(RUN(&h, "chain", "validator-propose"), CLI_USAGE);
    CHECK(contains(h.err, "say what changes: --add ADDRESS"));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--add", "bob@greenvale"), CLI_USAGE);
    CHECK(contains(h.err, "--add takes a validator's address (tly1..."));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--add", dave, "--add", dave), CLI_USAGE);
    CHECK(contains(h.err, " is added twice: give each key once"));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--retire", dave), CLI_REFUSED);
    CHECK(contains(h.err, " is not one of the chain's validators, so it cannot be retired (BAD_VALIDATOR_SET)"));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--retire", bob, "--retire", bob), CLI_USAGE);
    CHECK(contains(h.err, "a validator is retired twice"));
    CHECK_EQ(RUN(&h, "chain", "validator-approve", "0"), CLI_USAGE);
    CHECK(contains(h.err, "CHANGE_ID is the number of the change"));
    CHECK_EQ(RUN(&h, "chain", "validator-approve", "four"), CLI_USAGE);
    CHECK_EQ(h.node.posted_count, posted);

    /* the approval that reaches the quorum: no approvals left (available absent) */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i}", "created_id", 4)));
    CHECK_EQ(RUN(&h, "chain", "validator-approve", "4"), CLI_OK);
    tx = last_posted(&h);
    check_envelope(tx, TALLY_TX_VALIDATOR_APPROVE);
    CHECK_EQ(tx->body.validator_approve.change_id, 4);
    CHECK(contains(h.out, "change 4 of the validator set is in force from the next block"));
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200, committed(json_pack("{s:i, s:i}", "created_id", 4, "available", 2)));
    CHECK_EQ(RUN(&h, "chain", "validator-approve", "4"), CLI_OK);
    CHECK(contains(h.out, "approved change 4 of the validator set: 2 more approvals needed"));

    /* a refusal says what to do next */
    fake_post_clear(&h.node);
    fake_post_reply(&h.node, 200,
                    json_pack("{s:[{s:s, s:{s:s, s:s}}]}", "results", "status", "refused", "error", "code",
                              "VALIDATOR_CHANGE_OPEN", "message",
                              tally_error_message(TALLY_ERR_VALIDATOR_CHANGE_OPEN)));
    CHECK_EQ(RUN(&h, "chain", "validator-propose", "--add", dave), CLI_REFUSED);
    CHECK(contains(h.err, "(VALIDATOR_CHANGE_OPEN)"));
    CHECK(contains(h.err, "one change is open at a time: approve the open one"));
    harness_free(&h);
}
