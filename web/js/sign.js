// sign.js: from a body to a committed transaction. It reads the chain id and the
// signer's next sequence from the node, encodes (encoding.js), asks the member for
// the key's passphrase (a dialog of this page), signs in the browser, and submits
// with wait=commit. Only the signed bytes leave the page.
import { get, submit } from './api.js';
import { encodeUnsigned, signTransaction, toHex, transactionId } from './encoding.js';
import { withUnsealedKey } from './keys.js';
import { askPassphrase } from './passphrase.js';

let chainId = null;

export async function chain() {
  chainId ??= (await get('/status')).chain_id;
  return chainId;
}

/**
 * Signs and submits a transaction of `type` with `body` by the key file `key`.
 * `what` is the sentence the passphrase dialog shows ("Pay 12.50 GVH to bob").
 * Resolves with the node's status of the committed transaction (with its id).
 */
export async function signAndSubmit(sodium, key, type, body, what) {
  const [chain_id, account] = await Promise.all([chain(), get(`/accounts/${key.address}`)]);
  const passphrase = await askPassphrase(key.name, what);
  const signed = await withUnsealedKey(sodium, key, passphrase, (pair) => {
    const unsigned = encodeUnsigned({ type, chainId: chain_id, signer: pair.publicKey, sequence: account.next_sequence, body });
    return { hex: toHex(signTransaction(sodium, unsigned, pair.privateKey)), id: transactionId(sodium, unsigned) };
  });
  const status = await submit(signed.hex);
  return { ...status, id: status.id ?? signed.id };
}
