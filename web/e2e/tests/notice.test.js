// The conclusion notice end to end in the browser: the secretary names the
// units concerned by each conclusion from the unit tree (chips, saved with
// the minutes, read-only after approval); the chair approves; a user of a
// concerned unit who was not at the meeting follows the e-mail's link and
// reads the notice (never the minutes); a unit not concerned is told so.
// And the header's search box: "ke hoach" finds "Kế hoạch …".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';
import { signIn } from '../lib/api.js';
import { tinyPDF } from '../lib/pdf.js';

const run = promisify(execFile);
/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
const title = 'Hội nghị triển khai Kế hoạch chuyển đổi số tỉnh Lâm Đồng năm 2027';
/** @type {{id: number, concerned: any, other: any, district: any, units: any[]}} */
const s = { id: 0, concerned: null, other: null, district: null, units: [] };

before(async () => {
	server = await startServer();
	const sec = await signIn(server.url, 'thuky', password);
	const chair = await signIn(server.url, 'chutri', password);
	const del = await signIn(server.url, 'daibieu1', password);
	const m = await sec.call('POST', '/meetings', {
		kind: 'regular', title, place: 'Phòng họp số 1, UBND tỉnh',
		starts_at: new Date(Date.now() + 600_000).toISOString(), ends_at: new Date(Date.now() + 3 * 3600_000).toISOString(), chair_id: chair.user.id,
	});
	await sec.call('PUT', `/meetings/${m.id}/participants/${del.user.id}`, { role: 'delegate' });
	const item = await sec.call('POST', `/meetings/${m.id}/agenda`, { title: 'Dự thảo Kế hoạch chuyển đổi số năm 2027', planned_minutes: 30 });
	// A document the search finds too.
	const tok = await (await fetch(server.url + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ username: 'thuky', password }) })).json();
	const form = new FormData();
	form.append('title', 'Dự thảo Kế hoạch chuyển đổi số năm 2027');
	form.append('confidential', 'false');
	form.append('file', new Blob([tinyPDF('Du thao ke hoach')], { type: 'application/pdf' }), 'du-thao-ke-hoach.pdf');
	const up = await fetch(`${server.url}/api/v1/meetings/${m.id}/documents`, { method: 'POST', headers: { Authorization: 'Bearer ' + tok.access_token }, body: form });
	assert.equal(up.status, 201, await up.text());
	await sec.call('POST', `/meetings/${m.id}/publish`);
	// A short session the chair runs without checking in.
	const base = `/meetings/${m.id}/session`;
	await chair.call('POST', base + '/open');
	await chair.call('PUT', base + '/current-item', { item_id: item.id });
	await chair.call('POST', base + '/close');
	s.id = m.id;
	s.units = (await sec.call('GET', '/units')).units;
	const unitOf = async (/** @type {string} */ user) => {
		const me = (await signIn(server.url, user, password)).user;
		return { user, id: me.unit_id, name: s.units.find((u) => u.id === me.unit_id).name };
	};
	s.concerned = await unitOf('daibieu2'); // a department, not at the meeting
	s.other = await unitOf('daibieu3'); // another department, not concerned
	s.district = await unitOf('daibieu9'); // a district
});
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

/**
 * showConclusions scrolls the conclusions' card to the top, under the
 * editor's sticky toolbar.
 * @param {import('playwright-core').Page} page
 */
async function showConclusions(page) {
	await page.$eval('#conclusions', (e) => {
		const card = /** @type {HTMLElement} */ (e.closest('section'));
		window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - 90);
	});
}

/** @param {string} sql */
async function psql(sql) {
	const { stdout } = await run('psql', [server.dbURL, '-qtAc', sql]);
	return stdout.trim();
}

test('the secretary picks the units concerned by each conclusion; they persist and lock with the approval', async () => {
	const sec = await openBrowser(sizes.desktop);
	try {
		await signInAt(sec.page, 'thuky', `/meetings/${s.id}/minutes`);
		await sec.page.click('#minutes-draft');
		await sec.page.waitForSelector('#minutes-save');
		// The chair opened the session and moved the agenda: present, though never checked in.
		const api = await signIn(server.url, 'thuky', password);
		const draft = await api.call('GET', `/meetings/${s.id}/minutes`);
		assert.equal(draft.body.people.find((/** @type {any} */ p) => p.role === 'chair').attendance, 'present');

		await sec.page.click('#add-conclusion');
		await sec.page.fill('#conclusions li:nth-child(1) textarea', `Giao ${s.concerned.name} chủ trì xây dựng nền tảng dữ liệu dùng chung của tỉnh, hoàn thành trong quý I năm 2027.`);
		await sec.page.click('#add-conclusion');
		await sec.page.fill('#conclusions li:nth-child(2) textarea', 'Các huyện bố trí cán bộ chuyên trách chuyển đổi số cấp xã.');
		// Conclusion 1: the department, and by mistake another one, removed again.
		const c1 = '#conclusions li:nth-child(1)';
		await sec.page.selectOption(`${c1} select.unit-select`, String(s.concerned.id));
		await sec.page.click(`${c1} button[data-add-units]`);
		await sec.page.selectOption(`${c1} select.unit-select`, String(s.other.id));
		await sec.page.click(`${c1} button[data-add-units]`);
		assert.equal(await sec.page.$$eval(`${c1} .unit-chips li[data-unit]`, (li) => li.length), 2);
		await sec.page.click(`${c1} .unit-chips li[data-unit="${s.other.id}"] button`);
		// Conclusion 2: the district and its communes, by keyboard.
		const c2 = '#conclusions li:nth-child(2)';
		await sec.page.focus(`${c2} select.unit-select`);
		await sec.page.selectOption(`${c2} select.unit-select`, String(s.district.id));
		await sec.page.keyboard.press('Tab');
		await sec.page.keyboard.press('Space'); // with its subordinate units
		await sec.page.keyboard.press('Tab');
		await sec.page.keyboard.press('Enter');
		const communes = s.units.filter((u) => u.parent_id === s.district.id && u.active !== false).length;
		assert.ok(communes > 0, 'the district has communes');
		assert.equal(await sec.page.$$eval(`${c2} .unit-chips li[data-unit]`, (li) => li.length), 1 + communes);
		await showConclusions(sec.page);
		await shoot(sec.page, 'minutes-units', 'desktop');
		await sec.page.click('#minutes-save');
		await sec.page.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 2)');
		const saved = await api.call('GET', `/meetings/${s.id}/minutes`);
		assert.deepEqual(saved.body.conclusions[0].unit_ids, [s.concerned.id]);
		assert.equal(saved.body.conclusions[1].unit_ids[0], s.district.id);
		assert.equal(saved.body.conclusions[1].unit_ids.length, 1 + communes);

		// After a reload the chips come back from the saved minutes.
		await sec.page.reload();
		await sec.page.waitForSelector(`${c1} .unit-chips li[data-unit="${s.concerned.id}"]`);
		assert.match(await sec.page.textContent(`${c1} .unit-chips`) ?? '', new RegExp(s.concerned.name));
		await sec.page.setViewportSize(sizes.tablet);
		await showConclusions(sec.page);
		await shoot(sec.page, 'minutes-units', 'tablet');
		await sec.page.setViewportSize(sizes.desktop);

		// The chair approves; the units show read-only, nothing to pick.
		const chair = await signIn(server.url, 'chutri', password);
		const approved = await chair.call('POST', `/meetings/${s.id}/minutes/approve`, { version: 2 });
		assert.deepEqual(approved.notice_units.map((/** @type {any} */ u) => u.unit_id).includes(s.concerned.id), true);
		// Conclusion 1 becomes a task (the search finds it below).
		const deadline = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(Date.now() + 30 * 86400_000);
		await chair.call('POST', `/meetings/${s.id}/minutes/conclusions/1/tasks`, { tasks: [{
			title: 'Xây dựng kế hoạch triển khai nền tảng dữ liệu dùng chung', lead_unit_id: s.concerned.id, deadline }] });
		await sec.page.reload();
		await sec.page.waitForSelector(`li[data-conclusion="1"] .unit-chips li[data-unit="${s.concerned.id}"]`);
		assert.equal(await sec.page.$$eval('select.unit-select, button[data-add-units], .unit-chips button', (e) => e.length), 0, 'approved minutes have no unit picker');
		assert.deepEqual(sec.problems.filter((p) => !/\b404\b/.test(p)), [], 'secretary page errors');
	} finally {
		await sec.close();
	}
});

test('a user of a concerned unit opens the e-mail link and reads the notice, not the minutes; another unit is told it is not concerned', async () => {
	// The distribution job writes the notice e-mail with the whole link.
	/** @type {string} */
	let mail = '';
	for (let i = 0; i < 100 && !mail; i++) {
		mail = await psql(`SELECT e.body FROM email_outbox e JOIN users u ON u.id = e.user_id
			WHERE u.username = '${s.concerned.user}' AND e.dedup_key LIKE 'minutes.notice:%'`);
		if (!mail) await new Promise((r) => setTimeout(r, 200));
	}
	assert.ok(mail, 'no notice e-mail for the concerned unit');
	const link = mail.match(/https?:\/\/\S+\/meetings\/\d+\/minutes/)?.[0];
	assert.equal(link, `${server.url}/meetings/${s.id}/minutes`, 'the e-mail carries the whole link');
	const path = new URL(/** @type {string} */ (link)).pathname;

	for (const [size, viewport] of /** @type {const} */ ([['desktop', sizes.desktop], ['tablet', sizes.tablet]])) {
		const unit = await openBrowser(viewport);
		try {
			await signInAt(unit.page, s.concerned.user, path);
			await unit.page.waitForURL(`${server.url}${path}`);
			await unit.page.waitForSelector('#notice-number');
			assert.match(await unit.page.textContent('#notice-number') ?? '', /^Số: \d+\/TB-UBND · ngày \d+ tháng \d+ năm \d{4}$/);
			assert.equal(await unit.page.textContent('#notice-units'), s.concerned.name);
			const shown = await unit.page.$$eval('#notice-conclusions li', (li) => li.map((e) => /** @type {HTMLElement} */ (e).dataset.conclusion));
			assert.deepEqual(shown, ['1'], 'only the conclusion concerning the unit');
			await unit.page.waitForSelector('#notice-pdf canvas.pdf-page', { timeout: 30_000 });
			await unit.page.waitForSelector('#notice-pdf:not([aria-busy])');
			assert.equal(await unit.page.$$eval('#minutes-save, #minutes-body, #view-minutes-pdf, textarea', (e) => e.length), 0, 'no minutes for a unit');
			await shoot(unit.page, 'notice-unit', size);
			if (size === 'desktop') {
				const [download] = await Promise.all([unit.page.waitForEvent('download'), unit.page.click('#notice-download')]);
				assert.match(download.suggestedFilename(), /^thong-bao-ket-luan-\d+-TB-UBND\.pdf$/);
				// The minutes PDF stays closed to the unit.
				const res = await unit.page.evaluate(async (id) => {
					const s = JSON.parse(sessionStorage.getItem('cau.signin') ?? '{}');
					return (await fetch(`/api/v1/meetings/${id}/minutes/pdf`, { headers: { Authorization: 'Bearer ' + s.access_token } })).status;
				}, s.id);
				assert.equal(res, 404);
				// English.
				await fromUserMenu(unit.page, '[lang=en]');
				await unit.page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Conclusion notice');
				assert.match(await unit.page.textContent('main') ?? '', /Conclusions concerning your unit/);
			}
			// 404: the meeting itself and the minutes PDF are closed to the unit.
			assert.deepEqual(unit.problems.filter((p) => !/\b404\b/.test(p)), [], 'unit page errors');
		} finally {
			await unit.close();
		}
	}

	// A unit the notice is not addressed to: a clear message, nothing else.
	const other = await openBrowser(sizes.tablet);
	try {
		await signInAt(other.page, s.other.user, path);
		await other.page.waitForSelector('#notice-none');
		assert.match(await other.page.textContent('#notice-none') ?? '', /không có thông báo kết luận nào gửi đến bạn/);
		assert.equal(await other.page.$('#notice-pdf'), null);
		await shoot(other.page, 'notice-not-concerned', 'tablet');
	} finally {
		await other.close();
	}
});

test('search from the header: "ke hoach" finds "Kế hoạch …", grouped by kind, by keyboard', async () => {
	const b = await openBrowser(sizes.desktop);
	try {
		await signInAt(b.page, 'thuky', '/meetings');
		await b.page.waitForSelector('#search-q');
		// "/" puts the cursor in the box; Enter searches.
		await b.page.locator('main').click({ position: { x: 5, y: 5 } });
		await b.page.keyboard.press('/');
		assert.equal(await b.page.evaluate(() => document.activeElement?.id), 'search-q');
		await b.page.keyboard.type('ke hoach');
		await b.page.keyboard.press('Enter');
		await b.page.waitForURL(/\/search\?q=ke(\+|%20)hoach$/);
		await b.page.waitForSelector('#search-results:not([aria-busy]) section[data-kind]');
		const found = await b.page.$$eval('#search-results section[data-kind]', (secs) => secs.map((e) =>
			/** @type {HTMLElement} */ (e).dataset.kind + ': ' + [...e.querySelectorAll('a')].map((a) => a.textContent).join(' | ')));
		assert.deepEqual(found, [
			`meeting: ${title}`,
			'document: Dự thảo Kế hoạch chuyển đổi số năm 2027',
			'task: Xây dựng kế hoạch triển khai nền tảng dữ liệu dùng chung',
		]);
		assert.match(await b.page.textContent('section[data-kind=meeting] h2') ?? '', /^Cuộc họp/);
		await shoot(b.page, 'search', 'desktop');
		await b.page.setViewportSize(sizes.tablet);
		await shoot(b.page, 'search', 'tablet');
		// On a tablet the box is folded into its button and opens with "/".
		await b.page.locator('main h1').click();
		await b.page.keyboard.press('/');
		await b.page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('#search-q')).offsetWidth > 200);
		await shoot(b.page, 'search-open', 'tablet');
		await b.page.setViewportSize(sizes.desktop);
		// Tab from the box reaches the first result; Enter opens it.
		await b.page.focus('#search-go');
		await b.page.keyboard.press('Tab');
		for (let i = 0; i < 12 && !(await b.page.evaluate(() => document.activeElement?.closest('#search-results') !== null)); i++) {
			await b.page.keyboard.press('Tab');
		}
		const href = await b.page.evaluate(() => document.activeElement?.getAttribute('href'));
		assert.equal(href, `/meetings/${s.id}`);
		await b.page.keyboard.press('Enter');
		await b.page.waitForURL(`${server.url}/meetings/${s.id}`);

		// Nothing found, and a query too short, each say so.
		await b.page.goto(`${server.url}/search?q=${encodeURIComponent('không có gì như thế này')}`);
		await b.page.waitForSelector('#search-none');
		await b.page.goto(`${server.url}/search?q=k`);
		await b.page.waitForSelector('#search-error');
		assert.match(await b.page.textContent('#search-error') ?? '', /từ 2 đến 200 ký tự/);
		// English.
		await fromUserMenu(b.page, '[lang=en]');
		await b.page.waitForFunction(() => document.querySelector('#search-q')?.getAttribute('placeholder') === 'Search meetings, documents, tasks…');
		assert.deepEqual(b.problems.filter((p) => !/\b422\b/.test(p)), [], 'page errors');
	} finally {
		await b.close();
	}
});
