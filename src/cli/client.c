/*
 * client.c: HTTP with libcurl, JSON with jansson, and the node lookups the commands
 * share (see client.h). One curl handle is kept for the life of the program so the
 * many requests of `tally verify --node` reuse one connection.
 */
#include "cli/client.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/json_fields.h"

/* ------------------------------------------------------------------------ */
/* libcurl transport.                                                        */
/* ------------------------------------------------------------------------ */

#define CONNECT_TIMEOUT_MS 5000L
#define STALL_SECONDS 30L
#define TOTAL_TIMEOUT_SECONDS 120L

typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    size_t max;
    bool too_big;
} response_buffer;

static size_t on_data(char *bytes, size_t size, size_t count, void *context) {
    response_buffer *buffer = context;
    size_t length = size * count;
    if (length > buffer->max - buffer->length) {
        buffer->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < buffer->length + length + 1) capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
    return length;
}

typedef struct {
    cli_transport base;
    CURL *curl;
} curl_transport;

static bool curl_request(cli_transport *self, const char *method, const char *url, const char *body,
                         size_t body_length, size_t max_response, cli_http_response *response, char *error,
                         size_t error_size) {
    curl_transport *transport = (curl_transport *)self;
    memset(response, 0, sizeof *response);
    if (!transport->curl) transport->curl = curl_easy_init();
    CURL *curl = transport->curl;
    if (!curl) {
        snprintf(error, error_size, "libcurl could not start");
        return false;
    }
    curl_easy_reset(curl);
    response_buffer buffer = {.max = max_response};
    char curl_error[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json, application/octet-stream");
    if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_SECONDS);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "tally-cli/1");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_length : 0));
    }
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (code != CURLE_OK) {
        if (buffer.too_big) snprintf(error, error_size, "the answer is larger than %zu bytes", max_response);
        else snprintf(error, error_size, "%s", curl_error[0] ? curl_error : curl_easy_strerror(code));
        free(buffer.data);
        return false;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    if (!buffer.data) buffer.data = calloc(1, 1);
    if (!buffer.data) {
        snprintf(error, error_size, "out of memory");
        return false;
    }
    response->body = buffer.data;
    response->length = buffer.length;
    return true;
}

static curl_transport the_curl_transport = {{curl_request}, NULL};

cli_transport *cli_client_curl_transport(void) { return &the_curl_transport.base; }

void cli_client_curl_transport_close(void) {
    if (the_curl_transport.curl) curl_easy_cleanup(the_curl_transport.curl);
    the_curl_transport.curl = NULL;
}

/* ------------------------------------------------------------------------ */
/* Requests.                                                                 */
/* ------------------------------------------------------------------------ */

void cli_client_hex(const uint8_t *bytes, size_t length, char *out, size_t out_size) {
    if (out_size < length * 2 + 1) {
        if (out_size) out[0] = '\0';
        return;
    }
    sodium_bin2hex(out, out_size, bytes, length);
}

bool cli_client_unhex(const char *hex, uint8_t *out, size_t length) {
    size_t decoded = 0;
    if (!hex || strlen(hex) != length * 2) return false;
    return sodium_hex2bin(out, length, hex, length * 2, NULL, &decoded, NULL) == 0 && decoded == length;
}

/* Sends one request; false (error printed) when no answer came. */
static bool exchange(cli_context *ctx, const char *method, const char *path, const char *body, size_t max,
                     cli_http_response *response) {
    char url[CLI_URL_MAX + CLI_PATH_MAX];
    snprintf(url, sizeof url, "%s%s", ctx->node_url, path);
    char error[CURL_ERROR_SIZE + 64] = "";
    if (!ctx->node_url[0]) {
        cli_fail(ctx, CLI_IO, "no node to talk to: set TALLY_NODE to its URL or give --node URL");
        return false;
    }
    if (!ctx->transport) {
        cli_fail(ctx, CLI_IO, "cannot reach the node at %s: no HTTP transport", ctx->node_url);
        return false;
    }
    if (!ctx->transport->request(ctx->transport, method, url, body, body ? strlen(body) : 0, max, response, error,
                                 sizeof error)) {
        cli_fail(ctx, CLI_IO, "cannot reach the node at %s: %s", ctx->node_url, error[0] ? error : "no answer");
        return false;
    }
    return true;
}

/* The first bytes of a body, printable, for an error message. */
static void excerpt(const cli_http_response *response, char *out, size_t out_size) {
    size_t length = response->length < out_size - 1 ? response->length : out_size - 1;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)response->body[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    out[length] = '\0';
}

void cli_client_report_refusal(cli_context *ctx, const json_t *error) {
    fprintf(ctx->err, "tally: %s (%s)\n", cli_json_string(error, "message") ? cli_json_string(error, "message") : "refused",
            cli_json_string(error, "code") ? cli_json_string(error, "code") : "?");
}

cli_status cli_client_request(cli_context *ctx, const char *method, const char *path, const json_t *body,
                          bool report, json_t **reply) {
    *reply = NULL;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text) return cli_fail(ctx, CLI_IO, "out of memory");
    cli_http_response response;
    bool answered = exchange(ctx, method, path, text, CLIENT_JSON_MAX, &response);
    free(text);
    if (!answered) return CLI_IO;

    json_error_t parse_error;
    json_t *json = json_loadb(response.body, response.length, JSON_REJECT_DUPLICATES, &parse_error);
    char start[81];
    excerpt(&response, start, sizeof start);
    long status = response.status;
    free(response.body);

    json_t *error = cli_json_object(json, "error");
    if (status >= 200 && status < 300 && json_is_object(json)) {
        *reply = json;
        return CLI_OK;
    }
    if (status >= 400 && status < 500 && error && cli_json_string(error, "code")) {
        *reply = json_incref(error);
        json_decref(json);
        if (report) cli_client_report_refusal(ctx, *reply);
        return CLI_REFUSED;
    }
    cli_status result;
    if (status >= 200 && status < 300)
        result = cli_fail(ctx, CLI_IO, "the node at %s answered %s %s with something that is not a JSON object: %s",
                          ctx->node_url, method, path, start);
    else if (error)
        result = cli_fail(ctx, CLI_IO, "the node at %s failed (HTTP %ld): %s (%s)", ctx->node_url, status,
                          cli_json_string(error, "message") ? cli_json_string(error, "message") : "?",
                          cli_json_string(error, "code") ? cli_json_string(error, "code") : "?");
    else
        result = cli_fail(ctx, CLI_IO, "the node at %s answered HTTP %ld to %s %s (is it a Tally node?): %s",
                          ctx->node_url, status, method, path, start);
    json_decref(json);
    return result;
}

cli_status cli_client_get(cli_context *ctx, const char *path, json_t **reply) {
    return cli_client_request(ctx, "GET", path, NULL, true, reply);
}

cli_status cli_client_get_bytes(cli_context *ctx, const char *path, size_t max_bytes, uint8_t **bytes,
                            size_t *length) {
    *bytes = NULL;
    *length = 0;
    cli_http_response response;
    if (!exchange(ctx, "GET", path, NULL, max_bytes, &response)) return CLI_IO;
    if (response.status == 200) {
        *bytes = (uint8_t *)response.body;
        *length = response.length;
        return CLI_OK;
    }
    json_t *json = json_loadb(response.body, response.length, 0, NULL);
    free(response.body);
    json_t *error = cli_json_object(json, "error");
    cli_status status = CLI_IO;
    if (response.status >= 400 && response.status < 500 && error) {
        cli_client_report_refusal(ctx, error);
        status = CLI_REFUSED;
    } else {
        cli_fail(ctx, CLI_IO, "the node at %s answered HTTP %ld to GET %s", ctx->node_url, response.status, path);
    }
    json_decref(json);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Lists, a page at a time.                                                  */
/* ------------------------------------------------------------------------ */

cli_status cli_client_pages(cli_context *ctx, const char *path, cli_page_visit *visit, void *context) {
    char paged[CLI_PATH_MAX];
    if (strlen(path) + 32 >= sizeof paged) return cli_fail(ctx, CLI_IO, "the path %s is too long", path);
    snprintf(paged, sizeof paged, "%s", path);
    for (uint32_t page = 0; page < CLI_LIST_PAGES_MAX; page++) {
        json_t *json;
        cli_status status = cli_client_get(ctx, paged, &json);
        if (status != CLI_OK) {
            json_decref(json);
            return status;
        }
        int64_t next = 0;
        bool more = cli_json_i64(json, "next", &next) && next >= 0;
        bool go_on = visit(context, json);
        json_decref(json);
        if (!go_on || !more) return CLI_OK;
        snprintf(paged, sizeof paged, "%s%scursor=%" PRId64, path, strchr(path, '?') ? "&" : "?", next);
    }
    return cli_fail(ctx, CLI_IO, "the node's list at %s goes on past %u pages", path, CLI_LIST_PAGES_MAX);
}

typedef struct {
    const char *field;
    cli_item_visit *visit;
    void *context;
} item_walk;

static bool visit_items(void *context, const json_t *page) {
    item_walk *walk = context;
    size_t index;
    json_t *item;
    json_array_foreach(cli_json_array(page, walk->field), index, item) {
        if (!walk->visit(walk->context, item)) return false;
    }
    return true;
}

cli_status cli_client_list(cli_context *ctx, const char *path, const char *field, cli_item_visit *visit_item,
                           void *context) {
    item_walk walk = {field, visit_item, context};
    return cli_client_pages(ctx, path, visit_items, &walk);
}

/* ------------------------------------------------------------------------ */
/* Reading the node's objects.                                               */
/* ------------------------------------------------------------------------ */

static bool why_false(char *why, size_t why_size, const char *format, const char *name) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(why, why_size, format, name);
#pragma GCC diagnostic pop
    return false;
}

static bool read_u32(const json_t *object, const char *name, uint32_t max, uint32_t *out) {
    int64_t value;
    if (!cli_json_i64(object, name, &value) || value < 0 || (uint64_t)value > max) return false;
    *out = (uint32_t)value;
    return true;
}

static bool read_unit(const json_t *object, const char *code_name, cli_unit *unit) {
    int64_t decimals;
    const char *code = cli_json_string(object, code_name);
    if (!code || strlen(code) > TALLY_CODE_MAX || !cli_json_i64(object, "decimals", &decimals) || decimals < 0 ||
        decimals > TALLY_DECIMALS_MAX)
        return false;
    unit->decimals = (uint8_t)decimals;
    snprintf(unit->code, sizeof unit->code, "%s", code);
    return true;
}

/* compliance_rule and membership_mode as a name ("zero_balance", "zero-balance")
 * or a number. */
static bool read_choice(const json_t *object, const char *name, const char *const *choices, uint8_t count,
                        uint8_t *out) {
    int64_t number;
    if (cli_json_i64(object, name, &number)) {
        if (number < 0 || number >= count) return false;
        *out = (uint8_t)number;
        return true;
    }
    const char *text = cli_json_string(object, name);
    if (!text) return false;
    for (uint8_t i = 0; i < count; i++) {
        char dashed[32];
        snprintf(dashed, sizeof dashed, "%s", choices[i]);
        for (char *c = dashed; *c; c++)
            if (*c == '_') *c = '-';
        if (strcmp(text, choices[i]) == 0 || strcmp(text, dashed) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

/* The rules of issue 12, nested as the node's view (and the codec) name them. Every
 * one is required: a policy update states the whole policy, and one read without
 * them would reset them. */
static bool read_policy_rules(const json_t *json, tally_policy *policy) {
    static const char *const governance_modes[] = {"operators", "members"};
    static const char *const weightings[] = {"one_member", "reputation", "stake"};
    const json_t *r = cli_json_object(json, "reputation"), *l = cli_json_object(json, "algorithmic_limits"),
                 *g = cli_json_object(json, "governance");
    tally_reputation_rule *rep = &policy->reputation;
    tally_limit_rule *lim = &policy->algorithmic_limits;
    tally_governance_rule *gov = &policy->governance;
    return read_u32(json, "collateral_ratio_bps", UINT32_MAX, &policy->collateral_ratio_bps) &&
           read_u32(r, "base", UINT32_MAX, &rep->base) && read_u32(r, "age_weight", UINT32_MAX, &rep->age_weight) &&
           read_u32(r, "age_full_days", UINT32_MAX, &rep->age_full_days) &&
           read_u32(r, "volume_weight", UINT32_MAX, &rep->volume_weight) &&
           cli_json_i64(r, "volume_full", &rep->volume_full) &&
           read_u32(r, "streak_weight", UINT32_MAX, &rep->streak_weight) &&
           read_u32(r, "streak_full", UINT32_MAX, &rep->streak_full) &&
           read_u32(r, "review_weight", UINT32_MAX, &rep->review_weight) &&
           read_u32(r, "review_full", UINT32_MAX, &rep->review_full) &&
           read_u32(r, "default_penalty", UINT32_MAX, &rep->default_penalty) &&
           cli_json_bool(l, "enabled", &lim->enabled) && cli_json_i64(l, "base", &lim->base) &&
           cli_json_i64(l, "per_point", &lim->per_point) && read_u32(l, "income_bps", UINT32_MAX, &lim->income_bps) &&
           cli_json_i64(l, "step_max", &lim->step_max) &&
           read_u32(l, "recovery_periods", UINT32_MAX, &lim->recovery_periods) &&
           read_u32(json, "demurrage_bps", TALLY_BPS_ONE, &policy->demurrage_bps) &&
           cli_json_i64(json, "demurrage_threshold", &policy->demurrage_threshold) &&
           cli_json_i64(json, "membership_fee", &policy->membership_fee) &&
           cli_json_bool(json, "charges_to_pool", &policy->charges_to_pool) &&
           read_choice(g, "mode", governance_modes, 2, &gov->mode) &&
           read_choice(g, "weighting", weightings, 3, &gov->weighting) &&
           read_u32(g, "quorum_bps", UINT32_MAX, &gov->quorum_bps) &&
           read_u32(g, "threshold_bps", UINT32_MAX, &gov->threshold_bps) &&
           read_u32(g, "voting_seconds", UINT32_MAX, &gov->voting_seconds) &&
           read_u32(g, "timelock_seconds", UINT32_MAX, &gov->timelock_seconds) &&
           read_u32(g, "late_quorum_seconds", UINT32_MAX, &gov->late_quorum_seconds) &&
           cli_json_bool(g, "operators_may_suspend", &gov->operators_may_suspend) &&
           cli_json_bool(g, "operators_may_freeze", &gov->operators_may_freeze);
}

static bool read_policy(const json_t *json, tally_policy *policy) {
    static const char *const rules[] = {"zero_balance", "rebalanced", "min_income"};
    static const char *const modes[] = {"open", "admitted"};
    memset(policy, 0, sizeof *policy);
    return json && cli_json_i64(json, "default_credit_limit", &policy->default_credit_limit) &&
           cli_json_i64(json, "max_credit_limit", &policy->max_credit_limit) &&
           cli_json_i64(json, "positive_cap", &policy->positive_cap) &&
           read_u32(json, "fee_bps", TALLY_BPS_ONE, &policy->fee_bps) &&
           read_u32(json, "default_risk_fee_bps", TALLY_BPS_ONE, &policy->default_risk_fee_bps) &&
           read_u32(json, "period_seconds", UINT32_MAX, &policy->period_seconds) &&
           read_u32(json, "grace_seconds", UINT32_MAX, &policy->grace_seconds) &&
           read_u32(json, "min_income_bps", TALLY_BPS_ONE, &policy->min_income_bps) &&
           read_u32(json, "target_rtd_bps", TALLY_BPS_ONE, &policy->target_rtd_bps) &&
           read_choice(json, "compliance_rule", rules, 3, &policy->compliance_rule) &&
           (read_choice(json, "membership_mode", modes, 2, &policy->membership_mode) ||
            read_choice(json, "membership", modes, 2, &policy->membership_mode)) &&
           cli_json_bool(json, "auto_renew", &policy->auto_renew) &&
           read_u32(json, "max_members", UINT32_MAX, &policy->max_members) &&
           read_u32(json, "notice_seconds", UINT32_MAX, &policy->notice_seconds) &&
           read_u32(json, "redeem_cap_bps", TALLY_BPS_ONE, &policy->redeem_cap_bps) && read_policy_rules(json, policy);
}

bool cli_client_network_from_json(const json_t *json, cli_network *network, char *why, size_t why_size) {
    memset(network, 0, sizeof *network);
    const char *name = cli_json_string(json, "name");
    if (!read_u32(json, "id", UINT32_MAX, &network->id) || network->id == 0)
        return why_false(why, why_size, "the network has no %s", "id");
    if (!name || strlen(name) > TALLY_NAME_MAX) return why_false(why, why_size, "the network has no %s", "name");
    snprintf(network->name, sizeof network->name, "%s", name);
    if (!read_unit(json, "unit", &network->unit))
        return why_false(why, why_size, "the network has no %s", "unit and decimals");
    network->has_policy = read_policy(cli_json_object(json, "policy"), &network->policy);
    /* An announced policy is the whole policy the operators last asked for. */
    network->has_announced =
        read_policy(cli_json_object(cli_json_object(json, "announced"), "policy"), &network->announced_policy);
    const json_t *pool = cli_json_object(json, "pool");
    if (pool && !read_u32(pool, "asset", UINT32_MAX, &network->reserve_asset_id)) network->reserve_asset_id = 0;
    return true;
}

bool cli_client_asset_from_json(const json_t *json, cli_asset *asset, char *why, size_t why_size) {
    memset(asset, 0, sizeof *asset);
    if (!read_u32(json, "id", UINT32_MAX, &asset->id) || asset->id == 0)
        return why_false(why, why_size, "the asset has no %s", "id");
    if (!read_unit(json, "code", &asset->unit))
        return why_false(why, why_size, "the asset has no %s", "code and decimals");
    const char *name = cli_json_string(json, "name");
    snprintf(asset->name, sizeof asset->name, "%s", name ? name : "");
    const char *issuer = cli_json_string(json, "issuer");
    if (issuer && !tally_address_decode(issuer, &asset->issuer))
        return why_false(why, why_size, "the asset's %s is not an address", "issuer");
    return true;
}

bool cli_client_account_from_json(const json_t *json, cli_account *account, char *why, size_t why_size) {
    memset(account, 0, sizeof *account);
    const char *address = cli_json_string(json, "address");
    if (!address || !tally_address_decode(address, &account->key))
        return why_false(why, why_size, "the account has no valid %s", "address");
    if (!cli_json_i64(json, "balance", &account->balance) || !cli_json_i64(json, "limit", &account->limit))
        return why_false(why, why_size, "the account has no %s", "balance or limit");
    const char *alias = cli_json_string(json, "alias");
    if (alias && strlen(alias) <= TALLY_ALIAS_MAX) snprintf(account->alias, sizeof account->alias, "%s", alias);
    const char *status = cli_json_string(json, "status");
    snprintf(account->status, sizeof account->status, "%s", status ? status : "");
    const json_t *line = cli_json_object(json, "line");
    const char *line_status = cli_json_string(line, "status");
    snprintf(account->line_status, sizeof account->line_status, "%s", line_status ? line_status : "none");
    if (!read_u32(line, "risk_fee_bps", TALLY_BPS_ONE, &account->risk_fee_bps)) account->risk_fee_bps = 0;
    return true;
}

bool cli_client_sequence_from_json(const json_t *json, uint64_t *sequence) {
    int64_t value;
    if (!cli_json_i64_any(json, "next_sequence", "sequence", NULL, &value) || value < 1) return false;
    *sequence = (uint64_t)value;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Lookups.                                                                  */
/* ------------------------------------------------------------------------ */

/* "12" as an id 1..UINT32_MAX; false for anything else. */
static bool parse_id(const char *text, uint32_t *id) {
    size_t length = strlen(text);
    if (length == 0 || length > 10 || strspn(text, "0123456789") != length) return false;
    uint64_t value = strtoull(text, NULL, 10);
    if (value == 0 || value > UINT32_MAX) return false;
    *id = (uint32_t)value;
    return true;
}

cli_status cli_client_network_by_id(cli_context *ctx, uint32_t id, cli_network *network) {
    char path[64];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32, id);
    json_t *json;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    char why[128];
    bool ok = cli_client_network_from_json(json, network, why, sizeof why);
    json_decref(json);
    if (!ok) return cli_fail(ctx, CLI_IO, "the node's answer for network %" PRIu32 " is unusable: %s", id, why);
    return CLI_OK;
}

static bool gateway_side_from_json(const json_t *side, tally_gateway_side *terms, bool *frozen, int64_t *mirror) {
    int64_t fee = 0, limit = 0, rtd = 0, defaults = 0;
    bool ok = cli_json_i64(side, "fee_bps", &fee) && cli_json_i64(side, "limit", &limit) &&
              cli_json_i64(side, "min_partner_rtd_bps", &rtd) &&
              cli_json_i64(side, "max_partner_default_bps", &defaults) && cli_json_bool(side, "frozen", frozen) &&
              cli_json_i64(side, "mirror_balance", mirror);
    bool in_range = fee >= 0 && fee <= TALLY_BPS_ONE && limit >= 0 && rtd >= 0 && rtd <= UINT32_MAX && defaults >= 0 &&
                    defaults <= UINT32_MAX;
    if (!ok || !in_range) return false;
    *terms = (tally_gateway_side){(uint32_t)fee, limit, (uint32_t)rtd, (uint32_t)defaults};
    return true;
}

bool cli_client_gateway_from_json(const json_t *json, tally_gateway *gateway, int64_t mirror_balance[2]) {
    int64_t id = 0, a = 0, b = 0, proposed = 0, opened = 0;
    const char *status = cli_json_string(json, "status");
    memset(gateway, 0, sizeof *gateway);
    if (!cli_json_i64(json, "id", &id) || id <= 0 || id > UINT32_MAX || !cli_json_i64(json, "network_a", &a) ||
        a <= 0 || a > UINT32_MAX || !cli_json_i64(json, "network_b", &b) || b <= 0 || b > UINT32_MAX ||
        !cli_json_i64(json, "rate_a", &gateway->terms.rate_a) || !cli_json_i64(json, "rate_b", &gateway->terms.rate_b) ||
        !status)
        return false;
    cli_json_i64(json, "proposed_at", &proposed);
    cli_json_i64(json, "opened_at", &opened);
    gateway->id = (uint32_t)id, gateway->network_a = (uint32_t)a, gateway->network_b = (uint32_t)b;
    gateway->proposed_at = proposed, gateway->opened_at = opened;
    gateway->status = TALLY_GATEWAY_STATUS_COUNT;
    for (uint8_t s = 0; s < TALLY_GATEWAY_STATUS_COUNT; s++)
        if (strcmp(status, tally_gateway_status_name(s)) == 0) gateway->status = s;
    if (gateway->status == TALLY_GATEWAY_STATUS_COUNT) return false;
    return gateway_side_from_json(cli_json_object(json, "a"), &gateway->terms.side[0], &gateway->frozen[0],
                                  &mirror_balance[0]) &&
           gateway_side_from_json(cli_json_object(json, "b"), &gateway->terms.side[1], &gateway->frozen[1],
                                  &mirror_balance[1]);
}

cli_status cli_client_gateway(cli_context *ctx, uint32_t id, cli_gateway *gateway, json_t **json) {
    char path[64];
    snprintf(path, sizeof path, "/v1/gateways/%" PRIu32, id);
    json_t *reply = NULL;
    if (json) *json = NULL;
    cli_status status = cli_client_get(ctx, path, &reply);
    if (status == CLI_OK && !cli_client_gateway_from_json(reply, &gateway->gateway, gateway->mirror_balance))
        status = cli_fail(ctx, CLI_IO, "the node's answer for gateway %" PRIu32 " is unusable", id);
    if (status == CLI_OK) status = cli_client_network_by_id(ctx, gateway->gateway.network_a, &gateway->network[0]);
    if (status == CLI_OK) status = cli_client_network_by_id(ctx, gateway->gateway.network_b, &gateway->network[1]);
    if (status == CLI_OK && json) *json = reply;
    else json_decref(reply);
    return status;
}

/* The entries of a list whose name (or code) is `text`, ignoring case. */
typedef struct {
    const char *text;
    const char *field; /* "name" or "code" */
    bool is_asset;
    size_t matches;
    char ids[128];
    cli_network network;
    cli_asset asset;
    char why[128];
    bool unusable;
} name_match;

static bool visit_named(void *context, const json_t *entry) {
    name_match *match = context;
    const char *name = cli_json_string(entry, match->field);
    if (!name || strcasecmp(name, match->text) != 0) return true;
    cli_network network;
    cli_asset asset;
    uint32_t id;
    if (match->is_asset ? !cli_client_asset_from_json(entry, &asset, match->why, sizeof match->why)
                        : !cli_client_network_from_json(entry, &network, match->why, sizeof match->why)) {
        match->unusable = true;
        return false;
    }
    id = match->is_asset ? asset.id : network.id;
    size_t used = strlen(match->ids);
    snprintf(match->ids + used, sizeof match->ids - used, "%s%" PRIu32, match->matches ? ", " : "", id);
    if (match->matches++ == 0) {
        if (match->is_asset) match->asset = asset;
        else match->network = network;
    }
    return true;
}

bool cli_client_query_escape(const char *text, char *out, size_t out_size) {
    static const char digits[] = "0123456789ABCDEF";
    size_t at = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        bool plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                     strchr("-._~", *c) != NULL;
        if (at + 4 > out_size) return false;
        if (plain) out[at++] = (char)*c;
        else out[at++] = '%', out[at++] = digits[*c >> 4], out[at++] = digits[*c & 15];
    }
    out[at] = '\0';
    return true;
}

cli_status cli_client_network(cli_context *ctx, const char *text, cli_network *network) {
    uint32_t id;
    if (parse_id(text, &id)) return cli_client_network_by_id(ctx, id, network);
    /* The node looks the name up (names are unique on the chain, ignoring case); the
     * entries it answers are matched here all the same, so that a node that lists
     * every network instead is read right too. */
    char escaped[3 * TALLY_NAME_MAX + 1], path[3 * TALLY_NAME_MAX + 32];
    if (strlen(text) > TALLY_NAME_MAX || !cli_client_query_escape(text, escaped, sizeof escaped))
        return cli_fail(ctx, CLI_REFUSED, "no network is named '%s': a name is at most %u bytes", text,
                        TALLY_NAME_MAX);
    snprintf(path, sizeof path, "/v1/networks?name=%s", escaped);
    name_match match = {.text = text, .field = "name"};
    cli_status status = cli_client_list(ctx, path, "networks", visit_named, &match);
    if (status != CLI_OK) return status;
    if (match.unusable) return cli_fail(ctx, CLI_IO, "the node's list of networks is unusable: %s", match.why);
    if (match.matches == 0)
        return cli_fail(ctx, CLI_REFUSED, "no network is named '%s' on %s (see `tally network list`)", text,
                        ctx->node_url);
    if (match.matches > 1)
        return cli_fail(ctx, CLI_USAGE, "%zu networks are named '%s' (ids %s): name it by its id", match.matches, text,
                        match.ids);
    *network = match.network;
    /* The list may carry less than the network's own page (policy, pool). */
    if (!network->has_policy) return cli_client_network_by_id(ctx, network->id, network);
    return CLI_OK;
}

cli_status cli_client_asset_by_id(cli_context *ctx, uint32_t id, cli_asset *asset) {
    char path[64];
    snprintf(path, sizeof path, "/v1/assets/%" PRIu32, id);
    json_t *json;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    char why[128];
    bool ok = cli_client_asset_from_json(json, asset, why, sizeof why);
    json_decref(json);
    if (!ok) return cli_fail(ctx, CLI_IO, "the node's answer for asset %" PRIu32 " is unusable: %s", id, why);
    return CLI_OK;
}

cli_status cli_client_asset(cli_context *ctx, const char *text, cli_asset *asset) {
    uint32_t id;
    if (parse_id(text, &id)) return cli_client_asset_by_id(ctx, id, asset);
    name_match match = {.text = text, .field = "code", .is_asset = true};
    cli_status status = cli_client_list(ctx, "/v1/assets?limit=500", "assets", visit_named, &match);
    if (status != CLI_OK) return status;
    if (match.unusable) return cli_fail(ctx, CLI_IO, "the node's list of assets is unusable: %s", match.why);
    if (match.matches == 0)
        return cli_fail(ctx, CLI_REFUSED, "no asset has the code '%s' on %s (see `tally asset list`)", text,
                        ctx->node_url);
    if (match.matches > 1)
        return cli_fail(ctx, CLI_USAGE, "%zu assets have the code '%s' (ids %s): name it by its id", match.matches,
                        text, match.ids);
    *asset = match.asset;
    return CLI_OK;
}

cli_status cli_client_account(cli_context *ctx, uint32_t network_id, const char *member, cli_account *account,
                          json_t **json_out) {
    char path[192];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network_id, member);
    json_t *json;
    if (json_out) *json_out = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    char why[128];
    if (!cli_client_account_from_json(json, account, why, sizeof why)) {
        json_decref(json);
        return cli_fail(ctx, CLI_IO, "the node's answer for account %s is unusable: %s", member, why);
    }
    if (json_out) *json_out = json;
    else json_decref(json);
    return CLI_OK;
}

cli_status cli_client_next_sequence(cli_context *ctx, const tally_key *key, uint64_t *sequence) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[128];
    tally_address_encode(key, address);
    snprintf(path, sizeof path, "/v1/accounts/%s", address);
    json_t *json;
    cli_status status = cli_client_request(ctx, "GET", path, NULL, false, &json);
    if (status == CLI_REFUSED) {
        /* A key the chain has never seen starts at 1. */
        const char *code = cli_json_string(json, "code");
        bool unknown = code && strcmp(code, "NOT_FOUND") == 0;
        if (!unknown) cli_client_report_refusal(ctx, json);
        json_decref(json);
        if (unknown) *sequence = 1;
        return unknown ? CLI_OK : CLI_REFUSED;
    }
    if (status != CLI_OK) return status;
    bool ok = cli_client_sequence_from_json(json, sequence);
    json_decref(json);
    if (!ok) return cli_fail(ctx, CLI_IO, "the node's answer for %s carries no next_sequence", path);
    return CLI_OK;
}

cli_status cli_client_chain_id(cli_context *ctx, uint8_t chain_id[TALLY_CHAIN_ID_BYTES]) {
    json_t *json;
    cli_status status = cli_client_get(ctx, "/v1/status", &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    bool ok = cli_client_unhex(cli_json_string(json, "chain_id"), chain_id, TALLY_CHAIN_ID_BYTES);
    json_decref(json);
    if (!ok) return cli_fail(ctx, CLI_IO, "the node's status carries no chain_id of 64 hex digits");
    return CLI_OK;
}
