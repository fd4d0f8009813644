// The sign-in's idle timeout in the browser (issue 13), on a server whose
// CAU_IDLE_TIMEOUT is 10 s so that a test waits seconds, not half an hour:
// input keeps the sign-in alive past the timeout, idleness ends it and only
// the login card shows, saying why; signing in again returns to the page
// that was open. Being in a call counts as activity. The maximum age
// (CAU_SESSION_MAX_AGE, 30 s on a second server): warned ahead, a page
// ends at the limit, a hall operator's call goes on past it, told, and
// signing in again in place keeps the call. UI only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot } from '../lib/browser.js';
import { axeCheck } from '../lib/axe.js';
import { liveMeeting, enterRoom, joinCall, password } from '../lib/room.js';

const idleSeconds = 10;

/** @type {import('../lib/server.js').CauServer} */
let server;
before(async () => { server = await startServer({ CAU_IDLE_TIMEOUT: idleSeconds + 's' }); });
after(async () => { await server?.stop(); });

/** @param {number} ms */
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// The maximum-age test waits out its limit twice on its own server (over
// a minute, mostly timers): it runs beside the idle tests, not after them.
describe('sign-in lifetime', { concurrency: true }, () => {
	test('idle: input keeps the sign-in alive, idleness ends it, signing in again returns to the page', async () => {
		const b = await openBrowser();
		try {
			const { page } = b;
			// A deep link while signed out: the login card, then that page.
			await page.goto(server.url + '/tasks?status=overdue');
			await page.waitForURL(/\/login\?next=%2Ftasks%3Fstatus%3Doverdue$/);
			await page.fill('#username', 'daibieu7');
			await page.fill('#password', password);
			await page.click('form.login button[type=submit]');
			await page.waitForURL(/\/tasks\?status=overdue$/);
			await page.waitForSelector('header .who');

			// Twice the idle timeout of someone working: the sign-in lives on,
			// refreshed on the way (the server would refuse a refresh of a
			// sign-in it had not seen for 10 s).
			const refreshes = [];
			page.on('response', (r) => { if (r.url().endsWith('/api/v1/auth/refresh')) refreshes.push(r.status()); });
			const until = Date.now() + 2 * idleSeconds * 1000;
			for (let i = 0; Date.now() < until; i++) {
				await page.mouse.move(200 + (i % 7) * 40, 300 + (i % 5) * 30);
				await pause(1000);
			}
			assert.match(page.url(), /\/tasks\?status=overdue$/, 'still on the page while working');
			assert.ok(await page.isVisible('header .who'), 'still signed in while working');
			assert.ok(refreshes.length >= 2 && refreshes.every((s) => s === 200), `refreshed while working: ${refreshes.join(', ')}`);

			// Hands off: within the timeout and a few checks, only the login card.
			const idleFrom = Date.now();
			await page.waitForURL(/\/login\?next=%2Ftasks%3Fstatus%3Doverdue$/, { timeout: (idleSeconds + 15) * 1000 });
			const after = (Date.now() - idleFrom) / 1000;
			assert.ok(after >= idleSeconds - 1, `signed out after ${after} s idle, not before ${idleSeconds} s`);
			await page.waitForSelector('#login-ended');
			assert.match(await page.textContent('#login-ended') ?? '', /không có thao tác/);
			assert.equal(await page.locator('header nav').count(), 0, 'no navigation after the end');
			assert.equal(await page.locator('header .who').count(), 0, 'nobody shown as signed in');
			assert.equal(await page.locator('main > *').count(), 1, 'only the login card in the page');
			await shoot(page, 'idle-login', 'desktop');
			// The sign-in is over on the server too: the cookie refreshes nothing.
			const probe = b.problems.length;
			const status = await page.evaluate(async () => (await fetch('/api/v1/auth/refresh', { method: 'POST' })).status);
			assert.ok(status === 401 || status === 422, `refresh after the end: ${status}`);
			await pause(200);
			b.problems.splice(probe); // the console's line about the refused probe

			await page.fill('#username', 'daibieu7');
			await page.fill('#password', password);
			await page.click('form.login button[type=submit]');
			await page.waitForURL(/\/tasks\?status=overdue$/);
			await page.waitForSelector('header .who');
			assert.equal(await page.locator('#login-ended').count(), 0);
			assert.deepEqual(b.problems.filter((p) => !p.includes('401')), [], 'page errors');
		} finally {
			await b.close();
		}
	});

	test('idle: a delegate in a call without touching anything stays signed in', async () => {
		const m = await liveMeeting(server.url, { people: [['daibieu8', 'delegate']], halls: 0 });
		const b = await openBrowser();
		try {
			const { page } = b;
			await enterRoom(page, server.url, m.id, 'daibieu8');
			await joinCall(page, 'listen');
			await pause(2 * idleSeconds * 1000 + 4000);
			assert.match(page.url(), new RegExp(`/meetings/${m.id}$`), 'still in the room');
			assert.ok(await page.isVisible('#join-mode[data-mode=listen]'), 'still in the call');
			assert.ok(await page.isVisible('header .who'), 'still signed in');

			// Leaving the call, the sign-in goes idle like any page.
			await page.click('#leave-call');
			await page.waitForURL(new RegExp(`/login\\?next=%2Fmeetings%2F${m.id}$`), { timeout: (idleSeconds + 15) * 1000 });
			await page.waitForSelector('#login-ended');
		} finally {
			await b.close();
		}
	});

	test('maximum age: warned ahead; a page ends at the limit; a hall operator\'s call goes on, told, and signing in again keeps it', async () => {
		const maxAge = 30;
		const aged = await startServer({ CAU_IDLE_TIMEOUT: '0s', CAU_SESSION_MAX_AGE: maxAge + 's' });
		const m = await liveMeeting(aged.url, { people: [['daibieu8', 'delegate']], halls: 1 });
		const op = await openBrowser();
		const desk = await openBrowser();
		try {
			// The operator's hall in the call, and a delegate on a page.
			await enterRoom(op.page, aged.url, m.id, m.halls[0].operator);
			await op.page.waitForSelector('#join-mode[data-mode=camera]'); // a hall joins by itself
			await desk.page.goto(aged.url + '/tasks');
			await desk.page.waitForURL(/\/login\?next=%2Ftasks$/);
			await desk.page.fill('#username', 'daibieu8');
			await desk.page.fill('#password', password);
			await desk.page.click('form.login button[type=submit]');
			await desk.page.waitForURL(/\/tasks$/);

			// Less than ten minutes left: both are told when, in Vietnam's time.
			for (const { page } of [op, desk]) {
				await page.waitForSelector('#session-limit[data-limit=soon]', { timeout: 15_000 });
				assert.match(await page.textContent('#session-limit') ?? '', /^Phiên đăng nhập sẽ hết hạn lúc \d{2}:\d{2}, hãy lưu công việc\./);
			}
			await shoot(desk.page, 'session-limit-soon', 'desktop');
			assert.deepEqual(await axeCheck(desk.page, 'session-limit-soon (desktop)'), [], 'axe: the warning');

			// At the limit the page ends on the login card, saying why.
			await desk.page.waitForURL(/\/login\?next=%2Ftasks$/, { timeout: (maxAge + 20) * 1000 });
			await desk.page.waitForSelector('#login-ended');
			assert.match(await desk.page.textContent('#login-ended') ?? '', /hết thời hạn tối đa/);
			assert.equal(await desk.page.isVisible('#session-limit'), false, 'no warning on the login card');

			// The call is not cut: still in the room, in the call, told.
			await op.page.waitForSelector('#session-limit[data-limit=held]', { timeout: 20_000 });
			assert.match(await op.page.textContent('#session-limit') ?? '', /đã hết hạn lúc \d{2}:\d{2}\. Cuộc họp vẫn tiếp tục/);
			assert.match(op.page.url(), new RegExp(`/meetings/${m.id}$`));
			assert.ok(await op.page.isVisible('#join-mode[data-mode=camera]'), 'still in the call');
			await new Promise((r) => setTimeout(r, 5000));
			assert.ok(await op.page.isVisible('#join-mode[data-mode=camera]'), 'still in the call 5 s later');
			assert.ok(await op.page.isVisible('header .who'), 'still shown as signed in');
			await shoot(op.page, 'session-limit-held', 'desktop');
			assert.deepEqual(await axeCheck(op.page, 'session-limit-held (desktop)'), [], 'axe: the call past the limit');

			// Signing in again in place: the call goes on under a new sign-in.
			const before = await op.page.textContent('#session-limit');
			await op.page.click('#reauth');
			await op.page.waitForSelector('dialog[open] #reauth-password');
			await shoot(op.page, 'session-reauth', 'desktop');
			await op.page.fill('#reauth-password', 'sai-mật-khẩu');
			await op.page.click('#reauth-ok');
			await op.page.waitForSelector('#reauth-error:not([hidden])');
			await op.page.fill('#reauth-password', password);
			await op.page.click('#reauth-ok');
			await op.page.waitForSelector('dialog[open]', { state: 'detached' });
			await op.page.waitForFunction((b) => document.querySelector('#session-limit')?.getAttribute('data-limit') === 'soon' && document.querySelector('#session-limit')?.textContent !== b, before);
			assert.ok(await op.page.isVisible('#join-mode[data-mode=camera]'), 'the call survived signing in again');
			const r = await op.page.evaluate(async () => (await fetch('/api/v1/auth/refresh', { method: 'POST' })).status);
			assert.equal(r, 200, 'the new sign-in refreshes');

			// Its end while still in the call, then leaving the room: the login card.
			await op.page.waitForSelector('#session-limit[data-limit=held]', { timeout: (maxAge + 20) * 1000 });
			await op.page.click('header nav a[href="/meetings"]');
			await op.page.waitForURL(/\/login\?next=%2Fmeetings$/, { timeout: 20_000 });
			await op.page.waitForSelector('#login-ended');
			assert.deepEqual(desk.problems.filter((p) => !p.includes('401') && !p.includes('422')), [], 'page errors (desk)');
			assert.deepEqual(op.problems.filter((p) => !p.includes('401') && !p.includes('422')), [], 'page errors (operator)');
		} finally {
			await op.close();
			await desk.close();
			await aged.stop();
		}
	});
});
