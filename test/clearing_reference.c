/*
 * clearing_reference.c: the clearing solver's independent references (see
 * clearing_reference.h): the LP by GLPK's simplex, exact enumeration, random graphs.
 */
#include "clearing_reference.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t reference_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void reference_graph(uint64_t seed, uint32_t node_count, uint32_t arc_count, int64_t capacity_max,
                     clearing_arc *arcs) {
    uint64_t random = seed;
    uint32_t made = 0;
    /* rejection of pairs already linked: arc_count stays well below the pairs */
    while (made < arc_count) {
        uint32_t tail = (uint32_t)(reference_next(&random) % node_count);
        uint32_t head = (uint32_t)(reference_next(&random) % node_count);
        bool taken = tail == head;
        for (uint32_t i = 0; i < made && !taken; i++)
            taken = (arcs[i].tail == tail && arcs[i].head == head) || (arcs[i].tail == head && arcs[i].head == tail);
        if (taken) continue;
        int64_t capacity = 1 + (int64_t)(reference_next(&random) % (uint64_t)capacity_max);
        arcs[made++] = (clearing_arc){tail, head, capacity};
    }
}

int64_t reference_lp_optimum(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count) {
    if (arc_count == 0) return 0;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_rows(lp, (int)node_count);
    for (uint32_t v = 1; v <= node_count; v++) glp_set_row_bnds(lp, (int)v, GLP_FX, 0.0, 0.0);
    glp_add_cols(lp, (int)arc_count);
    int *rows = malloc(sizeof *rows * (2u * arc_count + 1u)), *columns = malloc(sizeof *columns * (2u * arc_count + 1u));
    double *values = malloc(sizeof *values * (2u * arc_count + 1u));
    if (!rows || !columns || !values) {
        free(rows), free(columns), free(values);
        glp_delete_prob(lp);
        return -1;
    }
    int entries = 0;
    for (uint32_t i = 0; i < arc_count; i++) {
        int column = (int)i + 1;
        glp_set_col_bnds(lp, column, GLP_DB, 0.0, (double)arcs[i].capacity);
        glp_set_obj_coef(lp, column, 1.0);
        /* row v: what flows in minus what flows out */
        ++entries, rows[entries] = (int)arcs[i].head + 1, columns[entries] = column, values[entries] = 1.0;
        ++entries, rows[entries] = (int)arcs[i].tail + 1, columns[entries] = column, values[entries] = -1.0;
    }
    glp_load_matrix(lp, entries, rows, columns, values);
    glp_smcp parameters;
    glp_init_smcp(&parameters);
    parameters.msg_lev = GLP_MSG_OFF;
    int64_t optimum = -1;
    if (glp_simplex(lp, &parameters) == 0 && glp_get_status(lp) == GLP_OPT)
        optimum = (int64_t)llround(glp_get_obj_val(lp));
    free(rows), free(columns), free(values);
    glp_delete_prob(lp);
    return optimum;
}

int64_t reference_enumerated_optimum(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count,
                                     uint64_t cases_max) {
    uint32_t *parent_arc = malloc(sizeof *parent_arc * node_count), *order = malloc(sizeof *order * node_count);
    bool *reached = calloc(node_count, sizeof *reached), *in_forest = calloc(arc_count + 1u, sizeof *in_forest);
    uint32_t *free_arcs = malloc(sizeof *free_arcs * (arc_count + 1u));
    int64_t *flow = calloc(arc_count + 1u, sizeof *flow), *excess = malloc(sizeof *excess * node_count);
    int64_t best = -1;
    if (!parent_arc || !order || !reached || !in_forest || !free_arcs || !flow || !excess) goto done;
    /* a spanning forest, breadth first; order lists every node after its parent */
    uint32_t ordered = 0;
    for (uint32_t root = 0; root < node_count; root++) {
        if (reached[root]) continue;
        uint32_t next = ordered;
        reached[root] = true, parent_arc[root] = UINT32_MAX, order[ordered++] = root;
        while (next < ordered) {
            uint32_t v = order[next++];
            for (uint32_t i = 0; i < arc_count; i++) {
                uint32_t other = arcs[i].tail == v ? arcs[i].head : arcs[i].head == v ? arcs[i].tail : UINT32_MAX;
                if (other == UINT32_MAX || reached[other]) continue;
                reached[other] = true, parent_arc[other] = i, in_forest[i] = true, order[ordered++] = other;
            }
        }
    }
    uint32_t free_count = 0;
    uint64_t cases = 1;
    for (uint32_t i = 0; i < arc_count; i++) {
        if (in_forest[i]) continue;
        free_arcs[free_count++] = i;
        if (cases > cases_max / (uint64_t)(arcs[i].capacity + 1)) goto done;
        cases *= (uint64_t)(arcs[i].capacity + 1);
    }
    best = 0;
    for (;;) {
        /* the forest's flows from the leaves up */
        memset(excess, 0, sizeof *excess * node_count);
        int64_t total = 0;
        for (uint32_t k = 0; k < free_count; k++) {
            const clearing_arc *a = &arcs[free_arcs[k]];
            excess[a->head] += flow[free_arcs[k]], excess[a->tail] -= flow[free_arcs[k]];
            total += flow[free_arcs[k]];
        }
        bool feasible = true;
        for (uint32_t k = node_count; k-- > 0 && feasible;) {
            uint32_t v = order[k], t = parent_arc[v];
            if (t == UINT32_MAX) {
                feasible = excess[v] == 0;
                continue;
            }
            const clearing_arc *a = &arcs[t];
            int64_t f = a->tail == v ? excess[v] : -excess[v]; /* what balances v */
            feasible = f >= 0 && f <= a->capacity;
            uint32_t up = a->tail == v ? a->head : a->tail;
            excess[up] += a->tail == v ? f : -f;
            total += f;
        }
        if (feasible && total > best) best = total;
        uint32_t k = 0; /* the next case: an odometer over the free arcs */
        while (k < free_count && flow[free_arcs[k]] == arcs[free_arcs[k]].capacity) flow[free_arcs[k++]] = 0;
        if (k == free_count) break;
        flow[free_arcs[k]]++;
    }
done:
    free(parent_arc), free(order), free(reached), free(in_forest), free(free_arcs), free(flow), free(excess);
    return best;
}
