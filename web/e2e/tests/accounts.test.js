// Accounts in the browser (issue 13): a temporary password set by an
// administrator must be changed at first sign-in, and the user then lands on
// the page they wanted; the change-password screen from the header; the
// administrator records a personal ID number (CCCD), and a taken one is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';
import { signIn } from '../lib/api.js';
import { axeCheck } from '../lib/axe.js';

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
		await fromUserMenu(page, '#user-password');
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

test('the administrator records a personal ID number on the user screen; the same number on another account is refused and nothing is saved', async () => {
	const admin = await signIn(server.url, 'admin', password);
	const find = async (/** @type {string} */ name) => (await admin.call('GET', `/users?q=${name}`)).users.find((/** @type {any} */ u) => u.username === name);
	const first = await find('daibieu8'), second = await find('daibieu9');
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(`${server.url}/login?next=${encodeURIComponent(`/admin/users/${first.id}`)}`);
		await page.fill('#username', 'admin');
		await page.fill('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('#u-personal-id');
		assert.match(await page.textContent('label[for=u-personal-id]') ?? '', /Số CCCD/);
		await page.fill('#u-personal-id', '068 090 001 234');
		await page.click('#user-profile button[type=submit]');
		await page.waitForFunction(() => document.querySelector('#user-msg')?.textContent === 'Đã lưu.');
		assert.equal((await admin.call('GET', `/users/${first.id}`)).personal_id, '068090001234');
		await shoot(page, 'admin-user-personal-id', 'desktop');
		assert.deepEqual(await axeCheck(page, 'admin-user-personal-id (desktop)'), [], 'axe: the user screen');

		// Not 12 digits: said so, nothing saved.
		await page.goto(`${server.url}/admin/users/${second.id}`);
		await page.waitForSelector('#u-personal-id');
		await page.fill('#u-personal-id', '06809000123');
		await page.click('#user-profile button[type=submit]');
		await page.waitForSelector('#user-msg.error');
		assert.match(await page.textContent('#user-msg') ?? '', /personal_id/);
		// Taken by the first account: the reason in words, nothing saved.
		await page.fill('#u-position', 'Chuyên viên phòng Nội vụ');
		await page.fill('#u-personal-id', '068090001234');
		await page.click('#user-profile button[type=submit]');
		await page.waitForFunction(() => /Số CCCD này đã được gán cho một tài khoản khác; không có gì được lưu\./.test(document.querySelector('#user-msg.error')?.textContent ?? ''));
		await shoot(page, 'admin-user-personal-id-taken', 'desktop');
		const after = await admin.call('GET', `/users/${second.id}`);
		assert.equal(after.personal_id, '', 'the second account has no number');
		assert.equal(after.position, second.position, 'nothing else saved either');
		assert.deepEqual(b.problems.filter((p) => !p.includes('409') && !p.includes('422')), [], 'page errors');
	} finally {
		await b.close();
	}
});
