// The change-password screen: from the header at any time, and the only
// screen a user with a temporary password (new account, reset, import) sees
// until it is changed (the server refuses everything else meanwhile).

import { errorMessage, ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h } from './dom.js';

/** @type {import('./app.js').Screen} */
export async function passwordScreen(main, ctx) {
	const forced = !!ctx.api.user?.must_change_password;
	document.title = t('password.title') + ' — ' + t('app.name');
	// Sign-in only through the province account: its password is changed
	// at the province's identity provider, not here (the server refuses too).
	const methods = await ctx.api.methods().catch(() => ({ password: true }));
	if (!methods.password) {
		main.append(h('section', { class: 'card narrow' },
			h('h1', {}, t('password.title')),
			h('p', { class: 'notice', id: 'password-off' }, t('password.off')),
			h('p', {}, h('a', { href: '/meetings', onclick: ctx.link('/meetings') }, t('notfound.back')))));
		return;
	}
	const field = (/** @type {string} */ id, /** @type {string} */ auto) =>
		h('input', { id, name: id, type: 'password', autocomplete: auto, required: true });
	const old = field('old-password', 'current-password');
	const pw = field('new-password', 'new-password');
	const again = field('new-password-again', 'new-password');
	const error = h('p', { class: 'error', role: 'alert', id: 'password-error', hidden: true });
	const submit = h('button', { type: 'submit', class: 'primary' }, t('password.submit'));
	const form = h('form', { class: 'card narrow password', novalidate: true, 'aria-describedby': 'password-error' },
		h('h1', {}, t('password.title')),
		forced && h('p', { class: 'notice', id: 'password-forced' }, t('password.forced')),
		h('label', { for: 'old-password' }, forced ? t('password.temporary') : t('password.old')), old,
		h('label', { for: 'new-password' }, t('password.new')), pw,
		h('p', { class: 'muted hint' }, t('password.rule')),
		h('label', { for: 'new-password-again' }, t('password.again')), again,
		error, submit);

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		error.hidden = true;
		if (!old.value || !pw.value) return show(t('password.required'));
		if (pw.value !== again.value) { again.focus(); return show(t('password.mismatch')); }
		const user = ctx.api.user;
		if (!user) return;
		submit.disabled = true;
		try {
			await ctx.api.post('/me/password', { old_password: old.value, new_password: pw.value });
			// Changing the password ends every session of the user, this one
			// too: sign in again with the new password, quietly.
			await ctx.api.login(user.username, pw.value);
			const next = new URLSearchParams(location.search).get('next');
			ctx.go(next && next.startsWith('/') && !next.startsWith('//') && next !== '/password' ? next : '/meetings', true);
		} catch (err) {
			show(err instanceof ApiError && err.code === 'wrong_password' ? t('password.wrongOld') : errorMessage(err));
			if (err instanceof ApiError && err.code === 'wrong_password') { old.value = ''; old.focus(); }
		} finally {
			submit.disabled = false;
		}
	});

	/** @param {string} msg */
	function show(msg) {
		error.textContent = msg;
		error.hidden = false;
	}
	main.append(form);
	old.focus();
}
