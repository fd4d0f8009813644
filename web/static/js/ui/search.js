// Search results (/search?q=…): meetings, documents and tasks whose title
// matches, diacritics-insensitively ("ke hoach" finds "Kế hoạch"), within
// what the user may see; grouped by kind, each a link. The box is in the
// header (searchBox), on every screen.

import { ApiError, errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { assets, h, replace } from './dom.js';

/** kinds in the order the page lists them, with where each result leads */
const kinds = /** @type {const} */ ([
	['meeting', (/** @type {any} */ r) => `/meetings/${r.id}`],
	['document', (/** @type {any} */ r) => `/documents/${r.id}`],
	['task', (/** @type {any} */ r) => `/tasks/${r.id}`],
]);

/** results per kind the page asks for */
const perKind = 20;

/**
 * searchBox is the header's search form; it goes to /search?q=….
 * @param {import('./app.js').Ctx} ctx
 */
export function searchBox(ctx) {
	const q = h('input', { type: 'search', id: 'search-q', name: 'q', autocomplete: 'off', enterkeyhint: 'search',
		placeholder: t('search.placeholder'), 'aria-label': t('search.label'), minlength: '2', maxlength: '200',
		value: location.pathname === '/search' ? new URLSearchParams(location.search).get('q') ?? '' : '' });
	const form = h('form', { class: 'search', role: 'search', 'aria-label': t('search.label') },
		q, h('button', { type: 'submit', class: 'secondary icon', id: 'search-go', title: t('search.go'), 'aria-label': t('search.go') },
			h('img', { src: assets() + 'img/search.svg', alt: '', width: 20, height: 20 })));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const text = q.value.trim();
		// Folded (a tablet): the button opens the box rather than repeat the search.
		if (!text || q.offsetWidth < 20) { q.focus(); q.select(); return; }
		ctx.go('/search?q=' + encodeURIComponent(text));
	});
	return form;
}

/**
 * focusSearchOnSlash lets "/" put the cursor in the header's search box,
 * as on the sites people know, unless they are typing somewhere.
 * @param {KeyboardEvent} ev
 */
export function focusSearchOnSlash(ev) {
	if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
	const el = /** @type {HTMLElement|null} */ (ev.target instanceof HTMLElement ? ev.target : null);
	if (el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))) return;
	const box = /** @type {HTMLInputElement|null} */ (document.getElementById('search-q'));
	if (!box) return;
	ev.preventDefault();
	box.focus();
	box.select();
}

/** @type {import('./app.js').Screen} */
export async function searchScreen(main, ctx) {
	const text = (new URLSearchParams(location.search).get('q') ?? '').trim();
	document.title = t('search.title') + (text ? ` “${text}”` : '') + ' — ' + t('app.name');
	const body = h('div', { class: 'stack', id: 'search-results', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('search.busy')));
	main.append(h('section', { class: 'page search-page' },
		h('h1', {}, text ? t('search.for', { q: text }) : t('search.title')), body));
	if (!text) {
		body.removeAttribute('aria-busy');
		replace(body, h('p', { class: 'muted' }, t('search.hint')));
		document.getElementById('search-q')?.focus();
		return;
	}
	/** @type {any[]} */
	let results;
	try {
		results = (await ctx.api.get(`/search?q=${encodeURIComponent(text)}&limit=${perKind}`)).results ?? [];
	} catch (err) {
		body.removeAttribute('aria-busy');
		// Too short or too long is the user's to fix: say what is wanted.
		const msg = err instanceof ApiError && err.code === 'validation_failed' ? t('search.length') : errorMessage(err);
		replace(body, h('p', { class: 'notice', role: 'alert', id: 'search-error' }, msg));
		return;
	}
	body.removeAttribute('aria-busy');
	if (results.length === 0) {
		replace(body, h('p', { class: 'notice', id: 'search-none' }, t('search.none', { q: text })));
		return;
	}
	const go = ctx.link;
	replace(body, kinds.map(([kind, link]) => {
		const mine = results.filter((r) => r.kind === kind);
		if (mine.length === 0) return null;
		const head = `search-h-${kind}`;
		return h('section', { class: 'card', 'data-kind': kind, 'aria-labelledby': head },
			h('h2', { id: head }, t('search.kind.' + kind), ' ', h('span', { class: 'muted' }, `(${mine.length}${mine.length >= perKind ? '+' : ''})`)),
			h('ul', { class: 'search-list' }, mine.map((r) => h('li', {}, h('a', { href: link(r), onclick: go(link(r)) }, r.title)))));
	}));
}
