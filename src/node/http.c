/*
 * http.c: routes and handlers of the API (see http.h and docs/openapi.yaml), and the
 * server's defences. A request body is collected up to its form's bound (413 past
 * it) and within the budget of all bodies being received (503 past it), then parsed
 * by submission.c (without any server type, so it is fuzzed on its own); every path
 * segment and query value is validated before use.
 *
 * Threads: libmicrohttpd runs a pool of epoll threads that call the handlers; one
 * more thread of ours, the keeper, wakes after each block (and every tick) to resume
 * the clients suspended in wait=commit whose transactions are settled or whose wait
 * is over, and to shut the socket of every request still incomplete past the
 * deadline. server->lock guards the list of connections, the list of waiting
 * requests and the body budget; it is never taken while the node's lock is held.
 * Reads hold the node's lock only while they copy the few records a page needs;
 * the JSON is built after.
 */
#define _GNU_SOURCE /* asprintf */
#include "node/http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "node/http_market.h"
#include "node/proofs.h"
#include "node/submission.h"
#include "node/views.h"
#include "node/views_market.h"

_Static_assert(HTTP_BATCH_MAX == SUBMISSION_BATCH_MAX, "one bound on batches");

/* The keeper's tick: how late a deadline or a commit wait's end can be noticed. */
#define KEEPER_TICK_MS 100u
/* A key's account page walks network ids, then asset ids from this cursor on. */
#define ACCOUNT_ASSET_CURSOR (UINT64_C(1) << 32)

/* A connection, from its accept to its close (MHD_OPTION_NOTIFY_CONNECTION). */
typedef struct tracked_connection {
    struct MHD_Connection *connection;
    int fd;
    uint64_t ready_ms;  /* when it became ready for its current request */
    bool receiving;     /* its current request has not arrived in full */
    bool cut;           /* its socket was shut down by the deadline */
    struct tracked_connection *prev, *next;
} tracked_connection;

/* A POST /v1/transactions that was admitted: what it answers once its wait ends. */
typedef struct {
    submission sub;
    tx_status *statuses;         /* per item, body order */
    tx_status *decoded_statuses; /* per decodable transaction */
    uint8_t (*ids)[TALLY_HASH_BYTES];
    uint8_t (*all_ids)[TALLY_HASH_BYTES];
    uint64_t wait_until_ms; /* wait=commit: when the wait ends without a commit */
} admitted;

typedef struct request request;

struct http_server {
    node *node;
    struct MHD_Daemon *daemon;
    uint16_t port;
    http_options options;
    size_t body_budget; /* bytes */

    pthread_mutex_t lock;
    tracked_connection *connections;
    uint32_t connection_count; /* open: started and not closed */
    uint32_t accepts_pending;  /* let in by accept_policy, not started yet (one per thread at most) */
    request *waiting; /* suspended in wait=commit, a doubly linked list */
    uint32_t waiting_count;
    size_t body_reserved; /* bytes of the budget held by bodies being received */
    bool closing;         /* http_stop began: nobody is suspended any more */

    pthread_t keeper;
    bool keeper_started;
    bool keeper_stop; /* guarded by lock */
    uint64_t deadline_cuts; /* sockets shut down by the deadline (for the log) */
};

/* How a body is being received. */
typedef enum { BODY_OK = 0, BODY_TOO_LARGE, BODY_OVER_BUDGET, HEADERS_TOO_LARGE } body_refusal;

/* Request headers past this many bytes (names and values) are refused with a JSON
 * 431. Past libmicrohttpd's 64 KiB per connection, which holds the request line and
 * headers, it answers 431 itself, with its own short text: the node never sees them. */
#define HTTP_HEADERS_MAX (16u * 1024u)

struct request {
    http_server *server;
    struct MHD_Connection *connection;
    char *body;
    size_t length, capacity;
    size_t bound;    /* of this body: its form's */
    size_t reserved; /* bytes of the server's body budget this request holds */
    body_refusal refusal;
    bool answered;  /* the refusal was queued before the body (a declared length) */
    size_t dropped; /* bytes of a refused body read and dropped */
    admitted *admitted;
    bool suspended;                 /* in server->waiting (guarded by server->lock) */
    bool unchecked;                 /* suspended since the keeper last looked (server->lock) */
    struct request *wait_prev, *wait_next;
};

static uint64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

void http_options_defaults(http_options *options) {
    *options = (http_options){.idle_timeout_seconds = HTTP_TIMEOUT_SECONDS,
                              .threads = HTTP_THREADS_DEFAULT,
                              .per_ip_connections = HTTP_PER_IP_CONNECTIONS_DEFAULT,
                              .request_deadline_ms = HTTP_REQUEST_DEADLINE_MS_DEFAULT,
                              .body_budget_mib = HTTP_BODY_BUDGET_MIB_DEFAULT};
}

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

static enum MHD_Result send_out_of_memory(struct MHD_Connection *connection) {
    return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "OUT_OF_MEMORY", "out of memory");
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

/* cursor (the `next` of the previous page; cursor_default for the first) and
 * 1 <= limit <= HTTP_LIST_LIMIT_MAX. */
static bool query_page(struct MHD_Connection *connection, uint64_t cursor_default, uint64_t cursor_max,
                       uint64_t *cursor, uint64_t *limit) {
    return query_u64(connection, "cursor", cursor_default, cursor_max, cursor) &&
           query_u64(connection, "limit", HTTP_LIST_LIMIT_DEFAULT, HTTP_LIST_LIMIT_MAX, limit) && *limit > 0;
}

/* The `next` of a page: where the next page starts, or null when this one ends the list. */
static json_t *view_next(bool more, uint64_t next) { return more ? json_integer((json_int_t)next) : json_null(); }

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

static void admitted_free(admitted *a) {
    if (!a) return;
    free(a->decoded_statuses);
    free(a->ids);
    submission_release(&a->sub);
    free(a);
}

static bool admitted_pending(const admitted *a) {
    for (uint32_t d = 0; d < a->sub.decodable; d++)
        if (a->decoded_statuses[d].state == TX_PENDING) return true;
    return false;
}

/* The answer: one status per item in body order (the node's for the decoded ones,
 * the codec's refusal for the others). */
/* Item i's id and status: the node's for a decoded one, the codec's refusal for
 * the others. *d counts the decoded items before i. */
static tx_status item_status(const admitted *a, size_t i, size_t *d, const uint8_t **id) {
    static const uint8_t no_id[TALLY_HASH_BYTES] = {0};
    const submission_item *item = &a->sub.items[i];
    *id = no_id;
    if (!item->decoded) return (tx_status){.state = TX_REFUSED, .result.code = item->code, .node_error = item->node_error};
    assert(*d < a->sub.decodable && a->sub.positions[*d] == i);
    *id = a->ids[*d];
    return a->decoded_statuses[(*d)++];
}

static enum MHD_Result answer_admitted(struct MHD_Connection *connection, const admitted *a) {
    const submission *sub = &a->sub;
    size_t d = 0;
    const uint8_t *id = NULL;
    tx_status first = sub->count ? item_status(a, 0, &d, &id) : (tx_status){0};
    if (sub->is_single && first.state == TX_REFUSED) {
        /* A single refused transaction also carries its error at the top, like every 4xx. */
        json_t *results = json_array();
        json_array_append_new(results, view_tx_status(id, &first));
        json_t *response = json_pack("{s:o}", "results", results);
        if (response) json_object_set(response, "error", json_object_get(json_array_get(results, 0), "error"));
        return send_json(connection, refusal_status(&first), response);
    }
    /* The text is written directly: for a batch of thousands, building and dumping
     * jansson objects cost more than the rest of the request. */
    view_text text = {0};
    view_text_append(&text, "{\"results\":[", 12);
    for (size_t i = 0; i < sub->count; i++) {
        tx_status status = i == 0 ? first : item_status(a, i, &d, &id);
        if (i > 0) view_text_append(&text, ",", 1);
        view_text_append_tx_status(&text, id, &status);
    }
    view_text_append(&text, "]}", 2);
    if (text.failed) return send_json(connection, MHD_HTTP_OK, NULL); /* says out of memory */
    return send_text(connection, MHD_HTTP_OK, text.bytes, text.length, "application/json");
}

/* Suspends the connection until the keeper resumes it (its transactions settled or
 * its wait over): a client waiting for its commit holds no thread. false when the
 * server is stopping: then it is answered at once. */
static bool suspend_for_commit(http_server *server, request *req) {
    pthread_mutex_lock(&server->lock);
    bool suspend = !server->closing;
    if (suspend) {
        req->suspended = true;
        /* Its block may have been made between its admission and now, after the
         * keeper looked at that block's waiters: the keeper looks at it on its next
         * tick whether a block comes or not (an idle node makes none for a minute). */
        req->unchecked = true;
        req->wait_prev = NULL;
        req->wait_next = server->waiting;
        if (server->waiting) server->waiting->wait_prev = req;
        server->waiting = req;
        server->waiting_count++;
        /* Under the lock, so that the keeper cannot resume it before it is suspended. */
        MHD_suspend_connection(req->connection);
    }
    pthread_mutex_unlock(&server->lock);
    return suspend;
}

static void budget_give(http_server *server, size_t bytes);

/* The body is parsed: its memory goes back to the budget before any wait. */
static void request_drop_body(request *req) {
    free(req->body);
    req->body = NULL;
    req->length = req->capacity = 0;
    if (req->reserved) budget_give(req->server, req->reserved);
    req->reserved = 0;
}

static enum MHD_Result submit(http_server *server, struct MHD_Connection *connection, request *req) {
    const char *wait = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "wait");
    if (wait && strcmp(wait, "commit") != 0 && strcmp(wait, "none") != 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "wait is 'none' or 'commit'");
    const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    admitted *a = calloc(1, sizeof *a);
    if (!a) return send_out_of_memory(connection);
    submission_refusal refusal;
    bool parsed = submission_parse(type, (const uint8_t *)req->body, req->length, &a->sub, &refusal);
    request_drop_body(req);
    if (!parsed) {
        free(a);
        return send_error(connection, refusal.http_status, refusal.code, refusal.message);
    }
    uint32_t decodable = a->sub.decodable;
    a->decoded_statuses = calloc(decodable ? decodable : 1, sizeof *a->decoded_statuses);
    a->ids = calloc(decodable ? decodable : 1, TALLY_HASH_BYTES);
    if (!a->decoded_statuses || !a->ids) {
        admitted_free(a);
        return send_out_of_memory(connection);
    }
    node_submit(server->node, a->sub.txs, decodable, a->decoded_statuses, a->ids);
    /* Only the ids and statuses are needed from here on (a waiting batch of 4,096
     * would otherwise hold 2 MB of decoded transactions, and batch payments their
     * lines: the mempool keeps its own copies). */
    for (uint32_t i = 0; i < decodable; i++) tally_tx_release(&a->sub.txs[i]);
    free(a->sub.txs);
    a->sub.txs = NULL;
    if (wait && strcmp(wait, "commit") == 0 && admitted_pending(a)) {
        a->wait_until_ms = monotonic_ms() + HTTP_COMMIT_WAIT_MS;
        req->admitted = a;
        if (suspend_for_commit(server, req)) return MHD_YES;
        req->admitted = NULL;
    }
    enum MHD_Result answered = answer_admitted(connection, a);
    admitted_free(a);
    return answered;
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

/* ---- reads of the state: copied under the lock, built after it ---- */

static enum MHD_Result get_status(http_server *server, struct MHD_Connection *connection) {
    node_metrics metrics = node_metrics_read(server->node);
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    tally_chain_tip tip = *node_tip(server->node);
    tally_chain_rules rules = *tally_state_chain_rules(state);
    uint32_t networks = tally_state_network_count(state), assets = tally_state_asset_count(state);
    node_read_end(server->node);
    json_t *view = json_pack("{s:o, s:o, s:I, s:o, s:I, s:o, s:i, s:s, s:I, s:o, s:i, s:i}", "chain_id",
                             view_hex(tip.chain_id, TALLY_CHAIN_ID_BYTES), "producer", view_address(&tip.producer),
                             "height", (json_int_t)tip.height, "tip_hash", view_hex(tip.hash, TALLY_HASH_BYTES),
                             "tip_time", (json_int_t)tip.block_time, "state_hash",
                             view_hex(tip.state_hash, TALLY_HASH_BYTES), "mempool", (int)metrics.mempool_count,
                             "version", "tally 0.2", "started_at", (json_int_t)metrics.started_at, "rules",
                             view_chain_rules(&rules), "networks", (int)networks, "assets", (int)assets);
    /* A full disk: transactions are refused until there is room (node.c). */
    if (view) json_object_set_new(view, "disk_full", json_boolean(metrics.disk_full));
    node_validator_status validator = node_validator_read(server->node);
    if (view && validator.is_validator)
        json_object_set_new(view, "validator",
                            json_pack("{s:i, s:b, s:b, s:I, s:b, s:I, s:I}", "index",
                                      validator.index == ORDERING_NO_SLOT ? -1 : (int)validator.index, "active",
                                      validator.active, "proposer",
                                      validator.ordering.proposer, "proposer_index",
                                      (json_int_t)validator.ordering.proposer_index, "halted", validator.halted,
                                      "forwarding", (json_int_t)validator.forwarding, "lease_changes",
                                      (json_int_t)validator.ordering.lease_changes));
    /* Co-signatures (issue 14): who vouches for blocks, how many make one final. */
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t quorum = 0;
    uint64_t final_height = 0;
    uint32_t validator_count = node_validators(server->node, validators, &quorum, &final_height);
    json_t *addresses = json_array();
    for (uint32_t i = 0; i < validator_count; i++) json_array_append_new(addresses, view_address(&validators[i]));
    json_object_set_new(view, "validators", addresses);
    json_object_set_new(view, "quorum", json_integer((json_int_t)quorum));
    json_object_set_new(view, "final_height", json_integer((json_int_t)final_height));
    /* the lists and histories come from the index, which trails the chain: a client
     * that committed at height H sees its own transaction there once this is >= H */
    uint64_t indexed = node_indexed_height(server->node);
    json_object_set_new(view, "indexed_height", indexed == TALLY_NO_HEIGHT ? json_null() : json_integer((json_int_t)indexed));
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

/* A pool transaction's reserve and shares, signed from the member's side: a deposit
 * pays reserve in (-) and makes shares (+), a withdrawal the reverse, a repayment
 * pays reserve in, a redemption takes it out. */
static void add_pool_figures(json_t *entry, const index_history_entry *e) {
    if (!entry || (e->reserve == 0 && e->shares == 0)) return;
    /* A stake's entry, in the underwriter's history and the line's: the reserve put
     * behind the line (+) or taken back (-). */
    if (e->type == TALLY_TX_STAKE || e->type == TALLY_TX_UNSTAKE) {
        json_object_set_new(entry, "staked", json_integer(e->type == TALLY_TX_STAKE ? e->reserve : -e->reserve));
        return;
    }
    bool reserve_in = e->type == TALLY_TX_POOL_DEPOSIT || e->type == TALLY_TX_POOL_REPAY;
    bool shares_made = e->type == TALLY_TX_POOL_DEPOSIT;
    if (e->type != TALLY_TX_POOL_DEPOSIT && e->type != TALLY_TX_POOL_WITHDRAW && e->type != TALLY_TX_POOL_REPAY &&
        e->type != TALLY_TX_POOL_REDEEM)
        return;
    json_object_set_new(entry, "reserve", json_integer(reserve_in ? -e->reserve : e->reserve));
    if (e->shares) json_object_set_new(entry, "shares", json_integer(shares_made ? e->shares : -e->shares));
}

/* An event of a block's end: made by the chain, with its figures named by kind. */
static void add_event_fields(json_t *entry, uint8_t type, int64_t event_amount, int64_t event_time) {
    if (!entry || !index_type_is_event(type)) return;
    json_object_set_new(entry, "by_chain", json_true());
    const char *amount = NULL, *time = NULL;
    switch ((tally_event_kind)(type - INDEX_EVENT_TYPE_BASE)) {
    case TALLY_EVENT_LINE_RENEWED: amount = "limit"; time = "period_end"; break;
    case TALLY_EVENT_LINE_EXPIRED: amount = "balance"; time = "period_end"; break;
    case TALLY_EVENT_LINE_FROZEN: amount = "balance"; time = "grace_end"; break;
    case TALLY_EVENT_LINE_UNFROZEN: amount = "balance"; time = "period_end"; break;
    case TALLY_EVENT_LINE_DEFAULTED: amount = "written_off"; time = "grace_end"; break;
    case TALLY_EVENT_LOST_DEBT_COVERED: amount = "covered"; break;
    case TALLY_EVENT_RESERVE_REALLOCATED: amount = "reserve_moved"; break;
    case TALLY_EVENT_POLICY_CHANGED:
    case TALLY_EVENT_PEG_CHANGED: time = "effective_at"; break;
    case TALLY_EVENT_PENDING_RELEASED: amount = "posted"; time = "hold"; break;
    case TALLY_EVENT_PENDING_REFUNDED: amount = "released"; time = "hold"; break;
    case TALLY_EVENT_REQUEST_EXPIRED: amount = "asked"; time = "request"; break;
    case TALLY_EVENT_HEALTH_RECORDED: amount = "period"; time = "period_end"; break;
    case TALLY_EVENT_STAKE_SLASHED: amount = "reserve_slashed"; time = "stake"; break;
    case TALLY_EVENT_LIMIT_SET: amount = "limit"; time = "reputation"; break;
    case TALLY_EVENT_DEMURRAGE_CHARGED: amount = "demurrage"; time = "due_at"; break;
    case TALLY_EVENT_MEMBERSHIP_FEE_CHARGED: amount = "membership_fee"; time = "due_at"; break;
    case TALLY_EVENT_FEE_SUSPENDED: amount = "owed"; time = "due_at"; break;
    case TALLY_EVENT_PROPOSAL_PASSED: amount = "executes_at"; time = "proposal"; break;
    case TALLY_EVENT_PROPOSAL_REJECTED: time = "proposal"; break;
    case TALLY_EVENT_PROPOSAL_EXECUTED: amount = "result_code"; time = "proposal"; break;
    case TALLY_EVENT_LISTING_EXPIRED: time = "listing"; break;
    case TALLY_EVENT_ORDER_RELEASED: amount = "paid"; time = "order"; break;
    case TALLY_EVENT_ORDER_EXPIRED: amount = "refunded"; time = "order"; break;
    case TALLY_EVENT_ORDER_HELD: amount = "held"; time = "order"; break;
    }
    if (amount) json_object_set_new(entry, amount, json_integer(event_amount));
    if (time) json_object_set_new(entry, time, json_integer(event_time));
}

static void add_event_figures(json_t *entry, const index_history_entry *e) {
    add_event_fields(entry, e->type, e->event_amount, e->event_time);
}

/* A transaction about a hold or request: the record's id ("hold", "request") and
 * its amount, named by what it is (held, posted, asked), as the events name theirs. */
static void add_escrow_fields(json_t *entry, uint8_t type, uint32_t id, int64_t amount) {
    if (!entry || !index_type_is_escrow(type) || id == 0) return;
    bool hold = type <= TALLY_TX_PENDING_VOID;
    json_object_set_new(entry, hold ? "hold" : "request", json_integer(id));
    json_object_set_new(entry, type == TALLY_TX_PENDING_POST ? "posted" : hold ? "held" : "asked", json_integer(amount));
}

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
    /* The counterparties' names as the state has them now: a member's alias, or what
     * a system account is for. */
    char (*names)[TALLY_ALIAS_MAX + 1] = calloc(count ? count : 1, sizeof *names);
    const tally_state *state = names ? node_read_begin(server->node) : NULL;
    for (uint32_t i = 0; state && i < count; i++) {
        if (!entries[i].has_counterparty) continue;
        view_copy_name(state, network_id, &entries[i].counterparty, names[i]);
    }
    if (state) node_read_end(server->node);
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        const index_history_entry *e = &entries[i];
        const char *type = index_type_name(e->type);
        json_t *entry = json_pack("{s:I, s:I, s:I, s:o, s:s, s:I, s:I, s:s#}", "cursor", (json_int_t)e->cursor, "height",
                                  (json_int_t)e->height, "time", (json_int_t)e->time, "tx",
                                  view_hex(e->tx_id, TALLY_HASH_BYTES), "type", type ? type : "?", "amount",
                                  (json_int_t)e->amount, "fee", (json_int_t)e->fee, "memo", e->memo,
                                  (int)e->memo_length);
        if (entry && e->has_counterparty) json_object_set_new(entry, "counterparty", view_address(&e->counterparty));
        if (entry && names && names[i][0]) json_object_set_new(entry, "counterparty_name", json_string(names[i]));
        if (entry && e->line) json_object_set_new(entry, "line", json_integer(e->line));
        add_pool_figures(entry, e);
        add_event_figures(entry, e);
        add_escrow_fields(entry, e->type, e->escrow_id, e->escrow_amount);
        view_market_history_fields(entry, e->type, e->market_id, e->market_amount);
        json_array_append_new(list, entry);
    }
    free(names);
    free(entries);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:o}", "entries", list, "next", view_next(next != 0, next)));
}

/* The key a network's activity row names besides its signer (the member acted on,
 * the payee), if any. */
static const tally_key *activity_other(const index_activity_row *row) {
    const tally_tx *tx = &row->tx;
    switch (row->type) {
    case TALLY_TX_TRANSFER: return &tx->body.transfer.payee;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return &tx->body.network_key.key;
    case TALLY_TX_LINE_OPEN: return &tx->body.line_open.member;
    case TALLY_TX_LINE_UPDATE: return &tx->body.line_update.member;
    case TALLY_TX_FEE_DISTRIBUTE: return tx->body.fee_distribute.to_pool ? NULL : &tx->body.fee_distribute.to;
    case TALLY_TX_PENDING_CREATE: return &tx->body.pending_create.payee;
    case TALLY_TX_REQUEST_CREATE: {
        static const tally_key anyone;
        const tally_key *payer = &tx->body.request_create.payer;
        return memcmp(payer->bytes, anyone.bytes, TALLY_KEY_BYTES) == 0 ? NULL : payer;
    }
    default: return NULL;
    }
}

/* What a row did, in figures: a payment's amount and memo, a batch's total and lines,
 * a line's limit, a pool or fee movement's amount; an event's own figures. */
static void add_activity_figures(json_t *entry, const index_activity_row *row) {
    if (!entry) return;
    if (index_type_is_event(row->type)) {
        add_event_fields(entry, row->type, row->event.amount, row->event.time);
        return;
    }
    const tally_tx *tx = &row->tx;
    int64_t amount = 0;
    bool has_amount = true;
    switch (row->type) {
    case TALLY_TX_TRANSFER:
        amount = tx->body.transfer.amount;
        json_object_set_new(entry, "memo", json_stringn(tx->body.transfer.memo.bytes, tx->body.transfer.memo.length));
        break;
    case TALLY_TX_TRANSFER_BATCH:
        for (uint16_t i = 0; i < tx->body.transfer_batch.line_count; i++) amount += tx->body.transfer_batch.lines[i].amount;
        json_object_set_new(entry, "lines", json_integer(tx->body.transfer_batch.line_count));
        break;
    case TALLY_TX_LINE_OPEN: amount = tx->body.line_open.limit; break;
    case TALLY_TX_LINE_UPDATE: amount = tx->body.line_update.limit; break;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: amount = tx->body.pool_amount.amount; break;
    case TALLY_TX_FEE_DISTRIBUTE:
        amount = tx->body.fee_distribute.amount;
        if (tx->body.fee_distribute.to_pool) json_object_set_new(entry, "to_pool", json_true());
        break;
    case TALLY_TX_ALIAS_SET:
        json_object_set_new(entry, "alias", json_stringn(tx->body.alias_set.alias.bytes, tx->body.alias_set.alias.length));
        has_amount = false;
        break;
    case TALLY_TX_PENDING_CREATE:
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID: has_amount = false; break; /* in add_escrow_fields */
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL:
        json_object_set_new(entry, "memo", json_stringn(row->escrow_memo, row->escrow_memo_length));
        has_amount = false;
        break;
    case TALLY_TX_REQUEST_CREATE:
        json_object_set_new(entry, "memo",
                            json_stringn(tx->body.request_create.memo.bytes, tx->body.request_create.memo.length));
        has_amount = false;
        break;
    default: has_amount = false; break;
    }
    view_market_activity_fields(entry, tx); /* the marketplace's (views_market.c) */
    add_escrow_fields(entry, row->type, row->escrow_id, row->escrow_amount);
    if (has_amount) json_object_set_new(entry, "amount", json_integer(amount));
    if (row->fee) json_object_set_new(entry, "fee", json_integer(row->fee));
}

/* GET /v1/networks/{id}/activity: everything that happened in a network, newest
 * first, a page at a time: every transaction about it (whoever signed it, its
 * operators' included) and every event of a block's end in it. From the index. */
static enum MHD_Result get_activity(http_server *server, struct MHD_Connection *connection, uint32_t network_id) {
    uint64_t before, limit;
    if (!query_u64(connection, "before", 0, UINT64_MAX, &before) ||
        !query_u64(connection, "limit", 50, INDEX_HISTORY_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "before >= 0 (a cursor), 1 <= limit <= 500");
    index_activity_row *rows = calloc((size_t)limit, sizeof *rows);
    if (!rows) return send_out_of_memory(connection);
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_activity(server->node, network_id, before, (uint32_t)limit, rows, &count, &next, why, sizeof why)) {
        free(rows);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    /* Names as the state has them now. */
    char (*names)[2][TALLY_ALIAS_MAX + 1] = calloc(count ? count : 1, sizeof *names);
    const tally_state *state = names ? node_read_begin(server->node) : NULL;
    for (uint32_t i = 0; state && i < count; i++) {
        view_copy_name(state, network_id, &rows[i].signer, names[i][0]);
        const tally_key *other = activity_other(&rows[i]);
        if (other) view_copy_name(state, network_id, other, names[i][1]);
    }
    if (state) node_read_end(server->node);
    static const tally_key nobody;
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        const index_activity_row *row = &rows[i];
        const char *type = index_type_name(row->type);
        json_t *entry = json_pack("{s:I, s:I, s:I, s:o, s:s}", "cursor", (json_int_t)row->cursor, "height",
                                  (json_int_t)row->height, "time", (json_int_t)row->time, "tx",
                                  view_hex(row->id, TALLY_HASH_BYTES), "type", type ? type : "?");
        if (entry && memcmp(row->signer.bytes, nobody.bytes, TALLY_KEY_BYTES) != 0) {
            json_object_set_new(entry, index_type_is_event(row->type) ? "member" : "by", view_address(&row->signer));
            if (names && names[i][0][0])
                json_object_set_new(entry, index_type_is_event(row->type) ? "member_name" : "by_name",
                                    json_string(names[i][0]));
        }
        const tally_key *other = index_type_is_event(row->type) ? NULL : activity_other(row);
        if (entry && other) {
            bool paid = row->type == TALLY_TX_TRANSFER || row->type == TALLY_TX_FEE_DISTRIBUTE ||
                        row->type == TALLY_TX_PENDING_CREATE;
            json_object_set_new(entry, paid ? "to" : "member", view_address(other));
            if (names && names[i][1][0])
                json_object_set_new(entry, paid ? "to_name" : "member_name", json_string(names[i][1]));
        }
        add_activity_figures(entry, row);
        json_array_append_new(list, entry);
    }
    index_activity_release(rows, count);
    free(names);
    free(rows);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:o}", "entries", list, "next", view_next(next != 0, next)));
}

/* Full-text search in a network, newest first, a page at a time (from the index,
 * without the node's lock). */
static enum MHD_Result get_search(http_server *server, struct MHD_Connection *connection, uint32_t network_id) {
    const char *text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "q");
    uint64_t limit, cursor;
    /* An empty q (or one of blanks only) would match nothing: refused as the text says. */
    if (!text || strspn(text, " \t\r\n") == strlen(text) || strlen(text) > INDEX_SEARCH_TEXT_MAX || !query_u64(connection, "limit", 20, INDEX_SEARCH_LIMIT_MAX, &limit) ||
        limit == 0 || !query_u64(connection, "cursor", 0, INT64_MAX, &cursor))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "q is 1 to 256 bytes of text, 1 <= limit <= 100, cursor the `next` of the previous page");
    index_match *matches = calloc((size_t)limit, sizeof *matches);
    if (!matches) return send_out_of_memory(connection);
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_search(server->node, network_id, text, strlen(text), cursor, (uint32_t)limit, matches, &count, &next,
                     why, sizeof why)) {
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
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:o}", "matches", list, "next", view_next(next != 0, next)));
}

/* ---- holds (pending transfers) and payment requests: the state's records ---- */

/* A record's id in a path: a positive 32-bit integer. */
static bool parse_record_id(const char *text, uint32_t *id) { return parse_network_id(text, id); }

/* GET /v1/holds/{id}. */
static enum MHD_Result get_hold(http_server *server, struct MHD_Connection *connection, const char *id_text) {
    uint32_t id;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID",
                          "a hold's id is a positive integer (the number `tally hold create` printed)");
    view_hold_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_pending *hold = tally_state_pending(state, id);
    if (hold) view_copy_hold(state, hold, &copy);
    node_read_end(server->node);
    if (!hold)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "PENDING_NOT_FOUND",
                          tally_error_message(TALLY_ERR_PENDING_NOT_FOUND));
    return send_json(connection, MHD_HTTP_OK, view_hold(&copy));
}

/* The memos of copied requests, from the index (a request it has not seen yet keeps
 * a null memo). */
static bool add_request_memos(http_server *server, view_request_copy *copies, uint32_t count, char *why,
                              size_t why_size) {
    if (count == 0) return true;
    uint32_t *ids = calloc(count, sizeof *ids);
    char (*memos)[TALLY_MEMO_MAX + 1] = calloc(count, sizeof *memos);
    bool *found = calloc(count, sizeof *found);
    bool read = ids && memos && found;
    if (!read) snprintf(why, why_size, "out of memory");
    for (uint32_t i = 0; read && i < count; i++) ids[i] = copies[i].request.id;
    read = read && node_request_memos(server->node, ids, count, memos, found, why, why_size);
    for (uint32_t i = 0; read && i < count; i++) {
        copies[i].has_memo = found[i];
        memcpy(copies[i].memo, memos[i], sizeof copies[i].memo);
    }
    free(ids), free(memos), free(found);
    return read;
}

/* GET /v1/requests/{id}. */
static enum MHD_Result get_request(http_server *server, struct MHD_Connection *connection, const char *id_text) {
    uint32_t id;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID",
                          "a payment request's id is a positive integer (the number `tally request create` printed)");
    view_request_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_request *record = tally_state_request(state, id);
    if (record) view_copy_request(state, record, node_block_time_now(server->node), &copy);
    node_read_end(server->node);
    if (!record)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "REQUEST_NOT_FOUND",
                          tally_error_message(TALLY_ERR_REQUEST_NOT_FOUND));
    char why[INDEX_WHY_BYTES];
    if (!add_request_memos(server, &copy, 1, why, sizeof why))
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    return send_json(connection, MHD_HTTP_OK, view_request(&copy));
}

/* What a list of holds or requests asks: whose (member: an address, or an alias of
 * the network), which statuses, from where. */
typedef struct {
    tally_key member;
    int status;        /* -1: any */
    uint32_t statuses; /* asked of the index (index_holds_of) */
    uint64_t before, limit;
} escrow_query;

/* Reads the query; on a refusal answers it and returns false (*answered). */
static bool read_escrow_query(http_server *server, struct MHD_Connection *connection, uint32_t network_id, bool holds,
                              escrow_query *q, enum MHD_Result *answered) {
    if (!query_u64(connection, "before", 0, UINT32_MAX, &q->before) ||
        !query_u64(connection, "limit", 50, INDEX_HISTORY_LIMIT_MAX, &q->limit) || q->limit == 0) {
        *answered = send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                               "before is an id (the `next` of the previous page, 0: from the newest), 1 <= limit <= 500");
        return false;
    }
    const char *status = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "status");
    q->status = -1;
    q->statuses = INDEX_STATUSES_ANY;
    if (status) {
        q->status = holds ? view_hold_status_of(status) : view_request_status_of(status);
        if (q->status < 0) {
            *answered = send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                                   holds ? "status is one of open, posted, voided, released, refunded"
                                         : "status is one of open, paid, cancelled, expired");
            return false;
        }
        q->statuses = 1u << q->status;
        /* A request open in the index may be past its expiry, expired for everyone
         * before the block end records it: asked for open or expired ones, the index
         * gives both and the state says which each is. */
        if (!holds && (q->status == TALLY_REQUEST_OPEN || q->status == TALLY_REQUEST_EXPIRED))
            q->statuses = (1u << TALLY_REQUEST_OPEN) | (1u << TALLY_REQUEST_EXPIRED);
    }
    const char *who = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "member");
    if (!who || !who[0]) {
        *answered = send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                               "member is needed: an address, or an alias in the network");
        return false;
    }
    size_t length = strlen(who);
    if (length == TALLY_ADDRESS_LENGTH && strncmp(who, "tly1", 4) == 0) {
        /* any key: a member who left still has its holds and requests listed */
        if (tally_address_decode(who, &q->member)) return true;
        *answered = send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                               "not an address: expected tly1 and 58 characters with a valid checksum");
        return false;
    }
    /* an alias as member.c admits them: 1 to 32 of a-z 0-9 . _ - */
    bool alias = length >= 1 && length <= TALLY_ALIAS_MAX;
    for (size_t i = 0; alias && i < length; i++)
        alias = (who[i] >= 'a' && who[i] <= 'z') || (who[i] >= '0' && who[i] <= '9') || strchr("._-", who[i]) != NULL;
    if (!alias) {
        *answered = send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                               "member is an address (tly1 and 58 characters with a valid checksum) or an alias "
                               "(1 to 32 of a-z 0-9 . _ -)");
        return false;
    }
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        *answered = send_failed(connection);
        return false;
    }
    const tally_member *member = tally_state_member_by_alias(state, network_id, who, strlen(who));
    if (member) q->member = member->key;
    node_read_end(server->node);
    if (!member)
        *answered = send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_MEMBER", "no member of this network has this alias");
    return member != NULL;
}

/* GET /v1/networks/{id}/holds and /requests: a member's holds (it pays, receives or
 * resolves them) or payment requests (it made them or is asked to pay), newest
 * first, a page at a time: which ids from the index, each record from the state. */
static enum MHD_Result get_escrow_list(http_server *server, struct MHD_Connection *connection, uint32_t network_id,
                                       bool holds) {
    escrow_query q;
    enum MHD_Result answered = MHD_NO;
    if (!read_escrow_query(server, connection, network_id, holds, &q, &answered)) return answered;
    uint32_t *ids = calloc((size_t)q.limit, sizeof *ids);
    view_hold_copy *hold_copies = holds ? calloc((size_t)q.limit, sizeof *hold_copies) : NULL;
    view_request_copy *request_copies = holds ? NULL : calloc((size_t)q.limit, sizeof *request_copies);
    if (!ids || (!hold_copies && !request_copies)) {
        free(ids), free(hold_copies), free(request_copies);
        return send_out_of_memory(connection);
    }
    uint32_t count = 0, next = 0, shown = 0;
    char why[INDEX_WHY_BYTES];
    bool listed = holds ? node_holds_of(server->node, network_id, &q.member, q.statuses, (uint32_t)q.before,
                                        (uint32_t)q.limit, ids, &count, &next, why, sizeof why)
                        : node_requests_of(server->node, network_id, &q.member, q.statuses, (uint32_t)q.before,
                                           (uint32_t)q.limit, ids, &count, &next, why, sizeof why);
    const tally_state *state = listed ? node_read_begin(server->node) : NULL;
    for (uint32_t i = 0; state && i < count; i++) {
        /* The state says each one's status (the index may lag it by a block). */
        if (holds) {
            const tally_pending *hold = tally_state_pending(state, ids[i]);
            if (!hold || (q.status >= 0 && hold->status != q.status)) continue;
            view_copy_hold(state, hold, &hold_copies[shown++]);
        } else {
            const tally_request *record = tally_state_request(state, ids[i]);
            if (!record) continue;
            view_request_copy *copy = &request_copies[shown];
            view_copy_request(state, record, node_block_time_now(server->node), copy);
            int status = copy->expired ? TALLY_REQUEST_EXPIRED : record->status;
            if (q.status < 0 || status == q.status) shown++;
        }
    }
    if (state) node_read_end(server->node);
    free(ids);
    if (listed && !state) {
        free(hold_copies), free(request_copies);
        return send_failed(connection);
    }
    if (listed && !holds) listed = add_request_memos(server, request_copies, shown, why, sizeof why);
    if (!listed) {
        free(hold_copies), free(request_copies);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++)
        json_array_append_new(list, holds ? view_hold(&hold_copies[i]) : view_request(&request_copies[i]));
    free(hold_copies), free(request_copies);
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o}", holds ? "holds" : "requests", list, "next", view_next(next != 0, next)));
}

/* GET /v1/networks?name=NAME: the network of that name (ignoring ASCII case: names
 * are unique on the chain in that sense), as a list of one, or of none. */
/* ---- stakes (underwriting) ---- */

/* GET /v1/stakes/{id}. */
static enum MHD_Result get_stake(http_server *server, struct MHD_Connection *connection, const char *id_text) {
    uint32_t id;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID", "a stake's id is a positive integer");
    view_stake_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_stake *stake = tally_state_stake(state, id);
    if (stake) view_copy_stake(state, stake, &copy);
    node_read_end(server->node);
    if (!stake)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "STAKE_NOT_FOUND", "no stake has this id");
    return send_json(connection, MHD_HTTP_OK, view_stake(&copy));
}

/* A stake filter's key: an address, or an alias of the network (found: false when
 * neither names a member; a member who left still has its stakes listed). */
static bool stake_filter_key(const tally_state *state, uint32_t network_id, const char *who, tally_key *key) {
    if (strlen(who) == TALLY_ADDRESS_LENGTH && strncmp(who, "tly1", 4) == 0) return tally_address_decode(who, key);
    const tally_member *member = tally_state_member_by_alias(state, network_id, who, strlen(who));
    if (member) *key = member->key;
    return member != NULL;
}

/* GET /v1/networks/{id}/stakes?member=&underwriter=&cursor=&limit=: the network's
 * stakes in id order (withdrawn ones too, amount 0), those behind member's line or
 * made by underwriter. A page looks at HTTP_STAKES_SCAN_MAX records at most: `next`
 * says where the next one starts. */
static enum MHD_Result get_stakes(http_server *server, struct MHD_Connection *connection, uint32_t network_id) {
    enum { HTTP_STAKES_SCAN_MAX = 65536 };
    uint64_t cursor, limit;
    if (!query_page(connection, 1, TALLY_STAKES_MAX, &cursor, &limit) || cursor == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "cursor is the `next` of the previous page, 1 <= limit <= 500");
    const char *member_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "member");
    const char *underwriter_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "underwriter");
    view_stake_copy *copies = calloc((size_t)limit, sizeof *copies);
    if (!copies) return send_out_of_memory(connection);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(copies);
        return send_failed(connection);
    }
    tally_key member, underwriter;
    const char *refused = NULL;
    if (!tally_state_network(state, network_id)) refused = "UNKNOWN_NETWORK";
    else if (member_text && !stake_filter_key(state, network_id, member_text, &member)) refused = "member";
    else if (underwriter_text && !stake_filter_key(state, network_id, underwriter_text, &underwriter))
        refused = "underwriter";
    uint32_t count = tally_state_stake_count(state), shown = 0, id = (uint32_t)cursor, scanned = 0;
    for (; !refused && id <= count && shown < limit && scanned < HTTP_STAKES_SCAN_MAX; id++, scanned++) {
        const tally_stake *stake = tally_state_stake(state, id);
        if (!stake || stake->network_id != network_id) continue;
        if (member_text && memcmp(stake->member.bytes, member.bytes, TALLY_KEY_BYTES) != 0) continue;
        if (underwriter_text && memcmp(stake->underwriter.bytes, underwriter.bytes, TALLY_KEY_BYTES) != 0) continue;
        view_copy_stake(state, stake, &copies[shown++]);
    }
    node_read_end(server->node);
    if (refused) {
        free(copies);
        if (strcmp(refused, "UNKNOWN_NETWORK") == 0)
            return send_error(connection, MHD_HTTP_NOT_FOUND, refused, tally_error_message(TALLY_ERR_UNKNOWN_NETWORK));
        char why[128];
        snprintf(why, sizeof why, "%s is an address or an alias of a member of the network", refused);
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", why);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++) json_array_append_new(list, view_stake(&copies[i]));
    free(copies);
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o}", "stakes", list, "next", view_next(id <= count, id)));
}

/* ---- gateways and payment paths ---- */

/* GET /v1/gateways[?network=ID]: every gateway (of that network), in id order. */
static enum MHD_Result get_gateways(http_server *server, struct MHD_Connection *connection) {
    const char *network_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "network");
    uint32_t network_id = 0;
    if (network_text && !parse_network_id(network_text, &network_id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "network is a network's id (a positive integer)");
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    if (network_id && !tally_state_network(state, network_id)) {
        node_read_end(server->node);
        return send_error(connection, MHD_HTTP_NOT_FOUND, "UNKNOWN_NETWORK", tally_error_message(TALLY_ERR_UNKNOWN_NETWORK));
    }
    /* A network has at most TALLY_GATEWAYS_PER_NETWORK_MAX open ones, but closed ones
     * stay: the list is bounded by HTTP_GATEWAYS_LIST_MAX, newest last. */
    enum { HTTP_GATEWAYS_LIST_MAX = 256 };
    view_gateway_copy *copies = malloc(HTTP_GATEWAYS_LIST_MAX * sizeof *copies);
    if (!copies) {
        node_read_end(server->node);
        return send_out_of_memory(connection);
    }
    uint32_t count = tally_state_gateway_count(state), shown = 0;
    bool more = false;
    for (uint32_t id = 1; id <= count; id++) {
        const tally_gateway *g = tally_state_gateway(state, id);
        if (!g || (network_id && g->network_a != network_id && g->network_b != network_id)) continue;
        if (shown == HTTP_GATEWAYS_LIST_MAX) {
            more = true;
            break;
        }
        view_copy_gateway(state, g, &copies[shown++]);
    }
    node_read_end(server->node);
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++) json_array_append_new(list, view_gateway(&copies[i]));
    free(copies);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:b}", "gateways", list, "truncated", more ? 1 : 0));
}

/* GET /v1/gateways/{id}. */
static enum MHD_Result get_gateway(http_server *server, struct MHD_Connection *connection, const char *id_text) {
    uint32_t id;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID",
                          "a gateway's id is a positive integer (the number `tally gateway propose` printed)");
    view_gateway_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_gateway *g = tally_state_gateway(state, id);
    if (g) view_copy_gateway(state, g, &copy);
    node_read_end(server->node);
    if (!g)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "GATEWAY_NOT_FOUND", tally_error_message(TALLY_ERR_GATEWAY_NOT_FOUND));
    return send_json(connection, MHD_HTTP_OK, view_gateway(&copy));
}

/* WHO@NET of a path query (WHO an address or alias, NET a name or an id): the
 * network and the member's key. A refusal is a sentence in why, with its code. */
static bool path_party(const tally_state *state, const char *field, const char *text, uint32_t *network_id,
                       tally_key *key, const char **code, char *why, size_t why_size) {
    const char *at = text ? strrchr(text, '@') : NULL;
    if (!text || !at || at == text || at[1] == '\0') {
        *code = "BAD_QUERY";
        snprintf(why, why_size, "%s is WHO@NETWORK: an alias or address, '@', and a network's name or id (alice@greenvale)",
                 field);
        return false;
    }
    const char *net = at + 1;
    const tally_network *network = NULL;
    uint32_t id;
    if (parse_network_id(net, &id)) network = tally_state_network(state, id);
    if (!network) network = tally_state_network_by_name(state, net, strlen(net));
    if (!network) {
        *code = "UNKNOWN_NETWORK";
        snprintf(why, why_size, "%s: no network named '%.64s'", field, net);
        return false;
    }
    char who[TALLY_ADDRESS_LENGTH + 2];
    size_t length = (size_t)(at - text);
    if (length >= sizeof who) {
        *code = "BAD_ADDRESS";
        snprintf(why, why_size, "%s: '%.*s' is neither an alias nor an address", field, (int)(length > 80 ? 80 : length), text);
        return false;
    }
    memcpy(who, text, length);
    who[length] = '\0';
    if (length == TALLY_ADDRESS_LENGTH && strncmp(who, "tly1", 4) == 0 && !tally_address_decode(who, key)) {
        *code = "BAD_ADDRESS";
        snprintf(why, why_size, "%s: not an address: expected tly1 and 58 characters with a valid checksum", field);
        return false;
    }
    const tally_member *member = find_member(state, network->id, who);
    if (!member || member->status == TALLY_MEMBER_LEFT) {
        *code = "NOT_MEMBER";
        snprintf(why, why_size, "%s: %s is not a member of %s", field, who, network->name);
        return false;
    }
    *key = member->key;
    *network_id = network->id;
    return true;
}

/* GET /v1/paths?from=WHO@NET&to=WHO@NET&amount=N (minor units of from's network):
 * the best paths across gateways, priced as the core would apply them now. */
static enum MHD_Result get_paths(http_server *server, struct MHD_Connection *connection) {
    const char *from = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "from");
    const char *to = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "to");
    const char *amount_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "amount");
    uint64_t amount;
    if (!amount_text || !submission_parse_u64(amount_text, &amount) || amount == 0 || amount > INT64_MAX)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_AMOUNT",
                          "amount is a positive whole number of the payer's network's minor units (1000 = 10.00 "
                          "with 2 decimals)");
    /* path=ID,ID: price those gateways alone */
    const char *path_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "path");
    uint32_t gateways[TALLY_PATH_HOPS_MAX];
    uint8_t hop_count = 0;
    if (path_text) {
        char copy[128];
        bool valid = strlen(path_text) < sizeof copy && path_text[0] != ',' &&
                     path_text[0] != '\0' && path_text[strlen(path_text) - 1] != ',';
        snprintf(copy, sizeof copy, "%s", path_text);
        char *position = NULL;
        for (char *part = strtok_r(copy, ",", &position); valid && part; part = strtok_r(NULL, ",", &position)) {
            uint32_t id;
            valid = hop_count < TALLY_PATH_HOPS_MAX && parse_record_id(part, &id);
            if (valid) gateways[hop_count++] = id;
        }
        if (!valid || hop_count == 0)
            return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                              "path is 1 to 4 gateway ids separated by commas, in order from the payer's network");
    }
    path_list *list = malloc(sizeof *list);
    if (!list) return send_out_of_memory(connection);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(list);
        return send_failed(connection);
    }
    uint32_t from_network = 0, to_network = 0;
    tally_key payer, payee;
    const char *code = NULL;
    char why[256];
    bool parties = path_party(state, "from", from, &from_network, &payer, &code, why, sizeof why) &&
                   path_party(state, "to", to, &to_network, &payee, &code, why, sizeof why);
    if (parties && from_network == to_network) {
        parties = false;
        code = "SAME_NETWORK";
        snprintf(why, sizeof why, "from and to are in the same network: pay there with a transfer (tally pay)");
    }
    if (parties && hop_count) {
        /* the path given, priced alone: one candidate, feasible or refused */
        memset(list, 0, sizeof *list);
        path_quote quote;
        if (paths_price(state, from_network, &payer, &payee, (int64_t)amount, gateways, hop_count, &quote)) {
            list->candidates = 1;
            if (quote.refusal == TALLY_OK) list->paths[list->count++] = quote;
            else list->refused = quote;
        }
    } else if (parties) {
        paths_find(state, from_network, &payer, to_network, &payee, (int64_t)amount, list);
    }
    node_read_end(server->node);
    if (!parties) {
        free(list);
        unsigned status = strcmp(code, "BAD_QUERY") == 0 || strcmp(code, "BAD_ADDRESS") == 0 ||
                                  strcmp(code, "SAME_NETWORK") == 0
                              ? MHD_HTTP_BAD_REQUEST
                              : MHD_HTTP_NOT_FOUND;
        return send_error(connection, status, code, why);
    }
    if (list->count == 0) {
        json_t *error = NULL;
        if (list->candidates == 0) {
            error = view_error("NO_PATH", "no open gateways lead from the payer's network to the payee's in at most 4 "
                                          "hops",
                               0, false);
        } else {
            error = view_error("NO_PATH", hop_count ? "the ledger would refuse this path now: `refused` says why"
                                                    : "every path from the payer's network to the payee's would be "
                                                      "refused now: `refused` is the one that went furthest",
                               0, false);
            if (error) json_object_set_new(error, "refused", view_path(&list->refused));
        }
        if (error) json_object_set_new(error, "candidates", json_integer(list->candidates));
        free(list);
        return send_json(connection, MHD_HTTP_NOT_FOUND, json_pack("{s:o}", "error", error));
    }
    json_t *paths = json_array();
    for (uint32_t i = 0; i < list->count; i++) json_array_append_new(paths, view_path(&list->paths[i]));
    json_t *view = json_pack("{s:i, s:i, s:I, s:o, s:i, s:b}", "from_network", (int)from_network, "to_network",
                             (int)to_network, "amount", (json_int_t)amount, "paths", paths, "candidates",
                             (int)list->candidates, "truncated", list->truncated ? 1 : 0);
    if (view) {
        json_object_set_new(view, "payer", view_address(&payer));
        json_object_set_new(view, "payee", view_address(&payee));
    }
    free(list);
    return send_json(connection, MHD_HTTP_OK, view);
}

static enum MHD_Result get_network_named(http_server *server, struct MHD_Connection *connection, const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length > TALLY_NAME_MAX)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "a network's name is 1 to 64 bytes");
    view_network_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_network *network = tally_state_network_by_name(state, name, length);
    if (network) view_copy_network(state, network, node_tip(server->node)->block_time, &copy);
    uint32_t total = tally_state_network_count(state);
    node_read_end(server->node);
    json_t *list = json_array();
    if (network) json_array_append_new(list, view_network(&copy));
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o, s:I}", "networks", list, "next", json_null(), "total", (json_int_t)total));
}

/* GET /v1/networks: a page of networks in id order (the cursor is the first id). */
static enum MHD_Result get_networks(http_server *server, struct MHD_Connection *connection) {
    const char *name = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "name");
    if (name) return get_network_named(server, connection, name);
    uint64_t cursor, limit;
    if (!query_page(connection, 1, UINT32_MAX, &cursor, &limit))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "cursor is the `next` of the previous page, 1 <= limit <= 500");
    if (cursor == 0) cursor = 1;
    view_network_copy *copies = malloc((size_t)limit * sizeof *copies);
    if (!copies) return send_out_of_memory(connection);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(copies);
        return send_failed(connection);
    }
    uint32_t total = tally_state_network_count(state), count = 0;
    for (uint64_t id = cursor; id <= total && count < limit; id++)
        view_copy_network(state, tally_state_network(state, (uint32_t)id), node_tip(server->node)->block_time,
                          &copies[count++]);
    node_read_end(server->node);
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) json_array_append_new(list, view_network(&copies[i]));
    free(copies);
    uint64_t next = cursor + count;
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o, s:I}", "networks", list, "next", view_next(next <= total, next), "total",
                               (json_int_t)total));
}

/* A page of a network's members (not system accounts, not those who left): the
 * member table is scanned from the cursor for at most HTTP_MEMBER_SCAN_MAX entries,
 * so a page may hold fewer than `limit` members, even none, and still have a next. */
typedef struct {
    view_member_copy *members;
    uint32_t count;
    uint64_t next; /* table index where the next page starts */
    bool more;
} member_page;

static void copy_member_page(const tally_state *state, const tally_network *network, uint64_t cursor, uint64_t limit,
                             member_page *page) {
    uint32_t table = tally_state_member_count(state);
    uint64_t at = cursor;
    for (uint32_t scanned = 0; at < table && page->count < limit && scanned < HTTP_MEMBER_SCAN_MAX; at++, scanned++) {
        const tally_member *m = tally_state_member_at(state, (uint32_t)at);
        if (m->network_id != network->id || m->status == TALLY_MEMBER_SYSTEM || m->status == TALLY_MEMBER_LEFT)
            continue;
        view_copy_member(state, network, m, &page->members[page->count++]);
    }
    page->next = at;
    page->more = at < table;
}

/* GET /v1/networks/{id}[/members | /accounts/{who}[/history] | /search | /activity | /holds | /requests | /health
 * | /stakes] */
/* GET /v1/networks/{id}/health?before=&limit=: the last completed period (the
 * network record's), the running one, and the history the index keeps. */
static enum MHD_Result get_health(http_server *server, struct MHD_Connection *connection,
                                  const view_network_copy *copy) {
    uint64_t before = 0, limit = 0;
    if (!query_u64(connection, "before", 0, UINT32_MAX, &before) ||
        !query_u64(connection, "limit", HTTP_LIST_LIMIT_DEFAULT, HTTP_LIST_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "before is the `next` of the previous page (a period), 1 <= limit <= 500");
    index_health_row *rows = calloc((size_t)limit, sizeof *rows);
    if (!rows) return send_out_of_memory(connection);
    uint32_t count = 0, next = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_health_history(server->node, copy->network.id, (uint32_t)before, (uint32_t)limit, rows, &count, &next, why,
                             sizeof why)) {
        free(rows);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    json_t *history = json_array();
    for (uint32_t i = 0; i < count; i++) {
        json_t *row = rows[i].known ? view_health(&rows[i].health)
                                    : json_pack("{s:i, s:I}", "period", (int)rows[i].period, "ended_at",
                                                (json_int_t)rows[i].ended_at);
        json_object_set_new(row, "known", json_boolean(rows[i].known));
        if (rows[i].pool.known)
            json_object_set_new(row, "pool", json_pack("{s:I, s:I, s:I}", "primary", (json_int_t)rows[i].pool.primary,
                                                       "buffer", (json_int_t)rows[i].pool.buffer, "excess",
                                                       (json_int_t)rows[i].pool.excess));
        json_array_append_new(history, row);
    }
    free(rows);
    json_t *out = json_pack("{s:i, s:s, s:s, s:i, s:o, s:o, s:o, s:o}", "network", (int)copy->network.id, "name",
                            copy->network.name, "unit", copy->network.unit_code, "decimals", (int)copy->network.decimals,
                            "last", view_health(&copy->network.health), "running",
                            view_health_running(&copy->network), "history", history, "next",
                            view_next(next != 0, next));
    return send_json(connection, MHD_HTTP_OK, out);
}

/* GET /v1/clearings: the clearings committed, newest first, a page at a time. */
static enum MHD_Result get_clearings(http_server *server, struct MHD_Connection *connection) {
    uint64_t before = 0, limit = 0;
    if (!query_u64(connection, "before", 0, INT64_MAX, &before) ||
        !query_u64(connection, "limit", HTTP_LIST_LIMIT_DEFAULT, INDEX_CLEARINGS_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "before is the `next` of the previous page, 1 <= limit <= 500");
    index_clearing_row *rows = calloc((size_t)limit, sizeof *rows);
    if (!rows) return send_out_of_memory(connection);
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    if (!node_clearings(server->node, before, (uint32_t)limit, rows, &count, &next, why, sizeof why)) {
        free(rows);
        return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "INDEX", why);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        json_t *setoffs = json_array();
        for (uint8_t k = 0; k < rows[i].count; k++)
            json_array_append_new(setoffs, json_pack("{s:I, s:I, s:I}", "gateway", (json_int_t)rows[i].setoffs[k].gateway_id,
                                                     "amount_a", (json_int_t)rows[i].setoffs[k].amount_a, "amount_b",
                                                     (json_int_t)rows[i].setoffs[k].amount_b));
        char id[2 * TALLY_HASH_BYTES + 1], submitter[TALLY_ADDRESS_LENGTH + 1];
        sodium_bin2hex(id, sizeof id, rows[i].tx_id, TALLY_HASH_BYTES);
        tally_address_encode(&rows[i].submitter, submitter);
        json_array_append_new(list, json_pack("{s:I, s:I, s:s, s:s, s:o}", "height", (json_int_t)rows[i].height, "time",
                                              (json_int_t)rows[i].time, "tx", id, "submitter", submitter, "setoffs",
                                              setoffs));
    }
    free(rows);
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:o}", "clearings", list, "next", view_next(next != 0, next)));
}

/* Governance's routes (their block is before route). */
static enum MHD_Result get_network_proposals(http_server *server, struct MHD_Connection *connection,
                                             uint32_t network_id);

static enum MHD_Result get_network(http_server *server, struct MHD_Connection *connection, char **segments,
                                   int count) {
    uint32_t network_id;
    if (!parse_network_id(segments[2], &network_id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_NETWORK", "a network id is a positive integer");
    bool wants_network = count == 3, wants_members = count == 4 && strcmp(segments[3], "members") == 0;
    bool wants_account = (count == 5 || count == 6) && strcmp(segments[3], "accounts") == 0;
    bool wants_search = count == 4 && strcmp(segments[3], "search") == 0;
    bool wants_activity = count == 4 && strcmp(segments[3], "activity") == 0;
    bool wants_holds = count == 4 && strcmp(segments[3], "holds") == 0;
    bool wants_requests = count == 4 && strcmp(segments[3], "requests") == 0;
    bool wants_health = count == 4 && strcmp(segments[3], "health") == 0;
    bool wants_stakes = count == 4 && strcmp(segments[3], "stakes") == 0;
    if (wants_stakes) return get_stakes(server, connection, network_id);
    bool wants_proposals = count == 4 && strcmp(segments[3], "proposals") == 0;
    if (wants_account && count == 6 && strcmp(segments[5], "history") != 0) wants_account = false;
    if (!wants_network && !wants_members && !wants_account && !wants_search && !wants_activity && !wants_holds &&
        !wants_requests && !wants_health && !wants_proposals)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no such path");
    uint64_t cursor = 0, limit = 0;
    member_page page = {0};
    if (wants_members) {
        if (!query_page(connection, 0, UINT32_MAX, &cursor, &limit))
            return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                              "cursor is the `next` of the previous page, 1 <= limit <= 500");
        page.members = malloc((size_t)limit * sizeof *page.members);
        if (!page.members) return send_out_of_memory(connection);
    }
    view_network_copy network_copy;
    view_member_copy member_copy;
    const char *code = NULL, *message = NULL;
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(page.members);
        return send_failed(connection);
    }
    const tally_network *network = tally_state_network(state, network_id);
    const tally_member *member = NULL;
    uint32_t member_total = network ? network->member_count : 0;
    if (!network) {
        code = "UNKNOWN_NETWORK", message = tally_error_message(TALLY_ERR_UNKNOWN_NETWORK);
    } else if (wants_network || wants_health) {
        view_copy_network(state, network, node_tip(server->node)->block_time, &network_copy);
    } else if (wants_members) {
        copy_member_page(state, network, cursor, limit, &page);
    } else if (wants_account) {
        member = find_member(state, network_id, segments[4]);
        if (!member || member->status == TALLY_MEMBER_SYSTEM)
            code = "NOT_MEMBER", message = "no member of this network has this address or alias";
        else
            view_copy_member(state, network, member, &member_copy);
    }
    node_read_end(server->node);
    if (code) {
        free(page.members);
        return send_error(connection, MHD_HTTP_NOT_FOUND, code, message);
    }
    if (wants_network) return send_json(connection, MHD_HTTP_OK, view_network(&network_copy));
    if (wants_health) return get_health(server, connection, &network_copy);
    if (wants_proposals) return get_network_proposals(server, connection, network_id);
    if (wants_search) return get_search(server, connection, network_id);
    if (wants_activity) return get_activity(server, connection, network_id);
    if (wants_holds || wants_requests) return get_escrow_list(server, connection, network_id, wants_holds);
    if (wants_account && count == 6) return get_history(server, connection, network_id, &member_copy.member.key);
    if (wants_account) {
        /* What open holds hold for it: asked of the index for one account only (a page
         * of members does without); absent when the index cannot say. */
        char why[INDEX_WHY_BYTES];
        member_copy.has_pending_in = node_pending_in(server->node, network_id, &member_copy.member.key,
                                                     &member_copy.pending_in, why, sizeof why);
        return send_json(connection, MHD_HTTP_OK, view_member(&member_copy));
    }
    json_t *members = json_array();
    for (uint32_t i = 0; i < page.count; i++) json_array_append_new(members, view_member(&page.members[i]));
    free(page.members);
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o, s:I}", "members", members, "next", view_next(page.more, page.next),
                               "total", (json_int_t)member_total));
}

/* GET /v1/accounts/{address}: a key's sequence, and a page of its memberships and
 * reserve holdings. The page probes network ids from the cursor, then asset ids
 * (cursor ACCOUNT_ASSET_CURSOR + id), at most HTTP_ACCOUNT_SCAN_MAX of them. */
typedef struct {
    uint32_t asset_id;
    int64_t amount;
} holding_copy;

static enum MHD_Result get_key(http_server *server, struct MHD_Connection *connection, const char *address) {
    tally_key key;
    if (!tally_address_decode(address, &key))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                          "not an address: expected tly1 and 58 characters with a valid checksum");
    uint64_t cursor, limit;
    if (!query_page(connection, 1, 2 * ACCOUNT_ASSET_CURSOR, &cursor, &limit))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "cursor is the `next` of the previous page, 1 <= limit <= 500");
    view_member_copy *memberships = malloc((size_t)limit * sizeof *memberships);
    holding_copy *holdings = malloc((size_t)limit * sizeof *holdings);
    if (!memberships || !holdings) {
        free(memberships), free(holdings);
        return send_out_of_memory(connection);
    }
    uint32_t membership_count = 0, holding_count = 0;
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(memberships), free(holdings);
        return send_failed(connection);
    }
    uint64_t next_sequence = tally_state_next_sequence(state, &key);
    uint32_t networks = tally_state_network_count(state), assets = tally_state_asset_count(state);
    /* Positions: network ids 1..networks, then ACCOUNT_ASSET_CURSOR + asset id. */
    uint64_t at = cursor < 1 ? 1 : cursor;
    if (at == ACCOUNT_ASSET_CURSOR || (at < ACCOUNT_ASSET_CURSOR && at > networks)) at = ACCOUNT_ASSET_CURSOR + 1;
    for (uint32_t probes = 0; probes < HTTP_ACCOUNT_SCAN_MAX && membership_count + holding_count < limit; probes++) {
        if (at < ACCOUNT_ASSET_CURSOR) {
            const tally_member *member = tally_state_member(state, (uint32_t)at, &key);
            if (member && member->status != TALLY_MEMBER_SYSTEM)
                view_copy_member(state, tally_state_network(state, (uint32_t)at), member,
                                 &memberships[membership_count++]);
            at = at < networks ? at + 1 : ACCOUNT_ASSET_CURSOR + 1;
        } else {
            if (at - ACCOUNT_ASSET_CURSOR > assets) break;
            uint32_t asset_id = (uint32_t)(at - ACCOUNT_ASSET_CURSOR);
            int64_t amount = tally_state_asset_balance(state, asset_id, &key);
            if (amount) holdings[holding_count++] = (holding_copy){asset_id, amount};
            at++;
        }
    }
    bool more = at < ACCOUNT_ASSET_CURSOR || at - ACCOUNT_ASSET_CURSOR <= assets;
    node_read_end(server->node);
    json_t *membership_list = json_array(), *holding_list = json_array();
    for (uint32_t i = 0; i < membership_count; i++) json_array_append_new(membership_list, view_member(&memberships[i]));
    for (uint32_t i = 0; i < holding_count; i++)
        json_array_append_new(holding_list, json_pack("{s:i, s:I}", "asset", (int)holdings[i].asset_id, "amount",
                                                      (json_int_t)holdings[i].amount));
    free(memberships), free(holdings);
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:s, s:I, s:o, s:o, s:o}", "address", address, "next_sequence",
                               (json_int_t)next_sequence, "memberships", membership_list, "holdings", holding_list,
                               "next", view_next(more, at)));
}

/* GET /v1/assets (a page in id order, the cursor is the first id) and /v1/assets/{id}. */
static enum MHD_Result get_assets(http_server *server, struct MHD_Connection *connection, const char *which) {
    uint64_t cursor = 1, limit = 1;
    uint32_t asset_id = 0;
    if (which && !parse_network_id(which, &asset_id))
        return send_error(connection, MHD_HTTP_NOT_FOUND, "UNKNOWN_ASSET", tally_error_message(TALLY_ERR_UNKNOWN_ASSET));
    if (!which && !query_page(connection, 1, UINT32_MAX, &cursor, &limit))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "cursor is the `next` of the previous page, 1 <= limit <= 500");
    if (cursor == 0) cursor = 1;
    tally_asset *copies = malloc((size_t)limit * sizeof *copies);
    if (!copies) return send_out_of_memory(connection);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(copies);
        return send_failed(connection);
    }
    uint32_t total = tally_state_asset_count(state), count = 0;
    if (which) {
        const tally_asset *asset = tally_state_asset(state, asset_id);
        if (asset) copies[count++] = *asset;
    } else {
        for (uint64_t id = cursor; id <= total && count < limit; id++)
            copies[count++] = *tally_state_asset(state, (uint32_t)id);
    }
    node_read_end(server->node);
    if (which) {
        json_t *view = count ? view_asset(&copies[0]) : NULL;
        free(copies);
        if (!count)
            return send_error(connection, MHD_HTTP_NOT_FOUND, "UNKNOWN_ASSET", tally_error_message(TALLY_ERR_UNKNOWN_ASSET));
        return send_json(connection, MHD_HTTP_OK, view);
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) json_array_append_new(list, view_asset(&copies[i]));
    free(copies);
    uint64_t next = cursor + count;
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o, s:I}", "assets", list, "next", view_next(next <= total, next), "total",
                               (json_int_t)total));
}

/* ---- blocks: the log is read under the lock, decoded and built after it ---- */

typedef struct {
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
} header_copy;

static enum MHD_Result get_blocks(http_server *server, struct MHD_Connection *connection) {
    uint64_t cursor, limit;
    if (!query_page(connection, 0, UINT64_MAX - HTTP_LIST_LIMIT_MAX, &cursor, &limit))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "cursor is a height (the `next` of the previous page), 1 <= limit <= 500");
    header_copy *headers = malloc((size_t)limit * sizeof *headers);
    if (!headers) return send_out_of_memory(connection);
    if (!node_read_begin(server->node)) {
        free(headers);
        return send_failed(connection);
    }
    const tally_blocklog *log = node_log(server->node);
    uint64_t total = tally_blocklog_count(log);
    uint32_t count = 0;
    for (uint64_t height = cursor; height < cursor + limit && height < total; height++) {
        tally_chain_failure failure;
        if (tally_blocklog_header(log, height, &headers[count].header, headers[count].hash, &failure) != TALLY_CHAIN_OK)
            break;
        count++;
    }
    node_read_end(server->node);
    json_t *blocks = json_array();
    for (uint32_t i = 0; i < count; i++) json_array_append_new(blocks, view_block_header(&headers[i].header, headers[i].hash));
    free(headers);
    uint64_t next = cursor + count;
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:o, s:o, s:I}", "blocks", blocks, "next", view_next(next < total, next), "count",
                               (json_int_t)total));
}

static enum MHD_Result get_block(http_server *server, struct MHD_Connection *connection, const char *height_text,
                                 bool raw) {
    uint64_t height;
    if (!submission_parse_u64(height_text, &height))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_HEIGHT", "a height is an integer >= 0");
    tally_chain_failure failure;
    if (!node_read_begin(server->node)) return send_failed(connection);
    uint8_t *bytes = NULL;
    size_t length = 0;
    tally_chain_error error = tally_blocklog_read_encoded(node_log(server->node), height, &bytes, &length, &failure);
    node_read_end(server->node);
    if (error == TALLY_CHAIN_ERR_NO_SUCH_BLOCK) return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_SUCH_BLOCK", failure.message);
    if (error != TALLY_CHAIN_OK) return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "IO", failure.message);
    if (raw) return send_text(connection, MHD_HTTP_OK, (char *)bytes, length, "application/octet-stream");
    tally_block block;
    tally_block_init(&block);
    error = tally_block_decode(bytes, length, &block, &failure);
    free(bytes);
    if (error != TALLY_CHAIN_OK) {
        tally_block_release(&block);
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
    json_t *events = json_array();
    for (uint32_t i = 0; i < block.event_count; i++) {
        const tally_event *e = &block.events[i];
        const char *kind = tally_event_kind_name(e->kind);
        json_t *event = json_pack("{s:s, s:i, s:I, s:I}", "kind", kind ? kind : "?", "network", (int)e->network_id,
                                  "amount", (json_int_t)e->amount, "time", (json_int_t)e->time);
        if (event && tally_event_kind_has_member(e->kind)) json_object_set_new(event, "member", view_address(&e->member));
        json_array_append_new(events, event);
    }
    json_object_set_new(view, "events", events);
    tally_block_release(&block);
    return send_json(connection, MHD_HTTP_OK, view);
}

/* ---- co-signatures (issue 14) ---- */

/* GET /v1/blocks/{height}/cosignatures: the validators' co-signatures of the block
 * this node holds at height, and whether they make it final. */
static enum MHD_Result get_block_cosignatures(http_server *server, struct MHD_Connection *connection,
                                              const char *height_text) {
    uint64_t height;
    if (!submission_parse_u64(height_text, &height))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_HEIGHT", "a height is an integer >= 0");
    node_cosignature held[TALLY_VALIDATORS_MAX];
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint8_t hash[TALLY_HASH_BYTES];
    uint32_t count = 0, quorum = 0;
    uint32_t validator_count = node_validators(server->node, validators, &quorum, NULL);
    if (node_failed(server->node)) return send_failed(connection);
    if (!node_cosignatures(server->node, height, held, TALLY_VALIDATORS_MAX, &count, hash))
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_SUCH_BLOCK", "the log holds no block at this height");
    if (count > TALLY_VALIDATORS_MAX) count = TALLY_VALIDATORS_MAX;
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:o, s:i, s:o}", "validator", view_address(&held[i].key), "index",
                                              (int)held[i].validator, "signature",
                                              view_hex(held[i].signature, TALLY_SIGNATURE_BYTES)));
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:I, s:o, s:i, s:i, s:b, s:o}", "height", (json_int_t)height, "hash",
                               view_hex(hash, TALLY_HASH_BYTES), "validators", (int)validator_count, "quorum",
                               (int)quorum, "final", height > 0 && count >= quorum, "cosignatures", list));
}

/* ---- proofs ---- */

/* GET /v1/proofs/networks/ID[/accounts/WHO | /shares/ADDRESS], /v1/proofs/accounts/ADDRESS,
 * /v1/proofs/assets/ID[/holders/ADDRESS], /v1/proofs/holds/ID, /v1/proofs/requests/ID, /v1/proofs/stakes/ID,
 * /v1/proofs/listings/ID, /v1/proofs/orders/ID: a
 * record of the tip's state with its path and
 * the tip's signed header (docs/PROOFS.md). */
static enum MHD_Result get_proof(http_server *server, struct MHD_Connection *connection, char **segments, int count) {
    proof_request wanted = {0};
    const char *what = count >= 3 ? segments[2] : "";
    bool has_id = count >= 4 && parse_network_id(segments[3], &wanted.id);
    const char *who = count == 6 ? segments[5] : NULL;
    bool understood = true;
    if (strcmp(what, "networks") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_NETWORK;
    } else if (strcmp(what, "networks") == 0 && has_id && count == 6 && strcmp(segments[4], "accounts") == 0) {
        wanted.kind = PROOF_MEMBER;
    } else if (strcmp(what, "networks") == 0 && has_id && count == 6 && strcmp(segments[4], "shares") == 0) {
        wanted.kind = PROOF_SHARES;
    } else if (strcmp(what, "assets") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_ASSET;
    } else if (strcmp(what, "assets") == 0 && has_id && count == 6 && strcmp(segments[4], "holders") == 0) {
        wanted.kind = PROOF_HOLDING;
    } else if (strcmp(what, "accounts") == 0 && count == 4) {
        wanted.kind = PROOF_ACCOUNT;
        who = segments[3];
    } else if (strcmp(what, "holds") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_PENDING;
    } else if (strcmp(what, "requests") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_REQUEST;
    } else if (strcmp(what, "stakes") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_STAKE;
    } else if (strcmp(what, "listings") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_LISTING;
    } else if (strcmp(what, "orders") == 0 && has_id && count == 4) {
        wanted.kind = PROOF_ORDER;
    } else {
        understood = false;
    }
    if (!understood)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND",
                          "proofs: /v1/proofs/networks/ID[/accounts/WHO|/shares/ADDRESS], /v1/proofs/accounts/ADDRESS, "
                          "/v1/proofs/assets/ID[/holders/ADDRESS], /v1/proofs/holds/ID, /v1/proofs/requests/ID, "
                          "/v1/proofs/stakes/ID, /v1/proofs/listings/ID, /v1/proofs/orders/ID");
    if (who) {
        bool by_alias = wanted.kind == PROOF_MEMBER && strncmp(who, "tly1", 4) != 0;
        if (by_alias) {
            /* an alias names a member of that network */
            const tally_state *state = node_read_begin(server->node);
            if (!state) return send_failed(connection);
            const tally_member *member = tally_state_member_by_alias(state, wanted.id, who, strlen(who));
            if (member) wanted.key = member->key;
            node_read_end(server->node);
            if (!member) return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_MEMBER", "no member has this alias");
        } else if (!tally_address_decode(who, &wanted.key)) {
            return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                              "not an address: expected tly1 and 58 characters with a valid checksum");
        }
    }
    node_proof *proof = malloc(sizeof *proof);
    if (!proof) return send_out_of_memory(connection);
    unsigned status = 0;
    const char *code = NULL;
    if (!node_prove(server->node, &wanted, proof, &status, &code)) {
        free(proof);
        return send_error(connection, status, code,
                          status == 404 ? "no such record in the state at the tip" : "the proof could not be made");
    }
    json_t *view = view_proof(proof);
    free(proof);
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
            "tally_hash_probe_longest{table=\"pending\"} %u\n"
            "# HELP tally_disk_full 1: the disk was full at the last write; transactions are refused (DISK_FULL) "
            "until there is room.\n"
            "# TYPE tally_disk_full gauge\ntally_disk_full %d\n"
            "# HELP tally_disk_full_episodes_total Times the disk was found full.\n"
            "# TYPE tally_disk_full_episodes_total counter\ntally_disk_full_episodes_total %" PRIu64 "\n"
            "# HELP tally_disk_full_seconds_total Seconds spent refusing transactions for want of room.\n"
            "# TYPE tally_disk_full_seconds_total counter\ntally_disk_full_seconds_total %.3f\n"
            "# HELP tally_index_disk_full_total Batches of blocks the query index found no room for (tried again).\n"
            "# TYPE tally_index_disk_full_total counter\ntally_index_disk_full_total %" PRIu64 "\n",
            m->signature_checks, m->signature_checks_saved, m->mempool_per_sender, m->probe_longest_statuses,
            m->probe_longest_verdicts, m->probe_longest_pending, m->disk_full ? 1 : 0, m->disk_full_episodes,
            (double)m->disk_full_ms_total / 1000.0, m->index_disk_full);
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

/* Per network (the first METRICS_NETWORKS_MAX of them, so that a chain of 65,536
 * networks does not make a scrape of megabytes): supply and debt now, and the
 * figures of its last completed health period, labelled by name. */
#define METRICS_NETWORKS_MAX 1000u
typedef struct {
    char name[TALLY_NAME_MAX + 1];
    int64_t supply, debt;
    tally_health health;
} metrics_network;

/* A label value in Prometheus's text format: backslash, quote and newline escaped. */
static void label_escape(const char *in, char *out, size_t size) {
    size_t k = 0;
    for (; *in && k + 3 < size; in++) {
        if (*in == '\\' || *in == '"') out[k++] = '\\', out[k++] = *in;
        else if (*in == '\n') out[k++] = '\\', out[k++] = 'n';
        else out[k++] = *in;
    }
    out[k] = '\0';
}

static int append_network_metrics(char **text, size_t length, const metrics_network *list, uint32_t count) {
    const struct {
        const char *name, *help;
    } gauges[] = {
        {"supply", "Credits in positive balances (minor units), now."},
        {"debt", "Debt in negative balances (minor units), now."},
        {"health_period", "The number of the last completed health period (30 days each)."},
        {"utilisation_bps", "Members' debt over the sum of their limits, last period."},
        {"velocity_bps", "Volume members received over supply, last period."},
        {"default_rate_bps", "Debt written off over debt at the period's start, last period."},
        {"lost_debt", "The lost-debt account's debt at the last period's end."},
        {"rtd_bps", "Reserve to debt at the last period's end."},
        {"concentration_bps", "The largest debt one member reached over supply, last period."},
        {"active_members", "Members whose balance moved in the last period."},
        {"exposure", "The debts of its mirror accounts (minted against partners) at the last period's end."},
        {"owed", "What its mirror accounts hold (owed to partners) at the last period's end."},
    };
    char *more = NULL;
    size_t more_length = 0;
    FILE *out = open_memstream(&more, &more_length);
    if (!out) {
        free(*text);
        return -1;
    }
    for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
        fprintf(out, "# HELP tally_network_%s %s\n# TYPE tally_network_%s gauge\n", gauges[g].name, gauges[g].help,
                gauges[g].name);
        for (uint32_t i = 0; i < count; i++) {
            const metrics_network *n = &list[i];
            const tally_health *h = &n->health;
            const int64_t values[] = {n->supply,          n->debt,           h->period,       h->utilisation_bps,
                                      h->velocity_bps,    h->default_rate_bps, h->lost_debt,  h->rtd_bps,
                                      h->concentration_bps, h->active_members, h->exposure,   h->owed};
            char label[2 * TALLY_NAME_MAX + 1];
            label_escape(n->name, label, sizeof label);
            fprintf(out, "tally_network_%s{network=\"%s\"} %" PRId64 "\n", gauges[g].name, label, values[g]);
        }
    }
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

/* A validator's figures (node_validator.c): who proposes, how far behind each
 * validator is, etcd's latency, and the alert of a refused block. */
static int append_validator_metrics(char **text, size_t length, node *n, const node_metrics *m, uint64_t height) {
    node_validator_status v = node_validator_read(n);
    if (!v.is_validator) return (int)length;
    const ordering_metrics *o = &v.ordering;
    char *more = NULL;
    int added = asprintf(
        &more,
        "# HELP tally_validator_index This validator's slot in the validator set (-1: the chain has not added its key).\n"
        "# TYPE tally_validator_index gauge\ntally_validator_index %" PRId64 "\n"
        "# HELP tally_validator_active 1 while this validator's key is an active validator (not retired, added).\n"
        "# TYPE tally_validator_active gauge\ntally_validator_active %d\n"
        "# HELP tally_validator_is_proposer 1 while this validator holds the proposer lease.\n"
        "# TYPE tally_validator_is_proposer gauge\ntally_validator_is_proposer %d\n"
        "# HELP tally_validator_proposer The validator holding the proposer lease (-1: none).\n"
        "# TYPE tally_validator_proposer gauge\ntally_validator_proposer %" PRId64 "\n"
        "# HELP tally_validator_halted 1 when this validator refused a block of the log and stopped (evidence saved).\n"
        "# TYPE tally_validator_halted gauge\ntally_validator_halted %d\n"
        "# HELP tally_validator_lease_changes_total Times the proposer lease went to another validator.\n"
        "# TYPE tally_validator_lease_changes_total counter\ntally_validator_lease_changes_total %" PRIu64 "\n"
        "# HELP tally_validator_blocks_followed_total Blocks of other validators verified and applied.\n"
        "# TYPE tally_validator_blocks_followed_total counter\ntally_validator_blocks_followed_total %" PRIu64 "\n"
        "# HELP tally_validator_blocks_lost_total Blocks this validator proposed that lost their height.\n"
        "# TYPE tally_validator_blocks_lost_total counter\ntally_validator_blocks_lost_total %" PRIu64 "\n"
        "# HELP tally_validator_transactions_forwarded_total Transactions sent on to the proposer.\n"
        "# TYPE tally_validator_transactions_forwarded_total counter\n"
        "tally_validator_transactions_forwarded_total %" PRIu64 "\n"
        "# HELP tally_validator_signatures_known_total Signatures of followed blocks not checked again (checked "
        "at admission here).\n"
        "# TYPE tally_validator_signatures_known_total counter\n"
        "tally_validator_signatures_known_total %" PRIu64 "\n"
        "# HELP tally_validator_cosignatures_received_total Co-signatures of other validators seen.\n"
        "# TYPE tally_validator_cosignatures_received_total counter\n"
        "tally_validator_cosignatures_received_total %" PRIu64 "\n"
        "# HELP tally_etcd_requests_total Requests of the proposing etcd client.\n"
        "# TYPE tally_etcd_requests_total counter\ntally_etcd_requests_total %" PRIu64 "\n"
        "# HELP tally_etcd_request_seconds_total Their time.\n"
        "# TYPE tally_etcd_request_seconds_total counter\ntally_etcd_request_seconds_total %.6f\n"
        "# HELP tally_etcd_request_seconds_last The last one's time (a block's write to etcd).\n"
        "# TYPE tally_etcd_request_seconds_last gauge\ntally_etcd_request_seconds_last %.6f\n"
        "# HELP tally_etcd_failovers_total Requests that moved on to another etcd member.\n"
        "# TYPE tally_etcd_failovers_total counter\ntally_etcd_failovers_total %" PRIu64 "\n"
        "# HELP tally_etcd_compacted_below Heights below this are gone from etcd (peers' logs serve them).\n"
        "# TYPE tally_etcd_compacted_below gauge\ntally_etcd_compacted_below %" PRIu64 "\n"
        "# HELP tally_validator_blocks_from_peers_total Blocks read from peers' logs (etcd compacted them).\n"
        "# TYPE tally_validator_blocks_from_peers_total counter\ntally_validator_blocks_from_peers_total %" PRIu64 "\n"
        "# HELP tally_validator_leases_revoked_total Leases of proposers this validator could not reach that it "
        "revoked.\n"
        "# TYPE tally_validator_leases_revoked_total counter\ntally_validator_leases_revoked_total %" PRIu64 "\n"
        "# HELP tally_validator_lag_blocks How far each validator's last applied block is behind this one's tip.\n"
        "# TYPE tally_validator_lag_blocks gauge\n",
        v.index == ORDERING_NO_SLOT ? (int64_t)-1 : (int64_t)v.index, v.active ? 1 : 0, o->proposer ? 1 : 0,
        o->proposer_index, v.halted ? 1 : 0, o->lease_changes, m->blocks_followed,
        m->blocks_lost, m->txs_forwarded, m->signatures_known, v.cosignatures_received, o->requests, (double)o->request_us_total / 1e6,
        (double)o->request_us_last / 1e6, o->failovers, o->compacted_below, o->blocks_from_peers, o->leases_revoked);
    if (added < 0) return -1;
    size_t total = length + (size_t)added;
    char *grown = realloc(*text, total + 1);
    if (!grown) return free(more), -1;
    memcpy(grown + length, more, (size_t)added + 1);
    free(more);
    *text = grown;
    for (uint32_t i = 0; i < o->validator_count && i < TALLY_VALIDATORS_MAX; i++) {
        char line[128];
        uint64_t applied = i == v.index ? height : o->applied[i];
        int n_line = snprintf(line, sizeof line, "tally_validator_lag_blocks{validator=\"%u\"} %" PRIu64 "\n", i,
                              applied >= height ? 0 : height - applied);
        grown = realloc(*text, total + (size_t)n_line + 1);
        if (!grown) return -1;
        memcpy(grown + total, line, (size_t)n_line + 1);
        *text = grown;
        total += (size_t)n_line;
    }
    return (int)total;
}

/* Co-signatures (issue 14): the last block a quorum of validators co-signed. */
static int append_cosign_metrics(node *n, char **text, size_t length) {
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t quorum = 0;
    uint64_t final_height = 0;
    uint32_t count = node_validators(n, validators, &quorum, &final_height);
    char *more = NULL;
    int added = asprintf(&more,
                         "# HELP tally_block_final_height Highest block a quorum of validators co-signed.\n"
                         "# TYPE tally_block_final_height gauge\ntally_block_final_height %" PRIu64 "\n"
                         "# HELP tally_validators Validators of the chain, and the co-signatures that make a "
                         "block final.\n# TYPE tally_validators gauge\ntally_validators %u\n"
                         "tally_validators_quorum %u\n",
                         final_height, count, quorum);
    if (added < 0) return free(*text), *text = NULL, -1;
    char *joined = realloc(*text, length + (size_t)added + 1);
    if (!joined) return free(more), free(*text), *text = NULL, -1;
    memcpy(joined + length, more, (size_t)added + 1);
    free(more);
    *text = joined;
    return (int)(length + (size_t)added);
}

static enum MHD_Result get_metrics(http_server *server, struct MHD_Connection *connection) {
    node_metrics m = node_metrics_read(server->node);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        /* A failed node serves nothing of its state, but a halted validator's alert
         * is still read here. */
        char *text = strdup("# HELP tally_node_failed 1: the node stopped serving its state.\n"
                            "# TYPE tally_node_failed gauge\ntally_node_failed 1\n");
        int length = text ? (int)strlen(text) : -1;
        if (length >= 0) length = append_validator_metrics(&text, (size_t)length, server->node, &m, 0);
        if (length < 0) return send_failed(connection);
        return send_text(connection, MHD_HTTP_SERVICE_UNAVAILABLE, text, (size_t)length, "text/plain; version=0.0.4");
    }
    uint64_t height = node_tip(server->node)->height;
    uint32_t networks = tally_state_network_count(state), members = tally_state_member_count(state);
    uint32_t listed = networks < METRICS_NETWORKS_MAX ? networks : METRICS_NETWORKS_MAX;
    metrics_network *list = calloc(listed ? listed : 1, sizeof *list);
    for (uint32_t i = 0; list && i < listed; i++) {
        const tally_network *network = tally_state_network(state, i + 1);
        memcpy(list[i].name, network->name, sizeof list[i].name);
        list[i].supply = network->supply, list[i].debt = network->debt, list[i].health = network->health;
    }
    node_read_end(server->node);
    if (!list) return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "OUT_OF_MEMORY", "out of memory");
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
    if (length >= 0) length = append_cosign_metrics(server->node, &text, (size_t)length);
    if (length >= 0) length = append_admission_metrics(&text, (size_t)length, &m);
    if (length >= 0) length = append_network_metrics(&text, (size_t)length, list, listed);
    if (length >= 0) length = append_validator_metrics(&text, (size_t)length, server->node, &m, height);
    free(list);
    if (length < 0) return send_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "OUT_OF_MEMORY", "out of memory");
    return send_text(connection, MHD_HTTP_OK, text, (size_t)length, "text/plain; version=0.0.4");
}

/* ---- dispatch ---- */

/* Whether the request came from this machine (127.0.0.0/8 or ::1). */
static bool from_loopback(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr) return false;
    const struct sockaddr *address = info->client_addr;
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)address;
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)address;
        static const uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return memcmp(v6->sin6_addr.s6_addr, loopback, 16) == 0;
    }
    return false;
}

/* POST /v1/dev/advance?seconds=N: a development chain's clock moves N seconds ahead,
 * and the answer comes with the block made at the new time. Only from this machine:
 * the node's own operator. */
static enum MHD_Result post_dev_advance(http_server *server, struct MHD_Connection *connection) {
    if (!node_is_dev_chain(server->node))
        return send_error(connection, MHD_HTTP_FORBIDDEN, "NOT_DEV_CHAIN",
                          "this chain is not a development chain: its block time follows the clock (start a dev "
                          "chain with tallyd --dev in a new data directory)");
    if (!from_loopback(connection))
        return send_error(connection, MHD_HTTP_FORBIDDEN, "NOT_LOOPBACK",
                          "a dev chain's clock is moved only from the machine its node runs on");
    uint64_t seconds;
    if (!query_u64(connection, "seconds", 0, NODE_DEV_ADVANCE_MAX_SECONDS, &seconds) || seconds == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "seconds is 1 to 316224000 (ten years): how far to move the chain's clock");
    int64_t block_time = 0;
    uint64_t height = 0;
    switch (node_dev_advance(server->node, (int64_t)seconds, &block_time, &height)) {
    case NODE_DEV_OK: break;
    case NODE_DEV_NOT_DEV_CHAIN: return send_error(connection, MHD_HTTP_FORBIDDEN, "NOT_DEV_CHAIN", "not a dev chain");
    case NODE_DEV_BAD_SECONDS: return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY", "seconds out of range");
    case NODE_DEV_TIMED_OUT:
        return send_error(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "TIMED_OUT",
                          "the clock moved, but the block at the new time did not come within 30 s");
    case NODE_DEV_NODE_FAILED: return send_failed(connection);
    }
    return send_json(connection, MHD_HTTP_OK,
                     json_pack("{s:I, s:I, s:I}", "advanced", (json_int_t)seconds, "block_time", (json_int_t)block_time,
                               "height", (json_int_t)height));
}

/* ---- governance: proposals and votes (docs/UNDERWRITING.md section 6) ---- */

/* Ids and votes one page looks at under the node's lock, at most. */
#define HTTP_PROPOSAL_SCAN_MAX 16384u
#define HTTP_VOTE_SCAN_MAX 65536u
#define HTTP_PROPOSAL_VOTES_DEFAULT 100u

/* GET /v1/networks/{id}/proposals[?status=S&before=ID&limit=N]: newest first. */
static enum MHD_Result get_network_proposals(http_server *server, struct MHD_Connection *connection,
                                             uint32_t network_id) {
    uint64_t before = 0, limit = 0;
    if (!query_u64(connection, "before", 0, UINT32_MAX, &before) ||
        !query_u64(connection, "limit", 50, HTTP_LIST_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "before is a proposal's id (the `next` of the previous page, 0: from the newest), 1 <= "
                          "limit <= 500");
    const char *status_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "status");
    int status = status_text ? view_proposal_status_of(status_text) : -1;
    if (status_text && status < 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "status is one of voting, passed, rejected, cancelled, executed");
    view_proposal_copy *copies = malloc((size_t)limit * sizeof *copies);
    if (!copies) return send_out_of_memory(connection);
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(copies);
        return send_failed(connection);
    }
    uint32_t count = tally_state_proposal_count(state), shown = 0, scanned = 0;
    uint32_t id = before == 0 || before > count ? count : (uint32_t)before - 1;
    for (; id >= 1 && shown < limit && scanned < HTTP_PROPOSAL_SCAN_MAX; id--, scanned++) {
        const tally_proposal *p = tally_state_proposal(state, id);
        if (!p || p->network_id != network_id || (status >= 0 && p->status != status)) continue;
        view_copy_proposal(state, p, &copies[shown++]);
    }
    node_read_end(server->node);
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++) json_array_append_new(list, view_proposal(&copies[i]));
    free(copies);
    /* id is the next one to look at: the page goes on before id + 1 */
    return send_json(connection, MHD_HTTP_OK, json_pack("{s:o, s:o}", "proposals", list, "next", view_next(id >= 1, id + 1)));
}

typedef struct {
    tally_vote vote;
    char name[TALLY_ALIAS_MAX + 1];
} vote_copy;

/* GET /v1/proposals/{id}[?votes_cursor=C&votes_limit=N]: the record, its action and
 * counts, and a page of its votes in casting order. */
static enum MHD_Result get_proposal(http_server *server, struct MHD_Connection *connection, const char *id_text) {
    uint32_t id;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID",
                          "a proposal's id is a positive integer (the number `tally proposal create` printed)");
    uint64_t cursor = 0, limit = 0;
    if (!query_u64(connection, "votes_cursor", 0, UINT32_MAX, &cursor) ||
        !query_u64(connection, "votes_limit", HTTP_PROPOSAL_VOTES_DEFAULT, HTTP_LIST_LIMIT_MAX, &limit) || limit == 0)
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_QUERY",
                          "votes_cursor is the `votes_next` of the previous page, 1 <= votes_limit <= 500");
    vote_copy *votes = malloc((size_t)limit * sizeof *votes);
    if (!votes) return send_out_of_memory(connection);
    view_proposal_copy copy;
    const tally_state *state = node_read_begin(server->node);
    if (!state) {
        free(votes);
        return send_failed(connection);
    }
    const tally_proposal *p = tally_state_proposal(state, id);
    uint32_t shown = 0, at = (uint32_t)cursor, total = tally_state_vote_count(state);
    if (p) {
        view_copy_proposal(state, p, &copy);
        /* votes are kept in casting order across the chain: none of this proposal before
         * it was made, and at most its voters after */
        uint32_t wanted = cursor == 0 ? p->voters : UINT32_MAX; /* from the start: all its votes */
        for (uint32_t scanned = 0; at < total && shown < limit && shown < wanted && scanned < HTTP_VOTE_SCAN_MAX;
             at++, scanned++) {
            const tally_vote *v = tally_state_vote_at(state, at);
            if (!v || v->proposal_id != id) continue;
            votes[shown].vote = *v;
            view_copy_name(state, p->network_id, &v->voter, votes[shown].name);
            shown++;
        }
    }
    bool more = p && at < total && !(cursor == 0 && shown == p->voters);
    node_read_end(server->node);
    if (!p) {
        free(votes);
        return send_error(connection, MHD_HTTP_NOT_FOUND, "PROPOSAL_NOT_FOUND",
                          tally_error_message(TALLY_ERR_PROPOSAL_NOT_FOUND));
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < shown; i++) json_array_append_new(list, view_vote(&votes[i].vote, votes[i].name));
    free(votes);
    json_t *view = view_proposal(&copy);
    if (view) {
        json_object_set_new(view, "votes", list);
        json_object_set_new(view, "votes_next", view_next(more, at));
    } else {
        json_decref(list);
    }
    return send_json(connection, MHD_HTTP_OK, view);
}

/* GET /v1/proposals/{id}/votes/{address}: that member's vote. */
static enum MHD_Result get_proposal_vote(http_server *server, struct MHD_Connection *connection, const char *id_text,
                                         const char *address) {
    uint32_t id;
    tally_key voter;
    if (!parse_record_id(id_text, &id))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ID", "a proposal's id is a positive integer");
    if (!tally_address_decode(address, &voter))
        return send_error(connection, MHD_HTTP_BAD_REQUEST, "BAD_ADDRESS",
                          "not an address: expected tly1 and 58 characters with a valid checksum");
    const tally_state *state = node_read_begin(server->node);
    if (!state) return send_failed(connection);
    const tally_proposal *p = tally_state_proposal(state, id);
    const tally_vote *found = p ? tally_state_vote(state, id, &voter) : NULL;
    tally_vote vote = found ? *found : (tally_vote){0};
    char name[TALLY_ALIAS_MAX + 1] = "";
    if (found) view_copy_name(state, p->network_id, &voter, name);
    node_read_end(server->node);
    if (!p)
        return send_error(connection, MHD_HTTP_NOT_FOUND, "PROPOSAL_NOT_FOUND",
                          tally_error_message(TALLY_ERR_PROPOSAL_NOT_FOUND));
    if (!found) return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_VOTE", "this key has not voted on this proposal");
    return send_json(connection, MHD_HTTP_OK, view_vote(&vote, name));
}

/* A file of the web app (web_files.h), or 304 when the browser's copy is current. */
static enum MHD_Result send_web_file(http_server *server, struct MHD_Connection *connection, const char *url) {
    const web_files *web = server->options.web;
    const web_file *file = web_files_find(web, url);
    if (!file) {
        if (!web && strcmp(url, "/") == 0)
            return send_error(connection, MHD_HTTP_NOT_FOUND, "NO_WEB_APP",
                              "this node serves no web app (started with --web none, or its files are missing); the API lives under /v1");
        return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no such page or file");
    }
    const char *seen = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "If-None-Match");
    bool current = seen && strstr(seen, file->etag) != NULL;
    /* The bytes live as long as the server and libmicrohttpd only reads them
     * (MHD_RESPMEM_PERSISTENT: no copy); its 0.9.75 API takes a void *, hence the copy
     * of the pointer rather than a cast of its const away. */
    void *bytes;
    memcpy(&bytes, &file->bytes, sizeof bytes);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(current ? 0 : file->length, current ? NULL : bytes, MHD_RESPMEM_PERSISTENT);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", file->content_type);
    MHD_add_response_header(response, "Cache-Control", file->cache_control);
    MHD_add_response_header(response, "ETag", file->etag);
    MHD_add_response_header(response, "Content-Security-Policy", web_files_policy(web));
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
    MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin");
    enum MHD_Result queued = MHD_queue_response(connection, current ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return queued;
}

/* The API is under /v1 (and /metrics); every other path is the web app's. */
static bool is_api_path(const char *url) {
    return strncmp(url, "/v1/", 4) == 0 || strcmp(url, "/v1") == 0 || strcmp(url, "/metrics") == 0;
}

static enum MHD_Result route(http_server *server, struct MHD_Connection *connection, const char *url,
                             const char *method, request *req) {
    if (!is_api_path(url)) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return send_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "BAD_METHOD", "the web app's files only answer GET");
        return send_web_file(server, connection, url);
    }
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
    if (strcmp(resource, "dev") == 0 && count == 3 && strcmp(segments[2], "advance") == 0) {
        if (!is_post) return send_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "BAD_METHOD", "POST here to move a dev chain's clock");
        return post_dev_advance(server, connection);
    }
    if (!is_get) return send_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "BAD_METHOD", "this path only answers GET");
    /* The marketplace's reads (http_market.c) first: they share prefixes with the others. */
    http_market_answer market;
    if (http_market_route(server->node, connection, segments, count, &market))
        return send_json(connection, market.status, market.body);
    if (strcmp(resource, "transactions") == 0 && count == 3) return get_transaction(server, connection, segments[2]);
    if (strcmp(resource, "status") == 0 && count == 2) return get_status(server, connection);
    if (strcmp(resource, "networks") == 0 && count == 2) return get_networks(server, connection);
    if (strcmp(resource, "networks") == 0 && count >= 3) return get_network(server, connection, segments, count);
    if (strcmp(resource, "accounts") == 0 && count == 3) return get_key(server, connection, segments[2]);
    if (strcmp(resource, "assets") == 0 && count <= 3) return get_assets(server, connection, count == 3 ? segments[2] : NULL);
    if (strcmp(resource, "proofs") == 0) return get_proof(server, connection, segments, count);
    if (strcmp(resource, "holds") == 0 && count == 3) return get_hold(server, connection, segments[2]);
    if (strcmp(resource, "requests") == 0 && count == 3) return get_request(server, connection, segments[2]);
    if (strcmp(resource, "stakes") == 0 && count == 3) return get_stake(server, connection, segments[2]);
    if (strcmp(resource, "gateways") == 0 && count == 2) return get_gateways(server, connection);
    if (strcmp(resource, "gateways") == 0 && count == 3) return get_gateway(server, connection, segments[2]);
    if (strcmp(resource, "paths") == 0 && count == 2) return get_paths(server, connection);
    if (strcmp(resource, "clearings") == 0 && count == 2) return get_clearings(server, connection);
    if (strcmp(resource, "blocks") == 0 && count == 2) return get_blocks(server, connection);
    if (strcmp(resource, "blocks") == 0 && count == 3) return get_block(server, connection, segments[2], false);
    if (strcmp(resource, "blocks") == 0 && count == 4 && strcmp(segments[3], "raw") == 0)
        return get_block(server, connection, segments[2], true);
    if (strcmp(resource, "blocks") == 0 && count == 4 && strcmp(segments[3], "cosignatures") == 0)
        return get_block_cosignatures(server, connection, segments[2]);
    if (strcmp(resource, "proposals") == 0 && count == 3) return get_proposal(server, connection, segments[2]);
    if (strcmp(resource, "proposals") == 0 && count == 5 && strcmp(segments[3], "votes") == 0)
        return get_proposal_vote(server, connection, segments[2], segments[4]);
    return send_error(connection, MHD_HTTP_NOT_FOUND, "NOT_FOUND", "no such path");
}

/* ---- connections and the request deadline ---- */

static tracked_connection *tracked_of(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The request arrived in full (or was answered before its body): the deadline no
 * longer runs for it. */
static void request_arrived(http_server *server, struct MHD_Connection *connection) {
    tracked_connection *tracked = tracked_of(connection);
    if (!tracked) return;
    pthread_mutex_lock(&server->lock);
    tracked->receiving = false;
    pthread_mutex_unlock(&server->lock);
}

/* The connection this thread let in through accept_policy and on_connection has
 * not yet seen started. libmicrohttpd calls both on the thread that accepts, one
 * right after the other, unless making the connection failed in between: then the
 * thread's next accept finds the reservation still there and takes it back. So the
 * bound is exact, and a failed accept holds a place only until its thread's next. */
static _Thread_local http_server *accept_pending;

static void on_connection(void *context, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    http_server *server = context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        /* untracked when out of memory: it is counted, but has no deadline */
        tracked_connection *tracked = calloc(1, sizeof *tracked);
        if (tracked) {
            const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            tracked->connection = connection;
            tracked->fd = info ? info->connect_fd : -1;
            tracked->ready_ms = monotonic_ms();
            tracked->receiving = true;
        }
        pthread_mutex_lock(&server->lock);
        if (accept_pending == server) {
            assert(server->accepts_pending > 0);
            server->accepts_pending--;
            accept_pending = NULL;
        }
        server->connection_count++;
        if (tracked) {
            tracked->next = server->connections;
            if (server->connections) server->connections->prev = tracked;
            server->connections = tracked;
        }
        pthread_mutex_unlock(&server->lock);
        *socket_context = tracked;
        return;
    }
    /* libmicrohttpd closes the socket only after this: the keeper never shuts down
     * a descriptor that was closed (and perhaps reused) */
    tracked_connection *tracked = *socket_context;
    pthread_mutex_lock(&server->lock);
    assert(server->connection_count > 0);
    server->connection_count--;
    if (tracked) {
        if (tracked->prev) tracked->prev->next = tracked->next;
        else server->connections = tracked->next;
        if (tracked->next) tracked->next->prev = tracked->prev;
    }
    pthread_mutex_unlock(&server->lock);
    free(tracked);
    *socket_context = NULL;
}

/* The bound on connections in all (libmicrohttpd's own is per pool thread, and at
 * it the pool would stop accepting, leaving clients hanging in the backlog; here a
 * connection past the bound is closed at once). */
static enum MHD_Result accept_policy(void *context, const struct sockaddr *address, socklen_t length) {
    (void)address, (void)length;
    http_server *server = context;
    pthread_mutex_lock(&server->lock);
    if (accept_pending == server) server->accepts_pending--; /* this thread's last accept failed */
    bool room = server->connection_count + server->accepts_pending < HTTP_CONNECTIONS_MAX;
    if (room) server->accepts_pending++;
    accept_pending = room ? server : NULL;
    pthread_mutex_unlock(&server->lock);
    return room ? MHD_YES : MHD_NO;
}

/* ---- request bodies: bounded each, and all together ---- */

static bool budget_take(http_server *server, size_t bytes) {
    pthread_mutex_lock(&server->lock);
    bool taken = server->body_reserved + bytes <= server->body_budget;
    if (taken) server->body_reserved += bytes;
    pthread_mutex_unlock(&server->lock);
    return taken;
}

static void budget_give(http_server *server, size_t bytes) {
    pthread_mutex_lock(&server->lock);
    assert(server->body_reserved >= bytes);
    server->body_reserved -= bytes;
    pthread_mutex_unlock(&server->lock);
}

static enum MHD_Result send_body_refusal(const request *req) {
    if (req->refusal == HEADERS_TOO_LARGE)
        return send_error(req->connection, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "HEADERS_TOO_LARGE",
                          "the request's headers are at most 16 KiB");
    if (req->refusal == BODY_OVER_BUDGET) {
        char message[160];
        snprintf(message, sizeof message,
                 "the node is receiving as many request bodies as its budget allows (%u MiB): retry shortly",
                 req->server->options.body_budget_mib);
        return send_error(req->connection, MHD_HTTP_SERVICE_UNAVAILABLE, "BODY_BUDGET", message);
    }
    return send_error(req->connection, MHD_HTTP_CONTENT_TOO_LARGE, "BODY_TOO_LARGE",
                      req->bound == HTTP_BODY_MAX
                          ? "a binary body is at most 4 MiB"
                          : "a JSON body is at most 1.75 MiB (send big batches as application/octet-stream, up "
                            "to 4 MiB)");
}

static void refuse_body(request *req, body_refusal refusal) {
    req->refusal = refusal;
    request_drop_body(req);
}

/* Room for `needed` bytes: all of a declared length at once, else doubling, each
 * byte taken from the budget first. */
static bool body_grow(request *req, size_t needed) {
    size_t target = req->capacity ? 2 * req->capacity : 16384;
    if (target < req->reserved) target = req->reserved;
    if (target < needed) target = needed;
    if (target > req->bound + 1) target = req->bound + 1;
    assert(target >= needed);
    if (target > req->reserved) {
        if (!budget_take(req->server, target - req->reserved)) return false;
        req->reserved = target;
    }
    char *grown = realloc(req->body, target);
    if (!grown) return false;
    req->body = grown;
    req->capacity = target;
    return true;
}

static enum MHD_Result add_header_bytes(void *context, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    size_t *bytes = context;
    *bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

static enum MHD_Result begin_request(http_server *server, struct MHD_Connection *connection, void **connection_context) {
    request *req = calloc(1, sizeof *req);
    if (!req) return MHD_NO;
    req->server = server;
    req->connection = connection;
    *connection_context = req;
    size_t header_bytes = 0;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, add_header_bytes, &header_bytes);
    if (header_bytes > HTTP_HEADERS_MAX) {
        req->refusal = HEADERS_TOO_LARGE;
        req->answered = true;
        request_arrived(server, connection);
        return send_body_refusal(req);
    }
    const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req->bound = submission_is_binary(type) ? HTTP_BODY_MAX : HTTP_JSON_BODY_MAX;
    /* A declared length over the bound, or past the budget, is refused before any of
     * the body is read (a client that sent "Expect: 100-continue" then sends none). */
    const char *declared = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t length;
    if (declared && submission_parse_u64(declared, &length) && length > 0) {
        if (length > req->bound) req->refusal = BODY_TOO_LARGE;
        else if (budget_take(server, (size_t)length + 1)) req->reserved = (size_t)length + 1;
        else req->refusal = BODY_OVER_BUDGET;
        if (req->refusal) {
            req->answered = true;
            request_arrived(server, connection);
            return send_body_refusal(req);
        }
    }
    return MHD_YES;
}

static enum MHD_Result receive_body(request *req, const char *data, size_t *size) {
    if (!req->refusal && req->length + *size > req->bound) refuse_body(req, BODY_TOO_LARGE);
    if (!req->refusal && req->length + *size + 1 > req->capacity && !body_grow(req, req->length + *size + 1))
        refuse_body(req, BODY_OVER_BUDGET);
    if (req->refusal) {
        /* libmicrohttpd takes an answer only before the body or after all of it (in
         * between, MHD_queue_response fails and the connection would close without a
         * word). So the rest of a body sent without a declared length (chunked) is
         * read and dropped, and the refusal goes out when it ends; a client that
         * sends another HTTP_BODY_MAX past the refusal is cut off. */
        req->dropped += *size;
        *size = 0;
        return req->dropped > HTTP_BODY_MAX ? MHD_NO : MHD_YES;
    }
    memcpy(req->body + req->length, data, *size);
    req->length += *size;
    req->body[req->length] = '\0';
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result handle(void *context, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **connection_context) {
    (void)version;
    http_server *server = context;
    request *req = *connection_context;
    if (!req) return begin_request(server, connection, connection_context);
    if (*upload_data_size > 0) return receive_body(req, upload_data, upload_data_size);
    if (req->admitted) { /* resumed: its wait for a commit is over */
        enum MHD_Result answered = answer_admitted(connection, req->admitted);
        admitted_free(req->admitted);
        req->admitted = NULL;
        return answered;
    }
    request_arrived(server, connection);
    if (req->refusal) return req->answered ? MHD_YES : send_body_refusal(req);
    return route(server, connection, url, method, req);
}

static void completed(void *context, struct MHD_Connection *connection, void **connection_context,
                      enum MHD_RequestTerminationCode code) {
    (void)code;
    http_server *server = context;
    request *req = *connection_context;
    if (req) {
        assert(!req->suspended);
        request_drop_body(req);
        admitted_free(req->admitted);
        free(req);
        *connection_context = NULL;
    }
    /* A kept-alive connection is ready for its next request: its deadline starts now. */
    tracked_connection *tracked = tracked_of(connection);
    if (tracked) {
        pthread_mutex_lock(&server->lock);
        tracked->ready_ms = monotonic_ms();
        tracked->receiving = true;
        pthread_mutex_unlock(&server->lock);
    }
}

/* ---- the keeper: commit waits and deadlines ---- */

/* Resumes the suspended requests whose transactions are settled, whose wait is
 * over, or all of them once the node failed. Their statuses are re-read without
 * server->lock: only the keeper touches a suspended request. */
static void resume_settled(http_server *server, bool new_block) {
    enum { CHECK_MAX = 1024 };
    request *check[CHECK_MAX];
    uint32_t count = 0;
    uint64_t now = monotonic_ms();
    bool failed = node_failed(server->node);
    pthread_mutex_lock(&server->lock);
    for (request *req = server->waiting; req && count < CHECK_MAX; req = req->wait_next)
        if (new_block || failed || req->unchecked || now >= req->admitted->wait_until_ms) {
            req->unchecked = false;
            check[count++] = req;
        }
    pthread_mutex_unlock(&server->lock);
    bool ready[CHECK_MAX];
    for (uint32_t i = 0; i < count; i++) {
        admitted *a = check[i]->admitted;
        node_wait(server->node, (const uint8_t(*)[TALLY_HASH_BYTES])a->ids, a->sub.decodable, a->decoded_statuses, 0);
        ready[i] = failed || now >= a->wait_until_ms || !admitted_pending(a);
    }
    pthread_mutex_lock(&server->lock);
    for (uint32_t i = 0; i < count; i++) {
        if (!ready[i]) continue;
        request *req = check[i];
        if (req->wait_prev) req->wait_prev->wait_next = req->wait_next;
        else server->waiting = req->wait_next;
        if (req->wait_next) req->wait_next->wait_prev = req->wait_prev;
        server->waiting_count--;
        req->suspended = false;
        MHD_resume_connection(req->connection);
    }
    pthread_mutex_unlock(&server->lock);
}

/* Shuts down the socket of every request still incomplete past the deadline, idle
 * or not (a client trickling a header line every few seconds is never idle). */
static void cut_late_requests(http_server *server) {
    uint64_t deadline = server->options.request_deadline_ms, now = monotonic_ms();
    if (!deadline) return;
    pthread_mutex_lock(&server->lock);
    for (tracked_connection *tracked = server->connections; tracked; tracked = tracked->next) {
        if (!tracked->receiving || tracked->cut || tracked->fd < 0 || now - tracked->ready_ms <= deadline) continue;
        shutdown(tracked->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
        tracked->cut = true;
        server->deadline_cuts++;
    }
    pthread_mutex_unlock(&server->lock);
}

static void *keeper_main(void *context) {
    http_server *server = context;
    uint64_t height = node_wait_for_block(server->node, UINT64_MAX, 0);
    for (;;) {
        pthread_mutex_lock(&server->lock);
        bool stop = server->keeper_stop;
        pthread_mutex_unlock(&server->lock);
        if (stop) break;
        uint64_t now_height = node_wait_for_block(server->node, height, KEEPER_TICK_MS);
        if (node_failed(server->node)) {
            const struct timespec tick = {0, (long)KEEPER_TICK_MS * 1000000L};
            nanosleep(&tick, NULL);
        }
        resume_settled(server, now_height > height);
        height = now_height;
        cut_late_requests(server);
    }
    return NULL;
}

/* ---- starting and stopping ---- */

http_server *http_start(node *n, const char *host, uint16_t port, const http_options *options, char *why,
                        size_t why_size) {
    http_server *server = calloc(1, sizeof *server);
    if (!server) return snprintf(why, why_size, "out of memory"), NULL;
    server->node = n;
    http_options_defaults(&server->options);
    if (options) server->options = *options;
    http_options *o = &server->options;
    if (o->threads == 0) o->threads = 1;
    if (o->threads > HTTP_THREADS_MAX) o->threads = HTTP_THREADS_MAX;
    if (o->idle_timeout_seconds == 0) o->idle_timeout_seconds = HTTP_TIMEOUT_SECONDS;
    server->body_budget = (size_t)o->body_budget_mib << 20;
    pthread_mutex_init(&server->lock, NULL);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        pthread_mutex_destroy(&server->lock);
        free(server);
        snprintf(why, why_size, "'%s' is not an IPv4 address to listen on", host);
        return NULL;
    }
    /* libmicrohttpd's bound is per pool thread: each may take the whole bound, and
     * accept_policy keeps the total. */
    unsigned mhd_limit = HTTP_CONNECTIONS_MAX * o->threads;
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, port,
        accept_policy, server, handle, server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->idle_timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, /* 1: no pool, one thread */
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_NOTIFY_COMPLETED, completed, server,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_END);
    if (!server->daemon) {
        pthread_mutex_destroy(&server->lock);
        free(server);
        snprintf(why, why_size, "cannot listen on %s:%u (in use, or not allowed)", host, (unsigned)port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : port;
    server->keeper_started = pthread_create(&server->keeper, NULL, keeper_main, server) == 0;
    if (server->keeper_started) pthread_setname_np(server->keeper, "tallyd-keeper");
    if (!server->keeper_started) {
        MHD_stop_daemon(server->daemon);
        pthread_mutex_destroy(&server->lock);
        free(server);
        snprintf(why, why_size, "cannot start the HTTP keeper thread");
        return NULL;
    }
    return server;
}

uint16_t http_port(const http_server *server) { return server->port; }

void http_stop(http_server *server) {
    if (!server) return;
    pthread_mutex_lock(&server->lock);
    server->closing = true; /* from here on nobody is suspended */
    server->keeper_stop = true;
    pthread_mutex_unlock(&server->lock);
    if (server->keeper_started) pthread_join(server->keeper, NULL);
    /* libmicrohttpd must not stop with suspended connections: the waiting ones are
     * resumed and closed with the rest */
    pthread_mutex_lock(&server->lock);
    for (request *req = server->waiting; req; req = req->wait_next) {
        req->suspended = false;
        MHD_resume_connection(req->connection);
    }
    server->waiting = NULL;
    server->waiting_count = 0;
    pthread_mutex_unlock(&server->lock);
    MHD_stop_daemon(server->daemon);
    pthread_mutex_destroy(&server->lock);
    free(server);
}
