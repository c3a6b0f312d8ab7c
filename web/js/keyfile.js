// keyfile.js: sealed key files, in exactly the CLI's format (src/keys/keystore.c), so a
// key moves between the browser and `tally` as one file:
//
//   {"version": 1, "name": "alice", "address": "tly1...", "kdf": "argon2id13",
//    "opslimit": N, "memlimit": N, "salt": hex, "nonce": hex, "sealed_seed": hex}
//
// The Ed25519 seed is sealed in an XSalsa20-Poly1305 secret box (crypto_secretbox)
// under a key Argon2id derives from the passphrase (crypto_pwhash). The address is
// in clear, so a wallet lists its keys without the passphrase. The browser keeps the
// sealed file (never the seed) and unseals it only to sign.
import { decodeAddress, encodeAddress } from './address.js';
import { fromHex, toHex } from './encoding.js';

export const PASSPHRASE_MIN = 8;
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Seals the key of seed (32 bytes) under passphrase; returns the file's JSON object. */
export function sealKey(sodium, name, seed, passphrase) {
  if (!NAME_PATTERN.test(name)) throw new Error('a key name is 1 to 64 of A-Z a-z 0-9 . _ - (not starting with .)');
  // In bytes of UTF-8, as the CLI counts (strlen).
  if (typeof passphrase !== 'string' || new TextEncoder().encode(passphrase).length < PASSPHRASE_MIN)
    throw new Error(`the passphrase must have at least ${PASSPHRASE_MIN} characters`);
  const pair = sodium.crypto_sign_seed_keypair(seed);
  // The CLI's default strength (KEYSTORE_STRENGTH_INTERACTIVE).
  const opslimit = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const memlimit = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
  const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  const key = sodium.crypto_pwhash(sodium.crypto_secretbox_KEYBYTES, passphrase, salt, opslimit, memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
  const sealed = sodium.crypto_secretbox_easy(seed, nonce, key);
  sodium.memzero(key);
  sodium.memzero(pair.privateKey);
  return {
    version: 1, name, address: encodeAddress(sodium, pair.publicKey), kdf: 'argon2id13', opslimit, memlimit,
    salt: toHex(salt), nonce: toHex(nonce), sealed_seed: toHex(sealed),
  };
}

/** A fresh random key, sealed. */
export function newSealedKey(sodium, name, passphrase) {
  const seed = sodium.randombytes_buf(32);
  try {
    return sealKey(sodium, name, seed, passphrase);
  } finally {
    sodium.memzero(seed);
  }
}

/** Reads a key file's text (or object) and checks its form; no passphrase needed. */
export function readKeyFile(sodium, input) {
  let file = input;
  if (typeof input === 'string') {
    try { file = JSON.parse(input); } catch { throw new Error('this is not a key file (not JSON)'); }
  }
  if (!file || typeof file !== 'object' || file.version !== 1) throw new Error('unknown key file version');
  if (file.kdf !== 'argon2id13') throw new Error('the key file is damaged (unknown kdf)');
  const bounded = (v, lo, hi) => Number.isSafeInteger(v) && v >= lo && v <= hi;
  if (!bounded(file.opslimit, sodium.crypto_pwhash_OPSLIMIT_MIN, sodium.crypto_pwhash_OPSLIMIT_SENSITIVE) ||
      !bounded(file.memlimit, sodium.crypto_pwhash_MEMLIMIT_MIN, sodium.crypto_pwhash_MEMLIMIT_SENSITIVE))
    throw new Error('the key file is damaged (its Argon2 parameters are out of range)');
  try {
    fromHex(file.salt, sodium.crypto_pwhash_SALTBYTES);
    fromHex(file.nonce, sodium.crypto_secretbox_NONCEBYTES);
    fromHex(file.sealed_seed, 32 + sodium.crypto_secretbox_MACBYTES);
    decodeAddress(sodium, file.address);
  } catch {
    throw new Error('the key file is damaged');
  }
  return file;
}

/** Whether the file is sealed below the CLI's INTERACTIVE strength (the CLI warns). */
export function isWeak(sodium, file) {
  return file.opslimit < sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE || file.memlimit < sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

/**
 * Opens a key file with its passphrase: { publicKey, privateKey (64 bytes, wipe it
 * with sodium.memzero after signing), address }. Throws on a wrong passphrase.
 */
export function unsealKey(sodium, input, passphrase) {
  const file = readKeyFile(sodium, input);
  const key = sodium.crypto_pwhash(sodium.crypto_secretbox_KEYBYTES, passphrase, fromHex(file.salt), file.opslimit,
    file.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  let seed;
  try {
    seed = sodium.crypto_secretbox_open_easy(fromHex(file.sealed_seed), fromHex(file.nonce), key);
  } catch {
    throw new Error('wrong passphrase (or a damaged key file)');
  } finally {
    sodium.memzero(key);
  }
  const pair = sodium.crypto_sign_seed_keypair(seed);
  sodium.memzero(seed);
  const address = encodeAddress(sodium, pair.publicKey);
  if (address !== file.address) {
    sodium.memzero(pair.privateKey);
    throw new Error("the key file's address does not match its key");
  }
  return { publicKey: pair.publicKey, privateKey: pair.privateKey, address };
}
