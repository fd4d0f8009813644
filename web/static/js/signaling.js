// SFU signaling over the /rtc WebSocket (sfu/signal/protocol.go): every
// message is {"v":1,"type":…,"id":…,"data":…}. The first message is "join"
// (with the resume token to resume after a drop); the server answers
// "joined". Reconnects with backoff and resumes. No DOM here.

import { ReconnectingSocket } from './socket.js';

export const protocolVersion = 1;

/**
 * @typedef {object} JoinGrant what POST /api/v1/meetings/{id}/join answers
 * @property {string} token room token for /rtc
 * @property {string} signaling_url
 * @property {string} [node_url] set when several SFU nodes run: signaling_url is that node's, used as given
 * @property {string[]} ice_servers
 * @property {string} identity
 */

/**
 * @typedef {object} SignalingHandlers
 * @property {(type: string, data: any) => void} onMessage every server message after "joined" too
 * @property {(state: import('./socket.js').SocketState) => void} [onState]
 * @property {() => {track_id: string, quality: string}[]} [subscribe] the subscriptions a join
 *   that does not resume asks for at once: the SFU's first down offer carries them
 */

/** Signaling keeps one SFU session alive across socket drops. */
export class Signaling {
	/**
	 * @param {() => Promise<JoinGrant>} join fetches a fresh room token for each connection
	 * @param {SignalingHandlers} handlers
	 */
	constructor(join, handlers) {
		/** resume token from "joined", sent back on reconnect to resume */
		this.resumeToken = '';
		this.nextID = 1;
		this.socket = new ReconnectingSocket({
			url: async () => {
				const g = await join();
				// The page's own host, whatever name it was opened by (an
				// address on the LAN, a second domain): CAU_PUBLIC_URL in
				// signaling_url may not resolve, or the CSP may not allow it,
				// from where this browser sits. /rtc is served by the same server.
				// With several SFU nodes the join API names the node to use
				// (node_url): its own host, which the page's CSP allows.
				const u = g.node_url ? new URL(g.signaling_url, location.href)
					: new URL(new URL(g.signaling_url, location.href).pathname, location.href);
				u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
				u.searchParams.set('access_token', g.token);
				return u.toString();
			},
			onOpen: () => {
				const subscribe = handlers.subscribe?.() ?? [];
				this.send('join', this.resumeToken ? { resume: this.resumeToken } : subscribe.length ? { subscribe } : {});
			},
			onMessage: (/** @type {any} */ m) => {
				if (!m || m.v !== protocolVersion || typeof m.type !== 'string') return;
				if (m.type === 'joined') this.resumeToken = m.data?.resume_token ?? '';
				// The node does not know the session (its grace ended, or the
				// join API placed us on another node after ours died): the
				// server closes the socket, and the next connection joins afresh.
				if (m.type === 'error' && m.data?.code === 'bad_resume') this.resumeToken = '';
				handlers.onMessage(m.type, m.data);
			},
			onState: handlers.onState,
		});
	}

	/**
	 * send sends one message; false when the socket is down (the caller's
	 * state is re-sent after "joined").
	 * @param {string} type
	 * @param {unknown} [data]
	 */
	send(type, data) {
		return this.socket.send({ v: protocolVersion, type, id: String(this.nextID++), data });
	}

	drop() { this.socket.drop(); }

	close() {
		this.send('leave');
		this.socket.close();
	}
}
