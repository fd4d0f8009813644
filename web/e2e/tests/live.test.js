// The live session through the UI only, with real media: the chair and two
// persons (a delegate, a presenter) join from their own browsers with a
// fake camera, two halls join by themselves; all five decode the floor;
// the chair grants the delegate the floor and the delegate's camera is the
// main picture for the four others within 1 s; ending the turn gives the
// floor back to the SFU's active speaker (unpinned); the presenter's screen
// share becomes the main picture with the presenter's camera in a corner;
// the technician's console shows its hall's link. Setup (the meeting) goes
// through the API; every step of the session is a click.
//
// The browsers and the meeting are set up once in before() so that later
// steps (moderation, votes) can be added as further tests on the same room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { callSizes, openBrowser, shoot, sizes } from '../lib/browser.js';
import { fakeVideo } from '../lib/fakevideo.js';
import { markFirstFrame } from '../lib/firstframe.js';
import { enterRoom, joinCall, liveMeeting, mainPlays, picture, pictureIs, recent, signInTo } from '../lib/room.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {import('../lib/room.js').LiveMeeting} */
let meeting;
/** @typedef {Awaited<ReturnType<typeof openBrowser>>} Browser */
/** @type {{chair: Browser, delegate: Browser, presenter: Browser, hallA: Browser, hallB: Browser}} */
const b = /** @type {any} */ ({});
/** @returns {[string, Browser][]} */
const all = () => Object.entries(b);

before(async () => {
	server = await startServer();
	meeting = await liveMeeting(server.url, { people: [['daibieu1', 'delegate'], ['daibieu2', 'presenter']], halls: 2 });
	const video = await fakeVideo();
	// Smaller than the screenshots' sizes between them (see callSizes).
	b.chair = await openBrowser(callSizes.desktop, { video });
	b.delegate = await openBrowser(sizes.phone, { video });
	b.presenter = await openBrowser(callSizes.tablet, { video });
	b.hallA = await openBrowser(callSizes.desktop, { video });
	b.hallB = await openBrowser(callSizes.tablet, { video });
});
after(async () => {
	for (const [, br] of all()) await br.close().catch(() => {});
	await server?.stop();
});

/**
 * @param {string} what
 * @param {Browser} br
 * @param {() => Promise<unknown>} f
 */
async function explain(what, br, f) {
	try {
		return await f();
	} catch (err) {
		await shoot(br.page, 'failure-live', 'any').catch(() => {});
		throw new Error(`${what}: ${JSON.stringify(await picture(br.page).catch(() => null))}\n${br.problems.join('\n')}\n${await recent(br.page).catch(() => '')}`, { cause: err });
	}
}

test('five browsers join and decode the floor; the floor follows grants, ends and a screen share', async () => {
	const [delegate, presenter] = meeting.people;
	// Everyone enters; persons choose camera and microphone, halls join by themselves.
	await enterRoom(b.chair.page, server.url, meeting.id, meeting.chair.username);
	await enterRoom(b.delegate.page, server.url, meeting.id, delegate.username);
	await enterRoom(b.presenter.page, server.url, meeting.id, presenter.username);
	await enterRoom(b.hallA.page, server.url, meeting.id, meeting.halls[0].operator);
	await enterRoom(b.hallB.page, server.url, meeting.id, meeting.halls[1].operator);
	// Before the session opens the invited halls are listed.
	assert.equal((await b.chair.page.$$('#room-halls li')).length, 2);
	await joinCall(b.chair.page);
	// Join to first picture: from the click on "join" to the first decoded
	// frame of the main picture (the chair's camera), as the page sees it.
	await b.delegate.page.evaluate(markFirstFrame);
	await b.presenter.page.evaluate(markFirstFrame);
	await joinCall(b.delegate.page);
	await joinCall(b.presenter.page);
	await b.chair.page.click('#open-session');
	await b.delegate.page.waitForSelector('#session-status[data-status=in_session]');

	// All five decode the floor (whoever holds it sees their own camera).
	for (const [name, br] of all()) await explain(`${name} plays the floor`, br, () => mainPlays(br.page, 30_000));
	const firstFrame = await Promise.all([['delegate', b.delegate], ['presenter', b.presenter]].map(async ([name, br]) =>
		`${name} ${await br.page.evaluate(() => { const g = /** @type {any} */ (globalThis); return g.cauFirstFrameAt - g.cauJoinAt; })} ms`));
	// Reported, not held to a bar here: `SCENARIO=browsers make bench`
	// collects it on a machine left alone (target: under 500 ms).
	console.log(`join: first decoded frame of the main picture after ${firstFrame.join(', ')}`);
	for (const [name, br] of [['delegate', b.delegate], ['presenter', b.presenter]]) {
		console.log(`join: ${name}'s stages (ms after the click): ${(await br.page.evaluate(() => /** @type {any} */ (globalThis).cauStages)).join(', ')}`);
	}
	// Person tiles carry the name and unit; halls their names.
	await b.chair.page.waitForSelector(`#strip [data-identity="${delegate.identity}"]`);
	assert.match(await b.chair.page.textContent(`#strip [data-identity="${delegate.identity}"] figcaption`) ?? '', new RegExp(`^Đ/c ${delegate.name} — `));
	assert.equal(await b.chair.page.textContent(`#strip [data-identity="${meeting.halls[0].identity}"] figcaption`), meeting.halls[0].name);

	// The delegate asks for the floor; the chair grants it; within 1 s (see the bar below) the
	// four others show the delegate's camera as the main picture.
	await b.delegate.page.click('#request-floor');
	await b.chair.page.waitForSelector('#queue li button');
	const others = all().filter(([name]) => name !== 'delegate');
	// Times are taken in the pages (one machine, one clock): the click as
	// the chair's page receives it, each change as the other page makes it,
	// so the driver's polling and click handling do not count.
	await b.chair.page.evaluate(() => document.querySelector('#queue li button')?.addEventListener('click', () => { /** @type {any} */ (globalThis).cauClickAt = Date.now(); }, { capture: true }));
	for (const [, br] of others) await br.page.evaluate(markFloor, delegate.identity);
	const watch = others.map(([name, br]) => explain(`${name} shows the delegate`, br,
		() => pictureIs(br.page, { floor: delegate.identity, main: 'floor', pinned: 'true' }, 10_000)));
	await b.chair.page.click('#queue li button');
	await Promise.all(watch);
	const clickAt = await b.chair.page.evaluate(() => /** @type {any} */ (globalThis).cauClickAt);
	const after = await Promise.all(others.map(async ([name, br]) => [name, await br.page.evaluate(() => /** @type {any} */ (globalThis).cauFloorAt) - clickAt]));
	console.log(`grant: the delegate's camera became the main picture after ${after.map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
	// The target is 1 s, measured by `SCENARIO=browsers make bench`
	// (CAU_E2E_GRANT_BAR_MS=1000) on a machine left alone; here, on a busy
	// CI machine, the bar only says the switch is prompt: it does not wait
	// for an encoder's periodic key frame or the next active speaker.
	const bar = Number(process.env.CAU_E2E_GRANT_BAR_MS) || 3000;
	for (const [name, ms] of after) {
		if (ms >= bar) assert.fail(`${name}: the delegate's camera became the main picture ${ms} ms after the click; its last SFU messages:\n${(await recent(b[/** @type {keyof typeof b} */ (name)].page)).split('\n').filter((l) => !l.startsWith('stats')).slice(-25).join('\n')}`);
	}
	for (const [name, br] of others) await explain(`${name} decodes the delegate`, br, () => mainPlays(br.page));
	assert.match((await picture(b.hallA.page)).label, new RegExp(delegate.name));
	await pictureIs(b.delegate.page, { main: 'self', floor: delegate.identity });
	// Clicks at the smaller call sizes scrolled the pages; the pictures
	// show the top.
	for (const [, br] of all()) await br.page.evaluate(() => window.scrollTo(0, 0));
	await shoot(b.chair.page, 'live-chair', 'desktop');
	await shoot(b.delegate.page, 'live-delegate', 'phone');
	await shoot(b.hallA.page, 'live-hall', 'desktop');

	// Ending the turn unpins: every page shows the floor the SFU picks
	// (the active speaker, else the last one), no longer pinned.
	await b.chair.page.click('#end-floor');
	for (const [name, br] of all()) {
		await explain(`${name} unpinned`, br, () => pictureIs(br.page, { pinned: 'false' }));
	}
	const floor = await b.hallB.page.evaluate(() => /** @type {any} */ (globalThis).cauCall.floor.identity);
	assert.ok(floor, 'no floor after the end of the turn');
	// Each page shows the floor the SFU names, or says the link cannot
	// carry it (the SFU paused the floor for that browser: on a starved
	// machine the delay-based estimate falls below the lowest layer).
	for (const [name, br] of all()) {
		await explain(`${name} follows the SFU's floor`, br, () => br.page.waitForFunction(
			() => {
				const c = /** @type {any} */ (globalThis).cauCall;
				const p = /** @type {HTMLElement} */ (document.querySelector('#main-picture'));
				return c.floor.identity && (p.dataset.floor === c.floor.identity ||
					(c.floor.quality === 'off' && p.dataset.floor === '' && /đường truyền không đủ/.test(document.querySelector('#floor-label')?.textContent ?? '')));
			},
			null, { timeout: 10_000 }));
	}

	// The presenter shares a screen: it becomes the main picture everywhere,
	// the presenter's camera in a corner.
	await b.presenter.page.click('#share-screen');
	for (const [name, br] of all()) {
		await explain(`${name} shows the screen share`, br, () => pictureIs(br.page, { main: 'screen', screen: presenter.identity }, 15_000));
		await explain(`${name} plays the screen share`, br, () => mainPlays(br.page));
		await br.page.waitForFunction(() => { const v = document.querySelector('#corner-video'); return v instanceof HTMLVideoElement && !v.hidden && v.videoWidth > 0; }, null, { timeout: 15_000 });
	}
	assert.match((await picture(b.chair.page)).label, new RegExp(presenter.name));
	for (const [, br] of all()) await br.page.evaluate(() => window.scrollTo(0, 0));
	await shoot(b.chair.page, 'live-screen-share', 'desktop');
	await shoot(b.delegate.page, 'live-screen-share', 'phone');
	await b.presenter.page.click('#stop-share');
	for (const [name, br] of all()) await explain(`${name} back to the floor`, br, () => pictureIs(br.page, { screen: '' }, 15_000));

	for (const [name, br] of all()) assert.deepEqual(br.problems, [], `${name} page errors`);
});

test('the technician’s console shows its own hall’s link and the room’s thumbnails', async () => {
	// The technician of hall A opens the console in a second tab: it joins as
	// a console and never replaces the hall's own call.
	const page = await b.hallA.context.newPage();
	try {
		await signInTo(page, server.url, meeting.halls[0].operator, `/meetings/${meeting.id}/operator`);
		await page.waitForSelector('#my-hall-link', { timeout: 20_000 });
		await page.waitForFunction(() => /[1-9]\d* kbit\/s/.test(document.querySelector('#my-hall-link')?.textContent ?? ''), null, { timeout: 15_000 });
		for (const x of meeting.halls) {
			await page.waitForFunction((hid) => {
				const v = document.querySelector(`#hall-grid li[data-hall="${hid}"] video`);
				return v instanceof HTMLVideoElement && v.videoWidth > 0;
			}, x.id, { timeout: 15_000 });
		}
		assert.equal(await page.textContent('#op-summary'), '2/2 điểm cầu đã kết nối');
		// The hall's own call is still up (not replaced by the console).
		await mainPlays(b.hallA.page);
		await shoot(page, 'live-technician', 'desktop');
	} finally {
		await page.close();
	}
});

/**
 * markFloor records (globalThis.cauFloorAt) when the page's main picture
 * first shows identity's camera from the floor track.
 * @param {string} identity
 */
function markFloor(identity) {
	const p = /** @type {HTMLElement} */ (document.querySelector('#main-picture'));
	const g = /** @type {any} */ (globalThis);
	g.cauFloorAt = 0;
	const o = new MutationObserver(() => {
		if (p.dataset.floor === identity && p.dataset.main === 'floor' && p.dataset.pinned === 'true') { g.cauFloorAt = Date.now(); o.disconnect(); }
	});
	o.observe(p, { attributes: true });
}
