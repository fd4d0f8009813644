// Pieces the minutes, tasks and dashboard screens share: status badges in
// the terms Vietnamese offices use, unit and person names, calendar days.

import { t, formatDate } from '../i18n.js';
import { h } from './dom.js';

/** Statuses in the order offices list them: overdue first. */
export const statuses = ['overdue', 'in_progress', 'done_late', 'done_on_time', 'cancelled'];

/** @param {string} status */
export function statusBadge(status) {
	return h('span', { class: 'status s-' + status, 'data-status': status }, t('task.status.' + status));
}

/**
 * formatDay writes a calendar day "2026-12-15" as 15/12/2026.
 * @param {string|null|undefined} day
 */
export function formatDay(day) {
	return day ? formatDate(day) : '—';
}

/**
 * today is the calendar day in Vietnam, plus days.
 * @param {number} [days]
 */
export function today(days = 0) {
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(Date.now() + days * 86400_000);
}

/** @type {WeakMap<object, Promise<Map<number, any>>>} */
const unitCache = new WeakMap();

/**
 * units reads the unit tree once per Api (it changes rarely).
 * @param {import('../api.js').Api} api
 * @returns {Promise<Map<number, any>>} id → unit
 */
export function units(api) {
	let p = unitCache.get(api);
	if (!p) {
		p = api.get('/units').then((r) => new Map((r.units ?? []).map((/** @type {any} */ u) => [u.id, u])));
		p.catch(() => unitCache.delete(api));
		unitCache.set(api, p);
	}
	return p;
}

/**
 * forgetUnits drops the cached tree after an administrator changed it.
 * @param {import('../api.js').Api} api
 */
export function forgetUnits(api) { unitCache.delete(api); }

/**
 * unitOptions lists the units as <option>s, indented by depth, province first.
 * @param {Map<number, any>} all
 * @param {number|null} [selected]
 */
export function unitOptions(all, selected = null) {
	/** @type {HTMLOptionElement[]} */
	const out = [];
	/** @param {number|null} parent @param {number} depth */
	const walk = (parent, depth) => {
		for (const u of all.values()) {
			if ((u.parent_id ?? null) !== parent || u.active === false) continue;
			out.push(h('option', { value: u.id, selected: u.id === selected }, '\u00a0'.repeat(3 * depth) + u.name));
			if (depth < 4) walk(u.id, depth + 1);
		}
	};
	walk(null, 0);
	return out;
}

/** @type {Map<number, Promise<string>>} */
const people = new Map();

/**
 * personName finds a user's full name (cached; "#id" when not readable).
 * @param {import('../api.js').Api} api
 * @param {number|null|undefined} id
 */
export function personName(api, id) {
	if (!id) return Promise.resolve('—');
	if (api.user?.id === id) return Promise.resolve(api.user.full_name);
	let p = people.get(id);
	if (!p) {
		p = api.get(`/users/${id}`).then((u) => u.full_name ?? `#${id}`, () => `#${id}`);
		people.set(id, p);
	}
	return p;
}

/**
 * nameSpan is a span filled with the person's name when it arrives.
 * @param {import('../api.js').Api} api
 * @param {number|null|undefined} id
 */
export function nameSpan(api, id) {
	const s = h('span', { class: 'person' }, '…');
	void personName(api, id).then((n) => { s.textContent = n; });
	return s;
}

/**
 * progress shows a percent as a bar with its number.
 * @param {number} pct
 */
export function progress(pct) {
	const fill = h('span', { class: 'fill' });
	// CSSOM, not a style attribute: the CSP forbids inline styles.
	fill.style.width = `${Math.max(0, Math.min(100, pct))}%`;
	return h('span', { class: 'progress' }, h('span', { class: 'bar', 'aria-hidden': 'true' }, fill), h('span', {}, `${pct}%`));
}
