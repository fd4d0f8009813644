// The task list: the tasks of my unit and those I assigned (leaders can
// widen it to every task), overdue first, filtered by status, meeting,
// unit, assigner and deadline period. The filters live in the URL so the
// dashboard's drill-down links land here and the back button works.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { dayInput, dayOf } from './dayinput.js';
import { statuses, statusBadge, formatDay, units, progress } from './taskbits.js';

const pageSize = 50;

/** @type {import('./app.js').Screen} */
export async function tasksScreen(main, ctx) {
	const api = ctx.api;
	document.title = t('tasks.title') + ' — ' + t('app.name');
	const q = new URLSearchParams(location.search);
	const leader = api.user?.roles.some((r) => ['chair', 'secretary', 'admin', 'observer'].includes(r)) ?? false;
	// Leaders start with their own tasks unless a drill-down asks otherwise.
	const scope = leader ? (q.get('mine') === 'false' || q.has('unit_id') || q.has('assigner_id') ? 'all' : 'mine') : 'mine';

	const [all, meetings] = await Promise.all([
		units(api).catch(() => new Map()),
		api.get('/meetings').then((r) => (Array.isArray(r) ? r : r.meetings ?? []), () => []),
	]);
	const f = {
		scope: h('select', { id: 'f-scope', disabled: !leader },
			h('option', { value: 'mine', selected: scope === 'mine' }, t('tasks.scope.mine')),
			leader && h('option', { value: 'all', selected: scope === 'all' }, t('tasks.scope.all'))),
		status: h('select', { id: 'f-status' }, h('option', { value: '' }, t('tasks.allStatuses')),
			statuses.map((s) => h('option', { value: s, selected: q.get('status') === s }, t('task.status.' + s)))),
		meeting: h('select', { id: 'f-meeting' }, h('option', { value: '' }, t('tasks.allMeetings')),
			meetings.map((/** @type {any} */ m) => h('option', { value: m.id, selected: q.get('meeting_id') === String(m.id) }, m.title))),
		from: dayInput('f-from', q.get('from') ?? ''),
		to: dayInput('f-to', q.get('to') ?? ''),
	};
	const unitId = Number(q.get('unit_id')) || null;
	const assigner = Number(q.get('assigner_id')) || null;
	const chips = h('div', { class: 'row' },
		unitId && chip(t('tasks.unitChip', { u: all.get(unitId)?.name ?? '#' + unitId }), 'unit_id'),
		assigner && chip(t('tasks.assignerChip', { id: q.get('assigner_name') ?? '#' + assigner }), 'assigner_id'));
	const list = h('div', { id: 'task-list', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('tasks.loading')));
	const filters = h('form', { class: 'card filters', id: 'task-filters', 'aria-label': t('tasks.filters') },
		h('div', { class: 'fields' },
			// Without dashboard rights the server lists only one's own: no choice to offer.
			leader && lab('f-scope', t('tasks.scope'), f.scope),
			lab('f-status', t('tasks.status'), f.status),
			lab('f-meeting', t('tasks.meeting'), f.meeting),
			lab('f-from', t('tasks.from'), f.from),
			lab('f-to', t('tasks.to'), f.to)),
		chips);
	main.append(h('section', { class: 'page tasks' },
		h('div', { class: 'page-head' }, h('h1', {}, t('tasks.title')),
			leader && h('a', { class: 'button', href: '/tasks/dashboard', onclick: go('/tasks/dashboard') }, t('nav.dashboard'))),
		filters, list));

	// Every change of a filter becomes the URL (replaceState) and a new list.
	filters.addEventListener('change', () => {
		const from = dayOf(f.from), to = dayOf(f.to);
		if (from === null || to === null) return; // not a day yet: the list stays as it is
		const n = new URLSearchParams();
		if (leader) n.set('mine', f.scope.value === 'mine' ? 'true' : 'false');
		if (f.status.value) n.set('status', f.status.value);
		if (f.meeting.value) n.set('meeting_id', f.meeting.value);
		if (from) n.set('from', from);
		if (to) n.set('to', to);
		for (const k of ['unit_id', 'assigner_id', 'assigner_name']) { const v = new URLSearchParams(location.search).get(k); if (v) n.set(k, v); }
		history.replaceState(null, '', '/tasks' + (n.size ? '?' + n : ''));
		void load(0);
	});
	filters.addEventListener('submit', (ev) => ev.preventDefault());

	/** @param {number} offset */
	async function load(offset) {
		const cur = new URLSearchParams(location.search);
		const p = new URLSearchParams({ limit: String(pageSize), offset: String(offset) });
		for (const k of ['status', 'meeting_id', 'from', 'to', 'unit_id', 'assigner_id']) { const v = cur.get(k); if (v) p.set(k, v); }
		if (!leader || f.scope.value === 'mine') p.set('mine', 'true');
		list.setAttribute('aria-busy', 'true');
		let res;
		try {
			res = await api.get('/tasks?' + p);
		} catch (err) {
			list.removeAttribute('aria-busy');
			replace(list, h('p', { class: 'notice', role: 'alert' }, errorMessage(err)));
			return;
		}
		list.removeAttribute('aria-busy');
		/** @type {any[]} */
		const tasks = res.tasks ?? [];
		const rows = tasks.map((x) => h('tr', { 'data-task': String(x.id), 'data-status': x.status },
			h('td', {}, h('a', { href: `/tasks/${x.id}`, onclick: go(`/tasks/${x.id}`) }, x.title),
				x.source?.document && h('div', { class: 'muted' }, t('task.fromDoc', { d: x.source.document, n: x.source.conclusion ?? '' }))),
			h('td', {}, all.get(x.lead_unit_id)?.name ?? '#' + x.lead_unit_id),
			h('td', { class: 'nowrap' }, formatDay(x.deadline)),
			h('td', {}, progress(x.percent ?? 0)),
			h('td', {}, statusBadge(x.status))));
		const more = tasks.length === pageSize && h('button', { type: 'button', id: 'tasks-more', onclick: () => void load(offset + pageSize) }, t('tasks.more'));
		if (offset > 0) {
			list.querySelector('#tasks-more')?.remove();
			list.querySelector('tbody')?.append(...rows);
			if (more) list.append(more);
			return;
		}
		replace(list, tasks.length === 0 ? h('p', { class: 'muted card', id: 'tasks-none' }, t('tasks.none')) :
			h('div', { class: 'card table-wrap' }, h('table', { class: 'tasks-table' },
				h('thead', {}, h('tr', {}, h('th', {}, t('task.title')), h('th', {}, t('task.leadUnit')), h('th', {}, t('task.deadline')), h('th', {}, t('task.progress')), h('th', {}, t('tasks.status')))),
				h('tbody', {}, rows))), more);
	}
	await load(0);

	/** @param {string} text @param {string} key query key the chip removes */
	function chip(text, key) {
		return h('span', { class: 'chip' }, text, h('button', { type: 'button', class: 'small link', 'aria-label': t('tasks.removeFilter') + ': ' + text, onclick: () => {
			const n = new URLSearchParams(location.search);
			n.delete(key);
			if (key === 'assigner_id') n.delete('assigner_name');
			ctx.go('/tasks' + (n.size ? '?' + n : ''), true);
		} }, '×'));
	}
	/** @param {string} path */
	function go(path) { return ctx.link(path); }
}

/**
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} input
 */
function lab(id, label, input) {
	return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}
