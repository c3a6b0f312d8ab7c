// views/batch.js: paying many members at once from a CSV file (payroll, a market
// day's settlements): the file is read here as the CLI's `tally pay-batch` reads it
// (batch.js), each payee is found in this network, and the page shows every line,
// the total and the most the fees can be before anything is signed. Then one signed
// transfer_batch pays all the lines or none; a refusal names the file's line.
import { decodeAddress } from '../address.js';
import { formatAmount, parseAmount } from '../amount.js';
import { batchFeeEstimate, parseBatchCsv } from '../batch.js';
import { field, h, replace, setFlash } from '../dom.js';
import { money } from '../networks.js';
import { signAndSubmit } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';

/** A payee as written, in this network: who, or a line's refusal. */
function payeeIn(text, network, networks) {
  const at = text.lastIndexOf('@');
  if (at <= 0) return text;
  const where = text.slice(at + 1);
  const named = networks.get(Number(where)) ?? [...networks.values()].find((n) => n.name.toLowerCase() === where.toLowerCase());
  if (!named) throw new Error(`no network '${where}'`);
  if (named.id !== network.id) throw new Error(`'${text}' is in ${named.name}; a batch pays in one network (${network.name})`);
  return text.slice(0, at);
}

/** The rows of the file as payments of this network, each payee resolved. */
async function readLines(sodium, key, network, networks, rows) {
  const lines = [];
  const resolved = new Map(); // who -> address: a payroll names the same payees often
  for (const row of rows) {
    const at = (e) => new Error(`line ${row.line}: ${e.message}`);
    const amount = parseAmount(row.amount, network.decimals);
    if (amount === null) {
      const decimals = row.amount.split('.')[1]?.length ?? 0;
      throw at(new Error(decimals > network.decimals
        ? `too many decimals: ${network.unit} has ${network.decimals}, '${row.amount}' has ${decimals}`
        : `'${row.amount}' is not an amount of ${network.unit}`));
    }
    if (amount < 0n) throw at(new Error(`'${row.amount}' is negative`));
    if (amount === 0n) throw at(new Error('the amount is 0'));
    let who, address;
    try {
      who = payeeIn(row.payee, network, networks);
      address = resolved.get(who) ?? await resolveMember(sodium, network.id, who);
      resolved.set(who, address);
    } catch (e) {
      throw at(e.code === 'NOT_MEMBER' ? new Error(`no member '${who}' in ${network.name}`) : e);
    }
    if (address === key.address) throw at(new Error('that is your own account'));
    lines.push({ line: row.line, who, address, amount, memo: row.memo });
  }
  return lines;
}

export function batchSection(sodium, key, membership, network, networks, refresh) {
  const id = network.id;
  const preview = h('div', { id: `batch-preview-${id}` });
  const file = h('input', { type: 'file', name: 'file', id: `batch-file-${id}`, accept: '.csv,text/csv,text/plain' });
  const read = actionForm({ id: `batch-${id}` }, [
    h('p', {}, 'One payment a line: ', h('code', {}, 'payee,amount,memo'),
      ` (an alias or address of ${network.name}; up to 256 lines; the same file as the CLI's `, h('code', {}, 'tally pay-batch'), ').'),
    field('CSV file', file),
    field('or the lines', h('textarea', { name: 'text', id: `batch-text-${id}`, rows: 4, placeholder: 'bob,12.50,March\ncarol,3' })),
    h('button', { type: 'submit', id: `batch-read-${id}` }, 'Read the payments'),
  ], async (data) => {
    replace(preview, '');
    const text = file.files[0] ? await file.files[0].text() : String(data.get('text') ?? '');
    const name = file.files[0]?.name ?? 'the lines';
    let lines;
    try {
      lines = await readLines(sodium, key, network, networks, parseBatchCsv(text));
    } catch (e) {
      throw new Error(`${name}: ${e.message}`);
    }
    replace(preview, payForm(lines, name));
    return null;
  });

  const payForm = (lines, name) => {
    const total = lines.reduce((sum, l) => sum + l.amount, 0n);
    const creditAllowed = membership.status === 'active' && membership.line?.status === 'active';
    const fee = batchFeeEstimate(lines.map((l) => l.amount), BigInt(membership.balance), network.policy.fee_bps,
      membership.line?.risk_fee_bps ?? 0, creditAllowed);
    const payees = new Set(lines.map((l) => l.address)).size;
    const what = `Pay ${money(total, network)} in ${lines.length} payment${lines.length > 1 ? 's' : ''} to ${payees} payee${payees > 1 ? 's' : ''}` +
      (fee > 0n ? ` (fees at most ${money(fee, network)})` : '');
    return actionForm({ id: `batch-pay-form-${id}` }, [
      h('div', { class: 'table-scroll' }, h('table', { class: 'cards', id: `batch-lines-${id}` },
        h('thead', {}, h('tr', {}, ['Line', 'To', 'Amount', 'Memo'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, lines.map((l) => h('tr', {},
          h('td', { 'data-label': 'Line' }, String(l.line)),
          h('td', { 'data-label': 'To' }, l.who),
          h('td', { class: 'amount', 'data-label': 'Amount' }, money(l.amount, network)),
          h('td', { class: 'memo', 'data-label': 'Memo' }, l.memo)))))),
      h('p', { id: `batch-total-${id}` }, `${what}. All the lines are paid, or none.`),
      h('button', { type: 'submit', id: `batch-pay-${id}` }, `Pay ${lines.length} payment${lines.length > 1 ? 's' : ''}`),
    ], async () => {
      try {
        const status = await signAndSubmit(sodium, key, 'transfer_batch', {
          network_id: id, max_fee: fee,
          lines: lines.map((l) => ({ payee: decodeAddress(sodium, l.address), amount: l.amount, memo: l.memo })),
        }, what);
        setFlash(`Paid: ${what}, in block ${status.height ?? '?'}.`);
      } catch (e) {
        // the node names the batch's line (from 1); the member knows the file's
        const line = e.details?.line;
        if (line >= 1 && line <= lines.length) {
          const l = lines[line - 1];
          e.message = `${e.message}: ${name} line ${l.line} (${formatAmount(l.amount, network.decimals)} ${network.unit} to ${l.who}); nothing of the batch was paid`;
        }
        throw e;
      }
      await refresh();
      return null;
    });
  };

  return h('details', { class: 'card-part batch', id: `batch-section-${id}` },
    h('summary', {}, 'Pay many from a CSV file'), read, preview);
}
