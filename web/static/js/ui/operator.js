// The operator console: every hall of the meeting as a tile with its
// connection state, mute and link figures, paged so 160 halls stay usable
// on one screen, and the roll call (check-in per person).
//
// Video thumbnails and per-hall bitrate/loss/RTT/layer/microphone level
// come from the SFU: the console joins as console-<user> (never replacing
// the person's own call) with the "stats" permission. Tiles are sorted
// trouble first (a weak or silent link, then halls not connected); a hall
// technician also sees their own hall's link in full at the top.

import { ApiError, errorMessage } from '../api.js';
import { LiveSession } from '../live.js';
import { SessionState } from '../session.js';
import { Call } from '../call.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * clock is a time as HH:MM in Vietnam's time, or "—".
 * @param {string|null|undefined} at RFC 3339
 */
function clock(at) {
	if (!at) return '—';
	return new Date(at).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' });
}

/** Tiles per page: a 6×4 grid fills a 1080p screen at thumbnail size. */
const pageSize = 24;

/** @type {import('./app.js').Screen} */
export async function operatorScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad meeting id');
	const api = ctx.api;
	const [m, inv] = await Promise.all([api.get(`/meetings/${id}`), api.get(`/meetings/${id}/invitees`)]);
	document.title = t('op.title') + ' — ' + m.meeting.title;
	/** @type {Map<number, any>} */
	const hallInfo = new Map(inv.halls.map((/** @type {any} */ x) => [x.hall_id, x]));
	/** @type {any[]} */
	const people = inv.participants;
	let page = 0;
	let filter = '';
	/** @type {any} */
	let snap = null;
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const summary = h('p', { class: 'muted', id: 'op-summary', 'aria-live': 'polite' });
	const grid = h('ul', { class: 'tiles', id: 'hall-grid' });
	const pager = h('nav', { class: 'pager', 'aria-label': t('op.pages') });
	const roll = h('section', { class: 'card', id: 'roll-call' });
	/** @type {number[]} the halls this account operates (a technician) */
	const myHalls = m.my_halls ?? [];
	const mine = h('section', { class: 'card my-hall', id: 'my-hall', hidden: myHalls.length === 0 });
	const search = h('input', { type: 'search', id: 'op-filter', placeholder: t('op.filter'), 'aria-label': t('op.filter') });
	search.addEventListener('input', () => { filter = search.value.trim().toLowerCase(); page = 0; draw(); });
	main.append(h('section', { class: 'page operator' },
		h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('op.title')), h('p', { class: 'muted' }, m.meeting.title)),
			h('a', { class: 'button', href: `/meetings/${id}` }, t('editor.toRoom'))),
		error,
		mine,
		h('div', { class: 'row' }, search, summary),
		grid, pager, roll));

	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		error.hidden = true;
		try { await f(); } catch (err) { error.textContent = errorMessage(err); error.hidden = false; }
	};

	function draw() {
		/** @type {Map<number, any>} */
		const state = new Map((snap?.halls ?? []).map((/** @type {any} */ s) => [s.hall_id, s]));
		const all = [...hallInfo.values()].filter((x) => !filter || x.name.toLowerCase().includes(filter) || x.code.toLowerCase().includes(filter));
		// Trouble first: a weak or silent link, then halls not connected,
		// then a fair link, then the rest (each by name, so tiles move
		// only when a hall's state changes).
		const rank = (/** @type {any} */ x) => trouble(state.get(x.hall_id), stats.get(x.hall_id));
		all.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'vi'));
		const connected = all.filter((x) => state.get(x.hall_id)?.connected).length;
		summary.textContent = t('op.summary', { n: all.length, c: connected });
		const pages = Math.max(1, Math.ceil(all.length / pageSize));
		page = Math.min(page, pages - 1);
		const shown = all.slice(page * pageSize, (page + 1) * pageSize);
		// Only this page's tiles exist in the DOM: the halls of other pages are
		// not rendered, so their video will be requested at quality "off".
		// Thumbnails: this page's halls at low quality, every other hall off,
		// so 160 halls cost the console only one page of video.
		if (call) {
			const visible = new Set(shown.map((x) => `hall-${x.hall_id}/camera`));
			for (const tr of call.wanted.keys()) if (tr !== 'floor' && !visible.has(tr)) call.want(tr, 'off');
			for (const tr of visible) if (published.has(tr) && call.wanted.get(tr) !== 'low') call.want(tr, 'low');
		}
		replace(grid, shown.map((x) => {
			const s = state.get(x.hall_id);
			const st = stats.get(x.hall_id);
			const on = !!s?.connected || !!st?.connected;
			const video = videos.get(x.hall_id);
			return h('li', { class: 'tile ' + (on ? 'on' : 'off'), 'data-hall': String(x.hall_id), 'data-trouble': String(rank(x)) },
				h('div', { class: 'thumb', 'aria-hidden': 'true' }, video ?? (on ? '' : t('room.hallOffline'))),
				h('div', { class: 'tile-name', title: x.name }, x.name.replace(/^Điểm cầu\s+/, '')),
				h('div', { class: 'tile-stats' },
					h('span', { class: 'state' }, h('span', { class: 'dot ' + (on ? 'on' : 'off') }), ' ', on ? t('room.hallConnected') : t('room.hallOffline')),
					s?.muted ? h('span', { class: 'muted' }, t('room.muted')) : null),
				h('p', { class: 'link', title: `${t('op.bitrate')} · ${t('op.loss')} · ${t('op.rtt')}` },
					st ? `${Math.round(st.bitrate_in / 1000)} kbit/s · ${(100 * st.loss_in).toFixed(1)}% · ${Math.round(st.rtt_ms)} ms` : '— kbit/s · —% · — ms'),
				st && h('p', { class: 'link' }, `${t('op.layer')}: ${t('layer.' + (st.floor_layer || 'off'))} · `,
					h('meter', { min: '0', max: '1', value: String(level(st)), title: t('op.audio') })));
		}));
		drawMine();
		replace(pager, pages > 1 && [
			h('button', { type: 'button', disabled: page === 0, onclick: () => { page--; draw(); } }, t('op.prev')),
			h('span', {}, t('op.page', { p: page + 1, n: pages })),
			h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => { page++; draw(); } }, t('op.next')),
		]);
		drawRoll();
	}

	// A technician's own hall: every figure the SFU reports for it.
	function drawMine() {
		if (myHalls.length === 0) return;
		const hid = myHalls[0];
		const st = stats.get(hid);
		const name = hallInfo.get(hid)?.name ?? t('room.hall', { id: hid });
		const row = (/** @type {string} */ k, /** @type {any} */ v) => h('div', {}, h('dt', {}, k), h('dd', {}, v));
		replace(mine, h('h2', {}, t('op.myHall', { hall: name })),
			!st?.connected ? h('p', { class: 'error', id: 'my-hall-state' }, t('op.noLink')) : h('dl', { class: 'figures', id: 'my-hall-link', 'data-trouble': String(trouble(undefined, st)) },
				row(t('op.sent'), `${Math.round(st.bitrate_in / 1000)} kbit/s`),
				row(t('op.received'), `${Math.round(st.bitrate_out / 1000)} kbit/s`),
				row(t('op.loss'), `${(100 * st.loss_in).toFixed(1)}% / ${(100 * st.loss_out).toFixed(1)}%`),
				row(t('op.rtt'), `${Math.round(st.rtt_ms)} ms`),
				row(t('op.layer'), t('layer.' + (st.floor_layer || 'off'))),
				row(t('op.audio'), h('meter', { id: 'my-hall-level', min: '0', max: '1', value: String(level(st)) }))));
	}

	function drawRoll() {
		/** @type {Map<number, any>} */
		const att = new Map((snap?.attendance ?? []).map((/** @type {any} */ a) => [a.user_id, a]));
		const canMark = snap?.status === 'in_session';
		replace(roll, h('h2', {}, t('op.rollCall')),
			!canMark && h('p', { class: 'muted' }, t('op.rollCallClosed')),
			h('table', { class: 'roll' },
				h('thead', {}, h('tr', {}, h('th', {}, t('op.person')), h('th', {}, t('op.role')), h('th', {}, t('op.status')),
					h('th', {}, t('op.joined')), h('th', {}, t('op.left')))),
				h('tbody', {}, people.map((p) => {
					const a = att.get(p.user_id);
					const sel = h('select', { 'data-user': String(p.user_id), disabled: !canMark, 'aria-label': t('op.status') + ': ' + p.full_name },
						['', 'in_hall', 'online', 'absent'].map((v) => h('option', {
							value: v, selected: (a?.status ?? '') === v,
							// Present in a hall needs the person's hall; without one, online or absent.
							disabled: v === 'in_hall' && !p.hall_id,
						}, t('att.' + (v || 'unknown')))));
					sel.addEventListener('change', () => act(() => api.put(`/meetings/${id}/session/attendance/${p.user_id}`, { status: sel.value, hall_id: p.hall_id ?? null })));
					return h('tr', { 'data-user': String(p.user_id) }, h('td', {}, p.full_name), h('td', {}, t('mrole.' + p.role)), h('td', {}, sel),
						h('td', { class: 'joined-at' }, clock(a?.joined_at)), h('td', { class: 'left-at' }, clock(a?.left_at)));
				}))));
	}

	// The console joins the SFU without publishing: moderators receive
	// per-participant stats ("stats" events) and subscribe to thumbnails.
	/** @type {Map<number, any>} */
	const stats = new Map();
	/** @type {Map<number, HTMLVideoElement>} */
	const videos = new Map();
	/** @type {Set<string>} */
	const published = new Set();
	/** @type {Call|null} */
	let call = null;
	const hallOf = (/** @type {string} */ identity) => Number(/^hall-(\d+)/.exec(identity)?.[1] ?? 0);
	let redraw = 0;
	const drawSoon = () => { if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; draw(); }); };
	call = new Call(() => api.post(`/meetings/${id}/join`, { console: true }), {
		onTrack: (track, stream) => {
			if (track.kind !== 'video') return;
			const hall = hallOf(stream.id) || hallOf(track.id);
			if (!hall) return;
			const v = h('video', { autoplay: true, playsinline: true, muted: true });
			v.srcObject = stream;
			videos.set(hall, v);
			drawSoon();
		},
		onEvent: (type, d) => {
			if (type === 'stats') {
				for (const p of d.participants ?? []) { const hid = hallOf(p.identity); if (hid) stats.set(hid, p); }
				drawSoon();
			} else if (type === 'track_published' && d.track?.kind === 'video') {
				published.add(d.track.track_id);
				drawSoon();
			} else if (type === 'joined') {
				for (const tr of d.tracks ?? []) if (tr.kind === 'video') published.add(tr.track_id);
				drawSoon();
			}
		},
	});
	// The console shows thumbnails, not a floor picture.
	call.floorQuality = 'off';
	call.mode = 'none';
	call.stripQuality = 'off';
	/** @type {any} */ (globalThis).cauCall = call;
	// The console watching the halls is activity: its operator is not signed out as idle.
	const release = api.holdActive();

	// Events are applied locally (session.js): no request per event.
	const state = new SessionState({ load: () => api.get(`/meetings/${id}/session`), onChange: (s) => { snap = s; drawSoon(); } });
	const live = new LiveSession(api, id, {
		onSnapshot: (s) => state.setSnapshot(s),
		onEvent: (ev) => state.apply(ev),
		onResume: () => void state.reload(),
		onState: (st) => ctx.setConnection(st === 'open' || st === 'closed' ? 'open' : 'reconnecting'),
	});
	draw();
	return () => { release(); live.close(); call?.close(); ctx.setConnection('open'); delete (/** @type {any} */ (globalThis)).cauCall; };
}

/**
 * trouble ranks a hall for the console, lower first: 0 a connected hall
 * whose link is weak (loss over 5 %, RTT over 400 ms) or carries nothing,
 * 1 not connected, 2 a fair link (loss over 1 %, RTT over 200 ms) or no
 * figures yet, 3 good.
 * @param {any} s the session's hall state
 * @param {any} st the SFU's stats of the hall
 */
export function trouble(s, st) {
	if (!st) return s?.connected ? 2 : 1;
	if (!st.connected) return 1;
	if (st.loss_in > 0.05 || st.loss_out > 0.05 || st.rtt_ms > 400 || st.bitrate_in === 0) return 0;
	if (st.loss_in > 0.01 || st.loss_out > 0.01 || st.rtt_ms > 200) return 2;
	return 3;
}

/**
 * level turns the SFU's audio level (-dBov, 127 silence) into 0…1 for a meter.
 * @param {any} st
 */
function level(st) {
	const dbov = st.audio_level ?? 127;
	return Math.max(0, Math.min(1, (90 - dbov) / 60));
}
