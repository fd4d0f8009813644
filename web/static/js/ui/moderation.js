// Moderation of the call in the room: the chair's panel (lock, end,
// reopen, the secretary's right to moderate, and every hall and person
// with mute, ask to unmute, remove and readmit), the same actions on each
// picture of the strip, and the messages a moderated participant sees
// (muted, asked to unmute, removed, call ended). Commands go over REST and
// come back as session events (docs/meeting-events.md), so every moderator
// sees the same state.

import { t } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * @typedef {object} ModerationOptions
 * @property {import('../api.js').Api} api
 * @property {number} meetingId
 * @property {number|undefined} me my user id
 * @property {number[]} myHalls halls I run
 * @property {string[]} myRoles my roles in the meeting
 * @property {Map<number, string>} people user id → name
 * @property {Map<number, string>} halls hall id → name
 * @property {(f: () => Promise<unknown>) => Promise<void>} act runs a command, showing its error
 * @property {() => import('../call.js').Call|null} call my call, if any
 * @property {() => void} leave ends my call (the stage's)
 * @property {() => void} redraw redraws my call's controls (the microphone changed)
 */

/** Moderation is the room's moderation part; room.js draws it. */
export class Moderation {
	/** @param {ModerationOptions} o */
	constructor(o) {
		this.o = o;
		/** @type {any} */
		this.snap = null;
		/** the banner a moderated participant reads (role=alert) */
		this.notice = h('div', { class: 'moderation-notice', id: 'moderation-notice', role: 'alert', hidden: true });
		/** set when the chair removed me or ended the call: the call is over for this page */
		this.ended = '';
	}

	/** whether I may moderate under the snapshot's settings */
	canModerate() {
		const r = this.o.myRoles;
		const room = this.snap?.room ?? {};
		return r.includes('chair') || (r.includes('secretary') && (room.secretary_moderates || room.has_chair === false));
	}

	/**
	 * whether an event or target names me (my user or one of my halls)
	 * @param {{user_id?: number|null, hall_id?: number|null}} d
	 */
	mine(d) {
		return (d.user_id != null && d.user_id === this.o.me) || (d.hall_id != null && this.o.myHalls.includes(d.hall_id));
	}

	/**
	 * @param {string} text
	 * @param {HTMLElement|null} [action]
	 */
	tell(text, action = null) {
		replace(this.notice, h('p', {}, text), action);
		this.notice.hidden = false;
	}

	/**
	 * onSessionEvent shows a participant what the chair did to them.
	 * @param {import('../live.js').SessionEvent} ev
	 */
	onSessionEvent(ev) {
		const d = ev.data ?? {};
		if (!this.mine(d)) return;
		const call = this.o.call();
		switch (ev.type) {
		case 'hall.muted':
		case 'person.muted':
			if (d.muted) {
				// The chair's mute also turns our microphone off here, so lifting
				// it never opens a microphone the participant did not open.
				if (call && !call.micMuted) { call.setMicMuted(true); this.o.redraw(); }
				this.tell(t('mod.youMuted'));
			} else {
				this.tell(t('mod.youMayUnmute'), this.unmuteButton());
			}
			break;
		case 'unmute.requested':
			this.tell(t('mod.askedUnmute'), this.unmuteButton());
			break;
		case 'participant.removed':
			this.end(t('mod.youRemoved'));
			break;
		case 'participant.readmitted':
			this.tell(t('mod.youReadmitted'), h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, t('mod.rejoin')));
			break;
		}
	}

	/**
	 * onSfuEvent follows the SFU's word on our session: a moderator's mute,
	 * or the session ended by the chair.
	 * @param {string} type
	 * @param {any} data
	 */
	onSfuEvent(type, data) {
		if (type === 'joined' && data?.self?.server_muted) {
			const call = this.o.call();
			if (call && !call.micMuted) { call.setMicMuted(true); this.o.redraw(); }
			this.tell(t('mod.youMuted'));
		} else if (type === 'closed' && data?.reason === 'removed') {
			this.end(t('mod.youRemoved'));
		} else if (type === 'closed' && data?.reason === 'call_ended') {
			this.end(t('mod.callEnded'));
		}
	}

	/** @param {string} text */
	end(text) {
		this.ended = text;
		if (this.o.call()) this.o.leave();
		this.tell(text);
	}

	unmuteButton() {
		return h('button', { type: 'button', class: 'primary', id: 'unmute-me', onclick: () => {
			this.o.call()?.setMicMuted(false);
			this.o.redraw();
			this.notice.hidden = true;
		} }, t('mod.unmuteMe'));
	}

	/**
	 * @param {string} action
	 * @param {{hall_id?: number, user_id?: number}} target
	 */
	send(action, target) {
		return this.o.act(() => this.o.api.post(`/meetings/${this.o.meetingId}/session/moderation`, { action, ...target }));
	}

	/** @param {Record<string, unknown>} body */
	setRoom(body) {
		return this.o.act(() => this.o.api.put(`/meetings/${this.o.meetingId}/session/room`, body));
	}

	/**
	 * state of a hall or person: {muted, removed}
	 * @param {{hall_id?: number, user_id?: number}} target
	 */
	stateOf(target) {
		const list = target.hall_id ? this.snap?.halls : this.snap?.people;
		const x = (list ?? []).find((/** @type {any} */ e) => (target.hall_id ? e.hall_id === target.hall_id : e.user_id === target.user_id));
		return { muted: !!x?.muted, removed: !!x?.removed };
	}

	/**
	 * actions are the buttons for one hall or person.
	 * @param {{hall_id?: number, user_id?: number}} target
	 * @param {string} name
	 */
	actions(target, name) {
		const st = this.stateOf(target);
		const key = target.hall_id ? `hall-${target.hall_id}` : `user-${target.user_id}`;
		/** @type {(a: string, text: string, cls?: string) => HTMLButtonElement} */
		const b = (a, text, cls = 'small') => h('button', { type: 'button', class: cls, 'data-action': a, 'data-target': key,
			'aria-label': `${text}: ${name}`, onclick: () => void this.send(a, target) }, text);
		if (st.removed) return [b('readmit', t('mod.readmit'))];
		return [
			st.muted ? b('unmute', t('mod.unmute')) : b('mute', t('mod.mute')),
			b('ask_unmute', t('mod.askUnmute')),
			b('remove', t('mod.remove'), 'small danger'),
		];
	}

	/**
	 * tile is the moderation of one strip picture (an SFU identity), or null.
	 * @param {string} identity "hall-12", "user-7"
	 */
	tile(identity) {
		if (!this.snap || !this.canModerate()) return null;
		const m = /^(hall|user)-(\d+)$/.exec(identity);
		if (!m) return null;
		const id = Number(m[2]);
		const target = m[1] === 'hall' ? { hall_id: id } : { user_id: id };
		const name = (m[1] === 'hall' ? this.o.halls.get(id) : this.o.people.get(id)) ?? identity;
		return h('div', { class: 'tile-mod', 'data-identity': identity }, this.actions(target, name));
	}

	/** panel is the chair's moderation card, or null for others. */
	panel() {
		const snap = this.snap;
		if (!snap || !this.canModerate() || !['published', 'in_session'].includes(snap.status)) return null;
		const room = snap.room ?? { state: 'open' };
		const isChair = this.o.myRoles.includes('chair');
		const halls = [...this.o.halls.entries()];
		const people = [...this.o.people.entries()].filter(([uid]) => uid !== this.o.me);
		const row = (/** @type {{hall_id?: number, user_id?: number}} */ target, /** @type {string} */ name) => {
			const st = this.stateOf(target);
			return h('li', { 'data-target': target.hall_id ? `hall-${target.hall_id}` : `user-${target.user_id}` },
				h('span', { class: 'mod-name' }, name),
				st.muted && h('span', { class: 'mod-badge' }, t('room.muted')),
				st.removed && h('span', { class: 'mod-badge danger' }, t('mod.removed')),
				h('span', { class: 'actions' }, this.actions(target, name)));
		};
		const sec = h('input', { type: 'checkbox', id: 'secretary-moderates', checked: !!room.secretary_moderates, disabled: !isChair,
			onchange: () => void this.setRoom({ secretary_moderates: sec.checked }) });
		return h('section', { class: 'card moderation', id: 'moderation', 'aria-label': t('mod.title') },
			h('h2', {}, t('mod.title')),
			h('p', { id: 'room-state', 'data-state': room.state }, t('mod.state.' + room.state)),
			h('div', { class: 'actions wrap' },
				room.state === 'open' && h('button', { type: 'button', id: 'lock-room', onclick: () => void this.setRoom({ state: 'locked' }) }, t('mod.lock')),
				room.state === 'locked' && h('button', { type: 'button', id: 'unlock-room', onclick: () => void this.setRoom({ state: 'open' }) }, t('mod.unlock')),
				room.state !== 'ended' && h('button', { type: 'button', id: 'end-call', class: 'danger', onclick: () => {
					if (confirm(t('mod.endConfirm'))) void this.setRoom({ state: 'ended' });
				} }, t('mod.endCall')),
				room.state === 'ended' && h('button', { type: 'button', id: 'reopen-call', class: 'primary', onclick: () => void this.setRoom({ state: 'open' }) }, t('mod.reopen'))),
			h('label', { class: 'check' }, sec, ' ', t('mod.secretaryModerates')),
			h('details', { open: true },
				h('summary', {}, t('room.halls')),
				h('ul', { class: 'mod-list', id: 'mod-halls' }, halls.map(([hid, name]) => row({ hall_id: hid }, name)))),
			h('details', {},
				h('summary', {}, t('mod.people')),
				h('ul', { class: 'mod-list', id: 'mod-people' }, people.map(([uid, name]) => row({ user_id: uid }, name)))));
	}
}
