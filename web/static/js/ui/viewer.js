// The document viewer: the watermarked PDF rendered in the page by pdf.js,
// the version list, and who has read it (for the meeting's organizers).

import { ApiError, errorMessage } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';
import { renderPDF } from './pdfview.js';

/** @type {import('./app.js').Screen} */
export async function viewerScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad document id');
	const api = ctx.api;
	const doc = await api.get(`/documents/${id}`);
	document.title = doc.title + ' — ' + t('app.name');
	const wanted = Number(new URLSearchParams(location.search).get('v')) || doc.current_version;
	const pages = h('div', { class: 'pdf-pages', id: 'pdf-pages', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('viewer.loading')));
	const reads = h('section', { class: 'card', id: 'doc-reads', hidden: true });
	main.append(h('section', { class: 'page viewer' },
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', {}, doc.title, doc.confidential ? h('span', { class: 'badge' }, t('viewer.confidential')) : null),
				h('p', { class: 'muted' }, t('viewer.version', { v: wanted }))),
			h('a', { class: 'button', href: `/meetings/${doc.meeting_id}` }, t('viewer.back'))),
		h('div', { class: 'viewer-grid' },
			pages,
			h('aside', { class: 'side' },
				h('section', { class: 'card' }, h('h2', {}, t('viewer.versions')),
					h('ol', { id: 'doc-versions', reversed: true }, [...doc.versions].reverse().map((/** @type {any} */ v) => h('li', {},
						v.version === wanted ? h('strong', {}, v.filename) : h('a', { href: `/documents/${id}?v=${v.version}` }, v.filename),
						h('div', { class: 'muted' }, formatDateTime(v.uploaded_at ?? doc.updated_at), ' · ', Math.ceil(v.size_bytes / 1024) + ' KB'))))),
				reads))));

	// Who has read it: for the meeting's organizers only (the API refuses others).
	api.get(`/meetings/${doc.meeting_id}`).then((m) => (m.can_manage ? api.get(`/documents/${id}/reads`) : Promise.reject(new Error('not an organizer')))).then((r) => {
		reads.hidden = false;
		replace(reads, h('h2', {}, t('viewer.reads')),
			h('ul', { id: 'readers' }, (r.readers ?? []).map((/** @type {any} */ x) => h('li', {}, x.full_name, ' ', h('span', { class: 'muted' }, x.unit, ' · ', formatDateTime(x.first_at))))),
			(r.not_opened ?? []).length > 0 && h('h3', {}, t('viewer.notOpened')),
			(r.not_opened ?? []).length > 0 && h('ul', { id: 'not-opened' }, r.not_opened.map((/** @type {any} */ x) => h('li', {}, x.full_name ?? String(x.user_id)))));
	}, () => { /* not an organizer */ });

	try {
		const bytes = await api.fetchBlob(`/documents/${id}/versions/${wanted}/pdf`);
		await renderPDF(pages, bytes);
		pages.removeAttribute('aria-busy');
	} catch (err) {
		pages.removeAttribute('aria-busy');
		replace(pages, h('p', { class: 'notice', role: 'alert' }, errorMessage(err)));
	}
}
