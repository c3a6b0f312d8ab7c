/*
 * keystore.c: sealing and opening key files (see keystore.h). The file is JSON
 * (jansson) so that people and other wallets can read its public part:
 *
 *   {"version": 1, "name": "alice", "address": "tly1...", "kdf": "argon2id13",
 *    "opslimit": N, "memlimit": N, "salt": hex, "nonce": hex, "sealed_seed": hex}
 *
 * Only the 32-byte seed is sealed; the key pair is derived from it on opening and
 * checked against the stored address, so a file whose address was edited is refused.
 */
#include "keys/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/file_io.h"

#define SEED_BYTES 32u

static bool fail(char *why, size_t why_size, const char *message) {
    if (why && why_size) snprintf(why, why_size, "%s", message);
    return false;
}

bool keystore_name_is_valid(const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length > KEYSTORE_NAME_MAX || name[0] == '.') return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
        if (!allowed) return false;
    }
    return true;
}

static void strength_limits(keystore_strength strength, unsigned long long *opslimit, size_t *memlimit) {
    switch (strength) {
    case KEYSTORE_STRENGTH_MODERATE:
        *opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
        *memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
        return;
    case KEYSTORE_STRENGTH_TEST:
        *opslimit = crypto_pwhash_OPSLIMIT_MIN;
        *memlimit = crypto_pwhash_MEMLIMIT_MIN;
        return;
    case KEYSTORE_STRENGTH_INTERACTIVE: break;
    }
    *opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

static void to_hex(const uint8_t *bytes, size_t length, char *out) {
    sodium_bin2hex(out, length * 2 + 1, bytes, length);
}

static bool from_hex(const char *hex, uint8_t *out, size_t length) {
    size_t decoded = 0;
    if (!hex || strlen(hex) != length * 2) return false;
    return sodium_hex2bin(out, length, hex, length * 2, NULL, &decoded, NULL) == 0 && decoded == length;
}

static bool derive_key(const char *passphrase, const uint8_t *salt, unsigned long long opslimit,
                       size_t memlimit, uint8_t key[crypto_secretbox_KEYBYTES]) {
    return crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, opslimit,
                         memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool keystore_save(const char *path, const char *name, const keystore_keypair *pair, const char *passphrase,
                   keystore_strength strength, char *why, size_t why_size) {
    if (!keystore_name_is_valid(name)) return fail(why, why_size, "a key name is 1 to 64 of A-Z a-z 0-9 . _ -");
    if (strlen(passphrase) < 8) return fail(why, why_size, "the passphrase must have at least 8 characters");
    unsigned long long opslimit;
    size_t memlimit;
    strength_limits(strength, &opslimit, &memlimit);
    uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    uint8_t key[crypto_secretbox_KEYBYTES], sealed[SEED_BYTES + crypto_secretbox_MACBYTES];
    if (!derive_key(passphrase, salt, opslimit, memlimit, key)) return fail(why, why_size, "out of memory hashing the passphrase");
    /* libsodium's Ed25519 secret key begins with its 32-byte seed. */
    crypto_secretbox_easy(sealed, pair->secret_key, SEED_BYTES, nonce, key);
    sodium_memzero(key, sizeof key);

    char address[TALLY_ADDRESS_LENGTH + 1], salt_hex[sizeof salt * 2 + 1], nonce_hex[sizeof nonce * 2 + 1],
        sealed_hex[sizeof sealed * 2 + 1];
    tally_address_encode(&pair->public_key, address);
    to_hex(salt, sizeof salt, salt_hex);
    to_hex(nonce, sizeof nonce, nonce_hex);
    to_hex(sealed, sizeof sealed, sealed_hex);
    json_t *document = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "version", 1, "name", name,
                                 "address", address, "kdf", "argon2id13", "opslimit", (json_int_t)opslimit,
                                 "memlimit", (json_int_t)memlimit, "salt", salt_hex, "nonce", nonce_hex,
                                 "sealed_seed", sealed_hex);
    char *text = document ? json_dumps(document, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(document);
    if (!text) return fail(why, why_size, "out of memory");

    /* Through the store's file layer, so tests can fail any of these steps. */
    int fd = file_open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        free(text);
        if (errno == EEXIST) return fail(why, why_size, "a key file with this name exists already");
        return fail(why, why_size, strerror(errno));
    }
    size_t length = strlen(text);
    bool written = file_write_at(fd, text, length, 0) && file_write_at(fd, "\n", 1, length) && file_sync(fd);
    free(text);
    if (!file_close(fd)) written = false;
    /* The new name is durable only once its directory is fsynced. */
    bool durable = written && file_sync_parent(path);
    if (!durable) {
        (void)file_unlink(path);
        (void)file_sync_parent(path);
        return fail(why, why_size, written ? "could not make the key file durable (fsync of its directory failed)"
                                           : "could not write the key file");
    }
    return true;
}

static json_t *read_document(const char *path, char *why, size_t why_size) {
    json_error_t error;
    json_t *document = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (!document) {
        char message[300];
        snprintf(message, sizeof message, "cannot read key file %s: %s", path, error.text);
        fail(why, why_size, message);
        return NULL;
    }
    json_t *version = json_object_get(document, "version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        json_decref(document);
        fail(why, why_size, "unknown key file version");
        return NULL;
    }
    return document;
}

bool keystore_public_key(const char *path, tally_key *public_key, char *why, size_t why_size) {
    json_t *document = read_document(path, why, why_size);
    if (!document) return false;
    const char *address = json_string_value(json_object_get(document, "address"));
    bool ok = address && tally_address_decode(address, public_key);
    json_decref(document);
    return ok ? true : fail(why, why_size, "the key file's address is damaged");
}

bool keystore_is_weak(const char *path) {
    json_t *document = read_document(path, NULL, 0);
    if (!document) return false;
    json_t *opslimit = json_object_get(document, "opslimit"), *memlimit = json_object_get(document, "memlimit");
    bool weak = json_is_integer(opslimit) && json_is_integer(memlimit) &&
                (json_integer_value(opslimit) < (json_int_t)crypto_pwhash_OPSLIMIT_INTERACTIVE ||
                 json_integer_value(memlimit) < (json_int_t)crypto_pwhash_MEMLIMIT_INTERACTIVE);
    json_decref(document);
    return weak;
}

bool keystore_load(const char *path, const char *passphrase, keystore_keypair *pair, char *why, size_t why_size) {
    json_t *document = read_document(path, why, why_size);
    if (!document) return false;
    const char *address = json_string_value(json_object_get(document, "address"));
    const char *kdf = json_string_value(json_object_get(document, "kdf"));
    json_t *opslimit = json_object_get(document, "opslimit"), *memlimit = json_object_get(document, "memlimit");
    uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
    uint8_t sealed[SEED_BYTES + crypto_secretbox_MACBYTES];
    tally_key stored;
    bool well_formed = address && tally_address_decode(address, &stored) && kdf &&
                       strcmp(kdf, "argon2id13") == 0 && json_is_integer(opslimit) && json_is_integer(memlimit) &&
                       json_integer_value(opslimit) >= (json_int_t)crypto_pwhash_OPSLIMIT_MIN &&
                       json_integer_value(opslimit) <= (json_int_t)crypto_pwhash_OPSLIMIT_SENSITIVE &&
                       json_integer_value(memlimit) >= (json_int_t)crypto_pwhash_MEMLIMIT_MIN &&
                       json_integer_value(memlimit) <= (json_int_t)crypto_pwhash_MEMLIMIT_SENSITIVE &&
                       from_hex(json_string_value(json_object_get(document, "salt")), salt, sizeof salt) &&
                       from_hex(json_string_value(json_object_get(document, "nonce")), nonce, sizeof nonce) &&
                       from_hex(json_string_value(json_object_get(document, "sealed_seed")), sealed, sizeof sealed);
    unsigned long long ops = well_formed ? (unsigned long long)json_integer_value(opslimit) : 0;
    size_t mem = well_formed ? (size_t)json_integer_value(memlimit) : 0;
    json_decref(document);
    if (!well_formed) return fail(why, why_size, "the key file is damaged");

    uint8_t key[crypto_secretbox_KEYBYTES], seed[SEED_BYTES];
    if (!derive_key(passphrase, salt, ops, mem, key)) return fail(why, why_size, "out of memory hashing the passphrase");
    int opened = crypto_secretbox_open_easy(seed, sealed, sizeof sealed, nonce, key);
    sodium_memzero(key, sizeof key);
    if (opened != 0) return fail(why, why_size, "wrong passphrase (or a damaged key file)");
    tally_keypair(&pair->public_key, pair->secret_key, seed);
    sodium_memzero(seed, sizeof seed);
    if (memcmp(pair->public_key.bytes, stored.bytes, TALLY_KEY_BYTES) != 0) {
        keystore_wipe(pair);
        return fail(why, why_size, "the key file's address does not match its key");
    }
    return true;
}

void keystore_wipe(keystore_keypair *pair) { sodium_memzero(pair, sizeof *pair); }
