// Join to first picture, measured: a delegate's Chromium joins a session
// whose chair (another Chromium) is on camera, JOINS times (default 10),
// each time from a freshly loaded meeting page (the join mode it
// remembers forgotten), choosing "camera" as a delegate at a desk would; each join is timed in the page from the click
// on "join" to the first decoded frame of the main picture (the chair's
// camera, the floor), and the stages between them are printed for the
// slowest. Between joins the delegate clicks "leave".
//
// A bench, not a test (`SCENARIO=browsers make bench`): the bar of issue
// 19 (p99 < 500 ms) is a speed target, measured on a machine left alone.
// CAU_E2E_FIRSTFRAME_BAR_MS set: the run fails when the slowest join is
// over it. With ten joins the p99 is the slowest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { callSizes, openBrowser } from '../lib/browser.js';
import { fakeVideo } from '../lib/fakevideo.js';
import { markFirstFrame } from '../lib/firstframe.js';
import { enterRoom, joinCall, liveMeeting, mainPlays } from '../lib/room.js';

const joins = Number(process.env.JOINS || 10);
const bar = Number(process.env.CAU_E2E_FIRSTFRAME_BAR_MS || 0);

/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {Awaited<ReturnType<typeof openBrowser>>} */
let chair;
/** @type {Awaited<ReturnType<typeof openBrowser>>} */
let delegate;

before(async () => {
	server = await startServer();
	const video = await fakeVideo();
	chair = await openBrowser(callSizes.desktop, { video });
	delegate = await openBrowser(callSizes.desktop, { video });
});
after(async () => {
	await chair?.close().catch(() => {});
	await delegate?.close().catch(() => {});
	await server?.stop();
});

test(`a delegate joins ${joins} times: click to the floor's first decoded frame`, async () => {
	const meeting = await liveMeeting(server.url, { people: [['daibieu1', 'delegate']], halls: 0 });
	await enterRoom(chair.page, server.url, meeting.id, meeting.chair.username);
	await joinCall(chair.page);
	await chair.page.click('#open-session');
	await mainPlays(chair.page, 30_000);

	/** @type {{ms: number, stages: string[]}[]} */
	const runs = [];
	await enterRoom(delegate.page, server.url, meeting.id, meeting.people[0].username);
	for (let i = 0; i < joins; i++) {
		if (i > 0) {
			// A page remembers the join mode and joins by itself on the
			// next load: forget it, so each join is a click.
			await delegate.page.evaluate(() => localStorage.removeItem('cau.joinMode'));
			await delegate.page.goto(`${server.url}/meetings/${meeting.id}`);
			await delegate.page.waitForSelector('#session-status[data-status=in_session]');
		}
		await delegate.page.evaluate(markFirstFrame);
		await joinCall(delegate.page);
		await delegate.page.waitForFunction(() => /** @type {any} */ (globalThis).cauFirstFrameAt > 0, null, { timeout: 30_000 });
		const r = await delegate.page.evaluate(() => {
			const g = /** @type {any} */ (globalThis);
			return { ms: g.cauFirstFrameAt - g.cauJoinAt, stages: g.cauStages };
		});
		runs.push(r);
		console.log(`join ${i + 1}: ${r.ms} ms (load ${(await import('node:os')).loadavg()[0].toFixed(2)})`);
		await delegate.page.click('#leave-call');
		await delegate.page.waitForSelector('#join-call');
	}
	const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
	const slowest = runs.reduce((a, b) => (b.ms > a.ms ? b : a));
	console.log(`join: first decoded frame of the floor over ${ms.length} joins: p50 ${ms[Math.floor((ms.length - 1) / 2)]} ms, ` +
		`p99 ${ms[Math.ceil(0.99 * ms.length) - 1]} ms, all ${ms.join(' ')}`);
	console.log(`join: the slowest's stages (ms after the click): ${slowest.stages.join(', ')}`);
	assert.equal(delegate.problems.length, 0, delegate.problems.join('\n'));
	if (bar) assert.ok(ms[ms.length - 1] < bar, `the slowest join took ${ms[ms.length - 1]} ms, over ${bar} ms`);
});
