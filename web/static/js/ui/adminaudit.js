// The audit log for province-wide admins: filters (action, object, person),
// newest first with paging backwards, each row's detail, and "verify the
// chain", which recomputes every row's hash and names the first broken row.

import { errorMessage } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { adminScope, adminPage, field, statusLine, stackable } from './admin.js';

/** Action families an administrator filters by (prefixes end with "."). */
const families = ['auth.', 'user.', 'unit.', 'hall.', 'meeting.', 'document.', 'minutes.', 'task.'];

/** @type {import('./app.js').Screen} */
export async function adminAuditScreen(main, ctx) {
	const api = ctx.api;
	const scope = await adminScope(api);
	if (!scope.global) {
		adminPage(main, ctx, scope, t('admin.audit.title'), h('p', { class: 'notice', role: 'alert' }, t('admin.audit.globalOnly')));
		return;
	}
	const q = new URLSearchParams(location.search);
	const f = {
		family: h('select', {}, h('option', { value: '' }, t('admin.audit.allActions')),
			families.map((x) => h('option', { value: x, selected: q.get('action') === x }, t('admin.audit.family.' + x.slice(0, -1))))),
		action: h('input', { value: q.get('action') && !families.includes(q.get('action') ?? '') ? q.get('action') : '', placeholder: 'user.roles', autocapitalize: 'none', spellcheck: 'false' }),
		type: h('input', { value: q.get('object_type') ?? '', placeholder: 'user', autocapitalize: 'none', spellcheck: 'false' }),
		object: h('input', { value: q.get('object_id') ?? '', inputmode: 'numeric' }),
		actor: h('input', { value: q.get('actor_id') ?? '', inputmode: 'numeric' }),
	};
	const verify = statusLine('audit-verify-result');
	const list = h('div', { id: 'audit-list', 'aria-live': 'polite' });
	const filters = h('form', { class: 'card filters', id: 'audit-filters', role: 'search', 'aria-label': t('admin.audit.filters') },
		h('div', { class: 'fields' },
			field('a-family', t('admin.audit.family'), f.family), field('a-action', t('admin.audit.action'), f.action),
			field('a-type', t('admin.audit.objectType'), f.type), field('a-object', t('admin.audit.objectId'), f.object),
			field('a-actor', t('admin.audit.actorId'), f.actor)),
		h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('admin.audit.apply')),
			h('button', { type: 'reset' }, t('admin.audit.clear'))));
	adminPage(main, ctx, scope, t('admin.audit.title'),
		h('div', { class: 'card', id: 'audit-verify' },
			h('p', {}, t('admin.audit.verifyHelp')),
			h('button', { type: 'button', id: 'audit-verify-run', onclick: async (/** @type {Event} */ ev) => {
				const b = /** @type {HTMLButtonElement} */ (ev.currentTarget);
				b.disabled = true;
				verify.clear();
				verify.el.textContent = t('admin.audit.verifying');
				try {
					const r = await api.get('/audit/verify');
					if (r.intact) verify.ok(t('admin.audit.intact', { n: r.rows }));
					else verify.fail(t('admin.audit.broken', { id: r.broken_at, n: r.rows, reason: r.reason }));
				} catch (err) { verify.fail(errorMessage(err)); } finally { b.disabled = false; }
			} }, t('admin.audit.verify')),
			verify.el),
		filters, list);

	filters.addEventListener('submit', (ev) => { ev.preventDefault(); void load(0); });
	filters.addEventListener('reset', () => { setTimeout(() => void load(0)); });
	f.family.addEventListener('change', () => { f.action.value = ''; void load(0); });

	/** @param {number} before */
	async function load(before) {
		const p = new URLSearchParams();
		const action = f.action.value.trim() || f.family.value;
		if (action) p.set('action', action);
		if (f.type.value.trim()) p.set('object_type', f.type.value.trim());
		if (f.object.value.trim()) p.set('object_id', f.object.value.trim());
		if (f.actor.value.trim()) p.set('actor_id', f.actor.value.trim());
		if (before === 0) history.replaceState(null, '', '/admin/audit' + (p.size ? '?' + p : ''));
		p.set('limit', '50');
		if (before) p.set('before', String(before));
		list.setAttribute('aria-busy', 'true');
		let res;
		try { res = await api.get('/audit?' + p); } catch (err) {
			list.removeAttribute('aria-busy');
			replace(list, h('p', { class: 'notice', role: 'alert' }, errorMessage(err)));
			return;
		}
		list.removeAttribute('aria-busy');
		/** @type {any[]} */
		const rows = res.entries ?? [];
		const trs = rows.flatMap((e) => {
			const detail = h('tr', { class: 'audit-detail', hidden: true }, h('td', { colspan: 6 }, h('pre', { class: 'pre' }, JSON.stringify(e.detail, null, 2))));
			const toggle = h('button', { type: 'button', class: 'small link', 'aria-expanded': 'false', onclick: () => {
				detail.hidden = !detail.hidden;
				toggle.setAttribute('aria-expanded', String(!detail.hidden));
			} }, t('admin.audit.detail'));
			return [h('tr', { 'data-audit': String(e.id), 'data-action': e.action },
				h('td', { class: 'num' }, e.id),
				h('td', { class: 'nowrap' }, formatDateTime(e.at)),
				h('td', {}, e.actor_id ? h('button', { type: 'button', class: 'link', title: t('admin.audit.byActor'), onclick: () => {
					f.actor.value = String(e.actor_id);
					void load(0);
				} }, e.actor_name) : e.actor_name || '—'),
				h('td', {}, h('code', {}, e.action)),
				h('td', {}, objectLink(e), e.ip ? h('div', { class: 'muted' }, e.ip) : ''),
				h('td', {}, e.detail && Object.keys(e.detail).length ? toggle : '')), detail];
		});
		const more = res.next_before && h('button', { type: 'button', id: 'audit-more', onclick: () => void load(res.next_before) }, t('admin.audit.older'));
		if (before) {
			list.querySelector('#audit-more')?.remove();
			list.querySelector('tbody')?.append(...trs);
			const table = list.querySelector('table');
			if (table) stackable(table);
			if (more) list.append(more);
			return;
		}
		replace(list, rows.length === 0 ? h('p', { class: 'muted card', id: 'audit-none' }, t('admin.audit.none')) :
			h('div', { class: 'card table-wrap' }, stackable(h('table', { class: 'tasks-table admin-table', id: 'audit-table' },
				h('thead', {}, h('tr', {}, ['id', 'at', 'actor', 'action', 'object', 'detail'].map((c) => h('th', { scope: 'col' }, t('admin.audit.th.' + c))))),
				h('tbody', {}, trs)))), more);
	}
	await load(0);

	/** An object the admin screens show opens there. @param {any} e */
	function objectLink(e) {
		const text = e.object_type + (e.object_id ? ' #' + e.object_id : '');
		const path = !/^\d+$/.test(e.object_id ?? '') ? '' : e.object_type === 'user' ? `/admin/users/${e.object_id}`
			: e.object_type === 'unit' ? `/admin/units?unit=${e.object_id}` : e.object_type === 'meeting' ? `/meetings/${e.object_id}` : '';
		return path ? h('a', { href: path, onclick: ctx.link(path) }, text) : text;
	}
}
