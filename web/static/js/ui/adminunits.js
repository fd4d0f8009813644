// The unit tree and its halls: pick a unit in the tree (only the admin's
// part of it), then rename it, change its code or level, move it, close
// or reopen it, add a unit under it, set how its conclusion notices are
// signed, and manage its halls.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { adminScope, adminPage, scopedUnitOptions, field, statusLine } from './admin.js';
import { forgetUnits } from './taskbits.js';

/** @type {import('./app.js').Screen} */
export async function adminUnitsScreen(main, ctx) {
	const api = ctx.api;
	let scope = await adminScope(api);
	const q = new URLSearchParams(location.search);
	let selected = Number(q.get('unit')) || (scope.global ? [...scope.all.values()].find((u) => !u.parent_id)?.id : scope.roots[0]) || 0;
	/** @type {Set<number>} units whose children are shown */
	const open = new Set([...scope.all.values()].filter((u) => !u.parent_id || scope.roots.includes(u.id)).map((u) => u.id));
	for (let u = scope.all.get(selected); u?.parent_id; u = scope.all.get(u.parent_id)) open.add(u.parent_id);

	const filter = h('input', { type: 'search', id: 'unit-filter', placeholder: t('admin.units.filter'), autocomplete: 'off' });
	const tree = h('ul', { class: 'unit-tree', id: 'unit-tree', role: 'list', 'aria-label': t('admin.units.tree') });
	const detail = h('div', { class: 'unit-detail', id: 'unit-detail', 'aria-live': 'polite' });
	adminPage(main, ctx, scope, t('admin.units.title'),
		h('div', { class: 'admin-grid' },
			h('div', { class: 'card' }, h('label', { for: 'unit-filter', class: 'sr' }, t('admin.units.filter')), filter, tree),
			detail));
	filter.addEventListener('input', drawTree);

	async function reload() {
		forgetUnits(api);
		scope = await adminScope(api);
		drawTree();
		await drawDetail();
	}

	function drawTree() {
		const needle = fold(filter.value.trim());
		const kids = (/** @type {number|null} */ parent) => [...scope.all.values()].filter((u) => (u.parent_id ?? null) === parent);
		/** @param {any} u */
		const matches = (u) => !needle || fold(u.name).includes(needle) || kids(u.id).some(matches);
		/** @param {any} u @returns {HTMLLIElement|null} */
		const node = (u) => {
			if (!matches(u)) return null;
			const children = kids(u.id);
			const shown = open.has(u.id) || !!needle;
			return h('li', { 'data-unit': String(u.id), class: u.active ? '' : 'inactive' },
				children.length ? h('button', { type: 'button', class: 'small link toggle', 'aria-expanded': String(shown),
					'aria-label': (shown ? t('admin.units.collapse') : t('admin.units.expand')) + ' ' + u.name,
					onclick: () => { if (open.has(u.id)) open.delete(u.id); else open.add(u.id); drawTree(); } }, shown ? '▾' : '▸')
					: h('span', { class: 'toggle', 'aria-hidden': 'true' }),
				h('button', { type: 'button', class: 'link pick', 'aria-current': u.id === selected ? 'true' : undefined, onclick: () => {
					selected = u.id;
					history.replaceState(null, '', '/admin/units?unit=' + u.id);
					drawTree();
					void drawDetail();
				} }, u.name),
				!u.active && h('span', { class: 'status s-cancelled' }, t('admin.inactive')),
				shown && children.length > 0 && h('ul', { role: 'list' }, children.map(node)));
		};
		const roots = scope.global ? kids(null) : scope.roots.map((id) => scope.all.get(id)).filter(Boolean);
		replace(tree, roots.map(node));
	}

	async function drawDetail() {
		const u = scope.all.get(selected);
		if (!u || !scope.inScope(u.id)) { replace(detail, h('p', { class: 'muted card' }, t('admin.units.pick'))); return; }
		const own = scope.ownsRecord(u.id);
		const msg = statusLine('unit-msg');
		const rank = scope.levels.find((l) => l.code === u.level)?.rank ?? 0;
		const parentRank = scope.levels.find((l) => l.code === scope.all.get(u.parent_id)?.level)?.rank ?? -1;
		/** @param {(l: any) => boolean} keep @param {string} [sel] */
		const levelOptions = (keep, sel) => scope.levels.filter(keep).map((l) => h('option', { value: l.code, selected: l.code === sel }, scope.levelName(l.code)));

		/** @param {() => Promise<any>} f @param {string} done */
		const act = async (f, done) => {
			msg.clear();
			try { await f(); await reload(); document.getElementById('unit-msg')?.replaceWith(msg.el); msg.ok(done); } catch (err) { msg.fail(errorMessage(err)); }
		};

		const name = h('input', { value: u.name, required: true, maxlength: 200 });
		const code = h('input', { value: u.code, required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
		const level = h('select', {}, levelOptions((l) => l.rank > parentRank, u.level));
		const edit = own && h('form', { class: 'card', id: 'unit-edit', 'aria-labelledby': 'unit-edit-h' },
			h('h2', { id: 'unit-edit-h' }, t('admin.units.edit')),
			h('div', { class: 'fields' }, field('unit-name', t('admin.units.name'), name), field('unit-code', t('admin.units.code'), code, t('admin.units.codeHint')),
				field('unit-level', t('admin.units.level'), level)),
			h('button', { type: 'submit', class: 'primary' }, t('admin.save')));
		edit && edit.addEventListener('submit', (/** @type {Event} */ ev) => {
			ev.preventDefault();
			void act(() => api.patch(`/units/${u.id}`, { name: name.value, code: code.value, level: level.value }), t('admin.saved'));
		});

		const skip = new Set([u.id, ...subtree(u.id)]);
		const parent = h('select', {}, scopedUnitOptions(scope, { selected: u.parent_id, activeOnly: true, skip }));
		const move = own && u.parent_id && h('form', { class: 'card', id: 'unit-move', 'aria-labelledby': 'unit-move-h' },
			h('h2', { id: 'unit-move-h' }, t('admin.units.move')),
			h('div', { class: 'fields' }, field('unit-parent', t('admin.units.parent'), parent)),
			h('button', { type: 'submit' }, t('admin.units.moveHere')));
		move && move.addEventListener('submit', (/** @type {Event} */ ev) => {
			ev.preventDefault();
			void act(() => api.post(`/units/${u.id}/move`, { parent_id: Number(parent.value) }), t('admin.units.moved'));
		});

		const cName = h('input', { required: true, maxlength: 200 });
		const cCode = h('input', { required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
		const cLevel = h('select', {}, levelOptions((l) => l.rank > rank));
		const create = u.active && cLevel.options.length > 0 && h('form', { class: 'card', id: 'unit-create', 'aria-labelledby': 'unit-create-h' },
			h('h2', { id: 'unit-create-h' }, t('admin.units.create', { parent: u.name })),
			h('div', { class: 'fields' }, field('child-name', t('admin.units.name'), cName), field('child-code', t('admin.units.code'), cCode, t('admin.units.codeHint')),
				field('child-level', t('admin.units.level'), cLevel)),
			h('button', { type: 'submit' }, t('admin.units.add')));
		create && create.addEventListener('submit', (/** @type {Event} */ ev) => {
			ev.preventDefault();
			void act(async () => {
				const c = await api.post('/units', { parent_id: u.id, name: cName.value, code: cCode.value, level: cLevel.value });
				open.add(u.id);
				selected = c.id;
			}, t('admin.units.created'));
		});

		replace(detail,
			h('div', { class: 'card' },
				h('h2', { id: 'unit-title' }, u.name, ' ', !u.active && h('span', { class: 'status s-cancelled' }, t('admin.inactive'))),
				h('dl', { class: 'facts' },
					h('dt', {}, t('admin.units.level')), h('dd', {}, scope.levelName(u.level)),
					h('dt', {}, t('admin.units.code')), h('dd', {}, h('code', {}, u.code)),
					h('dt', {}, t('admin.units.parent')), h('dd', {}, scope.all.get(u.parent_id)?.name ?? '—'),
					h('dt', {}, t('admin.units.people')), h('dd', {}, h('a', { href: `/admin/users?unit_id=${u.id}`, onclick: ctx.link(`/admin/users?unit_id=${u.id}`) }, t('admin.units.peopleN', { n: u.user_count })))),
				!own && h('p', { class: 'muted' }, t('admin.units.notYours')),
				own && u.parent_id && h('div', { class: 'actions' }, u.active
					? h('button', { type: 'button', id: 'unit-deactivate', onclick: () => void act(() => api.post(`/units/${u.id}/deactivate`), t('admin.units.deactivated')) }, t('admin.units.deactivate'))
					: h('button', { type: 'button', id: 'unit-reactivate', onclick: () => void act(() => api.post(`/units/${u.id}/reactivate`), t('admin.units.reactivated')) }, t('admin.units.reactivate'))),
				msg.el),
			await signatureCard(u), await hallsCard(u), edit, move, create);
	}

	/** @param {number} id @returns {number[]} */
	function subtree(id) {
		return [...scope.all.values()].filter((u) => u.parent_id === id).flatMap((u) => [u.id, ...subtree(u.id)]);
	}

	/** The signature block of the unit's conclusion notices. @param {any} u */
	async function signatureCard(u) {
		/** @type {any} */
		let sig = null;
		try { sig = await api.get(`/units/${u.id}/signature`); } catch { /* none of its own */ }
		const msg = statusLine('sig-msg');
		const authority = h('input', { value: sig?.authority ?? '', maxlength: 100, placeholder: t('admin.sig.authorityEx') });
		const title = h('input', { value: sig?.title ?? '', maxlength: 100, placeholder: t('admin.sig.positionEx') });
		const signer = h('input', { value: sig?.signer_name ?? '', maxlength: 200 });
		const form = h('form', { class: 'card', id: 'signature', 'aria-labelledby': 'sig-h' },
			h('h2', { id: 'sig-h' }, t('admin.sig.title')),
			h('p', { class: 'muted' }, sig ? t('admin.sig.own') : t('admin.sig.inherited')),
			h('div', { class: 'fields' }, field('sig-authority', t('admin.sig.authority'), authority), field('sig-title', t('admin.sig.position'), title),
				field('sig-name', t('admin.sig.name'), signer)),
			h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('admin.save')),
				sig && h('button', { type: 'button', id: 'sig-remove', onclick: async () => {
					try { await api.del(`/units/${u.id}/signature`); await drawDetail(); } catch (err) { msg.fail(errorMessage(err)); }
				} }, t('admin.sig.remove'))),
			msg.el);
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			try {
				await api.put(`/units/${u.id}/signature`, { authority: authority.value, title: title.value, signer_name: signer.value });
				msg.ok(t('admin.saved'));
			} catch (err) { msg.fail(errorMessage(err)); }
		});
		return form;
	}

	/** The unit's halls: rename, close, reopen, add. @param {any} u */
	async function hallsCard(u) {
		const msg = statusLine('hall-msg');
		/** @type {any[]} */
		const halls = (await api.get(`/halls?unit_id=${u.id}`)).halls ?? [];
		const hCode = h('input', { required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
		const hName = h('input', { required: true, maxlength: 200, value: t('admin.halls.defaultName', { unit: u.name }) });
		/** @param {() => Promise<any>} f @param {string} done */
		const act = async (f, done) => {
			try { await f(); replace(card, ...(await hallsCard(u)).childNodes); card.querySelector('#hall-msg')?.replaceWith(msg.el); msg.ok(done); } catch (err) { msg.fail(errorMessage(err)); }
		};
		const add = u.active && h('form', { class: 'row', id: 'hall-add' },
			h('label', { for: 'hall-code' }, t('admin.units.code')), hCode,
			h('label', { for: 'hall-name' }, t('admin.units.name')), hName,
			h('button', { type: 'submit' }, t('admin.halls.add')));
		hCode.id = 'hall-code';
		hName.id = 'hall-name';
		add && add.addEventListener('submit', (/** @type {Event} */ ev) => {
			ev.preventDefault();
			void act(() => api.post('/halls', { unit_id: u.id, code: hCode.value, name: hName.value }), t('admin.halls.created'));
		});
		const card = h('div', { class: 'card', id: 'halls' },
			h('h2', {}, t('admin.halls.title')),
			halls.length === 0 ? h('p', { class: 'muted' }, t('admin.halls.none')) : h('ul', { class: 'admin-list' }, halls.map((x) => {
				const nm = h('input', { value: x.name, maxlength: 200, 'aria-label': t('admin.halls.rename') + ' ' + x.name });
				return h('li', { 'data-hall': String(x.id) },
					nm, h('code', {}, x.code), !x.active && h('span', { class: 'status s-cancelled' }, t('admin.inactive')),
					h('button', { type: 'button', class: 'small', onclick: () => void act(() => api.patch(`/halls/${x.id}`, { name: nm.value }), t('admin.saved')) }, t('admin.halls.rename')),
					h('button', { type: 'button', class: 'small', onclick: () => void act(() => api.post(`/halls/${x.id}/${x.active ? 'deactivate' : 'reactivate'}`), t('admin.saved')) },
						x.active ? t('admin.halls.deactivate') : t('admin.halls.reactivate')));
			})),
			add, msg.el);
		return card;
	}

	/**
	 * The tree's levels (province-wide admins): rank 0 is the top; a child
	 * ranks below its parent, so a province without districts simply has
	 * no unit at that level.
	 */
	function levelsCard() {
		const msg = statusLine('level-msg');
		/** @param {any} l */
		const row = (l) => {
			const code = h('input', { value: l?.code ?? '', required: true, maxlength: 32, readonly: !!l, autocapitalize: 'none', spellcheck: 'false', 'aria-label': t('admin.units.code') });
			const rank = h('input', { type: 'number', min: 0, max: 100, value: l?.rank ?? scope.levels.length, class: 'num', 'aria-label': t('admin.levels.rank') });
			const vi = h('input', { value: l?.name_vi ?? '', required: true, maxlength: 200, 'aria-label': t('admin.levels.nameVi') });
			const en = h('input', { value: l?.name_en ?? '', required: true, maxlength: 200, 'aria-label': t('admin.levels.nameEn') });
			const form = h('form', { class: 'row', 'data-level': l?.code ?? '' }, code, rank, vi, en, h('button', { type: 'submit', class: 'small' }, l ? t('admin.save') : t('admin.levels.add')));
			form.addEventListener('submit', async (/** @type {Event} */ ev) => {
				ev.preventDefault();
				try {
					await api.put(`/unit-levels/${encodeURIComponent(code.value.trim())}`, { rank: Number(rank.value), name_vi: vi.value, name_en: en.value });
					scope = await adminScope(api);
					replace(card, ...levelsCard().childNodes);
					card.querySelector('#level-msg')?.replaceWith(msg.el);
					msg.ok(t('admin.saved'));
				} catch (err) { msg.fail(errorMessage(err)); }
			});
			return h('li', {}, form);
		};
		const card = h('details', { class: 'card', id: 'levels' },
			h('summary', {}, t('admin.levels.title')),
			h('p', { class: 'muted' }, t('admin.levels.help')),
			h('ul', { class: 'admin-list' }, scope.levels.map(row), row(null)),
			msg.el);
		return card;
	}

	drawTree();
	await drawDetail();
	if (scope.global) main.querySelector('.admin')?.append(levelsCard());
}

/** fold drops diacritics for the tree's filter ("lam ha" finds "Lâm Hà"). @param {string} s */
function fold(s) {
	return s.normalize('NFD').replace(/\p{Mn}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}
