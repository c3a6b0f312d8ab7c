/*
 * test_schema.c: every documented answer of a real node against docs/openapi.yaml
 * (issue 9, item 13). A node with the demo network runs here as in the other
 * integration tests; scripts/check-schemas.py asks it every documented path and
 * validates each answer against the schema of its status, strictly: a field the
 * node sends that the document does not name fails, as does a required one left
 * out (python3-jsonschema does the validating). Twice: on a real chain (where the
 * dev clock is refused), and on a dev chain moved 400 days on, so that histories,
 * the activity and blocks hold the chain's own events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node_harness.h"
#include "test.h"

/* The demo network is made by tallyd just after it starts serving: waits until its
 * last payment ("apples") is in the index. */
static bool demo_ready(const test_node *node) {
    for (int attempt = 0; attempt < 300; attempt++) {
        char *text = harness_get_text(node, "/v1/networks/1/activity?limit=50");
        bool ready = text && strstr(text, "\"apples\"");
        free(text);
        if (ready) return true;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return false;
}

static int run_checker(const test_node *node, bool dev) {
    /* Debian's python3 and its packages (deps/debian-packages.txt), wherever a
     * PATH may point. */
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char command[640];
    snprintf(command, sizeof command, "%s scripts/check-schemas.py %s%s > %s/schemas.log 2>&1", python, node->url,
             dev ? " --dev" : "", node->directory);
    int status = system(command);
    if (status != 0) {
        /* what failed, for whoever reads the test's output */
        char show[400];
        snprintf(show, sizeof show, "grep -v '^ok' %s/schemas.log >&2", node->directory);
        if (system(show) != 0) fprintf(stderr, "    (no log of the schema check)\n");
    }
    return status;
}

static void check_node(const char *const *arguments, bool dev) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    if (!harness_start(&node, arguments)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd --demo (build/test/tallyd) did not start");
    }
    CHECK(demo_ready(&node));
    CHECK_EQ(run_checker(&node, dev), 0);
    CHECK_EQ(harness_stop(&node), 0);
    harness_remove_directory(&node);
}

TEST(schema_every_documented_answer_of_a_demo_node_matches_openapi) {
    static const char *const demo[] = {"--demo", NULL};
    check_node(demo, false);
}

TEST(schema_a_dev_chain_with_events_matches_openapi_too) {
    static const char *const dev[] = {"--demo", "--dev", NULL};
    check_node(dev, true);
}
