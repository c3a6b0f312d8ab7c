/*
 * bench_core.c: transfers applied per second by the core on one core. 10,000
 * members in one network, each with a credit line; payers and payees drawn with a
 * skew (a few members are in most payments, as in real networks); transactions are
 * pre-built and already verified, so this measures only the core. A 25 bps base
 * fee makes every payment touch the fee account too. An end-of-block step runs every
 * 10,000 transfers, as a node would.
 *
 * Two rates: tally_apply as it is (it hashes the signer's and the payee's keys
 * itself), and tally_apply_prepared with the keys hashed ahead by tally_tx_prepare,
 * as the node's verifier threads do beside the signature check; the rate of that
 * hashing on one core is printed too. Then instructions per transfer, counted by
 * callgrind (repeatable on a shared machine where seconds are not) over a fixed
 * 131,072 transfers: the bench runs itself under valgrind when it is installed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"

enum { MEMBERS = 10000, BATCH = 1 << 16, BLOCK_SIZE = 10000 };

typedef struct {
    uint64_t state;
} rng;

static uint64_t next(rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A skewed index: u^3 of a uniform u puts about half of all picks on the first 12%. */
static uint32_t skewed(rng *r) {
    uint64_t u = next(r) >> 43; /* 21 bits */
    uint64_t cube = (u * u >> 21) * u >> 21;
    return (uint32_t)(cube * MEMBERS >> 21);
}

static tally_key keys[MEMBERS];
static uint64_t sequences[MEMBERS];

static tally_tx base_tx(const uint8_t *chain_id, const tally_key *signer, uint64_t sequence, uint8_t type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = type;
    memcpy(tx.chain_id, chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = *signer;
    tx.sequence = sequence;
    return tx;
}

static void must(tally_result result, const char *what) {
    if (result.code != TALLY_OK) {
        fprintf(stderr, "bench setup: %s refused: %s\n", what, tally_error_message(result.code));
        exit(1);
    }
}

typedef struct {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_state *state;
    int64_t now;
    rng r;
    uint64_t applied;
} core_world;

static void world_open(core_world *w) {
    memset(w, 0, sizeof *w);
    memset(w->chain_id, 7, sizeof w->chain_id);
    w->state = tally_state_create(w->chain_id);
    w->now = 1767225600;
    w->r.state = 42;
    tally_key operator_key;
    memset(&operator_key, 0xee, sizeof operator_key);
    uint64_t operator_sequence = 1;

    tally_tx tx = base_tx(w->chain_id, &operator_key, operator_sequence++, TALLY_TX_NETWORK_CREATE);
    memcpy(tx.body.network_create.name.bytes, "Bench", 5);
    tx.body.network_create.name.length = 5;
    memcpy(tx.body.network_create.unit_code.bytes, "BEN", 3);
    tx.body.network_create.unit_code.length = 3;
    tx.body.network_create.decimals = 2;
    tally_policy *policy = &tx.body.network_create.policy;
    tally_policy_defaults(policy); /* 100,000 members, a 7-day notice, redemptions of 10% a day */
    policy->default_credit_limit = 1000000000;
    policy->max_credit_limit = 1000000000;
    policy->fee_bps = 25;
    policy->period_seconds = 365 * 24 * 3600;
    policy->grace_seconds = 30 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->auto_renew = true;
    must(tally_apply(w->state, &tx, w->now), "network");
    for (uint32_t i = 0; i < MEMBERS; i++) {
        memset(&keys[i], 0, sizeof keys[i]);
        for (int b = 0; b < 32; b++) keys[i].bytes[b] = (uint8_t)((i * 2654435761u) >> (b % 4 * 8)) ^ (uint8_t)b;
        keys[i].bytes[0] = (uint8_t)i;
        keys[i].bytes[1] = (uint8_t)(i >> 8);
        sequences[i] = 1;
        tx = base_tx(w->chain_id, &operator_key, operator_sequence++, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = 1;
        tx.body.network_key.key = keys[i];
        must(tally_apply(w->state, &tx, w->now), "admit");
    }
}

static void world_close(core_world *w) {
    char why[256];
    if (!tally_check_invariants(w->state, why, sizeof why)) {
        fprintf(stderr, "bench: invariant broken: %s\n", why);
        exit(1);
    }
    tally_state_destroy(w->state);
}

static void fill_batch(core_world *w, tally_tx *batch) {
    for (uint32_t i = 0; i < BATCH; i++) {
        uint32_t payer = skewed(&w->r), payee = skewed(&w->r);
        if (payee == payer) payee = (payee + 1) % MEMBERS;
        batch[i] = base_tx(w->chain_id, &keys[payer], sequences[payer]++, TALLY_TX_TRANSFER);
        batch[i].body.transfer.network_id = 1;
        batch[i].body.transfer.payee = keys[payee];
        batch[i].body.transfer.amount = (int64_t)(next(&w->r) % 10000) + 1;
        batch[i].body.transfer.max_fee = 1000;
    }
}

/* Applies a batch, with its prepared hashes when given; every transfer must pass. */
__attribute__((noinline)) static void apply_batch(core_world *w, const tally_tx *batch,
                                                   const tally_tx_prepared *prepared) {
    for (uint32_t i = 0; i < BATCH; i++) {
        tally_result result = prepared ? tally_apply_prepared(w->state, &batch[i], &prepared[i], w->now)
                                       : tally_apply(w->state, &batch[i], w->now);
        if (result.code != TALLY_OK) {
            fprintf(stderr, "bench: transfer refused: %s (tx %u, sequence %" PRIu64 ")\n",
                    tally_error_name(result.code), i, batch[i].sequence);
            exit(1);
        }
        if (++w->applied % BLOCK_SIZE == 0) (void)tally_end_block(w->state, ++w->now);
    }
}

__attribute__((noinline)) static void prepare_batch(const core_world *w, const tally_tx *batch,
                                                     tally_tx_prepared *prepared) {
    for (uint32_t i = 0; i < BATCH; i++) tally_tx_prepare(w->state, &batch[i], &prepared[i]);
}

/* Rate of apply_batch over about two seconds, hashes prepared ahead or not. */
static double applied_rate(bool prepared_ahead, double *prepare_rate) {
    core_world w;
    world_open(&w);
    tally_tx *batch = malloc((size_t)BATCH * sizeof *batch);
    tally_tx_prepared *prepared = malloc((size_t)BATCH * sizeof *prepared);
    if (!batch || !prepared) exit(1);
    double applying = 0, preparing = 0;
    uint64_t applied = 0;
    while (applying < 2.0) {
        fill_batch(&w, batch);
        double start = bench_now_seconds();
        if (prepared_ahead) prepare_batch(&w, batch, prepared);
        double middle = bench_now_seconds();
        apply_batch(&w, batch, prepared_ahead ? prepared : NULL);
        applying += bench_now_seconds() - middle;
        preparing += middle - start;
        applied += BATCH;
    }
    if (prepare_rate) *prepare_rate = preparing > 0 ? (double)applied / preparing : 0;
    free(batch);
    free(prepared);
    world_close(&w);
    return (double)applied / applying;
}

enum { COUNTED_BATCHES = 2 };

/* `tally-bench core-instructions`, run under callgrind by bench_core: a fixed
 * number of transfers through apply_batch (the function callgrind counts), each
 * way, so the instructions per transfer are the count over the transfers. */
void bench_core_counted(bool prepared_ahead) {
    core_world w;
    world_open(&w);
    tally_tx *batch = malloc((size_t)BATCH * sizeof *batch);
    tally_tx_prepared *prepared = malloc((size_t)BATCH * sizeof *prepared);
    if (!batch || !prepared) exit(1);
    for (int b = 0; b < COUNTED_BATCHES; b++) {
        fill_batch(&w, batch);
        if (prepared_ahead) prepare_batch(&w, batch, prepared);
        apply_batch(&w, batch, prepared_ahead ? prepared : NULL);
    }
    free(batch);
    free(prepared);
    world_close(&w);
}

/* Instructions in apply_batch per transfer, from callgrind; 0 when valgrind is
 * not installed or fails. */
static double instructions_per_transfer(bool prepared_ahead) {
    char out_file[] = "/tmp/tally-bench-callgrind-XXXXXX";
    int fd = mkstemp(out_file);
    if (fd < 0) return 0;
    close(fd);
    char out_option[64], self[4096];
    snprintf(out_option, sizeof out_option, "--callgrind-out-file=%s", out_file);
    ssize_t self_length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (self_length <= 0) return 0;
    self[self_length] = '\0';
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        execlp("valgrind", "valgrind", "--tool=callgrind", "--toggle-collect=apply_batch", out_option, self,
               prepared_ahead ? "core-instructions-prepared" : "core-instructions", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(out_file);
        return 0;
    }
    /* the profile's "summary: N" (or "totals: N") line is the count */
    FILE *profile = fopen(out_file, "r");
    unsigned long long instructions = 0;
    char line[512];
    while (profile && fgets(line, sizeof line, profile))
        if (sscanf(line, "summary: %llu", &instructions) == 1 || sscanf(line, "totals: %llu", &instructions) == 1) break;
    if (profile) fclose(profile);
    unlink(out_file);
    return (double)instructions / ((double)COUNTED_BATCHES * BATCH);
}

void bench_core(double *transfers_per_second) {
    double prepare_rate = 0;
    double plain = applied_rate(false, NULL);
    double prepared = applied_rate(true, &prepare_rate);
    *transfers_per_second = prepared;
    printf("core: tally_apply                  %10.0f transfers/s  (one core, %d members, skewed, 25 bps fee; it hashes "
           "both keys)\n",
           plain, MEMBERS);
    printf("core: tally_apply_prepared         %10.0f transfers/s  (%.2fx tally_apply; the keys hashed ahead, as the "
           "verifier threads do)\n",
           prepared, prepared / plain);
    printf("core: tally_tx_prepare             %10.0f transfers/s  (one core: the hashing tally_apply does itself)\n",
           prepare_rate);
    double plain_instructions = instructions_per_transfer(false), prepared_instructions = instructions_per_transfer(true);
    if (plain_instructions > 0)
        printf("core: instructions per transfer    %10.0f tally_apply, %.0f tally_apply_prepared (callgrind, %d transfers "
               "each)\n",
               plain_instructions, prepared_instructions, COUNTED_BATCHES * BATCH);
    else
        printf("core: instructions per transfer    (skipped: valgrind is not installed)\n");
}
