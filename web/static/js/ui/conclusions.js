// The conclusions of approved minutes, each with the tasks it gave and, for
// those who assign tasks (chairs, secretaries, admins), a form that turns it
// into a task for a unit.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { statusBadge, formatDay, today, units, unitOptions } from './taskbits.js';
import { unitChips } from './unitpick.js';

/**
 * conclusionTasks fills box with the conclusions and their tasks.
 * @param {HTMLElement} box
 * @param {import('./app.js').Ctx} ctx
 * @param {number} meetingId
 * @param {any[]} conclusions
 * @param {(err: unknown) => void} fail
 */
export async function conclusionTasks(box, ctx, meetingId, conclusions, fail) {
	const api = ctx.api;
	if (conclusions.length === 0) { replace(box, h('p', { class: 'muted' }, t('minutes.noConclusions'))); return; }
	const canAssign = api.user?.roles.some((r) => r === 'chair' || r === 'secretary' || r === 'admin') ?? false;
	const [all, list] = await Promise.all([
		units(api).catch(() => new Map()),
		api.get(`/tasks?meeting_id=${meetingId}&limit=500`).catch((err) => { fail(err); return { tasks: [] }; }),
	]);
	/** @type {any[]} */
	const tasks = list.tasks ?? [];
	const go = ctx.link;

	replace(box, h('ol', { class: 'conclusions', id: 'conclusion-list' }, conclusions.map((c) => {
		const mine = tasks.filter((x) => x.source?.conclusion === c.number);
		const formBox = h('div', { class: 'assign', hidden: true });
		return h('li', { 'data-conclusion': String(c.number) },
			h('div', { class: 'pre' }, c.text),
			unitChips(all, c.unit_ids),
			mine.length > 0 && h('ul', { class: 'task-links' }, mine.map((x) => h('li', {},
				h('a', { href: `/tasks/${x.id}`, onclick: go(`/tasks/${x.id}`) }, x.title), ' — ',
				all.get(x.lead_unit_id)?.name ?? '#' + x.lead_unit_id, ' · ', t('task.deadlineOn', { d: formatDay(x.deadline) }), ' ', statusBadge(x.status)))),
			canAssign && h('button', { type: 'button', class: 'small', 'data-assign': String(c.number), onclick: () => { formBox.hidden = !formBox.hidden; if (!formBox.hidden) formBox.querySelector('select')?.focus(); } }, t('task.assignFrom')),
			canAssign && formBox);
	})));
	if (!canAssign) return;
	for (const li of box.querySelectorAll('li[data-conclusion]')) {
		const n = Number(/** @type {HTMLElement} */ (li).dataset.conclusion);
		const c = conclusions.find((x) => x.number === n);
		const formBox = /** @type {HTMLElement} */ (li.querySelector('.assign'));
		formBox.append(assignForm(n, c.text, all, async (body) => {
			await api.post(`/meetings/${meetingId}/minutes/conclusions/${n}/tasks`, { tasks: [body] });
			await conclusionTasks(box, ctx, meetingId, conclusions, fail);
		}));
	}
}

/**
 * assignForm asks for the task's title, lead unit, deadline and priority.
 * @param {number} n
 * @param {string} text the conclusion, the title's default
 * @param {Map<number, any>} all units
 * @param {(body: any) => Promise<void>} submit
 */
function assignForm(n, text, all, submit) {
	const p = `c${n}-`;
	const title = h('input', { id: p + 'title', value: text.length > 200 ? text.slice(0, 197) + '…' : text, required: true });
	const unit = h('select', { id: p + 'unit', required: true }, h('option', { value: '' }, t('task.pickUnit')), unitOptions(all));
	const deadline = h('input', { id: p + 'deadline', type: 'date', min: today(), value: today(14), required: true });
	const priority = h('select', { id: p + 'priority' }, [1, 2, 3].map((v) => h('option', { value: v, selected: v === 2 }, t('task.priority.' + v))));
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const form = h('form', { class: 'assign-form', novalidate: true },
		h('div', { class: 'fields' },
			h('div', { class: 'field wide' }, h('label', { for: p + 'title' }, t('task.title')), title),
			h('div', { class: 'field' }, h('label', { for: p + 'unit' }, t('task.leadUnit')), unit),
			h('div', { class: 'field' }, h('label', { for: p + 'deadline' }, t('task.deadline')), deadline),
			h('div', { class: 'field' }, h('label', { for: p + 'priority' }, t('task.priority')), priority)),
		error,
		h('button', { type: 'submit', class: 'primary', id: p + 'submit' }, t('task.assign')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		error.hidden = true;
		if (!unit.value || !title.value.trim() || !deadline.value) { error.textContent = t('task.required'); error.hidden = false; return; }
		try {
			await submit({ title: title.value.trim(), lead_unit_id: Number(unit.value), deadline: deadline.value, priority: Number(priority.value) });
		} catch (err) {
			error.textContent = errorMessage(err);
			error.hidden = false;
		}
	});
	return form;
}
