// The review queue (GET /admin/review, docs/API.md "Review list"): the items
// that need a person, oldest first, with their age in the operator's time,
// the counts per reason (oncepay_review_items{reason} of /metrics), a
// filter by reason and cursor pagination.
import { canAct, resolveForm } from './actions.js';
import { get, metricsText } from './api.js';
import { age, el, localTime, orderLink, table } from './format.js';

// The reasons of docs/API.md "Review list".
export const REASONS = [
  'amount_mismatch',
  'auto_refund_failed',
  'unknown_unresolved',
  'webhook_exhausted',
  'appeal',
  'recon_channel_missing',
  'recon_amount_mismatch',
  'recon_currency_mismatch',
  'recon_status_mismatch',
  'recon_refund_channel_only',
  'recon_refund_platform_only',
  'recon_refund_amount_mismatch',
  'recon_unknown_payment',
  'recon_duplicate_line',
];

const PAGE = 50;

// oncepay_review_items{reason="..."} N lines of the metrics text.
export function reviewCounts(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    const match = line.match(/^oncepay_review_items\{reason="([a-z_]+)"\} ([0-9.e+]+)$/);
    if (match) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

async function renderCounts(root) {
  const box = el('section', undefined, { 'aria-labelledby': 'review-counts-title' });
  box.append(el('h3', 'Open items per reason', { id: 'review-counts-title' }));
  root.append(box);
  let counts = {};
  try {
    counts = reviewCounts(await metricsText());
  } catch {
    box.append(el('p', 'Counts are unavailable (GET /metrics failed).'));
    return;
  }
  const list = el('ul', undefined, { class: 'counts', id: 'review-counts' });
  for (const reason of REASONS) {
    const item = el('li');
    item.append(el('span', reason, { class: 'reason' }), ' ', el('strong', counts[reason] || 0));
    list.append(item);
  }
  box.append(list);
}

export async function render(root, context) {
  root.append(el('h2', 'Review queue'));
  await renderCounts(root);
  const form = el('form', undefined, { class: 'filters', id: 'review-filter' });
  form.append(el('label', 'Reason', { for: 'review-reason' }));
  const select = el('select', undefined, { id: 'review-reason', name: 'reason' });
  select.append(el('option', 'All reasons', { value: '' }));
  for (const reason of REASONS) select.append(el('option', reason, { value: reason }));
  form.append(select, el('button', 'Show', { type: 'submit' }));
  const list = el('div', undefined, { id: 'review-list', 'aria-live': 'polite' });
  root.append(form, list);

  const cursors = [''];  // the cursor of each page shown so far
  async function load() {
    const params = new URLSearchParams({ limit: String(PAGE) });
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set('cursor', cursor);
    if (select.value) params.set('reason', select.value);
    const page = await get(`/admin/review?${params}`);
    const now = Date.now();
    list.replaceChildren();
    if (page.items.length === 0) {
      list.append(el('p', 'Nothing needs a person here.', { class: 'empty' }));
    } else {
      list.append(table('Items that need a person, oldest first', [
        ['Reason', (i) => i.reason],
        ['Merchant', (i) => i.merchant_id],
        ['Order', (i) => (i.merchant_order_no ? orderLink(i.merchant_id, i.merchant_order_no) : '')],
        ['Payment', (i) => i.payment_no],
        ['Opened', (i) => el('time', localTime(i.since), { datetime: i.since })],
        ['Age', (i) => age(i.since, now)],
        ['Detail', (i) => i.detail],
        ...(canAct(context.session) ? [['Resolve', (i) => resolveForm(i, load)]] : []),
      ], page.items));
    }
    const pager = el('div', undefined, { class: 'pager' });
    if (cursors.length > 1) {
      const back = el('button', 'Previous page', { type: 'button' });
      back.addEventListener('click', () => { cursors.pop(); load(); });
      pager.append(back);
    }
    if (page.next) {
      const next = el('button', 'Next page', { type: 'button' });
      next.addEventListener('click', () => { cursors.push(page.next); load(); });
      pager.append(next);
    }
    list.append(pager);
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.length = 1;
    load();
  });
  await load();
}
