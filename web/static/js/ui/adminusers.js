// Users: the list (search, unit, role, closed accounts), a new account,
// and one account's page: profile and unit, roles with their scope, a new
// temporary password, closing and reopening. A scoped admin lists and
// manages only the people of its part of the tree (the server filters).

import { errorMessage } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { adminScope, adminPage, scopedUnitOptions, field, statusLine, stackable } from './admin.js';

const roles = ['admin', 'secretary', 'chair', 'delegate', 'hall_operator', 'observer'];
const pageSize = 50;

/** @type {import('./app.js').Screen} */
export async function adminUsersScreen(main, ctx) {
	const api = ctx.api;
	const scope = await adminScope(api);
	const q = new URLSearchParams(location.search);
	const f = {
		q: h('input', { type: 'search', value: q.get('q') ?? '', autocomplete: 'off' }),
		unit: h('select', {}, h('option', { value: '' }, scope.global ? t('admin.users.allUnits') : t('admin.users.myUnits')),
			scopedUnitOptions(scope, { selected: Number(q.get('unit_id')) || null })),
		role: h('select', {}, h('option', { value: '' }, t('admin.users.allRoles')), roles.map((r) => h('option', { value: r, selected: q.get('role') === r }, t('role.' + r)))),
		active: h('input', { type: 'checkbox', id: 'f-active', checked: q.get('active') === 'true' }),
	};
	const list = h('div', { id: 'user-list', 'aria-live': 'polite' });
	const filters = h('form', { class: 'card filters', id: 'user-filters', role: 'search', 'aria-label': t('admin.users.filters') },
		h('div', { class: 'fields' }, field('f-q', t('admin.users.search'), f.q), field('f-unit', t('admin.users.unit'), f.unit), field('f-role', t('admin.users.role'), f.role),
			h('label', { class: 'check' }, f.active, ' ', t('admin.users.activeOnly'))));
	adminPage(main, ctx, scope, t('admin.users.title'),
		h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'user-new', onclick: () => { form.hidden = false; form.querySelector('select')?.focus(); } }, t('admin.users.new')),
			h('a', { class: 'button', href: '/admin/import', onclick: ctx.link('/admin/import') }, t('admin.tab.import'))),
		newUserForm(), filters, list);
	/** @type {HTMLFormElement} */
	const form = /** @type {any} */ (main.querySelector('#user-create'));

	let timer = 0;
	filters.addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(() => void load(0), 250); });
	filters.addEventListener('change', () => void load(0));
	filters.addEventListener('submit', (ev) => { ev.preventDefault(); void load(0); });

	/** @param {number} offset */
	async function load(offset) {
		const p = new URLSearchParams({ limit: String(pageSize), offset: String(offset) });
		if (f.q.value.trim()) p.set('q', f.q.value.trim());
		if (f.unit.value) { p.set('unit_id', f.unit.value); p.set('include_descendants', 'true'); }
		if (f.role.value) p.set('role', f.role.value);
		if (f.active.checked) p.set('active', 'true');
		const url = new URLSearchParams(p);
		url.delete('limit'); url.delete('offset'); url.delete('include_descendants');
		history.replaceState(null, '', '/admin/users' + (url.size ? '?' + url : ''));
		list.setAttribute('aria-busy', 'true');
		let res;
		try { res = await api.get('/users?' + p); } catch (err) {
			list.removeAttribute('aria-busy');
			replace(list, h('p', { class: 'notice', role: 'alert' }, errorMessage(err)));
			return;
		}
		list.removeAttribute('aria-busy');
		/** @type {any[]} */
		const us = res.users ?? [];
		const rows = us.map((u) => h('tr', { 'data-user': String(u.id), 'data-username': u.username },
			h('td', {}, h('a', { href: `/admin/users/${u.id}`, onclick: ctx.link(`/admin/users/${u.id}`) }, u.full_name), h('div', { class: 'muted' }, u.position)),
			h('td', {}, h('code', {}, u.username)),
			h('td', {}, scope.all.get(u.unit_id)?.name ?? '#' + u.unit_id),
			h('td', {}, grantsText(scope, u.grants)),
			h('td', {}, accountState(u))));
		replace(list, h('p', { class: 'muted', id: 'user-count' }, t('admin.users.count', { n: res.total ?? us.length })),
			us.length === 0 ? h('p', { class: 'muted card' }, t('admin.users.none')) :
				h('div', { class: 'card table-wrap' }, stackable(h('table', { class: 'tasks-table admin-table' },
					h('thead', {}, h('tr', {}, [t('admin.users.name'), t('admin.users.username'), t('admin.users.unit'), t('admin.users.roles'), t('admin.users.state')].map((x) => h('th', { scope: 'col' }, x)))),
					h('tbody', {}, rows)))),
			h('div', { class: 'pager' },
				offset > 0 && h('button', { type: 'button', onclick: () => void load(Math.max(0, offset - pageSize)) }, t('admin.prev')),
				offset + us.length < (res.total ?? 0) && h('button', { type: 'button', id: 'users-next', onclick: () => void load(offset + pageSize) }, t('admin.next'))));
	}

	function newUserForm() {
		const msg = statusLine('create-msg');
		const unit = h('select', { required: true }, scopedUnitOptions(scope, { activeOnly: true, selected: Number(q.get('unit_id')) || null }));
		const username = h('input', { required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
		const name = h('input', { required: true, maxlength: 200 });
		const email = h('input', { type: 'email', maxlength: 254 });
		const position = h('input', { maxlength: 200 });
		const personalId = personalIdInput('new-personal-id', '');
		const delegate = h('input', { type: 'checkbox', id: 'new-delegate', checked: true });
		const out = h('div', { id: 'create-result' });
		const form = h('form', { class: 'card', id: 'user-create', hidden: true, 'aria-labelledby': 'user-create-h' },
			h('h2', { id: 'user-create-h' }, t('admin.users.new')),
			h('div', { class: 'fields' }, field('new-unit', t('admin.users.unit'), unit), field('new-username', t('admin.users.username'), username),
				field('new-name', t('admin.users.name'), name), field('new-email', t('admin.users.email'), email), field('new-position', t('admin.users.position'), position),
				personalIdField('new-personal-id', personalId)),
			h('label', { class: 'check' }, delegate, ' ', t('admin.users.asDelegate')),
			h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('admin.users.create')),
				h('button', { type: 'button', onclick: () => { form.hidden = true; } }, t('admin.cancel'))),
			msg.el, out);
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			msg.clear();
			try {
				const r = await api.post('/users', { unit_id: Number(unit.value), username: username.value, full_name: name.value, email: email.value,
					position: position.value, personal_id: personalId.value, grants: delegate.checked ? [{ role: 'delegate' }] : [] });
				replace(out, temporaryPassword(r.user.username, r.temporary_password));
				msg.ok(t('admin.users.created', { name: r.user.full_name }));
				for (const x of [username, name, email, position, personalId]) x.value = '';
				await load(0);
			} catch (err) { msg.fail(errorMessage(err)); }
		});
		return form;
	}
	await load(0);
}

/** @type {import('./app.js').Screen} */
export async function adminUserScreen(main, ctx, params) {
	const api = ctx.api;
	const scope = await adminScope(api);
	const id = Number(params.id);
	const [u, halls, methods] = await Promise.all([api.get(`/users/${id}`), api.get('/halls?active=true').then((r) => r.halls ?? [], () => []),
		api.methods().catch(() => ({ password: true }))]);
	const msg = statusLine('user-msg');
	const self = id === scope.me;

	const unit = h('select', {}, scopedUnitOptions(scope, { activeOnly: true, selected: u.unit_id }));
	const name = h('input', { value: u.full_name, required: true, maxlength: 200 });
	const email = h('input', { type: 'email', value: u.email ?? '', maxlength: 254 });
	const position = h('input', { value: u.position ?? '', maxlength: 200 });
	const personalId = personalIdInput('u-personal-id', u.personal_id ?? '');
	const profile = h('form', { class: 'card', id: 'user-profile', 'aria-labelledby': 'profile-h' },
		h('h2', { id: 'profile-h' }, t('admin.users.profile')),
		h('div', { class: 'fields' }, field('u-name', t('admin.users.name'), name), field('u-email', t('admin.users.email'), email),
			field('u-position', t('admin.users.position'), position), field('u-unit', t('admin.users.unit'), unit),
			personalIdField('u-personal-id', personalId)),
		h('button', { type: 'submit', class: 'primary' }, t('admin.save')));
	profile.addEventListener('submit', (ev) => {
		ev.preventDefault();
		void act(() => api.patch(`/users/${id}`, { full_name: name.value, email: email.value, position: position.value, unit_id: Number(unit.value), personal_id: personalId.value }), t('admin.saved'));
	});

	/** @type {any[]} */
	let grants = (u.grants ?? []).map((/** @type {any} */ g) => ({ ...g }));
	const grantList = h('ul', { class: 'admin-list', id: 'grant-list' });
	const drawGrants = () => replace(grantList, grants.length === 0 ? h('li', { class: 'muted' }, t('admin.users.noRoles')) : grants.map((g, i) => {
		const role = h('select', { 'aria-label': t('admin.users.role') }, roles.map((r) => h('option', { value: r, selected: r === g.role }, t('role.' + r))));
		const where = g.role === 'hall_operator'
			? h('select', { 'aria-label': t('admin.users.hall') }, halls.filter((/** @type {any} */ x) => scope.inScope(x.unit_id)).map((/** @type {any} */ x) => h('option', { value: x.id, selected: x.id === g.hall_id }, x.name)))
			: h('select', { 'aria-label': t('admin.users.scope') },
				scope.global && h('option', { value: '', selected: g.scope_unit_id == null }, t('admin.users.provinceWide')),
				!scope.global && ['delegate', 'observer'].includes(g.role) && h('option', { value: '', selected: g.scope_unit_id == null }, t('admin.users.provinceWide')),
				scopedUnitOptions(scope, { selected: g.scope_unit_id ?? null }));
		role.addEventListener('change', () => { grants[i] = { role: role.value }; if (!scope.global && !['delegate', 'observer'].includes(role.value)) grants[i].scope_unit_id = scope.roots[0]; drawGrants(); });
		where.addEventListener('change', () => {
			if (g.role === 'hall_operator') g.hall_id = Number(where.value);
			else g.scope_unit_id = where.value ? Number(where.value) : null;
		});
		if (g.role === 'hall_operator' && !g.hall_id) g.hall_id = Number(where.value) || undefined;
		if (g.role !== 'hall_operator' && g.scope_unit_id === undefined && where.value) g.scope_unit_id = Number(where.value);
		return h('li', { 'data-grant': g.role }, role, where,
			h('button', { type: 'button', class: 'small link', 'aria-label': t('admin.users.removeRole') + ' ' + t('role.' + g.role), onclick: () => { grants.splice(i, 1); drawGrants(); } }, '×'));
	}));
	drawGrants();
	const rolesCard = h('form', { class: 'card', id: 'user-roles', 'aria-labelledby': 'roles-h' },
		h('h2', { id: 'roles-h' }, t('admin.users.roles')),
		self && h('p', { class: 'muted' }, t('admin.users.ownRoles')),
		grantList,
		!self && h('div', { class: 'actions' },
			h('button', { type: 'button', id: 'role-add', onclick: () => { grants.push(scope.global ? { role: 'delegate', scope_unit_id: null } : { role: 'delegate' }); drawGrants(); } }, t('admin.users.addRole')),
			h('button', { type: 'submit', class: 'primary', id: 'roles-save' }, t('admin.users.saveRoles'))));
	rolesCard.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = grants.map((g) => g.role === 'hall_operator' ? { role: g.role, hall_id: g.hall_id } : { role: g.role, scope_unit_id: g.scope_unit_id ?? null });
		void act(async () => { const r = await api.put(`/users/${id}/roles`, { grants: body }); grants = r.grants.map((/** @type {any} */ g) => ({ ...g })); drawGrants(); }, t('admin.users.rolesSaved'));
	});

	const pwOut = h('div', { id: 'reset-result' });
	const account = h('div', { class: 'card', id: 'user-account' },
		h('h2', {}, t('admin.users.account')),
		h('dl', { class: 'facts' },
			h('dt', {}, t('admin.users.username')), h('dd', {}, h('code', {}, u.username)),
			h('dt', {}, t('admin.users.state')), h('dd', { id: 'user-state' }, accountState(u)),
			h('dt', {}, t('admin.users.createdAt')), h('dd', {}, formatDateTime(u.created_at))),
		!self && h('div', { class: 'actions' },
			// Signed in through the province account only, a Cầu password opens nothing.
			methods.password && h('button', { type: 'button', id: 'user-reset', onclick: () => void act(async () => {
				const r = await api.post(`/users/${id}/reset-password`);
				replace(pwOut, temporaryPassword(u.username, r.temporary_password));
			}, t('admin.users.resetDone')) }, t('admin.users.reset')),
			u.active
				? h('button', { type: 'button', id: 'user-deactivate', onclick: () => void act(() => api.post(`/users/${id}/deactivate`), t('admin.users.deactivated'), true) }, t('admin.users.deactivate'))
				: h('button', { type: 'button', id: 'user-reactivate', onclick: () => void act(() => api.post(`/users/${id}/reactivate`), t('admin.users.reactivated'), true) }, t('admin.users.reactivate'))),
		pwOut);

	adminPage(main, ctx, scope, u.full_name,
		h('p', {}, h('a', { href: '/admin/users', onclick: ctx.link('/admin/users') }, '← ' + t('admin.users.back'))),
		msg.el, h('div', { class: 'admin-grid' }, h('div', {}, account, rolesCard), profile));

	/** @param {() => Promise<any>} f @param {string} done @param {boolean} [redraw] */
	async function act(f, done, redraw) {
		msg.clear();
		try {
			await f();
			if (redraw) { await adminUserScreen(main, ctx, params); document.getElementById('user-msg')?.replaceWith(msg.el); }
			msg.ok(done);
		} catch (err) { msg.fail(errorMessage(err)); }
	}
}

/**
 * temporaryPassword shows a password once, to hand over.
 * @param {string} username
 * @param {string} pw
 */
export function temporaryPassword(username, pw) {
	return h('div', { class: 'notice temp-password', role: 'status' },
		h('p', {}, t('admin.users.tempFor', { u: username }), ' ', h('code', { class: 'password', 'data-password': '' }, pw)),
		h('p', { class: 'muted' }, t('admin.users.tempOnce')));
}

/**
 * personalIdInput is the citizen identity number's box: digits only on a
 * phone's keyboard; the server checks it is 12 digits and unique.
 * @param {string} id
 * @param {string} value
 */
function personalIdInput(id, value) {
	return h('input', { id, value, inputmode: 'numeric', autocomplete: 'off', maxlength: 20, 'aria-describedby': id + '-hint' });
}

/**
 * @param {string} id
 * @param {HTMLElement} input
 */
function personalIdField(id, input) {
	return h('div', { class: 'field wide' }, h('label', { for: id }, t('admin.users.personalId')), input,
		h('p', { class: 'muted small', id: id + '-hint' }, t('admin.users.personalIdHint')));
}

/** @param {any} u */
function accountState(u) {
	return h('span', {}, u.active ? t('admin.active') : h('span', { class: 'status s-cancelled' }, t('admin.inactive')),
		u.locked ? [' · ', h('span', { class: 'status s-overdue' }, t('admin.users.locked'))] : '',
		u.must_change_password ? [' · ', h('span', { class: 'muted' }, t('admin.users.mustChange'))] : '');
}

/**
 * grantsText names roles with their scope: "Thư ký (UBND huyện Lâm Hà)".
 * @param {import('./admin.js').AdminScope} scope
 * @param {any[]} grants
 */
function grantsText(scope, grants) {
	return (grants ?? []).map((g) => t('role.' + g.role) + (g.scope_unit_id ? ` (${scope.all.get(g.scope_unit_id)?.name ?? '#' + g.scope_unit_id})` : '')).join(', ') || '—';
}
