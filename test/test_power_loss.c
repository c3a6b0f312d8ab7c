/*
 * test_power_loss.c: the power-loss model of the file layer (store/power_loss.h)
 * on its own. A child process arms it, makes files through file_io.c (one synced
 * with its name, one synced without its directory, one written but never synced)
 * and loses its power at a set operation; the parent reads what the disk kept and
 * the model's report, and checks the rules: what was synced with its name is whole,
 * and what was not is gone when the disk kept "nothing unsynced" and all there when
 * it kept "everything". Seeds are tried until both of those have been seen.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "keys/keystore.h"
#include "store/file_io.h"
#include "store/power_loss.h"
#include "test.h"

static void child_writes_then_loses_power(const char *directory, uint64_t seed) {
    power_loss_plan plan = {.seed = seed, .start_cut_at = 0};
    snprintf(plan.report_path, sizeof plan.report_path, "%s/report", directory);
    char durable[400], nameless[400], unsynced[400];
    snprintf(durable, sizeof durable, "%s/durable", directory);
    snprintf(nameless, sizeof nameless, "%s/nameless", directory);
    snprintf(unsynced, sizeof unsynced, "%s/unsynced", directory);
    if (!power_loss_arm(&plan)) _exit(3);
    /* synced, and its name too */
    if (!file_write_whole(durable, "durable bytes", 13, 0600)) _exit(4);
    /* synced bytes, its directory never synced after: the name may go */
    int fd = file_open(nameless, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || !file_write_at(fd, "nameless", 8, 0) || !file_sync(fd) || !file_close(fd)) _exit(5);
    /* the durable file grows by bytes never synced */
    fd = file_open(durable, O_WRONLY, 0);
    if (fd < 0 || !file_write_at(fd, " and more", 9, 13)) _exit(6);
    power_loss_cut_soon();
    file_sync(fd); /* the power fails instead */
    _exit(7);
}

static size_t read_text(const char *path, char *out, size_t size) {
    FILE *file = fopen(path, "r");
    if (!file) return (size_t)-1;
    size_t length = fread(out, 1, size - 1, file);
    out[length] = '\0';
    fclose(file);
    return length;
}

TEST(power_loss_model_keeps_what_was_synced_and_loses_what_was_not) {
    bool saw_nothing = false, saw_everything = false;
    for (uint64_t seed = 1; seed < 200 && !(saw_nothing && saw_everything); seed++) {
        char directory[] = "/tmp/tally-power-XXXXXX";
        REQUIRE(mkdtemp(directory) != NULL);
        fflush(NULL);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) child_writes_then_loses_power(directory, seed);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == POWER_CUT_EXIT);
        char path[400], text[512];
        snprintf(path, sizeof path, "%s/report", directory);
        REQUIRE(read_text(path, text, sizeof text) != (size_t)-1);
        bool nothing = strstr(text, "kept=\"nothing unsynced\"") != NULL;
        bool everything = strstr(text, "kept=\"everything\"") != NULL;
        CHECK(strstr(text, "op=fsync") != NULL);
        char durable[64], nameless[64];
        snprintf(path, sizeof path, "%s/durable", directory);
        size_t durable_length = read_text(path, durable, sizeof durable);
        snprintf(path, sizeof path, "%s/nameless", directory);
        size_t nameless_length = read_text(path, nameless, sizeof nameless);
        /* synced with its name: always there, its synced bytes whole */
        CHECK(durable_length != (size_t)-1 && strncmp(durable, "durable bytes", 13) == 0);
        if (nothing) {
            saw_nothing = true;
            CHECK_EQ(durable_length, 13);                /* the unsynced growth is gone */
            CHECK_EQ(nameless_length, (size_t)-1);      /* the unsynced name is gone */
        }
        if (everything) {
            saw_everything = true;
            CHECK_EQ(durable_length, 22);
            CHECK(strcmp(durable, "durable bytes and more") == 0);
            CHECK_EQ(nameless_length, 8);
        }
        if (!nothing && !everything) { /* a prefix or subset: anything between */
            CHECK(durable_length >= 13 && durable_length <= 22);
            CHECK(nameless_length == (size_t)-1 || nameless_length == 8);
        }
        char command[100];
        snprintf(command, sizeof command, "rm -rf '%s'", directory);
        CHECK_EQ(system(command), 0);
    }
    CHECK(saw_nothing);
    CHECK(saw_everything);
}

/* ------------------------------------------------------------------------ */
/* A key file (keys/keystore.c, the CLI wallet's and the demo's) under a cut. */
/* ------------------------------------------------------------------------ */

#define KEY_PASSPHRASE "correct horse"
#define KEY_SEEDS_PER_STEP 8

/* The child: saves a key into directory/alice.key and loses its power at the
 * `at`th operation of the model, or, when the save finished first, right after it
 * (having told the parent through `told` that it was reported stored). */
static void child_saves_a_key(const char *directory, uint64_t at, uint64_t variant, const keystore_keypair *pair,
                              int told) {
    power_loss_plan plan = {.seed = at * 7919u + variant * 104729u + 11u, .start_cut_at = at};
    snprintf(plan.report_path, sizeof plan.report_path, "%s/report", directory);
    char path[400], why[256];
    snprintf(path, sizeof path, "%s/alice.key", directory);
    if (!power_loss_arm(&plan)) _exit(3);
    bool saved = keystore_save(path, "alice", pair, KEY_PASSPHRASE, KEYSTORE_STRENGTH_TEST, why, sizeof why);
    if (saved && write(told, "s", 1) != 1) _exit(4);
    power_loss_cut_soon();
    (void)file_sync_directory(directory); /* the power fails instead */
    _exit(saved ? 0 : 5);
}

/*
 * Key creation loses its power at each of its operations in turn (create, write,
 * fsync, directory fsync), the disk keeping a seeded part of what was not synced.
 * Whatever the cut, the key file is gone, whole (it opens with the passphrase to
 * the same key), or refused with a reason; never another key. A key the save
 * reported stored is always whole. Then a new key is saved where the old one
 * failed, after removing what was left (what the CLI tells its user to do).
 */
TEST(power_loss_at_each_step_of_a_key_creation_leaves_the_key_whole_or_gone) {
    keystore_keypair pair;
    uint8_t seed[32];
    for (unsigned i = 0; i < sizeof seed; i++) seed[i] = (uint8_t)(i * 13 + 1);
    crypto_sign_seed_keypair(pair.public_key.bytes, pair.secret_key, seed);
    unsigned gone = 0, whole = 0, refused = 0, reported = 0, steps = 0;
    bool finished = false;
    /* Each step under several seeds: what the disk keeps of the rest differs. */
    for (uint64_t run = 0; run < 40 * KEY_SEEDS_PER_STEP && !finished; run++) {
        uint64_t at = 1 + run / KEY_SEEDS_PER_STEP, variant = run % KEY_SEEDS_PER_STEP;
        char directory[] = "/tmp/tally-power-key-XXXXXX";
        REQUIRE(mkdtemp(directory) != NULL);
        int pipe_ends[2];
        REQUIRE(pipe(pipe_ends) == 0);
        fflush(NULL);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(pipe_ends[0]);
            child_saves_a_key(directory, at, variant, &pair, pipe_ends[1]);
        }
        close(pipe_ends[1]);
        int status = 0;
        waitpid(pid, &status, 0);
        char told = 0;
        bool stored = read(pipe_ends[0], &told, 1) == 1 && told == 's';
        close(pipe_ends[0]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == POWER_CUT_EXIT);
        /* The cut came after the save returned: every step of it has been cut. */
        finished = stored;
        steps += !stored && variant == 0;
        reported += stored;
        char path[400], why[256];
        snprintf(path, sizeof path, "%s/alice.key", directory);
        keystore_keypair loaded;
        if (access(path, F_OK) != 0) {
            gone++;
            CHECK(!stored);
        } else if (keystore_load(path, KEY_PASSPHRASE, &loaded, why, sizeof why)) {
            whole++;
            CHECK(memcmp(loaded.public_key.bytes, pair.public_key.bytes, TALLY_KEY_BYTES) == 0);
            CHECK(memcmp(loaded.secret_key, pair.secret_key, TALLY_SECRET_BYTES) == 0);
            keystore_wipe(&loaded);
        } else {
            refused++;
            CHECK(!stored);
            CHECK(why[0] != '\0');
        }
        /* Saving again: refused over what is left, and fine once it is removed. */
        if (access(path, F_OK) == 0) {
            CHECK(!keystore_save(path, "alice", &pair, KEY_PASSPHRASE, KEYSTORE_STRENGTH_TEST, why, sizeof why));
            CHECK(unlink(path) == 0);
        }
        CHECK(keystore_save(path, "alice", &pair, KEY_PASSPHRASE, KEYSTORE_STRENGTH_TEST, why, sizeof why));
        char command[100];
        snprintf(command, sizeof command, "rm -rf '%s'", directory);
        CHECK_EQ(system(command), 0);
    }
    CHECK(finished);
    CHECK(steps >= 4); /* create, write, fsync, directory fsync at least */
    CHECK_EQ(reported, 1);
    CHECK(whole >= 1);
    printf("    a key creation cut at each of its %u steps under %d seeds: %u left no file, %u a whole key, %u a file "
           "refused with a reason; the key reported stored was whole\n",
           steps, KEY_SEEDS_PER_STEP, gone, whole, refused);
    keystore_wipe(&pair);
}
