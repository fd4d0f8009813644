// The leader's dashboard: tasks by status per unit or per assigning leader
// over a deadline period, overdue first; charts of overdue tasks per unit
// and of the on-time rate; every figure drills down to the task list; the
// same view exported as XLSX.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, saveFile } from './dom.js';
import { dayInput, dayOf } from './dayinput.js';
import { barChart } from './chart.js';
import { statuses, today } from './taskbits.js';

/** keys of the dashboard's counts per status */
const countKey = /** @type {Record<string, string>} */ ({ overdue: 'overdue', in_progress: 'in_progress', done_late: 'done_late', done_on_time: 'done_on_time', cancelled: 'cancelled' });

/** @type {import('./app.js').Screen} */
export async function dashboardScreen(main, ctx) {
	const api = ctx.api;
	document.title = t('dash.title') + ' — ' + t('app.name');
	const q = new URLSearchParams(location.search);
	const year = today().slice(0, 4);
	// A cancelled meeting assigned nothing: it is not among the filters.
	const meetings = await api.get('/meetings').then((r) => (Array.isArray(r) ? r : r.meetings ?? []), () => [])
		.then((/** @type {any[]} */ ms) => ms.filter((m) => m.status !== 'cancelled'));
	const f = {
		by: h('select', { id: 'd-by' }, ['unit', 'leader'].map((b) => h('option', { value: b, selected: (q.get('by') ?? 'unit') === b }, t('dash.by.' + b)))),
		// The period of deadlines: this calendar year so far and what is due after.
		from: dayInput('d-from', q.get('from') ?? `${year}-01-01`),
		to: dayInput('d-to', q.get('to') ?? ''),
		meeting: h('select', { id: 'd-meeting' }, h('option', { value: '' }, t('tasks.allMeetings')),
			meetings.map((/** @type {any} */ m) => h('option', { value: m.id, selected: q.get('meeting_id') === String(m.id) }, m.title))),
	};
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const out = h('div', { class: 'stack', id: 'dash', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('tasks.loading')));
	const filters = h('form', { class: 'card filters', 'aria-label': t('tasks.filters') },
		h('div', { class: 'fields' },
			lab('d-by', t('dash.by'), f.by), lab('d-from', t('tasks.from'), f.from), lab('d-to', t('tasks.to'), f.to), lab('d-meeting', t('tasks.meeting'), f.meeting)));
	main.append(h('section', { class: 'page dashboard' },
		h('div', { class: 'page-head' }, h('h1', {}, t('dash.title')),
			h('div', { class: 'actions' },
				h('a', { class: 'button', href: '/tasks?mine=false', onclick: go('/tasks?mine=false') }, t('dash.allTasks')),
				h('button', { type: 'button', id: 'export-xlsx', onclick: () => void exportXLSX() }, t('dash.export')))),
		filters, error, out));
	filters.addEventListener('change', () => {
		if (dayOf(f.from) === null || dayOf(f.to) === null) return; // not a day yet: the figures stay as they are
		history.replaceState(null, '', '/tasks/dashboard?' + params());
		void load();
	});
	filters.addEventListener('submit', (ev) => ev.preventDefault());

	function params() {
		const p = new URLSearchParams({ by: f.by.value });
		const from = dayOf(f.from), to = dayOf(f.to);
		if (from) p.set('from', from);
		if (to) p.set('to', to);
		if (f.meeting.value) p.set('meeting_id', f.meeting.value);
		return p;
	}

	/**
	 * drill is the task list for a status and, optionally, a row of the table.
	 * @param {Record<string, string>} extra
	 */
	function drill(extra) {
		const p = new URLSearchParams({ mine: 'false' });
		const cur = params();
		for (const k of ['from', 'to', 'meeting_id']) { const v = cur.get(k); if (v) p.set(k, v); }
		for (const [k, v] of Object.entries(extra)) p.set(k, v);
		return '/tasks?' + p;
	}

	async function exportXLSX() {
		error.hidden = true;
		try {
			const bytes = await api.fetchBlob('/tasks/export?' + params());
			saveFile(bytes, `nhiem-vu-${today()}.xlsx`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
		} catch (err) {
			error.textContent = errorMessage(err);
			error.hidden = false;
		}
	}

	async function load() {
		error.hidden = true;
		out.setAttribute('aria-busy', 'true');
		let res;
		try {
			res = await api.get('/tasks/dashboard?' + params());
		} catch (err) {
			out.removeAttribute('aria-busy');
			replace(out, h('p', { class: 'notice', role: 'alert' }, errorMessage(err)));
			return;
		}
		out.removeAttribute('aria-busy');
		const by = res.by;
		/** @type {any[]} */
		const rows = res.rows ?? [];
		/** @type {Record<string, number>} */
		const total = { overdue: 0, in_progress: 0, done_late: 0, done_on_time: 0, cancelled: 0, total: 0 };
		for (const r of rows) for (const k of Object.keys(total)) total[k] += r[k] ?? 0;
		const due = total.done_on_time + total.done_late + total.overdue;
		const rate = due > 0 ? (100 * total.done_on_time) / due : null;
		const rowKey = by === 'leader' ? 'assigner_id' : 'unit_id';
		/** @param {any} r @param {Record<string, string>} [extra] */
		const rowDrill = (r, extra = {}) => drill({ [rowKey]: String(r.id), ...(by === 'leader' ? { assigner_name: r.name } : {}), ...extra });
		const pct = (/** @type {number} */ v) => `${v.toLocaleString(document.documentElement.lang === 'en' ? 'en' : 'vi', { maximumFractionDigits: 1 })}%`;

		if (rows.length === 0) {
			replace(out, h('p', { class: 'card muted', id: 'dash-none' }, t('dash.none')));
			return;
		}
		const overdueRows = rows.filter((r) => r.overdue > 0).slice(0, 12);
		const rateRows = rows.filter((r) => r.on_time_percent !== null && r.on_time_percent !== undefined)
			.sort((a, b) => a.on_time_percent - b.on_time_percent).slice(0, 12);
		const who = t('dash.by.' + by).toLowerCase();
		replace(out,
			h('div', { class: 'tiles-sum', id: 'dash-totals' },
				statuses.map((s) => h('a', { class: 'sum s-' + s, href: drill({ status: s }), onclick: go(drill({ status: s })), 'data-status': s },
					h('span', { class: 'n' }, String(total[countKey[s]])), h('span', {}, t('task.status.' + s)))),
				h('div', { class: 'sum rate', id: 'dash-rate' }, h('span', { class: 'n' }, rate === null ? '—' : pct(rate)), h('span', {}, t('dash.onTimeRate')))),
			h('div', { class: 'charts' },
				h('section', { class: 'card' }, h('h2', {}, t('dash.overdueChart', { by: who })),
					overdueRows.length === 0 ? h('p', { class: 'ok', id: 'no-overdue' }, t('dash.noOverdue')) :
						h('div', { id: 'chart-overdue' }, barChart(overdueRows.map((r) => ({ label: r.name, value: r.overdue, href: rowDrill(r, { status: 'overdue' }), tone: 'bad' })),
							{ title: t('dash.overdueChart', { by: who }), onOpen: (p) => ctx.go(p) }))),
				h('section', { class: 'card' }, h('h2', {}, t('dash.rateChart', { by: who })),
					rateRows.length === 0 ? h('p', { class: 'muted' }, t('dash.noDue')) :
						h('div', { id: 'chart-rate' }, barChart(rateRows.map((r) => ({ label: r.name, value: r.on_time_percent, href: rowDrill(r), tone: r.on_time_percent >= 80 ? 'ok' : r.on_time_percent >= 50 ? 'warn' : 'bad' })),
							{ title: t('dash.rateChart', { by: who }), max: 100, format: pct, onOpen: (p) => ctx.go(p) })))),
			h('section', { class: 'card table-wrap' }, h('h2', {}, t('dash.table', { by: who })),
				h('table', { class: 'dash-table', id: 'dash-table' },
					h('thead', {}, h('tr', {}, h('th', {}, t('dash.by.' + by)), statuses.map((s) => h('th', { class: 'num', title: t('task.status.' + s) }, t('dash.col.' + s))), h('th', { class: 'num' }, t('dash.total')), h('th', { class: 'num' }, t('dash.onTimeRate')))),
					h('tbody', {}, rows.map((r) => h('tr', { 'data-row': String(r.id) },
						h('th', { scope: 'row' }, h('a', { href: rowDrill(r), onclick: go(rowDrill(r)) }, r.name)),
						statuses.map((s) => h('td', { class: 'num' + (s === 'overdue' && r.overdue > 0 ? ' bad' : '') },
							r[countKey[s]] > 0 ? h('a', { href: rowDrill(r, { status: s }), onclick: go(rowDrill(r, { status: s })) }, String(r[countKey[s]])) : '0')),
						h('td', { class: 'num' }, String(r.total)),
						h('td', { class: 'num' }, r.on_time_percent === null || r.on_time_percent === undefined ? '—' : pct(r.on_time_percent))))))));
	}
	await load();

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
