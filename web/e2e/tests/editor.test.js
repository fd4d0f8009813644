// The secretary prepares a meeting in the browser: details, agenda with
// drag-to-reorder, halls from the unit tree, the chair and a delegate from
// people search, a document upload with its progress bar, publish; the
// invited delegate then sees it. A confidential document with its reader
// named from people search, who has read it, a new version, and the
// meeting cancelled with a reason that reaches the invitee's bell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { tinyPDF } from '../lib/pdf.js';
import { axeCheck } from '../lib/axe.js';

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

test('a confidential document: readers named from people search, who has read it, a new version; then the meeting cancelled with a reason, and the invitee told', async () => {
	const sec = await signIn(server.url, 'thuky', password); // reads only
	const reader = (await signIn(server.url, 'daibieu1', password)).user;
	const b = await openBrowser(sizes.desktop);
	try {
		const { page } = b;
		await signInAt(page, 'thuky', '/meetings');
		await page.click('#new-meeting');
		await page.waitForSelector('#m-title:focus');
		await page.fill('#m-title', 'Họp bàn phương án nhân sự (mật)');
		await page.click('#save-details');
		await page.waitForURL(/\/meetings\/\d+\/edit$/);
		const id = Number(page.url().match(/meetings\/(\d+)\/edit/)?.[1]);
		await page.fill('#chair-q', 'chutri');
		await page.waitForSelector('[role=listbox] li[data-user=chutri]');
		await page.press('#chair-q', 'Enter');
		await page.waitForFunction(() => /Trần Văn Quang/.test(document.querySelector('#chair-name')?.textContent ?? ''));
		await page.fill('#people-q', 'daibieu1');
		await page.waitForSelector('[role=listbox] li[data-user=daibieu1]');
		await page.press('#people-q', 'Enter');
		await page.waitForFunction(() => /Đại biểu/.test(document.querySelector('#people-list')?.textContent ?? ''));

		// Confidential: its reader is named from people search before the upload.
		await page.setInputFiles('#doc-file', { name: 'phuong-an-nhan-su.pdf', mimeType: 'application/pdf', buffer: tinyPDF('Phuong an nhan su') });
		await page.fill('#doc-title', 'Phương án nhân sự');
		await page.check('#doc-conf');
		await page.fill('#doc-readers input[role=combobox]', 'daibieu1');
		await page.waitForSelector('#doc-readers [role=listbox] li[data-user=daibieu1]');
		await page.press('#doc-readers input[role=combobox]', 'Enter');
		await page.waitForSelector(`#doc-readers li[data-user-id="${reader.id}"]`);
		await page.click('#upload');
		await page.waitForSelector('#doc-list li .badge');
		const doc = (await sec.call('GET', `/meetings/${id}/documents`)).documents[0];
		assert.equal(doc.confidential, true);
		assert.deepEqual(doc.allowed_user_ids, [reader.id], 'the one reader named');
		assert.ok(await page.$(`#doc-list li[data-doc="${doc.id}"] .readers li[data-user-id="${reader.id}"]`), 'the reader shown on the document');
		await page.click('#publish');
		await page.click('#confirm-ok');
		await page.waitForSelector('#published');

		// The named reader opens it from the room.
		const d = await openBrowser(sizes.tablet);
		try {
			await signInAt(d.page, 'daibieu1', `/meetings/${id}`);
			await d.page.click(`a[href="/documents/${doc.id}"]`);
			await d.page.waitForSelector('#pdf-pages canvas.pdf-page');
			await d.page.waitForSelector('#pdf-pages:not([aria-busy])');

			// A new version, from the editor.
			await page.setInputFiles(`#doc-v-${doc.id}`, { name: 'phuong-an-nhan-su-v2.pdf', mimeType: 'application/pdf', buffer: tinyPDF('Phuong an nhan su, ban sua') });
			await page.click(`button[data-version-of="${doc.id}"]`);
			await page.waitForFunction((did) => /v2/.test(document.querySelector(`#doc-list li[data-doc="${did}"]`)?.textContent ?? ''), doc.id);
			assert.equal((await sec.call('GET', `/documents/${doc.id}`)).current_version, 2);

			// Who has read it: one click from the editor.
			await page.click(`#doc-list li[data-doc="${doc.id}"] a[href$="#doc-reads"]`);
			await page.waitForSelector('#readers li');
			assert.match(await page.textContent('#readers') ?? '', new RegExp(reader.full_name));
			await shoot(page, 'document-reads', 'desktop');

			// Cancelled with a reason: the status says it, and the invitee's bell tells them.
			await page.goto(`${server.url}/meetings/${id}/edit`);
			await page.click('#cancel-meeting');
			await page.waitForSelector('dialog.confirm[open] #confirm-reason');
			await page.click('#confirm-ok'); // no reason yet: the dialog stays
			assert.ok(await page.isVisible('dialog.confirm[open]'), 'a reason is required');
			await page.fill('#confirm-reason', 'Lùi lại theo chỉ đạo của Chủ tịch UBND tỉnh.');
			await page.click('#confirm-ok');
			await page.waitForSelector('#meeting-status[data-status=cancelled]');
			assert.match(await page.textContent('#meeting-status') ?? '', /Lùi lại theo chỉ đạo/);
			// "Đã huỷ" in the danger colour, never the success one; each
			// status badge in the colour of what it means.
			const danger = 'rgb(179, 38, 30)', success = 'rgb(20, 108, 46)'; // --bad, --ok-ink (green text on the pale green badge)
			assert.equal(await page.$eval('#meeting-status .status', (e) => getComputedStyle(e).color), danger, 'cancelled is red');
			assert.equal(await page.$eval('#published .status', (e) => e.textContent), 'Đã huỷ');
			const colours = await page.evaluate(() => Object.fromEntries(['draft', 'published', 'in_session', 'ended', 'cancelled'].map((s) => {
				const e = document.createElement('span');
				e.className = 'status ms-' + s;
				document.body.append(e);
				const c = getComputedStyle(e).color;
				e.remove();
				return [s, c];
			})));
			assert.deepEqual(Object.entries(colours).filter(([, c]) => c === success).map(([s]) => s), ['in_session'], `only a session under way is green: ${JSON.stringify(colours)}`);
			assert.equal(colours.cancelled, danger);
			assert.equal(colours.published, 'rgb(11, 74, 168)');
			assert.notEqual(colours.draft, danger);
			assert.notEqual(colours.ended, danger);
			await shoot(page, 'editor-cancelled', 'desktop');
			assert.deepEqual(await axeCheck(page, 'editor-cancelled (desktop)'), [], 'axe: the cancelled meeting\'s editor');

			// Out of "Sắp diễn ra" in every list: the secretary's and the invitee's.
			for (const [p, who] of /** @type {const} */ ([[page, 'secretary'], [d.page, 'delegate']])) {
				await p.goto(`${server.url}/meetings`);
				await p.waitForSelector(`#meetings-cancelled li[data-meeting="${id}"]`);
				assert.equal(await p.locator(`#meetings-upcoming li[data-meeting="${id}"], #meetings-today li[data-meeting="${id}"]`).count(), 0, `${who}: not among upcoming`);
				assert.equal((await p.textContent('#meetings-cancelled-h'))?.trim(), 'Đã huỷ');
				const row = await p.textContent(`#meetings-cancelled li[data-meeting="${id}"]`) ?? '';
				assert.match(row, /Đã huỷ/);
				assert.match(row, /Lùi lại theo chỉ đạo/, `${who}: the reason in the list`);
				assert.equal(await p.$eval(`#meetings-cancelled li[data-meeting="${id}"] .status`, (e) => getComputedStyle(e).color), danger);
			}
			await shoot(d.page, 'meetings-cancelled', 'tablet');
			assert.deepEqual(await axeCheck(d.page, 'meetings-cancelled (tablet)'), [], 'axe: the list with a cancelled meeting');

			await d.page.click('#bell');
			await d.page.waitForSelector('#bell-list li[data-kind="meeting.cancelled"]', { timeout: 30_000 });
			const told = await d.page.textContent('#bell-list li[data-kind="meeting.cancelled"]') ?? '';
			assert.match(told, /Họp bàn phương án nhân sự/);
			assert.match(told, /Lý do: Lùi lại theo chỉ đạo của Chủ tịch UBND tỉnh\./, 'the reason in the bell');
			await shoot(d.page, 'bell-cancelled', 'tablet');
			assert.deepEqual(d.problems, [], 'reader page errors');
		} finally {
			await d.close();
		}
		assert.deepEqual(b.problems, [], 'secretary page errors');
	} finally {
		await b.close();
	}
});
