// Session recordings: the player with the agenda chapters beside it (click
// a chapter to jump), a meeting's list of parts, and the links from the
// minutes' agenda items to their place in the recording. The <video>
// plays a short-lived signed link (a media element cannot send a bearer
// token); when a request after its five minutes fails, the player asks for
// a new one and carries on where it was.

import { ApiError, errorMessage } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * @param {number} ms
 * @returns {string} h:mm:ss or m:ss
 */
export function clock(ms) {
	const s = Math.floor(ms / 1000);
	const hh = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
	const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
	return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** @param {any} c a chapter: kind, title */
function chapterTitle(c) {
	if (c.kind === 'floor') return t('rec.chapter.floor', { who: c.title });
	if (c.kind === 'vote') return t('rec.chapter.vote', { q: c.title });
	return c.title;
}

/** @type {import('./app.js').Screen} */
export async function recordingScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad recording id');
	const api = ctx.api;
	main.append(h('p', { class: 'muted' }, t('rec.loading')));
	/** @type {any} */
	let rec = await api.get(`/recordings/${id}`);
	const m = await api.get(`/meetings/${rec.meeting_id}`);
	document.title = t('rec.title') + ' — ' + m.meeting.title + ' — ' + t('app.name');
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const page = h('section', { class: 'page recording' });
	main.replaceChildren(page);
	/** @type {ReturnType<typeof setTimeout>|undefined} */
	let poll;
	let closed = false;

	const head = h('div', { class: 'page-head' },
		h('div', {}, h('h1', {}, t('rec.title')), h('p', { class: 'muted' }, m.meeting.title, ' · ', t('rec.part', { n: rec.part }), ' · ', formatDateTime(rec.started_at))),
		h('a', { class: 'button', href: `/meetings/${rec.meeting_id}/recordings`, onclick: ctx.link(`/meetings/${rec.meeting_id}/recordings`) }, t('rec.all')));

	if (rec.status !== 'ready') {
		// Being finished (or failed): say so, and look again until it is ready.
		const draw = () => replace(page, head, error, h('p', { class: rec.status === 'failed' ? 'error' : 'notice', id: 'rec-status', 'data-status': rec.status },
			rec.status === 'failed' ? t('rec.failed', { why: rec.error }) : t('rec.processing')));
		draw();
		const again = async () => {
			if (closed) return;
			try { rec = await api.get(`/recordings/${id}`); } catch (err) { error.textContent = errorMessage(err); error.hidden = false; }
			if (rec.status === 'ready') { ctx.go(location.pathname + location.search, true); return; }
			draw();
			if (rec.status === 'recording' || rec.status === 'processing') poll = setTimeout(again, 3000);
		};
		poll = setTimeout(again, 3000);
		return () => { closed = true; clearTimeout(poll); };
	}

	const video = /** @type {HTMLVideoElement} */ (h('video', { id: 'rec-video', controls: true, preload: 'metadata', playsinline: true }));
	/** @type {any[]} */
	const chapters = rec.chapters ?? [];
	const list = h('ol', { class: 'chapters', id: 'rec-chapters' }, chapters.map((c, i) =>
		h('li', { 'data-chapter': String(i + 1), 'data-at': String(c.at_ms) },
			h('button', { type: 'button', class: 'link', onclick: () => jump(c.at_ms / 1000, true) },
				h('span', { class: 'at' }, clock(c.at_ms)), ' ', h('span', { class: 'kind-' + c.kind }, chapterTitle(c))))));
	replace(page, head, error,
		h('div', { class: 'player' },
			h('div', { class: 'player-video' }, video,
				h('p', { class: 'muted' }, t('rec.facts', { d: clock(rec.duration_ms ?? 0), mb: ((rec.size_bytes ?? 0) / 1048576).toFixed(1) }),
					' · ', h('code', { class: 'hash', title: 'SHA-256' }, rec.sha256))),
			h('aside', { class: 'card' }, h('h2', {}, t('rec.chapters')),
				chapters.length ? list : h('p', { class: 'muted' }, t('rec.noChapters')))));

	/** @param {number} sec @param {boolean} play */
	function jump(sec, play) {
		video.currentTime = sec;
		if (play) void video.play().catch(() => { /* autoplay refused: the user presses play */ });
	}
	// The chapter being watched is marked.
	video.addEventListener('timeupdate', () => {
		const ms = video.currentTime * 1000;
		let cur = -1;
		chapters.forEach((c, i) => { if (c.at_ms <= ms + 50) cur = i; });
		list.querySelectorAll('li').forEach((li, i) => li.setAttribute('aria-current', i === cur ? 'step' : 'false'));
	});

	let minted = 0;
	async function load() {
		const link = await api.post(`/recordings/${id}/play`);
		minted = Date.now();
		video.src = link.url;
	}
	// A link past its five minutes fails the next range request: mint a
	// new one and resume at the same place (at most once per 10 s).
	video.addEventListener('error', () => {
		if (closed || Date.now() - minted < 10000) {
			error.textContent = t('rec.playError'); error.hidden = false;
			return;
		}
		const at = video.currentTime, playing = !video.paused;
		void load().then(() => { video.currentTime = at; if (playing) void video.play(); }, (err) => { error.textContent = errorMessage(err); error.hidden = false; });
	});
	await load();
	const start = Number(new URLSearchParams(location.search).get('t'));
	if (start > 0) video.addEventListener('loadedmetadata', () => jump(start, false), { once: true });
	/** @type {any} */ (globalThis).cauRecording = { video, chapters };
	return () => { closed = true; video.removeAttribute('src'); video.load(); delete (/** @type {any} */ (globalThis)).cauRecording; };
}

/** @type {import('./app.js').Screen} */
export async function recordingsScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad meeting id');
	const api = ctx.api;
	const [m, rs, hold] = await Promise.all([api.get(`/meetings/${id}`), api.get(`/meetings/${id}/recordings`), api.get(`/meetings/${id}/legal-hold`)]);
	document.title = t('rec.list') + ' — ' + m.meeting.title + ' — ' + t('app.name');
	/** @type {any[]} */
	const recs = rs.recordings ?? [];
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		try { await f(); ctx.go(location.pathname, true); } catch (err) { error.textContent = errorMessage(err); error.hidden = false; }
	};
	// The office (administrators, province-wide secretaries) keeps a
	// meeting's recordings past retention; the server decides who may.
	const office = !!api.user?.roles.some((r) => r === 'admin' || r === 'secretary');
	const reason = /** @type {HTMLInputElement} */ (h('input', { id: 'hold-reason', required: true, maxlength: 1000, 'aria-label': t('rec.holdReason'), placeholder: t('rec.holdReason') }));
	const holdBox = office && (hold.hold
		? h('div', { class: 'actions' }, h('button', { type: 'button', id: 'hold-clear', onclick: () => act(() => api.del(`/meetings/${id}/legal-hold`)) }, t('rec.holdClear')))
		: h('form', { class: 'actions', id: 'hold-form', onsubmit: (/** @type {Event} */ ev) => { ev.preventDefault(); void act(() => api.put(`/meetings/${id}/legal-hold`, { reason: reason.value })); } },
			reason, h('button', { type: 'submit', id: 'hold-set' }, t('rec.holdSet'))));
	main.replaceChildren(h('section', { class: 'page recordings' },
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', {}, t('rec.list')), h('p', { class: 'muted' }, m.meeting.title)),
			h('a', { class: 'button', href: `/meetings/${id}`, onclick: ctx.link(`/meetings/${id}`) }, t('viewer.back'))),
		error,
		hold.hold && h('p', { class: 'notice', id: 'rec-hold' }, t('rec.hold', { why: hold.hold.reason })),
		holdBox,
		recs.length === 0 ? h('p', { class: 'muted' }, t('rec.none')) :
			h('ul', { class: 'card plain', id: 'rec-list' }, recs.map((r) => h('li', { 'data-recording': String(r.id) },
				h('a', { href: `/recordings/${r.id}`, onclick: ctx.link(`/recordings/${r.id}`) }, t('rec.part', { n: r.part })), ' · ',
				formatDateTime(r.started_at), ' · ',
				h('span', { class: 'muted' }, r.status === 'ready' ? clock(r.duration_ms ?? 0) : t('rec.status.' + r.status)))))));
}

/**
 * recordingLinks adds to each agenda item of the minutes (an element with
 * data-item) a link to where that item began in the recording.
 * @param {HTMLElement} root
 * @param {import('../api.js').Api} api
 * @param {number} meetingId
 * @param {import('./app.js').Ctx} ctx
 */
export async function recordingLinks(root, api, meetingId, ctx) {
	/** @type {any} */
	let rs;
	try { rs = await api.get(`/meetings/${meetingId}/recordings`); } catch { return; }
	/** @type {Map<number, string>} */
	const at = new Map();
	for (const r of rs.recordings ?? []) {
		if (r.status !== 'ready') continue;
		for (const c of r.chapters ?? []) {
			if (c.kind === 'item' && c.item_id && !at.has(c.item_id)) at.set(c.item_id, `/recordings/${r.id}?t=${Math.floor(c.at_ms / 1000)}`);
		}
	}
	for (const el of root.querySelectorAll('[data-item]')) {
		const href = at.get(Number(/** @type {HTMLElement} */ (el).dataset.item));
		if (!href || el.querySelector('.rec-link')) continue;
		el.querySelector('h3')?.after(h('p', {}, h('a', { class: 'rec-link', href, onclick: ctx.link(href) }, '▶ ', t('rec.watchItem'))));
	}
}
