// What a page does between the click on "join" and the first decoded
// frame of its main picture, measured in the page: the live test reports
// it, the join bench (bench/firstframe.bench.js) holds it to its bar.

/**
 * markFirstFrame records when the page's "join" button is clicked
 * (globalThis.cauJoinAt) and when its main picture first shows a decoded
 * frame (globalThis.cauFirstFrameAt), polled every 5 ms; and the stages
 * between them (globalThis.cauStages, ms after the click, see stages).
 */
export function markFirstFrame() {
	const g = /** @type {any} */ (globalThis);
	g.cauJoinAt = 0;
	g.cauFirstFrameAt = 0;
	/** @type {string[]} */
	const stages = g.cauStages = [];
	let t0 = 0;
	/** @param {string} what */
	const mark = (what) => { if (t0) stages.push(`${what} ${Math.round(performance.now() - t0)}`); };
	// The SFU's messages as the page receives them, and what it sends.
	const onmessage = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage'));
	Object.defineProperty(WebSocket.prototype, 'onmessage', {
		configurable: true,
		get() { return onmessage.get?.call(this); },
		/** @param {(ev: MessageEvent) => void} f */
		set(f) {
			onmessage.set?.call(this, (/** @type {MessageEvent} */ ev) => {
				const m = JSON.parse(String(ev.data));
				if (m.type === 'offer') mark(`offer(${(m.data.sdp.match(/^m=audio/gm) ?? []).length}a${(m.data.sdp.match(/^m=video/gm) ?? []).length}v)`);
				else if (m.type === 'joined' || m.type === 'answer') mark(m.type);
				f(ev);
			});
		},
	});
	const send = WebSocket.prototype.send;
	WebSocket.prototype.send = function (/** @type {any} */ data) {
		const m = JSON.parse(String(data));
		if (m.type === 'answer' || m.type === 'offer' || (m.type === 'subscribe' && m.data.track_id === 'floor')) mark(`sent ${m.type}`);
		return send.call(this, data);
	};
	// The down connection (the one given an offer): its states and tracks.
	const srd = RTCPeerConnection.prototype.setRemoteDescription;
	RTCPeerConnection.prototype.setRemoteDescription = function (/** @type {any} */ d) {
		const pc = /** @type {any} */ (this);
		if (d?.type === 'offer' && !pc.cauProbed) {
			pc.cauProbed = true;
			pc.addEventListener('iceconnectionstatechange', () => mark(`ice ${pc.iceConnectionState}`));
			pc.addEventListener('connectionstatechange', () => mark(`pc ${pc.connectionState}`));
			pc.addEventListener('track', (/** @type {RTCTrackEvent} */ ev) => { if (ev.track.kind === 'video') mark(ev.streams[0]?.id === 'floor' ? 'floor track' : 'track'); });
		}
		const down = d?.type === 'offer';
		if (down) mark('srd');
		return srd.call(this, d).then((/** @type {unknown} */ v) => { if (down) mark('srd done'); return v; });
	};
	const sld = RTCPeerConnection.prototype.setLocalDescription;
	RTCPeerConnection.prototype.setLocalDescription = function (/** @type {any} */ d) {
		const down = d?.type === 'answer';
		return sld.call(this, d).then((/** @type {unknown} */ v) => { if (down) mark('sld done'); return v; });
	};
	// Long tasks on the page's main thread before the first frame
	// ("long <start>+<duration>"), and the camera opening beside.
	new PerformanceObserver((l) => { for (const e of l.getEntries()) if (t0 && e.startTime > t0 && !g.cauFirstFrameAt) stages.push(`long ${Math.round(e.startTime - t0)}+${Math.round(e.duration)}`); }).observe({ type: 'longtask' });
	const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
	navigator.mediaDevices.getUserMedia = (c) => { mark('camera'); return gum(c).then((s) => { mark('camera open'); return s; }); };
	document.querySelector('#join-call')?.addEventListener('click', () => {
		g.cauJoinAt = Date.now();
		t0 = performance.now();
		const main = /** @type {HTMLVideoElement} */ (document.querySelector('#main-video'));
		main.requestVideoFrameCallback((_, md) => {
			if (md.receiveTime) mark(`frame received ${Math.round(md.receiveTime - t0)}, shown`);
		});
		const t = setInterval(() => {
			const v = document.querySelector('#main-video');
			if (v instanceof HTMLVideoElement && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0) {
				g.cauFirstFrameAt = Date.now();
				mark('frame');
				clearInterval(t);
			}
		}, 5);
	}, { capture: true, once: true });
}
