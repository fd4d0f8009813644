// The header's user menu, UI only: the admin opens it and sees the full
// name and role, moves through it with the keyboard, closes it with Escape
// (the focus back on the button) and signs out through it; the language
// switches through it. The header of an admin, a secretary and a hall
// operator (the longest name and role of the demo province) at 1280 px
// and 390 px, menu closed and open: one row on a tablet, the menu inside
// a phone's screen. Screenshots of each; axe on the open menu.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';
import { axeCheck } from '../lib/axe.js';

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
	await page.waitForSelector('#user-menu-button');
}

/** @param {import('playwright-core').Page} page */
function focused(page) {
	return page.evaluate(() => document.activeElement?.id ?? '');
}

test('the admin opens the user menu, sees the full name, moves with the keyboard and signs out through it', async () => {
	const b = await openBrowser(sizes.tablet);
	try {
		const { page } = b;
		await login(page, 'admin');
		const button = '#user-menu-button';
		assert.equal(await page.getAttribute(button, 'aria-haspopup'), 'menu');
		assert.equal(await page.getAttribute(button, 'aria-expanded'), 'false');
		assert.equal(await page.textContent(`${button} .who-name`), 'Quản trị hệ thống');
		assert.equal(await page.isVisible('#user-menu'), false, 'closed at first');

		// A click opens it on its first item: the whole name and the role.
		await page.click(button);
		assert.equal(await page.getAttribute(button, 'aria-expanded'), 'true');
		await page.waitForSelector('#user-card', { state: 'visible' });
		assert.equal(await page.textContent('#user-card .user-name'), 'Quản trị hệ thống');
		assert.equal(await page.textContent('#user-card .user-roles'), 'Quản trị');
		const items = await page.$$eval('#user-menu [role=menuitem]', (l) => l.map((e) => e.textContent));
		assert.deepEqual(items, ['Đổi mật khẩu', 'English', 'Đăng xuất']);
		assert.equal(await focused(page), 'user-password');
		const a11y = await axeCheck(page, 'user menu open');
		assert.deepEqual(a11y, [], 'no serious or critical axe findings with the menu open');

		// Arrows move and wrap, Home and End jump, Escape closes onto the button.
		await page.keyboard.press('ArrowDown');
		assert.equal(await focused(page), 'user-lang');
		await page.keyboard.press('ArrowDown');
		assert.equal(await focused(page), 'user-signout');
		await page.keyboard.press('ArrowDown');
		assert.equal(await focused(page), 'user-password');
		await page.keyboard.press('ArrowUp');
		assert.equal(await focused(page), 'user-signout');
		await page.keyboard.press('Home');
		assert.equal(await focused(page), 'user-password');
		await page.keyboard.press('End');
		assert.equal(await focused(page), 'user-signout');
		await page.keyboard.press('Escape');
		assert.equal(await page.isVisible('#user-menu'), false, 'Escape closes the menu');
		assert.equal(await page.getAttribute(button, 'aria-expanded'), 'false');
		assert.equal(await focused(page), 'user-menu-button', 'the focus is back on the button');

		// From the keyboard: Enter opens on the first item, ↑ on the last, Tab closes and moves on.
		await page.keyboard.press('Enter');
		assert.equal(await focused(page), 'user-password');
		await page.keyboard.press('Tab');
		assert.equal(await page.isVisible('#user-menu'), false, 'Tab closes the menu');
		await page.focus(button);
		await page.keyboard.press('ArrowUp');
		assert.equal(await focused(page), 'user-signout');
		// A click elsewhere closes it too.
		await page.click('main h1');
		assert.equal(await page.isVisible('#user-menu'), false, 'a click outside closes the menu');

		// Signing out through it: the login card, nobody in the header.
		await fromUserMenu(page, '#user-signout');
		await page.waitForURL(/\/login/);
		await page.waitForSelector('form.login');
		assert.equal(await page.locator('#user-menu-button').count(), 0, 'no user menu once signed out');
		assert.equal(await page.locator('header button[lang=en]').count(), 1, 'the language switch stays in the header');
		assert.deepEqual(b.problems.filter((p) => !p.includes('401')), [], 'page errors');
	} finally {
		await b.close();
	}
});

test('the language switches through the user menu and the focus stays on its button', async () => {
	const b = await openBrowser(sizes.tablet);
	try {
		const { page } = b;
		await login(page, 'thuky');
		await fromUserMenu(page, '[lang=en]');
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		assert.equal(await page.textContent('header nav a[href="/meetings"]'), 'My meetings');
		assert.equal(await focused(page), 'user-menu-button');
		assert.equal(await page.textContent('#user-menu-button .who-role'), 'Secretary');
		await page.keyboard.press('ArrowDown');
		assert.deepEqual(await page.$$eval('#user-menu [role=menuitem]', (l) => l.map((e) => e.textContent)),
			['Change password', 'Tiếng Việt', 'Sign out']);
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.documentElement.lang === 'vi');
		assert.equal(await page.textContent('header nav a[href="/meetings"]'), 'Cuộc họp của tôi');
	} finally {
		await b.close();
	}
});

// The demo's accounts: the admin, the secretary, and the operator of a
// ward hall ("Kỹ thuật viên …", "Kỹ thuật viên điểm cầu": the longest).
for (const [who, user] of [['admin', 'admin'], ['secretary', 'thuky'], ['operator', 'ktv.phuong-1-da-lat']]) {
	test(`the header of the ${who} at 1280 and 390 px, menu closed and open`, async () => {
		const b = await openBrowser(sizes.tablet);
		try {
			const { page } = b;
			await login(page, user);
			const me = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cau.signin') ?? '{}').user);
			for (const size of /** @type {const} */ (['tablet', 'phone'])) {
				await page.setViewportSize(sizes[size]);
				const header = await page.locator('header.top').boundingBox();
				const menuButton = await page.locator('#user-menu-button').boundingBox();
				assert.ok(header && menuButton, 'header and menu button laid out');
				if (size === 'tablet') assert.ok(header.height < 80, `the ${who}'s header is one row at 1280 px (${header.height} px high)`);
				assert.ok(menuButton.x + menuButton.width <= sizes[size].width, `the menu button is on the screen at ${size}`);
				await shoot(page, `header-${who}`, size);

				await page.click('#user-menu-button');
				await page.waitForSelector('#user-card', { state: 'visible' });
				assert.equal(await page.textContent('#user-card .user-name'), me.full_name, 'the whole name in the menu');
				const panel = await page.locator('#user-panel').boundingBox();
				assert.ok(panel && panel.x >= 0 && panel.x + panel.width <= sizes[size].width, `the menu is inside the screen at ${size}`);
				const cut = await page.$eval('#user-card .user-name', (e) => e.scrollWidth > e.clientWidth);
				assert.equal(cut, false, 'the name is not cut in the menu');
				await shoot(page, `header-${who}-menu`, size);
				await page.keyboard.press('Escape');
			}
		} finally {
			await b.close();
		}
	});
}
