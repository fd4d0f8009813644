// The bell's live unread count: GET /api/v1/notifications/stream read with
// fetch (EventSource cannot send the Authorization header). The server sends
// the count at once and whenever a notice is written or read, and ends the
// stream after 10 minutes; this reconnects with a fresh token. No DOM here.

import { Api } from './api.js';

export class BellStream {
	/**
	 * @param {Api} api
	 * @param {(unread: number) => void} onCount
	 */
	constructor(api, onCount) {
		this.api = api;
		this.onCount = onCount;
		/** @type {AbortController|null} */
		this.ctrl = null;
	}

	/** start opens the stream and keeps it open until stop. */
	start() {
		if (this.ctrl) return;
		const ctrl = new AbortController();
		this.ctrl = ctrl;
		void this.run(ctrl.signal);
	}

	stop() {
		this.ctrl?.abort();
		this.ctrl = null;
	}

	/** @param {AbortSignal} signal */
	async run(signal) {
		let wait = 1000;
		while (!signal.aborted && this.api.signin) {
			try {
				const token = await this.api.ensureFresh(60);
				const res = await fetch(this.api.base + '/notifications/stream', { headers: { Authorization: 'Bearer ' + token }, signal });
				if (res.status === 401) {
					if (!(await this.api.refresh())) return;
					continue;
				}
				if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
				wait = 1000;
				await this.read(res.body);
			} catch (err) {
				if (signal.aborted) return;
				wait = Math.min(wait * 2, 30_000);
			}
			await new Promise((r) => setTimeout(r, wait));
		}
	}

	/** @param {ReadableStream<Uint8Array>} body */
	async read(body) {
		const reader = body.getReader();
		const dec = new TextDecoder();
		let buf = '';
		for (;;) {
			const { value, done } = await reader.read();
			if (done) return;
			buf += dec.decode(value, { stream: true });
			let end;
			while ((end = buf.indexOf('\n\n')) >= 0) {
				const block = buf.slice(0, end);
				buf = buf.slice(end + 2);
				const data = block.split('\n').find((l) => l.startsWith('data: '));
				if (!data) continue;
				try {
					const n = JSON.parse(data.slice(6)).unread;
					if (typeof n === 'number') this.onCount(n);
				} catch { /* not ours */ }
			}
		}
	}
}
