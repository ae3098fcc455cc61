import { get, call, workspacePath } from './api.js';
import { h, replace, table, formatTime, field, statusLine, showError } from './dom.js';
import { state } from './app.js';

// The fields of each kind (CredentialFields in the API document); secrets are write-only.
const KINDS = {
  'telegram.bot': [['bot_token', true]],
  'instagram.account': [['access_token', true], ['app_secret', true], ['verify_token', true], ['ig_user_id', false]],
  'llm.openai_compatible': [['api_key', true], ['base_url', false]],
  'http.header': [['header_name', false], ['header_value', true]],
};

/** Two clicks to delete, without a browser dialog. */
export function confirmButton(label, action) {
  const button = h('button', { type: 'button', class: 'danger small' }, label);
  let armed = false;
  button.addEventListener('click', async () => {
    if (!armed) { armed = true; button.textContent = `Confirm: ${label.toLowerCase()}`; return; }
    button.disabled = true;
    await action();
  });
  button.addEventListener('blur', () => { armed = false; button.textContent = label; });
  return button;
}

export async function credentialsPage(main) {
  const results = h('div', { class: 'results', id: 'credentials' });
  const message = statusLine();
  async function load() {
    try {
      const page = await get(workspacePath(state.workspaceID, '/credentials'), { limit: 100 });
      const rows = page.items.map((item) => h('tr', { dataset: { credential: item.id } },
        h('td', {}, item.name), h('td', {}, item.kind),
        h('td', {}, Object.entries(item.fields).map(([k, v]) => h('div', {}, `${k}: ${v}`))),
        h('td', {}, Object.entries(item.hints).map(([k, v]) => h('div', { class: 'masked' }, `${k}: ${v}`))),
        h('td', {}, formatTime(item.secret_updated_at || item.created_at)),
        h('td', {}, confirmButton('Delete', async () => {
          try { await call('DELETE', workspacePath(state.workspaceID, `/credentials/${encodeURIComponent(item.id)}`)); await load(); } catch (error) { showError(message, error); }
        }))));
      replace(results, table(['Name', 'Kind', 'Public fields', 'Secrets (masked)', 'Secret set', ''], rows, 'Credentials'));
    } catch (error) {
      showError(message, error);
    }
  }

  const name = h('input', { type: 'text', id: 'credential-name', maxlength: '100', required: true });
  const kind = h('select', { id: 'credential-kind' }, Object.keys(KINDS).map((k) => h('option', { value: k }, k)));
  const fields = h('div', { class: 'kind-fields' });
  const inputs = {};
  function showFields() {
    replace(fields);
    for (const key of Object.keys(inputs)) delete inputs[key];
    for (const [key, secret] of KINDS[kind.value]) {
      inputs[key] = h('input', { type: secret ? 'password' : 'text', id: `credential-${key}`, autocomplete: 'off', required: true });
      fields.append(field(key + (secret ? ' (secret, write-only)' : ''), inputs[key]));
    }
  }
  kind.addEventListener('change', showFields);
  showFields();
  const form = h('form', {
    class: 'card', 'aria-labelledby': 'new-credential',
    on: {
      submit: async (event) => {
        event.preventDefault();
        const values = {};
        for (const [key, input] of Object.entries(inputs)) values[key] = input.value;
        try {
          await call('POST', workspacePath(state.workspaceID, '/credentials'), { body: { name: name.value.trim(), kind: kind.value, fields: values } });
          form.reset();
          showFields();
          message.textContent = 'Stored. The secret is sealed and never shown again.';
          await load();
        } catch (error) {
          showError(message, error);
        }
      },
    },
  }, h('h2', { id: 'new-credential' }, 'New credential'), field('Name', name), field('Kind', kind), fields,
  h('button', { type: 'submit', id: 'create-credential' }, 'Store credential'));
  main.append(h('h1', {}, 'Credentials'), results, message, form);
  await load();
}
