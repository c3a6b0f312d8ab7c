/*
 * keystore.h: sealed key files, kept on the member's machine and never sent
 * anywhere: the CLI's wallet keeps its keys in them, and the node writes the demo
 * network's keys in them (so the demo's people can use the CLI). It sits below both,
 * above the store's file_io.c, and knows nothing of either. Each key is one JSON file holding the Ed25519 seed sealed with a passphrase:
 * Argon2id (libsodium's crypto_pwhash) derives the key of an XSalsa20-Poly1305
 * secret box (crypto_secretbox). The public address is stored in clear so that a
 * wallet can list its keys without the passphrase. Secrets are wiped after use.
 *
 * The Argon2 parameters are in the file, and they are its mark of strength: a file
 * whose opslimit or memlimit is below libsodium's INTERACTIVE limits is *weak*
 * (KEYSTORE_STRENGTH_TEST writes such files, for tests only), and the CLI warns
 * on every use of one (keystore_is_weak).
 */
#ifndef TALLY_KEYSTORE_H
#define TALLY_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "tally.h"

/* How hard the passphrase hashing is: the default for people, the minimum for tests. */
typedef enum { KEYSTORE_STRENGTH_INTERACTIVE, KEYSTORE_STRENGTH_MODERATE, KEYSTORE_STRENGTH_TEST } keystore_strength;

typedef struct {
    tally_key public_key;
    uint8_t secret_key[TALLY_SECRET_BYTES];
} keystore_keypair;

#define KEYSTORE_NAME_MAX 64u

/* Whether name is usable as a key name: 1..64 of [A-Za-z0-9._-], not starting with '.'. */
bool keystore_name_is_valid(const char *name);

/* Seals a key pair with passphrase into path (created 0600; refuses to overwrite),
 * fsyncs the file and then its directory, so a key reported stored survives a
 * crash. Returns false with a reason in `why` (and leaves no file). */
TALLY_MUST_CHECK bool keystore_save(const char *path, const char *name, const keystore_keypair *pair,
                                    const char *passphrase, keystore_strength strength, char *why,
                                    size_t why_size);

/* Opens a sealed key. A wrong passphrase or a damaged file is refused with a reason. */
TALLY_MUST_CHECK bool keystore_load(const char *path, const char *passphrase, keystore_keypair *pair,
                                    char *why, size_t why_size);

/* Reads only the public key of a key file (no passphrase needed). */
TALLY_MUST_CHECK bool keystore_public_key(const char *path, tally_key *public_key, char *why, size_t why_size);

/* Whether the key file at path is sealed with parameters below the INTERACTIVE
 * limits (see above). false when it is not, or cannot be read. */
bool keystore_is_weak(const char *path);

/* Wipes a key pair from memory. */
void keystore_wipe(keystore_keypair *pair);

#endif
