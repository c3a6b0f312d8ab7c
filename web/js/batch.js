// batch.js: the CSV of a batch payment, read as the CLI's `tally pay-batch` reads it
// (src/cli/batch_csv.c), so one file pays the same from either: one payment a line,
// payee,amount[,memo]; fields may be quoted as spreadsheets write them ("a, b" and
// "say ""hi"""); blank lines, lines starting with '#' and a first line whose first
// field is "payee" (a header) are skipped; CRLF reads as LF. Every refusal names the
// file's line. And the most a batch's fees can be, line after line, as the CLI
// estimates it (cli_batch_fee_estimate): each line meets the balance the lines before
// it left. web/test/batch.test.js checks both against the CLI's own cases.
import { textProblem } from './encoding.js';

export const BATCH_LINES_MAX = 256;
export const BATCH_MEMO_MAX = 64; // bytes of UTF-8
const FILE_MAX = 1 << 20;
const PAYEE_MAX = 64 + 1 + 64; // an address, '@', a network's name
const AMOUNT_MAX = 31;

const utf8 = new TextEncoder();
const blank = (c) => c === ' ' || c === '\t';

class BatchFileError extends Error {
  constructor(line, message) {
    super(line ? `line ${line}: ${message}` : message);
    this.name = 'BatchFileError';
    this.line = line;
  }
}

/** One line (without its end) as its fields. */
function splitLine(line, number) {
  const fields = [];
  let at = 0;
  for (;;) {
    if (fields.length === 3)
      throw new BatchFileError(number, 'more than 3 fields: write payee,amount,memo (quote a memo that holds a comma: "a, b")');
    let field = '';
    while (at < line.length && blank(line[at])) at++;
    if (line[at] === '"') {
      at++;
      let closed = false;
      while (at < line.length) {
        if (line[at] === '"') {
          if (line[at + 1] === '"') {
            field += '"';
            at += 2;
            continue;
          }
          at++;
          closed = true;
          break;
        }
        field += line[at++];
      }
      if (!closed) throw new BatchFileError(number, 'a quoted field is not closed on its line (a field may not hold a line break)');
      while (at < line.length && blank(line[at])) at++;
      if (at < line.length && line[at] !== ',')
        throw new BatchFileError(number, `a quoted field is followed by '${line[at]}', not by a comma`);
    } else {
      const start = at;
      while (at < line.length && line[at] !== ',') {
        if (line[at] === '"')
          throw new BatchFileError(number, 'a quote inside an unquoted field: quote the whole field and double the quote');
        at++;
      }
      let end = at;
      while (end > start && blank(line[end - 1])) end--;
      field = line.slice(start, end);
    }
    fields.push(field);
    if (at >= line.length) return fields;
    at++; // the comma
  }
}

function row(fields, number) {
  if (fields.length < 2) throw new BatchFileError(number, 'expected payee,amount[,memo], found one field');
  const [payee, amount, memo = ''] = fields;
  if (payee.length === 0) throw new BatchFileError(number, 'the payee is empty');
  if (amount.length === 0) throw new BatchFileError(number, 'the amount is empty');
  if (utf8.encode(payee).length > PAYEE_MAX) throw new BatchFileError(number, `the payee is ${utf8.encode(payee).length} characters: no address@network is that long`);
  if (amount.length > AMOUNT_MAX) throw new BatchFileError(number, `'${amount.slice(0, 31)}...' is not an amount`);
  const bytes = utf8.encode(memo).length;
  if (bytes > BATCH_MEMO_MAX)
    throw new BatchFileError(number, `the memo is ${bytes} bytes; a batch line's memo is at most ${BATCH_MEMO_MAX}`);
  if (textProblem(memo))
    throw new BatchFileError(number, 'the memo holds a control or invisible formatting character (such as U+202E or U+200B), or is not UTF-8');
  return { line: number, payee, amount, memo };
}

/**
 * The payments of a CSV text: [{ line, payee, amount, memo }] with the amount still
 * text (the network says its decimals) and the payee as written. Throws an Error
 * whose message names the line ("line 7: ...") for what the CLI refuses.
 */
export function parseBatchCsv(text) {
  if (typeof text !== 'string') throw new BatchFileError(0, 'the file is not text');
  if (utf8.encode(text).length > FILE_MAX)
    throw new BatchFileError(0, `the file is more than ${FILE_MAX} bytes; a batch's file is at most ${FILE_MAX}`);
  if (text.includes('\0')) throw new BatchFileError(0, 'the file holds a NUL byte: it is not a text file');
  const rows = [];
  let seenData = false;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // a last line end ends the last line
  lines.forEach((raw, index) => {
    const number = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let first = 0;
    while (first < line.length && blank(line[first])) first++;
    if (first === line.length || line[first] === '#') return;
    const fields = splitLine(line, number);
    if (!seenData && fields[0].toLowerCase() === 'payee') {
      seenData = true;
      return;
    }
    seenData = true;
    if (rows.length === BATCH_LINES_MAX)
      throw new BatchFileError(number, `more than ${BATCH_LINES_MAX} payments: a batch holds at most ${BATCH_LINES_MAX}; split the file`);
    rows.push(row(fields, number));
  });
  if (rows.length === 0) throw new BatchFileError(0, 'the file holds no payment (one a line: payee,amount,memo)');
  return rows;
}

const roundUp = (amount, bps) => (amount * BigInt(bps) + 9999n) / 10000n;

/**
 * The most the fees of a batch's amounts (BigInts, in order) can be: each line's base
 * fee and the risk fee of the part of it that is on credit, rounded up, with the
 * balance each line leaves for the next (as the core charges them, and the CLI signs).
 */
export function batchFeeEstimate(amounts, balance, feeBps, riskFeeBps, creditAllowed) {
  let total = 0n, left = BigInt(balance);
  for (const amount of amounts) {
    const positive = left > 0n ? left : 0n;
    const onCredit = amount > positive ? amount - positive : 0n;
    const fee = roundUp(amount, feeBps) + (creditAllowed ? roundUp(onCredit, riskFeeBps) : 0n);
    total += fee;
    left -= amount + fee;
  }
  return total;
}
