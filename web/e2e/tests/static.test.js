// Checks without a server: JSDoc types (tsc --noEmit, checkJs) and the
// translation tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../..');

/**
 * loadI18n imports web/static/js/i18n.js. Its files are ES modules outside
 * any package.json, so each is loaded as a data URL, the string tables
 * first (each with the parts it spreads in, vi-admin.js…), their imports
 * rewritten to those URLs.
 * @returns {Promise<any>}
 */
async function loadI18n() {
	const dataURL = (/** @type {string} */ src) => 'data:text/javascript;base64,' + Buffer.from(src).toString('base64');
	const dir = path.join(web, 'static/js/i18n');
	let src = await readFile(path.join(web, 'static/js/i18n.js'), 'utf8');
	for (const l of ['vi', 'en']) {
		let table = await readFile(path.join(dir, `${l}.js`), 'utf8');
		for (const [, part] of table.matchAll(/from '\.\/([a-z-]+\.js)'/g)) {
			table = table.replace(`'./${part}'`, `'${dataURL(await readFile(path.join(dir, part), 'utf8'))}'`);
		}
		src = src.replace(`'./i18n/${l}.js'`, `'${dataURL(table)}'`);
	}
	return import(dataURL(src));
}

test('JSDoc types check with tsc --noEmit', async () => {
	const tsc = path.resolve(here, '../node_modules/.bin/tsc');
	try {
		await promisify(execFile)(tsc, ['--noEmit', '-p', path.join(web, 'tsconfig.json')]);
	} catch (err) {
		const e = /** @type {any} */ (err);
		assert.fail('tsc found type errors:\n' + (e.stdout || '') + (e.stderr || ''));
	}
});

test('Vietnamese and English have the same keys, and Vietnamese has its diacritics', async () => {
	const i18n = await loadI18n();
	const { vi, en } = i18n.keys();
	assert.deepEqual([...en].sort(), [...vi].sort(), 'en and vi keys differ');
	assert.equal(i18n.t('login.title'), 'Đăng nhập');
	assert.equal(i18n.t('conn.reconnecting'), 'Đang kết nối lại…');
	assert.equal(i18n.t('err.unknown', { code: 'x_y' }), 'Đã có lỗi (x_y).');
	assert.equal(i18n.t('no.such.key'), 'no.such.key', 'a missing key shows itself, never blank');
	i18n.setLang('en');
	assert.equal(i18n.t('login.title'), 'Sign in');
});

test('every error code the API can send has a message', async () => {
	// The codes are the second argument of fault.New (internal/fault: each
	// domain error's kind and code) and of httpapi's Errorf. client_closed
	// (499) goes to nobody: the client has gone.
	const { stdout } = await promisify(execFile)('grep', ['-rhoE', '(fault\\.New|Errorf)\\([a-z]+\\.[A-Za-z]+, *"[a-z_]+"', '--include=*.go', path.resolve(web, '../internal')]);
	const codes = new Set([...stdout.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]).filter((c) => c !== 'client_closed'));
	assert.ok(codes.size > 40, `only ${codes.size} codes found: is the pattern right?`);
	const src = await readFile(path.join(web, 'static/js/i18n/vi.js'), 'utf8');
	const missing = [...codes].filter((c) => !src.includes(`'err.${c}'`));
	assert.deepEqual(missing, [], 'error codes without a translation');
});

test('both string tables have every key, with {placeholders} alike', async () => {
	const i18n = await loadI18n();
	const { vi, en } = i18n.keys();
	const viOnly = vi.filter((/** @type {string} */ k) => !en.includes(k));
	const enOnly = en.filter((/** @type {string} */ k) => !vi.includes(k));
	assert.deepEqual({ viOnly, enOnly }, { viOnly: [], enOnly: [] }, 'keys in one table only');
	/** @param {string} s */
	const params = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
	const differ = [];
	for (const k of vi) {
		i18n.setLang('vi');
		const a = i18n.t(k);
		i18n.setLang('en');
		const b = i18n.t(k);
		if (params(a) !== params(b)) differ.push(k);
	}
	i18n.setLang('vi');
	assert.deepEqual(differ, [], 'keys whose placeholders differ between vi and en');
});

/**
 * visibleLiterals lists the string literals of a ui/ file a user would
 * read: any with a letter beyond ASCII (Vietnamese; symbols such as × or
 * 🔒 are not words), or two or more words
 * starting with a capital (English prose). Comments are dropped first;
 * identifiers, selectors, URLs and single symbols are not prose.
 * @param {string} src
 */
function visibleLiterals(src) {
	const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/([;,{}()])\s*\/\/.*$/gm, '$1');
	/** @type {{line: number, text: string}[]} */
	const out = [];
	for (const m of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
		const text = (m[1] ?? m[2] ?? m[3] ?? '').replace(/\$\{[^}]*\}/g, '');
		const prose = /(?![a-zA-Z])\p{L}/u.test(text) || /\b[A-Z][a-z]+(?: [A-Za-z]+)+/.test(text);
		if (prose) out.push({ line: code.slice(0, m.index).split('\n').length, text });
	}
	return out;
}

test('ui/ shows no text that bypasses the string tables', async () => {
	const dir = path.join(web, 'static/js/ui');
	const files = (await promisify(execFile)('ls', [dir])).stdout.split('\n').filter((f) => f.endsWith('.js'));
	const found = [];
	for (const f of files) {
		for (const l of visibleLiterals(await readFile(path.join(dir, f), 'utf8'))) found.push(`${f}: ${l.text}`);
	}
	assert.deepEqual(found, [], 'user-visible literals in ui/: move them to i18n/vi.js and i18n/en.js');
	// The detector itself finds what it is for.
	assert.equal(visibleLiterals("h('p', {}, 'Đang tải…')").length, 1);
	assert.equal(visibleLiterals("h('p', {}, \"Loading the list\")").length, 1);
	assert.equal(visibleLiterals("h('p', { class: 'muted small', id: 'x-y' }, t('a.b'), '×', '—')").length, 0);
});
