// A calendar day typed as 02/12/2026: the app's own date field, which
// never follows the browser's language as <input type=date> does (an
// English browser shows and expects 12/02/2026). The URL and the API keep
// the ISO day "2026-12-02".

import { t, formatDate, parseVNDay } from '../i18n.js';
import { h } from './dom.js';

/**
 * dayInput is a text field for a day, showing iso ("2026-12-02" or "") as 02/12/2026.
 * @param {string} id
 * @param {string} iso
 */
export function dayInput(id, iso) {
	return h('input', { id, value: iso ? formatDate(iso) : '', inputmode: 'numeric', autocomplete: 'off', class: 'date',
		pattern: '\\d{1,2}/\\d{1,2}/\\d{4}', placeholder: 'dd/mm/yyyy', title: t('editor.dateHint') });
}

/**
 * dayOf reads a dayInput: the ISO day, "" when empty, or null when it is not
 * a day (the field is then marked invalid for the eye and screen readers).
 * @param {HTMLInputElement} input
 */
export function dayOf(input) {
	const v = input.value.trim();
	const iso = v === '' ? '' : parseVNDay(v);
	if (iso === null) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
	return iso;
}
