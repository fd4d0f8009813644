// The live session state kept in the browser: a snapshot from the server,
// then every event applied locally (docs/meeting-events.md lists them). At
// 160 halls, re-reading GET /session after each event would cost 160
// requests per event; applying it costs none. The snapshot is re-read only
// when the log shows a gap or after a reconnect. No DOM here.

/**
 * @typedef {import('./live.js').SessionEvent} SessionEvent
 */

/**
 * applyEvent returns the snapshot after ev, or null when ev cannot be
 * applied to snap (a gap in seq, or an event this client does not know):
 * the caller then re-reads the snapshot. Events at or before snap.seq are
 * already in it and change nothing. snap is not modified.
 * @param {any} snap
 * @param {SessionEvent} ev
 * @returns {any}
 */
export function applyEvent(snap, ev) {
	if (ev.seq <= snap.seq) return snap;
	if (ev.seq !== snap.seq + 1) return null;
	const d = ev.data ?? {};
	/** @type {any} */
	const s = { ...snap, seq: ev.seq };
	switch (ev.type) {
	case 'session.opened':
		s.status = 'in_session';
		break;
	case 'session.closed':
		s.status = 'ended';
		s.current_item_id = null;
		break;
	case 'meeting.changed':
		if (d.status) s.status = d.status;
		break;
	case 'item.started':
		s.current_item_id = d.item_id;
		s.agenda = (s.agenda ?? []).map((/** @type {any} */ i) => (i.id === d.item_id && !i.started_at ? { ...i, started_at: d.started_at } : i));
		break;
	case 'item.ended':
		if (s.current_item_id === d.item_id) s.current_item_id = null;
		s.agenda = (s.agenda ?? []).map((/** @type {any} */ i) => (i.id === d.item_id ? { ...i, ended_at: d.ended_at } : i));
		break;
	case 'agenda.changed':
		s.agenda = d.agenda ?? [];
		break;
	case 'speaking.requested':
		s.queue = [...(s.queue ?? []), {
			id: d.request_id, user_id: d.user_id ?? null, hall_id: d.hall_id ?? null, item_id: d.item_id ?? null,
			status: 'waiting', requested_at: d.requested_at, granted_at: null, ended_at: null,
		}];
		break;
	case 'speaking.withdrawn':
	case 'speaking.ended':
		s.queue = (s.queue ?? []).filter((/** @type {any} */ r) => r.id !== d.request_id);
		break;
	case 'speaking.granted':
		s.queue = (s.queue ?? []).map((/** @type {any} */ r) => (r.id === d.request_id
			? { ...r, status: 'speaking', granted_at: d.granted_at, hall_id: d.hall_id ?? r.hall_id, user_id: d.user_id ?? r.user_id }
			: r));
		break;
	case 'vote.opened':
		s.vote = {
			id: d.vote_id, item_id: d.item_id ?? null, question: d.question, options: d.options ?? [], secret: !!d.secret,
			voter_roles: d.voter_roles ?? [], status: 'open', opened_at: d.opened_at, closed_at: null,
			ballots: 0, eligible: d.eligible ?? 0, counts: null,
			base: d.base ?? 'present', rule: d.rule ?? 'majority', base_count: null, passed: null,
		};
		break;
	case 'vote.ballot':
		if (s.vote?.id === d.vote_id) s.vote = { ...s.vote, ballots: Math.max(s.vote.ballots, d.ballots ?? 0) };
		break;
	case 'vote.tally':
		if (s.vote?.id === d.vote_id) s.vote = { ...s.vote, ballots: d.ballots ?? s.vote.ballots, counts: d.counts ?? s.vote.counts };
		break;
	case 'vote.closed': {
		const open = s.vote?.id === d.vote_id ? s.vote : null;
		// A vote this browser never saw open (it joined after) has no question: re-read.
		if (!open) return null;
		s.vote = null;
		s.closed_votes = [...(s.closed_votes ?? []), {
			...open, status: 'closed', closed_at: d.closed_at, ballots: d.ballots ?? open.ballots,
			eligible: d.eligible ?? open.eligible, counts: d.counts ?? {},
			base: d.base ?? open.base, rule: d.rule ?? open.rule, base_count: d.base_count ?? null, passed: d.passed ?? null,
		}];
		break;
	}
	case 'hall.muted':
		s.halls = upsertHall(s.halls, d.hall_id, { muted: !!d.muted });
		break;
	case 'hall.connected':
	case 'hall.disconnected':
		s.halls = upsertHall(s.halls, d.hall_id, { connected: ev.type === 'hall.connected', since: d.at });
		break;
	case 'attendance.marked': {
		const old = (s.attendance ?? []).find((/** @type {any} */ a) => a.user_id === d.user_id);
		const rest = (s.attendance ?? []).filter((/** @type {any} */ a) => a.user_id !== d.user_id);
		// joined_at keeps the first arrival; left_at the last departure of one who had arrived.
		const here = d.status !== 'absent';
		const joined = old?.joined_at ?? (here ? d.at : null);
		s.attendance = [...rest, {
			user_id: d.user_id, status: d.status, hall_id: d.hall_id ?? null, since: d.at,
			joined_at: joined, left_at: here || !joined ? null : d.at,
		}].sort((a, b) => a.user_id - b.user_id);
		break;
	}
	// Moderation of the call (docs/meeting-events.md).
	case 'person.muted':
		s.people = upsertPerson(s.people, d.user_id, { muted: !!d.muted });
		break;
	case 'participant.removed':
	case 'participant.readmitted': {
		const removed = ev.type === 'participant.removed';
		if (d.hall_id) s.halls = upsertHall(s.halls, d.hall_id, { removed });
		if (d.user_id) s.people = upsertPerson(s.people, d.user_id, { removed });
		break;
	}
	case 'unmute.requested':
		break; // a request to the participant, no state
	case 'recording.started':
		s.recording = { id: d.recording_id, part: d.part, started_at: d.started_at };
		break;
	case 'recording.stopped':
		s.recording = null;
		break;
	case 'room.changed':
		s.room = { ...s.room, state: d.state, secretary_moderates: !!d.secretary_moderates };
		break;
	default:
		return null;
	}
	return s;
}

/**
 * @param {any[]|undefined} people
 * @param {number} id
 * @param {Record<string, unknown>} change
 */
function upsertPerson(people, id, change) {
	const list = people ?? [];
	if (!list.some((x) => x.user_id === id)) {
		return [...list, { user_id: id, muted: false, removed: false, ...change }].sort((a, b) => a.user_id - b.user_id);
	}
	return list.map((x) => (x.user_id === id ? { ...x, ...change } : x));
}

/**
 * @param {any[]|undefined} halls
 * @param {number} id
 * @param {Record<string, unknown>} change
 */
function upsertHall(halls, id, change) {
	const list = halls ?? [];
	if (!list.some((x) => x.hall_id === id)) {
		return [...list, { hall_id: id, connected: false, since: null, muted: false, removed: false, ...change }].sort((a, b) => a.hall_id - b.hall_id);
	}
	return list.map((x) => (x.hall_id === id ? { ...x, ...change } : x));
}

/**
 * @typedef {object} SessionStateOptions
 * @property {() => Promise<any>} load reads GET /session
 * @property {(snap: any) => void} onChange
 * @property {(ev: SessionEvent) => void} [onEvent] after an event is applied (or re-read)
 */

/**
 * SessionState holds the snapshot: events are applied in order; a gap or
 * an unknown event re-reads the snapshot once, buffering the events that
 * arrive meanwhile and applying those after it.
 */
export class SessionState {
	/** @param {SessionStateOptions} o */
	constructor(o) {
		this.o = o;
		/** @type {any} */
		this.snap = null;
		/** @type {SessionEvent[]|null} events held while a re-read is in flight */
		this.pending = null;
		/** how many times the snapshot was re-read, and why (tests read them) */
		this.reloads = 0;
		/** @type {string[]} */
		this.why = [];
		/** whether the last event was a ballot (its tally may be withheld) */
		this.afterBallot = false;
	}

	/** @param {any} snap a snapshot from the socket or GET /session */
	setSnapshot(snap) {
		if (this.snap && snap.seq < this.snap.seq) return;
		this.snap = snap;
		this.o.onChange(snap);
	}

	/** @param {SessionEvent} ev */
	apply(ev) {
		if (this.pending) { this.pending.push(ev); return; }
		// A ballot in an open vote is followed by its vote.tally, which only
		// organizers receive: for everyone else the next seq is skipped by
		// design, not lost.
		if (this.snap && this.afterBallot && ev.seq === this.snap.seq + 2) this.snap = { ...this.snap, seq: this.snap.seq + 1 };
		this.afterBallot = ev.type === 'vote.ballot';
		const next = this.snap ? applyEvent(this.snap, ev) : null;
		if (next === null) {
			this.pending = [ev];
			void this.replay(this.snap ? `${ev.type} ${ev.seq} after ${this.snap.seq}` : 'no snapshot');
			return;
		}
		if (next !== this.snap) {
			this.snap = next;
			this.o.onChange(next);
		}
		this.o.onEvent?.(ev);
	}

	/** reload re-reads the snapshot (after a reconnect or a gap), then the events held meanwhile. */
	reload() {
		if (this.pending) return Promise.resolve();
		this.pending = [];
		return this.replay('reconnect');
	}

	/**
	 * replay loads the snapshot and applies the events held in pending.
	 * @param {string} why
	 */
	async replay(why) {
		this.reloads++;
		this.why.push(why);
		try {
			const s = await this.o.load();
			if (!this.snap || s.seq >= this.snap.seq) this.snap = s;
		} catch (err) {
			console.warn('session:', err);
		}
		const held = this.pending ?? [];
		this.pending = null;
		let snap = this.snap;
		for (const ev of held) {
			const next = snap ? applyEvent(snap, ev) : null;
			// Still not applicable: the next event will try again.
			if (next) snap = next;
		}
		this.snap = snap;
		if (snap) this.o.onChange(snap);
		for (const ev of held) this.o.onEvent?.(ev);
	}
}
