// encoding.js: the browser's Tally transaction encoder and decoder (docs/ENCODING.md).
//
// It is the JavaScript twin of src/chain/codec.c: each transaction type is a table
// of fields (LAYOUTS below, in the order and with the names of codec.c's tables), and
// one encoder and one strict decoder walk the tables. The page signs exactly the
// bytes encodeUnsigned() returns, so this module must make the bytes the C encoder
// makes: web/test/encoding.test.js checks it against every vector of
// test/vectors/transactions.json (bytes, id, signature, decode and re-encode, and the
// refused encodings), and fails when a type has no vector.
//
// Values: u8 and u32 are Numbers; i64 are BigInts (a Number or a decimal string is
// taken when encoding, but a decoded i64 is always a BigInt, since amounts may pass
// 2^53); keys are 64 lowercase hex digits (or a 32-byte Uint8Array when encoding);
// texts are strings; dotted field names nest ("policy.fee_bps" is body.policy.fee_bps).
// The encoder refuses what a node's decoder would refuse, with the node's error code
// (err.code: DECODE_BAD_LENGTH, DECODE_BAD_TEXT, DECODE_BAD_VALUE, ...), so a page never
// signs a transaction the node cannot read. Rules of the protocol (positive amounts,
// alias characters, ...) are the node's, answered with their own codes.
//
// Crypto (BLAKE2b ids, Ed25519 signatures) needs libsodium: the functions that use it
// take the ready `sodium` object (web/js/sodium.js) as their first argument, so this
// module imports nothing and runs the same in the browser and under `node --test`.

export const ENCODING_VERSION = 1;
export const HEADER_BYTES = 74; // version, type, chain id, signer, sequence
export const SIGNATURE_BYTES = 64;
export const KEY_BYTES = 32;

// Text maxima, in bytes of UTF-8 (include/tally.h).
const NAME_MAX = 64, CODE_MAX = 8, ALIAS_MAX = 32, MEMO_MAX = 256, BATCH_MEMO_MAX = 64;
const TITLE_MAX = 80, LISTING_TEXT_MAX = 256, IMAGE_URL_MAX = 160, CATEGORY_NAME_MAX = 32;
const BATCH_LINES_MAX = 256;
// Enumerations the decoder bounds (a value >= the bound is DECODE_BAD_VALUE).
const COMPLIANCE_COUNT = 3, MEMBERSHIP_COUNT = 2, GOVERNANCE_COUNT = 2, WEIGHT_COUNT = 3;
const PENDING_OUTCOME_COUNT = 2, VOTE_CHOICE_COUNT = 3, LISTING_KIND_COUNT = 2;
const PATH_HOPS_MAX = 4, CLEARING_SETOFFS_MAX = 8, VALIDATORS_MAX = 16;

export class TallyEncodingError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = 'TallyEncodingError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------
// Layouts: [name, kind, limit]. kind is u8 (limit: exclusive bound, 0 none), u32,
// i64, bool, key, text (limit: maximum bytes) or items (limit: most items, with the
// item's fields as a fourth element).
// ---------------------------------------------------------------------------

const f = (name, kind, limit = 0, items = null) => ({ name, kind, limit, items });

function policyFields(prefix) {
  const p = `${prefix}policy.`;
  return [
    f(p + 'default_credit_limit', 'i64'), f(p + 'max_credit_limit', 'i64'), f(p + 'positive_cap', 'i64'),
    f(p + 'fee_bps', 'u32'), f(p + 'default_risk_fee_bps', 'u32'), f(p + 'period_seconds', 'u32'),
    f(p + 'grace_seconds', 'u32'), f(p + 'min_income_bps', 'u32'), f(p + 'target_rtd_bps', 'u32'),
    f(p + 'compliance_rule', 'u8', COMPLIANCE_COUNT), f(p + 'membership_mode', 'u8', MEMBERSHIP_COUNT),
    f(p + 'auto_renew', 'bool'), f(p + 'max_members', 'u32'), f(p + 'notice_seconds', 'u32'),
    f(p + 'redeem_cap_bps', 'u32'), f(p + 'collateral_ratio_bps', 'u32'),
    f(p + 'reputation.base', 'u32'), f(p + 'reputation.age_weight', 'u32'), f(p + 'reputation.age_full_days', 'u32'),
    f(p + 'reputation.volume_weight', 'u32'), f(p + 'reputation.volume_full', 'i64'),
    f(p + 'reputation.streak_weight', 'u32'), f(p + 'reputation.streak_full', 'u32'),
    f(p + 'reputation.review_weight', 'u32'), f(p + 'reputation.review_full', 'u32'),
    f(p + 'reputation.default_penalty', 'u32'),
    f(p + 'algorithmic_limits.enabled', 'bool'), f(p + 'algorithmic_limits.base', 'i64'),
    f(p + 'algorithmic_limits.per_point', 'i64'), f(p + 'algorithmic_limits.income_bps', 'u32'),
    f(p + 'algorithmic_limits.step_max', 'i64'), f(p + 'algorithmic_limits.recovery_periods', 'u32'),
    f(p + 'demurrage_bps', 'u32'), f(p + 'demurrage_threshold', 'i64'), f(p + 'membership_fee', 'i64'),
    f(p + 'charges_to_pool', 'bool'),
    f(p + 'governance.mode', 'u8', GOVERNANCE_COUNT), f(p + 'governance.weighting', 'u8', WEIGHT_COUNT),
    f(p + 'governance.quorum_bps', 'u32'), f(p + 'governance.threshold_bps', 'u32'),
    f(p + 'governance.voting_seconds', 'u32'), f(p + 'governance.timelock_seconds', 'u32'),
    f(p + 'governance.late_quorum_seconds', 'u32'),
    f(p + 'governance.operators_may_suspend', 'bool'), f(p + 'governance.operators_may_freeze', 'bool'),
  ];
}

// A gateway side's terms, and both sides' terms with the rate.
const sideFields = (prefix) => [
  f(prefix + '.fee_bps', 'u32'), f(prefix + '.limit', 'i64'),
  f(prefix + '.min_partner_rtd_bps', 'u32'), f(prefix + '.max_partner_default_bps', 'u32'),
];
const termsFields = (prefix = '') => [
  f(prefix + 'rate_a', 'i64'), f(prefix + 'rate_b', 'i64'),
  ...sideFields(prefix + 'side_a'), ...sideFields(prefix + 'side_b'),
];

const networkKey = [f('network_id', 'u32'), f('key', 'key')];
const networkOnly = [f('network_id', 'u32')];
const assetMove = [f('asset_id', 'u32'), f('to', 'key'), f('amount', 'i64')];
const poolAmount = [f('network_id', 'u32'), f('amount', 'i64')];
const stake = [f('network_id', 'u32'), f('member', 'key'), f('amount', 'i64')];
const listingContent = [
  f('category', 'u8'), f('price', 'i64'), f('quantity', 'u32'), f('expiry', 'i64'),
  f('title', 'text', TITLE_MAX), f('text', 'text', LISTING_TEXT_MAX), f('image_hash', 'key'),
  f('image_url', 'text', IMAGE_URL_MAX),
];
const orderOnly = [f('order_id', 'u32')];
const orderReason = [f('order_id', 'u32'), f('memo', 'text', MEMO_MAX)];

const setoffs = [];
for (let i = 1; i <= CLEARING_SETOFFS_MAX; i++)
  setoffs.push(f(`setoff_${i}.gateway_id`, 'u32'), f(`setoff_${i}.amount_a`, 'i64'), f(`setoff_${i}.amount_b`, 'i64'));

// A change of the validator set writes every one of its 16 key slots, those past
// add_count as zeros (the rules refuse any other: BAD_VALIDATOR_SET).
const validatorKeys = [];
for (let i = 1; i <= VALIDATORS_MAX; i++) validatorKeys.push(f(`add_${i}`, 'key'));

const batchLine = [f('payee', 'key'), f('amount', 'i64'), f('memo', 'text', BATCH_MEMO_MAX)];

// By type code, as include/tally.h numbers them.
const TYPES = [
  [1, 'network_create', [f('name', 'text', NAME_MAX), f('unit_code', 'text', CODE_MAX), f('decimals', 'u8'), ...policyFields('')]],
  [2, 'policy_update', [f('network_id', 'u32'), ...policyFields('')]],
  [3, 'peg_set', [f('network_id', 'u32'), f('asset_id', 'u32'), f('peg_reserve_units', 'i64'), f('peg_credit_units', 'i64')]],
  [4, 'operator_add', networkKey],
  [5, 'operator_remove', networkKey],
  [6, 'member_join', networkOnly],
  [7, 'member_admit', networkKey],
  [8, 'member_suspend', networkKey],
  [9, 'member_reinstate', networkKey],
  [10, 'member_leave', networkOnly],
  [11, 'alias_set', [f('network_id', 'u32'), f('alias', 'text', ALIAS_MAX)]],
  [12, 'line_open', [f('network_id', 'u32'), f('member', 'key'), f('limit', 'i64'), f('period_seconds', 'u32'),
    f('grace_seconds', 'u32'), f('risk_fee_bps', 'u32')]],
  [13, 'line_update', [f('network_id', 'u32'), f('member', 'key'), f('limit', 'i64'), f('risk_fee_bps', 'u32')]],
  [14, 'line_close', networkKey],
  [15, 'transfer', [f('network_id', 'u32'), f('payee', 'key'), f('amount', 'i64'), f('max_fee', 'i64'),
    f('memo', 'text', MEMO_MAX)]],
  [16, 'asset_create', [f('code', 'text', CODE_MAX), f('name', 'text', NAME_MAX), f('decimals', 'u8')]],
  [17, 'asset_issue', assetMove],
  [18, 'asset_transfer', assetMove],
  [19, 'asset_burn', [f('asset_id', 'u32'), f('amount', 'i64')]],
  [20, 'pool_deposit', poolAmount],
  [21, 'pool_withdraw', poolAmount],
  [22, 'pool_repay', poolAmount],
  [23, 'pool_redeem', poolAmount],
  [24, 'fee_distribute', [f('network_id', 'u32'), f('to_pool', 'bool'), f('to', 'key'), f('amount', 'i64')]],
  [25, 'chain_approve', [f('key', 'key'), f('networks', 'u32'), f('assets', 'u32')]],
  [26, 'transfer_batch', [f('network_id', 'u32'), f('max_fee', 'i64'), f('lines', 'items', BATCH_LINES_MAX, batchLine)]],
  [27, 'pending_create', [f('network_id', 'u32'), f('payee', 'key'), f('amount', 'i64'), f('max_fee', 'i64'),
    f('resolver', 'key'), f('timeout', 'i64'), f('outcome', 'u8', PENDING_OUTCOME_COUNT)]],
  [28, 'pending_post', [f('pending_id', 'u32'), f('amount', 'i64')]],
  [29, 'pending_void', [f('pending_id', 'u32')]],
  [30, 'request_create', [f('network_id', 'u32'), f('payer', 'key'), f('amount', 'i64'), f('expiry', 'i64'),
    f('memo', 'text', MEMO_MAX)]],
  [31, 'request_pay', [f('request_id', 'u32'), f('max_fee', 'i64')]],
  [32, 'request_cancel', [f('request_id', 'u32')]],
  [33, 'gateway_propose', [f('network_a', 'u32'), f('network_b', 'u32'), ...termsFields()]],
  [34, 'gateway_accept', [f('gateway_id', 'u32'), ...termsFields()]],
  [35, 'gateway_update', [f('gateway_id', 'u32'), f('network_id', 'u32'), ...sideFields('side')]],
  [36, 'gateway_freeze', [f('gateway_id', 'u32'), f('network_id', 'u32'), f('frozen', 'bool')]],
  [37, 'gateway_close', [f('gateway_id', 'u32')]],
  [38, 'transfer_cross', [f('network_id', 'u32'), f('payee', 'key'), f('amount', 'i64'), f('max_fee', 'i64'),
    f('min_received', 'i64'), f('hop_count', 'u8', PATH_HOPS_MAX + 1),
    f('gateway_1', 'u32'), f('gateway_2', 'u32'), f('gateway_3', 'u32'), f('gateway_4', 'u32')]],
  [39, 'clearing', [f('count', 'u8', CLEARING_SETOFFS_MAX + 1), ...setoffs]],
  [40, 'settle', [f('gateway_id', 'u32'), f('network_id', 'u32'), f('amount', 'i64')]],
  [41, 'stake', stake],
  [42, 'unstake', stake],
  [43, 'member_fee_pay', networkOnly],
  // A proposal's action carries the fields of every operator transaction it may stand
  // for; those its type does not use are zero (the node checks which).
  [44, 'proposal_create', [f('network_id', 'u32'), f('action.type', 'u8'), ...policyFields('action.'),
    f('action.asset_id', 'u32'), f('action.peg_reserve_units', 'i64'), f('action.peg_credit_units', 'i64'),
    f('action.key', 'key'), f('action.gateway_id', 'u32'), f('action.partner_id', 'u32'),
    ...termsFields('action.'), f('action.frozen', 'bool'), f('action.order_id', 'u32'), f('action.amount', 'i64')]],
  [45, 'proposal_vote', [f('proposal_id', 'u32'), f('choice', 'u8', VOTE_CHOICE_COUNT)]],
  [46, 'proposal_cancel', [f('proposal_id', 'u32')]],
  [47, 'category_set', [f('network_id', 'u32'), f('category', 'u8'), f('name', 'text', CATEGORY_NAME_MAX)]],
  [48, 'listing_create', [f('network_id', 'u32'), f('kind', 'u8', LISTING_KIND_COUNT), ...listingContent]],
  [49, 'listing_update', [f('listing_id', 'u32'), ...listingContent]],
  [50, 'listing_withdraw', [f('listing_id', 'u32')]],
  [51, 'order_create', [f('listing_id', 'u32'), f('quantity', 'u32'), f('unit_price', 'i64'), f('max_fee', 'i64'),
    f('timeout', 'i64'), f('memo', 'text', MEMO_MAX)]],
  [52, 'order_accept', orderOnly],
  [53, 'order_decline', orderReason],
  [54, 'order_cancel', orderOnly],
  [55, 'order_confirm', orderOnly],
  [56, 'order_dispute', orderReason],
  [57, 'order_resolve', [f('order_id', 'u32'), f('amount', 'i64'), f('memo', 'text', MEMO_MAX)]],
  [58, 'review', [f('order_id', 'u32'), f('rating', 'u8'), f('text', 'text', MEMO_MAX)]],
  [59, 'validator_propose', [f('add_count', 'u8', VALIDATORS_MAX + 1), ...validatorKeys, f('retire', 'u32')]],
  [60, 'validator_approve', [f('change_id', 'u32')]],
];

/** A body of type with every field zero (false, empty, the zero key): a proposal's
 * action starts from one, since the fields its type does not use must be zero. */
export function zeroBody(type) {
  const body = {};
  for (const field of typeLayout(type).fields) {
    const zero = { u8: 0, u32: 0, i64: 0n, bool: false, key: '00'.repeat(KEY_BYTES), text: '', items: [] }[field.kind];
    setPath(body, field.name, zero);
  }
  return body;
}

/** type code -> { code, name, fields } */
export const LAYOUTS = new Map(TYPES.map(([code, name, fields]) => [code, { code, name, fields }]));
/** type name -> code */
export const TYPE_CODES = new Map(TYPES.map(([code, name]) => [name, code]));

// ---------------------------------------------------------------------------
// Text: UTF-8 per RFC 3629, no controls, no invisible formatting (section 2).
// ---------------------------------------------------------------------------

// Code points refused in any text: C0, DEL, C1, and those that make text read other
// than it is (bidirectional overrides and isolates, zero-width characters, tags...).
export function isRefusedCodePoint(cp) {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0xad || cp === 0x61c || cp === 0x180e ||
    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 (overlong forms, surrogates, past U+10FFFF, cut sequences)
// throws; ignoreBOM: a leading U+FEFF stays in the text, where it is refused.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a text is refused (a sentence), or null when it may be signed. */
export function textProblem(text) {
  if (typeof text !== 'string') return 'is not a string';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'holds a lone surrogate (not Unicode text)';
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return 'holds a lone surrogate (not Unicode text)';
    }
  }
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (isRefusedCodePoint(cp))
      return `holds U+${cp.toString(16).toUpperCase().padStart(4, '0')}, a control or invisible formatting character`;
  }
  return null;
}

function decodeText(bytes, name) {
  let text;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new TallyEncodingError('DECODE_BAD_TEXT', `${name} is not valid UTF-8`);
  }
  const problem = textProblem(text);
  if (problem) throw new TallyEncodingError('DECODE_BAD_TEXT', `${name} ${problem}`);
  return text;
}

// ---------------------------------------------------------------------------
// Hex and values.
// ---------------------------------------------------------------------------

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex, length = null) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new TallyEncodingError('BAD_HEX', 'not an even number of hex digits');
  if (length !== null && hex.length !== 2 * length)
    throw new TallyEncodingError('BAD_HEX', `${hex.length / 2} bytes where ${length} are expected`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n, U64_MAX = 2n ** 64n - 1n;

function toBigInt(value, name) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is not an integer (${String(value)})`);
}

function smallInteger(value, name, max) {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} must be an integer from 0 to ${max} (${String(value)})`);
  return n;
}

function keyBytes(value, name) {
  if (value instanceof Uint8Array) {
    if (value.length !== KEY_BYTES) throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is not 32 bytes`);
    return value;
  }
  try {
    return fromHex(value, KEY_BYTES);
  } catch {
    throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is not 64 hex digits`);
  }
}

function getPath(object, dotted) {
  let value = object;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value))
      throw new TallyEncodingError('MISSING_FIELD', `the body has no ${dotted}`);
    value = value[part];
  }
  return value;
}

function setPath(object, dotted, value) {
  const parts = dotted.split('.');
  let target = object;
  for (const part of parts.slice(0, -1)) target = target[part] ??= {};
  target[parts[parts.length - 1]] = value;
}

// ---------------------------------------------------------------------------
// Encoding.
// ---------------------------------------------------------------------------

class Writer {
  constructor() { this.parts = []; this.length = 0; }
  bytes(b) { this.parts.push(b); this.length += b.length; }
  u8(v) { this.bytes(Uint8Array.of(v)); }
  u16(v) { this.bytes(Uint8Array.of(v & 0xff, v >>> 8)); }
  u32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); this.bytes(b); }
  u64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); this.bytes(b); }
  i64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, v, true); this.bytes(b); }
  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

function encodeFields(writer, fields, body, prefix = '') {
  for (const field of fields) {
    const name = prefix + field.name;
    const value = getPath(body, field.name);
    switch (field.kind) {
      case 'u8': {
        const n = smallInteger(value, name, 255);
        if (field.limit && n >= field.limit)
          throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} must be below ${field.limit} (${n})`);
        writer.u8(n);
        break;
      }
      case 'u32': writer.u32(smallInteger(value, name, 0xffffffff)); break;
      case 'i64': {
        const n = toBigInt(value, name);
        if (n < I64_MIN || n > I64_MAX) throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is outside int64`);
        writer.i64(n);
        break;
      }
      case 'bool':
        if (value !== true && value !== false) throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is not true or false`);
        writer.u8(value ? 1 : 0);
        break;
      case 'key': writer.bytes(keyBytes(value, name)); break;
      case 'text': {
        const problem = textProblem(value);
        if (problem) throw new TallyEncodingError('DECODE_BAD_TEXT', `${name} ${problem}`);
        const bytes = utf8.encode(value);
        if (bytes.length > field.limit)
          throw new TallyEncodingError('DECODE_BAD_LENGTH', `${name} is ${bytes.length} bytes of UTF-8, at most ${field.limit}`);
        writer.u16(bytes.length);
        writer.bytes(bytes);
        break;
      }
      case 'items': {
        if (!Array.isArray(value) || value.length === 0 || value.length > field.limit)
          throw new TallyEncodingError('DECODE_BAD_LENGTH', `${name} must hold 1 to ${field.limit} entries`);
        writer.u16(value.length);
        value.forEach((item, i) => encodeFields(writer, field.items, item, `${name}[${i}].`));
        break;
      }
      default: throw new Error(`unknown field kind ${field.kind}`);
    }
  }
}

/** An unused field must be zero (fee_distribute's `to` when paying the pool). */
function checkUnusedFields(type, body) {
  if (type === 24 && body.to_pool && /[^0]/.test(typeof body.to === 'string' ? body.to : toHex(body.to)))
    throw new TallyEncodingError('DECODE_BAD_VALUE', 'fee_distribute to the pool names no member: `to` must be zero');
}

function typeLayout(type) {
  const code = typeof type === 'string' ? TYPE_CODES.get(type) : type;
  const layout = LAYOUTS.get(code);
  if (!layout) throw new TallyEncodingError('UNKNOWN_TX_TYPE', `no transaction type ${String(type)}`);
  return layout;
}

/**
 * The unsigned encoding of a transaction (what is hashed and signed).
 * tx: { type (code or name), chainId (hex or bytes), signer (hex or bytes),
 *       sequence (Number, BigInt or string), body }
 */
export function encodeUnsigned(tx) {
  const layout = typeLayout(tx.type);
  const writer = new Writer();
  writer.u8(ENCODING_VERSION);
  writer.u8(layout.code);
  writer.bytes(keyBytes(tx.chainId, 'chain_id'));
  writer.bytes(keyBytes(tx.signer, 'signer'));
  const sequence = toBigInt(tx.sequence, 'sequence');
  if (sequence < 0n || sequence > U64_MAX) throw new TallyEncodingError('DECODE_BAD_VALUE', 'sequence is outside u64');
  writer.u64(sequence);
  encodeFields(writer, layout.fields, tx.body);
  checkUnusedFields(layout.code, tx.body);
  return writer.finish();
}

// ---------------------------------------------------------------------------
// Decoding: strict, as a node decodes (docs/ENCODING.md section 5).
// ---------------------------------------------------------------------------

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }
  need(n) {
    if (this.at + n > this.bytes.length) throw new TallyEncodingError('DECODE_TRUNCATED', 'the bytes end too early');
  }
  u8() { this.need(1); return this.bytes[this.at++]; }
  u16() { this.need(2); const v = this.view.getUint16(this.at, true); this.at += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  u64() { this.need(8); const v = this.view.getBigUint64(this.at, true); this.at += 8; return v; }
  i64() { this.need(8); const v = this.view.getBigInt64(this.at, true); this.at += 8; return v; }
  take(n) { this.need(n); const v = this.bytes.subarray(this.at, this.at + n); this.at += n; return v; }
  left() { return this.bytes.length - this.at; }
}

const LINE_BYTES_MIN = KEY_BYTES + 8 + 2;

function decodeFields(reader, fields, out, prefix = '') {
  for (const field of fields) {
    const name = prefix + field.name;
    let value;
    switch (field.kind) {
      case 'u8':
        value = reader.u8();
        if (field.limit && value >= field.limit)
          throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is ${value}, at most ${field.limit - 1}`);
        break;
      case 'u32': value = reader.u32(); break;
      case 'i64': value = reader.i64(); break;
      case 'bool': {
        const b = reader.u8();
        if (b > 1) throw new TallyEncodingError('DECODE_BAD_VALUE', `${name} is ${b}, not 0 or 1`);
        value = b === 1;
        break;
      }
      case 'key': value = toHex(reader.take(KEY_BYTES)); break;
      case 'text': {
        const length = reader.u16();
        if (length > field.limit)
          throw new TallyEncodingError('DECODE_BAD_LENGTH', `${name} is ${length} bytes, at most ${field.limit}`);
        value = decodeText(reader.take(length), name);
        break;
      }
      case 'items': {
        const count = reader.u16();
        if (count === 0 || count > field.limit)
          throw new TallyEncodingError('DECODE_BAD_LENGTH', `${name} holds ${count} entries, 1 to ${field.limit} allowed`);
        if (reader.left() < count * LINE_BYTES_MIN)
          throw new TallyEncodingError('DECODE_TRUNCATED', `${name}: the bytes cannot hold ${count} entries`);
        value = [];
        for (let i = 0; i < count; i++) {
          const item = {};
          decodeFields(reader, field.items, item, `${name}[${i}].`);
          value.push(item);
        }
        break;
      }
      default: throw new Error(`unknown field kind ${field.kind}`);
    }
    setPath(out, field.name, value);
  }
}

/**
 * Decodes a signed transaction (bytes or hex) as a node does, refusing anything
 * that is not a canonical encoding. Returns { type, typeName, chainId, signer,
 * sequence (BigInt), body, signature, unsigned (bytes) }. A proposal's action is not
 * checked for unused fields here (the node refuses one that is not well formed).
 */
export function decodeSigned(input) {
  const bytes = typeof input === 'string' ? fromHex(input) : input;
  if (bytes.length >= 1 && bytes[0] !== ENCODING_VERSION)
    throw new TallyEncodingError('DECODE_BAD_VERSION', `encoding version ${bytes[0]}, not ${ENCODING_VERSION}`);
  const reader = new Reader(bytes);
  reader.u8();
  const code = reader.u8();
  const layout = LAYOUTS.get(code);
  if (!layout) throw new TallyEncodingError('UNKNOWN_TX_TYPE', `no transaction type ${code}`);
  const chainId = toHex(reader.take(KEY_BYTES));
  const signer = toHex(reader.take(KEY_BYTES));
  const sequence = reader.u64();
  const body = {};
  decodeFields(reader, layout.fields, body);
  checkUnusedFields(code, body);
  const unsignedLength = reader.at;
  const signature = toHex(reader.take(SIGNATURE_BYTES));
  if (reader.left() !== 0)
    throw new TallyEncodingError('DECODE_TRAILING_BYTES', `${reader.left()} bytes after the signature`);
  return { type: code, typeName: layout.name, chainId, signer, sequence, body, signature,
    unsigned: bytes.subarray(0, unsignedLength) };
}

// ---------------------------------------------------------------------------
// Id and signature (section 4): these need libsodium.
// ---------------------------------------------------------------------------

/** The transaction id: BLAKE2b-256 of the unsigned encoding, as hex. */
export function transactionId(sodium, unsigned) {
  return toHex(sodium.crypto_generichash(32, unsigned, null));
}

/** The signed encoding: the unsigned bytes and their Ed25519 signature by secretKey. */
export function signTransaction(sodium, unsigned, secretKey) {
  const signature = sodium.crypto_sign_detached(unsigned, secretKey);
  const out = new Uint8Array(unsigned.length + SIGNATURE_BYTES);
  out.set(unsigned);
  out.set(signature, unsigned.length);
  return out;
}
