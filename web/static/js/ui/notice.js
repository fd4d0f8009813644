// The conclusion notice (Thông báo kết luận) as the users of a unit it is
// addressed to read it: they were not at the meeting, so they see the
// notice (number, date, the conclusions concerning their unit, the signed
// PDF in the page and a download), never the minutes. The notice e-mail
// links here (/meetings/<id>/minutes).

import { ApiError, errorMessage } from '../api.js';
import { t, lang } from '../i18n.js';
import { h, replace, saveFile } from './dom.js';
import { renderPDF } from './pdfview.js';

/** how long to wait for the distribution job to store the signed PDF */
const pendingRetryMs = 2000;
const pendingTries = 15;

/**
 * noticeScreen fills main with the notice of meeting id for a reader who is
 * not among the meeting's people; a reader it is not addressed to gets a
 * clear message instead.
 * @param {HTMLElement} main
 * @param {import('./app.js').Ctx} ctx
 * @param {number} id
 */
export async function noticeScreen(main, ctx, id) {
	const api = ctx.api;
	document.title = t('notice.title') + ' — ' + t('app.name');
	/** @type {any} */
	let n;
	try {
		n = await api.get(`/meetings/${id}/minutes/notice`);
	} catch (err) {
		if (!(err instanceof ApiError) || (err.code !== 'not_found' && err.code !== 'minutes_not_approved')) throw err;
		replace(main, h('section', { class: 'card narrow', id: 'notice-none', role: 'status' },
			h('h1', {}, t('notice.title')),
			h('p', {}, t('notice.notConcerned')),
			h('p', { class: 'muted' }, t('notice.notConcernedHint')),
			h('p', {}, h('a', { href: '/meetings', onclick: go(ctx, '/meetings') }, t('notfound.back')))));
		return;
	}
	document.title = t('notice.title') + ' ' + n.notice_symbol + ' — ' + t('app.name');
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const pages = h('div', { class: 'pdf-pages', id: 'notice-pdf', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('viewer.loading')));
	const units = n.units.map((/** @type {any} */ u) => u.name).join('; ');
	replace(main, h('section', { class: 'page notice-page' },
		h('div', { class: 'page-head' },
			h('div', {},
				h('h1', {}, t('notice.title')),
				h('p', { class: 'muted', id: 'notice-number' }, t('minutes.so', { s: n.notice_symbol }), ' · ', longDate(n.approved_at))),
			h('button', { type: 'button', class: 'primary', id: 'notice-download', onclick: () => void download() }, t('notice.download'))),
		error,
		h('div', { class: 'notice-grid' },
			h('div', { class: 'stack' },
				h('section', { class: 'card', id: 'notice-facts' },
					h('h2', {}, t('notice.about', { chair: n.chair || '…', title: lowerFirst(n.title) })),
					h('dl', { class: 'facts' },
						h('dt', {}, t('notice.to')), h('dd', { id: 'notice-units' }, units || '—'),
						n.opened_at && h('dt', {}, t('notice.meetingDay')), n.opened_at && h('dd', {}, longDate(n.opened_at)),
						h('dt', {}, t('notice.file')), h('dd', {}, n.file ? t(n.file.signed ? 'notice.signed' : 'notice.unsigned') : t('notice.pending'))),
					!n.participant && h('p', { class: 'muted' }, t('notice.why'))),
				h('section', { class: 'card' },
					h('h2', {}, t(n.participant ? 'minutes.conclusions' : 'notice.yourConclusions')),
					h('ol', { class: 'conclusions', id: 'notice-conclusions' }, n.conclusions.map((/** @type {any} */ c) =>
						h('li', { value: c.number, 'data-conclusion': String(c.number), class: 'pre' }, c.text))))),
			h('section', { class: 'card', id: 'notice-pdf-box', 'aria-label': t('notice.pdf') }, pages))));
	await show();

	// show draws the signed notice; while the job is still storing it (503
	// pdf_pending) it waits a little and asks again, then offers a retry.
	async function show() {
		pages.setAttribute('aria-busy', 'true');
		for (let i = 0; ; i++) {
			try {
				await renderPDF(pages, await api.fetchBlob(`/meetings/${id}/minutes/notice/pdf`));
				pages.removeAttribute('aria-busy');
				return;
			} catch (err) {
				if (err instanceof ApiError && err.code === 'pdf_pending' && i < pendingTries) {
					replace(pages, h('p', { class: 'muted' }, errorMessage(err)));
					await new Promise((r) => setTimeout(r, pendingRetryMs));
					continue;
				}
				pages.removeAttribute('aria-busy');
				replace(pages, h('p', { class: 'notice', role: 'alert' }, errorMessage(err), ' ',
					h('button', { type: 'button', class: 'small', onclick: () => void show() }, t('error.retry'))));
				return;
			}
		}
	}

	async function download() {
		error.hidden = true;
		try {
			saveFile(await api.fetchBlob(`/meetings/${id}/minutes/notice/pdf`), `thong-bao-ket-luan-${n.notice_symbol.replace(/\W+/g, '-')}.pdf`, 'application/pdf');
		} catch (err) {
			error.textContent = errorMessage(err);
			error.hidden = false;
		}
	}
}

/**
 * longDate writes an instant's day in Vietnam as documents do:
 * "ngày 23 tháng 11 năm 2026" (English: 23/11/2026).
 * @param {string} iso
 */
function longDate(iso) {
	const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(iso)).split('-').map(Number);
	// Decree 30/2020: a day below 10 and the months 1 and 2 take a leading 0
	// ("ngày 05 tháng 02", "ngày 23 tháng 11"); the numeric form pads both.
	const mm = lang() === 'vi' && m > 2 ? String(m) : String(m).padStart(2, '0');
	return t('date.document', { dd: String(d).padStart(2, '0'), mm, y });
}

/** @param {string} s */
function lowerFirst(s) {
	return s ? s.charAt(0).toLocaleLowerCase('vi') + s.slice(1) : s;
}

/**
 * @param {import('./app.js').Ctx} ctx
 * @param {string} path
 */
function go(ctx, path) {
	return ctx.link(path);
}
