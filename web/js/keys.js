// keys.js: the browser's keystore. It holds sealed key files (keyfile.js: the CLI's
// format) in localStorage, never a seed, a secret key or a passphrase. A key is
// unsealed only to sign one transaction, with the passphrase the member types for
// it, and the secret is wiped right after. A key file is downloaded to move a key to
// the CLI (`tally key check NAME` opens it) and imported from one.
import { newSealedKey, readKeyFile, sealKey, unsealKey } from './keyfile.js';
import { decodeAddress } from './address.js';
import { fromHex } from './encoding.js';

const STORE = 'tally.keys';
const SELECTED = 'tally.selected-key';

function load() {
  try {
    const keys = JSON.parse(localStorage.getItem(STORE) ?? '[]');
    return Array.isArray(keys) ? keys : [];
  } catch {
    return [];
  }
}

function save(keys) {
  localStorage.setItem(STORE, JSON.stringify(keys));
}

/** The sealed key files kept here: [{name, address, ...sealed}]. */
export function listKeys() {
  return load();
}

export function selectedKey() {
  const keys = load();
  const name = localStorage.getItem(SELECTED);
  return keys.find((k) => k.name === name) ?? keys[0] ?? null;
}

export function selectKey(name) {
  localStorage.setItem(SELECTED, name);
}

function add(file) {
  const keys = load();
  if (keys.some((k) => k.name === file.name)) throw new Error(`a key named '${file.name}' is here already`);
  if (keys.some((k) => k.address === file.address)) throw new Error('this key is here already, under another name');
  keys.push(file);
  save(keys);
  selectKey(file.name);
  return file;
}

/** Makes a new key, sealed with passphrase, and keeps it. */
export function createKey(sodium, name, passphrase) {
  return add(newSealedKey(sodium, name, passphrase));
}

/** Keeps a key file made by the CLI or another browser (its text). */
export function importKeyFile(sodium, text) {
  return add(readKeyFile(sodium, text));
}

/** Keeps the key of a 64-hex-digit seed (recovery), sealed with passphrase. */
export function importSeed(sodium, name, seedHex, passphrase) {
  const seed = fromHex(seedHex.trim(), 32);
  try {
    return add(sealKey(sodium, name, seed, passphrase));
  } finally {
    sodium.memzero(seed);
  }
}

export function removeKey(name) {
  save(load().filter((k) => k.name !== name));
  if (localStorage.getItem(SELECTED) === name) localStorage.removeItem(SELECTED);
}

/** The key file's text, to download (`NAME.key`, as the CLI names them). */
export function keyFileText(file) {
  return JSON.stringify(file, null, 2) + '\n';
}

/** The public key of a kept key. */
export function publicKeyOf(sodium, file) {
  return decodeAddress(sodium, file.address);
}

/**
 * Runs use(pair) with the key unsealed by passphrase, then wipes the secret key
 * whatever use does. Throws "wrong passphrase" as the CLI does.
 */
export async function withUnsealedKey(sodium, file, passphrase, use) {
  const pair = unsealKey(sodium, file, passphrase);
  try {
    return await use(pair);
  } finally {
    sodium.memzero(pair.privateKey);
  }
}
