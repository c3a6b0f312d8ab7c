/*
 * node.c: the node's engine (see node.h): opening or creating the chain, admitting
 * transactions, the producer thread with group commit (one block = one write and one
 * fsync, and only then are its transactions reported committed; the lock is let go
 * during the write, so admission goes on while reads of the state wait), and the
 * table of recent transaction statuses.
 *
 * When blocks are made. A block is made as soon as something is pending and the
 * previous block is durable (the producer makes one at a time), so an idle node
 * confirms a lone payment in about one fsync; what arrives during a block's build
 * and fsync waits in the mempool for the next one (group commit). While more
 * transactions are on their way (their signatures being checked right now) the
 * producer waits for them, but only as long as that keeps making blocks under
 * 1/BLOCK_DUTY_CYCLE of a core (the next block starts no sooner than that many
 * times the last one's CPU time after it), and never longer than block_ms after
 * the oldest pending transaction arrived: block_ms is the longest wait, not the
 * shortest. So under load blocks grow while their fixed cost (today: hashing the
 * whole state) is high, and follow each other closely once it is small.
 *
 * The status table (recent.h) keeps two generations of a fixed-size hash table: when
 * the current one is half full it becomes the previous one and a fresh one starts,
 * so memory is bounded and the last ~100,000 transactions are always answered
 * without touching the disk. Its slots come from a keyed hash, since clients choose
 * transaction ids.
 *
 * Admission spends the node's work in the order of its cost: the checks that read
 * the state (the signer's standing as the core judges it, the per-sender bound, the
 * sequence, credit left) come first, under the lock, so that junk from keys that
 * stand nowhere costs no signature check at all; signatures are then checked in
 * parallel outside the lock, and the state checks are made again before a
 * transaction enters the mempool. A window of signature verdicts of refused
 * transactions (keyed by id and signature together: the id covers only the unsigned
 * bytes) spares checking the same bytes twice.
 */
#define _GNU_SOURCE /* SCHED_IDLE */
#include "node/node_internal.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/index.h"
#include "node/mempool.h"
#include "node/recent.h"
#include "store/file_io.h"

const char *const node_refusal_names[NODE_REFUSAL_COUNT] = {
#define NODE_REFUSAL_NAME(name) #name,
    NODE_REFUSALS(NODE_REFUSAL_NAME)
#undef NODE_REFUSAL_NAME
};

static uint64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* The CLOCK_REALTIME time `ms` from now, for pthread_cond_timedwait. */
static struct timespec deadline_after_ms(uint32_t ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(ms / 1000);
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

static uint64_t clock_ns(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static uint64_t monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* One log line on stderr: "tallyd: <what>: <detail>". */
static void say(const node *n, const char *what, const char *detail) {
    if (!n->config.quiet) fprintf(stderr, "tallyd: %s: %s\n", what, detail);
}

void node_say(const node *n, const char *what, const char *detail) { say(n, what, detail); }
uint64_t node_monotonic_ns(void) { return monotonic_ns(); }
uint64_t node_now_ms(void) { return now_ms(); }

void node_config_defaults(node_config *config) {
    memset(config, 0, sizeof *config);
    config->data_dir = "./data";
    config->chain_name = "tally-local";
    tally_chain_rules_defaults(&config->chain_rules, NULL);
    config->block_ms = 100;
    config->block_max_txs = 8192;
    config->idle_block_seconds = 60;
    config->snapshot_every = 1000;
    config->mempool_capacity = 65536;
    config->mempool_per_sender = MEMPOOL_PER_SENDER_DEFAULT;
}

/* ---- statuses ---- */

static void status_set(node *n, const uint8_t id[TALLY_HASH_BYTES], tx_status status) {
    tx_status *slot = recent_put(&n->statuses, id);
    *slot = status;
}

/* The same at id's home slot (recent_home), computed once per submitted id. */
static void status_set_at(node *n, uint32_t home, const uint8_t id[TALLY_HASH_BYTES], tx_status status) {
    tx_status *slot = recent_put_at(&n->statuses, home, id);
    *slot = status;
}

static tx_status status_get_at(node *n, uint32_t home, const uint8_t id[TALLY_HASH_BYTES]) {
    const tx_status *slot = recent_get_at(&n->statuses, home, id);
    tx_status unknown = {0};
    return slot ? *slot : unknown;
}

static tx_status status_get(node *n, const uint8_t id[TALLY_HASH_BYTES]) {
    const tx_status *slot = recent_get(&n->statuses, id);
    tx_status unknown = {0};
    return slot ? *slot : unknown;
}

void node_status_set(node *n, const uint8_t id[TALLY_HASH_BYTES], tx_status status) { status_set(n, id, status); }
tx_status node_status_get(node *n, const uint8_t id[TALLY_HASH_BYTES]) { return status_get(n, id); }

/* ---- opening ---- */

static bool load_or_make_producer_key(node *n, bool create, char *why, size_t why_size) {
    char path[4200];
    snprintf(path, sizeof path, "%s/producer.seed", n->data_dir);
    uint8_t seed[32];
    bool have_seed = false;
    FILE *file = fopen(path, "r");
    if (file) {
        char hex[80] = {0};
        bool read = fgets(hex, sizeof hex, file) != NULL;
        fclose(file);
        size_t length = 0;
        have_seed = read && sodium_hex2bin(seed, sizeof seed, hex, strlen(hex), "\n", &length, NULL) == 0 &&
                    length == 32;
        sodium_memzero(hex, sizeof hex); /* the secret's text, like the secret */
        if (!have_seed && !create) {
            snprintf(why, why_size, "%s is damaged", path);
            return false;
        }
        /* Damaged while the log holds no block: a crash during the first start cut
         * it short, and nothing was ever signed with it. It is made again. */
        if (!have_seed && !file_unlink(path)) {
            snprintf(why, why_size, "cannot replace the damaged %s: %s", path, strerror(errno));
            return false;
        }
    } else if (!create) {
        snprintf(why, why_size, "%s is missing: this node cannot produce blocks for its chain", path);
        return false;
    }
    if (!have_seed) {
        randombytes_buf(seed, sizeof seed);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, seed, sizeof seed);
        /* Through the store's file layer, so the fault and power-loss tests reach it. */
        hex[64] = '\n';
        int fd = file_open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        bool written = fd >= 0 && file_write_at(fd, hex, 65, 0) && file_sync(fd);
        sodium_memzero(hex, sizeof hex);
        if (fd >= 0 && !file_close(fd)) written = false;
        /* The file's name is durable only once its directory is. */
        written = written && file_sync_directory(n->data_dir);
        if (!written) {
            snprintf(why, why_size, "cannot write %s: %s", path, strerror(errno));
            return false;
        }
    }
    tally_keypair(&n->producer, n->producer_secret, seed);
    sodium_memzero(seed, sizeof seed);
    return true;
}

bool node_key_of(const char *data_dir, tally_key *key, char *why, size_t why_size) {
    node *n = calloc(1, sizeof *n);
    if (!n) return snprintf(why, why_size, "out of memory"), false;
    snprintf(n->data_dir, sizeof n->data_dir, "%s", data_dir);
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/%s", data_dir, TALLY_LOG_FILE_NAME);
    struct stat log_stat;
    bool has_chain = stat(log_path, &log_stat) == 0 && log_stat.st_size > 0;
    bool ok = file_make_directory(data_dir, 0700);
    if (!ok) snprintf(why, why_size, "cannot create %s: %s", data_dir, strerror(errno));
    ok = ok && load_or_make_producer_key(n, !has_chain, why, why_size);
    if (ok) *key = n->producer;
    sodium_memzero(n->producer_secret, sizeof n->producer_secret);
    free(n);
    return ok;
}

static void cosign_say(void *context, const char *what, const char *detail) { say(context, what, detail); }

static void notice(void *context, const tally_chain_failure *failure) {
    const node *n = context;
    say(n, "notice", failure->message);
}

/* Opens data/index.sqlite and brings it to the log's tip (rebuilding it when it is
 * missing, of another schema, or of another chain). */
static bool open_index(node *n, char *why, size_t why_size) {
    char path[4200];
    snprintf(path, sizeof path, "%s/index.sqlite", n->data_dir);
    char index_why[INDEX_WHY_BYTES];
    index_error error = index_open(path, &n->index, index_why, sizeof index_why);
    /* SQLite fsyncs the directory for its WAL and journals, not for a database file
     * it creates: without this a power cut could forget a new index's name after its
     * pages were synced (harmless, it is rebuilt, but a rebuild of a long chain). */
    if (error == INDEX_OK && !file_sync_directory(n->data_dir)) {
        snprintf(why, why_size, "cannot fsync %s after opening the query index: %s", n->data_dir, strerror(errno));
        return false;
    }
    index_catch_up_summary summary = {0};
    if (error == INDEX_OK)
        error = index_catch_up(n->index, tally_store_log(n->store), NULL, NULL, &summary, index_why, sizeof index_why);
    if (error != INDEX_OK) {
        snprintf(why, why_size, "the query index %s: %s (delete it to rebuild it from the log)", path, index_why);
        return false;
    }
    if (summary.rebuilt) say(n, "notice", "the query index did not match the block log and was rebuilt");
    return true;
}

bool node_open(const node_config *config, node **out, char *why, size_t why_size) {
    node *n = calloc(1, sizeof *n);
    if (!n) return snprintf(why, why_size, "out of memory"), false;
    n->config = *config;
    snprintf(n->data_dir, sizeof n->data_dir, "%s", config->data_dir);
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->work, NULL);
    pthread_cond_init(&n->committed, NULL);
    pthread_cond_init(&n->readers_done, NULL);
    pthread_mutex_init(&n->index_lock, NULL);
    tally_block_init(&n->block);
    bool tables = recent_init(&n->statuses, STATUS_SLOTS, sizeof(tx_status));
    tables = recent_init(&n->verdicts, VERDICT_SLOTS, 1) && tables;
    n->candidates = calloc(config->block_max_txs, sizeof *n->candidates);
    n->candidate_txs = calloc(config->block_max_txs, sizeof *n->candidate_txs);
    n->candidate_results = calloc(config->block_max_txs, sizeof *n->candidate_results);
    n->candidate_prepared = calloc(config->block_max_txs, sizeof *n->candidate_prepared);
    if (!tables || !n->candidates || !n->candidate_txs || !n->candidate_prepared ||
        !n->candidate_results || !mempool_init(&n->pool, config->mempool_capacity)) {
        node_close(n);
        return snprintf(why, why_size, "out of memory"), false;
    }
    /* Created durably: the directory that holds it is fsynced too. */
    if (!file_make_directory(n->data_dir, 0700)) {
        snprintf(why, why_size, "cannot create %s: %s", n->data_dir, strerror(errno));
        node_close(n);
        return false;
    }
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/%s", n->data_dir, TALLY_LOG_FILE_NAME);
    struct stat log_stat;
    n->is_new = stat(log_path, &log_stat) != 0 || log_stat.st_size == 0;
    if (!load_or_make_producer_key(n, n->is_new, why, why_size)) {
        node_close(n);
        return false;
    }
    n->signatures = tally_signature_pool_start(config->verify_threads);
    if (!n->signatures) {
        snprintf(why, why_size, "cannot start the signature checking threads");
        node_close(n);
        return false;
    }
    tally_store_options options = {.notice = notice, .notice_context = n, .signatures = n->signatures};
    n->store_options = options;
    tally_chain_failure failure;
    tally_chain_error error = TALLY_CHAIN_OK;
    if (!n->is_new) {
        error = tally_store_open(n->data_dir, &options, &n->store, &failure);
        /* The log held nothing but a torn genesis record, which opening just cut
         * off: a crash during the first start. No block was ever durable, so the
         * chain is created now, as on a first start. */
        n->is_new = error == TALLY_CHAIN_ERR_LOG_EMPTY;
    }
    if (n->is_new) {
        tally_block genesis;
        tally_block_init(&genesis);
        /* A validator joining a chain starts from the genesis its ordering log holds
         * (tally_store_create verifies it); a new chain's first node makes one. */
        if (config->genesis)
            error = tally_block_decode(config->genesis, config->genesis_length, &genesis, &failure);
        else
            error = tally_genesis_make(n->producer_secret, (int64_t)(now_ms() / 1000), config->chain_name,
                                       strlen(config->chain_name), &config->chain_rules, &genesis, &failure);
        if (error == TALLY_CHAIN_OK) error = tally_store_create(n->data_dir, &genesis, &options, &n->store, &failure);
        tally_block_release(&genesis);
    }
    if (error == TALLY_CHAIN_ERR_LOG_CORRUPT && failure.offset != TALLY_NO_OFFSET) {
        snprintf(why, why_size,
                 "%s\n  restore the data directory from a backup or another node, or start tallyd with --repair "
                 "to cut the log at byte %llu: block %llu and every later block are lost (--repair lists them)",
                 failure.message, (unsigned long long)failure.offset, (unsigned long long)failure.height);
        node_close(n);
        return false;
    }
    if (error != TALLY_CHAIN_OK) {
        snprintf(why, why_size, "%s", failure.message);
        node_close(n);
        return false;
    }
    if (!config->may_follow && tally_chain_validator_index(tally_store_tip(n->store), &n->producer) < 0) {
        snprintf(why, why_size, "producer.seed is not the key of a validator of this chain");
        node_close(n);
        return false;
    }
    memcpy(n->chain_id, tally_store_tip(n->store)->chain_id, TALLY_CHAIN_ID_BYTES);
    n->dev_chain = tally_state_chain_rules(tally_store_state(n->store))->dev_chain != 0;
    if (!open_index(n, why, why_size)) {
        node_close(n);
        return false;
    }
    /* Co-signatures (issue 14). */
    if (!cosigner_open(&n->cosign, n->data_dir, n->store, &n->producer, n->signatures, cosign_say, n, why,
                       why_size)) {
        node_close(n);
        return false;
    }
    n->cosign.waits_for_room = true; /* "A full disk" below; not on a validator of several */
    n->metrics.started_at = now_ms() / 1000;
    n->metrics.mempool_capacity = config->mempool_capacity;
    if (n->config.mempool_per_sender == 0 || n->config.mempool_per_sender > config->mempool_capacity)
        n->config.mempool_per_sender = config->mempool_capacity;
    n->metrics.mempool_per_sender = n->config.mempool_per_sender;
    n->last_block_ms = now_ms();
    n->last_block_start_ns = monotonic_ns(); /* --block-min-ms counts from the start too */
    /* A dev chain whose time was advanced before a restart goes on from its tip: its
     * blocks keep their time instead of waiting for the clock to catch up. */
    int64_t tip_time = tally_store_tip(n->store)->block_time, wall = (int64_t)(now_ms() / 1000);
    if (node_is_dev_chain(n) && tip_time > wall) n->dev_offset = tip_time - wall;
    *out = n;
    return true;
}

bool node_failed(const node *n) { return __atomic_load_n(&n->failed, __ATOMIC_ACQUIRE); }
bool node_is_dev_chain(const node *n) { return n->dev_chain; }
bool node_is_new(const node *n) { return n->is_new; }
const tally_key *node_producer(const node *n) { return &n->producer; }


/* ---- the producer ---- */

static tx_status node_refused(node_refusal reason);

/* The time of the next block: the clock (a dev chain's: moved ahead), never before
 * the tip (the clock may go back). */
static int64_t next_block_time(const node *n, const tally_chain_tip *tip) {
    int64_t now = (int64_t)(now_ms() / 1000) + __atomic_load_n(&n->dev_offset, __ATOMIC_ACQUIRE);
    return now < tip->block_time ? tip->block_time : now;
}

/* Builds the block under the lock, writes it without the lock (admission goes on
 * meanwhile: what it admits goes into the next block; reads of the state wait, since
 * it holds a block the log may never hold), publishes it under the lock. */
/* The health periods a block just made ended, with their figures from the state the
 * block left (its network's last completed period now). Lock held. */
/* The figures of the period a `health_recorded` event ended, when the state still has
 * it as its network's last completed one; the pool's parts too when the state is the
 * one the event's block left (at_block), since they are not in the health record. */
static bool health_in_state(const tally_state *state, const tally_event *event, bool at_block,
                            index_health_given *out) {
    const tally_network *network = tally_state_network(state, event->network_id);
    if (event->kind != TALLY_EVENT_HEALTH_RECORDED || !network || network->health.period != (uint64_t)event->amount)
        return false;
    *out = (index_health_given){network->id, network->health,
                                {at_block, network->pool_primary, network->pool_buffer, network->pool_excess}};
    return true;
}

static void keep_health(node *n, const tally_block *block) {
    const tally_state *state = tally_store_state(n->store);
    for (uint32_t e = 0; e < block->event_count; e++) {
        if (!health_in_state(state, &block->events[e], true, &n->health_kept[n->health_kept_next])) continue;
        n->health_kept_next = (n->health_kept_next + 1) % HEALTH_KEPT_MAX;
        if (n->health_kept_count < HEALTH_KEPT_MAX) n->health_kept_count++;
    }
}

static tally_chain_error build_write_publish(node *n, int64_t block_time, uint32_t count, bool *lost,
                                             tally_chain_failure *failure) {
    /* Signatures were checked at admission, on every core: the block is built
     * without checking them again. */
    tally_chain_error error =
        tally_store_build_next(n->store, n->producer_secret, block_time, n->candidate_txs, n->candidate_prepared, count,
                               n->candidate_results, &n->block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    if (n->validator) {
        error = validator_write_publish(n, lost, failure);
        if (error == TALLY_CHAIN_OK && !*lost) keep_health(n, &n->block);
        return error;
    }
    n->writing = true;
    pthread_mutex_unlock(&n->lock);
    error = tally_store_write_next(n->store, failure);
    pthread_mutex_lock(&n->lock);
    n->writing = false;
    if (error == TALLY_CHAIN_OK) {
        tally_store_publish_next(n->store);
        keep_health(n, &n->block);
    }
    return error;
}

tally_chain_error node_store_reopen(node *n, tally_chain_failure *failure) {
    /* Readers wait as for a write (node_read_begin): the state holds the block until
     * it is reopened, and the wait below lets the lock go. */
    n->writing = true;
    n->waiting_for_checks = true;
    while (n->checking > 0) pthread_cond_wait(&n->committed, &n->lock);
    n->waiting_for_checks = false;
    tally_store_close(n->store);
    n->store = NULL;
    tally_chain_failure reopen;
    tally_chain_error error = tally_store_open(n->data_dir, &n->store_options, &n->store, &reopen);
    if (error != TALLY_CHAIN_OK) *failure = reopen;
    /* On failure the caller marks the node failed before it lets the lock go, so no
     * reader meets the missing store. */
    n->writing = false;
    pthread_cond_broadcast(&n->committed);
    return error;
}

/* Refuses the first `count` candidates (a block that was not made) and everything
 * waiting in the mempool, for `reason`: none of it is committed, and their senders
 * are told so. Producer thread, lock held. */
static void refuse_all_waiting(node *n, uint32_t count, node_refusal reason) {
    for (uint32_t i = 0; i < count; i++) {
        status_set(n, n->candidates[i].id, node_refused(reason));
        tally_tx_release(&n->candidates[i].tx);
    }
    while ((count = mempool_take(&n->pool, n->candidates, n->config.block_max_txs)) > 0)
        for (uint32_t i = 0; i < count; i++) {
            status_set(n, n->candidates[i].id, node_refused(reason));
            tally_tx_release(&n->candidates[i].tx);
        }
    pthread_cond_broadcast(&n->committed);
}

/* Co-signatures (issue 14): a failed write of cosignatures.log stops the node as a
 * failed block write does (cosigner.h); what waits in the mempool is refused.
 * Producer thread, lock held, the candidates free. */
static void stop_if_cosign_failed(node *n) {
    if (!n->cosign.failed || node_failed(n)) return;
    __atomic_store_n(&n->failed, true, __ATOMIC_RELEASE);
    refuse_all_waiting(n, 0, NODE_REFUSAL_NODE_FAILED);
}

/*
 * A full disk. A write that fails with ENOSPC, and leaves its file as it was (the
 * block log and the co-signature log cut a partial record off again), is not a
 * broken disk: the node refuses every transaction with 503 DISK_FULL, keeps
 * serving reads, and probes every DISK_PROBE_MS for room (tally_store_probe_space:
 * DISK_PROBE_BYTES written, fsynced and removed); when the probe succeeds it makes
 * again the co-signatures that waited (cosigner_sign_again) and takes
 * transactions again, by itself. Nothing it did not make durable is acknowledged:
 * a block whose write found the disk full is undone (disk_full_undo_block) and its
 * transactions are refused DISK_FULL with the mempool's, for their senders to send
 * again. Reads meanwhile answer from the last durable block. The query index
 * (SQLite) waits out a full disk too: its batch rolled back, the indexer tries it
 * again every INDEX_FULL_RETRY_MS, and histories lag until then. Any other failed write
 * (EIO, a failed fsync: the kernel may have dropped the pages) still stops the node.
 * A validator of a chain of several stops as before: its block is in the chain's
 * log already, so its transactions are not the node's to refuse.
 */
#define DISK_PROBE_MS 250u
#define INDEX_FULL_RETRY_MS 500u
#define DISK_PROBE_BYTES (1u << 20)

/* Refuses the first `count` candidates and the mempool DISK_FULL, and makes no block
 * until a probe finds room. */
static void disk_full_begin(node *n, uint32_t count, const char *what, const char *detail) {
    refuse_all_waiting(n, count, NODE_REFUSAL_DISK_FULL);
    if (n->disk_full) return;
    say(n, what, detail);
    n->disk_full = true;
    n->disk_full_since_ms = now_ms();
    n->disk_full_probe_ns = monotonic_ns() + (uint64_t)DISK_PROBE_MS * 1000000u;
    n->metrics.disk_full_episodes++;
}

/* The block of the `count` candidates found the disk full: its record was cut off
 * the log again, but the state in memory holds it, so the store is opened again (as
 * a validator does after a lost proposal: the newest snapshot, then the log), once
 * no submission is checking signatures against the state. false when it cannot be:
 * then the node stops as after any failed write. Producer thread, lock held. */
static bool disk_full_undo_block(node *n, uint32_t count, tally_chain_failure *failure) {
    char detail[TALLY_FAILURE_MESSAGE_MAX + 200];
    snprintf(detail, sizeof detail,
             "%s; refusing transactions (503 DISK_FULL) until there is room again, reads still served; the block was "
             "not acknowledged",
             failure->message);
    if (node_store_reopen(n, failure) != TALLY_CHAIN_OK) return false;
    disk_full_begin(n, count, "disk full: a block could not be written", detail);
    return true;
}

/* Whether there is room again (the probe); then the co-signatures that waited are
 * made and transactions are taken again. Producer thread, lock held; let go for the
 * probe, which touches only a scratch file (the store is replaced only by this
 * thread). */
static void disk_full_probe(node *n) {
    n->disk_full_probe_ns = monotonic_ns() + (uint64_t)DISK_PROBE_MS * 1000000u;
    pthread_mutex_unlock(&n->lock);
    tally_chain_failure failure;
    tally_chain_error error = tally_store_probe_space(n->store, DISK_PROBE_BYTES, &failure);
    pthread_mutex_lock(&n->lock);
    if (error != TALLY_CHAIN_OK) {
        if (failure.os_error != ENOSPC) say(n, "disk full: the probe for room failed otherwise", failure.message);
        return;
    }
    if (!cosigner_sign_again(&n->cosign, n->producer_secret, tally_store_log(n->store))) return;
    char detail[96];
    uint64_t lasted = now_ms() - n->disk_full_since_ms;
    snprintf(detail, sizeof detail, "taking transactions again after %llu.%03llu s", (unsigned long long)(lasted / 1000),
             (unsigned long long)(lasted % 1000));
    n->disk_full = false;
    n->metrics.disk_full_ms_total += lasted;
    say(n, "disk space returned", detail);
}

/* Makes one block of what is pending. Called with the lock held, which it lets go
 * while the block is written. */
static void produce_block(node *n) {
    uint32_t count = mempool_take(&n->pool, n->candidates, n->config.block_max_txs);
    const tally_state *state = tally_store_state(n->store);
    for (uint32_t i = 0; i < count; i++) {
        n->candidate_txs[i] = n->candidates[i].tx;
        /* Prepared on a verifier thread as a rule; here only what was not. */
        if (n->candidates[i].has_prepared) n->candidate_prepared[i] = n->candidates[i].prepared;
        else tally_tx_prepare(state, &n->candidates[i].tx, &n->candidate_prepared[i]);
    }
    /* What a full block leaves is due at once; what arrives in an empty mempool
     * during the write starts the clock again (admit). */
    if (n->pool.count > 0) n->oldest_pending_ns = 0;
    const tally_chain_tip *tip = tally_store_tip(n->store);
    int64_t block_time = next_block_time(n, tip);
    n->block_requested = false;
    uint64_t started = monotonic_ns();
    tally_chain_failure failure;
    bool lost = false;
    tally_chain_error error = build_write_publish(n, block_time, count, &lost, &failure);
    if (error == TALLY_CHAIN_OK && lost) {
        /* Another validator's block holds this height, or the lease went first: none
         * of these was committed. Their senders submit them again (a follower that
         * forwarded them does so by itself). */
        for (uint32_t i = 0; i < count; i++) {
            status_set(n, n->candidates[i].id, node_refused(NODE_REFUSAL_NOT_COMMITTED));
            tally_tx_release(&n->candidates[i].tx);
        }
        n->metrics.blocks_lost++;
        pthread_cond_broadcast(&n->committed);
        return;
    }
    if (error != TALLY_CHAIN_OK && failure.os_error == ENOSPC && !n->validator && disk_full_undo_block(n, count, &failure))
        return;
    if (error != TALLY_CHAIN_OK) {
        /* Nothing of this block was acknowledged. The state in memory may hold it, so
         * the node stops answering until it is restarted and replays its log; what
         * was admitted meanwhile is refused too. */
        say(n, "FATAL: could not make a block durable", failure.message);
        __atomic_store_n(&n->failed, true, __ATOMIC_RELEASE);
        refuse_all_waiting(n, count, NODE_REFUSAL_NODE_FAILED);
        return;
    }
    uint64_t height = tally_store_tip(n->store)->height;
    /* Co-signatures (issue 14): the block is durable and published; the node vouches
     * for it too (one write, flushed by producer_main), as a validator in force after it. */
    node_take_validators(n);
    cosigner_sign_block(&n->cosign, n->producer_secret, height, tally_store_tip(n->store)->hash);
    for (uint32_t i = 0; i < count; i++) {
        tx_status status = {.result = n->candidate_results[i]};
        status.state = status.result.code == TALLY_OK ? TX_COMMITTED : TX_REFUSED;
        status.height = status.state == TX_COMMITTED ? height : 0;
        status_set(n, n->candidates[i].id, status);
        if (status.state == TX_COMMITTED) n->metrics.txs_committed++;
        else n->metrics.txs_refused_in_block++;
        /* The block holds its own copy of a batch's lines; the mempool's go. */
        tally_tx_release(&n->candidates[i].tx);
    }
    n->metrics.blocks_produced++;
    n->metrics.last_block_ns = monotonic_ns() - started;
    n->metrics.block_ns_total += n->metrics.last_block_ns;
    n->last_block_ms = now_ms();
    if (n->config.snapshot_every && height % n->config.snapshot_every == 0 &&
        tally_store_snapshot(n->store, &failure) != TALLY_CHAIN_OK)
        say(n, "snapshot failed (the log has every block, nothing is lost)", failure.message);
    stop_if_cosign_failed(n); /* co-signatures (issue 14) */
    if (n->cosign.unsigned_from != 0 && !node_failed(n)) {
        /* The block is durable and acknowledged; its co-signature waits for room. */
        char detail[160];
        snprintf(detail, sizeof detail,
                 "the co-signature of block %llu waits for room; refusing transactions (503 DISK_FULL) until then",
                 (unsigned long long)height);
        disk_full_begin(n, 0, "disk full: a co-signature could not be written", detail);
    }
    pthread_cond_broadcast(&n->committed);
}

/* When (CLOCK_MONOTONIC ns) the next block of what is pending is due; 0: now.
 * See the top of this file. Called with the lock held and something pending. */
static uint64_t block_due_ns(const node *n) {
    uint64_t earliest = n->last_block_start_ns + (uint64_t)n->config.block_min_ms * 1000000u;
    if (n->pool.count >= n->config.block_max_txs || n->pool.lines >= TALLY_BLOCK_LINES_MAX || !n->running) return 0;
    uint64_t latest = n->oldest_pending_ns + (uint64_t)n->config.block_ms * 1000000u;
    if (n->checking > 0) {
        uint64_t duty = n->last_block_start_ns + BLOCK_DUTY_CYCLE * n->last_block_cpu_ns;
        if (duty > earliest) earliest = duty;
    }
    return earliest < latest ? earliest : latest;
}

static void *producer_main(void *context) {
    node *n = context;
    pthread_mutex_lock(&n->lock);
    while (!node_failed(n)) {
        uint64_t now = monotonic_ns();
        /* Co-signatures (issue 14): fsynced at most every 100 ms under load, at once
         * when idle, without the lock (they are never acknowledged: cosigner.h); a
         * failed write stops the node. */
        stop_if_cosign_failed(n);
        if (node_failed(n)) break;
        if (n->disk_full) {
            /* No block until there is room (see "A full disk" above). */
            if (!n->running) break;
            if (now >= n->disk_full_probe_ns) {
                disk_full_probe(n);
                continue;
            }
            uint64_t wait_ms = (n->disk_full_probe_ns - now + 999999u) / 1000000u;
            struct timespec deadline = deadline_after_ms(wait_ms > 1000 ? 1000 : (uint32_t)wait_ms);
            pthread_cond_timedwait(&n->work, &n->lock, &deadline);
            continue;
        }
        if (cosigner_flush_due(&n->cosign, n->pool.count == 0, now)) {
            cosigner_flush_begin(&n->cosign, now);
            pthread_mutex_unlock(&n->lock);
            tally_chain_failure failure;
            tally_chain_error error = cosigner_flush(&n->cosign, &failure);
            pthread_mutex_lock(&n->lock);
            cosigner_flush_end(&n->cosign, error, &failure);
            continue;
        }
        uint64_t due = 0;
        n->following = n->validator && !validator_may_propose(n);
        if (n->following) {
            /* Another validator proposes: what clients sent here goes to it. */
            if (!n->running) break;
            validator_forward(n);
            struct timespec deadline = deadline_after_ms(5);
            pthread_cond_timedwait(&n->work, &n->lock, &deadline);
            continue;
        }
        if (n->pool.count > 0) {
            due = block_due_ns(n);
        } else {
            if (!n->running) break;
            /* An empty block at the next time the chain has something to do by itself
             * (a period or grace ending: a line never reads active past its end), and
             * now and then besides. */
            uint64_t idle_ms = (uint64_t)n->config.idle_block_seconds * 1000u, wall = now_ms();
            uint64_t due_ms = n->last_block_ms + idle_ms;
            /* In the machine's time: a dev chain's clock runs dev_offset ahead. */
            int64_t chain_due = tally_state_next_due(tally_store_state(n->store));
            if (chain_due != INT64_MAX) chain_due -= __atomic_load_n(&n->dev_offset, __ATOMIC_ACQUIRE);
            if (chain_due > 0 && chain_due < INT64_MAX / 1000 && (uint64_t)chain_due * 1000u < due_ms)
                due_ms = (uint64_t)chain_due * 1000u;
            due = wall >= due_ms || n->block_requested ? 0 : now + (due_ms - wall) * 1000000u;
        }
        if (due <= now) {
            /* The readers a write held up read first. */
            while (n->readers_waiting > 0 && !node_failed(n)) pthread_cond_wait(&n->readers_done, &n->lock);
            uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
            n->last_block_start_ns = now;
            produce_block(n);
            n->last_block_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
            continue;
        }
        uint64_t wait_ms = (due - now + 999999u) / 1000000u;
        struct timespec deadline = deadline_after_ms(wait_ms > 1000 ? 1000 : (uint32_t)wait_ms);
        pthread_cond_timedwait(&n->work, &n->lock, &deadline);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* Indexes the new blocks after they were acknowledged: reads them from the log under
 * the node's lock, then indexes them under the index's lock only, the blocks that
 * are waiting together (INDEX_BATCH_BLOCKS at most, and no more transactions or
 * batch lines than a block holds past the first block), in one SQLite
 * transaction: under load the indexer runs behind, and a commit per block cost a
 * tenth of its work. */
/* For each `health_recorded` event of the blocks, its figures as kept when the block
 * was made (keep_health), else its network's last completed period when it is still
 * that one (with the lock held); *given NULL when there is none (or no memory: the
 * periods are then indexed without their figures). */
static void health_figures(const node *n, const tally_block *blocks, uint32_t count, index_health_given **given,
                           uint32_t *given_count) {
    const tally_state *state = tally_store_state(n->store);
    uint32_t events = 0;
    for (uint32_t b = 0; b < count; b++)
        for (uint32_t e = 0; e < blocks[b].event_count; e++) events += blocks[b].events[e].kind == TALLY_EVENT_HEALTH_RECORDED;
    *given = NULL, *given_count = 0;
    if (events == 0 || !(*given = calloc(events, sizeof **given))) return;
    for (uint32_t b = 0; b < count; b++)
        for (uint32_t e = 0; e < blocks[b].event_count; e++) {
            const tally_event *event = &blocks[b].events[e];
            if (event->kind != TALLY_EVENT_HEALTH_RECORDED) continue;
            const index_health_given *kept = NULL;
            for (uint32_t k = 0; k < n->health_kept_count && !kept; k++)
                if (n->health_kept[k].network_id == event->network_id &&
                    n->health_kept[k].health.period == (uint64_t)event->amount)
                    kept = &n->health_kept[k];
            bool at_block = tally_store_tip(n->store)->height == blocks[b].header.height;
            if (kept) (*given)[(*given_count)++] = *kept;
            else if (health_in_state(state, event, at_block, &(*given)[*given_count])) (*given_count)++;
        }
}

static void *indexer_main(void *context) {
    node *n = context;
    /* The index is derived data: under load it runs only on cycles that checking
     * signatures and making blocks leave idle, and catches up when the load drops. */
    struct sched_param lowest = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest);
    tally_block blocks[INDEX_BATCH_BLOCKS];
    for (uint32_t i = 0; i < INDEX_BATCH_BLOCKS; i++) tally_block_init(&blocks[i]);
    bool index_waiting = false; /* for room on the disk (INDEX_ERR_FULL) */
    pthread_mutex_lock(&n->lock);
    while (!node_failed(n)) {
        uint64_t indexed = index_height(n->index);
        uint64_t next = indexed == TALLY_NO_HEIGHT ? 0 : indexed + 1;
        uint64_t tip = tally_store_tip(n->store)->height;
        if (next > tip) {
            if (!n->running) break;
            struct timespec deadline;
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += 1;
            pthread_cond_timedwait(&n->committed, &n->lock, &deadline);
            continue;
        }
        tally_chain_failure failure;
        tally_chain_error read = TALLY_CHAIN_OK;
        uint32_t count = 0;
        uint64_t txs = 0, lines = 0;
        for (; count < INDEX_BATCH_BLOCKS && next + count <= tip && txs < n->config.block_max_txs &&
               lines < TALLY_BLOCK_LINES_MAX;
             count++) {
            tally_block *block = &blocks[count];
            read = tally_blocklog_read(tally_store_log(n->store), next + count, block, &failure);
            if (read != TALLY_CHAIN_OK) break;
            txs += block->header.tx_count;
            for (uint32_t i = 0; i < block->header.tx_count; i++)
                if (block->txs[i].type == TALLY_TX_TRANSFER_BATCH) lines += block->txs[i].body.transfer_batch.line_count;
        }
        /* The figures of the health periods these blocks end, from the state while that
         * period is still its network's last (index.h): read now, under the lock. */
        index_health_given *health = NULL;
        uint32_t health_count = 0;
        health_figures(n, blocks, count, &health, &health_count);
        pthread_mutex_unlock(&n->lock);
        char why[INDEX_WHY_BYTES];
        index_error error = INDEX_OK;
        if (count > 0) {
            pthread_mutex_lock(&n->index_lock);
            error = index_add_blocks_with_health(n->index, blocks, count, health, health_count, why, sizeof why);
            pthread_mutex_unlock(&n->index_lock);
        }
        free(health);
        /* Only the first block's room is kept between batches. */
        for (uint32_t i = 1; i < count; i++) {
            tally_block_release(&blocks[i]);
            tally_block_init(&blocks[i]);
        }
        if (read == TALLY_CHAIN_OK && error == INDEX_ERR_FULL) {
            /* A full disk: the batch was rolled back; it is indexed again once there
             * is room (said once), and queries of history lag meanwhile. */
            if (!index_waiting) say(n, "the query index waits for room on the disk", why);
            index_waiting = true;
            pthread_mutex_lock(&n->lock);
            n->metrics.index_disk_full++;
            struct timespec deadline = deadline_after_ms(INDEX_FULL_RETRY_MS);
            pthread_cond_timedwait(&n->committed, &n->lock, &deadline);
            if (!n->running) break; /* a restart catches the index up */
            continue;
        }
        if (error == INDEX_OK && count > 0 && index_waiting) {
            say(n, "the query index has room again", "indexing goes on");
            index_waiting = false;
        }
        if (read != TALLY_CHAIN_OK || error != INDEX_OK) {
            /* The chain is fine; only queries of history lag. Say so and stop indexing
             * (a restart rebuilds the index from the log). The blocks read before a
             * failed read are indexed first. */
            say(n, "the query index stopped", error != INDEX_OK ? why : failure.message);
            pthread_mutex_lock(&n->lock);
            break;
        }
        pthread_mutex_lock(&n->lock);
    }
    pthread_mutex_unlock(&n->lock);
    for (uint32_t i = 0; i < INDEX_BATCH_BLOCKS; i++) tally_block_release(&blocks[i]);
    return NULL;
}

bool node_start(node *n) {
    pthread_mutex_lock(&n->lock);
    n->running = true;
    pthread_mutex_unlock(&n->lock);
    if (pthread_create(&n->producer_thread, NULL, producer_main, n) != 0) return false;
    n->producer_started = true;
    n->indexer_started = pthread_create(&n->indexer_thread, NULL, indexer_main, n) == 0;
    /* Named, so that a profile (perf, top -H) says which thread spent what. */
    pthread_setname_np(n->producer_thread, "tallyd-producer");
    if (n->indexer_started) pthread_setname_np(n->indexer_thread, "tallyd-indexer");
    return n->indexer_started;
}

void node_close(node *n) {
    if (!n) return;
    if (n->producer_started) {
        pthread_mutex_lock(&n->lock);
        n->running = false;
        pthread_cond_broadcast(&n->work);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->producer_thread, NULL);
    }
    if (n->indexer_started) {
        pthread_mutex_lock(&n->lock);
        pthread_cond_broadcast(&n->committed);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->indexer_thread, NULL);
    }
    validator_free(n); /* its threads call into the node: before anything else goes */
    index_close(n->index);
    pthread_mutex_destroy(&n->index_lock);
    cosigner_close(&n->cosign); /* flushes: co-signatures (issue 14) */
    tally_store_close(n->store);
    tally_signature_pool_stop(n->signatures); /* after the store, which borrows it */
    mempool_free(&n->pool);
    tally_block_release(&n->block);
    free(n->candidates);
    free(n->candidate_txs);
    free(n->candidate_prepared);
    free(n->candidate_results);
    recent_free(&n->statuses);
    recent_free(&n->verdicts);
    sodium_memzero(n->producer_secret, sizeof n->producer_secret);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->work);
    pthread_cond_destroy(&n->committed);
    pthread_cond_destroy(&n->readers_done);
    free(n);
}

/* ---- admission ---- */

static tx_status refused(tally_error code, int64_t available) {
    tx_status status = {.state = TX_REFUSED};
    status.result.code = code;
    status.result.available = available;
    return status;
}

static tx_status node_refused(node_refusal reason) {
    return (tx_status){.state = TX_REFUSED, .node_error = node_refusal_names[reason]};
}

/* A transfer or hold larger than the credit its payer has left after its pending
 * ones (what its holds hold is spent: tally_member_available); a batch whose lines
 * pass it (the first line that does is named, with what was left for it). Amounts
 * only: fees are the core's to check in the block. */
static tx_status credit_left(node *n, const tally_state *state, const tally_tx *tx) {
    uint32_t network_id = tx->type == TALLY_TX_TRANSFER         ? tx->body.transfer.network_id
                          : tx->type == TALLY_TX_TRANSFER_BATCH ? tx->body.transfer_batch.network_id
                          : tx->type == TALLY_TX_PENDING_CREATE ? tx->body.pending_create.network_id
                                                                : 0;
    const tally_member *payer = network_id ? tally_state_member(state, network_id, &tx->signer) : NULL;
    if (!payer) return (tx_status){0};
    int64_t left = tally_member_available(state, payer) - mempool_pending_spend(&n->pool, &tx->signer, network_id);
    /* The core's code for it: a frozen, expired, suspended or defaulted member is
     * told so, not that it lacks credit. */
    tally_error lacking = tally_member_credit_refusal(payer);
    if (tx->type != TALLY_TX_TRANSFER_BATCH) {
        int64_t amount = mempool_spend_of(tx);
        if (amount > 0 && amount > left) return refused(lacking, left > 0 ? left : 0);
        return (tx_status){0};
    }
    const tally_tx_transfer_batch *batch = &tx->body.transfer_batch;
    for (uint16_t i = 0; batch->lines && i < batch->line_count; i++) {
        int64_t amount = batch->lines[i].amount;
        if (amount <= 0) return (tx_status){0}; /* the core names that line */
        if (amount > left) {
            tx_status status = refused(lacking, left > 0 ? left : 0);
            status.result.line = (uint16_t)(i + 1);
            return status;
        }
        left -= amount;
    }
    return (tx_status){0};
}

/* What the state and the mempool refuse, in the order that tells the sender most:
 * standing (the core's tally_tx_admissible), the bound per sender, the sequence,
 * credit left. `expected` is the signer's next sequence after its pending
 * transactions (`pending` of them); `earlier` of its transactions in the same
 * submission passed already, so this one may be up to `earlier` past `expected`
 * (a batch may carry the next sequences, or, forged or not, one sequence twice: the
 * exact check follows the signature, with earlier 0). */
static tx_status state_checks(node *n, const tally_state *state, const tally_tx *tx, uint64_t expected,
                              uint32_t pending, uint32_t earlier) {
    tally_error standing = tally_tx_admissible(state, tx, next_block_time(n, tally_store_tip(n->store)));
    if (standing != TALLY_OK) return refused(standing, 0);
    if ((uint64_t)pending + earlier >= n->config.mempool_per_sender)
        return node_refused(NODE_REFUSAL_SENDER_PENDING_FULL);
    /* A follower admits a sequence a little ahead of its state (the client's last
     * transaction may be in a block the proposer made and this validator has not
     * applied yet): the proposer checks it exactly. */
    bool ahead_is_fine = n->following && tx->sequence > expected &&
                         tx->sequence - expected <= (uint64_t)n->config.mempool_per_sender;
    if (tx->sequence < expected || (tx->sequence - expected > earlier && !ahead_is_fine))
        return refused(TALLY_ERR_BAD_SEQUENCE, (int64_t)expected);
    return credit_left(n, state, tx);
}

static uint64_t next_sequence(node *n, const tally_state *state, const tally_key *signer) {
    return mempool_next_sequence(&n->pool, signer, tally_state_next_sequence(state, signer));
}

/* The second look, after the signature: everything again against the state and
 * what is pending now (a block may have been made since the first), then the
 * mempool. Called with the lock held. */
static tx_status admit(node *n, const tally_state *state, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES],
                       uint32_t home, const tally_tx_prepared *prepared) {
    tx_status known = status_get_at(n, home, id);
    if (known.state == TX_PENDING || known.state == TX_COMMITTED) return known; /* resubmitted */
    if (mempool_full(&n->pool) || !mempool_lines_fit(&n->pool, tx)) return node_refused(NODE_REFUSAL_MEMPOOL_FULL);
    tx_status checked = state_checks(n, state, tx, next_sequence(n, state, &tx->signer),
                                     mempool_sender_count(&n->pool, &tx->signer), 0);
    if (checked.state == TX_REFUSED) return checked;
    if (n->pool.count == 0) n->oldest_pending_ns = monotonic_ns();
    if (!mempool_push_prepared(&n->pool, tx, id, prepared)) return node_refused(NODE_REFUSAL_MEMPOOL_FULL);
    tx_status pending = {.state = TX_PENDING};
    status_set_at(n, home, id, pending);
    return pending;
}

/* Where a submitted transaction stands between the two looks under the lock. */
enum { STAGE_DONE, STAGE_VERIFY, STAGE_VERIFIED };

/* The first look, before any signature is checked: what the state and the mempool
 * already refuse, and what a kept verdict answers. Sets *stage. */
static tx_status look_before_signature(node *n, const tally_state *state, const tally_tx *tx,
                                       const uint8_t id[TALLY_HASH_BYTES], uint32_t home,
                                       const uint8_t digest[TALLY_HASH_BYTES], uint64_t expected, uint32_t pending,
                                       uint32_t earlier, uint8_t *stage) {
    *stage = STAGE_DONE;
    tx_status known = status_get_at(n, home, id);
    if (known.state == TX_PENDING || known.state == TX_COMMITTED) return known; /* resubmitted */
    if (mempool_full(&n->pool) || !mempool_lines_fit(&n->pool, tx)) return node_refused(NODE_REFUSAL_MEMPOOL_FULL);
    tx_status checked = state_checks(n, state, tx, expected, pending, earlier);
    if (checked.state == TX_REFUSED) return checked;
    const uint8_t *verdict = recent_get(&n->verdicts, digest);
    if (verdict) n->metrics.signature_checks_saved++;
    if (verdict && !*verdict) return refused(TALLY_ERR_BAD_SIGNATURE, 0);
    *stage = verdict ? STAGE_VERIFIED : STAGE_VERIFY;
    return (tx_status){0};
}

typedef struct {
    uint64_t prefix; /* the signer's first 8 bytes, big-endian: ordered as memcmp orders them */
    const uint8_t *signer;
    uint32_t index;
} by_signer;

static uint64_t key_prefix(const uint8_t *key) {
    uint64_t prefix = 0;
    for (unsigned i = 0; i < 8; i++) prefix = prefix << 8 | key[i];
    return prefix;
}

/* By signer, then position. The prefix settles almost every comparison of a sort
 * that was a sixth of a submission's work when each one was a memcmp call. */
static int compare_by_signer(const void *a, const void *b) {
    const by_signer *x = a, *y = b;
    if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
    int order = memcmp(x->signer, y->signer, TALLY_KEY_BYTES);
    return order ? order : (x->index > y->index) - (x->index < y->index);
}

/* The first look for a whole submission, one signer at a time (order[] sorts the
 * submission by signer, then position). Called with the lock held. */
static void look_at_all(node *n, const tally_state *state, const tally_tx *txs, const uint8_t (*ids)[TALLY_HASH_BYTES],
                        const uint32_t *homes, const uint8_t (*digests)[TALLY_HASH_BYTES], const by_signer *order,
                        uint32_t count, tx_status *out, uint8_t *stages) {
    for (uint32_t at = 0; at < count;) {
        const tally_key *signer = &txs[order[at].index].signer;
        uint64_t expected = next_sequence(n, state, signer);
        uint32_t pending = mempool_sender_count(&n->pool, signer), earlier = 0;
        for (; at < count && memcmp(order[at].signer, signer->bytes, TALLY_KEY_BYTES) == 0; at++) {
            uint32_t i = order[at].index;
            if (stages[i] == STAGE_DONE) continue;
            out[i] = look_before_signature(n, state, &txs[i], ids[i], homes[i], digests[i], expected, pending, earlier,
                                           &stages[i]);
            if (stages[i] != STAGE_DONE) earlier++;
        }
    }
}

/* Keeps the signature verdict of a transaction refused after its check, so that the
 * same bytes sent again are not checked again. Keyed by id and signature: a forged
 * signature on someone's id says nothing about that id's real signature. */
static void remember_verdict(node *n, const uint8_t digest[TALLY_HASH_BYTES], bool valid) {
    uint8_t *verdict = recent_put(&n->verdicts, digest);
    *verdict = valid ? 1 : 0;
}

static void count_refusal(node *n, const tx_status *status) {
    n->metrics.txs_refused_admission++;
    if (status->node_error) {
        for (int reason = 0; reason < NODE_REFUSAL_COUNT; reason++)
            if (strcmp(status->node_error, node_refusal_names[reason]) == 0) n->metrics.refused_by_node[reason]++;
    } else if ((unsigned)status->result.code < (unsigned)TALLY_ERROR_COUNT) {
        n->metrics.refused_at_admission[status->result.code]++;
    }
}

/* Outside the lock: ids, the checks that need nothing else (chain id, signer), the
 * digest of id and signature that keys the verdicts, and the submission's order by
 * signer. Sets stages[i] to STAGE_VERIFY, or STAGE_DONE with out[i] refused. */
static void prepare(node *n, const tally_tx *txs, uint32_t count, tx_status *out, uint8_t (*ids)[TALLY_HASH_BYTES],
                    uint32_t *homes, uint8_t (*digests)[TALLY_HASH_BYTES], by_signer *order, uint8_t *stages) {
    const uint8_t *chain_id = n->chain_id;
    for (uint32_t i = 0; i < count; i++) {
        tally_tx_hash(&txs[i], ids[i]);
        homes[i] = recent_home(&n->statuses, ids[i]); /* its key never changes: no lock needed */
        out[i] = (tx_status){0};
        stages[i] = STAGE_DONE;
        if (memcmp(txs[i].chain_id, chain_id, TALLY_CHAIN_ID_BYTES) != 0) out[i] = refused(TALLY_ERR_WRONG_CHAIN, 0);
        else if (tally_key_is_system(&txs[i].signer)) out[i] = refused(TALLY_ERR_SYSTEM_SIGNER, 0);
        else stages[i] = STAGE_VERIFY;
        crypto_generichash_state hash;
        crypto_generichash_init(&hash, NULL, 0, TALLY_HASH_BYTES);
        crypto_generichash_update(&hash, ids[i], TALLY_HASH_BYTES);
        crypto_generichash_update(&hash, txs[i].signature, TALLY_SIGNATURE_BYTES);
        crypto_generichash_final(&hash, digests[i], TALLY_HASH_BYTES);
        order[i] = (by_signer){key_prefix(txs[i].signer.bytes), txs[i].signer.bytes, i};
    }
    qsort(order, count, sizeof *order, compare_by_signer);
}

/* The second look for a whole submission, in its order, after the signatures
 * (valid[i]) were checked; counts what is refused. Called with the lock held. */
static void look_after_signatures(node *n, const tally_tx *txs, uint32_t count, tx_status *out,
                                  const uint8_t (*ids)[TALLY_HASH_BYTES], const uint32_t *homes,
                                  const uint8_t (*digests)[TALLY_HASH_BYTES],
                                  const uint8_t *stages, const bool *valid, const tally_tx_prepared *prepared) {
    const tally_state *state = tally_store_state(n->store);
    for (uint32_t i = 0; i < count; i++) {
        if (stages[i] != STAGE_DONE) {
            bool signed_well = stages[i] == STAGE_VERIFIED || valid[i];
            if (node_failed(n)) out[i] = node_refused(NODE_REFUSAL_NODE_FAILED);
            else if (n->disk_full) out[i] = node_refused(NODE_REFUSAL_DISK_FULL);
            else if (!signed_well) out[i] = refused(TALLY_ERR_BAD_SIGNATURE, 0);
            else out[i] = admit(n, state, &txs[i], ids[i], homes[i], stages[i] == STAGE_VERIFY ? &prepared[i] : NULL);
            if (stages[i] == STAGE_VERIFY && out[i].state == TX_REFUSED) remember_verdict(n, digests[i], signed_well);
        }
        if (out[i].state == TX_REFUSED) count_refusal(n, &out[i]);
    }
}

/* What the verifier threads do for a submission: check a signature and, when it
 * holds, hash the transaction's keys for the block (tally_tx_prepare reads only the
 * state's index secret, which never changes, so it needs no lock). */
typedef struct {
    const tally_tx *txs;
    const tally_state *state;
    tally_tx_prepared *prepared;
} submission_check;

static bool check_and_prepare(const void *context, uint32_t index) {
    const submission_check *check = context;
    if (!tally_tx_verify(&check->txs[index])) return false;
    tally_tx_prepare(check->state, &check->txs[index], &check->prepared[index]);
    return true;
}

void node_submit(node *n, const tally_tx *txs, uint32_t count, tx_status *out, uint8_t (*ids)[TALLY_HASH_BYTES]) {
    size_t room = count ? count : 1;
    bool *valid = calloc(room, sizeof *valid);
    uint8_t *stages = calloc(room, sizeof *stages);
    by_signer *order = calloc(room, sizeof *order);
    uint8_t(*digests)[TALLY_HASH_BYTES] = calloc(room, TALLY_HASH_BYTES);
    tally_tx_prepared *prepared = malloc(room * sizeof *prepared);
    uint32_t *homes = malloc(room * sizeof *homes);
    if (!valid || !stages || !order || !digests || !prepared || !homes) {
        for (uint32_t i = 0; i < count; i++) out[i] = node_refused(NODE_REFUSAL_OUT_OF_MEMORY);
        free(valid), free(stages), free(order), free(digests), free(prepared), free(homes);
        return;
    }
    prepare(n, txs, count, out, ids, homes, digests, order, stages);
    pthread_mutex_lock(&n->lock);
    if (node_failed(n) || n->disk_full) {
        node_refusal reason = node_failed(n) ? NODE_REFUSAL_NODE_FAILED : NODE_REFUSAL_DISK_FULL;
        for (uint32_t i = 0; i < count; i++)
            if (stages[i] != STAGE_DONE) out[i] = node_refused(reason), stages[i] = STAGE_DONE;
    } else {
        look_at_all(n, tally_store_state(n->store), txs, (const uint8_t(*)[TALLY_HASH_BYTES])ids, homes,
                    (const uint8_t(*)[TALLY_HASH_BYTES])digests, order, count, out, stages);
    }
    uint32_t checks = 0;
    for (uint32_t i = 0; i < count; i++) {
        valid[i] = stages[i] == STAGE_VERIFY;
        checks += valid[i];
    }
    /* On their way to the mempool: the producer may wait for them. */
    n->checking += checks;
    /* Read under the lock: a validator may replace its store (a lost block), but
     * not while checks are under way. */
    const tally_state *checked_against = tally_store_state(n->store);
    pthread_mutex_unlock(&n->lock);

    if (checks) {
        submission_check check = {txs, checked_against, prepared};
        tally_signature_pool_wait(n->signatures,
                                  tally_signature_pool_submit(n->signatures, check_and_prepare, &check, count, valid));
    }

    pthread_mutex_lock(&n->lock);
    n->checking -= checks;
    /* A validator undoing a lost block waits for the checks that read the state. */
    if (checks && n->checking == 0 && n->waiting_for_checks) pthread_cond_broadcast(&n->committed);
    n->metrics.signature_checks += checks;
    look_after_signatures(n, txs, count, out, (const uint8_t(*)[TALLY_HASH_BYTES])ids, homes,
                          (const uint8_t(*)[TALLY_HASH_BYTES])digests, stages, valid, prepared);
    /* Wake the producer: something is pending, or it waited for these. */
    if (n->pool.count > 0) pthread_cond_signal(&n->work);
    pthread_mutex_unlock(&n->lock);
    free(valid), free(stages), free(order), free(digests), free(prepared), free(homes);
}

void node_wait(node *n, const uint8_t (*ids)[TALLY_HASH_BYTES], uint32_t count, tx_status *out, uint32_t timeout_ms) {
    struct timespec deadline = deadline_after_ms(timeout_ms);
    /* Only the pending ones change: refusals at admission are final and are not in
     * the status table. */
    pthread_mutex_lock(&n->lock);
    for (bool timed_out = false;;) {
        bool waiting = false;
        for (uint32_t i = 0; i < count; i++) {
            if (out[i].state != TX_PENDING) continue;
            out[i] = status_get(n, ids[i]);
            if (out[i].state == TX_UNKNOWN) out[i].state = TX_PENDING; /* evicted: still in flight */
            if (out[i].state == TX_PENDING) waiting = true;
        }
        if (!waiting || node_failed(n) || timed_out) break;
        timed_out = pthread_cond_timedwait(&n->committed, &n->lock, &deadline) == ETIMEDOUT;
    }
    pthread_mutex_unlock(&n->lock);
}

tx_status node_status_of(node *n, const uint8_t id[TALLY_HASH_BYTES]) {
    pthread_mutex_lock(&n->lock);
    tx_status status = status_get(n, id);
    pthread_mutex_unlock(&n->lock);
    return status;
}

const tally_state *node_read_begin(node *n) {
    pthread_mutex_lock(&n->lock);
    /* Not while a block is written: the state holds it and the log may never. The
     * producer lets the readers who waited go first before its next block. */
    if (n->writing) {
        n->readers_waiting++;
        while (n->writing) pthread_cond_wait(&n->committed, &n->lock);
        if (--n->readers_waiting == 0) pthread_cond_signal(&n->readers_done);
    }
    /* Checked under the lock: a block whose write failed may be in the state, and
     * must never be served. */
    if (node_failed(n)) {
        pthread_mutex_unlock(&n->lock);
        return NULL;
    }
    return tally_store_state(n->store);
}

void node_read_end(node *n) { pthread_mutex_unlock(&n->lock); }

const tally_chain_tip *node_tip(const node *n) { return tally_store_tip(n->store); }
const tally_blocklog *node_log(const node *n) { return tally_store_log(n->store); }

/* ---- co-signatures (issue 14; node/cosigner.h) ---- */

bool node_cosignatures(node *n, uint64_t height, node_cosignature *out, uint32_t max, uint32_t *count,
                       uint8_t block_hash[TALLY_HASH_BYTES]) {
    *count = 0;
    pthread_mutex_lock(&n->lock);
    bool found = !node_failed(n) && cosigner_get(&n->cosign, tally_store_log(n->store), height, out, max, count,
                                                 block_hash);
    pthread_mutex_unlock(&n->lock);
    return found;
}

tally_chain_error node_cosign_add_remote(node *n, uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                                         uint32_t signer_index, const uint8_t signature[TALLY_SIGNATURE_BYTES],
                                         tally_chain_failure *failure) {
    pthread_mutex_lock(&n->lock);
    tally_chain_error error =
        cosigner_add_remote(&n->cosign, tally_store_log(n->store), height, block_hash, signer_index, signature, failure);
    /* flushed by the producer, which also stops the node after a failed write */
    if (error == TALLY_CHAIN_OK || n->cosign.failed) pthread_cond_signal(&n->work);
    pthread_mutex_unlock(&n->lock);
    return error;
}

void node_take_validators(node *n) {
    const tally_chain_tip *tip = tally_store_tip(n->store);
    bool was = n->cosign.is_validator;
    if (!cosigner_take_validators(&n->cosign, tip, &n->producer))
        node_say(n, "WARNING", "the chain's validator roster does not extend the co-signature log's");
    if (n->validator) validator_take_set(n);
    if (was != n->cosign.is_validator && n->cosign.store != NULL)
        node_say(n, "notice",
                 n->cosign.is_validator
                     ? "the chain added this node's key to its validators: it co-signs and may propose from now on"
                     : "this node's key is no longer a validator of the chain: it follows, and neither proposes nor "
                       "co-signs");
}

uint32_t node_validators(node *n, tally_key out[TALLY_VALIDATORS_MAX], uint32_t *quorum, uint64_t *final_height) {
    pthread_mutex_lock(&n->lock);
    uint32_t count = n->cosign.validator_count;
    memcpy(out, n->cosign.validators, count * sizeof *out);
    if (quorum) *quorum = n->cosign.quorum;
    if (final_height) *final_height = n->cosign.final_height;
    pthread_mutex_unlock(&n->lock);
    return count;
}

node_metrics node_metrics_read(node *n) {
    pthread_mutex_lock(&n->lock);
    node_metrics metrics = n->metrics;
    metrics.mempool_count = n->pool.count;
    metrics.probe_longest_statuses = n->statuses.probe_longest;
    metrics.probe_longest_verdicts = n->verdicts.probe_longest;
    metrics.probe_longest_pending = n->pool.probe_longest;
    metrics.disk_full = n->disk_full;
    if (n->disk_full && now_ms() > n->disk_full_since_ms) metrics.disk_full_ms_total += now_ms() - n->disk_full_since_ms;
    pthread_mutex_unlock(&n->lock);
    return metrics;
}

bool node_history(node *n, uint32_t network_id, const tally_key *key, uint64_t before_cursor, uint32_t limit,
                  index_history_entry *entries, uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error =
        index_history(n->index, network_id, key, before_cursor, limit, entries, count, next_cursor, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_activity(node *n, uint32_t network_id, uint64_t before_cursor, uint32_t limit, index_activity_row *rows,
                   uint32_t *count, uint64_t *next_cursor, char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_activity(n->index, network_id, before_cursor, limit, rows, count, next_cursor, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_indexed_tx(node *n, const uint8_t id[TALLY_HASH_BYTES], index_tx *tx, bool *found, char *why,
                     size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_tx_status(n->index, id, tx, found, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_search(node *n, uint32_t network_id, const char *text, size_t text_length, uint64_t before_cursor,
                 uint32_t limit, index_match *matches, uint32_t *count, uint64_t *next_cursor, char *why,
                 size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_search_page(n->index, network_id, text, text_length, before_cursor, limit, matches,
                                          count, next_cursor, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_holds_of(node *n, uint32_t network_id, const tally_key *member, uint32_t statuses, uint32_t before_id,
                   uint32_t limit, uint32_t *ids, uint32_t *count, uint32_t *next_before, char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_holds_of(n->index, network_id, member, statuses, before_id, limit, ids, count,
                                       next_before, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_requests_of(node *n, uint32_t network_id, const tally_key *member, uint32_t statuses, uint32_t before_id,
                      uint32_t limit, uint32_t *ids, uint32_t *count, uint32_t *next_before, char *why,
                      size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_requests_of(n->index, network_id, member, statuses, before_id, limit, ids, count,
                                          next_before, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_request_memos(node *n, const uint32_t *ids, uint32_t count, char (*memos)[TALLY_MEMO_MAX + 1], bool *found,
                        char *why, size_t why_size) {
    index_error error = INDEX_OK;
    pthread_mutex_lock(&n->index_lock);
    for (uint32_t i = 0; i < count && error == INDEX_OK; i++) {
        uint16_t length = 0;
        error = index_request_memo(n->index, ids[i], memos[i], &length, &found[i], why, why_size);
    }
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_pending_in(node *n, uint32_t network_id, const tally_key *member, int64_t *amount, char *why,
                     size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_pending_in(n->index, network_id, member, amount, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

bool node_health_history(node *n, uint32_t network_id, uint32_t before, uint32_t limit, index_health_row *rows,
                         uint32_t *count, uint32_t *next_before, char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_health_history(n->index, network_id, before, limit, rows, count, next_before, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

/* The last block the index holds (TALLY_NO_HEIGHT: none yet): the index trails the
 * chain, so a client that just committed reads its own writes once this reaches its
 * block. */
uint64_t node_indexed_height(node *n) {
    pthread_mutex_lock(&n->index_lock);
    uint64_t height = index_height(n->index);
    pthread_mutex_unlock(&n->index_lock);
    return height;
}

bool node_clearings(node *n, uint64_t before, uint32_t limit, index_clearing_row *rows, uint32_t *count, uint64_t *next,
                    char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = index_clearings(n->index, before, limit, rows, count, next, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}

int64_t node_block_time_now(const node *n) { return next_block_time(n, tally_store_tip(n->store)); }

/* ---- waiting for blocks (for the HTTP server's suspended commit waits) ---- */

uint64_t node_wait_for_block(node *n, uint64_t after_height, uint32_t timeout_ms) {
    struct timespec deadline = deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&n->lock);
    /* produce_block broadcasts `committed` after every block, and when a write fails */
    for (bool timed_out = false; !timed_out && !node_failed(n) && tally_store_tip(n->store)->height <= after_height;)
        timed_out = pthread_cond_timedwait(&n->committed, &n->lock, &deadline) == ETIMEDOUT;
    uint64_t height = tally_store_tip(n->store)->height;
    pthread_mutex_unlock(&n->lock);
    return height;
}

/* ---- a development chain's clock ---- */

#define DEV_ADVANCE_STEPS_MAX 2000u /* blocks one advance makes on the way, at most */

node_dev_outcome node_dev_advance(node *n, int64_t seconds, int64_t *block_time, uint64_t *height) {
    if (!node_is_dev_chain(n)) return NODE_DEV_NOT_DEV_CHAIN;
    if (seconds <= 0 || seconds > NODE_DEV_ADVANCE_MAX_SECONDS) return NODE_DEV_BAD_SECONDS;
    pthread_mutex_lock(&n->lock);
    int64_t target = next_block_time(n, tally_store_tip(n->store)) + seconds;
    /* The clock moves from one thing the chain has to do by itself to the next (a
     * line's period or grace, a hold's timeout, a request's expiry, a health period's
     * end), a block at each, as a chain that ran all along would have made them (so
     * that each health period is written in its own block, with its own figures);
     * then to the target. Past DEV_ADVANCE_STEPS_MAX steps it goes straight there:
     * the block at the new time does whatever came due on the way (at most
     * TALLY_BLOCK_DUES_MAX entries a block: the producer makes the rest at once). */
    struct timespec deadline = deadline_after_ms(30000);
    bool timed_out = false;
    for (uint32_t step = 0; step < DEV_ADVANCE_STEPS_MAX && !node_failed(n) && !timed_out; step++) {
        int64_t due = tally_state_next_due(tally_store_state(n->store));
        int64_t now = next_block_time(n, tally_store_tip(n->store));
        if (due == INT64_MAX || due >= target) break;
        if (due > now) __atomic_add_fetch(&n->dev_offset, due - now, __ATOMIC_ACQ_REL);
        n->block_requested = true;
        pthread_cond_signal(&n->work);
        uint64_t height_before = tally_store_tip(n->store)->height;
        while (!node_failed(n) && !timed_out &&
               (tally_store_tip(n->store)->block_time < due || tally_store_tip(n->store)->height == height_before))
            timed_out = pthread_cond_timedwait(&n->committed, &n->lock, &deadline) == ETIMEDOUT;
    }
    int64_t now = next_block_time(n, tally_store_tip(n->store));
    if (now < target) __atomic_add_fetch(&n->dev_offset, target - now, __ATOMIC_ACQ_REL);
    n->block_requested = true;
    pthread_cond_signal(&n->work);
    while (!node_failed(n) && !timed_out && tally_store_tip(n->store)->block_time < target)
        timed_out = pthread_cond_timedwait(&n->committed, &n->lock, &deadline) == ETIMEDOUT;
    *block_time = tally_store_tip(n->store)->block_time;
    *height = tally_store_tip(n->store)->height;
    bool failed = node_failed(n);
    pthread_mutex_unlock(&n->lock);
    if (failed) return NODE_DEV_NODE_FAILED;
    return timed_out ? NODE_DEV_TIMED_OUT : NODE_DEV_OK;
}

/* ---- clearing ---- */

bool node_clear(node *n, const tally_key *signer, const uint8_t secret[TALLY_SECRET_BYTES], node_clearing *out) {
    memset(out, 0, sizeof *out);
    clearing_plan plan;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    uint64_t sequence = 0;
    const tally_state *state = node_read_begin(n);
    if (!state) return false;
    bool planned = clearing_plan_make(state, &plan);
    if (planned) {
        sequence = next_sequence(n, state, signer);
        memcpy(chain_id, tally_state_chain_id(state), sizeof chain_id);
    }
    node_read_end(n);
    if (!planned) return false;
    uint32_t count = plan.transaction_count;
    tally_tx *txs = calloc(count ? count : 1, sizeof *txs);
    tx_status *statuses = calloc(count ? count : 1, sizeof *statuses);
    uint8_t(*ids)[TALLY_HASH_BYTES] = calloc(count ? count : 1, TALLY_HASH_BYTES);
    bool ok = txs && statuses && ids;
    for (uint32_t i = 0; ok && i < count; i++) {
        txs[i].type = TALLY_TX_CLEARING;
        memcpy(txs[i].chain_id, chain_id, sizeof chain_id);
        txs[i].signer = *signer;
        txs[i].sequence = sequence + i;
        txs[i].body.clearing = plan.transactions[i];
        tally_tx_sign(&txs[i], secret);
    }
    if (ok && count > 0) node_submit(n, txs, count, statuses, ids);
    for (uint32_t i = 0; ok && i < count; i++) {
        if (statuses[i].state == TX_PENDING || statuses[i].state == TX_COMMITTED) {
            out->submitted++;
        } else {
            if (out->refused++ == 0) out->first_refusal = statuses[i];
        }
    }
    out->totals = plan;
    out->totals.transactions = NULL, out->totals.transaction_count = count;
    clearing_plan_free(&plan);
    free(txs), free(statuses), free(ids);
    return ok;
}

bool node_clear_as_producer(node *n, node_clearing *out) { return node_clear(n, &n->producer, n->producer_secret, out); }

bool node_index_read(node *n, node_index_reader *reader, void *context, char *why, size_t why_size) {
    pthread_mutex_lock(&n->index_lock);
    index_error error = reader(n->index, context, why, why_size);
    pthread_mutex_unlock(&n->index_lock);
    return error == INDEX_OK;
}
