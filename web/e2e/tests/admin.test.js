// The administration screens in the browser, UI only: the province admin
// imports users from an XLSX file (a dry run with bad rows first, fixed,
// then the real import, passwords shown once), gives one a chair role and
// makes a district's official admin of that district; the district admin
// sees only its district; the audit log filters, shows a row's detail and
// verifies its chain. Screenshots of each screen, desktop and 390×844.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.js';
import { openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { xlsx } from '../lib/xlsx.js';
import { axeCheck } from '../lib/axe.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
let dir = '';
const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';
const phone = { width: 390, height: 844 };
/** @type {{units: any[], district: any, commune: any, department: any, districtAdmin: any}} */
const s = { units: [], district: null, commune: null, department: null, districtAdmin: null };

before(async () => {
	server = await startServer();
	dir = await mkdtemp(path.join(tmpdir(), 'cau-admin-e2e-'));
	// Read-only look-ups to know the seeded tree (the steps themselves are clicks).
	const admin = await signIn(server.url, 'admin', password);
	s.units = (await admin.call('GET', '/units')).units;
	s.districtAdmin = (await signIn(server.url, 'daibieu9', password)).user;
	s.district = s.units.find((u) => u.id === s.districtAdmin.unit_id);
	assert.equal(s.district.level, 'district', 'daibieu9 works in a district');
	s.commune = s.units.find((u) => u.parent_id === s.district.id);
	s.department = s.units.find((u) => u.level === 'department');
});
after(async () => {
	await server?.stop();
	if (dir) await rm(dir, { recursive: true, force: true });
});

/** Serious and critical axe findings, by screen (asserted by the last test). */
/** @type {Record<string, import('../lib/axe.js').Violation[]>} */
const a11y = {};

/**
 * step screenshots the page and runs axe-core on it.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {string} size
 */
async function step(page, name, size) {
	await shoot(page, name, size);
	a11y[`${name} (${size})`] = await axeCheck(page, `${name} (${size})`);
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
	await page.waitForURL((u) => u.pathname === next.split('?')[0]);
}

/**
 * the workbook of five officials; bad adds an unknown unit, a username
 * twice and a broken e-mail.
 * @param {boolean} bad
 */
function workbook(bad) {
	return xlsx([
		['Tên đăng nhập', 'Họ và tên', 'Thư điện tử', 'Chức vụ', 'Đơn vị', 'Vai trò'],
		['nt.hoa', 'Nguyễn Thị Hòa', 'hoa@lamdong.gov.vn', 'Phó Giám đốc Sở', s.department.name, 'Đại biểu'],
		['tv.minh', 'Trần Văn Minh', '', 'Chủ tịch UBND', bad ? 'khong-co-don-vi' : s.district.code, 'Đại biểu'],
		['lt.lan', 'Lê Thị Lan', '', 'Chủ tịch UBND xã', s.commune.code, 'Đại biểu'],
		[bad ? 'nt.hoa' : 'pv.nam', 'Phạm Văn Nam', '', 'Công chức Văn phòng', s.commune.code, ''],
		['hq.dung', 'Hoàng Quốc Dũng', bad ? 'dung@' : 'dung@lamdong.gov.vn', 'Chuyên viên', s.department.code, 'Đại biểu, Quan sát viên'],
	]);
}

test('the admin imports users from XLSX: a dry run with bad rows, fixed, then the import', async () => {
	const bad = path.join(dir, 'danh-sach-loi.xlsx');
	const good = path.join(dir, 'danh-sach.xlsx');
	await writeFile(bad, workbook(true));
	await writeFile(good, workbook(false));
	const b = await openBrowser(sizes.desktop);
	try {
		const { page } = b;
		await signInAt(page, 'admin', '/meetings');
		// Only admins see the link in the header.
		await page.click('header nav a[href="/admin/units"]');
		await page.waitForSelector('#unit-tree li[data-unit] button.pick');
		await page.waitForSelector('#unit-detail #unit-title');
		await page.click('nav.tabs a[href="/admin/import"]');
		await page.waitForSelector('#import-file');

		await page.setInputFiles('#import-file', bad);
		await page.click('#import-check');
		await page.waitForSelector('#import-rows');
		assert.match(await page.textContent('#import-summary') ?? '', /3\/5 dòng có lỗi/);
		const problems = await page.$$eval('#import-rows tr[data-line]', (rows) => rows.map((r) =>
			r.getAttribute('data-line') + ':' + [...r.querySelectorAll('[data-problem]')].map((p) => p.getAttribute('data-problem')).join(',')));
		assert.deepEqual(problems, ['2:', '3:unit_unknown', '4:', '5:username_duplicate', '6:email_format']);
		assert.match(await page.textContent('#import-rows tr[data-line="5"]') ?? '', /trùng với dòng 2/);
		assert.equal(await page.$('#import-go'), null, 'no import while rows have problems');
		await step(page, 'admin-import-dry-run', 'desktop');
		await page.setViewportSize(phone);
		await page.$eval('#import-summary', (e) => e.scrollIntoView());
		await step(page, 'admin-import-dry-run', 'phone');
		await page.setViewportSize(sizes.desktop);
		const api = await signIn(server.url, 'admin', password);
		assert.equal((await api.call('GET', '/users?q=tran van minh')).total, 0, 'the dry run wrote nothing');

		await page.setInputFiles('#import-file', good);
		await page.click('#import-check');
		await page.waitForSelector('#import-go');
		assert.match(await page.textContent('#import-summary') ?? '', /Cả 5 dòng đều hợp lệ/);
		await page.click('#import-go');
		await page.waitForSelector('#import-created');
		const created = await page.$$eval('#import-created tbody tr', (rows) => rows.map((r) => [r.querySelector('code')?.textContent, r.querySelector('code.password')?.textContent]));
		assert.deepEqual(created.map((c) => c[0]), ['nt.hoa', 'tv.minh', 'lt.lan', 'pv.nam', 'hq.dung']);
		assert.ok(created.every((c) => /^[a-z2-7]{16}$/.test(c[1] ?? '')), 'a temporary password each');
		const [download] = await Promise.all([page.waitForEvent('download'), page.click('#import-download')]);
		assert.equal(download.suggestedFilename(), 'mat-khau-tam.csv');
		await step(page, 'admin-import-done', 'desktop');
		const hoa = (await api.call('GET', '/users?q=nt.hoa')).users[0];
		assert.equal(hoa.must_change_password, true);
		assert.deepEqual(hoa.grants.map((/** @type {any} */ g) => g.role), ['delegate']);
		assert.deepEqual(b.problems, [], 'page errors');
	} finally {
		await b.close();
	}
});

test('the admin gives a role and makes a district official the admin of its district', async () => {
	const b = await openBrowser(sizes.desktop);
	try {
		const { page } = b;
		await signInAt(page, 'admin', '/admin/users');
		await page.fill('#f-q', 'Nguyễn Thị Hòa');
		await page.waitForSelector('#user-list tr[data-username="nt.hoa"]');
		await step(page, 'admin-users', 'desktop');
		await page.click('#user-list tr[data-username="nt.hoa"] a');
		await page.waitForSelector('#user-roles');
		// Chair, province-wide, besides delegate.
		await page.click('#role-add');
		await page.selectOption('#grant-list li:last-child select[aria-label="Vai trò"]', 'chair');
		await page.selectOption('#grant-list li:last-child select[aria-label="Phạm vi"]', '');
		await page.click('#roles-save');
		await page.waitForFunction(() => document.querySelector('#user-msg')?.textContent === 'Đã lưu vai trò.');
		await step(page, 'admin-user', 'desktop');
		const api = await signIn(server.url, 'admin', password);
		const hoa = (await api.call('GET', '/users?q=nt.hoa')).users[0];
		assert.deepEqual(hoa.grants.map((/** @type {any} */ g) => [g.role, g.scope_unit_id ?? null]).sort(), [['chair', null], ['delegate', null]]);

		// daibieu9 administers its district.
		await page.goto(`${server.url}/admin/users/${s.districtAdmin.id}`);
		await page.waitForSelector('#user-roles');
		await page.click('#role-add');
		await page.selectOption('#grant-list li:last-child select[aria-label="Vai trò"]', 'admin');
		await page.selectOption('#grant-list li:last-child select[aria-label="Phạm vi"]', String(s.district.id));
		await page.click('#roles-save');
		await page.waitForFunction(() => document.querySelector('#user-msg')?.textContent === 'Đã lưu vai trò.');
		const da = await api.call('GET', `/users/${s.districtAdmin.id}`);
		assert.ok(da.grants.some((/** @type {any} */ g) => g.role === 'admin' && g.scope_unit_id === s.district.id), 'scoped admin grant saved');
		await page.setViewportSize(phone);
		await step(page, 'admin-user', 'phone');

		// The signature block of the province's notices.
		await page.setViewportSize(sizes.desktop);
		const root = s.units.find((u) => !u.parent_id);
		await page.goto(`${server.url}/admin/units?unit=${root.id}`);
		await page.waitForSelector('#signature #sig-authority');
		assert.equal(await page.inputValue('#sig-authority'), 'TL. CHỦ TỊCH', 'the demo province signs for the chairman');
		await page.fill('#sig-name', 'Nguyễn Văn Hòa');
		await page.click('#signature button[type=submit]');
		await page.waitForFunction(() => document.querySelector('#sig-msg')?.textContent === 'Đã lưu.');
		assert.equal((await api.call('GET', `/units/${root.id}/signature`)).signer_name, 'Nguyễn Văn Hòa');
		await step(page, 'admin-units', 'desktop');
		await page.setViewportSize(phone);
		await step(page, 'admin-units', 'phone');
		await page.setViewportSize(sizes.desktop);

		// A level below communes (villages), from the levels' card.
		await page.click('#levels summary');
		const add = '#levels li:last-child form';
		await page.fill(`${add} input[aria-label="Mã"]`, 'thon');
		await page.fill(`${add} input[aria-label="Thứ bậc"]`, '3');
		await page.fill(`${add} input[aria-label="Tên tiếng Việt"]`, 'Thôn, tổ dân phố');
		await page.fill(`${add} input[aria-label="Tên tiếng Anh"]`, 'Village');
		await page.click(`${add} button[type=submit]`);
		await page.waitForSelector('#levels form[data-level="thon"]');
		assert.ok((await api.call('GET', '/unit-levels')).levels.some((/** @type {any} */ l) => l.code === 'thon' && l.rank === 3));
		assert.deepEqual(b.problems, [], 'page errors');
	} finally {
		await b.close();
	}
});

test('a district admin sees only its district', async () => {
	const b = await openBrowser(phone);
	try {
		const { page } = b;
		await signInAt(page, 'daibieu9', '/admin/units');
		await page.waitForSelector('#unit-tree li[data-unit]');
		assert.match(await page.textContent('#admin-scope') ?? '', new RegExp(s.district.name));
		// The tree starts at the district; nothing outside it.
		const shown = await page.$$eval('#unit-tree li[data-unit]', (li) => li.map((e) => Number(e.getAttribute('data-unit'))));
		const inside = new Set([s.district.id, ...s.units.filter((u) => u.parent_id === s.district.id).map((u) => u.id)]);
		assert.ok(shown.length > 1 && shown.every((id) => inside.has(id)), 'only the district and its communes');
		// Its own district's record is decided one level up.
		assert.equal(await page.$('#unit-edit'), null);
		await step(page, 'admin-district-units', 'phone');
		// It adds a ward, renames it and closes it again.
		await page.fill('#child-name', 'UBND phường Thử Nghiệm');
		await page.fill('#child-code', 'phuong-thu-nghiem');
		await page.click('#unit-create button[type=submit]');
		await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.startsWith('UBND phường Thử Nghiệm'));
		await page.fill('#unit-name', 'UBND phường Thử Nghiệm Mới');
		await page.click('#unit-edit button[type=submit]');
		await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.startsWith('UBND phường Thử Nghiệm Mới'));
		await page.click('#unit-deactivate');
		await page.waitForSelector('#unit-reactivate');
		const ward = (await (await signIn(server.url, 'admin', password)).call('GET', '/units')).units.find((/** @type {any} */ u) => u.code === 'phuong-thu-nghiem');
		assert.deepEqual([ward.name, ward.parent_id, ward.active], ['UBND phường Thử Nghiệm Mới', s.district.id, false]);
		// No audit tab; its URL says why.
		assert.equal(await page.$('nav.tabs a[href="/admin/audit"]'), null);
		await page.click('nav.tabs a[href="/admin/users"]');
		await page.waitForSelector('#user-count');
		const names = await page.$$eval('#user-list tr[data-user] td:nth-child(3)', (td) => td.map((e) => e.textContent));
		const insideNames = new Set([...inside].map((id) => s.units.find((u) => u.id === id).name));
		assert.ok(names.length > 0 && names.every((n) => insideNames.has(n ?? '')), 'only people of the district: ' + names.join('; '));
		assert.ok(!names.includes(s.department.name));
		await page.$eval('#user-count', (e) => e.scrollIntoView());
		await step(page, 'admin-district-users', 'phone');
		await page.goto(`${server.url}/admin/audit`);
		await page.waitForSelector('.admin [role=alert]');
		assert.match(await page.textContent('.admin [role=alert]') ?? '', /Chỉ quản trị viên toàn tỉnh/);
		// 404: the signature block of a unit that has none of its own.
		assert.deepEqual(b.problems.filter((p) => !/\b404\b/.test(p)), [], 'page errors');
	} finally {
		await b.close();
	}
});

test('the audit log filters, shows a row and verifies its chain', async () => {
	const b = await openBrowser(sizes.desktop);
	try {
		const { page } = b;
		await signInAt(page, 'admin', '/admin/audit');
		await page.waitForSelector('#audit-table');
		await page.selectOption('#a-family', 'user.');
		await page.waitForFunction(() => [...document.querySelectorAll('#audit-table tr[data-action]')].every((r) => r.getAttribute('data-action')?.startsWith('user.')));
		const actions = await page.$$eval('#audit-table tr[data-action]', (rows) => rows.map((r) => r.getAttribute('data-action')));
		assert.ok(actions.includes('user.roles') && actions.includes('user.import'), 'role changes and the import are logged: ' + actions.join(' '));
		await page.click('#audit-table tr[data-action="user.roles"] button[aria-expanded]');
		await page.waitForSelector('#audit-table tr.audit-detail:not([hidden]) pre');
		assert.match(await page.textContent('#audit-table tr.audit-detail:not([hidden]) pre') ?? '', /"after"/);
		await page.click('#audit-verify-run');
		await page.waitForFunction(() => /Nhật ký toàn vẹn: đã kiểm tra \d+ dòng/.test(document.querySelector('#audit-verify-result')?.textContent ?? ''));
		await step(page, 'admin-audit', 'desktop');
		// A person's name narrows the log to what they did.
		await page.click('#audit-table tr[data-action="user.roles"] td:nth-child(3) button');
		await page.waitForURL((u) => u.searchParams.has('actor_id'));
		await page.waitForSelector('#audit-table tr[data-action="user.import"]');
		assert.equal(await page.inputValue('#a-actor'), new URL(page.url()).searchParams.get('actor_id'));
		await page.setViewportSize(phone);
		await page.$eval('#audit-table', (e) => e.scrollIntoView());
		await step(page, 'admin-audit', 'phone');
		assert.deepEqual(b.problems, [], 'page errors');
	} finally {
		await b.close();
	}
});

test('axe-core: no serious or critical violation on the admin screens', () => {
	assert.ok(Object.keys(a11y).length >= 10, `axe ran on ${Object.keys(a11y).length} screens`);
	const bad = Object.entries(a11y).filter(([, v]) => v.length > 0).map(([k, v]) => `${k}: ${v.map((x) => x.id).join(', ')}`);
	assert.deepEqual(bad, [], 'serious or critical axe violations');
});
