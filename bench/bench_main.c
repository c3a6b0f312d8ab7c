/*
 * bench_main.c: `make bench`. Says what machine it runs on, runs each benchmark,
 * and prints each figure next to its reference measured in the same run (the
 * node's end-to-end rate next to PostgreSQL's on the same workload).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
    /* `tally-bench node`, `batch`, `latency`, `floods`, `verify`, `scale`, `core`,
     * `cluster`, `clearing` or `sim` runs that part alone (all but verify, core and clearing need
     * build/release/tallyd) */
    if (argc == 2 && strcmp(argv[1], "floods") == 0) {
        bench_floods();
        return 0;
    }
    if (argc == 2 && strncmp(argv[1], "core-instructions", 17) == 0) {
        bench_core_counted(strcmp(argv[1], "core-instructions-prepared") == 0);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "core") == 0) {
        double transfers_per_second = 0;
        bench_core(&transfers_per_second);
        return 0;
    }
    /* `tally-bench scale [MEMBERS ...]`: the end-to-end workload at each size (10k,
     * 100k and 1M members by default) */
    if (argc >= 2 && strcmp(argv[1], "scale") == 0) {
        uint32_t sizes[8];
        int count = 0;
        for (int i = 2; i < argc && count < 8; i++) {
            char *end = NULL;
            unsigned long value = strtoul(argv[i], &end, 10);
            if (!end || *end != '\0' || value == 0 || value > UINT32_MAX) {
                fprintf(stderr, "tally-bench scale: %s is not a number of members\n", argv[i]);
                return 2;
            }
            sizes[count++] = (uint32_t)value;
        }
        bench_scale(count, sizes);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "node") == 0) {
        double committed_per_second = 0;
        bench_node(&committed_per_second);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "latency") == 0) {
        bench_latency();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "verify") == 0) {
        bench_chain_verify();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "cluster") == 0) {
        bench_cluster();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "sim") == 0) {
        double transfers_per_second = 0;
        bench_core(&transfers_per_second);
        bench_sim(transfers_per_second);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "clearing") == 0) {
        bench_clearing();
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
    bench_latency();
    double batch_per_second = 0, postgres_batch_per_second = 0;
    bench_batch(&batch_per_second, &postgres_batch_per_second);
    bench_floods();
    bench_chain_verify();
    bench_scale(0, NULL);
    bench_cluster();
    bench_clearing();
    bench_sim(transfers_per_second);
    printf("\nsummary (one core):\n");
    printf("  core transfers applied  %12.0f /s  (keys hashed ahead; target 10,000,000: %.2fx of target)\n",
           transfers_per_second, transfers_per_second / 1e7);
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
