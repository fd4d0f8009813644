// The meeting room: main picture (the floor), current agenda item and its
// documents, speaking requests, votes, and the chair's controls. State comes
// from the live session (live.js); commands go over REST and come back as
// events, so every browser, the chair's included, shows the same thing.

import { ApiError, errorMessage } from '../api.js';
import { LiveSession } from '../live.js';
import { SessionState } from '../session.js';
import { createStage } from './stage.js';
import { t, has } from '../i18n.js';
import { h, replace } from './dom.js';
import { voteDialog, votePanel } from './vote.js';
import { Moderation } from './moderation.js';
import { meetingStatus } from './meetings.js';

/**
 * @typedef {object} RoomData
 * @property {any} meeting
 * @property {string[]} myRoles
 * @property {number[]} myHalls
 * @property {boolean} canManage
 * @property {Map<number, string>} people user id → full name
 * @property {Map<number, any>} persons user id → invitee (full_name, unit_name, hall_id)
 * @property {Map<number, string>} halls hall id → name
 * @property {any[]} documents
 */

/** @type {import('./app.js').Screen} */
export async function roomScreen(main, ctx, params) {
	const id = Number(params.id);
	if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'not_found', 'bad meeting id');
	main.append(h('p', { class: 'muted' }, t('room.loading')));
	const api = ctx.api;
	const [m, inv, docs] = await Promise.all([
		api.get(`/meetings/${id}`),
		api.get(`/meetings/${id}/invitees`),
		api.get(`/meetings/${id}/documents`).catch(() => ({ documents: [] })),
	]);
	/** @type {RoomData} */
	const data = {
		meeting: m.meeting, myRoles: m.my_roles, myHalls: m.my_halls, canManage: m.can_manage,
		people: new Map(inv.participants.map((/** @type {any} */ p) => [p.user_id, p.full_name])),
		persons: new Map(inv.participants.map((/** @type {any} */ p) => [p.user_id, p])),
		halls: new Map(inv.halls.map((/** @type {any} */ x) => [x.hall_id, x.name])),
		documents: Array.isArray(docs) ? docs : docs.documents ?? [],
	};
	document.title = data.meeting.title + ' — ' + t('app.name');

	/** @type {any} */
	let snap = null;
	let voted = /** @type {Set<number>} */ (new Set());
	// Until the first snapshot arrives the page says so (never blank).
	const root = h('div', { class: 'room' }, h('p', { class: 'muted room-head' }, t('room.loading')));
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	main.replaceChildren(error, root);

	/** @param {() => Promise<unknown>} f */
	const act = async (f) => {
		error.hidden = true;
		try { await f(); } catch (err) { error.textContent = errorMessage(err); error.hidden = false; }
	};
	// Moderation of the call (ui/moderation.js): the chair's panel and
	// tile buttons, and what a moderated participant is told.
	const mod = new Moderation({ api, meetingId: id, me: api.user?.id, myHalls: data.myHalls, myRoles: data.myRoles,
		people: data.people, halls: data.halls, act, call: () => stage.call, leave: () => stage.leave(), redraw: () => stage.redraw() });

	// Events are applied to the snapshot here (session.js); the snapshot is
	// re-read only after a reconnect or a gap in the log.
	// Following a session while it is open counts as activity: a delegate
	// watching for hours is not signed out as idle (ui/idle.js).
	/** @type {(() => void)|null} */
	let following = null;
	const state = new SessionState({
		load: () => api.get(`/meetings/${id}/session`),
		onChange: (s) => {
			snap = s; mod.snap = s;
			if (s.status === 'in_session' && !following) following = api.holdActive();
			if (s.status !== 'in_session' && following) { following(); following = null; }
			draw();
		},
		onEvent: (ev) => {
			if (ev.type === 'vote.closed' || ev.type === 'vote.opened') { voted = new Set(); draw(); }
			mod.onSessionEvent(ev);
		},
	});
	const live = new LiveSession(api, id, {
		onSnapshot: (s) => state.setSnapshot(s),
		onEvent: (ev) => state.apply(ev),
		onResume: () => void state.reload(),
		onState: (st) => ctx.setConnection(st === 'open' || st === 'closed' ? 'open' : 'reconnecting'),
	});
	/** @type {any} */ (globalThis).cauSession = state;
	// Tests reach the session to cut the link as a network loss would.
	/** @type {any} */ (globalThis).cauLive = live;

	// Media: a hall's browser joins as its hall; a person joins from their
	// own browser in the mode they choose (ui/stage.js).
	const stage = createStage({
		api, meetingId: id, hall: data.myHalls.length > 0 ? data.myHalls[0] : null, halls: data.halls, persons: data.persons,
		onConnection: (st) => ctx.setConnection(st === 'open' || st === 'closed' ? 'open' : 'reconnecting'),
		onError: (err) => { error.textContent = errorMessage(err); error.hidden = false; },
		onSfuEvent: (type, d) => mod.onSfuEvent(type, d),
		tileExtra: (identity) => mod.tile(identity),
	});
	let autoJoined = false;

	function draw() {
		if (!snap) return;
		const chair = data.canManage || data.myRoles.includes('chair');
		const items = /** @type {any[]} */ (snap.agenda ?? []);
		const idx = items.findIndex((i) => i.id === snap.current_item_id);
		const current = idx >= 0 ? items[idx] : null;
		const queue = /** @type {any[]} */ (snap.queue ?? []);
		const speaking = queue.find((r) => r.status === 'speaking');
		const waiting = queue.filter((r) => r.status === 'waiting');
		const me = api.user?.id;
		const mine = waiting.find((r) => r.user_id === me);
		const inSession = snap.status === 'in_session';
		const who = (/** @type {any} */ r) => [
			r.user_id ? data.people.get(r.user_id) ?? t('room.person', { id: r.user_id }) : null,
			r.hall_id ? data.halls.get(r.hall_id) ?? t('room.hall', { id: r.hall_id }) : null,
		].filter(Boolean).join(' — ');
		const itemDocs = data.documents.filter((d) => current && d.item_id === current.id);
		// The stage labels the floor with the session's speaker when the SFU
		// shows that speaker's picture; a person seated in a connected hall
		// is offered "I am in the hall".
		const hallState = new Map((snap.halls ?? []).map((/** @type {any} */ x) => [x.hall_id, x]));
		const myAtt = (snap.attendance ?? []).find((/** @type {any} */ a) => a.user_id === me);
		const myHall = myAtt?.status === 'in_hall' ? myAtt.hall_id : data.persons.get(me ?? 0)?.hall_id;
		stage.setSession({
			label: speaking ? who(speaking) : '',
			identity: speaking ? (speaking.hall_id ? `hall-${speaking.hall_id}` : `user-${speaking.user_id}`) : '',
		}, !!myHall && !!hallState.get(myHall)?.connected);
		if (!autoJoined) { autoJoined = true; stage.autoJoin(); }
		stage.picture.dataset.speaker = speaking ? String(speaking.id) : '';
		// Every invited hall, connected or not, before the session opens too.
		const hallRows = [...data.halls.keys()].map((hid) => hallState.get(hid) ?? { hall_id: hid, connected: false, muted: false });
		for (const hs of snap.halls ?? []) if (!data.halls.has(hs.hall_id)) hallRows.push(hs);
		const moderator = mod.canModerate();
		const voters = /** @type {string[]} */ (snap.vote?.voter_roles ?? ['delegate', 'chair']);

		replace(root, mod.notice,
			h('header', { class: 'room-head' },
				h('div', {},
					h('h1', {}, data.meeting.title),
					h('p', { class: 'muted' }, has('kind.' + data.meeting.kind) ? t('kind.' + data.meeting.kind) : data.meeting.kind,
						' · ', meetingStatus(snap.status, 'session-status'),
						' · ', stage.quality,
						// Everyone sees that the session is being recorded.
						snap.recording && h('span', { class: 'rec-on', id: 'recording-on', role: 'status' }, ' ', t('rec.on')))),
				(data.myRoles.length > 0 || data.canManage) && h('a', { class: 'button secondary', id: 'to-recordings', href: `/meetings/${id}/recordings`, onclick: ctx.link(`/meetings/${id}/recordings`) }, t('rec.list')),
				(data.myRoles.length > 0 || data.canManage) && h('a', { class: 'button', id: 'to-minutes', href: `/meetings/${id}/minutes`, onclick: ctx.link(`/meetings/${id}/minutes`) }, t('minutes.title')),
			),
			h('section', { class: 'stage', 'aria-label': t('room.mainPicture') },
				stage.picture, stage.controls, stage.strip, stage.audios,
				h('div', { class: 'current card', id: 'current-item', 'data-item': current ? String(current.id) : '' },
					h('h2', {}, t('room.current')),
					current ? h('p', { class: 'item-title' }, `${idx + 1}. ${current.title}`) : h('p', { class: 'muted' }, t('room.noItem')),
					current?.description && h('p', {}, current.description),
					current && h('h3', {}, t('room.documents')),
					current && (itemDocs.length ? h('ul', {}, itemDocs.map((d) => h('li', {}, h('a', { href: `/documents/${d.id}` }, d.title)))) : h('p', { class: 'muted' }, t('room.noDocuments'))))),
			h('aside', { class: 'side' },
				chair && h('section', { class: 'card chair', 'aria-label': t('room.chair') },
					h('h2', {}, t('room.chair')),
					h('div', { class: 'actions wrap' },
						snap.status === 'published' && button('open-session', t('room.openSession'), () => act(() => api.post(`/meetings/${id}/session/open`)), 'primary'),
						inSession && button('prev-item', t('room.prevItem'), () => act(() => api.put(`/meetings/${id}/session/current-item`, { item_id: items[idx - 1].id })), '', idx <= 0),
						inSession && button('next-item', t('room.nextItem'), () => act(() => api.put(`/meetings/${id}/session/current-item`, { item_id: items[idx + 1].id })), 'primary', idx >= items.length - 1),
						inSession && !snap.vote && button('open-vote', t('room.openVote'), () => voteDialog(async (v) => act(() => api.post(`/meetings/${id}/session/votes`, { question: v.question, secret: v.secret, base: v.base, rule: v.rule, options: ['yes', 'no', 'abstain'] })))),
						inSession && snap.vote && button('close-vote', t('room.closeVote'), () => act(() => api.post(`/meetings/${id}/session/votes/${snap.vote.id}/close`))),
						inSession && !snap.recording && button('start-recording', t('rec.start'), () => act(() => api.post(`/meetings/${id}/recording/start`))),
						inSession && snap.recording && button('stop-recording', t('rec.stop'), () => act(() => api.post(`/meetings/${id}/recording/stop`)), 'danger'),
						inSession && button('close-session', t('room.closeSession'), () => act(() => api.post(`/meetings/${id}/session/close`))))),
				mod.panel(),
				// Only those whose meeting role may vote see ballot buttons.
				votePanel(snap, { canVote: voters.some((r) => data.myRoles.includes(r)), voted, onCast: (vote, choice) => act(async () => { await api.post(`/meetings/${id}/session/votes/${vote}/ballot`, { choice }); voted.add(vote); draw(); }) }),
				h('section', { class: 'card', 'aria-label': t('room.queue') },
					h('h2', {}, t('room.floor')),
					h('p', { id: 'floor' }, speaking ? who(speaking) : h('span', { class: 'muted' }, t('room.noFloor'))),
					chair && speaking && button('end-floor', t('room.endFloor'), () => act(() => api.post(`/meetings/${id}/session/speaking/${speaking.id}/end`))),
					h('h2', {}, t('room.queue')),
					waiting.length === 0 ? h('p', { class: 'muted' }, t('room.queueEmpty')) :
						h('ol', { id: 'queue' }, waiting.map((r) => h('li', { 'data-request': String(r.id) }, who(r), ' ',
							chair && button('', t('room.grant'), () => act(() => api.post(`/meetings/${id}/session/speaking/${r.id}/grant`)), 'small')))),
					inSession && !chair && (mine
						? button('withdraw', t('room.withdraw'), () => act(() => api.post(`/meetings/${id}/session/speaking/${mine.id}/withdraw`)))
						: button('request-floor', t('room.requestFloor'), () => act(() => api.post(`/meetings/${id}/session/speaking`, data.myHalls.length ? { hall_id: data.myHalls[0] } : {})), 'primary'))),
				h('section', { class: 'card' },
					h('h2', {}, t('room.agenda')),
					// Each item with its documents, so delegates read them before the session too.
					h('ol', { class: 'agenda', id: 'room-agenda' }, items.map((i) => {
						const docs = data.documents.filter((d) => d.item_id === i.id);
						return h('li', { 'aria-current': i.id === snap.current_item_id ? 'step' : undefined }, i.title,
							docs.length > 0 && h('ul', { class: 'item-docs' }, docs.map((d) => h('li', {}, h('a', { href: `/documents/${d.id}` }, d.title)))));
					})),
					data.documents.some((d) => !d.item_id) && h('h3', {}, t('room.documents')),
					data.documents.some((d) => !d.item_id) && h('ul', { class: 'item-docs', id: 'room-docs' }, data.documents.filter((d) => !d.item_id)
						.map((d) => h('li', {}, h('a', { href: `/documents/${d.id}` }, d.title))))),
				h('section', { class: 'card' },
					h('h2', {}, t('room.halls')),
					hallRows.length === 0 && h('p', { class: 'muted' }, t('room.noHalls')),
					(chair || data.myHalls.length > 0) && h('p', {}, h('a', { href: `/meetings/${id}/operator`, id: 'to-operator' }, t('room.operator'))),
					h('ul', { class: 'halls', id: 'room-halls' }, hallRows.map((/** @type {any} */ hs) => h('li', { 'data-hall': String(hs.hall_id) },
						h('span', { class: 'dot ' + (hs.connected ? 'on' : 'off'), 'aria-hidden': 'true' }),
						data.halls.get(hs.hall_id) ?? t('room.hall', { id: hs.hall_id }), ' ',
						h('span', { class: 'muted' }, hs.connected ? t('room.hallConnected') : t('room.hallOffline'), hs.muted ? ' · ' + t('room.muted') : '', hs.removed ? ' · ' + t('mod.removed') : ''),
						moderator && inSession && button('', hs.muted ? t('room.unmute') : t('room.mute'), () => act(() => api.post(`/meetings/${id}/session/halls/${hs.hall_id}/mute`, { muted: !hs.muted })), 'small'))))),
			));
	}

	return () => {
		following?.();
		stage.close();
		live.close();
		ctx.setConnection('open');
		delete (/** @type {any} */ (globalThis)).cauLive;
		delete (/** @type {any} */ (globalThis)).cauSession;
	};
}

/**
 * @param {string} id
 * @param {string} text
 * @param {() => void} onclick
 * @param {string} [cls]
 * @param {boolean} [disabled]
 */
function button(id, text, onclick, cls = '', disabled = false) {
	return h('button', { type: 'button', id: id || undefined, class: cls || undefined, disabled, onclick }, text);
}
