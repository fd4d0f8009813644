// A JSON WebSocket that reconnects with exponential backoff and jitter. The
// signaling and meeting-event clients sit on it. No DOM here.

/** @typedef {'connecting'|'open'|'reconnecting'|'closed'} SocketState */

/**
 * @typedef {object} SocketOptions
 * @property {() => string | Promise<string>} url builds the URL for each attempt (a fresh token each time)
 * @property {(msg: any) => void} onMessage
 * @property {(state: SocketState) => void} [onState]
 * @property {() => void} [onOpen] called after each (re)connection: send hello/resume here
 * @property {number} [minDelay] ms before the first retry
 * @property {number} [maxDelay] ms cap between retries
 */

/** ReconnectingSocket keeps one WebSocket open until close() is called. */
export class ReconnectingSocket {
	/** @param {SocketOptions} opts */
	constructor(opts) {
		this.opts = opts;
		this.minDelay = opts.minDelay ?? 250;
		this.maxDelay = opts.maxDelay ?? 8000;
		/** @type {WebSocket|null} */
		this.ws = null;
		this.attempt = 0;
		this.closed = false;
		/** @type {SocketState} */
		this.state = 'connecting';
		/** @type {ReturnType<typeof setTimeout>|null} */
		this.timer = null;
		this.onOnline = () => { if (this.state === 'reconnecting') this.retryNow(); };
		globalThis.addEventListener?.('online', this.onOnline);
		void this.connect();
	}

	/** @param {SocketState} s */
	setState(s) {
		if (this.state === s) return;
		this.state = s;
		this.opts.onState?.(s);
	}

	async connect() {
		if (this.closed) return;
		let url;
		try {
			url = await this.opts.url();
		} catch {
			this.scheduleRetry();
			return;
		}
		if (this.closed) return;
		const ws = new WebSocket(url);
		this.ws = ws;
		ws.onopen = () => {
			this.attempt = 0;
			this.setState('open');
			this.opts.onOpen?.();
		};
		ws.onmessage = (ev) => {
			let msg;
			try { msg = JSON.parse(String(ev.data)); } catch { return; }
			this.opts.onMessage(msg);
		};
		ws.onclose = () => {
			if (this.ws !== ws) return;
			this.ws = null;
			if (this.closed) { this.setState('closed'); return; }
			this.scheduleRetry();
		};
	}

	scheduleRetry() {
		this.setState('reconnecting');
		const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
		this.attempt++;
		// Full jitter: 160 halls that lost the same link must not return in step.
		const delay = base / 2 + Math.random() * base / 2;
		this.timer = setTimeout(() => { this.timer = null; void this.connect(); }, delay);
	}

	retryNow() {
		if (this.timer) { clearTimeout(this.timer); this.timer = null; void this.connect(); }
	}

	/**
	 * send queues nothing: it returns false when the socket is not open, and
	 * the caller re-sends its state in onOpen.
	 * @param {unknown} msg
	 */
	send(msg) {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
		this.ws.send(JSON.stringify(msg));
		return true;
	}

	/** drop closes the current connection as a network loss would (tests, "reconnect now"). */
	drop() { this.ws?.close(); }

	close() {
		this.closed = true;
		globalThis.removeEventListener?.('online', this.onOnline);
		if (this.timer) clearTimeout(this.timer);
		this.ws?.close();
		this.setState('closed');
	}
}

/**
 * wsURL turns a same-origin path into a ws(s) URL.
 * @param {string} path
 */
export function wsURL(path) {
	const l = globalThis.location;
	return (l.protocol === 'https:' ? 'wss://' : 'ws://') + l.host + path;
}
