/*
 * clearing.c: the clearing solver (docs/GATEWAYS.md section 5, clearing.h). Three
 * steps: the obligation graph of a state in one common value (weights per network),
 * the circulation of most flow (GLPK's min-cost flow, cost -1 per unit on every arc),
 * and its cycles rounded down to exact amounts and packed into CLEARING bodies.
 * Amounts are integers throughout: GLPK's doubles hold integers below 2^29 only.
 */
#include "node/clearing.h"

#include <assert.h>
#include <glpk.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 int128;

/* GLPK's flow codes work in int: the out-of-kilter method refuses a capacity past
 * INT_MAX (GLP_EDATA) and stops on an overflow of its sums (GLP_ERANGE). Every
 * capacity is kept under INT_MAX / 4, and scaled down further if the search still
 * overflows. */
#define SOLVER_LARGE ((int64_t)(INT_MAX / 4))
#define SCALE_TRIES 8
/* A network's weight stays below this, so weight times a balance fits an int128
 * and a cycle's lcm of weights is computed without overflow checks on the way. */
#define WEIGHT_MAX ((int64_t)1 << 31)

static int64_t saturate(int128 value) {
    if (value > INT64_MAX) return INT64_MAX;
    if (value < INT64_MIN) return INT64_MIN;
    return (int64_t)value;
}

static int128 gcd128(int128 a, int128 b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b != 0) {
        int128 r = a % b;
        a = b, b = r;
    }
    return a;
}

/* ---- the circulation ---- */

typedef struct {
    double capacity, cost, flow;
} solver_arc;

/* One solve with every capacity divided by scale (rounded down): GLPK's status. */
static int solve_scaled(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count, int64_t scale,
                        int64_t *flow) {
    glp_arc **made = malloc(sizeof *made * arc_count);
    glp_graph *graph = made ? glp_create_graph(0, sizeof(solver_arc)) : NULL;
    if (!graph) {
        free(made);
        return GLP_EFAIL;
    }
    glp_add_vertices(graph, (int)node_count);
    for (uint32_t i = 0; i < arc_count; i++) {
        made[i] = glp_add_arc(graph, (int)arcs[i].tail + 1, (int)arcs[i].head + 1);
        solver_arc data = {(double)(arcs[i].capacity / scale), -1.0, 0.0};
        memcpy(made[i]->data, &data, sizeof data);
    }
    double cost = 0;
    int status = glp_mincost_okalg(graph, -1, -1, offsetof(solver_arc, capacity), offsetof(solver_arc, cost), &cost,
                                   offsetof(solver_arc, flow), -1);
    for (uint32_t i = 0; status == 0 && i < arc_count; i++) {
        solver_arc data;
        memcpy(&data, made[i]->data, sizeof data);
        flow[i] = (int64_t)data.flow * scale;
        assert(flow[i] >= 0 && flow[i] <= arcs[i].capacity);
    }
    glp_delete_graph(graph);
    free(made);
    return status;
}

bool clearing_circulation(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count, int64_t *flow,
                          int64_t *scaled_by) {
    assert(node_count <= CLEARING_NODES_MAX && arc_count <= CLEARING_ARCS_MAX);
    assert(arc_count == 0 || (arcs && flow));
    if (scaled_by) *scaled_by = 1;
    if (arc_count == 0) return true;
    memset(flow, 0, sizeof *flow * arc_count);
    int64_t largest = 0;
    for (uint32_t i = 0; i < arc_count; i++) {
        if (arcs[i].tail >= node_count || arcs[i].head >= node_count || arcs[i].tail == arcs[i].head ||
            arcs[i].capacity <= 0)
            return false; /* GLPK refuses loops; the rest is the caller's mistake */
        if (arcs[i].capacity > largest) largest = arcs[i].capacity;
    }
    /* The least scale that brings every capacity within range; larger ones (16
     * times each) while the search overflows, at most SCALE_TRIES times. */
    int64_t scale = largest <= SOLVER_LARGE ? 1 : largest / SOLVER_LARGE + 1;
    int status = GLP_ERANGE;
    for (int attempt = 0; attempt < SCALE_TRIES && status == GLP_ERANGE; attempt++) {
        status = solve_scaled(node_count, arcs, arc_count, scale, flow);
        if (status == GLP_ERANGE) scale = scale > INT64_MAX / 16 ? INT64_MAX : scale * 16;
    }
    if (status != 0) memset(flow, 0, sizeof *flow * arc_count);
    if (scaled_by) *scaled_by = scale;
    return status == 0;
}

/* ---- cycles ---- */

void clearing_cycles_free(clearing_cycles *cycles) {
    free(cycles->cycles);
    free(cycles->arcs);
    *cycles = (clearing_cycles){0};
}

/* Room for one more cycle of `length` arcs. */
static bool cycles_reserve(clearing_cycles *out, uint32_t *cycle_room, uint32_t *arc_room, uint32_t length) {
    if (out->cycle_count == *cycle_room) {
        uint32_t room = *cycle_room ? *cycle_room * 2 : 64;
        clearing_cycle *grown = realloc(out->cycles, sizeof *grown * room);
        if (!grown) return false;
        out->cycles = grown, *cycle_room = room;
    }
    if (out->arc_total + length > *arc_room) {
        uint64_t room = (uint64_t)*arc_room * 2 + length + 256;
        if (room > UINT32_MAX) return false;
        uint32_t *grown = realloc(out->arcs, sizeof *grown * room);
        if (!grown) return false;
        out->arcs = grown, *arc_room = (uint32_t)room;
    }
    return true;
}

typedef struct {
    uint32_t *first_out; /* node_count + 1: arcs with flow leaving node v at out[first_out[v]..] */
    uint32_t *out;
    uint32_t *parent;    /* the arc a search reached a node by */
    uint32_t *seen;      /* the search that reached it last (stamps, so nothing is cleared) */
    uint32_t *queue;
} search_space;

/* The shortest path of arcs with flow left from `from` to `to` (BFS), into
 * path[0..*length-1]; false when there is none. */
static bool shortest_path(search_space *s, const clearing_arc *arcs, const int64_t *left, uint32_t from,
                          uint32_t to, uint32_t stamp, uint32_t *path, uint32_t *length) {
    uint32_t head = 0, tail = 0;
    s->queue[tail++] = from, s->seen[from] = stamp;
    while (head < tail && s->seen[to] != stamp) {
        uint32_t v = s->queue[head++];
        for (uint32_t k = s->first_out[v]; k < s->first_out[v + 1]; k++) {
            uint32_t a = s->out[k], w = arcs[a].head;
            if (left[a] <= 0 || s->seen[w] == stamp) continue;
            s->seen[w] = stamp, s->parent[w] = a, s->queue[tail++] = w;
        }
    }
    if (s->seen[to] != stamp) return false;
    uint32_t n = 0;
    for (uint32_t v = to; v != from; v = arcs[s->parent[v]].tail) path[n++] = s->parent[v];
    for (uint32_t i = 0; i < n / 2; i++) {
        uint32_t swap = path[i];
        path[i] = path[n - 1 - i], path[n - 1 - i] = swap;
    }
    *length = n;
    return true;
}

static bool is_circulation(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count, const int64_t *flow) {
    int128 *net = calloc(node_count ? node_count : 1, sizeof *net);
    if (!net) return false;
    bool ok = true;
    for (uint32_t i = 0; i < arc_count && ok; i++) {
        ok = flow[i] >= 0 && arcs[i].tail < node_count && arcs[i].head < node_count && arcs[i].tail != arcs[i].head;
        if (ok) net[arcs[i].tail] -= flow[i], net[arcs[i].head] += flow[i];
    }
    for (uint32_t v = 0; v < node_count && ok; v++) ok = net[v] == 0;
    free(net);
    return ok;
}

bool clearing_decompose(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count, const int64_t *flow,
                        clearing_cycles *out) {
    assert(node_count <= CLEARING_NODES_MAX && arc_count <= CLEARING_ARCS_MAX);
    *out = (clearing_cycles){0};
    if (!is_circulation(node_count, arcs, arc_count, flow)) return false;
    search_space s = {0};
    int64_t *left = malloc(sizeof *left * (arc_count ? arc_count : 1));
    uint32_t *path = malloc(sizeof *path * (node_count + 1u));
    s.first_out = calloc(node_count + 2u, sizeof *s.first_out);
    s.out = malloc(sizeof *s.out * (arc_count ? arc_count : 1));
    s.parent = malloc(sizeof *s.parent * (node_count + 1u));
    s.seen = calloc(node_count + 1u, sizeof *s.seen);
    s.queue = malloc(sizeof *s.queue * (node_count + 1u));
    bool ok = left && path && s.first_out && s.out && s.parent && s.seen && s.queue;
    if (ok) {
        memcpy(left, flow, sizeof *left * arc_count);
        for (uint32_t i = 0; i < arc_count; i++)
            if (flow[i] > 0) s.first_out[arcs[i].tail + 1]++;
        for (uint32_t v = 0; v < node_count; v++) s.first_out[v + 1] += s.first_out[v];
        uint32_t *fill = s.seen; /* borrowed as the fill cursor, then cleared */
        for (uint32_t i = 0; i < arc_count; i++)
            if (flow[i] > 0) s.out[s.first_out[arcs[i].tail] + fill[arcs[i].tail]++] = i;
        memset(s.seen, 0, sizeof *s.seen * (node_count + 1u));
    }
    uint32_t cycle_room = 0, arc_room = 0, stamp = 0;
    /* Each cycle empties at least one arc: at most arc_count of them. */
    for (uint32_t e = 0; ok && e < arc_count; e++) {
        while (ok && left[e] > 0) {
            uint32_t length = 0;
            ok = ++stamp != 0 && shortest_path(&s, arcs, left, arcs[e].head, arcs[e].tail, stamp, path, &length) &&
                 cycles_reserve(out, &cycle_room, &arc_room, length + 1);
            if (!ok) break;
            clearing_cycle *cycle = &out->cycles[out->cycle_count++];
            *cycle = (clearing_cycle){out->arc_total, length + 1, left[e]};
            out->arcs[out->arc_total++] = e;
            for (uint32_t k = 0; k < length; k++) {
                out->arcs[out->arc_total++] = path[k];
                if (left[path[k]] < cycle->flow) cycle->flow = left[path[k]];
            }
            for (uint32_t k = 0; k < cycle->length; k++) left[out->arcs[cycle->first + k]] -= cycle->flow;
            assert(cycle->flow > 0);
        }
    }
    free(left), free(path), free(s.first_out), free(s.out), free(s.parent), free(s.seen), free(s.queue);
    if (!ok) clearing_cycles_free(out);
    return ok;
}

/* ---- the obligation graph of a state ---- */

/* An open gateway with an obligation: tail owes head; the tail's mirror account
 * can fall by owed_tail (tail units), the head's by owed_head (head units);
 * rate_tail units of tail are worth rate_head units of head. */
typedef struct {
    uint32_t gateway_id, tail_network, head_network;
    uint32_t tail, head; /* compact node numbers */
    int64_t owed_tail, owed_head, rate_tail, rate_head;
    bool kept;
} obligation;

static int64_t mirror_balance(const tally_state *state, uint32_t network, uint32_t partner) {
    tally_key key = tally_gateway_key(network, partner);
    const tally_member *m = tally_state_member(state, network, &key);
    return m ? m->balance : 0;
}

/* The obligations of the state's open gateways, each network numbered once. */
static bool obligations_of(const tally_state *state, obligation **out, uint32_t *count, uint32_t *node_count) {
    uint32_t gateways = tally_state_gateway_count(state), networks = tally_state_network_count(state);
    obligation *list = malloc(sizeof *list * (gateways ? gateways : 1));
    uint32_t *node_of = malloc(sizeof *node_of * (networks + 1u));
    if (!list || !node_of) {
        free(list), free(node_of);
        return false;
    }
    for (uint32_t i = 0; i <= networks; i++) node_of[i] = UINT32_MAX;
    uint32_t n = 0, nodes = 0;
    for (uint32_t id = 1; id <= gateways; id++) {
        const tally_gateway *g = tally_state_gateway(state, id);
        if (!g || g->status != TALLY_GATEWAY_OPEN || g->network_a > networks || g->network_b > networks) continue;
        int64_t in_a = mirror_balance(state, g->network_a, g->network_b);
        int64_t in_b = mirror_balance(state, g->network_b, g->network_a);
        obligation o = {id, 0, 0, 0, 0, 0, 0, 0, 0, true};
        if (in_a > 0 && in_b < 0) /* A owes B */
            o = (obligation){id, g->network_a, g->network_b, 0, 0, in_a, -in_b, g->terms.rate_a, g->terms.rate_b, true};
        else if (in_a < 0 && in_b > 0)
            o = (obligation){id, g->network_b, g->network_a, 0, 0, in_b, -in_a, g->terms.rate_b, g->terms.rate_a, true};
        else
            continue;
        assert(o.rate_tail > 0 && o.rate_head > 0);
        uint32_t ends[2] = {o.tail_network, o.head_network};
        for (int k = 0; k < 2; k++)
            if (node_of[ends[k]] == UINT32_MAX) node_of[ends[k]] = nodes++;
        o.tail = node_of[o.tail_network], o.head = node_of[o.head_network];
        list[n++] = o;
    }
    free(node_of);
    *out = list, *count = n, *node_count = nodes;
    return true;
}

/*
 * Weights: what one unit of each network is worth, integral, so that every gateway
 * of the spanning forest conserves value (rate_tail * w_tail == rate_head * w_head).
 * A breadth-first search from each unweighted network sets them along the forest's
 * gateways, scaling its component up when a rate needs it; a gateway whose weight
 * would pass WEIGHT_MAX is not a forest edge. Then every other gateway either
 * agrees with the weights or is dropped (kept = false): around a cycle through it
 * the product of rates is not 1, so no exact amounts could clear it while every
 * network's legs balance; the forest chosen decides which gateway of an
 * inconsistent cycle goes. Gateways between two components are dropped too (their
 * forest edge overflowed). Each component's weights are then divided by their gcd.
 *
 * weigh_component: the component of `root` (not yet weighed), breadth first over the incidence
 * lists first/edges, numbered `id`; queue receives its networks. A factor above 1
 * at least doubles the largest weight, which stays below WEIGHT_MAX: at most 31
 * rescalings of the component.
 */
static void weigh_component(const obligation *list, const uint32_t *first, const uint32_t *edges, uint32_t root,
                            uint32_t id, int64_t *weight, uint32_t *component, uint32_t *queue) {
    uint32_t head = 0, tail = 0;
    int64_t largest = 1;
    queue[tail++] = root, weight[root] = 1, component[root] = id;
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = first[v]; k < first[v + 1]; k++) {
            const obligation *o = &list[edges[k]];
            bool from_tail = o->tail == v;
            uint32_t w = from_tail ? o->head : o->tail;
            if (weight[w] != 0) continue;
            /* rate_v * weight[v] == rate_w * weight[w], scaling the component by factor */
            int128 value = (int128)(from_tail ? o->rate_tail : o->rate_head) * weight[v];
            int64_t rate_w = from_tail ? o->rate_head : o->rate_tail;
            int128 factor = rate_w / gcd128(value, rate_w);
            if (factor >= WEIGHT_MAX || (int128)largest * factor >= WEIGHT_MAX) continue;
            int128 weight_w = value * factor / rate_w; /* value < 2^94, factor < 2^31 */
            if (weight_w >= WEIGHT_MAX) continue;
            if (factor > 1)
                for (uint32_t q = 0; q < tail; q++) weight[queue[q]] *= (int64_t)factor;
            largest *= (int64_t)factor;
            if (weight_w > largest) largest = (int64_t)weight_w;
            weight[w] = (int64_t)weight_w, component[w] = id, queue[tail++] = w;
        }
    }
    int128 common = 0;
    for (uint32_t q = 0; q < tail; q++) common = gcd128(common, weight[queue[q]]);
    for (uint32_t q = 0; q < tail; q++) weight[queue[q]] /= (int64_t)common;
}

static bool weigh(obligation *list, uint32_t count, uint32_t node_count, int64_t *weight, uint32_t *dropped) {
    uint32_t *first = calloc(node_count + 1u, sizeof *first), *edges = malloc(sizeof *edges * (2u * count + 1u));
    uint32_t *queue = malloc(sizeof *queue * (node_count + 1u)), *fill = calloc(node_count + 1u, sizeof *fill);
    uint32_t *component = malloc(sizeof *component * (node_count + 1u));
    bool ok = first && edges && queue && fill && component;
    if (ok) {
        for (uint32_t i = 0; i < count; i++) first[list[i].tail + 1]++, first[list[i].head + 1]++;
        for (uint32_t v = 0; v < node_count; v++) first[v + 1] += first[v];
        for (uint32_t i = 0; i < count; i++) {
            edges[first[list[i].tail] + fill[list[i].tail]++] = i;
            edges[first[list[i].head] + fill[list[i].head]++] = i;
        }
        for (uint32_t v = 0; v < node_count; v++) weight[v] = 0;
        uint32_t components = 0;
        for (uint32_t root = 0; root < node_count; root++)
            if (weight[root] == 0) weigh_component(list, first, edges, root, components++, weight, component, queue);
        for (uint32_t i = 0; i < count; i++) {
            obligation *o = &list[i];
            o->kept = component[o->tail] == component[o->head] &&
                      (int128)o->rate_tail * weight[o->tail] == (int128)o->rate_head * weight[o->head];
            if (!o->kept) (*dropped)++;
        }
    }
    free(first), free(edges), free(queue), free(fill), free(component);
    return ok;
}

/* ---- packing ---- */

typedef struct {
    tally_tx_clearing *bodies;
    uint32_t count, room, first_open; /* bodies before first_open have no room for a cycle */
} packer;

/* Adds a cycle's set-offs to the first body with room for them all (a gateway
 * already there adds its amounts), or to a new body. */
static bool pack(packer *p, const tally_setoff *setoffs, uint32_t length) {
    assert(length >= 2 && length <= TALLY_CLEARING_SETOFFS_MAX);
    uint32_t target = p->count;
    for (uint32_t b = p->first_open; b < p->count && target == p->count; b++) {
        const tally_tx_clearing *body = &p->bodies[b];
        uint32_t added = 0;
        for (uint32_t i = 0; i < length; i++) {
            bool there = false;
            for (uint8_t k = 0; k < body->count && !there; k++) there = body->setoffs[k].gateway_id == setoffs[i].gateway_id;
            added += !there;
        }
        if (body->count + added <= TALLY_CLEARING_SETOFFS_MAX) target = b;
    }
    if (target == p->count) {
        if (p->count == p->room) {
            uint32_t room = p->room ? p->room * 2 : 16;
            tally_tx_clearing *grown = realloc(p->bodies, sizeof *grown * room);
            if (!grown) return false;
            p->bodies = grown, p->room = room;
        }
        memset(&p->bodies[p->count++], 0, sizeof *p->bodies);
    }
    tally_tx_clearing *body = &p->bodies[target];
    for (uint32_t i = 0; i < length; i++) {
        uint8_t k = 0;
        while (k < body->count && body->setoffs[k].gateway_id != setoffs[i].gateway_id) k++;
        if (k == body->count) body->setoffs[body->count++] = (tally_setoff){setoffs[i].gateway_id, 0, 0};
        /* within the mirror accounts' balances: no overflow */
        body->setoffs[k].amount_a += setoffs[i].amount_a;
        body->setoffs[k].amount_b += setoffs[i].amount_b;
    }
    while (p->first_open < p->count && p->bodies[p->first_open].count > TALLY_CLEARING_SETOFFS_MAX - 2) p->first_open++;
    return true;
}

/* ---- the plan ---- */

void clearing_plan_free(clearing_plan *plan) {
    free(plan->transactions);
    *plan = (clearing_plan){0};
}

/* A cycle's flow rounded down to what is exact in every network on it (a multiple
 * of each weight), then its set-offs; false when it rounds to nothing. */
static bool cycle_setoffs(const clearing_cycles *cycles, const clearing_cycle *cycle, const obligation *kept,
                          const int64_t *weight, int64_t *exact, tally_setoff *setoffs) {
    int128 step = 1;
    for (uint32_t k = 0; k < cycle->length && step <= cycle->flow; k++) {
        int64_t w = weight[kept[cycles->arcs[cycle->first + k]].tail];
        step = step / gcd128(step, w) * w;
    }
    *exact = step > cycle->flow ? 0 : (int64_t)(cycle->flow / step * step);
    if (*exact == 0 || cycle->length > TALLY_CLEARING_SETOFFS_MAX) return *exact != 0;
    for (uint32_t k = 0; k < cycle->length; k++) {
        const obligation *o = &kept[cycles->arcs[cycle->first + k]];
        int64_t in_tail = *exact / weight[o->tail], in_head = *exact / weight[o->head];
        assert(in_tail <= o->owed_tail && in_head <= o->owed_head);
        assert((int128)in_tail * o->rate_head == (int128)in_head * o->rate_tail);
        setoffs[k] = (tally_setoff){o->gateway_id, in_tail, in_head};
    }
    return true;
}

bool clearing_plan_make(const tally_state *state, clearing_plan *out) {
    assert(state && out);
    *out = (clearing_plan){0};
    out->scaled_by = 1;
    obligation *list = NULL;
    uint32_t count = 0, node_count = 0;
    if (!obligations_of(state, &list, &count, &node_count)) return false;
    int64_t *weight = malloc(sizeof *weight * (node_count + 1u));
    clearing_arc *arcs = malloc(sizeof *arcs * (count + 1u));
    obligation *kept = malloc(sizeof *kept * (count + 1u));
    int64_t *flow = malloc(sizeof *flow * (count + 1u));
    clearing_cycles cycles = {0};
    packer p = {0};
    bool ok = weight && arcs && kept && flow && weigh(list, count, node_count, weight, &out->gateways_dropped);
    uint32_t arc_count = 0;
    int128 before = 0;
    for (uint32_t i = 0; ok && i < count; i++) {
        if (!list[i].kept) continue;
        int128 by_tail = (int128)list[i].owed_tail * weight[list[i].tail];
        int128 by_head = (int128)list[i].owed_head * weight[list[i].head];
        arcs[arc_count] = (clearing_arc){list[i].tail, list[i].head, saturate(by_tail < by_head ? by_tail : by_head)};
        before += arcs[arc_count].capacity;
        kept[arc_count++] = list[i];
    }
    out->obligation_before = saturate(before);
    ok = ok && clearing_circulation(node_count, arcs, arc_count, flow, &out->scaled_by) &&
         clearing_decompose(node_count, arcs, arc_count, flow, &cycles);
    int128 removed = 0, unpacked = 0, rounded = 0;
    for (uint32_t c = 0; ok && c < cycles.cycle_count; c++) {
        const clearing_cycle *cycle = &cycles.cycles[c];
        tally_setoff setoffs[TALLY_CLEARING_SETOFFS_MAX];
        int64_t exact = 0;
        bool clears = cycle_setoffs(&cycles, cycle, kept, weight, &exact, setoffs);
        rounded += (int128)(cycle->flow - exact) * cycle->length;
        if (!clears) continue;
        if (cycle->length > TALLY_CLEARING_SETOFFS_MAX) {
            out->long_cycles++, unpacked += (int128)exact * cycle->length;
            continue;
        }
        /* set-offs name each gateway's side a first */
        for (uint32_t k = 0; k < cycle->length; k++) {
            const obligation *o = &kept[cycles.arcs[cycle->first + k]];
            const tally_gateway *g = tally_state_gateway(state, o->gateway_id);
            if (g->network_a != o->tail_network) {
                int64_t swap = setoffs[k].amount_a;
                setoffs[k].amount_a = setoffs[k].amount_b, setoffs[k].amount_b = swap;
            }
        }
        ok = pack(&p, setoffs, cycle->length);
        out->cycles++, removed += (int128)exact * cycle->length;
    }
    out->removed = saturate(removed), out->unpacked = saturate(unpacked), out->rounded_off = saturate(rounded);
    clearing_cycles_free(&cycles);
    free(list), free(weight), free(arcs), free(kept), free(flow);
    if (!ok) {
        free(p.bodies);
        *out = (clearing_plan){0};
        return false;
    }
    out->transactions = p.bodies, out->transaction_count = p.count;
    return true;
}
