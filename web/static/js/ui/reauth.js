// Signing in again in place, before or after the sign-in's maximum age
// (ui/idle.js), without leaving the page: a hall operator in a call keeps
// the call. With a password: a dialog asks only for it. With the
// province account: its page opens in a new tab, and this tab takes the
// new sign-in from the shared cookie when the user comes back.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h } from './dom.js';

/**
 * reauth opens the dialog; it resolves when the dialog closes.
 * @param {import('../api.js').Api} api
 * @param {boolean} passwords whether local passwords are on
 */
export async function reauth(api, passwords) {
	const user = api.user;
	if (!user) return;
	const methods = await api.methods().catch(() => ({ password: passwords, oidc: false }));
	const pass = h('input', { id: 'reauth-password', type: 'password', autocomplete: 'current-password', required: true });
	const error = h('p', { class: 'error', role: 'alert', id: 'reauth-error', hidden: true });
	const submit = h('button', { type: 'submit', class: 'primary', id: 'reauth-ok' }, t('login.submit'));
	const form = h('form', { method: 'dialog', novalidate: true },
		h('h2', { id: 'reauth-title' }, t('limit.reauthTitle')),
		h('p', {}, t('limit.reauthText', { name: user.full_name, username: user.username })),
		methods.password && h('div', { class: 'field' }, h('label', { for: 'reauth-password' }, t('login.password')), pass),
		methods.oidc && h('p', {}, h('a', { class: 'button', id: 'reauth-sso', target: '_blank', rel: 'noopener',
			href: '/api/v1/auth/oidc/start?next=' + encodeURIComponent('/meetings') }, t('login.sso')),
		' ', h('span', { class: 'muted' }, t('limit.reauthSso'))),
		error,
		h('div', { class: 'actions' },
			h('button', { type: 'button', id: 'reauth-cancel', onclick: () => done() }, t('confirm.cancel')),
			methods.password && submit));
	const dlg = h('dialog', { class: 'confirm card', 'aria-labelledby': 'reauth-title' }, form);
	/** @type {() => void} */
	let resolve = () => {};
	const closed = new Promise((r) => { resolve = () => r(undefined); });
	const done = () => { dlg.close(); dlg.remove(); resolve(); };
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (!pass.value) { pass.focus(); return; }
		submit.disabled = true;
		error.hidden = true;
		try {
			await api.login(user.username, pass.value);
			done();
		} catch (err) {
			error.textContent = errorMessage(err);
			error.hidden = false;
			pass.value = '';
			pass.focus();
		} finally {
			submit.disabled = false;
		}
	});
	dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(); });
	document.body.append(dlg);
	dlg.showModal();
	(methods.password ? pass : /** @type {HTMLElement} */ (form.querySelector('#reauth-cancel'))).focus();
	return closed;
}
