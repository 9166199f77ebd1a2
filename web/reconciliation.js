// The Reconciliation screen: a placeholder until its endpoints exist (issue #14).
import { el } from './format.js';

export async function render(root) {
  root.append(el('h2', 'Reconciliation'));
  root.append(el('p', 'Reconciliation runs by date and channel, their counts per class and items come here.', { class: 'placeholder' }));
}
