// The secretary's meeting editor: details (dates typed as 02/12/2026 and
// 14:30, whatever the browser's language), the chair, the secretary and the
// other people from people search, halls from the unit tree, the agenda and
// the documents (editor_agenda.js), and the meeting's life: publish (asks
// first; a chair is required), reschedule and cancel with a reason (the
// invitees are notified). Each section saves on its own action.

import { errorMessage } from '../api.js';
import { t, formatDate, formatTime, parseVNDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { peoplePicker } from './people.js';
import { hallPicker, levelRanks } from './hallpick.js';
import { confirmDialog } from './confirm.js';
import { agendaSection } from './editor_agenda.js';
import { meetingStatus } from './meetings.js';

/** The roles invited from the "other people" picker. */
const otherRoles = ['delegate', 'presenter', 'observer', 'guest'];

/** @type {import('./app.js').Screen} */
export async function editorScreen(main, ctx, params) {
	const api = ctx.api;
	const isNew = !params.id;
	document.title = t(isNew ? 'editor.new' : 'editor.title') + ' — ' + t('app.name');
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		error.hidden = true;
		try { await f(); return true; } catch (err) { error.textContent = errorMessage(err); error.hidden = false; return false; }
	};

	/** @type {any} */
	let m = null;
	if (!isNew) m = (await api.get(`/meetings/${params.id}`)).meeting;
	const start = m ? new Date(m.starts_at) : new Date(Date.now() + 24 * 3600_000);
	const end = m ? new Date(m.ends_at) : new Date(start.getTime() + 2 * 3600_000);
	/** @param {string} id @param {string} value @param {'date'|'time'} kind */
	const dt = (id, value, kind) => h('input', { id, value, required: true, inputmode: 'numeric', autocomplete: 'off', class: kind,
		pattern: kind === 'date' ? '\\d{1,2}/\\d{1,2}/\\d{4}' : '\\d{1,2}:\\d{2}', placeholder: kind === 'date' ? 'dd/mm/yyyy' : 'hh:mm',
		'aria-describedby': kind === 'date' ? 'hint-date' : 'hint-time' });
	const f = {
		kind: h('select', { id: 'm-kind' }, ['regular', 'briefing', 'province_online'].map((k) => h('option', { value: k, selected: m?.kind === k }, t('kind.' + k)))),
		title: h('input', { id: 'm-title', required: true, value: m?.title ?? '' }),
		place: h('input', { id: 'm-place', value: m?.place ?? '' }),
		startDay: dt('m-start-day', formatDate(start), 'date'),
		startTime: dt('m-start-time', m ? formatTime(start) : '08:00', 'time'),
		endDay: dt('m-end-day', formatDate(end), 'date'),
		endTime: dt('m-end-time', m ? formatTime(end) : '10:00', 'time'),
	};
	const statusLine = h('p', { class: 'status-line', id: 'meeting-status', 'aria-live': 'polite' });
	const drawStatus = () => {
		if (!m) return;
		statusLine.setAttribute('data-status', m.status);
		replace(statusLine, t('editor.statusLabel'), ' ', meetingStatus(m.status),
			m.status === 'cancelled' && m.cancel_reason ? ' — ' + t('editor.cancelled', { reason: m.cancel_reason }) : '');
	};
	const details = h('form', { class: 'card editor-details', novalidate: true },
		h('h2', {}, t('editor.details')),
		h('div', { class: 'fields' },
			field('m-title', t('editor.meetingTitle'), f.title, 'wide'),
			field('m-kind', t('editor.kind'), f.kind),
			field('m-place', t('editor.place'), f.place),
			field('m-start-day', t('editor.startDay'), f.startDay),
			field('m-start-time', t('editor.startTime'), f.startTime),
			field('m-end-day', t('editor.endDay'), f.endDay),
			field('m-end-time', t('editor.endTime'), f.endTime)),
		h('p', { class: 'muted small' }, h('span', { id: 'hint-date' }, t('editor.dateHint')), ' · ', h('span', { id: 'hint-time' }, t('editor.timeHint'))),
		h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'save-details' }, t(isNew ? 'editor.create' : 'editor.save'))));
	details.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const s = parseVNDateTime(f.startDay.value, f.startTime.value);
		const e = parseVNDateTime(f.endDay.value, f.endTime.value);
		if (!s || !e) { error.textContent = t('editor.badDate'); error.hidden = false; (s ? f.endDay : f.startDay).focus(); return; }
		/** @type {Record<string, unknown>} */
		const body = { kind: f.kind.value, title: f.title.value.trim(), place: f.place.value.trim(), starts_at: s.toISOString(), ends_at: e.toISOString() };
		if (m && m.status === 'published' && (s.getTime() !== Date.parse(m.starts_at) || e.getTime() !== Date.parse(m.ends_at))) {
			// A new time of a published meeting goes to every invitee: say why.
			const ok = await confirmDialog({ title: t('editor.rescheduleTitle'), message: t('editor.rescheduleText'), ok: t('editor.reschedule'), reasonLabel: t('editor.reason') });
			if (!ok) return;
			body.reason = ok.reason;
		}
		await act(async () => {
			if (isNew) {
				const created = await api.post('/meetings', body);
				ctx.go(`/meetings/${created.id}/edit`, true);
			} else {
				m = await api.patch(`/meetings/${m.id}`, body);
				drawStatus();
				drawLife();
			}
		});
	});

	main.append(h('section', { class: 'page editor' },
		h('h1', {}, isNew ? t('editor.new') : m.title),
		statusLine, error, details,
		m && h('div', { class: 'editor-grid', id: 'editor-sections' })));
	drawStatus();
	if (!m) { f.title.focus(); return; }
	const id = m.id;
	const sections = /** @type {HTMLElement} */ (main.querySelector('#editor-sections'));

	const peopleBox = h('section', { class: 'card', id: 'people-box' });
	const hallsBox = h('section', { class: 'card', id: 'halls-box' });
	const agendaBox = h('section', { class: 'card wide', id: 'agenda-box' });
	const lifeBox = h('section', { class: 'card', id: 'life-box' });
	sections.append(peopleBox, lifeBox, agendaBox, hallsBox);

	const [unitsRes, levelsRes] = await Promise.all([api.get('/units'), api.get('/unit-levels')]);
	/** @type {any[]} */ const units = unitsRes.units ?? [];
	const unitMap = new Map(units.map((u) => [u.id, u]));
	/** @type {any[]} */ let people = [];

	async function loadInvitees() {
		const inv = await api.get(`/meetings/${id}/invitees`);
		people = inv.participants ?? [];
		return inv;
	}

	function drawPeople() {
		const chair = people.find((p) => p.role === 'chair');
		const secretary = people.find((p) => p.role === 'secretary');
		/** @param {'chair'|'secretary'} role @param {any} u */
		const setSingle = (role, u) => act(async () => {
			const old = people.filter((p) => p.role === role && p.user_id !== u.id);
			await api.put(`/meetings/${id}/participants/${u.id}`, { role });
			for (const p of old) await api.del(`/meetings/${id}/participants/${p.user_id}`);
			await loadInvitees();
			drawPeople();
		});
		const roleSel = h('select', { id: 'people-role' }, otherRoles.map((r) => h('option', { value: r }, t('mrole.' + r))));
		/** @param {any} p */
		const who = (p) => [p.full_name, h('span', { class: 'muted' }, ' · ', unitMap.get(p.unit_id)?.name ?? '')];
		const others = people.filter((p) => p.role !== 'chair' && p.role !== 'secretary');
		replace(peopleBox,
			h('h2', {}, t('editor.people'), ' ', h('span', { class: 'muted' }, `(${people.length})`)),
			h('div', { class: 'role-slot' },
				h('h3', {}, t('editor.chair')),
				chair ? h('p', { id: 'chair-name', class: 'picked' }, ...who(chair)) : h('p', { class: 'warn', id: 'chair-name' }, t('editor.noChair')),
				peoplePicker(api, unitMap, { id: 'chair-q', label: t('editor.pickChair'), action: t('editor.choose'), onPick: (u) => setSingle('chair', u) })),
			h('div', { class: 'role-slot' },
				h('h3', {}, t('editor.secretary')),
				secretary ? h('p', { id: 'secretary-name', class: 'picked' }, ...who(secretary)) : null,
				peoplePicker(api, unitMap, { id: 'secretary-q', label: t('editor.pickSecretary'), action: t('editor.choose'), onPick: (u) => setSingle('secretary', u) })),
			h('div', { class: 'role-slot' },
				h('h3', {}, t('editor.invitePeople')),
				h('div', { class: 'row' }, h('label', { for: 'people-role' }, t('editor.asRole')), roleSel),
				peoplePicker(api, unitMap, { id: 'people-q', label: t('editor.searchPeople'), action: t('editor.invite'), onPick: (u) => act(async () => {
					await api.put(`/meetings/${id}/participants/${u.id}`, { role: roleSel.value });
					await loadInvitees();
					drawPeople();
					/** @type {HTMLInputElement|null} */ (peopleBox.querySelector('#people-q'))?.focus();
				}) }),
				h('ul', { class: 'people', id: 'people-list' }, others.map((p) => h('li', { 'data-user-id': String(p.user_id) }, ...who(p), ' ',
					h('span', { class: 'role-tag' }, t('mrole.' + p.role)),
					h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ' ' + p.full_name,
						onclick: () => act(async () => { await api.del(`/meetings/${id}/participants/${p.user_id}`); await loadInvitees(); drawPeople(); }) }, t('editor.remove')))))));
	}

	async function drawHalls() {
		const [inv, hallsRes] = await Promise.all([loadInvitees(), api.get('/halls?active=true')]);
		/** @type {any[]} */ const invited = inv.halls ?? [];
		const invitedSet = new Set(invited.map((x) => x.hall_id));
		replace(hallsBox,
			h('h2', {}, t('room.halls'), ' ', h('span', { class: 'muted', id: 'hall-total' }, `(${invited.length})`)),
			invited.length > 0 && h('details', { class: 'invited-halls' }, h('summary', {}, t('halls.invited'), ` (${invited.length})`),
				h('ul', { class: 'chips', id: 'hall-list' }, invited.map((x) => h('li', {}, x.name,
					h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ' ' + x.name,
						onclick: () => act(async () => { await api.del(`/meetings/${id}/halls/${x.hall_id}`); await drawHalls(); }) }, '×'))))),
			h('h3', {}, t('halls.pick')),
			hallPicker(units, hallsRes.halls ?? [], invitedSet, levelRanks(levelsRes), (ids) => act(async () => {
				await api.post(`/meetings/${id}/halls`, { hall_ids: ids });
				await drawHalls();
			})));
	}

	function drawLife() {
		drawStatus();
		/** @type {(HTMLElement|string|null)[]} */
		const body = [];
		if (m.status === 'draft') {
			body.push(h('p', { class: 'muted' }, t('editor.publishHint')),
				h('button', { type: 'button', class: 'primary', id: 'publish', onclick: async () => {
					const ok = await confirmDialog({ title: t('editor.publishConfirm'), message: t('editor.publishConfirmText'), ok: t('editor.publish') });
					if (!ok) return;
					await act(async () => { m = await api.post(`/meetings/${id}/publish`); drawLife(); });
				} }, t('editor.publish')));
		} else {
			body.push(h('p', { id: 'published' }, meetingStatus(m.status)));
		}
		if (m.status === 'published') body.push(h('p', { class: 'muted' }, t('editor.rescheduleText')));
		if (m.status === 'draft' || m.status === 'published') {
			body.push(h('button', { type: 'button', class: 'danger', id: 'cancel-meeting', onclick: async () => {
				const ok = await confirmDialog({ title: t('editor.cancelTitle'), message: t('editor.cancelText'), ok: t('editor.cancelMeeting'), reasonLabel: t('editor.reason'), danger: true });
				if (!ok) return;
				await act(async () => { m = await api.post(`/meetings/${id}/cancel`, { reason: ok.reason }); drawLife(); });
			} }, t('editor.cancelMeeting')));
		}
		replace(lifeBox, h('h2', {}, t('editor.publishTitle')), h('div', { class: 'life' }, ...body),
			m.status !== 'draft' && m.status !== 'cancelled' && h('p', {}, h('a', { href: `/meetings/${id}` }, t('editor.toRoom'))));
	}

	drawLife();
	await loadInvitees();
	drawPeople();
	await Promise.all([drawHalls(), agendaSection(agendaBox, { api, id, meeting: m, units: unitMap, act, people: () => people })]);
}

/**
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [cls]
 */
function field(id, label, input, cls) {
	return h('div', { class: 'field' + (cls ? ' ' + cls : '') }, h('label', { for: id }, label), input);
}
