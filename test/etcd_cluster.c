/*
 * etcd_cluster.c: see etcd_cluster.h.
 */
#include "etcd_cluster.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT_FIRST 24000u
#define PORT_COUNT 5000u
#define START_TRIES 3
#define HEALTH_WAIT_MS 20000
#define STOP_WAIT_MS 3000

static void say(char *why, size_t why_size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_size, const char *format, ...) {
    if (!why || why_size == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(why, why_size, format, arguments);
    va_end(arguments);
}

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A port nobody listens on (and none in TIME_WAIT): bind it without SO_REUSEADDR. */
static bool port_free(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free_port = bind(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return free_port;
}

/* Picks 2 x count free ports, starting at a place keyed by the pid and moved on by
 * every cluster this process starts, so parallel runs and successive clusters do not
 * reach for the same ports. */
static bool pick_ports(etcd_cluster *cluster) {
    static unsigned next_offset;
    unsigned offset = ((unsigned)getpid() * 211u + next_offset) % PORT_COUNT;
    unsigned found = 0, needed = cluster->count * 2;
    for (unsigned tried = 0; tried < PORT_COUNT && found < needed; tried++) {
        unsigned port = PORT_FIRST + (offset + tried) % PORT_COUNT;
        if (!port_free(port)) continue;
        etcd_member *member = &cluster->members[found / 2];
        if (found % 2 == 0)
            member->client_port = port;
        else
            member->peer_port = port;
        found++;
        next_offset = (offset + tried + 1) % PORT_COUNT;
    }
    next_offset += 17;
    return found == needed;
}

static bool find_binary(const char *wanted, char *path, size_t path_size) {
    if (wanted) {
        snprintf(path, path_size, "%s", wanted);
        return access(path, X_OK) == 0;
    }
    const char *search = getenv("PATH");
    char directories[4096];
    snprintf(directories, sizeof directories, "%s:/usr/bin:/usr/local/bin", search ? search : "");
    for (char *save = NULL, *directory = strtok_r(directories, ":", &save); directory;
         directory = strtok_r(NULL, ":", &save)) {
        snprintf(path, path_size, "%s/etcd", directory);
        if (access(path, X_OK) == 0) return true;
    }
    return false;
}

static bool spawn(etcd_cluster *cluster, uint32_t index, bool existing) {
    etcd_member *member = &cluster->members[index];
    char name[16], data[128], log_path[128], initial[ETCD_CLUSTER_MEMBERS_MAX * 80] = "";
    snprintf(name, sizeof name, "m%u", (unsigned)index);
    snprintf(data, sizeof data, "%s/%s.data", cluster->directory, name);
    snprintf(log_path, sizeof log_path, "%s/%s.log", cluster->directory, name);
    for (uint32_t i = 0; i < cluster->count; i++) {
        size_t used = strlen(initial);
        snprintf(initial + used, sizeof initial - used, "%sm%u=%s", i ? "," : "", (unsigned)i,
                 cluster->members[i].peer_url);
    }
    const char *arguments[] = {cluster->binary,
                               "--name", name,
                               "--data-dir", data,
                               "--listen-client-urls", member->url,
                               "--advertise-client-urls", member->url,
                               "--listen-peer-urls", member->peer_url,
                               "--initial-advertise-peer-urls", member->peer_url,
                               "--initial-cluster", initial,
                               "--initial-cluster-state", existing ? "existing" : "new",
                               "--initial-cluster-token", cluster->token,
                               "--heartbeat-interval", "50",
                               "--election-timeout", "500",
                               "--logger", "zap",
                               "--log-outputs", "stderr",
                               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (cluster->tls) {
        size_t at = 0;
        while (arguments[at]) at++; /* after the last, into the room left for TLS */
        const char *more[] = {"--cert-file", cluster->tls->server_cert, "--key-file", cluster->tls->server_key,
                              "--trusted-ca-file", cluster->tls->ca, "--client-cert-auth"};
        for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) arguments[at + i] = more[i];
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        /* Dies with the test runner, even when the runner crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            if (fd > STDERR_FILENO) close(fd);
        }
        execv(cluster->binary, (char *const *)(uintptr_t)arguments);
        fprintf(stderr, "cannot start %s: %s\n", cluster->binary, strerror(errno));
        _exit(127);
    }
    member->pid = pid;
    return true;
}

static size_t collect(char *data, size_t size, size_t count, void *context) {
    char *into = context; /* a 4 KiB buffer, enough for /health and a status */
    size_t used = strlen(into), length = size * count;
    if (used + length < 4096) {
        memcpy(into + used, data, length);
        into[used + length] = '\0';
    }
    return length;
}

/* A POST (body not NULL) or GET of url + path; the answer's text in answer (4 KiB);
 * with the client certificate when the cluster's members want one. */
static bool fetch_as(const etcd_certificates *tls, const char *url, const char *path, const char *body, char *answer) {
    CURL *curl = curl_easy_init();
    if (!curl) return false;
    char full[160];
    snprintf(full, sizeof full, "%s%s", url, path);
    answer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, full);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (tls) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca);
        curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->client_cert);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->client_key);
    }
    if (body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    long status = 0;
    bool ok = curl_easy_perform(curl) == CURLE_OK && curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
              status == 200;
    curl_easy_cleanup(curl);
    return ok;
}

static void log_tail(const etcd_cluster *cluster, uint32_t index, char *tail, size_t tail_size) {
    char path[128];
    snprintf(path, sizeof path, "%s/m%u.log", cluster->directory, (unsigned)index);
    tail[0] = '\0';
    FILE *file = fopen(path, "r");
    if (!file) return;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    long start = size > (long)tail_size - 1 ? size - (long)tail_size + 1 : 0;
    fseek(file, start, SEEK_SET);
    size_t read = fread(tail, 1, tail_size - 1, file);
    tail[read] = '\0';
    fclose(file);
}

/* Waits until member answers /health with "true"; false when it exits or the time is up. */
static bool wait_healthy(etcd_cluster *cluster, uint32_t index, long long deadline_ms, char *why, size_t why_size) {
    etcd_member *member = &cluster->members[index];
    char answer[4096];
    while (now_ms() < deadline_ms) {
        int status;
        if (waitpid(member->pid, &status, WNOHANG) == member->pid) {
            member->pid = 0;
            char tail[400];
            log_tail(cluster, index, tail, sizeof tail);
            say(why, why_size, "etcd member %u (%s) exited with status %d; the end of its log: %s", (unsigned)index,
                member->url, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), tail);
            return false;
        }
        if (fetch_as(cluster->tls, member->url, "/health", NULL, answer) && strstr(answer, "\"true\"")) return true;
        sleep_ms(50);
    }
    say(why, why_size, "etcd member %u (%s) did not answer /health within %d ms", (unsigned)index, member->url,
        HEALTH_WAIT_MS);
    return false;
}

static bool start_once(etcd_cluster *cluster, char *why, size_t why_size) {
    if (!pick_ports(cluster)) {
        say(why, why_size, "no %u free loopback ports in %u..%u", cluster->count * 2, PORT_FIRST,
            PORT_FIRST + PORT_COUNT - 1);
        return false;
    }
    size_t used = 0;
    cluster->urls[0] = '\0';
    for (uint32_t i = 0; i < cluster->count; i++) {
        etcd_member *member = &cluster->members[i];
        snprintf(member->url, sizeof member->url, "%s://127.0.0.1:%u", cluster->tls ? "https" : "http",
                 member->client_port);
        snprintf(member->peer_url, sizeof member->peer_url, "http://127.0.0.1:%u", member->peer_port);
        used += (size_t)snprintf(cluster->urls + used, sizeof cluster->urls - used, "%s%s", i ? "," : "",
                                 member->url);
    }
    for (uint32_t i = 0; i < cluster->count; i++)
        if (!spawn(cluster, i, false)) {
            say(why, why_size, "fork failed: %s", strerror(errno));
            return false;
        }
    long long deadline = now_ms() + HEALTH_WAIT_MS;
    for (uint32_t i = 0; i < cluster->count; i++)
        if (!wait_healthy(cluster, i, deadline, why, why_size)) return false;
    return true;
}

static void stop_members(etcd_cluster *cluster) {
    for (uint32_t i = 0; i < cluster->count; i++)
        if (cluster->members[i].pid > 0) kill(cluster->members[i].pid, SIGTERM);
    long long deadline = now_ms() + STOP_WAIT_MS;
    for (uint32_t i = 0; i < cluster->count; i++) {
        etcd_member *member = &cluster->members[i];
        while (member->pid > 0) {
            int status;
            if (waitpid(member->pid, &status, WNOHANG) == member->pid) {
                member->pid = 0;
            } else if (now_ms() > deadline) {
                kill(member->pid, SIGKILL);
                waitpid(member->pid, &status, 0);
                member->pid = 0;
            } else {
                sleep_ms(20);
            }
        }
    }
}

static bool start_cluster(etcd_cluster *cluster, uint32_t count, const char *binary, const etcd_certificates *tls,
                          char *why, size_t why_size) {
    static unsigned clusters_started;
    memset(cluster, 0, sizeof *cluster);
    cluster->tls = tls;
    if (count < 1 || count > ETCD_CLUSTER_MEMBERS_MAX) {
        say(why, why_size, "an etcd test cluster has 1..%u members, not %u", ETCD_CLUSTER_MEMBERS_MAX,
            (unsigned)count);
        return false;
    }
    if (!find_binary(binary, cluster->binary, sizeof cluster->binary)) {
        say(why, why_size, "etcd is not installed: run scripts/install-deps.sh (Debian package etcd-server)");
        return false;
    }
    cluster->count = count;
    for (int attempt = 0; attempt < START_TRIES; attempt++) {
        snprintf(cluster->directory, sizeof cluster->directory, "/tmp/tally-etcd-XXXXXX");
        if (!mkdtemp(cluster->directory)) {
            say(why, why_size, "cannot make a directory under /tmp: %s", strerror(errno));
            cluster->directory[0] = '\0';
            return false;
        }
        snprintf(cluster->token, sizeof cluster->token, "tally-test-%ld-%u", (long)getpid(), clusters_started++);
        if (start_once(cluster, why, why_size)) return true;
        /* Most often a port taken between the test and etcd's bind: again on others. */
        etcd_cluster_stop(cluster);
        cluster->count = count;
    }
    return false;
}

/* rm -rf of a directory this harness made (its name starts with prefix). */
static void remove_directory(const char *directory, const char *prefix) {
    if (strncmp(directory, prefix, strlen(prefix)) != 0 || strchr(directory, '\'')) return;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", directory);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", directory);
}

bool etcd_cluster_start_binary(etcd_cluster *cluster, uint32_t count, const char *binary, char *why,
                               size_t why_size) {
    return start_cluster(cluster, count, binary, NULL, why, why_size);
}

bool etcd_cluster_start_tls(etcd_cluster *cluster, uint32_t count, const etcd_certificates *certificates,
                            char *why, size_t why_size) {
    return start_cluster(cluster, count, NULL, certificates, why, why_size);
}

/* Runs an openssl command line (in the certificates' directory); false with its
 * output's end in why. */
static bool openssl(const etcd_certificates *c, const char *arguments, char *why, size_t why_size) {
    char command[1024];
    snprintf(command, sizeof command, "cd %s && openssl %s > openssl.log 2>&1", c->directory, arguments);
    int status = system(command);
    if (status == 0) return true;
    char log[128], tail[300] = "";
    snprintf(log, sizeof log, "%s/openssl.log", c->directory);
    FILE *file = fopen(log, "r");
    if (file) {
        size_t got = fread(tail, 1, sizeof tail - 1, file);
        tail[got] = '\0';
        fclose(file);
    }
    say(why, why_size, "openssl %.60s... failed (status %d; Debian package openssl): %s", arguments, status, tail);
    return false;
}

bool etcd_cluster_make_certificates(etcd_certificates *c, char *why, size_t why_size) {
    memset(c, 0, sizeof *c);
    snprintf(c->directory, sizeof c->directory, "/tmp/tally-tls-XXXXXX");
    if (!mkdtemp(c->directory)) {
        say(why, why_size, "cannot make a directory under /tmp: %s", strerror(errno));
        c->directory[0] = '\0';
        return false;
    }
    const struct {
        char *path;
        const char *name;
    } files[] = {{c->ca, "ca.pem"}, {c->server_cert, "server.pem"}, {c->server_key, "server.key"},
                 {c->client_cert, "client.pem"}, {c->client_key, "client.key"}, {c->other_ca, "other-ca.pem"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        snprintf(files[i].path, sizeof c->ca, "%s/%s", c->directory, files[i].name);
    FILE *extensions = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/server.ext", c->directory);
    if ((extensions = fopen(path, "w"))) {
        fputs("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n", extensions);
        fclose(extensions);
    }
    snprintf(path, sizeof path, "%s/client.ext", c->directory);
    if ((extensions = fopen(path, "w"))) {
        fputs("extendedKeyUsage=clientAuth\n", extensions);
        fclose(extensions);
    }
    /* EC P-256 keys (quick to make), valid two days: long enough for any run. */
    static const char *const steps[] = {
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=tally-test-ca",
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key -out other-ca.pem "
        "-days 2 -subj /CN=tally-other-ca",
        "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1",
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext",
        "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout client.key -out client.csr "
        "-subj /CN=tally-validator",
        "x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 "
        "-extfile client.ext",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (!openssl(c, steps[i], why, why_size)) {
            etcd_cluster_remove_certificates(c);
            return false;
        }
    return true;
}

void etcd_cluster_remove_certificates(etcd_certificates *c) {
    remove_directory(c->directory, "/tmp/tally-tls-");
    c->directory[0] = '\0';
}

bool etcd_cluster_start(etcd_cluster *cluster, uint32_t count, char *why, size_t why_size) {
    return start_cluster(cluster, count, NULL, NULL, why, why_size);
}

const char *etcd_cluster_url(const etcd_cluster *cluster, uint32_t member) {
    return member < cluster->count ? cluster->members[member].url : "";
}

const char *etcd_cluster_urls(const etcd_cluster *cluster) { return cluster->urls; }

void etcd_cluster_kill(etcd_cluster *cluster, uint32_t member) {
    if (member >= cluster->count || cluster->members[member].pid <= 0) return;
    kill(cluster->members[member].pid, SIGKILL);
    int status;
    waitpid(cluster->members[member].pid, &status, 0);
    cluster->members[member].pid = 0;
}

bool etcd_cluster_restart(etcd_cluster *cluster, uint32_t member, char *why, size_t why_size) {
    if (member >= cluster->count || !cluster->directory[0]) {
        say(why, why_size, "no member %u to restart", (unsigned)member);
        return false;
    }
    etcd_cluster_kill(cluster, member);
    if (!spawn(cluster, member, true)) {
        say(why, why_size, "fork failed: %s", strerror(errno));
        return false;
    }
    return wait_healthy(cluster, member, now_ms() + HEALTH_WAIT_MS, why, why_size);
}

int etcd_cluster_leader(const etcd_cluster *cluster) {
    char answer[4096];
    char ids[ETCD_CLUSTER_MEMBERS_MAX][32] = {{0}};
    char leader[32] = "";
    for (uint32_t i = 0; i < cluster->count; i++) {
        if (cluster->members[i].pid <= 0 || !fetch_as(cluster->tls, cluster->members[i].url, "/v3/maintenance/status", "{}", answer))
            continue;
        json_t *status = json_loads(answer, 0, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(status, "header"), "member_id"));
        const char *said = json_string_value(json_object_get(status, "leader"));
        if (id) snprintf(ids[i], sizeof ids[i], "%s", id);
        if (said && strcmp(said, "0") != 0) snprintf(leader, sizeof leader, "%s", said);
        json_decref(status);
    }
    for (uint32_t i = 0; i < cluster->count; i++)
        if (leader[0] && strcmp(ids[i], leader) == 0) return (int)i;
    return -1;
}

void etcd_cluster_stop(etcd_cluster *cluster) {
    stop_members(cluster);
    remove_directory(cluster->directory, "/tmp/tally-etcd-");
    cluster->directory[0] = '\0';
    cluster->count = 0;
}
