/*
 * cli_session.c: see cli_session.h.
 */
#include "cli_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "keys/keystore.h"
#include "test.h"

cli_status session_run(session *s, const char *first, va_list arguments) {
    free(s->out);
    free(s->err);
    s->out = s->err = NULL;
    FILE *out = open_memstream(&s->out, &s->out_size), *err = open_memstream(&s->err, &s->err_size);
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.err = err;
    if (!cli_set_node_url(&ctx, s->node->url)) return CLI_IO;
    snprintf(ctx.keys_dir, sizeof ctx.keys_dir, "%s", s->keys_dir);
    ctx.passphrase = CLI_SESSION_PASSPHRASE;
    ctx.strength = KEYSTORE_STRENGTH_TEST;
    ctx.transport = cli_client_curl_transport();
    char *argv[40];
    int argc = 0;
    argv[argc++] = strdup("tally");
    for (const char *word = first; word && argc < 39; word = va_arg(arguments, const char *)) argv[argc++] = strdup(word);
    cli_status status = cli_run(&ctx, argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    fclose(out);
    fclose(err);
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "--- out:\n%s--- err:\n%s", s->out, s->err);
    return status;
}

cli_status session_tally(session *s, const char *first, ...) {
    va_list arguments;
    va_start(arguments, first);
    cli_status status = session_run(s, first, arguments);
    va_end(arguments);
    return status;
}

bool session_tally_until(session *s, const char *part, const char *first, ...) {
    for (int attempt = 0; attempt < 50; attempt++) {
        va_list arguments;
        va_start(arguments, first);
        cli_status status = session_run(s, first, arguments);
        va_end(arguments);
        if (status == CLI_OK && s->out && strstr(s->out, part)) return true;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return false;
}

void session_import_keys(session *s, const char *const *names, int count, char first_digit) {
    for (int k = 0; k < count; k++) {
        char seed_file[360], seed[66];
        snprintf(seed_file, sizeof seed_file, "%s/%s.seed", s->node->directory, names[k]);
        memset(seed, first_digit + k, 64);
        seed[64] = '\n', seed[65] = '\0';
        FILE *file = fopen(seed_file, "w");
        CHECK(file != NULL);
        if (!file) return;
        fputs(seed, file);
        fclose(file);
        chmod(seed_file, 0600);
        CHECK_EQ(TALLY(s, "key", "import", names[k], "--seed-file", seed_file), CLI_OK);
    }
}

void session_free(session *s) {
    free(s->out);
    free(s->err);
    s->out = s->err = NULL;
}

bool contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

const char *api_refusal(const test_node *node, const char *path, long *status, json_t **answer) {
    *answer = NULL;
    *status = harness_request(node, "GET", path, NULL, 0, answer);
    return harness_json_string(*answer, "error.code");
}

int session_check_schemas(const test_node *node, const char *mode) {
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char command[640];
    snprintf(command, sizeof command, "%s scripts/check-schemas.py %s %s > %s/schemas.log 2>&1", python, node->url, mode,
             node->directory);
    int checked = system(command);
    if (checked != 0 || getenv("TALLY_TEST_VERBOSE")) {
        snprintf(command, sizeof command, "grep -v '^ok' %s/schemas.log >&2", node->directory);
        if (system(command) != 0) fprintf(stderr, "    (no log of the schema check)\n");
    }
    return checked;
}
