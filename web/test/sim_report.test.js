// sim_report.test.js: tally-sim's HTML report in a real browser (issue 16). The
// release tally-sim ($TALLY_SIM) runs the two policies of sim/policies/ through the
// defaults-5pct scenario for a year; Debian's Chromium, through playwright-core,
// opens the report.html it wrote from disk. The report is the figures a reader will
// trust, so every series of every plot must be the CSV's column for its policy, value
// for value, on the CSV's days, and the summary table must be summary.csv's cells.
// The page must stand alone: no request but file: and data: ones, no error in its
// console, and at a phone's width no sideways scrolling (the charts take their
// container's width). A screenshot goes to build/screenshots/sim-report.png. A
// second test holds the report to its seed: the same seed gives the same bytes, and
// another seed another economy.
import './node_compat.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TALLY_SIM = process.env.TALLY_SIM ?? join(ROOT, 'build/release/tally-sim');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'build/screenshots');
const POLICIES = ['cautious', 'generous'];
const PLOT_COUNT = 10;

const temporary = []; // every --out directory made, removed at the end
let browser = null;

before(async () => {
  assert.ok(existsSync(TALLY_SIM), `${TALLY_SIM} is not built (make test builds it)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-deps.sh installs Debian's chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** Runs tally-sim with both policies for a year of defaults-5pct; returns its --out. */
function simulate(seed) {
  const out = mkdtempSync(join(tmpdir(), 'tally-sim-'));
  temporary.push(out);
  const policies = POLICIES.flatMap((name) => ['--policy', join(ROOT, 'sim/policies', `${name}.json`)]);
  execFileSync(TALLY_SIM, [...policies, '--scenario', 'defaults-5pct', '--years', '1', '--seed', String(seed),
    '--out', out, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120000 });
  return out;
}

/** A CSV tally-sim wrote (no quoting: no cell holds a comma) as its header and rows. */
function readCsv(path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
  return { header: lines[0].split(','), rows: lines.slice(1).map((line) => line.split(',')) };
}

/** A column of a policy's CSV as the chart holds it: numbers, the at-par flag as 1/0. */
function csvColumn(csv, name) {
  const at = csv.header.indexOf(name);
  assert.ok(at >= 0, `the CSV has no column ${name}`);
  return csv.rows.map((row) => {
    const cell = row[at];
    if (name === 'redeem_at_par') {
      assert.ok(cell === 'true' || cell === 'false', `${name}: ${cell}`);
      return cell === 'true' ? 1 : 0;
    }
    const value = Number(cell);
    assert.ok(cell !== '' && Number.isFinite(value), `${name}: ${cell} is not a number`);
    return value;
  });
}

/** A page of its own that records every request that is not to a file and every error. */
async function openReport(out, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const network = [];
  const errors = [];
  page.on('request', (r) => {
    const scheme = new URL(r.url()).protocol;
    if (scheme !== 'file:' && scheme !== 'data:') network.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(pathToFileURL(join(out, 'report.html')).href);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  return { context, page, network, errors };
}

test('the report opens from disk and each plot holds the CSV\'s figures', async () => {
  const out = simulate(7);
  const csv = Object.fromEntries(POLICIES.map((name) => [name, readCsv(join(out, `${name}.csv`))]));
  for (const name of POLICIES) assert.equal(csv[name].rows.length, 365, `${name}.csv: a line per day`);

  const { context, page, network, errors } = await openReport(out, { width: 1280, height: 900 });
  const plots = await page.evaluate(() => window.simPlots.map((p) => ({ id: p.id, drawn: p.drawn, data: p.chart.data })));
  assert.equal(plots.length, PLOT_COUNT);
  for (const plot of plots) {
    assert.deepEqual([...new Set(plot.drawn.map((d) => d.policy))], POLICIES, `${plot.id}: both policies drawn`);
    assert.equal(plot.data.length, plot.drawn.length + 1, `${plot.id}: the days and a series per drawn column`);
    for (const name of POLICIES)
      assert.deepEqual(plot.data[0], csvColumn(csv[name], 'day'), `${plot.id}: the days of ${name}.csv`);
    plot.drawn.forEach(({ policy, column }, i) =>
      assert.deepEqual(plot.data[i + 1], csvColumn(csv[policy], column), `${plot.id}: ${policy}'s ${column}`));
  }
  assert.ok(plots.some((p) => p.data.slice(1).some((series) => series.some((v) => v !== 0))), 'the figures are not all zero');

  // the summary table, cell for cell, is summary.csv (its header row: an empty cell, then the policies)
  const table = await page.evaluate(() => [...document.querySelectorAll('#summary tr')].map((tr) =>
    [...tr.children].map((cell) => cell.textContent)));
  const summary = readCsv(join(out, 'summary.csv'));
  assert.deepEqual(summary.header, ['figure', ...POLICIES]);
  assert.deepEqual(table, [['', ...POLICIES], ...summary.rows]);

  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'sim-report.png'), fullPage: true });
  await context.close();

  // at a phone's width the page does not scroll sideways: the charts fit their container
  const phone = await openReport(out, { width: 390, height: 844 });
  const fit = await phone.page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    charts: window.simPlots.map((p) => ({ id: p.id, width: p.chart.root.getBoundingClientRect().width, box: p.chart.root.parentElement.clientWidth })),
  }));
  assert.ok(fit.scrollWidth <= fit.viewport, `the page is ${fit.scrollWidth} px wide in a ${fit.viewport} px viewport`);
  for (const chart of fit.charts) assert.ok(chart.width <= chart.box, `${chart.id}: ${chart.width} px in a ${chart.box} px box`);
  await phone.context.close();

  assert.deepEqual([...network, ...phone.network], [], 'the report made no network request');
  assert.deepEqual([...errors, ...phone.errors], [], 'the report logged no error');
});

test('the same seed writes the same bytes; another seed another economy', () => {
  const first = simulate(7);
  const again = simulate(7);
  const other = simulate(8);
  const files = readdirSync(first).sort();
  assert.deepEqual(files, [...POLICIES.map((name) => `${name}.csv`), 'report.html', 'summary.csv'].sort());
  assert.deepEqual(readdirSync(again).sort(), files);
  for (const file of files)
    assert.ok(readFileSync(join(first, file)).equals(readFileSync(join(again, file))), `${file}: the same bytes for seed 7`);
  for (const name of POLICIES) {
    const file = `${name}.csv`;
    assert.ok(!readFileSync(join(first, file)).equals(readFileSync(join(other, file))), `${file}: seed 8 is another economy`);
  }
});
