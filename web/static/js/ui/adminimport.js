// Import of users from an XLSX or CSV file: pick the file, check it (a dry
// run: every row with its problems, nothing written), fix the file and
// check again, then confirm; every user is written in one transaction or
// none. The temporary passwords are shown once and can be downloaded.

import { errorMessage } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, saveFile } from './dom.js';
import { adminScope, adminPage, statusLine, stackable } from './admin.js';

/** @type {import('./app.js').Screen} */
export async function adminImportScreen(main, ctx) {
	const api = ctx.api;
	const scope = await adminScope(api);
	const file = h('input', { type: 'file', id: 'import-file', accept: '.xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv' });
	const check = h('button', { type: 'submit', class: 'primary', id: 'import-check' }, t('admin.import.check'));
	const msg = statusLine('import-msg');
	const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'card', id: 'import-form', 'aria-labelledby': 'import-h' },
		h('h2', { id: 'import-h' }, t('admin.import.pick')),
		h('p', {}, t('admin.import.help')),
		h('ul', { class: 'muted' }, ['cols', 'units', 'roles', 'passwords'].map((k) => h('li', {}, t('admin.import.help.' + k)))),
		h('p', {}, h('button', { type: 'button', class: 'link', id: 'import-template', onclick: () => {
			// A template the office fills in Excel (UTF-8 with BOM so Excel reads the diacritics).
			const head = ['username', 'full_name', 'email', 'position', 'unit', 'roles', 'personal_id'].map((c) => t('admin.import.col.' + c)).join(',');
			saveFile(new TextEncoder().encode('\ufeff' + head + '\r\n').buffer, t('admin.import.templateFile'), 'text/csv');
		} }, t('admin.import.template'))),
		h('label', { for: 'import-file' }, t('admin.import.file')), file,
		h('div', { class: 'actions' }, check), msg.el);
	adminPage(main, ctx, scope, t('admin.import.title'), form, result);
	file.addEventListener('change', () => { replace(result); msg.clear(); });

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const f = file.files?.[0];
		if (!f) { msg.fail(t('admin.import.noFile')); file.focus(); return; }
		await run(f, true);
	});

	/**
	 * run sends the file: a dry run, or the import itself.
	 * @param {File} f
	 * @param {boolean} dry
	 */
	async function run(f, dry) {
		msg.clear();
		const body = new FormData();
		body.append('file', f, f.name);
		check.disabled = true;
		result.setAttribute('aria-busy', 'true');
		try {
			const rep = await api.upload('/users/import?dry_run=' + dry, body);
			if (dry) drawReport(f, rep); else drawCreated(rep);
		} catch (err) {
			replace(result);
			msg.fail(errorMessage(err));
		} finally {
			check.disabled = false;
			result.removeAttribute('aria-busy');
		}
	}

	/** @param {File} f @param {any} rep */
	function drawReport(f, rep) {
		/** @type {any[]} */
		const rows = rep.rows ?? [];
		const bad = rep.problems ?? 0;
		const confirm = bad === 0 && h('div', { class: 'card confirm', id: 'import-confirm' },
			h('p', {}, t('admin.import.ready', { n: rows.length })),
			h('button', { type: 'button', class: 'primary', id: 'import-go', onclick: () => void run(f, false) }, t('admin.import.go', { n: rows.length })));
		replace(result,
			h('p', { id: 'import-summary', class: bad ? 'error' : 'ok', role: bad ? 'alert' : 'status' },
				bad ? t('admin.import.bad', { n: rows.length, bad }) : t('admin.import.clean', { n: rows.length })),
			confirm,
			h('div', { class: 'card table-wrap' }, stackable(h('table', { class: 'tasks-table admin-table', id: 'import-rows' },
				h('caption', { class: 'sr' }, t('admin.import.rows')),
				h('thead', {}, h('tr', {}, ['line', 'username', 'full_name', 'unit', 'roles', 'problems'].map((c) => h('th', { scope: 'col' }, t('admin.import.th.' + c))))),
				h('tbody', {}, rows.map((r) => h('tr', { 'data-line': String(r.line), class: r.problems.length ? 'bad' : '' },
					h('td', { class: 'num' }, r.line),
					h('td', {}, h('code', {}, r.username)),
					h('td', {}, r.full_name),
					h('td', {}, r.unit_name || r.unit),
					h('td', {}, (r.roles ?? []).map((/** @type {string} */ x) => t('role.' + x)).join(', ')),
					h('td', { class: 'problems' }, r.problems.length === 0 ? h('span', { class: 'ok' }, t('admin.import.rowOk'))
						: h('ul', {}, r.problems.map((/** @type {any} */ p) => h('li', { 'data-problem': p.code }, problemText(p))))))))))));
	}

	/** @param {any} rep */
	function drawCreated(rep) {
		/** @type {any[]} */
		const created = rep.created ?? [];
		file.value = '';
		const csv = () => {
			const esc = (/** @type {string} */ s) => /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
			const lines = [['username', 'full_name', 'unit', 'password'].map((c) => t('admin.import.pw.' + c)).join(',')]
				.concat(created.map((c) => [c.username, c.full_name, c.unit_name, c.temporary_password].map(esc).join(',')));
			saveFile(new TextEncoder().encode('\ufeff' + lines.join('\r\n') + '\r\n').buffer, t('admin.import.passwordsFile'), 'text/csv');
		};
		replace(result,
			h('div', { class: 'card', id: 'import-done' },
				h('h2', {}, t('admin.import.done', { n: created.length })),
				h('p', { class: 'notice' }, t('admin.import.once')),
				h('button', { type: 'button', class: 'primary', id: 'import-download', onclick: csv }, t('admin.import.download')),
				h('div', { class: 'table-wrap' }, stackable(h('table', { class: 'tasks-table admin-table', id: 'import-created' },
					h('thead', {}, h('tr', {}, ['username', 'full_name', 'unit', 'password'].map((c) => h('th', { scope: 'col' }, t('admin.import.pw.' + c))))),
					h('tbody', {}, created.map((c) => h('tr', { 'data-user': String(c.id) },
						h('td', {}, h('code', {}, c.username)), h('td', {}, c.full_name), h('td', {}, c.unit_name),
						h('td', {}, h('code', { class: 'password' }, c.temporary_password))))))))));
	}
}

/**
 * problemText says what is wrong with a field of a row.
 * @param {{field: string, code: string, line?: number}} p
 */
function problemText(p) {
	return t('admin.import.field.' + p.field) + ': ' + t('admin.import.problem.' + p.code, { line: p.line ?? '' });
}
