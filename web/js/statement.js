// statement.js: a member's statement as CSV, and saving a text as a file. The CSV has
// one row per history entry, newest first, with amounts in the network's unit; text
// fields are quoted as RFC 4180 says, and a memo or name that a spreadsheet would
// take for a formula (starting with = + - @, a tab or a carriage return) is written
// with a leading apostrophe, so opening a statement never runs anything.
import { formatAmount } from './amount.js';

export const STATEMENT_COLUMNS = ['date', 'block', 'transaction', 'type', 'counterparty', 'counterparty_name', 'amount', 'fee', 'unit', 'memo'];

function quote(text) {
  let value = String(text ?? '');
  if (/^[=+\-@\t\r]/.test(value)) value = `'${value}`;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text of history entries (GET .../history) of a network. */
export function statementCsv(entries, network) {
  const lines = [STATEMENT_COLUMNS.join(',')];
  for (const e of entries) {
    lines.push([
      new Date(Number(e.time) * 1000).toISOString(), e.height, e.tx, e.type, quote(e.counterparty ?? ''),
      quote(e.counterparty_name ?? ''), formatAmount(BigInt(e.amount ?? 0), network.decimals),
      formatAmount(BigInt(e.fee ?? 0), network.decimals), network.unit, quote(e.memo ?? ''),
    ].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Offers text as a file to save. */
export function downloadText(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
