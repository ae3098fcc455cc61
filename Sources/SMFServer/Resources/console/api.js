// The one place that talks to /api/v1: same-origin fetch with the session
// cookie, the CSRF token on unsafe requests, problem+json turned into errors.
const CSRF_COOKIE = '__Host-smf_csrf';
let csrfToken = '';

export class APIError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.type = problem && problem.type;
    this.fieldErrors = (problem && problem.errors) || [];
  }
}

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

export function setCSRF(token) { csrfToken = token || ''; }

/**
 * call('GET', '/api/v1/auth/me') → {status, body, etag}.
 * options: {body, etag (sent as If-Match), query}
 */
export async function call(method, path, options = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(options.query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken || cookie(CSRF_COOKIE);
  }
  if (options.etag) headers['If-Match'] = options.etag;
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
  const type = response.headers.get('Content-Type') || '';
  const parsed = type.includes('json') && response.status !== 204 ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new APIError(response.status, parsed);
  return { status: response.status, body: parsed, etag: response.headers.get('ETag') };
}

export const get = (path, query) => call('GET', path, { query }).then((r) => r.body);

export function workspacePath(workspaceID, rest = '') {
  return `/api/v1/workspaces/${encodeURIComponent(workspaceID)}${rest}`;
}
