// The shell: header (its user menu: usermenu.js), connection banner, and a
// router on location.pathname (the server answers index.html for client routes).

import { Api, errorMessage } from '../api.js';
import { t, lang, setLang, onLangChange, formatTime } from '../i18n.js';
import { assets, h, replace } from './dom.js';
import { loginScreen } from './login.js';
import { passwordScreen } from './password.js';
import { meetingsScreen } from './meetings.js';
import { deviceScreen } from './device.js';
import { roomScreen } from './room.js';
import { editorScreen } from './editor.js';
import { operatorScreen } from './operator.js';
import { viewerScreen } from './viewer.js';
import { minutesScreen } from './minutes.js';
import { recordingScreen, recordingsScreen } from './recording.js';
import { tasksScreen } from './tasks.js';
import { taskScreen } from './task.js';
import { dashboardScreen } from './dashboard.js';
import { searchScreen, searchBox, focusSearchOnSlash } from './search.js';
import { adminUnitsScreen } from './adminunits.js';
import { adminUsersScreen, adminUserScreen } from './adminusers.js';
import { adminImportScreen } from './adminimport.js';
import { adminAuditScreen } from './adminaudit.js';
import { bell } from './bell.js';
import { userMenu } from './usermenu.js';
import { watchIdle } from './idle.js';
import { reauth } from './reauth.js';

/**
 * @typedef {object} Ctx
 * @property {Api} api
 * @property {(path: string, replace?: boolean) => void} go navigate inside the client
 * @property {(path: string) => (ev: MouseEvent) => void} link the click handler of a link to path: a plain
 *   left click navigates inside the client; Ctrl, Meta (⌘), Shift and other buttons are left to the browser
 *   (new tab, new window)
 * @property {(s: 'open'|'reconnecting'|'offline') => void} setConnection shows or hides the reconnecting banner
 */

/**
 * A screen renders into main and returns an optional cleanup (close sockets,
 * stop cameras) called when the user leaves it.
 * @typedef {(main: HTMLElement, ctx: Ctx, params: Record<string, string>) => (void | (() => void) | Promise<void | (() => void)>)} Screen
 */

/** @type {{pattern: RegExp, screen: Screen, public?: boolean, names?: string[]}[]} */
const routes = [
	{ pattern: /^\/login$/, screen: loginScreen, public: true },
	{ pattern: /^\/password$/, screen: passwordScreen },
	{ pattern: /^\/(meetings)?$/, screen: meetingsScreen },
	{ pattern: /^\/device-check$/, screen: deviceScreen },
	{ pattern: /^\/meetings\/(\d+)$/, screen: roomScreen, names: ['id'] },
	{ pattern: /^\/meetings\/new$/, screen: editorScreen },
	{ pattern: /^\/documents\/(\d+)$/, screen: viewerScreen, names: ['id'] },
	{ pattern: /^\/meetings\/(\d+)\/operator$/, screen: operatorScreen, names: ['id'] },
	{ pattern: /^\/meetings\/(\d+)\/edit$/, screen: editorScreen, names: ['id'] },
	{ pattern: /^\/meetings\/(\d+)\/minutes$/, screen: minutesScreen, names: ['id'] },
	{ pattern: /^\/meetings\/(\d+)\/recordings$/, screen: recordingsScreen, names: ['id'] },
	{ pattern: /^\/recordings\/(\d+)$/, screen: recordingScreen, names: ['id'] },
	{ pattern: /^\/tasks$/, screen: tasksScreen },
	{ pattern: /^\/tasks\/dashboard$/, screen: dashboardScreen },
	{ pattern: /^\/tasks\/(\d+)$/, screen: taskScreen, names: ['id'] },
	{ pattern: /^\/search$/, screen: searchScreen },
	{ pattern: /^\/admin(\/units)?$/, screen: adminUnitsScreen },
	{ pattern: /^\/admin\/users$/, screen: adminUsersScreen },
	{ pattern: /^\/admin\/users\/(\d+)$/, screen: adminUserScreen, names: ['id'] },
	{ pattern: /^\/admin\/import$/, screen: adminImportScreen },
	{ pattern: /^\/admin\/audit$/, screen: adminAuditScreen },
];

/** @param {HTMLElement} root */
export function start(root) {
	const api = new Api();
	/** @type {(() => void) | void} */
	let cleanup;
	let connection = /** @type {'open'|'reconnecting'|'offline'} */ ('open');

	const banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', hidden: true });
	// The sign-in's maximum age: warned before, and a call that outlives it (ui/idle.js).
	const limitBanner = h('div', { class: 'banner limit', id: 'session-limit', role: 'status', 'aria-live': 'polite', hidden: true });
	/** @type {import('./idle.js').Limit} */
	let limit = null;
	const header = h('header', { class: 'top' });
	const main = h('main', { id: 'main', tabindex: '-1' });
	replace(root, h('a', { class: 'skip', href: '#main' }, t('nav.skip')), header, banner, limitBanner, main);

	/** @type {Ctx} */
	const ctx = {
		api,
		go(path, rep = false) {
			if (rep) history.replaceState(null, '', path); else history.pushState(null, '', path);
			void render();
		},
		link(path) {
			return (ev) => {
				if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
				ev.preventDefault();
				ctx.go(path);
			};
		},
		setConnection(s) {
			connection = s;
			drawBanner();
		},
	};

	const notices = bell(ctx, assets() + 'img/bell.svg');
	const account = userMenu({
		password: () => ctx.go('/password'),
		async signOut() {
			const end = await api.logout();
			// After a single sign-on, sign out at the province's provider too; it sends the browser back to /login.
			if (end) location.assign(end); else ctx.go('/login', true);
		},
	});
	// Local passwords (CAU_LOCAL_PASSWORDS): when the province account is
	// the only way in, there is no Cầu password to change, so no link to it.
	let localPasswords = false;
	api.methods().then((m) => { localPasswords = m.password; }, () => { localPasswords = true; }).then(() => drawHeader());
	if (api.signin) notices.start();

	function drawBanner() {
		const off = !navigator.onLine;
		const show = off || connection !== 'open';
		banner.hidden = !show;
		banner.textContent = off ? t('conn.offline') + ' ' + t('conn.reconnecting') : show ? t('conn.reconnecting') : '';
	}
	addEventListener('online', drawBanner);
	addEventListener('offline', drawBanner);

	function drawHeader() {
		const u = api.user;
		// Leaders (chairs), secretaries, admins and observers follow every task.
		const leader = u?.roles.some((r) => ['chair', 'secretary', 'admin', 'observer'].includes(r));
		// The user menu is taken out and put back: whatever of it had the
		// focus (its button after a language switch) keeps it.
		const focused = account.el.contains(document.activeElement) ? document.activeElement?.id : '';
		replace(header,
			h('a', { class: 'brand', href: '/', onclick: ctx.link('/') },
				h('img', { src: assets() + 'img/logo.svg', alt: '', width: 32, height: 32 }), h('span', {}, t('app.name'))),
			u && h('nav', { 'aria-label': t('app.name') },
				navLink('/meetings', t('nav.meetings')),
				navLink('/tasks', t('nav.tasks'), '/tasks/dashboard'),
				leader && navLink('/tasks/dashboard', t('nav.dashboard')),
				navLink('/device-check', t('nav.device')),
				u.roles.includes('admin') && navLink('/admin/units', t('nav.admin'), undefined, '/admin')),
			h('div', { class: 'spacer' }),
			u && searchBox(ctx),
			u && notices.el,
			// Signed in, the language switch is in the user menu.
			u ? account.el : h('button', { type: 'button', class: 'link', lang: lang() === 'vi' ? 'en' : 'vi', onclick: () => setLang(lang() === 'vi' ? 'en' : 'vi') }, t('lang.switch')),
		);
		if (u) account.draw(u, localPasswords); else account.close();
		if (focused) document.getElementById(focused)?.focus();
	}

	/**
	 * navLink marks the link of the current section for screen readers and the eye.
	 * @param {string} path
	 * @param {string} text
	 * @param {string} [not] a sub-path that has its own link
	 * @param {string} [section] the section the link stands for, when wider than path
	 */
	function navLink(path, text, not, section = path) {
		const p = location.pathname;
		const here = (p === section || p.startsWith(section + '/')) && !(not && (p === not || p.startsWith(not + '/')));
		return h('a', { href: path, onclick: ctx.link(path), 'aria-current': here ? 'page' : undefined }, text);
	}


	async function render() {
		if (typeof cleanup === 'function') { try { cleanup(); } catch { /* leaving anyway */ } }
		cleanup = undefined;
		document.documentElement.lang = lang();
		drawHeader();
		drawBanner();
		const path = location.pathname;
		const route = routes.find((r) => r.pattern.test(path));
		if (route && !route.public && !api.signin) {
			ctx.go('/login?next=' + encodeURIComponent(path + location.search), true);
			return;
		}
		// A temporary password: nothing but changing it, then the page wanted.
		if (api.user?.must_change_password && path !== '/password' && path !== '/login') {
			ctx.go('/password?next=' + encodeURIComponent(path + location.search), true);
			return;
		}
		main.replaceChildren();
		if (!route) {
			document.title = t('notfound.title') + ' — ' + t('app.name');
			replace(main, h('section', { class: 'card narrow' },
				h('h1', {}, t('notfound.title')),
				h('p', {}, h('a', { href: '/meetings', onclick: ctx.link('/meetings') }, t('notfound.back')))));
			return;
		}
		const m = path.match(route.pattern);
		/** @type {Record<string, string>} */
		const params = {};
		route.names?.forEach((n, i) => { params[n] = m?.[i + 1] ?? ''; });
		try {
			cleanup = await route.screen(main, ctx, params);
		} catch (err) {
			// Never a blank page: whatever broke, say so and offer a retry.
			console.error(err);
			replace(main, h('section', { class: 'card narrow', role: 'alert' },
				h('h1', {}, t('error.title')),
				h('p', {}, errorMessage(err)),
				h('button', { type: 'button', onclick: () => void render() }, t('error.retry'))));
		}
	}

	api.onSignIn((s) => {
		if (s) notices.start(); else notices.stop();
		// Signed out (expired, revoked): only the login card (no dialog left
		// open over it), then back to this page.
		if (!s) for (const d of document.querySelectorAll('dialog[open]')) /** @type {HTMLDialogElement} */ (d).close();
		if (!s && location.pathname !== '/login') ctx.go('/login?next=' + encodeURIComponent(location.pathname + location.search), true);
		else drawHeader();
	});
	// The idle and absolute timeouts (ui/idle.js); a stale stored sign-in ends here.
	watchIdle(api, (l) => { limit = l; drawLimit(); });

	function drawLimit() {
		limitBanner.hidden = !limit;
		if (!limit) { limitBanner.replaceChildren(); return; }
		limitBanner.setAttribute('data-limit', limit.kind);
		const at = formatTime(limit.at);
		replace(limitBanner, h('span', {}, limit.kind === 'soon' ? t('limit.soon', { at }) : t('limit.held', { at })), ' ',
			h('button', { type: 'button', class: 'small', id: 'reauth', onclick: () => void reauth(api, localPasswords) }, t('limit.reauth')));
	}
	// A stored sign-in may be stale (roles changed, token expired while the
	// tab slept): /me refreshes the user, or the token silently, or signs out.
	if (api.signin) {
		api.get('/me').then((/** @type {import('../api.js').User} */ me) => {
			if (api.signin) api.setSignIn({ ...api.signin, user: { id: me.id, username: me.username, full_name: me.full_name, roles: me.roles, unit_id: me.unit_id, must_change_password: me.must_change_password } });
		}, (err) => console.warn('me:', err));
	}
	addEventListener('popstate', () => void render());
	addEventListener('keydown', focusSearchOnSlash);
	onLangChange(() => { drawLimit(); void render(); });
	// A new tab or a link from an e-mail has no sign-in of its own yet: the
	// refresh cookie (shared by the browser's tabs) gives it one.
	void (api.signin ? Promise.resolve(true) : api.refresh()).then(() => render());
}

