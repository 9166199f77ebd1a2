// The Orders screen (docs/API.md "Orders for operators"): a search by the
// merchant's order number, by a payment_no or by the channel's trade number
// (GET /admin/orders; several orders found are listed), then the
// order page (GET /admin/orders/{merchant_id}/{merchant_order_no}, the URL
// #/orders/{merchant_id}/{merchant_order_no}): status and amounts, open
// review items, attempts with their channel states, refunds, webhook
// deliveries and the timeline with what caused each event. Nothing lists
// all orders: a page is one search and one order.
import { canAct, orderActions, resolveForm, retryWebhookForm } from './actions.js';
import { ApiError, get } from './api.js';
import { el, localTime, money, table } from './format.js';

const when = (rfc3339) => el('time', localTime(rfc3339), { datetime: rfc3339 });

// The {merchant_id, merchant_order_no} of #/orders/{m}/{o}, or null.
export function orderOfHash(hash) {
  const match = hash.match(/^#\/orders\/([^/]+)\/([^/]+)$/);
  if (!match) return null;
  return { merchantId: decodeURIComponent(match[1]), orderNo: decodeURIComponent(match[2]) };
}

function field(id, label, attributes = {}) {
  const wrap = el('div', undefined, { class: 'field' });
  wrap.append(el('label', label, { for: id }), el('input', undefined, { id, name: id, ...attributes }));
  return wrap;
}

function searchForms(onSearch) {
  const box = el('section', undefined, { 'aria-labelledby': 'order-search-title' });
  box.append(el('h3', 'Find an order', { id: 'order-search-title' }));
  const byOrder = el('form', undefined, { class: 'filters', id: 'order-search' });
  byOrder.append(
    field('search-merchant-id', 'Merchant', { required: '', autocomplete: 'off' }),
    field('search-order-no', 'Merchant order number', { required: '', autocomplete: 'off' }),
    el('button', 'Find order', { type: 'submit' }),
  );
  const byPayment = el('form', undefined, { class: 'filters', id: 'payment-search' });
  byPayment.append(
    field('search-payment-no', 'Payment number (any merchant)', { required: '', autocomplete: 'off' }),
    el('button', 'Find payment', { type: 'submit' }),
  );
  const byTrade = el('form', undefined, { class: 'filters', id: 'trade-search' });
  byTrade.append(
    field('search-channel-trade-no', 'Channel trade number (any merchant)', {
      required: '', autocomplete: 'off', maxlength: '64',
    }),
    el('button', 'Find trade', { type: 'submit' }),
  );
  byTrade.addEventListener('submit', (event) => {
    event.preventDefault();
    onSearch(new URLSearchParams({
      channel_trade_no: byTrade.querySelector('#search-channel-trade-no').value.trim(),
    }));
  });
  byOrder.addEventListener('submit', (event) => {
    event.preventDefault();
    onSearch(new URLSearchParams({
      merchant_id: byOrder.querySelector('#search-merchant-id').value.trim(),
      merchant_order_no: byOrder.querySelector('#search-order-no').value.trim(),
    }));
  });
  byPayment.addEventListener('submit', (event) => {
    event.preventDefault();
    onSearch(new URLSearchParams({
      payment_no: byPayment.querySelector('#search-payment-no').value.trim(),
    }));
  });
  box.append(byOrder, byPayment, byTrade);
  return box;
}

function summary(view) {
  const o = view.order;
  const dl = el('dl', undefined, { class: 'details', id: 'order-summary' });
  const rows = [
    ['Merchant', view.merchant_id],
    ['Order', o.merchant_order_no],
    ['Status', o.status],
    ['Amount', money(o.amount, o.currency)],
    ['Refunded', money(o.refunded_amount, o.currency)],
    ['Channel', o.channel],
    ['Subject', o.subject || ''],
    ['Paid by payment', o.paid_payment_no || ''],
    ['Created', when(o.created_at)],
  ];
  for (const [name, value] of rows) {
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value;
    dl.append(el('dt', name), dd);
  }
  return dl;
}

function section(id, title, content) {
  const box = el('section', undefined, { id, 'aria-labelledby': `${id}-title` });
  box.append(el('h4', title, { id: `${id}-title` }));
  box.append(content);
  return box;
}

function listOrNone(caption, columns, rows, none) {
  return rows.length === 0 ? el('p', none, { class: 'empty' }) : table(caption, columns, rows);
}

// The payer appeals of the order with what checking each attempt found.
function appealsList(appeals) {
  if (appeals.length === 0) return el('p', 'No payer appeal.', { class: 'empty' });
  const list = el('div');
  for (const a of appeals) {
    const box = el('div', undefined, { class: 'appeal', id: `appeal-${a.appeal_id.replace(/[^A-Za-z0-9_-]/g, '-')}` });
    let state = a.status;
    if (a.status === 'closed') state = `closed by ${a.closed_by} ${localTime(a.closed_at)}: ${a.resolution}`;
    if (a.status === 'interrupted') state = 'interrupted before every attempt was checked: query now, or record it again';
    box.append(el('p', `${a.kind} — recorded by ${a.recorded_by} ${localTime(a.recorded_at)}: “${a.detail}”`));
    box.append(el('p', `Found: ${a.summary || 'not checked'}`, { class: 'appeal-summary' }));
    box.append(el('p', `Status: ${state}`));
    box.append(listOrNone(`What the channel said about each attempt (${a.appeal_id})`, [
      ['Payment', (f) => f.payment_no],
      ['Channel state', (f) => f.channel_state],
      ['Charged', (f) => (f.charged ? 'yes' : 'no')],
      ['Finding', (f) => f.finding],
    ], a.findings, 'No attempt checked.'));
    list.append(box);
  }
  return list;
}

// The order page's sections, from an AdminOrder view; an operator also gets
// the actions and a resolve form per review item (show(view) re-renders the
// page with the order an action answered, reload() fetches it again).
export function orderPage(view, session, show, reload) {
  const acting = canAct(session);
  const o = view.order;
  const page = el('article', undefined, { id: 'order-page', 'aria-labelledby': 'order-title' });
  page.append(el('h3', `Order ${o.merchant_order_no} of ${view.merchant_id}`, { id: 'order-title' }));
  page.append(summary(view));
  page.append(section('order-reviews', 'Open review items', listOrNone('Why this order needs a person', [
    ['Reason', (i) => i.reason],
    ['Payment', (i) => i.payment_no],
    ['Opened', (i) => when(i.since)],
    ['Detail', (i) => i.detail + (i.resolution ? ` (${i.resolution} by ${i.resolved_by})` : '')],
    ...(acting ? [['Resolve', (i) => resolveForm(i, reload)]] : []),
  ], view.reviews, 'No open review item.')));
  page.append(section('order-appeals', 'Payer appeals', appealsList(view.appeals || [])));
  if (acting) page.append(orderActions(view, show));
  page.append(section('order-attempts', 'Attempts', listOrNone('Payment attempts and their channel states', [
    ['#', (a) => a.attempt],
    ['Payment', (a) => a.payment_no],
    ['Channel', (a) => a.channel],
    ['Status', (a) => a.status],
    ['Channel trade no', (a) => a.channel_trade_no || ''],
    ['Created', (a) => when(a.created_at)],
    ['Updated', (a) => when(a.updated_at)],
  ], o.attempts, 'No attempt.')));
  page.append(section('order-refunds', 'Refunds', listOrNone('Refunds', [
    ['Refund', (r) => r.refund_no],
    ['Amount', (r) => money(r.amount, o.currency)],
    ['Status', (r) => r.status],
    ['Reason', (r) => r.reason || ''],
    ['Created', (r) => when(r.created_at)],
    ['Updated', (r) => when(r.updated_at)],
  ], o.refunds, 'No refund.')));
  page.append(section('order-webhooks', 'Webhook deliveries', listOrNone('Webhooks to the merchant', [
    ['Event', (w) => w.event_id],
    ['Type', (w) => w.type],
    ['Status', (w) => w.status],
    ['Attempts', (w) => w.attempts],
    ['Last HTTP status', (w) => (w.last_status ? w.last_status : 'none')],
    ['Created', (w) => when(w.created_at)],
    ...(acting ? [['Retry', (w) => (w.status === 'DELIVERED' ? '' : retryWebhookForm(view, w, show))]] : []),
  ], view.webhooks, 'No webhook.')));
  page.append(section('order-timeline', 'Timeline', listOrNone('Events, oldest first, with what caused each', [
    ['At', (e) => when(e.at)],
    ['Event', (e) => e.type],
    ['Payment', (e) => e.payment_no || ''],
    ['Detail', (e) => e.detail || ''],
  ], o.events, 'No event.')));
  return page;
}

async function showOrder(into, merchantId, orderNo, session) {
  into.replaceChildren(el('p', 'Loading the order…', { class: 'empty' }));
  const reload = () => showOrder(into, merchantId, orderNo, session);
  const show = (view) => into.replaceChildren(orderPage(view, session, show, reload));
  try {
    show(await get(`/admin/orders/${encodeURIComponent(merchantId)}/${encodeURIComponent(orderNo)}`));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    const message = error.status === 404 ? `No order ${orderNo} of ${merchantId}.` : error.message;
    into.replaceChildren(el('p', message, { class: 'error', role: 'alert' }));
  }
}

const orderHash = (m) => `#/orders/${encodeURIComponent(m.merchant_id)}/${encodeURIComponent(m.merchant_order_no)}`;

// More than one order found (one channel trade number at two channels):
// each links to its order page.
function matchList(items) {
  return table('Orders found', [
    ['Merchant', (m) => m.merchant_id],
    ['Order', (m) => el('a', m.merchant_order_no, { href: orderHash(m) })],
    ['Payment', (m) => m.payment_no],
    ['Status', (m) => m.status],
    ['Amount', (m) => money(m.amount, m.currency)],
    ['Created', (m) => when(m.created_at)],
  ], items);
}

export async function render(root, context) {
  root.append(el('h2', 'Orders'));
  const results = el('div', undefined, { id: 'order-results', 'aria-live': 'polite' });
  const orderBox = el('div', undefined, { id: 'order-view' });
  async function search(params) {
    results.replaceChildren();
    try {
      const found = await get(`/admin/orders?${params}`);
      if (found.items.length === 0) {
        results.append(el('p', 'No order found.', { class: 'empty', role: 'status' }));
        return;
      }
      if (found.items.length > 1) {
        results.append(matchList(found.items));
        return;
      }
      const [match] = found.items;
      const target = orderHash(match);
      if (location.hash === target) await showOrder(orderBox, match.merchant_id, match.merchant_order_no, context.session);
      else location.hash = target;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      results.append(el('p', error.message, { class: 'error', role: 'alert' }));
    }
  }
  const onSearch = (params) =>
    search(params).catch((error) => {
      if (error instanceof ApiError && error.status === 401) context.onSignedOut();
    });
  root.append(searchForms(onSearch), results, orderBox);
  const key = orderOfHash(location.hash);
  if (key) {
    root.querySelector('#search-merchant-id').value = key.merchantId;
    root.querySelector('#search-order-no').value = key.orderNo;
    await showOrder(orderBox, key.merchantId, key.orderNo, context.session);
  }
}
