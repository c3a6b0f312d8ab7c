/*
 * test_adversarial_admission.c: attacks on a real node's admission (issue 7,
 * findings 8 and 9), over loopback against build/test/tallyd.
 *
 * Hash flooding: members submit thousands of payments, and a forger thousands of
 * badly signed ones, whose ids are ground so that the node's old status table would
 * have stacked them into one cluster; the node's tables keep every probe short and a
 * payment commits meanwhile. Free junk: 16 keys that belong to no network flood
 * signed transfers as fast as they can; each is refused NOT_MEMBER before its
 * signature is checked, the mempool never holds one and no block carries one, while
 * a payment between members commits. The bound of pending transactions per sender,
 * and the window of signature verdicts (checked once, and never poisoning an id),
 * are shown on the same node. Figures come from /metrics; latencies are printed.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

enum { NETWORK = 1 };

static double now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

static void pause_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static bool text_equal(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* ---- transactions ---- */

/* Binary frames of txs as they are (signed or not). Caller frees. */
static uint8_t *frames_of(const tally_tx *txs, uint32_t count, size_t *length) {
    uint8_t *body = malloc((size_t)count * (2 + TALLY_TX_ENCODED_MAX));
    size_t at = 0;
    for (uint32_t i = 0; body && i < count; i++) {
        size_t encoded = tally_tx_encode(&txs[i], body + at + 2, TALLY_TX_ENCODED_MAX);
        body[at] = (uint8_t)encoded, body[at + 1] = (uint8_t)(encoded >> 8);
        at += 2 + encoded;
    }
    *length = at;
    return body;
}

/* POSTs txs in the binary form; counts the results whose status is `status` (when
 * error_code is NULL) or whose error code is error_code. -1 when the answer is not
 * a 200 with one result per transaction. */
static int post_and_count(const test_node *node, const char *path, const tally_tx *txs, uint32_t count,
                          const char *status, const char *error_code) {
    size_t length;
    uint8_t *body = frames_of(txs, count, &length);
    json_t *answer = NULL;
    long http = body ? harness_request_binary(node, path, body, length, &answer) : 0;
    free(body);
    json_t *results = json_object_get(answer, "results");
    int matching = http == 200 && json_array_size(results) == count ? 0 : -1;
    for (size_t i = 0; matching >= 0 && i < count; i++) {
        json_t *result = json_array_get(results, i);
        bool match = error_code ? text_equal(harness_json_string(result, "error.code"), error_code)
                                : text_equal(harness_json_string(result, "status"), status);
        matching += match;
    }
    json_decref(answer);
    return matching;
}

static tally_tx transfer(const test_node *node, const test_actor *payer, const test_actor *payee, int64_t amount) {
    tally_tx tx = harness_tx(node, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = NETWORK;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = 0;
    return tx;
}

static bool committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long http = harness_submit(node, tx, signer, &result);
    bool ok = http == 200 && text_equal(harness_json_string(result, "status"), "committed");
    if (!ok)
        fprintf(stderr, "    transaction (type %u) not committed: HTTP %ld, %s\n", (unsigned)tx->type, http,
                harness_json_string(result, "error.code") ? harness_json_string(result, "error.code") : "-");
    json_decref(result);
    return ok;
}

/* A network without fees where each member joins with a line of 10,000.00. */
static bool found_network(const test_node *node, const test_actor *founder, const test_actor *members,
                          int member_count) {
    tally_tx tx = harness_tx(node, founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Flood");
    text_set(&tx.body.network_create.unit_code, "FLD");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    if (!committed(node, &tx, founder)) return false;
    for (int i = 0; i < member_count; i++) {
        tx = harness_tx(node, &members[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = NETWORK;
        if (!committed(node, &tx, &members[i])) return false;
    }
    return true;
}

/* Pays 1.00 from payer to payee with wait=commit; true when committed, with the
 * time it took. */
static bool timed_payment(const test_node *node, const test_actor *payer, const test_actor *payee, double *ms) {
    tally_tx tx = transfer(node, payer, payee, 100);
    double start = now_ms();
    bool ok = committed(node, &tx, payer);
    *ms = now_ms() - start;
    return ok;
}


/* ---- finding 8: ids ground to collide ---- */

#define OLD_SLOTS (1u << 18) /* the status table's slots; the old scheme's home was id[0..8) mod this */
#define WINDOW 4096u
#define GRINDERS 8
#define GROUND_PER_MEMBER 1000u
#define FORGED_BATCHES 3

/* Varies the memo of tx until its id's old home slot is in [target, target + WINDOW). */
static void grind(tally_tx *tx, uint32_t target, uint32_t *counter) {
    for (;;) {
        char memo[32];
        snprintf(memo, sizeof memo, "ground %u", (*counter)++);
        text_set(&tx->body.transfer.memo, memo);
        uint8_t id[TALLY_HASH_BYTES];
        tally_tx_hash(tx, id);
        uint64_t start;
        memcpy(&start, id, sizeof start);
        if ((((uint32_t)start - target) & (OLD_SLOTS - 1)) < WINDOW) return;
    }
}

typedef struct {
    const test_node *node;
    const tally_tx *txs;
    uint32_t count;
    const char *path, *status, *error_code;
    int matching;
} poster;

static void *post_main(void *context) {
    poster *p = context;
    p->matching = post_and_count(p->node, p->path, p->txs, p->count, p->status, p->error_code);
    return NULL;
}

typedef struct {
    const test_node *node;
    volatile bool stop;
    double slowest_block_s, most_pending;
} watcher;

/* Polls /metrics: the slowest block and the fullest mempool seen. */
static void *watch_main(void *context) {
    watcher *w = context;
    while (!w->stop) {
        char *text = harness_get_text(w->node, "/metrics");
        if (text) {
            double block = harness_metric_in(text, "tally_block_seconds"), pending = harness_metric_in(text, "tally_mempool_transactions");
            if (block > w->slowest_block_s) w->slowest_block_s = block;
            if (pending > w->most_pending) w->most_pending = pending;
        }
        free(text);
        pause_ms(20);
    }
    return NULL;
}

TEST(hardening_08_ids_ground_to_collide_do_not_slow_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor founder = actor(1), members[GRINDERS + 3];
    for (int i = 0; i < GRINDERS + 3; i++) members[i] = actor(10 + (uint32_t)i);
    const test_actor *alice = &members[GRINDERS], *bob = &members[GRINDERS + 1], *forger = &members[GRINDERS + 2];
    REQUIRE(found_network(&node, &founder, members, GRINDERS + 3));

    /* Each grinder pipelines 1000 payments (to the next grinder), the forger 3
     * batches of 1000 with random signatures; every id lands in one window of 4096
     * of the status table's 262,144 slots under the old scheme. */
    uint32_t target = randombytes_uniform(OLD_SLOTS), counter = 0;
    tally_tx *ground = calloc(GRINDERS * GROUND_PER_MEMBER, sizeof *ground);
    tally_tx *forged = calloc(FORGED_BATCHES * GROUND_PER_MEMBER, sizeof *forged);
    REQUIRE(ground && forged);
    double grind_start = now_ms();
    for (int g = 0; g < GRINDERS; g++) {
        tally_tx first = transfer(&node, &members[g], &members[(g + 1) % GRINDERS], 1);
        for (uint32_t i = 0; i < GROUND_PER_MEMBER; i++) {
            tally_tx *tx = &ground[(uint32_t)g * GROUND_PER_MEMBER + i];
            *tx = first;
            tx->sequence = first.sequence + i;
            grind(tx, target, &counter);
            tally_tx_sign(tx, members[g].secret);
        }
    }
    tally_tx theft = transfer(&node, forger, alice, 1);
    for (uint32_t i = 0; i < FORGED_BATCHES * GROUND_PER_MEMBER; i++) {
        forged[i] = theft;
        grind(&forged[i], target, &counter);
        randombytes_buf(forged[i].signature, sizeof forged[i].signature);
    }
    double grind_ms = now_ms() - grind_start;
    double checks_before = harness_metric(&node, "tally_signature_checks_total");

    watcher w = {.node = &node};
    pthread_t watch, threads[GRINDERS + FORGED_BATCHES];
    poster posters[GRINDERS + FORGED_BATCHES];
    REQUIRE(pthread_create(&watch, NULL, watch_main, &w) == 0);
    for (int p = 0; p < GRINDERS + FORGED_BATCHES; p++) {
        bool is_forged = p >= GRINDERS;
        posters[p] = (poster){&node,
                              is_forged ? forged + (uint32_t)(p - GRINDERS) * GROUND_PER_MEMBER
                                        : ground + (uint32_t)p * GROUND_PER_MEMBER,
                              GROUND_PER_MEMBER,
                              is_forged ? "/v1/transactions" : "/v1/transactions?wait=commit",
                              "committed",
                              is_forged ? "BAD_SIGNATURE" : NULL,
                              -1};
        REQUIRE(pthread_create(&threads[p], NULL, post_main, &posters[p]) == 0);
    }
    pause_ms(100);
    double payment_ms = 0;
    CHECK(timed_payment(&node, alice, bob, &payment_ms));
    int ground_committed = 0, forged_refused = 0;
    for (int p = 0; p < GRINDERS + FORGED_BATCHES; p++) {
        pthread_join(threads[p], NULL);
        if (p < GRINDERS) CHECK_EQ(posters[p].matching, GROUND_PER_MEMBER);
        else CHECK_EQ(posters[p].matching, GROUND_PER_MEMBER);
        if (p < GRINDERS) ground_committed += posters[p].matching;
        else forged_refused += posters[p].matching;
    }
    /* the forged ones again: refused without a second signature check */
    double checks_between = harness_metric(&node, "tally_signature_checks_total");
    CHECK_EQ(post_and_count(&node, "/v1/transactions", forged, GROUND_PER_MEMBER, NULL, "BAD_SIGNATURE"),
             GROUND_PER_MEMBER);
    double checks_after = harness_metric(&node, "tally_signature_checks_total");
    w.stop = true;
    pthread_join(watch, NULL);

    char *text = harness_get_text(&node, "/metrics");
    REQUIRE(text != NULL);
    double statuses = harness_metric_in(text, "tally_hash_probe_longest{table=\"statuses\"}");
    double verdicts = harness_metric_in(text, "tally_hash_probe_longest{table=\"verdicts\"}");
    double pending = harness_metric_in(text, "tally_hash_probe_longest{table=\"pending\"}");
    free(text);
    /* Under the old scheme every lookup of these ids walked one cluster of up to
     * 11,000 slots under the node's lock; keyed, a few slots. */
    CHECK(statuses >= 1 && statuses <= 32);
    CHECK(verdicts >= 1 && verdicts <= 32);
    CHECK(pending >= 1 && pending <= 32);
    CHECK(checks_between - checks_before >= ground_committed + forged_refused);
    CHECK_EQ(checks_after - checks_between, 0);
    CHECK(payment_ms < 10000);
    printf("    %u ids ground in %.0f ms into %u of %u status slots: %d payments committed, %d forged refused "
           "(again: %.0f signature checks); longest probe: statuses %.0f, verdicts %.0f, pending %.0f; slowest "
           "block %.0f ms; a payment between members committed in %.0f ms meanwhile\n",
           (GRINDERS + FORGED_BATCHES) * GROUND_PER_MEMBER, grind_ms, WINDOW, OLD_SLOTS, ground_committed,
           forged_refused, checks_after - checks_between, statuses, verdicts, pending, w.slowest_block_s * 1e3,
           payment_ms);
    free(ground);
    free(forged);
    CHECK(harness_stop_and_verify(&node));
}

/* ---- finding 9: free junk ---- */

#define JUNK_KEYS 16
#define JUNK_BATCHES 4
#define JUNK_BATCH 256
#define FLOOD_MS 3000

typedef struct {
    const test_node *node;
    const tally_tx *batches[JUNK_BATCHES];
    volatile bool *stop;
    long submitted, not_member, other;
} flooder;

/* Sends its batches round and round, as fast as the node answers. */
static void *flood_main(void *context) {
    flooder *f = context;
    for (int b = 0; !*f->stop; b = (b + 1) % JUNK_BATCHES) {
        int not_member = post_and_count(f->node, "/v1/transactions", f->batches[b], JUNK_BATCH, NULL, "NOT_MEMBER");
        f->submitted += JUNK_BATCH;
        if (not_member < 0) f->other += JUNK_BATCH;
        else f->not_member += not_member, f->other += JUNK_BATCH - not_member;
    }
    return NULL;
}

/* Whether any block above `from` holds a transaction signed by one of keys. */
static int blocks_holding(const test_node *node, uint64_t from, const test_actor *keys, int key_count, int *blocks) {
    json_t *status = NULL;
    harness_request(node, "GET", "/v1/status", NULL, 0, &status);
    int64_t tip = harness_json_int(status, "height");
    json_decref(status);
    char addresses[JUNK_KEYS][TALLY_ADDRESS_LENGTH + 1];
    for (int k = 0; k < key_count; k++) tally_address_encode(&keys[k].key, addresses[k]);
    int found = 0;
    *blocks = 0;
    for (int64_t height = (int64_t)from + 1; height <= tip; height++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/blocks/%lld", (long long)height);
        json_t *block = NULL;
        if (harness_request(node, "GET", path, NULL, 0, &block) != 200) found++;
        json_t *txs = json_object_get(block, "transactions");
        for (size_t i = 0; i < json_array_size(txs); i++)
            for (int k = 0; k < key_count; k++)
                found += text_equal(harness_json_string(json_array_get(txs, i), "signer"), addresses[k]);
        json_decref(block);
        (*blocks)++;
    }
    return found;
}

TEST(hardening_09_strangers_flooding_transfers_cost_no_signature_check_and_reach_no_block) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor founder = actor(1), members[2] = {actor(2), actor(3)};
    REQUIRE(found_network(&node, &founder, members, 2));

    /* 16 keys no network knows, each with 4 batches of 256 signed transfers to a
     * member, sequences 1..256 (what the chain would expect of a fresh key) */
    test_actor junk[JUNK_KEYS];
    tally_tx *txs = calloc(JUNK_KEYS * JUNK_BATCHES * JUNK_BATCH, sizeof *txs);
    REQUIRE(txs != NULL);
    flooder flooders[JUNK_KEYS];
    volatile bool stop = false;
    for (int k = 0; k < JUNK_KEYS; k++) {
        junk[k] = actor(1000 + (uint32_t)k);
        flooders[k] = (flooder){.node = &node, .stop = &stop};
        for (int b = 0; b < JUNK_BATCHES; b++) {
            tally_tx *batch = txs + ((size_t)k * JUNK_BATCHES + (size_t)b) * JUNK_BATCH;
            for (int i = 0; i < JUNK_BATCH; i++) {
                tally_tx *tx = &batch[i];
                memset(tx, 0, sizeof *tx);
                tx->type = TALLY_TX_TRANSFER;
                memcpy(tx->chain_id, node.chain_id, sizeof tx->chain_id);
                tx->signer = junk[k].key;
                tx->sequence = 1 + (uint64_t)i;
                tx->body.transfer.network_id = NETWORK;
                tx->body.transfer.payee = members[0].key;
                tx->body.transfer.amount = 1 + b;
                tx->body.transfer.max_fee = 100;
                tally_tx_sign(tx, junk[k].secret);
            }
            flooders[k].batches[b] = batch;
        }
    }
    json_t *status = NULL;
    harness_request(&node, "GET", "/v1/status", NULL, 0, &status);
    int64_t height_before = harness_json_int(status, "height");
    json_decref(status);
    char *text = harness_get_text(&node, "/metrics");
    REQUIRE(text != NULL);
    double checks_before = harness_metric_in(text, "tally_signature_checks_total");
    double not_member_before = harness_metric_in(text, "tally_admission_refused_total{reason=\"NOT_MEMBER\"}");
    if (not_member_before < 0) not_member_before = 0; /* a reason appears once it has refused something */
    free(text);

    watcher w = {.node = &node};
    pthread_t watch, threads[JUNK_KEYS];
    REQUIRE(pthread_create(&watch, NULL, watch_main, &w) == 0);
    double start = now_ms();
    for (int k = 0; k < JUNK_KEYS; k++) REQUIRE(pthread_create(&threads[k], NULL, flood_main, &flooders[k]) == 0);
    pause_ms(FLOOD_MS / 3);
    double payment_ms = 0;
    CHECK(timed_payment(&node, &members[1], &members[0], &payment_ms));
    while (now_ms() - start < FLOOD_MS) pause_ms(50);
    stop = true;
    long submitted = 0, not_member = 0, other = 0;
    for (int k = 0; k < JUNK_KEYS; k++) {
        pthread_join(threads[k], NULL);
        submitted += flooders[k].submitted, not_member += flooders[k].not_member, other += flooders[k].other;
    }
    double flood_ms = now_ms() - start;
    w.stop = true;
    pthread_join(watch, NULL);

    text = harness_get_text(&node, "/metrics");
    REQUIRE(text != NULL);
    double checks = harness_metric_in(text, "tally_signature_checks_total") - checks_before;
    double refused = harness_metric_in(text, "tally_admission_refused_total{reason=\"NOT_MEMBER\"}") - not_member_before;
    free(text);
    int blocks = 0;
    int junk_in_blocks = blocks_holding(&node, (uint64_t)height_before, junk, JUNK_KEYS, &blocks);

    CHECK(submitted >= JUNK_KEYS * JUNK_BATCH);
    CHECK_EQ(other, 0);                   /* every one refused, NOT_MEMBER */
    CHECK_EQ(not_member, submitted);
    CHECK_EQ((long)refused, submitted);   /* counted by reason in /metrics */
    CHECK(checks >= 1 && checks <= 2);    /* the member's payment, and nothing of the junk */
    CHECK(w.most_pending <= 1);           /* the mempool held the payment at most */
    CHECK_EQ(junk_in_blocks, 0);
    CHECK(payment_ms < 5000);
    printf("    %ld signed transfers from %d keys of no network in %.1f s (%.0f/s): all refused NOT_MEMBER at "
           "admission with %.0f signature checks in all (the member's payment), mempool at most %.0f, none in the "
           "%d blocks made meanwhile; a payment between members committed in %.0f ms during the flood\n",
           submitted, JUNK_KEYS, flood_ms / 1e3, (double)submitted / (flood_ms / 1e3), checks, w.most_pending, blocks,
           payment_ms);
    free(txs);
    CHECK(harness_stop_and_verify(&node));
}

TEST(hardening_09_pending_transactions_per_sender_are_bounded) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor founder = actor(1), members[2] = {actor(2), actor(3)};
    REQUIRE(found_network(&node, &founder, members, 2));
    CHECK_EQ((long)harness_metric(&node, "tally_mempool_per_sender"), 1024); /* the default */
    /* Again with a bound of 8 and slow blocks (the first one 3 s after the start:
     * --block-min-ms, since a block is otherwise made at once), so that what is
     * pending stays pending while it is counted. */
    CHECK_EQ(harness_stop(&node), 0);
    const char *const arguments[] = {"--mempool-per-sender", "8", "--block-ms", "3000", "--block-min-ms", "3000",
                                     NULL};
    REQUIRE(harness_start(&node, arguments));
    CHECK_EQ((long)harness_metric(&node, "tally_mempool_per_sender"), 8);

    /* alice pipelines 12 payments in one batch: 8 are admitted, 4 are refused */
    tally_tx txs[13];
    tally_tx first = transfer(&node, &members[0], &members[1], 1);
    for (int i = 0; i < 13; i++) {
        txs[i] = first;
        txs[i].sequence = first.sequence + (uint64_t)i;
        tally_tx_sign(&txs[i], members[0].secret);
    }
    size_t length;
    uint8_t *body = frames_of(txs, 12, &length);
    json_t *answer = NULL;
    CHECK_EQ(harness_request_binary(&node, "/v1/transactions", body, length, &answer), 200);
    free(body);
    json_t *results = json_object_get(answer, "results");
    CHECK_EQ(json_array_size(results), 12);
    for (size_t i = 0; i < 12; i++) {
        json_t *result = json_array_get(results, i);
        if (i < 8) CHECK(text_equal(harness_json_string(result, "status"), "pending"));
        else CHECK(text_equal(harness_json_string(result, "error.code"), "SENDER_PENDING_FULL"));
    }
    json_decref(answer);
    /* one more, alone: 429 with the code at the top */
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t encoded = tally_tx_encode(&txs[8], bytes, sizeof bytes);
    char hex[2 * TALLY_TX_ENCODED_MAX + 1], json_body[2 * TALLY_TX_ENCODED_MAX + 16];
    sodium_bin2hex(hex, sizeof hex, bytes, encoded);
    snprintf(json_body, sizeof json_body, "{\"tx\":\"%s\"}", hex);
    CHECK_EQ(harness_request(&node, "POST", "/v1/transactions", json_body, strlen(json_body), &answer), 429);
    CHECK(text_equal(harness_json_string(answer, "error.code"), "SENDER_PENDING_FULL"));
    CHECK(harness_json_string(answer, "error.message") != NULL);
    json_decref(answer);
    CHECK_EQ((long)harness_metric(&node, "tally_admission_refused_total{reason=\"SENDER_PENDING_FULL\"}"), 5);
    /* another sender is not held up by alice's bound */
    double payment_ms = 0;
    CHECK(timed_payment(&node, &members[1], &members[0], &payment_ms));
    /* once alice's 8 are committed, she pipelines the rest */
    tally_tx rest[5];
    memcpy(rest, txs + 8, sizeof rest);
    CHECK_EQ(post_and_count(&node, "/v1/transactions?wait=commit", rest, 5, "committed", NULL), 5);
    printf("    a bound of 8: 8 of 12 pipelined payments admitted, 4 refused SENDER_PENDING_FULL (a 13th alone: 429); "
           "another sender's payment committed in %.0f ms; after the block the next 5 commit\n",
           payment_ms);
    CHECK(harness_stop_and_verify(&node));
}

TEST(hardening_09_a_refused_signature_is_checked_once_and_cannot_poison_its_id) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor founder = actor(1), members[2] = {actor(2), actor(3)};
    test_actor *alice = &members[0], *bob = &members[1];
    REQUIRE(found_network(&node, &founder, members, 2));

    /* alice's payment with a forged signature, four times: one check */
    tally_tx payment = transfer(&node, alice, bob, 500);
    tally_tx forged = payment;
    randombytes_buf(forged.signature, sizeof forged.signature);
    double checks = harness_metric(&node, "tally_signature_checks_total");
    double saved = harness_metric(&node, "tally_signature_checks_saved_total");
    for (int i = 0; i < 4; i++) CHECK_EQ(post_and_count(&node, "/v1/transactions", &forged, 1, NULL, "BAD_SIGNATURE"), 1);
    CHECK_EQ(harness_metric(&node, "tally_signature_checks_total") - checks, 1);
    CHECK_EQ(harness_metric(&node, "tally_signature_checks_saved_total") - saved, 3);
    /* the same id with alice's own signature is not poisoned by the forgery */
    tally_tx_sign(&payment, alice->secret);
    CHECK_EQ(post_and_count(&node, "/v1/transactions?wait=commit", &payment, 1, "committed", NULL), 1);

    /* A refusal that can change later is not kept: alice spends all her credit and,
     * in the same batch, 1.00 more (refused for credit, after its signature check). */
    json_t *account = NULL;
    char address[TALLY_ADDRESS_LENGTH + 1], path[200];
    tally_address_encode(&alice->key, address);
    snprintf(path, sizeof path, "/v1/networks/%d/accounts/%s", NETWORK, address);
    harness_request(&node, "GET", path, NULL, 0, &account);
    int64_t available = harness_json_int(account, "available");
    json_decref(account);
    REQUIRE(available > 0);
    tally_tx pair[2] = {transfer(&node, alice, bob, available), transfer(&node, alice, bob, 100)};
    pair[1].sequence = pair[0].sequence + 1;
    tally_tx_sign(&pair[0], alice->secret);
    tally_tx_sign(&pair[1], alice->secret);
    checks = harness_metric(&node, "tally_signature_checks_total");
    CHECK_EQ(post_and_count(&node, "/v1/transactions?wait=commit", pair, 2, "committed", NULL), 1);
    CHECK_EQ(post_and_count(&node, "/v1/transactions", pair + 1, 1, NULL, "INSUFFICIENT_CREDIT"), 1);
    CHECK_EQ(harness_metric(&node, "tally_signature_checks_total") - checks, 2);
    /* bob pays alice back: the same bytes commit now, and their signature is not
     * checked again */
    tally_tx back = transfer(&node, bob, alice, 200);
    CHECK(committed(&node, &back, bob));
    checks = harness_metric(&node, "tally_signature_checks_total");
    CHECK_EQ(post_and_count(&node, "/v1/transactions?wait=commit", pair + 1, 1, "committed", NULL), 1);
    CHECK_EQ(harness_metric(&node, "tally_signature_checks_total") - checks, 0);
    printf("    a forged signature sent 4 times: checked once; the real one then commits; a payment refused for "
           "credit commits later from the same bytes without a second check\n");
    CHECK(harness_stop_and_verify(&node));
}
