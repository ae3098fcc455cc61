// The console's entry point: session, workspace switcher, navigation and
// the hash router (#/flows, #/flows/<id>, #/executions/<id>, …).
import { call, get, setCSRF } from './api.js';
import { h, replace, clear } from './dom.js';
import { signInPage } from './page-signin.js';
import { flowsPage } from './page-flows.js';
import { editorPage } from './editor.js';
import { executionsPage, executionPage } from './page-executions.js';
import { credentialsPage } from './page-credentials.js';
import { membersPage, apiKeysPage } from './page-workspace.js';
import { securityEventsPage, auditPage } from './page-security.js';

const WORKSPACE_KEY = 'smf.workspace';

export const state = { me: null, workspaceID: '', nodeTypes: null, cleanup: [] };

const NAV = [
  ['#/flows', 'Flows'],
  ['#/executions', 'Executions'],
  ['#/credentials', 'Credentials'],
  ['#/members', 'Members'],
  ['#/api-keys', 'API keys'],
  ['#/security-events', 'Security events'],
  ['#/audit', 'Audit'],
];

/** Runs when the page changes: stops timers and event streams of the old one. */
export function onLeave(stop) { state.cleanup.push(stop); }

export async function nodeTypes() {
  if (!state.nodeTypes) state.nodeTypes = (await get('/api/v1/node-types')).node_types;
  return state.nodeTypes;
}

export function go(hash) {
  if (window.location.hash === hash) route(); else window.location.hash = hash;
}

async function loadSession() {
  try {
    state.me = await get('/api/v1/auth/me');
  } catch {
    state.me = null;
    return;
  }
  const ids = state.me.workspaces.map((w) => w.workspace_id);
  const stored = window.sessionStorage.getItem(WORKSPACE_KEY);
  state.workspaceID = ids.includes(stored) ? stored : (ids[0] || '');
}

function header() {
  const bar = h('header', { class: 'topbar' }, h('a', { href: '#/flows', class: 'brand' }, 'smflow console'));
  if (!state.me) return bar;
  const select = h('select', {
    id: 'workspace-switcher',
    on: {
      change: () => {
        state.workspaceID = select.value;
        window.sessionStorage.setItem(WORKSPACE_KEY, select.value);
        go('#/flows');
      },
    },
  }, state.me.workspaces.map((w) => h('option', { value: w.workspace_id, selected: w.workspace_id === state.workspaceID }, `${w.name} (${w.role})`)));
  const signOut = h('button', {
    type: 'button', id: 'sign-out',
    on: {
      click: async () => {
        try { await call('POST', '/api/v1/auth/logout', { body: {} }); } catch { /* the session is gone either way */ }
        state.me = null;
        setCSRF('');
        go('#/signin');
      },
    },
  }, 'Sign out');
  bar.append(
    h('label', { for: 'workspace-switcher', class: 'visually-hidden' }, 'Workspace'), select,
    h('span', { class: 'who' }, state.me.email), signOut);
  return bar;
}

function navigation(current) {
  return h('nav', { 'aria-label': 'Sections' }, h('ul', {}, NAV.map(([href, label]) => h('li', {},
    h('a', { href, 'aria-current': current.startsWith(href) ? 'page' : null }, label)))));
}

async function route() {
  for (const stop of state.cleanup.splice(0)) {
    try { stop(); } catch { /* ignore */ }
  }
  const hash = window.location.hash || '#/flows';
  const root = document.getElementById('app');
  if (!state.me) await loadSession();
  if (!state.me && hash !== '#/signin') { window.location.hash = '#/signin'; return; }
  clear(root);
  if (hash === '#/signin') {
    root.append(header());
    const main = h('main', { id: 'main', tabindex: '-1' });
    root.append(main);
    await signInPage(main, async (token) => {
      setCSRF(token);
      await loadSession();
      go('#/flows');
    });
    return;
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  root.append(h('a', { href: '#main', class: 'skip' }, 'Skip to content'), header(),
    h('div', { class: 'layout' }, navigation(hash), main));
  if (!state.workspaceID) {
    main.append(h('h1', {}, 'No workspace'), h('p', {}, 'Your account is not a member of any workspace.'));
    return;
  }
  const parts = hash.slice(2).split('/');
  const pages = {
    flows: () => (parts[1] ? editorPage(main, parts[1]) : flowsPage(main)),
    executions: () => (parts[1] ? executionPage(main, parts[1]) : executionsPage(main)),
    credentials: () => credentialsPage(main),
    members: () => membersPage(main),
    'api-keys': () => apiKeysPage(main),
    'security-events': () => securityEventsPage(main),
    audit: () => auditPage(main),
  };
  const page = pages[parts[0]];
  try {
    if (page) await page(); else replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no such page.'));
  } catch (error) {
    if (error && error.status === 401) { state.me = null; go('#/signin'); return; }
    main.append(h('p', { class: 'error', role: 'alert' }, error && error.message ? error.message : String(error)));
  }
  const heading = main.querySelector('h1');
  if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
}

window.addEventListener('hashchange', route);
route();
