/*
 * tallyd_main.c: the node daemon. Parses its options, repairs a damaged block log
 * when the operator asks (--repair), opens (or creates) the chain in the data
 * directory, starts block production and the HTTP API, optionally creates the demo
 * network on a first start, and stops cleanly on SIGINT/SIGTERM (pending
 * transactions are committed first).
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/demo_network.h"
#include "node/http.h"
#include "node/node.h"

#ifdef TALLY_FAULT_INJECTION
#include <errno.h>

#include "node/index_power_loss.h"
#include "store/file_io.h"
#include "store/power_loss.h"
#endif

static volatile sig_atomic_t stopping;

static void on_signal(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: tallyd [options]\n"
            "\n"
            "Runs a Tally node: keeps the chain in a data directory, makes blocks of the\n"
            "transactions clients submit, and serves the HTTP JSON API (docs/openapi.yaml).\n"
            "\n"
            "options:\n"
            "  --data DIR            data directory (default ./data); created on first start\n"
            "  --listen HOST:PORT    address to serve on (default 127.0.0.1:8080; port 0 picks one)\n"
            "  --block-ms N          the longest a pending transaction waits for its block (default\n"
            "                        100). A block is made as soon as the previous one is durable;\n"
            "                        under load it waits for the transactions on their way, at most\n"
            "                        this long (and only while making blocks takes 1/16 of a core)\n"
            "  --block-min-ms N      at least N ms between blocks (default 0): fewer, larger blocks,\n"
            "                        each transaction waiting up to N ms longer\n"
            "  --block-max N         make a block at once when N transactions wait (default 8192)\n"
            "  --idle-block-s N      with nothing to do, an empty block every N s (default 60); one is also\n"
            "                        made when a credit period or grace ends, so lines change on time\n"
            "  --snapshot-every N    snapshot the state every N blocks (default 1000)\n"
            "  --mempool-per-sender N  pending transactions one signer may have (default 1024; more are\n"
            "                        refused with SENDER_PENDING_FULL until some commit)\n"
            "  --http-timeout-s N    close a connection that sends nothing for N s (default 30)\n"
            "  --http-threads N      threads serving HTTP connections, each with its own epoll set\n"
            "                        (default 16; a client waiting for its commit holds none)\n"
            "  --per-ip-connections N  connections at once from one client address (default 64;\n"
            "                        0: no such bound); 512 in all\n"
            "  --request-deadline-ms N  a request must arrive in full, headers and body, within N ms\n"
            "                        of its connection being ready for it, idle or not (default 30000)\n"
            "  --body-budget-mib N   memory for all request bodies being received at once; past it\n"
            "                        a new body is refused with 503 (default 128)\n"
            "  --chain-name NAME     name of a new chain (default tally-local)\n"
            "  --growth MODE         who may found networks and create assets on a new chain: 'open'\n"
            "                        (any key, a few a day; the default) or 'approved' (keys a\n"
            "                        validator approved with 'tally chain approve')\n"
            "  --networks-per-day N  open chain: networks one key may found per day (default 3, at most 1000)\n"
            "  --assets-per-day N    open chain: assets one key may create per day (default 3, at most 1000)\n"
            "  --dev                 a new chain is a development chain: its genesis says so (verify\n"
            "                        shows it) and its operator may move its clock forward from this\n"
            "                        machine ('tally dev advance 30d') to try periods, grace and\n"
            "                        defaults in minutes. A chain is one or the other for good\n"
            "  --repair              the node refuses to start on a damaged block log (a complete\n"
            "                        record that fails its checksum); with this, cut the log at the\n"
            "                        first damaged record, list every block and transaction that is\n"
            "                        lost, then start. Needs your consent: do not leave it on\n"
            "  --demo                on first start, create the demo network and its keys in DIR/wallet\n"
            "  --clear-every N       every N s, compute the clearing that removes the most obligation\n"
            "                        between networks and submit it signed by the producer key (default 0: never)\n"
            "  --port-file FILE      write the port served on into FILE (for tests)\n"
            "  --web DIR             the web app served at / (default: this build's web/ directory,\n"
            "                        " TALLY_WEB_DIR "); 'none' serves only the API\n"
            "\n"
            "validators (several operators run one chain; docs/VALIDATORS.md):\n"
            "  --validator-key       print this data directory's validator address (making its key\n"
            "                        on first use) and exit: give it to the chain's founder\n"
            "  --genesis-validators A,B,..  a new chain whose validators are these addresses, this\n"
            "                        node's first (it signs the genesis); at most 16\n"
            "  --validator           run as one validator of the chain: blocks are ordered through\n"
            "                        etcd; a new data directory joins the chain etcd holds\n"
            "  --etcd URL[,URL...]   the etcd cluster's client URLs (one etcd member beside each validator)\n"
            "  --reseed-etcd         etcd lost the chain (every member's data): write this validator's\n"
            "                        genesis and tip into it; run on the validator with the highest tip\n"
            "  --etcd-cacert FILE    TLS to etcd (https:// URLs): the CA of the members' certificates\n"
            "  --etcd-cert FILE      and this validator's client certificate and key (PEM), for members\n"
            "  --etcd-key FILE       run with --client-cert-auth (docs/VALIDATORS.md)\n"
            "  --etcd-prefix P       the chain's keys in etcd start with P (default /tally/)\n"
            "  --advertise URL       this node's API as the other validators reach it (default\n"
            "                        http://HOST:PORT of --listen)\n"
            "  --lease-s N           the proposer lease: a dead proposer is replaced within N s (default 2)\n"
            "  --etcd-keep N         blocks kept in etcd below what every validator applied (default 1000,\n"
            "                        at least 16)\n"
            "  --quiet               no log lines\n"
            "  --help                this text\n"
            "\n"
            "example: tallyd --data ./data --listen 127.0.0.1:8080 --demo\n");
}

/* ---- --repair ---- */

static void print_loss(void *context, const tally_log_loss *loss) {
    FILE *out = context;
    if (!loss->record) {
        fprintf(out, "  bytes %" PRIu64 " to %" PRIu64 " (%" PRIu64 " bytes): no readable record\n", loss->offset,
                loss->offset + loss->length, loss->length);
        return;
    }
    fprintf(out, "  block %" PRIu64 " at byte %" PRIu64 ", %" PRIu64 " bytes: ", loss->height, loss->offset,
            loss->length);
    const tally_block *block = loss->block;
    if (!block) {
        fprintf(out, "does not decode, its transactions cannot be listed\n");
        return;
    }
    if (block->header.height != loss->height)
        fprintf(out, "(its header says height %" PRIu64 ") ", block->header.height);
    uint32_t count = block->header.tx_count;
    fprintf(out, "%" PRIu32 " transaction%s%s\n", count, count == 1 ? "" : "s", count ? ":" : "");
    for (uint32_t i = 0; i < count; i++) {
        uint8_t id[TALLY_HASH_BYTES];
        char hex[2 * TALLY_HASH_BYTES + 1], signer[TALLY_ADDRESS_LENGTH + 1];
        tally_tx_hash(&block->txs[i], id);
        sodium_bin2hex(hex, sizeof hex, id, sizeof id);
        tally_address_encode(&block->txs[i].signer, signer);
        fprintf(out, "    %s %s by %s, sequence %" PRIu64 "\n", hex, tally_tx_type_name(block->txs[i].type), signer,
                block->txs[i].sequence);
    }
}

static void print_notice(void *context, const tally_chain_failure *notice) {
    fprintf(context, "tallyd: --repair: %s\n", notice->message);
}

/* The operator's explicit consent to lose the blocks from the first damaged record
 * on: says what is damaged and every block and transaction that goes, then cuts.
 * false when the log cannot be repaired (the node must not start). */
static bool repair(const char *data_dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", data_dir, TALLY_LOG_FILE_NAME);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "tallyd: --repair: no block log in %s, nothing to repair\n", data_dir);
        return true;
    }
    /* First what a reader sees, so the damage is named before the list of losses. */
    tally_blocklog_options look = {true, false, NULL, NULL};
    tally_blocklog *log = NULL;
    tally_chain_failure failure;
    tally_chain_error error = tally_blocklog_open(data_dir, &look, &log, &failure);
    tally_blocklog_close(log);
    if (error == TALLY_CHAIN_OK) {
        fprintf(stderr, "tallyd: --repair: %s holds no damaged record; nothing to cut\n", path);
        return true;
    }
    if (error != TALLY_CHAIN_ERR_LOG_CORRUPT) {
        fprintf(stderr, "tallyd: --repair: %s (%s)\n", failure.message, tally_chain_error_name(error));
        return false;
    }
    fprintf(stderr, "tallyd: --repair: %s\ntallyd: --repair: cutting the log there loses:\n", failure.message);
    tally_repair_options options = {print_notice, stderr, print_loss, stderr};
    tally_repair_summary summary;
    error = tally_blocklog_repair(data_dir, &options, &summary, &failure);
    if (error != TALLY_CHAIN_OK) {
        fprintf(stderr, "tallyd: --repair: %s (%s); nothing was cut\n", failure.message, tally_chain_error_name(error));
        return false;
    }
    if (!summary.cut) {
        fprintf(stderr, "tallyd: --repair: %s holds no damaged record; nothing was cut\n", path);
        return true;
    }
    fprintf(stderr,
            "tallyd: --repair: cut %s at byte %" PRIu64 ": kept blocks 0 to %" PRIu64 "; lost %" PRIu64
            " record%s (%" PRIu64 " readable, with %" PRIu64 " transaction%s) and %" PRIu64
            " bytes, listed above. Transactions acknowledged in them must be submitted again.\n",
            path, summary.damage.offset, summary.kept_blocks - 1, summary.lost_records,
            summary.lost_records == 1 ? "" : "s", summary.lost_blocks, summary.lost_transactions,
            summary.lost_transactions == 1 ? "" : "s", summary.lost_bytes);
    return true;
}

static bool parse_u32(const char *text, uint32_t *out) {
    char *end;
    unsigned long value = strtoul(text, &end, 10);
    if (!*text || *end || value > UINT32_MAX) return false;
    *out = (uint32_t)value;
    return true;
}

#ifdef TALLY_FAULT_INJECTION
/*
 * Test builds only (build/test/tallyd, which `make test` starts; the release binary
 * is compiled without this): TALLY_FAULTS="fail_sync=7" or "short_write=3,..." arms
 * the store's file fault hook (store/file_io.h), so integration tests can make the
 * Nth write or fsync of a running node fail, or the disk fill up. Counts start once
 * the data directory is open. The hook is process-wide and not thread-safe: it is
 * armed here, before any thread starts, and only the producer thread writes after.
 * Names: fail_write, short_write, fail_sync, fail_rename, crash_at_sync (counts),
 * crash_after_bytes, disk_full_after_bytes (bytes). SIGUSR2 then frees the disk
 * (file_faults_free_space): a full disk's space returns.
 */
static void on_free_space_signal(int signal_number) {
    (void)signal_number;
    file_faults_free_space();
}

static bool arm_faults_from_environment(bool quiet) {
    const char *text = getenv("TALLY_FAULTS");
    if (!text || !*text) return true;
    char copy[256];
    if (strlen(text) >= sizeof copy) return false;
    snprintf(copy, sizeof copy, "%s", text);
    file_faults faults = {0};
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(item, '='), *end = NULL;
        if (!equals || !equals[1]) return false;
        *equals = '\0';
        errno = 0;
        unsigned long long value = strtoull(equals + 1, &end, 10);
        if (*end || errno != 0) return false;
        uint32_t count = value > UINT32_MAX ? 0 : (uint32_t)value;
        if (strcmp(item, "fail_write") == 0 && count) faults.fail_write = count;
        else if (strcmp(item, "short_write") == 0 && count) faults.short_write = count;
        else if (strcmp(item, "fail_sync") == 0 && count) faults.fail_sync = count;
        else if (strcmp(item, "fail_rename") == 0 && count) faults.fail_rename = count;
        else if (strcmp(item, "crash_at_sync") == 0 && count) faults.crash_at_sync = count;
        else if (strcmp(item, "crash_after_bytes") == 0) faults.crash = true, faults.crash_after_bytes = value;
        else if (strcmp(item, "disk_full_after_bytes") == 0) faults.disk_full = true, faults.disk_full_after_bytes = value;
        else return false;
    }
    file_faults_arm(&faults);
    signal(SIGUSR2, on_free_space_signal);
    if (!quiet) fprintf(stderr, "tallyd: test build: file faults armed (TALLY_FAULTS=%s)\n", text);
    return true;
}
#endif

#ifdef TALLY_FAULT_INJECTION
static void on_cut_signal(int signal_number) {
    (void)signal_number;
    power_loss_cut_soon();
}

/*
 * Test builds only: TALLY_POWER_LOSS="seed=S,start_cut_at=N,cut_at=M,report=PATH"
 * arms the power-loss model of the file layer (store/power_loss.h) before the data
 * directory is touched, with the index's SQLite files routed through it: the power
 * fails instead of the Nth operation that changes the disk during the start, or the
 * Mth once the node serves (0: not by count), counting only operations on paths
 * that hold file=TEXT when given, or at the next one after SIGUSR1; the disk keeps what the seed chooses of what
 * was not synced; a line about the cut is appended to PATH; the process exits with
 * status 86 (POWER_CUT_EXIT).
 */
static bool arm_power_loss_from_environment(bool quiet) {
    const char *text = getenv("TALLY_POWER_LOSS");
    if (!text || !*text) return true;
    char copy[700];
    if (strlen(text) >= sizeof copy) return false;
    snprintf(copy, sizeof copy, "%s", text);
    power_loss_plan plan = {0};
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(item, '='), *end = NULL;
        if (!equals || !equals[1]) return false;
        *equals = '\0';
        if (strcmp(item, "file") == 0) {
            if (strlen(equals + 1) >= sizeof plan.cut_file) return false;
            snprintf(plan.cut_file, sizeof plan.cut_file, "%s", equals + 1);
            continue;
        }
        if (strcmp(item, "report") == 0) {
            if (strlen(equals + 1) >= sizeof plan.report_path) return false;
            snprintf(plan.report_path, sizeof plan.report_path, "%s", equals + 1);
            continue;
        }
        errno = 0;
        unsigned long long value = strtoull(equals + 1, &end, 10);
        if (*end || errno != 0) return false;
        if (strcmp(item, "seed") == 0) plan.seed = value;
        else if (strcmp(item, "start_cut_at") == 0) plan.start_cut_at = value;
        else if (strcmp(item, "cut_at") == 0) plan.cut_at = value;
        else return false;
    }
    if (!index_power_loss_install() || !power_loss_arm(&plan)) return false;
    signal(SIGUSR1, on_cut_signal);
    if (!quiet) fprintf(stderr, "tallyd: test build: power-loss model armed (TALLY_POWER_LOSS=%s)\n", text);
    return true;
}
#endif

/* Whether data_dir holds a chain already (a block log that is not empty). */
static bool has_chain(const char *data_dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", data_dir, TALLY_LOG_FILE_NAME);
    struct stat log_stat;
    return stat(path, &log_stat) == 0 && log_stat.st_size > 0;
}

/* --genesis-validators: addresses, this node's key first (it signs the genesis). */
static bool parse_validators(const char *text, const char *data_dir, tally_chain_rules *rules) {
    char copy[TALLY_VALIDATORS_MAX * (TALLY_ADDRESS_LENGTH + 2) + 1];
    if (strlen(text) >= sizeof copy) {
        fprintf(stderr, "tallyd: --genesis-validators: at most %u addresses\n", TALLY_VALIDATORS_MAX);
        return false;
    }
    snprintf(copy, sizeof copy, "%s", text);
    rules->validator_count = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (rules->validator_count == TALLY_VALIDATORS_MAX) {
            fprintf(stderr, "tallyd: --genesis-validators: at most %u addresses\n", TALLY_VALIDATORS_MAX);
            return false;
        }
        if (!tally_address_decode(item, &rules->validators[rules->validator_count])) {
            fprintf(stderr, "tallyd: --genesis-validators: %s is not an address (tly1...)\n", item);
            return false;
        }
        rules->validator_count++;
    }
    tally_key mine;
    char why[512];
    if (!node_key_of(data_dir, &mine, why, sizeof why)) {
        fprintf(stderr, "tallyd: --genesis-validators: %s\n", why);
        return false;
    }
    if (rules->validator_count == 0 || memcmp(rules->validators[0].bytes, mine.bytes, TALLY_KEY_BYTES) != 0) {
        char address[TALLY_ADDRESS_LENGTH + 1];
        tally_address_encode(&mine, address);
        fprintf(stderr, "tallyd: --genesis-validators: the first address must be this node's, %s (it signs the "
                        "genesis)\n", address);
        return false;
    }
    if (tally_chain_rules_validate(rules) != TALLY_OK) {
        fprintf(stderr, "tallyd: --genesis-validators: an address is repeated or a system key\n");
        return false;
    }
    return true;
}

static uint64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* --clear-every: one clearing, said in one line when it made transactions (not at
 * every tick that finds nothing new, dropped gateways and long cycles included). */
static void clear_now(node *n, bool quiet) {
    node_clearing outcome;
    if (!node_clear_as_producer(n, &outcome)) {
        if (!quiet) fprintf(stderr, "tallyd: clearing: not computed (node failed or out of memory)\n");
        return;
    }
    const clearing_plan *plan = &outcome.totals;
    if (quiet || plan->transaction_count == 0) return;
    fprintf(stderr,
            "tallyd: clearing: %u transactions (%u cycles) submitted, %u refused%s%s; removes %lld of %lld owed; "
            "%u cycles of more than %u gateways left (%lld), %u gateways dropped (rates inconsistent)\n",
            outcome.submitted, plan->cycles, outcome.refused, outcome.refused ? ": " : "",
            outcome.refused ? (outcome.first_refusal.node_error ? outcome.first_refusal.node_error
                                                                : tally_error_name(outcome.first_refusal.result.code))
                            : "",
            (long long)plan->removed, (long long)plan->obligation_before, plan->long_cycles,
            TALLY_CLEARING_SETOFFS_MAX, (long long)plan->unpacked, plan->gateways_dropped);
}

/* What to type next with the demo network, said at every start with --demo. */
static void print_demo_tour(const char *wallet, const char *host, unsigned port, const char *data_dir) {
    printf("In another terminal, try:\n"
           "  export TALLY_HOME=%s TALLY_PASSPHRASE=%s TALLY_NODE=http://%s:%u\n"
           "  build/release/tally --key alice balance\n"
           "  build/release/tally --key alice pay bob@greenvale 12.50 --memo \"eggs\"\n"
           "  build/release/tally --key alice history greenvale\n"
           "  build/release/tally --key alice request list greenvale   # bob's invoice for honey\n"
           "  build/release/tally --key alice request pay 2\n"
           "  build/release/tally network show greenvale\n"
           "  build/release/tally gateway list                  # Greenvale, Riverside, Hilltop and their exposures\n"
           "  build/release/tally paths alice@greenvale frank@hilltop 10\n"
           "  build/release/tally --key alice pay alice@greenvale frank@hilltop 10\n"
           "  build/release/tally --key operator gateway settle 1 5.00 --network greenvale   # pay Riverside in USD\n"
           "  build/release/tally network health greenvale      # the figures partners trust it by\n"
           "  build/release/tally market search greenvale        # eggs, bread, repairs (price on asking), a want\n"
           "  build/release/tally --key carol market order 1 --quantity 2   # then bob: market accept, carol: confirm\n"
           "  build/release/tally verify --data %s\n\n",
           wallet, DEMO_PASSPHRASE, host, port, data_dir);
    fflush(stdout);
}

int main(int argc, char **argv) {
    /* Big buffers (request bodies, pages of lists, blocks) are mapped and unmapped
     * whole: glibc's adaptive threshold would otherwise serve them from its arenas
     * after the first few are freed and keep what a flood of bodies once held. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    /* The index's SQLite counts every allocation under a global mutex only for
     * sqlite3_memory_used, which nothing here reads: a few percent of indexing.
     * Before SQLite initialises, or it is refused (harmlessly). */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    node_config config;
    node_config_defaults(&config);
    char host[64] = "127.0.0.1";
    uint32_t port = 8080;
    http_options http;
    http_options_defaults(&http);
    bool demo = false, repair_log = false, dev = false;
    const char *port_file = NULL;
    const char *web_root = TALLY_WEB_DIR;
    uint32_t clear_every_seconds = 0;
    bool validator = false, print_key = false;
    const char *genesis_validators = NULL, *advertise = NULL;
    node_validator_config validation = {.prefix = "/tally/", .lease_ttl_seconds = 2, .timeout_ms = 1000,
                                        .keep_blocks = 1000};
    for (int i = 1; i < argc; i++) {
        const char *option = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true, takes_value = true;
        if (strcmp(option, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(option, "--demo") == 0) {
            demo = true, takes_value = false;
        } else if (strcmp(option, "--quiet") == 0) {
            config.quiet = true, takes_value = false;
        } else if (strcmp(option, "--repair") == 0) {
            repair_log = true, takes_value = false;
        } else if (strcmp(option, "--validator") == 0) {
            validator = true, takes_value = false;
        } else if (strcmp(option, "--reseed-etcd") == 0) {
            validation.reseed_etcd = true, takes_value = false;
        } else if (strcmp(option, "--validator-key") == 0) {
            print_key = true, takes_value = false;
        } else if (strcmp(option, "--dev") == 0) {
            dev = true, takes_value = false;
            config.chain_rules.dev_chain = 1;
        } else if (!value) {
            ok = false;
        } else if (strcmp(option, "--web") == 0) {
            web_root = value;
        } else if (strcmp(option, "--data") == 0) {
            config.data_dir = value;
        } else if (strcmp(option, "--listen") == 0) {
            const char *colon = strrchr(value, ':');
            ok = colon && (size_t)(colon - value) < sizeof host && parse_u32(colon + 1, &port) && port <= 65535;
            if (ok) snprintf(host, sizeof host, "%.*s", (int)(colon - value), value);
        } else if (strcmp(option, "--block-ms") == 0) {
            ok = parse_u32(value, &config.block_ms) && config.block_ms > 0;
        } else if (strcmp(option, "--block-min-ms") == 0) {
            ok = parse_u32(value, &config.block_min_ms) && config.block_min_ms <= 3600000;
        } else if (strcmp(option, "--block-max") == 0) {
            ok = parse_u32(value, &config.block_max_txs) && config.block_max_txs > 0 &&
                 config.block_max_txs <= TALLY_BLOCK_TXS_MAX;
        } else if (strcmp(option, "--idle-block-s") == 0) {
            ok = parse_u32(value, &config.idle_block_seconds) && config.idle_block_seconds > 0;
        } else if (strcmp(option, "--http-timeout-s") == 0) {
            ok = parse_u32(value, &http.idle_timeout_seconds) && http.idle_timeout_seconds > 0 &&
                 http.idle_timeout_seconds <= 3600;
        } else if (strcmp(option, "--http-threads") == 0) {
            ok = parse_u32(value, &http.threads) && http.threads > 0 && http.threads <= HTTP_THREADS_MAX;
        } else if (strcmp(option, "--per-ip-connections") == 0) {
            ok = parse_u32(value, &http.per_ip_connections) && http.per_ip_connections <= HTTP_CONNECTIONS_MAX;
        } else if (strcmp(option, "--request-deadline-ms") == 0) {
            ok = parse_u32(value, &http.request_deadline_ms) && http.request_deadline_ms >= 100 &&
                 http.request_deadline_ms <= 3600000;
        } else if (strcmp(option, "--body-budget-mib") == 0) {
            ok = parse_u32(value, &http.body_budget_mib) && http.body_budget_mib >= 5 && http.body_budget_mib <= 65536;
        } else if (strcmp(option, "--mempool-per-sender") == 0) {
            ok = parse_u32(value, &config.mempool_per_sender) && config.mempool_per_sender > 0 &&
                 config.mempool_per_sender <= config.mempool_capacity;
        } else if (strcmp(option, "--snapshot-every") == 0) {
            ok = parse_u32(value, &config.snapshot_every);
        } else if (strcmp(option, "--chain-name") == 0) {
            config.chain_name = value;
        } else if (strcmp(option, "--growth") == 0) {
            ok = strcmp(value, "open") == 0 || strcmp(value, "approved") == 0;
            config.chain_rules.growth_mode = strcmp(value, "approved") == 0 ? TALLY_GROWTH_APPROVED : TALLY_GROWTH_OPEN;
        } else if (strcmp(option, "--networks-per-day") == 0 || strcmp(option, "--assets-per-day") == 0) {
            uint32_t per_day;
            ok = parse_u32(value, &per_day) && per_day >= 1 && per_day <= TALLY_DAILY_GROWTH_MAX;
            if (ok && option[2] == 'n') config.chain_rules.networks_per_key_per_day = (uint16_t)per_day;
            else if (ok) config.chain_rules.assets_per_key_per_day = (uint16_t)per_day;
        } else if (strcmp(option, "--clear-every") == 0) {
            ok = parse_u32(value, &clear_every_seconds) && clear_every_seconds <= 366u * 86400u;
        } else if (strcmp(option, "--port-file") == 0) {
            port_file = value;
        } else if (strcmp(option, "--genesis-validators") == 0) {
            genesis_validators = value;
        } else if (strcmp(option, "--etcd") == 0) {
            validation.etcd_endpoints = value;
        } else if (strcmp(option, "--etcd-cacert") == 0) {
            validation.etcd_tls.ca_file = value;
        } else if (strcmp(option, "--etcd-cert") == 0) {
            validation.etcd_tls.cert_file = value;
        } else if (strcmp(option, "--etcd-key") == 0) {
            validation.etcd_tls.key_file = value;
        } else if (strcmp(option, "--etcd-prefix") == 0) {
            ok = value[0] == '/' && strlen(value) < 64;
            validation.prefix = value;
        } else if (strcmp(option, "--advertise") == 0) {
            ok = strncmp(value, "http://", 7) == 0 && strlen(value) < ORDERING_URL_MAX;
            advertise = value;
        } else if (strcmp(option, "--lease-s") == 0) {
            ok = parse_u32(value, &validation.lease_ttl_seconds) && validation.lease_ttl_seconds >= 1 &&
                 validation.lease_ttl_seconds <= 60;
        } else if (strcmp(option, "--etcd-keep") == 0) {
            ok = parse_u32(value, &validation.keep_blocks) && validation.keep_blocks >= 16;
        } else {
            fprintf(stderr, "tallyd: unknown option %s (see tallyd --help)\n", option);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "tallyd: bad or missing value for %s (see tallyd --help)\n", option);
            return 2;
        }
        if (takes_value) i++;
    }
    if (!tally_crypto_init()) {
        fprintf(stderr, "tallyd: libsodium failed to initialise\n");
        return 1;
    }
    /* Before any thread: a validator's etcd clients and forwarding use libcurl from
     * several threads, and its implicit initialisation is not thread-safe. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "tallyd: libcurl failed to initialise\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

#ifdef TALLY_FAULT_INJECTION
    if (!arm_power_loss_from_environment(config.quiet)) {
        fprintf(stderr, "tallyd: TALLY_POWER_LOSS is not seed=S,start_cut_at=N,cut_at=M,file=TEXT,report=PATH (see tallyd_main.c)\n");
        return 2;
    }
    /* File faults armed below, once the node is open, fill the disk for the index's
     * SQLite files too: their VFS goes in before the index is opened. */
    const char *faults_text = getenv("TALLY_FAULTS");
    if (faults_text && *faults_text && !index_power_loss_install()) {
        fprintf(stderr, "tallyd: cannot install the index's test VFS\n");
        return 2;
    }
#endif
    char why[1024];
    if (print_key) {
        tally_key key;
        char address[TALLY_ADDRESS_LENGTH + 1];
        if (!node_key_of(config.data_dir, &key, why, sizeof why)) {
            fprintf(stderr, "tallyd: --validator-key: %s\n", why);
            return 1;
        }
        tally_address_encode(&key, address);
        printf("%s\n", address);
        return 0;
    }
    if (genesis_validators && !parse_validators(genesis_validators, config.data_dir, &config.chain_rules))
        return 2;
    if (validator && !validation.etcd_endpoints) {
        fprintf(stderr, "tallyd: --validator needs --etcd URL[,URL...] (the etcd cluster's client URLs)\n");
        return 2;
    }
    if (validator && demo) {
        fprintf(stderr, "tallyd: --demo makes a chain of one node; a validator's chain is made with "
                        "--genesis-validators\n");
        return 2;
    }
    /* Printed whatever --quiet says: it is what the operator consented to lose. */
    if (repair_log && !repair(config.data_dir)) return 1;
    node *n;
    uint8_t *joined_genesis = NULL;
    if (validator && !genesis_validators && !has_chain(config.data_dir)) {
        /* A new validator of an existing chain: the genesis is the ordering log's. */
        if (!config.quiet) fprintf(stderr, "tallyd: joining the chain in etcd (%s) ...\n", validation.etcd_endpoints);
        if (!node_validator_genesis(&validation, &joined_genesis, &config.genesis_length, why, sizeof why)) {
            fprintf(stderr, "tallyd: cannot join: %s\n", why);
            return 1;
        }
        config.genesis = joined_genesis;
    }
    config.may_follow = validator; /* a key the chain has not added (yet) follows */
    if (!config.quiet) fprintf(stderr, "tallyd: opening %s (replaying the block log) ...\n", config.data_dir);
    bool opened = node_open(&config, &n, why, sizeof why);
    free(joined_genesis);
    if (!opened) {
        fprintf(stderr, "tallyd: cannot open %s: %s\n", config.data_dir, why);
        return 1;
    }
#ifdef TALLY_FAULT_INJECTION
    if (!arm_faults_from_environment(config.quiet)) {
        fprintf(stderr, "tallyd: TALLY_FAULTS is not a list of name=N (see tallyd_main.c)\n");
        node_close(n);
        return 2;
    }
#endif
    if (!node_start(n)) {
        fprintf(stderr, "tallyd: cannot start the block producer\n");
        node_close(n);
        return 1;
    }
    /* The web app is a convenience beside the API: a node whose files are missing
     * still serves the chain, and says why it serves no page. */
    web_files *web = NULL;
    if (strcmp(web_root, "none") != 0) {
        char warning[512];
        web = web_files_load(web_root, why, sizeof why, warning, sizeof warning);
        if (!web && !config.quiet) fprintf(stderr, "tallyd: serving no web app: %s\n", why);
        if (web && warning[0] && !config.quiet) fprintf(stderr, "tallyd: warning: %s\n", warning);
    }
    http.web = web;
    http_server *server = http_start(n, host, (uint16_t)port, &http, why, sizeof why);
    if (!server) {
        fprintf(stderr, "tallyd: %s\n", why);
        node_close(n);
        web_files_free(web);
        return 1;
    }
    uint16_t bound = http_port(server);
    if (validator) {
        char url[ORDERING_URL_MAX];
        snprintf(url, sizeof url, "http://%s:%u", host, (unsigned)bound);
        validation.advertise_url = advertise ? advertise : url;
        if (!node_validator_start(n, &validation, why, sizeof why)) {
            fprintf(stderr, "tallyd: cannot start as a validator: %s\n", why);
            http_stop(server);
            node_close(n);
            web_files_free(web);
            return 1;
        }
        node_validator_status started = node_validator_read(n);
        char which[48];
        if (started.index == ORDERING_NO_SLOT) snprintf(which, sizeof which, "a follower (no slot yet)");
        else snprintf(which, sizeof which, "validator %u%s", started.index, started.active ? "" : " (retired)");
        if (!config.quiet)
            fprintf(stderr, "tallyd: %s of the chain, ordering through etcd %s (keys under %s)\n", which,
                    validation.etcd_endpoints, validation.prefix);
    }
    if (port_file) {
        FILE *file = fopen(port_file, "w");
        if (file) fprintf(file, "%u\n", (unsigned)bound), fclose(file);
    }
#ifdef TALLY_FAULT_INJECTION
    power_loss_serving(); /* a power-loss plan's cut_at counts from here */
#endif
    if (dev && !node_is_dev_chain(n)) {
        fprintf(stderr, "tallyd: --dev: %s holds a chain that is not a development chain; a chain is one or the "
                        "other for good (start a dev chain in a new data directory)\n",
                config.data_dir);
        http_stop(server);
        node_close(n);
        web_files_free(web);
        return 2;
    }
    if (node_is_dev_chain(n) && !config.quiet)
        fprintf(stderr, "tallyd: a DEVELOPMENT chain: move its clock with 'tally dev advance 30d'\n");
    const tally_chain_tip *tip = node_tip(n);
    if (!config.quiet)
        fprintf(stderr, "tallyd: serving http://%s:%u  chain height %llu  data %s\n", host, (unsigned)bound,
                (unsigned long long)tip->height, config.data_dir);
    if (web && !config.quiet)
        fprintf(stderr, "tallyd: the web app (%u files from %s) at http://%s:%u/\n", web_files_count(web), web_root, host,
                (unsigned)bound);
    if (demo && node_is_new(n)) {
        char wallet[4200];
        snprintf(wallet, sizeof wallet, "%s/wallet", config.data_dir);
        if (!config.quiet) fprintf(stderr, "tallyd: creating the demo network ...\n");
        if (!demo_network_create(n, wallet, why, sizeof why)) {
            fprintf(stderr, "tallyd: the demo network could not be created: %s\n", why);
        } else {
            printf("\nThe demo network Greenvale (GVH) is ready: alice, bob, carol and dave, with a pool in USD, a hold "
                   "and an open invoice;\nwith gateways to Riverside (RVS: erin) and Hilltop (HLT: frank), payments "
                   "across them (one over two hops)\nand the clearing of the cycle they made; a marketplace with listings, "
                   "a completed order and its reviews.\n");
            print_demo_tour(wallet, host, bound, config.data_dir);
        }
    } else if (demo) {
        /* A second `make run`: the same tour, if the demo's keys are still there. */
        char wallet[4200];
        snprintf(wallet, sizeof wallet, "%s/wallet", config.data_dir);
        struct stat keys;
        if (stat(wallet, &keys) == 0 && S_ISDIR(keys.st_mode)) {
            printf("\nThe demo network Greenvale (GVH) of an earlier run is back, as the chain left it "
                   "(its keys in %s).\n",
                   wallet);
            print_demo_tour(wallet, host, bound, config.data_dir);
        } else if (!config.quiet) {
            fprintf(stderr, "tallyd: reusing the data in %s (its demo keys are gone: no %s)\n", config.data_dir,
                    wallet);
        }
    }
    const struct timespec tick = {0, 100 * 1000 * 1000};
    uint64_t next_clearing_ms = clear_every_seconds ? monotonic_ms() + clear_every_seconds * 1000ull : 0;
    while (!stopping && !node_failed(n)) {
        nanosleep(&tick, NULL);
        if (next_clearing_ms && monotonic_ms() >= next_clearing_ms) {
            clear_now(n, config.quiet);
            next_clearing_ms = monotonic_ms() + clear_every_seconds * 1000ull;
        }
    }
    int status = node_failed(n) ? 1 : 0;
    node_validator_status validator_status = node_validator_read(n);
    if (validator_status.halted)
        fprintf(stderr, "tallyd: stopped: %s\n", validator_status.halt_reason);
    else if (!config.quiet)
        fprintf(stderr, "tallyd: stopping%s\n", status ? " after a failed write" : "");
    http_stop(server);
    node_close(n);
    web_files_free(web);
    return status;
}
