// People search for the meeting editor: results as you type, each with full
// name, position and unit; the server ranks the exact username and the
// exact name first. Enter picks only a person the list shows for the text
// typed now: the option chosen with the arrow keys, or the first when it
// matches the text exactly (or is the only one). Otherwise Enter picks
// nobody and says to choose, so a half-typed name never invites the wrong
// person.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

let seq = 0;

/**
 * fold removes Vietnamese diacritics and case, as the server's vn_fold.
 * @param {string} s
 */
export function fold(s) {
	return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().trim().replace(/\s+/g, ' ');
}

/**
 * peoplePicker is a labelled search box with a result list.
 * @param {import('../api.js').Api} api
 * @param {Map<number, any>} units by id (for the unit names)
 * @param {{id: string, label: string, action: string, onPick: (u: any) => Promise<unknown> | void}} o
 */
export function peoplePicker(api, units, o) {
	const p = `pp${++seq}`;
	const input = h('input', { id: o.id, type: 'search', autocomplete: 'off', role: 'combobox', 'aria-expanded': 'false',
		'aria-controls': p + '-list', 'aria-autocomplete': 'list', placeholder: t('editor.searchPeople') });
	const list = h('ul', { class: 'people-results', id: p + '-list', role: 'listbox', 'aria-label': o.label });
	const hint = h('p', { class: 'muted small', 'aria-live': 'polite', id: p + '-hint' });
	/** @type {any[]} */ let users = [];
	let answered = ''; // the text the shown results answer
	let active = -1;
	let timer = 0;
	let n = 0;

	async function search() {
		const q = input.value.trim();
		if (q.length < 2) { users = []; answered = q; draw(); return; }
		const mine = ++n;
		try {
			const r = await api.get('/users?active=true&limit=10&q=' + encodeURIComponent(q));
			if (mine !== n) return; // a newer search is under way
			users = r.users ?? [];
			answered = q;
			active = -1;
			draw();
		} catch (err) {
			hint.textContent = errorMessage(err);
		}
	}

	function draw() {
		input.setAttribute('aria-expanded', users.length ? 'true' : 'false');
		input.removeAttribute('aria-activedescendant');
		replace(list, users.map((u, i) => {
			const unit = units.get(u.unit_id)?.name ?? '';
			const li = h('li', { role: 'option', id: `${p}-o${i}`, 'aria-selected': i === active ? 'true' : 'false', 'data-user': u.username,
				onmousedown: (/** @type {MouseEvent} */ ev) => { ev.preventDefault(); void pick(u); } },
			h('strong', {}, u.full_name), ' ', h('span', { class: 'muted' }, '@' + u.username),
			h('span', { class: 'person-meta' }, [u.position, unit].filter(Boolean).join(' · ')),
			h('button', { type: 'button', class: 'small', tabindex: '-1', 'aria-hidden': 'true' }, o.action));
			return li;
		}));
		if (active >= 0) input.setAttribute('aria-activedescendant', `${p}-o${active}`);
		hint.textContent = answered.length >= 2 && users.length === 0 ? t('editor.noPeople') : '';
	}

	/** @param {any} u */
	async function pick(u) {
		await o.onPick(u);
		input.value = '';
		users = [];
		answered = '';
		draw();
		input.focus();
	}

	input.addEventListener('input', () => {
		clearTimeout(timer);
		timer = window.setTimeout(() => void search(), 200);
	});
	input.addEventListener('keydown', (ev) => {
		if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
			if (!users.length) return;
			ev.preventDefault();
			active = (active + (ev.key === 'ArrowDown' ? 1 : users.length - 1)) % users.length;
			draw();
		} else if (ev.key === 'Escape') {
			users = [];
			draw();
		} else if (ev.key === 'Enter') {
			ev.preventDefault();
			void enter();
		}
	});

	// enter decides on the list for the text typed now (searching first if
	// the list answers an older text), and only then picks.
	async function enter() {
		const q = input.value.trim();
		if (answered !== q) {
			clearTimeout(timer);
			await search();
			if (input.value.trim() !== q) return; // typed on meanwhile
		}
		const first = users[0];
		const exact = first && (first.username === q.toLowerCase() || fold(first.full_name) === fold(q));
		const chosen = active >= 0 ? users[active] : users.length === 1 || exact ? first : null;
		if (chosen) await pick(chosen);
		else hint.textContent = users.length ? t('editor.pickFromList') : t('editor.noPeople');
	}
	input.addEventListener('blur', () => { setTimeout(() => { if (document.activeElement !== input) { users = []; draw(); } }, 150); });

	return h('div', { class: 'people-picker' },
		h('label', { for: o.id }, o.label), input, list, hint);
}
