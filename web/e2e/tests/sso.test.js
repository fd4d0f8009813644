// Single sign-on in the browser (issue 15): the login card offers the
// province account; the provider's own login page (zitadel's OP, run by
// lib/oidc.js) is filled and submitted in Chromium; the user lands signed in
// on the page they wanted; a provider user without a Cầu account gets the
// refusal on the card; signing out also ends the provider's session. The
// server has no local passwords (CAU_LOCAL_PASSWORDS=off): no change-password
// link, page or call. An idle sign-in ends at the provider too, and the
// login card still says why and returns to the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, freePort } from '../lib/server.js';
import { startOP } from '../lib/oidc.js';
import { openBrowser, shoot } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';
import { axeCheck } from '../lib/axe.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {import('../lib/oidc.js').TestOP} */
let op;
const providerPassword = 'mật-khẩu-tài-khoản-tỉnh';
/** The idle timeout: long enough for the steps of a test, short enough to wait for. */
const idleSeconds = 20;

before(async () => {
	const port = await freePort();
	const url = 'http://127.0.0.1:' + port;
	op = await startOP({
		redirect: url + '/api/v1/auth/oidc/callback', postLogout: url + '/login',
		users: [
			{ id: 'vneid-1', username: 'chutri', password: providerPassword, given: 'Quang', family: 'Trần Văn' },
			{ id: 'vneid-2', username: 'nguoi.la', password: providerPassword, given: 'Lạ', family: 'Người' },
		],
	});
	server = await startServer({
		CAU_OIDC_ISSUER: op.issuer, CAU_OIDC_CLIENT_ID: op.clientID, CAU_OIDC_CLIENT_SECRET: op.clientSecret,
		CAU_LOCAL_PASSWORDS: 'off', CAU_IDLE_TIMEOUT: idleSeconds + 's',
	}, { port });
});
after(async () => { await server?.stop(); await op?.stop(); });

/**
 * providerLogin clicks the card's province-account button and signs in on
 * the provider's page.
 * @param {import('playwright-core').Page} page
 * @param {string} username
 */
async function providerLogin(page, username) {
	await page.waitForSelector('#login-sso:not([hidden])');
	assert.equal((await page.textContent('#login-sso'))?.trim(), 'Đăng nhập bằng tài khoản tỉnh');
	await page.click('#login-sso');
	await page.waitForURL((u) => u.toString().startsWith(op.issuer + '/login/username'));
	await page.fill('#username', username);
	await page.fill('#password', providerPassword);
	await page.click('button[type=submit]');
}

test('a provider user without a Cầu account is refused on the card, nothing created', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/tasks');
		await page.waitForURL(/\/login\?next=%2Ftasks$/);
		await providerLogin(page, 'nguoi.la');
		await page.waitForURL(/\/login\?sso_error=sso_unknown_account$/);
		await page.waitForSelector('#login-error:not([hidden])');
		assert.match(await page.textContent('#login-error') ?? '', /chưa được liên kết với tài khoản nào trong Cầu/);
		await shoot(page, 'sso-refused', 'desktop');
		const r = await fetch(server.url + '/api/v1/auth/refresh', { method: 'POST' });
		assert.equal(r.status, 422, 'no session');
	} finally {
		await b.close();
	}
});

test('the province account signs in through the provider page and lands on the wanted page; sign-out ends both', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/tasks');
		await page.waitForURL(/\/login\?next=%2Ftasks$/);
		await shoot(page, 'sso-card', 'desktop');
		await providerLogin(page, 'chutri');
		await page.waitForURL(server.url + '/tasks');
		await page.waitForSelector('header .who');
		assert.match(await page.textContent('header .who') ?? '', /Trần Văn Quang/);
		await page.waitForSelector('main section.page h1');
		const who = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cau.signin') ?? 'null')?.user?.username);
		assert.equal(who, 'chutri');

		// A reload keeps the session (the refresh cookie the callback set).
		await page.reload();
		await page.waitForSelector('header .who');
		assert.equal(new URL(page.url()).pathname, '/tasks');

		// Sign out: Cầu's session ends, the provider's end_session_endpoint
		// is visited with the ID token and sends the browser back to /login.
		const ended = page.waitForRequest((r) => r.url().startsWith(op.issuer + '/end_session') && r.url().includes('id_token_hint='));
		await fromUserMenu(page, '#user-signout');
		await ended;
		await page.waitForURL(server.url + '/login');
		await page.goto(server.url + '/tasks');
		await page.waitForURL(/\/login\?next=%2Ftasks$/);
		assert.deepEqual(b.problems.filter((p) => !p.includes('401') && !p.includes('422')), [], 'page errors');
	} finally {
		await b.close();
	}
});

test('without local passwords: no change-password link or page, and the call is refused in words', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/meetings');
		await page.waitForURL(/\/login\?next=%2Fmeetings$/);
		assert.equal(await page.isVisible('#password'), false, 'no password form on the card');
		await providerLogin(page, 'chutri');
		await page.waitForURL(server.url + '/meetings');
		await page.waitForSelector('header .who');
		await page.click('#user-menu-button');
		await page.waitForSelector('#user-signout');
		assert.equal(await page.locator('#user-password').count(), 0, 'no change-password item in the user menu');
		await page.goto(server.url + '/password');
		await page.waitForSelector('#password-off');
		assert.match(await page.textContent('#password-off') ?? '', /tài khoản tỉnh/);
		assert.equal(await page.locator('#old-password').count(), 0, 'no password form');
		await shoot(page, 'password-off', 'desktop');
		assert.deepEqual(await axeCheck(page, 'password-off (desktop)'), [], 'axe: the password page without passwords');
		const answer = await page.evaluate(async () => {
			const token = JSON.parse(sessionStorage.getItem('cau.signin') ?? 'null')?.access_token;
			const r = await fetch('/api/v1/me/password', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
				body: JSON.stringify({ old_password: 'x', new_password: 'mật-khẩu-mới-dài-hơn' }) });
			return { status: r.status, body: await r.json() };
		});
		assert.equal(answer.status, 403);
		assert.equal(answer.body.error?.code, 'password_change_disabled');
		assert.deepEqual(b.problems.filter((p) => !p.includes('401') && !p.includes('403') && !p.includes('422')), [], 'page errors');
	} finally {
		await b.close();
	}
});

test('an idle sign-in through the province account ends at the provider too; the card says why and returns to the page', async () => {
	const b = await openBrowser();
	try {
		const { page } = b;
		await page.goto(server.url + '/tasks?status=overdue');
		await page.waitForURL(/\/login\?next=%2Ftasks%3Fstatus%3Doverdue$/);
		await providerLogin(page, 'chutri');
		await page.waitForURL(server.url + '/tasks?status=overdue');
		await page.waitForSelector('header .who');
		// Hands off: the provider's end_session_endpoint is visited with the
		// ID token, and the browser comes back to the card.
		const ended = page.waitForRequest((r) => r.url().startsWith(op.issuer + '/end_session') && r.url().includes('id_token_hint='),
			{ timeout: (idleSeconds + 20) * 1000 });
		await ended;
		await page.waitForURL(/\/login\?next=%2Ftasks%3Fstatus%3Doverdue$/, { timeout: 20_000 });
		await page.waitForSelector('#login-ended');
		assert.match(await page.textContent('#login-ended') ?? '', /không có thao tác/);
		await shoot(page, 'sso-idle-login', 'desktop');
		// The province account asks for its password again, then the page wanted opens.
		await page.click('#login-sso');
		await page.waitForURL((u) => u.toString().startsWith(op.issuer + '/login/username'));
		await page.fill('#username', 'chutri');
		await page.fill('#password', providerPassword);
		await page.click('button[type=submit]');
		await page.waitForURL(server.url + '/tasks?status=overdue');
		await page.waitForSelector('header .who');
		assert.deepEqual(b.problems.filter((p) => !p.includes('401') && !p.includes('422')), [], 'page errors');
	} finally {
		await b.close();
	}
});
