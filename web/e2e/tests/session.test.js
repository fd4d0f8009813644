// The room's session state (web/static/js/session.js) without a browser:
// each event of docs/meeting-events.md applied to a snapshot, gaps and
// unknown events re-read, the withheld tally after a ballot is no gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, SessionState } from '../../static/js/session.js';

const snap0 = {
	meeting_id: 12, seq: 40, status: 'published', current_item_id: null,
	agenda: [{ id: 30, title: 'Khai mạc', started_at: null, ended_at: null }, { id: 31, title: 'Kế hoạch 2027', started_at: null, ended_at: null }],
	queue: [], vote: null, closed_votes: [], halls: [{ hall_id: 4, connected: false, since: null, muted: false }], attendance: [],
};

/** @param {number} seq @param {string} type @param {any} data */
const ev = (seq, type, data) => ({ meeting_id: 12, seq, at: '2026-11-23T02:00:00Z', type, data });

test('every event changes the snapshot as the server would', () => {
	const steps = [
		ev(41, 'session.opened', { opened_at: '2026-11-23T02:00:00Z' }),
		ev(42, 'item.started', { item_id: 30, position: 1, title: 'Khai mạc', started_at: '2026-11-23T02:00:10Z' }),
		ev(43, 'speaking.requested', { request_id: 8, user_id: 21, hall_id: null, item_id: 30, requested_at: '2026-11-23T02:01:00Z' }),
		ev(44, 'speaking.requested', { request_id: 9, user_id: null, hall_id: 4, item_id: 30, requested_at: '2026-11-23T02:01:05Z' }),
		ev(45, 'speaking.granted', { request_id: 8, user_id: 21, hall_id: 4, granted_at: '2026-11-23T02:02:00Z' }),
		ev(46, 'speaking.withdrawn', { request_id: 9, withdrawn_at: '2026-11-23T02:02:30Z' }),
		ev(47, 'hall.connected', { hall_id: 4, at: '2026-11-23T02:03:00Z' }),
		ev(48, 'hall.connected', { hall_id: 7, at: '2026-11-23T02:03:01Z' }),
		ev(49, 'hall.muted', { hall_id: 4, muted: true }),
		ev(50, 'attendance.marked', { user_id: 21, status: 'in_hall', hall_id: 4, at: '2026-11-23T02:04:00Z' }),
		ev(51, 'item.ended', { item_id: 30, ended_at: '2026-11-23T02:09:00Z' }),
		ev(52, 'item.started', { item_id: 31, position: 2, title: 'Kế hoạch 2027', started_at: '2026-11-23T02:09:00Z' }),
		ev(53, 'vote.opened', { vote_id: 3, item_id: 31, question: 'Thông qua?', options: ['yes', 'no', 'abstain'], secret: false, voter_roles: ['delegate'], eligible: 40, opened_at: '2026-11-23T02:10:00Z' }),
		ev(54, 'vote.ballot', { vote_id: 3, ballots: 1 }),
		ev(55, 'vote.tally', { vote_id: 3, ballots: 1, counts: { yes: 1, no: 0, abstain: 0 } }),
		ev(56, 'vote.closed', { vote_id: 3, closed_at: '2026-11-23T02:12:00Z', secret: false, ballots: 1, eligible: 40, counts: { yes: 1, no: 0, abstain: 0 } }),
		ev(57, 'speaking.ended', { request_id: 8, ended_at: '2026-11-23T02:13:00Z' }),
		ev(58, 'hall.disconnected', { hall_id: 7, at: '2026-11-23T02:14:00Z' }),
		ev(59, 'session.closed', { closed_at: '2026-11-23T04:30:00Z' }),
	];
	/** @type {any} */
	let s = snap0;
	for (const e of steps) {
		const before = JSON.stringify(s);
		const next = applyEvent(s, e);
		assert.ok(next, `${e.type} applies`);
		assert.equal(JSON.stringify(s), before, `${e.type} does not modify its input`);
		s = next;
		if (e.seq === 45) {
			assert.deepEqual(s.queue.map((/** @type {any} */ r) => [r.id, r.status]), [[8, 'speaking'], [9, 'waiting']]);
		}
		if (e.seq === 55) assert.deepEqual(s.vote.counts, { yes: 1, no: 0, abstain: 0 });
	}
	assert.equal(s.seq, 59);
	assert.equal(s.status, 'ended');
	assert.equal(s.current_item_id, null);
	assert.deepEqual(s.agenda.map((/** @type {any} */ i) => [i.started_at, i.ended_at]), [['2026-11-23T02:00:10Z', '2026-11-23T02:09:00Z'], ['2026-11-23T02:09:00Z', null]]);
	assert.deepEqual(s.queue, []);
	assert.equal(s.vote, null);
	assert.equal(s.closed_votes.length, 1);
	assert.equal(s.closed_votes[0].question, 'Thông qua?');
	assert.deepEqual(s.closed_votes[0].counts, { yes: 1, no: 0, abstain: 0 });
	assert.deepEqual(s.halls, [
		{ hall_id: 4, connected: true, since: '2026-11-23T02:03:00Z', muted: true },
		{ hall_id: 7, connected: false, since: '2026-11-23T02:14:00Z', muted: false, removed: false },
	]);
	assert.deepEqual(s.attendance, [{ user_id: 21, status: 'in_hall', hall_id: 4, since: '2026-11-23T02:04:00Z', joined_at: '2026-11-23T02:04:00Z', left_at: null }]);
});

test('moderation, votes with a rule and join/leave times apply as the server would', () => {
	/** @type {any} */
	let s = { ...snap0, status: 'in_session', room: { state: 'open', secretary_moderates: false, has_chair: true }, people: [] };
	for (const e of [
		ev(41, 'person.muted', { user_id: 21, muted: true }),
		ev(42, 'participant.removed', { user_id: 22, at: '2026-11-23T02:05:00Z' }),
		ev(43, 'participant.removed', { hall_id: 4, at: '2026-11-23T02:05:10Z' }),
		ev(44, 'unmute.requested', { user_id: 21 }),
		ev(45, 'person.muted', { user_id: 21, muted: false }),
		ev(46, 'participant.readmitted', { hall_id: 4, at: '2026-11-23T02:06:00Z' }),
		ev(47, 'room.changed', { state: 'locked', secretary_moderates: true, at: '2026-11-23T02:07:00Z' }),
		ev(48, 'attendance.marked', { user_id: 23, status: 'online', hall_id: null, at: '2026-11-23T02:08:00Z' }),
		ev(49, 'attendance.marked', { user_id: 23, status: 'absent', hall_id: null, at: '2026-11-23T02:20:00Z' }),
		ev(50, 'attendance.marked', { user_id: 23, status: 'online', hall_id: null, at: '2026-11-23T02:25:00Z' }),
		ev(51, 'attendance.marked', { user_id: 23, status: 'absent', hall_id: null, at: '2026-11-23T02:40:00Z' }),
		ev(52, 'vote.opened', { vote_id: 5, item_id: null, question: 'Kín', options: ['yes', 'no', 'abstain'], secret: true, voter_roles: ['delegate'], eligible: 3, opened_at: '2026-11-23T02:41:00Z', base: 'present', rule: 'two_thirds' }),
		ev(53, 'vote.closed', { vote_id: 5, closed_at: '2026-11-23T02:45:00Z', secret: true, ballots: 3, eligible: 3, counts: { yes: 1, no: 1, abstain: 1 }, base: 'present', rule: 'two_thirds', base_count: 3, passed: false }),
	]) {
		const next = applyEvent(s, e);
		assert.ok(next, `${e.type} applies`);
		s = next;
	}
	assert.deepEqual(s.people, [{ user_id: 21, muted: false, removed: false }, { user_id: 22, muted: false, removed: true }]);
	assert.deepEqual(s.halls.find((/** @type {any} */ x) => x.hall_id === 4), { hall_id: 4, connected: false, since: null, muted: false, removed: false });
	assert.deepEqual(s.room, { state: 'locked', secretary_moderates: true, has_chair: true });
	assert.deepEqual(s.attendance, [{ user_id: 23, status: 'absent', hall_id: null, since: '2026-11-23T02:40:00Z', joined_at: '2026-11-23T02:08:00Z', left_at: '2026-11-23T02:40:00Z' }]);
	const v = s.closed_votes.at(-1);
	assert.deepEqual([v.rule, v.base, v.base_count, v.passed], ['two_thirds', 'present', 3, false]);
});

test('a recording shows while it runs', () => {
	/** @type {any} */
	let s = { ...snap0, status: 'in_session', recording: null };
	s = applyEvent(s, ev(41, 'recording.started', { recording_id: 5, part: 2, started_at: '2026-11-23T02:00:00Z' }));
	assert.deepEqual(s.recording, { id: 5, part: 2, started_at: '2026-11-23T02:00:00Z' });
	s = applyEvent(s, ev(42, 'recording.stopped', { recording_id: 5, part: 2, reason: 'stopped', stopped_at: '2026-11-23T02:30:00Z' }));
	assert.equal(s.recording, null);
});

test('old events are ignored; gaps, unknown events and a vote never seen open ask for a re-read', () => {
	assert.equal(applyEvent(snap0, ev(40, 'session.opened', {})), snap0);
	assert.equal(applyEvent(snap0, ev(42, 'session.opened', {})), null);
	assert.equal(applyEvent(snap0, ev(41, 'something.new', {})), null);
	assert.equal(applyEvent(snap0, ev(41, 'vote.closed', { vote_id: 9 })), null);
});

test('SessionState: one re-read for a gap, the events meanwhile applied after it; the withheld tally is no gap', async () => {
	let loads = 0;
	/** @type {(v: any) => void} */
	let answer = () => {};
	/** @type {any[]} */
	const seen = [];
	const st = new SessionState({
		load: () => { loads++; return new Promise((r) => { answer = r; }); },
		onChange: (s) => seen.push(s.seq),
	});
	st.setSnapshot(snap0);
	st.apply(ev(41, 'session.opened', {}));
	st.apply(ev(43, 'hall.muted', { hall_id: 4, muted: true })); // 42 missing
	st.apply(ev(44, 'hall.muted', { hall_id: 4, muted: false }));
	assert.equal(loads, 1);
	answer({ ...snap0, seq: 43, status: 'in_session', halls: [{ hall_id: 4, connected: false, since: null, muted: true }] });
	await new Promise((r) => setTimeout(r, 0));
	assert.equal(st.snap.seq, 44);
	assert.equal(st.snap.halls[0].muted, false);
	assert.deepEqual(seen, [40, 41, 44]);

	// A non-organizer: ballot 46, tally 47 withheld, then 48.
	st.apply(ev(45, 'vote.opened', { vote_id: 3, question: 'Q', options: ['yes'], secret: false, eligible: 2 }));
	st.apply(ev(46, 'vote.ballot', { vote_id: 3, ballots: 1 }));
	st.apply(ev(48, 'vote.ballot', { vote_id: 3, ballots: 2 }));
	assert.equal(loads, 1, 'the withheld tally made no re-read');
	assert.equal(st.snap.vote.ballots, 2);
	// The reconnect re-reads once.
	void st.reload();
	assert.equal(loads, 2);
	assert.deepEqual(st.why, ['hall.muted 43 after 41', 'reconnect']);
});
