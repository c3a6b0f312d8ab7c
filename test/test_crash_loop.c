/*
 * test_crash_loop.c: a node killed with SIGKILL at random moments, again and again,
 * under a steady stream of signed payments. Client threads submit batches of
 * payments from several payers with wait=commit and keep a model: the payments the
 * node answered "committed" count for sure; those in flight at the kill are
 * resolved after the restart by asking the node (GET /v1/transactions/{id}, which
 * falls back to the index). After each kill, while the node is down, every
 * acknowledged payment must be in the block log and the log may only have grown;
 * every few kills the chain is verified from the genesis; after each restart every
 * member's balance and next sequence must be the model's. About one restart in six
 * is itself killed at a random moment of the start (replay, tail cut, index
 * catch-up) first. A second test kills nodes during their very first start.
 *
 * The same loop runs with power cuts instead of kills (the sanitizer build of
 * tallyd arms the file layer's power-loss model from TALLY_POWER_LOSS, see
 * store/power_loss.h): the node's power fails at a seeded operation, aimed in turn
 * at the block log, snapshots, the index or any file, while it serves or while it
 * starts (replay, tail cut, index catch-up), and the disk keeps only what was
 * synced and a seeded part of the rest; the node restarts from what was kept with
 * a new plan. Every check above holds. TALLY_POWER_SEED=N replays a run,
 * TALLY_POWER_CUTS=N changes the number of cuts (default 50). A last test cuts the
 * power at each of the first operations of a first start.
 *
 * TALLY_CRASH_SEED=N replays the kill moments and payments of a run (the seed is
 * printed; thread interleavings still vary), TALLY_CRASH_KILLS=N changes the number
 * of kills (default 50), TALLY_CRASH_VERIFY_EVERY=N how often the whole chain is
 * verified from the genesis (default every 2 kills, and after the last).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

#define MEMBERS 8
#define CLIENTS 4 /* threads; client c pays for members c and c + CLIENTS */
#define PAYMENTS_PER_PAYER_MAX 4 /* in one batch */
#define CYCLE_PAYMENTS_MAX 4096  /* one client's payments between two kills */
#define KILL_DELAY_MAX_MS 500
#define KILLS_DEFAULT 50
#define VERIFY_EVERY_DEFAULT 2
/* One restart in this many is itself killed at a random moment of the start
 * (replay, torn-tail cut, index catch-up) before the real restart. */
#define RESTART_KILL_ONE_IN 6
#define RESTART_KILL_DELAY_MAX_MS 300

static const char *const node_arguments[] = {"--snapshot-every", "5", NULL};

typedef struct {
    uint8_t id[TALLY_HASH_BYTES];
    uint8_t payer, payee;
    int32_t amount;
} payment;

/* A growing list of payments. */
typedef struct {
    payment *items;
    size_t count, capacity;
} payment_list;

static bool list_add(payment_list *list, const payment *p) {
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? 2 * list->capacity : 1024;
        payment *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown) return false;
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->count++] = *p;
    return true;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t env_u64(const char *name, uint64_t fallback) {
    const char *text = getenv(name);
    if (!text || !*text) return fallback;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    return *end ? fallback : (uint64_t)value;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static void hex_of(const uint8_t *bytes, size_t length, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * length] = '\0';
}

/* ------------------------------------------------------------------------ */
/* The clients.                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const test_node *node;
    const test_actor *actors;    /* MEMBERS of them */
    uint64_t *next_sequence;     /* per member: the client's own count */
    int index;
    uint64_t random;
    volatile bool *stop;
    /* this cycle's outcome */
    payment acknowledged[CYCLE_PAYMENTS_MAX];
    size_t acknowledged_count;
    payment uncertain[CYCLE_PAYMENTS_MAX]; /* sent, no final answer: in flight at the kill */
    size_t uncertain_count;
    size_t refused; /* refused by the node: never expected here */
    char refused_reason[160];
    size_t batches;
} client;

/* Builds a batch of 1..PAYMENTS_PER_PAYER_MAX payments from each of the client's
 * payers, consecutive sequences per payer; fills the JSON body. */
static size_t make_batch(client *c, payment *batch, char *body, size_t body_size) {
    size_t count = 0, at = (size_t)snprintf(body, body_size, "{\"txs\":[");
    for (int p = c->index; p < MEMBERS; p += CLIENTS) {
        int payments = 1 + (int)(splitmix64(&c->random) % PAYMENTS_PER_PAYER_MAX);
        for (int k = 0; k < payments; k++) {
            int payee = (p + 1 + (int)(splitmix64(&c->random) % (MEMBERS - 1))) % MEMBERS;
            tally_tx tx;
            memset(&tx, 0, sizeof tx);
            tx.type = TALLY_TX_TRANSFER;
            memcpy(tx.chain_id, c->node->chain_id, TALLY_CHAIN_ID_BYTES);
            tx.signer = c->actors[p].key;
            tx.sequence = c->next_sequence[p] + (uint64_t)k;
            tx.body.transfer.network_id = 1;
            tx.body.transfer.payee = c->actors[payee].key;
            tx.body.transfer.amount = 1 + (int64_t)(splitmix64(&c->random) % 50);
            tally_tx_sign(&tx, c->actors[p].secret);
            uint8_t bytes[TALLY_TX_ENCODED_MAX];
            size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
            payment *made = &batch[count++];
            tally_tx_hash(&tx, made->id);
            made->payer = (uint8_t)p;
            made->payee = (uint8_t)payee;
            made->amount = (int32_t)tx.body.transfer.amount;
            at += (size_t)snprintf(body + at, body_size - at, "%s\"", count > 1 ? "," : "");
            hex_of(bytes, length, body + at);
            at += 2 * length;
            at += (size_t)snprintf(body + at, body_size - at, "\"");
        }
    }
    snprintf(body + at, body_size - at, "]}");
    return count;
}

static void *client_main(void *context) {
    client *c = context;
    enum { BATCH_MAX = PAYMENTS_PER_PAYER_MAX * (MEMBERS / CLIENTS) };
    payment batch[BATCH_MAX];
    char body[BATCH_MAX * (2 * TALLY_TX_ENCODED_MAX + 4) + 32];
    while (!*c->stop && c->acknowledged_count + BATCH_MAX <= CYCLE_PAYMENTS_MAX &&
           c->uncertain_count + BATCH_MAX <= CYCLE_PAYMENTS_MAX) {
        size_t count = make_batch(c, batch, body, sizeof body);
        json_t *answer = NULL;
        long status = harness_request(c->node, "POST", "/v1/transactions?wait=commit", body, strlen(body), &answer);
        json_t *results = json_object_get(answer, "results");
        if (status != 200 || json_array_size(results) != count) {
            /* the node is gone (or answered something else): nothing is known */
            for (size_t i = 0; i < count; i++) c->uncertain[c->uncertain_count++] = batch[i];
            json_decref(answer);
            break;
        }
        c->batches++;
        bool all_committed = true;
        for (size_t i = 0; i < count; i++) {
            const char *state = harness_json_string(json_array_get(results, i), "status");
            if (state && strcmp(state, "committed") == 0) {
                c->acknowledged[c->acknowledged_count++] = batch[i];
                c->next_sequence[batch[i].payer]++;
                continue;
            }
            all_committed = false;
            if (state && strcmp(state, "refused") == 0) {
                /* final: not in the chain. Never expected: the payments are valid. */
                c->refused++;
                const char *code = harness_json_string(json_array_get(results, i), "error.code");
                snprintf(c->refused_reason, sizeof c->refused_reason, "%s", code ? code : "?");
            } else {
                c->uncertain[c->uncertain_count++] = batch[i];
            }
        }
        json_decref(answer);
        if (!all_committed) break; /* sequences are unknown until the restart */
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The checks while the node is down.                                        */
/* ------------------------------------------------------------------------ */

/* What has been read of the log: ids of every transaction in it, sorted; the
 * blocks read and the hash of the last one. */
typedef struct {
    uint8_t (*ids)[TALLY_HASH_BYTES];
    size_t count, capacity;
    uint64_t blocks;
    uint8_t last_hash[TALLY_HASH_BYTES];
} log_seen;

static int compare_ids(const void *a, const void *b) { return memcmp(a, b, TALLY_HASH_BYTES); }

static bool log_has(const log_seen *seen, const uint8_t id[TALLY_HASH_BYTES]) {
    return seen->count > 0 && bsearch(id, seen->ids, seen->count, TALLY_HASH_BYTES, compare_ids) != NULL;
}

/* Reads the blocks added since the last call. The log must only have grown: the
 * block read last is still there with the same hash. */
static bool log_read_new(const char *data, log_seen *seen, char *why, size_t why_size) {
    tally_blocklog *log = NULL;
    tally_blocklog_options options = {.read_only = true};
    tally_chain_failure failure;
    if (tally_blocklog_open(data, &options, &log, &failure) != TALLY_CHAIN_OK) {
        snprintf(why, why_size, "the log does not open: %s", failure.message);
        return false;
    }
    bool ok = true;
    uint64_t count = tally_blocklog_count(log);
    if (count < seen->blocks) {
        snprintf(why, why_size, "the log shrank from %llu to %llu blocks", (unsigned long long)seen->blocks,
                 (unsigned long long)count);
        ok = false;
    }
    if (ok && seen->blocks > 0) {
        tally_block_header header;
        uint8_t hash[TALLY_HASH_BYTES];
        ok = tally_blocklog_header(log, seen->blocks - 1, &header, hash, &failure) == TALLY_CHAIN_OK &&
             memcmp(hash, seen->last_hash, TALLY_HASH_BYTES) == 0;
        if (!ok) snprintf(why, why_size, "block %llu changed", (unsigned long long)seen->blocks - 1);
    }
    tally_block block;
    tally_block_init(&block);
    for (uint64_t height = seen->blocks; ok && height < count; height++) {
        if (tally_blocklog_read(log, height, &block, &failure) != TALLY_CHAIN_OK) {
            snprintf(why, why_size, "%s", failure.message);
            ok = false;
            break;
        }
        for (uint32_t t = 0; t < block.header.tx_count; t++) {
            if (seen->count == seen->capacity) {
                size_t capacity = seen->capacity ? 2 * seen->capacity : 4096;
                void *grown = realloc(seen->ids, capacity * TALLY_HASH_BYTES);
                if (!grown) {
                    snprintf(why, why_size, "out of memory");
                    ok = false;
                    break;
                }
                seen->ids = grown;
                seen->capacity = capacity;
            }
            tally_tx_hash(&block.txs[t], seen->ids[seen->count++]);
        }
        tally_block_hash(&block.header, seen->last_hash);
        seen->blocks = height + 1;
    }
    tally_block_release(&block);
    tally_blocklog_close(log);
    qsort(seen->ids, seen->count, TALLY_HASH_BYTES, compare_ids);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Talking to the restarted node.                                            */
/* ------------------------------------------------------------------------ */

/* "committed", "not found" or NULL (something else) for a payment's id. */
static const char *ask_status(const test_node *node, const uint8_t id[TALLY_HASH_BYTES]) {
    char hex[2 * TALLY_HASH_BYTES + 1], path[128];
    hex_of(id, TALLY_HASH_BYTES, hex);
    snprintf(path, sizeof path, "/v1/transactions/%s", hex);
    json_t *answer = NULL;
    long status = harness_request(node, "GET", path, NULL, 0, &answer);
    const char *state = harness_json_string(answer, "status");
    const char *what = NULL;
    if (status == 200 && state && strcmp(state, "committed") == 0) what = "committed";
    else if (status == 404) what = "not found";
    json_decref(answer);
    return what;
}

static bool member_view(const test_node *node, const test_actor *who, int64_t *balance, uint64_t *next_sequence) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&who->key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", address);
    json_t *answer = NULL;
    harness_request(node, "GET", path, NULL, 0, &answer);
    *balance = harness_json_int(answer, "balance");
    json_decref(answer);
    snprintf(path, sizeof path, "/v1/accounts/%s", address);
    harness_request(node, "GET", path, NULL, 0, &answer);
    int64_t next = harness_json_int(answer, "next_sequence");
    json_decref(answer);
    *next_sequence = next > 0 ? (uint64_t)next : 0;
    return *balance != INT64_MIN && next > 0;
}

static long submit_committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    const char *state = harness_json_string(result, "status");
    if (status == 200 && (!state || strcmp(state, "committed") != 0)) status = -1;
    json_decref(result);
    return status;
}

/* When a restart fails, why: the store says it when asked directly. */
static void explain_failed_start(const char *data) {
    tally_store_options options = {.read_only = true};
    tally_store *store = NULL;
    tally_chain_failure failure;
    if (tally_store_open(data, &options, &store, &failure) != TALLY_CHAIN_OK)
        fprintf(stderr, "    the data directory does not open: %s\n", failure.message);
    else
        fprintf(stderr, "    the store opens (height %llu); the node failed elsewhere\n",
                (unsigned long long)tally_store_tip(store)->height);
    tally_store_close(store);
}

/* ------------------------------------------------------------------------ */
/* The loop.                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    test_node node;
    char data[300];
    test_actor actors[MEMBERS];
    uint64_t next_sequence[MEMBERS]; /* the model's */
    int64_t balance[MEMBERS];        /* the model's */
    payment_list acknowledged;       /* every payment known committed */
    log_seen seen;
    client clients[CLIENTS];
    size_t in_flight_committed, in_flight_dropped, batches;
    uint64_t snapshots_seen;
} crash_run;

static void model_commit(crash_run *run, const payment *p) {
    run->balance[p->payer] -= p->amount;
    run->balance[p->payee] += p->amount;
    run->next_sequence[p->payer]++;
    if (!list_add(&run->acknowledged, p)) test_fail(__FILE__, __LINE__, "out of memory");
}

static bool setup(crash_run *run) {
    test_actor op = actor(0);
    tally_tx tx = harness_tx(&run->node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Crash loop");
    text_set(&tx.body.network_create.unit_code, "CRL");
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    if (submit_committed(&run->node, &tx, &op) != 200) return false;
    for (int m = 0; m < MEMBERS; m++) {
        run->actors[m] = actor(20 + (uint32_t)m);
        tx = harness_tx(&run->node, &run->actors[m], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        if (submit_committed(&run->node, &tx, &run->actors[m]) != 200) return false;
        run->next_sequence[m] = 2;
    }
    return true;
}

/* One cycle: payments stream, the node dies at a random moment. */
static void stream_and_kill(crash_run *run, uint64_t *random, uint32_t kill) {
    volatile bool stop = false;
    uint64_t client_sequence[MEMBERS];
    memcpy(client_sequence, run->next_sequence, sizeof client_sequence);
    pthread_t threads[CLIENTS];
    bool started[CLIENTS] = {false};
    for (int c = 0; c < CLIENTS; c++) {
        client *cl = &run->clients[c];
        memset(cl, 0, sizeof *cl);
        cl->node = &run->node;
        cl->actors = run->actors;
        cl->next_sequence = client_sequence;
        cl->index = c;
        cl->random = splitmix64(random) ^ kill;
        cl->stop = &stop;
        started[c] = pthread_create(&threads[c], NULL, client_main, cl) == 0;
        CHECK(started[c]);
    }
    sleep_ms((long)(splitmix64(random) % (KILL_DELAY_MAX_MS + 1)));
    harness_kill(&run->node);
    stop = true;
    for (int c = 0; c < CLIENTS; c++)
        if (started[c]) pthread_join(threads[c], NULL);
}

/* Starts tallyd on the run's data directory as harness_start does, but kills it
 * after delay_ms whether or not it is serving yet. */
static void start_and_kill(const test_node *node, const char *data, long delay_ms) {
    char port_file[320];
    snprintf(port_file, sizeof port_file, "%s/early-port", node->directory);
    const char *arguments[] = {"build/test/tallyd", "--data", data, "--listen", "127.0.0.1:0", "--port-file",
                               port_file, "--quiet", "--block-ms", "20", node_arguments[0], node_arguments[1],
                               NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        test_fail(__FILE__, __LINE__, "fork failed");
        return;
    }
    if (pid == 0) {
        execv(arguments[0], (char *const *)(uintptr_t)arguments);
        _exit(127);
    }
    sleep_ms(delay_ms);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status)) test_fail(__FILE__, __LINE__, "the node exited by itself while starting");
}

/* After the kill: the payments this cycle's clients saw committed join the model. */
static void merge_cycle(crash_run *run) {
    char why[256];
    for (int c = 0; c < CLIENTS; c++) {
        client *cl = &run->clients[c];
        if (cl->refused) {
            snprintf(why, sizeof why, "%zu payments refused (%s)", cl->refused, cl->refused_reason);
            test_fail(__FILE__, __LINE__, why);
        }
        for (size_t i = 0; i < cl->acknowledged_count; i++) model_commit(run, &cl->acknowledged[i]);
        run->batches += cl->batches;
    }
}

/* While the node is down: the log only grew, and every payment ever answered
 * committed is in it. */
static void check_log(crash_run *run) {
    char why[TALLY_FAILURE_MESSAGE_MAX + 64];
    if (!log_read_new(run->data, &run->seen, why, sizeof why)) {
        test_fail(__FILE__, __LINE__, why);
        return;
    }
    size_t missing = 0;
    for (size_t i = 0; i < run->acknowledged.count; i++) missing += !log_has(&run->seen, run->acknowledged.items[i].id);
    if (missing) {
        snprintf(why, sizeof why, "%zu acknowledged payments are not in the log", missing);
        test_fail(__FILE__, __LINE__, why);
    }
}

/* After the restart: the payments in flight at the kill are committed or not, as
 * the node says (and the log agrees); then balances and sequences are the model's. */
static void check_node(crash_run *run) {
    char why[256];
    for (int c = 0; c < CLIENTS; c++) {
        client *cl = &run->clients[c];
        for (size_t i = 0; i < cl->uncertain_count; i++) {
            const payment *p = &cl->uncertain[i];
            const char *answer = ask_status(&run->node, p->id);
            bool in_log = log_has(&run->seen, p->id);
            if (!answer || (strcmp(answer, "committed") == 0) != in_log) {
                snprintf(why, sizeof why, "a payment in flight: the node says %s, the log %s it",
                         answer ? answer : "something else", in_log ? "has" : "does not have");
                test_fail(__FILE__, __LINE__, why);
                continue;
            }
            if (in_log) {
                model_commit(run, p);
                run->in_flight_committed++;
            } else {
                run->in_flight_dropped++;
            }
        }
    }
    int64_t sum = 0;
    for (int m = 0; m < MEMBERS; m++) {
        int64_t balance = 0;
        uint64_t next = 0;
        if (!member_view(&run->node, &run->actors[m], &balance, &next)) {
            test_fail(__FILE__, __LINE__, "the restarted node does not answer for a member");
            continue;
        }
        sum += balance;
        if (balance != run->balance[m] || next != run->next_sequence[m]) {
            snprintf(why, sizeof why, "member %d: balance %lld, next sequence %llu; the model: %lld, %llu", m,
                     (long long)balance, (unsigned long long)next, (long long)run->balance[m],
                     (unsigned long long)run->next_sequence[m]);
            test_fail(__FILE__, __LINE__, why);
        }
    }
    CHECK_EQ(sum, 0);
    /* A few acknowledged payments, asked by id: old ones come from the index. */
    for (int k = 0; k < 4 && run->acknowledged.count > 0; k++) {
        const payment *p = &run->acknowledged.items[(size_t)rand() % run->acknowledged.count];
        const char *answer = ask_status(&run->node, p->id);
        if (!answer || strcmp(answer, "committed") != 0)
            test_fail(__FILE__, __LINE__, "the node does not know an acknowledged payment");
    }
}

static bool verify_chain(crash_run *run, uint64_t *blocks, uint64_t *transactions) {
    tally_verify_summary summary;
    tally_chain_failure failure;
    if (tally_chain_verify(run->data, NULL, NULL, NULL, NULL, &summary, &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return false;
    }
    *blocks = summary.blocks;
    *transactions = summary.transactions;
    return true;
}

TEST(crash_loop_sigkill_under_payments_loses_nothing) {
    uint64_t seed = env_u64("TALLY_CRASH_SEED", 0);
    if (seed == 0) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    uint32_t kills = (uint32_t)env_u64("TALLY_CRASH_KILLS", KILLS_DEFAULT);
    uint32_t verify_every = (uint32_t)env_u64("TALLY_CRASH_VERIFY_EVERY", VERIFY_EVERY_DEFAULT);
    if (verify_every == 0) verify_every = 1;
    printf("    seed %llu (replay: TALLY_CRASH_SEED=%llu), %u kills, the chain verified every %u\n",
           (unsigned long long)seed, (unsigned long long)seed, kills, verify_every);
    fflush(stdout);
    srand((unsigned)seed);
    uint64_t random = seed;
    double started = seconds_now();
    crash_run *run = calloc(1, sizeof *run);
    REQUIRE(run != NULL);
    REQUIRE(harness_make_directory(&run->node));
    snprintf(run->data, sizeof run->data, "%s/data", run->node.directory);
    REQUIRE(harness_start(&run->node, node_arguments));
    REQUIRE(setup(run));
    uint32_t survived = 0, verified = 0, restart_kills = 0;
    uint64_t blocks = 0, transactions = 0;
    double verify_seconds = 0;
    for (uint32_t kill = 1; kill <= kills; kill++) {
        stream_and_kill(run, &random, kill);
        merge_cycle(run);
        check_log(run);
        if (splitmix64(&random) % RESTART_KILL_ONE_IN == 0) {
            start_and_kill(&run->node, run->data, (long)(splitmix64(&random) % (RESTART_KILL_DELAY_MAX_MS + 1)));
            restart_kills++;
            check_log(run);
        }
        if (kill % verify_every == 0 || kill == kills) {
            double verify_started = seconds_now();
            if (!verify_chain(run, &blocks, &transactions)) break;
            verify_seconds += seconds_now() - verify_started;
            verified++;
        }
        if (!harness_start(&run->node, node_arguments)) {
            char why[96];
            snprintf(why, sizeof why, "the node did not restart after kill %u", kill);
            test_fail(__FILE__, __LINE__, why);
            explain_failed_start(run->data);
            break;
        }
        check_node(run);
        if (test_current_failed()) {
            fprintf(stderr, "    failed after kill %u (seed %llu)\n", kill, (unsigned long long)seed);
            break;
        }
        survived++;
    }
    CHECK_EQ(survived, kills);
    if (run->node.pid > 0) CHECK_EQ(harness_stop(&run->node), 0);
    if (survived == kills && verify_chain(run, &blocks, &transactions)) verified++;
    double elapsed = seconds_now() - started;
    printf("    survived %u of %u kills under payments and %u during a restart: %zu payments acknowledged in %zu batches, %zu in flight at a kill "
           "(%zu committed, %zu not), %llu blocks and %llu transactions verify from the genesis "
           "(%u verifications, %.1f s of them); %.1f s in all\n",
           survived, kills, restart_kills, run->acknowledged.count - run->in_flight_committed, run->batches,
           run->in_flight_committed + run->in_flight_dropped, run->in_flight_committed, run->in_flight_dropped,
           (unsigned long long)blocks, (unsigned long long)transactions, verified, verify_seconds, elapsed);
    if (test_current_failed()) fprintf(stderr, "    data kept in %s\n", run->node.directory);
    else harness_remove_directory(&run->node);
    free(run->acknowledged.items);
    free(run->seen.ids);
    free(run);
}

/* ------------------------------------------------------------------------ */
/* A crash during the very first start.                                      */
/* ------------------------------------------------------------------------ */

/* Starts a node on node's directory, checks it serves a chain that verifies, and
 * stops it; false when it does not start. */
static bool starts_and_verifies(test_node *node) {
    if (!harness_start(node, NULL)) return false;
    CHECK_EQ(harness_stop(node), 0);
    char data[300];
    snprintf(data, sizeof data, "%s/data", node->directory);
    tally_verify_summary summary;
    tally_chain_failure failure;
    CHECK_EQ(tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    return true;
}

static bool write_file(const char *path, const void *bytes, size_t length) {
    FILE *file = fopen(path, "wb");
    if (!file) return false;
    bool ok = fwrite(bytes, 1, length, file) == length;
    return fclose(file) == 0 && ok;
}

static void *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    static char bytes[1 << 16];
    *length = fread(bytes, 1, sizeof bytes, file);
    fclose(file);
    return bytes;
}

TEST(crash_loop_a_crash_during_the_first_start_does_not_stop_the_next) {
    /* A node's first start writes producer.seed, then blocks.log with the genesis.
     * Killed in between, it leaves an empty seed file, or a genesis record cut
     * short: the next start must make the chain, not refuse forever. */
    test_node model;
    REQUIRE(harness_make_directory(&model));
    REQUIRE(harness_start(&model, NULL));
    CHECK_EQ(harness_stop(&model), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/data/producer.seed", model.directory);
    size_t seed_length = 0;
    char seed[128];
    void *bytes = read_file(path, &seed_length);
    REQUIRE(bytes != NULL && seed_length < sizeof seed);
    memcpy(seed, bytes, seed_length);
    snprintf(path, sizeof path, "%s/data/%s", model.directory, TALLY_LOG_FILE_NAME);
    size_t log_length = 0;
    uint8_t *log = read_file(path, &log_length);
    REQUIRE(log != NULL && log_length > TALLY_LOG_RECORD_OVERHEAD);
    size_t genesis_record = TALLY_LOG_RECORD_OVERHEAD + (size_t)(log[4] | log[5] << 8 | log[6] << 16);
    REQUIRE(genesis_record <= log_length);
    harness_remove_directory(&model);

    /* the seed file created, nothing written to it yet */
    test_node node;
    REQUIRE(harness_make_directory(&node));
    snprintf(path, sizeof path, "%s/data", node.directory);
    REQUIRE(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/data/producer.seed", node.directory);
    REQUIRE(write_file(path, "", 0));
    CHECK(starts_and_verifies(&node));
    harness_remove_directory(&node);

    /* the genesis record torn at several points */
    const size_t cuts[] = {1, 8, 100, genesis_record - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        REQUIRE(harness_make_directory(&node));
        snprintf(path, sizeof path, "%s/data", node.directory);
        REQUIRE(mkdir(path, 0700) == 0);
        snprintf(path, sizeof path, "%s/data/producer.seed", node.directory);
        REQUIRE(write_file(path, seed, seed_length));
        snprintf(path, sizeof path, "%s/data/%s", node.directory, TALLY_LOG_FILE_NAME);
        REQUIRE(write_file(path, log, cuts[c]));
        if (!starts_and_verifies(&node)) {
            char why[96];
            snprintf(why, sizeof why, "no start after the genesis record was cut at byte %zu", cuts[c]);
            test_fail(__FILE__, __LINE__, why);
        }
        harness_remove_directory(&node);
    }

    /* and killed for real at random moments of a first start */
    uint64_t random = env_u64("TALLY_CRASH_SEED", 0);
    if (random == 0) random = (uint64_t)time(NULL);
    for (int k = 0; k < 4; k++) {
        REQUIRE(harness_make_directory(&node));
        char data[300];
        snprintf(data, sizeof data, "%s/data", node.directory);
        start_and_kill(&node, data, (long)(splitmix64(&random) % 150));
        CHECK(starts_and_verifies(&node));
        harness_remove_directory(&node);
    }
}

/* ------------------------------------------------------------------------ */
/* Power cuts (test builds of tallyd: TALLY_POWER_LOSS, store/power_loss.h).  */
/* ------------------------------------------------------------------------ */

#define POWER_CUTS_DEFAULT 50
#define POWER_EXIT 86                  /* POWER_CUT_EXIT */
#define POWER_CUT_AT_MAX 1500          /* operations after the node serves */
#define POWER_START_CUT_ONE_IN 4       /* a plan that cuts during the start */
#define POWER_START_CUT_AT_MAX 60      /* operations of a start */
#define POWER_WAIT_MAX_MS 8000         /* then SIGUSR1 cuts at the next operation */
#define POWER_FIRST_START_CUTS 2       /* cuts of the very first start, at most */

/* Sets the next start's plan: where its power fails, what the disk keeps. A first
 * start (first) is cut within its first operations: the data directory, the node's
 * key, the genesis; with no_start_cut, not at all. */
static void note_torn_tail(void *context, const tally_chain_failure *notice) {
    if (notice->code == TALLY_CHAIN_ERR_LOG_TAIL_CUT) *(bool *)context = true;
}

/* Whether the disk the last cut left holds a torn record at the end of the block
 * log (a read-only open reports it and passes over it): the next start cuts it off. */
static bool block_log_has_a_torn_tail(const crash_run *run) {
    bool torn = false;
    tally_blocklog_options options = {.read_only = true, .notice = note_torn_tail, .notice_context = &torn};
    tally_blocklog *log = NULL;
    tally_chain_failure failure;
    if (tally_blocklog_open(run->data, &options, &log, &failure) == TALLY_CHAIN_OK) tally_blocklog_close(log);
    return torn;
}

static void power_plan(const crash_run *run, uint64_t *random, bool first, bool no_start_cut) {
    /* After a cut that tore the block log (1 in 50 or so), the next start loses its
     * power while it repairs that tail (aimed at the block log below); it may tear it
     * again, and so on until a cut keeps the repair. */
    bool at_tail_repair = !first && !no_start_cut && block_log_has_a_torn_tail(run);
    /* A first start serves the setup without a cut (cut_at 0). */
    uint64_t start_cut_at = no_start_cut ? 0
                            : at_tail_repair || first || splitmix64(random) % POWER_START_CUT_ONE_IN == 0
                                ? 1 + splitmix64(random) % (first ? 12 : POWER_START_CUT_AT_MAX)
                                : 0;
    /* Aimed at one kind of file in turn, so that the cuts fall on block writes,
     * snapshots and index updates alike, not mostly on the index's many writes. */
    static const char *const aims[] = {"", "blocks.log", "snapshot-", "index.sqlite"};
    static const uint64_t aim_max[] = {POWER_CUT_AT_MAX, 60, 40, POWER_CUT_AT_MAX};
    size_t aim = at_tail_repair ? 1 : (size_t)(splitmix64(random) % 4);
    if (start_cut_at && aim == 2) aim = 0; /* a start writes no snapshot */
    /* Aimed at the block log, a start is cut at its second or third operation on it
     * (after opening it): after a cut that tore the log's tail, cutting that tail off
     * (truncate, fsync). */
    if (start_cut_at && aim == 1) start_cut_at = 2 + splitmix64(random) % 2;
    uint64_t cut_at = first ? 0 : 1 + splitmix64(random) % aim_max[aim];
    char plan[700], file[40] = "";
    if (aims[aim][0]) snprintf(file, sizeof file, ",file=%s", aims[aim]);
    snprintf(plan, sizeof plan, "seed=%llu,start_cut_at=%llu,cut_at=%llu%s,report=%s/power-cuts.log",
             (unsigned long long)splitmix64(random), (unsigned long long)start_cut_at, (unsigned long long)cut_at,
             file, run->node.directory);
    setenv("TALLY_POWER_LOSS", plan, 1);
}

/* Payments stream until the node's power fails by its plan (or by SIGUSR1 when the
 * plan's moment does not come); false when the node ended any other way. */
static bool stream_until_cut(crash_run *run, uint64_t *random, uint32_t cut) {
    volatile bool stop = false;
    uint64_t client_sequence[MEMBERS];
    memcpy(client_sequence, run->next_sequence, sizeof client_sequence);
    pthread_t threads[CLIENTS];
    bool started[CLIENTS] = {false};
    for (int c = 0; c < CLIENTS; c++) {
        client *cl = &run->clients[c];
        memset(cl, 0, sizeof *cl);
        cl->node = &run->node;
        cl->actors = run->actors;
        cl->next_sequence = client_sequence;
        cl->index = c;
        cl->random = splitmix64(random) ^ cut;
        cl->stop = &stop;
        started[c] = pthread_create(&threads[c], NULL, client_main, cl) == 0;
        CHECK(started[c]);
    }
    int status = 0;
    bool exited = false;
    for (int waited = 0; waited < POWER_WAIT_MAX_MS && !exited; waited += 5) {
        exited = waitpid(run->node.pid, &status, WNOHANG) == run->node.pid;
        if (!exited) sleep_ms(5);
    }
    if (!exited) {
        kill(run->node.pid, SIGUSR1);
        waitpid(run->node.pid, &status, 0);
    }
    run->node.pid = 0;
    stop = true;
    for (int c = 0; c < CLIENTS; c++)
        if (started[c]) pthread_join(threads[c], NULL);
    return WIFEXITED(status) && WEXITSTATUS(status) == POWER_EXIT;
}

/* Counts the report's cuts by file and phase for the summary. */
static void power_report(const char *directory) {
    char path[320], line[512];
    snprintf(path, sizeof path, "%s/power-cuts.log", directory);
    FILE *file = fopen(path, "r");
    if (!file) return;
    const char *kinds[] = {"blocks.log", "snapshot", "index.sqlite", "producer.seed", "data"};
    size_t counts[6] = {0}, starting = 0, torn = 0, lines = 0, tail_repairs = 0;
    while (fgets(line, sizeof line, file)) {
        lines++;
        const char *name = strstr(line, " file=");
        size_t kind = 5;
        for (size_t k = 0; name && k < 5; k++)
            if (strncmp(name + 6, kinds[k], strlen(kinds[k])) == 0 ||
                (k == 1 && strstr(name, "snap") != NULL && strstr(name, "snap") < strstr(name, " kept")))
                if (kind == 5) kind = k;
        counts[kind]++;
        starting += strstr(line, "phase=start") != NULL;
        /* a start cutting a torn tail off the block log: its truncate or the fsync
         * after it, aimed at the block log (its operations alone are counted then, so
         * they are its second and third; a first start's genesis fsync comes later) */
        tail_repairs += strstr(line, "phase=start operation=2 ") || strstr(line, "phase=start operation=3 ")
                            ? strstr(line, " file=blocks.log ") && (strstr(line, " op=truncate ") || strstr(line, " op=fsync "))
                            : 0;
        torn += strstr(line, "writes_torn=0") == NULL;
    }
    fclose(file);
    printf("    cuts at: block log %zu, snapshots %zu, index %zu, node key %zu, data directory %zu, other %zu; "
           "%zu during a start (%zu of them repairing a torn log tail); %zu with a torn write\n",
           counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], starting, tail_repairs, torn);
    (void)lines;
}

TEST(power_loss_loop_under_payments_loses_nothing_acknowledged) {
    uint64_t seed = env_u64("TALLY_POWER_SEED", 0);
    if (seed == 0) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    uint32_t cuts = (uint32_t)env_u64("TALLY_POWER_CUTS", POWER_CUTS_DEFAULT);
    uint32_t verify_every = (uint32_t)env_u64("TALLY_CRASH_VERIFY_EVERY", VERIFY_EVERY_DEFAULT);
    if (verify_every == 0) verify_every = 1;
    printf("    seed %llu (replay: TALLY_POWER_SEED=%llu), %u power cuts\n", (unsigned long long)seed,
           (unsigned long long)seed, cuts);
    fflush(stdout);
    srand((unsigned)seed);
    uint64_t random = seed;
    double started = seconds_now();
    crash_run *run = calloc(1, sizeof *run);
    REQUIRE(run != NULL);
    REQUIRE(harness_make_directory(&run->node));
    snprintf(run->data, sizeof run->data, "%s/data", run->node.directory);
    /* The very first start is under a plan too: data directory, node key, genesis;
     * the node that starts serves the setup without a cut, and stops. */
    uint32_t cut = 0, start_cuts = 0, restarts = 0, verified = 0;
    uint64_t blocks = 0, transactions = 0;
    for (uint32_t attempt = 0;; attempt++) {
        /* Cut in its first operations twice at most: then the loop's cuts go to a
         * node that serves (a first start that keeps losing its power would spend
         * them all on its first dozen operations). */
        power_plan(run, &random, true, attempt >= POWER_FIRST_START_CUTS);
        bool up = harness_start(&run->node, node_arguments);
        unsetenv("TALLY_POWER_LOSS");
        if (up) break;
        REQUIRE(run->node.exit_status == POWER_EXIT);
        cut++, start_cuts++;
    }
    REQUIRE(setup(run));
    harness_stop(&run->node);
    check_log(run);
    while (cut < cuts && !test_current_failed()) {
        /* Start from what the disk kept; a start may itself lose its power. */
        bool up = false;
        while (!up && !test_current_failed()) {
            power_plan(run, &random, false, false);
            up = harness_start(&run->node, node_arguments);
            unsetenv("TALLY_POWER_LOSS");
            restarts++;
            if (up) break;
            if (run->node.exit_status != POWER_EXIT) {
                char why[96];
                snprintf(why, sizeof why, "the node did not restart after power cut %u (exit %d)", cut,
                         run->node.exit_status);
                test_fail(__FILE__, __LINE__, why);
                explain_failed_start(run->data);
                break;
            }
            cut++, start_cuts++;
            check_log(run);
        }
        if (!up) break;
        check_node(run);
        for (int c = 0; c < CLIENTS; c++) run->clients[c].uncertain_count = 0; /* resolved */
        if (test_current_failed()) {
            fprintf(stderr, "    failed after power cut %u (seed %llu)\n", cut, (unsigned long long)seed);
            break;
        }
        if (!stream_until_cut(run, &random, cut + 1)) {
            test_fail(__FILE__, __LINE__, "the node ended other than by a power cut");
            break;
        }
        cut++;
        merge_cycle(run);
        check_log(run);
        if (cut % verify_every == 0 || cut >= cuts) {
            if (!verify_chain(run, &blocks, &transactions)) break;
            verified++;
        }
    }
    /* The last cut's payments in flight, resolved by a start without a plan. */
    if (!test_current_failed() && harness_start(&run->node, node_arguments)) {
        check_node(run);
        harness_stop(&run->node);
    } else if (!test_current_failed()) {
        test_fail(__FILE__, __LINE__, "the node did not start after the last power cut");
    }
    if (run->node.pid > 0) harness_kill(&run->node);
    if (!test_current_failed() && verify_chain(run, &blocks, &transactions)) verified++;
    printf("    %u power cuts (%u during a start), %u restarts: %zu payments acknowledged in %zu batches, all present; "
           "%zu in flight at a cut (%zu committed, %zu not); %llu blocks and %llu transactions verify from the "
           "genesis (%u verifications); %.1f s\n",
           cut, start_cuts, restarts, run->acknowledged.count - run->in_flight_committed, run->batches,
           run->in_flight_committed + run->in_flight_dropped, run->in_flight_committed, run->in_flight_dropped,
           (unsigned long long)blocks, (unsigned long long)transactions, verified, seconds_now() - started);
    power_report(run->node.directory);
    if (test_current_failed()) fprintf(stderr, "    data kept in %s\n", run->node.directory);
    else harness_remove_directory(&run->node);
    free(run->acknowledged.items);
    free(run->seen.ids);
    free(run);
}

TEST(power_loss_at_each_step_of_a_first_start_leaves_a_node_that_starts) {
    /* A first start creates the data directory, the node's key and the genesis
     * block: the power fails before each of its first operations in turn (what the
     * disk keeps chosen by the seed), and the next start, without a plan, must make
     * or find a chain that verifies. */
    uint64_t random = env_u64("TALLY_POWER_SEED", 0);
    if (random == 0) random = (uint64_t)time(NULL);
    uint32_t cut_steps = 0;
    for (uint64_t step = 1; step <= 16; step++) {
        test_node node;
        REQUIRE(harness_make_directory(&node));
        char plan[600];
        snprintf(plan, sizeof plan, "seed=%llu,start_cut_at=%llu,report=%s/power-cuts.log",
                 (unsigned long long)splitmix64(&random), (unsigned long long)step, node.directory);
        setenv("TALLY_POWER_LOSS", plan, 1);
        bool up = harness_start(&node, NULL);
        unsetenv("TALLY_POWER_LOSS");
        if (up) {
            harness_kill(&node); /* the start needed fewer operations */
        } else {
            CHECK_EQ(node.exit_status, POWER_EXIT);
            cut_steps++;
        }
        if (!starts_and_verifies(&node)) {
            char why[96];
            snprintf(why, sizeof why, "no start after the power failed at operation %llu of a first start",
                     (unsigned long long)step);
            test_fail(__FILE__, __LINE__, why);
            fprintf(stderr, "    data kept in %s\n", node.directory);
            continue;
        }
        harness_remove_directory(&node);
    }
    CHECK(cut_steps >= 8);
    printf("    the power failed at each of the first %u operations of a first start; every next start made a chain\n",
           cut_steps);
}
