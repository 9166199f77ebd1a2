// The Orders screen: a placeholder until its endpoints exist (issue #14).
import { el } from './format.js';

export async function render(root) {
  root.append(el('h2', 'Orders'));
  root.append(el('p', 'Order search by merchant_order_no, payment_no or channel_trade_no, and the order page with its timeline, come here.', { class: 'placeholder' }));
}
