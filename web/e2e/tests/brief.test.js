// The whole session of ../shared/BRIEF.md through the UI only, in Chromium
// (after the administrator imports five officials from an XLSX file and
// makes one of them a chair, who then chairs the meeting, runs the session,
// approves the minutes and follows the task on her dashboard):
// every step a user takes is a click or a key in the page (the API is read
// only to check what the pages did). The secretary creates the meeting with
// its chair, delegates and a district's communes, the agenda with presenters
// and a document, and publishes; a delegate on a phone sees the bell's count
// and opens the document; the chair runs the session; the secretary drafts
// and edits the minutes; the chair approves them and makes a conclusion a
// task; the concerned unit reads the conclusion notice and reports on its
// task; the leader's dashboard shows it. Each step is screenshotted
// (artifacts/screenshots/brief-*) and checked with axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { tinyPDF } from '../lib/pdf.js';
import { axeCheck } from '../lib/axe.js';
import { xlsx } from '../lib/xlsx.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
const phone = { width: 390, height: 844 };
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

/** Serious and critical axe findings, by screen. */
/** @type {Record<string, import('../lib/axe.js').Violation[]>} */
const a11y = {};

/**
 * step screenshots the page and runs axe on it.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {string} size
 */
async function step(page, name, size) {
	await shoot(page, 'brief-' + name, size);
	a11y[`${name} (${size})`] = await axeCheck(page, `${name} (${size})`);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} user
 * @param {string} next
 * @param {string} [pass]
 */
async function signInAt(page, user, next, pass = password) {
	await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
	await page.fill('#username', user);
	await page.fill('#password', pass);
	await page.click('form.login button[type=submit]');
}

/**
 * pick types into a people search and presses Enter once the list shows
 * the person (the exact username ranks first, so Enter takes it).
 * @param {import('playwright-core').Page} page
 * @param {string} input selector
 * @param {string} username
 */
async function pick(page, input, username) {
	await page.fill(input, username);
	const list = `#${await page.getAttribute(input, 'aria-controls')}`;
	await page.waitForSelector(`${list} li[data-user="${username}"]`);
	await page.press(input, 'Enter');
	// Picked: the list empties (or the section is redrawn without it).
	await page.waitForFunction((sel) => !document.querySelector(sel)?.childElementCount, list);
}

/** @param {number} n days from today as 02/12/2026 (Vietnam) */
function vnDay(n) {
	const p = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric' }).format(Date.now() + n * 86400_000);
	return p;
}
/** @param {number} n days from today as 2026-12-02 (Vietnam) */
function isoDay(n) {
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(Date.now() + n * 86400_000);
}

test('the BRIEF session, end to end, through the UI only', async () => {
	const look = await signIn(server.url, 'thuky', password); // reads only
	const units = (await look.call('GET', '/units')).units;
	const district = units.filter((/** @type {any} */ u) => u.level === 'district').sort((/** @type {any} */ a, /** @type {any} */ b) => a.name.localeCompare(b.name, 'vi'))[0];
	const communes = units.filter((/** @type {any} */ u) => u.parent_id === district.id).length;
	const concerned = (await signIn(server.url, 'daibieu2', password)).user;
	const concernedUnit = units.find((/** @type {any} */ u) => u.id === concerned.unit_id);
	const title = 'Hội nghị trực tuyến toàn tỉnh về chuyển đổi số tháng 12';

	// 0. The administrator imports five officials from an XLSX file and makes
	// one, Nguyễn Thị Hòa, a chair: she chairs this meeting.
	let hoaTemp = '';
	const hoaPassword = 'Hòa-chủ-trì-2026';
	const adm = await openBrowser(sizes.desktop);
	try {
		const p = adm.page;
		const commune = units.find((/** @type {any} */ u) => u.parent_id === district.id);
		const dept = units.find((/** @type {any} */ u) => u.level === 'department');
		await signInAt(p, 'admin', '/admin/import');
		await p.waitForSelector('#import-file');
		await p.setInputFiles('#import-file', { name: 'can-bo.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from(xlsx([
			['Tên đăng nhập', 'Họ và tên', 'Thư điện tử', 'Chức vụ', 'Đơn vị', 'Vai trò'],
			['nt.hoa', 'Nguyễn Thị Hòa', 'hoa@lamdong.gov.vn', 'Phó Chủ tịch UBND tỉnh', dept.code, 'Đại biểu'],
			['tv.minh', 'Trần Văn Minh', '', 'Chủ tịch UBND huyện', district.code, 'Đại biểu'],
			['lt.lan', 'Lê Thị Lan', '', 'Chủ tịch UBND xã', commune.code, 'Đại biểu'],
			['pv.nam', 'Phạm Văn Nam', '', 'Công chức Văn phòng', commune.code, ''],
			['hq.dung', 'Hoàng Quốc Dũng', '', 'Chuyên viên', dept.code, 'Đại biểu'],
		])) });
		await p.click('#import-check');
		await p.waitForSelector('#import-go');
		await step(p, 'admin-import-check', 'desktop');
		await p.click('#import-go');
		await p.waitForSelector('#import-created');
		hoaTemp = await p.textContent('#import-created tbody tr:first-child code.password') ?? '';
		assert.match(await p.textContent('#import-created tbody tr:first-child') ?? '', /nt\.hoa/);
		await p.goto(`${server.url}/admin/users`);
		await p.fill('#f-q', 'Nguyễn Thị Hòa');
		await p.click('#user-list tr[data-username="nt.hoa"] a');
		await p.waitForSelector('#user-roles');
		await p.click('#role-add');
		await p.selectOption('#grant-list li:last-child select[aria-label="Vai trò"]', 'chair');
		await p.selectOption('#grant-list li:last-child select[aria-label="Phạm vi"]', '');
		await p.click('#roles-save');
		await p.waitForFunction(() => document.querySelector('#user-msg')?.textContent === 'Đã lưu vai trò.');
		await step(p, 'admin-chair-role', 'desktop');
	} finally {
		await adm.close();
	}

	// 1. The secretary creates the meeting.
	const sec = await openBrowser(sizes.desktop);
	let id = 0;
	try {
		const p = sec.page;
		await signInAt(p, 'thuky', '/meetings');
		await p.click('#new-meeting');
		await p.waitForSelector('#m-title:focus');
		await p.fill('#m-title', title);
		await p.selectOption('#m-kind', 'province_online');
		await p.fill('#m-place', 'Hội trường UBND tỉnh');
		await p.fill('#m-start-day', vnDay(0));
		await p.fill('#m-start-time', '08:00');
		await p.fill('#m-end-day', vnDay(0));
		await p.fill('#m-end-time', '23:30');
		await step(p, 'editor-new', 'desktop');
		await p.click('#save-details');
		await p.waitForURL(/\/meetings\/\d+\/edit$/);
		id = Number(p.url().match(/meetings\/(\d+)\/edit/)?.[1]);
		await p.waitForSelector('#chair-q');
		assert.equal(await p.getAttribute('#meeting-status', 'data-status'), 'draft');
		assert.equal(await p.inputValue('#m-start-time'), '08:00');

		// Publishing without a chair is refused with a clear message.
		await p.click('#publish');
		await p.click('#confirm-ok');
		await p.waitForSelector('.editor > .error:not([hidden])');
		assert.match(await p.textContent('.editor > .error') ?? '', /chưa có chủ trì/);

		// The chair and the delegates from people search (Enter takes the exact match).
		await pick(p, '#chair-q', 'nt.hoa');
		await p.waitForFunction(() => /Nguyễn Thị Hòa/.test(document.querySelector('#chair-name')?.textContent ?? ''));
		for (const [i, u] of ['daibieu1', 'daibieu3'].entries()) {
			await pick(p, '#people-q', u);
			await p.waitForSelector(`#people-list li:nth-child(${i + 1})`);
		}
		await p.selectOption('#people-role', 'observer');
		await pick(p, '#people-q', 'daibieu5');
		await p.waitForFunction(() => /Quan sát viên/.test(document.querySelector('#people-list')?.textContent ?? ''));

		// Halls: nothing selected at first; the whole province asks first and is declined;
		// then the district with its communes.
		assert.match(await p.textContent('#hall-count') ?? '', /Đã chọn 0 điểm cầu/);
		const root = await p.$eval('#hall-tree > li', (li) => /** @type {HTMLElement} */ (li).dataset.unit);
		await p.check(`#hp-u${root}`);
		const all = Number((await p.textContent('#hall-count'))?.match(/\d+/)?.[0]);
		assert.ok(all > 20, `the province holds ${all} halls`);
		await p.click('#invite-halls');
		await p.waitForSelector('dialog.confirm[open]');
		await step(p, 'halls-confirm', 'desktop');
		await p.click('#confirm-cancel');
		await p.uncheck(`#hp-u${root}`);
		await p.click(`li[data-unit="${district.id}"] > button[data-toggle]`);
		await p.check(`#hp-u${district.id}`);
		assert.match(await p.textContent('#hall-count') ?? '', new RegExp(`Đã chọn ${communes + 1} điểm cầu`));
		await p.$eval(`li[data-unit="${district.id}"]`, (e) => e.scrollIntoView({ block: 'center' }));
		await step(p, 'halls-district', 'desktop');
		await p.click('#invite-halls');
		await p.waitForFunction((n) => document.querySelector('#hall-total')?.textContent === `(${n})`, communes + 1);

		// Agenda: two items with presenters, planned times and a description.
		const items = [
			{ title: 'Báo cáo kết quả chuyển đổi số năm 2026', time: '08:15', presenter: 'daibieu1', desc: 'Sở Thông tin và Truyền thông báo cáo.' },
			{ title: 'Thảo luận và kết luận', time: '09:30', presenter: 'daibieu3', desc: '' },
		];
		for (const [i, it] of items.entries()) {
			await p.fill('#item-title', it.title);
			await p.fill('#item-time', it.time);
			await p.fill('#item-minutes', '45');
			await p.fill('#item-desc', it.desc);
			await pick(p, '#item-presenter-q', it.presenter);
			await p.click('#add-item');
			await p.waitForFunction((n) => document.querySelectorAll('#agenda-list > li').length === n, i + 1);
		}
		assert.match(await p.textContent('#agenda-list') ?? '', /Dự kiến 08:15/);
		// A document for the first item, with its own title.
		await p.setInputFiles('#doc-file', { name: 'bao-cao-cds-2026.pdf', mimeType: 'application/pdf', buffer: tinyPDF('Bao cao chuyen doi so 2026') });
		await p.fill('#doc-title', 'Báo cáo chuyển đổi số năm 2026');
		await p.selectOption('#doc-item', { label: items[0].title });
		await p.click('#upload');
		await p.waitForSelector('#doc-list li');
		assert.match(await p.textContent('#agenda-list') ?? '', /Báo cáo chuyển đổi số năm 2026/);
		await p.evaluate(() => window.scrollTo(0, 0));
		await step(p, 'editor', 'desktop');

		// Publish, confirmed; the page shows the new status.
		await p.click('#publish');
		await p.waitForSelector('dialog.confirm[open]');
		await step(p, 'publish-confirm', 'desktop');
		await p.click('#confirm-ok');
		await p.waitForSelector('#meeting-status[data-status=published]');
		await step(p, 'published', 'desktop');
		assert.deepEqual(sec.problems.filter((x) => !/\b409\b/.test(x)), [], 'secretary page errors');
	} finally {
		await sec.close();
	}

	// 2. A delegate on a phone: the bell's count, the notice, the document.
	const del = await openBrowser(phone);
	try {
		const p = del.page;
		await signInAt(p, 'daibieu1', '/meetings');
		await p.waitForSelector('#bell-count[data-count="1"]');
		await step(p, 'delegate-meetings', 'phone');
		await p.click('#bell');
		await p.waitForSelector('#bell-list li.unread');
		assert.match(await p.textContent('#bell-list') ?? '', new RegExp(title));
		await step(p, 'delegate-bell', 'phone');
		await p.click('#bell-list li a');
		await p.waitForURL(new RegExp(`/meetings/${id}$`));
		await p.waitForSelector('#bell-count[data-count="0"]', { state: 'attached' });
		await p.waitForSelector('#room-agenda a[href^="/documents/"]');
		await step(p, 'delegate-room', 'phone');
		await p.click('#room-agenda a[href^="/documents/"]');
		await p.waitForSelector('#pdf-pages canvas.pdf-page');
		await p.waitForSelector('#pdf-pages:not([aria-busy])');
		await step(p, 'delegate-document', 'phone');
		assert.deepEqual(del.problems, [], 'delegate page errors');
	} finally {
		await del.close();
	}

	// 3. The imported chair runs the session: her temporary password is
	// changed first, then the meeting opens; open, through the agenda, close.
	const chair = await openBrowser(sizes.desktop);
	try {
		const p = chair.page;
		await signInAt(p, 'nt.hoa', `/meetings/${id}`, hoaTemp);
		await p.waitForURL(new RegExp(`/password\\?next=%2Fmeetings%2F${id}$`));
		await p.fill('#old-password', hoaTemp);
		await p.fill('#new-password', hoaPassword);
		await p.fill('#new-password-again', hoaPassword);
		await p.click('form.password button[type=submit]');
		await p.waitForURL(new RegExp(`/meetings/${id}$`));
		assert.match(await p.textContent('header .who') ?? '', /Nguyễn Thị Hòa.*Chủ trì/);
		await p.waitForSelector('#open-session');
		await p.click('#open-session');
		await p.waitForSelector('#session-status[data-status=in_session]');
		const ag = (await look.call('GET', `/meetings/${id}/agenda`)).items;
		for (const it of ag) {
			await p.click('#next-item:not([disabled])');
			await p.waitForSelector(`#current-item[data-item="${it.id}"]`);
		}
		await step(p, 'chair-session', 'desktop');
		await p.click('#close-session');
		await p.waitForSelector('#session-status[data-status=ended]');
	} finally {
		await chair.close();
	}

	// 4. The secretary drafts the minutes, then edits them.
	const sec2 = await openBrowser(sizes.desktop);
	try {
		const p = sec2.page;
		await signInAt(p, 'thuky', `/meetings/${id}/minutes`);
		await p.click('#minutes-draft');
		await p.waitForSelector('#minutes-save');
		const mi = await p.$$eval('.minutes-item', (els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.item));
		await p.fill(`#mb-item\\.${mi[0]}`, 'Đại biểu thống nhất đánh giá kết quả chuyển đổi số năm 2026.');
		await p.click('#add-conclusion');
		await p.fill('#conclusions li:nth-child(1) textarea', `Giao ${concernedUnit.name} xây dựng kế hoạch chuyển đổi số năm 2027.`);
		await p.selectOption('#conclusions li:nth-child(1) select.unit-select', String(concernedUnit.id));
		await p.click('#conclusions li:nth-child(1) button[data-add-units]');
		await p.click('#minutes-save');
		await p.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 2)');
		await p.fill('#mb-notes', 'Số liệu cập nhật đến ngày họp.');
		await p.click('#minutes-save');
		await p.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 3)');
		await step(p, 'minutes-secretary', 'desktop');
	} finally {
		await sec2.close();
	}

	// 5. The chair approves and makes conclusion 1 a task of the unit.
	const chair2 = await openBrowser(sizes.desktop);
	try {
		const p = chair2.page;
		await signInAt(p, 'nt.hoa', `/meetings/${id}/minutes`, hoaPassword);
		await p.click('#minutes-approve');
		await p.click('#minutes-approve-confirm');
		await p.waitForSelector('#minutes-symbol');
		await p.click('button[data-assign="1"]');
		await p.selectOption('#c1-unit', String(concernedUnit.id));
		await p.fill('#c1-deadline', isoDay(20));
		await p.click('#c1-submit');
		await p.waitForSelector('li[data-conclusion="1"] ul.task-links li');
		await step(p, 'minutes-approved', 'desktop');
	} finally {
		await chair2.close();
	}

	// 6. The concerned unit reads the notice (from its bell) and reports on its task.
	const unit = await openBrowser(phone);
	try {
		const p = unit.page;
		await signInAt(p, 'daibieu2', '/meetings');
		await p.waitForSelector('#bell-count:not([hidden])', { timeout: 30_000 });
		await p.click('#bell');
		await p.waitForSelector('#bell-list li[data-kind="minutes.notice"] a', { timeout: 30_000 });
		await p.click('#bell-list li[data-kind="minutes.notice"] a');
		await p.waitForSelector('#notice-number');
		await p.waitForSelector('#notice-pdf:not([aria-busy])', { timeout: 30_000 });
		await step(p, 'unit-notice', 'phone');
		await p.goto(`${server.url}/tasks`);
		await p.waitForSelector('#task-list tbody tr a');
		await step(p, 'unit-tasks', 'phone');
		await p.click('#task-list tbody tr a');
		await p.waitForSelector('#report-body');
		await p.fill('#report-body', 'Đã lập dự thảo kế hoạch, đang lấy ý kiến các sở.');
		await p.fill('#report-percent', '30');
		await p.click('#report-submit');
		await p.waitForSelector('#reports li');
		await step(p, 'unit-report', 'phone');
	} finally {
		await unit.close();
	}

	// 7. The leader's dashboard shows the unit's task.
	const lead = await openBrowser(sizes.desktop);
	try {
		const p = lead.page;
		await signInAt(p, 'nt.hoa', '/tasks/dashboard', hoaPassword);
		await p.waitForSelector(`#dash-table tr[data-row="${concernedUnit.id}"]`);
		assert.match(await p.textContent(`#dash-table tr[data-row="${concernedUnit.id}"]`) ?? '', new RegExp(concernedUnit.name));
		await step(p, 'dashboard', 'desktop');
	} finally {
		await lead.close();
	}

	const serious = Object.entries(a11y).filter(([, v]) => v.length > 0);
	assert.deepEqual(serious.map(([k, v]) => `${k}: ${v.map((x) => x.id).join(', ')}`), [], 'serious or critical axe violations');
});
