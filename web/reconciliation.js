// The Reconciliation screen (docs/API.md, the reconciliation endpoints):
// the runs of one business day (GET /admin/reconciliations?date=&merchant_id=
// &channel=), then one run (GET /admin/reconciliations/{id}): its counts per
// class, the statement's summary check, the fees, and its items, 50 a page
// (`next` -> ?cursor=), each linking to its order.
import { ApiError, get } from './api.js';
import { el, localTime, money, orderLink, table } from './format.js';

const PAGE = 50;
const when = (rfc3339) => (rfc3339 ? el('time', localTime(rfc3339), { datetime: rfc3339 }) : '');

// Today as YYYY-MM-DD in the operator's time zone.
function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function field(form, id, label, attributes = {}) {
  const wrap = el('div', undefined, { class: 'field' });
  wrap.append(el('label', label, { for: id }), el('input', undefined, { id, name: id, ...attributes }));
  form.append(wrap);
  return wrap.querySelector('input');
}

function summaryCheck(run) {
  if (run.status !== 'DONE') return run.status;
  return run.summary_ok ? 'matches its lines' : `does not match: ${run.summary_detail}`;
}

function counts(run) {
  const list = el('ul', undefined, { class: 'counts', id: 'recon-counts' });
  for (const [name, value] of Object.entries(run.counts || {})) {
    const item = el('li');
    item.append(el('span', name, { class: 'reason' }), ' ', el('strong', value));
    list.append(item);
  }
  return list;
}

async function showRun(into, id) {
  const cursors = [''];
  async function load() {
    const params = new URLSearchParams({ limit: String(PAGE) });
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set('cursor', cursor);
    const run = await get(`/admin/reconciliations/${encodeURIComponent(id)}?${params}`);
    const box = el('article', undefined, { id: 'recon-run', 'aria-labelledby': 'recon-run-title' });
    box.append(el('h3', `Run ${run.reconciliation_id}`, { id: 'recon-run-title' }));
    const dl = el('dl', undefined, { class: 'details', id: 'recon-summary' });
    const rows = [
      ['Merchant', run.merchant_id], ['Channel', run.channel], ['Business day', run.date],
      ['Status', run.status], ['Source', run.source], ['Statement lines', run.lines],
      ['Summary check', summaryCheck(run)], ['Fees', money(run.fee_total)],
      ['Automatic fixes', `${run.fixes_applied || 0} applied, ${run.fixes_failed || 0} failed`],
      ['Started', when(run.started_at)], ['Finished', when(run.finished_at)],
    ];
    if (run.intraday) rows.push(['Partial', 'the business day was not over']);
    if (run.error) rows.push(['Error', `${run.error.code}: ${run.error.message}`]);
    for (const [name, value] of rows) {
      const dd = el('dd');
      if (value instanceof Node) dd.append(value);
      else dd.textContent = value === undefined ? '' : String(value);
      dl.append(el('dt', name), dd);
    }
    box.append(dl, el('h4', 'Counts per class'), counts(run));
    box.append(el('h4', `Items (${run.items_total || 0})`));
    if ((run.items || []).length === 0) {
      box.append(el('p', 'No item: every line matched.', { class: 'empty' }));
    } else {
      box.append(table('Findings of this run', [
        ['Class', (i) => i.class],
        ['Action', (i) => i.action],
        ['Line', (i) => i.line || ''],
        ['Order', (i) => (i.merchant_order_no ? orderLink(run.merchant_id, i.merchant_order_no) : '')],
        ['Payment', (i) => i.payment_no],
        ['Refund', (i) => i.refund_no],
        ['Channel amount', (i) => (i.channel_amount === undefined ? '' : money(i.channel_amount, i.channel_currency))],
        ['Platform amount', (i) => (i.platform_amount === undefined ? '' : money(i.platform_amount, i.platform_currency))],
        ['Detail', (i) => i.detail],
      ], run.items));
    }
    const pager = el('div', undefined, { class: 'pager' });
    if (cursors.length > 1) {
      const back = el('button', 'Previous items', { type: 'button' });
      back.addEventListener('click', () => { cursors.pop(); load(); });
      pager.append(back);
    }
    if (run.next) {
      const next = el('button', 'Next items', { type: 'button' });
      next.addEventListener('click', () => { cursors.push(run.next); load(); });
      pager.append(next);
    }
    box.append(pager);
    into.replaceChildren(box);
  }
  await load();
}

export async function render(root) {
  root.append(el('h2', 'Reconciliation'));
  const form = el('form', undefined, { class: 'filters', id: 'recon-filter' });
  const date = field(form, 'recon-date', 'Business day', { type: 'date', required: '', value: today() });
  const merchant = field(form, 'recon-merchant', 'Merchant (optional)', { autocomplete: 'off' });
  const channel = field(form, 'recon-channel', 'Channel (optional)', { autocomplete: 'off' });
  form.append(el('button', 'Show runs', { type: 'submit' }));
  const list = el('div', undefined, { id: 'recon-list', 'aria-live': 'polite' });
  const detail = el('div', undefined, { id: 'recon-detail' });
  root.append(form, list, detail);

  async function load() {
    const params = new URLSearchParams({ date: date.value });
    if (merchant.value.trim()) params.set('merchant_id', merchant.value.trim());
    if (channel.value.trim()) params.set('channel', channel.value.trim());
    list.replaceChildren();
    detail.replaceChildren();
    let found;
    try {
      found = await get(`/admin/reconciliations?${params}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      list.append(el('p', error.message, { class: 'error', role: 'alert' }));
      return;
    }
    const runs = found.reconciliations || [];
    if (runs.length === 0) {
      list.append(el('p', `No run for ${date.value}.`, { class: 'empty' }));
      return;
    }
    list.append(table(`Runs of ${date.value}`, [
      ['Run', (r) => {
        const b = el('button', r.reconciliation_id, { type: 'button', class: 'link', 'aria-label': `Show run ${r.reconciliation_id}` });
        b.addEventListener('click', () => showRun(detail, r.reconciliation_id));
        return b;
      }],
      ['Merchant', (r) => r.merchant_id],
      ['Channel', (r) => r.channel],
      ['Status', (r) => r.status],
      ['Lines', (r) => r.lines],
      ['Items', (r) => r.items_total],
      ['Summary check', (r) => summaryCheck(r)],
      ['Started', (r) => when(r.started_at)],
    ], runs));
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  await load();
}
