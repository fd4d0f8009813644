// The header's bell: the unread count (live, from bell.js's stream), and a
// panel listing the newest notices (the same text as the e-mails) with a
// link to what each is about; opening one marks it read; "mark all read".

import { errorMessage } from '../api.js';
import { BellStream } from '../bell.js';
import { t, formatDateTime } from '../i18n.js';
import { h, replace } from './dom.js';

/**
 * bell builds the button and its panel once; the header re-appends the
 * same element on every redraw, so the count and the open panel survive.
 * @param {import('./app.js').Ctx} ctx
 * @param {string} icon URL of the bell's picture
 */
export function bell(ctx, icon) {
	let unread = 0;
	const badge = h('span', { class: 'bell-count', id: 'bell-count', 'aria-hidden': 'true', hidden: true });
	// The name is text (visually hidden), not aria-label: the visible count
	// stays part of what a screen reader announces.
	const name = h('span', { class: 'sr' });
	const button = h('button', { type: 'button', class: 'bell', id: 'bell', 'aria-expanded': 'false', 'aria-controls': 'bell-panel' },
		h('img', { src: icon, alt: '', width: 22, height: 22 }), name, badge);
	const panel = h('section', { class: 'bell-panel card', id: 'bell-panel', hidden: true, 'aria-label': t('bell.title') });
	const root = h('div', { class: 'bell-wrap' }, button, panel);

	function drawCount() {
		badge.textContent = unread > 99 ? '99+' : String(unread);
		badge.hidden = unread === 0;
		badge.setAttribute('data-count', String(unread));
		name.textContent = unread ? t('bell.labelN', { n: unread }) : t('bell.label');
	}
	drawCount();
	const stream = new BellStream(ctx.api, (n) => {
		unread = n;
		drawCount();
		if (!panel.hidden) void load();
	});

	async function load() {
		try {
			const r = await ctx.api.get('/notifications');
			unread = r.unread ?? 0;
			drawCount();
			/** @type {any[]} */
			const list = r.notifications ?? [];
			replace(panel,
				h('div', { class: 'bell-head' }, h('h2', {}, t('bell.title')),
					h('button', { type: 'button', class: 'small link', id: 'bell-read-all', disabled: unread === 0, onclick: readAll }, t('bell.readAll'))),
				list.length === 0 ? h('p', { class: 'muted' }, t('bell.none'))
					: h('ul', { class: 'bell-list', id: 'bell-list' }, list.slice(0, 50).map((n) => {
						const path = n.link || (n.meeting_id ? `/meetings/${n.meeting_id}` : '/meetings');
						return h('li', { class: n.read_at ? 'read' : 'unread', 'data-kind': n.kind },
							h('a', { href: path, onclick: (/** @type {MouseEvent} */ ev) => { ev.preventDefault(); void open(n, path); } },
								h('strong', {}, n.title),
								h('span', { class: 'bell-body' }, String(n.body ?? '').split('\n').filter((l) => !/^(Xem|https?:)/.test(l)).slice(0, 4).join(' · ')),
								h('span', { class: 'muted' }, formatDateTime(n.created_at), n.read_at ? '' : ' · ' + t('bell.unread'))));
					})));
		} catch (err) {
			replace(panel, h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
		}
	}

	/** @param {any} n @param {string} path */
	async function open(n, path) {
		close();
		if (!n.read_at) await ctx.api.post(`/notifications/${n.id}/read`).catch(() => {});
		ctx.go(path);
	}

	async function readAll() {
		await ctx.api.post('/notifications/read-all').catch(() => {});
		await load();
	}

	function close() {
		panel.hidden = true;
		button.setAttribute('aria-expanded', 'false');
	}

	button.addEventListener('click', () => {
		if (panel.hidden) {
			panel.hidden = false;
			button.setAttribute('aria-expanded', 'true');
			replace(panel, h('p', { class: 'muted' }, t('bell.loading')));
			void load();
		} else close();
	});
	root.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !panel.hidden) { close(); button.focus(); } });
	document.addEventListener('click', (ev) => { if (!panel.hidden && !root.contains(/** @type {Node} */ (ev.target))) close(); });

	return {
		el: root,
		/** start follows the signed-in user's count; stop when signed out. */
		start() { stream.start(); },
		stop() { stream.stop(); unread = 0; drawCount(); close(); },
	};
}
