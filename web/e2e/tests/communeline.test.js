// A commune hall behind a commune line (400 kbit/s, 3 % random loss, 40 ms
// each way, a 250 ms queue: internal/linkemu between this machine and a
// network namespace) watches the floor: another hall, in a chromium on this
// side unshaped, publishing the web client's three simulcast layers. Both
// halls join through the web client by themselves; the floor is granted
// through the API (setup). After the commune's picture plays and settles,
// 30 s are measured from the commune's page (its down connection's
// getStats: the floor's frames decoded in each 250 ms window, freezes, the
// audio's concealed samples) and from the server's /metrics (NACKs received
// and answered). Issue #19's bars: picture present (a new frame decoded)
// in windows making up ≥ 95 % of the time, no freeze over 1 s, audio
// concealment under 2 %, NACKs answered ≥ 90 %, held with
// CAU_E2E_COMMUNE_BARS=issue (SCENARIO=browsers make bench); make test
// holds looser ones (see the end).
import { test, before, after } from 'node:test';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { callSizes, openBrowser } from '../lib/browser.js';
import { fakeVideo } from '../lib/fakevideo.js';
import { signIn } from '../lib/api.js';
import { lineUnusable, startLine } from '../lib/line.js';
import { enterRoom, liveMeeting, mainPlays, password, pictureIs, recent } from '../lib/room.js';

const skip = lineUnusable() || false;
const measureMs = Number(process.env.CAU_E2E_COMMUNE_MS) || 30_000;
const settleMs = 5_000;

/** @type {import('../lib/line.js').Line} */
let line;
/** @type {import('../lib/server.js').CauServer} */
let server;
/** @typedef {Awaited<ReturnType<typeof openBrowser>>} Browser */
/** @type {Browser[]} */
const browsers = [];

before(async () => {
	if (skip) return;
	line = await startLine({ rate: 400_000, loss: 0.03, delay: '40ms', queue: '250ms', seed: Date.now() % 1e6 });
	// The server listens on the line's host side; ICE offers it and loopback.
	server = await startServer({ CAU_RTC_IPS: `127.0.0.1,${line.host}` }, { host: line.host });
});
after(async () => {
	for (const b of browsers) await b.close().catch(() => {});
	await server?.stop();
	if (line) console.log(`# communeline: the line did ${JSON.stringify(await line.stop())}`);
});

/**
 * nacks reads the SFU's NACK counters from /metrics.
 * @param {string} base
 */
async function nacks(base) {
	const text = await (await fetch(base + '/metrics')).text();
	/** @param {string} name */
	const get = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
	return {
		received: get('cau_sfu_nacks_received_total'), answered: get('cau_sfu_nacks_answered_total'),
		repeated: get('cau_sfu_nacks_repeated_total'), unknown: get('cau_sfu_nacks_unknown_total'),
		uncached: get('cau_sfu_nacks_uncached_total'), overBudget: get('cau_sfu_nacks_over_budget_total'),
	};
}

/**
 * sample reads, every 250 ms for ms, what the page's down connection says
 * of the main picture's video and of the audio it receives.
 * @param {number} ms
 */
function sample(ms) {
	return new Promise((done) => {
		const c = /** @type {any} */ (globalThis).cauCall;
		const video = /** @type {HTMLVideoElement} */ (document.querySelector('#main-video'));
		/** @type {any[]} */
		const out = [];
		const t0 = performance.now();
		const tick = async () => {
			const id = /** @type {MediaStream|null} */ (video.srcObject)?.getVideoTracks()[0]?.id;
			const stats = await c.down.getStats();
			/** @type {any} */
			let v = null;
			let concealed = 0, samples = 0;
			stats.forEach((/** @type {any} */ s) => {
				if (s.type !== 'inbound-rtp') return;
				if (s.kind === 'video' && s.trackIdentifier === id) v = s;
				if (s.kind === 'audio') { concealed += s.concealedSamples ?? 0; samples += s.totalSamplesReceived ?? 0; }
			});
			out.push({
				t: performance.now() - t0, at: Date.now(), frames: v?.framesDecoded ?? 0, freezes: v?.freezeCount ?? 0, freezeS: v?.totalFreezesDuration ?? 0,
				q: c.floor?.quality ?? '', ssrc: v?.ssrc ?? 0, w: v?.frameWidth ?? 0, h: v?.frameHeight ?? 0, nacks: v?.nackCount ?? 0, lost: v?.packetsLost ?? 0, concealed, samples,
			});
			const now = performance.now() - t0;
			if (now >= ms) done(out);
			else setTimeout(tick, Math.max(250 - (now % 250), 50)); // a late tick keeps the grid
		};
		tick();
	});
}

/**
 * sending reads, every second for ms, what the floor hall's camera sends
 * on each simulcast layer (for the evidence: a layer its encoder drops
 * leaves the subscriber's picture waiting).
 * @param {number} ms
 */
function sending(ms) {
	return new Promise((done) => {
		const c = /** @type {any} */ (globalThis).cauCall;
		/** @type {any[]} */
		const out = [];
		const t0 = performance.now();
		const tick = async () => {
			/** @type {Record<string, any>} */
			const layers = {};
			(await c.up.getStats()).forEach((/** @type {any} */ s) => {
				if (s.type === 'outbound-rtp' && s.kind === 'video') layers[s.rid ?? '-'] = { frames: s.framesEncoded, w: s.frameWidth, limit: s.qualityLimitationReason, bps: s.targetBitrate };
			});
			out.push({ t: performance.now() - t0, at: Date.now(), layers });
			if (performance.now() - t0 >= ms) done(out);
			else setTimeout(tick, 1000);
		};
		tick();
	});
}

test('a commune hall behind a 400 kbit/s, 3 % loss line keeps the floor\'s picture and voice', { skip }, async () => {
	const meeting = await liveMeeting(server.url, { people: [], halls: 2, title: 'Phiên họp với xã qua đường truyền yếu' });
	const [floorHall, commune] = meeting.halls;
	const chair = await signIn(server.url, 'chutri', password);
	await chair.call('POST', `/meetings/${meeting.id}/session/open`);

	const floor = await openBrowser(callSizes.desktop, { video: await fakeVideo(960, 540), secure: server.url });
	browsers.push(floor);
	const far = await openBrowser(callSizes.desktop, { video: await fakeVideo(), netns: line.ns, secure: server.url });
	browsers.push(far);
	await enterRoom(floor.page, server.url, meeting.id, floorHall.operator);
	// The page itself comes through the line.
	await far.page.setDefaultTimeout(60_000);
	await enterRoom(far.page, server.url, meeting.id, commune.operator);

	const op = await signIn(server.url, floorHall.operator, password);
	const req = await op.call('POST', `/meetings/${meeting.id}/session/speaking`, { hall_id: floorHall.id });
	await chair.call('POST', `/meetings/${meeting.id}/session/speaking/${req.request_id}/grant`);
	try {
		await pictureIs(far.page, { floor: floorHall.identity, main: 'floor' }, 30_000);
		await mainPlays(far.page, 30_000);
	} catch (err) {
		throw new Error(`the commune never played the floor:\n${far.problems.join('\n')}\n${await recent(far.page).catch(() => '')}`, { cause: err });
	}
	await far.page.waitForTimeout(settleMs);

	const before = await nacks(server.url);
	const [s, sent] = /** @type {[any[], any[]]} */ (await Promise.all([far.page.evaluate(sample, measureMs), floor.page.evaluate(sending, measureMs)]));
	const afterN = await nacks(server.url);

	// Each track (ssrc) has its own counters, and the main picture may
	// leave a track and come back to it (a moment "off"): each window adds
	// what its track's counters grew since that track was last seen.
	/** @type {Map<number, any>} */
	const seen = new Map([[s[0].ssrc, s[0]]]);
	/** @param {string} k @param {number} i */
	const grew = (k, i) => s[i][k] - (seen.get(s[i].ssrc)?.[k] ?? 0);
	// A window's share is its length: a tick delayed by a busy page makes
	// the next window short, and a short one without a frame is no
	// 250 ms without a picture.
	let present = 0, longest = 0, last = s[0].t, frames = 0, freezes = 0, freezeS = 0, nackSent = 0, lostSeen = 0;
	for (let i = 1; i < s.length; i++) {
		const f = s[i].ssrc ? grew('frames', i) : 0;
		if (f > 0) {
			present += s[i].t - s[i - 1].t;
			last = s[i].t;
		}
		frames += f;
		freezes += grew('freezes', i);
		freezeS += grew('freezeS', i);
		nackSent += grew('nacks', i);
		lostSeen += grew('lost', i);
		longest = Math.max(longest, s[i].t - last);
		seen.set(s[i].ssrc, s[i]);
	}
	const windows = s.length - 1;
	const a = s[0], z = s[s.length - 1];
	const picture = (100 * present) / (z.t - a.t);
	const fps = frames / ((z.t - a.t) / 1000);
	const concealment = z.samples > a.samples ? (100 * (z.concealed - a.concealed)) / (z.samples - a.samples) : 100;
	const received = afterN.received - before.received, answered = afterN.answered - before.answered;
	const repeated = afterN.repeated - before.repeated, unknown = afterN.unknown - before.unknown;
	const uncached = afterN.uncached - before.uncached, overBudget = afterN.overBudget - before.overBudget;
	// NACKs the SFU could answer: not those for packets that never reached
	// it (the commune's own uplink loses 3 %: the floor hall NACKs those
	// gaps of its camera). A NACK repeated within a round trip of a copy is
	// answered by that copy on its way.
	const answerable = received - uncached;
	const answeredShare = answerable > 0 ? (100 * (answered + repeated)) / answerable : 100;
	const sizes = [...new Set(s.filter((x) => x.w).map((x) => `${x.w}×${x.h}`))].join(', ');
	console.log(`# communeline: picture ${picture.toFixed(1)} % of ${((z.t - a.t) / 1000).toFixed(1)} s (${windows} windows of ~250 ms), longest without a new frame ${Math.round(longest)} ms ` +
		`(chromium: ${freezes} freezes, ${(freezeS * 1000).toFixed(0)} ms), ${fps.toFixed(1)} fps at ${sizes}, ` +
		`concealment ${concealment.toFixed(2)} %, NACKs answered ${answeredShare.toFixed(1)} % ` +
		`(${answered} retransmitted and ${repeated} repeated within a round trip of a copy, of ${answerable}; ` +
		`of ${received} received ${uncached} for packets the SFU never got or no longer holds, ${unknown} never sent, ${overBudget} over the retransmission budget) ` +
		`(the page sent ${nackSent} NACKs for the floor's video, counted ${lostSeen} of its packets lost)`);

	// CAU_E2E_COMMUNE_DUMP=dir keeps the evidence: the samples, the page's
	// last SFU messages, the server's log (CAU_E2E_LOG_LEVEL=debug for the SFU's decisions).
	const dump = process.env.CAU_E2E_COMMUNE_DUMP;
	if (dump) {
		await mkdir(dump, { recursive: true });
		await writeFile(path.join(dump, 'samples.json'), JSON.stringify(s));
		await writeFile(path.join(dump, 'floor.json'), JSON.stringify(sent));
		await writeFile(path.join(dump, 'page.log'), await recent(far.page));
		await writeFile(path.join(dump, 'server.log'), server.logs());
	}

	// Issue #19's bars (picture ≥ 95 %, no freeze over 1 s, NACKs answered
	// ≥ 90 %) are a quality target over 30 s of one real browser: on this
	// machine a run in three or four misses them, with old builds and new
	// (docs/performance.md, "Weak link, session 9"), when the floor goes
	// up to medium and a key frame overflows the line. They are held in
	// `SCENARIO=browsers make bench` (CAU_E2E_COMMUNE_BARS=issue), which
	// reports how many runs meet them. make test holds what must never
	// break: the commune keeps a picture most of the time, its voice, and
	// lost packets get answered.
	const issue = process.env.CAU_E2E_COMMUNE_BARS === 'issue';
	const bar = issue ? { picture: 95, freeze: 1000, answered: 90 } : { picture: 50, freeze: 5000, answered: 50 };
	const failed = [];
	if (picture < bar.picture) failed.push(`picture present ${picture.toFixed(1)} % < ${bar.picture} %`);
	if (longest > bar.freeze) failed.push(`a freeze of ${Math.round(longest)} ms > ${bar.freeze / 1000} s`);
	if (concealment >= 2) failed.push(`audio concealment ${concealment.toFixed(2)} % ≥ 2 %`);
	if (answeredShare < bar.answered) failed.push(`NACKs answered ${answeredShare.toFixed(1)} % < ${bar.answered} %`);
	assert.deepEqual(failed, [], `the commune line's ${issue ? "issue #19's bars" : 'bars'}:\n${failed.join('\n')}`);
});
