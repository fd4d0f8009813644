// A call through the SFU (a hall, a person, a console): publishes the
// camera and microphone (or the microphone only, or nothing) on the "up"
// connection (offered by us, simulcast), receives the others on the "down"
// connection (offered by the SFU). It keeps what the SFU says about the
// room: who is in it, their tracks, whose picture the floor track carries.
// No DOM: the UI gets tracks through onTrack and decides where they go.

import { Signaling } from './signaling.js';
import { addPublishTracks, openCamera, setActiveLayers, StatsSampler } from './rtc.js';

/**
 * @typedef {object} CallHandlers
 * @property {(track: MediaStreamTrack, stream: MediaStream) => void} onTrack a remote track arrived
 * @property {(type: string, data: any) => void} [onEvent] other SFU events (floor, layer, stats, error…)
 * @property {(state: import('./socket.js').SocketState) => void} [onState]
 */

/** @typedef {'camera'|'mic'|'none'} PublishMode what a call publishes when its grant allows */

/**
 * @typedef {object} FloorState what the SFU says about the floor
 * @property {string} identity whose floor it is (the floor event)
 * @property {boolean} pinned granted by the chair
 * @property {string} source whose picture the floor track carries now (the layer event)
 * @property {import('./rtc.js').Quality|''} quality the layer received ('off': paused)
 */

/** Call is one participant's media session. */
export class Call {
	/**
	 * @param {() => Promise<import('./signaling.js').JoinGrant>} join
	 * @param {CallHandlers} handlers
	 */
	constructor(join, handlers) {
		this.handlers = handlers;
		/** @type {RTCPeerConnection|null} */ this.up = null;
		/** @type {RTCPeerConnection|null} */ this.down = null;
		/** @type {MediaStream|null} */ this.local = null;
		/** @type {RTCIceServer[]} */ this.ice = [];
		/** @type {StatsSampler|null} */ this.downStats = null;
		/** @type {string[]} */ this.recent = [];
		/** our identity in the SFU ("hall-20") */
		this.self = '';
		/** @type {Map<string, import('./rtc.js').Quality>} wanted quality per remote video track */
		this.wanted = new Map();
		/** @type {import('./rtc.js').Quality} the main picture's quality */
		this.floorQuality = 'high';
		/** @type {{publish?: boolean, subscribe?: boolean, screen?: boolean, moderate?: boolean}} what the SFU allows us */
		this.grant = {};
		/** @type {PublishMode} what to publish when the grant allows */
		this.mode = 'camera';
		/** @type {Map<string, {identity: string, name: string, kind: string}>} the room's participants (us too) */
		this.participants = new Map();
		/** @type {Map<string, any>} the room's tracks by track_id (TrackInfo) */
		this.tracks = new Map();
		/** @type {FloorState} */
		this.floor = { identity: '', pinned: false, source: '', quality: '' };
		/** @type {MediaStreamTrack|null} our screen share, while it lasts */
		this.screen = null;
		/** @type {import('./rtc.js').Quality} each other hall's thumbnail */
		this.stripQuality = 'low';
		/** whether our own microphone is off (setMicMuted) */
		this.micMuted = false;
		/** @type {Set<string>|null} thumbnails wanted but not yet asked for (holdThumbnails) */
		this.held = null;
		/** @type {Promise<void>} the last "layers" applied: one setParameters at a time */
		this.layersDone = Promise.resolve();
		this.sig = new Signaling(join, {
			onMessage: (t, d) => void this.onMessage(t, d),
			onState: handlers.onState,
			// The floor in the join itself: the SFU's first down offer
			// carries its picture beside the room's audio (a second offer
			// after the first one's answer cost the first picture a round
			// trip and the page's work on another offer).
			subscribe: () => [{ track_id: 'floor', quality: this.floorQuality }],
		});
	}

	/**
	 * @param {string} type
	 * @param {any} data
	 */
	async onMessage(type, data) {
		// The last messages, for diagnosis from the console (and the tests).
		this.recent.push(type + ' ' + JSON.stringify(data).slice(0, 300));
		if (this.recent.length > 100) this.recent.shift();
		switch (type) {
		case 'joined':
			this.ice = (data.ice_servers ?? []).map((/** @type {any} */ s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
			this.self = data.self?.identity ?? '';
			this.grant = data.grant ?? {};
			this.participants = new Map([data.self, ...(data.participants ?? [])].filter(Boolean).map((/** @type {any} */ p) => [p.identity, p]));
			this.tracks = new Map((data.tracks ?? []).map((/** @type {any} */ tr) => [tr.track_id, tr]));
			this.floor = { ...this.floor, identity: data.floor ?? '', pinned: !!data.pinned };
			if (!data.resumed) {
				// A new session: whatever we had is gone on the server side,
				// subscriptions included.
				this.closePCs();
				this.wanted.clear();
			}
			// Subscriptions first: the floor's picture comes down (from the
			// SFU's cached key frame) while our own camera is still opening.
			if (data.grant?.subscribe !== false) {
				this.want('floor', this.floorQuality);
				if (!data.resumed) this.holdThumbnails();
				for (const tr of data.tracks ?? []) this.onPublished(tr);
			}
			if (!data.resumed && data.grant?.publish && this.mode !== 'none') await this.publish();
			break;
		case 'track_published':
			if (data.track) this.tracks.set(data.track.track_id, data.track);
			this.onPublished(data.track);
			break;
		case 'track_unpublished':
			this.tracks.delete(data.track_id);
			this.wanted.delete(data.track_id);
			break;
		case 'participant_joined':
		case 'participant_updated':
			if (data.participant) this.participants.set(data.participant.identity, data.participant);
			break;
		case 'participant_left':
			this.participants.delete(data.identity);
			break;
		case 'floor':
			this.floor = { ...this.floor, identity: data.identity ?? '', pinned: !!data.pinned };
			break;
		case 'layer':
			if (data.track_id === 'floor') this.floor = { ...this.floor, source: data.source ?? '', quality: data.quality ?? '' };
			break;
		case 'layers':
			this.layersDone = this.layersDone.then(() => this.setLayers(data));
			break;
		case 'answer':
			if (data.pc === 'up' && this.up) await this.up.setRemoteDescription({ type: 'answer', sdp: data.sdp });
			break;
		case 'offer':
			if (data.pc === 'down') await this.answerDown(data.sdp);
			break;
		case 'candidate': {
			const pc = data.pc === 'up' ? this.up : this.down;
			if (pc && data.candidate?.candidate) await pc.addIceCandidate(data.candidate).catch(() => {});
			break;
		}
		}
		this.handlers.onEvent?.(type, data);
	}

	/**
	 * setLayers applies the SFU's "layers" message: the simulcast layers of our
	 * camera anyone wants; the others are paused until it asks again.
	 * @param {any} data
	 */
	async setLayers(data) {
		const track = this.local?.getVideoTracks()[0];
		if (data.source !== 'camera' || !this.up || !track) return;
		const sender = this.up.getSenders().find((s) => s.track === track);
		if (sender) await setActiveLayers(sender, data.active ?? []).catch(() => {});
	}

	/** @param {'up'|'down'} name */
	newPC(name) {
		const pc = new RTCPeerConnection({ iceServers: this.ice, bundlePolicy: 'max-bundle', iceTransportPolicy: icePolicy() });
		pc.onicecandidate = (ev) => { if (ev.candidate) this.sig.send('candidate', { pc: name, candidate: ev.candidate.toJSON() }); };
		return pc;
	}

	async publish() {
		this.local ??= await openCamera(this.mode === 'mic' ? { video: false } : {});
		const pc = this.newPC('up');
		this.up = pc;
		addPublishTracks(pc, this.local);
		const offer = await pc.createOffer();
		await pc.setLocalDescription(offer);
		this.sig.send('offer', { sdp: offer.sdp, tracks: this.sources() });
	}

	/**
	 * sources names each published track for the SFU (docs/signaling.md "offer").
	 * @returns {Record<string, string>}
	 */
	sources() {
		/** @type {Record<string, string>} */
		const tracks = {};
		for (const t of this.local?.getTracks() ?? []) tracks[t.id] = t.kind === 'video' ? 'camera' : 'microphone';
		if (this.screen) tracks[this.screen.id] = 'screen';
		return tracks;
	}

	/**
	 * name is how the SFU names a participant ("" if unknown).
	 * @param {string} identity
	 */
	name(identity) { return this.participants.get(identity)?.name ?? ''; }

	/**
	 * sharing is the identity of whoever shares a screen now ("" if nobody;
	 * the first one if several).
	 */
	sharing() {
		if (this.screen) return this.self;
		for (const tr of this.tracks.values()) if (tr.source === 'screen' && !tr.muted) return tr.identity;
		return '';
	}

	/**
	 * shareScreen publishes a screen capture beside the camera (presenters;
	 * the SFU refuses it without the screen grant). It renegotiates the up
	 * connection and returns the stream so the caller can stop it.
	 */
	async shareScreen() {
		if (!this.up || !this.local) throw new Error('not publishing');
		const screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
		const track = screen.getVideoTracks()[0];
		this.screen = track;
		this.up.addTransceiver(track, { direction: 'sendonly', streams: [screen] });
		const offer = await this.up.createOffer();
		await this.up.setLocalDescription(offer);
		this.sig.send('offer', { sdp: offer.sdp, tracks: this.sources() });
		// The browser's "stop sharing" bar ends the track too.
		track.addEventListener('ended', () => void this.stopScreen());
		return screen;
	}

	/**
	 * setMicMuted turns our own microphone off or on (the track is kept,
	 * so turning it on needs no new permission) and tells the SFU. A
	 * moderator's mute is separate: while it holds the SFU forwards nothing.
	 * @param {boolean} muted
	 */
	setMicMuted(muted) {
		this.micMuted = muted;
		for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !muted;
		this.sig.send('mute', { source: 'microphone', muted });
	}

	/** stopScreen unpublishes our screen share by renegotiating without it. */
	async stopScreen() {
		const track = this.screen;
		if (!track) return;
		this.screen = null;
		track.stop();
		const tr = this.up?.getTransceivers().find((x) => x.sender.track === track);
		if (!tr || !this.up) return;
		this.up.removeTrack(tr.sender);
		const o = await this.up.createOffer();
		await this.up.setLocalDescription(o);
		this.sig.send('offer', { sdp: o.sdp, tracks: this.sources() });
	}

	/** @param {string} sdp */
	async answerDown(sdp) {
		if (!this.down) {
			const pc = this.newPC('down');
			pc.ontrack = (ev) => {
				if (ev.streams[0]?.id === 'floor' && ev.track.kind === 'video') ev.track.addEventListener('unmute', () => this.releaseThumbnails(), { once: true });
				this.handlers.onTrack(ev.track, ev.streams[0] ?? new MediaStream([ev.track]));
			};
			this.down = pc;
			this.downStats = new StatsSampler(pc);
		}
		await this.down.setRemoteDescription({ type: 'offer', sdp });
		const answer = await this.down.createAnswer();
		await this.down.setLocalDescription(answer);
		this.sig.send('answer', { sdp: answer.sdp });
	}

	/**
	 * onPublished subscribes to another participant's new video track at
	 * thumbnail quality (audio comes without asking).
	 * @param {any} tr TrackInfo
	 */
	onPublished(tr) {
		if (!tr || tr.kind !== 'video' || tr.identity === this.self || this.wanted.has(tr.track_id)) return;
		// A screen share is the main picture: its best layer.
		this.want(tr.track_id, tr.source === 'screen' && this.floorQuality !== 'off' ? 'high' : this.stripQuality);
	}

	/**
	 * want records and sends the wanted quality of a track; it is sent again
	 * after a reconnect that did not resume. A thumbnail is only recorded
	 * while thumbnails are held (holdThumbnails).
	 * @param {string} trackId
	 * @param {import('./rtc.js').Quality} quality
	 */
	want(trackId, quality) {
		this.wanted.set(trackId, quality);
		if (this.held && trackId !== 'floor' && this.tracks.get(trackId)?.source !== 'screen') {
			this.held.add(trackId);
			return;
		}
		this.subscribe(trackId, quality);
	}

	/**
	 * holdThumbnails keeps a joining call's thumbnails back until the floor's
	 * first packets arrive (its track unmutes), 1.5 s at most: each one
	 * asked for at once made the SFU send a second offer right after the
	 * first, and Chromium applied it on the threads that were bringing up
	 * the connection and the first picture (join to first frame, issue 19).
	 */
	holdThumbnails() {
		if (this.floorQuality === 'off') return;
		const held = this.held = new Set();
		setTimeout(() => { if (this.held === held) this.releaseThumbnails(); }, 1500);
	}

	/** releaseThumbnails asks for the held thumbnails, in their quality wanted now. */
	releaseThumbnails() {
		const held = this.held;
		this.held = null;
		for (const id of held ?? []) {
			const q = this.wanted.get(id);
			if (q) this.subscribe(id, q);
		}
	}

	/**
	 * subscribe sets the wanted quality of a remote track ("off" for a tile out of view).
	 * @param {string} trackId
	 * @param {import('./rtc.js').Quality} quality
	 */
	subscribe(trackId, quality) { this.sig.send('subscribe', { track_id: trackId, quality }); }

	closePCs() {
		this.up?.close();
		this.down?.close();
		this.up = this.down = null;
		this.downStats = null;
	}

	close() {
		this.sig.close();
		this.closePCs();
		this.local?.getTracks().forEach((t) => t.stop());
		this.local = null;
		this.screen?.stop();
		this.screen = null;
	}
}

/**
 * icePolicy is the tab's ICE transport policy: 'relay' after a page was
 * opened with ?ice=relay (media only through the TURN server of the join
 * answer: how an operator checks a hall's firewall path, and how the tests
 * prove the relay carries picture), until ?ice=all; else 'all'.
 * @returns {RTCIceTransportPolicy}
 */
export function icePolicy() {
	try {
		const asked = new URLSearchParams(location.search).get('ice');
		if (asked === 'relay' || asked === 'all') sessionStorage.setItem('cau.ice', asked);
		return sessionStorage.getItem('cau.ice') === 'relay' ? 'relay' : 'all';
	} catch {
		return 'all';
	}
}
