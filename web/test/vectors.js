// vectors.js: test/vectors/transactions.json read for the JS tests. JSON numbers past
// 2^53 (the i64 edge vectors) are read as strings first, so that none is rounded.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_PATH = fileURLToPath(new URL('../../test/vectors/transactions.json', import.meta.url));

export function readVectors() {
  const text = readFileSync(VECTORS_PATH, 'utf8');
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

/** value with every number and BigInt as a decimal string: for comparing bodies. */
export function canonical(value) {
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}
