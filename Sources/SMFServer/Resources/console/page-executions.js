import { get, call, workspacePath } from './api.js';
import { h, replace, table, formatTime, statusLine, showError, field } from './dom.js';
import { state, onLeave } from './app.js';

const FINAL = new Set(['succeeded', 'failed', 'dead']);

function badge(status) { return h('span', { class: `badge ${status}` }, status); }

/** Executions, newest first; the first page refreshes itself every 2 s. */
export async function executionsPage(main) {
  const results = h('div', { class: 'results', id: 'executions' });
  const message = statusLine();
  const statusFilter = h('select', { name: 'status' }, h('option', { value: '' }, 'Any status'),
    ['queued', 'running', 'succeeded', 'failed', 'dead'].map((s) => h('option', { value: s }, s)));
  const cursors = [null];
  let page = 0;
  const previous = h('button', { type: 'button', on: { click: () => { page -= 1; load(); } } }, 'Previous page');
  const next = h('button', { type: 'button', on: { click: () => { page += 1; load(); } } }, 'Next page');

  async function load() {
    try {
      const body = await get(workspacePath(state.workspaceID, '/executions'), { limit: 20, cursor: cursors[page], status: statusFilter.value });
      cursors[page + 1] = body.next_cursor || null;
      const rows = body.items.map((run) => h('tr', { dataset: { execution: run.id, status: run.status } },
        h('td', {}, h('a', { href: `#/executions/${encodeURIComponent(run.id)}` }, formatTime(run.created_at))),
        h('td', {}, badge(run.status)),
        h('td', {}, run.trigger_type),
        h('td', {}, `v${run.flow_version}`),
        h('td', {}, run.duration_ms === undefined || run.duration_ms === null ? '—' : `${run.duration_ms} ms`)));
      replace(results, table(['Created', 'Status', 'Trigger', 'Version', 'Duration'], rows, 'Executions'));
      previous.disabled = page === 0;
      next.disabled = !body.next_cursor;
      message.textContent = page === 0 ? `Live: refreshed ${new Date().toLocaleTimeString()}.` : `Page ${page + 1}.`;
    } catch (error) {
      showError(message, error);
    }
  }
  const timer = window.setInterval(() => { if (page === 0 && document.visibilityState === 'visible') load(); }, 2000);
  onLeave(() => window.clearInterval(timer));
  statusFilter.addEventListener('change', () => { page = 0; cursors.length = 1; load(); });
  main.append(h('h1', {}, 'Executions'), h('div', { class: 'toolbar' }, field('Status', statusFilter)), results,
    h('div', { class: 'pager' }, previous, next), message);
  await load();
}

/** One execution, kept current by its Server-Sent Events stream until it ends. */
export async function executionPage(main, executionID) {
  const path = workspacePath(state.workspaceID, `/executions/${encodeURIComponent(executionID)}`);
  const summary = h('dl', { class: 'summary', id: 'execution-summary' });
  const steps = h('div', { class: 'results', id: 'execution-steps' });
  const live = statusLine();
  live.id = 'execution-live';
  const replay = h('button', { type: 'button', id: 'replay', hidden: true }, 'Replay');
  const message = statusLine();

  function render(run) {
    replace(summary,
      h('dt', {}, 'Status'), h('dd', { id: 'execution-status' }, badge(run.status)),
      h('dt', {}, 'Trigger'), h('dd', {}, run.trigger_type),
      h('dt', {}, 'Flow'), h('dd', {}, h('a', { href: `#/flows/${encodeURIComponent(run.flow_id)}` }, `version ${run.flow_version}`)),
      h('dt', {}, 'Created'), h('dd', {}, formatTime(run.created_at)),
      h('dt', {}, 'Finished'), h('dd', {}, formatTime(run.finished_at)),
      h('dt', {}, 'Attempts'), h('dd', {}, String(run.attempts)),
      run.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error' }, run.error)] : null);
    const rows = run.steps.map((step) => h('tr', { dataset: { step: step.node_id } },
      h('td', {}, step.node_id), h('td', {}, step.type), h('td', {}, badge(step.status)), h('td', {}, String(step.attempts)),
      h('td', {}, h('code', {}, step.output_summary || step.error || ''))));
    replace(steps, table(['Node', 'Type', 'Status', 'Attempts', 'Output or error'], rows, 'Steps'));
    replay.hidden = run.status !== 'dead';
  }

  replay.addEventListener('click', async () => {
    try { await call('POST', `${path}/replay`, { body: {} }); message.textContent = 'Queued again.'; } catch (error) { showError(message, error); }
  });
  main.append(h('div', { class: 'page-head' }, h('h1', {}, 'Execution'), h('a', { href: '#/executions' }, 'All executions')),
    summary, live, steps, replay, message);
  const run = await get(path);
  render(run);
  if (FINAL.has(run.status)) { live.textContent = 'Finished.'; return; }
  live.textContent = 'Live: following progress…';
  const stream = new EventSource(`${path}/events`);
  onLeave(() => stream.close());
  stream.addEventListener('execution', (event) => {
    try { render(JSON.parse(event.data)); } catch { /* a malformed event is skipped */ }
  });
  stream.addEventListener('end', () => { live.textContent = 'Finished.'; stream.close(); });
  stream.addEventListener('error', () => { if (stream.readyState === EventSource.CLOSED) live.textContent = 'Live updates stopped; reload to see the latest.'; });
}
