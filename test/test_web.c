/*
 * test_web.c: the web app's JavaScript tests (web/test/NAME.test.js, `node --test`), run
 * from this runner so that `make test` is one run with one count. Each file is one
 * test here: it passes when node reports no failure and at least the number of tests
 * the file is known to hold (so a file that silently runs nothing fails). Node's TAP
 * lines of a failure are printed. The key file tests need build/release/tally (the
 * CLI), which `make test` builds first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test.h"

typedef struct {
    int passed, failed, skipped;
    int status;
} node_outcome;

static node_outcome run_node_tests(const char *file) {
    node_outcome outcome = {0, 0, 0, -1};
    char command[512];
    snprintf(command, sizeof command, "cd web && node --test --test-reporter=tap %s 2>&1", file);
    FILE *pipe = popen(command, "r");
    if (!pipe) return outcome;
    char line[4096];
    while (fgets(line, sizeof line, pipe)) {
        if (sscanf(line, "# pass %d", &outcome.passed) == 1 || sscanf(line, "# fail %d", &outcome.failed) == 1 ||
            sscanf(line, "# skipped %d", &outcome.skipped) == 1)
            continue;
        /* what a failure says: its "not ok" line and the assertion's lines */
        if (strncmp(line, "not ok", 6) == 0 || strstr(line, "error:") || strstr(line, "expected:") ||
            strstr(line, "actual:") || strstr(line, "location:") || strstr(line, "SKIP"))
            fprintf(stderr, "    node: %s", line);
    }
    int status = pclose(pipe);
    outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

static void check_file(const char *file, int tests_at_least) {
    node_outcome outcome = run_node_tests(file);
    fprintf(stderr, "    web/%s: %d passed, %d failed, %d skipped (node exit %d)\n", file, outcome.passed,
            outcome.failed, outcome.skipped, outcome.status);
    CHECK_EQ(outcome.status, 0);
    CHECK_EQ(outcome.failed, 0);
    CHECK_EQ(outcome.skipped, 0);
    CHECK(outcome.passed >= tests_at_least);
}

TEST(web_js_encoder_passes_every_transaction_vector) { check_file("test/encoding.test.js", 10); }
TEST(web_js_amounts_parse_and_format_as_the_c_code_does) { check_file("test/amount.test.js", 3); }
TEST(web_js_key_files_move_between_the_browser_and_the_cli) { check_file("test/keyfile.test.js", 4); }
/* The batch CSV as tally pay-batch reads it (the CLI's cases), and its fee estimate. */
TEST(web_js_batch_csv_reads_as_the_cli_does) { check_file("test/batch.test.js", 3); }
/* What a scanned code means, and jsQR reading back what qrcode-generator drew. */
TEST(web_js_qr_codes_read_back_what_the_page_draws) { check_file("test/qrscan.test.js", 2); }
/* Debian's Chromium against a tallyd with the demo networks (web/test/browser.test.js):
 * a new member's key, its admission in the console, a payment, both histories, the
 * CSV statement, no secret in any request, the headers of defence; a batch from a CSV
 * file, the pool and underwriting, a gateway proposed and accepted in the console, a
 * request's code read from a photo and an address's from a (fake) camera. */
TEST(web_browser_member_is_admitted_pays_and_downloads_a_statement) { check_file("test/browser.test.js", 13); }
/* On a dev chain whose clock the test moves (web/test/browser_dev.test.js): members
 * found a network they govern, propose a 2% fee, vote 2 to 1, and it applies after the
 * vote and the week's notice; the dashboard's plots hold the API's health figures (the
 * pool's parts too); members vote a gateway, the partner's operator accepts it. */
TEST(web_browser_governance_and_dashboard_on_a_dev_chain) { check_file("test/browser_dev.test.js", 3); }
/* tally-sim's HTML report (web/test/sim_report.test.js): opened from disk in Chromium,
 * each plot's series are the CSV's columns value for value and the summary table is
 * summary.csv's, with no network request, no console error and no sideways scroll on a
 * phone; the same seed writes the same bytes. Needs build/release/tally-sim. */
TEST(web_browser_sim_report_plots_hold_the_csv_figures) { check_file("test/sim_report.test.js", 2); }
