/*
 * test_node_faults.c: a running node whose disk fails. The sanitizer build of tallyd
 * arms the store's file fault hook from TALLY_FAULTS (see tallyd_main.c), so while
 * two payers stream payments the Nth fsync fails, a write is cut short, the process
 * dies in the middle of a write, or the disk fills up. In each case: every payment
 * the node answered "committed" is in the chain after a restart, the payments of
 * the block that failed (or sent after it) are answered 503 NODE_FAILED and are
 * not, one sent as the process died may be either, the node stops serving and
 * exits non-zero by itself, and a restart without the fault recovers at the last
 * durable block, serves the balances the acknowledged payments make, and its chain
 * verifies from the genesis.
 */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

#define PAYERS 2
#define MEMBERS 3
#define PAYMENTS_MAX 400 /* per payer; the fault ends the stream long before */

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

typedef struct {
    uint8_t id[TALLY_HASH_BYTES];
    int payee;
    int64_t amount;
} payment;

/* One payer's stream and what the node answered. Written by its thread only. */
typedef struct {
    const test_node *node;
    int payer;
    test_actor actors[MEMBERS];
    payment acknowledged[PAYMENTS_MAX];
    int acknowledged_count;
    payment failed[8]; /* answered 503 NODE_FAILED, or left pending by the failed node */
    int failed_count;
    /* Sent when the node died, no answer came: durable or not (a block is made at
     * once, so it may be written before its answer goes out). */
    payment unanswered;
    bool has_unanswered;
    int node_failed_count; /* of them, answered 503 NODE_FAILED */
    long status_after_failure; /* GET /v1/status right after the 503 */
    long unexpected;           /* an HTTP status that is none of 200, 503, 0 */
    char unexpected_code[64];  /* and the error code it carried */
} stream;

static const char *result_code(json_t *result) { return harness_json_string(result, "error.code"); }

/* harness_submit, but a refusal of the request itself (a node that failed before
 * the payment reached it answers 503 NODE_FAILED without results) is the result. */
static long submit(const test_node *node, tally_tx *tx, const test_actor *signer, json_t **result) {
    tally_tx_sign(tx, signer->secret);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    char hex[2 * TALLY_TX_ENCODED_MAX + 1], body[2 * TALLY_TX_ENCODED_MAX + 32];
    sodium_bin2hex(hex, sizeof hex, bytes, length);
    int body_length = snprintf(body, sizeof body, "{\"tx\":\"%s\"}", hex);
    json_t *response = NULL;
    long status = harness_request(node, "POST", "/v1/transactions?wait=commit", body, (size_t)body_length, &response);
    json_t *first = json_array_get(json_object_get(response, "results"), 0);
    *result = first ? json_incref(first) : response ? json_incref(response) : NULL;
    json_decref(response);
    return status;
}

static void *pay(void *context) {
    stream *s = context;
    const test_actor *payer = &s->actors[s->payer];
    tally_tx tx = harness_tx(s->node, payer, TALLY_TX_TRANSFER);
    for (int i = 0; i < PAYMENTS_MAX; i++) {
        int payee = (s->payer + 1 + i % (MEMBERS - 1)) % MEMBERS;
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = s->actors[payee].key;
        tx.body.transfer.amount = 1 + i % 9;
        json_t *result = NULL;
        long status = submit(s->node, &tx, payer, &result);
        payment made = {.payee = payee, .amount = tx.body.transfer.amount};
        tally_tx_hash(&tx, made.id);
        const char *state = harness_json_string(result, "status");
        bool committed = status == 200 && state && strcmp(state, "committed") == 0;
        bool node_failed = status == 503 && result_code(result) && strcmp(result_code(result), "NODE_FAILED") == 0;
        if (status != 200 && !node_failed && result_code(result))
            snprintf(s->unexpected_code, sizeof s->unexpected_code, "%s (available %lld, sent %llu, payment %d)",
                     result_code(result), (long long)harness_json_int(result, "error.available"),
                     (unsigned long long)tx.sequence, i);
        json_decref(result);
        if (committed) {
            s->acknowledged[s->acknowledged_count++] = made;
            tx.sequence++;
            continue;
        }
        bool pending = status == 200 && state && strcmp(state, "pending") == 0;
        if (node_failed || pending) s->failed[s->failed_count++] = made;
        if (status == 0) s->unanswered = made, s->has_unanswered = true;
        if (node_failed) {
            s->node_failed_count++;
            s->status_after_failure = harness_request(s->node, "GET", "/v1/status", NULL, 0, NULL);
        } else if (status != 0 && !pending) {
            /* Not an answer this test expects (see the report below): note it, read
             * the sequence again and go on, so the stream still drives the node to
             * its fault. */
            s->unexpected = status;
            tally_tx fresh = harness_tx(s->node, payer, TALLY_TX_TRANSFER);
            tx.sequence = fresh.sequence;
            continue;
        }
        break; /* the node failed or is gone */
    }
    return NULL;
}

static long submit_committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    const char *state = harness_json_string(result, "status");
    if (status == 200 && (!state || strcmp(state, "committed") != 0)) status = -1;
    json_decref(result);
    return status;
}

/* A network with open membership and lines of 10,000.00: what the payments need. */
static bool make_network(const test_node *node, const test_actor *actors) {
    test_actor op = actor(0);
    tally_tx tx = harness_tx(node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Faults");
    text_set(&tx.body.network_create.unit_code, "FLT");
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    if (submit_committed(node, &tx, &op) != 200) return false;
    for (int m = 0; m < MEMBERS; m++) {
        tx = harness_tx(node, &actors[m], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        if (submit_committed(node, &tx, &actors[m]) != 200) return false;
    }
    return true;
}

/* Waits for the node to exit by itself; its exit status, or -1 after timeout_ms. */
static int wait_exit(test_node *node, long timeout_ms) {
    for (long waited = 0; waited <= timeout_ms; waited += 20) {
        int status = 0;
        if (waitpid(node->pid, &status, WNOHANG) == node->pid) {
            node->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        sleep_ms(20);
    }
    return -1;
}

/* Whether each id is in a block of the log in data (opened read-only). */
static void find_in_log(const char *data, const payment *payments, int count, bool *found) {
    memset(found, 0, (size_t)count * sizeof *found);
    tally_blocklog *log = NULL;
    tally_blocklog_options options = {.read_only = true};
    tally_chain_failure failure;
    if (tally_blocklog_open(data, &options, &log, &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return;
    }
    tally_block block;
    tally_block_init(&block);
    for (uint64_t height = 1; height < tally_blocklog_count(log); height++) {
        if (tally_blocklog_read(log, height, &block, &failure) != TALLY_CHAIN_OK) {
            test_fail(__FILE__, __LINE__, failure.message);
            break;
        }
        for (uint32_t t = 0; t < block.header.tx_count; t++) {
            uint8_t id[TALLY_HASH_BYTES];
            tally_tx_hash(&block.txs[t], id);
            for (int i = 0; i < count; i++)
                if (memcmp(id, payments[i].id, TALLY_HASH_BYTES) == 0) found[i] = true;
        }
    }
    tally_block_release(&block);
    tally_blocklog_close(log);
}

static int64_t balance(const test_node *node, const test_actor *who) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&who->key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", address);
    json_t *answer = NULL;
    harness_request(node, "GET", path, NULL, 0, &answer);
    int64_t value = harness_json_int(answer, "balance");
    json_decref(answer);
    return value;
}

static void run_with_faults(const char *faults, const char *const *arguments) {
    printf("    TALLY_FAULTS=%s\n", faults);
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(setenv("TALLY_FAULTS", faults, 1) == 0);
    bool started = harness_start(&node, arguments);
    unsetenv("TALLY_FAULTS");
    REQUIRE(started);
    stream *streams = calloc(PAYERS, sizeof *streams);
    REQUIRE(streams != NULL);
    for (int p = 0; p < PAYERS; p++) {
        streams[p].node = &node;
        streams[p].payer = p;
        for (int m = 0; m < MEMBERS; m++) streams[p].actors[m] = actor(1 + (uint32_t)m);
    }
    REQUIRE(make_network(&node, streams[0].actors));
    pthread_t threads[PAYERS];
    for (int p = 0; p < PAYERS; p++) REQUIRE(pthread_create(&threads[p], NULL, pay, &streams[p]) == 0);
    for (int p = 0; p < PAYERS; p++) pthread_join(threads[p], NULL);

    /* the node stops by itself, with a failure status */
    int exit_status = wait_exit(&node, 20000);
    if (exit_status < 0) harness_kill(&node);
    CHECK_EQ(exit_status, 1);
    int acknowledged = 0, failed = 0;
    for (int p = 0; p < PAYERS; p++) {
        /* Every answer is committed, 503 or no connection. (This check caught the
         * node routing concurrent requests wrongly: its path splitting used strtok.) */
        if (streams[p].unexpected)
            printf("    payer %d: unexpected answer %ld %s\n", p, streams[p].unexpected, streams[p].unexpected_code);
        CHECK_EQ(streams[p].unexpected, 0);
        acknowledged += streams[p].acknowledged_count;
        failed += streams[p].node_failed_count;
        /* right after the failure, the node serves nothing: 503, or it is gone */
        if (streams[p].node_failed_count > 0)
            CHECK(streams[p].status_after_failure == 503 || streams[p].status_after_failure == 0);
    }
    CHECK(acknowledged >= 3); /* payments were committed before the fault */
    /* The block that failed is answered 503, unless the node was already gone when the
     * clients asked (then they see no connection): both are fine, so only reported. */
    printf("    %d payments acknowledged, %d answered 503 NODE_FAILED\n", acknowledged, failed);

    /* every acknowledged payment is in the log; none answered 503 or pending is; one
     * sent as the node died may be, and counts when it is */
    char data[300];
    snprintf(data, sizeof data, "%s/data", node.directory);
    int64_t model[MEMBERS] = {0};
    int missing = 0, failed_present = 0;
    for (int p = 0; p < PAYERS; p++) {
        stream *s = &streams[p];
        bool found[PAYMENTS_MAX];
        find_in_log(data, s->acknowledged, s->acknowledged_count, found);
        for (int i = 0; i < s->acknowledged_count; i++) {
            missing += !found[i];
            model[s->payer] -= s->acknowledged[i].amount;
            model[s->acknowledged[i].payee] += s->acknowledged[i].amount;
        }
        find_in_log(data, s->failed, s->failed_count, found);
        for (int i = 0; i < s->failed_count; i++) failed_present += found[i];
        if (s->has_unanswered) {
            find_in_log(data, &s->unanswered, 1, found);
            if (found[0]) model[s->payer] -= s->unanswered.amount, model[s->unanswered.payee] += s->unanswered.amount;
        }
    }
    CHECK_EQ(missing, 0);
    CHECK_EQ(failed_present, 0);

    /* a restart without the fault recovers: same payments, balances of the model */
    REQUIRE(harness_start(&node, arguments));
    for (int m = 0; m < MEMBERS; m++) CHECK_EQ(balance(&node, &streams[0].actors[m]), model[m]);
    for (int p = 0; p < PAYERS; p++) {
        for (int i = 0; i < streams[p].acknowledged_count; i++) {
            char hex[2 * TALLY_HASH_BYTES + 1], path[128];
            for (unsigned b = 0; b < TALLY_HASH_BYTES; b++) sprintf(hex + 2 * b, "%02x", streams[p].acknowledged[i].id[b]);
            snprintf(path, sizeof path, "/v1/transactions/%s", hex);
            json_t *answer = NULL;
            CHECK_EQ(harness_request(&node, "GET", path, NULL, 0, &answer), 200);
            const char *state = harness_json_string(answer, "status");
            CHECK(state && strcmp(state, "committed") == 0);
            json_decref(answer);
        }
    }
    /* and it takes payments again */
    tally_tx tx = harness_tx(&node, &streams[0].actors[0], TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = streams[0].actors[1].key;
    tx.body.transfer.amount = 1;
    CHECK_EQ(submit_committed(&node, &tx, &streams[0].actors[0]), 200);
    CHECK_EQ(harness_stop(&node), 0);
    tally_verify_summary summary;
    tally_chain_failure failure;
    CHECK_EQ(tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    printf("    %d payments acknowledged before the fault, %d answered 503; %llu blocks verify\n", acknowledged,
           failed, (unsigned long long)summary.blocks);
    free(streams);
    harness_remove_directory(&node);
}

/* The setup takes 4 blocks (a network, three members); each payment then makes
 * about one block, so the fault lands in the stream. A snapshot every 3 blocks
 * adds writes, fsyncs and renames of its own. */
static const char *const snapshots[] = {"--snapshot-every", "3", NULL};

TEST(node_faults_failed_fsync_mid_stream) {
    /* Without snapshots: every fsync is then a block's record or its co-signature's,
     * and the failure of either stops the node. (With snapshots, whose fsyncs are not
     * fatal, which one the 26th was hung on timing: the co-signatures are fsynced at
     * most every 100 ms under load, and CI once saw the 26th land on a snapshot and the
     * node run on.) Each block fsyncs its record and its co-signature (issue 14), so the
     * 16th fsync came after only 2 to 4 payments and CI once saw 2; the 26th comes after
     * 7 to 9. */
    run_with_faults("fail_sync=26", NULL);
}

/* A failed snapshot is not fatal: the first snapshot's rename fails, the node goes on
 * making blocks (and snapshots) until the 24th write, block 12's record, is short. */
TEST(node_faults_failed_snapshot_rename_is_not_fatal) { run_with_faults("fail_rename=1,short_write=24", snapshots); }

/* Each block is two writes, its record and then its co-signature (issue 14), and
 * every third a snapshot's: the 24th write is block 12's record, as the 14th
 * was before co-signatures (the 14th is now a snapshot's, whose failure is not
 * fatal). */
TEST(node_faults_short_write_mid_stream) { run_with_faults("short_write=24", snapshots); }

TEST(node_faults_crash_mid_write_mid_stream) { run_with_faults("crash_after_bytes=9000", NULL); }

TEST(node_faults_full_disk_mid_stream) { run_with_faults("disk_full_after_bytes=9000", NULL); }

/* The write after it, block 12's co-signature (issue 14): the node stops as well
 * (cosigner.h), every acknowledged payment in its log. */
TEST(node_faults_short_cosignature_write_mid_stream) { run_with_faults("short_write=25", snapshots); }
