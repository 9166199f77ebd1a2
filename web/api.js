// The console's one way to the daemon: same-origin fetches of the documented
// /admin endpoints (docs/API.md). The session cookie goes along by itself
// (HttpOnly: this code never sees it); every state-changing request carries
// the session's CSRF token in X-CSRF-Token.

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

// An answer that is not 2xx, with the API's error code and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const del = (path) => request('DELETE', path);

// The text of GET /metrics (Prometheus exposition format).
export async function metricsText() {
  const response = await fetch('/metrics', { cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, '', 'metrics unavailable');
  return response.text();
}
