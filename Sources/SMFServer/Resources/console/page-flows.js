import { get, workspacePath } from './api.js';
import { h, replace, table, formatTime, field, statusLine, showError } from './dom.js';
import { state, go } from './app.js';

const PAGE_SIZE = 20;

/** Flows of the workspace: search by name, filter by status, keyset pages. */
export async function flowsPage(main) {
  const search = h('input', { type: 'search', name: 'name', maxlength: '100', placeholder: 'Name contains…' });
  const status = h('select', { name: 'status' },
    h('option', { value: '' }, 'Any status'), ['draft', 'deployed', 'deleted'].map((s) => h('option', { value: s }, s)));
  const results = h('div', { class: 'results' });
  const message = statusLine();
  const cursors = [null];
  let page = 0;
  const previous = h('button', { type: 'button', on: { click: () => { page -= 1; load(); } } }, 'Previous page');
  const next = h('button', { type: 'button', on: { click: () => { page += 1; load(); } } }, 'Next page');

  async function load() {
    message.textContent = 'Loading…';
    try {
      const body = await get(workspacePath(state.workspaceID, '/flows'),
        { limit: PAGE_SIZE, cursor: cursors[page], name: search.value.trim(), status: status.value });
      cursors[page + 1] = body.next_cursor;
      const rows = body.items.map((flow) => h('tr', {},
        h('td', {}, h('a', { href: `#/flows/${encodeURIComponent(flow.id)}`, class: 'flow-link' }, flow.name)),
        h('td', {}, h('span', { class: `badge ${flow.status}` }, flow.status)),
        h('td', {}, String(flow.latest_version)),
        h('td', {}, flow.deployed_version === null ? '—' : String(flow.deployed_version)),
        h('td', {}, formatTime(flow.updated_at))));
      replace(results, table(['Name', 'Status', 'Latest', 'Live', 'Updated'], rows, 'Flows'));
      previous.disabled = page === 0;
      next.disabled = !body.next_cursor;
      message.textContent = `Page ${page + 1}, ${body.items.length} flow(s).`;
    } catch (error) {
      showError(message, error);
    }
  }

  const form = h('form', {
    class: 'toolbar', role: 'search',
    on: { submit: (event) => { event.preventDefault(); page = 0; cursors.length = 1; load(); } },
  }, field('Search flows', search), field('Status', status), h('button', { type: 'submit' }, 'Search'));
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Flows'),
      h('button', { type: 'button', id: 'new-flow', on: { click: () => go('#/flows/new') } }, 'New flow')),
    form, results, h('div', { class: 'pager' }, previous, next), message);
  await load();
}
