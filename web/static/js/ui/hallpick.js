// The hall picker of the meeting editor: the unit tree as it is (province →
// departments and districts → communes, or province → communes where there
// are no districts), each unit a group of its halls and sub-units, collapsed
// below the first level. Nothing starts selected; the count of halls to
// invite is always shown; inviting more than bulkLimit at once asks first.

import { t } from '../i18n.js';
import { h } from './dom.js';
import { confirmDialog } from './confirm.js';

/** Inviting more halls than this at once asks for confirmation. */
export const bulkLimit = 20;

/** "phường 2" before "phường 10", as people count */
const byName = new Intl.Collator('vi', { numeric: true });

/**
 * hallPicker builds the tree.
 * @param {any[]} units every unit (GET /units)
 * @param {any[]} halls active halls (GET /halls?active=true)
 * @param {Set<number>} invited hall ids already invited
 * @param {Record<string, number>} rank level code → rank (province 1, …)
 * @param {(ids: number[]) => Promise<unknown>} invite
 */
export function hallPicker(units, halls, invited, rank, invite) {
	/** @type {Map<number|null, any[]>} */
	const kids = new Map();
	for (const u of units) {
		if (u.active === false) continue;
		const k = u.parent_id ?? null;
		if (!kids.has(k)) kids.set(k, []);
		kids.get(k)?.push(u);
	}
	for (const list of kids.values()) list.sort((a, b) => (rank[a.level] ?? 9) - (rank[b.level] ?? 9) || byName.compare(a.name, b.name));
	/** @type {Map<number, any[]>} */
	const hallsOf = new Map();
	for (const x of halls) {
		if (!hallsOf.has(x.unit_id)) hallsOf.set(x.unit_id, []);
		hallsOf.get(x.unit_id)?.push(x);
	}
	/** @type {Set<number>} */ const picked = new Set();
	/** @type {HTMLInputElement[]} */ const groupBoxes = [];
	/** @type {Map<number, HTMLInputElement>} */ const hallBoxes = new Map();
	const count = h('p', { class: 'hall-count', id: 'hall-count', 'aria-live': 'polite' });
	const button = h('button', { type: 'button', class: 'primary', id: 'invite-halls', disabled: true });

	/** @param {number} unitID @returns {number[]} hall ids in the subtree */
	const subtree = (unitID) => [...(hallsOf.get(unitID) ?? []).map((x) => x.id), ...(kids.get(unitID) ?? []).flatMap((u) => subtree(u.id))];

	function sync() {
		for (const [id, box] of hallBoxes) box.checked = invited.has(id) || picked.has(id);
		for (const box of groupBoxes) {
			const ids = subtree(Number(box.dataset.unit)).filter((id) => !invited.has(id));
			const n = ids.filter((id) => picked.has(id)).length;
			box.checked = ids.length > 0 && n === ids.length;
			box.indeterminate = n > 0 && n < ids.length;
			box.disabled = ids.length === 0;
		}
		count.textContent = t('halls.picked', { n: picked.size });
		button.textContent = t('halls.invite', { n: picked.size });
		button.disabled = picked.size === 0;
	}

	/**
	 * @param {any} u
	 * @param {number} depth
	 * @returns {HTMLElement}
	 */
	function node(u, depth) {
		const all = subtree(u.id);
		const box = h('input', { type: 'checkbox', id: `hp-u${u.id}`, 'data-unit': String(u.id) });
		box.addEventListener('change', () => {
			for (const id of all) if (!invited.has(id)) { if (box.checked) picked.add(id); else picked.delete(id); }
			sync();
		});
		groupBoxes.push(box);
		const own = (hallsOf.get(u.id) ?? []).map((x) => {
			const hb = h('input', { type: 'checkbox', id: `hp-h${x.id}`, 'data-hall': String(x.id), disabled: invited.has(x.id) });
			hb.addEventListener('change', () => { if (hb.checked) picked.add(x.id); else picked.delete(x.id); sync(); });
			hallBoxes.set(x.id, hb);
			return h('li', { class: 'hall-leaf' }, hb, ' ', h('label', { for: `hp-h${x.id}` }, x.name, invited.has(x.id) ? ' ' + t('halls.already') : ''));
		});
		const children = (kids.get(u.id) ?? []).map((c) => node(c, depth + 1)).filter(Boolean);
		const label = h('label', { for: `hp-u${u.id}` }, u.name, ' ', h('span', { class: 'muted' }, t('halls.nHalls', { n: all.length })));
		const inner = h('ul', { class: 'hall-tree' }, own, children);
		if (children.length === 0 && own.length <= 1) {
			// A commune: its one hall is the unit; one checkbox is enough.
			return h('li', { class: 'hall-unit leaf', 'data-unit': String(u.id) }, box, ' ', label, own.length ? h('span', { hidden: true }, inner) : null);
		}
		// A toggle beside the checkbox, not a <summary> around it: controls
		// must not nest (axe nested-interactive).
		inner.hidden = depth > 0;
		inner.id = `hp-in${u.id}`;
		const toggle = h('button', { type: 'button', class: 'small link tree-toggle', 'aria-expanded': String(depth === 0), 'aria-controls': inner.id,
			'aria-label': t('halls.expand', { name: u.name }), 'data-toggle': String(u.id) }, depth === 0 ? '▾' : '▸');
		toggle.addEventListener('click', () => {
			inner.hidden = !inner.hidden;
			toggle.setAttribute('aria-expanded', String(!inner.hidden));
			toggle.textContent = inner.hidden ? '▸' : '▾';
		});
		return h('li', { class: 'hall-unit', 'data-unit': String(u.id) }, toggle, box, ' ', label, inner);
	}

	const roots = (kids.get(null) ?? []).map((u) => node(u, 0));
	button.addEventListener('click', async () => {
		const ids = [...picked];
		if (ids.length > bulkLimit) {
			const ok = await confirmDialog({ title: t('halls.confirmTitle', { n: ids.length }), message: t('halls.confirmText', { n: ids.length }), ok: t('halls.invite', { n: ids.length }) });
			if (!ok) return;
		}
		await invite(ids);
	});
	const el = h('div', { class: 'hall-picker' }, h('ul', { class: 'hall-tree root', id: 'hall-tree' }, roots), h('div', { class: 'row' }, count, button));
	sync();
	return el;
}

/**
 * levelRanks reads GET /unit-levels into code → rank.
 * @param {any} res
 * @returns {Record<string, number>}
 */
export function levelRanks(res) {
	/** @type {Record<string, number>} */
	const out = {};
	for (const l of res?.levels ?? []) out[l.code] = l.rank;
	return out;
}
