// My meetings: today, upcoming and past, from GET /api/v1/meetings; a
// cancelled meeting leaves those groups for its own, whatever its date, so
// nobody reads it as still to come.

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
 * @property {string} [cancel_reason]
 */

/**
 * meetingStatus is a meeting's status as a badge, coloured by what it
 * means: draft and ended neutral, published blue, in session green,
 * cancelled red (app.css .ms-*).
 * @param {string} status
 * @param {string} [id]
 */
export function meetingStatus(status, id) {
	return h('span', { class: 'status ms-' + status, 'data-status': status, id }, has('room.status.' + status) ? t('room.status.' + status) : status);
}

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
	const { today, upcoming, past, cancelled } = split(list, new Date());
	/** @param {string} path */
	const go = ctx.link;
	replace(body,
		group('today', t('meetings.today'), today, organizer, go),
		group('upcoming', t('meetings.upcoming'), upcoming, organizer, go),
		group('past', t('meetings.past'), past.reverse(), organizer, go),
		cancelled.length > 0 && group('cancelled', t('meetings.cancelled'), cancelled.reverse(), organizer, go));
}

/**
 * split sorts meetings into today (Vietnam calendar day), upcoming, past
 * and cancelled (any day).
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
	/** @type {MeetingSummary[]} */ const cancelled = [];
	for (const m of sorted) {
		const s = new Date(m.starts_at);
		if (m.status === 'cancelled') cancelled.push(m);
		else if (day(s) === todayKey) today.push(m);
		else if (s > now) upcoming.push(m);
		else past.push(m);
	}
	return { today, upcoming, past, cancelled };
}

/**
 * @param {string} key the group's id: meetings-<key>
 * @param {string} title
 * @param {MeetingSummary[]} items
 * @param {boolean} organizer
 * @param {(path: string) => (ev: MouseEvent) => void} go
 */
function group(key, title, items, organizer, go) {
	return h('section', { class: 'group', id: 'meetings-' + key, 'aria-labelledby': 'meetings-' + key + '-h' },
		h('h2', { id: 'meetings-' + key + '-h' }, title),
		items.length === 0
			? h('p', { class: 'muted' }, t('meetings.none'))
			: h('ul', { class: 'meetings' }, items.map((m) => h('li', { class: 'card' + (m.status === 'cancelled' ? ' cancelled' : ''), 'data-meeting': String(m.id) },
				h('div', {},
					h('strong', { class: 'm-title' }, m.title), ' ', m.status && meetingStatus(m.status),
					h('div', { class: 'muted' }, formatDateTime(m.starts_at), m.kind && has('kind.' + m.kind) ? ' · ' + t('kind.' + m.kind) : ''),
					m.status === 'cancelled' && m.cancel_reason && h('div', { class: 'muted reason' }, t('meetings.reason', { reason: m.cancel_reason }))),
				h('div', { class: 'actions' },
					organizer && h('a', { class: 'button', href: `/meetings/${m.id}/edit`, onclick: go(`/meetings/${m.id}/edit`) }, t('editor.edit')),
					(m.status === 'in_session' || m.status === 'ended') && h('a', { class: 'button', href: `/meetings/${m.id}/minutes`, onclick: go(`/meetings/${m.id}/minutes`) }, t('minutes.title')),
					m.status !== 'draft' && m.status !== 'cancelled' && h('a', { class: 'button primary', href: '/meetings/' + m.id, onclick: go('/meetings/' + m.id) }, t('meetings.open')))))));
}
