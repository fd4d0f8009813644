// The meeting room in two browsers against a real server: the chair opens
// the session and moves through the agenda and the delegate's page follows
// within 1 s; a delegate asks for the floor and the chair grants it; a vote
// round-trips; a dropped link shows "Đang kết nối lại…" and resumes.
// The delegate's page applies the live events itself: no GET /session per event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { axeCheck } from '../lib/axe.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
/** @type {{id: number, items: any[], delegateName: string, halls: any[], operators: string[]}} */
let meeting;
/** @type {{id: number, halls: number}} */
let bigMeeting;

before(async () => {
	server = await startServer();
	const sec = await signIn(server.url, 'thuky', password);
	const chair = await signIn(server.url, 'chutri', password);
	const del = await signIn(server.url, 'daibieu1', password);
	const start = new Date(Date.now() + 10 * 60_000);
	const m = await sec.call('POST', '/meetings', {
		kind: 'regular', title: 'Phiên họp thường kỳ UBND tỉnh tháng 11', place: 'Hội trường tầng 3',
		starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600_000).toISOString(),
		chair_id: chair.user.id,
	});
	await sec.call('PUT', `/meetings/${m.id}/participants/${del.user.id}`, { role: 'delegate' });
	const items = [];
	for (const title of ['Báo cáo tình hình kinh tế – xã hội tháng 11', 'Dự thảo kế hoạch đầu tư công năm 2027', 'Ý kiến các đại biểu']) {
		items.push(await sec.call('POST', `/meetings/${m.id}/agenda`, { title, planned_minutes: 20 }));
	}
	const halls = (await sec.call('GET', '/halls?active=true')).halls.slice(0, 2);
	await sec.call('POST', `/meetings/${m.id}/halls`, { hall_ids: halls.map((/** @type {any} */ x) => x.id) });
	await sec.call('POST', `/meetings/${m.id}/publish`);
	const units = (await sec.call('GET', '/units')).units;
	const operators = halls.map((/** @type {any} */ x) => 'ktv.' + units.find((/** @type {any} */ u) => u.id === x.unit_id).code);
	meeting = { id: m.id, items, delegateName: del.user.full_name, halls, operators };

	// A province-wide conference: every hall of the province, opened.
	const big = await sec.call('POST', '/meetings', {
		kind: 'province_online', title: 'Hội nghị trực tuyến toàn tỉnh về chuyển đổi số', place: 'Hội trường UBND tỉnh',
		starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 3 * 3600_000).toISOString(), chair_id: chair.user.id,
	});
	const root = (await sec.call('GET', '/units')).units.find((/** @type {any} */ u) => u.parent_id === null);
	await sec.call('POST', `/meetings/${big.id}/halls`, { unit_id: root.id, include_descendants: true });
	await sec.call('POST', `/meetings/${big.id}/publish`);
	await chair.call('POST', `/meetings/${big.id}/session/open`);
	bigMeeting = { id: big.id, halls: (await sec.call('GET', `/meetings/${big.id}/invitees`)).halls.length };
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
		await page.waitForSelector('#session-status', { timeout: 10_000 });
	} catch (err) {
		await shoot(page, 'failure-enter-' + user, 'any');
		throw new Error(`${user} did not enter the room: ${await page.textContent('main')}\n${server.logs().slice(-3000)}`, { cause: err });
	}
}

/**
 * followsWithin clicks on the chair's page and measures until the
 * delegate's page satisfies cond.
 * @param {import('playwright-core').Page} chairPage
 * @param {string} selector
 * @param {import('playwright-core').Page} other
 * @param {[string, string, string, boolean?]} cond [selector, data key, value, negate]: the page's CSP forbids eval, so no string predicates
 */
/** @param {[string, string, string, boolean?]} c */
function dataIs([sel, key, value, negate]) {
	const el = /** @type {HTMLElement|null} */ (document.querySelector(sel));
	const v = el?.dataset[key];
	return negate ? v !== undefined && v !== value : v === value;
}

async function followsWithin(chairPage, selector, other, cond) {
	const watch = other.waitForFunction(dataIs, cond, { timeout: 5000, polling: 'raf' });
	const t0 = Date.now();
	await chairPage.click(selector);
	await watch;
	return Date.now() - t0;
}

test('chair and delegate in one session: agenda, floor, vote, reconnect', async () => {
	const chair = await openBrowser(sizes.desktop);
	const del = await openBrowser(sizes.tablet);
	try {
		// Live events are applied in the page: no GET /session per event.
		let sessionReads = 0;
		del.page.on('request', (r) => { if (r.method() === 'GET' && new URL(r.url()).pathname.endsWith('/session')) sessionReads++; });
		await enter(chair.page, 'chutri');
		await enter(del.page, 'daibieu1');
		assert.equal(await del.page.getAttribute('#session-status', 'data-status'), 'published');

		// Opening the session reaches the delegate.
		let ms = await followsWithin(chair.page, '#open-session', del.page, ['#session-status', 'status', 'in_session']);
		assert.ok(ms < 1000, `delegate saw the session open after ${ms} ms`);

		// The chair moves through the agenda; the delegate follows within 1 s.
		for (const item of meeting.items.slice(0, 2)) {
			ms = await followsWithin(chair.page, '#next-item:not([disabled])', del.page, ['#current-item', 'item', String(item.id)]);
			assert.ok(ms < 1000, `delegate followed to item ${item.id} after ${ms} ms`);
			console.log(`next item: delegate followed in ${ms} ms`);
			assert.match(await del.page.textContent('#current-item .item-title') ?? '', new RegExp(item.title.slice(0, 20)));
		}
		await shoot(chair.page, 'room-chair', 'desktop');
		await shoot(del.page, 'room-delegate', 'tablet');

		// Floor: the delegate asks, the chair sees the request and grants it,
		// the main picture changes on the delegate's page.
		await del.page.click('#request-floor');
		await chair.page.waitForSelector('#queue li');
		assert.match(await chair.page.textContent('#queue li') ?? '', new RegExp(meeting.delegateName));
		ms = await followsWithin(chair.page, '#queue li button', del.page, ['#main-picture', 'speaker', '', true]);
		assert.ok(ms < 1000, `main picture changed after ${ms} ms`);
		assert.match(await del.page.textContent('#main-picture .picture-label') ?? '', new RegExp(meeting.delegateName));
		await chair.page.waitForSelector('#main-picture:not([data-speaker=""])');
		await chair.page.click('#end-floor');
		await del.page.waitForSelector('#main-picture[data-speaker=""]');

		// Vote: the chair opens it, the delegate votes, the chair closes it,
		// both see the result.
		await chair.page.click('#open-vote');
		await chair.page.fill('#vote-question', 'Thông qua dự thảo kế hoạch đầu tư công năm 2027');
		await shoot(chair.page, 'vote-dialog', 'desktop');
		await chair.page.click('#vote-start');
		await del.page.waitForSelector('#vote button[data-choice=yes]');
		await shoot(del.page, 'vote-ballot', 'tablet');
		await del.page.click('#vote button[data-choice=yes]');
		await del.page.waitForSelector('#vote .ok');
		await chair.page.waitForFunction(() => /^Đã biểu quyết: 1\//.test(document.querySelector('#vote-count')?.textContent ?? ''));
		await chair.page.click('#close-vote');
		await del.page.waitForSelector('#vote-result li[data-choice=yes] strong');
		assert.equal(await del.page.textContent('#vote-result li[data-choice=yes] strong'), '1');
		await chair.page.waitForSelector('#vote-result');
		await shoot(del.page, 'vote-result', 'tablet');

		assert.equal(sessionReads, 0, 'the delegate re-read the session after live events: ' + await del.page.evaluate(() => /** @type {any} */ (globalThis).cauSession.why.join('; ')));
		assert.equal(await del.page.evaluate(() => /** @type {any} */ (globalThis).cauSession.reloads), 0);

		// A dropped link: the banner says so, the chair moves on meanwhile,
		// and the delegate catches up after reconnecting, without a reload.
		await del.page.evaluate(() => { const l = /** @type {any} */ (globalThis).cauLive; l.socket.minDelay = 1500; l.drop(); });
		await del.page.waitForSelector('.banner:not([hidden])');
		assert.equal(await del.page.textContent('.banner'), 'Đang kết nối lại…');
		await shoot(del.page, 'room-reconnecting', 'tablet');
		await chair.page.click('#next-item:not([disabled])');
		await del.page.waitForFunction(dataIs, ['#current-item', 'item', String(meeting.items[2].id)], { timeout: 10_000 });
		await del.page.waitForSelector('.banner[hidden]', { state: 'attached' });
		// After the reconnect the page re-reads the session once to be sure.
		await del.page.waitForFunction(() => /** @type {any} */ (globalThis).cauSession.reloads === 1);
		assert.equal(sessionReads, 1);

		assert.deepEqual(chair.problems, [], 'chair page errors');
		assert.deepEqual(del.problems, [], 'delegate page errors');
	} finally {
		await chair.close();
		await del.close();
	}
});

test('the operator console lists the meeting’s halls with their state and takes the roll call', async () => {
	const b = await openBrowser(sizes.desktop);
	const chair = await signIn(server.url, 'chutri', password);
	try {
		const { page } = b;
		await page.goto(`${server.url}/login?next=${encodeURIComponent(`/meetings/${meeting.id}/operator`)}`);
		await page.fill('#username', 'chutri');
		await page.fill('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('#hall-grid li');
		const tiles = await page.$$eval('#hall-grid li', (els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.hall));
		assert.deepEqual(tiles.map(Number).sort(), meeting.halls.map((x) => x.id).sort());
		for (const x of meeting.halls) assert.ok(await page.$(`#hall-grid .tile-name[title="${x.name}"]`), `tile of ${x.name}`);
		assert.equal(await page.textContent('#op-summary'), '0/2 điểm cầu đã kết nối');

		// Roll call: the delegate (who has no hall) is checked in as online.
		const del = (await chair.call('GET', `/meetings/${meeting.id}/invitees`)).participants.find((/** @type {any} */ p) => p.role === 'delegate');
		await page.selectOption(`#roll-call select[data-user="${del.user_id}"]`, 'online');
		for (let i = 0; i < 50; i++) {
			const snap = await chair.call('GET', `/meetings/${meeting.id}/session`);
			if (snap.attendance?.some((/** @type {any} */ a) => a.user_id === del.user_id && a.status === 'online')) break;
			assert.ok(i < 49, 'attendance not recorded: ' + await page.textContent('.operator .error') + JSON.stringify(snap.attendance));
			await page.waitForTimeout(100);
		}
		await shoot(page, 'operator', 'desktop');
		const bad = await axeCheck(page, 'operator console (desktop)');
		assert.deepEqual(bad.map((v) => `${v.id}: ${v.targets.join(', ')}`), [], 'serious or critical axe violations on the operator console');

		// 180 halls: one page of tiles at a time, the rest not rendered.
		await page.goto(`${server.url}/meetings/${bigMeeting.id}/operator`);
		await page.waitForSelector('#hall-grid li');
		assert.equal((await page.$$('#hall-grid li')).length, 24);
		const pages = Math.ceil(bigMeeting.halls / 24);
		assert.match(await page.textContent('.pager') ?? '', new RegExp(`Trang 1/${pages}`));
		await page.click('.pager button:last-child');
		await page.waitForFunction((p) => document.querySelector('.pager')?.textContent?.includes(`Trang 2/${p}`), pages);
		await page.evaluate(() => window.scrollTo(0, 0));
		await shoot(page, 'operator-160', 'desktop');
		await page.setViewportSize(sizes.tablet);
		await shoot(page, 'operator-160', 'tablet');
		assert.deepEqual(b.problems, [], 'page errors');
	} finally {
		await b.close();
	}
});

test('two halls in the same meeting each receive the other’s video', async () => {
	const a = await openBrowser(sizes.desktop);
	const b = await openBrowser(sizes.tablet);
	const chair = await signIn(server.url, 'chutri', password);
	await chair.call('POST', `/meetings/${meeting.id}/session/open`).catch(() => { /* already open */ });
	try {
		await Promise.all([enter(a.page, meeting.operators[0]), enter(b.page, meeting.operators[1])]);
		for (const [name, br] of [['a', a], ['b', b]]) {
			// A remote picture plays: some video element has a size…
			await br.page.waitForFunction(() => [...document.querySelectorAll('#main-video, #strip video')]
				.some((v) => v instanceof HTMLVideoElement && v.videoWidth > 0), null, { timeout: 20_000 })
				.catch(async (err) => { await shoot(br.page, 'failure-video-' + name, 'any'); throw new Error(br.problems.join('\n') + '\n' + (await br.page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.recent.join('\n'))), { cause: err }); });
			// …and the decoder keeps producing frames.
			const frames = () => br.page.evaluate(async () => (await /** @type {any} */ (globalThis).cauCall.downStats.sample()).framesDecoded);
			const f1 = await frames();
			await br.page.waitForFunction(async (f) => (await /** @type {any} */ (globalThis).cauCall.downStats.sample()).framesDecoded > f + 10, f1, { timeout: 10_000 });
		}
		// Some layer of a hall's camera is watched by nobody (the hall not on the
		// floor is a thumbnail of the other's strip, or the previous floor the floor
		// hall still watches in its best layer; medium is often nobody's): the SFU
		// pauses it ("layers") and the browser stops encoding it, low kept on.
		await Promise.any([a, b].map((br) => br.page.waitForFunction(() => {
			const call = /** @type {any} */ (globalThis).cauCall;
			const last = call?.recent.findLast((/** @type {string} */ m) => m.startsWith('layers '));
			/** @type {RTCPeerConnection|null} */
			const up = call?.up;
			const encs = up?.getSenders().find((s) => s.track?.kind === 'video')?.getParameters().encodings ?? [];
			if (!last || encs.length !== 3) return false;
			/** @type {string[]} */
			const active = JSON.parse(last.slice('layers '.length)).active;
			/** @type {Record<string, string>} */
			const q = { q: 'low', h: 'medium', f: 'high' };
			return active.length < 3 && encs.every((e) => (e.active !== false) === (e.rid === 'q' || active.includes(q[e.rid ?? ''])));
		}, null, { timeout: 15_000 }))).catch(async (err) => {
			throw new Error('no hall paused a layer:\n' + (await a.page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.recent.filter((/** @type {string} */ m) => !m.startsWith('stats')).join('\n'))), { cause: err });
		});
		// The link-quality indicator shows what the hall sends.
		await a.page.waitForFunction(() => /^Đường truyền: (Tốt|Trung bình|Yếu) · [1-9]\d* kbit\/s/.test(document.querySelector('#link-quality')?.textContent ?? ''), null, { timeout: 10_000 });
		// A presenter shares a screen: the other hall learns of the new track.
		await a.page.click('#share-screen');
		await b.page.waitForFunction(() => /** @type {any} */ (globalThis).cauCall.recent.some((/** @type {string} */ m) => m.startsWith('track_published') && m.includes('"source":"screen"')), null, { timeout: 10_000 });
		await shoot(a.page, 'room-hall', 'desktop');
		await shoot(b.page, 'room-hall', 'tablet');

		// The operator console shows both halls connected, with their link
		// figures and a live thumbnail.
		const op = await openBrowser(sizes.desktop);
		try {
			await op.page.goto(`${server.url}/login?next=${encodeURIComponent(`/meetings/${meeting.id}/operator`)}`);
			await op.page.fill('#username', 'chutri');
			await op.page.fill('#password', password);
			await op.page.click('form.login button[type=submit]');
			for (const x of meeting.halls) {
				await op.page.waitForFunction((hid) => /[1-9]\d* kbit\/s/.test(document.querySelector(`#hall-grid li[data-hall="${hid}"] .link`)?.textContent ?? ''), x.id, { timeout: 15_000 });
				await op.page.waitForFunction((hid) => {
					const v = document.querySelector(`#hall-grid li[data-hall="${hid}"] video`);
					return v instanceof HTMLVideoElement && v.videoWidth > 0;
				}, x.id, { timeout: 15_000 });
			}
			assert.equal(await op.page.textContent('#op-summary'), '2/2 điểm cầu đã kết nối');
			await shoot(op.page, 'operator-live', 'desktop');
			assert.deepEqual(op.problems, [], 'console page errors');
		} finally {
			await op.close();
		}
	} finally {
		await a.close();
		await b.close();
	}
});
