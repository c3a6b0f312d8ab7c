// Key files move between the browser and the CLI: a key the CLI seals opens here, and
// a key sealed here opens with `tally key check` (the CLI's own keystore_load). The
// CLI is build/release/tally (`make` builds it; `make test` runs these after it).
import './node_compat.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSodium } from '../js/sodium.js';
import { isWeak, newSealedKey, readKeyFile, sealKey, unsealKey } from '../js/keyfile.js';
import { fromHex, toHex } from '../js/encoding.js';
import { readVectors } from './vectors.js';

const sodium = await loadSodium();
const CLI = fileURLToPath(new URL('../../build/release/tally', import.meta.url));
const PASSPHRASE = 'correct horse battery';

function cli(home, args, passphrase = PASSPHRASE, input = undefined) {
  return execFileSync(CLI, args, { env: { PATH: process.env.PATH, TALLY_HOME: home, TALLY_PASSPHRASE: passphrase }, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

test('a key the CLI sealed opens in the browser, with the CLI\'s address; a wrong passphrase does not', { skip: !existsSync(CLI) && 'build/release/tally is not built' }, () => {
  const home = mkdtempSync(join(tmpdir(), 'tally-keys-'));
  try {
    const seed = readVectors().identities[1].seed; // alice's
    const address = cli(home, ['key', 'import', 'alice'], PASSPHRASE, seed + '\n').trim();
    const text = readFileSync(join(home, 'keys', 'alice.key'), 'utf8');
    const file = readKeyFile(sodium, text);
    assert.equal(file.address, address);
    assert.equal(isWeak(sodium, file), false);
    const pair = unsealKey(sodium, text, PASSPHRASE);
    assert.equal(pair.address, address);
    assert.equal(toHex(pair.privateKey.subarray(0, 32)), seed);
    assert.throws(() => unsealKey(sodium, text, 'correct horse battery!'), /wrong passphrase/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a key the browser sealed opens with `tally key check`; a wrong passphrase is refused there', { skip: !existsSync(CLI) && 'build/release/tally is not built' }, () => {
  const home = mkdtempSync(join(tmpdir(), 'tally-keys-'));
  try {
    mkdirSync(join(home, 'keys'), { mode: 0o700 });
    const file = newSealedKey(sodium, 'webkey', PASSPHRASE);
    writeFileSync(join(home, 'keys', 'webkey.key'), JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    assert.equal(cli(home, ['key', 'check', 'webkey']).trim(), file.address);
    assert.throws(() => cli(home, ['key', 'check', 'webkey'], 'not the passphrase'), (e) => e.status === 2 && /wrong passphrase/.test(e.stderr));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('sealing: the same seed under two salts gives two files that open to the same key', () => {
  const seed = fromHex(readVectors().identities[2].seed);
  const a = sealKey(sodium, 'bob', seed, PASSPHRASE), b = sealKey(sodium, 'bob', seed, PASSPHRASE);
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.sealed_seed, b.sealed_seed);
  assert.equal(unsealKey(sodium, a, PASSPHRASE).address, readVectors().identities[2].address);
  assert.equal(unsealKey(sodium, b, PASSPHRASE).address, a.address);
});

test('refusals: short passphrase, bad name, damaged files', () => {
  const seed = sodium.randombytes_buf(32);
  assert.throws(() => sealKey(sodium, 'x', seed, 'seven77'), /at least 8/);
  assert.throws(() => sealKey(sodium, '.hidden', seed, PASSPHRASE), /key name/);
  assert.throws(() => sealKey(sodium, 'a/b', seed, PASSPHRASE), /key name/);
  const file = sealKey(sodium, 'ok', seed, PASSPHRASE);
  assert.throws(() => readKeyFile(sodium, '{'), /not a key file/);
  assert.throws(() => readKeyFile(sodium, { ...file, version: 2 }), /version/);
  assert.throws(() => readKeyFile(sodium, { ...file, kdf: 'scrypt' }), /damaged/);
  assert.throws(() => readKeyFile(sodium, { ...file, opslimit: 0 }), /out of range/);
  assert.throws(() => readKeyFile(sodium, { ...file, salt: 'abcd' }), /damaged/);
  const flipped = file.sealed_seed.slice(0, -2) + (file.sealed_seed.endsWith('00') ? '01' : '00');
  assert.throws(() => unsealKey(sodium, { ...file, sealed_seed: flipped }, PASSPHRASE), /wrong passphrase/);
  const other = sealKey(sodium, 'other', sodium.randombytes_buf(32), PASSPHRASE);
  assert.throws(() => unsealKey(sodium, { ...file, address: other.address }, PASSPHRASE), /does not match/);
});
