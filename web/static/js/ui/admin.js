// The administration screens' shell: tabs (units and halls, users, import,
// audit log) and what they share: who the admin is and which part of the
// tree it administers. A province-wide admin sees the whole tree and the
// audit log; an admin scoped to a district sees only its district (the
// server refuses the rest anyway; the screens do not offer it).

import { t, lang } from '../i18n.js';
import { h, replace } from './dom.js';
import { units } from './taskbits.js';

/**
 * @typedef {object} AdminScope
 * @property {boolean} global a province-wide admin
 * @property {number[]} roots the units a scoped admin administers (empty when global)
 * @property {Map<number, any>} all every unit by id
 * @property {(id: number) => boolean} inScope the unit is inside the admin's part of the tree
 * @property {(id: number) => boolean} ownsRecord the admin may change the unit's record (one level up decides)
 * @property {any[]} levels the tree's levels, top first
 * @property {(code: string) => string} levelName
 * @property {number} me the admin's own user id
 */

/**
 * adminScope reads the admin's grants (/me) and the tree.
 * @param {import('../api.js').Api} api
 * @returns {Promise<AdminScope>}
 */
export async function adminScope(api) {
	const [me, all, lv] = await Promise.all([api.get('/me'), units(api), api.get('/unit-levels')]);
	/** @type {any[]} */
	const grants = (me.grants ?? []).filter((/** @type {any} */ g) => g.role === 'admin');
	const global = grants.some((g) => g.scope_unit_id == null);
	const roots = global ? [] : grants.map((g) => Number(g.scope_unit_id));
	/** @param {number} id */
	const ancestry = (id) => {
		const out = [];
		for (let u = all.get(id); u; u = u.parent_id ? all.get(u.parent_id) : undefined) out.push(u.id);
		return out;
	};
	/** @type {any[]} */
	const levels = lv.levels ?? [];
	/** @param {number} id */
	const inScope = (id) => global || ancestry(id).some((a) => roots.includes(a));
	return {
		global, roots, all, levels, me: me.id, inScope,
		ownsRecord(id) {
			const parent = all.get(id)?.parent_id;
			return parent ? inScope(parent) : global;
		},
		levelName(code) {
			const l = levels.find((x) => x.code === code);
			return l ? (lang() === 'vi' ? l.name_vi : l.name_en) : code;
		},
	};
}

/** The tabs, in the order an administrator works: structure, people, audit. */
const tabs = [
	{ path: '/admin/units', key: 'admin.tab.units' },
	{ path: '/admin/users', key: 'admin.tab.users' },
	{ path: '/admin/import', key: 'admin.tab.import' },
	{ path: '/admin/audit', key: 'admin.tab.audit', global: true },
];

/**
 * adminPage lays out an administration screen: title, tabs, body.
 * @param {HTMLElement} main
 * @param {import('./app.js').Ctx} ctx
 * @param {AdminScope} scope
 * @param {string} title
 * @param {...any} body
 */
export function adminPage(main, ctx, scope, title, ...body) {
	document.title = title + ' — ' + t('app.name');
	const here = location.pathname;
	replace(main, h('section', { class: 'page admin' },
		h('div', { class: 'page-head' }, h('h1', {}, title),
			!scope.global && h('p', { class: 'muted', id: 'admin-scope' }, t('admin.scopedTo', { units: scope.roots.map((id) => scope.all.get(id)?.name ?? '#' + id).join(', ') }))),
		h('nav', { class: 'tabs', 'aria-label': t('nav.admin') }, tabs.filter((x) => !x.global || scope.global).map((x) =>
			h('a', { href: x.path, onclick: ctx.link(x.path), 'aria-current': here === x.path || here.startsWith(x.path + '/') ? 'page' : undefined }, t(x.key)))),
		...body));
}

/**
 * scopedUnitOptions lists the units inside the admin's scope as indented
 * options, in the tree's order (the server sends it).
 * @param {AdminScope} scope
 * @param {{selected?: number|null, activeOnly?: boolean, skip?: Set<number>}} [o]
 */
export function scopedUnitOptions(scope, o = {}) {
	/** @type {HTMLOptionElement[]} */
	const out = [];
	const depth = (/** @type {any} */ u) => { let d = 0; for (let p = u.parent_id; p; p = scope.all.get(p)?.parent_id) d++; return d; };
	for (const u of scope.all.values()) {
		if (!scope.inScope(u.id) || (o.activeOnly && !u.active) || o.skip?.has(u.id)) continue;
		out.push(h('option', { value: u.id, selected: u.id === o.selected }, '\u00a0'.repeat(3 * depth(u)) + u.name));
	}
	return out;
}

/**
 * field is a labelled input.
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [hint]
 */
export function field(id, label, input, hint) {
	input.id = id;
	return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint && h('span', { class: 'muted hint' }, hint));
}

/**
 * status is a live region for the outcome of an action.
 * @param {string} id
 */
export function statusLine(id) {
	const el = h('p', { id, class: 'muted', role: 'status', 'aria-live': 'polite' });
	return {
		el,
		/** @param {string} msg */
		ok(msg) { el.className = 'ok'; el.textContent = msg; },
		/** @param {string} msg */
		fail(msg) { el.className = 'error'; el.setAttribute('role', 'alert'); el.textContent = msg; },
		clear() { el.className = 'muted'; el.textContent = ''; },
	};
}

/**
 * stackable labels each cell with its column's heading, so that on a
 * phone the stylesheet can show a row as a block of "heading: value"
 * lines instead of a table wider than the screen.
 * @param {HTMLTableElement} table
 */
export function stackable(table) {
	const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
	for (const tr of table.querySelectorAll('tbody tr')) {
		[...tr.children].forEach((td, i) => { if (heads[i] && !td.hasAttribute('colspan')) td.setAttribute('data-label', heads[i]); });
	}
	table.classList.add('stack');
	return table;
}
