// A modal confirmation in the page (a <dialog>, so focus stays inside and
// Escape cancels), with the app's strings instead of the browser's confirm().

import { t } from '../i18n.js';
import { h } from './dom.js';

/**
 * confirmDialog asks a question; it resolves true when the user confirms.
 * With reasonLabel it also asks for a reason (required) and resolves it.
 * @param {{title: string, message?: string, ok: string, reasonLabel?: string, danger?: boolean}} o
 * @returns {Promise<false | {reason: string}>}
 */
export function confirmDialog(o) {
	return new Promise((resolve) => {
		const reason = o.reasonLabel ? h('textarea', { id: 'confirm-reason', rows: 3, required: true, maxlength: 1000 }) : null;
		const form = h('form', { method: 'dialog' },
			h('h2', { id: 'confirm-title' }, o.title),
			o.message ? h('p', {}, o.message) : null,
			reason && h('div', { class: 'field' }, h('label', { for: 'confirm-reason' }, o.reasonLabel ?? ''), reason),
			h('div', { class: 'actions' },
				h('button', { type: 'button', id: 'confirm-cancel', onclick: () => done(false) }, t('confirm.cancel')),
				h('button', { type: 'submit', class: o.danger ? 'danger' : 'primary', id: 'confirm-ok' }, o.ok)));
		const dlg = h('dialog', { class: 'confirm card', 'aria-labelledby': 'confirm-title' }, form);
		/** @param {false | {reason: string}} v */
		const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			if (reason && !reason.value.trim()) { reason.focus(); return; }
			done({ reason: reason?.value.trim() ?? '' });
		});
		dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
		document.body.append(dlg);
		dlg.showModal();
		(reason ?? /** @type {HTMLElement} */ (form.querySelector('#confirm-ok'))).focus();
	});
}
