// sign.js: from a body to a committed transaction. It reads the chain id and the
// signer's next sequence from the node, encodes (encoding.js), asks the member for
// the key's passphrase (a dialog of this page), signs in the browser, and submits
// with wait=commit. Only the signed bytes leave the page.
import { get, submit } from './api.js';
import { encodeUnsigned, signTransaction, toHex, transactionId } from './encoding.js';
import { withUnsealedKey } from './keys.js';
import { askPassphrase } from './passphrase.js';
import { setFlash } from './dom.js';

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
  await indexed(status.height);
  return { ...status, id: status.id ?? signed.id };
}

/**
 * Waits (at most 10 s) until the node's index holds block `height`: lists and
 * histories come from the index, which trails the chain by a batch, and the page
 * shown next should hold what the member just did.
 */
export async function indexed(height) {
  if (height === undefined || height === null) return;
  for (let waited = 0; waited < 10000; waited += 50) {
    const status = await get('/status');
    if (status.indexed_height !== null && status.indexed_height >= height) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * signAndSubmit, then the view shown again with what was done at its top (or, for a
 * change the chain announced, from when it is in force). For the actions of forms:
 * resolves null (nothing more to show in the form).
 */
export async function signAndShow(sodium, key, type, body, what, refresh) {
  const status = await signAndSubmit(sodium, key, type, body, what);
  const at = status.result?.effective_at;
  setFlash(at ? `Announced: ${what}; in force from ${new Date(at * 1000).toLocaleString()}.` : `Done: ${what}.`);
  await refresh();
  return null;
}
