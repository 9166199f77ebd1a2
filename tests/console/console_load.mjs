// Console page load times with many orders in the engine (issue #14: "pages
// load in under 1 s with 100k orders"). A benchmark, not a test: it prints
// figures and fails only when something does not work (an answer that is
// not the expected one, a screen that never shows its data), never for
// speed. Run it through bench/console_load.sh; docs/PERFORMANCE.md
// "Console pages" has the method and the figures.
//
// What it does:
//   1. starts oncepayd on a free loopback port with a fresh data dir, the
//      sandbox channel and a tokens file with one operator;
//   2. fills it with 90% of --orders=N PAID orders (`oncepay-bench http
//      --scenario=paid`, merchant_order_no load-0, load-1, ...), notes the
//      payment_no of the orders it will look up later, and runs the
//      sandbox's reconciliation of today (Asia/Shanghai), which also makes
//      the engine checkpoint;
//   3. stops the daemon (a clean stop takes a last checkpoint) and starts it
//      again on the same data dir: those orders are now only in the
//      snapshot (lazy recovery, docs/DURABILITY.md), as in production after
//      a restart;
//   4. adds the other 10% (tail-0, ...: in the WAL tail and in memory) and
//      review items: --mismatches=M amount mismatches (a signed sandbox
//      notification of another amount) and 3 exhausted webhooks (a closed
//      port);
//   5. drives headless chromium (puppeteer-core, the system's chromium)
//      through every screen --reps=R times and times each from navigation
//      start (or from the click that asks for it) to the moment its data
//      element is in the DOM (a MutationObserver records performance.now();
//      no fixed sleep), and times the admin API calls the screens make.
//      Every looked-up order is a different snapshot-only order (a cold
//      load from LMDB), except where a name says "warm".
//
// Output: progress on stderr; the last stdout line is one JSON object:
// {"bench": "console_load", "orders", "reps", "screens": {name: {"median_ms",
// "max_ms"}}, "api": {name: {"median_ms", "max_ms"}}, "all_medians_under_1s",
// "rss_mib", "peak_rss_mib", "fill_s", "restart_s", "review_items", ...}.
//
// Usage: node console_load.mjs [--orders=N] [--reps=R] [--mismatches=M]
// (M amount_mismatch review items, default 10); environment
// ONCEPAYD and ONCEPAY_BENCH name the binaries. Exits 77 (CTest's skip) only
// when chromium is not installed; 1 when something fails functionally.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromiumOrSkip, listeningUrl } from './harness.mjs';

const TIMEOUT_MS = 60000;  // a screen that shows nothing by then is broken
const SANDBOX_SECRET = 'chsec_sandbox';  // sandbox.secret's default (docs/API.md)
const EXHAUSTED_WEBHOOKS = 3;

function option(name, fallback) {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  if (!arg) return fallback;
  const value = Number(arg.split('=')[1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const log = (...parts) => console.error(`[console_load] ${parts.join(' ')}`);

const executablePath = chromiumOrSkip();
const daemonPath = process.env.ONCEPAYD;
const benchPath = process.env.ONCEPAY_BENCH;
assert.ok(daemonPath, 'ONCEPAYD must name the oncepayd binary');
assert.ok(benchPath, 'ONCEPAY_BENCH must name the oncepay-bench binary');
const puppeteer = (await import('puppeteer-core')).default;

const ORDERS = option('orders', 100000);
const REPS = option('reps', 5);
// Open amount_mismatch items in the review queue (besides 3 exhausted webhooks).
const MISMATCHES = option('mismatches', 10);
const SNAPSHOT_ORDERS = Math.max(1, Math.floor(ORDERS * 0.9));
const TAIL_ORDERS = ORDERS - SNAPSHOT_ORDERS;

const operator = { name: 'olga', token: `operator-${randomBytes(16).toString('hex')}` };
const dir = mkdtempSync(path.join(tmpdir(), 'oncepay-console-load-'));
const dataDir = path.join(dir, 'data');
const tokensFile = path.join(dir, 'tokens');
writeFileSync(
  tokensFile,
  `${operator.name} operator ${createHash('sha256').update(operator.token).digest('hex')}\n`,
  { mode: 0o600 },
);

let daemon = null;
let base = '';
let browser = null;

function startDaemon() {
  daemon = spawn(
    daemonPath,
    [
      '--http.port=0',
      `--data-dir=${dataDir}`,
      `--admin.tokens-file=${tokensFile}`,
      '--notify.retry-ladder=100ms',
      '--log.state-changes=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = daemon;
  let err = '';
  child.stderr.on('data', (chunk) => {
    err = (err + chunk).slice(-4000);
  });
  return listeningUrl(child, TIMEOUT_MS, () => err);
}

async function stopDaemon() {
  if (!daemon || daemon.exitCode !== null) return;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  const code = await exited;
  daemon = null;
  return code;
}

async function api(method, route, { token = operator.token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const response = await fetch(base + route, {
    method,
    headers: h,
    body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = text;
  if ((response.headers.get('content-type') || '').startsWith('application/json') && text) parsed = JSON.parse(text);
  return { status: response.status, body: parsed };
}

async function expectStatus(status, promise, what) {
  const answer = await promise;
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function pollUntil(fetchValue, done, what) {
  const deadline = Date.now() + TIMEOUT_MS * 2;
  for (;;) {
    const value = await fetchValue();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function metric(text, name, labels) {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `) || (!labels && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

function runBench(orders, prefix) {
  const out = execFileSync(
    benchPath,
    ['http', `--target=${base}`, '--scenario=paid', `--orders=${orders}`, '--seconds=3600', `--order-prefix=${prefix}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const summary = JSON.parse(out.trim().split('\n').pop());
  assert.deepEqual(summary.errors, {}, `the fill had errors: ${out}`);
  assert.equal(summary.orders_finished, orders, `the fill finished ${summary.orders_finished} of ${orders}`);
  return summary;
}

function rss() {
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
  return { rss_mib: Math.round(kb('VmRSS') / 1024), peak_rss_mib: Math.round(kb('VmHWM') / 1024) };
}

// The orders the screens and the API timings look up: each a different one,
// spread over the snapshot-only range.
function pickOrders(count) {
  const out = [];
  for (let i = 0; i < count; i += 1) out.push(`load-${Math.floor(((i + 0.5) * SNAPSHOT_ORDERS) / count)}`);
  return [...new Set(out)];
}

async function signedNotify(body) {
  const raw = JSON.stringify(body);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', SANDBOX_SECRET).update(`${t}.${raw}`).digest('hex');
  return api('POST', '/v1/channels/sandbox/notify', {
    token: '',
    raw,
    headers: { 'Content-Type': 'application/json', 'X-Channel-Signature': `t=${t},v1=${v1}` },
  });
}

async function makeReviewItems() {
  const mismatch = async (i) => {
    const paid = await expectStatus(201, api('POST', `/v1/orders/mismatch-${i}/pay`, {
      token: 'sk_test_demo',
      body: { amount: 1999, currency: 'CNY', channel: 'sandbox' },
    }), 'pay');
    await expectStatus(200, signedNotify({
      notify_id: `load-mismatch-${i}`,
      payment_no: paid.attempt.payment_no,
      status: 'SUCCESS',
      channel_trade_no: `load-ct-${i}`,
      amount: 1,
      currency: 'CNY',
    }), 'a notification of another amount');
  };
  for (let i = 0; i < MISMATCHES; i += 16) {
    const batch = [];
    for (let j = i; j < Math.min(MISMATCHES, i + 16); j += 1) batch.push(mismatch(j));
    await Promise.all(batch);
  }
  for (let i = 0; i < EXHAUSTED_WEBHOOKS; i += 1) {
    const paid = await expectStatus(201, api('POST', `/v1/orders/webhook-${i}/pay`, {
      token: 'sk_test_demo',
      body: { amount: 500, currency: 'CNY', channel: 'sandbox', notify_url: 'http://127.0.0.1:9/hook' },
    }), 'pay');
    await expectStatus(200, api('POST', `/sandbox/payments/${paid.attempt.payment_no}/pay`, { token: '' }), 'sandbox pay');
  }
  const review = await pollUntil(
    () => api('GET', '/metrics', { token: '' }),
    (r) => metric(r.body, 'oncepay_review_items', 'reason="amount_mismatch"') >= MISMATCHES &&
      metric(r.body, 'oncepay_review_items', 'reason="webhook_exhausted"') >= EXHAUSTED_WEBHOOKS,
    'the review items',
  );
  return {
    amount_mismatch: metric(review.body, 'oncepay_review_items', 'reason="amount_mismatch"'),
    webhook_exhausted: metric(review.body, 'oncepay_review_items', 'reason="webhook_exhausted"'),
  };
}

const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round1 = (v) => Math.round(v * 10) / 10;
function summarize(samples) {
  const out = {};
  for (const [name, values] of Object.entries(samples)) {
    out[name] = { median_ms: round1(median(values)), max_ms: round1(Math.max(...values)) };
  }
  return out;
}

// Installed in every document before its scripts: records when each
// watched selector is first in the DOM, in performance.now() ms (from the
// document's navigation start).
function installWatcher() {
  window.__seen = {};
  window.__watch = [
    '#sign-in:not([hidden]) #token',
    '#review-list table',
    '#review-counts',
    '#payment-search',
    '#order-page',
    '#recon-list table',
    '#merchant-list table',
    '#chart-pays .uplot canvas',
    '#chart-pay-latency .uplot canvas',
    '#chart-ladders .uplot canvas',
    '#chart-webhooks .uplot canvas',
    '#chart-wal-fsync .uplot canvas',
    '#chart-wal-batch .uplot canvas',
  ];
  const check = () => {
    for (const selector of window.__watch) {
      if (!window.__seen[selector] && document.querySelector(selector)) window.__seen[selector] = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
}

// Of every full load: when the HTML had arrived and when the modules had
// run (DOMContentLoaded), from navigation start.
const phases = {};

// Loads the console at `fragment` in a new document and answers the ms from
// navigation start until every one of `selectors` is in the DOM.
async function timeLoad(page, fragment, selectors) {
  await page.goto('about:blank');
  await page.goto(`${base}/console${fragment}`, { waitUntil: 'domcontentloaded' });
  const handle = await page.waitForFunction(
    (sels) => sels.every((s) => window.__seen && window.__seen[s]) && Math.max(...sels.map((s) => window.__seen[s])),
    { polling: 10, timeout: TIMEOUT_MS },
    selectors,
  );
  const ms = await handle.jsonValue();
  const nav = await page.evaluate(() => {
    const [entry] = performance.getEntriesByType('navigation');
    return { html: entry.responseEnd, modules: entry.domContentLoadedEventEnd };
  });
  (phases.html_ms ||= []).push(nav.html);
  (phases.modules_ms ||= []).push(nav.modules);
  return ms;
}

// Clicks `trigger` (or submits the form it names) and answers the ms until
// every one of `selectors` is in the DOM (none of them may be there yet).
async function timeAction(page, trigger, selectors) {
  for (const s of selectors) assert.equal(await page.$(s), null, `${s} is already shown`);
  return page.evaluate(
    (t, sels, limit) => new Promise((resolve, reject) => {
      const start = performance.now();
      let observer = null;
      const timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error(`not shown: ${sels.join(', ')}`));
      }, limit);
      const check = () => {
        if (!sels.every((s) => document.querySelector(s))) return;
        const ms = performance.now() - start;
        observer.disconnect();
        clearTimeout(timer);
        resolve(ms);
      };
      observer = new MutationObserver(check);
      observer.observe(document, { childList: true, subtree: true, attributes: true });
      const node = document.querySelector(t);
      if (node.tagName === 'FORM') node.requestSubmit();
      else node.click();
    }),
    trigger,
    selectors,
    TIMEOUT_MS,
  );
}

async function newPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.emulateTimezone('Asia/Shanghai');  // the reconciliation's day is "today" there
  await page.evaluateOnNewDocument(installWatcher);
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  return page;
}

async function setInput(page, selector, value) {
  await page.$eval(selector, (input, v) => { input.value = v; }, value);
}

async function measureScreens(lookups) {
  const samples = {};
  const add = (name, ms) => (samples[name] ||= []).push(ms);
  for (let rep = 0; rep < REPS; rep += 1) {
    const [byPayment, byOrder, direct] = lookups[rep];
    // Sign-in: the page, then from submitting the token to the review queue.
    const fresh = await newPage();
    add('sign_in_page', await timeLoad(fresh, '', ['#sign-in:not([hidden]) #token']));
    await setInput(fresh, '#token', operator.token);
    add('sign_in_to_review', await timeAction(fresh, '#sign-in-form', ['#review-list table', '#review-counts']));
    const page = fresh;  // signed in: the session cookie is in its context

    add('review', await timeLoad(page, '#/review', ['#review-list table', '#review-counts']));
    add('orders', await timeLoad(page, '#/orders', ['#payment-search']));
    await setInput(page, '#search-payment-no', byPayment.payment_no);
    add('order_by_payment_no', await timeAction(page, '#payment-search', ['#order-page']));
    assert.match(await page.$eval('#order-title', (n) => n.textContent), new RegExp(`${byPayment.order} of demo`));
    await timeLoad(page, '#/orders', ['#payment-search']);
    await setInput(page, '#search-merchant-id', 'demo');
    await setInput(page, '#search-order-no', byOrder.order);
    add('order_by_order_no', await timeAction(page, '#order-search', ['#order-page']));
    assert.match(await page.$eval('#order-summary', (n) => n.textContent), /PAID/);
    add('order_page', await timeLoad(page, `#/orders/demo/${direct.order}`, ['#order-page']));
    assert.match(await page.$eval('#order-attempts', (n) => n.textContent), new RegExp(direct.payment_no));
    add('reconciliation', await timeLoad(page, '#/reconciliation', ['#recon-list table']));
    add('reconciliation_run', await timeAction(page, '#recon-list button.link', ['#recon-run']));
    assert.match(await page.$eval('#recon-summary', (n) => n.textContent), /DONE/);
    add('merchants', await timeLoad(page, '#/merchants', ['#merchant-list table']));
    await setInput(page, '#merchant-id', 'demo');
    add('merchant_lookup', await timeAction(page, '#merchant-lookup', ['#merchant-found table']));
    add('metrics', await timeLoad(page, '#/metrics', [
      '#chart-pays .uplot canvas', '#chart-pay-latency .uplot canvas', '#chart-ladders .uplot canvas',
      '#chart-webhooks .uplot canvas', '#chart-wal-fsync .uplot canvas', '#chart-wal-batch .uplot canvas',
    ]));
    await page.browserContext().close();
    log(`screens, repetition ${rep + 1} of ${REPS} done`);
  }
  return samples;
}

async function timeApi(name, samples, route, status = 200) {
  const start = performance.now();
  const answer = await api('GET', route);
  const ms = performance.now() - start;
  assert.equal(answer.status, status, `${route}: ${JSON.stringify(answer.body)}`);
  (samples[name] ||= []).push(ms);
  return answer.body;
}

async function measureApi(lookups, reconId, date) {
  const samples = {};
  for (let rep = 0; rep < REPS; rep += 1) {
    const [byPayment, byOrder, direct] = lookups[rep];
    await timeApi('review_page', samples, '/admin/review?limit=50');
    await timeApi('metrics', samples, '/metrics');
    const found = await timeApi('order_search_payment_no', samples, `/admin/orders?payment_no=${byPayment.payment_no}`);
    assert.equal(found.items[0].merchant_order_no, byPayment.order);
    const byNo = await timeApi('order_search_order_no', samples, `/admin/orders?merchant_id=demo&merchant_order_no=${byOrder.order}`);
    assert.equal(byNo.items.length, 1);
    await timeApi('order_get', samples, `/admin/orders/demo/${direct.order}`);
    await timeApi('order_get_warm', samples, `/admin/orders/demo/${direct.order}`);
    await timeApi('reconciliations_of_day', samples, `/admin/reconciliations?date=${date}`);
    await timeApi('reconciliation_run', samples, `/admin/reconciliations/${reconId}?limit=50`);
    await timeApi('merchants_page', samples, '/admin/merchants?limit=50');
    await timeApi('merchant', samples, '/admin/merchants/demo');
    await timeApi('merchant_channel_account', samples, '/admin/merchants/demo/channels/wechatpay', 404);
  }
  return samples;
}

async function main() {
  const result = { bench: 'console_load', orders: ORDERS, reps: REPS };
  base = await startDaemon();
  log(`oncepayd at ${base}; filling ${SNAPSHOT_ORDERS} paid orders`);
  let started = performance.now();
  runBench(SNAPSHOT_ORDERS, 'load-');
  await pollUntil(
    () => api('GET', '/metrics', { token: '' }),
    (r) => metric(r.body, 'oncepay_attempts_total', 'status="succeeded"') >= SNAPSHOT_ORDERS,
    'every fill order to be PAID',
  );
  result.fill_s = round1((performance.now() - started) / 1000);

  // Three orders per repetition for the screens and three more for the API
  // timings, read before the restart so that none is in memory after it.
  const names = pickOrders(REPS * 6);
  const lookups = [];
  for (const order of names) {
    const view = await expectStatus(200, api('GET', `/admin/orders/demo/${order}`), order);
    assert.equal(view.order.status, 'PAID', order);
    lookups.push({ order, payment_no: view.order.paid_payment_no });
  }
  // (With fewer orders than lookups, as in the smoke test, some repeat.)
  const sets = [];
  for (let k = 0; k < REPS * 2; k += 1) sets.push([0, 1, 2].map((j) => lookups[(3 * k + j) % lookups.length]));

  const date = shanghaiToday();
  log(`reconciliation of ${date}`);
  started = performance.now();
  const recon = await expectStatus(202, api('POST', '/admin/reconciliations', {
    body: { merchant_id: 'demo', channel: 'sandbox', date },
  }), 'start a reconciliation');
  const run = await pollUntil(
    () => api('GET', `/admin/reconciliations/${recon.reconciliation_id}`),
    (r) => r.status === 200 && r.body.status !== 'RUNNING',
    'the reconciliation',
  );
  assert.equal(run.body.status, 'DONE', JSON.stringify(run.body));
  result.reconciliation_s = round1((performance.now() - started) / 1000);
  result.reconciliation_lines = run.body.lines;

  log('restarting oncepayd (a clean stop checkpoints)');
  const code = await stopDaemon();
  assert.equal(code, 0, 'oncepayd stopped with an error');
  started = performance.now();
  base = await startDaemon();
  await pollUntil(() => fetch(`${base}/readyz`).then((r) => r.status), (s) => s === 200, 'readiness');
  result.restart_s = round1((performance.now() - started) / 1000);
  if (TAIL_ORDERS > 0) runBench(TAIL_ORDERS, 'tail-');
  result.review_items = await makeReviewItems();
  const before = await api('GET', '/metrics', { token: '' });
  result.live_order_actors_before = metric(before.body, 'oncepay_live_order_actors', '');

  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US'],
  });
  log(`measuring the screens, ${REPS} repetitions`);
  const screens = summarize(await measureScreens(sets.slice(0, REPS)));
  const apiTimes = summarize(await measureApi(sets.slice(REPS, 2 * REPS), recon.reconciliation_id, date));
  Object.assign(result, rss());
  const after = await api('GET', '/metrics', { token: '' });
  result.live_order_actors_after = metric(after.body, 'oncepay_live_order_actors', '');
  result.screens = screens;
  result.full_load_phases = summarize(phases);
  result.api = apiTimes;
  result.all_medians_under_1s = Object.values(screens).every((s) => s.median_ms < 1000);
  return result;
}

let status = 0;
try {
  const result = await main();
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(error);
  status = 1;
} finally {
  if (browser) await browser.close();
  await stopDaemon();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
