// One task: what, who, by when and how far; the unit's progress reports,
// its request for more time and the assigner's decision, and the assigner's
// completion or cancellation. The server decides who may do what; the forms
// shown follow the same rules so nobody is offered a button that will be refused.

import { ApiError, errorMessage } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { statusBadge, formatDay, today, units, nameSpan, progress } from './taskbits.js';

/** @type {import('./app.js').Screen} */
export async function taskScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad task id');
	const api = ctx.api;
	const all = await units(api).catch(() => new Map());
	const error = h('p', { class: 'error', role: 'alert', id: 'task-error', hidden: true });
	const page = h('section', { class: 'page task' });
	main.append(page);
	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		error.hidden = true;
		try { await f(); return true; } catch (err) { error.textContent = errorMessage(err); error.hidden = false; return false; }
	};
	const unitName = (/** @type {number} */ u) => all.get(u)?.name ?? '#' + u;
	const go = ctx.link;

	async function draw() {
		const r = await api.get(`/tasks/${id}`);
		const x = r.task;
		document.title = x.title + ' — ' + t('app.name');
		const me = api.user;
		const open = x.status === 'overdue' || x.status === 'in_progress';
		const assigner = me?.id === x.assigner_id || !!me?.roles.includes('admin');
		const lead = me?.unit_id === x.lead_unit_id || me?.id === x.assignee_id;
		const reporter = lead || (x.coordinating_unit_ids ?? []).includes(me?.unit_id);
		/** @type {any[]} */
		const exts = r.extensions ?? [];
		const pending = exts.find((e) => e.status === 'pending');
		/** @type {Record<string, string>} */
		const people = r.people ?? {};
		const who = (/** @type {number|null|undefined} */ uid) => (uid && people[uid]) ? h('span', { class: 'person' }, people[uid]) : nameSpan(api, uid);

		replace(page,
			h('div', { class: 'page-head' },
				h('div', {}, h('h1', {}, x.title), h('p', {}, statusBadge(x.status), ' ',
					x.source?.meeting_id && h('a', { href: `/meetings/${x.source.meeting_id}/minutes`, onclick: go(`/meetings/${x.source.meeting_id}/minutes`) },
						x.source.document ? t('task.fromDoc', { d: x.source.document, n: x.source.conclusion ?? '' }) : t('task.fromMeeting')))),
				h('a', { class: 'button', href: '/tasks', onclick: go('/tasks') }, t('task.back'))),
			error,
			h('div', { class: 'task-grid' },
				h('div', { class: 'stack' },
					h('section', { class: 'card' },
						h('dl', { class: 'facts' },
							h('dt', {}, t('task.leadUnit')), h('dd', { id: 'task-unit' }, unitName(x.lead_unit_id)),
							(x.coordinating_unit_ids ?? []).length > 0 && h('dt', {}, t('task.coordinating')),
							(x.coordinating_unit_ids ?? []).length > 0 && h('dd', {}, x.coordinating_unit_ids.map(unitName).join(', ')),
							h('dt', {}, t('task.assigner')), h('dd', {}, who(x.assigner_id)),
							x.assignee_id && h('dt', {}, t('task.assignee')), x.assignee_id && h('dd', {}, who(x.assignee_id)),
							h('dt', {}, t('task.deadline')), h('dd', { id: 'task-deadline' }, formatDay(x.deadline)),
							h('dt', {}, t('task.priority')), h('dd', {}, t('task.priority.' + x.priority)),
							h('dt', {}, t('task.progress')), h('dd', { id: 'task-percent' }, progress(x.percent ?? 0)),
							x.completed_on && h('dt', {}, t('task.completedOn')), x.completed_on && h('dd', {}, formatDay(x.completed_on))),
						x.description && h('div', { class: 'pre' }, x.description)),
					h('section', { class: 'card' }, h('h2', {}, t('task.reports')),
						(r.reports ?? []).length === 0 ? h('p', { class: 'muted' }, t('task.noReports')) :
							h('ol', { class: 'reports', id: 'reports', reversed: true }, [...r.reports].reverse().map((/** @type {any} */ rep) => h('li', {},
								h('div', { class: 'muted' }, formatDateTime(rep.created_at), ' · ', who(rep.author_id), ' · ', h('strong', {}, `${rep.percent}%`)),
								h('div', { class: 'pre' }, rep.body)))),
						open && reporter && reportForm(x))),
				h('aside', { class: 'side' },
					h('section', { class: 'card', id: 'extensions' }, h('h2', {}, t('task.extensions')),
						exts.length === 0 && h('p', { class: 'muted' }, t('task.noExtensions')),
						exts.length > 0 && h('ul', { class: 'ext-list' }, exts.map((e) => h('li', { 'data-ext': String(e.id), 'data-status': e.status },
							h('div', {}, t('task.extFromTo', { a: formatDay(e.old_deadline), b: formatDay(e.new_deadline) }), ' ', h('span', { class: 'status s-ext-' + e.status }, t('task.ext.' + e.status))),
							h('div', { class: 'muted' }, who(e.requested_by), ' · ', formatDateTime(e.created_at)),
							h('div', { class: 'pre' }, e.reason),
							open && assigner && e.status === 'pending' && h('div', { class: 'actions' },
								h('button', { type: 'button', class: 'primary small', id: 'ext-approve', onclick: () => act(async () => { await api.post(`/task-extensions/${e.id}/decision`, { approve: true }); await draw(); }) }, t('task.extApprove')),
								h('button', { type: 'button', class: 'small', id: 'ext-refuse', onclick: () => act(async () => { await api.post(`/task-extensions/${e.id}/decision`, { approve: false }); await draw(); }) }, t('task.extRefuse')))))),
						open && lead && !pending && extensionForm(x)),
					open && assigner && h('section', { class: 'card' }, h('h2', {}, t('task.assignerActions')),
						h('p', { class: 'muted' }, t('task.completeHint')),
						h('div', { class: 'actions wrap' },
							confirmButton('task-complete', t('task.complete'), t('task.completeConfirm'), 'primary', () => api.post(`/tasks/${id}/complete`)),
							confirmButton('task-cancel', t('task.cancel'), t('task.cancelConfirm'), '', () => api.post(`/tasks/${id}/cancel`)))))));
	}

	/** @param {any} x */
	function reportForm(x) {
		const body = h('textarea', { id: 'report-body', rows: '3', required: true });
		const pct = h('input', { id: 'report-percent', type: 'number', min: '0', max: '100', step: '5', value: String(x.percent ?? 0), class: 'num', required: true });
		const form = h('form', { class: 'report-form', novalidate: true },
			h('h3', {}, t('task.newReport')),
			h('label', { for: 'report-body' }, t('task.reportBody')), body,
			h('div', { class: 'row' }, h('label', { for: 'report-percent' }, t('task.percent')), pct, h('span', {}, '%')),
			h('button', { type: 'submit', class: 'primary', id: 'report-submit' }, t('task.sendReport')));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			void act(async () => {
				if (!body.value.trim()) throw new ApiError(422, 'validation_failed', '', { [t('task.reportBody')]: t('task.requiredField') });
				await api.post(`/tasks/${id}/reports`, { body: body.value.trim(), percent: Number(pct.value) });
				await draw();
			});
		});
		return form;
	}

	/** @param {any} x */
	function extensionForm(x) {
		const next = new Date(x.deadline + 'T00:00:00Z');
		next.setUTCDate(next.getUTCDate() + 14);
		const dl = h('input', { id: 'ext-deadline', type: 'date', min: x.deadline > today() ? x.deadline : today(), value: next.toISOString().slice(0, 10), required: true });
		const reason = h('textarea', { id: 'ext-reason', rows: '2', required: true });
		const form = h('form', { class: 'ext-form', novalidate: true },
			h('h3', {}, t('task.extRequest')),
			h('label', { for: 'ext-deadline' }, t('task.newDeadline')), dl,
			h('label', { for: 'ext-reason' }, t('task.reason')), reason,
			h('button', { type: 'submit', id: 'ext-submit' }, t('task.extSend')));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			void act(async () => {
				await api.post(`/tasks/${id}/extensions`, { new_deadline: dl.value, reason: reason.value.trim() });
				await draw();
			});
		});
		return form;
	}

	/**
	 * A button that asks once more before an action that cannot be undone.
	 * @param {string} bid
	 * @param {string} text
	 * @param {string} question
	 * @param {string} cls
	 * @param {() => Promise<unknown>} f
	 */
	function confirmButton(bid, text, question, cls, f) {
		const box = h('span', { class: 'confirm' });
		const first = h('button', { type: 'button', id: bid, class: cls || undefined, onclick: () => {
			replace(box, h('span', {}, question, ' '),
				h('button', { type: 'button', class: 'primary small', id: bid + '-yes', onclick: () => act(async () => { await f(); await draw(); }) }, t('task.yes')),
				h('button', { type: 'button', class: 'small', onclick: () => { replace(box, first); first.focus(); } }, t('room.cancel')));
			/** @type {HTMLElement|null} */ (box.querySelector('button'))?.focus();
		} }, text);
		box.append(first);
		return box;
	}

	await draw();
}
