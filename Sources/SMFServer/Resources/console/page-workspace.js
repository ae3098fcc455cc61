import { get, call, workspacePath } from './api.js';
import { h, replace, table, formatTime, field, statusLine, showError } from './dom.js';
import { state } from './app.js';
import { confirmButton } from './page-credentials.js';

const ROLES = ['viewer', 'editor', 'admin', 'owner'];
const SCOPES = ['workspace:read', 'members:read', 'flows:read', 'flows:write', 'executions:read', 'credentials:write', 'security-events:read'];

/** Members and their roles; invitations. */
export async function membersPage(main) {
  const results = h('div', { class: 'results', id: 'members' });
  const message = statusLine();
  async function load() {
    try {
      const members = await get(workspacePath(state.workspaceID, '/members'));
      const items = Array.isArray(members) ? members : (members.items || members.members || []);
      const rows = items.map((member) => {
        const role = h('select', { id: `role-${member.user_id}`, 'aria-label': `Role of ${member.email}` },
          ROLES.map((r) => h('option', { value: r, selected: r === member.role }, r)));
        role.addEventListener('change', async () => {
          try {
            await call('PATCH', workspacePath(state.workspaceID, `/members/${encodeURIComponent(member.user_id)}`), { body: { role: role.value } });
            message.textContent = `${member.email} is now ${role.value}.`;
          } catch (error) { showError(message, error); role.value = member.role; }
        });
        return h('tr', {}, h('td', {}, member.email), h('td', {}, role), h('td', {}, formatTime(member.joined_at)),
          h('td', {}, confirmButton('Remove', async () => {
            try { await call('DELETE', workspacePath(state.workspaceID, `/members/${encodeURIComponent(member.user_id)}`)); await load(); } catch (error) { showError(message, error); }
          })));
      });
      replace(results, table(['Email', 'Role', 'Joined', ''], rows, 'Members'));
    } catch (error) {
      showError(message, error);
    }
  }
  const invitations = h('div', { class: 'results', id: 'invitations' });
  async function loadInvitations() {
    try {
      const items = await get(workspacePath(state.workspaceID, '/invitations'));
      const rows = (Array.isArray(items) ? items : []).map((invite) => h('tr', {},
        h('td', {}, invite.email), h('td', {}, invite.role), h('td', {}, formatTime(invite.expires_at)),
        h('td', {}, invite.accepted_at ? `accepted ${formatTime(invite.accepted_at)}` : 'open'),
        h('td', {}, invite.accepted_at ? null : confirmButton('Revoke', async () => {
          try { await call('DELETE', workspacePath(state.workspaceID, `/invitations/${encodeURIComponent(invite.id)}`)); await loadInvitations(); } catch (error) { showError(message, error); }
        }))));
      replace(invitations, table(['Email', 'Role', 'Expires', 'State', ''], rows, 'Invitations'));
    } catch (error) {
      // Only admins may list invitations: say so instead of failing the page.
      replace(invitations, h('p', { class: 'hint' }, error.status === 403 ? 'Your role cannot see invitations.' : error.message));
    }
  }
  const email = h('input', { type: 'email', id: 'invite-email', required: true, maxlength: '254' });
  const role = h('select', { id: 'invite-role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'editor' }, r)));
  const shown = h('p', { class: 'once', role: 'status' });
  const form = h('form', {
    class: 'card', 'aria-labelledby': 'invite-title',
    on: {
      submit: async (event) => {
        event.preventDefault();
        try {
          const { body } = await call('POST', workspacePath(state.workspaceID, '/invitations'), { body: { email: email.value.trim(), role: role.value } });
          shown.textContent = body.token ? `Invitation token (shown once): ${body.token}` : 'Invitation sent.';
          form.reset();
          await loadInvitations();
        } catch (error) { showError(message, error); }
      },
    },
  }, h('h2', { id: 'invite-title' }, 'Invite someone'), field('Email', email), field('Role', role), h('button', { type: 'submit' }, 'Invite'), shown);
  main.append(h('h1', {}, 'Members and roles'), results, message, h('h2', {}, 'Invitations'), invitations, form);
  await Promise.all([load(), loadInvitations()]);
}

/** API keys: list, create (the key is shown once), revoke. */
export async function apiKeysPage(main) {
  const results = h('div', { class: 'results', id: 'api-keys' });
  const message = statusLine();
  async function load() {
    try {
      const keys = await get(workspacePath(state.workspaceID, '/api-keys'));
      const items = Array.isArray(keys) ? keys : (keys.items || []);
      const rows = items.map((key) => h('tr', {},
        h('td', {}, key.name), h('td', { class: 'masked' }, key.hint), h('td', {}, key.scopes.join(', ')),
        h('td', {}, formatTime(key.last_used_at)), h('td', {}, formatTime(key.expires_at)),
        h('td', {}, confirmButton('Revoke', async () => {
          try { await call('DELETE', workspacePath(state.workspaceID, `/api-keys/${encodeURIComponent(key.id)}`)); await load(); } catch (error) { showError(message, error); }
        }))));
      replace(results, table(['Name', 'Key', 'Scopes', 'Last used', 'Expires', ''], rows, 'API keys'));
    } catch (error) {
      showError(message, error);
    }
  }
  const name = h('input', { type: 'text', id: 'key-name', required: true, maxlength: '100' });
  const boxes = SCOPES.map((scope) => h('input', { type: 'checkbox', value: scope, id: `scope-${scope.replace(/[^a-z-]/g, '-')}` }));
  const shown = h('p', { class: 'once', role: 'status', id: 'new-key' });
  const form = h('form', {
    class: 'card', 'aria-labelledby': 'key-title',
    on: {
      submit: async (event) => {
        event.preventDefault();
        const scopes = boxes.filter((b) => b.checked).map((b) => b.value);
        try {
          const { body } = await call('POST', workspacePath(state.workspaceID, '/api-keys'), { body: { name: name.value.trim(), scopes } });
          shown.textContent = `New key (shown once, copy it now): ${body.key}`;
          form.reset();
          await load();
        } catch (error) { showError(message, error); }
      },
    },
  }, h('h2', { id: 'key-title' }, 'New API key'), field('Name', name),
  h('fieldset', {}, h('legend', {}, 'Scopes'), boxes.map((box) => h('span', { class: 'check' }, box, h('label', { for: box.id }, box.value)))),
  h('button', { type: 'submit' }, 'Create key'), shown);
  main.append(h('h1', {}, 'API keys'), results, message, form);
  await load();
}
