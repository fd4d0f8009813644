// The minutes (biên bản) of a meeting: drafted from the session's event log,
// edited by the secretary and the chair with versioned saves (a stale save
// gets 409 version_conflict: the editor's text stays on screen and is merged
// with the newer version), approved by the chair, then read-only with its
// number, hash and PDFs, and its conclusions turned into tasks.

import { ApiError, errorMessage } from '../api.js';
import { t, has, formatDateTime } from '../i18n.js';
import { h, replace, saveFile } from './dom.js';
import { renderPDF } from './pdfview.js';
import { conclusionTasks } from './conclusions.js';
import { noticeScreen } from './notice.js';
import { unitPicker, unitChips } from './unitpick.js';
import { units } from './taskbits.js';
import { recordingLinks } from './recording.js';

/** @type {import('./app.js').Screen} */
export async function minutesScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad meeting id');
	const api = ctx.api;
	/** @type {any} */
	let mres;
	try {
		mres = await api.get(`/meetings/${id}`);
	} catch (err) {
		// Not one of the meeting's people: the users of a unit the conclusion
		// notice is addressed to come here from its e-mail and read the notice.
		if (err instanceof ApiError && err.code === 'not_found') return noticeScreen(main, ctx, id);
		throw err;
	}
	const meeting = mres.meeting;
	/** @type {string[]} */
	const roles = mres.my_roles ?? [];
	const isChair = roles.includes('chair');
	const canEdit = isChair || roles.includes('secretary') || !!api.user?.roles.includes('admin');
	document.title = t('minutes.title') + ' — ' + meeting.title + ' — ' + t('app.name');

	const error = h('p', { class: 'error', role: 'alert', id: 'minutes-error', hidden: true });
	const body = h('div', { class: 'stack', id: 'minutes-body' }, h('p', { class: 'muted' }, t('minutes.loading')));
	main.append(h('section', { class: 'page minutes' },
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', {}, t('minutes.title')), h('p', { class: 'muted' }, meeting.title, ' · ', formatDateTime(meeting.starts_at))),
			h('a', { class: 'button', href: `/meetings/${id}`, onclick: nav(ctx, `/meetings/${id}`) }, t('viewer.back'))),
		error, body));

	/** @param {unknown} err */
	const fail = (err) => { error.textContent = errorMessage(err); error.hidden = false; error.scrollIntoView?.({ block: 'nearest' }); };
	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		error.hidden = true;
		try { await f(); return true; } catch (err) { fail(err); return false; }
	};

	/** @type {any} the record as the server last sent it */
	let m = null;
	/** @type {Map<number, any>} the unit tree, to name and pick the units concerned */
	const all = await units(api).catch(() => new Map());
	try {
		m = await api.get(`/meetings/${id}/minutes`);
	} catch (err) {
		if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
	}

	function draw() {
		error.hidden = true;
		if (!m) drawNone();
		else if (m.status === 'approved' || !canEdit) drawReadOnly();
		else drawEditor();
	}

	function drawNone() {
		replace(body, h('section', { class: 'card', id: 'minutes-none' },
			h('p', {}, t('minutes.none')),
			canEdit && h('p', { class: 'muted' }, t('minutes.draftHint')),
			canEdit && h('button', { type: 'button', class: 'primary', id: 'minutes-draft', onclick: () => act(async () => {
				try {
					m = await api.post(`/meetings/${id}/minutes`);
				} catch (err) {
					// Drafted meanwhile by the other editor: open theirs.
					if (err instanceof ApiError && err.code === 'minutes_exist') m = await api.get(`/meetings/${id}/minutes`);
					else throw err;
				}
				draw();
			}) }, t('minutes.draft'))));
	}

	// ---- the editor ----

	/** @type {any} body of the version the form started from */
	let base = null;
	let dirty = false;
	/** @type {Editor|null} */
	let ed = null;
	/** the editor's state line (version, saved, merged) */
	let status = h('span');

	function drawEditor() {
		base = structuredClone(m.body);
		dirty = false;
		ed = editorForm(m.body, () => { dirty = true; status.textContent = t('minutes.unsaved'); }, all);
		status = h('span', { class: 'muted', id: 'minutes-state', 'aria-live': 'polite' }, t('minutes.versionN', { v: m.version, at: formatDateTime(m.updated_at) }));
		const conflict = h('div', { class: 'notice conflict', id: 'minutes-conflict', role: 'alert', hidden: true });
		const bar = h('div', { class: 'card toolbar' },
			h('span', { class: 'status s-draft' }, t('minutes.status.draft')), status,
			h('div', { class: 'spacer' }),
			h('button', { type: 'button', id: 'minutes-refresh', onclick: () => act(refresh) }, t('minutes.refresh')),
			h('button', { type: 'button', id: 'minutes-preview', onclick: () => act(() => showPDF(false, true)) }, t('minutes.preview')),
			h('button', { type: 'button', class: 'primary', id: 'minutes-save', onclick: () => act(save) }, t('minutes.save')),
			isChair && h('button', { type: 'button', class: 'primary', id: 'minutes-approve', onclick: () => confirmApprove() }, t('minutes.approve')));
		replace(body, bar, conflict, ed.root, pdfBox);
		pdfBox.hidden = true;

		async function save() {
			try {
				m = await api.put(`/meetings/${id}/minutes`, { version: m.version, body: ed?.collect(base) });
			} catch (err) {
				if (err instanceof ApiError && err.code === 'version_conflict') { showConflict(err); return; }
				throw err;
			}
			base = structuredClone(m.body);
			dirty = false;
			conflict.hidden = true;
			ed?.clearMarks();
			status.textContent = t('minutes.saved', { v: m.version });
		}

		/** @param {ApiError} err */
		function showConflict(err) {
			replace(conflict,
				h('p', {}, h('strong', {}, errorMessage(err))),
				h('p', {}, t('minutes.conflictHint')),
				h('div', { class: 'actions wrap' },
					h('button', { type: 'button', class: 'primary', id: 'minutes-merge', onclick: () => act(merge) }, t('minutes.merge')),
					h('button', { type: 'button', id: 'minutes-discard', onclick: () => act(async () => { m = await api.get(`/meetings/${id}/minutes`); draw(); }) }, t('minutes.discard'))));
			conflict.hidden = false;
			conflict.scrollIntoView?.({ block: 'nearest' });
		}

		// merge loads the newer version and keeps what this editor changed:
		// a field only the other editor changed takes their text; a field
		// both changed keeps ours and shows theirs beside it to compare.
		async function merge() {
			const latest = await api.get(`/meetings/${id}/minutes`);
			if (latest.status !== 'draft') { m = latest; draw(); fail(new ApiError(409, 'minutes_locked', '')); return; }
			const mine = /** @type {Editor} */ (ed).collect(base);
			const { body: merged, clashes } = mergeBodies(base, mine, latest.body);
			m = latest;
			drawEditor();
			/** @type {Editor} */ (ed).fill(merged, clashes);
			dirty = true;
			status.textContent = t('minutes.merged', { v: m.version, n: Object.keys(clashes).length });
		}

		async function refresh() {
			if (dirty) await save();
			if (dirty) return; // the save hit a conflict
			m = await api.post(`/meetings/${id}/minutes/refresh`, { version: m.version });
			drawEditor();
			status.textContent = t('minutes.refreshed', { v: m.version });
		}

		function confirmApprove() {
			const dlg = h('dialog', { class: 'vote-dialog', 'aria-labelledby': 'approve-title' },
				h('form', { method: 'dialog' },
					h('h2', { id: 'approve-title' }, t('minutes.approveTitle')),
					h('p', {}, t('minutes.approveHint')),
					h('div', { class: 'actions' },
						h('button', { type: 'submit', value: 'yes', class: 'primary', id: 'minutes-approve-confirm' }, t('minutes.approveConfirm')),
						h('button', { type: 'submit', value: 'no' }, t('room.cancel')))));
			dlg.addEventListener('close', () => {
				dlg.remove();
				if (dlg.returnValue !== 'yes') return;
				void act(async () => {
					if (dirty) await save();
					if (dirty) return;
					m = await api.post(`/meetings/${id}/minutes/approve`, { version: m.version });
					draw();
				});
			});
			document.body.append(dlg);
			dlg.showModal();
		}
	}

	// ---- approved (or read by a participant) ----

	const pdfBox = h('section', { class: 'card', id: 'minutes-pdf-box', hidden: true });

	function drawReadOnly() {
		const b = m.body;
		const approved = m.status === 'approved';
		const conclusions = h('div', { id: 'conclusions-view' });
		replace(body,
			approved ? h('section', { class: 'card approved', id: 'minutes-approved' },
				h('h2', {}, t('minutes.approvedTitle')),
				h('dl', { class: 'facts' },
					h('dt', {}, t('minutes.symbol')), h('dd', { id: 'minutes-symbol' }, t('minutes.so', { s: m.symbol })),
					m.notice_symbol && h('dt', {}, t('minutes.noticeSymbol')), m.notice_symbol && h('dd', { id: 'notice-symbol' }, t('minutes.so', { s: m.notice_symbol })),
					h('dt', {}, t('minutes.approvedAt')), h('dd', {}, m.approved_at ? formatDateTime(m.approved_at) : '—'),
					h('dt', {}, t('minutes.hash')), h('dd', {}, h('code', { id: 'minutes-hash', class: 'hash' }, m.content_hash))),
				h('div', { class: 'actions wrap' },
					h('button', { type: 'button', class: 'primary', id: 'view-minutes-pdf', onclick: () => act(() => showPDF(false)) }, t('minutes.viewPDF')),
					b.conclusions?.length > 0 && h('button', { type: 'button', id: 'view-notice-pdf', onclick: () => act(() => showPDF(true)) }, t('minutes.viewNotice')),
					h('button', { type: 'button', class: 'link', id: 'download-minutes-pdf', onclick: () => act(() => download(false)) }, t('minutes.download')),
					b.conclusions?.length > 0 && h('button', { type: 'button', class: 'link', id: 'download-notice-pdf', onclick: () => act(() => download(true)) }, t('minutes.downloadNotice'))))
				: h('p', { class: 'notice' }, t('minutes.draftReadOnly', { v: m.version })),
			pdfBox,
			readOnlyBody(b),
			h('section', { class: 'card' }, h('h2', {}, t('minutes.conclusions')), conclusions));
		if (approved) void conclusionTasks(conclusions, ctx, id, b.conclusions ?? [], fail);
		else replace(conclusions, conclusionList(b.conclusions ?? [], all));
		// Each agenda item links to where it began in the recording.
		void recordingLinks(body, api, id, ctx);
	}

	/** @param {boolean} notice */
	async function download(notice) {
		const bytes = await api.fetchBlob(`/meetings/${id}/minutes/${notice ? 'notice/' : ''}pdf`);
		saveFile(bytes, notice ? `thong-bao-ket-luan-${id}.pdf` : `bien-ban-${id}.pdf`, 'application/pdf');
	}

	/**
	 * showPDF renders the minutes or the notice in the page with pdf.js.
	 * @param {boolean} notice
	 * @param {boolean} [draft] a preview of the unsaved-approval draft
	 */
	async function showPDF(notice, draft = false) {
		pdfBox.hidden = false;
		const pages = h('div', { class: 'pdf-pages', id: 'minutes-pdf', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('viewer.loading')));
		replace(pdfBox, h('div', { class: 'page-head' },
			h('h2', {}, t(notice ? 'minutes.viewNotice' : draft ? 'minutes.preview' : 'minutes.viewPDF')),
			h('button', { type: 'button', class: 'small', onclick: () => { pdfBox.hidden = true; } }, t('minutes.closePDF'))), pages);
		pdfBox.scrollIntoView?.({ block: 'start' });
		try {
			await renderPDF(pages, await api.fetchBlob(`/meetings/${id}/minutes/${notice ? 'notice/' : ''}pdf`));
			pages.removeAttribute('aria-busy');
		} catch (err) {
			pages.removeAttribute('aria-busy');
			replace(pages, h('p', { class: 'notice', role: 'alert' }, errorMessage(err),
				' ', h('button', { type: 'button', class: 'small', onclick: () => act(() => showPDF(notice, draft)) }, t('error.retry'))));
		}
	}

	draw();
}

/**
 * @param {import('./app.js').Ctx} ctx
 * @param {string} path
 */
function nav(ctx, path) {
	return ctx.link(path);
}

/**
 * @typedef {object} Editor
 * @property {HTMLElement} root
 * @property {(base: any) => any} collect the body: base with the form's text in it
 * @property {(body: any, clashes: Record<string, string>) => void} fill puts a body's text in the form, marking clashes
 * @property {() => void} clearMarks
 */

/** attendance values a person can have in the minutes */
const attendance = ['present', 'absent_notice', 'absent_unknown'];

/**
 * editorForm builds the form over a body. Facts (times, speakers, votes)
 * are shown, text is editable.
 * @param {any} b
 * @param {() => void} onInput
 * @param {Map<number, any>} all units, for the units concerned by each conclusion
 * @returns {Editor}
 */
function editorForm(b, onInput, all) {
	/** @type {Map<string, HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement>} field key → control */
	const fields = new Map();
	/**
	 * @template {HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement} T
	 * @param {string} key
	 * @param {T} el
	 */
	const reg = (key, el) => { el.dataset.key = key; fields.set(key, el); el.addEventListener('input', onInput); return el; };
	const text = (/** @type {string} */ key, /** @type {string} */ v, /** @type {string} */ label) =>
		field(key, label, reg(key, h('input', { id: 'mb-' + key, value: v ?? '' })));
	const area = (/** @type {string} */ key, /** @type {string} */ v, /** @type {string} */ label, rows = 4) =>
		field(key, label, reg(key, h('textarea', { id: 'mb-' + key, rows: String(rows) }, v ?? '')));

	const concl = h('ol', { class: 'conclusions-edit', id: 'conclusions' });
	/** @param {any} c */
	const addConclusion = (c) => {
		const label = t('minutes.conclusionN', { n: concl.children.length + 1 });
		const ta = h('textarea', { rows: '3', 'aria-label': label }, c.text ?? '');
		ta.addEventListener('input', onInput);
		const li = h('li', { 'data-units': JSON.stringify(c.unit_ids ?? []) }, ta,
			unitPicker(all, c.unit_ids ?? [], label, (ids) => { li.dataset.units = JSON.stringify(ids); onInput(); }),
			h('button', { type: 'button', class: 'small link', onclick: () => { li.remove(); onInput(); } }, t('minutes.removeConclusion')));
		concl.append(li);
		return ta;
	};
	for (const c of b.conclusions ?? []) addConclusion(c);

	const root = h('div', { class: 'stack minutes-form' },
		h('section', { class: 'card' }, h('h2', {}, t('minutes.general')),
			h('div', { class: 'fields' },
				text('title', b.title, t('minutes.docTitle')), text('place', b.place, t('editor.place')),
				text('chair', b.chair, t('mrole.chair')), text('secretary', b.secretary, t('mrole.secretary'))),
			h('p', { class: 'muted' }, t('minutes.times', { from: b.opened_at ? formatDateTime(b.opened_at) : '—', to: b.closed_at ? formatDateTime(b.closed_at) : '—' }))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.attendance')),
			hallsTable(b.halls ?? []),
			(b.people ?? []).length > 0 && h('table', { class: 'roll', id: 'minutes-people' },
				h('thead', {}, h('tr', {}, h('th', {}, t('op.person')), h('th', {}, t('minutes.position')), h('th', {}, t('op.role')), h('th', {}, t('op.status')))),
				h('tbody', {}, b.people.map((/** @type {any} */ p) => h('tr', {},
					h('td', {}, p.name), h('td', {}, p.position || '—'), h('td', {}, has('mrole.' + p.role) ? t('mrole.' + p.role) : p.role),
					h('td', {}, reg('att.' + p.user_id, h('select', { 'aria-label': t('op.status') + ': ' + p.name },
						attendance.map((a) => h('option', { value: a, selected: p.attendance === a }, t('minutes.att.' + a))))))))))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.items')),
			(b.items ?? []).length === 0 && h('p', { class: 'muted' }, t('room.noItem')),
			(b.items ?? []).map((/** @type {any} */ it) => h('article', { class: 'minutes-item', 'data-item': String(it.item_id) },
				itemFacts(it),
				area('item.' + it.item_id, it.discussion, t('minutes.discussion'), 5)))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.conclusions')),
			h('p', { class: 'muted' }, t('minutes.conclusionsHint')),
			concl,
			h('button', { type: 'button', id: 'add-conclusion', onclick: () => { addConclusion({ text: '' }).focus(); onInput(); } }, t('minutes.addConclusion'))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.notes')), area('notes', b.notes, t('minutes.notes'), 4)));

	return {
		root,
		collect(baseBody) {
			const out = structuredClone(baseBody);
			for (const k of ['title', 'place', 'chair', 'secretary', 'notes']) out[k] = fields.get(k)?.value ?? out[k];
			for (const it of out.items ?? []) { const f = fields.get('item.' + it.item_id); if (f) it.discussion = f.value; }
			for (const p of out.people ?? []) { const f = fields.get('att.' + p.user_id); if (f) p.attendance = f.value; }
			out.conclusions = [...concl.children].map((li, i) => {
				const ta = /** @type {HTMLTextAreaElement} */ (li.querySelector('textarea'));
				/** @type {any} */
				const c = { number: i + 1, text: ta.value.trim() };
				const units = JSON.parse(/** @type {HTMLElement} */ (li).dataset.units || '[]');
				if (units.length) c.unit_ids = units;
				return c;
			}).filter((c) => c.text !== '').map((c, i) => ({ ...c, number: i + 1 }));
			return out;
		},
		fill(body, clashes) {
			for (const k of ['title', 'place', 'chair', 'secretary', 'notes']) set(k, body[k]);
			for (const it of body.items ?? []) set('item.' + it.item_id, it.discussion);
			for (const p of body.people ?? []) set('att.' + p.user_id, p.attendance);
			concl.replaceChildren();
			for (const c of body.conclusions ?? []) addConclusion(c);
			for (const [k, theirs] of Object.entries(clashes)) {
				const el = k === 'conclusions' ? concl : fields.get(k);
				el?.classList.add('clash');
				el?.insertAdjacentElement('afterend', h('div', { class: 'theirs', 'data-for': k },
					h('strong', {}, t('minutes.theirs')), h('div', { class: 'pre' }, theirs)));
			}
		},
		clearMarks() {
			root.querySelectorAll('.theirs').forEach((e) => e.remove());
			root.querySelectorAll('.clash').forEach((e) => e.classList.remove('clash'));
		},
	};

	/** @param {string} k @param {string} v */
	function set(k, v) { const f = fields.get(k); if (f && v !== undefined) f.value = v ?? ''; }
}

/**
 * mergeBodies is a three-way merge of the editable text: base is what this
 * editor started from, mine what they have now, theirs the newer version.
 * Facts come from theirs. clashes maps the fields both changed to their text.
 * @param {any} base
 * @param {any} mine
 * @param {any} theirs
 * @returns {{body: any, clashes: Record<string, string>}}
 */
export function mergeBodies(base, mine, theirs) {
	const out = structuredClone(theirs);
	/** @type {Record<string, string>} */
	const clashes = {};
	/**
	 * @param {string} key
	 * @param {any} b @param {any} my @param {any} their
	 * @param {(v: any) => void} put
	 * @param {(v: any) => string} [show]
	 */
	const pick = (key, b, my, their, put, show = String) => {
		const same = (/** @type {any} */ x, /** @type {any} */ y) => JSON.stringify(x ?? '') === JSON.stringify(y ?? '');
		if (same(my, b)) return; // only they changed it (or nobody): theirs stays
		put(my);
		if (!same(their, b) && !same(their, my)) clashes[key] = show(their ?? '');
	};
	for (const k of ['title', 'place', 'chair', 'secretary', 'notes']) pick(k, base[k], mine[k], theirs[k], (v) => { out[k] = v; });
	for (const it of out.items ?? []) {
		const b = (base.items ?? []).find((/** @type {any} */ x) => x.item_id === it.item_id);
		const my = (mine.items ?? []).find((/** @type {any} */ x) => x.item_id === it.item_id);
		if (my) pick('item.' + it.item_id, b?.discussion, my.discussion, it.discussion, (v) => { it.discussion = v; });
	}
	for (const p of out.people ?? []) {
		const b = (base.people ?? []).find((/** @type {any} */ x) => x.user_id === p.user_id);
		const my = (mine.people ?? []).find((/** @type {any} */ x) => x.user_id === p.user_id);
		if (my) pick('att.' + p.user_id, b?.attendance, my.attendance, p.attendance, (v) => { p.attendance = v; }, (v) => t('minutes.att.' + v));
	}
	// A conclusion is its text and its units: a change of either is a change.
	const texts = (/** @type {any} */ b) => (b.conclusions ?? []).map((/** @type {any} */ c) => ({ text: c.text, unit_ids: c.unit_ids ?? [] }));
	pick('conclusions', texts(base), texts(mine), texts(theirs), () => { out.conclusions = mine.conclusions; },
		(v) => v.map((/** @type {any} */ x, /** @type {number} */ i) => `${i + 1}. ${x.text}`).join('\n'));
	return { body: out, clashes };
}

/** @param {any[]} halls */
function hallsTable(halls) {
	if (halls.length === 0) return h('p', { class: 'muted' }, t('room.noHalls'));
	const present = halls.filter((x) => x.present).length;
	return h('details', { class: 'halls-att' },
		h('summary', {}, t('minutes.hallsPresent', { n: present, of: halls.length })),
		h('table', { class: 'roll' },
			h('thead', {}, h('tr', {}, h('th', {}, t('room.halls')), h('th', {}, t('op.status')), h('th', {}, t('minutes.joined')), h('th', {}, t('minutes.left')))),
			h('tbody', {}, halls.map((x) => h('tr', {}, h('td', {}, x.name), h('td', {}, x.present ? t('minutes.att.present') : t('minutes.att.absent_unknown')),
				h('td', {}, x.joined_at ? formatDateTime(x.joined_at) : '—'), h('td', {}, x.left_at ? formatDateTime(x.left_at) : '—'))))));
}

/** @param {any} it an item of the body: title, times, speakers and votes */
function itemFacts(it) {
	return h('div', {},
		h('h3', {}, `${it.position}. ${it.title}`),
		h('p', { class: 'muted' }, it.presenter ? t('minutes.presenter', { p: it.presenter }) + ' · ' : '',
			t('minutes.times', { from: it.started_at ? formatDateTime(it.started_at) : '—', to: it.ended_at ? formatDateTime(it.ended_at) : '—' })),
		(it.speakers ?? []).length > 0 && h('div', {}, h('strong', {}, t('minutes.speakers')),
			h('ol', { class: 'speakers' }, it.speakers.map((/** @type {any} */ s) => h('li', {}, s.name, s.hall ? ` (${s.hall})` : '', ' ', h('span', { class: 'muted' }, formatDateTime(s.from)))))),
		(it.votes ?? []).map((/** @type {any} */ v) => h('div', { class: 'vote-facts' },
			h('strong', {}, t('minutes.vote')), ' ', v.question, v.secret ? ` (${t('room.voteSecret').toLowerCase()})` : '',
			h('div', { class: 'muted' }, (v.options ?? []).map((/** @type {string} */ o) => `${has('vote.' + o) ? t('vote.' + o) : o}: ${v.counts?.[o] ?? 0}`).join(' · '),
				' · ', t('room.ballots', { n: v.ballots, m: v.eligible })))));
}

/** @param {any} b */
function readOnlyBody(b) {
	return h('div', { class: 'stack' },
		h('section', { class: 'card' }, h('h2', {}, b.title || t('minutes.general')),
			h('dl', { class: 'facts' },
				h('dt', {}, t('editor.place')), h('dd', {}, b.place || '—'),
				h('dt', {}, t('mrole.chair')), h('dd', {}, b.chair || '—'),
				h('dt', {}, t('mrole.secretary')), h('dd', {}, b.secretary || '—')),
			h('p', { class: 'muted' }, t('minutes.times', { from: b.opened_at ? formatDateTime(b.opened_at) : '—', to: b.closed_at ? formatDateTime(b.closed_at) : '—' }))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.attendance')), hallsTable(b.halls ?? []),
			h('ul', { class: 'people' }, (b.people ?? []).map((/** @type {any} */ p) => h('li', {}, p.name, ' — ', h('span', { class: 'muted' }, t('minutes.att.' + p.attendance)))))),
		h('section', { class: 'card' }, h('h2', {}, t('minutes.items')),
			(b.items ?? []).map((/** @type {any} */ it) => h('article', { class: 'minutes-item', 'data-item': String(it.item_id) }, itemFacts(it),
				it.discussion && h('div', { class: 'pre' }, it.discussion)))),
		b.notes && h('section', { class: 'card' }, h('h2', {}, t('minutes.notes')), h('div', { class: 'pre' }, b.notes)));
}

/**
 * @param {any[]} cs
 * @param {Map<number, any>} all units
 */
function conclusionList(cs, all) {
	if (cs.length === 0) return h('p', { class: 'muted' }, t('minutes.noConclusions'));
	return h('ol', { class: 'conclusions' }, cs.map((c) => h('li', { 'data-conclusion': String(c.number) }, h('div', { class: 'pre' }, c.text), unitChips(all, c.unit_ids))));
}

/**
 * @param {string} key
 * @param {string} label
 * @param {HTMLElement} input
 */
function field(key, label, input) {
	return h('div', { class: 'field' + (input.tagName === 'TEXTAREA' ? ' wide' : '') }, h('label', { for: 'mb-' + key }, label), input);
}
