// The room's media: the main picture (what the SFU puts on the floor, or a
// screen share with the presenter's camera in a corner), the strip of halls
// and persons, the sound, the join choice of a person and the link label.
// The elements live as long as the room, so re-drawing the session state
// never interrupts a picture.

import { Call } from '../call.js';
import { coolDown, StatsSampler, warmUp } from '../rtc.js';
import { publishModeOf, saveJoinMode, savedJoinMode } from '../joinmode.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * @typedef {object} StageOptions
 * @property {import('../api.js').Api} api
 * @property {number} meetingId
 * @property {number|null} hall the hall this browser runs (an operator), or null: a person
 * @property {Map<number, string>} halls hall id → name
 * @property {Map<number, any>} persons user id → invitee (full_name, unit_name, hall_id)
 * @property {(st: string) => void} onConnection
 * @property {(err: unknown) => void} onError
 * @property {(type: string, data: any) => void} [onSfuEvent] every SFU event (moderation follows its own)
 * @property {(identity: string) => HTMLElement|null} [tileExtra] more under a strip tile (a moderator's buttons)
 */

/** @param {StageOptions} o */
export function createStage(o) {
	const mainVideo = h('video', { id: 'main-video', autoplay: true, playsinline: true, muted: true });
	const corner = h('video', { id: 'corner-video', autoplay: true, playsinline: true, muted: true, hidden: true });
	const label = h('div', { class: 'picture-label', id: 'floor-label' });

	/** @type {HTMLAudioElement|null} plays warmUp's silent track until the call's own sound plays */
	let warm = null;
	/**
	 * The call's first audio element finds the audio output open (rtc.js
	 * warmUp): the silent track plays from the join panel on, and stops
	 * this long after the call's first track (its own elements have
	 * started by then; an output none uses is closed some seconds later).
	 */
	const coolAfterMs = 5000;

	/** @param {MediaStreamTrack|null} track */
	function warmSound(track) {
		if (!track) return;
		warm = new Audio();
		warm.srcObject = new MediaStream([track]);
		warm.play().catch(() => {});
	}

	/** coolWarm stops the silent track coolAfterMs from now (once). */
	function coolWarm() {
		const w = warm;
		if (!w) return;
		warm = null;
		setTimeout(() => { w.srcObject = null; coolDown(); }, coolAfterMs);
	}

	const pending = h('p', { class: 'muted picture-note' });
	const picture = h('div', { class: 'picture', id: 'main-picture' }, mainVideo, corner, label, pending);
	const strip = h('div', { class: 'strip', id: 'strip', 'aria-label': t('room.participants') });
	const audios = h('div', { hidden: true });
	const controls = h('div', { class: 'actions wrap call-controls', id: 'call-controls' });
	const quality = h('span', { class: 'quality', id: 'link-quality', 'aria-live': 'polite' });

	/** @type {Call|null} */
	let call = null;
	/** ends the call's hold on the idle timeout */
	let release = () => {};
	/** @type {import('../joinmode.js').JoinMode|null} */
	let mode = null;
	/** @type {Map<string, MediaStream>} remote video by track_id ("floor", "hall-3/camera", "user-7/screen") */
	const videos = new Map();
	/** @type {Map<string, {fig: HTMLElement, video: HTMLVideoElement, cap: HTMLElement, extra: HTMLElement}>} strip tiles by identity */
	const tiles = new Map();
	/** @type {string[]} */
	let speakers = [];
	/** the session's speaker label and SFU identity, from room.js */
	let session = { label: '', identity: '' };
	/** @type {MediaStream|null} our own screen share, shown as is (a new stream per refresh would restart the picture) */
	let ownScreen = null;
	/** whether the person's hall is connected (offers "I am in the hall") */
	let hallHere = false;

	/** @param {string} identity */
	function labelOf(identity) {
		const n = Number(/^(?:hall|user|console)-(\d+)/.exec(identity)?.[1] ?? 0);
		if (identity.startsWith('hall-')) return o.halls.get(n) ?? call?.name(identity) ?? identity;
		if (identity.startsWith('user-')) {
			const p = o.persons.get(n);
			if (p) return p.unit_name ? t('room.personTile', { name: p.full_name, unit: p.unit_name }) : p.full_name;
		}
		return call?.name(identity) || identity;
	}

	/**
	 * @param {HTMLVideoElement} v
	 * @param {MediaStream|null|undefined} s
	 */
	const show = (v, s) => { if (v.srcObject !== (s ?? null)) v.srcObject = s ?? null; };

	/** refresh puts the right streams in the main picture, the corner and the strip. */
	function refresh() {
		const c = call;
		const self = c?.self ?? '';
		const sharer = c?.sharing() ?? '';
		const fl = c?.floor ?? { identity: '', pinned: false, source: '', quality: '' };
		// What the floor track carries, as the SFU says: its layer's source,
		// unless paused. We hold the floor ourselves: our own camera.
		const onFloor = fl.identity && fl.identity === self ? self : fl.quality && fl.quality !== 'off' ? fl.source : '';
		let main = '';
		if (sharer) {
			main = 'screen';
			if (c?.screen && ownScreen?.getVideoTracks()[0] !== c.screen) ownScreen = new MediaStream([c.screen]);
			show(mainVideo, sharer === self ? ownScreen : videos.get(sharer + '/screen'));
			const cam = sharer === self ? c?.local : videos.get(sharer + '/camera');
			show(corner, cam?.getVideoTracks().length ? cam : null);
		} else if (onFloor && onFloor === self) {
			main = c?.local?.getVideoTracks().length ? 'self' : '';
			show(mainVideo, main ? c?.local : null);
			show(corner, null);
		} else {
			main = onFloor ? 'floor' : '';
			show(mainVideo, main ? videos.get('floor') : null);
			show(corner, null);
		}
		corner.hidden = !corner.srcObject;
		picture.classList.toggle('has-video', !!main && !!mainVideo.srcObject);
		picture.dataset.main = main;
		picture.dataset.floor = onFloor;
		picture.dataset.pinned = String(fl.pinned);
		picture.dataset.screen = sharer;
		const who = (/** @type {string} */ id) => (id && id === session.identity && session.label ? session.label : labelOf(id));
		if (sharer) label.textContent = t('room.presenting', { name: who(sharer) });
		else if (onFloor) label.textContent = who(onFloor);
		else if (fl.identity && fl.quality === 'off') label.textContent = t('room.floorPaused', { name: who(fl.identity) });
		else label.textContent = session.label || t('room.noFloor');
		pending.textContent = !c ? t('room.notJoined') : main || fl.quality === 'off' ? '' : fl.identity ? t('room.floorNoVideo') : t('room.noPicture');
		drawStrip();
	}

	function drawStrip() {
		const c = call;
		/** @type {string[]} */
		const ids = [];
		for (const p of c?.participants.values() ?? []) if (p.kind === 'hall' || p.kind === 'user') ids.push(p.identity);
		// Halls first, then persons, each in a stable order; us last.
		ids.sort((a, b) => (a === c?.self ? 1 : 0) - (b === c?.self ? 1 : 0) || a.localeCompare(b, 'en', { numeric: true }));
		for (const [id, tile] of tiles) if (!ids.includes(id)) { tile.fig.remove(); tiles.delete(id); }
		for (const id of ids) {
			let tile = tiles.get(id);
			if (!tile) {
				const video = h('video', { autoplay: true, playsinline: true, muted: true });
				const cap = h('figcaption', {});
				const extra = h('div', { class: 'tile-ctl' });
				const fig = h('figure', { class: 'strip-tile', 'data-identity': id }, video, cap, extra);
				tile = { fig, video, cap, extra };
				tiles.set(id, tile);
			}
			const mine = id === c?.self;
			const cam = mine ? (c?.local?.getVideoTracks().length ? c.local : null) : videos.get(id + '/camera');
			show(tile.video, cam);
			tile.fig.classList.toggle('no-video', !cam);
			tile.fig.classList.toggle('speaking', speakers.includes(id));
			tile.fig.classList.toggle('on-floor', c?.floor.identity === id);
			const hasMic = mine ? !!c?.local?.getAudioTracks().length : [...(c?.tracks.values() ?? [])].some((tr) => tr.identity === id && tr.source === 'microphone');
			tile.cap.textContent = (mine ? t('room.you') + ' · ' : '') + labelOf(id) + (hasMic || id.startsWith('hall-') ? '' : ' · ' + t('room.listening'));
			replace(tile.extra, mine ? null : o.tileExtra?.(id) ?? null);
			strip.append(tile.fig); // keeps the order
		}
	}

	/**
	 * start joins the call: a hall as its hall, a person in the chosen mode.
	 * @param {import('../joinmode.js').JoinMode} m
	 */
	function start(m) {
		stop();
		mode = m;
		const body = o.hall !== null ? { hall_id: o.hall } : m === 'hall' ? { console: true } : {};
		const c = new Call(() => o.api.post(`/meetings/${o.meetingId}/join`, body), {
			onTrack: (track, stream) => {
				// The call's own sound and picture have their pipelines now.
				coolWarm();
				if (track.kind === 'audio') {
					// In the hall the hall's own speakers play the sound: none here.
					if (mode === 'hall') return;
					const a = h('audio', { autoplay: true });
					a.srcObject = stream;
					audios.append(a);
					track.addEventListener('ended', () => a.remove());
					return;
				}
				const id = stream.id === 'floor' ? 'floor' : track.id;
				videos.set(id, new MediaStream([track]));
				track.addEventListener('ended', () => { videos.delete(id); refresh(); });
				refresh();
			},
			onEvent: (type, d) => {
				o.onSfuEvent?.(type, d);
				if (type === 'active_speakers') speakers = d.speakers ?? [];
				if (type === 'track_unpublished') videos.delete(d.track_id);
				if (type === 'error') o.onError(new Error(d.message ?? d.code));
				if (['joined', 'floor', 'layer', 'track_published', 'track_unpublished', 'participant_joined', 'participant_left', 'participant_updated', 'active_speakers'].includes(type)) refresh();
				if (type === 'joined') drawControls();
			},
			onState: o.onConnection,
		});
		c.mode = publishModeOf(m);
		call = c;
		// Being in a call is activity: the sign-in is not ended as idle (ui/idle.js).
		release = o.api.holdActive();
		/** @type {any} */ (globalThis).cauCall = c;
		drawControls();
		refresh();
	}

	function stop() {
		call?.close();
		call = null;
		release();
		videos.clear();
		audios.replaceChildren();
		delete (/** @type {any} */ (globalThis)).cauCall;
	}

	/** @param {() => Promise<unknown>} f */
	const act = (f) => void f().then(drawControls, (err) => { o.onError(err); drawControls(); });

	function drawControls() {
		const c = call;
		if (!c) {
			// A person chooses how to join (remembered for next time).
			const saved = savedJoinMode();
			/** @type {import('../joinmode.js').JoinMode[]} */
			const modes = hallHere ? ['camera', 'mic', 'listen', 'hall'] : ['camera', 'mic', 'listen'];
			const pick = saved && modes.includes(saved) ? saved : 'camera';
			warmSound(warmUp());
			replace(controls, h('fieldset', { class: 'join-panel', id: 'join-panel' },
				h('legend', {}, t('room.joinHow')),
				modes.map((m) => h('label', { class: 'check' },
					h('input', { type: 'radio', name: 'join-mode', value: m, checked: m === pick }), t('join.' + m))),
				h('button', { type: 'button', class: 'primary', id: 'join-call', onclick: () => {
					const el = /** @type {HTMLInputElement|null} */ (controls.querySelector('input[name=join-mode]:checked'));
					const m = /** @type {import('../joinmode.js').JoinMode} */ (el?.value ?? 'camera');
					saveJoinMode(m);
					start(m);
				} }, t('room.join'))));
			return;
		}
		const mic = c.local?.getAudioTracks()[0];
		replace(controls,
			mic && h('button', { type: 'button', id: 'mic-toggle', 'aria-pressed': String(!mic.enabled), onclick: () => {
				c.setMicMuted(mic.enabled);
				drawControls();
				refresh();
			} }, mic.enabled ? t('room.micOff') : t('room.micOn')),
			c.grant.screen && c.up && (c.screen
				? h('button', { type: 'button', id: 'stop-share', onclick: () => act(async () => { await c.stopScreen(); refresh(); }) }, t('room.stopShare'))
				: h('button', { type: 'button', id: 'share-screen', onclick: () => act(async () => { await c.shareScreen(); refresh(); }) }, t('room.shareScreen'))),
			o.hall === null && h('button', { type: 'button', id: 'leave-call', onclick: () => { stop(); mode = null; drawControls(); refresh(); } }, t('room.leaveCall')),
			h('span', { class: 'muted', id: 'join-mode', 'data-mode': mode ?? '' }, mode ? t('join.' + mode) : ''));
	}

	// Link-quality label: what we send (or, listening, what we receive),
	// the round trip and the loss, every 2 s. It never says "good" about a
	// link that carries nothing.
	/** @type {StatsSampler|null} */
	let upStats = null;
	const timer = setInterval(async () => {
		const c = call;
		if (!c) { quality.textContent = ''; return; }
		const pc = c.up ?? c.down;
		if (!pc) return;
		if (c.up && (!upStats || upStats.pc !== c.up)) upStats = new StatsSampler(c.up);
		try {
			const u = c.up && upStats ? await upStats.sample() : null;
			const d = c.downStats ? await c.downStats.sample() : null;
			const state = pc.connectionState;
			const kbps = Math.round(u ? u.sendKbps : d?.recvKbps ?? 0);
			/** @type {string} */
			let q = u && d ? (d.quality === 'poor' ? 'poor' : u.quality) : (u ?? d)?.quality ?? 'poor';
			if (state === 'failed' || state === 'disconnected' || state === 'closed') q = 'down';
			else if (state !== 'connected') q = 'connecting';
			else if (kbps === 0) q = u ? 'silent' : 'idle';
			// The SFU paused the main picture for us: our downlink cannot
			// carry it, whatever our uplink does.
			else if (c.floor.identity && c.floor.identity !== c.self && c.floor.quality === 'off') q = 'poor';
			quality.dataset.quality = q === 'good' || q === 'fair' ? q : 'poor';
			quality.dataset.state = q;
			quality.textContent = q === 'good' || q === 'fair' || q === 'poor'
				? t('room.link', { q: t('link.' + q), kbps, rtt: Math.round((u ?? d)?.rttMs ?? 0), loss: (d?.lossPct ?? 0).toFixed(1) })
				: t('link.' + q);
		} catch { /* the connection is being replaced */ }
	}, 2000);

	drawControls();
	refresh();
	return {
		picture, strip, audios, controls, quality,
		get call() { return call; },
		start,
		/** leave ends our call (the chair removed us or ended the call). */
		leave() { stop(); mode = null; drawControls(); refresh(); },
		/** redraw redraws the controls (our microphone changed elsewhere). */
		redraw() { drawControls(); },
		/**
		 * setSession tells the stage the session's speaker (label and SFU
		 * identity) and whether the person's hall is connected.
		 * @param {{label: string, identity: string}} s
		 * @param {boolean} inHall
		 */
		setSession(s, inHall) {
			session = s;
			if (inHall !== hallHere) { hallHere = inHall; if (!call) drawControls(); }
			refresh();
		},
		/** autoJoin joins a hall at once, a person in their remembered mode. */
		autoJoin() {
			if (o.hall !== null) { start('camera'); return; }
			const saved = savedJoinMode();
			if (saved && (saved !== 'hall' || hallHere)) start(saved);
		},
		close() { clearInterval(timer); stop(); },
	};
}
