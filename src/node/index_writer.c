/*
 * index_writer.c: indexing blocks. A block goes in inside one SQLite transaction
 * (its row, each transaction's row, the entries index_entries.c gives, pegs,
 * aliases and searchable memos) after checking it extends the indexed tip;
 * catching up reads the log's blocks after the tip and commits them in batches,
 * rebuilding from the genesis when the index is not of the log's chain.
 */
#include "node/index_internal.h"

#include <inttypes.h>

/* catch_up commits after this many blocks or transactions, whichever comes first:
 * big enough that commits cost little, small enough that a crash loses little. */
#define BATCH_BLOCKS_MAX 1024u
#define BATCH_TRANSACTIONS_MAX 32768u

/* ------------------------------------------------------------------------ */
/* Indexing a block.                                                         */
/* ------------------------------------------------------------------------ */

static index_error peg_get(tally_index *index, uint32_t network_id, uint32_t *asset_id, char *why,
                           size_t why_size) {
    *asset_id = 0;
    binding b = bind_start(index, STATEMENT_PEG_GET);
    bind_int(&b, 1, network_id);
    bool row;
    index_error error = step_row(index, &b, &row, "reading a peg", why, why_size);
    if (error == INDEX_OK && row) {
        int64_t value;
        if (!column_integer(b.statement, 0, 0, UINT32_MAX, &value))
            error = fail_damaged("the pegs table", why, why_size);
        else
            *asset_id = (uint32_t)value;
    }
    sqlite3_reset(b.statement);
    return error;
}

static index_error peg_put(tally_index *index, uint32_t network_id, uint32_t asset_id, char *why,
                           size_t why_size) {
    binding b = bind_start(index, STATEMENT_PEG_PUT);
    bind_int(&b, 1, network_id);
    bind_int(&b, 2, asset_id);
    return run(index, &b, "writing a peg", why, why_size);
}

static index_error search_insert(tally_index *index, index_match_kind kind, uint32_t network_id,
                                 int64_t tx_seq, const char *text, size_t length, const tally_key *key,
                                 const tally_key *counterparty, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_SEARCH_INSERT);
    bind_text(&b, 1, text, length);
    bind_int(&b, 2, kind);
    bind_int(&b, 3, network_id);
    bind_int(&b, 4, tx_seq);
    bind_key(&b, 5, key);
    bind_key(&b, 6, counterparty);
    return run(index, &b, "indexing text for search", why, why_size);
}

/* Replaces (or with length 0 removes) the searchable alias of member in network. */
static index_error alias_replace(tally_index *index, uint32_t network_id, const tally_key *member,
                                 int64_t tx_seq, const char *alias, size_t length, char *why,
                                 size_t why_size) {
    binding b = bind_start(index, STATEMENT_ALIAS_GET);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bool row;
    int64_t old_row = 0;
    index_error error = step_row(index, &b, &row, "reading an alias", why, why_size);
    if (error == INDEX_OK && row && !column_integer(b.statement, 0, 1, INT64_MAX, &old_row))
        error = fail_damaged("the aliases table", why, why_size);
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) return error;
    if (row) {
        b = bind_start(index, STATEMENT_SEARCH_DELETE);
        bind_int(&b, 1, old_row);
        error = run(index, &b, "removing an alias from search", why, why_size);
        if (error != INDEX_OK) return error;
    }
    if (length == 0) {
        if (!row) return INDEX_OK;
        b = bind_start(index, STATEMENT_ALIAS_DELETE);
        bind_int(&b, 1, network_id);
        bind_key(&b, 2, member);
        return run(index, &b, "removing an alias", why, why_size);
    }
    error = search_insert(index, INDEX_MATCH_ALIAS, network_id, tx_seq, alias, length, member, NULL, why,
                          why_size);
    if (error != INDEX_OK) return error;
    b = bind_start(index, STATEMENT_ALIAS_PUT);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bind_int(&b, 3, sqlite3_last_insert_rowid(index->db));
    return run(index, &b, "writing an alias", why, why_size);
}

static index_error insert_entries(tally_index *index, const tx_entries *entries, int64_t tx_seq, char *why,
                                  size_t why_size) {
    index_error error = INDEX_OK;
    for (uint32_t i = 0; i < entries->credit_count && error == INDEX_OK; i++) {
        const credit_entry *entry = &entries->credit[i];
        binding b = bind_start(index, STATEMENT_INSERT_HISTORY);
        bind_int(&b, 1, entry->network_id);
        bind_key(&b, 2, &entry->member);
        bind_int(&b, 3, tx_seq * ENTRIES_PER_TX + i);
        bind_int(&b, 4, entry->amount);
        bind_int(&b, 5, entry->fee);
        bind_key(&b, 6, entry->has_counterparty ? &entry->counterparty : NULL);
        if (entry->line) bind_int(&b, 7, entry->line);
        else bind_null(&b, 7);
        if (entry->memo) bind_text(&b, 8, entry->memo, entry->memo_length);
        else bind_null(&b, 8);
        error = run(index, &b, "writing a history entry", why, why_size);
    }
    for (uint32_t i = 0; i < entries->asset_count && error == INDEX_OK; i++) {
        const asset_entry *entry = &entries->asset[i];
        binding b = bind_start(index, STATEMENT_INSERT_ASSET_HISTORY);
        bind_int(&b, 1, entry->asset_id);
        bind_key(&b, 2, &entry->member);
        bind_int(&b, 3, tx_seq * ENTRIES_PER_TX + i);
        bind_int(&b, 4, entry->amount);
        bind_key(&b, 5, entry->has_counterparty ? &entry->counterparty : NULL);
        error = run(index, &b, "writing an asset history entry", why, why_size);
    }
    return error;
}

/* A hold or request made, and the status a post, void, payment or cancel gives the
 * one it names (subject: looked up by insert_tx). */
static index_error escrow_effects(tally_index *index, const tally_tx *tx, const tally_result *result,
                                  index_subject subject, char *why, size_t why_size) {
    static const tally_key zero;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_PENDING_CREATE: {
        const tally_tx_pending_create *body = &tx->body.pending_create;
        index_hold made = {result->created_id, body->network_id, tx->signer, body->payee, body->amount, result->fee};
        bool has_resolver = memcmp(body->resolver.bytes, zero.bytes, TALLY_KEY_BYTES) != 0;
        return index_hold_put(index, &made, has_resolver ? &body->resolver : NULL, why, why_size);
    }
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID:
        if (!subject.hold) return INDEX_OK;
        return index_hold_set_status(index, subject.hold->id,
                                     tx->type == TALLY_TX_PENDING_POST ? TALLY_PENDING_POSTED : TALLY_PENDING_VOIDED,
                                     why, why_size);
    case TALLY_TX_REQUEST_CREATE: {
        const tally_tx_request_create *body = &tx->body.request_create;
        index_request made = {.id = result->created_id, .network_id = body->network_id, .payee = tx->signer,
                              .payer = body->payer, .amount = body->amount, .memo_length = body->memo.length};
        made.has_payer = memcmp(body->payer.bytes, zero.bytes, TALLY_KEY_BYTES) != 0;
        memcpy(made.memo, body->memo.bytes, body->memo.length);
        return index_request_put(index, &made, why, why_size);
    }
    case TALLY_TX_GATEWAY_PROPOSE: {
        index_gateway made = {result->created_id, tx->body.gateway_propose.network_a,
                              tx->body.gateway_propose.network_b};
        return index_gateway_put(index, &made, why, why_size);
    }
    case TALLY_TX_PROPOSAL_CREATE: {
        index_proposal made = {result->created_id, tx->body.proposal_create.network_id};
        return index_proposal_put(index, &made, why, why_size);
    }
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL:
        if (!subject.request) return INDEX_OK;
        return index_request_set_status(index, subject.request->id,
                                        tx->type == TALLY_TX_REQUEST_PAY ? TALLY_REQUEST_PAID : TALLY_REQUEST_CANCELLED,
                                        why, why_size);
    default: return INDEX_OK;
    }
}

/* What a committed transaction changes besides its own row: entries, pegs,
 * aliases, searchable memos, holds and requests. */
static index_error index_effects(tally_index *index, const tally_tx *tx, const tally_result *result,
                                 index_subject subject, int64_t tx_seq, int64_t block_time, char *why,
                                 size_t why_size) {
    index_error error = INDEX_OK;
    uint32_t reserve_asset_id = 0;
    bool pool = tx->type >= TALLY_TX_POOL_DEPOSIT && tx->type <= TALLY_TX_POOL_REDEEM;
    bool stake = tx->type == TALLY_TX_STAKE || tx->type == TALLY_TX_UNSTAKE;
    _Static_assert(TALLY_TX_STAKE == 41 && TALLY_TX_UNSTAKE == 42, "index_internal.h's HISTORY names them by number");
    /* Both move the network's reserve asset (the stake's between the underwriter and
     * the underwriting account). */
    if (pool) error = peg_get(index, tx->body.pool_amount.network_id, &reserve_asset_id, why, why_size);
    if (stake) error = peg_get(index, tx->body.stake.network_id, &reserve_asset_id, why, why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_PEG_SET)
        error = peg_put(index, tx->body.peg_set.network_id, tx->body.peg_set.asset_id, why, why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_ALIAS_SET)
        error = alias_replace(index, tx->body.alias_set.network_id, &tx->signer, tx_seq,
                              tx->body.alias_set.alias.bytes, tx->body.alias_set.alias.length, why, why_size);
    /* Leaving gives the alias up (member.c does the same). */
    if (error == INDEX_OK && tx->type == TALLY_TX_MEMBER_LEAVE)
        error = alias_replace(index, tx->body.network_only.network_id, &tx->signer, tx_seq, NULL, 0, why,
                              why_size);
    if (error == INDEX_OK && tx->type == TALLY_TX_TRANSFER && tx->body.transfer.memo.length > 0)
        error = search_insert(index, INDEX_MATCH_MEMO, tx->body.transfer.network_id, tx_seq,
                              tx->body.transfer.memo.bytes, tx->body.transfer.memo.length, &tx->signer,
                              &tx->body.transfer.payee, why, why_size);
    /* A batch's memos are searchable line by line, as a transfer's. */
    for (uint16_t i = 0; error == INDEX_OK && tx->type == TALLY_TX_TRANSFER_BATCH && i < tx->body.transfer_batch.line_count;
         i++) {
        const tally_batch_line *line = &tx->body.transfer_batch.lines[i];
        if (line->memo.length > 0)
            error = search_insert(index, INDEX_MATCH_MEMO, tx->body.transfer_batch.network_id, tx_seq, line->memo.bytes,
                                  line->memo.length, &tx->signer, &line->payee, why, why_size);
    }
    /* An invoice's memo is searchable as a transfer's: who asks, of whom. */
    if (error == INDEX_OK && tx->type == TALLY_TX_REQUEST_CREATE && tx->body.request_create.memo.length > 0)
        error = search_insert(index, INDEX_MATCH_MEMO, tx->body.request_create.network_id, tx_seq,
                              tx->body.request_create.memo.bytes, tx->body.request_create.memo.length, &tx->signer,
                              NULL, why, why_size);
    if (error == INDEX_OK) error = escrow_effects(index, tx, result, subject, why, why_size);
    /* The marketplace's tables (index_market.c). */
    if (error == INDEX_OK && (tx->type == TALLY_TX_CATEGORY_SET || index_type_is_market(tx->type)))
        error = index_market_effects(index, tx, result, subject, tx_seq, block_time, why, why_size);
    if (error != INDEX_OK) return error;
    index_entries_of(tx, result, reserve_asset_id, subject, index->entries);
    return insert_entries(index, index->entries, tx_seq, why, why_size);
}

/* The figures a transaction about a hold or request carries on its row (index.c's
 * txs table): the record's id and its amount (held, posted or asked). false for
 * every other transaction, and for a refused one (it made or ended nothing). */
static bool escrow_figures(const tally_tx *tx, const tally_result *result, index_subject subject, uint32_t *id,
                           int64_t *amount) {
    if (result->code != TALLY_OK) return false;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_PENDING_CREATE:
        *id = result->created_id, *amount = tx->body.pending_create.amount;
        return true;
    case TALLY_TX_PENDING_POST:
        *id = tx->body.pending_end.pending_id, *amount = tx->body.pending_end.amount;
        return true;
    case TALLY_TX_PENDING_VOID:
        *id = tx->body.pending_end.pending_id, *amount = subject.hold ? subject.hold->amount : 0;
        return true;
    case TALLY_TX_REQUEST_CREATE:
        *id = result->created_id, *amount = tx->body.request_create.amount;
        return true;
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL:
        *id = tx->body.request_end.request_id, *amount = subject.request ? subject.request->amount : 0;
        return true;
    default: return false;
    }
}

/* The networks a committed cross payment's path reached, from the gateways the index
 * keeps (path_hops stays 0 when one is unknown: a damaged or foreign log). */
static index_error cross_path(tally_index *index, const tally_tx_transfer_cross *body, index_subject *subject,
                              char *why, size_t why_size) {
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1] = {body->network_id};
    for (uint8_t h = 0; h < body->hop_count && h < TALLY_PATH_HOPS_MAX; h++) {
        index_gateway gateway;
        bool found = false;
        index_error error = index_gateway_get(index, body->gateways[h], &gateway, &found, why, why_size);
        if (error != INDEX_OK || !found) return error;
        networks[h + 1] = gateway.network_a == networks[h] ? gateway.network_b : gateway.network_a;
    }
    subject->path_hops = body->hop_count;
    memcpy(subject->path_networks, networks, sizeof networks);
    return INDEX_OK;
}

static index_error insert_tx(tally_index *index, const tally_block *block, uint32_t position, char *why,
                             size_t why_size) {
    const tally_tx *tx = &block->txs[position];
    const tally_result *result = &block->results[position];
    uint8_t encoded[TALLY_TX_ENCODED_MAX];
    size_t encoded_length = tally_tx_encode(tx, encoded, sizeof encoded);
    const char *type_name = tally_tx_type_name(tx->type);
    if (encoded_length == 0 || !type_name)
        return fail(INDEX_ERR_BAD_BLOCK, why, why_size,
                    "index: block %" PRIu64 ": transaction %" PRIu32 " cannot be encoded",
                    block->header.height, position);
    if (tx->sequence > INT64_MAX)
        return fail(INDEX_ERR_BAD_BLOCK, why, why_size,
                    "index: block %" PRIu64 ": transaction %" PRIu32 " has a sequence above 2^63",
                    block->header.height, position);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(tx, id);
    int64_t tx_seq = (int64_t)index->transactions + 1;
    uint32_t network_id = 0, asset_id = 0;
    bool has_network = index_tx_network(tx, result, &network_id);
    /* A post or void is placed by its hold, a payment or cancel by its request. */
    index_hold hold;
    index_request request;
    index_gateway gateway;
    index_proposal proposal;
    index_listing_brief listing;
    index_order order;
    index_subject subject = {0};
    bool found = false;
    index_error looked = INDEX_OK;
    if (tx->type == TALLY_TX_PENDING_POST || tx->type == TALLY_TX_PENDING_VOID) {
        looked = index_hold_get(index, tx->body.pending_end.pending_id, &hold, &found, why, why_size);
        if (found) {
            subject.hold = &hold;
            network_id = hold.network_id;
        }
    } else if (tx->type == TALLY_TX_REQUEST_PAY || tx->type == TALLY_TX_REQUEST_CANCEL) {
        looked = index_request_get(index, tx->body.request_end.request_id, &request, &found, why, why_size);
        if (found) {
            subject.request = &request;
            network_id = request.network_id;
        }
    } else if (tx->type == TALLY_TX_GATEWAY_ACCEPT || tx->type == TALLY_TX_GATEWAY_CLOSE) {
        /* placed in the proposing network's activity */
        uint32_t gateway_id = tx->type == TALLY_TX_GATEWAY_ACCEPT ? tx->body.gateway_accept.gateway_id
                                                                   : tx->body.gateway_end.gateway_id;
        looked = index_gateway_get(index, gateway_id, &gateway, &found, why, why_size);
        if (found) {
            subject.gateway = &gateway;
            network_id = gateway.network_a;
        }
    } else if (tx->type == TALLY_TX_PROPOSAL_VOTE || tx->type == TALLY_TX_PROPOSAL_CANCEL) {
        /* in the voter's (the proposer's) history by the proposal's network */
        looked = index_proposal_get(index, tx->body.proposal_vote.proposal_id, &proposal, &found, why, why_size);
        if (found) {
            subject.proposal = &proposal;
            network_id = proposal.network_id;
        }
    } else if (tx->type == TALLY_TX_TRANSFER_CROSS && result->code == TALLY_OK) {
        looked = cross_path(index, &tx->body.transfer_cross, &subject, why, why_size);
    } else if (index_market_placed_by_record(tx->type)) {
        /* in the network of the listing or order it names */
        looked = index_market_subject(index, tx, &listing, &order, &subject, &network_id, &found, why, why_size);
    }
    if (looked != INDEX_OK) return looked;
    if (found) has_network = true;
    bool has_asset = index_tx_asset(tx, result, &asset_id);

    binding b = bind_start(index, STATEMENT_INSERT_TX);
    bind_int(&b, 1, tx_seq);
    bind_bytes(&b, 2, id, sizeof id);
    bind_int(&b, 3, (int64_t)block->header.height);
    bind_int(&b, 4, position);
    bind_int(&b, 5, tx->type);
    bind_text(&b, 6, type_name, strlen(type_name));
    bind_key(&b, 7, &tx->signer);
    bind_int(&b, 8, (int64_t)tx->sequence);
    if (has_network)
        bind_int(&b, 9, network_id);
    else
        bind_null(&b, 9);
    if (has_asset)
        bind_int(&b, 10, asset_id);
    else
        bind_null(&b, 10);
    bind_bytes(&b, 11, encoded, encoded_length);
    const char *market_memo = NULL;
    size_t market_memo_length = 0;
    if (tx->type == TALLY_TX_TRANSFER && tx->body.transfer.memo.length > 0)
        bind_text(&b, 12, tx->body.transfer.memo.bytes, tx->body.transfer.memo.length);
    else if (tx->type == TALLY_TX_REQUEST_CREATE && tx->body.request_create.memo.length > 0)
        bind_text(&b, 12, tx->body.request_create.memo.bytes, tx->body.request_create.memo.length);
    else if (subject.request && subject.request->memo_length > 0) /* a payment or cancel: the request's */
        bind_text(&b, 12, subject.request->memo, subject.request->memo_length);
    else if (index_market_memo(tx, &market_memo, &market_memo_length))
        bind_text(&b, 12, market_memo, market_memo_length);
    else
        bind_null(&b, 12);
    bind_int(&b, 13, result->code);
    bind_int(&b, 14, result->created_id);
    bind_int(&b, 15, result->minted);
    bind_int(&b, 16, result->burned);
    bind_int(&b, 17, result->fee);
    bind_int(&b, 18, result->risk_fee);
    bind_int(&b, 19, result->reserve);
    bind_int(&b, 20, result->shares);
    bind_int(&b, 21, result->to_primary);
    bind_int(&b, 22, result->to_excess);
    bind_int(&b, 23, result->available);
    uint32_t escrow_id = 0;
    int64_t escrow_amount = 0;
    if (escrow_figures(tx, result, subject, &escrow_id, &escrow_amount) ||
        index_market_figures(tx, result, subject, &escrow_id, &escrow_amount)) {
        bind_int(&b, 24, escrow_amount);
        bind_int(&b, 25, escrow_id);
    } else {
        bind_null(&b, 24);
        bind_null(&b, 25);
    }
    index_error error = run(index, &b, "writing a transaction", why, why_size);
    if (error != INDEX_OK) return error;
    index->transactions = (uint64_t)tx_seq;
    /* A refused transaction changed nothing (and a valid block holds none). */
    if (result->code != TALLY_OK) return INDEX_OK;
    return index_effects(index, tx, result, subject, tx_seq, block->header.block_time, why, why_size);
}

/* The entries of an event, and what it does to the holds and requests: a timeout
 * ends its hold, an expiry its request, a default voids its member's holds (the
 * event's `time` names the hold or request). */
static index_error event_escrow_effects(tally_index *index, const tally_event *event, int64_t seq, tx_entries *entries,
                                        char *why, size_t why_size) {
    index_hold hold;
    index_request request;
    index_order order;
    index_subject subject = {0};
    bool found = false;
    index_error error = INDEX_OK;
    bool names_record = event->time > 0 && event->time <= UINT32_MAX;
    switch ((tally_event_kind)event->kind) {
    case TALLY_EVENT_PENDING_RELEASED:
    case TALLY_EVENT_PENDING_REFUNDED:
        if (names_record) error = index_hold_get(index, (uint32_t)event->time, &hold, &found, why, why_size);
        if (error == INDEX_OK && found) {
            subject.hold = &hold;
            error = index_hold_set_status(index, hold.id,
                                          event->kind == TALLY_EVENT_PENDING_RELEASED ? TALLY_PENDING_RELEASED
                                                                                      : TALLY_PENDING_REFUNDED,
                                          why, why_size);
        }
        break;
    case TALLY_EVENT_REQUEST_EXPIRED:
        if (names_record) error = index_request_get(index, (uint32_t)event->time, &request, &found, why, why_size);
        if (error == INDEX_OK && found) {
            subject.request = &request;
            error = index_request_set_status(index, request.id, TALLY_REQUEST_EXPIRED, why, why_size);
        }
        break;
    case TALLY_EVENT_LINE_DEFAULTED:
        error = index_holds_void_of(index, event->network_id, &event->member, why, why_size);
        /* its orders as buyer end voided with their holds (pending_void_all_of) */
        if (error == INDEX_OK) error = index_orders_void_of(index, event->network_id, &event->member, why, why_size);
        break;
    case TALLY_EVENT_LISTING_EXPIRED:
    case TALLY_EVENT_ORDER_RELEASED:
    case TALLY_EVENT_ORDER_EXPIRED:
    case TALLY_EVENT_ORDER_HELD: error = index_market_event(index, event, seq, &order, &subject, why, why_size); break;
    default: break;
    }
    if (error != INDEX_OK) return error;
    index_entries_of_event(event, subject, entries);
    return INDEX_OK;
}

/* An event of the block's end: a row after the block's transactions, and its entries. */
static index_error insert_event(tally_index *index, const tally_block *block, const uint8_t block_hash[TALLY_HASH_BYTES],
                                uint32_t number, char *why, size_t why_size) {
    const tally_event *event = &block->events[number];
    const char *type_name = tally_event_kind_name(event->kind);
    if (!type_name)
        return fail(INDEX_ERR_BAD_BLOCK, why, why_size, "index: block %" PRIu64 ": event %" PRIu32 " is of no known kind",
                    block->header.height, number);
    uint8_t id[TALLY_HASH_BYTES], encoded[TALLY_EVENT_BYTES];
    index_event_id(block_hash, number, id);
    tally_event_encode(event, encoded);
    /* What the event is about: its member, else the network's pool (or nobody). */
    tally_key about;
    if (tally_event_kind_has_member(event->kind))
        about = event->member;
    else if (event->kind == TALLY_EVENT_LOST_DEBT_COVERED || event->kind == TALLY_EVENT_RESERVE_REALLOCATED)
        about = tally_system_key(event->network_id, TALLY_SYSTEM_POOL);
    else
        memset(&about, 0, sizeof about);
    if (event->kind == TALLY_EVENT_HEALTH_RECORDED) {
        index_error kept = index_health_recorded(index, event, why, why_size);
        if (kept != INDEX_OK) return kept;
    }
    int64_t seq = (int64_t)index->transactions + 1;
    binding b = bind_start(index, STATEMENT_INSERT_TX);
    bind_int(&b, 1, seq);
    bind_bytes(&b, 2, id, sizeof id);
    bind_int(&b, 3, (int64_t)block->header.height);
    bind_int(&b, 4, (int64_t)block->header.tx_count + number);
    bind_int(&b, 5, INDEX_EVENT_TYPE_BASE + event->kind);
    bind_text(&b, 6, type_name, strlen(type_name));
    bind_key(&b, 7, &about);
    bind_int(&b, 8, 0);
    bind_int(&b, 9, event->network_id);
    bind_null(&b, 10);
    bind_bytes(&b, 11, encoded, sizeof encoded);
    bind_null(&b, 12);
    for (int column = 13; column <= 23; column++) bind_int(&b, column, 0);
    bind_int(&b, 24, event->amount);
    bind_int(&b, 25, event->time);
    index_error error = run(index, &b, "writing an event", why, why_size);
    if (error != INDEX_OK) return error;
    index->transactions = (uint64_t)seq;
    error = event_escrow_effects(index, event, seq, index->entries, why, why_size);
    if (error != INDEX_OK) return error;
    return insert_entries(index, index->entries, seq, why, why_size);
}

/* Writes one block inside the open transaction, after checking it extends the
 * index. Moves the cached tip on success (a rollback reloads it). */
static index_error insert_block(tally_index *index, const tally_block *block, char *why, size_t why_size) {
    assert(index->in_transaction);
    if (index->failed)
        return fail(INDEX_ERR_DATABASE, why, why_size,
                    "index: an earlier failure left the index unsure of its tip; reopen it");
    const tally_block_header *header = &block->header;
    uint64_t expected = index->height == TALLY_NO_HEIGHT ? 0 : index->height + 1;
    if (header->height != expected)
        return fail(INDEX_ERR_NOT_NEXT, why, why_size,
                    "index: block %" PRIu64 " is not the next block: the index holds %" PRIu64 " blocks",
                    header->height, expected);
    if (expected > 0 && memcmp(header->prev_hash, index->last_hash, TALLY_HASH_BYTES) != 0)
        return fail(INDEX_ERR_NOT_LINKED, why, why_size,
                    "index: block %" PRIu64 " does not extend the indexed block %" PRIu64
                    ": the index is of another chain; rebuild it",
                    header->height, index->height);
    if (header->height > INT64_MAX || header->tx_count > TALLY_BLOCK_TXS_MAX ||
        (header->tx_count > 0 && (!block->txs || !block->results)) || block->event_count > TALLY_BLOCK_EVENTS_MAX ||
        (block->event_count > 0 && !block->events))
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: block %" PRIu64 " is malformed",
                    header->height);
    uint8_t hash[TALLY_HASH_BYTES], encoded_header[TALLY_BLOCK_HEADER_BYTES];
    tally_block_hash(header, hash);
    tally_block_header_encode(header, encoded_header);

    binding b = bind_start(index, STATEMENT_INSERT_BLOCK);
    bind_int(&b, 1, (int64_t)header->height);
    bind_bytes(&b, 2, hash, sizeof hash);
    bind_bytes(&b, 3, header->prev_hash, sizeof header->prev_hash);
    bind_int(&b, 4, header->block_time);
    bind_int(&b, 5, header->tx_count);
    bind_bytes(&b, 6, header->state_hash, sizeof header->state_hash);
    bind_bytes(&b, 7, encoded_header, sizeof encoded_header);
    index_error error = run(index, &b, "writing a block", why, why_size);
    for (uint32_t i = 0; i < header->tx_count && error == INDEX_OK; i++)
        error = insert_tx(index, block, i, why, why_size);
    for (uint32_t i = 0; i < block->event_count && error == INDEX_OK; i++)
        error = insert_event(index, block, hash, i, why, why_size);
    if (error != INDEX_OK) return error;
    index->height = header->height;
    memcpy(index->last_hash, hash, sizeof hash);
    return INDEX_OK;
}

index_error index_add_blocks(tally_index *index, const tally_block *blocks, uint32_t count, char *why,
                             size_t why_size) {
    assert(index && (blocks || count == 0));
    if (count == 0) return INDEX_OK;
    index_error error = index_transaction_begin(index, why, why_size);
    if (error != INDEX_OK) return error;
    for (uint32_t i = 0; i < count && error == INDEX_OK; i++) error = insert_block(index, &blocks[i], why, why_size);
    if (error == INDEX_OK) return index_transaction_commit(index, why, why_size);
    index_transaction_rollback(index);
    return error;
}

index_error index_add_block(tally_index *index, const tally_block *block, char *why, size_t why_size) {
    assert(index && block);
    return index_add_blocks(index, block, 1, why, why_size);
}

/* Whether the index's last block is the log's block at that height. */
static index_error matches_log(tally_index *index, const tally_blocklog *log, bool *matches, char *why,
                               size_t why_size) {
    *matches = true;
    if (index->height == TALLY_NO_HEIGHT) return INDEX_OK;
    if (index->height >= tally_blocklog_count(log)) {
        *matches = false;
        return INDEX_OK;
    }
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
    tally_chain_failure failure;
    memset(&failure, 0, sizeof failure);
    tally_chain_error chain_error = tally_blocklog_header(log, index->height, &header, hash, &failure);
    if (chain_error != TALLY_CHAIN_OK)
        return fail(INDEX_ERR_LOG, why, why_size, "index: reading the block log: %s", failure.message);
    *matches = memcmp(hash, index->last_hash, TALLY_HASH_BYTES) == 0;
    return INDEX_OK;
}

/* Indexes the log's blocks after the index's tip, committing in batches. */
static index_error add_from_log(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                                void *progress_context, index_catch_up_summary *summary, char *why,
                                size_t why_size) {
    uint64_t count = tally_blocklog_count(log);
    uint64_t first = index->height == TALLY_NO_HEIGHT ? 0 : index->height + 1;
    tally_block block;
    tally_block_init(&block);
    uint64_t batch_blocks = 0, batch_transactions = 0;
    index_error error = INDEX_OK;
    for (uint64_t height = first; height < count && error == INDEX_OK; height++) {
        tally_chain_failure failure;
        memset(&failure, 0, sizeof failure);
        if (tally_blocklog_read(log, height, &block, &failure) != TALLY_CHAIN_OK) {
            error = fail(INDEX_ERR_LOG, why, why_size, "index: reading the block log: %s", failure.message);
            break;
        }
        if (!index->in_transaction) error = index_transaction_begin(index, why, why_size);
        if (error == INDEX_OK) error = insert_block(index, &block, why, why_size);
        if (error != INDEX_OK) break;
        batch_blocks++;
        batch_transactions += block.header.tx_count;
        if (batch_blocks >= BATCH_BLOCKS_MAX || batch_transactions >= BATCH_TRANSACTIONS_MAX ||
            height + 1 == count) {
            error = index_transaction_commit(index, why, why_size);
            if (error != INDEX_OK) break;
            summary->blocks += batch_blocks;
            summary->transactions += batch_transactions;
            batch_blocks = batch_transactions = 0;
        }
        if (progress) progress(progress_context, height, count);
    }
    if (index->in_transaction) index_transaction_rollback(index);
    tally_block_release(&block);
    return error;
}

index_error index_rebuild(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                          void *progress_context, index_catch_up_summary *summary, char *why,
                          size_t why_size) {
    assert(index && log && !index->in_transaction);
    index_catch_up_summary local = {0, 0, true};
    index_error error = index_schema_recreate(index, why, why_size);
    if (error == INDEX_OK)
        error = add_from_log(index, log, progress, progress_context, &local, why, why_size);
    if (summary) *summary = local;
    return error;
}

index_error index_catch_up(tally_index *index, const tally_blocklog *log, tally_progress_fn *progress,
                           void *progress_context, index_catch_up_summary *summary, char *why,
                           size_t why_size) {
    assert(index && log && !index->in_transaction);
    index_catch_up_summary local = {0, 0, false};
    bool matches = true;
    index_error error = index->failed ? index_load_tip(index, why, why_size) : INDEX_OK;
    if (error == INDEX_OK) error = matches_log(index, log, &matches, why, why_size);
    if (error == INDEX_OK && !matches) {
        local.rebuilt = true;
        error = index_schema_recreate(index, why, why_size);
    }
    if (error == INDEX_OK)
        error = add_from_log(index, log, progress, progress_context, &local, why, why_size);
    if (summary) *summary = local;
    return error;
}
