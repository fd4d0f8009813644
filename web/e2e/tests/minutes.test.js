// Minutes and tasks in the browser against a real server: the secretary
// drafts the minutes from a session that really ran and edits them; the
// chair's save meanwhile makes the secretary's stale save a conflict, which
// the secretary merges without losing a word; the chair approves and the
// page turns read-only with its number; a conclusion becomes a task; the
// unit reports progress and asks for more time; the chair decides; the
// leader's dashboard shows it, drills down and exports XLSX.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { fromUserMenu } from '../lib/header.js';
import { signIn } from '../lib/api.js';

const run = promisify(execFile);
/** @type {import('../lib/server.js').CauServer} */
let server;
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
/** @type {{id: number, unit: number, unitName: string, taskId: number}} */
const s = { id: 0, unit: 0, unitName: '', taskId: 0 };

before(async () => {
	server = await startServer();
	const sec = await signIn(server.url, 'thuky', password);
	const chair = await signIn(server.url, 'chutri', password);
	const del = await signIn(server.url, 'daibieu1', password);
	const m = await sec.call('POST', '/meetings', {
		kind: 'regular', title: 'Phiên họp UBND tỉnh về giải ngân vốn đầu tư công', place: 'Hội trường tầng 3, UBND tỉnh',
		starts_at: new Date(Date.now() + 600_000).toISOString(), ends_at: new Date(Date.now() + 3 * 3600_000).toISOString(), chair_id: chair.user.id,
	});
	await sec.call('PUT', `/meetings/${m.id}/participants/${del.user.id}`, { role: 'delegate' });
	const items = [];
	for (const title of ['Báo cáo tiến độ giải ngân vốn đầu tư công 10 tháng', 'Giải pháp đẩy nhanh giải phóng mặt bằng']) {
		items.push(await sec.call('POST', `/meetings/${m.id}/agenda`, { title, planned_minutes: 30 }));
	}
	await sec.call('POST', `/meetings/${m.id}/publish`);
	// The session runs: two items, a speaker, a vote.
	const base = `/meetings/${m.id}/session`;
	await chair.call('POST', base + '/open');
	await chair.call('PUT', base + '/current-item', { item_id: items[0].id });
	const req = await del.call('POST', base + '/speaking', {});
	await chair.call('POST', `${base}/speaking/${req.request_id}/grant`);
	await chair.call('POST', `${base}/speaking/${req.request_id}/end`);
	await chair.call('PUT', base + '/current-item', { item_id: items[1].id });
	const vote = await chair.call('POST', base + '/votes', { question: 'Thông qua kế hoạch giải phóng mặt bằng quý IV' });
	await del.call('POST', `${base}/votes/${vote.vote_id}/ballot`, { choice: 'yes' });
	await chair.call('POST', `${base}/votes/${vote.vote_id}/close`);
	await chair.call('POST', base + '/close');

	const units = (await sec.call('GET', '/units')).units;
	s.id = m.id;
	s.unit = del.user.unit_id;
	s.unitName = units.find((/** @type {any} */ u) => u.id === s.unit).name;

	// Older tasks of other units, written straight to the table so their
	// deadlines can lie in the past: overdue, done late, done on time.
	const others = units.filter((/** @type {any} */ u) => u.level === 'district').slice(0, 3);
	const rows = [
		[others[0].id, day(-90), null], [others[0].id, day(-40), null], [others[0].id, day(-60), day(-55)],
		[others[1].id, day(-50), null], [others[1].id, day(-30), day(-35)],
		[others[2].id, day(-20), day(-25)], [others[2].id, day(-10), day(-12)],
	];
	const values = rows.map(([u, d, c], i) => `('Nhiệm vụ giao ban số ${i + 1}', ${u}, ${chair.user.id}, '${d}', ${c ? `'${c}'` : 'NULL'}, now(), now())`).join(',');
	await run('psql', [server.dbURL, '-qc', `INSERT INTO tasks (title, lead_unit_id, assigner_id, deadline, completed_on, created_at, updated_at) VALUES ${values}`]);
});
after(async () => { await server?.stop(); });

/** @param {number} n days from today, Vietnam calendar */
function day(n) {
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(Date.now() + n * 86400_000);
}

/** @param {string} iso 2026-12-02 → 02/12/2026 */
function vnDay(iso) {
	const [y, m, d] = iso.split('-');
	return `${d}/${m}/${y}`;
}

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

test('minutes: draft, edit, a stale save merged without losing text, approval, PDF, a task from a conclusion', async () => {
	const sec = await openBrowser(sizes.desktop);
	const chair = await openBrowser(sizes.desktop);
	try {
		// The secretary drafts the minutes from the session.
		await signInAt(sec.page, 'thuky', `/meetings/${s.id}/minutes`);
		await sec.page.click('#minutes-draft');
		await sec.page.waitForSelector('#minutes-save');
		assert.match(await sec.page.textContent('#minutes-body') ?? '', /Báo cáo tiến độ giải ngân/);
		assert.match(await sec.page.textContent('#minutes-body') ?? '', /Thông qua kế hoạch giải phóng mặt bằng quý IV/);
		const items = await sec.page.$$eval('.minutes-item', (els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.item));
		assert.equal(items.length, 2);
		await sec.page.fill(`#mb-item\\.${items[0]}`, 'Các sở, ngành thống nhất đánh giá tiến độ giải ngân đạt 62% kế hoạch vốn năm.');
		await sec.page.click('#add-conclusion');
		await sec.page.fill('#conclusions li:nth-child(1) textarea', `Giao ${s.unitName} tổng hợp danh mục dự án chậm giải ngân, báo cáo UBND tỉnh trước ngày 15/12.`);
		await sec.page.click('#add-conclusion');
		await sec.page.fill('#conclusions li:nth-child(2) textarea', 'Các huyện đẩy nhanh công tác giải phóng mặt bằng các dự án trọng điểm.');
		await sec.page.click('#minutes-save');
		await sec.page.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 2)');
		// The draft as PDF, in the page.
		await sec.page.click('#minutes-preview');
		await sec.page.waitForSelector('#minutes-pdf canvas.pdf-page', { timeout: 20_000 });

		// The chair opens version 2 and saves a note: version 3.
		await signInAt(chair.page, 'chutri', `/meetings/${s.id}/minutes`);
		await chair.page.waitForSelector('#mb-notes', { timeout: 5000 }).catch(async (e) => { throw new Error((await chair.page.textContent('main')) + chair.problems.join('\n'), { cause: e }); });
		await chair.page.fill('#mb-notes', 'Chủ trì đề nghị bổ sung số liệu của Kho bạc Nhà nước tỉnh.');
		await chair.page.click('#minutes-save');
		await chair.page.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 3)');

		// The secretary, still on version 2, changes the discussion and the
		// same note: the save is refused with a clear message, the text stays.
		const mine = 'Đại biểu Sở Tài chính đề nghị điều chuyển vốn từ các dự án chậm tiến độ.';
		await sec.page.fill(`#mb-item\\.${items[1]}`, mine);
		await sec.page.fill('#mb-notes', 'Thư ký ghi: số liệu cập nhật đến ngày 20/11.');
		await sec.page.click('#minutes-save');
		await sec.page.waitForSelector('#minutes-conflict:not([hidden])');
		assert.match(await sec.page.textContent('#minutes-conflict') ?? '', /Người khác vừa lưu biên bản/);
		assert.equal(await sec.page.inputValue(`#mb-item\\.${items[1]}`), mine);
		await shoot(sec.page, 'minutes-conflict', 'desktop');

		// Merge: the newer version comes in, the secretary's text stays, the
		// field both changed shows the chair's text beside it.
		await sec.page.click('#minutes-merge');
		await sec.page.waitForSelector('.theirs[data-for=notes]');
		assert.equal(await sec.page.inputValue(`#mb-item\\.${items[1]}`), mine);
		assert.equal(await sec.page.inputValue('#mb-notes'), 'Thư ký ghi: số liệu cập nhật đến ngày 20/11.');
		assert.match(await sec.page.textContent('.theirs[data-for=notes]') ?? '', /Kho bạc Nhà nước tỉnh/);
		await sec.page.$eval('.theirs[data-for=notes]', (e) => e.scrollIntoView({ block: 'center' }));
		await shoot(sec.page, 'minutes-merged', 'desktop');
		await sec.page.fill('#mb-notes', 'Chủ trì đề nghị bổ sung số liệu của Kho bạc Nhà nước tỉnh. Số liệu cập nhật đến ngày 20/11.');
		await sec.page.click('#minutes-save');
		await sec.page.waitForFunction(() => document.querySelector('#minutes-state')?.textContent === 'Đã lưu (phiên bản 4)');
		const api = await signIn(server.url, 'thuky', password);
		const saved = await api.call('GET', `/meetings/${s.id}/minutes`);
		assert.equal(saved.body.items[1].discussion, mine);
		assert.match(saved.body.items[0].discussion, /62%/);
		assert.equal(saved.body.conclusions.length, 2);
		await sec.page.evaluate(() => window.scrollTo(0, 0));
		await sec.page.setViewportSize(sizes.tablet);
		await shoot(sec.page, 'minutes-editor', 'tablet');

		// The chair approves: the page turns read-only with the number and hash.
		await chair.page.reload();
		await chair.page.click('#minutes-approve');
		await chair.page.click('#minutes-approve-confirm');
		await chair.page.waitForSelector('#minutes-symbol');
		assert.match(await chair.page.textContent('#minutes-symbol') ?? '', /^Số: \d+\/BB-UBND$/);
		assert.match(await chair.page.textContent('#minutes-hash') ?? '', /^[0-9a-f]{64}$/);
		assert.equal(await chair.page.$$eval('textarea, #minutes-save', (els) => els.length), 0, 'approved minutes have no editable field');
		await shoot(chair.page, 'minutes-approved', 'desktop');

		// The secretary's next save is refused: the minutes are locked.
		await sec.page.fill('#mb-notes', 'Sửa sau khi duyệt');
		await sec.page.click('#minutes-save');
		await sec.page.waitForFunction(() => /đã được duyệt, không thể sửa/.test(document.querySelector('#minutes-error')?.textContent ?? ''));

		// The approved minutes in the page (pdf.js); the signed PDF may take
		// a moment to be stored, the page says so and offers a retry.
		await chair.page.click('#view-minutes-pdf');
		for (let i = 0; ; i++) {
			const done = await chair.page.waitForSelector('#minutes-pdf canvas.pdf-page, #minutes-pdf .notice', { timeout: 20_000 });
			if (await done.evaluate((e) => e.tagName === 'CANVAS')) break;
			assert.ok(i < 30, 'the minutes PDF never came: ' + await done.textContent());
			await chair.page.waitForTimeout(500);
			await chair.page.click('#minutes-pdf .notice button');
		}
		await chair.page.waitForSelector('#minutes-pdf:not([aria-busy])');
		await chair.page.$eval('#minutes-pdf-box', (e) => e.scrollIntoView({ block: 'start' }));
		await shoot(chair.page, 'minutes-pdf', 'desktop');

		// Conclusion 1 becomes a task for the delegate's department.
		await chair.page.click('button[data-assign="1"]');
		await chair.page.selectOption('#c1-unit', String(s.unit));
		await chair.page.fill('#c1-deadline', day(20));
		await chair.page.$eval('li[data-conclusion="1"]', (e) => e.scrollIntoView({ block: 'center' }));
		await shoot(chair.page, 'minutes-assign', 'desktop');
		await chair.page.click('#c1-submit');
		await chair.page.waitForSelector('li[data-conclusion="1"] ul.task-links li');
		assert.match(await chair.page.textContent('li[data-conclusion="1"] ul.task-links') ?? '', new RegExp(s.unitName));
		const tasks = (await api.call('GET', `/tasks?meeting_id=${s.id}`)).tasks;
		assert.equal(tasks.length, 1);
		s.taskId = tasks[0].id;
		assert.deepEqual(sec.problems.filter((p) => !/\b(404|409)\b/.test(p)), [], 'secretary page errors');
		assert.deepEqual(chair.problems.filter((p) => !p.includes('503')), [], 'chair page errors');
	} finally {
		await sec.close();
		await chair.close();
	}
});

test('tasks: the unit reports progress and asks for time, the assigner decides; the dashboard shows it and exports XLSX', async () => {
	assert.ok(s.taskId, 'the previous test made the task');
	const unit = await openBrowser(sizes.tablet);
	const chair = await openBrowser(sizes.desktop);
	try {
		// The delegate's unit lists its tasks (no dashboard rights) and reports.
		await signInAt(unit.page, 'daibieu1', '/tasks');
		await unit.page.waitForSelector(`tr[data-task="${s.taskId}"]`);
		assert.equal(await unit.page.$('#f-scope'), null, 'no scope to choose without dashboard rights');
		assert.equal(await unit.page.getAttribute(`tr[data-task="${s.taskId}"]`, 'data-status'), 'in_progress');
		assert.match(await unit.page.textContent(`tr[data-task="${s.taskId}"]`) ?? '', /Đang thực hiện, trong hạn/);
		await shoot(unit.page, 'tasks-unit', 'tablet');
		await unit.page.click(`tr[data-task="${s.taskId}"] a`);
		await unit.page.waitForSelector('#report-body');
		// An empty report is refused on the page, with the reason.
		await unit.page.click('#report-submit');
		await unit.page.waitForSelector('#task-error:not([hidden])');
		await unit.page.fill('#report-body', 'Đã rà soát 45/60 dự án, đang tổng hợp danh mục chậm giải ngân.');
		await unit.page.fill('#report-percent', '40');
		await unit.page.click('#report-submit');
		await unit.page.waitForSelector('#reports li');
		assert.match(await unit.page.textContent('#task-percent') ?? '', /40%/);
		await unit.page.fill('#ext-reason', 'Chờ số liệu giải ngân tháng 12 của Kho bạc Nhà nước tỉnh.');
		await unit.page.click('#ext-submit');
		await unit.page.waitForSelector('#extensions li[data-status=pending]');
		assert.equal(await unit.page.$('#task-complete'), null, 'the unit cannot complete its own task');
		await shoot(unit.page, 'task-unit', 'tablet');

		// A delegate has no dashboard: a clear message, not a blank page.
		await unit.page.goto(`${server.url}/tasks/dashboard`);
		await unit.page.waitForSelector('#dash .notice');
		assert.match(await unit.page.textContent('#dash .notice') ?? '', /không có quyền/);

		// The assigner approves the extension; the deadline moves.
		await signInAt(chair.page, 'chutri', `/tasks/${s.taskId}`);
		await chair.page.waitForSelector('#ext-approve');
		const before = await chair.page.textContent('#task-deadline');
		await shoot(chair.page, 'task-assigner', 'desktop');
		await chair.page.click('#ext-approve');
		await chair.page.waitForSelector('#extensions li[data-status=approved]');
		assert.notEqual(await chair.page.textContent('#task-deadline'), before);

		// The dashboard: overdue units first, the new task in progress.
		await chair.page.click('header nav a[href="/tasks/dashboard"]');
		await chair.page.waitForSelector('#dash-table tbody tr');
		// The period: deadlines from 100 days ago on.
		// Days are typed as the offices write them (02/12/2026), whatever the browser's language.
		await chair.page.fill('#d-from', vnDay(day(-100)));
		await chair.page.fill('#d-to', vnDay(day(60)));
		await chair.page.$eval('#d-to', (e) => e.dispatchEvent(new Event('change', { bubbles: true })));
		const want = `from=${day(-100)}&to=${day(60)}`;
		await chair.page.waitForFunction((w) => location.search.includes(w) && !document.querySelector('#dash[aria-busy]'), want);
		await chair.page.waitForSelector('#chart-overdue svg a');
		const first = await chair.page.$eval('#dash-table tbody tr', (tr) => Number(tr.querySelector('td.num')?.textContent));
		assert.equal(first, 2, 'the unit with most overdue tasks comes first');
		const mineRow = await chair.page.textContent(`#dash-table tr[data-row="${s.unit}"]`);
		assert.match(mineRow ?? '', new RegExp(s.unitName));
		assert.equal(await chair.page.$$eval('#chart-overdue svg a', (a) => a.length), 2);
		assert.equal(await chair.page.$$eval('#chart-rate svg a', (a) => a.length), 3);
		assert.match(await chair.page.textContent('#dash-rate') ?? '', /%/);
		await shoot(chair.page, 'dashboard', 'desktop');
		await chair.page.setViewportSize(sizes.tablet);
		await shoot(chair.page, 'dashboard', 'tablet');
		await chair.page.setViewportSize(sizes.desktop);

		// The task list's period is typed the same way; a day that does not
		// exist is marked and changes nothing.
		await chair.page.goto(`${server.url}/tasks?mine=false&from=${day(-100)}`);
		await chair.page.waitForSelector('#task-list tbody tr');
		assert.equal(await chair.page.inputValue('#f-from'), vnDay(day(-100)));
		await chair.page.fill('#f-to', '31/02/2026');
		await chair.page.$eval('#f-to', (e) => e.dispatchEvent(new Event('change', { bubbles: true })));
		assert.equal(await chair.page.getAttribute('#f-to', 'aria-invalid'), 'true');
		assert.doesNotMatch(chair.page.url(), /to=/);
		await chair.page.fill('#f-to', vnDay(day(60)));
		await chair.page.$eval('#f-to', (e) => e.dispatchEvent(new Event('change', { bubbles: true })));
		await chair.page.waitForFunction((w) => location.search.includes(w), `to=${day(60)}`);
		assert.equal(await chair.page.getAttribute('#f-to', 'aria-invalid'), null);
		await shoot(chair.page, 'tasks-period', 'desktop');
		await chair.page.goto(`${server.url}/tasks/dashboard?by=unit&${want}`);
		await chair.page.waitForSelector('#dash-table tbody tr');
		assert.equal(await chair.page.inputValue('#d-from'), vnDay(day(-100)));

		// XLSX export downloads a workbook.
		const [download] = await Promise.all([chair.page.waitForEvent('download'), chair.page.click('#export-xlsx')]);
		assert.match(download.suggestedFilename(), /^nhiem-vu-\d{4}-\d{2}-\d{2}\.xlsx$/);
		const file = await download.path();
		assert.equal((await readFile(file)).subarray(0, 2).toString(), 'PK');

		// English is two clicks away (the user menu) on the new screens too.
		await fromUserMenu(chair.page, '[lang=en]');
		await chair.page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Task tracking');
		assert.match(await chair.page.textContent('#dash-totals') ?? '', /In progress, overdue/);
		await fromUserMenu(chair.page, '[lang=vi]');
		await chair.page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Theo dõi nhiệm vụ');

		// Drill-down with the keyboard: the first overdue bar lists that unit's overdue tasks.
		await chair.page.waitForSelector('#chart-overdue svg a');
		await chair.page.focus('#chart-overdue svg a');
		await chair.page.keyboard.press('Enter');
		await chair.page.waitForURL(/\/tasks\?.*status=overdue/);
		await chair.page.waitForSelector('#task-list tbody tr');
		const st = await chair.page.$$eval('#task-list tbody tr', (trs) => trs.map((tr) => /** @type {HTMLElement} */ (tr).dataset.status));
		assert.deepEqual(st, ['overdue', 'overdue']);
		await shoot(chair.page, 'tasks-drilldown', 'desktop');

		// The chair's own list: the task they assigned, then completion.
		await chair.page.goto(`${server.url}/tasks/${s.taskId}`);
		await chair.page.click('#task-complete');
		await chair.page.click('#task-complete-yes');
		await chair.page.waitForSelector('.page-head [data-status=done_on_time]');
		assert.equal(await chair.page.$('#report-body'), null);
		assert.deepEqual(unit.problems.filter((p) => !/\b(403|422)\b/.test(p)), [], 'unit page errors');
		assert.deepEqual(chair.problems, [], 'chair page errors');
	} finally {
		await unit.close();
		await chair.close();
	}
});
