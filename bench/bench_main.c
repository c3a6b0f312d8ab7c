/*
 * bench_main.c: `make bench`. Says what machine it runs on, runs each benchmark,
 * and prints each figure next to its reference measured in the same run (the
 * node's end-to-end rate next to PostgreSQL's on the same workload).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "tally.h"

static void print_machine(void) {
    char model[256] = "unknown CPU";
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    if (cpuinfo) {
        char line[512];
        while (fgets(line, sizeof line, cpuinfo)) {
            if (strncmp(line, "model name", 10) == 0) {
                const char *colon = strchr(line, ':');
                if (colon) snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(cpuinfo);
    }
    printf("machine: %s; compiler: %s; build: -O2\n", model, __VERSION__);
}

int main(int argc, char **argv) {
    if (!tally_crypto_init()) {
        fprintf(stderr, "libsodium failed to initialise\n");
        return 1;
    }
    print_machine();
    /* `tally-bench node`, `tally-bench batch` or `tally-bench floods` runs that part
     * alone (each needs build/release/tallyd) */
    if (argc == 2 && strcmp(argv[1], "floods") == 0) {
        bench_floods();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "node") == 0) {
        double committed_per_second = 0;
        bench_node(&committed_per_second);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "batch") == 0) {
        double batch_per_second = 0, postgres_batch_per_second = 0;
        bench_batch(&batch_per_second, &postgres_batch_per_second);
        return 0;
    }
    double verifications_per_second = 0, transfers_per_second = 0;
    bench_chain(&verifications_per_second);
    bench_core(&transfers_per_second);
    double committed_per_second = 0, postgres_per_second = 0;
    bench_node(&committed_per_second);
    bench_pg(committed_per_second, &postgres_per_second);
    double batch_per_second = 0, postgres_batch_per_second = 0;
    bench_batch(&batch_per_second, &postgres_batch_per_second);
    bench_floods();
    printf("\nsummary (one core):\n");
    printf("  core transfers applied  %12.0f /s  (target 5,000,000: %.2fx of target)\n", transfers_per_second,
           transfers_per_second / 5e6);
    printf("  node, end to end        %12.0f committed transfers/s over HTTP, fsynced\n", committed_per_second);
    if (postgres_per_second > 0)
        printf("  PostgreSQL, same load   %12.0f committed transfers/s over libpq, fsynced: Tally / PostgreSQL = %.2f\n",
               postgres_per_second, committed_per_second / postgres_per_second);
    else
        printf("  PostgreSQL, same load   %12s (skipped: see above)\n", "-");
    if (postgres_batch_per_second > 0)
        printf("  batch payments          %12.0f committed payments/s (batches of %d, one signature each); "
               "PostgreSQL on the same batches %.0f /s: %.2fx (target 5x)\n",
               batch_per_second, BENCH_PAYROLL_LINES, postgres_batch_per_second,
               batch_per_second / postgres_batch_per_second);
    else
        printf("  batch payments          %12.0f committed payments/s (batches of %d, one signature each); "
               "PostgreSQL skipped\n",
               batch_per_second, BENCH_PAYROLL_LINES);
    printf("  Ed25519 verifications   %12.0f /s  (the core applies %.1f transfers per verification)\n",
           verifications_per_second,
           verifications_per_second > 0 ? transfers_per_second / verifications_per_second : 0.0);
    return 0;
}
