/*
 * validator_cluster.c: see validator_cluster.h.
 */
#include "validator_cluster.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tally_chain.h"
#include "test.h"

#define TALLYD_PATH "build/test/tallyd"
#define START_WAIT_MS 60000L
#define HEADER_PAGE 500u

uint64_t cluster_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

void cluster_sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Validator i's address: tallyd --validator-key (which makes its key). */
static bool read_address(validator_cluster *c, uint32_t i) {
    char command[512];
    snprintf(command, sizeof command, "%s --data '%s/data' --validator-key", TALLYD_PATH, c->nodes[i].directory);
    FILE *pipe = popen(command, "r");
    if (!pipe) return false;
    char line[128] = "";
    bool read = fgets(line, sizeof line, pipe) != NULL;
    int status = pclose(pipe);
    line[strcspn(line, "\n")] = '\0';
    if (!read || status != 0 || strncmp(line, "tly1", 4) != 0 || strlen(line) != TALLY_ADDRESS_LENGTH) {
        fprintf(stderr, "    cluster: %s gave no address (status %d)\n", command, status);
        return false;
    }
    memcpy(c->addresses[i], line, TALLY_ADDRESS_LENGTH + 1);
    return true;
}

/* Each validator's etcd URLs: the member beside it first, then the others. */
static void set_etcd_urls(validator_cluster *c) {
    for (uint32_t i = 0; i < c->validator_count; i++) {
        char *urls = c->etcd_urls[i];
        size_t used = 0;
        uint32_t own = i % c->etcd_count;
        for (uint32_t k = 0; k < c->etcd_count; k++) {
            uint32_t member = (own + k) % c->etcd_count;
            used += (size_t)snprintf(urls + used, sizeof c->etcd_urls[i] - used, "%s%s", k ? "," : "",
                                     etcd_cluster_url(&c->etcd, member));
        }
    }
}

bool cluster_replace_etcd(validator_cluster *c) {
    etcd_cluster_stop(&c->etcd);
    char why[512];
    if (!(c->tls ? etcd_cluster_start_tls(&c->etcd, c->etcd_count, c->tls, why, sizeof why)
                 : etcd_cluster_start(&c->etcd, c->etcd_count, why, sizeof why))) {
        fprintf(stderr, "    cluster: %s\n", why);
        return false;
    }
    for (uint32_t j = 0; j < c->etcd_count; j++) c->etcd_down[j] = false;
    set_etcd_urls(c);
    return true;
}

static bool start_cluster(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count,
                          uint32_t genesis_count, uint32_t started, const etcd_certificates *tls);

bool cluster_start(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count, uint32_t started) {
    return start_cluster(c, etcd_members, validator_count, validator_count, started, NULL);
}

bool cluster_start_named(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count,
                         uint32_t genesis_count, uint32_t started) {
    return start_cluster(c, etcd_members, validator_count, genesis_count, started, NULL);
}

bool cluster_start_tls(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count, uint32_t started,
                       const etcd_certificates *tls) {
    return start_cluster(c, etcd_members, validator_count, validator_count, started, tls);
}

bool cluster_validator_actor(const validator_cluster *c, uint32_t i, test_actor *out) {
    char path[400], hex[80] = "";
    snprintf(path, sizeof path, "%s/data/producer.seed", c->nodes[i].directory);
    FILE *file = fopen(path, "r");
    if (!file) return false;
    bool read = fgets(hex, sizeof hex, file) != NULL;
    fclose(file);
    uint8_t seed[32];
    size_t length = 0;
    if (!read || sodium_hex2bin(seed, sizeof seed, hex, strcspn(hex, "\n"), NULL, &length, NULL) != 0 ||
        length != sizeof seed)
        return false;
    tally_keypair(&out->key, out->secret, seed);
    sodium_memzero(seed, sizeof seed);
    /* the key tallyd --validator-key printed for it */
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&out->key, address);
    return strcmp(address, c->addresses[i]) == 0;
}

static bool start_cluster(validator_cluster *c, uint32_t etcd_members, uint32_t validator_count,
                          uint32_t genesis_count, uint32_t started, const etcd_certificates *tls) {
    memset(c, 0, sizeof *c);
    c->tls = tls;
    c->started_ms = cluster_now_ms();
    for (uint32_t i = 0; i < CLUSTER_VALIDATORS_MAX; i++) c->exit_status[i] = -1;
    if (validator_count == 0 || validator_count > CLUSTER_VALIDATORS_MAX || started > validator_count ||
        etcd_members == 0 || etcd_members > ETCD_CLUSTER_MEMBERS_MAX)
        return false;
    c->validator_count = validator_count;
    c->genesis_count = genesis_count >= 1 && genesis_count <= validator_count ? genesis_count : validator_count;
    char why[512];
    if (!(tls ? etcd_cluster_start_tls(&c->etcd, etcd_members, tls, why, sizeof why)
              : etcd_cluster_start(&c->etcd, etcd_members, why, sizeof why))) {
        fprintf(stderr, "    cluster: %s\n", why);
        return false;
    }
    c->etcd_count = etcd_members;
    for (uint32_t i = 0; i < validator_count; i++) {
        if (!harness_make_directory(&c->nodes[i])) return false;
        c->made[i] = true;
        snprintf(c->nodes[i].stderr_path, sizeof c->nodes[i].stderr_path, "%s/stderr.log", c->nodes[i].directory);
        if (!read_address(c, i)) return false;
    }
    set_etcd_urls(c);
    for (uint32_t i = 0; i < started; i++)
        if (!cluster_start_validator(c, i)) return false;
    return true;
}

static bool read_port(const char *path, unsigned *port) {
    FILE *file = fopen(path, "r");
    if (!file) return false;
    bool ok = fscanf(file, "%u", port) == 1;
    fclose(file);
    return ok && *port > 0;
}

bool cluster_start_validator(validator_cluster *c, uint32_t i) {
    return cluster_launch_validator(c, i) && cluster_await_validator(c, i);
}

bool cluster_launch_validator(validator_cluster *c, uint32_t i) {
    test_node *node = &c->nodes[i];
    if (i >= c->validator_count || node->pid > 0) return false;
    char data[300], port_file[320], lease[16], genesis[CLUSTER_VALIDATORS_MAX * (TALLY_ADDRESS_LENGTH + 1) + 1];
    snprintf(data, sizeof data, "%s/data", node->directory);
    snprintf(port_file, sizeof port_file, "%s/port", node->directory);
    snprintf(lease, sizeof lease, "%u", CLUSTER_LEASE_SECONDS);
    unlink(port_file);
    const char *arguments[32] = {TALLYD_PATH, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                 "--block-ms", "20", "--validator", "--etcd", c->etcd_urls[i], "--lease-s", lease};
    int count = 14;
    if (c->etcd_keep) {
        arguments[count++] = "--etcd-keep";
        arguments[count++] = c->etcd_keep;
    }
    if (c->extra_argument) arguments[count++] = c->extra_argument;
    if (c->tls) {
        arguments[count++] = "--etcd-cacert", arguments[count++] = c->tls->ca;
        arguments[count++] = "--etcd-cert", arguments[count++] = c->tls->client_cert;
        arguments[count++] = "--etcd-key", arguments[count++] = c->tls->client_key;
    }
    if (i == 0 && !c->started[0]) {
        size_t used = 0;
        for (uint32_t k = 0; k < c->genesis_count; k++)
            used += (size_t)snprintf(genesis + used, sizeof genesis - used, "%s%s", k ? "," : "", c->addresses[k]);
        arguments[count++] = "--genesis-validators";
        arguments[count++] = genesis;
    }
    arguments[count] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int fd = open(node->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) dup2(fd, STDERR_FILENO), dup2(fd, STDOUT_FILENO);
        if (fd > STDERR_FILENO) close(fd);
        execv(TALLYD_PATH, (char *const *)(uintptr_t)arguments);
        fprintf(stderr, "cannot start %s: %s\n", TALLYD_PATH, strerror(errno));
        _exit(127);
    }
    node->pid = pid;
    c->started[i] = true;
    return true;
}

bool cluster_await_validator(validator_cluster *c, uint32_t i) {
    test_node *node = &c->nodes[i];
    pid_t pid = node->pid;
    char port_file[320];
    snprintf(port_file, sizeof port_file, "%s/port", node->directory);
    if (pid <= 0) return false;
    uint64_t until = cluster_now_ms() + START_WAIT_MS;
    while (cluster_now_ms() < until) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            node->pid = 0;
            c->exit_status[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            fprintf(stderr, "    cluster: validator %u exited with status %d while starting\n", i, c->exit_status[i]);
            return false;
        }
        if (read_port(port_file, &node->port)) {
            snprintf(node->url, sizeof node->url, "http://127.0.0.1:%u", node->port);
            json_t *answer = NULL;
            long status_code = harness_request(node, "GET", "/v1/status", NULL, 0, &answer);
            const char *hex = harness_json_string(answer, "chain_id");
            size_t length = 0;
            bool ok = status_code == 200 && hex &&
                      sodium_hex2bin(node->chain_id, sizeof node->chain_id, hex, strlen(hex), NULL, &length, NULL) ==
                          0 &&
                      length == TALLY_CHAIN_ID_BYTES;
            json_decref(answer);
            if (ok) return true;
        }
        cluster_sleep_ms(50);
    }
    fprintf(stderr, "    cluster: validator %u did not serve within %ld ms\n", i, START_WAIT_MS);
    cluster_kill_validator(c, i);
    return false;
}

void cluster_kill_validator(validator_cluster *c, uint32_t i) {
    test_node *node = &c->nodes[i];
    if (node->pid <= 0) return;
    kill(node->pid, SIGKILL);
    int status;
    if (waitpid(node->pid, &status, 0) == node->pid)
        c->exit_status[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    node->pid = 0;
}

bool cluster_running(const validator_cluster *c, uint32_t i) { return i < c->validator_count && c->nodes[i].pid > 0; }

void cluster_kill_etcd(validator_cluster *c, uint32_t j) {
    etcd_cluster_kill(&c->etcd, j);
    c->etcd_down[j] = true;
}

bool cluster_restart_etcd(validator_cluster *c, uint32_t j) {
    char why[512];
    bool ok = etcd_cluster_restart(&c->etcd, j, why, sizeof why);
    if (!ok) fprintf(stderr, "    cluster: etcd member %u: %s\n", j, why);
    else c->etcd_down[j] = false;
    return ok;
}

int cluster_wait_exit(validator_cluster *c, uint32_t i, long timeout_ms) {
    test_node *node = &c->nodes[i];
    if (node->pid <= 0) return c->exit_status[i];
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    do {
        int status;
        if (waitpid(node->pid, &status, WNOHANG) == node->pid) {
            node->pid = 0;
            c->exit_status[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return c->exit_status[i];
        }
        cluster_sleep_ms(20);
    } while (cluster_now_ms() < until);
    return -1;
}

int cluster_any_running(const validator_cluster *c) {
    for (uint32_t i = 0; i < c->validator_count; i++)
        if (cluster_running(c, i)) return (int)i;
    return -1;
}

bool cluster_tip(const validator_cluster *c, uint32_t i, uint64_t *height, char *tip_hash) {
    if (!cluster_running(c, i)) return false;
    json_t *status = NULL;
    bool ok = harness_request(&c->nodes[i], "GET", "/v1/status", NULL, 0, &status) == 200;
    int64_t h = harness_json_int(status, "height");
    const char *hash = harness_json_string(status, "tip_hash");
    ok = ok && h >= 0 && hash && strlen(hash) == 2 * TALLY_HASH_BYTES;
    if (ok) {
        *height = (uint64_t)h;
        if (tip_hash) snprintf(tip_hash, 2 * TALLY_HASH_BYTES + 1, "%s", hash);
    }
    json_decref(status);
    return ok;
}

int cluster_proposer(const validator_cluster *c, long timeout_ms) {
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    do {
        int64_t seen[CLUSTER_VALIDATORS_MAX];
        uint32_t answers = 0, running = 0;
        for (uint32_t i = 0; i < c->validator_count; i++) {
            if (!cluster_running(c, i)) continue;
            running++;
            json_t *status = NULL;
            if (harness_request(&c->nodes[i], "GET", "/v1/status", NULL, 0, &status) == 200) {
                int64_t proposer = harness_json_int(status, "validator.proposer_index");
                if (proposer >= 0 && proposer < (int64_t)c->validator_count && cluster_running(c, (uint32_t)proposer))
                    seen[answers++] = proposer;
            }
            json_decref(status);
        }
        uint32_t needed = running >= 2 ? 2 : 1;
        for (uint32_t a = 0; a < answers; a++) {
            uint32_t agree = 0;
            for (uint32_t b = 0; b < answers; b++) agree += seen[a] == seen[b];
            if (agree >= needed) return (int)seen[a];
        }
        cluster_sleep_ms(50);
    } while (cluster_now_ms() < until);
    return -1;
}

bool cluster_wait_same_tip(const validator_cluster *c, uint64_t min_height, long timeout_ms, uint64_t *height) {
    uint64_t until = cluster_now_ms() + (uint64_t)timeout_ms;
    do {
        bool same = true, any = false;
        uint64_t first_height = 0;
        char first_hash[2 * TALLY_HASH_BYTES + 1] = "";
        for (uint32_t i = 0; i < c->validator_count && same; i++) {
            if (!cluster_running(c, i)) continue;
            uint64_t h;
            char hash[2 * TALLY_HASH_BYTES + 1];
            if (!cluster_tip(c, i, &h, hash)) {
                same = false;
            } else if (!any) {
                any = true, first_height = h;
                memcpy(first_hash, hash, sizeof hash);
            } else {
                same = h == first_height && strcmp(hash, first_hash) == 0;
            }
        }
        if (any && same && first_height >= min_height) {
            if (height) *height = first_height;
            return true;
        }
        cluster_sleep_ms(50);
    } while (cluster_now_ms() < until);
    fprintf(stderr, "    cluster: the running validators are not at one tip within %ld ms:", timeout_ms);
    for (uint32_t i = 0; i < c->validator_count; i++) {
        uint64_t h = 0;
        if (cluster_running(c, i) && cluster_tip(c, i, &h, NULL)) fprintf(stderr, " v%u at %llu", i, (unsigned long long)h);
        else if (cluster_running(c, i)) fprintf(stderr, " v%u silent", i);
    }
    fprintf(stderr, "\n");
    return false;
}

typedef struct {
    char hash[2 * TALLY_HASH_BYTES + 1];
    char state_hash[2 * TALLY_HASH_BYTES + 1];
} header_hashes;

/* Validator i's headers 0..up_to (fewer when it has fewer); the count read, or -1. */
static int64_t read_headers(const validator_cluster *c, uint32_t i, uint64_t up_to, header_hashes *out) {
    uint64_t cursor = 0;
    while (cursor <= up_to) {
        char path[128];
        snprintf(path, sizeof path, "/v1/blocks?cursor=%llu&limit=%u", (unsigned long long)cursor, HEADER_PAGE);
        json_t *page = NULL;
        long status = harness_request(&c->nodes[i], "GET", path, NULL, 0, &page);
        json_t *blocks = json_object_get(page, "blocks");
        if (status != 200 || !json_is_array(blocks)) {
            json_decref(page);
            return -1;
        }
        size_t count = json_array_size(blocks);
        for (size_t k = 0; k < count && cursor <= up_to; k++, cursor++) {
            json_t *block = json_array_get(blocks, k);
            const char *hash = json_string_value(json_object_get(block, "hash"));
            const char *state = json_string_value(json_object_get(block, "state_hash"));
            if (harness_json_int(block, "height") != (int64_t)cursor || !hash || !state) {
                json_decref(page);
                return -1;
            }
            snprintf(out[cursor].hash, sizeof out[cursor].hash, "%s", hash);
            snprintf(out[cursor].state_hash, sizeof out[cursor].state_hash, "%s", state);
        }
        json_decref(page);
        if (count < HEADER_PAGE) break;
    }
    return (int64_t)cursor;
}

bool cluster_compare(const validator_cluster *c, uint64_t *compared) {
    uint64_t lowest = UINT64_MAX;
    uint32_t running = 0;
    for (uint32_t i = 0; i < c->validator_count; i++) {
        if (!cluster_running(c, i)) continue;
        uint64_t h;
        if (!cluster_tip(c, i, &h, NULL)) {
            fprintf(stderr, "    cluster: validator %u does not answer /v1/status\n", i);
            return false;
        }
        if (h < lowest) lowest = h;
        running++;
    }
    if (running == 0) return false;
    header_hashes *reference = calloc(lowest + 1, sizeof *reference);
    header_hashes *other = calloc(lowest + 1, sizeof *other);
    bool same = reference && other;
    int first = -1;
    for (uint32_t i = 0; same && i < c->validator_count; i++) {
        if (!cluster_running(c, i)) continue;
        header_hashes *into = first < 0 ? reference : other;
        int64_t read = read_headers(c, i, lowest, into);
        if (read != (int64_t)(lowest + 1)) {
            fprintf(stderr, "    cluster: validator %u gave %lld headers of 0..%llu\n", i, (long long)read,
                    (unsigned long long)lowest);
            same = false;
            break;
        }
        if (first < 0) {
            first = (int)i;
            continue;
        }
        for (uint64_t h = 0; h <= lowest && same; h++) {
            if (strcmp(reference[h].state_hash, other[h].state_hash) != 0 || strcmp(reference[h].hash, other[h].hash) != 0) {
                fprintf(stderr, "    cluster: at height %llu validator %d has block %s state %s, validator %u block %s state %s\n",
                        (unsigned long long)h, first, reference[h].hash, reference[h].state_hash, i, other[h].hash,
                        other[h].state_hash);
                same = false;
            }
        }
    }
    free(reference);
    free(other);
    if (compared) *compared = lowest;
    return same;
}

bool cluster_stop_and_verify(validator_cluster *c, uint64_t tip) {
    bool ok = true, any = false;
    uint8_t first_hash[TALLY_HASH_BYTES];
    for (uint32_t i = 0; i < c->validator_count; i++) {
        if (!cluster_running(c, i)) continue;
        kill(c->nodes[i].pid, SIGTERM);
        int status = 0;
        if (waitpid(c->nodes[i].pid, &status, 0) == c->nodes[i].pid)
            c->exit_status[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        c->nodes[i].pid = 0;
        char data[300];
        snprintf(data, sizeof data, "%s/data", c->nodes[i].directory);
        tally_verify_summary summary;
        tally_chain_failure failure;
        if (tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure) != TALLY_CHAIN_OK) {
            fprintf(stderr, "    cluster: validator %u's chain does not verify: %s\n", i, failure.message);
            ok = false;
            continue;
        }
        if (summary.blocks != tip + 1) {
            fprintf(stderr, "    cluster: validator %u's chain has %llu blocks, not %llu\n", i,
                    (unsigned long long)summary.blocks, (unsigned long long)(tip + 1));
            ok = false;
        }
        if (any && memcmp(first_hash, summary.tip.hash, TALLY_HASH_BYTES) != 0) ok = false;
        if (!any) memcpy(first_hash, summary.tip.hash, TALLY_HASH_BYTES), any = true;
    }
    return ok && any;
}

static void print_tail(const char *title, const char *path, int lines) {
    char command[600];
    fprintf(stderr, "    ---- %s (%s), last %d lines ----\n", title, path, lines);
    fflush(stderr);
    snprintf(command, sizeof command, "tail -n %d '%s' 1>&2 2>/dev/null", lines, path);
    if (system(command) != 0) fprintf(stderr, "    (no log)\n");
}

void cluster_print_logs(const validator_cluster *c) {
    for (uint32_t i = 0; i < c->validator_count; i++) {
        if (!c->made[i]) continue;
        char title[64];
        snprintf(title, sizeof title, "validator %u", i);
        print_tail(title, c->nodes[i].stderr_path, 25);
    }
    for (uint32_t j = 0; j < c->etcd_count && c->etcd.directory[0]; j++) {
        char title[64], path[128];
        snprintf(title, sizeof title, "etcd member %u", j);
        snprintf(path, sizeof path, "%s/m%u.log", c->etcd.directory, j);
        print_tail(title, path, 8);
    }
}

void cluster_stop(validator_cluster *c) {
    if (test_current_failed()) cluster_print_logs(c);
    if (c->started_ms) {
        printf("    validators: wall time %.1f s (%u etcd members, %u validators)\n",
               (cluster_now_ms() - c->started_ms) / 1000.0, c->etcd_count, c->validator_count);
        fflush(stdout);
        c->started_ms = 0;
    }
    for (uint32_t i = 0; i < CLUSTER_VALIDATORS_MAX; i++) {
        cluster_kill_validator(c, i);
        if (c->made[i]) harness_remove_directory(&c->nodes[i]);
        c->made[i] = false;
    }
    etcd_cluster_stop(&c->etcd);
}

typedef struct {
    uint8_t *bytes;
    size_t length;
} received;

static size_t collect(char *data, size_t size, size_t count, void *context) {
    received *into = context;
    size_t more = size * count;
    uint8_t *grown = realloc(into->bytes, into->length + more + 1);
    if (!grown) return 0;
    memcpy(grown + into->length, data, more);
    into->bytes = grown;
    into->length += more;
    into->bytes[into->length] = 0;
    return more;
}

uint8_t *cluster_get_bytes(const test_node *node, const char *path, size_t *length) {
    CURL *curl = curl_easy_init();
    if (!curl) return NULL;
    char url[512];
    snprintf(url, sizeof url, "%s%s", node->url, path);
    received into = {NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &into);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (status != 200 || !into.bytes) {
        free(into.bytes);
        return NULL;
    }
    *length = into.length;
    return into.bytes;
}

uint8_t *cluster_read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    received into = {NULL, 0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        if (collect(chunk, 1, got, &into) != got) break;
    fclose(file);
    if (!into.bytes) into.bytes = calloc(1, 1);
    if (length) *length = into.length;
    return into.bytes;
}
