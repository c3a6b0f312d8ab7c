/*
 * bench_clearing.c: `tally-bench clearing`. The node's clearing solver
 * (src/node/clearing.c: the circulation by GLPK's out-of-kilter min-cost flow and
 * its decomposition into cycles) on seeded random obligation graphs of 10, 50 and
 * 200 networks (about 2 obligations per network, each of 1 to 100,000 units): the
 * share of obligations removed and the time per graph, next to GLPK's simplex on
 * the same graphs written as an LP (test/clearing_reference.c), measured in the
 * same run, and whether both found the same optimum.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../test/clearing_reference.h"
#include "bench.h"
#include "node/clearing.h"

enum { GRAPHS_PER_SIZE = 20 };

void bench_clearing(void) {
    static const uint32_t sizes[] = {10, 50, 200};
    printf("\nclearing: the most obligation removed around cycles, %d seeded random graphs per size\n",
           GRAPHS_PER_SIZE);
    clearing_arc *arcs = malloc(sizeof *arcs * 3 * 200);
    int64_t *flow = malloc(sizeof *flow * 3 * 200);
    if (!arcs || !flow) {
        free(arcs), free(flow);
        printf("  out of memory\n");
        return;
    }
    /* GLPK sets up its environment on first use: not in either figure */
    reference_graph(1, 10, 12, 100, arcs);
    (void)reference_lp_optimum(10, arcs, 12);
    if (!clearing_circulation(10, arcs, 12, flow, NULL)) printf("  the solver failed on the warm-up graph\n");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t nodes = sizes[s], equal = 0, cycles_total = 0, arcs_total = 0;
        double solver_seconds = 0, lp_seconds = 0;
        int64_t owed = 0, removed = 0;
        for (uint32_t g = 0; g < GRAPHS_PER_SIZE; g++) {
            uint64_t seed = 1000u * nodes + g, random = seed;
            uint32_t arc_count = nodes + (uint32_t)(reference_next(&random) % (2 * nodes));
            reference_graph(seed, nodes, arc_count, 100000, arcs);
            arcs_total += arc_count;
            double start = bench_now_seconds();
            clearing_cycles cycles = {0};
            bool ok = clearing_circulation(nodes, arcs, arc_count, flow, NULL) &&
                      clearing_decompose(nodes, arcs, arc_count, flow, &cycles);
            solver_seconds += bench_now_seconds() - start;
            cycles_total += cycles.cycle_count;
            clearing_cycles_free(&cycles);
            int64_t total = 0;
            for (uint32_t i = 0; i < arc_count; i++) total += flow[i], owed += arcs[i].capacity;
            removed += total;
            start = bench_now_seconds();
            int64_t lp = reference_lp_optimum(nodes, arcs, arc_count);
            lp_seconds += bench_now_seconds() - start;
            equal += ok && lp == total;
        }
        double solver_ms = 1e3 * solver_seconds / GRAPHS_PER_SIZE, lp_ms = 1e3 * lp_seconds / GRAPHS_PER_SIZE;
        printf("  %3u networks, %4u obligations on average: %5.1f%% removed in %4.1f cycles a graph; solver %8.3f ms "
               "a graph, simplex LP %8.3f ms (solver / LP %.2f); same optimum %u/%d\n",
               nodes, arcs_total / GRAPHS_PER_SIZE, owed ? 100.0 * (double)removed / (double)owed : 0.0,
               (double)cycles_total / GRAPHS_PER_SIZE, solver_ms, lp_ms, lp_ms > 0 ? solver_ms / lp_ms : 0.0, equal,
               GRAPHS_PER_SIZE);
    }
    free(arcs), free(flow);
}
