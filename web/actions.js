// Operators' actions (docs/API.md "Operator actions", "Payer appeals" and
// "Review list"): the forms of the order page (query now, close, refund,
// record a payer appeal) and the resolve form of a review item. Each needs a reason; each shows the daemon's
// refusal in words. Shown only to operators and admins (a viewer's request
// would be 403 anyway).
import { ApiError, post } from './api.js';
import { el } from './format.js';

export const canAct = (session) => session && (session.role === 'operator' || session.role === 'admin');

let unique = 0;

// A labelled input inside `form`.
function input(form, label, attributes) {
  unique += 1;
  const id = `${attributes.name}-${unique}`;
  const wrap = el('div', undefined, { class: 'field' });
  wrap.append(el('label', label, { for: id }), el('input', undefined, { id, ...attributes }));
  form.append(wrap);
  return wrap.querySelector('input');
}

// A form that posts its body and reports the outcome in `status`.
function actionForm(id, title, fields, submitText, send) {
  const form = el('form', undefined, { class: 'filters action', id, 'aria-label': title });
  const inputs = fields.map((f) => input(form, f.label, f.attributes));
  const button = el('button', submitText, { type: 'submit' });
  const status = el('p', '', { class: 'action-status', role: 'status' });
  form.append(button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.className = 'action-status';
    status.textContent = 'Working…';
    try {
      await send(inputs.map((i) => i.value.trim()));
      status.textContent = 'Done.';
    } catch (error) {
      status.className = 'action-status error';
      status.textContent = error instanceof ApiError ? `Refused: ${error.message}` : String(error.message || error);
      if (error instanceof ApiError && error.status === 401) throw error;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

const reasonField = { label: 'Reason', attributes: { name: 'reason', required: '', maxlength: '500' } };
const OPEN = ['PAYING', 'UNKNOWN'];
const PAID = ['PAID', 'PARTIALLY_REFUNDED'];

// The order page's actions for an AdminOrder view; onDone(view) shows the
// order the action answered.
export function orderActions(view, onDone) {
  const o = view.order;
  const base = `/admin/orders/${encodeURIComponent(view.merchant_id)}/${encodeURIComponent(o.merchant_order_no)}`;
  const box = el('section', undefined, { id: 'order-actions', 'aria-labelledby': 'order-actions-title' });
  box.append(el('h4', 'Actions', { id: 'order-actions-title' }));
  if (o.attempts.some((a) => OPEN.includes(a.status))) {
    box.append(actionForm('action-query', 'Query now', [reasonField], 'Query now', async ([reason]) => {
      onDone(await post(`${base}/query`, { reason }));
    }));
  }
  if (o.status === 'PAYING') {
    box.append(actionForm('action-close', 'Close the order', [reasonField], 'Close order', async ([reason]) => {
      onDone(await post(`${base}/close`, { reason }));
    }));
  }
  if (PAID.includes(o.status)) {
    const fields = [
      { label: 'Refund number', attributes: { name: 'refund_no', required: '', maxlength: '64' } },
      { label: 'Amount (minor units, fen)', attributes: { name: 'amount', required: '', inputmode: 'numeric', pattern: '[0-9]+' } },
      reasonField,
    ];
    box.append(actionForm('action-refund', 'Refund', fields, 'Refund', async ([refundNo, amount, reason]) => {
      onDone(await post(`${base}/refunds`, { refund_no: refundNo, amount: Number(amount), reason }));
    }));
  }
  if (box.children.length === 1) box.append(el('p', 'Nothing to do: the order is final.', { class: 'empty' }));
  box.append(appealForm(base, onDone));
  return box;
}

// Record a payer's appeal (docs/API.md "Payer appeals"): oncepay checks every
// attempt at the channel before it answers; onDone(view) shows the order
// with what was found.
function appealForm(base, onDone) {
  const form = el('form', undefined, { class: 'filters action', id: 'action-appeal', 'aria-label': 'Record a payer appeal' });
  unique += 1;
  const kindId = `appeal-kind-${unique}`;
  const detailId = `appeal-detail-${unique}`;
  const kind = el('select', undefined, { id: kindId, name: 'kind' });
  for (const [value, text] of [['charged_twice', 'Charged twice'], ['paid_not_credited', 'Paid, not credited'], ['other', 'Other']]) {
    kind.append(el('option', text, { value }));
  }
  const detail = el('textarea', undefined, { id: detailId, name: 'detail', required: '', maxlength: '500', rows: '2' });
  const kindField = el('div', undefined, { class: 'field' });
  kindField.append(el('label', 'Appeal kind', { for: kindId }), kind);
  const detailField = el('div', undefined, { class: 'field' });
  detailField.append(el('label', 'What the payer says', { for: detailId }), detail);
  const button = el('button', 'Record appeal and check the channel', { type: 'submit' });
  const status = el('p', '', { class: 'action-status', role: 'status' });
  form.append(kindField, detailField, button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.className = 'action-status';
    status.textContent = 'Checking every attempt at the channel…';
    try {
      onDone(await post(`${base}/appeals`, { kind: kind.value, detail: detail.value.trim() }));
    } catch (error) {
      status.className = 'action-status error';
      status.textContent = error instanceof ApiError ? `Refused: ${error.message}` : String(error.message || error);
      button.disabled = false;
    }
  });
  return form;
}

// The retry form of one webhook that was not delivered; onDone(view) shows
// the order the retry answered.
export function retryWebhookForm(view, webhook, onDone) {
  const base = `/admin/orders/${encodeURIComponent(view.merchant_id)}/${encodeURIComponent(view.order.merchant_order_no)}`;
  const form = el('form', undefined, { class: 'resolve', 'aria-label': `Retry ${webhook.event_id}` });
  const reason = el('input', undefined, { name: 'reason', required: '', maxlength: '500', 'aria-label': `Reason to retry ${webhook.event_id}`, placeholder: 'reason' });
  const button = el('button', 'Retry now', { type: 'submit' });
  const status = el('span', '', { class: 'action-status', role: 'status' });
  form.append(reason, button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      onDone(await post(`${base}/webhooks/${encodeURIComponent(webhook.event_id)}/retry`, { reason: reason.value.trim() }));
    } catch (error) {
      status.className = 'action-status error';
      status.textContent = `Refused: ${error.message}`;
      button.disabled = false;
    }
  });
  return form;
}

// The resolve form of one review item; onDone() after it was resolved.
export function resolveForm(item, onDone) {
  const form = el('form', undefined, { class: 'resolve', 'aria-label': `Resolve ${item.item_id}` });
  unique += 1;
  const selectId = `resolution-${unique}`;
  const select = el('select', undefined, { id: selectId, name: 'resolution', 'aria-label': `Resolution of ${item.item_id}` });
  for (const r of ['dismiss', 'trust_channel', 'trust_platform']) select.append(el('option', r, { value: r }));
  const reason = el('input', undefined, { name: 'reason', required: '', maxlength: '500', 'aria-label': `Reason to resolve ${item.item_id}`, placeholder: 'reason' });
  const button = el('button', 'Resolve', { type: 'submit' });
  const status = el('span', '', { class: 'action-status', role: 'status' });
  form.append(select, reason, button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      // Item ids hold ':' ("<reason>:<subject>"), which a path segment may carry as is.
      await post(`/admin/review/${encodeURIComponent(item.item_id).replace(/%3A/gi, ':')}/resolve`, {
        resolution: select.value,
        reason: reason.value.trim(),
      });
      status.textContent = 'Resolved.';
      await onDone();
    } catch (error) {
      status.className = 'action-status error';
      status.textContent = `Refused: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
