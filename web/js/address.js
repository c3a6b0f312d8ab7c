// address.js: account addresses in checksummed text (docs/ENCODING.md section 6).
//
//   address = "tly1" + base32(key[32] || checksum[4]),  checksum = BLAKE2b-256(key)[0..4]
//
// base32 is RFC 4648's lowercase alphabet without padding: always 62 characters. The
// decoder refuses what the node refuses (length, prefix, case, alphabet, padding bits,
// checksum), each with its own sentence. The checksum needs libsodium, passed in.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const ADDRESS_PREFIX = 'tly1';
export const ADDRESS_LENGTH = 62;
/** The shape of an address, for a regular expression (the checksum needs decodeAddress). */
export const ADDRESS_SHAPE = `${ADDRESS_PREFIX}[a-z2-7]{${ADDRESS_LENGTH - ADDRESS_PREFIX.length}}`; // ALPHABET's characters

function checksum(sodium, key) {
  return sodium.crypto_generichash(32, key, null).subarray(0, 4);
}

/** The address of a 32-byte public key. */
export function encodeAddress(sodium, key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new Error('a key is 32 bytes');
  const bytes = new Uint8Array(36);
  bytes.set(key);
  bytes.set(checksum(sodium, key), 32);
  let out = ADDRESS_PREFIX, buffer = 0, bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The key an address names, or throws an Error saying what is wrong with it. */
export function decodeAddress(sodium, text) {
  if (typeof text !== 'string') throw new Error('an address is text');
  if (!text.startsWith(ADDRESS_PREFIX)) throw new Error(`an address starts with ${ADDRESS_PREFIX}`);
  if (text.length !== ADDRESS_LENGTH) throw new Error(`an address has ${ADDRESS_LENGTH} characters, this one ${text.length}`);
  const bytes = new Uint8Array(36);
  let buffer = 0, bits = 0, at = 0;
  for (const ch of text.slice(ADDRESS_PREFIX.length)) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new Error(`"${ch}" is not a character of addresses (a-z, 2-7)`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes[at++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
      buffer &= (1 << bits) - 1;
    }
  }
  if (buffer !== 0) throw new Error('the address is damaged (its last character does not end in zero bits)');
  const key = bytes.slice(0, 32);
  const expected = checksum(sodium, key);
  if (!expected.every((b, i) => b === bytes[32 + i])) throw new Error('the address is mistyped (its checksum does not match)');
  return key;
}
