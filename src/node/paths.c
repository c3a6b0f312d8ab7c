/*
 * paths.c: payment paths across gateways (see paths.h). The pricing follows
 * transfer_cross_apply (src/core/transfer.c) step by step, in its order and with
 * its rounding (fees up, conversions down), so that a path shown is what the core
 * applies; test_paths.c applies every path it prices and compares. It reads the
 * state through the public API only and changes nothing.
 */
#include "node/paths.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 int128;

/* ceil(amount * bps / 10000), as fee_round_up in the core (amount >= 0). */
static int64_t fee_up(int64_t amount, uint32_t bps) {
    assert(amount >= 0 && bps <= TALLY_BPS_ONE);
    return (int64_t)(((int128)amount * bps + (TALLY_BPS_ONE - 1)) / TALLY_BPS_ONE);
}

/* Whole steps of the gateway's rate (whole_steps in the core): of x units of `from`,
 * *sent crosses and *arrived is what it is worth on the other side. */
static bool whole_steps(const tally_gateway *gateway, uint32_t from, int64_t x, int64_t *sent, int64_t *arrived) {
    bool from_a = from == gateway->network_a;
    int64_t rate_from = from_a ? gateway->terms.rate_a : gateway->terms.rate_b;
    int64_t rate_to = from_a ? gateway->terms.rate_b : gateway->terms.rate_a;
    if (rate_from <= 0 || rate_to <= 0 || x < 0) return false;
    int64_t steps = x / rate_from;
    int128 worth = (int128)steps * rate_to;
    if (worth > INT64_MAX) return false;
    *sent = steps * rate_from;
    *arrived = (int64_t)worth;
    return true;
}

/* The health rules of partner_healthy in the core: the partner's RTD now, and the
 * default rate of its last completed period. */
static bool partner_healthy(const tally_gateway_side *side, const tally_network *partner) {
    if (side->min_partner_rtd_bps != 0 && tally_network_rtd_bps(partner) < (int64_t)side->min_partner_rtd_bps)
        return false;
    return side->max_partner_default_bps == 0 || partner->health.default_rate_bps < side->max_partner_default_bps;
}

static int64_t saturating_add(int64_t a, int64_t b) {
    int64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? (b > 0 ? INT64_MAX : INT64_MIN) : sum;
}

/* A path's gateways and the networks it reaches, as walk_path checks them. */
typedef struct {
    uint8_t hop_count;
    const tally_gateway *gateways[TALLY_PATH_HOPS_MAX];
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1];
} walk;

static tally_error walk_path(const tally_state *state, uint32_t from_network, const uint32_t *ids, uint8_t hop_count,
                             walk *w) {
    w->hop_count = hop_count;
    w->networks[0] = from_network;
    for (uint8_t h = 0; h < hop_count; h++) {
        const tally_gateway *g = tally_state_gateway(state, ids[h]);
        if (!g) return TALLY_ERR_GATEWAY_NOT_FOUND;
        if (g->status != TALLY_GATEWAY_OPEN) return TALLY_ERR_GATEWAY_NOT_OPEN;
        if (g->network_a != w->networks[h] && g->network_b != w->networks[h]) return TALLY_ERR_BAD_PATH;
        w->networks[h + 1] = g->network_a == w->networks[h] ? g->network_b : g->network_a;
        for (uint8_t k = 0; k <= h; k++)
            if (w->networks[k] == w->networks[h + 1]) return TALLY_ERR_BAD_PATH;
        w->gateways[h] = g;
    }
    return TALLY_OK;
}

/* One hop of `value` (in `from`'s unit) into the next network, as hop() in the core:
 * TALLY_OK, or its refusal with *available. Fills the hop's figures either way. */
static tally_error price_hop(const tally_state *state, const walk *w, uint8_t h, int64_t value, path_hop *out,
                             int64_t *available) {
    const tally_gateway *g = w->gateways[h];
    uint32_t from = w->networks[h], to = w->networks[h + 1];
    int side = to == g->network_a ? 0 : 1;
    const tally_gateway_side *terms = &g->terms.side[side];
    memset(out, 0, sizeof *out);
    out->gateway_id = g->id, out->from = from, out->to = to;
    tally_key mirror_key = tally_gateway_key(to, from);
    const tally_member *mirror = tally_state_member(state, to, &mirror_key);
    if (!mirror) return TALLY_ERR_GATEWAY_NOT_OPEN;
    bool may_grow = !g->frozen[side] && partner_healthy(terms, tally_state_network(state, from));
    /* What may still arrive: down to -limit, or to zero when no exposure may grow. */
    out->room = may_grow ? saturating_add(mirror->balance, terms->limit) : mirror->balance;
    if (out->room < 0) out->room = 0;
    int64_t sent, arrived;
    if (!whole_steps(g, from, value, &sent, &arrived)) return TALLY_ERR_AMOUNT_OVERFLOW;
    out->arrived = arrived;
    out->fee = fee_up(arrived, terms->fee_bps);
    out->passed_on = arrived - out->fee;
    /* to the next gateway, whole steps of its rate only (the rest stays here) */
    if (h + 1 < w->hop_count) {
        int64_t onward, worth;
        if (!whole_steps(w->gateways[h + 1], to, out->passed_on, &onward, &worth)) return TALLY_ERR_AMOUNT_OVERFLOW;
        out->passed_on = onward;
    }
    int64_t mirror_after;
    if (__builtin_sub_overflow(mirror->balance, arrived, &mirror_after)) return TALLY_ERR_AMOUNT_OVERFLOW;
    out->exposure_grows = mirror_after < 0 && mirror_after < mirror->balance;
    if (out->exposure_grows) {
        if (g->frozen[side]) return TALLY_ERR_GATEWAY_FROZEN;
        if (!partner_healthy(terms, tally_state_network(state, from))) return TALLY_ERR_PARTNER_UNHEALTHY;
        if (mirror_after < -terms->limit) {
            int64_t debt_room = terms->limit + (mirror->balance < 0 ? mirror->balance : 0);
            *available = debt_room > 0 ? debt_room : 0;
            return TALLY_ERR_EXPOSURE_LIMIT;
        }
    }
    if (out->passed_on <= 0) return TALLY_ERR_AMOUNT_TOO_SMALL;
    return TALLY_OK;
}

/* The payee's cap on what it receives (exceeds_cap in the core). */
static tally_error payee_cap(const tally_state *state, uint32_t network_id, const tally_member *payee, int64_t received,
                             int64_t *available) {
    const tally_network *network = tally_state_network(state, network_id);
    int64_t cap = network ? network->policy.positive_cap : 0, after = saturating_add(payee->balance, received);
    if (cap > 0 && after > cap && after > payee->balance) {
        int64_t room = cap - (payee->balance > 0 ? payee->balance : 0);
        *available = room > 0 ? room : 0;
        return TALLY_ERR_CAP_REACHED;
    }
    return TALLY_OK;
}

/* The first leg: a transfer of amount from payer to the first mirror account with a
 * transfer's fees and the payer's floor (payment_check in the core; max_fee is the
 * fee itself, so it never refuses). */
static tally_error first_leg(const tally_network *home, const tally_member *payer, int64_t amount, int64_t *fee,
                             int64_t *available) {
    bool may_borrow = payer->status == TALLY_MEMBER_ACTIVE && payer->line_status == TALLY_LINE_ACTIVE;
    int64_t own;
    if (__builtin_sub_overflow(payer->balance, payer->pending_out, &own)) return TALLY_ERR_AMOUNT_OVERFLOW;
    int64_t spendable_positive = own > 0 ? own : 0;
    int64_t on_credit = amount > spendable_positive ? amount - spendable_positive : 0;
    int64_t risk = may_borrow ? fee_up(on_credit, payer->risk_fee_bps) : 0;
    if (__builtin_add_overflow(fee_up(amount, home->policy.fee_bps), risk, fee)) return TALLY_ERR_AMOUNT_OVERFLOW;
    int64_t total, after, after_held;
    if (__builtin_add_overflow(amount, *fee, &total) || __builtin_sub_overflow(payer->balance, total, &after) ||
        __builtin_sub_overflow(after, payer->pending_out, &after_held))
        return TALLY_ERR_AMOUNT_OVERFLOW;
    int64_t floor = may_borrow ? -payer->limit : 0;
    if (after_held < floor) {
        int64_t headroom;
        *available = __builtin_sub_overflow(own, floor, &headroom) ? INT64_MAX : headroom > 0 ? headroom : 0;
        return tally_member_credit_refusal(payer);
    }
    return TALLY_OK;
}

/* Whether every hop and the payee's cap take `amount` (the payer's credit aside,
 * and a hop too small to pass anything on counted as taking it): the capacity's
 * test, monotone in amount. */
static bool hops_take(const tally_state *state, const walk *w, const tally_member *payee, int64_t amount) {
    int64_t value = amount, available = 0;
    for (uint8_t h = 0; h < w->hop_count; h++) {
        path_hop hop;
        tally_error error = price_hop(state, w, h, value, &hop, &available);
        if (error != TALLY_OK && error != TALLY_ERR_AMOUNT_TOO_SMALL) return false;
        value = hop.passed_on > 0 ? hop.passed_on : 0;
    }
    return payee_cap(state, w->networks[w->hop_count], payee, value, &available) == TALLY_OK;
}

/* The largest amount hops_take accepts, by bisection (0 when none). */
static int64_t capacity_of(const tally_state *state, const walk *w, const tally_member *payee) {
    int64_t low = 0, high = INT64_MAX / 4;
    if (!hops_take(state, w, payee, 1)) return 0;
    low = 1;
    for (int i = 0; i < 80 && low < high; i++) {
        int64_t middle = high - (high - low) / 2;
        if (hops_take(state, w, payee, middle)) low = middle;
        else high = middle - 1;
    }
    return low;
}

/* The pricing of paths_price; the capacity (a bisection, some 60 pricings) only
 * when asked, so that the search computes it for the paths it returns alone. */
static bool price(const tally_state *state, uint32_t from_network, const tally_key *payer_key, const tally_key *payee_key,
                  int64_t amount, const uint32_t *gateways, uint8_t hop_count, bool with_capacity, path_quote *out) {
    assert(state != NULL && payer_key != NULL && payee_key != NULL && out != NULL);
    if (hop_count == 0 || hop_count > TALLY_PATH_HOPS_MAX) return false;
    memset(out, 0, sizeof *out);
    out->hop_count = hop_count;
    out->amount = amount;
    out->refused_hop = -1;
    for (uint8_t h = 0; h < hop_count; h++) out->hops[h].gateway_id = gateways[h];
    const tally_network *home = tally_state_network(state, from_network);
    walk w;
    tally_error error = TALLY_OK;
    if (!home) error = TALLY_ERR_UNKNOWN_NETWORK;
    else if (amount <= 0) error = TALLY_ERR_AMOUNT_NOT_POSITIVE;
    else error = walk_path(state, from_network, gateways, hop_count, &w);
    const tally_member *payer = NULL, *payee = NULL;
    if (error == TALLY_OK) {
        payer = tally_state_member(state, from_network, payer_key);
        if (!payer || payer->status == TALLY_MEMBER_LEFT) error = TALLY_ERR_NOT_MEMBER;
    }
    if (error == TALLY_OK && tally_key_is_system(payee_key)) error = TALLY_ERR_SYSTEM_ACCOUNT;
    if (error == TALLY_OK) {
        payee = tally_state_member(state, w.networks[hop_count], payee_key);
        if (!payee || payee->status == TALLY_MEMBER_LEFT) error = TALLY_ERR_NOT_MEMBER;
    }
    if (error == TALLY_OK) error = first_leg(home, payer, amount, &out->fee, &out->refused_available);
    int64_t value = amount;
    for (uint8_t h = 0; error == TALLY_OK && h < hop_count; h++) {
        error = price_hop(state, &w, h, value, &out->hops[h], &out->refused_available);
        if (error != TALLY_OK) out->refused_hop = h;
        value = out->hops[h].passed_on;
    }
    if (error == TALLY_OK) {
        out->received = value;
        error = payee_cap(state, w.networks[hop_count], payee, value, &out->refused_available);
        if (error != TALLY_OK) out->refused_hop = hop_count;
    }
    out->refusal = error;
    if (payee && with_capacity) out->capacity = capacity_of(state, &w, payee);
    return true;
}

bool paths_price(const tally_state *state, uint32_t from_network, const tally_key *payer, const tally_key *payee,
                 int64_t amount, const uint32_t *gateways, uint8_t hop_count, path_quote *out) {
    return price(state, from_network, payer, payee, amount, gateways, hop_count, true, out);
}

/* The capacity of a quote already priced (its walk held). */
static void add_capacity(const tally_state *state, uint32_t from_network, const tally_key *payee, path_quote *quote) {
    uint32_t ids[TALLY_PATH_HOPS_MAX];
    for (uint8_t h = 0; h < quote->hop_count; h++) ids[h] = quote->hops[h].gateway_id;
    walk w;
    if (walk_path(state, from_network, ids, quote->hop_count, &w) != TALLY_OK) return;
    const tally_member *member = tally_state_member(state, w.networks[quote->hop_count], payee);
    if (member && member->status != TALLY_MEMBER_LEFT) quote->capacity = capacity_of(state, &w, member);
}

/* Better first: more received, then fewer hops, then the smaller gateway ids. */
static int compare_quotes(const path_quote *a, const path_quote *b) {
    if (a->received != b->received) return a->received > b->received ? -1 : 1;
    if (a->hop_count != b->hop_count) return a->hop_count < b->hop_count ? -1 : 1;
    for (uint8_t h = 0; h < a->hop_count; h++)
        if (a->hops[h].gateway_id != b->hops[h].gateway_id) return a->hops[h].gateway_id < b->hops[h].gateway_id ? -1 : 1;
    return 0;
}

static void keep_best(path_list *list, const path_quote *quote) {
    uint32_t at = list->count;
    while (at > 0 && compare_quotes(quote, &list->paths[at - 1]) < 0) at--;
    if (at >= PATHS_RESULTS_MAX) return;
    uint32_t last = list->count < PATHS_RESULTS_MAX ? list->count : PATHS_RESULTS_MAX - 1;
    memmove(&list->paths[at + 1], &list->paths[at], (last - at) * sizeof list->paths[0]);
    list->paths[at] = *quote;
    if (list->count < PATHS_RESULTS_MAX) list->count++;
}

/* A partial path of the breadth-first search. */
typedef struct {
    uint8_t hop_count;
    uint32_t gateways[TALLY_PATH_HOPS_MAX];
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1];
} partial;

/* One direction of an open gateway: from `network` over gateway `id` to `next`. */
typedef struct {
    uint32_t network, id, next;
} edge;

static int compare_edges(const void *a, const void *b) {
    const edge *x = a, *y = b;
    if (x->network != y->network) return x->network < y->network ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

/* The first edge leaving `network` (edges sorted), or count when none. */
static uint32_t first_edge(const edge *edges, uint32_t count, uint32_t network) {
    uint32_t low = 0, high = count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (edges[middle].network < network) low = middle + 1;
        else high = middle;
    }
    return low;
}

static bool visited(const partial *p, uint32_t network) {
    for (uint8_t k = 0; k <= p->hop_count; k++)
        if (p->networks[k] == network) return true;
    return false;
}

void paths_find(const tally_state *state, uint32_t from_network, const tally_key *payer, uint32_t to_network,
                const tally_key *payee, int64_t amount, path_list *out) {
    assert(state != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->refused.refusal = TALLY_OK;
    out->refused.refused_hop = -2; /* none yet */
    /* Both directions of every open gateway, sorted by the network they leave: each
     * step of the search reads only the (at most 64) gateways of its network. */
    uint32_t count = tally_state_gateway_count(state), edge_count = 0;
    edge *edges = count ? malloc((size_t)count * 2 * sizeof *edges) : NULL;
    partial *queue = malloc(PATHS_CANDIDATES_MAX * sizeof *queue);
    if ((count && !edges) || !queue) {
        free(edges), free(queue);
        out->truncated = true;
        return;
    }
    for (uint32_t id = 1; id <= count; id++) {
        const tally_gateway *g = tally_state_gateway(state, id);
        if (!g || g->status != TALLY_GATEWAY_OPEN) continue;
        edges[edge_count++] = (edge){g->network_a, g->id, g->network_b};
        edges[edge_count++] = (edge){g->network_b, g->id, g->network_a};
    }
    if (edge_count) qsort(edges, edge_count, sizeof *edges, compare_edges);
    uint32_t head = 0, tail = 0;
    queue[tail++] = (partial){0, {0}, {from_network}};
    while (head < tail && out->candidates < PATHS_CANDIDATES_MAX) {
        partial p = queue[head++];
        uint32_t here = p.networks[p.hop_count];
        for (uint32_t i = first_edge(edges, edge_count, here); i < edge_count && edges[i].network == here; i++) {
            uint32_t next = edges[i].next;
            if (visited(&p, next)) continue;
            partial longer = p;
            longer.gateways[longer.hop_count++] = edges[i].id;
            longer.networks[longer.hop_count] = next;
            if (next == to_network) {
                if (out->candidates == PATHS_CANDIDATES_MAX) {
                    out->truncated = true;
                    break;
                }
                path_quote quote;
                if (!price(state, from_network, payer, payee, amount, longer.gateways, longer.hop_count, false, &quote))
                    continue;
                out->candidates++;
                if (quote.refusal == TALLY_OK) keep_best(out, &quote);
                else if (quote.refused_hop > out->refused.refused_hop) out->refused = quote;
            } else if (longer.hop_count < TALLY_PATH_HOPS_MAX) {
                if (tail < PATHS_CANDIDATES_MAX) queue[tail++] = longer;
                else out->truncated = true;
            }
        }
    }
    for (uint32_t i = 0; i < out->count; i++) add_capacity(state, from_network, payee, &out->paths[i]);
    if (out->count == 0 && out->candidates > 0) add_capacity(state, from_network, payee, &out->refused);
    free(edges), free(queue);
}
