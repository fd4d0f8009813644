// A hall's call through the SFU: publishes the camera and microphone on the
// "up" connection (offered by us, simulcast), receives the others on the
// "down" connection (offered by the SFU). No DOM: the UI gets tracks through
// onTrack and decides where they go.

import { Signaling } from './signaling.js';
import { addPublishTracks, openCamera, StatsSampler } from './rtc.js';

/**
 * @typedef {object} CallHandlers
 * @property {(track: MediaStreamTrack, stream: MediaStream) => void} onTrack a remote track arrived
 * @property {(type: string, data: any) => void} [onEvent] other SFU events (floor, layer, stats, error…)
 * @property {(state: import('./socket.js').SocketState) => void} [onState]
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
		/** whether to publish camera and microphone when the grant allows (false: watch only) */
		this.publishes = true;
		/** @type {import('./rtc.js').Quality} each other hall's thumbnail */
		this.stripQuality = 'low';
		this.sig = new Signaling(join, { onMessage: (t, d) => void this.onMessage(t, d), onState: handlers.onState });
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
			if (!data.resumed) {
				// A new session: whatever we had is gone on the server side,
				// subscriptions included.
				this.closePCs();
				this.wanted.clear();
				if (data.grant?.publish && this.publishes) await this.publish();
			}
			if (data.grant?.subscribe !== false) {
				this.want('floor', this.floorQuality);
				for (const tr of data.tracks ?? []) this.onPublished(tr);
			}
			break;
		case 'track_published':
			this.onPublished(data.track);
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

	/** @param {'up'|'down'} name */
	newPC(name) {
		const pc = new RTCPeerConnection({ iceServers: this.ice, bundlePolicy: 'max-bundle' });
		pc.onicecandidate = (ev) => { if (ev.candidate) this.sig.send('candidate', { pc: name, candidate: ev.candidate.toJSON() }); };
		return pc;
	}

	async publish() {
		this.local ??= await openCamera();
		const pc = this.newPC('up');
		this.up = pc;
		addPublishTracks(pc, this.local);
		/** @type {Record<string, string>} */
		const tracks = {};
		for (const t of this.local.getTracks()) tracks[t.id] = t.kind === 'video' ? 'camera' : 'microphone';
		const offer = await pc.createOffer();
		await pc.setLocalDescription(offer);
		this.sig.send('offer', { sdp: offer.sdp, tracks });
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
		this.up.addTransceiver(track, { direction: 'sendonly', streams: [screen] });
		/** @type {Record<string, string>} */
		const tracks = {};
		for (const t of this.local.getTracks()) tracks[t.id] = t.kind === 'video' ? 'camera' : 'microphone';
		tracks[track.id] = 'screen';
		const offer = await this.up.createOffer();
		await this.up.setLocalDescription(offer);
		this.sig.send('offer', { sdp: offer.sdp, tracks });
		track.addEventListener('ended', () => {
			// The browser's "stop sharing" bar: unpublish by renegotiating without it.
			const tr = this.up?.getTransceivers().find((x) => x.sender.track === track);
			if (!tr || !this.up) return;
			this.up.removeTrack(tr.sender);
			void this.up.createOffer().then(async (o) => {
				await this.up?.setLocalDescription(o);
				delete tracks[track.id];
				this.sig.send('offer', { sdp: o.sdp, tracks });
			});
		});
		return screen;
	}

	/** @param {string} sdp */
	async answerDown(sdp) {
		if (!this.down) {
			const pc = this.newPC('down');
			pc.ontrack = (ev) => this.handlers.onTrack(ev.track, ev.streams[0] ?? new MediaStream([ev.track]));
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
		this.want(tr.track_id, this.stripQuality);
	}

	/**
	 * want records and sends the wanted quality of a track; it is sent again
	 * after a reconnect that did not resume.
	 * @param {string} trackId
	 * @param {import('./rtc.js').Quality} quality
	 */
	want(trackId, quality) {
		this.wanted.set(trackId, quality);
		this.subscribe(trackId, quality);
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
	}
}
