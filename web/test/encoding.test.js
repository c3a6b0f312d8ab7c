// The browser's encoder against every vector of test/vectors/transactions.json
// (docs/ENCODING.md section 8): bytes, id, signature, address, decode and re-encode,
// the refused encodings, truncations and a byte flipped in each field.
import './node_compat.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSodium } from '../js/sodium.js';
import {
  LAYOUTS, TYPE_CODES, TallyEncodingError, decodeSigned, encodeUnsigned, fromHex, signTransaction, toHex,
  transactionId, textProblem,
} from '../js/encoding.js';
import { decodeAddress, encodeAddress } from '../js/address.js';
import { canonical, readVectors } from './vectors.js';

const sodium = await loadSodium();
const vectors = readVectors();

const txOf = (v) => ({ type: v.type_code, chainId: v.chain_id, signer: v.signer, sequence: v.sequence, body: v.body });

test('there is a vector of every type the encoder knows, and a layout for every vector', () => {
  const seen = new Set(vectors.vectors.map((v) => v.type_code));
  for (const code of LAYOUTS.keys()) assert.ok(seen.has(code), `no vector of type ${code} (${LAYOUTS.get(code).name})`);
  for (const v of vectors.vectors) assert.equal(TYPE_CODES.get(v.type), v.type_code, v.name);
  assert.equal(LAYOUTS.size, 60);
});

test('every vector: the unsigned bytes, id, signature and signed bytes are the C encoder\'s', () => {
  for (const v of vectors.vectors) {
    const unsigned = encodeUnsigned(txOf(v));
    assert.equal(toHex(unsigned), v.unsigned, `${v.name}: unsigned bytes`);
    assert.equal(transactionId(sodium, unsigned), v.hash, `${v.name}: id`);
    const pair = sodium.crypto_sign_seed_keypair(fromHex(v.signer_seed));
    assert.equal(toHex(pair.publicKey), v.signer, `${v.name}: key from seed`);
    const signed = signTransaction(sodium, unsigned, pair.privateKey);
    assert.equal(toHex(signed), v.signed, `${v.name}: signed bytes`);
    assert.equal(toHex(signed.subarray(unsigned.length)), v.signature, `${v.name}: signature`);
    assert.ok(sodium.crypto_sign_verify_detached(fromHex(v.signature), unsigned, fromHex(v.signer)));
  }
});

test('every vector decodes to its fields and re-encodes to the same bytes', () => {
  for (const v of vectors.vectors) {
    const tx = decodeSigned(v.signed);
    assert.equal(tx.type, v.type_code, v.name);
    assert.equal(tx.typeName, v.type, v.name);
    assert.equal(tx.chainId, v.chain_id);
    assert.equal(tx.signer, v.signer);
    assert.equal(String(tx.sequence), String(v.sequence), v.name);
    assert.deepEqual(canonical(tx.body), canonical(v.body), `${v.name}: body`);
    assert.equal(tx.signature, v.signature);
    const again = encodeUnsigned({ type: tx.type, chainId: tx.chainId, signer: tx.signer, sequence: tx.sequence, body: tx.body });
    assert.equal(toHex(again) + tx.signature, v.signed, `${v.name}: re-encoded`);
  }
});

test('addresses: every identity and signer, written and read back', () => {
  for (const id of [...vectors.identities, ...vectors.vectors.map((v) => ({ public_key: v.signer, address: v.signer_address }))]) {
    assert.equal(encodeAddress(sodium, fromHex(id.public_key)), id.address);
    assert.equal(toHex(decodeAddress(sodium, id.address)), id.public_key);
  }
  const good = vectors.identities[0].address;
  const refusals = [
    [good.slice(0, -1), /62 characters/],
    ['tlx1' + good.slice(4), /starts with tly1/],
    [good.toUpperCase(), /starts with tly1/],
    [good.slice(0, 10) + 'A' + good.slice(11), /not a character/],
    [good.slice(0, 10) + '1' + good.slice(11), /not a character/],
    [good.slice(0, 10) + (good[10] === 'a' ? 'b' : 'a') + good.slice(11), /checksum/],
    [good.slice(0, -1) + (good.endsWith('z') ? 'y' : 'z'), /zero bits|checksum/],
  ];
  for (const [text, why] of refusals) assert.throws(() => decodeAddress(sodium, text), why, text);
});

test('every refused encoding of the vectors is refused with its error', () => {
  assert.ok(vectors.refused.length >= 16);
  for (const r of vectors.refused) {
    assert.throws(() => decodeSigned(r.signed), (e) => e instanceof TallyEncodingError && e.code === r.error, r.name);
  }
});

test('every proper prefix of a vector is refused DECODE_TRUNCATED (or BAD_VERSION when empty)', () => {
  for (const v of vectors.vectors.filter((x) => x.signed.length < 2000)) {
    const bytes = fromHex(v.signed);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeSigned(bytes.subarray(0, n)),
        (e) => e instanceof TallyEncodingError && e.code === 'DECODE_TRUNCATED', `${v.name} cut at ${n}`);
    }
  }
});

test('a byte flipped anywhere is refused or decodes to exactly the changed bytes', () => {
  for (const v of vectors.vectors.filter((x) => x.signed.length < 2000)) {
    const bytes = fromHex(v.signed);
    for (let i = 0; i < bytes.length; i++) {
      const changed = bytes.slice();
      changed[i] ^= 0x01;
      let tx;
      try {
        tx = decodeSigned(changed);
      } catch (e) {
        assert.ok(e instanceof TallyEncodingError, `${v.name} byte ${i}: ${e}`);
        continue;
      }
      const again = encodeUnsigned({ type: tx.type, chainId: tx.chainId, signer: tx.signer, sequence: tx.sequence, body: tx.body });
      assert.equal(toHex(again) + tx.signature, toHex(changed), `${v.name} byte ${i}`);
    }
  }
});

test('trailing bytes, another version and an unknown type are refused with their codes', () => {
  const v = vectors.vectors.find((x) => x.type === 'transfer');
  const code = (hex) => { try { decodeSigned(hex); return 'ok'; } catch (e) { return e.code; } };
  assert.equal(code(v.signed + '00'), 'DECODE_TRAILING_BYTES');
  assert.equal(code('02' + v.signed.slice(2)), 'DECODE_BAD_VERSION');
  assert.equal(code('02'), 'DECODE_BAD_VERSION');
  assert.equal(code('01' + '3d' + v.signed.slice(4)), 'UNKNOWN_TX_TYPE');
  assert.equal(code('01' + '00' + v.signed.slice(4)), 'UNKNOWN_TX_TYPE');
});

test('the encoder refuses what a node would refuse, with the node\'s code', () => {
  const v = vectors.vectors.find((x) => x.type === 'transfer');
  const encodeWith = (body, extra = {}) => {
    try { encodeUnsigned({ ...txOf(v), ...extra, body: { ...v.body, ...body } }); return 'ok'; } catch (e) { return e.code; }
  };
  assert.equal(encodeWith({}), 'ok');
  assert.equal(encodeWith({ memo: 'x'.repeat(256) }), 'ok');
  assert.equal(encodeWith({ memo: 'x'.repeat(257) }), 'DECODE_BAD_LENGTH');
  assert.equal(encodeWith({ memo: 'é'.repeat(129) }), 'DECODE_BAD_LENGTH'); // 258 bytes of UTF-8
  assert.equal(encodeWith({ memo: 'invoice \u202egpj.exe' }), 'DECODE_BAD_TEXT');
  assert.equal(encodeWith({ memo: 'a\u200bb' }), 'DECODE_BAD_TEXT');
  assert.equal(encodeWith({ memo: 'line\nfeed' }), 'DECODE_BAD_TEXT');
  assert.equal(encodeWith({ memo: '\ud800' }), 'DECODE_BAD_TEXT');
  assert.equal(encodeWith({ memo: '\u{e0041}' }), 'DECODE_BAD_TEXT');
  assert.equal(encodeWith({ amount: 2n ** 63n }), 'DECODE_BAD_VALUE');
  assert.equal(encodeWith({ amount: -(2n ** 63n) }), 'ok');
  assert.equal(encodeWith({ amount: 1.5 }), 'DECODE_BAD_VALUE');
  assert.equal(encodeWith({ amount: 2 ** 60 }), 'DECODE_BAD_VALUE'); // a Number past 2^53 is not exact
  assert.equal(encodeWith({ network_id: -1 }), 'DECODE_BAD_VALUE');
  assert.equal(encodeWith({ network_id: 2 ** 32 }), 'DECODE_BAD_VALUE');
  assert.equal(encodeWith({ payee: 'ab' }), 'DECODE_BAD_VALUE');
  assert.equal(encodeWith({}, { type: 99 }), 'UNKNOWN_TX_TYPE');
  assert.equal(encodeWith({}, { sequence: -1 }), 'DECODE_BAD_VALUE');
  assert.throws(() => encodeUnsigned({ ...txOf(v), body: { network_id: 1 } }), /MISSING_FIELD/);

  const pool = vectors.vectors.find((x) => x.type === 'fee_distribute' && x.body.to_pool);
  assert.ok(pool, 'a fee_distribute to the pool');
  assert.throws(() => encodeUnsigned({ ...txOf(pool), body: { ...pool.body, to: 'ff'.repeat(32) } }),
    (e) => e.code === 'DECODE_BAD_VALUE');
  const batch = vectors.vectors.find((x) => x.type === 'transfer_batch');
  assert.throws(() => encodeUnsigned({ ...txOf(batch), body: { ...batch.body, lines: [] } }), (e) => e.code === 'DECODE_BAD_LENGTH');
  const line = batch.body.lines[0];
  assert.throws(() => encodeUnsigned({ ...txOf(batch), body: { ...batch.body, lines: Array(257).fill(line) } }),
    (e) => e.code === 'DECODE_BAD_LENGTH');
  assert.throws(() => encodeUnsigned({ ...txOf(batch), body: { ...batch.body, lines: [{ ...line, memo: 'x'.repeat(65) }] } }),
    (e) => e.code === 'DECODE_BAD_LENGTH');
  const create = vectors.vectors.find((x) => x.type === 'network_create');
  assert.throws(() => encodeUnsigned({ ...txOf(create), body: { ...create.body, policy: { ...create.body.policy, compliance_rule: 3 } } }),
    (e) => e.code === 'DECODE_BAD_VALUE');
  assert.throws(() => encodeUnsigned({ ...txOf(create), body: { ...create.body, policy: { ...create.body.policy, auto_renew: 1 } } }),
    (e) => e.code === 'DECODE_BAD_VALUE');
});

test('text rules: what passes and what does not (docs/ENCODING.md section 2)', () => {
  for (const ok of ['', 'Brot & Käse 🍞', 'مرحبا', '\u{10fffd}', '\ufffe', '\ue000'])
    assert.equal(textProblem(ok), null, JSON.stringify(ok));
  for (const bad of ['\u0000', '\u001f', '\u007f', '\u0085', '\u00ad', '\u061c', '\u180e', '\u200d', '\u2028',
    '\u202e', '\u2066', '\u206f', '\ufeff', '\ufff9', '\u{e007f}', '\udc00'])
    assert.notEqual(textProblem(`a${bad}b`), null, JSON.stringify(bad));
});
