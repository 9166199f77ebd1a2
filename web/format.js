// Times and amounts as an operator reads them: times in the operator's own
// time zone (the browser's, by Intl.DateTimeFormat), amounts from minor units.

const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});

export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

// An RFC 3339 time from the API in the operator's time zone.
export function localTime(rfc3339) {
  const at = new Date(rfc3339);
  return Number.isNaN(at.getTime()) ? String(rfc3339) : dateTime.format(at);
}

// How long ago an RFC 3339 time was: "3 d 4 h", "2 h 5 min", "40 s".
export function age(rfc3339, now = Date.now()) {
  const at = new Date(rfc3339).getTime();
  if (Number.isNaN(at)) return '';
  let seconds = Math.max(0, Math.floor((now - at) / 1000));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds} s`;
  return `${seconds} s`;
}

// An element with text, and optional attributes and class.
export function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// A table of rows: columns are [header, (row) => text or Node].
export function table(caption, columns, rows) {
  const t = el('table');
  t.append(el('caption', caption));
  const head = el('tr');
  for (const [title] of columns) head.append(el('th', title, { scope: 'col' }));
  const thead = el('thead');
  thead.append(head);
  t.append(thead);
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const [, cell] of columns) {
      const value = cell(row);
      const td = el('td');
      if (value instanceof Node) td.append(value);
      else td.textContent = value === undefined || value === null ? '' : String(value);
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  // A narrow screen scrolls the table, not the page.
  const wrap = el('div', undefined, { class: 'table-wrap' });
  wrap.append(t);
  return wrap;
}

// An amount in minor units (fen) as "19.99 CNY"; the minor units stay exact
// (integer arithmetic, no floating point).
export function money(minor, currency = '') {
  const value = Number(minor) || 0;
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  const text = `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return currency ? `${text} ${currency}` : text;
}

// A link to the order page of the Orders screen.
export function orderLink(merchantId, merchantOrderNo) {
  const href = `#/orders/${encodeURIComponent(merchantId)}/${encodeURIComponent(merchantOrderNo)}`;
  return el('a', merchantOrderNo, { href });
}
