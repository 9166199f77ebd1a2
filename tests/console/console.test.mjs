// The console in a real browser (docs/CONSOLE.md): starts the real oncepayd
// on a free loopback port with a tokens file of three operators (viewer,
// operator, admin), short ladders and the sandbox channel; makes one review
// item (a webhook to a closed port runs out of retries); then drives
// Debian's chromium, headless, with puppeteer-core through sign-in with each
// role, a wrong token, the review queue, orders (actions and a payer
// appeal), reconciliation, metrics and merchants screens, CSRF and role
// refusals and sign-out, saving a screenshot of every screen.
//
// Environment: ONCEPAYD (the daemon binary), ONCEPAY_SCREENSHOT_DIR (where
// the PNGs go). Exits 77 (CTest's skip) only when chromium is not installed.
// Nothing is downloaded: puppeteer-core comes from this folder's
// node_modules (`npm ci`, scripts/setup.sh) and drives the system browser.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromiumOrSkip, listeningUrl } from './harness.mjs';

const executablePath = chromiumOrSkip();
const daemonPath = process.env.ONCEPAYD;
assert.ok(daemonPath, 'ONCEPAYD must name the oncepayd binary');
const screenshotDir = process.env.ONCEPAY_SCREENSHOT_DIR || path.join(tmpdir(), 'console-screenshots');
mkdirSync(screenshotDir, { recursive: true });

let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (error) {
  console.error('puppeteer-core is missing: run `npm ci` in tests/console (scripts/setup.sh)');
  throw error;
}

const operators = {
  viewer: { name: 'vera', token: `viewer-${randomBytes(16).toString('hex')}` },
  operator: { name: 'otto', token: `operator-${randomBytes(16).toString('hex')}` },
  admin: { name: 'ada', token: `admin-${randomBytes(16).toString('hex')}` },
};
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

const dir = mkdtempSync(path.join(tmpdir(), 'oncepay-console-'));
let daemon;
let base = '';
let browser;
let paymentNo = '';

// Starts oncepayd and resolves with its base URL from the listening line.
function startDaemon() {
  const tokensFile = path.join(dir, 'tokens');
  writeFileSync(
    tokensFile,
    '# the browser test\'s operators\n' +
      Object.entries(operators)
        .map(([role, op]) => `${op.name} ${role} ${sha256(op.token)}`)
        .join('\n') +
      '\n',
    { mode: 0o600 },
  );
  daemon = spawn(
    daemonPath,
    [
      '--http.port=0',
      `--data-dir=${path.join(dir, 'data')}`,
      `--admin.tokens-file=${tokensFile}`,
      '--payment.query-ladder=600ms,1200ms',
      '--payment.fast-expiry-ladder=300ms,600ms',
      '--payment.auto-refund-retry=200ms,400ms',
      '--sandbox.notify-retry=100ms,200ms',
      '--notify.retry-ladder=100ms',
      '--log.state-changes=false',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return listeningUrl(daemon, 20000);
}

async function api(method, route, { token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(base + route, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// Polls fetchValue() every 50 ms until done(value), for at most `limitMs`.
async function pollUntil(fetchValue, done, limitMs) {
  const deadline = Date.now() + limitMs;
  let value = await fetchValue();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await fetchValue();
  }
  return value;
}

// One review item: a paid order whose webhook goes to a closed port.
async function makeReviewItem() {
  const paid = await api('POST', '/v1/orders/console-1/pay', {
    token: 'sk_test_demo',
    body: { amount: 1999, currency: 'CNY', channel: 'sandbox', notify_url: 'http://127.0.0.1:9/hook' },
  });
  assert.equal(paid.status, 201, JSON.stringify(paid.body));
  paymentNo = paid.body.attempt.payment_no;
  assert.equal((await api('POST', `/sandbox/payments/${paymentNo}/pay`)).status, 200);
  const review = await pollUntil(
    () => api('GET', '/admin/review?reason=webhook_exhausted', { token: operators.admin.token }),
    (r) => r.body.items.some((item) => item.payment_no === paymentNo),
    15000,
  );
  assert.ok(review.body.items.some((item) => item.payment_no === paymentNo), 'no review item');
}

async function newPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page console: ${message.text()}`);
  });
  await page.goto(`${base}/console`, { waitUntil: 'networkidle0' });
  return page;
}

async function signIn(page, token) {
  await page.waitForSelector('#token', { visible: true });
  await page.type('#token', token);
  await page.click('#sign-in-form button[type=submit]');
}

async function signedInAs(role) {
  const page = await newPage();
  await signIn(page, operators[role].token);
  await page.waitForSelector('#who:not([hidden])');
  return page;
}

// Is the element rendered (not display:none itself or through a parent)?
const shown = (page, selector) => page.$eval(selector, (node) => node.checkVisibility());
const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());

// fetch() from inside the page: the browser's cookies go along.
function pageFetch(page, method, route, { body, csrf } = {}) {
  return page.evaluate(
    async (m, r, b, c) => {
      const headers = { 'Content-Type': 'application/json' };
      if (c) headers['X-CSRF-Token'] = c;
      const response = await fetch(r, { method: m, headers, body: b, credentials: 'same-origin' });
      const t = await response.text();
      return { status: response.status, body: t ? JSON.parse(t) : null };
    },
    method,
    route,
    body === undefined ? undefined : JSON.stringify(body),
    csrf || '',
  );
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

before(async () => {
  base = await startDaemon();
  await makeReviewItem();
  assert.equal(
    (await api('POST', '/admin/merchants', { token: operators.admin.token, body: { merchant_id: 'm-console' } }))
      .status,
    201,
  );
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the console', () => {
  test('is served with a strict CSP, no-cache and its chart library', async () => {
    const index = await fetch(`${base}/console`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.match(index.headers.get('content-security-policy'), /^default-src 'self'/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const uplot = await fetch(`${base}/console/vendor/uPlot.esm.js`);
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get('content-type'), /^text\/javascript/);
  });

  test('shows the sign-in page with a labelled token field', async () => {
    const page = await newPage();
    await page.waitForSelector('#token', { visible: true });
    assert.equal(await text(page, 'label[for=token]'), 'Operator token');
    assert.equal(await shown(page, '#nav'), false);
    assert.equal(await shown(page, '#who'), false, 'no operator in the header before sign-in');
    await screenshot(page, 'sign-in');
    await page.browserContext().close();
  });

  for (const role of ['viewer', 'operator', 'admin']) {
    test(`signs in the ${role} and shows name and role`, async () => {
      const page = await signedInAs(role);
      assert.equal(await text(page, '#who-name'), operators[role].name);
      assert.equal(await text(page, '#who-role'), role);
      assert.equal(await shown(page, '#who'), true);
      assert.equal(await shown(page, '#sign-in'), false);
      const cookies = await page.cookies();
      const session = cookies.find((c) => c.name === 'oncepay_session');
      assert.ok(session, 'the session cookie is set');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Strict');
      assert.equal(await page.evaluate(() => document.cookie.includes('oncepay_session')), false);
      await page.browserContext().close();
    });
  }

  test('refuses a wrong token and says so', async () => {
    const page = await newPage();
    await signIn(page, 'not-a-token');
    await page.waitForFunction(() => document.getElementById('sign-in-error').textContent !== '');
    assert.equal(await text(page, '#sign-in-error'), 'That token was not accepted.');
    assert.equal(await shown(page, '#who'), false);
    assert.equal((await page.cookies()).some((c) => c.name === 'oncepay_session'), false);
    await screenshot(page, 'sign-in-refused');
    await page.browserContext().close();
  });

  test('review queue: items, counts per reason, age, filter', async () => {
    const page = await signedInAs('viewer');
    await page.waitForFunction(
      (no) => document.getElementById('review-list').textContent.includes(no),
      {},
      paymentNo,
    );
    const counts = await text(page, '#review-counts');
    assert.match(counts, /webhook_exhausted\s*1/);
    const row = await page.$$eval('#review-list tbody tr', (rows) => rows.map((r) => r.textContent));
    assert.ok(row.some((r) => r.includes('webhook_exhausted') && r.includes('console-1')));
    await page.select('#review-reason', 'amount_mismatch');
    await page.click('#review-filter button[type=submit]');
    await page.waitForFunction(() =>
      document.getElementById('review-list').textContent.includes('Nothing needs a person'),
    );
    await page.select('#review-reason', 'webhook_exhausted');
    await page.click('#review-filter button[type=submit]');
    await page.waitForFunction(
      (no) => document.getElementById('review-list').textContent.includes(no),
      {},
      paymentNo,
    );
    await screenshot(page, 'review-queue');
    await page.browserContext().close();
  });

  test('orders: from a review item to its order page', async () => {
    const page = await signedInAs('viewer');
    await page.waitForSelector('#review-list a[href="#/orders/demo/console-1"]');
    await page.click('#review-list a[href="#/orders/demo/console-1"]');
    await page.waitForSelector('#order-page');
    assert.match(await text(page, '#order-title'), /console-1 of demo/);
    assert.match(await text(page, '#order-summary'), /PAID/);
    assert.match(await text(page, '#order-summary'), /19\.99 CNY/);
    assert.match(await text(page, '#order-reviews'), /webhook_exhausted/);
    assert.match(await text(page, '#order-attempts'), new RegExp(`${paymentNo}.*SUCCESS`, 's'));
    assert.match(await text(page, '#order-webhooks'), /order\.paid.*UNDELIVERED/s);
    const events = await page.$$eval('#order-timeline tbody tr', (rows) => rows.map((r) => r.textContent));
    assert.ok(events.some((e) => e.includes('review.opened')), events.join(' | '));
    await screenshot(page, 'order-page');
    await page.browserContext().close();
  });

  test('orders: search by payment number and by order number', async () => {
    const page = await signedInAs('viewer');
    await page.click('a[data-screen=orders]');
    await page.waitForSelector('#payment-search');
    await page.type('#search-payment-no', paymentNo);
    await page.click('#payment-search button[type=submit]');
    await page.waitForSelector('#order-page');
    assert.match(await text(page, '#order-title'), /console-1 of demo/);
    assert.equal(await page.evaluate(() => location.hash), '#/orders/demo/console-1');
    await page.click('a[data-screen=orders]');
    await page.waitForSelector('#order-search');
    await page.type('#search-merchant-id', 'demo');
    await page.type('#search-order-no', 'no-such-order');
    await page.click('#order-search button[type=submit]');
    await page.waitForFunction(() =>
      document.getElementById('order-results').textContent.includes('No order found.'),
    );
    await page.$eval('#search-order-no', (input) => { input.value = ''; });
    await page.type('#search-order-no', 'console-1');
    await page.click('#order-search button[type=submit]');
    await page.waitForSelector('#order-page');
    await screenshot(page, 'order-search');
    await page.browserContext().close();
  });

  test('orders: search by channel trade number', async () => {
    const order = await api('GET', '/admin/orders/demo/console-1', { token: operators.viewer.token });
    const tradeNo = order.body.order.attempts[0].channel_trade_no;
    assert.ok(tradeNo, JSON.stringify(order.body.order.attempts));
    const page = await signedInAs('viewer');
    await page.click('a[data-screen=orders]');
    await page.waitForSelector('#trade-search');
    await page.type('#search-channel-trade-no', tradeNo);
    await page.click('#trade-search button[type=submit]');
    await page.waitForSelector('#order-page');
    assert.equal(await page.evaluate(() => location.hash), '#/orders/demo/console-1');
    await page.browserContext().close();
  });

  test('a viewer sees the order page without actions', async () => {
    const page = await signedInAs('viewer');
    await page.goto(`${base}/console#/orders/demo/console-1`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#order-page');
    assert.equal(await page.$('#order-actions'), null);
    assert.equal(await page.$('#order-reviews form'), null);
    await page.browserContext().close();
  });

  test('operator: from the review queue to the order, refund, resolve and retry a webhook, in the timeline and audit', async () => {
    const page = await signedInAs('operator');
    await page.waitForSelector('#review-list a[href="#/orders/demo/console-1"]');
    await page.click('#review-list a[href="#/orders/demo/console-1"]');
    await page.waitForSelector('#action-refund');
    assert.equal(await page.$('#action-close'), null, 'a paid order cannot be closed');
    assert.equal(await page.$('#action-query'), null, 'query now is hidden for a final order');
    await page.type('#action-refund input[name=refund_no]', 'r-console');
    await page.type('#action-refund input[name=amount]', '500');
    await page.type('#action-refund input[name=reason]', 'goodwill');
    await page.click('#action-refund button[type=submit]');
    await page.waitForFunction(() =>
      document.getElementById('order-timeline').textContent.includes('refund r-console by otto: goodwill'),
    );
    assert.match(await text(page, '#order-refunds'), /r-console\s*5\.00 CNY/);
    await screenshot(page, 'order-actions');
    // The paid webhook's item (the refund's webhook may open another: it
    // goes to the same closed port).
    const paidItem = `webhook_exhausted:evt_${paymentNo}_paid`;
    const form = `#order-reviews form[aria-label="Resolve ${paidItem}"]`;
    await page.select(`${form} select[name=resolution]`, 'dismiss');
    await page.type(`${form} input[name=reason]`, 'the merchant confirmed by phone');
    await page.click(`${form} button[type=submit]`);
    await page.waitForFunction(
      // The page reloads the order: the section is briefly absent.
      (item) => {
        const reviews = document.getElementById('order-reviews');
        return reviews !== null && !reviews.textContent.includes(item);
      },
      {},
      `evt_${paymentNo}_paid`,
    );
    assert.match(await text(page, '#order-timeline'), /review\.closed.*dismiss by otto: the merchant confirmed by phone/s);
    // Retry the paid webhook (still undelivered: its URL is a closed port).
    const retry = `#order-webhooks form[aria-label="Retry evt_${paymentNo}_paid"]`;
    await page.waitForSelector(retry);
    await page.type(`${retry} input[name=reason]`, 'the merchant fixed their endpoint');
    await page.click(`${retry} button[type=submit]`);
    await page.waitForFunction(
      (detail) => (document.getElementById('order-timeline')?.textContent || '').includes(detail),
      {},
      `retry_webhook evt_${paymentNo}_paid by otto: the merchant fixed their endpoint`,
    );
    const audit = await api('GET', '/admin/audit?limit=1000', { token: operators.viewer.token });
    const mine = audit.body.items.filter((e) => e.operator === 'otto');
    assert.ok(mine.some((e) => e.route === '/admin/orders/{merchant_id}/{merchant_order_no}/refunds' &&
      e.status === 202 && e.reason === 'goodwill'), JSON.stringify(mine));
    assert.ok(mine.some((e) => e.route === '/admin/review/{item_id}/resolve' && e.status === 200 &&
      e.reason === 'the merchant confirmed by phone'), JSON.stringify(mine));
    assert.ok(mine.some((e) => e.route.endsWith('/webhooks/{event_id}/retry') && e.status === 200 &&
      e.reason === 'the merchant fixed their endpoint'), JSON.stringify(mine));
    await page.browserContext().close();
  });

  test('operator: query now of an open order; a final order offers no action', async () => {
    const created = await api('POST', '/v1/orders/console-2/pay', {
      token: 'sk_test_demo',
      body: { amount: 2500, currency: 'CNY', channel: 'sandbox' },
    });
    assert.equal(created.status, 201);
    // At once, while the attempt is open (this daemon's ladders are short).
    const queried = await api('POST', '/admin/orders/demo/console-2/query', {
      token: operators.operator.token,
      body: { reason: 'the payer asks' },
    });
    assert.equal(queried.status, 200, JSON.stringify(queried.body));
    // The ladder ends the unpaid order; then nothing is left to do.
    const final = await pollUntil(
      () => api('GET', '/admin/orders/demo/console-2', { token: operators.viewer.token }),
      (r) => r.body.order.status === 'EXPIRED',
      15000,
    );
    assert.equal(final.body.order.status, 'EXPIRED');
    const page = await signedInAs('operator');
    await page.goto(`${base}/console#/orders/demo/console-2`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#order-actions');
    assert.match(await text(page, '#order-actions'), /Nothing to do/);
    assert.equal(await page.$('#action-query'), null);
    assert.equal(await page.$('#action-close'), null);
    assert.match(await text(page, '#order-timeline'), /query \S+ by otto: the payer asks/);
    const { csrf_token: csrf } = (await pageFetch(page, 'GET', '/admin/session')).body;
    const refused = await pageFetch(page, 'POST', '/admin/orders/demo/console-2/query', {
      body: { reason: 'again' },
      csrf,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'no_open_attempt');
    await page.browserContext().close();
  });

  test('operator: a payer appeal finds a charge oncepay missed, refunds it, and is closed from the order page', async () => {
    const created = await api('POST', '/v1/orders/console-appeal/pay', {
      token: 'sk_test_demo',
      body: { amount: 1500, currency: 'CNY', channel: 'sandbox' },
    });
    assert.equal(created.status, 201);
    const p1 = created.body.attempt.payment_no;
    assert.equal((await api('POST', '/v1/orders/console-appeal/close', { token: 'sk_test_demo' })).status, 200);
    // The payer pays the closed attempt anyway and every notification is lost:
    // only the channel knows (no ladder asks about a closed attempt).
    assert.equal((await api('PUT', '/sandbox/faults', { body: { notify_drop: 1.0 } })).status, 200);
    assert.equal((await api('POST', `/sandbox/payments/${p1}/pay`, { body: { after_close: true } })).status, 200);
    assert.equal((await api('PUT', '/sandbox/faults', { body: {} })).status, 200);

    const page = await signedInAs('operator');
    await page.goto(`${base}/console#/orders/demo/console-appeal`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#action-appeal');
    assert.match(await text(page, '#order-appeals'), /No payer appeal/);
    await page.select('#action-appeal select[name=kind]', 'paid_not_credited');
    await page.type('#action-appeal textarea[name=detail]', 'the payer shows a bank debit');
    await page.click('#action-appeal button[type=submit]');
    await page.waitForFunction(
      () => /1 charge at the channel/.test(document.getElementById('order-appeals')?.textContent || ''),
      { timeout: 15000 },
    );
    const appeals = await text(page, '#order-appeals');
    assert.match(appeals, /paid_not_credited — recorded by otto/);
    // SUCCESS, or REFUND when a late retry of the sandbox's notification
    // got through first and oncepay had refunded it already.
    assert.match(appeals, new RegExp(`${p1}\\s*(SUCCESS|REFUND)\\s*yes`));
    assert.match(appeals, /refunded automatically/);
    assert.match(await text(page, '#order-reviews'), /appeal/);
    assert.match(await text(page, '#order-timeline'), /appeal\.checked/);
    await screenshot(page, 'order-appeal');

    // Close the appeal from its review item, with how it was settled.
    const resolve = `#order-reviews form[aria-label="Resolve appeal:${p1}:1"]`;
    await page.waitForSelector(resolve);
    await page.select(`${resolve} select`, 'dismiss');
    await page.type(`${resolve} input[name=reason]`, 'refunded; told the payer');
    await page.click(`${resolve} button[type=submit]`);
    await page.waitForFunction(
      () => /closed by otto/.test(document.getElementById('order-appeals')?.textContent || ''),
      { timeout: 15000 },
    );
    assert.match(await text(page, '#order-appeals'), /refunded; told the payer/);
    const order = await pollUntil(
      () => api('GET', '/admin/orders/demo/console-appeal', { token: operators.viewer.token }),
      (r) => r.body.order.attempts[0].status === 'AUTO_REFUNDED',
      15000,
    );
    assert.equal(order.body.order.attempts[0].status, 'AUTO_REFUNDED');
    assert.equal(order.body.appeals[0].status, 'closed');
    const audit = await api('GET', '/admin/audit?limit=1000', { token: operators.viewer.token });
    assert.ok(audit.body.items.some((e) => e.operator === 'otto' && e.status === 201 &&
      e.route === '/admin/orders/{merchant_id}/{merchant_order_no}/appeals' &&
      e.reason === 'the payer shows a bank debit'), JSON.stringify(audit.body.items.slice(0, 5)));
    // A viewer cannot record one.
    const viewerPage = await signedInAs('viewer');
    const { csrf_token: csrf } = (await pageFetch(viewerPage, 'GET', '/admin/session')).body;
    const refused = await pageFetch(viewerPage, 'POST', '/admin/orders/demo/console-appeal/appeals', {
      body: { kind: 'other', detail: 'x' },
      csrf,
    });
    assert.equal(refused.status, 403);
    await viewerPage.browserContext().close();
    await page.browserContext().close();
  });

  test("a viewer's order action is 403 and changes nothing", async () => {
    const page = await signedInAs('viewer');
    const { csrf_token: csrf } = (await pageFetch(page, 'GET', '/admin/session')).body;
    const refused = await pageFetch(page, 'POST', '/admin/orders/demo/console-1/refunds', {
      body: { refund_no: 'r-viewer', amount: 1, reason: 'x' },
      csrf,
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    const order = await api('GET', '/admin/orders/demo/console-1', { token: operators.viewer.token });
    assert.equal(order.body.order.refunds.some((r) => r.refund_no === 'r-viewer'), false);
    await page.browserContext().close();
  });

  test('reconciliation: runs of a day, counts, summary check, items', async () => {
    // Today in the reconciliation's time zone (recon.timezone, Asia/Shanghai).
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const started = await api('POST', '/admin/reconciliations', {
      token: operators.operator.token,
      body: { merchant_id: 'demo', channel: 'sandbox', date },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.reconciliation_id;
    const run = await pollUntil(
      () => api('GET', `/admin/reconciliations/${id}`, { token: operators.viewer.token }),
      (r) => r.body.status !== 'RUNNING',
      20000,
    );
    assert.equal(run.body.status, 'DONE', JSON.stringify(run.body));
    const page = await signedInAs('viewer');
    await page.click('a[data-screen=reconciliation]');
    await page.waitForSelector('#recon-filter');
    await page.$eval('#recon-date', (input, d) => { input.value = d; }, date);
    await page.click('#recon-filter button[type=submit]');
    await page.waitForSelector(`#recon-list button[aria-label="Show run ${id}"]`);
    await page.click(`#recon-list button[aria-label="Show run ${id}"]`);
    await page.waitForSelector('#recon-run');
    const summary = await text(page, '#recon-summary');
    assert.match(summary, /DONE/);
    assert.match(summary, /Summary check/);
    assert.match(await text(page, '#recon-counts'), /matched/);
    await screenshot(page, 'reconciliation');
    await page.browserContext().close();
  });

  test('metrics: live uPlot charts of /metrics', async () => {
    const page = await signedInAs('viewer');
    await page.click('a[data-screen=metrics]');
    for (const id of ['chart-pays', 'chart-pay-latency', 'chart-ladders', 'chart-webhooks', 'chart-wal-fsync', 'chart-wal-batch']) {
      await page.waitForSelector(`#${id} .uplot canvas`);
    }
    // A few pays while it polls: the next intervals count them.
    for (let i = 0; i < 3; i += 1) {
      const r = await api('POST', `/v1/orders/metrics-${i}/pay`, {
        token: 'sk_test_demo',
        body: { amount: 100, currency: 'CNY', channel: 'sandbox' },
      });
      assert.equal(r.status, 201);
    }
    await page.waitForFunction(
      () => /^[2-9]\d* intervals shown|^\d{2,} intervals shown/.test(document.getElementById('metrics-status').textContent),
      { timeout: 15000 },
    );
    const legend = await text(page, '#chart-pay-latency');
    assert.match(legend, /p50/);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await screenshot(page, 'metrics');
    await page.browserContext().close();
  });

  test('merchants: list and lookup without secrets', async () => {
    const page = await signedInAs('admin');
    await page.click('a[data-screen=merchants]');
    await page.waitForSelector('#merchant-list tbody tr');
    const ids = await page.$$eval('#merchant-list tbody tr', (rows) =>
      rows.map((r) => r.cells[0].textContent.trim()),
    );
    assert.deepEqual(ids, ['demo', 'm-console']);
    await page.type('#merchant-id', 'm-console');
    await page.click('#merchant-lookup button[type=submit]');
    await page.waitForSelector('#merchant-details');
    assert.match(await text(page, '#merchant-details'), /m-console.*strict/s);
    const body = await page.$eval('body', (b) => b.textContent);
    assert.equal(/sk_|whsec_/.test(body), false, 'no secret on the page');
    await screenshot(page, 'merchants');
    await page.type('#merchant-id', '-missing');
    await page.click('#merchant-lookup button[type=submit]');
    await page.waitForFunction(() =>
      document.getElementById('merchant-found').textContent.includes('No merchant'),
    );
    await page.browserContext().close();
  });

  test('merchants: an admin creates one and sees its credentials once; an operator cannot', async () => {
    const page = await signedInAs('admin');
    await page.click('a[data-screen=merchants]');
    await page.waitForSelector('#merchant-create');
    await page.type('#new-merchant-id', 'm-created');
    await page.select('#new-merchant-policy', 'refund_duplicates');
    await page.click('#merchant-create button[type=submit]');
    await page.waitForSelector('#merchant-credentials');
    assert.match(await text(page, '#merchant-credentials'), /API key\s*sk_/);
    assert.match(await text(page, '#merchant-create'), /Shown this once/);
    await page.waitForFunction(() => /m-created/.test(document.getElementById('merchant-list').textContent));
    await page.click('#merchant-credentials-hide');
    assert.equal(/sk_|whsec_/.test(await page.$eval('body', (b) => b.textContent)), false);
    // Never again: not after a reload, not on its lookup.
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('#merchant-list tbody tr');
    await page.type('#merchant-id', 'm-created');
    await page.click('#merchant-lookup button[type=submit]');
    await page.waitForSelector('#merchant-details');
    assert.match(await text(page, '#merchant-details'), /m-created.*refund_duplicates/s);
    assert.equal(/sk_|whsec_/.test(await page.$eval('body', (b) => b.textContent)), false);
    // A taken id is refused in words.
    await page.type('#new-merchant-id', 'm-created');
    await page.click('#merchant-create button[type=submit]');
    await page.waitForFunction(() => /Refused/.test(document.querySelector('#merchant-create .action-status').textContent));
    await page.browserContext().close();
    const operatorPage = await signedInAs('operator');
    await operatorPage.click('a[data-screen=merchants]');
    await operatorPage.waitForSelector('#merchant-list tbody tr');
    assert.equal(await operatorPage.$('#merchant-create'), null);
    await operatorPage.browserContext().close();
  });

  test('the other screens are reachable from the navigation', async () => {
    const page = await signedInAs('operator');
    for (const screen of ['orders', 'reconciliation', 'metrics']) {
      await page.click(`a[data-screen=${screen}]`);
      await page.waitForFunction(
        (s) => document.querySelector(`a[data-screen=${s}]`).getAttribute('aria-current') === 'page',
        {},
        screen,
      );
      await page.waitForSelector('#screen h2');
      if (screen === 'orders') await screenshot(page, screen);
    }
    await page.browserContext().close();
  });

  test('every control has a label and is reachable by keyboard', async () => {
    const page = await signedInAs('admin');
    await page.click('a[data-screen=merchants]');
    await page.waitForSelector('#merchant-list tbody tr');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('button, input, select, a[href]')]
        .filter((n) => !n.closest('[hidden]'))
        .filter((n) => {
          if (n.getAttribute('aria-label')) return false;
          if (n.labels && n.labels.length > 0) return false;
          return n.textContent.trim() === '';
        })
        .map((n) => n.outerHTML),
    );
    assert.deepEqual(unlabelled, []);
    // From the top of the page: the header, the navigation, the screen.
    await page.evaluate(() => document.activeElement.blur());
    const focused = [];
    for (let i = 0; i < 24; i += 1) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement.textContent.trim()));
    }
    assert.ok(focused.includes('Sign out'), focused.join(' | '));
    for (const label of ['Review queue', 'Merchants', 'Metrics', 'Look up', 'Create merchant', 'demo']) {
      assert.ok(focused.includes(label), `${label} not reached: ${focused.join(' | ')}`);
    }
    await page.browserContext().close();
  });

  test('fits a narrow screen without sideways scrolling of the page', async () => {
    const page = await signedInAs('viewer');
    await page.setViewport({ width: 400, height: 800 });
    for (const screen of ['review', 'merchants']) {
      await page.click(`a[data-screen=${screen}]`);
      await page.waitForSelector('#screen table');
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `${screen}: the page is ${overflow}px wider than the screen`);
    }
    await screenshot(page, 'narrow-merchants');
    await page.browserContext().close();
  });

  test('a state change without the CSRF token is refused', async () => {
    const page = await signedInAs('admin');
    const refused = await pageFetch(page, 'POST', '/admin/merchants', {
      body: { merchant_id: 'm-csrf' },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'csrf_token_invalid');
    const { csrf_token: csrf } = (await pageFetch(page, 'GET', '/admin/session')).body;
    const created = await pageFetch(page, 'POST', '/admin/merchants', {
      body: { merchant_id: 'm-csrf' },
      csrf,
    });
    assert.equal(created.status, 201);
    await page.browserContext().close();
  });

  test("a viewer's admin action is 403 and changes nothing", async () => {
    const page = await signedInAs('viewer');
    const { csrf_token: csrf } = (await pageFetch(page, 'GET', '/admin/session')).body;
    const refused = await pageFetch(page, 'POST', '/admin/merchants', {
      body: { merchant_id: 'm-viewer' },
      csrf,
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    const lookup = await api('GET', '/admin/merchants/m-viewer', { token: operators.admin.token });
    assert.equal(lookup.status, 404);
    await page.browserContext().close();
  });

  test('sign-out ends the session on the server', async () => {
    const page = await signedInAs('operator');
    const cookie = (await page.cookies()).find((c) => c.name === 'oncepay_session');
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in:not([hidden])');
    assert.equal(await text(page, '#sign-in-error'), 'Signed out.');
    assert.equal(await shown(page, '#who'), false);
    assert.equal(await shown(page, '#nav'), false);
    assert.equal((await pageFetch(page, 'GET', '/admin/session')).status, 401);
    // The old cookie, put back, no longer works.
    await page.setCookie(cookie);
    assert.equal((await pageFetch(page, 'GET', '/admin/review')).status, 401);
    await page.browserContext().close();
  });

  test('sign-ins, sign-outs and refusals are in the audit log', async () => {
    const audit = await api('GET', '/admin/audit?limit=1000', { token: operators.viewer.token });
    assert.equal(audit.status, 200);
    const entries = audit.body.items;
    const signIns = entries.filter((e) => e.route === '/admin/session' && e.method === 'POST');
    for (const op of Object.values(operators)) {
      assert.ok(signIns.some((e) => e.operator === op.name && e.status === 200), op.name);
    }
    assert.ok(signIns.some((e) => e.operator === '' && e.status === 401), 'the wrong token');
    assert.ok(entries.some((e) => e.method === 'DELETE' && e.operator === 'otto' && e.status === 204));
    assert.ok(entries.some((e) => e.operator === 'vera' && e.status === 403));
    const all = JSON.stringify(entries);
    for (const op of Object.values(operators)) assert.equal(all.includes(op.token), false);
  });
});
