// Moderation of the call and a vote with a rule, through the UI only, in
// separate browsers against a real server (fake camera and microphone):
// the chair mutes a hall (its audio stops reaching the other hall, and
// stays stopped after the muted hall reloads), removes a hall and a
// delegate who joined from their own browser (their pages say so; the room
// tokens they held are refused by /rtc),
// locks the room (an invited hall still rejoins); a secret vote that needs two thirds of the
// delegates present fails with "Không thông qua", and a hall operator, who
// may not vote, never sees ballot buttons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
/** @type {{id: number, halls: any[], operators: string[], d1: number}} */
let meeting;

before(async () => {
	server = await startServer();
	const sec = await signIn(server.url, 'thuky', password);
	const chair = await signIn(server.url, 'chutri', password);
	const start = new Date(Date.now() + 10 * 60_000);
	const m = await sec.call('POST', '/meetings', {
		kind: 'regular', title: 'Phiên họp điều hành trực tuyến tháng 12', place: 'Hội trường tầng 3',
		starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600_000).toISOString(), chair_id: chair.user.id,
	});
	/** @type {number[]} */
	const ds = [];
	for (const u of ['daibieu1', 'daibieu2']) {
		const d = await signIn(server.url, u, password);
		await sec.call('PUT', `/meetings/${m.id}/participants/${d.user.id}`, { role: 'delegate' });
		ds.push(d.user.id);
	}
	await sec.call('POST', `/meetings/${m.id}/agenda`, { title: 'Điều chỉnh kế hoạch đầu tư công năm 2027', planned_minutes: 30 });
	const halls = (await sec.call('GET', '/halls?active=true')).halls.slice(0, 2);
	await sec.call('POST', `/meetings/${m.id}/halls`, { hall_ids: halls.map((/** @type {any} */ x) => x.id) });
	await sec.call('POST', `/meetings/${m.id}/publish`);
	await chair.call('POST', `/meetings/${m.id}/session/open`);
	const units = (await sec.call('GET', '/units')).units;
	meeting = { id: m.id, halls, operators: halls.map((/** @type {any} */ x) => 'ktv.' + units.find((/** @type {any} */ u) => u.id === x.unit_id).code), d1: ds[0] };
});
after(async () => { await server?.stop(); });

/**
 * @param {import('playwright-core').Page} page
 * @param {string} user
 */
async function enter(page, user) {
	await page.goto(`${server.url}/login?next=${encodeURIComponent('/meetings/' + meeting.id)}`);
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.click('form.login button[type=submit]');
	try {
		await page.waitForSelector('#session-status', { timeout: 15_000 });
	} catch (err) {
		await shoot(page, 'failure-moderation-' + user, 'any');
		throw new Error(`${user} did not enter the room: ${await page.textContent('main')}\n${server.logs().slice(-3000)}`, { cause: err });
	}
}

/**
 * audioPackets is how many RTP packets of a remote audio track the page's
 * down connection received (-1 before it has one).
 * @param {import('playwright-core').Page} page
 * @param {string} trackId the SFU's track ID, "hall-12/microphone"
 */
function audioPackets(page, trackId) {
	return page.evaluate(async (id) => {
		const pc = /** @type {RTCPeerConnection|null} */ (/** @type {any} */ (globalThis).cauCall?.down);
		if (!pc) return -1;
		let n = 0;
		(await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.trackIdentifier === id) n += s.packetsReceived; });
		return n;
	}, trackId);
}

/**
 * until polls check every 200 ms until it returns true, failing after ms.
 * @param {() => Promise<boolean>} check
 * @param {number} ms
 * @param {string} what
 */
async function until(check, ms, what) {
	const end = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${server.logs().slice(-2000)}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/**
 * flowing reports whether a track's packets grow over ms (after a moment
 * for packets in flight).
 * @param {import('playwright-core').Page} page
 * @param {string} trackId
 * @param {number} ms
 */
async function grows(page, trackId, ms) {
	await new Promise((r) => setTimeout(r, 500));
	const a = await audioPackets(page, trackId);
	await new Promise((r) => setTimeout(r, ms));
	return (await audioPackets(page, trackId)) - a;
}

/**
 * rtcStatus is the status /rtc answers an upgrade with token (101 admitted).
 * @param {string} token
 * @returns {Promise<{status: number, body: string}>}
 */
function rtcStatus(token) {
	return new Promise((resolve, reject) => {
		const u = new URL(server.url + '/rtc');
		const req = http.request({ host: u.hostname, port: u.port, path: '/rtc', headers: {
			Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
			Authorization: 'Bearer ' + token,
		} });
		req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode ?? 0, body: '' }); });
		req.on('response', (res) => {
			let body = '';
			res.on('data', (c) => { body += c; });
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('error', reject);
		req.end();
	});
}

test('the chair mutes a hall, removes a hall and a person, locks the room; a two-thirds secret vote fails', async () => {
	const [hallA, hallB] = meeting.halls.map((/** @type {any} */ x) => x.id);
	const micA = `hall-${hallA}/microphone`;
	const chair = await openBrowser(sizes.desktop);
	const a = await openBrowser(sizes.tablet);
	const b = await openBrowser(sizes.tablet);
	/** @type {import('playwright-core').Browser[]|any[]} */
	const more = [];
	try {
		// The room token hall B's page is given, to try it after the removal.
		let tokenB = '';
		b.page.on('response', async (r) => {
			if (r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/join') && r.status() === 200) tokenB = (await r.json()).token;
		});
		await enter(chair.page, 'chutri');
		await enter(a.page, meeting.operators[0]);
		await enter(b.page, meeting.operators[1]);
		await until(async () => (await audioPackets(b.page, micA)) > 20, 20_000, 'hall B hears hall A');

		// Mute hall A from the chair's moderation panel: hall A is told, and
		// its audio stops reaching hall B.
		await chair.page.waitForSelector('#moderation');
		await chair.page.click(`#mod-halls li[data-target="hall-${hallA}"] button[data-action=mute]`);
		await a.page.waitForSelector('#moderation-notice:not([hidden])');
		assert.match(await a.page.textContent('#moderation-notice') ?? '', /Chủ trì đã tắt micrô/);
		await chair.page.waitForSelector(`#mod-halls li[data-target="hall-${hallA}"] button[data-action=unmute]`);
		assert.equal(await grows(b.page, micA, 2000), 0, 'hall A audio reached hall B while muted');
		await shoot(chair.page, 'moderation-chair', 'desktop');
		await shoot(a.page, 'moderation-muted-hall', 'tablet');

		// Hall A reloads: it comes back muted.
		await a.page.reload();
		await a.page.waitForSelector('#session-status');
		await until(async () => (await a.page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.self ?? '')) === `hall-${hallA}`, 20_000, 'hall A rejoins');
		await a.page.waitForSelector('#moderation-notice:not([hidden])');
		await new Promise((r) => setTimeout(r, 1500)); // its new microphone track is published
		assert.equal(await grows(b.page, micA, 2000), 0, 'hall A audio reached hall B after it reloaded muted');
		// The chair unmutes it: its packets flow again (the measurement works).
		await chair.page.click(`#mod-halls li[data-target="hall-${hallA}"] button[data-action=unmute]`);
		await until(async () => (await grows(b.page, micA, 500)) > 5, 10_000, 'hall A audio after the unmute');

		// Remove hall B: its page says so, and the token it held is refused.
		assert.ok(tokenB, 'hall B got a room token');
		await chair.page.click(`#mod-halls li[data-target="hall-${hallB}"] button[data-action=remove]`);
		await b.page.waitForFunction(() => /mời đồng chí rời cuộc gọi/.test(document.querySelector('#moderation-notice')?.textContent ?? ''));
		await chair.page.waitForSelector(`#mod-halls li[data-target="hall-${hallB}"] button[data-action=readmit]`);
		await shoot(b.page, 'moderation-removed-hall', 'tablet');
		const refused = await rtcStatus(tokenB);
		assert.equal(refused.status, 403, `/rtc with the removed hall's token: ${refused.status} ${refused.body}`);
		assert.match(refused.body, /revoked/);

		// A delegate joins from their own browser; the chair removes them:
		// they are told, and the token they held is refused.
		const d1 = await openBrowser(sizes.tablet);
		more.push(d1);
		let tokenD1 = '';
		d1.page.on('response', async (r) => {
			if (r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/join') && r.status() === 200) tokenD1 = (await r.json()).token;
		});
		await enter(d1.page, 'daibieu1');
		await d1.page.click('#join-call');
		await until(async () => (await d1.page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.self ?? '')) === `user-${meeting.d1}`, 20_000, 'the delegate joins');
		await chair.page.click('details:has(#mod-people) > summary');
		await chair.page.click(`#mod-people li[data-target="user-${meeting.d1}"] button[data-action=remove]`);
		await d1.page.waitForFunction(() => /mời đồng chí rời cuộc gọi/.test(document.querySelector('#moderation-notice')?.textContent ?? ''));
		const gone = await rtcStatus(tokenD1);
		assert.equal(gone.status, 403, `/rtc with the removed delegate's token: ${gone.status} ${gone.body}`);
		assert.match(gone.body, /revoked/);
		await shoot(d1.page, 'moderation-removed-person', 'tablet');

		// Lock the room: the invited hall A still rejoins after a reload.
		await chair.page.click('#lock-room');
		await chair.page.waitForSelector('#room-state[data-state=locked]');
		await a.page.reload();
		await a.page.waitForSelector('#session-status');
		await until(async () => (await a.page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.self ?? '')) === `hall-${hallA}`, 20_000, 'hall A rejoins the locked room');
		await shoot(chair.page, 'moderation-locked', 'desktop');
		await b.close();

		// A secret vote by two thirds of the delegates present.
		const d2 = await openBrowser(sizes.tablet);
		more.push(d2);
		await enter(d2.page, 'daibieu2');
		await chair.page.click('#open-vote');
		await chair.page.fill('#vote-question', 'Điều chỉnh chỉ tiêu vốn đầu tư công năm 2027');
		await chair.page.check('#vote-secret');
		await chair.page.selectOption('#vote-rule', 'two_thirds');
		await chair.page.selectOption('#vote-base', 'present');
		await chair.page.click('#vote-start');
		await d1.page.waitForSelector('#vote button[data-choice=yes]');
		await a.page.waitForSelector('#vote');
		assert.equal(await a.page.locator('#vote button.ballot').count(), 0, 'a hall operator, who may not vote, sees ballot buttons');
		await d1.page.click('#vote button[data-choice=yes]');
		await d2.page.click('#vote button[data-choice=no]');
		await chair.page.waitForFunction(() => /^Đã biểu quyết: 2\//.test(document.querySelector('#vote-count')?.textContent ?? ''));
		await chair.page.click('#close-vote');
		for (const p of [chair.page, d1.page, d2.page, a.page]) {
			await p.waitForSelector('#vote-verdict');
			assert.match(await p.textContent('#vote-verdict') ?? '', /Không thông qua/);
			assert.equal(await p.getAttribute('#vote-verdict', 'data-passed'), 'false');
		}
		await shoot(d1.page, 'vote-two-thirds-failed', 'tablet');
	} finally {
		await Promise.all([chair.close(), a.close(), b.close().catch(() => {}), ...more.map((x) => x.close())]);
	}
});
