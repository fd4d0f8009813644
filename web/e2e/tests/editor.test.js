// The secretary prepares a meeting in the browser: details, agenda with
// drag-to-reorder, halls from the unit tree, the chair and a delegate from
// people search, a document upload with its progress bar, publish; the
// invited delegate then sees it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { tinyPDF } from '../lib/pdf.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

/**
 * @param {import('playwright-core').Page} page
 * @param {string} user
 * @param {string} next
 */
async function signInAt(page, user, next) {
	await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.click('form.login button[type=submit]');
}

test('the secretary builds and publishes a meeting; the delegate sees it', async () => {
	const b = await openBrowser(sizes.desktop);
	const sec = await signIn(server.url, 'thuky', password);
	try {
		const { page } = b;
		await signInAt(page, 'thuky', '/meetings');
		await page.click('#new-meeting');
		await page.waitForSelector('#m-title:focus');
		await page.fill('#m-title', 'Giao ban công tác chuyển đổi số quý IV');
		await page.selectOption('#m-kind', 'briefing');
		await page.fill('#m-place', 'Phòng họp số 1, UBND tỉnh');
		await page.click('#save-details');
		await page.waitForURL(/\/meetings\/\d+\/edit$/);
		const id = Number(page.url().match(/meetings\/(\d+)\/edit/)?.[1]);

		// Agenda: three items, then the third dragged onto the first.
		for (const title of ['Khai mạc', 'Báo cáo tiến độ chuyển đổi số', 'Thảo luận và kết luận']) {
			const before = (await page.$$('#agenda-list li')).length;
			await page.fill('#item-title', title);
			await page.click('#add-item');
			await page.waitForFunction((n) => document.querySelectorAll('#agenda-list li').length === n, before + 1);
		}
		await page.dragAndDrop('#agenda-list li:nth-child(3)', '#agenda-list li:nth-child(1)');
		await page.waitForFunction(() => document.querySelector('#agenda-list li')?.textContent?.startsWith('⋮⋮Thảo luận'));
		const agenda = await sec.call('GET', `/meetings/${id}/agenda`);
		assert.deepEqual(agenda.items.map((/** @type {any} */ i) => i.title), ['Thảo luận và kết luận', 'Khai mạc', 'Báo cáo tiến độ chuyển đổi số']);
		// The keyboard way: move the first item down.
		await page.click('#agenda-list li:nth-child(1) button:has-text("↓")');
		await page.waitForFunction(() => document.querySelector('#agenda-list li')?.textContent?.startsWith('⋮⋮Khai mạc'));

		// Halls: a district with its communes, from the unit tree.
		const units = (await sec.call('GET', '/units')).units;
		const district = units.find((/** @type {any} */ u) => u.level === 'district');
		await page.click(`li[data-unit="${district.id}"] > button[data-toggle]`);
		await page.check(`#hp-u${district.id}`);
		await page.click('#invite-halls');
		await page.waitForFunction(() => document.querySelectorAll('#hall-list li').length > 1);

		// The chair and a delegate found by search; Enter takes the exact username.
		await page.fill('#chair-q', 'chutri');
		await page.waitForSelector('[role=listbox] li[data-user=chutri]');
		await page.press('#chair-q', 'Enter');
		await page.waitForFunction(() => /Trần Văn Quang/.test(document.querySelector('#chair-name')?.textContent ?? ''));
		// A text that matches many people exactly by none: Enter invites nobody and says to choose.
		const invited = (await sec.call('GET', `/meetings/${id}/invitees`)).participants.length;
		await page.fill('#people-q', 'daibieu');
		await page.waitForSelector('[role=listbox] li[data-user=daibieu10]');
		await page.press('#people-q', 'Enter');
		await page.waitForFunction(() => /Hãy chọn một người/.test(document.querySelector('.people-picker:has(#people-q) p[aria-live]')?.textContent ?? ''));
		assert.equal((await sec.call('GET', `/meetings/${id}/invitees`)).participants.length, invited, 'Enter invited someone from an ambiguous list');
		// The exact username ranks first: Enter takes it.
		await page.fill('#people-q', 'daibieu1');
		await page.press('#people-q', 'Enter');
		await page.waitForFunction(() => /Đại biểu/.test(document.querySelector('#people-list')?.textContent ?? ''));

		// A document, with its progress bar reaching 100 %.
		await page.setInputFiles('#doc-file', { name: 'bao-cao-chuyen-doi-so.pdf', mimeType: 'application/pdf', buffer: tinyPDF('Bao cao chuyen doi so') });
		await page.click('#upload');
		await page.waitForSelector('#doc-list li');
		assert.match(await page.textContent('#doc-list') ?? '', /bao-cao-chuyen-doi-so/);
		await page.waitForFunction(() => {
			const bar = document.querySelector('#uploads li.done progress');
			return bar instanceof HTMLProgressElement && bar.value === 100;
		});
		await page.evaluate(() => window.scrollTo(0, 0));
		await shoot(page, 'editor', 'desktop');
		await page.setViewportSize(sizes.tablet);
		await shoot(page, 'editor', 'tablet');

		await page.click('#publish');
		await page.click('#confirm-ok');
		await page.waitForSelector('#published');
		assert.deepEqual(b.problems, [], 'page errors');

		// The delegate's list shows it.
		const d = await openBrowser(sizes.tablet);
		try {
			await signInAt(d.page, 'daibieu1', '/meetings');
			await d.page.waitForSelector('ul.meetings li');
			assert.match(await d.page.textContent('ul.meetings') ?? '', /Giao ban công tác chuyển đổi số quý IV/);
			await shoot(d.page, 'meetings-delegate', 'tablet');

			// The delegate reads the document in the page (pdf.js renders it).
			const docs = (await sec.call('GET', `/meetings/${id}/documents`)).documents;
			await d.page.goto(`${server.url}/documents/${docs[0].id}`);
			await d.page.waitForSelector('#pdf-pages canvas.pdf-page');
			await d.page.waitForSelector('#pdf-pages:not([aria-busy])');
			// The page is drawn: some pixels are not white.
			const inked = await d.page.$eval('canvas.pdf-page', (c) => {
				const cv = /** @type {HTMLCanvasElement} */ (c);
				const px = cv.getContext('2d')?.getImageData(0, 0, cv.width, cv.height / 4).data ?? [];
				let dark = 0;
				for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
				return dark;
			});
			assert.ok(inked > 50, `rendered page has ${inked} dark pixels`);
			assert.equal(await d.page.isHidden('#doc-reads'), true, 'a delegate does not see who has read');
			await shoot(d.page, 'viewer', 'tablet');
			assert.deepEqual(d.problems, [], 'delegate page errors');
		} finally {
			await d.close();
		}

		// The secretary sees who has read it.
		const docs = (await sec.call('GET', `/meetings/${id}/documents`)).documents;
		await page.setViewportSize(sizes.desktop);
		await page.goto(`${server.url}/documents/${docs[0].id}`);
		await page.waitForSelector('#readers li');
		assert.match(await page.textContent('#readers') ?? '', /Nguyễn Văn An/);
		await page.waitForSelector('#pdf-pages:not([aria-busy])');
		await shoot(page, 'viewer', 'desktop');
	} finally {
		await b.close();
	}
});
