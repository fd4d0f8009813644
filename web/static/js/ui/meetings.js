// My meetings: today, upcoming and past, from GET /api/v1/meetings.

import { ApiError, errorMessage } from '../api.js';
import { t, has, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * @typedef {object} MeetingSummary
 * @property {number} id
 * @property {string} title
 * @property {string} starts_at
 * @property {string} [ends_at]
 * @property {string} [status]
 * @property {string} [kind]
 */

/** @type {import('./app.js').Screen} */
export async function meetingsScreen(main, ctx) {
	document.title = t('meetings.title') + ' — ' + t('app.name');
	const body = h('div', { class: 'stack', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('meetings.loading')));
	const organizer = ctx.api.user?.roles.some((r) => r === 'secretary' || r === 'admin') ?? false;
	main.append(h('section', { class: 'page' },
		h('div', { class: 'page-head' }, h('h1', {}, t('meetings.title')),
			organizer && h('a', { class: 'button primary', id: 'new-meeting', href: '/meetings/new', onclick: (/** @type {MouseEvent} */ ev) => { ev.preventDefault(); ctx.go('/meetings/new'); } }, t('meetings.new'))),
		body));

	/** @type {MeetingSummary[]} */
	let list;
	try {
		// The route lands with the meetings issue; until then a 404 here says so plainly.
		const res = await ctx.api.get('/meetings');
		list = Array.isArray(res) ? res : res?.meetings ?? [];
	} catch (err) {
		body.removeAttribute('aria-busy');
		const msg = err instanceof ApiError && err.status === 404 && err.code === 'not_found' ? t('meetings.unavailable') : errorMessage(err);
		replace(body, h('p', { class: 'notice', role: 'status' }, msg));
		return;
	}
	body.removeAttribute('aria-busy');
	const { today, upcoming, past } = split(list, new Date());
	/** @param {string} path */
	const go = ctx.link;
	replace(body,
		group(t('meetings.today'), today, organizer, go),
		group(t('meetings.upcoming'), upcoming, organizer, go),
		group(t('meetings.past'), past.reverse(), organizer, go));
}

/**
 * split sorts meetings into today (Vietnam calendar day), upcoming and past.
 * @param {MeetingSummary[]} list
 * @param {Date} now
 */
export function split(list, now) {
	const day = (/** @type {Date} */ d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(d);
	const todayKey = day(now);
	const sorted = [...list].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
	/** @type {MeetingSummary[]} */ const today = [];
	/** @type {MeetingSummary[]} */ const upcoming = [];
	/** @type {MeetingSummary[]} */ const past = [];
	for (const m of sorted) {
		const s = new Date(m.starts_at);
		if (day(s) === todayKey) today.push(m);
		else if (s > now) upcoming.push(m);
		else past.push(m);
	}
	return { today, upcoming, past };
}

/**
 * @param {string} title
 * @param {MeetingSummary[]} items
 * @param {boolean} organizer
 * @param {(path: string) => (ev: MouseEvent) => void} go
 */
function group(title, items, organizer, go) {
	return h('section', { class: 'group' },
		h('h2', {}, title),
		items.length === 0
			? h('p', { class: 'muted' }, t('meetings.none'))
			: h('ul', { class: 'meetings' }, items.map((m) => h('li', { class: 'card' },
				h('div', {},
					h('strong', {}, m.title),
					h('div', { class: 'muted' }, formatDateTime(m.starts_at), ' · ', m.kind && has('kind.' + m.kind) ? t('kind.' + m.kind) : '', m.status ? ' · ' + t('room.status.' + m.status) : '')),
				h('div', { class: 'actions' },
					organizer && h('a', { class: 'button', href: `/meetings/${m.id}/edit`, onclick: go(`/meetings/${m.id}/edit`) }, t('editor.edit')),
					(m.status === 'in_session' || m.status === 'ended') && h('a', { class: 'button', href: `/meetings/${m.id}/minutes`, onclick: go(`/meetings/${m.id}/minutes`) }, t('minutes.title')),
					m.status !== 'draft' && h('a', { class: 'button primary', href: '/meetings/' + m.id, onclick: go('/meetings/' + m.id) }, t('meetings.open')))))));
}
