// Device check before joining: camera preview, microphone level, speaker
// test tone. Everything stops when the user leaves the screen.

import { openCamera } from '../rtc.js';
import { saveJoinMode, savedJoinMode } from '../joinmode.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

/** @type {import('./app.js').Screen} */
export function deviceScreen(main) {
	document.title = t('device.title') + ' — ' + t('app.name');
	const video = h('video', { autoplay: true, playsinline: true, muted: true, class: 'preview', 'aria-label': t('device.camera') });
	video.muted = true;
	const camInfo = h('p', { class: 'muted', id: 'camera-info' });
	const meter = h('meter', { id: 'mic-level', min: '0', max: '1', value: '0', 'aria-label': t('device.level') });
	const micInfo = h('p', { class: 'muted', id: 'mic-info' });
	const error = h('p', { class: 'error', role: 'alert', hidden: true });
	const startBtn = h('button', { type: 'button', class: 'primary', id: 'device-start' }, t('device.start'));
	const beepBtn = h('button', { type: 'button', id: 'speaker-test' }, t('device.speakerTest'));

	/** @type {MediaStream|null} */
	let stream = null;
	/** @type {AudioContext|null} */
	let audio = null;
	let raf = 0;

	function stop() {
		cancelAnimationFrame(raf);
		stream?.getTracks().forEach((tr) => tr.stop());
		stream = null;
		void audio?.close();
		audio = null;
		video.srcObject = null;
		meter.value = 0;
		startBtn.textContent = t('device.start');
	}

	startBtn.addEventListener('click', async () => {
		if (stream) { stop(); return; }
		error.hidden = true;
		try {
			stream = await openCamera();
		} catch (err) {
			const name = err instanceof DOMException ? err.name : '';
			error.textContent = name === 'NotAllowedError' ? t('device.denied') : name === 'NotFoundError' ? t('device.notFound')
				: t('device.failed', { msg: err instanceof Error ? err.message : String(err) });
			error.hidden = false;
			return;
		}
		startBtn.textContent = t('device.stop');
		video.srcObject = stream;
		video.addEventListener('loadedmetadata', () => {
			replace(camInfo, t('device.ok') + ' · ' + t('device.resolution', { w: video.videoWidth, h: video.videoHeight }));
		}, { once: true });
		const track = stream.getAudioTracks()[0];
		if (!track) return;
		replace(micInfo, track.label || t('device.microphone'));
		audio = new AudioContext();
		const analyser = audio.createAnalyser();
		analyser.fftSize = 512;
		audio.createMediaStreamSource(stream).connect(analyser);
		const buf = new Float32Array(analyser.fftSize);
		const tick = () => {
			analyser.getFloatTimeDomainData(buf);
			let sum = 0;
			for (const v of buf) sum += v * v;
			// RMS scaled so normal speech fills about half the meter.
			meter.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
			raf = requestAnimationFrame(tick);
		};
		tick();
	});

	beepBtn.addEventListener('click', () => {
		const ctx = new AudioContext();
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.frequency.value = 880;
		gain.gain.value = 0.2;
		osc.connect(gain).connect(ctx.destination);
		osc.start();
		osc.stop(ctx.currentTime + 0.4);
		osc.onended = () => void ctx.close();
	});

	// How to join a meeting's call from this browser, remembered here.
	const saved = h('p', { class: 'muted', id: 'join-saved', hidden: true }, t('device.joinSaved'));
	const choice = savedJoinMode() ?? 'camera';
	const joinMode = h('fieldset', { class: 'card join-panel', id: 'device-join-mode' },
		h('legend', {}, t('device.joinMode')),
		/** @type {import('../joinmode.js').JoinMode[]} */ (['camera', 'mic', 'listen']).map((m) => h('label', { class: 'check' },
			h('input', { type: 'radio', name: 'device-join-mode', value: m, checked: m === choice, onchange: () => { saveJoinMode(m); saved.hidden = false; } }),
			t('join.' + m))),
		saved);

	main.append(h('section', { class: 'page' },
		h('h1', {}, t('device.title')),
		error,
		h('div', { class: 'device-grid' },
			h('section', { class: 'card' }, h('h2', {}, t('device.camera')), video, camInfo),
			h('section', { class: 'card' }, h('h2', {}, t('device.microphone')), h('label', { for: 'mic-level' }, t('device.level')), meter, micInfo),
			h('section', { class: 'card' }, h('h2', {}, t('device.speaker')), h('p', { class: 'muted' }, t('device.speakerHint')), beepBtn)),
		h('div', { class: 'actions' }, startBtn),
		joinMode));
	return stop;
}
