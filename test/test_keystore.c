/*
 * test_keystore.c: sealed key files. A key saved with a passphrase opens with it
 * and only with it; the file holds no secret in clear; damaged or edited files,
 * short passphrases, bad names and overwrites are refused with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys/keystore.h"
#include "test.h"

static void temp_path(char *out, size_t size, const char *leaf) {
    static char directory[64];
    if (!directory[0]) {
        snprintf(directory, sizeof directory, "/tmp/tally-keystore-XXXXXX");
        if (!mkdtemp(directory)) directory[0] = '\0';
    }
    snprintf(out, size, "%s/%s", directory, leaf);
}

static char *slurp(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    char *text = calloc(1, 8192);
    size_t length = fread(text, 1, 8191, file);
    text[length] = '\0';
    fclose(file);
    return text;
}

static void write_text(const char *path, const char *text) {
    FILE *file = fopen(path, "wb");
    if (!file) return;
    fputs(text, file);
    fclose(file);
}

TEST(keystore_save_and_load_round_trip) {
    char path[128], why[200];
    temp_path(path, sizeof path, "alice.key");
    unlink(path);
    keystore_keypair pair, opened;
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    tally_keypair(&pair.public_key, pair.secret_key, seed);
    REQUIRE(keystore_save(path, "alice", &pair, "correct horse", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    REQUIRE(keystore_load(path, "correct horse", &opened, why, sizeof why));
    CHECK(memcmp(opened.public_key.bytes, pair.public_key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(opened.secret_key, pair.secret_key, TALLY_SECRET_BYTES) == 0);
    tally_key public_only;
    CHECK(keystore_public_key(path, &public_only, why, sizeof why));
    CHECK(memcmp(public_only.bytes, pair.public_key.bytes, TALLY_KEY_BYTES) == 0);
    /* the file never holds the seed in clear */
    char *text = slurp(path);
    REQUIRE(text != NULL);
    char seed_hex[65];
    for (int i = 0; i < 32; i++) snprintf(seed_hex + 2 * i, 3, "%02x", seed[i]);
    CHECK(strstr(text, seed_hex) == NULL);
    CHECK(strstr(text, "\"address\": \"tly1") != NULL);
    free(text);
    keystore_wipe(&opened);
    CHECK(opened.secret_key[0] == 0 && opened.secret_key[63] == 0);
    unlink(path);
}

TEST(keystore_refusals) {
    char path[128], why[200];
    temp_path(path, sizeof path, "bob.key");
    unlink(path);
    keystore_keypair pair, opened;
    tally_keypair(&pair.public_key, pair.secret_key, NULL);
    CHECK(!keystore_save(path, "bob", &pair, "short", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    CHECK(strstr(why, "at least 8") != NULL);
    CHECK(!keystore_save(path, "bad/name", &pair, "long enough", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    CHECK(!keystore_save(path, ".hidden", &pair, "long enough", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    REQUIRE(keystore_save(path, "bob", &pair, "long enough", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    CHECK(!keystore_save(path, "bob", &pair, "long enough", KEYSTORE_STRENGTH_TEST, why, sizeof why));
    CHECK(strstr(why, "exists") != NULL);
    CHECK(!keystore_load(path, "wrong passphrase", &opened, why, sizeof why));
    CHECK(strstr(why, "wrong passphrase") != NULL);

    /* an edited address is caught even with the right passphrase */
    char *text = slurp(path);
    REQUIRE(text != NULL);
    char *address = strstr(text, "tly1");
    REQUIRE(address != NULL);
    char other_address[TALLY_ADDRESS_LENGTH + 1];
    keystore_keypair other;
    tally_keypair(&other.public_key, other.secret_key, NULL);
    tally_address_encode(&other.public_key, other_address);
    char edited_path[128];
    temp_path(edited_path, sizeof edited_path, "edited.key");
    char *edited = strdup(text);
    memcpy(edited + (address - text), other_address, TALLY_ADDRESS_LENGTH);
    write_text(edited_path, edited);
    CHECK(!keystore_load(edited_path, "long enough", &opened, why, sizeof why));
    CHECK(strstr(why, "does not match") != NULL);
    /* damaged files */
    write_text(edited_path, "{\"version\": 1}");
    CHECK(!keystore_load(edited_path, "long enough", &opened, why, sizeof why));
    CHECK(strstr(why, "damaged") != NULL);
    write_text(edited_path, "not json");
    CHECK(!keystore_load(edited_path, "long enough", &opened, why, sizeof why));
    write_text(edited_path, "{\"version\": 2}");
    CHECK(!keystore_load(edited_path, "long enough", &opened, why, sizeof why));
    CHECK(strstr(why, "version") != NULL);
    CHECK(!keystore_load("/nonexistent/tally.key", "long enough", &opened, why, sizeof why));
    free(edited);
    free(text);
    unlink(edited_path);
    unlink(path);
}
