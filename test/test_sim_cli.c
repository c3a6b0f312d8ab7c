/*
 * test_sim_cli.c: the tally-sim command (build/release/tally-sim, which `make test`
 * builds first) as an operator meets it: --help teaches every scenario, every
 * refusal says what to fix and exits non-zero, and a run of two policies writes a
 * CSV per policy (a line per day), the summary and the HTML report, and prints the
 * rates and the summary table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "sim/sim.h"
#include "test.h"

#define TALLY_SIM "build/release/tally-sim"

/* Runs the command line (stderr joined to stdout); its exit code and output. */
static int run_sim(const char *arguments, char *out, size_t size) {
    char command[2048];
    snprintf(command, sizeof command, "%s %s 2>&1", TALLY_SIM, arguments);
    FILE *pipe = popen(command, "r");
    if (!pipe) return -1;
    size_t length = fread(out, 1, size - 1, pipe);
    out[length] = '\0';
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long count_lines(const char *path) {
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    long lines = 0;
    int c;
    while ((c = fgetc(file)) != EOF)
        if (c == '\n') lines++;
    fclose(file);
    return lines;
}

static bool write_text(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    if (!file) return false;
    fputs(text, file);
    return fclose(file) == 0;
}

/* What these tests write under dir: the policy files they make, and a run's report
 * in dir/out (temp_dir_remove then removes dir itself). */
static void remove_report(const char *dir) {
    static const char *const made[] = {"bad.json", "twin.json"};
    static const char *const report[] = {"cautious.csv", "reserve-backed.csv", "summary.csv", "report.html"};
    char path[TEMP_DIR_BYTES + 64];
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, made[i]);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof report / sizeof *report; i++) {
        snprintf(path, sizeof path, "%s/out/%s", dir, report[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/out", dir);
    rmdir(path);
}

TEST(sim_cli_help_teaches_and_refusals_say_what_to_fix) {
    REQUIRE(access(TALLY_SIM, X_OK) == 0);
    static char out[65536];
    CHECK_EQ(run_sim("--help", out, sizeof out), 0);
    for (uint32_t i = 0; i < sim_scenario_builtin_count(); i++) CHECK(strstr(out, sim_scenario_builtin(i)->name));
    CHECK(strstr(out, "--policy FILE"));
    CHECK(strstr(out, "the same seed, the same report"));
    CHECK_EQ(run_sim("--scenario baseline", out, sizeof out), 2);
    CHECK(strstr(out, "give at least one --policy FILE"));
    CHECK_EQ(run_sim("--policy sim/policies/cautious.json --years 0", out, sizeof out), 2);
    CHECK(strstr(out, "--years must be a whole number from 1 to"));
    CHECK_EQ(run_sim("--policy sim/policies/cautious.json --frobnicate 1", out, sizeof out), 2);
    CHECK(strstr(out, "unknown option --frobnicate"));
    CHECK_EQ(run_sim("--policy sim/policies/cautious.json --scenario flood", out, sizeof out), 1);
    CHECK(strstr(out, "no scenario \"flood\""));
    CHECK_EQ(run_sim("--policy sim/policies/missing.json", out, sizeof out), 1);
    CHECK(strstr(out, "cannot open sim/policies/missing.json"));

    char dir[TEMP_DIR_BYTES], path[TEMP_DIR_BYTES + 64], args[1024];
    temp_dir_make(dir);
    snprintf(path, sizeof path, "%s/bad.json", dir);
    REQUIRE(write_text(path, "{\"name\":\"bad\",\"sim\":{\"memebers\":10}}"));
    snprintf(args, sizeof args, "--policy %s", path);
    CHECK_EQ(run_sim(args, out, sizeof out), 1);
    CHECK(strstr(out, "sim has no field \"memebers\""));
    snprintf(path, sizeof path, "%s/twin.json", dir);
    REQUIRE(write_text(path, "{\"name\":\"cautious\"}"));
    snprintf(args, sizeof args, "--policy sim/policies/cautious.json --policy %s", path);
    CHECK_EQ(run_sim(args, out, sizeof out), 1);
    CHECK(strstr(out, "two policies are named \"cautious\""));
    remove_report(dir);
    temp_dir_remove(dir);
}

TEST(sim_cli_two_policies_write_their_csvs_the_summary_and_the_report) {
    REQUIRE(access(TALLY_SIM, X_OK) == 0);
    static char out[65536];
    char dir[TEMP_DIR_BYTES], args[1024], path[TEMP_DIR_BYTES + 64];
    temp_dir_make(dir);
    snprintf(args, sizeof args,
             "--policy sim/policies/cautious.json --policy sim/policies/reserve-backed.json --scenario "
             "defaults-5pct --days 60 --seed 7 --out %s/out",
             dir);
    CHECK_EQ(run_sim(args, out, sizeof out), 0);
    CHECK(strstr(out, "scenario defaults-5pct, 60 days, seed 7"));
    CHECK(strstr(out, "policy cautious: "));
    CHECK(strstr(out, "transactions/s"));
    CHECK(strstr(out, "cautious  reserve-backed") || strstr(out, "cautious    reserve-backed"));
    CHECK(strstr(out, "redeemable at par"));
    snprintf(path, sizeof path, "%s/out/cautious.csv", dir);
    CHECK_EQ(count_lines(path), 61); /* the header and 60 days */
    snprintf(path, sizeof path, "%s/out/reserve-backed.csv", dir);
    CHECK_EQ(count_lines(path), 61);
    snprintf(path, sizeof path, "%s/out/summary.csv", dir);
    CHECK_EQ(count_lines(path), 21); /* the header and 20 figures */
    snprintf(path, sizeof path, "%s/out/report.html", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 50000); /* uPlot is inlined */
    remove_report(dir);
    temp_dir_remove(dir);
}
