// The agenda and the documents of the meeting editor: each item with its
// presenter, planned start, length and description, drag-to-reorder (and
// arrow buttons for the keyboard), and the documents under the item they
// belong to; the upload form takes a title, the item, and for a
// confidential document the people allowed to read it; each document takes
// a new version, its readers (if confidential) and links to who has read it.

import { t, formatTime, formatDate, parseVNDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { peoplePicker } from './people.js';

/**
 * @typedef {object} AgendaCtx
 * @property {import('../api.js').Api} api
 * @property {number} id meeting id
 * @property {any} meeting
 * @property {Map<number, any>} units
 * @property {(f: () => Promise<unknown>) => Promise<boolean>} act runs f, showing its error
 * @property {() => any[]} people the meeting's participants
 */

/**
 * agendaSection draws the agenda with its documents into box.
 * @param {HTMLElement} box
 * @param {AgendaCtx} c
 */
export async function agendaSection(box, c) {
	const { api, id, act } = c;
	/** @type {Map<number, string>} */ const names = new Map();
	const uploads = h('ul', { class: 'uploads', id: 'uploads' });
	const itemsBox = h('div', {});
	const addBox = h('div', {});
	const docsBox = h('div', {});
	replace(box, h('h2', {}, t('room.agenda')), itemsBox, addBox, docsBox);

	/** @param {number|null|undefined} uid */
	const nameOf = (uid) => {
		if (!uid) return '';
		const p = c.people().find((x) => x.user_id === uid);
		return p?.full_name ?? names.get(uid) ?? '#' + uid;
	};

	async function draw() {
		const [ag, dl] = await Promise.all([api.get(`/meetings/${id}/agenda`), api.get(`/meetings/${id}/documents`)]);
		/** @type {any[]} */ const items = ag.items ?? [];
		/** @type {any[]} */ const docs = dl.documents ?? [];
		// Presenters not among the participants: their names once.
		await Promise.all(items.filter((it) => it.presenter_user_id && !c.people().some((p) => p.user_id === it.presenter_user_id) && !names.has(it.presenter_user_id))
			.map((it) => api.get(`/users/${it.presenter_user_id}`).then((u) => names.set(u.id, u.full_name), () => {})));
		drawItems(items, docs);
		drawDocs(items, docs);
	}

	/** @param {any[]} items @param {any[]} docs */
	function drawItems(items, docs) {
		/** @param {any} it @param {number} pos */
		const move = (it, pos) => act(async () => { await api.post(`/meetings/${id}/agenda/${it.id}/move`, { position: pos }); await draw(); });
		/** @type {any} */ let dragged = null;
		const list = h('ol', { class: 'agenda-edit', id: 'agenda-list' }, items.map((it, i) => {
			const itemDocs = docs.filter((d) => d.item_id === it.id);
			const li = h('li', { draggable: 'true', 'data-item': String(it.id) },
				h('span', { class: 'grip', 'aria-hidden': 'true' }, '⋮⋮'),
				h('div', { class: 'grow' },
					h('strong', { class: 'item-title' }, it.title), ' ',
					h('span', { class: 'muted' }, it.planned_at ? t('editor.plannedN', { time: formatTime(it.planned_at) }) + ' · ' : '', t('editor.minutesN', { n: it.planned_minutes })),
					it.presenter_user_id ? h('div', { class: 'item-presenter' }, t('editor.presenterN', { name: nameOf(it.presenter_user_id) })) : null,
					it.description ? h('div', { class: 'item-desc muted' }, it.description) : null,
					itemDocs.length ? h('ul', { class: 'item-docs' }, itemDocs.map((d) => h('li', {}, '📄 ', h('a', { href: `/documents/${d.id}` }, d.title), d.confidential ? ' 🔒' : ''))) : null),
				h('button', { type: 'button', class: 'small', disabled: i === 0, 'aria-label': t('editor.up') + ': ' + it.title, onclick: () => move(it, it.position - 1) }, '↑'),
				h('button', { type: 'button', class: 'small', disabled: i === items.length - 1, 'aria-label': t('editor.down') + ': ' + it.title, onclick: () => move(it, it.position + 1) }, '↓'),
				h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ': ' + it.title, onclick: () => act(async () => { await api.del(`/meetings/${id}/agenda/${it.id}`); await draw(); }) }, t('editor.remove')));
			li.addEventListener('dragstart', (ev) => { dragged = it; ev.dataTransfer?.setData('text/plain', String(it.id)); li.classList.add('dragging'); });
			li.addEventListener('dragend', () => li.classList.remove('dragging'));
			li.addEventListener('dragover', (ev) => { ev.preventDefault(); li.classList.add('over'); });
			li.addEventListener('dragleave', () => li.classList.remove('over'));
			li.addEventListener('drop', (ev) => { ev.preventDefault(); li.classList.remove('over'); if (dragged && dragged.id !== it.id) void move(dragged, it.position); });
			return li;
		}));
		replace(itemsBox, list);
	}

	// The add form is drawn once: a redraw of the list keeps what is typed.
	const title = h('input', { id: 'item-title', required: true });
	const minutes = h('input', { id: 'item-minutes', type: 'number', min: '0', max: '600', value: '15', class: 'num' });
	const planned = h('input', { id: 'item-time', inputmode: 'numeric', placeholder: 'hh:mm', pattern: '\\d{1,2}:\\d{2}', class: 'time', 'aria-describedby': 'item-time-hint' });
	const desc = h('textarea', { id: 'item-desc', rows: 2 });
	/** @type {any} */ let presenter = null;
	const presenterShown = h('p', { class: 'muted', id: 'item-presenter' }, t('editor.noPresenter'));
	const drawPresenter = () => replace(presenterShown, presenter
		? [t('editor.presenterN', { name: presenter.full_name }), ' ', h('button', { type: 'button', class: 'small link', onclick: () => { presenter = null; drawPresenter(); } }, t('editor.remove'))]
		: [t('editor.noPresenter')]);
	const addForm = h('form', { class: 'add-item', id: 'add-item-form', novalidate: true },
		h('h3', {}, t('editor.addItem')),
		h('div', { class: 'fields' },
			h('div', { class: 'field wide' }, h('label', { for: 'item-title' }, t('editor.itemTitle')), title),
			h('div', { class: 'field' }, h('label', { for: 'item-time' }, t('editor.itemPlanned')), planned, h('span', { class: 'muted small', id: 'item-time-hint' }, t('editor.timeHint'))),
			h('div', { class: 'field' }, h('label', { for: 'item-minutes' }, t('editor.minutes')), minutes),
			h('div', { class: 'field wide' }, h('label', { for: 'item-desc' }, t('editor.itemDescription')), desc)),
		h('div', { class: 'presenter-pick' },
			peoplePicker(api, c.units, { id: 'item-presenter-q', label: t('editor.itemPresenter'), action: t('editor.choose'), onPick: (u) => { presenter = u; names.set(u.id, u.full_name); drawPresenter(); } }),
			presenterShown),
		h('button', { type: 'submit', id: 'add-item' }, t('editor.addItem')));
	addForm.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		/** @type {Record<string, unknown>} */
		const body = { title: title.value.trim(), planned_minutes: Number(minutes.value) || 0, description: desc.value.trim() };
		if (presenter) body.presenter_user_id = presenter.id;
		if (planned.value.trim()) {
			const at = parseVNDateTime(formatDate(c.meeting.starts_at), planned.value);
			if (!at) { planned.focus(); await act(() => Promise.reject(new Error(t('editor.badDate')))); return; }
			body.planned_at = at.toISOString();
		}
		if (await act(() => api.post(`/meetings/${id}/agenda`, body))) {
			title.value = ''; planned.value = ''; desc.value = ''; presenter = null; drawPresenter();
			await draw();
		}
		title.focus();
	});
	replace(addBox, addForm);

	/** @param {any[]} items @param {any[]} docs */
	function drawDocs(items, docs) {
		const itemName = (/** @type {number|null} */ iid) => items.find((i) => i.id === iid)?.title ?? t('editor.wholeMeeting');
		replace(docsBox, h('h3', {}, t('room.documents')),
			docs.length ? h('ul', { id: 'doc-list', class: 'doc-list' }, docs.map((d) => docRow(d, itemName(d.item_id))))
				: h('p', { class: 'muted' }, t('room.noDocuments')),
			uploadForm(items),
			uploads);
	}

	/** @param {any} d @param {string} where */
	function docRow(d, where) {
		const vfile = h('input', { type: 'file', id: `doc-v-${d.id}`, class: 'version-file', accept: '.pdf,.docx,.doc,.odt,.xlsx,.ods,.pptx,.odp' });
		const readers = d.confidential ? readersEditor(d.allowed_user_ids ?? [], (ids) => act(async () => { await api.patch(`/documents/${d.id}`, { allowed_user_ids: ids }); await draw(); })) : null;
		return h('li', { 'data-doc': String(d.id) },
			h('div', {}, h('a', { href: `/documents/${d.id}` }, d.title), d.confidential ? h('span', { class: 'badge' }, t('viewer.confidential')) : '', ' ',
				h('span', { class: 'muted' }, 'v' + d.current_version, ' · ', where, ' · '), h('a', { href: `/documents/${d.id}#doc-reads` }, t('editor.whoRead'))),
			h('div', { class: 'row' },
				h('label', { for: `doc-v-${d.id}`, class: 'sr' }, t('editor.versionFile', { title: d.title })), vfile,
				h('button', { type: 'button', class: 'small', 'data-version-of': String(d.id), onclick: () => {
					const fl = vfile.files?.[0];
					if (!fl) { vfile.focus(); return; }
					const form = new FormData();
					form.append('file', fl);
					void send(fl.name, `/documents/${d.id}/versions`, form);
				} }, t('editor.newVersion'))),
			readers);
	}

	/**
	 * readersEditor picks the people allowed to read a confidential document.
	 * @param {number[]} ids
	 * @param {(ids: number[]) => unknown} onChange
	 */
	function readersEditor(ids, onChange) {
		const chips = h('ul', { class: 'chips' }, ids.length === 0 ? h('li', { class: 'none muted' }, t('editor.noReaders'))
			: ids.map((uid) => h('li', { 'data-user-id': String(uid) }, nameOf(uid),
				h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ' ' + nameOf(uid), onclick: () => onChange(ids.filter((x) => x !== uid)) }, '×'))));
		return h('div', { class: 'readers' }, h('span', { class: 'muted' }, t('editor.readers')), chips,
			peoplePicker(api, c.units, { id: `readers-q-${++readerSeq}`, label: t('editor.addReader'), action: t('editor.addReader'),
				onPick: (u) => { names.set(u.id, u.full_name); if (!ids.includes(u.id)) onChange([...ids, u.id]); } }));
	}
	let readerSeq = 0;

	/** @type {any[]} */ let newReaders = [];
	/** @param {any[]} items */
	function uploadForm(items) {
		const file = h('input', { type: 'file', id: 'doc-file', accept: '.pdf,.docx,.doc,.odt,.xlsx,.ods,.pptx,.odp' });
		const dtitle = h('input', { id: 'doc-title', maxlength: 500 });
		file.addEventListener('change', () => { if (!dtitle.value.trim() && file.files?.[0]) dtitle.value = file.files[0].name.replace(/\.[^.]+$/, ''); });
		const item = h('select', { id: 'doc-item' }, h('option', { value: '' }, t('editor.wholeMeeting')), items.map((it) => h('option', { value: it.id }, it.title)));
		const conf = h('input', { type: 'checkbox', id: 'doc-conf' });
		const readersBox = h('div', { id: 'doc-readers', hidden: true });
		const drawReaders = () => replace(readersBox, readersEditor(newReaders.map((u) => u.id), (ids) => { newReaders = ids.map((x) => ({ id: x })); drawReaders(); }));
		conf.addEventListener('change', () => { readersBox.hidden = !conf.checked; if (conf.checked) drawReaders(); });
		const upload = async () => {
			const fl = file.files?.[0];
			if (!fl) { file.focus(); return; }
			const form = new FormData();
			form.append('title', dtitle.value.trim() || fl.name.replace(/\.[^.]+$/, ''));
			if (item.value) form.append('item_id', item.value);
			form.append('confidential', conf.checked ? 'true' : 'false');
			if (conf.checked && newReaders.length) form.append('allowed_user_ids', newReaders.map((u) => u.id).join(','));
			form.append('file', fl);
			if (await send(fl.name, `/meetings/${id}/documents`, form)) newReaders = [];
		};
		return h('div', { class: 'upload-form' },
			h('h3', {}, t('editor.upload')),
			h('div', { class: 'fields' },
				h('div', { class: 'field' }, h('label', { for: 'doc-file' }, t('editor.file')), file),
				h('div', { class: 'field' }, h('label', { for: 'doc-title' }, t('editor.docTitle')), dtitle),
				h('div', { class: 'field' }, h('label', { for: 'doc-item' }, t('editor.forItem')), item)),
			h('label', { class: 'check' }, conf, ' ', t('editor.confidential')),
			readersBox,
			h('button', { type: 'button', id: 'upload', onclick: () => void upload() }, t('editor.upload')));
	}

	/**
	 * send uploads with a progress row that outlives the redraw.
	 * @param {string} name @param {string} path @param {FormData} form
	 */
	async function send(name, path, form) {
		const bar = h('progress', { max: '100', value: '0', 'aria-label': name });
		const row = h('li', {}, name, bar);
		uploads.append(row);
		const ok = await act(() => api.upload(path, form, (s, tot) => { bar.value = tot ? (100 * s) / tot : 0; }));
		row.classList.add(ok ? 'done' : 'failed');
		if (ok) bar.value = 100;
		await draw();
		return ok;
	}

	await draw();
}
