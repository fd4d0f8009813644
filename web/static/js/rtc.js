// WebRTC without the DOM: simulcast publishing of a hall's camera and
// microphone, receiving tracks, and link statistics from getStats.

/**
 * The three simulcast layers the SFU forwards: ~1.5 Mbit/s, 500 kbit/s and a bottom layer of
 * ~100 kbit/s at 15 fps for commune lines (a 400 kbit/s line with 3 % loss is estimated at about
 * 290 kbit/s, and must carry the floor's audio beside it; 150 kbit/s did not fit with key frames).
 */
export const simulcastLayers = /** @type {RTCRtpEncodingParameters[]} */ ([
	{ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 100_000, maxFramerate: 15 },
	{ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
	{ rid: 'f', maxBitrate: 1_500_000 },
]);

/** @typedef {'high'|'medium'|'low'|'off'} Quality */

/** @type {Record<string, Quality>} the quality the SFU names each simulcast rid's layer by (lowest first) */
const ridQuality = Object.fromEntries(simulcastLayers.map((l, i) => [l.rid, /** @type {Quality[]} */ (['low', 'medium', 'high'])[i]]));

/**
 * setActiveLayers turns a simulcast sender's encodings on and off as the SFU
 * asks ("layers": it pauses the layers nobody watches, and the encoder and the
 * uplink are spared them); the low layer always stays on.
 * @param {RTCRtpSender} sender
 * @param {string[]} active the qualities to send
 */
export async function setActiveLayers(sender, active) {
	const params = sender.getParameters();
	if ((params.encodings?.length ?? 0) < 2) return;
	let changed = false;
	for (const e of params.encodings) {
		const q = ridQuality[e.rid ?? ''] ?? 'high';
		const on = q === 'low' || active.includes(q);
		if ((e.active ?? true) !== on) {
			e.active = on;
			changed = true;
		}
	}
	if (changed) await sender.setParameters(params);
}

/** whether warmUp ran in this page */
let warmed = false;
/** @type {RTCPeerConnection|null} warmUp's throwaway connection, until coolDown */
let warm = null;

/**
 * warmUp readies the browser's WebRTC machinery (its threads, the
 * audio and video pipelines of a received track) while the person is still
 * choosing how to join: the first connection of a page otherwise answered
 * the SFU's first offer a few hundred ms late, and the floor's first frame
 * waited for it. A throwaway connection, offered locally, that sends
 * nothing to anyone. It returns the connection's received audio track
 * (silent) for the UI to play until the call's own sound plays: the page's
 * first element playing a remote track opens the audio output, a task of
 * 70–550 ms on the main thread (Chromium, measured), which held the
 * answer to the SFU's first offer when it came with the call. The
 * connection stays until coolDown, so the output stays open.
 * @returns {MediaStreamTrack|null}
 */
export function warmUp() {
	if (warmed || typeof RTCPeerConnection !== 'function') return null;
	warmed = true;
	const pc = warm = new RTCPeerConnection();
	const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
	pc.addTransceiver('video', { direction: 'recvonly' });
	pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(() => {});
	return audio.receiver.track;
}

/** coolDown closes warmUp's connection: the call's own has taken over. */
export function coolDown() {
	warm?.close();
	warm = null;
}

/**
 * openCamera asks for the hall's camera and microphone at 720p.
 * @param {{video?: boolean|MediaTrackConstraints, audio?: boolean|MediaTrackConstraints}} [c]
 */
export function openCamera(c = {}) {
	return navigator.mediaDevices.getUserMedia({
		video: c.video ?? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } },
		audio: c.audio ?? { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
	});
}

/**
 * addPublishTracks adds stream's tracks to pc: video with three simulcast
 * layers, audio plain. It returns the transceivers (video first if any).
 * @param {RTCPeerConnection} pc
 * @param {MediaStream} stream
 */
export function addPublishTracks(pc, stream) {
	/** @type {RTCRtpTransceiver[]} */
	const out = [];
	for (const track of stream.getVideoTracks()) {
		out.push(pc.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings: simulcastLayers.map((l) => ({ ...l })) }));
	}
	for (const track of stream.getAudioTracks()) {
		out.push(pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] }));
	}
	return out;
}

/**
 * @typedef {object} LinkStats
 * @property {number} sendKbps outgoing bitrate since the previous sample
 * @property {number} recvKbps incoming bitrate since the previous sample
 * @property {number} rttMs round trip of the selected candidate pair
 * @property {number} lossPct inbound packet loss since the previous sample, percent
 * @property {number} framesDecoded total video frames decoded
 * @property {number} frameWidth width of the widest inbound video
 * @property {'good'|'fair'|'poor'} quality
 */

/**
 * StatsSampler turns getStats into rates between successive samples.
 */
export class StatsSampler {
	/** @param {RTCPeerConnection} pc */
	constructor(pc) {
		this.pc = pc;
		/** @type {{t: number, sent: number, recv: number, lost: number, got: number}|null} */
		this.prev = null;
	}

	/** @returns {Promise<LinkStats>} */
	async sample() {
		const report = await this.pc.getStats();
		let sent = 0, recv = 0, lost = 0, got = 0, rtt = 0, frames = 0, width = 0;
		report.forEach((/** @type {any} */ s) => {
			if (s.type === 'outbound-rtp') sent += s.bytesSent || 0;
			if (s.type === 'inbound-rtp') {
				recv += s.bytesReceived || 0;
				lost += Math.max(0, s.packetsLost || 0);
				got += s.packetsReceived || 0;
				if (s.kind === 'video') {
					frames += s.framesDecoded || 0;
					width = Math.max(width, s.frameWidth || 0);
				}
			}
			if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && s.currentRoundTripTime) {
				rtt = s.currentRoundTripTime * 1000;
			}
		});
		const now = performance.now();
		const p = this.prev;
		this.prev = { t: now, sent, recv, lost, got };
		const dt = p ? (now - p.t) / 1000 : 0;
		const sendKbps = p && dt > 0 ? ((sent - p.sent) * 8) / 1000 / dt : 0;
		const recvKbps = p && dt > 0 ? ((recv - p.recv) * 8) / 1000 / dt : 0;
		const dLost = p ? lost - p.lost : 0;
		const dGot = p ? got - p.got : 0;
		const lossPct = dLost + dGot > 0 ? (100 * dLost) / (dLost + dGot) : 0;
		return { sendKbps, recvKbps, rttMs: rtt, lossPct, framesDecoded: frames, frameWidth: width, quality: grade(lossPct, rtt) };
	}
}

/**
 * grade is the link-quality indicator: loss above 5 % or RTT above 400 ms is
 * poor (video will drop layers), above 1 % or 200 ms fair.
 * @param {number} lossPct
 * @param {number} rttMs
 * @returns {'good'|'fair'|'poor'}
 */
export function grade(lossPct, rttMs) {
	if (lossPct > 5 || rttMs > 400) return 'poor';
	if (lossPct > 1 || rttMs > 200) return 'fair';
	return 'good';
}
