// The client against a real server in Debian's chromium: sign-in and its
// errors, the shell, language, silent token refresh, device check, and
// screenshots of each screen at desktop and tablet size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';

/**
 * @param {import('playwright-core').Page} page
 * @param {string} user
 */
async function login(page, user) {
	await page.goto(server.url + '/login');
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.click('form.login button[type=submit]');
	await page.waitForURL(/\/meetings$/, { timeout: 10_000 });
}

for (const [size, viewport] of Object.entries(sizes)) {
	test(`login screen, wrong password, sign-in and my meetings (${size})`, async () => {
		const b = await openBrowser(viewport);
		try {
			const { page } = b;
			await page.goto(server.url + '/');
			await page.waitForURL(/\/login\?next=%2F$/);
			await page.waitForSelector('#username:focus');
			assert.equal(await page.textContent('form.login h1'), 'Đăng nhập');
			assert.equal(await page.getAttribute('html', 'lang'), 'vi');
			await shoot(page, 'login', size);

			// Empty form: a message, no request.
			await page.click('form.login button[type=submit]');
			assert.equal(await page.textContent('#login-error'), 'Vui lòng nhập tên đăng nhập và mật khẩu.');

			await page.fill('#username', 'thuky');
			await page.fill('#password', 'not-the-password');
			await page.click('form.login button[type=submit]');
			await page.waitForSelector('#login-error:not([hidden])');
			await page.waitForFunction(() => document.querySelector('#login-error')?.textContent?.includes('không đúng'));
			assert.equal(await page.textContent('#login-error'), 'Tên đăng nhập hoặc mật khẩu không đúng.');
			assert.match(page.url(), /\/login/);
			assert.equal(await page.evaluate(() => sessionStorage.getItem('cau.signin')), null, 'no sign-in after a refused login');
			await shoot(page, 'login-error', size);

			await page.fill('#password', password);
			await page.click('form.login button[type=submit]');
			await page.waitForURL(/\/$/);
			// On a phone the folded header hides the name; it is still there.
			await page.waitForSelector('header .who', { state: 'attached' });
			assert.match(await page.textContent('header .who') ?? '', /Thư ký/);
			await page.goto(server.url + '/meetings');
			await page.waitForSelector('main section.page h1');
			await page.waitForFunction(() => !document.querySelector('main [aria-busy]'));
			await shoot(page, 'meetings', size);
			assert.deepEqual(b.problems.filter((p) => !p.includes('404') && !p.includes('401')), [], 'page errors');
		} finally {
			await b.close();
		}
	});
}

test('a deep link survives sign-in; the device check shows the camera and the microphone level', async () => {
	for (const [size, viewport] of Object.entries(sizes)) {
		const b = await openBrowser(viewport);
		try {
			const { page } = b;
			await page.goto(server.url + '/device-check');
			await page.waitForURL(/\/login\?next=%2Fdevice-check$/);
			await page.fill('#username', 'daibieu1');
			await page.fill('#password', password);
			await page.click('form.login button[type=submit]');
			await page.waitForURL(/\/device-check$/);
			await page.click('#device-start');
			await page.waitForFunction(() => {
				const v = document.querySelector('video.preview');
				return v instanceof HTMLVideoElement && v.videoWidth > 0;
			}, null, { timeout: 10_000 });
			// The fake microphone plays a beep: the meter must move.
			await page.waitForFunction(() => Number(document.querySelector('#mic-level')?.getAttribute('value') ?? 0) > 0
				|| /** @type {HTMLMeterElement} */ (document.querySelector('#mic-level')).value > 0.01, null, { timeout: 10_000 });
			assert.match(await page.textContent('#camera-info') ?? '', /Hoạt động tốt · Độ phân giải: \d+×\d+/);
			await page.click('#speaker-test');
			await shoot(page, 'device-check', size);
			// Leaving the screen stops the camera.
			await page.click('header nav a[href="/meetings"]');
			await page.waitForURL(/\/meetings$/);
			assert.deepEqual(b.problems.filter((p) => !p.includes('404')), [], 'page errors');
		} finally {
			await b.close();
		}
	}
});

test('English is selectable and persists across a reload', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await login(page, 'chutri').catch(async () => { await page.waitForURL(/\/meetings$|\/$/); });
		await fromUserMenu(page, '[lang=en]');
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		assert.equal(await page.textContent('header nav a[href="/meetings"]'), 'My meetings');
		await page.reload();
		await page.waitForSelector('header nav a[href="/meetings"]');
		assert.equal(await page.textContent('header nav a[href="/meetings"]'), 'My meetings');
		assert.match(await page.textContent('header .who') ?? '', /Chair/);
		await fromUserMenu(page, '[lang=vi]');
		await page.waitForFunction(() => document.documentElement.lang === 'vi');
		assert.equal(await page.textContent('header nav a[href="/meetings"]'), 'Cuộc họp của tôi');
	} finally {
		await b.close();
	}
});

test('a busy server (503 busy, Retry-After) makes the sign-in wait visibly and retry by itself', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		// The first two attempts find every hashing slot taken, as at 8:00.
		let refused = 0;
		let attempts = 0;
		await page.route('**/api/v1/auth/login', async (route) => {
			attempts++;
			if (refused < 2) {
				refused++;
				await route.fulfill({
					status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' },
					body: JSON.stringify({ error: { code: 'busy', message: 'busy' } }),
				});
				return;
			}
			await route.continue();
		});
		await page.goto(server.url + '/login?next=%2Ftasks');
		await page.fill('#username', 'daibieu3');
		await page.fill('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('#login-wait:not([hidden])');
		assert.match(await page.textContent('#login-wait') ?? '', /^Đang đăng nhập, vui lòng chờ…/);
		assert.equal(await page.isHidden('#login-error'), true, 'no error while waiting');
		await page.waitForURL(/\/tasks$/, { timeout: 15_000 });
		assert.equal(attempts, 3, 'two refused attempts, then the one that passed');
	} finally {
		await b.close();
	}
});

test('an expired access token is refreshed silently, once, and the user stays signed in', async () => {
	const b = await openBrowser();
	try {
		const { page, context } = b;
		await login(page, 'daibieu2').catch(async () => { await page.waitForURL(/\/meetings$|\/$/); });
		const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cau.signin') || 'null'));
		assert.ok(before?.access_token);
		assert.equal(before.refresh_token, undefined, 'no refresh token where scripts can read it');
		const cookie = async () => (await context.cookies(server.url + '/api/v1/auth/refresh')).find((c) => c.name === 'cau_refresh');
		const first = await cookie();
		assert.ok(first?.httpOnly && first.sameSite === 'Strict' && first.path === '/api/v1/auth', 'HttpOnly SameSite=Strict cookie on the auth path');
		assert.equal(await page.evaluate(() => document.cookie.includes('cau_refresh')), false, 'document.cookie does not show it');
		// Replace the access token with one the server refuses, as if it had expired.
		await page.evaluate(() => {
			const s = JSON.parse(sessionStorage.getItem('cau.signin') || '{}');
			s.access_token = 'eyJhbGciOiJFZERTQSJ9.e30.AAAA';
			sessionStorage.setItem('cau.signin', JSON.stringify(s));
		});
		let refreshes = 0;
		page.on('request', (r) => { if (r.url().endsWith('/api/v1/auth/refresh')) refreshes++; });
		const me = page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.status() === 200, { timeout: 10_000 });
		await page.reload();
		await me;
		const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cau.signin') || 'null'));
		assert.ok(after, 'still signed in');
		assert.notEqual(after.access_token, 'eyJhbGciOiJFZERTQSJ9.e30.AAAA');
		assert.notEqual((await cookie())?.value, first.value, 'refresh token rotated');
		assert.equal(refreshes, 1);
		assert.doesNotMatch(page.url(), /\/login/);

		// A new tab (a link from an e-mail) is signed in through the cookie
		// and opens the page it was sent to.
		const tab = await context.newPage();
		await tab.goto(server.url + '/tasks');
		await tab.waitForSelector('header .who');
		await tab.waitForSelector('main section.page h1');
		assert.match(tab.url(), /\/tasks$/);
		await tab.close();
	} finally {
		await b.close();
	}
});

test('unknown client routes show a page, never a blank one; unknown API paths answer JSON', async () => {
	const b = await openBrowser(sizes.tablet);
	try {
		const { page } = b;
		await login(page, 'daibieu3').catch(async () => { await page.waitForURL(/\/meetings$|\/$/); });
		await page.goto(server.url + '/khong-co-trang-nay');
		await page.waitForSelector('main h1');
		assert.equal(await page.textContent('main h1'), 'Không tìm thấy trang');
		await shoot(page, 'not-found', 'tablet');
		const r = await fetch(server.url + '/api/v1/khong-co');
		assert.equal(r.status, 404);
		assert.match(r.headers.get('content-type') ?? '', /json/);
	} finally {
		await b.close();
	}
});
