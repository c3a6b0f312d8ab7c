// The batch CSV as the CLI reads it: the cases of test/test_cli.c's pay-batch tests
// (the same file gives the same payments, the same refusal names the same line), and
// the fee estimate's worked figures from there (cli_batch_fee_estimate).
import './node_compat.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_LINES_MAX, batchFeeEstimate, parseBatchCsv } from '../js/batch.js';

const BOB = 'tly1' + 'a'.repeat(59);

test('a header, a comment, a blank line, CRLF, quoted memos, spaces around an amount', () => {
  const rows = parseBatchCsv('payee,amount,memo\r\n# March payroll\nbob@greenvale,12.50,rent\r\n\n' +
    'carol,3,"hours, ""extra"""\n' + `${BOB}@1, 0.01 ,\n`);
  assert.deepEqual(rows, [
    { line: 3, payee: 'bob@greenvale', amount: '12.50', memo: 'rent' },
    { line: 5, payee: 'carol', amount: '3', memo: 'hours, "extra"' },
    { line: 6, payee: `${BOB}@1`, amount: '0.01', memo: '' },
  ]);
  // no line end after the last line; a header only on the first data line
  assert.deepEqual(parseBatchCsv('bob,1\ncarol,2,thanks'), [
    { line: 1, payee: 'bob', amount: '1', memo: '' }, { line: 2, payee: 'carol', amount: '2', memo: 'thanks' }]);
  // after a payment, a line 'payee,amount' is a payment to 'payee' (refused later, as no member)
  assert.deepEqual(parseBatchCsv('bob,1\npayee,amount\n')[1], { line: 2, payee: 'payee', amount: 'amount', memo: '' });
});

test('each refusal names its line, in the CLI\'s words', () => {
  const cases = [
    ['bob@greenvale\n', 'line 1: expected payee,amount[,memo], found one field'],
    ['bob@greenvale,1,a,b\n', 'line 1: more than 3 fields'],
    ['bob@greenvale,1,"open\n', 'line 1: a quoted field is not closed on its line'],
    ['bob,1,"a"b\n', "line 1: a quoted field is followed by 'b', not by a comma"],
    ['bob,1,a"b\n', 'line 1: a quote inside an unquoted field'],
    [',1\n', 'line 1: the payee is empty'],
    ['bob,\n', 'line 1: the amount is empty'],
    ['bob@greenvale,1,pay\u202eme\n', 'line 1: the memo holds a control or invisible formatting character'],
    [`bob@greenvale,1\nbob@greenvale,1,${'7'.padStart(65, '0')}\n`, "line 2: the memo is 65 bytes; a batch line's memo is at most 64"],
    ['# nothing\n\n', 'the file holds no payment'],
    ['a\0,1\n', 'the file holds a NUL byte'],
    ['bob@greenvale,0.01\n'.repeat(BATCH_LINES_MAX + 1), 'line 257: more than 256 payments: a batch holds at most 256; split the file'],
  ];
  for (const [csv, said] of cases) {
    assert.throws(() => parseBatchCsv(csv), (e) => e.message.startsWith(said), JSON.stringify(csv.slice(0, 40)));
  }
  // 64 bytes of memo are allowed, also in multibyte characters (32 x 2 bytes)
  assert.equal(parseBatchCsv(`bob,1,${'é'.repeat(32)}\n`)[0].memo.length, 32);
  assert.throws(() => parseBatchCsv(`bob,1,${'é'.repeat(33)}\n`), /the memo is 66 bytes/);
  assert.equal(parseBatchCsv('bob@greenvale,0.01\n'.repeat(BATCH_LINES_MAX)).length, 256);
});

test('the fee estimate: each line meets the balance the lines before it left', () => {
  // alice holds 10.00, the network takes 1%, her line 2% on credit: 12.50 costs 0.13 +
  // 2% of 2.50 on credit (0.05); 3.00 all on credit 0.03 + 0.06; 0.01: 0.01 + 0.01
  assert.equal(batchFeeEstimate([1250n, 300n, 1n], 1000n, 100, 200, true), 18n + 9n + 2n);
  // no credit allowed (a frozen line): the base fees only
  assert.equal(batchFeeEstimate([1250n, 300n, 1n], 1000n, 100, 200, false), 13n + 3n + 1n);
  // all covered by the balance: no risk fee; no fees at all
  assert.equal(batchFeeEstimate([500n, 400n], 1000n, 100, 200, true), 5n + 4n);
  assert.equal(batchFeeEstimate([500n, 400n], 1000n, 0, 0, true), 0n);
  // past 2^53: BigInt throughout
  assert.equal(batchFeeEstimate([2n ** 60n], 0n, 1, 0, true), (2n ** 60n + 9999n) / 10000n);
});
