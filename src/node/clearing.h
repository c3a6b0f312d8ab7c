/*
 * clearing.h: the clearing solver (docs/GATEWAYS.md section 5). From the state it
 * builds the graph of obligations between networks (an arc A->B when A owes B over
 * an open gateway), finds the circulation that removes the most obligation with
 * GLPK's integral min-cost flow, and turns it into exact
 * integral set-offs, decomposed into cycles and packed into CLEARING transactions
 * of at most TALLY_CLEARING_SETOFFS_MAX set-offs, each of which the core accepts by
 * itself. GLPK is GPLv3: this stays in the node (tallyd and the tests link
 * -lglpk); the core only checks clearings, whoever computed them.
 *
 * The abstract layer (clearing_circulation, clearing_decompose) takes any graph of
 * integral capacities; clearing_plan_make applies it to a state. Nothing here is
 * thread-safe across calls sharing a plan; separate calls may run on separate
 * threads (GLPK keeps its environment per thread).
 */
#ifndef TALLY_NODE_CLEARING_H
#define TALLY_NODE_CLEARING_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"

/* Bounds of one problem: nodes and arcs handed to the solver. A chain has at most
 * TALLY_GATEWAYS_MAX gateways; a plan covers the open ones with obligations. */
#define CLEARING_NODES_MAX (1u << 20)
#define CLEARING_ARCS_MAX TALLY_GATEWAYS_MAX

/* An obligation: tail owes head up to capacity (> 0), in the common value unit. */
typedef struct {
    uint32_t tail, head; /* 0..node_count-1, tail != head */
    int64_t capacity;
} clearing_arc;

/*
 * The circulation of most total flow (sum of flow over arcs) with 0 <= flow[i] <=
 * arcs[i].capacity and, at every node, as much flowing in as out: min-cost flow of
 * cost -1 per unit on every arc, every supply 0, exact in integers. The solver is
 * glp_mincost_okalg (out-of-kilter), not glp_mincost_relax4: Debian's GLPK 5.0
 * ships RELAX-IV as a stub that aborts the process ("temporarily disabled due to
 * licensing problems"). It computes in int: when a capacity passes INT_MAX/4 (or
 * the search overflows) all are divided by the least factor that brings them
 * within (rounding down) and the flow multiplied back, then feasible but not
 * necessarily the most (measured: within a few parts in a million).
 * *scaled_by (may be NULL) says the factor (1: exact). false when an arc is a loop,
 * has no capacity or a node out of range, memory is short or the solver fails
 * (flow zero then).
 */
TALLY_MUST_CHECK bool clearing_circulation(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count,
                                           int64_t *flow, int64_t *scaled_by);

/* A circulation as cycles: cycle i is arcs[cycle.first .. cycle.first+length-1]
 * (indices into the graph's arcs, each arc's head the next one's tail) carrying
 * `flow` on each of them. */
typedef struct {
    uint32_t first, length;
    int64_t flow;
} clearing_cycle;
typedef struct {
    clearing_cycle *cycles;
    uint32_t cycle_count;
    uint32_t *arcs;
    uint32_t arc_total;
} clearing_cycles;

/* Decomposes a circulation (flow[i] on arcs[i], balanced at every node) into simple
 * cycles whose flows sum to it on every arc: repeatedly the arc of lowest index
 * with flow left and the shortest path (in arcs) back from its head to its tail, so
 * cycles are short (what packs into transactions). false when memory is short or
 * the flow is not a circulation. Free with clearing_cycles_free. */
TALLY_MUST_CHECK bool clearing_decompose(uint32_t node_count, const clearing_arc *arcs, uint32_t arc_count,
                                         const int64_t *flow, clearing_cycles *out);
void clearing_cycles_free(clearing_cycles *cycles);

/*
 * A plan for a state. Totals are in value units: each connected group of networks
 * gets integral weights (what one unit of each is worth, from the rates of a
 * spanning forest, reduced by their gcd), so for networks at 1:1 a value unit is
 * their unit. An arc's obligation is the least of what its two mirror accounts
 * allow, in value.
 */
typedef struct {
    tally_tx_clearing *transactions; /* bodies, each accepted by the core by itself */
    uint32_t transaction_count;
    int64_t obligation_before; /* sum of the arcs' obligations */
    int64_t removed;           /* by the transactions: sum over set-offs of their value */
    uint32_t cycles;           /* cycles packed into the transactions */
    uint32_t long_cycles;      /* cycles of more than TALLY_CLEARING_SETOFFS_MAX gateways, left out */
    int64_t unpacked;          /* what those would have removed */
    int64_t rounded_off;       /* lost to rounding cycles down to exact amounts */
    uint32_t gateways_dropped; /* open gateways with obligations left out: rate inconsistent with the forest's */
    int64_t scaled_by;         /* 1, or the factor clearing_circulation divided capacities by */
} clearing_plan;

/* The plan that removes the most obligation from the state. false (an empty plan,
 * nothing to free) when memory is short or the solver fails. */
TALLY_MUST_CHECK bool clearing_plan_make(const tally_state *state, clearing_plan *out);
void clearing_plan_free(clearing_plan *plan);

#endif
