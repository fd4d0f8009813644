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

/** The parts of an instant in Vietnam time, with two-digit fields. */
const vnParts = new Intl.DateTimeFormat('en-GB', {
	timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/**
 * clock splits d into its Vietnam-time fields. A calendar day "2026-12-02"
 * is that day (no time zone moves it); anything else is an instant.
 * @param {string|Date} d
 */
function clock(d) {
	if (typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)) {
		const [year, month, day] = d.split('-');
		return { year, month, day, hour: '00', minute: '00' };
	}
	/** @type {Record<string, string>} */
	const p = {};
	for (const x of vnParts.formatToParts(typeof d === 'string' ? new Date(d) : d)) p[x.type] = x.value;
	return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute };
}

/**
 * formatDate writes a day as 02/12/2026, in both languages (the way the
 * offices write dates), in Vietnam time. The one date format of the client.
 * @param {string|Date} d an instant, or a calendar day "2026-12-02"
 */
export function formatDate(d) {
	const c = clock(d);
	return `${c.day}/${c.month}/${c.year}`;
}

/**
 * formatTime writes a time of day as 14:30 (24 hours), in Vietnam time.
 * @param {string|Date} d
 */
export function formatTime(d) {
	const c = clock(d);
	return `${c.hour}:${c.minute}`;
}

/**
 * formatDateTime writes an instant as 02/12/2026 14:30, in Vietnam time.
 * @param {string|Date} d
 */
export function formatDateTime(d) {
	return formatDate(d) + ' ' + formatTime(d);
}

/**
 * parseVNDateTime reads "02/12/2026" and "14:30" (Vietnam time) as a Date;
 * null when either is not a real day or time. Date fields are plain text in
 * this form so they never follow the browser's language (a datetime-local
 * input shows 12/02/2026 in an English browser).
 * @param {string} day
 * @param {string} time
 */
export function parseVNDateTime(day, time) {
	const dm = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(day);
	const tm = /^\s*(\d{1,2})[:h](\d{2})\s*$/.exec(time);
	if (!dm || !tm) return null;
	const [dd, mm, yy, hh, mi] = [dm[1], dm[2], dm[3], tm[1], tm[2]].map(Number);
	if (mm < 1 || mm > 12 || dd < 1 || hh > 23 || mi > 59) return null;
	const utc = Date.UTC(yy, mm - 1, dd, hh - 7, mi);
	const back = new Date(Date.UTC(yy, mm - 1, dd));
	if (back.getUTCDate() !== dd) return null; // 31/02
	return new Date(utc);
}

/**
 * parseVNDay reads "02/12/2026" as the calendar day "2026-12-02"; null
 * when it is not a real day.
 * @param {string} day
 */
export function parseVNDay(day) {
	const d = parseVNDateTime(day, '12:00');
	if (!d) return null;
	const c = clock(d);
	return `${c.year}-${c.month}-${c.day}`;
}

/** keys lists every key per language (tests check both languages have the same). */
export function keys() {
	return { vi: Object.keys(dict.vi), en: Object.keys(dict.en) };
}
