// The Metrics screen: a placeholder until its endpoints exist (issue #14).
import { el } from './format.js';

export async function render(root) {
  root.append(el('h2', 'Metrics'));
  root.append(el('p', 'Live charts of /metrics (uPlot) come here.', { class: 'placeholder' }));
}
