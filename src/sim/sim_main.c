/*
 * sim_main.c: `tally-sim`, the policy simulator's command line. It reads the
 * policies and the scenario, runs each policy through the scenario with the same
 * seed (one after another, with a progress bar on a terminal), writes each run's
 * CSV, the summary's CSV and the HTML report into --out, and prints the summary
 * table and how fast the core went.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/sim.h"

#ifndef TALLY_WEB_DIR
#define TALLY_WEB_DIR "web"
#endif

#define POLICIES_MAX 8u

static void usage(FILE *out) {
    fprintf(out,
            "tally-sim: will this network's rules survive defaults and a run on its reserve?\n"
            "\n"
            "Runs the real Tally core (every transaction through tally_apply, every block end\n"
            "through tally_end_block) over a generated economy, one block per simulated day, for\n"
            "each policy given, with the same seed, and compares what happens.\n"
            "\n"
            "usage: tally-sim --policy FILE [--policy FILE ...] [--scenario NAME|FILE]\n"
            "                 [--years N | --days N] [--seed N] [--out DIR] [--quiet]\n"
            "\n"
            "  --policy FILE     a policy file (JSON; sim/README.md, examples in sim/policies/):\n"
            "                    the network policy under test and the economy it governs. Give\n"
            "                    2 to %u to compare them side by side.\n"
            "  --scenario S      a built-in scenario (below) or a scenario file (sim/scenarios/);\n"
            "                    default: baseline\n"
            "  --years N         simulated years of 365 days (default 3); --days N for days\n"
            "  --seed N          the economy's seed (default 1): the same seed, the same report\n"
            "  --out DIR         where the report goes (default sim-report): POLICY.csv per policy\n"
            "                    (one line per day), summary.csv, report.html (self-contained)\n"
            "  --web DIR         the web app's directory, for the plot library (default: the\n"
            "                    build's %s)\n"
            "  --quiet           no progress bar\n"
            "\n"
            "Scenarios:\n",
            POLICIES_MAX, TALLY_WEB_DIR);
    for (uint32_t i = 0; i < sim_scenario_builtin_count(); i++) {
        const sim_scenario *s = sim_scenario_builtin(i);
        fprintf(out, "  %-17s ", s->name);
        /* Wrap the description at about 64 columns. */
        const char *text = s->description;
        int column = 0;
        while (*text) {
            const char *space = strchr(text, ' ');
            int word = space ? (int)(space - text) : (int)strlen(text);
            if (column > 0 && column + word > 62) {
                fprintf(out, "\n  %-17s ", "");
                column = 0;
            }
            fprintf(out, "%.*s%s", word, text, space ? " " : "");
            column += word + 1;
            text += word + (space ? 1 : 0);
        }
        fputc('\n', out);
    }
    fprintf(out,
            "\n"
            "Each day: members trade (skewed toward busy members, by sector, with seasons), the\n"
            "diligent ones keep their lines compliant, the rest let the rules judge them; the chain\n"
            "renews, freezes and defaults lines at their periods' ends; operators send fees to the\n"
            "pool and clear cycles of obligations between networks. Amounts are the network's unit\n"
            "(2 decimals), pegged 1:1 to the reserve asset.\n"
            "\n"
            "example: tally-sim --policy sim/policies/cautious.json --policy sim/policies/generous.json \\\n"
            "           --scenario defaults-5pct --years 3 --seed 7 --out report/\n");
}

static bool parse_u64(const char *text, uint64_t max, uint64_t *out) {
    if (!text || !*text) return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || *end || text[0] == '-' || value > max) return false;
    *out = value;
    return true;
}

static char *slurp(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    char *text = NULL;
    size_t length = 0;
    if (fseek(file, 0, SEEK_END) == 0) {
        long size = ftell(file);
        if (size >= 0 && fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1))) {
            length = fread(text, 1, (size_t)size, file);
            text[length] = '\0';
        }
    }
    fclose(file);
    return text;
}

typedef struct {
    const char *name;
    bool bar;
    uint32_t last_percent;
} progress_state;

static void progress(void *context, uint32_t day, uint32_t days) {
    progress_state *p = context;
    if (!p->bar) return;
    uint32_t percent = (uint32_t)((uint64_t)day * 100 / days);
    if (percent == p->last_percent && day != days) return;
    p->last_percent = percent;
    char bar[31];
    uint32_t filled = percent * 30 / 100;
    for (uint32_t i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%-16.16s [%s] %3u%%  day %u of %u", p->name, bar, percent, day, days);
    if (day == days) fputc('\n', stderr);
    fflush(stderr);
}

/* A policy's name as a file name: letters, digits, '.', '-' and '_' kept. */
static void file_name(const char *name, char *out, size_t size) {
    size_t n = 0;
    for (const char *c = name; *c && n + 1 < size; c++) {
        bool keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                    *c == '-' || *c == '_';
        out[n++] = keep ? *c : '_';
    }
    out[n] = '\0';
}

static bool write_file(const char *dir, const char *name, bool (*writer)(FILE *, const void *), const void *what) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "tally-sim: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = writer(out, what);
    if (fclose(out) != 0) ok = false;
    if (!ok) fprintf(stderr, "tally-sim: writing %s failed\n", path);
    return ok;
}

static bool csv_writer(FILE *out, const void *what) { return sim_write_csv(out, what); }

typedef struct {
    const sim_result *results;
    uint32_t count;
    const sim_scenario *scenario;
    const sim_options *options;
    const char *uplot_js, *uplot_css;
} report_parts;

static bool summary_writer(FILE *out, const void *what) {
    const report_parts *parts = what;
    sim_write_summary(out, parts->results, parts->count, true);
    return !ferror(out);
}

static bool html_writer(FILE *out, const void *what) {
    const report_parts *parts = what;
    return sim_write_html(out, parts->scenario, parts->options, parts->results, parts->count, parts->uplot_js,
                          parts->uplot_css);
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
    const char *policy_paths[POLICIES_MAX];
    uint32_t policy_count = 0;
    const char *scenario_name = "baseline", *out_dir = "sim-report", *web_dir = TALLY_WEB_DIR;
    uint64_t seed = 1, days = 3 * 365, value;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--quiet") == 0) {
            quiet = true;
        } else if (!next) {
            fprintf(stderr, "tally-sim: %s needs a value (tally-sim --help)\n", arg);
            return 2;
        } else if (strcmp(arg, "--policy") == 0) {
            if (policy_count == POLICIES_MAX) {
                fprintf(stderr, "tally-sim: at most %u policies at once\n", POLICIES_MAX);
                return 2;
            }
            policy_paths[policy_count++] = next;
            i++;
        } else if (strcmp(arg, "--scenario") == 0) {
            scenario_name = next;
            i++;
        } else if (strcmp(arg, "--years") == 0 || strcmp(arg, "--days") == 0) {
            bool years = strcmp(arg, "--years") == 0;
            if (!parse_u64(next, years ? SIM_DAYS_MAX / 365 : SIM_DAYS_MAX, &value) || value == 0) {
                fprintf(stderr, "tally-sim: %s must be a whole number from 1 to %u\n", arg,
                        years ? SIM_DAYS_MAX / 365 : SIM_DAYS_MAX);
                return 2;
            }
            days = years ? value * 365 : value;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            if (!parse_u64(next, UINT64_MAX, &seed)) {
                fprintf(stderr, "tally-sim: --seed must be a whole number\n");
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--out") == 0) {
            out_dir = next;
            i++;
        } else if (strcmp(arg, "--web") == 0) {
            web_dir = next;
            i++;
        } else {
            fprintf(stderr, "tally-sim: unknown option %s (tally-sim --help)\n", arg);
            return 2;
        }
    }
    if (policy_count == 0) {
        fprintf(stderr, "tally-sim: give at least one --policy FILE (examples in sim/policies/; tally-sim --help)\n");
        return 2;
    }

    static sim_policy policies[POLICIES_MAX];
    char why[512];
    for (uint32_t p = 0; p < policy_count; p++) {
        if (!sim_policy_read(policy_paths[p], &policies[p], why, sizeof why)) {
            fprintf(stderr, "tally-sim: %s\n", why);
            return 1;
        }
        for (uint32_t q = 0; q < p; q++)
            if (strcmp(policies[q].name, policies[p].name) == 0) {
                fprintf(stderr, "tally-sim: two policies are named \"%s\" (%s and %s): give each its own name\n",
                        policies[p].name, policy_paths[q], policy_paths[p]);
                return 1;
            }
    }
    sim_scenario scenario;
    if (!sim_scenario_find(scenario_name, &scenario, why, sizeof why)) {
        fprintf(stderr, "tally-sim: %s\n", why);
        return 1;
    }
    char js_path[4096], css_path[4096];
    snprintf(js_path, sizeof js_path, "%s/node_modules/uplot/dist/uPlot.iife.min.js", web_dir);
    snprintf(css_path, sizeof css_path, "%s/node_modules/uplot/dist/uPlot.min.css", web_dir);
    char *uplot_js = slurp(js_path), *uplot_css = slurp(css_path);
    if (!uplot_js || !uplot_css) {
        fprintf(stderr,
                "tally-sim: the plot library is missing (%s): run scripts/install-deps.sh, which installs the web "
                "app's npm packages, or give --web DIR\n",
                js_path);
        return 1;
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "tally-sim: cannot make %s: %s\n", out_dir, strerror(errno));
        return 1;
    }

    static sim_result results[POLICIES_MAX];
    sim_options options = {.seed = seed, .days = (uint32_t)days, .progress = progress};
    bool ok = true;
    printf("scenario %s, %u days, seed %llu\n", scenario.name, options.days, (unsigned long long)seed);
    for (uint32_t p = 0; p < policy_count && ok; p++) {
        progress_state state = {policies[p].name, !quiet && isatty(STDERR_FILENO), UINT32_MAX};
        options.progress_context = &state;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        if (!sim_run(&policies[p], &scenario, &options, &results[p])) {
            fprintf(stderr, "\ntally-sim: policy %s: %s\n", policies[p].name, results[p].error);
            ok = false;
            break;
        }
        double seconds = seconds_since(&start);
        uint64_t transactions = results[p].applied + results[p].refused;
        printf("policy %s: %llu transactions (%llu applied, %llu refused) in %.2f s: %.0f transactions/s\n",
               policies[p].name, (unsigned long long)transactions, (unsigned long long)results[p].applied,
               (unsigned long long)results[p].refused, seconds, seconds > 0 ? (double)transactions / seconds : 0.0);
        /* What the core refused most, so that a policy's friction shows. */
        for (int shown = 0; shown < 4; shown++) {
            uint64_t most = 0;
            int code = -1;
            for (int c = 0; c < TALLY_ERROR_COUNT; c++)
                if (results[p].refusals[c] > most) most = results[p].refusals[c], code = c;
            if (code < 0) break;
            printf("  refused %llu x %s: %s\n", (unsigned long long)most, tally_error_name((tally_error)code),
                   tally_error_message((tally_error)code));
            results[p].refusals[code] = 0; /* printed: the next most */
        }
        char name[SIM_NAME_MAX + 8];
        file_name(policies[p].name, name, sizeof name - 4);
        strcat(name, ".csv");
        ok = write_file(out_dir, name, csv_writer, &results[p]);
    }
    if (ok) {
        report_parts parts = {results, policy_count, &scenario, &options, uplot_js, uplot_css};
        ok = write_file(out_dir, "summary.csv", summary_writer, &parts) &&
             write_file(out_dir, "report.html", html_writer, &parts);
        putchar('\n');
        sim_write_summary(stdout, results, policy_count, false);
        if (ok) printf("\nwrote %s/report.html, %s/summary.csv and one CSV per policy\n", out_dir, out_dir);
    }
    for (uint32_t p = 0; p < policy_count; p++) sim_result_free(&results[p]);
    free(uplot_js);
    free(uplot_css);
    return ok ? 0 : 1;
}
