import { call } from './api.js';
import { h, field, showError, statusLine } from './dom.js';

/** Sign in with the session cookie (delivery: cookie); the CSRF token comes back too. */
export async function signInPage(main, signedIn) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, maxlength: '254' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, maxlength: '512' });
  const status = statusLine();
  const form = h('form', {
    class: 'card narrow', 'aria-labelledby': 'signin-title',
    on: {
      submit: async (event) => {
        event.preventDefault();
        status.textContent = 'Signing in…';
        try {
          const { body } = await call('POST', '/api/v1/auth/login', { body: { email: email.value, password: password.value } });
          password.value = '';
          status.textContent = '';
          await signedIn(body.csrf_token);
        } catch (error) {
          showError(status, error);
        }
      },
    },
  },
  h('h1', { id: 'signin-title' }, 'Sign in'),
  field('Email', email), field('Password', password),
  h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'), status);
  main.append(form);
  email.focus();
}
