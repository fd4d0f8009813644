// Accounts in the browser (issue 13): a temporary password set by an
// administrator must be changed at first sign-in, and the user then lands on
// the page they wanted; the change-password screen from the header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot } from '../lib/browser.js';
import { signIn } from '../lib/api.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';

test('a temporary password must be changed at first sign-in, then the wanted page opens', async () => {
	// The administrator resets daibieu6's password (setup through the API:
	// the admin screens have their own tests).
	const admin = await signIn(server.url, 'admin', password);
	const { users } = await admin.call('GET', '/users?q=daibieu6');
	const target = users.find((/** @type {{username: string}} */ u) => u.username === 'daibieu6');
	const { temporary_password: temp } = await admin.call('POST', `/users/${target.id}/reset-password`);
	assert.ok(temp, 'a temporary password');

	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/tasks');
		await page.waitForURL(/\/login\?next=%2Ftasks$/);
		await page.fill('#username', 'daibieu6');
		await page.fill('#password', temp);
		await page.click('form.login button[type=submit]');
		// Only the change-password screen, whatever was asked for.
		await page.waitForURL(/\/password\?next=%2Ftasks$/);
		await page.waitForSelector('#password-forced');
		assert.match(await page.textContent('#password-forced') ?? '', /mật khẩu tạm/);
		await page.goto(server.url + '/meetings');
		await page.waitForURL(/\/password\?next=%2Fmeetings$/);
		await shoot(page, 'password-forced', 'desktop');

		await page.fill('#old-password', temp);
		await page.fill('#new-password', 'mật-khẩu-mới-của-tôi');
		await page.fill('#new-password-again', 'mật-khẩu-khác');
		await page.click('form.password button[type=submit]');
		assert.equal(await page.textContent('#password-error'), 'Hai lần nhập mật khẩu mới không khớp.');

		await page.fill('#new-password-again', 'mật-khẩu-mới-của-tôi');
		await page.click('form.password button[type=submit]');
		await page.waitForURL(/\/meetings$/);
		await page.waitForSelector('header .who');
		// Signed in with the new password; the old temporary one is gone.
		await page.goto(server.url + '/tasks');
		await page.waitForSelector('main section.page h1');
		assert.doesNotMatch(page.url(), /\/password|\/login/);
		const r = await fetch(server.url + '/api/v1/auth/login', {
			method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'daibieu6', password: temp }),
		});
		assert.equal(r.status, 401, 'the temporary password no longer works');
		assert.deepEqual(b.problems.filter((p) => !p.includes('401') && !p.includes('403')), [], 'page errors');
	} finally {
		await b.close();
	}
});

test('the header leads to the change-password screen; a wrong current password is said so', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/login');
		await page.fill('#username', 'daibieu7');
		await page.fill('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForURL(/\/meetings$/);
		await page.click('header a[href="/password"]');
		await page.waitForURL(/\/password$/);
		assert.equal(await page.isVisible('#password-forced'), false, 'no temporary-password notice');
		await page.fill('#old-password', 'sai-mật-khẩu');
		await page.fill('#new-password', 'mật-khẩu-mới-dài-hơn');
		await page.fill('#new-password-again', 'mật-khẩu-mới-dài-hơn');
		await page.click('form.password button[type=submit]');
		await page.waitForSelector('#password-error:not([hidden])');
		assert.equal(await page.textContent('#password-error'), 'Mật khẩu hiện tại không đúng.');
	} finally {
		await b.close();
	}
});
