// The secretary's meeting editor: details, halls picked from the unit tree,
// people, agenda with drag-to-reorder (and keyboard buttons), documents with
// upload progress, publish. Each section saves on its own action.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

/** @param {Date} d value for <input type=datetime-local>, Vietnam time */
function localInput(d) {
	const v = new Date(d.getTime() + 7 * 3600_000);
	return v.toISOString().slice(0, 16);
}
/** @param {string} v datetime-local in Vietnam time → ISO */
function fromLocal(v) { return new Date(v + ':00+07:00').toISOString(); }

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
	const f = {
		kind: h('select', { id: 'm-kind' }, ['regular', 'briefing', 'province_online'].map((k) => h('option', { value: k, selected: m?.kind === k }, t('kind.' + k)))),
		title: h('input', { id: 'm-title', required: true, value: m?.title ?? '' }),
		place: h('input', { id: 'm-place', value: m?.place ?? '' }),
		starts: h('input', { id: 'm-starts', type: 'datetime-local', required: true, value: localInput(start) }),
		ends: h('input', { id: 'm-ends', type: 'datetime-local', required: true, value: localInput(m ? new Date(m.ends_at) : new Date(start.getTime() + 2 * 3600_000)) }),
	};
	const details = h('form', { class: 'card editor-details' },
		h('h2', {}, t('editor.details')),
		h('div', { class: 'fields' },
			field('m-title', t('editor.meetingTitle'), f.title, 'wide'),
			field('m-kind', t('editor.kind'), f.kind),
			field('m-place', t('editor.place'), f.place),
			field('m-starts', t('editor.starts'), f.starts),
			field('m-ends', t('editor.ends'), f.ends)),
		h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'save-details' }, t(isNew ? 'editor.create' : 'editor.save'))));
	details.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const body = { kind: f.kind.value, title: f.title.value.trim(), place: f.place.value.trim(), starts_at: fromLocal(f.starts.value), ends_at: fromLocal(f.ends.value) };
		await act(async () => {
			if (isNew) {
				const created = await api.post('/meetings', body);
				ctx.go(`/meetings/${created.id}/edit`, true);
			} else {
				m = await api.patch(`/meetings/${m.id}`, body);
			}
		});
	});

	main.append(h('section', { class: 'page editor' },
		h('h1', {}, isNew ? t('editor.new') : m.title),
		m && h('p', { class: 'muted' }, t('room.status.' + m.status)),
		error, details,
		m && h('div', { class: 'editor-grid', id: 'editor-sections' })));
	if (!m) { f.title.focus(); return; }
	const id = m.id;
	const sections = /** @type {HTMLElement} */ (main.querySelector('#editor-sections'));

	const hallsBox = h('section', { class: 'card' });
	const peopleBox = h('section', { class: 'card' });
	const agendaBox = h('section', { class: 'card' });
	const docsBox = h('section', { class: 'card' });
	const publishBox = h('section', { class: 'card' });
	// Upload rows outlive the redraw of the document list that follows each upload.
	const uploads = h('ul', { class: 'uploads', id: 'uploads' });
	sections.append(agendaBox, docsBox, hallsBox, peopleBox, publishBox);

	const [unitsRes] = await Promise.all([api.get('/units')]);
	/** @type {any[]} */ const units = unitsRes.units ?? [];

	async function drawInvitees() {
		const inv = await api.get(`/meetings/${id}/invitees`);
		const unitSel = h('select', { id: 'hall-unit' }, units.map((u) => h('option', { value: u.id }, '\u00a0'.repeat(2 * depth(u)) + u.name)));
		const desc = h('input', { type: 'checkbox', id: 'hall-desc', checked: true });
		replace(hallsBox, h('h2', {}, t('room.halls'), ' ', h('span', { class: 'muted' }, `(${inv.halls.length})`)),
			h('div', { class: 'row' }, h('label', { for: 'hall-unit', class: 'sr' }, t('editor.unit')), unitSel,
				h('label', { class: 'check' }, desc, ' ', t('editor.withChildren')),
				h('button', { type: 'button', id: 'add-halls', onclick: () => act(async () => { await api.post(`/meetings/${id}/halls`, { unit_id: Number(unitSel.value), include_descendants: desc.checked }); await drawInvitees(); }) }, t('editor.addHalls'))),
			h('ul', { class: 'chips', id: 'hall-list' }, inv.halls.map((/** @type {any} */ x) => h('li', {}, x.name,
				h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ' ' + x.name, onclick: () => act(async () => { await api.del(`/meetings/${id}/halls/${x.hall_id}`); await drawInvitees(); }) }, '×')))));

		const q = h('input', { id: 'people-q', type: 'search', placeholder: t('editor.searchPeople') });
		const results = h('ul', { class: 'chips', id: 'people-results' });
		const search = async () => {
			const r = await api.get('/users?active=true&q=' + encodeURIComponent(q.value.trim()));
			replace(results, (r.users ?? []).slice(0, 12).map((/** @type {any} */ u) => h('li', {}, u.full_name, ' ',
				h('button', { type: 'button', class: 'small', 'data-user': u.username, onclick: () => act(async () => { await api.put(`/meetings/${id}/participants/${u.id}`, { role: 'delegate' }); await drawInvitees(); }) }, t('editor.addDelegate')))));
		};
		q.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); void act(search); } });
		replace(peopleBox, h('h2', {}, t('editor.people'), ' ', h('span', { class: 'muted' }, `(${inv.participants.length})`)),
			h('div', { class: 'row' }, h('label', { for: 'people-q', class: 'sr' }, t('editor.searchPeople')), q,
				h('button', { type: 'button', id: 'people-search', onclick: () => act(search) }, t('editor.search'))),
			results,
			h('ul', { class: 'people', id: 'people-list' }, inv.participants.map((/** @type {any} */ p) => h('li', {}, p.full_name, ' ', h('span', { class: 'muted' }, t('mrole.' + p.role)),
				p.role !== 'chair' && p.role !== 'secretary' && h('button', { type: 'button', class: 'small link', onclick: () => act(async () => { await api.del(`/meetings/${id}/participants/${p.user_id}`); await drawInvitees(); }) }, t('editor.remove'))))));
	}

	/** @param {any} u */
	function depth(u) {
		let d = 0, p = u;
		while (p?.parent_id && d < 6) { p = units.find((x) => x.id === p.parent_id); d++; }
		return d;
	}

	async function drawAgenda() {
		const items = (await api.get(`/meetings/${id}/agenda`)).items ?? [];
		const title = h('input', { id: 'item-title', placeholder: t('editor.itemTitle') });
		const minutes = h('input', { id: 'item-minutes', type: 'number', min: '1', max: '600', value: '15', class: 'num', 'aria-label': t('editor.minutes') });
		/** @param {any} it @param {number} pos */
		const move = (it, pos) => act(async () => { await api.post(`/meetings/${id}/agenda/${it.id}/move`, { position: pos }); await drawAgenda(); });
		/** @type {any} */ let dragged = null;
		const list = h('ol', { class: 'agenda-edit', id: 'agenda-list' }, items.map((/** @type {any} */ it, /** @type {number} */ i) => {
			const li = h('li', { draggable: 'true', 'data-item': String(it.id) },
				h('span', { class: 'grip', 'aria-hidden': 'true' }, '⋮⋮'),
				h('span', { class: 'grow' }, it.title, ' ', h('span', { class: 'muted' }, t('editor.minutesN', { n: it.planned_minutes }))),
				h('button', { type: 'button', class: 'small', disabled: i === 0, 'aria-label': t('editor.up') + ': ' + it.title, onclick: () => move(it, it.position - 1) }, '↑'),
				h('button', { type: 'button', class: 'small', disabled: i === items.length - 1, 'aria-label': t('editor.down') + ': ' + it.title, onclick: () => move(it, it.position + 1) }, '↓'),
				h('button', { type: 'button', class: 'small link', onclick: () => act(async () => { await api.del(`/meetings/${id}/agenda/${it.id}`); await drawAgenda(); }) }, t('editor.remove')));
			li.addEventListener('dragstart', (ev) => { dragged = it; ev.dataTransfer?.setData('text/plain', String(it.id)); li.classList.add('dragging'); });
			li.addEventListener('dragend', () => li.classList.remove('dragging'));
			li.addEventListener('dragover', (ev) => { ev.preventDefault(); li.classList.add('over'); });
			li.addEventListener('dragleave', () => li.classList.remove('over'));
			li.addEventListener('drop', (ev) => { ev.preventDefault(); li.classList.remove('over'); if (dragged && dragged.id !== it.id) void move(dragged, it.position); });
			return li;
		}));
		const add = h('form', { class: 'row' }, h('label', { for: 'item-title', class: 'sr' }, t('editor.itemTitle')), title, minutes,
			h('button', { type: 'submit', id: 'add-item' }, t('editor.addItem')));
		add.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			if (await act(() => api.post(`/meetings/${id}/agenda`, { title: title.value.trim(), planned_minutes: Number(minutes.value) }))) await drawAgenda();
			/** @type {HTMLInputElement|null} */ (agendaBox.querySelector('#item-title'))?.focus();
		});
		replace(agendaBox, h('h2', {}, t('room.agenda')), list, add);
		drawDocs(items);
	}

	/** @param {any[]} items */
	async function drawDocs(items) {
		const docs = (await api.get(`/meetings/${id}/documents`)).documents ?? [];
		const file = h('input', { type: 'file', id: 'doc-file', accept: '.pdf,.docx,.doc,.odt,.xlsx,.ods,.pptx,.odp' });
		const item = h('select', { id: 'doc-item' }, h('option', { value: '' }, t('editor.wholeMeeting')), items.map((it) => h('option', { value: it.id }, it.title)));
		const conf = h('input', { type: 'checkbox', id: 'doc-conf' });
		const progress = uploads;
		const upload = async () => {
			for (const fl of Array.from(file.files ?? [])) {
				const bar = h('progress', { max: '100', value: '0' });
				const row = h('li', {}, fl.name, bar);
				progress.append(row);
				const form = new FormData();
				form.append('title', fl.name.replace(/\.[^.]+$/, ''));
				if (item.value) form.append('item_id', item.value);
				form.append('confidential', conf.checked ? 'true' : 'false');
				form.append('file', fl);
				const ok = await act(() => api.upload(`/meetings/${id}/documents`, form, (s, tot) => { bar.value = tot ? (100 * s) / tot : 0; }));
				row.classList.add(ok ? 'done' : 'failed');
				if (ok) bar.value = 100;
			}
			await drawDocs(items);
		};
		replace(docsBox, h('h2', {}, t('room.documents')),
			docs.length ? h('ul', { id: 'doc-list' }, docs.map((/** @type {any} */ d) => h('li', {}, h('a', { href: `/documents/${d.id}` }, d.title), d.confidential ? ' 🔒' : '', ' ', h('span', { class: 'muted' }, 'v' + d.current_version))))
				: h('p', { class: 'muted' }, t('room.noDocuments')),
			h('div', { class: 'row' }, h('label', { for: 'doc-file', class: 'sr' }, t('editor.file')), file),
			h('div', { class: 'row' }, h('label', { for: 'doc-item' }, t('editor.forItem')), item, h('label', { class: 'check' }, conf, ' ', t('editor.confidential'))),
			h('button', { type: 'button', id: 'upload', onclick: () => void upload() }, t('editor.upload')),
			progress);
	}

	function drawPublish() {
		replace(publishBox, h('h2', {}, t('editor.publishTitle')),
			h('p', { class: 'muted' }, t('editor.publishHint')),
			m.status === 'draft'
				? h('button', { type: 'button', class: 'primary', id: 'publish', onclick: () => act(async () => { m = await api.post(`/meetings/${id}/publish`); drawPublish(); }) }, t('editor.publish'))
				: h('p', { class: 'ok', id: 'published' }, t('room.status.' + m.status)),
			h('p', {}, h('a', { href: `/meetings/${id}` }, t('editor.toRoom'))));
	}
	drawPublish();
	await Promise.all([drawInvitees(), drawAgenda()]);
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
