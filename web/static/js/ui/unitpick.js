// Units picked from the unit tree as chips: the units concerned by a
// conclusion of the minutes. Picked the way the meeting editor picks halls:
// a unit from the indented tree, with its subordinate units or alone.

import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { unitOptions } from './taskbits.js';

let seq = 0;

/**
 * unitPicker edits a list of unit ids; onChange gets the new list.
 * @param {Map<number, any>} all units by id
 * @param {number[]} ids the units picked so far
 * @param {string} label what the units are for ("Kết luận 2")
 * @param {(ids: number[]) => void} onChange
 */
export function unitPicker(all, ids, label, onChange) {
	const p = `up${++seq}-`;
	let picked = [...ids];
	const chips = h('ul', { class: 'chips unit-chips', 'aria-label': t('units.concerned') + ' — ' + label });
	const sel = h('select', { id: p + 'unit', class: 'unit-select' }, h('option', { value: '' }, t('task.pickUnit')), unitOptions(all));
	const desc = h('input', { type: 'checkbox', id: p + 'desc' });
	const add = h('button', { type: 'button', class: 'small', 'data-add-units': '', onclick: () => {
		const id = Number(sel.value);
		if (!id) { sel.focus(); return; }
		const more = [id, ...(desc.checked ? descendants(all, id) : [])].filter((u) => !picked.includes(u));
		if (more.length === 0) return;
		picked = [...picked, ...more];
		draw();
		onChange(picked);
		sel.value = '';
	} }, t('units.add'));

	function draw() {
		replace(chips, picked.length === 0
			? h('li', { class: 'none muted' }, t('units.none'))
			: picked.map((id) => {
				const name = all.get(id)?.name ?? '#' + id;
				return h('li', { 'data-unit': String(id) }, name,
					h('button', { type: 'button', class: 'small link', 'aria-label': t('editor.remove') + ' ' + name, onclick: () => {
						picked = picked.filter((x) => x !== id);
						draw();
						onChange(picked);
						sel.focus();
					} }, '×'));
			}));
	}
	draw();
	return h('div', { class: 'unit-picker' },
		h('span', { class: 'unit-picker-label' }, t('units.concerned')),
		chips,
		h('div', { class: 'row' },
			h('label', { for: p + 'unit', class: 'sr' }, t('units.pick') + ' — ' + label), sel,
			h('label', { class: 'check' }, desc, ' ', t('editor.withChildren')),
			add));
}

/**
 * unitChips shows picked units read-only ("" when there are none).
 * @param {Map<number, any>} all
 * @param {number[]|undefined} ids
 */
export function unitChips(all, ids) {
	if (!ids?.length) return '';
	return h('div', { class: 'unit-picker' },
		h('span', { class: 'unit-picker-label' }, t('units.concerned')),
		h('ul', { class: 'chips unit-chips' }, ids.map((id) => h('li', { 'data-unit': String(id) }, all.get(id)?.name ?? '#' + id))));
}

/**
 * descendants lists the active units under id, depth first.
 * @param {Map<number, any>} all
 * @param {number} id
 * @returns {number[]}
 */
function descendants(all, id) {
	/** @type {number[]} */
	const out = [];
	const children = [...all.values()].filter((u) => u.parent_id === id && u.active !== false)
		.sort((a, b) => byName.compare(a.name, b.name));
	for (const u of children) out.push(u.id, ...descendants(all, u.id));
	return out;
}

/** "phường 2" before "phường 10", as people count */
const byName = new Intl.Collator('vi', { numeric: true });
