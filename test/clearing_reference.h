/*
 * clearing_reference.h: independent answers to the clearing solver's problem (the
 * circulation of most total flow, src/node/clearing.h), for its tests and its
 * benchmark: GLPK's simplex on the LP written out directly (one column per arc, one
 * balance row per node; not the relax4 model), and exact enumeration of the integer
 * circulations of small graphs; and seeded random obligation graphs.
 */
#ifndef TALLY_TEST_CLEARING_REFERENCE_H
#define TALLY_TEST_CLEARING_REFERENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "node/clearing.h"

/* splitmix64: the next number of a seeded sequence. */
uint64_t reference_next(uint64_t *state);

/* arc_count arcs (at most one between two nodes, either way) on node_count nodes
 * (>= 2), capacities 1..capacity_max, from seed. arc_count must be at most
 * node_count * (node_count - 1) / 2. */
void reference_graph(uint64_t seed, uint32_t node_count, uint32_t arc_count, int64_t capacity_max,
                     clearing_arc *arcs);

/* The LP's optimum: max sum x_i, 0 <= x_i <= capacity_i, in == out at every node,
 * by glp_simplex (the node-arc matrix is totally unimodular: the optimum is an
 * integer). -1 when the simplex fails. */
int64_t reference_lp_optimum(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count);

/* The optimum by enumeration: every integer flow on the arcs outside a spanning
 * forest (the flow on the forest follows from the balance at each node), so
 * prod(capacity + 1) over those arcs cases. -1 when that passes cases_max. */
int64_t reference_enumerated_optimum(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count,
                                     uint64_t cases_max);

#endif
