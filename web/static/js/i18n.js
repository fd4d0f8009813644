// Translations: Vietnamese by default, English selectable; the choice is
// kept in localStorage. No DOM here: ui/ re-renders when the language changes.
// The strings are in i18n/vi.js and i18n/en.js.

import vi from './i18n/vi.js';
import en from './i18n/en.js';

/** @typedef {'vi'|'en'} Lang */

/** @type {Record<Lang, Record<string, string>>} */
const dict = { vi, en };

const storageKey = 'cau.lang';

/** @type {Lang} */
let current = readStored();

/** @returns {Lang} */
function readStored() {
	try {
		const v = globalThis.localStorage?.getItem(storageKey);
		if (v === 'en' || v === 'vi') return v;
	} catch { /* storage disabled: default */ }
	return 'vi';
}

/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/** lang returns the current language. */
export function lang() { return current; }

/**
 * setLang switches and persists the language, then tells the listeners.
 * @param {Lang} l
 */
export function setLang(l) {
	current = l;
	try { globalThis.localStorage?.setItem(storageKey, l); } catch { /* not persisted */ }
	for (const f of listeners) f(l);
}

/**
 * onLangChange registers a listener; it returns the function that removes it.
 * @param {(lang: Lang) => void} f
 */
export function onLangChange(f) {
	listeners.add(f);
	return () => listeners.delete(f);
}

/**
 * t translates key, filling {name} placeholders from params. A missing key
 * falls back to Vietnamese, then to the key itself (visible, never blank).
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 */
export function t(key, params) {
	let s = dict[current][key] ?? dict.vi[key] ?? key;
	if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
	return s;
}

/**
 * has reports whether key is translated.
 * @param {string} key
 */
export function has(key) { return key in dict.vi; }

/**
 * formatDateTime formats a time for the current language, in Vietnam time.
 * @param {string|Date} d
 */
export function formatDateTime(d) {
	return new Intl.DateTimeFormat(current === 'vi' ? 'vi-VN' : 'en-GB', {
		dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh',
	}).format(typeof d === 'string' ? new Date(d) : d);
}

/** keys lists every key per language (tests check both languages have the same). */
export function keys() {
	return { vi: Object.keys(dict.vi), en: Object.keys(dict.en) };
}
