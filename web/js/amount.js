// amount.js: amounts in text, as people read and type them (docs/ENCODING.md section 7).
//
// An amount is an int64 count of minor units (a BigInt here: amounts may pass 2^53);
// the network's decimals (0..9) say where the point goes. parseAmount accepts exactly
// what the node's tally_amount_parse accepts (`-? [0-9]+ ( . [0-9]{1,decimals} )?`,
// inside int64) and formatAmount writes what tally_amount_format writes (every
// decimal: `0.07`, `-12.50`, `7` at 0 decimals). web/test/amount.test.js checks both
// against the `amounts` vectors the C code writes into test/vectors/transactions.json.

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;
export const DECIMALS_MAX = 9;

/** The amount text stands for at decimals, as a BigInt; null when it is refused. */
export function parseAmount(text, decimals) {
  if (typeof text !== 'string' || !Number.isInteger(decimals) || decimals < 0 || decimals > DECIMALS_MAX) return null;
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  if (text.includes('.') && fraction.length === 0) return null;
  if (fraction.length > decimals) return null;
  const magnitude = BigInt(whole + fraction.padEnd(decimals, '0'));
  const amount = sign ? -magnitude : magnitude;
  return amount < I64_MIN || amount > I64_MAX ? null : amount;
}

/** The text of amount (BigInt, or a safe integer Number) at decimals. */
export function formatAmount(amount, decimals) {
  const value = typeof amount === 'bigint' ? amount : BigInt(amount);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

/** "12.50 GVH": an amount with its unit, for display. */
export function formatWithUnit(amount, decimals, unit) {
  return `${formatAmount(amount, decimals)} ${unit}`;
}
