// The header's user menu: a button with the person's name and role (a
// letter on a phone) that opens a menu with the full name and roles,
// "change password" where Cầu has passwords of its own, the language
// switch and sign-out. Before, the name sat in the header cut to fit and
// sign-out crowded it; the menu shows the name whole, however long.
//
// The menu button pattern of the WAI-ARIA practices: Enter, Space or ↓
// open it on the first item, ↑ on the last; ↑ ↓ Home End move; Escape
// closes it and gives the focus back to the button; Tab closes it and
// moves on; a click elsewhere closes it.

import { t, lang, setLang } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * @typedef {object} UserMenuActions
 * @property {() => void} password goes to the change-password page
 * @property {() => Promise<void>} signOut
 */

/**
 * userMenu builds the button and its menu once; the header re-appends the
 * same element on every redraw (as the bell), and draw fills it for the
 * signed-in user.
 * @param {UserMenuActions} act
 */
export function userMenu(act) {
	const button = h('button', { type: 'button', class: 'user', id: 'user-menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'user-menu' });
	const card = h('div', { class: 'user-card', id: 'user-card' });
	const menu = h('ul', { role: 'menu', id: 'user-menu', 'aria-labelledby': 'user-menu-button' });
	const panel = h('div', { class: 'user-panel card', id: 'user-panel', hidden: true }, card, menu);
	const root = h('div', { class: 'user-wrap' }, button, panel);

	/** @returns {HTMLElement[]} */
	const items = () => [...menu.querySelectorAll('[role=menuitem]')].map((e) => /** @type {HTMLElement} */ (e));

	/** @param {'first'|'last'} [at] */
	function open(at = 'first') {
		panel.hidden = false;
		button.setAttribute('aria-expanded', 'true');
		const list = items();
		(at === 'first' ? list[0] : list[list.length - 1])?.focus();
	}

	/** @param {boolean} [refocus] give the focus back to the button */
	function close(refocus = false) {
		if (panel.hidden) return;
		panel.hidden = true;
		button.setAttribute('aria-expanded', 'false');
		if (refocus) button.focus();
	}

	/**
	 * item is one entry of the menu; choosing it closes the menu first.
	 * @param {string} id
	 * @param {string} text
	 * @param {() => void} choose
	 * @param {Record<string, string>} [attrs]
	 */
	function item(id, text, choose, attrs = {}) {
		return h('li', { role: 'none' }, h('button', {
			type: 'button', role: 'menuitem', id, tabindex: '-1', ...attrs,
			onclick: () => { close(true); choose(); },
		}, text));
	}

	button.addEventListener('click', () => { if (panel.hidden) open(); else close(); });
	button.addEventListener('keydown', (ev) => {
		if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
			ev.preventDefault();
			open(ev.key === 'ArrowDown' ? 'first' : 'last');
		}
	});
	menu.addEventListener('keydown', (ev) => {
		const list = items();
		const i = list.indexOf(/** @type {HTMLElement} */ (document.activeElement));
		/** @type {HTMLElement | undefined} */
		let to;
		switch (ev.key) {
		case 'ArrowDown': to = list[(i + 1) % list.length]; break;
		case 'ArrowUp': to = list[(i - 1 + list.length) % list.length]; break;
		case 'Home': to = list[0]; break;
		case 'End': to = list[list.length - 1]; break;
		case 'Escape': ev.preventDefault(); close(true); return;
		case 'Tab': close(); return; // the focus moves on from the button's place
		default: return;
		}
		ev.preventDefault();
		to?.focus();
	});
	document.addEventListener('click', (ev) => { if (!root.contains(/** @type {Node} */ (ev.target))) close(); });
	root.addEventListener('focusout', (ev) => {
		const next = /** @type {Node | null} */ (ev.relatedTarget);
		if (next && !root.contains(next)) close();
	});

	return {
		el: root,
		/**
		 * draw fills the button and the menu for u.
		 * @param {import('../api.js').User} u
		 * @param {boolean} localPasswords whether Cầu has a password of its own to change
		 */
		draw(u, localPasswords) {
			const roles = u.roles.map((r) => t('role.' + r)).join(', ');
			// A Vietnamese name is called by its last word (Hòa of Nguyễn Thị Hòa).
			const initial = (u.full_name.trim().split(/\s+/).pop() ?? '?').charAt(0).toUpperCase();
			replace(button,
				h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial),
				h('span', { class: 'who' }, h('span', { class: 'who-name' }, u.full_name), h('span', { class: 'sr' }, ', '), h('span', { class: 'who-role' }, roles)),
				h('span', { class: 'caret', 'aria-hidden': 'true' }));
			button.title = u.full_name;
			replace(card,
				h('strong', { class: 'user-name' }, u.full_name),
				h('span', { class: 'user-roles' }, roles),
				h('span', { class: 'user-login muted' }, u.username));
			const other = lang() === 'vi' ? 'en' : 'vi';
			replace(menu,
				localPasswords && item('user-password', t('nav.password'), act.password),
				item('user-lang', t('lang.switch'), () => setLang(other), { lang: other }),
				h('li', { role: 'separator' }),
				item('user-signout', t('nav.logout'), () => void act.signOut()));
		},
		close,
	};
}
