/*
 * test_hardening_keystore.c: finding 11 of issue 7, the CLI's keystore. A seed on
 * the command line is refused (and not echoed); a seed from standard input, typed
 * with --seed - or read from --seed-file gives the same key as the seed itself;
 * TALLY_KDF=test is refused when it comes from the environment, and a key file
 * sealed with weak test parameters warns on every use; a key file and the
 * directories made for it are fsynced, and a failed fsync of the directory leaves
 * no key reported stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/wallet.h"
#include "store/file_io.h"
#include "test.h"

#define PASSPHRASE "correct horse battery"
#define SEED_HEX "4242424242424242424242424242424242424242424242424242424242424242"

typedef struct {
    char home[64];      /* TALLY_HOME: a fresh directory under /tmp */
    char keys_dir[128]; /* home/keys, made by the CLI */
    char *out, *err;
    size_t out_size, err_size;
} session;

static void session_init(session *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->home, sizeof s->home, "/tmp/tally-keys-XXXXXX");
    if (!mkdtemp(s->home)) test_fail(__FILE__, __LINE__, "mkdtemp failed");
    snprintf(s->keys_dir, sizeof s->keys_dir, "%s/keys", s->home);
}

static void session_free(session *s) {
    free(s->out);
    free(s->err);
    char command[160];
    if (strncmp(s->home, "/tmp/tally-keys-", 16) != 0) return;
    snprintf(command, sizeof command, "rm -rf '%s'", s->home);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", s->home);
}

/* Runs `tally WORDS...` (NULL-terminated) in this process with ctx (filled by the
 * caller; streams added here) and `input` (may be NULL) as its standard input. */
static cli_status run_with(session *s, cli_context *ctx, const char *input, const char *const *words) {
    free(s->out);
    free(s->err);
    s->out = s->err = NULL;
    ctx->out = open_memstream(&s->out, &s->out_size);
    ctx->err = open_memstream(&s->err, &s->err_size);
    FILE *in = input ? fmemopen((void *)(uintptr_t)input, strlen(input), "r") : NULL;
    ctx->in = in;
    char *argv[16];
    int argc = 0;
    argv[argc++] = strdup("tally");
    for (int i = 0; words[i] && argc < 15; i++) argv[argc++] = strdup(words[i]);
    cli_status status = cli_run(ctx, argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    if (in) fclose(in);
    fclose(ctx->out);
    fclose(ctx->err);
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "--- out:\n%s--- err:\n%s", s->out, s->err);
    return status;
}

/* The context a test gives the CLI: this session's keystore, fast test sealing. */
static cli_context test_context(const session *s) {
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    snprintf(ctx.keys_dir, sizeof ctx.keys_dir, "%s", s->keys_dir);
    ctx.passphrase = PASSPHRASE;
    ctx.strength = KEYSTORE_STRENGTH_TEST;
    return ctx;
}

static cli_status run_words(session *s, const char *input, const char *const *words) {
    cli_context ctx = test_context(s);
    return run_with(s, &ctx, input, words);
}

/* RUN(session, stdin text or NULL, words...) with the test context. */
#define RUN(s, input, ...) run_words((s), (input), (const char *const[]){__VA_ARGS__, NULL})
#define RUN_WITH(s, ctx, input, ...) run_with((s), (ctx), (input), (const char *const[]){__VA_ARGS__, NULL})

static bool contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

static bool key_file_exists(const session *s, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s.key", s->keys_dir, name);
    return access(path, F_OK) == 0;
}

/* The address of SEED_HEX's key, computed here. */
static void seed_address(char out[TALLY_ADDRESS_LENGTH + 1]) {
    uint8_t seed[32], secret[TALLY_SECRET_BYTES];
    memset(seed, 0x42, sizeof seed);
    tally_key key;
    tally_keypair(&key, secret, seed);
    tally_address_encode(&key, out);
}

TEST(hardening_11_a_seed_on_the_command_line_is_refused_and_nothing_is_stored) {
    session s;
    session_init(&s);
    CHECK_EQ(RUN(&s, NULL, "key", "import", "alice", "--seed", SEED_HEX), CLI_USAGE);
    CHECK(contains(s.err, "refusing a seed on the command line"));
    CHECK(contains(s.err, "`tally key import alice < seed.txt`"));
    CHECK(contains(s.err, "--seed-file FILE"));
    CHECK(!contains(s.err, SEED_HEX)); /* not echoed either */
    CHECK(!contains(s.out, "tly1"));
    CHECK(!key_file_exists(&s, "alice"));
    /* and the help says how instead */
    CHECK_EQ(RUN(&s, NULL, "key", "import", "--help"), CLI_OK);
    CHECK(contains(s.out, "--seed-file FILE"));
    CHECK(contains(s.out, "A seed on the command line is refused"));
    session_free(&s);
}

TEST(hardening_11_a_seed_from_stdin_or_a_file_gives_the_same_address) {
    session s;
    session_init(&s);
    char expected[TALLY_ADDRESS_LENGTH + 1];
    seed_address(expected);
    /* piped on standard input (the default), with the newline an `echo` adds */
    CHECK_EQ(RUN(&s, "  " SEED_HEX "\n", "key", "import", "piped"), CLI_OK);
    CHECK(strncmp(s.out, expected, TALLY_ADDRESS_LENGTH) == 0);
    /* named standard input */
    CHECK_EQ(RUN(&s, SEED_HEX, "key", "import", "dash", "--seed", "-"), CLI_OK);
    CHECK(strncmp(s.out, expected, TALLY_ADDRESS_LENGTH) == 0);
    /* a file */
    char file[160];
    snprintf(file, sizeof file, "%s/alice.seed", s.home);
    FILE *seed = fopen(file, "w");
    REQUIRE(seed != NULL);
    fputs(SEED_HEX "\n", seed);
    fclose(seed);
    REQUIRE(chmod(file, 0600) == 0);
    CHECK_EQ(RUN(&s, NULL, "key", "import", "filed", "--seed-file", file), CLI_OK);
    CHECK(strncmp(s.out, expected, TALLY_ADDRESS_LENGTH) == 0);
    CHECK(!contains(s.err, "open to other users"));
    /* each stored key shows the same address */
    const char *names[3] = {"piped", "dash", "filed"};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(RUN(&s, NULL, "key", "show", names[i]), CLI_OK);
        CHECK(strncmp(s.out, expected, TALLY_ADDRESS_LENGTH) == 0);
    }
    /* what is not just a seed is refused, whole */
    CHECK_EQ(RUN(&s, SEED_HEX "00", "key", "import", "long"), CLI_USAGE);
    CHECK(contains(s.err, "the seed must be 64 hex digits"));
    char too_much[400];
    memset(too_much, '4', sizeof too_much - 1);
    too_much[sizeof too_much - 1] = '\0';
    CHECK_EQ(RUN(&s, too_much, "key", "import", "long"), CLI_USAGE);
    CHECK(contains(s.err, "standard input must hold only the seed"));
    CHECK_EQ(RUN(&s, SEED_HEX, "key", "import", "both", "--seed", "-", "--seed-file", file), CLI_USAGE);
    CHECK(contains(s.err, "not both"));
    CHECK(!key_file_exists(&s, "long") && !key_file_exists(&s, "both"));
    /* a seed file others can read is used, with a warning */
    REQUIRE(chmod(file, 0644) == 0);
    CHECK_EQ(RUN(&s, NULL, "key", "import", "open", "--seed-file", file), CLI_OK);
    CHECK(contains(s.err, "is open to other users"));
    session_free(&s);
}

TEST(hardening_11_tally_kdf_test_is_refused_and_a_weak_key_file_warns_on_every_use) {
    session s;
    session_init(&s);
    /* from the environment, as a user's shell would pass it */
    REQUIRE(setenv("TALLY_KDF", "test", 1) == 0);
    cli_context ctx;
    cli_context_init(&ctx, stdout, stderr);
    unsetenv("TALLY_KDF");
    CHECK(ctx.kdf_refusal != NULL);
    CHECK(ctx.strength == KEYSTORE_STRENGTH_INTERACTIVE);
    snprintf(ctx.keys_dir, sizeof ctx.keys_dir, "%s", s.keys_dir);
    ctx.passphrase = PASSPHRASE;
    ctx.key_name[0] = '\0';
    CHECK_EQ(RUN_WITH(&s, &ctx, SEED_HEX, "key", "import", "alice"), CLI_USAGE);
    CHECK(contains(s.err, "TALLY_KDF=test"));
    CHECK(contains(s.err, "for the test suite only"));
    CHECK(!key_file_exists(&s, "alice"));
    CHECK_EQ(RUN_WITH(&s, &ctx, NULL, "key", "new", "bob"), CLI_USAGE);
    CHECK(!key_file_exists(&s, "bob"));
    cli_context_init(&ctx, stdout, stderr);
    CHECK(ctx.kdf_refusal == NULL);

    /* a key sealed weakly (as tests do, in code) says so when made and every time
     * it is used; one sealed with the default parameters does not */
    CHECK_EQ(RUN(&s, SEED_HEX, "key", "import", "weak"), CLI_OK);
    CHECK(contains(s.err, "warning: key 'weak' is sealed with weak test parameters"));
    char path[256];
    snprintf(path, sizeof path, "%s/weak.key", s.keys_dir);
    CHECK(keystore_is_weak(path));
    for (int use = 0; use < 2; use++) {
        cli_context unlock = test_context(&s);
        char *text = NULL;
        size_t size = 0;
        unlock.err = open_memstream(&text, &size);
        keystore_keypair pair;
        CHECK_EQ(cli_wallet_unlock(&unlock, "weak", &pair), CLI_OK);
        keystore_wipe(&pair);
        fclose(unlock.err);
        CHECK(contains(text, "warning: key 'weak' is sealed with weak test parameters"));
        free(text);
    }
    cli_context strong = test_context(&s);
    strong.strength = KEYSTORE_STRENGTH_INTERACTIVE;
    CHECK_EQ(RUN_WITH(&s, &strong, SEED_HEX, "key", "import", "strong"), CLI_OK);
    CHECK(!contains(s.err, "warning"));
    snprintf(path, sizeof path, "%s/strong.key", s.keys_dir);
    CHECK(!keystore_is_weak(path));
    session_free(&s);
}

TEST(hardening_11_a_key_file_and_the_directories_made_for_it_are_fsynced) {
    session s;
    session_init(&s);
    /* TALLY_HOME and its keys directory do not exist yet: mkdir TALLY_HOME (sync
     * /tmp), mkdir keys (sync TALLY_HOME), the key file, then the keys directory */
    REQUIRE(rmdir(s.home) == 0);
    file_faults count_only = {0};
    file_faults_arm(&count_only);
    cli_status status = RUN(&s, SEED_HEX, "key", "import", "alice");
    file_fault_counts counts = file_faults_counts();
    file_faults_disarm();
    CHECK_EQ(status, CLI_OK);
    CHECK_EQ(counts.syncs, 4);
    /* the keys directory exists: the file, then its directory */
    file_faults_arm(&count_only);
    CHECK_EQ(RUN(&s, SEED_HEX, "key", "import", "bob"), CLI_OK);
    counts = file_faults_counts();
    file_faults_disarm();
    CHECK_EQ(counts.syncs, 2);
    /* the directory's fsync fails: not reported stored, and no file is left */
    file_faults fail_directory = {.fail_sync = 2};
    file_faults_arm(&fail_directory);
    status = RUN(&s, SEED_HEX, "key", "import", "carol");
    file_faults_disarm();
    CHECK_EQ(status, CLI_IO);
    CHECK(contains(s.err, "could not make the key file durable"));
    CHECK(!key_file_exists(&s, "carol"));
    /* the file layer itself: a directory it makes is synced in its parent */
    char made[160];
    snprintf(made, sizeof made, "%s/made", s.home);
    file_faults_arm(&count_only);
    CHECK(file_make_directory(made, 0700));
    CHECK(file_make_directory(made, 0700)); /* there already: nothing to sync */
    counts = file_faults_counts();
    file_faults_disarm();
    CHECK_EQ(counts.syncs, 1);
    session_free(&s);
}
