// The meeting's live session over WebSocket (GET /api/v1/meetings/{id}/live):
// a snapshot first, then events in seq order. After a drop it reconnects
// with ?since=<last seq> and receives only what it missed. No DOM here.

import { ReconnectingSocket, wsURL } from './socket.js';

/**
 * @typedef {object} SessionEvent
 * @property {number} meeting_id
 * @property {number} seq
 * @property {string} at
 * @property {string} type e.g. "item.started", "speaking.granted", "vote.closed"
 * @property {number} [actor_id]
 * @property {any} data
 */

/**
 * @typedef {object} LiveHandlers
 * @property {(snap: any) => void} onSnapshot
 * @property {(ev: SessionEvent) => void} onEvent
 * @property {(state: import('./socket.js').SocketState) => void} [onState]
 * @property {(msg: string) => void} [onError]
 * @property {() => void} [onResume] after a reconnection (the replay follows; re-read state here if in doubt)
 */

/** LiveSession follows one meeting until close(). */
export class LiveSession {
	/**
	 * @param {import('./api.js').Api} api
	 * @param {number} meetingId
	 * @param {LiveHandlers} handlers
	 */
	constructor(api, meetingId, handlers) {
		/** seq of the last snapshot or event applied; 0 before the first snapshot */
		this.seq = 0;
		let opened = false;
		this.socket = new ReconnectingSocket({
			url: async () => {
				const token = await api.ensureFresh();
				const q = new URLSearchParams({ access_token: token });
				if (this.seq > 0) q.set('since', String(this.seq));
				return wsURL(`/api/v1/meetings/${meetingId}/live?` + q);
			},
			onMessage: (/** @type {any} */ f) => {
				if (f.type === 'snapshot' && f.snapshot) {
					this.seq = f.snapshot.seq;
					handlers.onSnapshot(f.snapshot);
				} else if (f.type === 'event' && f.event) {
					// Replays after a reconnect can overlap what we hold: apply each seq once.
					if (f.event.seq <= this.seq) return;
					this.seq = f.event.seq;
					handlers.onEvent(f.event);
				} else if (f.type === 'error') {
					handlers.onError?.(String(f.error || 'error'));
				}
			},
			onState: handlers.onState,
			onOpen: () => {
				if (opened) handlers.onResume?.();
				opened = true;
			},
		});
	}

	/** drop simulates a network loss (tests and a "reconnect" button). */
	drop() { this.socket.drop(); }

	close() { this.socket.close(); }
}
