/*
 * http_client.c: see http_client.h. A thin layer over libcurl's easy interface: the
 * options every outgoing call of the node wants (no signals, bounded time, the
 * answer collected with a bound), in one place.
 */
#include "node/http_client.h"

#include <stdlib.h>
#include <string.h>

static size_t collect(char *data, size_t size, size_t count, void *context) {
    http_answer *answer = context;
    size_t more = size * count;
    if (answer->length + more > answer->limit) return 0; /* libcurl then fails the call */
    char *grown = realloc(answer->bytes, answer->length + more + 1);
    if (!grown) return 0;
    memcpy(grown + answer->length, data, more);
    answer->bytes = grown;
    answer->length += more;
    answer->bytes[answer->length] = '\0';
    return more;
}

bool http_call(CURL *curl, const char *url, const char *content_type, const void *body, size_t body_length,
               long timeout_ms, long connect_timeout_ms, http_answer *answer, http_outcome *outcome) {
    *outcome = (http_outcome){.code = CURLE_FAILED_INIT};
    struct curl_slist *headers = NULL;
    if (body != NULL) {
        char header[160];
        snprintf(header, sizeof header, "Content-Type: %s", content_type ? content_type : "application/octet-stream");
        headers = curl_slist_append(NULL, header);
        if (headers == NULL) return false;
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (connect_timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    outcome->code = curl_easy_perform(curl);
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &outcome->status) != CURLE_OK) outcome->status = 0;
    /* Refused, or no connection within its timeout: nobody is there. */
    curl_off_t connected_us = 0;
    outcome->connected =
        !(outcome->code == CURLE_COULDNT_CONNECT ||
          (outcome->code == CURLE_OPERATION_TIMEDOUT &&
           curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us) == CURLE_OK && connected_us == 0));
    curl_slist_free_all(headers);
    return outcome->code == CURLE_OK && outcome->status == 200;
}

void http_answer_release(http_answer *answer) {
    free(answer->bytes);
    answer->bytes = NULL;
    answer->length = 0;
}
