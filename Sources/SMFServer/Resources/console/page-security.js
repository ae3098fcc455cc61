import { get, workspacePath } from './api.js';
import { h, replace, append, table, formatTime, field, statusLine, showError } from './dom.js';
import { state } from './app.js';

const TYPES = ['login', 'registration', 'logout', 'session.revoked', 'password.changed', 'api_key.created', 'api_key.used',
  'api_key.revoked', 'invitation.sent', 'invitation.accepted', 'role.changed', 'member.removed', 'authorization.denied',
  'csrf.rejected', 'ratelimit.exceeded', 'usage.anomaly', 'flow.deployed', 'flow.undeployed', 'credential.created',
  'credential.secrets_replaced', 'credential.deleted'];

/** The workspace's security events, newest first, a page at a time. */
export async function securityEventsPage(main) {
  const type = h('select', { id: 'event-type' }, h('option', { value: '' }, 'Any type'), TYPES.map((t) => h('option', { value: t }, t)));
  const body = h('tbody', {});
  const message = statusLine();
  let cursor = null;
  const more = h('button', { type: 'button', on: { click: () => load(false) } }, 'Older events');
  async function load(fresh) {
    if (fresh) { cursor = null; replace(body); }
    try {
      const page = await get(workspacePath(state.workspaceID, '/security-events'), { limit: 50, cursor, type: type.value });
      for (const event of page.items) {
        body.append(h('tr', {}, h('td', {}, formatTime(event.occurred_at)), h('td', {}, event.type), h('td', {}, event.outcome),
          h('td', {}, event.ip), h('td', {}, Object.entries(event.details).map(([k, v]) => `${k}=${v}`).join(' '))));
      }
      cursor = page.next_cursor || null;
      more.disabled = !cursor;
      message.textContent = body.childElementCount ? `${body.childElementCount} event(s) shown.` : 'No events.';
    } catch (error) {
      showError(message, error);
    }
  }
  type.addEventListener('change', () => load(true));
  main.append(h('h1', {}, 'Security events'), h('div', { class: 'toolbar' }, field('Type', type)),
    h('div', { class: 'results' }, h('table', {}, h('caption', {}, 'Security events'),
      h('thead', {}, h('tr', {}, ['When', 'Type', 'Outcome', 'IP', 'Details'].map((t) => h('th', { scope: 'col' }, t)))), body)),
    h('div', { class: 'pager' }, more), message);
  await load(true);
}

/**
 * The audit summary. The API has no route for `smflow audit` results (the
 * audit runs on the server: `smflow audit`, `smflow security-report`), so this
 * page shows what the API does offer: readiness, flows live, and the last
 * week's security events by type.
 */
export async function auditPage(main) {
  const message = statusLine();
  const list = h('dl', { class: 'summary', id: 'audit-summary' });
  main.append(h('h1', {}, 'Audit summary'),
    h('p', { class: 'note' }, 'The full checklist audit has no API: run ', h('code', {}, 'smflow audit'), ' and ',
      h('code', {}, 'smflow security-report'), ' on the server. Below is what the API reports.'),
    list, message);
  try {
    const ready = await fetch('/readyz', { cache: 'no-store' }).then((r) => (r.ok ? 'ready' : `not ready (${r.status})`)).catch(() => 'unknown');
    const flows = await get(workspacePath(state.workspaceID, '/flows'), { status: 'deployed', limit: 100 });
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const events = await get(workspacePath(state.workspaceID, '/security-events'), { since, limit: 100 });
    const counts = new Map();
    for (const event of events.items) {
      const key = `${event.type} (${event.outcome})`;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    append(list,
      h('dt', {}, 'Server'), h('dd', {}, ready),
      h('dt', {}, 'Flows live'), h('dd', {}, `${flows.items.length}${flows.next_cursor ? '+' : ''}`),
      h('dt', {}, 'Security events, last 7 days'),
      h('dd', {}, counts.size ? h('ul', {}, [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => h('li', {}, `${k}: ${n}`))) : 'none'),
      events.next_cursor ? h('dd', { class: 'hint' }, 'More than 100 events: the counts cover the latest 100.') : null);
  } catch (error) {
    showError(message, error);
  }
}
