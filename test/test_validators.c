/*
 * test_validators.c: the cluster tests of issue 14, on real etcd members and real
 * validators (validator_cluster.h) on loopback: payments sent to each validator
 * commit and every validator holds the same blocks and states at every height;
 * failover under a load of signed payments when the proposer's tallyd and its etcd
 * member are killed, with nothing acknowledged lost or applied twice; a follower
 * killed and restarted, and a fourth validator of the genesis joining late; a
 * seeded crash loop of SIGKILLs over validators and etcd members with payments
 * flowing; and forged blocks written straight into etcd, which every validator
 * refuses, stopping with the evidence. Figures are printed as "    validators: ..."
 * lines.
 *
 * Payments: members 1..MEMBERS of network 1 each have a line of LINE_LIMIT (fees 0),
 * so a payment never lacks credit and the balances are the sum of what the clients
 * know committed. A client resubmits a transaction whose outcome is unknown (no
 * answer, 503, pending, BAD_SEQUENCE before its block arrived) until it learns it
 * (GET /v1/transactions/{id}); only then does it sign the next.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain_fixture.h"
#include "node/etcd.h"
#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"
#include "validator_cluster.h"

#define MEMBERS 6u
#define CLIENTS_MAX 4u
#define LINE_LIMIT 1000000
#define SETTLE_LIMIT_MS 120000u
#define OPERATOR_ACTOR 0u
#define OUTSIDER_ACTOR 777u

/* ---- a small seeded PRNG (splitmix64) ---- */

static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static test_actor member_actor(uint32_t m) { return actor(1 + m); }

static uint64_t env_u64(const char *name, uint64_t otherwise) {
    const char *text = getenv(name);
    return text && *text ? strtoull(text, NULL, 10) : otherwise;
}

/* ---- the chain's setup: network 1, its members and their lines ---- */

static bool committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    const char *state = harness_json_string(result, "status");
    bool ok = status == 200 && state && strcmp(state, "committed") == 0;
    if (!ok)
        fprintf(stderr, "    setup: %s answered %ld %s %s\n", tally_tx_type_name(tx->type), status, state ? state : "-",
                harness_json_string(result, "error.code") ? harness_json_string(result, "error.code") : "");
    json_decref(result);
    return ok;
}

static bool make_network(const test_node *node) {
    test_actor op = actor(OPERATOR_ACTOR);
    tally_tx tx = harness_tx(node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    if (!committed(node, &tx, &op)) return false;
    for (uint32_t m = 0; m < MEMBERS; m++) {
        test_actor member = member_actor(m);
        tx = harness_tx(node, &op, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = 1;
        tx.body.network_key.key = member.key;
        if (!committed(node, &tx, &op)) return false;
        tx = harness_tx(node, &op, TALLY_TX_LINE_OPEN);
        tx.body.line_open.network_id = 1;
        tx.body.line_open.member = member.key;
        tx.body.line_open.limit = LINE_LIMIT;
        if (!committed(node, &tx, &op)) return false;
    }
    return true;
}

static int64_t balance_at(const test_node *node, uint32_t m) {
    test_actor member = member_actor(m);
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&member.key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", address);
    json_t *view = NULL;
    long status = harness_request(node, "GET", path, NULL, 0, &view);
    int64_t balance = status == 200 ? harness_json_int(view, "balance") : INT64_MIN;
    json_decref(view);
    return balance;
}

/* Every running validator holds exactly these balances. */
static void check_balances(const validator_cluster *c, const int64_t expected[MEMBERS]) {
    for (uint32_t i = 0; i < c->validator_count; i++) {
        if (!cluster_running(c, i)) continue;
        for (uint32_t m = 0; m < MEMBERS; m++) CHECK_EQ(balance_at(&c->nodes[i], m), expected[m]);
    }
}

/* ---- clients paying, round-robin over the validators ---- */

typedef struct load load;

typedef struct {
    load *load;
    uint32_t index; /* pays as member `index` */
    pthread_t thread;
    bool running;
    uint64_t random;
    uint64_t next_sequence;
    uint64_t acknowledged; /* answered committed by the validator asked */
    uint64_t found;        /* outcome unknown, then found committed */
    uint64_t resubmissions;
    uint64_t unexpected; /* refused for another reason, or never settled */
    uint8_t (*ids)[TALLY_HASH_BYTES]; /* of every committed payment, in sequence order */
    uint64_t id_count, id_capacity;
    char last_problem[256];
} client;

struct load {
    pthread_mutex_t lock; /* guards nodes, balances, committed_total */
    test_node nodes[CLUSTER_VALIDATORS_MAX];
    bool up[CLUSTER_VALIDATORS_MAX];
    uint32_t validator_count;
    int64_t balances[MEMBERS];
    uint64_t committed_total;
    uint32_t client_count;
    client clients[CLIENTS_MAX];
    long pause_ms;
    volatile bool stopping;
    volatile bool abandon; /* the test failed: stop without settling */
};

/* What the clients see of validator i (after a start or a kill). */
static void load_update(load *l, const validator_cluster *c) {
    pthread_mutex_lock(&l->lock);
    l->validator_count = c->validator_count;
    for (uint32_t i = 0; i < c->validator_count; i++) {
        l->nodes[i] = c->nodes[i];
        l->up[i] = cluster_running(c, i);
    }
    pthread_mutex_unlock(&l->lock);
}

static bool load_node(load *l, uint32_t i, test_node *out) {
    pthread_mutex_lock(&l->lock);
    bool up = i < l->validator_count && l->up[i];
    if (up) *out = l->nodes[i];
    pthread_mutex_unlock(&l->lock);
    return up;
}

typedef enum { OUTCOME_COMMITTED, OUTCOME_FOUND, OUTCOME_UNEXPECTED } outcome;

static bool is_retry_code(const char *code) {
    static const char *const codes[] = {"NOT_COMMITTED", "NO_PROPOSER", "MEMPOOL_FULL", "SENDER_PENDING_FULL",
                                        "NODE_FAILED"};
    for (size_t k = 0; code && k < sizeof codes / sizeof codes[0]; k++)
        if (strcmp(code, codes[k]) == 0) return true;
    return false;
}

/* Whether validator `node` has the transaction committed. */
static bool known_committed(const test_node *node, const char *id_hex) {
    char path[128];
    snprintf(path, sizeof path, "/v1/transactions/%s", id_hex);
    json_t *view = NULL;
    bool yes = harness_request(node, "GET", path, NULL, 0, &view) == 200 && harness_json_string(view, "status") &&
               strcmp(harness_json_string(view, "status"), "committed") == 0;
    json_decref(view);
    return yes;
}

/* Submits tx (signed) until its outcome is known. */
static outcome settle(client *k, tally_tx *tx, const test_actor *payer, const char *id_hex, uint32_t *turn) {
    load *l = k->load;
    uint64_t until = cluster_now_ms() + SETTLE_LIMIT_MS;
    bool first = true;
    while (cluster_now_ms() < until && !l->abandon) {
        test_node node;
        uint32_t i = (*turn)++ % (l->validator_count ? l->validator_count : 1);
        if (!load_node(l, i, &node)) {
            cluster_sleep_ms(10);
            continue;
        }
        if (!first) k->resubmissions++;
        first = false;
        json_t *result = NULL;
        long status = harness_submit(&node, tx, payer, &result);
        const char *state = harness_json_string(result, "status");
        const char *code = harness_json_string(result, "error.code");
        bool done = status == 200 && state && strcmp(state, "committed") == 0;
        bool refused = state && strcmp(state, "refused") == 0;
        bool unexpected = refused && !is_retry_code(code) && strcmp(code ? code : "", "BAD_SEQUENCE") != 0;
        if (unexpected)
            snprintf(k->last_problem, sizeof k->last_problem, "sequence %llu refused %s by validator %u (HTTP %ld)",
                     (unsigned long long)tx->sequence, code ? code : "?", i, status);
        json_decref(result);
        if (done) return OUTCOME_COMMITTED;
        if (unexpected) return OUTCOME_UNEXPECTED;
        /* Unknown (or a retry code, or BAD_SEQUENCE): has a validator got it committed? */
        for (uint32_t v = 0; v < l->validator_count; v++) {
            test_node other;
            if (load_node(l, v, &other) && known_committed(&other, id_hex)) return OUTCOME_FOUND;
        }
        cluster_sleep_ms(20);
    }
    snprintf(k->last_problem, sizeof k->last_problem, "no outcome within %u ms", SETTLE_LIMIT_MS);
    return OUTCOME_UNEXPECTED;
}

static void *client_run(void *context) {
    client *k = context;
    load *l = k->load;
    test_actor payer = member_actor(k->index);
    uint32_t turn = k->index;
    while (!l->stopping) {
        uint32_t payee_index = (uint32_t)(next_random(&k->random) % (MEMBERS - 1));
        if (payee_index >= k->index) payee_index++;
        test_actor payee = member_actor(payee_index);
        int64_t amount = 1 + (int64_t)(next_random(&k->random) % 100);
        tally_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.type = TALLY_TX_TRANSFER;
        memcpy(tx.chain_id, l->nodes[0].chain_id, sizeof tx.chain_id);
        tx.signer = payer.key;
        tx.sequence = k->next_sequence;
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = payee.key;
        tx.body.transfer.amount = amount;
        tx.body.transfer.max_fee = 0;
        tally_tx_sign(&tx, payer.secret);
        uint8_t id[TALLY_HASH_BYTES];
        char id_hex[2 * TALLY_HASH_BYTES + 1];
        tally_tx_hash(&tx, id);
        sodium_bin2hex(id_hex, sizeof id_hex, id, sizeof id);
        outcome result = settle(k, &tx, &payer, id_hex, &turn);
        if (result == OUTCOME_UNEXPECTED) {
            k->unexpected++;
            break; /* its sequence is in doubt: this client stops */
        }
        if (k->id_count == k->id_capacity) {
            uint64_t capacity = k->id_capacity ? 2 * k->id_capacity : 1024;
            void *grown = realloc(k->ids, capacity * sizeof *k->ids);
            if (!grown) {
                k->unexpected++;
                break;
            }
            k->ids = grown, k->id_capacity = capacity;
        }
        memcpy(k->ids[k->id_count++], id, TALLY_HASH_BYTES);
        if (result == OUTCOME_COMMITTED) k->acknowledged++;
        else k->found++;
        k->next_sequence++;
        pthread_mutex_lock(&l->lock);
        l->balances[k->index] -= amount;
        l->balances[payee_index] += amount;
        l->committed_total++;
        pthread_mutex_unlock(&l->lock);
        if (l->pause_ms > 0) cluster_sleep_ms(l->pause_ms);
    }
    return NULL;
}

static void load_init(load *l) {
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
}

/* Waits until every running validator has the height the highest had at the call. */
static bool wait_caught_up(const validator_cluster *c, long timeout_ms) {
    uint64_t highest = 0;
    for (uint32_t i = 0; i < c->validator_count; i++) {
        uint64_t h;
        if (cluster_running(c, i) && cluster_tip(c, i, &h, NULL) && h > highest) highest = h;
    }
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    while (cluster_now_ms() < until) {
        bool all = true;
        for (uint32_t i = 0; i < c->validator_count && all; i++) {
            uint64_t h = 0;
            if (cluster_running(c, i)) all = cluster_tip(c, i, &h, NULL) && h >= highest;
        }
        if (all) return true;
        cluster_sleep_ms(50);
    }
    fprintf(stderr, "    validators: not every validator reached height %llu within %ld ms\n",
            (unsigned long long)highest, timeout_ms);
    return false;
}

/* Starts the clients once every running validator holds the setup: a client's first
 * payment goes to validator `index`, which, a few blocks behind the one the setup was
 * sent to, would see the payer admitted but its line not open yet and refuse
 * INSUFFICIENT_CREDIT (CI saw it once). */
static bool load_start(load *l, const validator_cluster *c, uint32_t clients, long pause_ms, uint64_t seed) {
    if (!wait_caught_up(c, 60000)) return false;
    load_update(l, c);
    l->client_count = clients;
    l->pause_ms = pause_ms;
    for (uint32_t k = 0; k < clients; k++) {
        client *one = &l->clients[k];
        one->load = l;
        one->index = k;
        one->random = seed * 1000003u + k;
        one->next_sequence = 1;
        if (pthread_create(&one->thread, NULL, client_run, one) != 0) return false;
        one->running = true;
    }
    return true;
}

static uint64_t load_committed(load *l) {
    pthread_mutex_lock(&l->lock);
    uint64_t total = l->committed_total;
    pthread_mutex_unlock(&l->lock);
    return total;
}

/* Stops the clients (each settles what it sent first). Safe to call twice. */
static void load_stop(load *l) {
    l->stopping = true;
    for (uint32_t k = 0; k < l->client_count; k++) {
        if (l->clients[k].running) pthread_join(l->clients[k].thread, NULL);
        l->clients[k].running = false;
    }
}

static void load_free(load *l) {
    if (test_current_failed()) l->abandon = true;
    load_stop(l);
    for (uint32_t k = 0; k < CLIENTS_MAX; k++) free(l->clients[k].ids);
    pthread_mutex_destroy(&l->lock);
}

static uint64_t wait_committed(load *l, uint64_t at_least, long timeout_ms) {
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    while (load_committed(l) < at_least && cluster_now_ms() < until) cluster_sleep_ms(20);
    return load_committed(l);
}

static int compare_ids(const void *a, const void *b) { return memcmp(a, b, TALLY_HASH_BYTES); }

/*
 * The checks after a load: every client settled every payment; validator `v`'s
 * blocks 1..tip hold each client's payments exactly once, with sequences 1..n, and
 * every id the clients know committed (the other validators hold the same blocks:
 * cluster_compare); every running validator answers committed for every id when
 * ask_every is set; the balances equal the clients' model.
 */
static void check_load(const validator_cluster *c, load *l, uint32_t v, uint64_t tip, bool ask_every) {
    uint64_t ids_capacity = 4096, id_count = 0;
    uint8_t(*ids)[TALLY_HASH_BYTES] = malloc(ids_capacity * sizeof *ids);
    uint64_t per_client[CLIENTS_MAX] = {0}, out_of_order = 0, twice = 0;
    char payers[CLIENTS_MAX][TALLY_ADDRESS_LENGTH + 1];
    for (uint32_t k = 0; k < l->client_count; k++) {
        test_actor payer = member_actor(k);
        tally_address_encode(&payer.key, payers[k]);
    }
    REQUIRE(ids != NULL);
    for (uint64_t h = 1; h <= tip; h++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)h);
        json_t *block = NULL;
        long status = harness_request(&c->nodes[v], "GET", path, NULL, 0, &block);
        CHECK_EQ(status, 200);
        json_t *txs = json_object_get(block, "transactions");
        for (size_t t = 0; t < json_array_size(txs); t++) {
            json_t *tx = json_array_get(txs, t);
            const char *type = harness_json_string(tx, "type"), *signer = harness_json_string(tx, "signer");
            const char *id = harness_json_string(tx, "id");
            if (!type || !signer || !id || strcmp(type, tally_tx_type_name(TALLY_TX_TRANSFER)) != 0) continue;
            for (uint32_t k = 0; k < l->client_count; k++) {
                if (strcmp(signer, payers[k]) != 0) continue;
                int64_t sequence = harness_json_int(tx, "sequence");
                if (sequence == (int64_t)per_client[k] + 1) per_client[k]++;
                else if (sequence <= (int64_t)per_client[k]) twice++;
                else out_of_order++;
                if (id_count == ids_capacity) {
                    ids_capacity *= 2;
                    void *grown = realloc(ids, ids_capacity * sizeof *ids);
                    if (!grown) break;
                    ids = grown;
                }
                size_t length = 0;
                CHECK(sodium_hex2bin(ids[id_count], TALLY_HASH_BYTES, id, strlen(id), NULL, &length, NULL) == 0);
                id_count++;
            }
        }
        json_decref(block);
    }
    CHECK_EQ(twice, 0);
    CHECK_EQ(out_of_order, 0);
    qsort(ids, id_count, sizeof *ids, compare_ids);
    uint64_t missing = 0, asked = 0, not_committed = 0, expected_total = 0;
    for (uint32_t k = 0; k < l->client_count; k++) {
        client *one = &l->clients[k];
        if (one->unexpected) fprintf(stderr, "    client %u: %s\n", k, one->last_problem);
        CHECK_EQ(one->unexpected, 0);
        CHECK_EQ(per_client[k], one->id_count);
        CHECK_EQ(one->next_sequence, one->id_count + 1);
        expected_total += one->id_count;
        for (uint64_t n = 0; n < one->id_count; n++) {
            if (!bsearch(one->ids[n], ids, id_count, sizeof *ids, compare_ids)) missing++;
            if (!ask_every) continue;
            char hex[2 * TALLY_HASH_BYTES + 1];
            sodium_bin2hex(hex, sizeof hex, one->ids[n], TALLY_HASH_BYTES);
            for (uint32_t i = 0; i < c->validator_count; i++) {
                if (!cluster_running(c, i)) continue;
                asked++;
                if (!known_committed(&c->nodes[i], hex)) not_committed++;
            }
        }
    }
    CHECK_EQ(missing, 0);
    CHECK_EQ(not_committed, 0);
    CHECK_EQ(id_count, expected_total);
    if (ask_every) CHECK(asked > 0);
    free(ids);
    check_balances(c, l->balances);
}

/* ---- payments to each validator in turn ---- */

static void payments_to_each(validator_cluster *c) {
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    uint64_t sequences[MEMBERS] = {0};
    const uint32_t rounds = 8;
    uint32_t payments = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        for (uint32_t i = 0; i < c->validator_count; i++, payments++) {
            uint32_t from = payments % MEMBERS, to = (payments * 5 + 1) % MEMBERS;
            if (to == from) to = (to + 1) % MEMBERS;
            test_actor payer = member_actor(from), payee = member_actor(to);
            int64_t amount = 100 + 7 * payments;
            tally_tx tx = harness_tx(&c->nodes[i], &payer, TALLY_TX_TRANSFER);
            CHECK_EQ(tx.sequence, sequences[from] + 1);
            sequences[from] = tx.sequence;
            tx.body.transfer.network_id = 1;
            tx.body.transfer.payee = payee.key;
            tx.body.transfer.amount = amount;
            json_t *result = NULL;
            CHECK_EQ(harness_submit(&c->nodes[i], &tx, &payer, &result), 200);
            const char *state = harness_json_string(result, "status");
            CHECK(state && strcmp(state, "committed") == 0);
            json_decref(result);
            expected[from] -= amount;
            expected[to] += amount;
        }
    }
    uint64_t tip = 0, compared = 0;
    /* The genesis, 1 + 2 x MEMBERS blocks of setup at most, one per payment at most. */
    REQUIRE(cluster_wait_same_tip(c, 1, 60000, &tip));
    CHECK(tip >= 2);
    CHECK(tip <= 1 + 2 * MEMBERS + payments);
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    check_balances(c, expected);
    int64_t sum = 0;
    for (uint32_t m = 0; m < MEMBERS; m++) sum += expected[m];
    CHECK_EQ(sum, 0);
    /* A follower checks the signature of a transaction it admitted and forwarded
     * once, at admission, not again in the proposer's block: every payment sent to
     * a follower (rounds of them each) is one signature known, and no validator
     * knows more than it forwarded. */
    double known_total = 0;
    for (uint32_t i = 0; i < c->validator_count; i++) {
        double known = harness_metric(&c->nodes[i], "tally_validator_signatures_known_total");
        double forwarded = harness_metric(&c->nodes[i], "tally_validator_transactions_forwarded_total");
        CHECK(known >= 0 && known <= forwarded);
        known_total += known;
    }
    CHECK(known_total >= (double)rounds * (c->validator_count - 1));
    printf("    validators: %u payments through %u validators in turn committed; %llu heights agree (block and state "
           "hash) on every validator; %.0f signatures not checked twice by the followers that admitted them\n",
           payments, c->validator_count, (unsigned long long)tip, known_total);
}

TEST(validators_payments_to_each_validator_commit_and_agree_at_every_height) {
    validator_cluster c;
    if (cluster_start(&c, 3, 3, 3)) payments_to_each(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* The same over TLS: etcd members that serve https and require a client
 * certificate of their CA, validators that present theirs (docs/VALIDATORS.md). */
TEST(validators_over_tls_to_etcd_commit_and_agree) {
    etcd_certificates certificates;
    char why[600];
    if (!etcd_cluster_make_certificates(&certificates, why, sizeof why)) {
        fprintf(stderr, "    %s\n", why);
        CHECK(!"the certificates were made");
        return;
    }
    validator_cluster c;
    if (cluster_start_tls(&c, 3, 3, 3, &certificates)) payments_to_each(&c);
    else CHECK(!"the cluster started over TLS");
    CHECK(strncmp(etcd_cluster_url(&c.etcd, 0), "https://", 8) == 0);
    cluster_stop(&c);
    etcd_cluster_remove_certificates(&certificates);
}

/* ---- failover under load ---- */

/* The first block above `above` whose producer is not `old`: its height, 0 when none yet. */
static uint64_t first_block_not_by(const validator_cluster *c, uint64_t above, const char *old) {
    int v = cluster_any_running(c);
    if (v < 0) return 0;
    char path[128];
    snprintf(path, sizeof path, "/v1/blocks?cursor=%llu&limit=100", (unsigned long long)(above + 1));
    json_t *page = NULL;
    uint64_t found = 0;
    if (harness_request(&c->nodes[v], "GET", path, NULL, 0, &page) == 200) {
        json_t *blocks = json_object_get(page, "blocks");
        for (size_t k = 0; k < json_array_size(blocks) && !found; k++) {
            const char *producer = harness_json_string(json_array_get(blocks, k), "producer");
            if (producer && strcmp(producer, old) != 0) found = (uint64_t)harness_json_int(json_array_get(blocks, k), "height");
        }
    }
    json_decref(page);
    return found;
}

static void failover(validator_cluster *c, load *l) {
    REQUIRE(make_network(&c->nodes[1]));
    uint64_t started_ms = cluster_now_ms();
    REQUIRE(load_start(l, c, 4, 0, 4242));
    CHECK(wait_committed(l, 150, 120000) >= 150);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    uint64_t height_at_kill = 0;
    REQUIRE(cluster_tip(c, (uint32_t)proposer, &height_at_kill, NULL));
    uint64_t committed_before = load_committed(l);
    int etcd_leader = etcd_cluster_leader(&c->etcd);
    uint64_t kill_ms = cluster_now_ms();
    cluster_kill_validator(c, (uint32_t)proposer);
    cluster_kill_etcd(c, (uint32_t)proposer);
    load_update(l, c);
    uint64_t new_block = 0, seen_ms = 0;
    while (cluster_now_ms() - kill_ms < 60000) {
        new_block = first_block_not_by(c, height_at_kill, c->addresses[proposer]);
        if (new_block) {
            seen_ms = cluster_now_ms();
            break;
        }
        cluster_sleep_ms(20);
    }
    CHECK(new_block > height_at_kill);
    int next = cluster_proposer(c, 20000);
    CHECK(next >= 0 && next != proposer);
    /* The new proposer goes on making blocks: 100 more payments after it took over. */
    uint64_t at_takeover = load_committed(l);
    CHECK(wait_committed(l, at_takeover + 100, 120000) >= at_takeover + 100);
    uint64_t tip_after = 0;
    CHECK(cluster_tip(c, (uint32_t)(next >= 0 ? next : cluster_any_running(c)), &tip_after, NULL));
    CHECK(tip_after > new_block);
    /* Back to full strength, then the clients stop and every check runs. */
    REQUIRE(cluster_restart_etcd(c, (uint32_t)proposer));
    REQUIRE(cluster_start_validator(c, (uint32_t)proposer));
    load_update(l, c);
    load_stop(l);
    uint64_t run_ms = cluster_now_ms() - started_ms;
    uint64_t tip = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, tip_after, 120000, &tip));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    check_load(c, l, (uint32_t)(next >= 0 ? next : 0), tip, true);
    CHECK(cluster_stop_and_verify(c, tip)); /* each validator's own log verifies from genesis */
    uint64_t acknowledged = 0, found = 0, resubmissions = 0;
    for (uint32_t k = 0; k < l->client_count; k++) {
        acknowledged += l->clients[k].acknowledged;
        found += l->clients[k].found;
        resubmissions += l->clients[k].resubmissions;
    }
    printf("    validators: failover %llu ms (SIGKILL of proposer %d and its etcd member, %s raft leader, to the "
           "first block of validator %d, at height %llu)\n",
           (unsigned long long)(seen_ms ? seen_ms - kill_ms : 0), proposer,
           etcd_leader == proposer ? "the" : "not the", next, (unsigned long long)new_block);
    printf("    validators: %llu payments committed by 4 clients in %.1f s (%llu before the kill), %llu acknowledged, "
           "%llu found committed after an unknown outcome, %llu resubmissions; %llu heights agree; 0 lost, 0 twice\n",
           (unsigned long long)load_committed(l), run_ms / 1000.0, (unsigned long long)committed_before,
           (unsigned long long)acknowledged, (unsigned long long)found, (unsigned long long)resubmissions,
           (unsigned long long)tip);
}

TEST(validators_failover_under_load_loses_nothing_and_applies_nothing_twice) {
    validator_cluster c;
    load l;
    load_init(&l);
    if (cluster_start(&c, 3, 3, 3)) failover(&c, &l);
    else CHECK(!"the cluster started");
    load_free(&l);
    cluster_stop(&c);
}

/* ---- a follower killed and restarted; a fourth validator joining from genesis ---- */

static void pay_some(validator_cluster *c, uint32_t count, uint32_t salt, int64_t expected[MEMBERS]) {
    for (uint32_t n = 0; n < count; n++) {
        int v = -1;
        for (uint32_t tries = 0; tries < c->validator_count && v < 0; tries++) {
            uint32_t i = (n + salt + tries) % c->validator_count;
            if (cluster_running(c, i)) v = (int)i;
        }
        REQUIRE(v >= 0);
        uint32_t from = (n + salt) % MEMBERS, to = (n + salt + 1 + n % 3) % MEMBERS;
        test_actor payer = member_actor(from), payee = member_actor(to);
        int64_t amount = 50 + n + salt;
        tally_tx tx = harness_tx(&c->nodes[v], &payer, TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = payee.key;
        tx.body.transfer.amount = amount;
        json_t *result = NULL;
        CHECK_EQ(harness_submit(&c->nodes[v], &tx, &payer, &result), 200);
        const char *state = harness_json_string(result, "status");
        bool ok = state && strcmp(state, "committed") == 0;
        CHECK(ok);
        json_decref(result);
        if (ok) expected[from] -= amount, expected[to] += amount;
    }
}

static void follower_and_fourth(validator_cluster *c) {
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    pay_some(c, 10, 0, expected);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    uint32_t follower = (uint32_t)(proposer + 1) % 3;
    uint64_t before = 0;
    REQUIRE(cluster_tip(c, follower, &before, NULL));
    cluster_kill_validator(c, follower);
    pay_some(c, 12, 3, expected);
    uint64_t kill_tip = 0;
    REQUIRE(cluster_tip(c, (uint32_t)proposer, &kill_tip, NULL));
    CHECK(kill_tip > before);
    uint64_t restart_ms = cluster_now_ms();
    REQUIRE(cluster_start_validator(c, follower));
    uint64_t tip = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, kill_tip, 60000, &tip));
    uint64_t caught_up_ms = cluster_now_ms() - restart_ms;
    CHECK_EQ(tip, kill_tip);
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    check_balances(c, expected);
    /* The restarted follower takes payments again. */
    pay_some(c, 3, follower, expected);
    /* Validator 3, in the genesis set, never started: an empty data directory. */
    uint64_t join_ms = cluster_now_ms();
    REQUIRE(cluster_start_validator(c, 3));
    REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &tip));
    uint64_t joined_ms = cluster_now_ms() - join_ms;
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    json_t *status = NULL;
    CHECK_EQ(harness_request(&c->nodes[3], "GET", "/v1/status", NULL, 0, &status), 200);
    CHECK_EQ(harness_json_int(status, "validator.index"), 3);
    json_decref(status);
    check_balances(c, expected);
    /* Payments sent to the new validator commit, and all four agree on them. */
    uint64_t with_four = tip;
    for (uint32_t n = 0; n < 4; n++) {
        test_actor payer = member_actor(n), payee = member_actor(n + 1);
        tally_tx tx = harness_tx(&c->nodes[3], &payer, TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = payee.key;
        tx.body.transfer.amount = 11;
        json_t *result = NULL;
        CHECK_EQ(harness_submit(&c->nodes[3], &tx, &payer, &result), 200);
        const char *state = harness_json_string(result, "status");
        bool ok = state && strcmp(state, "committed") == 0;
        CHECK(ok);
        json_decref(result);
        if (ok) expected[n] -= 11, expected[n + 1] += 11;
    }
    REQUIRE(cluster_wait_same_tip(c, with_four + 1, 60000, &tip));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    check_balances(c, expected);
    printf("    validators: follower %u restarted %llu blocks behind caught up in %llu ms; validator 3 joined from "
           "genesis (%llu blocks) in %llu ms; 4 validators agree at %llu heights\n",
           follower, (unsigned long long)(kill_tip - before), (unsigned long long)caught_up_ms,
           (unsigned long long)with_four, (unsigned long long)joined_ms, (unsigned long long)tip);
}

TEST(validators_follower_restart_catches_up_and_a_fourth_joins_from_genesis) {
    validator_cluster c;
    if (cluster_start(&c, 3, 4, 3)) follower_and_fourth(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* Whether the file holds text. */
static bool file_says(const char *path, const char *text) {
    FILE *file = fopen(path, "r");
    if (!file) return false;
    static char content[1 << 16];
    size_t got = fread(content, 1, sizeof content - 1, file);
    content[got] = '\0';
    fclose(file);
    return strstr(content, text) != NULL;
}

/* etcd loses every member's data while the validators are down, one of them some
 * blocks behind the others. The one behind refuses to start on the empty etcd and
 * says why; the one with the highest tip, started with --reseed-etcd, writes the
 * genesis and its tip into it; the others then start as usual, the one behind reads
 * the blocks it missed from its peers' logs, and the chain goes on: same tips, same
 * balances, every log verifies from its genesis. */
static void reseed_lost_etcd(validator_cluster *c) {
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    pay_some(c, 8, 0, expected);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    uint32_t behind = (uint32_t)(proposer + 1) % 3, third = (uint32_t)(proposer + 2) % 3;
    uint64_t behind_tip = 0, tip = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, 1, 60000, &behind_tip));
    cluster_kill_validator(c, behind);
    pay_some(c, 8, 5, expected);
    REQUIRE(cluster_wait_same_tip(c, behind_tip + 1, 60000, &tip)); /* the two running agree */
    cluster_kill_validator(c, (uint32_t)proposer);
    cluster_kill_validator(c, third);
    REQUIRE(cluster_replace_etcd(c));

    REQUIRE(cluster_launch_validator(c, behind));
    CHECK_EQ(cluster_wait_exit(c, behind, 30000), 1);
    CHECK(file_says(c->nodes[behind].stderr_path, "etcd lost the chain"));
    CHECK(file_says(c->nodes[behind].stderr_path, "--reseed-etcd"));

    c->extra_argument = "--reseed-etcd";
    REQUIRE(cluster_start_validator(c, (uint32_t)proposer));
    c->extra_argument = NULL;
    CHECK(file_says(c->nodes[proposer].stderr_path, "re-seeded it with the genesis and block"));
    REQUIRE(cluster_start_validator(c, third));
    REQUIRE(cluster_start_validator(c, behind));
    uint64_t same = 0;
    REQUIRE(cluster_wait_same_tip(c, tip, 60000, &same));
    CHECK_EQ(same, tip);
    pay_some(c, 6, 9, expected);
    REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &same));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, same);
    check_balances(c, expected);
    CHECK(cluster_stop_and_verify(c, same));
    printf("    validators: etcd lost everything at height %llu (validator %u %llu blocks behind); re-seeded from "
           "validator %d, the one behind caught up from its peers; %llu heights agree\n",
           (unsigned long long)tip, behind, (unsigned long long)(tip - behind_tip), proposer, (unsigned long long)same);
}

TEST(validators_reseed_an_etcd_that_lost_the_chain) {
    validator_cluster c;
    if (cluster_start(&c, 3, 3, 3)) reseed_lost_etcd(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* With --etcd-keep 16 (its least), the proposer deletes from etcd what every running
 * validator applied but the last 16 blocks; a validator of the genesis set that never ran
 * then finds only the genesis and the recent blocks in etcd, and reads the others
 * from its peers' logs (GET /v1/blocks/{h}/raw), verifying each as it goes. */
static void fourth_from_peers(validator_cluster *c) {
    c->etcd_keep = "16";
    for (uint32_t i = 0; i < 3; i++) REQUIRE(cluster_start_validator(c, i));
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    pay_some(c, 30, 0, expected);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    uint64_t tip = 0;
    REQUIRE(cluster_wait_same_tip(c, 30, 60000, &tip));
    /* compaction runs every 5 s once every validator said what it applied */
    double compacted = 0;
    for (int wait = 0; wait < 300 && compacted < (double)tip - 16; wait++) {
        compacted = harness_metric(&c->nodes[proposer], "tally_etcd_compacted_below");
        cluster_sleep_ms(50);
    }
    CHECK(compacted >= (double)tip - 16);
    REQUIRE(cluster_start_validator(c, 3));
    uint64_t joined = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, tip, 60000, &joined));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, joined);
    check_balances(c, expected);
    /* every compacted height but the genesis came from a peer */
    double from_peers = harness_metric(&c->nodes[3], "tally_validator_blocks_from_peers_total");
    CHECK(from_peers >= compacted - 1);
    printf("    validators: etcd kept heights from %.0f of %llu; validator 3 joined from genesis and read %.0f blocks "
           "from its peers' logs; 4 validators agree at %llu heights\n",
           compacted, (unsigned long long)tip, from_peers, (unsigned long long)compared);
}

TEST(validators_a_new_validator_reads_what_etcd_compacted_from_its_peers) {
    validator_cluster c;
    if (cluster_start(&c, 3, 4, 0)) fourth_from_peers(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* ---- the crash loop ---- */

/* Each running validator's /v1/status validator object and height, on stderr. */
static void print_statuses(const validator_cluster *c) {
    for (uint32_t i = 0; i < c->validator_count; i++) {
        if (!cluster_running(c, i)) {
            fprintf(stderr, "    validator %u: down\n", i);
            continue;
        }
        json_t *status = NULL;
        long code = harness_request(&c->nodes[i], "GET", "/v1/status", NULL, 0, &status);
        char *validator = json_dumps(json_object_get(status, "validator"), JSON_COMPACT);
        fprintf(stderr, "    validator %u: HTTP %ld height %lld mempool %lld %s\n", i, code,
                (long long)harness_json_int(status, "height"), (long long)harness_json_int(status, "mempool"),
                validator ? validator : "-");
        free(validator);
        json_decref(status);
    }
    for (uint32_t j = 0; j < c->etcd_count; j++) fprintf(stderr, "    etcd member %u: %s\n", j, c->etcd_down[j] ? "down" : "up");
}

static void crash_loop(validator_cluster *c, load *l) {
    uint64_t seed = env_u64("TALLY_CLUSTER_SEED", 1414);
    uint64_t kills_wanted = env_u64("TALLY_CLUSTER_KILLS", 100);
    printf("    validators: crash loop seed %llu (TALLY_CLUSTER_SEED), %llu kills (TALLY_CLUSTER_KILLS)\n",
           (unsigned long long)seed, (unsigned long long)kills_wanted);
    fflush(stdout);
    REQUIRE(make_network(&c->nodes[1]));
    uint64_t started_ms = cluster_now_ms();
    REQUIRE(load_start(l, c, 3, 30, seed));
    uint64_t random = seed;
    int down_validator = -1, down_etcd = -1;
    uint64_t kills = 0, validator_kills = 0, etcd_kills = 0, proposer_kills = 0, restarts = 0, compares = 0;
    uint64_t heights_compared = 0, last_height = 0, stalls = 0;
    const uint32_t processes = c->validator_count + c->etcd_count;
    while (kills < kills_wanted && !test_current_failed()) {
        uint32_t target = (uint32_t)(next_random(&random) % processes);
        bool is_validator = target < c->validator_count;
        uint32_t index = is_validator ? target : target - c->validator_count;
        int *down = is_validator ? &down_validator : &down_etcd;
        if (*down == (int)index) continue; /* already down: pick another */
        /* Never two of a kind down at once: the one down comes back first. */
        if (*down >= 0) {
            if (is_validator) {
                REQUIRE(cluster_start_validator(c, (uint32_t)*down));
                load_update(l, c);
            } else {
                REQUIRE(cluster_restart_etcd(c, (uint32_t)*down));
            }
            *down = -1;
            restarts++;
            uint64_t compared = 0;
            CHECK(cluster_compare(c, &compared));
            compares++;
            heights_compared += compared;
        }
        if (is_validator) {
            if (cluster_proposer(c, 0) == (int)index) proposer_kills++;
            cluster_kill_validator(c, index);
            load_update(l, c);
            validator_kills++;
        } else {
            cluster_kill_etcd(c, index);
            etcd_kills++;
        }
        *down = (int)index;
        kills++;
        cluster_sleep_ms((long)(next_random(&random) % 400));
        /* Half the time it comes back at once; otherwise it stays down while others die. */
        if (next_random(&random) % 2 == 0) {
            if (is_validator) {
                REQUIRE(cluster_start_validator(c, index));
                load_update(l, c);
            } else {
                REQUIRE(cluster_restart_etcd(c, index));
            }
            *down = -1;
            restarts++;
            uint64_t compared = 0;
            CHECK(cluster_compare(c, &compared));
            compares++;
            heights_compared += compared;
        }
        if (kills % 10 == 0) {
            /* Every 10 kills: the chain moved on, and every validator up caught up. */
            uint64_t h = 0;
            int v = cluster_any_running(c);
            if (v >= 0 && cluster_tip(c, (uint32_t)v, &h, NULL)) {
                if (h <= last_height) {
                    stalls++;
                    print_statuses(c);
                }
                last_height = h;
            }
            CHECK(wait_caught_up(c, 60000));
            printf("    validators: crash loop %llu kills, height %llu, %llu payments committed, %.0f s\n",
                   (unsigned long long)kills, (unsigned long long)h, (unsigned long long)load_committed(l),
                   (cluster_now_ms() - started_ms) / 1000.0);
            fflush(stdout);
        }
    }
    if (down_validator >= 0) {
        REQUIRE(cluster_start_validator(c, (uint32_t)down_validator));
        restarts++;
    }
    if (down_etcd >= 0) {
        REQUIRE(cluster_restart_etcd(c, (uint32_t)down_etcd));
        restarts++;
    }
    load_update(l, c);
    uint64_t before_stop = load_committed(l);
    CHECK(wait_committed(l, before_stop + 20, 60000) >= before_stop + 20); /* it still makes blocks */
    load_stop(l);
    uint64_t run_ms = cluster_now_ms() - started_ms;
    uint64_t tip = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, last_height, 120000, &tip));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, tip);
    check_load(c, l, 0, tip, false);
    CHECK(cluster_stop_and_verify(c, tip)); /* each validator's own log verifies from genesis */
    CHECK_EQ(stalls, 0);
    CHECK(kills >= kills_wanted);
    uint64_t resubmissions = 0, found = 0;
    for (uint32_t k = 0; k < l->client_count; k++) {
        resubmissions += l->clients[k].resubmissions;
        found += l->clients[k].found;
    }
    printf("    validators: crash loop: %llu SIGKILLs (%llu of validators, %llu of them the proposer; %llu of etcd "
           "members), %llu restarts, %llu comparisons of every height (%llu heights in all) after restarts, in %.1f s\n",
           (unsigned long long)kills, (unsigned long long)validator_kills, (unsigned long long)proposer_kills,
           (unsigned long long)etcd_kills, (unsigned long long)restarts, (unsigned long long)compares,
           (unsigned long long)heights_compared, run_ms / 1000.0);
    printf("    validators: crash loop: %llu payments committed by 3 clients (%llu found after an unknown outcome, %llu "
           "resubmissions), %llu heights agree at the end; 0 lost, 0 twice\n",
           (unsigned long long)load_committed(l), (unsigned long long)found, (unsigned long long)resubmissions,
           (unsigned long long)tip);
}

TEST(validators_crash_loop_of_sigkills_over_validators_and_etcd_members) {
    validator_cluster c;
    load l;
    load_init(&l);
    if (cluster_start(&c, 3, 3, 3)) crash_loop(&c, &l);
    else CHECK(!"the cluster started");
    load_free(&l);
    cluster_stop(&c);
}

/* ---- forged blocks written into etcd ---- */

/* The state at validator v's tip `tip`, replayed from its raw blocks onto the genesis. */
static bool replay(const validator_cluster *c, uint32_t v, uint64_t tip, tally_state **state,
                   tally_chain_tip *chain_tip) {
    *state = NULL;
    bool ok = true;
    for (uint64_t h = 0; h <= tip && ok; h++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/blocks/%llu/raw", (unsigned long long)h);
        size_t length = 0;
        uint8_t *bytes = cluster_get_bytes(&c->nodes[v], path, &length);
        tally_block block;
        tally_block_init(&block);
        tally_chain_failure failure;
        ok = bytes && tally_block_decode(bytes, length, &block, &failure) == TALLY_CHAIN_OK;
        if (ok && h == 0) ok = tally_genesis_open(&block, state, chain_tip, &failure) == TALLY_CHAIN_OK;
        else if (ok) ok = tally_block_apply(*state, chain_tip, &block, &failure) == TALLY_CHAIN_OK;
        if (!ok) fprintf(stderr, "    replay: block %llu: %s\n", (unsigned long long)h, bytes ? failure.message : "not served");
        free(bytes);
        tally_block_release(&block);
    }
    if (!ok && *state) tally_state_destroy(*state), *state = NULL;
    return ok;
}

typedef enum { FORGE_STATE_HASH, FORGE_OUTSIDER } forgery;

static void forged_block(validator_cluster *c, forgery kind) {
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    pay_some(c, 6, 1, expected);
    uint64_t tip = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, 1, 60000, &tip));
    REQUIRE(cluster_compare(c, &compared));
    /* The block a validator would make next, empty, at the tip's time. */
    tally_state *state = NULL;
    tally_chain_tip chain_tip;
    REQUIRE(replay(c, 0, tip, &state, &chain_tip));
    CHECK_EQ(chain_tip.height, tip);
    int proposer = cluster_proposer(c, 20000);
    uint32_t signer = proposer >= 0 ? (uint32_t)proposer : 0;
    test_actor validator;
    bool have_secret = cluster_validator_actor(c, signer, &validator);
    CHECK(have_secret);
    uint8_t *secret = validator.secret;
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    tally_chain_error built = have_secret ? tally_block_build(state, &chain_tip, secret, chain_tip.block_time, NULL, 0,
                                                              NULL, &block, &failure)
                                          : TALLY_CHAIN_ERR_BAD_ARGUMENT;
    tally_state_destroy(state);
    CHECK_EQ(built, TALLY_CHAIN_OK);
    if (built != TALLY_CHAIN_OK) {
        tally_block_release(&block);
        return;
    }
    CHECK_EQ(block.header.height, tip + 1);
    const char *reason;
    if (kind == FORGE_STATE_HASH) {
        block.header.state_hash[0] ^= 0x01;
        block_reseal(&block, secret); /* well signed by a validator, of a state no one reaches */
        reason = tally_chain_error_message(TALLY_CHAIN_ERR_BAD_STATE_HASH);
    } else {
        test_actor outsider = actor(OUTSIDER_ACTOR);
        block_reseal(&block, outsider.secret); /* the right state, signed by a key outside the set */
        reason = tally_chain_error_message(TALLY_CHAIN_ERR_WRONG_PRODUCER);
    }
    sodium_memzero(validator.secret, sizeof validator.secret);
    size_t length = 0;
    uint8_t *bytes = block_bytes(&block, &length);
    tally_block_release(&block);
    REQUIRE(bytes != NULL);
    /* Written as a block of the log, at the next height, by a client of our own. */
    char why[256], key[96];
    etcd_client *etcd = etcd_open(etcd_cluster_urls(&c->etcd), 3000, why, sizeof why);
    CHECK(etcd != NULL);
    int key_length = snprintf(key, sizeof key, "%sb/%020llu", CLUSTER_PREFIX, (unsigned long long)(tip + 1));
    bool created = false;
    etcd_status written = etcd ? etcd_create(etcd, key, (size_t)key_length, bytes, length, 0, NULL, &created, NULL,
                                               NULL)
                                 : ETCD_UNAVAILABLE;
    if (written != ETCD_OK) fprintf(stderr, "    etcd_create: %s\n", etcd ? etcd_why(etcd) : why);
    etcd_close(etcd);
    CHECK_EQ(written, ETCD_OK);
    CHECK(created);
    uint64_t written_ms = cluster_now_ms();
    uint64_t slowest_ms = 0;
    char expected_line[256];
    snprintf(expected_line, sizeof expected_line, "tallyd: FATAL: block %llu of the ordering log refused: ",
             (unsigned long long)(tip + 1));
    for (uint32_t i = 0; i < c->validator_count; i++) {
        int status = cluster_wait_exit(c, i, 60000);
        uint64_t stopped_ms = cluster_now_ms() - written_ms;
        if (stopped_ms > slowest_ms) slowest_ms = stopped_ms;
        CHECK_EQ(status, 1);
        char path[400];
        snprintf(path, sizeof path, "%s/data/evidence/block-%llu.bin", c->nodes[i].directory,
                 (unsigned long long)(tip + 1));
        size_t evidence_length = 0;
        uint8_t *evidence = cluster_read_file(path, &evidence_length);
        CHECK(evidence != NULL);
        CHECK_EQ(evidence_length, length);
        CHECK(evidence && evidence_length == length && memcmp(evidence, bytes, length) == 0);
        free(evidence);
        snprintf(path, sizeof path, "%s/data/evidence/block-%llu.txt", c->nodes[i].directory,
                 (unsigned long long)(tip + 1));
        char *text = (char *)cluster_read_file(path, NULL);
        CHECK(text != NULL && strstr(text, reason) != NULL);
        free(text);
        char *log = (char *)cluster_read_file(c->nodes[i].stderr_path, NULL);
        const char *line = log ? strstr(log, expected_line) : NULL;
        CHECK(line != NULL);
        if (line) {
            const char *end = strchr(line, '\n');
            size_t line_length = end ? (size_t)(end - line) : strlen(line);
            char *copy = strndup(line, line_length);
            CHECK(copy && strstr(copy, reason) != NULL);
            free(copy);
        }
        free(log);
    }
    free(bytes);
    printf("    validators: a block %s written into etcd at height %llu: all %u validators refused it, saved it and "
           "exited with status 1 within %llu ms\n",
           kind == FORGE_STATE_HASH ? "with a wrong state hash, signed by a validator," : "signed by a non-validator",
           (unsigned long long)(tip + 1), c->validator_count, (unsigned long long)slowest_ms);
}

TEST(validators_block_with_a_wrong_state_hash_in_etcd_stops_every_validator_with_evidence) {
    validator_cluster c;
    if (cluster_start(&c, 3, 3, 3)) forged_block(&c, FORGE_STATE_HASH);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

TEST(validators_block_signed_outside_the_validator_set_stops_every_validator_with_evidence) {
    validator_cluster c;
    if (cluster_start(&c, 3, 3, 3)) forged_block(&c, FORGE_OUTSIDER);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* ---- regressions of defects the tests above found ---- */

/* A validator started while etcd has no leader (a majority of its members down
 * for a moment) waits for etcd instead of exiting. */
static void start_without_etcd_leader(validator_cluster *c) {
    cluster_kill_etcd(c, 1);
    cluster_kill_etcd(c, 2);
    REQUIRE(cluster_launch_validator(c, 2));
    cluster_sleep_ms(5000); /* longer than the etcd client's 2 s for each endpoint */
    int early_exit = cluster_wait_exit(c, 2, 0);
    CHECK_EQ(early_exit, -1); /* still running, waiting for etcd */
    REQUIRE(cluster_restart_etcd(c, 1));
    uint64_t back_ms = cluster_now_ms();
    CHECK(early_exit == -1 && cluster_await_validator(c, 2));
    uint64_t served_ms = cluster_now_ms() - back_ms;
    REQUIRE(cluster_restart_etcd(c, 2));
    uint64_t tip = 0;
    CHECK(cluster_wait_same_tip(c, 0, 60000, &tip));
    CHECK(cluster_compare(c, NULL));
    printf("    validators: validator 2 started while etcd had no majority: serving %llu ms after a majority was back\n",
           (unsigned long long)served_ms);
}

TEST(validators_a_validator_starts_while_etcd_has_no_leader) {
    validator_cluster c;
    if (cluster_start(&c, 3, 3, 2)) start_without_etcd_leader(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}

/* The proposer killed and started again at once (on another port) while etcd
 * changes leaders (a member killed and restarted, again and again): etcd renews every
 * lease at each new leader, so the dead process's proposer lease may outlive it for
 * as long as the changes go on, everyone forwarding to its dead URL. Its successor
 * holds the same key: it takes the lease back. */
static void restarted_proposer(validator_cluster *c, load *l) {
    REQUIRE(make_network(&c->nodes[1]));
    REQUIRE(load_start(l, c, 1, 0, 7));
    CHECK(wait_committed(l, 20, 60000) >= 20);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    cluster_kill_validator(c, (uint32_t)proposer);
    load_update(l, c);
    uint64_t kill_ms = cluster_now_ms();
    REQUIRE(cluster_start_validator(c, (uint32_t)proposer));
    load_update(l, c);
    uint64_t at_restart = load_committed(l), first_ms = 0;
    const uint32_t rounds = 8;
    for (uint32_t r = 0; r < rounds; r++) {
        int leader = etcd_cluster_leader(&c->etcd);
        if (leader < 0) leader = (int)(r % c->etcd_count);
        cluster_kill_etcd(c, (uint32_t)leader);
        REQUIRE(cluster_restart_etcd(c, (uint32_t)leader));
        /* A leader for a while (less than a lease), then the next change. */
        for (int wait = 0; wait < 14; wait++) {
            if (!first_ms && load_committed(l) > at_restart) first_ms = cluster_now_ms() - kill_ms;
            cluster_sleep_ms(50);
        }
    }
    uint64_t churn_ms = cluster_now_ms() - kill_ms;
    uint64_t during = load_committed(l) - at_restart;
    if (!first_ms && wait_committed(l, at_restart + 1, 30000) > at_restart) first_ms = cluster_now_ms() - kill_ms;
    load_stop(l);
    uint64_t tip = 0;
    CHECK(cluster_wait_same_tip(c, 1, 60000, &tip));
    CHECK(cluster_compare(c, NULL));
    check_load(c, l, 0, tip, false);
    printf("    validators: proposer %d killed and restarted, then %u etcd leader changes in %llu ms: %llu payments "
           "committed meanwhile, the first %llu ms after the kill\n",
           proposer, rounds, (unsigned long long)churn_ms, (unsigned long long)during, (unsigned long long)first_ms);
    CHECK(during > 0);
}

TEST(validators_a_restarted_proposer_takes_its_lease_back) {
    validator_cluster c;
    load l;
    load_init(&l);
    if (cluster_start(&c, 3, 3, 3)) restarted_proposer(&c, &l);
    else CHECK(!"the cluster started");
    load_free(&l);
    cluster_stop(&c);
}

/* The proposer killed for good while etcd changes leaders again and again (the
 * leader member killed and restarted): each new etcd leader renews every lease, so
 * the dead proposer's lease would outlive it for as long as the changes go on, the
 * chain stalled and every follower forwarding to its dead URL. A follower that
 * cannot reach the proposer for two lease times revokes its lease (only if it is
 * still the one holding the leader key), and the next proposer takes over during
 * the churn. */
static void dead_proposer_during_etcd_churn(validator_cluster *c, load *l) {
    REQUIRE(make_network(&c->nodes[1]));
    REQUIRE(load_start(l, c, 1, 0, 11));
    CHECK(wait_committed(l, 20, 60000) >= 20);
    int proposer = cluster_proposer(c, 20000);
    REQUIRE(proposer >= 0);
    cluster_kill_validator(c, (uint32_t)proposer);
    load_update(l, c);
    uint64_t kill_ms = cluster_now_ms();
    uint64_t at_kill = load_committed(l), first_ms = 0;
    const uint32_t rounds = 10;
    for (uint32_t r = 0; r < rounds; r++) {
        int leader = etcd_cluster_leader(&c->etcd);
        if (leader < 0) leader = (int)(r % c->etcd_count);
        cluster_kill_etcd(c, (uint32_t)leader);
        REQUIRE(cluster_restart_etcd(c, (uint32_t)leader));
        /* A leader for a while (less than a lease), then the next change. */
        for (int wait = 0; wait < 14; wait++) {
            if (!first_ms && load_committed(l) > at_kill) first_ms = cluster_now_ms() - kill_ms;
            cluster_sleep_ms(50);
        }
    }
    uint64_t churn_ms = cluster_now_ms() - kill_ms;
    uint64_t during = load_committed(l) - at_kill;
    int next = cluster_proposer(c, 20000);
    load_stop(l);
    double revoked = 0;
    for (uint32_t i = 0; i < c->validator_count; i++)
        if (cluster_running(c, i)) revoked += harness_metric(&c->nodes[i], "tally_validator_leases_revoked_total");
    CHECK(revoked >= 1);
    CHECK(next >= 0 && next != proposer);
    uint64_t tip = 0;
    CHECK(cluster_wait_same_tip(c, 1, 60000, &tip));
    CHECK(cluster_compare(c, NULL));
    check_load(c, l, (uint32_t)(next >= 0 ? next : cluster_any_running(c)), tip, false);
    printf("    validators: proposer %d killed, then %u etcd leader changes in %llu ms: %llu payments committed "
           "meanwhile, the first %llu ms after the kill (validator %d took over)\n",
           proposer, rounds, (unsigned long long)churn_ms, (unsigned long long)during, (unsigned long long)first_ms,
           next);
    CHECK(during > 0);
}

TEST(validators_a_dead_proposer_is_replaced_while_etcd_keeps_renewing_its_lease) {
    validator_cluster c;
    load l;
    load_init(&l);
    if (cluster_start(&c, 3, 3, 3)) dead_proposer_during_etcd_churn(&c, &l);
    else CHECK(!"the cluster started");
    load_free(&l);
    cluster_stop(&c);
}

/* ---- changing the validator set through the chain (docs/VALIDATORS.md) ---- */

/* A chain-level transaction by validator `by`, submitted to validator `to`; its
 * result's `available` (approvals still needed; 0 when in force), or -1. */
static int64_t set_change(validator_cluster *c, uint32_t by, uint32_t to, tally_tx_type type, int add, uint32_t retire,
                          uint32_t change_id) {
    test_actor signer;
    if (!cluster_validator_actor(c, by, &signer)) {
        CHECK(!"the validator's key was read");
        return -1;
    }
    tally_tx tx = harness_tx(&c->nodes[to], &signer, type);
    if (type == TALLY_TX_VALIDATOR_PROPOSE) {
        if (add >= 0) {
            test_actor added;
            if (!cluster_validator_actor(c, (uint32_t)add, &added)) {
                CHECK(!"the validator's key was read");
                return -1;
            }
            tx.body.validator_propose.add_count = 1;
            tx.body.validator_propose.add[0] = added.key;
        }
        tx.body.validator_propose.retire = retire;
    } else {
        tx.body.validator_approve.change_id = change_id;
    }
    json_t *result = NULL;
    long status = harness_submit(&c->nodes[to], &tx, &signer, &result);
    const char *state = harness_json_string(result, "status");
    bool ok = status == 200 && state && strcmp(state, "committed") == 0;
    if (!ok)
        fprintf(stderr, "    set change: %s answered %ld %s %s\n", tally_tx_type_name(type), status, state ? state : "-",
                harness_json_string(result, "error.code") ? harness_json_string(result, "error.code") : "");
    int64_t available = harness_json_int(result, "result.available");
    json_decref(result);
    return !ok ? -1 : available == INT64_MIN ? 0 : available;
}

/* The slots that co-signed block h as validator i serves them (bits), or -1. */
static int64_t cosigned_by(const validator_cluster *c, uint32_t i, uint64_t height) {
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%llu/cosignatures", (unsigned long long)height);
    json_t *answer = NULL;
    if (harness_request(&c->nodes[i], "GET", path, NULL, 0, &answer) != 200) return json_decref(answer), -1;
    int64_t slots = 0;
    json_t *list = json_object_get(answer, "cosignatures");
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *index = json_object_get(json_array_get(list, k), "index");
        if (json_is_integer(index)) slots |= (int64_t)1 << json_integer_value(index);
    }
    json_decref(answer);
    return slots;
}

/* Waits until block h's co-signatures on validator i are exactly `slots`. */
static bool wait_cosigned(const validator_cluster *c, uint32_t i, uint64_t height, int64_t slots, long timeout_ms) {
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    int64_t seen = -1;
    do {
        seen = cosigned_by(c, i, height);
        if (seen == slots) return true;
        cluster_sleep_ms(50);
    } while (cluster_now_ms() < until);
    fprintf(stderr, "    block %llu: co-signed by slots %llx on validator %u, not %llx\n", (unsigned long long)height,
            (unsigned long long)seen, i, (unsigned long long)slots);
    return false;
}

/* The genesis names validators 0-2; a fourth runs from the start with a key outside
 * the set and follows. Validator 0 proposes adding it, validator 1's approval makes
 * the quorum (2 of 3): from the next block the fourth co-signs. Then the fourth
 * proposes retiring validator 2 (3 of 4 needed: 0 and 1 approve): it stops
 * co-signing, gives the lease up if it held it and never takes it again, and keeps
 * following. The proposer is killed: another active one takes over. Every data
 * directory verifies from its genesis, the added and the retired one's too. */
static void set_changes(validator_cluster *c) {
    REQUIRE(make_network(&c->nodes[1]));
    int64_t expected[MEMBERS] = {0};
    pay_some(c, 6, 0, expected);
    REQUIRE(cluster_start_validator(c, 3));
    CHECK(file_says(c->nodes[3].stderr_path, "not in the chain's validator set: it follows the chain"));
    uint64_t tip = 0;
    REQUIRE(cluster_wait_same_tip(c, 2, 60000, &tip));
    CHECK(wait_cosigned(c, 0, tip, 0x7, 20000)); /* the genesis's three */

    CHECK_EQ(set_change(c, 0, 3, TALLY_TX_VALIDATOR_PROPOSE, 3, 0, 0), 1); /* sent to the follower, forwarded */
    CHECK_EQ(set_change(c, 1, 1, TALLY_TX_VALIDATOR_APPROVE, -1, 0, 1), 0);
    uint64_t added_at = 0;
    REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &added_at));
    json_t *status = NULL;
    REQUIRE(harness_request(&c->nodes[2], "GET", "/v1/status", NULL, 0, &status) == 200);
    CHECK_EQ(json_array_size(json_object_get(status, "validators")), 4);
    CHECK_EQ(harness_json_int(status, "quorum"), 3);
    json_decref(status);
    CHECK(file_says(c->nodes[3].stderr_path, "added this node's key to its validators"));
    pay_some(c, 6, 3, expected);
    REQUIRE(cluster_wait_same_tip(c, added_at + 1, 60000, &tip));
    CHECK(wait_cosigned(c, 1, tip, 0xF, 20000)); /* the fourth co-signs too */
    CHECK(wait_cosigned(c, 3, tip, 0xF, 20000));

    /* the proposer is the one retired (validator 2 when the fourth holds the lease) */
    int holder = cluster_proposer(c, 20000);
    uint32_t gone = holder >= 0 && holder < 3 ? (uint32_t)holder : 2, first = gone == 0 ? 1 : 0,
             second = gone == 2 ? 1 : 2;
    CHECK_EQ(set_change(c, 3, first, TALLY_TX_VALIDATOR_PROPOSE, -1, 1u << gone, 0), 2);
    CHECK_EQ(set_change(c, first, gone, TALLY_TX_VALIDATOR_APPROVE, -1, 0, 2), 1);
    CHECK_EQ(set_change(c, second, second, TALLY_TX_VALIDATOR_APPROVE, -1, 0, 2), 0);
    uint64_t retired_at = 0;
    REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &retired_at));
    CHECK(file_says(c->nodes[gone].stderr_path, "no longer a validator of the chain"));
    pay_some(c, 8, 7, expected);
    REQUIRE(cluster_wait_same_tip(c, retired_at + 1, 60000, &tip));
    CHECK(wait_cosigned(c, first, tip, 0xF & ~(1 << gone), 20000)); /* all but the retired one */
    int proposer = cluster_proposer(c, 20000);
    CHECK(proposer >= 0 && proposer != (int)gone);
    /* a retired validator never takes the lease: kill the proposer, another active one does */
    if (proposer >= 0 && proposer != (int)gone) {
        cluster_kill_validator(c, (uint32_t)proposer);
        uint64_t killed_ms = cluster_now_ms();
        pay_some(c, 6, 11, expected);
        int next = cluster_proposer(c, 30000);
        CHECK(next >= 0 && next != (int)gone && next != proposer);
        printf("    validators: validator %u (%s) retired; the proposer %d then killed, validator %d took over in "
               "%llu ms\n",
               gone, holder == (int)gone ? "the proposer, which gave the lease up" : "a follower", proposer, next,
               (unsigned long long)(cluster_now_ms() - killed_ms));
        REQUIRE(cluster_start_validator(c, (uint32_t)proposer));
        /* caught up before payments go to it (it reads the payers' sequences) */
        REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &tip));
    }
    pay_some(c, 4, 13, expected);
    uint64_t same = 0, compared = 0;
    REQUIRE(cluster_wait_same_tip(c, tip + 1, 60000, &same));
    CHECK(cluster_compare(c, &compared));
    CHECK_EQ(compared, same);
    check_balances(c, expected);
    CHECK(cluster_stop_and_verify(c, same));
    printf("    validators: validator 3 added at height %llu (2 of 3 approved), validator %u retired at height %llu "
           "(3 of 4); %llu heights agree and every log verifies\n",
           (unsigned long long)added_at, gone, (unsigned long long)retired_at, (unsigned long long)same);
}

TEST(validators_the_chain_adds_a_validator_and_retires_one_by_a_quorum) {
    validator_cluster c;
    if (cluster_start_named(&c, 3, 4, 3, 3)) set_changes(&c);
    else CHECK(!"the cluster started");
    cluster_stop(&c);
}
