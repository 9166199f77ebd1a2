// Merchants (docs/API.md "Admin endpoints"): the list (GET /admin/merchants,
// cursor pagination), a lookup by id (GET /admin/merchants/{id}) with the
// merchant's channel accounts (GET .../channels/{channel}: key
// fingerprints, never a secret), and for admins the creation of a merchant
// (POST /admin/merchants), whose answer carries the merchant's API key and
// webhook secret: shown once, to the admin who created it, until they hide
// them; oncepay keeps only the key's SHA-256 and never shows either again.
import { ApiError, get, post } from './api.js';
import { el, table } from './format.js';

const PAGE = 50;
// The channels that take merchant accounts (docs/CHANNELS.md).
const ACCOUNT_CHANNELS = ['wechatpay', 'alipay'];

async function accountsOf(merchantId) {
  const rows = [];
  for (const channel of ACCOUNT_CHANNELS) {
    const path = `/admin/merchants/${encodeURIComponent(merchantId)}/channels/${channel}`;
    try {
      const view = await get(path);
      const fingerprints = Object.entries(view.account || {})
        .filter(([name]) => name.endsWith('_sha256'))
        .map(([name, value]) => `${name}: ${value}`)
        .join(', ');
      rows.push({ channel, status: 'configured', fingerprints });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      rows.push({ channel, status: error.message, fingerprints: '' });
    }
  }
  return rows;
}

async function lookUp(id, out) {
  out.replaceChildren();
  try {
    const merchant = await get(`/admin/merchants/${encodeURIComponent(id)}`);
    const details = el('dl', undefined, { class: 'details', id: 'merchant-details' });
    details.append(el('dt', 'Merchant'), el('dd', merchant.merchant_id));
    details.append(el('dt', 'Policy'), el('dd', merchant.policy));
    out.append(el('h3', `Merchant ${merchant.merchant_id}`), details);
    out.append(table('Channel accounts', [
      ['Channel', (r) => r.channel],
      ['Status', (r) => r.status],
      ['Key fingerprints (SHA-256)', (r) => r.fingerprints],
    ], await accountsOf(merchant.merchant_id)));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    out.append(el('p', `No merchant "${id}": ${error.message}`, { class: 'error', role: 'alert' }));
  }
}

// The admin's form to create a merchant; onCreated() reloads the list.
function createForm(onCreated) {
  const form = el('form', undefined, { class: 'filters action', id: 'merchant-create', 'aria-label': 'Create a merchant' });
  const idField = el('div', undefined, { class: 'field' });
  idField.append(el('label', 'New merchant id', { for: 'new-merchant-id' }),
    el('input', undefined, { id: 'new-merchant-id', name: 'merchant_id', required: '', maxlength: '64', pattern: '[A-Za-z0-9_-]{1,64}' }));
  const policyField = el('div', undefined, { class: 'field' });
  const policy = el('select', undefined, { id: 'new-merchant-policy', name: 'policy' });
  for (const p of ['strict', 'refund_duplicates']) policy.append(el('option', p, { value: p }));
  policyField.append(el('label', 'Duplicate payments', { for: 'new-merchant-policy' }), policy);
  const button = el('button', 'Create merchant', { type: 'submit' });
  const status = el('p', '', { class: 'action-status', role: 'status' });
  const reveal = el('div', undefined, { id: 'merchant-created', 'aria-live': 'polite' });
  form.append(idField, policyField, button, status, reveal);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.className = 'action-status';
    status.textContent = 'Creating…';
    reveal.replaceChildren();
    try {
      const id = form.querySelector('#new-merchant-id').value.trim();
      const created = await post('/admin/merchants', { merchant_id: id, policy: policy.value });
      status.textContent = `Merchant ${created.merchant_id} created (${created.policy}).`;
      const secrets = el('dl', undefined, { class: 'details', id: 'merchant-credentials' });
      secrets.append(el('dt', 'API key'), el('dd', created.api_key));
      secrets.append(el('dt', 'Webhook secret'), el('dd', created.webhook_secret));
      const hide = el('button', 'I have handed them over: hide', { type: 'button', id: 'merchant-credentials-hide' });
      hide.addEventListener('click', () => reveal.replaceChildren());
      reveal.append(
        el('p', 'Shown this once: give these to the merchant now. oncepay keeps only the API key\'s SHA-256 and never shows either again.', { class: 'warning' }),
        secrets,
        hide,
      );
      await onCreated();
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

export async function render(root, context) {
  root.append(el('h2', 'Merchants'));
  const form = el('form', undefined, { class: 'filters', id: 'merchant-lookup' });
  form.append(el('label', 'Merchant id', { for: 'merchant-id' }));
  const input = el('input', undefined, { id: 'merchant-id', name: 'merchant_id', required: '' });
  form.append(input, el('button', 'Look up', { type: 'submit' }));
  const found = el('div', undefined, { id: 'merchant-found', 'aria-live': 'polite' });
  const list = el('div', undefined, { id: 'merchant-list' });
  root.append(form, found);
  if (context && context.session && context.session.role === 'admin') {
    root.append(el('h3', 'New merchant'), createForm(() => load()));
  }
  root.append(el('h3', 'All merchants'), list);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    lookUp(input.value.trim(), found);
  });

  const cursors = [''];
  async function load() {
    const params = new URLSearchParams({ limit: String(PAGE) });
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set('cursor', cursor);
    const page = await get(`/admin/merchants?${params}`);
    list.replaceChildren();
    list.append(table('Merchants by id', [
      ['Merchant', (m) => {
        const open = el('button', m.merchant_id, {
          type: 'button',
          'aria-label': `Open merchant ${m.merchant_id}`,
          class: 'link',
        });
        open.addEventListener('click', () => {
          input.value = m.merchant_id;
          lookUp(m.merchant_id, found);
        });
        return open;
      }],
      ['Policy', (m) => m.policy],
    ], page.items));
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
  await load();
}
