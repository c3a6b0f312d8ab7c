/*
 * node_harness.c: see node_harness.h.
 */
#include "node_harness.h"

#include "tally_chain.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TALLYD_PATH "build/test/tallyd"

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

bool harness_make_directory(test_node *node) {
    memset(node, 0, sizeof *node);
    snprintf(node->directory, sizeof node->directory, "/tmp/tally-node-XXXXXX");
    return mkdtemp(node->directory) != NULL;
}

void harness_remove_directory(test_node *node) {
    char command[400];
    if (strncmp(node->directory, "/tmp/tally-node-", 16) != 0) return;
    snprintf(command, sizeof command, "rm -rf '%s'", node->directory);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", node->directory);
}

static bool read_port(const char *path, unsigned *port) {
    FILE *file = fopen(path, "r");
    if (!file) return false;
    bool ok = fscanf(file, "%u", port) == 1;
    fclose(file);
    return ok && *port > 0;
}

bool harness_start(test_node *node, const char *const *extra_arguments) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", node->directory);
    snprintf(port_file, sizeof port_file, "%s/port", node->directory);
    unlink(port_file);
    const char *arguments[32] = {TALLYD_PATH, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                 "--quiet", "--block-ms", "20"};
    int count = 10;
    for (int i = 0; extra_arguments && extra_arguments[i] && count < 31; i++) arguments[count++] = extra_arguments[i];
    arguments[count] = NULL;
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        if (node->stderr_path[0]) {
            int fd = open(node->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) dup2(fd, STDERR_FILENO);
            if (fd > STDERR_FILENO) close(fd);
        }
        execv(TALLYD_PATH, (char *const *)(uintptr_t)arguments);
        fprintf(stderr, "cannot start %s: %s\n", TALLYD_PATH, strerror(errno));
        _exit(127);
    }
    node->pid = pid;
    node->exit_status = -1;
    for (int attempt = 0; attempt < 400; attempt++) { /* up to 20 s under the sanitizers */
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            node->pid = 0;
            node->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return false;
        }
        if (read_port(port_file, &node->port)) {
            snprintf(node->url, sizeof node->url, "http://127.0.0.1:%u", node->port);
            json_t *answer = NULL;
            if (harness_request(node, "GET", "/v1/status", NULL, 0, &answer) == 200) {
                const char *hex = harness_json_string(answer, "chain_id");
                size_t length = 0;
                bool ok = hex && sodium_hex2bin(node->chain_id, sizeof node->chain_id, hex, strlen(hex), NULL, &length,
                                                NULL) == 0 && length == TALLY_CHAIN_ID_BYTES;
                json_decref(answer);
                return ok;
            }
            json_decref(answer);
        }
        sleep_ms(50);
    }
    harness_kill(node);
    return false;
}

int harness_stop(test_node *node) {
    if (node->pid <= 0) return -1;
    kill(node->pid, SIGTERM);
    int status = 0;
    waitpid(node->pid, &status, 0);
    node->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void harness_kill(test_node *node) {
    if (node->pid <= 0) return;
    kill(node->pid, SIGKILL);
    int status;
    waitpid(node->pid, &status, 0);
    node->pid = 0;
}

typedef struct {
    char *bytes;
    size_t length;
} buffer;

static size_t collect(char *data, size_t size, size_t count, void *context) {
    buffer *into = context;
    size_t length = size * count;
    char *grown = realloc(into->bytes, into->length + length + 1);
    if (!grown) return 0;
    memcpy(grown + into->length, data, length);
    into->bytes = grown;
    into->length += length;
    into->bytes[into->length] = '\0';
    return length;
}

static long request_typed(const test_node *node, const char *method, const char *path, const char *body,
                          size_t body_length, const char *content_type, json_t **response);

long harness_request(const test_node *node, const char *method, const char *path, const char *body,
                     size_t body_length, json_t **response) {
    return request_typed(node, method, path, body, body_length, "Content-Type: application/json", response);
}

long harness_request_binary(const test_node *node, const char *path, const uint8_t *body, size_t body_length,
                            json_t **response) {
    return request_typed(node, "POST", path, (const char *)body, body_length, "Content-Type: application/octet-stream",
                         response);
}

static long request_typed(const test_node *node, const char *method, const char *path, const char *body,
                          size_t body_length, const char *content_type, json_t **response) {
    if (response) *response = NULL;
    CURL *curl = curl_easy_init();
    if (!curl) return 0;
    char url[512];
    snprintf(url, sizeof url, "%s%s", node->url, path);
    buffer received = {NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *headers = curl_slist_append(NULL, content_type);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    }
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (response && received.bytes) *response = json_loadb(received.bytes, received.length, 0, NULL);
    free(received.bytes);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

char *harness_get_text(const test_node *node, const char *path) {
    CURL *curl = curl_easy_init();
    if (!curl) return NULL;
    char url[512];
    snprintf(url, sizeof url, "%s%s", node->url, path);
    buffer received = {NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (status != 200) {
        free(received.bytes);
        return NULL;
    }
    return received.bytes;
}

double harness_metric_in(const char *text, const char *name) {
    size_t length = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, length) == 0 && line[length] == ' ') return strtod(line + length + 1, NULL);
    return -1;
}

double harness_metric(const test_node *node, const char *name) {
    char *text = harness_get_text(node, "/metrics");
    double value = text ? harness_metric_in(text, name) : -1;
    free(text);
    return value;
}

bool harness_stop_and_verify(test_node *node) {
    bool stopped = harness_stop(node) == 0;
    char data[300];
    snprintf(data, sizeof data, "%s/data", node->directory);
    tally_verify_summary summary;
    tally_chain_failure failure;
    bool verified = tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure) == TALLY_CHAIN_OK;
    if (!verified) fprintf(stderr, "    verify: %s\n", failure.message);
    harness_remove_directory(node);
    return stopped && verified;
}

tally_tx harness_tx(const test_node *node, const test_actor *signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, node->chain_id, sizeof tx.chain_id);
    tx.signer = signer->key;
    char address[TALLY_ADDRESS_LENGTH + 1], path[128];
    tally_address_encode(&signer->key, address);
    snprintf(path, sizeof path, "/v1/accounts/%s", address);
    json_t *account = NULL;
    long status = harness_request(node, "GET", path, NULL, 0, &account);
    int64_t next = harness_json_int(account, "next_sequence");
    if (status != 200) fprintf(stderr, "harness_tx: GET %s answered %ld\n", path, status);
    tx.sequence = next > 0 ? (uint64_t)next : 1;
    json_decref(account);
    return tx;
}

long harness_submit(const test_node *node, tally_tx *tx, const test_actor *signer, json_t **result) {
    if (result) *result = NULL;
    tally_tx_sign(tx, signer->secret);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    char hex[2 * TALLY_TX_ENCODED_MAX + 1], body[2 * TALLY_TX_ENCODED_MAX + 32];
    sodium_bin2hex(hex, sizeof hex, bytes, length);
    int body_length = snprintf(body, sizeof body, "{\"tx\":\"%s\"}", hex);
    json_t *response = NULL;
    long status = harness_request(node, "POST", "/v1/transactions?wait=commit", body, (size_t)body_length, &response);
    if (result && response) *result = json_incref(json_array_get(json_object_get(response, "results"), 0));
    json_decref(response);
    return status;
}

static json_t *walk(json_t *obj, const char *path) {
    char part[64];
    const char *at = path;
    while (obj && *at) {
        size_t length = strcspn(at, ".");
        if (length >= sizeof part) return NULL;
        memcpy(part, at, length);
        part[length] = '\0';
        obj = json_object_get(obj, part);
        at += length + (at[length] == '.');
    }
    return obj;
}

int64_t harness_json_int(json_t *obj, const char *path) {
    json_t *value = walk(obj, path);
    return json_is_integer(value) ? (int64_t)json_integer_value(value) : INT64_MIN;
}

const char *harness_json_string(json_t *obj, const char *path) { return json_string_value(walk(obj, path)); }
