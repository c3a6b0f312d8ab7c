/*
 * http.c: routes and handlers of the API (see http.h and docs/openapi.yaml). A
 * request body is collected up to HTTP_BODY_MAX and refused with 413 past it, then
 * parsed by submission.c (without any server type, so it is fuzzed on its own);
 * every path segment and query value is validated before use.
 * Reads hold the node's lock only while they copy what they need into JSON.
 */
#define _GNU_SOURCE /* asprintf */
#include "node/http.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/submission.h"
#include "node/views.h"

_Static_assert(HTTP_BATCH_MAX == SUBMISSION_BATCH_MAX, "one bound on batches");

struct http_server {
    node *node;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

typedef struct {
    char *body;
    size_t length;
    bool too_large; /* past HTTP_BODY_MAX: answered 413 */
    bool answered;  /* the 413 was queued before the body (a declared length) */
    size_t dropped; /* bytes of a too large body read and dropped */
} request;

/* ---- responses ---- */

static enum MHD_Result send_text(struct MHD_Connection *connection, unsigned status, char *text, size_t length,
                                 const char *content_type) {
    struct MHD_Response *response = MHD_create_response_from_buffer(length, text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", content_type);
    enum MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
}

static enum MHD_Result send_json(struct MHD_Connection *connection, unsigned status, json_t *value) {
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    if (!text) {
        static const char fallback[] = "{\"error\":{\"code\":\"OUT_OF_MEMORY\",\"message\":\"out of memory\"}}";
        text = strdup(fallback);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        if (!text) return MHD_NO;
    }
    return send_text(connection, status, text, strlen(text), "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *connection, unsigned status, const char *code,
                                  const char *message) {
    return send_json(connection, status, json_pack("{s:o}", "error", view_error(code, message, 0, false)));
}

/* The answer to every read once a failed write stopped the node. */
static enum MHD_Result send_failed(struct MHD_Connection *connection) {
    return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "NODE_FAILED",
                      "the node stopped after a failed write and serves nothing until restarted");
}

/* ---- parsing helpers ---- */

static bool query_u64(struct MHD_Connection *connection, const char *name, uint64_t fallback, uint64_t max,
                      uint64_t *out) {
    const char *text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
    if (!text) {
        *out = fallback;
        return true;
    }
    return submission_parse_u64(text, out) && *out <= max;
}

/* Splits "/v1/networks/3/accounts/bob" into at most `max` segments (in place). */
static int split_path(char *path, char **segments, int max) {
    int count = 0;
    char *position = NULL; /* strtok_r: connections run on many threads at once */
    for (char *part = strtok_r(path, "/", &position); part; part = strtok_r(NULL, "/", &position)) {
        if (count == max) return -1;
        segments[count++] = part;
    }
    return count;
}

/* ---- transactions ---- */

static unsigned refusal_status(const tx_status *status) {
    if (status->node_error && strcmp(status->node_error, "BAD_HEX") == 0) return MHD_HTTP_BAD_REQUEST;
    if (status->node_error && strcmp(status->node_error, "SENDER_PENDING_FULL") == 0) return MHD_HTTP_TOO_MANY_REQUESTS;
    if (status->node_error) return MHD_HTTP_SERVICE_UNAVAILABLE;
    switch (status->result.code) {
    case TALLY_ERR_BAD_SIGNATURE:
    case TALLY_ERR_WRONG_CHAIN:
    case TALLY_ERR_BAD_SEQUENCE:
    case TALLY_ERR_SYSTEM_SIGNER:
    case TALLY_ERR_UNKNOWN_TX_TYPE:
    case TALLY_ERR_DECODE_TRUNCATED:
    case TALLY_ERR_DECODE_TRAILING_BYTES:
    case TALLY_ERR_DECODE_BAD_VERSION:
    case TALLY_ERR_DECODE_BAD_LENGTH:
    case TALLY_ERR_DECODE_BAD_VALUE:
    case TALLY_ERR_DECODE_BAD_TEXT: return MHD_HTTP_BAD_REQUEST;
    default: return 422; /* Unprocessable: well formed, refused by the ledger's rules */
    }
}

static enum MHD_Result submit(http_server *server, struct MHD_Connection *connection, const request *req) {
    const char *wait = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "wait");
    if (wait && strcmp(wait, "commit") != 0 && strcmp(wait, "none") != 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "wait is 'none' or 'commit'");
    const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    submission sub;
    submission_refusal refusal;
    if (!submission_parse(type, (const uint8_t *)req->body, req->length, &sub, &refusal))
        return send_error(connection, refusal.http_status, refusal.code, refusal.message);

    tx_status *statuses = calloc(sub.count, sizeof *statuses);
    tx_status *decoded_statuses = calloc(sub.count, sizeof *decoded_statuses);
    uint8_t(*ids)[TALLY_HASH_BYTES] = calloc(sub.count, TALLY_HASH_BYTES);
    uint8_t(*all_ids)[TALLY_HASH_BYTES] = calloc(sub.count, TALLY_HASH_BYTES);
    if (!statuses || !decoded_statuses || !ids || !all_ids) {
        free(statuses), free(decoded_statuses), free(ids), free(all_ids);
        submission_release(&sub);
        return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
    }
    /* Items that did not decode are refused here; the others get the node's answer. */
    for (size_t i = 0; i < sub.count; i++) {
        const submission_item *item = &sub.items[i];
        if (!item->decoded)
            statuses[i] = (tx_status){.state = TX_REFUSED, .result.code = item->code, .node_error = item->node_error};
    }
    node_submit(server->node, sub.txs, sub.decodable, decoded_statuses, ids);
    if (wait && strcmp(wait, "commit") == 0)
        node_wait(server->node, (const uint8_t(*)[TALLY_HASH_BYTES])ids, sub.decodable, decoded_statuses,
                  HTTP_COMMIT_WAIT_MS);
    for (uint32_t d = 0; d < sub.decodable; d++) {
        statuses[sub.positions[d]] = decoded_statuses[d];
        memcpy(all_ids[sub.positions[d]], ids[d], TALLY_HASH_BYTES);
    }
    json_t *results = json_array();
    for (size_t i = 0; i < sub.count; i++) json_array_append_new(results, view_tx_status(all_ids[i], &statuses[i]));
    unsigned status = MHD_HTTP_OK;
    bool single_refused = sub.is_single && statuses[0].state == TX_REFUSED;
    if (single_refused) status = refusal_status(&statuses[0]);
    json_t *response = json_pack("{s:o}", "results", results);
    /* A single refused transaction also carries its error at the top, like every 4xx. */
    if (response && single_refused)
        json_object_set(response, "error", json_object_get(json_array_get(results, 0), "error"));
    free(statuses), free(decoded_statuses), free(ids), free(all_ids);
    submission_release(&sub);
    return send_json(connection, status, response);
}

static enum MHD_Result get_transaction(http_server *server, struct MHD_Connection *connection, const char *hex) {
    uint8_t id[TALLY_HASH_BYTES];
    size_t length = 0;
    if (strlen(hex) != 2 * TALLY_HASH_BYTES ||
        sodium_hex2bin(id, sizeof id, hex, strlen(hex), NULL, &length, NULL) != 0 || length != TALLY_HASH_BYTES)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID", "a transaction id is 64 hex characters");
    tx_status status = node_status_of(server->node, id);
    if (status.state != TX_UNKNOWN) return send_json(connection, MHD_HTTP_OK, view_tx_status(id, &status));
    /* Not recent: the index knows every committed transaction. */
    index_tx *indexed = malloc(sizeof *indexed);
    bool found = false;
    char why[INDEX_WHY_BYTES];
    if (!indexed) return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
    if (!node_indexed_tx(server->node, id, indexed, &found, why, sizeof why)) {
        free(indexed);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    if (!found) {
        free(indexed);
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no transaction with this id is pending or committed");
    }
    status = (tx_status){.state = TX_COMMITTED, .height = indexed->height, .result = indexed->result};
    free(indexed);
    return send_json(connection, MHD_HTTP_OK, view_tx_status(id, &status));
}

/* ---- reads of the state ---- */

static enum MHD_Result get_status(http_server *server, struct MHD_Connection *connection) {
    node_metrics metrics = node_metrics_read(server->node);
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    (void)state;
    const tally_chain_tip *tip = node_tip(server->node);
    json_t *view = json_pack("{s:o, s:o, s:I, s:o, s:I, s:o, s:i, s:s, s:I}", "chain_id",
                             view_hex(tip->chain_id, TALLY_CHAIN_ID_BYTES), "producer", view_address(&tip->producer),
                             "height", (json_int_t)tip->height, "tip_hash", view_hex(tip->hash, TALLY_HASH_BYTES),
                             "tip_time", (json_int_t)tip->block_time, "state_hash",
                             view_hex(tip->state_hash, TALLY_HASH_BYTES), "mempool", (int)metrics.mempool_count,
                             "version", "tally 0.1", "started_at", (json_int_t)metrics.started_at);
    node_read_end(server->node);
    return send_json(connection, MHD_HTTP_OK, view);
}

static bool parse_network_id(const char *text, uint32_t *id) {
    uint64_t value;
    if (!submission_parse_u64(text, &value) || value == 0 || value > UINT32_MAX) return false;
    *id = (uint32_t)value;
    return true;
}

/* An address, or an alias of the network. */
static const tally_member *find_member(const tally_state *state, uint32_t network_id, const char *who) {
    tally_key key;
    if (strncmp(who, "tly1", 4) == 0 && tally_address_decode(who, &key))
        return tally_state_member(state, network_id, &key);
    return tally_state_member_by_alias(state, network_id, who, strlen(who));
}

/* A member's history, newest first, from the index. Runs without the node's lock. */
static enum MHD_Result get_history(http_server *server, struct MHD_Connection *connection, uint32_t network_id,
                                   const tally_key *key) {
    uint64_t before, limit;
    if (!query_u64(connection, "before", 0, UINT64_MAX, &before) ||
        !query_u64(connection, "limit", 50, INDEX_HISTORY_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "before >= 0 (a cursor), 1 <= limit <= 500");
    index_history_entry *entries = calloc((size_t)limit, sizeof *entries);
    if (!entries) return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_history(server->node, network_id, key, before, (uint32_t)limit, entries, &count, &next, why, sizeof why)) {
        free(entries);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        const index_history_entry *e = &entries[i];
        const char *type = tally_tx_type_name(e->type);
        json_t *entry = json_pack("{s:I, s:I, s:I, s:o, s:s, s:I, s:I, s:s#}", "cursor", (json_int_t)e->cursor, "height",
                                  (json_int_t)e->height, "time", (json_int_t)e->time, "tx",
                                  view_hex(e->tx_id, TALLY_HASH_BYTES), "type", type ? type : "?", "amount",
                                  (json_int_t)e->amount, "fee", (json_int_t)e->fee, "memo", e->memo,
                                  (int)e->memo_length);
        if (entry && e->has_counterparty) json_object_set_new(entry, "counterparty", view_address(&e->counterparty));
        json_array_append_new(list, entry);
    }
    free(entries);
    json_t *view = json_pack("{s:o}", "entries", list);
    json_object_set_new(view, "next", next ? json_integer((json_int_t)next) : json_null());
    return send_json(connection, MHD_HTTP_OK, view);
}

static enum MHD_Result get_search(http_server *server, struct MHD_Connection *connection, uint32_t network_id) {
    const char *text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "q");
    uint64_t limit;
    if (!text || strlen(text) > INDEX_SEARCH_TEXT_MAX || !query_u64(connection, "limit", 20, INDEX_SEARCH_LIMIT_MAX, &limit) ||
        limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "q is 1 to 256 bytes of text, 1 <= limit <= 100");
    index_match *matches = calloc((size_t)limit, sizeof *matches);
    if (!matches) return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
    uint32_t count = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_search(server->node, network_id, text, strlen(text), (uint32_t)limit, matches, &count, why, sizeof why)) {
        free(matches);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        const index_match *m = &matches[i];
        json_t *match = json_pack("{s:s, s:o, s:I, s:o, s:s#}", "kind", m->kind == INDEX_MATCH_MEMO ? "memo" : "alias",
                                  "address", view_address(&m->key), "height", (json_int_t)m->height, "tx",
                                  view_hex(m->tx_id, TALLY_HASH_BYTES), "text", m->text, (int)m->text_length);
        if (match && m->has_counterparty) json_object_set_new(match, "counterparty", view_address(&m->counterparty));
        json_array_append_new(list, match);
    }
    free(matches);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o}", "matches", list));
}

static enum MHD_Result get_networks(http_server *server, struct MHD_Connection *connection) {
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    json_t *networks = json_array();
    for (uint32_t id = 1; id <= tally_state_network_count(state); id++)
        json_array_append_new(networks, view_network(state, tally_state_network(state, id)));
    node_read_end(server->node);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o}", "networks", networks));
}

static enum MHD_Result get_network(http_server *server, struct MHD_Connection *connection, char **segments,
                                   int count) {
    uint32_t network_id;
    if (!parse_network_id(segments[2], &network_id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_NETWORK", "a network id is a positive integer");
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_network *network = tally_state_network(state, network_id);
    json_t *view = NULL;
    tally_key history_key;
    bool wants_history = false, wants_search = false;
    unsigned status = MHD_HTTP_OK;
    const char *code = NULL, *message = NULL;
    if (!network) {
        status = MHD_HTTP_NOT_FOUND, code = "UNKNOWN_NETWORK", message = tally_error_message(TALLY_ERR_UNKNOWN_NETWORK);
    } else if (count == 3) {
        view = view_network(state, network);
    } else if (count == 4 && strcmp(segments[3], "members") == 0) {
        uint64_t offset, limit;
        if (!query_u64(connection, "offset", 0, UINT32_MAX, &offset) || !query_u64(connection, "limit", 100, 1000, &limit)) {
            status = MHD_HTTP_BAD_REQUEST, code = "BAD_QUERY", message = "offset >= 0, 1 <= limit <= 1000";
        } else {
            json_t *members = json_array();
            uint64_t seen = 0;
            for (uint32_t i = 0; i < tally_state_member_count(state); i++) {
                const tally_member *m = tally_state_member_at(state, i);
                if (m->network_id != network_id || m->status == TALLY_MEMBER_SYSTEM || m->status == TALLY_MEMBER_LEFT)
                    continue;
                if (seen++ >= offset && json_array_size(members) < limit)
                    json_array_append_new(members, view_member(state, network, m));
            }
            view = json_pack("{s:o, s:I}", "members", members, "total", (json_int_t)seen);
        }
    } else if ((count == 5 || count == 6) && strcmp(segments[3], "accounts") == 0) {
        const tally_member *member = find_member(state, network_id, segments[4]);
        if (!member || member->status == TALLY_MEMBER_SYSTEM) {
            status = MHD_HTTP_NOT_FOUND, code = "NOT_MEMBER", message = "no member of this network has this address or alias";
        } else if (count == 5) {
            view = view_member(state, network, member);
        } else if (strcmp(segments[5], "history") == 0) {
            history_key = member->key;
            wants_history = true;
        } else {
            status = MHD_HTTP_NOT_FOUND, code = "NOT_FOUND", message = "no such path";
        }
    } else if (count == 4 && strcmp(segments[3], "search") == 0) {
        wants_search = true;
    } else {
        status = MHD_HTTP_NOT_FOUND, code = "NOT_FOUND", message = "no such path";
    }
    node_read_end(server->node);
    if (code) return send_error(connection, status, code, message);
    if (wants_history) return get_history(server, connection, network_id, &history_key);
    if (wants_search) return get_search(server, connection, network_id);
    return send_json(connection, status, view);
}

static enum MHD_Result get_key(http_server *server, struct MHD_Connection *connection, const char *address) {
    tally_key key;
    if (!tally_address_decode(address, &key))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                          "not an address: expected tly1 and 58 characters with a valid checksum");
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    json_t *memberships = json_array(), *holdings = json_array();
    for (uint32_t id = 1; id <= tally_state_network_count(state); id++) {
        const tally_member *member = tally_state_member(state, id, &key);
        if (member) json_array_append_new(memberships, view_member(state, tally_state_network(state, id), member));
    }
    for (uint32_t id = 1; id <= tally_state_asset_count(state); id++) {
        int64_t amount = tally_state_asset_balance(state, id, &key);
        if (amount) json_array_append_new(holdings, json_pack("{s:i, s:I}", "asset", (int)id, "amount", (json_int_t)amount));
    }
    json_t *view = json_pack("{s:s, s:I, s:o, s:o}", "address", address, "next_sequence",
                             (json_int_t)tally_state_next_sequence(state, &key), "memberships", memberships,
                             "holdings", holdings);
    node_read_end(server->node);
    return send_json(connection, MHD_HTTP_OK, view);
}

static enum MHD_Result get_assets(http_server *server, struct MHD_Connection *connection, const char *which) {
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    json_t *view = NULL;
    if (!which) {
        json_t *assets = json_array();
        for (uint32_t id = 1; id <= tally_state_asset_count(state); id++)
            json_array_append_new(assets, view_asset(tally_state_asset(state, id)));
        view = json_pack("{s:o}", "assets", assets);
    } else {
        uint32_t id;
        const tally_asset *asset = parse_network_id(which, &id) ? tally_state_asset(state, id) : NULL;
        if (asset) view = view_asset(asset);
    }
    node_read_end(server->node);
    if (!view) return send_error(connection, MHD_HTTP_NOT_FOUND, "UNKNOWN_ASSET", tally_error_message(TALLY_ERR_UNKNOWN_ASSET));
    return send_json(connection, MHD_HTTP_OK, view);
}

/* ---- blocks ---- */

static enum MHD_Result get_blocks(http_server *server, struct MHD_Connection *connection) {
    uint64_t from, limit;
    if (!query_u64(connection, "from", 0, UINT64_MAX - 1000, &from) || !query_u64(connection, "limit", 100, 1000, &limit))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "from >= 0, 1 <= limit <= 1000");
    if (!node_read_begin(server->node)) return send_failed(connection);
    json_t *blocks = json_array();
    const tally_blocklog *log = node_log(server->node);
    for (uint64_t height = from; height < from + limit && height < tally_blocklog_count(log); height++) {
        tally_block_header header;
        uint8_t hash[TALLY_HASH_BYTES];
        tally_chain_failure failure;
        if (tally_blocklog_header(log, height, &header, hash, &failure) != TALLY_CHAIN_OK) break;
        json_array_append_new(blocks, view_block_header(&header, hash));
    }
    uint64_t total = tally_blocklog_count(log);
    node_read_end(server->node);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:I}", "blocks", blocks, "count", (json_int_t)total));
}

static enum MHD_Result get_block(http_server *server, struct MHD_Connection *connection, const char *height_text,
                                 bool raw) {
    uint64_t height;
    if (!submission_parse_u64(height_text, &height))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_HEIGHT", "a height is an integer >= 0");
    tally_chain_failure failure;
    if (!node_read_begin(server->node)) return send_failed(connection);
    const tally_blocklog *log = node_log(server->node);
    if (raw) {
        uint8_t *bytes = NULL;
        size_t length = 0;
        tally_chain_error error = tally_blocklog_read_encoded(log, height, &bytes, &length, &failure);
        node_read_end(server->node);
        if (error == TALLY_CHAIN_ERR_NO_SUCH_BLOCK) return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_SUCH_BLOCK", failure.message);
        if (error != TALLY_CHAIN_OK) return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "IO", failure.message);
        return send_text(connection, MHD_HTTP_OK, (char *)bytes, length, "application/octet-stream");
    }
    tally_block block;
    tally_block_init(&block);
    tally_chain_error error = tally_blocklog_read(log, height, &block, &failure);
    node_read_end(server->node);
    if (error != TALLY_CHAIN_OK) {
        tally_block_release(&block);
        if (error == TALLY_CHAIN_ERR_NO_SUCH_BLOCK) return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_SUCH_BLOCK", failure.message);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "IO", failure.message);
    }
    uint8_t hash[TALLY_HASH_BYTES];
    tally_block_hash(&block.header, hash);
    json_t *view = view_block_header(&block.header, hash);
    json_t *txs = json_array();
    for (uint32_t i = 0; i < block.header.tx_count; i++) {
        json_t *tx = view_tx(&block.txs[i]);
        json_object_set_new(tx, "result", view_result(&block.results[i]));
        json_array_append_new(txs, tx);
    }
    json_object_set_new(view, "transactions", txs);
    tally_block_release(&block);
    return send_json(connection, MHD_HTTP_OK, view);
}

/* Appends to *text (length bytes, from asprintf) what admission refused, by reason,
 * what checking signatures cost, the per-sender bound and the longest probe of each
 * table keyed by client-chosen bytes. Returns the new length, or -1 (text freed). */
static int append_admission_metrics(char **text, size_t length, const node_metrics *m) {
    char *more = NULL;
    size_t more_length = 0;
    FILE *out = open_memstream(&more, &more_length);
    if (!out) {
        free(*text);
        return -1;
    }
    fputs("# HELP tally_admission_refused_total Transactions refused at admission, by reason.\n"
          "# TYPE tally_admission_refused_total counter\n",
          out);
    for (int reason = 0; reason < NODE_REFUSAL_COUNT; reason++)
        fprintf(out, "tally_admission_refused_total{reason=\"%s\"} %" PRIu64 "\n", node_refusal_names[reason],
                m->refused_by_node[reason]);
    for (int code = 0; code < TALLY_ERROR_COUNT; code++)
        if (m->refused_at_admission[code])
            fprintf(out, "tally_admission_refused_total{reason=\"%s\"} %" PRIu64 "\n",
                    tally_error_name((tally_error)code), m->refused_at_admission[code]);
    fprintf(out,
            "# HELP tally_signature_checks_total Ed25519 verifications made at admission.\n"
            "# TYPE tally_signature_checks_total counter\ntally_signature_checks_total %" PRIu64 "\n"
            "# HELP tally_signature_checks_saved_total Verdicts of recently refused transactions reused.\n"
            "# TYPE tally_signature_checks_saved_total counter\ntally_signature_checks_saved_total %" PRIu64 "\n"
            "# HELP tally_mempool_per_sender Pending transactions one signer may have.\n"
            "# TYPE tally_mempool_per_sender gauge\ntally_mempool_per_sender %u\n"
            "# HELP tally_hash_probe_longest Most slots one lookup examined, per table of client-chosen keys.\n"
            "# TYPE tally_hash_probe_longest gauge\n"
            "tally_hash_probe_longest{table=\"statuses\"} %u\n"
            "tally_hash_probe_longest{table=\"verdicts\"} %u\n"
            "tally_hash_probe_longest{table=\"pending\"} %u\n",
            m->signature_checks, m->signature_checks_saved, m->mempool_per_sender, m->probe_longest_statuses,
            m->probe_longest_verdicts, m->probe_longest_pending);
    bool written = fclose(out) == 0 && more;
    char *joined = written ? realloc(*text, length + more_length + 1) : NULL;
    if (!joined) {
        free(more);
        free(*text);
        return -1;
    }
    memcpy(joined + length, more, more_length + 1);
    free(more);
    *text = joined;
    return (int)(length + more_length);
}

static enum MHD_Result get_metrics(http_server *server, struct MHD_Connection *connection) {
    node_metrics m = node_metrics_read(server->node);
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    uint64_t height = node_tip(server->node)->height;
    uint32_t networks = tally_state_network_count(state), members = tally_state_member_count(state);
    node_read_end(server->node);
    char *text = NULL;
    int length = asprintf(&text,
                          "# HELP tally_height Height of the last durable block.\n# TYPE tally_height gauge\n"
                          "tally_height %" PRIu64 "\n"
                          "# HELP tally_blocks_produced_total Blocks made durable by this process.\n"
                          "# TYPE tally_blocks_produced_total counter\ntally_blocks_produced_total %" PRIu64 "\n"
                          "# HELP tally_transactions_committed_total Transactions committed by this process.\n"
                          "# TYPE tally_transactions_committed_total counter\n"
                          "tally_transactions_committed_total %" PRIu64 "\n"
                          "# HELP tally_transactions_refused_total Transactions refused, by stage.\n"
                          "# TYPE tally_transactions_refused_total counter\n"
                          "tally_transactions_refused_total{stage=\"admission\"} %" PRIu64 "\n"
                          "tally_transactions_refused_total{stage=\"block\"} %" PRIu64 "\n"
                          "# HELP tally_mempool_transactions Transactions waiting for a block.\n"
                          "# TYPE tally_mempool_transactions gauge\ntally_mempool_transactions %u\n"
                          "tally_mempool_capacity %u\n"
                          "# HELP tally_block_seconds Time to build and fsync the last block.\n"
                          "# TYPE tally_block_seconds gauge\ntally_block_seconds %.6f\n"
                          "tally_networks %u\ntally_member_records %u\n",
                          height, m.blocks_produced, m.txs_committed, m.txs_refused_admission, m.txs_refused_in_block,
                          m.mempool_count, m.mempool_capacity, (double)m.last_block_ns / 1e9, networks, members);
    if (length >= 0) length = append_admission_metrics(&text, (size_t)length, &m);
    if (length < 0) return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "OUT_OF_MEMORY", "out of memory");
    return send_text(connection, MHD_HTTP_OK, text, (size_t)length, "text/plain; version=0.0.4");
}

/* ---- dispatch ---- */

static enum MHD_Result route(http_server *server, struct MHD_Connection *connection, const char *url,
                             const char *method, const request *req) {
    if (node_failed(server->node))
        return send_failed(connection);
    char path[512];
    if (strlen(url) >= sizeof path) return send_error(connection, MHD_HTTP_URI_TOO_LONG, "BAD_PATH", "the path is too long");
    snprintf(path, sizeof path, "%s", url);
    char *segments[8];
    int count = split_path(path, segments, 8);
    bool is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;
    if (count == 1 && strcmp(segments[0], "metrics") == 0 && is_get) return get_metrics(server, connection);
    if (count < 2 || strcmp(segments[0], "v1") != 0)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no such path: the API lives under /v1");
    const char *resource = segments[1];
    if (strcmp(resource, "transactions") == 0 && count == 2) {
        if (!is_post) return send_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "BAD_METHOD", "POST a transaction here");
        return submit(server, connection, req);
    }
    if (!is_get) return send_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "BAD_METHOD", "this path only answers GET");
    if (strcmp(resource, "transactions") == 0 && count == 3) return get_transaction(server, connection, segments[2]);
    if (strcmp(resource, "status") == 0 && count == 2) return get_status(server, connection);
    if (strcmp(resource, "networks") == 0 && count == 2) return get_networks(server, connection);
    if (strcmp(resource, "networks") == 0 && count >= 3) return get_network(server, connection, segments, count);
    if (strcmp(resource, "accounts") == 0 && count == 3) return get_key(server, connection, segments[2]);
    if (strcmp(resource, "assets") == 0 && count <= 3) return get_assets(server, connection, count == 3 ? segments[2] : NULL);
    if (strcmp(resource, "blocks") == 0 && count == 2) return get_blocks(server, connection);
    if (strcmp(resource, "blocks") == 0 && count == 3) return get_block(server, connection, segments[2], false);
    if (strcmp(resource, "blocks") == 0 && count == 4 && strcmp(segments[3], "raw") == 0)
        return get_block(server, connection, segments[2], true);
    return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no such path");
}

static enum MHD_Result handle(void *context, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **connection_context) {
    (void)version;
    http_server *server = context;
    request *req = *connection_context;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        *connection_context = req;
        /* A declared length over the bound is refused before any of the body is read
         * (a client that sent "Expect: 100-continue" then sends none of it). */
        const char *declared = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t length;
        if (declared && submission_parse_u64(declared, &length) && length > HTTP_BODY_MAX) {
            req->too_large = req->answered = true;
            return send_error(connection, MHD_HTTP_CONTENT_TOO_LARGE, "BODY_TOO_LARGE", "a request body is at most 4 MiB");
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->too_large && req->length + *upload_data_size > HTTP_BODY_MAX) {
            req->too_large = true;
            free(req->body);
            req->body = NULL;
            req->length = 0;
        }
        if (req->too_large) {
            /* libmicrohttpd takes an answer only before the body or after all of it
             * (in between, MHD_queue_response fails and the connection would close
             * without a word). So the rest of a body sent without a declared length
             * (chunked) is read and dropped, and the 413 goes out when it ends; a
             * client that sends another HTTP_BODY_MAX past the bound is cut off. */
            req->dropped += *upload_data_size;
            *upload_data_size = 0;
            return req->dropped > HTTP_BODY_MAX ? MHD_NO : MHD_YES;
        }
        char *grown = realloc(req->body, req->length + *upload_data_size + 1);
        if (!grown) return MHD_NO;
        memcpy(grown + req->length, upload_data, *upload_data_size);
        req->body = grown;
        req->length += *upload_data_size;
        req->body[req->length] = '\0';
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->too_large)
        return req->answered ? MHD_YES
                             : send_error(connection, MHD_HTTP_CONTENT_TOO_LARGE, "BODY_TOO_LARGE",
                                          "a request body is at most 4 MiB");
    return route(server, connection, url, method, req);
}

static void completed(void *context, struct MHD_Connection *connection, void **connection_context,
                      enum MHD_RequestTerminationCode code) {
    (void)context, (void)connection, (void)code;
    request *req = *connection_context;
    if (req) {
        free(req->body);
        free(req);
        *connection_context = NULL;
    }
}

http_server *http_start(node *n, const char *host, uint16_t port, uint32_t timeout_seconds, char *why,
                        size_t why_size) {
    http_server *server = calloc(1, sizeof *server);
    if (!server) return snprintf(why, why_size, "out of memory"), NULL;
    server->node = n;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        free(server);
        snprintf(why, why_size, "'%s' is not an IPv4 address to listen on", host);
        return NULL;
    }
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO, port, NULL, NULL, handle,
        server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(timeout_seconds ? timeout_seconds : HTTP_TIMEOUT_SECONDS),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, server, MHD_OPTION_END);
    if (!server->daemon) {
        free(server);
        snprintf(why, why_size, "cannot listen on %s:%u (in use, or not allowed)", host, (unsigned)port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : port;
    return server;
}

uint16_t http_port(const http_server *server) { return server->port; }

void http_stop(http_server *server) {
    if (!server) return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
