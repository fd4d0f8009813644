// The sign-in screen.

import { errorMessage, ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h } from './dom.js';

/** @type {import('./app.js').Screen} */
export function loginScreen(main, ctx) {
	document.title = t('login.title') + ' — ' + t('app.name');
	// Back from the province provider's logout after an idle or too old sign-in.
	const endedOn = ctx.api.takeEnded();
	if (endedOn && !new URLSearchParams(location.search).has('next')) history.replaceState(null, '', '/login?next=' + encodeURIComponent(endedOn));
	const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true, autocapitalize: 'none', spellcheck: 'false' });
	const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const error = h('p', { class: 'error', role: 'alert', id: 'login-error', hidden: true });
	// Why the last sign-in ended by itself (idle, or a working day long).
	const ended = ctx.api.ended ? h('p', { class: 'notice', role: 'status', id: 'login-ended' }, t('login.' + ctx.api.ended)) : null;
	// The server is busy signing others in (a session's start): say so while
	// the client waits and tries again by itself.
	const waiting = h('p', { class: 'muted', role: 'status', id: 'login-wait', hidden: true });
	const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
	const form = h('form', { class: 'card narrow login', novalidate: true, 'aria-describedby': 'login-error' },
		h('h1', {}, t('login.title')),
		h('p', { class: 'muted' }, t('app.tagline')),
		ended,
		h('label', { for: 'username' }, t('login.username')), user,
		h('label', { for: 'password' }, t('login.password')), pass,
		error, waiting, submit);

	const params = new URLSearchParams(location.search);
	const wanted = params.get('next') ?? (endedOn || null);
	// Only same-site paths: ?next=//evil.example must not leave the site.
	const next = wanted && wanted.startsWith('/') && !wanted.startsWith('//') && !wanted.startsWith('/\\') ? wanted : '/meetings';

	// Single sign-on: the province's provider, through the server
	// (/api/v1/auth/oidc/start), which comes back here with ?sso=done
	// (the session is in the refresh cookie) or ?sso_error=CODE.
	const sso = h('a', { class: 'button primary sso', id: 'login-sso', hidden: true,
		href: '/api/v1/auth/oidc/start?next=' + encodeURIComponent(next) }, t('login.sso'));
	const or = h('p', { class: 'muted or', hidden: true }, t('login.or'));
	sso.addEventListener('click', () => { waiting.textContent = t('login.ssoBusy'); waiting.hidden = false; });
	form.insertBefore(or, user.previousElementSibling);
	form.insertBefore(sso, or);
	/** @type {HTMLElement[]} */
	const passwordParts = [user.previousElementSibling, user, pass.previousElementSibling, pass, submit].filter((e) => e instanceof HTMLElement);
	ctx.api.methods().then((m) => {
		sso.hidden = !m.oidc;
		or.hidden = !(m.oidc && m.password);
		for (const el of passwordParts) el.hidden = !m.password;
		if (!m.password) sso.focus();
	}).catch(() => { /* an old server: the password form stays */ });
	const refused = params.get('sso_error');
	if (refused) showError(errorMessage(new ApiError(403, refused, refused)));
	if (params.get('sso') === 'done') {
		waiting.textContent = t('login.ssoDone');
		waiting.hidden = false;
		ctx.api.finishSignOn().then((ok) => {
			waiting.hidden = true;
			if (ok) ctx.go(next, true);
			else showError(errorMessage(new ApiError(401, 'sso_bad_state', '')));
		});
	}

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		error.hidden = true;
		if (!user.value.trim() || !pass.value) {
			showError(t('login.required'));
			(user.value.trim() ? pass : user).focus();
			return;
		}
		submit.disabled = true;
		submit.textContent = t('login.busy');
		try {
			await ctx.api.login(user.value.trim(), pass.value, (seconds) => {
				waiting.textContent = t('login.wait', { seconds });
				waiting.hidden = false;
			});
			ctx.go(next, true);
		} catch (err) {
			showError(errorMessage(err));
			if (err instanceof ApiError && err.code === 'invalid_credentials') { pass.value = ''; pass.focus(); }
		} finally {
			waiting.hidden = true;
			submit.disabled = false;
			submit.textContent = t('login.submit');
		}
	});

	/** @param {string} msg */
	function showError(msg) {
		error.textContent = msg;
		error.hidden = false;
	}
	main.append(form);
	user.focus();
}
