/*
 * etcd.c: the etcd v3 client of etcd.h over etcd's JSON gateway. Every call is one
 * POST of a JSON body at /v3/..., built and read with jansson, keys and values in
 * base64 (libsodium); int64 fields travel as JSON strings and a field that is absent
 * means 0 or false (protobuf's JSON leaves defaults out). Calls and watches share one
 * transfer loop on a curl multi handle: it keeps the client's connection between
 * calls and lets a watch wake up every idle_ms to look at its stop flag, which
 * curl_easy_perform cannot promise (its progress callback may wait a second).
 */
#include "node/etcd.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WHY_BYTES 2048u
#define B64 sodium_base64_VARIANT_ORIGINAL
/* gRPC codes that mean "this member cannot serve now, another may". */
#define GRPC_DEADLINE_EXCEEDED 4
#define GRPC_UNAVAILABLE 14
/* Longest a transfer loop sleeps between looks at its deadlines. */
#define POLL_MS_MAX 1000u

typedef struct {
    char *bytes;
    size_t length;
    size_t capacity;
} text_buffer;

typedef struct watch_state watch_state;

struct etcd_client {
    char endpoints[ETCD_ENDPOINTS_MAX][ETCD_ENDPOINT_BYTES_MAX];
    uint32_t endpoint_count;
    uint32_t current;
    uint32_t timeout_ms;
    CURL *curl;
    CURLM *multi;
    struct curl_slist *headers;
    char curl_error[CURL_ERROR_SIZE];
    text_buffer answer;
    bool answer_too_large;
    watch_state *watch; /* set while etcd_watch runs: the write callback feeds it */
    char why[WHY_BYTES];
    etcd_stats stats;
};

const char *etcd_status_name(etcd_status status) {
    switch (status) {
    case ETCD_OK: return "ok";
    case ETCD_UNAVAILABLE: return "unavailable";
    case ETCD_REFUSED: return "refused";
    case ETCD_COMPACTED: return "compacted";
    }
    return "unknown";
}

static uint64_t now_us(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

static void say(char *why, size_t why_size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_size, const char *format, ...) {
    if (!why || why_size == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(why, why_size, format, arguments);
    va_end(arguments);
}

/* Appends to the client's why (a list of endpoint failures grows this way). */
static void add_why(etcd_client *client, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void add_why(etcd_client *client, const char *format, ...) {
    size_t used = strlen(client->why);
    if (used + 1 >= sizeof client->why) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(client->why + used, sizeof client->why - used, format, arguments);
    va_end(arguments);
}

/* ---- base64 and JSON fields ---- */

static json_t *base64_string(const void *bytes, size_t length) {
    size_t encoded_size = sodium_base64_ENCODED_LEN(length, B64);
    char *encoded = malloc(encoded_size);
    if (!encoded) return NULL;
    sodium_bin2base64(encoded, encoded_size, bytes, length, B64);
    json_t *string = json_stringn(encoded, strlen(encoded));
    free(encoded);
    return string;
}

/* Decodes a base64 JSON string (absent: empty) into a malloc'd buffer with a zero
 * byte past its end. */
static bool base64_decode(const json_t *string, uint8_t **bytes, size_t *length) {
    *bytes = NULL;
    *length = 0;
    const char *encoded = "";
    size_t encoded_length = 0;
    if (string) {
        if (!json_is_string(string)) return false;
        encoded = json_string_value(string);
        encoded_length = json_string_length(string);
    }
    size_t capacity = encoded_length / 4 * 3 + 1;
    uint8_t *decoded = malloc(capacity);
    if (!decoded) return false;
    const char *end = NULL;
    if (encoded_length > 0 &&
        (sodium_base642bin(decoded, capacity, encoded, encoded_length, NULL, length, &end, B64) != 0 ||
         end != encoded + encoded_length)) {
        free(decoded);
        return false;
    }
    assert(*length < capacity);
    decoded[*length] = 0;
    *bytes = decoded;
    return true;
}

/* An int64 field: a decimal string (protobuf's JSON for int64), a JSON integer, or
 * absent (0). false when it is something else. */
static bool int64_field(const json_t *object, const char *name, int64_t *value) {
    const json_t *field = json_object_get(object, name);
    *value = 0;
    if (!field) return true;
    if (json_is_integer(field)) {
        *value = (int64_t)json_integer_value(field);
        return true;
    }
    if (!json_is_string(field)) return false;
    const char *text = json_string_value(field);
    if (text[0] == '\0') return false;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (*end != '\0' || errno != 0) return false;
    *value = (int64_t)parsed;
    return true;
}

static bool header_revision(const json_t *answer, int64_t *revision) {
    const json_t *header = json_object_get(answer, "header");
    int64_t value = 0;
    if (!header || !int64_field(header, "revision", &value)) return false;
    if (revision) *revision = value;
    return true;
}

static json_t *int64_string(int64_t value) {
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, value);
    return json_string(text);
}

void etcd_kv_release(etcd_kv *kv) {
    if (!kv) return;
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

void etcd_kvs_release(etcd_kv *kvs, uint32_t count) {
    if (!kvs) return;
    for (uint32_t i = 0; i < count; i++) etcd_kv_release(&kvs[i]);
    free(kvs);
}

static bool parse_kv(const json_t *object, etcd_kv *kv) {
    memset(kv, 0, sizeof *kv);
    if (!json_is_object(object)) return false;
    if (!base64_decode(json_object_get(object, "key"), &kv->key, &kv->key_length) ||
        !base64_decode(json_object_get(object, "value"), &kv->value, &kv->value_length) ||
        !int64_field(object, "create_revision", &kv->create_revision) ||
        !int64_field(object, "mod_revision", &kv->mod_revision) ||
        !int64_field(object, "version", &kv->version) || !int64_field(object, "lease", &kv->lease)) {
        etcd_kv_release(kv);
        return false;
    }
    return true;
}

size_t etcd_prefix_end(const void *prefix, size_t prefix_length, uint8_t *end, size_t end_size) {
    const uint8_t *bytes = prefix;
    assert(end && end_size >= 1 && (prefix_length == 0 || end_size >= prefix_length));
    (void)end_size; /* read by the assert only */
    size_t length = prefix_length;
    while (length > 0 && bytes[length - 1] == 0xff) length--;
    if (length == 0) {
        end[0] = 0;
        return 1;
    }
    memcpy(end, bytes, length);
    end[length - 1]++;
    return length;
}

/* ---- the client ---- */

static size_t receive(char *data, size_t size, size_t count, void *context);

etcd_client *etcd_open(const char *endpoints, uint32_t timeout_ms, char *why, size_t why_size) {
    return etcd_open_tls(endpoints, timeout_ms, NULL, why, why_size);
}

/* Whether the TLS files can be used; a sentence in why when not. */
static bool tls_files_usable(const etcd_tls *tls, char *why, size_t why_size) {
    if ((tls->cert_file == NULL) != (tls->key_file == NULL)) {
        say(why, why_size, "a client certificate for etcd needs both its certificate and its key (--etcd-cert and "
                           "--etcd-key)");
        return false;
    }
    const struct {
        const char *path, *what;
    } files[] = {{tls->ca_file, "CA"}, {tls->cert_file, "client certificate"}, {tls->key_file, "client key"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i].path && access(files[i].path, R_OK) != 0) {
            say(why, why_size, "cannot read the etcd %s file %s: %s", files[i].what, files[i].path, strerror(errno));
            return false;
        }
    return true;
}

etcd_client *etcd_open_tls(const char *endpoints, uint32_t timeout_ms, const etcd_tls *tls, char *why,
                           size_t why_size) {
    if (tls && !tls_files_usable(tls, why, why_size)) return NULL;
    if (!endpoints) {
        say(why, why_size, "no etcd endpoints given");
        return NULL;
    }
    if (timeout_ms < ETCD_TIMEOUT_MS_MIN || timeout_ms > ETCD_TIMEOUT_MS_MAX) {
        say(why, why_size, "the etcd timeout must be %u..%u ms, not %" PRIu32, ETCD_TIMEOUT_MS_MIN,
            ETCD_TIMEOUT_MS_MAX, timeout_ms);
        return NULL;
    }
    etcd_client *client = calloc(1, sizeof *client);
    if (!client) {
        say(why, why_size, "out of memory");
        return NULL;
    }
    client->timeout_ms = timeout_ms;
    const char *cursor = endpoints;
    for (;;) {
        while (*cursor == ' ') cursor++;
        size_t length = strcspn(cursor, ",");
        size_t trimmed = length;
        while (trimmed > 0 && cursor[trimmed - 1] == ' ') trimmed--;
        if (trimmed == 0 || client->endpoint_count == ETCD_ENDPOINTS_MAX || trimmed >= ETCD_ENDPOINT_BYTES_MAX ||
            (strncmp(cursor, "http://", 7) != 0 && strncmp(cursor, "https://", 8) != 0) ||
            memchr(cursor, ' ', trimmed)) {
            say(why, why_size,
                "the etcd endpoints \"%.300s\" are not a list of 1..%u http://host:port URLs separated by commas",
                endpoints, ETCD_ENDPOINTS_MAX);
            free(client);
            return NULL;
        }
        char *endpoint = client->endpoints[client->endpoint_count++];
        memcpy(endpoint, cursor, trimmed);
        endpoint[trimmed] = '\0';
        if (trimmed > 0 && endpoint[trimmed - 1] == '/') endpoint[trimmed - 1] = '\0';
        if (cursor[length] == '\0') break;
        cursor += length + 1;
    }
    client->curl = curl_easy_init();
    client->multi = curl_multi_init();
    /* No "Expect: 100-continue" round trip for bodies past 1 KiB. The gateway turns
     * Grpc-Metadata-* headers into gRPC metadata: "hasleader: true" is what etcd's own
     * client sends (WithRequireLeader) so that a member cut off from its leader ends
     * a watch with "etcdserver: no leader" (and the watch resumes on another member)
     * instead of keeping the stream open and silent, and refuses calls at once. */
    const char *headers[] = {"Content-Type: application/json", "Expect:", "Grpc-Metadata-hasleader: true"};
    bool headers_made = true;
    for (size_t i = 0; i < sizeof headers / sizeof headers[0] && headers_made; i++) {
        struct curl_slist *more = curl_slist_append(client->headers, headers[i]);
        if (more) client->headers = more;
        headers_made = more != NULL;
    }
    if (!client->curl || !client->multi || !headers_made) {
        say(why, why_size, "out of memory (libcurl)");
        etcd_close(client);
        return NULL;
    }
    CURL *curl = client->curl;
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, client->headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, receive);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, client);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, client->curl_error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    /* A watch can sit idle for hours: keepalive probes find a peer that vanished. */
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 10L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 5L);
    /* libcurl copies these: the handle keeps them for every call and watch. */
    if (tls && tls->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca_file);
    if (tls && tls->cert_file) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->cert_file);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->key_file);
    }
    return client;
}

void etcd_close(etcd_client *client) {
    if (!client) return;
    if (client->multi) curl_multi_cleanup(client->multi);
    if (client->curl) curl_easy_cleanup(client->curl);
    curl_slist_free_all(client->headers);
    free(client->answer.bytes);
    free(client);
}

const char *etcd_why(const etcd_client *client) { return client->why; }

const char *etcd_endpoint(const etcd_client *client) { return client->endpoints[client->current]; }

uint32_t etcd_endpoint_index(const etcd_client *client) { return client->current; }

etcd_stats etcd_client_stats(const etcd_client *client) { return client->stats; }

/* ---- transfers ---- */

static bool buffer_append(text_buffer *buffer, const char *data, size_t length) {
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < buffer->length + length + 1) capacity *= 2;
        char *grown = realloc(buffer->bytes, capacity);
        if (!grown) return false;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, data, length);
    buffer->length += length;
    buffer->bytes[buffer->length] = '\0';
    return true;
}

static size_t watch_receive(etcd_client *client, const char *data, size_t length);

static size_t receive(char *data, size_t size, size_t count, void *context) {
    etcd_client *client = context;
    size_t length = size * count;
    if (client->watch) return watch_receive(client, data, length);
    if (client->answer.length + length > ETCD_ANSWER_BYTES_MAX) {
        client->answer_too_large = true;
        return 0;
    }
    return buffer_append(&client->answer, data, length) ? length : 0;
}

/* What one attempt on one endpoint came to. */
typedef enum {
    ATTEMPT_ANSWERED, /* HTTP 200 and a JSON answer in *answer */
    ATTEMPT_NEXT,     /* this endpoint failed: try the next one (why says how) */
    ATTEMPT_REFUSED,  /* etcd refused the request: no other endpoint would do better */
} attempt_result;

static bool watch_should_abort(etcd_client *client);

/* Runs the transfer set up on client->curl to its end. Returns curl's result and
 * the HTTP status. A watch is looked at every poll_ms and aborted when it says so. */
static CURLcode transfer(etcd_client *client, uint32_t poll_ms, long *http_status) {
    *http_status = 0;
    client->curl_error[0] = '\0';
    if (curl_multi_add_handle(client->multi, client->curl) != CURLM_OK) return CURLE_OUT_OF_MEMORY;
    CURLcode result = CURLE_OK;
    bool done = false;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(client->multi, &running) != CURLM_OK) {
            result = CURLE_OUT_OF_MEMORY;
            break;
        }
        int queued = 0;
        CURLMsg *message;
        while ((message = curl_multi_info_read(client->multi, &queued)) != NULL)
            if (message->msg == CURLMSG_DONE && message->easy_handle == client->curl) {
                result = message->data.result;
                done = true;
            }
        if (done || running == 0) break;
        if (client->watch && watch_should_abort(client)) {
            result = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_poll(client->multi, NULL, 0, (int)poll_ms, NULL) != CURLM_OK) {
            result = CURLE_OUT_OF_MEMORY;
            break;
        }
    }
    curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, http_status);
    long connects = 0;
    if (curl_easy_getinfo(client->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        client->stats.connections += (uint64_t)connects;
    curl_multi_remove_handle(client->multi, client->curl);
    return result;
}

static void describe_curl_failure(etcd_client *client, const char *endpoint, CURLcode result) {
    if (result == CURLE_COULDNT_CONNECT)
        add_why(client, "%s refused the connection", endpoint);
    else if (result == CURLE_OPERATION_TIMEDOUT)
        add_why(client, "%s did not answer within %" PRIu32 " ms", endpoint, client->timeout_ms);
    else
        add_why(client, "%s failed (%s)", endpoint, client->curl_error[0] ? client->curl_error : curl_easy_strerror(result));
}

/* etcd's error answer: {"error":"..","code":N} (unary calls) or
 * {"error":{"grpc_code":N,"message":".."}} (streams). false when there is none. */
static bool read_error(const json_t *answer, const char **message, int *code) {
    const json_t *error = json_object_get(answer, "error");
    *message = NULL;
    *code = 0;
    if (json_is_object(error)) {
        *message = json_string_value(json_object_get(error, "message"));
        *code = (int)json_integer_value(json_object_get(error, "grpc_code"));
        return true;
    }
    /* LeaseGrantResponse has a string field named error too: only a non-empty one
     * is an error. */
    if (json_is_string(error) && json_string_length(error) > 0) {
        *message = json_string_value(error);
        *code = (int)json_integer_value(json_object_get(answer, "code"));
        return true;
    }
    return false;
}

/* Sends body to path on endpoint `index` and reads the answer. */
static attempt_result attempt(etcd_client *client, uint32_t index, const char *path, const char *body,
                              size_t body_length, json_t **answer) {
    const char *endpoint = client->endpoints[index];
    char url[ETCD_ENDPOINT_BYTES_MAX + 64];
    snprintf(url, sizeof url, "%s%s", endpoint, path);
    *answer = NULL;
    client->answer.length = 0;
    client->answer_too_large = false;
    CURL *curl = client->curl;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)client->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)client->timeout_ms);
    long http_status = 0;
    CURLcode result = transfer(client, POLL_MS_MAX, &http_status);
    if (client->answer_too_large) {
        add_why(client, "%s answered more than %zu bytes: ask for fewer keys", endpoint, ETCD_ANSWER_BYTES_MAX);
        return ATTEMPT_REFUSED;
    }
    if (result != CURLE_OK) {
        describe_curl_failure(client, endpoint, result);
        return ATTEMPT_NEXT;
    }
    json_error_t error;
    json_t *parsed = client->answer.length
                         ? json_loadb(client->answer.bytes, client->answer.length, JSON_DISABLE_EOF_CHECK, &error)
                         : NULL;
    const char *message = NULL;
    int code = 0;
    if (parsed && !json_is_object(parsed)) {
        json_decref(parsed);
        parsed = NULL;
    }
    if (parsed && read_error(parsed, &message, &code)) {
        bool next = http_status >= 500 || code == GRPC_UNAVAILABLE || code == GRPC_DEADLINE_EXCEEDED;
        add_why(client, "%s answered \"%.300s\" (gRPC code %d, HTTP %ld)", endpoint, message ? message : "?", code,
                http_status);
        json_decref(parsed);
        return next ? ATTEMPT_NEXT : ATTEMPT_REFUSED;
    }
    if (http_status != 200 || !parsed) {
        add_why(client, "%s answered HTTP %ld with %s", endpoint, http_status,
                parsed ? "an unexpected body" : "no JSON object");
        json_decref(parsed);
        return http_status >= 500 || http_status == 200 ? ATTEMPT_NEXT : ATTEMPT_REFUSED;
    }
    *answer = parsed;
    return ATTEMPT_ANSWERED;
}

static etcd_status finish(etcd_client *client, etcd_status status, uint64_t started_us) {
    uint64_t elapsed = now_us() - started_us;
    client->stats.requests++;
    client->stats.total_us += elapsed;
    client->stats.last_us = elapsed;
    if (status == ETCD_UNAVAILABLE) client->stats.unavailable++;
    if (status == ETCD_REFUSED) client->stats.refused++;
    return status;
}

/* Refuses a call before sending anything. */
static etcd_status refuse(etcd_client *client, const char *format, ...) __attribute__((format(printf, 2, 3)));
static etcd_status refuse(etcd_client *client, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(client->why, sizeof client->why, format, arguments);
    va_end(arguments);
    client->stats.refused++;
    return ETCD_REFUSED;
}

/* One call: request (taken; NULL means it could not be built) to path, on the
 * endpoint that last worked, then the others, each once. *answer on ETCD_OK. */
static etcd_status call(etcd_client *client, const char *what, const char *path, json_t *request,
                        json_t **answer) {
    *answer = NULL;
    client->why[0] = '\0';
    char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (!body) return refuse(client, "out of memory building the etcd request to %s", what);
    uint64_t started = now_us();
    etcd_status status = ETCD_UNAVAILABLE;
    add_why(client, "etcd did not %s: ", what);
    size_t prefix = strlen(client->why);
    for (uint32_t tries = 0; tries < client->endpoint_count; tries++) {
        uint32_t index = (client->current + tries) % client->endpoint_count;
        if (tries > 0) {
            client->stats.failovers++;
            add_why(client, "; ");
        }
        attempt_result result = attempt(client, index, path, body, strlen(body), answer);
        if (result == ATTEMPT_NEXT) continue;
        client->current = index;
        status = result == ATTEMPT_ANSWERED ? ETCD_OK : ETCD_REFUSED;
        break;
    }
    free(body);
    if (status == ETCD_OK) {
        client->why[0] = '\0';
    } else if (status == ETCD_UNAVAILABLE) {
        char list[WHY_BYTES];
        snprintf(list, sizeof list, "%s", client->why + prefix);
        snprintf(client->why, sizeof client->why,
                 "etcd did not %.40s: no endpoint answered (the outcome of a write is unknown): %.1800s", what, list);
    }
    return finish(client, status, started);
}

/* An answer that came back but cannot be read: the call's outcome is unknown. */
static etcd_status unreadable(etcd_client *client, const char *what, json_t *answer) {
    json_decref(answer);
    snprintf(client->why, sizeof client->why,
             "etcd's answer to %s from %s could not be read (the outcome of a write is unknown)", what,
             etcd_endpoint(client));
    client->stats.unavailable++;
    return ETCD_UNAVAILABLE;
}

static etcd_status check_key(etcd_client *client, const char *what, const void *key, size_t key_length) {
    if (!key || key_length == 0) return refuse(client, "%s: the key is empty (etcd needs a key)", what);
    if (key_length > ETCD_KEY_BYTES_MAX)
        return refuse(client, "%s: the key has %zu bytes, more than the %u allowed", what, key_length,
                      ETCD_KEY_BYTES_MAX);
    return ETCD_OK;
}

static etcd_status check_range(etcd_client *client, const char *what, const void *start, size_t start_length,
                               const void *end, size_t end_length) {
    etcd_status status = check_key(client, what, start, start_length);
    if (status != ETCD_OK) return status;
    if (end_length > ETCD_KEY_BYTES_MAX || (end_length > 0 && !end))
        return refuse(client, "%s: the range's end key is missing or longer than %u bytes", what,
                      ETCD_KEY_BYTES_MAX);
    return ETCD_OK;
}

/* {"key":..,"range_end":..} for a range request. */
static json_t *range_object(const void *start, size_t start_length, const void *end, size_t end_length) {
    json_t *object = json_object();
    if (!object) return NULL;
    bool ok = json_object_set_new(object, "key", base64_string(start, start_length)) == 0;
    if (ok && end_length > 0) ok = json_object_set_new(object, "range_end", base64_string(end, end_length)) == 0;
    if (!ok) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* ---- keys ---- */

etcd_status etcd_range(etcd_client *client, const void *start_key, size_t start_length, const void *end_key,
                       size_t end_length, uint32_t limit, etcd_kv **kvs, uint32_t *count, bool *more,
                       int64_t *revision) {
    assert(client && kvs && count);
    *kvs = NULL;
    *count = 0;
    if (more) *more = false;
    etcd_status status = check_range(client, "read a range", start_key, start_length, end_key, end_length);
    if (status != ETCD_OK) return status;
    json_t *request = range_object(start_key, start_length, end_key, end_length);
    if (request && limit > 0 && json_object_set_new(request, "limit", int64_string(limit)) != 0) {
        json_decref(request);
        request = NULL;
    }
    json_t *answer = NULL;
    status = call(client, "read a range", "/v3/kv/range", request, &answer);
    if (status != ETCD_OK) return status;
    const json_t *array = json_object_get(answer, "kvs");
    if ((array && !json_is_array(array)) || !header_revision(answer, revision))
        return unreadable(client, "a range", answer);
    size_t size = json_array_size(array);
    if (size > UINT32_MAX || (limit > 0 && size > limit)) return unreadable(client, "a range", answer);
    etcd_kv *read = size ? calloc(size, sizeof *read) : NULL;
    if (size && !read) {
        json_decref(answer);
        return refuse(client, "out of memory reading %zu keys", size);
    }
    for (size_t i = 0; i < size; i++)
        if (!parse_kv(json_array_get(array, i), &read[i])) {
            etcd_kvs_release(read, (uint32_t)i);
            return unreadable(client, "a range", answer);
        }
    if (more) *more = json_is_true(json_object_get(answer, "more"));
    json_decref(answer);
    *kvs = read;
    *count = (uint32_t)size;
    return ETCD_OK;
}

etcd_status etcd_get(etcd_client *client, const void *key, size_t key_length, etcd_kv *out, bool *found,
                     int64_t *revision) {
    assert(client && found);
    *found = false;
    if (out) memset(out, 0, sizeof *out);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    etcd_status status = etcd_range(client, key, key_length, NULL, 0, 1, &kvs, &count, NULL, revision);
    if (status != ETCD_OK) return status;
    *found = count == 1;
    if (count == 1 && out) {
        *out = kvs[0];
        memset(&kvs[0], 0, sizeof kvs[0]);
    }
    etcd_kvs_release(kvs, count);
    return ETCD_OK;
}

static json_t *put_object(const void *key, size_t key_length, const void *value, size_t value_length,
                          int64_t lease) {
    json_t *object = json_object();
    if (!object) return NULL;
    bool ok = json_object_set_new(object, "key", base64_string(key, key_length)) == 0 &&
              json_object_set_new(object, "value", base64_string(value ? value : "", value_length)) == 0;
    if (ok && lease != 0) ok = json_object_set_new(object, "lease", int64_string(lease)) == 0;
    if (!ok) {
        json_decref(object);
        return NULL;
    }
    return object;
}

etcd_status etcd_put(etcd_client *client, const void *key, size_t key_length, const void *value,
                     size_t value_length, int64_t lease) {
    assert(client);
    etcd_status status = check_key(client, "write a key", key, key_length);
    if (status != ETCD_OK) return status;
    if (value_length > ETCD_VALUE_BYTES_MAX || (value_length > 0 && !value))
        return refuse(client, "write a key: the value has %zu bytes, more than the %u etcd accepts (not sent)",
                      value_length, ETCD_VALUE_BYTES_MAX);
    json_t *answer = NULL;
    status = call(client, "write a key", "/v3/kv/put", put_object(key, key_length, value, value_length, lease),
                  &answer);
    json_decref(answer);
    return status;
}

static json_t *compare_object(const char *target, const void *key, size_t key_length, const char *field,
                              json_t *operand) {
    json_t *object = json_object();
    if (!object || !operand || json_object_set_new(object, "target", json_string(target)) != 0 ||
        json_object_set_new(object, "result", json_string("EQUAL")) != 0 ||
        json_object_set_new(object, "key", base64_string(key, key_length)) != 0 ||
        json_object_set_new(object, field, operand) != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* {"compare":[..],"success":[{"request_put":..}],"failure":[{"request_range":..}]} */
static json_t *create_txn(const void *key, size_t key_length, const void *value, size_t value_length,
                          int64_t lease, const etcd_guard *guard) {
    json_t *txn = json_object(), *compare = json_array(), *success = json_array(), *failure = json_array();
    json_t *put = json_object(), *range = json_object();
    bool ok = txn && compare && success && failure && put && range;
    ok = ok && json_array_append_new(compare, compare_object("CREATE", key, key_length, "create_revision",
                                                             json_string("0"))) == 0;
    if (ok && guard)
        ok = json_array_append_new(compare, compare_object("VALUE", guard->key, guard->key_length, "value",
                                                           base64_string(guard->value ? guard->value : "",
                                                                         guard->value_length))) == 0;
    ok = ok && json_object_set_new(put, "request_put", put_object(key, key_length, value, value_length, lease)) == 0;
    ok = ok && json_object_set_new(range, "request_range", range_object(key, key_length, NULL, 0)) == 0;
    ok = ok && json_array_append(success, put) == 0 && json_array_append(failure, range) == 0;
    ok = ok && json_object_set(txn, "compare", compare) == 0 && json_object_set(txn, "success", success) == 0 &&
         json_object_set(txn, "failure", failure) == 0;
    json_decref(compare);
    json_decref(success);
    json_decref(failure);
    json_decref(put);
    json_decref(range);
    if (!ok) {
        json_decref(txn);
        return NULL;
    }
    return txn;
}

etcd_status etcd_create(etcd_client *client, const void *key, size_t key_length, const void *value,
                        size_t value_length, int64_t lease, const etcd_guard *guard, bool *created,
                        int64_t *revision, etcd_kv *existing) {
    assert(client && created);
    *created = false;
    if (existing) memset(existing, 0, sizeof *existing);
    etcd_status status = check_key(client, "create a key", key, key_length);
    if (status == ETCD_OK && guard) status = check_key(client, "create a key (its guard)", guard->key, guard->key_length);
    if (status != ETCD_OK) return status;
    size_t guard_length = guard ? guard->value_length : 0;
    if (value_length > ETCD_VALUE_BYTES_MAX || guard_length > ETCD_VALUE_BYTES_MAX - value_length ||
        (value_length > 0 && !value) || (guard_length > 0 && !guard->value))
        return refuse(client,
                      "create a key: the value (%zu bytes) and the guard's value (%zu bytes) pass the %u bytes "
                      "etcd accepts in one request (not sent)",
                      value_length, guard_length, ETCD_VALUE_BYTES_MAX);
    json_t *answer = NULL;
    status = call(client, "create a key", "/v3/kv/txn", create_txn(key, key_length, value, value_length, lease, guard),
                  &answer);
    if (status != ETCD_OK) return status;
    if (!header_revision(answer, revision)) return unreadable(client, "a create", answer);
    *created = json_is_true(json_object_get(answer, "succeeded"));
    if (!*created && existing) {
        const json_t *range = json_object_get(json_array_get(json_object_get(answer, "responses"), 0), "response_range");
        const json_t *kvs = json_object_get(range, "kvs");
        if (!range || (kvs && !json_is_array(kvs))) return unreadable(client, "a create", answer);
        if (json_array_size(kvs) > 0 && !parse_kv(json_array_get(kvs, 0), existing))
            return unreadable(client, "a create", answer);
    }
    json_decref(answer);
    return ETCD_OK;
}

etcd_status etcd_delete_range(etcd_client *client, const void *start_key, size_t start_length,
                              const void *end_key, size_t end_length, int64_t *deleted) {
    assert(client);
    if (deleted) *deleted = 0;
    etcd_status status = check_range(client, "delete a range", start_key, start_length, end_key, end_length);
    if (status != ETCD_OK) return status;
    json_t *answer = NULL;
    status = call(client, "delete a range", "/v3/kv/deleterange",
                  range_object(start_key, start_length, end_key, end_length), &answer);
    if (status != ETCD_OK) return status;
    int64_t count = 0;
    if (!int64_field(answer, "deleted", &count)) return unreadable(client, "a delete", answer);
    if (deleted) *deleted = count;
    json_decref(answer);
    return ETCD_OK;
}

etcd_status etcd_compact(etcd_client *client, int64_t revision) {
    assert(client);
    if (revision <= 0) return refuse(client, "compact: revision %" PRId64 " is not positive", revision);
    json_t *request = json_object();
    if (request && (json_object_set_new(request, "revision", int64_string(revision)) != 0 ||
                    json_object_set_new(request, "physical", json_false()) != 0)) {
        json_decref(request);
        request = NULL;
    }
    json_t *answer = NULL;
    etcd_status status = call(client, "compact", "/v3/kv/compaction", request, &answer);
    json_decref(answer);
    return status;
}

/* ---- leases ---- */

static json_t *lease_object(const char *name, int64_t value) {
    json_t *object = json_object();
    if (object && json_object_set_new(object, name, int64_string(value)) != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

etcd_status etcd_lease_grant(etcd_client *client, int64_t ttl_seconds, int64_t *lease) {
    assert(client && lease);
    *lease = 0;
    /* etcd's MaxLeaseTTL. */
    if (ttl_seconds < 1 || ttl_seconds > 9000000000)
        return refuse(client, "grant a lease: a TTL of %" PRId64 " s is out of 1..9,000,000,000", ttl_seconds);
    json_t *answer = NULL;
    etcd_status status = call(client, "grant a lease", "/v3/lease/grant", lease_object("TTL", ttl_seconds), &answer);
    if (status != ETCD_OK) return status;
    if (!int64_field(answer, "ID", lease) || *lease == 0) return unreadable(client, "a lease grant", answer);
    json_decref(answer);
    return ETCD_OK;
}

etcd_status etcd_lease_keepalive(etcd_client *client, int64_t lease, int64_t *ttl_left) {
    assert(client);
    if (ttl_left) *ttl_left = 0;
    /* The gateway's keepalive is a stream: this one message ends the request body,
     * etcd answers it and closes the stream. */
    json_t *answer = NULL;
    etcd_status status =
        call(client, "renew a lease", "/v3/lease/keepalive", lease_object("ID", lease), &answer);
    if (status != ETCD_OK) return status;
    int64_t ttl = 0;
    const json_t *result = json_object_get(answer, "result");
    if (!json_is_object(result) || !int64_field(result, "TTL", &ttl))
        return unreadable(client, "a lease keepalive", answer);
    if (ttl_left) *ttl_left = ttl;
    json_decref(answer);
    return ETCD_OK;
}

etcd_status etcd_lease_revoke(etcd_client *client, int64_t lease) {
    assert(client);
    json_t *answer = NULL;
    etcd_status status = call(client, "revoke a lease", "/v3/lease/revoke", lease_object("ID", lease), &answer);
    json_decref(answer);
    return status;
}

/* ---- watch ---- */

struct watch_state {
    etcd_watch_fn *fn;
    void *context;
    const volatile bool *stop;
    text_buffer pending;  /* text received and not yet parsed */
    /* How far into pending the end of the current message was looked for, and what
     * that scan found so far: a message (a ~1.3 MB block in base64) arrives in many
     * pieces, and is parsed once, when its closing brace is in, not at every piece. */
    size_t scanned;
    uint32_t depth;
    bool in_string, escaped;
    uint64_t attempt_started_us;
    uint32_t timeout_ms;
    bool created;          /* etcd confirmed the watch on this attempt */
    bool halted;           /* fn returned false or *stop: end with ETCD_OK */
    bool refused;          /* etcd canceled the watch or sent what cannot be read */
    bool broken;           /* the stream reported an error: try the next endpoint */
    int64_t compact_revision;
    int64_t seen_revision; /* the newest revision known delivered (or the watch's start) */
    char problem[512];
};

static bool watch_should_abort(etcd_client *client) {
    watch_state *watch = client->watch;
    if (watch->stop && *watch->stop) {
        watch->halted = true;
        return true;
    }
    if (!watch->created && now_us() - watch->attempt_started_us > (uint64_t)watch->timeout_ms * 1000u) {
        snprintf(watch->problem, sizeof watch->problem, "did not confirm the watch within %" PRIu32 " ms",
                 watch->timeout_ms);
        watch->broken = true;
        return true;
    }
    return false;
}

/* One event of a result: false when it cannot be read. */
static bool watch_event(watch_state *watch, const json_t *event) {
    const json_t *kv = json_object_get(event, "kv");
    const char *type = json_string_value(json_object_get(event, "type"));
    etcd_kv read;
    if (!json_is_object(kv) || !parse_kv(kv, &read)) return false;
    etcd_event delivered = {
        .key = read.key,
        .key_length = read.key_length,
        .value = read.value,
        .value_length = read.value_length,
        .mod_revision = read.mod_revision,
        .is_delete = type && strcmp(type, "DELETE") == 0,
    };
    bool go_on = watch->fn(watch->context, &delivered);
    if (read.mod_revision > watch->seen_revision) watch->seen_revision = read.mod_revision;
    etcd_kv_release(&read);
    if (!go_on) watch->halted = true;
    return true;
}

/* One message of the stream; false ends the transfer (the state says why). */
static bool watch_message(watch_state *watch, const json_t *message) {
    const char *text = NULL;
    int code = 0;
    if (read_error(message, &text, &code)) {
        snprintf(watch->problem, sizeof watch->problem, "broke the watch stream with \"%.300s\" (gRPC code %d)",
                 text ? text : "?", code);
        watch->broken = true;
        return false;
    }
    const json_t *result = json_object_get(message, "result");
    int64_t compact = 0, revision = 0;
    if (!json_is_object(result) || !int64_field(result, "compact_revision", &compact)) {
        snprintf(watch->problem, sizeof watch->problem, "sent a watch message that cannot be read");
        watch->refused = true;
        return false;
    }
    if (compact > 0) {
        watch->compact_revision = compact;
        return false;
    }
    if (json_is_true(json_object_get(result, "canceled"))) {
        const char *reason = json_string_value(json_object_get(result, "cancel_reason"));
        snprintf(watch->problem, sizeof watch->problem, "canceled the watch (%.300s)", reason ? reason : "no reason given");
        watch->refused = true;
        return false;
    }
    if (json_is_true(json_object_get(result, "created"))) {
        watch->created = true;
        /* A watch from "now" resumes after the revision it was created at. */
        if (watch->seen_revision == 0 && header_revision(result, &revision)) watch->seen_revision = revision;
    }
    const json_t *events = json_object_get(result, "events");
    for (size_t i = 0; i < json_array_size(events); i++) {
        if (!watch_event(watch, json_array_get(events, i))) {
            snprintf(watch->problem, sizeof watch->problem, "sent a watch event that cannot be read");
            watch->refused = true;
            return false;
        }
        if (watch->halted) return false;
    }
    return true;
}

/* Scans pending from watch->scanned for the end of the JSON message that starts at
 * `start` (its closing brace at depth 0, outside strings): true with *end past it.
 * false when it is not in yet; the scan goes on from where it stopped next time.
 * *malformed when the text at depth 0 is not an object or array. */
static bool message_end(watch_state *watch, size_t start, size_t *end, bool *malformed) {
    const text_buffer *pending = &watch->pending;
    *malformed = false;
    if (watch->scanned < start) watch->scanned = start;
    for (size_t at = watch->scanned; at < pending->length; at++) {
        char c = pending->bytes[at];
        if (watch->in_string) {
            if (watch->escaped) watch->escaped = false;
            else if (c == '\\') watch->escaped = true;
            else if (c == '"') watch->in_string = false;
        } else if (c == '"') {
            watch->in_string = true;
        } else if (c == '{' || c == '[') {
            watch->depth++;
        } else if (c == '}' || c == ']') {
            if (watch->depth == 0 || --watch->depth == 0) {
                *malformed = watch->depth == 0 && at == start; /* a closing bracket first */
                watch->scanned = *end = at + 1;
                return true;
            }
        } else if (watch->depth == 0 && !strchr(" \t\r\n", c)) {
            *malformed = true;
            watch->scanned = *end = pending->length;
            return true;
        }
    }
    watch->scanned = pending->length;
    return false;
}

/* Parses every complete JSON message received so far (each once); keeps a partial
 * one. */
static size_t watch_receive(etcd_client *client, const char *data, size_t length) {
    watch_state *watch = client->watch;
    text_buffer *pending = &watch->pending;
    if (pending->length + length > ETCD_ANSWER_BYTES_MAX) {
        snprintf(watch->problem, sizeof watch->problem, "sent a watch message longer than %zu bytes",
                 ETCD_ANSWER_BYTES_MAX);
        watch->refused = true;
        return 0;
    }
    if (!buffer_append(pending, data, length)) {
        snprintf(watch->problem, sizeof watch->problem, "sent more than this process has memory for");
        watch->refused = true;
        return 0;
    }
    size_t offset = 0;
    bool go_on = true;
    while (go_on) {
        if (watch->depth == 0 && !watch->in_string) {
            while (offset < pending->length && strchr(" \t\r\n", pending->bytes[offset])) offset++;
            if (watch->scanned < offset) watch->scanned = offset;
        }
        if (offset == pending->length) break;
        size_t end = 0;
        bool malformed = false;
        if (!message_end(watch, offset, &end, &malformed)) break; /* wait for the rest */
        json_error_t error;
        json_t *message = malformed ? NULL : json_loadb(pending->bytes + offset, end - offset, 0, &error);
        if (!message) {
            if (malformed) snprintf(error.text, sizeof error.text, "not an object");
            snprintf(watch->problem, sizeof watch->problem, "sent a watch stream that is not JSON (%.200s)",
                     error.text);
            watch->refused = true;
            return 0;
        }
        offset = end;
        go_on = watch_message(watch, message);
        json_decref(message);
    }
    memmove(pending->bytes, pending->bytes + offset, pending->length - offset);
    pending->length -= offset;
    watch->scanned = watch->scanned > offset ? watch->scanned - offset : 0;
    return go_on ? length : 0;
}

static json_t *watch_request(const void *start, size_t start_length, const void *end, size_t end_length,
                             int64_t start_revision) {
    json_t *create = range_object(start, start_length, end, end_length);
    json_t *request = json_object();
    bool ok = create && request;
    if (ok && start_revision > 0) ok = json_object_set_new(create, "start_revision", int64_string(start_revision)) == 0;
    ok = ok && json_object_set(request, "create_request", create) == 0;
    json_decref(create);
    if (!ok) {
        json_decref(request);
        return NULL;
    }
    return request;
}

/* One stream on endpoint `index` from start_revision. */
static void watch_attempt(etcd_client *client, watch_state *watch, uint32_t index, const void *start,
                          size_t start_length, const void *end, size_t end_length, int64_t start_revision,
                          uint32_t idle_ms) {
    const char *endpoint = client->endpoints[index];
    json_t *request = watch_request(start, start_length, end, end_length, start_revision);
    char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (!body) {
        snprintf(watch->problem, sizeof watch->problem, "(out of memory building the watch request)");
        watch->refused = true;
        return;
    }
    char url[ETCD_ENDPOINT_BYTES_MAX + 64];
    snprintf(url, sizeof url, "%s/v3/watch", endpoint);
    watch->pending.length = 0;
    watch->scanned = 0, watch->depth = 0, watch->in_string = false, watch->escaped = false;
    watch->created = false;
    watch->broken = false;
    watch->problem[0] = '\0';
    watch->attempt_started_us = now_us();
    CURL *curl = client->curl;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L); /* a stream: the loop watches the time */
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)client->timeout_ms);
    client->watch = watch;
    long http_status = 0;
    CURLcode result = transfer(client, idle_ms < client->timeout_ms ? idle_ms : client->timeout_ms, &http_status);
    client->watch = NULL;
    free(body);
    if (watch->halted || watch->refused || watch->compact_revision > 0 || watch->broken) return;
    /* The transfer ended without a message saying why: a connection failure, an
     * HTTP error, or the stream closed (the member stopped). */
    watch->broken = true;
    if (result != CURLE_OK) {
        if (result == CURLE_COULDNT_CONNECT)
            snprintf(watch->problem, sizeof watch->problem, "refused the connection");
        else
            snprintf(watch->problem, sizeof watch->problem, "failed (%s)",
                     client->curl_error[0] ? client->curl_error : curl_easy_strerror(result));
    } else if (http_status != 200) {
        snprintf(watch->problem, sizeof watch->problem, "answered HTTP %ld to the watch", http_status);
        if (http_status < 500) {
            watch->broken = false;
            watch->refused = true;
        }
    } else {
        snprintf(watch->problem, sizeof watch->problem, "ended the watch stream");
    }
}

etcd_status etcd_watch(etcd_client *client, const void *start_key, size_t start_length, const void *end_key,
                       size_t end_length, int64_t start_revision, etcd_watch_fn *fn, void *context,
                       const volatile bool *stop, uint32_t idle_ms) {
    assert(client && fn && !client->watch);
    client->why[0] = '\0';
    etcd_status status = check_range(client, "watch", start_key, start_length, end_key, end_length);
    if (status != ETCD_OK) return status;
    if (idle_ms < ETCD_TIMEOUT_MS_MIN || idle_ms > ETCD_TIMEOUT_MS_MAX)
        return refuse(client, "watch: idle_ms must be %u..%u, not %" PRIu32, ETCD_TIMEOUT_MS_MIN,
                      ETCD_TIMEOUT_MS_MAX, idle_ms);
    if (start_revision < 0) return refuse(client, "watch: start revision %" PRId64 " is negative", start_revision);
    watch_state watch = {.fn = fn, .context = context, .stop = stop, .timeout_ms = client->timeout_ms};
    if (start_revision > 0) watch.seen_revision = start_revision - 1;
    size_t prefix = strlen(client->why);
    status = ETCD_UNAVAILABLE;
    for (uint32_t tries = 0; tries < client->endpoint_count; tries++) {
        uint32_t index = (client->current + tries) % client->endpoint_count;
        if (tries > 0) {
            client->stats.failovers++;
            add_why(client, "; ");
        }
        /* Resumes after the last revision delivered (or the one the watch began at). */
        int64_t from = watch.seen_revision > 0 ? watch.seen_revision + 1 : 0;
        if (stop && *stop) {
            status = ETCD_OK;
            break;
        }
        watch_attempt(client, &watch, index, start_key, start_length, end_key, end_length, from, idle_ms);
        if (watch.broken) {
            add_why(client, "%s %s", client->endpoints[index], watch.problem);
            continue;
        }
        client->current = index;
        if (watch.halted) {
            status = ETCD_OK;
        } else if (watch.compact_revision > 0) {
            status = ETCD_COMPACTED;
            snprintf(client->why, sizeof client->why,
                     "etcd has compacted its history up to revision %" PRId64 ": the watch from revision %" PRId64
                     " cannot be served (read the keys with a range and watch from its revision + 1)",
                     watch.compact_revision, from);
        } else {
            status = ETCD_REFUSED;
            snprintf(client->why, sizeof client->why, "etcd refused the watch: %s %s", client->endpoints[index],
                     watch.problem);
        }
        break;
    }
    free(watch.pending.bytes);
    if (status == ETCD_OK) client->why[0] = '\0';
    if (status == ETCD_UNAVAILABLE) {
        char list[WHY_BYTES];
        snprintf(list, sizeof list, "%s", client->why + prefix);
        snprintf(client->why, sizeof client->why, "the etcd watch stopped: no endpoint answered: %.1900s", list);
    }
    if (status == ETCD_UNAVAILABLE) client->stats.unavailable++;
    if (status == ETCD_REFUSED) client->stats.refused++;
    return status;
}
