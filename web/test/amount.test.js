// Amounts in text against the `amounts` vectors the C code writes (tally_amount_parse
// and tally_amount_format), and the sentences of section 7 of docs/ENCODING.md.
import './node_compat.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAmount, formatWithUnit, parseAmount } from '../js/amount.js';
import { readVectors } from './vectors.js';

const { amounts } = readVectors();

test('every parse vector: the same amount, or refused where C refuses', () => {
  assert.ok(amounts.parse.length >= 30);
  assert.ok(amounts.parse.some((p) => p.amount === null) && amounts.parse.some((p) => p.amount !== null));
  for (const p of amounts.parse) {
    const got = parseAmount(p.text, p.decimals);
    assert.equal(got === null ? null : String(got), p.amount, `${JSON.stringify(p.text)} at ${p.decimals}`);
  }
});

test('every format vector: the same text', () => {
  assert.ok(amounts.format.length >= 10);
  for (const f of amounts.format) assert.equal(formatAmount(BigInt(f.amount), f.decimals), f.text, `${f.amount} at ${f.decimals}`);
});

test('the examples of the docs, and formatting then parsing gives the amount back', () => {
  assert.equal(parseAmount('12.50', 2), 1250n);
  assert.equal(formatWithUnit(1250n, 2, 'GVH'), '12.50 GVH');
  assert.equal(formatAmount(7, 2), '0.07');
  assert.equal(formatAmount(-1250, 2), '-12.50');
  assert.equal(formatAmount(7, 0), '7');
  for (const [amount, decimals] of [[0n, 2], [1n, 9], [-(2n ** 63n), 2], [2n ** 63n - 1n, 0], [123456789n, 4]])
    assert.equal(parseAmount(formatAmount(amount, decimals), decimals), amount);
});
